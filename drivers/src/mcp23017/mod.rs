//! Microchip MCP23017 16-bit I2C I/O expander: IOCON (both register banks, MIRROR,
//! SEQOP, ODR, INTPOL), direction, pull-ups, input polarity, outputs, interrupt on change
//! or against DEFVAL, INTF / INTCAP reading, and an async "next interrupt" that waits for
//! an edge on the GPIO line wired to INTA/INTB and then reads which pins fired.
//!
//! Pins are numbered 0..16: GPA0..GPA7 are 0..7, GPB0..GPB7 are 8..15; 16-bit values put
//! port A in the low byte.
//!
//! ```no_run
//! # async fn demo<I, P>(i2c: I, mut int_line: P) -> Result<(), udrv_drivers::mcp23017::Error<I::Error>>
//! # where I: embedded_hal_async::i2c::I2c, P: embedded_hal_async::digital::Wait {
//! use udrv_drivers::mcp23017::{Iocon, Mcp23017};
//! let mut io = Mcp23017::new(i2c, 0x20);
//! io.set_iocon_async(Iocon { mirror: true, ..Iocon::default() }).await?;
//! io.set_pullups_async(0xFFFF).await?;          // buttons to ground
//! io.set_interrupts_async(0xFFFF, 0, 0).await?; // on change, every pin
//! loop {
//!     let ev = io.next_interrupt_async(&mut int_line).await?;
//!     println!("pins {:016b} changed, port was {:016b}", ev.flags, ev.captured);
//! }
//! # }
//! ```

#[cfg(feature = "sim")]
pub mod model;

use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

pub mod registers;
use registers::{address, Reg};

/// Errors of the MCP23017 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// Pin not in 0..16.
    InvalidPin,
    /// Reading or waiting on the interrupt line failed (the line's error kind).
    InterruptLine(embedded_hal::digital::ErrorKind),
}

impl_error!(Error, |f, e| match e {
    Error::Bus(b) => write!(f, "MCP23017: I2C error: {b:?}"),
    Error::InvalidPin => f.write_str("MCP23017: pins are 0..16 (GPA0..GPA7, GPB0..GPB7)"),
    Error::InterruptLine(k) => write!(f, "MCP23017: waiting on the interrupt line failed: {k}"),
});

impl<E> From<E> for Error<E> {
    fn from(e: E) -> Self {
        Error::Bus(e)
    }
}

/// The IOCON configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Iocon {
    /// Register bank 1 (ports separated) instead of 0 (interleaved, power-on).
    pub bank1: bool,
    /// INTA and INTB both report either port.
    pub mirror: bool,
    /// Disable address auto-increment.
    pub no_sequential: bool,
    /// Disable SDA slew rate control.
    pub no_slew: bool,
    /// INT pins open drain (overrides `int_active_high`).
    pub int_open_drain: bool,
    /// INT pins active high (push-pull).
    pub int_active_high: bool,
}

impl Iocon {
    /// The register value.
    pub fn bits(&self) -> u8 {
        use registers::*;
        let mut v = 0;
        for (on, bit) in [
            (self.bank1, BANK),
            (self.mirror, MIRROR),
            (self.no_sequential, SEQOP),
            (self.no_slew, DISSLW),
            (self.int_open_drain, ODR),
            (self.int_active_high, INTPOL),
        ] {
            if on {
                v |= bit;
            }
        }
        v
    }
}

/// What an interrupt reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterruptEvent {
    /// INTF: the pin(s) that caused it.
    pub flags: u16,
    /// INTCAP: the port values captured when it happened.
    pub captured: u16,
}

/// An MCP23017.
#[derive(Debug)]
pub struct Mcp23017<I2C> {
    i2c: I2C,
    address: u8,
    bank1: bool,
    sequential: bool,
    olat: u16,
}

impl<I2C> Mcp23017<I2C> {
    /// A driver for the chip at `address` (0x20..=0x27), assuming the power-on IOCON
    /// (bank 0, sequential) and outputs latched low.
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            bank1: false,
            sequential: true,
            olat: 0,
        }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    fn a(&self, r: Reg, port: u8) -> u8 {
        address(self.bank1, r, port)
    }

    /// Whether both ports can go in one transfer (bank 0, sequential).
    fn paired(&self) -> bool {
        !self.bank1 && self.sequential
    }
}

fn pin<E>(p: u8) -> Result<u16, Error<E>> {
    if p < 16 {
        Ok(1 << p)
    } else {
        Err(Error::InvalidPin)
    }
}

dual_impl! {
    impl[I2C] Mcp23017<I2C> {
        blocking: [I2C: I2c],
        asynch: [I2C: AsyncI2c],
    }

    /// Write a register of one port (0 = A, 1 = B).
    pub fn write_register / write_register_async [&mut self] (reg: Reg, port: u8, value: u8) -> Result<(), Error<I2C::Error>> {
        io!(self.i2c.write(self.address, &[self.a(reg, port), value]))?;
        Ok(())
    }

    /// Read a register of one port.
    pub fn read_register / read_register_async [&mut self] (reg: Reg, port: u8) -> Result<u8, Error<I2C::Error>> {
        let mut b = [0];
        io!(self.i2c.write_read(self.address, &[self.a(reg, port)], &mut b))?;
        Ok(b[0])
    }

    /// Write a register pair (A in the low byte): one sequential write in bank 0,
    /// two writes otherwise.
    pub fn write_pair / write_pair_async [&mut self] (reg: Reg, value: u16) -> Result<(), Error<I2C::Error>> {
        let [a, b] = value.to_le_bytes();
        if self.paired() {
            io!(self.i2c.write(self.address, &[self.a(reg, 0), a, b]))?;
        } else {
            io!(self.i2c.write(self.address, &[self.a(reg, 0), a]))?;
            io!(self.i2c.write(self.address, &[self.a(reg, 1), b]))?;
        }
        Ok(())
    }

    /// Read a register pair (A in the low byte).
    pub fn read_pair / read_pair_async [&mut self] (reg: Reg) -> Result<u16, Error<I2C::Error>> {
        let mut v = [0; 2];
        if self.paired() {
            io!(self.i2c.write_read(self.address, &[self.a(reg, 0)], &mut v))?;
        } else {
            io!(self.i2c.write_read(self.address, &[self.a(reg, 0)], &mut v[..1]))?;
            io!(self.i2c.write_read(self.address, &[self.a(reg, 1)], &mut v[1..]))?;
        }
        Ok(u16::from_le_bytes(v))
    }

    /// Write IOCON (switching the bank changes every register address: the driver
    /// follows).
    pub fn set_iocon / set_iocon_async [&mut self] (iocon: Iocon) -> Result<(), Error<I2C::Error>> {
        io!(self.i2c.write(self.address, &[self.a(Reg::Iocon, 0), iocon.bits()]))?;
        self.bank1 = iocon.bank1;
        self.sequential = !iocon.no_sequential;
        Ok(())
    }

    /// Set the directions: bit set = input (IODIR; power-on all inputs).
    pub fn set_directions / set_directions_async [&mut self] (inputs: u16) -> Result<(), Error<I2C::Error>> {
        let [a, b] = inputs.to_le_bytes();
        if self.paired() {
            io!(self.i2c.write(self.address, &[self.a(Reg::Iodir, 0), a, b]))?;
        } else {
            io!(self.i2c.write(self.address, &[self.a(Reg::Iodir, 0), a]))?;
            io!(self.i2c.write(self.address, &[self.a(Reg::Iodir, 1), b]))?;
        }
        Ok(())
    }

    /// Enable the 100 kΩ pull-ups (GPPU).
    pub fn set_pullups / set_pullups_async [&mut self] (mask: u16) -> Result<(), Error<I2C::Error>> {
        let [a, b] = mask.to_le_bytes();
        if self.paired() {
            io!(self.i2c.write(self.address, &[self.a(Reg::Gppu, 0), a, b]))?;
        } else {
            io!(self.i2c.write(self.address, &[self.a(Reg::Gppu, 0), a]))?;
            io!(self.i2c.write(self.address, &[self.a(Reg::Gppu, 1), b]))?;
        }
        Ok(())
    }

    /// Invert the reading of input pins (IPOL).
    pub fn set_polarity / set_polarity_async [&mut self] (inverted: u16) -> Result<(), Error<I2C::Error>> {
        let [a, b] = inverted.to_le_bytes();
        if self.paired() {
            io!(self.i2c.write(self.address, &[self.a(Reg::Ipol, 0), a, b]))?;
        } else {
            io!(self.i2c.write(self.address, &[self.a(Reg::Ipol, 0), a]))?;
            io!(self.i2c.write(self.address, &[self.a(Reg::Ipol, 1), b]))?;
        }
        Ok(())
    }

    /// Read both ports (GPIO; clears a pending interrupt of each port read).
    pub fn read_gpio / read_gpio_async [&mut self] () -> Result<u16, Error<I2C::Error>> {
        let mut v = [0; 2];
        if self.paired() {
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Gpio, 0)], &mut v))?;
        } else {
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Gpio, 0)], &mut v[..1]))?;
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Gpio, 1)], &mut v[1..]))?;
        }
        Ok(u16::from_le_bytes(v))
    }

    /// Write both output latches (OLAT, through GPIO writes).
    pub fn write_gpio / write_gpio_async [&mut self] (value: u16) -> Result<(), Error<I2C::Error>> {
        let [a, b] = value.to_le_bytes();
        if self.paired() {
            io!(self.i2c.write(self.address, &[self.a(Reg::Olat, 0), a, b]))?;
        } else {
            io!(self.i2c.write(self.address, &[self.a(Reg::Olat, 0), a]))?;
            io!(self.i2c.write(self.address, &[self.a(Reg::Olat, 1), b]))?;
        }
        self.olat = value;
        Ok(())
    }

    /// Set one output pin, keeping the others as last written.
    pub fn set_pin / set_pin_async [&mut self] (p: u8, high: bool) -> Result<(), Error<I2C::Error>> {
        let m = pin(p)?;
        let v = if high { self.olat | m } else { self.olat & !m };
        let port = p / 8;
        let byte = v.to_le_bytes()[port as usize];
        io!(self.i2c.write(self.address, &[self.a(Reg::Olat, port), byte]))?;
        self.olat = v;
        Ok(())
    }

    /// Read one pin's level (through GPIO, with IPOL applied; this clears a pending
    /// interrupt of that port, like any GPIO read).
    pub fn is_high / is_high_async [&mut self] (p: u8) -> Result<bool, Error<I2C::Error>> {
        let m = pin(p)?;
        let mut b = [0];
        io!(self.i2c.write_read(self.address, &[self.a(Reg::Gpio, p / 8)], &mut b))?;
        Ok(u16::from(b[0]) << (8 * (p / 8)) & m != 0)
    }

    /// Configure interrupts: `enable` (GPINTEN), `compare` (INTCON: set = against
    /// `defval`, clear = on any change), `defval` (DEFVAL).
    pub fn set_interrupts / set_interrupts_async [&mut self] (enable: u16, compare: u16, defval: u16) -> Result<(), Error<I2C::Error>> {
        for (reg, v) in [(Reg::Defval, defval), (Reg::Intcon, compare), (Reg::Gpinten, enable)] {
            let [a, b] = v.to_le_bytes();
            if self.paired() {
                io!(self.i2c.write(self.address, &[self.a(reg, 0), a, b]))?;
            } else {
                io!(self.i2c.write(self.address, &[self.a(reg, 0), a]))?;
                io!(self.i2c.write(self.address, &[self.a(reg, 1), b]))?;
            }
        }
        Ok(())
    }

    /// Read INTF (which pins caused the pending interrupts).
    pub fn interrupt_flags / interrupt_flags_async [&mut self] () -> Result<u16, Error<I2C::Error>> {
        let mut v = [0; 2];
        if self.paired() {
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Intf, 0)], &mut v))?;
        } else {
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Intf, 0)], &mut v[..1]))?;
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Intf, 1)], &mut v[1..]))?;
        }
        Ok(u16::from_le_bytes(v))
    }

    /// Read INTF then INTCAP (which clears the interrupts).
    pub fn take_interrupt / take_interrupt_async [&mut self] () -> Result<InterruptEvent, Error<I2C::Error>> {
        let (mut f, mut c) = ([0; 2], [0; 2]);
        if self.paired() {
            // INTFA, INTFB, INTCAPA, INTCAPB are consecutive in bank 0.
            let mut all = [0; 4];
            io!(self.i2c.write_read(self.address, &[self.a(Reg::Intf, 0)], &mut all))?;
            f.copy_from_slice(&all[..2]);
            c.copy_from_slice(&all[2..]);
        } else {
            for port in 0..2u8 {
                let p = port as usize;
                io!(self.i2c.write_read(self.address, &[self.a(Reg::Intf, port)], &mut f[p..p + 1]))?;
                io!(self.i2c.write_read(self.address, &[self.a(Reg::Intcap, port)], &mut c[p..p + 1]))?;
            }
        }
        Ok(InterruptEvent {
            flags: u16::from_le_bytes(f),
            captured: u16::from_le_bytes(c),
        })
    }
}

impl<I2C: I2c> Mcp23017<I2C> {
    /// Block until `int_line` (an input wired to INTA/INTB, active low by default) is
    /// low, then read and clear the interrupt. This polls the line in a busy loop: prefer
    /// [`next_interrupt_async`](Self::next_interrupt_async) with a line that can wait.
    pub fn next_interrupt<P: embedded_hal::digital::InputPin>(
        &mut self,
        int_line: &mut P,
    ) -> Result<InterruptEvent, Error<I2C::Error>> {
        while int_line
            .is_high()
            .map_err(|e| Error::InterruptLine(embedded_hal::digital::Error::kind(&e)))?
        {
            core::hint::spin_loop();
        }
        self.take_interrupt()
    }
}

impl<I2C: AsyncI2c> Mcp23017<I2C> {
    /// Wait for `int_line` (wired to INTA/INTB, active low by default) to be low, then
    /// read and clear the interrupt: a pin change arrives as an async event.
    pub async fn next_interrupt_async<P: embedded_hal_async::digital::Wait>(
        &mut self,
        int_line: &mut P,
    ) -> Result<InterruptEvent, Error<I2C::Error>> {
        int_line
            .wait_for_low()
            .await
            .map_err(|e| Error::InterruptLine(embedded_hal::digital::Error::kind(&e)))?;
        self.take_interrupt_async().await
    }
}
