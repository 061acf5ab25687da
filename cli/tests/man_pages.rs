//! The manual pages `udrv man --dir` writes (the ones the Debian package and the tarball
//! ship): every page another one names exists, each has the sections a user looks for,
//! groff renders them without a warning, and the examples on the virtual board run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

mod man_commands;

/// Every page, by file name (`udrv-i2c-get.1`), from `udrv man --dir` into `dir`.
fn generate(dir: &Path) -> BTreeMap<String, String> {
    let o = man_commands::udrv(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect();
    let mut pages = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert!(
            listed.contains(&path.display().to_string()),
            "{} written but not printed",
            path.display()
        );
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        pages.insert(name, std::fs::read_to_string(&path).unwrap());
    }
    assert_eq!(listed.len(), pages.len(), "printed {listed:?}");
    pages
}

/// The body of section `.SH NAME` (or `.SH "TWO WORDS"`) of a page, up to the next `.SH`.
fn section<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let heading = if name.contains(' ') {
        format!(".SH \"{name}\"\n")
    } else {
        format!(".SH {name}\n")
    };
    let start = page.find(&heading)? + heading.len();
    let rest = &page[start..];
    Some(&rest[..rest.find("\n.SH ").map_or(rest.len(), |e| e + 1)])
}

/// The `name(1)` references in a piece of roff (`udrv\-i2c(1)` names `udrv-i2c.1`).
fn references(roff: &str) -> Vec<String> {
    let text = roff.replace("\\-", "-");
    let mut refs = Vec::new();
    for (i, _) in text.match_indices("(1)") {
        let before = &text[..i];
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(0, |p| p + 1);
        refs.push(format!("{}.1", &before[start..]));
    }
    refs
}

#[test]
fn every_page_named_exists_and_every_page_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let pages = generate(dir.path());
    assert!(pages.contains_key("udrv.1"), "{:?}", pages.keys());
    let mut named = vec!["udrv.1".to_string()];
    for (file, page) in &pages {
        let mut refs = Vec::new();
        for s in ["SUBCOMMANDS", "SEE ALSO"] {
            refs.extend(section(page, s).map(references).unwrap_or_default());
        }
        assert!(
            section(page, "SEE ALSO").is_some_and(|s| !references(s).is_empty()),
            "{file}: no SEE ALSO naming a page"
        );
        for r in refs {
            assert!(
                pages.contains_key(&r),
                "{file} refers to {r}, which udrv man --dir did not write"
            );
            named.push(r);
        }
    }
    // No page is an orphan: udrv(1) leads to every other through SUBCOMMANDS.
    for file in pages.keys() {
        assert!(named.contains(file), "no page names {file}");
    }
    // The subcommand tree itself: udrv-i2c(1) lists udrv-i2c-get(1).
    let i2c = section(&pages["udrv-i2c.1"], "SUBCOMMANDS").expect("udrv-i2c.1 SUBCOMMANDS");
    assert!(
        references(i2c).contains(&"udrv-i2c-get.1".to_string()),
        "{i2c}"
    );
}

#[test]
fn every_page_has_examples_environment_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let pages = generate(dir.path());
    for (file, page) in &pages {
        for s in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "EXAMPLES",
            "ENVIRONMENT",
            "EXIT STATUS",
        ] {
            let body = section(page, s).unwrap_or_else(|| panic!("{file}: no {s} section"));
            assert!(!body.trim().is_empty(), "{file}: {s} is empty");
        }
        let env = section(page, "ENVIRONMENT").unwrap().replace("\\-", "-");
        for var in ["UDRV_BOARD", "UDRV_VIRTUAL_FAULTS", "UDRV_VIRTUAL_TIME"] {
            assert!(env.contains(&format!("\\fB{var}\\fR")), "{file}: no {var}");
        }
        let status = section(page, "EXIT STATUS").unwrap();
        for code in ["0", "1", "2"] {
            assert!(
                status.contains(&format!("\\fB{code}\\fR")),
                "{file}: exit status {code} not explained"
            );
        }
        assert!(
            section(page, "EXAMPLES")
                .unwrap()
                .contains(".TP\n\\fBudrv "),
            "{file}: no udrv command line in EXAMPLES"
        );
    }
}

/// groff (man's formatter) renders every page with all its warnings on (`-ww`) and says
/// nothing. Skipped, saying so, where groff is not installed.
#[test]
fn groff_renders_every_page_without_warnings() {
    if Command::new("groff").arg("--version").output().is_err() {
        eprintln!("groff is not installed: the pages are not rendered here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pages = generate(dir.path());
    for file in pages.keys() {
        let path = dir.path().join(file);
        let o = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success() && err.is_empty(), "{file}: groff: {err}");
        // And what a reader sees holds the sections.
        let o = Command::new("groff")
            .args(["-man", "-Tutf8", "-P-c", "-P-b", "-P-u"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        for s in ["EXAMPLES", "ENVIRONMENT", "EXIT STATUS", "SEE ALSO"] {
            assert!(text.contains(s), "{file}: rendered without {s}:\n{text}");
        }
    }
}

/// The command lines of a page's EXAMPLES (`.TP` then `\fB...\fR`), unescaped.
fn examples(page: &str) -> Vec<String> {
    let body = section(page, "EXAMPLES").unwrap_or("");
    body.split(".TP\n")
        .filter_map(|e| e.strip_prefix("\\fB"))
        .filter_map(|e| e.split("\\fR").next())
        .map(|l| l.replace("\\-", "-").replace("\\*(Aq", "'"))
        .collect()
}

/// Every example on the virtual board (they need no hardware) runs as written, through
/// sh, with this build's udrv first in PATH, and succeeds (i2c set, as i2cset, prints
/// nothing).
#[test]
fn the_examples_on_the_virtual_board_run() {
    let dir = tempfile::tempdir().unwrap();
    let pages = generate(dir.path());
    let bin = Path::new(env!("CARGO_BIN_EXE_udrv")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut ran = 0;
    for (file, page) in &pages {
        for line in examples(page)
            .iter()
            .filter(|l| l.contains("--board virtual"))
        {
            let o = Command::new("timeout")
                .args(["60", "sh", "-c", line])
                .env("PATH", &path)
                .env("UDRV_VIRTUAL_TIME", "1000")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{file}: `{line}`: {:?}\n{}",
                o.status,
                String::from_utf8_lossy(&o.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 10, "only {ran} virtual-board examples");
}
