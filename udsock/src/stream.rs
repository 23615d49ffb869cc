//! Frames with descriptors on non-blocking sockets, for event loops
//! (epoll, poll, mio, async runtimes): a [`Reader`] that takes a frame in
//! as many pieces as the socket gives it, and a [`Writer`] that sends one
//! in as many pieces as the kernel takes.
//!
//! The wire format is [`crate::frame`]'s: a 4-byte native-endian length,
//! then that many bytes. Descriptors (`SCM_RIGHTS`) that arrive with any
//! byte of a frame belong to that frame and to no other: the reader never
//! asks the kernel for a byte past the current frame's last one (first the
//! 4-byte prefix, then exactly the body's remaining bytes), so descriptors
//! that a sender attached to a later write can never come out with an
//! earlier frame, however the writes were cut or coalesced. A sender's
//! write that spans two frames hands its descriptors over with its first
//! byte: they belong to the frame holding that byte.
//!
//! Neither side waits: every call uses `MSG_DONTWAIT` and returns
//! `EAGAIN` when the socket has nothing more (reader) or no room (writer),
//! with everything kept for the next call. Neither side allocates after
//! [`Reader::new`]: the reader's frame buffer and descriptor slots are one
//! allocation made there, and the writer is two integers.
//!
//! ```
//! use std::os::fd::AsFd;
//! use udsock::stream::{Reader, Writer};
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_STREAM | libc::SOCK_NONBLOCK).unwrap();
//! let file = std::fs::File::open("/dev/null").unwrap();
//!
//! let mut w = Writer::new();
//! w.send(a.as_fd(), b"here is a file", &[file.as_fd()]).unwrap();
//!
//! let mut r = Reader::new(4096, 4).unwrap();
//! if let Some(frame) = r.read(b.as_fd()).unwrap() {
//!     assert_eq!(frame.data, b"here is a file");
//!     let fds: Vec<std::os::fd::OwnedFd> = frame.fds.into_owned().collect();
//!     assert_eq!(fds.len(), 1);
//! }
//! // Nothing more yet: EAGAIN, which std::io::Error reads as WouldBlock.
//! let e = r.read(b.as_fd()).unwrap_err();
//! assert_eq!(e.errno(), libc::EAGAIN);
//! ```

use std::io::IoSlice;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use crate::error::{err, sys_err, Error, Result};
use crate::fds::{FdBuf, MAX_FDS};
use crate::frame::frame_len;
use crate::sys::cmsg::{self, Aligned, Got, CONTROL_LEN};
use crate::sys::stream::FrameStore;
use crate::sys::{self, EAGAIN, ECONNRESET, EINPROGRESS, EINTR, EINVAL, EMSGSIZE, EPROTOTYPE, EXFULL, MSG_DONTWAIT};

/// The most `recvmsg` calls one [`Reader::read`] makes, so that a peer
/// that trickles a frame (one byte per write, each with a descriptor)
/// cannot hold an event loop: past it, `read` fails with `EINPROGRESS`.
const READS_PER_CALL: usize = 64;

/// The most descriptor slots a reader may have for one frame.
const MAX_READER_FDS: usize = 65536;

/// How much of an oversized frame one `recvmsg` drops, at most.
const SKIP_CHUNK: usize = 16384;

/// Where a reader is in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Reading a length prefix (`got` < 4 bytes of it so far).
    Prefix,
    /// Reading a body of `len` bytes into the buffer.
    Body,
    /// Dropping a body larger than the buffer (reported with `EMSGSIZE`).
    Skip,
    /// The last call returned a frame: the next one starts afresh.
    Delivered,
}

/// A complete frame, as [`Reader::read`] returns it: borrowed from the
/// reader until its next call.
#[derive(Debug)]
pub struct Frame<'a> {
    /// The frame's bytes.
    pub data: &'a [u8],
    /// The descriptors that came with it, in the order they arrived
    /// (close-on-exec). Those not taken are closed when it is dropped.
    pub fds: FdBuf<'a>,
}

/// Reads frames with descriptors from a non-blocking stream socket, a
/// piece at a time, keeping a partial frame and its descriptors between
/// calls.
///
/// Made with two limits: the largest frame body it accepts and the most
/// descriptors one frame may carry. Its memory (the frame buffer and the
/// descriptor slots) is allocated once, in [`Reader::new`]; reading never
/// allocates. Dropping it closes every descriptor it still holds.
///
/// The same reader must be used for one socket from its first byte (or
/// from a frame boundary) on: it holds that socket's partial frame.
///
/// Error handling, chosen so that the stream stays in step whenever it can:
/// * a length prefix over the limit (a hostile 4 GiB prefix): `EMSGSIZE`
///   at once, the descriptors that came with it closed; the following
///   calls drop that frame's bytes as they arrive (closing any descriptor
///   that comes with them) and go on with the next frame. A caller that
///   would rather not read a peer's 4 GiB closes the connection instead.
/// * more descriptors than the limit, or any the kernel could not deliver
///   (`MSG_CTRUNC`: too many for the room offered, or `RLIMIT_NOFILE`):
///   all of the frame's descriptors are closed and, once the frame is
///   complete (consumed), `EXFULL`.
/// * the end of the stream inside a frame: `ECONNRESET`, the partial frame
///   dropped and its descriptors closed; between frames it is `Ok(None)`.
/// * a socket that keeps message boundaries (a read that cut a message,
///   `MSG_TRUNC`): `EPROTOTYPE`, the partial frame dropped.
pub struct Reader {
    store: FrameStore,
    prefix: [u8; 4],
    /// Bytes of the current frame read so far, its prefix included.
    got: usize,
    /// The body's length, once the prefix is whole.
    len: usize,
    /// Descriptors held for the current frame: the first slots.
    nfds: usize,
    /// Some of the current frame's descriptors were lost (over the limit,
    /// or cut by the kernel): the others have been closed, and the frame
    /// is reported as `EXFULL` once complete.
    lost: bool,
    phase: Phase,
}

impl Reader {
    /// A reader for frames of at most `max_frame` bytes (at most
    /// `u32::MAX`, the most a prefix can announce) carrying at most
    /// `max_fds` descriptors (at most 65536) each.
    ///
    /// Errors: `EINVAL` (a limit out of range), `ENOMEM`.
    pub fn new(max_frame: usize, max_fds: usize) -> Result<Reader> {
        if max_frame > u32::MAX as usize {
            return Err(err!(EINVAL, "max_frame {max_frame}: a length prefix announces at most 4294967295 bytes"));
        }
        if max_fds > MAX_READER_FDS {
            return Err(err!(EINVAL, "max_fds {max_fds}: a reader holds at most {MAX_READER_FDS} descriptors a frame"));
        }
        let store = FrameStore::new(max_frame, max_fds).ok_or_else(|| {
            err!(libc::ENOMEM, "no memory for a {max_frame}-byte frame buffer and {max_fds} descriptor slots")
        })?;
        Ok(Reader { store, prefix: [0; 4], got: 0, len: 0, nfds: 0, lost: false, phase: Phase::Prefix })
    }

    /// The largest frame body it accepts.
    pub fn max_frame(&self) -> usize {
        self.store.bytes()
    }

    /// The most descriptors a frame may carry.
    pub fn max_fds(&self) -> usize {
        self.store.slots()
    }

    /// Bytes of an incomplete frame it holds (its prefix included), and
    /// descriptors: `(0, 0)` between frames.
    pub fn pending(&self) -> (usize, usize) {
        match self.phase {
            Phase::Delivered => (0, 0),
            _ => (self.got, self.nfds),
        }
    }

    /// Reads from `sock` until a frame is complete, the socket has nothing
    /// more, or 64 reads were made (`recvmsg` with `MSG_DONTWAIT`, each
    /// for at most the rest of the current frame's prefix or body).
    ///
    /// Returns `Ok(Some(frame))` for a complete frame (borrowed until the
    /// next call), `Ok(None)` at a clean end of stream between frames, or:
    /// * `EAGAIN`: no complete frame yet; what arrived is kept;
    /// * `EINPROGRESS`: 64 reads made and the frame is still incomplete:
    ///   more is waiting, call again (no new readiness event will say so);
    /// * `EMSGSIZE`: the frame announced is larger than the limit (see
    ///   [`Reader`]); `EXFULL`: it carried more descriptors than the limit;
    ///   `ECONNRESET`: the stream ended inside a frame; `EPROTOTYPE`: not
    ///   a stream; anything else `recvmsg` reports (`EBADF`, `ENOTSOCK`,
    ///   …; the partial frame is kept).
    pub fn read(&mut self, sock: BorrowedFd<'_>) -> Result<Option<Frame<'_>>> {
        Ok(if self.advance(sock)? { Some(self.frame()) } else { None })
    }

    /// [`Reader::read`] in two steps, for a caller that needs the reader
    /// again when the read fails ([`Reader::oversized`]): `Ok(true)` when a
    /// frame is complete, to be taken with [`Reader::frame`].
    pub fn advance(&mut self, sock: BorrowedFd<'_>) -> Result<bool> {
        if self.phase == Phase::Delivered {
            // Descriptors of the last frame that were not taken.
            self.discard();
        }
        for _ in 0..READS_PER_CALL {
            let r = if self.phase == Phase::Skip { self.recv_skip(sock) } else { self.recv_frame_bytes(sock) };
            let got = match r {
                Ok(got) => got,
                Err(EINTR) => continue,
                Err(EAGAIN) => return Err(self.would_block(sock)),
                Err(e) => return Err(sys_err!(e, "fd {}: recvmsg", sock.as_raw_fd())),
            };
            self.count_fds(&got);
            if got.flags & libc::MSG_TRUNC != 0 {
                return Err(self.not_a_stream(sock));
            }
            if got.bytes == 0 {
                if self.phase == Phase::Prefix && self.got == 0 {
                    return Ok(false);
                }
                return Err(self.ended(sock));
            }
            self.got += got.bytes;
            if self.phase == Phase::Prefix && self.got == 4 {
                self.len = u32::from_ne_bytes(self.prefix) as usize;
                if self.len > self.store.bytes() {
                    return Err(self.too_large(sock));
                }
                self.phase = Phase::Body;
            }
            if self.phase == Phase::Skip && self.got == 4 + self.len {
                self.restart();
            }
            if self.phase == Phase::Body && self.got == 4 + self.len {
                return self.deliver(sock).map(|()| true);
            }
        }
        Err(err!(
            EINPROGRESS,
            "fd {}: {READS_PER_CALL} reads made and the frame is not complete ({} bytes so far); call again",
            sock.as_raw_fd(),
            self.got
        ))
    }

    /// One `recvmsg` for the rest of the prefix or of the body, with room
    /// for the descriptors the frame may still carry.
    #[inline]
    fn recv_frame_bytes(&mut self, sock: BorrowedFd<'_>) -> sys::SysResult<Got> {
        let (buf, slots) = self.store.parts();
        let want: &mut [u8] = match self.phase {
            Phase::Prefix => &mut self.prefix[self.got..],
            _ => &mut buf[self.got - 4..self.len],
        };
        let room: &mut [RawFd] = if self.lost { &mut [] } else { &mut slots[self.nfds..] };
        cmsg::recv(sock, want, room, None, MSG_DONTWAIT)
    }

    /// One `recvmsg` that drops up to [`SKIP_CHUNK`] bytes of an oversized
    /// frame; descriptors that come with them are closed.
    #[cold]
    #[inline(never)]
    fn recv_skip(&mut self, sock: BorrowedFd<'_>) -> sys::SysResult<Got> {
        let mut scratch = [0u8; SKIP_CHUNK];
        let n = (4 + self.len - self.got).min(SKIP_CHUNK);
        cmsg::recv(sock, &mut scratch[..n], &mut [], None, MSG_DONTWAIT)
    }

    /// Accounts for the descriptors a read brought: kept in the slots, or,
    /// once any is lost, every one of the frame's closed.
    #[inline]
    fn count_fds(&mut self, got: &Got) {
        self.nfds += got.anc.nfds;
        if got.flags & libc::MSG_CTRUNC != 0 || got.anc.closed > 0 {
            self.lost = true;
        }
        if (self.lost || self.phase == Phase::Skip) && self.nfds > 0 {
            self.close_fds();
        }
    }

    /// Marks the complete frame ready (or reports `EXFULL`).
    #[inline]
    fn deliver(&mut self, sock: BorrowedFd<'_>) -> Result<()> {
        if self.lost {
            let len = self.len;
            self.discard();
            return Err(err!(
                EXFULL,
                "fd {}: a {len}-byte frame had more fds than the reader's {} (or RLIMIT_NOFILE); all closed",
                sock.as_raw_fd(),
                self.store.slots()
            ));
        }
        self.phase = Phase::Delivered;
        Ok(())
    }

    /// The frame [`Reader::advance`] completed, with its descriptors,
    /// which the returned [`Frame`] owns from now on; empty unless
    /// `advance` returned `true` (and empty when taken a second time).
    pub fn frame(&mut self) -> Frame<'_> {
        let n = if self.phase == Phase::Delivered { std::mem::take(&mut self.nfds) } else { 0 };
        let len = if self.phase == Phase::Delivered { self.len } else { 0 };
        let (buf, slots) = self.store.parts();
        let mut fds = FdBuf::new(&mut slots[..n]);
        fds.commit(n);
        Frame { data: &buf[..len], fds }
    }

    /// Closes the descriptors held for the current frame.
    fn close_fds(&mut self) {
        let (_, slots) = self.store.parts();
        for &fd in &slots[..self.nfds] {
            let _ = sys::close(fd);
        }
        self.nfds = 0;
    }

    /// Starts the next frame (the descriptors are closed or handed over).
    fn restart(&mut self) {
        debug_assert!(self.nfds == 0);
        self.got = 0;
        self.len = 0;
        self.lost = false;
        self.phase = Phase::Prefix;
    }

    /// Drops the partial frame and its descriptors.
    fn discard(&mut self) {
        self.close_fds();
        self.restart();
    }

    #[cold]
    fn would_block(&self, sock: BorrowedFd<'_>) -> Error {
        err!(EAGAIN, "fd {}: no complete frame yet ({} bytes kept)", sock.as_raw_fd(), self.got)
    }

    #[cold]
    fn too_large(&mut self, sock: BorrowedFd<'_>) -> Error {
        self.close_fds();
        self.phase = Phase::Skip;
        err!(
            EMSGSIZE,
            "fd {}: a {}-byte frame is over the reader's limit ({}); it is dropped as it comes",
            sock.as_raw_fd(),
            self.len,
            self.store.bytes()
        )
    }

    #[cold]
    fn ended(&mut self, sock: BorrowedFd<'_>) -> Error {
        let (got, nfds, len, prefix) = (self.got, self.nfds, self.len, self.phase == Phase::Prefix);
        self.discard();
        if prefix {
            err!(ECONNRESET, "fd {}: stream ended inside a length prefix ({got} of 4 bytes; {nfds} fds closed)", sock.as_raw_fd())
        } else {
            err!(ECONNRESET, "fd {}: stream ended after {} of a {len}-byte frame ({nfds} fds closed)", sock.as_raw_fd(), got - 4)
        }
    }

    #[cold]
    fn not_a_stream(&mut self, sock: BorrowedFd<'_>) -> Error {
        self.discard();
        err!(
            EPROTOTYPE,
            "fd {}: not SOCK_STREAM (a read cut a message); the partial frame was dropped",
            sock.as_raw_fd()
        )
    }

    /// The announced length of the frame being dropped after
    /// [`Reader::read`] failed with `EMSGSIZE` (`None` otherwise).
    pub fn oversized(&self) -> Option<usize> {
        (self.phase == Phase::Skip).then_some(self.len)
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.close_fds();
    }
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("max_frame", &self.max_frame())
            .field("max_fds", &self.max_fds())
            .field("pending", &self.pending())
            .finish()
    }
}

/// Sends frames with descriptors on a non-blocking stream socket, a piece
/// at a time: the state of a frame the kernel took only part of.
///
/// Call [`Writer::send`] with the frame; when it fails with `EAGAIN`, wait
/// until the socket is writable and call it again with the same bytes and
/// descriptors, until it returns `Ok(())`. Every byte goes exactly once;
/// the descriptors go with the frame's first byte (the call that sends
/// it), after which they are no longer looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Writer {
    /// Bytes of the frame in progress sent, its prefix included.
    sent: usize,
    /// That frame's size with its prefix; 0 when none is in progress.
    total: usize,
}

impl Writer {
    /// A writer with no frame in progress.
    pub const fn new() -> Writer {
        Writer { sent: 0, total: 0 }
    }

    /// Whether no frame is in progress.
    pub fn is_idle(&self) -> bool {
        self.total == 0
    }

    /// Bytes of the frame in progress sent so far (its 4-byte prefix
    /// included) and the frame's size with its prefix: `(0, 0)` when idle.
    pub fn progress(&self) -> (usize, usize) {
        (self.sent, self.total)
    }

    /// A writer in the state [`Writer::progress`] reported, for a layer
    /// that keeps the state elsewhere (the C library keeps it in the
    /// caller's struct). `EINVAL` for a state no writer can be in.
    pub fn resume(sent: usize, total: usize) -> Result<Writer> {
        if total == 0 && sent == 0 || total >= 4 && sent < total {
            return Ok(Writer { sent, total });
        }
        Err(err!(EINVAL, "writer state sent {sent} of {total} bytes is not one a writer can be in"))
    }

    /// Sends `data` as one frame with the descriptors `fds` (0 to
    /// [`MAX_FDS`]) on its first byte, or continues the frame in progress,
    /// which must be this one (the same bytes and descriptors).
    ///
    /// Returns `Ok(())` once the whole frame has gone (the writer is then
    /// idle), or:
    /// * `EAGAIN`: the socket is full; part of the frame may have gone.
    ///   Call again with the same frame when it is writable.
    /// * `EMSGSIZE`: over `u32::MAX` bytes; `EINVAL`: more than
    ///   [`MAX_FDS`] descriptors, or a frame of another length while one
    ///   is in progress;
    /// * whatever `sendmsg` reports (`EPIPE`, `EBADF`, `ETOOMANYREFS`, …).
    ///   If nothing of the frame had gone, the writer is idle again;
    ///   otherwise the stream is broken mid-frame and should be closed.
    pub fn send(&mut self, sock: BorrowedFd<'_>, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<()> {
        let prefix = frame_len(data.len())?.to_ne_bytes();
        if fds.len() > MAX_FDS {
            return Err(err!(EINVAL, "{} descriptors: one frame carries at most {MAX_FDS} (SCM_MAX_FD)", fds.len()));
        }
        let total = 4 + data.len();
        if self.total == 0 {
            self.total = total;
            self.sent = 0;
        } else if self.total != total {
            return Err(self.other_frame(total));
        }
        loop {
            let r = if self.sent == 0 {
                let parts = [IoSlice::new(&prefix), IoSlice::new(data)];
                if fds.is_empty() {
                    sys::sendv(sock, &parts, MSG_DONTWAIT)
                } else {
                    let mut control = Aligned::<CONTROL_LEN>::new();
                    let control = cmsg::build(control.uninit(0, CONTROL_LEN), fds, None);
                    cmsg::sendv(sock, &parts, control, MSG_DONTWAIT)
                }
            } else if self.sent < 4 {
                sys::sendv(sock, &[IoSlice::new(&prefix[self.sent..]), IoSlice::new(data)], MSG_DONTWAIT)
            } else {
                sys::send(sock, &data[self.sent - 4..], MSG_DONTWAIT)
            };
            match r {
                Ok(n) => {
                    self.sent += n;
                    if self.sent >= self.total {
                        *self = Writer::new();
                        return Ok(());
                    }
                }
                Err(EINTR) => {}
                Err(EAGAIN) => return Err(self.would_block(sock)),
                Err(e) => return Err(self.failed(sock, e, fds.len())),
            }
        }
    }

    #[cold]
    fn other_frame(&self, total: usize) -> Error {
        err!(
            EINVAL,
            "a frame of {} bytes while one of {} is in progress ({} sent): finish it first",
            total - 4,
            self.total - 4,
            self.sent
        )
    }

    #[cold]
    fn would_block(&self, sock: BorrowedFd<'_>) -> Error {
        err!(EAGAIN, "fd {}: socket full after {} of the frame's {} bytes; call again when writable", sock.as_raw_fd(), self.sent, self.total)
    }

    #[cold]
    fn failed(&mut self, sock: BorrowedFd<'_>, e: i32, nfds: usize) -> Error {
        let (sent, total) = (self.sent, self.total);
        if sent == 0 {
            *self = Writer::new();
        }
        sys_err!(e, "fd {}: sendmsg after {sent} of the frame's {total} bytes ({nfds} fds)", sock.as_raw_fd())
    }
}
