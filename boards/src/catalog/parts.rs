//! The parts of a chip spec: buses, SPI devices, switch channels, channels of a chip,
//! and numbers as i2c-tools take them.

use std::fmt::{self, Display};

/// An I2C bus as a spec names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum I2cBus {
    /// `i2c-N` (also typed `N` or `/dev/i2c-N`).
    Number(u32),
    /// Another device path.
    Path(String),
    /// An adapter name or a board's role (`i2c_arm`).
    Name(String),
}

/// An SPI device as a spec names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpiDevice {
    /// `spidevB.C` (also typed `B.C` or `/dev/spidevB.C`).
    Spidev {
        /// The bus.
        bus: u32,
        /// The chip select.
        cs: u32,
    },
    /// The board's name `spiB.C` (`udrv board info` lists them): the board finds the node.
    Board {
        /// The bus.
        bus: u32,
        /// The chip select.
        cs: u32,
    },
    /// Another `/dev/spidev*` path.
    Path(String),
}

/// A PCA9546/PCA9548 switch (0x70-0x77) and the channel (0-7) selected on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Switch {
    address: u8,
    channel: u8,
}

/// A channel of a chip: a pin (`B3`, `IO4`), an input (`ain0`, `ch2`) or a named part
/// (`thermocouple`): letters, digits and `_`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Channel(String);

/// A number as i2c-tools take it: `0x48`, `0b1001000`, `0110` (octal), `72`.
pub fn parse_number(s: &str) -> Option<u64> {
    let t = s.trim();
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `B.C` as two numbers.
fn bus_cs(s: &str) -> Option<(u32, u32)> {
    let (b, c) = s.split_once('.')?;
    if [b, c]
        .iter()
        .any(|x| x.is_empty() || !x.bytes().all(|d| d.is_ascii_digit()))
    {
        return None;
    }
    Some((b.parse().ok()?, c.parse().ok()?))
}

impl SpiDevice {
    /// `/dev/spidevB.C` or `spidevB.C` or `B.C` (a spidev node), `spiB.C` (the board's
    /// name), another `/dev/spidev*` path; `None` for anything else.
    pub fn parse(s: &str) -> Option<SpiDevice> {
        let t = s.trim();
        let node = t.strip_prefix("/dev/").unwrap_or(t);
        if let Some((bus, cs)) = node.strip_prefix("spidev").and_then(bus_cs) {
            return Some(SpiDevice::Spidev { bus, cs });
        }
        if t.starts_with("/dev/spidev") && !t.contains('#') {
            return Some(SpiDevice::Path(t.to_string()));
        }
        if let Some((bus, cs)) = bus_cs(t) {
            return Some(SpiDevice::Spidev { bus, cs });
        }
        let (bus, cs) = t.strip_prefix("spi").and_then(bus_cs)?;
        Some(SpiDevice::Board { bus, cs })
    }
}

impl Display for SpiDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpiDevice::Spidev { bus, cs } => write!(f, "spidev{bus}.{cs}"),
            SpiDevice::Board { bus, cs } => write!(f, "spi{bus}.{cs}"),
            SpiDevice::Path(p) => f.write_str(p),
        }
    }
}

impl I2cBus {
    /// A bus as typed: a number, `i2c-N` and `/dev/i2c-N` are bus N, another path a path,
    /// anything else an adapter name or a board role. Only what [`ChipSpec`]'s parsing
    /// leaves of a spec comes here, so nothing is refused.
    pub(super) fn from_text(s: &str) -> I2cBus {
        let n = s.strip_prefix("/dev/").unwrap_or(s).strip_prefix("i2c-");
        if let Some(n) = n.filter(|n| n.bytes().all(|d| d.is_ascii_digit())) {
            if let Ok(n) = n.parse() {
                return I2cBus::Number(n);
            }
        }
        if let Some(n) = parse_number(s).and_then(|n| u32::try_from(n).ok()) {
            return I2cBus::Number(n);
        }
        if s.starts_with('/') {
            I2cBus::Path(s.to_string())
        } else {
            I2cBus::Name(s.to_string())
        }
    }
}

impl Display for I2cBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            I2cBus::Number(n) => write!(f, "i2c-{n}"),
            I2cBus::Path(p) | I2cBus::Name(p) => f.write_str(p),
        }
    }
}

impl Switch {
    /// The switch at `address` (0x70-0x77), channel `channel` (0-7).
    pub fn new(address: u8, channel: u8) -> Option<Switch> {
        ((0x70..=0x77).contains(&address) && channel <= 7).then_some(Switch { address, channel })
    }

    /// The switch's address.
    pub fn address(self) -> u8 {
        self.address
    }

    /// The channel.
    pub fn channel(self) -> u8 {
        self.channel
    }
}

impl Channel {
    /// A channel named `name` (letters, digits and `_`, at least one).
    pub fn new(name: &str) -> Option<Channel> {
        let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        ok.then(|| Channel(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
