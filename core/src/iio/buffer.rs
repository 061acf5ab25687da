//! The buffered interface of an IIO device (Documentation/ABI/testing/sysfs-bus-iio,
//! Documentation/iio/iio_configfs.rst): channels enabled in `scan_elements/`, a trigger
//! in `trigger/current_trigger`, `buffer/length` and `buffer/enable`, then scans read
//! from `/dev/iio:deviceN`. Each scan holds the enabled channels in `_index` order, each
//! aligned to its storage size, as `_type` (`le:s12/16>>4`) says how to unpack it.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::{Channel, Error, IioDevice};
use crate::sysfs::{AttrError, Dev, Problem};

/// How one channel is stored in a scan: `scan_elements/in_<channel>_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanType {
    /// Big-endian (`be`), else little-endian.
    pub big_endian: bool,
    /// Signed (`s`), else unsigned.
    pub signed: bool,
    /// The bits that hold the value.
    pub bits: u8,
    /// The bits of storage per value (8, 16, 32, 64).
    pub storage: u8,
    /// The right shift to apply before masking.
    pub shift: u8,
}

impl ScanType {
    /// Parses `le:s12/16>>4` (a repeat count, `X2`, is not supported).
    pub fn parse(s: &str) -> Option<ScanType> {
        let (endian, rest) = s.trim().split_once(':')?;
        let big_endian = match endian {
            "be" => true,
            "le" => false,
            _ => return None,
        };
        let signed = match rest.as_bytes().first()? {
            b's' => true,
            b'u' => false,
            _ => return None,
        };
        let (bits, rest) = rest[1..].split_once('/')?;
        let (storage, shift) = rest.split_once(">>")?;
        let t = ScanType {
            big_endian,
            signed,
            bits: bits.parse().ok()?,
            storage: storage.parse().ok()?,
            shift: shift.parse().ok()?,
        };
        let ok = matches!(t.storage, 8 | 16 | 32 | 64) && t.bits >= 1 && t.bits <= t.storage;
        ok.then_some(t)
    }

    /// The value in `bytes` (exactly `storage / 8` of them).
    pub fn unpack(&self, bytes: &[u8]) -> i64 {
        let mut v: u64 = 0;
        for i in 0..bytes.len() {
            let b = if self.big_endian {
                bytes[i]
            } else {
                bytes[bytes.len() - 1 - i]
            };
            v = (v << 8) | b as u64;
        }
        v >>= self.shift;
        let mask = if self.bits == 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        };
        v &= mask;
        if self.signed && self.bits < 64 && v & (1 << (self.bits - 1)) != 0 {
            (v | !mask) as i64
        } else {
            v as i64
        }
    }
}

/// One enabled channel of a buffer.
#[derive(Clone, Debug)]
struct Element {
    channel: Option<Channel>,
    index: u32,
    ty: ScanType,
    offset: usize,
}

/// One value of a scan.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanValue {
    /// The channel (`voltage0`; `timestamp` for the timestamp).
    pub channel: String,
    /// The raw value.
    pub raw: i64,
    /// The value, the channel's offset and scale applied (the timestamp: nanoseconds).
    pub value: f64,
}

/// A running buffer: disabled again when dropped. Scans are read blocking
/// ([`read_scan`](Self::read_scan)) or, with the `tokio` feature, awaited on tokio's
/// reactor ([`read_scan_async`](Self::read_scan_async)).
#[derive(Debug)]
pub struct Buffer {
    dev: IioDevice,
    file: File,
    elements: Vec<(Element, f64, f64)>,
    record: usize,
    node: PathBuf,
    #[cfg(feature = "tokio")]
    reactor: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl IioDevice {
    /// Starts the buffer: enables `channels` (and the timestamp when `timestamp`), sets
    /// `trigger` (a trigger's name, as `/sys/bus/iio/devices/triggerN/name` gives it),
    /// `length` scans, enables the buffer and opens `/dev/iio:deviceN` under the root.
    pub fn buffer(
        &self,
        channels: &[&str],
        timestamp: bool,
        trigger: &str,
        length: u32,
    ) -> Result<Buffer, Error> {
        let scan = Dev {
            subsystem: "iio",
            name: self.dev.name.clone(),
            dir: self.dev.dir.join("scan_elements"),
        };
        let mut names: Vec<(Option<Channel>, String)> = Vec::new();
        for c in channels {
            let ch = self.channel(c)?;
            names.push((Some(ch), format!("in_{c}")));
        }
        if timestamp {
            names.push((None, "in_timestamp".into()));
        }
        // Everything off first (another program's choice), then ours on.
        self.dev.write("buffer/enable", "0")?;
        for f in std::fs::read_dir(&scan.dir).into_iter().flatten().flatten() {
            let n = f.file_name().to_string_lossy().into_owned();
            if n.ends_with("_en") {
                scan.write(&n, "0")?;
            }
        }
        let mut elements = Vec::new();
        for (ch, n) in names {
            scan.write(&format!("{n}_en"), "1")?;
            let index: u32 = scan.parse(&format!("{n}_index"), "a scan index")?;
            let t = scan.read(&format!("{n}_type"))?;
            let ty = ScanType::parse(&t).ok_or_else(|| {
                scan.err(
                    scan.dir.join(format!("{n}_type")),
                    false,
                    Problem::Garbage {
                        text: t.clone(),
                        expected: "a scan type such as `le:s12/16>>4`",
                    },
                )
            })?;
            elements.push(Element {
                channel: ch,
                index,
                ty,
                offset: 0,
            });
        }
        elements.sort_by_key(|e| e.index);
        let mut at: usize = 0;
        let mut align: usize = 1;
        for e in &mut elements {
            let size = e.ty.storage as usize / 8;
            at = at.div_ceil(size) * size;
            e.offset = at;
            at += size;
            align = align.max(size);
        }
        let record = at.div_ceil(align) * align;
        self.dev.write("trigger/current_trigger", trigger)?;
        self.dev.write("buffer/length", &length.to_string())?;
        self.dev.write("buffer/enable", "1")?;
        let mut with_scale = Vec::new();
        for e in elements {
            let (offset, scale) = match &e.channel {
                Some(ch) => {
                    let off = self.shared(ch, "offset")?.map_or(Ok(0.0), |(a, t)| {
                        self.dev.parse_text::<f64>(&a, &t, "a number")
                    })?;
                    let sc = self.shared(ch, "scale")?.map_or(Ok(1.0), |(a, t)| {
                        self.dev.parse_text::<f64>(&a, &t, "a number")
                    })?;
                    (off, sc)
                }
                None => (0.0, 1.0),
            };
            with_scale.push((e, offset, scale));
        }
        let node = dev_node(&self.dev.dir, &self.id);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&node)
            .map_err(|e| Error::Attr(self.dev_io(&node, e)))?;
        Ok(Buffer {
            dev: self.clone(),
            file,
            elements: with_scale,
            record,
            node,
            #[cfg(feature = "tokio")]
            reactor: None,
        })
    }

    fn dev_io(&self, node: &std::path::Path, e: std::io::Error) -> AttrError {
        self.dev.err(node.to_path_buf(), false, Problem::Io(e))
    }
}

/// `/dev/iio:deviceN` beside the `sys` folder the device's folder is under.
fn dev_node(dir: &std::path::Path, id: &str) -> PathBuf {
    let root = dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "sys"))
        .and_then(|p| p.parent())
        .unwrap_or(std::path::Path::new("/"));
    root.join("dev").join(id)
}

impl Buffer {
    /// The size of one scan in bytes.
    pub fn scan_size(&self) -> usize {
        self.record
    }

    /// Reads one scan (blocking until the trigger fires).
    pub fn read_scan(&mut self) -> Result<Vec<ScanValue>, Error> {
        loop {
            if let Some(scan) = self.try_read_scan()? {
                return Ok(scan);
            }
            crate::sys::fs::poll_readable(self.file.as_fd(), None).map_err(|e| self.io(e))?;
        }
    }

    /// Reads one scan, waiting at most `timeout` for the trigger: `None` when none came
    /// (a program that stops on a signal reads with this and checks between reads).
    pub fn read_scan_timeout(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Option<Vec<ScanValue>>, Error> {
        if let Some(scan) = self.try_read_scan()? {
            return Ok(Some(scan));
        }
        if !crate::sys::fs::poll_readable(self.file.as_fd(), Some(timeout))
            .map_err(|e| self.io(e))?
        {
            return Ok(None);
        }
        self.try_read_scan()
    }

    /// Awaits one scan on tokio's reactor (no thread blocks).
    #[cfg(feature = "tokio")]
    pub async fn read_scan_async(&mut self) -> Result<Vec<ScanValue>, Error> {
        if self.reactor.is_none() {
            let fd = crate::sys::fs::async_fd(self.file.as_fd()).map_err(|e| self.io(e))?;
            self.reactor = Some(fd);
        }
        loop {
            if let Some(scan) = self.try_read_scan()? {
                return Ok(scan);
            }
            let reactor = self.reactor.as_ref().expect("registered above");
            let mut guard = reactor.readable().await.map_err(|e| self.io(e))?;
            guard.clear_ready();
        }
    }

    fn io(&self, e: io::Error) -> Error {
        Error::Attr(self.dev.dev_io(&self.node, e))
    }

    /// One scan if one is there (`None`: none yet).
    fn try_read_scan(&mut self) -> Result<Option<Vec<ScanValue>>, Error> {
        let mut buf = vec![0u8; self.record];
        let n = match self.file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        if n != self.record {
            return Err(self.io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{n} bytes where a scan has {} (the buffer was disabled, or the device \
                     is gone)",
                    self.record
                ),
            )));
        }
        Ok(Some(
            self.elements
                .iter()
                .map(|(e, offset, scale)| {
                    let size = e.ty.storage as usize / 8;
                    let raw = e.ty.unpack(&buf[e.offset..e.offset + size]);
                    ScanValue {
                        channel: e
                            .channel
                            .as_ref()
                            .map_or("timestamp".to_string(), |c| c.name.clone()),
                        raw,
                        value: (raw as f64 + offset) * scale,
                    }
                })
                .collect(),
        ))
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let _ = self.dev.dev.write("buffer/enable", "0");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_types_parse_and_unpack() {
        let t = ScanType::parse("le:s12/16>>4").unwrap();
        assert_eq!((t.signed, t.bits, t.storage, t.shift), (true, 12, 16, 4));
        // -1 in 12 bits, shifted left by 4, little-endian.
        assert_eq!(t.unpack(&[0xf0, 0xff]), -1);
        let u = ScanType::parse("be:u13/16>>0").unwrap();
        assert_eq!(u.unpack(&[0x00, 0x07]), 7);
        assert_eq!(
            ScanType::parse("le:s64/64>>0").unwrap().unpack(&[0xff; 8]),
            -1
        );
        assert!(ScanType::parse("xx:s12/16>>0").is_none());
        assert!(ScanType::parse("le:s17/16>>0").is_none());
    }
}
