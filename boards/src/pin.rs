//! Header pins: what the tables say about a pin ([`HeaderPin`]), how a user names one
//! ([`PinSpec`]), and a pin resolved to a kernel GPIO line ([`PinRef`]).

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use udrv_core::gpio::{self, LineInfo, Pin, Request, RequestBuilder, Value};

use crate::error::Result;

/// What a header pin is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PinKind {
    /// A GPIO line (possibly with alternate functions).
    Gpio,
    /// A supply pin (3V3, 5V, VDD_ADC, ...).
    Power,
    /// Ground.
    Ground,
    /// Anything else that is not a GPIO (analog input, reset, power button).
    Other,
}

/// A GPIO line as the board's kernel publishes it: the chip by label, never by number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct GpioLine {
    /// The chip's label (`pinctrl-bcm2711`, `gpio-32-63`).
    pub chip_label: Cow<'static, str>,
    /// The line's offset on that chip (the BCM number on a Raspberry Pi).
    pub offset: u32,
    /// The line name the board's device tree gives it (`GPIO17`, `P9_12`), when it
    /// gives one.
    pub line_name: Option<Cow<'static, str>>,
    /// The legacy sysfs GPIO number (`gpio60` for P9_12), for people coming from
    /// `/sys/class/gpio` tutorials.
    pub legacy_number: Option<u32>,
}

/// A pin the board uses for something else by default.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Reservation {
    /// What holds it (`HDMI`, `eMMC`).
    pub by: Cow<'static, str>,
    /// How to free it (the config line).
    pub free_with: Cow<'static, str>,
}

/// One pin of a header, from the board's tables.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct HeaderPin {
    /// The header (`J8` on a Raspberry Pi, `P8`/`P9` on a BeagleBone).
    pub header: Cow<'static, str>,
    /// The physical pin number on that header (1-based).
    pub number: u32,
    /// The pin's usual name: `GPIO17`, `P9_12`, `GND`, `3V3`.
    pub name: Cow<'static, str>,
    /// GPIO, power, ground or other.
    pub kind: PinKind,
    /// Alternate functions (`I2C1 SDA`, `SPI0 MOSI`, `PWM0`, `GPIO1_28`).
    pub functions: Vec<Cow<'static, str>>,
    /// The GPIO line, for GPIO pins.
    pub gpio: Option<GpioLine>,
    /// Set when the board uses the pin for something else by default.
    pub reserved: Option<Reservation>,
}

impl HeaderPin {
    /// `J8 pin 11 (GPIO17)`.
    pub fn describe(&self) -> String {
        format!("{} pin {} ({})", self.header, self.number, self.name)
    }
}

/// How a user names a pin: by physical number (`board.pin(11)`) or by name
/// (`board.pin("GPIO17")`, `board.pin("P9_12")`, a kernel line name, or a number as text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinSpec<'a> {
    /// The physical pin number (on a board with more than one header, use a name such as
    /// `P9_12`).
    Physical(u32),
    /// A name.
    Name(&'a str),
}

impl fmt::Display for PinSpec<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSpec::Physical(n) => write!(f, "{n}"),
            PinSpec::Name(s) => f.write_str(s),
        }
    }
}

impl From<u32> for PinSpec<'_> {
    fn from(n: u32) -> Self {
        PinSpec::Physical(n)
    }
}

impl From<i32> for PinSpec<'_> {
    /// Integer literals (`board.pin(11)`) are `i32`; negative numbers name no pin.
    fn from(n: i32) -> Self {
        PinSpec::Physical(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

impl From<u8> for PinSpec<'_> {
    fn from(n: u8) -> Self {
        PinSpec::Physical(n.into())
    }
}

impl<'a> From<&'a str> for PinSpec<'a> {
    fn from(s: &'a str) -> Self {
        PinSpec::Name(s)
    }
}

impl<'a> From<&'a String> for PinSpec<'a> {
    fn from(s: &'a String) -> Self {
        PinSpec::Name(s)
    }
}

/// Whether a lookup may return a pin the board reserves (HDMI, eMMC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reserved {
    /// Refuse with [`Error::PinReserved`](crate::Error::PinReserved) (the default).
    Refuse,
    /// Return it anyway (you freed it, e.g. with `disable_uboot_overlay_video=1`).
    Allow,
}

/// How the GPIO chip of a [`PinRef`] was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ChipFoundBy {
    /// The chip's label.
    Label,
    /// Line names the chip publishes (BeagleBone: names identify the bank whatever its
    /// label or number).
    LineNames,
    /// The chip's device in sysfs (the controller's address).
    Device,
}

/// A header pin resolved to a kernel GPIO line: chip device node, offset, line name.
/// Open it with [`request_input`](Self::request_input),
/// [`request_output`](Self::request_output) or [`request`](Self::request) (the core's
/// builder, for bias, edges, debounce...).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PinRef {
    /// The pin, as the tables describe it.
    pub pin: HeaderPin,
    /// The chip's device node (`/dev/gpiochip0`); its number may differ between kernels.
    pub chip: PathBuf,
    /// The chip's label.
    pub chip_label: String,
    /// The line offset on the chip.
    pub offset: u32,
    /// The line's name as the running kernel publishes it (`None` when unnamed).
    pub line_name: Option<String>,
    /// How the chip was found.
    pub found_by: ChipFoundBy,
}

impl PinRef {
    /// A request builder for this line (chip and line selected; consumer `udrv`): add
    /// settings, then `.request()`.
    ///
    /// ```no_run
    /// use udrv_boards::Board;
    /// use udrv_core::gpio::{Bias, EdgeDetection};
    /// # fn main() -> Result<(), udrv_boards::Error> {
    /// let board = udrv_boards::open()?;
    /// let button = board.pin("GPIO17")?;
    /// let req = button
    ///     .request()
    ///     .as_input()
    ///     .with_bias(Bias::PullUp)
    ///     .with_edge_detection(EdgeDetection::Falling)
    ///     .request()?;
    /// # drop(req); Ok(()) }
    /// ```
    pub fn request(&self) -> RequestBuilder {
        let mut b = Request::builder();
        b.on_chip(&self.chip).with_line(self.offset);
        b
    }

    /// Requests the line as an input (an embedded-hal `InputPin`).
    pub fn request_input(&self) -> Result<Pin> {
        Ok(Pin::new(self.request().as_input().request()?)?)
    }

    /// Requests the line as an output starting at `value` (an embedded-hal `OutputPin`).
    pub fn request_output(&self, value: Value) -> Result<Pin> {
        Ok(Pin::new(self.request().as_output(value).request()?)?)
    }

    /// The line's current info (direction, consumer, bias) from the kernel.
    pub fn line_info(&self) -> Result<LineInfo> {
        Ok(gpio::Chip::open(&self.chip)?.line_info(self.offset)?)
    }
}

impl fmt::Display for PinRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} [{}] line {}",
            self.pin.describe(),
            self.chip.display(),
            self.chip_label,
            self.offset
        )?;
        if let Some(n) = &self.line_name {
            write!(f, " \"{n}\"")?;
        }
        Ok(())
    }
}
