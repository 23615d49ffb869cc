//! The extension traits on std's socket types: descriptors, frames,
//! credentials, pidfds and batches through `UnixStream`/`UnixDatagram`,
//! with `io::Error`s that keep the errno.

mod common;

use std::io::{Read, Seek, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};

use common::{cloexec, files, open_fds, same_files, serial, temp_dir};
use udsock::cred::Cred;
use udsock::ext::{BatchExt, CredExt, FdExt, FrameExt, ListenerExt};
use udsock::frame::Frame;
use udsock::msg::{Inbox, Message};

#[test]
fn descriptors_pass_between_std_streams_as_owned_fds() {
    let _g = serial();
    let dir = temp_dir("ext-fds");
    let sent = files(dir.path(), 3);
    let (a, b) = UnixStream::pair().unwrap();
    let borrowed: Vec<_> = sent.iter().map(AsFd::as_fd).collect();
    assert_eq!(a.send_fds(b"three", &borrowed).unwrap(), 5);

    let mut buf = [0u8; 16];
    let mut got: Vec<OwnedFd> = Vec::new();
    let n = b.recv_fds(&mut buf, &mut got).unwrap();
    assert_eq!(&buf[..n], b"three");
    same_files(&sent, &got);
    assert!(got.iter().all(|f| cloexec(f.as_raw_fd())));

    // One at a time, and the received one is a working file.
    a.send_fd(sent[0].as_fd()).unwrap();
    let one = b.recv_fd().unwrap();
    let mut f = std::fs::File::from(one);
    f.rewind().unwrap();
    f.write_all(b"x").unwrap();
    let mut back = String::new();
    let mut first = &sent[0];
    first.rewind().unwrap();
    first.read_to_string(&mut back).unwrap();
    assert!(back.starts_with('x'));
}

#[test]
fn errors_are_io_errors_with_the_errno() {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4];
    let e = a.recv_fds(&mut buf, &mut Vec::new()).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    drop(b);
    let e = a.recv_fd().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ECONNRESET));
    let e = a.send_fds(b"x", &[]).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn more_descriptors_than_the_slots_is_exfull_and_leaks_none() {
    let _g = serial();
    let dir = temp_dir("ext-exfull");
    let sent = files(dir.path(), 4);
    let (a, b) = UnixDatagram::pair().unwrap();
    let borrowed: Vec<_> = sent.iter().map(AsFd::as_fd).collect();
    a.send_fds(b"x", &borrowed).unwrap();
    let before = open_fds();
    let mut slots = [-1; 2];
    let mut fds = udsock::fds::FdBuf::new(&mut slots);
    let e = b.recv_fds_into(&mut [0u8; 4], &mut fds).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EXFULL));
    assert_eq!(fds.len(), 0);
    assert_eq!(open_fds(), before);
}

#[test]
fn frames_with_descriptors_on_a_std_stream() {
    let _g = serial();
    let dir = temp_dir("ext-frames");
    let sent = files(dir.path(), 2);
    let (a, b) = UnixStream::pair().unwrap();
    a.send_frame(b"plain").unwrap();
    a.send_frame_fds(b"with two", &[sent[0].as_fd(), sent[1].as_fd()]).unwrap();
    a.send_frame(&[7u8; 100]).unwrap();
    drop(a);

    let mut buf = [0u8; 16];
    let mut fds = Vec::new();
    assert_eq!(b.recv_frame(&mut buf).unwrap(), Frame::Data(5));
    assert_eq!(&buf[..5], b"plain");
    assert_eq!(b.recv_frame_fds(&mut buf, &mut fds).unwrap(), Frame::Data(8));
    same_files(&sent, &fds);
    assert_eq!(b.recv_frame_fds(&mut buf, &mut fds).unwrap(), Frame::TooLarge(100));
    assert_eq!(fds.len(), 2);
    assert_eq!(b.recv_frame(&mut buf).unwrap(), Frame::Eof);
}

#[test]
fn credentials_and_pidfd_of_a_std_stream_peer() {
    let (a, b) = UnixStream::pair().unwrap();
    let c = a.peer_credentials().unwrap();
    assert_eq!(c, Cred::own());
    b.send_creds(b"hi", None).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(a.recv_creds(&mut buf).unwrap(), (2, Cred::own()));
    match a.peer_pidfd() {
        Ok(p) => assert!(cloexec(p.as_raw_fd())),
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::ENOPROTOOPT)),
    }
    let (x, y) = UnixDatagram::pair().unwrap();
    x.send(b"p").unwrap();
    assert_eq!(y.recv_pidfd(&mut buf).unwrap().0, 1);
    // SO_PASSPIDFD is on now: the next message names its sender.
    x.send(b"q").unwrap();
    let (n, pidfd) = y.recv_pidfd(&mut buf).unwrap();
    assert_eq!(n, 1);
    assert!(cloexec(pidfd.expect("a pidfd of this process").as_raw_fd()));
    drop(x);
}

#[test]
fn batches_on_a_std_datagram_pair() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let out: Vec<Message<'_>> =
        [&b"one"[..], b"two", b"three"].iter().map(|d| Message { data: d, ..Message::default() }).collect();
    assert_eq!(a.send_batch(&out).unwrap(), 3);
    let mut data = [[0u8; 8]; 3];
    let mut slots = [[0; 1]; 3];
    let mut inbox: Vec<Inbox<'_>> =
        data.iter_mut().zip(slots.iter_mut()).map(|(d, s)| Inbox::new(d, s)).collect();
    assert_eq!(b.recv_batch(&mut inbox).unwrap(), 3);
    assert_eq!(inbox[2].data(), b"three");
}

#[test]
fn a_std_listener_reports_its_path_and_accepts_with_credentials() {
    let dir = temp_dir("ext-listener");
    let path = dir.path().join("l.sock");
    let l = UnixListener::bind(&path).unwrap();
    assert_eq!(l.bound_path().unwrap().as_deref(), Some(path.as_path()));
    let c = UnixStream::connect(&path).unwrap();
    let (conn, cred) = l.accept_with_cred().unwrap();
    assert_eq!(cred, Cred::own());
    assert!(cloexec(conn.as_raw_fd()));
    drop(c);
}

#[test]
fn the_exfull_line_names_the_counts_uncut_in_a_small_error() {
    let _g = serial();
    let dir = temp_dir("ext-exfull-line");
    let sent = files(dir.path(), 4);
    let (a, b) = UnixDatagram::pair().unwrap();
    let borrowed: Vec<_> = sent.iter().map(AsFd::as_fd).collect();
    a.send_fds(b"xyz", &borrowed).unwrap();
    let mut slots = [-1; 2];
    let mut fds = udsock::fds::FdBuf::new(&mut slots);
    let e = udsock::fds::recv_fds(b.as_fd(), &mut [0u8; 8], &mut fds).unwrap_err();
    let line = e.to_string();
    assert!(line.contains("4 fds for 2 slots") && line.contains("RLIMIT_NOFILE") && line.contains("3 bytes"), "{line}");
    assert!(!line.ends_with("..."), "{line}");
    assert!(std::mem::size_of::<udsock::Error>() < 128);
}
