//! The byte-register protocol most I2C chips share, written once for their models.
//!
//! After a write START the first byte is a register address: it sets the chip's register
//! pointer. Every further byte written goes to the register at the pointer, and every
//! byte read comes from it; after each byte the pointer moves on to the next register
//! (auto-increment, by the chip's own rule). A model states its registers through
//! [`RegisterFile`] and gets its [`I2cTarget`] implementation from it.

use super::{Direction, I2cTarget, SimError};

/// The register pointer of a [`RegisterFile`] model, and whether the next byte written
/// is a register address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterPointer {
    /// The register the next data byte is written to or read from.
    pub register: u8,
    expect_address: bool,
}

/// A chip model reached through byte registers behind a register pointer (see the
/// [module](self)); every type implementing it is an [`I2cTarget`].
///
/// Only the register contents and the chip's rules are the model's own: the pointer and
/// the order of bytes are handled here, the same for every chip.
pub trait RegisterFile: Send {
    /// The model's register pointer.
    fn pointer(&mut self) -> &mut RegisterPointer;
    /// The value of `register` for a read (reading may change the chip's state).
    fn read_register(&mut self, register: u8) -> u8;
    /// The controller writes `value` to `register`.
    fn write_register(&mut self, register: u8, value: u8);
    /// The register after `register` (auto-increment); by default the next address,
    /// wrapping from FFh to 00h.
    fn next_register(&self, register: u8) -> u8 {
        register.wrapping_add(1)
    }
    /// The pointer an address byte sets (a chip may ignore high bits or wrap), or the
    /// refusal of an address the chip does not acknowledge.
    fn pointer_from(&self, byte: u8) -> Result<u8, SimError> {
        Ok(byte)
    }
    /// Whether writes come as address / data pairs (each data byte is followed by a new
    /// register address, without auto-increment) instead of one address and a burst.
    const ADDRESS_DATA_PAIRS: bool = false;
    /// At every START or repeated START, before the pointer logic (`Err` NACKs the
    /// address).
    fn on_start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        let _ = (address, dir);
        Ok(())
    }
    /// After each write or read operation.
    fn on_transfer(&mut self) {}
    /// At the STOP condition.
    fn on_stop(&mut self) {}
}

impl<M: RegisterFile> I2cTarget for M {
    fn start(&mut self, address: u8, dir: Direction) -> Result<(), SimError> {
        self.on_start(address, dir)?;
        self.pointer().expect_address = dir == Direction::Write;
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        for &b in bytes {
            let p = *self.pointer();
            if p.expect_address {
                let register = self.pointer_from(b)?;
                *self.pointer() = RegisterPointer {
                    register,
                    expect_address: false,
                };
            } else {
                self.write_register(p.register, b);
                if Self::ADDRESS_DATA_PAIRS {
                    self.pointer().expect_address = true;
                } else {
                    let next = self.next_register(p.register);
                    self.pointer().register = next;
                }
            }
        }
        self.on_transfer();
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), SimError> {
        for b in buf {
            let register = self.pointer().register;
            *b = self.read_register(register);
            let next = self.next_register(register);
            self.pointer().register = next;
        }
        self.on_transfer();
        Ok(())
    }

    fn stop(&mut self) {
        self.on_stop();
    }
}

/// Where a chip with 16-bit registers behind a pointer register (LM75, TMP102, ADS1x1x,
/// INA219) is in a transfer: after a write START the first byte sets the pointer and the
/// following ones are the addressed register's bytes, most significant first; a read
/// returns the addressed register's bytes, over again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordPointer {
    /// The register the pointer addresses.
    pub register: u8,
    index: usize,
}

impl WordPointer {
    /// A START: the next byte is the first of the phase.
    pub fn start(&mut self) {
        self.index = 0;
    }

    /// Whether no byte has moved since the START.
    pub fn at_start(&self) -> bool {
        self.index == 0
    }

    /// Written bytes: the pointer takes the first byte after a START (masked with
    /// `mask`); the rest come out as (register, position from 1, byte) for the model to
    /// store.
    pub fn write<'a>(
        &mut self,
        bytes: &'a [u8],
        mask: u8,
    ) -> impl Iterator<Item = (u8, usize, u8)> + 'a {
        let mut data = bytes;
        if self.index == 0 {
            if let Some((&p, rest)) = bytes.split_first() {
                self.register = p & mask;
                self.index = 1;
                data = rest;
            }
        }
        let (register, first) = (self.register, self.index);
        self.index += data.len();
        data.iter()
            .enumerate()
            .map(move |(k, &b)| (register, first + k, b))
    }

    /// Fill `buf` from the addressed register's value `bytes`, of which the first `len`
    /// repeat (an 8-bit register reads as its one byte over again).
    pub fn read(&mut self, buf: &mut [u8], bytes: [u8; 2], len: usize) {
        for b in buf.iter_mut() {
            *b = bytes[self.index % len];
            self.index += 1;
        }
    }
}
