//! Behavioural model of the DS3231, written from its datasheet (Maxim DS3231 rev. 10)
//! without the driver's register definitions: 19 registers with an auto-incrementing
//! pointer that wraps from 12h to 00h, BCD time with 12/24-hour modes and the century
//! bit, month lengths and leap years, both alarms with every mask combination of table 2
//! (alarm 2 checked at second 00), A1F/A2F and OSF that can only be cleared, INT/SQW
//! (interrupt when INTCN = 1, 1 Hz square wave pulses when INTCN = 0), temperature in
//! 0.25 °C with CONV, aging offset.
//!
//! Time advances with [`Ds3231Model::advance`] (deterministic, for tests) or, after
//! [`Ds3231Model::run_realtime`], from the host's monotonic clock on every bus access.

use crate::sim::rtc::{
    days_in_month, from_bcd, hour24, hours_register, time_registers, to_bcd, HostClock,
};
use crate::sim::{Direction, RegisterFile, RegisterPointer, SimError, SimLine};
use crate::Temperature;

/// Seconds since 1970-01-01 UTC to (year, month, day, ISO weekday 1 = Monday, hour,
/// minute, second), in the proleptic Gregorian calendar ([`crate::calendar`]).
pub fn civil_from_unix(secs: u64) -> (u16, u8, u8, u8, u8, u8, u8) {
    let (y, m, d, h, mi, s) = crate::calendar::civil_from_unix(secs as i64);
    let wd = crate::calendar::iso_weekday((secs / 86_400) as i64);
    (
        y as u16, m as u8, d as u8, wd as u8, h as u8, mi as u8, s as u8,
    )
}

/// A DS3231.
#[derive(Debug)]
pub struct Ds3231Model {
    regs: [u8; 0x13],
    pointer: RegisterPointer,
    int_pin: SimLine,
    realtime: HostClock,
    conv_reads: u8,
    temperature: Temperature,
    ticks: u64,
}

impl Default for Ds3231Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Ds3231Model {
    /// A DS3231 at first power-up: 2000-01-01 00:00:00, day 1, OSF set, INTCN set,
    /// 32 kHz on, 25 °C.
    pub fn new() -> Self {
        let mut regs = [0u8; 0x13];
        regs[0x03] = 0x01;
        regs[0x04] = 0x01;
        regs[0x05] = 0x01;
        regs[0x0E] = 0x1C;
        regs[0x0F] = 0x88;
        let mut m = Self {
            regs,
            pointer: RegisterPointer::default(),
            int_pin: SimLine::new(true),
            realtime: HostClock::default(),
            conv_reads: 0,
            temperature: Temperature(25_000),
            ticks: 0,
        };
        m.sample_temperature();
        m
    }

    /// Follow the host's clock from now on (the virtual board wants this).
    pub fn run_realtime(&mut self) {
        self.realtime.start();
    }

    /// Set the clock to `(year, month, day, weekday, hour, minute, second)` (as
    /// [`civil_from_unix`] gives it) in 24-hour mode (year 2000..=2199, weekday 1..=7), as
    /// a write of the time registers would; restarts the one-second countdown. OSF is
    /// untouched.
    pub fn set_time(&mut self, mut time: (u16, u8, u8, u8, u8, u8, u8)) {
        time.0 = time.0.clamp(2000, 2199);
        self.regs[..7].copy_from_slice(&time_registers(time));
        if time.0 >= 2100 {
            self.regs[5] |= 0x80; // century
        }
        self.realtime.restart();
    }

    /// Set the clock to the host's UTC time (weekday 1 = Monday) and clear OSF, as a
    /// battery-backed clock that was set once would be.
    pub fn set_to_system_time(&mut self) {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.set_time(civil_from_unix(secs));
        self.clear_oscillator_stopped();
    }

    /// Clear the oscillator-stop flag.
    pub fn clear_oscillator_stopped(&mut self) {
        self.regs[0x0F] &= !0x80;
    }

    /// The INT/SQW pin (open drain, high when inactive).
    pub fn int_pin(&self) -> SimLine {
        self.int_pin.clone()
    }

    /// Register `r` as the chip holds it.
    pub fn register(&self, r: u8) -> u8 {
        self.regs[r as usize]
    }

    /// Seconds counted so far.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// Set the die temperature (sampled into the registers at once: the chip samples
    /// every 64 s and on CONV).
    pub fn set_temperature(&mut self, t: Temperature) {
        self.temperature = t;
        self.sample_temperature();
    }

    /// Simulate a power failure without battery: the oscillator stops (OSF set).
    pub fn stop_oscillator(&mut self) {
        self.regs[0x0F] |= 0x80;
    }

    fn sample_temperature(&mut self) {
        // 10-bit two's complement in 0.25 °C, truncated toward minus infinity
        let q = self.temperature.0.div_euclid(250).clamp(-512, 511) as i16;
        let v = (q << 6) as u16;
        self.regs[0x11] = (v >> 8) as u8;
        self.regs[0x12] = v as u8;
    }

    /// Advance the clock by `seconds`, checking the alarms at every second.
    pub fn advance(&mut self, seconds: u64) {
        for _ in 0..seconds {
            self.tick();
        }
    }

    fn catch_up(&mut self) {
        let elapsed = self.realtime.take_seconds();
        self.advance(elapsed);
    }

    fn tick(&mut self) {
        self.ticks += 1;
        let r = &mut self.regs;
        let mut s = from_bcd(r[0]) + 1;
        if s == 60 {
            s = 0;
            let mut m = from_bcd(r[1]) + 1;
            if m == 60 {
                m = 0;
                let mut h = hour24(self.regs[2]) + 1;
                if h == 24 {
                    h = 0;
                    self.next_day();
                }
                self.regs[2] = hours_register(self.regs[2], h);
            }
            self.regs[1] = to_bcd(m);
        }
        self.regs[0] = to_bcd(s);
        self.check_alarms();
        if self.regs[0x0E] & 0x04 == 0 && self.regs[0x0E] & 0x18 == 0 {
            // 1 Hz square wave: one low/high period per second
            self.int_pin.set(false);
            self.int_pin.set(true);
        }
    }

    fn next_day(&mut self) {
        let r = &mut self.regs;
        r[3] = if r[3] & 7 >= 7 { 1 } else { (r[3] & 7) + 1 };
        let year = from_bcd(r[6]);
        let month = from_bcd(r[5] & 0x1F);
        let mut date = from_bcd(r[4]) + 1;
        if date > days_in_month(year, month) {
            date = 1;
            let mut mon = month + 1;
            let mut century = r[5] & 0x80;
            if mon > 12 {
                mon = 1;
                let mut y = year + 1;
                if y == 100 {
                    y = 0;
                    century ^= 0x80;
                }
                r[6] = to_bcd(y);
            }
            r[5] = century | to_bcd(mon);
        }
        r[4] = to_bcd(date);
    }

    fn check_alarms(&mut self) {
        let r = self.regs;
        let sec = from_bcd(r[0]);
        let min = from_bcd(r[1]);
        let hour = hour24(r[2]);
        let day = r[3] & 7;
        let date = from_bcd(r[4]);
        let day_date = |reg: u8| {
            if reg & 0x40 != 0 {
                reg & 0x0F == day
            } else {
                from_bcd(reg & 0x3F) == date
            }
        };
        let masked = |reg: u8| reg & 0x80 != 0;
        // Alarm 1: each unmasked field must match (table 2); masks are cumulative.
        let a1 = (masked(r[7]) || from_bcd(r[7] & 0x7F) == sec)
            && (masked(r[8]) || from_bcd(r[8] & 0x7F) == min)
            && (masked(r[9]) || hour24(r[9] & 0x7F) == hour)
            && (masked(r[10]) || day_date(r[10]));
        let a2 = sec == 0
            && (masked(r[11]) || from_bcd(r[11] & 0x7F) == min)
            && (masked(r[12]) || hour24(r[12] & 0x7F) == hour)
            && (masked(r[13]) || day_date(r[13]));
        if a1 {
            self.regs[0x0F] |= 0x01;
        }
        if a2 {
            self.regs[0x0F] |= 0x02;
        }
        self.update_int();
    }

    fn update_int(&self) {
        let c = self.regs[0x0E];
        let s = self.regs[0x0F];
        if c & 0x04 != 0 {
            let active = (c & 0x01 != 0 && s & 0x01 != 0) || (c & 0x02 != 0 && s & 0x02 != 0);
            self.int_pin.set(!active);
        }
    }
}

impl RegisterFile for Ds3231Model {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    fn pointer_from(&self, byte: u8) -> Result<u8, SimError> {
        Ok(byte % 0x13)
    }

    fn next_register(&self, register: u8) -> u8 {
        (register + 1) % 0x13
    }

    fn on_start(&mut self, _address: u8, _dir: Direction) -> Result<(), SimError> {
        self.catch_up();
        Ok(())
    }

    fn read_register(&mut self, r: u8) -> u8 {
        match r {
            0x0E if self.conv_reads > 0 => {
                self.conv_reads -= 1;
                if self.conv_reads == 0 {
                    self.regs[0x0E] &= !0x20;
                    self.regs[0x0F] &= !0x04;
                    self.sample_temperature();
                }
                self.regs[0x0E] | 0x20
            }
            r => self.regs[r as usize],
        }
    }

    fn write_register(&mut self, r: u8, v: u8) {
        match r {
            0x00 => {
                self.regs[0] = v & 0x7F;
                // Writing seconds restarts the countdown chain.
                self.realtime.restart();
            }
            0x0E => {
                self.regs[0x0E] = v;
                if v & 0x20 != 0 {
                    self.regs[0x0F] |= 0x04; // BSY
                    self.conv_reads = 1;
                }
                self.update_int();
            }
            0x0F => {
                // OSF, A2F, A1F can only be cleared; EN32kHz writable; BSY read-only.
                let keep = self.regs[0x0F];
                self.regs[0x0F] = (keep & v & 0x83) | (v & 0x08) | (keep & 0x04);
                self.update_int();
            }
            0x11 | 0x12 => {} // temperature is read-only
            r => self.regs[r as usize] = v,
        }
    }
}
