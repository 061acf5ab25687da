//! docs/RELIABILITY.md is checked against the tests: every test it names
//! (`path::function`) exists in that file, every row of its tables names at least one
//! test, and every test of the reliability test files is named in it.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The test files written for the reliability work: each of their tests must be listed.
const RELIABILITY_FILES: &[&str] = &[
    "drivers/tests/faults.rs",
    "cli/src/i2c/fuzz.rs",
    "cli/tests/capture_durability.rs",
    "cli/tests/virtual_faults.rs",
    "cli/tests/guest_badinput.rs",
    "cli/tests/guest_permissions.rs",
    "core/tests/guest_badinput.rs",
    "core/tests/guest_soak.rs",
    "core/tests/unsafe_audit.rs",
    "rs485/tests/writer_properties.rs",
    "rs485/tests/framer_fuzz.rs",
    "boards/tests/parsers_fuzz.rs",
];

/// `path::function` references in backticks.
fn references(doc: &str) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for piece in doc.split('`').skip(1).step_by(2) {
        if let Some((path, func)) = piece.split_once(".rs::") {
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/')
            };
            if ok(path) && ok(func) && !func.contains('/') {
                v.push((format!("{path}.rs"), func.to_string()));
            }
        }
    }
    v
}

/// Whether `src` defines `fn name(` (a whole word).
fn defines(src: &str, name: &str) -> bool {
    let pat = format!("fn {name}(");
    src.match_indices(&pat).any(|(i, _)| {
        i == 0 || !src.as_bytes()[i - 1].is_ascii_alphanumeric() && src.as_bytes()[i - 1] != b'_'
    })
}

/// The test functions of a file: after `#[test]` / `#[tokio::test]`, and the functions of
/// `proptest!` blocks.
fn tests_in(src: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut after_attr = false;
    let mut in_proptest = false;
    for line in src.lines() {
        let t = line.trim_start();
        if t.starts_with("proptest!") {
            in_proptest = true;
        }
        if t.starts_with("#[test]") || t.starts_with("#[tokio::test") {
            after_attr = true;
            continue;
        }
        let name = t
            .strip_prefix("async fn ")
            .or_else(|| t.strip_prefix("fn "))
            .and_then(|r| r.split(['(', '<']).next())
            .map(str::to_string);
        if let Some(n) = name {
            // Functions of a proptest! block are indented one level inside it.
            let prop = in_proptest && line.starts_with("    fn ");
            if after_attr || prop {
                v.push(n);
            }
            after_attr = false;
        }
        if in_proptest && line.starts_with('}') {
            in_proptest = false;
        }
    }
    v
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/RELIABILITY.md")).expect("docs/RELIABILITY.md")
}

#[test]
fn every_test_named_in_reliability_md_exists() {
    let doc = doc();
    let refs = references(&doc);
    assert!(refs.len() > 60, "only {} test references found", refs.len());
    let mut missing = Vec::new();
    for (path, func) in &refs {
        match std::fs::read_to_string(root().join(path)) {
            Ok(src) if defines(&src, func) => {}
            Ok(_) => missing.push(format!("{path}::{func} (no such function)")),
            Err(_) => missing.push(format!("{path}::{func} (no such file)")),
        }
    }
    assert!(
        missing.is_empty(),
        "docs/RELIABILITY.md names missing tests:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_table_row_names_a_test() {
    let doc = doc();
    let mut bad = Vec::new();
    let mut tables = 0;
    for block in doc.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if rows.len() < 3 {
            continue;
        }
        tables += 1;
        // rows[0] is the header, rows[1] the separator.
        for row in &rows[2..] {
            let last = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
            if references(last).is_empty() && !last.contains("(same tests)") {
                bad.push(row.to_string());
            }
        }
    }
    assert!(tables >= 6, "only {tables} tables");
    assert!(bad.is_empty(), "rows without a test:\n{}", bad.join("\n"));
}

#[test]
fn every_reliability_test_is_in_the_table() {
    let doc = doc();
    let named: Vec<(String, String)> = references(&doc);
    let mut unlisted = Vec::new();
    let mut count = 0;
    for file in RELIABILITY_FILES {
        let src = std::fs::read_to_string(root().join(file)).unwrap();
        let tests = tests_in(&src);
        assert!(!tests.is_empty(), "{file}: no tests found");
        for t in tests {
            count += 1;
            if !named.iter().any(|(p, f)| p == file && f == &t) {
                unlisted.push(format!("{file}::{t}"));
            }
        }
    }
    assert!(count > 40, "only {count} tests found");
    assert!(
        unlisted.is_empty(),
        "tests missing from docs/RELIABILITY.md:\n{}",
        unlisted.join("\n")
    );
}

#[test]
fn the_checker_finds_tests_and_references() {
    let src = "#[test]\nfn a() {}\nfn helper() {}\nproptest! {\n    #[test]\n    fn b(x in 0..1) {}\n    fn c(\n        y in 0..1,\n    ) {}\n}\nfn d() {}\n#[tokio::test]\nasync fn e() {}\n";
    assert_eq!(tests_in(src), ["a", "b", "c", "e"]);
    assert_eq!(
        references("| x | `core/tests/a.rs::f_1`, `not::this`, `b.rs::g` |"),
        [
            ("core/tests/a.rs".to_string(), "f_1".to_string()),
            ("b.rs".to_string(), "g".to_string())
        ]
    );
    assert!(
        defines("fn foo(x: u8)", "foo")
            && !defines("fn foobar()", "foo")
            && !defines("fn xfoo()", "foo")
    );
}
