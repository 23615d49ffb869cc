"""`pip install ./bindings/python` in a fresh venv builds the library with
cargo, bundles it, and the package passes an fd to a CPython socket peer;
`pip wheel` builds a wheel that carries the library."""

import glob
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import PKG_DIR

ROOT = os.path.dirname(os.path.dirname(PKG_DIR))


def _build_tools_here():
    """setuptools-rust and wheel importable: pip then needs no download."""
    p = subprocess.run([sys.executable, "-c", "import setuptools_rust, wheel"],
                       capture_output=True)
    return p.returncode == 0


def _clean_env():
    env = dict(os.environ)
    for k in ("UDSOCK_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH",
              "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(k, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


PEER = r"""
import os, socket, sys, udsock
where = udsock.library_path()
assert where.startswith(sys.prefix), (where, sys.prefix)
assert os.path.dirname(where) == os.path.dirname(udsock.__file__), where
a, b = socket.socketpair()          # the peer is CPython's own socket
r, w = os.pipe()
assert udsock.send_fds(a, [b"pipe"], [w]) == 4
data, fds, flags, addr = socket.recv_fds(b, 10, 1)
os.write(fds[0], b"through the fd")
print(data.decode(), os.read(r, 100).decode(), udsock.version())
"""


@pytest.mark.skipif(shutil.which("cargo") is None, reason="no cargo here")
def test_pip_install_in_a_fresh_venv_then_pass_an_fd(tmp_path):
    if not _build_tools_here():
        pytest.skip("setuptools-rust and wheel are not installed (.ci/run "
                    "installs them); pip would have to download them")
    venv = tmp_path / "venv"
    # The system's site-packages stay visible for the build tools only:
    # --no-build-isolation uses them instead of downloading.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    env = _clean_env()
    offline = ["--no-build-isolation", "--no-deps", "--no-index"]
    p = subprocess.run([py, "-m", "pip", "install", "--quiet"] + offline
                       + [PKG_DIR], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run([py, "-c", PEER], capture_output=True, text=True,
                       env=env, cwd="/", timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    data, written, version = p.stdout.split(" ", 2)
    assert data == "pipe" and written.startswith("through")
    p = subprocess.run([py, "-c", "import udsock, os; print(os.path.exists("
                        "os.path.join(os.path.dirname(udsock.__file__), "
                        "'py.typed')))"], capture_output=True, text=True,
                       env=env, cwd="/", timeout=60)
    assert p.stdout.strip() == "True", p.stderr

    # pip wheel: the same build, a wheel holding the library.
    out = tmp_path / "wheels"
    p = subprocess.run([py, "-m", "pip", "wheel", "--quiet", "-w", str(out)]
                       + offline + [PKG_DIR], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    (whl,) = glob.glob(str(out / "udsock-*.whl"))
    names = zipfile.ZipFile(whl).namelist()
    assert "udsock/__init__.py" in names and "udsock/py.typed" in names
    assert [n for n in names if n.startswith("udsock/libudsock")
            and n.endswith(".so")], names
