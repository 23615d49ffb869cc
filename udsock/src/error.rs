//! The library's error: an errno and one line of text naming the cause and
//! the offending value, kept inline in 112 bytes so that a failure never
//! allocates (a failing `EAGAIN` in a tight loop stays cheap).
//!
//! Converting to [`std::io::Error`] keeps the errno
//! ([`raw_os_error`](std::io::Error::raw_os_error)), not the line: read
//! the line from the `Error` (its `Display`) first when you want it.
//!
//! ```
//! let e = udsock::socket::dial(b"/nonexistent/socket", libc::SOCK_STREAM).unwrap_err();
//! assert_eq!(e.errno(), libc::ENOENT);
//! assert!(e.to_string().contains("/nonexistent/socket"));
//! assert!(e.to_string().ends_with("No such file or directory"));
//! let io: std::io::Error = e.into();
//! assert_eq!(io.raw_os_error(), Some(libc::ENOENT));
//! ```

use std::fmt::{self, Write as _};

use crate::sys;

/// How many bytes of explanation an [`Error`] keeps; longer text is
/// shortened in the middle, marked with `...`. The system's description of the errno (for a failed
/// system call) is not stored: [`Display`](fmt::Display) adds it.
const CAPACITY: usize = 106;

/// A failed operation: the `errno` it maps to and a one-line explanation
/// naming the cause and the offending value. Small (112 bytes) and never
/// allocated for: the line is kept inline, and a failed system call's
/// `strerror` text is written only when the error is displayed.
#[derive(Clone)]
pub struct Error {
    errno: i32,
    /// Display appends `": "` and the system's description of `errno`.
    sys: bool,
    len: u8,
    buf: [u8; CAPACITY],
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// How many bytes of a line too long to keep whole are kept from its
/// start; the rest of the room holds its end, `...` marking the gap: the
/// start names the call and the descriptor, the end the cause and the
/// numbers, and the middle is usually the inside of a long path.
const HEAD: usize = 30;

/// Counts the bytes a line would take.
struct Count(usize);

impl fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// Writes a line of `total` bytes into an error: all of it when it fits,
/// else its first [`HEAD`] bytes, `...` and its last bytes (whole
/// characters only).
struct Window<'e> {
    e: &'e mut Error,
    pos: usize,
    tail_from: usize,
    marked: bool,
}

impl fmt::Write for Window<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.tail_from == 0 {
            self.e.push(s);
            return Ok(());
        }
        for (i, c) in s.char_indices() {
            let at = self.pos + i;
            if at + c.len_utf8() <= HEAD || at >= self.tail_from {
                self.e.push(c.encode_utf8(&mut [0; 4]));
            } else if !self.marked {
                self.marked = true;
                self.e.push("...");
            }
        }
        self.pos += s.len();
        Ok(())
    }
}

impl Error {
    fn empty(errno: i32, sys: bool) -> Error {
        Error { errno, sys, len: 0, buf: [0; CAPACITY] }
    }

    /// Appends `s`, which the caller made fit.
    fn push(&mut self, s: &str) {
        let used = self.len as usize;
        let n = s.len().min(CAPACITY - used);
        self.buf[used..used + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len = (used + n) as u8;
    }

    /// Sets the line: `args` formatted, shortened in the middle when it
    /// is longer than [`CAPACITY`] (formatted twice then: once to count).
    fn write_line(&mut self, args: fmt::Arguments<'_>) {
        let mut count = Count(0);
        let _ = count.write_fmt(args);
        let tail_from = if count.0 <= CAPACITY { 0 } else { count.0 - (CAPACITY - HEAD - 3) };
        let _ = Window { e: self, pos: 0, tail_from, marked: false }.write_fmt(args);
    }

    /// An error with errno `errno` and the text `args`.
    #[cold]
    pub(crate) fn new(errno: i32, args: fmt::Arguments<'_>) -> Error {
        let mut e = Error::empty(errno, false);
        e.write_line(args);
        e
    }

    /// A failed system call: `what` (the call and its argument), shown
    /// followed by the system's description of `errno`.
    #[cold]
    pub(crate) fn sys(errno: i32, what: fmt::Arguments<'_>) -> Error {
        let mut e = Error::empty(errno, true);
        e.write_line(what);
        e
    }

    /// The same error, its text preceded by `what` and a colon: which item
    /// of several it concerns (`msgs[4]`).
    #[cold]
    pub(crate) fn within(self, what: fmt::Arguments<'_>) -> Error {
        let mut e = Error::empty(self.errno, self.sys);
        e.write_line(format_args!("{what}: {}", self.text()));
        e
    }

    /// The `errno` value this error maps to (`libc::ENOENT`, ...).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The stored part of the line (without the system's description).
    fn text(&self) -> &str {
        // Only whole UTF-8 characters are ever written (see write_str).
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    /// The [`std::io::ErrorKind`] of its errno.
    pub fn kind(&self) -> std::io::ErrorKind {
        std::io::Error::from_raw_os_error(self.errno).kind()
    }
}

/// The one-line explanation: the cause and the offending value
/// (`connect fd 3 to "/run/x.sock": No such file or directory`). Writes
/// into the formatter only: nothing is allocated. The C library puts the
/// function's name before it.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())?;
        if self.sys {
            let mut buf = [0u8; 96];
            let n = sys::strerror(self.errno, &mut buf);
            f.write_str(": ")?;
            f.write_str(std::str::from_utf8(&buf[..n]).unwrap_or("unknown error"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("errno", &self.errno).field("message", &format_args!("{self}")).finish()
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
        const KEEP: usize = 20;
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
        if b.len() > 112 {
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
        assert!(e.to_string().contains("..."));
        assert!(e.to_string().len() <= CAPACITY);
        let short = Error::new(22, format_args!("{}", "é".repeat(20)));
        assert_eq!(short.to_string(), "é".repeat(20));
    }

    #[test]
    fn a_long_line_keeps_its_start_and_its_end() {
        let path = "p".repeat(300);
        let e = Error::new(22, format_args!("fd 3: its socket file {path} was already unlinked (value 108)"));
        let line = e.to_string();
        assert!(line.starts_with("fd 3: its socket file ppp") && line.ends_with("already unlinked (value 108)"), "{line}");
        assert!(line.contains("...") && line.len() <= CAPACITY, "{line}");
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
        assert_eq!(e.to_string(), "connect to \"/tmp/x\": Connection refused");
        assert_eq!(e.errno(), libc::ECONNREFUSED);
    }

    #[test]
    fn shown_escapes_and_shortens() {
        assert_eq!(Shown(b"a\0b\n").to_string(), "\"a\\x00b\\x0a\"");
        let s = Shown(&[b'x'; 4000]).to_string();
        assert!(s.contains("(4000 bytes)") && s.len() < 70);
    }

    #[test]
    fn an_error_is_small_enough_to_return_by_value() {
        assert_eq!(std::mem::size_of::<Error>(), 112);
        assert_eq!(std::mem::size_of::<Result<()>>(), 112);
    }

    #[test]
    fn within_keeps_the_system_description_lazy() {
        let e = Error::sys(libc::EPIPE, format_args!("send on fd 4")).within(format_args!("msgs[2]"));
        assert_eq!(e.to_string(), "msgs[2]: send on fd 4: Broken pipe");
    }
}
