//! Frames: length-prefixed messages on a stream.

use std::ffi::{c_int, c_void};

use super::{bytes_arg, bytes_mut_arg, fd_arg, ffi_boundary, out_arg};
use crate::error::err;
use crate::frame::{self, Frame};
use crate::sys::EMSGSIZE;

/// Sends `len` bytes as one frame: a 4-byte native-endian unsigned length,
/// then the bytes, in one `sendmsg` with two iovecs. This is exactly what
/// the Advanced Linux Programming socket-client writes.
///
/// Returns 0, or -1 with errno: `EMSGSIZE` (`len` > UINT32_MAX), `EPIPE`,
/// `EINTR` (before anything was sent; after, sending goes on), `EBADF`,
/// `EINVAL`.
#[no_mangle]
pub extern "C" fn uds_send_frame(fd: c_int, buf: *const c_void, len: usize) -> c_int {
    ffi_boundary!("uds_send_frame", {
        let fd = fd_arg(fd)?;
        // Before the buffer is made a slice: `len` may not be its real size.
        frame::frame_len(len)?;
        frame::send_frame(fd, bytes_arg(buf, len, "buf")?)?;
        Ok(0)
    })
}

/// Receives one frame into `buf` (capacity `cap`) and stores its length in
/// `*len_out`.
///
/// Returns 1 when a frame is in `buf`; 0 at a clean end of stream between
/// frames; or -1 with errno: `EMSGSIZE` when the frame is larger than
/// `cap` (it is read and dropped, so the stream stays in step, and
/// `*len_out` is its size; nothing of that size is allocated),
/// `ECONNRESET` when the stream ends inside a frame, `EPROTOTYPE` when
/// `fd` keeps message boundaries (`SOCK_SEQPACKET`, `SOCK_DGRAM`: frames
/// need a stream; reported wherever a message would cut or merge a frame,
/// and for an empty message or the end, which read alike there; the
/// message is consumed), `EINTR` (before any byte of the frame), `EAGAIN`,
/// `EBADF`, `EINVAL` (`len_out` NULL).
#[no_mangle]
pub extern "C" fn uds_recv_frame(fd: c_int, buf: *mut c_void, cap: usize, len_out: *mut usize) -> c_int {
    ffi_boundary!("uds_recv_frame", {
        let fd = fd_arg(fd)?;
        let len_out = out_arg(len_out, "len_out")?;
        let buf = bytes_mut_arg(buf, cap, "buf")?;
        match frame::recv_frame(fd, buf)? {
            Frame::Data(n) => {
                *len_out = n;
                Ok(1)
            }
            Frame::Eof => {
                *len_out = 0;
                Ok(0)
            }
            Frame::TooLarge(n) => {
                *len_out = n;
                Err(err!(EMSGSIZE, "frame of {n} bytes is larger than the buffer ({cap}); dropped"))
            }
        }
    })
}
