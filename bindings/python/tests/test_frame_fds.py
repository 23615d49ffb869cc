"""Frames that carry descriptors: send_frame_fds / recv_frame_fds."""

import errno
import os
import socket
import struct

import pytest

import udsock
from conftest import fd_is_pipe_to, open_fds


@pytest.fixture
def pipes():
    ps = [os.pipe() for _ in range(4)]
    yield ps
    for r, w in ps:
        os.close(r)
        os.close(w)


def raw_frame(text):
    return struct.pack("=I", len(text)) + text


def test_descriptors_stay_with_their_frame(pair, pipes):
    a, b = pair
    udsock.send_frame(a, b"plain")
    udsock.send_frame_fds(a, b"one", [pipes[0][1]])
    udsock.send_frame_fds(a, b"two", [pipes[1][1], pipes[2][1]])
    assert udsock.recv_frame_fds(b) == (b"plain", [])
    data, fds = udsock.recv_frame_fds(b)
    assert data == b"one" and len(fds) == 1
    assert fd_is_pipe_to(fds[0], pipes[0][0])
    data, fds2 = udsock.recv_frame_fds(b)
    assert data == b"two" and len(fds2) == 2
    assert fd_is_pipe_to(fds2[0], pipes[1][0])
    assert fd_is_pipe_to(fds2[1], pipes[2][0])
    for fd in fds + fds2:
        os.close(fd)
    a.close()
    assert udsock.recv_frame_fds(b) is None


def test_raw_sender_in_pieces(pair, pipes):
    """The descriptors on a byte in the middle of a frame, written in pieces
    with the standard library's sendmsg, stay with that frame."""
    a, b = pair
    wire = raw_frame(b"abcdefgh")
    a.sendmsg([wire[:3]])
    a.sendmsg([wire[3:7]], [(udsock_socket_level(), 1, struct.pack("=i", pipes[3][1]))])
    a.sendmsg([wire[7:] + raw_frame(b"next")])
    data, fds = udsock.recv_frame_fds(b)
    assert data == b"abcdefgh" and len(fds) == 1
    assert fd_is_pipe_to(fds[0], pipes[3][0])
    os.close(fds[0])
    assert udsock.recv_frame_fds(b) == (b"next", [])


def udsock_socket_level():
    return socket.SOL_SOCKET


def test_same_wire_bytes_as_send_frame(pair, pipes):
    a, b = pair
    udsock.send_frame_fds(a, b"xyz", [pipes[0][1]])
    assert b.recv(64) == raw_frame(b"xyz")


def test_failures_leak_nothing(pair, pipes):
    a, b = pair
    before = open_fds()
    udsock.send_frame_fds(a, b"abc", [w for _, w in pipes[:3]])
    with pytest.raises(OSError) as e:
        udsock.recv_frame_fds(b, maxfds=2)
    assert e.value.errno == errno.EXFULL
    udsock.send_frame_fds(a, b"too large", [pipes[0][1]])
    with pytest.raises(OSError) as e:
        udsock.recv_frame_fds(b, maxsize=4)
    assert e.value.errno == errno.EMSGSIZE
    udsock.send_frame_fds(a, b"bytes", [pipes[1][1]])
    assert udsock.recv_frame(b) == b"bytes"
    a.sendmsg([raw_frame(b"cut short")[:6]],
              [(udsock_socket_level(), 1, struct.pack("=i", pipes[2][1]))])
    a.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionResetError):
        udsock.recv_frame_fds(b)
    assert open_fds() == before


def test_bad_arguments(pair):
    a, _ = pair
    with pytest.raises(OSError) as e:
        udsock.send_frame_fds(a, b"x", [-3])
    assert e.value.errno == errno.EBADF
    with pytest.raises(OSError) as e:
        udsock.send_frame_fds(a, b"x", [0] * 254)
    assert e.value.errno == errno.EINVAL


def test_non_blocking_never_waits(pipes):
    """A peer that stalls mid-frame: BlockingIOError at once, nothing
    lost (the package keeps the part that came, descriptor included, with
    the socket, where the C library would leave it queued); the rest
    arrives and the whole frame, descriptors included, comes out."""
    a, b = udsock.socketpair()
    try:
        b.setblocking(False)
        wire = raw_frame(b"stalled")
        a.sendmsg([wire[:6]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                struct.pack("=i", pipes[0][1]))])
        for _ in range(3):
            with pytest.raises(BlockingIOError):
                udsock.recv_frame_fds(b)
        # Taken into the socket's reader, not left in the kernel's queue.
        assert udsock.pending(b) == 0
        a.send(wire[6:])
        data, fds = udsock.recv_frame_fds(b)
        assert data == b"stalled" and len(fds) == 1
        assert fd_is_pipe_to(fds[0], pipes[0][0])
        os.close(fds[0])
        with pytest.raises(BlockingIOError):
            udsock.recv_exact(b, 4)
    finally:
        a.close()
        b.close()



@pytest.mark.parametrize("kind", [socket.SOCK_SEQPACKET, socket.SOCK_DGRAM])
def test_frames_on_sockets_that_keep_message_boundaries(kind, pipes):
    # A message there holds one frame (what send_frame sends): read whole,
    # never cut to the length prefix (which dropped the rest of the
    # message and then waited for bytes that would never come).
    a, b = udsock.socketpair(kind)
    with a, b:
        b.settimeout(5)
        before = open_fds()
        udsock.send_frame(a, b"0123456789")
        udsock.send_frame(a, b"ok")
        udsock.send_frame(a, b"by fd")
        with pytest.raises(OSError) as e:
            udsock.recv_frame(b, 4)
        assert e.value.errno == errno.EMSGSIZE and "10 bytes" in str(e.value)
        assert udsock.recv_frame(b, 4) == b"ok"
        assert udsock.recv_frame(b.fileno()) == b"by fd"
        # Descriptors come with their frame; over maxsize they are closed.
        udsock.send_frame_fds(a, b"with fds", [pipes[0][1], pipes[1][1]])
        udsock.send_frame_fds(a, b"too large", [pipes[2][1]])
        data, fds = udsock.recv_frame_fds(b)
        assert data == b"with fds" and len(fds) == 2
        assert fd_is_pipe_to(fds[0], pipes[0][0]) and fd_is_pipe_to(fds[1], pipes[1][0])
        for fd in fds:
            os.close(fd)
        with pytest.raises(OSError) as e:
            udsock.recv_frame_fds(b, 4)
        assert e.value.errno == errno.EMSGSIZE
        # A message holding two frames is refused, consumed, not cut.
        a.send(raw_frame(b"ab") + raw_frame(b"cd"))
        with pytest.raises(OSError) as e:
            udsock.recv_frame(b)
        assert e.value.errno == errno.EPROTOTYPE
        assert udsock.pending(b) == 0
        # recv_exact: one message of exactly n bytes.
        a.send(b"abcd")
        a.send(b"abcdef")
        a.send(b"wxyz")
        assert udsock.recv_exact(b, 4) == b"abcd"
        with pytest.raises(OSError) as e:
            udsock.recv_exact(b, 4)
        assert e.value.errno == errno.EMSGSIZE
        assert udsock.recv_exact(b, 4) == b"wxyz"
        # Nothing queued: the socket's timeout, or BlockingIOError.
        b.settimeout(0.01)
        with pytest.raises(TimeoutError):
            udsock.recv_frame(b)
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            udsock.recv_frame_fds(b)
        with pytest.raises(BlockingIOError):
            udsock.recv_exact(b, 4)
        assert open_fds() == before
