//! The [`Board`] trait every board implements (Raspberry Pi, BeagleBone, the virtual
//! board), the bus descriptors it returns, and the `board info` / `board pins` data.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use udrv_core::gpio::{self, Bias, Direction};

use crate::detect::{BoardId, Source};
use crate::error::{Error, Result};
use crate::pin::{HeaderPin, PinKind, PinRef, PinSpec, Reserved};
use crate::sysfs::FoundBy;

/// A board: pins by header number or name, buses by role, and what is enabled.
///
/// Methods that take a pin accept anything convertible to a [`PinSpec`]: a physical
/// number (`board.pin(11)`) or a name (`board.pin("GPIO17")`, `board.pin("P9_12")`).
/// They work on concrete boards and on `dyn Board` alike.
///
/// ```no_run
/// use udrv_boards::Board;
/// use udrv_core::gpio::Value;
/// # fn main() -> Result<(), udrv_boards::Error> {
/// let board = udrv_boards::open()?; // detects the board (or UDRV_BOARD)
/// let mut led = board.pin(11)?.request_output(Value::Inactive)?;
/// let bus = board.i2c("i2c_arm")?.open()?;
/// println!("{} on {}", board.id(), bus.path().display());
/// # drop(led); Ok(()) }
/// ```
pub trait Board: fmt::Debug + Send + Sync {
    /// Which board.
    fn id(&self) -> BoardId;

    /// The model string: the device tree's when detected (`Raspberry Pi 4 Model B Rev
    /// 1.4`), else the board's name.
    fn model(&self) -> String {
        self.id().name().to_string()
    }

    /// How the board was chosen, when known.
    fn source(&self) -> Option<Source> {
        None
    }

    /// Every pin of every header, in header then pin order.
    fn header_pins(&self) -> Vec<HeaderPin>;

    /// The table entry of a pin (no kernel access). Errors for an unknown pin; power and
    /// ground pins are returned (see [`lookup_pin`](Self::lookup_pin) for the GPIO check).
    fn header_pin(&self, spec: PinSpec<'_>) -> Result<HeaderPin>;

    /// Resolves a pin to its kernel GPIO line. Power/ground pins and pins that are not a
    /// GPIO on this model are errors, and so are reserved pins unless `reserved` is
    /// [`Reserved::Allow`].
    fn lookup_pin(&self, spec: PinSpec<'_>, reserved: Reserved) -> Result<PinRef>;

    /// An I2C bus by role (`i2c_arm` on a Raspberry Pi, `i2c2` on a BeagleBone).
    fn i2c(&self, role: &str) -> Result<I2cRef>;

    /// An SPI device by bus and chip select (`spi(0, 0)` = `/dev/spidev0.0` on a Pi).
    fn spi(&self, bus: u32, cs: u32) -> Result<SpiRef>;

    /// A UART by role (`primary`: the one on the header's TXD/RXD pins).
    fn uart(&self, role: &str) -> Result<UartRef>;

    /// Every bus the board knows, enabled or not, with the line that enables it.
    fn buses(&self) -> Vec<BusStatus>;

    /// The GPIO chips the board expects, and where they are now.
    fn gpio_chips(&self) -> Vec<ChipStatus>;

    /// Resolves a pin to its kernel GPIO line (refusing reserved pins).
    fn pin<'a>(&self, spec: impl Into<PinSpec<'a>>) -> Result<PinRef>
    where
        Self: Sized,
    {
        self.lookup_pin(spec.into(), Reserved::Refuse)
    }

    /// Resolves a pin even when the board reserves it (HDMI, eMMC): for when you freed
    /// it.
    fn pin_reserved<'a>(&self, spec: impl Into<PinSpec<'a>>) -> Result<PinRef>
    where
        Self: Sized,
    {
        self.lookup_pin(spec.into(), Reserved::Allow)
    }

    /// `board info`: model, buses (enabled or not, with enable lines), GPIO chips.
    fn info(&self) -> BoardInfo {
        BoardInfo {
            id: self.id(),
            slug: self.id().slug().to_string(),
            name: self.id().name().to_string(),
            model: self.model(),
            source: self.source(),
            gpio_chips: self.gpio_chips(),
            buses: self.buses(),
        }
    }

    /// `board pins`: every header pin with, for GPIO pins, the line's current state.
    /// With `read_values`, free lines are briefly requested "as is" to read their level
    /// (like `gpioget --as-is`); lines held by someone else are never touched.
    fn pin_table(&self, read_values: bool) -> PinTable {
        let rows = self
            .header_pins()
            .into_iter()
            .map(|pin| {
                let state = (pin.kind == PinKind::Gpio)
                    .then(|| self.lookup_pin(PinSpec::Name(&pin.name), Reserved::Allow))
                    .and_then(|r| r.ok())
                    .and_then(|r| line_state(&r, read_values).ok());
                PinRow { pin, state }
            })
            .collect();
        PinTable {
            board: self.id(),
            model: self.model(),
            rows,
        }
    }
}

/// `Box<dyn Board>` and `&dyn Board` are boards too, so that `board.pin(11)` works on
/// what [`open`](crate::open) returns.
macro_rules! forward_board {
    ($($t:ty),*) => {$(
        impl Board for $t {
            fn id(&self) -> BoardId {
                (**self).id()
            }
            fn model(&self) -> String {
                (**self).model()
            }
            fn source(&self) -> Option<Source> {
                (**self).source()
            }
            fn header_pins(&self) -> Vec<HeaderPin> {
                (**self).header_pins()
            }
            fn header_pin(&self, spec: PinSpec<'_>) -> Result<HeaderPin> {
                (**self).header_pin(spec)
            }
            fn lookup_pin(&self, spec: PinSpec<'_>, reserved: Reserved) -> Result<PinRef> {
                (**self).lookup_pin(spec, reserved)
            }
            fn i2c(&self, role: &str) -> Result<I2cRef> {
                (**self).i2c(role)
            }
            fn spi(&self, bus: u32, cs: u32) -> Result<SpiRef> {
                (**self).spi(bus, cs)
            }
            fn uart(&self, role: &str) -> Result<UartRef> {
                (**self).uart(role)
            }
            fn buses(&self) -> Vec<BusStatus> {
                (**self).buses()
            }
            fn gpio_chips(&self) -> Vec<ChipStatus> {
                (**self).gpio_chips()
            }
            fn info(&self) -> BoardInfo {
                (**self).info()
            }
            fn pin_table(&self, read_values: bool) -> PinTable {
                (**self).pin_table(read_values)
            }
        }
    )*};
}

forward_board!(Box<dyn Board>, &dyn Board);

/// Reads a line's state for the pin table.
pub(crate) fn line_state(r: &PinRef, read_value: bool) -> Result<LineState> {
    let chip = gpio::Chip::open(&r.chip)?;
    let info = chip.line_info(r.offset)?;
    let value = if read_value && !info.used {
        chip.request()
            .with_line(r.offset)
            .as_is()
            .with_consumer("udrv-pins")
            .request()
            .and_then(|req| req.value(r.offset))
            .ok()
            .map(|v| u8::from(v.is_active() != info.active_low))
    } else {
        None
    };
    Ok(LineState {
        chip: r.chip.clone(),
        chip_label: r.chip_label.clone(),
        offset: r.offset,
        line_name: info.name.clone(),
        direction: match info.direction {
            Direction::Input => "in",
            Direction::Output => "out",
        }
        .to_string(),
        value,
        used: info.used,
        consumer: info.consumer.clone(),
        bias: info.bias.map(|b| {
            match b {
                Bias::PullUp => "pull-up",
                Bias::PullDown => "pull-down",
                Bias::Disabled => "disabled",
            }
            .to_string()
        }),
        active_low: info.active_low,
    })
}

/// A bus kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum BusKind {
    /// I2C (i2c-dev).
    I2c,
    /// SPI (spidev).
    Spi,
    /// UART (tty).
    Uart,
}

impl BusKind {
    /// `I2C`, `SPI`, `UART`.
    pub fn as_str(self) -> &'static str {
        match self {
            BusKind::I2c => "I2C",
            BusKind::Spi => "SPI",
            BusKind::Uart => "UART",
        }
    }
}

impl fmt::Display for BusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An I2C bus found by role.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct I2cRef {
    /// The role asked for (`i2c_arm`).
    pub role: String,
    /// The controller (`I2C1`).
    pub controller: String,
    /// The device node (`/dev/i2c-1`).
    pub path: PathBuf,
    /// The bus number `N` of `/dev/i2c-N` on this kernel.
    pub number: Option<u32>,
    /// The adapter's name in sysfs.
    pub adapter_name: String,
    /// How it was found.
    pub found_by: FoundBy,
}

impl I2cRef {
    /// Opens the bus.
    pub fn open(&self) -> Result<udrv_core::i2c::I2cBus> {
        Ok(udrv_core::i2c::I2cBus::open_path(&self.path)?)
    }
}

/// An SPI device (bus + chip select) found by number.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SpiRef {
    /// The bus as the board documents it (`0` for SPI0).
    pub bus: u32,
    /// The chip select (`0` for CE0).
    pub cs: u32,
    /// The controller and chip select (`SPI0 CE0`).
    pub controller: String,
    /// The device node (`/dev/spidev0.0`; its first number is the kernel's bus number,
    /// which may differ from `bus`).
    pub path: PathBuf,
    /// How it was found.
    pub found_by: FoundBy,
}

impl SpiRef {
    /// Opens the spidev device with the core's SPI layer.
    pub fn open(&self) -> Result<udrv_core::spi::SpidevDevice> {
        udrv_core::spi::SpidevDevice::open(&self.path).map_err(Error::Spi)
    }
}

/// A UART found by role.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UartRef {
    /// The role asked for (`primary`).
    pub role: String,
    /// The controller (`UART0 (PL011)`, `mini UART`).
    pub controller: String,
    /// The device node (`/dev/ttyS0`).
    pub path: PathBuf,
    /// How it was found.
    pub found_by: FoundBy,
}

impl UartRef {
    /// Opens the port with the core's serial layer (raw mode, the given line settings).
    pub fn open(
        &self,
        line: &udrv_core::serial::LineSettings,
    ) -> Result<udrv_core::serial::SerialPort> {
        udrv_core::serial::SerialPort::open(&self.path, line).map_err(Error::Serial)
    }
}

/// One bus in `board info`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BusStatus {
    /// I2C, SPI or UART.
    pub kind: BusKind,
    /// The name to ask for it by: `i2c_arm`, `spi0.0`, `primary`.
    pub name: String,
    /// The controller (`I2C1`, `SPI0 CE0`).
    pub controller: String,
    /// Its header pins (`SDA=pin 3 (GPIO2), SCL=pin 5 (GPIO3)`).
    pub pins: String,
    /// Whether its device node exists now.
    pub enabled: bool,
    /// The device node now (when enabled), else the usual one.
    pub device: PathBuf,
    /// How the device was found (when enabled).
    pub found_by: Option<FoundBy>,
    /// The exact line that enables it (`dtparam=i2c_arm=on`), when there is one.
    pub enable_line: Option<String>,
    /// The file that line goes in (`/boot/firmware/config.txt`, `/boot/uEnv.txt`).
    pub enable_file: Option<String>,
    /// More: an alternative, a conflict, a module to load.
    pub note: Option<String>,
}

impl BusStatus {
    /// `add dtparam=i2c_arm=on to /boot/firmware/config.txt and reboot`.
    pub fn enable_hint(&self) -> String {
        let mut s = match (&self.enable_line, &self.enable_file) {
            (Some(l), Some(f)) => format!("add `{l}` to {f} and reboot"),
            (Some(l), None) => l.clone(),
            _ => String::new(),
        };
        if let Some(n) = &self.note {
            if !s.is_empty() {
                s.push_str("; ");
            }
            s.push_str(n);
        }
        s
    }

    /// The error for using this bus while disabled.
    pub fn disabled_error(&self) -> Error {
        Error::BusDisabled {
            kind: self.kind.as_str(),
            name: self.name.clone(),
            expected: self.device.clone(),
            enable: self.enable_hint(),
        }
    }
}

/// A GPIO chip the board expects.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChipStatus {
    /// What the chip is (`GPIO (BCM2711)`, `GPIO bank 1`).
    pub role: String,
    /// The label the board's kernel gives it.
    pub label: String,
    /// Its device node now, when found.
    pub path: Option<PathBuf>,
    /// Its line count, when found.
    pub lines: Option<u32>,
}

/// `board info`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BoardInfo {
    /// The board.
    pub id: BoardId,
    /// Its short name (`rpi4b`).
    pub slug: String,
    /// Its full name (`Raspberry Pi 4 Model B`).
    pub name: String,
    /// The device tree's model string, or the name.
    pub model: String,
    /// How the board was chosen.
    pub source: Option<Source>,
    /// GPIO chips.
    pub gpio_chips: Vec<ChipStatus>,
    /// Buses.
    pub buses: Vec<BusStatus>,
}

impl fmt::Display for BoardInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "board:  {} ({})", self.model, self.slug)?;
        if let Some(Source::Override { from }) = &self.source {
            writeln!(f, "        chosen by {from}")?;
        }
        for c in &self.gpio_chips {
            match (&c.path, c.lines) {
                (Some(p), Some(n)) => writeln!(
                    f,
                    "gpio:   {} [{}] {} lines ({})",
                    p.display(),
                    c.label,
                    n,
                    c.role
                )?,
                _ => writeln!(f, "gpio:   [{}] not found ({})", c.label, c.role)?,
            }
        }
        let wn = self.buses.iter().map(|b| b.name.len()).max().unwrap_or(0);
        let wc = self
            .buses
            .iter()
            .map(|b| b.controller.len())
            .max()
            .unwrap_or(0);
        let wd = self
            .buses
            .iter()
            .filter(|b| b.enabled)
            .map(|b| b.device.to_string_lossy().len())
            .max()
            .unwrap_or(0);
        for b in &self.buses {
            let (kind, name, ctl) = (b.kind.as_str(), &b.name, &b.controller);
            if b.enabled {
                let dev = b.device.to_string_lossy();
                writeln!(
                    f,
                    "{kind:<4}    {name:<wn$}  {ctl:<wc$}  {dev:<wd$}  {}",
                    b.pins
                )?;
            } else {
                // A bus with no line to enable it is on by default: missing, not disabled.
                let state = if b.enable_line.is_some() {
                    "disabled"
                } else {
                    "not found"
                };
                let hint = b.enable_hint();
                writeln!(f, "{kind:<4}    {name:<wn$}  {ctl:<wc$}  {state}: {hint}")?;
            }
        }
        Ok(())
    }
}

/// The current state of a GPIO line, for `board pins`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineState {
    /// The chip's device node.
    pub chip: PathBuf,
    /// The chip's label.
    pub chip_label: String,
    /// The line offset.
    pub offset: u32,
    /// The line's name on this kernel.
    pub line_name: Option<String>,
    /// `in` or `out`.
    pub direction: String,
    /// The physical level (0/1), when read.
    pub value: Option<u8>,
    /// Whether someone holds the line.
    pub used: bool,
    /// Who holds it.
    pub consumer: Option<String>,
    /// Bias, when the kernel knows it.
    pub bias: Option<String>,
    /// Whether the line is active-low.
    pub active_low: bool,
}

impl LineState {
    /// `in=1`, `out=0 [led]`, `in (kernel)`.
    pub fn short(&self) -> String {
        let mut s = self.direction.clone();
        if let Some(v) = self.value {
            let _ = write!(s, "={v}");
        }
        match (&self.consumer, self.used) {
            (Some(c), _) => {
                let _ = write!(s, " [{c}]");
            }
            (None, true) => s.push_str(" [used]"),
            _ => {}
        }
        s
    }
}

/// One pin in `board pins`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PinRow {
    /// The pin.
    pub pin: HeaderPin,
    /// Its line state, when it is a GPIO and readable.
    pub state: Option<LineState>,
}

/// `board pins`: the headers as data, and a two-column text rendering.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PinTable {
    /// The board.
    pub board: BoardId,
    /// Its model string.
    pub model: String,
    /// Every pin, header by header.
    pub rows: Vec<PinRow>,
}

impl PinTable {
    /// The headers as `pinout` draws them: odd pins on the left, even on the right,
    /// with name, functions and (when known) state.
    pub fn render(&self) -> String {
        render_rows(&self.model, &self.rows)
    }
}

impl fmt::Display for PinTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// The functions column: the first two alternate functions, or the reservation.
fn functions_text(p: &HeaderPin) -> String {
    let mut f: Vec<String> = p.functions.iter().take(2).map(|s| s.to_string()).collect();
    if let Some(r) = &p.reserved {
        f.insert(0, format!("*{}*", r.by));
        f.truncate(2);
    }
    f.join(", ")
}

/// Renders rows of (possibly) several headers, each as two columns.
pub(crate) fn render_rows(model: &str, rows: &[PinRow]) -> String {
    let mut out = String::new();
    let mut headers: Vec<&str> = Vec::new();
    for r in rows {
        if !headers.contains(&r.pin.header.as_ref()) {
            headers.push(&r.pin.header);
        }
    }
    let state = |r: &PinRow| r.state.as_ref().map(|s| s.short()).unwrap_or_default();
    for h in headers {
        let pins: Vec<&PinRow> = rows.iter().filter(|r| r.pin.header == h).collect();
        let w_name = pins.iter().map(|r| r.pin.name.len()).max().unwrap_or(4);
        let w_func = pins
            .iter()
            .map(|r| functions_text(&r.pin).len())
            .max()
            .unwrap_or(0);
        let w_state = pins.iter().map(|r| state(r).len()).max().unwrap_or(0);
        let w_num = pins
            .iter()
            .map(|r| r.pin.number.to_string().len())
            .max()
            .unwrap_or(2);
        let _ = writeln!(out, "{h} ({model})");
        let max = pins.iter().map(|r| r.pin.number).max().unwrap_or(0);
        let mut n = 1;
        while n <= max {
            let l = pins.iter().find(|r| r.pin.number == n);
            let r = pins.iter().find(|r| r.pin.number == n + 1);
            let (ls, lf, ln) = l
                .map(|p| (state(p), functions_text(&p.pin), p.pin.name.to_string()))
                .unwrap_or_default();
            let (rs, rf, rn) = r
                .map(|p| (state(p), functions_text(&p.pin), p.pin.name.to_string()))
                .unwrap_or_default();
            let line = format!(
                "{ls:>w_state$} {lf:>w_func$} {ln:>w_name$} ({n:>w_num$}) ({m:<w_num$}) {rn:<w_name$} {rf:<w_func$} {rs:<w_state$}",
                m = n + 1
            );
            let _ = writeln!(out, "{}", line.trim_end());
            n += 2;
        }
        out.push('\n');
    }
    out
}
