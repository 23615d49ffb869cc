//! Where a pathname socket lives, as a directory handle and a name in it.
//!
//! Everything the library does to socket *files* (identify, chmod, lock,
//! remove) goes through the parent directory's `O_PATH` fd and `*at` calls:
//! the directory cannot be swapped under us, and a name is checked against
//! the inode we expect before anything is removed.

use std::ffi::CStr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::addr::{check_path, open_parent, split, FormatSink, Sink};
use crate::error::{err, sys_err, Error, Result, Shown};
use crate::registry::{id_of, Id, Lock};
use crate::sys::{self, EADDRINUSE, EEXIST, EINVAL, ENOENT, ENOSYS, ENOTSOCK};

/// Room for a final component plus a suffix (NAME_MAX is 255).
const NAME_CAP: usize = 320;

/// A file name and NUL, on the stack.
pub(crate) struct Name {
    buf: [u8; NAME_CAP],
    len: usize,
}

impl Name {
    fn new(parts: &[&[u8]]) -> Result<Name> {
        let mut n = Name { buf: [0; NAME_CAP], len: 0 };
        let mut w = FormatSink::new(&mut n.buf[..NAME_CAP - 1]);
        for p in parts {
            w.put(p);
        }
        if w.needed >= NAME_CAP {
            return Err(err!(sys::ENAMETOOLONG, "file name {} is too long", Shown(parts[0])));
        }
        n.len = w.needed;
        Ok(n)
    }

    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_with_nul(&self.buf[..=self.len]).expect("names never hold NUL")
    }
}

/// A pathname split into its opened parent directory and final component.
pub(crate) struct Place<'p> {
    pub path: &'p [u8],
    pub dir: OwnedFd,
    pub name: Name,
}

impl<'p> Place<'p> {
    pub fn new(path: &'p [u8]) -> Result<Place<'p>> {
        check_path(path)?;
        let (parent, name) = split(path);
        if name.is_empty() {
            return Err(err!(EINVAL, "path {} ends in '/': a socket needs a file name", Shown(path)));
        }
        Ok(Place { path, dir: open_parent(parent)?, name: Name::new(&[name])? })
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

    /// The identity of the socket file at the name, after the caller's bind
    /// of a socket of type `ty` (not yet listening).
    /// With `mode`, also sets its permission bits exactly (through an
    /// `O_PATH` handle on the inode, so a name swapped meanwhile is not
    /// followed).
    ///
    /// A socket file that cannot be ours (it accepts a connection, or is of
    /// another type) was swapped in after the bind: `EADDRINUSE`, and it is
    /// neither chmod'ed nor recorded, so it is never removed later.
    pub fn settle(&self, mode: Option<u32>, ty: i32) -> Result<Id> {
        let inode = sys::open_inode(self.dirfd(), self.name.as_cstr())
            .map_err(|e| sys_err!(e, "open bound socket file {}", Shown(self.path)))?;
        let st = sys::fstat(inode.as_raw_fd()).map_err(|e| sys_err!(e, "fstat {}", Shown(self.path)))?;
        if !sys::is_socket(&st) {
            return Err(err!(EEXIST, "{} was replaced by something that is not a socket", Shown(self.path)));
        }
        if !could_be_ours(&inode, ty) {
            return Err(err!(EADDRINUSE, "{} was replaced by a live socket; left alone", Shown(self.path)));
        }
        if let Some(mode) = mode {
            self.chmod_bound(&inode, id_of(&st), mode)?;
        }
        Ok(id_of(&st))
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

    /// Takes `<path>.lock` (created if needed) with a non-blocking `flock`.
    /// Someone else holding it means a live listener owns the path.
    pub fn lock(&self) -> Result<Lock> {
        let lock_name = Name::new(&[&self.name.buf[..self.name.len], b".lock"])?;
        // A lock file removed by its owner between our open and flock would
        // leave us holding a lock nobody else sees: check it is still linked.
        for _ in 0..8 {
            let fd = sys::open_lock(self.dirfd(), lock_name.as_cstr())
                .map_err(|e| sys_err!(e, "open lock file {}.lock", Shown(self.path)))?;
            if !sys::try_lock(fd.as_fd()).map_err(|e| sys_err!(e, "flock {}.lock", Shown(self.path)))? {
                return Err(err!(
                    EADDRINUSE,
                    "{} is in use: another listener holds {}.lock",
                    Shown(self.path),
                    Shown(self.path)
                ));
            }
            let held = sys::fstat(fd.as_raw_fd()).map_err(|e| sys_err!(e, "fstat lock file"))?;
            match sys::lstat_at(self.dirfd(), lock_name.as_cstr()) {
                Ok(now) if id_of(&now) == id_of(&held) => return Ok(Lock { fd, id: id_of(&held) }),
                _ => continue,
            }
        }
        Err(err!(EADDRINUSE, "lock file {}.lock keeps being replaced", Shown(self.path)))
    }

    /// Removes `<name>.lock` if it is still the file `lock` holds.
    pub fn release(&self, lock: Lock) {
        if let Ok(lock_name) = Name::new(&[&self.name.buf[..self.name.len], b".lock"]) {
            if matches!(sys::lstat_at(self.dirfd(), lock_name.as_cstr()), Ok(st) if id_of(&st) == lock.id) {
                let _ = sys::unlink_at(self.dirfd(), lock_name.as_cstr());
            }
        }
        drop(lock);
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
            let tmp = Name::new(&[b".uds-rm.", &tag[..n]])?;
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
}

/// `/proc/self/fd/N` of an `O_PATH` handle, NUL-terminated, in `buf`.
fn inode_alias<'b>(inode: &OwnedFd, buf: &'b mut [u8; 40]) -> &'b CStr {
    let mut w = FormatSink::new(&mut buf[..39]);
    w.put_proc_fd(inode.as_raw_fd());
    let n = w.needed;
    CStr::from_bytes_with_nul(&buf[..=n]).expect("digits only")
}

/// chmod through `/proc/self/fd/N` of an `O_PATH` handle.
fn chmod_inode(inode: &OwnedFd, mode: u32) -> sys::SysResult<()> {
    let mut buf = [0u8; 40];
    sys::chmod(inode_alias(inode, &mut buf), mode)
}

/// Whether the socket file `inode` may be the one a socket of type `ty`
/// has just bound (and not yet put to listen): a probe of that type,
/// connected through `/proc/self/fd/N`, must be refused (stream,
/// seqpacket) or at least not meet another type (datagram, which cannot be
/// told apart further). When the probe cannot be made, the answer is yes.
fn could_be_ours(inode: &OwnedFd, ty: i32) -> bool {
    match connect_inode(inode, ty) {
        Err(sys::EPROTOTYPE) => false,
        Ok(()) | Err(sys::EINPROGRESS) | Err(sys::EAGAIN) => ty == sys::SOCK_DGRAM,
        Err(_) => true,
    }
}

/// Connects a new non-blocking probe socket of type `ty` to the socket file
/// `inode` itself, through `/proc/self/fd/N` (the name is not looked up
/// again), and closes it. `ENOENT` when /proc is not mounted.
pub(crate) fn connect_inode(inode: &OwnedFd, ty: i32) -> sys::SysResult<()> {
    let mut buf = [0u8; 40];
    let alias = inode_alias(inode, &mut buf);
    let raw = sys::RawAddr::fill(b"", alias.to_bytes(), 1);
    let probe = sys::socket(ty | sys::SOCK_NONBLOCK)?;
    sys::connect(probe.as_fd(), &raw)
}

/// The error for a path that is taken by something else.
pub(crate) fn occupied(path: &[u8], st: &sys::Stat) -> Error {
    if sys::is_socket(st) {
        err!(EADDRINUSE, "{} is a live socket: something is listening on it", Shown(path))
    } else if sys::is_symlink(st) {
        err!(EEXIST, "{} is a symlink, not a stale socket: left alone", Shown(path))
    } else {
        err!(EEXIST, "{} exists and is not a socket: left alone", Shown(path))
    }
}
