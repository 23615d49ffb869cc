"""The C library: finding and loading it, its types, and argument helpers.

Every other module of the package reaches libudsock through ``lib`` here.
A function the C library gains is declared once in ``PROTOS``.
"""

from __future__ import annotations

import ctypes as _ct
import ctypes.util as _ctutil
import errno as _errno
import glob as _glob
import os as _os
import socket as _socket
import threading as _threading
from array import array as _array
from typing import (Any, Callable, Dict, Iterable, List, NamedTuple,
                    Optional, Protocol, Sequence, Tuple, Union)


class HasFileno(Protocol):
    def fileno(self) -> int: ...


#: Anything that names a socket: a socket.socket, an int fd, or an object
#: with a fileno() method.
SocketLike = Union[_socket.socket, int, HasFileno]
#: An address string ("/path" or "@abstract"), its bytes, or a path object.
AddrLike = Union[str, bytes, "_os.PathLike[str]", "_os.PathLike[bytes]"]
#: A pathname: str, bytes or a path object.
PathLike = Union[str, bytes, "_os.PathLike[str]", "_os.PathLike[bytes]"]
#: Any object supporting the buffer protocol.
BytesLike = Union[bytes, bytearray, memoryview]
#: A file descriptor to send: an int or an object with fileno().
FdLike = Union[int, HasFileno]

# --------------------------------------------------------------------------
# Constants (values fixed by the C header)

#: Most fds one message can carry (SCM_MAX_FD, UDS_MAX_FDS).
MAX_FDS = 253
#: First fd passed by socket activation (UDS_LISTEN_FDS_START).
LISTEN_FDS_START = 3
#: listener() flag: replace a stale socket file (UDS_REPLACE_STALE).
REPLACE_STALE = 1
#: Message.flags: the data was truncated (UDS_MSG_TRUNC).
MSG_TRUNC = 1
#: Message.flags: fds or credentials were truncated (UDS_MSG_CTRUNC).
MSG_CTRUNC = 2
#: Message.flags: the message carried credentials (UDS_MSG_CRED).
MSG_CRED = 4
#: Message.flags from recvmsg_pidfd()/recv_batch_pidfd(): a pidfd of the
#: sender came (UDS_MSG_PIDFD).
MSG_PIDFD = 8
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

c_int = _ct.c_int
c_size_t = _ct.c_size_t
c_char = _ct.c_char
_c_char_p = _ct.c_char_p
_vp = _ct.c_void_p


class Addr(_ct.Structure):
    _fields_ = [("kind", _ct.c_uint32), ("len", _ct.c_uint32),
                ("name", c_char * 109)]


class CCred(_ct.Structure):
    _fields_ = [("pid", _ct.c_int32), ("uid", _ct.c_uint32),
                ("gid", _ct.c_uint32)]


class Msg(_ct.Structure):
    # Pointer fields are declared as c_void_p (addresses as ints) except
    # data, a c_char_p so that a bytes object can be assigned directly.
    _fields_ = [("data", _c_char_p), ("len", c_size_t),
                ("fds", _vp), ("nfds", c_size_t),
                ("cred", _vp), ("flags", _ct.c_uint32),
                ("addr", _vp)]


ADDR_NAME_OFFSET: int = Addr.name.offset
ADDR_NAME_MAX = 108  # bytes of a pathname a uds_addr holds
ABSTRACT_MAX = 107
#: A Msg.flags value the library never reports: set before a receive, it
#: tells which slots the call filled even if Python lost its return value.
FLAGS_UNFILLED = 0x80000000

# name: (restype, argtypes). Declared once; resolved on first use.
#
# The data paths (argtypes None) are called without argtypes: ctypes then
# converts nothing itself, which saves about a third of a microsecond per
# call. Their callers pass only C-typed values: a Python int only where C
# takes an int (checked by fd_of() and size_of() first), bytes or a ctypes
# object for a pointer, and a c_size_t object for a size_t.
_RAW = None
PROTOS: Dict[str, Tuple[Any, Optional[Tuple[Any, ...]]]] = {
    "uds_socket": (c_int, (c_int,)),
    "uds_bind": (c_int, (c_int, _c_char_p)),
    "uds_bind_abstract": (c_int, (c_int, _vp, c_size_t)),
    "uds_autobind": (c_int, (c_int,)),
    "uds_listen": (c_int, (c_int, c_int)),
    "uds_accept": (c_int, (c_int, c_int)),
    "uds_connect": (c_int, (c_int, _c_char_p)),
    "uds_connect_abstract": (c_int, (c_int, _vp, c_size_t)),
    "uds_socketpair": (c_int, (c_int, _vp)),
    "uds_listener": (c_int, (_c_char_p, c_int, c_int, c_int, _ct.c_uint)),
    "uds_dial": (c_int, (_c_char_p, c_int)),
    "uds_unlink": (c_int, (c_int,)),
    "uds_close": (c_int, (c_int,)),
    "uds_unlink_path": (c_int, (_c_char_p,)),
    "uds_getsockname": (c_int, (c_int, _vp)),
    "uds_getpeername": (c_int, (c_int, _vp)),
    "uds_addr_format": (c_int, (_vp, _vp, c_size_t)),
    # (int fd, const void *buf, size_t len, int flags)
    "uds_send": (_ct.c_ssize_t, _RAW),
    # (int fd, void *buf, size_t len, int flags)
    "uds_recv": (_ct.c_ssize_t, _RAW),
    # The whole-transfer calls below are done in Python (waiting there, so
    # that timeouts and KeyboardInterrupt work); declared for completeness.
    # (int fd, const void *buf, size_t len)
    "uds_send_all": (c_int, _RAW),
    # (int fd, void *buf, size_t len)
    "uds_recv_exact": (_ct.c_ssize_t, _RAW),
    # (int fd, const void *buf, size_t len)
    "uds_send_frame": (c_int, _RAW),
    # (int fd, void *buf, size_t cap, size_t *len_out)
    "uds_recv_frame": (c_int, _RAW),
    # Frames with fds: done in Python like the other frames (a non-blocking
    # uds_recv_frame_fds takes nothing until the whole frame is queued,
    # which a timeout's wait or an asyncio reader cannot build on).
    # (int sock, const void *buf, size_t len, const int *fds, size_t nfds)
    "uds_send_frame_fds": (c_int, _RAW),
    # (int sock, void *buf, size_t cap, size_t *len_out, int *fds,
    #  size_t *nfds)
    "uds_recv_frame_fds": (c_int, _RAW),
    # The resumable frame reader and writer: declared (a pointer result
    # must not be read as an int) but not wrapped; _state.Reader does
    # their work in Python, where the waiting is.
    "uds_reader_new": (_vp, (c_size_t, c_size_t)),
    # (uds_reader *r, int sock, const void **frame, size_t *len, int *fds,
    #  size_t *nfds)
    "uds_reader_read": (c_int, _RAW),
    "uds_reader_free": (None, (_vp,)),
    # (uds_writer *w, int sock, const void *buf, size_t len,
    #  const int *fds, size_t nfds)
    "uds_writer_send": (c_int, _RAW),
    # (int sock, void *buf, size_t len, int *fds, size_t *nfds)
    "uds_recv_fds": (_ct.c_ssize_t, _RAW),
    "uds_pending": (c_int, (c_int,)),
    # (int fd, const void *buf, size_t len, const char *addr)
    "uds_sendto": (_ct.c_ssize_t, _RAW),
    # (int fd, void *buf, size_t len, uds_addr *from)
    "uds_recvfrom": (_ct.c_ssize_t, _RAW),
    # (int sock, const void *buf, size_t len, const int *fds, size_t nfds)
    "uds_send_fds": (_ct.c_ssize_t, _RAW),
    "uds_send_fd": (c_int, (c_int, c_int)),
    "uds_recv_fd": (c_int, (c_int,)),
    "uds_peer_cred": (c_int, (c_int, _vp)),
    "uds_peer_pidfd": (c_int, (c_int,)),
    "uds_set_passcred": (c_int, (c_int, c_int)),
    "uds_peer_groups": (c_int, (c_int, _vp, _vp)),
    "uds_peer_security": (c_int, (c_int, _vp, c_size_t)),
    # (int sock, const void *buf, size_t len, const uds_cred *cred)
    "uds_send_creds": (_ct.c_ssize_t, _RAW),
    # (int sock, void *buf, size_t len, uds_cred *out)
    "uds_recv_creds": (_ct.c_ssize_t, _RAW),
    # (int sock, const uds_msg *m, int flags)
    "uds_sendmsg": (_ct.c_ssize_t, _RAW),
    # (int sock, uds_msg *m, int flags)
    "uds_recvmsg": (_ct.c_ssize_t, _RAW),
    "uds_set_passpidfd": (c_int, (c_int, c_int)),
    "uds_set_passrights": (c_int, (c_int, c_int)),
    # (int sock, void *buf, size_t len, int *pidfd)
    "uds_recv_pidfd": (_ct.c_ssize_t, _RAW),
    # (int sock, uds_msg *m, int flags, int *pidfd)
    "uds_recvmsg_pidfd": (_ct.c_ssize_t, _RAW),
    "uds_send_batch": (c_int, (c_int, _vp, c_size_t, c_int)),
    "uds_recv_batch": (c_int, (c_int, _vp, c_size_t, c_int)),
    "uds_recv_batch_pidfd": (c_int, (c_int, _vp, c_size_t, c_int, _vp)),
    "uds_listen_fds": (c_int, (c_int,)),
    "uds_listen_fd_by_name": (c_int, (_c_char_p,)),
    "uds_notify": (c_int, (c_int, _c_char_p)),
    "uds_notify_fds": (c_int, (c_int, _c_char_p, _vp, c_size_t)),
    "uds_watchdog_enabled": (c_int, (c_int, _vp)),
    "uds_last_error": (_c_char_p, ()),
    "uds_version": (_c_char_p, ()),
}


# --------------------------------------------------------------------------
# Loading the library

_HERE = _os.path.dirname(_os.path.abspath(__file__))


def _load() -> Tuple[_ct.CDLL, str]:
    """The library, in this order: the one built into the package (pip
    install), UDSOCK_LIBRARY, the system's, and a source tree's build.

    The ImportError lists every path or name that was tried, and why it
    did not load.
    """
    tried: List[str] = []
    candidates: List[Tuple[str, str]] = []
    bundled = sorted(_glob.glob(_os.path.join(_HERE, "libudsock*.so")))
    if not bundled:
        tried.append("%s/libudsock*.so (built into the package by pip "
                     "install): none there" % _HERE)
    for name in bundled:
        try:
            return _ct.CDLL(name, use_errno=True), name
        except OSError as e:
            tried.append("%s (built into the package): %s" % (name, e))
    explicit = _os.environ.get("UDSOCK_LIBRARY")
    if explicit:
        # An explicit choice is never silently replaced by another library.
        try:
            return _ct.CDLL(explicit, use_errno=True), explicit
        except OSError as e:
            tried.append("UDSOCK_LIBRARY=%s: %s" % (explicit, e))
            raise ImportError("udsock: cannot load libudsock. Tried:\n  "
                              + "\n  ".join(tried)) from None
    tried.append("UDSOCK_LIBRARY: not set")
    found = _ctutil.find_library("udsock")
    if found:
        candidates.append((found, "ctypes.util.find_library('udsock')"))
    else:
        tried.append("ctypes.util.find_library('udsock'): found nothing")
    candidates.append(("libudsock.so", "the dynamic loader's search path"))
    # Only from a source tree (bindings/python/udsock beside ../../Cargo.toml).
    repo = _os.path.dirname(_os.path.dirname(_os.path.dirname(_HERE)))
    if _os.path.exists(_os.path.join(repo, "Cargo.toml")):
        for profile in ("release", "debug"):
            p = _os.path.join(repo, "target", profile, "libudsock.so")
            if _os.path.exists(p):
                candidates.append((p, "the source tree's %s build" % profile))
            else:
                tried.append("%s (the source tree's %s build): no such file"
                             % (p, profile))

    for name, what in candidates:
        try:
            return _ct.CDLL(name, use_errno=True), name
        except OSError as e:
            tried.append("%s (%s): %s" % (name, what, e))
    raise ImportError(
        "udsock: cannot load libudsock. Install the package with pip (it "
        "builds the library with cargo), or set UDSOCK_LIBRARY to a "
        "libudsock.so. Tried:\n  " + "\n  ".join(tried))


class _Lib:
    """The C functions, each resolved and typed on first use.

    A function missing from the loaded library raises NotImplementedError at
    call time rather than breaking the import.
    """

    def __init__(self, cdll: _ct.CDLL, path: str) -> None:
        self._cdll = cdll
        self._path = path

    def __getattr__(self, name: str) -> Any:
        proto = PROTOS.get(name)
        if proto is None:
            raise AttributeError(name)
        fn: Any
        try:
            fn = getattr(self._cdll, name)
        except AttributeError:
            path = self._path

            def fn(*args: Any) -> Any:
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


cdll, path = _load()
lib: Any = _Lib(cdll, path)
get_errno: Callable[[], int] = _ct.get_errno
addressof: Callable[[Any], int] = _ct.addressof
string_at = _ct.string_at
memmove = _ct.memmove
ct_pointer = _ct.pointer
EINTR = _errno.EINTR
EINVAL = _errno.EINVAL
EAGAIN = _errno.EAGAIN
# Plain ints, not the socket module's enums: `flags | MSG_NOSIGNAL` with
# an IntFlag goes through enum's __or__, a microsecond per call.
AF_UNIX = int(_socket.AF_UNIX)
SOCK_STREAM = int(_socket.SOCK_STREAM)
SOCK_NONBLOCK = int(getattr(_socket, "SOCK_NONBLOCK", 0))
MSG_NOSIGNAL = int(getattr(_socket, "MSG_NOSIGNAL", 0))
MSG_DONTWAIT = int(getattr(_socket, "MSG_DONTWAIT", 0))
fsencode = _os.fsencode
fsdecode = _os.fsdecode
Socket = _socket.socket
INT_MAX = 0x7FFFFFFF


# --------------------------------------------------------------------------
# Per-thread scratch space: the receive paths reuse these buffers instead of
# allocating ctypes objects on every call.

SCRATCH_BYTES = 64 * 1024   # the data buffer each thread keeps


class Scratch:
    """One thread's receive buffer, fd arrays, size_t cells and structs.

    busy is set while a call uses it: Python may run a signal handler or a
    finalizer between two bytecodes of that call, and if that code calls
    udsock in the same thread it gets a fresh Scratch rather than
    overwriting (or reading) the outer call's arguments and results.

    A receive larger than SCRATCH_BYTES gets a buffer of its own, sized by
    what it asks for and dropped after the call: no thread keeps more.
    """

    __slots__ = ("busy", "buf", "bufaddr", "view", "fds", "fdsaddr", "sfds",
                 "n", "nptr", "z1", "z2", "z2ptr", "cred", "credp", "credaddr",
                 "addr", "addrp", "addraddr", "msg", "msgp", "batch",
                 "rmsg", "rmsgp", "raddr", "raddraddr", "cfds")

    def __init__(self) -> None:
        self.busy = False
        self.buf = (c_char * SCRATCH_BYTES)()
        self.bufaddr = addressof(self.buf)
        self.view = memoryview(self.buf).cast("B")
        self.fds = (c_int * MAX_FDS)()       # fds received
        self.fdsaddr = addressof(self.fds)
        self.sfds = _array("i", bytes(4 * MAX_FDS))  # fds to send
        self.cfds = (c_int * MAX_FDS)()      # fds to send, checked first
        self.n = c_size_t()                  # an in/out size_t
        self.nptr = _ct.pointer(self.n)
        self.z1 = c_size_t()                 # size_t arguments
        self.z2 = c_size_t()
        self.z2ptr = _ct.pointer(self.z2)     # a size_t out (len_out)
        self.cred = CCred()
        self.credp = _ct.pointer(self.cred)
        self.credaddr = addressof(self.cred)
        self.addr = Addr()
        self.addrp = _ct.pointer(self.addr)
        self.addraddr = addressof(self.addr)
        self.msg = Msg()
        self.msgp = _ct.pointer(self.msg)
        # recv_fds's own uds_msg: its pointers are set once, here.
        self.raddr = Addr()
        self.raddraddr = addressof(self.raddr)
        self.rmsg = Msg()
        self.rmsg.data = self.bufaddr
        self.rmsg.fds = self.fdsaddr
        self.rmsg.cred = None
        self.rmsg.addr = self.raddraddr
        self.rmsgp = _ct.pointer(self.rmsg)
        # (capacity, msgs, creds, addrs) for batches, made on first use
        self.batch: Optional[Tuple[int, Any, Any, Any]] = None

    def data(self, n: int) -> Tuple[Any, memoryview]:
        """(ctypes array, memoryview) of a receive buffer of >= n bytes."""
        if n <= SCRATCH_BYTES:
            return self.buf, self.view
        buf = (c_char * n)()
        return buf, memoryview(buf).cast("B")


class _PerThread(_threading.local):
    def __init__(self) -> None:
        self.s = Scratch()


tls = _PerThread()  # tls.s: this thread's Scratch


def scratch() -> Scratch:
    """This thread's Scratch, marked busy; the caller sets busy = False."""
    s: Scratch = tls.s
    if s.busy:  # re-entered from a signal handler or finalizer
        s = Scratch()
    s.busy = True
    return s


# --------------------------------------------------------------------------
# Errors


def error() -> OSError:
    """The OSError for the failure the last C call reported."""
    e = get_errno()
    msg = lib.uds_last_error()
    text = msg.decode("utf-8", "replace") if msg else _os.strerror(e)
    return OSError(e, text)


def check_retry() -> None:
    """After a failed call: raise, unless it was EINTR.

    On EINTR the caller loops; the loop's next iteration gives Python the
    chance to run signal handlers (which may raise, e.g. KeyboardInterrupt).
    """
    if get_errno() != EINTR:
        raise error()


def einval(func: str, what: str) -> OSError:
    return OSError(EINVAL, "udsock.%s: %s" % (func, what))


# --------------------------------------------------------------------------
# Arguments: integers are checked as CPython checks them, never truncated.


_libc = _ct.CDLL(None, use_errno=True)
_libc.getsockopt.argtypes = (c_int, c_int, c_int, _ct.c_void_p, _ct.c_void_p)
_libc.getsockopt.restype = c_int


def socket_type(fd: int) -> int:
    """The socket type of fd (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) by
    one getsockopt(SO_TYPE); -1 when fd is no socket (or not open)."""
    v, n = c_int(0), _ct.c_uint(4)
    if _libc.getsockopt(fd, _socket.SOL_SOCKET, _socket.SO_TYPE, _ct.byref(v), _ct.byref(n)) != 0:
        return -1
    return v.value


def fd_of(obj: Any) -> int:
    """The fd of a socket, an int, or an object with fileno().

    As CPython's PyObject_AsFileDescriptor: a negative int is ValueError,
    one beyond a C int OverflowError, a fileno() that returns no int
    TypeError. A closed socket.socket (fileno() -1) gives -1, which the
    library refuses with EBADF as the standard library's calls do.
    """
    if isinstance(obj, int):
        fd = int(obj)
        if fd < 0:
            raise ValueError(
                "file descriptor cannot be a negative integer (%d)" % fd)
    else:
        try:
            meth = obj.fileno
        except AttributeError:
            raise TypeError("argument must be an int, or have a fileno() "
                            "method, not %s" % type(obj).__name__) from None
        fd = meth()
        if not isinstance(fd, int):
            raise TypeError("fileno() returned a non-integer (%s)"
                            % type(fd).__name__)
        if fd < 0:
            if isinstance(obj, Socket) and fd == -1:
                return -1
            raise ValueError(
                "file descriptor cannot be a negative integer (%d)" % fd)
    if fd > INT_MAX:
        raise OverflowError("file descriptor %d is greater than the largest "
                            "a C int holds" % fd)
    return fd


def size_of(n: Any, what: str) -> int:
    """A size argument as an int in 0..2**63-1 (as CPython's Py_ssize_t)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("%s must be an int, not %s" % (what, type(n).__name__))
    if n < 0:
        raise ValueError("negative %s: %d" % (what, n))
    if n > 0x7FFFFFFFFFFFFFFF:
        raise OverflowError("%s %d is too large" % (what, n))
    return int(n)


def fds_array(fds: Iterable[FdLike]) -> "_array[int]":
    """The fds as a C int array. Objects with fileno() become their fd;
    every value is checked (no 2**32 + fd ever becomes fd)."""
    if not isinstance(fds, (list, tuple)):
        fds = list(fds)  # an iterator could not be read twice
    try:
        # array("i") raises OverflowError for values beyond a C int.
        return _array("i", fds)
    except TypeError:
        return _array("i", [fd_of(f) for f in fds])


def send_buf(data: Any) -> Tuple[Any, int]:
    """(pointer argument, length) of a bytes-like object: bytes as they are,
    a writable buffer by reference, anything else as a bytes copy."""
    if data.__class__ is bytes:
        return data, len(data)
    mv = memoryview(data)
    n = mv.nbytes
    if n and not mv.readonly and mv.c_contiguous:
        try:
            return _ct.byref(c_char.from_buffer(mv)), n
        except (TypeError, ValueError):
            pass
    return mv.tobytes(), n


def path_arg(func: str, path: PathLike) -> bytes:
    """A pathname as bytes for a C string; embedded NUL: EINVAL."""
    b = fsencode(path)
    if b"\0" in b:
        raise einval(func, "path %r contains a NUL byte" % (b,))
    return b


def addr_arg(addr: AddrLike) -> bytes:
    """An address string as bytes ("@name" abstract, else a pathname)."""
    if isinstance(addr, str):
        return fsencode(addr)
    if isinstance(addr, (bytes, bytearray, memoryview)):
        return bytes(addr)
    b = fsencode(addr)  # os.PathLike: always a pathname
    if b.startswith(b"@"):
        b = b"./" + b
    return b


def name_arg(name: Union[str, bytes]) -> bytes:
    if isinstance(name, str):
        return fsencode(name)
    return bytes(name)


def addr_str(a: Addr, base: int) -> str:
    """The address string form of a uds_addr at base."""
    kind = a.kind
    if kind == 1:
        n = a.len
        if n > ADDR_NAME_MAX:  # only the first 108 bytes fit
            path = fsdecode(string_at(base + ADDR_NAME_OFFSET,
                                      ADDR_NAME_MAX)) + "..."
        else:
            path = fsdecode(string_at(base + ADDR_NAME_OFFSET, n))
        # A relative path that starts with "@" would read back as an
        # abstract name (as uds_addr_format writes it, too).
        return "./" + path if path.startswith("@") else path
    if kind == 2:
        return "@" + fsdecode(string_at(base + ADDR_NAME_OFFSET, a.len))
    return ""


def fill_addr(func: str, a: Addr, addr: AddrLike, cut: bool = False) -> None:
    """Fill a uds_addr from an address string.

    A pathname longer than a uds_addr holds raises ENAMETOOLONG, or with
    cut, is stored as the library stores one: its first 108 bytes, and len
    the full length.
    """
    b = addr_arg(addr)
    if not b:
        kind, name = 0, b""
    elif b.startswith(b"@"):
        kind, name = 2, b[1:]
        if len(name) > ABSTRACT_MAX:
            raise einval(func, "abstract name is %d bytes; the limit is %d"
                         % (len(name), ABSTRACT_MAX))
    else:
        kind, name = 1, b
        if b"\0" in name:
            raise einval(func, "path %r contains a NUL byte" % (name,))
        if len(name) > ADDR_NAME_MAX and not cut:
            raise OSError(_errno.ENAMETOOLONG,
                          "udsock.%s: path is %d bytes; a uds_addr holds %d"
                          % (func, len(name), ADDR_NAME_MAX))
    a.kind = kind
    a.len = len(name)
    _ct.memset(addressof(a) + ADDR_NAME_OFFSET, 0, 109)
    _ct.memmove(addressof(a) + ADDR_NAME_OFFSET, name,
                min(len(name), ADDR_NAME_MAX))


def fill_cred(c: CCred, cred: Tuple[int, int, int]) -> None:
    pid, uid, gid = cred
    if not (-0x80000000 <= pid <= INT_MAX and 0 <= uid <= 0xFFFFFFFF
            and 0 <= gid <= 0xFFFFFFFF):
        raise OverflowError("credentials %r out of range" % (tuple(cred),))
    c.pid, c.uid, c.gid = pid, uid, gid


def close_fds(fds: Iterable[int]) -> None:
    for fd in fds:
        try:
            _os.close(fd)
        except OSError:
            pass
