//! No heap allocation in the C ABI's descriptor, credential and frame
//! calls, even when they fail (the error line is the thread's buffer): a
//! counting global allocator watches the calls, in this crate's unit-test
//! binary (counting is per thread and switched on around each call only,
//! so the tests running beside it do not count). The Rust library's own
//! calls are watched in udsock/tests/ancillary_alloc.rs.

use std::fs::File;
use std::os::fd::AsRawFd;

use udsock::socket;

#[macro_use]
#[path = "../udsock/tests/common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::counted;

use crate::fds::{uds_recv_creds, uds_recv_fds, uds_send_creds, uds_send_fds};
use crate::frame_fds::{uds_recv_frame_fds, uds_send_frame_fds};
use crate::socket::uds_close;

#[test]
fn the_c_frame_calls_never_allocate_even_when_they_fail() {
    let dev_null = File::open("/dev/null").unwrap();
    let (a, b) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let (a, b) = (a.as_raw_fd(), b.as_raw_fd());
    let sent = [dev_null.as_raw_fd(); 8];
    let mut got = [-1; 8];
    let mut buf = [0u8; 16];
    let mut len = 0usize;
    // Every pointer is to a live local of the stated length.
    {
        no_alloc!("uds_send_frame_fds", assert_eq!(uds_send_frame_fds(a, b"x".as_ptr().cast(), 1, sent.as_ptr(), 8), 0));
        let mut n = 8;
        let r = no_alloc!("uds_recv_frame_fds", uds_recv_frame_fds(b, buf.as_mut_ptr().cast(), 16, &mut len, got.as_mut_ptr(), &mut n));
        assert_eq!((r, len, n), (1, 1, 8));
        got.iter().for_each(|&fd| assert_eq!(uds_close(fd), 0));
        uds_send_frame_fds(a, b"x".as_ptr().cast(), 1, sent.as_ptr(), 8);
        let mut n = 2;
        let r = no_alloc!("uds_recv_frame_fds (EXFULL)", uds_recv_frame_fds(b, buf.as_mut_ptr().cast(), 16, &mut len, got.as_mut_ptr(), &mut n));
        assert_eq!((r, n), (-1, 0));
        uds_send_frame_fds(a, [1u8; 32].as_ptr().cast(), 32, sent.as_ptr(), 2);
        let mut n = 8;
        let r = no_alloc!("uds_recv_frame_fds (EMSGSIZE)", uds_recv_frame_fds(b, buf.as_mut_ptr().cast(), 16, &mut len, got.as_mut_ptr(), &mut n));
        assert_eq!((r, n, len), (-1, 0, 32));
        no_alloc!("uds_send_frame_fds (EINVAL)", assert_eq!(uds_send_frame_fds(a, b"x".as_ptr().cast(), 1, sent.as_ptr(), 300), -1));
    }
}

#[test]
fn the_c_abi_never_allocates_even_when_it_fails() {
    let dev_null = File::open("/dev/null").unwrap();
    let (a, b) = socket::socketpair(libc::SOCK_SEQPACKET).unwrap();
    let (a, b) = (a.as_raw_fd(), b.as_raw_fd());
    let sent = [dev_null.as_raw_fd(); 8];
    let mut got = [-1; 8];
    let mut buf = [0u8; 16];
    // Every pointer is to a live local of the stated length.
    {
        no_alloc!("uds_send_fds", assert_eq!(uds_send_fds(a, b"x".as_ptr().cast(), 1, sent.as_ptr(), 8), 1));
        let mut n = 8;
        no_alloc!("uds_recv_fds", assert_eq!(uds_recv_fds(b, buf.as_mut_ptr().cast(), 16, got.as_mut_ptr(), &mut n), 1));
        assert_eq!(n, 8);
        got.iter().for_each(|&fd| assert_eq!(uds_close(fd), 0));
        // Failures fill the thread's last-error line: still no allocation.
        no_alloc!("uds_send_fds (EINVAL)", assert_eq!(uds_send_fds(a, std::ptr::null(), 1, sent.as_ptr(), 0), -1));
        no_alloc!("uds_send_fds (EBADF)", assert_eq!(uds_send_fds(a, b"x".as_ptr().cast(), 1, [-1].as_ptr(), 1), -1));
        uds_send_fds(a, b"x".as_ptr().cast(), 1, sent.as_ptr(), 8);
        let mut n = 2;
        no_alloc!("uds_recv_fds (EXFULL)", assert_eq!(uds_recv_fds(b, buf.as_mut_ptr().cast(), 16, got.as_mut_ptr(), &mut n), -1));
        assert_eq!(n, 0);
        no_alloc!("uds_send_creds", assert_eq!(uds_send_creds(a, b"c".as_ptr().cast(), 1, std::ptr::null()), 1));
        let mut c = [0u32; 3];
        no_alloc!("uds_recv_creds", assert_eq!(uds_recv_creds(b, buf.as_mut_ptr().cast(), 16, (&mut c as *mut [u32; 3]).cast()), 1));
        assert_eq!(c[0], std::process::id());
    }
}

#[test]
fn the_counter_sees_allocations() {
    let (b, n) = counted(|| Box::new(7u64));
    assert_eq!((*b, n), (7, 1));
    let (_, n) = counted(|| format!("{}", 12345).len());
    assert!(n >= 1);
}
