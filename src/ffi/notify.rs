//! Telling the service manager (sd_notify(3) without libsystemd).

use std::ffi::{c_char, c_int};

use super::{fds_arg, ffi_boundary, opt_out_arg, slice_arg, str_arg};
use udsock::notify;

/// The C calls' `unset_environment`: removes the variables through std,
/// under its environment lock. Sound against readers that go through
/// `std::env` in other threads; a C thread calling getenv(3) at the same
/// moment is not protected (no C program is: sd_notify(3) documents the
/// same). The Rust library has no such call.
fn unset_env(names: &[&str]) {
    names.iter().for_each(|n| std::env::remove_var(n));
}

/// Sends `state` to the service manager, as sd_notify(3): newline-separated
/// assignments such as `"READY=1\nSTATUS=serving"`, `"WATCHDOG=1"`,
/// `"RELOADING=1"`, `"STOPPING=1"`, as one datagram to the socket that
/// `$NOTIFY_SOCKET` names: `"/path"` (of any length: a path longer than
/// `sun_path` is reached through its directory) or `"@name"` (abstract).
/// The datagram is byte for byte what libsystemd's sd_notify sends (the
/// state without its terminating NUL), from a new close-on-exec socket that
/// is closed before the call returns. `NOTIFY_SOCKET` is read at every call.
///
/// With `unset_environment` non-zero, `NOTIFY_SOCKET` is removed from the
/// environment before the call returns, whatever the result (so that
/// children do not inherit it). As with sd_notify, that is not safe while
/// another thread may read the environment.
///
/// Returns 1 when the datagram was sent, 0 when `NOTIFY_SOCKET` is not set,
/// or -1 with errno:
/// - `EINVAL`: `state` NULL or empty (where libsystemd sends an empty
///   datagram), or a `NOTIFY_SOCKET` that is neither an absolute path nor
///   `@name` with at least one byte after the `/` or `@`;
/// - `EAFNOSUPPORT`: an `AF_VSOCK` address (`"vsock:CID:PORT"`,
///   `"vsock-stream:..."`, `"vsock-dgram:..."`, `"vsock-seqpacket:..."`), which
///   this library does not speak;
/// - `ENAMETOOLONG`: a path longer than `PATH_MAX`, an abstract name longer
///   than 107 bytes, or (without /proc) a path longer than 107 bytes;
/// - what reaching the socket reports: `ENOENT`, `ENOTDIR`, `EACCES`
///   (the path, or its directory for a long one), `ECONNREFUSED` (nothing
///   bound there), `EPROTOTYPE` (not a datagram socket), `EMSGSIZE` (a
///   state larger than the send buffer; the buffer is raised to 8 MiB
///   first where allowed, as libsystemd does), `EAGAIN` (the manager's
///   queue is full), `EINTR` (a signal arrived while the send waited for
///   room: nothing was sent), `ENOBUFS`, `ENOMEM`, `EMFILE`/`ENFILE` (no
///   descriptor for the socket).
#[no_mangle]
pub extern "C" fn uds_notify(unset_environment: c_int, state: *const c_char) -> c_int {
    ffi_boundary!("uds_notify", {
        let r = str_arg(state, "state").and_then(|state| Ok(notify::notify(state)?));
        if unset_environment != 0 {
            unset_env(&[notify::NOTIFY_SOCKET]);
        }
        r.map(c_int::from)
    })
}

/// `uds_notify` with `nfds` descriptors (0 to `UDS_MAX_FDS`) in the same
/// datagram (one `SCM_RIGHTS` block), as
/// `sd_pid_notify_with_fds(0, unset_environment, state, fds, nfds)`: for
/// instance `"FDSTORE=1\nFDNAME=conn"` with the descriptors the service
/// manager should keep for the next start. The service manager receives
/// new descriptors for the same open files; the caller's stay open and
/// remain the caller's.
///
/// As with libsystemd, the descriptors are looked at only when the message
/// is sent: with `NOTIFY_SOCKET` unset the call returns 0 whatever they
/// are, and a malformed `NOTIFY_SOCKET` is reported before a bad
/// descriptor.
///
/// Returns 1, 0 or -1 with errno as `uds_notify`, and also: `EINVAL`
/// (`fds` NULL with `nfds` > 0, or `nfds` over `UDS_MAX_FDS`), `EBADF` (an
/// entry of `fds` is negative or not an open descriptor; uds_last_error()
/// names the entry), `ETOOMANYREFS` (too many descriptors in flight).
#[no_mangle]
pub extern "C" fn uds_notify_fds(unset_environment: c_int, state: *const c_char, fds: *const c_int, nfds: usize) -> c_int {
    ffi_boundary!("uds_notify_fds", {
        let r = str_arg(state, "state").and_then(|state| {
            slice_arg(fds, nfds, "fds")?;
            notify::notify_lazy(state, nfds, || fds_arg(fds, nfds, "fds"))
        });
        if unset_environment != 0 {
            unset_env(&[notify::NOTIFY_SOCKET]);
        }
        r.map(c_int::from)
    })
}

/// Whether the service manager expects keep-alive pings (`"WATCHDOG=1"`
/// through `uds_notify`), as sd_watchdog_enabled(3): 1 when `WATCHDOG_USEC`
/// is set and `WATCHDOG_PID` is unset or this process's pid, with `*usec`
/// set to the interval in microseconds (ping at about half of it); 0 when
/// not (no `WATCHDOG_USEC`, or it is meant for another process). `usec` may
/// be NULL; it is written only when 1 is returned. The variables are read
/// at every call.
///
/// The numbers are read as libsystemd reads them: leading spaces, tabs,
/// newlines or carriage returns, then what strtoull(3) with base 0 accepts
/// (a sign, decimal, `0x` hexadecimal, `0` octal) or a `0b` (binary) or
/// `0o` (octal) prefix, and nothing after the digits. A `WATCHDOG_PID` is
/// such a number from 1 to `INT_MAX`.
///
/// With `unset_environment` non-zero, `WATCHDOG_USEC` and `WATCHDOG_PID`
/// are removed from the environment before the call returns, whatever the
/// result (not safe while another thread may read the environment).
///
/// Returns 1, 0, or -1 with errno (the error sd_watchdog_enabled returns
/// negated):
/// - `EINVAL`: a variable that is not a number (empty, trailing bytes,
///   `"0x"`, a digit outside its base), or `WATCHDOG_USEC` 0 or
///   18446744073709551615 (libsystemd's "unset" and "infinity");
/// - `ERANGE`: a number that overflows 64 bits, a negative one (other
///   than 0), or a `WATCHDOG_PID` of 0 or beyond `INT_MAX`.
#[no_mangle]
pub extern "C" fn uds_watchdog_enabled(unset_environment: c_int, usec: *mut u64) -> c_int {
    ffi_boundary!("uds_watchdog_enabled", {
        let r = notify::watchdog_enabled();
        if unset_environment != 0 {
            unset_env(&[notify::WATCHDOG_USEC, notify::WATCHDOG_PID]);
        }
        Ok(match r? {
            Some(d) => {
                if let Some(out) = opt_out_arg(usec) {
                    *out = d.as_micros() as u64;
                }
                1
            }
            None => 0,
        })
    })
}
