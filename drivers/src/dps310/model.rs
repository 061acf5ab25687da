//! Behavioural model of the DPS310, written from its datasheet (Infineon DPS310 v01_02)
//! without the driver's definitions: the register map of §7 with an auto-incrementing
//! pointer, product ID 10h, calibration coefficients packed as §8.11 lays them out,
//! COEF_SRCE, PRS_CFG / TMP_CFG / CFG_REG as written, MEAS_CFG whose status bits are
//! read-only (COEF_RDY and SENSOR_RDY set, TMP_RDY / PRS_RDY set when a result is ready
//! and cleared when it is read), command mode (one measurement, ready after a number of
//! status polls, then back to idle) and background modes, soft reset (1001 in 0Ch).
//!
//! The physical inputs ([`Dps310Model::set_temperature`], [`Dps310Model::set_pressure`])
//! are turned into the raw results by inverting the compensation formulas of §4.9 with the
//! model's coefficients and the scale factor of the configured oversampling (table 9),
//! rounded to the nearest count, so a driver compensating them gets the inputs back to
//! within one count. The result shift (P_SHIFT / T_SHIFT) is required above 8 times
//! oversampling: without it the model's results read 800000h (not a number the
//! compensation can use), with it (or at 8 times or less) the values above. FIFO and
//! interrupts are not modelled.

use crate::sim::{RegisterFile, RegisterPointer};
use crate::{Pressure, Temperature};

/// Scale factors of table 9, by the 4-bit PRC field.
const K: [f64; 8] = [
    524_288.0,
    1_572_864.0,
    3_670_016.0,
    7_864_320.0,
    253_952.0,
    516_096.0,
    1_040_384.0,
    2_088_960.0,
];

/// The model's coefficients: (c0, c1, c00, c10, c01, c11, c20, c21, c30).
pub type Coefficients = (i32, i32, i32, i32, i32, i32, i32, i32, i32);

/// A DPS310.
#[derive(Debug)]
pub struct Dps310Model {
    regs: [u8; 0x29],
    coef: Coefficients,
    pointer: RegisterPointer,
    temperature: Temperature,
    pressure: Pressure,
    polls_left: u8,
    polls_per_measurement: u8,
}

impl Default for Dps310Model {
    fn default() -> Self {
        Self::new()
    }
}

fn pack(c: Coefficients) -> [u8; 18] {
    let (c0, c1, c00, c10, c01, c11, c20, c21, c30) = c;
    let (c0, c1) = (c0 as u32 & 0xFFF, c1 as u32 & 0xFFF);
    let (c00, c10) = (c00 as u32 & 0xF_FFFF, c10 as u32 & 0xF_FFFF);
    let w = |v: i32| (v as i16).to_be_bytes();
    let mut r = [0u8; 18];
    r[0] = (c0 >> 4) as u8;
    r[1] = ((c0 & 0xF) << 4) as u8 | (c1 >> 8) as u8;
    r[2] = c1 as u8;
    r[3] = (c00 >> 12) as u8;
    r[4] = (c00 >> 4) as u8;
    r[5] = ((c00 & 0xF) << 4) as u8 | (c10 >> 16) as u8;
    r[6] = (c10 >> 8) as u8;
    r[7] = c10 as u8;
    for (i, v) in [c01, c11, c20, c21, c30].into_iter().enumerate() {
        r[8 + 2 * i..10 + 2 * i].copy_from_slice(&w(v));
    }
    r
}

impl Dps310Model {
    /// A DPS310 after power-up with its coefficients (a plausible set), 20 °C and
    /// 1013.25 hPa, coefficients made with the external sensor.
    pub fn new() -> Self {
        let mut m = Self {
            regs: [0; 0x29],
            coef: (
                204, -261, 80_469, -54_769, -2_325, 1_373, -10_785, 69, -1_229,
            ),
            pointer: RegisterPointer::default(),
            temperature: Temperature(20_000),
            pressure: Pressure(101_325 * 256),
            polls_left: 0,
            polls_per_measurement: 1,
        };
        m.reset();
        m
    }

    fn reset(&mut self) {
        let coef = pack(self.coef);
        self.regs = [0; 0x29];
        self.regs[0x08] = 0xC0; // COEF_RDY, SENSOR_RDY
        self.regs[0x0D] = 0x10;
        self.regs[0x10..0x22].copy_from_slice(&coef);
        self.regs[0x28] = 0x80;
        self.polls_left = 0;
    }

    /// Replace the coefficients (c0, c1, c00, c10, c01, c11, c20, c21, c30).
    pub fn set_coefficients(&mut self, c: Coefficients) {
        self.coef = c;
        self.regs[0x10..0x22].copy_from_slice(&pack(c));
    }

    /// Set the temperature the sensor measures.
    pub fn set_temperature(&mut self, t: Temperature) {
        self.temperature = t;
    }

    /// Set the pressure the sensor measures.
    pub fn set_pressure(&mut self, p: Pressure) {
        self.pressure = p;
    }

    /// How many status reads a command measurement stays not ready (default 1).
    pub fn set_polls_per_measurement(&mut self, n: u8) {
        self.polls_per_measurement = n;
    }

    /// Register `r` as the chip holds it.
    pub fn register(&self, r: u8) -> u8 {
        self.regs[r as usize]
    }

    fn kt(&self) -> f64 {
        K[(self.regs[0x07] & 0x07) as usize]
    }

    fn kp(&self) -> f64 {
        K[(self.regs[0x06] & 0x07) as usize]
    }

    fn t_sc(&self) -> f64 {
        let (c0, c1, ..) = self.coef;
        let t = self.temperature.0 as f64 / 1000.0;
        let raw = ((t - c0 as f64 * 0.5) / c1 as f64 * self.kt()).round();
        raw / self.kt()
    }

    fn raw_temperature(&self) -> i32 {
        let raw = (self.t_sc() * self.kt()).round();
        raw.clamp(-8_388_608.0, 8_388_607.0) as i32
    }

    fn raw_pressure(&self) -> i32 {
        let (_, _, c00, c10, c01, c11, c20, c21, c30) = self.coef;
        let (c00, c10, c01, c11, c20, c21, c30) = (
            c00 as f64, c10 as f64, c01 as f64, c11 as f64, c20 as f64, c21 as f64, c30 as f64,
        );
        let t = self.t_sc();
        let target = self.pressure.0 as f64 / 256.0;
        let f = |p: f64| {
            c00 + p * (c10 + p * (c20 + p * c30)) + t * c01 + t * p * (c11 + p * c21) - target
        };
        let df = |p: f64| c10 + 2.0 * p * c20 + 3.0 * p * p * c30 + t * (c11 + 2.0 * p * c21);
        // Newton from the linear solution
        let mut p = (target - c00 - t * c01) / (c10 + t * c11);
        for _ in 0..50 {
            let step = f(p) / df(p);
            p -= step;
            if step.abs() < 1e-12 {
                break;
            }
        }
        (p * self.kp()).round().clamp(-8_388_608.0, 8_388_607.0) as i32
    }

    fn store(&mut self, at: usize, raw: i32, shifted_ok: bool) {
        let v = if shifted_ok {
            raw as u32 & 0xFF_FFFF
        } else {
            0x80_0000
        };
        self.regs[at] = (v >> 16) as u8;
        self.regs[at + 1] = (v >> 8) as u8;
        self.regs[at + 2] = v as u8;
    }

    fn measure_temperature(&mut self) {
        let ok = self.regs[0x07] & 0x0F <= 3 || self.regs[0x09] & 0x08 != 0;
        let raw = self.raw_temperature();
        self.store(0x03, raw, ok);
        self.regs[0x08] |= 0x20;
    }

    fn measure_pressure(&mut self) {
        let ok = self.regs[0x06] & 0x0F <= 3 || self.regs[0x09] & 0x04 != 0;
        let raw = self.raw_pressure();
        self.store(0x00, raw, ok);
        self.regs[0x08] |= 0x10;
    }
}

impl RegisterFile for Dps310Model {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    fn read_register(&mut self, r: u8) -> u8 {
        let mode = self.regs[0x08] & 0x07;
        match r {
            0x08 => {
                if matches!(mode, 0b001 | 0b010) {
                    if self.polls_left > 0 {
                        self.polls_left -= 1;
                    } else {
                        if mode == 0b001 {
                            self.measure_pressure();
                        } else {
                            self.measure_temperature();
                        }
                        self.regs[0x08] &= !0x07; // back to idle
                    }
                }
                self.regs[0x08]
            }
            0x00..=0x02 => {
                if mode & 0b101 == 0b101 {
                    self.measure_pressure();
                }
                let v = self.regs[r as usize];
                self.regs[0x08] &= !0x10;
                v
            }
            0x03..=0x05 => {
                if mode & 0b110 == 0b110 {
                    self.measure_temperature();
                }
                let v = self.regs[r as usize];
                self.regs[0x08] &= !0x20;
                v
            }
            r if (r as usize) < self.regs.len() => self.regs[r as usize],
            _ => 0,
        }
    }

    fn write_register(&mut self, r: u8, v: u8) {
        match r {
            0x06 | 0x07 | 0x09 => self.regs[r as usize] = v,
            0x08 => {
                self.regs[0x08] = (self.regs[0x08] & 0xF0) | (v & 0x07);
                self.polls_left = self.polls_per_measurement;
            }
            0x0C if v & 0x0F == 0b1001 => self.reset(),
            _ => {} // read-only or reserved
        }
    }
}
