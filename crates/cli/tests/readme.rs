//! Keeps the README's configuration table in step with the key table.

/// The README lists every property exactly as `nbwss properties` prints it.
#[test]
fn readme_lists_every_property() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md is readable");
    let table = nbwss_service::config::describe_keys();
    assert!(
        readme.contains(&table),
        "README.md is out of date: paste the output of `nbwss properties` into its Configuration section"
    );
}
