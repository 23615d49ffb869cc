//! `listen` and `connect`: relay between a socket and stdin/stdout.
//!
//! One thread reads stdin for the whole run and one reads each connection;
//! both report to the main thread through a channel, which sends what
//! stdin gave and ends a session when the peer closes.

use std::io::{self, BufRead, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;

use udsock::addr::AddrKind;
use udsock::io as uio;
use udsock::socket;

use crate::cli::SockType;
use crate::{io_fail, shown, Fail};

/// The largest message read: more than a Unix datagram can carry by default.
const MAX_MESSAGE: usize = 256 * 1024;

enum Event {
    /// A chunk of stdin (stream) or one line without its newline (messages).
    Input(Vec<u8>),
    /// Stdin has ended.
    InputEnd,
    /// The connection's peer closed it, or reading from it failed.
    PeerEnd(Result<(), Fail>),
}

/// Reads stdin in a thread for the whole run.
fn read_stdin(messages: bool, tx: Sender<Event>) {
    thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        loop {
            let mut buf = Vec::new();
            let n = if messages {
                input.read_until(b'\n', &mut buf).map(|n| {
                    if buf.last() == Some(&b'\n') {
                        buf.pop();
                    }
                    n
                })
            } else {
                buf.resize(64 * 1024, 0);
                input.read(&mut buf).map(|n| {
                    buf.truncate(n);
                    n
                })
            };
            match n {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(Event::Input(buf)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Event::InputEnd);
    });
}

/// Writes what arrives on `conn` to stdout until the peer closes it.
fn read_conn(conn: OwnedFd, messages: bool, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let r = loop {
            match uio::recv(conn.as_fd(), &mut buf, 0) {
                // On seqpacket an empty message is possible; after shutdown
                // or close it is the end as well: both read as 0.
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if let Err(e) = emit(&buf[..n], messages) {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e.into()),
            }
        };
        let _ = tx.send(Event::PeerEnd(r));
    });
}

fn emit(data: &[u8], line: bool) -> Result<(), Fail> {
    let mut out = io::stdout().lock();
    out.write_all(data)
        .and_then(|()| if line { out.write_all(b"\n") } else { Ok(()) })
        .and_then(|()| out.flush())
        .map_err(|e| io_fail("write to stdout", e))
}

fn shutdown_write(conn: BorrowedFd<'_>) {
    if let Ok(dup) = conn.try_clone_to_owned() {
        // The peer may be gone already: then there is nothing to tell it.
        let _ = UnixStream::from(dup).shutdown(std::net::Shutdown::Write);
    }
}

/// One connection: stdin to `conn`, `conn` to stdout, until the peer closes.
/// `input_done` says stdin ended in an earlier session.
fn session(conn: OwnedFd, messages: bool, rx: &Receiver<Event>, tx: &Sender<Event>, input_done: &mut bool) -> Result<(), Fail> {
    let reader = conn.try_clone().map_err(|e| io_fail("dup", e))?;
    read_conn(reader, messages, tx.clone());
    if *input_done {
        shutdown_write(conn.as_fd());
    }
    let mut peer_gone = false;
    loop {
        match rx.recv().expect("the reading threads hold senders") {
            Event::Input(data) if !peer_gone => {
                let sent = if messages {
                    uio::send(conn.as_fd(), &data, 0).map(|_| ())
                } else {
                    uio::send_all(conn.as_fd(), &data)
                };
                match sent {
                    Ok(()) => {}
                    // The peer closed: its end arrives as PeerEnd.
                    Err(e) if e.errno() == libc::EPIPE || e.errno() == libc::ECONNRESET => peer_gone = true,
                    Err(e) => return Err(e.into()),
                }
            }
            Event::Input(_) => {}
            Event::InputEnd => {
                *input_done = true;
                shutdown_write(conn.as_fd());
            }
            Event::PeerEnd(r) => return r,
        }
    }
}

fn addr_string(kind: AddrKind, name: &[u8]) -> Option<Vec<u8>> {
    match kind {
        AddrKind::Pathname => Some(name.to_vec()),
        AddrKind::Abstract => Some([b"@", name].concat()),
        _ => None,
    }
}

/// `udsock listen`.
pub fn listen(addr: &[u8], ty: SockType, mode: i32, replace_stale: bool, keep: bool) -> Result<(), Fail> {
    let flags = if replace_stale { socket::REPLACE_STALE } else { 0 };
    let server = crate::Server::open(addr, ty, mode, flags)?;
    let r = crate::notify::ready().and_then(|()| if ty == SockType::Dgram {
        serve_datagrams(server.fd(), keep)
    } else {
        serve_connections(server.fd(), ty != SockType::Stream, keep)
    });
    // Removes the socket file: this process bound it.
    let closed = server.close();
    r.and(closed)
}

fn serve_connections(server: BorrowedFd<'_>, messages: bool, keep: bool) -> Result<(), Fail> {
    let (tx, rx) = channel();
    read_stdin(messages, tx.clone());
    let mut input_done = false;
    loop {
        let conn = socket::accept(server, 0)?;
        session(conn, messages, &rx, &tx, &mut input_done)?;
        if !keep {
            return Ok(());
        }
    }
}

fn serve_datagrams(server: BorrowedFd<'_>, keep: bool) -> Result<(), Fail> {
    let (tx, rx) = channel();
    read_stdin(true, tx.clone());
    let sender: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let reader = server.try_clone_to_owned().map_err(|e| io_fail("dup", e))?;
    let last = sender.clone();
    thread::spawn(move || {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let r = loop {
            match uio::recvfrom(reader.as_fd(), &mut buf) {
                Ok((n, from)) => {
                    *last.lock().unwrap() = addr_string(from.kind(), from.name());
                    if let Err(e) = emit(&buf[..n], true) {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e.into()),
            }
        };
        let _ = tx.send(Event::PeerEnd(r));
    });
    loop {
        match rx.recv().expect("the reading threads hold senders") {
            Event::Input(line) => {
                let to = sender.lock().unwrap().clone();
                let Some(to) = to else {
                    return Err(Fail("no datagram with a sender address has arrived: nobody to send stdin to".into()));
                };
                uio::sendto(server, &line, &to).map_err(|e| Fail(format!("reply to {}: {}", shown(&to), e)))?;
            }
            Event::InputEnd if keep => {}
            Event::InputEnd => return Ok(()),
            Event::PeerEnd(r) => return r,
        }
    }
}

/// `udsock connect`.
pub fn connect(addr: &[u8], ty: SockType) -> Result<(), Fail> {
    let conn = if ty == SockType::Dgram {
        // Bound to an autobind name, so that the server can reply.
        let fd = socket::socket(ty.raw())?;
        socket::autobind(fd.as_fd())?;
        match udsock::addr::Address::parse(addr) {
            udsock::addr::Address::Pathname(p) => socket::connect(fd.as_fd(), p)?,
            udsock::addr::Address::Abstract(n) => socket::connect_abstract(fd.as_fd(), n)?,
        }
        fd
    } else {
        socket::dial(addr, ty.raw())?
    };
    let messages = ty != SockType::Stream;
    let (tx, rx) = channel();
    read_stdin(messages, tx.clone());
    if ty == SockType::Dgram {
        read_conn(conn.try_clone().map_err(|e| io_fail("dup", e))?, true, tx.clone());
        loop {
            match rx.recv().expect("the reading threads hold senders") {
                Event::Input(line) => {
                    uio::send(conn.as_fd(), &line, 0)?;
                }
                Event::InputEnd => return Ok(()),
                Event::PeerEnd(r) => return r,
            }
        }
    }
    let mut input_done = false;
    session(conn, messages, &rx, &tx, &mut input_done)
}
