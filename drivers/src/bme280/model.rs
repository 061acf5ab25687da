//! Behavioural model of the BME280, written from its datasheet (BST-BME280-DS002) without
//! the driver's register definitions: chip ID 0x60, NVM trimming parameters, ctrl_hum /
//! ctrl_meas / config, sleep / forced / normal modes with the `measuring` status bit,
//! oversampling resolution (16 + osrs - 1 bits without filter, 20 bits with), skipped
//! measurements (0x80000 / 0x8000), the IIR filter on temperature and pressure, soft
//! reset (with `im_update` set while the NVM is copied again), I2C register pairs with read auto-increment and 4-wire SPI (bit 7 = read).
//!
//! The physical inputs (temperature, pressure, humidity) are turned into ADC codes by
//! searching the datasheet's compensation formulas (the model's own copy, in 64-bit).

use crate::sim::{Direction, RegisterFile, RegisterPointer, SimError, SpiTarget};
use crate::{Humidity, Pressure, Temperature};

/// Trimming parameters the model stores in its NVM image (datasheet table 16 order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Trim {
    pub t: (u16, i16, i16),
    pub p: (u16, i16, i16, i16, i16, i16, i16, i16, i16),
    pub h: (u8, i16, u8, i16, i16, i8),
}

impl Default for Trim {
    /// The BMP280 datasheet §3.12 example parameters (temperature, pressure) and
    /// typical BME280 humidity parameters.
    fn default() -> Self {
        Self {
            t: (27504, 26435, -1000),
            p: (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000),
            h: (75, 362, 0, 313, 50, 30),
        }
    }
}

impl Trim {
    fn t_fine(&self, adc_t: i64) -> i64 {
        let (t1, t2, t3) = (self.t.0 as i64, self.t.1 as i64, self.t.2 as i64);
        let v1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11;
        let v2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14;
        v1 + v2
    }

    fn q24_8_pa(&self, tf: i64, adc_p: i64) -> i64 {
        let (p1, p2, p3, p4, p5, p6, p7, p8, p9) = self.p;
        let mut v1 = tf - 128000;
        let mut v2 = v1 * v1 * p6 as i64 + ((v1 * p5 as i64) << 17) + ((p4 as i64) << 35);
        v1 = ((v1 * v1 * p3 as i64) >> 8) + ((v1 * p2 as i64) << 12);
        v1 = (((1i64 << 47) + v1) * p1 as i64) >> 33;
        if v1 == 0 {
            return 0;
        }
        let mut p = 1048576 - adc_p;
        p = (((p << 31) - v2) * 3125) / v1;
        v1 = (p9 as i64 * (p >> 13) * (p >> 13)) >> 25;
        v2 = (p8 as i64 * p) >> 19;
        ((p + v1 + v2) >> 8) + ((p7 as i64) << 4)
    }

    fn q22_10_rh(&self, tf: i64, adc_h: i64) -> i64 {
        let (h1, h2, h3, h4, h5, h6) = self.h;
        let mut v = tf - 76800;
        v = ((((adc_h << 14) - ((h4 as i64) << 20) - (h5 as i64 * v)) + 16384) >> 15)
            * (((((((v * h6 as i64) >> 10) * (((v * h3 as i64) >> 11) + 32768)) >> 10) + 2097152)
                * h2 as i64
                + 8192)
                >> 14);
        v -= ((((v >> 15) * (v >> 15)) >> 7) * h1 as i64) >> 4;
        v.clamp(0, 419430400) >> 12
    }

    /// NVM image: 0x88..=0xA1 and 0xE1..=0xE7.
    fn nvm(&self) -> ([u8; 26], [u8; 7]) {
        let mut a = [0u8; 26];
        let words = [
            self.t.0,
            self.t.1 as u16,
            self.t.2 as u16,
            self.p.0,
            self.p.1 as u16,
            self.p.2 as u16,
            self.p.3 as u16,
            self.p.4 as u16,
            self.p.5 as u16,
            self.p.6 as u16,
            self.p.7 as u16,
            self.p.8 as u16,
        ];
        for (i, w) in words.iter().enumerate() {
            a[2 * i..2 * i + 2].copy_from_slice(&w.to_le_bytes());
        }
        a[25] = self.h.0;
        let h2 = self.h.1.to_le_bytes();
        let h4 = self.h.3 as u16;
        let h5 = self.h.4 as u16;
        let b = [
            h2[0],
            h2[1],
            self.h.2,
            (h4 >> 4) as u8,
            ((h5 & 0x0F) << 4) as u8 | (h4 & 0x0F) as u8,
            (h5 >> 4) as u8,
            self.h.5 as u8,
        ];
        (a, b)
    }
}

/// Smallest code in `lo..=hi` (a multiple of `step`) whose `f` reaches `target`, for an
/// increasing `f`; or the nearest of the two neighbours.
fn search(lo: i64, hi: i64, step: i64, target: i64, f: impl Fn(i64) -> i64) -> i64 {
    let (mut a, mut b) = (lo / step, hi / step);
    while a < b {
        let m = (a + b) / 2;
        if f(m * step) < target {
            a = m + 1;
        } else {
            b = m;
        }
    }
    let c = a * step;
    if c > lo && (f(c) - target).abs() > (target - f(c - step)).abs() {
        c - step
    } else {
        c
    }
}

/// A BME280 on I2C or SPI.
#[derive(Debug)]
pub struct Bme280Model {
    trim: Trim,
    temperature: Temperature,
    pressure: Pressure,
    humidity: Humidity,
    ctrl_hum: u8,
    osrs_h: u8,
    ctrl_meas: u8,
    config: u8,
    data: [u8; 8],
    filtered: Option<(i64, i64)>,
    measuring_reads: u8,
    measuring_left: u8,
    im_update_left: u8,
    measurements: u32,
    // I2C state
    pointer: RegisterPointer,
    // SPI state
    spi_state: SpiState,
}

#[derive(Debug, Clone, Copy)]
enum SpiState {
    Control,
    Read(u8),
    Write(u8),
}

impl Default for Bme280Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Bme280Model {
    /// A BME280 after power-on (sleep mode) with the default [`Trim`], at 20 °C,
    /// 1013.25 hPa and 50 %RH.
    pub fn new() -> Self {
        Self::with_trim(Trim::default())
    }

    /// A BME280 with other trimming parameters.
    pub fn with_trim(trim: Trim) -> Self {
        Self {
            trim,
            temperature: Temperature(20_000),
            pressure: Pressure(101_325 * 256),
            humidity: Humidity(50_000),
            ctrl_hum: 0,
            osrs_h: 0,
            ctrl_meas: 0,
            config: 0,
            data: [0x80, 0, 0, 0x80, 0, 0, 0x80, 0],
            filtered: None,
            measuring_reads: 1,
            measuring_left: 0,
            im_update_left: 0,
            measurements: 0,
            pointer: RegisterPointer::default(),
            spi_state: SpiState::Control,
        }
    }

    /// Set the air temperature.
    pub fn set_temperature(&mut self, t: Temperature) {
        self.temperature = t;
        self.normal_mode_tick();
    }

    /// Set the air pressure.
    pub fn set_pressure(&mut self, p: Pressure) {
        self.pressure = p;
        self.normal_mode_tick();
    }

    /// Set the relative humidity.
    pub fn set_humidity(&mut self, h: Humidity) {
        self.humidity = h;
        self.normal_mode_tick();
    }

    /// Set temperature, pressure and humidity together: in normal mode this is one
    /// measurement (one IIR filter step), not three.
    pub fn set_conditions(&mut self, t: Temperature, p: Pressure, h: Humidity) {
        self.temperature = t;
        self.pressure = p;
        self.humidity = h;
        self.normal_mode_tick();
    }

    /// How many status reads report `measuring` after a forced measurement starts
    /// (default 1).
    pub fn set_measuring_reads(&mut self, n: u8) {
        self.measuring_reads = n;
    }

    /// Measurements done so far.
    pub fn measurements(&self) -> u32 {
        self.measurements
    }

    /// (ctrl_hum, ctrl_meas, config) as the chip holds them.
    pub fn control_registers(&self) -> (u8, u8, u8) {
        (self.ctrl_hum, self.ctrl_meas, self.config)
    }

    fn normal_mode_tick(&mut self) {
        if self.ctrl_meas & 0x03 == 0x03 {
            self.measure();
        }
    }

    fn measure(&mut self) {
        self.measurements += 1;
        let osrs_t = (self.ctrl_meas >> 5) & 7;
        let osrs_p = (self.ctrl_meas >> 2) & 7;
        let filter = (self.config >> 2) & 7;
        let coef: i64 = match filter {
            0 => 1,
            1 => 2,
            2 => 4,
            3 => 8,
            _ => 16,
        };
        // Resolution: 16 + (osrs - 1) bits (max 20) without filter, 20 bits with it.
        let step = |osrs: u8| -> i64 {
            if filter != 0 {
                1
            } else {
                1 << (5 - osrs.min(5))
            }
        };
        let trim = self.trim;
        // T = t_fine * 5 / 256 in 0.01 °C, so t_fine * 50 / 256 in m°C.
        let mut adc_t = search(0, 0xFFFFF, 1, self.temperature.0 as i64, |a| {
            trim.t_fine(a) * 50 / 256
        });
        let tf_target = trim.t_fine(adc_t);
        let target_p = self.pressure.0 as i64;
        let mut adc_p = 0xFFFFF
            - search(0, 0xFFFFF, 1, target_p, |a| {
                trim.q24_8_pa(tf_target, 0xFFFFF - a)
            });
        if let Some((ft, fp)) = self.filtered {
            adc_t = (ft * (coef - 1) + adc_t) / coef;
            adc_p = (fp * (coef - 1) + adc_p) / coef;
        }
        if filter != 0 {
            self.filtered = Some((adc_t, adc_p));
        } else {
            self.filtered = None;
        }
        let adc_t = adc_t - adc_t % step(osrs_t.max(1));
        let adc_p = adc_p - adc_p % step(osrs_p.max(1));
        let tf = trim.t_fine(adc_t);
        let target_h = self.humidity.0 as i64 * 1024 / 1000;
        let adc_h = search(0, 0xFFFF, 1, target_h, |a| trim.q22_10_rh(tf, a));
        let t = if osrs_t == 0 { 0x80000 } else { adc_t as u32 };
        let p = if osrs_p == 0 { 0x80000 } else { adc_p as u32 };
        let h = if self.osrs_h == 0 {
            0x8000
        } else {
            adc_h as u16
        };
        self.data = [
            (p >> 12) as u8,
            (p >> 4) as u8,
            ((p & 0xF) << 4) as u8,
            (t >> 12) as u8,
            (t >> 4) as u8,
            ((t & 0xF) << 4) as u8,
            (h >> 8) as u8,
            h as u8,
        ];
    }
}

impl RegisterFile for Bme280Model {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    // Register address / data pairs (datasheet §6.2.1); a lone address sets the pointer
    // for a following read.
    const ADDRESS_DATA_PAIRS: bool = true;

    fn on_start(&mut self, _address: u8, dir: Direction) -> Result<(), SimError> {
        if dir == Direction::Read && (0xF7..=0xFE).contains(&self.pointer.register) {
            self.normal_mode_tick();
        }
        Ok(())
    }

    fn read_register(&mut self, reg: u8) -> u8 {
        let (a, b) = self.trim.nvm();
        match reg {
            0x88..=0xA1 => a[(reg - 0x88) as usize],
            0xD0 => 0x60,
            0xE1..=0xE7 => b[(reg - 0xE1) as usize],
            0xF2 => self.ctrl_hum,
            0xF3 => {
                let mut s = 0;
                if self.measuring_left > 0 {
                    self.measuring_left -= 1;
                    s |= 0x08;
                }
                if self.im_update_left > 0 {
                    self.im_update_left -= 1;
                    s |= 0x01;
                }
                s
            }
            0xF4 => self.ctrl_meas,
            0xF5 => self.config,
            0xF7..=0xFE => self.data[(reg - 0xF7) as usize],
            _ => 0,
        }
    }

    fn write_register(&mut self, reg: u8, v: u8) {
        match reg {
            0xE0 if v == 0xB6 => {
                let trim = self.trim;
                let (t, p, h, mr) = (
                    self.temperature,
                    self.pressure,
                    self.humidity,
                    self.measuring_reads,
                );
                let m = self.measurements;
                *self = Self::with_trim(trim);
                (
                    self.temperature,
                    self.pressure,
                    self.humidity,
                    self.measuring_reads,
                ) = (t, p, h, mr);
                self.measurements = m;
                // The NVM is copied to the image registers again (status bit 0).
                self.im_update_left = 2;
            }
            0xF2 => self.ctrl_hum = v & 0x07,
            0xF4 => {
                self.osrs_h = self.ctrl_hum;
                self.ctrl_meas = v;
                match v & 0x03 {
                    0x01 | 0x02 => {
                        self.measure();
                        self.measuring_left = self.measuring_reads;
                        self.ctrl_meas &= !0x03; // back to sleep
                    }
                    0x03 => self.measure(),
                    _ => {}
                }
            }
            0xF5 => self.config = v & 0xFD,
            _ => {}
        }
    }
}

impl SpiTarget for Bme280Model {
    fn select(&mut self) {
        self.spi_state = SpiState::Control;
    }

    fn transfer(&mut self, mosi: u8) -> u8 {
        match self.spi_state {
            SpiState::Control => {
                let reg = mosi | 0x80;
                self.spi_state = if mosi & 0x80 != 0 {
                    if (0xF7..=0xFE).contains(&reg) {
                        self.normal_mode_tick();
                    }
                    SpiState::Read(reg)
                } else {
                    SpiState::Write(reg)
                };
                0xFF
            }
            SpiState::Read(reg) => {
                self.spi_state = SpiState::Read(reg.wrapping_add(1));
                self.read_register(reg)
            }
            SpiState::Write(reg) => {
                self.write_register(reg, mosi);
                self.spi_state = SpiState::Control;
                0xFF
            }
        }
    }
}
