//! An epoll server that serves many clients passing descriptors, with the
//! resumable frame reader and writer (`udsock::stream`).
//!
//! Each client (a thread here, with blocking calls) connects and three
//! times sends a frame "hello N" with the write end of a pipe; the server
//! writes a line into that pipe and replies with a frame telling how many
//! bytes it wrote. Every socket of the server is non-blocking; frames may
//! arrive in pieces and replies go out in as many as the kernel takes.
//!
//! ```sh
//! cargo run --example fdserver          # 50 clients
//! cargo run --example fdserver -- 500
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::thread;

use udsock::frame::{recv_frame, Frame};
use udsock::socket;
use udsock::stream::{Reader, Writer};

const ROUNDS: usize = 3;

struct Conn {
    sock: OwnedFd,
    reader: Reader,
    writer: Writer,
    reply: Vec<u8>,
}

/// A minimal epoll: the calls this example needs.
struct Epoll(OwnedFd);

impl Epoll {
    fn new() -> std::io::Result<Epoll> {
        // SAFETY: plain system call; a new descriptor is returned or -1.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is a new descriptor nothing else owns.
        Ok(Epoll(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }))
    }

    fn ctl(&self, op: i32, fd: BorrowedFd<'_>, events: u32) {
        let mut ev = libc::epoll_event { events, u64: fd.as_raw_fd() as u64 };
        // SAFETY: ev is a valid epoll_event; the kernel only reads it.
        unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd.as_raw_fd(), &mut ev) };
    }

    fn wait(&self, out: &mut [libc::epoll_event]) -> std::io::Result<usize> {
        // SAFETY: out has room for out.len() events.
        let n = unsafe { libc::epoll_wait(self.0.as_raw_fd(), out.as_mut_ptr(), out.len() as i32, 10_000) };
        match n {
            n if n < 0 => Err(std::io::Error::last_os_error()),
            0 => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no client for 10 s")),
            n => Ok(n as usize),
        }
    }
}

/// A pipe: (read end, write end), close-on-exec.
fn pipe() -> std::io::Result<(File, OwnedFd)> {
    let mut p = [-1; 2];
    // SAFETY: p has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both are new descriptors that nothing else owns.
    unsafe { Ok((std::os::fd::FromRawFd::from_raw_fd(p[0]), std::os::fd::FromRawFd::from_raw_fd(p[1]))) }
}

fn client(addr: String, id: usize) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let sock = socket::dial(addr.as_bytes(), libc::SOCK_STREAM)?;
    for round in 0..ROUNDS {
        let (mut rd, wr) = pipe()?;
        let msg = format!("hello {id}.{round}");
        // The socket is blocking, but Writer never waits: a frame this
        // small goes at once on a fresh connection, else poll for room.
        let mut w = Writer::new();
        while let Err(e) = w.send(sock.as_fd(), msg.as_bytes(), &[wr.as_fd()]) {
            if e.errno() != libc::EAGAIN {
                return Err(e.into());
            }
            let mut p = libc::pollfd { fd: sock.as_raw_fd(), events: libc::POLLOUT, revents: 0 };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut p, 1, -1) };
        }
        drop(wr); // the server holds its own copy now
        let mut buf = [0u8; 64];
        let Frame::Data(n) = recv_frame(sock.as_fd(), &mut buf)? else { return Err("no reply".into()) };
        let reply: usize = std::str::from_utf8(&buf[..n])?.parse()?;
        let mut line = String::new();
        rd.read_to_string(&mut line)?;
        if line != format!("server saw {msg:?}\n") || reply != line.len() {
            return Err(format!("client {id}: wrong line {line:?} or reply {reply}").into());
        }
    }
    Ok(())
}

/// Serves one connection until its socket has no more; `true` when the
/// client is gone.
fn serve(ep: &Epoll, c: &mut Conn) -> bool {
    while c.writer.is_idle() {
        let reply = match c.reader.read(c.sock.as_fd()) {
            Ok(Some(frame)) => {
                let line = format!("server saw {:?}\n", String::from_utf8_lossy(frame.data));
                let written = match frame.fds.into_owned().next() {
                    Some(fd) => File::from(fd).write(line.as_bytes()).map_or(-1, |n| n as i64),
                    None => -1,
                };
                written.to_string().into_bytes()
            }
            Ok(None) => return true,
            Err(e) if e.errno() == libc::EAGAIN => return false,
            Err(e) if e.errno() == libc::EINPROGRESS => continue,
            Err(e) => {
                eprintln!("fdserver: {e}");
                return true;
            }
        };
        c.reply = reply;
        if flush(ep, c).is_err() {
            return true;
        }
    }
    false
}

/// Sends the reply in progress; while the socket is full, waits for
/// EPOLLOUT instead of reading.
fn flush(ep: &Epoll, c: &mut Conn) -> Result<(), udsock::Error> {
    match c.writer.send(c.sock.as_fd(), &c.reply, &[]) {
        Ok(()) => ep.ctl(libc::EPOLL_CTL_MOD, c.sock.as_fd(), libc::EPOLLIN as u32),
        Err(e) if e.errno() == libc::EAGAIN => ep.ctl(libc::EPOLL_CTL_MOD, c.sock.as_fd(), libc::EPOLLOUT as u32),
        Err(e) => {
            eprintln!("fdserver: {e}");
            return Err(e);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let clients: usize = std::env::args().nth(1).map_or(Ok(50), |a| a.parse())?;
    let addr = format!("@udsock-fdserver-{}", std::process::id());
    let listener = socket::listener(addr.as_bytes(), libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0, -1, 0)?;
    let workers: Vec<_> = (0..clients).map(|i| {
        let addr = addr.clone();
        thread::spawn(move || client(addr, i))
    }).collect();

    let ep = Epoll::new()?;
    ep.ctl(libc::EPOLL_CTL_ADD, listener.as_fd(), libc::EPOLLIN as u32);
    let mut conns: HashMap<i32, Conn> = HashMap::new();
    let mut gone = 0;
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
    while gone < clients {
        let n = ep.wait(&mut events)?;
        for ev in &events[..n] {
            let fd = ev.u64 as i32;
            if fd == listener.as_raw_fd() {
                match socket::accept(listener.as_fd(), libc::SOCK_NONBLOCK) {
                    Ok(sock) => {
                        ep.ctl(libc::EPOLL_CTL_ADD, sock.as_fd(), libc::EPOLLIN as u32);
                        let c = Conn { sock, reader: Reader::new(4096, 4)?, writer: Writer::new(), reply: Vec::new() };
                        conns.insert(fd_of(&c), c);
                    }
                    Err(e) if e.errno() == libc::EAGAIN => {}
                    Err(e) => return Err(e.into()),
                }
                continue;
            }
            let Some(c) = conns.get_mut(&fd) else { continue };
            if !c.writer.is_idle() && (flush(&ep, c).is_err() || !c.writer.is_idle()) {
                continue;
            }
            if serve(&ep, c) {
                let c = conns.remove(&fd).expect("present");
                ep.ctl(libc::EPOLL_CTL_DEL, c.sock.as_fd(), 0);
                gone += 1; // dropping the reader closes fds of a partial frame
            }
        }
    }
    let mut bad = 0;
    for w in workers {
        if let Err(e) = w.join().expect("client thread") {
            eprintln!("fdserver: {e}");
            bad += 1;
        }
    }
    println!("{clients} clients x {ROUNDS} frames with an fd each: {}", if bad == 0 { "all served" } else { "FAILED" });
    if bad > 0 {
        return Err(format!("{bad} clients failed").into());
    }
    Ok(())
}

fn fd_of(c: &Conn) -> i32 {
    c.sock.as_raw_fd()
}
