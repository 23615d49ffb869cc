//! # udsock: Unix-domain sockets done right
//!
//! A safe Rust core, and `libudsock`, its stable C ABI (`udsock.h`), for the
//! parts of AF_UNIX programming that hand-written code usually gets wrong:
//! paths longer than `sun_path`, stale socket files, permissions set
//! without races, `SIGPIPE`, `EINTR` part-way through a transfer, frames,
//! socket activation, and (see the ancillary-data calls) descriptors and
//! credentials.
//!
//! On std's types: [`ext`] adds sealed extension traits to
//! `UnixStream`, `UnixDatagram` and `UnixListener` (descriptors, frames,
//! credentials, pidfds, batches) that return `std::io::Result`, and
//! [`Listener`] ([`listener`]) is a bound socket that removes its file
//! and lock when dropped, made with [`ListenerOptions`] from a path or
//! an abstract [`std::os::unix::net::SocketAddr`].
//!
//! ```
//! use std::os::fd::AsFd;
//! use std::os::unix::net::UnixStream;
//! use udsock::ext::FdExt;
//! let (a, b) = UnixStream::pair()?;
//! a.send_fds(b"x", &[std::io::stderr().as_fd()])?;
//! let mut fds = Vec::new();
//! b.recv_fds(&mut [0u8; 4], &mut fds)?;
//! assert_eq!(fds.len(), 1);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The fd-level modules mirror the C API's sections:
//! [`addr`] (addresses), [`socket`] (create, bind, listen, accept, connect),
//! [`io`] (data), [`frame`] (length-prefixed messages), [`activation`]
//! (sd_listen_fds), [`notify`] (sd_notify), [`stream`] (frames with
//! descriptors on non-blocking sockets, for event loops), and with the
//! `tokio` feature `udsock::tokio` (the same, awaited on tokio's
//! `UnixStream`). Errors are
//! [`Error`]: an errno and one line of text.
//!
//! ```
//! use std::os::fd::AsFd;
//! let (a, b) = udsock::socket::socketpair(libc::SOCK_SEQPACKET).unwrap();
//! udsock::io::send(a.as_fd(), b"one message", 0).unwrap();
//! let mut buf = [0u8; 32];
//! let n = udsock::io::recv(b.as_fd(), &mut buf, 0).unwrap();
//! assert_eq!(&buf[..n], b"one message");
//! ```
//!
//! Linux only for now; everything OS-specific lives in one private module.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

mod anc;
pub mod activation;
pub mod addr;
pub mod cred;
pub mod error;
pub mod ext;
pub mod fds;
pub mod frame;
pub mod io;
pub mod listener;
pub mod msg;
pub mod notify;
pub mod socket;
pub mod stream;
#[cfg(feature = "tokio")]
pub mod tokio;

mod place;
mod registry;
mod sys;

pub use error::{Error, Result};
pub use listener::{Listener, ListenerOptions, SocketType};
