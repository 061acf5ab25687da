//! The raw log: every chunk as read, with its timestamp and port, so that any capture can
//! be framed again offline (another framer, other settings, a fixed bug).
//!
//! Format (all integers little-endian):
//!
//! ```text
//! header   magic "UDRVRAW\n" (8 bytes), version u16 = 1, rest_len u16,
//!          then rest_len bytes: baud u32, data_bits u8, parity u8 ('N','E','O','M','S'),
//!          stop_bits u8, port_count u8, per port: name_len u16, name (UTF-8);
//!          then resolution_ns u64 (the timestamp resolution the framers trusted)
//! record   ts_ns u64 (CLOCK_REALTIME when the read returned), port u8, flags u8,
//!          len u16, len bytes
//! ```
//!
//! Flags bit 0 marks a *tick*: no data (len 0), the capture loop found the port quiet at
//! `ts` and let its framer close a frame on that silence. Replaying ticks where the live
//! capture made them reproduces its frames exactly; a log without ticks replays with the
//! ticks [`crate::framer::Framer::feed`] infers.
//!
//! Flags bits 1 and 2 mark a port going away and coming back (a capture with reconnect,
//! [`crate::capture::CaptureConfig::reconnect`]), with no data (len 0): bit 1, the port
//! vanished at `ts` and its framer gave out what it held (a partial frame flagged too
//! short); bit 2, the port was opened again at `ts` and the input waiting in it was
//! discarded. Readers that predate them see empty chunks, which frame nothing. Other flag
//! bits are reserved (0).
//!
//! Records follow each other to the end of the file. A record cut short (the capture was
//! killed mid-write) is reported by [`RawLogReader::truncated`] and ignored.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::Duration;

use udrv_core::serial::{LineSettings, Parity, StopBits};

use crate::time::Timestamp;

/// The file's first 8 bytes.
pub const MAGIC: &[u8; 8] = b"UDRVRAW\n";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;

/// What the raw log's header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLogHeader {
    /// The line settings of the capture.
    pub line: LineSettings,
    /// The ports, in interface order.
    pub ports: Vec<String>,
    /// The timestamp resolution of the capture (gaps shorter are not trusted).
    pub resolution: Duration,
}

/// One chunk as read from a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// When the read returned.
    pub timestamp: Timestamp,
    /// The port's index in the header.
    pub port: u8,
    /// The bytes read (empty for a tick).
    pub data: Vec<u8>,
    /// A tick: the port was quiet at `timestamp` (see the module docs).
    pub tick: bool,
    /// The port went away or came back at `timestamp` (no data).
    pub event: Option<PortEvent>,
}

/// A port's going away or coming back, recorded in the raw log (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortEvent {
    /// The port vanished; its framer gave out what it held (flags bit 1).
    Gone,
    /// The port was opened again; the input waiting in it was discarded (flags bit 2).
    Back,
}

impl PortEvent {
    fn flag(self) -> u8 {
        match self {
            PortEvent::Gone => 2,
            PortEvent::Back => 4,
        }
    }
}

/// Writes a raw log.
#[derive(Debug)]
pub struct RawLogWriter<W: Write> {
    w: W,
    flush_each: bool,
}

impl RawLogWriter<BufWriter<File>> {
    /// Creates the file at `path`; each chunk is flushed as it is written.
    pub fn create(path: &Path, header: &RawLogHeader) -> io::Result<Self> {
        let mut w = RawLogWriter::new(BufWriter::new(File::create(path)?), header)?;
        w.flush_each = true;
        Ok(w)
    }
}

impl<W: Write> RawLogWriter<W> {
    /// Writes the header to `w`.
    pub fn new(mut w: W, header: &RawLogHeader) -> io::Result<Self> {
        let mut rest = Vec::new();
        rest.extend_from_slice(&header.line.baud.to_le_bytes());
        rest.push(header.line.data_bits);
        rest.push(header.line.parity.letter() as u8);
        rest.push(match header.line.stop_bits {
            StopBits::One => 1,
            StopBits::Two => 2,
        });
        rest.push(header.ports.len() as u8);
        for p in &header.ports {
            rest.extend_from_slice(&(p.len() as u16).to_le_bytes());
            rest.extend_from_slice(p.as_bytes());
        }
        rest.extend_from_slice(&(header.resolution.as_nanos() as u64).to_le_bytes());
        w.write_all(MAGIC)?;
        w.write_all(&VERSION.to_le_bytes())?;
        w.write_all(&(rest.len() as u16).to_le_bytes())?;
        w.write_all(&rest)?;
        Ok(RawLogWriter {
            w,
            flush_each: false,
        })
    }

    /// Appends a tick: `port` was quiet at `ts` and its framer was ticked.
    pub fn write_tick(&mut self, ts: Timestamp, port: u8) -> io::Result<()> {
        let mut rec = Vec::with_capacity(12);
        rec.extend_from_slice(&ts.as_nanos().to_le_bytes());
        rec.extend_from_slice(&[port, 1, 0, 0]);
        self.w.write_all(&rec)?;
        if self.flush_each {
            self.w.flush()?;
        }
        Ok(())
    }

    /// Appends a port event: `port` went away or came back at `ts`.
    pub fn write_event(&mut self, ts: Timestamp, port: u8, event: PortEvent) -> io::Result<()> {
        let mut rec = Vec::with_capacity(12);
        rec.extend_from_slice(&ts.as_nanos().to_le_bytes());
        rec.extend_from_slice(&[port, event.flag(), 0, 0]);
        self.w.write_all(&rec)?;
        if self.flush_each {
            self.w.flush()?;
        }
        Ok(())
    }

    /// Appends one chunk (split in pieces of at most 65535 bytes).
    pub fn write_chunk(&mut self, ts: Timestamp, port: u8, data: &[u8]) -> io::Result<()> {
        for piece in data.chunks(u16::MAX as usize) {
            let mut rec = Vec::with_capacity(12 + piece.len());
            rec.extend_from_slice(&ts.as_nanos().to_le_bytes());
            rec.push(port);
            rec.push(0);
            rec.extend_from_slice(&(piece.len() as u16).to_le_bytes());
            rec.extend_from_slice(piece);
            self.w.write_all(&rec)?;
        }
        if self.flush_each {
            self.w.flush()?;
        }
        Ok(())
    }

    /// Flushes buffered records.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Reads a raw log: the header, then [`Chunk`]s as an iterator.
#[derive(Debug)]
pub struct RawLogReader<R: Read> {
    r: R,
    header: RawLogHeader,
    truncated: bool,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl RawLogReader<BufReader<File>> {
    /// Opens the log at `path`.
    pub fn open(path: &Path) -> io::Result<Self> {
        RawLogReader::new(BufReader::with_capacity(1 << 16, File::open(path)?))
    }
}

impl<R: Read> RawLogReader<R> {
    /// Reads and checks the header from `r`.
    pub fn new(mut r: R) -> io::Result<Self> {
        let mut fixed = [0u8; 12];
        r.read_exact(&mut fixed)
            .map_err(|_| invalid("not a udrv raw log: too short"))?;
        if &fixed[..8] != MAGIC {
            return Err(invalid("not a udrv raw log: bad magic"));
        }
        let version = u16::from_le_bytes([fixed[8], fixed[9]]);
        if version != VERSION {
            return Err(invalid(format!(
                "raw log version {version}: this udrv reads version {VERSION}"
            )));
        }
        let mut rest = vec![0u8; u16::from_le_bytes([fixed[10], fixed[11]]) as usize];
        r.read_exact(&mut rest)
            .map_err(|_| invalid("raw log header cut short"))?;
        let bad = || invalid("raw log header is malformed");
        if rest.len() < 8 {
            return Err(bad());
        }
        let line = LineSettings {
            baud: u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes")),
            data_bits: rest[4],
            parity: Parity::parse(&(rest[5] as char).to_string()).ok_or_else(bad)?,
            stop_bits: if rest[6] == 2 {
                StopBits::Two
            } else {
                StopBits::One
            },
        };
        let mut ports = Vec::new();
        let mut at = 8;
        for _ in 0..rest[7] {
            let len =
                u16::from_le_bytes(rest.get(at..at + 2).ok_or_else(bad)?.try_into().expect("2"))
                    as usize;
            let name = rest.get(at + 2..at + 2 + len).ok_or_else(bad)?;
            ports.push(String::from_utf8_lossy(name).into_owned());
            at += 2 + len;
        }
        let resolution = rest
            .get(at..at + 8)
            .map(|b| Duration::from_nanos(u64::from_le_bytes(b.try_into().expect("8 bytes"))))
            .unwrap_or_default();
        Ok(RawLogReader {
            r,
            header: RawLogHeader {
                line,
                ports,
                resolution,
            },
            truncated: false,
        })
    }

    /// The header.
    pub fn header(&self) -> &RawLogHeader {
        &self.header
    }

    /// True when the log ended inside a record.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The next chunk, `Ok(None)` at the end.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        let mut h = [0u8; 12];
        match read_full(&mut self.r, &mut h)? {
            0 => return Ok(None),
            12 => {}
            _ => {
                self.truncated = true;
                return Ok(None);
            }
        }
        let len = u16::from_le_bytes([h[10], h[11]]) as usize;
        let mut data = vec![0u8; len];
        if read_full(&mut self.r, &mut data)? != len {
            self.truncated = true;
            return Ok(None);
        }
        Ok(Some(Chunk {
            timestamp: Timestamp(u64::from_le_bytes(h[0..8].try_into().expect("8 bytes"))),
            port: h[8],
            data,
            tick: h[9] & 1 != 0,
            event: [PortEvent::Gone, PortEvent::Back]
                .into_iter()
                .find(|e| h[9] & e.flag() != 0),
        }))
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> Iterator for RawLogReader<R> {
    type Item = io::Result<Chunk>;
    fn next(&mut self) -> Option<io::Result<Chunk>> {
        self.next_chunk().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let header = RawLogHeader {
            line: "9600 8E1".parse().unwrap(),
            ports: vec!["/dev/ttyUSB0".into(), "b".into()],
            resolution: Duration::from_micros(1500),
        };
        let mut w = RawLogWriter::new(Vec::new(), &header).unwrap();
        w.write_chunk(Timestamp(5), 0, &[1, 2, 3]).unwrap();
        w.write_chunk(Timestamp(6), 1, &[]).unwrap();
        w.write_chunk(Timestamp(7), 1, &[9; 10]).unwrap();
        w.write_tick(Timestamp(8), 0).unwrap();
        w.write_event(Timestamp(9), 1, PortEvent::Gone).unwrap();
        w.write_event(Timestamp(10), 1, PortEvent::Back).unwrap();
        let bytes = w.into_inner();
        let r = RawLogReader::new(&bytes[..]).unwrap();
        assert_eq!(r.header(), &header);
        let chunks: Vec<Chunk> = r.map(|c| c.unwrap()).collect();
        // The empty read leaves no record.
        let chunk = |t, port, data: Vec<u8>, tick| Chunk {
            timestamp: Timestamp(t),
            port,
            data,
            tick,
            event: None,
        };
        let event = |t, event| Chunk {
            event: Some(event),
            ..chunk(t, 1, vec![], false)
        };
        assert_eq!(
            chunks,
            [
                chunk(5, 0, vec![1, 2, 3], false),
                chunk(7, 1, vec![9; 10], false),
                chunk(8, 0, vec![], true),
                event(9, PortEvent::Gone),
                event(10, PortEvent::Back),
            ]
        );
        // The event records: port, flags bit 1 or 2, no data.
        let n = bytes.len();
        assert_eq!(bytes[n - 24 + 8..n - 12], [1, 2, 0, 0]);
        assert_eq!(bytes[n - 12 + 8..], [1, 4, 0, 0]);
        let mut r = RawLogReader::new(&bytes[..bytes.len() - 4]).unwrap();
        assert_eq!(r.by_ref().count(), 4);
        assert!(r.truncated());
        assert!(RawLogReader::new(&b"PCAPNG.........."[..]).is_err());
    }
}
