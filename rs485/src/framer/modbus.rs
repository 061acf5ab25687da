//! Modbus RTU (Modbus over Serial Line V1.02).
//!
//! Frames are found by their contents first: the function code gives the request and
//! response lengths, and the CRC-16 confirms them. So frames merged in one read (no
//! visible gap) are split, and frames chunked across reads (USB bursts, with bogus gaps
//! between them) are joined again. Silences of 3.5 characters close a frame that no length
//! explains (CRC error, unknown function code: the CRC then finds the end), and silences
//! of 1.5 characters inside a good frame flag it `WRONG_GAP`.

use crate::crc::crc16_modbus_update;
use crate::frame::{Direction, Frame, Status};
use crate::framer::{ByteClock, Framer, Timing};
use crate::time::Timestamp;

/// The longest Modbus RTU frame: address, function, 252 data bytes, CRC.
pub const MAX_FRAME: usize = 256;
const MIN_FRAME: usize = 4;

/// The lengths a frame starting with these bytes can have, from its function code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModbusLengths {
    /// The length if it is a request, when known.
    pub request: Option<usize>,
    /// The length if it is a response (exception responses: 5), when known.
    pub response: Option<usize>,
    /// More bytes are needed to know a length (the byte count is not there yet).
    pub pending: bool,
    /// The function code has no fixed length rule (unknown, or variable such as 0x2B
    /// responses): the CRC alone finds the end.
    pub open: bool,
}

/// What a frame starting with `b` (address, function code, ...) may measure.
pub fn modbus_lengths(b: &[u8]) -> ModbusLengths {
    let mut l = ModbusLengths::default();
    if b.len() < 2 {
        l.pending = true;
        return l;
    }
    let mut at = |i: usize, extra: usize| -> Option<usize> {
        match b.get(i) {
            Some(&n) => Some(n as usize + extra),
            None => {
                l.pending = true;
                None
            }
        }
    };
    let (req, resp) = match b[1] {
        0x80..=0xFF => (None, Some(5)),
        0x01..=0x04 => (Some(8), at(2, 5)),
        0x05 | 0x06 | 0x08 => (Some(8), Some(8)),
        0x07 => (Some(4), Some(5)),
        0x0B => (Some(4), Some(8)),
        0x0C | 0x11 => (Some(4), at(2, 5)),
        0x0F | 0x10 => (at(6, 9), Some(8)),
        0x14 | 0x15 => {
            let n = at(2, 5);
            (n, n)
        }
        0x16 => (Some(10), Some(10)),
        0x17 => (at(10, 13), at(2, 5)),
        0x18 => {
            let resp = match (b.get(2), b.get(3)) {
                (Some(&h), Some(&lo)) => Some(6 + u16::from_be_bytes([h, lo]) as usize),
                _ => {
                    l.pending = true;
                    None
                }
            };
            (Some(6), resp)
        }
        0x2B => {
            l.open = true;
            match b.get(2) {
                Some(0x0E) => (Some(7), None),
                Some(_) => (None, None),
                None => {
                    l.pending = true;
                    (None, None)
                }
            }
        }
        _ => {
            l.open = true;
            (None, None)
        }
    };
    l.request = req;
    l.response = resp;
    l
}

/// The Modbus RTU framer.
#[derive(Debug)]
pub struct ModbusRtu {
    timing: Timing,
    clock: ByteClock,
    buf: Vec<u8>,
    /// Start time of each byte in `buf`.
    times: Vec<u64>,
    /// Indices (in `buf`) of bytes after a silence surely longer than t3.5, ascending.
    frame_gaps: std::collections::VecDeque<usize>,
    /// Indices of bytes after a silence surely longer than t1.5, ascending.
    t15_gaps: std::collections::VecDeque<usize>,
    head: usize,
    /// End time of the last byte handed out in a frame.
    prev_end: Option<u64>,
    /// The last frame emitted was a frame (not noise): the silence before the next counts.
    prev_was_frame: bool,
    last_dir: Direction,
    last_addr: u8,
}

impl ModbusRtu {
    /// A framer with `timing` (see [`Timing::modbus`]).
    pub fn new(timing: Timing) -> Self {
        ModbusRtu {
            timing,
            clock: ByteClock::new(timing.char_ns),
            buf: Vec::with_capacity(1024),
            times: Vec::with_capacity(1024),
            frame_gaps: std::collections::VecDeque::new(),
            t15_gaps: std::collections::VecDeque::new(),
            head: 0,
            prev_end: None,
            prev_was_frame: false,
            last_dir: Direction::Unknown,
            last_addr: 0,
        }
    }

    /// Silence before absolute index `i`.
    fn gap(&self, i: usize) -> u64 {
        let prev_end = if i == self.head {
            match self.prev_end {
                Some(e) => e,
                None if i == 0 => return u64::MAX,
                None => self.times[i - 1] + self.timing.char_ns,
            }
        } else {
            self.times[i - 1] + self.timing.char_ns
        };
        self.times[i].saturating_sub(prev_end)
    }

    /// Length of the pending bytes up to the first sure inter-frame silence.
    fn segment_end(&mut self) -> usize {
        while self.frame_gaps.front().is_some_and(|&i| i <= self.head) {
            self.frame_gaps.pop_front();
        }
        self.frame_gaps.front().map_or(self.buf.len(), |&i| i) - self.head
    }

    fn emit(&mut self, len: usize, mut status: Status, dir: Direction, out: &mut Vec<Frame>) {
        let (h, c) = (self.head, self.timing.char_ns);
        if !status.contains(Status::NOISE) {
            while self.t15_gaps.front().is_some_and(|&i| i <= h) {
                self.t15_gaps.pop_front();
            }
            let inside = self.t15_gaps.front().is_some_and(|&i| i < h + len);
            let before = self.prev_was_frame && self.timing.short_interframe(self.gap(h));
            if inside || before {
                status |= Status::WRONG_GAP;
            }
        }
        let data = self.buf[h..h + len].to_vec();
        if status.is_ok() || status == Status::WRONG_GAP {
            self.last_dir = dir;
            self.last_addr = data[0];
        }
        out.push(Frame {
            timestamp: Timestamp(self.times[h]),
            data,
            status,
            direction: dir,
            interface: 0,
        });
        self.prev_end = Some(self.times[h + len - 1] + c);
        self.prev_was_frame = !status.contains(Status::NOISE);
        self.head += len;
    }

    /// Direction of a good frame of `len` bytes at the head.
    fn direction(&self, l: &ModbusLengths, len: usize) -> Direction {
        let b = &self.buf[self.head..];
        match (l.request == Some(len), l.response == Some(len)) {
            (true, false) => Direction::Outbound,
            (false, true) => Direction::Inbound,
            (true, true) => {
                if self.last_dir == Direction::Outbound && self.last_addr == b[0] {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                }
            }
            (false, false) => Direction::Unknown,
        }
    }

    /// Among the prefixes of the first `limit` pending bytes whose CRC checks, the one that
    /// ends the segment or is followed by good frames up to the segment's end, then the one
    /// followed by the longest silence, then the longest.
    fn best_valid_prefix(&self, limit: usize, seg: usize) -> Option<(usize, bool)> {
        let b = &self.buf[self.head..self.head + limit];
        let mut crc = 0xFFFF;
        let mut valid = Vec::new();
        for (i, &byte) in b.iter().enumerate() {
            crc = crc16_modbus_update(crc, &[byte]);
            if crc == 0 && i + 1 >= MIN_FRAME {
                valid.push(i + 1);
            }
        }
        let mut best: Option<((bool, u64, usize), usize)> = None;
        for (k, &len) in valid.iter().enumerate() {
            // When a CRC's high byte is 0x00, the frame without it checks too: the longer
            // one is the frame.
            if valid.get(k + 1) == Some(&(len + 1)) {
                continue;
            }
            let at = self.head + len;
            let gap = if at < self.buf.len() {
                self.gap(at)
            } else {
                u64::MAX
            };
            let seg_end = self.head + seg;
            let rest_parses = seg_end >= at && self.parses(at, seg_end, 3);
            let score = (
                len == limit || self.good_frame_at(at) || rest_parses,
                gap,
                len,
            );
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, len));
            }
        }
        best.map(|((strong, _, _), len)| (len, strong))
    }

    /// True when the bytes from `from` to `to` split into at most `depth` good frames.
    fn parses(&self, from: usize, to: usize, depth: u8) -> bool {
        if from == to {
            return true;
        }
        if to - from < MIN_FRAME || depth == 0 {
            return false;
        }
        let s = &self.buf[from..to];
        let l = modbus_lengths(s);
        let known = [l.request, l.response].into_iter().flatten().any(|len| {
            (MIN_FRAME..=s.len()).contains(&len)
                && crc_ok(&s[..len])
                && self.parses(from + len, to, depth - 1)
        });
        if known || !l.open {
            return known;
        }
        let mut crc = 0xFFFF;
        for (i, &byte) in s.iter().take(MAX_FRAME).enumerate() {
            crc = crc16_modbus_update(crc, &[byte]);
            if crc == 0 && i + 1 >= MIN_FRAME && self.parses(from + i + 1, to, depth - 1) {
                return true;
            }
        }
        false
    }

    /// True when a frame with a length rule and a good CRC starts at absolute index `at`.
    fn good_frame_at(&self, at: usize) -> bool {
        let s = &self.buf[at.min(self.buf.len())..];
        let l = modbus_lengths(s);
        [l.request, l.response]
            .into_iter()
            .flatten()
            .any(|len| (MIN_FRAME..=s.len()).contains(&len) && crc_ok(&s[..len]))
    }

    /// Where a good frame starts after the head, within the first `limit` bytes.
    fn find_start(&self, limit: usize, closed: bool) -> Option<usize> {
        let b = &self.buf[self.head..self.head + limit];
        (1..limit.saturating_sub(MIN_FRAME - 1)).find(|&j| {
            let s = &b[j..];
            let l = modbus_lengths(s);
            let known = [l.request, l.response]
                .into_iter()
                .flatten()
                .any(|len| (MIN_FRAME..=s.len()).contains(&len) && crc_ok(&s[..len]));
            known || (l.open && closed && s.len() <= MAX_FRAME && s.len() >= MIN_FRAME && crc_ok(s))
        })
    }

    fn scan(&mut self, idle: bool, out: &mut Vec<Frame>) {
        loop {
            let n = self.buf.len() - self.head;
            if n == 0 {
                break;
            }
            let seg = self.segment_end();
            let closed = idle || seg < n;
            let b = &self.buf[self.head..];
            let l = modbus_lengths(b);

            // 1. A length the function code allows, confirmed by the CRC. Prefer the one
            //    that ends at a silence.
            let mut valid = [0usize; 2];
            let mut nvalid = 0;
            let (a, z) = match (l.request, l.response) {
                (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y)).filter(|&m| m != x.min(y))),
                (x, y) => (x.or(y), None),
            };
            for len in [a, z].into_iter().flatten() {
                if (MIN_FRAME..=MAX_FRAME).contains(&len) && len <= n && crc_ok(&b[..len]) {
                    valid[nvalid] = len;
                    nvalid += 1;
                }
            }
            let valid = &valid[..nvalid];
            let longer_pending = l.pending
                || [l.request, l.response]
                    .into_iter()
                    .flatten()
                    .any(|len| len > n && len <= MAX_FRAME);
            let pick = match valid.iter().find(|&&len| len == seg && closed) {
                // Confirmed by the silence after it.
                Some(&len) => Some(len),
                // A longer reading may still check too (a 1 in 65536 chance that the shorter
                // one's CRC matched by accident): wait until it is decided or the line
                // goes quiet.
                None if longer_pending && !closed && !valid.is_empty() => break,
                // Two readings check (one by a 1 in 65536 accident) and no silence tells
                // which: the one followed by a good frame, else the longer one.
                None => valid
                    .iter()
                    .copied()
                    .max_by_key(|&len| (self.good_frame_at(self.head + len), len)),
            };
            if let Some(len) = pick {
                let dir = self.direction(&l, len);
                self.emit(len, Status::OK, dir, out);
                continue;
            }

            // 2. No length rule: the CRC finds the end, the whole segment first.
            if l.open {
                if closed {
                    let s = seg.min(MAX_FRAME);
                    if (MIN_FRAME..=MAX_FRAME).contains(&seg) && crc_ok(&b[..seg]) {
                        self.emit(seg, Status::OK, Direction::Unknown, out);
                        continue;
                    }
                    if let Some((len, _)) = self.best_valid_prefix(s, seg) {
                        self.emit(len, Status::OK, Direction::Unknown, out);
                        continue;
                    }
                } else if n <= MAX_FRAME + 8 {
                    break;
                }
            }

            // 3. Wait while a length rule may still be met.
            let pending = l.pending
                || [l.request, l.response]
                    .into_iter()
                    .flatten()
                    .any(|len| len > n && len <= MAX_FRAME);
            if pending && !closed {
                break;
            }

            // 4. Resynchronise: junk (a bad frame or noise) until the next good frame.
            let limit = if closed { seg } else { n };
            if l.open {
                // A frame with no length rule, confirmed by good frames after it.
                if let Some((len, true)) = self.best_valid_prefix(limit.min(MAX_FRAME), limit) {
                    self.emit(len, Status::OK, Direction::Unknown, out);
                    continue;
                }
            }
            if let Some(j) = self.find_start(limit, closed) {
                // Frames with no length rule merged together: the whole junk if its CRC
                // checks, else the good-CRC prefix followed by the longest silence.
                let prefix = if l.open && !(j >= MIN_FRAME && crc_ok(&b[..j])) {
                    self.best_valid_prefix(j.min(MAX_FRAME), j)
                        .map(|(len, _)| len)
                } else {
                    None
                };
                let (len, status) = match prefix {
                    Some(p) => (p, Status::OK),
                    None if j >= MIN_FRAME && crc_ok(&b[..j]) => (j, Status::OK),
                    None if l.request == Some(j) || l.response == Some(j) => (j, Status::CRC_ERROR),
                    None => (j, Status::NOISE),
                };
                self.emit(len, status, Direction::Unknown, out);
                continue;
            }
            if !closed {
                if n > 2 * MAX_FRAME {
                    self.emit(
                        n - MAX_FRAME,
                        Status::NOISE | Status::TOO_LONG,
                        Direction::Unknown,
                        out,
                    );
                    continue;
                }
                break;
            }

            // 5. A closed segment with no good frame in it: one bad frame.
            let lens: Vec<usize> = [l.request, l.response].into_iter().flatten().collect();
            let status = if seg > MAX_FRAME {
                Status::TOO_LONG
            } else if seg < MIN_FRAME {
                Status::TOO_SHORT
            } else if lens.is_empty() || lens.contains(&seg) {
                Status::CRC_ERROR
            } else if lens.iter().any(|&m| seg < m) {
                Status::TOO_SHORT
            } else {
                Status::TOO_LONG
            };
            self.emit(seg, status, Direction::Unknown, out);
        }
        if self.head == self.buf.len() {
            self.buf.clear();
            self.times.clear();
            self.frame_gaps.clear();
            self.t15_gaps.clear();
            self.head = 0;
        } else if self.head > 4096 {
            self.buf.drain(..self.head);
            self.times.drain(..self.head);
            let h = self.head;
            self.frame_gaps.retain(|&i| i > h);
            self.t15_gaps.retain(|&i| i > h);
            self.frame_gaps
                .iter_mut()
                .chain(self.t15_gaps.iter_mut())
                .for_each(|i| *i -= h);
            self.head = 0;
        }
    }
}

#[inline]
fn crc_ok(b: &[u8]) -> bool {
    crc16_modbus_update(0xFFFF, b) == 0
}

impl Framer for ModbusRtu {
    fn char_time_ns(&self) -> u64 {
        self.clock.char_ns()
    }

    fn push(&mut self, ts: Timestamp, bytes: &[u8], out: &mut Vec<Frame>) {
        if bytes.is_empty() {
            return;
        }
        let base = self.buf.len();
        self.buf.extend_from_slice(bytes);
        // Only the first byte of a chunk can follow a silence.
        let (start, gap) = self.clock.whole_chunk(ts, bytes.len());
        let c = self.timing.char_ns;
        self.times
            .extend((0..bytes.len() as u64).map(|i| start + i * c));
        if gap != u64::MAX && self.timing.frame_gap(gap) {
            self.frame_gaps.push_back(base);
        }
        if self.timing.intra_gap_violation(gap) {
            self.t15_gaps.push_back(base);
        }
        self.scan(false, out);
    }

    fn tick(&mut self, now: Timestamp, out: &mut Vec<Frame>) {
        if let Some(d) = self.deadline() {
            if now >= d {
                self.scan(true, out);
            }
        }
    }

    fn deadline(&self) -> Option<Timestamp> {
        if self.head == self.buf.len() {
            return None;
        }
        // A byte that starts just before t3.5 is only read a character later.
        let end = self.clock.last_end()?;
        Some(Timestamp(
            end + self.timing.t35_ns + self.timing.resolution_ns + self.timing.char_ns,
        ))
    }

    fn finish(&mut self, out: &mut Vec<Frame>) {
        self.scan(true, out);
    }
}
