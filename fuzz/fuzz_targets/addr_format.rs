//! Fuzz target: see `checks::addr_format`.
#![no_main]

// The library, whose #[no_mangle] exports the checks call.
extern crate udsock;

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::addr_format(data));
