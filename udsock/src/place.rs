//! The life of a pathname socket's file: resolved once, bound, settled
//! (identified, its mode set), locked, judged stale and replaced, removed.
//!
//! Everything the library does to socket *files* goes through the parent
//! directory's `O_PATH` handle, opened once per call: the directory cannot
//! be swapped under us, and a name is checked against the inode we expect
//! before anything is removed. The record of a bound socket keeps the
//! directory's absolute path, so a relative path still leads to the file
//! after the working directory changed; a file whose directory was moved
//! is no longer where it was bound, and is left alone.
//!
//! A socket file is stale when no socket is bound to its inode. That is
//! asked of the kernel exactly, not guessed from timing: a datagram socket
//! connecting to the inode is refused (`ECONNREFUSED`) only when no socket,
//! in any network namespace, is bound to it; a socket of another type
//! bound there answers `EPROTOTYPE` (listening yet or not), and a datagram
//! socket accepts. See SECURITY.md.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::addr::{check_path, open_parent, split, FormatSink, Sink, StackCStr, MAX_DIRECT_PATH};
use crate::error::{err, sys_err, Error, Result, Shown};
use crate::registry::{self, id_of, BoundFile, Id, Lock};
use crate::sys::{self, RawAddr, EADDRINUSE, ECONNREFUSED, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, ENOSYS, ENOTSOCK};

/// Room for a final component plus a suffix (NAME_MAX is 255).
const NAME_CAP: usize = 320;

/// The longest final component a socket can be bound to: the kernel's
/// limit for a name relative to a directory (`sun_path` less its NUL).
pub(crate) const MAX_NAME: usize = sys::SUN_PATH_LEN - 1;

/// A file name and NUL, on the stack.
pub(crate) type Name = StackCStr<NAME_CAP>;

/// The name made of `parts` (a final component and a suffix).
fn file_name(parts: &[&[u8]]) -> Result<Name> {
    StackCStr::new(parts).ok_or_else(|| err!(ENAMETOOLONG, "file name {} is too long", Shown(parts[0])))
}

/// A pathname split into its opened parent directory and final component.
pub(crate) struct Place<'p> {
    pub path: &'p [u8],
    pub dir: OwnedFd,
    pub name: Name,
}

/// How a socket is bound to a place.
#[derive(Clone, Copy)]
pub(crate) struct BindOptions {
    /// Permission bits to give the file exactly (`uds_listener`'s mode).
    pub mode: Option<u32>,
    /// Take `<path>.lock` and replace a stale socket file.
    pub replace_stale: bool,
}

impl<'p> Place<'p> {
    pub fn new(path: &'p [u8]) -> Result<Place<'p>> {
        check_path(path)?;
        let (parent, name) = split(path);
        if name.is_empty() {
            return Err(err!(EINVAL, "path {} ends in '/': a socket needs a file name", Shown(path)));
        }
        Ok(Place { path, dir: open_parent(path, parent)?, name: file_name(&[name])? })
    }

    /// The place of a file the library bound, in its recorded directory.
    fn of(file: &'p BoundFile) -> Result<Place<'p>> {
        let path = &file.path[..];
        Ok(Place { path, dir: open_parent(path, &file.dir)?, name: file_name(&[split(path).1])? })
    }

    /// The directory's absolute path, for the record; the path's own
    /// parent where it cannot be had (no /proc).
    fn dir_path(&self) -> Box<[u8]> {
        let mut buf = [0u8; sys::PATH_MAX];
        match sys::fd_path(self.dir.as_fd(), &mut buf) {
            Ok(n) => buf[..n].into(),
            Err(_) => split(self.path).0.into(),
        }
    }

    fn dirfd(&self) -> i32 {
        self.dir.as_raw_fd()
    }

    /// `lstat` of the name.
    pub fn lstat(&self) -> sys::SysResult<sys::Stat> {
        sys::lstat_at(self.dirfd(), self.name.as_cstr())
    }

    /// An `O_PATH` handle on the file at the name (a symlink itself, not
    /// followed) and its `fstat`: questions asked through the handle are
    /// about that inode, whatever happens to the name meanwhile.
    pub fn open_file(&self) -> sys::SysResult<(OwnedFd, sys::Stat)> {
        let inode = sys::open_inode(self.dirfd(), self.name.as_cstr())?;
        let st = sys::fstat(inode.as_raw_fd())?;
        Ok((inode, st))
    }

    /// Binds `fd` here. A path that fits in `sun_path` is bound as it is; a
    /// longer one through `/proc/self/fd/<dir>/name`, or, when the final
    /// component does not fit behind that prefix, by the bare name from a
    /// thread whose working directory is `dir` (the process's stays).
    /// Returns the name the kernel will report when it is not the path.
    fn bind_here(&self, fd: BorrowedFd<'_>) -> Result<Option<Box<[u8]>>> {
        let failed = |e| sys_err!(e, "bind fd {} to {}", fd.as_raw_fd(), Shown(self.path));
        if self.path.len() <= MAX_DIRECT_PATH {
            sys::bind(fd, &RawAddr::from_parts(b"", self.path, 1)).map_err(failed)?;
            return Ok(None);
        }
        let name = self.name.bytes();
        if name.len() > MAX_NAME {
            return Err(err!(
                ENAMETOOLONG,
                // The limit last, where a line cut in its middle keeps it.
                "final component of {} bytes in path {}; a socket's name is at most {MAX_NAME}",
                name.len(),
                Shown(self.path)
            ));
        }
        if !sys::proc_fd_available() {
            return Err(err!(
                ENAMETOOLONG,
                "path is {} bytes and /proc is not mounted; the limit without it is {MAX_DIRECT_PATH}",
                self.path.len()
            ));
        }
        if let Some(raw) = sys::fd_address(self.dir.as_fd(), name) {
            sys::bind(fd, &raw).map_err(failed)?;
            return Ok(Some(raw.path_bytes().split(|&b| b == 0).next().unwrap_or_default().into()));
        }
        let raw = RawAddr::from_parts(b"", name, 1);
        sys::in_directory(self.dir.as_fd(), || sys::bind(fd, &raw)).map_err(failed)?;
        Ok(Some(name.into()))
    }

    /// The identity of the socket file at the name, after the caller's bind
    /// of a socket of type `ty` (not yet listening).
    /// With `mode`, also sets its permission bits exactly (through an
    /// `O_PATH` handle on the inode, so a name swapped meanwhile is not
    /// followed).
    ///
    /// A socket file that cannot be ours (it accepts a connection, or is of
    /// another type) was swapped in after the bind: `EADDRINUSE`, and it is
    /// neither chmod'ed nor recorded, so it is never removed later. On any
    /// other failure the file is removed: by its identity once that is
    /// known, by name when no descriptor could be opened to learn it.
    fn settle(&self, mode: Option<u32>, ty: i32) -> Result<Id> {
        let opened = sys::open_inode(self.dirfd(), self.name.as_cstr())
            .and_then(|inode| sys::fstat(inode.as_raw_fd()).map(|st| (inode, st)));
        let (inode, st) = match opened {
            Ok(found) => found,
            Err(e) => {
                // No descriptor to check the file with (EMFILE near the
                // limit): it is the one this bind just made, removed by name.
                let _ = self.remove_socket(None);
                return Err(sys_err!(e, "open bound socket file {}", Shown(self.path)));
            }
        };
        if !sys::is_socket(&st) {
            return Err(err!(EEXIST, "{} was replaced by something that is not a socket", Shown(self.path)));
        }
        if !could_be_ours(&inode, ty) {
            return Err(err!(EADDRINUSE, "{} was replaced by a live socket; left alone", Shown(self.path)));
        }
        let id = id_of(&st);
        if let Some(mode) = mode {
            if let Err(e) = self.chmod_bound(&inode, id, mode) {
                // Ours, identity known: removed only if it is still that file.
                if e.errno() != EADDRINUSE {
                    let _ = self.remove_socket(Some(id));
                }
                return Err(e);
            }
        }
        Ok(id)
    }

    /// Sets the mode of the bound socket file `inode` (identity `id`):
    /// through `/proc/self/fd/N`, so that the name is not looked up again;
    /// without /proc, by name without following a symlink (`fchmodat2`),
    /// then checked to name that very file still.
    fn chmod_bound(&self, inode: &OwnedFd, id: Id, mode: u32) -> Result<()> {
        let failed = |e| sys_err!(e, "chmod 0{:o} {}", mode, Shown(self.path));
        match chmod_inode(inode, mode) {
            Err(ENOENT) if !sys::proc_fd_available() => {}
            done => return done.map_err(failed),
        }
        sys::chmod_at_nofollow(self.dirfd(), self.name.as_cstr(), mode).map_err(|e| match e {
            ENOSYS => err!(ENOSYS, "setting the mode of {} needs /proc (not mounted) or Linux 6.6 (fchmodat2)", Shown(self.path)),
            e => failed(e),
        })?;
        match self.lstat() {
            Ok(st) if id_of(&st) == id => Ok(()),
            _ => Err(err!(EADDRINUSE, "{} was replaced while its mode was set; left alone", Shown(self.path))),
        }
    }

    fn lock_name(&self) -> Result<Name> {
        file_name(&[self.name.bytes(), b".lock"])
    }

    /// Takes `<path>.lock` (created if needed) with a non-blocking `flock`.
    /// Someone else holding it means a live listener owns the path; a
    /// listener of this process that is gone (closed with a plain close(2))
    /// hands its lock over, as does one inherited across fork(2).
    fn lock(&self) -> Result<Lock> {
        let lock_name = self.lock_name()?;
        // A lock file removed by its owner between our open and flock would
        // leave us holding a lock nobody else sees: check it is still linked.
        let mut retried = false;
        for _ in 0..8 {
            let fd = sys::open_lock(self.dirfd(), lock_name.as_cstr())
                .map_err(|e| sys_err!(e, "open lock file {}.lock", Shown(self.path)))?;
            let held = sys::fstat(fd.as_raw_fd()).map_err(|e| sys_err!(e, "fstat lock file"))?;
            let lock = if sys::try_lock(fd.as_fd()).map_err(|e| sys_err!(e, "flock {}.lock", Shown(self.path)))? {
                Lock { fd, id: id_of(&held), adopted: false }
            } else if let Some(lock) = registry::take_stale_lock(id_of(&held)) {
                lock
            } else if !retried {
                // Another thread may have been letting go of a stale
                // record's lock: that is done under the table's lock, which
                // take_stale_lock has just waited for. Once more.
                retried = true;
                continue;
            } else {
                return Err(err!(
                    EADDRINUSE,
                    "in use: another listener holds {}.lock",
                    Shown(self.path)
                ));
            };
            match sys::lstat_at(self.dirfd(), lock_name.as_cstr()) {
                Ok(now) if id_of(&now) == lock.id => return Ok(lock),
                _ => continue,
            }
        }
        Err(err!(EADDRINUSE, "lock file {}.lock keeps being replaced", Shown(self.path)))
    }

    /// Removes `<name>.lock` if it is still the file `lock` holds, then
    /// lets go of the lock: for a lock this process acquired, which nobody
    /// else can hold while it does. An adopted lock ([`Lock::adopted`]) may
    /// be shared with a live listener in another process: it is only let go of.
    fn release(&self, lock: Lock) {
        if lock.adopted {
            return drop(lock);
        }
        if let Ok(lock_name) = self.lock_name() {
            if matches!(sys::lstat_at(self.dirfd(), lock_name.as_cstr()), Ok(st) if id_of(&st) == lock.id) {
                let _ = sys::unlink_at(self.dirfd(), lock_name.as_cstr());
            }
        }
        drop(lock);
    }

    /// Lets go of the lock of a listener that is gone here, then removes
    /// `<name>.lock` only if nobody holds it any more: a process forked
    /// while the listener lived shares the lock's open file description and
    /// may still serve the path.
    fn release_if_unheld(&self, lock: Lock) {
        let id = lock.id;
        drop(lock);
        let Ok(lock_name) = self.lock_name() else { return };
        let Ok(fd) = sys::open_existing_lock(self.dirfd(), lock_name.as_cstr()) else { return };
        if matches!(sys::fstat(fd.as_raw_fd()), Ok(st) if id_of(&st) == id) && sys::try_lock(fd.as_fd()) == Ok(true) {
            self.release(Lock { fd, id, adopted: false });
        }
    }

    /// Removes the socket file at the name, but only if it is a socket and,
    /// with `expect`, exactly that inode: anything else there (another
    /// socket, a file, a symlink) means the name no longer names that
    /// file, `ENOENT`; without `expect`, a non-socket is `ENOTSOCK`.
    ///
    /// The name is first renamed to a private one in the same directory and
    /// checked there, so that a file or symlink swapped in after the check
    /// is put back, never removed.
    pub fn remove_socket(&self, expect: Option<Id>) -> Result<()> {
        let st = self.lstat().map_err(|e| sys_err!(e, "lstat {}", Shown(self.path)))?;
        let found = id_of(&st);
        if expect.is_some_and(|id| id != found || !sys::is_socket(&st)) {
            return Err(err!(ENOENT, "{} no longer names the socket file this socket created", Shown(self.path)));
        }
        if !sys::is_socket(&st) {
            let what = if sys::is_symlink(&st) { "a symlink" } else { "not a socket" };
            return Err(err!(ENOTSOCK, "{} is {what}: only socket files are removed", Shown(self.path)));
        }
        // A private name of fixed length (a name built on the original
        // would pass NAME_MAX for an original of 241 bytes or more); pid and
        // sequence make it unique here, and RENAME_NOREPLACE never lets it
        // replace anything: a clash just takes the next number.
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let (dir, name) = (self.dirfd(), self.name.as_cstr());
        let mut attempts = 0;
        let tmp = loop {
            let mut tag = [0u8; 24];
            let mut w = FormatSink::new(&mut tag);
            w.put_decimal(sys::getpid() as u32);
            w.put(b".");
            w.put_decimal(SEQ.fetch_add(1, Ordering::Relaxed));
            let n = w.needed;
            let tmp = file_name(&[b".uds-rm.", &tag[..n]])?;
            match sys::rename_noreplace(dir, name, tmp.as_cstr()) {
                Ok(()) => break tmp,
                Err(EEXIST) if attempts < 8 => attempts += 1,
                // A filesystem without RENAME_NOREPLACE: check and unlink.
                Err(EINVAL) => {
                    return sys::unlink_at(dir, name).map_err(|e| sys_err!(e, "unlink {}", Shown(self.path)))
                }
                Err(e) => return Err(sys_err!(e, "rename {} aside to remove it", Shown(self.path))),
            }
        };
        let tmpc = tmp.as_cstr();
        match sys::lstat_at(dir, tmpc) {
            Ok(moved) if id_of(&moved) == found && sys::is_socket(&moved) => {
                sys::unlink_at(dir, tmpc).map_err(|e| sys_err!(e, "unlink {}", Shown(self.path)))
            }
            _ => {
                // Swapped between the check and the rename: put it back.
                let _ = sys::rename_noreplace(dir, tmpc, name);
                Err(err!(EADDRINUSE, "{} changed while it was being removed; left alone", Shown(self.path)))
            }
        }
    }

    /// Decides whether the socket file at the name is stale: no socket is
    /// bound to its inode. Returns an `O_PATH` handle on the stale file
    /// (keep it until the file is removed, so that its inode number cannot
    /// be reused meanwhile) and its identity, or `None` when the file
    /// vanished (bind can simply be retried).
    fn judge(&self) -> Result<Option<(OwnedFd, Id)>> {
        let path = self.path;
        let (inode, st) = match self.open_file() {
            Ok(file) => file,
            Err(ENOENT) => return Ok(None),
            Err(e) => return Err(sys_err!(e, "open {}", Shown(path))),
        };
        if !sys::is_socket(&st) {
            return Err(occupied(path, &st));
        }
        // Liveness is asked of the very inode whose identity is taken: asked
        // by name, a live socket swapped in between the two would be taken
        // for the stale one and removed. Without /proc, by name: the best
        // that can be done.
        let asked = if sys::proc_fd_available() {
            connect_inode(&inode, sys::SOCK_DGRAM)
        } else if path.len() <= MAX_DIRECT_PATH {
            let prober = sys::socket(sys::SOCK_DGRAM | sys::SOCK_NONBLOCK).map_err(|e| sys_err!(e, "probe socket"))?;
            sys::connect(prober.as_fd(), &RawAddr::from_parts(b"", path, 1))
        } else {
            Err(ENAMETOOLONG)
        };
        match asked {
            Err(ECONNREFUSED) => Ok(Some((inode, id_of(&st)))),
            Err(ENOENT) => Ok(None),
            // Bound (EPROTOTYPE: another type; accepted or EPERM: a datagram
            // socket), or nothing can be told (permissions, an LSM): live.
            _ => Err(occupied(path, &st)),
        }
    }

    /// Binds `fd` here (replacing a stale socket file if `replace`: the
    /// caller holds the lock), sets the file's mode, and returns its
    /// identity and the name the kernel reports for it.
    fn bind_and_settle(&self, fd: BorrowedFd<'_>, mode: Option<u32>, replace: bool) -> Result<(Id, Option<Box<[u8]>>)> {
        let alias = match self.bind_here(fd) {
            Err(e) if e.errno() == EADDRINUSE && replace => {
                if let Some((_held, stale)) = self.judge()? {
                    self.remove_socket(Some(stale)).map_err(|e| self.changed(e))?;
                }
                self.bind_here(fd)?
            }
            bound => bound?,
        };
        let ty = sys::socket_type(fd).map_err(|e| sys_err!(e, "SO_TYPE of fd {}", fd.as_raw_fd()))?;
        // settle removes what it finds to be ours when it fails, never a
        // file swapped in after the bind (EEXIST, EADDRINUSE).
        let file = self.settle(mode, ty)?;
        Ok((file, alias))
    }

    /// The error for a stale socket that could not be removed because the
    /// path changed after it was judged (someone swapped in another file,
    /// symlink or socket): what is there now, as the contract names it
    /// (`EADDRINUSE` for a socket, `EEXIST` for anything else), never the
    /// removal's own `ENOENT`/`ENOTSOCK`.
    fn changed(&self, e: Error) -> Error {
        if e.errno() != ENOENT && e.errno() != ENOTSOCK {
            return e;
        }
        match self.lstat() {
            Ok(st) => occupied(self.path, &st),
            Err(_) => err!(EADDRINUSE, "{} changed while its stale socket was being removed", Shown(self.path)),
        }
    }
}

/// Binds `fd` to `path` (any length), with `uds_listener`'s options, and
/// records the socket file it created. On failure nothing is left behind
/// that this call created (file, lock file) and nothing is recorded.
pub(crate) fn bind(fd: BorrowedFd<'_>, path: &[u8], opts: BindOptions) -> Result<()> {
    let place = Place::new(path)?;
    let socket = registry::socket_id(fd.as_raw_fd())
        .ok_or_else(|| err!(sys::EBADF, "fd {} is not open", fd.as_raw_fd()))?;
    if let Some(m) = opts.mode {
        sys::fchmod(fd, m).map_err(|e| sys_err!(e, "fchmod 0{m:o} of the unbound socket"))?;
    }
    let lock = if opts.replace_stale { Some(place.lock()?) } else { None };
    match place.bind_and_settle(fd, opts.mode, opts.replace_stale) {
        Ok((file, alias)) => {
            // Bound: whatever listener the lock was taken over from is gone
            // everywhere (its file was stale or absent), so it is ours now.
            let lock = lock.map(|l| Lock { adopted: false, ..l });
            let bound = BoundFile { path: path.into(), alias, dir: place.dir_path(), file, lock };
            registry::record_bound(fd.as_raw_fd(), socket, bound, release_lock);
            Ok(())
        }
        Err(e) => {
            // A failed bind leaves no lock file behind either.
            if let Some(lock) = lock {
                place.release(lock);
            }
            Err(e)
        }
    }
}

/// Removes the socket file `fd` bound through this library, only if the
/// path still names that very file, and releases its lock file.
pub(crate) fn unlink(fd: BorrowedFd<'_>) -> Result<()> {
    let Some(mut file) = registry::take_file(fd.as_raw_fd()) else {
        // Say why: not open, not a socket, or not one the library bound.
        sys::socket_type(fd).map_err(|e| sys_err!(e, "fd {}", fd.as_raw_fd()))?;
        if let Some(path) = registry::path_of(fd.as_raw_fd()) {
            return Err(err!(EINVAL, "fd {}: its socket file {} was already unlinked", fd.as_raw_fd(), Shown(&path)));
        }
        return Err(err!(EINVAL, "fd {} was not bound to a pathname by libudsock", fd.as_raw_fd()));
    };
    let lock = file.lock.take();
    let place = Place::of(&file)?;
    let removed = place.remove_socket(Some(file.file));
    if let Some(lock) = lock {
        place.release(lock);
    }
    removed
}

/// Lets go of the lock of a listener whose socket is gone here, removing
/// `<path>.lock` if nobody holds it any more (a process forked while the
/// listener lived may share the lock and still serve the path). Its socket file stays, as a plain close(2) leaves any socket's
/// file (a dup or a forked copy may still serve it; a `UDS_REPLACE_STALE`
/// listener replaces it once it is stale). A lock file whose directory
/// has moved is left where it now is.
pub(crate) fn release_lock(file: &BoundFile, lock: Lock) {
    match Place::of(file) {
        Ok(place) => place.release_if_unheld(lock),
        Err(_) => drop(lock),
    }
}

/// Removes the file at `path` (any length) only if it is a socket.
pub(crate) fn unlink_path(path: &[u8]) -> Result<()> {
    Place::new(path)?.remove_socket(None)
}

/// chmod through `/proc/self/fd/N` of an `O_PATH` handle.
fn chmod_inode(inode: &OwnedFd, mode: u32) -> sys::SysResult<()> {
    let mut buf = [0u8; 32];
    sys::chmod(sys::fd_name(inode.as_fd(), &mut buf), mode)
}

/// Whether the socket file `inode` may be the one a socket of type `ty`
/// has just bound (and not yet put to listen): a probe of that type,
/// connected through `/proc/self/fd/N`, must be refused (stream,
/// seqpacket) or at least not meet another type (datagram, which cannot be
/// told apart further). When the probe cannot be made, the answer is yes.
fn could_be_ours(inode: &OwnedFd, ty: i32) -> bool {
    match connect_inode(inode, ty) {
        Err(sys::EPROTOTYPE) => false,
        Ok(()) | Err(sys::EINPROGRESS) | Err(sys::EAGAIN) => ty & !sys::SOCK_NONBLOCK == sys::SOCK_DGRAM,
        Err(_) => true,
    }
}

/// Connects a new non-blocking probe socket of type `ty` to the socket file
/// `inode` itself, through `/proc/self/fd/N` (the name is not looked up
/// again), and closes it. `ENOENT` when /proc is not mounted.
fn connect_inode(inode: &OwnedFd, ty: i32) -> sys::SysResult<()> {
    let raw = sys::fd_address(inode.as_fd(), b"").expect("/proc/self/fd/N fits");
    let probe = sys::socket(ty | sys::SOCK_NONBLOCK)?;
    sys::connect(probe.as_fd(), &raw)
}

/// The error for a path that is taken by something else.
fn occupied(path: &[u8], st: &sys::Stat) -> Error {
    if sys::is_socket(st) {
        err!(EADDRINUSE, "{} is a live socket: a socket is bound to it", Shown(path))
    } else if sys::is_symlink(st) {
        err!(EEXIST, "{} is a symlink, not a stale socket: left alone", Shown(path))
    } else {
        err!(EEXIST, "{} exists and is not a socket: left alone", Shown(path))
    }
}
