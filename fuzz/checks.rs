//! The properties the fuzz targets check, shared with the replay test
//! (`tests/fuzz_corpus.rs`) that runs the committed corpus on every
//! `make check`, so a crash once found stays fixed.
#![allow(dead_code)] // each includer uses some of the checks

use std::ffi::{c_char, c_int};
use std::os::fd::AsFd;

use udsock::addr::{AddrKind, Address};
use udsock::frame::{recv_frame, Frame};
use udsock::socket;

#[repr(C)]
struct UdsAddr {
    kind: u32,
    len: u32,
    name: [c_char; 109],
}

extern "C" {
    fn uds_addr_format(a: *const UdsAddr, buf: *mut c_char, cap: usize) -> c_int;
}

/// Address strings as the convenience calls take them: parsing, binding
/// and connecting must give a clean error or succeed, never crash, and a
/// bound name must read back as what was asked for.
pub fn addr(data: &[u8]) {
    // Abstract names only: pathnames would litter the filesystem.
    let mut name = b"@".to_vec();
    name.extend_from_slice(data);
    let Ok(fd) = socket::socket(libc::SOCK_DGRAM) else { return };
    match Address::parse(&name) {
        Address::Abstract(n) => {
            if socket::bind_abstract(fd.as_fd(), n).is_ok() {
                let a = socket::local_addr(fd.as_fd()).expect("a bound socket has a name");
                assert_eq!(a.kind(), AddrKind::Abstract);
                assert_eq!(a.name(), n);
                let shown = a.to_string();
                assert!(shown.starts_with('@') && shown.bytes().all(|b| (0x20..0x7f).contains(&b)));
            } else {
                assert!(n.is_empty() || n.len() > 107);
            }
        }
        Address::Pathname(_) => unreachable!("starts with @"),
    }
    // Pathname validation without touching the filesystem: connect fails
    // cleanly whatever the bytes.
    let _ = socket::connect(fd.as_fd(), data);
}

/// `uds_addr_format` on arbitrary `uds_addr` contents and capacities: never
/// writes past `cap`, always NUL-terminates, returns what snprintf would.
pub fn addr_format(data: &[u8]) {
    if data.len() < 9 {
        return;
    }
    let mut a = UdsAddr { kind: u32::from(data[0] % 4), len: u32::from(data[1]), name: [0; 109] };
    let cap = usize::from(data[2]) % 300;
    for (d, s) in a.name.iter_mut().zip(&data[3..]) {
        *d = *s as c_char;
    }
    // A guard region past cap catches any overrun.
    let mut buf = vec![0x55u8 as c_char; cap + 64];
    // SAFETY: buf has at least cap bytes; a is a valid struct.
    let r = unsafe { uds_addr_format(&a, buf.as_mut_ptr(), cap) };
    assert!(buf[cap..].iter().all(|&b| b == 0x55u8 as c_char), "wrote past cap");
    if r >= 0 && cap > 0 {
        let r = r as usize;
        let nul = buf[..cap].iter().position(|&b| b == 0).expect("NUL-terminated");
        assert_eq!(nul, r.min(cap - 1));
    }
}

/// The frame reader fed an arbitrary byte stream: every call returns a
/// frame, a clean EOF, EMSGSIZE (frame dropped, stream in step) or
/// ECONNRESET (stream ended inside a frame), and the frames it returns are
/// exactly the ones the stream encodes.
pub fn frame(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let cap = usize::from(data[0]);
    let stream = &data[1..];
    let (a, b) = udsock::socket::socketpair(libc::SOCK_STREAM).unwrap();
    // The stream fits in the socket buffer (fuzz inputs are small): write
    // it all, then close the sending side.
    udsock::io::send_all(a.as_fd(), stream).unwrap();
    drop(a);

    // Model: walk the same bytes.
    let mut at = 0;
    let mut buf = vec![0u8; cap];
    loop {
        let r = recv_frame(b.as_fd(), &mut buf);
        if at == stream.len() {
            assert_eq!(r.unwrap(), Frame::Eof);
            return;
        }
        if stream.len() - at < 4 {
            assert_eq!(r.unwrap_err().errno(), libc::ECONNRESET);
            return;
        }
        let len = u32::from_ne_bytes(stream[at..at + 4].try_into().unwrap()) as usize;
        at += 4;
        if stream.len() - at < len {
            assert_eq!(r.unwrap_err().errno(), libc::ECONNRESET);
            return;
        }
        let body = &stream[at..at + len];
        at += len;
        match r.unwrap() {
            Frame::Data(n) => {
                assert!(len <= cap);
                assert_eq!(&buf[..n], body);
            }
            Frame::TooLarge(n) => {
                assert!(len > cap);
                assert_eq!(n, len);
            }
            Frame::Eof => panic!("EOF reported inside the stream"),
        }
    }
}
