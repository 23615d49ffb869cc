//! The C ABI: `#[no_mangle] extern "C"` functions named `uds_*`, grouped as
//! the sections of the contract (API.md), and the machinery they share.
//!
//! Every export checks its pointers and lengths, calls the safe core, and
//! runs inside [`ffi_boundary!`]: a failure becomes `-1`, `errno` and the
//! thread's [`uds_last_error`](library::uds_last_error) line; a panic is
//! caught there and reported the same way, so none ever unwinds into C.
//!
//! This is the C library crate (libudsock.so/.a), built on the public API
//! of the Rust library `udsock` only; Rust programs use that crate.

// The exports take C's raw pointers by contract (checked for NULL, then
// trusted as the header documents): not `unsafe fn`s to C callers.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::cell::RefCell;
use std::fmt::Write as _;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::os::fd::BorrowedFd;
use std::mem::size_of;

use libc::{EBADF, EINVAL, EIO};

use crate::error::{err, Error, Result};

mod error;
#[cfg(test)]
mod alloc_tests;
#[cfg(test)]
mod corpus_tests;
// In the order of the contract's sections, which the header follows.
pub mod addr;
pub mod socket;
pub mod data;
pub mod frame;
pub mod fds;
pub mod msg;
pub mod activation;
pub mod frame_fds;
pub mod sender;
pub mod notify;
pub mod reader;
pub mod library;

/// Size of the thread-local error line, terminator included.
const LAST_ERROR_CAP: usize = 320;

thread_local! {
    static LAST_ERROR: RefCell<[u8; LAST_ERROR_CAP]> = const { RefCell::new([0; LAST_ERROR_CAP]) };
}

/// A pointer to this thread's last error line (valid until the thread's
/// next failing call, or its exit).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|b| b.borrow().as_ptr().cast())
}

/// Writes into a fixed buffer, silently dropping what does not fit (on a
/// character boundary): the error line's writer, which never allocates.
struct LineWriter<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl std::fmt::Write for LineWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let mut n = s.len().min(self.buf.len() - self.at);
        while n > 0 && !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.at..self.at + n].copy_from_slice(&s.as_bytes()[..n]);
        self.at += n;
        Ok(())
    }
}

/// Records `e` as this thread's last error, prefixed with `func`, and sets errno.
#[cold]
#[inline(never)]
pub(crate) fn fail(func: &str, e: &Error) {
    LAST_ERROR.with(|b| {
        let mut b = b.borrow_mut();
        let mut line = LineWriter { buf: &mut b[..LAST_ERROR_CAP - 1], at: 0 };
        let _ = write!(line, "{func}: {e}");
        let at = line.at;
        b[at] = 0;
    });
    set_errno(e.errno());
}

#[cfg(test)]
/// This thread's errno.
pub(crate) fn errno() -> c_int {
    // SAFETY: __errno_location returns this thread's errno, valid for its lifetime.
    unsafe { *libc::__errno_location() }
}

/// Sets this thread's errno.
pub(crate) fn set_errno(e: c_int) {
    // SAFETY: as in errno(): a valid, writable location of this thread.
    unsafe { *libc::__errno_location() = e };
}

/// Records a panic caught at the boundary as an `EIO` failure.
#[cold]
#[inline(never)]
pub(crate) fn fail_panicked(func: &str) {
    fail(func, &err!(EIO, "internal error (a bug in libudsock, please report it)"));
}

/// What a C function returns on failure.
pub(crate) trait Failure {
    const FAILED: Self;
}

impl Failure for c_int {
    const FAILED: c_int = -1;
}

impl Failure for libc::ssize_t {
    const FAILED: libc::ssize_t = -1;
}

/// Turns the body's outcome into the C return value, inside the
/// `catch_unwind` closure: a success is the value itself, and a failure is
/// recorded (errno and the error line) out of line, so that only the small
/// `T`, never the large [`Error`], crosses `catch_unwind`.
#[inline(always)]
pub(crate) fn conclude<T: Failure>(func: &str, r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            fail(func, &e);
            T::FAILED
        }
    }
}

/// Runs an export's body (a block evaluating to `Result<T>`) with errors
/// mapped to `-1`/errno/`uds_last_error()` and panics caught.
macro_rules! ffi_boundary {
    ($func:literal, $body:block) => {{
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            #[allow(clippy::redundant_closure_call)]
            let r = (|| -> $crate::error::Result<_> { $body })();
            $crate::conclude($func, r)
        }));
        match r {
            Ok(v) => v,
            Err(_) => {
                $crate::fail_panicked($func);
                $crate::Failure::FAILED
            }
        }
    }};
}
pub(crate) use ffi_boundary;

/// The length prefix for a frame of `len` bytes, checked before the buffer
/// is made a slice (`len` may not be its real size); over `u32::MAX`:
/// `EMSGSIZE`.
#[inline]
pub(crate) fn frame_len(len: usize) -> Result<u32> {
    u32::try_from(len)
        .map_err(|_| err!(libc::EMSGSIZE, "frame of {len} bytes: the length prefix holds at most 4294967295"))
}

/// A descriptor count for the simple sends: 1 to `UDS_MAX_FDS`.
#[inline]
pub(crate) fn check_count(n: usize) -> Result<()> {
    use udsock::fds::MAX_FDS;
    if n == 0 {
        return Err(err!(EINVAL, "no descriptors to send: nfds is 0 (1..{MAX_FDS})"));
    }
    if n > MAX_FDS {
        return Err(err!(EINVAL, "{n} descriptors: one message carries at most {MAX_FDS} (SCM_MAX_FD)"));
    }
    Ok(())
}

/// The error for a NULL pointer argument.
#[cold]
#[inline(never)]
fn null_error(what: &str) -> Error {
    err!(EINVAL, "{what} is NULL")
}

/// A descriptor argument: negative is `EBADF`.
#[inline]
pub(crate) fn fd_arg<'a>(fd: c_int) -> Result<BorrowedFd<'a>> {
    #[cold]
    #[inline(never)]
    fn bad(fd: c_int) -> Error {
        err!(EBADF, "fd {fd} is not a file descriptor")
    }
    if fd < 0 {
        return Err(bad(fd));
    }
    // SAFETY: the C caller lends the descriptor for the duration of the call;
    // a descriptor that is not open only makes the system call fail (EBADF).
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// A NUL-terminated string argument; NULL is `EINVAL`.
#[inline]
pub(crate) fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        return Err(null_error(what));
    }
    // SAFETY: the C caller passes a NUL-terminated string, valid during the call.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// A `(pointer, length)` input buffer; NULL is allowed only with length 0.
#[inline]
pub(crate) fn bytes_arg<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8]> {
    slice_arg(p.cast::<u8>(), len, what)
}

/// A `(pointer, capacity)` output buffer; NULL is allowed only with capacity 0.
#[inline]
pub(crate) fn bytes_mut_arg<'a>(p: *mut c_void, len: usize, what: &str) -> Result<&'a mut [u8]> {
    slice_mut_arg(p.cast::<u8>(), len, what)
}

/// Why an array argument was refused: NULL with `n` > 0, or larger than
/// any object can be.
#[cold]
#[inline(never)]
fn array_error(null: bool, n: usize, what: &str, count: &str) -> Error {
    if null {
        err!(EINVAL, "{what} is NULL with {count} {n}")
    } else {
        err!(EINVAL, "{what} {count} {n} is larger than any buffer can be")
    }
}

/// Checks an array argument of `n` `T`s: NULL only with `n` 0, and not
/// larger than any object can be. `Ok(false)` for an empty array.
#[inline]
fn check_array<T>(null: bool, n: usize, what: &str, count: &str) -> Result<bool> {
    if n == 0 {
        return Ok(false);
    }
    if null || n > isize::MAX as usize / size_of::<T>().max(1) {
        return Err(array_error(null, n, what, count));
    }
    Ok(true)
}

/// A `(pointer, length)` input array; NULL is allowed only with length 0.
#[inline]
pub(crate) fn slice_arg<'a, T>(p: *const T, n: usize, what: &str) -> Result<&'a [T]> {
    if !check_array::<T>(p.is_null(), n, what, "length")? {
        return Ok(&[]);
    }
    // SAFETY: the C caller guarantees p points to n valid, aligned Ts.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// A `(pointer, capacity)` output array; NULL is allowed only with capacity 0.
#[inline]
pub(crate) fn slice_mut_arg<'a, T>(p: *mut T, n: usize, what: &str) -> Result<&'a mut [T]> {
    if !check_array::<T>(p.is_null(), n, what, "capacity")? {
        return Ok(&mut []);
    }
    // SAFETY: the C caller guarantees p points to n writable, aligned Ts
    // that nothing else uses during the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
}

/// An array of `n` descriptors to pass: NULL only with `n` 0; a negative
/// entry is `EBADF`. The caller has bounded `n`.
#[inline]
pub(crate) fn fds_arg<'a>(p: *const c_int, n: usize, what: &str) -> Result<&'a [BorrowedFd<'a>]> {
    #[cold]
    #[inline(never)]
    fn bad(what: &str, i: usize, fd: c_int) -> Error {
        err!(EBADF, "{what}[{i}] = {fd} is not a file descriptor")
    }
    let raw = slice_arg(p, n, what)?;
    // One pass that vectorises: any negative entry makes the OR negative.
    if raw.iter().fold(0, |acc, &fd| acc | fd) < 0 {
        let i = raw.iter().position(|&fd| fd < 0).unwrap_or(0);
        return Err(bad(what, i, raw[i]));
    }
    // SAFETY: BorrowedFd is repr(transparent) over a c_int and valid for
    // every value but -1; every entry is >= 0. The C caller lends the
    // descriptors for the duration of the call; one that is not open only
    // makes the system call fail (EBADF).
    Ok(unsafe { &*(raw as *const [c_int] as *const [BorrowedFd<'a>]) })
}

/// A required output pointer; NULL is `EINVAL`.
#[inline]
pub(crate) fn out_arg<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    if p.is_null() {
        return Err(null_error(what));
    }
    // SAFETY: the C caller passes a valid, aligned, writable T.
    Ok(unsafe { &mut *p })
}

/// An optional output pointer: `None` for NULL.
#[inline]
pub(crate) fn opt_out_arg<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: the C caller passes NULL or a valid, aligned, writable T.
    unsafe { p.as_mut() }
}

/// A required input pointer; NULL is `EINVAL`.
#[inline]
pub(crate) fn ref_arg<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    if p.is_null() {
        return Err(null_error(what));
    }
    // SAFETY: the C caller passes a valid, aligned T.
    Ok(unsafe { &*p })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    fn last_error() -> String {
        // SAFETY: the line is NUL-terminated and lives as long as the thread.
        unsafe { CStr::from_ptr(last_error_ptr()) }.to_string_lossy().into_owned()
    }

    #[test]
    fn success_failure_and_panic_at_the_boundary() {
        let ok: c_int = ffi_boundary!("uds_test", { Ok(7) });
        assert_eq!(ok, 7);
        let failed: libc::ssize_t = ffi_boundary!("uds_test", { Err(err!(EINVAL, "bad {}", 1)) });
        assert_eq!((failed, errno()), (-1, EINVAL));
        assert_eq!(last_error(), "uds_test: bad 1");
        let bad: c_int = ffi_boundary!("uds_test", {
            let fd = fd_arg(-3)?;
            Ok(fd.as_raw_fd())
        });
        assert_eq!((bad, errno()), (-1, EBADF));
        assert_eq!(last_error(), "uds_test: fd -3 is not a file descriptor");
        let panicked: c_int = ffi_boundary!("uds_test", {
            if ok == 7 {
                panic!("test panic");
            }
            Ok(0)
        });
        assert_eq!((panicked, errno()), (-1, EIO));
        assert!(last_error().starts_with("uds_test: internal error"));
    }
}

/// The header's constants are literals (cbindgen writes them as they are
/// spelled); these assertions tie each to the value the library uses, so
/// that the two cannot drift apart without the build failing.
mod tied {
    use super::*;
    use udsock::addr::AddrKind;

    /// `s` as a decimal number, at compile time (a version component).
    const fn number(s: &str) -> u32 {
        let b = s.as_bytes();
        let (mut n, mut i) = (0u32, 0);
        while i < b.len() {
            n = n * 10 + (b[i] - b'0') as u32;
            i += 1;
        }
        n
    }

    const _: () = assert!(fds::UDS_MAX_FDS as usize == udsock::fds::MAX_FDS);
    const _: () = assert!(msg::UDS_MSG_TRUNC == udsock::msg::TRUNC);
    const _: () = assert!(msg::UDS_MSG_CTRUNC == udsock::msg::CTRUNC);
    const _: () = assert!(msg::UDS_MSG_CRED == udsock::msg::CRED);
    const _: () = assert!(sender::UDS_MSG_PIDFD & (udsock::msg::TRUNC | udsock::msg::CTRUNC | udsock::msg::CRED) == 0);
    const _: () = assert!(socket::UDS_REPLACE_STALE == udsock::socket::REPLACE_STALE);
    const _: () = assert!(activation::UDS_LISTEN_FDS_START == udsock::activation::LISTEN_FDS_START);
    const _: () = assert!(addr::UDS_ADDR_UNNAMED == AddrKind::Unnamed as u32);
    const _: () = assert!(addr::UDS_ADDR_PATHNAME == AddrKind::Pathname as u32);
    const _: () = assert!(addr::UDS_ADDR_ABSTRACT == AddrKind::Abstract as u32);
    const _: () = assert!(library::UDS_VERSION_MAJOR == number(env!("CARGO_PKG_VERSION_MAJOR")));
    const _: () = assert!(library::UDS_VERSION_MINOR == number(env!("CARGO_PKG_VERSION_MINOR")));
    const _: () = assert!(library::UDS_VERSION_PATCH == number(env!("CARGO_PKG_VERSION_PATCH")));
}
