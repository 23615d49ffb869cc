"""Builds libudsock from the repository's crate into the package.

Everything else about the package is in pyproject.toml. setuptools-rust
runs cargo on ../../Cargo.toml (the crate that builds the C library's
cdylib) and puts the shared library inside the package, next to
__init__.py, where udsock looks for it first.
"""

from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    rust_extensions=[
        RustExtension(
            "udsock.libudsock",
            path="../../Cargo.toml",
            binding=Binding.NoBinding,
            args=["--locked"],
        )
    ],
)
