"""The installed manual pages: one per exported function, the tool's page
covering every subcommand, all rendering cleanly with man -l."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import UDSOCK, need

MANDIR = Path(os.environ.get("UDS_MANDIR", "/nonexistent"))
LIBDIR = Path(os.environ.get("UDS_LIBDIR", "/nonexistent"))
ROOT = Path(os.environ.get("UDSOCK_ROOT", Path(__file__).resolve().parents[2]))


@pytest.fixture(autouse=True)
def staged():
    if not MANDIR.is_dir():
        pytest.skip("no staged install: run make stage")


def exported():
    out = subprocess.run(["nm", "-D", "--defined-only", str(LIBDIR / "libudsock.so")], capture_output=True,
                         text=True, check=True).stdout
    # Versioned exports read "uds_x@@UDSOCK_0": the name is before the "@".
    names = (l.split()[2].split("@")[0] for l in out.splitlines() if len(l.split()) == 3)
    return {n for n in names if n.startswith("uds_")}


def declared():
    header = (ROOT / "include/udsock.h").read_text()
    return set(re.findall(r"^[a-z][^(]*?[ *](uds_\w+)\(", header, re.M))


def render(page):
    need("man")
    r = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", (page, r.stderr)
    # Plain text: no overstrike bold/underline, no hyphenation at a width of 200.
    return re.sub(".\b", "", r.stdout)


def test_every_exported_function_has_a_page():
    funcs = exported() | declared()
    assert len(funcs) > 40
    missing = sorted(f for f in funcs if not (MANDIR / "man3" / f"{f}.3").is_file())
    assert missing == []


def test_function_pages_render_with_their_documentation():
    for page in sorted((MANDIR / "man3").glob("uds_*.3")):
        text = render(page)
        name = page.stem
        assert re.search(rf"^NAME\n\s+{name}\s+-\s+\S", text, re.M), (name, text[:300])
        assert "#include <udsock.h>" in text
        assert re.search(rf"\b{name}\(", text.split("DESCRIPTION")[0]), name
        assert "libudsock(7)" in text
    text = render(MANDIR / "man3/uds_send_fds.3")
    assert "UDS_MAX_FDS" in text and "EBADF" in text


def test_libudsock_7_has_conventions_and_pitfalls():
    text = render(MANDIR / "man7/libudsock.7")
    for heading in ("CONVENTIONS", "FUNCTIONS", "PITFALLS", "SEE ALSO"):
        assert f"\n{heading}\n" in text, heading
    assert "close-on-exec" in text and "SIGPIPE" in text and "sun_path" in text


def test_udsock_1_covers_every_subcommand():
    text = render(MANDIR / "man1/udsock.1")
    helptext = subprocess.run([UDSOCK, "--help"], capture_output=True, text=True).stdout
    commands = re.findall(r"^  ([a-z][a-z-]+)  ", helptext.split("Commands:")[1], re.M)
    assert {"listen", "connect", "send-fd", "recv-fd", "peer", "activate", "notify"} <= set(commands)
    for c in commands:
        if c != "help":
            assert f"UDSOCK {c.upper().replace('-', ' ')}" in text, c
    assert "--replace-stale" in text and "listen-fd:NAME" in text
