"""Helpers for the udsock tool's tests: the staged binary, private
directories, and readiness through $NOTIFY_SOCKET (no sleeps, no polling)."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

UDSOCK = os.environ.get("UDSOCK_BIN") or str(Path(__file__).resolve().parents[2] / "target/release/udsock")
TIMEOUT = 20


class Notified:
    """A datagram socket standing in for a service manager's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(TIMEOUT)

    def env(self, **extra):
        return dict(os.environ, NOTIFY_SOCKET=self.path, **extra)

    def recv(self, maxfds=0):
        msg, fds, _flags, _addr = socket.recv_fds(self.sock, 4096, maxfds)
        return msg, fds

    def close(self):
        self.sock.close()


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


@pytest.fixture
def notified(tmp_path):
    n = Notified(tmp_path / "notify.sock")
    yield n
    n.close()


def run(args, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("capture_output", True)
    return subprocess.run([UDSOCK, *args], **kw)


class Started:
    """A udsock (or other) process started in the background."""

    def __init__(self, argv, notified=None, env=None, **kw):
        if notified is not None:
            env = notified.env(**(env or {}))
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        self.proc = subprocess.Popen(argv, env=env, **kw)
        if notified is not None:
            msg, _ = notified.recv()
            assert msg == b"READY=1", msg

    def finish(self):
        p = self.proc
        if p.stdin and not p.stdin.closed:
            p.stdin.close()
        out = p.stdout.read() if p.stdout else None
        err = p.stderr.read() if p.stderr else None
        return p.wait(timeout=TIMEOUT), out, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()


@pytest.fixture
def start():
    started = []

    def go(args, notified=None, udsock=True, **kw):
        s = Started([UDSOCK, *args] if udsock else list(args), notified, **kw)
        started.append(s)
        return s

    yield go
    for s in started:
        s.kill()


def need(program):
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (.ci/run installs it)")
    return shutil.which(program)


def one_error_line(result, status=1):
    """The failure contract: exit status, nothing on stdout, one `udsock:` line."""
    assert result.returncode == status, result
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("udsock: "), lines
    return lines[0]
