//! Building sysfs trees in a test's temporary folder as the kernel lays them out:
//! attributes (text and a newline) and relative symlinks.
//!
//! Shared by the catalog's and the CLI's kernel-driver tests (included there by path).
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

/// Writes `root/rel` with `text` and a newline, as sysfs shows attributes.
pub fn attr(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, format!("{text}\n")).unwrap();
}

/// A symlink `rel` → `target` (both relative to the root), made relative as sysfs's are.
pub fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::create_dir_all(root.join(target)).unwrap();
    let depth = Path::new(rel).components().count() - 1;
    symlink(format!("{}{target}", "../".repeat(depth)), p).unwrap();
}
