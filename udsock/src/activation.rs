//! Socket activation: the sd_listen_fds(3) protocol without libsystemd.
//!
//! A service manager (systemd, `systemd-socket-activate`, s6, …) passes
//! listening sockets as fds 3, 4, … and describes them in `LISTEN_PID`,
//! `LISTEN_FDS` and `LISTEN_FDNAMES`. The variables are read once, at the
//! first call, so names stay available after the environment is unset;
//! `LISTEN_PID` is compared with `getpid()` at every call, so a forked child
//! is told that nothing was passed to it, as `sd_listen_fds` tells it.
//!
//! ```
//! // Not started by a service manager: no sockets.
//! assert_eq!(udsock::activation::listen_fds().unwrap(), 0);
//! ```

use std::ffi::OsString;

use crate::error::{err, Result, Shown};
use crate::sys::{self, EINVAL, ENOENT, ERANGE};

/// The first fd a service manager passes.
pub const LISTEN_FDS_START: i32 = 3;

struct Passed {
    /// The process they were passed to (`LISTEN_PID`), 0 if none.
    pid: i32,
    /// How many fds were passed to it.
    count: i32,
    /// Their names, from LISTEN_FDNAMES (`None` without it: each is then
    /// "unknown"), or why LISTEN_FDNAMES cannot be used. As in
    /// sd_listen_fds, a bad LISTEN_FDNAMES fails only the lookups by name,
    /// never the count.
    names: std::result::Result<Option<Vec<Vec<u8>>>, String>,
}

/// What the first call read, or why it cannot be used.
/// A failure carries the pid it concerns (0 when `LISTEN_PID` itself is
/// bad), so that a forked child is not told its parent's failure.
type Reading = std::result::Result<Passed, Failed>;

struct Failed {
    pid: i32,
    errno: i32,
    text: String,
}

/// The first call's reading, published once. Threads that race to make
/// the first call each read the environment and the first to finish
/// publishes: nobody waits for anybody, so a fork in the middle of a read
/// leaves the child nothing to wait for.
static PASSED: sys::PublishOnce<Reading> = sys::PublishOnce::new();

fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// A number as libsystemd reads these variables (`safe_atoi`, `parse_pid`:
/// strtol with base 0): leading whitespace, an optional sign, then decimal,
/// `0x` hexadecimal or `0` octal digits, and nothing after them.
/// `EINVAL` when it is not a number, `ERANGE` when it overflows an i64.
fn strtol_number(s: &[u8]) -> std::result::Result<i64, i32> {
    let s = &s[s.iter().take_while(|b| b" \t\n\x0b\x0c\r".contains(b)).count()..];
    let (negative, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = match s {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => (16, rest),
        [b'0', rest @ ..] if !rest.is_empty() => (8, rest),
        _ => (10, s),
    };
    if digits.is_empty() {
        return Err(EINVAL);
    }
    let mut n: i64 = 0;
    for &b in digits {
        let d = (b as char).to_digit(radix).ok_or(EINVAL)?;
        n = n.checked_mul(i64::from(radix)).and_then(|n| n.checked_add(i64::from(d))).ok_or(ERANGE)?;
    }
    Ok(if negative { -n } else { n })
}

/// LISTEN_FDNAMES split as libsystemd splits it: on ':', every name kept
/// (empty ones too), a backslash taking the next byte literally (so `a\:b`
/// is one name, `a:b`). `None` when it ends in a lone backslash.
fn split_names(v: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut names = vec![Vec::new()];
    let mut bytes = v.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => names.last_mut()?.push(*bytes.next()?),
            b':' => names.push(Vec::new()),
            _ => names.last_mut()?.push(b),
        }
    }
    Some(names)
}

fn read_environment() -> Reading {
    use std::os::unix::ffi::OsStrExt;
    let none = Passed { pid: 0, count: 0, names: Ok(None) };
    let Some(pid) = var("LISTEN_PID") else { return Ok(none) };
    // As parse_pid: a pid is 1 ..= the largest pid_t, else ERANGE.
    let pid = strtol_number(pid.as_bytes())
        .and_then(|p| i32::try_from(p).ok().filter(|&p| p > 0).ok_or(ERANGE))
        .map_err(|errno| Failed { pid: 0, errno, text: format!("LISTEN_PID={} is not a pid", Shown(pid.as_bytes())) })?;
    if pid != sys::getpid() {
        return Ok(none);
    }
    let none = Passed { pid, ..none };
    let Some(fds) = var("LISTEN_FDS") else { return Ok(none) };
    // As sd_listen_fds: an int (ERANGE beyond), and 1 or more: a service
    // manager that passes nothing does not set the variable.
    let count = strtol_number(fds.as_bytes())
        .and_then(|n| i32::try_from(n).map_err(|_| ERANGE))
        .and_then(|n| if n > 0 && n <= i32::MAX - LISTEN_FDS_START { Ok(n) } else { Err(EINVAL) })
        .map_err(|errno| Failed { pid, errno, text: format!("LISTEN_FDS={} is not a count of 1 or more", Shown(fds.as_bytes())) })?;
    // Before anything is sized by the count: it stops at the first fd that
    // is not open, so a huge LISTEN_FDS costs no more than the open fds.
    for fd in LISTEN_FDS_START..LISTEN_FDS_START + count {
        sys::set_cloexec(fd).map_err(|errno| Failed { pid, errno, text: format!("fd {fd} from LISTEN_FDS={count} is not open") })?;
    }
    let names = match var("LISTEN_FDNAMES") {
        Some(v) => match split_names(v.as_bytes()) {
            Some(names) if names.len() == count as usize => Ok(Some(names)),
            Some(names) => Err(format!("LISTEN_FDNAMES has {} names for LISTEN_FDS={count}", names.len())),
            None => Err("LISTEN_FDNAMES ends in a backslash that escapes nothing".to_string()),
        },
        None => Ok(None),
    };
    Ok(Passed { pid, count, names })
}

/// What was passed to this process: nothing when `LISTEN_PID` named
/// another one (this process is a child forked after the first call).
fn passed() -> Result<Option<&'static Passed>> {
    let me = sys::getpid();
    match PASSED.get_or_publish(read_environment) {
        Ok(p) => Ok((p.count > 0 && p.pid == me).then_some(p)),
        Err(f) if f.pid == 0 || f.pid == me => Err(err!(f.errno, "{}", f.text)),
        Err(_) => Ok(None),
    }
}

/// The variables [`listen_fds`] reads, which sd_listen_fds(3) with
/// `unset_environment` removes. This library never changes the
/// environment (`std::env::remove_var` is not sound while other threads
/// read it, which is why Rust 2024 made it `unsafe`); a program that must
/// hide them from its children removes them itself, or better, clears
/// them on the `Command` it spawns (`env_remove`).
pub const LISTEN_VARIABLES: [&str; 3] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/// How many sockets the service manager passed (fds 3 .. 3+n), marking them
/// close-on-exec; 0 when none were passed to this process. The environment
/// is left as it is (see [`LISTEN_VARIABLES`]); the names stay available
/// to [`listen_fd_by_name`] either way.
pub fn listen_fds() -> Result<i32> {
    passed().map(|p| p.map_or(0, |p| p.count))
}

/// The fd passed under `name` (LISTEN_FDNAMES); `ENOENT` if none is.
pub fn listen_fd_by_name(name: &[u8]) -> Result<i32> {
    let Some(p) = passed()? else {
        return Err(err!(ENOENT, "no fd named {} was passed (none were passed to this process)", Shown(name)));
    };
    let found = match p.names.as_ref().map_err(|text| err!(EINVAL, "{text}"))? {
        Some(names) => names.iter().position(|n| n == name),
        None => (name == b"unknown" && p.count > 0).then_some(0),
    };
    found
        .map(|i| LISTEN_FDS_START + i as i32)
        .ok_or_else(|| err!(ENOENT, "no fd named {} was passed ({} passed)", Shown(name), p.count))
}

