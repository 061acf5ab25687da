//! PWM outputs a kernel driver drives (`/sys/class/pwm/pwmchipN`), through the sysfs
//! interface of the kernel's Documentation/ABI/testing/sysfs-class-pwm: a channel is
//! exported (`export`, which makes `pwmM/`), then its `period` and `duty_cycle` (in
//! nanoseconds), `polarity` (`normal` or `inversed`) and `enable` (`0`/`1`) are written.
//! The kernel refuses a duty cycle longer than the period (`EINVAL`), so
//! [`PwmChannel::configure`] writes the two in the order that keeps the duty within the
//! period at every step, and a duty above the period is refused here before anything is
//! written. An exported channel is an embedded-hal [`SetDutyCycle`].
//!
//! ```no_run
//! use udrv_core::pwm::PwmChip;
//! use udrv_core::sysfs::SysRoot;
//!
//! let chip = PwmChip::open(&SysRoot::system(), 0)?;
//! let mut ch = chip.channel(0)?; // exported if it was not
//! ch.configure(1_000_000, 250_000)?; // 1 kHz, 25 %
//! ch.enable(true)?;
//! # Ok::<(), udrv_core::pwm::Error>(())
//! ```

use std::fmt;
use std::path::Path;

use embedded_hal::pwm::{ErrorKind, ErrorType, SetDutyCycle};

use crate::sysfs::{AttrError, Dev, Problem, SysRoot};

/// Errors of the [`pwm`](self) module.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No `pwmchipN`.
    NoChip {
        /// The chip number.
        chip: u32,
        /// The chips there are.
        has: Vec<u32>,
    },
    /// The chip has no such channel (`npwm` says how many it has).
    NoChannel {
        /// The chip.
        chip: u32,
        /// The channel asked for.
        channel: u32,
        /// How many it has.
        npwm: u32,
    },
    /// `export` was written but `pwmM/` did not appear.
    NotExported {
        /// `pwmchipN/pwmM`.
        device: String,
    },
    /// A duty cycle longer than the period.
    DutyAbovePeriod {
        /// `pwmchipN/pwmM`.
        device: String,
        /// The duty cycle asked for, in ns.
        duty_ns: u64,
        /// The period, in ns.
        period_ns: u64,
    },
    /// A period of 0, or a frequency that gives none.
    BadPeriod {
        /// `pwmchipN/pwmM`.
        device: String,
        /// What was asked.
        what: String,
    },
    /// An attribute could not be read or written (`EBUSY` from `export`: the channel is
    /// in use by a kernel driver or already exported by another program).
    Attr(AttrError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoChip { chip, has } => {
                write!(f, "pwm: no pwmchip{chip}")?;
                if has.is_empty() {
                    write!(
                        f,
                        " (there is no PWM chip: on a Raspberry Pi enable one with \
                         `dtoverlay=pwm` or `dtoverlay=pwm-2chan` in config.txt)"
                    )
                } else {
                    let h: Vec<String> = has.iter().map(|c| format!("pwmchip{c}")).collect();
                    write!(f, "; there are: {}", h.join(", "))
                }
            }
            Error::NoChannel {
                chip,
                channel,
                npwm,
            } => write!(
                f,
                "pwm: pwmchip{chip} has no channel {channel}: it has {npwm} (0-{})",
                npwm.saturating_sub(1)
            ),
            Error::NotExported { device } => write!(
                f,
                "pwm: {device}: writing `export` did not create the channel's folder; check \
                 the kernel log (`dmesg`)"
            ),
            Error::DutyAbovePeriod {
                device,
                duty_ns,
                period_ns,
            } => write!(
                f,
                "pwm: {device}: a duty cycle of {duty_ns} ns is longer than the period of \
                 {period_ns} ns; give a duty of at most 100 %"
            ),
            Error::BadPeriod { device, what } => {
                write!(f, "pwm: {device}: {what}: the period must be at least 1 ns")
            }
            Error::Attr(e) => e.fmt(f),
        }
    }
}

crate::sysfs::attr_error_impls!(Error);

impl embedded_hal::pwm::Error for Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// The output's polarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    /// High for the duty cycle (`normal`).
    Normal,
    /// Low for the duty cycle (`inversed`).
    Inversed,
}

/// A PWM chip: `/sys/class/pwm/pwmchipN`.
#[derive(Clone, Debug)]
pub struct PwmChip {
    dev: Dev,
    number: u32,
}

/// The PWM chips under `root`, by number.
pub fn chips(root: &SysRoot) -> Vec<u32> {
    root.entries("/sys/class/pwm")
        .into_iter()
        .filter_map(|(n, _)| n.strip_prefix("pwmchip")?.parse().ok())
        .collect()
}

impl PwmChip {
    /// Opens `pwmchipN`.
    pub fn open(root: &SysRoot, number: u32) -> Result<PwmChip, Error> {
        let dir = root.join(format!("/sys/class/pwm/pwmchip{number}"));
        if !dir.exists() {
            return Err(Error::NoChip {
                chip: number,
                has: chips(root),
            });
        }
        Ok(PwmChip {
            dev: Dev {
                subsystem: "pwm",
                name: format!("pwmchip{number}"),
                dir,
            },
            number,
        })
    }

    /// Its number.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// How many channels it has (`npwm`).
    pub fn npwm(&self) -> Result<u32, Error> {
        Ok(self.dev.parse("npwm", "a number of channels")?)
    }

    /// Whether channel `channel` is exported (`pwmM/` exists).
    pub fn is_exported(&self, channel: u32) -> bool {
        self.dev.dir.join(format!("pwm{channel}")).is_dir()
    }

    /// Channel `channel`, exported first when it is not.
    pub fn channel(&self, channel: u32) -> Result<PwmChannel, Error> {
        let npwm = self.npwm()?;
        if channel >= npwm {
            return Err(Error::NoChannel {
                chip: self.number,
                channel,
                npwm,
            });
        }
        let name = format!("pwmchip{}/pwm{channel}", self.number);
        if !self.is_exported(channel) {
            self.dev.write("export", &channel.to_string())?;
            if !self.is_exported(channel) {
                return Err(Error::NotExported { device: name });
            }
        }
        Ok(PwmChannel {
            dev: Dev {
                subsystem: "pwm",
                name,
                dir: self.dev.dir.join(format!("pwm{channel}")),
            },
            chip: self.dev.clone(),
            channel,
        })
    }
}

/// An exported PWM channel: `pwmchipN/pwmM`.
#[derive(Debug)]
pub struct PwmChannel {
    dev: Dev,
    chip: Dev,
    channel: u32,
}

impl PwmChannel {
    /// The channel's folder.
    pub fn path(&self) -> &Path {
        &self.dev.dir
    }

    /// `pwmchipN/pwmM`.
    pub fn name(&self) -> &str {
        &self.dev.name
    }

    /// The period, in ns.
    pub fn period_ns(&self) -> Result<u64, Error> {
        Ok(self.dev.parse("period", "a period in ns")?)
    }

    /// The duty cycle, in ns.
    pub fn duty_ns(&self) -> Result<u64, Error> {
        Ok(self.dev.parse("duty_cycle", "a duty cycle in ns")?)
    }

    /// The polarity.
    pub fn polarity(&self) -> Result<Polarity, Error> {
        let t = self.dev.read("polarity")?;
        match t.as_str() {
            "normal" => Ok(Polarity::Normal),
            "inversed" => Ok(Polarity::Inversed),
            _ => Err(self
                .dev
                .err(
                    self.dev.dir.join("polarity"),
                    false,
                    Problem::Garbage {
                        text: t,
                        expected: "`normal` or `inversed`",
                    },
                )
                .into()),
        }
    }

    /// Whether the output is enabled.
    pub fn enabled(&self) -> Result<bool, Error> {
        let t = self.dev.read("enable")?;
        match t.as_str() {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(self
                .dev
                .err(
                    self.dev.dir.join("enable"),
                    false,
                    Problem::Garbage {
                        text: t,
                        expected: "`0` or `1`",
                    },
                )
                .into()),
        }
    }

    /// Sets the period and duty cycle (ns), in the order that keeps the duty within the
    /// period at every step (the kernel refuses a duty longer than the period).
    pub fn configure(&mut self, period_ns: u64, duty_ns: u64) -> Result<(), Error> {
        if period_ns == 0 {
            return Err(Error::BadPeriod {
                device: self.dev.name.clone(),
                what: "a period of 0 ns".into(),
            });
        }
        if duty_ns > period_ns {
            return Err(Error::DutyAbovePeriod {
                device: self.dev.name.clone(),
                duty_ns,
                period_ns,
            });
        }
        let current_duty = self.duty_ns()?;
        if current_duty > period_ns {
            // Shorten the duty first, or the new period would be refused.
            self.dev.write("duty_cycle", &duty_ns.to_string())?;
            self.dev.write("period", &period_ns.to_string())?;
        } else {
            self.dev.write("period", &period_ns.to_string())?;
            self.dev.write("duty_cycle", &duty_ns.to_string())?;
        }
        Ok(())
    }

    /// Sets the duty cycle (ns), within the current period.
    pub fn set_duty_ns(&mut self, duty_ns: u64) -> Result<(), Error> {
        let period_ns = self.period_ns()?;
        if duty_ns > period_ns {
            return Err(Error::DutyAbovePeriod {
                device: self.dev.name.clone(),
                duty_ns,
                period_ns,
            });
        }
        Ok(self.dev.write("duty_cycle", &duty_ns.to_string())?)
    }

    /// Sets the polarity (most drivers take it only while the output is disabled).
    pub fn set_polarity(&mut self, p: Polarity) -> Result<(), Error> {
        let t = match p {
            Polarity::Normal => "normal",
            Polarity::Inversed => "inversed",
        };
        Ok(self.dev.write("polarity", t)?)
    }

    /// Enables or disables the output.
    pub fn enable(&mut self, on: bool) -> Result<(), Error> {
        Ok(self.dev.write("enable", if on { "1" } else { "0" })?)
    }

    /// Gives the channel back (`unexport`).
    pub fn unexport(self) -> Result<(), Error> {
        Ok(self.chip.write("unexport", &self.channel.to_string())?)
    }
}

impl ErrorType for PwmChannel {
    type Error = Error;
}

/// The steps of [`SetDutyCycle`]'s duty cycle: 60 000, a multiple of 100 and 1 000 and of
/// 2, 3, 4, 5, 8, 16 and 32, so that `set_duty_cycle_percent(50)` of a 500 000 ns period is
/// 250 000 ns exactly (with `u16::MAX` steps it would be 249 996 ns).
pub const DUTY_STEPS: u16 = 60_000;

/// The duty cycle in [`DUTY_STEPS`] steps of the current period (rounded to the nearest
/// nanosecond).
impl SetDutyCycle for PwmChannel {
    fn max_duty_cycle(&self) -> u16 {
        DUTY_STEPS
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), Error> {
        let period = self.period_ns()?;
        if period == 0 {
            return Err(Error::BadPeriod {
                device: self.dev.name.clone(),
                what: "the period is 0 ns (set it first)".into(),
            });
        }
        let duty = duty.min(DUTY_STEPS) as u128;
        let steps = DUTY_STEPS as u128;
        let ns = ((period as u128 * duty + steps / 2) / steps) as u64;
        self.set_duty_ns(ns)
    }
}
