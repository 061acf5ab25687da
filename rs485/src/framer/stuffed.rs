//! Byte-stuffed framings, where a delimiter byte ends each frame: SLIP (RFC 1055),
//! HDLC-like (0x7E flags, 0x7D escapes, as PPP in RFC 1662) and COBS (0x00 delimiters).
//! Frames are handed out decoded; a bad escape or code flags the frame `BAD_ENCODING`.
//! Silences do not matter to these framings, so these framers never ask for ticks.

use crate::crc::x25_ok;
use crate::frame::{Frame, Status};
use crate::framer::{ByteClock, Framer};
use crate::time::Timestamp;

/// The most raw bytes one frame collects before it is handed out flagged too long (the
/// writers' snapshot length).
const MAX_RAW: usize = crate::pcap::SNAPLEN as usize;

/// Collects raw bytes between delimiters.
#[derive(Debug)]
struct Delimited {
    clock: ByteClock,
    raw: Vec<u8>,
    start: u64,
}

impl Delimited {
    fn new(char_ns: u64) -> Self {
        Delimited {
            clock: ByteClock::new(char_ns),
            raw: Vec::new(),
            start: 0,
        }
    }

    /// Frames out of `bytes`, each decoded by `decode`: one for each frame ended by
    /// `delim` (status as decoded), and one for each [`MAX_RAW`] bytes without a delimiter
    /// (`TOO_LONG` too: a line that never sends the delimiter is handed out in pieces
    /// instead of being buffered without bound).
    fn push(
        &mut self,
        ts: Timestamp,
        bytes: &[u8],
        delim: u8,
        decode: impl Fn(&[u8]) -> (Vec<u8>, Status),
        out: &mut Vec<Frame>,
    ) {
        let mut on_frame = |raw: &[u8], start: u64, cut: Status| {
            let (data, status) = decode(raw);
            out.push(Frame::new(Timestamp(start), data, status | cut));
        };
        self.clock.chunk(ts, bytes.len());
        for (i, &b) in bytes.iter().enumerate() {
            let (start, _) = self.clock.byte(i);
            if b == delim {
                if !self.raw.is_empty() {
                    on_frame(&self.raw, self.start, Status::OK);
                    self.raw.clear();
                }
            } else {
                if self.raw.is_empty() {
                    self.start = start;
                }
                self.raw.push(b);
                if self.raw.len() >= MAX_RAW {
                    on_frame(&self.raw, self.start, Status::TOO_LONG);
                    self.raw.clear();
                }
            }
        }
    }

    /// The bytes left without a closing delimiter, if any, as a frame decoded by `decode`
    /// and marked `TOO_SHORT`.
    fn finish(&mut self, decode: impl Fn(&[u8]) -> (Vec<u8>, Status), out: &mut Vec<Frame>) {
        if !self.raw.is_empty() {
            let (data, status) = decode(&self.raw);
            out.push(Frame::new(
                Timestamp(self.start),
                data,
                status | Status::TOO_SHORT,
            ));
            self.raw.clear();
        }
    }
}

/// SLIP (RFC 1055): END 0xC0, ESC 0xDB, ESC_END 0xDC, ESC_ESC 0xDD.
#[derive(Debug)]
pub struct Slip(Delimited);

impl Slip {
    /// A SLIP framer; `char_ns` back-dates timestamps.
    pub fn new(char_ns: u64) -> Self {
        Slip(Delimited::new(char_ns))
    }
}

fn slip_decode(raw: &[u8]) -> (Vec<u8>, Status) {
    let mut out = Vec::with_capacity(raw.len());
    let mut status = Status::OK;
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        if b == 0xDB {
            match it.next() {
                Some(0xDC) => out.push(0xC0),
                Some(0xDD) => out.push(0xDB),
                Some(&other) => {
                    status = Status::BAD_ENCODING;
                    out.push(other);
                }
                None => status = Status::BAD_ENCODING,
            }
        } else {
            out.push(b);
        }
    }
    (out, status)
}

impl Framer for Slip {
    fn char_time_ns(&self) -> u64 {
        self.0.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        self.0.push(ts, bytes, 0xC0, slip_decode, out);
    }
    fn tick(&mut self, _now: Timestamp, _out: &mut Vec<Frame>) {}
    fn deadline(&self) -> Option<Timestamp> {
        None
    }
    fn finish(&mut self, out: &mut Vec<Frame>) {
        self.0.finish(slip_decode, out);
    }
}

/// HDLC-like framing: flag 0x7E, escape 0x7D then the byte XOR 0x20; optionally checks the
/// trailing FCS-16 (kept in the frame).
#[derive(Debug)]
pub struct Hdlc {
    inner: Delimited,
    fcs: bool,
}

impl Hdlc {
    /// An HDLC framer; with `fcs` the last two bytes must be the frame's FCS-16.
    pub fn new(char_ns: u64, fcs: bool) -> Self {
        Hdlc {
            inner: Delimited::new(char_ns),
            fcs,
        }
    }
}

fn hdlc_decode(raw: &[u8], fcs: bool) -> (Vec<u8>, Status) {
    let mut out = Vec::with_capacity(raw.len());
    let mut status = Status::OK;
    let mut it = raw.iter();
    while let Some(&b) = it.next() {
        if b == 0x7D {
            match it.next() {
                Some(&n) => out.push(n ^ 0x20),
                None => status = Status::BAD_ENCODING, // 0x7D 0x7E: abort sequence
            }
        } else {
            out.push(b);
        }
    }
    if fcs {
        if out.len() < 4 {
            status |= Status::TOO_SHORT;
        } else if !x25_ok(&out) {
            status |= Status::CRC_ERROR;
        }
    }
    (out, status)
}

impl Framer for Hdlc {
    fn char_time_ns(&self) -> u64 {
        self.inner.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        let fcs = self.fcs;
        self.inner
            .push(ts, bytes, 0x7E, |raw| hdlc_decode(raw, fcs), out);
    }
    fn tick(&mut self, _now: Timestamp, _out: &mut Vec<Frame>) {}
    fn deadline(&self) -> Option<Timestamp> {
        None
    }
    fn finish(&mut self, out: &mut Vec<Frame>) {
        let fcs = self.fcs;
        self.inner.finish(|raw| hdlc_decode(raw, fcs), out);
    }
}

/// COBS (Consistent Overhead Byte Stuffing) with 0x00 frame delimiters.
#[derive(Debug)]
pub struct Cobs(Delimited);

impl Cobs {
    /// A COBS framer; `char_ns` back-dates timestamps.
    pub fn new(char_ns: u64) -> Self {
        Cobs(Delimited::new(char_ns))
    }
}

/// Encodes `data` as one SLIP frame, END bytes on both sides.
pub fn slip_encode(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0xC0];
    for &b in data {
        match b {
            0xC0 => out.extend_from_slice(&[0xDB, 0xDC]),
            0xDB => out.extend_from_slice(&[0xDB, 0xDD]),
            b => out.push(b),
        }
    }
    out.push(0xC0);
    out
}

/// Encodes `data` as one HDLC-like frame between 0x7E flags, escaping 0x7E, 0x7D and bytes
/// below 0x20.
pub fn hdlc_encode(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x7E];
    for &b in data {
        if b == 0x7E || b == 0x7D || b < 0x20 {
            out.extend_from_slice(&[0x7D, b ^ 0x20]);
        } else {
            out.push(b);
        }
    }
    out.push(0x7E);
    out
}

/// Decodes one COBS frame (without its 0x00 delimiter); `None` when it is malformed.
pub fn cobs_decode(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let code = raw[i] as usize;
        if code == 0 || i + code > raw.len() {
            return None;
        }
        out.extend_from_slice(&raw[i + 1..i + code]);
        i += code;
        if code < 0xFF && i < raw.len() {
            out.push(0);
        }
    }
    Some(out)
}

/// Encodes `data` with COBS (no delimiter appended).
pub fn cobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 254 + 2);
    let mut code_at = 0;
    out.push(0);
    let mut code = 1u8;
    for &b in data {
        if b == 0 {
            out[code_at] = code;
            code_at = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out
}

fn cobs_frame(raw: &[u8]) -> (Vec<u8>, Status) {
    match cobs_decode(raw) {
        Some(d) => (d, Status::OK),
        None => (raw.to_vec(), Status::BAD_ENCODING),
    }
}

impl Framer for Cobs {
    fn char_time_ns(&self) -> u64 {
        self.0.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        self.0.push(ts, bytes, 0x00, cobs_frame, out);
    }
    fn tick(&mut self, _now: Timestamp, _out: &mut Vec<Frame>) {}
    fn deadline(&self) -> Option<Timestamp> {
        None
    }
    fn finish(&mut self, out: &mut Vec<Frame>) {
        self.0.finish(cobs_frame, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cobs_round_trip() {
        for data in [&b""[..], b"\0", b"\0\0", b"ab\0c", &[1u8; 300][..]] {
            let enc = cobs_encode(data);
            assert!(!enc.contains(&0), "{enc:?}");
            assert_eq!(cobs_decode(&enc).unwrap(), data);
        }
        assert_eq!(
            cobs_encode(&[0x11, 0x22, 0x00, 0x33]),
            [0x03, 0x11, 0x22, 0x02, 0x33]
        );
        assert!(cobs_decode(&[0x05, 1]).is_none());
    }
}
