//! Chip specs: where a chip of a kind sits, parsed from and printed as
//! `CHIP@BUS[:ADDR][#CHANNEL]`.
//!
//! | spec | meaning |
//! |---|---|
//! | `bme280@i2c-1:0x76` | a BME280 at 0x76 on I2C bus 1 (also `@1`, `@/dev/i2c-1`, an adapter name or a board role such as `i2c_arm`) |
//! | `lm75@i2c-1/0x70.3:0x48` | an LM75 at 0x48 behind channel 3 of the PCA9546/PCA9548 switch at 0x70 |
//! | `mcp3008@spidev0.0` | an MCP3008 on SPI bus 0, chip select 0 (also `0.0`, `/dev/spidev0.0`; `spi0.0` is the board's name) |
//! | `mcp23s17@spidev0.0:5` | the MCP23S17 with hardware address 5 (A2..A0) on that chip select |
//! | `mcp23017@i2c-1:0x20#B3` | pin B3 of that MCP23017: `#` names a channel of a chip (a pin, an input, an output) |
//! | `ds18b20@w1:28-00000a1b2c3d` | the 1-Wire thermometer with that ID (family code 28, serial number), read through the kernel's w1_therm driver ([`W1Id`]) |
//!
//! `/` separates a bus from a switch channel, so a chip's channel takes `#`, which no
//! bus spelling can contain. Without `:ADDR` an I2C chip is at its kind's usual address;
//! printed, a spec always has its address and the canonical bus name, and parses back
//! to the same value.

use std::fmt::{self, Display};
use std::str::FromStr;

use udrv_drivers::kinds::{write_addresses, ChipKind};

use super::parts::{parse_number, Channel, I2cBus, SpiDevice, Switch};
use super::w1::W1Id;

/// A chip of a kind at a place: what `udrv read` takes and what every reading carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChipSpec {
    kind: ChipKind,
    location: Location,
    channel: Option<Channel>,
}

/// Where a chip sits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// On an I2C bus.
    I2c {
        /// The bus.
        bus: I2cBus,
        /// The switch channel in front of the chip, if any.
        switch: Option<Switch>,
        /// The chip's 7-bit address.
        address: u8,
    },
    /// On an SPI device (a chip select).
    Spi {
        /// The device.
        device: SpiDevice,
        /// The hardware address (A2..A0) of a chip that shares its chip select.
        hardware_address: Option<u8>,
    },
    /// On a 1-Wire bus the kernel's w1 core drives (`w1:28-00000a1b2c3d`).
    W1 {
        /// The chip's 1-Wire ID.
        id: W1Id,
    },
}

/// Why a spec does not parse: each message names the spec and says what to give.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecError {
    /// No `@`.
    NotASpec(String),
    /// No kind has this name.
    UnknownChip(String),
    /// Nothing after `@` (the spec).
    NoBus(String),
    /// A switch with no bus before it (the spec).
    NoBusBeforeSwitch(String),
    /// An SPI device named for a chip without SPI.
    NoSpi(ChipKind),
    /// An I2C bus named for a chip without I2C.
    NoI2c(ChipKind),
    /// A hardware address given for a chip that has none (the device).
    NoHardwareAddress(ChipKind, String),
    /// A hardware address that is not 0-7 (what was given, the spec).
    BadHardwareAddress(String, String),
    /// An address the chip cannot have (what was given).
    ImpossibleAddress(ChipKind, String),
    /// Not a number where the address goes (what was given, the spec).
    NotAnAddress(ChipKind, String, String),
    /// A switch that is not `0x70-0x77.0-7` (what was given).
    BadSwitch(String),
    /// The chip at its switch's own address (the spec, the address).
    SwitchAddress(String, u8),
    /// A channel that is not letters, digits and `_` (what was given, the spec).
    BadChannel(String, String),
    /// Parts that print as another spec (as printed, as that reads back).
    NotCanonical(String, String),
    /// `w1:` named for a chip without 1-Wire.
    NoW1(ChipKind),
    /// An I2C bus or SPI device named for a 1-Wire chip (the spec).
    OnlyW1(ChipKind, String),
    /// Not a 1-Wire ID after `w1:` (what was given, the spec).
    NotAW1Id(String, String),
    /// A 1-Wire family code that is not one of the kind's chips (the family, the spec).
    W1Family(ChipKind, u8, String),
}

impl std::error::Error for SpecError {}

/// `0x76, 0x77`.
fn address_text(kind: ChipKind) -> String {
    let mut s = String::new();
    let _ = write_addresses(&mut s, kind.addresses());
    s
}

fn first_address(kind: ChipKind) -> u8 {
    kind.addresses().first().copied().unwrap_or(0)
}

impl Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::NotASpec(s) => write!(
                f,
                "`{s}` is not CHIP@BUS[:ADDR] (e.g. bme280@i2c-1:0x76, bme280@spidev0.0)"
            ),
            SpecError::UnknownChip(c) => write!(f, "unknown chip `{c}`; udrv knows: {}", names()),
            SpecError::NoBus(s) => write!(f, "`{s}` names no bus after @"),
            SpecError::NoBusBeforeSwitch(s) => write!(f, "`{s}` names no bus before the switch"),
            SpecError::NoSpi(k) => write!(
                f,
                "{k} has no SPI interface; name an I2C bus (e.g. {k}@i2c-1:{:#04x})",
                first_address(*k)
            ),
            SpecError::NoI2c(k) => write!(
                f,
                "{k} has no I2C interface; name an SPI device (e.g. {k}@spidev0.0)"
            ),
            SpecError::NoHardwareAddress(k, d) => write!(
                f,
                "{k} has no hardware address on SPI: name the device alone ({k}@{d})"
            ),
            SpecError::BadHardwareAddress(a, s) => write!(
                f,
                "`{a}` in `{s}`: a hardware address is 0-7 (the A2..A0 pins)"
            ),
            SpecError::ImpossibleAddress(k, a) => {
                write!(f, "{k} answers only at {}, not at {a}", address_text(*k))
            }
            SpecError::NotAnAddress(k, a, s) => write!(
                f,
                "`{a}` in `{s}` is not an address: give a 7-bit address such as {:#04x} ({k} \
                 answers at {})",
                first_address(*k),
                address_text(*k)
            ),
            SpecError::BadSwitch(sw) => write!(
                f,
                "`{sw}`: a PCA9546/PCA9548 switch is SWITCH.CHANNEL with the switch at 0x70-0x77 \
                 and a channel 0-7 (e.g. i2c-1/0x70.3)"
            ),
            SpecError::SwitchAddress(s, a) => write!(
                f,
                "`{s}`: the chip cannot have the switch's own address {a:#04x}"
            ),
            SpecError::BadChannel(c, s) => write!(
                f,
                "`{c}` in `{s}`: a chip's channel is `#` and a name of letters, digits and `_` \
                 (e.g. mcp23017@i2c-1:0x20#B3)"
            ),
            SpecError::NoW1(k) => write!(
                f,
                "{k} has no 1-Wire interface; name its bus as `udrv read --list` shows (e.g. \
                 {})",
                example(*k)
            ),
            SpecError::OnlyW1(k, s) => write!(
                f,
                "`{s}`: {k} is a 1-Wire chip: name it by its 1-Wire ID (e.g. \
                 {k}@w1:28-00000a1b2c3d; `udrv w1 list` lists the IDs)"
            ),
            SpecError::NotAW1Id(id, s) => write!(
                f,
                "`{id}` in `{s}` is not a 1-Wire ID: give FAMILY-SERIAL as \
                 /sys/bus/w1/devices names the device, two and twelve hex digits (e.g. \
                 28-00000a1b2c3d; `udrv w1 list` lists them)"
            ),
            SpecError::W1Family(k, fam, s) => write!(
                f,
                "`{s}`: 1-Wire family {fam:02x} is no {k}: its families are {} (28 DS18B20, \
                 22 DS1822, 10 DS18S20, 3b DS1825/MAX31850, 42 DS28EA00); `udrv w1 list` \
                 says what each device is",
                k.w1_families()
                    .iter()
                    .map(|f| format!("{f:02x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SpecError::NotCanonical(s, back) => write!(
                f,
                "`{s}` reads back as `{back}`: name the bus as a spec prints it (i2c-N, a path, \
                 an adapter name; spidevB.C, spiB.C)"
            ),
        }
    }
}

/// A spec of `kind` on a bus it has, for messages.
fn example(kind: ChipKind) -> String {
    if kind.has_i2c() {
        format!("{kind}@i2c-1:{:#04x}", first_address(kind))
    } else if kind.spi().is_some() {
        format!("{kind}@spidev0.0")
    } else {
        format!("{kind}@w1:28-00000a1b2c3d")
    }
}

/// Every kind's name, for messages: `bme280, sht3x, ...`.
pub fn names() -> String {
    ChipKind::ALL.map(ChipKind::name).join(", ")
}

/// Splits `i2c-1/0x70.3` into the bus and the switch; a bus without a `/SWITCH.CHANNEL`
/// end is returned whole.
fn split_switch(bus: &str) -> Result<(&str, Option<Switch>), SpecError> {
    let Some((parent, sw)) = bus.rsplit_once('/') else {
        return Ok((bus, None));
    };
    let Some((a, c)) = sw.split_once('.') else {
        return Ok((bus, None));
    };
    let (Some(a), Ok(c)) = (parse_number(a), c.parse::<u8>()) else {
        return Ok((bus, None));
    };
    match u8::try_from(a).ok().and_then(|a| Switch::new(a, c)) {
        Some(s) => Ok((parent, Some(s))),
        None => Err(SpecError::BadSwitch(sw.to_string())),
    }
}

/// Whether `bus` is an I2C bus spelt as a number, `i2c-N` or a path, possibly with a
/// switch after it: a `:` after such a bus can only start an address (adapter names may
/// contain `:`, these spellings cannot).
fn is_plain_i2c_bus(bus: &str) -> bool {
    let bus = match split_switch(bus) {
        Ok((parent, Some(_))) => parent,
        _ => bus,
    };
    parse_number(bus).is_some()
        || bus.starts_with('/')
        || bus
            .strip_prefix("i2c-")
            .is_some_and(|n| n.parse::<u32>().is_ok())
}

impl ChipSpec {
    /// A spec from its parts, checked as parsing checks them: the kind has the bus, the
    /// address is one of the kind's, a hardware address only for kinds that have one.
    pub fn new(
        kind: ChipKind,
        location: Location,
        channel: Option<Channel>,
    ) -> Result<ChipSpec, SpecError> {
        let spec = ChipSpec {
            kind,
            location,
            channel,
        };
        // The printed form is what `udrv read` takes: checking it checks everything.
        let parsed: ChipSpec = spec.to_string().parse()?;
        if parsed == spec {
            Ok(spec)
        } else {
            Err(SpecError::NotCanonical(
                spec.to_string(),
                parsed.to_string(),
            ))
        }
    }

    /// The kind.
    pub fn kind(&self) -> ChipKind {
        self.kind
    }

    /// Where it sits.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The channel named after `#`, if any.
    pub fn channel(&self) -> Option<&Channel> {
        self.channel.as_ref()
    }

    /// The same chip with `channel` (a reading's source).
    pub fn with_channel(&self, channel: Option<Channel>) -> ChipSpec {
        ChipSpec {
            channel,
            ..self.clone()
        }
    }

    /// The I2C address, or `None` on SPI.
    pub fn address(&self) -> Option<u8> {
        match self.location {
            Location::I2c { address, .. } => Some(address),
            Location::Spi { .. } | Location::W1 { .. } => None,
        }
    }
}

impl Display for ChipSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@", self.kind)?;
        match &self.location {
            Location::I2c {
                bus,
                switch,
                address,
            } => {
                write!(f, "{bus}")?;
                if let Some(s) = switch {
                    write!(f, "/{:#04x}.{}", s.address(), s.channel())?;
                }
                write!(f, ":{address:#04x}")?;
            }
            Location::Spi {
                device,
                hardware_address,
            } => {
                write!(f, "{device}")?;
                if let Some(a) = hardware_address {
                    write!(f, ":{a}")?;
                }
            }
            Location::W1 { id } => write!(f, "w1:{id}")?,
        }
        match &self.channel {
            Some(c) => write!(f, "#{c}"),
            None => Ok(()),
        }
    }
}

impl FromStr for ChipSpec {
    type Err = SpecError;

    fn from_str(spec: &str) -> Result<ChipSpec, SpecError> {
        let (chip, rest) = spec
            .split_once('@')
            .ok_or_else(|| SpecError::NotASpec(spec.to_string()))?;
        let kind = ChipKind::find(chip).ok_or_else(|| SpecError::UnknownChip(chip.to_string()))?;
        // A bus never contains `#`: everything after the first one is the channel.
        let (rest, channel) = match rest.split_once('#') {
            Some((r, c)) => {
                let ch = Channel::new(c)
                    .ok_or_else(|| SpecError::BadChannel(c.to_string(), spec.to_string()))?;
                (r, Some(ch))
            }
            None => (rest, None),
        };
        if rest.is_empty() {
            return Err(SpecError::NoBus(spec.to_string()));
        }
        let w1_id = if rest == "w1" {
            Some("")
        } else {
            rest.strip_prefix("w1:")
        };
        let location = if let Some(id) = w1_id {
            w1_location(kind, id, spec)?
        } else if !kind.w1_families().is_empty() {
            return Err(SpecError::OnlyW1(kind, spec.to_string()));
        } else if SpiDevice::parse(rest.split(':').next().unwrap_or(rest)).is_some() {
            spi_location(kind, rest, spec)?
        } else {
            i2c_location(kind, rest, spec)?
        };
        Ok(ChipSpec {
            kind,
            location,
            channel,
        })
    }
}

/// The 1-Wire ID after `w1:` for `kind`.
fn w1_location(kind: ChipKind, id: &str, spec: &str) -> Result<Location, SpecError> {
    if kind.w1_families().is_empty() {
        return Err(SpecError::NoW1(kind));
    }
    let id =
        W1Id::parse(id).ok_or_else(|| SpecError::NotAW1Id(id.to_string(), spec.to_string()))?;
    if !kind.w1_families().contains(&id.family()) {
        return Err(SpecError::W1Family(kind, id.family(), spec.to_string()));
    }
    Ok(Location::W1 { id })
}

/// `spidev0.0[:HW]` for `kind`.
fn spi_location(kind: ChipKind, rest: &str, spec: &str) -> Result<Location, SpecError> {
    let Some(spi) = kind.spi() else {
        return Err(SpecError::NoSpi(kind));
    };
    let (dev, hardware_address) = match rest.rsplit_once(':') {
        Some((d, a)) => {
            let hw = parse_number(a)
                .and_then(|v| u8::try_from(v).ok())
                .filter(|v| *v <= 7);
            match hw {
                Some(v) if spi.hardware_address => (d, Some(v)),
                Some(_) => return Err(SpecError::NoHardwareAddress(kind, d.to_string())),
                None => {
                    return Err(SpecError::BadHardwareAddress(
                        a.to_string(),
                        spec.to_string(),
                    ))
                }
            }
        }
        None => (rest, None),
    };
    let device = SpiDevice::parse(dev).ok_or_else(|| SpecError::NotASpec(spec.to_string()))?;
    Ok(Location::Spi {
        device,
        hardware_address,
    })
}

/// `BUS[/SWITCH.CHANNEL][:ADDR]` for `kind`.
fn i2c_location(kind: ChipKind, rest: &str, spec: &str) -> Result<Location, SpecError> {
    if !kind.has_i2c() {
        return Err(SpecError::NoI2c(kind));
    }
    // The address is what follows the last ':' when it is a number (adapter names may
    // contain ':' too).
    let (bus, address) = match rest.rsplit_once(':') {
        Some((b, a)) if parse_number(a).is_some() => {
            let ok = parse_number(a)
                .and_then(|v| u8::try_from(v).ok())
                .filter(|x| kind.can_be_at(*x));
            match ok {
                Some(x) => (b, x),
                None => return Err(SpecError::ImpossibleAddress(kind, a.to_string())),
            }
        }
        Some((b, a)) if is_plain_i2c_bus(b) || a.starts_with("0x") || a.starts_with("0X") => {
            return Err(SpecError::NotAnAddress(
                kind,
                a.to_string(),
                spec.to_string(),
            ))
        }
        _ => (rest, first_address(kind)),
    };
    if bus.is_empty() {
        return Err(SpecError::NoBus(spec.to_string()));
    }
    let (bus, switch) = split_switch(bus)?;
    if bus.is_empty() {
        return Err(SpecError::NoBusBeforeSwitch(spec.to_string()));
    }
    if let Some(s) = switch {
        if s.address() == address {
            return Err(SpecError::SwitchAddress(spec.to_string(), address));
        }
    }
    Ok(Location::I2c {
        bus: I2cBus::from_text(bus),
        switch,
        address,
    })
}
