//! `udsock`: the library's calls from the shell. See `udsock --help` and
//! udsock(1); every subcommand is one module.

mod activate;
mod cli;
mod fdpass;
mod notify;
mod peer;
mod relay;
mod sys;

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Why a command failed: one line, printed after `udsock: `.
#[derive(Debug)]
pub struct Fail(pub String);

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever an error text or a file name holds.
        f.write_str(&self.0.replace('\n', "\\n"))
    }
}

impl From<udsock::Error> for Fail {
    fn from(e: udsock::Error) -> Fail {
        Fail(e.to_string())
    }
}

/// An I/O error with what was being done: `open /x: No such file or directory`.
pub fn io_fail(what: impl fmt::Display, e: std::io::Error) -> Fail {
    let text = e.to_string();
    // std appends " (os error N)": the library's texts do not.
    let text = text.rsplit_once(" (os error").map_or(text.as_str(), |(t, _)| t);
    Fail(format!("{what}: {text}"))
}

/// A usage error found after parsing (clap's format and exit status 2).
pub fn usage(kind: clap::error::ErrorKind, msg: impl fmt::Display) -> ! {
    use clap::CommandFactory;
    Cli::command().error(kind, msg).exit()
}

/// An address or name shown in a message.
pub fn shown(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The bytes of an OS string (addresses are bytes, not text).
pub fn bytes(s: &OsStr) -> &[u8] {
    s.as_bytes()
}

fn run(cli: Cli) -> Result<(), Fail> {
    match cli.command {
        Command::Listen { ty, mode, replace_stale, keep, addr } => {
            relay::listen(bytes(&addr), ty, mode.unwrap_or(-1), replace_stale, keep)
        }
        Command::Connect { ty, addr } => relay::connect(bytes(&addr), ty),
        Command::SendFd { ty, addr, files, fd } => fdpass::send(bytes(&addr), ty, &files, &fd),
        Command::RecvFd { ty, mode, addr, cmd } => fdpass::recv(bytes(&addr), ty, mode.unwrap_or(-1), &cmd),
        Command::Peer { json, ty, addr } => peer::run(bytes(&addr), ty, json),
        Command::Activate { listen, accept, cmd } => activate::run(&listen, accept, &cmd),
        Command::Activated { name, cmd } => activate::activated(&name, &cmd),
        Command::Notify { fd, assignments } => notify::run(&fd, &assignments),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("udsock: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The prefix of an ADDR that names a socket passed by a service manager.
const PASSED: &[u8] = b"listen-fd:";

/// The listening socket of `listen`, `recv-fd` and `peer`: bound now at
/// ADDR, or `listen-fd:NAME`, the one a service manager passed under NAME
/// (sd_listen_fds(3); NAME "unknown" when it gave no names).
pub struct Server {
    fd: std::os::fd::OwnedFd,
    bound: bool,
}

impl Server {
    /// Binds (or takes) the socket.
    pub fn open(addr: &[u8], ty: cli::SockType, mode: i32, flags: u32) -> Result<Server, Fail> {
        let Some(name) = addr.strip_prefix(PASSED) else {
            return Ok(Server { fd: udsock::socket::listener(addr, ty.raw(), 0, mode, flags)?, bound: true });
        };
        udsock::activation::listen_fds()?;
        // Not for the programs this one starts. Still one thread here, so
        // no other reads the environment meanwhile.
        udsock::activation::LISTEN_VARIABLES.iter().for_each(|n| std::env::remove_var(n));
        let n = udsock::activation::listen_fd_by_name(name)?;
        let fd = sys::adopt(n).map_err(|e| io_fail(format_args!("passed fd {n}"), e))?;
        Ok(Server { fd, bound: false })
    }

    /// The socket.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Closes it, removing the socket file this process bound.
    pub fn close(self) -> Result<(), Fail> {
        if self.bound {
            udsock::socket::close(self.fd)?;
        }
        Ok(())
    }
}
