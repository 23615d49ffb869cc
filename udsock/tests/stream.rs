//! The resumable frame reader and writer (udsock::stream) on non-blocking
//! sockets: frames delivered at every split point, with and without
//! descriptors, coalesced, trickled, and hostile input. Every test holds
//! `serial()` and checks that no descriptor leaked.

mod common;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use common::{files, open_fds, serial};
use udsock::msg::{self, Message};
use udsock::stream::{Reader, Writer};
use udsock::{frame, socket};

const NB: i32 = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;

fn pair() -> (OwnedFd, OwnedFd) {
    socket::socketpair(NB).unwrap()
}

/// (st_dev, st_ino): which file a descriptor is.
fn ident(fd: BorrowedFd<'_>) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = File::from(fd.try_clone_to_owned().unwrap()).metadata().unwrap();
    (m.dev(), m.ino())
}

/// The wire bytes of `frames`, and where each frame starts.
fn wire(frames: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for f in frames {
        starts.push(out.len());
        out.extend_from_slice(&(f.len() as u32).to_ne_bytes());
        out.extend_from_slice(f);
    }
    (out, starts)
}

/// One write of `bytes` with `fds` (a raw sender's sendmsg).
fn write(sock: BorrowedFd<'_>, bytes: &[u8], fds: &[BorrowedFd<'_>]) {
    let n = msg::sendmsg(sock, &Message { data: bytes, fds, ..Message::default() }, 0).unwrap();
    assert_eq!(n, bytes.len());
}

/// What came out of a reader: each frame's bytes and its descriptors'
/// identities.
type Got = Vec<(Vec<u8>, Vec<(u64, u64)>)>;

/// Reads until `EAGAIN` (returned as `false`) or the end (`true`).
fn drain(r: &mut Reader, sock: BorrowedFd<'_>, out: &mut Got) -> bool {
    loop {
        match r.read(sock) {
            Ok(Some(f)) => {
                let ids = f.fds.as_raw().iter().map(|&fd| ident(unsafe_borrow(fd))).collect();
                for fd in f.fds.as_raw() {
                    assert!(common::cloexec(*fd), "received fd {fd} is not close-on-exec");
                }
                out.push((f.data.to_vec(), ids));
            }
            Ok(None) => return true,
            Err(e) if e.errno() == libc::EAGAIN => return false,
            Err(e) if e.errno() == libc::EINPROGRESS => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Borrows a descriptor an `FdBuf` holds, for the length of a check.
fn unsafe_borrow<'a>(fd: i32) -> BorrowedFd<'a> {
    // SAFETY: only called on descriptors the current frame holds open
    // while the borrow is used (within drain's loop body).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Sends `frames` cut at `cuts` (increasing offsets into the wire bytes),
/// each piece as one write, with descriptor `files[i]` on piece `i` when
/// `with_fds`; the reader reads after every write. Checks that every
/// frame arrives whole, in order, with exactly the descriptors of the
/// pieces whose first byte it holds, and that nothing leaks.
fn split_case(frames: &[&[u8]], cuts: &[usize], with_fds: bool, sent: &[File], passcred: bool) {
    let (bytes, starts) = wire(frames);
    let before = open_fds();
    {
        let (a, b) = pair();
        if passcred {
            udsock::cred::set_passcred(b.as_fd(), true).unwrap();
        }
        let mut r = Reader::new(1024, 8).unwrap();
        let mut got = Got::new();
        let mut bounds = vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(bytes.len());
        let mut expect: Vec<Vec<(u64, u64)>> = vec![Vec::new(); frames.len()];
        for (i, w) in bounds.windows(2).enumerate() {
            let fds: Vec<BorrowedFd<'_>> = if with_fds { vec![sent[i].as_fd()] } else { vec![] };
            if with_fds {
                // The frame holding the piece's first byte gets its fd.
                let owner = starts.iter().rposition(|&s| s <= w[0]).unwrap();
                expect[owner].push(ident(sent[i].as_fd()));
            }
            write(a.as_fd(), &bytes[w[0]..w[1]], &fds);
            assert!(!drain(&mut r, b.as_fd(), &mut got));
        }
        drop(a);
        assert!(drain(&mut r, b.as_fd(), &mut got), "no clean end after the last frame");
        assert_eq!(got.len(), frames.len(), "cuts {cuts:?}");
        for (i, (data, ids)) in got.iter().enumerate() {
            assert_eq!(data.as_slice(), frames[i], "frame {i}, cuts {cuts:?}");
            assert_eq!(ids, &expect[i], "fds of frame {i}, cuts {cuts:?}");
        }
    }
    assert_eq!(open_fds(), before, "descriptors leaked, cuts {cuts:?}");
}

#[test]
fn every_split_point_with_and_without_fds() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 3);
    let big = vec![0x5a; 300];
    let frames: [&[u8]; 4] = [b"", b"a", &big, b"tail!"];
    let total = wire(&frames).0.len();
    for with_fds in [false, true] {
        for k in 1..total {
            split_case(&frames, &[k], with_fds, &sent, false);
        }
    }
    // With SO_PASSCRED on, the kernel adds credentials to every read: they
    // are dropped and change nothing.
    for k in [1, 3, 4, 5, 9, 100, total - 1] {
        split_case(&frames, &[k], true, &sent, true);
    }
}

#[test]
fn every_pair_of_split_points_with_fds() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 3);
    let frames: [&[u8]; 4] = [b"", b"ab", b"xyz", b"0123456789"];
    let total = wire(&frames).0.len();
    for i in 1..total {
        for j in i + 1..total {
            split_case(&frames, &[i, j], true, &sent, false);
        }
    }
}

#[test]
fn coalesced_frames_and_fds_on_a_middle_byte() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 3);
    let before = open_fds();
    {
        let (a, b) = pair();
        let mut r = Reader::new(64, 4).unwrap();
        let mut got = Got::new();
        // A frame without fds, then three frames in one write with two fds:
        // they belong to the first frame of that write.
        let (one, _) = wire(&[b"plain"]);
        write(a.as_fd(), &one, &[]);
        let (three, _) = wire(&[b"first", b"second", b""]);
        write(a.as_fd(), &three, &[sent[0].as_fd(), sent[1].as_fd()]);
        // A frame whose prefix and body go in pieces, the fd on a byte in
        // the middle of the body.
        let (f, _) = wire(&[b"hello world"]);
        for (lo, hi, fd) in [(0, 2, None), (2, 4, None), (4, 9, None), (9, 10, Some(2)), (10, f.len(), None)] {
            let fds: Vec<BorrowedFd<'_>> = fd.map(|i: usize| sent[i].as_fd()).into_iter().collect();
            write(a.as_fd(), &f[lo..hi], &fds);
        }
        assert!(!drain(&mut r, b.as_fd(), &mut got));
        let id = |i: usize| ident(sent[i].as_fd());
        let want: Got = vec![
            (b"plain".to_vec(), vec![]),
            (b"first".to_vec(), vec![id(0), id(1)]),
            (b"second".to_vec(), vec![]),
            (b"".to_vec(), vec![]),
            (b"hello world".to_vec(), vec![id(2)]),
        ];
        assert_eq!(got, want);
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn one_byte_per_write_from_another_thread() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 2);
    let before = open_fds();
    {
        let (a, b) = pair();
        let frames: Vec<Vec<u8>> = (0..20).map(|i| vec![i as u8; i * 7]).collect();
        let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
        let (bytes, starts) = wire(&refs);
        let sender = {
            let a = a.try_clone().unwrap();
            let dups: Vec<OwnedFd> = sent.iter().map(|f| f.as_fd().try_clone_to_owned().unwrap()).collect();
            let bytes = bytes.clone();
            let starts = starts.clone();
            std::thread::spawn(move || {
                for (i, byte) in bytes.iter().enumerate() {
                    // Every frame's first byte carries the fd of its parity.
                    let k = starts.iter().position(|&s| s == i);
                    let fds: Vec<BorrowedFd<'_>> = k.map(|k| dups[k % 2].as_fd()).into_iter().collect();
                    loop {
                        match msg::sendmsg(a.as_fd(), &Message { data: std::slice::from_ref(byte), fds: &fds, ..Message::default() }, 0) {
                            Ok(1) => break,
                            Err(e) if e.errno() == libc::EAGAIN => udsock_wait(a.as_fd(), libc::POLLOUT),
                            r => panic!("send: {r:?}"),
                        }
                    }
                }
            })
        };
        drop(a);
        let mut r = Reader::new(1024, 4).unwrap();
        let mut got = Got::new();
        loop {
            if drain(&mut r, b.as_fd(), &mut got) {
                break;
            }
            udsock_wait(b.as_fd(), libc::POLLIN);
        }
        sender.join().unwrap();
        assert_eq!(got.len(), frames.len());
        for (i, (data, ids)) in got.iter().enumerate() {
            assert_eq!(data, &frames[i]);
            assert_eq!(ids, &vec![ident(sent[i % 2].as_fd())], "frame {i}");
        }
    }
    assert_eq!(open_fds(), before);
}

fn udsock_wait(fd: BorrowedFd<'_>, events: i16) {
    let mut p = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, 10_000) };
    assert_eq!(n, 1, "poll timed out");
}

#[test]
fn a_4_gib_prefix_is_emsgsize_and_its_fds_are_closed() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 1);
    let before = open_fds();
    {
        let (a, b) = pair();
        let mut r = Reader::new(1024, 4).unwrap();
        write(a.as_fd(), &u32::MAX.to_ne_bytes(), &[sent[0].as_fd()]);
        let e = r.read(b.as_fd()).unwrap_err();
        assert_eq!(e.errno(), libc::EMSGSIZE, "{e}");
        assert!(e.to_string().contains("4294967295"), "{e}");
        assert_eq!(open_fds(), before + 2, "the prefix's fd was not closed");
        // Its bytes are dropped as they come, fds with them.
        write(a.as_fd(), &[7u8; 5000], &[sent[0].as_fd()]);
        assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::EAGAIN);
        assert_eq!(open_fds(), before + 2);
        drop(a);
        assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::ECONNRESET);
        assert!(r.read(b.as_fd()).unwrap().is_none());
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn an_oversized_frame_is_dropped_and_the_stream_stays_in_step() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 3);
    let before = open_fds();
    {
        let (a, b) = pair();
        let mut r = Reader::new(16, 4).unwrap();
        let big = vec![1u8; 40_000];
        let (w, _) = wire(&[&big, b"next"]);
        // fds on the prefix, in the middle of the oversized body, and on
        // the next frame's first byte.
        write(a.as_fd(), &w[..4], &[sent[0].as_fd()]);
        write(a.as_fd(), &w[4..20_000], &[sent[1].as_fd()]);
        let e = r.read(b.as_fd()).unwrap_err();
        assert_eq!(e.errno(), libc::EMSGSIZE);
        let mut got = Got::new();
        assert!(!drain(&mut r, b.as_fd(), &mut got));
        write(a.as_fd(), &w[20_000..40_004], &[]);
        write(a.as_fd(), &w[40_004..], &[sent[2].as_fd()]);
        assert!(!drain(&mut r, b.as_fd(), &mut got));
        assert_eq!(got, vec![(b"next".to_vec(), vec![ident(sent[2].as_fd())])]);
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn end_of_stream_inside_a_frame_is_econnreset_with_fds_closed() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 2);
    let before = open_fds();
    for cut in [1, 3, 4, 5, 10] {
        let (a, b) = pair();
        let mut r = Reader::new(64, 4).unwrap();
        let (w, _) = wire(&[b"0123456789"]);
        write(a.as_fd(), &w[..cut], &[sent[0].as_fd(), sent[1].as_fd()]);
        assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::EAGAIN);
        assert_eq!(r.pending(), (cut, 2));
        drop(a);
        let e = r.read(b.as_fd()).unwrap_err();
        assert_eq!(e.errno(), libc::ECONNRESET, "cut {cut}: {e}");
        assert_eq!(r.pending(), (0, 0));
        assert!(r.read(b.as_fd()).unwrap().is_none());
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn more_fds_than_the_limit_is_exfull_once_the_frame_is_complete() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 5);
    let all: Vec<BorrowedFd<'_>> = sent.iter().map(|f| f.as_fd()).collect();
    let before = open_fds();
    {
        let (a, b) = pair();
        let mut r = Reader::new(64, 2).unwrap();
        // Three fds in one write: the kernel has room for two (MSG_CTRUNC
        // or a surplus that is closed).
        let (w, _) = wire(&[b"three", b"ok"]);
        write(a.as_fd(), &w[..6], &all[..3]);
        assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::EAGAIN);
        assert_eq!(open_fds(), before + 2, "fds of a frame over the limit were kept (2: the pair)");
        // The rest of that frame, then the next with two fds of its own.
        write(a.as_fd(), &w[6..9], &[]);
        write(a.as_fd(), &w[9..], &all[3..5]);
        let e = r.read(b.as_fd()).unwrap_err();
        assert_eq!(e.errno(), libc::EXFULL, "{e}");
        let mut got = Got::new();
        assert!(!drain(&mut r, b.as_fd(), &mut got));
        assert_eq!(got, vec![(b"ok".to_vec(), vec![ident(all[3]), ident(all[4])])]);
        // Two and then two more in one frame: over the limit of 2 as well.
        let (w, _) = wire(&[b"twice"]);
        write(a.as_fd(), &w[..5], &all[..2]);
        write(a.as_fd(), &w[5..], &all[2..4]);
        assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::EXFULL);
        // A reader that takes no fds at all.
        let mut none = Reader::new(64, 0).unwrap();
        let (w, _) = wire(&[b"x"]);
        write(a.as_fd(), &w, &all[..1]);
        assert_eq!(none.read(b.as_fd()).unwrap_err().errno(), libc::EXFULL);
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn a_trickled_frame_takes_several_calls_not_one_unbounded_one() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 1);
    let before = open_fds();
    {
        let (a, b) = pair();
        let body = vec![3u8; 150];
        let (w, _) = wire(&[&body]);
        // Every byte its own write with an fd: every read stops after one byte.
        for byte in w.chunks(1) {
            write(a.as_fd(), byte, &[sent[0].as_fd()]);
        }
        let mut r = Reader::new(256, 200).unwrap();
        let mut busy = 0;
        let frame = loop {
            match r.read(b.as_fd()) {
                Ok(Some(f)) => break (f.data.to_vec(), f.fds.len()),
                Err(e) if e.errno() == libc::EINPROGRESS => busy += 1,
                other => panic!("{:?}", other.map(|f| f.map(|f| f.data.len()))),
            }
        };
        assert_eq!(frame, (body, 154));
        assert_eq!(busy, 2, "154 reads at 64 a call");
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn dropping_a_reader_closes_the_fds_of_its_partial_frame() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 2);
    let before = open_fds();
    let (a, b) = pair();
    let mut r = Reader::new(64, 4).unwrap();
    write(a.as_fd(), &wire(&[b"abc"]).0[..5], &[sent[0].as_fd(), sent[1].as_fd()]);
    assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::EAGAIN);
    assert_eq!(open_fds(), before + 4);
    drop(r);
    assert_eq!(open_fds(), before + 2);
    // A frame whose fds are not taken closes them when it is dropped.
    let mut r = Reader::new(64, 4).unwrap();
    write(a.as_fd(), &wire(&[b"abc"]).0, &[sent[0].as_fd()]);
    assert_eq!(r.read(b.as_fd()).unwrap().unwrap().fds.len(), 1);
    assert_eq!(open_fds(), before + 2);
}

#[test]
fn message_sockets_are_eprototype() {
    let _s = serial();
    let (a, b) = socket::socketpair(libc::SOCK_SEQPACKET | libc::SOCK_NONBLOCK).unwrap();
    let mut r = Reader::new(64, 4).unwrap();
    write(a.as_fd(), &wire(&[b"hello"]).0, &[]);
    assert_eq!(r.read(b.as_fd()).unwrap_err().errno(), libc::EPROTOTYPE);
}

#[test]
fn limits_are_checked() {
    assert_eq!(Reader::new(u32::MAX as usize + 1, 0).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(Reader::new(0, 65537).unwrap_err().errno(), libc::EINVAL);
    let r = Reader::new(0, 0).unwrap();
    assert_eq!((r.max_frame(), r.max_fds()), (0, 0));
    let e: std::io::Error = Reader::new(0, 1 << 20).unwrap_err().into();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn the_writer_sends_a_frame_the_kernel_takes_in_parts() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let sent = files(dir.path(), 3);
    let all: Vec<BorrowedFd<'_>> = sent.iter().map(|f| f.as_fd()).collect();
    let before = open_fds();
    {
        let (a, b) = pair();
        let big: Vec<u8> = (0..1_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut w = Writer::new();
        let mut r = Reader::new(big.len(), 4).unwrap();
        let mut got = Got::new();
        let mut partial = 0;
        for (data, fds) in [(&big[..], &all[..3]), (&b"small"[..], &all[..1]), (&b""[..], &all[..0])] {
            loop {
                match w.send(a.as_fd(), data, fds) {
                    Ok(()) => break,
                    Err(e) if e.errno() == libc::EAGAIN => {
                        partial += 1;
                        assert!(!w.is_idle() || w.progress() == (0, 0));
                        // A different frame now would interleave bytes.
                        assert_eq!(w.send(a.as_fd(), b"other", &[]).unwrap_err().errno(), libc::EINVAL);
                        assert!(!drain(&mut r, b.as_fd(), &mut got));
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(w.is_idle());
        }
        drop(a);
        assert!(drain(&mut r, b.as_fd(), &mut got));
        assert!(partial > 0, "the kernel took 1 MB at once: the test tests nothing");
        let id = |i: usize| ident(all[i]);
        assert_eq!(got.len(), 3);
        assert!(got[0].0 == big, "the large frame's bytes differ");
        assert_eq!(got[0].1, vec![id(0), id(1), id(2)]);
        assert_eq!(got[1], (b"small".to_vec(), vec![id(0)]));
        assert_eq!(got[2], (vec![], vec![]));
    }
    assert_eq!(open_fds(), before);
}

#[test]
fn writer_frames_are_uds_send_frame_frames() {
    let _s = serial();
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let mut w = Writer::new();
    w.send(a.as_fd(), b"same bytes", &[]).unwrap();
    let mut buf = [0u8; 32];
    assert_eq!(frame::recv_frame(b.as_fd(), &mut buf).unwrap(), frame::Frame::Data(10));
    assert_eq!(&buf[..10], b"same bytes");
    // And the reader takes uds_send_frame's.
    frame::send_frame(a.as_fd(), b"the other way").unwrap();
    let mut r = Reader::new(32, 0).unwrap();
    assert_eq!(r.read(b.as_fd()).unwrap().unwrap().data, b"the other way");
    // Over the limit of descriptors: EINVAL, nothing sent.
    let f = File::open("/dev/null").unwrap();
    let many = vec![f.as_fd(); udsock::fds::MAX_FDS + 1];
    assert_eq!(w.send(a.as_fd(), b"x", &many).unwrap_err().errno(), libc::EINVAL);
    assert!(w.is_idle());
    drop(a);
    assert!(r.read(b.as_fd()).unwrap().is_none());
}
