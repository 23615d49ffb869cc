//! General messages: data, descriptors, credentials and an address in one
//! `sendmsg`/`recvmsg`, and batches of them in one `sendmmsg`/`recvmmsg`.
//!
//! Truncation is never an error here: a receive reports it in
//! [`Received::flags`] ([`TRUNC`], [`CTRUNC`]) and delivers the descriptors
//! that did fit (the others are closed). Control data lives on the stack,
//! sized for the worst case; nothing allocates.
//!
//! ```
//! use std::os::fd::AsFd;
//! use udsock::fds::FdBuf;
//! use udsock::msg::{recvmsg, sendmsg, Message, CTRUNC};
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_DGRAM).unwrap();
//! let file = std::fs::File::open("/dev/null").unwrap();
//! let two = [file.as_fd(), file.as_fd()];
//! sendmsg(a.as_fd(), &Message { data: b"x", fds: &two, ..Message::default() }, 0).unwrap();
//!
//! let mut slots = [0; 1];
//! let mut fds = FdBuf::new(&mut slots);
//! let mut buf = [0u8; 8];
//! let got = recvmsg(b.as_fd(), &mut buf, &mut fds, 0).unwrap();
//! assert_eq!((got.len(), fds.len()), (1, 1));
//! assert!(got.flags() & CTRUNC != 0); // one descriptor did not fit: it was closed
//! ```

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::addr::{Addr, Address, Target};
use crate::error::{err, sys_err, Error, Result};
use crate::anc::{check_fd_count, Cred, FdBuf};
use crate::sys::cmsg::{self, Aligned, Batch, Got, CONTROL_LEN};
use crate::sys::{self, RawAddr, EAGAIN, EBADF, EINTR, MSG_DONTWAIT, MSG_WAITFORONE, SOCK_STREAM};

/// [`Received::flags`]: the data did not fit the buffer; the rest of the
/// datagram was dropped.
pub const TRUNC: u32 = 1;
/// [`Received::flags`]: descriptors did not fit (or the process could not
/// open them all): those that did were delivered, the others closed.
pub const CTRUNC: u32 = 2;
/// [`Received::flags`]: the message carried real credentials
/// ([`Received::cred`] is `Some`).
pub const CRED: u32 = 4;

/// Messages one batch system call carries at most; longer batches are
/// sent or received in several calls.
pub const BATCH: usize = cmsg::BATCH;

/// A message to send.
#[derive(Clone, Copy, Debug, Default)]
pub struct Message<'a> {
    /// The bytes.
    pub data: &'a [u8],
    /// Descriptors to pass (0 to [`MAX_FDS`](crate::fds::MAX_FDS)).
    pub fds: &'a [BorrowedFd<'a>],
    /// Credentials to attach (`SCM_CREDENTIALS`); forging another process's
    /// needs privileges (`EPERM`).
    pub cred: Option<Cred>,
    /// Destination, for an unconnected datagram socket.
    pub to: Option<Address<'a>>,
}

/// What a receive brought. Only the library makes one: what it reports
/// is what the kernel did.
#[derive(Clone, Debug)]
pub struct Received {
    len: usize,
    bytes: usize,
    nfds: usize,
    cred: Option<Cred>,
    flags: u32,
    from: Addr,
}

impl Received {
    /// Bytes stored in the buffer (never more than its length).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no byte was stored (the end of a stream, or an empty
    /// datagram).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What `recvmsg` returned: [`len`](Received::len), or the datagram's
    /// full length when `MSG_TRUNC` was among the flags (then possibly more
    /// than the buffer: slice with [`len`](Received::len)).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Descriptors added to the [`FdBuf`].
    pub fn nfds(&self) -> usize {
        self.nfds
    }

    /// The sender's credentials, when the message carried real ones (see
    /// [`crate::cred::recv_creds`] for when it does).
    pub fn cred(&self) -> Option<Cred> {
        self.cred
    }

    /// [`TRUNC`], [`CTRUNC`], [`CRED`].
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The sender's address (unnamed when it is not bound).
    pub fn from(&self) -> &Addr {
        &self.from
    }
}

/// What arrived for one message of [`recv_batch`], handed to
/// [`Incoming::arrived`]: only `recv_batch` makes one, and it cannot be
/// copied, so it stands for descriptors really installed in the slots that
/// message's [`Incoming::buffers`] gave. A report from another receive
/// cannot stand in for it (that would make an [`Inbox`]'s `FdBuf` adopt
/// whatever numbers its slots held):
///
/// ```compile_fail
/// use udsock::msg::{Inbox, Incoming, Received};
/// fn forge(inbox: &mut Inbox<'_>, from_elsewhere: Received) {
///     inbox.arrived(from_elsewhere);
/// }
/// ```
#[derive(Debug)]
pub struct Arrived(Received);

impl Arrived {
    /// What the receive brought.
    pub fn received(&self) -> &Received {
        &self.0
    }

    /// The report, kept.
    pub fn into_received(self) -> Received {
        self.0
    }
}

/// The outcome of one receive, before it is reported.
pub(crate) struct Arrival {
    pub bytes: usize,
    pub nfds: usize,
    pub closed: usize,
    pub trunc: bool,
    pub ctrunc: bool,
    pub cred: Option<Cred>,
}

impl Arrival {
    fn from_got(g: &Got) -> Arrival {
        Arrival {
            bytes: g.bytes,
            nfds: g.anc.nfds,
            closed: g.anc.closed,
            trunc: g.flags & libc::MSG_TRUNC != 0,
            ctrunc: g.flags & libc::MSG_CTRUNC != 0,
            cred: g.anc.cred.and_then(Cred::from_kernel),
        }
    }

    /// Descriptors were lost: the kernel truncated them, or they had no slot.
    pub fn truncated_fds(&self) -> bool {
        self.ctrunc || self.closed > 0
    }

    fn report(&self, cap: usize, from: Option<&RawAddr>) -> Received {
        let flags = if self.trunc { TRUNC } else { 0 }
            | if self.truncated_fds() { CTRUNC } else { 0 }
            | if self.cred.is_some() { CRED } else { 0 };
        Received {
            len: self.bytes.min(cap),
            bytes: self.bytes,
            nfds: self.nfds,
            cred: self.cred,
            flags,
            from: from.map_or_else(Addr::unnamed, Addr::from_raw),
        }
    }
}

/// Whether a message needs the carrier byte: ancillary data and no bytes,
/// on a stream socket (which would drop the ancillary data).
fn needs_carrier(fd: BorrowedFd<'_>, m: &Message<'_>) -> bool {
    m.data.is_empty() && (!m.fds.is_empty() || m.cred.is_some()) && sys::socket_type(fd).ok() == Some(SOCK_STREAM)
}

#[inline(always)]
fn resolve(to: Option<Address<'_>>) -> Result<Option<Target>> {
    match to {
        None => Ok(None),
        Some(Address::Pathname(p)) => Target::path(p).map(Some),
        Some(Address::Abstract(n)) => Target::abstract_name(n).map(Some),
    }
}

fn check_message(m: &Message<'_>) -> Result<()> {
    check_fd_count(m.fds.len(), 0)
}

/// Explains a failed send; for `EBADF`, names the descriptor that is not open.
pub(crate) fn send_error(fd: BorrowedFd<'_>, e: i32, m: &Message<'_>, what: &str) -> Error {
    if e == EBADF && sys::is_open(fd.as_raw_fd()) {
        if let Some((i, bad)) = m.fds.iter().enumerate().find(|(_, f)| !sys::is_open(f.as_raw_fd())) {
            return err!(EBADF, "{what} on fd {}: fds[{i}] = {} is not an open descriptor", fd.as_raw_fd(), bad.as_raw_fd());
        }
    }
    sys_err!(e, "{what} on fd {}: {} bytes, {} fds", fd.as_raw_fd(), m.data.len(), m.fds.len())
}

/// Sends one message (see [`sendmsg`]); `what` names the call in errors.
#[inline]
pub(crate) fn send(fd: BorrowedFd<'_>, m: &Message<'_>, flags: i32, what: &str) -> Result<usize> {
    check_message(m)?;
    let data = if needs_carrier(fd, m) { &b"\0"[..] } else { m.data };
    let target = resolve(m.to)?;
    let mut control = Aligned::<CONTROL_LEN>::new();
    let control = cmsg::build(control.uninit(0, CONTROL_LEN), m.fds, m.cred.map(Cred::to_kernel));
    let to = target.as_ref().map(|t| &t.raw);
    let sent = cmsg::send(fd, data, control, to, flags).map_err(|e| send_error(fd, e, m, what))?;
    send_rest(fd, m.data, sent, flags, what)
}

/// Sends `data`, bytes only, to the connected peer, as [`send`] sends a
/// message with nothing attached, minus the message's bookkeeping.
#[inline]
pub(crate) fn send_bytes(fd: BorrowedFd<'_>, data: &[u8], flags: i32, what: &str) -> Result<usize> {
    let sent = sys::send(fd, data, flags).map_err(|e| sys_err!(e, "{what} on fd {}: {} bytes", fd.as_raw_fd(), data.len()))?;
    send_rest(fd, data, sent, flags, what)
}

/// After a first send took `sent` bytes of `data`: a stream may take part
/// of it (the descriptors went with the first part), and the rest follows.
/// Where the socket would block (non-blocking, MSG_DONTWAIT, a send
/// timeout) the count so far is returned, as sendmsg(2) does: waiting
/// would hang a caller's event loop.
#[inline(always)]
fn send_rest(fd: BorrowedFd<'_>, data: &[u8], mut sent: usize, flags: i32, what: &str) -> Result<usize> {
    while sent < data.len() {
        match sys::send(fd, &data[sent..], flags) {
            Ok(k) => sent += k,
            Err(EAGAIN) => return Ok(sent),
            Err(EINTR) => {}
            Err(e) => return Err(sys_err!(e, "{what} on fd {}: failed after {sent} of {} bytes", fd.as_raw_fd(), data.len())),
        }
    }
    Ok(data.len())
}

/// Receives one message: data into `data`, descriptors into `slots`.
#[inline]
pub(crate) fn receive(
    fd: BorrowedFd<'_>,
    data: &mut [u8],
    slots: &mut [RawFd],
    from: Option<&mut RawAddr>,
    flags: i32,
    what: &str,
) -> Result<Arrival> {
    let got = cmsg::recv(fd, data, slots, from, flags).map_err(|e| sys_err!(e, "{what} on fd {}", fd.as_raw_fd()))?;
    Ok(arrived(fd, &got))
}

/// Receives one message and its credentials, if any: the descriptors or
/// pidfd it carried are closed by the kernel (no room is offered).
#[inline]
pub(crate) fn receive_cred(fd: BorrowedFd<'_>, data: &mut [u8], what: &str) -> Result<Arrival> {
    let got = cmsg::recv_cred(fd, data, 0).map_err(|e| sys_err!(e, "{what} on fd {}", fd.as_raw_fd()))?;
    Ok(arrived(fd, &got))
}

#[inline(always)]
fn arrived(fd: BorrowedFd<'_>, got: &Got) -> Arrival {
    let mut a = Arrival::from_got(got);
    if a.bytes == 0 && a.cred.is_some() && sys::socket_type(fd) == Ok(SOCK_STREAM) {
        // The end of a stream: with SO_PASSCRED on, the kernel still adds
        // a credentials message, of zeros (which would read as root).
        // Nobody sent anything, so nobody's credentials came.
        a.cred = None;
    }
    a
}

/// Sends one message: data, descriptors, credentials, to an address or
/// the connected peer, in one `sendmsg` (`flags | MSG_NOSIGNAL`).
///
/// Returns the bytes of `data` sent: all of them (a stream that takes only
/// part gets the rest after it, except where the socket would block: a
/// non-blocking socket or `MSG_DONTWAIT` returns the count so far, as
/// `sendmsg(2)` does; the descriptors went with the first part). On a
/// stream socket, a message with
/// descriptors or credentials and no data carries one zero byte (0 is
/// returned). Errors: `EINVAL` (more than [`MAX_FDS`](crate::fds::MAX_FDS) descriptors),
/// `EBADF` (a descriptor is not open), `EPERM`/`ESRCH` (forged
/// credentials), and whatever `sendmsg` reports.
pub fn sendmsg(fd: BorrowedFd<'_>, m: &Message<'_>, flags: i32) -> Result<usize> {
    send(fd, m, flags, "sendmsg")
}

/// Receives one message (`flags | MSG_CMSG_CLOEXEC`): data into `data`,
/// descriptors into `fds` (as many as it has room for; the others are
/// closed and [`CTRUNC`] is set). Credentials are reported when
/// `SO_PASSCRED` is on ([`crate::cred::set_passcred`]).
///
/// With `MSG_PEEK` only the data is peeked: no descriptor is installed (a
/// peek would install copies that the real receive installs again) and no
/// credentials are reported; [`CTRUNC`] says ancillary data is waiting.
pub fn recvmsg(fd: BorrowedFd<'_>, data: &mut [u8], fds: &mut FdBuf<'_>, flags: i32) -> Result<Received> {
    let mut from = RawAddr::unnamed();
    let cap = data.len();
    let a = receive(fd, data, fds.spare(), Some(&mut from), flags, "recvmsg")?;
    fds.commit(a.nfds);
    Ok(a.report(cap, Some(&from)))
}

/// [`recvmsg`] that also returns the sender's pidfd (`SCM_PIDFD`): `None`
/// when the message carried none (`SO_PASSPIDFD` is off, see
/// [`crate::cred::set_passpidfd`], or the kernel gave none). The pidfd
/// always has room: the receive offers control room for [`MAX_FDS`](crate::fds::MAX_FDS)
/// descriptors whatever `fds` holds (those without a slot are closed and
/// [`CTRUNC`] is set, as for [`recvmsg`]).
pub fn recvmsg_pidfd(fd: BorrowedFd<'_>, data: &mut [u8], fds: &mut FdBuf<'_>, flags: i32) -> Result<(Received, Option<OwnedFd>)> {
    let mut from = RawAddr::unnamed();
    let cap = data.len();
    let got = cmsg::recv_pidfd(fd, data, fds.spare(), Some(&mut from), flags)
        .map_err(|e| sys_err!(e, "recvmsg on fd {}", fd.as_raw_fd()))?;
    let pidfd = got.anc.pidfd.map(sys::fd_from);
    let a = Arrival::from_got(&got);
    fds.commit(a.nfds);
    Ok((a.report(cap, Some(&from)), pidfd))
}

/// Anything [`send_batch`] can send: a layer's own message type (the C
/// library's `uds_msg`), checked by that layer before the batch.
pub trait Outgoing {
    /// The message.
    fn message(&self) -> Message<'_>;
}

impl Outgoing for Message<'_> {
    fn message(&self) -> Message<'_> {
        *self
    }
}

/// Anything [`recv_batch`] can receive into: [`Inbox`], or a layer's own
/// message type (the C library's `uds_msg`).
///
/// # Safety
///
/// The descriptors a receive installs are owned by whoever holds the slots
/// [`buffers`](Incoming::buffers) returned: an implementation must hand
/// each [`Arrived`] it is given only to the `Incoming` (or the storage)
/// whose slots it returned from `buffers`, and must return the same
/// buffers each time `buffers` is called during one `recv_batch`.
/// Forwarding one to another [`Inbox`] would make its `FdBuf` adopt
/// numbers it never received.
pub unsafe trait Incoming {
    /// The data buffer and the free descriptor slots to receive into.
    fn buffers(&mut self) -> (&mut [u8], &mut [RawFd]);
    /// Whether [`Incoming::arrived`] uses [`Received::from`]; when not, the
    /// sender's address is not asked for and `from` is unnamed.
    fn wants_from(&self) -> bool {
        true
    }
    /// Called with what arrived: the first
    /// [`nfds`](Received::nfds) slots of those [`Incoming::buffers`] gave
    /// now hold descriptors the receiver owns.
    fn arrived(&mut self, a: Arrived);
    /// Whether the sender's pidfd is wanted (see [`recvmsg_pidfd`]); when
    /// it is, [`Incoming::pidfd_arrived`] is called before
    /// [`Incoming::arrived`].
    fn wants_pidfd(&self) -> bool {
        false
    }
    /// The sender's pidfd, or `None` when the message carried none.
    fn pidfd_arrived(&mut self, pidfd: Option<OwnedFd>) {
        drop(pidfd);
    }
}

/// One message of a batch receive: the buffers, and what arrived.
#[derive(Debug)]
pub struct Inbox<'a> {
    data: &'a mut [u8],
    fds: FdBuf<'a>,
    received: Option<Received>,
}

impl<'a> Inbox<'a> {
    /// A message to receive into `data`, with room for `slots.len()`
    /// descriptors.
    pub fn new(data: &'a mut [u8], slots: &'a mut [RawFd]) -> Inbox<'a> {
        Inbox { data, fds: FdBuf::new(slots), received: None }
    }

    /// What arrived, once it has.
    pub fn received(&self) -> Option<&Received> {
        self.received.as_ref()
    }

    /// The bytes that arrived (empty before anything did).
    pub fn data(&self) -> &[u8] {
        &self.data[..self.received.as_ref().map_or(0, Received::len)]
    }

    /// The descriptors that arrived.
    pub fn fds(&self) -> &FdBuf<'a> {
        &self.fds
    }

    /// The descriptors that arrived, to take.
    pub fn fds_mut(&mut self) -> &mut FdBuf<'a> {
        &mut self.fds
    }
}

// SAFETY: `arrived` commits descriptors only to this Inbox's own FdBuf,
// whose spare slots `buffers` returned (the same ones on every call).
unsafe impl Incoming for Inbox<'_> {
    fn buffers(&mut self) -> (&mut [u8], &mut [RawFd]) {
        (&mut *self.data, self.fds.spare())
    }

    fn arrived(&mut self, a: Arrived) {
        self.fds.commit(a.0.nfds);
        self.received = Some(a.0);
    }
}

/// Sends many messages in as few `sendmmsg` calls as fit: one for up to
/// [`BATCH`] messages of modest control data. Returns how many were sent;
/// fewer than `msgs.len()` when the kernel stopped (a full non-blocking
/// socket, an error after the first message: that error is reported by the
/// next call). An error before the first message is returned as such.
///
/// Meant for datagram and seqpacket sockets, where each message stays one.
pub fn send_batch<M: Outgoing>(fd: BorrowedFd<'_>, msgs: &[M], flags: i32) -> Result<usize> {
    let mut carrier = false;
    for (i, m) in msgs.iter().enumerate() {
        let m = m.message();
        check_message(&m).map_err(|e| e.within(format_args!("msgs[{i}]")))?;
        carrier = carrier || m.data.is_empty() && (!m.fds.is_empty() || m.cred.is_some());
    }
    let stream = carrier && sys::socket_type(fd).ok() == Some(SOCK_STREAM);
    let mut done = 0;
    while done < msgs.len() {
        let mut batch = Batch::new();
        let mut dirs: [Option<OwnedFd>; BATCH] = std::array::from_fn(|_| None);
        for m in &msgs[done..] {
            let chunk = batch.len();
            let m = m.message();
            let r = resolve(m.to).map(|t| (m, t));
            let (m, target) = match r {
                Ok(v) => v,
                Err(e) if done + chunk == 0 => return Err(e.within(format_args!("msgs[0]"))),
                Err(_) => break,
            };
            let data = if stream && m.data.is_empty() && (!m.fds.is_empty() || m.cred.is_some()) { &b"\0"[..] } else { m.data };
            let to = target.as_ref().map(|t| &t.raw);
            if !batch.push_send(data, m.fds, m.cred.map(Cred::to_kernel), to) {
                break;
            }
            dirs[chunk] = target.and_then(|t| t.held);
        }
        let pushed = batch.len();
        if pushed == 0 {
            break;
        }
        let sent = match batch.sendmmsg(fd, flags) {
            Ok(n) => n,
            Err(e) if done == 0 => {
                return Err(sys_err!(e, "send_batch on fd {}: {} messages", fd.as_raw_fd(), msgs.len()))
            }
            Err(_) => break,
        };
        done += sent;
        if sent < pushed {
            break;
        }
    }
    Ok(done)
}

/// Receives up to `msgs.len()` messages in as few `recvmmsg` calls as fit
/// (`flags | MSG_CMSG_CLOEXEC`; `MSG_PEEK` peeks data only, as for
/// [`recvmsg`]). Returns how many arrived; each of those has had
/// [`Incoming::arrived`] called.
///
/// As with `recvmmsg`, a blocking socket waits for all of them unless
/// `flags` has `MSG_WAITFORONE` (wait for the first, take what else is
/// queued) or `MSG_DONTWAIT`. An error after the first message ends the
/// batch early (the next call reports it).
pub fn recv_batch<M: Incoming>(fd: BorrowedFd<'_>, msgs: &mut [M], flags: i32) -> Result<usize> {
    let later = if flags & (MSG_WAITFORONE | MSG_DONTWAIT) != 0 { (flags & !MSG_WAITFORONE) | MSG_DONTWAIT } else { flags };
    let mut flags = flags;
    let mut done = 0;
    while done < msgs.len() {
        let mut got = [None::<(Got, Option<RawAddr>)>; BATCH];
        let mut caps = [0usize; BATCH];
        let (pushed, arrived) = {
            let mut batch = Batch::new();
            for m in msgs[done..].iter_mut() {
                let named = m.wants_from();
                let pidfd = m.wants_pidfd();
                let (data, slots) = m.buffers();
                let cap = data.len();
                let i = batch.len();
                if !batch.push_recv(data, slots, named, pidfd) {
                    break;
                }
                caps[i] = cap;
            }
            let pushed = batch.len();
            let arrived = match batch.recvmmsg(fd, flags) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(sys_err!(e, "recv_batch on fd {}", fd.as_raw_fd())),
                Err(_) => 0,
            };
            for (i, slot) in got.iter_mut().enumerate().take(arrived) {
                *slot = Some(batch.take(i));
            }
            (pushed, arrived)
        };
        if arrived > 0 && arrived < pushed && flags & MSG_DONTWAIT == 0 {
            // A signal may have ended the wait for the rest: the kernel then
            // leaves its ERESTARTSYS in the socket's pending error, for the
            // next call to fail with. Take it out now.
            sys::clear_restart_error(fd);
        }
        for (i, g) in got.iter().take(arrived).enumerate() {
            let (g, from) = g.as_ref().expect("taken above");
            let m = &mut msgs[done + i];
            if m.wants_pidfd() {
                m.pidfd_arrived(g.anc.pidfd.map(sys::fd_from));
            }
            m.arrived(Arrived(Arrival::from_got(g).report(caps[i], from.as_ref())));
        }
        done += arrived;
        if pushed == 0 || arrived < pushed {
            break;
        }
        flags = later;
    }
    Ok(done)
}
