//! The command line, declared once: `udsock` parses it and `udsock-mangen`
//! writes the manual page from it.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Unix-domain sockets from the shell: relay data, pass file descriptors,
/// show who is on the other end, socket-activate a service, notify a
/// service manager.
///
/// ADDR is `/path` (any length: only its last component must fit in
/// 107 bytes) or `@name` (Linux's abstract namespace). Where a command
/// listens, ADDR may also be `listen-fd:NAME`: the socket a service
/// manager passed under NAME (sd_listen_fds(3); `listen-fd:unknown` when
/// it gave no names), e.g. under systemd-socket-activate.
///
/// listen, recv-fd, peer and activate --accept send READY=1 to
/// $NOTIFY_SOCKET, where it is set, once their socket is listening: they
/// can run as Type=notify services, and scripts can wait for them.
///
/// Exit status: 0 on success, 1 on a failure (one line `udsock: ...` on
/// standard error), 2 on a usage error.
#[derive(Parser, Debug)]
#[command(name = "udsock", version, max_term_width = 100)]
#[command(after_help = "Examples:\n  \
    udsock listen -k /tmp/echo.sock             serve stdin/stdout to one client after another\n  \
    udsock send-fd /tmp/rx.sock /etc/hostname   pass an open file to another process\n  \
    udsock recv-fd /tmp/rx.sock -- cat          ...which reads it without ever opening it\n  \
    udsock peer --json /tmp/who.sock            who connected: pid, uid, groups, label, executable\n  \
    udsock activate -l /tmp/web.sock -l @ctl:dgram=ctl -- ./server")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A socket type.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockType {
    /// A byte stream (SOCK_STREAM).
    Stream,
    /// Connected messages with boundaries (SOCK_SEQPACKET).
    Seqpacket,
    /// Datagrams (SOCK_DGRAM).
    Dgram,
}

impl SockType {
    /// The `socket(2)` type.
    pub fn raw(self) -> i32 {
        match self {
            SockType::Stream => libc::SOCK_STREAM,
            SockType::Seqpacket => libc::SOCK_SEQPACKET,
            SockType::Dgram => libc::SOCK_DGRAM,
        }
    }
}

/// One subcommand.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Listen on ADDR and relay between a client and stdin/stdout.
    ///
    /// Like socat's UNIX-LISTEN with STDIO: stdin goes to the client, what
    /// the client sends goes to stdout. At the end of stdin the sending
    /// side is shut down; the session ends when the client closes. On
    /// seqpacket and dgram sockets each line is one message and each
    /// message received is printed as one line; a dgram listener replies
    /// to the sender of the latest datagram and ends with stdin. The socket
    /// file is removed on exit.
    Listen {
        /// Socket type.
        #[arg(short = 't', long = "type", value_enum, default_value = "stream")]
        ty: SockType,
        /// Permission bits of a pathname socket, in octal (e.g. 600); set
        /// before anyone can connect. Default: what the umask gives.
        #[arg(short = 'm', long = "mode", value_name = "MODE", value_parser = parse_mode)]
        mode: Option<i32>,
        /// Replace a socket file that nobody listens on (a live one is
        /// never replaced).
        #[arg(long)]
        replace_stale: bool,
        /// Keep accepting after a client leaves (dgram: keep receiving
        /// after stdin ends).
        #[arg(short = 'k', long = "keep-open")]
        keep: bool,
        /// The address to listen on.
        addr: OsString,
    },
    /// Connect to ADDR and relay between it and stdin/stdout.
    ///
    /// Like socat's UNIX-CONNECT with STDIO. At the end of stdin the
    /// sending side is shut down and replies are read until the server
    /// closes. On seqpacket and dgram sockets each line is one message and
    /// each message received is printed as one line; dgram ends with stdin.
    Connect {
        /// Socket type.
        #[arg(short = 't', long = "type", value_enum, default_value = "stream")]
        ty: SockType,
        /// The address to connect to.
        addr: OsString,
    },
    /// Send open file descriptors to the process listening on ADDR.
    ///
    /// Opens each FILE read-only and sends all their descriptors in one
    /// message; or, with --fd, sends this process's own descriptors, e.g.
    /// `udsock send-fd ADDR --fd 3 3<file`. The receiver gets the same open
    /// files (same offset, same access mode), whoever it is.
    #[command(name = "send-fd")]
    SendFd {
        /// Socket type.
        #[arg(short = 't', long = "type", value_enum, default_value = "stream")]
        ty: SockType,
        /// The address to send to.
        addr: OsString,
        /// Files to open read-only and send.
        #[arg(value_name = "FILE", required_unless_present = "fd", conflicts_with = "fd")]
        files: Vec<PathBuf>,
        /// Send this process's descriptor N (repeatable, in order).
        #[arg(long = "fd", value_name = "N", num_args = 1.., value_parser = clap::value_parser!(i32).range(0..))]
        fd: Vec<i32>,
    },
    /// Listen on ADDR, receive descriptors from one client, and run CMD
    /// with them.
    ///
    /// The first descriptor becomes CMD's standard input, the others fds
    /// 3, 4, ... in the order they were sent. udsock is replaced by CMD:
    /// its exit status is CMD's.
    #[command(name = "recv-fd")]
    RecvFd {
        /// Socket type.
        #[arg(short = 't', long = "type", value_enum, default_value = "stream")]
        ty: SockType,
        /// Permission bits of a pathname socket, in octal.
        #[arg(short = 'm', long = "mode", value_name = "MODE", value_parser = parse_mode)]
        mode: Option<i32>,
        /// The address to listen on.
        addr: OsString,
        /// The program and its arguments.
        #[arg(last = true, required = true, value_name = "CMD")]
        cmd: Vec<OsString>,
    },
    /// Listen on ADDR, accept one connection and print who the client is.
    ///
    /// Prints the client's pid, uid, gid, supplementary groups, security
    /// label (none where no security module gives one) and executable, all
    /// from the kernel (SO_PEERCRED, SO_PEERGROUPS, SO_PEERSEC,
    /// SO_PEERPIDFD): the executable is read only while the client's pidfd
    /// shows that very process still alive, so a reused pid cannot lie.
    /// Default output: one line of key=value pairs (a value with spaces or
    /// unusual characters is double-quoted with backslash escapes).
    Peer {
        /// Print one JSON object: pid, uid, gid, groups, label, exe (null
        /// where unknown).
        #[arg(long)]
        json: bool,
        /// Socket type.
        #[arg(short = 't', long = "type", value_enum, default_value = "stream")]
        ty: SockType,
        /// The address to listen on.
        addr: OsString,
    },
    /// Create listening sockets and run CMD with them, as a service manager
    /// does (systemd socket activation).
    ///
    /// CMD gets the sockets as fds 3, 4, ... in order, with LISTEN_FDS,
    /// LISTEN_PID and LISTEN_FDNAMES set (sd_listen_fds(3)); udsock is
    /// replaced by CMD. With --accept, udsock accepts connections itself
    /// and runs CMD once per connection, with the connection as fd 3
    /// (inetd style), until it is killed.
    Activate {
        /// A socket to pass: ADDR, optionally `:stream`, `:seqpacket` or
        /// `:dgram` (default stream), optionally `=NAME` for LISTEN_FDNAMES
        /// (default "unknown"). A path containing '=' must end in '=' or
        /// '=NAME'. Repeatable; types may be mixed.
        #[arg(short = 'l', long = "listen", value_name = "ADDR[:TYPE][=NAME]", required = true, value_parser = parse_listen_spec)]
        listen: Vec<ListenSpec>,
        /// Accept each connection and run CMD for it (stream and seqpacket
        /// sockets only).
        #[arg(short = 'a', long)]
        accept: bool,
        /// The program and its arguments.
        #[arg(last = true, required = true, value_name = "CMD")]
        cmd: Vec<OsString>,
    },
    /// Send a notification to the service manager ($NOTIFY_SOCKET), as
    /// sd_notify(3) does.
    ///
    /// Each ASSIGNMENT is one line of the message, e.g. READY=1,
    /// STATUS=text, MAINPID=N, FDSTORE=1 (with --fd). Fails when
    /// NOTIFY_SOCKET is unset.
    Notify {
        /// Pass this process's descriptor N with the message (repeatable),
        /// e.g. for FDSTORE=1.
        #[arg(long = "fd", value_name = "N", value_parser = clap::value_parser!(i32).range(0..))]
        fd: Vec<i32>,
        /// The lines of the message: VARIABLE=value.
        #[arg(required = true, value_name = "ASSIGNMENT", value_parser = parse_assignment)]
        assignments: Vec<String>,
    },
    /// Internal: run by `activate --accept` as the child, to set LISTEN_PID
    /// to its own pid before it becomes CMD.
    #[command(name = "__activated", hide = true)]
    Activated {
        /// The name of the passed connection.
        #[arg(long)]
        name: String,
        /// The program and its arguments.
        #[arg(last = true, required = true)]
        cmd: Vec<OsString>,
    },
}

/// `-l ADDR[:TYPE][=NAME]`.
#[derive(Clone, Debug)]
pub struct ListenSpec {
    /// `/path` or `@name`.
    pub addr: Vec<u8>,
    /// Socket type.
    pub ty: SockType,
    /// Its name in LISTEN_FDNAMES.
    pub name: String,
}

fn parse_mode(s: &str) -> Result<i32, String> {
    i32::from_str_radix(s, 8)
        .ok()
        .filter(|m| (0..=0o7777).contains(m))
        .ok_or_else(|| format!("{s:?} is not permission bits in octal (0 to 7777)"))
}

fn parse_assignment(s: &str) -> Result<String, String> {
    match s.split_once('=') {
        Some((k, _)) if !k.is_empty() && !s.contains('\n') => Ok(s.to_string()),
        _ => Err(format!("{s:?} is not VARIABLE=value on one line")),
    }
}

/// A name as systemd accepts it in LISTEN_FDNAMES: 1 to 255 printable
/// ASCII characters, no ':'.
fn valid_fdname(n: &str) -> bool {
    !n.is_empty() && n.len() <= 255 && n.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

fn parse_listen_spec(s: &str) -> Result<ListenSpec, String> {
    let (rest, name) = match s.rsplit_once('=') {
        Some((rest, "")) => (rest, "unknown"),
        Some((rest, name)) if !name.contains('/') => (rest, name),
        _ => (s, "unknown"),
    };
    if !valid_fdname(name) {
        return Err(format!("name {name:?}: 1 to 255 printable characters, no ':' or space"));
    }
    let mut ty = SockType::Stream;
    let mut addr = rest;
    if let Some((a, t)) = rest.rsplit_once(':') {
        if let Ok(t) = SockType::from_str(t, false) {
            (addr, ty) = (a, t);
        }
    }
    if !(addr.starts_with('/') || addr.starts_with('@')) {
        return Err(format!("address {addr:?}: expected /path or @name"));
    }
    Ok(ListenSpec { addr: addr.as_bytes().to_vec(), ty, name: name.to_string() })
}
