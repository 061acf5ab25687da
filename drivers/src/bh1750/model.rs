//! Behavioural model of the BH1750FVI, written from its datasheet (ROHM BH1750FVI
//! technical note, 2009.04 rev. B) without the driver's opcode table: one opcode per
//! write, power down / power on, reset of the data register (ignored while powered down),
//! continuous and one-time measurements in the three resolution modes (one-time powers
//! down after), the measurement time register written in two halves, and the count
//! `lux × 1.2 × MTreg / 69` (doubled in H-resolution mode 2), saturating at 65535.
//!
//! Not modelled: the L-resolution mode's coarser 4 lx step (every mode reports the exact
//! count) and measurement noise. A conversion can be made to take some reads
//! ([`set_conversion_reads`](Bh1750Model::set_conversion_reads)): until then a read
//! returns the previous result, as the chip does before its first result is ready.

use crate::sim::{Direction, I2cTarget, SimError};
use crate::Illuminance;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    PowerDown,
    PowerOn,
    Continuous { mode2: bool },
}

/// A BH1750.
#[derive(Debug)]
pub struct Bh1750Model {
    illuminance: Illuminance,
    state: State,
    mtreg: u8,
    data: u16,
    /// The pending result and the reads left before it replaces `data`.
    pending: Option<(u16, u32)>,
    conversion_reads: u32,
    first: bool,
    measurements: u32,
}

impl Default for Bh1750Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Bh1750Model {
    /// A sensor after power-up: powered down, MTreg 69, data register 0, 100 lx of light.
    pub fn new() -> Self {
        Self {
            illuminance: Illuminance(100_000),
            state: State::PowerDown,
            mtreg: 69,
            data: 0,
            pending: None,
            conversion_reads: 0,
            first: false,
            measurements: 0,
        }
    }

    /// Set the light falling on the sensor.
    pub fn set_illuminance(&mut self, lux: Illuminance) {
        self.illuminance = lux;
    }

    /// How many reads after a measurement command still return the previous result
    /// (default 0: a caller that waited the datasheet time never sees one).
    pub fn set_conversion_reads(&mut self, n: u32) {
        self.conversion_reads = n;
    }

    /// The measurement time register as the chip holds it.
    pub fn mtreg(&self) -> u8 {
        self.mtreg
    }

    /// The data register (the last finished result).
    pub fn data(&self) -> u16 {
        self.data
    }

    /// Whether the chip is powered down.
    pub fn is_powered_down(&self) -> bool {
        self.state == State::PowerDown
    }

    /// Whether continuous measurement runs.
    pub fn is_continuous(&self) -> bool {
        matches!(self.state, State::Continuous { .. })
    }

    /// Measurements taken so far.
    pub fn measurements(&self) -> u32 {
        self.measurements
    }

    /// The count for the current light: `lux × 1.2 × MTreg / 69`, doubled in
    /// H-resolution mode 2 (datasheet p. 11), rounded, saturating.
    fn count(&self, mode2: bool) -> u16 {
        let num = u64::from(self.illuminance.0) * 12 * u64::from(self.mtreg) * (1 + mode2 as u64);
        let den = 10 * 69 * 1000;
        ((num + den / 2) / den).min(0xFFFF) as u16
    }

    fn measure(&mut self, mode2: bool) {
        self.measurements += 1;
        let c = self.count(mode2);
        if self.conversion_reads == 0 {
            self.data = c;
            self.pending = None;
        } else {
            self.pending = Some((c, self.conversion_reads));
        }
    }

    fn execute(&mut self, op: u8) {
        match op {
            0x00 => {
                self.state = State::PowerDown;
            }
            0x01 if self.state == State::PowerDown => {
                self.state = State::PowerOn;
            }
            // Reset works only when powered on (p. 5).
            0x07 if self.state != State::PowerDown => {
                self.data = 0;
                self.pending = None;
            }
            // Continuous H, H2, L.
            0x10 | 0x11 | 0x13 => {
                let mode2 = op == 0x11;
                self.state = State::Continuous { mode2 };
                self.measure(mode2);
            }
            // One time H, H2, L: measure, then power down.
            0x20 | 0x21 | 0x23 => {
                self.measure(op == 0x21);
                self.state = State::PowerDown;
            }
            // 01000_MT[7:5]
            _ if op & 0xF8 == 0x40 => {
                self.mtreg = (self.mtreg & 0x1F) | (op & 0x07) << 5;
            }
            // 011_MT[4:0]
            _ if op & 0xE0 == 0x60 => {
                self.mtreg = (self.mtreg & 0xE0) | (op & 0x1F);
            }
            _ => {}
        }
    }

    fn result(&mut self) -> u16 {
        if let Some((c, left)) = self.pending {
            if left == 0 {
                self.data = c;
                self.pending = None;
            } else {
                self.pending = Some((c, left - 1));
                return self.data;
            }
        }
        if let State::Continuous { mode2 } = self.state {
            // A new measurement ends between reads: the latest light.
            if self.pending.is_none() {
                self.data = self.count(mode2);
            }
        }
        self.data
    }
}

impl I2cTarget for Bh1750Model {
    fn start(&mut self, _address: u8, dir: Direction) -> Result<(), SimError> {
        self.first = dir == Direction::Write;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        // One opcode per write: the chip takes no second one without a STOP (p. 10).
        if let Some(&op) = bytes.first() {
            if self.first {
                self.first = false;
                self.execute(op);
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        let d = self.result().to_be_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = d.get(i).copied().unwrap_or(0xFF);
        }
        Ok(())
    }
}
