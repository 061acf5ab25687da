//! Frames whose header holds their length.

use crate::frame::{Frame, Status};
use crate::framer::{ByteClock, Framer, Timing};
use crate::time::Timestamp;

/// Where the length field sits and what it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LengthFieldConfig {
    /// Offset of the field from the first byte of the frame.
    pub offset: usize,
    /// Width in bytes: 1, 2 or 4.
    pub width: u8,
    /// Big-endian (network order) rather than little-endian.
    pub big_endian: bool,
    /// Added to the field's value to get the whole frame's length (header and trailer
    /// included). E.g. a field counting the bytes after itself at offset 2, width 2:
    /// adjustment 4.
    pub adjustment: i64,
    /// Longer frames are flagged too long and the framer resynchronises at the next
    /// silence.
    pub max_len: usize,
}

/// The length-field framer. A silence (3.5 characters plus the resolution) inside a frame
/// cuts it short; after an impossible length the bytes up to the next silence are noise.
#[derive(Debug)]
pub struct LengthField {
    cfg: LengthFieldConfig,
    timing: Timing,
    clock: ByteClock,
    cur: Vec<u8>,
    start: u64,
    need: Option<usize>,
    discarding: bool,
}

impl LengthField {
    /// A framer for `cfg`; `timing` gives the character time and silence threshold.
    pub fn new(cfg: LengthFieldConfig, timing: Timing) -> Self {
        LengthField {
            cfg,
            timing,
            clock: ByteClock::new(timing.char_ns),
            cur: Vec::new(),
            start: 0,
            need: None,
            discarding: false,
        }
    }

    fn emit(&mut self, status: Status, out: &mut Vec<Frame>) {
        if !self.cur.is_empty() {
            out.push(Frame::new(
                Timestamp(self.start),
                std::mem::take(&mut self.cur),
                status,
            ));
        }
        self.need = None;
        self.discarding = false;
    }

    fn field(&self) -> u64 {
        let f = &self.cur[self.cfg.offset..self.cfg.offset + self.cfg.width as usize];
        let mut v = 0u64;
        for i in 0..f.len() {
            let b = if self.cfg.big_endian {
                f[i]
            } else {
                f[f.len() - 1 - i]
            };
            v = v << 8 | b as u64;
        }
        v
    }
}

impl Framer for LengthField {
    fn char_time_ns(&self) -> u64 {
        self.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        self.clock.chunk(ts, bytes.len());
        let header = self.cfg.offset + self.cfg.width as usize;
        for (i, &b) in bytes.iter().enumerate() {
            let (start, gap) = self.clock.byte(i);
            if gap != u64::MAX && self.timing.frame_gap(gap) {
                let status = if self.discarding {
                    Status::NOISE | Status::TOO_LONG
                } else {
                    Status::TOO_SHORT
                };
                // (Also ends discarding when the noise was already handed out in pieces.)
                self.emit(status, out);
            }
            if self.cur.is_empty() {
                self.start = start;
            }
            self.cur.push(b);
            if self.discarding {
                // A line that babbles without a silence: hand the noise out in pieces of
                // at most max_len bytes rather than buffering it without bound.
                if self.cur.len() >= self.cfg.max_len.max(header) {
                    self.emit(Status::NOISE | Status::TOO_LONG, out);
                    self.discarding = true;
                }
                continue;
            }
            if self.need.is_none() && self.cur.len() == header {
                let total = self.field() as i64 + self.cfg.adjustment;
                if total < header as i64 || total as u64 > self.cfg.max_len as u64 {
                    self.discarding = true;
                    continue;
                }
                self.need = Some(total as usize);
            }
            if self.need == Some(self.cur.len()) {
                self.emit(Status::OK, out);
            }
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut Vec<Frame>) {
        if self.deadline().is_some_and(|d| now >= d) {
            self.finish(out);
        }
    }

    fn deadline(&self) -> Option<Timestamp> {
        if self.cur.is_empty() {
            return None;
        }
        Some(Timestamp(
            self.clock.last_end()?
                + self.timing.t35_ns
                + self.timing.resolution_ns
                + self.timing.char_ns,
        ))
    }

    fn finish(&mut self, out: &mut Vec<Frame>) {
        let status = if self.discarding {
            Status::NOISE | Status::TOO_LONG
        } else {
            Status::TOO_SHORT
        };
        self.emit(status, out);
    }
}
