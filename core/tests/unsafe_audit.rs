//! The `unsafe` audit: every `unsafe` in the workspace's Rust sources is in the kernel-ABI
//! module `core/src/sys/` (outside its `#[cfg(test)]` modules), in the raw baselines of
//! the benchmarks (`core/benches/guest_bench.rs` and the loop it shares with
//! `rpi_bench.rs`, `core/benches/common/mod.rs`) or in the counting global allocator of
//! `core/tests/guest_gpio_alloc.rs` (`GlobalAlloc` is an unsafe trait: the test counts
//! allocations by passing each to the system allocator). Comments and string literals are
//! skipped; `unsafe_code` (the lint's name) is not the keyword.

use std::path::{Path, PathBuf};

/// The workspace root (this crate is `core/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() {
            if name != "target" && name != ".git" && name != "fixtures" {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source with comments, string and char literals blanked (lines kept).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == b'\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // Raw string r"..." / r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while j < b.len() && !b[j..].starts_with(&close) {
                if b[j] == b'\n' {
                    out.push('\n');
                }
                j += 1;
            }
            i = j + close.len();
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                if i < b.len() && b[i] == b'\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
        } else if c == b'\'' && b.get(i + 2) == Some(&b'\'') {
            i += 3; // 'x'
        } else if c == b'\'' && b.get(i + 1) == Some(&b'\\') {
            // '\n', '\'', '\u{..}'
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

/// Lines (1-based) holding the `unsafe` keyword.
fn unsafe_lines(code: &str) -> Vec<usize> {
    let mut v = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let b = line.as_bytes();
        let mut from = 0;
        while let Some(k) = line[from..].find("unsafe") {
            let at = from + k;
            let before = at.checked_sub(1).map(|p| b[p]);
            let after = b.get(at + 6).copied();
            let ident = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
            if !ident(before) && !ident(after) {
                v.push(n + 1);
                break;
            }
            from = at + 6;
        }
    }
    v
}

#[test]
fn the_scanner_sees_through_comments_and_strings() {
    let src = "// unsafe here\nlet s = \"unsafe\";\n#![deny(unsafe_code)]\n/* unsafe\n */ let r = r#\"unsafe\"#;\nunsafe { x() }\nlet c = '\"'; unsafe fn f() {}\n";
    assert_eq!(unsafe_lines(&code_only(src)), [6, 7]);
}

#[test]
fn no_unsafe_outside_the_kernel_abi_module() {
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "core", "drivers", "boards", "rs485", "cli", "examples", "xtask",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 100,
        "only {} files found under {}",
        files.len(),
        root.display()
    );
    let sys = root.join("core/src/sys");
    let bench = root.join("core/benches/guest_bench.rs");
    let shared = root.join("core/benches/common/mod.rs");
    let allocator = root.join("core/tests/guest_gpio_alloc.rs");
    let mut found = Vec::new();
    let mut in_sys = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let code = code_only(&src);
        let lines = unsafe_lines(&code);
        if f == &bench || f == &shared || f == &allocator {
            continue;
        }
        if f.starts_with(&sys) {
            // Allowed in sys, except inside its test modules.
            let test_from = code
                .lines()
                .position(|l| l.trim_start().starts_with("#[cfg(test)]"))
                .map_or(usize::MAX, |p| p + 1);
            in_sys += lines.iter().filter(|&&l| l < test_from).count();
            for l in lines.into_iter().filter(|&l| l >= test_from) {
                found.push(format!("{}:{l} (a test module in sys)", f.display()));
            }
            continue;
        }
        for l in lines {
            found.push(format!("{}:{l}", f.display()));
        }
    }
    assert!(
        found.is_empty(),
        "`unsafe` outside core/src/sys:\n{}",
        found.join("\n")
    );
    // The scan does see the keyword where it is.
    assert!(
        in_sys > 10,
        "only {in_sys} unsafe lines found in core/src/sys"
    );
}

#[test]
fn every_crate_denies_unsafe_code_except_sys_and_the_bench() {
    let root = root();
    let ws = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        ws.contains("unsafe_code = \"deny\""),
        "the workspace lint is gone"
    );
    let mut files = Vec::new();
    for dir in [
        "core", "drivers", "boards", "rs485", "cli", "examples", "xtask",
    ] {
        rust_files(&root.join(dir), &mut files);
        let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("workspace = true"),
            "{dir} does not take the workspace lints"
        );
    }
    let allowed = [
        root.join("core/src/sys/mod.rs"),
        root.join("core/benches/guest_bench.rs"),
        root.join("core/benches/common/mod.rs"),
        root.join("core/tests/guest_gpio_alloc.rs"),
    ];
    for f in files {
        let code = code_only(&std::fs::read_to_string(&f).unwrap());
        if code.contains("allow(unsafe_code)") || code.contains("expect(unsafe_code)") {
            assert!(allowed.contains(&f), "{} allows unsafe_code", f.display());
        }
    }
}
