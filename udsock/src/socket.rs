//! Creating, binding, listening, accepting and connecting.
//!
//! Every descriptor the library creates is close-on-exec. Pathnames may be
//! of any length up to `PATH_MAX` (see [`crate::addr`]).
//!
//! ```
//! use std::os::fd::AsFd;
//! let dir = std::env::temp_dir().join(format!("udsock-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("echo.sock");
//! let path = path.to_str().unwrap().as_bytes();
//! let server = udsock::socket::listener(path, libc::SOCK_STREAM, 0, 0o600, 0).unwrap();
//! let client = udsock::socket::dial(path, libc::SOCK_STREAM).unwrap();
//! let conn = udsock::socket::accept(server.as_fd(), 0).unwrap();
//! udsock::io::send_all(client.as_fd(), b"hi").unwrap();
//! let mut buf = [0u8; 2];
//! assert_eq!(udsock::io::recv_exact(conn.as_fd(), &mut buf).unwrap(), 2);
//! udsock::socket::close(server).unwrap(); // removes echo.sock: this socket created it
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};

use crate::addr::{Addr, AddrKind, Address, Target};
use crate::error::{err, sys_err, Result, Shown};
use crate::place::{self, BindOptions};
use crate::registry;
use crate::sys::{self, EINVAL, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM, SOMAXCONN};

/// `uds_listener` flag: replace a stale socket file (see [`listener`]).
pub const REPLACE_STALE: u32 = 1;

/// Checks a socket type: `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`,
/// optionally with `SOCK_NONBLOCK`.
pub(crate) fn check_type(ty: i32) -> Result<i32> {
    match ty & !SOCK_NONBLOCK {
        SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET => Ok(ty),
        _ => Err(err!(
            EINVAL,
            "type {ty:#x} is not SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET (| SOCK_NONBLOCK)"
        )),
    }
}

/// A new, unbound AF_UNIX socket (close-on-exec).
pub fn socket(ty: i32) -> Result<OwnedFd> {
    check_type(ty)?;
    let fd = sys::socket(ty).map_err(|e| sys_err!(e, "socket(AF_UNIX, {ty:#x})"))?;
    fresh(&fd);
    Ok(fd)
}

/// A descriptor the library just created: whatever the registry holds at
/// its number belonged to a socket closed with a plain close(2).
fn fresh(fd: &OwnedFd) {
    registry::fd_reused(fd.as_raw_fd(), place::release_lock);
}

/// A connected pair of sockets (close-on-exec).
pub fn socketpair(ty: i32) -> Result<(OwnedFd, OwnedFd)> {
    check_type(ty)?;
    let (a, b) = sys::socketpair(ty).map_err(|e| sys_err!(e, "socketpair(AF_UNIX, {ty:#x})"))?;
    fresh(&a);
    fresh(&b);
    Ok((a, b))
}

/// Binds `fd` to a pathname of any length and remembers the socket file it
/// created (for [`unlink`] and [`local_addr`]). A final component is at
/// most 107 bytes (`ENAMETOOLONG`), as the kernel allows.
pub fn bind(fd: BorrowedFd<'_>, path: &[u8]) -> Result<()> {
    place::bind(fd, path, BindOptions { mode: None, replace_stale: false })
}

/// Replaces a `/proc/self/fd/N/name` alias that this process bound a long
/// path through by the real path.
fn unalias(a: Addr) -> Addr {
    if a.kind() == AddrKind::Pathname && sys::is_fd_address(a.name()) {
        if let Some(real) = registry::path_of_alias(a.name()) {
            return Addr::pathname(&real);
        }
    }
    a
}

/// Binds `fd` to an abstract name (1..=107 bytes, NULs allowed).
pub fn bind_abstract(fd: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
    let target = Target::abstract_name(name)?;
    sys::bind(fd, &target.raw)
        .map_err(|e| sys_err!(e, "bind fd {} to abstract {}", fd.as_raw_fd(), Shown(name)))
}

/// Binds `fd` to an abstract name the kernel chooses (5 hex digits).
/// A socket that is already bound is `EINVAL`, as for any bind (Linux
/// itself would report success and leave the old name).
pub fn autobind(fd: BorrowedFd<'_>) -> Result<()> {
    let name = local_addr(fd)?;
    if name.kind() != AddrKind::Unnamed {
        return Err(err!(EINVAL, "autobind fd {}: already bound to {name}", fd.as_raw_fd()));
    }
    sys::bind(fd, &sys::RawAddr::unnamed()).map_err(|e| sys_err!(e, "autobind fd {}", fd.as_raw_fd()))
}

/// Marks `fd` as listening; `backlog <= 0` means `SOMAXCONN`.
pub fn listen(fd: BorrowedFd<'_>, backlog: i32) -> Result<()> {
    let backlog = if backlog <= 0 { SOMAXCONN } else { backlog };
    sys::listen(fd, backlog).map_err(|e| sys_err!(e, "listen on fd {}", fd.as_raw_fd()))
}

/// Accepts a connection; `flags` is 0 or `SOCK_NONBLOCK`. A signal that
/// interrupts the wait gives `EINTR` (it is not retried).
pub fn accept(fd: BorrowedFd<'_>, flags: i32) -> Result<OwnedFd> {
    if flags & !SOCK_NONBLOCK != 0 {
        return Err(err!(EINVAL, "accept flags {flags:#x}: only 0 or SOCK_NONBLOCK"));
    }
    let conn = sys::accept(fd, flags).map_err(|e| sys_err!(e, "accept on fd {}", fd.as_raw_fd()))?;
    fresh(&conn);
    registry::record_accepted(fd.as_raw_fd(), conn.as_raw_fd(), place::release_lock);
    Ok(conn)
}

/// Connects `fd` to a pathname of any length.
pub fn connect(fd: BorrowedFd<'_>, path: &[u8]) -> Result<()> {
    let target = Target::path(path)?;
    sys::connect(fd, &target.raw).map_err(|e| sys_err!(e, "connect fd {} to {}", fd.as_raw_fd(), Shown(path)))?;
    if target.held.is_some() {
        // The kernel will name the peer by the alias connected through.
        registry::record_connected(fd.as_raw_fd(), path, place::release_lock);
    }
    Ok(())
}

/// Connects `fd` to an abstract name.
pub fn connect_abstract(fd: BorrowedFd<'_>, name: &[u8]) -> Result<()> {
    let target = Target::abstract_name(name)?;
    sys::connect(fd, &target.raw)
        .map_err(|e| sys_err!(e, "connect fd {} to abstract {}", fd.as_raw_fd(), Shown(name)))
}

/// Connects a new socket of type `ty` to `"/path"` or `"@name"`.
pub fn dial(addr: &[u8], ty: i32) -> Result<OwnedFd> {
    let fd = socket(ty)?;
    match Address::parse(addr) {
        Address::Pathname(p) => connect(fd.as_fd(), p)?,
        Address::Abstract(n) => connect_abstract(fd.as_fd(), n)?,
    }
    Ok(fd)
}

/// A bound (and, for stream and seqpacket, listening) socket on
/// `"/path"` or `"@name"`, in one call.
///
/// * `mode`: permission bits of a pathname socket, or -1 for what the umask
///   gives. The socket is `fchmod`ed before bind, so the file never exists
///   with more permissions than `mode`, and the file is set to exactly
///   `mode` before `listen`, so no connection arrives while it is wrong.
///   Ignored for abstract names, which have no permissions.
/// * `flags`: [`REPLACE_STALE`] removes a socket file nobody listens on
///   (no socket bound to it, asked of the kernel under `<path>.lock`); a live
///   socket gives `EADDRINUSE`, a regular file or symlink `EEXIST`.
pub fn listener(addr: &[u8], ty: i32, backlog: i32, mode: i32, flags: u32) -> Result<OwnedFd> {
    check_type(ty)?;
    if !(-1..=0o7777).contains(&mode) {
        // As C writes it: 010000 or -2 (not Rust's 0o10000 or 0o37777777776).
        return Err(if mode < 0 {
            err!(EINVAL, "mode {mode} is not -1 or permission bits (0 to 07777)")
        } else {
            err!(EINVAL, "mode 0{mode:o} is not -1 or permission bits (0 to 07777)")
        });
    }
    if flags & !REPLACE_STALE != 0 {
        return Err(err!(EINVAL, "flags {flags:#x}: only UDS_REPLACE_STALE is defined"));
    }
    let fd = socket(ty)?;
    match Address::parse(addr) {
        Address::Abstract(name) => bind_abstract(fd.as_fd(), name)?,
        Address::Pathname(path) => {
            let opts = BindOptions { mode: u32::try_from(mode).ok(), replace_stale: flags & REPLACE_STALE != 0 };
            place::bind(fd.as_fd(), path, opts)?
        }
    }
    if ty & !SOCK_NONBLOCK != SOCK_DGRAM {
        if let Err(e) = listen(fd.as_fd(), backlog) {
            // Leave nothing behind: the socket file and its lock go too.
            let _ = unlink(fd.as_fd());
            return Err(e);
        }
    }
    Ok(fd)
}

/// Removes the socket file `fd` bound through this library, only if the
/// path still names that very file, and releases its lock file.
pub fn unlink(fd: BorrowedFd<'_>) -> Result<()> {
    place::unlink(fd)
}

/// Closes `fd`, first removing the socket file it bound (as [`unlink`])
/// where that applies: this process bound `fd` itself (a copy inherited
/// across fork leaves the file alone).
pub fn close(fd: OwnedFd) -> Result<()> {
    if registry::owns_file(fd.as_raw_fd()) {
        let _ = unlink(fd.as_fd());
    }
    registry::forget(fd.as_raw_fd(), place::release_lock);
    let raw = fd.into_raw_fd();
    sys::close(raw).map_err(|e| sys_err!(e, "close fd {raw}"))
}

/// Removes the file at `path` (any length) only if it is a socket.
pub fn unlink_path(path: &[u8]) -> Result<()> {
    place::unlink_path(path)
}

/// The address `fd` is bound to; the caller's real path for a socket the
/// library bound through `/proc/self/fd`.
pub fn local_addr(fd: BorrowedFd<'_>) -> Result<Addr> {
    let raw = sys::getsockname(fd).map_err(|e| name_error(fd, e, "getsockname"))?;
    if raw.path_bytes().first().is_some_and(|&b| b != 0) {
        if let Some(real) = registry::path_of(fd.as_raw_fd()) {
            return Ok(Addr::pathname(&real));
        }
    }
    Ok(unalias(Addr::from_raw(&raw)))
}

/// The address of `fd`'s peer. A peer bound by this process through a
/// long path is reported by its real path; one bound by another process
/// shows the `/proc/self/fd/N/name` alias it used.
pub fn peer_addr(fd: BorrowedFd<'_>) -> Result<Addr> {
    let raw = sys::getpeername(fd).map_err(|e| name_error(fd, e, "getpeername"))?;
    if sys::is_fd_address(raw.path_bytes()) {
        if let Some(real) = registry::peer_path_of(fd.as_raw_fd()) {
            return Ok(Addr::pathname(&real));
        }
    }
    Ok(unalias(Addr::from_raw(&raw)))
}

#[cold]
fn name_error(fd: BorrowedFd<'_>, e: i32, call: &str) -> crate::error::Error {
    if e == libc::EAFNOSUPPORT {
        return err!(e, "fd {} is not a Unix-domain socket", fd.as_raw_fd());
    }
    sys_err!(e, "{call} fd {}", fd.as_raw_fd())
}
