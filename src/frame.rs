//! Frames: length-prefixed messages on a stream.

use std::ffi::{c_int, c_void};

use super::{bytes_arg, bytes_mut_arg, fd_arg, ffi_boundary, out_arg};
use crate::error::err;
use udsock::frame::{self, Frame};
use libc::EMSGSIZE;

/// Sends `len` bytes as one frame: a 4-byte native-endian unsigned length,
/// then the bytes, in one `sendmsg` with two iovecs. This is exactly what
/// the Advanced Linux Programming socket-client writes.
///
/// On a non-blocking stream socket (`SOCK_NONBLOCK`, or `O_NONBLOCK` set
/// with fcntl) the call never waits and never sends part of a frame: it
/// checks the room left in the send buffer (`SIOCOUTQ` against
/// `SO_SNDBUF`, counting the kernel's overhead of up to 8.5 KiB per 36 KiB
/// piece) and fails with `EAGAIN`, having sent nothing, until all of the
/// frame fits. A frame that may need more than three quarters of
/// `SO_SNDBUF` (about 100 KiB of a default 212992) can never be promised
/// whole and fails with `EMSGSIZE`, nothing sent: raise `SO_SNDBUF` or
/// send it on a blocking socket. Whenever poll reports the socket
/// writable (three quarters of its buffer free), a frame that is not
/// refused with `EMSGSIZE` goes. Should the kernel still take only part
/// (it does not under this accounting), the rest is sent waiting, as on a
/// blocking socket, rather than leaving half a frame behind.
///
/// Returns 0, or -1 with errno: `EMSGSIZE` (`len` > UINT32_MAX; or a
/// non-blocking socket that cannot take the frame whole, above), `EAGAIN`
/// (non-blocking, no room for all of it yet; nothing sent), `EPIPE`,
/// `EINTR` (before anything was sent; after, sending goes on), `EBADF`,
/// `EINVAL`.
#[no_mangle]
pub extern "C" fn uds_send_frame(fd: c_int, buf: *const c_void, len: usize) -> c_int {
    ffi_boundary!("uds_send_frame", {
        let fd = fd_arg(fd)?;
        // Before the buffer is made a slice: `len` may not be its real size.
        super::frame_len(len)?;
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
/// `*len_out` is its size; nothing of that size is allocated; on a socket
/// that keeps message boundaries, the message holding it is consumed),
/// `ECONNRESET` when the stream ends inside a frame, `EPROTOTYPE` when
/// `fd` keeps message boundaries (`SOCK_SEQPACKET`, `SOCK_DGRAM`) and a
/// message is not exactly one frame: reported wherever a
/// message would cut or merge a frame, and for an empty message or the
/// end, which read alike there; the message is consumed (a message that
/// holds exactly one frame, as `uds_send_frame` sends on such a socket,
/// is that frame), `EINTR` (before any byte of the frame), `EAGAIN`
/// (non-blocking: no whole frame queued yet; nothing consumed), `EBADF`,
/// `EINVAL` (`len_out` NULL).
///
/// Descriptors sent with the frame's bytes are closed (the kernel drops
/// them, since no control buffer is offered): `uds_recv_frame_fds` returns
/// them instead.
///
/// Non-blocking sockets (`SOCK_NONBLOCK`, or `O_NONBLOCK` set with fcntl)
/// never wait inside the call. On a stream the call looks before it reads
/// (the prefix by `MSG_PEEK`, the rest by the queued byte count,
/// `SIOCINQ`) and takes the frame only once all of it is queued;
/// otherwise it fails with `EAGAIN` having consumed nothing, and a later
/// call gets the whole frame. Once the peer has hung up it reads what
/// there is without waiting (`ECONNRESET` inside a frame). Two limits
/// follow, since the kernel queues no more than the sender's send buffer
/// allows (`SO_SNDBUF`, 212992 bytes by default, in which each write also
/// costs up to a few KiB of bookkeeping, about 1 KiB for a write of a few
/// bytes): a frame larger than that, or sent in so many small writes that
/// their overhead fills it, never becomes available to a non-blocking
/// call, which then fails with `EAGAIN` every time; and while part of a
/// frame is queued the socket polls readable though the call fails, so a
/// level-triggered poll loop spins until the rest arrives: wait with
/// edge-triggered epoll (`EPOLLET`), or read such frames blocking. On a
/// non-blocking `SOCK_SEQPACKET` socket a prefix sent as a message of its
/// own, whose body's message has not arrived, is consumed and reported as
/// a cut frame (`EPROTOTYPE`): the call never waits for it.
///
/// Every call starts with a peek (`MSG_PEEK`) at what is queued: a frame
/// that has wholly arrived and fits 252 bytes then costs one more system
/// call. The peek assumes `SO_PEEK_OFF` is off, as it is by default: do
/// not set it on a socket read with frames.
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
