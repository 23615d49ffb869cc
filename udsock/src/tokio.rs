//! Descriptors and frames with descriptors on tokio's
//! [`UnixStream`], awaited (the `tokio` feature).
//!
//! Each call waits for readiness (`readable().await` or
//! `writable().await`), then makes the same non-blocking system call the
//! rest of the crate makes inside
//! [`try_io`](::tokio::net::UnixStream::try_io), so that an `EAGAIN`
//! clears tokio's readiness and the call waits again. Nothing here needs a
//! particular runtime flavour: only tokio's `net` feature.
//!
//! * [`send_fds`] / [`recv_fds`]: one message with descriptors, as
//!   [`FdExt`] sends and receives it on a blocking
//!   socket (the same rules: see [`crate::fds`]).
//! * [`FrameReader`] and [`FrameWriter`]: length-prefixed frames
//!   ([`crate::frame`]'s wire format) with descriptors, on the resumable
//!   [`Reader`] and [`Writer`] of [`crate::stream`]. A frame that arrives
//!   in pieces is put together across waits, its descriptors kept with it;
//!   a frame the kernel takes only part of is finished on the next wake-up.
//!
//! Errors are [`io::Error`]s that keep the errno
//! ([`raw_os_error`](io::Error::raw_os_error)).
//!
//! Cancellation: dropping a [`send_fds`], [`recv_fds`] or
//! [`FrameReader::read_frame`] future loses nothing (the system calls are
//! made between waits, never across one; a reader keeps its partial frame
//! and descriptors). A [`FrameWriter::send_frame_fds`] future dropped after
//! part of the frame went leaves the writer mid-frame
//! ([`FrameWriter::is_idle`] is false): send the same frame again to finish
//! it, or the stream is out of step.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use std::os::fd::AsFd;
//! use tokio::net::UnixStream;
//! use udsock::tokio::{recv_fds, send_fds, FrameReader, FrameWriter};
//!
//! let (a, b) = UnixStream::pair()?;
//! let file = std::fs::File::open("/dev/null")?;
//!
//! send_fds(&a, b"here", &[file.as_fd()]).await?;
//! let mut buf = [0u8; 16];
//! let mut fds = Vec::new();
//! let n = recv_fds(&b, &mut buf, &mut fds).await?;
//! assert_eq!((&buf[..n], fds.len()), (&b"here"[..], 1));
//!
//! let mut writer = FrameWriter::new();
//! writer.send_frame_fds(&a, b"a frame", &[file.as_fd()]).await?;
//! let mut reader = FrameReader::new(4096, 4)?;
//! let frame = reader.read_frame(&b).await?.expect("a frame");
//! assert_eq!(frame.data, b"a frame");
//! let fds: Vec<std::os::fd::OwnedFd> = frame.fds.into_owned().collect();
//! assert_eq!(fds.len(), 1);
//! # Ok(())
//! # }
//! ```

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use ::tokio::io::Interest;
use ::tokio::net::UnixStream;

use crate::ext::FdExt;
use crate::stream::{Frame, Reader, Writer};
use crate::sys::EINPROGRESS;

/// Sends `data` with 1 to [`MAX_FDS`](crate::fds::MAX_FDS) descriptors in
/// one message, once the stream is writable. Returns the bytes of `data`
/// sent: fewer than `data.len()` when the socket filled up part-way (the
/// descriptors went with the first part; send the rest as plain data).
/// An empty `data` sends one zero byte as the carrier and returns 0.
///
/// Errors: as [`crate::fds::send_fds`] (`EINVAL`, `EBADF`, `EPIPE`, …).
pub async fn send_fds(stream: &UnixStream, data: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
    loop {
        stream.writable().await?;
        match stream.try_io(Interest::WRITABLE, || stream.as_fd().send_fds(data, fds)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => return r,
        }
    }
}

/// Receives one message into `data` once the stream is readable, appending
/// the descriptors that came with it to `fds` (close-on-exec, in the order
/// they arrived). Returns the bytes received: 0 at the end of the stream.
///
/// Errors: as [`FdExt::recv_fds`]: `EXFULL` for a message with more
/// descriptors than the process may open (all closed, its data consumed).
pub async fn recv_fds(stream: &UnixStream, data: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
    loop {
        stream.readable().await?;
        match stream.try_io(Interest::READABLE, || stream.as_fd().recv_fds(data, fds)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            r => return r,
        }
    }
}

/// Reads frames with descriptors from a [`UnixStream`]: a [`Reader`] that
/// waits. A frame that arrives in pieces (and its descriptors) is kept
/// across waits, so a dropped [`FrameReader::read_frame`] future loses
/// nothing.
///
/// One reader per stream, from its first byte (or a frame boundary) on.
/// Its memory is allocated once, in [`FrameReader::new`]; reading does not
/// allocate. Dropping it closes the descriptors it still holds.
#[derive(Debug)]
pub struct FrameReader {
    reader: Reader,
}

impl FrameReader {
    /// A reader for frames of at most `max_frame` bytes carrying at most
    /// `max_fds` descriptors each (see [`Reader::new`]).
    ///
    /// Errors: `EINVAL` (a limit out of range), `ENOMEM`.
    pub fn new(max_frame: usize, max_fds: usize) -> io::Result<FrameReader> {
        Ok(FrameReader { reader: Reader::new(max_frame, max_fds)? })
    }

    /// The next frame from `stream`, waiting for it as long as it takes:
    /// `Ok(Some(frame))` (borrowed until the next call; descriptors not
    /// taken from `frame.fds` are closed when it is dropped), or `Ok(None)`
    /// at a clean end of the stream between frames.
    ///
    /// Errors, after which the stream stays in step and the next call reads
    /// on: `EMSGSIZE` (a frame over the limit, dropped as it arrives),
    /// `EXFULL` (a frame with more descriptors than the limit, all closed).
    /// Otherwise: `ECONNRESET` (the stream ended inside a frame),
    /// `EPROTOTYPE`, and whatever `recvmsg` reports. See [`Reader`].
    pub async fn read_frame(&mut self, stream: &UnixStream) -> io::Result<Option<Frame<'_>>> {
        loop {
            stream.readable().await?;
            let reader = &mut self.reader;
            match stream.try_io(Interest::READABLE, || Ok(reader.advance(stream.as_fd())?)) {
                Ok(true) => return Ok(Some(self.reader.frame())),
                Ok(false) => return Ok(None),
                // 64 reads made and more is waiting: readiness is still
                // set, so the wait returns at once (within tokio's budget).
                Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.raw_os_error() == Some(EINPROGRESS) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Bytes and descriptors of an incomplete frame it holds (see
    /// [`Reader::pending`]).
    pub fn pending(&self) -> (usize, usize) {
        self.reader.pending()
    }

    /// The [`Reader`] underneath, with whatever it holds.
    pub fn into_inner(self) -> Reader {
        self.reader
    }
}

impl From<Reader> for FrameReader {
    fn from(reader: Reader) -> FrameReader {
        FrameReader { reader }
    }
}

/// Sends frames with descriptors on a [`UnixStream`]: a [`Writer`] that
/// waits for room. Two integers; it never allocates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameWriter {
    writer: Writer,
}

impl FrameWriter {
    /// A writer with no frame in progress.
    pub const fn new() -> FrameWriter {
        FrameWriter { writer: Writer::new() }
    }

    /// Sends `data` as one frame with 0 to [`MAX_FDS`](crate::fds::MAX_FDS)
    /// descriptors on its first byte, waiting for room as often as the
    /// kernel takes only part of it; returns once all of it has gone. If a
    /// frame is in progress (an earlier call's future was dropped), `data`
    /// and `fds` must be that frame's: it is finished.
    ///
    /// Errors: as [`Writer::send`]: `EMSGSIZE` (over `u32::MAX` bytes),
    /// `EINVAL` (too many descriptors, or another frame while one is in
    /// progress), and whatever `sendmsg` reports (`EPIPE`, …; if part of
    /// the frame had gone, the stream is broken mid-frame).
    pub async fn send_frame_fds(&mut self, stream: &UnixStream, data: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        loop {
            stream.writable().await?;
            let writer = &mut self.writer;
            match stream.try_io(Interest::WRITABLE, || Ok(writer.send(stream.as_fd(), data, fds)?)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return r,
            }
        }
    }

    /// [`FrameWriter::send_frame_fds`] with no descriptors.
    pub async fn send_frame(&mut self, stream: &UnixStream, data: &[u8]) -> io::Result<()> {
        self.send_frame_fds(stream, data, &[]).await
    }

    /// Whether no frame is in progress.
    pub fn is_idle(&self) -> bool {
        self.writer.is_idle()
    }

    /// The [`Writer`] underneath, with its progress.
    pub fn into_inner(self) -> Writer {
        self.writer
    }
}

impl From<Writer> for FrameWriter {
    fn from(writer: Writer) -> FrameWriter {
        FrameWriter { writer }
    }
}
