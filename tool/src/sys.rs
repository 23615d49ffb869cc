//! The tool's only unsafe code: adopting a descriptor this process
//! inherited, and laying descriptors out at fixed numbers for a program
//! about to be executed. Everything else goes through the library or std.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Takes ownership of descriptor `fd`, which this process inherited (the
/// user named it, as in `--fd 3 3<file`): `EBADF` if it is not open.
pub fn adopt(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_GETFD only reads the descriptor's flags; any int is
    // accepted (a closed one is EBADF).
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return Err(io::Error::last_os_error());
    }
    if fd <= 2 {
        // stdin/stdout/stderr stay owned by std: pass a duplicate.
        // SAFETY: F_DUPFD_CLOEXEC on an open fd returns a new fd we own.
        let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
        if new < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `new` was just created by this process and is owned by nobody else.
        return Ok(unsafe { OwnedFd::from_raw_fd(new) });
    }
    // SAFETY: `fd` is open (checked above) and was inherited: no object in
    // this process owns it; the command line hands it to us, once.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Arranges for `cmd`, when it is spawned or executed, to find each
/// `(fd, target)` of `map` at descriptor `target`, without close-on-exec.
/// The targets may collide with the sources: every source is first copied
/// above all targets, then copied down.
pub fn map_fds(cmd: &mut Command, map: Vec<(OwnedFd, RawFd)>) {
    let top = map.iter().map(|&(_, t)| t).max().unwrap_or(0) + 1;
    let raw: Vec<(RawFd, RawFd)> = map.iter().map(|(fd, t)| (fd.as_raw_fd(), *t)).collect();
    // SAFETY: the closure runs in the child between fork and exec and only
    // makes async-signal-safe system calls (fcntl, dup2) on descriptors the
    // child inherited; it allocates nothing (`raw` is moved in, read only).
    unsafe {
        cmd.pre_exec(move || {
            let _keep = &map; // the sources stay open until exec
            let mut high = [0 as RawFd; 256];
            if raw.len() > high.len() {
                return Err(io::Error::from_raw_os_error(libc::EMFILE));
            }
            for (i, &(src, _)) in raw.iter().enumerate() {
                let h = libc::fcntl(src, libc::F_DUPFD_CLOEXEC, top);
                if h < 0 {
                    return Err(io::Error::last_os_error());
                }
                high[i] = h;
            }
            for (i, &(_, target)) in raw.iter().enumerate() {
                // dup2 leaves close-on-exec off on the new descriptor.
                if libc::dup2(high[i], target) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Replaces this process by `cmd`; returns only on failure.
pub fn exec(cmd: &mut Command) -> io::Error {
    cmd.exec()
}
