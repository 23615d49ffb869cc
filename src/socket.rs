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
use crate::place::{connect_inode, occupied, Place};
use crate::registry::{self, Bound};
use crate::sys::{
    self, EADDRINUSE, ECONNREFUSED, EINPROGRESS, EINVAL, ENOENT, EPROTOTYPE, SOCK_DGRAM, SOCK_NONBLOCK,
    SOCK_SEQPACKET, SOCK_STREAM, SOMAXCONN,
};

/// `uds_listener` flag: replace a stale socket file (see [`listener`]).
pub const REPLACE_STALE: u32 = 1;

/// Checks a socket type: `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`,
/// optionally with `SOCK_NONBLOCK`.
pub fn check_type(ty: i32) -> Result<i32> {
    match ty & !SOCK_NONBLOCK {
        SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET => Ok(ty),
        _ => Err(err!(
            EINVAL,
            "type {ty:#x} is not SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET (optionally | SOCK_NONBLOCK)"
        )),
    }
}

/// A new, unbound AF_UNIX socket (close-on-exec).
pub fn socket(ty: i32) -> Result<OwnedFd> {
    check_type(ty)?;
    sys::socket(ty).map_err(|e| sys_err!(e, "socket(AF_UNIX, {ty:#x})"))
}

/// A connected pair of sockets (close-on-exec).
pub fn socketpair(ty: i32) -> Result<(OwnedFd, OwnedFd)> {
    check_type(ty)?;
    sys::socketpair(ty).map_err(|e| sys_err!(e, "socketpair(AF_UNIX, {ty:#x})"))
}

/// Binds `fd` to a pathname of any length and remembers the socket file it
/// created (for [`unlink`] and [`local_addr`]).
pub fn bind(fd: BorrowedFd<'_>, path: &[u8]) -> Result<()> {
    let target = Target::path(path)?;
    sys::bind(fd, &target.raw).map_err(|e| sys_err!(e, "bind fd {} to {}", fd.as_raw_fd(), Shown(path)))?;
    remember(fd, path, &target);
    Ok(())
}

/// Records a freshly bound pathname socket in the registry.
fn remember(fd: BorrowedFd<'_>, path: &[u8], target: &Target) {
    if let Ok(place) = Place::new(path) {
        let ty = sys::socket_type(fd).unwrap_or(SOCK_STREAM);
        if let Ok(file) = place.settle(None, ty) {
            registry::record(fd.as_raw_fd(), Bound { path: path.into(), alias: alias_of(target), file, lock: None });
        }
    }
}

/// The `/proc/self/fd/N/name` alias a long path is bound through, if any.
fn alias_of(target: &Target) -> Option<Box<[u8]>> {
    target.dir.as_ref().map(|_| Addr::from_raw(&target.raw).name().into())
}

/// Replaces a `/proc/self/fd/N/name` alias that this process bound a long
/// path through by the real path.
fn unalias(a: Addr) -> Addr {
    if a.kind() == AddrKind::Pathname && a.name().starts_with(b"/proc/self/fd/") {
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
    registry::record_accepted(fd.as_raw_fd(), conn.as_raw_fd());
    Ok(conn)
}

/// Connects `fd` to a pathname of any length.
pub fn connect(fd: BorrowedFd<'_>, path: &[u8]) -> Result<()> {
    let target = Target::path(path)?;
    sys::connect(fd, &target.raw).map_err(|e| sys_err!(e, "connect fd {} to {}", fd.as_raw_fd(), Shown(path)))?;
    if target.dir.is_some() {
        // The kernel will name the peer by the alias connected through.
        registry::record_connected(fd.as_raw_fd(), path);
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
///   (checked under `<path>.lock`, with a retried liveness probe); a live
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
        Address::Pathname(path) => bind_listener_path(fd.as_fd(), path, mode, flags)?,
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

fn bind_listener_path(fd: BorrowedFd<'_>, path: &[u8], mode: i32, flags: u32) -> Result<()> {
    let target = Target::path(path)?;
    let place = Place::new(path)?;
    let mode = u32::try_from(mode).ok();
    if let Some(m) = mode {
        sys::fchmod(fd, m).map_err(|e| sys_err!(e, "fchmod 0{m:o} of the unbound socket"))?;
    }
    let lock = if flags & REPLACE_STALE != 0 {
        registry::purge_stale();
        Some(place.lock()?)
    } else {
        None
    };
    match bind_and_settle(fd, &place, &target, mode, lock.is_some()) {
        Ok(file) => {
            registry::record(fd.as_raw_fd(), Bound { path: path.into(), alias: alias_of(&target), file, lock });
            Ok(())
        }
        Err(e) => {
            // A failed listener leaves no lock file behind either.
            if let Some(lock) = lock {
                place.release(lock);
            }
            Err(e)
        }
    }
}

/// Binds `fd` at `place` (replacing a stale socket file if `replace`: the
/// caller holds the lock), sets the file's mode, and returns its identity.
fn bind_and_settle(
    fd: BorrowedFd<'_>,
    place: &Place<'_>,
    target: &Target,
    mode: Option<u32>,
    replace: bool,
) -> Result<registry::Id> {
    let path = place.path;
    let bind = |fd| sys::bind(fd, &target.raw);
    match bind(fd) {
        Ok(()) => {}
        Err(EADDRINUSE) if replace => {
            let ty = sys::socket_type(fd).unwrap_or(SOCK_STREAM);
            if let Some(stale) = probe(place, target, ty)? {
                place.remove_socket(Some(stale)).map_err(|e| changed(place, e))?;
            }
            bind(fd).map_err(|e| sys_err!(e, "bind {} after removing the stale socket", Shown(path)))?;
        }
        Err(e) => return Err(sys_err!(e, "bind fd {} to {}", fd.as_raw_fd(), Shown(path))),
    }
    let ty = sys::socket_type(fd).unwrap_or(SOCK_STREAM);
    place.settle(mode, ty).map_err(|e| {
        // Remove the file only if it is ours: not when the path was
        // swapped for something else (EEXIST, EADDRINUSE) after the bind.
        if e.errno() != sys::EEXIST && e.errno() != EADDRINUSE {
            let _ = place.remove_socket(None);
        }
        e
    })
}

/// The error for a stale socket that could not be removed because the
/// path changed after the probe (someone swapped in another file, symlink
/// or socket): what is there now, as the contract names it (`EADDRINUSE`
/// for a socket, `EEXIST` for anything else), never the removal's own
/// `ENOENT`/`ENOTSOCK`.
fn changed(place: &Place<'_>, e: crate::error::Error) -> crate::error::Error {
    if e.errno() != ENOENT && e.errno() != sys::ENOTSOCK {
        return e;
    }
    match place.lstat() {
        Ok(st) => occupied(place.path, &st),
        Err(_) => err!(EADDRINUSE, "{} changed while its stale socket was being removed", Shown(place.path)),
    }
}

/// Decides whether the socket file at `place` is stale: nobody accepts on
/// it. A refused connection is retried (a server between bind and listen
/// refuses too) before it is believed. Returns the stale file's identity,
/// or `None` when the file vanished meanwhile (bind can simply be retried).
fn probe(place: &Place<'_>, target: &Target, ty: i32) -> Result<Option<registry::Id>> {
    let path = place.path;
    let mut delay_ms = 1;
    let mut last = None;
    for attempt in 0..3 {
        if attempt > 0 {
            sys::pause_ms(delay_ms);
            delay_ms *= 4;
        }
        // Liveness is asked of the very inode whose identity is taken: asked
        // by name, a live socket swapped in between the two would be taken
        // for the stale one and removed.
        let (inode, st) = match place.open_file() {
            Ok(file) => file,
            Err(ENOENT) => return Ok(None),
            Err(e) => return Err(sys_err!(e, "open {}", Shown(path))),
        };
        if !sys::is_socket(&st) {
            return Err(occupied(path, &st));
        }
        let asked = if sys::proc_fd_available() {
            connect_inode(&inode, ty)
        } else {
            // Without /proc, by name: the best that can be done.
            let prober = sys::socket(ty | SOCK_NONBLOCK).map_err(|e| sys_err!(e, "probe socket"))?;
            sys::connect(prober.as_fd(), &target.raw)
        };
        match asked {
            Err(ECONNREFUSED) => {}
            Err(ENOENT) => return Ok(None),
            Ok(()) | Err(EINPROGRESS) | Err(sys::EAGAIN) | Err(EPROTOTYPE) => return Err(occupied(path, &st)),
            Err(e) => return Err(sys_err!(e, "probe {}", Shown(path))),
        }
        if last.is_some_and(|id| id != registry::id_of(&st)) {
            return Err(err!(EADDRINUSE, "{} keeps changing", Shown(path)));
        }
        last = Some(registry::id_of(&st));
    }
    Ok(last)
}

/// Removes the socket file `fd` bound through this library, only if the
/// path still names that very file, and releases its lock file.
pub fn unlink(fd: BorrowedFd<'_>) -> Result<()> {
    let Some(bound) = registry::take(fd.as_raw_fd()) else {
        // Say why: not open, not a socket, or not one the library bound.
        sys::socket_type(fd).map_err(|e| sys_err!(e, "fd {}", fd.as_raw_fd()))?;
        if let Some(path) = registry::path_of(fd.as_raw_fd()) {
            return Err(err!(EINVAL, "fd {}: its socket file {} was already unlinked", fd.as_raw_fd(), Shown(&path)));
        }
        return Err(err!(EINVAL, "fd {} was not bound to a pathname by libudsock", fd.as_raw_fd()));
    };
    let place = Place::new(&bound.path)?;
    let removed = place.remove_socket(Some(bound.file));
    if let Some(lock) = bound.lock {
        place.release(lock);
    }
    removed
}

/// Closes `fd`, first removing the socket file it bound (as [`unlink`])
/// where that applies: this process bound `fd` itself (a copy inherited
/// across fork leaves the file alone).
pub fn close(fd: OwnedFd) -> Result<()> {
    if registry::owns_file(fd.as_raw_fd()) {
        let _ = unlink(fd.as_fd());
    }
    registry::forget(fd.as_raw_fd());
    let raw = fd.into_raw_fd();
    sys::close(raw).map_err(|e| sys_err!(e, "close fd {raw}"))
}

/// Removes the file at `path` (any length) only if it is a socket.
pub fn unlink_path(path: &[u8]) -> Result<()> {
    Place::new(path)?.remove_socket(None)
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
    if raw.path_bytes().starts_with(b"/proc/self/fd/") {
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
