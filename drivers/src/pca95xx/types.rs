//! The value types of [`pca95xx`](super) (re-exported there).

use super::*;

/// A pin's direction (the configuration register: a bit set is an input, with its
/// output driver off, a bit cleared an output; all inputs at power-on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// An input (high impedance).
    Input,
    /// An output, driving its output register's level.
    Output,
}

/// A pin of a PCA9554 (IO0..IO7) or PCA9535 (IO0_0..IO0_7, IO1_0..IO1_7: port, bit); its
/// `Display` is the datasheet's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin {
    pub(super) index: u8,
    pub(super) ports: u8,
}

impl Pin {
    /// The pin's number, 0..8 or 0..16 (bit of the 16-bit values, port 0 low).
    pub const fn index(self) -> u8 {
        self.index
    }
    /// Its port, 0 or 1.
    pub const fn port(self) -> u8 {
        self.index / 8
    }
    /// Its bit in the port, 0..8.
    pub const fn bit(self) -> u8 {
        self.index % 8
    }
}

impl core::fmt::Display for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.ports == 1 {
            write!(f, "IO{}", self.index)
        } else {
            write!(f, "IO{}_{}", self.port(), self.bit())
        }
    }
}

/// The pins' directions: the configuration register, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Directions {
    pub(super) bits: u16,
    pub(super) ports: u8,
}

impl Directions {
    /// The register value (bit set: input; port 0 in the low byte).
    pub const fn bits(self) -> u16 {
        self.bits
    }
    /// The number of pins (8 or 16).
    pub const fn pins(self) -> u8 {
        8 * self.ports
    }
    /// Pin `pin`'s direction; `None` past the chip's pins.
    pub fn get(self, pin: u8) -> Option<Direction> {
        self.iter().nth(pin.into()).map(|(_, d)| d)
    }
    /// Every pin with its direction, IO0 first.
    pub fn iter(self) -> impl Iterator<Item = (Pin, Direction)> {
        pins_of(self.bits, self.ports).map(|(p, input)| {
            let d = if input {
                Direction::Input
            } else {
                Direction::Output
            };
            (p, d)
        })
    }
}

/// The pins' levels: the input register (what the pins read, polarity inversion
/// applied) or the output register (what the outputs drive), decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Levels {
    pub(super) bits: u16,
    pub(super) ports: u8,
}

impl Levels {
    /// The register value (bit set: high; port 0 in the low byte).
    pub const fn bits(self) -> u16 {
        self.bits
    }
    /// The number of pins (8 or 16).
    pub const fn pins(self) -> u8 {
        8 * self.ports
    }
    /// Whether pin `pin` is high; `None` past the chip's pins.
    pub fn is_high(self, pin: u8) -> Option<bool> {
        self.iter().nth(pin.into()).map(|(_, high)| high)
    }
    /// Every pin with its level (high: `true`), IO0 first.
    pub fn iter(self) -> impl Iterator<Item = (Pin, bool)> {
        pins_of(self.bits, self.ports)
    }
}
