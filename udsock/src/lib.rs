//! # udsock: Unix-domain sockets done right
//!
//! A safe Rust core, and `libudsock`, its stable C ABI (`udsock.h`), for the
//! parts of AF_UNIX programming that hand-written code usually gets wrong:
//! paths longer than `sun_path`, stale socket files, permissions set
//! without races, `SIGPIPE`, `EINTR` part-way through a transfer, frames,
//! socket activation, and (see the ancillary-data calls) descriptors and
//! credentials.
//!
//! The modules mirror the C API's sections:
//! [`addr`] (addresses), [`socket`] (create, bind, listen, accept, connect),
//! [`io`] (data), [`frame`] (length-prefixed messages), [`activation`]
//! (sd_listen_fds), [`notify`] (sd_notify), [`stream`] (frames with
//! descriptors on non-blocking sockets, for event loops). Errors are
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

mod place;
mod registry;
mod sys;

pub use error::{Error, Result};
pub use listener::{Listener, ListenerOptions, SocketType};
