"""004 Advanced Linux Programming 5.5: socket-server and socket-client
(5.5.5), a socket pair (5.5.7), printed and ported (doclib.py says how the
documents' tests run)."""

import os

import pytest

import doclib
from doclib import read, show, wait_lines, wait_listening

DOC = "alp-sockets"

# Each program builds; the static ones need no libudsock.so; each pairing
# reproduces the document's transcript.
test_builds, test_static_programs_need_no_shared_library, test_transcript = doclib.document_tests(DOC)


@pytest.mark.parametrize("form", ["original", "ported"])
def test_socketpair_transcript(rt, programs, form):
    doclib.check_transcript(rt, programs, "alp-socketpair", form, form)


def start_server(rt, programs, name):
    run = rt.newdir()
    sock = run / "socket"
    server = rt.start(run / "server.txt", run, programs(DOC, name), sock)
    assert wait_listening(sock, server), f"{name} did not listen: {show(run / 'server.txt')}"
    return run, sock, server


@pytest.mark.parametrize("server", ["variants/socket-server-printed", "original/socket-server",
                                    "ported/socket-server"])
def test_use_after_free_never_sees_quit(rt, programs, server):
    """The printed server frees the text, then compares it with "quit": on
    current glibc the free has overwritten it, and the server never ends.
    The fixed original and the port end on "quit"."""
    run, sock, proc = start_server(rt, programs, server)
    client = programs(DOC, "original/socket-client")
    rt.run(run / "client.txt", run, client, sock, "quit")
    if server.startswith("variants/"):
        # Still serving after "quit": it prints the next message.
        rt.run(run / "client.txt", run, client, sock, "still serving")
        assert wait_lines(run / "server.txt", "still serving", 1, proc), \
            f"the printed server did not serve after quit: {show(run / 'server.txt')}"
        rt.stop(proc)
    else:
        assert rt.wait(proc) and proc.status == 0 and not os.path.lexists(sock), \
            f"{server} did not end cleanly on quit (status {proc.status})"


@pytest.mark.parametrize("form", ["original", "ported"])
def test_huge_length_prefix(rt, programs, form):
    """The server trusts the length prefix: 2 GiB (INT_MIN as an int) makes
    malloc fail, and the NULL text is printed and compared: the original
    crashes, its socket file left behind. The port reports the oversized
    message, drops that client and serves the next."""
    run, sock, server = start_server(rt, programs, f"{form}/socket-server")
    rt.run(run / "raw.txt", run, programs(DOC, "tests/raw-frame"), sock, "2147483648", "hi")
    if form == "original":
        rt.wait(server)
        assert server.status >= 128 and doclib.listening_file(sock), \
            f"original: expected a crash leaving the socket, got status {server.status} {show(run / 'server.txt')}"
    else:
        rt.run(run / "client.txt", run, programs(DOC, "original/socket-client"), sock, "quit")
        rt.wait(server)
        log = read(run / "server.txt")
        assert server.status == 0 and not os.path.lexists(sock) and log.rstrip("\n").splitlines()[-1:] == ["quit"] \
            and any(line.startswith("socket-server: ") for line in log.splitlines()), \
            f"port: status {server.status} {show(run / 'server.txt')}"


def test_client_with_no_server(rt, programs):
    """The client checks nothing: with no server the original "succeeds",
    its message lost, saying nothing. The port says why it failed."""
    run = rt.newdir()
    st = rt.run(run / "original.txt", run, programs(DOC, "original/socket-client"), run / "socket", "hello")
    assert (st, read(run / "original.txt")) == (0, ""), "original: expected a silent status 0"
    st = rt.run(run / "ported.txt", run, programs(DOC, "ported/socket-client"), run / "socket", "hello")
    assert st == 1 and any(line.startswith("socket-client: ") for line in read(run / "ported.txt").splitlines()), \
        f"port: expected status 1 and a message, got {st} {show(run / 'ported.txt')}"
