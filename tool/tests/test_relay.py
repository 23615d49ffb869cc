"""listen and connect: relaying stdin/stdout, against socat and CPython."""

import os
import socket
import subprocess

from conftest import UDSOCK, TIMEOUT, need, run


def test_listen_with_socat_client(tmp, start, notified):
    socat = need("socat")
    srv = start(["listen", str(tmp / "s")], notified, stdin=subprocess.PIPE)
    srv.proc.stdin.write(b"from udsock\n")
    srv.proc.stdin.close()
    c = subprocess.run([socat, "-", "UNIX-CONNECT:" + str(tmp / "s")], input=b"from socat\n",
                       capture_output=True, timeout=TIMEOUT)
    assert c.stdout == b"from udsock\n"
    assert srv.finish() == (0, b"from socat\n", b"")
    assert not (tmp / "s").exists()


def test_connect_to_socat_server(tmp):
    socat = need("socat")
    # socat binds before it forks the echo: its readiness is the file, so
    # let socat's own "-d -d" line on stderr say it is listening.
    srv = subprocess.Popen([socat, "-d", "-d", "UNIX-LISTEN:" + str(tmp / "s"), "EXEC:tr a-z A-Z"],
                           stderr=subprocess.PIPE)
    for line in srv.stderr:
        if b"listening on" in line:
            break
    c = run(["connect", str(tmp / "s")], input=b"shout this\n")
    assert (c.returncode, c.stdout, c.stderr) == (0, b"SHOUT THIS\n", b"")
    srv.kill()
    srv.wait()


def test_keep_open_serves_client_after_client(tmp, start, notified):
    srv = start(["listen", "-k", "-t", "seqpacket", str(tmp / "s")], notified)
    for word in (b"one", b"two"):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        c.connect(str(tmp / "s"))
        c.send(word)
        c.close()
        assert srv.proc.stdout.readline() == word + b"\n"
    assert srv.proc.poll() is None


def test_seqpacket_lines_are_messages(tmp, start, notified):
    srv = start(["listen", "-t", "seqpacket", str(tmp / "s")], notified, stdin=subprocess.PIPE)
    srv.proc.stdin.write(b"first\nsecond\n")
    srv.proc.stdin.close()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(str(tmp / "s"))
    c.settimeout(TIMEOUT)
    assert [c.recv(100), c.recv(100)] == [b"first", b"second"]
    c.send(b"a message")
    c.close()
    assert srv.finish() == (0, b"a message\n", b"")


def test_dgram_both_ways_with_cpython(tmp, start, notified):
    srv = start(["listen", "-t", "dgram", str(tmp / "d")], notified, stdin=subprocess.PIPE)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.bind(str(tmp / "client"))
    c.settimeout(TIMEOUT)
    c.sendto(b"hello datagram", str(tmp / "d"))
    c.sendto(b"second", str(tmp / "d"))
    assert srv.proc.stdout.readline() == b"hello datagram\n"
    assert srv.proc.stdout.readline() == b"second\n"
    srv.proc.stdin.write(b"reply one\nreply two\n")
    srv.proc.stdin.close()
    assert c.recv(100) == b"reply one"
    assert c.recv(100) == b"reply two"
    status, _, err = srv.finish()
    assert (status, err) == (0, b"")
    assert not (tmp / "d").exists()


def test_connect_dgram_to_cpython(tmp):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(f"\0udsock-d-{os.getpid()}")
    s.settimeout(TIMEOUT)
    c = run(["connect", "-t", "dgram", f"@udsock-d-{os.getpid()}"], input=b"a\nbb\n")
    assert c.returncode == 0, c
    got = [s.recvfrom(10), s.recvfrom(10)]
    assert [g[0] for g in got] == [b"a", b"bb"]
    assert got[0][1]  # autobound: the server could reply
