"""`pip install` of the package gives a working, typed udsock."""

import os
import shutil
import subprocess
import sys

from conftest import PKG_DIR, child_env, run_python


def _offline_build_possible():
    """True if setuptools and wheel are here, so pip need not fetch them."""
    p = subprocess.run([sys.executable, "-c", "import setuptools, wheel"],
                       capture_output=True)
    return p.returncode == 0


def test_pip_install_then_import(tmp_path):
    src = tmp_path / "src"  # build from a copy: the tree stays clean
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(PKG_DIR, name), str(src / name))
    shutil.copytree(os.path.join(PKG_DIR, "udsock"), str(src / "udsock"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "site"
    offline = ["--no-build-isolation", "--no-index"] \
        if _offline_build_possible() else []
    p = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target)] + offline + [str(src)],
        capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (target / "udsock" / "py.typed").exists()
    env = child_env(PYTHONPATH=str(target))
    p = run_python("import udsock; print(udsock.__file__); "
                   "print(udsock.version())", env=env)
    where, version = p.stdout.split()
    assert where.startswith(str(target))
    assert version.count(".") == 2
