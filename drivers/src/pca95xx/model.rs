//! Behavioural model of the PCA9554 and PCA9535, written from their datasheets without
//! the driver's register definitions: command byte pointer (PCA9554: 0..3, repeated
//! access stays on the register; PCA9535: 0..7, repeated access toggles within the
//! port 0 / port 1 pair), input register = pin levels XOR polarity, output latch reads
//! back the latch, configuration (power-on all inputs, outputs latched high), and INT
//! (open drain, active low) on an input change, cleared by reading the changed port's
//! input register or by the input returning to its last-read state.

use crate::sim::{RegisterFile, RegisterPointer, SimError, SimLine};

/// A PCA9554 (8 pins) or PCA9535 (16 pins).
#[derive(Debug)]
pub struct Pca95xxModel {
    ports: usize,
    output: [u8; 2],
    polarity: [u8; 2],
    config: [u8; 2],
    external: [Option<bool>; 16],
    floating_high: bool,
    /// Pin levels at the last input register read, per port.
    snapshot: [u8; 2],
    pointer: RegisterPointer,
    int_pin: SimLine,
}

impl Pca95xxModel {
    /// A PCA9554: internal pull-ups make floating inputs high.
    pub fn pca9554() -> Self {
        Self::new(1, true)
    }

    /// A PCA9535: no pull-ups; the model reads floating inputs as low.
    pub fn pca9535() -> Self {
        Self::new(2, false)
    }

    fn new(ports: usize, floating_high: bool) -> Self {
        let mut m = Self {
            ports,
            output: [0xFF; 2],
            polarity: [0; 2],
            config: [0xFF; 2],
            external: [None; 16],
            floating_high,
            snapshot: [0; 2],
            pointer: RegisterPointer::default(),
            int_pin: SimLine::new(true),
        };
        m.snapshot = [m.port_levels(0), m.port_levels(1)];
        m
    }

    /// The INT pin.
    pub fn int_pin(&self) -> SimLine {
        self.int_pin.clone()
    }

    /// Drive pin `n` from outside, or let it float.
    pub fn set_input(&mut self, n: usize, level: Option<bool>) {
        self.external[n] = level;
        self.update_int();
    }

    /// The electrical level of pin `n`.
    pub fn pin_level(&self, n: usize) -> bool {
        self.port_levels(n / 8) & (1 << (n % 8)) != 0
    }

    fn port_levels(&self, port: usize) -> u8 {
        let mut v = 0;
        for bit in 0..8 {
            let n = 8 * port + bit;
            let level = if self.config[port] & (1 << bit) == 0 {
                self.output[port] & (1 << bit) != 0
            } else {
                self.external[n].unwrap_or(self.floating_high)
            };
            v |= (level as u8) << bit;
        }
        v
    }

    fn update_int(&mut self) {
        let mut active = false;
        for p in 0..self.ports {
            // Only pins configured as inputs raise INT.
            let changed = (self.port_levels(p) ^ self.snapshot[p]) & self.config[p];
            active |= changed != 0;
        }
        self.int_pin.set(!active);
    }

    fn reg(&mut self, cmd: u8) -> Option<&mut u8> {
        let (f, p) = if self.ports == 1 {
            (cmd, 0)
        } else {
            (cmd / 2, (cmd % 2) as usize)
        };
        match f {
            1 => Some(&mut self.output[p]),
            2 => Some(&mut self.polarity[p]),
            3 => Some(&mut self.config[p]),
            _ => None,
        }
    }
}

impl RegisterFile for Pca95xxModel {
    fn pointer(&mut self) -> &mut RegisterPointer {
        &mut self.pointer
    }

    fn pointer_from(&self, byte: u8) -> Result<u8, SimError> {
        Ok(byte & if self.ports == 1 { 0x03 } else { 0x07 })
    }

    fn read_register(&mut self, cmd: u8) -> u8 {
        let input = if self.ports == 1 { cmd == 0 } else { cmd < 2 };
        if input {
            let p = (cmd % 2) as usize * (self.ports - 1);
            let l = self.port_levels(p);
            self.snapshot[p] = l;
            l ^ self.polarity[p]
        } else {
            self.reg(cmd).map(|r| *r).unwrap_or(0)
        }
    }

    fn write_register(&mut self, cmd: u8, value: u8) {
        if let Some(r) = self.reg(cmd) {
            *r = value;
        }
    }

    fn next_register(&self, cmd: u8) -> u8 {
        if self.ports == 1 {
            cmd
        } else {
            cmd ^ 1
        }
    }

    fn on_transfer(&mut self) {
        self.update_int();
    }
}
