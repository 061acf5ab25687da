//! Framers: pure functions of (timestamp, bytes) events that cut a byte stream into
//! [`Frame`]s. No I/O and no clock inside: the caller passes the time each chunk was read
//! ([`Framer::push`]) and the current time while the line is quiet ([`Framer::tick`]),
//! so the same events always give the same frames, live, in a replay or in a test.
//!
//! A chunk's bytes arrived before the read returned: framers back-date byte `i` of an
//! `n`-byte chunk read at `t` to start at `t - (n - i) * char_time` (never before the
//! previous byte ended), and stamp each frame with the start of its first byte.
//!
//! Gaps are hints, not rules. USB adapters deliver bytes in bursts (often 32 or 64 bytes,
//! up to their latency timer late), so a gap is only trusted when it is longer than the
//! threshold plus the timestamp resolution ([`Timing::resolution_ns`]).

mod idle;
mod length;
mod modbus;
mod mstp;
mod stuffed;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use udrv_core::serial::LineSettings;

use crate::frame::Frame;
use crate::pcap::LinkType;
use crate::time::Timestamp;

pub use idle::IdleGap;
pub use length::{LengthField, LengthFieldConfig};
pub use modbus::{modbus_lengths, ModbusLengths, ModbusRtu};
pub use mstp::MsTp;
pub use stuffed::{cobs_decode, cobs_encode, hdlc_encode, slip_encode, Cobs, Hdlc, Slip};

/// A protocol framer. Feed it chunks as they are read and ticks while the line is quiet;
/// collect the frames it appends to `out`.
pub trait Framer: Send {
    /// Bytes read at time `ts` (when the read returned).
    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>);

    /// No bytes have arrived up to `now`: closes a frame whose silence is long enough.
    fn tick(&mut self, now: Timestamp, out: &mut Vec<Frame>);

    /// When the framer next wants a [`Framer::tick`] (the end of the current silence
    /// window), or `None` when it holds no bytes that a silence would close.
    fn deadline(&self) -> Option<Timestamp>;

    /// End of input: emits whatever is buffered (flagged when incomplete).
    fn finish(&mut self, out: &mut Vec<Frame>);

    /// The time one character takes on the wire, used to back-date chunks.
    fn char_time_ns(&self) -> u64;

    /// A chunk as a capture loop sees it: first the tick due at the deadline if the line
    /// was quiet until then (the chunk's first byte, back-dated from `ts`, started after
    /// it), then the bytes. Live capture and replay both call this, so a replay cuts
    /// exactly the frames the live capture did.
    fn feed(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        if let Some(d) = self.deadline() {
            let first =
                ts.0.saturating_sub(bytes.len() as u64 * self.char_time_ns());
            if d.0 <= first {
                self.tick(d, out);
            }
        }
        self.push(ts, bytes, out);
    }
}

/// Character time and silence thresholds, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// One character on the wire.
    pub char_ns: u64,
    /// Longest silence allowed inside a frame (Modbus t1.5).
    pub t15_ns: u64,
    /// Shortest silence between frames (Modbus t3.5).
    pub t35_ns: u64,
    /// How late a timestamp may be (USB latency, FIFO timeout): gaps are trusted only
    /// beyond threshold + resolution.
    pub resolution_ns: u64,
}

impl Timing {
    /// Modbus RTU timing for `line`: 1.5 and 3.5 character times from the baud rate and
    /// character format, fixed 750 us and 1.75 ms above 19200 baud.
    pub fn modbus(line: &LineSettings, resolution: Duration) -> Timing {
        let c = line.char_time_ns();
        let (t15, t35) = if line.baud > 19200 {
            (750_000, 1_750_000)
        } else {
            (c * 3 / 2, c * 7 / 2)
        };
        Timing {
            char_ns: c,
            t15_ns: t15,
            t35_ns: t35,
            resolution_ns: resolution.as_nanos() as u64,
        }
    }

    /// A silence longer than `t35 + resolution`: surely between frames.
    pub fn frame_gap(&self, gap: u64) -> bool {
        gap == u64::MAX || gap > self.t35_ns + self.resolution_ns
    }

    /// A silence longer than `t15 + resolution`: surely a t1.5 violation inside a frame.
    pub fn intra_gap_violation(&self, gap: u64) -> bool {
        gap != u64::MAX && gap > self.t15_ns + self.resolution_ns
    }

    /// A silence before a frame surely shorter than t3.5.
    pub fn short_interframe(&self, gap: u64) -> bool {
        gap != u64::MAX && gap + self.resolution_ns < self.t35_ns
    }
}

/// Back-dates the bytes of a chunk: byte `i` of an `n`-byte chunk read at `t` started at
/// `t - (n - i) * char_ns`, but not before the previous byte ended.
#[derive(Clone, Debug)]
pub(crate) struct ByteClock {
    char_ns: u64,
    last_end: Option<u64>,
    base: u64,
}

impl ByteClock {
    pub(crate) fn new(char_ns: u64) -> Self {
        ByteClock {
            char_ns,
            last_end: None,
            base: 0,
        }
    }

    /// The character time.
    pub(crate) fn char_ns(&self) -> u64 {
        self.char_ns
    }

    /// Starts a chunk of `n` bytes read at `ts`.
    pub(crate) fn chunk(&mut self, ts: Timestamp, n: usize) {
        self.base = ts.0.saturating_sub(n as u64 * self.char_ns);
    }

    /// Byte `i` of the current chunk: (start time, silence before it; `u64::MAX` for the
    /// first byte ever).
    #[inline]
    pub(crate) fn byte(&mut self, i: usize) -> (u64, u64) {
        let est = self.base + i as u64 * self.char_ns;
        let (start, gap) = match self.last_end {
            Some(end) if est < end => (end, 0),
            Some(end) => (est, est - end),
            None => (est, u64::MAX),
        };
        self.last_end = Some(start + self.char_ns);
        (start, gap)
    }

    /// A whole chunk of `n` bytes at once: bytes after the first in a chunk always follow
    /// each other with no gap, so only the first one's (start, gap) is returned; byte `i`
    /// starts at `start + i * char_ns`.
    pub(crate) fn whole_chunk(&mut self, ts: Timestamp, n: usize) -> (u64, u64) {
        self.chunk(ts, n);
        let first = self.byte(0);
        self.last_end = Some(first.0 + n as u64 * self.char_ns);
        first
    }

    /// When the last byte ended.
    pub(crate) fn last_end(&self) -> Option<u64> {
        self.last_end
    }
}

/// Which framer to run, with its settings. Parses from the command line's `--framer`
/// value: `modbus`, `mstp`, `idle[:GAP_US]`, `slip`, `hdlc[:fcs]`, `cobs`,
/// `length:OFFSET:WIDTH:be|le[:ADJUST[:MAX]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramerKind {
    /// Modbus RTU: CRC- and function-code-validated, gaps as hints. The default.
    #[default]
    ModbusRtu,
    /// BACnet MS/TP: preamble, header CRC-8, data CRC-16.
    MsTp,
    /// Split on silence alone.
    IdleGap {
        /// The silence that ends a frame; `None`: 3.5 character times.
        gap: Option<Duration>,
        /// Frames longer than this are cut and flagged too long.
        max_len: usize,
    },
    /// SLIP (RFC 1055).
    Slip,
    /// HDLC-like framing with 0x7E flags and 0x7D escapes.
    Hdlc {
        /// Check the trailing FCS-16 (PPP/X.25).
        fcs: bool,
    },
    /// COBS with 0x00 delimiters.
    Cobs,
    /// A length field in a fixed header.
    LengthField(LengthFieldConfig),
}

impl FramerKind {
    /// The names `--framer` accepts, for help texts and the extcap selector.
    pub const NAMES: [&'static str; 7] =
        ["modbus", "mstp", "idle", "slip", "hdlc", "cobs", "length"];

    /// Builds the framer for `line`, trusting gaps only beyond `resolution`.
    pub fn build(&self, line: &LineSettings, resolution: Duration) -> Box<dyn Framer> {
        let timing = Timing::modbus(line, resolution);
        match self {
            FramerKind::ModbusRtu => Box::new(ModbusRtu::new(timing)),
            FramerKind::MsTp => Box::new(MsTp::new(line, resolution)),
            FramerKind::IdleGap { gap, max_len } => {
                let gap_ns = gap.map(|g| g.as_nanos() as u64).unwrap_or(timing.t35_ns);
                Box::new(IdleGap::new(
                    timing.char_ns,
                    gap_ns,
                    timing.resolution_ns,
                    *max_len,
                ))
            }
            FramerKind::Slip => Box::new(Slip::new(timing.char_ns)),
            FramerKind::Hdlc { fcs } => Box::new(Hdlc::new(timing.char_ns, *fcs)),
            FramerKind::Cobs => Box::new(Cobs::new(timing.char_ns)),
            FramerKind::LengthField(cfg) => Box::new(LengthField::new(cfg.clone(), timing)),
        }
    }

    /// The link type a [`crate::capture::CaptureConfig`] without one writes: the frames'
    /// own bytes, for programs that read the file back: BACNET_MS_TP for MS/TP, USER0
    /// otherwise. For Wireshark see [`FramerKind::wireshark_link_type`].
    pub fn default_link_type(&self) -> LinkType {
        match self {
            FramerKind::MsTp => LinkType::BacnetMsTp,
            _ => LinkType::User(0),
        }
    }

    /// The link type Wireshark decodes with no set-up, where it has a dissector for the
    /// protocol: WIRESHARK_UPPER_PDU naming `mbrtu` for Modbus RTU (there is no Modbus RTU
    /// link type), BACNET_MS_TP for MS/TP; USER0 for the others, which Wireshark has no
    /// dissector for (a user maps USER0 to one with `uat:user_dlts`). What `udrv capture`
    /// and the extcap write unless told otherwise.
    pub fn wireshark_link_type(&self) -> LinkType {
        match self {
            FramerKind::ModbusRtu => LinkType::modbus_upper_pdu(),
            other => other.default_link_type(),
        }
    }

    /// The short name, as parsed.
    pub fn name(&self) -> &'static str {
        match self {
            FramerKind::ModbusRtu => "modbus",
            FramerKind::MsTp => "mstp",
            FramerKind::IdleGap { .. } => "idle",
            FramerKind::Slip => "slip",
            FramerKind::Hdlc { .. } => "hdlc",
            FramerKind::Cobs => "cobs",
            FramerKind::LengthField(_) => "length",
        }
    }
}

impl fmt::Display for FramerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FramerKind::IdleGap { gap: Some(g), .. } => write!(f, "idle:{}", g.as_micros()),
            FramerKind::Hdlc { fcs: true } => f.write_str("hdlc:fcs"),
            FramerKind::LengthField(c) => write!(
                f,
                "length:{}:{}:{}:{}:{}",
                c.offset,
                c.width,
                if c.big_endian { "be" } else { "le" },
                c.adjustment,
                c.max_len
            ),
            other => f.write_str(other.name()),
        }
    }
}

/// A `--framer` value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFramerError(pub String);

impl fmt::Display for ParseFramerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown framer `{}`: use modbus, mstp, idle[:GAP_US], slip, hdlc[:fcs], cobs or \
             length:OFFSET:WIDTH:be|le[:ADJUST[:MAX]]",
            self.0
        )
    }
}

impl std::error::Error for ParseFramerError {}

impl FromStr for FramerKind {
    type Err = ParseFramerError;

    fn from_str(s: &str) -> Result<Self, ParseFramerError> {
        let bad = || ParseFramerError(s.to_string());
        let mut parts = s.split(':');
        let name = parts.next().unwrap_or("").to_ascii_lowercase();
        let rest: Vec<&str> = parts.collect();
        Ok(match (name.as_str(), rest.as_slice()) {
            ("modbus" | "modbus-rtu" | "mbrtu", []) => FramerKind::ModbusRtu,
            ("mstp" | "bacnet" | "ms/tp", []) => FramerKind::MsTp,
            ("idle" | "gap", []) => FramerKind::IdleGap {
                gap: None,
                max_len: 4096,
            },
            ("idle" | "gap", [us]) => FramerKind::IdleGap {
                gap: Some(Duration::from_micros(us.parse().map_err(|_| bad())?)),
                max_len: 4096,
            },
            ("slip", []) => FramerKind::Slip,
            ("hdlc", []) => FramerKind::Hdlc { fcs: false },
            ("hdlc", ["fcs"]) => FramerKind::Hdlc { fcs: true },
            ("cobs", []) => FramerKind::Cobs,
            ("length", [off, width, endian, more @ ..]) if more.len() <= 2 => {
                let cfg = LengthFieldConfig {
                    offset: off.parse().map_err(|_| bad())?,
                    width: width.parse().map_err(|_| bad())?,
                    big_endian: match *endian {
                        "be" | "BE" => true,
                        "le" | "LE" => false,
                        _ => return Err(bad()),
                    },
                    adjustment: more
                        .first()
                        .map(|a| a.parse())
                        .transpose()
                        .map_err(|_| bad())?
                        .unwrap_or(0),
                    max_len: more
                        .get(1)
                        .map(|a| a.parse())
                        .transpose()
                        .map_err(|_| bad())?
                        .unwrap_or(4096),
                };
                if ![1, 2, 4].contains(&cfg.width) {
                    return Err(bad());
                }
                FramerKind::LengthField(cfg)
            }
            _ => return Err(bad()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_framer_names() {
        assert_eq!(
            "modbus".parse::<FramerKind>().unwrap(),
            FramerKind::ModbusRtu
        );
        assert_eq!(
            "hdlc:fcs".parse::<FramerKind>().unwrap(),
            FramerKind::Hdlc { fcs: true }
        );
        let l: FramerKind = "length:2:2:be:4".parse().unwrap();
        assert_eq!(l.to_string(), "length:2:2:be:4:4096");
        assert_eq!(l.to_string().parse::<FramerKind>().unwrap(), l);
        assert!("length:2:3:be".parse::<FramerKind>().is_err());
        assert!("pigeon".parse::<FramerKind>().is_err());
    }

    #[test]
    fn modbus_timing_follows_baud_and_format() {
        let t = Timing::modbus(&"9600 8E1".parse().unwrap(), Duration::ZERO);
        assert_eq!(t.char_ns, 1_145_834);
        assert_eq!(t.t35_ns, 1_145_834 * 7 / 2);
        let t = Timing::modbus(&"9600 8N1".parse().unwrap(), Duration::ZERO);
        assert_eq!(t.char_ns, 1_041_667);
        let t = Timing::modbus(&"115200 8E1".parse().unwrap(), Duration::ZERO);
        assert_eq!((t.t15_ns, t.t35_ns), (750_000, 1_750_000));
    }

    #[test]
    fn byte_clock_back_dates_and_stays_monotonic() {
        let mut c = ByteClock::new(1000);
        c.chunk(Timestamp(10_000), 3);
        assert_eq!(c.byte(0), (7000, u64::MAX));
        assert_eq!(c.byte(1), (8000, 0));
        assert_eq!(c.byte(2), (9000, 0));
        // A chunk read too soon to fit behind the last byte starts where that one ended.
        c.chunk(Timestamp(10_500), 2);
        assert_eq!(c.byte(0), (10_000, 0));
        c.chunk(Timestamp(20_000), 1);
        assert_eq!(c.byte(0), (19_000, 8000));
    }
}
