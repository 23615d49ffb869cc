"""Waiting in Python: socket timeouts exactly as the standard library's.

A call first tries the system call as it is. A socket with a timeout has
O_NONBLOCK set (the standard library sets it), so a call that would block
fails with EAGAIN at once; only then is the timeout read and the wait done
here with poll(2), against a deadline that a multi-step transfer (frames,
recv_exact, send_all) keeps across all of its steps:

* timeout None (blocking): the system call blocks; a signal interrupts it,
  Python runs the handler (KeyboardInterrupt propagates), then the call is
  retried, as PEP 475 does.
* timeout 0.0 (non-blocking): BlockingIOError.
* timeout > 0: TimeoutError("timed out") once the deadline has passed.

An int fd (or an object with fileno() that is no socket.socket) has no
timeout: it is blocking or non-blocking as its O_NONBLOCK flag says.
"""

from __future__ import annotations

import errno as _errno
import os as _os
import select as _select
import time as _time
from typing import Any, Optional

from ._lib import EAGAIN, EINTR, MSG_DONTWAIT, Socket, error, get_errno

_POLLIN = _select.POLLIN
_POLLOUT = _select.POLLOUT
_monotonic = _time.monotonic


def timeout_of(sock: Any, fd: int) -> Optional[float]:
    """The timeout that governs sock: its own, or its fd's blocking mode."""
    if isinstance(sock, Socket):
        t: Optional[float] = sock.gettimeout()
        return t
    try:
        return None if _os.get_blocking(fd) else 0.0
    except OSError:
        return None


class Deadline:
    """The end of one call's timeout, set at its first EAGAIN and never
    moved: every step of a transfer waits against the same one."""

    __slots__ = ("sock", "fd", "end", "timeout", "started")

    def __init__(self, sock: Any, fd: int) -> None:
        self.sock = sock
        self.fd = fd
        self.end = 0.0
        self.timeout: Optional[float] = None
        self.started = False

    def wait(self, write: bool = False) -> None:
        """After EAGAIN: wait until the fd is ready or the deadline passes.

        Raises BlockingIOError for a non-blocking socket, TimeoutError
        once the deadline has passed. A signal handler that raises
        interrupts the wait (its exception propagates).
        """
        if not self.started:
            self.started = True
            self.timeout = timeout_of(self.sock, self.fd)
            if self.timeout is not None:
                self.end = _monotonic() + self.timeout
        t = self.timeout
        if t is not None and t <= 0:
            raise BlockingIOError(_errno.EAGAIN,
                                  _os.strerror(_errno.EAGAIN))
        p = _select.poll()
        p.register(self.fd, _POLLOUT if write else _POLLIN)
        while True:
            if t is None:
                ms = -1
            else:
                left = self.end - _monotonic()
                if left <= 0:
                    raise TimeoutError("timed out")
                ms = max(1, int(left * 1000 + 0.999))
            # poll() itself retries after a signal whose handler returned
            # (PEP 475), recomputing nothing: the loop does.
            if p.poll(ms):
                return


def again(sock: Any, fd: int, dl: Optional[Deadline], write: bool,
          flags: int = 0) -> Deadline:
    """After a library call failed: retry at once on EINTR (Python runs the
    signal handlers first), wait on EAGAIN, raise anything else. A call
    the caller made with MSG_DONTWAIT raises BlockingIOError at once."""
    e = get_errno()
    if dl is None:
        dl = Deadline(sock, fd)
    if e == EINTR:
        return dl
    if e != EAGAIN or flags & MSG_DONTWAIT:
        raise error()
    if not dl.started:
        dl.started = True
        dl.timeout = timeout_of(sock, fd)
        if dl.timeout is not None:
            dl.end = _monotonic() + dl.timeout
    if dl.timeout is not None and dl.timeout <= 0:
        raise error()  # BlockingIOError, with the library's message
    dl.wait(write)
    return dl
