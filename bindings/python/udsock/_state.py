"""What a socket has taken from the kernel but not yet handed to the caller.

A receive that a timeout, a non-blocking socket or a signal handler's
exception (KeyboardInterrupt) stops part-way leaves its bytes here (the
start of a frame, part of recv_exact()), and the messages a recvmsg or
recvmmsg had already taken when the exception came (with their fds); the
next receive on the same socket continues from them, so nothing is lost.

Kept per socket.socket object (dropped with it; undelivered fds are then
closed) or, for an int fd, per fd and socket inode (so a reused fd number
never inherits another socket's bytes).
"""

from __future__ import annotations

import os as _os
import weakref as _weakref
from typing import Any, Dict, List, Optional, Tuple

from ._lib import (FLAGS_UNFILLED, MAX_FDS, Message, Msg, Socket, addressof,
                   c_char, c_int, close_fds, ct_pointer, get_errno, lib,
                   memmove)


class Reader:
    """A stream's undelivered bytes and the receive that fills them.

    buf[:got] are bytes read from the stream and not yet delivered; skip
    counts bytes still to be discarded (the rest of a frame over maxsize);
    msgs are whole messages received and not yet delivered.

    read() fills buf through uds_recvmsg, which writes the count it
    received into msg.len: commit() adds it to got, even when Python lost
    the call's return value to an exception raised by a signal handler.
    This is the shape of the library's resumable frame reader; once that
    lands, read() and commit() become calls to it.
    """

    __slots__ = ("buf", "cap", "got", "skip", "msgs", "msg", "msgp",
                 "fds", "fdbuf", "__weakref__")

    def __init__(self) -> None:
        self.buf: Any = None
        self.cap = 0
        self.got = 0
        self.skip = 0
        self.msgs: List[Message] = []
        self.msg = Msg()
        self.msg.flags = 0
        self.msgp = ct_pointer(self.msg)
        self.fds: List[int] = []   # fds that came with buf[:got]
        self.fdbuf: Any = None

    def reserve(self, n: int) -> None:
        """Room for n bytes in buf, keeping buf[:got]."""
        if n > self.cap:
            new = (c_char * n)()
            if self.got:
                memmove(new, self.buf, self.got)
            self.buf = new
            self.cap = n

    def read(self, fd: int, want: int, flags: int, fds: bool = False) -> int:
        """One uds_recvmsg of up to want bytes at buf[got:] (want <= cap -
        got), committed: the bytes read (0 at the end of the stream), or
        -1 with errno set. With fds, the descriptors that come with those
        bytes are added to self.fds; without, the kernel drops them."""
        m = self.msg
        m.data = addressof(self.buf) + self.got
        m.len = want
        if fds:
            if self.fdbuf is None:
                self.fdbuf = (c_int * MAX_FDS)()
            m.fds = addressof(self.fdbuf)
            m.nfds = MAX_FDS
        else:
            m.fds = None
            m.nfds = 0
        m.cred = None
        m.addr = None
        m.flags = FLAGS_UNFILLED
        r: int = lib.uds_recvmsg(fd, self.msgp, flags)
        self.commit()
        return r

    def commit(self) -> None:
        """Count what the last read() received, once."""
        m = self.msg
        if m.flags != FLAGS_UNFILLED and m.flags != 0xFFFFFFFF:
            k = m.len
            nf = m.nfds if m.fds else 0
            m.flags = 0xFFFFFFFF  # counted
            if nf:
                self.fds.extend(self.fdbuf[:nf])
            self.got += k

    def take(self, n: int) -> bytes:
        """The first n of the undelivered bytes, removed from buf."""
        if not n:
            return b""  # buf may not exist yet
        out = bytes(memoryview(self.buf).cast("B")[:n])
        rest = self.got - n
        if rest:
            memmove(self.buf, addressof(self.buf) + n, rest)
        self.got = rest
        return out

    def empty(self) -> bool:
        return not (self.got or self.skip or self.msgs or self.fds)

    def drop_fds(self) -> None:
        fds, self.fds = self.fds, []
        close_fds(fds)


# The Readers that hold something, and a count that lets every receive
# skip the look-up while there are none.
_by_sock: "_weakref.WeakKeyDictionary[Any, Reader]" = \
    _weakref.WeakKeyDictionary()
_by_fd: Dict[int, Tuple[Tuple[int, int], Reader]] = {}
held = [0]


def _identity(fd: int) -> Tuple[int, int]:
    st = _os.fstat(fd)
    return st.st_dev, st.st_ino


def _drop_fds(r: Reader) -> None:
    for m in r.msgs:
        close_fds(m.fds)
    r.msgs = []
    r.drop_fds()


def take(sock: Any, fd: int) -> Optional[Reader]:
    """The Reader that sock left, removed from the table; None if none."""
    if not held[0]:
        return None
    r: Optional[Reader]
    if isinstance(sock, Socket):
        r = _by_sock.pop(sock, None)
    else:
        e = _by_fd.pop(fd, None)
        r = None
        if e is not None:
            try:
                same = _identity(fd) == e[0]
            except OSError:
                same = False
            if same:
                r = e[1]
            else:  # another socket now has this number
                _drop_fds(e[1])
                held[0] -= 1
                return None
    if r is not None:
        held[0] -= 1
    return r


def keep(sock: Any, fd: int, r: Reader) -> None:
    """Leave r for sock's next receive, if it holds anything."""
    r.commit()
    if r.empty():
        return
    if isinstance(sock, Socket):
        if sock in _by_sock:  # a nested call left one: keep the older
            return
        _by_sock[sock] = r
        _weakref.finalize(sock, _drop_fds, r)
    else:
        try:
            ident = _identity(fd)
        except OSError:
            _drop_fds(r)
            return
        if fd in _by_fd:
            return
        _by_fd[fd] = (ident, r)
    held[0] += 1


__all__ = ["Reader", "take", "keep", "held", "get_errno"]
