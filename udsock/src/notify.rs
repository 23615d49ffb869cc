//! Telling the service manager: sd_notify(3) and sd_watchdog_enabled(3)
//! without libsystemd.
//!
//! A service started by systemd (`Type=notify`, `WatchdogSec=`, the file
//! descriptor store) reports its state as one datagram of newline-separated
//! assignments (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `FDSTORE=1` with
//! descriptors) sent to the socket `$NOTIFY_SOCKET` names: an absolute path
//! (of any length here: a path longer than `sun_path` is reached through its
//! directory, as everywhere in this library) or `@name` in the abstract
//! namespace. The datagram is byte for byte what libsystemd's `sd_notify`
//! sends (the state without a terminator, the descriptors in one
//! `SCM_RIGHTS` block), from a new close-on-exec socket that is closed
//! before the call returns.
//!
//! The environment is only read here, through [`mod@std::env`], so these calls
//! are as thread-safe as reading the environment is. The C calls' option to
//! unset the variables has no counterpart in this API: removing an
//! environment variable while other threads may read it is the caller's
//! decision, through [`std::env::remove_var`] and its rules.
//!
//! ```
//! use udsock::notify;
//! # let dir = std::env::temp_dir().join(format!("udsock-notify-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! // A service manager's end: a datagram socket.
//! let path = dir.join("notify.sock");
//! let manager = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
//!
//! // The service: as if started with NOTIFY_SOCKET=<path>.
//! use std::os::unix::ffi::OsStrExt;
//! notify::notify_socket(path.as_os_str().as_bytes(), b"READY=1\nSTATUS=serving", &[]).unwrap();
//!
//! let mut buf = [0u8; 64];
//! let n = manager.recv(&mut buf).unwrap();
//! assert_eq!(&buf[..n], b"READY=1\nSTATUS=serving");
//!
//! // Without NOTIFY_SOCKET in the environment, nothing is sent.
//! if std::env::var_os(notify::NOTIFY_SOCKET).is_none() {
//!     assert_eq!(notify::notify(b"READY=1").unwrap(), false);
//! }
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use crate::addr::Address;
use crate::cred::Cred;
use crate::error::{err, sys_err, Error, Result, Shown};
use crate::fds::MAX_FDS;
use crate::msg::{self, Message};
use crate::sys::{self, EAFNOSUPPORT, EINVAL, ERANGE, SOCK_DGRAM};

/// The variable that names the service manager's socket.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// The watchdog interval in microseconds, set by `WatchdogSec=`.
pub const WATCHDOG_USEC: &str = "WATCHDOG_USEC";
/// The process the watchdog interval is meant for.
pub const WATCHDOG_PID: &str = "WATCHDOG_PID";

/// The send buffer libsystemd asks for (8 MiB), so that a large state
/// fits in one datagram exactly as far as it does with libsystemd.
const SNDBUF: i32 = 8 * 1024 * 1024;

/// Sends `state` (for instance `b"READY=1\nSTATUS=serving"`) to the
/// service manager, as `sd_notify(0, state)`.
///
/// `Ok(true)` when it was sent, `Ok(false)` when `NOTIFY_SOCKET` is not set
/// (the process was not started by a service manager that listens).
/// The variable is read at every call.
///
/// Errors: `EINVAL` (an empty `state`, where libsystemd sends an empty
/// datagram; a `NOTIFY_SOCKET` that is neither an absolute path nor
/// `@name`), `EAFNOSUPPORT` (a `vsock:` address), `ENAMETOOLONG` (a path
/// over `PATH_MAX`, an abstract name over 107 bytes), and what `sendmsg`
/// reports (`ENOENT`, `ECONNREFUSED`, `EPROTOTYPE`, `EMSGSIZE`, …).
pub fn notify(state: &[u8]) -> Result<bool> {
    notify_with_fds(state, &[])
}

/// [`notify`] with descriptors (0 to [`MAX_FDS`]) in the same datagram,
/// as `sd_pid_notify_with_fds(0, 0, state, fds, n)`: for instance
/// `b"FDSTORE=1\nFDNAME=conn"` with the connection to keep. The
/// descriptors stay open here. `EINVAL` for more than [`MAX_FDS`], `EBADF`
/// for one that is not open.
pub fn notify_with_fds(state: &[u8], fds: &[BorrowedFd<'_>]) -> Result<bool> {
    notify_lazy(state, fds.len(), || Ok(fds))
}

/// [`notify_with_fds`] with the descriptors checked only once they are
/// about to be sent, where libsystemd's `sendmsg` would find them bad (the
/// C ABI's negative entries): a missing or malformed `NOTIFY_SOCKET` is
/// reported first, as libsystemd does.
///
/// For a layer with errors of its own (the C library's negative entries),
/// `E` is its error type.
pub fn notify_lazy<'f, E: From<Error>>(
    state: &[u8],
    nfds: usize,
    fds: impl FnOnce() -> std::result::Result<&'f [BorrowedFd<'f>], E>,
) -> std::result::Result<bool, E> {
    check_state(state)?;
    // A copy made under std's environment lock: the one allocation here,
    // which keeps the read sound against another thread's set_var.
    let Some(socket) = std::env::var_os(NOTIFY_SOCKET) else { return Ok(false) };
    send(socket.as_bytes(), state, nfds, fds).map(|()| true)
}

/// Sends `state` and `fds` to the notification socket `socket` (a
/// `NOTIFY_SOCKET` value: `"/path"` or `"@name"`), whatever the
/// environment says: for a program that kept the value after removing the
/// variable. The errors are [`notify_with_fds`]'s.
pub fn notify_socket(socket: &[u8], state: &[u8], fds: &[BorrowedFd<'_>]) -> Result<()> {
    check_state(state)?;
    send(socket, state, fds.len(), || Ok(fds))
}

fn check_state(state: &[u8]) -> Result<()> {
    if state.is_empty() {
        return Err(err!(EINVAL, "state is empty: nothing to tell the service manager"));
    }
    Ok(())
}

/// The AF_VSOCK forms libsystemd (254 and later) accepts.
const VSOCK: [&[u8]; 4] = [b"vsock:", b"vsock-stream:", b"vsock-dgram:", b"vsock-seqpacket:"];

/// A `NOTIFY_SOCKET` value as an address, with libsystemd's rules: an
/// absolute path or `@name`, at least one byte after the `/` or `@`.
fn parse_socket(v: &[u8]) -> Result<Address<'_>> {
    match v.first() {
        Some(b'/' | b'@') if v.len() >= 2 => Ok(Address::parse(v)),
        Some(b'/' | b'@') => Err(err!(EINVAL, "NOTIFY_SOCKET={} names no socket", Shown(v))),
        _ if VSOCK.iter().any(|p| v.starts_with(p)) => Err(err!(
            EAFNOSUPPORT,
            "NOTIFY_SOCKET={} is an AF_VSOCK address; only AF_UNIX ones are supported",
            Shown(v)
        )),
        _ => Err(err!(EINVAL, "NOTIFY_SOCKET={} is neither an absolute path nor @name", Shown(v))),
    }
}

fn send<'f, E: From<Error>>(
    socket: &[u8],
    state: &[u8],
    nfds: usize,
    fds: impl FnOnce() -> std::result::Result<&'f [BorrowedFd<'f>], E>,
) -> std::result::Result<(), E> {
    let within = |e: Error| e.within(format_args!("NOTIFY_SOCKET={}", Shown(socket)));
    let to = parse_socket(socket)?;
    if nfds > MAX_FDS {
        return Err(err!(EINVAL, "{nfds} descriptors: one message carries at most {MAX_FDS} (SCM_MAX_FD)").into());
    }
    let fds = fds()?;
    let sock = sys::socket(SOCK_DGRAM).map_err(|e| sys_err!(e, "socket(AF_UNIX, SOCK_DGRAM)"))?;
    grow_sndbuf(sock.as_fd());
    // A set-uid or set-gid program: libsystemd attaches the real ids
    // explicitly, and sends without them if the kernel refuses.
    let cred = (sys::getuid() != sys::geteuid() || sys::getgid() != sys::getegid()).then(Cred::own);
    let m = Message { data: state, fds, cred, to: Some(to) };
    let sent = match msg::send(sock.as_fd(), &m, 0, "notify") {
        Err(_) if cred.is_some() => msg::send(sock.as_fd(), &Message { cred: None, ..m }, 0, "notify"),
        r => r,
    }
    .map_err(within)?;
    // One datagram goes whole or not at all; libsystemd checks anyway.
    if sent < state.len() {
        return Err(within(err!(sys::EIO, "sent {sent} of {} bytes", state.len())).into());
    }
    Ok(())
}

/// Raises the socket's send buffer to 8 MiB where it is smaller, as
/// libsystemd does (`SO_SNDBUF`, then `SO_SNDBUFFORCE` when privileged):
/// a datagram may be as large as the send buffer allows. Failures are
/// ignored, as there.
fn grow_sndbuf(fd: BorrowedFd<'_>) {
    let enough = || matches!(sys::get_opt(fd, sys::Opt::SendBuffer), Ok(v) if v >= 2 * SNDBUF);
    if enough() || sys::set_opt(fd, sys::Opt::SendBuffer, SNDBUF).is_err() || enough() {
        return;
    }
    let _ = sys::set_opt(fd, sys::Opt::SendBufferForce, SNDBUF);
}

/// The watchdog interval the service manager expects `WATCHDOG=1` within,
/// as `sd_watchdog_enabled(0, &usec)`: `Some` when `WATCHDOG_USEC` is set
/// and `WATCHDOG_PID` is unset or this process's pid, `None` otherwise.
///
/// The numbers are read as libsystemd reads them (see [`watchdog_from`]).
/// Errors: `EINVAL` (not a number, or `WATCHDOG_USEC` 0 or `u64::MAX`,
/// which libsystemd calls unset and infinite) and `ERANGE` (a number that
/// overflows, a negative one, a `WATCHDOG_PID` that is no pid).
pub fn watchdog_enabled() -> Result<Option<Duration>> {
    let Some(usec) = std::env::var_os(WATCHDOG_USEC) else { return Ok(None) };
    let pid = std::env::var_os(WATCHDOG_PID);
    watchdog_from(Some(usec.as_bytes()), pid.as_ref().map(|p| p.as_bytes()))
}

/// [`watchdog_enabled`] for the given values of `WATCHDOG_USEC` and
/// `WATCHDOG_PID` (`None`: unset), compared with this process's pid.
///
/// A number is what libsystemd's `safe_atou64` accepts: leading spaces,
/// tabs, newlines and carriage returns, then what `strtoull` with base 0
/// reads (a sign, decimal, `0x` hexadecimal, `0` octal) or a `0b`/`0o`
/// prefix for binary and octal, with nothing after the digits; a negative
/// number other than 0 is `ERANGE`. A pid is such a number from 1 to
/// `i32::MAX` (`ERANGE` otherwise).
///
/// ```
/// use std::time::Duration;
/// use udsock::notify::watchdog_from;
/// assert_eq!(watchdog_from(Some(b"30000000"), None).unwrap(), Some(Duration::from_secs(30)));
/// assert_eq!(watchdog_from(Some(b"0x10"), None).unwrap(), Some(Duration::from_micros(16)));
/// assert_eq!(watchdog_from(Some(b"5"), Some(b"1")).unwrap(), None); // init's, not ours
/// assert_eq!(watchdog_from(Some(b"0"), None).unwrap_err().errno(), libc::EINVAL);
/// assert_eq!(watchdog_from(None, None).unwrap(), None);
/// ```
pub fn watchdog_from(usec: Option<&[u8]>, pid: Option<&[u8]>) -> Result<Option<Duration>> {
    let Some(usec) = usec else { return Ok(None) };
    let u = parse_u64(usec).map_err(|e| err!(e, "WATCHDOG_USEC={} is not a number of microseconds", Shown(usec)))?;
    if u == 0 || u == u64::MAX {
        return Err(err!(EINVAL, "WATCHDOG_USEC={} is not a finite interval above 0", Shown(usec)));
    }
    if let Some(pid) = pid {
        let p = parse_pid(pid).map_err(|e| err!(e, "WATCHDOG_PID={} is not a pid", Shown(pid)))?;
        if p != sys::getpid() {
            return Ok(None);
        }
    }
    Ok(Some(Duration::from_micros(u)))
}


/// A pid as libsystemd's `parse_pid` reads it: [`parse_u64`], then 1 to
/// `i32::MAX`, else `ERANGE`.
fn parse_pid(s: &[u8]) -> std::result::Result<i32, i32> {
    let n = parse_u64(s)?;
    i32::try_from(n).ok().filter(|&p| p > 0).ok_or(ERANGE)
}

/// A number as libsystemd's `safe_atou64` reads it: `EINVAL` when it is
/// not one, `ERANGE` when it overflows or is negative (but 0).
pub(crate) fn parse_u64(s: &[u8]) -> std::result::Result<u64, i32> {
    // systemd skips its own whitespace set (not \v or \f) first…
    let s = &s[s.iter().take_while(|b| b" \t\n\r".contains(b)).count()..];
    // …then reads "0b" and "0o" prefixes itself…
    let (base, s) = match s {
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        _ => (0, s),
    };
    // …and leaves the rest to strtoull, overflow first.
    let (n, rest) = strtoull(s, base)?;
    if rest.len() == s.len() || !rest.is_empty() {
        return Err(EINVAL);
    }
    // strtoull negates a number after '-'; systemd refuses that, but looks
    // only at the first byte (so "\v-5", which strtoull reads as -5, passes).
    if n != 0 && s.first() == Some(&b'-') {
        return Err(ERANGE);
    }
    Ok(n)
}

/// glibc's `strtoull(s, &end, base)` in the C locale, for base 0, 2 or 8:
/// the value and what follows the number (all of `s` when there is none),
/// or `ERANGE` when it overflows.
fn strtoull(s: &[u8], base: u32) -> std::result::Result<(u64, &[u8]), i32> {
    let mut at = s.iter().take_while(|b| b" \t\n\x0b\x0c\r".contains(b)).count();
    let negative = match s.get(at) {
        Some(b'-') => {
            at += 1;
            true
        }
        Some(b'+') => {
            at += 1;
            false
        }
        _ => false,
    };
    let mut base = base;
    if s.get(at) == Some(&b'0') {
        if base == 0 && matches!(s.get(at + 1), Some(b'x' | b'X')) {
            // "0x" without a hex digit after it is the number 0 and "x…".
            if !s.get(at + 2).is_some_and(u8::is_ascii_hexdigit) {
                return Ok((0, &s[at + 1..]));
            }
            at += 2;
            base = 16;
        } else if base == 0 {
            base = 8;
        }
    } else if base == 0 {
        base = 10;
    }
    let digits = s[at..].iter().take_while(|b| (**b as char).is_digit(base)).count();
    if digits == 0 {
        return Ok((0, s));
    }
    let mut n: u64 = 0;
    let mut overflow = false;
    for &b in &s[at..at + digits] {
        let d = u64::from((b as char).to_digit(base).unwrap_or(0));
        match n.checked_mul(u64::from(base)).and_then(|n| n.checked_add(d)) {
            Some(v) => n = v,
            None => overflow = true,
        }
    }
    if overflow {
        return Err(ERANGE);
    }
    Ok((if negative { n.wrapping_neg() } else { n }, &s[at + digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_safe_atou64() {
        let ok = |s: &[u8], v: u64| assert_eq!(parse_u64(s), Ok(v), "{}", Shown(s));
        let bad = |s: &[u8], e: i32| assert_eq!(parse_u64(s), Err(e), "{}", Shown(s));
        ok(b"5", 5);
        ok(b" \t\n\r5", 5);
        ok(b"\x0b5", 5);
        ok(b"+5", 5);
        ok(b"-0", 0);
        ok(b"0x1f", 31);
        ok(b"0X1F", 31);
        ok(b"017", 15);
        ok(b"0o17", 15);
        ok(b"0b101", 5);
        ok(b"0b 1", 1);
        ok(b"0", 0);
        ok(b"18446744073709551615", u64::MAX);
        ok(b"\x0b-5", 5u64.wrapping_neg());
        bad(b"", EINVAL);
        bad(b" ", EINVAL);
        bad(b"-", EINVAL);
        bad(b"- 5", EINVAL);
        bad(b"5 ", EINVAL);
        bad(b"5s", EINVAL);
        bad(b"1.5", EINVAL);
        bad(b"08", EINVAL);
        bad(b"0x", EINVAL);
        bad(b"0xg", EINVAL);
        bad(b"0b", EINVAL);
        bad(b"0b2", EINVAL);
        bad(b"0o8", EINVAL);
        bad(b"abc", EINVAL);
        bad(b"-1", ERANGE);
        bad(b" -1", ERANGE);
        bad(b"0b-1", ERANGE);
        bad(b"-18446744073709551615", ERANGE);
        bad(b"18446744073709551616", ERANGE);
        bad(b"99999999999999999999999x", ERANGE);
    }

    #[test]
    fn pids_as_parse_pid() {
        assert_eq!(parse_pid(b"1"), Ok(1));
        assert_eq!(parse_pid(b"2147483647"), Ok(i32::MAX));
        assert_eq!(parse_pid(b"2147483648"), Err(ERANGE));
        assert_eq!(parse_pid(b"0"), Err(ERANGE));
        assert_eq!(parse_pid(b"-1"), Err(ERANGE));
        assert_eq!(parse_pid(b"x"), Err(EINVAL));
    }

    #[test]
    fn socket_values_as_libsystemd_reads_them() {
        assert_eq!(parse_socket(b"/run/n").unwrap(), Address::Pathname(b"/run/n"));
        assert_eq!(parse_socket(b"@n").unwrap(), Address::Abstract(b"n"));
        for v in [&b""[..], b"/", b"@", b"rel/n", b" /n"] {
            assert_eq!(parse_socket(v).unwrap_err().errno(), EINVAL, "{}", Shown(v));
        }
        for v in [&b"vsock:2:1"[..], b"vsock-dgram:2:1", b"vsock-stream:2:1"] {
            assert_eq!(parse_socket(v).unwrap_err().errno(), EAFNOSUPPORT, "{}", Shown(v));
        }
    }
}
