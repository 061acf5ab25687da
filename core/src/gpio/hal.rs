//! embedded-hal 1.0 digital traits on a single-line handle.

use std::path::Path;

use embedded_hal::digital::{ErrorType, InputPin, OutputPin, PinState, StatefulOutputPin};

use super::error::{Error, InvalidConfig, Result};
use super::{find_line, Request, Value};

/// One requested line, with the embedded-hal `InputPin`, `OutputPin` and
/// `StatefulOutputPin` traits.
///
/// embedded-hal speaks of physical levels: `is_high`/`set_high` mean the electrical level
/// even for an active-low line (whose logical [`Value`] is inverted; use
/// [`Pin::value`]/[`Pin::set_value`] for logical values).
///
/// ```no_run
/// use embedded_hal::digital::{InputPin, OutputPin};
/// use udrv_core::gpio::{Pin, Value};
///
/// # fn main() -> Result<(), udrv_core::gpio::Error> {
/// let mut led = Pin::find_output("led", Value::Inactive)?;
/// let mut button = Pin::find_input("button")?;
/// if button.is_low()? {
///     led.set_high()?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Pin {
    req: Request,
    offset: u32,
}

impl Pin {
    /// Wraps a request of exactly one line.
    pub fn new(req: Request) -> Result<Pin> {
        match req.offsets() {
            [one] => Ok(Pin { offset: *one, req }),
            many => Err(Error::invalid(
                req.chip_path(),
                InvalidConfig::NotOneLine(many.len()),
            )),
        }
    }

    /// Requests `offset` of `chip` as an input.
    pub fn input(chip: impl AsRef<Path>, offset: u32) -> Result<Pin> {
        Pin::new(
            Request::builder()
                .on_chip(chip)
                .with_line(offset)
                .as_input()
                .request()?,
        )
    }

    /// Requests `offset` of `chip` as an output starting at `value`.
    pub fn output(chip: impl AsRef<Path>, offset: u32, value: Value) -> Result<Pin> {
        Pin::new(
            Request::builder()
                .on_chip(chip)
                .with_line(offset)
                .as_output(value)
                .request()?,
        )
    }

    /// Requests the line named `name` (on any chip) as an input.
    pub fn find_input(name: &str) -> Result<Pin> {
        let l = find_line(name)?;
        Pin::new(
            Request::builder()
                .with_found_line(&l)
                .as_input()
                .request()?,
        )
    }

    /// Requests the line named `name` (on any chip) as an output starting at `value`.
    pub fn find_output(name: &str, value: Value) -> Result<Pin> {
        let l = find_line(name)?;
        Pin::new(
            Request::builder()
                .with_found_line(&l)
                .as_output(value)
                .request()?,
        )
    }

    /// The line's offset.
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// The underlying request (for events and reconfiguration).
    pub fn request(&self) -> &Request {
        &self.req
    }

    /// Gives back the request.
    pub fn into_request(self) -> Request {
        self.req
    }

    /// The logical value.
    pub fn value(&self) -> Result<Value> {
        self.req.value(self.offset)
    }

    /// Sets the logical value.
    pub fn set_value(&self, value: Value) -> Result<()> {
        self.req.set_value(self.offset, value)
    }

    /// The physical level (`true`: high).
    pub fn level(&self) -> Result<bool> {
        Ok(self.value()?.is_active() != self.req.is_active_low(self.offset))
    }

    /// Drives the physical level.
    pub fn set_level(&self, high: bool) -> Result<()> {
        let active = high != self.req.is_active_low(self.offset);
        self.set_value(Value::from(active))
    }
}

impl TryFrom<Request> for Pin {
    type Error = Error;
    fn try_from(req: Request) -> Result<Pin> {
        Pin::new(req)
    }
}

impl ErrorType for Pin {
    type Error = Error;
}

impl InputPin for Pin {
    fn is_high(&mut self) -> Result<bool> {
        self.level()
    }
    fn is_low(&mut self) -> Result<bool> {
        Ok(!self.level()?)
    }
}

impl OutputPin for Pin {
    fn set_low(&mut self) -> Result<()> {
        self.set_level(false)
    }
    fn set_high(&mut self) -> Result<()> {
        self.set_level(true)
    }
    fn set_state(&mut self, state: PinState) -> Result<()> {
        self.set_level(state == PinState::High)
    }
}

impl StatefulOutputPin for Pin {
    fn is_set_high(&mut self) -> Result<bool> {
        self.level()
    }
    fn is_set_low(&mut self) -> Result<bool> {
        Ok(!self.level()?)
    }
}
