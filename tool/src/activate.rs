//! `activate`: systemd socket activation (sd_listen_fds(3)) from the shell.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command};
use std::sync::mpsc::channel;
use std::thread;

use udsock::activation::LISTEN_FDS_START;
use udsock::socket;

use crate::cli::{ListenSpec, SockType};
use crate::{io_fail, sys, usage, Fail};

/// `udsock activate -l SPEC... [--accept] -- CMD...`.
pub fn run(specs: &[ListenSpec], accept: bool, cmd: &[OsString]) -> Result<(), Fail> {
    if accept {
        if let Some(s) = specs.iter().find(|s| s.ty == SockType::Dgram) {
            usage(
                clap::error::ErrorKind::ArgumentConflict,
                format!("--accept: {} is a dgram socket, which has no connections to accept", crate::shown(&s.addr)),
            );
        }
    }
    let mut sockets: Vec<OwnedFd> = Vec::with_capacity(specs.len());
    for s in specs {
        match socket::listener(&s.addr, s.ty.raw(), 0, -1, 0) {
            Ok(fd) => sockets.push(fd),
            Err(e) => {
                // Leave no socket file behind.
                for fd in sockets {
                    let _ = socket::close(fd);
                }
                return Err(e.into());
            }
        }
    }
    if accept {
        return serve(specs, sockets, cmd);
    }
    // Become CMD: the pid stays, so LISTEN_PID is this process's. The
    // socket files stay too, as systemd's do: the service owns them now.
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let mut command = Command::new(&cmd[0]);
    command
        .args(&cmd[1..])
        .env("LISTEN_PID", std::process::id().to_string())
        .env("LISTEN_FDS", sockets.len().to_string())
        .env("LISTEN_FDNAMES", names.join(":"));
    let map = sockets.into_iter().enumerate().map(|(i, fd)| (fd, LISTEN_FDS_START + i as i32)).collect();
    sys::map_fds(&mut command, map);
    let e = sys::exec(&mut command);
    Err(io_fail(format_args!("run {}", cmd[0].to_string_lossy()), e))
}

/// `--accept`: one thread accepts on each socket; every connection runs CMD
/// (through `udsock __activated`, which sets LISTEN_PID to its own pid).
fn serve(specs: &[ListenSpec], sockets: Vec<OwnedFd>, cmd: &[OsString]) -> Result<(), Fail> {
    let me = std::env::current_exe().map_err(|e| io_fail("find udsock's own executable", e))?;
    let (tx, rx) = channel::<Result<Child, Fail>>();
    for (spec, server) in specs.iter().zip(sockets) {
        let tx = tx.clone();
        let (me, name, cmd) = (me.clone(), spec.name.clone(), cmd.to_vec());
        thread::spawn(move || loop {
            let child = socket::accept(server.as_fd(), 0).map_err(Fail::from).and_then(|conn| {
                let mut command = Command::new(&me);
                command.arg("__activated").arg("--name").arg(&name).arg("--").args(&cmd);
                sys::map_fds(&mut command, vec![(conn, LISTEN_FDS_START)]);
                command.spawn().map_err(|e| io_fail(format_args!("run {}", cmd[0].to_string_lossy()), e))
            });
            if tx.send(child).is_err() {
                return;
            }
        });
    }
    drop(tx);
    crate::notify::ready()?;
    // Reap each child as it ends; stop at the first failure to accept or run.
    let r = loop {
        match rx.recv() {
            Ok(Ok(mut child)) => {
                thread::spawn(move || child.wait());
            }
            Ok(Err(e)) => break Err(e),
            Err(_) => break Ok(()),
        }
    };
    // The sockets stay with their threads: remove their files by name.
    for s in specs {
        if s.addr.starts_with(b"/") {
            let _ = socket::unlink_path(&s.addr);
        }
    }
    r
}

/// `udsock __activated --name NAME -- CMD...`: the child of `--accept`,
/// holding the connection at fd 3; becomes CMD with LISTEN_PID its own pid.
pub fn activated(name: &str, cmd: &[OsString]) -> Result<(), Fail> {
    let mut command = Command::new(&cmd[0]);
    command
        .args(&cmd[1..])
        .env("LISTEN_PID", std::process::id().to_string())
        .env("LISTEN_FDS", "1")
        .env("LISTEN_FDNAMES", name);
    let e = sys::exec(&mut command);
    Err(io_fail(format_args!("run {}", cmd[0].to_string_lossy()), e))
}
