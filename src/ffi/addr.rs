//! Addresses: `uds_addr`, getsockname/getpeername and formatting.

use std::ffi::{c_char, c_int};

use super::{fd_arg, ffi_boundary, out_arg, ref_arg};
use udsock::addr::{format_into, Addr, AddrKind, Address};
use crate::error::{err, Result};
use udsock::socket;
use libc::{EINVAL, ENAMETOOLONG};

/// The size of `sun_path`.
const SUN_PATH_LEN: usize = 108;

/// `uds_addr.kind`: not bound to any name.
#[allow(dead_code)] // for the C header
pub const UDS_ADDR_UNNAMED: u32 = 0;
/// `uds_addr.kind`: a filesystem pathname.
#[allow(dead_code)] // for the C header
pub const UDS_ADDR_PATHNAME: u32 = 1;
/// `uds_addr.kind`: a name in Linux's abstract namespace.
#[allow(dead_code)] // for the C header
pub const UDS_ADDR_ABSTRACT: u32 = 2;

/// A Unix-domain socket address, decoded: no `sockaddr_un` arithmetic.
///
/// `name` holds a pathname (always NUL-terminated, even a 108-byte one that
/// the kernel returned without a terminator) or an abstract name (raw bytes,
/// which may include NULs; `len` counts them, no leading NUL). For a pathname
/// longer than 108 bytes that the library bound itself, `len` is the full
/// length and `name` holds its first 108 bytes: `len > 108` tells the two
/// apart.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct uds_addr {
    /// `UDS_ADDR_UNNAMED`, `UDS_ADDR_PATHNAME` or `UDS_ADDR_ABSTRACT`.
    pub kind: u32,
    /// Bytes in `name`, no terminator counted.
    pub len: u32,
    /// The name; see above.
    pub name: [c_char; 109],
}

impl uds_addr {
    /// Fills the C struct from a decoded address.
    pub(crate) fn set(&mut self, a: &Addr) {
        let name = a.name();
        let n = name.len().min(SUN_PATH_LEN);
        self.kind = match a.kind() {
            AddrKind::Unnamed => UDS_ADDR_UNNAMED,
            AddrKind::Pathname => UDS_ADDR_PATHNAME,
            AddrKind::Abstract => UDS_ADDR_ABSTRACT,
        };
        self.len = name.len() as u32;
        self.name = [0; 109];
        for (d, s) in self.name.iter_mut().zip(&name[..n]) {
            *d = *s as c_char;
        }
    }

    /// The address as a destination for a send.
    pub(crate) fn destination(&self) -> Result<Address<'_>> {
        match self.parts()? {
            (AddrKind::Unnamed, _, _) => Err(err!(EINVAL, "addr is UDS_ADDR_UNNAMED: nothing to send to")),
            (AddrKind::Pathname, _, true) => Err(err!(
                ENAMETOOLONG,
                "addr holds the first 108 bytes of a {}-byte path; send to it by name with uds_sendto",
                self.len
            )),
            (AddrKind::Pathname, name, false) => Ok(Address::Pathname(name)),
            (AddrKind::Abstract, name, _) => Ok(Address::Abstract(name)),
        }
    }

    /// The kind, and the stored bytes of the name with whether it was cut.
    fn parts(&self) -> Result<(AddrKind, &[u8], bool)> {
        // SAFETY: c_char and u8 have the same layout.
        let bytes: &[u8; 109] = unsafe { &*(&self.name as *const [c_char; 109]).cast() };
        let len = self.len as usize;
        match self.kind {
            UDS_ADDR_UNNAMED => Ok((AddrKind::Unnamed, &[], false)),
            UDS_ADDR_PATHNAME => Ok((AddrKind::Pathname, &bytes[..len.min(SUN_PATH_LEN)], len > SUN_PATH_LEN)),
            UDS_ADDR_ABSTRACT if len < SUN_PATH_LEN => Ok((AddrKind::Abstract, &bytes[..len], false)),
            UDS_ADDR_ABSTRACT => Err(err!(EINVAL, "abstract name length {len} is over 107")),
            k => Err(err!(EINVAL, "address kind {k} is not UDS_ADDR_UNNAMED, _PATHNAME or _ABSTRACT")),
        }
    }
}

/// Stores the address `fd` is bound to in `*out`.
///
/// For a socket the library bound to a long path (through
/// `/proc/self/fd/N/`), this is the caller's real path, not the alias the
/// kernel reports. An unbound socket is `UDS_ADDR_UNNAMED`.
///
/// Returns 0, or -1 with errno: `EBADF` (bad fd), `ENOTSOCK`,
/// `EAFNOSUPPORT` (a socket of another family, such as `AF_INET`),
/// `EINVAL` (`out` NULL).
#[no_mangle]
pub extern "C" fn uds_getsockname(fd: c_int, out: *mut uds_addr) -> c_int {
    ffi_boundary!("uds_getsockname", {
        let fd = fd_arg(fd)?;
        let out = out_arg(out, "out")?;
        out.set(&socket::local_addr(fd)?);
        Ok(0)
    })
}

/// Stores the address of `fd`'s peer in `*out` (`UDS_ADDR_UNNAMED` for a
/// peer that is not bound, such as a socketpair end or most clients).
///
/// A peer bound to a path longer than `sun_path` is reached through a
/// `/proc/self/fd/N/<name>` alias, which is what the kernel reports. The
/// real path is reported instead when `uds_connect`/`uds_dial` connected
/// `fd` to that path (the peer may be in any process), and when this
/// process bound the peer through the library under an alias no other of
/// its live sockets shares (two long paths with the same final name may
/// share one: the directory fd N is reused). Otherwise, the alias.
/// Likewise `uds_getsockname` of a connection `uds_accept` took from a
/// listener the library bound to a long path reports that path.
///
/// Returns 0, or -1 with errno: `ENOTCONN`, `EBADF`, `ENOTSOCK`,
/// `EAFNOSUPPORT` (not a Unix-domain socket), `EINVAL`.
#[no_mangle]
pub extern "C" fn uds_getpeername(fd: c_int, out: *mut uds_addr) -> c_int {
    ffi_boundary!("uds_getpeername", {
        let fd = fd_arg(fd)?;
        let out = out_arg(out, "out")?;
        out.set(&socket::peer_addr(fd)?);
        Ok(0)
    })
}

/// Formats an address for people, like `snprintf`: `"/tmp/x"`, `"@name"`,
/// `"(unnamed)"`.
///
/// Bytes outside printable ASCII (NULs in abstract names, newlines, …) and
/// the backslash are written as `\xNN`, so the text is one unambiguous
/// line; a relative pathname beginning with `@` is written `./@...`; a
/// pathname cut to fit `uds_addr` (`len > 108`) ends in `...`.
///
/// Writes at most `cap` bytes including the terminating NUL (nothing when
/// `cap` is 0; `buf` may then be NULL). Returns the length the whole text
/// needs, not counting the NUL: a result `>= cap` means it was truncated.
/// Returns -1 with `EINVAL` when `a` is NULL, `buf` is NULL with `cap > 0`,
/// or `a` holds an unknown kind or an abstract length over 107.
#[no_mangle]
pub extern "C" fn uds_addr_format(a: *const uds_addr, buf: *mut c_char, cap: usize) -> c_int {
    ffi_boundary!("uds_addr_format", {
        let a = ref_arg(a, "a")?;
        let out = super::bytes_mut_arg(buf.cast(), cap, "buf")?;
        let (kind, name, cut) = a.parts()?;
        let room = cap.saturating_sub(1);
        let needed = format_into(kind, name, cut, &mut out[..room]);
        if cap > 0 {
            out[needed.min(room)] = 0;
        }
        Ok(needed as c_int)
    })
}
