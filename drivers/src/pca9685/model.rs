//! Behavioural model of the PCA9685, written from its datasheet (NXP PCA9685 rev. 4, §7)
//! without the driver's register definitions: MODE1 (power-on 0x11: sleeping, all-call),
//! MODE2 (0x04), sub-addresses and all-call address (answered only when enabled),
//! auto-increment (rolling over from 45h and from FEh to 00h), reserved addresses not
//! acknowledged, LED registers with full on / full off, ALL_LED writes (read as 0),
//! PRE_SCALE writable only in sleep, RESTART semantics, outputs that change at STOP or
//! on ACK (OCH).

use crate::sim::{
    Direction, I2cTarget, RegisterFile, RegisterPointer, SimError, SimHandle, SimI2cBus,
};

/// A PCA9685.
#[derive(Debug)]
pub struct Pca9685Model {
    regs: [u8; 256],
    /// The LED registers as the outputs use them (latched at STOP or ACK).
    latched: [u8; 64],
    address: u8,
    pointer: RegisterPointer,
    wrote: bool,
    running: bool,
}

impl Pca9685Model {
    /// A PCA9685 at power-on, answering at `address`.
    pub fn new(address: u8) -> Self {
        let mut m = Self {
            regs: [0; 256],
            latched: [0; 64],
            address,
            pointer: RegisterPointer::default(),
            wrote: false,
            running: false,
        };
        m.reset();
        m
    }

    fn reset(&mut self) {
        self.regs = [0; 256];
        self.regs[0x00] = 0x11;
        self.regs[0x01] = 0x04;
        self.regs[0x02] = 0xE2;
        self.regs[0x03] = 0xE4;
        self.regs[0x04] = 0xE8;
        self.regs[0x05] = 0xE0;
        // LEDn_OFF_H power-on: full off (bit 4)
        for ch in 0..16 {
            self.regs[0x06 + 4 * ch + 3] = 0x10;
        }
        self.regs[0xFE] = 0x1E;
        self.latched.copy_from_slice(&self.regs[0x06..0x46]);
        self.running = false;
    }

    /// Attach at its address, the all-call address 0x70 and the sub-addresses 0x71,
    /// 0x72, 0x74 (each answered only while enabled in MODE1).
    pub fn attach(self, bus: &SimI2cBus) -> SimHandle<Self> {
        let a = self.address;
        let h = SimHandle::new(self);
        for addr in [a, 0x70, 0x71, 0x72, 0x74] {
            bus.attach_handle(addr, &h);
        }
        h
    }

    /// Register contents.
    pub fn register(&self, r: u8) -> u8 {
        self.regs[r as usize]
    }

    /// PWM frequency in Hz from the prescale: 25 MHz / (4096 × (prescale + 1)).
    pub fn frequency_hz(&self) -> f32 {
        25_000_000.0 / (4096.0 * (self.regs[0xFE] as f32 + 1.0))
    }

    /// Whether the oscillator runs and PWM is active (awake, restarted if needed).
    pub fn running(&self) -> bool {
        self.regs[0] & 0x10 == 0 && self.running
    }

    /// The output of channel `ch` as (high_from, high_until) counts within the 4096-step
    /// period, `None` when constantly low; full on is `(0, 4096)`. Accounts for sleep,
    /// INVRT and the latched registers.
    pub fn output(&self, ch: usize) -> Option<(u16, u16)> {
        let r = &self.latched[4 * ch..4 * ch + 4];
        let on = u16::from_le_bytes([r[0], r[1] & 0x0F]);
        let off = u16::from_le_bytes([r[2], r[3] & 0x0F]);
        let full_on = r[1] & 0x10 != 0;
        let full_off = r[3] & 0x10 != 0;
        let level = if !self.running() || full_off {
            None
        } else if full_on {
            Some((0, 4096))
        } else if on == off {
            None
        } else {
            Some((on, off))
        };
        if self.regs[1] & 0x10 != 0 {
            // INVRT: a high window (a, b) becomes high from b to a (wrapping).
            return match level {
                None => Some((0, 4096)),
                Some((0, 4096)) => None,
                Some((a, b)) => Some((b, a)),
            };
        }
        level
    }

    /// Duty cycle of channel `ch` in 1/4096.
    pub fn duty(&self, ch: usize) -> u16 {
        match self.output(ch) {
            None => 0,
            Some((0, 4096)) => 4096,
            Some((a, b)) => (b as i32 - a as i32).rem_euclid(4096) as u16,
        }
    }

    fn answers(&self, address: u8) -> bool {
        let m1 = self.regs[0];
        if address == self.address {
            return true;
        }
        let sub = |reg: usize, bit: u8| m1 & bit != 0 && self.regs[reg] >> 1 == address;
        sub(0x05, 0x01) || sub(0x02, 0x08) || sub(0x03, 0x04) || sub(0x04, 0x02)
    }

    fn latch(&mut self) {
        self.latched.copy_from_slice(&self.regs[0x06..0x46]);
    }
}

impl RegisterFile for Pca9685Model {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    fn pointer_from(&self, byte: u8) -> Result<u8, SimError> {
        // "reserved addresses will not be acknowledged" (table 3)
        if (0x46..=0xF9).contains(&byte) {
            return Err(SimError::DataNack);
        }
        Ok(byte)
    }

    fn read_register(&mut self, register: u8) -> u8 {
        match register {
            0xFA..=0xFD => 0,
            p => self.regs[p as usize],
        }
    }

    fn write_register(&mut self, r: u8, v: u8) {
        match r {
            0x00 => {
                let old = self.regs[0];
                let mut new = (v & 0x7F) | (old & 0x80);
                if v & 0x80 != 0 && old & 0x80 != 0 && v & 0x10 == 0 {
                    // Writing 1 to RESTART restarts the PWM channels and clears it.
                    new &= 0x7F;
                    self.running = true;
                }
                if old & 0x40 != 0 {
                    new |= 0x40; // EXTCLK is sticky until reset
                }
                if new & 0x10 != 0 && old & 0x10 == 0 && self.running {
                    new |= 0x80; // PWM was active: restart possible
                    self.running = false;
                }
                if new & 0x10 == 0 && new & 0x80 == 0 {
                    self.running = true;
                }
                self.regs[0] = new;
            }
            0xFA..=0xFD => {
                let v = if r & 1 == 1 { v & 0x1F } else { v };
                for ch in 0..16 {
                    self.regs[0x06 + 4 * ch + (r - 0xFA) as usize] = v;
                }
            }
            // LEDn_ON_H / LEDn_OFF_H: bits 7:5 reserved, read 0
            0x06..=0x45 if (r - 0x06) % 2 == 1 => self.regs[r as usize] = v & 0x1F,
            0xFE => {
                if self.regs[0] & 0x10 != 0 {
                    self.regs[0xFE] = v.max(3);
                }
            }
            0xFF => {}
            r => self.regs[r as usize] = v,
        }
        if self.regs[1] & 0x08 != 0 {
            self.latch();
        }
        self.wrote = true;
    }

    fn next_register(&self, r: u8) -> u8 {
        if self.regs[0] & 0x20 == 0 {
            return r;
        }
        // Table 3 remark: past LED15_OFF_H (69) the pointer goes to MODE1; from
        // ALL_LED_ON_L (250) it increments up to PRE_SCALE (254), then rolls over to 0.
        match r {
            0x45 | 0xFE | 0xFF => 0x00,
            r => r + 1,
        }
    }

    fn on_start(&mut self, address: u8, _dir: Direction) -> Result<(), SimError> {
        if !self.answers(address) {
            return Err(SimError::AddressNack);
        }
        Ok(())
    }

    fn on_stop(&mut self) {
        if self.wrote {
            self.latch();
            self.wrote = false;
        }
    }
}

/// The general call address (0x00) on a bus: a SWRST (0x06) resets every PCA9685
/// attached through it.
#[derive(Debug, Default)]
pub struct GeneralCall {
    chips: std::vec::Vec<SimHandle<Pca9685Model>>,
    first: bool,
}

impl GeneralCall {
    /// Attach a general-call responder at 0x00 that resets `chips` on SWRST.
    pub fn attach(bus: &SimI2cBus, chips: std::vec::Vec<SimHandle<Pca9685Model>>) {
        bus.attach(0x00, Self { chips, first: true });
    }
}

impl I2cTarget for GeneralCall {
    fn start(&mut self, _address: u8, dir: Direction) -> Result<(), SimError> {
        self.first = true;
        if dir == Direction::Read {
            return Err(SimError::AddressNack);
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        if self.first && bytes.first() == Some(&0x06) {
            for c in &self.chips {
                c.lock().reset();
            }
        }
        self.first = false;
        Ok(())
    }

    fn read(&mut self, _buf: &mut [u8]) -> Result<(), SimError> {
        Err(SimError::DataNack)
    }
}
