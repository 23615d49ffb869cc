"""Telling the service manager: notify() and watchdog_enabled().

The environment is set with monkeypatch (os.environ, which the C library
reads through the process environment) and restored after each test.
"""

import ctypes
import errno
import os
import socket

import pytest

import udsock

_getenv = ctypes.CDLL(None).getenv
_getenv.restype = ctypes.c_char_p
_getenv.argtypes = [ctypes.c_char_p]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for v in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        monkeypatch.delenv(v, raising=False)


def dgram(addr):
    """A datagram socket bound at "/path" (any length) or "@name"."""
    s = udsock.socket(socket.SOCK_DGRAM)
    if addr.startswith("@"):
        udsock.bind_abstract(s, addr[1:])
    else:
        udsock.bind(s, addr)
    s.setblocking(False)
    return s


def long_path(base, total):
    """A pathname of exactly total bytes under base (directories made)."""
    p = str(base)
    while total - len(p) > 80:
        p = os.path.join(p, "d" * min(100, total - len(p) - 40))
        os.mkdir(p)
    out = os.path.join(p, "s" * (total - len(p) - 1))
    assert len(out) == total > 108
    return out


def test_not_started_by_a_service_manager():
    assert udsock.notify("READY=1") is False
    assert udsock.watchdog_enabled() is None


@pytest.mark.parametrize("kind", ["short", "long", "abstract"])
def test_state_and_fds_arrive(monkeypatch, tmp_path, abstract_addr, kind):
    addr = {"short": str(tmp_path / "n.sock"),
            "long": long_path(tmp_path, 300),
            "abstract": abstract_addr}[kind]
    with dgram(addr) as m, open("/dev/null") as null:
        monkeypatch.setenv("NOTIFY_SOCKET", addr)
        assert udsock.notify("READY=1\nSTATUS=serving") is True
        assert m.recv(100) == b"READY=1\nSTATUS=serving"
        assert udsock.notify(b"FDSTORE=1\nFDNAME=conn", [null, m]) is True
        data, fds, _, _ = socket.recv_fds(m, 100, 4)
        try:
            assert data == b"FDSTORE=1\nFDNAME=conn"
            got = [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in fds]
            want = [(os.fstat(f.fileno()).st_dev, os.fstat(f.fileno()).st_ino)
                    for f in (null, m)]
            assert got == want
        finally:
            for fd in fds:
                os.close(fd)
        os.fstat(null.fileno())  # still open here


def test_unset_environment(monkeypatch, tmp_path):
    path = str(tmp_path / "n.sock")
    with dgram(path) as m:
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert udsock.notify("READY=1", unset_environment=True) is True
        assert m.recv(100) == b"READY=1"
    assert "NOTIFY_SOCKET" not in os.environ
    assert _getenv(b"NOTIFY_SOCKET") is None
    assert udsock.notify("READY=1") is False
    # Also when it fails.
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "missing.sock"))
    with pytest.raises(FileNotFoundError):
        udsock.notify("READY=1", unset_environment=True)
    assert _getenv(b"NOTIFY_SOCKET") is None and "NOTIFY_SOCKET" not in os.environ


@pytest.mark.parametrize("value,err", [
    ("relative.sock", errno.EINVAL), ("/", errno.EINVAL), ("@", errno.EINVAL),
    ("vsock:2:1234", errno.EAFNOSUPPORT),
])
def test_bad_notify_socket(monkeypatch, value, err):
    monkeypatch.setenv("NOTIFY_SOCKET", value)
    with pytest.raises(OSError) as e:
        udsock.notify("READY=1")
    assert e.value.errno == err
    assert "uds_notify_fds" in str(e.value)


def test_bad_state(monkeypatch, tmp_path):
    path = str(tmp_path / "n.sock")
    with dgram(path):
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        with pytest.raises(OSError) as e:
            udsock.notify("")
        assert e.value.errno == errno.EINVAL
        with pytest.raises(ValueError):
            udsock.notify("READY=1\0")
        with pytest.raises(OSError) as e:
            udsock.notify("FDSTORE=1", [0] * (udsock.MAX_FDS + 1))
        assert e.value.errno == errno.EINVAL
        with pytest.raises(OSError) as e:
            udsock.notify("FDSTORE=1", [-1])
        assert e.value.errno == errno.EBADF


@pytest.mark.parametrize("usec,pid,want", [
    ("30000000", None, 30000000),
    ("30000000", "self", 30000000),
    ("30000000", "1", None),
    ("0x10", None, 16),
    ("0b101", None, 5),
    (" 7", None, 7),
    ("18446744073709551614", None, 18446744073709551614),
])
def test_watchdog(monkeypatch, usec, pid, want):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is not None:
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()) if pid == "self" else pid)
    assert udsock.watchdog_enabled() == want


@pytest.mark.parametrize("usec,pid,err", [
    ("0", None, errno.EINVAL), ("abc", None, errno.EINVAL),
    ("5 ", None, errno.EINVAL), ("18446744073709551615", None, errno.EINVAL),
    ("-1", None, errno.ERANGE), ("18446744073709551616", None, errno.ERANGE),
    ("5", "0", errno.ERANGE), ("5", "x", errno.EINVAL),
])
def test_watchdog_malformed(monkeypatch, usec, pid, err):
    monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid is not None:
        monkeypatch.setenv("WATCHDOG_PID", pid)
    with pytest.raises(OSError) as e:
        udsock.watchdog_enabled()
    assert e.value.errno == err


def test_watchdog_unset_environment(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "abc")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    with pytest.raises(OSError):
        udsock.watchdog_enabled(unset_environment=True)
    for v in ("WATCHDOG_USEC", "WATCHDOG_PID"):
        assert v not in os.environ and _getenv(v.encode()) is None
