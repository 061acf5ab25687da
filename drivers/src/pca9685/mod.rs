//! NXP PCA9685 16-channel 12-bit PWM controller over I2C: per-channel on/off counts,
//! full on / full off, all-channel writes, duty helper, prescale from a frequency
//! (datasheet §7.3.5), sleep / wake / restart (§7.3.1.1), output driver options (MODE2),
//! all-call and sub-addresses, software reset; and what the registers say, decoded: the
//! PWM frequency from PRE_SCALE and the oscillator ([`PwmFrequency`]), a channel's duty
//! ([`Duty`]) and MODE1's bits ([`Mode1`]).
//!
//! ```no_run
//! # fn demo<I: embedded_hal::i2c::I2c, D: embedded_hal::delay::DelayNs>(i2c: I, mut delay: D)
//! # -> Result<(), udrv_drivers::pca9685::Error<I::Error>> {
//! use udrv_drivers::pca9685::Pca9685;
//! let mut pwm = Pca9685::new(i2c, 0x40);
//! pwm.set_frequency(50, &mut delay)?; // servos
//! pwm.set_duty(0, 307)?; // 1.5 ms of 20 ms: 307/4096
//! # Ok(()) }
//! ```

#[cfg(feature = "sim")]
pub mod model;
mod registers;
mod types;

pub use types::*;

use crate::i2c_regs::{read_regs, read_regs_async, read_u8, read_u8_async};
use embedded_hal::i2c::I2c;
use embedded_hal_async::i2c::I2c as AsyncI2c;

use registers::*;
pub use registers::{ALLCALLADR, OSC_HZ};

/// Errors of the PCA9685 driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The bus failed.
    Bus(E),
    /// Channel not in 0..16.
    InvalidChannel,
    /// A count above 4095 (or a duty above 4096).
    InvalidValue,
    /// The frequency needs a prescale outside 3..=255 (about 24..1526 Hz).
    InvalidFrequency,
}

impl_error!(Error + From, |f, e| match e {
    Error::Bus(b) => write!(f, "PCA9685: I2C error: {b}"),
    Error::InvalidChannel => f.write_str("PCA9685: channels are 0..16"),
    Error::InvalidValue => f.write_str("PCA9685: counts are 0..=4095 (duty 0..=4096)"),
    Error::InvalidFrequency => f.write_str("PCA9685: the frequency must be about 24..1526 Hz"),
});

/// Prescale for an update rate: `round(osc / (4096 × rate)) − 1` (datasheet eq. 1),
/// `None` outside the register's 3..=255.
pub fn prescale_for(hz: u32, osc_hz: u32) -> Option<u8> {
    if hz == 0 {
        return None;
    }
    let den = 4096u64 * hz as u64;
    let p = (osc_hz as u64 * 2 + den) / (2 * den);
    let p = p.checked_sub(1)?;
    (3..=255).contains(&p).then_some(p as u8)
}

/// The 4 register bytes of a channel for on/off counts (each 0..=4095) with the
/// full-on / full-off bits.
pub fn channel_bytes(on: u16, off: u16, full_on: bool, full_off: bool) -> [u8; 4] {
    let [on_l, mut on_h] = on.to_le_bytes();
    let [off_l, mut off_h] = off.to_le_bytes();
    if full_on {
        on_h |= FULL;
    }
    if full_off {
        off_h |= FULL;
    }
    [on_l, on_h, off_l, off_h]
}

/// A PCA9685.
#[derive(Debug)]
pub struct Pca9685<I2C> {
    i2c: I2C,
    address: u8,
    mode1: u8,
    osc_hz: u32,
}

impl<I2C> Pca9685<I2C> {
    /// A driver for the chip at `address` (0x40..=0x7F by A5..A0, except the all-call
    /// and software reset addresses). Call [`init`](Self::init) first: the channel
    /// methods write and read 4 registers at once, which needs MODE1's auto-increment
    /// (off at power-on and after a software reset).
    pub fn new(i2c: I2C, address: u8) -> Self {
        Self {
            i2c,
            address,
            mode1: AI | ALLCALL,
            osc_hz: OSC_HZ,
        }
    }

    /// Use an external clock of `hz` for frequency calculations (EXTCLK is set by
    /// [`use_external_clock`](Self::use_external_clock)); without it, the internal
    /// oscillator's 25 MHz ([`OSC_HZ`]).
    pub fn with_oscillator(mut self, hz: u32) -> Self {
        self.osc_hz = hz;
        self
    }

    /// The oscillator frequency calculations use, Hz.
    pub fn oscillator_hz(&self) -> u32 {
        self.osc_hz
    }

    /// Give the bus back.
    pub fn release(self) -> I2C {
        self.i2c
    }
}

fn check<E>(ch: u8) -> Result<u8, Error<E>> {
    if ch < 16 {
        Ok(LED0_ON_L + 4 * ch)
    } else {
        Err(Error::InvalidChannel)
    }
}

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Pca9685<I2C>
    where
        I2C: I2c,
    {
        /// Write MODE1 = auto-increment + all-call, awake (the oscillator needs 500 µs
        /// before PWM is accurate).
        #[asynch(init_async)]
        pub fn init(&mut self) -> Result<(), Error<I2C::Error>> {
            self.mode1 = AI | ALLCALL;
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            Ok(())
        }

        /// Read MODE1.
        #[asynch(mode1_async)]
        pub fn mode1(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, self.address, MODE1)
            )?)
        }

        /// Whether the chip sleeps (MODE1's SLEEP bit, read): oscillator and outputs off.
        #[asynch(is_asleep_async)]
        pub fn is_asleep(&mut self) -> Result<bool, Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, MODE1))?;
            Ok(Mode1(b).sleep())
        }

        /// Enter low-power sleep (oscillator off, outputs off).
        #[asynch(sleep_async)]
        pub fn sleep(&mut self) -> Result<(), Error<I2C::Error>> {
            self.mode1 |= SLEEP;
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            Ok(())
        }

        /// Leave sleep (clear SLEEP; RESTART is not touched).
        #[asynch(wake_async)]
        pub fn wake(&mut self) -> Result<(), Error<I2C::Error>> {
            self.mode1 &= !SLEEP;
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            Ok(())
        }

        /// If MODE1 shows RESTART (PWM was running when put to sleep), write RESTART to
        /// resume all channels; returns whether it did. Call at least 500 µs after
        /// [`wake`](Self::wake) (datasheet §7.3.1.1).
        #[asynch(restart_async)]
        pub fn restart(&mut self) -> Result<bool, Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, MODE1))?;
            if b & RESTART == 0 {
                return Ok(false);
            }
            io!(self.i2c.write(self.address, &[MODE1, self.mode1 | RESTART]))?;
            Ok(true)
        }

        /// Set PRE_SCALE directly; the chip must sleep for the write to take (this method
        /// puts it to sleep and leaves it asleep: call [`wake`](Self::wake) and
        /// [`restart`](Self::restart) afterwards).
        #[asynch(set_prescale_async)]
        pub fn set_prescale(&mut self, prescale: u8) -> Result<(), Error<I2C::Error>> {
            if prescale < 3 {
                return Err(Error::InvalidFrequency);
            }
            self.mode1 = (self.mode1 | SLEEP) & !RESTART;
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            io!(self.i2c.write(self.address, &[PRE_SCALE, prescale]))?;
            Ok(())
        }

        /// Read PRE_SCALE.
        #[asynch(prescale_async)]
        pub fn prescale(&mut self) -> Result<u8, Error<I2C::Error>> {
            Ok(call!(
                read_u8 / read_u8_async(&mut self.i2c, self.address, PRE_SCALE)
            )?)
        }

        /// The PWM frequency: PRE_SCALE, read, with the oscillator set by
        /// [`with_oscillator`](Pca9685::with_oscillator) (25 MHz by default).
        #[asynch(frequency_async)]
        pub fn frequency(&mut self) -> Result<PwmFrequency, Error<I2C::Error>> {
            let b = call!(read_u8 / read_u8_async(&mut self.i2c, self.address, PRE_SCALE))?;
            Ok(PwmFrequency::new(b, self.osc_hz))
        }

        /// Set a channel's on and off counts (0..=4095 each).
        #[asynch(set_channel_async)]
        pub fn set_channel(&mut self, ch: u8, on: u16, off: u16) -> Result<(), Error<I2C::Error>> {
            let reg = check(ch)?;
            if on > 4095 || off > 4095 {
                return Err(Error::InvalidValue);
            }
            let b = channel_bytes(on, off, false, false);
            io!(self.i2c.write(self.address, &[reg, b[0], b[1], b[2], b[3]]))?;
            Ok(())
        }

        /// Set a channel fully on (no PWM).
        #[asynch(set_channel_full_on_async)]
        pub fn set_channel_full_on(&mut self, ch: u8) -> Result<(), Error<I2C::Error>> {
            let reg = check(ch)?;
            let b = channel_bytes(0, 0, true, false);
            io!(self.i2c.write(self.address, &[reg, b[0], b[1], b[2], b[3]]))?;
            Ok(())
        }

        /// Set a channel fully off.
        #[asynch(set_channel_full_off_async)]
        pub fn set_channel_full_off(&mut self, ch: u8) -> Result<(), Error<I2C::Error>> {
            let reg = check(ch)?;
            let b = channel_bytes(0, 0, false, true);
            io!(self.i2c.write(self.address, &[reg, b[0], b[1], b[2], b[3]]))?;
            Ok(())
        }

        /// Set a duty cycle in 1/4096: 0 is full off, 4096 full on, otherwise on at 0 and
        /// off at `duty`.
        #[asynch(set_duty_async)]
        pub fn set_duty(&mut self, ch: u8, duty: u16) -> Result<(), Error<I2C::Error>> {
            let reg = check(ch)?;
            let b = match duty {
                0 => channel_bytes(0, 0, false, true),
                4096 => channel_bytes(0, 0, true, false),
                d if d < 4096 => channel_bytes(0, d, false, false),
                _ => return Err(Error::InvalidValue),
            };
            io!(self.i2c.write(self.address, &[reg, b[0], b[1], b[2], b[3]]))?;
            Ok(())
        }

        /// Set all channels at once (ALL_LED registers).
        #[asynch(set_all_async)]
        pub fn set_all(&mut self, on: u16, off: u16) -> Result<(), Error<I2C::Error>> {
            if on > 4095 || off > 4095 {
                return Err(Error::InvalidValue);
            }
            let b = channel_bytes(on, off, false, false);
            io!(self
                .i2c
                .write(self.address, &[ALL_LED_ON_L, b[0], b[1], b[2], b[3]]))?;
            Ok(())
        }

        /// Read a channel's (on, off) registers as 13-bit values (bit 12 = full on/off).
        #[asynch(channel_async)]
        pub fn channel(&mut self, ch: u8) -> Result<(u16, u16), Error<I2C::Error>> {
            let reg = check(ch)?;
            let b: [u8; 4] = call!(read_regs / read_regs_async(&mut self.i2c, self.address, reg))?;
            Ok((
                u16::from_le_bytes([b[0], b[1]]),
                u16::from_le_bytes([b[2], b[3]]),
            ))
        }

        /// A channel's output, decoded from its registers (needs auto-increment, as
        /// [`channel`](Pca9685::channel)).
        #[asynch(duty_async)]
        pub fn duty(&mut self, ch: u8) -> Result<Duty, Error<I2C::Error>> {
            let reg = check(ch)?;
            let b: [u8; 4] = call!(read_regs / read_regs_async(&mut self.i2c, self.address, reg))?;
            Ok(Duty::from_registers(
                u16::from_le_bytes([b[0], b[1]]),
                u16::from_le_bytes([b[2], b[3]]),
            ))
        }

        /// Configure the output stage (MODE2).
        #[asynch(set_output_config_async)]
        pub fn set_output_config(&mut self, cfg: OutputConfig) -> Result<(), Error<I2C::Error>> {
            let mut m2 = 0;
            if cfg.invert {
                m2 |= INVRT;
            }
            if cfg.change_on_ack {
                m2 |= OCH;
            }
            if cfg.totem_pole {
                m2 |= OUTDRV;
            }
            io!(self.i2c.write(self.address, &[MODE2, m2]))?;
            Ok(())
        }

        /// Respond to the 7-bit all-call address `addr` (power-on 0x70), or stop responding.
        #[asynch(set_all_call_async)]
        pub fn set_all_call(&mut self, addr: Option<u8>) -> Result<(), Error<I2C::Error>> {
            if let Some(a) = addr {
                io!(self.i2c.write(self.address, &[ALLCALLADR, a << 1]))?;
                self.mode1 |= ALLCALL;
            } else {
                self.mode1 &= !ALLCALL;
            }
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            Ok(())
        }

        /// Software reset of every PCA9685 on the bus (SWRST to general call 0x00); call
        /// [`init`](Self::init) afterwards.
        #[asynch(software_reset_async)]
        pub fn software_reset(&mut self) -> Result<(), Error<I2C::Error>> {
            io!(self.i2c.write(0x00, &[SWRST]))?;
            self.mode1 = SLEEP | ALLCALL;
            Ok(())
        }

        /// Select the external clock on EXTCLK (sticky until reset; set while asleep).
        #[asynch(use_external_clock_async)]
        pub fn use_external_clock(&mut self) -> Result<(), Error<I2C::Error>> {
            self.mode1 |= SLEEP;
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            self.mode1 |= EXTCLK;
            io!(self.i2c.write(self.address, &[MODE1, self.mode1]))?;
            Ok(())
        }
    }
});

dual_impl!({
    #[asynch(I2C: AsyncI2c)]
    impl<I2C> Pca9685<I2C>
    where
        I2C: I2c,
    {
        /// Set the PWM frequency: sleep, write the prescale, wake, wait 500 µs, restart.
        #[asynch(set_frequency_async, D: embedded_hal_async::delay::DelayNs)]
        pub fn set_frequency<D>(&mut self, hz: u32, delay: &mut D) -> Result<(), Error<I2C::Error>>
        where
            D: embedded_hal::delay::DelayNs,
        {
            let p = prescale_for(hz, self.osc_hz).ok_or(Error::InvalidFrequency)?;
            call!(self.set_prescale / set_prescale_async(p))?;
            call!(self.wake / wake_async())?;
            io!(delay.delay_us(500));
            call!(self.restart / restart_async())?;
            Ok(())
        }
    }
});
