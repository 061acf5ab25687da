//! pcap and pcapng writers, hand-written (see the crate README for why not `pcap-file`).
//!
//! - pcap: nanosecond variant (magic 0xA1B23C4D), one link type, no per-packet metadata.
//! - pcapng: a Section Header Block, one Interface Description Block per port (`if_name`,
//!   `if_description` with the line settings, `if_speed`, `if_tsresol` = 9), and one
//!   Enhanced Packet Block per frame with `epb_flags` (direction, link-layer errors), a
//!   comment on every bad frame, and any note the capture adds
//!   ([`FrameSink::write_frame_with_comment`]: the first frame after a reconnect).
//!
//! Both flush after each frame when asked to ([`FrameSink::set_flush_each`]), so a reader
//! on a pipe sees each frame at once and a capture killed at any point is valid up to its
//! last complete frame.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use crate::frame::Frame;

/// The largest frame the writers keep whole (the snapshot length in the headers).
pub const SNAPLEN: u32 = 262_144;

/// A libpcap link type (DLT).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LinkType {
    /// LINKTYPE_USER0..15 (147..162): raw frames; the user maps the DLT to a dissector
    /// (`uat:user_dlts`, e.g. to `mbrtu` for Modbus RTU).
    User(u8),
    /// LINKTYPE_BACNET_MS_TP (165): MS/TP frames from the 0x55 0xFF preamble on.
    BacnetMsTp,
    /// LINKTYPE_WIRESHARK_UPPER_PDU (252): each frame prefixed with exported-PDU tags naming
    /// the dissector, so Wireshark decodes it with no set-up (tcpdump cannot).
    UpperPdu {
        /// The Wireshark dissector name, e.g. `mbrtu`.
        dissector: String,
    },
    /// Any other DLT number; frames are written as they are.
    Other(u16),
}

impl LinkType {
    /// UPPER_PDU naming Wireshark's Modbus RTU dissector `mbrtu`.
    pub fn modbus_upper_pdu() -> LinkType {
        LinkType::UpperPdu {
            dissector: "mbrtu".into(),
        }
    }

    /// The DLT number.
    pub fn number(&self) -> u16 {
        match self {
            LinkType::User(n) => 147 + (*n as u16).min(15),
            LinkType::BacnetMsTp => 165,
            LinkType::UpperPdu { .. } => 252,
            LinkType::Other(n) => *n,
        }
    }

    /// The name Wireshark's extcap `dlt` line and `--extcap-dlts` use.
    pub fn name(&self) -> String {
        match self {
            LinkType::User(n) => format!("USER{n}"),
            LinkType::BacnetMsTp => "BACNET_MS_TP".into(),
            LinkType::UpperPdu { .. } => "WIRESHARK_UPPER_PDU".into(),
            LinkType::Other(n) => format!("DLT{n}"),
        }
    }

    /// The packet bytes for `frame`: the exported-PDU header for UPPER_PDU, else the frame.
    pub fn encapsulate<'a>(&self, data: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            LinkType::UpperPdu { dissector } => {
                let mut v = upper_pdu_header(dissector);
                v.extend_from_slice(data);
                Cow::Owned(v)
            }
            _ => Cow::Borrowed(data),
        }
    }
}

/// The exported-PDU tags for `dissector`: tag 12 (dissector name, padded to 4 bytes), then
/// the end tag 0. All fields big-endian.
pub fn upper_pdu_header(dissector: &str) -> Vec<u8> {
    let name = dissector.as_bytes();
    let padded = (name.len() + 3) & !3;
    let mut v = Vec::with_capacity(8 + padded);
    v.extend_from_slice(&12u16.to_be_bytes());
    v.extend_from_slice(&(padded as u16).to_be_bytes());
    v.extend_from_slice(name);
    v.resize(4 + padded, 0);
    v.extend_from_slice(&[0, 0, 0, 0]);
    v
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkType::UpperPdu { dissector } => write!(f, "upper_pdu:{dissector}"),
            other => f.write_str(&other.name().to_ascii_lowercase()),
        }
    }
}

/// A `--link-type` value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseLinkTypeError(pub String);

impl fmt::Display for ParseLinkTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown link type `{}`: use user0..user15, mstp, upper_pdu[:DISSECTOR] \
             (default dissector mbrtu) or a DLT number",
            self.0
        )
    }
}

impl std::error::Error for ParseLinkTypeError {}

impl FromStr for LinkType {
    type Err = ParseLinkTypeError;

    /// `user0`..`user15`, `mstp` / `bacnet_ms_tp`, `upper_pdu[:DISSECTOR]` /
    /// `wireshark_upper_pdu`, or a number (147..162, 165, 252 map to the variants).
    fn from_str(s: &str) -> Result<Self, ParseLinkTypeError> {
        let bad = || ParseLinkTypeError(s.to_string());
        let lower = s.to_ascii_lowercase();
        if let Some(n) = lower.strip_prefix("user") {
            let n: u8 = n.parse().map_err(|_| bad())?;
            return if n <= 15 {
                Ok(LinkType::User(n))
            } else {
                Err(bad())
            };
        }
        let (name, arg) = match lower.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (lower.as_str(), None),
        };
        match (name, arg) {
            ("mstp" | "bacnet_ms_tp" | "bacnet", None) => Ok(LinkType::BacnetMsTp),
            ("upper_pdu" | "wireshark_upper_pdu" | "upperpdu", a) => Ok(LinkType::UpperPdu {
                dissector: a.filter(|a| !a.is_empty()).unwrap_or("mbrtu").to_string(),
            }),
            (num, None) => {
                let n: u16 = num.parse().map_err(|_| bad())?;
                Ok(match n {
                    147..=162 => LinkType::User((n - 147) as u8),
                    165 => LinkType::BacnetMsTp,
                    252 => LinkType::modbus_upper_pdu(),
                    n => LinkType::Other(n),
                })
            }
            _ => Err(bad()),
        }
    }
}

/// The file format to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// pcap with nanosecond timestamps: readable by everything, no direction, no flags.
    Pcap,
    /// pcapng: interfaces, directions, error flags and comments.
    #[default]
    Pcapng,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
        }
    }
}

/// A `--format` value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFormatError(pub String);

impl fmt::Display for ParseFormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown file format `{}`: use pcapng or pcap", self.0)
    }
}

impl std::error::Error for ParseFormatError {}

impl FromStr for Format {
    type Err = ParseFormatError;
    /// `pcapng` (or `ng`) and `pcap`, in any case.
    fn from_str(s: &str) -> Result<Self, ParseFormatError> {
        match s.to_ascii_lowercase().as_str() {
            "pcap" => Ok(Format::Pcap),
            "pcapng" | "ng" => Ok(Format::Pcapng),
            _ => Err(ParseFormatError(s.to_string())),
        }
    }
}

/// One capture interface: a serial port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// `if_name`, e.g. `/dev/ttyUSB0`.
    pub name: String,
    /// `if_description`, e.g. `RS485 9600 8E1, framer modbus`.
    pub description: String,
    /// The link type of its frames.
    pub link_type: LinkType,
    /// `if_speed` in bits per second (the baud rate).
    pub speed_bps: Option<u64>,
}

/// Where frames go: a pcap or pcapng writer, or a rotating set of files.
pub trait FrameSink: Send {
    /// Writes one frame (flushing it when [`FrameSink::set_flush_each`] is on).
    fn write_frame(&mut self, frame: &Frame) -> io::Result<()>;
    /// Writes one frame with `comment` for the reader (pcapng: an `opt_comment` after the
    /// one a bad frame gets). Formats and sinks without comments write the frame alone.
    fn write_frame_with_comment(&mut self, frame: &Frame, comment: &str) -> io::Result<()> {
        let _ = comment;
        self.write_frame(frame)
    }
    /// Pushes buffered bytes to the file or pipe.
    fn flush(&mut self) -> io::Result<()>;
    /// Flush after every frame (pipes, FIFOs, live viewers) or not (files, benchmarks).
    fn set_flush_each(&mut self, on: bool);
    /// Bytes written to the current file so far.
    fn bytes_written(&self) -> u64;
    /// The files written, for sinks that write several (rotation).
    fn files(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
}

/// Writes a pcap file (nanosecond timestamps).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    link: LinkType,
    flush_each: bool,
    written: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header for `link` and returns the writer.
    pub fn new(mut w: W, link: LinkType) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xA1B2_3C4Du32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&(link.number() as u32).to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter {
            w,
            link,
            flush_each: false,
            written: 24,
        })
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Writes one record or block `b` whole to `w`, counts it in `written` and flushes it
/// when `flush_each` is on: what each frame costs either writer.
fn put<W: Write>(w: &mut W, flush_each: bool, written: &mut u64, b: &[u8]) -> io::Result<()> {
    w.write_all(b)?;
    *written += b.len() as u64;
    if flush_each {
        w.flush()?;
    }
    Ok(())
}

/// The [`FrameSink`] impl of a writer with fields `w`, `flush_each` and `written` (the
/// pcap and pcapng writers), around its own methods that write frames.
macro_rules! frame_sink {
    ($writer:ident { $($write_methods:tt)* }) => {
        impl<W: Write + Send> FrameSink for $writer<W> {
            $($write_methods)*
            fn flush(&mut self) -> io::Result<()> {
                self.w.flush()
            }
            fn set_flush_each(&mut self, on: bool) {
                self.flush_each = on;
            }
            fn bytes_written(&self) -> u64 {
                self.written
            }
        }
    };
}

frame_sink!(PcapWriter {
    fn write_frame(&mut self, frame: &Frame) -> io::Result<()> {
        let pkt = self.link.encapsulate(&frame.data);
        let cap = pkt.len().min(SNAPLEN as usize);
        let mut rec = Vec::with_capacity(16 + cap);
        rec.extend_from_slice(&(frame.timestamp.secs() as u32).to_le_bytes());
        rec.extend_from_slice(&frame.timestamp.subsec_nanos().to_le_bytes());
        rec.extend_from_slice(&(cap as u32).to_le_bytes());
        rec.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        rec.extend_from_slice(&pkt[..cap]);
        put(&mut self.w, self.flush_each, &mut self.written, &rec)
    }
});

/// Writes a pcapng section with one interface per port.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    links: Vec<LinkType>,
    flush_each: bool,
    written: u64,
    block: Vec<u8>,
}

fn push_option(b: &mut Vec<u8>, code: u16, value: &[u8]) {
    // An option's length is 16 bits: a longer value (a huge interface description) is
    // cut rather than written with a wrapped length that would corrupt the file.
    let value = &value[..value.len().min(usize::from(u16::MAX))];
    b.extend_from_slice(&code.to_le_bytes());
    b.extend_from_slice(&(value.len() as u16).to_le_bytes());
    b.extend_from_slice(value);
    b.resize((b.len() + 3) & !3, 0);
}

/// Wraps a block body: type, total length, body, total length.
fn finish_block(block_type: u32, body: &[u8], out: &mut Vec<u8>) {
    let total = (12 + body.len()) as u32;
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&total.to_le_bytes());
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the Section Header Block (with `shb_userappl` = `app`) and one Interface
    /// Description Block per interface. Frames name their interface by index.
    pub fn new(mut w: W, interfaces: &[Interface], app: &str) -> io::Result<Self> {
        let mut out = Vec::new();
        let mut body = Vec::new();
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes()); // section length unknown
        push_option(&mut body, 4, app.as_bytes()); // shb_userappl
        push_option(&mut body, 0, &[]);
        finish_block(0x0A0D_0D0A, &body, &mut out);
        for itf in interfaces {
            let mut body = Vec::new();
            body.extend_from_slice(&itf.link_type.number().to_le_bytes());
            body.extend_from_slice(&0u16.to_le_bytes());
            body.extend_from_slice(&SNAPLEN.to_le_bytes());
            push_option(&mut body, 2, itf.name.as_bytes()); // if_name
            push_option(&mut body, 3, itf.description.as_bytes()); // if_description
            if let Some(bps) = itf.speed_bps {
                push_option(&mut body, 8, &bps.to_le_bytes()); // if_speed
            }
            push_option(&mut body, 9, &[9]); // if_tsresol: 10^-9 s
            push_option(&mut body, 0, &[]);
            finish_block(1, &body, &mut out);
        }
        w.write_all(&out)?;
        Ok(PcapngWriter {
            w,
            links: interfaces.iter().map(|i| i.link_type.clone()).collect(),
            flush_each: false,
            written: out.len() as u64,
            block: Vec::with_capacity(1024),
        })
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}

impl<W: Write> PcapngWriter<W> {
    /// One Enhanced Packet Block for `frame`, with `note` as an extra comment.
    fn write_epb(&mut self, frame: &Frame, note: Option<&str>) -> io::Result<()> {
        let link = self.links.get(frame.interface as usize).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no interface {}", frame.interface),
            )
        })?;
        let pkt = link.encapsulate(&frame.data);
        let cap = pkt.len().min(SNAPLEN as usize);
        let ts = frame.timestamp.as_nanos();
        let b = &mut self.block;
        b.clear();
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // total length, patched below
        b.extend_from_slice(&frame.interface.to_le_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(cap as u32).to_le_bytes());
        b.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
        b.extend_from_slice(&pkt[..cap]);
        b.resize((b.len() + 3) & !3, 0);
        let flags = frame.direction.epb_bits() | frame.status.epb_error_bits();
        let mut options = false;
        if flags != 0 || !frame.status.is_ok() {
            push_option(b, 2, &flags.to_le_bytes()); // epb_flags
            if !frame.status.is_ok() {
                let text = format!("udrv: {}", frame.status.describe());
                push_option(b, 1, text.as_bytes()); // opt_comment
            }
            options = true;
        }
        if let Some(note) = note {
            push_option(b, 1, note.as_bytes()); // opt_comment (it may repeat)
            options = true;
        }
        if options {
            push_option(b, 0, &[]);
        }
        let total = (b.len() + 4) as u32;
        b[4..8].copy_from_slice(&total.to_le_bytes());
        b.extend_from_slice(&total.to_le_bytes());
        put(&mut self.w, self.flush_each, &mut self.written, b)
    }
}

frame_sink!(PcapngWriter {
    fn write_frame(&mut self, frame: &Frame) -> io::Result<()> {
        self.write_epb(frame, None)
    }
    fn write_frame_with_comment(&mut self, frame: &Frame, comment: &str) -> io::Result<()> {
        self.write_epb(frame, Some(comment))
    }
});

/// A file written in whole blocks: the writers hand it each pcap record or pcapng block in
/// one `write` call; it keeps them in memory until [`flush`](Write::flush) (or until
/// `capacity` bytes are waiting) and then writes them with one `write` system call where
/// the kernel allows it. When a write fails part-way (a full disk, a file-size limit),
/// the file is cut back to the end of the last block written whole and the failed bytes
/// are dropped, so the file stays valid up to its last complete frame and nothing torn is
/// written later (not even when the writer is dropped).
#[derive(Debug)]
pub struct BlockFile {
    file: std::fs::File,
    buf: Vec<u8>,
    capacity: usize,
    committed: u64,
}

impl BlockFile {
    /// Writes to `file` (at its current end: a new or truncated file) in blocks.
    pub fn new(file: std::fs::File) -> io::Result<Self> {
        use std::io::Seek;
        let mut file = file;
        // A FIFO has no position: nothing to cut back there.
        let committed = file.stream_position().unwrap_or(0);
        Ok(BlockFile {
            file,
            buf: Vec::with_capacity(64 * 1024),
            capacity: 64 * 1024,
            committed,
        })
    }

    /// Bytes in the file that are whole blocks.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    fn write_out(&mut self) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        if self.buf.is_empty() {
            return Ok(());
        }
        match self.file.write_all(&self.buf) {
            Ok(()) => {
                self.committed += self.buf.len() as u64;
                self.buf.clear();
                Ok(())
            }
            Err(e) => {
                self.buf.clear();
                // Best effort: the file is cut back to its last whole block.
                let _ = self.file.set_len(self.committed);
                let _ = self.file.seek(SeekFrom::Start(self.committed));
                Err(e)
            }
        }
    }
}

impl Drop for BlockFile {
    fn drop(&mut self) {
        let _ = self.write_out();
    }
}

impl Write for BlockFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !self.buf.is_empty() && self.buf.len() + data.len() > self.capacity {
            self.write_out()?;
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.file.flush()
    }
}

/// Opens a writer of `format` on `w`. pcap holds one link type: that of the first
/// interface (the caller checks that all agree, see [`crate::capture`]).
pub fn open_sink<W: Write + Send + 'static>(
    format: Format,
    w: W,
    interfaces: &[Interface],
) -> io::Result<Box<dyn FrameSink>> {
    let app = concat!("udrv ", env!("CARGO_PKG_VERSION"));
    Ok(match format {
        Format::Pcap => {
            let link = interfaces
                .first()
                .map(|i| i.link_type.clone())
                .unwrap_or(LinkType::User(0));
            Box::new(PcapWriter::new(w, link)?)
        }
        Format::Pcapng => Box::new(PcapngWriter::new(w, interfaces, app)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_types_parse() {
        assert_eq!("user0".parse::<LinkType>().unwrap().number(), 147);
        assert_eq!("user15".parse::<LinkType>().unwrap().number(), 162);
        assert!("user16".parse::<LinkType>().is_err());
        assert_eq!("165".parse::<LinkType>().unwrap(), LinkType::BacnetMsTp);
        assert_eq!(
            "upper_pdu".parse::<LinkType>().unwrap(),
            LinkType::modbus_upper_pdu()
        );
        assert_eq!(
            "upper_pdu:mstp".parse::<LinkType>().unwrap(),
            LinkType::UpperPdu {
                dissector: "mstp".into()
            }
        );
        assert_eq!(LinkType::modbus_upper_pdu().to_string(), "upper_pdu:mbrtu");
    }

    #[test]
    fn formats_parse_and_a_bad_one_names_the_formats() {
        assert_eq!("PCAPNG".parse::<Format>(), Ok(Format::Pcapng));
        assert_eq!("pcap".parse::<Format>(), Ok(Format::Pcap));
        let e = "pcapx".parse::<Format>().unwrap_err().to_string();
        assert_eq!(e, "unknown file format `pcapx`: use pcapng or pcap");
    }

    #[test]
    fn upper_pdu_tags() {
        assert_eq!(
            upper_pdu_header("mbrtu"),
            [0, 12, 0, 8, b'm', b'b', b'r', b't', b'u', 0, 0, 0, 0, 0, 0, 0]
        );
    }
}
