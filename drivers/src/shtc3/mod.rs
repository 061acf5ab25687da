//! Sensirion SHTC3 humidity and temperature sensor over I2C (address 0x70): sleep and
//! wakeup, soft reset, the ID register (checked against the SHTC3's bit pattern),
//! measurements in normal or low-power mode, with or without clock stretching,
//! temperature or humidity first; every data word is checked against its CRC-8.
//!
//! The sensor powers up idle; [`sleep`](Shtc3::sleep) saves power, and a sleeping sensor
//! answers nothing but [`wakeup`](Shtc3::wakeup) (wait [`WAKEUP_TIME_US`] after it).
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::shtc3::Error<I::Error>> {
//! use udrv_drivers::shtc3::{PowerMode, Shtc3};
//! let mut sht = Shtc3::new(i2c);
//! sht.wakeup()?;
//! delay.delay_us(udrv_drivers::shtc3::WAKEUP_TIME_US);
//! sht.read_id()?; // checks the ID register's SHTC3 bits
//! let m = sht.measure(PowerMode::Normal, &mut delay)?;
//! sht.sleep()?;
//! println!("{:.2} °C {:.1} %RH", m.temperature.as_celsius_f32(), m.humidity.as_percent_f32());
//! # Ok(()) }
//! ```

pub mod commands;
#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

pub use crate::sensirion::{crc8, Measurement};
use crate::{Humidity, Temperature};
use embedded_hal::i2c::{ErrorKind, I2c, NoAcknowledgeSource};
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// The SHTC3's I2C address (fixed).
pub const ADDRESS: u8 = 0x70;
/// Maximum wake-up time from sleep, and the soft reset time, in microseconds (datasheet
/// table 5).
pub const WAKEUP_TIME_US: u32 = 240;
/// The ID register bits that identify an SHTC3 (§5.9: bit 11 and bits 5..0)...
pub const ID_MASK: u16 = 0b0000_1000_0011_1111;
/// ... and their values.
pub const ID_PATTERN: u16 = 0b0000_1000_0000_0111;

/// Errors of the SHTC3 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A data word's CRC did not match.
    Crc,
    /// The sensor NACKed the read: no measurement ready yet (or it sleeps).
    NotReady,
    /// The ID register does not have the SHTC3's bit pattern (the value read).
    WrongId(u16),
}

impl_error!(Error, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "SHTC3: I2C error: {b}"),
        Error::Crc => f.write_str("SHTC3: CRC mismatch: check the wiring and pull-ups"),
        Error::NotReady => f.write_str(
            "SHTC3: no measurement ready (the sensor NACKed the read): wait \
            longer, or wake it up first",
        ),
        Error::WrongId(id) => write!(
            f,
            "SHTC3: ID register {id:#06x} lacks the SHTC3 pattern (bits 11 and 5..0 = 1, 000111): \
            another chip at 0x70?"
        ),
    }
});

/// The word of a 3-byte group (word, CRC), or [`Error::Crc`].
fn word<E>(b: &[u8]) -> Result<u16, Error<E>> {
    crate::sensirion::checked_word(b).ok_or(Error::Crc)
}

/// A NACKed read header is the sensor still measuring (datasheet §5.4); anything else,
/// a data NACK included, is a bus error.
fn not_ready<E: embedded_hal::i2c::Error>(e: E) -> Error<E> {
    match e.kind() {
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address) => Error::NotReady,
        _ => Error::Bus(e),
    }
}

/// Temperature from the raw value, `T = -45 + 175 × S / 2^16` (datasheet §5.11), rounded
/// to the nearest m°C.
pub fn convert_temperature(s: u16) -> Temperature {
    Temperature(-45_000 + crate::sensirion::scale(s, 175_000, 65_536) as i32)
}

/// Relative humidity from the raw value, `RH = 100 × S / 2^16` (datasheet §5.11),
/// rounded to the nearest milli-percent.
pub fn convert_humidity(s: u16) -> Humidity {
    Humidity(crate::sensirion::scale(s, 100_000, 65_536))
}

/// Decode a 6-byte measurement (two words, each followed by its CRC) sent in `order`.
pub fn decode<E>(d: &[u8; 6], order: Order) -> Result<Measurement, Error<E>> {
    let (first, second) = (word(&d[0..3])?, word(&d[3..6])?);
    let (t, rh) = match order {
        Order::TemperatureFirst => (first, second),
        Order::HumidityFirst => (second, first),
    };
    Ok(Measurement {
        temperature: convert_temperature(t),
        humidity: convert_humidity(rh),
    })
}

/// Whether an ID register value has the SHTC3's bit pattern.
pub fn is_shtc3_id(id: u16) -> bool {
    id & ID_MASK == ID_PATTERN
}

/// An SHTC3.
#[derive(Debug)]
pub struct Shtc3<I2C> {
    i2c: I2C,
    order: Order,
}

impl<I2C> Shtc3<I2C> {
    /// A driver for the sensor (at its fixed address 0x70).
    pub fn new(i2c: I2C) -> Self {
        Self {
            i2c,
            order: Order::TemperatureFirst,
        }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// The order in which results are expected (that of the last measurement started).
    pub fn order(&self) -> Order {
        self.order
    }

    /// Expect the results of the next measurement in `order` (the order of the command
    /// [`start_measurement`](Self::start_measurement) sends).
    pub fn set_order(&mut self, order: Order) {
        self.order = order;
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Shtc3<I2C>
    where
        I2C: I2c,
    {
        /// Send a 16-bit command.
        #[asynch(command_async)]
        pub fn command(&mut self, cmd: u16) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(ADDRESS, &cmd.to_be_bytes())).map_err(Error::Bus)
        }

        /// Leave sleep mode; the sensor takes up to [`WAKEUP_TIME_US`] before the next
        /// command.
        #[asynch(wakeup_async)]
        pub fn wakeup(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(ADDRESS, &commands::WAKEUP.to_be_bytes())).map_err(Error::Bus)
        }

        /// Enter sleep mode.
        #[asynch(sleep_async)]
        pub fn sleep(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(ADDRESS, &commands::SLEEP.to_be_bytes())).map_err(Error::Bus)
        }

        /// Soft reset (the sensor ends idle after up to [`WAKEUP_TIME_US`]).
        #[asynch(soft_reset_async)]
        pub fn soft_reset(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(ADDRESS, &commands::SOFT_RESET.to_be_bytes())).map_err(Error::Bus)
        }

        /// Read the ID register (CRC checked) and check the SHTC3's bits: the value, or
        /// [`Error::WrongId`] with the value when the bits do not match.
        #[asynch(read_id_async)]
        pub fn read_id(&mut self) -> Result<u16, Error<I2C::Error>> {
            let mut d = [0; 3];
            io!(self.i2c.write(ADDRESS, &commands::READ_ID.to_be_bytes())).map_err(Error::Bus)?;
            io!(self.i2c.read(ADDRESS, &mut d)).map_err(Error::Bus)?;
            let id = word(&d)?;
            if is_shtc3_id(id) {
                Ok(id)
            } else {
                Err(Error::WrongId(id))
            }
        }

        /// Start a measurement without clock stretching; read it with
        /// [`read_measurement`](Self::read_measurement) after
        /// [`PowerMode::max_duration_us`].
        #[asynch(start_measurement_async)]
        pub fn start_measurement(
            &mut self,
            mode: PowerMode,
            order: Order,
        ) -> Result<(), Error<I2C::Error>> {
            let cmd = commands::MEASURE_NO_STRETCH[mode as usize][order as usize];
            io!(self.i2c.write(ADDRESS, &cmd.to_be_bytes())).map_err(Error::Bus)?;
            self.order = order;
            Ok(())
        }

        /// Read a finished measurement ([`Error::NotReady`] if the sensor NACKs the read
        /// header because it is still measuring).
        #[asynch(read_measurement_async)]
        pub fn read_measurement(&mut self) -> Result<Measurement, Error<I2C::Error>> {
            let mut d = [0; 6];
            io!(self.i2c.read(ADDRESS, &mut d)).map_err(not_ready)?;
            decode(&d, self.order)
        }

        /// Measure with clock stretching: the sensor holds SCL low until done (the bus
        /// adapter must allow it, and its timeout must exceed the measurement duration).
        #[asynch(measure_stretching_async)]
        pub fn measure_stretching(
            &mut self,
            mode: PowerMode,
            order: Order,
        ) -> Result<Measurement, Error<I2C::Error>> {
            let cmd = commands::MEASURE_STRETCH[mode as usize][order as usize];
            let mut d = [0; 6];
            io!(self.i2c.write(ADDRESS, &cmd.to_be_bytes())).map_err(Error::Bus)?;
            self.order = order;
            io!(self.i2c.read(ADDRESS, &mut d)).map_err(Error::Bus)?;
            decode(&d, order)
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Shtc3<I2C>
    where
        I2C: I2c,
    {
        /// Measure without clock stretching (temperature first): start, wait the maximum
        /// duration, read.
        #[asynch(measure_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure<D>(
            &mut self,
            mode: PowerMode,
            delay: &mut D,
        ) -> Result<Measurement, Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.start_measurement / start_measurement_async(mode, Order::TemperatureFirst))?;
            io!(delay.delay_us(mode.max_duration_us()));
            call!(self.read_measurement / read_measurement_async())
        }
    }
});
