"""General messages and batches (uds_sendmsg, uds_recvmsg, uds_send_batch,
uds_recv_batch), and the receive every fd-carrying call shares.

A message the kernel has handed over is never lost: the library writes
each message's results into its uds_msg, whose flags start as
FLAGS_UNFILLED; if an exception (a signal handler's KeyboardInterrupt)
arrives after the call returned but before Python built the result, the
filled slots are saved with the socket (_state) and the next receive
delivers them, fds and all.
"""

from __future__ import annotations

import ctypes as ct
import mmap as _mmap
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from . import _state
from ._lib import (FLAGS_UNFILLED, MAX_FDS, MSG_CRED, MSG_CTRUNC,
                   MSG_PIDFD, SCRATCH_BYTES, Addr,
                   AddrLike, BytesLike, CCred, Cred, FdLike, Message, Msg,
                   Scratch, SocketLike, addr_str, addressof, c_char, c_int,
                   close_fds,
                   fd_of, fds_array, fill_addr, fill_cred, lib, scratch,
                   size_of)
from ._wait import again

__all__ = ["sendmsg", "recvmsg", "send_batch", "recv_batch",
           "recvmsg_pidfd", "recv_batch_pidfd"]


def fill_msg(m: Msg, cred_slot: CCred, addr_slot: Addr, data: Any,
             fds: Any, cred: Any, addr: Any, keep: List[Any]) -> None:
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
                obj = c_char.from_buffer(mv)
            except (TypeError, ValueError):
                pass
        if obj is None:
            m.data = mv.tobytes()
        else:
            keep.append(obj)
            m.data = addressof(obj)
        m.len = n
    if fds:
        a = fds_array(fds)
        keep.append(a)
        m.fds, m.nfds = a.buffer_info()
    else:
        m.fds, m.nfds = None, 0
    if cred is None:
        m.cred = None
    else:
        fill_cred(cred_slot, cred)
        m.cred = addressof(cred_slot)
    if addr is None:
        m.addr = None
    else:
        fill_addr("sendmsg", addr_slot, addr)
        m.addr = addressof(addr_slot)
    m.flags = 0


def sendmsg(sock: SocketLike, data: BytesLike = b"",
            fds: Iterable[FdLike] = (),
            cred: Optional[Tuple[int, int, int]] = None,
            addr: Optional[AddrLike] = None, flags: int = 0) -> int:
    """Send one message with any of fds, credentials and a destination.

    uds_sendmsg: fds are sent with SCM_RIGHTS, cred (pid, uid, gid) with
    SCM_CREDENTIALS, addr ("/path" or "@name") names a datagram's
    destination (None: the connected peer; a pathname here is limited to
    the 108 bytes a uds_addr holds, sendto() takes any length). flags are
    passed to sendmsg(2). Returns the bytes sent. Waits as the socket's
    timeout says.
    """
    fd = fd_of(sock)
    s = scratch()
    m = s.msg
    try:
        keep: List[Any] = []
        fill_msg(m, s.cred, s.addr, data, fds, cred, addr, keep)
        f = lib.uds_sendmsg
        dl = None
        while True:
            r: int = f(fd, s.msgp, flags)
            if r >= 0:
                return r
            dl = again(sock, fd, dl, True, flags)
    finally:
        m.data = None  # drop the reference to the payload
        s.busy = False


def _filled(m: Msg, view: Any, off: int, fds: Any, foff: int, c: CCred,
            a: Addr, aaddr: int) -> Message:
    k = m.nfds
    mf = m.flags
    return Message(view[off:off + m.len].tobytes(),
                   fds[foff:foff + k] if k else [],
                   Cred(c.pid, c.uid, c.gid) if mf & MSG_CRED else None,
                   mf, addr_str(a, aaddr))


def keep_message(sock: Any, fd: int, m: Message) -> None:
    """Leave m, received but not delivered, for sock's next receive."""
    r = _state.take(sock, fd) or _state.Reader()
    r.msgs.append(m)
    _state.keep(sock, fd, r)


def _trim(m: Message, maxfds: int) -> Message:
    """m with at most maxfds fds: the rest closed, MSG_CTRUNC reported."""
    close_fds(m.fds[maxfds:])
    return m._replace(fds=list(m.fds[:maxfds]), flags=m.flags | MSG_CTRUNC)


def _delivered(sock: Any, fd: int, bufsize: int) -> Optional[Message]:
    """What an interrupted receive left with the socket, if anything: a
    message it had taken, or up to bufsize of the bytes (with the fds that
    came with them) that recv_exact()/recv_frame() had read from the
    stream, which the next receive must start with."""
    r = _state.take(sock, fd)
    if r is None:
        return None
    try:
        if r.msgs:
            return r.msgs.pop(0)
        if r.got and not r.skip:
            fds, r.fds = r.fds, []
            return Message(r.take(min(bufsize, r.got)), fds, None, 0, "")
        return None
    finally:
        _state.keep(sock, fd, r)


def delivered(sock: Any, fd: int, bufsize: int) -> Optional[Message]:
    """_delivered() for the receives that return no fds: those that came
    are closed, as the kernel closes them for such a receive."""
    if not _state.held[0]:
        return None
    m = _delivered(sock, fd, bufsize)
    if m is not None and m.fds:
        close_fds(m.fds)
    return m


def _close_pidfd(m: Message, pidfd: int) -> Message:
    """m, kept for a later receive that cannot deliver its pidfd: the
    pidfd closed and MSG_PIDFD cleared."""
    if pidfd >= 0:
        close_fds([pidfd])
    return m._replace(flags=m.flags & ~MSG_PIDFD)


def recv_one(sock: SocketLike, fd: int, bufsize: int, maxfds: int,
             flags: int, cred: bool, pidfd: Optional[c_int] = None
             ) -> Message:
    """One uds_recvmsg, waiting as the socket's timeout says; with pidfd (a
    c_int), uds_recvmsg_pidfd, which stores the sender's pidfd there."""
    if _state.held[0]:
        got = _delivered(sock, fd, bufsize)
        if got is not None:
            return _trim(got, maxfds) if len(got.fds) > maxfds else got
    s = scratch()
    m = s.msg
    view = None
    try:
        buf, view = s.data(bufsize)
        base = addressof(buf)
        f = lib.uds_recvmsg if pidfd is None else lib.uds_recvmsg_pidfd
        pp = None if pidfd is None else ct.byref(pidfd)
        dl = None
        while True:
            m.data = base
            m.len = bufsize
            # Room for every fd a message can carry: the ones beyond
            # maxfds are closed here (_trim), never left open by accident.
            m.fds = s.fdsaddr
            m.nfds = MAX_FDS
            m.cred = s.credaddr if cred else None
            m.flags = FLAGS_UNFILLED
            m.addr = s.addraddr
            s.addr.kind = 0
            r: int = (f(fd, s.msgp, flags) if pp is None
                      else f(fd, s.msgp, flags, pp))
            if r >= 0:
                break
            dl = again(sock, fd, dl, False, flags)
        out = _filled(m, view, 0, s.fds, 0, s.cred, s.addr, s.addraddr)
        m.flags = FLAGS_UNFILLED
        return _trim(out, maxfds) if len(out.fds) > maxfds else out
    except BaseException:
        if m.flags != FLAGS_UNFILLED and view is not None:
            late = _filled(m, view, 0, s.fds, 0, s.cred, s.addr, s.addraddr)
            m.flags = FLAGS_UNFILLED
            if pidfd is not None:
                late = _close_pidfd(late, pidfd.value)
                pidfd.value = -1
            keep_message(sock, fd, late)
        raise
    finally:
        m.data = None
        s.busy = False


def recvmsg(sock: SocketLike, bufsize: int, maxfds: int = 0,
            flags: int = 0, *, cred: bool = False) -> Message:
    """Receive one message (uds_recvmsg) as a Message.

    Truncation never raises: it is reported in Message.flags (MSG_TRUNC for
    data, MSG_CTRUNC for fds or credentials) and the fds that did arrive are
    delivered. cred=True asks for the sender's credentials (turning
    SO_PASSCRED on, as uds_recvmsg does for a non-NULL cred); Message.cred
    is then set when the message carried them. addr is the sender ("" if
    unnamed). The fds are the caller's to close. flags are passed to
    recvmsg(2). Waits as the socket's timeout says.
    """
    fd = fd_of(sock)
    bufsize = size_of(bufsize, "bufsize")
    maxfds = size_of(maxfds, "maxfds")
    return recv_one(sock, fd, bufsize, maxfds, flags, cred)


def recvmsg_pidfd(sock: SocketLike, bufsize: int, maxfds: int = 0,
                  flags: int = 0, *, cred: bool = False
                  ) -> Tuple[Message, Optional[int]]:
    """recvmsg() that also returns a pidfd of the sender (uds_recvmsg_pidfd).

    Returns (message, pidfd): pidfd is a close-on-exec int the caller owns,
    with MSG_PIDFD in message.flags, or None when the message carried none
    (a message an interrupted receive left with the socket comes without
    it). Turns SO_PASSPIDFD on if it was off (Linux 6.5+;
    OSError(ENOPROTOOPT) before). Waits as the socket's timeout says.
    """
    fd = fd_of(sock)
    bufsize = size_of(bufsize, "bufsize")
    maxfds = size_of(maxfds, "maxfds")
    p = c_int(-1)
    m = recv_one(sock, fd, bufsize, maxfds, flags, cred, p)
    return m, (p.value if p.value >= 0 else None)


def _batch_slots(s: Scratch, n: int) -> Tuple[int, Any, Any, Any]:
    b = s.batch
    if b is None or b[0] < n:
        cap = max(n, 16)
        b = (cap, (Msg * cap)(), (CCred * cap)(), (Addr * cap)())
        s.batch = b
    return b


def send_batch(sock: SocketLike,
               messages: Sequence[Union[BytesLike, Message]],
               flags: int = 0) -> int:
    """Send many datagrams or seqpackets in one system call (uds_send_batch).

    Each item is a bytes-like payload or a Message (data, fds, cred, addr).
    Returns how many messages went out (possibly fewer than given).
    """
    fd = fd_of(sock)
    n = len(messages)
    s = scratch()
    _, msgs, creds, addrs = _batch_slots(s, n)
    try:
        keep: List[Any] = []
        for i, item in enumerate(messages):
            if isinstance(item, Message):
                fill_msg(msgs[i], creds[i], addrs[i], item.data, item.fds,
                         item.cred, item.addr, keep)
            else:
                fill_msg(msgs[i], creds[i], addrs[i], item, None, None, None,
                         keep)
        f = lib.uds_send_batch
        dl = None
        while True:
            r: int = f(fd, msgs, n, flags)
            if r >= 0:
                return r
            dl = again(sock, fd, dl, True, flags)
    finally:
        for i in range(n):
            msgs[i].data = None  # drop the references to the payloads
        s.busy = False


def recv_batch(sock: SocketLike, n: int, bufsize: int, maxfds: int = 0,
               flags: int = 0, *, cred: bool = False) -> List[Message]:
    """Receive up to n messages in one system call (uds_recv_batch).

    Each message gets bufsize bytes and maxfds fds of room; truncation is
    reported in its flags as for recvmsg(); cred as for recvmsg(). Returns
    the messages received. flags are passed to recvmmsg(2) (e.g.
    socket.MSG_DONTWAIT, socket.MSG_WAITFORONE). Memory is taken as the
    messages fill it: a large n * bufsize costs address space, not time.
    Messages a signal handler's exception kept from being returned are
    returned by the next receive on the socket.
    """
    return _recv_batch(sock, n, bufsize, maxfds, flags, cred, None)


def recv_batch_pidfd(sock: SocketLike, n: int, bufsize: int,
                     maxfds: int = 0, flags: int = 0, *, cred: bool = False
                     ) -> List[Tuple[Message, Optional[int]]]:
    """recv_batch() that also returns each message's sender
    (uds_recv_batch_pidfd): [(message, pidfd)].

    pidfd is a close-on-exec int the caller owns (MSG_PIDFD in the
    message's flags), or None when the message carried none. Turns
    SO_PASSPIDFD on if it was off (Linux 6.5+; OSError(ENOPROTOOPT)
    before).
    """
    n = size_of(n, "n")
    p = (c_int * max(1, n))()
    out: List[Tuple[Message, Optional[int]]] = []
    for m in _recv_batch(sock, n, bufsize, maxfds, flags, cred, p):
        i = len(out)
        out.append((m, p[i] if m.flags & MSG_PIDFD and p[i] >= 0 else None))
    return out


def _recv_batch(sock: SocketLike, n: int, bufsize: int, maxfds: int,
                flags: int, cred: bool, pidfds: Any) -> List[Message]:
    """recv_batch, and with pidfds (a c_int array of n) recv_batch_pidfd."""
    fd = fd_of(sock)
    n = size_of(n, "n")
    bufsize = size_of(bufsize, "bufsize")
    maxfds = min(size_of(maxfds, "maxfds"), MAX_FDS)
    if _state.held[0]:
        kept = _state.take(sock, fd)
        if kept is not None:
            try:
                if kept.msgs:
                    out, kept.msgs = kept.msgs[:n], kept.msgs[n:]
                    return [_trim(m, maxfds) if len(m.fds) > maxfds else m
                            for m in out]
                if kept.got and not kept.skip and n:
                    fds, kept.fds = kept.fds, []
                    m = Message(kept.take(min(bufsize, kept.got)), fds,
                                None, 0, "")
                    return [_trim(m, maxfds) if len(fds) > maxfds else m]
            finally:
                _state.keep(sock, fd, kept)
    s = scratch()
    _, msgs, creds, addrs = _batch_slots(s, n)
    total = n * bufsize
    mm = None
    arr: Any
    if total <= SCRATCH_BYTES:
        arr = s.buf
    else:
        # Zero pages on demand: nothing is written before the kernel does.
        mm = _mmap.mmap(-1, total)
        arr = (c_char * total).from_buffer(mm)
    view: Any = memoryview(arr).cast("B")
    fdarr = (c_int * max(1, n * maxfds))()
    base, fbase = addressof(arr), addressof(fdarr)
    abase = addressof(addrs)
    asize = ct.sizeof(Addr)
    csize = ct.sizeof(CCred)
    cbase = addressof(creds)
    try:
        f = lib.uds_recv_batch if pidfds is None else lib.uds_recv_batch_pidfd
        dl = None
        while True:
            for i in range(n):
                if pidfds is not None:
                    pidfds[i] = -1
                m = msgs[i]
                m.data = base + i * bufsize
                m.len = bufsize
                m.fds = fbase + i * maxfds * 4
                m.nfds = maxfds
                m.cred = cbase + i * csize if cred else None
                m.flags = FLAGS_UNFILLED
                m.addr = abase + i * asize
                addrs[i].kind = 0
            r: int = (f(fd, msgs, n, flags) if pidfds is None
                      else f(fd, msgs, n, flags, pidfds))
            if r >= 0:
                break
            dl = again(sock, fd, dl, False, flags)
        out = _take_filled(n, msgs, view, bufsize, fdarr, maxfds, creds,
                           addrs, abase, asize)
        return out
    except BaseException:
        slots: List[int] = []
        rest = _take_filled(n, msgs, view, bufsize, fdarr, maxfds, creds,
                            addrs, abase, asize, slots)
        if pidfds is not None:
            # Kept messages come back without their pidfds.
            rest = [_close_pidfd(m, pidfds[i]) for m, i in zip(rest, slots)]
        if rest:
            r_ = _state.take(sock, fd) or _state.Reader()
            r_.msgs.extend(rest)
            _state.keep(sock, fd, r_)
        raise
    finally:
        for i in range(n):
            msgs[i].data = None
        del view, arr
        if mm is not None:
            try:
                mm.close()
            except BufferError:  # still exported: freed with the last view
                pass
        s.busy = False


def _take_filled(n: int, msgs: Any, view: Any, bufsize: int, fdarr: Any,
                 maxfds: int, creds: Any, addrs: Any, abase: int,
                 asize: int, slots: Optional[List[int]] = None
                 ) -> List[Message]:
    """The messages of the slots the library filled, each taken once (slots
    gets their indexes)."""
    out = []
    for i in range(n):
        m = msgs[i]
        if m.flags == FLAGS_UNFILLED:
            continue  # not filled, or already taken
        if slots is not None:
            slots.append(i)
        out.append(_filled(m, view, i * bufsize, fdarr, i * maxfds,
                           creds[i], addrs[i], abase + i * asize))
        m.flags = FLAGS_UNFILLED
    return out
