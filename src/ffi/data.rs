//! Data: send, receive, datagrams.

use std::ffi::{c_char, c_int, c_void};

use super::addr::uds_addr;
use super::{bytes_arg, bytes_mut_arg, fd_arg, ffi_boundary, str_arg};

use udsock::io;


/// One `send(2)` of up to `len` bytes; `flags` are passed on
/// (`MSG_DONTWAIT`, `MSG_EOR`, …) with `MSG_NOSIGNAL` added, so a closed
/// peer gives `EPIPE`, never `SIGPIPE`.
///
/// Returns the bytes sent (possibly fewer than `len` on a stream), or -1
/// with errno: `EPIPE`, `EAGAIN`, `EINTR`, `EMSGSIZE`, `ENOTCONN`, `EBADF`,
/// `EINVAL` (`buf` NULL with `len > 0`).
#[no_mangle]
pub extern "C" fn uds_send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> libc::ssize_t {
    ffi_boundary!("uds_send", {
        let fd = fd_arg(fd)?;
        Ok(io::send(fd, bytes_arg(buf, len, "buf")?, flags)? as libc::ssize_t)
    })
}

/// One `recv(2)` of up to `len` bytes; `flags` are passed on.
///
/// Returns the bytes received, 0 at end of stream, or -1 with errno:
/// `EAGAIN`, `EINTR`, `ENOTCONN`, `EBADF`, `EINVAL`. Ancillary data (fds)
/// sent with the bytes is discarded by the kernel: use `uds_recv_fds`.
#[no_mangle]
pub extern "C" fn uds_recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> libc::ssize_t {
    ffi_boundary!("uds_recv", {
        let fd = fd_arg(fd)?;
        // C's recv(2): with MSG_TRUNC, a longer datagram's whole length.
        Ok(io::recv_trunc(fd, bytes_mut_arg(buf, len, "buf")?, flags)?.1 as libc::ssize_t)
    })
}

/// Sends all `len` bytes, however many `send` calls it takes.
///
/// A signal before the first byte gives -1/`EINTR`; after it, sending goes
/// on. A non-blocking stream socket never waits and never sends part of
/// the buffer: it fails with `EAGAIN`, having sent nothing, until the send
/// buffer has room for all of it, and with `EMSGSIZE` when it may need
/// more than three quarters of `SO_SNDBUF` (see `uds_send_frame`, whose
/// rules these are). Returns 0 when everything was sent, or -1 with errno:
/// `EPIPE` (the peer has gone), `EAGAIN`, `EMSGSIZE`, `EINTR`, `ENOTCONN`,
/// `EBADF`, `EINVAL` (`buf` NULL with `len > 0`).
#[no_mangle]
pub extern "C" fn uds_send_all(fd: c_int, buf: *const c_void, len: usize) -> c_int {
    ffi_boundary!("uds_send_all", {
        let fd = fd_arg(fd)?;
        io::send_all(fd, bytes_arg(buf, len, "buf")?)?;
        Ok(0)
    })
}

/// Receives exactly `len` bytes.
///
/// Made for streams. On a socket that keeps message boundaries
/// (`SOCK_SEQPACKET`, `SOCK_DGRAM`) it receives one message, which must be
/// exactly `len` bytes long: a longer one (whose rest the kernel drops) or
/// a shorter one (which would be merged with the next) is consumed and
/// fails with `EMSGSIZE`; never is a message silently cut or merged.
///
/// Returns `len`; 0 at a clean end of stream before the first byte (or an
/// empty message); or -1 with errno: `ECONNRESET` when the stream ended
/// part-way (the bytes that arrived are in `buf`), `EMSGSIZE` (above),
/// `EINTR` (a signal before the first byte; after it, receiving goes on),
/// `EAGAIN`, `EBADF`, `EINVAL`.
///
/// A non-blocking stream socket never waits: unless all `len` bytes are
/// queued (`SIOCINQ`), or the peer has hung up, the call fails with
/// `EAGAIN` having consumed nothing. The kernel queues no more than the
/// sender's `SO_SNDBUF` allows, each write costing its bytes and up to a
/// few KiB of overhead (about 1 KiB for a write of a few bytes), so a
/// length larger than that, or one the sender writes in many small
/// pieces, never becomes available to a non-blocking call: read such
/// lengths blocking. See `uds_recv_frame` for level-triggered poll loops.
#[no_mangle]
pub extern "C" fn uds_recv_exact(fd: c_int, buf: *mut c_void, len: usize) -> libc::ssize_t {
    ffi_boundary!("uds_recv_exact", {
        let fd = fd_arg(fd)?;
        Ok(io::recv_exact(fd, bytes_mut_arg(buf, len, "buf")?)? as libc::ssize_t)
    })
}

/// The number of bytes waiting to be read (`SIOCINQ`): on a stream, all
/// unread bytes; on a datagram socket, the size of the next datagram.
///
/// Returns the count, or -1 with errno: `EINVAL` (a listening socket),
/// `EBADF`, `ENOTSOCK` (not a socket: a file or a pipe is not asked).
#[no_mangle]
pub extern "C" fn uds_pending(fd: c_int) -> c_int {
    ffi_boundary!("uds_pending", { Ok(io::pending(fd_arg(fd)?)? as c_int) })
}

/// Sends one datagram of `len` bytes to `addr`: `"/path"` (any length, as
/// `uds_bind`) or `"@name"`.
///
/// Returns the bytes sent, or -1 with errno: `ECONNREFUSED` (nobody bound
/// there), `ENOENT`, `EAGAIN` (the receiver's queue is full, non-blocking),
/// `EMSGSIZE`, `EINVAL`, `ENAMETOOLONG`, `EBADF`.
#[no_mangle]
pub extern "C" fn uds_sendto(fd: c_int, buf: *const c_void, len: usize, addr: *const c_char) -> libc::ssize_t {
    ffi_boundary!("uds_sendto", {
        let fd = fd_arg(fd)?;
        let buf = bytes_arg(buf, len, "buf")?;
        Ok(io::sendto(fd, buf, str_arg(addr, "addr")?)? as libc::ssize_t)
    })
}

/// Receives one datagram of up to `len` bytes (the rest of a longer one is
/// discarded) and, if `from` is not NULL, stores the sender's address there
/// (`UDS_ADDR_UNNAMED` for an unbound sender). A sender bound to a path
/// longer than `sun_path` shows as the `/proc/self/fd/N/<name>` alias it
/// was bound through, the only name the kernel has for it; that alias
/// means nothing outside the sender's process, so such a sender should
/// say where it is in its data.
///
/// Returns the bytes received, or -1 with errno: `EAGAIN`, `EINTR`,
/// `EBADF`, `EINVAL`.
#[no_mangle]
pub extern "C" fn uds_recvfrom(fd: c_int, buf: *mut c_void, len: usize, from: *mut uds_addr) -> libc::ssize_t {
    ffi_boundary!("uds_recvfrom", {
        let fd = fd_arg(fd)?;
        let buf = bytes_mut_arg(buf, len, "buf")?;
        let (n, addr) = io::recvfrom(fd, buf)?;
        if !from.is_null() {
            // SAFETY: a non-NULL `from` is a valid uds_addr the caller owns.
            unsafe { &mut *from }.set(&addr);
        }
        Ok(n as libc::ssize_t)
    })
}

