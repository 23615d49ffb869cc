//! What the core's integration tests share: a private directory that is
//! removed afterwards, and pathnames of an exact length below it.

#![allow(dead_code)] // each test crate uses part of it

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh directory under the system's temporary directory, removed
/// (with everything in it) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("udsock-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `name` in the directory, as bytes.
    pub fn join(&self, name: &str) -> Vec<u8> {
        self.0.join(name).as_os_str().as_bytes().to_vec()
    }

    /// A pathname of exactly `total` bytes in the directory whose final
    /// component is `name_len` bytes of `c` (not created); the directories
    /// on the way (at most 200 bytes each) are.
    pub fn long_path(&self, total: usize, name_len: usize, c: u8) -> Vec<u8> {
        let mut p = self.0.as_os_str().as_bytes().to_vec();
        let mut left = total.checked_sub(p.len() + 1 + name_len).expect("room for the name");
        assert_ne!(left, 1, "a 1-byte remainder cannot be a directory");
        while left > 0 {
            let mut piece = left.min(201);
            if left - piece == 1 {
                piece -= 2;
            }
            p.push(b'/');
            p.extend(std::iter::repeat(b'd').take(piece - 1));
            left -= piece;
        }
        std::fs::create_dir_all(std::ffi::OsStr::from_bytes(&p)).unwrap();
        p.push(b'/');
        p.extend(std::iter::repeat(c).take(name_len));
        assert_eq!(p.len(), total);
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether anything exists at `path` (a final symlink not followed).
pub fn exists(path: &[u8]) -> bool {
    std::fs::symlink_metadata(std::ffi::OsStr::from_bytes(path)).is_ok()
}

/// A name unique to this process and call, for the machine-wide abstract
/// namespace.
pub fn abstract_name(tag: &str) -> Vec<u8> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    format!("udsock-{tag}-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)).into_bytes()
}
