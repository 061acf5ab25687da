//! Raspberry Pi boards with the 40-pin header: 3B, 3B+, 4B, 400, 5, Zero 2 W, CM4.
//!
//! A header pin's GPIO is its BCM number, which is also the line offset on the SoC's GPIO
//! chip; the chip is found by its label (`pinctrl-bcm2835`, `pinctrl-bcm2711`,
//! `pinctrl-rp1`), never by number: the Pi 5's moved from `gpiochip4` to `gpiochip0` in
//! 2024 kernels.

pub(crate) mod tables;

use std::borrow::Cow;

use udrv_core::gpio::Chip;

use crate::board::{Board, BusKind, BusStatus, ChipStatus, I2cRef, SpiRef, UartRef};
use crate::bus::{self, BusDef, EnableFile};
use crate::detect::{BoardId, Detected, Source};
use crate::error::{Error, Result};
use crate::pin::{ChipFoundBy, GpioLine, HeaderPin, PinKind, PinRef, PinSpec, Reserved};
use crate::sysfs::{BusMatch, Root};
use tables::{HEADER, J8};

/// The SoC generation: decides the GPIO chip, the line names, the buses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Soc {
    /// BCM2837 (3B, 3B+, Zero 2 W).
    Bcm2837,
    /// BCM2711 (4B, 400, CM4).
    Bcm2711,
    /// BCM2712 with RP1 (5).
    Rp1,
}

/// A Raspberry Pi with the 40-pin header.
///
/// ```no_run
/// use udrv_boards::{Board, RaspberryPi, BoardId};
/// use udrv_core::gpio::Value;
/// # fn main() -> Result<(), udrv_boards::Error> {
/// let pi = RaspberryPi::new(BoardId::Rpi5)?;
/// let led = pi.pin("GPIO17")?.request_output(Value::Active)?;
/// assert_eq!(pi.pin(11)?.offset, 17); // physical pin 11 is GPIO17
/// # drop(led); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RaspberryPi {
    id: BoardId,
    root: Root,
    detected: Option<Detected>,
}

impl RaspberryPi {
    /// A Raspberry Pi of model `id` on this system (`/dev`, `/sys`). Errors when `id` is
    /// not a Raspberry Pi.
    pub fn new(id: BoardId) -> Result<RaspberryPi> {
        RaspberryPi::with_root(id, Root::system())
    }

    /// A Raspberry Pi of model `id` whose `/dev`, `/sys` and `/boot` are under `root`.
    pub fn with_root(id: BoardId, root: Root) -> Result<RaspberryPi> {
        match id {
            BoardId::Rpi3B
            | BoardId::Rpi3BPlus
            | BoardId::Rpi4B
            | BoardId::Rpi400
            | BoardId::Rpi5
            | BoardId::RpiZero2W
            | BoardId::RpiCm4 => Ok(RaspberryPi {
                id,
                root,
                detected: None,
            }),
            other => Err(Error::Unsupported {
                board: other,
                what: "be driven as a Raspberry Pi".into(),
            }),
        }
    }

    /// Remembers how the board was detected (for `model()` and `info()`).
    pub fn with_detected(mut self, d: Detected) -> RaspberryPi {
        self.detected = Some(d);
        self
    }

    fn soc(&self) -> Soc {
        match self.id {
            BoardId::Rpi4B | BoardId::Rpi400 | BoardId::RpiCm4 => Soc::Bcm2711,
            BoardId::Rpi5 => Soc::Rp1,
            _ => Soc::Bcm2837,
        }
    }

    /// The labels of the GPIO chip with the header lines, preferred first.
    pub fn chip_labels(&self) -> &'static [&'static str] {
        match self.soc() {
            Soc::Bcm2837 => &["pinctrl-bcm2835"],
            // Kernels before 5.x labelled the BCM2711's chip like the BCM2835's.
            Soc::Bcm2711 => &["pinctrl-bcm2711", "pinctrl-bcm2835"],
            Soc::Rp1 => &["pinctrl-rp1"],
        }
    }

    /// The line names the model's device tree gives the GPIO chip, by offset.
    pub fn line_names(&self) -> &'static [&'static str] {
        match self.id {
            BoardId::Rpi3B => &tables::LINES_3B,
            BoardId::Rpi3BPlus => &tables::LINES_3BPLUS,
            BoardId::RpiZero2W => &tables::LINES_ZERO2W,
            BoardId::Rpi5 => &tables::LINES_PI5,
            _ => &tables::LINES_PI4,
        }
    }

    fn funcs(&self, bcm: u32) -> &'static [&'static str] {
        let t = if self.soc() == Soc::Rp1 {
            &tables::FUNCS_RP1
        } else {
            &tables::FUNCS_BCM
        };
        t.get(bcm as usize).copied().unwrap_or(&[])
    }

    /// The header pin with physical number `n` (1..=40).
    fn physical(&self, n: u32) -> Option<HeaderPin> {
        let kind = *HEADER.get((n as usize).checked_sub(1)?)?;
        let (name, kind, gpio, functions): (Cow<'static, str>, _, _, Vec<Cow<'static, str>>) =
            match kind {
                J8::Gpio(bcm) => (
                    format!("GPIO{bcm}").into(),
                    PinKind::Gpio,
                    Some(GpioLine {
                        chip_label: self.chip_labels()[0].into(),
                        offset: bcm,
                        line_name: self.line_names().get(bcm as usize).map(|s| (*s).into()),
                        legacy_number: None,
                    }),
                    self.funcs(bcm).iter().map(|s| (*s).into()).collect(),
                ),
                J8::Power(v) => (v.into(), PinKind::Power, None, vec![]),
                J8::Ground => ("GND".into(), PinKind::Ground, None, vec![]),
            };
        Some(HeaderPin {
            header: "J8".into(),
            number: n,
            name,
            kind,
            functions,
            gpio,
            reserved: None,
        })
    }

    /// The physical pin of BCM GPIO `bcm`, if on the header.
    fn pin_of_bcm(bcm: u32) -> Option<u32> {
        HEADER
            .iter()
            .position(|p| *p == J8::Gpio(bcm))
            .map(|i| i as u32 + 1)
    }

    fn no_such(&self, spec: &str, hint: impl Into<String>) -> Error {
        Error::NoSuchPin {
            board: self.id.name(),
            spec: spec.to_string(),
            hint: hint.into(),
        }
    }

    /// A BCM GPIO number to its header pin, or an error saying where the line is.
    fn by_bcm(&self, spec: &str, bcm: u32) -> Result<HeaderPin> {
        match RaspberryPi::pin_of_bcm(bcm) {
            Some(n) => Ok(self.physical(n).expect("header table covers 1..=40")),
            None => {
                let lines = self.line_names();
                let hint = match lines.get(bcm as usize) {
                    Some(name) => format!(
                        "GPIO{bcm} (line \"{name}\" of {}) is used on the board, not brought out to the 40-pin header; header GPIOs are GPIO0 to GPIO27",
                        self.chip_labels()[0]
                    ),
                    None => format!(
                        "the {} has GPIO0 to GPIO{}; the header has GPIO0 to GPIO27",
                        self.chip_labels()[0],
                        lines.len() - 1
                    ),
                };
                Err(self.no_such(spec, hint))
            }
        }
    }

    fn bus_defs(&self) -> &'static [BusDef] {
        match self.soc() {
            Soc::Bcm2837 | Soc::Bcm2711 => BUSES_BCM,
            Soc::Rp1 => BUSES_RP1,
        }
    }

    /// Finds the header GPIO chip: (device node, label, line count).
    fn find_chip(&self) -> Result<(std::path::PathBuf, String, u32)> {
        let mut found = Vec::new();
        let mut chips = Vec::new();
        for path in self.root.gpio_chips() {
            if let Ok(info) = Chip::open(&path).and_then(|c| c.info()) {
                found.push(format!("{} [{}]", info.name, info.label));
                chips.push((path, info.label, info.lines));
            }
        }
        for want in self.chip_labels() {
            if let Some(c) = chips.iter().find(|c| c.1 == *want) {
                return Ok(c.clone());
            }
        }
        Err(Error::ChipNotFound {
            board: self.id.name(),
            labels: self.chip_labels().iter().map(|s| s.to_string()).collect(),
            found,
        })
    }
}

impl Board for RaspberryPi {
    fn id(&self) -> BoardId {
        self.id
    }

    fn model(&self) -> String {
        self.detected
            .as_ref()
            .and_then(|d| d.model.clone())
            .unwrap_or_else(|| self.id.name().to_string())
    }

    fn source(&self) -> Option<Source> {
        self.detected.as_ref().map(|d| d.source.clone())
    }

    fn header_pins(&self) -> Vec<HeaderPin> {
        (1..=40).filter_map(|n| self.physical(n)).collect()
    }

    fn header_pin(&self, spec: PinSpec<'_>) -> Result<HeaderPin> {
        let text = spec.to_string();
        let s = match spec {
            PinSpec::Physical(n) => {
                return self
                    .physical(n)
                    .ok_or_else(|| self.no_such(&text, "the 40-pin header has pins 1 to 40"))
            }
            PinSpec::Name(s) => s.trim(),
        };
        let upper = s.to_ascii_uppercase();
        // "11", "J8-11", "J8_11", "PIN11", "P1-11": physical numbers.
        let physical = ["J8-", "J8_", "J8.", "PIN", "P1-", "P1_", ""]
            .iter()
            .find_map(|p| upper.strip_prefix(p).and_then(|r| r.parse::<u32>().ok()));
        if let Some(n) = physical {
            return self.header_pin(PinSpec::Physical(n));
        }
        // "GPIO17", "BCM17", "GPIO_17": BCM numbering.
        let bcm = ["GPIO_", "GPIO", "BCM_", "BCM"].iter().find_map(|p| {
            upper
                .strip_prefix(p)
                .and_then(|r| r.trim().parse::<u32>().ok())
        });
        if let Some(b) = bcm {
            return self.by_bcm(s, b);
        }
        // The kernel's line names for this model, then the schematic names.
        let lines = self.line_names();
        let by_line = lines
            .iter()
            .position(|l| *l == s)
            .or_else(|| lines.iter().position(|l| l.eq_ignore_ascii_case(s)))
            .filter(|_| s != "-" && !s.eq_ignore_ascii_case("NC"));
        if let Some(off) = by_line {
            return self.by_bcm(s, off as u32);
        }
        if let Some((_, b)) = tables::LEGACY_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
        {
            return self.by_bcm(s, *b);
        }
        let supply: Vec<String> = HEADER
            .iter()
            .enumerate()
            .filter(|(_, p)| match p {
                J8::Power(v) => v.eq_ignore_ascii_case(s),
                J8::Ground => upper == "GND" || upper == "GROUND",
                J8::Gpio(_) => false,
            })
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        if !supply.is_empty() {
            return Err(self.no_such(
                s,
                format!(
                    "{s} is on pins {}: power/ground, not a GPIO",
                    supply.join(", ")
                ),
            ));
        }
        Err(self.no_such(
            s,
            "name a pin by its number (1 to 40), as GPIOn (BCM numbering, GPIO0 to GPIO27) or by its kernel line name",
        ))
    }

    fn lookup_pin(&self, spec: PinSpec<'_>, _reserved: Reserved) -> Result<PinRef> {
        let pin = self.header_pin(spec)?;
        let Some(line) = pin.gpio.clone() else {
            return Err(Error::NotAGpio {
                board: self.id.name(),
                header: pin.header.to_string(),
                number: pin.number,
                what: pin.name.to_string(),
            });
        };
        let (chip, chip_label, lines) = self.find_chip()?;
        if line.offset >= lines {
            return Err(Error::ChipNotFound {
                board: self.id.name(),
                labels: vec![format!("{chip_label} with more than {} lines", line.offset)],
                found: vec![format!("{} ({lines} lines)", chip.display())],
            });
        }
        let line_name = Chip::open(&chip)?.line_info(line.offset)?.name;
        Ok(PinRef {
            offset: line.offset,
            pin,
            chip,
            chip_label,
            line_name,
            found_by: ChipFoundBy::Label,
        })
    }

    fn i2c(&self, role: &str) -> Result<I2cRef> {
        bus::i2c(&self.root, self.bus_defs(), role)
    }

    fn spi(&self, bus: u32, cs: u32) -> Result<SpiRef> {
        bus::spi(&self.root, self.bus_defs(), bus, cs)
    }

    fn uart(&self, role: &str) -> Result<UartRef> {
        bus::uart(&self.root, self.bus_defs(), role)
    }

    fn buses(&self) -> Vec<BusStatus> {
        self.bus_defs()
            .iter()
            .map(|d| bus::status(&self.root, d))
            .collect()
    }

    fn gpio_chips(&self) -> Vec<ChipStatus> {
        let found = self.find_chip().ok();
        vec![ChipStatus {
            role: "header GPIOs".into(),
            label: found
                .as_ref()
                .map(|f| f.1.clone())
                .unwrap_or_else(|| self.chip_labels()[0].to_string()),
            path: found.as_ref().map(|f| f.0.clone()),
            lines: found.map(|f| f.2),
        }]
    }
}

const fn i2c_match(
    usual: &'static str,
    names: &'static [&'static str],
    suffixes: &'static [&'static str],
    family: &'static str,
) -> BusMatch {
    BusMatch {
        class: "/sys/class/i2c-dev",
        usual,
        names,
        device_suffixes: suffixes,
        fallback_family: family,
        entry_suffix: "",
        entry_prefix: "i2c-",
    }
}

const fn spi_match(
    usual: &'static str,
    suffixes: &'static [&'static str],
    cs: &'static str,
) -> BusMatch {
    BusMatch {
        class: "/sys/class/spidev",
        usual,
        names: &[],
        device_suffixes: suffixes,
        fallback_family: ".spi",
        entry_suffix: cs,
        entry_prefix: "spidev",
    }
}

const fn tty_match(usual: &'static str, suffixes: &'static [&'static str]) -> BusMatch {
    BusMatch {
        class: "/sys/class/tty",
        usual,
        names: &[],
        device_suffixes: suffixes,
        fallback_family: "",
        entry_suffix: "",
        entry_prefix: "tty",
    }
}

const I2C_ARM_PINS: &str = "SDA=pin 3 (GPIO2), SCL=pin 5 (GPIO3)";
const I2C_VC_PINS: &str = "SDA=pin 27 (GPIO0), SCL=pin 28 (GPIO1)";
const I2C_VC_NOTE: &str = "reserved for HAT ID EEPROMs; use i2c_arm for your devices";
const SPI0_CE0_NOTE: &str = "or dtoverlay=spi0-1cs for CE0 only (keeps GPIO7 free)";
const SPI0_CE1_NOTE: &str = "not with dtoverlay=spi0-1cs (CE0 only)";
const SPI1_NOTE: &str = "spi1-1cs/spi1-2cs give fewer chip selects";
const UART_PINS: &str = "TXD=pin 8 (GPIO14), RXD=pin 10 (GPIO15)";
const UART_NOTE: &str = "to use it for your device rather than a login console, remove console=serial0,115200 from cmdline.txt (or use raspi-config)";

/// BCM2837 and BCM2711 (3B, 3B+, Zero 2 W, 4B, 400, CM4): controllers at the same bus
/// addresses (`bcm283x.dtsi`, `bcm2711.dtsi`).
const BUSES_BCM: &[BusDef] = &[
    BusDef {
        kind: BusKind::I2c,
        name: "i2c_arm",
        aliases: &["i2c1", "i2c"],
        controller: "I2C1",
        pins: I2C_ARM_PINS,
        matcher: i2c_match(
            "i2c-1",
            &["bcm2835 (i2c@7e804000)"],
            &["804000.i2c"],
            "bcm2835",
        ),
        symlink: None,
        enable_line: Some("dtparam=i2c_arm=on"),
        enable_file: EnableFile::ConfigTxt,
        note: None,
        spi: None,
    },
    BusDef {
        kind: BusKind::I2c,
        name: "i2c_vc",
        aliases: &["i2c0"],
        controller: "I2C0",
        pins: I2C_VC_PINS,
        matcher: i2c_match("i2c-0", &["bcm2835 (i2c@7e205000)"], &["205000.i2c"], ""),
        symlink: None,
        enable_line: Some("dtparam=i2c_vc=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(I2C_VC_NOTE),
        spi: None,
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi0.0",
        aliases: &[],
        controller: "SPI0 CE0",
        pins: "CE0=pin 24 (GPIO8), MOSI=19, MISO=21, SCLK=23",
        matcher: spi_match("spidev0.0", &["204000.spi"], ".0"),
        symlink: None,
        enable_line: Some("dtparam=spi=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI0_CE0_NOTE),
        spi: Some((0, 0)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi0.1",
        aliases: &[],
        controller: "SPI0 CE1",
        pins: "CE1=pin 26 (GPIO7), MOSI=19, MISO=21, SCLK=23",
        matcher: spi_match("spidev0.1", &["204000.spi"], ".1"),
        symlink: None,
        enable_line: Some("dtparam=spi=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI0_CE1_NOTE),
        spi: Some((0, 1)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.0",
        aliases: &[],
        controller: "SPI1 CE0",
        pins: "CE0=pin 12 (GPIO18), MOSI=38, MISO=35, SCLK=40",
        matcher: spi_match("spidev1.0", &["215080.spi"], ".0"),
        symlink: None,
        enable_line: Some("dtoverlay=spi1-3cs"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI1_NOTE),
        spi: Some((1, 0)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.1",
        aliases: &[],
        controller: "SPI1 CE1",
        pins: "CE1=pin 11 (GPIO17), MOSI=38, MISO=35, SCLK=40",
        matcher: spi_match("spidev1.1", &["215080.spi"], ".1"),
        symlink: None,
        enable_line: Some("dtoverlay=spi1-3cs"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI1_NOTE),
        spi: Some((1, 1)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.2",
        aliases: &[],
        controller: "SPI1 CE2",
        pins: "CE2=pin 36 (GPIO16), MOSI=38, MISO=35, SCLK=40",
        matcher: spi_match("spidev1.2", &["215080.spi"], ".2"),
        symlink: None,
        enable_line: Some("dtoverlay=spi1-3cs"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI1_NOTE),
        spi: Some((1, 2)),
    },
    BusDef {
        kind: BusKind::Uart,
        name: "primary",
        aliases: &["serial0", "uart"],
        controller: "serial0 (mini UART; PL011 with dtoverlay=disable-bt)",
        pins: UART_PINS,
        matcher: tty_match("ttyS0", &["215040.serial"]),
        symlink: Some("/dev/serial0"),
        enable_line: Some("enable_uart=1"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(UART_NOTE),
        spi: None,
    },
];

/// BCM2712 + RP1 (Raspberry Pi 5): the header's controllers are in RP1 (`rp1.dtsi`),
/// behind PCIe at `1f_0000_0000`.
const BUSES_RP1: &[BusDef] = &[
    BusDef {
        kind: BusKind::I2c,
        name: "i2c_arm",
        aliases: &["i2c1", "i2c"],
        controller: "I2C1 (RP1)",
        pins: I2C_ARM_PINS,
        matcher: i2c_match("i2c-1", &[], &["00074000.i2c"], "Synopsys DesignWare"),
        symlink: None,
        enable_line: Some("dtparam=i2c_arm=on"),
        enable_file: EnableFile::ConfigTxt,
        note: None,
        spi: None,
    },
    BusDef {
        kind: BusKind::I2c,
        name: "i2c_vc",
        aliases: &["i2c0"],
        controller: "I2C0 (RP1)",
        pins: I2C_VC_PINS,
        matcher: i2c_match("i2c-0", &[], &["00070000.i2c"], ""),
        symlink: None,
        enable_line: Some("dtparam=i2c_vc=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(I2C_VC_NOTE),
        spi: None,
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi0.0",
        aliases: &[],
        controller: "SPI0 CE0 (RP1)",
        pins: "CE0=pin 24 (GPIO8), MOSI=19, MISO=21, SCLK=23",
        matcher: spi_match("spidev0.0", &["00050000.spi"], ".0"),
        symlink: None,
        enable_line: Some("dtparam=spi=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI0_CE0_NOTE),
        spi: Some((0, 0)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi0.1",
        aliases: &[],
        controller: "SPI0 CE1 (RP1)",
        pins: "CE1=pin 26 (GPIO7), MOSI=19, MISO=21, SCLK=23",
        matcher: spi_match("spidev0.1", &["00050000.spi"], ".1"),
        symlink: None,
        enable_line: Some("dtparam=spi=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI0_CE1_NOTE),
        spi: Some((0, 1)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.0",
        aliases: &[],
        controller: "SPI1 CE0 (RP1)",
        pins: "CE0=pin 12 (GPIO18), MOSI=38, MISO=35, SCLK=40",
        matcher: spi_match("spidev1.0", &["00054000.spi"], ".0"),
        symlink: None,
        enable_line: Some("dtoverlay=spi1-3cs"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI1_NOTE),
        spi: Some((1, 0)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.1",
        aliases: &[],
        controller: "SPI1 CE1 (RP1)",
        pins: "CE1=pin 11 (GPIO17), MOSI=38, MISO=35, SCLK=40",
        matcher: spi_match("spidev1.1", &["00054000.spi"], ".1"),
        symlink: None,
        enable_line: Some("dtoverlay=spi1-3cs"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI1_NOTE),
        spi: Some((1, 1)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.2",
        aliases: &[],
        controller: "SPI1 CE2 (RP1)",
        pins: "CE2=pin 36 (GPIO16), MOSI=38, MISO=35, SCLK=40",
        matcher: spi_match("spidev1.2", &["00054000.spi"], ".2"),
        symlink: None,
        enable_line: Some("dtoverlay=spi1-3cs"),
        enable_file: EnableFile::ConfigTxt,
        note: Some(SPI1_NOTE),
        spi: Some((1, 2)),
    },
    BusDef {
        kind: BusKind::Uart,
        name: "primary",
        aliases: &["uart0", "uart"],
        controller: "UART0 (RP1 PL011)",
        pins: UART_PINS,
        matcher: tty_match("ttyAMA0", &["00030000.serial"]),
        symlink: None,
        enable_line: Some("dtparam=uart0=on"),
        enable_file: EnableFile::ConfigTxt,
        note: Some("on the Pi 5, serial0 and enable_uart=1 mean the 3-pin debug connector (ttyAMA10), not the header"),
        spi: None,
    },
    BusDef {
        kind: BusKind::Uart,
        name: "debug",
        aliases: &["console", "serial10"],
        controller: "UART10 (debug connector)",
        pins: "3-pin debug connector (not the 40-pin header)",
        matcher: tty_match("ttyAMA10", &["7d001000.serial"]),
        symlink: None,
        enable_line: Some("enable_uart=1"),
        enable_file: EnableFile::ConfigTxt,
        note: None,
        spi: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_pins_map_to_bcm_numbers() {
        let pi = RaspberryPi::new(BoardId::Rpi4B).unwrap();
        let p = pi.header_pin(PinSpec::Physical(11)).unwrap();
        assert_eq!(p.name, "GPIO17");
        assert_eq!(p.gpio.unwrap().offset, 17);
        assert_eq!(
            pi.header_pin(PinSpec::Physical(6)).unwrap().kind,
            PinKind::Ground
        );
    }

    #[test]
    fn pin_name_forms() {
        let pi = RaspberryPi::new(BoardId::Rpi5).unwrap();
        for (spec, number) in [
            ("GPIO17", 11),
            ("gpio17", 11),
            ("BCM17", 11),
            ("GPIO_17", 11),
            ("11", 11),
            ("J8-11", 11),
            ("pin11", 11),
            ("ID_SCL", 28),
            ("SPI_SCLK", 23),
            ("TXD1", 8),
        ] {
            let p = pi.header_pin(PinSpec::Name(spec)).unwrap();
            assert_eq!(p.number, number, "{spec}");
        }
        for bad in ["NC", "-", "GPIO", "J8-", "P9_12"] {
            assert!(pi.header_pin(PinSpec::Name(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn three_b_line_names_resolve_to_the_same_gpio() {
        let pi = RaspberryPi::new(BoardId::Rpi3B).unwrap();
        let p = pi.header_pin(PinSpec::Name("SPI_MOSI")).unwrap();
        assert_eq!(p.number, 19);
        let gpio = p.gpio.unwrap();
        assert_eq!(gpio.offset, 10);
        assert_eq!(gpio.line_name.as_deref(), Some("SPI_MOSI"));
        // The Pi 4 names the same line GPIO10, and still accepts the schematic name.
        let pi4 = RaspberryPi::new(BoardId::Rpi4B).unwrap();
        let p4 = pi4.header_pin(PinSpec::Name("SPI_MOSI")).unwrap();
        assert_eq!(p4.gpio.unwrap().line_name.as_deref(), Some("GPIO10"));
    }
}
