"""Bad input: one clear line on stderr, exit status 1; usage errors 2."""

import os
import socket
import subprocess

from conftest import UDSOCK, one_error_line, run


def test_usage_errors_exit_2():
    for args in (["listen"], ["frobnicate"], ["send-fd", "/x"], ["recv-fd", "/x"],
                 ["listen", "-t", "raw", "/x"], ["listen", "-m", "999", "/x"],
                 ["activate", "-l", "relative", "--", "true"], ["activate", "-l", "/x=bad:name", "--", "true"],
                 ["activate", "--accept", "-l", "/x:dgram", "--", "true"],
                 ["notify", "not-an-assignment"], ["send-fd", "/x", "f", "--fd", "3"]):
        r = run(args)
        assert r.returncode == 2, (args, r)
        assert r.stderr, args
    assert run(["--help"]).returncode == 0
    assert run(["--version"]).stdout.decode().startswith("udsock ")


def test_missing_file(tmp):
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(tmp / "s"))
    srv.listen()
    line = one_error_line(run(["send-fd", str(tmp / "s"), str(tmp / "absent")]))
    assert "absent" in line and "No such file" in line


def test_address_in_use(tmp):
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(tmp / "busy"))
    srv.listen()
    for cmd in (["listen"], ["listen", "--replace-stale"], ["peer"]):
        line = one_error_line(run([*cmd, str(tmp / "busy")]))
        assert "in use" in line or "live socket" in line, line
    assert (tmp / "busy").exists()


def test_abstract_in_use():
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(f"\0udsock-test-{os.getpid()}")
    line = one_error_line(run(["listen", f"@udsock-test-{os.getpid()}"]))
    assert "in use" in line


def test_not_a_socket(tmp):
    (tmp / "file").write_text("x")
    line = one_error_line(run(["connect", str(tmp / "file")], stdin=subprocess.DEVNULL))
    assert "refused" in line, line
    line = one_error_line(run(["listen", str(tmp / "file")]))
    assert "file" in line
    assert (tmp / "file").read_text() == "x"
    # A passed descriptor that is not a socket.
    r = subprocess.run(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" peer listen-fd:unknown 3<"$1"',
                        UDSOCK, str(tmp / "file")], capture_output=True, timeout=20)
    line = one_error_line(r)
    assert "fd 3" in line and "non-socket" in line, line
    # None passed at all.
    line = one_error_line(run(["peer", "listen-fd:web"]))
    assert "web" in line


def test_closed_fd(tmp):
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(tmp / "s"))
    srv.listen()
    line = one_error_line(run(["send-fd", str(tmp / "s"), "--fd", "7"]))
    assert "--fd 7" in line and "Bad file descriptor" in line
    line = one_error_line(run(["notify", "--fd", "9", "FDSTORE=1"], env=dict(os.environ, NOTIFY_SOCKET=str(tmp / "n"))))
    assert "--fd 9" in line


def test_overlong_final_component(tmp):
    name = "x" * 108
    for cmd in (["listen"], ["peer"], ["connect"]):
        line = one_error_line(run([*cmd, str(tmp / name)], stdin=subprocess.DEVNULL))
        assert "final component" in line and "108 bytes" in line, line
    assert os.listdir(tmp) == []


def test_notify_without_socket():
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    line = one_error_line(run(["notify", "READY=1"], env=env))
    assert "NOTIFY_SOCKET" in line
