"""Unix-domain sockets for Python, on top of libudsock.

A ctypes layer over libudsock's C ABI. Each C function ``uds_NAME`` is
``udsock.NAME`` here, shaped the way Python code expects:

* Sockets are ordinary ``socket.socket`` objects, so they work with
  ``selectors``, ``asyncio`` and the rest of the standard library; a server
  socket from ``listener()`` is a ``Listener``, a socket.socket whose
  ``close()`` (and the end of a ``with`` block) removes its socket file and
  lock file. Wherever a function takes a socket it also accepts a plain
  ``int`` fd or any object with a ``fileno()`` method; integers are checked
  as CPython checks them (OverflowError, ValueError, TypeError), never
  truncated into another fd.
* Names the standard library has mean what they mean there:
  ``send_fds(sock, buffers, fds, flags=0, address=None) -> int``,
  ``recv_fds(sock, bufsize, maxfds, flags=0) -> (data, fds, msg_flags,
  address)``, ``accept(sock) -> (conn, address)``.
* Timeouts: every blocking call honours the socket's timeout exactly as the
  standard library does (``settimeout()``, ``socket.setdefaulttimeout()``):
  TimeoutError once it has passed, BlockingIOError on a non-blocking
  socket. A transfer of several steps (``send_all``, ``recv_exact``,
  frames) keeps one deadline for the whole; if a timeout or a signal
  handler's exception (KeyboardInterrupt) stops a receive part-way, what
  arrived stays with the socket and the next receive continues from it.
  The waiting happens in Python, so Ctrl-C always interrupts it.
* ``udsock.aio`` has asyncio versions of the fd-passing and frame calls.
* Data goes in as any bytes-like object and comes back as ``bytes``.
* Failures raise ``OSError`` built from the library's errno and its
  ``last_error()`` line, so Python picks the subclass the errno implies:
  ``FileNotFoundError``, ``ConnectionRefusedError``, ``BrokenPipeError``...

Addresses
    ``"@name"`` is the abstract name ``name``; anything else is a pathname of
    any length (the library binds long paths through their directory). A
    ``pathlib.Path`` is always a pathname. ``getsockname()``,
    ``getpeername()``, ``recvfrom()``, ``recvmsg()`` and ``accept()`` return
    the same string form (``""`` for an unnamed socket), so their results
    can be passed straight back to ``dial()`` or ``sendto()``;
    ``format_addr()`` makes one printable. A pathname longer than 108 bytes
    comes back as its first 108 bytes followed by ``"..."``.

Ownership
    A returned ``socket.socket`` owns its fd. File descriptors that arrive
    from the peer (``recv_fds``, ``recv_fd``, ``recvmsg``, ``recv_batch``),
    the pidfds of ``peer_pidfd()``, ``recv_pidfd()``, ``recvmsg_pidfd()``
    and ``recv_batch_pidfd()``, and the fds of ``listen_fds()`` are plain
    ints that the caller owns and must close (``os.close``, or hand them to
    ``socket.socket(fileno=fd)`` / ``os.fdopen``). All are close-on-exec.

Finding the library
    The one ``pip install`` built into the package first, then
    ``UDSOCK_LIBRARY`` (a path), then the system's loader
    (``ctypes.util.find_library("udsock")``, then plain ``libudsock.so``),
    then, in a source tree, its ``target/release`` or ``target/debug``
    build. If none loads, importing fails with an ImportError listing every
    path tried and why it failed. A function that the loaded library lacks
    raises NotImplementedError when called.

The package is split by subject (``_sockets``, ``_data``, ``_fds``,
``_msg``, ``_activation``; ``_lib`` loads the C library); everything public
is re-exported here.
"""

from __future__ import annotations

from . import aio
from ._activation import (listen_fd_by_name, listen_fds, listen_sockets,
                          notify, watchdog_enabled)
from ._data import (pending, recv, recv_exact, recv_frame, recv_frame_fds,
                    recvfrom, send, send_all, send_frame, send_frame_fds,
                    sendto)
from ._fds import (peer_cred, peer_groups, peer_pidfd, peer_security,
                   recv_creds, recv_fd, recv_fds, recv_pidfd, send_creds,
                   send_fd, send_fds, set_passcred, set_passpidfd,
                   set_passrights)
from ._lib import (FRAME_MAX_DEFAULT, LISTEN_FDS_START, MAX_FDS, MSG_CRED,
                   MSG_CTRUNC, MSG_PIDFD, MSG_TRUNC, NO_CRED_ID, REPLACE_STALE,
                   AddrLike, BytesLike, Cred, FdLike, Message, PathLike,
                   SocketLike, lib, path)
from ._msg import (recv_batch, recv_batch_pidfd, recvmsg, recvmsg_pidfd,
                   send_batch, sendmsg)
from ._sockets import (Listener, accept, autobind, bind, bind_abstract,
                       close, connect, connect_abstract, dial, format_addr,
                       getpeername, getsockname, listen, listener, socket,
                       socketpair, unlink, unlink_path)

__version__ = "0.1.0"

__all__ = [
    # library
    "version", "last_error", "library_path",
    # addresses
    "getsockname", "getpeername", "format_addr",
    # create, bind, listen, accept, connect
    "bind", "bind_abstract", "autobind", "listen", "accept", "connect",
    "connect_abstract", "socketpair", "Listener", "listener", "dial",
    "unlink", "close", "unlink_path",
    # data
    "send", "recv", "send_all", "recv_exact", "pending", "sendto",
    "recvfrom", "send_frame", "recv_frame", "send_frame_fds",
    "recv_frame_fds",
    # file descriptors and credentials
    "Cred", "send_fds", "recv_fds", "send_fd", "recv_fd", "peer_cred",
    "peer_pidfd", "set_passcred", "peer_groups", "peer_security",
    "send_creds", "recv_creds",
    # who sent this message
    "set_passpidfd", "recv_pidfd", "set_passrights", "recvmsg_pidfd",
    "recv_batch_pidfd",
    # general messages and batches
    "Message", "sendmsg", "recvmsg", "send_batch", "recv_batch",
    # socket activation
    "listen_fds", "listen_fd_by_name", "listen_sockets",
    # telling the service manager
    "notify", "watchdog_enabled",
    # asyncio
    "aio",
    # types
    "SocketLike", "AddrLike", "PathLike", "BytesLike", "FdLike",
    # constants
    "MAX_FDS", "LISTEN_FDS_START", "REPLACE_STALE", "MSG_TRUNC",
    "MSG_CTRUNC", "MSG_CRED", "MSG_PIDFD", "FRAME_MAX_DEFAULT",
    "NO_CRED_ID",
]
# udsock.socket() (uds_socket) is deliberately left out of __all__: a star
# import must not shadow the standard library's socket module.


def library_path() -> str:
    """The name or path the C library was loaded from."""
    return path


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH" (uds_version)."""
    v: bytes = lib.uds_version()
    return v.decode("ascii")


def last_error() -> str:
    """This thread's last library error line, "" when none (uds_last_error).

    Every OSError raised by this module already carries it as its message.
    """
    msg = lib.uds_last_error()
    return msg.decode("utf-8", "replace") if msg else ""
