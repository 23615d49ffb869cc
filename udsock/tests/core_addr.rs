//! Addresses through the Rust API, where it says more than `uds_addr` can:
//! the whole of a long path (not its first 108 bytes), byte strings with a
//! NUL that no C string can carry, and the `Display` of an address.

mod core_util;

use std::os::fd::AsFd;

use core_util::{abstract_name, exists, temp_dir, Under};
use udsock::addr::{Addr, AddrKind, Address, MAX_ABSTRACT_NAME, MAX_DIRECT_PATH, MAX_PATH};
use udsock::socket;

const LENGTHS: [usize; 4] = [107, 108, 200, 4000];

#[test]
fn local_addr_is_the_whole_path_at_every_length() {
    let dir = temp_dir("core-addr");
    for len in LENGTHS {
        let path = dir.long_path(len, 60, b's');
        let fd = socket::socket(libc::SOCK_STREAM).unwrap();
        socket::bind(fd.as_fd(), &path).unwrap();
        let a: Addr = socket::local_addr(fd.as_fd()).unwrap();
        assert_eq!(a.kind(), AddrKind::Pathname);
        assert_eq!(a.name(), &path[..], "{len} bytes");
        assert_eq!(a.to_string().as_bytes(), &path[..]);
        // Still the real path once the file is gone: the socket stays bound.
        socket::unlink(fd.as_fd()).unwrap();
        assert!(!exists(&path));
        assert_eq!(socket::local_addr(fd.as_fd()).unwrap().name(), &path[..]);
        socket::close(fd).unwrap();
    }
}

#[test]
fn pathnames_with_a_nul_or_empty_are_einval_everywhere() {
    let dir = temp_dir("core-addr-nul");
    let mut path = dir.name("a");
    let at = path.len();
    path.extend_from_slice(b"\0b");
    let fd = socket::socket(libc::SOCK_DGRAM).unwrap();
    for bad in [&path[..], b""] {
        let errs = [
            socket::bind(fd.as_fd(), bad).unwrap_err(),
            socket::connect(fd.as_fd(), bad).unwrap_err(),
            socket::listener(bad, libc::SOCK_STREAM, 0, -1, socket::REPLACE_STALE).unwrap_err(),
            socket::dial(bad, libc::SOCK_STREAM).unwrap_err(),
            socket::unlink_path(bad).unwrap_err(),
            udsock::io::sendto(fd.as_fd(), b"x", bad).unwrap_err(),
        ];
        for e in errs {
            assert_eq!(e.errno(), libc::EINVAL, "{e}");
        }
    }
    let e = socket::bind(fd.as_fd(), &path).unwrap_err();
    assert!(e.to_string().contains(&format!("NUL byte at offset {at}")), "{e}");
    assert!(!exists(&path[..at]));
}

#[test]
fn abstract_names_are_bytes_nul_included() {
    // A lone NUL, leading NULs and the longest name all work.
    let mut longest = abstract_name("core-addr-max");
    longest.resize(MAX_ABSTRACT_NAME, 0);
    let mut lead = b"\0\0".to_vec();
    lead.extend(abstract_name("core-addr-nul"));
    for name in [&lead[..], &longest[..]] {
        let srv = socket::socket(libc::SOCK_SEQPACKET).unwrap();
        socket::bind_abstract(srv.as_fd(), name).unwrap();
        socket::listen(srv.as_fd(), 0).unwrap();
        let a = socket::local_addr(srv.as_fd()).unwrap();
        assert_eq!((a.kind(), a.name()), (AddrKind::Abstract, name));
        let cli = socket::socket(libc::SOCK_SEQPACKET).unwrap();
        socket::connect_abstract(cli.as_fd(), name).unwrap();
        assert_eq!(socket::peer_addr(cli.as_fd()).unwrap().name(), name);
    }
    let fd = socket::socket(libc::SOCK_DGRAM).unwrap();
    longest.push(1);
    assert_eq!(socket::bind_abstract(fd.as_fd(), &longest).unwrap_err().errno(), libc::ENAMETOOLONG);
    assert_eq!(socket::bind_abstract(fd.as_fd(), b"").unwrap_err().errno(), libc::EINVAL);
}

#[test]
fn address_strings_and_display() {
    assert_eq!(Address::parse(b"@"), Address::Abstract(b""));
    assert_eq!(Address::parse(b"@a\0b"), Address::Abstract(b"a\0b"));
    assert_eq!(Address::parse(b"/run/x"), Address::Pathname(b"/run/x"));
    assert_eq!(Address::parse(b"x@y"), Address::Pathname(b"x@y"));
    assert_eq!((MAX_DIRECT_PATH, MAX_ABSTRACT_NAME, MAX_PATH), (107, 107, 4095));

    let (a, _b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let unnamed = socket::local_addr(a.as_fd()).unwrap();
    assert_eq!((unnamed.kind(), unnamed.to_string()), (AddrKind::Unnamed, "(unnamed)".to_owned()));

    let mut name = b"a\0\n\\".to_vec();
    name.extend(abstract_name("core-addr-show"));
    let fd = socket::socket(libc::SOCK_DGRAM).unwrap();
    socket::bind_abstract(fd.as_fd(), &name).unwrap();
    let shown = socket::local_addr(fd.as_fd()).unwrap().to_string();
    assert!(shown.starts_with("@a\\x00\\x0a\\x5cudsock-core-addr-show-"), "{shown}");
    assert!(!shown.contains('\n'));
}

#[test]
fn errors_are_one_line_and_keep_their_kind() {
    let dir = temp_dir("core-addr-err");
    let path = dir.long_path(3000, 20, b'q');
    let mut missing = path[..path.len() - 20].to_vec();
    missing.extend_from_slice(b"no\nsuch/x");
    let e = socket::dial(&missing, libc::SOCK_STREAM).unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    assert!(!e.to_string().contains('\n') && e.to_string().contains("no\\x0asuch"), "{e}");
    assert!(e.to_string().contains("bytes"), "a 3000-byte path is shortened: {e}");
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}
