//! An echo server and its client over a pathname socket, with frames.
//!
//! ```sh
//! cargo run --example echo            # uses a private temporary directory
//! cargo run --example echo -- /run/user/1000/echo.sock
//! ```

use std::os::fd::AsFd;
use std::thread;

use udsock::frame::{recv_frame, send_frame, Frame};
use udsock::socket::{self, REPLACE_STALE};

fn main() -> Result<(), udsock::Error> {
    let dir = std::env::temp_dir().join(format!("udsock-echo-{}", std::process::id()));
    let path = match std::env::args().nth(1) {
        Some(p) => p,
        None => {
            std::fs::create_dir_all(&dir).expect("create a temporary directory");
            dir.join("echo.sock").to_string_lossy().into_owned()
        }
    };

    // Owner-only permissions from the start; a socket file left by a crashed
    // server is replaced, a live one is not.
    let server = socket::listener(path.as_bytes(), libc::SOCK_STREAM, 0, 0o600, REPLACE_STALE)?;
    println!("listening on {}", socket::local_addr(server.as_fd())?);

    let worker = thread::spawn(move || -> Result<(), udsock::Error> {
        let conn = socket::accept(server.as_fd(), 0)?;
        let mut buf = [0u8; 4096];
        // Echo frames until the client closes the stream.
        while let Frame::Data(n) = recv_frame(conn.as_fd(), &mut buf)? {
            send_frame(conn.as_fd(), &buf[..n])?;
        }
        socket::close(server) // removes the socket file this listener created
    });

    let client = socket::dial(path.as_bytes(), libc::SOCK_STREAM)?;
    for word in ["hello", "unix", "sockets"] {
        send_frame(client.as_fd(), word.as_bytes())?;
        let mut buf = [0u8; 64];
        if let Frame::Data(n) = recv_frame(client.as_fd(), &mut buf)? {
            println!("echoed: {}", String::from_utf8_lossy(&buf[..n]));
        }
    }
    drop(client);
    worker.join().expect("the server thread does not panic")?;
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}
