//! Data and frames through the Rust API: the `Frame` outcomes, and
//! transfers between threads of one process (the C tests use processes).

mod core_util;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use core_util::{abstract_name, temp_dir, Under};
use udsock::addr::AddrKind;
use udsock::frame::{recv_frame, send_frame, Frame};
use udsock::{io, socket};

#[test]
fn frame_outcomes() {
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let mut buf = [0u8; 8];
    send_frame(a.as_fd(), b"too large!").unwrap();
    send_frame(a.as_fd(), b"").unwrap();
    send_frame(a.as_fd(), b"fits").unwrap();
    assert_eq!(recv_frame(b.as_fd(), &mut buf).unwrap(), Frame::TooLarge(10));
    assert_eq!(recv_frame(b.as_fd(), &mut buf).unwrap(), Frame::Data(0));
    assert_eq!(recv_frame(b.as_fd(), &mut buf).unwrap(), Frame::Data(4));
    assert_eq!(&buf[..4], b"fits");
    // The ALP client's bytes: a native-endian int that counts the NUL.
    io::send_all(a.as_fd(), &6i32.to_ne_bytes()).unwrap();
    io::send_all(a.as_fd(), b"hello\0").unwrap();
    assert_eq!(recv_frame(b.as_fd(), &mut buf).unwrap(), Frame::Data(6));
    drop(a);
    assert_eq!(recv_frame(b.as_fd(), &mut buf).unwrap(), Frame::Eof);
}

/// Waits until `fd` is ready for `events`.
fn wait(fd: BorrowedFd<'_>, events: i16) {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
    // SAFETY: one valid pollfd, for the duration of the call.
    assert_eq!(unsafe { libc::poll(&mut p, 1, -1) }, 1);
}

#[test]
fn frames_between_threads_on_non_blocking_sockets() {
    let (a, b) = socket::socketpair(libc::SOCK_STREAM | libc::SOCK_NONBLOCK).unwrap();
    // A non-blocking socket never waits inside a call: a frame goes whole
    // or not at all (EAGAIN), and arrives whole or not at all (EAGAIN,
    // nothing consumed), so none is ever torn. A frame larger than the
    // socket can promise to take whole is refused (EMSGSIZE).
    let size = |i: usize| (i * 7_919) % 100_000;
    let e = send_frame(a.as_fd(), &vec![0u8; 1 << 20]).unwrap_err();
    assert_eq!(e.errno(), libc::EMSGSIZE);
    assert_eq!(io::pending(b.as_fd()).unwrap(), 0);
    let writer = std::thread::spawn(move || {
        let big = vec![0x5au8; 100_000];
        for i in 0..200usize {
            loop {
                match send_frame(a.as_fd(), &big[..size(i)]) {
                    Ok(()) => break,
                    Err(e) if e.errno() == libc::EAGAIN => wait(a.as_fd(), libc::POLLOUT),
                    Err(e) => panic!("{e}"),
                }
            }
        }
    });
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0;
    while got < 200 {
        match recv_frame(b.as_fd(), &mut buf) {
            Ok(Frame::Data(n)) => {
                assert_eq!(n, size(got));
                assert!(buf[..n].iter().all(|&x| x == 0x5a));
                got += 1;
            }
            Err(e) if e.errno() == libc::EAGAIN => wait(b.as_fd(), libc::POLLIN),
            other => panic!("{other:?}"),
        }
    }
    writer.join().unwrap();
}

#[test]
fn recv_exact_reports_what_arrived() {
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    io::send_all(a.as_fd(), b"abc").unwrap();
    drop(a);
    let mut buf = [0u8; 5];
    let e = io::recv_exact(b.as_fd(), &mut buf).unwrap_err();
    assert_eq!(e.errno(), libc::ECONNRESET);
    assert!(e.to_string().contains("3 of 5"), "{e}");
    assert_eq!(&buf[..3], b"abc");
    assert_eq!(io::recv_exact(b.as_fd(), &mut buf).unwrap(), 0);
}

#[test]
fn datagrams_to_long_paths_and_back() {
    let dir = temp_dir("core-io");
    let rx_path = dir.long_path(4000, 50, b'r');
    let rx = socket::listener(&rx_path, libc::SOCK_DGRAM, 0, 0o600, 0).unwrap();
    let tx = socket::socket(libc::SOCK_DGRAM).unwrap();
    let mut name = abstract_name("core-io");
    socket::bind_abstract(tx.as_fd(), &name).unwrap();
    assert_eq!(io::sendto(tx.as_fd(), b"ping", &rx_path).unwrap(), 4);
    let mut buf = [0u8; 16];
    let (n, from) = io::recvfrom(rx.as_fd(), &mut buf).unwrap();
    assert_eq!((&buf[..n], from.kind(), from.name()), (&b"ping"[..], AddrKind::Abstract, &name[..]));
    name.insert(0, b'@');
    assert_eq!(io::sendto(rx.as_fd(), b"pong", &name).unwrap(), 4);
    assert_eq!(io::recv(tx.as_fd(), &mut buf, 0).unwrap(), 4);
    assert_eq!(io::pending(rx.as_fd()).unwrap(), 0);
    socket::close(rx).unwrap();
    assert_eq!(io::sendto(tx.as_fd(), b"gone", &rx_path).unwrap_err().errno(), libc::ENOENT);
}

#[test]
fn recv_with_msg_trunc_never_reports_more_than_the_buffer_holds() {
    let (a, b) = socket::socketpair(libc::SOCK_DGRAM).unwrap();
    io::send(a.as_fd(), &[7u8; 100], 0).unwrap();
    let mut buf = [0u8; 10];
    let n = io::recv(b.as_fd(), &mut buf, libc::MSG_TRUNC).unwrap();
    assert_eq!(&buf[..n], &[7u8; 10]); // the documented use: no panic
    io::send(a.as_fd(), &[8u8; 100], 0).unwrap();
    assert_eq!(io::recv_trunc(b.as_fd(), &mut buf, libc::MSG_TRUNC).unwrap(), (10, 100));
}
