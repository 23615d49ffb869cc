//! Frames that carry descriptors.

use std::ffi::{c_int, c_void};

use super::{bytes_arg, bytes_mut_arg, fd_arg, fds_arg, ffi_boundary, out_arg, slice_mut_arg};
use crate::error::err;
use udsock::fds::{FdBuf, MAX_FDS};
use udsock::frame::{self, Frame};
use libc::{EINVAL, EMSGSIZE};

/// `uds_send_frame` with the `nfds` descriptors of `fds[]` (0 to
/// `UDS_MAX_FDS`; `fds` may be NULL when `nfds` is 0) attached to the
/// frame's first byte, all in one `sendmsg`. The bytes on the wire are
/// exactly `uds_send_frame`'s: a receiver that does not ask for
/// descriptors (`uds_recv_frame`, or a raw `read`) sees the same frame and
/// the kernel closes the descriptors for it. The caller's descriptors stay
/// open and remain the caller's. With `nfds` 0 it is `uds_send_frame`.
///
/// If the kernel takes only part of the frame (a large frame on a stream),
/// the descriptors went with the first part and the rest follows, as for
/// `uds_send_frame`. On a non-blocking socket see `uds_send_frame` for
/// when the call fails rather than waits.
///
/// Returns 0, or -1 with errno: `EMSGSIZE` (`len` > UINT32_MAX), `EINVAL`
/// (`nfds` over `UDS_MAX_FDS`, `fds` NULL with `nfds` > 0, `buf` NULL
/// with `len` > 0), `EBADF` (`sock` or an entry of `fds` is not an open
/// descriptor; uds_last_error() names the entry), `EPIPE` (the peer has
/// gone), `EAGAIN`, `EINTR` (nothing sent), `ETOOMANYREFS` (too many
/// descriptors in flight), `ENOTCONN`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_send_frame_fds(sock: c_int, buf: *const c_void, len: usize, fds: *const c_int, nfds: usize) -> c_int {
    ffi_boundary!("uds_send_frame_fds", {
        let sock = fd_arg(sock)?;
        // Before the buffer is made a slice: `len` may not be its real size.
        super::frame_len(len)?;
        if nfds > MAX_FDS {
            return Err(err!(EINVAL, "nfds is {nfds}: one frame carries at most {MAX_FDS} descriptors (SCM_MAX_FD)"));
        }
        frame::send_frame_fds(sock, bytes_arg(buf, len, "buf")?, fds_arg(fds, nfds, "fds")?)?;
        Ok(0)
    })
}

/// `uds_recv_frame` that also returns the frame's descriptors: one frame
/// into `buf` (capacity `cap`), its length in `*len_out`, and the
/// descriptors that came with it in `fds[]`. `*nfds` is the capacity of
/// `fds` on entry; on return, the number of descriptors that came with
/// this frame (new, close-on-exec, in the order sent, owned by the
/// caller), and 0 on every return but 1.
///
/// Descriptors that arrive with any byte of a frame belong to that frame
/// and to no other: every read stops at the frame's last byte, so they
/// never move to a neighbouring frame, however the sender's writes were
/// cut or coalesced (a frame without descriptors followed at once by one
/// with them; a raw sender that writes the prefix and the body in pieces
/// with the descriptors on a byte in the middle; a sender whose single
/// write spans two frames hands its descriptors over with its first byte,
/// so they belong to the frame holding that byte). Other control data
/// that arrives (credentials, a pidfd while `SO_PASSCRED`/`SO_PASSPIDFD`
/// are on) is discarded, its descriptors closed.
///
/// Returns 1 when a frame is in `buf`; 0 at a clean end of stream between
/// frames; or -1 with errno, `*nfds` 0 and no descriptor of the frame left
/// open: `EXFULL` (more descriptors came with the frame than `*nfds`
/// holds, or the process may open: the frame is consumed and all of its
/// descriptors closed), `EMSGSIZE` (the frame is larger than `cap`: consumed and
/// dropped, `*len_out` is its size), `ECONNRESET` (the stream ended inside
/// the frame), `EPROTOTYPE` (`sock` keeps message boundaries, see
/// `uds_recv_frame`), `EINTR` (before any byte of the frame), `EAGAIN`
/// (see `uds_recv_frame` for non-blocking sockets), `EINVAL` (`len_out`
/// or `nfds` NULL, `fds` NULL with `*nfds` > 0, `buf` NULL with `cap` > 0),
/// `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_recv_frame_fds(
    sock: c_int,
    buf: *mut c_void,
    cap: usize,
    len_out: *mut usize,
    fds: *mut c_int,
    nfds: *mut usize,
) -> c_int {
    ffi_boundary!("uds_recv_frame_fds", {
        let n = out_arg(nfds, "nfds")?;
        let room = std::mem::take(n);
        let slots = slice_mut_arg(fds, room, "fds")?;
        let sock = fd_arg(sock)?;
        let len_out = out_arg(len_out, "len_out")?;
        let buf = bytes_mut_arg(buf, cap, "buf")?;
        let mut got = FdBuf::new(slots);
        match frame::recv_frame_fds(sock, buf, &mut got) {
            Ok(Frame::Data(k)) => {
                *len_out = k;
                *n = got.release();
                Ok(1)
            }
            Ok(Frame::Eof) => {
                *len_out = 0;
                Ok(0)
            }
            Ok(Frame::TooLarge(k)) => {
                *len_out = k;
                Err(err!(EMSGSIZE, "frame of {k} bytes is larger than the buffer ({cap}); dropped, its descriptors closed"))
            }
            Err(e) => Err(e.into()),
        }
    })
}
