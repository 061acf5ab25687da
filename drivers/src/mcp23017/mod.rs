//! Microchip MCP23017 16-bit I2C I/O expander: IOCON (both register banks, MIRROR,
//! SEQOP, ODR, INTPOL), direction, pull-ups, input polarity, outputs, interrupt on change
//! or against DEFVAL, INTF / INTCAP reading, and an async "next interrupt" that waits for
//! an edge on the GPIO line wired to INTA/INTB and then reads which pins fired.
//!
//! Pins are numbered 0..16: GPA0..GPA7 are 0..7, GPB0..GPB7 are 8..15; 16-bit values put
//! port A in the low byte.
//!
//! The logic is [`Mcp23x17`], generic over how a register transfer reaches the chip
//! ([`Registers`] / [`AsyncRegisters`]): [`Mcp23017`] is it over I2C
//! ([`I2cRegisters`]), [`Mcp23s17`](crate::mcp23s17::Mcp23s17) over SPI.
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
pub mod registers;
mod types;

pub use types::*;

use embedded_hal::i2c::{ErrorType, I2c, Operation};
use embedded_hal_async::i2c::I2c as AsyncI2c;

use registers::{address, Reg};

/// Errors of the MCP23017 and MCP23S17 drivers.
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

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "MCP23x17: bus error: {b}"),
    Error::InvalidPin => f.write_str("MCP23x17: pins are 0..16 (GPA0..GPA7, GPB0..GPB7)"),
    Error::InterruptLine(k) => write!(f, "MCP23x17: waiting on the interrupt line failed: {k}"),
});

/// What a transport of MCP23x17 register transfers has whether blocking or async.
pub trait RegisterBus {
    /// The bus error.
    type Error;
    /// IOCON was just written with `iocon` (the MCP23S17's transport follows HAEN).
    fn iocon_written(&mut self, iocon: u8) {
        let _ = iocon;
    }
}

/// Blocking register transfers of an MCP23x17: the chip's address pointer set to `reg`,
/// then bytes written or read from there (the pointer moves as IOCON says).
pub trait Registers: RegisterBus {
    /// Write `data` from register address `reg` on.
    fn write_regs(&mut self, reg: u8, data: &[u8]) -> Result<(), Self::Error>;
    /// Read `buf.len()` bytes from register address `reg` on.
    fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error>;
}

/// Async register transfers of an MCP23x17, as [`Registers`].
#[allow(async_fn_in_trait)]
pub trait AsyncRegisters: RegisterBus {
    /// Write `data` from register address `reg` on.
    async fn write_regs(&mut self, reg: u8, data: &[u8]) -> Result<(), Self::Error>;
    /// Read `buf.len()` bytes from register address `reg` on.
    async fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error>;
}

/// The MCP23017's transport: an I2C device address; a write is the register address then
/// the data in one write, a read a write of the register address and a read.
#[derive(Debug)]
pub struct I2cRegisters<I2C> {
    i2c: I2C,
    address: u8,
}

/// The register address and the data in one buffer (the register file is 22 bytes long;
/// `None` for a longer write).
fn i2c_frame(reg: u8, data: &[u8]) -> Option<([u8; 23], usize)> {
    let mut b = [0; 23];
    let n = data.len() + 1;
    b.get_mut(1..n)?.copy_from_slice(data);
    b[0] = reg;
    Some((b, n))
}

impl<I2C: ErrorType> RegisterBus for I2cRegisters<I2C> {
    type Error = I2C::Error;
}

dual_impl!({
    #[asynch(impl AsyncRegisters, I2C: AsyncI2c)]
    impl<I2C> Registers for I2cRegisters<I2C>
    where
        I2C: I2c,
    {
        fn write_regs(&mut self, reg: u8, data: &[u8]) -> Result<(), Self::Error> {
            match i2c_frame(reg, data) {
                Some((b, n)) => io!(self.i2c.write(self.address, &b[..n])),
                None => {
                    let reg = [reg];
                    let ops = &mut [Operation::Write(&reg), Operation::Write(data)];
                    io!(self.i2c.transaction(self.address, ops))
                }
            }
        }
        fn read_regs(&mut self, reg: u8, buf: &mut [u8]) -> Result<(), Self::Error> {
            io!(self.i2c.write_read(self.address, &[reg], buf))
        }
    }
});

/// An MCP23x17 behind any register transport: the logic of [`Mcp23017`] and
/// [`Mcp23s17`](crate::mcp23s17::Mcp23s17).
#[derive(Debug)]
pub struct Mcp23x17<R> {
    regs: R,
    bank1: bool,
    sequential: bool,
    olat: u16,
}

/// An MCP23017 (over I2C).
pub type Mcp23017<I2C> = Mcp23x17<I2cRegisters<I2C>>;

impl<R> Mcp23x17<R> {
    /// A driver over `regs`, assuming the power-on IOCON (bank 0, sequential) and
    /// outputs latched low.
    pub fn with_registers(regs: R) -> Self {
        Self {
            regs,
            bank1: false,
            sequential: true,
            olat: 0,
        }
    }

    /// Give the transport back.
    pub fn into_registers(self) -> R {
        self.regs
    }

    /// The transport.
    pub fn registers(&self) -> &R {
        &self.regs
    }

    /// The transport, to change.
    pub fn registers_mut(&mut self) -> &mut R {
        &mut self.regs
    }

    fn a(&self, r: Reg, port: u8) -> u8 {
        address(self.bank1, r, port)
    }

    /// Whether both ports can go in one transfer (bank 0, sequential).
    fn paired(&self) -> bool {
        !self.bank1 && self.sequential
    }
}

impl<I2C> Mcp23x17<I2cRegisters<I2C>> {
    /// A driver for the chip at `address` (0x20..=0x27), assuming the power-on IOCON
    /// (bank 0, sequential) and outputs latched low.
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self::with_registers(I2cRegisters { i2c, address })
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.regs.i2c
    }
}

fn pin<E>(p: u8) -> Result<u16, Error<E>> {
    if p < 16 {
        Ok(1 << p)
    } else {
        Err(Error::InvalidPin)
    }
}

dual_impl!({
    #[asynch(R: AsyncRegisters)]
    impl<R> Mcp23x17<R>
    where
        R: Registers,
    {
        /// Write a register of one port (0 = A, 1 = B).
        #[asynch(write_register_async)]
        pub fn write_register(
            &mut self,
            reg: Reg,
            port: u8,
            value: u8,
        ) -> Result<(), Error<R::Error>> {
            io!(self.regs.write_regs(self.a(reg, port), &[value]))?;
            Ok(())
        }

        /// Read a register of one port.
        #[asynch(read_register_async)]
        pub fn read_register(&mut self, reg: Reg, port: u8) -> Result<u8, Error<R::Error>> {
            let mut b = [0];
            io!(self.regs.read_regs(self.a(reg, port), &mut b))?;
            Ok(b[0])
        }

        /// Write a register pair (A in the low byte): one sequential write in bank 0,
        /// two writes otherwise.
        #[asynch(write_pair_async)]
        pub fn write_pair(&mut self, reg: Reg, value: u16) -> Result<(), Error<R::Error>> {
            let v = value.to_le_bytes();
            if self.paired() {
                io!(self.regs.write_regs(self.a(reg, 0), &v))?;
            } else {
                io!(self.regs.write_regs(self.a(reg, 0), &v[..1]))?;
                io!(self.regs.write_regs(self.a(reg, 1), &v[1..]))?;
            }
            Ok(())
        }

        /// Read a register pair (A in the low byte).
        #[asynch(read_pair_async)]
        pub fn read_pair(&mut self, reg: Reg) -> Result<u16, Error<R::Error>> {
            let mut v = [0; 2];
            if self.paired() {
                io!(self.regs.read_regs(self.a(reg, 0), &mut v))?;
            } else {
                io!(self.regs.read_regs(self.a(reg, 0), &mut v[..1]))?;
                io!(self.regs.read_regs(self.a(reg, 1), &mut v[1..]))?;
            }
            Ok(u16::from_le_bytes(v))
        }

        /// Write IOCON (switching the bank changes every register address, and the
        /// MCP23S17's HAEN its opcode: the driver follows).
        #[asynch(set_iocon_async)]
        pub fn set_iocon(&mut self, iocon: Iocon) -> Result<(), Error<R::Error>> {
            let bits = iocon.bits();
            io!(self.regs.write_regs(self.a(Reg::Iocon, 0), &[bits]))?;
            self.bank1 = iocon.bank1;
            self.sequential = !iocon.no_sequential;
            self.regs.iocon_written(bits);
            Ok(())
        }

        /// Set the directions: bit set = input (IODIR; power-on all inputs).
        #[asynch(set_directions_async)]
        pub fn set_directions(&mut self, inputs: u16) -> Result<(), Error<R::Error>> {
            call!(self.write_pair / write_pair_async(Reg::Iodir, inputs))
        }

        /// Enable the 100 kΩ pull-ups (GPPU).
        #[asynch(set_pullups_async)]
        pub fn set_pullups(&mut self, mask: u16) -> Result<(), Error<R::Error>> {
            call!(self.write_pair / write_pair_async(Reg::Gppu, mask))
        }

        /// Invert the reading of input pins (IPOL).
        #[asynch(set_polarity_async)]
        pub fn set_polarity(&mut self, inverted: u16) -> Result<(), Error<R::Error>> {
            call!(self.write_pair / write_pair_async(Reg::Ipol, inverted))
        }

        /// Read both ports (GPIO; clears a pending interrupt of each port read).
        #[asynch(read_gpio_async)]
        pub fn read_gpio(&mut self) -> Result<u16, Error<R::Error>> {
            call!(self.read_pair / read_pair_async(Reg::Gpio))
        }

        /// Write both output latches (OLAT).
        #[asynch(write_gpio_async)]
        pub fn write_gpio(&mut self, value: u16) -> Result<(), Error<R::Error>> {
            call!(self.write_pair / write_pair_async(Reg::Olat, value))?;
            self.olat = value;
            Ok(())
        }

        /// Set one output pin, keeping the others as last written.
        #[asynch(set_pin_async)]
        pub fn set_pin(&mut self, p: u8, high: bool) -> Result<(), Error<R::Error>> {
            let m = pin(p)?;
            let v = if high { self.olat | m } else { self.olat & !m };
            let port = p / 8;
            let byte = v.to_le_bytes()[port as usize];
            io!(self.regs.write_regs(self.a(Reg::Olat, port), &[byte]))?;
            self.olat = v;
            Ok(())
        }

        /// Read one pin's level (through GPIO, with IPOL applied; this clears a pending
        /// interrupt of that port, like any GPIO read).
        #[asynch(is_high_async)]
        pub fn is_high(&mut self, p: u8) -> Result<bool, Error<R::Error>> {
            let m = pin(p)?;
            let mut b = [0];
            io!(self.regs.read_regs(self.a(Reg::Gpio, p / 8), &mut b))?;
            Ok(u16::from(b[0]) << (8 * (p / 8)) & m != 0)
        }

        /// Configure interrupts: `enable` (GPINTEN), `compare` (INTCON: set = against
        /// `defval`, clear = on any change), `defval` (DEFVAL).
        #[asynch(set_interrupts_async)]
        pub fn set_interrupts(
            &mut self,
            enable: u16,
            compare: u16,
            defval: u16,
        ) -> Result<(), Error<R::Error>> {
            for (reg, v) in [
                (Reg::Defval, defval),
                (Reg::Intcon, compare),
                (Reg::Gpinten, enable),
            ] {
                call!(self.write_pair / write_pair_async(reg, v))?;
            }
            Ok(())
        }

        /// Read INTF (which pins caused the pending interrupts).
        #[asynch(interrupt_flags_async)]
        pub fn interrupt_flags(&mut self) -> Result<u16, Error<R::Error>> {
            call!(self.read_pair / read_pair_async(Reg::Intf))
        }

        /// Read INTF then INTCAP (which clears the interrupts).
        #[asynch(take_interrupt_async)]
        pub fn take_interrupt(&mut self) -> Result<InterruptEvent, Error<R::Error>> {
            let (mut f, mut c) = ([0; 2], [0; 2]);
            if self.paired() {
                // INTFA, INTFB, INTCAPA, INTCAPB are consecutive in bank 0.
                let mut all = [0; 4];
                io!(self.regs.read_regs(self.a(Reg::Intf, 0), &mut all))?;
                f.copy_from_slice(&all[..2]);
                c.copy_from_slice(&all[2..]);
            } else {
                for port in 0..2u8 {
                    let p = port as usize;
                    io!(self
                        .regs
                        .read_regs(self.a(Reg::Intf, port), &mut f[p..p + 1]))?;
                    io!(self
                        .regs
                        .read_regs(self.a(Reg::Intcap, port), &mut c[p..p + 1]))?;
                }
            }
            Ok(InterruptEvent {
                flags: u16::from_le_bytes(f),
                captured: u16::from_le_bytes(c),
            })
        }
    }
});

dual_impl!({
    #[asynch(R: AsyncRegisters)]
    impl<R> Mcp23x17<R>
    where
        R: Registers,
    {
        /// Wait until `int_line` (an input wired to INTA/INTB, active low by default) is
        /// low, then read and clear the interrupt. The blocking method polls the line in a
        /// busy loop (an `InputPin` cannot wait): prefer
        /// [`next_interrupt_async`](Self::next_interrupt_async) with a line that can wait,
        /// where a pin change arrives as an async event.
        #[asynch(next_interrupt_async, P: embedded_hal_async::digital::Wait)]
        pub fn next_interrupt<P>(
            &mut self,
            int_line: &mut P,
        ) -> Result<InterruptEvent, Error<R::Error>>
        where
            P: embedded_hal::digital::InputPin,
        {
            call!(crate::dual::wait_low / wait_low_async(int_line))
                .map_err(Error::InterruptLine)?;
            call!(self.take_interrupt / take_interrupt_async())
        }
    }
});
