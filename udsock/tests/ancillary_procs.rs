//! Descriptors and credentials between two processes. The peer is this
//! test binary run again (`UDSOCK_PEER=<role>`, test `peer_process`) with
//! one end of a socketpair as its standard input: if it dies, the parent
//! reads end-of-file instead of waiting for ever, and nothing sleeps.

mod common;

use std::env;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{fdinfo, files, identity, open_fds, temp_dir};
use udsock::cred::{self, Cred};
use udsock::fds::{self, FdBuf, MAX_FDS};
use udsock::msg::{self, CTRUNC};
use udsock::{io, socket};

const COUNTS: [usize; 3] = [1, 16, MAX_FDS];
const TYPES: [(i32, &str); 3] =
    [(libc::SOCK_STREAM, "stream"), (libc::SOCK_DGRAM, "dgram"), (libc::SOCK_SEQPACKET, "seqpacket")];

/// Where file `i` of a set stands: the offset proves that a received
/// descriptor shares the sender's open file description (a fresh open of
/// the file would be at 0).
fn offset(i: usize) -> u64 {
    i as u64 + 3
}

/// Opens the files f0.. in `dir` (made by `common::files`), each at its
/// [`offset`].
fn open_at_offsets(dir: &Path, n: usize) -> Vec<File> {
    (0..n)
        .map(|i| {
            let mut f = File::options().read(true).write(true).open(dir.join(format!("f{i}"))).unwrap();
            f.seek(SeekFrom::Start(offset(i))).unwrap();
            f
        })
        .collect()
}

/// Checks received descriptors against files f0.. in `dir`.
fn check_received(dir: &Path, got: &[OwnedFd], what: &str) {
    for (i, fd) in got.iter().enumerate() {
        let want = identity(File::open(dir.join(format!("f{i}"))).unwrap().as_raw_fd());
        assert_eq!(identity(fd.as_raw_fd()), want, "{what}: fd {i} is another file");
        assert_eq!(fdinfo(fd.as_raw_fd(), "pos:"), offset(i).to_string(), "{what}: fd {i} is another description");
        assert!(common::cloexec(fd.as_raw_fd()), "{what}: fd {i} not close-on-exec");
    }
}

fn recv_set(sock: BorrowedFd<'_>, what: &str) -> (Vec<u8>, Vec<OwnedFd>) {
    let mut slots = [-1; MAX_FDS];
    let mut got = FdBuf::new(&mut slots);
    let mut buf = [0u8; 32];
    let n = fds::recv_fds(sock, &mut buf, &mut got).unwrap_or_else(|e| panic!("{what}: {e}"));
    (buf[..n].to_vec(), got.into_owned().collect())
}

/// The child's side. In an ordinary run (no `UDSOCK_PEER`) it does nothing.
#[test]
fn peer_process() {
    let Ok(role) = env::var("UDSOCK_PEER") else { return };
    let dir = env::var("UDSOCK_DIR").unwrap();
    let dir = Path::new(&dir);
    let stdin = std::io::stdin();
    let chan = stdin.as_fd();
    match role.as_str() {
        "send" => {
            let sent = open_at_offsets(dir, MAX_FDS);
            for n in COUNTS {
                let set: Vec<BorrowedFd<'_>> = sent[..n].iter().map(|f| f.as_fd()).collect();
                fds::send_fds(chan, n.to_string().as_bytes(), &set).unwrap();
            }
            cred::send_creds(chan, b"creds", None).unwrap();
            // A socketpair made here: its peer credentials are this process.
            let (mine, theirs) = socket::socketpair(libc::SOCK_STREAM).unwrap();
            fds::send_fd(chan, theirs.as_fd()).unwrap();
            drop(theirs);
            // Stay alive (so the pid stays ours) until the parent is done.
            let mut buf = [0u8; 8];
            let _ = io::recv(chan, &mut buf, 0);
            drop(mine);
        }
        "recv" => {
            for n in COUNTS {
                let (data, got) = recv_set(chan, "child");
                assert_eq!(data, n.to_string().as_bytes());
                assert_eq!(got.len(), n);
                check_received(dir, &got, &format!("child, {n} fds"));
            }
            let parent = std::os::unix::process::parent_id() as i32;
            assert_eq!(cred::peer_cred(chan).unwrap().pid, parent, "socketpair made by the parent");
            let mut buf = [0u8; 8];
            let (_, c) = cred::recv_creds(chan, &mut buf).unwrap();
            assert_eq!(c.pid, parent);
            io::send(chan, b"ok", 0).unwrap();
        }
        "rlimit" => {
            // Use up the descriptor table but for two slots.
            let mut hold = Vec::new();
            while let Ok(f) = File::open("/dev/null") {
                hold.push(f);
            }
            hold.truncate(hold.len() - 2);
            let before = open_fds();
            let mut slots = [-1; 8];
            let mut got = FdBuf::new(&mut slots);
            let mut buf = [0u8; 16];
            let e = fds::recv_fds(chan, &mut buf, &mut got).unwrap_err();
            assert_eq!(e.errno(), libc::EXFULL, "{e}");
            assert_eq!(open_fds(), before, "a descriptor leaked");
            // The connection is still usable. (Exactly 5 bytes: a plain read
            // would go on into the next message and drop its descriptors.)
            assert_eq!(io::recv(chan, &mut buf[..5], 0).unwrap(), 5);
            assert_eq!(&buf[..5], b"still");
            // recvmsg delivers the two that fit.
            let r = msg::recvmsg(chan, &mut buf, &mut got, 0).unwrap();
            assert_eq!((r.nfds(), r.flags() & CTRUNC, got.len()), (2, CTRUNC, 2));
            // (No slot is left to count them with: close them first.)
            drop(got);
            assert_eq!(open_fds(), before);
            io::send(chan, b"ok", 0).unwrap();
        }
        r => panic!("unknown role {r}"),
    }
}

/// Runs this binary as the peer with `chan` as its standard input.
fn spawn(role: &str, chan: OwnedFd, dir: &Path, nofile: Option<u32>) -> Child {
    let exe = env::current_exe().unwrap();
    let args = ["--exact", "peer_process", "--nocapture", "--test-threads=1", "-q"];
    let mut cmd = match nofile {
        None => Command::new(exe),
        Some(limit) => {
            let mut c = Command::new("sh");
            c.arg("-c").arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\"")).arg(exe);
            c
        }
    };
    cmd.args(args)
        .env("UDSOCK_PEER", role)
        .env("UDSOCK_DIR", dir)
        .stdin(Stdio::from(chan))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child, what: &str) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}: peer failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn descriptors_and_credentials_from_another_process() {
    let dir = temp_dir("from-child");
    drop(files(dir.path(), MAX_FDS));
    for (ty, name) in TYPES {
        let (mine, theirs) = socket::socketpair(ty).unwrap();
        let child = spawn("send", theirs, dir.path(), None);
        let pid = child.id() as i32;
        for n in COUNTS {
            let (data, got) = recv_set(mine.as_fd(), name);
            assert_eq!(data, n.to_string().as_bytes(), "{name}");
            assert_eq!(got.len(), n, "{name}");
            check_received(dir.path(), &got, &format!("{name}, {n} fds"));
        }
        // Exactly 5 bytes: on a stream, a longer read could run on into the
        // next message (same credentials) and drop its descriptor.
        let mut buf = [0u8; 5];
        let (len, c) = cred::recv_creds(mine.as_fd(), &mut buf).unwrap();
        assert_eq!(&buf[..len], b"creds");
        let me = Cred::own();
        assert_eq!(c, Cred { pid, uid: me.uid, gid: me.gid }, "{name}");

        let theirs = fds::recv_fd(mine.as_fd()).unwrap();
        assert_eq!(cred::peer_cred(theirs.as_fd()).unwrap(), Cred { pid, uid: me.uid, gid: me.gid }, "{name}");
        let pidfd = cred::peer_pidfd(theirs.as_fd()).unwrap();
        assert_eq!(fdinfo(pidfd.as_raw_fd(), "Pid:"), pid.to_string(), "{name}");
        io::send(mine.as_fd(), b"bye", 0).unwrap();
        drop(mine);
        finish(child, name);
        // The pidfd outlives the process and knows it has gone.
        assert_eq!(fdinfo(pidfd.as_raw_fd(), "Pid:"), "-1", "{name}");
    }
}

#[test]
fn descriptors_and_credentials_to_another_process() {
    let dir = temp_dir("to-child");
    drop(files(dir.path(), MAX_FDS));
    let sent = open_at_offsets(dir.path(), MAX_FDS);
    for (ty, name) in TYPES {
        let (mine, theirs) = socket::socketpair(ty).unwrap();
        let child = spawn("recv", theirs, dir.path(), None);
        for n in COUNTS {
            let set: Vec<BorrowedFd<'_>> = sent[..n].iter().map(|f| f.as_fd()).collect();
            fds::send_fds(mine.as_fd(), n.to_string().as_bytes(), &set).unwrap();
        }
        cred::send_creds(mine.as_fd(), b"c", None).unwrap();
        let mut buf = [0u8; 4];
        let n = io::recv(mine.as_fd(), &mut buf, 0).unwrap();
        finish(child, name);
        assert_eq!(&buf[..n], b"ok", "{name}");
    }
}

#[test]
fn a_receiver_out_of_descriptor_slots_gets_exfull_and_keeps_its_connection() {
    let dir = temp_dir("rlimit");
    let sent = files(dir.path(), 4);
    let set: Vec<BorrowedFd<'_>> = sent.iter().map(|f| f.as_fd()).collect();
    let (mine, theirs) = socket::socketpair(libc::SOCK_STREAM).unwrap();
    let child = spawn("rlimit", theirs, dir.path(), Some(64));
    fds::send_fds(mine.as_fd(), b"four", &set).unwrap();
    io::send(mine.as_fd(), b"still", 0).unwrap();
    fds::send_fds(mine.as_fd(), b"four", &set).unwrap();
    let mut buf = [0u8; 4];
    let n = io::recv(mine.as_fd(), &mut buf, 0).unwrap();
    finish(child, "rlimit");
    assert_eq!(&buf[..n], b"ok");
}
