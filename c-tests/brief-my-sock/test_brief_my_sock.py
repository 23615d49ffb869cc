"""001 "Brief": the my_sock server and its client, printed and ported
(doclib.py says how the documents' tests run)."""

import os

import pytest

import doclib
from doclib import BRIEF_LONG, BRIEF_SOCK, read, show, wait_listening

DOC = "brief-my-sock"

# Each program builds; the static ones need no libudsock.so; each pairing
# reproduces the document's transcript.
test_builds, test_static_programs_need_no_shared_library, test_transcript = doclib.document_tests(DOC)


@pytest.mark.parametrize("form", ["original", "ported"])
def test_client_leaves_a_live_servers_socket(rt, programs, form):
    """The original client unlinks socketPath, which is the server's: against
    a server that outlives one client, the next client finds no socket. The
    port's client leaves it alone."""
    run = rt.newdir()
    server = rt.start(run / "server.txt", run, programs(DOC, "tests/serve-forever"), BRIEF_SOCK)
    assert wait_listening(run / BRIEF_SOCK, server), "serve-forever did not listen"
    for _ in range(2):
        rt.run(run / "client.txt", run, programs(DOC, f"{form}/client"))
    rt.stop(server)
    want = {"original": "Server Message\nConnect Failed: No such file or directory\n",
            "ported": "Server Message\nServer Message\n"}[form]
    assert read(run / "client.txt") == want, f"{form} client twice"


def test_sizeof_sockaddr_truncates_a_long_name(rt, programs):
    """bind(..., sizeof(struct sockaddr)) passes 16 bytes: 14 of the path.
    With a 22-byte name the original server binds a truncated name nobody
    connects to; the port binds it whole."""
    short = BRIEF_LONG[:14]
    run = rt.newdir()
    server = rt.start(run / "server.txt", run, programs(DOC, "variants/original-server-long-name"))
    assert wait_listening(run / short, server), \
        f"the original did not bind {short!r}: {show(run / 'server.txt')}"
    st = rt.run(run / "client.txt", run, programs(DOC, "variants/original-client-long-name"))
    rt.stop(server)
    assert (st, read(run / "client.txt")) == (1, "Connect Failed: No such file or directory\n"), \
        "original client: expected ENOENT"

    run = rt.newdir()
    server = rt.start(run / "server.txt", run, programs(DOC, "variants/ported-server-long-name"))
    assert wait_listening(run / BRIEF_LONG, server), \
        f"the port did not bind {BRIEF_LONG!r}: {show(run / 'server.txt')}"
    st = rt.run(run / "client.txt", run, programs(DOC, "variants/ported-client-long-name"))
    rt.wait(server)
    assert (st, read(run / "client.txt"), server.status) == (0, "Server Message\n", 0), \
        "ported: client status, output, server status"
    assert not os.path.lexists(run / short) and not os.path.lexists(run / BRIEF_LONG), \
        "ported: a socket file was left behind"
