//! Credentials: who the peer is (`SO_PEERCRED`, `SO_PEERPIDFD`,
//! `SO_PEERGROUPS`, `SO_PEERSEC`), and credentials sent with a message
//! (`SCM_CREDENTIALS`, `SO_PASSCRED`).
//!
//! The peer's credentials are those it had when it connected (or made the
//! socketpair). A pid can be reused once that process has exited; a pidfd
//! ([`peer_pidfd`]) keeps referring to the very process.
//!
//! Credentials on a message are reported only if `SO_PASSCRED` is on at
//! the receiver. A message that did not carry them explicitly (as
//! [`send_creds`] does) gets them only if `SO_PASSCRED` was already on
//! when it was queued; one queued earlier reports [`Cred::NONE`].
//!
//! ```
//! use std::os::fd::AsFd;
//! use udsock::cred::{peer_cred, recv_creds, send_creds, Cred};
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_STREAM).unwrap();
//! assert_eq!(peer_cred(a.as_fd()).unwrap().pid, std::process::id() as i32);
//! send_creds(a.as_fd(), b"hi", None).unwrap();
//! let mut buf = [0u8; 8];
//! let (n, cred) = recv_creds(b.as_fd(), &mut buf).unwrap();
//! assert_eq!((n, cred), (2, Cred::own()));
//! ```

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::error::{err, sys_err, Result};
use crate::msg::{self, Message};
use crate::sys::cmsg;
use crate::sys::{self, Opt, ENODATA, ENOPROTOOPT, ENOTCONN, ERANGE};

pub use crate::anc::Cred;

/// Refuses a listening socket: its "peer" would be the process that called
/// listen(), never a client.
fn connected(fd: BorrowedFd<'_>, what: &str) -> Result<()> {
    match sys::get_opt(fd, Opt::Listening) {
        Ok(0) => Ok(()),
        Ok(_) => Err(err!(ENOTCONN, "{what} of fd {}: a listening socket has no peer; ask an accepted connection", fd.as_raw_fd())),
        Err(e) => Err(sys_err!(e, "{what} of fd {}", fd.as_raw_fd())),
    }
}

fn not_connected(fd: BorrowedFd<'_>, what: &str) -> crate::Error {
    err!(ENOTCONN, "{what} of fd {}: no peer (not connected, or a datagram not from socketpair)", fd.as_raw_fd())
}

/// The peer's pid, uid and gid when it connected (`SO_PEERCRED`).
///
/// Errors: `ENOTCONN` when there is no peer (not connected, a listening
/// socket, a datagram socket that was not made by socketpair), `EBADF`,
/// `ENOTSOCK`.
pub fn peer_cred(fd: BorrowedFd<'_>) -> Result<Cred> {
    let u = sys::peer_cred(fd).map_err(|e| sys_err!(e, "SO_PEERCRED of fd {}", fd.as_raw_fd()))?;
    if u.pid == 0 && u.uid == u32::MAX && u.gid == u32::MAX {
        return Err(not_connected(fd, "SO_PEERCRED"));
    }
    connected(fd, "SO_PEERCRED")?;
    Ok(Cred { pid: u.pid, uid: u.uid, gid: u.gid })
}

/// A pidfd for the peer process (`SO_PEERPIDFD`, Linux 6.5), close-on-exec:
/// unlike a pid, it can never come to name another process.
///
/// Errors: `ENOTCONN` (no peer), `ENOPROTOOPT` (a kernel before 6.5),
/// `ESRCH`/`EINVAL` (the peer has exited and been reaped, on kernels that
/// cannot make a pidfd for it), `EBADF`, `ENOTSOCK`.
pub fn peer_pidfd(fd: BorrowedFd<'_>) -> Result<OwnedFd> {
    connected(fd, "SO_PEERPIDFD")?;
    sys::peer_pidfd(fd).map_err(|e| match e {
        ENODATA => not_connected(fd, "SO_PEERPIDFD"),
        e => sys_err!(e, "SO_PEERPIDFD of fd {}", fd.as_raw_fd()),
    })
}

/// Turns `SO_PASSCRED` on or off: whether received messages report the
/// sender's credentials.
#[inline]
pub fn set_passcred(fd: BorrowedFd<'_>, on: bool) -> Result<()> {
    sys::set_opt(fd, Opt::PassCred, on as i32)
        .map_err(|e| sys_err!(e, "SO_PASSCRED={} on fd {}", on as i32, fd.as_raw_fd()))
}

/// The peer's supplementary groups (`SO_PEERGROUPS`), like `snprintf`:
/// returns how many there are; when that is more than `groups.len()`,
/// nothing was stored and the caller should retry with that many.
///
/// Errors: `ENOTCONN` (no peer), `EBADF`, `ENOTSOCK`.
pub fn peer_groups(fd: BorrowedFd<'_>, groups: &mut [u32]) -> Result<usize> {
    connected(fd, "SO_PEERGROUPS")?;
    match sys::get_opt_into(fd, Opt::PeerGroups, groups) {
        Ok(len) => Ok(len / 4),
        Err((ERANGE, needed)) => Ok((needed / 4).max(groups.len() + 1)),
        Err((ENODATA, _)) => Err(not_connected(fd, "SO_PEERGROUPS")),
        Err((e, _)) => Err(sys_err!(e, "SO_PEERGROUPS of fd {}", fd.as_raw_fd())),
    }
}

/// The peer's security label (`SO_PEERSEC`), like `snprintf`: stores it
/// NUL-terminated in `buf` and returns its length without the NUL; when
/// that is `buf.len()` or more, it did not fit and `buf` holds an empty
/// string (when it has room for one).
///
/// Errors: `ENOPROTOOPT` when no security module (SELinux, AppArmor, Smack)
/// provides labels, `ENOTCONN`, `EBADF`, `ENOTSOCK`.
pub fn peer_security(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize> {
    connected(fd, "SO_PEERSEC")?;
    // Some modules count a terminating NUL in the option's length, some
    // do not: the label ends at the first NUL or at that length.
    let label = match sys::get_opt_into(fd, Opt::PeerSecurity, buf) {
        Ok(len) => label_len(&buf[..len]),
        Err((ERANGE, needed)) => whole_label_len(fd, needed),
        Err((e, _)) => return Err(sys_err!(e, "SO_PEERSEC of fd {}", fd.as_raw_fd())),
    };
    if label < buf.len() {
        buf[label] = 0;
    } else {
        // No room for its NUL: never leave a label cut or unterminated.
        buf.fill(0);
    }
    Ok(label)
}

fn label_len(b: &[u8]) -> usize {
    b.iter().position(|&c| c == 0).unwrap_or(b.len())
}

/// The length of a label too long for the caller's buffer, read into one
/// of a page (`needed` is the kernel's length, which may count a NUL).
#[cold]
fn whole_label_len(fd: BorrowedFd<'_>, needed: usize) -> usize {
    let mut page = [0u8; 4096];
    match sys::get_opt_into(fd, Opt::PeerSecurity, &mut page) {
        Ok(len) => label_len(&page[..len]),
        Err(_) => needed,
    }
}

/// Sends `data` with credentials (`SCM_CREDENTIALS`): `cred`, or the
/// caller's own ([`Cred::own`]) when `None`. Either way they arrive
/// whenever the receiver turns `SO_PASSCRED` on. Another process's pid, or
/// ids that are not the caller's, need `CAP_SYS_ADMIN` / `CAP_SETUID` /
/// `CAP_SETGID`: `EPERM` otherwise (`ESRCH` for a pid that does not
/// exist). On a stream, empty `data` sends one zero byte.
///
/// With `None` on a stream socket, `SO_PASSCRED` is turned on at the
/// sending socket (if it was off) and nothing is attached: the kernel then
/// stamps every message with the sender's pid, real uid and real gid as
/// they are when it is sent (after a fork, the child's; after a setuid,
/// the new ids), with no look-up in user space. Other messages sent on
/// that socket later carry them too, and every message it receives comes
/// with a credentials block, which takes control room first: a receive
/// that offers room for descriptors only loses them to `MSG_CTRUNC`
/// (this crate's receives leave room; [`set_passcred`] turns it off). On the other socket types `None`
/// attaches [`Cred::own`] explicitly unless `SO_PASSCRED` is already on
/// (turning it on there would bind an unbound socket to an abstract
/// address).
#[inline]
pub fn send_creds(fd: BorrowedFd<'_>, data: &[u8], cred: Option<Cred>) -> Result<usize> {
    let cred = match cred {
        Some(c) => Some(c),
        None if kernel_stamps_own(fd) => None,
        None => Some(Cred::own()),
    };
    match cred {
        // Nothing attached in user space: the bytes alone (and on a stream,
        // for no bytes, the carrier byte, which is then ours to add).
        None if !data.is_empty() => msg::send_bytes(fd, data, 0, "send_creds"),
        None if sys::socket_type(fd) == Ok(sys::SOCK_STREAM) => msg::send_bytes(fd, b"\0", 0, "send_creds").map(|_| 0),
        _ => msg::send(fd, &Message { data, cred, ..Message::default() }, 0, "send_creds"),
    }
}

/// Whether the kernel attaches the caller's credentials to every message
/// sent on `fd` (`SO_PASSCRED` on at the sender: unix_maybe_add_creds),
/// turning it on for a stream socket. `false` when that cannot be known:
/// the caller then attaches them explicitly.
fn kernel_stamps_own(fd: BorrowedFd<'_>) -> bool {
    match sys::get_opt(fd, Opt::PassCred) {
        Ok(0) => sys::socket_type(fd) == Ok(sys::SOCK_STREAM) && set_passcred(fd, true).is_ok(),
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Turns `SO_PASSCRED` on unless it is on already (asking costs less than
/// setting: no socket lock).
///
/// Errors: as [`set_passcred`].
pub fn want_creds(fd: BorrowedFd<'_>) -> Result<()> {
    match sys::get_opt(fd, Opt::PassCred) {
        Ok(0) | Err(_) => set_passcred(fd, true),
        Ok(_) => Ok(()),
    }
}

/// Receives one message and the credentials it carried, turning
/// `SO_PASSCRED` on first. A message queued while `SO_PASSCRED` was off and
/// sent without explicit credentials carries none: [`Cred::NONE`]. Any
/// descriptors the message carried are closed.
#[inline]
pub fn recv_creds(fd: BorrowedFd<'_>, data: &mut [u8]) -> Result<(usize, Cred)> {
    want_creds(fd)?;
    let a = msg::receive_cred(fd, data, "recv_creds")?;
    Ok((a.bytes, a.cred.unwrap_or(Cred::NONE)))
}

/// The error for an option this kernel does not know.
#[cold]
fn option_error(e: i32, fd: BorrowedFd<'_>, what: &str, on: bool, since: &str) -> crate::Error {
    if e == ENOPROTOOPT {
        return err!(ENOPROTOOPT, "{what}={} on fd {}: this kernel has no {what} (Linux {since} and later)", on as i32, fd.as_raw_fd());
    }
    sys_err!(e, "{what}={} on fd {}", on as i32, fd.as_raw_fd())
}

/// Turns `SO_PASSPIDFD` (Linux 6.5) on or off: whether received messages
/// carry a pidfd of their sender ([`recv_pidfd`], [`crate::msg::recvmsg_pidfd`]).
///
/// Errors: `ENOPROTOOPT` (a kernel before 6.5), `EBADF`, `ENOTSOCK`.
pub fn set_passpidfd(fd: BorrowedFd<'_>, on: bool) -> Result<()> {
    sys::set_opt(fd, Opt::PassPidfd, on as i32)
        .map_err(|e| option_error(e, fd, "SO_PASSPIDFD", on, "6.5"))
}

/// Turns `SO_PASSRIGHTS` (Linux 6.16) off or back on: with it off the
/// kernel refuses descriptors sent to this socket (the sender's send fails
/// with `EPERM`).
///
/// Errors: `ENOPROTOOPT` (a kernel before 6.16), `EBADF`, `ENOTSOCK`.
pub fn set_passrights(fd: BorrowedFd<'_>, on: bool) -> Result<()> {
    sys::set_opt(fd, Opt::PassRights, on as i32)
        .map_err(|e| option_error(e, fd, "SO_PASSRIGHTS", on, "6.16"))
}

/// Turns `SO_PASSPIDFD` on unless it is on already (one `getsockopt`
/// instead of a `setsockopt` each time).
pub fn want_pidfds(fd: BorrowedFd<'_>) -> Result<()> {
    match sys::get_opt(fd, Opt::PassPidfd) {
        Ok(0) | Err(_) => set_passpidfd(fd, true),
        Ok(_) => Ok(()),
    }
}

/// Receives one message (up to `data.len()` bytes; a longer datagram is
/// cut, as `recv` does) and a pidfd of its sender (close-on-exec), or
/// `None` when it carried none. Turns `SO_PASSPIDFD` on first if it was
/// off: a message queued before that carries no sender unless
/// `SO_PASSCRED` was on when it was sent. Descriptors the message carried
/// are closed. A sender that has exited since is not an error: the pidfd
/// is whatever the kernel gives (on 6.18, one whose fdinfo says `Pid: -1`
/// once the sender is reaped), or `None`. At the end of a stream: `(0,
/// None)`.
///
/// Errors: `ENOPROTOOPT` (a kernel before 6.5), `EAGAIN`, `EINTR`,
/// `EBADF`, `ENOTSOCK`.
pub fn recv_pidfd(fd: BorrowedFd<'_>, data: &mut [u8]) -> Result<(usize, Option<OwnedFd>)> {
    want_pidfds(fd)?;
    let got = cmsg::recv_pidfd(fd, data, &mut [], None, 0).map_err(|e| sys_err!(e, "recv_pidfd on fd {}", fd.as_raw_fd()))?;
    let pidfd = got.anc.pidfd.map(sys::fd_from);
    if got.bytes == 0 && sys::socket_type(fd) == Ok(sys::SOCK_STREAM) {
        // The end of a stream: nobody sent anything.
        return Ok((0, None));
    }
    Ok((got.bytes.min(data.len()), pidfd))
}
