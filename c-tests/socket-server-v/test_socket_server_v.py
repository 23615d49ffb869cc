"""000 "How to write a socket server V": wcserver and wcclient, printed and
ported (doclib.py says how the documents' tests run)."""

import os

import doclib
from doclib import read, show

DOC = "socket-server-v"

# Each program builds; the static ones need no libudsock.so; each pairing
# reproduces the document's transcript.
test_builds, test_static_programs_need_no_shared_library, test_transcript = doclib.document_tests(DOC)


def test_long_path_original_refuses_port_serves(rt, programs):
    """A 150-byte path: the original refuses it (its length check, as the
    post says it must), the port serves it."""
    run = rt.newdir()
    d = run / ("d" * 60) / ("e" * 40)
    d.mkdir(parents=True)
    sock = d / "yourfilename"
    st = rt.run(run / "original.txt", run, programs(DOC, "original/wcserver"), sock)
    assert st == 1 and "the filename must be shorter" in read(run / "original.txt"), \
        f"original wcserver: expected its length error, got status {st} {show(run / 'original.txt')}"
    assert not os.path.lexists(sock), "the original created the socket"
    problems, _, _ = doclib.play(rt, programs, DOC, "ported", "ported", sock=sock)
    assert not problems, f"ported, {len(str(sock))}-byte path: " + "\n".join(problems)
