//! What framers produce: [`Frame`]s with a [`Status`] and a [`Direction`].

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use crate::time::Timestamp;

/// Which way a frame went, from the bus master's point of view, when known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Not known (one port hears both sides and the protocol does not tell).
    #[default]
    Unknown,
    /// Towards the capturing side: a response from a slave (Modbus), or the port set as
    /// inbound in a 4-wire tap. pcapng `epb_flags` direction 01.
    Inbound,
    /// Away from the capturing side: a request from the master, or the port set as
    /// outbound. pcapng `epb_flags` direction 10.
    Outbound,
}

impl Direction {
    /// The two direction bits of pcapng `epb_flags`.
    pub fn epb_bits(self) -> u32 {
        match self {
            Direction::Unknown => 0,
            Direction::Inbound => 1,
            Direction::Outbound => 2,
        }
    }

    /// Parses `in`/`inbound`/`rx`, `out`/`outbound`/`tx`, `unknown`.
    pub fn parse(s: &str) -> Option<Direction> {
        Some(match s.to_ascii_lowercase().as_str() {
            "in" | "inbound" | "rx" | "response" => Direction::Inbound,
            "out" | "outbound" | "tx" | "request" => Direction::Outbound,
            "unknown" | "" => Direction::Unknown,
            _ => return None,
        })
    }
}

/// How good a frame is: a set of flags, empty for a good frame. Bad frames are kept and
/// flagged, never dropped.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Status(u8);

impl Status {
    /// A good frame.
    pub const OK: Status = Status(0);
    /// The check sequence (CRC, FCS, checksum) is wrong. pcapng error bit 24.
    pub const CRC_ERROR: Status = Status(1);
    /// Longer than the protocol allows. pcapng error bit 25.
    pub const TOO_LONG: Status = Status(2);
    /// Shorter than the protocol allows, or cut off. pcapng error bit 26.
    pub const TOO_SHORT: Status = Status(4);
    /// A gap inside the frame longer than allowed (Modbus t1.5), or a silence before it
    /// shorter than required (t3.5). pcapng error bit 27.
    pub const WRONG_GAP: Status = Status(8);
    /// Bytes that do not form a frame (line noise, garbage before a frame). pcapng error
    /// bit 28 (unaligned frame).
    pub const NOISE: Status = Status(16);
    /// A byte-stuffing or encoding error (SLIP, HDLC, COBS). pcapng error bit 31 (symbol
    /// error).
    pub const BAD_ENCODING: Status = Status(32);

    const NAMES: [(Status, &'static str, u32); 6] = [
        (Status::CRC_ERROR, "CRC error", 24),
        (Status::TOO_LONG, "too long", 25),
        (Status::TOO_SHORT, "too short", 26),
        (Status::WRONG_GAP, "wrong inter-frame gap", 27),
        (Status::NOISE, "noise", 28),
        (Status::BAD_ENCODING, "bad encoding", 31),
    ];

    /// True for a good frame.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// True when every flag of `other` is set in `self`.
    pub fn contains(self, other: Status) -> bool {
        self.0 & other.0 == other.0 && (other.0 != 0 || self.0 == 0)
    }

    /// The link-layer error bits of pcapng `epb_flags` (bits 24 to 31).
    pub fn epb_error_bits(self) -> u32 {
        Self::NAMES
            .iter()
            .filter(|(s, _, _)| self.0 & s.0 != 0)
            .fold(0, |acc, (_, _, bit)| acc | 1 << bit)
    }

    /// The flags in words, e.g. `CRC error, wrong inter-frame gap`; `ok` when good.
    pub fn describe(self) -> String {
        if self.is_ok() {
            return "ok".into();
        }
        Self::NAMES
            .iter()
            .filter(|(s, _, _)| self.0 & s.0 != 0)
            .map(|(_, n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl BitOr for Status {
    type Output = Status;
    fn bitor(self, rhs: Status) -> Status {
        Status(self.0 | rhs.0)
    }
}

impl BitOrAssign for Status {
    fn bitor_assign(&mut self, rhs: Status) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Status({})", self.describe())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// One frame as cut by a framer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The estimated start of the frame's first byte on the wire (back-dated from when the
    /// read returned by the character time), not the time a gap timer fired.
    pub timestamp: Timestamp,
    /// The frame's bytes as they should be handed to the dissector (for byte-stuffed
    /// protocols: decoded).
    pub data: Vec<u8>,
    /// Good, or what is wrong with it.
    pub status: Status,
    /// Which way it went, when known.
    pub direction: Direction,
    /// The capture interface (port) it came from: 0 for the first port.
    pub interface: u32,
}

impl Frame {
    /// A frame from interface 0 with unknown direction.
    pub fn new(timestamp: Timestamp, data: Vec<u8>, status: Status) -> Frame {
        Frame {
            timestamp,
            data,
            status,
            direction: Direction::Unknown,
            interface: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_bits_and_words() {
        let s = Status::CRC_ERROR | Status::WRONG_GAP;
        assert_eq!(s.epb_error_bits(), (1 << 24) | (1 << 27));
        assert_eq!(s.describe(), "CRC error, wrong inter-frame gap");
        assert!(s.contains(Status::CRC_ERROR));
        assert!(!s.contains(Status::TOO_LONG));
        assert!(!s.contains(Status::OK));
        assert!(Status::OK.contains(Status::OK));
        assert_eq!(Status::NOISE.epb_error_bits(), 1 << 28);
        assert_eq!(Status::OK.epb_error_bits(), 0);
    }
}
