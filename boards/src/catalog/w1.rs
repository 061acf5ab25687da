//! 1-Wire thermometers in the catalog: `ds18b20@w1:28-00000a1b2c3d` names the chip by its
//! 1-Wire ID as the kernel's w1 core names the device (`/sys/bus/w1/devices/FF-SSSSSSSSSSSS`:
//! the family code, then the 48-bit serial number in hex), and is read through the
//! kernel's `w1_therm` driver ([`udrv_core::w1`]): one conversion, the kernel's CRC verdict
//! checked (a `NO` is a read error naming the device), into a temperature reading (°C).
//!
//! The family code says which chip it is (drivers/w1/slaves/w1_therm.c): 0x28 DS18B20,
//! 0x22 DS1822, 0x10 DS18S20, 0x3b DS1825/MAX31850, 0x42 DS28EA00; all are one kind,
//! `ds18b20` (the others' names are its aliases), and a spec whose family is no
//! thermometer is refused when parsed.

use std::fmt::{self, Display};
use std::time::SystemTime;

use udrv_core::sysfs::SysRoot;
use udrv_core::w1::W1Device;

use super::quantity::Quantity;
use super::read::ReadError;
use super::reading::{ChipRead, Identity, Reading, Sequence};
use super::spec::{ChipSpec, Location};
use udrv_drivers::kinds::ChipKind;

/// A 1-Wire ID as the kernel names the device: family code and 48-bit serial number,
/// printed `28-00000a1b2c3d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct W1Id {
    family: u8,
    serial: u64,
}

impl W1Id {
    /// The ID in `FF-SSSSSSSSSSSS` (two and twelve hex digits, any case), or `None`.
    pub fn parse(text: &str) -> Option<W1Id> {
        let (f, s) = text.split_once('-')?;
        let hex = |t: &str, n: usize| t.len() == n && t.chars().all(|c| c.is_ascii_hexdigit());
        if !hex(f, 2) || !hex(s, 12) {
            return None;
        }
        Some(W1Id {
            family: u8::from_str_radix(f, 16).ok()?,
            serial: u64::from_str_radix(s, 16).ok()?,
        })
    }

    /// The family code (0x28: DS18B20).
    pub fn family(&self) -> u8 {
        self.family
    }

    /// The 48-bit serial number.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The spec that reads the device (`ds18b20@w1:28-00000a1b2c3d`), when its family is
    /// one of a kind udrv reads.
    pub fn spec(&self) -> Option<ChipSpec> {
        let kind = ChipKind::ALL
            .into_iter()
            .find(|k| k.w1_families().contains(&self.family))?;
        ChipSpec::new(kind, Location::W1 { id: *self }, None).ok()
    }
}

impl Display for W1Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}-{:012x}", self.family, self.serial)
    }
}

/// Opens the 1-Wire device `id` under the root `UDRV_ROOT` names (tests; another
/// system's files), else `/`.
pub(super) fn open(id: &W1Id) -> Result<W1Device, udrv_core::w1::Error> {
    W1Device::open(&SysRoot::from_env(), &id.to_string())
}

/// Reads the thermometer `dev` as `spec`'s chip: one temperature reading numbered from
/// `seq`, stamped `time`. A CRC failure, no answer or the device gone is a
/// [`ReadError::Failed`] naming the device.
pub fn read_w1(
    spec: &ChipSpec,
    dev: &W1Device,
    seq: &mut Sequence,
    time: SystemTime,
) -> Result<ChipRead, ReadError> {
    let t = dev
        .read_temperature()
        .map_err(|e| ReadError::Failed(e.to_string()))?;
    let chip = dev.chip().unwrap_or("1-Wire thermometer");
    Ok(ChipRead {
        readings: vec![Reading {
            seq: seq.next_seq(),
            time,
            source: spec.clone(),
            quantity: Quantity::Temperature,
            value: t,
        }],
        raw: Vec::new(),
        identity: Identity::Identified(format!(
            "read through the kernel's w1_therm driver: family {:#04x}, a {chip}",
            dev.family()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_w1_spec_prints_in_lower_case_and_parses_back() {
        let s: ChipSpec = "DS18S20@w1:10-00080A1B2C3D".parse().unwrap();
        assert_eq!(s.to_string(), "ds18b20@w1:10-00080a1b2c3d");
        assert_eq!(s.to_string().parse::<ChipSpec>().unwrap(), s);
        assert_eq!((s.address(), s.kind()), (None, ChipKind::Ds18b20));
        let id = W1Id::parse("42-00000000002a").unwrap();
        assert_eq!((id.family(), id.serial()), (0x42, 0x2a));
        assert_eq!(id.spec().unwrap().to_string(), "ds18b20@w1:42-00000000002a");
        // A family udrv does not read (a DS2413 switch) has no spec; IDs of other forms
        // are no IDs.
        assert!(W1Id::parse("3a-00000000002a").unwrap().spec().is_none());
        for bad in [
            "28-2a",
            "28_00000000002a",
            "2800000000002a",
            "g8-00000000002a",
            "",
        ] {
            assert!(W1Id::parse(bad).is_none(), "{bad}");
        }
    }
}
