"""pytest runs every test under c-tests/:

- each C program c-tests/unit/test_*.c and c-tests/reliability/*.c is a
  test, built against the staged install through pkg-config and run;
  unit tests once linked dynamically and once statically
  (`unit/test_bind.c::dynamic`, `::static`). Its assertions are check.h's
  CHECK macros; it prints "N passed, M failed" and exits 0 only when
  nothing failed. Exit status 77 means it cannot run here: a skip, its
  last line the reason. On failure, its output is the report.
- the documents' programs (c-tests/<document>/test_*.py, see doclib.py).

    pytest c-tests                      everything (make stage first)
    pytest c-tests -k test_registry     one C test, both links
    pytest c-tests --sanitize           built with ASan/UBSan (dynamic only)
    pytest c-tests --valgrind           run under valgrind memcheck
    pytest c-tests/reliability --full   the full sizes (make check-reliability)
    pytest c-tests -rP                  also the output of passing tests
                                        (the reliability tests' figures)

A new c-tests/unit/test_*.c is picked up by its name: nothing to register.
"""

import os
import re
import resource
import signal
import subprocess

import pytest

import cbuild
import doclib

UNIT = cbuild.HERE / "unit"
RELIABILITY = cbuild.HERE / "reliability"
SKIP_STATUS = 77

SANITIZE = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all", "-g"]
# --fair-sched: valgrind runs one thread at a time, and its default lock
# lets a thread that spins in system calls starve the others.
VALGRIND = ["valgrind", "-q", "--fair-sched=yes", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", "--track-fds=no"]


def pytest_addoption(parser):
    g = parser.getgroup("udsock", "the C tests (c-tests/conftest.py)")
    g.addoption("--sanitize", action="store_true",
                help="build the C tests with -fsanitize=address,undefined (dynamic link only)")
    g.addoption("--valgrind", action="store_true",
                help="run the C tests under valgrind memcheck (dynamic link only)")
    g.addoption("--full", action="store_true",
                help="the reliability tests at the full sizes of SECURITY.md")


def pytest_configure(config):
    try:
        cbuild.load_stage_env()
    except cbuild.StageMissing as e:
        raise pytest.UsageError(str(e))
    # A crashing program (a document's original, on purpose) leaves no core.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def mode(config):
    if config.getoption("--sanitize"):
        return "sanitize"
    if config.getoption("--valgrind"):
        return "valgrind"
    return "full" if config.getoption("--full") else "plain"


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".c":
        return None
    if (file_path.parent == UNIT and file_path.name.startswith("test_")) or file_path.parent == RELIABILITY:
        return CProgram.from_parent(parent, path=file_path)
    return None


class CProgram(pytest.File):
    def collect(self):
        m = mode(self.config)
        unit = self.path.parent == UNIT
        for link in ("dynamic", "static") if unit and m in ("plain", "full") else ("dynamic",):
            yield CTest.from_parent(self, name=link, link=link, unit=unit)


class CFailed(Exception):
    def __init__(self, what, output):
        super().__init__(what)
        self.what, self.output = what, output


def indent(text):
    # Indented, so that the program's own "N passed, M failed" line is
    # never read as a runner's summary (tools/tally.sh).
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())


class CTest(pytest.Item):
    def __init__(self, *, link, unit, **kw):
        super().__init__(**kw)
        self.link, self.unit = link, unit

    def runtest(self):
        m = mode(self.config)
        name = self.path.stem
        out = cbuild.BUILD / "c-tests" / m / self.path.parent.name / f"{name}-{self.link}"
        flags = list(cbuild.STRICT)
        if self.unit:
            flags += {"sanitize": SANITIZE, "valgrind": ["-g"]}.get(m, [])
            limit = 300
            env_mode = {"sanitize": "--sanitize", "valgrind": "--valgrind"}.get(m, "plain")
        else:
            flags += ["-pthread"] + {"sanitize": ["-O1"] + SANITIZE, "valgrind": ["-O1", "-g"]}.get(m, ["-O2"])
            limit = {"full": 900, "plain": 120}.get(m, 300)
            env_mode = {"plain": "quick"}.get(m, "--" + m)
        ok, log = cbuild.compile_c(flags + cbuild.cflags() + ["-I", UNIT, self.path] + cbuild.libs(self.link), out)
        if not ok:
            raise CFailed("does not compile", log)
        if self.link == "static" and cbuild.needs_shared_library(out):
            raise CFailed("linked to the shared library", "")
        env = dict(os.environ, UDS_TEST_MODE=env_mode, UDS_REL_FULL="1" if m == "full" else "0")
        cmd = (VALGRIND if m == "valgrind" else []) + [str(out)]
        # Its own process group: on a timeout, the program and whatever it
        # started are stopped together (TERM, then KILL 10 s later).
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace", env=env, start_new_session=True, cwd=cbuild.ROOT)
        try:
            output, _ = p.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                output, _ = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                output, _ = p.communicate()
            raise CFailed(f"timed out after {limit} s", output)
        # The program's own last line, not valgrind's "==PID==" notes.
        lines = [line for line in output.rstrip("\n").splitlines() if not re.match(r"==\d+==", line)]
        last = lines[-1] if lines else "(no output)"
        self.user_properties.append(("result", last))
        self.add_report_section("call", "output", indent(output))
        if p.returncode == SKIP_STATUS:
            pytest.skip(last)
        if p.returncode != 0:
            raise CFailed(f"exit status {p.returncode}", output)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CFailed):
            e = excinfo.value
            return f"{self.path.name} ({self.link}): {e.what}\n{indent(e.output)}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name} ({self.link})"


def pytest_terminal_summary(terminalreporter):
    """One line per C test: the checks its program counted."""
    rows = []
    for outcome in ("passed", "failed", "skipped"):
        for rep in terminalreporter.stats.get(outcome, []):
            if rep.when in ("call", "setup") and rep.user_properties:
                rows.append((rep.nodeid, dict(rep.user_properties).get("result", "")))
    if rows:
        terminalreporter.section("C tests: each program's own count")
        width = max(len(n) for n, _ in rows)
        for nodeid, result in sorted(rows):
            terminalreporter.write_line(f"  {nodeid:<{width}}  {result}")


# ---- the documents' programs (doclib.py) ---------------------------------

@pytest.fixture(scope="session")
def programs():
    """Builds a document's programs on first use (build/docs/)."""
    return doclib.Programs()


@pytest.fixture
def rt():
    """Starts and runs programs in private directories; stops whatever is
    still running and removes the directories at the end of the test."""
    r = doclib.Runner()
    yield r
    r.cleanup()
