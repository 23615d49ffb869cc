"""Sockets: create, bind, listen, accept, connect, close; addresses."""

from __future__ import annotations

import ctypes as ct
import socket as _socket
from typing import Any, Optional, Tuple, Union

from ._lib import (AF_UNIX, REPLACE_STALE, SOCK_NONBLOCK, SOCK_STREAM, Addr,
                   AddrLike, PathLike, Socket, SocketLike, addr_arg,
                   addr_str, check_retry, einval, error, fd_of, fill_addr,
                   c_int, fsdecode, lib, name_arg, path_arg, scratch)

__all__ = [
    "getsockname", "getpeername", "format_addr", "socket", "bind",
    "bind_abstract", "autobind", "listen", "accept", "connect",
    "connect_abstract", "socketpair", "Listener", "listener", "dial",
    "unlink", "close", "unlink_path",
]


def wrap(fd: int, type: int, cls: Any = Socket) -> Any:
    """A socket.socket (or cls) owning fd (closed if wrapping fails)."""
    try:
        return cls(AF_UNIX, type, 0, fd)
    except BaseException:
        _socket.close(fd)
        raise


class Listener(Socket):
    """A server socket made by listener(): a socket.socket that removes its
    socket file and ``<path>.lock`` when it is closed.

    ``close()``, leaving a ``with`` block, and the last ``makefile()``
    object's close all go through the library's uds_close: the path is
    removed only if it still names the very socket file this socket
    created (a newer server's file is left alone). ``detach()`` hands the
    fd over without removing anything. accept() is the standard library's.
    """

    __slots__ = ()

    def _real_close(self, _ss: Any = Socket) -> None:
        fd = self.fileno()
        if fd < 0:
            return
        # Detach first: the socket object never closes this fd again,
        # whatever uds_close reports (it closes the fd in every case but
        # EBADF, and leaves a file it may not remove).
        _ss.detach(self)
        lib.uds_close(fd)


def getsockname(sock: SocketLike) -> str:
    """The socket's own address: "/path", "@name", or "" if unnamed.

    For a socket the library bound through a long path this is the real
    path, not the /proc alias; if it is longer than 108 bytes, only its
    first 108 bytes followed by "...".
    """
    return _name(sock, lib.uds_getsockname)


def getpeername(sock: SocketLike) -> str:
    """The connected peer's address: "/path", "@name", or "" if unnamed."""
    return _name(sock, lib.uds_getpeername)


def _name(sock: SocketLike, call: Any) -> str:
    """uds_getsockname or uds_getpeername into this thread's scratch uds_addr."""
    fd = fd_of(sock)
    s = scratch()
    try:
        if call(fd, s.addraddr) < 0:
            raise error()
        return addr_str(s.addr, s.addraddr)
    finally:
        s.busy = False


def format_addr(addr: AddrLike) -> str:
    """A printable, one-line form of an address string (uds_addr_format).

    "/tmp/x" prints as it is, "@name" with NULs, other bytes outside
    printable ASCII and the backslash as \\xNN, "" (unnamed) as
    "(unnamed)". A pathname over 108 bytes is cut and ends in "...".
    """
    a = Addr()
    fill_addr("format_addr", a, addr, cut=True)
    cap = 512
    while True:
        buf = ct.create_string_buffer(cap)
        need = lib.uds_addr_format(ct.byref(a), buf, cap)
        if need < 0:
            raise error()
        if need < cap:
            return buf.value.decode("utf-8", "surrogateescape")
        cap = need + 1


# --------------------------------------------------------------------------
# Create, bind, listen, accept, connect


def socket(type: int = SOCK_STREAM) -> Socket:
    """A new, unbound Unix-domain socket (uds_socket), close-on-exec.

    type: socket.SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET, optionally
    OR'ed with socket.SOCK_NONBLOCK.
    """
    fd = lib.uds_socket(type)
    if fd < 0:
        raise error()
    s: Socket = wrap(fd, type)
    return s


def bind(sock: SocketLike, path: PathLike) -> None:
    """Bind to a pathname of any length (uds_bind).

    The path is always a pathname here ("@" has no special meaning); use
    bind_abstract() for an abstract name.
    """
    fd = fd_of(sock)
    if lib.uds_bind(fd, path_arg("bind", path)) < 0:
        raise error()


def bind_abstract(sock: SocketLike, name: Union[bytes, str]) -> None:
    """Bind to the abstract name `name` (uds_bind_abstract).

    name: 1..107 bytes (or a str), NUL bytes allowed, without the "@".
    """
    fd = fd_of(sock)
    b = name_arg(name)
    if lib.uds_bind_abstract(fd, b, len(b)) < 0:
        raise error()


def autobind(sock: SocketLike) -> str:
    """Bind to a kernel-chosen abstract name (uds_autobind).

    Returns the name, as "@xxxxx".
    """
    fd = fd_of(sock)
    if lib.uds_autobind(fd) < 0:
        raise error()
    return getsockname(fd)


def listen(sock: SocketLike, backlog: int = 0) -> None:
    """Start listening (uds_listen); backlog <= 0 means SOMAXCONN."""
    fd = fd_of(sock)
    if lib.uds_listen(fd, backlog) < 0:
        raise error()


def connect(sock: SocketLike, path: PathLike) -> None:
    """Connect to a pathname of any length (uds_connect)."""
    fd = fd_of(sock)
    p = path_arg("connect", path)
    f = lib.uds_connect
    while f(fd, p) < 0:
        check_retry()


def connect_abstract(sock: SocketLike, name: Union[bytes, str]) -> None:
    """Connect to the abstract name `name` (bytes, NULs allowed; no "@")."""
    fd = fd_of(sock)
    b = name_arg(name)
    f = lib.uds_connect_abstract
    while f(fd, b, len(b)) < 0:
        check_retry()


def socketpair(
        type: int = SOCK_STREAM) -> Tuple[Socket, Socket]:
    """A connected pair of sockets (uds_socketpair)."""
    sv = (c_int * 2)()
    if lib.uds_socketpair(type, sv) < 0:
        raise error()
    a = wrap(sv[0], type)
    try:
        b = wrap(sv[1], type)
    except BaseException:
        a.close()
        raise
    return a, b


def dial(addr: AddrLike, type: int = SOCK_STREAM) -> Socket:
    """A socket connected to addr, "/path" or "@abstract" (uds_dial)."""
    b = addr_arg(addr)
    if b"\0" in b:
        if not b.startswith(b"@"):
            raise einval("dial", "path %r contains a NUL byte" % (b,))
        s = socket(type)
        try:
            connect_abstract(s, b[1:])
        except BaseException:
            s.close()
            raise
        return s
    f = lib.uds_dial
    while True:
        fd = f(b, type)
        if fd >= 0:
            conn: Socket = wrap(fd, type)
            return conn
        check_retry()


def unlink(sock: SocketLike) -> None:
    """Remove the socket file this socket was bound to (uds_unlink).

    Only if the path still names the very file this socket created, so a
    newer server's socket is never removed; releases the lock file too.
    The socket stays open. Raises OSError(EINVAL) if the library did not
    bind it to a pathname (or it was already unlinked), FileNotFoundError
    if the path no longer names that file (it is left alone).
    """
    fd = fd_of(sock)
    if lib.uds_unlink(fd) < 0:
        raise error()


def unlink_path(path: PathLike) -> None:
    """Remove path, of any length, only if it is a socket (uds_unlink_path).

    A regular file, directory or symlink is left alone: OSError(ENOTSOCK).
    """
    if lib.uds_unlink_path(path_arg("unlink_path", path)) < 0:
        raise error()




def _addr_from_std(family: int, addr: Any) -> Any:
    """The standard library's AF_UNIX address in this module's string form
    ("" unnamed, "/path", "@abstract"); other families' as they are."""
    if family != AF_UNIX:
        return addr
    if isinstance(addr, bytes):  # abstract: b"\\0name"
        return "@" + fsdecode(addr[1:]) if addr[:1] == b"\0" else fsdecode(addr)
    return addr if addr is not None else ""


def accept(listener: SocketLike, flags: int = 0) -> Tuple[Socket, Any]:
    """Accept one connection: (conn, address), as socket.accept() returns.

    conn has the listener's family, type and protocol (an AF_INET listener
    gives an AF_INET socket). address is the peer's in this module's string
    form for a Unix-domain socket ("" when unnamed, as clients usually
    are), the standard library's for other families. flags: 0, or
    socket.SOCK_NONBLOCK for a non-blocking conn. A socket.socket listener
    keeps its timeout as socket.accept() does (TimeoutError,
    BlockingIOError); it is socket.accept() that runs.
    """
    if isinstance(listener, Socket):
        conn, addr = Socket.accept(listener)
        if flags & SOCK_NONBLOCK:
            conn.setblocking(False)
        return conn, _addr_from_std(conn.family, addr)
    fd = fd_of(listener)
    f = lib.uds_accept
    while True:
        r = f(fd, flags)
        if r >= 0:
            break
        check_retry()
    try:
        # Family, type and protocol are read from the fd itself.
        conn = Socket(fileno=r)
    except BaseException:
        _socket.close(r)
        raise
    try:
        addr = _addr_from_std(conn.family, conn.getpeername())
    except OSError:
        addr = "" if conn.family == AF_UNIX else None
    return conn, addr


def listener(addr: AddrLike, *, type: int = SOCK_STREAM, backlog: int = 0,
             mode: Optional[int] = None,
             replace_stale: bool = False) -> Listener:
    """A bound, listening server socket in one call (uds_listener).

    addr: "/path" (any length) or "@abstract".
    type: SOCK_STREAM, SOCK_SEQPACKET or SOCK_DGRAM (bound, no listen),
        optionally | SOCK_NONBLOCK.
    backlog: <= 0 means SOMAXCONN.
    mode: permission bits of a pathname socket (e.g. 0o600); None keeps what
        the umask gives. The file never has more permissions than `mode`.
    replace_stale: if the path is a socket nothing listens on, remove it and
        bind again; a live socket (EADDRINUSE), a regular file or a symlink
        (FileExistsError) is never removed.

    Returns a Listener, a socket.socket whose close() (and the end of a
    ``with`` block) removes the socket file and its lock file, if the path
    still names the file this socket created.
    """
    b = addr_arg(addr)
    flags = REPLACE_STALE if replace_stale else 0
    m = -1 if mode is None else mode
    if b"\0" in b:
        if not b.startswith(b"@"):
            raise einval("listener", "path %r contains a NUL byte" % (b,))
        # An abstract name with NUL bytes cannot travel as a C string.
        fd = lib.uds_socket(type)
        if fd < 0:
            raise error()
        s = wrap(fd, type, Listener)
        try:
            bind_abstract(s, b[1:])
            if type & ~SOCK_NONBLOCK != _socket.SOCK_DGRAM:
                listen(s, backlog)
        except BaseException:
            s.close()
            raise
        return s  # type: ignore[no-any-return]
    f = lib.uds_listener
    while True:
        fd = f(b, type, backlog, m, flags)
        if fd >= 0:
            return wrap(fd, type, Listener)  # type: ignore[no-any-return]
        check_retry()


def close(sock: Union[Socket, int]) -> None:
    """unlink() if it applies, then close (uds_close).

    A socket.socket is detached first, so it does not close the fd again;
    closing an already closed socket.socket does nothing. A Listener does
    the same with its own close().
    """
    f = lib.uds_close
    if isinstance(sock, Socket):
        if sock.fileno() < 0:
            return
        fd = sock.detach()
    elif isinstance(sock, int):
        fd = fd_of(sock)
    else:
        raise TypeError("udsock.close() takes a socket.socket or an int fd, "
                        "not %s" % type(sock).__name__)
    if f(fd) < 0:
        raise error()
