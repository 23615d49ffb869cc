//! Descriptors, credentials, general messages and batches within one
//! process (ancillary_procs.rs does the same across processes). Every test
//! holds `serial()`, so that counts of open descriptors mean something.

mod common;

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use common::{cloexec, euid, fdinfo, files, identity, open_fds, same_files, serial, temp_dir};
use udsock::cred::{self, Cred};
use udsock::fds::{self, FdBuf, MAX_FDS};
use udsock::msg::{self, Inbox, Message, CRED, CTRUNC, TRUNC};
use udsock::{io, socket};

const TYPES: [(i32, &str); 3] =
    [(libc::SOCK_STREAM, "stream"), (libc::SOCK_DGRAM, "dgram"), (libc::SOCK_SEQPACKET, "seqpacket")];

fn pair(ty: i32) -> (OwnedFd, OwnedFd) {
    socket::socketpair(ty).unwrap()
}

fn borrow(files: &[File]) -> Vec<BorrowedFd<'_>> {
    files.iter().map(|f| f.as_fd()).collect()
}

#[test]
fn one_sixteen_and_253_fds_on_every_socket_type() {
    let _s = serial();
    let dir = temp_dir("fds");
    let sent = files(dir.path(), MAX_FDS);
    for (ty, name) in TYPES {
        for n in [1, 16, MAX_FDS] {
            let (a, b) = pair(ty);
            let before = open_fds();
            let data = format!("{name}-{n}");
            assert_eq!(fds::send_fds(a.as_fd(), data.as_bytes(), &borrow(&sent[..n])).unwrap(), data.len());
            let mut slots = [-1; MAX_FDS];
            let mut got = FdBuf::new(&mut slots);
            let mut buf = [0u8; 64];
            let len = fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap();
            assert_eq!(&buf[..len], data.as_bytes(), "{name} {n}");
            assert_eq!(got.len(), n, "{name} {n}");
            let got: Vec<OwnedFd> = got.into_owned().collect();
            same_files(&sent[..n], &got);
            drop(got);
            assert_eq!(open_fds(), before, "{name} {n}: descriptors leaked");
        }
    }
}

#[test]
fn counts_outside_1_to_253_are_einval() {
    let _s = serial();
    let (a, _b) = pair(libc::SOCK_DGRAM);
    let f = File::open("/dev/null").unwrap();
    let many = vec![f.as_fd(); MAX_FDS + 1];
    assert_eq!(fds::send_fds(a.as_fd(), b"x", &many).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(fds::send_fds(a.as_fd(), b"x", &[]).unwrap_err().errno(), libc::EINVAL);
    let m = Message { data: b"x", fds: &many, ..Message::default() };
    assert_eq!(msg::sendmsg(a.as_fd(), &m, 0).unwrap_err().errno(), libc::EINVAL);
    assert_eq!(msg::send_batch(a.as_fd(), &[m], 0).unwrap_err().errno(), libc::EINVAL);
    // Exactly the limit goes.
    assert_eq!(fds::send_fds(a.as_fd(), b"x", &many[..MAX_FDS]).unwrap(), 1);
}

/// Sends 8 descriptors where the receiver has room for 2.
fn send_eight(ty: i32) -> (OwnedFd, OwnedFd, Vec<File>, tempfile::TempDir) {
    let dir = temp_dir("ctrunc");
    let sent = files(dir.path(), 8);
    let (a, b) = pair(ty);
    fds::send_fds(a.as_fd(), b"eight", &borrow(&sent)).unwrap();
    (a, b, sent, dir)
}

#[test]
fn ctrunc_in_the_simple_call_closes_all_and_fails_exfull() {
    let _s = serial();
    for (ty, name) in TYPES {
        let (a, b, _sent, _dir) = send_eight(ty);
        let before = open_fds();
        let mut slots = [-1; 2];
        let mut got = FdBuf::new(&mut slots);
        let mut buf = [0u8; 16];
        let e = fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap_err();
        assert_eq!(e.errno(), libc::EXFULL, "{name}: {e}");
        assert_eq!(got.len(), 0, "{name}");
        drop(got);
        assert_eq!(open_fds(), before, "{name}: descriptors leaked");
        // The connection is still usable.
        io::send(a.as_fd(), b"after", 0).unwrap();
        assert_eq!(io::recv(b.as_fd(), &mut buf, 0).unwrap(), 5, "{name}");
    }
}

#[test]
fn ctrunc_in_recvmsg_delivers_what_fits_and_sets_the_flag() {
    let _s = serial();
    for (ty, name) in TYPES {
        let (_a, b, sent, _dir) = send_eight(ty);
        let before = open_fds();
        let mut slots = [-1; 2];
        let mut got = FdBuf::new(&mut slots);
        let mut buf = [0u8; 16];
        let r = msg::recvmsg(b.as_fd(), &mut buf, &mut got, 0).unwrap();
        assert_eq!((r.len(), &buf[..r.len()]), (5, &b"eight"[..]), "{name}");
        assert_eq!(r.flags() & CTRUNC, CTRUNC, "{name}");
        assert_eq!((r.nfds(), got.len()), (2, 2), "{name}");
        assert_eq!(open_fds(), before + 2, "{name}: only the two delivered may be open");
        let got: Vec<OwnedFd> = got.into_owned().collect();
        same_files(&sent[..2], &got);
        drop(got);
        assert_eq!(open_fds(), before, "{name}");
    }
}

#[test]
fn passcred_on_never_pushes_descriptors_out() {
    let _s = serial();
    let dir = temp_dir("passcred");
    let sent = files(dir.path(), MAX_FDS);
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        cred::set_passcred(b.as_fd(), true).unwrap();
        let before = open_fds();
        let m = Message { data: b"all", fds: &borrow(&sent), cred: Some(Cred::own()), to: None };
        msg::sendmsg(a.as_fd(), &m, 0).unwrap();
        let mut slots = [-1; MAX_FDS];
        let mut got = FdBuf::new(&mut slots);
        let mut buf = [0u8; 8];
        let r = msg::recvmsg(b.as_fd(), &mut buf, &mut got, 0).unwrap();
        assert_eq!(r.flags(), CRED, "{name}: no truncation, credentials present");
        assert_eq!(r.cred(), Some(Cred::own()), "{name}");
        let got: Vec<OwnedFd> = got.into_owned().collect();
        same_files(&sent, &got);
        drop(got);
        // The simple call too.
        fds::send_fds(a.as_fd(), b"again", &borrow(&sent)).unwrap();
        let mut slots = [-1; MAX_FDS];
        let mut got = FdBuf::new(&mut slots);
        assert_eq!(fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap(), 5, "{name}");
        assert_eq!(got.len(), MAX_FDS, "{name}");
        drop(got);
        assert_eq!(open_fds(), before, "{name}");
    }
}

#[test]
fn a_plain_recv_gets_the_data_and_leaves_no_descriptor() {
    let _s = serial();
    let dir = temp_dir("plain");
    let sent = files(dir.path(), 16);
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        let before = open_fds();
        fds::send_fds(a.as_fd(), b"data", &borrow(&sent)).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(io::recv(b.as_fd(), &mut buf, 0).unwrap(), 4, "{name}");
        assert_eq!(&buf[..4], b"data");
        assert_eq!(open_fds(), before, "{name}: a descriptor was left behind");
    }
}

#[test]
fn the_stream_barrier_of_unix7() {
    let _s = serial();
    // unix(7): 4 bytes, then 1 byte with descriptors, then 4 bytes; reads
    // of 20 bytes get 5 bytes with the descriptors, then 4.
    let (a, b) = pair(libc::SOCK_STREAM);
    let f = File::open("/dev/null").unwrap();
    io::send(a.as_fd(), b"1234", 0).unwrap();
    fds::send_fds(a.as_fd(), b"5", &[f.as_fd()]).unwrap();
    io::send(a.as_fd(), b"6789", 0).unwrap();
    let mut slots = [-1; 4];
    let mut got = FdBuf::new(&mut slots);
    let mut buf = [0u8; 20];
    assert_eq!(fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap(), 5);
    assert_eq!(&buf[..5], b"12345");
    assert_eq!(got.len(), 1);
    assert_eq!(identity(got.get(0).unwrap().as_raw_fd()), identity(f.as_raw_fd()));
    drop(got);
    let mut slots = [-1; 4];
    let mut got = FdBuf::new(&mut slots);
    assert_eq!(fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap(), 4);
    assert_eq!((&buf[..4], got.len()), (&b"6789"[..], 0));
}

#[test]
fn two_descriptor_carrying_sends_are_never_merged() {
    let _s = serial();
    let (a, b) = pair(libc::SOCK_STREAM);
    let dir = temp_dir("merge");
    let sent = files(dir.path(), 2);
    fds::send_fds(a.as_fd(), b"one", &[sent[0].as_fd()]).unwrap();
    fds::send_fds(a.as_fd(), b"two", &[sent[1].as_fd()]).unwrap();
    for (i, want) in [&b"one"[..], b"two"].into_iter().enumerate() {
        let mut slots = [-1; 4];
        let mut got = FdBuf::new(&mut slots);
        let mut buf = [0u8; 20];
        let n = fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap();
        assert_eq!((&buf[..n], got.len()), (want, 1));
        assert_eq!(identity(got.as_raw()[0]), identity(sent[i].as_raw_fd()));
    }
}

#[test]
fn an_empty_payload_travels_as_one_carrier_byte_on_a_stream() {
    let _s = serial();
    let f = File::open("/dev/null").unwrap();
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        assert_eq!(fds::send_fds(a.as_fd(), b"", &[f.as_fd()]).unwrap(), 0, "{name}");
        let mut slots = [-1; 1];
        let mut got = FdBuf::new(&mut slots);
        let mut buf = [7u8; 4];
        let n = fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap();
        let want: &[u8] = if ty == libc::SOCK_STREAM { b"\0" } else { b"" };
        assert_eq!((&buf[..n], got.len()), (want, 1), "{name}");
    }
}

#[test]
fn recv_fd_wants_exactly_one() {
    let _s = serial();
    let f = File::open("/dev/null").unwrap();
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        fds::send_fd(a.as_fd(), f.as_fd()).unwrap();
        let got = fds::recv_fd(b.as_fd()).unwrap();
        assert_eq!(identity(got.as_raw_fd()), identity(f.as_raw_fd()), "{name}");
        assert!(cloexec(got.as_raw_fd()));
        drop(got);

        let before = open_fds();
        // The whole message goes, on a stream too: the next call starts
        // at the next message.
        io::send(a.as_fd(), b"no fd", 0).unwrap();
        assert_eq!(fds::recv_fd(b.as_fd()).unwrap_err().errno(), libc::EBADMSG, "{name}: no descriptor");
        fds::send_fds(a.as_fd(), b"one", &[f.as_fd()]).unwrap();
        drop(fds::recv_fd(b.as_fd()).unwrap());
        fds::send_fds(a.as_fd(), b"y", &[f.as_fd(), f.as_fd()]).unwrap();
        assert_eq!(fds::recv_fd(b.as_fd()).unwrap_err().errno(), libc::EBADMSG, "{name}: two descriptors");
        fds::send_fds(a.as_fd(), b"z", &vec![f.as_fd(); MAX_FDS]).unwrap();
        assert_eq!(fds::recv_fd(b.as_fd()).unwrap_err().errno(), libc::EBADMSG, "{name}: 253 descriptors");
        assert_eq!(open_fds(), before, "{name}: descriptors leaked");
        if ty != libc::SOCK_DGRAM {
            drop(a);
            assert_eq!(fds::recv_fd(b.as_fd()).unwrap_err().errno(), libc::ECONNRESET, "{name}: EOF");
        }
    }
}

#[test]
fn a_peek_gets_the_data_and_never_installs_descriptors() {
    let _s = serial();
    let dir = temp_dir("peek");
    let sent = files(dir.path(), 3);
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        fds::send_fds(a.as_fd(), b"peek", &borrow(&sent)).unwrap();
        let before = open_fds();
        let mut slots = [-1; 4];
        let mut got = FdBuf::new(&mut slots);
        let mut buf = [0u8; 8];
        let r = msg::recvmsg(b.as_fd(), &mut buf, &mut got, libc::MSG_PEEK).unwrap();
        assert_eq!((&buf[..r.len()], r.nfds(), r.flags()), (&b"peek"[..], 0, CTRUNC), "{name}");
        drop(got);
        let mut inbox = [Inbox::new(&mut buf, &mut slots)];
        assert_eq!(msg::recv_batch(b.as_fd(), &mut inbox, libc::MSG_PEEK).unwrap(), 1, "{name}");
        assert_eq!((inbox[0].fds().len(), inbox[0].received().unwrap().flags()), (0, CTRUNC), "{name}");
        drop(inbox);
        assert_eq!(open_fds(), before, "{name}: a peek installed descriptors");
        // The message is still there, descriptors and all.
        let mut slots = [-1; 4];
        let mut got = FdBuf::new(&mut slots);
        assert_eq!(fds::recv_fds(b.as_fd(), &mut buf, &mut got).unwrap(), 4, "{name}");
        let got: Vec<OwnedFd> = got.into_owned().collect();
        same_files(&sent, &got);
    }
}

#[test]
fn credentials_are_the_senders() {
    let _s = serial();
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        assert_eq!(cred::peer_cred(a.as_fd()).unwrap(), Cred::own(), "{name}");
        // Explicit credentials arrive even though SO_PASSCRED was off when
        // they were sent.
        cred::send_creds(a.as_fd(), b"c", None).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(cred::recv_creds(b.as_fd(), &mut buf).unwrap(), (1, Cred::own()), "{name}");
        // Now that it is on, the kernel attaches them to plain sends too.
        io::send(a.as_fd(), b"p", 0).unwrap();
        assert_eq!(cred::recv_creds(b.as_fd(), &mut buf).unwrap(), (1, Cred::own()), "{name}");
    }
}

#[test]
fn a_message_queued_before_passcred_carries_none() {
    let _s = serial();
    for (ty, name) in TYPES {
        let (a, b) = pair(ty);
        io::send(a.as_fd(), b"early", 0).unwrap();
        let mut buf = [0u8; 8];
        let (n, c) = cred::recv_creds(b.as_fd(), &mut buf).unwrap();
        assert_eq!((n, c), (5, Cred::NONE), "{name}");
        assert_eq!(c, Cred { pid: 0, uid: u32::MAX, gid: u32::MAX });
        // And recvmsg reports none: no CRED flag.
        io::send(a.as_fd(), b"x", 0).unwrap();
        let mut slots = [-1; 1];
        let mut got = FdBuf::new(&mut slots);
        let r = msg::recvmsg(b.as_fd(), &mut buf, &mut got, 0).unwrap();
        assert_eq!((r.flags() & CRED, r.cred()), (CRED, Some(Cred::own())), "{name}: passcred is on now");
    }
}

#[test]
fn forged_credentials_are_refused_by_the_kernel() {
    let _s = serial();
    let (a, _b) = pair(libc::SOCK_DGRAM);
    let me = Cred::own();
    // A pid that cannot exist: beyond any pid_max.
    let ghost = Cred { pid: 1 << 23, ..me };
    let e = cred::send_creds(a.as_fd(), b"x", Some(ghost)).unwrap_err();
    if euid() == 0 {
        // CAP_SYS_ADMIN may claim any pid, but it must exist.
        assert_eq!(e.errno(), libc::ESRCH, "{e}");
    } else {
        assert_eq!(e.errno(), libc::EPERM, "{e}");
        let root = Cred { uid: 0, ..me };
        assert_eq!(cred::send_creds(a.as_fd(), b"x", Some(root)).unwrap_err().errno(), libc::EPERM);
    }
}

#[test]
fn peer_queries_need_a_peer() {
    let _s = serial();
    let lone = socket::socket(libc::SOCK_STREAM).unwrap();
    assert_eq!(cred::peer_cred(lone.as_fd()).unwrap_err().errno(), libc::ENOTCONN);
    assert_eq!(cred::peer_pidfd(lone.as_fd()).unwrap_err().errno(), libc::ENOTCONN);
    let dir = temp_dir("peer");
    let path = dir.path().join("l.sock");
    let l = socket::listener(path.to_str().unwrap().as_bytes(), libc::SOCK_STREAM, 0, -1, 0).unwrap();
    let e = cred::peer_cred(l.as_fd()).unwrap_err();
    assert_eq!(e.errno(), libc::ENOTCONN, "{e}");
    assert_eq!(cred::peer_groups(l.as_fd(), &mut []).unwrap_err().errno(), libc::ENOTCONN);
    let c = socket::dial(path.to_str().unwrap().as_bytes(), libc::SOCK_STREAM).unwrap();
    let s = socket::accept(l.as_fd(), 0).unwrap();
    assert_eq!(cred::peer_cred(s.as_fd()).unwrap(), Cred::own());
    assert_eq!(cred::peer_cred(c.as_fd()).unwrap(), Cred::own());
}

#[test]
fn the_peer_pidfd_names_the_peer_process() {
    let _s = serial();
    let (a, _b) = pair(libc::SOCK_STREAM);
    let pidfd = cred::peer_pidfd(a.as_fd()).unwrap();
    assert_eq!(fdinfo(pidfd.as_raw_fd(), "Pid:"), std::process::id().to_string());
    assert!(cloexec(pidfd.as_raw_fd()));
}

#[test]
fn groups_and_security_label() {
    let _s = serial();
    let (a, _b) = pair(libc::SOCK_STREAM);
    let n = cred::peer_groups(a.as_fd(), &mut []).unwrap();
    let mut groups = vec![0u32; n];
    assert_eq!(cred::peer_groups(a.as_fd(), &mut groups).unwrap(), n);
    // Our own supplementary groups, as /proc reports them.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mut own: Vec<u32> = status.lines().find_map(|l| l.strip_prefix("Groups:")).unwrap()
        .split_whitespace().map(|g| g.parse().unwrap()).collect();
    own.sort();
    groups.sort();
    assert_eq!(groups, own);

    let mut label = [0u8; 256];
    match cred::peer_security(a.as_fd(), &mut label) {
        Ok(len) => {
            assert!(len < label.len() && label[len] == 0);
            let mut mine = String::new();
            File::open("/proc/self/attr/current").unwrap().read_to_string(&mut mine).unwrap();
            assert_eq!(std::str::from_utf8(&label[..len]).unwrap(), mine.trim_end_matches(['\n', '\0']));
        }
        Err(e) => assert_eq!(e.errno(), libc::ENOPROTOOPT, "{e}"),
    }
}

#[test]
fn datagrams_report_truncation_and_their_sender() {
    let _s = serial();
    let dir = temp_dir("trunc");
    let path = dir.path().join("r.sock");
    let r = socket::listener(path.to_str().unwrap().as_bytes(), libc::SOCK_DGRAM, 0, -1, 0).unwrap();
    let s = socket::socket(libc::SOCK_DGRAM).unwrap();
    socket::bind_abstract(s.as_fd(), format!("udsock-test-{}", std::process::id()).as_bytes()).unwrap();
    let to = udsock::addr::Address::Pathname(path.to_str().unwrap().as_bytes());
    let m = Message { data: b"0123456789", to: Some(to), ..Message::default() };
    assert_eq!(msg::sendmsg(s.as_fd(), &m, 0).unwrap(), 10);
    let mut buf = [0u8; 4];
    let mut got = FdBuf::new(&mut []);
    let rcv = msg::recvmsg(r.as_fd(), &mut buf, &mut got, 0).unwrap();
    assert_eq!((rcv.len(), rcv.flags()), (4, TRUNC));
    assert_eq!(&buf, b"0123");
    assert_eq!(rcv.from().name(), format!("udsock-test-{}", std::process::id()).as_bytes());
    // With MSG_TRUNC the full length is returned.
    msg::sendmsg(s.as_fd(), &m, 0).unwrap();
    let rcv = msg::recvmsg(r.as_fd(), &mut buf, &mut got, libc::MSG_TRUNC).unwrap();
    assert_eq!((rcv.len(), rcv.bytes(), rcv.flags()), (4, 10, TRUNC));
}

#[test]
fn batches_of_64_arrive_in_order_and_byte_exact() {
    let _s = serial();
    let dir = temp_dir("batch");
    let sent = files(dir.path(), 3);
    let fdsets: Vec<Vec<BorrowedFd<'_>>> = (0..64).map(|i| borrow(&sent[..i % 4])).collect();
    for (ty, name) in [(libc::SOCK_DGRAM, "dgram"), (libc::SOCK_SEQPACKET, "seqpacket")] {
        let (a, b) = pair(ty);
        cred::set_passcred(b.as_fd(), true).unwrap();
        let before = open_fds();
        let payloads: Vec<Vec<u8>> = (0..64u8).map(|i| (0..=i).map(|k| k ^ i).collect()).collect();
        let msgs: Vec<Message<'_>> = (0..64)
            .map(|i| Message {
                data: &payloads[i],
                fds: &fdsets[i],
                cred: (i % 2 == 0).then(Cred::own),
                to: None,
            })
            .collect();
        assert_eq!(msg::send_batch(a.as_fd(), &msgs, 0).unwrap(), 64, "{name}");

        let mut bufs = vec![[0u8; 80]; 64];
        let mut slots = vec![[-1; 4]; 64];
        let mut inboxes: Vec<Inbox<'_>> =
            bufs.iter_mut().zip(slots.iter_mut()).map(|(d, s)| Inbox::new(&mut d[..], &mut s[..])).collect();
        assert_eq!(msg::recv_batch(b.as_fd(), &mut inboxes, 0).unwrap(), 64, "{name}");
        for (i, m) in inboxes.iter().enumerate() {
            let r = m.received().unwrap();
            assert_eq!(&m.data()[..r.len()], &payloads[i][..], "{name} message {i}");
            assert_eq!(r.flags() & !CRED, 0, "{name} message {i}");
            assert_eq!(r.cred(), Some(Cred::own()), "{name} message {i}");
            assert_eq!(m.fds().len(), i % 4, "{name} message {i}");
            for (k, &fd) in m.fds().as_raw().iter().enumerate() {
                assert_eq!(identity(fd), identity(sent[k].as_raw_fd()), "{name} message {i} fd {k}");
            }
        }
        drop(inboxes);
        assert_eq!(open_fds(), before, "{name}: descriptors leaked");
    }
}

#[test]
fn batches_longer_than_one_system_call() {
    let _s = serial();
    let (a, b) = pair(libc::SOCK_SEQPACKET);
    let payloads: Vec<[u8; 2]> = (0..150u16).map(|i| i.to_ne_bytes()).collect();
    let msgs: Vec<Message<'_>> = payloads.iter().map(|p| Message { data: p, ..Message::default() }).collect();
    assert_eq!(msg::send_batch(a.as_fd(), &msgs, 0).unwrap(), 150);
    let mut bufs = vec![[0u8; 4]; 200];
    let mut inboxes: Vec<Inbox<'_>> = bufs.iter_mut().map(|d| Inbox::new(&mut d[..], &mut [])).collect();
    assert_eq!(msg::recv_batch(b.as_fd(), &mut inboxes, libc::MSG_WAITFORONE).unwrap(), 150);
    for (i, m) in inboxes.iter().take(150).enumerate() {
        assert_eq!(m.data()[..2], (i as u16).to_ne_bytes());
    }
    assert!(inboxes[150].received().is_none());
    // Nothing queued: a non-blocking batch fails with EAGAIN.
    let e = msg::recv_batch(b.as_fd(), &mut inboxes, libc::MSG_DONTWAIT).unwrap_err();
    assert_eq!(e.errno(), libc::EAGAIN);
}
