"""Python and C processes talking through libudsock.

interop.c is compiled against the installed library exactly as a user would:
cc -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags udsock) interop.c
$(pkg-config --libs udsock).
"""

import os
import shlex
import shutil
import subprocess

import pytest

import udsock

HERE = os.path.dirname(os.path.abspath(__file__))


def pkg_config(*args):
    p = subprocess.run(["pkg-config"] + list(args) + ["udsock"],
                       capture_output=True, text=True)
    assert p.returncode == 0, "pkg-config cannot find udsock:\n" + p.stderr
    return shlex.split(p.stdout)


@pytest.fixture(scope="module")
def interop(tmp_path_factory):
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        pytest.skip("no C compiler")
    if shutil.which("pkg-config") is None:
        pytest.skip("no pkg-config")
    exe = str(tmp_path_factory.mktemp("interop") / "interop")
    cmd = ([cc, "-std=c99", "-Wall", "-Wextra", "-Werror"]
           + pkg_config("--cflags") + [os.path.join(HERE, "interop.c")]
           + pkg_config("--libs") + ["-o", exe])
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, "%s\n%s" % (" ".join(cmd), p.stderr)
    return exe


def start(exe, mode, path, **kw):
    return subprocess.Popen([exe, mode, path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def finish(proc):
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


def read_all(fd):
    chunks = []
    while True:
        b = os.read(fd, 4096)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def test_python_server_passes_an_fd_to_a_c_client(interop, sock_path):
    with udsock.listener(sock_path) as srv:
        proc = start(interop, "recv-fd", sock_path)
        with udsock.accept(srv)[0] as conn:
            assert udsock.peer_cred(conn).pid == proc.pid
            r, w = os.pipe()
            udsock.send_fds(conn, b"take this pipe", [w])
            os.close(w)
            assert read_all(r) == b"hello from C, you said 'take this pipe'\n"
            os.close(r)
        finish(proc)


def test_c_client_passes_an_fd_to_a_python_server(interop, sock_path):
    with udsock.listener(sock_path) as srv:
        proc = start(interop, "send-fd", sock_path)
        with udsock.accept(srv)[0] as conn:
            data, fds, _, _ = udsock.recv_fds(conn, 64, 4)
            assert data == b"pipe" and len(fds) == 1
            os.write(fds[0], b"hello from Python\n")
            os.close(fds[0])
        assert finish(proc) == "C read: hello from Python\n"


def test_frames_between_python_and_c(interop, sock_path):
    with udsock.listener(sock_path) as srv:
        proc = start(interop, "frames", sock_path)
        with udsock.accept(srv)[0] as conn:
            for msg in (b"first frame", b"", b"x" * 3000):
                udsock.send_frame(conn, msg)
                assert udsock.recv_frame(conn) == msg.upper()
        finish(proc)
