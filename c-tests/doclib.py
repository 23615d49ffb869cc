"""The documents' example programs: how they are built and played.

Each document has a folder under c-tests/ with its programs as printed
(original/), as ported to udsock.h (ported/), the transcripts the document
prints or describes (expected/), small fixtures (tests/) and its tests
(test_*.py). The tests build every program, play the document's session
with every server/client pairing (original and ported on either side, and
the port linked statically) against its transcript, byte for byte, and
show each bug of the printed programs: the port gives a clean error where
the original misbehaves. `make demo` (docs_demo.py) plays the ported
sessions live.

The documents' programs announce nothing when they are ready: a server is
ready once /proc/net/unix lists its socket as listening, which is polled
(every 10 ms, at most 3 s). Every program runs in a private directory,
under a time limit, and is stopped by its pid.
"""

import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import cbuild

DOCS = cbuild.HERE
BUILD = cbuild.BUILD / "docs"
DOCUMENTS = ["socket-server-v", "brief-my-sock", "unix7-seqpacket", "uds-listener", "alp-sockets"]

# The socket names compiled into the programs whose path is fixed: relative,
# so that the programs, run in a private directory, bind there.
BRIEF_SOCK = "my_sock"
BRIEF_LONG = "brief-socket.long-name"  # 22 bytes: more than the 14 a 16-byte struct sockaddr holds
UNIX7_SOCK = "9Lq7BNBnBycd6nxy.socket"

STRICT = cbuild.STRICT + ["-D_POSIX_C_SOURCE=200809L"]
# The originals are old code: build them as they are, quietly.
LOOSE = ["-w", "-Wno-error=incompatible-pointer-types", "-Wno-error=implicit-function-declaration",
         "-Wno-error=int-conversion"]

TIMEOUT = 10  # seconds any one program may run


def _q(s):
    return f'-D{s[0]}="{s[1]}"'


BRIEF = [_q(("SOCKET_PATH", BRIEF_SOCK))]
BRIEF_LONG_DEF = [_q(("SOCKET_PATH", BRIEF_LONG))]
UNIX7 = [_q(("SOCKET_NAME", UNIX7_SOCK))]


def _forms(progs, defs=()):
    """original/P, ported/P and ported-static/P for each program P."""
    out = {}
    for p in progs:
        for form in ("original", "ported", "ported-static"):
            out[f"{form}/{p}"] = (form, f"{p}.c", list(defs))
    return out


# What each document's programs are: build name -> (how, source, defines).
# how: original, ported, ported-static (the port with libudsock.a), or a
# fixture (tests/, plain C). Variants: a program built with other defines.
PROGRAMS = {
    "socket-server-v": _forms(["wcserver", "wcclient"]),
    "brief-my-sock": {
        **_forms(["server", "client"], BRIEF),
        "variants/original-server-long-name": ("original", "server.c", BRIEF_LONG_DEF),
        "variants/ported-server-long-name": ("ported", "server.c", BRIEF_LONG_DEF),
        "variants/original-client-long-name": ("original", "client.c", BRIEF_LONG_DEF),
        "variants/ported-client-long-name": ("ported", "client.c", BRIEF_LONG_DEF),
        "tests/serve-forever": ("fixture", "serve-forever.c", []),
    },
    "unix7-seqpacket": {
        **_forms(["server", "client"], UNIX7),
        "variants/server-printed-6.04": ("original", "server.c", UNIX7 + ["-DPRINTED_6_04"]),
        "tests/seqpacket-peer": ("fixture", "seqpacket-peer.c", []),
    },
    "uds-listener": _forms(["listener", "test_client"]),
    "alp-sockets": {
        **_forms(["socket-server", "socket-client", "socketpair"]),
        "variants/socket-server-printed": ("original", "socket-server.c", ["-DPRINTED_USE_AFTER_FREE"]),
        "tests/raw-frame": ("fixture", "raw-frame.c", []),
    },
}


class BuildFailed(Exception):
    pass


class Programs:
    """A document's programs, each built once on first use into
    build/docs/DOC/NAME; a failed build raises BuildFailed with the
    compiler's output."""

    def __init__(self):
        self.built = {}

    def __call__(self, doc, name):
        key = (doc, name)
        if key not in self.built:
            how, src, defs = PROGRAMS[doc][name]
            d = DOCS / doc
            if how == "original":
                args = LOOSE + defs + [d / "original" / src]
            elif how == "fixture":
                args = STRICT + ["-D_GNU_SOURCE", d / "tests" / src]
            else:
                link = "static" if how == "ported-static" else "dynamic"
                args = STRICT + defs + cbuild.cflags() + [d / "ported" / src] + cbuild.libs(link)
            out = BUILD / doc / name
            ok, log = cbuild.compile_c(args, out)
            self.built[key] = (out if ok else None, log)
        out, log = self.built[key]
        if out is None:
            raise BuildFailed(f"{doc}/{name} does not build:\n{log}")
        return out

    def dir(self, doc, form, names):
        """Builds NAMES of FORM (original, ported, ported-static); their
        directory."""
        for n in names:
            self(doc, f"{form}/{n}")
        return BUILD / doc / form


# ---- running programs ------------------------------------------------------

class Proc:
    def __init__(self, popen, out):
        self.popen, self.out, self.pid = popen, out, popen.pid

    def alive(self):
        return self.popen.poll() is None

    @property
    def status(self):
        """The exit status as a shell shows it: 128+N for signal N."""
        rc = self.popen.returncode
        return 128 - rc if rc is not None and rc < 0 else rc


class Runner:
    """Starts programs in private directories below one temporary
    directory, output (stdout line-buffered, as on a terminal, and stderr)
    appended to a file; stops what is still running at cleanup."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="udsock-docs."))
        self.procs = []

    def newdir(self, tag="run"):
        return Path(tempfile.mkdtemp(prefix=tag + ".", dir=self.root))

    def _popen(self, cmd, cwd, out, stdin):
        with open(out, "ab") as fh:
            return subprocess.Popen(["stdbuf", "-oL"] + [str(c) for c in cmd], cwd=cwd, stdout=fh,
                                    stderr=subprocess.STDOUT, stdin=stdin)

    def start(self, out, cwd, *cmd):
        """CMD in the background, standard input /dev/null."""
        p = Proc(self._popen(cmd, cwd, out, subprocess.DEVNULL), out)
        self.procs.append(p)
        return p

    def run(self, out, cwd, *cmd, input=None, limit=TIMEOUT):
        """CMD to its end; its status (124 if it ran LIMIT seconds and was
        stopped, as timeout(1) reports it)."""
        p = self._popen(cmd, cwd, out, subprocess.PIPE if input is not None else subprocess.DEVNULL)
        try:
            p.communicate(input.encode() if input is not None else None, timeout=limit)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return 124
        return 128 - p.returncode if p.returncode < 0 else p.returncode

    def wait(self, proc, limit=5.0):
        """Waits for PROC to end; False (and stops it) if it did not."""
        try:
            proc.popen.wait(timeout=limit)
            return True
        except subprocess.TimeoutExpired:
            self.stop(proc)
            return False

    def stop(self, proc):
        if proc.alive():
            proc.popen.send_signal(signal.SIGTERM)
        try:
            proc.popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait()

    def cleanup(self):
        for p in self.procs:
            self.stop(p)
        self.procs = []
        shutil.rmtree(self.root, ignore_errors=True)


def listening(path, count=1):
    """Whether a socket file is at PATH and /proc/net/unix lists COUNT
    listening sockets (flags 00010000) bound to its name. The kernel lists
    the name as bound (PATH, a relative name, or a /proc/self/fd/N/NAME
    alias for a long path), so the last component is compared."""
    try:
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            return False
    except OSError:
        return False
    base = os.path.basename(str(path))
    n = 0
    with open("/proc/net/unix") as fh:
        next(fh)
        for line in fh:
            f = line.split()
            if len(f) >= 8 and f[3] == "00010000" and (f[7] == base or f[7].endswith("/" + base)):
                n += 1
    return n >= count


def listening_file(path):
    """Whether a socket file is at PATH (listening or not)."""
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def poll(cond, proc=None, polls=300):
    """Polls COND every 10 ms (at most POLLS times); gives up early when
    PROC has ended (COND then gets one last look)."""
    for _ in range(polls):
        if cond():
            return True
        if proc is not None and not proc.alive():
            return cond()
        time.sleep(0.01)
    return False


def wait_listening(path, proc):
    return poll(lambda: listening(path), proc)


def wait_lines(path, text, count, proc=None):
    """Polls until the file at PATH holds COUNT lines containing TEXT."""
    return poll(lambda: sum(text in line for line in read(path).splitlines()) >= count, proc)


def read(path):
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return ""


def show(path):
    """A file's first 300 bytes on one line, quoted, for a failure message."""
    t = read(path)[:300]
    return repr(t.rstrip("\n").replace("\n", "|")) if t else "(no output)"


# ---- the documents' sessions ------------------------------------------------
#
# Each plays the document's session with the server from directory SD and
# the client(s) from CD, writing what each terminal shows into OUT (the
# command as the document typed it, then the program's output), and
# returns the transcripts' file names. A session that cannot be played, or
# whose programs' exits or socket files are not as the document says,
# raises Broken with the reason (and the files written so far).

class Broken(Exception):
    def __init__(self, why, files):
        super().__init__(why)
        self.files = files


def write(path, text, mode="w"):
    with open(path, mode) as fh:
        fh.write(text)


def start_server(rt, log, run, exe, sock, files, *args):
    """Starts a document's server (its terminal: log) and waits until it
    listens on sock; one that does not is stopped and reported."""
    pid = rt.start(log, run, exe, *args)
    if not wait_listening(sock, pid):
        rt.stop(pid)
        raise Broken(f"{exe.name} did not listen: {show(log)}", files)
    return pid


def run_clients(rt, log, run, exe, sock, messages, prompt, files, pid):
    """Runs the client once per message, each command line shown in log
    after `prompt`; a client that fails stops the server and is reported."""
    write(log, "")
    for msg in messages:
        write(log, f'{prompt} ./{exe.name} /tmp/{sock.name} "{msg}"\n', "a")
        st = rt.run(log, run, exe, sock, msg)
        if st != 0:
            rt.stop(pid)
            raise Broken(f"{exe.name} exited with status {st}: {show(log)}", files)


def server_ended(rt, pid, name, how, sock, files):
    """Checks that the server ended (`how`: on what), with status 0 and
    without leaving its socket file behind."""
    if not rt.wait(pid):
        raise Broken(f"{name} did not end {how}", files)
    if pid.status != 0:
        raise Broken(f"{name} exited with status {pid.status} {how}", files)
    if os.path.lexists(sock):
        raise Broken(f"{name} left its socket file behind", files)


def session_socket_server_v(rt, sd, cd, out, sock=None):
    """000: ./wcserver FILE in one terminal, a message piped to ./wcclient
    FILE in another. SOCK overrides the file name."""
    files = ["wcserver.txt", "wcclient.txt"]
    run = rt.newdir()
    sock = str(sock or run / "yourfilename")
    S, C = out / files[0], out / files[1]
    write(S, "$ ./wcserver /tmp/yourfilename\n")
    pid = start_server(rt, S, run, sd / "wcserver", sock, files, sock)
    write(C, '$ echo "Hello, server" | ./wcclient /tmp/yourfilename\n')
    st = rt.run(C, run, cd / "wcclient", sock, input="Hello, server\n")
    server_ended(rt, pid, "wcserver", "after its client", sock, files)
    if st != 0:
        raise Broken(f"wcclient exited with status {st}", files)
    return files


def session_brief_my_sock(rt, sd, cd, out):
    """001: ./server, then ./client, both on the compiled-in socket path."""
    files = ["server.txt", "client.txt"]
    run = rt.newdir()
    S, C = out / files[0], out / files[1]
    write(S, "$ ./server\n")
    pid = start_server(rt, S, run, sd / "server", run / BRIEF_SOCK, files)
    write(C, "$ ./client\n")
    st = rt.run(C, run, cd / "client")
    server_ended(rt, pid, "server", "after its client", run / BRIEF_SOCK, files)
    if st != 0:
        raise Broken(f"client exited with status {st}", files)
    return files


def session_unix7_seqpacket(rt, sd, cd, out):
    """002: the man page's "Example output", played in one terminal: the
    server in the background, the client three times, the server ending
    on DOWN."""
    files = ["example-output.txt"]
    run = rt.newdir()
    t = out / files[0]
    write(t, "$ ./server &\n")
    pid = rt.start(t, run, sd / "server")
    write(t, f"[1] {pid.pid}\n", "a")
    if not wait_listening(run / UNIX7_SOCK, pid):
        rt.stop(pid)
        raise Broken(f"server did not listen: {show(t)}", files)
    for args in (["3", "4"], ["11", "-5"], ["DOWN"]):
        write(t, f"$ ./client {' '.join(args)}\n", "a")
        st = rt.run(t, run, cd / "client", *args)
        if st != 0:
            rt.stop(pid)
            raise Broken(f"client {' '.join(args)} exited with status {st}: {show(t)}", files)
    if not rt.wait(pid):
        raise Broken("the server did not end on DOWN", files)
    write(t, "[1]+ Done ./server\n" if pid.status == 0 else f"[1]+ Exit {pid.status} ./server\n", "a")
    write(t, "$\n", "a")
    if os.path.lexists(run / UNIX7_SOCK):
        raise Broken("the socket file was left behind", files)
    return files


def session_uds_listener(rt, sd, cd, out):
    """003: the listener in one terminal, two test_client runs in another,
    then Ctrl-C in the listener's terminal (the terminal echoes "^C")."""
    files = ["listener.txt", "test_client.txt"]
    run = rt.newdir()
    sock = run / "sock1"
    L, C = out / files[0], out / files[1]
    write(L, "$ ./listener /tmp/sock1\n")
    pid = start_server(rt, L, run, sd / "listener", sock, files, sock)
    run_clients(rt, C, run, cd / "test_client", sock, ("Test this string", "Take another one"), "$", files, pid)
    if not wait_lines(L, "Client socket was closed by peer", 2, pid):
        rt.stop(pid)
        raise Broken(f"the listener did not log both clients: {show(L)}", files)
    write(L, "^C", "a")
    pid.popen.send_signal(signal.SIGINT)
    server_ended(rt, pid, "the listener", "on SIGINT", sock, files)
    return files


def session_alp_sockets(rt, sd, cd, out):
    """004: ./socket-server in one terminal, ./socket-client three times in
    another, the last message "quit"."""
    files = ["socket-server.txt", "socket-client.txt"]
    run = rt.newdir()
    sock = run / "socket"
    S, C = out / files[0], out / files[1]
    write(S, "% ./socket-server /tmp/socket\n")
    pid = start_server(rt, S, run, sd / "socket-server", sock, files, sock)
    run_clients(rt, C, run, cd / "socket-client", sock, ("Hello, world.", "This is a test.", "quit"), "%", files, pid)
    server_ended(rt, pid, "socket-server", 'on "quit"', sock, files)
    return files


def session_alp_socketpair(rt, sd, cd, out):
    """004, section 5.5.7: one program, parent and child over a socket pair."""
    files = ["socketpair.txt"]
    run = rt.newdir()
    write(out / files[0], "% ./socketpair\n")
    st = rt.run(out / files[0], run, sd / "socketpair")
    if st != 0:
        raise Broken(f"socketpair exited with status {st}", files)
    return files


# session name -> (play, document, programs of the server side, of the client side)
SESSIONS = {
    "socket-server-v": (session_socket_server_v, "socket-server-v", ["wcserver"], ["wcclient"]),
    "brief-my-sock": (session_brief_my_sock, "brief-my-sock", ["server"], ["client"]),
    "unix7-seqpacket": (session_unix7_seqpacket, "unix7-seqpacket", ["server"], ["client"]),
    "uds-listener": (session_uds_listener, "uds-listener", ["listener"], ["test_client"]),
    "alp-sockets": (session_alp_sockets, "alp-sockets", ["socket-server"], ["socket-client"]),
    "alp-socketpair": (session_alp_socketpair, "alp-sockets", ["socketpair"], []),
}


def normalize(text):
    """Transcripts are compared byte for byte, except for the pid the shell
    prints for a background job ("[1] 25887"), which cannot repeat."""
    return re.sub(r"(?m)^\[1\] [0-9]+$", "[1] PID", text)


def play(rt, programs, session, server_form, client_form, out=None, **kw):
    """Builds and plays SESSION (KW goes to its function); returns
    (problems, out directory, files): problems is empty when the session
    went as the document says and every transcript matches it."""
    fn, doc, sprogs, cprogs = SESSIONS[session]
    sd = programs.dir(doc, server_form, sprogs)
    cd = programs.dir(doc, client_form, cprogs)
    out = out or rt.newdir("out")
    problems = []
    try:
        files = fn(rt, sd, cd, out, **kw)
    except Broken as e:
        problems.append(str(e))
        files = e.files
    expected = DOCS / doc / "expected"
    for f in files:
        if not (out / f).exists():
            problems.append(f"no {f} was produced")
        elif normalize(read(out / f)) != normalize(read(expected / f)):
            problems.append(f"{f} differs from the document:\n" + diff(expected / f, out / f))
    return problems, out, files


def diff(expected, got):
    import difflib
    return "".join(difflib.unified_diff(normalize(read(expected)).splitlines(True),
                                        normalize(read(got)).splitlines(True),
                                        f"expected ({expected.relative_to(cbuild.ROOT)})", "got"))


# Every pairing of a document's session: original and ported on either
# side, and both ported programs linked with libudsock.a.
PAIRINGS = [("original", "original"), ("original", "ported"), ("ported", "original"),
            ("ported", "ported"), ("ported-static", "ported-static")]
PAIRING_IDS = [f"{s}-server-{c}-client" if s != "ported-static" else "static" for s, c in PAIRINGS]


def check_static(programs, doc):
    """The ported programs linked with libudsock.a do not need libudsock.so."""
    bad = []
    for name in PROGRAMS[doc]:
        if name.startswith("ported-static/") and cbuild.needs_shared_library(programs(doc, name)):
            bad.append(name)
    assert not bad, f"linked to the shared library: {bad}"


def check_transcript(rt, programs, session, server, client):
    problems, _, _ = play(rt, programs, session, server, client)
    assert not problems, "\n".join(problems)


def document_tests(doc):
    """The tests every document has, for its test file to bind by name:
    each program builds; the static ones need no libudsock.so; each
    pairing reproduces the document's transcript."""
    import pytest

    @pytest.mark.parametrize("name", PROGRAMS[doc])
    def test_builds(programs, name):
        programs(doc, name)

    def test_static_programs_need_no_shared_library(programs):
        check_static(programs, doc)

    @pytest.mark.parametrize("server,client", PAIRINGS, ids=PAIRING_IDS)
    def test_transcript(rt, programs, server, client):
        check_transcript(rt, programs, doc, server, client)

    return test_builds, test_static_programs_need_no_shared_library, test_transcript
