"""Socket activation and telling the service manager (sd_listen_fds,
sd_notify and sd_watchdog_enabled without libsystemd)."""

from __future__ import annotations

import ctypes as ct
import os
from typing import Iterable, List, Optional, Union

from ._lib import (LISTEN_FDS_START, HasFileno, Socket, c_int, check_retry,
                   close_fds, error, fds_array, lib, path_arg)

__all__ = ["listen_fds", "listen_fd_by_name", "listen_sockets", "notify",
           "watchdog_enabled"]


def listen_fds(unset_environment: bool = False) -> List[int]:
    """The fds passed by socket activation (uds_listen_fds, as sd_listen_fds).

    Honours LISTEN_PID and LISTEN_FDS; returns [LISTEN_FDS_START, ...], or
    [] when none were passed. The fds are marked close-on-exec; they are the
    caller's (wrap them with socket.socket(fileno=fd), or see
    listen_sockets()). unset_environment removes the variables, from
    os.environ too.
    """
    try:
        r: int = lib.uds_listen_fds(1 if unset_environment else 0)
    finally:
        if unset_environment:
            # The C call unset them; os.environ keeps its own copy, which
            # a child started with it would inherit.
            for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
                os.environ.pop(k, None)
    if r < 0:
        raise error()
    return list(range(LISTEN_FDS_START, LISTEN_FDS_START + r))


def listen_fd_by_name(name: str) -> int:
    """The activation fd LISTEN_FDNAMES calls name (uds_listen_fd_by_name).

    Raises FileNotFoundError (ENOENT) if none has that name.
    """
    r: int = lib.uds_listen_fd_by_name(path_arg("listen_fd_by_name", name))
    if r < 0:
        raise error()
    return r


def listen_sockets(unset_environment: bool = False) -> List[Socket]:
    """listen_fds() as socket.socket objects, which then own the fds.

    Family and type are read from each fd, so activation sockets of any
    family work. If one cannot be wrapped (not a socket: OSError), every
    fd is closed before the error is raised: none is left owned by nobody.
    """
    fds = listen_fds(unset_environment)
    out: List[Socket] = []
    try:
        for fd in fds:
            out.append(Socket(fileno=fd))
    except BaseException:
        # Every fd has one owner: the sockets made so far are closed, and
        # so are the fds not yet wrapped.
        for s in out:
            s.close()
        close_fds(fds[len(out):])
        raise
    return out


# --------------------------------------------------------------------------
# Telling the service manager


def notify(state: Union[str, bytes], fds: Iterable[Union[int, HasFileno]] = (),
           unset_environment: bool = False) -> bool:
    """Tell the service manager state (uds_notify_fds, as sd_notify).

    state: newline-separated assignments, e.g. "READY=1\nSTATUS=serving",
    or "FDSTORE=1\nFDNAME=conn" with fds (0..MAX_FDS ints, or objects with
    fileno(); they stay open here). It goes as one datagram to the socket
    $NOTIFY_SOCKET names ("/path" of any length, or "@name"), read at every
    call. Returns True when sent, False when NOTIFY_SOCKET is not set.
    unset_environment removes NOTIFY_SOCKET (from os.environ too) whatever
    the outcome. Raises OSError: EINVAL for an empty state or a value that
    is neither an absolute path nor "@name", EAFNOSUPPORT for a vsock
    address, FileNotFoundError, ConnectionRefusedError, ... for a socket
    that cannot be reached; ValueError for a state with a NUL byte.
    """
    if isinstance(state, str):
        state = state.encode()
    state = bytes(state)
    if b"\0" in state:
        raise ValueError("udsock.notify: state contains a NUL byte")
    arr = fds_array(fds)
    n = len(arr)
    c_fds = (c_int * n)(*arr) if n else None
    try:
        while True:
            r: int = lib.uds_notify_fds(1 if unset_environment else 0, state,
                                    c_fds, n)
            if r >= 0:
                return r == 1
            check_retry()
    finally:
        if unset_environment:
            # The C call unset it; os.environ keeps its own copy.
            os.environ.pop("NOTIFY_SOCKET", None)


def watchdog_enabled(unset_environment: bool = False) -> Optional[int]:
    """The watchdog interval in microseconds (uds_watchdog_enabled).

    As sd_watchdog_enabled: the value of WATCHDOG_USEC when it is set and
    WATCHDOG_PID is unset or this process's pid (send notify("WATCHDOG=1")
    at about half of it), else None. The numbers are read as libsystemd
    reads them. unset_environment removes both variables (from os.environ
    too) whatever the outcome. Raises OSError: EINVAL for a value that is
    not a number or a WATCHDOG_USEC of 0, ERANGE for one out of range.
    """
    usec = ct.c_uint64(0)
    try:
        r = lib.uds_watchdog_enabled(1 if unset_environment else 0,
                                      ct.byref(usec))
    finally:
        if unset_environment:
            os.environ.pop("WATCHDOG_USEC", None)
            os.environ.pop("WATCHDOG_PID", None)
    if r < 0:
        raise error()
    return usec.value if r == 1 else None
