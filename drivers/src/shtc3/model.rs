//! Behavioural model of the SHTC3, written from its datasheet (Sensirion SHTC3, version
//! 1, July 2018, §5) without the driver's command table: idle after power-up, sleep
//! (only the wakeup command is taken, read headers are NACKed), wakeup, soft reset, the
//! ID register with its CRC, the eight measurement commands (normal / low power, clock
//! stretching or not, T or RH first) with NACKed read headers while a measurement
//! without stretching runs, data read once, CRC-8 on every word, and the conversion
//! `S_T = (T + 45) × 2^16 / 175`, `S_RH = RH × 2^16 / 100` (§5.11) clamped to 16 bits.

use crate::sim::{Direction, I2cTarget, SimError};
use crate::{Humidity, Temperature};
use std::vec::Vec;

/// CRC-8 after each word (§5.10), shared with the Sensirion drivers; the tests check it
/// against the datasheet's example and their own long division.
fn crc(d: [u8; 2]) -> u8 {
    crate::sensirion::crc8(&d)
}

/// An SHTC3.
#[derive(Debug)]
pub struct Shtc3Model {
    temperature: Temperature,
    humidity: Humidity,
    asleep: bool,
    id: u16,
    cmd: Vec<u8>,
    output: Option<[u8; 6]>,
    id_out: Option<[u8; 3]>,
    read_pos: usize,
    busy: u32,
    conversion_nacks: u32,
    measurements: u32,
    low_power_measurements: u32,
}

impl Default for Shtc3Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Shtc3Model {
    /// A sensor after power-up (idle), 20 °C, 50 %RH, ID register 0x0887 (bit 11 set and
    /// bits 5..0 = 000111 as §5.9 gives for an SHTC3; the other bits are not specified).
    pub fn new() -> Self {
        Self {
            temperature: Temperature(20_000),
            humidity: Humidity(50_000),
            asleep: false,
            id: 0x0887,
            cmd: Vec::new(),
            output: None,
            id_out: None,
            read_pos: 0,
            busy: 0,
            conversion_nacks: 0,
            measurements: 0,
            low_power_measurements: 0,
        }
    }

    /// Set the air temperature.
    pub fn set_temperature(&mut self, t: Temperature) {
        self.temperature = t;
    }

    /// Set the relative humidity.
    pub fn set_humidity(&mut self, h: Humidity) {
        self.humidity = h;
    }

    /// Set the ID register (to model another chip or a different SHTC3).
    pub fn set_id(&mut self, id: u16) {
        self.id = id;
    }

    /// How many read headers a measurement without clock stretching NACKs before its
    /// data is ready (default 0: a caller that waited the datasheet time never sees one).
    pub fn set_conversion_nacks(&mut self, n: u32) {
        self.conversion_nacks = n;
    }

    /// Whether the sensor sleeps.
    pub fn is_asleep(&self) -> bool {
        self.asleep
    }

    /// Measurements taken so far, and how many of them in low-power mode.
    pub fn measurements(&self) -> (u32, u32) {
        (self.measurements, self.low_power_measurements)
    }

    fn sample(&mut self, rh_first: bool, low_power: bool) -> [u8; 6] {
        self.measurements += 1;
        self.low_power_measurements += low_power as u32;
        // S_T = (T + 45) × 65536 / 175, S_RH = RH × 65536 / 100, rounded, clamped.
        let st = ((self.temperature.0 as i64 + 45_000) * 65_536 + 87_500).div_euclid(175_000);
        let sh = (self.humidity.0 as i64 * 65_536 + 50_000) / 100_000;
        let t = (st.clamp(0, 65_535) as u16).to_be_bytes();
        let h = (sh.clamp(0, 65_535) as u16).to_be_bytes();
        let (a, b) = if rh_first { (h, t) } else { (t, h) };
        [a[0], a[1], crc(a), b[0], b[1], crc(b)]
    }

    fn execute(&mut self, cmd: u16) {
        if self.asleep {
            // Only the wakeup command is answered in sleep mode.
            if cmd == 0x3517 {
                self.asleep = false;
            }
            return;
        }
        self.id_out = None;
        // (stretching, low power, RH first) of each measurement command, table 9.
        let measure = match cmd {
            0x7CA2 => Some((true, false, false)),
            0x5C24 => Some((true, false, true)),
            0x6458 => Some((true, true, false)),
            0x44DE => Some((true, true, true)),
            0x7866 => Some((false, false, false)),
            0x58E0 => Some((false, false, true)),
            0x609C => Some((false, true, false)),
            0x401A => Some((false, true, true)),
            _ => None,
        };
        if let Some((stretch, low_power, rh_first)) = measure {
            self.output = Some(self.sample(rh_first, low_power));
            self.busy = if stretch { 0 } else { self.conversion_nacks };
            return;
        }
        match cmd {
            0xB098 => {
                self.asleep = true;
                self.output = None;
            }
            0x805D => {
                self.output = None;
                self.busy = 0;
            }
            0xEFC8 => {
                let w = self.id.to_be_bytes();
                self.id_out = Some([w[0], w[1], crc(w)]);
            }
            _ => {}
        }
    }
}

impl I2cTarget for Shtc3Model {
    fn start(&mut self, _address: u8, dir: Direction) -> Result<(), SimError> {
        match dir {
            Direction::Write => {
                self.cmd.clear();
                Ok(())
            }
            Direction::Read => {
                self.read_pos = 0;
                // Asleep, measuring (no clock stretching) or nothing to send: NACK.
                let measuring = self.busy > 0 && self.id_out.is_none();
                self.busy -= measuring as u32;
                let ready = self.id_out.is_some() || self.output.is_some();
                if self.asleep || measuring || !ready {
                    Err(SimError::AddressNack)
                } else {
                    Ok(())
                }
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        self.cmd.extend_from_slice(bytes);
        if self.cmd.len() == 2 {
            self.execute(u16::from_be_bytes([self.cmd[0], self.cmd[1]]));
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        for b in buf.iter_mut() {
            let src: &[u8] = match (&self.id_out, &self.output) {
                (Some(id), _) => id,
                (None, Some(d)) => d,
                _ => &[],
            };
            *b = src.get(self.read_pos).copied().unwrap_or(0xFF);
            self.read_pos += 1;
        }
        Ok(())
    }

    fn stop(&mut self) {
        if self.read_pos > 0 {
            // Data is read once.
            if self.id_out.take().is_none() {
                self.output = None;
            }
            self.read_pos = 0;
        }
    }
}
