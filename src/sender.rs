//! Who sent this message: per-message pidfds, and refusing descriptors.

use std::ffi::{c_int, c_void};
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use super::msg::uds_msg;
use super::{bytes_mut_arg, fd_arg, ffi_boundary, out_arg, slice_mut_arg};
use udsock::cred;
use udsock::fds::FdBuf;
use udsock::msg::{self, Arrived, Incoming, BATCH};

use super::msg::{batch_len, check_all, want_creds_for};
use libc::{MSG_DONTWAIT, MSG_WAITFORONE};

/// `uds_msg.flags` (receive, out), set only by `uds_recvmsg_pidfd` and
/// `uds_recv_batch_pidfd`: the message carried a pidfd of its sender,
/// stored in the call's `pidfd` slot.
#[allow(dead_code)] // for the C header
pub const UDS_MSG_PIDFD: u32 = 8;

/// Turns `SO_PASSPIDFD` (Linux 6.5) on (`on` != 0) or off: messages
/// received afterwards carry a pidfd of their sender (`SCM_PIDFD`), which
/// `uds_recv_pidfd`, `uds_recvmsg_pidfd` and `uds_recv_batch_pidfd`
/// deliver (the other receive calls close it). Unlike a pid, a pidfd can
/// never come to name another process once its sender has exited.
///
/// Returns 0, or -1 with errno: `ENOPROTOOPT` (a kernel before 6.5, which
/// has no such option), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_set_passpidfd(sock: c_int, on: c_int) -> c_int {
    ffi_boundary!("uds_set_passpidfd", {
        cred::set_passpidfd(fd_arg(sock)?, on != 0)?;
        Ok(0)
    })
}

/// Receives one message like `uds_recv` (up to `len` bytes; a datagram
/// longer than `len` is cut, as recv(2) does) and stores a pidfd of its
/// sender in `*pidfd` (close-on-exec, owned by the caller), or -1 when the
/// message carried none.
///
/// Turns `SO_PASSPIDFD` on if it was off; a message queued before that
/// carries no sender unless `SO_PASSCRED` was on when it was sent (the
/// kernel then recorded the sender, and its pidfd is delivered).
/// Descriptors sent with the message (`SCM_RIGHTS`) are closed. Never
/// fails because the sender has exited: `*pidfd` is then whatever pidfd
/// the kernel gives (on 6.18 one whose `/proc/self/fdinfo` says `Pid: -1`
/// once the sender is reaped), or -1 where it gives none (older kernels
/// put a negative errno in the slot), and -1 too when the process may open
/// no more descriptors (`RLIMIT_NOFILE`): the message is delivered all the
/// same, since its bytes are consumed by then.
///
/// Returns the bytes received (0 at the end of a stream, with `*pidfd`
/// -1), or -1 with errno and `*pidfd` -1: `ENOPROTOOPT` (a kernel before
/// 6.5), `EINVAL` (`pidfd` NULL, `buf` NULL with `len` > 0), `EAGAIN`,
/// `EINTR`, `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recv_pidfd(sock: c_int, buf: *mut c_void, len: usize, pidfd: *mut c_int) -> libc::ssize_t {
    ffi_boundary!("uds_recv_pidfd", {
        let out = out_arg(pidfd, "pidfd")?;
        *out = -1;
        let sock = fd_arg(sock)?;
        let buf = bytes_mut_arg(buf, len, "buf")?;
        let (n, p) = cred::recv_pidfd(sock, buf)?;
        *out = p.map_or(-1, IntoRawFd::into_raw_fd);
        Ok(n as libc::ssize_t)
    })
}

/// Turns `SO_PASSRIGHTS` (Linux 6.16) off (`on` = 0) or back on (`on` !=
/// 0, the default): with it off the kernel refuses descriptors sent to
/// this socket, and the sender's send fails with `EPERM`. For a server
/// that never accepts descriptors, so that no peer can fill its
/// descriptor table or pin files through it.
///
/// Returns 0, or -1 with errno: `ENOPROTOOPT` (a kernel before 6.16,
/// which has no such option), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_set_passrights(sock: c_int, on: c_int) -> c_int {
    ffi_boundary!("uds_set_passrights", {
        cred::set_passrights(fd_arg(sock)?, on != 0)?;
        Ok(0)
    })
}

/// `uds_recvmsg` that also delivers the sender's pidfd: the layout of
/// `uds_msg` is unchanged (programs compiled against it keep working), and
/// the pidfd goes to a slot of its own. `*pidfd` is a pidfd of the
/// message's sender (close-on-exec, owned by the caller), and
/// `UDS_MSG_PIDFD` is set in `m->flags`; or -1 when the message carried
/// none. Turns `SO_PASSPIDFD` on if it was off (see `uds_recv_pidfd` for
/// which messages carry a sender); `m` is read and filled as
/// `uds_recvmsg` does. The pidfd always has room: the receive offers
/// control room for `UDS_MAX_FDS` descriptors whatever `m->nfds` holds
/// (those without a slot are closed and `UDS_MSG_CTRUNC` is set).
///
/// Returns as `uds_recvmsg`, with `*pidfd` -1 on failure; errno also
/// `ENOPROTOOPT` (a kernel before 6.5), `EINVAL` (`pidfd` NULL).
#[no_mangle]
pub extern "C" fn uds_recvmsg_pidfd(sock: c_int, m: *mut uds_msg, flags: c_int, pidfd: *mut c_int) -> libc::ssize_t {
    ffi_boundary!("uds_recvmsg_pidfd", {
        let out = out_arg(pidfd, "pidfd")?;
        *out = -1;
        let sock = fd_arg(sock)?;
        let m = out_arg(m, "m")?;
        let (data, slots) = m.receive_buffers(sock)?;
        cred::want_pidfds(sock)?;
        let mut fds = FdBuf::new(slots);
        let (r, p) = msg::recvmsg_pidfd(sock, data, &mut fds, flags)?;
        fds.release();
        let bytes = r.bytes();
        m.report(&r);
        if let Some(p) = p {
            m.flags |= UDS_MSG_PIDFD;
            *out = p.into_raw_fd();
        }
        Ok(bytes as libc::ssize_t)
    })
}

/// A message of a batch and its pidfd slot.
#[derive(Clone, Copy)]
struct WithPidfd {
    m: uds_msg,
    pidfd: RawFd,
}

// SAFETY: as uds_msg's, which it forwards to: the C caller owns the
// descriptors in the `fds` array `buffers` returned.
unsafe impl Incoming for WithPidfd {
    fn buffers(&mut self) -> (&mut [u8], &mut [RawFd]) {
        self.m.buffers()
    }

    fn wants_from(&self) -> bool {
        self.m.wants_from()
    }

    fn arrived(&mut self, a: Arrived) {
        self.m.arrived(a);
        if self.pidfd >= 0 {
            self.m.flags |= UDS_MSG_PIDFD;
        }
    }

    fn wants_pidfd(&self) -> bool {
        true
    }

    fn pidfd_arrived(&mut self, pidfd: Option<OwnedFd>) {
        self.pidfd = pidfd.map_or(-1, IntoRawFd::into_raw_fd);
    }
}

/// `uds_recv_batch` that also delivers each message's sender: `pidfds[i]`
/// (an array of `n` ints beside `msgs`, so that the layout of `uds_msg` is
/// unchanged) receives a pidfd of the sender of `msgs[i]` (close-on-exec,
/// owned by the caller) with `UDS_MSG_PIDFD` set in `msgs[i].flags`, or -1
/// when it carried none. Turns `SO_PASSPIDFD` on if it was off (see
/// `uds_recv_pidfd`). Each message offers control room for `UDS_MAX_FDS`
/// descriptors, so about 7 messages go in one `recvmmsg` (more take
/// several); nothing is allocated.
///
/// Returns how many messages arrived (`msgs[0..count)` and
/// `pidfds[0..count)` are filled in, the others untouched), or -1 with
/// errno as `uds_recv_batch`; also `ENOPROTOOPT` (a kernel before 6.5),
/// `EINVAL` (`pidfds` NULL with `n` > 0).
#[no_mangle]
pub extern "C" fn uds_recv_batch_pidfd(sock: c_int, msgs: *mut uds_msg, n: usize, flags: c_int, pidfds: *mut c_int) -> c_int {
    ffi_boundary!("uds_recv_batch_pidfd", {
        let sock = fd_arg(sock)?;
        let n = batch_len(n)?;
        let msgs = slice_mut_arg(msgs, n, "msgs")?;
        let pidfds = slice_mut_arg(pidfds, n, "pidfds")?;
        check_all(msgs, |m| m.checked_buffers().map(drop))?;
        want_creds_for(sock, msgs)?;
        cred::want_pidfds(sock)?;
        let later = if flags & (MSG_WAITFORONE | MSG_DONTWAIT) != 0 { (flags & !MSG_WAITFORONE) | MSG_DONTWAIT } else { flags };
        let mut flags = flags;
        let mut done = 0;
        while done < n {
            let k = (n - done).min(BATCH);
            let mut local = [WithPidfd { m: uds_msg::EMPTY, pidfd: -1 }; BATCH];
            for (l, m) in local.iter_mut().zip(&msgs[done..done + k]) {
                l.m = *m;
            }
            let got = match msg::recv_batch(sock, &mut local[..k], flags) {
                Ok(g) => g,
                Err(e) if done == 0 => return Err(e.into()),
                Err(_) => break,
            };
            for (i, l) in local[..got].iter().enumerate() {
                msgs[done + i] = l.m;
                pidfds[done + i] = l.pidfd;
            }
            done += got;
            if got < k {
                break;
            }
            flags = later;
        }
        Ok(done as c_int)
    })
}
