//! File descriptors (SCM_RIGHTS) and credentials.

use std::ffi::{c_char, c_int, c_void};
use std::os::fd::IntoRawFd;

use super::{bytes_arg, bytes_mut_arg, fd_arg, fds_arg, ffi_boundary, out_arg, slice_mut_arg};
use udsock::cred::{self, Cred};
use crate::error::{err, Result};
use udsock::fds::{self, FdBuf};
use libc::ERANGE;

/// The most descriptors one message carries: the kernel's `SCM_MAX_FD`.
#[allow(dead_code)] // for the C header
pub const UDS_MAX_FDS: u32 = 253;

/// A process's credentials, as `struct ucred`.
///
/// A message that carried none is reported as
/// `{0, (uint32_t)-1, (uint32_t)-1}`: no real user has uid `(uint32_t)-1`,
/// so it is never mistaken for root (uid 0).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct uds_cred {
    /// Process id, as seen from the receiver's pid namespace (0 when the
    /// sender's is not visible there).
    pub pid: i32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

impl From<Cred> for uds_cred {
    fn from(c: Cred) -> uds_cred {
        uds_cred { pid: c.pid, uid: c.uid, gid: c.gid }
    }
}

impl From<uds_cred> for Cred {
    fn from(c: uds_cred) -> Cred {
        Cred { pid: c.pid, uid: c.uid, gid: c.gid }
    }
}

/// The descriptor slots `*nfds` describes: NULL only with capacity 0.
/// `*nfds` is set to 0 before anything else is checked, so that every
/// failure leaves it 0.
fn slots<'a>(fds: *mut c_int, nfds: *mut usize) -> Result<(&'a mut usize, FdBuf<'a>)> {
    let n = out_arg(nfds, "nfds")?;
    let cap = std::mem::take(n);
    let slots = slice_mut_arg(fds, cap, "fds")?;
    Ok((n, FdBuf::new(slots)))
}

/// Sends `len` bytes from `buf` with the `nfds` descriptors in `fds[]` in
/// one message (`SCM_RIGHTS`). The receiver gets new descriptors for the
/// same open files; the caller's stay open and remain the caller's.
///
/// `nfds` is 1 to `UDS_MAX_FDS` (253, the kernel's limit per message). On
/// a stream socket the whole buffer is sent: the descriptors travel with
/// its first byte, and if the kernel takes only part the rest follows
/// (through signals too). A non-blocking socket, or one that would block
/// past its `SO_SNDTIMEO`, is not waited on: the call returns the count
/// sent so far, as sendmsg(2) does, and the caller sends the rest. With `len == 0` on a stream socket one zero byte is sent
/// as the carrier (Linux drops ancillary data sent without data on a
/// stream); the call then returns 0 and the receiver reads that one byte.
///
/// Returns `len` (or the part sent, see above), or -1 with errno: `EINVAL` (`nfds` 0 or over
/// `UDS_MAX_FDS`, `fds` NULL, `buf` NULL with `len > 0`), `EBADF` (`sock`
/// or an entry of `fds` is not an open descriptor; uds_last_error() names
/// the entry), `EPIPE` (the peer has gone), `EAGAIN`, `EINTR` (nothing
/// sent), `ETOOMANYREFS` (too many descriptors in flight), `EMSGSIZE`,
/// `ENOTCONN`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_send_fds(sock: c_int, buf: *const c_void, len: usize, fds: *const c_int, nfds: usize) -> libc::ssize_t {
    ffi_boundary!("uds_send_fds", {
        let sock = fd_arg(sock)?;
        let buf = bytes_arg(buf, len, "buf")?;
        super::check_count(nfds)?;
        Ok(fds::send_fds(sock, buf, fds_arg(fds, nfds, "fds")?)? as libc::ssize_t)
    })
}

/// Receives one message: up to `len` bytes into `buf`, and its descriptors
/// into `fds[]`. `*nfds` is the capacity of `fds` on entry and the number
/// of descriptors that arrived on return.
///
/// The received descriptors are new, close-on-exec
/// (`MSG_CMSG_CLOEXEC`), in the order they were sent, and belong to the
/// caller, who must close them. The receive reserves room for a
/// credentials message besides the descriptors, so `SO_PASSCRED` being on
/// never pushes descriptors out. `MSG_PEEK` is never used (a peek would
/// install copies of the descriptors).
///
/// If the message carried more descriptors than `*nfds` (the kernel's
/// `MSG_CTRUNC`), or the process reached its descriptor limit
/// (`RLIMIT_NOFILE`) while they were installed, every descriptor that
/// arrived is closed, `*nfds` is set to 0 and the call fails with
/// `EXFULL`, as systemd's recvmsg_safe does: a partial set is never
/// handed over. The message's data is consumed by then. `uds_recvmsg`
/// delivers what fits instead.
///
/// On a stream socket, ancillary data is a barrier (unix(7)): one call
/// returns the bytes up to and including those of one message that
/// carried descriptors, never bytes of the next, so two descriptor-carrying
/// sends are never merged. A sender's `len == 0` arrives as its one-byte
/// carrier.
///
/// Returns the bytes received (0 at the end of a stream, with `*nfds` 0),
/// or -1 with errno, `*nfds` 0 and no descriptor left open: `EXFULL` (see
/// above), `EINVAL` (`nfds` NULL, `fds` NULL with `*nfds > 0`, `buf` NULL
/// with `len > 0`), `EAGAIN`, `EINTR`, `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recv_fds(sock: c_int, buf: *mut c_void, len: usize, fds: *mut c_int, nfds: *mut usize) -> libc::ssize_t {
    ffi_boundary!("uds_recv_fds", {
        let (n, mut got) = slots(fds, nfds)?;
        let sock = fd_arg(sock)?;
        let buf = bytes_mut_arg(buf, len, "buf")?;
        let bytes = fds::recv_fds(sock, buf, &mut got)?;
        *n = got.release();
        Ok(bytes as libc::ssize_t)
    })
}

/// Sends the descriptor `fd` with a one-byte payload (a zero byte).
/// The caller's `fd` stays open.
///
/// Returns 0, or -1 with errno as `uds_send_fds` (`EBADF` when `fd` is
/// not open).
#[no_mangle]
pub extern "C" fn uds_send_fd(sock: c_int, fd: c_int) -> c_int {
    ffi_boundary!("uds_send_fd", {
        let sock = fd_arg(sock)?;
        fds::send_fd(sock, fd_arg(fd)?)?;
        Ok(0)
    })
}

/// Receives one message carrying exactly one descriptor, as `uds_send_fd`
/// sends it, and returns that descriptor (close-on-exec; the caller owns
/// it). The message's payload is read and dropped: a whole datagram, or on
/// a stream what one read returns, up to 512 bytes, which ends at the end
/// of the send that carried a descriptor (ancillary data is a barrier).
///
/// Returns the descriptor, or -1 with errno: `ECONNRESET` (the peer closed
/// the connection), `EBADMSG` (a message with no descriptor, or with
/// several: all of them are closed), `EMFILE` (the process is at its
/// descriptor limit, `RLIMIT_NOFILE`, so the kernel could not install the
/// descriptor; the message is consumed), `EAGAIN`, `EINTR`, `EBADF`,
/// `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recv_fd(sock: c_int) -> c_int {
    ffi_boundary!("uds_recv_fd", { Ok(fds::recv_fd(fd_arg(sock)?)?.into_raw_fd()) })
}

/// Stores in `*out` the credentials of `sock`'s peer as they were when it
/// connected, or created the socketpair (`SO_PEERCRED`): its pid, and its
/// effective uid and gid. The kernel records them; the peer cannot forge
/// them.
///
/// This is how a server on an abstract name, which has no file
/// permissions and which any local process can connect to, decides whom
/// to serve:
///
/// ```c
/// int conn = uds_accept(srv, 0);
/// uds_cred c;
/// if (uds_peer_cred(conn, &c) != 0 || c.uid != getuid()) {
///     close(conn);           // not our user: refuse
///     continue;
/// }
/// ```
///
/// The pid may since have been reused by another process once the peer
/// exited; `uds_peer_pidfd` gives a handle that cannot be.
///
/// Returns 0, or -1 with errno: `ENOTCONN` (no peer: not connected, a
/// listening socket, a datagram socket not made by socketpair), `EINVAL`
/// (`out` NULL), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_peer_cred(sock: c_int, out: *mut uds_cred) -> c_int {
    ffi_boundary!("uds_peer_cred", {
        let sock = fd_arg(sock)?;
        let out = out_arg(out, "out")?;
        *out = cred::peer_cred(sock)?.into();
        Ok(0)
    })
}

/// Returns a pidfd for `sock`'s peer process (`SO_PEERPIDFD`, Linux 6.5),
/// close-on-exec, owned by the caller. Unlike the pid of `uds_peer_cred`,
/// it keeps referring to that very process even after it exits and its
/// pid is reused: poll it for the exit, `pidfd_send_signal` it, or read
/// its pid from `/proc/self/fdinfo/<fd>` (`Pid:`, -1 once it has exited).
///
/// Returns the pidfd, or -1 with errno: `ENOTCONN` (no peer),
/// `ENOPROTOOPT` (a kernel before 6.5), `ESRCH`/`EINVAL` (the peer has
/// exited and been reaped, on kernels that cannot make a pidfd for it),
/// `EMFILE`, `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_peer_pidfd(sock: c_int) -> c_int {
    ffi_boundary!("uds_peer_pidfd", { Ok(cred::peer_pidfd(fd_arg(sock)?)?.into_raw_fd()) })
}

/// Turns `SO_PASSCRED` on (`on` non-zero) or off: whether messages received
/// on `sock` report their sender's credentials (`uds_recv_creds`,
/// `uds_recvmsg`).
///
/// Timing (unix(7)): a message sent without explicit credentials gets them
/// only if `SO_PASSCRED` was on when it was queued; one queued before
/// carries none, whatever is done later. So turn it on before the peer
/// sends: on the listening socket before `uds_accept` (accepted sockets
/// inherit it), or right after `uds_socketpair`/`uds_connect`, before
/// telling the peer to go ahead. `uds_send_creds` attaches credentials
/// explicitly, so those arrive either way.
///
/// Returns 0, or -1 with errno: `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_set_passcred(sock: c_int, on: c_int) -> c_int {
    ffi_boundary!("uds_set_passcred", {
        cred::set_passcred(fd_arg(sock)?, on != 0)?;
        Ok(0)
    })
}

/// Stores the supplementary group ids of `sock`'s peer, as they were when
/// it connected (`SO_PEERGROUPS`), in `groups[]`. `*n` is the capacity of
/// `groups` on entry and the number of groups on return.
///
/// Sizing: if `*n` is too small, nothing is stored, `*n` is set to the
/// number needed and the call fails with `ERANGE`; call it with
/// `groups` NULL and `*n` 0 to ask for the count.
///
/// Returns 0, or -1 with errno: `ERANGE` (see above), `ENOTCONN` (no
/// peer), `EINVAL` (`n` NULL, `groups` NULL with `*n > 0`), `EBADF`,
/// `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_peer_groups(sock: c_int, groups: *mut u32, n: *mut usize) -> c_int {
    ffi_boundary!("uds_peer_groups", {
        let sock = fd_arg(sock)?;
        let n = out_arg(n, "n")?;
        let cap = *n;
        let groups = slice_mut_arg(groups, cap, "groups")?;
        let count = cred::peer_groups(sock, groups)?;
        *n = count;
        if count > cap {
            return Err(err!(ERANGE, "the peer has {count} groups; groups[] holds {cap}"));
        }
        Ok(0)
    })
}

/// Stores the security label of `sock`'s peer (`SO_PEERSEC`: its SELinux
/// context, AppArmor profile or Smack label), NUL-terminated, in `buf`.
///
/// Returns the label's length (without the NUL), or -1 with errno:
/// `ERANGE` (`cap` is too small for the label and its NUL;
/// uds_last_error() says exactly how much is needed, and `buf` holds an
/// empty string, never part of the label), `ENOPROTOOPT` (no security
/// module provides labels on this system), `ENOTCONN`, `EINVAL` (`buf`
/// NULL with `cap > 0`), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_peer_security(sock: c_int, buf: *mut c_char, cap: usize) -> c_int {
    ffi_boundary!("uds_peer_security", {
        let sock = fd_arg(sock)?;
        let buf = bytes_mut_arg(buf.cast(), cap, "buf")?;
        let len = cred::peer_security(sock, buf)?;
        if len >= cap {
            return Err(err!(ERANGE, "the peer's label needs {} bytes with its NUL; buf holds {cap}", len + 1));
        }
        Ok(len as c_int)
    })
}

/// Sends `len` bytes from `buf` with credentials (`SCM_CREDENTIALS`):
/// `*cred`, or with `cred` NULL the caller's own pid, real uid and real
/// gid. They arrive even if the receiver turns `SO_PASSCRED` on only when
/// it reads (as `uds_recv_creds` does). With `cred` NULL on a stream
/// socket, `SO_PASSCRED` is turned on at `sock` (if it was off) and the
/// kernel stamps the message with the sender's ids as they are when it is
/// sent (a forked child's own pid, the new uid after a setuid), with no
/// look-up; later messages sent on `sock` carry them too. `SO_PASSCRED`
/// also works on what `sock` receives: every message read from it then
/// comes with a credentials block, which takes control room first, so a
/// receive that offers room for descriptors alone (a hand-written
/// `recvmsg` sized `CMSG_SPACE` of the fds, CPython's `socket.recv_fds`)
/// loses them to `MSG_CTRUNC`. libudsock's receives always leave room
/// for it; turn it off with `uds_set_passcred(sock, 0)` before handing
/// `sock` to such code, or pass your ids explicitly. Other socket
/// types get the caller's ids attached explicitly unless `SO_PASSCRED` is
/// already on at `sock`.
/// With `len == 0` on a stream socket one zero byte is sent as the carrier
/// (the call returns 0). A stream that takes only part of `buf` gets the
/// rest as for `uds_send_fds` (a socket that would block returns the part
/// sent).
///
/// The kernel checks them: a pid other than the caller's needs
/// `CAP_SYS_ADMIN`, a uid or gid other than its real, effective or saved
/// ones `CAP_SETUID`/`CAP_SETGID`. Forged values fail with `EPERM`; a pid
/// that does not exist, with `ESRCH`.
///
/// Returns `len` (or the part sent), or -1 with errno: `EPERM`, `ESRCH` (see above), `EINVAL`
/// (`buf` NULL with `len > 0`), `EPIPE`, `EAGAIN`, `EINTR`, `ENOTCONN`,
/// `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_send_creds(sock: c_int, buf: *const c_void, len: usize, cred: *const uds_cred) -> libc::ssize_t {
    ffi_boundary!("uds_send_creds", {
        let sock = fd_arg(sock)?;
        let buf = bytes_arg(buf, len, "buf")?;
        // SAFETY: a non-NULL `cred` is a valid uds_cred the caller lends.
        let cred = (!cred.is_null()).then(|| Cred::from(unsafe { *cred }));
        Ok(cred::send_creds(sock, buf, cred)? as libc::ssize_t)
    })
}

/// Receives one message of up to `len` bytes into `buf` and stores its
/// sender's credentials in `*out`. Turns `SO_PASSCRED` on first if it was
/// off.
///
/// A message queued while `SO_PASSCRED` was off, and sent without explicit
/// credentials (by `uds_send`, `write`, another program), carries none
/// (the kernel reports pid 0 and the overflow uid/gid): `*out` is then
/// `{0, (uint32_t)-1, (uint32_t)-1}`, so that no caller mistakes it for a
/// real user. See `uds_set_passcred` for when to turn it on. Descriptors
/// sent with the message are closed.
///
/// Returns the bytes received (0 at the end of a stream), or -1 with errno:
/// `EINVAL` (`out` NULL, `buf` NULL with `len > 0`), `EAGAIN`, `EINTR`,
/// `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recv_creds(sock: c_int, buf: *mut c_void, len: usize, out: *mut uds_cred) -> libc::ssize_t {
    ffi_boundary!("uds_recv_creds", {
        let sock = fd_arg(sock)?;
        let buf = bytes_mut_arg(buf, len, "buf")?;
        let out = out_arg(out, "out")?;
        let (n, c) = cred::recv_creds(sock, buf)?;
        *out = c.into();
        Ok(n as libc::ssize_t)
    })
}
