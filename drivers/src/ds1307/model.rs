//! Behavioural model of the DS1307 / DS1338, written from their datasheets (Maxim DS1307
//! rev. 12/2015, DS1338 rev. 3) without the driver's definitions: a 64-byte register file
//! (7 time registers, control, 56 bytes RAM) behind a pointer that wraps from 3Fh to 00h;
//! the running time is copied into the user buffer at every START, so a burst read is
//! consistent; BCD time in 12- or 24-hour mode as written; CH halts the clock; the control
//! register keeps OUT, SQWE, RS1:RS0 (and, on the DS1338, OSF, which can only be cleared
//! and is set whenever the oscillator stops); bits the datasheets show as 0 read 0.
//!
//! Power-up: 2000-01-01 00:00:00, day 1, CH = 1 (DS1307 datasheet: "on first application
//! of power ... the time and date registers are typically reset to 01/01/00 01 00:00:00 ...
//! The CH bit in the seconds register will be set to a 1"); control 00h, with OSF set on the
//! DS1338 ("the first time power is applied"). The time advances with
//! [`Ds1307Model::advance`], or with the host's clock after [`Ds1307Model::run_realtime`].

use crate::sim::rtc::{
    days_in_month, from_bcd, hour24, hours_register, time_registers, to_bcd, HostClock,
};
use crate::sim::{Direction, RegisterFile, RegisterPointer, SimError};

/// A DS1307 or DS1338.
#[derive(Debug)]
pub struct Ds1307Model {
    regs: [u8; 64],
    pointer: RegisterPointer,
    ds1338: bool,
    realtime: HostClock,
    ticks: u64,
}

impl Ds1307Model {
    /// A DS1307 at first power-up.
    pub fn ds1307() -> Self {
        Self::new(false)
    }

    /// A DS1338 at first power-up (OSF set).
    pub fn ds1338() -> Self {
        Self::new(true)
    }

    fn new(ds1338: bool) -> Self {
        let mut regs = [0u8; 64];
        regs[0] = 0x80; // CH
        regs[3] = 1;
        regs[4] = 1;
        regs[5] = 1;
        if ds1338 {
            regs[7] = 0x20;
        }
        Self {
            regs,
            pointer: RegisterPointer::default(),
            ds1338,
            realtime: HostClock::default(),
            ticks: 0,
        }
    }

    /// Follow the host's clock from now on (for a virtual board).
    pub fn run_realtime(&mut self) {
        self.realtime.start();
    }

    /// Set the time `(year, month, day, weekday, hour, minute, second)` in 24-hour mode
    /// and start the clock (CH = 0), as a battery-backed clock that was set once would
    /// be; OSF is untouched.
    pub fn set_time(&mut self, mut time: (u16, u8, u8, u8, u8, u8, u8)) {
        time.0 = time.0.clamp(2000, 2099);
        self.regs[..7].copy_from_slice(&time_registers(time));
        self.realtime.restart();
    }

    /// Register `r` (0..64) as the chip holds it.
    pub fn register(&self, r: u8) -> u8 {
        self.regs[(r & 0x3F) as usize]
    }

    /// Whether the oscillator runs (CH = 0).
    pub fn running(&self) -> bool {
        self.regs[0] & 0x80 == 0
    }

    /// Seconds counted so far.
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    /// The SQW/OUT pin: `Some(hz)` while the square wave is on, else `None` (the fixed
    /// level is bit 7 of the control register). The oscillator must run for a wave.
    pub fn square_wave_hz(&self) -> Option<u32> {
        let c = self.regs[7];
        (c & 0x10 != 0 && self.running()).then(|| [1, 4096, 8192, 32768][(c & 3) as usize])
    }

    /// The level SQW/OUT is driven to while the square wave is off (the OUT bit).
    pub fn out_level(&self) -> bool {
        self.regs[7] & 0x80 != 0
    }

    /// Simulate a power failure without battery: the oscillator stops; on the DS1338 OSF is
    /// set. (The registers keep their contents here, as they would on a supply glitch.)
    pub fn stop_oscillator(&mut self) {
        self.regs[0] |= 0x80;
        if self.ds1338 {
            self.regs[7] |= 0x20;
        }
    }

    /// Advance the clock by `seconds` (nothing happens while CH = 1).
    pub fn advance(&mut self, seconds: u64) {
        for _ in 0..seconds {
            if !self.running() {
                return;
            }
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
        let s = from_bcd(r[0] & 0x7F) + 1;
        if s < 60 {
            r[0] = to_bcd(s);
            return;
        }
        r[0] = 0;
        let m = from_bcd(r[1]) + 1;
        if m < 60 {
            r[1] = to_bcd(m);
            return;
        }
        r[1] = 0;
        // hours, keeping the 12/24-hour mode of the register
        let next = (hour24(r[2]) + 1) % 24;
        r[2] = hours_register(r[2], next);
        if next != 0 {
            return;
        }
        r[3] = if r[3] & 7 >= 7 { 1 } else { (r[3] & 7) + 1 };
        let year = from_bcd(r[6]);
        let month = from_bcd(r[5]);
        let d = from_bcd(r[4]) + 1;
        if d <= days_in_month(year, month) {
            r[4] = to_bcd(d);
            return;
        }
        r[4] = 1;
        if month < 12 {
            r[5] = to_bcd(month + 1);
            return;
        }
        r[5] = 1;
        r[6] = to_bcd((year + 1) % 100);
    }
}

impl RegisterFile for Ds1307Model {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    fn pointer_from(&self, byte: u8) -> Result<u8, SimError> {
        Ok(byte & 0x3F)
    }

    fn next_register(&self, register: u8) -> u8 {
        (register + 1) & 0x3F
    }

    fn on_start(&mut self, _address: u8, _dir: Direction) -> Result<(), SimError> {
        self.catch_up();
        Ok(())
    }

    fn read_register(&mut self, register: u8) -> u8 {
        self.regs[register as usize]
    }

    fn write_register(&mut self, r: u8, v: u8) {
        match r {
            0 => {
                let was_running = self.running();
                self.regs[0] = v;
                if was_running && !self.running() && self.ds1338 {
                    self.regs[7] |= 0x20; // the oscillator stopped
                }
                self.realtime.restart(); // the countdown chain restarts
            }
            1 => self.regs[1] = v & 0x7F,
            2 => self.regs[2] = v & 0x7F,
            3 => self.regs[3] = v & 0x07,
            4 => self.regs[4] = v & 0x3F,
            5 => self.regs[5] = v & 0x1F,
            7 if self.ds1338 => {
                // OUT, SQWE, RS1:RS0 writable; OSF can only be cleared
                let osf = self.regs[7] & v & 0x20;
                self.regs[7] = (v & 0x93) | osf;
            }
            7 => self.regs[7] = v & 0x93,
            r => self.regs[r as usize] = v,
        }
    }
}
