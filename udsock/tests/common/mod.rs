//! Helpers the ancillary-data test binaries share.
#![allow(dead_code)] // each test binary uses its own part

use std::fs::{self, File};
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Tests that count open descriptors run one at a time within a binary.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many descriptors this process has open.
pub fn open_fds() -> usize {
    // The directory's own descriptor is counted every time: differences hold.
    fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A private directory under the system's temporary directory, removed
/// (with everything in it) when dropped: `tempfile`'s, so that a name is
/// never reused and a crash leaves nothing that a later run trips over.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("udsock-{tag}-")).tempdir().unwrap()
}

/// `n` distinct files in `dir`, opened read-write, each holding its index.
pub fn files(dir: &Path, n: usize) -> Vec<File> {
    (0..n)
        .map(|i| {
            let mut f = File::options().read(true).write(true).create(true).truncate(true).open(dir.join(format!("f{i}"))).unwrap();
            write!(f, "{i}").unwrap();
            f
        })
        .collect()
}

/// (st_dev, st_ino) of what a descriptor refers to.
pub fn identity(fd: RawFd) -> (u64, u64) {
    let m = fs::metadata(format!("/proc/self/fd/{fd}")).unwrap();
    (m.dev(), m.ino())
}

/// A line of `/proc/self/fdinfo/<fd>`, such as `flags:` or `Pid:`.
pub fn fdinfo(fd: RawFd, key: &str) -> String {
    let text = fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no {key} in fdinfo of {fd}:\n{text}"))
}

/// Whether a descriptor is close-on-exec (`O_CLOEXEC` in fdinfo's flags).
pub fn cloexec(fd: RawFd) -> bool {
    let flags = u32::from_str_radix(&fdinfo(fd, "flags:"), 8).unwrap();
    flags & libc::O_CLOEXEC as u32 != 0
}

/// Checks that `got[i]` is the same open file description as `sent[i]`:
/// same file, close-on-exec, and a write through one moves the other's
/// offset.
pub fn same_files(sent: &[File], got: &[OwnedFd]) {
    assert_eq!(sent.len(), got.len());
    for (i, (f, g)) in sent.iter().zip(got).enumerate() {
        assert_eq!(identity(f.as_raw_fd()), identity(g.as_raw_fd()), "fd {i}: another file");
        assert!(cloexec(g.as_raw_fd()), "fd {i}: not close-on-exec");
    }
    // Shared offsets (a fresh open of the same file would not share one):
    // the first and the last are enough.
    for &i in &[0, sent.len() - 1] {
        let pos = |fd: RawFd| fdinfo(fd, "pos:").parse::<u64>().unwrap();
        let before = pos(sent[i].as_raw_fd());
        // A dup shares the open file description, so it writes at its offset.
        File::from(got[i].try_clone().unwrap()).write_all(b"+").unwrap();
        assert_eq!(pos(sent[i].as_raw_fd()), before + 1, "fd {i}: offset not shared");
    }
}

/// The effective uid, from /proc (no libc call needed).
pub fn euid() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}
