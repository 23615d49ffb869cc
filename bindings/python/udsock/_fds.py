"""File descriptors (SCM_RIGHTS) and credentials.

send_fds() and recv_fds() have socket.send_fds()'s and socket.recv_fds()'s
signatures and results, and are faster than them.
"""

from __future__ import annotations

import ctypes as ct
import errno
from typing import Any, Iterable, List, Optional, Tuple, Union, cast

from array import array as _array

from ._lib import (EAGAIN, EINTR, FLAGS_UNFILLED, MAX_FDS, MSG_DONTWAIT,
                   INT_MAX, SCRATCH_BYTES, AddrLike, BytesLike, Cred, FdLike,
                   HasFileno, Message, NO_CRED_ID, Socket, SocketLike,
                   addr_str, c_size_t, close_fds, error, fd_of, fds_array,
                   fill_cred, get_errno, lib, scratch, send_buf, size_of, tls)
from ._msg import delivered, keep_message, recv_one, sendmsg
from ._state import held
from ._wait import again

__all__ = [
    "send_fds", "recv_fds", "send_fd", "recv_fd", "peer_cred",
    "peer_pidfd", "set_passcred", "peer_groups", "peer_security",
    "send_creds", "recv_creds", "set_passpidfd", "set_passrights",
    "recv_pidfd",
]

_c_void_p = ct.c_void_p
_SYS_MSG_TRUNC = 0x20   # socket.MSG_TRUNC
_SYS_MSG_CTRUNC = 0x08  # socket.MSG_CTRUNC
# The library's message flags as recvmsg(2)'s: index = UDS_MSG_* bits.
_SYS_FLAGS = [(_SYS_MSG_TRUNC if i & 1 else 0)
              | (_SYS_MSG_CTRUNC if i & 2 else 0) for i in range(8)]


def send_fds(sock: SocketLike, buffers: Union[BytesLike, Iterable[BytesLike]],
             fds: Iterable[FdLike], flags: int = 0,
             address: Optional[AddrLike] = None) -> int:
    """Send data with file descriptors (SCM_RIGHTS); return the bytes sent.

    As socket.send_fds(sock, buffers, fds, flags=0, address=None): buffers
    is a list of bytes-like objects (one bytes-like object is taken as
    well), fds 1..MAX_FDS ints or objects with fileno() (they stay open
    here; a value beyond a C int raises OverflowError, never another fd),
    flags go to sendmsg(2), address ("/path" or "@name") names a datagram's
    destination. Unlike the standard library, an empty payload on a stream
    socket sends one zero byte to carry the fds (uds_send_fds). Waits as
    the socket's timeout says (TimeoutError, BlockingIOError).
    """
    c = buffers.__class__
    if c is list and len(buffers) == 1:  # type: ignore[arg-type]
        data: Any = buffers[0]  # type: ignore[index]
    elif c is bytes or c is bytearray or c is memoryview:
        data = buffers
    else:
        parts: List[Any] = list(cast(Any, buffers))
        data = parts[0] if len(parts) == 1 else b"".join(parts)
    if flags or address is not None:
        return sendmsg(sock, data, fds_array(fds) or (), None, address,
                       flags)
    fd = sock.fileno() if sock.__class__ is Socket else fd_of(sock)
    one = -1
    if fds.__class__ is list and len(fds) == 1:
        one = fds[0]
        if one.__class__ is not int or not 0 <= one <= INT_MAX:
            one = -1
    if one < 0:
        try:
            # array("i") raises OverflowError for values beyond a C int.
            a = _array("i", cast(Any, fds))
        except TypeError:
            a = fds_array(fds)
    s = scratch()
    try:
        z = s.z1
        if data.__class__ is bytes:
            z.value = len(data)
        else:
            data, z.value = send_buf(data)
        nf = s.z2
        p: Any
        if one >= 0:  # the usual case: one int, checked above
            p = s.cfds
            p[0] = one
            nf.value = 1
        else:
            nf.value = len(a)
            p = _c_void_p(a.buffer_info()[0])
        f = lib.uds_send_fds
        dl = None
        while True:
            r: int = f(fd, data, z, p, nf)
            if r >= 0:
                return r
            dl = again(sock, fd, dl, True)
    finally:
        s.busy = False


def recv_fds(sock: SocketLike, bufsize: int, maxfds: int,
             flags: int = 0) -> Tuple[bytes, List[int], int, Optional[str]]:
    """Receive data and up to maxfds file descriptors.

    As socket.recv_fds(sock, bufsize, maxfds, flags=0): returns (data, fds,
    msg_flags, address). The fds are close-on-exec ints the caller owns.
    msg_flags has socket.MSG_TRUNC if a datagram was cut and
    socket.MSG_CTRUNC if more fds came than maxfds (those that fit are
    delivered, the others closed). address is the sender's ("/path",
    "@name"), None when unnamed. (b"", [], 0, None) is the end of a
    stream. Waits as the socket's timeout says; fds that arrived are never
    lost to an exception (see recvmsg()).
    """
    fd = sock.fileno() if sock.__class__ is Socket else fd_of(sock)
    s = tls.s
    if (bufsize.__class__ is not int or maxfds.__class__ is not int
            or not 0 <= bufsize <= SCRATCH_BYTES or held[0] or s.busy
            or not 0 <= maxfds <= MAX_FDS):
        return _recv_fds(sock, fd, bufsize, maxfds, flags)
    # The common case in one uds_recvmsg through this thread's own uds_msg,
    # whose pointers are already set; anything else (waiting included)
    # goes the general way.
    s.busy = True
    m = s.rmsg
    try:
        m.len = bufsize
        m.nfds = MAX_FDS
        m.flags = FLAGS_UNFILLED
        r: int = lib.uds_recvmsg(fd, s.rmsgp, flags)
        if r < 0:
            if get_errno() in (EAGAIN, EINTR) and not flags & MSG_DONTWAIT:
                s.busy = False
                return _recv_fds(sock, fd, bufsize, maxfds, flags)
            raise error()
        k = m.nfds
        out = (s.view[:m.len].tobytes(), s.fds[:k] if k else [],
               _SYS_FLAGS[m.flags & 3],
               addr_str(s.raddr, s.raddraddr) if s.raddr.kind else None)
        m.flags = FLAGS_UNFILLED
        if k > maxfds:
            close_fds(out[1][maxfds:])
            return (out[0], out[1][:maxfds], out[2] | _SYS_MSG_CTRUNC, out[3])
        return out
    except BaseException:
        if m.flags != FLAGS_UNFILLED:  # arrived; an exception came after
            late = Message(s.view[:m.len].tobytes(), s.fds[:m.nfds], None,
                           m.flags & 3, addr_str(s.raddr, s.raddraddr))
            m.flags = FLAGS_UNFILLED
            keep_message(sock, fd, late)
        raise
    finally:
        s.busy = False


def _recv_fds(sock: SocketLike, fd: int, bufsize: int, maxfds: int,
              flags: int) -> Tuple[bytes, List[int], int, Optional[str]]:
    bufsize = size_of(bufsize, "bufsize")
    maxfds = size_of(maxfds, "maxfds")
    m = recv_one(sock, fd, bufsize, maxfds, flags, False)
    return (m.data, list(m.fds), _SYS_FLAGS[m.flags & 3], m.addr or None)


def send_fd(sock: SocketLike, fd: FdLike) -> None:
    """Send one file descriptor with a one-byte payload (uds_send_fd)."""
    s = fd_of(sock)
    x = fd_of(fd)
    f = lib.uds_send_fd
    dl = None
    while f(s, x) < 0:
        dl = again(sock, s, dl, True)


def recv_fd(sock: SocketLike) -> int:
    """Receive one file descriptor sent by send_fd() (uds_recv_fd).

    The caller owns the returned fd. End of stream raises
    ConnectionResetError; a message without exactly one fd has its fds
    closed and raises OSError(EBADMSG).
    """
    s = fd_of(sock)
    f = lib.uds_recv_fd
    dl = None
    while True:
        r: int = f(s)
        if r >= 0:
            return r
        dl = again(sock, s, dl, False)


def peer_cred(sock: SocketLike) -> Cred:
    """The connected peer's pid, uid and gid (uds_peer_cred, SO_PEERCRED)."""
    s = scratch()
    try:
        if lib.uds_peer_cred(fd_of(sock), s.credaddr) < 0:
            raise error()
        c = s.cred
        return Cred(c.pid, c.uid, c.gid)
    finally:
        s.busy = False


def peer_pidfd(sock: SocketLike) -> int:
    """A pidfd for the connected peer (uds_peer_pidfd, SO_PEERPIDFD).

    The caller owns the returned fd (close-on-exec).
    """
    r: int = lib.uds_peer_pidfd(fd_of(sock))
    if r < 0:
        raise error()
    return r


def set_passcred(sock: SocketLike, on: bool = True) -> None:
    """Turn SO_PASSCRED on or off (uds_set_passcred)."""
    if lib.uds_set_passcred(fd_of(sock), 1 if on else 0) < 0:
        raise error()


def peer_groups(sock: SocketLike) -> List[int]:
    """The connected peer's supplementary groups (uds_peer_groups)."""
    fd = fd_of(sock)
    n = c_size_t()
    cap = 64
    while True:
        groups = (ct.c_uint32 * cap)()
        n.value = cap
        if lib.uds_peer_groups(fd, groups, ct.byref(n)) >= 0:
            return groups[:n.value]
        if get_errno() != errno.ERANGE or n.value <= cap:
            raise error()
        cap = n.value


def peer_security(sock: SocketLike) -> str:
    """The connected peer's security label (uds_peer_security, SO_PEERSEC).

    Raises OSError(ENOPROTOOPT) where no security module provides one.
    """
    fd = fd_of(sock)
    cap = 256
    while True:
        buf = ct.create_string_buffer(cap)
        r = lib.uds_peer_security(fd, buf, cap)
        if r >= 0:
            return buf.raw[:r].decode("utf-8", "surrogateescape")
        if get_errno() != errno.ERANGE or cap >= 1 << 16:
            raise error()
        cap *= 4


def send_creds(sock: SocketLike, data: BytesLike,
               cred: Optional[Tuple[int, int, int]] = None) -> int:
    """Send data with SCM_CREDENTIALS (uds_send_creds); return bytes sent.

    cred: (pid, uid, gid), or None for the caller's own. Values the caller
    may not claim raise PermissionError.

    With None on a stream socket, SO_PASSCRED is turned on at sock and the
    kernel stamps the caller's ids on each message it sends. Messages sock
    receives then carry credentials too, which take control room first:
    socket.recv_fds on sock would lose descriptors to MSG_CTRUNC (this
    module's receives leave room). set_passcred(sock, False) turns it off.
    """
    fd = fd_of(sock)
    s = scratch()
    try:
        z = s.z1
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = send_buf(data)
        if cred is None:
            cp = None
        else:
            fill_cred(s.cred, cred)
            cp = s.credp
        f = lib.uds_send_creds
        dl = None
        while True:
            z.value = n
            r: int = f(fd, data, z, cp)
            if r >= 0:
                return r
            dl = again(sock, fd, dl, True)
    finally:
        s.busy = False


def recv_creds(sock: SocketLike, bufsize: int) -> Tuple[bytes, Cred]:
    """Receive data and the sender's credentials (uds_recv_creds).

    Turns SO_PASSCRED on if it was off. A message queued before that carries
    no real credentials: Cred(0, NO_CRED_ID, NO_CRED_ID).
    """
    fd = fd_of(sock)
    bufsize = size_of(bufsize, "bufsize")
    kept = delivered(sock, fd, bufsize)
    if kept is not None:
        return kept.data, kept.cred or Cred(0, NO_CRED_ID, NO_CRED_ID)
    s = scratch()
    try:
        buf, view = s.data(bufsize)
        z = s.z1
        f = lib.uds_recv_creds
        dl = None
        while True:
            z.value = bufsize
            r: int = f(fd, buf, z, s.credp)
            if r >= 0:
                c = s.cred
                return (view[:min(r, bufsize)].tobytes(),
                        Cred(c.pid, c.uid, c.gid))
            dl = again(sock, fd, dl, False)
    finally:
        s.busy = False




# --------------------------------------------------------------------------
# Who sent this message: pidfds (SO_PASSPIDFD) and SO_PASSRIGHTS


def set_passpidfd(sock: SocketLike, on: bool = True) -> None:
    """Turn SO_PASSPIDFD on or off (uds_set_passpidfd, Linux 6.5+).

    Messages received afterwards carry a pidfd of their sender, which
    recv_pidfd(), recvmsg_pidfd() and recv_batch_pidfd() deliver (the
    other receives close it). A kernel without the option raises
    OSError(ENOPROTOOPT).
    """
    if lib.uds_set_passpidfd(fd_of(sock), 1 if on else 0) < 0:
        raise error()


def set_passrights(sock: SocketLike, on: bool = True) -> None:
    """Refuse (on=False) or accept again descriptors sent to this socket
    (uds_set_passrights, SO_PASSRIGHTS, Linux 6.16+): a refused sender's
    send fails with EPERM (PermissionError). A kernel without it raises
    OSError(ENOPROTOOPT).
    """
    if lib.uds_set_passrights(fd_of(sock), 1 if on else 0) < 0:
        raise error()


def recv_pidfd(sock: SocketLike, bufsize: int) -> Tuple[bytes, Optional[int]]:
    """Receive one message and a pidfd of its sender (uds_recv_pidfd).

    Returns (data, pidfd): pidfd is a close-on-exec int the caller owns, or
    None when the message carried none. Turns SO_PASSPIDFD on if it was
    off (Linux 6.5+; OSError(ENOPROTOOPT) before). Descriptors sent with
    the message are closed. (b"", None) is the end of a stream. Unlike a
    pid, the pidfd can never come to name another process: read its pid
    from /proc/self/fdinfo/<pidfd> (Pid: -1 once the sender has exited and
    been reaped). Waits as the socket's timeout says.
    """
    fd = fd_of(sock)
    bufsize = size_of(bufsize, "bufsize")
    kept = delivered(sock, fd, bufsize)
    if kept is not None:
        return kept.data, None  # a kept message comes without its pidfd
    s = scratch()
    try:
        buf, view = s.data(bufsize)
        z = s.z1
        p = ct.c_int(-1)
        f = lib.uds_recv_pidfd
        dl = None
        while True:
            z.value = bufsize
            r: int = f(fd, buf, z, ct.byref(p))
            if r >= 0:
                pidfd = p.value
                return (view[:min(r, bufsize)].tobytes(),
                        pidfd if pidfd >= 0 else None)
            dl = again(sock, fd, dl, False)
    finally:
        s.busy = False
