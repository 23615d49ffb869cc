//! `notify`: sd_notify(3) from the shell, and the readiness the serving
//! commands report the same way.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use udsock::addr::Address;
use udsock::msg::{sendmsg, Message};
use udsock::socket;

use crate::{io_fail, shown, sys, Fail};

/// Sends `state` (newline-separated assignments) with `fds` to the service
/// manager's socket, as sd_pid_notify_with_fds does: one datagram to
/// $NOTIFY_SOCKET (`/path` or `@name`). `Ok(false)` when it is unset.
fn send(state: &[u8], fds: &[BorrowedFd<'_>]) -> Result<bool, Fail> {
    let Some(addr) = std::env::var_os("NOTIFY_SOCKET") else { return Ok(false) };
    let addr = addr.as_bytes();
    if !(addr.starts_with(b"/") || addr.starts_with(b"@")) || addr.len() < 2 {
        return Err(Fail(format!("NOTIFY_SOCKET={}: expected /path or @name", shown(addr))));
    }
    let fd = socket::socket(libc::SOCK_DGRAM)?;
    let m = Message { data: state, fds, to: Some(Address::parse(addr)), ..Message::default() };
    sendmsg(fd.as_fd(), &m, 0).map_err(|e| Fail(format!("notify {}: {}", shown(addr), e.message())))?;
    Ok(true)
}

/// Tells a service manager that is waiting for it (Type=notify) that the
/// socket is listening: READY=1 when $NOTIFY_SOCKET is set.
pub fn ready() -> Result<(), Fail> {
    send(b"READY=1", &[]).map(|_| ())
}

/// `udsock notify [--fd N]... ASSIGNMENT...`.
pub fn run(fds: &[i32], assignments: &[String]) -> Result<(), Fail> {
    let mut owned: Vec<OwnedFd> = Vec::with_capacity(fds.len());
    for &n in fds {
        owned.push(sys::adopt(n).map_err(|e| io_fail(format_args!("--fd {n}"), e))?);
    }
    let borrowed: Vec<BorrowedFd<'_>> = owned.iter().map(|f| f.as_fd()).collect();
    let state = assignments.join("\n");
    if send(state.as_bytes(), &borrowed)? {
        Ok(())
    } else {
        Err(Fail("NOTIFY_SOCKET is not set: no service manager is listening for notifications".into()))
    }
}
