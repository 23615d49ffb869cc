//! Who sent this message, through the Rust API: per-message pidfds on a
//! datagram socket with several senders, and a socket refusing descriptors.

mod common;

use std::os::fd::{AsFd, AsRawFd};

use common::{fdinfo, serial};
use udsock::cred;
use udsock::fds::{self, FdBuf};
use udsock::msg::{self, Inbox};
use udsock::{io, socket};

fn pid_of(pidfd: &impl AsRawFd) -> i64 {
    fdinfo(pidfd.as_raw_fd(), "Pid:").trim().parse().unwrap()
}

/// Forks a child that sends `[byte]` on `fd` and exits.
fn child_sends(fd: std::os::fd::BorrowedFd<'_>, byte: u8) -> i32 {
    // SAFETY: the child only sends and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = io::send(fd, &[byte], 0).is_ok();
        // SAFETY: _exit ends the child without running the parent's code.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    pid
}

fn reap(pid: i32) {
    let mut st = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut st, 0) }, pid);
    assert_eq!(st, 0);
}

#[test]
fn each_message_names_its_sender() {
    let _s = serial();
    let (a, b) = socket::socketpair(libc::SOCK_DGRAM).unwrap();
    match cred::set_passpidfd(b.as_fd(), true) {
        Err(e) if e.errno() == libc::ENOPROTOOPT => return, // a kernel before 6.5
        r => r.unwrap(),
    }
    // Senders: this process and three children; a child not yet reaped
    // keeps its pid, which its pidfd's fdinfo shows.
    io::send(a.as_fd(), b"0", 0).unwrap();
    let pids: Vec<i32> = (1..4u8).map(|i| child_sends(a.as_fd(), b'0' + i)).collect();
    let mut buf = [0u8; 4];
    let (n, p) = cred::recv_pidfd(b.as_fd(), &mut buf).unwrap();
    assert_eq!((n, buf[0]), (1, b'0'));
    assert_eq!(pid_of(&p.unwrap()), std::process::id() as i64);
    for _ in 0..3 {
        let mut slots = [-1; 1];
        let mut got = FdBuf::new(&mut slots);
        let (r, p) = msg::recvmsg_pidfd(b.as_fd(), &mut buf, &mut got, 0).unwrap();
        assert_eq!(r.len(), 1);
        let i = (buf[0] - b'1') as usize;
        assert_eq!(pid_of(&p.unwrap()), pids[i] as i64);
    }
    pids.into_iter().for_each(reap);
    // A sender reaped before the receive: the message still arrives, and
    // its pidfd (if the kernel gives one) names no process.
    reap(child_sends(a.as_fd(), b'9'));
    let (n, p) = cred::recv_pidfd(b.as_fd(), &mut buf).unwrap();
    assert_eq!((n, buf[0]), (1, b'9'));
    if let Some(p) = p {
        assert_eq!(pid_of(&p), -1);
    }
    // Messages of a batch that does not ask for pidfds: they are closed.
    io::send(a.as_fd(), b"z", 0).unwrap();
    let before = common::open_fds();
    let mut data = [0u8; 4];
    let mut slots = [-1; 1];
    let mut inboxes = [Inbox::new(&mut data, &mut slots)];
    assert_eq!(msg::recv_batch(b.as_fd(), &mut inboxes, 0).unwrap(), 1);
    assert_eq!(common::open_fds(), before);
}

#[test]
fn a_socket_refusing_descriptors() {
    let _s = serial();
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    match cred::set_passrights(b.as_fd(), false) {
        Err(e) if e.errno() == libc::ENOPROTOOPT => return, // a kernel before 6.16
        r => r.unwrap(),
    }
    let e = fds::send_fds(a.as_fd(), b"x", &[a.as_fd()]).unwrap_err();
    assert_eq!(e.errno(), libc::EPERM);
    cred::set_passrights(b.as_fd(), true).unwrap();
    fds::send_fds(a.as_fd(), b"x", &[a.as_fd()]).unwrap();
}
