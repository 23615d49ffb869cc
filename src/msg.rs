//! General messages and batches.

use std::ffi::{c_int, c_void};
use std::os::fd::{BorrowedFd, RawFd};

use super::addr::uds_addr;
use super::fds::uds_cred;
use super::{bytes_arg, bytes_mut_arg, fd_arg, fds_arg, ffi_boundary, out_arg, ref_arg, slice_arg, slice_mut_arg};
use udsock::cred::{self, Cred};
use crate::error::{err, Result};
use udsock::fds::{self, FdBuf};
use udsock::msg::{self, Arrived, Incoming, Message, Outgoing, Received};
use libc::EINVAL;

/// `uds_msg.flags`: the data did not fit in `data`; the rest of the
/// datagram or seqpacket was dropped.
#[allow(dead_code)] // for the C header
pub const UDS_MSG_TRUNC: u32 = 1;
/// `uds_msg.flags`: descriptors did not fit in `fds` (or the process hit
/// its descriptor limit): those that arrived are in `fds`, the others were
/// closed.
#[allow(dead_code)] // for the C header
pub const UDS_MSG_CTRUNC: u32 = 2;
/// `uds_msg.flags`: the message carried real credentials, stored in
/// `*cred`.
#[allow(dead_code)] // for the C header
pub const UDS_MSG_CRED: u32 = 4;

/// One message: data, descriptors, credentials and an address, for
/// `uds_sendmsg`/`uds_recvmsg` and the batch calls.
///
/// Sending reads every field but `flags`. Receiving reads `data`/`len`,
/// `fds`/`nfds` (capacities), `cred` and `addr` (where to store, or NULL),
/// and writes `len`, `nfds`, `flags`, `*cred` and `*addr`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct uds_msg {
    /// The bytes; NULL only with `len` 0.
    pub data: *mut c_void,
    /// recv: in, the capacity of `data`; out, the bytes stored.
    pub len: usize,
    /// Descriptors; NULL only with `nfds` 0.
    pub fds: *mut c_int,
    /// send: how many to pass (0 to `UDS_MAX_FDS`). recv: in, the capacity
    /// of `fds`; out, how many arrived (the caller owns them).
    pub nfds: usize,
    /// send: credentials to attach, or NULL for none. recv: where to store
    /// the sender's, or NULL; `{0, (uint32_t)-1, (uint32_t)-1}` when the
    /// message carried none.
    pub cred: *mut uds_cred,
    /// recv, out: `UDS_MSG_TRUNC`, `UDS_MSG_CTRUNC`, `UDS_MSG_CRED`, and
    /// `UDS_MSG_PIDFD` from `uds_recvmsg_pidfd`/`uds_recv_batch_pidfd` (the
    /// sender's pidfd goes to a slot of those calls: this struct's layout
    /// never changes).
    pub flags: u32,
    /// send: the destination, or NULL for the connected peer. recv: where
    /// to store the sender's address, or NULL.
    pub addr: *mut uds_addr,
}

impl uds_msg {
    /// No buffers at all.
    pub(crate) const EMPTY: uds_msg = uds_msg {
        data: std::ptr::null_mut(),
        len: 0,
        fds: std::ptr::null_mut(),
        nfds: 0,
        cred: std::ptr::null_mut(),
        flags: 0,
        addr: std::ptr::null_mut(),
    };
}

impl uds_msg {
    /// The message to send, or why it cannot be.
    #[inline(always)]
    pub(crate) fn checked(&self) -> Result<Message<'_>> {
        let data = bytes_arg(self.data, self.len, "data")?;
        if self.nfds > fds::MAX_FDS {
            return Err(err!(EINVAL, "nfds is {}: one message carries at most {}", self.nfds, fds::MAX_FDS));
        }
        let fds = fds_arg(self.fds, self.nfds, "fds")?;
        // SAFETY: a non-NULL `cred` is a valid uds_cred the caller lends.
        let cred = (!self.cred.is_null()).then(|| Cred::from(unsafe { *self.cred }));
        let to = if self.addr.is_null() {
            None
        } else {
            // SAFETY: a non-NULL `addr` is a valid uds_addr the caller lends.
            Some(unsafe { &*self.addr }.destination()?)
        };
        Ok(Message { data, fds, cred, to })
    }

    /// The buffers to receive into, or why they cannot be used.
    #[inline(always)]
    pub(crate) fn checked_buffers(&mut self) -> Result<(&mut [u8], &mut [RawFd])> {
        Ok((bytes_mut_arg(self.data, self.len, "data")?, slice_mut_arg(self.fds, self.nfds, "fds")?))
    }

    /// [`uds_msg::checked_buffers`] for a receive on `sock`, with
    /// `SO_PASSCRED` turned on first when the message asks for credentials.
    pub(crate) fn receive_buffers(&mut self, sock: BorrowedFd<'_>) -> Result<(&mut [u8], &mut [RawFd])> {
        let asks = !self.cred.is_null();
        let buffers = self.checked_buffers()?;
        if asks {
            cred::want_creds(sock)?;
        }
        Ok(buffers)
    }

    /// Stores what a receive brought: the caller now owns `r.nfds()`
    /// descriptors at the front of `fds`.
    #[inline(always)]
    pub(crate) fn report(&mut self, r: &Received) {
        let (len, nfds, flags, cred) = (r.len(), r.nfds(), r.flags(), r.cred());
        self.len = len;
        self.nfds = nfds;
        self.flags = flags;
        if !self.cred.is_null() {
            // SAFETY: a non-NULL `cred` is a valid, writable uds_cred the
            // caller lends.
            unsafe { *self.cred = cred.unwrap_or(Cred::NONE).into() };
        }
        if !self.addr.is_null() {
            // SAFETY: a non-NULL `addr` is a valid, writable uds_addr the
            // caller lends.
            unsafe { &mut *self.addr }.set(r.from());
        }
    }
}

/// Checks every message of a batch before any is sent or received into:
/// the first refused one fails the call, named (`msgs[i]: ...`).
pub(crate) fn check_all<T>(msgs: &mut [T], mut check: impl FnMut(&mut T) -> Result<()>) -> Result<()> {
    for (i, m) in msgs.iter_mut().enumerate() {
        check(m).map_err(|e| e.within(format_args!("msgs[{i}]")))?;
    }
    Ok(())
}

impl Outgoing for uds_msg {
    /// Checked first (`check_all`): never refused here.
    #[inline(always)]
    fn message(&self) -> Message<'_> {
        self.checked().unwrap_or_default()
    }
}

// SAFETY: the descriptors go to the C caller, who owns the `fds` array
// `buffers` returned (the same one each time); `arrived` only reports how
// many (it adopts none).
unsafe impl Incoming for uds_msg {
    /// Checked first (`check_all`): never refused here.
    #[inline(always)]
    fn buffers(&mut self) -> (&mut [u8], &mut [RawFd]) {
        self.checked_buffers().unwrap_or((&mut [], &mut []))
    }

    #[inline]
    fn wants_from(&self) -> bool {
        !self.addr.is_null()
    }

    #[inline(always)]
    fn arrived(&mut self, a: Arrived) {
        self.report(a.received());
    }
}

/// Sends one message: `m->len` bytes of `m->data`, the `m->nfds`
/// descriptors of `m->fds` (`SCM_RIGHTS`), credentials `*m->cred` if not
/// NULL (`SCM_CREDENTIALS`, checked by the kernel as for
/// `uds_send_creds`), to `*m->addr` if not NULL (a pathname of up to 108
/// bytes or an abstract name) or else the connected peer, in one
/// `sendmsg`. `flags` go to sendmsg(2) with `MSG_NOSIGNAL` added.
///
/// On a stream socket the whole buffer is sent (the descriptors travel
/// with its first byte), except that a socket that would block
/// (non-blocking, `MSG_DONTWAIT`, `SO_SNDTIMEO`) is not waited on: the
/// count sent so far is returned, as sendmsg(2) does. With `m->len == 0` but descriptors or
/// credentials one zero byte is sent as the carrier (the call returns 0).
///
/// Returns `m->len` (or the part sent, see above), or -1 with errno: `EINVAL` (`m` NULL, a NULL pointer
/// with a non-zero count, `nfds` over `UDS_MAX_FDS`, an unnamed `addr`),
/// `ENAMETOOLONG` (`addr` holds a cut pathname), `EBADF` (`sock` or a
/// descriptor is not open), `EPERM`/`ESRCH` (forged credentials), `EPIPE`,
/// `EAGAIN`, `EINTR`, `EMSGSIZE`, `ECONNREFUSED`, `ENOENT`, `ETOOMANYREFS`,
/// `ENOTCONN`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_sendmsg(sock: c_int, m: *const uds_msg, flags: c_int) -> libc::ssize_t {
    ffi_boundary!("uds_sendmsg", {
        let sock = fd_arg(sock)?;
        let m = ref_arg(m, "m")?.checked()?;
        Ok(msg::sendmsg(sock, &m, flags)? as libc::ssize_t)
    })
}

/// Receives one message: data into `m->data` (capacity `m->len`),
/// descriptors into `m->fds` (capacity `m->nfds`), the sender's
/// credentials into `*m->cred` and its address into `*m->addr` when those
/// are not NULL. `flags` go to recvmsg(2) with `MSG_CMSG_CLOEXEC` added
/// (`MSG_DONTWAIT`, `MSG_WAITALL`, `MSG_TRUNC`, `MSG_PEEK`). A peek gets
/// the data only: it never installs descriptors (they would be copies that
/// the real receive installs again) nor reports credentials; `m->nfds` is
/// 0, and `UDS_MSG_CTRUNC` says ancillary data is waiting.
///
/// Truncation is never an error. On return `m->len` is the bytes stored,
/// `m->nfds` the descriptors delivered (new, close-on-exec, in the order
/// sent, owned by the caller), and `m->flags` has `UDS_MSG_TRUNC` if the
/// data did not fit (the rest of a datagram is dropped), `UDS_MSG_CTRUNC`
/// if descriptors did not fit or could not be opened (those that arrived
/// are delivered, the others closed), `UDS_MSG_CRED` if real credentials
/// arrived.
///
/// With `m->cred` not NULL, `SO_PASSCRED` is turned on first (see
/// `uds_set_passcred` for why messages already queued may still carry
/// none: `*m->cred` is then `{0, (uint32_t)-1, (uint32_t)-1}` and
/// `UDS_MSG_CRED` is clear). On a stream, ancillary data is a barrier: one
/// call never returns bytes of two messages that carried descriptors. A
/// sender bound to a path longer than `sun_path` has the kernel's alias
/// for an address (see `uds_recvfrom`).
///
/// Returns the bytes received (the datagram's full length if `flags` has
/// `MSG_TRUNC`; 0 at the end of a stream), or -1 with errno, `*m`
/// unchanged and no descriptor received: `EINVAL` (`m` NULL, a NULL
/// pointer with a non-zero capacity), `EAGAIN`, `EINTR`, `EBADF`,
/// `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recvmsg(sock: c_int, m: *mut uds_msg, flags: c_int) -> libc::ssize_t {
    ffi_boundary!("uds_recvmsg", {
        let sock = fd_arg(sock)?;
        let m = out_arg(m, "m")?;
        let (data, slots) = m.receive_buffers(sock)?;
        let mut fds = FdBuf::new(slots);
        let r = msg::recvmsg(sock, data, &mut fds, flags)?;
        fds.release();
        let bytes = r.bytes();
        m.report(&r);
        Ok(bytes as libc::ssize_t)
    })
}

/// A batch size as the C functions return it.
/// Turns `SO_PASSCRED` on at `sock` when any of `msgs` asks for
/// credentials (`cred` not NULL): only then does a receive report them.
pub(crate) fn want_creds_for(sock: BorrowedFd<'_>, msgs: &[uds_msg]) -> Result<()> {
    if msgs.iter().any(|m| !m.cred.is_null()) {
        cred::want_creds(sock)?;
    }
    Ok(())
}

pub(crate) fn batch_len(n: usize) -> Result<usize> {
    if n > c_int::MAX as usize {
        return Err(err!(EINVAL, "n is {n}: a batch holds at most {} messages", c_int::MAX));
    }
    Ok(n)
}

/// Sends the `n` messages of `msgs[]`, each as `uds_sendmsg` would, with
/// `sendmmsg(2)`: up to 64 messages in one system call (more take
/// several). For datagram and seqpacket sockets, where each stays one
/// message; every message may carry descriptors, credentials and an
/// address. Headers and control data live on the stack (about 23 KiB),
/// never the heap.
///
/// Every message is checked before any is sent: one that `uds_sendmsg`
/// would refuse outright (NULL data with a length, more than `UDS_MAX_FDS`
/// descriptors, a malformed address) fails the whole call with `EINVAL`
/// and nothing is sent; the error names it (`msgs[i]: ...`).
///
/// Returns how many messages were sent, in order: fewer than `n` when
/// sending stopped part-way (a full non-blocking socket; an error for a
/// later message, such as a destination that does not exist, which the
/// next call reports). Returns -1 with errno when the first could not be
/// sent: `EINVAL` (`msgs` NULL with `n > 0`, a refused message, above),
/// `EAGAIN`, `EINTR`, `EMSGSIZE`, `EBADF`, `EPERM`, `EPIPE`, `ENOENT`,
/// `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_send_batch(sock: c_int, msgs: *const uds_msg, n: usize, flags: c_int) -> c_int {
    ffi_boundary!("uds_send_batch", {
        let sock = fd_arg(sock)?;
        let msgs = slice_arg(msgs, batch_len(n)?, "msgs")?;
        for (i, m) in msgs.iter().enumerate() {
            m.checked().map_err(|e| e.within(format_args!("msgs[{i}]")))?;
        }
        Ok(msg::send_batch(sock, msgs, flags)? as c_int)
    })
}

/// Receives up to `n` messages into `msgs[]`, each as `uds_recvmsg` would,
/// with `recvmmsg(2)`: up to 64 messages in one system call (more take
/// several). Each may carry descriptors (delivered into its own `fds`) and
/// credentials. `MSG_PEEK` peeks data only, as for `uds_recvmsg`. With any
/// `cred` not NULL,
/// `SO_PASSCRED` is turned on first. Headers and control data live on the
/// stack (about 34 KiB), never the heap.
///
/// As with recvmmsg, on a blocking socket the call waits until all `n`
/// have arrived, unless `flags` has `MSG_WAITFORONE` (wait for the first,
/// then take what is queued) or `MSG_DONTWAIT`.
///
/// Returns how many messages arrived (`msgs[0]` to `msgs[count - 1]` are
/// filled in; the others are untouched), or -1 with errno when none did:
/// `EAGAIN`, `EINTR`, `EINVAL` (`msgs` NULL with `n > 0`, a NULL pointer
/// with a non-zero capacity), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recv_batch(sock: c_int, msgs: *mut uds_msg, n: usize, flags: c_int) -> c_int {
    ffi_boundary!("uds_recv_batch", {
        let sock = fd_arg(sock)?;
        let msgs = slice_mut_arg(msgs, batch_len(n)?, "msgs")?;
        check_all(msgs, |m| m.checked_buffers().map(drop))?;
        want_creds_for(sock, msgs)?;
        Ok(msg::recv_batch(sock, msgs, flags)? as c_int)
    })
}
