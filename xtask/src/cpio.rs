//! A minimal writer for the `newc` cpio format, the one Linux unpacks as an initramfs.
//!
//! Linux accepts several cpio archives concatenated, so the cached base image (busybox,
//! modules, init) and the per-run payload (test binaries) are written separately and
//! joined byte by byte.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Builds one newc archive in memory.
#[derive(Default)]
pub struct Archive {
    buf: Vec<u8>,
    ino: u32,
    dirs: std::collections::BTreeSet<String>,
}

impl Archive {
    /// An empty archive.
    pub fn new() -> Self {
        Archive {
            buf: Vec::new(),
            ino: 1000,
            dirs: Default::default(),
        }
    }

    fn entry(&mut self, name: &str, mode: u32, data: &[u8]) {
        self.ino += 1;
        let name = name.trim_start_matches('/');
        let namesize = name.len() + 1;
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            self.ino,
            mode,
            0, // uid
            0, // gid
            1, // nlink
            0, // mtime
            data.len(),
            0,
            0,
            0,
            0,
            namesize,
            0, // check
        );
        self.buf.extend_from_slice(header.as_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(0);
        self.pad();
        self.buf.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
    }

    /// Adds a directory (parents must be added first); a directory already added is kept
    /// once.
    pub fn dir(&mut self, name: &str) {
        if self.dirs.insert(name.trim_matches('/').to_string()) {
            self.entry(name, 0o040755, &[]);
        }
    }

    /// Adds a regular file with the given permission bits.
    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) {
        self.entry(name, 0o100000 | (perm & 0o7777), data);
    }

    /// Adds a symbolic link.
    pub fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, 0o120777, target.as_bytes());
    }

    /// Adds a host file, keeping its permission bits.
    pub fn host_file(&mut self, name: &str, src: &Path) -> io::Result<()> {
        let data = fs::read(src)?;
        let perm = fs::metadata(src)?.permissions().mode();
        self.file(name, perm, &data);
        Ok(())
    }

    /// Adds a host folder tree under `name` (directories, files and symlinks).
    pub fn host_tree(&mut self, name: &str, src: &Path) -> io::Result<()> {
        self.dir(name);
        let mut entries: Vec<_> = fs::read_dir(src)?.collect::<io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let child = format!("{name}/{}", e.file_name().to_string_lossy());
            let meta = fs::symlink_metadata(e.path())?;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(e.path())?;
                self.symlink(&child, &target.to_string_lossy());
            } else if meta.is_dir() {
                self.host_tree(&child, &e.path())?;
            } else {
                let data = fs::read(e.path())?;
                self.file(&child, meta.mode(), &data);
            }
        }
        Ok(())
    }

    /// Ends the archive with the trailer and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        // The kernel reads archives in 512-byte blocks; pad to keep concatenation clean.
        while !self.buf.len().is_multiple_of(512) {
            self.buf.push(0);
        }
        self.buf
    }

    /// Writes the finished archive to `path` atomically (a temporary file renamed into
    /// place), so a cache never holds half an archive and two runs never share a temp file.
    pub fn save(self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&self.finish())?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_and_alignment() {
        let mut a = Archive::new();
        a.file("kb/run", 0o755, b"#!/bin/sh\n");
        let bytes = a.finish();
        assert_eq!(&bytes[..6], b"070701");
        // mode field is the second 8-hex-digit field
        assert_eq!(&bytes[14..22], b"000081ed");
        // filesize
        assert_eq!(&bytes[54..62], b"0000000a");
        assert_eq!(bytes.len() % 512, 0);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("kb/run\0"));
        assert!(text.contains("TRAILER!!!"));
    }

    #[test]
    fn a_directory_is_added_once() {
        let mut a = Archive::new();
        a.dir("lib/modules");
        a.dir("/lib/modules/");
        a.dir("lib");
        let text = String::from_utf8_lossy(&a.finish()).into_owned();
        assert_eq!(text.matches("lib/modules\0").count(), 1);
        assert_eq!(
            text.matches("070701").count(),
            3,
            "two directories and the trailer"
        );
    }

    #[test]
    fn save_replaces_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("udrv-xtask-cpio-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.cpio");
        fs::write(&path, b"old").unwrap();
        let mut a = Archive::new();
        a.file("x", 0o644, b"y");
        a.save(&path).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"070701") && bytes.len().is_multiple_of(512));
        let left: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(left.len(), 1, "no temporary file left beside the archive");
    }
}
