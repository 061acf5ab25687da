//! BeagleBone Black and Green: the P8 and P9 headers.
//!
//! Each header pin is a line of one of four GPIO banks (`gpio0`..`gpio3`, 32 lines each).
//! The kernel's chip numbers and labels for the banks follow probe order, which has
//! changed between kernels, so a bank's chip is found by the line names the device tree
//! gives it (`P9_12`), then by the controller's address in sysfs, then by its label.

pub(crate) mod tables;

use std::borrow::Cow;
use std::path::PathBuf;

use udrv_core::gpio::Chip;

use crate::board::{
    line_state, Board, BusKind, BusStatus, ChipStatus, I2cRef, PinRow, PinTable, SpiRef, UartRef,
};
use crate::bus::{self, BusDef, EnableFile};
use crate::detect::{BoardId, Detected, Source};
use crate::error::{Error, Result};
use crate::pin::{
    ChipFoundBy, GpioLine, HeaderPin, PinKind, PinRef, PinSpec, Reservation, Reserved,
};
use crate::sysfs::{BusMatch, Root};
use tables::{line_name_matches, normalize, Bb, Hold, BANK_DEVICES, BANK_LABELS};

/// A BeagleBone Black or Green.
///
/// ```no_run
/// use udrv_boards::{BeagleBone, Board, BoardId};
/// use udrv_core::gpio::Value;
/// # fn main() -> Result<(), udrv_boards::Error> {
/// let bb = BeagleBone::new(BoardId::BeagleBoneBlack)?;
/// let pin = bb.pin("P9_12")?; // GPIO1_28, legacy gpio60
/// let out = pin.request_output(Value::Active)?;
/// # drop(out); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BeagleBone {
    id: BoardId,
    root: Root,
    detected: Option<Detected>,
}

/// A GPIO chip seen on this system: (device node, label, line names by offset).
type SeenChip = (PathBuf, String, Vec<Option<String>>);

impl BeagleBone {
    /// A BeagleBone of model `id` on this system. Errors when `id` is not a BeagleBone.
    pub fn new(id: BoardId) -> Result<BeagleBone> {
        BeagleBone::with_root(id, Root::system())
    }

    /// A BeagleBone whose `/dev`, `/sys` and `/boot` are under `root`.
    pub fn with_root(id: BoardId, root: Root) -> Result<BeagleBone> {
        match id {
            BoardId::BeagleBoneBlack | BoardId::BeagleBoneGreen => Ok(BeagleBone {
                id,
                root,
                detected: None,
            }),
            other => Err(Error::Unsupported {
                board: other,
                what: "be driven as a BeagleBone".into(),
            }),
        }
    }

    /// Remembers how the board was detected (for `model()` and `info()`).
    pub fn with_detected(mut self, d: Detected) -> BeagleBone {
        self.detected = Some(d);
        self
    }

    /// The pin `header` (8 or 9) number `n`, from the tables.
    fn table_pin(&self, header: u32, n: u32) -> Option<HeaderPin> {
        let table = match header {
            8 => &tables::P8,
            9 => &tables::P9,
            _ => return None,
        };
        let entry = *table.get((n as usize).checked_sub(1)?)?;
        let name: Cow<'static, str> = format!("P{header}_{n}").into();
        let mut pin = HeaderPin {
            header: format!("P{header}").into(),
            number: n,
            name: name.clone(),
            kind: PinKind::Other,
            functions: vec![],
            gpio: None,
            reserved: None,
        };
        match entry {
            Bb::Gpio(bank, off, funcs, hold) => {
                pin.kind = PinKind::Gpio;
                pin.functions.push(format!("GPIO{bank}_{off}").into());
                pin.functions
                    .extend(funcs.iter().map(|f| Cow::Borrowed(*f)));
                pin.gpio = Some(GpioLine {
                    chip_label: BANK_LABELS[bank as usize].into(),
                    offset: off,
                    line_name: Some(tables::LINE_NAMES[bank as usize][off as usize].into()),
                    legacy_number: Some(bank * 32 + off),
                });
                pin.reserved = hold.filter(|h| self.holds(*h)).map(|h| Reservation {
                    by: h.by().into(),
                    free_with: h.free_with().into(),
                });
            }
            Bb::Power(v) => {
                pin.kind = PinKind::Power;
                pin.functions.push(v.into());
            }
            Bb::Ground(v) => {
                pin.kind = PinKind::Ground;
                pin.functions.push(v.into());
            }
            Bb::Other(v) => pin.functions.push(v.into()),
        }
        Some(pin)
    }

    /// Whether this model has the device that holds such pins (the Green has no HDMI).
    fn holds(&self, h: Hold) -> bool {
        match h {
            Hold::Emmc => true,
            Hold::Hdmi | Hold::HdmiAudio => self.id == BoardId::BeagleBoneBlack,
        }
    }

    fn no_such(&self, spec: &str, hint: impl Into<String>) -> Error {
        Error::NoSuchPin {
            board: self.id.name(),
            spec: spec.to_string(),
            hint: hint.into(),
        }
    }

    /// Every GPIO pin of the tables (including the second balls of P9_41/P9_42).
    fn gpio_pins(&self) -> Vec<HeaderPin> {
        let mut v: Vec<HeaderPin> = self
            .header_pins()
            .into_iter()
            .filter(|p| p.gpio.is_some())
            .collect();
        v.extend(
            tables::SECOND_BALLS
                .iter()
                .filter_map(|s| self.second_ball(s.0)),
        );
        v
    }

    /// `P9_41B` / `P9_42B`: the second GPIO wired to the same header pin.
    fn second_ball(&self, name: &str) -> Option<HeaderPin> {
        let (n, pin, bank, off) = *tables::SECOND_BALLS
            .iter()
            .find(|s| s.0.eq_ignore_ascii_case(name))?;
        let mut p = self.table_pin(9, pin)?;
        p.name = n.into();
        p.functions = vec![format!("GPIO{bank}_{off}").into()];
        p.gpio = Some(GpioLine {
            chip_label: BANK_LABELS[bank as usize].into(),
            offset: off,
            line_name: Some(tables::LINE_NAMES[bank as usize][off as usize].into()),
            legacy_number: Some(bank * 32 + off),
        });
        Some(p)
    }

    /// Reads every GPIO chip's label and line names.
    fn scan_chips(&self) -> Vec<SeenChip> {
        self.root
            .gpio_chips()
            .into_iter()
            .filter_map(|path| {
                let chip = Chip::open(&path).ok()?;
                let info = chip.info().ok()?;
                let names = (0..info.lines)
                    .map(|o| chip.line_info(o).ok().and_then(|i| i.name))
                    .collect();
                Some((path, info.label, names))
            })
            .collect()
    }

    /// The chip of GPIO bank `bank`: the one whose line names match the bank's header
    /// pins, else the one at the bank's address in sysfs, else the one with its label.
    fn bank_chip(&self, bank: u32, chips: &[SeenChip]) -> Option<(usize, ChipFoundBy)> {
        let pins: Vec<(String, u32)> = self
            .gpio_pins()
            .into_iter()
            .filter_map(|p| {
                let g = p.gpio?;
                (g.chip_label == BANK_LABELS[bank as usize]).then(|| (p.name.to_string(), g.offset))
            })
            .collect();
        let score = |c: &SeenChip| {
            pins.iter()
                .filter(|(name, off)| {
                    c.2.get(*off as usize)
                        .and_then(|n| n.as_deref())
                        .is_some_and(|l| line_name_matches(name, l))
                })
                .count()
        };
        let best = chips
            .iter()
            .enumerate()
            .map(|(i, c)| (score(c), i))
            .filter(|(s, _)| *s > 0)
            .max();
        if let Some((_, i)) = best {
            return Some((i, ChipFoundBy::LineNames));
        }
        let by_dev = chips.iter().position(|c| {
            let name = c.0.file_name().and_then(|n| n.to_str()).unwrap_or("");
            self.root
                .gpio_chip_device(name)
                .is_some_and(|d| d.to_string_lossy().contains(BANK_DEVICES[bank as usize]))
        });
        if let Some(i) = by_dev {
            return Some((i, ChipFoundBy::Device));
        }
        chips
            .iter()
            .position(|c| c.1 == BANK_LABELS[bank as usize])
            .map(|i| (i, ChipFoundBy::Label))
    }

    /// A table pin on its bank's chip, given a scan of the chips.
    fn resolve(&self, pin: HeaderPin, line: GpioLine, chips: &[SeenChip]) -> Result<PinRef> {
        let bank = BeagleBone::bank_of(&line);
        let Some((i, found_by)) = self.bank_chip(bank, chips) else {
            return Err(Error::ChipNotFound {
                board: self.id.name(),
                labels: vec![format!(
                    "{} (GPIO bank {bank}, {})",
                    BANK_LABELS[bank as usize], BANK_DEVICES[bank as usize]
                )],
                found: chips.iter().map(|c| c.1.clone()).collect(),
            });
        };
        let (chip, chip_label, names) = chips[i].clone();
        Ok(PinRef {
            offset: line.offset,
            line_name: names.get(line.offset as usize).cloned().flatten(),
            pin,
            chip,
            chip_label,
            found_by,
        })
    }

    fn bank_of(line: &GpioLine) -> u32 {
        BANK_LABELS
            .iter()
            .position(|l| *l == line.chip_label)
            .unwrap_or(0) as u32
    }
}

impl Board for BeagleBone {
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
        [8, 9]
            .iter()
            .flat_map(|h| (1..=46).filter_map(move |n| self.table_pin(*h, n)))
            .collect()
    }

    fn header_pin(&self, spec: PinSpec<'_>) -> Result<HeaderPin> {
        let s = match spec {
            PinSpec::Physical(n) => {
                return Err(self.no_such(
                    &n.to_string(),
                    format!("the BeagleBone has two headers: name the pin P8_{n} or P9_{n}"),
                ))
            }
            PinSpec::Name(s) => s.trim(),
        };
        let norm = normalize(s);
        // P8_n / P9_n.
        if let Some((h, n)) = norm
            .strip_prefix('P')
            .and_then(|r| r.split_once('_'))
            .and_then(|(h, n)| Some((h.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
        {
            return match self.table_pin(h, n) {
                Some(p) if h == 8 || h == 9 => Ok(p),
                _ => Err(self.no_such(s, "P8 and P9 have pins 1 to 46")),
            };
        }
        if let Some(p) = self.second_ball(&norm) {
            return Ok(p);
        }
        // GPIO1_28 (bank_offset) or gpio60 / GPIO_60 (legacy number).
        let gpio = norm
            .strip_prefix("GPIO")
            .map(|r| r.trim_start_matches('_'))
            .and_then(|r| match r.split_once('_') {
                Some((b, o)) => Some((b.parse::<u32>().ok()?, o.parse::<u32>().ok()?)),
                None => r.parse::<u32>().ok().map(|n| (n / 32, n % 32)),
            });
        if let Some((bank, off)) = gpio {
            let found = self.gpio_pins().into_iter().find(|p| {
                p.gpio
                    .as_ref()
                    .is_some_and(|g| BeagleBone::bank_of(g) == bank && g.offset == off)
            });
            return found.ok_or_else(|| {
                self.no_such(
                    s,
                    format!(
                        "GPIO{bank}_{off} (gpio{}) is not on P8 or P9",
                        bank * 32 + off
                    ),
                )
            });
        }
        // AIN0, SYS_5V, ...: found so that lookups can say what the pin is.
        if let Some(p) = self
            .header_pins()
            .into_iter()
            .find(|p| p.kind != PinKind::Gpio && p.functions.iter().any(|f| normalize(f) == norm))
        {
            return Ok(p);
        }
        Err(self.no_such(
            s,
            "name a pin P8_n or P9_n (n = 1 to 46), GPIOb_n (bank_offset) or gpioN (legacy number)",
        ))
    }

    fn lookup_pin(&self, spec: PinSpec<'_>, reserved: Reserved) -> Result<PinRef> {
        let pin = self.header_pin(spec)?;
        let Some(line) = pin.gpio.clone() else {
            return Err(Error::NotAGpio {
                board: self.id.name(),
                header: pin.header.to_string(),
                number: pin.number,
                what: pin
                    .functions
                    .first()
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| pin.name.to_string()),
            });
        };
        if let (Some(r), Reserved::Refuse) = (&pin.reserved, reserved) {
            return Err(Error::PinReserved {
                pin: pin.name.to_string(),
                by: r.by.to_string(),
                free_with: r.free_with.to_string(),
            });
        }
        let chips = self.scan_chips();
        self.resolve(pin, line, &chips)
    }

    fn pin_table(&self, read_values: bool) -> PinTable {
        // One scan of the chips for the whole table.
        let chips = self.scan_chips();
        let rows = self
            .header_pins()
            .into_iter()
            .map(|pin| {
                let state = pin
                    .gpio
                    .clone()
                    .and_then(|line| self.resolve(pin.clone(), line, &chips).ok())
                    .and_then(|r| line_state(&r, read_values).ok());
                PinRow { pin, state }
            })
            .collect();
        PinTable {
            board: self.id,
            model: self.model(),
            rows,
        }
    }

    fn i2c(&self, role: &str) -> Result<I2cRef> {
        bus::i2c(&self.root, BUSES, role)
    }

    fn spi(&self, bus: u32, cs: u32) -> Result<SpiRef> {
        bus::spi(&self.root, BUSES, bus, cs)
    }

    fn uart(&self, role: &str) -> Result<UartRef> {
        bus::uart(&self.root, BUSES, role)
    }

    fn buses(&self) -> Vec<BusStatus> {
        bus::statuses(&self.root, BUSES)
    }

    fn gpio_chips(&self) -> Vec<ChipStatus> {
        let chips = self.scan_chips();
        (0..4)
            .map(|bank| {
                let found = self.bank_chip(bank, &chips).map(|(i, _)| &chips[i]);
                ChipStatus {
                    role: format!("GPIO bank {bank} ({})", BANK_DEVICES[bank as usize]),
                    label: found
                        .map(|c| c.1.clone())
                        .unwrap_or_else(|| BANK_LABELS[bank as usize].to_string()),
                    path: found.map(|c| c.0.clone()),
                    lines: found.map(|c| c.2.len() as u32),
                }
            })
            .collect()
    }
}

const fn m(
    class: &'static str,
    prefix: &'static str,
    usual: &'static str,
    suffix: &'static [&'static str],
    family: &'static str,
    cs: &'static str,
) -> BusMatch {
    BusMatch {
        class,
        usual,
        names: &[],
        device_suffixes: suffix,
        fallback_family: family,
        entry_suffix: cs,
        entry_prefix: prefix,
    }
}

const I2C: &str = "/sys/class/i2c-dev";
const SPI: &str = "/sys/class/spidev";
const TTY: &str = "/sys/class/tty";

const SPI0_NOTE: &str = "or, with the universal cape: config-pin P9_17 spi_cs; config-pin P9_18 spi; config-pin P9_21 spi; config-pin P9_22 spi_sclk";
const SPI1_NOTE: &str = "SPI1 shares pins with HDMI audio: also add disable_uboot_overlay_audio=1; or, with the universal cape: config-pin P9_28 spi_cs; config-pin P9_29 spi; config-pin P9_30 spi; config-pin P9_31 spi_sclk";

/// The BeagleBone's buses on P8/P9 (and the console UART).
const BUSES: &[BusDef] = &[
    BusDef {
        kind: BusKind::I2c,
        name: "i2c2",
        aliases: &["i2c", "default"],
        controller: "I2C2",
        pins: "SCL=P9_19, SDA=P9_20",
        matcher: m(I2C, "i2c-", "i2c-2", &["4819c000.i2c"], "OMAP I2C", ""),
        symlink: None,
        // On in the board's base device tree (am335x-bone-common.dtsi): no overlay needed.
        enable_line: None,
        enable_file: EnableFile::None,
        note: Some(
            "on by default (cape EEPROMs live on it): if it is missing, an overlay in \
             /boot/uEnv.txt that takes P9_19/P9_20 (such as BB-CAN0) turned it off; remove \
             that line and reboot, or with the universal cape: config-pin P9_19 i2c; \
             config-pin P9_20 i2c",
        ),
        spi: None,
    },
    BusDef {
        kind: BusKind::I2c,
        name: "i2c1",
        aliases: &[],
        controller: "I2C1",
        pins: "SCL=P9_17, SDA=P9_18",
        matcher: m(I2C, "i2c-", "i2c-1", &["4802a000.i2c"], "OMAP I2C", ""),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-I2C1-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some("or, with the universal cape: config-pin P9_17 i2c; config-pin P9_18 i2c"),
        spi: None,
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi0.0",
        aliases: &[],
        controller: "SPI0 CS0",
        pins: "CS0=P9_17, D1=P9_18, D0=P9_21, SCLK=P9_22",
        matcher: m(SPI, "spidev", "spidev0.0", &["48030000.spi"], ".spi", ".0"),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-SPIDEV0-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some(SPI0_NOTE),
        spi: Some((0, 0)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi0.1",
        aliases: &[],
        controller: "SPI0 CS1",
        pins: "D1=P9_18, D0=P9_21, SCLK=P9_22 (CS1 not on the headers)",
        matcher: m(SPI, "spidev", "spidev0.1", &["48030000.spi"], ".spi", ".1"),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-SPIDEV0-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some(SPI0_NOTE),
        spi: Some((0, 1)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.0",
        aliases: &[],
        controller: "SPI1 CS0",
        pins: "CS0=P9_28, D0=P9_29, D1=P9_30, SCLK=P9_31",
        matcher: m(SPI, "spidev", "spidev1.0", &["481a0000.spi"], ".spi", ".0"),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-SPIDEV1-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some(SPI1_NOTE),
        spi: Some((1, 0)),
    },
    BusDef {
        kind: BusKind::Spi,
        name: "spi1.1",
        aliases: &[],
        controller: "SPI1 CS1",
        pins: "CS1=P9_42, D0=P9_29, D1=P9_30, SCLK=P9_31",
        matcher: m(SPI, "spidev", "spidev1.1", &["481a0000.spi"], ".spi", ".1"),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-SPIDEV1-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some(SPI1_NOTE),
        spi: Some((1, 1)),
    },
    BusDef {
        kind: BusKind::Uart,
        name: "primary",
        aliases: &["console", "uart0"],
        controller: "UART0 (J1 debug header)",
        pins: "J1 debug header (not P8/P9)",
        matcher: m(TTY, "tty", "ttyS0", &["44e09000.serial"], "", ""),
        symlink: None,
        enable_line: None,
        enable_file: EnableFile::None,
        note: Some(
            "always on (it carries the login console): if it is missing, this kernel lacks \
             the OMAP serial driver (8250_omap) or this is not a BeagleBone",
        ),
        spi: None,
    },
    BusDef {
        kind: BusKind::Uart,
        name: "uart1",
        aliases: &[],
        controller: "UART1",
        pins: "TXD=P9_24, RXD=P9_26",
        matcher: m(TTY, "tty", "ttyS1", &["48022000.serial"], "", ""),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-UART1-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some("or, with the universal cape: config-pin P9_24 uart; config-pin P9_26 uart"),
        spi: None,
    },
    BusDef {
        kind: BusKind::Uart,
        name: "uart2",
        aliases: &[],
        controller: "UART2",
        pins: "TXD=P9_21, RXD=P9_22",
        matcher: m(TTY, "tty", "ttyS2", &["48024000.serial"], "", ""),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-UART2-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some("or, with the universal cape: config-pin P9_21 uart; config-pin P9_22 uart"),
        spi: None,
    },
    BusDef {
        kind: BusKind::Uart,
        name: "uart4",
        aliases: &[],
        controller: "UART4",
        pins: "TXD=P9_13, RXD=P9_11",
        matcher: m(TTY, "tty", "ttyS4", &["481a8000.serial"], "", ""),
        symlink: None,
        enable_line: Some("uboot_overlay_addrN=BB-UART4-00A0.dtbo"),
        enable_file: EnableFile::UEnv,
        note: Some("or, with the universal cape: config-pin P9_11 uart; config-pin P9_13 uart"),
        spi: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_name_variants() {
        assert!(line_name_matches("P9_12", "P9_12"));
        assert!(line_name_matches("P9_12", "P9_12 [GPIO1_28]"));
        assert!(line_name_matches("P8_3", "P8_03"));
        assert!(line_name_matches("P8_3", "P8_3 [mmc1_dat6]"));
        assert!(line_name_matches("P9_41", "P9_41A"));
        assert!(line_name_matches("P9_41", "P9_41B"));
        assert!(line_name_matches("P9_41B", "P9_41A"));
        assert!(!line_name_matches("P9_4", "P9_41"));
        assert!(!line_name_matches("P9_1", "P9_12"));
        assert!(!line_name_matches("P8_24", "[mmc1_dat1]"));
    }

    #[test]
    fn p9_12_is_gpio1_28() {
        let bb = BeagleBone::new(BoardId::BeagleBoneBlack).unwrap();
        for name in ["P9_12", "p9.12", "P9_012", "GPIO1_28", "gpio60"] {
            let p = bb.header_pin(PinSpec::Name(name)).unwrap();
            assert_eq!(p.name, "P9_12", "{name}");
            let g = p.gpio.unwrap();
            assert_eq!((g.chip_label.as_ref(), g.offset), ("gpio-32-63", 28));
            assert_eq!(g.legacy_number, Some(60));
        }
    }
}
