//! A listening (or bound datagram) socket that owns its path: a
//! [`Listener`] removes its socket file, and the `<path>.lock` that
//! [`replace_stale`](ListenerOptions::replace_stale) takes, when it is
//! dropped, only if the path still names the very file it created (the
//! inode is checked, so a file another process put there since is left
//! alone).
//!
//! Paths are [`AsRef<Path>`] of any length (longer than `sun_path` too);
//! abstract names come through std's [`SocketAddr`] and
//! [`SocketAddrExt::from_abstract_name`].
//! Options are set builder-style on [`ListenerOptions`].
//!
//! ```
//! use std::os::unix::net::UnixStream;
//! use udsock::listener::{Listener, ListenerOptions};
//!
//! let dir = tempfile_dir();
//! let path = dir.join("server.sock");
//! let server = ListenerOptions::new().mode(0o600).replace_stale(true).backlog(16).bind(&path)?;
//! let client = UnixStream::connect(&path)?;
//! let conn: UnixStream = server.accept()?;
//! drop(server); // removes server.sock and server.sock.lock
//! assert!(!path.exists());
//! # drop((client, conn));
//! # std::fs::remove_dir_all(&dir)?;
//! # fn tempfile_dir() -> std::path::PathBuf {
//! #     let d = std::env::temp_dir().join(format!("udsock-listener-doc-{}", std::process::id()));
//! #     std::fs::create_dir_all(&d).unwrap();
//! #     d
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use crate::error::{err, Shown};
use crate::place::{self, BindOptions};
use crate::socket;
use crate::sys::{EINVAL, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM};

/// The kind of AF_UNIX socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SocketType {
    /// `SOCK_STREAM`: a byte stream (std's [`UnixStream`]).
    #[default]
    Stream,
    /// `SOCK_DGRAM`: datagrams (std's [`UnixDatagram`]).
    Datagram,
    /// `SOCK_SEQPACKET`: a connection that keeps message boundaries.
    SeqPacket,
}

impl SocketType {
    /// The `SOCK_*` value, with `SOCK_NONBLOCK` if asked.
    pub(crate) fn raw(self, nonblocking: bool) -> i32 {
        let ty = match self {
            SocketType::Stream => SOCK_STREAM,
            SocketType::Datagram => SOCK_DGRAM,
            SocketType::SeqPacket => SOCK_SEQPACKET,
        };
        if nonblocking {
            ty | SOCK_NONBLOCK
        } else {
            ty
        }
    }

    /// A connected pair of sockets of this type (close-on-exec).
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use udsock::ext::FdExt;
    /// let (a, b) = udsock::listener::SocketType::SeqPacket.pair()?;
    /// a.send_fd(std::fs::File::open("/dev/null")?.as_fd())?;
    /// let _dev_null = b.recv_fd()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pair(self) -> io::Result<(OwnedFd, OwnedFd)> {
        Ok(socket::socketpair(self.raw(false))?)
    }
}

/// The bytes of a path, refused when they hold a NUL (no file name can).
fn path_bytes(path: &Path) -> io::Result<&[u8]> {
    let b = path.as_os_str().as_bytes();
    if b.contains(&0) {
        return Err(err!(EINVAL, "path {} contains a NUL byte", Shown(b)).into());
    }
    Ok(b)
}

/// Connects a new stream socket to `path`, of any length (std's
/// [`UnixStream::connect`] stops at 107 bytes).
pub fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
    let fd = socket::socket(SOCK_STREAM)?;
    socket::connect(fd.as_fd(), path_bytes(path.as_ref())?)?;
    Ok(UnixStream::from(fd))
}

/// Connects a new stream socket to `addr`: a pathname (any length) or an
/// abstract name.
pub fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
    let fd = socket::socket(SOCK_STREAM)?;
    if let Some(name) = addr.as_abstract_name() {
        socket::connect_abstract(fd.as_fd(), name)?;
    } else if let Some(path) = addr.as_pathname() {
        socket::connect(fd.as_fd(), path_bytes(path)?)?;
    } else {
        return Err(err!(EINVAL, "connect to an unnamed address").into());
    }
    Ok(UnixStream::from(fd))
}

/// How to make a [`Listener`]: builder-style, then
/// [`bind`](ListenerOptions::bind) or [`bind_addr`](ListenerOptions::bind_addr).
#[derive(Clone, Copy, Debug, Default)]
pub struct ListenerOptions {
    ty: SocketType,
    nonblocking: bool,
    mode: Option<u32>,
    replace_stale: bool,
    backlog: Option<u32>,
}

impl ListenerOptions {
    /// A blocking stream listener, the file's mode from the umask, a
    /// socket file already there left alone (`EADDRINUSE`), backlog
    /// `SOMAXCONN`.
    pub fn new() -> ListenerOptions {
        ListenerOptions::default()
    }

    /// The socket type (default [`SocketType::Stream`]). A
    /// [`SocketType::Datagram`] socket is bound but not listening.
    pub fn socket_type(mut self, ty: SocketType) -> ListenerOptions {
        self.ty = ty;
        self
    }

    /// Whether the socket is non-blocking (`SOCK_NONBLOCK`).
    pub fn nonblocking(mut self, on: bool) -> ListenerOptions {
        self.nonblocking = on;
        self
    }

    /// The socket file's permission bits (0 to `0o7777`), set without a
    /// race: the file never exists with more, and it has exactly these
    /// before `listen`. Ignored for abstract names.
    pub fn mode(mut self, mode: u32) -> ListenerOptions {
        self.mode = Some(mode);
        self
    }

    /// Replace a stale socket file (nobody listens on it), decided under
    /// `<path>.lock`, which the listener holds until it is dropped. A live
    /// socket stays (`EADDRINUSE`), a regular file or symlink too
    /// (`EEXIST`).
    pub fn replace_stale(mut self, on: bool) -> ListenerOptions {
        self.replace_stale = on;
        self
    }

    /// The listen backlog (default and 0: `SOMAXCONN`).
    pub fn backlog(mut self, n: u32) -> ListenerOptions {
        self.backlog = Some(n);
        self
    }

    /// Binds a new socket to `path` (any length; a final component of at
    /// most 107 bytes) and listens on it.
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<Listener> {
        let path = path.as_ref();
        let bytes = path_bytes(path)?;
        let fd = self.socket()?;
        place::bind(fd.as_fd(), bytes, BindOptions { mode: self.mode, replace_stale: self.replace_stale })?;
        self.finish(fd, Some(path.to_path_buf()))
    }

    /// Binds a new socket to `addr`: a pathname as [`bind`](Self::bind),
    /// or an abstract name (which leaves no file).
    pub fn bind_addr(&self, addr: &SocketAddr) -> io::Result<Listener> {
        if let Some(path) = addr.as_pathname() {
            return self.bind(path);
        }
        let Some(name) = addr.as_abstract_name() else {
            return Err(err!(EINVAL, "bind to an unnamed address").into());
        };
        let fd = self.socket()?;
        socket::bind_abstract(fd.as_fd(), name)?;
        self.finish(fd, None)
    }

    fn socket(&self) -> io::Result<OwnedFd> {
        if let Some(m) = self.mode.filter(|&m| m > 0o7777) {
            return Err(err!(EINVAL, "mode 0o{m:o} is not permission bits (0 to 0o7777)").into());
        }
        Ok(socket::socket(self.ty.raw(self.nonblocking))?)
    }

    /// Listens (stream and seqpacket), or cleans up what bind made.
    fn finish(&self, fd: OwnedFd, path: Option<PathBuf>) -> io::Result<Listener> {
        let inner = if self.ty == SocketType::Datagram {
            Inner::Datagram(UnixDatagram::from(fd))
        } else {
            let backlog = self.backlog.map_or(0, |b| i32::try_from(b).unwrap_or(i32::MAX));
            if let Err(e) = socket::listen(fd.as_fd(), backlog) {
                // Nothing left behind: the file and its lock go too.
                let _ = socket::close(fd);
                return Err(e.into());
            }
            Inner::Listener(UnixListener::from(fd))
        };
        Ok(Listener { inner: Some(inner), path, ty: self.ty })
    }
}

enum Inner {
    Listener(UnixListener),
    Datagram(UnixDatagram),
}

impl Inner {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Inner::Listener(l) => l.as_fd(),
            Inner::Datagram(d) => d.as_fd(),
        }
    }
}

/// A bound socket that removes its socket file (inode-checked) and its
/// lock file when dropped. Made by [`ListenerOptions`] or
/// [`Listener::bind`]; use it through std's types with
/// [`as_listener`](Listener::as_listener) /
/// [`as_datagram`](Listener::as_datagram).
///
/// A copy of the descriptor inherited by a child across `fork` leaves the
/// file alone: only the process that bound it removes it.
pub struct Listener {
    inner: Option<Inner>,
    path: Option<PathBuf>,
    ty: SocketType,
}

impl Listener {
    /// A blocking stream listener on `path` with the default options.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Listener> {
        ListenerOptions::new().bind(path)
    }

    fn inner(&self) -> &Inner {
        self.inner.as_ref().expect("present until drop")
    }

    /// Accepts a connection (close-on-exec), as a std [`UnixStream`] (for a
    /// seqpacket listener too: reads and writes then keep message
    /// boundaries). `EINVAL` on a datagram socket.
    pub fn accept(&self) -> io::Result<UnixStream> {
        Ok(UnixStream::from(socket::accept(self.as_fd(), 0)?))
    }

    /// An endless iterator of [`accept`](Listener::accept)s.
    pub fn incoming(&self) -> impl Iterator<Item = io::Result<UnixStream>> + '_ {
        std::iter::repeat_with(move || self.accept())
    }

    /// The listening socket as std's type; `None` for a datagram socket.
    pub fn as_listener(&self) -> Option<&UnixListener> {
        match self.inner() {
            Inner::Listener(l) => Some(l),
            Inner::Datagram(_) => None,
        }
    }

    /// The bound datagram socket as std's type; `None` for a listener.
    pub fn as_datagram(&self) -> Option<&UnixDatagram> {
        match self.inner() {
            Inner::Datagram(d) => Some(d),
            Inner::Listener(_) => None,
        }
    }

    /// The path it was bound to, as given; `None` for an abstract name.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Its socket type.
    pub fn socket_type(&self) -> SocketType {
        self.ty
    }

    /// Closes it now, removing its file and lock, and reports a failure
    /// that dropping would ignore.
    pub fn close(mut self) -> io::Result<()> {
        self.close_inner()
    }

    fn close_inner(&mut self) -> io::Result<()> {
        let fd: OwnedFd = match self.inner.take() {
            None => return Ok(()),
            Some(Inner::Listener(l)) => l.into(),
            Some(Inner::Datagram(d)) => d.into(),
        };
        Ok(socket::close(fd)?)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.close_inner();
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner().as_fd()
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("fd", &self.inner.as_ref().map(|i| i.as_fd().as_raw_fd()))
            .field("type", &self.ty)
            .field("path", &self.path)
            .finish()
    }
}
