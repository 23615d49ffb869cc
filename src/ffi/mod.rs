//! The C ABI: `#[no_mangle] extern "C"` functions named `uds_*`, grouped as
//! the sections of the contract (API.md), and the machinery they share.
//!
//! Every export checks its pointers and lengths, calls the safe core, and
//! runs inside [`ffi_boundary!`]: a failure becomes `-1`, `errno` and the
//! thread's [`uds_last_error`](library::uds_last_error) line; a panic is
//! caught there and reported the same way, so none ever unwinds into C.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::os::fd::BorrowedFd;
use std::mem::size_of;

use crate::error::{err, Error, Result};
use crate::sys::{self, EBADF, EINVAL};

// In the order of the contract's sections, which the header follows.
pub mod addr;
pub mod socket;
pub mod data;
pub mod frame;
pub mod fds;
pub mod msg;
pub mod activation;
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

/// Records `e` as this thread's last error, prefixed with `func`, and sets errno.
pub(crate) fn fail(func: &str, e: &Error) {
    LAST_ERROR.with(|b| {
        let mut b = b.borrow_mut();
        let mut at = 0;
        for part in [func.as_bytes(), b": ", e.message().as_bytes()] {
            let n = part.len().min(LAST_ERROR_CAP - 1 - at);
            b[at..at + n].copy_from_slice(&part[..n]);
            at += n;
        }
        b[at] = 0;
    });
    sys::set_errno(e.errno());
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

/// Turns the body's outcome into the C return value.
pub(crate) fn conclude<T: Failure>(func: &str, r: std::thread::Result<Result<T>>) -> T {
    match r {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            fail(func, &e);
            T::FAILED
        }
        Err(_) => {
            fail(func, &err!(sys::EIO, "internal error (a bug in libudsock, please report it)"));
            T::FAILED
        }
    }
}

/// Runs an export's body (a block evaluating to `Result<T>`) with errors
/// mapped to `-1`/errno/`uds_last_error()` and panics caught.
macro_rules! ffi_boundary {
    ($func:literal, $body:block) => {{
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> $crate::error::Result<_> { $body }));
        $crate::ffi::conclude($func, r)
    }};
}
pub(crate) use ffi_boundary;

/// A descriptor argument: negative is `EBADF`.
pub(crate) fn fd_arg<'a>(fd: c_int) -> Result<BorrowedFd<'a>> {
    if fd < 0 {
        return Err(err!(EBADF, "fd {fd} is not a file descriptor"));
    }
    // SAFETY: the C caller lends the descriptor for the duration of the call;
    // a descriptor that is not open only makes the system call fail (EBADF).
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// A NUL-terminated string argument; NULL is `EINVAL`.
pub(crate) fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        return Err(err!(EINVAL, "{what} is NULL"));
    }
    // SAFETY: the C caller passes a NUL-terminated string, valid during the call.
    Ok(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// A `(pointer, length)` input buffer; NULL is allowed only with length 0.
pub(crate) fn bytes_arg<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8]> {
    slice_arg(p.cast::<u8>(), len, what)
}

/// A `(pointer, capacity)` output buffer; NULL is allowed only with capacity 0.
pub(crate) fn bytes_mut_arg<'a>(p: *mut c_void, len: usize, what: &str) -> Result<&'a mut [u8]> {
    slice_mut_arg(p.cast::<u8>(), len, what)
}

/// Checks an array argument of `n` `T`s: NULL only with `n` 0, and not
/// larger than any object can be. `Ok(false)` for an empty array.
fn check_array<T>(null: bool, n: usize, what: &str, count: &str) -> Result<bool> {
    if n == 0 {
        return Ok(false);
    }
    if null {
        return Err(err!(EINVAL, "{what} is NULL with {count} {n}"));
    }
    if n > isize::MAX as usize / size_of::<T>().max(1) {
        return Err(err!(EINVAL, "{what} {count} {n} is larger than any buffer can be"));
    }
    Ok(true)
}

/// A `(pointer, length)` input array; NULL is allowed only with length 0.
pub(crate) fn slice_arg<'a, T>(p: *const T, n: usize, what: &str) -> Result<&'a [T]> {
    if !check_array::<T>(p.is_null(), n, what, "length")? {
        return Ok(&[]);
    }
    // SAFETY: the C caller guarantees p points to n valid, aligned Ts.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// A `(pointer, capacity)` output array; NULL is allowed only with capacity 0.
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
pub(crate) fn fds_arg<'a>(p: *const c_int, n: usize, what: &str) -> Result<&'a [BorrowedFd<'a>]> {
    let raw = slice_arg(p, n, what)?;
    if let Some(i) = raw.iter().position(|&fd| fd < 0) {
        return Err(err!(EBADF, "{what}[{i}] = {} is not a file descriptor", raw[i]));
    }
    // SAFETY: BorrowedFd is repr(transparent) over a c_int and valid for
    // every value but -1; every entry is >= 0. The C caller lends the
    // descriptors for the duration of the call; one that is not open only
    // makes the system call fail (EBADF).
    Ok(unsafe { &*(raw as *const [c_int] as *const [BorrowedFd<'a>]) })
}

/// A required output pointer; NULL is `EINVAL`.
pub(crate) fn out_arg<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    if p.is_null() {
        return Err(err!(EINVAL, "{what} is NULL"));
    }
    // SAFETY: the C caller passes a valid, aligned, writable T.
    Ok(unsafe { &mut *p })
}

/// A required input pointer; NULL is `EINVAL`.
pub(crate) fn ref_arg<'a, T>(p: *const T, what: &str) -> Result<&'a T> {
    if p.is_null() {
        return Err(err!(EINVAL, "{what} is NULL"));
    }
    // SAFETY: the C caller passes a valid, aligned T.
    Ok(unsafe { &*p })
}
