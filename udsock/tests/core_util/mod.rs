//! What the core's integration tests share: pathnames of an exact length
//! below a private directory (`tempfile`'s), and abstract names.

#![allow(dead_code)] // each test crate uses part of it

use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicU32, Ordering};

/// A private directory under the system's temporary directory, removed
/// (with everything in it) when dropped: `tempfile`'s.
pub fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("udsock-{tag}-")).tempdir().unwrap()
}

/// Pathnames below a test's directory, as the bytes the core takes.
pub trait Under {
    /// `name` in the directory, as bytes.
    fn name(&self, name: &str) -> Vec<u8>;
    /// A pathname of exactly `total` bytes in the directory whose final
    /// component is `name_len` bytes of `c` (not created); the directories
    /// on the way (at most 200 bytes each) are.
    fn long_path(&self, total: usize, name_len: usize, c: u8) -> Vec<u8>;
}

impl Under for tempfile::TempDir {
    fn name(&self, name: &str) -> Vec<u8> {
        self.path().join(name).as_os_str().as_bytes().to_vec()
    }

    fn long_path(&self, total: usize, name_len: usize, c: u8) -> Vec<u8> {
        let mut p = self.path().as_os_str().as_bytes().to_vec();
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
