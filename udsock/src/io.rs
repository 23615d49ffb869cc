//! Sending and receiving data.
//!
//! Sends never raise `SIGPIPE` (`MSG_NOSIGNAL`): a closed peer is `EPIPE`.
//! A call interrupted by a signal before it transferred anything fails with
//! `EINTR`; one that has transferred part of its buffer carries on until it
//! is done. On a non-blocking stream socket, [`send_all`] and
//! [`recv_exact`] (and the frame calls) never wait: each completes, or
//! fails with `EAGAIN` having moved nothing. None of these calls allocates.
//!
//! ```
//! use std::os::fd::AsFd;
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_STREAM).unwrap();
//! udsock::io::send_all(a.as_fd(), b"hello").unwrap();
//! let mut buf = [0u8; 5];
//! assert_eq!(udsock::io::recv_exact(b.as_fd(), &mut buf).unwrap(), 5);
//! assert_eq!(&buf, b"hello");
//! ```

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::addr::{Addr, Target};
use crate::error::{err, sys_err, Result, Shown};
use crate::sys::{self, EAGAIN, ECONNRESET, EINTR, EMSGSIZE, EPROTOTYPE, POLLIN, POLLOUT};

/// One `send(2)` (`flags | MSG_NOSIGNAL`).
pub fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: i32) -> Result<usize> {
    sys::send(fd, buf, flags).map_err(|e| sys_err!(e, "send {} bytes on fd {}", buf.len(), fd.as_raw_fd()))
}

/// One `recv(2)`: the number of bytes stored in `buf`, never more than
/// `buf.len()`, so that `&buf[..n]` is always in bounds. With `MSG_TRUNC`
/// the kernel reports a longer datagram's whole length: ask
/// [`recv_trunc`] for it.
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: i32) -> Result<usize> {
    recv_trunc(fd, buf, flags).map(|(stored, _)| stored)
}

/// One `recv(2)`, returning `(stored, whole)`: the bytes stored in `buf`
/// (at most `buf.len()`) and what the kernel returned, which with
/// `MSG_TRUNC` on a datagram or seqpacket socket is the message's whole
/// length (larger than `stored` when the rest was dropped).
pub fn recv_trunc(fd: BorrowedFd<'_>, buf: &mut [u8], flags: i32) -> Result<(usize, usize)> {
    let n = sys::recv(fd, buf, flags).map_err(|e| sys_err!(e, "recv on fd {}", fd.as_raw_fd()))?;
    Ok((n.min(buf.len()), n))
}

/// After part of a transfer, waits out `EAGAIN`/`EINTR` instead of failing.
/// Returns the error to report, or `None` to try again.
pub(crate) fn retry_mid_transfer(fd: BorrowedFd<'_>, e: i32, moved: bool, events: i16) -> Option<i32> {
    match e {
        EINTR if moved => None,
        EAGAIN if moved => match sys::wait(fd, events) {
            Ok(()) | Err(EINTR) => None,
            Err(e) => Some(e),
        },
        e => Some(e),
    }
}

/// The largest write a Unix stream always queues as one buffer, so whole
/// or not at all: the kernel cuts writes into pieces of half the send
/// buffer less 64 bytes, and `SO_SNDBUF` is never below 4608.
pub(crate) const ATOMIC_SEND: usize = 4608 / 2 - 64;

/// Bytes of send buffer a write of `total` bytes may take on a Unix
/// stream: the kernel cuts it into buffers of at most about 36 KiB (or
/// half of `SO_SNDBUF`), and each costs its bytes rounded up to pages plus
/// up to one page of head and its bookkeeping; 8.5 KiB per buffer bounds
/// that overhead.
fn send_cost(total: usize, sndbuf: usize) -> usize {
    let piece = (sndbuf / 2).saturating_sub(64).clamp(1, 36 * 1024);
    total.saturating_add(total.div_ceil(piece).max(1).saturating_mul(8704))
}

/// On a non-blocking stream socket, refuses a write of `total` bytes that
/// the kernel might take only in part: `EAGAIN` when the send buffer has
/// no room for all of it now, `EMSGSIZE` when it never can (more than
/// three quarters of `SO_SNDBUF`, so that whenever poll reports the socket
/// writable, which it does with three quarters free, a write that is
/// not refused goes whole). Nothing is sent either way. Blocking sockets
/// and message sockets (whose sends are whole or nothing): no check.
///
/// A write of at most [`ATOMIC_SEND`] bytes needs no check (and costs no
/// system call): the kernel queues it as one buffer, whole or not at all.
#[inline]
pub(crate) fn room_to_send(fd: BorrowedFd<'_>, total: usize, what: &str) -> Result<()> {
    if total <= ATOMIC_SEND || !sys::nonblocking(fd) {
        return Ok(());
    }
    room_to_send_nonblocking(fd, total, what)
}

#[cold]
#[inline(never)]
fn room_to_send_nonblocking(fd: BorrowedFd<'_>, total: usize, what: &str) -> Result<()> {
    if sys::socket_type(fd) != Ok(sys::SOCK_STREAM) {
        return Ok(());
    }
    let sndbuf = sys::get_opt(fd, sys::Opt::SendBuffer)
        .map_err(|e| sys_err!(e, "{what} on fd {}: SO_SNDBUF", fd.as_raw_fd()))?
        .max(0) as usize;
    let used = sys::outq(fd).map_err(|e| sys_err!(e, "{what} on fd {}: SIOCOUTQ", fd.as_raw_fd()))?.max(0) as usize;
    let cost = send_cost(total, sndbuf);
    if cost > sndbuf / 4 * 3 {
        return Err(err!(
            EMSGSIZE,
            "{what} on fd {}: {total} bytes need {cost} of SO_SNDBUF {sndbuf} (over 3/4); nothing sent",
            fd.as_raw_fd()
        ));
    }
    if used + cost > sndbuf {
        return Err(err!(
            EAGAIN,
            "{what} on fd {}: no room yet for {total} bytes ({used} of {sndbuf} in use); nothing sent",
            fd.as_raw_fd()
        ));
    }
    Ok(())
}

/// On a non-blocking stream socket, `Ok` only when `need` bytes are queued
/// for reading, or the peer has hung up (so that reading cannot wait);
/// otherwise `EAGAIN`, having consumed nothing.
#[cold]
#[inline(never)]
pub(crate) fn queued(fd: BorrowedFd<'_>, need: u64, what: &str) -> Result<()> {
    let q = sys::pending(fd).map_err(|e| sys_err!(e, "{what} on fd {}: SIOCINQ", fd.as_raw_fd()))?.max(0) as u64;
    if q >= need || sys::peer_hung_up(fd) {
        return Ok(());
    }
    Err(err!(
        EAGAIN,
        "{what} on fd {}: {q} of the {need} bytes needed are queued; nothing consumed",
        fd.as_raw_fd()
    ))
}

/// Sends all of `buf`, however many `send` calls it takes.
///
/// On a non-blocking stream socket it never waits: either the whole of
/// `buf` goes, or nothing does (`EAGAIN`: no room yet; `EMSGSIZE`: more
/// than the socket can promise to take whole: more than three quarters of
/// `SO_SNDBUF` with the kernel's overhead).
pub fn send_all(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<()> {
    room_to_send(fd, buf.len(), "send_all")?;
    let mut sent = 0;
    loop {
        match sys::send(fd, &buf[sent..], 0) {
            Ok(n) => sent += n,
            Err(e) => {
                if let Some(e) = retry_mid_transfer(fd, e, sent > 0, POLLOUT) {
                    return Err(sys_err!(
                        e,
                        "send_all on fd {}: failed after {sent} of {} bytes",
                        fd.as_raw_fd(),
                        buf.len()
                    ));
                }
            }
        }
        if sent == buf.len() {
            return Ok(());
        }
    }
}

/// How a [`fill`] ended.
pub(crate) enum Fill {
    /// The buffer is full.
    Full,
    /// End of stream after this many bytes.
    Eof(usize),
}

/// Reads until `buf` is full or the stream ends. `started`: part of the
/// enclosing transfer already happened, so `EINTR` never stops it.
///
/// A socket that keeps message boundaries (`SOCK_SEQPACKET`, `SOCK_DGRAM`)
/// cannot be read this way unless one message fills `buf` exactly: a longer
/// one would be cut (the kernel drops its rest: `MSG_TRUNC`), and a shorter
/// one would be merged with the next. Either fails the read with
/// `EPROTOTYPE` (the message is consumed; its bytes are in `buf`). Costs
/// nothing on a stream but on a short read, where the socket's type is
/// asked once.
#[inline(always)]
pub(crate) fn fill(fd: BorrowedFd<'_>, buf: &mut [u8], started: bool) -> std::result::Result<Fill, (i32, usize)> {
    fill_with(fd, buf, started, &mut |b: &mut [u8]| sys::recv_uncut(fd, b))
}

/// [`fill`] with `read` in place of `recv`: `read` receives into the
/// buffer it is given and returns the byte count, or `EPROTOTYPE` for a
/// message longer than the buffer (its start is in the buffer).
#[inline(always)]
pub(crate) fn fill_with(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    started: bool,
    read: &mut impl FnMut(&mut [u8]) -> sys::SysResult<usize>,
) -> std::result::Result<Fill, (i32, usize)> {
    let mut got = 0;
    while got < buf.len() {
        match read(&mut buf[got..]) {
            Ok(0) => return Ok(Fill::Eof(got)),
            Ok(n) if got + n < buf.len() && !is_stream(fd) => return Err((EPROTOTYPE, got + n)),
            Ok(n) => got += n,
            // A longer message filled the rest of `buf` and lost its tail.
            Err(EPROTOTYPE) => return Err((EPROTOTYPE, buf.len())),
            Err(e) => {
                if let Some(e) = retry_mid_transfer(fd, e, started || got > 0, POLLIN) {
                    return Err((e, got));
                }
            }
        }
    }
    Ok(Fill::Full)
}

/// Whether `fd` is a stream socket (anything it cannot tell counts as one:
/// the read that follows reports the real error).
#[cold]
pub(crate) fn is_stream(fd: BorrowedFd<'_>) -> bool {
    !matches!(sys::socket_type(fd), Ok(t) if t != sys::SOCK_STREAM)
}

/// Receives exactly `buf.len()` bytes. `Ok(0)` is a clean end of stream
/// before the first byte; an end part-way is `ECONNRESET` (the bytes that
/// did arrive are in `buf`). On a socket that keeps message boundaries, one
/// message of exactly `buf.len()` bytes; a longer or shorter one is
/// `EMSGSIZE` (it is consumed).
///
/// On a non-blocking stream socket it never waits: unless all `buf.len()`
/// bytes are queued (or the peer has hung up), `EAGAIN` with nothing
/// consumed.
pub fn recv_exact(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize> {
    if sys::nonblocking(fd) && is_stream(fd) {
        queued(fd, buf.len() as u64, "recv_exact")?;
    }
    match fill(fd, buf, false) {
        Ok(Fill::Full) => Ok(buf.len()),
        Ok(Fill::Eof(0)) => Ok(0),
        Ok(Fill::Eof(got)) => Err(err!(
            ECONNRESET,
            "recv_exact on fd {}: stream ended after {got} of {} bytes",
            fd.as_raw_fd(),
            buf.len()
        )),
        Err((EPROTOTYPE, got)) => Err(wrong_size(fd, got, buf.len())),
        Err((e, got)) => Err(sys_err!(
            e,
            "recv_exact on fd {}: failed after {got} of {} bytes",
            fd.as_raw_fd(),
            buf.len()
        )),
    }
}

#[cold]
fn wrong_size(fd: BorrowedFd<'_>, got: usize, len: usize) -> crate::Error {
    // No format! here: an error path allocates nothing.
    let (rel, n) = if got < len { ("of", got) } else { ("longer than", len) };
    err!(EMSGSIZE, "recv_exact on fd {}: a message {rel} {n} bytes, not exactly {len}; use uds_recv", fd.as_raw_fd())
}

/// Bytes waiting to be read (`SIOCINQ`). Only a socket is asked: the same
/// ioctl would answer for a file or a pipe, which is `ENOTSOCK` here.
pub fn pending(fd: BorrowedFd<'_>) -> Result<usize> {
    sys::socket_type(fd).map_err(|e| sys_err!(e, "SIOCINQ on fd {}", fd.as_raw_fd()))?;
    sys::pending(fd).map(|n| n as usize).map_err(|e| sys_err!(e, "SIOCINQ on fd {}", fd.as_raw_fd()))
}

/// Sends one datagram to `"/path"` (any length) or `"@name"`.
pub fn sendto(fd: BorrowedFd<'_>, buf: &[u8], addr: &[u8]) -> Result<usize> {
    let target = Target::parse(addr)?;
    sys::sendto(fd, buf, &target.raw)
        .map_err(|e| sys_err!(e, "sendto {} on fd {}", Shown(addr), fd.as_raw_fd()))
}

/// Receives one datagram and the address it came from.
pub fn recvfrom(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<(usize, Addr)> {
    let (n, raw) = sys::recvfrom(fd, buf).map_err(|e| sys_err!(e, "recvfrom on fd {}", fd.as_raw_fd()))?;
    Ok((n, Addr::from_raw(&raw)))
}
