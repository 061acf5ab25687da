//! Readings as data: a quantity, its value as a number in the quantity's unit, the chip
//! and where it sits, when it was taken and its number in a sequence. One serialization
//! (serde; JSON below) for the CLI's `--json` and the service alike.
//!
//! ```json
//! {"seq":7,"time":1795308924.5,"device":"ads1115@i2c-1:0x48","chip":"ads1115",
//!  "channel":"ain0","quantity":"voltage","value":1.6502,"unit":"V"}
//! ```
//!
//! `time` is seconds since the Unix epoch (UTC) by the clock of whoever read the chip
//! (on the virtual board its clock may be manual and repeat a time: `seq` still orders
//! the readings); `device` is the chip's spec without channel, `channel` its channel or
//! `null`; `unit` is the quantity's, written out for readers of the JSON alone.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use udrv_drivers::kinds::ChipKind;

use super::parts::Channel;
use super::quantity::Quantity;
use super::spec::ChipSpec;

/// One reading.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Its number: each [`Sequence`] numbers the readings it stamps 1, 2, 3, ...
    pub seq: u64,
    /// When it was taken.
    pub time: SystemTime,
    /// The chip and where it sits; its channel is the reading's (`ain0`, `B3`), if any.
    pub source: ChipSpec,
    /// What it measures.
    pub quantity: Quantity,
    /// The value, in [`Quantity::unit`].
    pub value: f64,
}

impl Reading {
    /// The chip's kind.
    pub fn chip(&self) -> ChipKind {
        self.source.kind()
    }

    /// The value's unit (`°C`).
    pub fn unit(&self) -> &'static str {
        self.quantity.unit()
    }

    /// The channel's name, if the reading has one.
    pub fn channel(&self) -> Option<&str> {
        self.source.channel().map(Channel::as_str)
    }
}

/// Numbers readings: one per reader (a `udrv read` run, the service), so that readings
/// taken at the same time are still told apart and ordered.
#[derive(Clone, Debug, Default)]
pub struct Sequence {
    last: u64,
}

impl Sequence {
    /// A sequence whose first number is 1.
    pub fn new() -> Sequence {
        Sequence::default()
    }

    /// The next number.
    pub fn next_seq(&mut self) -> u64 {
        self.last += 1;
        self.last
    }

    /// The last number given (0: none yet).
    pub fn last(&self) -> u64 {
        self.last
    }
}

/// The wire form of a [`Reading`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    seq: u64,
    time: f64,
    device: String,
    chip: String,
    channel: Option<String>,
    quantity: String,
    value: f64,
    unit: String,
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

impl Serialize for Reading {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            seq: self.seq,
            time: unix_seconds(self.time),
            device: self.source.with_channel(None).to_string(),
            chip: self.chip().name().to_string(),
            channel: self.channel().map(str::to_string),
            quantity: self.quantity.name().to_string(),
            value: self.value,
            unit: self.unit().to_string(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Reading {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Reading, D::Error> {
        use serde::de::Error;
        let w = Wire::deserialize(d)?;
        let spec: ChipSpec = w.device.parse().map_err(D::Error::custom)?;
        if spec.channel().is_some() || spec.kind().name() != w.chip {
            return Err(D::Error::custom(format!(
                "device `{}` is not chip `{}` without a channel",
                w.device, w.chip
            )));
        }
        let channel = match w.channel {
            Some(c) => Some(Channel::new(&c).ok_or_else(|| {
                D::Error::custom(format!("`{c}` is not a channel (letters, digits, _)"))
            })?),
            None => None,
        };
        let quantity: Quantity = w.quantity.parse().map_err(D::Error::custom)?;
        if quantity.unit() != w.unit {
            return Err(D::Error::custom(format!(
                "{quantity} is in `{}`, not `{}`",
                quantity.unit(),
                w.unit
            )));
        }
        if !w.time.is_finite() || !w.value.is_finite() {
            return Err(D::Error::custom("time and value must be finite numbers"));
        }
        let offset = Duration::from_secs_f64(w.time.abs());
        let time = if w.time >= 0.0 {
            UNIX_EPOCH + offset
        } else {
            UNIX_EPOCH - offset
        };
        Ok(Reading {
            seq: w.seq,
            time,
            source: spec.with_channel(channel),
            quantity,
            value: w.value,
        })
    }
}

/// What a read found out about which chip answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// Its ID register (or command) says it is the chip named: what it read.
    Identified(String),
    /// The chip has no ID register: whatever answers is read as this chip (why).
    NotIdentified(String),
}

impl Identity {
    /// Whether the chip was identified.
    pub fn is_identified(&self) -> bool {
        matches!(self, Identity::Identified(_))
    }

    /// What identified it, or why nothing could.
    pub fn text(&self) -> &str {
        match self {
            Identity::Identified(t) | Identity::NotIdentified(t) => t,
        }
    }
}

/// Bytes a read returns that are no quantity: an ID, a configuration register, memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raw {
    /// What they are: `product_id`, `control`, `iodir`, `memory`.
    pub name: &'static str,
    /// For memory, the address of the first byte.
    pub offset: Option<u32>,
    /// The bytes, as read (registers of two ports: port A / 0 first).
    pub bytes: Vec<u8>,
}

/// One read of a chip.
#[derive(Clone, Debug, PartialEq)]
pub struct ChipRead {
    /// The readings, in the order taken.
    pub readings: Vec<Reading>,
    /// The bytes read that are no quantity.
    pub raw: Vec<Raw>,
    /// Whether (and how) the chip was identified.
    pub identity: Identity,
}

impl ChipRead {
    /// The reading of `quantity` on `channel` (`None`: the reading without channel).
    pub fn get(&self, quantity: Quantity, channel: Option<&str>) -> Option<&Reading> {
        self.readings
            .iter()
            .find(|r| r.quantity == quantity && r.channel() == channel)
    }

    /// The raw bytes named `name`.
    pub fn raw(&self, name: &str) -> Option<&Raw> {
        self.raw.iter().find(|r| r.name == name)
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar.
pub(crate) use udrv_drivers::calendar::days_from_civil;
