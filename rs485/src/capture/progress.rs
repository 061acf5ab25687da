//! What a capture reports: counters ([`Stats`]) and progress while it runs ([`Progress`],
//! [`StderrProgress`] for the command line).

use std::fmt;
use std::io::{self, IsTerminal};
use std::path::Path;
use std::time::{Duration, Instant};

use super::Summary;
use crate::frame::{Frame, Status};
use crate::pcap::Interface;

/// Counters, updated per frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames written (good and bad).
    pub frames: u64,
    /// Frames with any error flag.
    pub bad_frames: u64,
    /// Frames with a CRC error.
    pub crc_errors: u64,
    /// Frames with a wrong inter-frame gap.
    pub gap_errors: u64,
    /// Frames shorter than the protocol allows, or cut off.
    pub too_short: u64,
    /// Frames longer than the protocol allows.
    pub too_long: u64,
    /// Noise (bytes that formed no frame).
    pub noise: u64,
    /// Frames with a byte-stuffing or encoding error (SLIP, HDLC, COBS).
    pub bad_encoding: u64,
    /// Bytes read from the ports (or the log).
    pub bytes: u64,
    /// Ports that vanished and were opened again ([`CaptureConfig::reconnect`](super::CaptureConfig::reconnect)).
    pub reconnects: u32,
}

impl Stats {
    /// Counts `f`.
    pub(crate) fn count(&mut self, f: &Frame) {
        self.frames += 1;
        if !f.status.is_ok() {
            self.bad_frames += 1;
        }
        for (flag, n) in [
            (Status::CRC_ERROR, &mut self.crc_errors),
            (Status::WRONG_GAP, &mut self.gap_errors),
            (Status::TOO_SHORT, &mut self.too_short),
            (Status::TOO_LONG, &mut self.too_long),
            (Status::NOISE, &mut self.noise),
            (Status::BAD_ENCODING, &mut self.bad_encoding),
        ] {
            if f.status.contains(flag) {
                *n += 1;
            }
        }
    }
}

/// `n` and `word`, with an `s` unless `n` is 1: `1 frame`, `3 frames`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl fmt::Display for Stats {
    /// `3 frames, 25 bytes`; with bad frames, what is wrong with them (a frame can have
    /// several faults): `4 frames (2 bad: 1 CRC error, 1 too short), 31 bytes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&plural(self.frames, "frame"))?;
        if self.bad_frames > 0 {
            let kinds: Vec<String> = [
                (self.crc_errors, "CRC error", "CRC errors"),
                (self.gap_errors, "gap error", "gap errors"),
                (self.too_short, "too short", "too short"),
                (self.too_long, "too long", "too long"),
                (self.noise, "noise", "noise"),
                (self.bad_encoding, "bad encoding", "bad encoding"),
            ]
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
            .collect();
            write!(f, " ({} bad: {})", self.bad_frames, kinds.join(", "))?;
        }
        write!(f, ", {}", plural(self.bytes, "byte"))?;
        match self.reconnects {
            0 => Ok(()),
            n => write!(f, ", {}", plural(n.into(), "reconnect")),
        }
    }
}

/// Receives progress while a capture runs. Every method has an empty default.
pub trait Progress {
    /// The ports are open (or the log is), the output's header is written: capture runs.
    fn started(&mut self, _interfaces: &[Interface]) {}
    /// A replay of the raw log `log` starts (the interfaces are the ports it was recorded
    /// on); calls [`Progress::started`] unless implemented.
    fn replaying(&mut self, log: &Path, interfaces: &[Interface]) {
        let _ = log;
        self.started(interfaces);
    }
    /// A frame was written.
    fn frame(&mut self, _frame: &Frame, _stats: &Stats) {}
    /// Something the user should know (RS485 mode refused, coarse timestamps, a port gone
    /// and back).
    fn warning(&mut self, _message: &str) {}
    /// The capture has stopped.
    fn finished(&mut self, _summary: &Summary) {}
}

impl Progress for () {}

/// Prints a frame count on stderr, at most five times a second, and warnings on their own
/// lines: what `udrv capture` shows while running.
#[derive(Debug)]
pub struct StderrProgress {
    last: Option<Instant>,
    tty: bool,
}

impl StderrProgress {
    /// A progress printer; on a terminal the count rewrites one line.
    pub fn new() -> Self {
        StderrProgress {
            last: None,
            tty: io::stderr().is_terminal(),
        }
    }
}

impl Default for StderrProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for StderrProgress {
    fn started(&mut self, interfaces: &[Interface]) {
        for i in interfaces {
            eprintln!(
                "capturing on {} ({}), link type {}",
                i.name,
                i.description,
                i.link_type.name()
            );
        }
    }
    fn replaying(&mut self, log: &Path, interfaces: &[Interface]) {
        for i in interfaces {
            eprintln!(
                "replaying {} (recorded on {}, {}), link type {}",
                log.display(),
                i.name,
                i.description,
                i.link_type.name()
            );
        }
    }
    fn frame(&mut self, _frame: &Frame, stats: &Stats) {
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(Instant::now());
        if self.tty {
            eprint!("\r{stats}   ");
        } else {
            eprintln!("{stats}");
        }
    }
    fn warning(&mut self, message: &str) {
        if self.tty && self.last.is_some() {
            eprintln!();
        }
        eprintln!("warning: {message}");
    }
    fn finished(&mut self, summary: &Summary) {
        if self.tty && self.last.is_some() {
            eprintln!();
        }
        eprintln!("{}; stopped: {}", summary.stats, summary.reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    #[test]
    fn the_summary_counts_in_words_every_kind_of_bad_frame() {
        let mut s = Stats::default();
        let t = Timestamp::from_nanos(1);
        s.count(&Frame::new(t, vec![1], Status::OK));
        s.bytes = 1;
        assert_eq!(s.to_string(), "1 frame, 1 byte");
        for status in [
            Status::CRC_ERROR,
            Status::TOO_SHORT,
            Status::TOO_SHORT | Status::WRONG_GAP,
            Status::TOO_LONG,
            Status::NOISE,
            Status::BAD_ENCODING,
        ] {
            s.count(&Frame::new(t, vec![1], status));
        }
        s.bytes = 40;
        s.reconnects = 1;
        assert_eq!(
            s.to_string(),
            "7 frames (6 bad: 1 CRC error, 1 gap error, 2 too short, 1 too long, 1 noise, \
             1 bad encoding), 40 bytes, 1 reconnect"
        );
    }
}
