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

use std::io::IoSlice;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::error::{err, sys_err, Error, Result};
use crate::io::{fill, is_stream, retry_mid_transfer, Fill};
use crate::sys::{self, ECONNRESET, EMSGSIZE, EPROTOTYPE, POLLOUT};

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
    let header = frame_len(buf.len())?.to_ne_bytes();
    let total = header.len() + buf.len();
    let mut sent = 0;
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
                    return Err(sys_err!(e, "send_frame on fd {}: after {sent} of {total} bytes", fd.as_raw_fd()));
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
/// A socket that keeps message boundaries (`SOCK_SEQPACKET`, `SOCK_DGRAM`)
/// cannot carry frames: wherever a message boundary would cut or merge a
/// frame, or an empty message would pass for the end, `EPROTOTYPE`.
pub fn recv_frame(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Frame> {
    let mut header = [0u8; 4];
    match fill(fd, &mut header, false) {
        Ok(Fill::Full) => {}
        // On a message socket, an empty message reads the same as the end.
        Ok(Fill::Eof(0)) if !is_stream(fd) => return Err(not_a_stream(fd)),
        Ok(Fill::Eof(0)) => return Ok(Frame::Eof),
        Ok(Fill::Eof(got)) => {
            return Err(err!(ECONNRESET, "recv_frame on fd {}: stream ended inside a length prefix ({got} of 4 bytes)", fd.as_raw_fd()))
        }
        Err((EPROTOTYPE, _)) => return Err(not_a_stream(fd)),
        Err((e, _)) => return Err(sys_err!(e, "recv_frame on fd {}", fd.as_raw_fd())),
    }
    let len = u32::from_ne_bytes(header) as usize;
    if len <= buf.len() {
        return match fill(fd, &mut buf[..len], true) {
            Ok(Fill::Full) => Ok(Frame::Data(len)),
            Ok(Fill::Eof(got)) => Err(ended(fd, got, len)),
            Err((EPROTOTYPE, _)) => Err(not_a_stream(fd)),
            Err((e, got)) => Err(sys_err!(e, "recv_frame on fd {}: after {got} of {len} bytes", fd.as_raw_fd())),
        };
    }
    drop_frame(fd, len)
}

/// A frame too large for the caller's buffer: read and dropped through a
/// scratch buffer. Out of line, so that the common path does not set up
/// (and probe) a 16 KiB stack frame on every call.
#[cold]
#[inline(never)]
fn drop_frame(fd: BorrowedFd<'_>, len: usize) -> Result<Frame> {
    let mut scratch = [0u8; 16384];
    let mut left = len;
    while left > 0 {
        let n = left.min(scratch.len());
        match fill(fd, &mut scratch[..n], true) {
            Ok(Fill::Full) => left -= n,
            Ok(Fill::Eof(got)) => return Err(ended(fd, len - left + got, len)),
            Err((EPROTOTYPE, _)) => return Err(not_a_stream(fd)),
            Err((e, _)) => return Err(sys_err!(e, "recv_frame on fd {}: dropping a {len}-byte frame", fd.as_raw_fd())),
        }
    }
    Ok(Frame::TooLarge(len))
}

/// A message longer than a length prefix arrived on a socket that keeps
/// message boundaries: frames need a stream.
#[cold]
fn not_a_stream(fd: BorrowedFd<'_>) -> Error {
    err!(
        EPROTOTYPE,
        "recv_frame on fd {}: the socket keeps message boundaries (not SOCK_STREAM), so a frame's prefix and body \
         cannot be read apart; the message that arrived was consumed",
        fd.as_raw_fd()
    )
}

/// The stream ended `got` bytes into a `len`-byte frame.
#[cold]
fn ended(fd: BorrowedFd<'_>, got: usize, len: usize) -> Error {
    err!(ECONNRESET, "recv_frame on fd {}: stream ended after {got} of a {len}-byte frame", fd.as_raw_fd())
}
