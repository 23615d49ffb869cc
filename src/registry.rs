//! What the library remembers about the pathname sockets it bound: the
//! caller's real path (which may be longer than `sun_path`), the identity of
//! the socket file it created, and the lock file a listener holds.
//!
//! Entries are keyed by fd and checked against the socket's own inode, so an
//! fd number reused after a plain `close(2)` is never taken for the old
//! socket: a mismatched entry is stale and dropped (releasing its lock).
//!
//! A long path is bound through `/proc/self/fd/N/name`, and the kernel
//! reports that alias as the name of the listener's accepted connections
//! and as the peer of its clients. The alias does not name one socket:
//! once the directory fd N is closed, the next long bind may reuse it. So
//! the real path is also recorded for what `uds_accept` accepts from such a
//! listener and for what `uds_connect`/`uds_dial` connect to a long path;
//! an alias that nothing recorded is mapped only when exactly one live
//! socket of this process was bound through it.
//!
//! Around `fork(2)` (pthread_atfork) the table is purged of such stale
//! entries, so a child never inherits the lock of a listener that is
//! already gone, and it is held, so a child never inherits it locked by a
//! thread that does not exist in the child.

use std::cell::RefCell;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

use crate::sys;

/// `(st_dev, st_ino)`: the identity of an inode.
pub(crate) type Id = (u64, u64);

pub(crate) fn id_of(st: &sys::Stat) -> Id {
    (st.st_dev, st.st_ino)
}

/// A held `<path>.lock`.
pub(crate) struct Lock {
    #[allow(dead_code)] // held, not read: the flock lasts while it is open
    pub fd: OwnedFd,
    pub id: Id,
}

/// The socket file a bound socket created.
pub(crate) struct Bound {
    /// The path as the caller gave it.
    pub path: Box<[u8]>,
    /// For a path longer than `sun_path`: the `/proc/self/fd/N/name` alias
    /// it was bound through, which the kernel reports for it from then on.
    pub alias: Option<Box<[u8]>>,
    /// The socket file's identity, recorded right after bind.
    pub file: Id,
    /// The listener's lock, if it took one.
    pub lock: Option<Lock>,
}

/// What an entry says about its socket.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The library bound it: `bound` is its own file.
    Bound,
    /// Accepted from a listener bound to `bound.path` (its local name).
    Accepted,
    /// Connected to `bound.path` (its peer's name).
    Connected,
}

struct Entry {
    fd: RawFd,
    socket: Id,
    kind: Kind,
    bound: Bound,
    /// The process that bound it: only that one removes the file on close
    /// (a forked child closing its copy must not pull the parent's socket
    /// file from under it).
    pid: i32,
    /// uds_unlink has removed the file: only the path is still of use
    /// (getsockname keeps reporting it, as the socket stays bound).
    removed: bool,
}

static TABLE: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn table() -> MutexGuard<'static, Vec<Entry>> {
    // A panic elsewhere while holding the lock leaves the Vec consistent.
    TABLE.lock().unwrap_or_else(|p| p.into_inner())
}

fn socket_id(fd: RawFd) -> Option<Id> {
    sys::fstat(fd).ok().map(|st| id_of(&st))
}

fn is_live(e: &Entry) -> bool {
    socket_id(e.fd) == Some(e.socket)
}

thread_local! {
    /// The table, locked by the thread that is forking, until fork returns.
    static HELD_FOR_FORK: RefCell<Option<MutexGuard<'static, Vec<Entry>>>> = const { RefCell::new(None) };
}

extern "C" fn before_fork() {
    let mut t = table();
    t.retain(is_live);
    HELD_FOR_FORK.with(|h| *h.borrow_mut() = Some(t));
}

extern "C" fn after_fork() {
    // In the parent and in the (single-threaded) child alike: unlock.
    HELD_FOR_FORK.with(|h| drop(h.borrow_mut().take()));
}

/// Records that `fd` bound `bound`. Replaces any older binding recorded
/// for the fd, and anything recorded for an earlier socket of that number.
pub(crate) fn record(fd: RawFd, bound: Bound) {
    static AT_FORK: Once = Once::new();
    AT_FORK.call_once(|| {
        // Without the hook only a child forked after a plain close(2) of a
        // listener is affected: it would inherit that listener's lock.
        let _ = sys::at_fork(before_fork, after_fork, after_fork);
    });
    let Some(socket) = socket_id(fd) else { return };
    if bound.alias.is_some() {
        HAS_ALIASES.store(true, Ordering::Relaxed);
    }
    let mut t = table();
    t.retain(|e| e.fd != fd || (e.kind != Kind::Bound && e.socket == socket));
    t.push(Entry { fd, socket, kind: Kind::Bound, bound, pid: sys::getpid(), removed: false });
}

/// Set once a socket has been bound through an alias: until then accept
/// has nothing to look up.
static HAS_ALIASES: AtomicBool = AtomicBool::new(false);

/// Records a name that the kernel reports only as an alias: `path` is the
/// local name of `fd` (`Kind::Accepted`) or its peer's (`Kind::Connected`).
fn record_name(fd: RawFd, kind: Kind, path: Box<[u8]>) {
    let Some(socket) = socket_id(fd) else { return };
    let mut t = table();
    t.retain(|e| e.fd != fd || (e.kind != kind && e.socket == socket));
    let bound = Bound { path, alias: None, file: (0, 0), lock: None };
    t.push(Entry { fd, socket, kind, bound, pid: sys::getpid(), removed: false });
}

/// `conn` was accepted from `listener`: if the library bound that listener
/// through an alias, `conn`'s local name is the listener's real path.
pub(crate) fn record_accepted(listener: RawFd, conn: RawFd) {
    if !HAS_ALIASES.load(Ordering::Relaxed) {
        return;
    }
    let Some(id) = socket_id(listener) else { return };
    let path = {
        let t = table();
        t.iter().find(|e| e.kind == Kind::Bound && e.socket == id && e.bound.alias.is_some()).map(|e| e.bound.path.clone())
    };
    if let Some(path) = path {
        record_name(conn, Kind::Accepted, path);
    }
}

/// `fd` was connected to the long path `path`: its peer's real name.
pub(crate) fn record_connected(fd: RawFd, path: &[u8]) {
    record_name(fd, Kind::Connected, path.into());
}

/// Takes out what removing `fd`'s socket file needs (its path, identity
/// and lock), if `fd` is still the socket that was recorded (or a dup(2)
/// of the fd that bound it) and its file was not removed yet. The entry
/// stays, marked removed, so that [`path_of`] still knows the real path;
/// stale entries for the fd are dropped.
pub(crate) fn take(fd: RawFd) -> Option<Bound> {
    let id = socket_id(fd)?;
    let mut t = table();
    if let Some(i) = t.iter().position(|e| e.fd == fd && e.socket != id) {
        t.swap_remove(i);
    }
    let bound = |e: &Entry| e.kind == Kind::Bound;
    let i = t
        .iter()
        .position(|e| bound(e) && e.fd == fd)
        .or_else(|| t.iter().position(|e| bound(e) && e.socket == id && is_live(e)))?;
    let e = &mut t[i];
    if e.removed {
        return None;
    }
    e.removed = true;
    Some(Bound { path: e.bound.path.clone(), alias: None, file: e.bound.file, lock: e.bound.lock.take() })
}

/// Drops whatever is recorded for `fd` (it is being closed).
pub(crate) fn forget(fd: RawFd) {
    table().retain(|e| e.fd != fd);
}

/// The real path the socket `fd` refers to was bound to, if the library
/// bound it (or accepted it from a listener it bound through an alias):
/// looked up by the socket itself, so a dup(2) reports the same path.
pub(crate) fn path_of(fd: RawFd) -> Option<Box<[u8]>> {
    let id = socket_id(fd)?;
    let t = table();
    let of = |kind| t.iter().find(|e| e.kind == kind && e.socket == id);
    of(Kind::Bound).or_else(|| of(Kind::Accepted)).map(|e| e.bound.path.clone())
}

/// The real path `fd` was connected to, when the library connected it to a
/// path longer than `sun_path`.
pub(crate) fn peer_path_of(fd: RawFd) -> Option<Box<[u8]>> {
    let id = socket_id(fd)?;
    let t = table();
    t.iter().find(|e| e.kind == Kind::Connected && e.socket == id).map(|e| e.bound.path.clone())
}

/// The real path behind a `/proc/self/fd/N/name` alias, when exactly one
/// live socket of this process was bound through it (with two, the alias
/// cannot tell them apart and stays as the kernel reports it).
pub(crate) fn path_of_alias(alias: &[u8]) -> Option<Box<[u8]>> {
    let t = table();
    let mut found = t.iter().filter(|e| e.kind == Kind::Bound && e.bound.alias.as_deref() == Some(alias) && is_live(e));
    match (found.next(), found.next()) {
        (Some(e), None) => Some(e.bound.path.clone()),
        _ => None,
    }
}

/// Whether this process bound `fd` through the library (an entry exists
/// and matches) and its socket file has not been removed yet: what
/// `uds_close` removes.
pub(crate) fn owns_file(fd: RawFd) -> bool {
    let Some(id) = socket_id(fd) else { return false };
    let pid = sys::getpid();
    table().iter().any(|e| e.kind == Kind::Bound && e.fd == fd && e.socket == id && e.pid == pid && !e.removed)
}

/// Drops entries whose fd no longer is the recorded socket (closed with a
/// plain close(2)), so that their locks are released.
pub(crate) fn purge_stale() {
    table().retain(is_live);
}
