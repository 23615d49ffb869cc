//! Frames with descriptors on non-blocking sockets: the resumable reader
//! (`uds_reader`) and writer (`uds_writer`) for epoll/poll loops.

use std::ffi::{c_int, c_void};
use std::ptr;

use super::{bytes_arg, fd_arg, fds_arg, ffi_boundary, out_arg, slice_mut_arg, Failure};
use crate::error::{err, Error};
use super::frame_len;
use udsock::fds::MAX_FDS;
use udsock::stream::{Reader, Writer};
use libc::{EINVAL, EMSGSIZE, EXFULL};

/// A resumable frame reader (opaque): the partial frame of one stream
/// socket and the descriptors that came with it, kept between calls.
/// Made by `uds_reader_new`, used by `uds_reader_read`, freed by
/// `uds_reader_free`.
#[allow(non_camel_case_types)]
pub struct uds_reader {
    inner: Reader,
}

impl Failure for *mut uds_reader {
    const FAILED: *mut uds_reader = ptr::null_mut();
}

/// Makes a reader of frames (uds_send_frame's wire format: a 4-byte
/// native-endian length, then the bytes) for a non-blocking stream socket
/// in an epoll/poll loop, taking frames of at most `max_frame` bytes
/// (0..UINT32_MAX) that carry at most `max_fds` descriptors (0..65536).
///
/// Design: the reader is an object that holds the partial frame and the
/// descriptors received with it so far, so that a frame may arrive in any
/// number of pieces, with `EAGAIN` in between, and nothing is lost. Its
/// memory (the reader, a `max_frame`-byte buffer and `max_fds` descriptor
/// slots) is allocated here, once; reading never allocates. One reader
/// serves one socket from its first byte on (or from a frame boundary).
///
/// Returns the reader, or NULL with errno: `EINVAL` (a limit out of
/// range), `ENOMEM`.
#[no_mangle]
pub extern "C" fn uds_reader_new(max_frame: usize, max_fds: usize) -> *mut uds_reader {
    ffi_boundary!("uds_reader_new", {
        let inner = Reader::new(max_frame, max_fds)?;
        Ok(Box::into_raw(Box::new(uds_reader { inner })))
    })
}

/// Reads from the stream socket `sock` (any number of `recvmsg` calls up
/// to 64, each with `MSG_DONTWAIT | MSG_CMSG_CLOEXEC`, also on a blocking
/// socket) until a frame is complete or the socket has nothing more.
///
/// Descriptors that arrive with any byte of a frame (its prefix included)
/// belong to that frame and to no other: a read never asks for a byte
/// past the current frame's last one (first the 4-byte prefix, then
/// exactly the rest of the body), so descriptors never move to a
/// neighbouring frame, however the sender's writes were cut or coalesced
/// (a write that spans two frames hands its descriptors over with its
/// first byte: they belong to the frame holding that byte). Other control
/// data (credentials, pidfds while SO_PASSCRED/SO_PASSPIDFD are on) is
/// discarded, its descriptors closed.
///
/// `*nfds` in: the capacity of `fds` (NULL only with capacity 0); out:
/// how many descriptors came with the frame, 0 on every return but 1.
///
/// Returns:
/// - 1: a frame. `*frame` points to its `*len` bytes inside the reader,
///   valid until the next call with `r` or `uds_reader_free`; its
///   descriptors are in `fds[0..*nfds]`, close-on-exec, the caller's.
/// - 0: the stream ended cleanly between frames (`*frame` NULL, `*len` 0).
/// - -1 with errno:
///   - `EAGAIN`: no complete frame yet; the bytes and descriptors that
///     arrived are kept in the reader for the next call. Wait for
///     `POLLIN`/`EPOLLIN` and call again.
///   - `EINPROGRESS`: the call made its 64 reads and the frame is still
///     incomplete (a peer that trickles a frame, each piece with
///     descriptors, cannot hold the loop): more is waiting; call again
///     (with edge-triggered epoll no new event will come for it).
///   - `EMSGSIZE`: the frame's length prefix announces more than
///     `max_frame` (e.g. a hostile 4 GiB prefix); `*len` is that length.
///     Reported as soon as the prefix is read, the descriptors that came
///     with it closed; the following calls drop the frame's bytes as they
///     arrive (closing any descriptor with them) and go on with the next
///     frame, so the stream stays in step. Close the connection instead
///     to not read them.
///   - `EXFULL`: the frame carried more descriptors than `max_fds` or
///     than `*nfds`, or the kernel could not deliver them all (its
///     `MSG_CTRUNC`, e.g. `RLIMIT_NOFILE`): the frame is consumed and all
///     of its descriptors are closed.
///   - `ECONNRESET`: the stream ended inside a frame; the partial frame is
///     dropped and its descriptors closed (the next call returns 0).
///   - `EPROTOTYPE`: `sock` keeps message boundaries (a read cut a
///     message: `SOCK_SEQPACKET`, `SOCK_DGRAM`); the partial frame dropped.
///   - `EINVAL` (`r`, `frame`, `len` or `nfds` NULL; `fds` NULL with
///     `*nfds` > 0), `EBADF`, `ENOTSOCK`, and other `recvmsg` errors,
///     which leave the partial frame in the reader.
#[no_mangle]
pub extern "C" fn uds_reader_read(
    r: *mut uds_reader,
    sock: c_int,
    frame: *mut *const c_void,
    len: *mut usize,
    fds: *mut c_int,
    nfds: *mut usize,
) -> c_int {
    ffi_boundary!("uds_reader_read", {
        let n = out_arg(nfds, "nfds")?;
        let cap = std::mem::take(n);
        let slots = slice_mut_arg(fds, cap, "fds")?;
        let r = out_arg(r, "r")?;
        let frame = out_arg(frame, "frame")?;
        let len = out_arg(len, "len")?;
        let sock = fd_arg(sock)?;
        match r.inner.advance(sock) {
            Ok(true) => {}
            Ok(false) => {
                *frame = ptr::null();
                *len = 0;
                return Ok(0);
            }
            Err(e) => {
                if let Some(size) = r.inner.oversized().filter(|_| e.errno() == EMSGSIZE) {
                    *len = size;
                }
                return Err(e.into());
            }
        }
        let f = r.inner.frame();
        if f.fds.len() > slots.len() {
            return Err(too_many(f.fds.len(), slots.len()));
        }
        slots[..f.fds.len()].copy_from_slice(f.fds.as_raw());
        *frame = f.data.as_ptr().cast();
        *len = f.data.len();
        *n = f.fds.release();
        Ok(1)
    })
}

#[cold]
#[inline(never)]
fn too_many(got: usize, cap: usize) -> Error {
    err!(EXFULL, "the frame came with {got} descriptors and fds holds {cap}; they were closed and the frame dropped")
}

/// Frees a reader made by `uds_reader_new`, closing the descriptors of a
/// partial frame it still holds. NULL is ignored.
#[no_mangle]
pub extern "C" fn uds_reader_free(r: *mut uds_reader) {
    let _: c_int = ffi_boundary!("uds_reader_free", {
        if !r.is_null() {
            // SAFETY: a non-NULL r came from uds_reader_new (Box::into_raw)
            // and the C caller frees it once.
            drop(unsafe { Box::from_raw(r) });
        }
        Ok(0)
    });
}

/// The state of a frame being sent by `uds_writer_send`, kept by the
/// caller (e.g. in its per-connection struct); no allocation, nothing to
/// free. Zero it (`uds_writer w = {0};`) before the first frame: a writer
/// with `total` 0 has no frame in progress.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, Default)]
pub struct uds_writer {
    /// Bytes of the frame in progress sent so far, its 4-byte prefix
    /// included.
    pub sent: usize,
    /// That frame's size with its prefix (`len + 4`); 0 when idle.
    pub total: usize,
}

/// Sends `len` bytes from `buf` as one frame (uds_send_frame's wire
/// format) with the `nfds` descriptors in `fds` (0..UDS_MAX_FDS; `fds`
/// may be NULL when 0) attached to its first byte, on a non-blocking
/// stream socket, in as many calls as the kernel needs: each call sends
/// what the socket takes (`MSG_DONTWAIT`, also on a blocking socket) and
/// records the progress in `*w`.
///
/// Returns 0 once the whole frame has gone (`*w` is then idle, ready for
/// the next frame), or -1 with errno:
/// - `EAGAIN`: the socket is full; part of the frame may have gone (see
///   `w->sent`). Wait for `POLLOUT`/`EPOLLOUT` and call again with the
///   same `buf`, `len`, `fds`, `nfds`. No byte is sent twice or lost. The
///   descriptors go with the frame's first byte; once `w->sent` > 0 they
///   have gone and are no longer looked at (the caller's copies stay the
///   caller's to close).
/// - `EMSGSIZE` (`len` > UINT32_MAX), `EINVAL` (`w` NULL, `buf` NULL with
///   `len` > 0, `fds` NULL with `nfds` > 0, `nfds` > UDS_MAX_FDS, a frame
///   of another length while one is in progress, or a `*w` no writer
///   could be in), `EBADF` (`sock` or a descriptor not open).
/// - other `sendmsg` errors (`EPIPE`, `ETOOMANYREFS`, ...): if nothing of
///   the frame had gone, `*w` is idle again; otherwise the stream is cut
///   mid-frame and should be closed.
#[no_mangle]
pub extern "C" fn uds_writer_send(
    w: *mut uds_writer,
    sock: c_int,
    buf: *const c_void,
    len: usize,
    fds: *const c_int,
    nfds: usize,
) -> c_int {
    ffi_boundary!("uds_writer_send", {
        let w = out_arg(w, "w")?;
        let sock = fd_arg(sock)?;
        // Before the buffer is made a slice: `len` may not be its real size.
        frame_len(len)?;
        if nfds > MAX_FDS {
            return Err(err!(EINVAL, "nfds {nfds}: one frame carries at most {MAX_FDS} (SCM_MAX_FD)"));
        }
        let data = bytes_arg(buf, len, "buf")?;
        let fds = fds_arg(fds, nfds, "fds")?;
        let mut writer = Writer::resume(w.sent, w.total)?;
        let r = writer.send(sock, data, fds);
        let (sent, total) = writer.progress();
        *w = uds_writer { sent, total };
        Ok(r.map(|()| 0)?)
    })
}
