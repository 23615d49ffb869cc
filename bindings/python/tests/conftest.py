"""Shared fixtures for the udsock tests.

The tests run against whatever library `import udsock` finds; run-tests.sh
points UDSOCK_LIBRARY at the staged build.
"""

import itertools
import os
import subprocess
import sys

import pytest

PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PKG_DIR not in sys.path:
    sys.path.insert(0, PKG_DIR)


_names = itertools.count()


@pytest.fixture
def sock_path(tmp_path):
    """A fresh pathname for a socket, in a private directory."""
    return str(tmp_path / "s.sock")


@pytest.fixture
def abstract_addr():
    """A fresh abstract address ("@...") no other test run uses."""
    return "@udsock-py-test-%d-%d" % (os.getpid(), next(_names))


@pytest.fixture
def pair():
    """A connected stream socketpair (a, b), closed after the test."""
    import udsock
    a, b = udsock.socketpair()
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def pipe():
    """A pipe (r, w), closed after the test unless the test closed it."""
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def child_env(**extra):
    """The environment for a child Python that imports this udsock."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PKG_DIR + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_python(code, *args, env=None, pass_fds=(), check=True, **kw):
    """Run code in a fresh interpreter; return the CompletedProcess.

    It runs in / so that `python -c` does not import a udsock from the
    current directory instead of the one PYTHONPATH names.
    """
    kw.setdefault("cwd", "/")
    p = subprocess.run(
        [sys.executable, "-c", code] + [str(a) for a in args],
        env=env if env is not None else child_env(), pass_fds=pass_fds,
        capture_output=True, text=True, timeout=60, **kw)
    if check and p.returncode != 0:
        raise AssertionError("child failed (%d):\n%s\n%s"
                             % (p.returncode, p.stdout, p.stderr))
    return p


def open_fds():
    """The set of fds open in this process."""
    return set(int(x) for x in os.listdir("/proc/self/fd"))


def fd_is_pipe_to(w, r):
    """True if writing to fd w can be read back from fd r."""
    os.write(w, b"?")
    return os.read(r, 1) == b"?"


def passrights_off_or_skip(sock):
    """Turns SO_PASSRIGHTS off at sock, or skips the test on a kernel
    without it (before 6.16)."""
    import errno

    import udsock
    try:
        udsock.set_passrights(sock, False)
    except OSError as e:
        if e.errno == errno.ENOPROTOOPT:
            pytest.skip("SO_PASSRIGHTS needs Linux 6.16")
        raise
