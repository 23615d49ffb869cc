//! Frames that carry descriptors through the Rust API: the descriptors that
//! come out with a frame are exactly those sent with it, however the
//! sender's writes were cut or coalesced, and none leaks on a failure.

mod common;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use common::{files, identity, open_fds, serial};
use udsock::fds::FdBuf;
use udsock::frame::{self, Frame};
use udsock::{fds, io, socket};

fn wire(text: &[u8]) -> Vec<u8> {
    let mut w = (text.len() as u32).to_ne_bytes().to_vec();
    w.extend_from_slice(text);
    w
}

/// Receives one frame and returns its bytes and its descriptors' identities.
fn next(fd: BorrowedFd<'_>) -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut buf = [0u8; 64];
    let mut slots = [-1; 8];
    let mut got = FdBuf::new(&mut slots);
    match frame::recv_frame_fds(fd, &mut buf, &mut got).unwrap() {
        Frame::Data(n) => {
            let ids = got.as_raw().iter().map(|&f| identity(f)).collect();
            (buf[..n].to_vec(), ids)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_plain_frame_then_frames_with_descriptors() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path(), 3);
    let id = |i: usize| identity(f[i].as_raw_fd());
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let before = open_fds();
    frame::send_frame(a.as_fd(), b"plain").unwrap();
    frame::send_frame_fds(a.as_fd(), b"one", &[f[0].as_fd()]).unwrap();
    frame::send_frame_fds(a.as_fd(), b"two", &[f[1].as_fd(), f[2].as_fd()]).unwrap();
    assert_eq!(next(b.as_fd()), (b"plain".to_vec(), vec![]));
    assert_eq!(next(b.as_fd()), (b"one".to_vec(), vec![id(0)]));
    assert_eq!(next(b.as_fd()), (b"two".to_vec(), vec![id(1), id(2)]));
    assert_eq!(open_fds(), before);
}

/// One sendmsg per piece, as a raw sender writes: every split of a frame,
/// with the descriptors on every piece in turn.
#[test]
fn a_raw_sender_cuts_anywhere() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path(), 1);
    let w = wire(b"abcdef");
    for at in 0..w.len() {
        for cut in at + 1..=w.len() {
            let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
            let send = |bytes: &[u8], with: bool| {
                let n = if with {
                    fds::send_fds(a.as_fd(), bytes, &[f[0].as_fd()]).unwrap()
                } else {
                    io::send(a.as_fd(), bytes, 0).unwrap()
                };
                assert_eq!(n, bytes.len());
            };
            if at > 0 {
                send(&w[..at], false);
            }
            send(&w[at..cut], true);
            if cut < w.len() {
                send(&w[cut..], false);
            }
            send(&wire(b"next"), false);
            assert_eq!(next(b.as_fd()), (b"abcdef".to_vec(), vec![identity(f[0].as_raw_fd())]), "at {at} cut {cut}");
            assert_eq!(next(b.as_fd()), (b"next".to_vec(), vec![]));
        }
    }
}

#[test]
fn failures_close_every_descriptor() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path(), 3);
    let all: Vec<BorrowedFd<'_>> = f.iter().map(|f| f.as_fd()).collect();
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let before = open_fds();
    let mut buf = [0u8; 8];
    let mut slots = [-1; 2];
    let mut got = FdBuf::new(&mut slots);
    frame::send_frame_fds(a.as_fd(), b"abc", &all).unwrap();
    let e = frame::recv_frame_fds(b.as_fd(), &mut buf, &mut got).unwrap_err();
    assert_eq!((e.errno(), got.len()), (libc::EXFULL, 0));
    frame::send_frame_fds(a.as_fd(), b"much too large", &all[..1]).unwrap();
    assert_eq!(frame::recv_frame_fds(b.as_fd(), &mut buf, &mut got).unwrap(), Frame::TooLarge(14));
    frame::send_frame_fds(a.as_fd(), b"bytes", &all).unwrap();
    assert_eq!(frame::recv_frame(b.as_fd(), &mut buf).unwrap(), Frame::Data(5));
    assert_eq!(open_fds(), before);
    frame::send_frame_fds(a.as_fd(), b"ok", &all[..2]).unwrap();
    assert_eq!(frame::recv_frame_fds(b.as_fd(), &mut buf, &mut got).unwrap(), Frame::Data(2));
    assert_eq!(got.len(), 2);
    drop(got);
    assert_eq!(open_fds(), before);
    let e = frame::send_frame_fds(a.as_fd(), b"x", &vec![all[0]; 254]).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
}
