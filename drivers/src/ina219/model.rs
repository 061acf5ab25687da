//! Behavioural model of the INA219, written from its datasheet (TI SBOS448 §8) without
//! the driver's register definitions: config (power-on 0x399F, RST), shunt voltage with
//! the PGA's range (10 µV LSB, saturating), bus voltage (4 mV LSB, 16 or 32 V range, CNVR,
//! OVF), calibration (bit 0 void), current = shunt × cal / 4096, power = current × bus /
//! 5000, triggered / continuous / power-down modes.

use crate::sim::{Direction, I2cTarget, SimError, WordPointer};
use crate::{Current, Voltage};

/// An INA219.
#[derive(Debug)]
pub struct Ina219Model {
    shunt_uv: i64,
    bus_uv: i64,
    config: u16,
    shunt: i16,
    bus: u16,
    power: u16,
    current: i16,
    cal: u16,
    ready: bool,
    overflow: bool,
    pointer: WordPointer,
    hi: u8,
    conversions: u32,
}

impl Default for Ina219Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Ina219Model {
    /// An INA219 at power-on, 0 V everywhere.
    pub fn new() -> Self {
        Self {
            shunt_uv: 0,
            bus_uv: 0,
            config: 0x399F,
            shunt: 0,
            bus: 0,
            power: 0,
            current: 0,
            cal: 0,
            ready: false,
            overflow: false,
            pointer: WordPointer::default(),
            hi: 0,
            conversions: 0,
        }
    }

    /// Set the voltage across the shunt (IN+ − IN−).
    pub fn set_shunt_voltage(&mut self, v: Voltage) {
        self.shunt_uv = v.0 as i64;
        self.continuous();
    }

    /// Set the current through a shunt of `shunt_micro_ohm` µΩ (sets the shunt voltage).
    pub fn set_current(&mut self, i: Current, shunt_micro_ohm: u32) {
        self.shunt_uv = i.0 as i64 * shunt_micro_ohm as i64 / 1_000_000;
        self.continuous();
    }

    /// Set the bus voltage (IN− to GND).
    pub fn set_bus_voltage(&mut self, v: Voltage) {
        self.bus_uv = v.0 as i64;
        self.continuous();
    }

    /// (config, calibration) registers as the chip holds them.
    pub fn registers(&self) -> (u16, u16) {
        (self.config, self.cal)
    }

    /// Conversions done so far.
    pub fn conversions(&self) -> u32 {
        self.conversions
    }

    fn continuous(&mut self) {
        if self.config & 0x7 >= 5 {
            self.convert();
        }
    }

    fn convert(&mut self) {
        self.conversions += 1;
        let mode = self.config & 0x7;
        if mode & 1 != 0 {
            // PGA /1 /2 /4 /8: ±4000, 8000, 16000, 32000 counts of 10 µV
            let limit = 4000i64 << ((self.config >> 11) & 3);
            self.shunt = (self.shunt_uv / 10).clamp(-limit, limit) as i16;
        }
        if mode & 2 != 0 {
            let max_mv: i64 = if self.config & 0x2000 != 0 {
                32_000
            } else {
                16_000
            };
            let mv = (self.bus_uv / 1000).clamp(0, max_mv);
            self.bus = ((mv / 4) as u16) << 3;
        }
        let current = self.shunt as i64 * self.cal as i64 / 4096;
        let power = current.abs() * (self.bus >> 3) as i64 / 5000;
        self.overflow = current > i16::MAX as i64 || current < i16::MIN as i64 || power > 0xFFFF;
        self.current = current.clamp(i16::MIN as i64, i16::MAX as i64) as i16;
        self.power = power.min(0xFFFF) as u16;
        self.ready = true;
    }

    fn read_reg(&mut self, p: u8) -> u16 {
        match p {
            0 => self.config,
            1 => self.shunt as u16,
            2 => self.bus | (self.ready as u16) << 1 | self.overflow as u16,
            3 => {
                self.ready = false;
                self.power
            }
            4 => self.current as u16,
            5 => self.cal,
            _ => 0,
        }
    }

    fn write_reg(&mut self, p: u8, v: u16) {
        match p {
            0 if v & 0x8000 != 0 => {
                let (s, b, c) = (self.shunt_uv, self.bus_uv, self.conversions);
                *self = Self::new();
                (self.shunt_uv, self.bus_uv, self.conversions) = (s, b, c);
            }
            0 => {
                self.config = v;
                self.ready = false;
                match v & 0x7 {
                    1..=3 | 5..=7 => self.convert(),
                    _ => {}
                }
            }
            5 => {
                self.cal = v & 0xFFFE;
                self.continuous();
            }
            _ => {}
        }
    }
}

impl I2cTarget for Ina219Model {
    fn start(&mut self, _address: u8, _dir: Direction) -> Result<(), SimError> {
        self.pointer.start();
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        for (register, i, b) in self.pointer.write(bytes, 0xFF) {
            match i {
                1 => self.hi = b,
                2 => self.write_reg(register, u16::from_be_bytes([self.hi, b])),
                _ => {}
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        let pointer = self.pointer.register;
        if self.pointer.at_start() && (1..=4).contains(&pointer) {
            self.continuous();
        }
        let v = self.read_reg(pointer).to_be_bytes();
        self.pointer.read(buf, v, 2);
        Ok(())
    }
}
