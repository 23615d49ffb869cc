"""Builds libudsock from the repository's crate into the package.

Everything else about the package is in pyproject.toml. setuptools-rust
runs cargo on ../../Cargo.toml (the crate that builds the C library's
cdylib) and puts the shared library inside the package, next to
__init__.py, where udsock looks for it first.
"""

import os

from setuptools import setup
from setuptools_rust import Binding, RustExtension

# cargo builds into target/python unless told otherwise: setuptools-rust
# runs `cargo rustc --crate-type cdylib`, whose artifacts would otherwise
# replace the ones `make` builds in target/release (and each would then
# rebuild the other's).
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
os.environ.setdefault("CARGO_TARGET_DIR", os.path.join(_ROOT, "target",
                                                        "python"))

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
