//! TI ADS1115 (16-bit) and ADS1015 (12-bit) I2C ADCs: input multiplexer, programmable gain
//! (full-scale range), data rate, single-shot and continuous modes as type states, and the
//! comparator / ALERT-RDY pin (traditional or window, latching, queue, conversion-ready).
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::ads1x1x::Error<I::Error>> {
//! use udrv_drivers::ads1x1x::{Ads1x1x, Channel, FullScale, Variant};
//! let mut adc = Ads1x1x::new(i2c, 0x48, Variant::Ads1115);
//! adc.set_full_scale(FullScale::V4_096)?;
//! let v = adc.measure(Channel::SingleA0, &mut delay)?;
//! println!("{} mV", v.as_millivolts());
//! // continuous mode: a different type, so single-shot calls cannot be made by mistake
//! let mut adc = adc.into_continuous().map_err(|(e, _)| e)?;
//! let v = adc.read()?;
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod registers;
mod types;

pub use types::*;

use crate::i2c_regs::{be16_write, read_be16, read_be16_async};
use crate::Voltage;
use core::marker::PhantomData;
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

use registers::*;

/// Errors of the ADS1x1x driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A single-shot conversion did not finish in time.
    Timeout,
}

impl_error!(Error + From, |f, e| {
    match e {
        Error::Bus(b) => write!(f, "ADS1x1x: I2C error: {b}"),
        Error::Timeout => f.write_str(
            "ADS1x1x: the conversion did not finish in time (OS never read \
            1): check the data rate and the chip's supply",
        ),
    }
});

/// The result of a mode change: the driver in its new mode, or the error and the
/// driver still in its old mode.
pub type ModeChange<I2C, TO, FROM, E> = Result<Ads1x1x<I2C, TO>, (Error<E>, Ads1x1x<I2C, FROM>)>;

/// Type state: single-shot (power-down between conversions).
#[derive(Debug)]
pub struct OneShot;
/// Type state: continuous conversion.
#[derive(Debug)]
pub struct Continuous;

mod sealed {
    pub trait Mode {}
    impl Mode for super::OneShot {}
    impl Mode for super::Continuous {}
}

/// An ADS1115 or ADS1015 in mode `MODE` ([`OneShot`] or [`Continuous`]).
#[derive(Debug)]
pub struct Ads1x1x<I2C, MODE> {
    i2c: I2C,
    address: u8,
    variant: Variant,
    config: u16,
    _mode: PhantomData<MODE>,
}

/// Convert a conversion register value to a voltage for a full-scale range: one LSB is
/// FSR / 2^15 for the ADS1115 and FSR / 2^11 for the ADS1015 (datasheet table 3), which
/// is the same as reading the left-justified 16-bit register against FSR / 2^15.
/// Rounded to the nearest microvolt.
pub fn to_voltage(raw: i16, variant: Variant, fs: FullScale) -> Voltage {
    let code = match variant {
        Variant::Ads1115 => raw as i64,
        Variant::Ads1015 => ((raw >> 4) as i64) << 4,
    };
    let n = code * fs.microvolts() as i64;
    let q = if n >= 0 {
        (n + 16384) >> 15
    } else {
        -((-n + 16384) >> 15)
    };
    Voltage(q as i32)
}

/// The code a threshold register needs for `v` (rounded, saturated).
pub fn from_voltage(v: Voltage, variant: Variant, fs: FullScale) -> i16 {
    let n = v.0 as i64 * 32768;
    let d = fs.microvolts() as i64;
    let q = if n >= 0 {
        (n + d / 2) / d
    } else {
        (n - d / 2) / d
    };
    let q = q.clamp(-32768, 32767) as i16;
    match variant {
        Variant::Ads1115 => q,
        Variant::Ads1015 => q & !0xF,
    }
}

impl<I2C> Ads1x1x<I2C, OneShot> {
    /// A driver for the chip at `address` (0x48..=0x4B by ADDR pin), assuming power-on
    /// configuration (single-shot, AIN0-AIN1, ±2.048 V, comparator off).
    pub fn new(i2c: I2C, address: u8, variant: Variant) -> Self {
        Self {
            i2c,
            address,
            variant,
            config: CONFIG_DEFAULT & !OS,
            _mode: PhantomData,
        }
    }
}

impl<I2C, MODE: sealed::Mode> Ads1x1x<I2C, MODE> {
    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }

    /// The configured full-scale range.
    pub fn full_scale(&self) -> FullScale {
        [
            FullScale::V6_144,
            FullScale::V4_096,
            FullScale::V2_048,
            FullScale::V1_024,
            FullScale::V0_512,
            FullScale::V0_256,
        ][(((self.config >> PGA_SHIFT) & 7) as usize).min(5)]
    }

    /// The configuration register value the driver last wrote (without OS).
    pub fn config_register(&self) -> u16 {
        self.config
    }

    /// Convert a raw result with the current full-scale range.
    pub fn to_voltage(&self, raw: i16) -> Voltage {
        to_voltage(raw, self.variant, self.full_scale())
    }

    fn with_mode<M>(self, config: u16) -> Ads1x1x<I2C, M> {
        Ads1x1x {
            i2c: self.i2c,
            address: self.address,
            variant: self.variant,
            config,
            _mode: PhantomData,
        }
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C, MODE: sealed::Mode> Ads1x1x<I2C, MODE>
    where
        I2C: I2c,
    {
        /// Read the configuration register.
        #[asynch(read_config_async)]
        pub fn read_config(&mut self) -> Result<u16, Error<I2C::Error>> {
            Ok(call!(
                read_be16 / read_be16_async(&mut self.i2c, self.address, CONFIG)
            )?)
        }

        /// Read the conversion register as is (left-justified for the ADS1015).
        #[asynch(read_raw_async)]
        pub fn read_raw(&mut self) -> Result<i16, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CONVERSION))?;
            Ok(w as i16)
        }

        /// Set the full-scale range (PGA).
        #[asynch(set_full_scale_async)]
        pub fn set_full_scale(&mut self, fs: FullScale) -> Result<(), Error<I2C::Error>> {
            let c = (self.config & !(7 << PGA_SHIFT)) | (fs as u16) << PGA_SHIFT;
            io!(self.i2c.write(self.address, &be16_write(CONFIG, c)))?;
            self.config = c;
            Ok(())
        }

        /// Set the data rate.
        #[asynch(set_data_rate_async)]
        pub fn set_data_rate(&mut self, dr: DataRate) -> Result<(), Error<I2C::Error>> {
            let c = (self.config & !(7 << DR_SHIFT)) | (dr as u16) << DR_SHIFT;
            io!(self.i2c.write(self.address, &be16_write(CONFIG, c)))?;
            self.config = c;
            Ok(())
        }

        /// Enable the comparator on the ALERT/RDY pin.
        #[asynch(set_comparator_async)]
        pub fn set_comparator(&mut self, comp: Comparator) -> Result<(), Error<I2C::Error>> {
            let mut c = self.config & !(COMP_WINDOW | COMP_POL_HIGH | COMP_LAT | COMP_QUE_MASK);
            if comp.mode == ComparatorMode::Window {
                c |= COMP_WINDOW;
            }
            if comp.active_high {
                c |= COMP_POL_HIGH;
            }
            if comp.latching {
                c |= COMP_LAT;
            }
            c |= comp.queue as u16;
            io!(self.i2c.write(self.address, &be16_write(CONFIG, c)))?;
            self.config = c;
            Ok(())
        }

        /// Disable the comparator (ALERT/RDY high impedance).
        #[asynch(disable_comparator_async)]
        pub fn disable_comparator(&mut self) -> Result<(), Error<I2C::Error>> {
            let c = self.config | COMP_QUE_MASK;
            io!(self.i2c.write(self.address, &be16_write(CONFIG, c)))?;
            self.config = c;
            Ok(())
        }

        /// Set the comparator thresholds as raw codes.
        #[asynch(set_thresholds_raw_async)]
        pub fn set_thresholds_raw(&mut self, low: i16, high: i16) -> Result<(), Error<I2C::Error>> {
            io!(self
                .i2c
                .write(self.address, &be16_write(LO_THRESH, low as u16)))?;
            io!(self
                .i2c
                .write(self.address, &be16_write(HI_THRESH, high as u16)))?;
            Ok(())
        }

        /// Set the comparator thresholds as voltages at the current full-scale range.
        #[asynch(set_thresholds_async)]
        pub fn set_thresholds(
            &mut self,
            low: Voltage,
            high: Voltage,
        ) -> Result<(), Error<I2C::Error>> {
            let fs = self.full_scale();
            let (low, high) = (
                from_voltage(low, self.variant, fs),
                from_voltage(high, self.variant, fs),
            );
            call!(self.set_thresholds_raw / set_thresholds_raw_async(low, high))
        }

        /// Make ALERT/RDY a conversion-ready signal: Hi_thresh MSB 1, Lo_thresh MSB 0
        /// (datasheet §9.3.8), comparator enabled with queue one.
        #[asynch(use_alert_as_ready_async)]
        pub fn use_alert_as_ready(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(self.address, &[LO_THRESH, 0x00, 0x00]))?;
            io!(self.i2c.write(self.address, &[HI_THRESH, 0x80, 0x00]))?;
            let c = self.config & !COMP_QUE_MASK;
            io!(self.i2c.write(self.address, &be16_write(CONFIG, c)))?;
            self.config = c;
            Ok(())
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Ads1x1x<I2C, OneShot>
    where
        I2C: I2c,
    {
        /// Start a single conversion of `channel` (sets MUX and OS).
        #[asynch(start_async)]
        pub fn start(&mut self, channel: Channel) -> Result<(), Error<I2C::Error>> {
            let c = (self.config & !(7 << MUX_SHIFT)) | (channel as u16) << MUX_SHIFT | MODE_SINGLE;
            let b = (c | OS).to_be_bytes();
            io!(self.i2c.write(self.address, &[CONFIG, b[0], b[1]]))?;
            self.config = c;
            Ok(())
        }

        /// Whether the conversion is done (OS reads 1).
        #[asynch(is_ready_async)]
        pub fn is_ready(&mut self) -> Result<bool, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CONFIG))?;
            Ok(w & OS != 0)
        }

        /// Switch to continuous conversions (of the channel last used). On error the
        /// one-shot driver comes back with it.
        #[asynch(into_continuous_async)]
        pub fn into_continuous(self) -> ModeChange<I2C, Continuous, OneShot, I2C::Error> {
            let mut this = self;
            let c = this.config & !MODE_SINGLE;
            let b = c.to_be_bytes();
            match io!(this.i2c.write(this.address, &[CONFIG, b[0], b[1]])) {
                Ok(()) => Ok(this.with_mode(c)),
                Err(e) => Err((Error::Bus(e), this)),
            }
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Ads1x1x<I2C, OneShot>
    where
        I2C: I2c,
    {
        /// Convert `channel` once: start, wait one conversion period (1/DR + 10 %), then poll
        /// OS every 100 µs (at most 100 times) and read the result.
        #[asynch(measure_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn measure<D>(
            &mut self,
            channel: Channel,
            delay: &mut D,
        ) -> Result<Voltage, Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            call!(self.start / start_async(channel))?;
            io!(delay.delay_us(self.conversion_time_us()));
            for _ in 0..100 {
                if call!(self.is_ready / is_ready_async())? {
                    let raw = call!(self.read_raw / read_raw_async())?;
                    return Ok(self.to_voltage(raw));
                }
                io!(delay.delay_us(100));
            }
            Err(Error::Timeout)
        }
    }
});

impl<I2C> Ads1x1x<I2C, OneShot> {
    /// One conversion period plus 10 % (the internal oscillator's tolerance), in µs.
    pub fn conversion_time_us(&self) -> u32 {
        let dr = [
            DataRate::R0,
            DataRate::R1,
            DataRate::R2,
            DataRate::R3,
            DataRate::R4,
            DataRate::R5,
            DataRate::R6,
            DataRate::R7,
        ][((self.config >> DR_SHIFT) & 7) as usize];
        1_100_000 / dr.sps(self.variant) + 1
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Ads1x1x<I2C, Continuous>
    where
        I2C: I2c,
    {
        /// The latest conversion as a voltage.
        #[asynch(read_async)]
        pub fn read(&mut self) -> Result<Voltage, Error<I2C::Error>> {
            let w = call!(read_be16 / read_be16_async(&mut self.i2c, self.address, CONVERSION))?;
            Ok(self.to_voltage(w as i16))
        }

        /// Select another input (takes effect from the next conversion).
        #[asynch(set_channel_async)]
        pub fn set_channel(&mut self, channel: Channel) -> Result<(), Error<I2C::Error>> {
            let c = (self.config & !(7 << MUX_SHIFT)) | (channel as u16) << MUX_SHIFT;
            io!(self.i2c.write(self.address, &be16_write(CONFIG, c)))?;
            self.config = c;
            Ok(())
        }

        /// Back to single-shot (power-down) mode.
        #[asynch(into_one_shot_async)]
        pub fn into_one_shot(self) -> ModeChange<I2C, OneShot, Continuous, I2C::Error> {
            let mut this = self;
            let c = this.config | MODE_SINGLE;
            let b = c.to_be_bytes();
            match io!(this.i2c.write(this.address, &[CONFIG, b[0], b[1]])) {
                Ok(()) => Ok(this.with_mode(c)),
                Err(e) => Err((Error::Bus(e), this)),
            }
        }
    }
});
