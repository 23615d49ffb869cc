//! The cleaning listener: it removes its socket file and lock on drop
//! (only the file it created), takes paths of any length and abstract
//! names through std's SocketAddr, and its options are a builder.

mod core_util;

use std::ffi::OsStr;
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};

use core_util::{abstract_name, temp_dir, Under};
use udsock::listener::{connect, connect_addr, Listener, ListenerOptions, SocketType};

fn lock_of(path: &Path) -> PathBuf {
    let mut l = path.as_os_str().to_owned();
    l.push(".lock");
    PathBuf::from(l)
}

#[test]
fn dropping_the_listener_removes_its_file_and_lock() {
    let dir = temp_dir("lst-drop");
    let path = dir.path().join("s.sock");
    let l = ListenerOptions::new().mode(0o600).replace_stale(true).backlog(4).bind(&path).unwrap();
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert!(lock_of(&path).exists());
    assert_eq!(l.path(), Some(path.as_path()));
    let c = UnixStream::connect(&path).unwrap();
    let _conn = l.accept().unwrap();
    drop(c);
    drop(l);
    assert!(!path.exists(), "the socket file outlived its listener");
    assert!(!lock_of(&path).exists(), "the lock file outlived its listener");
}

#[test]
fn a_file_put_in_its_place_is_left_alone() {
    let dir = temp_dir("lst-inode");
    let path = dir.path().join("s.sock");
    let l = Listener::bind(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"someone else's").unwrap();
    drop(l);
    assert_eq!(std::fs::read(&path).unwrap(), b"someone else's");
}

#[test]
fn a_stale_socket_is_replaced_only_when_asked() {
    let dir = temp_dir("lst-stale");
    let path = dir.path().join("s.sock");
    // A socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let e = Listener::bind(&path).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EADDRINUSE));
    let l = ListenerOptions::new().replace_stale(true).bind(&path).unwrap();
    let e = ListenerOptions::new().replace_stale(true).bind(&path).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EADDRINUSE), "a live socket is never replaced");
    l.close().unwrap();
    assert!(!path.exists());
}

#[test]
fn paths_longer_than_sun_path() {
    let dir = temp_dir("lst-long");
    let long = dir.long_path(300, 20, b's');
    let path = Path::new(OsStr::from_bytes(&long));
    let l = Listener::bind(path).unwrap();
    let c = connect(path).unwrap();
    let _conn = l.accept().unwrap();
    assert_eq!(l.path(), Some(path));
    drop((c, l));
    assert!(!core_util::exists(&long));
}

#[test]
fn abstract_names_through_std_socket_addr() {
    let name = abstract_name("lst");
    let addr = SocketAddr::from_abstract_name(&name).unwrap();
    let l = ListenerOptions::new().socket_type(SocketType::SeqPacket).bind_addr(&addr).unwrap();
    assert_eq!(l.path(), None);
    let c = connect_addr(&addr);
    // A stream client cannot reach a seqpacket listener.
    assert_eq!(c.unwrap_err().raw_os_error(), Some(libc::ECONNREFUSED));
    let l2 = ListenerOptions::new().bind_addr(&SocketAddr::from_abstract_name(abstract_name("lst")).unwrap()).unwrap();
    let local = l2.as_listener().unwrap().local_addr().unwrap();
    let c = connect_addr(&local).unwrap();
    assert!(l2.accept().is_ok());
    drop((c, l));
}

#[test]
fn datagram_and_nonblocking_options() {
    let dir = temp_dir("lst-dgram");
    let path = dir.path().join("d.sock");
    let l = ListenerOptions::new().socket_type(SocketType::Datagram).nonblocking(true).bind(&path).unwrap();
    assert!(l.as_listener().is_none());
    let d = l.as_datagram().unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(d.recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    UnixDatagram::unbound().unwrap().send_to(b"hi", &path).unwrap();
    assert_eq!(d.recv(&mut buf).unwrap(), 2);
    assert!(format!("{l:?}").contains(&l.as_raw_fd().to_string()));
    drop(l);
    assert!(!path.exists());
}

#[test]
fn bad_options_are_einval_and_leave_nothing() {
    let dir = temp_dir("lst-bad");
    let path = dir.path().join("s.sock");
    let e = ListenerOptions::new().mode(0o10000).bind(&path).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    let e = Listener::bind(OsStr::from_bytes(b"/tmp/a\0b")).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}
