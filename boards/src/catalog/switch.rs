//! Reading an I2C chip on the bus its spec names, through the PCA9546/PCA9548 switch
//! channel the spec gives (`lm75@i2c-1/0x70.3:0x48`): [`read_i2c_bus`]. The switch is
//! checked before anything is written to it, and a read that finds another chip (or no
//! switch) says what answers there when the caller gives a [`WhatAnswers`].

use std::fmt::{self, Display};
use std::time::SystemTime;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::{Error as _, ErrorKind, ErrorType, I2c, Operation};
use udrv_drivers::kinds::{write_addresses, ChipKind};
use udrv_drivers::pca954x::{self, Pca954x, Variant};

use super::read::{read_i2c, ReadError};
use super::reading::{ChipRead, Sequence};
use super::spec::{ChipSpec, Location};

/// An I2C bus whose errors are reduced to their kind: what a [`WhatAnswers`] is given.
pub type AnyI2c<'a> = dyn I2c<Error = ErrorKind> + 'a;

/// Names what answers at an I2C address (`udrv probe`'s identification, for one), for the
/// message of a read that found another chip there, or no switch: `udrv probe identifies
/// what answers at 0x70 as shtc3 (...)`.
pub type WhatAnswers = fn(&mut AnyI2c<'_>, u8) -> String;

/// Why a chip could not be read by its spec. `Display` is one line naming what failed
/// and what to check; [`source`](std::error::Error::source) is the catalog's
/// [`ReadError`] when the chip's read failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChipError {
    /// Nothing answers at the switch address the spec gives.
    NoSwitch {
        /// The switch's address.
        address: u8,
        /// What the check of the switch met.
        why: String,
    },
    /// Something answers at the switch address, but not as a PCA9546/PCA9548: nothing
    /// was written to it.
    NotASwitch {
        /// The switch's address.
        address: u8,
        /// What the check of the switch met.
        why: String,
        /// What answers there, when a [`WhatAnswers`] was given.
        answers: Option<String>,
    },
    /// The switch refused the channel: the driver's message.
    Switch(String),
    /// The chip's read failed.
    Read {
        /// The catalog's error.
        error: ReadError,
        /// What answers at the chip's address instead, for [`ReadError::WrongChip`]
        /// when a [`WhatAnswers`] was given.
        answers: Option<String>,
    },
}

impl Display for ChipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChipError::NoSwitch { address, why } => {
                let mut range = String::new();
                write_addresses(&mut range, ChipKind::Pca9548.info().addresses)?;
                write!(
                    f,
                    "no PCA9546/PCA9548 switch at {address:#04x}: nothing answers there \
                     ({why}); check the switch's address ({range}, its A2..A0 pins)"
                )
            }
            ChipError::NotASwitch {
                address,
                why,
                answers,
            } => {
                write!(
                    f,
                    "no PCA9546/PCA9548 switch at {address:#04x} ({why}; a switch answers a \
                     plain read with its control register and reads back the channels \
                     written)"
                )?;
                match answers {
                    Some(a) => write!(f, ": {a}"),
                    None => Ok(()),
                }
            }
            ChipError::Switch(m) => f.write_str(m),
            ChipError::Read { error, answers } => {
                error.fmt(f)?;
                match answers {
                    Some(a) => write!(f, "; {a}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for ChipError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChipError::Read { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<ReadError> for ChipError {
    fn from(error: ReadError) -> ChipError {
        ChipError::Read {
            error,
            answers: None,
        }
    }
}

/// Reads the I2C chip `spec` names on `bus`, the bus its spec names: through its switch
/// channel when the spec has one (the switch is checked first: a PCA9546/PCA9548 answers
/// a plain read with its control register, and reads back the channel written, so
/// nothing is written to another chip at its address). Readings are numbered from `seq`
/// and stamped `time`, as [`read_i2c`] does; `what_answers` names what answers where a
/// chip or the switch was not found.
pub fn read_i2c_bus<B>(
    spec: &ChipSpec,
    mut bus: B,
    delay: &mut impl DelayNs,
    seq: &mut Sequence,
    time: SystemTime,
    what_answers: Option<WhatAnswers>,
) -> Result<ChipRead, ChipError>
where
    B: I2c,
    B::Error: std::error::Error + 'static,
{
    let Location::I2c {
        switch, address, ..
    } = *spec.location()
    else {
        return Err(ReadError::WrongBus(spec.to_string()).into());
    };
    let Some(switch) = switch else {
        let read = read_i2c(spec, &mut bus, delay, seq, time);
        return named(read, &mut bus, address, what_answers);
    };
    let (sw, channel) = (switch.address(), switch.channel());
    let mut mux = Pca954x::new(&mut bus, sw, Variant::Pca9548);
    let mask = 1u8 << channel;
    let checked = match mux.channels() {
        Err(e) => Err(format!("a plain read failed: {}", why(e))),
        Ok(_) => match mux.select(channel).and_then(|()| mux.channels()) {
            Ok(now) if now == mask => Ok(()),
            Ok(now) => Err(format!(
                "channel mask {mask:#04x} written, {now:#04x} read back"
            )),
            Err(e) => Err(why(e)),
        },
    };
    if let Err(why) = checked {
        return Err(not_a_switch(mux.release(), sw, why, what_answers));
    }
    let channel = mux
        .channel(channel)
        .map_err(|e| ChipError::Switch(why(e)))?;
    let mut channel = SwitchChannel(channel);
    let read = read_i2c(spec, &mut channel, delay, seq, time);
    named(read, &mut channel, address, what_answers)
}

/// The bus's own message for a bus error (it names the address and the errno), else the
/// switch driver's.
fn why<E: Display + fmt::Debug>(e: pca954x::Error<E>) -> String {
    match e {
        pca954x::Error::Bus(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// Why the switch at `sw` is not one, naming what answers there.
fn not_a_switch<B: I2c>(
    bus: &mut B,
    sw: u8,
    why: String,
    what_answers: Option<WhatAnswers>,
) -> ChipError {
    // A quick write (the address alone, no data) tells a chip that refuses reads from an
    // address nothing answers; a switch ignores it.
    if bus.write(sw, &[]).is_err() {
        return ChipError::NoSwitch { address: sw, why };
    }
    ChipError::NotASwitch {
        address: sw,
        why,
        answers: what_answers.map(|f| f(&mut Erased(bus), sw)),
    }
}

/// The [`read_i2c`] of the chip at `address` on `bus`; a chip with another chip's ID fails
/// naming what answers at its address.
fn named<I: I2c>(
    read: Result<ChipRead, ReadError>,
    bus: &mut I,
    address: u8,
    what_answers: Option<WhatAnswers>,
) -> Result<ChipRead, ChipError> {
    read.map_err(|error| {
        let answers = match (&error, what_answers) {
            (ReadError::WrongChip(_), Some(f)) => Some(f(&mut Erased(bus), address)),
            _ => None,
        };
        ChipError::Read { error, answers }
    })
}

/// A bus seen as [`AnyI2c`]: its errors reduced to their kind.
struct Erased<'a, B>(&'a mut B);

impl<B: I2c> ErrorType for Erased<'_, B> {
    type Error = ErrorKind;
}

impl<B: I2c> I2c for Erased<'_, B> {
    fn read(&mut self, address: u8, read: &mut [u8]) -> Result<(), ErrorKind> {
        self.0.read(address, read).map_err(|e| e.kind())
    }

    fn write(&mut self, address: u8, write: &[u8]) -> Result<(), ErrorKind> {
        self.0.write(address, write).map_err(|e| e.kind())
    }

    fn write_read(&mut self, address: u8, write: &[u8], read: &mut [u8]) -> Result<(), ErrorKind> {
        self.0
            .write_read(address, write, read)
            .map_err(|e| e.kind())
    }

    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), ErrorKind> {
        self.0
            .transaction(address, operations)
            .map_err(|e| e.kind())
    }
}

/// A switch channel as a bus whose errors read as the bus's own (which name the device
/// and say what to do), or as the switch driver's message.
struct SwitchChannel<'a, B>(pca954x::Channel<'a, B>);

/// [`SwitchChannel`]'s errors.
#[derive(Debug)]
enum SwitchError<E> {
    Bus(E),
    Switch(String),
}

impl<E: Display> Display for SwitchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwitchError::Bus(e) => e.fmt(f),
            SwitchError::Switch(m) => f.write_str(m),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for SwitchError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The bus error is shown as this error's message, not as its cause.
            SwitchError::Bus(e) => e.source(),
            SwitchError::Switch(_) => None,
        }
    }
}

impl<E: embedded_hal::i2c::Error> embedded_hal::i2c::Error for SwitchError<E> {
    fn kind(&self) -> ErrorKind {
        match self {
            SwitchError::Bus(e) => e.kind(),
            SwitchError::Switch(_) => ErrorKind::Other,
        }
    }
}

impl<B: I2c> ErrorType for SwitchChannel<'_, B> {
    type Error = SwitchError<B::Error>;
}

impl<B: I2c> I2c for SwitchChannel<'_, B>
where
    B::Error: Display,
{
    fn transaction(
        &mut self,
        address: u8,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.0
            .transaction(address, operations)
            .map_err(|e| match e {
                pca954x::Error::Bus(b) => SwitchError::Bus(b),
                other => SwitchError::Switch(other.to_string()),
            })
    }
}
