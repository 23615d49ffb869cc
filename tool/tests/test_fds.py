"""send-fd and recv-fd: a file's descriptor from one process to another that
never opened it; against each other and CPython's socket module."""

import os
import socket
import subprocess

from conftest import UDSOCK, run


def test_file_to_a_process_that_never_opened_it(tmp, start, notified):
    (tmp / "secret").write_text("only the sender opened this\n")
    rx = start(["recv-fd", str(tmp / "rx.sock"), "--", "cat"], notified)
    sent = run(["send-fd", str(tmp / "rx.sock"), str(tmp / "secret")])
    assert sent.returncode == 0, sent
    status, out, err = rx.finish()
    assert (status, out, err) == (0, b"only the sender opened this\n", b"")
    assert not (tmp / "rx.sock").exists()


def test_several_files_land_on_0_3_4(tmp, start, notified):
    for name in "abc":
        (tmp / name).write_text(name * 3)
    script = 'cat; cat <&3; cat <&4'
    rx = start(["recv-fd", "@udsock-t-%d" % os.getpid(), "--", "sh", "-c", script], notified)
    assert run(["send-fd", "@udsock-t-%d" % os.getpid(), *(str(tmp / n) for n in "abc")]).returncode == 0
    assert rx.finish() == (0, b"aaabbbccc", b"")


def test_own_fd_with_offset(tmp, start, notified):
    (tmp / "f").write_bytes(b"0123456789")
    rx = start(["recv-fd", str(tmp / "rx"), "--", "cat"], notified)
    with open(tmp / "f", "rb") as f:
        f.seek(4)
        r = subprocess.run([UDSOCK, "send-fd", str(tmp / "rx"), "--fd", str(f.fileno())],
                           pass_fds=[f.fileno()], capture_output=True, timeout=20)
    assert r.returncode == 0, r
    # The same open file description: the receiver reads from offset 4.
    assert rx.finish() == (0, b"456789", b"")


def test_to_cpython_receiver(tmp):
    (tmp / "f").write_text("for python")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(tmp / "py.sock"))
    srv.listen()
    p = subprocess.Popen([UDSOCK, "send-fd", str(tmp / "py.sock"), str(tmp / "f"), "/dev/null"])
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 16, 4)
    conn.close()
    assert p.wait(timeout=20) == 0
    assert len(fds) == 2
    assert os.read(fds[0], 100) == b"for python"
    assert os.path.samestat(os.fstat(fds[1]), os.stat("/dev/null"))
    for fd in fds:
        os.close(fd)


def test_from_cpython_sender(tmp, start, notified):
    r, w = os.pipe()
    rx = start(["recv-fd", str(tmp / "rx"), "--", "cat"], notified)
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp / "rx"))
    socket.send_fds(c, [b"x"], [r])
    os.close(r)
    os.write(w, b"through a pipe python made")
    os.close(w)
    c.close()
    assert rx.finish() == (0, b"through a pipe python made", b"")


def test_client_without_descriptors(tmp, start, notified):
    rx = start(["recv-fd", str(tmp / "rx"), "--", "cat"], notified)
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp / "rx"))
    c.sendall(b"no fds")
    c.close()
    status, out, err = rx.finish()
    assert status == 1 and err.decode().startswith("udsock: ") and err.count(b"\n") == 1, err
    assert not (tmp / "rx").exists()
