//! Length-prefixed messages on a stream.
//!
//! Wire format: a 4-byte unsigned length in native byte order, then that many
//! bytes. It is byte for byte what the Advanced Linux Programming
//! socket-client sends (its `int length` counts the text's NUL), so that
//! program and these calls interoperate.
//!
//! ```
//! use std::os::fd::AsFd;
//! use udsock::frame::{recv_frame, send_frame, Frame};
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_STREAM).unwrap();
//! send_frame(a.as_fd(), b"ping").unwrap();
//! let mut buf = [0u8; 16];
//! assert!(matches!(recv_frame(b.as_fd(), &mut buf), Ok(Frame::Data(4))));
//! ```

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use crate::error::{err, sys_err, Error, Result};
use crate::fds::{FdBuf, MAX_FDS};
use crate::io::{fill_with, is_stream, queued, retry_mid_transfer, room_to_send, Fill};
use crate::msg::{send_error, Message};
use crate::sys::cmsg::{self, Aligned, CONTROL_LEN};
use crate::sys::{self, SysResult, EAGAIN, ECONNRESET, EINVAL, EMSGSIZE, EPROTOTYPE, EXFULL, POLLOUT};

/// What [`recv_frame`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A frame of this many bytes is in the buffer.
    Data(usize),
    /// The stream ended cleanly between frames.
    Eof,
    /// A frame of this many bytes did not fit: it was read and dropped so
    /// that the stream stays in step.
    TooLarge(usize),
}

/// Sends `buf` as one frame: one `sendmsg` of the length and the bytes
/// (more only if the kernel takes part of it). Over `u32::MAX`: `EMSGSIZE`.
pub fn send_frame(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<()> {
    send_framed(fd, buf, &[], "send_frame")
}

/// Sends `buf` as one frame with the descriptors `fds` (0 to [`MAX_FDS`])
/// attached to its first byte, in one `sendmsg`: the bytes on the wire are
/// exactly [`send_frame`]'s. With no descriptors it is [`send_frame`].
///
/// Errors: as [`send_frame`], and `EINVAL` (more than [`MAX_FDS`]),
/// `EBADF` (a descriptor that is not open: the message names it),
/// `ETOOMANYREFS`.
pub fn send_frame_fds(fd: BorrowedFd<'_>, buf: &[u8], fds: &[BorrowedFd<'_>]) -> Result<()> {
    if fds.len() > MAX_FDS {
        return Err(err!(EINVAL, "{} descriptors: one frame carries at most {MAX_FDS} (SCM_MAX_FD)", fds.len()));
    }
    send_framed(fd, buf, fds, "send_frame_fds")
}

#[inline(always)]
fn send_framed(fd: BorrowedFd<'_>, buf: &[u8], fds: &[BorrowedFd<'_>], what: &str) -> Result<()> {
    let header = frame_len(buf.len())?.to_ne_bytes();
    let total = header.len() + buf.len();
    room_to_send(fd, total, what)?;
    let first = if fds.is_empty() {
        sys::sendv(fd, &[IoSlice::new(&header), IoSlice::new(buf)], 0)
    } else {
        let mut control = Aligned::<CONTROL_LEN>::new();
        let control = cmsg::build(control.uninit(0, CONTROL_LEN), fds, None);
        cmsg::sendv(fd, &[IoSlice::new(&header), IoSlice::new(buf)], control, 0)
    };
    // Nothing sent yet: every failure (EINTR and EAGAIN too) is reported.
    let mut sent = first.map_err(|e| send_error(fd, e, &Message { data: buf, fds, ..Message::default() }, what))?;
    // The kernel took part: the descriptors went with the first byte; the
    // rest follows.
    while sent < total {
        let r = if sent < header.len() {
            sys::sendv(fd, &[IoSlice::new(&header[sent..]), IoSlice::new(buf)], 0)
        } else {
            sys::send(fd, &buf[sent - header.len()..], 0)
        };
        match r {
            Ok(n) => sent += n,
            Err(e) => {
                if let Some(e) = retry_mid_transfer(fd, e, sent > 0, POLLOUT) {
                    return Err(sys_err!(e, "{what} on fd {}: after {sent} of {total} bytes", fd.as_raw_fd()));
                }
            }
        }
    }
    Ok(())
}

/// The length prefix for a frame of `len` bytes; over `u32::MAX`: `EMSGSIZE`.
pub(crate) fn frame_len(len: usize) -> Result<u32> {
    u32::try_from(len)
        .map_err(|_| err!(EMSGSIZE, "frame of {len} bytes: the length prefix holds at most 4294967295"))
}

/// Receives one frame into `buf`.
///
/// A frame larger than `buf` is consumed and dropped ([`Frame::TooLarge`]),
/// never allocated for. A stream that ends inside a frame is `ECONNRESET`.
/// On a socket that keeps message boundaries (`SOCK_SEQPACKET`,
/// `SOCK_DGRAM`) a message that holds exactly one frame (what
/// [`send_frame`] sends there) is that frame (too large for `buf`: the
/// message is consumed, [`Frame::TooLarge`]); wherever else a message
/// boundary would cut or merge a frame, or an empty message would pass for
/// the end, `EPROTOTYPE` (the message is consumed).
/// Descriptors sent with the frame's bytes are closed (the kernel drops
/// them: no control buffer is offered), so none leaks.
///
/// A small frame that has wholly arrived costs two system calls, a peek
/// and one receive, on blocking and non-blocking sockets alike. The peek
/// assumes `SO_PEEK_OFF` is off (the default): a socket read with frames
/// must not have it set.
pub fn recv_frame(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Frame> {
    read_frame(fd, buf, &mut Plain, "recv_frame")
}

/// The receives a frame read is made of.
trait Reader {
    /// One receive into `buf` (`MSG_WAITALL`, and `MSG_TRUNC` so that a
    /// message socket's longer message is seen): the byte count, or
    /// `EPROTOTYPE` for a message longer than `buf` (its start is in it).
    fn read(&mut self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize>;
    /// One receive into `frame` (`MSG_TRUNC`, no waiting for more than is
    /// queued): the kernel's count, which on a message socket is the whole
    /// message's length (it may exceed `frame.len()`).
    fn take(&mut self, fd: BorrowedFd<'_>, frame: &mut [u8]) -> SysResult<usize>;
    /// One receive into `head` then `body` (`flags`): the kernel's count.
    fn take2(&mut self, fd: BorrowedFd<'_>, head: &mut [u8], body: &mut [u8], flags: i32) -> SysResult<usize>;
}

/// [`recv_frame`]'s receives: no control buffer.
struct Plain;

impl Reader for Plain {
    #[inline(always)]
    fn read(&mut self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
        sys::recv_uncut(fd, buf)
    }

    /// A plain `recv`: cheaper than `recvmsg`, whose header the kernel
    /// copies in and out.
    #[inline(always)]
    fn take(&mut self, fd: BorrowedFd<'_>, frame: &mut [u8]) -> SysResult<usize> {
        sys::recv(fd, frame, libc::MSG_TRUNC)
    }

    #[inline(always)]
    fn take2(&mut self, fd: BorrowedFd<'_>, head: &mut [u8], body: &mut [u8], flags: i32) -> SysResult<usize> {
        sys::recvv(fd, &mut [IoSliceMut::new(head), IoSliceMut::new(body)], flags)
    }
}

/// The descriptors collected while one frame is read.
struct Collected<'s> {
    slots: &'s mut [RawFd],
    /// Slots filled.
    got: usize,
    /// Descriptors arrived that had no slot (closed by then).
    lost: usize,
    /// The kernel could not deliver all of them (`MSG_CTRUNC`).
    ctrunc: bool,
}

impl Collected<'_> {
    /// Keeps what one receive brought: descriptors while slots last.
    #[inline(always)]
    fn keep(&mut self, g: &cmsg::Got) {
        self.got += g.anc.nfds;
        self.lost += g.anc.closed;
        self.ctrunc |= g.flags & libc::MSG_CTRUNC != 0;
    }

    fn close_all(&mut self) {
        for &fd in &self.slots[..self.got] {
            let _ = sys::close(fd);
        }
        self.got = 0;
    }
}

impl Reader for Collected<'_> {
    #[inline(always)]
    fn read(&mut self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
        let g = cmsg::recv(fd, buf, &mut self.slots[self.got..], None, libc::MSG_WAITALL | libc::MSG_TRUNC)?;
        self.keep(&g);
        if g.bytes > buf.len() {
            return Err(EPROTOTYPE);
        }
        Ok(g.bytes)
    }

    #[inline(always)]
    fn take(&mut self, fd: BorrowedFd<'_>, frame: &mut [u8]) -> SysResult<usize> {
        let g = cmsg::recv(fd, frame, &mut self.slots[self.got..], None, libc::MSG_TRUNC)?;
        self.keep(&g);
        Ok(g.bytes)
    }

    #[inline(always)]
    fn take2(&mut self, fd: BorrowedFd<'_>, head: &mut [u8], body: &mut [u8], flags: i32) -> SysResult<usize> {
        let parts = &mut [IoSliceMut::new(head), IoSliceMut::new(body)];
        let g = cmsg::recvv(fd, parts, &mut self.slots[self.got..], flags)?;
        self.keep(&g);
        Ok(g.bytes)
    }
}

/// Receives one frame into `buf` and the descriptors that came with it
/// into `fds` (after those it holds).
///
/// Descriptors that arrive with any byte of the frame belong to it and to
/// no other: every read stops at the frame's last byte, so they never move
/// to a neighbouring frame however the sender's writes were cut or
/// coalesced. Other control data (credentials, a pidfd) is discarded, its
/// descriptors closed.
///
/// Returns [`Frame::Data`] with the descriptors added to `fds`;
/// [`Frame::Eof`]; [`Frame::TooLarge`] (the frame is dropped and its
/// descriptors closed). Errors: `EXFULL` when more descriptors came than
/// `fds` has room for (or the process may open): the frame is consumed and
/// all of its descriptors closed; `ECONNRESET` (the stream ended inside
/// the frame: its descriptors closed); as [`recv_frame`] otherwise (a
/// message that holds exactly one frame is that frame). On every error
/// `fds` holds what it held before.
pub fn recv_frame_fds(fd: BorrowedFd<'_>, buf: &mut [u8], fds: &mut FdBuf<'_>) -> Result<Frame> {
    let cap = fds.spare().len();
    let mut c = Collected { slots: fds.spare(), got: 0, lost: 0, ctrunc: false };
    let r = read_frame(fd, buf, &mut c, "recv_frame_fds");
    match r {
        Ok(Frame::Data(n)) if c.lost == 0 && !c.ctrunc => {
            let got = c.got;
            fds.commit(got);
            Ok(Frame::Data(n))
        }
        Ok(Frame::Data(n)) => {
            let arrived = c.got + c.lost;
            c.close_all();
            if arrived == 0 {
                // Room was offered, so the kernel could not install them.
                return Err(err!(
                    EXFULL,
                    "recv_frame_fds on fd {}: the {n}-byte frame's descriptors could not be installed (the process \
                     may open no more: RLIMIT_NOFILE); the frame was consumed",
                    fd.as_raw_fd()
                ));
            }
            Err(err!(
                EXFULL,
                "fd {}: a {n}-byte frame with {}{arrived} fds for {cap} slots (or RLIMIT_NOFILE); all closed",
                fd.as_raw_fd(),
                if c.ctrunc { "at least " } else { "" }
            ))
        }
        other => {
            c.close_all();
            other
        }
    }
}

/// The bytes the first peek of a frame read looks at: a frame of up to
/// `PEEK - 4` bytes that has wholly arrived is read in one receive.
const PEEK: usize = 256;

/// The frame reader behind [`recv_frame`] and [`recv_frame_fds`].
///
/// First one peek (`MSG_PEEK | MSG_TRUNC`, no control buffer, so no
/// descriptor is installed; a blocking socket waits for a byte, a
/// non-blocking one fails with `EAGAIN` having consumed nothing). When it
/// shows a whole frame that fits `buf`, one receive of exactly the
/// frame's bytes into the peek buffer takes it, and the body is copied
/// out: a stream's peek stops where a receive would (after a write that
/// carried descriptors, between writers with different credentials), so
/// the receive gets all of them and never reads past the frame. Anything
/// else (a longer frame, part of a prefix, the end) takes
/// [`read_frame_slow`].
#[inline(always)]
fn read_frame(fd: BorrowedFd<'_>, buf: &mut [u8], r: &mut impl Reader, what: &str) -> Result<Frame> {
    let mut peek = [0u8; PEEK];
    match sys::recv(fd, &mut peek, libc::MSG_PEEK | libc::MSG_TRUNC) {
        Ok(n) if n >= 4 => {
            let len = u32::from_ne_bytes([peek[0], peek[1], peek[2], peek[3]]) as usize;
            // On a message socket, n is the whole message's length.
            if len <= buf.len() && 4 + len <= n.min(PEEK) {
                return read_whole(fd, &mut peek[..4 + len], &mut buf[..len], r, what);
            }
            if len <= buf.len() && n >= PEEK {
                return read_long(fd, n, &mut buf[..len], r, what);
            }
            if len > buf.len() && n == 4 + len {
                if let Some(dropped) = drop_record(fd, len, r, what) {
                    return dropped;
                }
            }
        }
        Ok(_) => {}
        // Nothing consumed; and a blocking socket's SO_RCVTIMEO has run out
        // once already.
        Err(EAGAIN) => return Err(err!(EAGAIN, "{what} on fd {}: no frame has arrived; nothing consumed", fd.as_raw_fd())),
        // An error the peek took (a socket's pending error is reported
        // once), or EINTR before anything was transferred.
        Err(e) => return Err(sys_err!(e, "{what} on fd {}", fd.as_raw_fd())),
    }
    read_frame_slow(fd, buf, r, what)
}

/// Reads into `frame` a frame that the peek showed whole, and copies its
/// body into `body` (`frame.len() == 4 + body.len()`).
#[inline(always)]
fn read_whole(fd: BorrowedFd<'_>, frame: &mut [u8], body: &mut [u8], r: &mut impl Reader, what: &str) -> Result<Frame> {
    match r.take(fd, frame) {
        Ok(n) if n == frame.len() => {
            body.copy_from_slice(&frame[4..]);
            Ok(Frame::Data(body.len()))
        }
        Ok(n) => {
            if n > 4 && n < frame.len() {
                body[..n - 4].copy_from_slice(&frame[4..n]);
            }
            read_whole_rest(fd, body, n, r, what)
        }
        Err(e) => Err(sys_err!(e, "{what} on fd {}", fd.as_raw_fd())),
    }
}

/// A frame that fits `body` but not the peek buffer, whose prefix the peek
/// showed along with `n` bytes (on a message socket: the message's whole
/// length). A message of exactly the frame is read in one receive; so is
/// the frame on a blocking stream (`MSG_WAITALL`; a descriptor's write or
/// a signal may cut it short, and the rest is then read as
/// [`read_frame_slow`] would). A non-blocking stream, or a message of any
/// other length: [`read_frame_slow`].
#[inline(never)]
fn read_long(fd: BorrowedFd<'_>, n: usize, body: &mut [u8], r: &mut impl Reader, what: &str) -> Result<Frame> {
    let len = body.len();
    let message = n > PEEK;
    if (message && n != 4 + len) || (!message && sys::nonblocking(fd)) {
        return read_frame_slow(fd, body, r, what);
    }
    let flags = if message { libc::MSG_TRUNC } else { libc::MSG_WAITALL | libc::MSG_TRUNC };
    let mut head = [0u8; 4];
    match r.take2(fd, &mut head, body, flags) {
        Ok(n) if n == 4 + len => Ok(Frame::Data(len)),
        Ok(n) => read_whole_rest(fd, body, n, r, what),
        Err(e) => Err(sys_err!(e, "{what} on fd {}", fd.as_raw_fd())),
    }
}

/// The receive of a frame whose prefix the peek showed returned `n`, not
/// the frame's `4 + body.len()` bytes (the first `n - 4` of the body are
/// in `body`): on a message socket, a message holding more than one frame
/// (or, were another thread reading it, some other message): it is
/// consumed, `EPROTOTYPE`. On a stream, the rest of the frame is read as
/// [`read_frame_slow`] would.
#[cold]
#[inline(never)]
fn read_whole_rest(fd: BorrowedFd<'_>, body: &mut [u8], n: usize, r: &mut impl Reader, what: &str) -> Result<Frame> {
    let len = body.len();
    if n > 4 + len || !is_stream(fd) {
        return Err(not_a_stream(fd, what));
    }
    let read = &mut |b: &mut [u8]| r.read(fd, b);
    let rest = if n < 4 {
        let mut head = [0u8; 4];
        fill_with(fd, &mut head[n..], true, read).and_then(|f| match f {
            Fill::Full => fill_with(fd, body, true, read),
            eof => Ok(eof),
        })
    } else {
        fill_with(fd, &mut body[n - 4..], true, read)
    };
    match rest {
        Ok(Fill::Full) => Ok(Frame::Data(len)),
        Ok(Fill::Eof(_)) => Err(ended(fd, n.saturating_sub(4), len, what)),
        Err((e, _)) => Err(sys_err!(e, "{what} on fd {}: after {n} bytes of a {len}-byte frame", fd.as_raw_fd())),
    }
}

/// A frame read that the peek could not settle: the prefix, then the body,
/// each read whole.
// Out of line: it keeps the common path small.
#[inline(never)]
fn read_frame_slow(fd: BorrowedFd<'_>, buf: &mut [u8], r: &mut impl Reader, what: &str) -> Result<Frame> {
    let read = &mut |b: &mut [u8]| r.read(fd, b);
    let nonblocking = sys::nonblocking(fd);
    if nonblocking {
        whole_frame_queued(fd, what)?;
    }
    // A message socket that is non-blocking never waits for a body sent as
    // a message of its own: the prefix is taken by then, so the frame is cut.
    let wait_for_body = !nonblocking || is_stream(fd);
    let mut header = [0u8; 4];
    match fill_with(fd, &mut header, false, read) {
        Ok(Fill::Full) => {}
        // On a message socket, an empty message reads the same as the end.
        Ok(Fill::Eof(0)) if !is_stream(fd) => return Err(not_a_stream(fd, what)),
        Ok(Fill::Eof(0)) => return Ok(Frame::Eof),
        Ok(Fill::Eof(got)) => {
            return Err(err!(ECONNRESET, "{what} on fd {}: stream ended inside a length prefix ({got} of 4 bytes)", fd.as_raw_fd()))
        }
        Err((EPROTOTYPE, _)) => return Err(not_a_stream(fd, what)),
        Err((e, _)) => return Err(sys_err!(e, "{what} on fd {}", fd.as_raw_fd())),
    }
    let len = u32::from_ne_bytes(header) as usize;
    if len <= buf.len() {
        return match fill_with(fd, &mut buf[..len], wait_for_body, read) {
            Ok(Fill::Full) => Ok(Frame::Data(len)),
            Err((EAGAIN, 0)) if !wait_for_body => Err(err!(
                EPROTOTYPE,
                "{what} on fd {}: non-blocking, and the {len}-byte body of a prefix sent as a message of its own is not here: the frame is cut",
                fd.as_raw_fd()
            )),
            Ok(Fill::Eof(got)) => Err(ended(fd, got, len, what)),
            Err((EPROTOTYPE, _)) => Err(not_a_stream(fd, what)),
            Err((e, got)) => Err(sys_err!(e, "{what} on fd {}: after {got} of {len} bytes", fd.as_raw_fd())),
        };
    }
    drop_frame(fd, len, read, what)
}

/// On a non-blocking stream: `Ok` once a whole frame is queued (looked at
/// without consuming anything: the prefix by a peek, the rest by the
/// queued byte count), or once the peer has hung up (reading then cannot
/// wait); `EAGAIN` otherwise. Message sockets: `Ok` (one receive takes a
/// whole message or nothing).
#[cold]
#[inline(never)]
fn whole_frame_queued(fd: BorrowedFd<'_>, what: &str) -> Result<()> {
    if !is_stream(fd) || sys::peer_hung_up(fd) {
        return Ok(());
    }
    let mut header = [0u8; 4];
    let peeked = match sys::recv(fd, &mut header, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
        Ok(0) => return Ok(()),
        Ok(4) => 4,
        // A peek stops at a write that carried descriptors: look past it.
        Ok(_) => sys::peek_across(fd, &mut header).map_err(|e| sys_err!(e, "{what} on fd {}: peek", fd.as_raw_fd()))?,
        Err(EAGAIN) => return Err(err!(EAGAIN, "{what} on fd {}: non-blocking, and no frame has arrived", fd.as_raw_fd())),
        // Let the read report it.
        Err(_) => return Ok(()),
    };
    if peeked < 4 {
        return Err(err!(EAGAIN, "{what} on fd {}: non-blocking, and {peeked} of a length prefix's 4 bytes are here", fd.as_raw_fd()));
    }
    queued(fd, 4 + u64::from(u32::from_ne_bytes(header)), what)
}

/// A frame too large for the caller's buffer: read and dropped through a
/// scratch buffer. Out of line, so that the common path does not set up
/// (and probe) a 16 KiB stack frame on every call.
#[cold]
#[inline(never)]
fn drop_frame(
    fd: BorrowedFd<'_>,
    len: usize,
    read: &mut impl FnMut(&mut [u8]) -> SysResult<usize>,
    what: &str,
) -> Result<Frame> {
    let mut scratch = [0u8; 16384];
    let mut left = len;
    while left > 0 {
        let n = left.min(scratch.len());
        match fill_with(fd, &mut scratch[..n], true, read) {
            Ok(Fill::Full) => left -= n,
            Ok(Fill::Eof(got)) => return Err(ended(fd, len - left + got, len, what)),
            Err((EPROTOTYPE, _)) => return Err(not_a_stream(fd, what)),
            Err((e, _)) => return Err(sys_err!(e, "{what} on fd {}: dropping a {len}-byte frame", fd.as_raw_fd())),
        }
    }
    Ok(Frame::TooLarge(len))
}

/// On a socket that keeps message boundaries, the peek showed a message
/// holding exactly one frame of `len` bytes, too large for the caller's
/// buffer: the message is consumed (its descriptors go to `r`, and are
/// closed with the rest of a frame that is not delivered) and the frame
/// reported as too large, as on a stream. `None` on a stream, whose
/// queued bytes happened to end with the frame: the stream's way of
/// dropping a frame applies.
#[cold]
#[inline(never)]
fn drop_record(fd: BorrowedFd<'_>, len: usize, r: &mut impl Reader, what: &str) -> Option<Result<Frame>> {
    if is_stream(fd) {
        return None;
    }
    let mut head = [0u8; 4];
    Some(match r.take(fd, &mut head) {
        Ok(_) => Ok(Frame::TooLarge(len)),
        Err(e) => Err(sys_err!(e, "{what} on fd {}: dropping a {len}-byte frame", fd.as_raw_fd())),
    })
}

/// A message that is not exactly one frame arrived on a socket that keeps
/// message boundaries.
#[cold]
fn not_a_stream(fd: BorrowedFd<'_>, what: &str) -> Error {
    err!(
        EPROTOTYPE,
        "{what} on fd {}: keeps message boundaries, and a message was not one whole frame; consumed",
        fd.as_raw_fd()
    )
}

/// The stream ended `got` bytes into a `len`-byte frame.
#[cold]
fn ended(fd: BorrowedFd<'_>, got: usize, len: usize, what: &str) -> Error {
    err!(ECONNRESET, "{what} on fd {}: stream ended after {got} of a {len}-byte frame", fd.as_raw_fd())
}
