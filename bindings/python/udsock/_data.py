"""Data: send and receive, whole transfers, datagrams, frames.

On a socket.socket the plain calls are the standard library's own methods
(send, recv, sendall): they cost what the standard library costs and keep
its timeouts. Everything else waits in Python (see _wait).
"""

from __future__ import annotations

import ctypes as ct
import errno as _errno
import socket as _socket
import struct as _struct
from typing import Any, Iterable, List, Optional, Tuple

from . import _state
from ._lib import (FRAME_MAX_DEFAULT, MAX_FDS, MSG_NOSIGNAL, AddrLike, BytesLike,
                   FdLike, Scratch, Socket, SocketLike, addr_arg, addr_str, c_char,
                   close_fds, fds_array,
                   einval, error, fd_of, get_errno, lib, scratch, send_buf,
                   size_of, socket_type)
from ._msg import delivered
from ._wait import Deadline, again, timeout_of

__all__ = [
    "send", "recv", "send_all", "recv_exact", "pending", "sendto",
    "recvfrom", "send_frame", "recv_frame", "send_frame_fds",
    "recv_frame_fds",
]

_MSG_TRUNC_SYS = 0x20  # MSG_TRUNC as recv(2) takes it
_MSG_PEEK = 0x2
_MSG_DONTWAIT = 0x40
_HDR = _struct.Struct("=I")
_FRAME_LIMIT = 0xFFFFFFFF


def _keeps_boundaries(sock: Any, fd: int) -> bool:
    """Whether sock is a SOCK_SEQPACKET or SOCK_DGRAM socket, where a read
    shorter than a message drops the rest of it: the byte-counting readers
    below are for streams only."""
    if isinstance(sock, Socket):
        return bool(sock.type != _socket.SOCK_STREAM)
    # Not a socket (-1): the stream path reports it.
    return socket_type(fd) in (_socket.SOCK_DGRAM, _socket.SOCK_SEQPACKET)


def _message_len(sock: Any, fd: int, s: Scratch,
                 dl: Optional[Deadline]) -> Tuple[int, Deadline]:
    """The length of the next message, waiting for one as the socket's
    timeout allows; nothing is consumed."""
    s.z1.value = 4
    while True:
        n: int = lib.uds_recv(fd, s.buf, s.z1, _MSG_PEEK | _MSG_TRUNC_SYS | _MSG_DONTWAIT)
        if n >= 0:
            return n, dl if dl is not None else Deadline(sock, fd)
        dl = again(sock, fd, dl, False)


def _record_frame(sock: Any, fd: int, maxsize: int, fds: bool,
                  maxfds: int) -> Optional[Tuple[bytes, List[int]]]:
    """A frame on a socket that keeps message boundaries: one message that
    holds exactly one frame, read whole by uds_recv_frame(_fds) (which
    reports any other message, consumed: EPROTOTYPE). Memory beyond the
    thread's scratch buffer is taken for the message, at most maxsize."""
    s = scratch()
    try:
        dl: Optional[Deadline] = None
        while True:
            n, dl = _message_len(sock, fd, s, dl)
            s.z1.value = cap = min(maxsize, max(n - 4, 0))
            buf, view = s.data(cap)
            if fds:
                # One message carries at most MAX_FDS descriptors.
                s.n.value = min(maxfds, MAX_FDS)
                r: int = lib.uds_recv_frame_fds(fd, buf, s.z1, s.z2ptr, s.fds, s.nptr)
            else:
                r = lib.uds_recv_frame(fd, buf, s.z1, s.z2ptr)
            if r == 1:
                got = list(s.fds[:s.n.value]) if fds else []
                return view[:s.z2.value].tobytes(), got
            if r == 0:
                return None
            if get_errno() == _errno.EMSGSIZE:
                raise _too_big(s.z2.value, maxsize)
            dl = again(sock, fd, dl, False)
    finally:
        s.busy = False


def send(sock: SocketLike, data: BytesLike, flags: int = 0) -> int:
    """Send some of data (flags as for send(2)); return the bytes sent.

    A socket.socket's own send() with MSG_NOSIGNAL added, so it keeps its
    timeout; an int fd goes through uds_send. Never raises SIGPIPE: a
    closed peer gives BrokenPipeError.
    """
    if isinstance(sock, Socket):
        try:
            n: int = sock.send(data, flags | MSG_NOSIGNAL)
        except BufferError:  # not C-contiguous: send a copy
            n = sock.send(memoryview(data).tobytes(), flags | MSG_NOSIGNAL)
        return n
    fd = fd_of(sock)
    s = scratch()
    try:
        z = s.z1
        if data.__class__ is bytes:
            z.value = len(data)
        else:
            data, z.value = send_buf(data)
        f = lib.uds_send
        dl = None
        while True:
            r: int = f(fd, data, z, flags)
            if r >= 0:
                return r
            dl = again(sock, fd, dl, True, flags)
    finally:
        s.busy = False


def _undelivered(sock: Any, fd: int, bufsize: int) -> Optional[bytes]:
    """Bytes an interrupted recv_exact()/recv_frame() left, if any."""
    r = _state.take(sock, fd)
    if r is None:
        return None
    try:
        if r.got:
            return r.take(min(bufsize, r.got))
        return None
    finally:
        _state.keep(sock, fd, r)


def recv(sock: SocketLike, bufsize: int, flags: int = 0) -> bytes:
    """Receive up to bufsize bytes; b"" at end of stream.

    Never returns more than bufsize bytes, even with socket.MSG_TRUNC (which
    makes recv(2) report a longer datagram's whole length). A
    socket.socket's own recv(), so it keeps its timeout; an int fd goes
    through uds_recv.
    """
    if _state.held[0]:
        fd = fd_of(sock)
        b = _undelivered(sock, fd, size_of(bufsize, "bufsize"))
        if b is not None:
            return b
    if isinstance(sock, Socket):
        if not flags & _MSG_TRUNC_SYS:
            out: bytes = sock.recv(bufsize, flags)
            return out
        buf = bytearray(size_of(bufsize, "bufsize"))
        k = sock.recv_into(buf, bufsize, flags)
        return bytes(buf[:min(k, bufsize)])
    fd = fd_of(sock)
    bufsize = size_of(bufsize, "bufsize")
    s = scratch()
    try:
        buf, view = s.data(bufsize)
        z = s.z1
        f = lib.uds_recv
        dl = None
        while True:
            z.value = bufsize
            r: int = f(fd, buf, z, flags)
            if r >= 0:
                return view[:min(r, bufsize)].tobytes()
            dl = again(sock, fd, dl, False, flags)
    finally:
        s.busy = False


def _send_all_fd(sock: Any, fd: int, data: Any) -> None:
    """send_all on an fd: uds_send until done, waiting in Python."""
    n = memoryview(data).nbytes
    if not n:
        return
    buf = (c_char * n).from_buffer_copy(data)
    base = ct.addressof(buf)
    z = ct.c_size_t()
    f = lib.uds_send
    off = 0
    dl = Deadline(sock, fd)
    while off < n:
        z.value = n - off
        r: int = f(fd, ct.c_void_p(base + off), z, 0)
        if r >= 0:
            off += r
        else:
            again(sock, fd, dl, True)


def send_all(sock: SocketLike, data: BytesLike) -> None:
    """Send all of data, continuing after partial sends.

    As socket.sendall(): the socket's timeout bounds the whole transfer
    (TimeoutError; a non-blocking socket may raise BlockingIOError after
    part of the data went), and a signal handler's exception
    (KeyboardInterrupt) stops it between two sends.
    """
    if isinstance(sock, Socket):
        try:
            sock.sendall(data, MSG_NOSIGNAL)
        except BufferError:  # not C-contiguous: send a copy
            sock.sendall(memoryview(data).tobytes(), MSG_NOSIGNAL)
        return
    _send_all_fd(sock, fd_of(sock), data)


def _fill(sock: Any, fd: int, r: _state.Reader, target: int,
          dl: Deadline, fds: bool = False) -> bool:
    """Read until r holds target bytes, never past them; False at EOF."""
    r.reserve(target)
    while r.got < target:
        n = r.read(fd, target - r.got, 0, fds)
        if n > 0:
            continue
        if n == 0:
            return False
        again(sock, fd, dl, False)
    return True


def _record_exact(sock: Any, fd: int, n: int) -> bytes:
    """recv_exact on a socket that keeps message boundaries: one message of
    exactly n bytes, by uds_recv_exact (a longer or shorter one is
    consumed: EMSGSIZE), waiting as the socket's timeout allows. n == 0
    is b"" at once, as uds_recv_exact with len 0: no message is waited
    for or consumed."""
    if not n:
        return b""
    s = scratch()
    try:
        dl: Optional[Deadline] = None
        buf, view = s.data(n)
        while True:
            _, dl = _message_len(sock, fd, s, dl)
            s.z1.value = n
            r: int = lib.uds_recv_exact(fd, buf, s.z1)
            if r >= 0:
                return view[:r].tobytes()
            dl = again(sock, fd, dl, False)
    finally:
        s.busy = False


def _reset(what: str, r: _state.Reader, got: int, n: int) -> OSError:
    r.got = 0
    r.drop_fds()
    return ConnectionResetError(
        _errno.ECONNRESET, "udsock.%s: the stream ended after %d of %d bytes"
        % (what, got, n))


def recv_exact(sock: SocketLike, n: int) -> bytes:
    """Receive exactly n bytes.

    Returns b"" at a clean end of stream before the first byte; raises
    ConnectionResetError if the stream ended part-way. The socket's
    timeout bounds the whole transfer (TimeoutError); a timeout, a
    non-blocking socket's BlockingIOError or a signal handler's exception
    keeps the bytes received so far, and the next receive on the socket
    starts with them.
    """
    fd = fd_of(sock)
    n = size_of(n, "n")
    if _keeps_boundaries(sock, fd):
        return _record_exact(sock, fd, n)
    r = _state.take(sock, fd) or _state.Reader()
    try:
        if r.got < n and not _fill(sock, fd, r, n, Deadline(sock, fd)):
            if r.got == 0:
                return b""
            raise _reset("recv_exact", r, r.got, n)
        return r.take(n)
    finally:
        _state.keep(sock, fd, r)


# --------------------------------------------------------------------------
# Frames: a 4-byte native-endian length, then that many bytes (the wire
# format of uds_send_frame / uds_recv_frame).


def frame_bytes(data: BytesLike) -> bytes:
    """A frame as it goes on the wire: the 4-byte length, then data."""
    n = memoryview(data).nbytes
    if n > _FRAME_LIMIT:
        raise OSError(_errno.EMSGSIZE, "udsock.send_frame: a frame of %d "
                      "bytes is over the limit of %d" % (n, _FRAME_LIMIT))
    return _HDR.pack(n) + (data if data.__class__ is bytes else bytes(data))


def _whole_frame(sock: Any, data: BytesLike, fl: Any) -> bool:
    """On a non-blocking socket, or one with a timeout: the frame by
    uds_send_frame(_fds), which there sends all of it or nothing, waiting
    here for room as the timeout allows. False, nothing sent, on a
    blocking socket, and with a timeout when the frame is too large ever
    to be promised whole (EMSGSIZE): send_all() then sends it."""
    fd = fd_of(sock)
    t = timeout_of(sock, fd)
    if t is None:
        return False
    if _FRAME_LIMIT < memoryview(data).nbytes:
        frame_bytes(data)  # raises EMSGSIZE
    buf, n = send_buf(data)
    z = ct.c_size_t(n)
    nf = ct.c_size_t(len(fl))
    p = ct.c_void_p(fl.buffer_info()[0] if fl else None)
    dl: Optional[Deadline] = None
    while True:
        r: int = (lib.uds_send_frame_fds(fd, buf, z, p, nf) if fl
                  else lib.uds_send_frame(fd, buf, z))
        if r == 0:
            return True
        if get_errno() == _errno.EMSGSIZE and t > 0:
            return False
        dl = again(sock, fd, dl, True)


def send_frame(sock: SocketLike, data: BytesLike) -> None:
    """Send one length-prefixed frame, as uds_send_frame puts it on the wire.

    Wire format: a 4-byte native-endian length, then the bytes. Over
    2**32 - 1 bytes: OSError(EMSGSIZE). As uds_send_frame, a non-blocking
    socket never sends part of a frame: BlockingIOError, nothing sent,
    until the send buffer has room for all of it (and OSError(EMSGSIZE)
    for a frame larger than it can ever promise: about three quarters of
    SO_SNDBUF). With a timeout, the wait for that room is bounded by it
    (TimeoutError, nothing sent); only a frame too large to promise is
    sent as send_all() sends, which a timeout may stop part-way. A
    signal handler's exception (KeyboardInterrupt) stops a blocking
    send as send_all().
    """
    if not _whole_frame(sock, data, ()):
        send_all(sock, frame_bytes(data))


def send_frame_fds(sock: SocketLike, data: BytesLike,
                   fds: Iterable[FdLike] = ()) -> None:
    """send_frame() with fds (0..MAX_FDS ints or objects with fileno(),
    which stay open here) attached to the frame's first byte, as
    uds_send_frame_fds sends them: the bytes on the wire are exactly
    send_frame()'s; recv_frame_fds() receives the fds. Timeouts and
    interruption as send_frame() (a non-blocking socket sends all of it
    or nothing).

    On a blocking socket done in Python rather than by
    uds_send_frame_fds, which waits inside the C call for the rest of a
    frame the kernel took only part of, where no signal handler runs.
    """
    fl = fds_array(fds)
    if _whole_frame(sock, data, fl):
        return
    payload = frame_bytes(data)
    if not fl:
        send_all(sock, payload)
        return
    from ._fds import send_fds
    k = send_fds(sock, payload, fl)
    if k < len(payload):
        send_all(sock, memoryview(payload)[k:])


def _discard(sock: Any, fd: int, r: _state.Reader, dl: Deadline,
             fds: bool = False) -> bool:
    """Read and drop r.skip bytes; False at EOF."""
    while True:
        k = min(r.got, r.skip)
        r.skip -= k
        r.got = 0
        if not r.skip:
            return True
        r.reserve(min(r.skip, 1 << 16))
        n = r.read(fd, min(r.skip, r.cap), 0, fds)
        if n == 0:
            return False
        if n < 0:
            again(sock, fd, dl, False)


def _frame(sock: SocketLike, maxsize: int, fds: bool,
           maxfds: int = MAX_FDS) -> Optional[Tuple[bytes, List[int]]]:
    """One frame into the socket's Reader; with fds, the descriptors that
    came with its bytes are left in the Reader's fds."""
    fd = fd_of(sock)
    maxsize = size_of(maxsize, "maxsize")
    if _keeps_boundaries(sock, fd):
        return _record_frame(sock, fd, maxsize, fds, maxfds)
    r = _state.take(sock, fd) or _state.Reader()
    try:
        dl = Deadline(sock, fd)
        if r.skip:
            size = r.skip
            if not _discard(sock, fd, r, dl):
                raise _reset("recv_frame", r, 0, size)
            r.drop_fds()
            raise _too_big(size, maxsize)
        if r.got < 4 and not _fill(sock, fd, r, 4, dl, fds):
            if r.got == 0:
                return None
            raise _reset("recv_frame", r, r.got, 4)
        (size,) = _HDR.unpack_from(memoryview(r.buf).cast("B"), 0)
        if size > maxsize:
            r.take(4)
            r.skip = size
            if not _discard(sock, fd, r, dl, fds):
                raise _reset("recv_frame", r, 0, size)
            r.drop_fds()
            raise _too_big(size, maxsize)
        end = 4 + size
        if r.got < end and not _fill(sock, fd, r, end, dl, fds):
            raise _reset("recv_frame", r, r.got, end)
        got, r.fds = r.fds, []
        return r.take(end)[4:], got
    finally:
        _state.keep(sock, fd, r)


def recv_frame(sock: SocketLike,
               maxsize: int = FRAME_MAX_DEFAULT) -> Optional[bytes]:
    """Receive one frame; None at a clean end of stream.

    Reads the 4-byte length first, then exactly the frame's bytes, never
    past its end; memory is taken for the frame's size, not maxsize. A
    frame larger than maxsize is consumed and dropped (the stream stays in
    step) and OSError(EMSGSIZE) is raised; the end of the stream inside a
    frame raises ConnectionResetError. The socket's timeout bounds the
    whole frame (TimeoutError); when a timeout, BlockingIOError or a signal
    handler's exception (KeyboardInterrupt) stops it part-way, the part
    stays with the socket and the next recv_frame() completes it.
    Descriptors sent with the frame are dropped by the kernel.
    """
    f = _frame(sock, maxsize, False)
    return None if f is None else f[0]


def recv_frame_fds(sock: SocketLike, maxsize: int = FRAME_MAX_DEFAULT,
                   maxfds: int = MAX_FDS) -> Optional[Tuple[bytes, List[int]]]:
    """recv_frame() that also returns the descriptors that came with the
    frame's bytes: (data, fds), or None at a clean end of stream.

    Descriptors belong to the frame whose bytes they arrived with (a
    receive never reads past a frame's end), however the sender's writes
    were cut. More than maxfds: the frame is consumed, its fds closed,
    OSError(EXFULL). A frame over maxsize is dropped with its fds closed
    (OSError(EMSGSIZE)); the end of the stream inside a frame closes them
    and raises ConnectionResetError. The fds are the caller's
    (close-on-exec). Timeouts and interruption as recv_frame(): a part
    that arrived, fds included, stays with the socket.

    Done in Python (the same resumable reader as recv_frame()) rather than
    by uds_recv_frame_fds: on a non-blocking socket (any socket with a
    timeout, and asyncio's) that call takes nothing until the whole frame
    is queued, so a frame larger than the sender's socket buffer would
    never arrive and a wait for readability would spin.
    """
    maxfds = size_of(maxfds, "maxfds")
    f = _frame(sock, maxsize, True, maxfds)
    if f is None:
        return None
    data, fds = f
    if len(fds) > maxfds:
        close_fds(fds)
        raise OSError(_errno.EXFULL, "udsock.recv_frame_fds: the frame "
                      "carried %d descriptors; maxfds is %d"
                      % (len(fds), maxfds))
    return data, fds


def _too_big(size: int, maxsize: int) -> OSError:
    return OSError(_errno.EMSGSIZE, "udsock.recv_frame: a frame of %d bytes "
                   "is larger than maxsize %d; it was dropped"
                   % (size, maxsize))


# --------------------------------------------------------------------------
# Datagrams and the receive queue


def pending(sock: SocketLike) -> int:
    """Bytes waiting to be read (uds_pending, SIOCINQ)."""
    r: int = lib.uds_pending(fd_of(sock))
    if r < 0:
        raise error()
    return r


def sendto(sock: SocketLike, data: BytesLike, addr: AddrLike) -> int:
    """Send a datagram to addr (uds_sendto); return the bytes sent.

    addr: "/path" (any length) or "@name".
    """
    fd = fd_of(sock)
    b = addr_arg(addr)
    if b"\0" in b:
        if not b.startswith(b"@"):
            raise einval("sendto", "path %r contains a NUL byte" % (b,))
        from ._msg import sendmsg
        return sendmsg(sock, data, addr=b)
    s = scratch()
    try:
        z = s.z1
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = send_buf(data)
        f = lib.uds_sendto
        dl = None
        while True:
            z.value = n
            r: int = f(fd, data, z, b)
            if r >= 0:
                return r
            dl = again(sock, fd, dl, True)
    finally:
        s.busy = False


def recvfrom(sock: SocketLike, bufsize: int) -> Tuple[bytes, str]:
    """Receive a datagram (uds_recvfrom): (data, sender address or "")."""
    fd = fd_of(sock)
    bufsize = size_of(bufsize, "bufsize")
    kept = delivered(sock, fd, bufsize)
    if kept is not None:
        return kept.data, kept.addr or ""
    s = scratch()
    try:
        buf, view = s.data(bufsize)
        z = s.z1
        f = lib.uds_recvfrom
        dl = None
        while True:
            z.value = bufsize
            r: int = f(fd, buf, z, s.addrp)
            if r >= 0:
                return (view[:min(r, bufsize)].tobytes(),
                        addr_str(s.addr, s.addraddr))
            dl = again(sock, fd, dl, False)
    finally:
        s.busy = False

