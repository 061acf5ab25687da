//! Behavioural models of the LM75 (9-bit and 11-bit) and the TMP102, written from their
//! datasheets (LM75B §7, TMP102 §7) without the driver's register definitions.

use crate::sim::{Direction, I2cTarget, SimError, SimLine, WordPointer};
use crate::Temperature;

/// The OS/ALERT thermostat shared by both chips (comparator and interrupt modes with a
/// fault queue). One call to `convert` is one conversion.
#[derive(Debug, Clone, Default)]
struct Thermostat {
    active: bool,
    /// Interrupt mode: the next event to look for is "below low" (after a high event).
    wait_low: bool,
    count: u8,
}

impl Thermostat {
    /// `t`, `high`, `low` in the same left-justified i16 scale; `queue` 1/2/4/6.
    fn convert(&mut self, t: i16, high: i16, low: i16, queue: u8, interrupt: bool) {
        if interrupt {
            let event = if self.wait_low { t < low } else { t >= high };
            self.count = if event { self.count + 1 } else { 0 };
            if self.count >= queue {
                self.count = 0;
                self.active = true;
                self.wait_low = !self.wait_low;
            }
        } else {
            let fault = if self.active { t < low } else { t >= high };
            self.count = if fault { self.count + 1 } else { 0 };
            if self.count >= queue {
                self.count = 0;
                self.active = !self.active;
            }
        }
    }

    /// A register read clears an interrupt-mode event.
    fn read(&mut self, interrupt: bool) {
        if interrupt {
            self.active = false;
        }
    }
}

const QUEUE: [u8; 4] = [1, 2, 4, 6];

/// An LM75 (or LM75A with 11 bits): temperature, config, T_HYST, T_OS and the OS pin.
#[derive(Debug)]
pub struct Lm75Model {
    bits: u8,
    physical: Temperature,
    temp: u16,
    conf: u8,
    hyst: u16,
    os: u16,
    pointer: WordPointer,
    thermostat: Thermostat,
    os_pin: SimLine,
}

impl Lm75Model {
    /// An LM75/LM75B (9-bit temperature) at power-on: 0 °C measured, T_OS 80 °C, T_HYST 75 °C.
    pub fn lm75() -> Self {
        Self::with_bits(9)
    }

    /// An LM75A (11-bit temperature).
    pub fn lm75a() -> Self {
        Self::with_bits(11)
    }

    fn with_bits(bits: u8) -> Self {
        Self {
            bits,
            physical: Temperature(0),
            temp: 0,
            conf: 0,
            hyst: 75 << 8,
            os: 80 << 8,
            pointer: WordPointer::default(),
            thermostat: Thermostat::default(),
            os_pin: SimLine::new(true),
        }
    }

    /// The OS output pin (open drain, pulled up: high when inactive with default polarity).
    pub fn os_pin(&self) -> SimLine {
        self.os_pin.clone()
    }

    /// The configuration register as the chip holds it.
    pub fn conf(&self) -> u8 {
        self.conf
    }

    /// (T_HYST, T_OS) registers as the chip holds them.
    pub fn thresholds(&self) -> (u16, u16) {
        (self.hyst, self.os)
    }

    /// The physical temperature last set.
    pub fn temperature(&self) -> Temperature {
        self.physical
    }

    /// Set the die temperature; this is one conversion (unless shut down).
    pub fn set_temperature(&mut self, t: Temperature) {
        self.physical = t;
        if self.conf & 1 != 0 {
            return;
        }
        // Truncate toward minus infinity to the chip's step, clamp to the register range.
        let step = 1000i32 >> (self.bits - 8); // 9 bits: 500, 11 bits: 125 (m°C)
        let steps = t.0.div_euclid(step);
        let max = (1i32 << (self.bits - 1)) - 1;
        let steps = steps.clamp(-max - 1, max);
        self.temp = ((steps as i16) << (16 - self.bits)) as u16;
        let interrupt = self.conf & 0x02 != 0;
        self.thermostat.convert(
            self.temp as i16,
            self.os as i16,
            self.hyst as i16,
            QUEUE[((self.conf >> 3) & 3) as usize],
            interrupt,
        );
        self.update_pin();
    }

    fn update_pin(&self) {
        let active_high = self.conf & 0x04 != 0;
        self.os_pin.set(self.thermostat.active == active_high);
    }

    fn reg(&self, p: u8) -> u16 {
        match p {
            0 => self.temp,
            1 => u16::from(self.conf) << 8,
            2 => self.hyst,
            _ => self.os,
        }
    }
}

impl I2cTarget for Lm75Model {
    fn start(&mut self, _address: u8, _dir: Direction) -> Result<(), SimError> {
        self.pointer.start();
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        for (register, i, b) in self.pointer.write(bytes, 0x03) {
            match (register, i) {
                (1, 1) => {
                    self.conf = b & 0x1F;
                    self.update_pin();
                }
                (2, 1) => self.hyst = (self.hyst & 0x00FF) | (u16::from(b) << 8),
                (2, 2) => self.hyst = (self.hyst & 0xFF00) | u16::from(b & 0x80),
                (3, 1) => self.os = (self.os & 0x00FF) | (u16::from(b) << 8),
                (3, 2) => self.os = (self.os & 0xFF00) | u16::from(b & 0x80),
                _ => {} // temperature is read-only; extra bytes ignored
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        let pointer = self.pointer.register;
        let len = if pointer == 1 { 1 } else { 2 };
        self.pointer.read(buf, self.reg(pointer).to_be_bytes(), len);
        self.thermostat.read(self.conf & 0x02 != 0);
        self.update_pin();
        Ok(())
    }
}

/// A TMP102: 12-bit (or 13-bit extended) temperature, 16-bit config, T_LOW, T_HIGH, ALERT.
#[derive(Debug)]
pub struct Tmp102Model {
    physical: Temperature,
    temp: u16,
    conf: u16,
    low: u16,
    high: u16,
    pointer: WordPointer,
    thermostat: Thermostat,
    alert_pin: SimLine,
    conversions: u32,
    /// One-shot: config reads that still see OS = 0, whether one runs, whether one is done.
    busy_reads: u32,
    pending: u32,
    converting: bool,
    ready: bool,
}

impl Default for Tmp102Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Tmp102Model {
    /// A TMP102 at power-on: config 0x60A0, T_LOW 75 °C, T_HIGH 80 °C.
    pub fn new() -> Self {
        Self {
            physical: Temperature(0),
            temp: 0,
            conf: 0x60A0,
            low: 0x4B00,
            high: 0x5000,
            pointer: WordPointer::default(),
            thermostat: Thermostat::default(),
            alert_pin: SimLine::new(true),
            conversions: 0,
            busy_reads: 0,
            pending: 0,
            converting: false,
            ready: false,
        }
    }

    /// How many configuration reads see OS = 0 ("converting") after a one-shot starts,
    /// before the conversion completes (default 0: done at once, as for a caller that
    /// waited the datasheet's conversion time).
    pub fn set_one_shot_reads(&mut self, n: u32) {
        self.busy_reads = n;
    }

    /// Whether a one-shot conversion is running.
    pub fn is_converting(&self) -> bool {
        self.converting
    }

    /// The ALERT pin.
    pub fn alert_pin(&self) -> SimLine {
        self.alert_pin.clone()
    }

    /// The configuration register as the chip holds it.
    pub fn conf(&self) -> u16 {
        self.conf
    }

    /// Number of conversions done (continuous ones and one-shots).
    pub fn conversions(&self) -> u32 {
        self.conversions
    }

    /// Set the die temperature; converts unless shut down.
    pub fn set_temperature(&mut self, t: Temperature) {
        self.physical = t;
        if self.conf & 0x0100 == 0 {
            self.convert();
        }
    }

    fn extended(&self) -> bool {
        self.conf & 0x0010 != 0
    }

    fn convert(&mut self) {
        self.conversions += 1;
        // 0.0625 °C per count, truncated toward minus infinity.
        let counts = (i64::from(self.physical.0) * 16).div_euclid(1000);
        self.temp = if self.extended() {
            let c = counts.clamp(-4096, 4095) as i16;
            ((c << 3) as u16) | 1
        } else {
            let c = counts.clamp(-2048, 2047) as i16;
            (c << 4) as u16
        };
        let interrupt = self.conf & 0x0200 != 0;
        let (t, hi, lo) = if self.extended() {
            (self.temp & !7, self.high, self.low)
        } else {
            (self.temp, self.high, self.low)
        };
        self.thermostat.convert(
            t as i16,
            hi as i16,
            lo as i16,
            QUEUE[((self.conf >> 11) & 3) as usize],
            interrupt,
        );
        self.update_alert();
    }

    fn update_alert(&mut self) {
        let pol = self.conf & 0x0400 != 0;
        let level = self.thermostat.active == pol;
        // AL mirrors the pin level: with POL = 0 it reads 1 until an alert.
        if level {
            self.conf |= 0x0020;
        } else {
            self.conf &= !0x0020;
        }
        self.alert_pin.set(level);
    }

    fn reg(&self, p: u8) -> u16 {
        match p {
            0 => self.temp,
            1 => self.conf | if self.ready { 0x8000 } else { 0 },
            2 => self.low,
            _ => self.high,
        }
    }
}

impl I2cTarget for Tmp102Model {
    fn start(&mut self, _address: u8, _dir: Direction) -> Result<(), SimError> {
        self.pointer.start();
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        for (register, i, b) in self.pointer.write(bytes, 0x03) {
            let b16 = u16::from(b);
            let mask = if self.extended() { 0xFFF8 } else { 0xFFF0 };
            match (i, register) {
                (1, 1) => {
                    // R1 R0 read-only (always 11); OS triggers a one-shot in shutdown.
                    self.conf = (self.conf & 0x00FF) | ((b16 & 0x9F) << 8) | 0x6000;
                }
                (2, 1) => {
                    // CR1 CR0 and EM writable; AL read-only.
                    self.conf = (self.conf & 0xFF20) | (b16 & 0xD0);
                    // §7.5.3: in shutdown, OS = 1 starts one conversion; OS reads 0
                    // while it runs and 1 once it is done. Outside shutdown it reads 0.
                    if self.conf & 0x0100 == 0 {
                        self.ready = false;
                        self.converting = false;
                    } else if self.conf & 0x8000 != 0 {
                        self.ready = false;
                        if self.busy_reads == 0 {
                            self.convert();
                            self.ready = true;
                        } else {
                            self.converting = true;
                            self.pending = self.busy_reads;
                        }
                    }
                    self.conf &= !0x8000;
                    self.update_alert();
                }
                (1, 2) => self.low = (self.low & 0x00FF) | (b16 << 8),
                (2, 2) => self.low = (self.low & 0xFF00) | (b16 & mask),
                (1, 3) => self.high = (self.high & 0x00FF) | (b16 << 8),
                (2, 3) => self.high = (self.high & 0xFF00) | (b16 & mask),
                _ => {}
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        let pointer = self.pointer.register;
        if pointer == 1 && self.pointer.at_start() && self.converting {
            if self.pending == 0 {
                self.converting = false;
                self.convert();
                self.ready = true;
            } else {
                self.pending -= 1;
            }
        }
        self.pointer.read(buf, self.reg(pointer).to_be_bytes(), 2);
        self.thermostat.read(self.conf & 0x0200 != 0);
        self.update_alert();
        Ok(())
    }
}
