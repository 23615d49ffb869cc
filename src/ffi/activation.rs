//! Socket activation (sd_listen_fds(3) without libsystemd).

use std::ffi::{c_char, c_int};

use super::{ffi_boundary, str_arg};
use udsock::activation;

/// The first fd a service manager passes (`SD_LISTEN_FDS_START`).
#[allow(dead_code)] // for the C header
pub const UDS_LISTEN_FDS_START: i32 = 3;

/// The number of sockets a service manager (systemd,
/// `systemd-socket-activate`, …) passed to this process, as fds
/// `UDS_LISTEN_FDS_START` .. `UDS_LISTEN_FDS_START + n - 1`.
///
/// Same contract as sd_listen_fds(3): `LISTEN_PID` must be this process
/// (otherwise, or without the variables, the result is 0), the fds are made
/// close-on-exec, and with `unset_environment` non-zero `LISTEN_PID`,
/// `LISTEN_FDS` and `LISTEN_FDNAMES` are removed from the environment (not
/// thread-safe, as with sd_listen_fds). The variables are read once, at the
/// first call of this function or `uds_listen_fd_by_name`; later calls
/// return the same count. `LISTEN_PID` is compared with getpid() at every
/// call: a child forked after the first call is told 0, as sd_listen_fds
/// tells it (and never waits for a first call that was running in its
/// parent's other threads when it was forked).
///
/// The numbers are read as libsystemd reads them (strtol with base 0:
/// leading whitespace, a sign, `0x` hexadecimal or `0` octal, nothing
/// after the digits).
///
/// Returns the count (0 or more), or -1 with errno: `EINVAL` (malformed
/// `LISTEN_PID` or `LISTEN_FDS`, or a `LISTEN_FDS` of 0 or less for this
/// process; as with sd_listen_fds, `LISTEN_FDNAMES` is not looked at),
/// `ERANGE` (a number too large, or a `LISTEN_PID` of 0 or less), `EBADF`
/// (a listed fd is not open).
#[no_mangle]
pub extern "C" fn uds_listen_fds(unset_environment: c_int) -> c_int {
    ffi_boundary!("uds_listen_fds", {
        let r = activation::listen_fds();
        if unset_environment != 0 {
            // The C contract (sd_listen_fds's): removed whether or not
            // they were valid. Through std, under its environment lock.
            activation::LISTEN_VARIABLES.iter().for_each(|n| std::env::remove_var(n));
        }
        Ok(r?)
    })
}

/// The passed fd that `LISTEN_FDNAMES` names `name` (as
/// sd_listen_fds_with_names(3); fds without names are called "unknown";
/// of two fds with one name, the first). The variable is read as libsystemd
/// reads it: names are separated by `:`, empty ones count, and a backslash
/// takes the next byte as it is (`a\:b` is the one name `a:b`).
/// Works after `uds_listen_fds(1)` unset the variables.
///
/// Returns the fd, or -1 with errno: `ENOENT` (no fd has that name, or none
/// were passed), `EINVAL` (`name` NULL, malformed variables, a
/// `LISTEN_FDNAMES` without exactly one name per fd, or ending in a lone
/// backslash).
#[no_mangle]
pub extern "C" fn uds_listen_fd_by_name(name: *const c_char) -> c_int {
    ffi_boundary!("uds_listen_fd_by_name", { Ok(activation::listen_fd_by_name(str_arg(name, "name")?)?) })
}
