//! Behavioural model of the MAX31855, written from its datasheet (table 2 memory map,
//! tables 3 and 4 data formats) without the driver's decoding: a read-only 32-bit word
//! shifted out MSB first while CS is low (zeros after it), with the thermocouple
//! temperature truncated to 0.25 °C in D31..D18, the fault flag D16, the internal
//! temperature truncated to 0.0625 °C in D15..D4 and OC/SCG/SCV in D0..D2.

use crate::sim::SpiTarget;
use crate::Temperature;

/// A MAX31855.
#[derive(Debug)]
pub struct Max31855Model {
    thermocouple: Temperature,
    internal: Temperature,
    /// (open circuit, short to GND, short to VCC)
    faults: (bool, bool, bool),
    word: u32,
    index: usize,
    reads: u32,
}

impl Default for Max31855Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Max31855Model {
    /// A MAX31855 with a 25 °C thermocouple and cold junction, no faults.
    pub fn new() -> Self {
        Self {
            thermocouple: Temperature(25_000),
            internal: Temperature(25_000),
            faults: (false, false, false),
            word: 0,
            index: 0,
            reads: 0,
        }
    }

    /// Set the (compensated) hot-junction temperature.
    pub fn set_thermocouple(&mut self, t: Temperature) {
        self.thermocouple = t;
    }

    /// Set the die (cold-junction) temperature.
    pub fn set_internal(&mut self, t: Temperature) {
        self.internal = t;
    }

    /// Set the faults: thermocouple open, shorted to GND, shorted to VCC.
    pub fn set_faults(&mut self, open: bool, short_to_gnd: bool, short_to_vcc: bool) {
        self.faults = (open, short_to_gnd, short_to_vcc);
    }

    /// Conversions read so far (each CS assertion).
    pub fn reads(&self) -> u32 {
        self.reads
    }

    fn word(&self) -> u32 {
        let tc = self.thermocouple.0.div_euclid(250).clamp(-8192, 8191) as u32 & 0x3FFF;
        let int = (self.internal.0 as i64 * 16)
            .div_euclid(1000)
            .clamp(-2048, 2047) as u32
            & 0x0FFF;
        let (oc, scg, scv) = self.faults;
        let bits = oc as u32 | (scg as u32) << 1 | (scv as u32) << 2;
        let fault = (bits != 0) as u32;
        tc << 18 | fault << 16 | int << 4 | bits
    }
}

impl SpiTarget for Max31855Model {
    fn select(&mut self) {
        // CS low stops the conversion and latches the result.
        self.word = self.word();
        self.index = 0;
        self.reads += 1;
    }

    fn transfer(&mut self, _mosi: u8) -> u8 {
        let b = if self.index < 4 {
            self.word.to_be_bytes()[self.index]
        } else {
            0
        };
        self.index += 1;
        b
    }
}
