//! `notify`: sd_notify(3) from the shell, and the readiness the serving
//! commands report the same way.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use crate::{io_fail, sys, Fail};

/// Sends `state` (newline-separated assignments) with `fds` to the service
/// manager's socket ($NOTIFY_SOCKET), through the library's sd_notify.
/// `Ok(false)` when it is unset.
fn send(state: &[u8], fds: &[BorrowedFd<'_>]) -> Result<bool, Fail> {
    Ok(udsock::notify::notify_with_fds(state, fds)?)
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
