//! BACnet MS/TP (ANSI/ASHRAE 135 clause 9): preamble 0x55 0xFF, frame type, destination,
//! source, data length (big-endian), header CRC-8, data, data CRC-16; 0xFF padding may
//! follow a frame.

use std::time::Duration;

use udrv_core::serial::LineSettings;

use crate::crc::{mstp_header_ok, x25_ok};
use crate::frame::{Frame, Status};
use crate::framer::{ByteClock, Framer};
use crate::time::Timestamp;

/// Longest data field (frame types below 32: 501; extended types: 1497).
const MAX_DATA: usize = 1497;

/// The MS/TP framer. Frames are handed out raw from the preamble on, as
/// LINKTYPE_BACNET_MS_TP expects. Extended frame types (32 and up, COBS-encoded with a
/// CRC-32K) are cut by length but their data CRC is not checked.
#[derive(Debug)]
pub struct MsTp {
    clock: ByteClock,
    char_ns: u64,
    /// A silence this long inside a frame aborts it (Tframe_abort, 60 bit times) plus the
    /// timestamp resolution.
    abort_ns: u64,
    cur: Vec<u8>,
    start: u64,
    junk: Vec<u8>,
    junk_start: u64,
    after_frame: bool,
}

impl MsTp {
    /// A framer for `line`, trusting silences beyond `resolution`.
    pub fn new(line: &LineSettings, resolution: Duration) -> Self {
        let bit_ns = 1_000_000_000 / line.baud.max(1) as u64;
        MsTp {
            clock: ByteClock::new(line.char_time_ns()),
            char_ns: line.char_time_ns(),
            abort_ns: 60 * bit_ns + resolution.as_nanos() as u64,
            cur: Vec::new(),
            start: 0,
            junk: Vec::new(),
            junk_start: 0,
            after_frame: false,
        }
    }

    fn flush_junk(&mut self, out: &mut Vec<Frame>) {
        if !self.junk.is_empty() {
            let data = std::mem::take(&mut self.junk);
            out.push(Frame::new(Timestamp(self.junk_start), data, Status::NOISE));
        }
    }

    fn emit(&mut self, status: Status, out: &mut Vec<Frame>) {
        self.flush_junk(out);
        let data = std::mem::take(&mut self.cur);
        out.push(Frame::new(Timestamp(self.start), data, status));
        self.after_frame = status.is_ok();
    }

    /// Bytes a complete frame with this header needs, or the status to emit now.
    fn expected(&self) -> Result<usize, Status> {
        let h = &self.cur;
        if !mstp_header_ok(&h[2..8]) {
            return Err(Status::CRC_ERROR);
        }
        let len = u16::from_be_bytes([h[5], h[6]]) as usize;
        match len {
            0 => Ok(8),
            l if l > MAX_DATA => Err(Status::TOO_LONG),
            l => Ok(8 + l + 2),
        }
    }

    fn byte(&mut self, b: u8, start: u64, gap: u64, out: &mut Vec<Frame>) {
        if !self.cur.is_empty() && gap != u64::MAX && gap > self.abort_ns {
            self.emit(Status::TOO_SHORT, out);
        }
        match self.cur.len() {
            0 => {
                if b == 0x55 {
                    self.start = start;
                    self.cur.push(b);
                } else if b == 0xFF && self.after_frame {
                    // Padding after a frame: not data, not noise.
                } else {
                    if self.junk.is_empty() {
                        self.junk_start = start;
                    }
                    self.junk.push(b);
                    self.after_frame = false;
                }
                return;
            }
            1 if b != 0xFF => {
                // Not a preamble after all.
                let first = std::mem::take(&mut self.cur);
                if self.junk.is_empty() {
                    self.junk_start = self.start;
                }
                self.junk.extend_from_slice(&first);
                self.byte(b, start, 0, out);
                return;
            }
            _ => self.cur.push(b),
        }
        if self.cur.len() >= 8 {
            match self.expected() {
                Err(status) => self.emit(status, out),
                Ok(need) if self.cur.len() == need => {
                    let ftype = self.cur[2];
                    let ok = need == 8 || ftype >= 32 || x25_ok(&self.cur[8..]);
                    self.emit(if ok { Status::OK } else { Status::CRC_ERROR }, out);
                }
                Ok(_) => {}
            }
        }
    }
}

impl Framer for MsTp {
    fn char_time_ns(&self) -> u64 {
        self.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        self.clock.chunk(ts, bytes.len());
        for (i, &b) in bytes.iter().enumerate() {
            let (start, gap) = self.clock.byte(i);
            self.byte(b, start, gap, out);
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut Vec<Frame>) {
        if self.deadline().is_some_and(|d| now >= d) {
            self.finish(out);
        }
    }

    fn deadline(&self) -> Option<Timestamp> {
        if self.cur.is_empty() && self.junk.is_empty() {
            return None;
        }
        Some(Timestamp(
            self.clock.last_end()? + self.abort_ns + self.char_ns,
        ))
    }

    fn finish(&mut self, out: &mut Vec<Frame>) {
        if !self.cur.is_empty() {
            self.emit(Status::TOO_SHORT, out);
        }
        self.flush_junk(out);
    }
}
