//! What the library remembers about the pathname sockets it bound: the
//! caller's real path (which may be longer than `sun_path`), the identity of
//! the socket file it created, and the lock file a listener holds.
//!
//! Entries are keyed by fd and checked against the socket's own inode, so an
//! fd number reused after a plain `close(2)` is never taken for the old
//! socket: a mismatched entry is stale and dropped (releasing its lock).
//!
//! Around `fork(2)` (pthread_atfork) the table is purged of such stale
//! entries, so a child never inherits the lock of a listener that is
//! already gone, and it is held, so a child never inherits it locked by a
//! thread that does not exist in the child.

use std::cell::RefCell;
use std::os::fd::{OwnedFd, RawFd};
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

struct Entry {
    fd: RawFd,
    socket: Id,
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

/// Records that `fd` bound `bound`. Replaces any older entry for the fd.
pub(crate) fn record(fd: RawFd, bound: Bound) {
    static AT_FORK: Once = Once::new();
    AT_FORK.call_once(|| {
        // Without the hook only a child forked after a plain close(2) of a
        // listener is affected: it would inherit that listener's lock.
        let _ = sys::at_fork(before_fork, after_fork, after_fork);
    });
    let Some(socket) = socket_id(fd) else { return };
    let mut t = table();
    t.retain(|e| e.fd != fd);
    t.push(Entry { fd, socket, bound, pid: sys::getpid(), removed: false });
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
    let i = t.iter().position(|e| e.fd == fd).or_else(|| t.iter().position(|e| e.socket == id && is_live(e)))?;
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
/// bound it: looked up by the socket itself, so a dup(2) of the fd the
/// library bound reports the same path.
pub(crate) fn path_of(fd: RawFd) -> Option<Box<[u8]>> {
    let id = socket_id(fd)?;
    let t = table();
    t.iter().find(|e| e.socket == id).map(|e| e.bound.path.clone())
}

/// The real path behind a `/proc/self/fd/N/name` alias that a live socket
/// of this process was bound through (the most recent, should two share
/// it): what the kernel reports as the name of that listener's accepted
/// connections and as the peer of its clients.
pub(crate) fn path_of_alias(alias: &[u8]) -> Option<Box<[u8]>> {
    let t = table();
    t.iter().rev().find(|e| e.bound.alias.as_deref() == Some(alias) && is_live(e)).map(|e| e.bound.path.clone())
}

/// Whether this process bound `fd` through the library (an entry exists
/// and matches) and its socket file has not been removed yet: what
/// `uds_close` removes.
pub(crate) fn owns_file(fd: RawFd) -> bool {
    let Some(id) = socket_id(fd) else { return false };
    let pid = sys::getpid();
    table().iter().any(|e| e.fd == fd && e.socket == id && e.pid == pid && !e.removed)
}

/// Drops entries whose fd no longer is the recorded socket (closed with a
/// plain close(2)), so that their locks are released.
pub(crate) fn purge_stale() {
    table().retain(is_live);
}
