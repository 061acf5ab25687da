//! NXP/TI PCA9554 (8-bit) and PCA9535 (16-bit) I2C GPIO expanders: input, output,
//! polarity inversion and configuration registers, per-pin helpers, and the INT line
//! (input change, cleared by reading the inputs) as an async event.
//!
//! Values are 16-bit with port 0 in the low byte; the PCA9554 uses the low byte only.
//! [`Pca95xx::directions`], [`Pca95xx::inputs`] and [`Pca95xx::outputs`] decode the
//! registers per pin ([`Directions`], [`Levels`]), the pins named as the datasheets name
//! them ([`Pin`]: IO0..IO7, or IO0_0..IO1_7).
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::pca95xx::Error<I::Error>> {
//! use udrv_drivers::pca95xx::Pca95xx;
//! let mut io = Pca95xx::pca9535(i2c, 0x20);
//! io.set_directions(0xFF00)?; // port 1 inputs, port 0 outputs
//! io.set_pin(3, true)?;
//! let inputs = io.read_inputs()?;
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
pub mod registers;
mod types;

pub use types::*;

use crate::i2c_regs::{read_u8, read_u8_async};
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

use registers::*;

/// Errors of the PCA95xx driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// Pin beyond the chip's 8 or 16.
    InvalidPin,
    /// Reading or waiting on the interrupt line failed (the line's error kind).
    InterruptLine(embedded_hal::digital::ErrorKind),
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "PCA95xx: I2C error: {b}"),
    Error::InvalidPin => f.write_str("PCA95xx: pin beyond the chip's 8 (PCA9554) or 16 (PCA9535)"),
    Error::InterruptLine(k) => write!(f, "PCA95xx: waiting on the interrupt line failed: {k}"),
});

/// The pins of a chip with `ports` ports, each with its bit of `bits`.
fn pins_of(bits: u16, ports: u8) -> impl Iterator<Item = (Pin, bool)> {
    (0..8 * ports).map(move |index| (Pin { index, ports }, bits & (1 << index) != 0))
}

/// A PCA9554 or PCA9535.
#[derive(Debug)]
pub struct Pca95xx<I2C> {
    i2c: I2C,
    address: u8,
    ports: u8,
    output: u16,
}

impl<I2C> Pca95xx<I2C> {
    /// A PCA9554 (0x20..=0x27; PCA9554A 0x38..=0x3F) with power-on outputs (all high).
    pub fn pca9554(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            ports: 1,
            output: 0x00FF,
        }
    }

    /// A PCA9535 (0x20..=0x27) with power-on outputs (all high).
    pub fn pca9535(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            ports: 2,
            output: 0xFFFF,
        }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// The number of pins (8 or 16).
    pub fn pins(&self) -> u8 {
        8 * self.ports
    }

    fn cmd(&self, function: u8) -> u8 {
        function * self.ports
    }

    fn pin<E>(&self, p: u8) -> Result<u16, Error<E>> {
        if p < self.pins() {
            Ok(1 << p)
        } else {
            Err(Error::InvalidPin)
        }
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Pca95xx<I2C>
    where
        I2C: I2c,
    {
        /// Write one register function (both ports of a PCA9535 in one transfer).
        #[asynch(write_reg_async)]
        pub fn write_reg(&mut self, function: u8, value: u16) -> Result<(), Error<I2C::Error>> {
            let [a, b] = value.to_le_bytes();
            let n = 1 + self.ports as usize;
            io!(self
                .i2c
                .write(self.address, &[self.cmd(function), a, b][..n]))?;
            Ok(())
        }

        /// Read one register function.
        #[asynch(read_reg_async)]
        pub fn read_reg(&mut self, function: u8) -> Result<u16, Error<I2C::Error>> {
            let mut v = [0; 2];
            let n = self.ports as usize;
            io!(self
                .i2c
                .write_read(self.address, &[self.cmd(function)], &mut v[..n]))?;
            Ok(u16::from_le_bytes(v))
        }

        /// Read the pin levels (with polarity inversion applied); clears the interrupt.
        #[asynch(read_inputs_async)]
        pub fn read_inputs(&mut self) -> Result<u16, Error<I2C::Error>> {
            call!(self.read_reg / read_reg_async(INPUT))
        }

        /// The pins' directions (the configuration register, read).
        #[asynch(directions_async)]
        pub fn directions(&mut self) -> Result<Directions, Error<I2C::Error>> {
            Ok(Directions {
                bits: call!(self.read_reg / read_reg_async(CONFIG))?,
                ports: self.ports,
            })
        }

        /// The pins' levels (the input register, read: polarity inversion applied; clears
        /// the interrupt).
        #[asynch(inputs_async)]
        pub fn inputs(&mut self) -> Result<Levels, Error<I2C::Error>> {
            Ok(Levels {
                bits: call!(self.read_reg / read_reg_async(INPUT))?,
                ports: self.ports,
            })
        }

        /// The output latches (the output register, read: what the pins configured as
        /// outputs drive).
        #[asynch(outputs_async)]
        pub fn outputs(&mut self) -> Result<Levels, Error<I2C::Error>> {
            Ok(Levels {
                bits: call!(self.read_reg / read_reg_async(OUTPUT))?,
                ports: self.ports,
            })
        }

        /// Write the output latches.
        #[asynch(write_outputs_async)]
        pub fn write_outputs(&mut self, value: u16) -> Result<(), Error<I2C::Error>> {
            call!(self.write_reg / write_reg_async(OUTPUT, value))?;
            self.output = value;
            Ok(())
        }

        /// Set one output, keeping the others as last written.
        #[asynch(set_pin_async)]
        pub fn set_pin(&mut self, p: u8, high: bool) -> Result<(), Error<I2C::Error>> {
            let m = self.pin(p)?;
            let v = if high {
                self.output | m
            } else {
                self.output & !m
            };
            call!(self.write_reg / write_reg_async(OUTPUT, v))?;
            self.output = v;
            Ok(())
        }

        /// Set the directions: bit set = input (power-on: all inputs).
        #[asynch(set_directions_async)]
        pub fn set_directions(&mut self, inputs: u16) -> Result<(), Error<I2C::Error>> {
            call!(self.write_reg / write_reg_async(CONFIG, inputs))
        }

        /// Invert the reading of the chosen pins.
        #[asynch(set_polarity_async)]
        pub fn set_polarity(&mut self, inverted: u16) -> Result<(), Error<I2C::Error>> {
            call!(self.write_reg / write_reg_async(POLARITY, inverted))
        }

        /// Read one pin's level.
        #[asynch(is_high_async)]
        pub fn is_high(&mut self, p: u8) -> Result<bool, Error<I2C::Error>> {
            let m = self.pin(p)?;
            let reg = self.cmd(INPUT) + p / 8;
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, reg))?;
            Ok((u16::from(b) << (8 * (p / 8))) & m != 0)
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Pca95xx<I2C>
    where
        I2C: I2c,
    {
        /// Wait for the INT line (open drain, active low) and read the inputs, which clears
        /// it: an input change arrives as an async event. The blocking method polls the line
        /// in a busy loop (an `InputPin` cannot wait).
        #[asynch(next_change_async, P: embedded_hal_async::digital::Wait)]
        pub fn next_change<P>(&mut self, int_line: &mut P) -> Result<u16, Error<I2C::Error>>
        where
            P: embedded_hal::digital::InputPin,
        {
            call!(crate::dual::wait_low / wait_low_async(int_line))
                .map_err(Error::InterruptLine)?;
            call!(self.read_inputs / read_inputs_async())
        }
    }
});
