//! LM75-family (LM75, LM75A/B, DS75-compatible) and TMP102 I2C temperature sensors.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::lm75::Error<I::Error>> {
//! use udrv_drivers::lm75::{Lm75, Resolution};
//! let mut sensor = Lm75::new(i2c, 0x48).with_resolution(Resolution::Bits11);
//! let t = sensor.temperature()?;
//! println!("{:.3} °C", t.as_celsius_f32());
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod registers;
mod types;

pub use types::*;

use crate::i2c_regs::{be16_write, read_be16, read_be16_async, read_regs, read_regs_async};
use crate::Temperature;
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;
use registers::{lm75_conf, tmp102_conf, CONF, TEMP, THYST, TOS};

/// Errors of the LM75 and TMP102 drivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A threshold outside what the register can hold.
    InvalidInput,
    /// A TMP102 one-shot conversion did not report ready (OS = 1) in time.
    Timeout,
}

impl_error!(Error + From, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "LM75: I2C error: {b}"),
        Error::InvalidInput => {
            f.write_str("LM75: the threshold does not fit the register (-128..127.5 °C)")
        }
        Error::Timeout => f.write_str(
            "TMP102: the one-shot conversion never reported ready: check that \
            the chip is a TMP102 in shutdown mode",
        ),
    }
});

/// Decode a left-justified two's complement temperature register with `bits` significant
/// bits (LM75B datasheet table 7, TMP102 table 8-2): one LSB is `2^-(bits - 8)` °C
/// (9 bits: 0.5 °C, 11 bits: 0.125 °C, 12 bits: 0.0625 °C), rounded to the nearest m°C.
pub fn decode_temperature(raw: u16, bits: u8) -> Temperature {
    decode(raw, 16 - bits, 1 << (bits - 8))
}

/// Encode a temperature into a left-justified register with `bits` significant bits,
/// rounding to the nearest step; `None` when it does not fit.
pub fn encode_temperature(t: Temperature, bits: u8) -> Option<u16> {
    encode(t, 16 - bits, 1 << (bits - 8))
}

/// `raw >> shift` (arithmetic) counts of `1 / per_degree` °C.
fn decode(raw: u16, shift: u8, per_degree: i32) -> Temperature {
    Temperature::from_fraction((raw as i16 >> shift) as i32, per_degree)
}

fn encode(t: Temperature, shift: u8, per_degree: i64) -> Option<u16> {
    let m = t.as_millicelsius() as i64 * per_degree;
    let v = if m >= 0 {
        (m + 500) / 1000
    } else {
        (m - 500) / 1000
    };
    let max = (1i64 << (15 - shift)) - 1;
    if v > max || v < -max - 1 {
        return None;
    }
    Some(((v as i16) << shift) as u16)
}

/// An LM75-family temperature sensor.
#[derive(Debug)]
pub struct Lm75<I2C> {
    i2c: I2C,
    address: u8,
    resolution: Resolution,
}

impl<I2C> Lm75<I2C> {
    /// A driver for the chip at `address` (0x48..=0x4F), 9-bit resolution.
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            resolution: Resolution::Bits9,
        }
    }

    /// Use another temperature resolution (LM75A: 11 bits).
    pub fn with_resolution(mut self, resolution: Resolution) -> Self {
        self.resolution = resolution;
        self
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    fn bits(&self) -> u8 {
        match self.resolution {
            Resolution::Bits9 => 9,
            Resolution::Bits11 => 11,
        }
    }
}

/// Encode an LM75 configuration byte.
pub fn lm75_config_byte(c: &Lm75Config) -> u8 {
    let mut b = c.fault_queue.bits() << lm75_conf::FAULT_QUEUE_SHIFT;
    if c.shutdown {
        b |= lm75_conf::SHUTDOWN;
    }
    if c.os_mode == OsMode::Interrupt {
        b |= lm75_conf::INTERRUPT;
    }
    if c.os_polarity == OsPolarity::ActiveHigh {
        b |= lm75_conf::POL_HIGH;
    }
    b
}

/// The thermostat mode and the OS/ALERT polarity from their bits (the LM75's INTERRUPT
/// and POL, the TMP102's TM and POL mean the same).
fn os_from_bits(interrupt: bool, active_high: bool) -> (OsMode, OsPolarity) {
    (
        if interrupt {
            OsMode::Interrupt
        } else {
            OsMode::Comparator
        },
        if active_high {
            OsPolarity::ActiveHigh
        } else {
            OsPolarity::ActiveLow
        },
    )
}

/// Decode an LM75 configuration byte.
pub fn lm75_config_from_byte(b: u8) -> Lm75Config {
    let (os_mode, os_polarity) =
        os_from_bits(b & lm75_conf::INTERRUPT != 0, b & lm75_conf::POL_HIGH != 0);
    Lm75Config {
        shutdown: b & lm75_conf::SHUTDOWN != 0,
        os_mode,
        os_polarity,
        fault_queue: FaultQueue::from_bits(b >> lm75_conf::FAULT_QUEUE_SHIFT),
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Lm75<I2C>
    where
        I2C: I2c,
    {
        /// Read the temperature register as it is (left-justified, two's complement).
        #[asynch(raw_temperature_async)]
        pub fn raw_temperature(&mut self) -> Result<u16, Error<I2C::Error>> {
            Ok(call!(
                read_be16 / read_be16_async(&mut self.i2c, self.address, TEMP)
            )?)
        }

        /// Read the temperature at the configured resolution.
        #[asynch(temperature_async)]
        pub fn temperature(&mut self) -> Result<Temperature, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, TEMP))?;
            Ok(decode_temperature(w, self.bits()))
        }

        /// Write the configuration register.
        #[asynch(set_config_async)]
        pub fn set_config(&mut self, config: Lm75Config) -> Result<(), Error<I2C::Error>> {
            io!(self
                .i2c
                .write(self.address, &[CONF, lm75_config_byte(&config)]))?;
            Ok(())
        }

        /// Read the configuration register.
        #[asynch(config_async)]
        pub fn config(&mut self) -> Result<Lm75Config, Error<I2C::Error>> {
            let b: [u8; 1] = call!(read_regs / read_regs_async(&mut self.i2c, self.address, CONF))?;
            Ok(lm75_config_from_byte(b[0]))
        }

        /// Set the overtemperature threshold T_OS (9 bits, 0.5 °C steps, rounded).
        #[asynch(set_os_temperature_async)]
        pub fn set_os_temperature(&mut self, t: Temperature) -> Result<(), Error<I2C::Error>> {
            let v = encode_temperature(t, 9).ok_or(Error::InvalidInput)?;
            io!(self.i2c.write(self.address, &be16_write(TOS, v)))?;
            Ok(())
        }

        /// Set the hysteresis threshold T_HYST (9 bits, 0.5 °C steps, rounded).
        #[asynch(set_hysteresis_async)]
        pub fn set_hysteresis(&mut self, t: Temperature) -> Result<(), Error<I2C::Error>> {
            let v = encode_temperature(t, 9).ok_or(Error::InvalidInput)?;
            io!(self.i2c.write(self.address, &be16_write(THYST, v)))?;
            Ok(())
        }

        /// Read T_OS.
        #[asynch(os_temperature_async)]
        pub fn os_temperature(&mut self) -> Result<Temperature, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, TOS))?;
            Ok(decode_temperature(w, 9))
        }

        /// Read T_HYST.
        #[asynch(hysteresis_async)]
        pub fn hysteresis(&mut self) -> Result<Temperature, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, THYST))?;
            Ok(decode_temperature(w, 9))
        }
    }
});

/// A TMP102 temperature sensor.
#[derive(Debug)]
pub struct Tmp102<I2C> {
    i2c: I2C,
    address: u8,
    extended: bool,
}

impl<I2C> Tmp102<I2C> {
    /// A driver for the chip at `address` (0x48..=0x4B). Assumes normal (12-bit) mode
    /// until [`set_config`](Self::set_config) says otherwise.
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            extended: false,
        }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// Register shift of the thresholds: 12-bit normal or 13-bit extended format, both
    /// 0.0625 °C per count.
    fn shift(&self) -> u8 {
        if self.extended {
            3
        } else {
            4
        }
    }
}

/// Decode a TMP102 temperature register: bit 0 flags the 13-bit extended format
/// (TMP102 datasheet §7.5.4); one count is 0.0625 °C in both formats (rounded to the
/// nearest m°C).
pub fn tmp102_decode(raw: u16) -> Temperature {
    decode(raw, if raw & 1 != 0 { 3 } else { 4 }, 16)
}

/// Encode a TMP102 configuration as its 16-bit register value.
pub fn tmp102_config_word(c: &Tmp102Config) -> u16 {
    let mut w = (c.fault_queue.bits() as u16) << tmp102_conf::FAULT_QUEUE_SHIFT
        | (c.conversion_rate as u16) << tmp102_conf::CR_SHIFT;
    if c.shutdown {
        w |= tmp102_conf::SD;
    }
    if c.thermostat == OsMode::Interrupt {
        w |= tmp102_conf::TM;
    }
    if c.polarity == OsPolarity::ActiveHigh {
        w |= tmp102_conf::POL;
    }
    if c.extended {
        w |= tmp102_conf::EM;
    }
    w
}

/// Decode a TMP102 configuration register value.
pub fn tmp102_config_from_word(w: u16) -> Tmp102Config {
    let (thermostat, polarity) = os_from_bits(w & tmp102_conf::TM != 0, w & tmp102_conf::POL != 0);
    Tmp102Config {
        shutdown: w & tmp102_conf::SD != 0,
        thermostat,
        polarity,
        fault_queue: FaultQueue::from_bits((w >> tmp102_conf::FAULT_QUEUE_SHIFT) as u8),
        conversion_rate: [
            ConversionRate::Hz0_25,
            ConversionRate::Hz1,
            ConversionRate::Hz4,
            ConversionRate::Hz8,
        ][((w >> tmp102_conf::CR_SHIFT) & 3) as usize],
        extended: w & tmp102_conf::EM != 0,
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Tmp102<I2C>
    where
        I2C: I2c,
    {
        /// Read the temperature (12 or 13 bits, as the chip flags in bit 0).
        #[asynch(temperature_async)]
        pub fn temperature(&mut self) -> Result<Temperature, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, TEMP))?;
            Ok(tmp102_decode(w))
        }

        /// Write the configuration register.
        #[asynch(set_config_async)]
        pub fn set_config(&mut self, config: Tmp102Config) -> Result<(), Error<I2C::Error>> {
            let w = tmp102_config_word(&config);
            io!(self.i2c.write(self.address, &be16_write(CONF, w)))?;
            self.extended = config.extended;
            Ok(())
        }

        /// Read the configuration register.
        #[asynch(config_async)]
        pub fn config(&mut self) -> Result<Tmp102Config, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CONF))?;
            let c = tmp102_config_from_word(w);
            self.extended = c.extended;
            Ok(c)
        }

        /// Whether the ALERT condition is active (the AL bit, read relative to POL).
        #[asynch(alert_active_async)]
        pub fn alert_active(&mut self) -> Result<bool, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CONF))?;
            Ok((w & tmp102_conf::AL != 0) == (w & tmp102_conf::POL != 0))
        }

        /// In shutdown mode, start one conversion (sets OS, keeps the rest of `config`).
        #[asynch(one_shot_async)]
        pub fn one_shot(&mut self, config: Tmp102Config) -> Result<(), Error<I2C::Error>> {
            let w = tmp102_config_word(&config) | tmp102_conf::OS | tmp102_conf::SD;
            io!(self.i2c.write(self.address, &be16_write(CONF, w)))?;
            Ok(())
        }

        /// Whether the last one-shot conversion is done: the OS bit, which reads 0 while a
        /// one-shot conversion runs and 1 once it has finished (TMP102 datasheet §7.5.3, "One-Shot/
        /// Conversion Ready"). Meaningful in shutdown mode after [`one_shot`](Self::one_shot).
        #[asynch(conversion_ready_async)]
        pub fn conversion_ready(&mut self) -> Result<bool, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CONF))?;
            Ok(w & tmp102_conf::OS != 0)
        }

        /// Set the high (T_HIGH) and low (T_LOW) thresholds.
        #[asynch(set_thresholds_async)]
        pub fn set_thresholds(
            &mut self,
            low: Temperature,
            high: Temperature,
        ) -> Result<(), Error<I2C::Error>> {
            let shift = self.shift();
            let lo = encode(low, shift, 16).ok_or(Error::InvalidInput)?;
            let hi = encode(high, shift, 16).ok_or(Error::InvalidInput)?;
            io!(self.i2c.write(self.address, &be16_write(THYST, lo)))?;
            io!(self.i2c.write(self.address, &be16_write(TOS, hi)))?;
            Ok(())
        }

        /// Read (T_LOW, T_HIGH).
        #[asynch(thresholds_async)]
        pub fn thresholds(&mut self) -> Result<(Temperature, Temperature), Error<I2C::Error>> {
            let shift = self.shift();
            let (mut lo, mut hi) = ([0; 2], [0; 2]);
            io!(self.i2c.write_read(self.address, &[THYST], &mut lo))?;
            io!(self.i2c.write_read(self.address, &[TOS], &mut hi))?;
            Ok((
                decode(u16::from_be_bytes(lo), shift, 16),
                decode(u16::from_be_bytes(hi), shift, 16),
            ))
        }
    }
});

/// TMP102 one-shot polling: the OS bit is read every [`ONE_SHOT_POLL_US`] up to this many
/// times (40 ms in all, over the datasheet's 35 ms maximum conversion time).
pub const ONE_SHOT_POLLS: u32 = 8;
/// Interval between two polls of the OS bit, in microseconds.
pub const ONE_SHOT_POLL_US: u32 = 5_000;

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Tmp102<I2C>
    where
        I2C: I2c,
    {
        /// One-shot measurement: start a conversion in shutdown mode ([`one_shot`](Self::one_shot)),
        /// poll the OS bit until it reads 1 ([`Error::Timeout`] after [`ONE_SHOT_POLLS`] polls),
        /// read the temperature.
        #[asynch(measure_one_shot_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure_one_shot<D>(
            &mut self,
            config: Tmp102Config,
            delay: &mut D,
        ) -> Result<Temperature, Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.one_shot / one_shot_async(config))?;
            for _ in 0..ONE_SHOT_POLLS {
                if call!(self.conversion_ready / conversion_ready_async())? {
                    return call!(self.temperature / temperature_async());
                }
                io!(delay.delay_us(ONE_SHOT_POLL_US));
            }
            Err(Error::Timeout)
        }
    }
});
