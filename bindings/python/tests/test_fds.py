"""File descriptors (SCM_RIGHTS) and credentials."""

import errno
import os
import socket
import subprocess
import sys

import pytest

import udsock
from conftest import child_env, fd_is_pipe_to, open_fds, run_python




def close_all(fds):
    for fd in fds:
        os.close(fd)


def test_send_recv_fds(pair, pipe):
    a, b = pair
    r, w = pipe
    assert udsock.send_fds(a, b"pipe", [w]) == 4
    data, fds, _, _ = udsock.recv_fds(b, 100, 4)
    assert data == b"pipe" and len(fds) == 1
    got = fds[0]
    assert got != w
    assert not os.get_inheritable(got)
    assert fd_is_pipe_to(got, r)
    assert fd_is_pipe_to(w, r)  # the sender's fd stays open
    os.close(got)


def test_many_fds_and_fileno_objects(pair, pipe):
    a, b = pair
    r, w = pipe
    with open(os.devnull, "rb") as f, socket.socket() as s:
        udsock.send_fds(a, bytearray(b"mixed"), [w, f, s, w])
        data, fds, _, _ = udsock.recv_fds(b, 100, udsock.MAX_FDS)
    assert data == b"mixed" and len(fds) == 4
    assert fd_is_pipe_to(fds[0], r) and fd_is_pipe_to(fds[3], r)
    with socket.socket(fileno=fds[2]) as inet:
        assert inet.family == socket.AF_INET
    close_all(fds[:2] + fds[3:])


def test_max_fds(pair, pipe):
    a, b = pair
    r, w = pipe
    udsock.send_fds(a, b"full", [w] * udsock.MAX_FDS)
    data, fds, _, _ = udsock.recv_fds(b, 100, 1000)  # capacity beyond MAX_FDS: fine
    assert data == b"full" and len(fds) == udsock.MAX_FDS
    assert len(set(fds)) == udsock.MAX_FDS
    close_all(fds)


def test_fd_count_limits(pair, pipe):
    a, _ = pair
    _, w = pipe
    for fds in ([], [w] * (udsock.MAX_FDS + 1)):
        with pytest.raises(OSError) as ei:
            udsock.send_fds(a, b"x", fds)
        assert ei.value.errno == errno.EINVAL


def test_send_closed_fd(pair):
    a, _ = pair
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError) as ei:
        udsock.send_fds(a, b"x", [w])
    assert ei.value.errno == errno.EBADF


def test_truncated_fds_are_reported_as_socket_recv_fds_does(pair, pipe):
    # As socket.recv_fds: the fds that fit arrive, msg_flags says
    # MSG_CTRUNC, and the kernel never installs the others.
    a, b = pair
    r, w = pipe
    udsock.send_fds(a, b"three", [w, w, w])
    before = open_fds()
    data, fds, flags, addr = udsock.recv_fds(b, 100, 1)
    assert (data, len(fds), addr) == (b"three", 1, None)
    assert flags & socket.MSG_CTRUNC
    assert fd_is_pipe_to(fds[0], r)
    os.close(fds[0])
    assert open_fds() == before  # the other two are not open anywhere


def test_empty_data_on_stream_sends_a_carrier_byte(pair, pipe):
    a, b = pair
    r, w = pipe
    udsock.send_fds(a, b"", [w])
    data, fds, _, _ = udsock.recv_fds(b, 10, 1)
    assert data == b"\0" and len(fds) == 1
    os.close(fds[0])


def test_recv_fds_without_fds_and_at_eof(pair):
    a, b = pair
    udsock.send(a, b"plain")
    assert udsock.recv_fds(b, 100, 1) == (b"plain", [], 0, None)
    a.close()
    assert udsock.recv_fds(b, 100, 1) == (b"", [], 0, None)


def test_recv_fds_negative_maxfds(pair):
    with pytest.raises(ValueError):
        udsock.recv_fds(pair[0], 10, -1)


def test_passcred_does_not_push_fds_out(pair, pipe):
    a, b = pair
    _, w = pipe
    udsock.set_passcred(b, True)
    udsock.send_fds(a, b"x", [w] * udsock.MAX_FDS)
    data, fds, _, _ = udsock.recv_fds(b, 10, udsock.MAX_FDS)
    assert len(fds) == udsock.MAX_FDS
    close_all(fds)


@pytest.mark.parametrize("type", [socket.SOCK_DGRAM, socket.SOCK_SEQPACKET])
def test_fds_over_message_sockets(type, pipe):
    r, w = pipe
    a, b = udsock.socketpair(type)
    with a, b:
        udsock.send_fds(a, b"msg", [w])
        data, fds, _, _ = udsock.recv_fds(b, 100, 2)
        assert data == b"msg" and len(fds) == 1
        assert fd_is_pipe_to(fds[0], r)
        os.close(fds[0])


def test_send_fd_recv_fd(pair, pipe):
    a, b = pair
    r, w = pipe
    udsock.send_fd(a, w)
    got = udsock.recv_fd(b)
    assert fd_is_pipe_to(got, r)
    assert not os.get_inheritable(got)
    os.close(got)
    with open(os.devnull) as f:
        udsock.send_fd(a, f)  # objects with fileno() work too
    os.close(udsock.recv_fd(b))


def test_recv_fd_errors(pair, pipe):
    a, b = pair
    _, w = pipe
    udsock.send(a, b"no fd")
    with pytest.raises(OSError) as ei:
        udsock.recv_fd(b)
    assert ei.value.errno == errno.EBADMSG
    udsock.send_fds(a, b"2", [w, w])
    before = open_fds()
    with pytest.raises(OSError) as ei:
        udsock.recv_fd(b)
    assert ei.value.errno == errno.EBADMSG
    assert open_fds() == before
    a.close()
    with pytest.raises(ConnectionResetError):
        udsock.recv_fd(b)


def test_peer_cred(pair):
    a, b = pair
    c = udsock.peer_cred(a)
    assert isinstance(c, udsock.Cred)
    assert c == (os.getpid(), os.getuid(), os.getgid())
    assert (c.pid, c.uid, c.gid) == tuple(c)


def test_peer_cred_of_another_process(sock_path):
    with udsock.listener(sock_path) as srv:
        p = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, udsock\n"
             "s = udsock.dial(sys.argv[1])\n"
             "s.recv(1)\n", sock_path],
            env=child_env())
        try:
            with udsock.accept(srv)[0] as conn:
                assert udsock.peer_cred(conn).pid == p.pid
                conn.send(b"!")
        finally:
            assert p.wait(timeout=60) == 0


def test_peer_cred_not_connected():
    with udsock.socket() as s:
        with pytest.raises(OSError) as ei:
            udsock.peer_cred(s)
        assert ei.value.errno == errno.ENOTCONN


def test_peer_pidfd(pair):
    a, _ = pair
    pidfd = udsock.peer_pidfd(a)
    try:
        assert not os.get_inheritable(pidfd)
        with open("/proc/self/fdinfo/%d" % pidfd) as f:
            info = dict(line.split(":", 1) for line in f if ":" in line)
        assert int(info["Pid"]) == os.getpid()
    finally:
        os.close(pidfd)


def test_set_passcred(pair):
    a, _ = pair
    udsock.set_passcred(a, True)
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED) == 1
    udsock.set_passcred(a, False)
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED) == 0
    udsock.set_passcred(a)
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED) == 1


def test_peer_groups(pair):
    a, _ = pair
    groups = udsock.peer_groups(a)
    assert all(isinstance(g, int) for g in groups)
    assert set(groups) == set(os.getgroups())


def test_peer_groups_many(sock_path):
    if sys.version_info < (3, 9):
        pytest.skip("subprocess extra_groups needs Python 3.9")
    if os.geteuid() != 0:
        pytest.skip("needs root to give a child many groups")
    many = list(range(70000, 70000 + 100))  # more than the first guess of 64
    with udsock.listener(sock_path) as srv:
        p = subprocess.Popen(
            [sys.executable, "-c",
             "import sys, udsock\n"
             "s = udsock.dial(sys.argv[1])\n"
             "s.recv(1)\n", sock_path],
            env=child_env(), extra_groups=many)
        try:
            with udsock.accept(srv)[0] as conn:
                assert set(udsock.peer_groups(conn)) == set(many)
                conn.send(b"!")
        finally:
            assert p.wait(timeout=60) == 0


def test_peer_security(pair):
    a, _ = pair
    try:
        label = udsock.peer_security(a)
    except OSError as e:
        assert e.errno == errno.ENOPROTOOPT, e
    else:
        assert isinstance(label, str) and "\0" not in label


def test_send_recv_creds_own(pair):
    a, b = pair
    me = udsock.Cred(os.getpid(), os.getuid(), os.getgid())
    assert udsock.send_creds(a, b"who", None) == 3
    assert udsock.recv_creds(b, 100) == (b"who", me)
    udsock.send_creds(a, memoryview(b"me"), tuple(me))
    assert udsock.recv_creds(b, 100) == (b"me", me)


def test_recv_creds_on_a_message_sent_before_passcred(pair):
    a, b = pair
    udsock.send(a, b"early")
    data, cred = udsock.recv_creds(b, 100)
    assert data == b"early"
    assert cred == (0, udsock.NO_CRED_ID, udsock.NO_CRED_ID)
    # recv_creds turned SO_PASSCRED on: later messages carry real ones.
    udsock.send(a, b"late")
    assert udsock.recv_creds(b, 100) == \
        (b"late", (os.getpid(), os.getuid(), os.getgid()))


def test_forged_creds_are_refused():
    # Claim to be root. A root child first drops to nobody (after udsock is
    # loaded), which also drops the capabilities that allow forging.
    a, b = udsock.socketpair()
    with a, b:
        p = run_python(
            "import os, sys, udsock\n"
            "fd = int(sys.argv[1])\n"
            "if os.geteuid() == 0:\n"
            "    os.setgroups([])\n"
            "    os.setgid(65534)\n"
            "    os.setuid(65534)\n"
            "try:\n"
            "    udsock.send_creds(fd, b'x', (os.getpid(), 0, 0))\n"
            "except PermissionError as e:\n"
            "    print('EPERM', e.strerror)\n",
            a.fileno(), pass_fds=[a.fileno()])
        assert p.stdout.startswith("EPERM uds_send_creds"), p.stdout
