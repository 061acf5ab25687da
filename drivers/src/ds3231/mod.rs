//! Maxim DS3231 real-time clock over I2C: date and time (BCD, 12/24-hour, century),
//! both alarms with every match mode of datasheet table 2, alarm flags and the INT/SQW
//! pin (interrupt or square wave), 32 kHz output, temperature (0.25 °C), forced
//! conversion, aging offset, oscillator-stop flag.
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c>(i2c: I) -> Result<(), udrv_drivers::ds3231::Error<I::Error>> {
//! use udrv_drivers::ds3231::{Alarm2, DateTime, Ds3231};
//! let mut rtc = Ds3231::new(i2c);
//! if rtc.oscillator_stopped()? {
//!     rtc.set_datetime(&DateTime::new(2026, 11, 22, 7, 12, 0, 0).unwrap())?;
//!     rtc.clear_oscillator_stopped()?;
//! }
//! rtc.set_alarm2(Alarm2::HoursMinutes { hour: 7, minute: 30 })?;
//! rtc.set_alarm_interrupts(false, true)?; // INT/SQW goes low at 07:30:00
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
use crate::Temperature;
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

use registers::*;

/// The fixed I2C address.
pub const ADDRESS: u8 = 0x68;

/// Errors of the DS3231 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// A date, time or alarm field out of range.
    InvalidInput,
    /// The chip returned a register that is not valid BCD or out of range.
    InvalidRegister,
    /// A temperature conversion is already running (BSY).
    Busy,
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "DS3231: I2C error: {b}"),
    Error::InvalidInput => f.write_str("DS3231: a date, time or alarm field is out of range"),
    Error::InvalidRegister =>
        f.write_str("DS3231: the time registers hold no valid date (never set?): set the time",),
    Error::Busy => f.write_str("DS3231: a temperature conversion is already running"),
});

/// Days in a month as the DS3231 counts them (leap year when the year is divisible by 4;
/// right for 2000..=2099).
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Binary to BCD (0..=99).
pub fn bcd(v: u8) -> u8 {
    ((v / 10) << 4) | (v % 10)
}

/// BCD to binary, `None` for a nibble above 9.
pub fn from_bcd(b: u8) -> Option<u8> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    (hi <= 9 && lo <= 9).then_some(hi * 10 + lo)
}

/// Decode an hours register in 12- or 24-hour mode to 0..=23.
pub fn decode_hour(r: u8) -> Option<u8> {
    if r & H12 != 0 {
        let h = from_bcd(r & 0x1F)?;
        if !(1..=12).contains(&h) {
            return None;
        }
        Some(h % 12 + if r & PM != 0 { 12 } else { 0 })
    } else {
        let h = from_bcd(r & 0x3F)?;
        (h < 24).then_some(h)
    }
}

fn field(v: u8, max: u8, min: u8) -> Option<u8> {
    (min..=max).contains(&v).then(|| bcd(v))
}

/// Encode alarm 1 as its 4 registers (0x07..=0x0A), `None` if a field is out of range.
pub fn encode_alarm1(a: &Alarm1) -> Option<[u8; 4]> {
    use Alarm1::*;
    let day = match *a {
        Date { date, .. } => field(date, 31, 1)?,
        Weekday { weekday, .. } => DY | field(weekday, 7, 1)?,
        _ => AM,
    };
    // The time fields that must match (`None`: masked, AM set).
    let (second, minute, hour) = match *a {
        EverySecond => (None, None, None),
        Seconds { second } => (Some(second), None, None),
        MinutesSeconds { minute, second } => (Some(second), Some(minute), None),
        HoursMinutesSeconds {
            hour,
            minute,
            second,
        }
        | Date {
            hour,
            minute,
            second,
            ..
        }
        | Weekday {
            hour,
            minute,
            second,
            ..
        } => (Some(second), Some(minute), Some(hour)),
    };
    let time = |v: Option<u8>, max| v.map_or(Some(AM), |v| field(v, max, 0));
    Some([time(second, 59)?, time(minute, 59)?, time(hour, 23)?, day])
}

/// Encode alarm 2 as its 3 registers (0x0B..=0x0D), `None` if a field is out of range:
/// alarm 1's registers from the minutes on, the same fields in the same format.
pub fn encode_alarm2(a: &Alarm2) -> Option<[u8; 3]> {
    let second = 0;
    let a1 = match *a {
        Alarm2::EveryMinute => Alarm1::EverySecond,
        Alarm2::Minutes { minute } => Alarm1::MinutesSeconds { minute, second },
        Alarm2::HoursMinutes { hour, minute } => Alarm1::HoursMinutesSeconds {
            hour,
            minute,
            second,
        },
        Alarm2::Date { date, hour, minute } => Alarm1::Date {
            date,
            hour,
            minute,
            second,
        },
        Alarm2::Weekday {
            weekday,
            hour,
            minute,
        } => Alarm1::Weekday {
            weekday,
            hour,
            minute,
            second,
        },
    };
    let [_, minute, hour, day] = encode_alarm1(&a1)?;
    Some([minute, hour, day])
}

/// Decode the temperature registers: a 10-bit two's complement value in 0.25 °C, the
/// integer part in the MSB and the fraction in bits 7:6 of the LSB.
pub fn decode_temperature(msb: u8, lsb: u8) -> Temperature {
    let quarters = ((i16::from_be_bytes([msb, lsb])) >> 6) as i32;
    Temperature(quarters * 250)
}

/// A DS3231 at its fixed address 0x68.
#[derive(Debug)]
pub struct Ds3231<I2C> {
    i2c: I2C,
}

impl<I2C> Ds3231<I2C> {
    /// A driver for the DS3231.
    pub fn new(i2c: I2C) -> Self {
        Self { i2c }
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Ds3231<I2C>
    where
        I2C: I2c,
    {
        /// Read the date and time (one burst read, consistent thanks to the chip's buffer).
        #[asynch(datetime_async)]
        pub fn datetime(&mut self) -> Result<DateTime, Error<I2C::Error>> {
            let r: [u8; 7] = call!(read_regs / read_regs_async(&mut self.i2c, ADDRESS, SECONDS))?;
            DateTime::from_registers(&r).ok_or(Error::InvalidRegister)
        }

        /// Set the date and time (24-hour mode); writing the seconds restarts the
        /// one-second countdown.
        #[asynch(set_datetime_async)]
        pub fn set_datetime(&mut self, dt: &DateTime) -> Result<(), Error<I2C::Error>> {
            let dt = DateTime::new(
                dt.year, dt.month, dt.day, dt.weekday, dt.hour, dt.minute, dt.second,
            )
            .ok_or(Error::InvalidInput)?;
            let r = dt.to_registers();
            io!(self.i2c.write(
                ADDRESS,
                &[SECONDS, r[0], r[1], r[2], r[3], r[4], r[5], r[6]]
            ))?;
            Ok(())
        }

        /// Program alarm 1 (its interrupt enable is separate).
        #[asynch(set_alarm1_async)]
        pub fn set_alarm1(&mut self, alarm: Alarm1) -> Result<(), Error<I2C::Error>> {
            let r = encode_alarm1(&alarm).ok_or(Error::InvalidInput)?;
            io!(self.i2c.write(ADDRESS, &[ALARM1, r[0], r[1], r[2], r[3]]))?;
            Ok(())
        }

        /// Program alarm 2.
        #[asynch(set_alarm2_async)]
        pub fn set_alarm2(&mut self, alarm: Alarm2) -> Result<(), Error<I2C::Error>> {
            let r = encode_alarm2(&alarm).ok_or(Error::InvalidInput)?;
            io!(self.i2c.write(ADDRESS, &[ALARM2, r[0], r[1], r[2]]))?;
            Ok(())
        }

        /// Read the control register.
        #[asynch(control_async)]
        pub fn control(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, ADDRESS, CONTROL)
            )?)
        }

        /// Read the status register.
        #[asynch(status_async)]
        pub fn status(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, ADDRESS, STATUS)
            )?)
        }

        /// Make INT/SQW the alarm interrupt output (INTCN = 1) and enable the alarms'
        /// interrupts; the pin goes low while an enabled alarm's flag is set.
        #[asynch(set_alarm_interrupts_async)]
        pub fn set_alarm_interrupts(
            &mut self,
            alarm1: bool,
            alarm2: bool,
        ) -> Result<(), Error<I2C::Error>> {
            let set = |c: u8| {
                let mut c = (c & !(A1IE | A2IE | CONV)) | INTCN;
                if alarm1 {
                    c |= A1IE;
                }
                if alarm2 {
                    c |= A2IE;
                }
                c
            };
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, CONTROL, set)
            )?)
        }

        /// Read the (alarm 1, alarm 2) flags.
        #[asynch(alarm_flags_async)]
        pub fn alarm_flags(&mut self) -> Result<(bool, bool), Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, ADDRESS, STATUS))?;
            Ok((b & A1F != 0, b & A2F != 0))
        }

        /// Clear the chosen alarm flags (releases INT); other flags are kept.
        #[asynch(clear_alarm_flags_async)]
        pub fn clear_alarm_flags(
            &mut self,
            alarm1: bool,
            alarm2: bool,
        ) -> Result<(), Error<I2C::Error>> {
            let clear = |s: u8| {
                // Flags can only be written to 0; writing 1 keeps them as they are.
                let mut s = s | A1F | A2F;
                if alarm1 {
                    s &= !A1F;
                }
                if alarm2 {
                    s &= !A2F;
                }
                s & !BSY
            };
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, STATUS, clear)
            )?)
        }

        /// Output a square wave on INT/SQW (INTCN = 0; alarm interrupts no longer reach
        /// the pin).
        #[asynch(set_square_wave_async)]
        pub fn set_square_wave(&mut self, freq: SquareWave) -> Result<(), Error<I2C::Error>> {
            let set = |c: u8| (c & !(INTCN | CONV | (3 << RS_SHIFT))) | (freq as u8) << RS_SHIFT;
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, CONTROL, set)
            )?)
        }

        /// Enable or disable the 32 kHz output.
        #[asynch(set_32khz_output_async)]
        pub fn set_32khz_output(&mut self, on: bool) -> Result<(), Error<I2C::Error>> {
            let set = |s: u8| {
                let s = (s | A1F | A2F | OSF) & !(EN32KHZ | BSY);
                if on {
                    s | EN32KHZ
                } else {
                    s
                }
            };
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, STATUS, set)
            )?)
        }

        /// Whether the oscillator stopped at some point (power loss, EOSC): the time is
        /// not to be trusted until set.
        #[asynch(oscillator_stopped_async)]
        pub fn oscillator_stopped(&mut self) -> Result<bool, Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, ADDRESS, STATUS))?;
            Ok(b & OSF != 0)
        }

        /// Clear the oscillator-stop flag.
        #[asynch(clear_oscillator_stopped_async)]
        pub fn clear_oscillator_stopped(&mut self) -> Result<(), Error<I2C::Error>> {
            let clear = |s: u8| (s | A1F | A2F) & !(OSF | BSY);
            Ok(call!(
                modify_u8 / modify_u8_async(&mut self.i2c, ADDRESS, STATUS, clear)
            )?)
        }

        /// Read the temperature (updated every 64 s, or on demand with
        /// [`convert_temperature`](Self::convert_temperature)).
        #[asynch(temperature_async)]
        pub fn temperature(&mut self) -> Result<Temperature, Error<I2C::Error>> {
            let b: [u8; 2] = call!(read_regs / read_regs_async(&mut self.i2c, ADDRESS, TEMP_MSB))?;
            Ok(decode_temperature(b[0], b[1]))
        }

        /// Start a temperature conversion (CONV), unless one is running (BSY).
        #[asynch(convert_temperature_async)]
        pub fn convert_temperature(&mut self) -> Result<(), Error<I2C::Error>> {
            let b: [u8; 2] = call!(read_regs / read_regs_async(&mut self.i2c, ADDRESS, CONTROL))?;
            if b[1] & BSY != 0 || b[0] & CONV != 0 {
                return Err(Error::Busy);
            }
            io!(self.i2c.write(ADDRESS, &[CONTROL, b[0] | CONV]))?;
            Ok(())
        }

        /// Whether a commanded temperature conversion is still running (CONV reads 1).
        #[asynch(is_converting_async)]
        pub fn is_converting(&mut self) -> Result<bool, Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, ADDRESS, CONTROL))?;
            Ok(b & CONV != 0)
        }

        /// Set the aging offset (signed; 0.1 ppm per LSB at 25 °C, typical).
        #[asynch(set_aging_offset_async)]
        pub fn set_aging_offset(&mut self, offset: i8) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(ADDRESS, &[AGING, offset as u8]))?;
            Ok(())
        }
    }
});
