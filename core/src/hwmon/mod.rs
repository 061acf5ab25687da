//! Hardware-monitoring sensors a kernel driver drives (`/sys/class/hwmon`), read through
//! the attributes the kernel's Documentation/hwmon/sysfs-interface.rst defines:
//! `tempN_input` (millidegrees Celsius), `inN_input` (millivolts), `currN_input`
//! (milliamperes), `powerN_input` (microwatts), `humidityN_input` (milli-percent), each
//! with its optional `_label`. Values come back in °C, V, A, W and %.
//!
//! ```no_run
//! use udrv_core::hwmon;
//! use udrv_core::sysfs::SysRoot;
//!
//! for dev in hwmon::list(&SysRoot::system()) {
//!     for s in dev.read_all()? {
//!         println!("{} {} {} {}", dev.id(), dev.name(), s.channel, s.value);
//!     }
//! }
//! # Ok::<(), udrv_core::hwmon::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::sysfs::{driver_of, i2c_client_of, AttrError, Dev, SysRoot};

/// Errors of the [`hwmon`](self) module.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No hwmon device by that name.
    NotFound {
        /// The name looked for.
        name: String,
    },
    /// An attribute could not be read.
    Attr(AttrError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound { name } => write!(
                f,
                "hwmon: no hwmon device `{name}` (`ls /sys/class/hwmon` lists them; its \
                 driver may not be loaded)"
            ),
            Error::Attr(e) => e.fmt(f),
        }
    }
}

crate::sysfs::attr_error_impls!(Error);

/// What a channel measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// `tempN_`: a temperature (°C).
    Temperature,
    /// `inN_`: a voltage (V).
    Voltage,
    /// `currN_`: a current (A).
    Current,
    /// `powerN_`: a power (W).
    Power,
    /// `humidityN_`: a relative humidity (%).
    Humidity,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Temperature,
        Kind::Voltage,
        Kind::Current,
        Kind::Power,
        Kind::Humidity,
    ];

    /// The attribute prefix: `temp`, `in`, `curr`, `power`, `humidity`.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Temperature => "temp",
            Kind::Voltage => "in",
            Kind::Current => "curr",
            Kind::Power => "power",
            Kind::Humidity => "humidity",
        }
    }

    /// The factor from the kernel's unit to the one returned (millidegrees to °C, ...).
    pub fn scale(self) -> f64 {
        match self {
            Kind::Power => 1e-6,
            _ => 1e-3,
        }
    }

    /// The unit of the values returned: `°C`, `V`, `A`, `W`, `%`.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Temperature => "°C",
            Kind::Voltage => "V",
            Kind::Current => "A",
            Kind::Power => "W",
            Kind::Humidity => "%",
        }
    }
}

/// One channel of a hwmon device: `temp1`, `in0`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Channel {
    /// What it measures.
    pub kind: Kind,
    /// Its number (`temp1`: 1; voltages count from 0).
    pub index: u32,
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind.prefix(), self.index)
    }
}

/// One value read.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The channel.
    pub channel: Channel,
    /// Its `_label`, if the driver gives one.
    pub label: Option<String>,
    /// The value in [`Kind::unit`].
    pub value: f64,
    /// The integer the kernel gave, in its unit (millidegrees, ...).
    pub raw: i64,
}

/// A hwmon device: `/sys/class/hwmon/hwmonN`.
#[derive(Clone, Debug)]
pub struct Hwmon {
    dev: Dev,
    id: String,
    name: String,
    link: PathBuf,
}

/// The hwmon devices under `root`, in number order (none when there is no hwmon class).
/// A device whose `name` cannot be read is listed with the name `?`.
pub fn list(root: &SysRoot) -> Vec<Hwmon> {
    root.entries("/sys/class/hwmon")
        .into_iter()
        .filter(|(n, _)| n.starts_with("hwmon"))
        .map(|(n, p)| Hwmon::at(n, p))
        .collect()
}

impl Hwmon {
    fn at(id: String, link: PathBuf) -> Hwmon {
        // Drivers of the old API put their attributes on the parent device.
        let dir = if link.join("name").exists() || !link.join("device/name").exists() {
            link.clone()
        } else {
            link.join("device")
        };
        let mut dev = Dev {
            subsystem: "hwmon",
            name: id.clone(),
            dir,
        };
        let name = dev.read("name").unwrap_or_else(|_| "?".into());
        dev.name = format!("{id} ({name})");
        Hwmon {
            dev,
            id,
            name,
            link,
        }
    }

    /// Opens `hwmonN` (or the first device whose `name` is `name`).
    pub fn open(root: &SysRoot, name: &str) -> Result<Hwmon, Error> {
        list(root)
            .into_iter()
            .find(|h| h.id == name)
            .or_else(|| list(root).into_iter().find(|h| h.name == name))
            .ok_or_else(|| Error::NotFound { name: name.into() })
    }

    /// `hwmonN`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The chip's name as the driver gives it (`lm75`, `cpu_thermal`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's folder (`/sys/class/hwmon/hwmonN`).
    pub fn path(&self) -> &Path {
        &self.link
    }

    /// The I2C bus and address of the chip, when it is an I2C client.
    pub fn i2c_client(&self) -> Option<(u32, u16)> {
        i2c_client_of(&self.link)
    }

    /// The kernel driver of the chip (`lm75`), from its parent device's `driver` link.
    pub fn driver(&self) -> Option<String> {
        driver_of(&self.link.join("device"))
    }

    /// The channels that have an `_input`, by kind and number.
    pub fn channels(&self) -> Vec<Channel> {
        let mut v: Vec<Channel> = std::fs::read_dir(&self.dev.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| parse_input(e.file_name().to_str()?))
            .collect();
        v.sort();
        v
    }

    /// Reads one channel.
    pub fn read(&self, channel: &Channel) -> Result<Sample, Error> {
        let attr = format!("{channel}_input");
        let raw: i64 = self.dev.parse(&attr, "an integer (the kernel's unit)")?;
        let label = self.dev.read_opt(&format!("{channel}_label"))?;
        Ok(Sample {
            channel: channel.clone(),
            label,
            value: raw as f64 * channel.kind.scale(),
            raw,
        })
    }

    /// Reads every channel ([`channels`](Self::channels)).
    pub fn read_all(&self) -> Result<Vec<Sample>, Error> {
        self.channels().iter().map(|c| self.read(c)).collect()
    }
}

/// `temp1_input` → temp1.
fn parse_input(file: &str) -> Option<Channel> {
    let stem = file.strip_suffix("_input")?;
    Kind::ALL.into_iter().find_map(|kind| {
        let digits = stem.strip_prefix(kind.prefix())?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Channel {
            kind,
            index: digits.parse().ok()?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_parse() {
        let c = parse_input("temp1_input").unwrap();
        assert_eq!((c.kind, c.index), (Kind::Temperature, 1));
        assert_eq!(parse_input("in0_input").unwrap().kind, Kind::Voltage);
        assert_eq!(parse_input("power2_input").unwrap().index, 2);
        assert_eq!(parse_input("temp_input"), None);
        assert_eq!(parse_input("temp1_max"), None);
        assert_eq!(parse_input("fan1_input"), None);
    }
}
