//! Behavioural model of the ADS1115 / ADS1015, written from the datasheet (TI SBAS444,
//! SBAS473) without the driver's register definitions: address pointer, conversion /
//! config / Lo_thresh / Hi_thresh, power-on config 0x8583, OS bit (reads 0 while
//! converting), single-shot and continuous modes, MUX, PGA with saturation at the code
//! limits, 12-bit left-justified results on the ADS1015, and the comparator on ALERT/RDY
//! (traditional / window, polarity, latching, queue, conversion-ready mode).

use crate::sim::{Direction, I2cTarget, SimError, SimLine, WordPointer};
use crate::Voltage;

/// An ADS1115 (16-bit) or ADS1015 (12-bit).
#[derive(Debug)]
pub struct Ads1x1xModel {
    bits12: bool,
    inputs: [i32; 4],
    conversion: u16,
    config: u16,
    lo: u16,
    hi: u16,
    pointer: WordPointer,
    busy_reads: u32,
    busy_left: u32,
    queue_count: u8,
    alert_active: bool,
    alert: SimLine,
    conversions: u32,
    pending: [u8; 2],
}

impl Ads1x1xModel {
    /// An ADS1115 at power-on, all inputs at 0 V.
    pub fn ads1115() -> Self {
        Self::new(false)
    }

    /// An ADS1015 at power-on.
    pub fn ads1015() -> Self {
        Self::new(true)
    }

    fn new(bits12: bool) -> Self {
        Self {
            bits12,
            inputs: [0; 4],
            conversion: 0,
            config: 0x8583,
            lo: 0x8000,
            hi: 0x7FFF,
            pointer: WordPointer::default(),
            busy_reads: 1,
            busy_left: 0,
            queue_count: 0,
            alert_active: false,
            alert: SimLine::new(true),
            conversions: 0,
            pending: [0; 2],
        }
    }

    /// Set the voltage at AINx against GND (x in 0..4).
    pub fn set_input(&mut self, x: usize, v: Voltage) {
        self.inputs[x] = v.0;
        if self.config & 0x0100 == 0 {
            self.convert();
        }
    }

    /// How many config reads show OS = 0 after a single-shot start (default 1).
    pub fn set_busy_reads(&mut self, n: u32) {
        self.busy_reads = n;
    }

    /// The ALERT/RDY pin (open drain with pull-up: high when inactive or disabled).
    pub fn alert_pin(&self) -> SimLine {
        self.alert.clone()
    }

    /// Registers as the chip holds them: (conversion, config, lo, hi).
    pub fn registers(&self) -> (u16, u16, u16, u16) {
        (self.conversion, self.config, self.lo, self.hi)
    }

    /// Conversions done so far.
    pub fn conversions(&self) -> u32 {
        self.conversions
    }

    fn fsr_uv(&self) -> i64 {
        match (self.config >> 9) & 7 {
            0 => 6_144_000,
            1 => 4_096_000,
            2 => 2_048_000,
            3 => 1_024_000,
            4 => 512_000,
            _ => 256_000,
        }
    }

    fn differential(&self) -> i64 {
        let a = &self.inputs;
        let (p, n) = match (self.config >> 12) & 7 {
            0 => (a[0], a[1]),
            1 => (a[0], a[3]),
            2 => (a[1], a[3]),
            3 => (a[2], a[3]),
            m => (a[(m - 4) as usize], 0),
        };
        p as i64 - n as i64
    }

    fn convert(&mut self) {
        self.conversions += 1;
        let fsr = self.fsr_uv();
        let d = self.differential();
        // Code = floor(V * 2^(n-1) / FSR), saturating at 0x7FF(F) and 0x800(0).
        self.conversion = if self.bits12 {
            let c = (d * 2048).div_euclid(fsr).clamp(-2048, 2047) as i16;
            (c << 4) as u16
        } else {
            (d * 32768).div_euclid(fsr).clamp(-32768, 32767) as i16 as u16
        };
        self.comparator();
    }

    fn comparator(&mut self) {
        let que = self.config & 0x3;
        if que == 3 {
            self.alert_active = false;
            self.queue_count = 0;
            self.drive_pin();
            return;
        }
        let needed = [1, 2, 4][que as usize];
        if self.hi & 0x8000 != 0 && self.lo & 0x8000 == 0 {
            // Conversion-ready mode: a pulse at the end of each conversion in continuous
            // mode; asserted until the next start in single-shot mode.
            self.alert_active = true;
            self.drive_pin();
            if self.config & 0x0100 == 0 {
                self.alert_active = false;
                self.drive_pin();
            }
            return;
        }
        let code = self.conversion as i16;
        let (hi, lo) = (self.hi as i16, self.lo as i16);
        let window = self.config & 0x10 != 0;
        let beyond = if window {
            code > hi || code < lo
        } else {
            code > hi
        };
        if beyond {
            self.queue_count = (self.queue_count + 1).min(needed);
            if self.queue_count >= needed {
                self.alert_active = true;
            }
        } else {
            self.queue_count = 0;
            let release = if window { true } else { code < lo };
            if release && self.config & 0x04 == 0 {
                self.alert_active = false;
            }
        }
        self.drive_pin();
    }

    fn drive_pin(&self) {
        let active_high = self.config & 0x08 != 0;
        self.alert.set(if self.alert_active {
            active_high
        } else {
            !active_high
        });
    }

    fn reg(&mut self, p: u8) -> u16 {
        match p {
            0 => self.conversion,
            1 => {
                if self.busy_left > 0 {
                    self.config & 0x7FFF
                } else {
                    self.config | 0x8000
                }
            }
            2 => self.lo,
            _ => self.hi,
        }
    }
}

impl I2cTarget for Ads1x1xModel {
    fn start(&mut self, _address: u8, _dir: Direction) -> Result<(), SimError> {
        self.pointer.start();
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        for (register, i, b) in self.pointer.write(bytes, 0x03) {
            match i {
                1 => self.pending[0] = b,
                2 => {
                    self.pending[1] = b;
                    let v = u16::from_be_bytes(self.pending);
                    match register {
                        1 => {
                            let start = v & 0x8000 != 0 && v & 0x0100 != 0;
                            self.config = v & 0x7FFF;
                            if start {
                                if self.hi & 0x8000 != 0 && self.lo & 0x8000 == 0 {
                                    self.alert_active = false;
                                    self.drive_pin();
                                }
                                self.busy_left = self.busy_reads;
                                self.convert();
                            } else if v & 0x0100 == 0 {
                                self.convert();
                            } else {
                                self.comparator();
                            }
                        }
                        2 => self.lo = if self.bits12 { v & 0xFFF0 } else { v },
                        3 => self.hi = if self.bits12 { v & 0xFFF0 } else { v },
                        _ => {} // the conversion register is read-only
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        let pointer = self.pointer.register;
        if pointer == 0 && self.config & 0x0100 == 0 && self.pointer.at_start() {
            self.convert(); // continuous: a fresh result for every read
        }
        let v = self.reg(pointer).to_be_bytes();
        if pointer == 1 && self.busy_left > 0 {
            self.busy_left -= 1;
        }
        self.pointer.read(buf, v, 2);
        if pointer == 0 && self.config & 0x04 != 0 {
            // Latching comparator: reading the conversion register releases ALERT
            // unless the condition still holds.
            self.alert_active = false;
            self.queue_count = 0;
            self.drive_pin();
        }
        Ok(())
    }
}
