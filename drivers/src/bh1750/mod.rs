//! ROHM BH1750FVI ambient light sensor over I2C: power on/down, reset, continuous and
//! one-time measurements at H-resolution (1 lx), H-resolution mode 2 (0.5 lx) and
//! L-resolution (4 lx), and the measurement time register (MTreg 31..=254) that trades
//! range for sensitivity, with the lux conversion scaled to match.
//!
//! The chip has no register map and no ID: each command is one opcode byte, and a read
//! returns the 16-bit result (high byte first). Lux is `count / 1.2 × 69 / MTreg`, halved
//! in H-resolution mode 2 (datasheet p. 7 and p. 11); the driver computes it exactly in
//! integers and rounds to the nearest millilux.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::bh1750::Error<I::Error>> {
//! use udrv_drivers::bh1750::{Bh1750, Resolution};
//! let mut light = Bh1750::new(i2c, 0x23);
//! light.set_measurement_time(138)?; // twice the default sensitivity (69)
//! let lux = light.measure_one_time(Resolution::High2, &mut delay)?;
//! println!("{:.2} lx", lux.as_lux_f32());
//! # Ok(()) }
//! ```

pub mod commands;
#[cfg(feature = "sim")]
pub mod model;
mod types;

pub use types::*;

use crate::Illuminance;
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// The address with ADDR low (`0100011`, datasheet p. 10).
pub const ADDRESS_LOW: u8 = 0x23;
/// The address with ADDR high (`1011100`).
pub const ADDRESS_HIGH: u8 = 0x5C;
/// The measurement time register at power-on (datasheet p. 11).
pub const MTREG_DEFAULT: u8 = 69;
/// The smallest measurement time register value (0.45 × the default sensitivity).
pub const MTREG_MIN: u8 = 31;
/// The largest measurement time register value (3.68 × the default sensitivity).
pub const MTREG_MAX: u8 = 254;

/// Errors of the BH1750 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A measurement time register value outside 31..=254 (nothing was sent).
    InvalidMeasurementTime(u8),
}

impl_error!(Error, |f, e| match e {
    Error::Bus(b) => write!(f, "BH1750: I2C error: {b}"),
    Error::InvalidMeasurementTime(v) => write!(
        f,
        "BH1750: measurement time register {v} out of range: use 31..=254 \
        (69 is the default)"
    ),
});

fn bus<E>(e: E) -> Error<E> {
    Error::Bus(e)
}

/// Illuminance from a raw count: `count / 1.2 × 69 / mtreg` lux, halved in H-resolution
/// mode 2, rounded to the nearest millilux (`count × 57 500 / mtreg` millilux).
///
/// The datasheet gives the MTreg scaling for the H-resolution modes (p. 11); the same
/// ratio is applied in L-resolution mode, whose measurement time scales with MTreg too.
pub fn illuminance(count: u16, resolution: Resolution, mtreg: u8) -> Illuminance {
    let num = u64::from(count) * 57_500;
    let den = u64::from(mtreg.max(1))
        * match resolution {
            Resolution::High2 => 2,
            _ => 1,
        };
    Illuminance(((2 * num + den) / (2 * den)) as u32)
}

/// A BH1750 (BH1750FVI).
#[derive(Debug)]
pub struct Bh1750<I2C> {
    i2c: I2C,
    address: u8,
    mtreg: u8,
    resolution: Resolution,
}

impl<I2C> Bh1750<I2C> {
    /// A driver for the sensor at `address` ([`ADDRESS_LOW`] 0x23 or [`ADDRESS_HIGH`]
    /// 0x5C), assuming the power-on measurement time register (69).
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            mtreg: MTREG_DEFAULT,
            resolution: Resolution::High,
        }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// The measurement time register value last written (69 at power-on).
    pub fn measurement_time(&self) -> u8 {
        self.mtreg
    }

    /// The resolution of the measurement last started (used to convert
    /// [`read`](Self::read)s).
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The maximum time one measurement at `resolution` takes with the current
    /// measurement time register, in microseconds.
    pub fn max_time_us(&self, resolution: Resolution) -> u32 {
        resolution.max_time_us(self.mtreg)
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Bh1750<I2C>
    where
        I2C: I2c,
    {
        /// Send one opcode.
        #[asynch(command_async)]
        pub fn command(&mut self, opcode: u8) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &[opcode])).map_err(bus)
        }

        /// Power on (waiting for a measurement command).
        #[asynch(power_on_async)]
        pub fn power_on(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &[commands::POWER_ON])).map_err(bus)
        }

        /// Power down (stops continuous measurement; the last result stays readable).
        #[asynch(power_down_async)]
        pub fn power_down(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &[commands::POWER_DOWN])).map_err(bus)
        }

        /// Reset the data register to 0. The chip ignores this while powered down: call
        /// [`power_on`](Self::power_on) first.
        #[asynch(reset_async)]
        pub fn reset(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &[commands::RESET])).map_err(bus)
        }

        /// Start continuous measurements; the first result is ready after
        /// [`max_time_us`](Self::max_time_us), then [`read`](Self::read) returns the latest.
        #[asynch(start_continuous_async)]
        pub fn start_continuous(
            &mut self,
            resolution: Resolution,
        ) -> Result<(), Error<I2C::Error>> {
            let op = commands::CONTINUOUS[resolution as usize];
            io!(self.i2c.write(self.address, &[op])).map_err(bus)?;
            self.resolution = resolution;
            Ok(())
        }

        /// Start one measurement; the chip powers down once it is done. Read it with
        /// [`read`](Self::read) after [`max_time_us`](Self::max_time_us).
        #[asynch(start_one_time_async)]
        pub fn start_one_time(&mut self, resolution: Resolution) -> Result<(), Error<I2C::Error>> {
            let op = commands::ONE_TIME[resolution as usize];
            io!(self.i2c.write(self.address, &[op])).map_err(bus)?;
            self.resolution = resolution;
            Ok(())
        }

        /// Set the measurement time register (31..=254, power-on 69): sensitivity and
        /// measurement time scale with it (`mtreg / 69`), the range inversely. Two opcodes,
        /// high bits then low bits; it applies from the next measurement command.
        #[asynch(set_measurement_time_async)]
        pub fn set_measurement_time(&mut self, mtreg: u8) -> Result<(), Error<I2C::Error>> {
            if !(MTREG_MIN..=MTREG_MAX).contains(&mtreg) {
                return Err(Error::InvalidMeasurementTime(mtreg));
            }
            io!(self
                .i2c
                .write(self.address, &[commands::MTREG_HIGH | mtreg >> 5]))
            .map_err(bus)?;
            io!(self
                .i2c
                .write(self.address, &[commands::MTREG_LOW | (mtreg & 0x1F)]))
            .map_err(bus)?;
            self.mtreg = mtreg;
            Ok(())
        }

        /// Read the 16-bit result register (the raw count).
        #[asynch(read_raw_async)]
        pub fn read_raw(&mut self) -> Result<u16, Error<I2C::Error>> {
            let mut b = [0; 2];
            io!(self.i2c.read(self.address, &mut b)).map_err(bus)?;
            Ok(u16::from_be_bytes(b))
        }

        /// Read the result as an illuminance, converted for the resolution of the last
        /// measurement started and the current measurement time register.
        #[asynch(read_async)]
        pub fn read(&mut self) -> Result<Illuminance, Error<I2C::Error>> {
            let mut b = [0; 2];
            io!(self.i2c.read(self.address, &mut b)).map_err(bus)?;
            Ok(illuminance(
                u16::from_be_bytes(b),
                self.resolution,
                self.mtreg,
            ))
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Bh1750<I2C>
    where
        I2C: I2c,
    {
        /// One measurement: start it, wait its maximum time, read it (the chip is powered
        /// down after).
        #[asynch(measure_one_time_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure_one_time<D>(
            &mut self,
            resolution: Resolution,
            delay: &mut D,
        ) -> Result<Illuminance, Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.start_one_time / start_one_time_async(resolution))?;
            io!(delay.delay_us(self.max_time_us(resolution)));
            call!(self.read / read_async())
        }
    }
});
