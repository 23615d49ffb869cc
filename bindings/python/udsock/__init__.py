"""Unix-domain sockets for Python, on top of libudsock.

A thin ctypes layer (no compile step) over libudsock's C ABI. Each C function
``uds_NAME`` is ``udsock.NAME`` here, shaped the way Python code expects:

* Sockets come back as ordinary ``socket.socket`` objects, so they work with
  ``selectors``, ``asyncio`` and the rest of the standard library. Wherever a
  function takes a socket it also accepts a plain ``int`` fd or any object
  with a ``fileno()`` method.
* Data goes in as any bytes-like object and comes back as ``bytes``.
* Failures raise ``OSError`` built from the library's errno and its
  ``last_error()`` line, so Python picks the subclass the errno implies:
  ``FileNotFoundError``, ``FileExistsError``, ``ConnectionRefusedError``,
  ``ConnectionResetError``, ``BrokenPipeError``, ``PermissionError``, ...
  A call that a signal interrupted before it transferred anything is retried
  once Python has run the signal handlers (as PEP 475 does for the standard
  library), unless a handler raised.

Addresses
    ``"@name"`` is the abstract name ``name``; anything else is a pathname of
    any length (the library binds long paths through their directory). A
    ``pathlib.Path`` is always a pathname. ``getsockname()``,
    ``getpeername()``, ``recvfrom()`` and ``recvmsg()`` return the same string
    form (``""`` for an unnamed socket), so their results can be passed
    straight back to ``dial()`` or ``sendto()``; ``format_addr()`` makes one
    printable. The exception: a pathname longer than 108 bytes comes back as
    its first 108 bytes followed by ``"..."``, all that the C ABI's address
    struct holds.

Ownership
    A returned ``socket.socket`` owns its fd: close it (``udsock.close()``
    also removes the listener's socket file). File descriptors that arrive
    from the peer (``recv_fds``, ``recv_fd``, ``recvmsg``, ``recv_batch``),
    the pidfd of ``peer_pidfd()`` and the fds of ``listen_fds()`` are plain
    ints that the caller owns and must close (``os.close``, or hand them to
    ``socket.socket(fileno=fd)`` / ``os.fdopen``). All are close-on-exec.

Finding the library
    ``UDSOCK_LIBRARY`` (a path; when set, it is the only one tried), then the
    system's loader (``ctypes.util.find_library("udsock")``, then plain
    ``libudsock.so``, so an installed library just works), then the source
    tree's own ``target/release`` and ``target/debug`` builds. If none loads,
    importing fails with an ImportError listing what was tried. A function
    that the loaded library lacks raises NotImplementedError when called.

Example: pass a file descriptor to another process::

    import os, udsock
    parent, child = udsock.socketpair()
    if os.fork() == 0:                          # the child process
        data, fds = udsock.recv_fds(child, 100, 1)
        os.write(fds[0], b"written by the child\\n")
        os._exit(0)
    r, w = os.pipe()                            # made after the fork
    udsock.send_fds(parent, b"here is a pipe", [w])
    print(os.read(r, 100))                      # b'written by the child\\n'
"""

from __future__ import annotations

import ctypes as _ct
import ctypes.util as _ctutil
import errno as _errno
import os as _os
import socket as _socket
import threading as _threading
from array import array as _array
from typing import (
    Any,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Union,
)

__version__ = "0.1.0"

__all__ = [
    # library
    "version", "last_error", "library_path",
    # addresses
    "getsockname", "getpeername", "format_addr",
    # create, bind, listen, accept, connect
    "bind", "bind_abstract", "autobind", "listen", "accept", "connect",
    "connect_abstract", "socketpair", "listener", "dial", "unlink", "close",
    "unlink_path",
    # data
    "send", "recv", "send_all", "recv_exact", "pending", "sendto",
    "recvfrom", "send_frame", "recv_frame",
    # frames that carry descriptors
    "send_frame_fds", "recv_frame_fds",
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
    # constants
    "MAX_FDS", "LISTEN_FDS_START", "REPLACE_STALE", "MSG_TRUNC",
    "MSG_CTRUNC", "MSG_CRED", "MSG_PIDFD", "FRAME_MAX_DEFAULT", "NO_CRED_ID",
]
# udsock.socket() (uds_socket) is deliberately left out of __all__: a star
# import must not shadow the standard library's socket module.


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


#: Anything that names a socket: a socket.socket, an int fd, or an object
#: with a fileno() method.
SocketLike = Union[_socket.socket, int, _HasFileno]
#: An address string ("/path" or "@abstract"), its bytes, or a path object.
AddrLike = Union[str, bytes, "_os.PathLike[str]", "_os.PathLike[bytes]"]
#: A pathname: str, bytes or a path object.
PathLike = Union[str, bytes, "_os.PathLike[str]", "_os.PathLike[bytes]"]
#: Any object supporting the buffer protocol.
BytesLike = Union[bytes, bytearray, memoryview]

# --------------------------------------------------------------------------
# Constants (values fixed by the C header)

#: Most fds one message can carry (SCM_MAX_FD, UDS_MAX_FDS).
MAX_FDS = 253
#: First fd passed by socket activation (UDS_LISTEN_FDS_START).
LISTEN_FDS_START = 3
#: Message.flags from recvmsg_pidfd(): a pidfd of the sender came (UDS_MSG_PIDFD).
MSG_PIDFD = 8
#: listener() flag: replace a stale socket file (UDS_REPLACE_STALE).
REPLACE_STALE = 1
#: Message.flags: the data was truncated (UDS_MSG_TRUNC).
MSG_TRUNC = 1
#: Message.flags: fds or credentials were truncated (UDS_MSG_CTRUNC).
MSG_CTRUNC = 2
#: Message.flags: the message carried credentials (UDS_MSG_CRED).
MSG_CRED = 4
#: recv_frame()'s default largest frame, in bytes.
FRAME_MAX_DEFAULT = 1 << 20
#: uid/gid reported for a message that carried no real credentials.
NO_CRED_ID = 0xFFFFFFFF


class Cred(NamedTuple):
    """Process credentials: SO_PEERCRED or an SCM_CREDENTIALS message.

    A message that was queued before SO_PASSCRED was on carries no real
    credentials; it is reported as ``Cred(0, NO_CRED_ID, NO_CRED_ID)``.
    """

    pid: int
    uid: int
    gid: int


class Message(NamedTuple):
    """A message for sendmsg()/send_batch(), or from recvmsg()/recv_batch().

    data:  the payload.
    fds:   file descriptors carried (received ones are owned by the caller).
    cred:  credentials to send (None: none) / received (None: none came).
    flags: on receive, MSG_TRUNC | MSG_CTRUNC | MSG_CRED; ignored on send.
    addr:  destination (None: the connected peer) / sender ("" if unnamed).
    """

    data: bytes = b""
    fds: Sequence[int] = ()
    cred: Optional[Cred] = None
    flags: int = 0
    addr: Optional[str] = None


# --------------------------------------------------------------------------
# C types

_c_int = _ct.c_int
_c_uint = _ct.c_uint
_c_size_t = _ct.c_size_t
_c_ssize_t = _ct.c_ssize_t
_c_char = _ct.c_char
_c_char_p = _ct.c_char_p
_vp = _ct.c_void_p


class _Addr(_ct.Structure):
    _fields_ = [("kind", _ct.c_uint32), ("len", _ct.c_uint32),
                ("name", _c_char * 109)]


class _CCred(_ct.Structure):
    _fields_ = [("pid", _ct.c_int32), ("uid", _ct.c_uint32),
                ("gid", _ct.c_uint32)]


class _Msg(_ct.Structure):
    # Pointer fields are declared as c_void_p (addresses as ints) except
    # data, a c_char_p so that a bytes object can be assigned directly.
    _fields_ = [("data", _c_char_p), ("len", _c_size_t),
                ("fds", _vp), ("nfds", _c_size_t),
                ("cred", _vp), ("flags", _ct.c_uint32),
                ("addr", _vp)]


_ADDR_NAME_OFFSET = _Addr.name.offset
_ADDR_NAME_MAX = 108  # bytes of a pathname a uds_addr holds
_ABSTRACT_MAX = 107

# name: (restype, argtypes). Declared once; resolved on first use.
#
# The data paths (argtypes None) are called without argtypes: ctypes then
# converts nothing itself, which saves about a third of a microsecond per
# call. Their callers pass only C-typed values: a Python int only where C
# takes an int, bytes or a ctypes object (array, pointer, byref) for a
# pointer, and a c_size_t object for a size_t.
_RAW = None
_PROTOS = {
    "uds_socket": (_c_int, (_c_int,)),
    "uds_bind": (_c_int, (_c_int, _c_char_p)),
    "uds_bind_abstract": (_c_int, (_c_int, _vp, _c_size_t)),
    "uds_autobind": (_c_int, (_c_int,)),
    "uds_listen": (_c_int, (_c_int, _c_int)),
    "uds_accept": (_c_int, (_c_int, _c_int)),
    "uds_connect": (_c_int, (_c_int, _c_char_p)),
    "uds_connect_abstract": (_c_int, (_c_int, _vp, _c_size_t)),
    "uds_socketpair": (_c_int, (_c_int, _vp)),
    "uds_listener": (_c_int, (_c_char_p, _c_int, _c_int, _c_int, _c_uint)),
    "uds_dial": (_c_int, (_c_char_p, _c_int)),
    "uds_unlink": (_c_int, (_c_int,)),
    "uds_close": (_c_int, (_c_int,)),
    "uds_unlink_path": (_c_int, (_c_char_p,)),
    "uds_getsockname": (_c_int, (_c_int, _vp)),
    "uds_getpeername": (_c_int, (_c_int, _vp)),
    "uds_addr_format": (_c_int, (_vp, _vp, _c_size_t)),
    # (int fd, const void *buf, size_t len, int flags)
    "uds_send": (_c_ssize_t, _RAW),
    # (int fd, void *buf, size_t len, int flags)
    "uds_recv": (_c_ssize_t, _RAW),
    # (int fd, const void *buf, size_t len)
    "uds_send_all": (_c_int, _RAW),
    # (int fd, void *buf, size_t len)
    "uds_recv_exact": (_c_ssize_t, _RAW),
    "uds_pending": (_c_int, (_c_int,)),
    # (int fd, const void *buf, size_t len, const char *addr)
    "uds_sendto": (_c_ssize_t, _RAW),
    # (int fd, void *buf, size_t len, uds_addr *from)
    "uds_recvfrom": (_c_ssize_t, _RAW),
    # (int fd, const void *buf, size_t len)
    "uds_send_frame": (_c_int, _RAW),
    # (int fd, void *buf, size_t cap, size_t *len_out)
    "uds_recv_frame": (_c_int, _RAW),
    # The resumable frame reader and writer: declared (a pointer result
    # must not be read as an int) but not yet wrapped for Python.
    "uds_reader_new": (_vp, (_c_size_t, _c_size_t)),
    # (uds_reader *r, int sock, const void **frame, size_t *len, int *fds, size_t *nfds)
    "uds_reader_read": (_c_int, _RAW),
    "uds_reader_free": (None, (_vp,)),
    # (uds_writer *w, int sock, const void *buf, size_t len, const int *fds, size_t nfds)
    "uds_writer_send": (_c_int, _RAW),
    # (int sock, const void *buf, size_t len, const int *fds, size_t nfds)
    "uds_send_frame_fds": (_c_int, _RAW),
    # (int sock, void *buf, size_t cap, size_t *len_out, int *fds, size_t *nfds)
    "uds_recv_frame_fds": (_c_int, _RAW),
    # (int sock, const void *buf, size_t len, const int *fds, size_t nfds)
    "uds_send_fds": (_c_ssize_t, _RAW),
    # (int sock, void *buf, size_t len, int *fds, size_t *nfds)
    "uds_recv_fds": (_c_ssize_t, _RAW),
    "uds_send_fd": (_c_int, (_c_int, _c_int)),
    "uds_recv_fd": (_c_int, (_c_int,)),
    "uds_peer_cred": (_c_int, (_c_int, _vp)),
    "uds_peer_pidfd": (_c_int, (_c_int,)),
    "uds_set_passcred": (_c_int, (_c_int, _c_int)),
    "uds_peer_groups": (_c_int, (_c_int, _vp, _vp)),
    "uds_peer_security": (_c_int, (_c_int, _vp, _c_size_t)),
    # (int sock, const void *buf, size_t len, const uds_cred *cred)
    "uds_send_creds": (_c_ssize_t, _RAW),
    # (int sock, void *buf, size_t len, uds_cred *out)
    "uds_recv_creds": (_c_ssize_t, _RAW),
    # (int sock, const uds_msg *m, int flags)
    "uds_sendmsg": (_c_ssize_t, _RAW),
    # (int sock, uds_msg *m, int flags)
    "uds_recvmsg": (_c_ssize_t, _RAW),
    "uds_set_passpidfd": (_c_int, (_c_int, _c_int)),
    "uds_set_passrights": (_c_int, (_c_int, _c_int)),
    "uds_recv_pidfd": (_c_ssize_t, (_c_int, _vp, _c_size_t, _vp)),
    "uds_recvmsg_pidfd": (_c_ssize_t, (_c_int, _vp, _c_int, _vp)),
    "uds_send_batch": (_c_int, (_c_int, _vp, _c_size_t, _c_int)),
    "uds_recv_batch": (_c_int, (_c_int, _vp, _c_size_t, _c_int)),
    "uds_recv_batch_pidfd": (_c_int, (_c_int, _vp, _c_size_t, _c_int, _vp)),
    "uds_listen_fds": (_c_int, (_c_int,)),
    "uds_listen_fd_by_name": (_c_int, (_c_char_p,)),
    "uds_notify": (_c_int, (_c_int, _c_char_p)),
    "uds_notify_fds": (_c_int, (_c_int, _c_char_p, _vp, _c_size_t)),
    "uds_watchdog_enabled": (_c_int, (_c_int, _vp)),
    "uds_last_error": (_c_char_p, ()),
    "uds_version": (_c_char_p, ()),
}


# --------------------------------------------------------------------------
# Loading the library


def _load() -> Tuple[_ct.CDLL, str]:
    explicit = _os.environ.get("UDSOCK_LIBRARY")
    if explicit:
        # An explicit choice is never silently replaced by another library.
        try:
            return _ct.CDLL(explicit, use_errno=True), explicit
        except OSError as e:
            raise ImportError(
                "udsock: cannot load libudsock from UDSOCK_LIBRARY=%r: %s"
                % (explicit, e)) from None

    tried = ["UDSOCK_LIBRARY: not set"]
    candidates = []
    found = _ctutil.find_library("udsock")
    if found:
        candidates.append((found, "the system's loader, as found by "
                           "ctypes.util.find_library('udsock')"))
    else:
        tried.append("ctypes.util.find_library('udsock'): found nothing")
    candidates.append(("libudsock.so", "the dynamic loader's search path"))
    here = _os.path.dirname(_os.path.abspath(__file__))
    repo = _os.path.dirname(_os.path.dirname(_os.path.dirname(here)))
    for profile in ("release", "debug"):
        candidates.append((_os.path.join(repo, "target", profile,
                                         "libudsock.so"),
                           "the source tree's %s build" % profile))

    for name, what in candidates:
        if _os.sep in name and not _os.path.exists(name):
            tried.append("%s (%s): no such file" % (name, what))
            continue
        try:
            return _ct.CDLL(name, use_errno=True), name
        except OSError as e:
            tried.append("%s (%s): %s" % (name, what, e))
    raise ImportError(
        "udsock: cannot find libudsock. Install it (make install), or set "
        "UDSOCK_LIBRARY to the path of libudsock.so. Tried:\n  "
        + "\n  ".join(tried))


class _Lib:
    """The C functions, each resolved and typed on first use.

    A function missing from the loaded library raises NotImplementedError at
    call time rather than breaking the import.
    """

    def __init__(self, cdll: _ct.CDLL, path: str) -> None:
        self._cdll = cdll
        self._path = path

    def __getattr__(self, name: str):
        proto = _PROTOS.get(name)
        if proto is None:
            raise AttributeError(name)
        try:
            fn = getattr(self._cdll, name)
        except AttributeError:
            path = self._path

            def fn(*args):
                raise NotImplementedError(
                    "%s is not in the loaded libudsock (%s); it needs a newer "
                    "version of the library" % (name, path))
        else:
            fn.restype = proto[0]
            if proto[1] is not None:
                fn.argtypes = list(proto[1])
        # Cache: later lookups are plain instance-attribute reads.
        setattr(self, name, fn)
        return fn


_cdll, _path = _load()
_lib = _Lib(_cdll, _path)
_get_errno = _ct.get_errno
_addressof = _ct.addressof
_string_at = _ct.string_at
_EINTR = _errno.EINTR
_EINVAL = _errno.EINVAL
_AF_UNIX = _socket.AF_UNIX
_SOCK_STREAM = _socket.SOCK_STREAM
_SOCK_NONBLOCK = getattr(_socket, "SOCK_NONBLOCK", 0)
_fsencode = _os.fsencode
_fsdecode = _os.fsdecode


def library_path() -> str:
    """The name or path the C library was loaded from."""
    return _path


# --------------------------------------------------------------------------
# Per-thread scratch space: the receive paths reuse these buffers instead of
# allocating ctypes objects on every call.

_SCRATCH_BYTES = 64 * 1024       # data buffer every thread starts with
_SCRATCH_KEEP = 1 << 20          # largest data buffer kept between calls


class _Scratch:
    """One thread's receive buffer, fd arrays, size_t cells and structs.

    The address-taking C arguments are made once here: ctypes objects are
    passed as they are, and the *addr ints serve the struct fields.

    busy is set while a call uses it: Python may run a signal handler or a
    finalizer between two bytecodes of that call, and if that code calls
    udsock in the same thread it gets a fresh _Scratch rather than
    overwriting (or reading) the outer call's arguments and results.
    """

    __slots__ = ("busy", "buf", "bufsize", "view", "fds", "fdsaddr", "sfds",
                 "n", "nptr", "z1", "z2", "cred", "credp", "credaddr", "addr",
                 "addrp", "addraddr", "msg", "msgp", "batch")

    def __init__(self) -> None:
        self.busy = False
        self._set_buf((_c_char * _SCRATCH_BYTES)())
        self.fds = (_c_int * MAX_FDS)()       # fds received
        self.fdsaddr = _addressof(self.fds)
        self.sfds = (_c_int * MAX_FDS)()      # fds to send
        self.n = _c_size_t()                  # an in/out size_t
        self.nptr = _ct.pointer(self.n)
        self.z1 = _c_size_t()                 # size_t arguments
        self.z2 = _c_size_t()
        self.cred = _CCred()
        self.credp = _ct.pointer(self.cred)
        self.credaddr = _addressof(self.cred)
        self.addr = _Addr()
        self.addrp = _ct.pointer(self.addr)
        self.addraddr = _addressof(self.addr)
        self.msg = _Msg()
        self.msgp = _ct.pointer(self.msg)
        # (capacity, msgs, creds, addrs) for batches, made on first use
        self.batch: Optional[Tuple[int, Any, Any, Any]] = None

    def _set_buf(self, buf: Any) -> None:
        self.buf = buf
        self.bufsize = len(buf)
        self.view = memoryview(buf).cast("B")

    def data(self, n: int) -> Tuple[Any, memoryview]:
        """(ctypes array, memoryview) of a receive buffer of >= n bytes."""
        if 0 <= n <= self.bufsize:
            return self.buf, self.view
        if n < 0:
            raise ValueError("negative buffer size: %d" % n)
        buf = (_c_char * n)()
        if n <= _SCRATCH_KEEP:
            self._set_buf(buf)
        return buf, memoryview(buf).cast("B")

    def put_fds(self, fds: Iterable[Union[int, _HasFileno]]) -> int:
        """Copy fds into sfds; return how many there are.

        More than MAX_FDS are not copied: the library refuses that count
        (EINVAL) without reading the array.
        """
        if not isinstance(fds, (list, tuple)):
            fds = list(fds)  # an iterator could not be read twice
        k = len(fds)
        if k <= MAX_FDS:
            try:
                self.sfds[:k] = fds  # type: ignore[assignment]
            except TypeError:
                self.sfds[:k] = [_fileno(f) for f in fds]
        return k


class _PerThread(_threading.local):
    def __init__(self) -> None:
        self.s = _Scratch()


_tls = _PerThread()  # _tls.s: this thread's _Scratch


# --------------------------------------------------------------------------
# Helpers


def _error() -> OSError:
    """The OSError for the failure the last C call reported."""
    e = _get_errno()
    msg = _lib.uds_last_error()
    text = msg.decode("utf-8", "replace") if msg else _os.strerror(e)
    return OSError(e, text)


def _check_retry() -> None:
    """After a failed call: raise, unless it was EINTR.

    On EINTR the caller loops; the loop's next iteration gives Python the
    chance to run signal handlers (which may raise, e.g. KeyboardInterrupt).
    """
    if _get_errno() != _EINTR:
        raise _error()


def _einval(func: str, what: str) -> OSError:
    return OSError(_EINVAL, "udsock.%s: %s" % (func, what))


def _fileno(sock: SocketLike) -> int:
    # The hot paths inline this line.
    return sock if isinstance(sock, int) else sock.fileno()


def _wrap(fd: int, type: int) -> _socket.socket:
    """A socket.socket owning fd (closed if wrapping fails)."""
    try:
        return _socket.socket(_AF_UNIX, type, 0, fd)
    except BaseException:
        _os.close(fd)
        raise


def _sotype(fd: int) -> int:
    s = _socket.socket(_AF_UNIX, _SOCK_STREAM, 0, fd)
    try:
        return s.getsockopt(_socket.SOL_SOCKET, _socket.SO_TYPE)
    finally:
        s.detach()


def _send_buf(data: BytesLike):
    """(pointer argument, length) of a bytes-like object: bytes as they are,
    a writable buffer by reference, anything else as a bytes copy."""
    if data.__class__ is bytes:
        return data, len(data)
    mv = memoryview(data)
    n = mv.nbytes
    if n and not mv.readonly and mv.c_contiguous:
        try:
            return _ct.byref(_c_char.from_buffer(mv)), n
        except (TypeError, ValueError):
            pass
    return mv.tobytes(), n


def _path_arg(func: str, path: PathLike) -> bytes:
    """A pathname as bytes for a C string; embedded NUL: EINVAL."""
    b = _fsencode(path)
    if b"\0" in b:
        raise _einval(func, "path %r contains a NUL byte" % (b,))
    return b


def _addr_arg(addr: AddrLike) -> bytes:
    """An address string as bytes ("@name" abstract, else a pathname)."""
    if isinstance(addr, str):
        return _fsencode(addr)
    if isinstance(addr, (bytes, bytearray, memoryview)):
        return bytes(addr)
    b = _fsencode(addr)  # os.PathLike: always a pathname
    if b.startswith(b"@"):
        b = b"./" + b
    return b


def _name_arg(name) -> bytes:
    if isinstance(name, str):
        return _fsencode(name)
    return bytes(name)


def _addr_str(a: _Addr, base: int) -> str:
    """The address string form of a uds_addr at base."""
    kind = a.kind
    if kind == 1:
        n = a.len
        if n > _ADDR_NAME_MAX:  # only the first 108 bytes fit
            return _fsdecode(_string_at(base + _ADDR_NAME_OFFSET,
                                        _ADDR_NAME_MAX)) + "..."
        return _fsdecode(_string_at(base + _ADDR_NAME_OFFSET, n))
    if kind == 2:
        return "@" + _fsdecode(_string_at(base + _ADDR_NAME_OFFSET, a.len))
    return ""


def _fill_addr(func: str, a: _Addr, addr: AddrLike,
               cut: bool = False) -> None:
    """Fill a uds_addr from an address string.

    A pathname longer than a uds_addr holds raises ENAMETOOLONG, or with
    cut, is stored as the library stores one: its first 108 bytes, and len
    the full length.
    """
    b = _addr_arg(addr)
    if not b:
        kind, name = 0, b""
    elif b.startswith(b"@"):
        kind, name = 2, b[1:]
        if len(name) > _ABSTRACT_MAX:
            raise _einval(func, "abstract name is %d bytes; the limit is %d"
                          % (len(name), _ABSTRACT_MAX))
    else:
        kind, name = 1, b
        if b"\0" in name:
            raise _einval(func, "path %r contains a NUL byte" % (name,))
        if len(name) > _ADDR_NAME_MAX and not cut:
            raise OSError(_errno.ENAMETOOLONG,
                          "udsock.%s: path is %d bytes; a uds_addr holds %d"
                          % (func, len(name), _ADDR_NAME_MAX))
    a.kind = kind
    a.len = len(name)
    _ct.memset(_addressof(a) + _ADDR_NAME_OFFSET, 0, 109)
    _ct.memmove(_addressof(a) + _ADDR_NAME_OFFSET, name,
                min(len(name), _ADDR_NAME_MAX))


def _fill_cred(c: _CCred, cred) -> None:
    pid, uid, gid = cred
    c.pid, c.uid, c.gid = pid, uid, gid


def _fds_array(fds: Iterable[Union[int, _HasFileno]]) -> "_array[int]":
    """The fds as a C int array; objects with fileno() become their fd."""
    if not isinstance(fds, (list, tuple)):
        fds = list(fds)  # an iterator could not be read twice
    try:
        return _array("i", fds)
    except TypeError:
        return _array("i", [_fileno(f) for f in fds])


# --------------------------------------------------------------------------
# Library


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH" (uds_version)."""
    return _lib.uds_version().decode("ascii")


def last_error() -> str:
    """This thread's last library error line, "" when none (uds_last_error).

    Every OSError raised by this module already carries it as its message.
    """
    msg = _lib.uds_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


# --------------------------------------------------------------------------
# Addresses


def getsockname(sock: SocketLike) -> str:
    """The socket's own address: "/path", "@name", or "" if unnamed.

    For a socket the library bound through a long path this is the real
    path, not the /proc alias; if it is longer than 108 bytes, only its
    first 108 bytes followed by "...".
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        if _lib.uds_getsockname(fd, s.addraddr) < 0:
            raise _error()
        return _addr_str(s.addr, s.addraddr)
    finally:
        s.busy = False


def getpeername(sock: SocketLike) -> str:
    """The connected peer's address: "/path", "@name", or "" if unnamed."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        if _lib.uds_getpeername(fd, s.addraddr) < 0:
            raise _error()
        return _addr_str(s.addr, s.addraddr)
    finally:
        s.busy = False


def format_addr(addr: AddrLike) -> str:
    """A printable, one-line form of an address string (uds_addr_format).

    "/tmp/x" prints as it is, "@name" with NULs, other bytes outside
    printable ASCII and the backslash as \\xNN, "" (unnamed) as
    "(unnamed)". A pathname over 108 bytes is cut and ends in "...".
    """
    a = _Addr()
    _fill_addr("format_addr", a, addr, cut=True)
    cap = 512
    while True:
        buf = _ct.create_string_buffer(cap)
        need = _lib.uds_addr_format(_ct.byref(a), buf, cap)
        if need < 0:
            raise _error()
        if need < cap:
            return buf.value.decode("utf-8", "surrogateescape")
        cap = need + 1


# --------------------------------------------------------------------------
# Create, bind, listen, accept, connect


def socket(type: int = _SOCK_STREAM) -> _socket.socket:
    """A new, unbound Unix-domain socket (uds_socket), close-on-exec.

    type: socket.SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET, optionally
    OR'ed with socket.SOCK_NONBLOCK.
    """
    fd = _lib.uds_socket(type)
    if fd < 0:
        raise _error()
    return _wrap(fd, type)


def bind(sock: SocketLike, path: PathLike) -> None:
    """Bind to a pathname of any length (uds_bind).

    The path is always a pathname here ("@" has no special meaning); use
    bind_abstract() for an abstract name.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    if _lib.uds_bind(fd, _path_arg("bind", path)) < 0:
        raise _error()


def bind_abstract(sock: SocketLike, name: Union[bytes, str]) -> None:
    """Bind to the abstract name `name` (uds_bind_abstract).

    name: 1..107 bytes (or a str), NUL bytes allowed, without the "@".
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    b = _name_arg(name)
    if _lib.uds_bind_abstract(fd, b, len(b)) < 0:
        raise _error()


def autobind(sock: SocketLike) -> str:
    """Bind to a kernel-chosen abstract name (uds_autobind).

    Returns the name, as "@xxxxx".
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    if _lib.uds_autobind(fd) < 0:
        raise _error()
    return getsockname(fd)


def listen(sock: SocketLike, backlog: int = 0) -> None:
    """Start listening (uds_listen); backlog <= 0 means SOMAXCONN."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    if _lib.uds_listen(fd, backlog) < 0:
        raise _error()


def accept(listener: SocketLike, flags: int = 0) -> _socket.socket:
    """Accept one connection (uds_accept) and return it as a socket.

    flags: 0, or socket.SOCK_NONBLOCK for a non-blocking connection. Unlike
    socket.accept() this returns only the socket: a Unix-domain client is
    usually unnamed (use getpeername() if it matters).
    """
    fd = _fileno(listener)
    f = _lib.uds_accept
    while True:
        r = f(fd, flags)
        if r >= 0:
            break
        _check_retry()
    t = getattr(listener, "type", None)
    if not isinstance(t, int):
        t = _sotype(r)
    return _wrap(r, int(t) | (flags & _SOCK_NONBLOCK))


def connect(sock: SocketLike, path: PathLike) -> None:
    """Connect to a pathname of any length (uds_connect)."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    p = _path_arg("connect", path)
    f = _lib.uds_connect
    while f(fd, p) < 0:
        _check_retry()


def connect_abstract(sock: SocketLike, name: Union[bytes, str]) -> None:
    """Connect to the abstract name `name` (bytes, NULs allowed; no "@")."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    b = _name_arg(name)
    f = _lib.uds_connect_abstract
    while f(fd, b, len(b)) < 0:
        _check_retry()


def socketpair(
        type: int = _SOCK_STREAM) -> Tuple[_socket.socket, _socket.socket]:
    """A connected pair of sockets (uds_socketpair)."""
    sv = (_c_int * 2)()
    if _lib.uds_socketpair(type, sv) < 0:
        raise _error()
    a = _wrap(sv[0], type)
    try:
        b = _wrap(sv[1], type)
    except BaseException:
        a.close()
        raise
    return a, b


def listener(addr: AddrLike, *, type: int = _SOCK_STREAM, backlog: int = 0,
             mode: Optional[int] = None,
             replace_stale: bool = False) -> _socket.socket:
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

    Close it with udsock.close() to remove the socket file (and its lock
    file) as well.
    """
    b = _addr_arg(addr)
    flags = REPLACE_STALE if replace_stale else 0
    m = -1 if mode is None else mode
    if b"\0" in b:
        if not b.startswith(b"@"):
            raise _einval("listener", "path %r contains a NUL byte" % (b,))
        # An abstract name with NUL bytes cannot travel as a C string.
        s = socket(type)
        try:
            bind_abstract(s, b[1:])
            if type & ~_SOCK_NONBLOCK != _socket.SOCK_DGRAM:
                listen(s, backlog)
        except BaseException:
            s.close()
            raise
        return s
    f = _lib.uds_listener
    while True:
        fd = f(b, type, backlog, m, flags)
        if fd >= 0:
            return _wrap(fd, type)
        _check_retry()


def dial(addr: AddrLike, type: int = _SOCK_STREAM) -> _socket.socket:
    """A socket connected to addr, "/path" or "@abstract" (uds_dial)."""
    b = _addr_arg(addr)
    if b"\0" in b:
        if not b.startswith(b"@"):
            raise _einval("dial", "path %r contains a NUL byte" % (b,))
        s = socket(type)
        try:
            connect_abstract(s, b[1:])
        except BaseException:
            s.close()
            raise
        return s
    f = _lib.uds_dial
    while True:
        fd = f(b, type)
        if fd >= 0:
            return _wrap(fd, type)
        _check_retry()


def unlink(sock: SocketLike) -> None:
    """Remove the socket file this socket was bound to (uds_unlink).

    Only if the path still names the very file this socket created, so a
    newer server's socket is never removed; releases the lock file too.
    The socket stays open. Raises OSError(EINVAL) if the library did not
    bind it to a pathname (or it was already unlinked), FileNotFoundError
    if the path no longer names that file (it is left alone).
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    if _lib.uds_unlink(fd) < 0:
        raise _error()


def close(sock: Union[_socket.socket, int]) -> None:
    """unlink() if it applies, then close (uds_close).

    A socket.socket is detached first, so it does not close the fd again;
    closing an already closed socket.socket does nothing.
    """
    f = _lib.uds_close
    if isinstance(sock, _socket.socket):
        if sock.fileno() < 0:
            return
        fd = sock.detach()
    elif isinstance(sock, int):
        fd = int(sock)
    else:
        raise TypeError("udsock.close() takes a socket.socket or an int fd, "
                        "not %s" % type(sock).__name__)
    if f(fd) < 0:
        raise _error()


def unlink_path(path: PathLike) -> None:
    """Remove path, of any length, only if it is a socket (uds_unlink_path).

    A regular file, directory or symlink is left alone: OSError(ENOTSOCK).
    """
    if _lib.uds_unlink_path(_path_arg("unlink_path", path)) < 0:
        raise _error()


# --------------------------------------------------------------------------
# Data


def send(sock: SocketLike, data: BytesLike, flags: int = 0) -> int:
    """Send some of data (uds_send, flags as for send(2)); return bytes sent.

    Never raises SIGPIPE: a closed peer gives BrokenPipeError.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        z = s.z1
        if data.__class__ is bytes:
            z.value = len(data)
        else:
            data, z.value = _send_buf(data)
        f = _lib.uds_send
        while True:
            r = f(fd, data, z, flags)
            if r >= 0:
                return r
            _check_retry()
    finally:
        s.busy = False


def recv(sock: SocketLike, bufsize: int, flags: int = 0) -> bytes:
    """Receive up to bufsize bytes (uds_recv); b"" at end of stream."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        if 0 <= bufsize <= s.bufsize:  # s.data(), inline
            buf = s.buf
            view = s.view
        else:
            buf, view = s.data(bufsize)
        z = s.z1
        f = _lib.uds_recv
        while True:
            z.value = bufsize
            r = f(fd, buf, z, flags)
            if r >= 0:
                return view[:r].tobytes()
            _check_retry()
    finally:
        s.busy = False


def _send_whole(f: Any, sock: SocketLike, data: BytesLike) -> None:
    """Calls f(fd, data, len), a C call that sends all of data or fails."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        z = s.z1
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = _send_buf(data)
        while True:
            z.value = n
            if f(fd, data, z) >= 0:
                return
            _check_retry()
    finally:
        s.busy = False


def send_all(sock: SocketLike, data: BytesLike) -> None:
    """Send all of data (uds_send_all), continuing after partial sends."""
    _send_whole(_lib.uds_send_all, sock, data)


def recv_exact(sock: SocketLike, n: int) -> bytes:
    """Receive exactly n bytes (uds_recv_exact).

    Returns b"" at a clean end of stream before the first byte; raises
    ConnectionResetError if the stream ended part-way.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        buf, view = s.data(n)
        z = s.z1
        f = _lib.uds_recv_exact
        while True:
            z.value = n
            r = f(fd, buf, z)
            if r >= 0:
                return view[:r].tobytes()
            _check_retry()
    finally:
        s.busy = False


def pending(sock: SocketLike) -> int:
    """Bytes waiting to be read (uds_pending, SIOCINQ)."""
    r = _lib.uds_pending(_fileno(sock))
    if r < 0:
        raise _error()
    return r


def sendto(sock: SocketLike, data: BytesLike, addr: AddrLike) -> int:
    """Send a datagram to addr (uds_sendto); return the bytes sent.

    addr: "/path" (any length) or "@name".
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    b = _addr_arg(addr)
    if b"\0" in b:
        if not b.startswith(b"@"):
            raise _einval("sendto", "path %r contains a NUL byte" % (b,))
        return sendmsg(fd, data, addr=b)
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        z = s.z1
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = _send_buf(data)
        f = _lib.uds_sendto
        while True:
            z.value = n
            r = f(fd, data, z, b)
            if r >= 0:
                return r
            _check_retry()
    finally:
        s.busy = False


def recvfrom(sock: SocketLike, bufsize: int) -> Tuple[bytes, str]:
    """Receive a datagram (uds_recvfrom): (data, sender address or "")."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        buf, view = s.data(bufsize)
        z = s.z1
        f = _lib.uds_recvfrom
        while True:
            z.value = bufsize
            r = f(fd, buf, z, s.addrp)
            if r >= 0:
                return view[:r].tobytes(), _addr_str(s.addr, s.addraddr)
            _check_retry()
    finally:
        s.busy = False


# --------------------------------------------------------------------------
# Frames


def send_frame(sock: SocketLike, data: BytesLike) -> None:
    """Send one length-prefixed frame (uds_send_frame).

    Wire format: a 4-byte native-endian length, then the bytes.
    """
    _send_whole(_lib.uds_send_frame, sock, data)


def recv_frame(sock: SocketLike,
               maxsize: int = FRAME_MAX_DEFAULT) -> Optional[bytes]:
    """Receive one frame (uds_recv_frame); None at a clean end of stream.

    A frame larger than maxsize is consumed and dropped (the stream stays in
    step) and OSError(EMSGSIZE) is raised; EOF inside a frame raises
    ConnectionResetError.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        buf, view = s.data(maxsize)
        z = s.z1
        f = _lib.uds_recv_frame
        while True:
            z.value = maxsize
            r = f(fd, buf, z, s.nptr)
            if r > 0:
                return view[:s.n.value].tobytes()
            if r == 0:
                return None
            _check_retry()
    finally:
        s.busy = False


def send_frame_fds(sock: SocketLike, data: BytesLike,
                   fds: Iterable[Union[int, _HasFileno]] = ()) -> None:
    """Send one frame with file descriptors (uds_send_frame_fds).

    The bytes on the wire are exactly send_frame's; fds (0..MAX_FDS ints or
    objects with fileno(), which stay open here) travel with its first byte.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = _send_buf(data)
        k = s.put_fds(fds)
        z, nf = s.z1, s.z2
        f = _lib.uds_send_frame_fds
        while True:
            z.value = n
            nf.value = k
            if f(fd, data, z, s.sfds, nf) == 0:
                return
            _check_retry()
    finally:
        s.busy = False


def recv_frame_fds(sock: SocketLike, maxsize: int = FRAME_MAX_DEFAULT,
                   maxfds: int = MAX_FDS
                   ) -> Optional[Tuple[bytes, List[int]]]:
    """Receive one frame and the descriptors sent with it (uds_recv_frame_fds).

    Returns (data, fds), or None at a clean end of stream. The fds are
    close-on-exec ints the caller owns and must close; they are exactly
    those that came with this frame, however the sender's writes were cut.
    More fds than maxfds: all are closed, the frame is consumed and
    OSError(EXFULL) is raised. A frame larger than maxsize is dropped with
    its fds closed: OSError(EMSGSIZE). EOF inside a frame raises
    ConnectionResetError.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        buf, view = s.data(maxsize)
        if maxfds > MAX_FDS:
            maxfds = MAX_FDS
        elif maxfds < 0:
            raise ValueError("negative maxfds: %d" % maxfds)
        z, n, length = s.z1, s.n, s.z2
        f = _lib.uds_recv_frame_fds
        while True:
            z.value = maxsize
            n.value = maxfds
            r = f(fd, buf, z, _ct.byref(length), s.fds, s.nptr)
            if r > 0:
                k = n.value
                return view[:length.value].tobytes(), (s.fds[:k] if k else [])
            if r == 0:
                return None
            _check_retry()
    finally:
        s.busy = False


# --------------------------------------------------------------------------
# File descriptors and credentials


def send_fds(sock: SocketLike, data: BytesLike,
             fds: Iterable[Union[int, _HasFileno]]) -> int:
    """Send data with file descriptors (uds_send_fds, SCM_RIGHTS).

    fds: 1..MAX_FDS ints (or objects with fileno()); they stay open here.
    An empty data on a stream socket sends one zero byte as the carrier.
    Returns the bytes sent.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        z = s.z1
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = _send_buf(data)
        nf = s.z2
        c = fds.__class__
        if c is list or c is tuple:  # the usual case, inline
            k = len(fds)  # type: ignore[arg-type]
            if k <= MAX_FDS:
                try:
                    s.sfds[:k] = fds  # type: ignore[call-overload]
                except TypeError:
                    k = s.put_fds(fds)
        else:
            k = s.put_fds(fds)
        f = _lib.uds_send_fds
        while True:
            z.value = n
            nf.value = k
            r = f(fd, data, z, s.sfds, nf)
            if r >= 0:
                return r
            _check_retry()
    finally:
        s.busy = False


def recv_fds(sock: SocketLike, bufsize: int,
             maxfds: int) -> Tuple[bytes, List[int]]:
    """Receive data and up to maxfds file descriptors (uds_recv_fds).

    Returns (data, fds). The fds are close-on-exec ints that the caller
    owns and must close. If more fds arrived than maxfds, all of them are
    closed and OSError(EXFULL) is raised. (b"", []) means end of stream.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        if 0 <= bufsize <= s.bufsize:  # s.data(), inline
            buf = s.buf
            view = s.view
        else:
            buf, view = s.data(bufsize)
        if maxfds > MAX_FDS:
            maxfds = MAX_FDS
        elif maxfds < 0:
            raise ValueError("negative maxfds: %d" % maxfds)
        z = s.z1
        n = s.n
        f = _lib.uds_recv_fds
        while True:
            z.value = bufsize
            n.value = maxfds
            r = f(fd, buf, z, s.fds, s.nptr)
            if r >= 0:
                k = n.value
                return view[:r].tobytes(), (s.fds[:k] if k else [])
            _check_retry()
    finally:
        s.busy = False


def send_fd(sock: SocketLike, fd: Union[int, _HasFileno]) -> None:
    """Send one file descriptor with a one-byte payload (uds_send_fd)."""
    s = _fileno(sock)
    x = _fileno(fd)
    f = _lib.uds_send_fd
    while f(s, x) < 0:
        _check_retry()


def recv_fd(sock: SocketLike) -> int:
    """Receive one file descriptor sent by send_fd() (uds_recv_fd).

    The caller owns the returned fd. End of stream raises
    ConnectionResetError; a message without exactly one fd has its fds
    closed and raises OSError(EBADMSG).
    """
    s = _fileno(sock)
    f = _lib.uds_recv_fd
    while True:
        r = f(s)
        if r >= 0:
            return r
        _check_retry()


def peer_cred(sock: SocketLike) -> Cred:
    """The connected peer's pid, uid and gid (uds_peer_cred, SO_PEERCRED)."""
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        if _lib.uds_peer_cred(_fileno(sock), s.credaddr) < 0:
            raise _error()
        c = s.cred
        return Cred(c.pid, c.uid, c.gid)
    finally:
        s.busy = False


def peer_pidfd(sock: SocketLike) -> int:
    """A pidfd for the connected peer (uds_peer_pidfd, SO_PEERPIDFD).

    The caller owns the returned fd (close-on-exec).
    """
    r = _lib.uds_peer_pidfd(_fileno(sock))
    if r < 0:
        raise _error()
    return r


def set_passcred(sock: SocketLike, on: bool = True) -> None:
    """Turn SO_PASSCRED on or off (uds_set_passcred)."""
    if _lib.uds_set_passcred(_fileno(sock), 1 if on else 0) < 0:
        raise _error()


def peer_groups(sock: SocketLike) -> List[int]:
    """The connected peer's supplementary groups (uds_peer_groups)."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    n = _c_size_t()
    cap = 64
    while True:
        groups = (_ct.c_uint32 * cap)()
        n.value = cap
        if _lib.uds_peer_groups(fd, groups, _ct.byref(n)) >= 0:
            return groups[:n.value]
        if _get_errno() != _errno.ERANGE or n.value <= cap:
            raise _error()
        cap = n.value


def peer_security(sock: SocketLike) -> str:
    """The connected peer's security label (uds_peer_security, SO_PEERSEC).

    Raises OSError(ENOPROTOOPT) where no security module provides one.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    cap = 256
    while True:
        buf = _ct.create_string_buffer(cap)
        r = _lib.uds_peer_security(fd, buf, cap)
        if r >= 0:
            return buf.raw[:r].decode("utf-8", "surrogateescape")
        if _get_errno() != _errno.ERANGE or cap >= 1 << 16:
            raise _error()
        cap *= 4


def send_creds(sock: SocketLike, data: BytesLike,
               cred: Optional[Tuple[int, int, int]] = None) -> int:
    """Send data with SCM_CREDENTIALS (uds_send_creds); return bytes sent.

    cred: (pid, uid, gid), or None for the caller's own. Values the caller
    may not claim raise PermissionError.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        z = s.z1
        if data.__class__ is bytes:
            n = len(data)
        else:
            data, n = _send_buf(data)
        if cred is None:
            cp = None
        else:
            _fill_cred(s.cred, cred)
            cp = s.credp
        f = _lib.uds_send_creds
        while True:
            z.value = n
            r = f(fd, data, z, cp)
            if r >= 0:
                return r
            _check_retry()
    finally:
        s.busy = False


def recv_creds(sock: SocketLike, bufsize: int) -> Tuple[bytes, Cred]:
    """Receive data and the sender's credentials (uds_recv_creds).

    Turns SO_PASSCRED on if it was off. A message queued before that carries
    no real credentials: Cred(0, NO_CRED_ID, NO_CRED_ID).
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        buf, view = s.data(bufsize)
        z = s.z1
        f = _lib.uds_recv_creds
        while True:
            z.value = bufsize
            r = f(fd, buf, z, s.credp)
            if r >= 0:
                c = s.cred
                return view[:r].tobytes(), Cred(c.pid, c.uid, c.gid)
            _check_retry()
    finally:
        s.busy = False


# --------------------------------------------------------------------------
# General messages and batches


def set_passpidfd(sock: SocketLike, on: bool = True) -> None:
    """Turn SO_PASSPIDFD on or off (uds_set_passpidfd, Linux 6.5+).

    Messages received afterwards carry a pidfd of their sender. A kernel
    without the option raises OSError(ENOPROTOOPT).
    """
    if _lib.uds_set_passpidfd(_fileno(sock), 1 if on else 0) != 0:
        raise _error()


def set_passrights(sock: SocketLike, on: bool = True) -> None:
    """Refuse (on=False) or accept again descriptors sent to this socket
    (uds_set_passrights, SO_PASSRIGHTS, Linux 6.16+): a refused sender's
    send fails with EPERM. A kernel without it raises OSError(ENOPROTOOPT).
    """
    if _lib.uds_set_passrights(_fileno(sock), 1 if on else 0) != 0:
        raise _error()


def recv_pidfd(sock: SocketLike, bufsize: int) -> Tuple[bytes, Optional[int]]:
    """Receive one message and a pidfd of its sender (uds_recv_pidfd).

    Returns (data, pidfd): pidfd is a close-on-exec int the caller owns, or
    None when the message carried none. Turns SO_PASSPIDFD on if it was
    off. Descriptors sent with the message are closed. (b"", None) is the
    end of a stream. Unlike a pid, the pidfd can never come to name another
    process: read its pid from /proc/self/fdinfo/<pidfd> (Pid: -1 once the
    sender has exited and been reaped).
    """
    fd = _fileno(sock)
    buf = (_c_char * max(bufsize, 0))()
    p = _c_int(-1)
    while True:
        r = _lib.uds_recv_pidfd(fd, buf, bufsize, _ct.byref(p))
        if r >= 0:
            return buf.raw[:r], (p.value if p.value >= 0 else None)
        _check_retry()


def _fill_msg(m: _Msg, cred_slot: _CCred, addr_slot: _Addr, data, fds,
              cred, addr, keep: list) -> None:
    """Fill a uds_msg for sending; keep holds what must outlive the call."""
    if data.__class__ is bytes:
        m.data = data
        m.len = len(data)
    else:
        mv = memoryview(data)
        n = mv.nbytes
        obj = None
        if n and not mv.readonly and mv.c_contiguous:
            try:
                obj = _c_char.from_buffer(mv)
            except (TypeError, ValueError):
                pass
        if obj is None:
            m.data = mv.tobytes()
        else:
            keep.append(obj)
            m.data = _addressof(obj)
        m.len = n
    if fds:
        a = _fds_array(fds)
        keep.append(a)
        m.fds, m.nfds = a.buffer_info()
    else:
        m.fds, m.nfds = None, 0
    if cred is None:
        m.cred = None
    else:
        _fill_cred(cred_slot, cred)
        m.cred = _addressof(cred_slot)
    if addr is None:
        m.addr = None
    else:
        _fill_addr("sendmsg", addr_slot, addr)
        m.addr = _addressof(addr_slot)
    m.flags = 0


def sendmsg(sock: SocketLike, data: BytesLike = b"", fds: Iterable[int] = (),
            cred: Optional[Tuple[int, int, int]] = None,
            addr: Optional[AddrLike] = None, flags: int = 0) -> int:
    """Send one message with any of fds, credentials and a destination.

    uds_sendmsg: fds are sent with SCM_RIGHTS, cred (pid, uid, gid) with
    SCM_CREDENTIALS, addr ("/path" or "@name") names a datagram's
    destination (None: the connected peer; a pathname here is limited to
    the 108 bytes a uds_addr holds, sendto() takes any length). flags are
    passed to sendmsg(2). Returns the bytes sent.
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    m = s.msg
    try:
        keep: List[Any] = []
        _fill_msg(m, s.cred, s.addr, data, fds, cred, addr, keep)
        f = _lib.uds_sendmsg
        while True:
            r = f(fd, s.msgp, flags)
            if r >= 0:
                return r
            _check_retry()
    finally:
        m.data = None  # drop the reference to the payload
        s.busy = False


def recvmsg(sock: SocketLike, bufsize: int, maxfds: int = 0,
            flags: int = 0) -> Message:
    """Receive one message (uds_recvmsg) as a Message.

    Truncation never raises: it is reported in Message.flags (MSG_TRUNC for
    data, MSG_CTRUNC for fds or credentials) and the fds that did arrive are
    delivered. cred is set when the message carried credentials (SO_PASSCRED
    on). addr is the sender ("" if unnamed). The fds are the caller's to
    close. flags are passed to recvmsg(2).
    """
    return _recvmsg(sock, bufsize, maxfds, flags, None)


def recvmsg_pidfd(sock: SocketLike, bufsize: int, maxfds: int = 0,
                  flags: int = 0) -> Tuple[Message, Optional[int]]:
    """recvmsg that also returns a pidfd of the sender (uds_recvmsg_pidfd).

    Returns (message, pidfd); pidfd is None when the message carried none
    (else MSG_PIDFD is in message.flags), and otherwise a close-on-exec int
    the caller owns. Turns SO_PASSPIDFD on if it was off (Linux 6.5+;
    OSError(ENOPROTOOPT) before).
    """
    p = _c_int(-1)
    m = _recvmsg(sock, bufsize, maxfds, flags, p)
    return m, (p.value if p.value >= 0 else None)


def _recvmsg(sock: SocketLike, bufsize: int, maxfds: int, flags: int,
             pidfd: Any) -> Message:
    """recvmsg and recvmsg_pidfd (pidfd: a c_int to fill, or None)."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        buf, view = s.data(bufsize)
        if maxfds > MAX_FDS:
            maxfds = MAX_FDS
        elif maxfds < 0:
            raise ValueError("negative maxfds: %d" % maxfds)
        m = s.msg
        addr = _addressof(buf)
        f = _lib.uds_recvmsg_pidfd if pidfd is not None else _lib.uds_recvmsg
        while True:
            m.data = addr
            m.len = bufsize
            m.fds = s.fdsaddr
            m.nfds = maxfds
            m.cred = s.credaddr
            m.flags = 0
            m.addr = s.addraddr
            s.addr.kind = 0
            r = (f(fd, s.msgp, flags) if pidfd is None
                 else f(fd, s.msgp, flags, _ct.byref(pidfd)))
            if r >= 0:
                break
            _check_retry()
        k = m.nfds
        mflags = m.flags
        c = s.cred
        return Message(view[:m.len].tobytes(), s.fds[:k] if k else [],
                       Cred(c.pid, c.uid, c.gid) if mflags & MSG_CRED else None,
                       mflags, _addr_str(s.addr, s.addraddr))
    finally:
        s.busy = False


def _batch_slots(s: _Scratch, n: int):
    b = s.batch
    if b is None or b[0] < n:
        cap = max(n, 16)
        b = (cap, (_Msg * cap)(), (_CCred * cap)(), (_Addr * cap)())
        s.batch = b
    return b


def send_batch(sock: SocketLike,
               messages: Sequence[Union[BytesLike, Message]],
               flags: int = 0) -> int:
    """Send many datagrams or seqpackets in one system call (uds_send_batch).

    Each item is a bytes-like payload or a Message (data, fds, cred, addr).
    Returns how many messages went out (possibly fewer than given).
    """
    fd = sock if isinstance(sock, int) else sock.fileno()
    n = len(messages)
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    _, msgs, creds, addrs = _batch_slots(s, n)
    try:
        keep: List[Any] = []
        for i, item in enumerate(messages):
            if isinstance(item, Message):
                _fill_msg(msgs[i], creds[i], addrs[i], item.data, item.fds,
                          item.cred, item.addr, keep)
            else:
                _fill_msg(msgs[i], creds[i], addrs[i], item, None, None, None,
                          keep)
        f = _lib.uds_send_batch
        while True:
            r = f(fd, msgs, n, flags)
            if r >= 0:
                return r
            _check_retry()
    finally:
        for i in range(n):
            msgs[i].data = None  # drop the references to the payloads
        s.busy = False


def recv_batch(sock: SocketLike, n: int, bufsize: int, maxfds: int = 0,
               flags: int = 0) -> List[Message]:
    """Receive up to n messages in one system call (uds_recv_batch).

    Each message gets bufsize bytes and maxfds fds of room; truncation is
    reported in its flags as for recvmsg(). Returns the messages received.
    flags are passed to recvmmsg(2) (e.g. socket.MSG_DONTWAIT).
    """
    return _recv_batch(sock, n, bufsize, maxfds, flags, None)


def recv_batch_pidfd(sock: SocketLike, n: int, bufsize: int, maxfds: int = 0,
                     flags: int = 0) -> List[Tuple[Message, Optional[int]]]:
    """recv_batch that also returns each message's sender (uds_recv_batch_pidfd).

    Returns [(message, pidfd)]: pidfd is a close-on-exec int the caller owns,
    or None when the message carried none. Turns SO_PASSPIDFD on if it was
    off (Linux 6.5+; OSError(ENOPROTOOPT) before).
    """
    if n < 0:
        raise ValueError("negative n")
    p = (_c_int * max(1, n))()
    out = _recv_batch(sock, n, bufsize, maxfds, flags, p)
    return [(m, p[i] if p[i] >= 0 else None) for i, m in enumerate(out)]


def _recv_batch(sock: SocketLike, n: int, bufsize: int, maxfds: int,
                flags: int, pidfds: Any) -> List[Message]:
    """recv_batch and recv_batch_pidfd (pidfds: a c_int array, or None)."""
    fd = sock if isinstance(sock, int) else sock.fileno()
    if n < 0 or bufsize < 0 or maxfds < 0:
        raise ValueError("negative n, bufsize or maxfds")
    if maxfds > MAX_FDS:
        maxfds = MAX_FDS
    s = _tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = _Scratch()
    s.busy = True
    try:
        _, msgs, creds, addrs = _batch_slots(s, n)
        data = (_c_char * max(1, n * bufsize))()
        fdarr = (_c_int * max(1, n * maxfds))()
        base, fbase = _addressof(data), _addressof(fdarr)
        cbase, abase = _addressof(creds), _addressof(addrs)
        csize, asize = _ct.sizeof(_CCred), _ct.sizeof(_Addr)
        f = _lib.uds_recv_batch_pidfd if pidfds is not None else _lib.uds_recv_batch
        while True:
            for i in range(n):
                m = msgs[i]
                m.data = base + i * bufsize
                m.len = bufsize
                m.fds = fbase + i * maxfds * 4
                m.nfds = maxfds
                m.cred = cbase + i * csize
                m.flags = 0
                m.addr = abase + i * asize
                addrs[i].kind = 0
            r = (f(fd, msgs, n, flags) if pidfds is None
                 else f(fd, msgs, n, flags, pidfds))
            if r >= 0:
                break
            _check_retry()
        view = memoryview(data).cast("B")
        out = []
        for i in range(r):
            m = msgs[i]
            k = m.nfds
            mf = m.flags
            c = creds[i]
            off = i * bufsize
            out.append(Message(
                view[off:off + m.len].tobytes(),
                fdarr[i * maxfds:i * maxfds + k] if k else [],
                Cred(c.pid, c.uid, c.gid) if mf & MSG_CRED else None,
                mf, _addr_str(addrs[i], abase + i * asize)))
        for i in range(n):
            msgs[i].data = None
        return out
    finally:
        s.busy = False


# --------------------------------------------------------------------------
# Socket activation


def listen_fds(unset_environment: bool = False) -> List[int]:
    """The fds passed by socket activation (uds_listen_fds, as sd_listen_fds).

    Honours LISTEN_PID and LISTEN_FDS; returns [LISTEN_FDS_START, ...], or
    [] when none were passed. The fds are marked close-on-exec; they are the
    caller's (wrap them with socket.socket(fileno=fd), or see
    listen_sockets()). unset_environment removes the variables.
    """
    r = _lib.uds_listen_fds(1 if unset_environment else 0)
    if r < 0:
        raise _error()
    return list(range(LISTEN_FDS_START, LISTEN_FDS_START + r))


def listen_fd_by_name(name: str) -> int:
    """The activation fd LISTEN_FDNAMES calls name (uds_listen_fd_by_name).

    Raises FileNotFoundError (ENOENT) if none has that name.
    """
    r = _lib.uds_listen_fd_by_name(_path_arg("listen_fd_by_name", name))
    if r < 0:
        raise _error()
    return r


def listen_sockets(unset_environment: bool = False) -> List[_socket.socket]:
    """listen_fds() as socket.socket objects, which then own the fds.

    Family and type are read from each fd, so activation sockets of any
    family work; an fd that is not a socket raises OSError.
    """
    return [_socket.socket(fileno=fd)
            for fd in listen_fds(unset_environment)]


# --------------------------------------------------------------------------
# Telling the service manager


def notify(state: Union[str, bytes], fds: Iterable[Union[int, _HasFileno]] = (),
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
    arr = _fds_array(fds)
    n = len(arr)
    c_fds = (_c_int * n)(*arr) if n else None
    try:
        while True:
            r = _lib.uds_notify_fds(1 if unset_environment else 0, state,
                                    c_fds, n)
            if r >= 0:
                return r == 1
            _check_retry()
    finally:
        if unset_environment:
            # The C call unset it; os.environ keeps its own copy.
            _os.environ.pop("NOTIFY_SOCKET", None)


def watchdog_enabled(unset_environment: bool = False) -> Optional[int]:
    """The watchdog interval in microseconds (uds_watchdog_enabled).

    As sd_watchdog_enabled: the value of WATCHDOG_USEC when it is set and
    WATCHDOG_PID is unset or this process's pid (send notify("WATCHDOG=1")
    at about half of it), else None. The numbers are read as libsystemd
    reads them. unset_environment removes both variables (from os.environ
    too) whatever the outcome. Raises OSError: EINVAL for a value that is
    not a number or a WATCHDOG_USEC of 0, ERANGE for one out of range.
    """
    usec = _ct.c_uint64(0)
    try:
        r = _lib.uds_watchdog_enabled(1 if unset_environment else 0,
                                      _ct.byref(usec))
    finally:
        if unset_environment:
            _os.environ.pop("WATCHDOG_USEC", None)
            _os.environ.pop("WATCHDOG_PID", None)
    if r < 0:
        raise _error()
    return usec.value if r == 1 else None
