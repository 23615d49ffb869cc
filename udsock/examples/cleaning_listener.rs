//! A listener that removes its socket file and lock when dropped.
//! Run: cargo run -p udsock --example cleaning_listener
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use udsock::{ListenerOptions, SocketType};

fn main() -> std::io::Result<()> {
    let dir = std::env::temp_dir().join(format!("udsock-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("server.sock");
    {
        let server = ListenerOptions::new()
            .socket_type(SocketType::Stream)
            .mode(0o600)
            .replace_stale(true)
            .backlog(16)
            .bind(&path)?;
        let mut client = UnixStream::connect(&path)?;
        let mut conn = server.accept()?;
        client.write_all(b"hello")?;
        let mut buf = [0u8; 5];
        conn.read_exact(&mut buf)?;
        println!("server got {:?}; {} exists: {}", String::from_utf8_lossy(&buf), path.display(), path.exists());
    }
    println!("after drop, {} exists: {}", path.display(), path.exists());
    std::fs::remove_dir(&dir)
}
