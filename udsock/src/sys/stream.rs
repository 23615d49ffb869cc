//! What the resumable frame reader (`crate::stream`) needs from the
//! system beyond the rest of `sys`: [`FrameStore`], one zeroed allocation
//! that holds a reader's frame buffer and its descriptor slots, made once
//! when the reader is created (a failed allocation is reported, never an
//! abort). The writer sends with [`super::cmsg::sendv`].

use std::alloc::{self, Layout};
use std::mem::{self, size_of};
use std::os::fd::RawFd;

/// A frame buffer of `bytes` bytes followed by descriptor slots, in one
/// heap allocation of `RawFd` words (so the slots are aligned), zeroed.
pub struct FrameStore {
    words: Box<[RawFd]>,
    /// Words that hold the frame buffer: `bytes` rounded up.
    head: usize,
    bytes: usize,
}

impl FrameStore {
    /// Room for `bytes` bytes and `fds` slots; `None` when the sizes
    /// overflow or the allocation fails.
    pub fn new(bytes: usize, fds: usize) -> Option<FrameStore> {
        let head = bytes.checked_add(size_of::<RawFd>() - 1)? / size_of::<RawFd>();
        let n = head.checked_add(fds)?;
        let layout = Layout::array::<RawFd>(n).ok()?;
        let words: Box<[RawFd]> = if layout.size() == 0 {
            Box::default()
        } else {
            // SAFETY: the layout's size is not zero (checked above).
            let p = unsafe { alloc::alloc_zeroed(layout) }.cast::<RawFd>();
            if p.is_null() {
                return None;
            }
            // SAFETY: p was allocated by the global allocator with the
            // layout of an array of n RawFds, and is zeroed: n valid
            // RawFds (any bit pattern is a valid i32). The Box frees it
            // with that same layout.
            unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, n)) }
        };
        Some(FrameStore { words, head, bytes })
    }

    /// The frame buffer and the descriptor slots, apart.
    #[inline]
    pub fn parts(&mut self) -> (&mut [u8], &mut [RawFd]) {
        let (head, slots) = self.words.split_at_mut(self.head);
        debug_assert!(self.bytes <= mem::size_of_val(head));
        // SAFETY: `head` holds head * 4 >= bytes initialised bytes; u8 has
        // no alignment requirement and every byte pattern is a valid i32,
        // so writing bytes through the view is sound; the view borrows
        // `head` mutably, disjoint from `slots`.
        let buf = unsafe { std::slice::from_raw_parts_mut(head.as_mut_ptr().cast::<u8>(), self.bytes) };
        (buf, slots)
    }

    /// How many bytes the frame buffer holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many descriptor slots there are.
    pub fn slots(&self) -> usize {
        self.words.len() - self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_splits_into_bytes_and_slots() {
        for (bytes, fds) in [(0, 0), (0, 3), (1, 0), (5, 2), (64, 1), (4096, 253)] {
            let mut s = FrameStore::new(bytes, fds).unwrap();
            assert_eq!((s.bytes(), s.slots()), (bytes, fds));
            let (buf, slots) = s.parts();
            assert_eq!((buf.len(), slots.len()), (bytes, fds));
            assert!(buf.iter().all(|&b| b == 0) && slots.iter().all(|&f| f == 0));
            buf.fill(0xff);
            slots.fill(7);
            let (buf, slots) = s.parts();
            assert!(buf.iter().all(|&b| b == 0xff) && slots.iter().all(|&f| f == 7));
        }
        assert!(FrameStore::new(usize::MAX, 1).is_none());
        assert!(FrameStore::new(usize::MAX / 2, 0).is_none());
    }
}
