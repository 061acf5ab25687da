//! The generic framer: a frame ends at a silence.

use crate::frame::{Frame, Status};
use crate::framer::{ByteClock, Framer};
use crate::time::Timestamp;

/// Splits on silences longer than a gap (plus the timestamp resolution); validates
/// nothing. Frames reaching `max_len` are cut there and flagged too long.
#[derive(Debug)]
pub struct IdleGap {
    clock: ByteClock,
    char_ns: u64,
    gap_ns: u64,
    resolution_ns: u64,
    max_len: usize,
    cur: Vec<u8>,
    start: u64,
    too_long: bool,
}

impl IdleGap {
    /// `char_ns` per character, frames end after `gap_ns` of silence.
    pub fn new(char_ns: u64, gap_ns: u64, resolution_ns: u64, max_len: usize) -> Self {
        IdleGap {
            clock: ByteClock::new(char_ns),
            char_ns,
            gap_ns,
            resolution_ns,
            max_len: max_len.max(1),
            cur: Vec::new(),
            start: 0,
            too_long: false,
        }
    }

    fn emit(&mut self, out: &mut Vec<Frame>) {
        if self.cur.is_empty() {
            return;
        }
        let status = if self.too_long {
            Status::TOO_LONG
        } else {
            Status::OK
        };
        out.push(Frame::new(
            Timestamp(self.start),
            std::mem::take(&mut self.cur),
            status,
        ));
        self.too_long = false;
    }
}

impl Framer for IdleGap {
    fn char_time_ns(&self) -> u64 {
        self.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        self.clock.chunk(ts, bytes.len());
        for (i, &b) in bytes.iter().enumerate() {
            let (start, gap) = self.clock.byte(i);
            if !self.cur.is_empty() && gap != u64::MAX && gap > self.gap_ns + self.resolution_ns {
                self.emit(out);
            }
            if self.cur.len() >= self.max_len {
                self.too_long = true;
                self.emit(out);
                self.too_long = true;
            }
            if self.cur.is_empty() {
                self.start = start;
            }
            self.cur.push(b);
        }
    }

    fn tick(&mut self, now: Timestamp, out: &mut Vec<Frame>) {
        if self.deadline().is_some_and(|d| now >= d) {
            self.emit(out);
        }
    }

    fn deadline(&self) -> Option<Timestamp> {
        if self.cur.is_empty() {
            return None;
        }
        Some(Timestamp(
            self.clock.last_end()? + self.gap_ns + self.resolution_ns + self.char_ns,
        ))
    }

    fn finish(&mut self, out: &mut Vec<Frame>) {
        self.emit(out);
    }
}
