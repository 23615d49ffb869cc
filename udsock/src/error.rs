//! The library's error: an errno and one line of text naming the cause and
//! the offending value, kept inline so that a failure never allocates (a
//! failing `EAGAIN` in a tight loop stays cheap). The storage is built so
//! that the inline part can shrink, longer lines going to the heap, once
//! the receive paths' longest lines are made short enough (`INLINE`).
//!
//! Converting to [`std::io::Error`] keeps the errno
//! ([`raw_os_error`](std::io::Error::raw_os_error)), not the line: read
//! the line from the `Error` (its `Display`) first when you want it.
//!
//! ```
//! let e = udsock::socket::dial(b"/nonexistent/socket", libc::SOCK_STREAM).unwrap_err();
//! assert_eq!(e.errno(), libc::ENOENT);
//! assert!(e.message().contains("/nonexistent/socket"));
//! let io: std::io::Error = e.into();
//! assert_eq!(io.raw_os_error(), Some(libc::ENOENT));
//! ```

use std::fmt::{self, Write as _};

use crate::sys;

/// How many bytes of explanation an [`Error`] keeps at most; longer text is
/// cut with `...` (offending values such as 4000-byte paths are shortened).
const CAPACITY: usize = 240;

/// How many bytes of text are kept inline, without allocating.
const INLINE: usize = CAPACITY;

/// A failed operation: the `errno` it maps to and a one-line explanation
/// naming the cause and the offending value.
#[derive(Clone)]
pub struct Error {
    errno: i32,
    text: Text,
}

// Inline is the large one on purpose: the heap is for lines beyond it.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Text {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Formats an error's line: inline while it fits, then into a `String`.
struct Builder {
    len: usize,
    buf: [u8; INLINE],
    heap: Option<String>,
}

impl Builder {
    fn new() -> Builder {
        Builder { len: 0, buf: [0; INLINE], heap: None }
    }

    fn used(&self) -> usize {
        self.heap.as_ref().map_or(self.len, String::len)
    }

    fn finish(self, errno: i32) -> Error {
        let text = match self.heap {
            Some(s) => Text::Heap(s.into_boxed_str()),
            None => Text::Inline { len: self.len as u8, buf: self.buf },
        };
        Error { errno, text }
    }

    fn push(&mut self, s: &str) {
        if let Some(h) = &mut self.heap {
            h.push_str(s);
        } else if self.len + s.len() <= INLINE {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else {
            let mut h = String::with_capacity(CAPACITY);
            // Only whole UTF-8 characters are ever written.
            h.push_str(std::str::from_utf8(&self.buf[..self.len]).unwrap_or(""));
            h.push_str(s);
            self.heap = Some(h);
        }
    }
}

impl fmt::Write for Builder {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = CAPACITY - self.used();
        if s.len() <= room {
            self.push(s);
            return Ok(());
        }
        // Cut on a character boundary and mark the cut.
        let mut cut = room.saturating_sub(3);
        while cut > 0 && !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.push(&s[..cut]);
        let dots = (CAPACITY - self.used()).min(3);
        self.push(&"..."[..dots]);
        Err(fmt::Error)
    }
}

impl Error {
    /// An error with errno `errno` and the text `args`.
    pub(crate) fn new(errno: i32, args: fmt::Arguments<'_>) -> Error {
        let mut b = Builder::new();
        let _ = b.write_fmt(args);
        b.finish(errno)
    }

    /// A failed system call: `what` (the call and its argument) followed by
    /// the system's description of `errno`.
    pub(crate) fn sys(errno: i32, what: fmt::Arguments<'_>) -> Error {
        let mut b = Builder::new();
        let _ = b.write_fmt(what);
        let mut buf = [0u8; 96];
        let n = sys::strerror(errno, &mut buf);
        let _ = b.write_str(": ");
        if let Ok(s) = std::str::from_utf8(&buf[..n]) {
            let _ = b.write_str(s);
        }
        b.finish(errno)
    }

    /// The same error, its text preceded by `what` and a colon: which item
    /// of several it concerns (`msgs[4]`).
    #[cold]
    pub(crate) fn within(self, what: fmt::Arguments<'_>) -> Error {
        let mut b = Builder::new();
        let _ = b.write_fmt(what);
        let _ = b.write_str(": ");
        let _ = b.write_str(self.message());
        b.finish(self.errno)
    }

    /// The `errno` value this error maps to (`libc::ENOENT`, ...).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The one-line explanation: the cause and the offending value
    /// (`connect to "/run/x.sock": No such file or directory`). The C
    /// library puts the function's name before it.
    pub fn message(&self) -> &str {
        match &self.text {
            // Only whole UTF-8 characters are ever written (see Builder).
            Text::Inline { len, buf } => std::str::from_utf8(&buf[..*len as usize]).unwrap_or(""),
            Text::Heap(s) => s,
        }
    }

    /// The [`std::io::ErrorKind`] of its errno.
    pub fn kind(&self) -> std::io::ErrorKind {
        std::io::Error::from_raw_os_error(self.errno).kind()
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

/// Keeps the errno: `raw_os_error()` is `Some(e.errno())`, and nothing is
/// allocated. The line is not kept (an `io::Error` holds either an errno
/// or a custom payload, never both).
impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::from_raw_os_error(e.errno)
    }
}

/// Displays a byte string (a path or an abstract name) for an error
/// message: printable ASCII as is, anything else as `\xNN`, long values
/// shortened in the middle so that the line stays one line.
pub(crate) struct Shown<'a>(pub &'a [u8]);

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
        let short = Error::new(22, format_args!("{}", "é".repeat(20)));
        assert_eq!(short.message(), "é".repeat(20));
    }

    #[test]
    fn io_error_keeps_the_errno() {
        let e = Error::new(libc::EAGAIN, format_args!("recv on fd 3"));
        let io: std::io::Error = e.into();
        assert_eq!(io.raw_os_error(), Some(libc::EAGAIN));
        assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
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
