//! sd_notify through the Rust API: the datagram and descriptors that
//! arrive, for pathname (short and long) and abstract sockets, the errors
//! for values libsystemd refuses, and the watchdog variables. The
//! comparison with libsystemd itself is c-tests/unit/test_notify.c.

mod core_util;

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use core_util::{abstract_name, temp_dir, Under};
use udsock::fds::{recv_fds, FdBuf};
use udsock::notify::{self, notify_socket, watchdog_from};
use udsock::socket;

/// A datagram socket bound at `addr` ("/path" or "@name").
fn receiver(addr: &[u8]) -> OwnedFd {
    let s = socket::socket(libc::SOCK_DGRAM).unwrap();
    match addr.split_first() {
        Some((b'@', name)) => socket::bind_abstract(s.as_fd(), name).unwrap(),
        _ => socket::bind(s.as_fd(), addr).unwrap(),
    }
    s
}

/// The next datagram (without waiting) and the (dev, ino) of its descriptors.
fn take(s: &OwnedFd) -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut buf = vec![0u8; 4096];
    let mut slots = [0; 8];
    let mut fds = FdBuf::new(&mut slots);
    let n = recv_fds(s.as_fd(), &mut buf, &mut fds).unwrap();
    let ids = fds
        .into_owned()
        .map(|fd| {
            let m = File::from(fd).metadata().unwrap();
            (m.dev(), m.ino())
        })
        .collect();
    buf.truncate(n);
    (buf, ids)
}

fn id(f: &File) -> (u64, u64) {
    let m = f.metadata().unwrap();
    (m.dev(), m.ino())
}

#[test]
fn the_state_arrives_as_is_short_long_and_abstract() {
    let dir = temp_dir("notify");
    let null = File::open("/dev/null").unwrap();
    let me = File::open("/proc/self/exe").unwrap();
    let name = abstract_name("notify");
    let mut at = vec![b'@'];
    at.extend_from_slice(&name);
    for addr in [dir.name("n.sock"), dir.long_path(108, 8, b's'), dir.long_path(3000, 40, b's'), at] {
        let r = receiver(&addr);
        notify_socket(&addr, b"READY=1\nSTATUS=serving", &[]).unwrap();
        assert_eq!(take(&r), (b"READY=1\nSTATUS=serving".to_vec(), vec![]));
        notify_socket(&addr, b"FDSTORE=1\nFDNAME=two", &[null.as_fd(), me.as_fd()]).unwrap();
        assert_eq!(take(&r), (b"FDSTORE=1\nFDNAME=two".to_vec(), vec![id(&null), id(&me)]));
    }
}

#[test]
fn values_libsystemd_refuses_are_refused() {
    let dir = temp_dir("notify-bad");
    let errno = |socket: &[u8], state: &[u8]| notify_socket(socket, state, &[]).unwrap_err().errno();
    let good = dir.name("n.sock");
    let _r = receiver(&good);
    assert_eq!(errno(&good, b""), libc::EINVAL);
    for v in [&b""[..], b"/", b"@", b"relative.sock", b" /x"] {
        assert_eq!(errno(v, b"READY=1"), libc::EINVAL, "{v:?}");
    }
    assert_eq!(errno(b"vsock:2:1234", b"READY=1"), libc::EAFNOSUPPORT);
    assert_eq!(errno(&dir.name("missing.sock"), b"READY=1"), libc::ENOENT);
    let e = notify_socket(&dir.name("missing.sock"), b"READY=1", &[]).unwrap_err();
    assert!(e.to_string().contains("missing.sock"), "{e}");
    let null = File::open("/dev/null").unwrap();
    let many = vec![null.as_fd(); udsock::fds::MAX_FDS + 1];
    assert_eq!(notify_socket(&good, b"FDSTORE=1", &many).unwrap_err().errno(), libc::EINVAL);
}

#[test]
fn watchdog_values() {
    let us = |u: u64| Ok::<_, i32>(Some(Duration::from_micros(u)));
    let w = |u: &[u8], p: Option<&[u8]>| watchdog_from(Some(u), p).map_err(|e| e.errno());
    let own = std::process::id().to_string();
    assert_eq!(w(b"30000000", None), us(30_000_000));
    assert_eq!(w(b"30000000", Some(own.as_bytes())), us(30_000_000));
    assert_eq!(w(b"30000000", Some(format!(" +{own}").as_bytes())), us(30_000_000));
    assert_eq!(w(b"30000000", Some(b"1")), Ok(None));
    assert_eq!(w(b"0b11", None), us(3));
    assert_eq!(w(b"18446744073709551614", None), us(u64::MAX - 1));
    assert_eq!(w(b"0", None), Err(libc::EINVAL));
    assert_eq!(w(b"18446744073709551615", None), Err(libc::EINVAL));
    assert_eq!(w(b"18446744073709551616", None), Err(libc::ERANGE));
    assert_eq!(w(b"-5", None), Err(libc::ERANGE));
    assert_eq!(w(b"5x", None), Err(libc::EINVAL));
    assert_eq!(w(b"5", Some(b"0")), Err(libc::ERANGE));
    assert_eq!(w(b"5", Some(b"2147483648")), Err(libc::ERANGE));
    assert_eq!(w(b"5", Some(b"pid")), Err(libc::EINVAL));
    assert_eq!(watchdog_from(None, Some(b"garbage")).unwrap(), None);
}

/// The only test here that touches the environment (tests run in threads).
#[test]
fn the_environment_is_read_at_every_call() {
    let dir = temp_dir("notify-env");
    let path = dir.name("n.sock");
    let r = receiver(&path);
    std::env::remove_var(notify::NOTIFY_SOCKET);
    assert!(!notify::notify(b"READY=1").unwrap());
    std::env::set_var(notify::NOTIFY_SOCKET, std::ffi::OsStr::new(std::str::from_utf8(&path).unwrap()));
    assert!(notify::notify(b"READY=1").unwrap());
    assert_eq!(take(&r).0, b"READY=1");
    let null = File::open("/dev/null").unwrap();
    assert!(notify::notify_with_fds(b"FDSTORE=1", &[null.as_fd()]).unwrap());
    assert_eq!(take(&r), (b"FDSTORE=1".to_vec(), vec![id(&null)]));
    null.metadata().unwrap(); // still ours, still open
    std::env::set_var(notify::NOTIFY_SOCKET, "relative");
    assert_eq!(notify::notify(b"READY=1").unwrap_err().errno(), libc::EINVAL);
    std::env::remove_var(notify::NOTIFY_SOCKET);

    std::env::remove_var(notify::WATCHDOG_PID);
    std::env::remove_var(notify::WATCHDOG_USEC);
    assert_eq!(notify::watchdog_enabled().unwrap(), None);
    std::env::set_var(notify::WATCHDOG_USEC, "2000000");
    assert_eq!(notify::watchdog_enabled().unwrap(), Some(Duration::from_secs(2)));
    std::env::set_var(notify::WATCHDOG_PID, "1");
    assert_eq!(notify::watchdog_enabled().unwrap(), None);
    std::env::set_var(notify::WATCHDOG_PID, std::process::id().to_string());
    assert_eq!(notify::watchdog_enabled().unwrap(), Some(Duration::from_secs(2)));
    std::env::set_var(notify::WATCHDOG_USEC, "0");
    assert_eq!(notify::watchdog_enabled().unwrap_err().errno(), libc::EINVAL);
    std::env::remove_var(notify::WATCHDOG_PID);
    std::env::remove_var(notify::WATCHDOG_USEC);
}
