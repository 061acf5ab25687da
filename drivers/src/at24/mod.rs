//! AT24Cxx / 24xx I2C EEPROMs of any size and page size: 1 or 2 memory address bytes,
//! high address bits in the device address (24C04/08/16, 24CM01), page-split writes with
//! acknowledge polling, reads split at device-address blocks.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::at24::Error<I::Error>> {
//! use udrv_drivers::at24::{At24, Variant};
//! let mut eeprom = At24::new(i2c, 0x50, Variant::AT24C64);
//! eeprom.write(0x0ffe, b"hello")?; // crosses a 32-byte page: two page writes
//! let mut buf = [0; 5];
//! eeprom.read(0x0ffe, &mut buf)?;
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

use embedded_hal::i2c::{Error as _, ErrorKind, I2c, NoAcknowledgeSource, Operation};
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// Errors of the AT24 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// The access goes past the end of the memory.
    OutOfRange,
    /// A write ([`At24::write`], [`At24::write_byte`]) stopped part-way, after bytes may
    /// have reached the memory: `data[..written]` are written (each page's write cycle
    /// ended), the `uncertain` bytes from memory address `at` (= `mem + written`) may or
    /// may not hold the new data (a page write was sent, or partly sent, and then the bus
    /// failed or the write cycle did not end), and the rest of `data` was not sent. Read
    /// back or rewrite from `at`. A failure before anything could be written (the page
    /// write's device address not acknowledged, so the chip took nothing) is
    /// [`Error::Bus`] instead.
    Incomplete {
        /// Memory address of the first byte not known to be written.
        at: u32,
        /// Bytes from the start of the write that are written.
        written: u32,
        /// Bytes from `at` that may or may not have been written.
        uncertain: u32,
        /// The bus error; `None` when the chip kept NACKing acknowledge polls past the
        /// configured maximum (the write cycle did not end: check WP, raise
        /// [`At24::with_max_polls`]).
        error: Option<E>,
    },
}

impl_error!(
    Error + From,
    |f, e| {
        match e {
            Error::Bus(b) => write!(f, "AT24: I2C error: {b}"),
            Error::OutOfRange => f.write_str(
                "AT24: the access goes past the end of the memory: check the \
                variant (size)",
            ),
            Error::Incomplete {
                at,
                written,
                uncertain,
                error,
            } => {
                write!(f, "AT24: write incomplete: {written} byte(s) written; ")?;
                if *uncertain > 0 {
                    write!(
                        f,
                        "{uncertain} byte(s) at 0x{at:04x}..0x{:04x} may or may not have \
                        been written; ",
                        at + uncertain
                    )?;
                }
                match error {
                    Some(b) => write!(f, "I2C error: {b}"),
                    None => f.write_str(
                        "the write cycle did not end (the chip kept NACKing acknowledge \
                        polls): check WP and raise with_max_polls",
                    ),
                }
            }
        }
    },
    |s| match s {
        Error::Bus(b) | Error::Incomplete { error: Some(b), .. } => Some(b),
        _ => None,
    }
);

/// An AT24Cxx EEPROM.
#[derive(Debug)]
pub struct At24<I2C> {
    i2c: I2C,
    address: u8,
    variant: Variant,
    max_polls: u32,
}

impl<I2C> At24<I2C> {
    /// A driver for the EEPROM with base `address` (0x50 | A2..A0 pins).
    pub fn new(i2c: I2C, address: u8, variant: Variant) -> Self {
        Self {
            i2c,
            address,
            variant,
            max_polls: 10_000,
        }
    }

    /// How many acknowledge polls (zero-length writes) to try after a page write before
    /// giving up with [`Error::Incomplete`] (`error: None`; default 10 000; at 100 kHz each poll
    /// takes about 0.1 ms, and the datasheet's write cycle is at most 5 ms).
    pub fn with_max_polls(mut self, polls: u32) -> Self {
        self.max_polls = polls;
        self
    }

    /// The geometry.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    fn check<E>(&self, mem: u32, len: usize) -> Result<(), Error<E>> {
        if mem as u64 + len as u64 > self.variant.size as u64 {
            return Err(Error::OutOfRange);
        }
        Ok(())
    }
}

fn is_nack(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::NoAcknowledge(_))
}

/// Whether a failed page write can have stored nothing: an AT24 acknowledges every data
/// byte of a page write and refuses a write only by not acknowledging its device address
/// (busy in a write cycle, or absent). Adapters that cannot tell which byte was NACKed
/// (`EREMOTEIO`, `NoAcknowledge(Unknown)`, e.g. the BCM2835) are taken at that word; a
/// data NACK, or any other failure, may have come after bytes were stored.
fn nothing_stored(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address | NoAcknowledgeSource::Unknown)
    )
}

/// The error for a page write of `n` bytes at `mem + written` that failed with `e`.
fn page_write_failed<E: embedded_hal::i2c::Error>(
    mem: u32,
    written: u32,
    n: u32,
    e: E,
) -> Error<E> {
    if written == 0 && nothing_stored(e.kind()) {
        return Error::Bus(e);
    }
    let uncertain = if nothing_stored(e.kind()) { 0 } else { n };
    Error::Incomplete {
        at: mem + written,
        written,
        uncertain,
        error: Some(e),
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> At24<I2C>
    where
        I2C: I2c,
    {
        /// Read `buf.len()` bytes from `mem` (random read, then sequential read).
        #[asynch(read_async)]
        pub fn read(&mut self, mem: u32, buf: &mut [u8]) -> Result<(), Error<I2C::Error>> {
            self.check(mem, buf.len())?;
            let block = self.variant.block_size();
            let mut done = 0;
            while done < buf.len() {
                let at = mem + done as u32;
                let n = ((block - at % block) as usize).min(buf.len() - done);
                let (dev, a, alen) = self.variant.addressing(self.address, at);
                io!(self
                    .i2c
                    .write_read(dev, &a[..alen], &mut buf[done..done + n]))?;
                done += n;
            }
            Ok(())
        }

        /// Read from the chip's current address counter (current address read).
        #[asynch(read_current_async)]
        pub fn read_current(&mut self, buf: &mut [u8]) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.read(self.address, buf))?;
            Ok(())
        }

        /// Write `data` at `mem`: one page write per page touched, each followed by
        /// acknowledge polling until the write cycle ends.
        #[asynch(write_async)]
        pub fn write(&mut self, mem: u32, data: &[u8]) -> Result<(), Error<I2C::Error>> {
            self.check(mem, data.len())?;
            let mut done = 0;
            while done < data.len() {
                let at = mem + done as u32;
                let n = self.variant.page_chunk(at, data.len() - done);
                let (dev, a, alen) = self.variant.addressing(self.address, at);
                let (written, len) = (done as u32, n as u32);
                if let Err(e) = io!(self.i2c.transaction(
                    dev,
                    &mut [
                        Operation::Write(&a[..alen]),
                        Operation::Write(&data[done..done + n])
                    ]
                )) {
                    return Err(page_write_failed(mem, written, len, e));
                }
                // The page is sent: until a poll is acknowledged it may or may not be stored.
                let incomplete = |error| Error::Incomplete {
                    at,
                    written,
                    uncertain: len,
                    error,
                };
                let mut polls = 0;
                loop {
                    match io!(self.i2c.write(dev, &[])) {
                        Ok(()) => break,
                        Err(e) if is_nack(e.kind()) => {
                            polls += 1;
                            if polls >= self.max_polls {
                                return Err(incomplete(None));
                            }
                        }
                        Err(e) => return Err(incomplete(Some(e))),
                    }
                }
                done += n;
            }
            Ok(())
        }

        /// Write one byte.
        #[asynch(write_byte_async)]
        pub fn write_byte(&mut self, mem: u32, value: u8) -> Result<(), Error<I2C::Error>> {
            self.check(mem, 1)?;
            let (dev, a, alen) = self.variant.addressing(self.address, mem);
            let mut buf = [0; 3];
            buf[..alen].copy_from_slice(&a[..alen]);
            buf[alen] = value;
            if let Err(e) = io!(self.i2c.write(dev, &buf[..=alen])) {
                return Err(page_write_failed(mem, 0, 1, e));
            }
            let incomplete = |error| Error::Incomplete {
                at: mem,
                written: 0,
                uncertain: 1,
                error,
            };
            let mut polls = 0;
            loop {
                match io!(self.i2c.write(dev, &[])) {
                    Ok(()) => return Ok(()),
                    Err(e) if is_nack(e.kind()) => {
                        polls += 1;
                        if polls >= self.max_polls {
                            return Err(incomplete(None));
                        }
                    }
                    Err(e) => return Err(incomplete(Some(e))),
                }
            }
        }

        /// Read one byte.
        #[asynch(read_byte_async)]
        pub fn read_byte(&mut self, mem: u32) -> Result<u8, Error<I2C::Error>> {
            self.check(mem, 1)?;
            let (dev, a, alen) = self.variant.addressing(self.address, mem);
            let mut b = [0];
            io!(self.i2c.write_read(dev, &a[..alen], &mut b))?;
            Ok(b[0])
        }
    }
});
