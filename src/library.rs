//! Library: errors and version.

use std::ffi::c_char;

/// Major version of the header (the shared library's SONAME is
/// `libudsock.so.<major>`; it changes only on an ABI break).
#[allow(dead_code)] // for the C header
pub const UDS_VERSION_MAJOR: u32 = 0;
/// Minor version of the header: new functions and flags.
#[allow(dead_code)] // for the C header
pub const UDS_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
#[allow(dead_code)] // for the C header
pub const UDS_VERSION_PATCH: u32 = 0;

/// The calling thread's last error: one line naming the function, the cause
/// and the offending value, e.g.
/// `uds_connect: connect fd 3 to "/run/x.sock": Connection refused`.
///
/// Every failing `uds_*` call sets it along with `errno`; successful calls
/// leave it alone. Returns `""` when this thread has had no error. The
/// string belongs to the library and stays valid until this thread's next
/// failing call; copy it to keep it. Never NULL, never allocates.
#[no_mangle]
pub extern "C" fn uds_last_error() -> *const c_char {
    super::last_error_ptr()
}

/// The library's version, `"MAJOR.MINOR.PATCH"`, the same as `udsock.pc`'s
/// `Version:` and the `UDS_VERSION_*` macros of the header it was built with.
/// A static string; never NULL.
#[no_mangle]
pub extern "C" fn uds_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_macros_match_cargo_toml() {
        let v = format!("{UDS_VERSION_MAJOR}.{UDS_VERSION_MINOR}.{UDS_VERSION_PATCH}");
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        // SAFETY: uds_version returns a static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(uds_version()) };
        assert_eq!(s.to_str().unwrap(), v);
    }
}
