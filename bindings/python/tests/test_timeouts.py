"""Every blocking call keeps the socket's timeout as the standard library
does, a multi-step transfer keeps one deadline, and an interrupted receive
loses nothing."""

import os
import signal
import socket
import struct
import time

import pytest

import udsock

T = 0.2  # a timeout short enough to wait for


def _elapsed(fn, *args):
    t0 = time.monotonic()
    try:
        fn(*args)
    finally:
        elapsed = time.monotonic() - t0
    return elapsed


CALLS = [
    ("recv", lambda s: udsock.recv(s, 10)),
    ("recv_fds", lambda s: udsock.recv_fds(s, 10, 1)),
    ("recvmsg", lambda s: udsock.recvmsg(s, 10, 1)),
    ("recv_fd", lambda s: udsock.recv_fd(s)),
    ("recv_exact", lambda s: udsock.recv_exact(s, 4)),
    ("recv_frame", lambda s: udsock.recv_frame(s)),
    ("recv_frame_fds", lambda s: udsock.recv_frame_fds(s, maxfds=1)),
    ("recv_creds", lambda s: udsock.recv_creds(s, 10)),
    ("recv_pidfd", lambda s: udsock.recv_pidfd(s, 10)),
    ("recvmsg_pidfd", lambda s: udsock.recvmsg_pidfd(s, 10, 1)),
    ("recv_batch_pidfd", lambda s: udsock.recv_batch_pidfd(s, 2, 10)),
]


@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_timeout_raises_timeouterror_after_the_timeout(name, call):
    a, b = udsock.socketpair()
    with a, b:
        b.settimeout(T)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            call(b)
        assert time.monotonic() - t0 >= T * 0.9


@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_nonblocking_raises_blockingioerror_at_once(name, call):
    a, b = udsock.socketpair()
    with a, b:
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            call(b)


def test_setdefaulttimeout_applies_to_udsock_sockets():
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(T)
    try:
        a, b = udsock.socketpair()
    finally:
        socket.setdefaulttimeout(old)
    with a, b:
        assert b.gettimeout() == T
        with pytest.raises(TimeoutError):
            udsock.recv_fds(b, 10, 1)


def test_send_all_times_out_on_a_full_socket():
    a, b = udsock.socketpair()
    with a, b:
        a.settimeout(T)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            udsock.send_all(a, b"x" * (64 << 20))  # the peer never reads
        assert T * 0.9 <= time.monotonic() - t0 < T + 5


def test_int_fd_follows_its_o_nonblock():
    a, b = udsock.socketpair()
    with a, b:
        os.set_blocking(b.fileno(), False)
        with pytest.raises(BlockingIOError):
            udsock.recv_exact(b.fileno(), 4)
        with pytest.raises(BlockingIOError):
            udsock.recv_fds(b.fileno(), 4, 1)


def test_recv_exact_keeps_the_part_that_came_before_the_timeout():
    a, b = udsock.socketpair()
    with a, b:
        b.settimeout(T)
        udsock.send(a, b"ab")
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            udsock.recv_exact(b, 4)
        assert time.monotonic() - t0 < T + 5
        udsock.send(a, b"cd")
        assert udsock.recv_exact(b, 4) == b"abcd"


def test_partial_frame_survives_timeout_and_nonblocking():
    a, b = udsock.socketpair()
    with a, b:
        b.settimeout(T)
        wire = struct.pack("=I", 6) + b"frame!" + struct.pack("=I", 2) + b"ok"
        udsock.send(a, wire[:2])  # half the length
        with pytest.raises(TimeoutError):
            udsock.recv_frame(b)
        udsock.send(a, wire[2:7])  # the length and part of the body
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            udsock.recv_frame(b)
        udsock.send(a, wire[7:])
        assert udsock.recv_frame(b) == b"frame!"
        assert udsock.recv_frame(b) == b"ok"  # the next one is intact


def _alarm_raises_keyboardinterrupt():
    def handler(signum, frame):
        raise KeyboardInterrupt
    return signal.signal(signal.SIGALRM, handler)


def test_ctrl_c_interrupts_a_stalled_frame_and_the_frame_is_kept():
    a, b = udsock.socketpair()
    old = _alarm_raises_keyboardinterrupt()
    try:
        with a, b:
            udsock.send(a, struct.pack("=I", 5) + b"he")  # then stalls
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            with pytest.raises(KeyboardInterrupt):
                udsock.recv_frame(b)
            udsock.send(a, b"llo")
            assert udsock.recv_frame(b) == b"hello"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("as_int", [False, True])
def test_ctrl_c_interrupts_a_stalled_send_all(as_int):
    a, b = udsock.socketpair()
    old = _alarm_raises_keyboardinterrupt()
    try:
        with a, b:
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            with pytest.raises(KeyboardInterrupt):
                udsock.send_all(a.fileno() if as_int else a, b"x" * (64 << 20))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_ctrl_c_interrupts_recv_exact_on_an_int_fd_and_keeps_the_bytes():
    a, b = udsock.socketpair()
    old = _alarm_raises_keyboardinterrupt()
    try:
        with a, b:
            udsock.send(a, b"12")
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            with pytest.raises(KeyboardInterrupt):
                udsock.recv_exact(b.fileno(), 4)
            udsock.send(a, b"34")
            assert udsock.recv_exact(b.fileno(), 4) == b"1234"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_oversized_frame_is_dropped_across_a_timeout():
    a, b = udsock.socketpair()
    with a, b:
        b.settimeout(T)
        udsock.send(a, struct.pack("=I", 100) + b"x" * 40)
        with pytest.raises(TimeoutError):
            udsock.recv_frame(b, maxsize=10)  # dropping, 60 bytes to go
        udsock.send(a, b"x" * 60)
        udsock.send_frame(a, b"next")
        with pytest.raises(OSError) as ei:
            udsock.recv_frame(b, maxsize=10)
        assert ei.value.errno == __import__("errno").EMSGSIZE
        assert udsock.recv_frame(b, maxsize=10) == b"next"


def test_accept_keeps_the_listener_timeout(sock_path):
    with udsock.listener(sock_path) as srv:
        srv.settimeout(T)
        with pytest.raises(TimeoutError):
            udsock.accept(srv)


def _nearly_full(a, b):
    """Fill a's send buffer in small writes, then let b read a few KiB:
    the room left takes the first piece of a frame but not all of it.
    Returns the bytes now queued at b."""
    sent = 0
    while True:
        try:
            sent += os.write(a.fileno(), b"f" * 512)
        except BlockingIOError:
            break
    got = 0
    while got < 3000:
        got += len(b.recv(3000 - got))
    return sent - got


SEND_FRAME_MODES = ["nonblocking", "timeout", "int-fd-nonblocking"]


@pytest.mark.parametrize("with_fds", [False, True], ids=["plain", "fds"])
@pytest.mark.parametrize("mode", SEND_FRAME_MODES)
def test_send_frame_that_cannot_go_whole_sends_nothing(mode, with_fds, pipe):
    # As uds_send_frame(_fds) on a non-blocking socket: a frame the send
    # buffer cannot take whole is refused with nothing sent. Half a frame
    # on the wire would put every later frame out of step, and the caller
    # cannot know how much went.
    a, b = udsock.socketpair()
    with a, b:
        a.setblocking(False)
        queued = _nearly_full(a, b)
        frame = b"y" * 80000  # three of the kernel's pieces of a stream write
        fds = [pipe[0]] if with_fds else []
        if mode == "timeout":
            a.settimeout(T)
            with pytest.raises(TimeoutError):
                udsock.send_frame_fds(a, frame, fds)
        elif mode == "nonblocking":
            with pytest.raises(BlockingIOError):
                udsock.send_frame_fds(a, frame, fds)
        else:
            with pytest.raises(BlockingIOError):
                udsock.send_frame_fds(a.fileno(), frame, fds)
        b.settimeout(T)
        assert udsock.recv_exact(b, queued) == b"f" * queued
        assert udsock.pending(b) == 0  # not one byte of the frame went
        a.settimeout(5)
        udsock.send_frame_fds(a, frame, fds)  # room now: it goes whole
        if with_fds:
            data, got = udsock.recv_frame_fds(b)
            os.close(got[0])
            assert (data, len(got)) == (frame, 1)
        else:
            assert udsock.recv_frame(b) == frame


KEPT_THEN = [
    ("recv", lambda s: udsock.recv(s, 100)),
    ("recv_fds", lambda s: udsock.recv_fds(s, 100, 1)[0]),
    ("recvmsg", lambda s: udsock.recvmsg(s, 100, 1).data),
    ("recvfrom", lambda s: udsock.recvfrom(s, 100)[0]),
    ("recv_creds", lambda s: udsock.recv_creds(s, 100)[0]),
    ("recv_batch", lambda s: b"".join(m.data for m in
                                      udsock.recv_batch(s, 4, 100))),
]


@pytest.mark.parametrize("name,call", KEPT_THEN, ids=[c[0] for c in KEPT_THEN])
def test_bytes_a_timeout_left_come_first_to_any_receive(name, call):
    # recv_exact() and recv_frame() keep what came before a timeout "for
    # the next receive on the socket": whichever receive that is, it
    # must start with those bytes, not skip them for later ones.
    a, b = udsock.socketpair()
    with a, b:
        b.settimeout(T)
        udsock.send(a, b"abc")
        with pytest.raises(TimeoutError):
            udsock.recv_exact(b, 10)
        udsock.send(a, b"def")
        got = call(b)
        while len(got) < 6:
            got += udsock.recv(b, 100)
        assert got == b"abcdef"


def test_fds_a_timeout_left_come_with_their_bytes(pipe):
    a, b = udsock.socketpair()
    with a, b:
        b.settimeout(T)
        wire = struct.pack("=I", 6) + b"frame!"
        udsock.send_fds(a, wire[:3], [pipe[0]])
        with pytest.raises(TimeoutError):
            udsock.recv_frame_fds(b)
        m = udsock.recvmsg(b, 100, 1)
        assert (m.data, len(m.fds)) == (wire[:3], 1)
        os.close(m.fds[0])
