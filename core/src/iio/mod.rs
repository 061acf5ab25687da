//! Industrial I/O devices a kernel driver drives (`/sys/bus/iio/devices/iio:deviceN`),
//! read by value through the attributes the kernel's
//! Documentation/ABI/testing/sysfs-bus-iio defines: a channel's `in_<channel>_input`
//! (already in the channel type's unit), or `in_<channel>_raw` with its offset and scale
//! applied, `(raw + offset) × scale`. The offset and scale are the channel's own
//! (`in_voltage0_scale`), else the ones its type shares (`in_voltage_scale`,
//! `in_voltage-voltage_scale` for differential channels); without one, offset 0 and
//! scale 1.
//!
//! Values are in the kernel's units per channel type (sysfs-bus-iio): `temp` in
//! milli-degrees Celsius, `voltage` in millivolts, `current` in milliamperes, `pressure`
//! in kilopascals, `humidityrelative` in milli-percent, `illuminance` in lux.
//!
//! ```no_run
//! use udrv_core::iio;
//! use udrv_core::sysfs::SysRoot;
//!
//! for dev in iio::list(&SysRoot::system()) {
//!     for ch in dev.channels() {
//!         let v = dev.read(&ch)?;
//!         println!("{} {} {}", dev.id(), ch.name, v.value);
//!     }
//! }
//! # Ok::<(), udrv_core::iio::Error>(())
//! ```

mod buffer;

use std::fmt;
use std::path::Path;

use crate::sysfs::{driver_of, i2c_client_of, AttrError, Dev, Problem, SysRoot};

pub use buffer::{Buffer, ScanType, ScanValue};

/// Errors of the [`iio`](self) module.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No IIO device by that name.
    NotFound {
        /// The name looked for.
        name: String,
    },
    /// The device has no such channel.
    NoChannel {
        /// The device.
        device: String,
        /// The channel asked for.
        channel: String,
        /// The channels it has.
        has: Vec<String>,
    },
    /// An attribute could not be read, or holds what cannot be used (a scale of 0).
    Attr(AttrError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound { name } => write!(
                f,
                "iio: no IIO device `{name}` (`udrv iio list` lists them; its driver may not \
                 be loaded)"
            ),
            Error::NoChannel {
                device,
                channel,
                has,
            } => write!(
                f,
                "iio: {device} has no channel `{channel}`; it has: {}",
                if has.is_empty() {
                    "none".to_string()
                } else {
                    has.join(", ")
                }
            ),
            Error::Attr(e) => e.fmt(f),
        }
    }
}

crate::sysfs::attr_error_impls!(Error);

/// One input channel: `voltage0`, `temp`, `accel_x`, `voltage1-voltage2`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Channel {
    /// The channel's part of the attribute names (`voltage0`).
    pub name: String,
    /// The channel type (`voltage`, `temp`, `pressure`, `humidityrelative`).
    pub kind: String,
    /// Its index, when the channel is indexed (`voltage0`: 0).
    pub index: Option<u32>,
    /// Its modifier (`accel_x`: `x`; `temp_ambient`: `ambient`).
    pub modifier: Option<String>,
    /// Whether it is a differential channel (`voltage1-voltage2`).
    pub differential: bool,
    /// Whether the kernel gives it processed (`_input`) rather than `_raw`.
    pub processed: bool,
}

/// One value read.
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    /// The value in the channel type's unit (sysfs-bus-iio).
    pub value: f64,
    /// The raw integer, when read from `_raw`.
    pub raw: Option<i64>,
    /// The offset applied (0 without one).
    pub offset: f64,
    /// The scale applied (1 without one).
    pub scale: f64,
}

/// An IIO device: `/sys/bus/iio/devices/iio:deviceN`.
#[derive(Clone, Debug)]
pub struct IioDevice {
    dev: Dev,
    id: String,
    name: Option<String>,
}

/// The IIO devices under `root` (not the triggers), in number order.
pub fn list(root: &SysRoot) -> Vec<IioDevice> {
    root.entries("/sys/bus/iio/devices")
        .into_iter()
        .filter(|(n, _)| n.starts_with("iio:device"))
        .map(|(id, dir)| {
            let mut dev = Dev {
                subsystem: "iio",
                name: id.clone(),
                dir,
            };
            let name = dev.read("name").ok();
            if let Some(n) = &name {
                dev.name = format!("{id} ({n})");
            }
            IioDevice { dev, id, name }
        })
        .collect()
}

impl IioDevice {
    /// Opens `iio:deviceN` (also `N`), or the first device whose `name` is `name`.
    pub fn open(root: &SysRoot, name: &str) -> Result<IioDevice, Error> {
        let id = match name.parse::<u32>() {
            Ok(n) => format!("iio:device{n}"),
            Err(_) => name.to_string(),
        };
        let all = list(root);
        let found = match all.iter().position(|d| d.id == id) {
            Some(i) => Some(i),
            None => all.iter().position(|d| d.name.as_deref() == Some(name)),
        };
        found
            .map(|i| all[i].clone())
            .ok_or_else(|| Error::NotFound { name: name.into() })
    }

    /// `iio:deviceN`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The device's `name` (the chip, as its driver names it: `bmp280`), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The device's folder.
    pub fn path(&self) -> &Path {
        &self.dev.dir
    }

    /// The I2C bus and address of the chip, when it is an I2C client.
    pub fn i2c_client(&self) -> Option<(u32, u16)> {
        i2c_client_of(&self.dev.dir)
    }

    /// The kernel driver of the chip (`bmp280`), from its parent device's `driver` link.
    pub fn driver(&self) -> Option<String> {
        let real = std::fs::canonicalize(&self.dev.dir).ok()?;
        driver_of(real.parent()?).or_else(|| driver_of(&self.dev.dir.join("device")))
    }

    /// The input channels: every `in_*_raw` and `in_*_input`, sorted by name.
    pub fn channels(&self) -> Vec<Channel> {
        let files: Vec<String> = std::fs::read_dir(&self.dev.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        let mut v: Vec<Channel> = Vec::new();
        for f in &files {
            let Some(ch) = parse_channel(f) else { continue };
            match v.iter_mut().find(|c| c.name == ch.name) {
                // `_input` wins over `_raw` (already in units).
                Some(c) => c.processed |= ch.processed,
                None => v.push(ch),
            }
        }
        v.sort();
        v
    }

    /// The channel named `name` (`voltage0`, `temp`).
    pub fn channel(&self, name: &str) -> Result<Channel, Error> {
        let all = self.channels();
        all.iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| Error::NoChannel {
                device: self.dev.name.clone(),
                channel: name.into(),
                has: all.iter().map(|c| c.name.clone()).collect(),
            })
    }

    /// Reads one channel's value, scale and offset applied.
    pub fn read(&self, ch: &Channel) -> Result<Value, Error> {
        if ch.processed {
            let attr = format!("in_{}_input", ch.name);
            let value: f64 = self.dev.parse(&attr, "a number")?;
            return Ok(Value {
                value,
                raw: None,
                offset: 0.0,
                scale: 1.0,
            });
        }
        let attr = format!("in_{}_raw", ch.name);
        let raw: i64 = self.dev.parse(&attr, "an integer")?;
        let offset = self.shared(ch, "offset")?.map_or(Ok(0.0), |(a, t)| {
            self.dev.parse_text::<f64>(&a, &t, "a number")
        })?;
        let scale = match self.shared(ch, "scale")? {
            None => 1.0,
            Some((a, t)) => {
                let s: f64 = self.dev.parse_text(&a, &t, "a number")?;
                if s == 0.0 || !s.is_finite() {
                    return Err(self
                        .dev
                        .err(
                            self.dev.dir.join(&a),
                            false,
                            Problem::Invalid(format!(
                                "the scale is {t}: every reading would be 0; the driver has \
                                 not set the channel up (check its range or gain setting)"
                            )),
                        )
                        .into());
                }
                s
            }
        };
        Ok(Value {
            value: (raw as f64 + offset) * scale,
            raw: Some(raw),
            offset,
            scale,
        })
    }

    /// The channel's own `what` (`offset`, `scale`) attribute, else its type's: the
    /// attribute's name and text.
    fn shared(&self, ch: &Channel, what: &str) -> Result<Option<(String, String)>, Error> {
        let mut names = vec![format!("in_{}_{what}", ch.name)];
        if ch.differential {
            names.push(format!("in_{0}-{0}_{what}", ch.kind));
        }
        if let Some(m) = &ch.modifier {
            names.push(format!("in_{}_{m}_{what}", ch.kind));
        }
        names.push(format!("in_{}_{what}", ch.kind));
        for n in names {
            if let Some(t) = self.dev.read_opt(&n)? {
                return Ok(Some((n, t)));
            }
        }
        Ok(None)
    }
}

/// `in_voltage0_raw` → the channel `voltage0`.
fn parse_channel(file: &str) -> Option<Channel> {
    let rest = file.strip_prefix("in_")?;
    let (name, processed) = match (rest.strip_suffix("_raw"), rest.strip_suffix("_input")) {
        (Some(n), _) => (n, false),
        (_, Some(n)) => (n, true),
        _ => return None,
    };
    let kind_end = name
        .find(|c: char| !c.is_ascii_lowercase())
        .unwrap_or(name.len());
    let kind = &name[..kind_end];
    if kind.is_empty() {
        return None;
    }
    let after = &name[kind_end..];
    let digits_end = after
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(after.len());
    let index = after[..digits_end].parse().ok();
    let mut tail = &after[digits_end..];
    let differential = tail.starts_with('-');
    if differential {
        tail = tail.find('_').map_or("", |i| &tail[i..]);
    }
    let modifier = tail.strip_prefix('_').filter(|m| !m.is_empty());
    if !tail.is_empty() && modifier.is_none() {
        return None;
    }
    Some(Channel {
        name: name.to_string(),
        kind: kind.to_string(),
        index,
        modifier: modifier.map(str::to_string),
        differential,
        processed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_parse() {
        let c = parse_channel("in_voltage0_raw").unwrap();
        assert_eq!(
            (c.kind.as_str(), c.index, c.processed),
            ("voltage", Some(0), false)
        );
        let c = parse_channel("in_temp_input").unwrap();
        assert_eq!(
            (c.kind.as_str(), c.index, c.processed),
            ("temp", None, true)
        );
        let c = parse_channel("in_accel_x_raw").unwrap();
        assert_eq!(c.modifier.as_deref(), Some("x"));
        let c = parse_channel("in_voltage1-voltage2_raw").unwrap();
        assert!(c.differential);
        assert_eq!((c.index, c.name.as_str()), (Some(1), "voltage1-voltage2"));
        assert!(parse_channel("in_voltage_scale").is_none());
        assert!(parse_channel("out_voltage0_raw").is_none());
        assert!(parse_channel("in_voltage0_raw_available").is_none());
    }
}
