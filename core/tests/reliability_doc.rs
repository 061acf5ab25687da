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

/// The test functions of a file: the functions right after `#[test]` or
/// `#[tokio::test]` (other attributes such as `#[should_panic]` may come between), in
/// plain code and in `proptest!` blocks (whose tests carry `#[test]` too). A helper, a
/// commented-out test or a function that only mentions `#[test]` in a string is not one.
fn tests_in(src: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut after_attr = false;
    for line in src.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if t.starts_with("#[test]") || t.starts_with("#[tokio::test") {
            after_attr = true;
            continue;
        }
        if t.starts_with("#[") {
            continue; // another attribute between `#[test]` and its function
        }
        let name = t
            .strip_prefix("async fn ")
            .or_else(|| t.strip_prefix("fn "))
            .and_then(|r| r.split(['(', '<']).next())
            .map(str::to_string);
        if let Some(n) = name {
            if after_attr {
                v.push(n);
            }
        }
        if !t.is_empty() {
            after_attr = false;
        }
    }
    v
}

/// The references of `doc` that do not name a test function (`#[test]` or
/// `#[tokio::test]`) of their file; `read` gives a file's text by its path.
fn missing_tests(doc: &str, read: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut missing = Vec::new();
    for (path, func) in references(doc) {
        match read(&path) {
            Some(src) if tests_in(&src).contains(&func) => {}
            Some(_) => missing.push(format!("{path}::{func} (no test function of that name)")),
            None => missing.push(format!("{path}::{func} (no such file)")),
        }
    }
    missing
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/RELIABILITY.md")).expect("docs/RELIABILITY.md")
}

#[test]
fn every_test_named_in_reliability_md_exists() {
    let doc = doc();
    let refs = references(&doc);
    assert!(refs.len() > 60, "only {} test references found", refs.len());
    let missing = missing_tests(&doc, |path| std::fs::read_to_string(root().join(path)).ok());
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
    let src = "#[test]\nfn a() {}\nfn helper() {}\nproptest! {\n    #[test]\n    fn b(x in 0..1) {}\n    fn c(\n        y in 0..1,\n    ) {}\n}\nfn d() {}\n#[tokio::test]\nasync fn e() {}\n#[test]\n#[should_panic]\nfn f() {}\n// #[test]\nfn g() {}\n#[test]\nconst X: u8 = 0;\nfn h() {}\n";
    assert_eq!(tests_in(src), ["a", "b", "e", "f"]);
    assert_eq!(
        references("| x | `core/tests/a.rs::f_1`, `not::this`, `b.rs::g` |"),
        [
            ("core/tests/a.rs".to_string(), "f_1".to_string()),
            ("b.rs".to_string(), "g".to_string())
        ]
    );
}

#[test]
fn a_table_naming_a_helper_or_a_missing_function_fails() {
    let file = "#[test]\nfn real_test() { helper() }\n\nfn helper() {}\n\n#[tokio::test]\nasync fn async_test() {}\n";
    let read = |path: &str| (path == "x/tests/t.rs").then(|| file.to_string());
    let ok = "| a | b | `x/tests/t.rs::real_test`, `x/tests/t.rs::async_test` |";
    assert_eq!(missing_tests(ok, read), Vec::<String>::new());
    // A helper is a function of the file but not a test: the table may not name it.
    let helper = "| a | b | `x/tests/t.rs::real_test`, `x/tests/t.rs::helper` |";
    assert_eq!(
        missing_tests(helper, read),
        ["x/tests/t.rs::helper (no test function of that name)"]
    );
    let gone = "| a | b | `x/tests/t.rs::nowhere`, `x/tests/u.rs::real_test` |";
    assert_eq!(
        missing_tests(gone, read),
        [
            "x/tests/t.rs::nowhere (no test function of that name)",
            "x/tests/u.rs::real_test (no such file)"
        ]
    );
}
