//! Infineon DPS310 barometric pressure and temperature sensor over I2C: product ID,
//! calibration coefficients, oversampling and rates with the datasheet's scale factors,
//! the P_SHIFT/T_SHIFT result shifts above 8 times oversampling, the temperature sensor the
//! coefficients were made with (TMP_EXT = TMP_COEF_SRCE), command (one-shot) and background
//! modes, ready flags, soft reset, and the compensation of datasheet §4.9 computed exactly in
//! integers (no floats): temperature rounded to the m°C, pressure to 1/256 Pa.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::dps310::Error<I::Error>> {
//! use udrv_drivers::dps310::{Config, Dps310, Oversampling};
//! let mut dps = Dps310::new(i2c, 0x77);
//! dps.init()?; // product ID, coefficients, configuration
//! dps.set_config(Config { pressure_oversampling: Oversampling::X16, ..Config::default() })?;
//! let m = dps.measure(&mut delay)?;
//! println!("{:.2} °C {:.2} hPa", m.temperature.as_celsius_f32(), m.pressure.as_hectopascal_f32());
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
use crate::{Pressure, Temperature};
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

/// Address with SDO high or open (the default).
pub const ADDRESS: u8 = 0x77;
/// Address with SDO to GND.
pub const ADDRESS_ALT: u8 = 0x76;

use registers::*;

/// The product ID register's PROD_ID field (bits 3:0) on a DPS310.
pub const PROD_ID: u8 = 0x0;

/// Errors of the DPS310 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// The product ID register (0Dh) does not hold PROD_ID 0 (the value read).
    WrongChipId(u8),
    /// The coefficients are not ready yet (COEF_RDY = 0, about 40 ms after power-up).
    NotReady,
    /// A measurement was asked for before the coefficients were read
    /// ([`Dps310::init`] or [`Dps310::read_calibration`]).
    NotInitialized,
    /// A measurement did not become ready in twice its datasheet time.
    Timeout,
    /// The compensated pressure is negative or beyond the `Pressure` type.
    OutOfRange,
}

impl_error!(Error + From, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "DPS310: I2C error: {b}"),
        Error::WrongChipId(id) => write!(
            f,
            "DPS310: product ID register holds 0x{id:02x}, not PROD_ID 0 \
            (another chip at this address?)"
        ),
        Error::NotReady => f.write_str("DPS310: coefficients not ready yet: retry after 40 ms"),
        Error::NotInitialized => f.write_str("DPS310: call init() or read_calibration() first"),
        Error::Timeout => f.write_str("DPS310: the measurement did not complete in time"),
        Error::OutOfRange => f.write_str("DPS310: the compensated pressure is out of range"),
    }
});

/// Sign-extend the low `bits` bits of `v`.
pub const fn sign_extend(v: u32, bits: u32) -> i32 {
    ((v << (32 - bits)) as i32) >> (32 - bits)
}

fn div_round(n: i128, d: i128) -> i128 {
    // d > 0; half away from zero
    if n >= 0 {
        (n + d / 2) / d
    } else {
        (n - d / 2) / d
    }
}

/// Compensated temperature (datasheet §4.9.2): `Tcomp = c0 × 0.5 + c1 × Traw / kT`, in
/// m°C rounded to the nearest.
pub fn compensate_temperature(cal: &Calibration, t_raw: i32, kt: i64) -> Temperature {
    let num =
        i128::from(cal.c0) * i128::from(kt) * 500 + i128::from(cal.c1) * i128::from(t_raw) * 1000;
    Temperature(div_round(num, i128::from(kt)) as i32)
}

/// Compensated pressure (datasheet §4.9.1): with `Praw_sc = Praw / kP` and
/// `Traw_sc = Traw / kT`, `Pcomp = c00 + Praw_sc × (c10 + Praw_sc × (c20 + Praw_sc × c30))
/// + Traw_sc × c01 + Traw_sc × Praw_sc × (c11 + Praw_sc × c21)` in Pa, computed exactly
/// over the common denominator kP³ × kT and rounded to 1/256 Pa; `None` when negative or
/// past `u32`.
pub fn compensate_pressure(
    cal: &Calibration,
    p_raw: i32,
    kp: i64,
    t_raw: i32,
    kt: i64,
) -> Option<Pressure> {
    let (p, t, kp, kt) = (
        i128::from(p_raw),
        i128::from(t_raw),
        i128::from(kp),
        i128::from(kt),
    );
    let c = |v: i32| i128::from(v);
    let num = c(cal.c00) * kp * kp * kp * kt
        + c(cal.c10) * p * kp * kp * kt
        + c(cal.c20) * p * p * kp * kt
        + c(cal.c30) * p * p * p * kt
        + c(cal.c01) * t * kp * kp * kp
        + c(cal.c11) * t * p * kp * kp
        + c(cal.c21) * t * p * p * kp;
    let q = div_round(num * 256, kp * kp * kp * kt);
    u32::try_from(q).ok().map(Pressure)
}

/// A DPS310.
#[derive(Debug)]
pub struct Dps310<I2C> {
    i2c: I2C,
    address: u8,
    config: Config,
    cal: Option<Calibration>,
    tmp_ext: bool,
}

impl<I2C> Dps310<I2C> {
    /// A driver for the DPS310 at `address` ([`ADDRESS`] or [`ADDRESS_ALT`]).
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            config: Config::default(),
            cal: None,
            tmp_ext: false,
        }
    }

    /// The coefficients, once read.
    pub fn calibration(&self) -> Option<Calibration> {
        self.cal
    }

    /// The configuration last written.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Whether the coefficients were made with the external (MEMS) temperature sensor
    /// (TMP_COEF_SRCE), which TMP_EXT then selects.
    pub fn uses_external_sensor(&self) -> bool {
        self.tmp_ext
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    fn cfg_bytes(&self) -> (u8, u8) {
        let c = self.config;
        let prs = ((c.pressure_rate as u8) << 4) | c.pressure_oversampling as u8;
        let tmp = if self.tmp_ext { TMP_EXT } else { 0 }
            | ((c.temperature_rate as u8) << 4)
            | c.temperature_oversampling as u8;
        (prs, tmp)
    }

    fn shifts(&self) -> u8 {
        let mut s = 0;
        if self.config.pressure_oversampling.needs_shift() {
            s |= P_SHIFT;
        }
        if self.config.temperature_oversampling.needs_shift() {
            s |= T_SHIFT;
        }
        s
    }

    fn compensate<E>(&self, t_raw: i32, p_raw: i32) -> Result<Measurement, Error<E>> {
        let cal = self.cal.ok_or(Error::NotInitialized)?;
        let kt = self.config.temperature_oversampling.scale_factor();
        let kp = self.config.pressure_oversampling.scale_factor();
        Ok(Measurement {
            temperature: compensate_temperature(&cal, t_raw, kt),
            pressure: compensate_pressure(&cal, p_raw, kp, t_raw, kt).ok_or(Error::OutOfRange)?,
        })
    }
}

fn raw24(b: &[u8]) -> i32 {
    sign_extend(
        (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]),
        24,
    )
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Dps310<I2C>
    where
        I2C: I2c,
    {
        /// Read the product and revision ID register (0Dh: REV_ID in bits 7:4, PROD_ID in
        /// bits 3:0; 10h on the chips the datasheet describes).
        #[asynch(product_id_async)]
        pub fn product_id(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, self.address, PRODUCT_ID)
            )?)
        }

        /// The start-up without the product ID check: needs COEF_RDY, reads
        /// the coefficients (10h..21h) and their sensor (COEF_SRCE), then writes the
        /// configuration (PRS_CFG, TMP_CFG with TMP_EXT = TMP_COEF_SRCE, the shifts in
        /// CFG_REG).
        #[asynch(read_calibration_async)]
        pub fn read_calibration(&mut self) -> Result<Calibration, Error<I2C::Error>> {
            let s = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, MEAS_CFG))?;
            if s & COEF_RDY == 0 {
                return Err(Error::NotReady);
            }
            let r: [u8; 18] =
                call!(read_regs / read_regs_async(&mut self.i2c, self.address, COEF))?;
            let src = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, COEF_SRCE))?;
            let cal = Calibration::from_registers(&r);
            self.cal = Some(cal);
            self.tmp_ext = src & TMP_COEF_SRCE != 0;
            call!(self.set_config / set_config_async(self.config))?;
            Ok(cal)
        }

        /// Write the oversampling and rates (PRS_CFG, TMP_CFG) and the matching result shifts
        /// (CFG_REG, read-modify-write).
        #[asynch(set_config_async)]
        pub fn set_config(&mut self, config: Config) -> Result<(), Error<I2C::Error>> {
            self.config = config;
            let (prs, tmp) = self.cfg_bytes();
            io!(self.i2c.write(self.address, &[PRS_CFG, prs, tmp]))?;
            let shifts = self.shifts();
            let set = |c: u8| (c & !(P_SHIFT | T_SHIFT)) | shifts;
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, self.address, CFG_REG, set)
            )?)
        }

        /// The MEAS_CFG register: COEF_RDY, SENSOR_RDY, TMP_RDY, PRS_RDY (bits 7..4) and
        /// MEAS_CTRL (bits 2:0).
        #[asynch(status_async)]
        pub fn status(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, self.address, MEAS_CFG)
            )?)
        }

        /// Set the operating mode. MEAS_CFG is read and written back with the new MEAS_CTRL
        /// (its status bits are read-only on the chip, so writing them back changes nothing).
        #[asynch(set_mode_async)]
        pub fn set_mode(&mut self, mode: Mode) -> Result<(), Error<I2C::Error>> {
            let set = |c: u8| (c & 0xF8) | mode as u8;
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, self.address, MEAS_CFG, set)
            )?)
        }

        /// Whether (temperature, pressure) results are ready (TMP_RDY, PRS_RDY).
        #[asynch(ready_async)]
        pub fn ready(&mut self) -> Result<(bool, bool), Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, MEAS_CFG))?;
            Ok((b & TMP_RDY != 0, b & PRS_RDY != 0))
        }

        /// The raw temperature result (TMP_B2..B0, 24-bit two's complement).
        #[asynch(read_raw_temperature_async)]
        pub fn read_raw_temperature(&mut self) -> Result<i32, Error<I2C::Error>> {
            let b: [u8; 3] =
                call!(read_regs / read_regs_async(&mut self.i2c, self.address, TMP_B2))?;
            Ok(raw24(&b))
        }

        /// The raw pressure result (PSR_B2..B0, 24-bit two's complement).
        #[asynch(read_raw_pressure_async)]
        pub fn read_raw_pressure(&mut self) -> Result<i32, Error<I2C::Error>> {
            let b: [u8; 3] =
                call!(read_regs / read_regs_async(&mut self.i2c, self.address, PSR_B2))?;
            Ok(raw24(&b))
        }

        /// Read both results in one burst (00h..05h) and compensate them (background mode,
        /// or after both command measurements).
        #[asynch(read_measurement_async)]
        pub fn read_measurement(&mut self) -> Result<Measurement, Error<I2C::Error>> {
            if self.cal.is_none() {
                return Err(Error::NotInitialized);
            }
            let b: [u8; 6] =
                call!(read_regs / read_regs_async(&mut self.i2c, self.address, PSR_B2))?;
            let (p, t) = (raw24(&b[..3]), raw24(&b[3..]));
            self.compensate(t, p)
        }

        /// Soft reset (SOFT_RST = 1001 in 0Ch): the configuration returns to its defaults and
        /// the coefficients must be read again once COEF_RDY is set.
        #[asynch(soft_reset_async)]
        pub fn soft_reset(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &[RESET, SOFT_RST]))?;
            self.cal = None;
            self.config = Config::default();
            Ok(())
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Dps310<I2C>
    where
        I2C: I2c,
    {
        /// Check the product ID (PROD_ID 0 in register 0Dh, else [`Error::WrongChipId`]),
        /// then [`read_calibration`](Self::read_calibration).
        #[asynch(init_async)]
        pub fn init(&mut self) -> Result<(), Error<I2C::Error>> {
            let id = call!(self.product_id / product_id_async())?;
            if id & 0x0F != PROD_ID {
                return Err(Error::WrongChipId(id));
            }
            call!(self.read_calibration / read_calibration_async()).map(|_| ())
        }

        /// One temperature then one pressure measurement in command mode: each waits its
        /// datasheet time, then polls its ready flag every millisecond ([`Error::Timeout`]
        /// after 10 ms more).
        #[asynch(measure_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure<D>(&mut self, delay: &mut D) -> Result<Measurement, Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            if self.cal.is_none() {
                return Err(Error::NotInitialized);
            }
            let mut raw = [0i32; 2];
            for (i, (mode, os)) in [
                (
                    Mode::CommandTemperature,
                    self.config.temperature_oversampling,
                ),
                (Mode::CommandPressure, self.config.pressure_oversampling),
            ]
            .into_iter()
            .enumerate()
            {
                call!(self.set_mode / set_mode_async(mode))?;
                io!(delay.delay_us(os.measurement_time_us()));
                let flag = if i == 0 { TMP_RDY } else { PRS_RDY };
                let mut polls = 0;
                loop {
                    let b = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, MEAS_CFG))?;
                    if b & flag != 0 {
                        break;
                    }
                    polls += 1;
                    if polls * 1000 > os.measurement_time_us() + 10_000 {
                        return Err(Error::Timeout);
                    }
                    io!(delay.delay_ms(1));
                }
                let mut r = [0; 3];
                let at = if i == 0 { TMP_B2 } else { PSR_B2 };
                io!(self.i2c.write_read(self.address, &[at], &mut r))?;
                raw[i] = raw24(&r);
            }
            self.compensate(raw[0], raw[1])
        }
    }
});
