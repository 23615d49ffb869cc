//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same checks the fuzz targets run, so every input the fuzzer kept,
//! crashes it found included, is tested on each `make check` without a
//! fuzzer or a nightly compiler. Here, in the C library's unit tests,
//! because `addr_format` calls the C ABI (`uds_addr_format`).

#[path = "../../fuzz/checks.rs"]
mod checks;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        check(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no corpus in {}", dir.display());
}

#[test]
fn addr_corpus() {
    replay("addr", checks::addr);
}

#[test]
fn addr_format_corpus() {
    replay("addr_format", checks::addr_format);
}

#[test]
fn frame_corpus() {
    replay("frame", checks::frame);
}
