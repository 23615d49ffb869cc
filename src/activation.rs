//! Socket activation: the sd_listen_fds(3) protocol without libsystemd.
//!
//! A service manager (systemd, `systemd-socket-activate`, s6, …) passes
//! listening sockets as fds 3, 4, … and describes them in `LISTEN_PID`,
//! `LISTEN_FDS` and `LISTEN_FDNAMES`. The variables are read once, at the
//! first call, so names stay available after the environment is unset.
//!
//! ```
//! // Not started by a service manager: no sockets.
//! assert_eq!(udsock::activation::listen_fds(false).unwrap(), 0);
//! ```

use std::ffi::OsString;
use std::sync::OnceLock;

use crate::error::{err, Result, Shown};
use crate::sys::{self, EINVAL, ENOENT};

/// The first fd a service manager passes.
pub const LISTEN_FDS_START: i32 = 3;

struct Passed {
    /// How many fds were passed to this process (0 if none, or for another pid).
    count: i32,
    /// Their names, from LISTEN_FDNAMES ("unknown" where none was given),
    /// or why LISTEN_FDNAMES cannot be used. As in sd_listen_fds, a bad
    /// LISTEN_FDNAMES fails only the lookups by name, never the count.
    names: std::result::Result<Vec<Vec<u8>>, String>,
}

static PASSED: OnceLock<std::result::Result<Passed, (i32, String)>> = OnceLock::new();

fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

fn read_environment() -> std::result::Result<Passed, (i32, String)> {
    use std::os::unix::ffi::OsStrExt;
    let none = Passed { count: 0, names: Ok(Vec::new()) };
    let Some(pid) = var("LISTEN_PID") else { return Ok(none) };
    let pid: i32 = pid
        .to_str()
        .and_then(|s| s.parse().ok())
        .filter(|&p| p > 0)
        .ok_or_else(|| (EINVAL, format!("LISTEN_PID={} is not a pid", Shown(pid.as_bytes()))))?;
    if pid != sys::getpid() {
        return Ok(none);
    }
    let Some(fds) = var("LISTEN_FDS") else { return Ok(none) };
    let count: i32 = fds
        .to_str()
        .and_then(|s| s.parse().ok())
        .filter(|&n: &i32| n >= 0 && n <= i32::MAX - LISTEN_FDS_START)
        .ok_or_else(|| (EINVAL, format!("LISTEN_FDS={} is not a count", Shown(fds.as_bytes()))))?;
    let names = match var("LISTEN_FDNAMES") {
        Some(v) => {
            let names: Vec<Vec<u8>> = v.as_bytes().split(|&b| b == b':').map(<[u8]>::to_vec).collect();
            if names.len() == count as usize {
                Ok(names)
            } else {
                Err(format!("LISTEN_FDNAMES has {} names for LISTEN_FDS={count}", names.len()))
            }
        }
        None => Ok(vec![b"unknown".to_vec(); count as usize]),
    };
    for fd in LISTEN_FDS_START..LISTEN_FDS_START + count {
        sys::set_cloexec(fd).map_err(|e| (e, format!("fd {fd} from LISTEN_FDS={count} is not open")))?;
    }
    Ok(Passed { count, names })
}

fn passed() -> Result<&'static Passed> {
    PASSED
        .get_or_init(read_environment)
        .as_ref()
        .map_err(|(errno, text)| err!(*errno, "{text}"))
}

fn unset() {
    sys::unsetenv(c"LISTEN_PID");
    sys::unsetenv(c"LISTEN_FDS");
    sys::unsetenv(c"LISTEN_FDNAMES");
}

/// How many sockets the service manager passed (fds 3 .. 3+n), marking them
/// close-on-exec; 0 when none were passed to this process. With
/// `unset_environment`, removes the three variables (as sd_listen_fds does,
/// whether or not they were valid).
pub fn listen_fds(unset_environment: bool) -> Result<i32> {
    let r = passed().map(|p| p.count);
    if unset_environment {
        unset();
    }
    r
}

/// The fd passed under `name` (LISTEN_FDNAMES); `ENOENT` if none is.
pub fn listen_fd_by_name(name: &[u8]) -> Result<i32> {
    let p = passed()?;
    let names = p.names.as_ref().map_err(|text| err!(EINVAL, "{text}"))?;
    names
        .iter()
        .position(|n| n == name)
        .map(|i| LISTEN_FDS_START + i as i32)
        .ok_or_else(|| err!(ENOENT, "no fd named {} was passed ({} passed)", Shown(name), p.count))
}

