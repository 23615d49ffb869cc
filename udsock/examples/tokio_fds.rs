//! Descriptors and frames with descriptors on tokio's `UnixStream`: a task
//! sends its standard output along with each frame, the main task writes
//! through the descriptors it receives.
//! Run: cargo run -p udsock --features tokio --example tokio_fds
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};

use tokio::net::UnixStream;
use udsock::tokio::{recv_fds, send_fds, FrameReader, FrameWriter};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let (a, b) = UnixStream::pair()?;

    let sender = tokio::spawn(async move {
        let stdout = std::io::stdout();
        send_fds(&a, b"one message", &[stdout.as_fd()]).await?;
        let mut w = FrameWriter::new();
        for i in 0..3 {
            let fds = vec![stdout.as_fd(); i];
            w.send_frame_fds(&a, format!("frame {i}").as_bytes(), &fds).await?;
        }
        Ok::<_, std::io::Error>(())
        // `a` is dropped here: the reader sees the end of the stream.
    });

    let mut buf = [0u8; 64];
    let mut fds: Vec<OwnedFd> = Vec::new();
    // The message is 11 bytes; ancillary data is a barrier on a stream, so
    // this read ends where that message does.
    let n = recv_fds(&b, &mut buf, &mut fds).await?;
    let mut out = std::fs::File::from(fds.pop().expect("a descriptor"));
    writeln!(out, "{:?}, written through the descriptor that came with it", String::from_utf8_lossy(&buf[..n]))?;

    let mut reader = FrameReader::new(4096, 4)?;
    while let Some(frame) = reader.read_frame(&b).await? {
        let text = String::from_utf8_lossy(frame.data).into_owned();
        let fds: Vec<OwnedFd> = frame.fds.into_owned().collect();
        println!("{text:?} with {} descriptors", fds.len());
        for fd in fds {
            writeln!(std::fs::File::from(fd), "  {text}: written through one of them")?;
        }
    }
    sender.await.expect("the sender task")?;
    Ok(())
}
