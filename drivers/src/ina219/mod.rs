//! TI INA219 current, bus voltage and power monitor over I2C: configuration (bus range,
//! PGA shunt range, ADC resolution/averaging, modes), calibration from the current LSB
//! and shunt resistance (datasheet §8.5.1), shunt / bus voltage, current and power in
//! typed units, conversion-ready and math-overflow flags; or, without calibrating (§8.5.3,
//! the chip as a simple current shunt monitor), current and power computed from the
//! shunt voltage and the shunt resistance ([`Ina219::measure_with_shunt`]).
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::ina219::Error<I::Error>> {
//! use udrv_drivers::ina219::Ina219;
//! use udrv_drivers::Current;
//! let mut ina = Ina219::new(i2c, 0x40);
//! // 100 mΩ shunt, 100 µA per current LSB (3.2 A max)
//! ina.calibrate(Current::from_microamps(100), 100_000)?;
//! let i = ina.current()?;
//! let v = ina.bus_voltage()?.voltage;
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
pub(crate) mod registers;
mod types;

pub use types::*;

use crate::i2c_regs::{be16_write, read_be16, read_be16_async};
use crate::{Current, Power, Voltage};
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

use registers::*;

/// Errors of the INA219 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// Current or power asked for before [`Ina219::calibrate`].
    NotCalibrated,
    /// The calibration does not fit the 15-bit register (LSB or shunt too small) or is 0.
    InvalidCalibration,
    /// The chip flags a math overflow: current or power are out of range.
    Overflow,
    /// A shunt resistance of 0 µΩ (nothing was sent).
    InvalidShunt,
    /// The current or power computed from the shunt voltage is beyond what [`Current`]
    /// or [`Power`] hold (±2147 A, ±2147 W): a shunt below about 0.15 mΩ, or a power
    /// above 2147 W.
    OutOfRange,
}

impl_error!(Error + From, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "INA219: I2C error: {b}"),
        Error::NotCalibrated => {
            f.write_str("INA219: call calibrate() before reading current or power")
        }
        Error::InvalidCalibration => f.write_str(
            "INA219: the calibration does not fit the register: use a larger \
            current LSB",
        ),
        Error::Overflow => f.write_str(
            "INA219: math overflow: the current exceeds what the calibration \
            can count; use a larger current LSB",
        ),
        Error::InvalidShunt => f.write_str(
            "INA219: the shunt resistance is 0 µΩ: give the shunt's value in \
            µΩ (0.1 Ω is 100000)",
        ),
        Error::OutOfRange => f.write_str(
            "INA219: the current or power from the shunt voltage is beyond \
            ±2147 A or ±2147 W: check the shunt resistance given",
        ),
    }
});

/// Decode the bus voltage register.
pub fn decode_bus(raw: u16) -> BusVoltage {
    BusVoltage {
        voltage: Voltage((raw >> 3) as i32 * 4_000),
        conversion_ready: raw & CNVR != 0,
        overflow: raw & OVF != 0,
    }
}

/// The calibration register value for a current LSB and a shunt resistance
/// (datasheet equation 1: `Cal = trunc(0.04096 / (Current_LSB × R_SHUNT))`, with the
/// current LSB in µA and the shunt in µΩ), or `None` if it does not fit 16 bits or is 0.
pub fn calibration_value(current_lsb: Current, shunt_micro_ohm: u32) -> Option<u16> {
    let den = current_lsb.0 as u64 * shunt_micro_ohm as u64;
    if current_lsb.0 <= 0 || den == 0 {
        return None;
    }
    let cal = 40_960_000_000u64 / den;
    // Bit 0 of the register is void: it always reads 0.
    (1..=0xFFFE).contains(&cal).then_some(cal as u16 & 0xFFFE)
}

/// The current through a shunt of `shunt_micro_ohm` µΩ with `shunt` across it (Ohm's
/// law), rounded to the nearest µA (half away from zero); `None` for a 0 µΩ shunt or a
/// current beyond [`Current`]'s ±2147 A.
pub fn shunt_current(shunt: Voltage, shunt_micro_ohm: u32) -> Option<Current> {
    if shunt_micro_ohm == 0 {
        return None;
    }
    let n = shunt.0 as i64 * 1_000_000;
    let d = shunt_micro_ohm as i64;
    let q = if n >= 0 {
        (n + d / 2) / d
    } else {
        (n - d / 2) / d
    };
    i32::try_from(q).ok().map(Current)
}

/// The power of `current` at `bus` volts (what the chip's power register holds:
/// current × bus voltage, datasheet §8.6.3.3), rounded to the nearest µW (half away
/// from zero); `None` beyond [`Power`]'s ±2147 W.
pub fn power_from(bus: Voltage, current: Current) -> Option<Power> {
    let n = bus.0 as i64 * current.0 as i64;
    let q = if n >= 0 {
        (n + 500_000) / 1_000_000
    } else {
        (n - 500_000) / 1_000_000
    };
    i32::try_from(q).ok().map(Power)
}

/// An INA219.
#[derive(Debug)]
pub struct Ina219<I2C> {
    i2c: I2C,
    address: u8,
    current_lsb: Option<Current>,
}

impl<I2C> Ina219<I2C> {
    /// A driver for the chip at `address` (0x40..=0x4F by A1/A0 straps).
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            current_lsb: None,
        }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// The current LSB set by [`calibrate`](Self::calibrate).
    pub fn current_lsb(&self) -> Option<Current> {
        self.current_lsb
    }

    fn lsb<E>(&self) -> Result<i64, Error<E>> {
        Ok(self.current_lsb.ok_or(Error::NotCalibrated)?.0 as i64)
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Ina219<I2C>
    where
        I2C: I2c,
    {
        /// Write the configuration (in a triggered mode this starts a conversion).
        #[asynch(set_config_async)]
        pub fn set_config(&mut self, config: Config) -> Result<(), Error<I2C::Error>> {
            io!(self
                .i2c
                .write(self.address, &be16_write(CONFIG, config.bits())))?;
            Ok(())
        }

        /// Read the configuration register.
        #[asynch(config_register_async)]
        pub fn config_register(&mut self) -> Result<u16, Error<I2C::Error>> {
            Ok(call!(
                read_be16 / read_be16_async(&mut self.i2c, self.address, CONFIG)
            )?)
        }

        /// Reset all registers to their power-on values (forgets the calibration).
        #[asynch(reset_async)]
        pub fn reset(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &be16_write(CONFIG, RST)))?;
            self.current_lsb = None;
            Ok(())
        }

        /// Program the calibration register for `current_lsb` and a shunt of
        /// `shunt_micro_ohm` µΩ; the power LSB is then 20 × `current_lsb`.
        #[asynch(calibrate_async)]
        pub fn calibrate(
            &mut self,
            current_lsb: Current,
            shunt_micro_ohm: u32,
        ) -> Result<(), Error<I2C::Error>> {
            let cal =
                calibration_value(current_lsb, shunt_micro_ohm).ok_or(Error::InvalidCalibration)?;
            io!(self.i2c.write(self.address, &be16_write(CALIBRATION, cal)))?;
            self.current_lsb = Some(current_lsb);
            Ok(())
        }

        /// Program a raw calibration value together with the current LSB it gives.
        #[asynch(set_calibration_raw_async)]
        pub fn set_calibration_raw(
            &mut self,
            cal: u16,
            current_lsb: Current,
        ) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &be16_write(CALIBRATION, cal)))?;
            self.current_lsb = Some(current_lsb);
            Ok(())
        }

        /// Shunt voltage (10 µV LSB, signed).
        #[asynch(shunt_voltage_async)]
        pub fn shunt_voltage(&mut self) -> Result<Voltage, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, SHUNT_VOLTAGE))?;
            Ok(Voltage((w as i16) as i32 * 10))
        }

        /// Bus voltage with the CNVR and OVF flags.
        #[asynch(bus_voltage_async)]
        pub fn bus_voltage(&mut self) -> Result<BusVoltage, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, BUS_VOLTAGE))?;
            Ok(decode_bus(w))
        }

        /// Shunt voltage, then bus voltage, read; current and power computed from them with
        /// a shunt of `shunt_micro_ohm` µΩ (0.1 Ω is 100 000), as a current shunt monitor
        /// needs no calibration (datasheet §8.5.3). Writes nothing: the configuration and any
        /// calibration stay as they are.
        #[asynch(measure_with_shunt_async)]
        pub fn measure_with_shunt(
            &mut self,
            shunt_micro_ohm: u32,
        ) -> Result<ShuntMeasurement, Error<I2C::Error>> {
            if shunt_micro_ohm == 0 {
                return Err(Error::InvalidShunt);
            }
            let (mut sv, mut bv) = ([0; 2], [0; 2]);
            io!(self.i2c.write_read(self.address, &[SHUNT_VOLTAGE], &mut sv))?;
            io!(self.i2c.write_read(self.address, &[BUS_VOLTAGE], &mut bv))?;
            let shunt = Voltage(i16::from_be_bytes(sv) as i32 * 10);
            let bus = decode_bus(u16::from_be_bytes(bv));
            let current = shunt_current(shunt, shunt_micro_ohm).ok_or(Error::OutOfRange)?;
            let power = power_from(bus.voltage, current).ok_or(Error::OutOfRange)?;
            Ok(ShuntMeasurement {
                shunt,
                bus,
                current,
                power,
            })
        }

        /// Current (signed), from the current register.
        #[asynch(current_async)]
        pub fn current(&mut self) -> Result<Current, Error<I2C::Error>> {
            let lsb = self.lsb()?;
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CURRENT))?;
            Ok(Current(((w as i16) as i64 * lsb) as i32))
        }

        /// Power, from the power register (reading it clears CNVR).
        #[asynch(power_async)]
        pub fn power(&mut self) -> Result<Power, Error<I2C::Error>> {
            let lsb = self.lsb()?;
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, POWER))?;
            Ok(Power((w as i64 * 20 * lsb).min(i32::MAX as i64) as i32))
        }

        /// Bus voltage, current and power in one go; [`Error::Overflow`] if OVF is set.
        #[asynch(measure_async)]
        pub fn measure(&mut self) -> Result<(Voltage, Current, Power), Error<I2C::Error>> {
            let lsb = self.lsb()?;
            let (mut bv, mut c, mut p) = ([0; 2], [0; 2], [0; 2]);
            io!(self.i2c.write_read(self.address, &[BUS_VOLTAGE], &mut bv))?;
            let bus = decode_bus(u16::from_be_bytes(bv));
            if bus.overflow {
                return Err(Error::Overflow);
            }
            io!(self.i2c.write_read(self.address, &[CURRENT], &mut c))?;
            io!(self.i2c.write_read(self.address, &[POWER], &mut p))?;
            Ok((
                bus.voltage,
                Current((i16::from_be_bytes(c) as i64 * lsb) as i32),
                Power((u16::from_be_bytes(p) as i64 * 20 * lsb).min(i32::MAX as i64) as i32),
            ))
        }
    }
});
