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

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::error::{err, Result};
use crate::msg::{self, Message};
use crate::sys::{self, EBADMSG, ECONNRESET, EMFILE, EXFULL};

pub use crate::anc::{FdBuf, IntoOwned, MAX_FDS};
use crate::anc::check_fd_count;

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
    check_fd_count(fds.len(), 1)?;
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
