//! The driver bodies written inside `dual_impl!` and `impl_error!` are formatted by rustfmt
//! like the rest of the crate: rustfmt formats a parenthesised macro call only when it can
//! format all of it (and leaves it exactly as typed otherwise, which `cargo fmt --check`
//! cannot see). Each call is flattened (every line's indentation removed) and handed to
//! rustfmt with its file; the call must come back as it is in the source.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const MACROS: [&str; 2] = ["dual_impl!", "impl_error!"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The calls at the start of a line, each from its first line to its closing `);` line.
fn calls(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut start = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if start.is_none() && MACROS.iter().any(|m| line.starts_with(m)) {
            start = Some(offset);
        }
        offset += line.len();
        if let Some(s) = start {
            let first = s + line.len() == offset;
            let t = line.trim_end();
            if (first && t.ends_with(");")) || t == ");" || t == "});" {
                found.push((s, offset));
                start = None;
            }
        }
    }
    assert!(start.is_none(), "a call with no closing `);` line");
    found
}

/// Every line's leading whitespace removed, except inside a string continued with `\`.
fn flatten(call: &str) -> String {
    let mut out = String::new();
    let mut continued = false;
    for line in call.split_inclusive('\n') {
        out.push_str(if continued {
            line
        } else {
            line.trim_start_matches([' ', '\t'])
        });
        continued = line.trim_end().ends_with('\\');
    }
    out
}

fn rustfmt(source: &str) -> String {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rustfmt not found: `rustup component add rustfmt` (or set RUSTFMT)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "rustfmt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn rustfmt_formats_every_dual_impl_and_impl_error_call() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut unformatted = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            assert!(
                !MACROS.iter().any(|m| line.starts_with(&format!("{m} {{"))),
                "{}:{}: `{line}`: call it with parentheses, `dual_impl!({{ .. }});`, \
                 so that rustfmt formats its body",
                file.display(),
                n + 1
            );
        }
        for (start, end) in calls(&text) {
            let call = &text[start..end];
            let flat = format!("{}{}{}", &text[..start], flatten(call), &text[end..]);
            if !rustfmt(&flat).contains(call) {
                let line = text[..start].lines().count() + 1;
                unformatted.push(format!("{}:{line}", file.display()));
            }
            checked += 1;
        }
    }
    // 19 drivers plus the probe: at least one of each macro per driver.
    assert!(
        checked >= 40,
        "found only {checked} calls in {}",
        src.display()
    );
    assert!(
        unformatted.is_empty(),
        "rustfmt leaves these calls as typed (a line it cannot fit, such as a long string: \
         split it with `\\` at the end of the line; or a form that is not an expression): {unformatted:#?}"
    );
}
