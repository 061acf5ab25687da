//! Maxim DS1307 / DS1338 real-time clocks over I2C: date and time (BCD, 12/24-hour,
//! years 2000..=2099), clock halt (CH), the SQW/OUT pin (square wave at 1 Hz, 4.096,
//! 8.192 or 32.768 kHz, or a fixed level), the 56 bytes of battery-backed RAM and, on the
//! DS1338, the oscillator-stop flag (OSF).
//!
//! Register map (DS1307 datasheet table 2 "Timekeeper Registers"; the DS1338 has the same
//! map and adds OSF in bit 5 of the control register): 00h seconds (bit 7 = CH), 01h
//! minutes, 02h hours (bit 6 = 12-hour mode, bit 5 = PM in 12-hour mode), 03h day of week
//! 1..7, 04h date, 05h month, 06h year 00..99, 07h control (OUT, OSF on the DS1338, SQWE, RS1:RS0),
//! 08h..3Fh RAM. The register pointer wraps from 3Fh to 00h.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::ds1307::Error<I::Error>> {
//! use udrv_drivers::ds1307::{DateTime, Ds1307, SquareWave, Variant};
//! let mut rtc = Ds1307::new(i2c, Variant::Ds1338);
//! if !rtc.is_running()? || rtc.oscillator_stopped()? {
//!     rtc.set_datetime(&DateTime::new(2026, 11, 22, 7, 12, 0, 0).unwrap())?; // starts it
//!     rtc.clear_oscillator_stopped()?;
//! }
//! rtc.set_square_wave(SquareWave::Hz1)?;
//! rtc.write_ram(0, b"boot count 1")?;
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod registers;
mod types;

pub use types::*;

use crate::i2c_regs::{
    modify_u8, modify_u8_async, read_regs, read_regs_async, read_u8, read_u8_async,
};
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

pub use crate::ds3231::DateTime;
use crate::ds3231::{bcd, decode_hour, from_bcd};

/// The fixed I2C address.
pub const ADDRESS: u8 = 0x68;
/// Bytes of battery-backed RAM (08h..=3Fh).
pub const RAM_SIZE: usize = 56;

use registers::*;

/// Errors of the DS1307/DS1338 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A date or time out of range (years 2000..=2099 only: the chip has no century).
    InvalidInput,
    /// The time registers hold no valid date (not BCD or out of range).
    InvalidRegister,
    /// A RAM access past the 56 bytes.
    OutOfRange,
    /// The feature needs the other chip (OSF is DS1338 only).
    Unsupported,
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "DS1307: I2C error: {b}"),
    Error::InvalidInput =>
        f.write_str("DS1307: a date or time field is out of range (years 2000..=2099)"),
    Error::InvalidRegister =>
        f.write_str("DS1307: the time registers hold no valid date (never set?): set the time"),
    Error::OutOfRange => f.write_str("DS1307: the RAM has 56 bytes (offsets 0..56)"),
    Error::Unsupported => f.write_str("DS1307: the oscillator-stop flag exists on the DS1338 only"),
});

/// The 7 time registers for `dt` (24-hour mode, CH = 0 so the clock runs); `None` for a
/// year outside 2000..=2099.
pub fn encode_datetime(dt: &DateTime) -> Option<[u8; 7]> {
    let dt = DateTime::new(
        dt.year, dt.month, dt.day, dt.weekday, dt.hour, dt.minute, dt.second,
    )?;
    if dt.year > 2099 {
        return None;
    }
    Some([
        bcd(dt.second),
        bcd(dt.minute),
        bcd(dt.hour),
        dt.weekday,
        bcd(dt.day),
        bcd(dt.month),
        bcd((dt.year - 2000) as u8),
    ])
}

/// Parse the 7 time registers (either hour mode; CH ignored).
pub fn decode_datetime(r: &[u8; 7]) -> Option<DateTime> {
    DateTime::new(
        2000 + u16::from(from_bcd(r[6])?),
        from_bcd(r[5] & 0x1F)?,
        from_bcd(r[4] & 0x3F)?,
        r[3] & 0x07,
        decode_hour(r[2] & 0x7F)?,
        from_bcd(r[1] & 0x7F)?,
        from_bcd(r[0] & !CH)?,
    )
}

/// A DS1307 or DS1338 at its fixed address 0x68.
#[derive(Debug)]
pub struct Ds1307<I2C> {
    i2c: I2C,
    variant: Variant,
}

impl<I2C> Ds1307<I2C> {
    /// A driver for the chip.
    pub fn new(i2c: I2C, variant: Variant) -> Self {
        Self { i2c, variant }
    }

    /// Which chip this driver was made for.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// The control bits to write so that OSF (DS1338) is left as it is: it can only be
    /// cleared, and writing 1 keeps it.
    fn keep_osf(&self) -> u8 {
        match self.variant {
            Variant::Ds1338 => OSF,
            Variant::Ds1307 => 0,
        }
    }

    fn ram_range<E>(offset: usize, len: usize) -> Result<u8, Error<E>> {
        if offset + len > RAM_SIZE {
            return Err(Error::OutOfRange);
        }
        Ok(RAM + offset as u8)
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Ds1307<I2C>
    where
        I2C: I2c,
    {
        /// Read the date and time: one burst read of 00h..06h (the chip copies the running
        /// time into its user buffer at the START, so the seven bytes are consistent).
        #[asynch(datetime_async)]
        pub fn datetime(&mut self) -> Result<DateTime, Error<I2C::Error>> {
            let r: [u8; 7] = call!(read_regs / read_regs_async(&mut self.i2c, ADDRESS, SECONDS))?;
            decode_datetime(&r).ok_or(Error::InvalidRegister)
        }

        /// Set the date and time (24-hour mode) in one burst write; CH is written 0, so this
        /// also starts a halted clock. Writing the seconds resets the one-second countdown.
        #[asynch(set_datetime_async)]
        pub fn set_datetime(&mut self, dt: &DateTime) -> Result<(), Error<I2C::Error>> {
            let r = encode_datetime(dt).ok_or(Error::InvalidInput)?;
            io!(self.i2c.write(
                ADDRESS,
                &[SECONDS, r[0], r[1], r[2], r[3], r[4], r[5], r[6]]
            ))?;
            Ok(())
        }

        /// Whether the oscillator runs (CH = 0).
        #[asynch(is_running_async)]
        pub fn is_running(&mut self) -> Result<bool, Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, ADDRESS, SECONDS))?;
            Ok(b & CH == 0)
        }

        /// Stop (`false`, CH = 1) or start (`true`, CH = 0) the oscillator; the seconds are
        /// kept (a read-modify-write of register 00h).
        #[asynch(set_running_async)]
        pub fn set_running(&mut self, run: bool) -> Result<(), Error<I2C::Error>> {
            let set = |s: u8| if run { s & !CH } else { s | CH };
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, SECONDS, set)
            )?)
        }

        /// Read the control register (07h).
        #[asynch(control_async)]
        pub fn control(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, ADDRESS, CONTROL)
            )?)
        }

        /// Output a square wave on SQW/OUT (SQWE = 1, RS1:RS0 = `freq`).
        #[asynch(set_square_wave_async)]
        pub fn set_square_wave(&mut self, freq: SquareWave) -> Result<(), Error<I2C::Error>> {
            let c = SQWE | freq as u8 | self.keep_osf();
            io!(self.i2c.write(ADDRESS, &[CONTROL, c]))?;
            Ok(())
        }

        /// Stop the square wave and drive SQW/OUT to a fixed level (SQWE = 0, OUT = `high`;
        /// the pin is open drain: high needs a pull-up).
        #[asynch(set_output_level_async)]
        pub fn set_output_level(&mut self, high: bool) -> Result<(), Error<I2C::Error>> {
            let c = if high { OUT } else { 0 } | self.keep_osf();
            io!(self.i2c.write(ADDRESS, &[CONTROL, c]))?;
            Ok(())
        }

        /// DS1338: whether the oscillator stopped at some point (first power-up, power loss
        /// without battery, CH set): the time is not to be trusted until set.
        #[asynch(oscillator_stopped_async)]
        pub fn oscillator_stopped(&mut self) -> Result<bool, Error<I2C::Error>> {
            if self.variant != Variant::Ds1338 {
                return Err(Error::Unsupported);
            }
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, ADDRESS, CONTROL))?;
            Ok(b & OSF != 0)
        }

        /// DS1338: clear the oscillator-stop flag (the other control bits are kept).
        #[asynch(clear_oscillator_stopped_async)]
        pub fn clear_oscillator_stopped(&mut self) -> Result<(), Error<I2C::Error>> {
            if self.variant != Variant::Ds1338 {
                return Err(Error::Unsupported);
            }
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, CONTROL, |c| c & !OSF)
            )?)
        }

        /// Read `buf.len()` bytes of RAM from `offset` (0..56).
        #[asynch(read_ram_async)]
        pub fn read_ram(&mut self, offset: usize, buf: &mut [u8]) -> Result<(), Error<I2C::Error>> {
            let reg = Self::ram_range(offset, buf.len())?;
            if buf.is_empty() {
                return Ok(());
            }
            io!(self.i2c.write_read(ADDRESS, &[reg], buf))?;
            Ok(())
        }

        /// Write `data` into RAM at `offset` (0..56), in one burst.
        #[asynch(write_ram_async)]
        pub fn write_ram(&mut self, offset: usize, data: &[u8]) -> Result<(), Error<I2C::Error>> {
            let reg = Self::ram_range(offset, data.len())?;
            if data.is_empty() {
                return Ok(());
            }
            let mut buf = [0u8; RAM_SIZE + 1];
            buf[0] = reg;
            buf[1..=data.len()].copy_from_slice(data);
            io!(self.i2c.write(ADDRESS, &buf[..=data.len()]))?;
            Ok(())
        }
    }
});
