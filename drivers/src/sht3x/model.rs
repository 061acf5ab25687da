//! Behavioural model of the SHT3x-DIS, written from its datasheet (Sensirion SHT3x-DIS
//! §4) without the driver's command table: 16-bit commands, single shot with and without
//! clock stretching, periodic mode and ART with fetch (NACK when no new data), heater,
//! status register with its flags, soft reset, CRC-8 on every word; and from the "Alert
//! Mode of SHT3x-DIS" application note: the four alert limits (read, write with CRC),
//! the ALERT pin (a [`SimLine`]) with its hysteresis, status bits 15, 11 and 10.

use crate::sim::{Direction, I2cTarget, SimError, SimLine};
use crate::{Humidity, Temperature};
use std::time::{Duration, Instant};
use std::vec::Vec;

/// The CRC-8 after each word (datasheet table 19), shared with the drivers of Sensirion
/// sensors: the tests check it against the datasheet's example and their own long
/// division.
fn crc(d: [u8; 2]) -> u8 {
    crate::sensirion::crc8(&d)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Periodic { period: Duration, last: Instant },
}

/// An SHT3x.
#[derive(Debug)]
pub struct Sht3xModel {
    temperature: Temperature,
    humidity: Humidity,
    state: State,
    /// Data waiting to be read, and read-header NACKs left before it is ready.
    output: Option<[u8; 6]>,
    busy: u32,
    conversion_nacks: u32,
    new_sample: bool,
    status: u16,
    cmd: Vec<u8>,
    read_pos: usize,
    status_out: Option<[u8; 3]>,
    measurements: u32,
    /// Alert limit words: high set, high clear, low clear, low set.
    limits: [u16; 4],
    t_alert: bool,
    rh_alert: bool,
    alert_pin: SimLine,
}

/// A limit word from a temperature in m°C and a humidity in m%RH: the raw values of
/// §4.13, humidity's 7 MSBs in bits 15:9, temperature's 9 MSBs in bits 8:0 (application
/// note §2.1).
fn limit_word(t_mc: i64, rh_mp: i64) -> u16 {
    let st = (((t_mc + 45_000) * 65_535 + 87_500) / 175_000).clamp(0, 65_535) as u16;
    let srh = ((rh_mp * 65_535 + 50_000) / 100_000).clamp(0, 65_535) as u16;
    (srh >> 9) << 9 | st >> 7
}

impl Default for Sht3xModel {
    fn default() -> Self {
        Self::new()
    }
}

impl Sht3xModel {
    /// A sensor after power-on (idle; status 0x8010: "alert pending" and "reset
    /// detected" set, as table 18 gives for the default), 20 °C, 50 %RH.
    pub fn new() -> Self {
        Self {
            temperature: Temperature(20_000),
            humidity: Humidity(50_000),
            state: State::Idle,
            output: None,
            busy: 0,
            conversion_nacks: 0,
            new_sample: false,
            status: 0x8010,
            cmd: Vec::new(),
            read_pos: 0,
            status_out: None,
            measurements: 0,
            // The application note's default limits after reset (physical values).
            limits: [
                limit_word(60_000, 80_000),
                limit_word(58_000, 79_000),
                limit_word(-9_000, 22_000),
                limit_word(-10_000, 20_000),
            ],
            t_alert: false,
            rh_alert: false,
            alert_pin: SimLine::new(false),
        }
    }

    /// The ALERT pin (push-pull, active high).
    pub fn alert_pin(&self) -> SimLine {
        self.alert_pin.clone()
    }

    /// The alert limit words as held: high set, high clear, low clear, low set.
    pub fn limits(&self) -> [u16; 4] {
        self.limits
    }

    /// Compare the current conditions with the limits (alert mode works only in
    /// periodic mode, application note §1): each quantity alerts on reaching its high
    /// set or low set limit and stops once strictly between its clear limits.
    fn check_alert(&mut self) {
        if !self.is_periodic() {
            return;
        }
        let st = ((self.temperature.0 as i64 + 45_000) * 65_535 + 87_500).div_euclid(175_000);
        let sh = (self.humidity.0 as i64 * 65_535 + 50_000) / 100_000;
        let st = st.clamp(0, 65_535) as u16;
        let sh = sh.clamp(0, 65_535) as u16;
        let t = |w: u16| (w & 0x01FF) << 7;
        let h = |w: u16| w & 0xFE00;
        let [hs, hc, lc, ls] = self.limits;
        let track = |on: bool, v: u16, f: &dyn Fn(u16) -> u16| {
            if v >= f(hs) || v <= f(ls) {
                true
            } else if v < f(hc) && v > f(lc) {
                false
            } else {
                on
            }
        };
        let (t_on, rh_on) = (track(self.t_alert, st, &t), track(self.rh_alert, sh, &h));
        if t_on && !self.t_alert {
            self.status |= 0x8000 | 0x0400;
        }
        if rh_on && !self.rh_alert {
            self.status |= 0x8000 | 0x0800;
        }
        self.t_alert = t_on;
        self.rh_alert = rh_on;
        self.alert_pin.set(t_on || rh_on);
    }

    /// Set the air temperature (a new periodic sample becomes available).
    pub fn set_temperature(&mut self, t: Temperature) {
        self.temperature = t;
        self.new_sample = true;
        self.check_alert();
    }

    /// Set the relative humidity (a new periodic sample becomes available).
    pub fn set_humidity(&mut self, h: Humidity) {
        self.humidity = h;
        self.new_sample = true;
        self.check_alert();
    }

    /// How many read headers a single shot without clock stretching NACKs before its
    /// data is ready (default 0: a caller that waited the datasheet time never sees one).
    pub fn set_conversion_nacks(&mut self, n: u32) {
        self.conversion_nacks = n;
    }

    /// The status register.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether periodic mode runs.
    pub fn is_periodic(&self) -> bool {
        matches!(self.state, State::Periodic { .. })
    }

    /// Measurements taken so far.
    pub fn measurements(&self) -> u32 {
        self.measurements
    }

    fn sample(&mut self) -> [u8; 6] {
        self.measurements += 1;
        // S_T = (T + 45) * (2^16 - 1) / 175, S_RH = RH * (2^16 - 1) / 100 (§4.13)
        let st = ((self.temperature.0 as i64 + 45_000) * 65_535 + 87_500).div_euclid(175_000);
        let sh = (self.humidity.0 as i64 * 65_535 + 50_000) / 100_000;
        let st = st.clamp(0, 65_535) as u16;
        let sh = sh.clamp(0, 65_535) as u16;
        let (t, h) = (st.to_be_bytes(), sh.to_be_bytes());
        [t[0], t[1], crc(t), h[0], h[1], crc(h)]
    }

    fn execute(&mut self, cmd: u16) {
        let periodic = |mps_tenths: u64| State::Periodic {
            period: Duration::from_millis(10_000 / mps_tenths),
            last: Instant::now(),
        };
        let ok = match (self.state, cmd) {
            (_, 0x30A2) => {
                *self = Self {
                    temperature: self.temperature,
                    humidity: self.humidity,
                    conversion_nacks: self.conversion_nacks,
                    measurements: self.measurements,
                    alert_pin: self.alert_pin.clone(),
                    ..Self::new()
                };
                self.alert_pin.set(false);
                true
            }
            (State::Periodic { .. }, 0x3093) => {
                self.state = State::Idle;
                self.output = None;
                self.t_alert = false;
                self.rh_alert = false;
                self.alert_pin.set(false);
                true
            }
            (State::Periodic { .. }, 0xE000) => {
                if self.new_sample {
                    self.new_sample = false;
                    self.output = Some(self.sample());
                }
                true
            }
            (State::Idle, 0x2C06 | 0x2C0D | 0x2C10) => {
                self.output = Some(self.sample());
                self.busy = 0;
                true
            }
            (State::Idle, 0x2400 | 0x240B | 0x2416) => {
                self.output = Some(self.sample());
                self.busy = self.conversion_nacks;
                true
            }
            (State::Idle, c) if matches!(c >> 8, 0x20..=0x23 | 0x27) => {
                let mps = match c >> 8 {
                    0x20 => 5,
                    0x21 => 10,
                    0x22 => 20,
                    0x23 => 40,
                    _ => 100,
                };
                let valid = matches!(
                    c,
                    0x2032
                        | 0x2024
                        | 0x202F
                        | 0x2130
                        | 0x2126
                        | 0x212D
                        | 0x2236
                        | 0x2220
                        | 0x222B
                        | 0x2334
                        | 0x2322
                        | 0x2329
                        | 0x2737
                        | 0x2721
                        | 0x272A
                );
                if valid {
                    self.state = periodic(mps);
                    self.new_sample = true;
                    self.check_alert();
                }
                valid
            }
            (State::Idle, 0x2B32) => {
                self.state = periodic(40);
                self.new_sample = true;
                self.check_alert();
                true
            }
            (_, 0x306D) => {
                self.status |= 0x2000;
                true
            }
            (_, 0x3066) => {
                self.status &= !0x2000;
                true
            }
            (_, 0xF32D) => {
                let s = self.status.to_be_bytes();
                self.status_out = Some([s[0], s[1], crc(s)]);
                true
            }
            (_, 0xE11F | 0xE114 | 0xE109 | 0xE102) => {
                let i = match cmd {
                    0xE11F => 0,
                    0xE114 => 1,
                    0xE109 => 2,
                    _ => 3,
                };
                let w = self.limits[i].to_be_bytes();
                self.status_out = Some([w[0], w[1], crc(w)]);
                true
            }
            (_, 0x3041) => {
                // clears alert pending, RH/T tracking alerts and reset detected
                self.status &= !(0x8000 | 0x0800 | 0x0400 | 0x0010);
                true
            }
            _ => false,
        };
        if ok {
            self.status &= !0x0002;
        } else {
            self.status |= 0x0002;
        }
    }

    /// A limit write: 0x61xx, the limit word, its CRC (status bit 0 on a wrong CRC, the
    /// limit unchanged).
    fn write_limit(&mut self, cmd: u16, data: [u8; 3]) {
        let i = match cmd {
            0x611D => 0,
            0x6116 => 1,
            0x610B => 2,
            0x6100 => 3,
            _ => {
                self.status |= 0x0002;
                return;
            }
        };
        self.status &= !0x0002;
        if crc([data[0], data[1]]) != data[2] {
            self.status |= 0x0001;
            return;
        }
        self.status &= !0x0001;
        self.limits[i] = u16::from_be_bytes([data[0], data[1]]);
        self.check_alert();
    }

    fn tick(&mut self) {
        let mut new = false;
        if let State::Periodic { period, last } = &mut self.state {
            if last.elapsed() >= *period {
                *last = Instant::now();
                self.new_sample = true;
                new = true;
            }
        }
        if new {
            self.check_alert();
        }
    }
}

impl I2cTarget for Sht3xModel {
    fn start(&mut self, _address: u8, dir: Direction) -> Result<(), SimError> {
        self.tick();
        match dir {
            Direction::Write => {
                self.cmd.clear();
                Ok(())
            }
            Direction::Read => {
                self.read_pos = 0;
                if self.status_out.is_some() {
                    return Ok(());
                }
                if self.busy > 0 {
                    self.busy -= 1;
                    return Err(SimError::AddressNack);
                }
                if self.output.is_none() {
                    return Err(SimError::AddressNack);
                }
                Ok(())
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        self.cmd.extend_from_slice(bytes);
        // Limit writes (0x61xx) carry a data word and its CRC after the command.
        let limit_write = self.cmd.first() == Some(&0x61);
        if self.cmd.len() == 2 && !limit_write {
            self.status_out = None;
            self.execute(u16::from_be_bytes([self.cmd[0], self.cmd[1]]));
        } else if self.cmd.len() == 5 && limit_write {
            self.status_out = None;
            let c = u16::from_be_bytes([self.cmd[0], self.cmd[1]]);
            self.write_limit(c, [self.cmd[2], self.cmd[3], self.cmd[4]]);
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        for b in buf.iter_mut() {
            *b = if let Some(s) = self.status_out {
                s.get(self.read_pos).copied().unwrap_or(0xFF)
            } else if let Some(d) = self.output {
                d.get(self.read_pos).copied().unwrap_or(0xFF)
            } else {
                0xFF
            };
            self.read_pos += 1;
        }
        Ok(())
    }

    fn stop(&mut self) {
        if self.read_pos > 0 {
            // Data is read once; the status stays readable until the next command.
            if self.status_out.is_none() {
                self.output = None;
            }
            self.read_pos = 0;
        }
    }
}
