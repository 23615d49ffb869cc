//! Length-prefixed frames that carry descriptors, on a std `UnixStream`.
//! Run: cargo run -p udsock --example frames_fds
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use udsock::ext::FrameExt;
use udsock::frame::Frame;

fn main() -> std::io::Result<()> {
    let (a, b) = UnixStream::pair()?;
    let null = std::fs::File::open("/dev/null")?;
    for i in 0..3u8 {
        let fds = vec![null.as_fd(); i as usize];
        a.send_frame_fds(format!("frame {i}").as_bytes(), &fds)?;
    }
    drop(a);
    let mut buf = [0u8; 64];
    loop {
        let mut fds = Vec::new();
        match b.recv_frame_fds(&mut buf, &mut fds)? {
            Frame::Data(n) => println!("{:?} with {} descriptors", String::from_utf8_lossy(&buf[..n]), fds.len()),
            Frame::TooLarge(n) => println!("a {n}-byte frame was dropped"),
            Frame::Eof => break,
        }
    }
    Ok(())
}
