//! Control messages and the message system calls that carry them.
//!
//! * [`Aligned`]: a stack buffer aligned for `cmsghdr`, never the heap.
//! * [`build`]: writes an `SCM_RIGHTS` and an `SCM_CREDENTIALS` block.
//! * [`parse`]: reads what `recvmsg` returned without trusting any
//!   `cmsg_len` that runs past `msg_controllen`, hands descriptors to the
//!   caller's slots while there is room and closes every other one
//!   (surplus `SCM_RIGHTS` entries, an `SCM_PIDFD` nobody asked for).
//! * [`send`], [`recv`], and [`Batch`] for `sendmmsg`/`recvmmsg`.
//!
//! Receives always add `MSG_CMSG_CLOEXEC` and reserve room for a
//! credentials block and a pidfd block besides the descriptors, so a socket
//! with `SO_PASSCRED` (or `SO_PASSPIDFD`) on never loses descriptors to them:
//! the kernel writes those blocks first. A receive with `MSG_PEEK` offers
//! no control buffer at all: a peek would install copies of the
//! descriptors, which the real receive installs again, so peeks get the data
//! only (the kernel reports `MSG_CTRUNC` when ancillary data is waiting).

use std::io::IoSliceMut;
use std::marker::PhantomData;
use std::mem::{self, size_of, MaybeUninit};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::ptr;

use super::{close, errno, RawAddr, SysResult, MSG_NOSIGNAL};

/// The most descriptors one message carries (the kernel's `SCM_MAX_FD`).
pub const MAX_FDS: usize = 253;

/// `SCM_PIDFD` (Linux 6.5): a pidfd of the sender, when `SO_PASSPIDFD` is on.
const SCM_PIDFD: i32 = 4;

const WORD: usize = size_of::<usize>();
const FD_LEN: usize = size_of::<RawFd>();
const UCRED_LEN: usize = size_of::<libc::ucred>();

/// `CMSG_ALIGN`.
const fn align(len: usize) -> usize {
    (len + WORD - 1) & !(WORD - 1)
}

/// `CMSG_LEN(0)`: where a block's data starts.
const HDR: usize = align(size_of::<libc::cmsghdr>());

/// `CMSG_SPACE(len)`.
pub const fn space(len: usize) -> usize {
    HDR + align(len)
}

/// Room a receive reserves besides the descriptors: credentials and a pidfd.
const RECV_EXTRA: usize = space(UCRED_LEN) + space(FD_LEN);

/// Control bytes a receive offers for `fds` descriptor slots (at most
/// [`MAX_FDS`]).
pub const fn recv_space(fds: usize) -> usize {
    let fds = if fds > MAX_FDS { MAX_FDS } else { fds };
    (if fds == 0 { 0 } else { space(fds * FD_LEN) }) + RECV_EXTRA
}

/// Control bytes a send needs for `fds` descriptors and maybe credentials.
pub const fn send_space(fds: usize, cred: bool) -> usize {
    (if fds == 0 { 0 } else { space(fds * FD_LEN) }) + if cred { space(UCRED_LEN) } else { 0 }
}

/// The worst case of one message: [`MAX_FDS`] descriptors, credentials
/// and a pidfd.
pub const CONTROL_LEN: usize = recv_space(MAX_FDS);

/// Bytes aligned for `cmsghdr`, to hold control messages on the stack.
///
/// It starts uninitialised, so that making one costs nothing however large
/// it is; [`Aligned::zeroed`] initialises (zeroes) just the bytes a send
/// builds or a receive offers the kernel, and only initialised bytes are
/// ever read.
#[repr(C, align(8))]
pub struct Aligned<const N: usize>(MaybeUninit<[u8; N]>);

const _: () = assert!(mem::align_of::<libc::cmsghdr>() <= 8);
const _: () = assert!(mem::align_of::<Aligned<1>>() >= mem::align_of::<libc::cmsghdr>());

impl<const N: usize> Aligned<N> {
    /// Uninitialised bytes.
    #[inline]
    pub fn new() -> Self {
        Aligned(MaybeUninit::uninit())
    }

    /// Zeroes the `len` bytes at `at` and returns them. Panics unless
    /// `at + len <= N`.
    #[inline]
    pub fn zeroed(&mut self, at: usize, len: usize) -> &mut [u8] {
        assert!(at <= N && len <= N - at, "control bytes {at}+{len} out of {N}");
        // SAFETY: at + len <= N, so the range lies in the buffer;
        // write_bytes initialises every byte of it (any value is a valid
        // u8), and the returned slice borrows `self` mutably.
        unsafe {
            let p = self.0.as_mut_ptr().cast::<u8>().add(at);
            ptr::write_bytes(p, 0, len);
            std::slice::from_raw_parts_mut(p, len)
        }
    }

    /// The `len` bytes at `at`, not necessarily initialised. Panics unless
    /// `at + len <= N`.
    #[inline]
    pub fn uninit(&mut self, at: usize, len: usize) -> &mut [MaybeUninit<u8>] {
        assert!(at <= N && len <= N - at, "control bytes {at}+{len} out of {N}");
        // SAFETY: in bounds; MaybeUninit<u8> needs no initialisation, and
        // the slice borrows `self` mutably.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<MaybeUninit<u8>>().add(at), len) }
    }

    /// The `len` bytes at `at`, initialised earlier.
    ///
    /// # Safety
    ///
    /// `at + len <= N`, and every byte of the range has been initialised
    /// ([`Aligned::zeroed`], possibly written by the kernel since).
    #[inline]
    pub unsafe fn assume_init(&self, at: usize, len: usize) -> &[u8] {
        debug_assert!(at <= N && len <= N - at);
        // SAFETY: in bounds and initialised, as the caller guarantees.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>().add(at), len) }
    }

    /// The start of the buffer, for the kernel to read or write.
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.0.as_mut_ptr().cast()
    }
}

impl<const N: usize> Default for Aligned<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A process's credentials as `SCM_CREDENTIALS` carries them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// Writes the header of a `SOL_SOCKET` block of type `ty` with `len` (> 0,
/// a multiple of 4) data bytes at `p` and zeroes the block's last word,
/// which holds all its padding; returns where the data goes, for the
/// caller to fill. Every byte of the block but the data is written.
///
/// # Safety
///
/// `p` is 8-aligned and valid for writes of `space(len)` bytes.
#[inline(always)]
unsafe fn put(p: *mut u8, ty: i32, len: usize) -> *mut u8 {
    debug_assert!(len > 0 && len % 4 == 0 && p as usize % 8 == 0);
    // SAFETY: (the caller's guarantee) the block's space(len) bytes are
    // writable and p is 8-aligned; space(len) >= HDR + 8 and is a multiple
    // of 8, so the words written below are in the block and aligned.
    unsafe {
        // The header's words first, so that padding inside cmsghdr (some
        // libcs have some) is zero, then its fields.
        for w in 0..HDR / 8 {
            p.cast::<u64>().add(w).write(0);
        }
        p.add(space(len) - 8).cast::<u64>().write(0);
        let h = p.cast::<libc::cmsghdr>();
        (*h).cmsg_len = (HDR + len) as _;
        (*h).cmsg_level = libc::SOL_SOCKET;
        (*h).cmsg_type = ty;
        p.add(HDR)
    }
}

const _: () = assert!(HDR == size_of::<libc::cmsghdr>() && HDR % 8 == 0);

/// Writes an `SCM_RIGHTS` block for `fds` (when there are any) and an
/// `SCM_CREDENTIALS` block for `cred` (when given) at the start of `buf`
/// and returns them: every byte written (headers, data, padding), so `buf`
/// need not be initialised. Panics unless `buf` starts 8-aligned and holds
/// [`send_space`] bytes.
pub fn build<'b>(buf: &'b mut [MaybeUninit<u8>], fds: &[BorrowedFd<'_>], cred: Option<Ucred>) -> &'b mut [u8] {
    let n = send_space(fds.len(), cred.is_some());
    assert!(buf.len() >= n && buf.as_ptr() as usize % 8 == 0, "control buffer too small or misaligned");
    let base = buf.as_mut_ptr().cast::<u8>();
    let mut at = 0;
    if !fds.is_empty() {
        // SAFETY: the block (space(fds.len() * 4) bytes at 0) is within
        // `buf` (n covers it) and 8-aligned; its data part, 8-aligned, holds
        // one RawFd per descriptor and does not overlap `fds`.
        unsafe {
            let data = put(base, libc::SCM_RIGHTS, fds.len() * FD_LEN).cast::<RawFd>();
            // BorrowedFd is repr(transparent) over a RawFd: one copy.
            ptr::copy_nonoverlapping(fds.as_ptr().cast::<RawFd>(), data, fds.len());
        }
        at += space(fds.len() * FD_LEN);
    }
    if let Some(c) = cred {
        // SAFETY: the block (space(UCRED_LEN) bytes at `at`, a multiple of
        // 8) is within `buf`; ucred is three 4-byte integers, no padding,
        // and its data part starts 8-aligned.
        unsafe {
            let data = put(base.add(at), libc::SCM_CREDENTIALS, UCRED_LEN).cast::<libc::ucred>();
            data.write(libc::ucred { pid: c.pid, uid: c.uid, gid: c.gid });
        }
        at += space(UCRED_LEN);
    }
    debug_assert_eq!(at, n);
    // SAFETY: the n bytes at `base` were all written above (put writes
    // everything but the data, which the loops write), and `buf` is
    // borrowed for the returned slice's lifetime.
    unsafe { std::slice::from_raw_parts_mut(base, n) }
}

const _: () = assert!(UCRED_LEN == 12 && mem::align_of::<libc::ucred>() <= 8);

/// What the control data of one received message held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ancillary {
    /// Descriptors stored in the caller's slots, in the order sent; the
    /// caller owns them now.
    pub nfds: usize,
    /// Descriptors that arrived without a slot to go to: closed here.
    pub closed: usize,
    /// The `SCM_CREDENTIALS` block, when one came whole.
    pub cred: Option<Ucred>,
    /// The sender's pidfd (`SCM_PIDFD`), when it was asked for
    /// ([`parse_with`]) and the kernel gave a descriptor: the caller owns it.
    pub pidfd: Option<RawFd>,
}

/// Parses the control data `recvmsg` returned (`control` is exactly
/// `msg_controllen` bytes). Descriptors go to `slots` in order while there
/// is room; every other descriptor in any `SCM_RIGHTS` block is closed, and
/// so is an `SCM_PIDFD`. A block whose `cmsg_len` is too short or runs past
/// the end stops the walk: nothing after it can be located.
#[cfg(test)]
pub fn parse(control: &[u8], slots: &mut [RawFd]) -> Ancillary {
    parse_with(control, slots, false)
}

/// [`parse`], keeping the `SCM_PIDFD` descriptor (in
/// [`Ancillary::pidfd`]) when `keep_pidfd`. A slot holding a negative
/// number (older kernels put a negative errno there when the sender had
/// gone) gives no pidfd.
#[inline]
pub fn parse_with(control: &[u8], slots: &mut [RawFd], keep_pidfd: bool) -> Ancillary {
    let mut a = Ancillary::default();
    let mut rest = control;
    while rest.len() >= size_of::<libc::cmsghdr>() {
        // SAFETY: at least size_of::<cmsghdr>() bytes remain; read_unaligned
        // needs no alignment.
        let h: libc::cmsghdr = unsafe { ptr::read_unaligned(rest.as_ptr().cast()) };
        let len = h.cmsg_len as usize;
        let Some(data) = rest.get(HDR..len) else { break };
        match (h.cmsg_level, h.cmsg_type) {
            (libc::SOL_SOCKET, libc::SCM_RIGHTS) => {
                // As many as there are slots left go to them (one copy),
                // the others are closed.
                let room = &mut slots[a.nfds..];
                let kept = (data.len() / FD_LEN).min(room.len());
                if kept == 1 {
                    room[0] = RawFd::from_ne_bytes(data[..FD_LEN].try_into().expect("4 bytes"));
                } else {
                    // SAFETY: `data` holds at least kept * 4 bytes and `room`
                    // at least `kept` RawFds (any bit pattern is a valid
                    // i32); the two do not overlap (`slots` is borrowed
                    // mutably, `control` shared).
                    unsafe { ptr::copy_nonoverlapping(data.as_ptr(), room.as_mut_ptr().cast::<u8>(), kept * FD_LEN) };
                }
                a.nfds += kept;
                for b in data[kept * FD_LEN..].chunks_exact(FD_LEN) {
                    let _ = close(RawFd::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    a.closed += 1;
                }
            }
            (libc::SOL_SOCKET, SCM_PIDFD) => {
                for b in data.chunks_exact(FD_LEN) {
                    let fd = RawFd::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                    if fd < 0 {
                        continue;
                    }
                    if keep_pidfd && a.pidfd.is_none() {
                        a.pidfd = Some(fd);
                    } else {
                        let _ = close(fd);
                    }
                }
            }
            (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) if data.len() >= UCRED_LEN => a.cred = Some(ucred(data)),
            _ => {}
        }
        match rest.get(align(len)..) {
            Some(next) => rest = next,
            None => break,
        }
    }
    a
}

/// The ids in an `SCM_CREDENTIALS` block's data, which holds at least
/// `size_of::<ucred>()` bytes.
fn ucred(data: &[u8]) -> Ucred {
    assert!(data.len() >= UCRED_LEN);
    // SAFETY: checked just above that the bytes are there; read_unaligned
    // needs no alignment.
    let u: libc::ucred = unsafe { ptr::read_unaligned(data.as_ptr().cast()) };
    Ucred { pid: u.pid, uid: u.uid, gid: u.gid }
}

fn iovec(data: &[u8]) -> libc::iovec {
    libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() }
}

fn name_ptr(a: &RawAddr) -> *mut libc::c_void {
    (&a.sun as *const libc::sockaddr_un as *mut libc::sockaddr_un).cast()
}

/// `sendmsg(2)` (`send(2)` when there is neither) of `data` with `control` (made by [`build`]; empty for
/// none) to `to`, or to the connected peer (`flags | MSG_NOSIGNAL`).
#[inline]
pub fn send(fd: BorrowedFd<'_>, data: &[u8], control: &[u8], to: Option<&RawAddr>, flags: i32) -> SysResult<usize> {
    if control.is_empty() && to.is_none() {
        // Nothing but bytes: send(2) costs the kernel ~100 ns less than
        // sendmsg(2), which copies in a header and an iovec first.
        return super::send(fd, data, flags);
    }
    let mut iov = iovec(data);
    // SAFETY: an all-zero msghdr is valid (no name, no data, no control).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !control.is_empty() {
        msg.msg_control = control.as_ptr() as *mut libc::c_void;
        msg.msg_controllen = control.len() as _;
    }
    if let Some(a) = to {
        msg.msg_name = name_ptr(a);
        msg.msg_namelen = a.len;
    }
    // SAFETY: iov, control and the name point into live borrows for the
    // lengths stated; the kernel only reads them.
    unsafe { super::sendmsg(fd, &msg, flags) }
}

/// Whether a receive peeks: it then gets no control buffer.
fn peeks(flags: i32) -> bool {
    flags & libc::MSG_PEEK != 0
}

/// What one received message brought.
#[derive(Clone, Copy, Debug)]
pub struct Got {
    /// `recvmsg`'s return value: bytes received (the datagram's full length
    /// when `MSG_TRUNC` was passed).
    pub bytes: usize,
    /// `msg_flags` (`MSG_TRUNC`, `MSG_CTRUNC`, …).
    pub flags: i32,
    /// The descriptors and credentials.
    pub anc: Ancillary,
}

/// `recvmsg(2)` into `data` (`flags | MSG_CMSG_CLOEXEC`), with control room
/// for `slots.len()` descriptors (at most [`MAX_FDS`]) plus credentials and
/// a pidfd; the descriptors go to `slots` (see [`parse`]). With `from`,
/// the sender's address is stored there. With `MSG_PEEK`, no control room.
#[inline]
pub fn recv(
    fd: BorrowedFd<'_>,
    data: &mut [u8],
    slots: &mut [RawFd],
    from: Option<&mut RawAddr>,
    flags: i32,
) -> SysResult<Got> {
    let room = if peeks(flags) { 0 } else { recv_space(slots.len()) };
    recv_room(fd, &mut [IoSliceMut::new(data)], slots, from, flags, room, false)
}

/// [`recv`] with control room for credentials only: any descriptors or
/// pidfd the message carried find no room, and the kernel closes them
/// (`MSG_CTRUNC`) instead of installing them. The kernel writes
/// `SCM_CREDENTIALS` first, so the room holds it whenever `SO_PASSCRED` is
/// on, and nothing else; when it is off, whatever the room took instead
/// is closed.
#[inline]
pub fn recv_cred(fd: BorrowedFd<'_>, data: &mut [u8], flags: i32) -> SysResult<Got> {
    const ROOM: usize = space(UCRED_LEN);
    let mut control = Aligned::<ROOM>::new();
    let control = control.zeroed(0, ROOM);
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = ROOM as _;
    // SAFETY: the iovec points into the exclusively borrowed `data` and
    // the control buffer has ROOM bytes; the kernel writes at most those.
    let bytes = unsafe { super::recvmsg(fd, &mut msg, flags | libc::MSG_CMSG_CLOEXEC) }?;
    // With SO_PASSCRED on, the credentials fill the room. Turned off (by
    // another thread, while this one waited) the room takes up to four
    // descriptors or a pidfd instead: the walk closes them.
    let len = (msg.msg_controllen as usize).min(ROOM);
    // SAFETY: the buffer holds a whole cmsghdr; read_unaligned needs no
    // alignment.
    let h: libc::cmsghdr = unsafe { ptr::read_unaligned(control.as_ptr().cast()) };
    let anc = if len == ROOM && (h.cmsg_level, h.cmsg_type, h.cmsg_len as usize) == (libc::SOL_SOCKET, libc::SCM_CREDENTIALS, HDR + UCRED_LEN) {
        // The usual case: the credentials block fills the room, so nothing
        // else can be in it.
        Ancillary { cred: Some(ucred(&control[HDR..])), ..Ancillary::default() }
    } else {
        parse_with(&control[..len], &mut [], false)
    };
    Ok(Got { bytes, flags: msg.msg_flags, anc })
}

/// [`recv`] into several buffers filled in turn (a scatter read), from the
/// connected peer.
#[inline]
pub fn recvv(fd: BorrowedFd<'_>, parts: &mut [IoSliceMut<'_>], slots: &mut [RawFd], flags: i32) -> SysResult<Got> {
    let room = if peeks(flags) { 0 } else { recv_space(slots.len()) };
    recv_room(fd, parts, slots, None, flags, room, false)
}

/// [`recv`] that offers the kernel room for [`MAX_FDS`] descriptors
/// whatever `slots` holds (those without a slot are closed), so that a
/// message's pidfd, which the kernel writes after its descriptors, always
/// has room; the pidfd is kept ([`Ancillary::pidfd`]).
#[inline]
pub fn recv_pidfd(fd: BorrowedFd<'_>, data: &mut [u8], slots: &mut [RawFd], from: Option<&mut RawAddr>, flags: i32) -> SysResult<Got> {
    let room = if peeks(flags) { 0 } else { CONTROL_LEN };
    recv_room(fd, &mut [IoSliceMut::new(data)], slots, from, flags, room, true)
}

#[inline(always)]
fn recv_room(
    fd: BorrowedFd<'_>,
    parts: &mut [IoSliceMut<'_>],
    slots: &mut [RawFd],
    from: Option<&mut RawAddr>,
    flags: i32,
    room: usize,
    keep_pidfd: bool,
) -> SysResult<Got> {
    let mut control = Aligned::<CONTROL_LEN>::new();
    // Only the bytes offered to the kernel are initialised (and read).
    let control = control.zeroed(0, room);
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // IoSliceMut is guaranteed ABI-compatible with struct iovec on Unix.
    msg.msg_iov = parts.as_mut_ptr().cast();
    msg.msg_iovlen = parts.len() as _;
    if room > 0 {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = room as _;
    }
    // The sender's address, only when asked for.
    let mut name = MaybeUninit::<RawAddr>::uninit();
    if from.is_some() {
        let n = name.write(RawAddr::unnamed());
        msg.msg_name = (&mut n.sun as *mut libc::sockaddr_un).cast();
        msg.msg_namelen = mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    }
    // SAFETY: the iovecs point into the exclusively borrowed `parts`, the control
    // buffer has `room` <= CONTROL_LEN bytes and the name a whole
    // sockaddr_un; the kernel writes at most those lengths.
    let bytes = unsafe { super::recvmsg(fd, &mut msg, flags | libc::MSG_CMSG_CLOEXEC) }?;
    let used = (msg.msg_controllen as usize).min(room);
    let anc = if used == 0 { Ancillary::default() } else { parse_with(&control[..used], slots, keep_pidfd) };
    if let Some(out) = from {
        // SAFETY: written above, since `from` is Some.
        let mut name = unsafe { name.assume_init() };
        name.len = msg.msg_namelen.min(mem::size_of::<libc::sockaddr_un>() as libc::socklen_t);
        *out = name;
    }
    Ok(Got { bytes, flags: msg.msg_flags, anc })
}

/// `sendmsg(2)` of several buffers as one write with `control` (made by
/// [`build`]; empty for none) to the connected peer (`flags | MSG_NOSIGNAL`).
#[inline]
pub fn sendv(fd: BorrowedFd<'_>, parts: &[std::io::IoSlice<'_>], control: &[u8], flags: i32) -> SysResult<usize> {
    // SAFETY: an all-zero msghdr is valid (no name, no data, no control).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with struct iovec on Unix.
    msg.msg_iov = parts.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = parts.len() as _;
    if !control.is_empty() {
        msg.msg_control = control.as_ptr() as *mut libc::c_void;
        msg.msg_controllen = control.len() as _;
    }
    // SAFETY: the iovecs and control point into live borrows for the
    // lengths stated; the kernel only reads them.
    unsafe { super::sendmsg(fd, &msg, flags) }
}

/// Messages one `sendmmsg`/`recvmmsg` call carries at most.
pub const BATCH: usize = 64;
/// Control bytes one batch holds for all its messages.
const ARENA: usize = 8192;

/// One message of a [`Batch`], besides its header.
struct Entry {
    iov: libc::iovec,
    /// The destination, or where the sender's address goes; initialised
    /// only when `named`.
    name: MaybeUninit<RawAddr>,
    named: bool,
    /// Its control data: offset and length in the arena.
    control: (usize, usize),
    /// Receives: its descriptor slots.
    slots: (*mut RawFd, usize),
    /// Receives: keep the sender's pidfd.
    pidfd: bool,
}

/// Up to [`BATCH`] messages for one `sendmmsg` or `recvmmsg`, all on the
/// stack (about 22 KiB): headers, iovecs, addresses, and one arena for
/// every message's control data.
///
/// Nothing is initialised up front: each push writes its message's entry
/// and arena bytes, and the system calls write the headers of the
/// messages pushed, so a batch costs what its messages use, not its size.
///
/// The data buffers (and, for receives, the descriptor slots) are borrowed
/// for `'a`, so nothing else touches them until the batch is gone.
pub struct Batch<'a> {
    /// The first `linked` are initialised (see [`Batch::link`]).
    hdrs: [MaybeUninit<libc::mmsghdr>; BATCH],
    /// The first `len` are initialised.
    entries: [MaybeUninit<Entry>; BATCH],
    arena: Aligned<ARENA>,
    used: usize,
    len: usize,
    linked: usize,
    _borrows: PhantomData<&'a mut [u8]>,
}

impl<'a> Batch<'a> {
    /// An empty batch.
    #[inline]
    pub fn new() -> Batch<'a> {
        Batch {
            hdrs: [const { MaybeUninit::uninit() }; BATCH],
            entries: [const { MaybeUninit::uninit() }; BATCH],
            arena: Aligned::new(),
            used: 0,
            len: 0,
            linked: 0,
            _borrows: PhantomData,
        }
    }

    /// How many messages are in the batch.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Reserves `bytes` of the arena for the next message, if it and the
    /// message fit.
    fn reserve(&mut self, bytes: usize) -> Option<usize> {
        if self.len == BATCH || ARENA - self.used < bytes {
            return None;
        }
        let at = self.used;
        self.used += bytes;
        Some(at)
    }

    /// Message `i` (< `len`).
    fn entry(&self, i: usize) -> &Entry {
        assert!(i < self.len);
        // SAFETY: push_send/push_recv wrote entries[0..len].
        unsafe { self.entries[i].assume_init_ref() }
    }

    /// Adds a message to send; `false` when the batch is full (the message
    /// then goes in the next one).
    #[inline]
    pub fn push_send(
        &mut self,
        data: &'a [u8],
        fds: &[BorrowedFd<'_>],
        cred: Option<Ucred>,
        to: Option<&RawAddr>,
    ) -> bool {
        let space = send_space(fds.len(), cred.is_some());
        let Some(at) = self.reserve(space) else { return false };
        let n = if space == 0 { 0 } else { build(self.arena.uninit(at, space), fds, cred).len() };
        self.entries[self.len].write(Entry {
            iov: iovec(data),
            name: match to {
                Some(a) => MaybeUninit::new(*a),
                None => MaybeUninit::uninit(),
            },
            named: to.is_some(),
            control: (at, n),
            slots: (ptr::null_mut(), 0),
            pidfd: false,
        });
        self.len += 1;
        true
    }

    /// Adds a message to receive into `data`, with room for `slots.len()`
    /// descriptors and, when `named`, the sender's address; `false` when
    /// the batch is full. With `pidfd`, the message's pidfd is kept (and
    /// room for every descriptor is offered, as [`recv_pidfd`] does).
    #[inline]
    pub fn push_recv(&mut self, data: &'a mut [u8], slots: &'a mut [RawFd], named: bool, pidfd: bool) -> bool {
        let room = if pidfd { CONTROL_LEN } else { recv_space(slots.len()) };
        let Some(at) = self.reserve(room) else { return false };
        // Initialised here so that take() may read what the kernel left.
        self.arena.zeroed(at, room);
        let name = if named {
            let mut a = RawAddr::unnamed();
            a.len = mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
            MaybeUninit::new(a)
        } else {
            MaybeUninit::uninit()
        };
        self.entries[self.len].write(Entry {
            iov: iovec(data),
            name,
            named,
            control: (at, room),
            slots: (slots.as_mut_ptr(), slots.len()),
            pidfd,
        });
        self.len += 1;
        true
    }

    /// Writes the header of every message, pointing at its iovec, name and
    /// control bytes (none for a peek).
    fn link(&mut self, flags: i32) {
        let base = self.arena.as_mut_ptr();
        for i in 0..self.len {
            // SAFETY: push_send/push_recv wrote entries[0..len].
            let e = unsafe { self.entries[i].assume_init_mut() };
            let m = self.hdrs[i].as_mut_ptr();
            // SAFETY: `m` points to a header of the batch; all-zero is a
            // valid mmsghdr (integers and raw pointers), padding included,
            // and the fields are then set through a reference to it.
            let h = unsafe {
                ptr::write_bytes(m, 0, 1);
                &mut (*m).msg_hdr
            };
            h.msg_iov = &mut e.iov;
            h.msg_iovlen = 1;
            let (at, n) = if peeks(flags) { (0, 0) } else { e.control };
            if n > 0 {
                // SAFETY: at + n <= ARENA (see reserve): the pointer stays in the arena.
                h.msg_control = unsafe { base.add(at) }.cast();
                h.msg_controllen = n as _;
            }
            if e.named {
                // SAFETY: `name` is initialised when `named`.
                let name = unsafe { e.name.assume_init_mut() };
                h.msg_name = (&mut name.sun as *mut libc::sockaddr_un).cast();
                h.msg_namelen = name.len;
            }
        }
        self.linked = self.len;
    }

    /// `sendmmsg(2)` of the batch (`flags | MSG_NOSIGNAL`): how many
    /// messages went.
    pub fn sendmmsg(&mut self, fd: BorrowedFd<'_>, flags: i32) -> SysResult<usize> {
        self.link(0);
        // SAFETY: link() initialised the first `len` headers and pointed
        // them at live iovecs (whose data is borrowed for 'a), names and
        // arena bytes of stated lengths.
        syscall!(unsafe {
            libc::sendmmsg(
                fd.as_raw_fd(),
                self.hdrs.as_mut_ptr().cast::<libc::mmsghdr>(),
                self.len as libc::c_uint,
                flags | MSG_NOSIGNAL,
            )
        })
        .map(|n| n as usize)
    }

    /// `recvmmsg(2)` into the batch (`flags | MSG_CMSG_CLOEXEC`): how many
    /// messages arrived. Collect each with [`Batch::take`].
    pub fn recvmmsg(&mut self, fd: BorrowedFd<'_>, flags: i32) -> SysResult<usize> {
        self.link(flags);
        // SAFETY: as for sendmmsg; the data buffers are exclusively borrowed
        // for 'a, so the kernel may write them.
        syscall!(unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                self.hdrs.as_mut_ptr().cast::<libc::mmsghdr>(),
                self.len as libc::c_uint,
                flags | libc::MSG_CMSG_CLOEXEC,
                ptr::null_mut(),
            )
        })
        .map(|n| n as usize)
    }

    /// Message `i` of a receive: its descriptors go to its slots (see
    /// [`parse`]), and its sender's address is returned with it (`None`
    /// when it was not asked for). Each message is taken once; a second
    /// call finds no control data.
    #[allow(clippy::unnecessary_cast)] // msg_controllen is socklen_t on some libcs
    #[inline]
    pub fn take(&mut self, i: usize) -> (Got, Option<RawAddr>) {
        assert!(i < self.linked);
        let (at, room) = self.entry(i).control;
        let (p, n) = self.entry(i).slots;
        let keep_pidfd = self.entry(i).pidfd;
        let name = if self.entry(i).named {
            // SAFETY: `name` is initialised when `named`.
            Some(unsafe { self.entry(i).name.assume_init() })
        } else {
            None
        };
        // SAFETY: link() initialised hdrs[0..linked].
        let h = unsafe { self.hdrs[i].assume_init_mut() };
        // A peek offered no control buffer: msg_controllen is 0.
        let used = (h.msg_hdr.msg_controllen as usize).min(room);
        h.msg_hdr.msg_controllen = 0;
        let (bytes, flags, namelen) = (h.msg_len as usize, h.msg_hdr.msg_flags, h.msg_hdr.msg_namelen);
        let slots: &mut [RawFd] = if n == 0 {
            &mut []
        } else {
            // SAFETY: (p, n) came from a `&'a mut [RawFd]` in push_recv and
            // the batch holds that borrow: nothing else can use the slots.
            unsafe { std::slice::from_raw_parts_mut(p, n) }
        };
        let anc = if used == 0 {
            Ancillary::default()
        } else {
            // SAFETY: push_recv zeroed the `room` bytes at `at` (at + room <=
            // ARENA, see reserve), and used <= room.
            parse_with(unsafe { self.arena.assume_init(at, used) }, slots, keep_pidfd)
        };
        let name = name.map(|mut a| {
            a.len = namelen.min(mem::size_of::<libc::sockaddr_un>() as libc::socklen_t);
            a
        });
        (Got { bytes, flags, anc }, name)
    }
}

impl Default for Batch<'_> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn stack_use_stays_modest() {
        // A batch receive holds a Batch and one (Got, RawAddr) per message.
        let batch = mem::size_of::<Batch<'_>>();
        let results = BATCH * mem::size_of::<Option<(Got, Option<RawAddr>)>>();
        assert!(batch + results < 40 * 1024, "batch {batch} + results {results} bytes");
        assert!(mem::size_of::<Aligned<CONTROL_LEN>>() < 1200);
    }

    #[test]
    fn sizes_match_the_libc_macros() {
        // SAFETY: CMSG_SPACE/CMSG_LEN are arithmetic on their argument.
        unsafe {
            assert_eq!(space(0), libc::CMSG_SPACE(0) as usize);
            assert_eq!(space(MAX_FDS * 4), libc::CMSG_SPACE((MAX_FDS * 4) as u32) as usize);
            assert_eq!(space(UCRED_LEN), libc::CMSG_SPACE(UCRED_LEN as u32) as usize);
            assert_eq!(HDR + 12, libc::CMSG_LEN(12) as usize);
        }
        assert_eq!(CONTROL_LEN, space(MAX_FDS * 4) + space(12) + space(4));
    }

    fn block(ty: i32, cmsg_len: usize, data: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; space(data.len()).max(cmsg_len)];
        // SAFETY: zeroed cmsghdr is valid; v is long enough for it.
        let mut h: libc::cmsghdr = unsafe { mem::zeroed() };
        h.cmsg_len = cmsg_len as _;
        h.cmsg_level = libc::SOL_SOCKET;
        h.cmsg_type = ty;
        // SAFETY: v holds at least HDR bytes.
        unsafe { ptr::write_unaligned(v.as_mut_ptr().cast(), h) };
        v[HDR..HDR + data.len()].copy_from_slice(data);
        v
    }

    /// The tests that open descriptors run one at a time, so that counting
    /// /proc/self/fd means something.
    static FDS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn open_count() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    #[test]
    fn built_blocks_parse_back() {
        let _serial = FDS.lock();
        let (a, b) = super::super::socketpair(libc::SOCK_DGRAM).unwrap();
        let cred = Ucred { pid: 1, uid: 2, gid: 3 };
        let fds = [a.as_fd(), b.as_fd()];
        let mut buf = Aligned::<CONTROL_LEN>::new();
        let buf = build(buf.uninit(0, CONTROL_LEN), &fds, Some(cred)).to_vec();
        let n = buf.len();
        assert_eq!(n, send_space(2, true));
        // Every byte is written, padding included: what was there before
        // makes no difference.
        let mut dirty = Aligned::<CONTROL_LEN>::new();
        dirty.zeroed(0, CONTROL_LEN).fill(0xa5);
        assert_eq!(build(dirty.uninit(0, CONTROL_LEN), &fds, Some(cred)), &buf[..]);
        // One descriptor: its block has 4 bytes of padding.
        let one = build(dirty.uninit(0, CONTROL_LEN), &fds[..1], None).to_vec();
        assert_eq!(one.len(), space(4));
        assert_eq!(&one[HDR + 4..], &[0; 4]);
        let mut slots = [-1; 4];
        let got = parse(&buf[..n], &mut slots);
        assert_eq!(got, Ancillary { nfds: 2, closed: 0, cred: Some(cred), pidfd: None });
        assert_eq!(&slots[..2], &[a.as_raw_fd(), b.as_raw_fd()]);
    }

    #[test]
    fn surplus_descriptors_are_closed() {
        let _serial = FDS.lock();
        let (a, _b) = super::super::socketpair(libc::SOCK_DGRAM).unwrap();
        let before = open_count();
        let dup = |fd: &std::os::fd::OwnedFd| fd.try_clone().unwrap();
        let (d1, d2, d3) = (dup(&a), dup(&a), dup(&a));
        let raw: Vec<u8> = [&d1, &d2, &d3].iter().flat_map(|d| d.as_raw_fd().to_ne_bytes()).collect();
        let control = block(libc::SCM_RIGHTS, HDR + 12, &raw);
        let mut slots = [-1; 1];
        // The parser now owns the three descriptors.
        std::mem::forget((d1, d2, d3));
        let got = parse(&control, &mut slots);
        assert_eq!((got.nfds, got.closed), (1, 2));
        assert_eq!(open_count(), before + 1);
        super::super::close(slots[0]).unwrap();
        assert_eq!(open_count(), before);
    }

    #[test]
    fn lengths_past_the_end_are_not_trusted() {
        // cmsg_len claims more than there is: nothing is read.
        let control = block(libc::SCM_RIGHTS, HDR + 400, &7i32.to_ne_bytes());
        let mut slots = [-1; 4];
        assert_eq!(parse(&control[..space(4)], &mut slots), Ancillary::default());
        // Too short to be a block at all.
        let control = block(libc::SCM_RIGHTS, 3, &[]);
        assert_eq!(parse(&control, &mut slots), Ancillary::default());
        // A credentials block cut short by MSG_CTRUNC is not read.
        let control = block(libc::SCM_CREDENTIALS, HDR + 8, &[1u8; 8]);
        assert_eq!(parse(&control, &mut slots).cred, None);
        assert_eq!(slots, [-1; 4]);
    }
}
