//! Extension traits on std's socket types: descriptors, frames,
//! credentials, pidfds and batches on [`UnixStream`], [`UnixDatagram`]
//! and [`UnixListener`] (and on [`OwnedFd`]/[`BorrowedFd`] for sockets
//! std has no type for, such as `SOCK_SEQPACKET`), so that a program keeps
//! std's types and gains what they lack.
//!
//! Received descriptors come back as [`OwnedFd`] (close-on-exec); errors
//! are [`io::Error`]s that keep the errno
//! ([`raw_os_error`](io::Error::raw_os_error)). The traits are sealed:
//! they are implemented for the types above only.
//!
//! ```
//! use std::os::fd::AsFd;
//! use std::os::unix::net::UnixStream;
//! use udsock::ext::{FdExt, FrameExt};
//!
//! let (a, b) = UnixStream::pair()?;
//! let file = std::fs::File::open("/dev/null")?;
//! a.send_fds(b"here", &[file.as_fd()])?;
//!
//! let mut buf = [0u8; 16];
//! let mut fds = Vec::new();
//! let n = b.recv_fds(&mut buf, &mut fds)?;
//! assert_eq!((&buf[..n], fds.len()), (&b"here"[..], 1));
//!
//! a.send_frame_fds(b"a frame", &[file.as_fd()])?;
//! let mut fds = Vec::new();
//! let frame = b.recv_frame_fds(&mut buf, &mut fds)?;
//! assert_eq!((frame, fds.len()), (udsock::frame::Frame::Data(7), 1));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::PathBuf;

use crate::cred::{self, Cred};
use crate::fds::{self, FdBuf, MAX_FDS};
use crate::frame::{self, Frame};
use crate::msg::{self, Incoming, Outgoing};

mod sealed {
    /// Implemented for the socket types of this module only.
    pub trait Sealed {}
    impl Sealed for std::os::unix::net::UnixStream {}
    impl Sealed for std::os::unix::net::UnixDatagram {}
    impl Sealed for std::os::unix::net::UnixListener {}
    impl Sealed for std::os::fd::OwnedFd {}
    impl Sealed for std::os::fd::BorrowedFd<'_> {}
}

pub(crate) use sealed::Sealed;

/// Moves what an [`FdBuf`] received into `out`, in the order they arrived.
fn take_into(buf: FdBuf<'_>, out: &mut Vec<OwnedFd>) {
    out.extend(buf.into_owned());
}

/// Passing descriptors (`SCM_RIGHTS`): on [`UnixStream`], [`UnixDatagram`],
/// [`OwnedFd`] and [`BorrowedFd`]. See [`crate::fds`] for the rules (a
/// stream message with descriptors and no data carries one zero byte;
/// ancillary data is a barrier on a stream).
pub trait FdExt: AsFd + Sealed {
    /// Sends `data` with 1 to [`MAX_FDS`] descriptors in one message;
    /// returns the bytes of `data` sent (all of them on a blocking socket).
    fn send_fds(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        Ok(fds::send_fds(self.as_fd(), data, fds)?)
    }

    /// Sends one descriptor with a one-byte payload (a zero byte).
    fn send_fd(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        Ok(fds::send_fd(self.as_fd(), fd)?)
    }

    /// Receives one message into `data`, appending the descriptors that
    /// came with it to `fds` (up to [`MAX_FDS`]); returns the bytes
    /// received (0 at the end of a stream). A message with more
    /// descriptors than the process may open is `EXFULL` (`io::Error`
    /// with that errno): all of them are closed, its data consumed. The
    /// only allocation is `fds` growing: reserve room to avoid it.
    fn recv_fds(&self, data: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
        let mut slots = [-1 as RawFd; MAX_FDS];
        let mut buf = FdBuf::new(&mut slots);
        let n = fds::recv_fds(self.as_fd(), data, &mut buf)?;
        take_into(buf, fds);
        Ok(n)
    }

    /// [`FdExt::recv_fds`] into caller-provided slots (an [`FdBuf`]), which
    /// also bounds how many descriptors are accepted: more is `EXFULL`.
    fn recv_fds_into(&self, data: &mut [u8], fds: &mut FdBuf<'_>) -> io::Result<usize> {
        Ok(fds::recv_fds(self.as_fd(), data, fds)?)
    }

    /// Receives a message that carries exactly one descriptor and returns
    /// it (the payload is read and dropped). `ECONNRESET` at the end of a
    /// stream, `EBADMSG` for a message with none or several (all closed).
    fn recv_fd(&self) -> io::Result<OwnedFd> {
        Ok(fds::recv_fd(self.as_fd())?)
    }
}

impl FdExt for UnixStream {}
impl FdExt for UnixDatagram {}
impl FdExt for OwnedFd {}
impl FdExt for BorrowedFd<'_> {}

/// Length-prefixed frames (see [`crate::frame`] for the wire format), with
/// or without descriptors: on [`UnixStream`], [`OwnedFd`] and
/// [`BorrowedFd`] (stream sockets; a socket that keeps message
/// boundaries is `EPROTOTYPE` on receive).
pub trait FrameExt: AsFd + Sealed {
    /// Sends `data` as one frame.
    fn send_frame(&self, data: &[u8]) -> io::Result<()> {
        Ok(frame::send_frame(self.as_fd(), data)?)
    }

    /// Sends `data` as one frame with 0 to [`MAX_FDS`] descriptors on its
    /// first byte.
    fn send_frame_fds(&self, data: &[u8], fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        Ok(frame::send_frame_fds(self.as_fd(), data, fds)?)
    }

    /// Receives one frame into `buf`: [`Frame::Data`] with its length,
    /// [`Frame::Eof`] at a clean end of the stream, [`Frame::TooLarge`]
    /// for a frame larger than `buf` (read and dropped). Descriptors sent
    /// with it are closed.
    fn recv_frame(&self, buf: &mut [u8]) -> io::Result<Frame> {
        Ok(frame::recv_frame(self.as_fd(), buf)?)
    }

    /// Receives one frame into `buf` and appends the descriptors that came
    /// with it (up to [`MAX_FDS`]) to `fds`. On any error, or
    /// [`Frame::TooLarge`], `fds` is left as it was (the frame's
    /// descriptors are closed).
    fn recv_frame_fds(&self, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<Frame> {
        let mut slots = [-1 as RawFd; MAX_FDS];
        let mut got = FdBuf::new(&mut slots);
        let f = frame::recv_frame_fds(self.as_fd(), buf, &mut got)?;
        take_into(got, fds);
        Ok(f)
    }
}

impl FrameExt for UnixStream {}
impl FrameExt for OwnedFd {}
impl FrameExt for BorrowedFd<'_> {}

/// Who the peer is, and credentials or a pidfd sent with a message: on
/// [`UnixStream`], [`UnixDatagram`], [`OwnedFd`] and [`BorrowedFd`].
///
/// (The names differ from std's unstable `UnixStream::peer_cred` so that
/// they never collide with it.)
pub trait CredExt: AsFd + Sealed {
    /// The peer's pid, uid and gid when it connected (`SO_PEERCRED`).
    fn peer_credentials(&self) -> io::Result<Cred> {
        Ok(cred::peer_cred(self.as_fd())?)
    }

    /// A pidfd of the peer process (`SO_PEERPIDFD`), close-on-exec.
    fn peer_pidfd(&self) -> io::Result<OwnedFd> {
        Ok(cred::peer_pidfd(self.as_fd())?)
    }

    /// Sends `data` with credentials: `cred`, or the caller's own when
    /// `None`.
    fn send_creds(&self, data: &[u8], cred: Option<Cred>) -> io::Result<usize> {
        Ok(cred::send_creds(self.as_fd(), data, cred)?)
    }

    /// Receives one message and the credentials it carried
    /// ([`Cred::NONE`] when none), turning `SO_PASSCRED` on first.
    fn recv_creds(&self, data: &mut [u8]) -> io::Result<(usize, Cred)> {
        Ok(cred::recv_creds(self.as_fd(), data)?)
    }

    /// Receives one message and a pidfd of its sender (`None` when it
    /// carried none), turning `SO_PASSPIDFD` on first.
    fn recv_pidfd(&self, data: &mut [u8]) -> io::Result<(usize, Option<OwnedFd>)> {
        Ok(cred::recv_pidfd(self.as_fd(), data)?)
    }

    /// Turns `SO_PASSCRED` on or off.
    fn set_passcred(&self, on: bool) -> io::Result<()> {
        Ok(cred::set_passcred(self.as_fd(), on)?)
    }
}

impl CredExt for UnixStream {}
impl CredExt for UnixDatagram {}
impl CredExt for OwnedFd {}
impl CredExt for BorrowedFd<'_> {}

/// Many messages per system call (`sendmmsg`/`recvmmsg`): on
/// [`UnixDatagram`], [`OwnedFd`] and [`BorrowedFd`] (datagram and
/// seqpacket sockets). See [`msg::send_batch`] and [`msg::recv_batch`].
///
/// ```
/// use std::os::unix::net::UnixDatagram;
/// use udsock::ext::BatchExt;
/// use udsock::msg::{Inbox, Message};
///
/// let (a, b) = UnixDatagram::pair()?;
/// let out = [Message { data: b"one", ..Message::default() }, Message { data: b"two", ..Message::default() }];
/// assert_eq!(a.send_batch(&out)?, 2);
///
/// let (mut d1, mut d2) = ([0u8; 8], [0u8; 8]);
/// let (mut s1, mut s2) = ([0; 1], [0; 1]);
/// let mut inbox = [Inbox::new(&mut d1, &mut s1), Inbox::new(&mut d2, &mut s2)];
/// assert_eq!(b.recv_batch(&mut inbox)?, 2);
/// assert_eq!(inbox[1].data(), b"two");
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait BatchExt: AsFd + Sealed {
    /// Sends the messages in as few `sendmmsg` calls as fit; returns how
    /// many were sent.
    fn send_batch<M: Outgoing>(&self, msgs: &[M]) -> io::Result<usize> {
        Ok(msg::send_batch(self.as_fd(), msgs, 0)?)
    }

    /// Receives up to `msgs.len()` messages, waiting for the first only;
    /// returns how many arrived.
    fn recv_batch<M: Incoming>(&self, msgs: &mut [M]) -> io::Result<usize> {
        Ok(msg::recv_batch(self.as_fd(), msgs, 0)?)
    }
}

impl BatchExt for UnixDatagram {}
impl BatchExt for OwnedFd {}
impl BatchExt for BorrowedFd<'_> {}

/// What std's [`UnixListener`] lacks: the real path of a socket bound
/// through this library with a path longer than `sun_path`, and
/// credentials-on-accept.
pub trait ListenerExt: AsFd + Sealed {
    /// The path the socket is bound to, as the caller gave it (also for a
    /// long path the library bound through `/proc/self/fd`); `None` for
    /// an abstract or unnamed socket.
    fn bound_path(&self) -> io::Result<Option<PathBuf>> {
        use std::os::unix::ffi::OsStrExt;
        let a = crate::socket::local_addr(self.as_fd())?;
        Ok((a.kind() == crate::addr::AddrKind::Pathname)
            .then(|| PathBuf::from(std::ffi::OsStr::from_bytes(a.name()))))
    }

    /// Accepts a connection and returns it with the peer's credentials
    /// (`SO_PEERCRED`), close-on-exec.
    fn accept_with_cred(&self) -> io::Result<(UnixStream, Cred)> {
        let conn = crate::socket::accept(self.as_fd(), 0)?;
        let c = cred::peer_cred(conn.as_fd())?;
        Ok((UnixStream::from(conn), c))
    }
}

impl ListenerExt for UnixListener {}
