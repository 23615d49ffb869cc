"""libudsock against CPython's own socket module on the other end.

Every exchange here has the library on one side and only the standard
library (socket.send_fds, sendmsg with SCM_CREDENTIALS, "\\0name"
addresses, struct-packed frames) on the other, so a difference in wire
format or address encoding between the two shows up as a failure.
"""

import contextlib
import errno
import os
import socket
import struct

import pytest

import udsock
from conftest import open_fds, passrights_off_or_skip


def _abstract(addr):
    """"@name" as CPython spells it."""
    return b"\0" + addr[1:].encode()


def test_cpython_send_fds_to_the_library():
    a, b = socket.socketpair()
    r, w = os.pipe()
    with a, b:
        socket.send_fds(a, [b"from cpython"], [r, w])
        data, fds, _, _ = udsock.recv_fds(b, 64, 4)
        assert data == b"from cpython" and len(fds) == 2
        os.write(fds[1], b"x")
        assert os.read(r, 1) == b"x"
        assert all(not os.get_inheritable(fd) for fd in fds)
        for fd in fds + [r, w]:
            os.close(fd)


def test_library_send_fds_to_cpython():
    a, b = socket.socketpair()
    r, w = os.pipe()
    with a, b:
        udsock.send_fds(a, b"from udsock", [w])
        data, fds, flags, _ = socket.recv_fds(b, 64, 4)
        assert data == b"from udsock" and len(fds) == 1 and flags == 0
        os.write(fds[0], b"y")
        assert os.read(r, 1) == b"y"
        for fd in fds + [r, w]:
            os.close(fd)


def test_library_empty_fd_message_reaches_cpython_as_one_zero_byte():
    # A stream cannot carry ancillary data without a byte: the library
    # sends one zero byte, which is what CPython then reads.
    a, b = socket.socketpair()
    r, w = os.pipe()
    with a, b:
        udsock.send_fds(a, b"", [r])
        data, fds, _, _ = socket.recv_fds(b, 16, 1)
        assert data == b"\0" and len(fds) == 1
        for fd in fds + [r, w]:
            os.close(fd)


def test_cpython_credentials_to_the_library():
    a, b = socket.socketpair()
    with a, b:
        ucred = struct.pack("iII", os.getpid(), os.getuid(), os.getgid())
        a.sendmsg([b"c"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, ucred)])
        data, cred = udsock.recv_creds(b, 8)
        assert data == b"c"
        assert (cred.pid, cred.uid, cred.gid) == (os.getpid(), os.getuid(),
                                                  os.getgid())


def test_library_credentials_to_cpython():
    a, b = socket.socketpair()
    with a, b:
        b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        udsock.send_creds(a, b"d")
        data, anc, flags, _ = b.recvmsg(8, socket.CMSG_SPACE(12))
        assert data == b"d" and flags == 0
        [(level, kind, raw)] = anc
        assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS)
        assert struct.unpack("iII", raw) == (os.getpid(), os.getuid(),
                                             os.getgid())


def test_abstract_names_mean_the_same_on_both_sides(abstract_addr):
    # The library's "@name" is CPython's b"\0name", with the same length.
    with udsock.listener(abstract_addr) as srv:
        with socket.socket(socket.AF_UNIX) as c:
            c.connect(_abstract(abstract_addr))
            assert c.getpeername() == _abstract(abstract_addr)
            with udsock.accept(srv)[0] as conn:
                c.sendall(b"hi")
                assert udsock.recv_exact(conn, 2) == b"hi"
    with socket.socket(socket.AF_UNIX) as srv:
        srv.bind(_abstract(abstract_addr))
        srv.listen()
        with udsock.dial(abstract_addr) as c:
            assert udsock.getpeername(c) == abstract_addr
            conn, _ = srv.accept()
            with conn:
                udsock.send_all(c, b"yo")
                assert conn.recv(2) == b"yo"


def test_pathname_listener_reached_by_cpython(tmp_path):
    path = str(tmp_path / "srv.sock")
    with udsock.listener(path, mode=0o600) as srv:
        assert os.stat(path).st_mode & 0o777 == 0o600
        with socket.socket(socket.AF_UNIX) as c:
            c.connect(path)
            with udsock.accept(srv)[0] as conn:
                assert udsock.getpeername(conn) == ""  # CPython's client is unnamed
                assert conn.getsockname() == path


def test_datagrams_carry_the_senders_path(tmp_path):
    lib_path, py_path = str(tmp_path / "lib.sock"), str(tmp_path / "py.sock")
    with udsock.listener(lib_path, type=socket.SOCK_DGRAM) as lib, \
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as py:
        py.bind(py_path)
        py.sendto(b"to lib", lib_path)
        assert udsock.recvfrom(lib, 64) == (b"to lib", py_path)
        udsock.sendto(lib, b"to py", py_path)
        assert py.recvfrom(64) == (b"to py", lib_path)


def test_frames_are_a_native_length_then_the_bytes():
    a, b = socket.socketpair()
    with a, b:
        udsock.send_frame(a, b"framed")
        assert b.recv(64) == struct.pack("=I", 6) + b"framed"
        b.sendall(struct.pack("=I", 3) + b"abc" + struct.pack("=I", 0))
        assert udsock.recv_frame(a) == b"abc"
        assert udsock.recv_frame(a) == b""


def test_a_connection_cpython_closed_reads_as_eof_and_epipe():
    a, b = socket.socketpair()
    with a:
        b.close()
        assert udsock.recv(a, 8) == b""
        with pytest.raises(BrokenPipeError):
            udsock.send(a, b"x")


# --------------------------------------------------------------------------
# The newest features, with another process on the CPython side.

SO_PASSPIDFD = getattr(socket, "SO_PASSPIDFD", 76)
SCM_PIDFD = getattr(socket, "SCM_PIDFD", 0x04)


def _rights(*fds):
    return (socket.SOL_SOCKET, socket.SCM_RIGHTS,
            struct.pack("%di" % len(fds), *fds))


def _own_ucred():
    return (socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
            struct.pack("iII", os.getpid(), os.getuid(), os.getgid()))


def _child(body):
    """Runs body() in a forked child; returns its pid once it has exited
    with status 0."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            body()
            status = 0
        finally:
            os._exit(status)
    assert os.waitpid(pid, 0)[1] == 0
    return pid


def _passpidfd(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_PASSPIDFD, 1)
    except OSError as e:
        if e.errno == errno.ENOPROTOOPT:
            pytest.skip("SO_PASSPIDFD needs Linux 6.5")
        raise


def _frames_cut_anywhere(a, marks):
    """A CPython writer's frames, cut at odd points: the length prefix in
    two writes with descriptors on its first byte; descriptors on a byte
    inside a body; one write spanning the end of one frame and the start
    of the next (its descriptors belong to the first); explicit
    credentials and several SCM_RIGHTS blocks in one sendmsg."""
    one = struct.pack("=I", 5) + b"hello"
    two = struct.pack("=I", 6) + b"world!"
    three = struct.pack("=I", 0)
    a.sendmsg([one[:2]], [_rights(marks[0])])
    a.sendmsg([one[2:7]])
    a.sendmsg([one[7:], two[:3]], [_rights(marks[1])])
    a.sendmsg([two[3:8]])
    a.sendmsg([two[8:]], [_rights(marks[2], marks[3])])
    a.sendmsg([three], [_own_ucred(), _rights(marks[0]), _rights(marks[1])])


_FRAMES_WANTED = [(b"hello", [0, 1]), (b"world!", [2, 3]), (b"", [0, 1])]


@pytest.fixture
def marks():
    """Four pipes; the write ends are the descriptors sent."""
    ps = [os.pipe() for _ in range(4)]
    yield [w for _, w in ps], [r for r, _ in ps]
    for r, w in ps:
        os.close(r)
        os.close(w)


def _which(fds, reads, ours=True):
    """The index of the pipe each received fd writes to (closing it); the
    library's are close-on-exec (CPython's recv_fds leaves them
    inheritable: ours=False)."""
    out = []
    for fd in fds:
        assert not ours or not os.get_inheritable(fd)
        os.write(fd, b"?")
        os.close(fd)
        hit = [i for i, r in enumerate(reads) if _readable(r)]
        assert len(hit) == 1
        os.read(reads[hit[0]], 1)
        out.append(hit[0])
    return out


def _readable(fd):
    import select
    return bool(select.select([fd], [], [], 0)[0])


@contextlib.contextmanager
def _fed_by_a_cpython_child(writes):
    """The receiving end of a socketpair (SO_PASSCRED on, SO_PASSPIDFD
    where the kernel has it) to which a child using only CPython's socket
    module has sent the cut frames, and closed its end."""
    a, b = socket.socketpair()
    with a, b:
        b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        _passpidfd(b)
        _child(lambda: _frames_cut_anywhere(a, writes))
        a.close()
        yield b


def test_cpython_frames_with_fds_to_the_c_call(marks):
    # uds_recv_frame_fds itself (the binding's recv_frame_fds is done in
    # Python), with the sender's credentials and pidfds arriving too.
    import ctypes
    lib = udsock._lib.lib
    writes, reads = marks
    with _fed_by_a_cpython_child(writes) as b:
        before = open_fds()
        buf = ctypes.create_string_buffer(64)
        fds = (ctypes.c_int * 8)()
        n, nfds = ctypes.c_size_t(), ctypes.c_size_t()

        def recv_frame_fds():
            nfds.value = 8
            return lib.uds_recv_frame_fds(b.fileno(), buf, ctypes.c_size_t(64),
                                          ctypes.byref(n), fds,
                                          ctypes.byref(nfds))
        got = []
        for _ in _FRAMES_WANTED:
            assert recv_frame_fds() == 1, udsock.last_error()
            got.append((buf.raw[:n.value], _which(fds[:nfds.value], reads)))
        assert recv_frame_fds() == 0
        assert got == _FRAMES_WANTED
        assert open_fds() == before  # no pidfd or fd left behind


def test_cpython_frames_with_fds_to_recv_frame_fds(marks):
    writes, reads = marks
    with _fed_by_a_cpython_child(writes) as b:
        before = open_fds()
        got = []
        for _ in _FRAMES_WANTED:
            data, fds = udsock.recv_frame_fds(b)
            got.append((data, _which(fds, reads)))
        assert udsock.recv_frame_fds(b) is None
        assert got == _FRAMES_WANTED
        assert open_fds() == before


def test_library_frames_with_fds_to_cpython(marks):
    writes, reads = marks
    a, b = socket.socketpair()
    with a, b:
        udsock.send_frame_fds(a, b"frame", [writes[2], writes[0]])
        udsock.send_frame_fds(a, b"", [writes[1]])
        data, fds, flags, _ = socket.recv_fds(b, 9, 4)
        assert data == struct.pack("=I", 5) + b"frame" and flags == 0
        assert _which(fds, reads, ours=False) == [2, 0]
        data, fds, flags, _ = socket.recv_fds(b, 64, 4)
        assert data == struct.pack("=I", 0) and flags == 0
        assert _which(fds, reads, ours=False) == [1]


def test_credentials_and_pidfds_across_processes():
    # CPython child -> library: explicit SCM_CREDENTIALS, and a plain send
    # stamped by the kernel once SO_PASSCRED is on; pidfds name the child.
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with a, b:
        _passpidfd(b)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        kid = _child(lambda: (a.sendmsg([b"explicit"], [_own_ucred()]),
                                      a.send(b"stamped")))
        for want in (b"explicit", b"stamped"):
            data, cred = udsock.recv_creds(b, 16)
            assert data == want
            assert tuple(cred) == (kid, os.getuid(), os.getgid())
        # Library child -> CPython: SCM_CREDENTIALS and SCM_PIDFD as the
        # socket module reads them; the child stays until it has been seen.
        r, w = os.pipe()
        kid = os.fork()
        if kid == 0:
            os.close(w)
            status = 1
            try:
                udsock.send_creds(a, b"lib")
                os.read(r, 1)
                status = 0
            finally:
                os._exit(status)
        os.close(r)
        data, anc, flags, _ = b.recvmsg(8, 256)
        kinds = {kind: raw for level, kind, raw in anc
                 if level == socket.SOL_SOCKET}
        (pidfd,) = struct.unpack("i", kinds.get(SCM_PIDFD, b"\xff" * 4))
        pid_lines = []
        if pidfd >= 0:
            with open("/proc/self/fdinfo/%d" % pidfd) as f:
                pid_lines = [line for line in f if line.startswith("Pid:")]
            os.close(pidfd)
        os.close(w)
        assert os.waitpid(kid, 0)[1] == 0
        assert data == b"lib" and flags == 0
        assert set(kinds) == {socket.SCM_CREDENTIALS, SCM_PIDFD}
        assert struct.unpack("iII", kinds[socket.SCM_CREDENTIALS]) == (
            kid, os.getuid(), os.getgid())
        assert pid_lines == ["Pid:\t%d\n" % kid]


def test_passrights_off_refuses_a_cpython_sender(pipe):
    a, b = socket.socketpair()
    with a, b:
        passrights_off_or_skip(b)
        with pytest.raises(PermissionError):
            socket.send_fds(a, [b"x"], [pipe[0]])
        a.send(b"plain")
        assert udsock.recv(b, 8) == b"plain"
        udsock.set_passrights(b, True)
        socket.send_fds(a, [b"y"], [pipe[0]])
        data, fds, _, _ = udsock.recv_fds(b, 8, 2)
        assert data == b"y" and len(fds) == 1
        os.close(fds[0])
