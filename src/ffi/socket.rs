//! Create, bind, listen, accept, connect.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

use super::{bytes_arg, fd_arg, ffi_boundary, out_arg, str_arg};
use udsock::socket;

/// `uds_listener` flag: if the path exists and is a socket file that no
/// socket is bound to, remove it and bind again.
#[allow(dead_code)] // for the C header
pub const UDS_REPLACE_STALE: u32 = 1;

/// Creates an AF_UNIX socket.
///
/// `type` is `SOCK_STREAM`, `SOCK_DGRAM` or `SOCK_SEQPACKET`, optionally
/// OR'ed with `SOCK_NONBLOCK`. The descriptor is close-on-exec.
///
/// Returns the new fd, or -1 with errno: `EINVAL` (any other type),
/// `EMFILE`/`ENFILE`, `ENOMEM`.
#[no_mangle]
pub extern "C" fn uds_socket(r#type: c_int) -> c_int {
    ffi_boundary!("uds_socket", { Ok(socket::socket(r#type)?.into_raw_fd()) })
}

/// Binds `fd` to the pathname `path`, of any length up to PATH_MAX.
///
/// A path that does not fit in `sun_path` (107 bytes and the NUL) is bound
/// through its parent directory, without touching the process's working
/// directory: as `/proc/self/fd/N/<name>` when the name fits behind that
/// prefix, else by the bare name from a helper thread whose own working
/// directory is that directory (the file then gets the mode the umask gave
/// at the time of the call). A final component of up to 107 bytes works,
/// the kernel's own limit. The library remembers the path (the directory
/// as an absolute path, so a relative path still leads to the file after a
/// chdir) and the socket file it created, for `uds_unlink`, `uds_close`
/// and `uds_getsockname`; it keeps no descriptor for it. A bind it cannot
/// record (no fd left to check the file with) fails and removes the file.
///
/// Returns 0, or -1 with errno: `EINVAL` (NULL, empty path, embedded NUL),
/// `ENAMETOOLONG` (over PATH_MAX, a final component over 107 bytes, or a
/// long path without /proc), `EADDRINUSE` (the path exists: see
/// `uds_listener`'s `UDS_REPLACE_STALE`), `EACCES`, `ENOENT`, `EMFILE`
/// (no descriptor left: nothing is bound to a file), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_bind(fd: c_int, path: *const c_char) -> c_int {
    ffi_boundary!("uds_bind", {
        let fd = fd_arg(fd)?;
        socket::bind(fd, str_arg(path, "path")?)?;
        Ok(0)
    })
}

/// Binds `fd` to the abstract name of `len` bytes at `name` (1 to 107
/// bytes; NULs allowed; no leading NUL: the library adds it).
///
/// Abstract names have no file and no permissions: anyone on the machine
/// (in the same network namespace) can connect. Check the peer with
/// `uds_peer_cred` where that matters.
///
/// Returns 0, or -1 with errno: `EINVAL` (NULL or length 0),
/// `ENAMETOOLONG` (over 107), `EADDRINUSE`, `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_bind_abstract(fd: c_int, name: *const c_void, len: usize) -> c_int {
    ffi_boundary!("uds_bind_abstract", {
        let fd = fd_arg(fd)?;
        socket::bind_abstract(fd, bytes_arg(name, len, "name")?)?;
        Ok(0)
    })
}

/// Binds `fd` to an abstract name the kernel chooses (five hex digits);
/// read it back with `uds_getsockname`.
///
/// Returns 0, or -1 with errno: `EINVAL` (already bound), `EBADF`,
/// `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_autobind(fd: c_int) -> c_int {
    ffi_boundary!("uds_autobind", {
        socket::autobind(fd_arg(fd)?)?;
        Ok(0)
    })
}

/// Marks a bound stream or seqpacket socket as accepting connections.
/// `backlog <= 0` means `SOMAXCONN`.
///
/// Returns 0, or -1 with errno: `EOPNOTSUPP` (a datagram socket), `EBADF`,
/// `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_listen(fd: c_int, backlog: c_int) -> c_int {
    ffi_boundary!("uds_listen", {
        socket::listen(fd_arg(fd)?, backlog)?;
        Ok(0)
    })
}

/// Accepts a connection on `listener`. `flags` is 0 or `SOCK_NONBLOCK`
/// (for the new socket); the new fd is close-on-exec.
///
/// A signal that interrupts the wait makes it return -1 with `EINTR`: the
/// library never retries it, so a server's signal handler can stop it.
/// Install that handler without `SA_RESTART` (sigaction(2); signal(3) in
/// glibc sets it): with it, the kernel itself restarts the wait.
///
/// Returns the connected fd, or -1 with errno: `EINTR`, `EAGAIN` (a
/// non-blocking listener with nothing pending), `EINVAL` (not listening, or
/// other flags), `EMFILE`, `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_accept(listener: c_int, flags: c_int) -> c_int {
    ffi_boundary!("uds_accept", { Ok(socket::accept(fd_arg(listener)?, flags)?.into_raw_fd()) })
}

/// Connects `fd` to the pathname `path`, of any length up to PATH_MAX (as
/// `uds_bind`; a final component the `/proc/self/fd/N/` prefix leaves no
/// room for is reached through an `O_PATH` handle on the socket file).
///
/// Returns 0, or -1 with errno: `ENOENT` (no such socket), `ECONNREFUSED`
/// (nobody listening), `EACCES`, `EAGAIN` (a non-blocking socket and a full
/// backlog), `EINTR`, `EINVAL`, `ENAMETOOLONG`, `EPROTOTYPE` (another socket
/// type listens there), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_connect(fd: c_int, path: *const c_char) -> c_int {
    ffi_boundary!("uds_connect", {
        let fd = fd_arg(fd)?;
        socket::connect(fd, str_arg(path, "path")?)?;
        Ok(0)
    })
}

/// Connects `fd` to the abstract name of `len` bytes at `name` (1 to 107).
///
/// Returns 0, or -1 with errno as `uds_connect` (`ECONNREFUSED` when no
/// socket has the name).
#[no_mangle]
pub extern "C" fn uds_connect_abstract(fd: c_int, name: *const c_void, len: usize) -> c_int {
    ffi_boundary!("uds_connect_abstract", {
        let fd = fd_arg(fd)?;
        socket::connect_abstract(fd, bytes_arg(name, len, "name")?)?;
        Ok(0)
    })
}

/// Creates a connected pair of sockets of `type` in `sv[0]` and `sv[1]`,
/// both close-on-exec.
///
/// Returns 0, or -1 with errno: `EINVAL` (bad type or `sv` NULL), `EMFILE`.
/// On failure `sv` is untouched.
#[no_mangle]
pub extern "C" fn uds_socketpair(r#type: c_int, sv: *mut c_int) -> c_int {
    ffi_boundary!("uds_socketpair", {
        let sv = out_arg(sv.cast::<[c_int; 2]>(), "sv")?;
        let (a, b) = socket::socketpair(r#type)?;
        *sv = [a.into_raw_fd(), b.into_raw_fd()];
        Ok(0)
    })
}

/// A server socket in one call: socket, bind, permissions, listen.
///
/// `addr` is `"/path"` (any length) or `"@name"` (abstract). `type` as for
/// `uds_socket`; a `SOCK_DGRAM` socket is bound but not listened on.
/// `backlog <= 0` means `SOMAXCONN`.
///
/// `mode` is the permission bits of a pathname socket (e.g. `0600`), or -1
/// to keep what the umask gives. The socket is `fchmod`ed before bind, so
/// the file never exists with more permissions than `mode`, and the file
/// is set to exactly `mode` before listen, so no connection arrives while
/// it is wrong. The process umask is not changed. Ignored for abstract
/// names, which have no permissions.
///
/// `flags`: `UDS_REPLACE_STALE` deals with the socket file a crashed server
/// left behind: if the path exists and is a socket file that no socket is
/// bound to, it is removed and the bind retried. Stale means exactly that,
/// asked of the kernel, not guessed from timing: a server that has bound
/// but not yet called listen(2), or one in another network namespace that
/// shares the directory, keeps its file (`EADDRINUSE`); so does a datagram
/// server. Signals change nothing (no timed retry). The check is
/// serialised with an `flock` on `"<path>.lock"`, held while the listener
/// lives (as Wayland does) and removed by `uds_close`; the file is removed
/// through the directory fd only if it is still the inode that was judged,
/// whose `O_PATH` handle is kept open until then. A live socket is never
/// removed (`EADDRINUSE`), nor a regular file or a symlink (`EEXIST`). Of
/// two servers started at once on one path, exactly one binds. The lock
/// of a listener of this process that was closed with a plain close(2),
/// or of one inherited across fork(2) and closed here, is taken over by
/// the next listener on the path.
///
/// Returns the listening fd (close-on-exec), or -1 with errno: `EINVAL`
/// (NULL or empty address, bad type, mode or flags), `EADDRINUSE`,
/// `EEXIST`, `ENAMETOOLONG`, `EACCES`, `ENOENT` (no such directory),
/// `ENOSYS` (a `mode` other than -1 where /proc is not mounted and the
/// kernel predates `fchmodat2`, Linux 6.6). Nothing is left behind on
/// failure.
#[no_mangle]
pub extern "C" fn uds_listener(
    addr: *const c_char,
    r#type: c_int,
    backlog: c_int,
    mode: c_int,
    flags: c_uint,
) -> c_int {
    ffi_boundary!("uds_listener", {
        let addr = str_arg(addr, "addr")?;
        Ok(socket::listener(addr, r#type, backlog, mode, flags)?.into_raw_fd())
    })
}

/// A client socket in one call: a socket of `type` connected to `addr`
/// (`"/path"` of any length, or `"@name"`).
///
/// Returns the connected fd (close-on-exec), or -1 with errno as
/// `uds_connect`; no fd is left open on failure.
#[no_mangle]
pub extern "C" fn uds_dial(addr: *const c_char, r#type: c_int) -> c_int {
    ffi_boundary!("uds_dial", {
        let addr = str_arg(addr, "addr")?;
        Ok(socket::dial(addr, r#type)?.into_raw_fd())
    })
}

/// Removes the socket file `fd` was bound to (by `uds_bind` or
/// `uds_listener`), only if the path still names the very file this socket
/// created (same device and inode, recorded at bind), and releases its
/// lock file. Works for long paths: the library remembers the real path.
/// `fd` may also be a `dup` of the descriptor that bound it (the same
/// socket), while that descriptor is open. A descriptor number reused after
/// a plain close(2) is never taken for the socket that had it. A relative
/// path is looked up in the directory it was bound in, whatever the working
/// directory is now; if that directory was moved or renamed, the path no
/// longer leads to the file and nothing is removed (`ENOENT`: a file is
/// never removed by a name that does not lead to it). For a server's clean
/// shutdown; the socket stays open.
///
/// Returns 0, or -1 with errno: `EINVAL` (the library did not bind `fd` to
/// a pathname, or it was already unlinked), `ENOENT` (the path no longer
/// names that file: it is left alone), `EBADF`, `ENOTSOCK`.
#[no_mangle]
pub extern "C" fn uds_unlink(fd: c_int) -> c_int {
    ffi_boundary!("uds_unlink", {
        socket::unlink(fd_arg(fd)?)?;
        Ok(0)
    })
}

/// Closes `fd`, first removing its socket file as `uds_unlink` does where
/// that applies: `fd` is the socket this process bound through the library
/// (not a dup of it, and not a copy inherited across fork(2): a worker
/// child closing its copy of the listener leaves the parent's socket file
/// alone; call `uds_unlink` explicitly to remove it from there). A failure
/// to remove the file does not stop the close.
///
/// Close the sockets the library bound with this call. A plain close(2)
/// leaves the socket file, as it does for any socket (a
/// `UDS_REPLACE_STALE` listener replaces it later); a listener's lock is
/// then released, and `<path>.lock` removed, when the library next meets
/// the closed socket's record: a new descriptor of the library's at that
/// number, the next listener on the path, or the table's sweep (two
/// records checked each time one is added). Nothing is done at fork(2).
///
/// Returns 0, or -1 with errno `EBADF`. The fd is closed in every case but
/// `EBADF`; a file that could not be removed (see `uds_unlink`) is left.
#[no_mangle]
pub extern "C" fn uds_close(fd: c_int) -> c_int {
    ffi_boundary!("uds_close", {
        fd_arg(fd)?;
        // SAFETY: the C caller hands the descriptor over to be closed.
        socket::close(unsafe { OwnedFd::from_raw_fd(fd) })?;
        Ok(0)
    })
}

/// Removes the file at `path` (any length) only if it is a socket file;
/// a regular file, directory or symlink is left alone.
///
/// Returns 0, or -1 with errno: `ENOTSOCK` (not a socket), `ENOENT`,
/// `EACCES`, `EINVAL`, `ENAMETOOLONG`.
#[no_mangle]
pub extern "C" fn uds_unlink_path(path: *const c_char) -> c_int {
    ffi_boundary!("uds_unlink_path", {
        socket::unlink_path(str_arg(path, "path")?)?;
        Ok(0)
    })
}
