//! The virtual board's GPIO lines: inputs are the chips' output pins (a [`SimLine`]
//! wired to the line), outputs are [`VirtualOutput`]s that drive a line (and, for the
//! heater relay, the room).

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use embedded_hal::digital::{ErrorType, OutputPin, StatefulOutputPin};
use udrv_drivers::sim::SimLine;

/// What a line of the virtual board is wired to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRole {
    /// An input: a chip's interrupt or alert output drives it.
    Input,
    /// An output the program drives (a relay, an LED).
    Output,
}

/// One GPIO line of the virtual board.
#[derive(Clone)]
pub struct VirtualLine {
    /// The name, as on the Raspberry Pi header the virtual board mirrors (`GPIO17`).
    pub name: &'static str,
    /// Input or output.
    pub role: LineRole,
    /// What it is wired to (`MCP23017 INTA`, `heater relay`).
    pub wired_to: &'static str,
    /// The level.
    pub line: SimLine,
    pub(crate) on_change: Option<Arc<dyn Fn(bool) + Send + Sync>>,
}

impl fmt::Debug for VirtualLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualLine")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("wired_to", &self.wired_to)
            .field("high", &self.line.is_high())
            .finish()
    }
}

/// An output line of the virtual board: an embedded-hal [`OutputPin`] and
/// [`StatefulOutputPin`], like `udrv_core::gpio::Pin` on a real board. Clones drive the
/// same line.
#[derive(Clone)]
pub struct VirtualOutput {
    line: VirtualLine,
}

impl fmt::Debug for VirtualOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VirtualOutput").field(&self.line).finish()
    }
}

impl VirtualOutput {
    pub(crate) fn new(line: VirtualLine, high: bool) -> Self {
        let o = VirtualOutput { line };
        o.set(high);
        o
    }

    /// The line's name (`GPIO27`).
    pub fn name(&self) -> &'static str {
        self.line.name
    }

    /// Drive the line.
    pub fn set(&self, high: bool) {
        self.line.line.set(high);
        if let Some(f) = &self.line.on_change {
            f(high);
        }
    }

    /// The level driven.
    pub fn is_set_high(&self) -> bool {
        self.line.line.is_high()
    }
}

impl ErrorType for VirtualOutput {
    type Error = Infallible;
}

impl OutputPin for VirtualOutput {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.set(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.set(true);
        Ok(())
    }
}

impl StatefulOutputPin for VirtualOutput {
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(VirtualOutput::is_set_high(self))
    }
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(!VirtualOutput::is_set_high(self))
    }
}
