//! `peer`: who is on the other end of a connection, from the kernel.

use std::fmt::Write as _;
use std::fs;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;

use udsock::cred::{peer_cred, peer_groups, peer_pidfd, peer_security};
use udsock::socket;

use crate::cli::SockType;
use crate::{io_fail, Fail};

/// What `peer` prints.
struct Peer {
    pid: i32,
    uid: u32,
    gid: u32,
    groups: Vec<u32>,
    label: Option<Vec<u8>>,
    exe: Option<Vec<u8>>,
}

/// `udsock peer [--json] ADDR`.
pub fn run(addr: &[u8], ty: SockType, json: bool) -> Result<(), Fail> {
    if ty == SockType::Dgram {
        crate::usage(clap::error::ErrorKind::InvalidValue, "peer: a dgram socket has no connection and no peer; use stream or seqpacket");
    }
    let server = crate::Server::open(addr, ty, -1, 0)?;
    let got = crate::notify::ready().and_then(|()| socket::accept(server.fd(), 0).map_err(Fail::from).and_then(|conn| describe(conn.as_fd())));
    server.close()?;
    let peer = got?;
    let line = if json { to_json(&peer) } else { to_line(&peer) };
    println!("{line}");
    Ok(())
}

fn describe(conn: BorrowedFd<'_>) -> Result<Peer, Fail> {
    let cred = peer_cred(conn)?;
    let mut groups = vec![0u32; 64];
    loop {
        let n = peer_groups(conn, &mut groups)?;
        if n <= groups.len() {
            groups.truncate(n);
            break;
        }
        groups.resize(n, 0);
    }
    let mut buf = vec![0u8; 4096];
    let label = match peer_security(conn, &mut buf) {
        Ok(n) if n < buf.len() => Some(buf[..n].to_vec()),
        Ok(_) => None,
        // No security module gives labels.
        Err(e) if e.errno() == libc::ENOPROTOOPT => None,
        Err(e) => return Err(e.into()),
    };
    Ok(Peer { pid: cred.pid, uid: cred.uid, gid: cred.gid, groups, label, exe: exe(conn, cred.pid)? })
}

/// The peer's executable, or `None` when it has exited (or is not visible
/// in this pid namespace). `/proc/<pid>/exe` is read first; then the peer's
/// pidfd must show the same process still alive under that pid: while it
/// lives, nobody else can have had the pid, so the link read was its own.
fn exe(conn: BorrowedFd<'_>, pid: i32) -> Result<Option<Vec<u8>>, Fail> {
    if pid <= 0 {
        return Ok(None);
    }
    // Gone already (and reaped), or a kernel before 6.5: no way to be sure.
    let Ok(pidfd) = peer_pidfd(conn) else { return Ok(None) };
    let Ok(link) = fs::read_link(format!("/proc/{pid}/exe")) else { return Ok(None) };
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd()))
        .map_err(|e| io_fail("read the pidfd's fdinfo", e))?;
    // "Pid:\t<pid>", or -1 once the process has exited.
    let alive = info
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|v| v.trim().parse::<i32>().ok())
        .is_some_and(|p| p == pid);
    drop(pidfd);
    Ok(alive.then(|| link.as_os_str().as_bytes().to_vec()))
}

/// `s` as a JSON string: UTF-8 (invalid bytes become U+FFFD), with `"`,
/// `\` and every control character escaped.
fn json_string(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in String::from_utf8_lossy(s).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(s: &Option<Vec<u8>>) -> String {
    s.as_deref().map_or_else(|| "null".to_string(), json_string)
}

fn to_json(p: &Peer) -> String {
    let groups: Vec<String> = p.groups.iter().map(u32::to_string).collect();
    format!(
        "{{\"pid\": {}, \"uid\": {}, \"gid\": {}, \"groups\": [{}], \"label\": {}, \"exe\": {}}}",
        p.pid,
        p.uid,
        p.gid,
        groups.join(", "),
        json_opt(&p.label),
        json_opt(&p.exe)
    )
}

/// A value for `key=value`: as it is when it is plain, else JSON-quoted.
fn plain(s: &Option<Vec<u8>>) -> String {
    match s {
        None => "-".to_string(),
        Some(v) if !v.is_empty() && v.iter().all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\\') => {
            String::from_utf8_lossy(v).into_owned()
        }
        Some(v) => json_string(v),
    }
}

fn to_line(p: &Peer) -> String {
    let groups: Vec<String> = p.groups.iter().map(u32::to_string).collect();
    format!(
        "pid={} uid={} gid={} groups={} label={} exe={}",
        p.pid,
        p.uid,
        p.gid,
        groups.join(","),
        plain(&p.label),
        plain(&p.exe)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string(b"a\"b\\c\nd\x01\x7f"), r#""a\"b\\c\nd\u0001\u007f""#);
        assert_eq!(json_string(b"\xff"), "\"\u{fffd}\"");
    }

    #[test]
    fn plain_values_are_quoted_only_when_needed() {
        assert_eq!(plain(&None), "-");
        assert_eq!(plain(&Some(b"/usr/bin/socat".to_vec())), "/usr/bin/socat");
        assert_eq!(plain(&Some(b"/tmp/a b".to_vec())), "\"/tmp/a b\"");
    }
}
