//! Sensirion SHT3x (SHT30/31/35) humidity and temperature sensor over I2C: single shot
//! (with or without clock stretching), periodic mode with fetch and ART, heater, status,
//! soft reset, alert limits (the ALERT pin in periodic mode); every data word is checked against its CRC-8.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::sht3x::Error<I::Error>> {
//! use udrv_drivers::sht3x::{Repeatability, Sht3x};
//! let mut sht = Sht3x::new(i2c, 0x44);
//! let m = sht.measure(Repeatability::High, &mut delay)?;
//! println!("{:.2} °C {:.1} %RH", m.temperature.as_celsius_f32(), m.humidity.as_percent_f32());
//! # Ok(()) }
//! ```

pub mod commands;
#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

use crate::{Humidity, Temperature};
use embedded_hal::i2c::{ErrorKind, I2c};
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// Errors of the SHT3x driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A data word's CRC did not match.
    Crc,
    /// The sensor NACKed the read: no measurement ready yet.
    NotReady,
}

impl_error!(Error, |f, e| match e {
    Error::Bus(b) => write!(f, "SHT3x: I2C error: {b}"),
    Error::Crc => f.write_str("SHT3x: CRC mismatch: check the wiring and pull-ups"),
    Error::NotReady => f.write_str(
        "SHT3x: no measurement ready (the sensor NACKed the read): wait \
        longer or start one",
    ),
});

pub use crate::sensirion::{crc8, Measurement};

/// Check the CRC of a 3-byte word and return the word.
pub fn checked_word<E>(b: &[u8]) -> Result<u16, Error<E>> {
    crate::sensirion::checked_word(b).ok_or(Error::Crc)
}

/// Temperature from the raw value, `T = -45 + 175 * S / (2^16 - 1)` (datasheet §4.13),
/// rounded to the nearest m°C.
pub fn convert_temperature(s: u16) -> Temperature {
    Temperature(-45_000 + crate::sensirion::scale(s, 175_000, 65_535) as i32)
}

/// Relative humidity from the raw value, `RH = 100 * S / (2^16 - 1)` (datasheet §4.13),
/// rounded to the nearest milli-percent.
pub fn convert_humidity(s: u16) -> Humidity {
    Humidity(crate::sensirion::scale(s, 100_000, 65_535))
}

/// Decode a 6-byte measurement (T word, CRC, RH word, CRC).
pub fn decode<E>(d: &[u8; 6]) -> Result<Measurement, Error<E>> {
    Ok(Measurement {
        temperature: convert_temperature(checked_word(&d[0..3])?),
        humidity: convert_humidity(checked_word(&d[3..6])?),
    })
}

/// Raw 16-bit temperature for `t` (inverse of §4.13, rounded, clamped to -45..130 °C).
pub fn raw_temperature(t: Temperature) -> u16 {
    let n = (t.0 as i64 + 45_000).clamp(0, 175_000) * 65_535;
    ((n + 87_500) / 175_000) as u16
}

/// Raw 16-bit humidity for `h` (inverse of §4.13, rounded, clamped to 0..100 %RH).
pub fn raw_humidity(h: Humidity) -> u16 {
    let n = (h.0 as u64).min(100_000) * 65_535;
    ((n + 50_000) / 100_000) as u16
}

/// Encode an alert limit word (application note §2.1): the 7 most significant bits of
/// the raw humidity in bits 15:9, the 9 most significant bits of the raw temperature in
/// bits 8:0.
pub fn encode_limit(t: Temperature, h: Humidity) -> u16 {
    (raw_humidity(h) & 0xFE00) | (raw_temperature(t) >> 7)
}

/// Decode an alert limit word into the temperature and humidity it stands for (the
/// dropped low bits read as zero).
pub fn decode_limit(w: u16) -> Measurement {
    Measurement {
        temperature: convert_temperature((w & 0x01FF) << 7),
        humidity: convert_humidity(w & 0xFE00),
    }
}

/// An SHT3x sensor.
#[derive(Debug)]
pub struct Sht3x<I2C> {
    i2c: I2C,
    address: u8,
}

impl<I2C> Sht3x<I2C> {
    /// A driver for the sensor at `address` (0x44 with ADDR low, 0x45 with ADDR high).
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self { i2c, address }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }
}

fn not_ready<E: embedded_hal::i2c::Error>(e: E) -> Error<E> {
    match e.kind() {
        ErrorKind::NoAcknowledge(_) => Error::NotReady,
        _ => Error::Bus(e),
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Sht3x<I2C>
    where
        I2C: I2c,
    {
        /// Send a 16-bit command.
        #[asynch(command_async)]
        pub fn command(&mut self, cmd: u16) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &cmd.to_be_bytes())).map_err(Error::Bus)
        }

        /// Start a single-shot measurement without clock stretching; read it with
        /// [`read_measurement`](Self::read_measurement) after
        /// [`Repeatability::max_duration_us`].
        #[asynch(start_single_shot_async)]
        pub fn start_single_shot(&mut self, r: Repeatability) -> Result<(), Error<I2C::Error>> {
            let cmd = commands::SINGLE_NO_STRETCH[r as usize];
            io!(self.i2c.write(self.address, &cmd.to_be_bytes())).map_err(Error::Bus)
        }

        /// Read a finished single-shot measurement ([`Error::NotReady`] if the sensor NACKs
        /// the read header because it is still measuring).
        #[asynch(read_measurement_async)]
        pub fn read_measurement(&mut self) -> Result<Measurement, Error<I2C::Error>> {
            let mut d = [0; 6];
            io!(self.i2c.read(self.address, &mut d)).map_err(not_ready)?;
            decode(&d)
        }

        /// Single shot with clock stretching: the sensor holds SCL low until done (the bus
        /// adapter must allow it, and its timeout must exceed the measurement duration).
        #[asynch(measure_stretching_async)]
        pub fn measure_stretching(
            &mut self,
            r: Repeatability,
        ) -> Result<Measurement, Error<I2C::Error>> {
            let cmd = commands::SINGLE_STRETCH[r as usize];
            let mut d = [0; 6];
            io!(self.i2c.write(self.address, &cmd.to_be_bytes())).map_err(Error::Bus)?;
            io!(self.i2c.read(self.address, &mut d)).map_err(Error::Bus)?;
            decode(&d)
        }

        /// Start periodic measurements.
        #[asynch(start_periodic_async)]
        pub fn start_periodic(
            &mut self,
            rate: Rate,
            r: Repeatability,
        ) -> Result<(), Error<I2C::Error>> {
            let cmd = commands::PERIODIC[rate as usize][r as usize];
            io!(self.i2c.write(self.address, &cmd.to_be_bytes())).map_err(Error::Bus)
        }

        /// Start accelerated response time mode (periodic at 4 Hz).
        #[asynch(start_art_async)]
        pub fn start_art(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &commands::ART.to_be_bytes())).map_err(Error::Bus)
        }

        /// Fetch the latest periodic measurement ([`Error::NotReady`] if there is none since
        /// the last fetch).
        #[asynch(fetch_async)]
        pub fn fetch(&mut self) -> Result<Measurement, Error<I2C::Error>> {
            let mut d = [0; 6];
            io!(self
                .i2c
                .write(self.address, &commands::FETCH_DATA.to_be_bytes()))
            .map_err(Error::Bus)?;
            io!(self.i2c.read(self.address, &mut d)).map_err(not_ready)?;
            decode(&d)
        }

        /// Stop periodic measurements (break command).
        #[asynch(stop_periodic_async)]
        pub fn stop_periodic(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &commands::BREAK.to_be_bytes())).map_err(Error::Bus)
        }

        /// Switch the heater on or off.
        #[asynch(set_heater_async)]
        pub fn set_heater(&mut self, on: bool) -> Result<(), Error<I2C::Error>> {
            let cmd = if on {
                commands::HEATER_ENABLE
            } else {
                commands::HEATER_DISABLE
            };
            io!(self.i2c.write(self.address, &cmd.to_be_bytes())).map_err(Error::Bus)
        }

        /// Read the status register (CRC checked).
        #[asynch(status_async)]
        pub fn status(&mut self) -> Result<Status, Error<I2C::Error>> {
            let mut d = [0; 3];
            io!(self
                .i2c
                .write_read(self.address, &commands::READ_STATUS.to_be_bytes(), &mut d))
            .map_err(Error::Bus)?;
            Ok(Status(checked_word(&d)?))
        }

        /// Clear the status flags.
        #[asynch(clear_status_async)]
        pub fn clear_status(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self
                .i2c
                .write(self.address, &commands::CLEAR_STATUS.to_be_bytes()))
            .map_err(Error::Bus)
        }

        /// Write an alert limit (encoded with [`encode_limit`], followed by its CRC). The
        /// sensor flags a wrong CRC in status bit 0 ([`Status::write_crc_failed`]).
        #[asynch(set_alert_limit_async)]
        pub fn set_alert_limit(
            &mut self,
            limit: AlertLimit,
            t: Temperature,
            h: Humidity,
        ) -> Result<(), Error<I2C::Error>> {
            let c = commands::ALERT_WRITE[limit as usize].to_be_bytes();
            let w = encode_limit(t, h).to_be_bytes();
            let frame = [c[0], c[1], w[0], w[1], crc8(&w)];
            io!(self.i2c.write(self.address, &frame)).map_err(Error::Bus)
        }

        /// Read an alert limit's raw word (CRC checked).
        #[asynch(alert_limit_raw_async)]
        pub fn alert_limit_raw(&mut self, limit: AlertLimit) -> Result<u16, Error<I2C::Error>> {
            let mut d = [0; 3];
            let c = commands::ALERT_READ[limit as usize].to_be_bytes();
            io!(self.i2c.write_read(self.address, &c, &mut d)).map_err(Error::Bus)?;
            checked_word(&d)
        }

        /// Read an alert limit as the temperature and humidity it stands for
        /// ([`decode_limit`]; CRC checked).
        #[asynch(alert_limit_async)]
        pub fn alert_limit(&mut self, limit: AlertLimit) -> Result<Measurement, Error<I2C::Error>> {
            let mut d = [0; 3];
            let c = commands::ALERT_READ[limit as usize].to_be_bytes();
            io!(self.i2c.write_read(self.address, &c, &mut d)).map_err(Error::Bus)?;
            Ok(decode_limit(checked_word(&d)?))
        }

        /// Soft reset.
        #[asynch(soft_reset_async)]
        pub fn soft_reset(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self
                .i2c
                .write(self.address, &commands::SOFT_RESET.to_be_bytes()))
            .map_err(Error::Bus)
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Sht3x<I2C>
    where
        I2C: I2c,
    {
        /// Single shot without clock stretching: start, wait the maximum duration, read.
        #[asynch(measure_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure<D>(
            &mut self,
            r: Repeatability,
            delay: &mut D,
        ) -> Result<Measurement, Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.start_single_shot / start_single_shot_async(r))?;
            io!(delay.delay_us(r.max_duration_us()));
            call!(self.read_measurement / read_measurement_async())
        }
    }
});
