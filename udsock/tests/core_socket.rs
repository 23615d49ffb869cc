//! Sockets through the Rust API, where threads of one process share what
//! the C tests share between processes: the bound-socket table and the
//! `<path>.lock` of `REPLACE_STALE`.

mod core_util;

use std::os::fd::{AsFd, AsRawFd};
use std::sync::{Arc, Barrier};

use core_util::{exists, temp_dir, Under};
use udsock::socket::{self, REPLACE_STALE};

/// Two threads start a server on one stale path at once: exactly one binds,
/// the other gets EADDRINUSE. The winner then dies either way a server
/// does: a clean `close`, or a plain close(2) (`drop`) that leaves the
/// file (and, in this process's table, the lock) behind.
#[test]
fn replace_stale_race_between_threads() {
    let dir = temp_dir("core-race");
    let path = Arc::new(dir.long_path(300, 40, b'r'));
    // Stale to begin with: bound and closed without removal.
    drop(socket::listener(&path, libc::SOCK_STREAM, 0, -1, 0).unwrap());
    for round in 0..100 {
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (barrier, path) = (barrier.clone(), path.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    // The errno and the line: what the assertions need.
                    socket::listener(&path, libc::SOCK_STREAM, 0, 0o600, REPLACE_STALE)
                        .map_err(|e| (e.errno(), e.to_string()))
                })
            })
            .collect();
        let mut results: Vec<_> = racers.into_iter().map(|t| t.join().unwrap()).collect();
        results.sort_by_key(|r| r.is_err());
        let [won, lost] = <[_; 2]>::try_from(results).ok().unwrap();
        let won = won.unwrap_or_else(|e| panic!("round {round}: nobody bound: {e:?}"));
        assert_eq!(lost.unwrap_err().0, libc::EADDRINUSE, "round {round}");
        drop(socket::dial(&path, libc::SOCK_STREAM).expect("the winner listens"));
        if round % 2 == 0 {
            socket::close(won).unwrap();
            assert!(!exists(&path));
        } else {
            drop(won);
            assert!(exists(&path));
        }
    }
}

/// Many threads binding, unlinking and closing long paths at once: each
/// socket's file is removed by its own close and by no other.
#[test]
fn bound_socket_table_under_threads() {
    let dir = Arc::new(temp_dir("core-table"));
    let threads: Vec<_> = (0..8u8)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let path = dir.long_path(400, 30, b'a' + t);
                for i in 0..50 {
                    let ty = if i % 2 == 0 { libc::SOCK_STREAM } else { libc::SOCK_DGRAM };
                    let flags = if i % 3 == 0 { REPLACE_STALE } else { 0 };
                    let fd = socket::listener(&path, ty, 0, 0o600, flags).unwrap();
                    assert_eq!(socket::local_addr(fd.as_fd()).unwrap().name(), &path[..]);
                    if i % 4 == 0 {
                        socket::unlink(fd.as_fd()).unwrap();
                        assert!(!exists(&path));
                    }
                    socket::close(fd).unwrap();
                    assert!(!exists(&path), "thread {t} round {i}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A socket number reused after a plain close is a new socket: the table
/// does not take it for the old one, whatever it is bound to.
#[test]
fn a_dropped_listener_is_forgotten() {
    let dir = temp_dir("core-drop");
    let (first, second) = (dir.long_path(200, 30, b'f'), dir.long_path(200, 31, b's'));
    let fd = socket::listener(&first, libc::SOCK_STREAM, 0, -1, 0).unwrap();
    let raw = fd.as_raw_fd();
    drop(fd);
    let other = socket::socket(libc::SOCK_STREAM).unwrap();
    if other.as_raw_fd() == raw {
        assert_eq!(socket::unlink(other.as_fd()).unwrap_err().errno(), libc::EINVAL);
        socket::bind(other.as_fd(), &second).unwrap();
        socket::close(other).unwrap();
        assert!(exists(&first) && !exists(&second));
    }
    socket::unlink_path(&first).unwrap();
}

#[test]
fn types_and_flags() {
    for ty in [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_SEQPACKET] {
        socket::socket(ty | libc::SOCK_NONBLOCK).unwrap();
        for bad in [ty | libc::SOCK_CLOEXEC, ty | 0x4000_0000] {
            assert_eq!(socket::socket(bad).unwrap_err().errno(), libc::EINVAL);
        }
    }
    for bad in [0, libc::SOCK_RAW, libc::SOCK_RDM, -1] {
        assert_eq!(socket::socket(bad).unwrap_err().errno(), libc::EINVAL);
    }
    let (a, _b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    assert_eq!(socket::accept(a.as_fd(), libc::SOCK_CLOEXEC).unwrap_err().errno(), libc::EINVAL);
    // Linux would let a second autobind "succeed" and keep the first name.
    let d = socket::socket(libc::SOCK_DGRAM).unwrap();
    socket::autobind(d.as_fd()).unwrap();
    let name = socket::local_addr(d.as_fd()).unwrap();
    assert_eq!(socket::autobind(d.as_fd()).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(socket::local_addr(d.as_fd()).unwrap().name(), name.name());
}
