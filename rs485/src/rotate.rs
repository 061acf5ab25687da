//! File rotation by size or time, as tcpdump's `-C` and `-G` (and `-W` for a ring).
//!
//! With rotation on, the output path is a base name and the files are named as dumpcap's
//! ring buffer names them: `capture.pcapng` becomes `capture_00001_20261122001535.pcapng`,
//! `capture_00002_...`: a five-digit sequence number and the UTC time of the file's first
//! frame. Time-based rotation follows frame timestamps, so a replay rotates as the live
//! capture did.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::frame::Frame;
use crate::pcap::{open_sink, Format, FrameSink, Interface};
use crate::time::Timestamp;

/// When to start a new file. The default never does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Start a new file once the current one holds this many bytes (tcpdump `-C`).
    pub max_bytes: Option<u64>,
    /// Start a new file when a frame is this much later than the current file's first
    /// frame (tcpdump `-G`).
    pub every: Option<Duration>,
    /// Keep only the newest this many files, deleting older ones (tcpdump `-W`).
    pub max_files: Option<u32>,
}

impl Rotation {
    /// True when any rotation is set.
    pub fn is_on(&self) -> bool {
        self.max_bytes.is_some() || self.every.is_some()
    }
}

/// Parses a size as tcpdump's `-C` takes it, in bytes with an optional suffix:
/// `1000000`, `500k`, `100M`, `2G` (powers of 1000, as tcpdump).
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1_000),
        (i, 'm' | 'M') => (&s[..i], 1_000_000),
        (i, 'g' | 'G') => (&s[..i], 1_000_000_000),
        _ => (s, 1),
    };
    num.parse::<u64>()
        .ok()?
        .checked_mul(mult)
        .filter(|&n| n > 0)
}

/// The name of file number `index` (from 1) of a rotation based on `base`.
pub fn rotated_name(base: &Path, index: u32, first_frame: Timestamp) -> PathBuf {
    let stem = base
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("capture");
    let name = match base.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}_{index:05}_{}.{ext}", first_frame.utc_compact()),
        None => format!("{stem}_{index:05}_{}", first_frame.utc_compact()),
    };
    base.with_file_name(name)
}

/// A [`FrameSink`] that writes a series of files.
pub struct RotatingSink {
    base: PathBuf,
    format: Format,
    interfaces: Vec<Interface>,
    rotation: Rotation,
    flush_each: bool,
    current: Option<(Box<dyn FrameSink>, Timestamp)>,
    index: u32,
    files: Vec<PathBuf>,
}

impl RotatingSink {
    /// A rotating sink; the first file is created with the first frame.
    pub fn new(base: &Path, format: Format, interfaces: &[Interface], rotation: Rotation) -> Self {
        RotatingSink {
            base: base.to_path_buf(),
            format,
            interfaces: interfaces.to_vec(),
            rotation,
            flush_each: false,
            current: None,
            index: 0,
            files: Vec::new(),
        }
    }

    /// Every file written so far, oldest first (deleted ones included).
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    fn open_next(&mut self, t: Timestamp) -> io::Result<()> {
        if let Some((mut old, _)) = self.current.take() {
            old.flush()?;
        }
        self.index += 1;
        let path = rotated_name(&self.base, self.index, t);
        let file = File::create(&path)?;
        let mut sink = open_sink(
            self.format,
            crate::pcap::BlockFile::new(file)?,
            &self.interfaces,
        )?;
        sink.set_flush_each(self.flush_each);
        self.files.push(path);
        if let Some(keep) = self.rotation.max_files {
            let n = self.files.len();
            if n > keep as usize {
                let _ = std::fs::remove_file(&self.files[n - keep as usize - 1]);
            }
        }
        self.current = Some((sink, t));
        Ok(())
    }
}

impl RotatingSink {
    /// The file `frame` goes to: a new one when the current one is full or old enough.
    fn sink_for(&mut self, frame: &Frame) -> io::Result<&mut dyn FrameSink> {
        let due = match &self.current {
            None => true,
            Some((sink, first)) => {
                self.rotation
                    .max_bytes
                    .is_some_and(|m| sink.bytes_written() >= m)
                    || self
                        .rotation
                        .every
                        .is_some_and(|e| frame.timestamp.since(*first) >= e)
            }
        };
        if due {
            self.open_next(frame.timestamp)?;
        }
        Ok(self.current.as_mut().expect("opened above").0.as_mut())
    }
}

impl FrameSink for RotatingSink {
    fn write_frame(&mut self, frame: &Frame) -> io::Result<()> {
        self.sink_for(frame)?.write_frame(frame)
    }
    fn write_frame_with_comment(&mut self, frame: &Frame, comment: &str) -> io::Result<()> {
        self.sink_for(frame)?
            .write_frame_with_comment(frame, comment)
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((s, _)) => s.flush(),
            None => Ok(()),
        }
    }
    fn set_flush_each(&mut self, on: bool) {
        self.flush_each = on;
        if let Some((s, _)) = &mut self.current {
            s.set_flush_each(on);
        }
    }
    fn bytes_written(&self) -> u64 {
        self.current.as_ref().map_or(0, |(s, _)| s.bytes_written())
    }
    fn files(&self) -> Vec<PathBuf> {
        self.files.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_reach_the_rotated_files() {
        use crate::pcap::LinkType;
        use crate::Status;
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("cap.pcapng");
        let iface = Interface {
            name: "/dev/ttyUSB0".into(),
            description: "RS485".into(),
            link_type: LinkType::User(0),
            speed_bps: None,
        };
        let rotation = Rotation {
            max_bytes: Some(1),
            ..Rotation::default()
        };
        let mut sink = RotatingSink::new(&base, Format::Pcapng, &[iface], rotation);
        let t = Timestamp::from_nanos(1_763_770_535_000_000_000);
        sink.write_frame(&Frame::new(t, vec![1, 3, 0, 0], Status::OK))
            .unwrap();
        sink.write_frame_with_comment(
            &Frame::new(t, vec![1, 3, 0, 1], Status::OK),
            "udrv: after reconnect",
        )
        .unwrap();
        sink.flush().unwrap();
        let files = sink.files();
        assert_eq!(files.len(), 2, "one frame per file at a 1-byte limit");
        let has = |p: &Path| {
            let b = std::fs::read(p).unwrap();
            b.windows(21).any(|w| w == b"udrv: after reconnect")
        };
        assert!(!has(&files[0]));
        assert!(has(&files[1]), "the comment is in the second file");
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("100M"), Some(100_000_000));
        assert_eq!(parse_size("500k"), Some(500_000));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn names_follow_dumpcap() {
        let t = Timestamp::from_nanos(1_763_770_535_000_000_000);
        assert_eq!(
            rotated_name(Path::new("/tmp/cap.pcapng"), 3, t),
            Path::new("/tmp/cap_00003_20251122001535.pcapng")
        );
        assert_eq!(
            rotated_name(Path::new("x"), 1, t),
            Path::new("x_00001_20251122001535")
        );
    }
}
