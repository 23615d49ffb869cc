"""Building C programs against the staged install, as a user's program is
built: the installed header and library, found through pkg-config.

Shared by the C tests (conftest.py), the documents' tests (doclib.py) and
`make demo` (docs_demo.py). `make stage` writes build/stage/env.sh, the
environment that points pkg-config and the loader at build/stage; make
sources it, and run by hand (`pytest c-tests -k test_bind`) it is read here.
"""

import os
import shlex
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build"
STAGE_ENV = BUILD / "stage" / "env.sh"

# How every program of ours is compiled: strict C99, warnings are errors.
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


class StageMissing(Exception):
    pass


def load_stage_env():
    """Export build/stage/env.sh's variables into this process, unless
    they are set already (make sources the file before running us)."""
    if os.environ.get("UDS_LIBDIR") and os.environ.get("UDS_STATIC_LIBS"):
        return
    if not STAGE_ENV.is_file():
        raise StageMissing(f"{STAGE_ENV.relative_to(ROOT)} is missing: run 'make stage' first")
    out = subprocess.run(["bash", "-c", '. "$1" && env -0', "env.sh", str(STAGE_ENV)],
                         capture_output=True, check=True).stdout
    for item in out.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            os.environ[key.decode()] = value.decode()


def cc():
    return shlex.split(os.environ.get("CC") or "cc")


def cflags():
    return shlex.split(subprocess.run(["pkg-config", "--cflags", "udsock"], capture_output=True,
                                      text=True, check=True).stdout)


def libs(link="dynamic"):
    """The link flags: the shared library, or (static) libudsock.a named
    in an otherwise dynamic program, as build/stage/env.sh defines it once
    from `pkg-config --static --libs udsock`."""
    if link == "static":
        return shlex.split(os.environ["UDS_STATIC_LIBS"])
    return shlex.split(subprocess.run(["pkg-config", "--libs", "udsock"], capture_output=True,
                                      text=True, check=True).stdout)


def compile_c(args, out):
    """cc ARGS -o OUT; returns (ok, compiler output)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(cc() + [str(a) for a in args] + ["-o", str(out)],
                       capture_output=True, text=True)
    if r.returncode != 0 and out.exists():
        out.unlink()
    return r.returncode == 0, r.stdout + r.stderr


def needs_shared_library(binary):
    """Whether BINARY names libudsock.so among its dynamic dependencies."""
    r = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True)
    return any("NEEDED" in line and "libudsock" in line for line in r.stdout.splitlines())
