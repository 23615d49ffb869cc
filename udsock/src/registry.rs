//! What the library remembers about the sockets it bound, accepted and
//! connected: one record per socket, at the fd that made it.
//!
//! * A socket the library bound to a pathname: the caller's real path
//!   (which may be longer than `sun_path`), the name the kernel reports
//!   instead when they differ, the parent directory's absolute path (so a
//!   relative path still leads to the file after the working directory
//!   changed), the socket file's identity, and the lock a
//!   `UDS_REPLACE_STALE` listener holds. No descriptor is kept but the lock.
//! * A connection accepted from such a listener: its local name's real path.
//! * A socket connected to a long path: its peer's real path.
//!
//! Every operation is O(1): records are indexed by fd and by the socket's
//! own identity (`st_dev`/`st_ino` of the socket, the same for every
//! dup(2) of it). A record is alive while its fd still refers to its
//! socket; one whose fd was closed with a plain `close(2)` (and maybe
//! reused) is stale and is never taken for the socket now at that number.
//! Stale records are dropped when their fd number comes back through the
//! library, when a lookup meets them, and by a sweep that checks two
//! records each time one is added; a listener's lock is let go of (by the
//! caller's [`ReleaseLock`]) under the table's lock, so that a listener
//! racing for the same path always finds either the record or a free lock.
//!
//! The table's lock is held only for O(1) work, never across a system
//! call, and around `fork(2)` (pthread_atfork, registered before the lock
//! is first taken), so a child never inherits it locked by a thread that
//! does not exist there. Nothing is done per record at fork.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::sys;

/// `(st_dev, st_ino)`: the identity of an inode.
pub(crate) type Id = (u64, u64);

pub(crate) fn id_of(st: &sys::Stat) -> Id {
    (st.st_dev, st.st_ino)
}

/// The identity of whatever `fd` refers to now.
pub(crate) fn socket_id(fd: RawFd) -> Option<Id> {
    sys::fstat(fd).ok().map(|st| id_of(&st))
}

/// A held `<path>.lock`.
pub(crate) struct Lock {
    #[allow(dead_code)] // held, not read: the flock lasts while this open file description does
    pub fd: OwnedFd,
    pub id: Id,
    /// Taken over from a listener that is gone here, rather than acquired
    /// by this call: another process (forked from this one, or this one's
    /// parent) may share its open file description and serve the path, so
    /// a listener that fails with it must not remove `<path>.lock`.
    pub adopted: bool,
}

/// The socket file a socket the library bound created.
pub(crate) struct BoundFile {
    /// The path as the caller gave it.
    pub path: Arc<[u8]>,
    /// What the kernel reports as the socket's name when that is not the
    /// path (`/proc/self/fd/N/name`, or the bare final component).
    pub alias: Option<Box<[u8]>>,
    /// The parent directory as an absolute path, resolved at bind (the
    /// path's own parent where that could not be done).
    pub dir: Box<[u8]>,
    /// The socket file's identity, recorded right after bind.
    pub file: Id,
    /// The listener's lock, if it took one.
    pub lock: Option<Lock>,
}

struct Record {
    socket: Id,
    /// Tells this record from a later one at the same fd.
    serial: u64,
    /// Where this record's fd stands in `Table::live`.
    at: usize,
    /// The process that made the record: only that one removes the file on
    /// close (a forked child closing its copy must not pull the parent's
    /// socket file from under it).
    pid: i32,
    /// The file it bound, until uds_unlink takes it.
    file: Option<BoundFile>,
    /// Its real path, kept after the file is removed (getsockname).
    path: Option<Arc<[u8]>>,
    /// Accepted: the real path of its local name.
    local: Option<Arc<[u8]>>,
    /// Connected to a long path: its peer's real path.
    peer: Option<Arc<[u8]>>,
}

#[derive(Default)]
struct Table {
    /// Indexed by fd.
    slots: Vec<Option<Box<Record>>>,
    /// The fds that have a record, for the sweep.
    live: Vec<RawFd>,
    /// Socket identity -> the fd of its record.
    by_socket: HashMap<Id, RawFd>,
    /// Name the kernel reports -> the fd of the record that bound it.
    by_alias: HashMap<Box<[u8]>, RawFd>,
    /// Lock file identity -> the fd of the record holding it.
    by_lock: HashMap<Id, RawFd>,
    /// Locks of records inherited across fork(2) whose socket is gone here.
    inherited: HashMap<Id, Lock>,
    serial: u64,
    sweep: usize,
}

impl Table {
    fn get(&self, fd: RawFd) -> Option<&Record> {
        self.slots.get(usize::try_from(fd).ok()?)?.as_deref()
    }

    fn get_mut(&mut self, fd: RawFd) -> Option<&mut Record> {
        self.slots.get_mut(usize::try_from(fd).ok()?)?.as_deref_mut()
    }

    /// The record of socket `id`, wherever it is; not checked for liveness.
    fn of_socket(&self, id: Id) -> Option<(RawFd, &Record)> {
        let fd = *self.by_socket.get(&id)?;
        self.get(fd).filter(|r| r.socket == id).map(|r| (fd, r))
    }

    fn insert(&mut self, fd: RawFd, socket: Id) -> (&mut Record, Option<Record>) {
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        let old = self.remove(fd);
        self.serial += 1;
        let r = Record {
            socket,
            serial: self.serial,
            at: self.live.len(),
            pid: sys::getpid(),
            file: None,
            path: None,
            local: None,
            peer: None,
        };
        self.live.push(fd);
        self.by_socket.insert(socket, fd);
        RECORDS.fetch_add(1, Ordering::AcqRel);
        (self.slots[i].insert(Box::new(r)), old)
    }

    fn remove(&mut self, fd: RawFd) -> Option<Record> {
        let r = *self.slots.get_mut(usize::try_from(fd).ok()?)?.take()?;
        RECORDS.fetch_sub(1, Ordering::AcqRel);
        self.live.swap_remove(r.at);
        if let Some(&moved) = self.live.get(r.at) {
            if let Some(m) = self.get_mut(moved) {
                m.at = r.at;
            }
        }
        if self.by_socket.get(&r.socket) == Some(&fd) {
            self.by_socket.remove(&r.socket);
        }
        if let Some(f) = &r.file {
            self.unindex_file(fd, f);
        }
        Some(r)
    }

    fn unindex_file(&mut self, fd: RawFd, f: &BoundFile) {
        if let Some(alias) = &f.alias {
            if self.by_alias.get(alias) == Some(&fd) {
                self.by_alias.remove(alias);
            }
        }
        if let Some(lock) = &f.lock {
            if self.by_lock.get(&lock.id) == Some(&fd) {
                self.by_lock.remove(&lock.id);
            }
        }
    }
}

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

/// How many records the table holds: calls that only look a socket up, or
/// drop what a closed fd had, skip the lock (and the fstat) while it is 0,
/// as it is in a program that never binds a pathname.
static RECORDS: AtomicUsize = AtomicUsize::new(0);

/// Set once a socket is bound under a name the kernel reports otherwise:
/// until then accept has nothing to record.
static HAS_ALIASES: AtomicBool = AtomicBool::new(false);

fn empty() -> bool {
    RECORDS.load(Ordering::Acquire) == 0
}

/// Lets go of the lock of a record whose socket is gone (and removes its
/// `<path>.lock`): called under the table's lock, so that a listener
/// racing for the path either finds the record and takes its lock over
/// ([`take_stale_lock`]) or finds the lock free.
pub(crate) type ReleaseLock = fn(&BoundFile, Lock);

impl Table {
    /// Releases what a removed record held. A lock inherited across
    /// fork(2) is never released here (its open file description is shared
    /// with the process that took it, whose listener may live): when the
    /// record is closed explicitly (`uds_close`), this copy is just closed;
    /// when it is found stale, the copy is kept so that a listener of this
    /// process can take the path over ([`take_stale_lock`]).
    fn reap(&mut self, r: Option<Record>, release: ReleaseLock, explicit: bool) {
        let Some(Record { file: Some(mut file), pid, .. }) = r else { return };
        if let Some(lock) = file.lock.take() {
            if pid == sys::getpid() {
                release(&file, lock);
            } else if !explicit {
                self.inherited.insert(lock.id, lock);
            }
        }
    }
}

// --- the lock and fork -----------------------------------------------------

thread_local! {
    /// The table, locked by the thread that is forking, until fork returns.
    static HELD_FOR_FORK: RefCell<Option<MutexGuard<'static, Option<Table>>>> = const { RefCell::new(None) };
}

extern "C" fn before_fork() {
    let t = lock_table();
    HELD_FOR_FORK.with(|h| *h.borrow_mut() = Some(t));
}

extern "C" fn after_fork() {
    // In the parent and in the (single-threaded) child alike: unlock.
    HELD_FOR_FORK.with(|h| drop(h.borrow_mut().take()));
}

/// 0: fork handlers not registered; 1: being registered; 2: registered.
static FORK_HANDLERS: AtomicU8 = AtomicU8::new(0);

/// Registers the fork handlers before the table's lock is first taken.
/// Nobody ever waits here: a thread that loses the race goes on while the
/// winner registers (the table is still empty and unlocked then).
fn ensure_fork_handlers() {
    if FORK_HANDLERS.load(Ordering::Acquire) == 2 {
        return;
    }
    if FORK_HANDLERS.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        // Registration fails only without memory; the handlers then are
        // missing, as they were before this library was loaded.
        let _ = sys::at_fork(before_fork, after_fork, after_fork);
        FORK_HANDLERS.store(2, Ordering::Release);
    }
}

fn lock_table() -> MutexGuard<'static, Option<Table>> {
    // A panic elsewhere while holding the lock leaves the table consistent:
    // every mutation is completed before anything that could panic.
    TABLE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `f` on the table, under its lock.
fn with<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    ensure_fork_handlers();
    let mut guard = lock_table();
    f(guard.get_or_insert_with(Table::default))
}

// --- recording ---------------------------------------------------------------

/// `fd` is a new descriptor the library just created (socket, accept,
/// socketpair): anything recorded at that number belonged to a socket
/// closed with a plain close(2), and is dropped.
pub(crate) fn fd_reused(fd: RawFd, release: ReleaseLock) {
    if !empty() {
        with(|t| {
            let r = t.remove(fd);
            t.reap(r, release, false)
        })
    }
}

/// Records that `fd` (socket `socket`) bound `file`, replacing whatever
/// else was recorded at that fd.
pub(crate) fn record_bound(fd: RawFd, socket: Id, file: BoundFile, release: ReleaseLock) {
    let swept = with(|t| {
        let old = match t.get(fd) {
            Some(r) if r.socket == socket => None,
            _ => t.remove(fd),
        };
        if t.get(fd).is_none() {
            t.insert(fd, socket);
        }
        let alias = file.alias.clone();
        let lock = file.lock.as_ref().map(|l| l.id);
        let r = t.get_mut(fd).expect("inserted above");
        r.path = Some(file.path.clone());
        let replaced = r.file.replace(file);
        if let Some(alias) = alias {
            t.by_alias.insert(alias, fd);
            HAS_ALIASES.store(true, Ordering::Release);
        }
        if let Some(lock) = lock {
            t.by_lock.insert(lock, fd);
        }
        t.reap(old, release, false);
        drop(replaced);
        t.sweep_candidates()
    });
    sweep(swept, release);
}

/// `conn` was accepted from `listener`: if the library bound that listener
/// to a name the kernel reports otherwise, `conn`'s local name is the
/// listener's real path.
pub(crate) fn record_accepted(listener: RawFd, conn: RawFd, release: ReleaseLock) {
    if !HAS_ALIASES.load(Ordering::Acquire) {
        return;
    }
    let Some(lid) = socket_id(listener) else { return };
    let Some(cid) = socket_id(conn) else { return };
    with(|t| {
        let path = match t.of_socket(lid) {
            Some((_, r)) if r.file.as_ref().is_some_and(|f| f.alias.is_some()) => r.path.clone(),
            _ => None,
        };
        if let Some(path) = path {
            let old = t.remove(conn);
            t.reap(old, release, false);
            t.insert(conn, cid).0.local = Some(path);
        }
    });
}

/// `fd` was connected to the long path `path`: its peer's real name.
pub(crate) fn record_connected(fd: RawFd, path: &[u8], release: ReleaseLock) {
    let Some(id) = socket_id(fd) else { return };
    let path: Arc<[u8]> = path.into();
    let swept = with(|t| {
        match t.of_socket(id).map(|(at, _)| at) {
            Some(at) => t.get_mut(at).expect("found").peer = Some(path),
            None => {
                let old = t.remove(fd);
                t.reap(old, release, false);
                t.insert(fd, id).0.peer = Some(path);
            }
        }
        t.sweep_candidates()
    });
    sweep(swept, release);
}

// --- the sweep -----------------------------------------------------------------

impl Table {
    /// The next two records to check, round-robin.
    fn sweep_candidates(&mut self) -> [Option<(RawFd, Id, u64)>; 2] {
        let mut out = [None, None];
        for slot in &mut out {
            if self.live.is_empty() {
                break;
            }
            self.sweep = (self.sweep + 1) % self.live.len();
            let fd = self.live[self.sweep];
            *slot = self.get(fd).map(|r| (fd, r.socket, r.serial));
        }
        out
    }
}

/// Checks the candidates (outside the lock) and drops those whose fd no
/// longer refers to their socket.
fn sweep(candidates: [Option<(RawFd, Id, u64)>; 2], release: ReleaseLock) {
    for (fd, id, serial) in candidates.into_iter().flatten() {
        if socket_id(fd) != Some(id) {
            with(|t| {
                let r = if t.get(fd).is_some_and(|r| r.serial == serial) { t.remove(fd) } else { None };
                t.reap(r, release, false)
            })
        }
    }
}

// --- lookups -------------------------------------------------------------------

/// The record for the socket `fd` refers to (`fd` itself, or the fd whose
/// dup it is, provided that one still refers to the socket): its fd.
fn find(fd: RawFd) -> Option<(RawFd, Id)> {
    if empty() {
        return None;
    }
    let id = socket_id(fd)?;
    let at = with(|t| match t.get(fd) {
        Some(r) if r.socket == id => Some(fd),
        _ => t.of_socket(id).map(|(at, _)| at),
    })?;
    (at == fd || socket_id(at) == Some(id)).then_some((at, id))
}

/// Takes out the file `fd`'s socket bound (its path, directory, identity
/// and lock), if the library bound it and it was not taken yet. The record
/// stays, so that [`path_of`] still knows the real path.
pub(crate) fn take_file(fd: RawFd) -> Option<BoundFile> {
    let (at, id) = find(fd)?;
    with(|t| {
        let r = t.get_mut(at).filter(|r| r.socket == id)?;
        let f = r.file.take()?;
        t.unindex_file(at, &f);
        Some(f)
    })
}

/// Drops what is recorded at `fd` (it is being closed).
pub(crate) fn forget(fd: RawFd, release: ReleaseLock) {
    if !empty() {
        with(|t| {
            let r = t.remove(fd);
            t.reap(r, release, true)
        })
    }
}

/// Whether this process bound `fd` itself through the library and the file
/// is still to be removed: what `uds_close` removes.
pub(crate) fn owns_file(fd: RawFd) -> bool {
    if empty() {
        return false;
    }
    let Some(id) = socket_id(fd) else { return false };
    let pid = sys::getpid();
    with(|t| t.get(fd).is_some_and(|r| r.socket == id && r.pid == pid && r.file.is_some()))
}

/// The real path of the socket `fd` refers to, if the library bound it, or
/// accepted it from a listener it bound under another name.
pub(crate) fn path_of(fd: RawFd) -> Option<Arc<[u8]>> {
    let (at, id) = find(fd)?;
    with(|t| t.get(at).filter(|r| r.socket == id).and_then(|r| r.path.clone().or_else(|| r.local.clone())))
}

/// The real path `fd` was connected to, when the library connected it to a
/// path longer than `sun_path`.
pub(crate) fn peer_path_of(fd: RawFd) -> Option<Arc<[u8]>> {
    let (at, id) = find(fd)?;
    with(|t| t.get(at).filter(|r| r.socket == id).and_then(|r| r.peer.clone()))
}

/// The real path behind a name the kernel reports for a socket this
/// process bound (a `/proc/self/fd/N/name` alias), if that socket is alive.
pub(crate) fn path_of_alias(alias: &[u8]) -> Option<Arc<[u8]>> {
    let (fd, id, path) = with(|t| {
        let fd = *t.by_alias.get(alias)?;
        let r = t.get(fd)?;
        Some((fd, r.socket, r.path.clone()?))
    })?;
    (socket_id(fd) == Some(id)).then_some(path)
}

/// The lock file `lock` (identity) held by a record of this process whose
/// socket is gone (closed with a plain close(2), maybe before a fork): its
/// lock, handed over to the caller, who takes the path over.
pub(crate) fn take_stale_lock(lock: Id) -> Option<Lock> {
    let found = with(|t| {
        let fd = *t.by_lock.get(&lock)?;
        t.get(fd).map(|r| (fd, r.socket))
    });
    let (fd, id) = match found {
        Some(found) => found,
        None => return with(|t| t.inherited.remove(&lock)).map(|l| Lock { adopted: true, ..l }),
    };
    if socket_id(fd) == Some(id) {
        return None; // its listener is alive (here, or inherited across fork)
    }
    with(|t| {
        let r = t.get_mut(fd).filter(|r| r.socket == id)?;
        let l = r.file.as_mut()?.lock.take()?;
        t.by_lock.remove(&lock);
        Some(Lock { adopted: true, ..l })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_keeps_the_live_list_and_indexes_in_step() {
        let mut t = Table::default();
        for fd in [5, 9, 7] {
            t.insert(fd, (1, fd as u64));
        }
        assert!(t.remove(5).is_some());
        assert_eq!(t.live.len(), 2);
        for &fd in &t.live {
            assert_eq!(t.live[t.get(fd).unwrap().at], fd);
        }
        assert_eq!(t.of_socket((1, 7)).map(|(fd, _)| fd), Some(7));
        assert!(t.of_socket((1, 5)).is_none());
        assert!(t.remove(5).is_none());
    }
}
