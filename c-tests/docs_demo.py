#!/usr/bin/env python3
"""The body of `make demo`: for each document, builds its programs as
ported to udsock.h, plays the document's session live (doclib.py) and
prints the transcript the document expects beside the one just produced.
Ends with "N of N documents reproduced"; exits 0 only if all were. The
tests of the same sessions are c-tests/<document>/test_*.py."""

import subprocess
import sys
import tempfile
from pathlib import Path

import cbuild
import doclib

TITLES = {
    "socket-server-v": '000 "How to write a socket server V": wcserver and wcclient (reconstructed; the post prints no transcript)',
    "brief-my-sock": '001 "Brief": the my_sock server and its client (the page prints no transcript; it says what they print)',
    "unix7-seqpacket": '002 unix(7): the SOCK_SEQPACKET summing server and client, its "Example output"',
    "uds-listener": '003 "Unix Domain Sockets": listener and test_client, its "Execution example"',
    "alp-sockets": '004 Advanced Linux Programming 5.5: socket-server and socket-client (5.5.5), a socket pair (5.5.7)',
}


def side_by_side(expected, got):
    """Two columns, as diff -y shows them: "|" marks a differing line, "<"
    or ">" a missing one."""
    with tempfile.TemporaryDirectory() as d:
        a, b = Path(d) / "a", Path(d) / "b"
        a.write_text(doclib.normalize(doclib.read(expected)))
        b.write_text(doclib.normalize(doclib.read(got)))
        cols = subprocess.run(["diff", "-y", "-t", "-W", "150", a, b], capture_output=True, text=True).stdout
    print(f"    {'expected: ' + str(expected.relative_to(cbuild.ROOT)):<70}   produced")
    for line in cols.splitlines():
        print("    " + line)


def main():
    cbuild.load_stage_env()
    version = subprocess.run(["pkg-config", "--modversion", "udsock"], capture_output=True, text=True).stdout.strip()
    print(f"libudsock {version}: the documents' programs, ported to udsock.h, run live")
    programs, rt = doclib.Programs(), doclib.Runner()
    reproduced = 0
    try:
        for doc in doclib.DOCUMENTS:
            print(f"\n== {TITLES[doc]}")
            print(f"   c-tests/{doc}/ported/, built with pkg-config, socket in a private directory")
            ok = True
            for session in [doc] + (["alp-socketpair"] if doc == "alp-sockets" else []):
                try:
                    problems, out, files = doclib.play(rt, programs, session, "ported", "ported")
                except doclib.BuildFailed as e:
                    print("   " + str(e).replace("\n", "\n   "))
                    ok = False
                    break
                ok = ok and not problems
                for f in files:
                    print()
                    side_by_side(doclib.DOCS / doclib.SESSIONS[session][1] / "expected" / f, out / f)
                if session == "unix7-seqpacket":
                    print("    (the job's pid, 25887 in the man page, cannot repeat: it is compared as PID)")
                for p in problems:
                    if "differs" not in p:
                        print(f"    ({p})")
            print("\n   reproduced" if ok else "\n   NOT reproduced")
            reproduced += ok
    finally:
        rt.cleanup()
    print(f"\n{reproduced} of {len(doclib.DOCUMENTS)} documents reproduced")
    return 0 if reproduced == len(doclib.DOCUMENTS) else 1


if __name__ == "__main__":
    sys.exit(main())
