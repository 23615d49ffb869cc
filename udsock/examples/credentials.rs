//! Who is on the other end: credentials and a pidfd of the peer.
//! Run: cargo run -p udsock --example credentials
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use udsock::ext::CredExt;

fn main() -> std::io::Result<()> {
    let (a, b) = UnixStream::pair()?;
    println!("peer (SO_PEERCRED): {:?}", a.peer_credentials()?);
    match a.peer_pidfd() {
        Ok(pidfd) => println!("peer pidfd: fd {}", pidfd.as_raw_fd()),
        Err(e) => println!("no pidfd on this kernel: {e}"),
    }
    b.send_creds(b"signed", None)?;
    let mut buf = [0u8; 16];
    let (n, cred) = a.recv_creds(&mut buf)?;
    println!("{:?} sent by {cred:?}", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}
