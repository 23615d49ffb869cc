"""Create, bind, listen, accept, connect, listener/dial, unlink/close, names."""

import errno
import os
import pathlib
import socket
import stat

import pytest

import udsock

TYPES = [socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET]


def long_dir(base, total):
    """A directory under base whose path is about `total` bytes long."""
    d = str(base)
    while len(d) < total - 60:
        d = os.path.join(d, "d" * 50)
    os.makedirs(d, exist_ok=True)
    return d


@pytest.mark.parametrize("type", TYPES)
def test_socket(type):
    with udsock.socket(type) as s:
        assert isinstance(s, socket.socket)
        assert s.family == socket.AF_UNIX
        assert s.type == type
        assert s.getblocking()
        assert not os.get_inheritable(s.fileno())


def test_socket_nonblocking():
    with udsock.socket(socket.SOCK_STREAM | socket.SOCK_NONBLOCK) as s:
        assert s.type == socket.SOCK_STREAM
        assert s.getblocking() is False
        assert os.get_blocking(s.fileno()) is False


def test_socket_bad_type():
    with pytest.raises(OSError) as ei:
        udsock.socket(socket.SOCK_RAW)
    assert ei.value.errno == errno.EINVAL
    assert ei.value.strerror.startswith("uds_socket")


def test_bind_listen_accept_connect(sock_path):
    with udsock.socket() as srv, udsock.socket() as cli:
        udsock.bind(srv, sock_path)
        udsock.listen(srv, 4)
        assert stat.S_ISSOCK(os.stat(sock_path).st_mode)
        udsock.connect(cli, sock_path)
        with udsock.accept(srv)[0] as conn:
            assert conn.type == socket.SOCK_STREAM
            assert conn.getblocking()
            assert not os.get_inheritable(conn.fileno())
            cli.sendall(b"ping")
            assert conn.recv(4) == b"ping"
            assert udsock.getsockname(srv) == sock_path
            assert udsock.getpeername(cli) == sock_path
            assert udsock.getsockname(conn) == sock_path
            assert udsock.getsockname(cli) == ""
            assert udsock.getpeername(conn) == ""


def test_bind_and_connect_take_path_objects(tmp_path):
    p = tmp_path / "p.sock"
    with udsock.socket() as srv, udsock.socket() as cli:
        udsock.bind(srv, p)
        udsock.listen(srv)
        udsock.connect(cli, p)
        udsock.accept(srv)[0].close()
        assert udsock.getsockname(srv) == str(p)


def test_bind_address_in_use(sock_path):
    with udsock.socket() as a, udsock.socket() as b:
        udsock.bind(a, sock_path)
        with pytest.raises(OSError) as ei:
            udsock.bind(b, sock_path)
        assert ei.value.errno == errno.EADDRINUSE


def test_accept_nonblocking(sock_path):
    with udsock.listener(sock_path) as srv, udsock.dial(sock_path):
        with udsock.accept(srv, socket.SOCK_NONBLOCK)[0] as conn:
            assert conn.getblocking() is False
            assert os.get_blocking(conn.fileno()) is False
            with pytest.raises(BlockingIOError):
                conn.recv(1)


def test_accept_on_nonblocking_listener_with_nothing_waiting(sock_path):
    with udsock.listener(sock_path,
                         type=socket.SOCK_STREAM | socket.SOCK_NONBLOCK) as l:
        with pytest.raises(BlockingIOError):
            udsock.accept(l)[0]


def test_accept_takes_an_int_fd(sock_path):
    with udsock.listener(sock_path, type=socket.SOCK_SEQPACKET) as srv, \
            udsock.dial(sock_path, socket.SOCK_SEQPACKET) as cli:
        with udsock.accept(srv.fileno())[0] as conn:
            assert conn.type == socket.SOCK_SEQPACKET
            cli.send(b"one")
            cli.send(b"two")
            assert conn.recv(100) == b"one"


def test_abstract(abstract_addr):
    name = abstract_addr[1:].encode()
    with udsock.socket() as srv, udsock.socket() as cli:
        udsock.bind_abstract(srv, name)
        udsock.listen(srv)
        assert udsock.getsockname(srv) == abstract_addr
        udsock.connect_abstract(cli, name)
        with udsock.accept(srv)[0]:
            assert udsock.getpeername(cli) == abstract_addr


def test_abstract_name_with_nul_bytes(abstract_addr):
    addr = abstract_addr + "\0tail\x01"
    with udsock.listener(addr) as srv, udsock.dial(addr) as cli:
        with udsock.accept(srv)[0] as conn:
            assert udsock.getsockname(srv) == addr
            assert udsock.getpeername(cli) == addr
            cli.sendall(b"x")
            assert conn.recv(1) == b"x"


def test_abstract_name_limits(abstract_addr):
    with udsock.socket() as s:
        with pytest.raises(OSError) as ei:
            udsock.bind_abstract(s, b"")
        assert ei.value.errno == errno.EINVAL
        with pytest.raises(OSError) as ei:
            udsock.bind_abstract(s, b"n" * 108)
        assert ei.value.errno in (errno.EINVAL, errno.ENAMETOOLONG)
        name = (abstract_addr[1:] + "x" * 107)[:107]
        udsock.bind_abstract(s, name)
        assert udsock.getsockname(s) == "@" + name


def test_autobind():
    with udsock.socket(socket.SOCK_DGRAM) as s:
        name = udsock.autobind(s)
        assert name.startswith("@") and len(name) > 1
        assert udsock.getsockname(s) == name


@pytest.mark.parametrize("type", TYPES)
def test_socketpair(type):
    a, b = udsock.socketpair(type)
    with a, b:
        for s in (a, b):
            assert s.family == socket.AF_UNIX and s.type == type
            assert not os.get_inheritable(s.fileno())
        a.send(b"to b")
        assert b.recv(10) == b"to b"
        b.send(b"to a")
        assert a.recv(10) == b"to a"


def test_socketpair_bad_type():
    with pytest.raises(OSError) as ei:
        udsock.socketpair(12345)
    assert ei.value.errno == errno.EINVAL


def test_listener_and_dial(tmp_path):
    p = tmp_path / "srv.sock"
    srv = udsock.listener(str(p))
    assert stat.S_ISSOCK(os.stat(str(p)).st_mode)
    with udsock.dial(str(p)) as cli, udsock.accept(srv)[0] as conn:
        cli.sendall(b"hello")
        assert conn.recv(5) == b"hello"
    udsock.close(srv)
    assert srv.fileno() == -1
    assert not p.exists()
    udsock.close(srv)  # closing a closed socket object is a no-op


@pytest.mark.parametrize("type", [socket.SOCK_SEQPACKET, socket.SOCK_DGRAM])
def test_listener_types(sock_path, type):
    with udsock.listener(sock_path, type=type) as srv, \
            udsock.dial(sock_path, type) as cli:
        assert srv.type == type and cli.type == type
        if type == socket.SOCK_DGRAM:
            cli.send(b"datagram")
            assert srv.recv(100) == b"datagram"
        else:
            with udsock.accept(srv)[0] as conn:
                cli.send(b"packet")
                assert conn.recv(100) == b"packet"
                assert conn.type == type


def test_listener_abstract(abstract_addr):
    with udsock.listener(abstract_addr) as srv, udsock.dial(abstract_addr):
        assert udsock.getsockname(srv) == abstract_addr
        udsock.accept(srv)[0].close()


def test_listener_mode(tmp_path):
    for mode in (0o600, 0o660, 0o777):
        p = str(tmp_path / ("m%o" % mode))
        s = udsock.listener(p, mode=mode)
        assert stat.S_IMODE(os.stat(p).st_mode) == mode
        udsock.close(s)


def test_listener_mode_none_follows_umask(sock_path):
    old = os.umask(0o077)
    try:
        s = udsock.listener(sock_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o700
    udsock.close(s)


def test_listener_over_stale_socket(sock_path):
    old = udsock.listener(sock_path)
    os.close(old.detach())  # close(2) alone: the file stays behind, stale
    assert os.path.exists(sock_path)
    with pytest.raises(OSError) as ei:
        udsock.listener(sock_path)
    assert ei.value.errno == errno.EADDRINUSE
    srv = udsock.listener(sock_path, replace_stale=True)
    with udsock.dial(sock_path), udsock.accept(srv)[0]:
        pass
    udsock.close(srv)
    assert not os.path.exists(sock_path)


def test_listener_never_replaces_a_live_socket(sock_path):
    with udsock.listener(sock_path) as live:
        with pytest.raises(OSError) as ei:
            udsock.listener(sock_path, replace_stale=True)
        assert ei.value.errno == errno.EADDRINUSE
        with udsock.dial(sock_path), udsock.accept(live)[0]:
            pass


def test_listener_never_replaces_a_file_or_symlink(tmp_path):
    f = tmp_path / "file"
    f.write_text("data")
    with pytest.raises(FileExistsError):
        udsock.listener(str(f), replace_stale=True)
    assert f.read_text() == "data"
    link = tmp_path / "link"
    os.symlink(str(f), str(link))
    with pytest.raises(FileExistsError):
        udsock.listener(str(link), replace_stale=True)
    assert os.path.islink(str(link)) and f.read_text() == "data"


def test_long_paths(tmp_path):
    d = long_dir(tmp_path, 250)
    p = os.path.join(d, "server.sock")
    assert len(p.encode()) > 200
    srv = udsock.listener(p)
    assert stat.S_ISSOCK(os.stat(p).st_mode)
    with udsock.dial(p) as cli, udsock.accept(srv)[0] as conn:
        cli.sendall(b"long")
        assert conn.recv(4) == b"long"
    udsock.close(srv)
    assert not os.path.exists(p)


def test_long_path_bind_and_connect(tmp_path):
    p = os.path.join(long_dir(tmp_path, 300), "b.sock")
    with udsock.socket() as srv, udsock.socket() as cli:
        udsock.bind(srv, p)
        udsock.listen(srv)
        udsock.connect(cli, p)
        udsock.accept(srv)[0].close()
        udsock.unlink(srv)
    assert not os.path.exists(p)


def test_getsockname_of_a_long_path(tmp_path):
    # uds_addr holds only the first 108 bytes of a longer path.
    p = os.path.join(long_dir(tmp_path, 250), "name.sock")
    s = udsock.listener(p)
    try:
        assert udsock.getsockname(s) == p[:108] + "..."
        assert udsock.format_addr(p) == p[:108] + "..."
    finally:
        udsock.close(s)


def test_final_component_too_long(tmp_path):
    p = str(tmp_path / ("c" * 200))
    with pytest.raises(OSError) as ei:
        udsock.listener(p)
    assert ei.value.errno == errno.ENAMETOOLONG


def test_bad_paths(tmp_path):
    for bad in ("", str(tmp_path / "a\0b"), b"/tmp/a\0b"):
        with pytest.raises(OSError) as ei:
            udsock.listener(bad)
        assert ei.value.errno == errno.EINVAL, bad
        with pytest.raises(OSError) as ei:
            udsock.dial(bad)
        assert ei.value.errno == errno.EINVAL, bad
    with udsock.socket() as s:
        with pytest.raises(OSError) as ei:
            udsock.bind(s, str(tmp_path / "x\0y"))
        assert ei.value.errno == errno.EINVAL
        with pytest.raises(OSError) as ei:
            udsock.connect(s, "")
        assert ei.value.errno == errno.EINVAL


def test_path_object_is_never_abstract(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    s = udsock.listener(pathlib.Path("@not-abstract"))
    try:
        assert os.path.exists(str(tmp_path / "@not-abstract"))
        assert udsock.getsockname(s) == "./@not-abstract"
    finally:
        udsock.close(s)


def test_dial_errors(sock_path, abstract_addr):
    with pytest.raises(FileNotFoundError):
        udsock.dial(sock_path)
    with udsock.socket() as s:  # bound, never listening
        udsock.bind(s, sock_path)
        with pytest.raises(ConnectionRefusedError):
            udsock.dial(sock_path)
    with pytest.raises(ConnectionRefusedError):
        udsock.dial(abstract_addr)


def test_unlink(sock_path):
    srv = udsock.listener(sock_path)
    with udsock.dial(sock_path) as early:
        udsock.unlink(srv)
        assert not os.path.exists(sock_path)
        with pytest.raises(FileNotFoundError):
            udsock.dial(sock_path)
        with udsock.accept(srv)[0] as conn:  # the listener itself still works
            early.sendall(b"still here")
            assert conn.recv(10) == b"still here"
    srv.close()


def test_unlink_spares_a_newer_socket_at_the_same_path(sock_path):
    first = udsock.listener(sock_path)
    os.unlink(sock_path)
    second = udsock.listener(sock_path)
    try:
        udsock.unlink(first)
    except OSError:
        pass
    assert os.path.exists(sock_path)
    first.close()
    udsock.close(second)
    assert not os.path.exists(sock_path)


def test_reused_fd_number_is_not_mistaken_for_the_old_socket(sock_path):
    old = udsock.listener(sock_path)
    other = udsock.socket()
    fd = old.fileno()
    os.close(old.detach())  # plain close(2): the library is not told
    os.dup2(other.fileno(), fd)  # same fd number, another socket
    other.close()
    try:
        udsock.unlink(fd)
    except OSError:
        pass
    assert os.path.exists(sock_path)
    os.close(fd)


def test_close_int_fd(sock_path):
    s = udsock.listener(sock_path)
    fd = s.detach()
    udsock.close(fd)
    assert not os.path.exists(sock_path)
    with pytest.raises(OSError) as ei:
        os.fstat(fd)
    assert ei.value.errno == errno.EBADF


def test_close_rejects_other_objects():
    with pytest.raises(TypeError):
        udsock.close("3")


def test_unlink_path(tmp_path):
    p = str(tmp_path / "stale.sock")
    os.close(udsock.listener(p).detach())  # close(2) leaves the file
    udsock.unlink_path(p)
    assert not os.path.exists(p)
    f = tmp_path / "regular"
    f.write_text("keep")
    with pytest.raises(OSError):
        udsock.unlink_path(str(f))
    assert f.read_text() == "keep"
    with pytest.raises(FileNotFoundError):
        udsock.unlink_path(p)


def test_unlink_path_long(tmp_path):
    p = os.path.join(long_dir(tmp_path, 300), "stale.sock")
    os.close(udsock.listener(p).detach())
    assert os.path.exists(p)
    udsock.unlink_path(p)
    assert not os.path.exists(p)


def test_bad_fds():
    for fn, args in ((udsock.listen, ()), (udsock.getsockname, ()),
                     (udsock.accept, ()), (udsock.unlink, ())):
        # As CPython's own fd arguments: a negative int is a ValueError.
        with pytest.raises(ValueError):
            fn(-1, *args)
        with pytest.raises(OSError) as ei:
            fn(1 << 30, *args)  # no such fd
        assert ei.value.errno in (errno.EBADF, errno.EINVAL), fn
    s = udsock.socket()
    s.close()
    with pytest.raises(OSError) as ei:
        udsock.listen(s)  # a closed socket object: fileno() is -1
    assert ei.value.errno in (errno.EBADF, errno.EINVAL)


def test_format_addr(abstract_addr):
    assert udsock.format_addr("/tmp/x") == "/tmp/x"
    assert udsock.format_addr("") == "(unnamed)"
    assert udsock.format_addr(abstract_addr) == abstract_addr
    assert udsock.format_addr(abstract_addr + "\0\x01z") == \
        abstract_addr + "\\x00\\x01z"
    assert udsock.format_addr(b"@a\xffb") == "@a\\xffb"


def test_getpeername_not_connected():
    with udsock.socket() as s:
        with pytest.raises(OSError) as ei:
            udsock.getpeername(s)
        assert ei.value.errno == errno.ENOTCONN
