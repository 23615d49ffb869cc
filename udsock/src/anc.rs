//! What rides on a message besides its bytes: descriptors (`SCM_RIGHTS`)
//! and credentials (`SCM_CREDENTIALS`), as the messages, fd passing,
//! credentials and frames all see them. One layer below those: it knows
//! nothing of how a message is sent.

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

use crate::error::{err, Result};
use crate::sys::cmsg::Ucred;
use crate::sys::{self, EINVAL};

/// The most descriptors one message carries: the kernel's `SCM_MAX_FD`.
pub const MAX_FDS: usize = sys::cmsg::MAX_FDS;

/// Received descriptors: the first [`len`](FdBuf::len) entries of storage
/// the caller provides. The `FdBuf` owns them and closes them when it is
/// dropped, unless they are taken ([`into_owned`](FdBuf::into_owned),
/// [`pop`](FdBuf::pop)) or released as raw numbers
/// ([`release`](FdBuf::release)).
///
/// Receives add descriptors after those already held; the room left,
/// `capacity() - len()` (at most [`MAX_FDS`] per message), is what a
/// receive offers the kernel.
pub struct FdBuf<'a> {
    slots: &'a mut [RawFd],
    len: usize,
}

impl<'a> FdBuf<'a> {
    /// An empty buffer over `slots`: room for `slots.len()` descriptors.
    pub fn new(slots: &'a mut [RawFd]) -> FdBuf<'a> {
        FdBuf { slots, len: 0 }
    }

    /// How many descriptors it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many descriptors it can hold.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The descriptors it holds, as numbers (still owned by the `FdBuf`).
    pub fn as_raw(&self) -> &[RawFd] {
        &self.slots[..self.len]
    }

    /// Borrows descriptor `i`.
    pub fn get(&self, i: usize) -> Option<BorrowedFd<'_>> {
        self.as_raw().get(i).map(sys::borrow_owned)
    }

    /// Takes the last descriptor.
    pub fn pop(&mut self) -> Option<OwnedFd> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        Some(sys::fd_from(self.slots[self.len]))
    }

    /// Takes every descriptor, in the order they were sent. Those the
    /// iterator has not yielded when it is dropped are closed.
    pub fn into_owned(mut self) -> IntoOwned<'a> {
        let len = std::mem::replace(&mut self.len, 0);
        let slots = std::mem::take(&mut self.slots);
        IntoOwned { slots: &slots[..len], next: 0 }
    }

    /// Closes every descriptor it holds.
    pub fn clear(&mut self) {
        for &fd in &self.slots[..self.len] {
            let _ = sys::close(fd);
        }
        self.len = 0;
    }

    /// Gives up ownership: the first `n` entries of the storage (`n` is
    /// returned) are open descriptors that whoever holds the storage must
    /// close. This is how the C ABI hands descriptors to its caller.
    pub fn release(mut self) -> usize {
        std::mem::replace(&mut self.len, 0)
    }

    /// The free slots after those in use.
    pub(crate) fn spare(&mut self) -> &mut [RawFd] {
        &mut self.slots[self.len..]
    }

    /// Counts `n` more slots (filled through [`FdBuf::spare`]) as held.
    pub(crate) fn commit(&mut self, n: usize) {
        // Never beyond the storage: the kernel fills only spare slots.
        self.len = (self.len + n).min(self.slots.len());
    }
}

impl Drop for FdBuf<'_> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl std::fmt::Debug for FdBuf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FdBuf").field(&self.as_raw()).finish()
    }
}

/// The descriptors of an [`FdBuf`], taken one by one; those left when it is
/// dropped are closed.
pub struct IntoOwned<'a> {
    slots: &'a [RawFd],
    next: usize,
}

impl Iterator for IntoOwned<'_> {
    type Item = OwnedFd;

    fn next(&mut self) -> Option<OwnedFd> {
        let fd = *self.slots.get(self.next)?;
        self.next += 1;
        Some(sys::fd_from(fd))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.slots.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for IntoOwned<'_> {}

impl Drop for IntoOwned<'_> {
    fn drop(&mut self) {
        self.for_each(drop);
    }
}

/// Checks how many descriptors one message is to carry: `min` (0 or 1)
/// to [`MAX_FDS`]. The one place that says what the kernel takes.
pub(crate) fn check_fd_count(n: usize, min: usize) -> Result<()> {
    if n < min {
        return Err(err!(EINVAL, "no descriptors to send: nfds is 0 (1..{MAX_FDS})"));
    }
    if n > MAX_FDS {
        return Err(err!(EINVAL, "{n} descriptors: one message carries at most {MAX_FDS} (SCM_MAX_FD)"));
    }
    Ok(())
}

/// A process's credentials: `struct ucred`, the C ABI's `uds_cred`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cred {
    /// Process id, as seen from the receiver's pid namespace (0 if it is
    /// not visible there).
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// cbindgen:ignore
impl Cred {
    /// No credentials: pid 0 and the ids `(uint32_t)-1`, which no real
    /// user has, so that nobody mistakes a message that carried none for
    /// one from root.
    pub const NONE: Cred = Cred { pid: 0, uid: u32::MAX, gid: u32::MAX };

    /// The calling process's pid, real uid and real gid: what the kernel
    /// accepts without privileges, and what it attaches by itself.
    pub fn own() -> Cred {
        Cred { pid: sys::getpid(), uid: sys::getuid(), gid: sys::getgid() }
    }

    /// What the kernel reported, or `None` for the pattern it uses for a
    /// message that carried no credentials (pid 0 with the overflow ids, or
    /// with `-1`).
    pub(crate) fn from_kernel(u: Ucred) -> Option<Cred> {
        let absent = u.pid == 0 && {
            let (ou, og) = sys::overflow_ids();
            (u.uid, u.gid) == (ou, og) || (u.uid, u.gid) == (u32::MAX, u32::MAX)
        };
        (!absent).then_some(Cred { pid: u.pid, uid: u.uid, gid: u.gid })
    }

    pub(crate) fn to_kernel(self) -> Ucred {
        Ucred { pid: self.pid, uid: self.uid, gid: self.gid }
    }
}
