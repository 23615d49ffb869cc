"""libudsock against CPython's own socket module on the other end.

Every exchange here has the library on one side and only the standard
library (socket.send_fds, sendmsg with SCM_CREDENTIALS, "\\0name"
addresses, struct-packed frames) on the other, so a difference in wire
format or address encoding between the two shows up as a failure.
"""

import os
import socket
import struct

import pytest

import udsock


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
