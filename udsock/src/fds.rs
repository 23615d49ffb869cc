//! Passing file descriptors (`SCM_RIGHTS`).
//!
//! A message carries 1 to [`MAX_FDS`] descriptors. The receiver gets new
//! descriptors for the same open file descriptions, close-on-exec
//! (`MSG_CMSG_CLOEXEC`). Nothing here allocates: received descriptors go
//! into storage the caller provides, wrapped in an [`FdBuf`] that closes
//! them unless they are taken, so none can leak.
//!
//! On a stream socket a message with descriptors but no data carries one
//! zero byte, since Linux drops ancillary data sent with no bytes on a
//! stream. Ancillary data also acts as a barrier there (unix(7)): one
//! receive never returns bytes from two messages that carried descriptors,
//! nor reads past the end of one that did.
//!
//! ```
//! use std::os::fd::AsFd;
//! use udsock::fds::{recv_fds, send_fds, FdBuf};
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_SEQPACKET).unwrap();
//! let file = std::fs::File::open("/dev/null").unwrap();
//! send_fds(a.as_fd(), b"here", &[file.as_fd()]).unwrap();
//!
//! let mut slots = [0; 4];
//! let mut fds = FdBuf::new(&mut slots);
//! let mut buf = [0u8; 16];
//! let n = recv_fds(b.as_fd(), &mut buf, &mut fds).unwrap();
//! assert_eq!((&buf[..n], fds.len()), (&b"here"[..], 1));
//! let received: Vec<std::os::fd::OwnedFd> = fds.into_owned().collect();
//! assert_eq!(received.len(), 1);
//! ```

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::error::{err, Result};
use crate::msg::{self, Message};
use crate::sys::{self, EBADMSG, ECONNRESET, EINVAL, EMFILE, EXFULL};

/// The most descriptors one message carries: the kernel's `SCM_MAX_FD`.
pub const MAX_FDS: usize = sys::cmsg::MAX_FDS;

/// Received descriptors: the first [`len`](FdBuf::len) entries of storage
/// the caller provides. The `FdBuf` owns them and closes them when it is
/// dropped, unless they are taken ([`into_owned`](FdBuf::into_owned),
/// [`pop`](FdBuf::pop)) or released as raw numbers
/// ([`release`](FdBuf::release)).
///
/// Receives add descriptors after those already held; the room left,
/// `capacity() - len()` (at most [`MAX_FDS`] per message), is what a
/// receive offers the kernel.
pub struct FdBuf<'a> {
    slots: &'a mut [RawFd],
    len: usize,
}

impl<'a> FdBuf<'a> {
    /// An empty buffer over `slots`: room for `slots.len()` descriptors.
    pub fn new(slots: &'a mut [RawFd]) -> FdBuf<'a> {
        FdBuf { slots, len: 0 }
    }

    /// How many descriptors it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many descriptors it can hold.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The descriptors it holds, as numbers (still owned by the `FdBuf`).
    pub fn as_raw(&self) -> &[RawFd] {
        &self.slots[..self.len]
    }

    /// Borrows descriptor `i`.
    pub fn get(&self, i: usize) -> Option<BorrowedFd<'_>> {
        self.as_raw().get(i).map(sys::borrow_owned)
    }

    /// Takes the last descriptor.
    pub fn pop(&mut self) -> Option<OwnedFd> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(sys::fd_from(self.slots[self.len]))
    }

    /// Takes every descriptor, in the order they were sent. Those the
    /// iterator has not yielded when it is dropped are closed.
    pub fn into_owned(mut self) -> IntoOwned<'a> {
        let len = std::mem::replace(&mut self.len, 0);
        let slots = std::mem::take(&mut self.slots);
        IntoOwned { slots: &slots[..len], next: 0 }
    }

    /// Closes every descriptor it holds.
    pub fn clear(&mut self) {
        for &fd in &self.slots[..self.len] {
            let _ = sys::close(fd);
        }
        self.len = 0;
    }

    /// Gives up ownership: the first `n` entries of the storage (`n` is
    /// returned) are open descriptors that whoever holds the storage must
    /// close. This is how the C ABI hands descriptors to its caller.
    pub fn release(mut self) -> usize {
        std::mem::replace(&mut self.len, 0)
    }

    /// The free slots after those in use.
    pub(crate) fn spare(&mut self) -> &mut [RawFd] {
        &mut self.slots[self.len..]
    }

    /// Counts `n` more slots (filled through [`FdBuf::spare`]) as held.
    pub(crate) fn commit(&mut self, n: usize) {
        // Never beyond the storage: the kernel fills only spare slots.
        self.len = (self.len + n).min(self.slots.len());
    }
}

impl Drop for FdBuf<'_> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl std::fmt::Debug for FdBuf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FdBuf").field(&self.as_raw()).finish()
    }
}

/// The descriptors of an [`FdBuf`], taken one by one; those left when it is
/// dropped are closed.
pub struct IntoOwned<'a> {
    slots: &'a [RawFd],
    next: usize,
}

impl Iterator for IntoOwned<'_> {
    type Item = OwnedFd;

    fn next(&mut self) -> Option<OwnedFd> {
        let fd = *self.slots.get(self.next)?;
        self.next += 1;
        Some(sys::fd_from(fd))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.slots.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for IntoOwned<'_> {}

impl Drop for IntoOwned<'_> {
    fn drop(&mut self) {
        self.for_each(drop);
    }
}

/// Checks a descriptor count for the simple sends: 1 to [`MAX_FDS`].
pub(crate) fn check_count(n: usize) -> Result<()> {
    if n == 0 {
        return Err(err!(EINVAL, "no descriptors to send: nfds is 0 (1..{MAX_FDS})"));
    }
    if n > MAX_FDS {
        return Err(err!(EINVAL, "{n} descriptors: one message carries at most {MAX_FDS} (SCM_MAX_FD)"));
    }
    Ok(())
}

/// Sends `data` with the descriptors `fds` (1 to [`MAX_FDS`]) in one
/// message. Returns the bytes of `data` sent: all of them (on a stream, the
/// rest follows the first part if the kernel takes only part, unless the
/// socket would block: see [`msg::sendmsg`]). An empty
/// `data` on a stream socket sends one zero byte as the carrier and
/// returns 0.
///
/// Errors: `EINVAL` (no descriptors, or more than [`MAX_FDS`]), `EBADF`
/// (a descriptor that is not open: the message names it), and whatever
/// `sendmsg` reports (`EPIPE`, `EAGAIN`, `ETOOMANYREFS`, …).
#[inline]
pub fn send_fds(fd: BorrowedFd<'_>, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<usize> {
    check_count(fds.len())?;
    msg::send(fd, &Message { data, fds, ..Message::default() }, 0, "send_fds")
}

/// Receives one message into `data` and its descriptors into `fds`.
/// Returns the bytes received (0 at the end of a stream).
///
/// If the message carried more descriptors than `fds` has room for (the
/// kernel's `MSG_CTRUNC`, or more than fit), or the process ran out of
/// descriptors while they were installed, every descriptor that arrived
/// with it is closed, `fds` is left as it was, and the call fails with
/// `EXFULL`: the data bytes of that message are consumed. Use
/// [`msg::recvmsg`] to keep what fits instead.
#[inline]
pub fn recv_fds(fd: BorrowedFd<'_>, data: &mut [u8], fds: &mut FdBuf<'_>) -> Result<usize> {
    let room = fds.spare().len();
    let got = msg::receive(fd, data, fds.spare(), None, 0, "recv_fds")?;
    if got.truncated_fds() {
        for &f in &fds.spare()[..got.nfds] {
            let _ = sys::close(f);
        }
        return Err(err!(
            EXFULL,
            "fd {}: {} fds for {room} slots (or RLIMIT_NOFILE); all closed, {} bytes consumed",
            fd.as_raw_fd(),
            got.nfds + got.closed,
            got.bytes
        ));
    }
    fds.commit(got.nfds);
    Ok(got.bytes)
}

/// After a receive of no bytes: whether that was the end of the connection.
/// On SOCK_SEQPACKET an empty message reads the same, so the peer must also
/// have hung up; a datagram socket has no end.
fn connection_ended(fd: BorrowedFd<'_>) -> bool {
    match sys::socket_type(fd) {
        Ok(sys::SOCK_DGRAM) => false,
        Ok(sys::SOCK_SEQPACKET) => sys::peer_hung_up(fd),
        _ => true,
    }
}

/// Sends one descriptor with a one-byte payload (a zero byte).
pub fn send_fd(fd: BorrowedFd<'_>, passed: BorrowedFd<'_>) -> Result<()> {
    msg::send(fd, &Message { data: b"\0", fds: &[passed], ..Message::default() }, 0, "send_fd").map(drop)
}

/// How many payload bytes [`recv_fd`] reads and drops with the descriptor.
const RECV_FD_PAYLOAD: usize = 512;

/// Receives one message that carries exactly one descriptor and returns
/// it. The message's payload is read and dropped: a whole datagram, or on
/// a stream what one read returns (up to 512 bytes) — at most up to the
/// end of the send that carried descriptors, since ancillary data is a
/// barrier there.
///
/// Errors: `ECONNRESET` at the end of the stream; `EBADMSG` for a message
/// with no descriptor or with several (all of them are closed); `EMFILE`
/// when its descriptor could not be installed (`RLIMIT_NOFILE`).
pub fn recv_fd(fd: BorrowedFd<'_>) -> Result<OwnedFd> {
    let mut payload = [0u8; RECV_FD_PAYLOAD];
    let mut slot = [-1; 1];
    let got = msg::receive(fd, &mut payload, &mut slot, None, 0, "recv_fd")?;
    let arrived = got.nfds + got.closed;
    if got.nfds == 1 && !got.truncated_fds() {
        return Ok(sys::fd_from(slot[0]));
    }
    if got.nfds == 1 {
        let _ = sys::close(slot[0]);
    }
    if arrived == 0 && got.ctrunc {
        // The control buffer had room: the kernel could not install it.
        return Err(err!(
            EMFILE,
            "fd {}: its descriptor could not be installed (RLIMIT_NOFILE)",
            fd.as_raw_fd()
        ));
    }
    if arrived == 0 && got.bytes == 0 && connection_ended(fd) {
        return Err(err!(ECONNRESET, "fd {}: the peer closed the connection before sending a descriptor", fd.as_raw_fd()));
    }
    if arrived == 0 {
        return Err(err!(EBADMSG, "fd {}: a message of {} bytes without a descriptor", fd.as_raw_fd(), got.bytes));
    }
    Err(err!(
        EBADMSG,
        "fd {}: a message with {}{} fds where one was expected; all closed",
        fd.as_raw_fd(),
        if got.ctrunc { "more than " } else { "" },
        arrived
    ))
}
