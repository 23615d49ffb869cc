//! Interoperation with a peer nobody here wrote: CPython's own
//! `socket.send_fds`/`socket.recv_fds` and `SCM_CREDENTIALS` through
//! `socket.sendmsg`/`recvmsg`, in both directions, on every socket type.
//! The Python process gets one end of a socketpair as its standard input.

mod common;

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{fdinfo, files, identity, temp_dir};
use udsock::cred::{self, Cred};
use udsock::fds::{self, FdBuf, MAX_FDS};
use udsock::{io, socket};

const COUNTS: [usize; 3] = [1, 16, MAX_FDS];

/// Python opens f<i> at offset i + 3 and sends it; this side sends its own
/// f<i> at offset i + 5. A received descriptor at the sender's offset is
/// the sender's open file description (a fresh open would be at 0).
const PEER: &str = r#"
import os, socket, struct, sys
d = sys.argv[1]
s = socket.socket(fileno=0)
COUNTS = (1, 16, 253)

def fail(why):
    print(why, file=sys.stderr)
    s.send(b"FAIL " + why.encode())
    sys.exit(1)

# Python -> Rust: descriptors, then explicit credentials.
mine = []
for i in range(253):
    fd = os.open(os.path.join(d, "f%d" % i), os.O_RDWR)
    os.lseek(fd, i + 3, os.SEEK_SET)
    mine.append(fd)
for n in COUNTS:
    socket.send_fds(s, [str(n).encode()], mine[:n])
own = struct.pack("iII", os.getpid(), os.getuid(), os.getgid())
s.sendmsg([b"py"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, own)])

# Rust -> Python: descriptors, then credentials. (SO_PASSCRED goes on only
# after the descriptors: socket.recv_fds sizes its control buffer for the
# descriptors alone, so a credentials block would push 8 of 253 out, the
# very mistake libudsock's receives avoid. The credentials below are sent
# explicitly, so they arrive although it was off when they were queued.)
for n in COUNTS:
    msg, fds, flags, _ = socket.recv_fds(s, 64, 253)
    if msg != str(n).encode() or len(fds) != n or flags & socket.MSG_CTRUNC:
        fail("message %r: %d fds, flags %#x; expected %d" % (msg, len(fds), flags, n))
    for i, fd in enumerate(fds):
        if os.fstat(fd).st_ino != os.stat(os.path.join(d, "f%d" % i)).st_ino:
            fail("fd %d of %d: another file" % (i, n))
        if os.lseek(fd, 0, os.SEEK_CUR) != i + 5:
            fail("fd %d of %d: another open file description" % (i, n))
        os.close(fd)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
msg, anc, flags, _ = s.recvmsg(2, socket.CMSG_SPACE(12))
creds = [struct.unpack("iII", data[:12]) for (level, kind, data) in anc
         if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS]
if msg != b"us" or creds != [(os.getppid(), os.getuid(), os.getgid())]:
    fail("credentials %r with %r" % (creds, msg))
s.send(b"ok")
"#;

fn exchange(ty: i32, dir: &Path, ours: &[File]) {
    let (mine, theirs) = socket::socketpair(ty).unwrap();
    let child = Command::new("python3")
        .arg("-c")
        .arg(PEER)
        .arg(dir)
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match child {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: python3 is not installed; the Python interoperation test did not run");
            return;
        }
        r => r.unwrap(),
    };
    let pid = child.id() as i32;
    let outcome = catch_unwind(AssertUnwindSafe(move || {
        let sock = mine.as_fd();
        for n in COUNTS {
            let mut slots = [-1; MAX_FDS];
            let mut got = FdBuf::new(&mut slots);
            let mut buf = [0u8; 3];
            let len = fds::recv_fds(sock, &mut buf, &mut got).unwrap();
            assert_eq!(&buf[..len], n.to_string().as_bytes());
            let got: Vec<OwnedFd> = got.into_owned().collect();
            assert_eq!(got.len(), n);
            for (i, fd) in got.iter().enumerate() {
                let want = identity(File::open(dir.join(format!("f{i}"))).unwrap().as_raw_fd());
                assert_eq!(identity(fd.as_raw_fd()), want, "fd {i} of {n}: another file");
                assert_eq!(fdinfo(fd.as_raw_fd(), "pos:"), (i + 3).to_string(), "fd {i} of {n}");
                assert!(common::cloexec(fd.as_raw_fd()), "fd {i} of {n}: not close-on-exec");
            }
        }
        let mut buf = [0u8; 2];
        let (len, c) = cred::recv_creds(sock, &mut buf).unwrap();
        assert_eq!(&buf[..len], b"py");
        let me = Cred::own();
        assert_eq!(c, Cred { pid, uid: me.uid, gid: me.gid });

        for n in COUNTS {
            let set: Vec<BorrowedFd<'_>> = ours[..n].iter().map(|f| f.as_fd()).collect();
            fds::send_fds(sock, n.to_string().as_bytes(), &set).unwrap();
        }
        cred::send_creds(sock, b"us", None).unwrap();
        let mut reply = [0u8; 256];
        let len = io::recv(sock, &mut reply, 0).unwrap();
        assert_eq!(String::from_utf8_lossy(&reply[..len]), "ok");
    }));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Err(e) = outcome {
        let why = e.downcast_ref::<String>().map(String::as_str).or(e.downcast_ref::<&str>().copied()).unwrap_or("?");
        panic!("socket type {ty}: {why}\npython3 ({}):\n{stderr}", out.status);
    }
    assert!(out.status.success(), "python3 failed ({}):\n{stderr}", out.status);
}

#[test]
fn python_is_a_peer_in_both_directions() {
    let dir = temp_dir("python");
    drop(files(dir.path(), MAX_FDS));
    let ours: Vec<File> = (0..MAX_FDS)
        .map(|i| {
            let mut f = File::options().read(true).write(true).open(dir.path().join(format!("f{i}"))).unwrap();
            f.seek(SeekFrom::Start(i as u64 + 5)).unwrap();
            f
        })
        .collect();
    for ty in [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_SEQPACKET] {
        exchange(ty, dir.path(), &ours);
    }
}
