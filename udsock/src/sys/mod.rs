//! Every system call the library makes, and the only module that knows it
//! runs on Linux (abstract names, `/proc/self/fd`, `SO_PEERCRED`, …).
//!
//! The wrappers are safe: they take Rust references and return the errno of
//! a failed call as `Err(errno)`. A BSD port replaces this module.

use std::ffi::CStr;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

pub use libc::{
    sockaddr_un, socklen_t, stat as Stat, EADDRINUSE, EAGAIN, EBADF, ECONNREFUSED, ECONNRESET,
    EEXIST, EINPROGRESS, EINTR, EINVAL, EIO, EMSGSIZE, ENAMETOOLONG, ENOENT, ENOTSOCK,
    EPROTOTYPE, MSG_NOSIGNAL, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET,
    SOCK_STREAM, SOMAXCONN,
};
pub use libc::{EAFNOSUPPORT, EBADMSG, EMFILE, ENODATA, ENOSYS, ENOTCONN, ERANGE, EXFULL, MSG_DONTWAIT, MSG_WAITFORONE};

/// Result of a system call: the value, or the errno it failed with.
pub type SysResult<T> = Result<T, i32>;

/// The calling thread's errno.
///
/// The kernel's internal restart codes (`ERESTARTSYS` 512 and its kin)
/// never reach a caller: an interrupted `recvmmsg` that had received some
/// messages leaves one in the socket's pending error, which the next call
/// on that socket then returns. It is reported as what it stands for,
/// `EINTR` (the call that returned it transferred nothing).
pub fn errno() -> i32 {
    match std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO) {
        ERESTARTSYS | 513 | 514 | 516 => EINTR,
        e => e,
    }
}

/// The kernel's `ERESTARTSYS`, which must never reach a caller.
pub(crate) const ERESTARTSYS: i32 = 512;

/// Turns a `-1` return into `Err(errno)`.
macro_rules! syscall {
    ($call:expr) => {{
        let ret = $call;
        if ret == -1 {
            Err(errno())
        } else {
            Ok(ret)
        }
    }};
}

pub mod cmsg;
// The resumable frame reader and writer (crate::stream).
pub mod stream;

/// `sun_path` capacity: 108 bytes on Linux.
pub const SUN_PATH_LEN: usize = 108;
/// `PATH_MAX`, terminator included.
pub const PATH_MAX: usize = libc::PATH_MAX as usize;
/// `sizeof(sa_family_t)`: the length of an unnamed address.
pub const FAMILY_LEN: usize = mem::size_of::<libc::sa_family_t>();

/// A `sockaddr_un` and its length, as the kernel takes and returns it.
#[derive(Clone, Copy)]
pub struct RawAddr {
    pub sun: sockaddr_un,
    pub len: socklen_t,
}

impl RawAddr {
    /// An empty (unnamed) AF_UNIX address.
    pub fn unnamed() -> RawAddr {
        RawAddr {
            sun: sockaddr_un { sun_family: libc::AF_UNIX as libc::sa_family_t, sun_path: [0; 108] },
            len: FAMILY_LEN as socklen_t,
        }
    }

    /// `sun_path`, as many bytes as `len` covers.
    pub fn path_bytes(&self) -> &[u8] {
        let n = (self.len as usize).saturating_sub(FAMILY_LEN).min(SUN_PATH_LEN);
        // SAFETY: c_char and u8 have the same size and alignment; n <= 108.
        unsafe { std::slice::from_raw_parts(self.sun.sun_path.as_ptr().cast::<u8>(), n) }
    }

    /// Writes `prefix` then `bytes` into `sun_path` and sets `len` to cover
    /// them plus `extra` bytes (1 for a pathname's terminator, 0 for an
    /// abstract name). The caller has checked that everything fits.
    pub fn from_parts(prefix: &[u8], bytes: &[u8], extra: usize) -> RawAddr {
        let mut a = RawAddr::unnamed();
        let total = prefix.len() + bytes.len();
        debug_assert!(total + extra <= SUN_PATH_LEN);
        // SAFETY: c_char and u8 have the same size and alignment.
        let path: &mut [u8; SUN_PATH_LEN] = unsafe { &mut *a.sun.sun_path.as_mut_ptr().cast::<[u8; SUN_PATH_LEN]>() };
        let (head, tail) = path.split_at_mut(prefix.len());
        head.copy_from_slice(prefix);
        tail[..bytes.len()].copy_from_slice(bytes);
        a.len = (FAMILY_LEN + total + extra) as socklen_t;
        a
    }
}

// --- /proc/self/fd: names for what a descriptor refers to -------------------

const FD_DIR: &[u8] = b"/proc/self/fd/";

/// `n` in decimal, in the end of `buf`.
pub fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// `/proc/self/fd/<fd>` in `buf` (NUL-terminated): a name for what `fd`
/// refers to, that path lookups follow to the very file.
pub fn fd_name<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8; 32]) -> &'b CStr {
    let mut digits = [0u8; 10];
    let digits = decimal(fd.as_raw_fd() as u32, &mut digits);
    let len = FD_DIR.len() + digits.len();
    buf[..FD_DIR.len()].copy_from_slice(FD_DIR);
    buf[FD_DIR.len()..len].copy_from_slice(digits);
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).expect("digits only")
}

/// A pathname address for what `fd` refers to (`/proc/self/fd/<fd>`), or,
/// with a `name`, for that name in the directory `fd` refers to
/// (`/proc/self/fd/<fd>/<name>`): `None` if it does not fit in `sun_path`.
pub fn fd_address(fd: BorrowedFd<'_>, name: &[u8]) -> Option<RawAddr> {
    let mut buf = [0u8; 32];
    let prefix = fd_name(fd, &mut buf).to_bytes();
    let mut at = prefix.len();
    if !name.is_empty() {
        buf[at] = b'/';
        at += 1;
    }
    (at + name.len() < SUN_PATH_LEN).then(|| RawAddr::from_parts(&buf[..at], name, 1))
}

/// Whether a pathname is one of the names [`fd_address`] makes: the kernel
/// reports such a name for a socket bound or connected through one.
pub fn is_fd_address(path: &[u8]) -> bool {
    path.starts_with(FD_DIR)
}

/// Takes ownership of `ret`: a descriptor the kernel just gave this
/// process (a return value, or an entry of an `SCM_RIGHTS` block) that
/// nothing else owns. Only ever called on such descriptors.
pub fn fd_from(ret: RawFd) -> OwnedFd {
    // SAFETY: ret is a new descriptor the kernel just gave us and nothing
    // else owns (the callers' contract, above).
    unsafe { OwnedFd::from_raw_fd(ret) }
}

/// Borrows a descriptor the caller owns for as long as `fd` is borrowed.
pub fn borrow_owned(fd: &RawFd) -> BorrowedFd<'_> {
    // SAFETY: callers pass only descriptors they own and keep open while
    // the borrow lives (an FdBuf's entries).
    unsafe { BorrowedFd::borrow_raw(*fd) }
}

fn addr_ptr(a: &RawAddr) -> *const libc::sockaddr {
    (&a.sun as *const sockaddr_un).cast()
}

// --- sockets ---------------------------------------------------------------

pub fn socket(ty: i32) -> SysResult<OwnedFd> {
    // SAFETY: plain system call with integer arguments.
    syscall!(unsafe { libc::socket(libc::AF_UNIX, ty | SOCK_CLOEXEC, 0) }).map(fd_from)
}

pub fn socketpair(ty: i32) -> SysResult<(OwnedFd, OwnedFd)> {
    let mut sv = [-1; 2];
    // SAFETY: sv has room for the two descriptors socketpair writes.
    syscall!(unsafe { libc::socketpair(libc::AF_UNIX, ty | SOCK_CLOEXEC, 0, sv.as_mut_ptr()) })?;
    Ok((fd_from(sv[0]), fd_from(sv[1])))
}

pub fn bind(fd: BorrowedFd<'_>, a: &RawAddr) -> SysResult<()> {
    // SAFETY: a.sun is a valid sockaddr_un and a.len never exceeds its size.
    syscall!(unsafe { libc::bind(fd.as_raw_fd(), addr_ptr(a), a.len) }).map(drop)
}

pub fn connect(fd: BorrowedFd<'_>, a: &RawAddr) -> SysResult<()> {
    // SAFETY: as for bind.
    syscall!(unsafe { libc::connect(fd.as_raw_fd(), addr_ptr(a), a.len) }).map(drop)
}

pub fn listen(fd: BorrowedFd<'_>, backlog: i32) -> SysResult<()> {
    // SAFETY: plain system call with integer arguments.
    syscall!(unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

pub fn accept(fd: BorrowedFd<'_>, flags: i32) -> SysResult<OwnedFd> {
    // SAFETY: NULL address pointers are allowed: the peer address is not wanted.
    syscall!(unsafe {
        libc::accept4(fd.as_raw_fd(), std::ptr::null_mut(), std::ptr::null_mut(), flags | SOCK_CLOEXEC)
    })
    .map(fd_from)
}

fn name_call(
    fd: BorrowedFd<'_>,
    f: unsafe extern "C" fn(i32, *mut libc::sockaddr, *mut socklen_t) -> i32,
) -> SysResult<RawAddr> {
    let mut a = RawAddr::unnamed();
    a.len = mem::size_of::<sockaddr_un>() as socklen_t;
    // SAFETY: a.sun has a.len bytes of room; the kernel writes at most that
    // and stores the full length in a.len (which may be larger: clamped below).
    syscall!(unsafe { f(fd.as_raw_fd(), (&mut a.sun as *mut sockaddr_un).cast(), &mut a.len) })?;
    // Another family's address (an AF_INET socket) is no sockaddr_un.
    if a.len as usize >= mem::size_of::<libc::sa_family_t>() && a.sun.sun_family != libc::AF_UNIX as libc::sa_family_t {
        return Err(libc::EAFNOSUPPORT);
    }
    a.len = a.len.min(mem::size_of::<sockaddr_un>() as socklen_t);
    Ok(a)
}

pub fn getsockname(fd: BorrowedFd<'_>) -> SysResult<RawAddr> {
    name_call(fd, libc::getsockname)
}

pub fn getpeername(fd: BorrowedFd<'_>) -> SysResult<RawAddr> {
    name_call(fd, libc::getpeername)
}

pub fn send(fd: BorrowedFd<'_>, buf: &[u8], flags: i32) -> SysResult<usize> {
    // SAFETY: buf is valid for buf.len() bytes.
    syscall!(unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), flags | MSG_NOSIGNAL) })
        .map(|n| n as usize)
}

pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], flags: i32) -> SysResult<usize> {
    // SAFETY: buf is valid for writes of buf.len() bytes.
    syscall!(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })
        .map(|n| n as usize)
}

/// `recv(fd, buf, MSG_WAITALL)`, but a message cut short (the socket keeps
/// message boundaries and the message was longer than `buf`) is an error,
/// `EPROTOTYPE`, rather than silently shortened. `MSG_TRUNC` makes a
/// datagram or seqpacket socket return the message's real length (Linux
/// 3.4 and later); a stream ignores it. A plain `recv`, not `recvmsg`,
/// whose header the kernel would copy in on every call.
pub fn recv_uncut(fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
    let flags = libc::MSG_WAITALL | libc::MSG_TRUNC;
    // SAFETY: buf is valid for writes of buf.len() bytes; with MSG_TRUNC
    // the kernel still writes at most buf.len() of them.
    let n = syscall!(unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) })? as usize;
    if n > buf.len() {
        return Err(EPROTOTYPE);
    }
    Ok(n)
}

pub fn sendto(fd: BorrowedFd<'_>, buf: &[u8], a: &RawAddr) -> SysResult<usize> {
    // SAFETY: buf is valid for buf.len() bytes; a is a valid address.
    syscall!(unsafe {
        libc::sendto(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), MSG_NOSIGNAL, addr_ptr(a), a.len)
    })
    .map(|n| n as usize)
}

pub fn recvfrom(fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<(usize, RawAddr)> {
    let mut a = RawAddr::unnamed();
    a.len = mem::size_of::<sockaddr_un>() as socklen_t;
    // SAFETY: buf and a.sun are valid for writes of their stated lengths.
    let n = syscall!(unsafe {
        libc::recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            (&mut a.sun as *mut sockaddr_un).cast(),
            &mut a.len,
        )
    })?;
    a.len = a.len.min(mem::size_of::<sockaddr_un>() as socklen_t);
    Ok((n as usize, a))
}

/// `sendmsg(2)` of a header the caller built with valid pointers.
///
/// # Safety
/// Every pointer in `msg` (name, iovecs, control) must be valid for the
/// lengths it states.
pub unsafe fn sendmsg(fd: BorrowedFd<'_>, msg: &libc::msghdr, flags: i32) -> SysResult<usize> {
    // SAFETY: the caller vouches for msg's pointers.
    syscall!(unsafe { libc::sendmsg(fd.as_raw_fd(), msg, flags | MSG_NOSIGNAL) }).map(|n| n as usize)
}

/// `recvmsg(2)` into a header the caller built with valid pointers.
///
/// # Safety
/// Every pointer in `msg` must be valid for writes of the lengths it states.
pub unsafe fn recvmsg(fd: BorrowedFd<'_>, msg: &mut libc::msghdr, flags: i32) -> SysResult<usize> {
    // SAFETY: the caller vouches for msg's pointers.
    syscall!(unsafe { libc::recvmsg(fd.as_raw_fd(), msg, flags) }).map(|n| n as usize)
}

/// Whether `fd` is in non-blocking mode (`O_NONBLOCK`, set by
/// `SOCK_NONBLOCK` or `fcntl`). One cheap `fcntl(F_GETFL)`; a descriptor it
/// cannot ask counts as blocking (the call that follows reports the error).
#[inline]
pub fn nonblocking(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: fcntl on an int descriptor with an integer command.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    flags != -1 && flags & libc::O_NONBLOCK != 0
}

/// Bytes of the send buffer in use (`SIOCOUTQ`): for a Unix socket, the
/// kernel's accounting of what it queued and the peer has not read yet,
/// overhead included, the same quantity `SO_SNDBUF` limits.
pub fn outq(fd: BorrowedFd<'_>) -> SysResult<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: SIOCOUTQ (TIOCOUTQ) writes one int to the pointer given.
    syscall!(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &mut n) })?;
    Ok(n)
}

/// Peeks at the start of the receive queue into `buf` even where a peek
/// stops early (a stream's peek ends at a write that carried descriptors,
/// or at another writer's bytes while `SO_PASSCRED` is on): successive
/// peeks from an advancing `SO_PEEK_OFF`, which is then set back to what
/// it was. Returns the bytes peeked; never waits (`MSG_DONTWAIT`).
pub fn peek_across(fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
    let old = getsockopt_int(fd, libc::SOL_SOCKET, SO_PEEK_OFF)?;
    setsockopt_int(fd, libc::SOL_SOCKET, SO_PEEK_OFF, 0)?;
    let mut got = 0;
    while got < buf.len() {
        match recv(fd, &mut buf[got..], libc::MSG_PEEK | MSG_DONTWAIT) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    setsockopt_int(fd, libc::SOL_SOCKET, SO_PEEK_OFF, old)?;
    Ok(got)
}

/// `SO_PEEK_OFF`.
pub(crate) const SO_PEEK_OFF: i32 = 42;
/// `SO_PASSPIDFD` (Linux 6.5).
const SO_PASSPIDFD: i32 = 76;
/// `SO_PASSRIGHTS` (Linux 6.16).
const SO_PASSRIGHTS: i32 = 83;
pub use libc::ENOPROTOOPT;

/// Bytes waiting to be read (`SIOCINQ`).
pub fn pending(fd: BorrowedFd<'_>) -> SysResult<i32> {
    let mut n: libc::c_int = 0;
    // SAFETY: SIOCINQ writes one int to the pointer given.
    syscall!(unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) })?;
    Ok(n)
}

/// The socket options the library reads and sets, by what they mean
/// (all `SOL_SOCKET`): the rest of the library never names a Linux option.
#[derive(Clone, Copy, Debug)]
pub enum Opt {
    /// `SO_ACCEPTCONN`: the socket listens.
    Listening,
    /// `SO_PASSCRED`: received messages report their sender's credentials
    /// (and, on the sender, the kernel stamps every message it sends).
    PassCred,
    /// `SO_PASSPIDFD` (Linux 6.5): received messages carry a pidfd.
    PassPidfd,
    /// `SO_PASSRIGHTS` (Linux 6.16): off, the socket refuses descriptors.
    PassRights,
    /// `SO_SNDBUF`.
    SendBuffer,
    /// `SO_SNDBUFFORCE` (privileged: above the system's limit).
    SendBufferForce,
    /// `SO_PEERGROUPS`: the peer's supplementary groups.
    PeerGroups,
    /// `SO_PEERSEC`: the peer's security label.
    PeerSecurity,
}

impl Opt {
    fn name(self) -> i32 {
        match self {
            Opt::Listening => libc::SO_ACCEPTCONN,
            Opt::PassCred => libc::SO_PASSCRED,
            Opt::PassPidfd => SO_PASSPIDFD,
            Opt::PassRights => SO_PASSRIGHTS,
            Opt::SendBuffer => libc::SO_SNDBUF,
            Opt::SendBufferForce => libc::SO_SNDBUFFORCE,
            Opt::PeerGroups => libc::SO_PEERGROUPS,
            Opt::PeerSecurity => libc::SO_PEERSEC,
        }
    }
}

/// An integer socket option.
pub fn get_opt(fd: BorrowedFd<'_>, opt: Opt) -> SysResult<i32> {
    getsockopt_int(fd, libc::SOL_SOCKET, opt.name())
}

/// Sets an integer socket option.
pub fn set_opt(fd: BorrowedFd<'_>, opt: Opt, v: i32) -> SysResult<()> {
    setsockopt_int(fd, libc::SOL_SOCKET, opt.name(), v)
}

/// An option whose value is an array ([`Opt::PeerGroups`],
/// [`Opt::PeerSecurity`]): as [`getsockopt_into`].
pub fn get_opt_into<T: Plain>(fd: BorrowedFd<'_>, opt: Opt, buf: &mut [T]) -> Result<usize, (i32, usize)> {
    getsockopt_into(fd, libc::SOL_SOCKET, opt.name(), buf)
}

fn getsockopt_int(fd: BorrowedFd<'_>, level: i32, name: i32) -> SysResult<i32> {
    let mut v: libc::c_int = 0;
    let mut len = mem::size_of::<libc::c_int>() as socklen_t;
    // SAFETY: v has room for the int the option returns.
    syscall!(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, (&mut v as *mut i32).cast(), &mut len) })?;
    Ok(v)
}

fn setsockopt_int(fd: BorrowedFd<'_>, level: i32, name: i32, v: i32) -> SysResult<()> {
    // SAFETY: v is a valid int of the stated length.
    syscall!(unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, (&v as *const i32).cast(), mem::size_of::<i32>() as socklen_t)
    })
    .map(drop)
}

/// The socket type (`SO_TYPE`); also tells whether `fd` is a socket at all.
pub fn socket_type(fd: BorrowedFd<'_>) -> SysResult<i32> {
    getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE)
}

/// Whether the peer of a connected socket has hung up or shut down its
/// writing side (`POLLRDHUP`/`POLLHUP`, asked without waiting).
pub fn peer_hung_up(fd: BorrowedFd<'_>) -> bool {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLRDHUP, revents: 0 };
    // SAFETY: one valid pollfd; a zero timeout never blocks.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n == 1 && p.revents & (libc::POLLRDHUP | libc::POLLHUP) != 0
}

/// Takes a kernel restart code (`ERESTARTSYS`) out of the socket's
/// pending error, where an interrupted `recvmmsg` leaves it. Only when the
/// socket reports an error pending (`POLLERR`, asked without waiting); any
/// other pending error is read (and so cleared) too: on a Unix socket that
/// is a peer's reset, which the next receive sees anyway as the end.
pub fn clear_restart_error(fd: BorrowedFd<'_>) {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events: 0, revents: 0 };
    // SAFETY: one valid pollfd; a zero timeout never blocks.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    if n == 1 && p.revents & libc::POLLERR != 0 {
        let _ = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ERROR);
    }
}

/// Waits until `fd` is ready for `events` (POLLIN/POLLOUT), without a limit.
pub fn wait(fd: BorrowedFd<'_>, events: i16) -> SysResult<()> {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
    // SAFETY: one valid pollfd.
    syscall!(unsafe { libc::poll(&mut p, 1, -1) }).map(drop)
}

pub const POLLIN: i16 = libc::POLLIN;
pub const POLLOUT: i16 = libc::POLLOUT;

// --- files -----------------------------------------------------------------

/// Opens a directory with `O_PATH`: a handle for *at calls and the
/// `/proc/self/fd/N/` alias, needing no read permission.
pub fn open_dir(path: &CStr) -> SysResult<OwnedFd> {
    // SAFETY: path is NUL-terminated.
    syscall!(unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) })
        .map(fd_from)
}

/// Opens (creating) a lock file `name` in `dir`, never following a symlink.
pub fn open_lock(dir: RawFd, name: &CStr) -> SysResult<OwnedFd> {
    // SAFETY: name is NUL-terminated; dir is AT_FDCWD or an open directory.
    syscall!(unsafe {
        libc::openat(dir, name.as_ptr(), libc::O_RDWR | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_CLOEXEC, 0o600)
    })
    .map(fd_from)
}

/// Opens an existing lock file `name` in `dir` (never creating one, never
/// following a symlink).
pub fn open_existing_lock(dir: RawFd, name: &CStr) -> SysResult<OwnedFd> {
    // SAFETY: as for open_lock.
    syscall!(unsafe { libc::openat(dir, name.as_ptr(), libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC) })
        .map(fd_from)
}

/// Opens `name` in `dir` with `O_PATH`, following a symlink as connect(2)
/// does: a handle to connect or send to through `/proc/self/fd/N`.
pub fn open_socket_file(dir: RawFd, name: &CStr) -> SysResult<OwnedFd> {
    // SAFETY: as for open_lock.
    syscall!(unsafe { libc::openat(dir, name.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) }).map(fd_from)
}

/// The absolute path of the file `fd` refers to (`readlink` of
/// `/proc/self/fd/N`), in `buf`; its length. `ENOENT` without /proc, and
/// for a file that was deleted.
pub fn fd_path(fd: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
    let mut name = [0u8; 32];
    let link = fd_name(fd, &mut name);
    // SAFETY: link is NUL-terminated; buf is writable for buf.len() bytes.
    let len = syscall!(unsafe { libc::readlink(link.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) })? as usize;
    if len == buf.len() || buf[..len].ends_with(b" (deleted)") || buf.first() != Some(&b'/') {
        return Err(libc::ENOENT);
    }
    Ok(len)
}

/// Runs `f` on a thread of its own whose working directory is `dir`
/// (`unshare(CLONE_FS)`, then `fchdir`): a relative name in `f` is looked
/// up in `dir`, and the process's working directory never changes. The
/// thread's umask is the process's at the time of the call.
pub fn in_directory<T: Send>(dir: BorrowedFd<'_>, f: impl FnOnce() -> SysResult<T> + Send) -> SysResult<T> {
    let dir = dir.as_raw_fd();
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("udsock-dir".into())
            .spawn_scoped(s, move || {
                // SAFETY: unshare with CLONE_FS affects only this thread's
                // filesystem context; fchdir takes an int descriptor.
                syscall!(unsafe { libc::unshare(libc::CLONE_FS) })?;
                // SAFETY: as above.
                syscall!(unsafe { libc::fchdir(dir) })?;
                f()
            })
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EAGAIN))?;
        worker.join().unwrap_or(Err(libc::EIO))
    })
}

/// Opens `name` in `dir` with `O_PATH | O_NOFOLLOW`: a handle on the very
/// inode the name points at now, whatever happens to the name later.
pub fn open_inode(dir: RawFd, name: &CStr) -> SysResult<OwnedFd> {
    // SAFETY: as for open_lock.
    syscall!(unsafe { libc::openat(dir, name.as_ptr(), libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC) })
        .map(fd_from)
}

/// Non-blocking exclusive `flock`; `Ok(false)` when someone else holds it.
pub fn try_lock(fd: BorrowedFd<'_>) -> SysResult<bool> {
    // SAFETY: plain system call with integer arguments.
    match syscall!(unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }) {
        Ok(_) => Ok(true),
        Err(e) if e == libc::EWOULDBLOCK => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn fstat(fd: RawFd) -> SysResult<Stat> {
    // SAFETY: an all-zero stat is a valid value to be overwritten.
    let mut st: Stat = unsafe { mem::zeroed() };
    // SAFETY: st has room for the stat the kernel writes.
    syscall!(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st)
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
pub fn lstat_at(dir: RawFd, name: &CStr) -> SysResult<Stat> {
    // SAFETY: an all-zero stat is a valid value to be overwritten.
    let mut st: Stat = unsafe { mem::zeroed() };
    // SAFETY: name is NUL-terminated and st has room for the result.
    syscall!(unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    Ok(st)
}

pub fn is_socket(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFSOCK
}

pub fn is_symlink(st: &Stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFLNK
}

pub fn fchmod(fd: BorrowedFd<'_>, mode: u32) -> SysResult<()> {
    // SAFETY: plain system call with integer arguments.
    syscall!(unsafe { libc::fchmod(fd.as_raw_fd(), mode) }).map(drop)
}

pub fn chmod(path: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: path is NUL-terminated.
    syscall!(unsafe { libc::chmod(path.as_ptr(), mode) }).map(drop)
}

/// chmod of `name` in `dir`, never through a symlink: `fchmodat2` with
/// `AT_SYMLINK_NOFOLLOW` (Linux 6.6; `ENOSYS` before).
pub fn chmod_at_nofollow(dir: RawFd, name: &CStr, mode: u32) -> SysResult<()> {
    // SAFETY: name is NUL-terminated; the syscall takes (int, const char *,
    // mode_t, unsigned int).
    syscall!(unsafe {
        libc::syscall(libc::SYS_fchmodat2, dir, name.as_ptr(), mode as libc::c_uint, libc::AT_SYMLINK_NOFOLLOW as libc::c_uint)
    })
    .map(drop)
}

pub fn unlink_at(dir: RawFd, name: &CStr) -> SysResult<()> {
    // SAFETY: name is NUL-terminated.
    syscall!(unsafe { libc::unlinkat(dir, name.as_ptr(), 0) }).map(drop)
}

/// `renameat2(RENAME_NOREPLACE)` within one directory.
pub fn rename_noreplace(dir: RawFd, from: &CStr, to: &CStr) -> SysResult<()> {
    // SAFETY: both names are NUL-terminated.
    syscall!(unsafe { libc::renameat2(dir, from.as_ptr(), dir, to.as_ptr(), libc::RENAME_NOREPLACE) })
        .map(drop)
}

/// Whether `/proc/self/fd` is there to alias long paths through.
pub fn proc_fd_available() -> bool {
    // SAFETY: the path is a NUL-terminated literal.
    unsafe { libc::access(c"/proc/self/fd".as_ptr(), libc::F_OK) == 0 }
}

// --- descriptors and the process ------------------------------------------

pub fn close(fd: RawFd) -> SysResult<()> {
    // SAFETY: closing an int; the caller gives up the descriptor.
    match syscall!(unsafe { libc::close(fd) }) {
        // Linux has closed the fd even when close reports EINTR.
        Err(libc::EINTR) | Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn set_cloexec(fd: RawFd) -> SysResult<()> {
    // SAFETY: fcntl on an int descriptor with integer arguments.
    let flags = syscall!(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    if flags & libc::FD_CLOEXEC == 0 {
        // SAFETY: as above.
        syscall!(unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) })?;
    }
    Ok(())
}

/// Registers fork handlers (pthread_atfork).
pub fn at_fork(prepare: extern "C" fn(), parent: extern "C" fn(), child: extern "C" fn()) -> SysResult<()> {
    // SAFETY: the handlers are plain functions of this library; glibc
    // unregisters them if the library is unloaded.
    match unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) } {
        0 => Ok(()),
        e => Err(e),
    }
}

pub fn getpid() -> i32 {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() }
}

pub fn getuid() -> u32 {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() }
}

pub fn getgid() -> u32 {
    // SAFETY: getgid cannot fail.
    unsafe { libc::getgid() }
}

pub fn geteuid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

pub fn getegid() -> u32 {
    // SAFETY: getegid cannot fail.
    unsafe { libc::getegid() }
}

/// Whether `fd` is an open descriptor (`F_GETFD` succeeds).
pub fn is_open(fd: RawFd) -> bool {
    // SAFETY: fcntl on an int descriptor with an integer command.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1
}

// --- process-wide state ------------------------------------------------------

/// A value computed once and published for good, without anybody waiting:
/// threads that race to compute it each do, and the first to finish
/// publishes (the others' values are dropped). Unlike `OnceLock`, a
/// `fork(2)` in the middle of a computation leaves the child nothing to
/// wait for: it computes its own.
pub struct PublishOnce<T>(std::sync::atomic::AtomicPtr<T>);

impl<T> PublishOnce<T> {
    pub const fn new() -> Self {
        PublishOnce(std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()))
    }

    pub fn get_or_publish(&'static self, make: impl FnOnce() -> T) -> &'static T {
        use std::sync::atomic::Ordering;
        let mut p = self.0.load(Ordering::Acquire);
        if p.is_null() {
            let mine = Box::into_raw(Box::new(make()));
            p = match self.0.compare_exchange(std::ptr::null_mut(), mine, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => mine,
                Err(first) => {
                    // SAFETY: `mine` came from Box::into_raw above and was
                    // never published: this is its only owner.
                    drop(unsafe { Box::from_raw(mine) });
                    first
                }
            };
        }
        // SAFETY: a published pointer came from Box::into_raw, is never
        // freed or written again, and T is shared only by & references.
        unsafe { &*p }
    }
}

// SAFETY: it hands out &T to any thread, as a static holding a T would.
unsafe impl<T: Sync + Send> Sync for PublishOnce<T> {}

// --- peer credentials ------------------------------------------------------

/// Element types `getsockopt_into` may fill: any bit pattern is valid.
pub trait Plain: Copy {}
impl Plain for u8 {}
impl Plain for u32 {}

/// `getsockopt` into `buf`: the option's length in bytes, or the errno and
/// the length the kernel reported (`ERANGE` reports the length it needs).
fn getsockopt_into<T: Plain>(fd: BorrowedFd<'_>, level: i32, name: i32, buf: &mut [T]) -> Result<usize, (i32, usize)> {
    let mut len = mem::size_of_val(buf).min(socklen_t::MAX as usize) as socklen_t;
    let p = if buf.is_empty() { std::ptr::null_mut() } else { buf.as_mut_ptr().cast() };
    // SAFETY: p is NULL with length 0, or buf, writable for len bytes; T
    // accepts any bit pattern the kernel writes.
    match syscall!(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, p, &mut len) }) {
        Ok(_) => Ok(len as usize),
        Err(e) => Err((e, len as usize)),
    }
}

/// `SO_PEERCRED`: pid, uid, gid of the peer when it connected.
pub fn peer_cred(fd: BorrowedFd<'_>) -> SysResult<cmsg::Ucred> {
    let mut u = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = mem::size_of::<libc::ucred>() as socklen_t;
    // SAFETY: u has room for the ucred the option returns.
    syscall!(unsafe {
        libc::getsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED, (&mut u as *mut libc::ucred).cast(), &mut len)
    })?;
    Ok(cmsg::Ucred { pid: u.pid, uid: u.uid, gid: u.gid })
}

/// `SO_PEERPIDFD`: a pidfd for the peer (close-on-exec).
pub fn peer_pidfd(fd: BorrowedFd<'_>) -> SysResult<OwnedFd> {
    let pidfd = fd_from(getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PEERPIDFD)?);
    set_cloexec(pidfd.as_raw_fd())?;
    Ok(pidfd)
}

/// The kernel's overflow uid and gid (`/proc/sys/kernel/overflow{u,g}id`,
/// 65534 when /proc cannot tell): what it reports for an id that has no
/// mapping, and with pid 0 for a message that carried no credentials.
///
/// Cached in an atomic, not a `OnceLock`: threads that race on the first
/// call each read the files rather than park, since parking a thread may
/// allocate and these paths never do.
pub fn overflow_ids() -> (u32, u32) {
    use std::sync::atomic::{AtomicU64, Ordering};
    const UNKNOWN: u64 = u64::MAX;
    static IDS: AtomicU64 = AtomicU64::new(UNKNOWN);
    let mut ids = IDS.load(Ordering::Relaxed);
    if ids == UNKNOWN {
        let uid = read_number(c"/proc/sys/kernel/overflowuid").unwrap_or(65534);
        let gid = read_number(c"/proc/sys/kernel/overflowgid").unwrap_or(65534);
        ids = (u64::from(uid) << 32) | u64::from(gid);
        IDS.store(ids, Ordering::Relaxed);
    }
    ((ids >> 32) as u32, ids as u32)
}

/// A small decimal number from a file, read into a stack buffer.
fn read_number(path: &CStr) -> Option<u32> {
    // SAFETY: path is NUL-terminated.
    let fd = syscall!(unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) }).ok().map(fd_from)?;
    let mut buf = [0u8; 16];
    // SAFETY: buf is writable for its length.
    let n = syscall!(unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) }).ok()? as usize;
    std::str::from_utf8(&buf[..n]).ok()?.trim().parse().ok()
}



/// Where the first `byte` in `bytes` is: libc's `memchr`, which is
/// vectorised, unlike a loop over the slice.
#[inline]
pub fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    if bytes.is_empty() {
        return None;
    }
    // SAFETY: memchr reads at most bytes.len() bytes of the live slice.
    let p = unsafe { libc::memchr(bytes.as_ptr().cast(), byte as libc::c_int, bytes.len()) };
    (!p.is_null()).then(|| p as usize - bytes.as_ptr() as usize)
}

/// Writes the message of `errno` (strerror) into `buf`, returns its length.
pub fn strerror(code: i32, buf: &mut [u8]) -> usize {
    // SAFETY: the libc crate binds the XSI strerror_r (__xpg_strerror_r),
    // which writes a NUL-terminated string of at most buf.len() bytes.
    let ok = unsafe { libc::strerror_r(code, buf.as_mut_ptr().cast(), buf.len()) } == 0;
    if !ok {
        return 0;
    }
    buf.iter().position(|&b| b == 0).unwrap_or(buf.len())
}

/// `sendmsg(2)` of several buffers as one write, no address, no control data.
pub fn sendv(fd: BorrowedFd<'_>, parts: &[std::io::IoSlice<'_>], flags: i32) -> SysResult<usize> {
    // SAFETY: an all-zero msghdr is valid (no name, no control).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // IoSlice is guaranteed ABI-compatible with struct iovec on Unix.
    msg.msg_iov = parts.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = parts.len() as _;
    // SAFETY: the iovecs point into live slices for their stated lengths.
    unsafe { sendmsg(fd, &msg, flags) }
}

/// `recvmsg(2)` into several buffers filled in turn, no address, no control
/// data (descriptors that come with the bytes are closed by the kernel).
pub fn recvv(fd: BorrowedFd<'_>, parts: &mut [std::io::IoSliceMut<'_>], flags: i32) -> SysResult<usize> {
    // SAFETY: an all-zero msghdr is valid (no name, no control).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // IoSliceMut is guaranteed ABI-compatible with struct iovec on Unix.
    msg.msg_iov = parts.as_mut_ptr().cast();
    msg.msg_iovlen = parts.len() as _;
    // SAFETY: the iovecs point into exclusively borrowed slices for their
    // stated lengths; the kernel writes at most those.
    unsafe { recvmsg(fd, &mut msg, flags) }
}
