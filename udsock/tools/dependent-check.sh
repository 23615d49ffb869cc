#!/bin/sh
# A Rust program that depends on udsock gets the Rust library only: a
# throwaway cargo project depending on it by path builds offline, and its
# Cargo.lock holds udsock and libc, nothing else (no cbindgen, no C
# artifacts). Prints the package count; fails on anything else.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/src"
cat > "$dir/Cargo.toml" <<TOML
[package]
name = "dependent"
version = "0.0.0"
edition = "2021"

[dependencies]
udsock = { path = "$here" }

[workspace]
TOML
cat > "$dir/src/main.rs" <<'RS'
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

fn main() {
    let (a, b) = UnixStream::pair().unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    udsock::fds::send_fds(a.as_fd(), b"x", &[file.as_fd()]).unwrap();
    let fd = udsock::fds::recv_fd(b.as_fd()).unwrap();
    drop(fd);
}
RS
CARGO_TARGET_DIR="$dir/target" cargo run --offline --quiet --manifest-path "$dir/Cargo.toml"
packages=$(grep -c '^name = ' "$dir/Cargo.lock")
names=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.lock" | sort | tr '\n' ' ')
echo "dependent Cargo.lock: $packages packages: $names"
[ "$names" = "dependent libc udsock " ] || { echo "unexpected dependencies" >&2; exit 1; }
