//! The C layer's failures: the Rust library's [`udsock::Error`], or one of
//! its own (a NULL pointer, a bad length, a buffer too small), whose line
//! it writes itself. Neither allocates.

use std::fmt::{self, Write as _};

/// How many bytes of its own explanation the C layer keeps; longer text is
/// cut with `...`.
const CAPACITY: usize = 96;

/// A failure to report through errno and `uds_last_error()`.
pub(crate) enum Error {
    /// The Rust library's error: its errno and line.
    Core(udsock::Error),
    /// The C layer's own: an errno and a line it formatted.
    Own(Line),
}

/// The C layer's own error line, inline.
pub(crate) struct Line {
    errno: i32,
    len: u8,
    text: [u8; CAPACITY],
}

/// The C layer's result type.
pub(crate) type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of the C layer's own: errno `errno` and the text `args`.
    #[cold]
    pub(crate) fn new(errno: i32, args: fmt::Arguments<'_>) -> Error {
        let mut l = Line { errno, len: 0, text: [0; CAPACITY] };
        let _ = l.write_fmt(args);
        Error::Own(l)
    }

    /// The same error, its line preceded by `what` and a colon: which item
    /// of several it concerns (`msgs[4]`).
    #[cold]
    pub(crate) fn within(self, what: fmt::Arguments<'_>) -> Error {
        let mut l = Line { errno: self.errno(), len: 0, text: [0; CAPACITY] };
        let _ = l.write_fmt(format_args!("{what}: {self}"));
        Error::Own(l)
    }

    /// The errno it sets.
    pub(crate) fn errno(&self) -> i32 {
        match self {
            Error::Core(e) => e.errno(),
            Error::Own(l) => l.errno,
        }
    }

}

/// The line after the function's name; formatting it allocates nothing.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Core(e) => fmt::Display::fmt(e, f),
            // Only whole UTF-8 characters are ever written (see write_str).
            Error::Own(l) => f.write_str(std::str::from_utf8(&l.text[..l.len as usize]).unwrap_or("")),
        }
    }
}

impl From<udsock::Error> for Error {
    #[inline]
    fn from(e: udsock::Error) -> Error {
        Error::Core(e)
    }
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let used = self.len as usize;
        let room = CAPACITY - used;
        if s.len() <= room {
            self.text[used..used + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len() as u8;
            return Ok(());
        }
        // Cut on a character boundary and mark the cut.
        let mut cut = room.saturating_sub(3);
        while cut > 0 && !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.text[used..used + cut].copy_from_slice(&s.as_bytes()[..cut]);
        let end = used + cut;
        let dots = (CAPACITY - end).min(3);
        self.text[end..end + dots].copy_from_slice(&b"..."[..dots]);
        self.len = (end + dots) as u8;
        Err(fmt::Error)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("errno", &self.errno()).field("message", &format_args!("{self}")).finish()
    }
}

/// `Error::new` with format arguments.
macro_rules! err {
    ($errno:expr, $($arg:tt)+) => {
        $crate::error::Error::new($errno, format_args!($($arg)+))
    };
}

pub(crate) use err;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_char_boundary_with_a_mark() {
        let long = "é".repeat(400);
        let e = Error::new(22, format_args!("{long}"));
        assert!(e.to_string().ends_with("..."));
        assert!(e.to_string().len() <= CAPACITY);
        assert_eq!(e.errno(), 22);
    }
}
