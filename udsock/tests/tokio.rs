//! The tokio feature: descriptors and frames with descriptors awaited on
//! tokio's UnixStream, under load, in pieces, and cancelled part-way;
//! every frame arrives whole with exactly its own descriptors and no
//! descriptor leaks.
#![cfg(feature = "tokio")]

mod common;

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use common::{files, identity, open_fds, serial};
use tokio::net::UnixStream;
use udsock::tokio::{recv_fds, send_fds, FrameReader, FrameWriter};
use udsock::{fds, io};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap()
}

/// The identities of `fds`, for comparison with what was sent.
fn ids<F: AsRawFd>(fds: &[F]) -> Vec<(u64, u64)> {
    fds.iter().map(|f| identity(f.as_raw_fd())).collect()
}

/// Which of `files` frame or message `i` of connection `c` carries.
fn pick(files: &[File], c: usize, i: usize) -> Vec<BorrowedFd<'_>> {
    (0..(c + i) % 4).map(|k| files[(c * 7 + i + k) % files.len()].as_fd()).collect()
}

/// Frame `i` of connection `c`: its length varies, some frames are larger
/// than a socket buffer (so the writer waits for room part-way).
fn payload(c: usize, i: usize) -> Vec<u8> {
    let len = if i % 10 == 9 { 300_000 + c } else { (c * 31 + i * 17) % 200 };
    (0..len).map(|k| (k * 7 + i * 13 + c) as u8).collect()
}

#[test]
fn descriptors_and_frames_under_load() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path(), 9);
    let before = open_fds();
    const CONNS: usize = 24;
    const ROUNDS: usize = 60;
    runtime().block_on(async {
        let files = std::sync::Arc::new(files.iter().map(|f| f.try_clone().unwrap()).collect::<Vec<_>>());
        let mut tasks = Vec::new();
        for c in 0..CONNS {
            let (a, b) = UnixStream::pair().unwrap();
            let sent = files.clone();
            let got = files.clone();
            if c % 2 == 0 {
                // Messages with 1 to 4 descriptors.
                tasks.push(tokio::spawn(async move {
                    for i in 0..ROUNDS {
                        let mut fds = pick(&sent, c, i);
                        fds.push(sent[c % sent.len()].as_fd());
                        let data = format!("conn {c:3} message {i:3}");
                        assert_eq!(send_fds(&a, data.as_bytes(), &fds).await.unwrap(), data.len());
                    }
                }));
                tasks.push(tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    for i in 0..ROUNDS {
                        let mut fds = Vec::new();
                        let n = recv_fds(&b, &mut buf, &mut fds).await.unwrap();
                        assert_eq!(&buf[..n], format!("conn {c:3} message {i:3}").as_bytes());
                        let mut want = ids(&pick(&got, c, i));
                        want.push(identity(got[c % got.len()].as_raw_fd()));
                        assert_eq!(ids(&fds), want, "conn {c} message {i}");
                    }
                    let mut fds = Vec::new();
                    assert_eq!(recv_fds(&b, &mut buf, &mut fds).await.unwrap(), 0, "the end of the stream");
                    assert!(fds.is_empty());
                }));
            } else {
                // Frames with 0 to 3 descriptors, some larger than the socket buffer.
                tasks.push(tokio::spawn(async move {
                    let mut w = FrameWriter::new();
                    for i in 0..ROUNDS {
                        w.send_frame_fds(&a, &payload(c, i), &pick(&sent, c, i)).await.unwrap();
                        assert!(w.is_idle());
                    }
                }));
                tasks.push(tokio::spawn(async move {
                    let mut r = FrameReader::new(400_000, 4).unwrap();
                    for i in 0..ROUNDS {
                        let frame = r.read_frame(&b).await.unwrap().expect("a frame");
                        assert!(frame.data == payload(c, i), "conn {c} frame {i}: {} bytes", frame.data.len());
                        let fds: Vec<OwnedFd> = frame.fds.into_owned().collect();
                        assert_eq!(ids(&fds), ids(&pick(&got, c, i)), "conn {c} frame {i}");
                    }
                    assert!(r.read_frame(&b).await.unwrap().is_none(), "the end of the stream");
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    assert_eq!(open_fds(), before, "descriptors leaked");
}

/// The frames of the split tests: lengths around the prefix's and a few
/// larger, 0 to 3 descriptors each.
fn split_frames() -> Vec<(Vec<u8>, usize)> {
    [0usize, 1, 2, 3, 4, 5, 7, 0, 13, 64, 1, 200]
        .iter()
        .enumerate()
        .map(|(i, &len)| ((0..len).map(|k| (k + i * 11) as u8).collect(), i % 4))
        .collect()
}

/// Reads frames from `b` to the end of the stream, checking each against
/// `frames` (bytes, and that many of `files` as descriptors); returns how
/// many came.
async fn read_all(b: &UnixStream, frames: &[(Vec<u8>, usize)], files: &[File]) -> usize {
    let mut r = FrameReader::new(256, 3).unwrap();
    let mut n = 0;
    while let Some(frame) = r.read_frame(b).await.unwrap() {
        let (data, nfds) = &frames[n];
        assert_eq!(frame.data, &data[..], "frame {n}");
        let fds: Vec<OwnedFd> = frame.fds.into_owned().collect();
        assert_eq!(ids(&fds), ids(&files[..*nfds]), "frame {n}'s descriptors");
        n += 1;
    }
    assert_eq!(r.pending(), (0, 0));
    n
}

#[test]
fn frames_written_a_byte_at_a_time_by_another_thread() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path(), 3);
    let frames = split_frames();
    let before = open_fds();
    let rt = runtime();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let watch = b.try_clone().unwrap();
    let (pieces, frames_read) = std::thread::scope(|s| {
        // Every byte a separate write; the descriptors on each frame's first
        // byte. After each one the writer waits (no sleep: it asks the
        // kernel) until the reader has taken it, so the reader sees every
        // piece alone and waits between them with a partial frame.
        let writer = s.spawn(|| {
            let mut pieces = 0;
            for (data, nfds) in &frames {
                let mut wire = (data.len() as u32).to_ne_bytes().to_vec();
                wire.extend_from_slice(data);
                for (k, byte) in wire.iter().enumerate() {
                    if k == 0 && *nfds > 0 {
                        let fds: Vec<BorrowedFd<'_>> = files[..*nfds].iter().map(|f| f.as_fd()).collect();
                        assert_eq!(fds::send_fds(a.as_fd(), &[*byte], &fds).unwrap(), 1);
                    } else {
                        assert_eq!(io::send(a.as_fd(), &[*byte], 0).unwrap(), 1);
                    }
                    pieces += 1;
                    while io::pending(watch.as_fd()).unwrap() > 0 {
                        std::thread::yield_now();
                    }
                }
            }
            drop(a);
            pieces
        });
        let frames_read = rt.block_on(async {
            let b = UnixStream::from_std(b).unwrap();
            read_all(&b, &frames, &files).await
        });
        (writer.join().unwrap(), frames_read)
    });
    assert_eq!(frames_read, frames.len());
    assert_eq!(pieces, frames.iter().map(|(d, _)| 4 + d.len()).sum::<usize>());
    drop((watch, rt));
    assert_eq!(open_fds(), before, "descriptors leaked");
}

#[test]
fn frames_written_a_byte_at_a_time_by_another_task() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path(), 3);
    let frames = split_frames();
    let before = open_fds();
    runtime().block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let watch = b.as_fd().try_clone_to_owned().unwrap();
        let reader = read_all(&b, &frames, &files);
        // One byte a write, as above; between writes the writer waits for
        // the reader to take the byte (yielding to it on this one thread).
        let writer = async {
            for (data, nfds) in &frames {
                let mut wire = (data.len() as u32).to_ne_bytes().to_vec();
                wire.extend_from_slice(data);
                for (k, byte) in wire.iter().enumerate() {
                    let fds: Vec<BorrowedFd<'_>> =
                        if k == 0 { files[..*nfds].iter().map(|f| f.as_fd()).collect() } else { Vec::new() };
                    if fds.is_empty() {
                        a.writable().await.unwrap();
                        assert_eq!(io::send(a.as_fd(), &[*byte], 0).unwrap(), 1);
                    } else {
                        assert_eq!(send_fds(&a, &[*byte], &fds).await.unwrap(), 1);
                    }
                    while io::pending(watch.as_fd()).unwrap() > 0 {
                        tokio::task::yield_now().await;
                    }
                }
            }
            drop(a);
        };
        let (n, ()) = tokio::join!(reader, writer);
        assert_eq!(n, frames.len());
    });
    assert_eq!(open_fds(), before, "descriptors leaked");
}

#[test]
fn a_cancelled_read_keeps_the_partial_frame_and_its_descriptors() {
    let _s = serial();
    let dir = tempfile::tempdir().unwrap();
    let files = files(dir.path(), 2);
    let before = open_fds();
    runtime().block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut wire = 10u32.to_ne_bytes().to_vec();
        wire.extend_from_slice(b"0123456789");
        let fds = [files[0].as_fd(), files[1].as_fd()];
        assert_eq!(send_fds(&a, &wire[..7], &fds).await.unwrap(), 7);

        let mut r = FrameReader::new(64, 2).unwrap();
        b.readable().await.unwrap();
        tokio::select! {
            biased;
            _ = r.read_frame(&b) => panic!("a frame from 3 of its 10 bytes"),
            () = std::future::ready(()) => {}
        }
        // The read took what had come and was dropped while waiting.
        assert_eq!(r.pending(), (7, 2));

        a.writable().await.unwrap();
        io::send_all(a.as_fd(), &wire[7..]).unwrap();
        let got: Vec<OwnedFd> = {
            let frame = r.read_frame(&b).await.unwrap().expect("the frame");
            assert_eq!(frame.data, b"0123456789");
            frame.fds.into_owned().collect()
        };
        assert_eq!(ids(&got), ids(&files[..]));
        drop(got);

        // The stream ends inside a frame: ECONNRESET (errno kept), its
        // descriptors closed.
        assert_eq!(send_fds(&a, &wire[..6], &fds[..1]).await.unwrap(), 6);
        drop(a);
        let e = r.read_frame(&b).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ECONNRESET), "{e}");
        assert_eq!(r.pending(), (0, 0));
    });
    assert_eq!(open_fds(), before, "descriptors leaked");
}

#[test]
fn errors_keep_the_errno() {
    let _s = serial();
    runtime().block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        // No descriptors: EINVAL, nothing sent.
        let e = send_fds(&a, b"x", &[]).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
        // A frame over the reader's limit: EMSGSIZE, then the next frame.
        let mut w = FrameWriter::new();
        w.send_frame(&a, &[7u8; 100]).await.unwrap();
        w.send_frame(&a, b"next").await.unwrap();
        let mut r = FrameReader::new(16, 0).unwrap();
        let e = r.read_frame(&b).await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EMSGSIZE), "{e}");
        assert_eq!(r.read_frame(&b).await.unwrap().expect("a frame").data, b"next");
        // The peer gone: EPIPE on send.
        drop(b);
        let e = w.send_frame(&a, b"lost").await.unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");
    });
}
