"""activate and notify against systemd: systemd-socket-activate running the
tool, the tool running libsystemd's sd_listen_fds, and sd_notify's datagrams
compared with ours."""

import os
import shutil
import socket
import subprocess
import sys

import pytest

from conftest import UDSOCK, TIMEOUT, need, run

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session")
def sdref(tmp_path_factory):
    """tests/sdref.c built against libsystemd."""
    # The staged environment points pkg-config at the stage only.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PKG_CONFIG")}
    if subprocess.run(["pkg-config", "--exists", "libsystemd"], env=env).returncode != 0:
        pytest.skip("libsystemd is not installed (.ci/run installs libsystemd-dev)")
    out = tmp_path_factory.mktemp("sdref") / "sdref"
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libsystemd"], capture_output=True,
                           text=True, check=True, env=env).stdout.split()
    subprocess.run([os.environ.get("CC", "cc"), "-O1", "-Wall", "-o", str(out), os.path.join(HERE, "sdref.c"), *flags],
                   check=True)
    return str(out)


SD_STYLE = r'''
import os, socket, sys
# sd_listen_fds: LISTEN_PID must be this process, fds from 3.
assert os.environ["LISTEN_PID"] == str(os.getpid()), (os.environ["LISTEN_PID"], os.getpid())
n = int(os.environ["LISTEN_FDS"])
names = os.environ["LISTEN_FDNAMES"].split(":")
for i in range(n):
    s = socket.socket(fileno=3 + i)
    print(3 + i, names[i], {socket.SOCK_STREAM: "stream", socket.SOCK_DGRAM: "dgram",
                            socket.SOCK_SEQPACKET: "seqpacket"}[s.type], flush=True)
    if s.type == socket.SOCK_DGRAM:
        print(s.recv(100).decode(), flush=True)
    else:
        c, _ = s.accept()
        c.sendall(names[i].encode())
        c.close()
    s.detach()
'''


def test_activate_runs_sd_listen_fds_style_program(tmp):
    p = subprocess.Popen([UDSOCK, "activate", "-l", str(tmp / "web.sock") + "=web", "-l", "@udsock-ctl-%d:dgram=ctl" % os.getpid(),
                          "-l", str(tmp / "sp:seqpacket"), "--", sys.executable, "-c", SD_STYLE],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"3 web stream\n"
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp / "web.sock"))
    assert c.recv(10) == b"web"
    assert p.stdout.readline() == b"4 ctl dgram\n"
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    d.sendto(b"a datagram", "\0udsock-ctl-%d" % os.getpid())
    assert p.stdout.readline() == b"a datagram\n"
    assert p.stdout.readline() == b"5 unknown seqpacket\n"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(str(tmp / "sp"))
    assert s.recv(10) == b"unknown"
    assert p.wait(timeout=TIMEOUT) == 0, p.stderr.read()


def test_activate_runs_libsystemd(tmp, sdref):
    p = subprocess.Popen([UDSOCK, "activate", "-l", str(tmp / "a") + "=api", "-l", str(tmp / "b:dgram") + "=log",
                          "--", sdref, "listen"], stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"2 fds\n"
    assert p.stdout.readline() == b"fd 3 api stream\n"
    assert p.stdout.readline() == b"fd 4 log dgram\n"
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp / "a"))
    assert c.recv(10) == b"api"
    assert p.wait(timeout=TIMEOUT) == 0


def test_activate_accept_runs_one_per_connection(tmp, start, notified):
    srv = start(["activate", "--accept", "-l", str(tmp / "s") + "=conn", "--", "sh", "-c",
                 'echo "$LISTEN_FDS $LISTEN_FDNAMES $([ "$LISTEN_PID" = $$ ] && echo mine)" >&3'], notified)
    for _ in range(2):
        c = socket.socket(socket.AF_UNIX)
        c.connect(str(tmp / "s"))
        c.settimeout(TIMEOUT)
        assert c.makefile("rb").read() == b"1 conn mine\n"
        c.close()
    assert srv.proc.poll() is None


def test_systemd_socket_activate_runs_udsock(tmp):
    ssa = need("systemd-socket-activate")
    (tmp / "f").write_text("passed by systemd's socket\n")
    # systemd binds and passes the socket; udsock recv-fd takes it by name.
    # systemd-socket-activate reports "Listening on ..." once it is bound.
    p = subprocess.Popen([ssa, "-l", str(tmp / "rx"), "--fdname=files", UDSOCK, "recv-fd", "listen-fd:files", "--", "cat"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in p.stderr:
        if b"Listening on" in line:
            break
    r = run(["send-fd", str(tmp / "rx"), str(tmp / "f")])
    assert r.returncode == 0, r
    assert p.stdout.read() == b"passed by systemd's socket\n"
    assert p.wait(timeout=TIMEOUT) == 0


def test_systemd_socket_activate_runs_udsock_peer(tmp):
    ssa = need("systemd-socket-activate")
    p = subprocess.Popen([ssa, "-l", str(tmp / "who"), UDSOCK, "peer", "listen-fd:unknown"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in p.stderr:
        if b"Listening on" in line:
            break
    c = socket.socket(socket.AF_UNIX)
    c.connect(str(tmp / "who"))
    out = p.stdout.read().decode()
    assert p.wait(timeout=TIMEOUT) == 0
    assert f"pid={os.getpid()} " in out


def _received(notified, maxfds=4):
    msg, fds = notified.recv(maxfds)
    contents = []
    for fd in fds:
        contents.append(os.read(fd, 100))
        os.close(fd)
    return msg, contents


def test_notify_matches_libsystemd(tmp, notified, sdref):
    (tmp / "f").write_text("stored")
    env = notified.env()
    state = ["READY=1", "STATUS=serving on 2 sockets", "MAINPID=%d" % os.getpid()]
    assert subprocess.run([sdref, "notify", "\n".join(state)], env=env, timeout=TIMEOUT).returncode == 0
    reference = _received(notified)
    assert run(["notify", *state], env=env).returncode == 0
    assert _received(notified) == reference == ("\n".join(state).encode(), [])

    assert subprocess.run([sdref, "notify", "FDSTORE=1\nFDNAME=f", str(tmp / "f")], env=env).returncode == 0
    reference = _received(notified)
    with open(tmp / "f", "rb") as f:
        r = subprocess.run([UDSOCK, "notify", "--fd", str(f.fileno()), "FDSTORE=1", "FDNAME=f"],
                           pass_fds=[f.fileno()], env=env, capture_output=True, timeout=TIMEOUT)
    assert r.returncode == 0, r
    assert _received(notified) == reference == (b"FDSTORE=1\nFDNAME=f", [b"stored"])


def test_notify_abstract_socket(notified):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0udsock-notify-%d" % os.getpid())
    s.settimeout(TIMEOUT)
    r = run(["notify", "READY=1"], env=dict(os.environ, NOTIFY_SOCKET="@udsock-notify-%d" % os.getpid()))
    assert r.returncode == 0, r
    assert s.recv(100) == b"READY=1"
