//! The committed header is what the build generates: a change to an export
//! or its documentation must come with `make header`.

#[test]
fn header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/udsock.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/udsock.h"))
        .expect("include/udsock.h is committed");
    assert!(generated == committed, "include/udsock.h is stale: run `make header` and commit it");
}
