//! No heap allocation on the send and receive paths of descriptors,
//! credentials, messages and batches: a counting global allocator watches
//! the calls (and only them: counting is switched on around each call, and
//! each thread counts its own allocations, so the tests running beside it
//! do not). Its own binary, so nothing else shares the allocator.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};

use udsock::cred::{self, Cred};
use udsock::fds::{self, FdBuf, MAX_FDS};
use udsock::frame::{self, Frame};
use udsock::msg::{self, Inbox, Message};
use udsock::socket;

#[macro_use]
#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::counted;

#[test]
fn the_rust_api_never_allocates() {
    let dev_null = File::open("/dev/null").unwrap();
    let set: Vec<BorrowedFd<'_>> = vec![dev_null.as_fd(); MAX_FDS];
    let mut buf = [0u8; 64];
    for ty in [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_SEQPACKET] {
        let (a, b) = socket::socketpair(ty).unwrap();
        let (a, b) = (a.as_fd(), b.as_fd());
        no_alloc!("set_passcred", cred::set_passcred(b, true).unwrap());

        no_alloc!("send_fds", fds::send_fds(a, b"253", &set).unwrap());
        let mut slots = [-1; MAX_FDS];
        let mut got = FdBuf::new(&mut slots);
        no_alloc!("recv_fds", fds::recv_fds(b, &mut buf, &mut got).unwrap());
        no_alloc!("FdBuf::into_owned", got.into_owned().for_each(drop));

        // Truncation: the error path (EXFULL) must not allocate either.
        no_alloc!("send_fds", fds::send_fds(a, b"", &set[..8]).unwrap());
        let mut slots = [-1; 2];
        let mut got = FdBuf::new(&mut slots);
        let e = no_alloc!("recv_fds (EXFULL)", fds::recv_fds(b, &mut buf, &mut got).unwrap_err());
        assert_eq!(e.errno(), libc::EXFULL);

        no_alloc!("send_fd", fds::send_fd(a, dev_null.as_fd()).unwrap());
        no_alloc!("recv_fd", drop(fds::recv_fd(b).unwrap()));

        no_alloc!("send_creds", cred::send_creds(a, b"c", None).unwrap());
        let (_, c) = no_alloc!("recv_creds", cred::recv_creds(b, &mut buf).unwrap());
        assert_eq!(c, Cred::own());
        no_alloc!("peer_cred", cred::peer_cred(a).unwrap());
        no_alloc!("peer_pidfd", drop(cred::peer_pidfd(a).unwrap()));
        no_alloc!("peer_groups", cred::peer_groups(a, &mut [0u32; 64]).unwrap());

        let m = Message { data: b"msg", fds: &set[..3], cred: Some(Cred::own()), to: None };
        no_alloc!("sendmsg", msg::sendmsg(a, &m, 0).unwrap());
        let mut slots = [-1; 2];
        let mut got = FdBuf::new(&mut slots);
        let r = no_alloc!("recvmsg (CTRUNC)", msg::recvmsg(b, &mut buf, &mut got, 0).unwrap());
        assert_eq!(r.nfds(), 2);
        no_alloc!("FdBuf drop", drop(got));

        if ty != libc::SOCK_STREAM {
            let batch = [m; 64];
            assert_eq!(no_alloc!("send_batch", msg::send_batch(a, &batch, 0).unwrap()), 64);
            let mut data = [[0u8; 8]; 64];
            let mut slots = [[-1; 3]; 64];
            let mut inboxes: Vec<Inbox<'_>> =
                data.iter_mut().zip(slots.iter_mut()).map(|(d, s)| Inbox::new(&mut d[..], &mut s[..])).collect();
            assert_eq!(no_alloc!("recv_batch", msg::recv_batch(b, &mut inboxes, 0).unwrap()), 64);
            no_alloc!("Inbox drop", drop(inboxes));
        }
    }
    frames_with_descriptors_never_allocate(&set);
    pidfds_never_allocate(&set);
}

/// Per-message pidfds, the general call included.
fn pidfds_never_allocate(set: &[BorrowedFd<'_>]) {
    let (a, b) = socket::socketpair(libc::SOCK_DGRAM).unwrap();
    let (a, b) = (a.as_fd(), b.as_fd());
    if cred::set_passpidfd(b, true).is_err() {
        return; // a kernel before 6.5
    }
    let mut buf = [0u8; 16];
    no_alloc!("sendmsg", msg::sendmsg(a, &Message { data: b"p", fds: &set[..4], ..Message::default() }, 0).unwrap());
    let (n, p) = no_alloc!("recv_pidfd", cred::recv_pidfd(b, &mut buf).unwrap());
    assert!(n == 1 && p.is_some());
    no_alloc!("pidfd drop", drop(p));
    no_alloc!("sendmsg", msg::sendmsg(a, &Message { data: b"q", fds: &set[..4], ..Message::default() }, 0).unwrap());
    let mut slots = [-1; 2];
    let mut got = FdBuf::new(&mut slots);
    let (r, p) = no_alloc!("recvmsg_pidfd", msg::recvmsg_pidfd(b, &mut buf, &mut got, 0).unwrap());
    assert!(r.nfds() == 2 && p.is_some());
    no_alloc!("drops", drop((p, got)));
}

/// Frames that carry descriptors, their failures (EXFULL, EMSGSIZE,
/// ECONNRESET) included.
fn frames_with_descriptors_never_allocate(set: &[BorrowedFd<'_>]) {
    let (a_owned, b_owned) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let (a, b) = (a_owned.as_fd(), b_owned.as_fd());
    let mut buf = [0u8; 64];
    no_alloc!("send_frame_fds", frame::send_frame_fds(a, b"frame", &set[..3]).unwrap());
    let mut slots = [-1; 4];
    let mut got = FdBuf::new(&mut slots);
    assert_eq!(no_alloc!("recv_frame_fds", frame::recv_frame_fds(b, &mut buf, &mut got).unwrap()), Frame::Data(5));
    assert_eq!(got.len(), 3);
    no_alloc!("FdBuf drop", drop(got));
    no_alloc!("send_frame_fds", frame::send_frame_fds(a, b"frame", set).unwrap());
    let mut slots = [-1; 4];
    let mut got = FdBuf::new(&mut slots);
    let e = no_alloc!("recv_frame_fds (EXFULL)", frame::recv_frame_fds(b, &mut buf, &mut got).unwrap_err());
    assert_eq!((e.errno(), got.len()), (libc::EXFULL, 0));
    no_alloc!("send_frame_fds", frame::send_frame_fds(a, &[7u8; 100], &set[..2]).unwrap());
    let r = no_alloc!("recv_frame_fds (too large)", frame::recv_frame_fds(b, &mut buf, &mut got).unwrap());
    assert_eq!((r, got.len()), (Frame::TooLarge(100), 0));
    let r = no_alloc!("recv_frame (with fds)", {
        frame::send_frame_fds(a, b"x", &set[..2]).unwrap();
        frame::recv_frame(b, &mut buf).unwrap()
    });
    assert_eq!(r, Frame::Data(1));
    let prefix = 10u32.to_ne_bytes();
    no_alloc!("send_fds", fds::send_fds(a, &prefix, &set[..2]).unwrap());
    no_alloc!("close", drop(a_owned));
    let e = no_alloc!("recv_frame_fds (ECONNRESET)", frame::recv_frame_fds(b, &mut buf, &mut got).unwrap_err());
    assert_eq!(e.errno(), libc::ECONNRESET);
    drop(b_owned);

    // Non-blocking: the looks before a read or a send, and their EAGAIN
    // and EMSGSIZE.
    let (a, b) = socket::socketpair(libc::SOCK_STREAM | libc::SOCK_NONBLOCK).unwrap();
    let (a, b) = (a.as_fd(), b.as_fd());
    let e = no_alloc!("recv_frame (EAGAIN)", frame::recv_frame(b, &mut buf).unwrap_err());
    assert_eq!(e.errno(), libc::EAGAIN);
    no_alloc!("send_fds", fds::send_fds(a, &10u32.to_ne_bytes()[..1], &set[..1]).unwrap());
    no_alloc!("send", udsock::io::send(a, &10u32.to_ne_bytes()[1..], 0).unwrap());
    let e = no_alloc!("recv_frame_fds (EAGAIN mid-frame)", frame::recv_frame_fds(b, &mut buf, &mut got).unwrap_err());
    assert_eq!(e.errno(), libc::EAGAIN);
    let e = no_alloc!("recv_exact (EAGAIN)", udsock::io::recv_exact(b, &mut buf[..8]).unwrap_err());
    assert_eq!(e.errno(), libc::EAGAIN);
    no_alloc!("send_all", udsock::io::send_all(a, &[1u8; 10]).unwrap());
    assert_eq!(no_alloc!("recv_frame_fds", frame::recv_frame_fds(b, &mut buf, &mut got).unwrap()), Frame::Data(10));
    no_alloc!("FdBuf clear", got.clear());
    let e = no_alloc!("send_frame (EMSGSIZE)", frame::send_frame(a, &[0u8; 1 << 18]).unwrap_err());
    assert_eq!(e.errno(), libc::EMSGSIZE);
}

#[test]
fn the_counter_sees_allocations() {
    let (b, n) = counted(|| Box::new(7u64));
    assert_eq!((*b, n), (7, 1));
    let (_, n) = counted(|| format!("{}", 12345).len());
    assert!(n >= 1);
}
