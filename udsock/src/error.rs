//! The library's error: an errno and one line of text, kept inline so that
//! reporting a failure never allocates (the idea of libgit2's static error
//! buffers) and a failing `EAGAIN` in a tight loop stays cheap.

use std::fmt::{self, Write as _};

use crate::sys;

/// How many bytes of explanation an [`Error`] keeps; longer text is cut
/// with `...` (offending values such as 4000-byte paths are shortened).
const CAPACITY: usize = 240;

/// A failed operation: the `errno` it maps to and a one-line explanation
/// naming the cause and the offending value.
#[derive(Clone)]
pub struct Error {
    errno: i32,
    len: u8,
    text: [u8; CAPACITY],
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with errno `errno` and the text `args`.
    pub fn new(errno: i32, args: fmt::Arguments<'_>) -> Error {
        let mut e = Error { errno, len: 0, text: [0; CAPACITY] };
        let _ = e.write_fmt(args);
        e
    }

    /// A failed system call: `what` (the call and its argument) followed by
    /// the system's description of `errno`.
    pub fn sys(errno: i32, what: fmt::Arguments<'_>) -> Error {
        let mut e = Error::new(errno, what);
        let mut buf = [0u8; 96];
        let n = sys::strerror(errno, &mut buf);
        let _ = e.write_str(": ");
        e.push_bytes(&buf[..n]);
        e
    }

    /// The same error, its text preceded by `what` and a colon: which item
    /// of several it concerns (`msgs[4]`).
    #[cold]
    pub fn within(self, what: fmt::Arguments<'_>) -> Error {
        let mut e = Error::new(self.errno, what);
        let _ = e.write_str(": ");
        let _ = e.write_str(self.message());
        e
    }

    /// The `errno` value this error maps to.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The explanation, without the function name the C layer puts first.
    pub fn message(&self) -> &str {
        // Only whole UTF-8 characters are ever written (see write_str).
        std::str::from_utf8(&self.text[..self.len as usize]).unwrap_or("")
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        if let Ok(s) = std::str::from_utf8(bytes) {
            let _ = self.write_str(s);
        }
    }
}

impl fmt::Write for Error {
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("errno", &self.errno).field("message", &self.message()).finish()
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(std::io::Error::from_raw_os_error(e.errno).kind(), e.message().to_owned())
    }
}

/// Displays a byte string (a path or an abstract name) for an error
/// message: printable ASCII as is, anything else as `\xNN`, long values
/// shortened in the middle so that the line stays one line.
pub struct Shown<'a>(pub &'a [u8]);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const KEEP: usize = 48;
        let b = self.0;
        let write = |f: &mut fmt::Formatter<'_>, part: &[u8]| -> fmt::Result {
            for &c in part {
                if (0x20..0x7f).contains(&c) && c != b'\\' && c != b'"' {
                    f.write_char(c as char)?;
                } else {
                    write!(f, "\\x{c:02x}")?;
                }
            }
            Ok(())
        };
        f.write_char('"')?;
        if b.len() > 2 * KEEP + 16 {
            write(f, &b[..KEEP])?;
            write!(f, "...({} bytes)...", b.len())?;
            write(f, &b[b.len() - KEEP..])?;
        } else {
            write(f, b)?;
        }
        f.write_char('"')
    }
}

/// `Error::new` with format arguments.
macro_rules! err {
    ($errno:expr, $($arg:tt)+) => {
        $crate::error::Error::new($errno, format_args!($($arg)+))
    };
}

/// `Error::sys` with format arguments.
macro_rules! sys_err {
    ($errno:expr, $($arg:tt)+) => {
        $crate::error::Error::sys($errno, format_args!($($arg)+))
    };
}

pub(crate) use {err, sys_err};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_char_boundary_with_a_mark() {
        let long = "é".repeat(400);
        let e = Error::new(22, format_args!("{long}"));
        assert!(e.message().ends_with("..."));
        assert!(e.message().len() <= CAPACITY);
    }

    #[test]
    fn sys_error_appends_strerror() {
        let e = Error::sys(libc::ECONNREFUSED, format_args!("connect to {}", Shown(b"/tmp/x")));
        assert_eq!(e.message(), "connect to \"/tmp/x\": Connection refused");
        assert_eq!(e.errno(), libc::ECONNREFUSED);
    }

    #[test]
    fn shown_escapes_and_shortens() {
        assert_eq!(Shown(b"a\0b\n").to_string(), "\"a\\x00b\\x0a\"");
        let s = Shown(&[b'x'; 4000]).to_string();
        assert!(s.contains("(4000 bytes)") && s.len() < 140);
    }
}
