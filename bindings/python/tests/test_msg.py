"""General messages (sendmsg/recvmsg) and batches."""

import errno
import os
import socket

import pytest

import udsock
from conftest import fd_is_pipe_to, open_fds

ME = (os.getpid(), os.getuid(), os.getgid())




def test_sendmsg_recvmsg_plain():
    a, b = udsock.socketpair()
    with a, b:
        assert udsock.sendmsg(a, b"just data") == 9
        m = udsock.recvmsg(b, 100)
        assert isinstance(m, udsock.Message)
        assert m == udsock.Message(b"just data", [], None, 0, "")


def test_sendmsg_fds_and_creds(pipe):
    r, w = pipe
    a, b = udsock.socketpair()
    with a, b:
        udsock.set_passcred(b, True)
        udsock.sendmsg(a, b"all", fds=[w, w], cred=ME)
        m = udsock.recvmsg(b, 100, maxfds=4)
        assert m.data == b"all"
        assert len(m.fds) == 2
        assert m.cred == ME and isinstance(m.cred, udsock.Cred)
        assert m.flags & udsock.MSG_CRED
        assert not m.flags & (udsock.MSG_TRUNC | udsock.MSG_CTRUNC)
        for fd in m.fds:
            assert fd_is_pipe_to(fd, r)
            assert not os.get_inheritable(fd)
            os.close(fd)


def test_recvmsg_without_passcred_has_no_cred():
    a, b = udsock.socketpair(socket.SOCK_SEQPACKET)
    with a, b:
        udsock.sendmsg(a, b"x")
        m = udsock.recvmsg(b, 10)
        assert m.cred is None and not m.flags & udsock.MSG_CRED


def test_truncation_is_reported_not_raised(pipe):
    r, w = pipe
    a, b = udsock.socketpair(socket.SOCK_DGRAM)
    with a, b:
        udsock.sendmsg(a, b"0123456789" * 10, fds=[w, w, w])
        before = open_fds()
        m = udsock.recvmsg(b, 10, maxfds=1)
        assert m.data == b"0123456789"
        assert m.flags & udsock.MSG_TRUNC
        assert m.flags & udsock.MSG_CTRUNC
        assert len(m.fds) == 1  # the fd that fitted is delivered
        assert fd_is_pipe_to(m.fds[0], r)
        os.close(m.fds[0])
        assert open_fds() == before  # the others did not leak


def test_sendmsg_to_addresses(tmp_path, abstract_addr):
    p = str(tmp_path / "d.sock")
    with udsock.listener(p, type=socket.SOCK_DGRAM) as srv, \
            udsock.listener(abstract_addr, type=socket.SOCK_DGRAM) as me, \
            udsock.socket(socket.SOCK_DGRAM) as anon:
        udsock.sendmsg(me, bytearray(b"to path"), addr=p)
        m = udsock.recvmsg(srv, 100)
        assert (m.data, m.addr) == (b"to path", abstract_addr)
        udsock.sendmsg(anon, b"anon", addr=p)
        assert udsock.recvmsg(srv, 100).addr == ""
        udsock.sendmsg(srv, b"back", addr=m.addr)
        back = udsock.recvmsg(me, 100)
        assert (back.data, back.addr) == (b"back", p)


def test_sendmsg_bad_address(tmp_path):
    with udsock.socket(socket.SOCK_DGRAM) as s:
        with pytest.raises(OSError) as ei:
            udsock.sendmsg(s, b"x", addr=str(tmp_path / "a\0b"))
        assert ei.value.errno == errno.EINVAL
        with pytest.raises(FileNotFoundError):
            udsock.sendmsg(s, b"x", addr=str(tmp_path / "missing"))


def test_recvmsg_flags():
    a, b = udsock.socketpair(socket.SOCK_DGRAM)
    with a, b:
        with pytest.raises(BlockingIOError):
            udsock.recvmsg(b, 10, flags=socket.MSG_DONTWAIT)
        udsock.sendmsg(a, b"peeked")
        assert udsock.recvmsg(b, 10, flags=socket.MSG_PEEK).data == b"peeked"
        assert udsock.recvmsg(b, 10).data == b"peeked"


@pytest.mark.parametrize("type", [socket.SOCK_DGRAM, socket.SOCK_SEQPACKET])
def test_batches(type, pipe):
    r, w = pipe
    a, b = udsock.socketpair(type)
    with a, b:
        udsock.set_passcred(b, True)
        sent = udsock.send_batch(a, [
            b"first",
            memoryview(b"second"),
            udsock.Message(b"third", fds=[w]),
            udsock.Message(b"fourth", cred=ME),
        ])
        assert sent == 4
        got = udsock.recv_batch(b, 4, 100, maxfds=2)
        assert [m.data for m in got] == [b"first", b"second", b"third",
                                         b"fourth"]
        assert [len(m.fds) for m in got] == [0, 0, 1, 0]
        assert fd_is_pipe_to(got[2].fds[0], r)
        os.close(got[2].fds[0])
        assert got[3].cred == ME
        assert all(m.flags & udsock.MSG_CRED for m in got)


def test_recv_batch_returns_what_is_there():
    a, b = udsock.socketpair(socket.SOCK_DGRAM)
    with a, b:
        assert udsock.send_batch(a, [b"1", b"22"]) == 2
        got = udsock.recv_batch(b, 8, 10, flags=socket.MSG_DONTWAIT)
        assert [m.data for m in got] == [b"1", b"22"]
        with pytest.raises(BlockingIOError):
            udsock.recv_batch(b, 8, 10, flags=socket.MSG_DONTWAIT)


def test_recv_batch_truncation():
    a, b = udsock.socketpair(socket.SOCK_DGRAM)
    with a, b:
        udsock.send_batch(a, [b"short", b"much longer"])
        got = udsock.recv_batch(b, 2, 5)
        assert [m.data for m in got] == [b"short", b"much "]
        assert not got[0].flags & udsock.MSG_TRUNC
        assert got[1].flags & udsock.MSG_TRUNC


def test_send_batch_to_addresses(tmp_path):
    p1, p2 = str(tmp_path / "one"), str(tmp_path / "two")
    with udsock.listener(p1, type=socket.SOCK_DGRAM) as one, \
            udsock.listener(p2, type=socket.SOCK_DGRAM) as two, \
            udsock.socket(socket.SOCK_DGRAM) as s:
        n = udsock.send_batch(s, [udsock.Message(b"a", addr=p1),
                                  udsock.Message(b"b", addr=p2),
                                  udsock.Message(b"c", addr=p1)])
        assert n == 3
        assert [m.data for m in udsock.recv_batch(one, 2, 10)] == [b"a", b"c"]
        assert udsock.recv_batch(two, 1, 10)[0].data == b"b"


def test_batch_senders_are_reported(tmp_path, abstract_addr):
    p = str(tmp_path / "srv")
    with udsock.listener(p, type=socket.SOCK_DGRAM) as srv, \
            udsock.listener(abstract_addr, type=socket.SOCK_DGRAM) as c:
        udsock.send_batch(c, [udsock.Message(b"x", addr=p)] * 2)
        assert [m.addr for m in udsock.recv_batch(srv, 2, 10)] == \
            [abstract_addr] * 2

