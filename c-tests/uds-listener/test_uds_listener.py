"""003 "Unix Domain Sockets": listener and test_client, printed and ported
(doclib.py says how the documents' tests run)."""

import os
import signal

import pytest

import doclib
from doclib import listening, poll, read, show, wait_lines, wait_listening

DOC = "uds-listener"
CLOSED = "Client socket was closed by peer"

# Each program builds; the static ones need no libudsock.so; each pairing
# reproduces the document's transcript.
test_builds, test_static_programs_need_no_shared_library, test_transcript = doclib.document_tests(DOC)


@pytest.mark.parametrize("form", ["original", "ported"])
def test_sigterm_ends_gracefully(rt, programs, form):
    """SIGTERM, like Ctrl-C, ends the listener gracefully: it logs, exits 0
    and unlinks its socket."""
    run = rt.newdir()
    sock = run / "sock1"
    listener = rt.start(run / "listener.txt", run, programs(DOC, f"{form}/listener"), sock)
    assert wait_listening(sock, listener), f"{form} listener did not listen"
    rt.run(run / "client.txt", run, programs(DOC, f"{form}/test_client"), sock, "hello")
    wait_lines(run / "listener.txt", CLOSED, 1, listener)
    listener.popen.send_signal(signal.SIGTERM)
    rt.wait(listener)
    log = read(run / "listener.txt")
    assert listener.status == 0 and not os.path.lexists(sock) and \
        log.rstrip("\n").splitlines()[-1:] == ["[LISTENER] INFO  Terminating service"], \
        f"{form}: status {listener.status}, socket {'left' if os.path.lexists(sock) else 'removed'}, log {show(run / 'listener.txt')}"


@pytest.mark.parametrize("form", ["original", "ported"])
def test_long_path(rt, programs, form):
    """strncpy(sun_path, path, SOCKET_NAME_MAX_LEN) truncates a 160-byte
    path silently: the original binds (and leaves behind) a socket at a
    name that is not the one it was given. The port binds the real path and
    removes it."""
    run = rt.newdir()
    (run / ("a" * 60)).mkdir()
    sock = str(run / ("a" * 60) / ("b" * 60)) + ".sock"
    short = sock[:107]
    listener = rt.start(run / "listener.txt", run, programs(DOC, f"{form}/listener"), sock)
    if form == "original":
        assert wait_listening(short, listener), \
            f"the original did not bind the truncated name: {show(run / 'listener.txt')}"
    else:
        assert wait_listening(sock, listener), \
            f"the port did not bind the {len(sock)}-byte path: {show(run / 'listener.txt')}"
    rt.run(run / "client.txt", run, programs(DOC, f"{form}/test_client"), sock, "hello")
    wait_lines(run / "listener.txt", CLOSED, 1, listener)
    listener.popen.send_signal(signal.SIGTERM)
    rt.wait(listener)
    assert "Got back: Got your message" in read(run / "client.txt"), f"{form} client: {show(run / 'client.txt')}"
    if form == "original":
        assert doclib.listening_file(short) and not os.path.lexists(sock), \
            "original: expected the truncated socket left behind"
    else:
        assert not os.path.lexists(short) and not os.path.lexists(sock) and listener.status == 0, \
            f"port: status {listener.status} or a socket file left behind"


@pytest.mark.parametrize("form", ["original", "ported"])
def test_second_listener_on_a_live_path(rt, programs, form):
    """The listener unlinks its path before bind, whatever is there: a second
    original listener started by mistake takes the path from a live one.
    The port replaces only a stale socket and refuses a live one
    (EADDRINUSE)."""
    run = rt.newdir()
    sock = run / "sock1"
    first = rt.start(run / "first.txt", run, programs(DOC, "ported/listener"), sock)
    assert wait_listening(sock, first), "the first listener did not listen"
    ino = os.stat(sock).st_ino
    if form == "original":
        second = rt.start(run / "second.txt", run, programs(DOC, "original/listener"), sock)

        def replaced():
            try:
                return os.stat(sock).st_ino != ino and listening(sock, 2)
            except OSError:
                return False
        poll(replaced)
    else:
        st = rt.run(run / "second.txt", run, programs(DOC, "ported/listener"), sock)
        assert st == 1 and "in use" in read(run / "second.txt").lower(), \
            f"port: expected the second listener to fail with EADDRINUSE, got status {st} {show(run / 'second.txt')}"
    rt.run(run / "client.txt", run, programs(DOC, "ported/test_client"), sock, "who answers")
    rt.stop(first)
    if form == "original":
        rt.stop(second)
        assert "Incoming message: who answers" in read(run / "second.txt"), \
            f"original: the second listener did not take over: {show(run / 'second.txt')}"
    else:
        assert "Incoming message: who answers" in read(run / "first.txt"), \
            f"port: the first listener lost its clients: {show(run / 'first.txt')}"
