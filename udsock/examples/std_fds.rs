//! Passing a file descriptor between two std `UnixStream`s.
//! Run: cargo run -p udsock --example std_fds
use std::io::{Read, Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use udsock::ext::FdExt;

fn main() -> std::io::Result<()> {
    let (a, b) = UnixStream::pair()?;
    let mut file = tempfile()?;
    file.write_all(b"written before passing\n")?;
    a.send_fds(b"take this", &[file.as_fd()])?;

    let mut buf = [0u8; 32];
    let mut fds = Vec::new();
    let n = b.recv_fds(&mut buf, &mut fds)?;
    let mut got = std::fs::File::from(fds.pop().expect("one descriptor"));
    got.rewind()?;
    let mut text = String::new();
    got.read_to_string(&mut text)?;
    println!("{:?} came with a file that reads {text:?}", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}

fn tempfile() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!("udsock-example-{}", std::process::id()));
    let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(f)
}
