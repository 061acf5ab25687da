//! 1-Wire devices the kernel's w1 core found (`/sys/bus/w1/devices/FF-SSSSSSSSSSSS`),
//! and the temperature sensors its `w1_therm` driver drives (DS18B20 and relatives), read
//! as the kernel's Documentation/w1/slaves/w1_therm.rst defines: each read of `w1_slave`
//! starts a conversion and gives the scratchpad twice, with the driver's CRC verdict
//! (`: crc=57 YES`) and the temperature in millidegrees (`t=23125`):
//!
//! ```text
//! 72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
//! 72 01 4b 46 7f ff 0e 10 57 t=23125
//! ```
//!
//! A read whose CRC failed (`NO`), or whose scratchpad is all `00` or all `ff` (nothing
//! answered: the CRC of nine zero bytes is zero, so the kernel says `YES`), is an error,
//! never a temperature. `resolution` (9 to 12 bits) is read and written through its own
//! attribute.

use std::fmt;
use std::path::Path;

use crate::sysfs::{AttrError, Dev, Problem, SysRoot};

/// Errors of the [`w1`](self) module.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No 1-Wire device by that name.
    NotFound {
        /// The name looked for.
        name: String,
    },
    /// The device is no thermometer `w1_therm` drives.
    NotAThermometer {
        /// The device.
        device: String,
    },
    /// The kernel's CRC check of the scratchpad failed (`NO`): a bad contact, a long or
    /// unterminated line, or too weak a pull-up.
    Crc {
        /// The device.
        device: String,
        /// The line the kernel gave.
        line: String,
    },
    /// The scratchpad is all `00` or all `ff`: nothing answered.
    NoAnswer {
        /// The device.
        device: String,
        /// The line the kernel gave.
        line: String,
    },
    /// A resolution other than 9 to 12 bits was asked for.
    Resolution {
        /// The device.
        device: String,
        /// The bits asked for.
        bits: u8,
    },
    /// An attribute could not be read or written, or holds garbage.
    Attr(AttrError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound { name } => write!(
                f,
                "w1: no 1-Wire device `{name}` (`udrv w1 list` lists them; on a Raspberry Pi \
                 enable the bus with `dtoverlay=w1-gpio` in config.txt)"
            ),
            Error::NotAThermometer { device } => write!(
                f,
                "w1: {device} is not a temperature sensor w1_therm drives (family 10, 22, 28, \
                 3b or 42), or w1_therm is not loaded (`modprobe w1_therm`)"
            ),
            Error::Crc { device, line } => write!(
                f,
                "w1: {device}: the kernel's CRC check of the reading failed ({line}); check \
                 the wiring and the 4.7 kΩ pull-up, shorten the line, and read again"
            ),
            Error::NoAnswer { device, line } => write!(
                f,
                "w1: {device}: the sensor did not answer (scratchpad {line}); check its data \
                 and power wiring (parasite power needs the strong pull-up)"
            ),
            Error::Resolution { device, bits } => write!(
                f,
                "w1: {device}: resolution {bits} bits: give 9, 10, 11 or 12"
            ),
            Error::Attr(e) => e.fmt(f),
        }
    }
}

crate::sysfs::attr_error_impls!(Error);

/// A 1-Wire device: `/sys/bus/w1/devices/FF-SSSSSSSSSSSS`.
#[derive(Clone, Debug)]
pub struct W1Device {
    dev: Dev,
    id: String,
    family: u8,
}

/// The 1-Wire devices under `root` (the bus masters left out), by name.
pub fn list(root: &SysRoot) -> Vec<W1Device> {
    let mut entries = root.entries("/sys/bus/w1/devices");
    entries.sort();
    entries
        .into_iter()
        .filter_map(|(id, dir)| {
            let (family, serial) = id.split_once('-')?;
            if family.len() != 2 || serial.len() != 12 {
                return None;
            }
            let family = u8::from_str_radix(family, 16).ok()?;
            u64::from_str_radix(serial, 16).ok()?;
            Some(W1Device {
                dev: Dev {
                    subsystem: "w1",
                    name: id.clone(),
                    dir,
                },
                id,
                family,
            })
        })
        .collect()
}

impl W1Device {
    /// Opens the device `FF-SSSSSSSSSSSS`.
    pub fn open(root: &SysRoot, name: &str) -> Result<W1Device, Error> {
        list(root)
            .into_iter()
            .find(|d| d.id == name)
            .ok_or_else(|| Error::NotFound { name: name.into() })
    }

    /// Its name, `28-00000a1b2c3d` (family code, serial number).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The device's folder.
    pub fn path(&self) -> &Path {
        &self.dev.dir
    }

    /// The family code (0x28: DS18B20).
    pub fn family(&self) -> u8 {
        self.family
    }

    /// The chip the family code names, for the thermometers w1_therm drives.
    pub fn chip(&self) -> Option<&'static str> {
        Some(match self.family {
            0x10 => "DS18S20",
            0x22 => "DS1822",
            0x28 => "DS18B20",
            0x3b => "DS1825",
            0x42 => "DS28EA00",
            _ => return None,
        })
    }

    /// Whether the kernel exposes it as a thermometer (`w1_slave` is there).
    pub fn is_thermometer(&self) -> bool {
        self.dev.has("w1_slave")
    }

    /// Reads the temperature in °C through `w1_slave` (a conversion, up to 750 ms at 12
    /// bits), with the kernel's CRC verdict checked.
    pub fn read_temperature(&self) -> Result<f64, Error> {
        if !self.dev.dir.exists() {
            // The folder's absence is reported as the device gone.
            return Err(self
                .dev
                .err(self.dev.dir.join("w1_slave"), false, Problem::Gone)
                .into());
        }
        if !self.is_thermometer() {
            return Err(Error::NotAThermometer {
                device: self.id.clone(),
            });
        }
        let text = self.dev.read("w1_slave")?;
        parse_w1_slave(&text).map_err(|bad| match bad {
            Bad::Crc(line) => Error::Crc {
                device: self.id.clone(),
                line,
            },
            Bad::NoAnswer(line) => Error::NoAnswer {
                device: self.id.clone(),
                line,
            },
            Bad::Garbage => Error::Attr(self.dev.err(
                self.dev.dir.join("w1_slave"),
                false,
                Problem::Garbage {
                    text: text.chars().take(40).collect(),
                    expected: "two scratchpad lines (`... : crc=XX YES`, `... t=N`)",
                },
            )),
        })
    }

    /// The resolution in bits (9 to 12), from the `resolution` attribute.
    pub fn resolution(&self) -> Result<u8, Error> {
        let bits: u8 = self.dev.parse("resolution", "a number of bits (9-12)")?;
        if !(9..=12).contains(&bits) {
            return Err(self
                .dev
                .err(
                    self.dev.dir.join("resolution"),
                    false,
                    Problem::Garbage {
                        text: bits.to_string(),
                        expected: "a number of bits (9-12)",
                    },
                )
                .into());
        }
        Ok(bits)
    }

    /// Sets the resolution (9 to 12 bits; not kept over a power cycle).
    pub fn set_resolution(&self, bits: u8) -> Result<(), Error> {
        if !(9..=12).contains(&bits) {
            return Err(Error::Resolution {
                device: self.id.clone(),
                bits,
            });
        }
        Ok(self.dev.write("resolution", &bits.to_string())?)
    }
}

/// Why a `w1_slave` text gives no temperature.
#[derive(Debug, PartialEq)]
enum Bad {
    Crc(String),
    NoAnswer(String),
    Garbage,
}

/// The temperature (°C) in a `w1_slave` text.
fn parse_w1_slave(text: &str) -> Result<f64, Bad> {
    let mut lines = text.lines();
    let (first, second) = (lines.next().ok_or(Bad::Garbage)?, lines.next());
    let (bytes, verdict) = first.split_once(" : crc=").ok_or(Bad::Garbage)?;
    let scratch: Vec<u8> = bytes
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16))
        .collect::<Result<_, _>>()
        .map_err(|_| Bad::Garbage)?;
    if scratch.len() != 9 {
        return Err(Bad::Garbage);
    }
    let (_, word) = verdict.split_once(' ').ok_or(Bad::Garbage)?;
    match word.trim() {
        "YES" => {}
        "NO" => return Err(Bad::Crc(first.trim().to_string())),
        _ => return Err(Bad::Garbage),
    }
    if scratch.iter().all(|&b| b == 0) || scratch.iter().all(|&b| b == 0xff) {
        return Err(Bad::NoAnswer(bytes.trim().to_string()));
    }
    let t = second
        .and_then(|l| l.rsplit_once("t="))
        .ok_or(Bad::Garbage)?
        .1;
    let milli: i64 = t.trim().parse().map_err(|_| Bad::Garbage)?;
    Ok(milli as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w1_slave_parses() {
        let ok = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n";
        assert_eq!(parse_w1_slave(ok), Ok(23.125));
        let neg = "5e ff 4b 46 7f ff 02 10 a1 : crc=a1 YES\n5e ff 4b 46 7f ff 02 10 a1 t=-10125";
        assert_eq!(parse_w1_slave(neg), Ok(-10.125));
        let no = ok.replace("YES", "NO");
        assert!(matches!(parse_w1_slave(&no), Err(Bad::Crc(_))));
        let zeros = "00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0";
        assert!(matches!(parse_w1_slave(zeros), Err(Bad::NoAnswer(_))));
        assert_eq!(parse_w1_slave("t=1000"), Err(Bad::Garbage));
        assert_eq!(parse_w1_slave(""), Err(Bad::Garbage));
    }
}
