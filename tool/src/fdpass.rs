//! `send-fd` and `recv-fd`: file descriptors from one process to another.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::process::Command;

use udsock::fds::{recv_fds, send_fds, FdBuf, MAX_FDS};
use udsock::socket;

use crate::cli::SockType;
use crate::{io_fail, sys, Fail};

/// `udsock send-fd ADDR FILE...` or `udsock send-fd ADDR --fd N...`.
pub fn send(addr: &[u8], ty: SockType, files: &[PathBuf], fds: &[i32]) -> Result<(), Fail> {
    let count = files.len() + fds.len();
    if count > MAX_FDS {
        return Err(Fail(format!("{count} descriptors: one message carries at most {MAX_FDS}")));
    }
    // Everything is opened before connecting: a missing file sends nothing.
    let mut owned: Vec<OwnedFd> = Vec::with_capacity(count);
    for f in files {
        let file = File::open(f).map_err(|e| io_fail(format_args!("open {}", f.display()), e))?;
        owned.push(file.into());
    }
    for &n in fds {
        owned.push(sys::adopt(n).map_err(|e| io_fail(format_args!("--fd {n}"), e))?);
    }
    let conn = socket::dial(addr, ty.raw())?;
    let borrowed: Vec<BorrowedFd<'_>> = owned.iter().map(|f| f.as_fd()).collect();
    send_fds(conn.as_fd(), b"", &borrowed)?;
    // Wait until the receiver has taken them and closed: a receiver that
    // never reads would otherwise lose the descriptors silently.
    if ty != SockType::Dgram {
        let mut one = [0u8; 1];
        let _ = udsock::io::recv(conn.as_fd(), &mut one, 0);
    }
    Ok(())
}

/// `udsock recv-fd ADDR -- CMD...`.
pub fn recv(addr: &[u8], ty: SockType, mode: i32, cmd: &[OsString]) -> Result<(), Fail> {
    let server = crate::Server::open(addr, ty, mode, 0)?;
    let got = crate::notify::ready().and_then(|()| receive(server.fd(), ty));
    server.close()?;
    let fds = got?;
    let mut command = Command::new(&cmd[0]);
    command.args(&cmd[1..]);
    let map = fds.into_iter().enumerate().map(|(i, fd)| (fd, if i == 0 { 0 } else { 2 + i as i32 })).collect();
    sys::map_fds(&mut command, map);
    let e = sys::exec(&mut command);
    Err(io_fail(format_args!("run {}", cmd[0].to_string_lossy()), e))
}

fn receive(server: BorrowedFd<'_>, ty: SockType) -> Result<Vec<OwnedFd>, Fail> {
    let mut slots = [0; MAX_FDS];
    let mut fds = FdBuf::new(&mut slots);
    let mut data = [0u8; 256];
    let conn;
    let from = if ty == SockType::Dgram {
        server
    } else {
        conn = socket::accept(server, 0)?;
        conn.as_fd()
    };
    let n = recv_fds(from, &mut data, &mut fds)?;
    if fds.is_empty() {
        let what = if n == 0 { "closed the connection" } else { "sent data" };
        return Err(Fail(format!("the client {what} without any descriptors")));
    }
    Ok(fds.into_owned().collect())
}
