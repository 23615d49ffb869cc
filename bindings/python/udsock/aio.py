"""asyncio versions of the fd-passing and frame calls.

Each waits with the running loop's add_reader()/add_writer() on a
non-blocking socket (``sock.setblocking(False)``, as asyncio's own
``loop.sock_*`` calls require) and is cancellable. A frame that arrives in
pieces is assembled with the socket (the same resumable reader the blocking
calls use), so a cancelled ``recv_frame()`` loses nothing: the next one
continues where it stopped.

    conn.setblocking(False)
    await udsock.aio.send_fds(conn, [b"log"], [fd])
    data, fds, flags, addr = await udsock.aio.recv_fds(conn, 100, 4)
    await udsock.aio.send_frame(conn, b"request", fds=[fd])
    data, fds = await udsock.aio.recv_frame_fds(conn, maxfds=4)
"""

from __future__ import annotations

import asyncio
import errno as _errno
from typing import Any, Callable, Iterable, List, Optional, Tuple, TypeVar

from . import _data, _fds
from ._lib import (FRAME_MAX_DEFAULT, MAX_FDS, AddrLike, BytesLike, FdLike, Socket,
                   fds_array)

__all__ = ["send_fds", "recv_fds", "send_frame", "recv_frame",
           "recv_frame_fds", "send_all", "recv_exact"]

T = TypeVar("T")


def _check(sock: Socket) -> None:
    if sock.gettimeout() != 0:
        raise ValueError("the socket must be non-blocking "
                         "(sock.setblocking(False))")


def _wake(fut: "asyncio.Future[None]") -> None:
    if not fut.done():
        fut.set_result(None)


async def _ready(sock: Socket, write: bool) -> None:
    loop = asyncio.get_running_loop()
    fd = sock.fileno()
    fut: "asyncio.Future[None]" = loop.create_future()
    if write:
        loop.add_writer(fd, _wake, fut)
    else:
        loop.add_reader(fd, _wake, fut)
    try:
        await fut
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def _io(sock: Socket, fn: Callable[[], T], write: bool) -> T:
    """fn() until it does not raise BlockingIOError, waiting between."""
    _check(sock)
    while True:
        try:
            return fn()
        except (BlockingIOError, InterruptedError):
            pass
        await _ready(sock, write)


async def send_fds(sock: Socket, buffers: Any, fds: Iterable[FdLike],
                   flags: int = 0, address: Optional[AddrLike] = None) -> int:
    """udsock.send_fds(), waiting on the loop: the bytes sent."""
    fl = list(fds_array(fds))
    return await _io(sock, lambda: _fds.send_fds(sock, buffers, fl, flags,
                                                 address), True)


async def recv_fds(sock: Socket, bufsize: int, maxfds: int,
                   flags: int = 0) -> Tuple[bytes, List[int], int,
                                            Optional[str]]:
    """udsock.recv_fds(), waiting on the loop: (data, fds, msg_flags,
    address)."""
    return await _io(sock, lambda: _fds.recv_fds(sock, bufsize, maxfds,
                                                 flags), False)


async def _send_stream(sock: Socket, payload: bytes,
                       fds: List[int]) -> None:
    """All of payload, fds with its first byte; resumes after partial
    sends (a stream socket's send may take part of the data)."""
    view = memoryview(payload)
    off = 0
    if fds:
        off = await _io(sock, lambda: _fds.send_fds(sock, view, fds), True)
    while off < len(view):
        off += await _io(sock, lambda: _data.send(sock, view[off:]), True)


async def send_all(sock: Socket, data: BytesLike) -> None:
    """udsock.send_all(), waiting on the loop."""
    await _send_stream(sock, bytes(data), [])


async def recv_exact(sock: Socket, n: int) -> bytes:
    """udsock.recv_exact(), waiting on the loop."""
    return await _io(sock, lambda: _data.recv_exact(sock, n), False)


async def send_frame(sock: Socket, data: BytesLike,
                     fds: Iterable[FdLike] = ()) -> None:
    """One frame (udsock.send_frame's wire format), with fds attached to
    its first byte when given (as uds_send_frame_fds sends them).

    Sent whole or not at all, so a cancelled send_frame() leaves nothing
    behind; only a frame larger than the socket can ever take at once
    (about three quarters of SO_SNDBUF) goes in parts, and cancelling that
    one may leave part of it on the wire."""
    _check(sock)
    fl = fds_array(fds)
    try:
        # All or nothing: on a non-blocking socket the library takes a
        # frame whole or not at all (BlockingIOError until there is room),
        # so a send cancelled while it waits leaves nothing on the wire.
        await _io(sock, lambda: _data.send_frame_fds(sock, data, fl), True)
    except OSError as e:
        if e.errno != _errno.EMSGSIZE or memoryview(data).nbytes > 0xFFFFFFFF:
            raise
        # More than the socket can ever promise to take whole: in parts,
        # which a cancellation may cut (the stream is then out of step).
        await _send_stream(sock, _data.frame_bytes(data), list(fl))


async def recv_frame(sock: Socket,
                     maxsize: int = FRAME_MAX_DEFAULT) -> Optional[bytes]:
    """udsock.recv_frame(), waiting on the loop; None at end of stream."""
    return await _io(sock, lambda: _data.recv_frame(sock, maxsize), False)


async def recv_frame_fds(sock: Socket, maxsize: int = FRAME_MAX_DEFAULT,
                         maxfds: int = MAX_FDS) -> Optional[Tuple[bytes, List[int]]]:
    """udsock.recv_frame_fds(), waiting on the loop: (data, fds), or None
    at end of stream."""
    return await _io(sock, lambda: _data.recv_frame_fds(sock, maxsize,
                                                        maxfds), False)
