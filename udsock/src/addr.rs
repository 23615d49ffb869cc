//! Unix-domain addresses: pathnames of any length, abstract names, and the
//! `"/path"` / `"@name"` strings the convenience calls take.
//!
//! A pathname that fits in `sun_path` (107 bytes and the terminator) is used
//! as it is. A longer one is reached through its parent directory: the
//! directory is opened with `O_PATH` and the socket is bound or connected to
//! `/proc/self/fd/N/<name>`, so only the final component has to fit.
//!
//! ```
//! use udsock::addr::Address;
//! assert!(matches!(Address::parse(b"@bus"), Address::Abstract(b"bus")));
//! assert!(matches!(Address::parse(b"/run/x.sock"), Address::Pathname(_)));
//! ```

use std::ffi::CStr;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use crate::error::{err, sys_err, Result, Shown};
use crate::sys::{self, RawAddr, EINVAL, ENAMETOOLONG, PATH_MAX, SUN_PATH_LEN};

/// The longest pathname `sun_path` holds with its terminator.
pub const MAX_DIRECT_PATH: usize = SUN_PATH_LEN - 1;
/// The longest abstract name (the first byte of `sun_path` is the NUL).
pub const MAX_ABSTRACT_NAME: usize = SUN_PATH_LEN - 1;
/// The longest pathname accepted (`PATH_MAX` less the terminator).
pub const MAX_PATH: usize = PATH_MAX - 1;

/// An address as the convenience calls spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Address<'a> {
    /// A filesystem path, of any length up to [`MAX_PATH`].
    Pathname(&'a [u8]),
    /// A name in Linux's abstract namespace (bytes, NULs allowed).
    Abstract(&'a [u8]),
}

impl<'a> Address<'a> {
    /// `"@name"` is the abstract name `name`; anything else is a pathname.
    pub fn parse(s: &'a [u8]) -> Address<'a> {
        match s.split_first() {
            Some((b'@', name)) => Address::Abstract(name),
            _ => Address::Pathname(s),
        }
    }
}

/// What kind of address a socket has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrKind {
    /// Not bound (or autobound to nothing, as a socketpair end).
    Unnamed = 0,
    /// A filesystem path.
    Pathname = 1,
    /// A name in the abstract namespace.
    Abstract = 2,
}

/// A socket's address as reported by getsockname/getpeername/recvfrom.
///
/// Holds the name inline; only a pathname longer than `sun_path` that the
/// library bound itself (and remembers) is kept on the heap.
#[derive(Clone)]
pub struct Addr {
    kind: AddrKind,
    len: usize,
    inline: [u8; SUN_PATH_LEN],
    long: Option<Box<[u8]>>,
}

impl Addr {
    /// The unnamed address.
    pub fn unnamed() -> Addr {
        Addr { kind: AddrKind::Unnamed, len: 0, inline: [0; SUN_PATH_LEN], long: None }
    }

    /// Decodes what the kernel returned.
    pub(crate) fn from_raw(raw: &RawAddr) -> Addr {
        let path = raw.path_bytes();
        let mut a = Addr::unnamed();
        match path.split_first() {
            None => {}
            Some((0, name)) => {
                a.kind = AddrKind::Abstract;
                a.set_inline(name);
            }
            Some(_) => {
                // The kernel may or may not count a terminator; a 108-byte
                // name has none at all.
                let end = sys::find_byte(path, 0).unwrap_or(path.len());
                a.kind = AddrKind::Pathname;
                a.set_inline(&path[..end]);
            }
        }
        a
    }

    /// A pathname of any length (the library's record of a long path).
    pub(crate) fn pathname(path: &[u8]) -> Addr {
        let mut a = Addr::unnamed();
        a.kind = AddrKind::Pathname;
        if path.len() <= SUN_PATH_LEN {
            a.set_inline(path);
        } else {
            a.len = path.len();
            a.long = Some(path.into());
        }
        a
    }

    fn set_inline(&mut self, name: &[u8]) {
        self.inline[..name.len()].copy_from_slice(name);
        self.len = name.len();
    }

    /// The kind of address.
    pub fn kind(&self) -> AddrKind {
        self.kind
    }

    /// The name: the path's bytes, or the abstract name without its leading NUL.
    pub fn name(&self) -> &[u8] {
        match &self.long {
            Some(b) => b,
            None => &self.inline[..self.len],
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 64];
        let mut w = FormatSink::new(&mut buf);
        format(self.kind, self.name(), false, &mut w);
        let needed = w.needed;
        // Short names fit; longer ones are written again, straight through.
        if needed <= 64 {
            return f.write_str(std::str::from_utf8(&buf[..needed]).unwrap_or("?"));
        }
        let mut s = String::with_capacity(needed);
        let mut w = StringSink(&mut s);
        format(self.kind, self.name(), false, &mut w);
        f.write_str(&s)
    }
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Addr({self})")
    }
}

/// Somewhere `format` writes bytes to.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// Writes into a fixed buffer as far as it goes, counting what was needed.
pub(crate) struct FormatSink<'a> {
    buf: &'a mut [u8],
    /// Bytes the whole text needs (may exceed the buffer).
    pub needed: usize,
}

impl<'a> FormatSink<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        FormatSink { buf, needed: 0 }
    }
}

impl FormatSink<'_> {
    /// Writes `n` in decimal.
    pub fn put_decimal(&mut self, n: u32) {
        let mut d = [0u8; 10];
        self.put(sys::decimal(n, &mut d));
    }
}

impl Sink for FormatSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let start = self.needed.min(self.buf.len());
        let n = bytes.len().min(self.buf.len() - start);
        self.buf[start..start + n].copy_from_slice(&bytes[..n]);
        self.needed += bytes.len();
    }
}

struct StringSink<'a>(&'a mut String);

impl Sink for StringSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        // format() only ever emits ASCII.
        self.0.push_str(std::str::from_utf8(bytes).unwrap_or("?"));
    }
}

/// [`format`]s an address into `buf`, as far as it goes (no terminator).
/// Returns the bytes the whole text needs: more than `buf.len()` when it
/// was cut. Nothing is allocated.
///
/// ```
/// use udsock::addr::{format_into, AddrKind};
/// let mut buf = [0u8; 8];
/// assert_eq!(format_into(AddrKind::Abstract, b"a\nb", false, &mut buf), 7);
/// assert_eq!(&buf[..7], b"@a\\x0ab");
/// ```
pub fn format_into(kind: AddrKind, name: &[u8], truncated: bool, buf: &mut [u8]) -> usize {
    let mut sink = FormatSink::new(buf);
    format(kind, name, truncated, &mut sink);
    sink.needed
}

/// Formats an address for people: `/tmp/x`, `@name`, `(unnamed)`.
///
/// Bytes outside printable ASCII, and the backslash itself, are written as
/// `\xNN`, so the text is one line and unambiguous. A relative pathname that
/// begins with `@` is written `./@...` so that it is never read back as an
/// abstract name. `truncated` appends `...` (a long path cut to fit `uds_addr`).
pub(crate) fn format(kind: AddrKind, name: &[u8], truncated: bool, out: &mut dyn Sink) {
    match kind {
        AddrKind::Unnamed => return out.put(b"(unnamed)"),
        AddrKind::Abstract => out.put(b"@"),
        AddrKind::Pathname if name.first() == Some(&b'@') => out.put(b"./"),
        AddrKind::Pathname => {}
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &c) in name.iter().enumerate() {
        if (0x20..0x7f).contains(&c) && c != b'\\' {
            continue;
        }
        out.put(&name[start..i]);
        out.put(&[b'\\', b'x', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        start = i + 1;
    }
    out.put(&name[start..]);
    if truncated {
        out.put(b"...");
    }
}

/// A NUL-terminated byte string of at most `N - 1` bytes, built on the
/// stack from parts that hold no NUL: a path or a file name to hand to the
/// kernel, without allocating.
pub(crate) struct StackCStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackCStr<N> {
    /// The parts one after the other; `None` when they do not fit.
    pub fn new(parts: &[&[u8]]) -> Option<StackCStr<N>> {
        let mut s = StackCStr { buf: [0; N], len: 0 };
        for p in parts {
            let end = s.len + p.len();
            if end >= N {
                return None;
            }
            s.buf[s.len..end].copy_from_slice(p);
            s.len = end;
        }
        Some(s)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn as_cstr(&self) -> &CStr {
        // The parts hold no NUL (the callers' contract) and the buffer
        // starts zeroed, so the string ends at len.
        CStr::from_bytes_with_nul(&self.buf[..=self.len]).expect("the parts hold no NUL")
    }
}

/// Checks a pathname: not empty, no NUL, at most [`MAX_PATH`] bytes.
pub(crate) fn check_path(path: &[u8]) -> Result<()> {
    if path.is_empty() {
        return Err(err!(EINVAL, "path is empty"));
    }
    if let Some(i) = sys::find_byte(path, 0) {
        return Err(err!(EINVAL, "path {} has a NUL byte at offset {i}", Shown(path)));
    }
    if path.len() > MAX_PATH {
        return Err(err!(ENAMETOOLONG, "path is {} bytes; PATH_MAX allows {MAX_PATH}", path.len()));
    }
    Ok(())
}

/// Splits a pathname into its parent directory and final component.
pub(crate) fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b".", path),
    }
}

/// A kernel address for a pathname of any length, to connect or send to.
/// When the path is longer than `sun_path`, `held` keeps open what the
/// address refers to: the `O_PATH` parent directory (`/proc/self/fd/N/name`),
/// or, for a final component too long to fit behind that prefix, the
/// `O_PATH` socket file itself (`/proc/self/fd/N`). Keep it until the call
/// is made.
pub(crate) struct Target {
    pub raw: RawAddr,
    pub held: Option<OwnedFd>,
}

impl Target {
    /// Resolves a pathname; never allocates.
    pub fn path(path: &[u8]) -> Result<Target> {
        check_path(path)?;
        if path.len() <= MAX_DIRECT_PATH {
            return Ok(Target { raw: RawAddr::from_parts(b"", path, 1), held: None });
        }
        let (parent, name) = split(path);
        if name.is_empty() {
            return Err(err!(EINVAL, "path {} ends in '/': a socket needs a file name", Shown(path)));
        }
        if name.len() > MAX_DIRECT_PATH {
            return Err(err!(
                ENAMETOOLONG,
                // The name first: the line is cut in its middle when long,
                // and the sizes and the limit at the end are what explain it.
                "final component {} of {} bytes in a {}-byte path; a socket's name is at most {MAX_DIRECT_PATH}",
                Shown(name),
                name.len(),
                path.len()
            ));
        }
        if !sys::proc_fd_available() {
            return Err(err!(
                ENAMETOOLONG,
                "path is {} bytes and /proc is not mounted; the limit without it is {MAX_DIRECT_PATH}",
                path.len()
            ));
        }
        let dir = open_parent(path, parent)?;
        if let Some(raw) = sys::fd_address(dir.as_fd(), name) {
            return Ok(Target { raw, held: Some(dir) });
        }
        // The socket file itself, opened by its name in the directory.
        let cname = StackCStr::<{ MAX_DIRECT_PATH + 1 }>::new(&[name]).expect("checked: at most 107 bytes");
        let file = sys::open_socket_file(dir.as_raw_fd(), cname.as_cstr()).map_err(|e| sys_err!(e, "open {}", Shown(path)))?;
        let raw = sys::fd_address(file.as_fd(), b"").expect("/proc/self/fd/N fits");
        Ok(Target { raw, held: Some(file) })
    }

    /// An abstract name of 1..=107 bytes.
    pub fn abstract_name(name: &[u8]) -> Result<Target> {
        if name.is_empty() {
            return Err(err!(EINVAL, "abstract name is empty"));
        }
        if name.len() > MAX_ABSTRACT_NAME {
            return Err(err!(
                ENAMETOOLONG,
                "abstract name is {} bytes; at most {MAX_ABSTRACT_NAME} fit",
                name.len()
            ));
        }
        Ok(Target { raw: RawAddr::from_parts(b"\0", name, 0), held: None })
    }

    /// A `"/path"` or `"@name"` string.
    pub fn parse(addr: &[u8]) -> Result<Target> {
        match Address::parse(addr) {
            Address::Pathname(p) => Target::path(p),
            Address::Abstract(n) => Target::abstract_name(n),
        }
    }
}

/// Opens `path`'s parent directory `parent` with `O_PATH`.
pub(crate) fn open_parent(path: &[u8], parent: &[u8]) -> Result<OwnedFd> {
    let c = StackCStr::<PATH_MAX>::new(&[parent]).expect("checked: shorter than PATH_MAX");
    sys::open_dir(c.as_cstr()).map_err(|e| sys_err!(e, "open the directory of {}", Shown(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(kind: AddrKind, name: &[u8]) -> String {
        let mut buf = [0u8; 512];
        let mut w = FormatSink::new(&mut buf);
        format(kind, name, false, &mut w);
        let n = w.needed;
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn parse_distinguishes_abstract_from_pathname() {
        assert_eq!(Address::parse(b"@"), Address::Abstract(b""));
        assert_eq!(Address::parse(b"@a\0b"), Address::Abstract(b"a\0b"));
        assert_eq!(Address::parse(b"rel/@x"), Address::Pathname(b"rel/@x"));
    }

    #[test]
    fn format_escapes_and_marks_kinds() {
        assert_eq!(fmt(AddrKind::Pathname, b"/tmp/x"), "/tmp/x");
        assert_eq!(fmt(AddrKind::Abstract, b"a\0b\\"), "@a\\x00b\\x5c");
        assert_eq!(fmt(AddrKind::Unnamed, b""), "(unnamed)");
        assert_eq!(fmt(AddrKind::Pathname, b"@rel"), "./@rel");
    }

    #[test]
    fn format_sink_counts_past_its_buffer() {
        let mut buf = [0u8; 4];
        let mut w = FormatSink::new(&mut buf);
        format(AddrKind::Pathname, b"/tmp/long", false, &mut w);
        assert_eq!(w.needed, 9);
        assert_eq!(&buf, b"/tmp");
    }

    #[test]
    fn split_paths() {
        assert_eq!(split(b"/a/b/c"), (&b"/a/b"[..], &b"c"[..]));
        assert_eq!(split(b"/c"), (&b"/"[..], &b"c"[..]));
        assert_eq!(split(b"c"), (&b"."[..], &b"c"[..]));
    }

    #[test]
    fn bad_paths_are_refused_with_the_right_errno() {
        assert_eq!(check_path(b"").unwrap_err().errno(), EINVAL);
        assert_eq!(check_path(b"/a\0b").unwrap_err().errno(), EINVAL);
        assert_eq!(check_path(&[b'a'; MAX_PATH + 1]).unwrap_err().errno(), ENAMETOOLONG);
        assert!(check_path(&[b'a'; MAX_PATH]).is_ok());
    }

    #[test]
    fn abstract_names_are_1_to_107_bytes() {
        assert_eq!(Target::abstract_name(b"").err().unwrap().errno(), EINVAL);
        assert!(Target::abstract_name(&[0u8; 107]).is_ok());
        assert_eq!(Target::abstract_name(&[1u8; 108]).err().unwrap().errno(), ENAMETOOLONG);
    }

    #[test]
    fn kernel_addresses_decode() {
        let a = Addr::from_raw(&RawAddr::from_parts(b"", &[b'p'; 108], 0));
        assert_eq!((a.kind(), a.name().len()), (AddrKind::Pathname, 108));
        let a = Addr::from_raw(&RawAddr::from_parts(b"\0", b"x\0y", 0));
        assert_eq!((a.kind(), a.name()), (AddrKind::Abstract, &b"x\0y"[..]));
        assert_eq!(Addr::from_raw(&RawAddr::unnamed()).kind(), AddrKind::Unnamed);
    }
}
