"""Who sent this message: per-message pidfds and SO_PASSRIGHTS."""

import errno
import os
import socket

import pytest

import udsock
from conftest import passrights_off_or_skip


def pid_of(pidfd):
    with open("/proc/self/fdinfo/%d" % pidfd) as f:
        for line in f:
            if line.startswith("Pid:"):
                return int(line.split()[1])
    raise AssertionError("no Pid: line")


@pytest.fixture
def dgram():
    a, b = udsock.socketpair(socket.SOCK_DGRAM)
    try:
        udsock.set_passpidfd(b)
    except OSError as e:
        if e.errno == errno.ENOPROTOOPT:
            pytest.skip("SO_PASSPIDFD needs Linux 6.5")
        raise
    yield a, b
    a.close()
    b.close()


def test_several_senders_each_named(dgram):
    a, b = dgram
    r, w = os.pipe()
    pids = []
    for i in range(3):
        pid = os.fork()
        if pid == 0:
            os.close(w)
            a.send(bytes([ord("a") + i]))
            os.read(r, 1)  # stay alive until the parent has looked
            os._exit(0)
        pids.append(pid)
    os.close(r)
    for _ in range(3):
        data, pidfd = udsock.recv_pidfd(b, 8)
        assert pidfd is not None
        assert pid_of(pidfd) == pids[data[0] - ord("a")]
        os.close(pidfd)
    os.close(w)
    for pid in pids:
        assert os.waitpid(pid, 0)[1] == 0


def test_a_batch_names_each_sender(dgram):
    a, b = dgram
    a.send(b"1")
    a.send(b"2")
    got = udsock.recv_batch_pidfd(b, 4, 8, flags=socket.MSG_DONTWAIT)
    assert [m.data for m, _ in got] == [b"1", b"2"]
    for m, pidfd in got:
        assert m.flags & udsock.MSG_PIDFD and pid_of(pidfd) == os.getpid()
        os.close(pidfd)


def test_recvmsg_pidfd_and_a_gone_sender(dgram):
    a, b = dgram
    a.send(b"me")
    m, pidfd = udsock.recvmsg_pidfd(b, 8)
    assert m.data == b"me" and m.flags & udsock.MSG_PIDFD
    assert pid_of(pidfd) == os.getpid()
    os.close(pidfd)
    pid = os.fork()
    if pid == 0:
        a.send(b"gone")
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    data, pidfd = udsock.recv_pidfd(b, 8)
    assert data == b"gone"
    if pidfd is not None:
        assert pid_of(pidfd) == -1
        os.close(pidfd)


def test_refusing_descriptors():
    a, b = udsock.socketpair()
    try:
        passrights_off_or_skip(b)
        with pytest.raises(PermissionError):
            udsock.send_fds(a, b"x", [a.fileno()])
        udsock.set_passrights(b, True)
        assert udsock.send_fds(a, b"x", [a.fileno()]) == 1
    finally:
        a.close()
        b.close()
