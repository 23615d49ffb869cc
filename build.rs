//! Build script: link flags for the shared library and the C header.
//!
//! The header is generated from `src/ffi/` by cbindgen on every build and
//! written to `$OUT_DIR/udsock.h`; a test compares it with the committed
//! `include/udsock.h` so the two can never drift apart.

use std::env;
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();

    // SONAME libudsock.so.<major>: bumped only on an ABI break. rustc
    // exports only the #[no_mangle] functions (uds_*); the version script
    // udsock.map, which versions them, is applied where the Makefile links
    // the installed library from libudsock.a (rustc's own script would
    // shadow it here).
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libudsock.so.{major}");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");

    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("udsock.h");
    cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(&out);
    // `make header` refreshes the committed copy; otherwise the test
    // `header_is_current` fails when the two differ.
    println!("cargo:rerun-if-env-changed=UDSOCK_WRITE_HEADER");
    if env::var_os("UDSOCK_WRITE_HEADER").is_some() {
        std::fs::copy(&out, root.join("include/udsock.h")).expect("include/ is writable");
    }
}
