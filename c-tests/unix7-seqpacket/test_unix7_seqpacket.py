"""002 unix(7): the SOCK_SEQPACKET summing server and client, printed and
ported (doclib.py says how the documents' tests run). The bug tests drive
the server with tests/seqpacket-peer, a scripted client (its steps are in
its source) that makes an order of events certain."""

import os

import pytest

import doclib
from doclib import UNIX7_SOCK, read, show, wait_listening

DOC = "unix7-seqpacket"

# Each program builds; the static ones need no libudsock.so; each pairing
# reproduces the document's transcript.
test_builds, test_static_programs_need_no_shared_library, test_transcript = doclib.document_tests(DOC)


def start_server(rt, programs, name):
    run = rt.newdir()
    server = rt.start(run / "server.txt", run, programs(DOC, name))
    assert wait_listening(run / UNIX7_SOCK, server), f"{name} did not listen: {show(run / 'server.txt')}"
    return run, server


def peer(rt, programs, run, *steps):
    return rt.run(run / "peer.txt", run, programs(DOC, "tests/seqpacket-peer"), UNIX7_SOCK, *steps)


@pytest.mark.parametrize("server", ["variants/server-printed-6.04", "original/server", "ported/server"])
def test_printed_server_resets_after_down(rt, programs, server):
    """The printed (6.04) server breaks on DOWN and closes with END unread;
    the client's read of the result then fails with ECONNRESET. The peer
    queues DOWN and END while the server is busy with another client, and
    reads only after the server has hung up. The fixed original and the
    port answer."""
    run, proc = start_server(rt, programs, server)
    peer(rt, programs, run, "c0", "s0:1", "c1", "s1:DOWN", "s1:END", "s0:END", "r0", "h1", "r1")
    rt.wait(proc)
    want = "Result = 1\nResult = 0\n"
    if server.startswith("variants/"):
        want = "Result = 1\nread: Connection reset by peer\n"
    assert read(run / "peer.txt") == want


def test_client_leaving_without_end(rt, programs):
    """The server never checks read() for 0: a client that leaves without
    END makes the original add the last number forever, serving nobody
    else; the port drops that client and serves the next."""
    run, server = start_server(rt, programs, "original/server")
    peer(rt, programs, run, "c0", "s0:3", "x0")
    st = rt.run(run / "client.txt", run, programs(DOC, "original/client"), "DOWN", limit=1)
    rt.stop(server)
    assert st == 124, f"original: expected no answer (timeout), got status {st} {show(run / 'client.txt')}"

    run, server = start_server(rt, programs, "ported/server")
    peer(rt, programs, run, "c0", "s0:3", "x0")
    st = rt.run(run / "client.txt", run, programs(DOC, "original/client"), "DOWN")
    rt.wait(server)
    assert (st, read(run / "client.txt"), server.status) == (0, "Result = 0\n", 0), \
        f"port: server said {show(run / 'server.txt')}"
    assert "without END" in read(run / "server.txt")


@pytest.mark.parametrize("form", ["original", "ported"])
def test_client_hanging_up_before_its_result(rt, programs, form):
    """A client that hangs up before its result: the original server's
    write fails (EPIPE) and it exits, leaving its socket file, so it cannot
    be restarted; the port goes on. The peer hangs up while the server is
    busy with another client, so the order is certain."""
    run, server = start_server(rt, programs, f"{form}/server")
    peer(rt, programs, run, "c0", "s0:3", "c1", "s1:3", "s1:END", "x1", "s0:END", "r0")
    sock = run / UNIX7_SOCK
    if form == "original":
        rt.wait(server)
        assert server.status == 1 and "write: Broken pipe" in read(run / "server.txt") and doclib.listening_file(sock), \
            f"original: expected exit 1 on EPIPE with the socket left, got status {server.status} {show(run / 'server.txt')}"
    else:
        st = rt.run(run / "client.txt", run, programs(DOC, "original/client"), "DOWN")
        rt.wait(server)
        assert (st, read(run / "client.txt"), server.status) == (0, "Result = 0\n", 0), \
            f"port: server said {show(run / 'server.txt')}"
        assert not os.path.lexists(sock)
    assert read(run / "peer.txt") == "Result = 3\n", f"{form}: the first client's answer"


@pytest.mark.parametrize("form", ["original", "ported"])
def test_server_hanging_up_without_a_result(rt, programs, form):
    """The client does not check read() for 0 either: a server that hangs
    up without a result makes the original print "Result = END" (its own
    request) and succeed; the port reports it."""
    run = rt.newdir()
    fixture = rt.start(run / "fixture.txt", run, programs(DOC, "tests/seqpacket-peer"), UNIX7_SOCK,
                       "l", "a0", "w0:END", "x0")
    assert wait_listening(run / UNIX7_SOCK, fixture), "the fixture did not listen"
    st = rt.run(run / "client.txt", run, programs(DOC, f"{form}/client"), "3")
    rt.wait(fixture)
    want = (0, "Result = END\n") if form == "original" else (1, "client: the server hung up without a result\n")
    assert (st, read(run / "client.txt")) == want
