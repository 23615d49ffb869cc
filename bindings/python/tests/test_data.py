"""send/recv, send_all/recv_exact, pending, sendto/recvfrom, frames."""

import array
import errno
import os
import socket
import struct
import threading

import pytest

import udsock
from conftest import run_python


def test_send_recv(pair):
    a, b = pair
    assert udsock.send(a, b"hello") == 5
    assert udsock.recv(b, 100) == b"hello"
    assert udsock.send(b, bytearray(b"back")) == 4
    assert udsock.recv(a, 4) == b"back"


def test_send_takes_any_bytes_like(pair):
    a, b = pair
    udsock.send(a, memoryview(b"0123456789")[2:5])
    assert udsock.recv(b, 10) == b"234"
    arr = array.array("i", [1, 2])
    assert udsock.send(a, arr) == arr.itemsize * 2
    assert udsock.recv(b, 100) == arr.tobytes()
    udsock.send(a, memoryview(bytearray(b"abcdef"))[::2])  # not contiguous
    assert udsock.recv(b, 10) == b"ace"
    with pytest.raises(TypeError):
        udsock.send(a, "text")


def test_recv_flags(pair):
    a, b = pair
    udsock.send(a, b"peek")
    assert udsock.recv(b, 4, socket.MSG_PEEK) == b"peek"
    assert udsock.recv(b, 4) == b"peek"
    with pytest.raises(BlockingIOError):
        udsock.recv(b, 4, socket.MSG_DONTWAIT)


def test_send_flags_dontwait_on_a_full_socket(pair):
    a, b = pair
    chunk = b"x" * 65536
    with pytest.raises(BlockingIOError):
        while True:
            udsock.send(a, chunk, socket.MSG_DONTWAIT)


def test_recv_eof(pair):
    a, b = pair
    a.close()
    assert udsock.recv(b, 10) == b""


def test_recv_negative_size(pair):
    with pytest.raises(ValueError):
        udsock.recv(pair[0], -1)


def test_recv_large_buffer(pair):
    a, b = pair
    udsock.send_all(a, b"z" * 10)
    assert udsock.recv(b, 4 << 20) == b"z" * 10


def test_send_to_closed_peer_is_broken_pipe_without_sigpipe():
    # Python ignores SIGPIPE by default; a child restores the default so a
    # missing MSG_NOSIGNAL would kill it.
    p = run_python(
        "import signal, udsock\n"
        "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
        "a, b = udsock.socketpair()\n"
        "b.close()\n"
        "for f in (lambda: udsock.send(a, b'x'),\n"
        "          lambda: udsock.send_all(a, b'x'),\n"
        "          lambda: udsock.send_frame(a, b'x')):\n"
        "    try:\n"
        "        f()\n"
        "    except BrokenPipeError:\n"
        "        print('EPIPE')\n")
    assert p.stdout.split() == ["EPIPE"] * 3


def test_send_all_and_recv_exact_large(pair):
    a, b = pair
    data = os.urandom(3 << 20)
    t = threading.Thread(target=udsock.send_all, args=(a, data))
    t.start()
    got = udsock.recv_exact(b, len(data))
    t.join()
    assert got == data


def test_recv_exact_eof(pair):
    a, b = pair
    udsock.send_all(a, b"abc")
    a.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionResetError):
        udsock.recv_exact(b, 10)
    assert udsock.recv_exact(b, 10) == b""  # clean EOF: nothing left


def test_recv_exact_zero_bytes_is_empty_at_once(pair):
    # As uds_recv_exact with len 0: b"" without waiting, on an int fd as
    # on a socket.socket, and before any receive gave the socket a buffer.
    a, b = pair
    b.settimeout(5)
    assert udsock.recv_exact(b, 0) == b""
    assert udsock.recv_exact(b.fileno(), 0) == b""
    udsock.send_all(a, b"ab")
    assert udsock.recv_exact(b, 0) == b""
    assert udsock.recv_exact(b, 2) == b"ab"


@pytest.mark.parametrize("kind", [socket.SOCK_SEQPACKET, socket.SOCK_DGRAM])
def test_recv_exact_zero_bytes_keeps_boundaries_at_once(kind):
    # As uds_recv_exact with len 0 there too: b"" without waiting for a
    # message (the timeout would raise TimeoutError, the int fd, now
    # non-blocking, BlockingIOError), and a queued message stays queued.
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    with a, b:
        b.settimeout(5)
        assert udsock.recv_exact(b, 0) == b""
        assert udsock.recv_exact(b.fileno(), 0) == b""
        a.send(b"abc")
        assert udsock.recv_exact(b, 0) == b""
        assert udsock.recv_exact(b, 3) == b"abc"


def test_recv_exact_clean_eof(pair):
    a, b = pair
    a.close()
    assert udsock.recv_exact(b, 4) == b""


def test_pending(pair):
    a, b = pair
    assert udsock.pending(b) == 0
    udsock.send_all(a, b"0123456789")
    assert udsock.pending(b) == 10
    udsock.recv(b, 3)
    assert udsock.pending(b) == 7


def test_sendto_recvfrom_paths(tmp_path):
    srv_path = str(tmp_path / "srv")
    cli_path = str(tmp_path / "cli")
    with udsock.listener(srv_path, type=socket.SOCK_DGRAM) as srv, \
            udsock.listener(cli_path, type=socket.SOCK_DGRAM) as cli:
        assert udsock.sendto(cli, b"question", srv_path) == 8
        data, sender = udsock.recvfrom(srv, 100)
        assert (data, sender) == (b"question", cli_path)
        udsock.sendto(srv, memoryview(b"answer"), sender)
        assert udsock.recvfrom(cli, 100) == (b"answer", srv_path)


def test_recvfrom_relative_path_starting_with_at(tmp_path, monkeypatch):
    # A file named "@x" in the working directory (socat's bind=@x makes
    # one): reported as "./@x", which leads back to it, never as "@x",
    # which names the abstract socket "x".
    monkeypatch.chdir(tmp_path)
    srv_path = str(tmp_path / "srv")
    with udsock.listener(srv_path, type=socket.SOCK_DGRAM) as srv, \
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as cli:
        cli.bind("@x")
        assert os.path.exists(tmp_path / "@x")
        cli.sendto(b"hi", srv_path)
        data, sender = udsock.recvfrom(srv, 10)
        assert (data, sender) == (b"hi", "./@x")
        assert udsock.sendto(srv, b"back", sender) == 4
        assert cli.recv(10) == b"back"


def test_recvfrom_unnamed_and_abstract_senders(sock_path, abstract_addr):
    with udsock.listener(sock_path, type=socket.SOCK_DGRAM) as srv, \
            udsock.socket(socket.SOCK_DGRAM) as anon, \
            udsock.listener(abstract_addr, type=socket.SOCK_DGRAM) as named:
        udsock.sendto(anon, b"1", sock_path)
        assert udsock.recvfrom(srv, 10) == (b"1", "")
        udsock.sendto(named, b"2", sock_path)
        assert udsock.recvfrom(srv, 10) == (b"2", abstract_addr)
        udsock.sendto(srv, b"3", abstract_addr)
        assert udsock.recvfrom(named, 10) == (b"3", sock_path)


def test_sendto_long_path(tmp_path):
    d = str(tmp_path)
    while len(d) < 200:
        d = os.path.join(d, "x" * 40)
    os.makedirs(d)
    p = os.path.join(d, "dgram.sock")
    with udsock.listener(p, type=socket.SOCK_DGRAM) as srv, \
            udsock.socket(socket.SOCK_DGRAM) as c:
        udsock.sendto(c, b"far away", p)
        assert udsock.recvfrom(srv, 100)[0] == b"far away"
        udsock.unlink(srv)


def test_sendto_abstract_name_with_nul(abstract_addr):
    addr = abstract_addr + "\0x"
    with udsock.listener(addr, type=socket.SOCK_DGRAM) as srv, \
            udsock.socket(socket.SOCK_DGRAM) as c:
        udsock.sendto(c, b"nul", addr)
        assert udsock.recvfrom(srv, 10) == (b"nul", "")


def test_sendto_missing(tmp_path):
    with udsock.socket(socket.SOCK_DGRAM) as c:
        with pytest.raises(FileNotFoundError):
            udsock.sendto(c, b"x", str(tmp_path / "none"))


def test_frames(pair):
    a, b = pair
    for payload in (b"one", b"", b"x" * 70000, bytearray(b"ba")):
        udsock.send_frame(a, payload)
    assert udsock.recv_frame(b) == b"one"
    assert udsock.recv_frame(b) == b""
    assert udsock.recv_frame(b) == b"x" * 70000
    assert udsock.recv_frame(b) == b"ba"
    a.close()
    assert udsock.recv_frame(b) is None


def test_frame_wire_format(pair):
    a, b = pair
    udsock.send_frame(a, b"wire")
    assert udsock.recv_exact(b, 8) == struct.pack("=I", 4) + b"wire"
    a.sendall(struct.pack("=I", 5) + b"hello")
    assert udsock.recv_frame(b) == b"hello"


def test_frame_eof_inside(pair):
    a, b = pair
    a.sendall(struct.pack("=I", 10) + b"abc")
    a.close()
    with pytest.raises(ConnectionResetError):
        udsock.recv_frame(b)


def test_frame_too_large_is_dropped_and_stream_stays_in_step(pair):
    a, b = pair
    udsock.send_frame(a, b"y" * 100)
    udsock.send_frame(a, b"next")
    with pytest.raises(OSError) as ei:
        udsock.recv_frame(b, 10)
    assert ei.value.errno == errno.EMSGSIZE
    assert udsock.recv_frame(b, 10) == b"next"


def test_big_frame_beyond_default(pair):
    a, b = pair
    data = os.urandom(3 << 20)
    t = threading.Thread(target=udsock.send_frame, args=(a, data))
    t.start()
    got = udsock.recv_frame(b, 4 << 20)
    t.join()
    assert got == data


def test_threads_do_not_share_buffers(pair):
    a, b = pair
    c, d = udsock.socketpair()
    results = {}

    def reader(sock, key):
        results[key] = [udsock.recv_exact(sock, 1000) for _ in range(50)]

    ts = [threading.Thread(target=reader, args=(b, "b")),
          threading.Thread(target=reader, args=(d, "d"))]
    for t in ts:
        t.start()
    for _ in range(50):
        udsock.send_all(a, b"B" * 1000)
        udsock.send_all(c, b"D" * 1000)
    for t in ts:
        t.join()
    c.close()
    d.close()
    assert results["b"] == [b"B" * 1000] * 50
    assert results["d"] == [b"D" * 1000] * 50
