//! Chips a kernel driver drives, read through that driver into the catalog's readings:
//! the hwmon and IIO devices ([`udrv_core::hwmon`], [`udrv_core::iio`]) whose parent is
//! an I2C client `N-00AA` sit at that bus and address, so `udrv read lm75@i2c-1:0x48`
//! of an address the kernel holds (`UU`) reads the kernel's `lm75` driver instead of
//! refusing.
//!
//! The readings have the quantities and units of udrv's own drivers (docs/catalog.md,
//! "Adding a quantity"): hwmon's `temp`, `in`, `curr`, `power` and `humidity` give
//! temperature (°C), voltage (V), current (A), power (W) and humidity (%); IIO channels
//! map by type with the kernel's scale: `temp` milli-°C, `humidityrelative` milli-%,
//! `pressure` kPa, `voltage` mV, `current` mA, `power` mW, `illuminance` lux. IIO
//! channel types with no quantity yet (`accel`, `proximity`, ...) are left out.
//!
//! A reading has no channel when its quantity occurs once on the chip (as udrv's LM75 and
//! BME280 readings have none); else the driver's name for it (the INA219's `in0` and
//! `in1` are its `shunt` and `bus` voltages, as udrv's INA219 reading names them), its
//! `_label`, or the kernel's channel name.

use std::time::SystemTime;

use udrv_core::hwmon::{self, Hwmon};
use udrv_core::iio::{self, IioDevice};
use udrv_core::sysfs::SysRoot;

use super::parts::{Channel, I2cBus};
use super::quantity::Quantity;
use super::read::ReadError;
use super::reading::{ChipRead, Identity, Reading, Sequence};
use super::spec::{ChipSpec, Location};
use udrv_drivers::kinds::ChipKind;

/// Where a kernel-driven chip's values are read.
#[derive(Clone, Debug)]
pub enum KernelInterface {
    /// A hwmon device (`/sys/class/hwmon/hwmonN`).
    Hwmon(Hwmon),
    /// An IIO device (`/sys/bus/iio/devices/iio:deviceN`).
    Iio(IioDevice),
}

/// A chip on an I2C bus that a kernel driver drives, with the hwmon or IIO device it
/// reads through.
#[derive(Clone, Debug)]
pub struct KernelChip {
    bus: u32,
    address: u16,
    driver: String,
    name: String,
    interface: KernelInterface,
}

/// The kinds the kernel's device names map to where they are not udrv's names.
const KERNEL_NAMES: &[(&str, ChipKind)] = &[
    ("lm75a", ChipKind::Lm75),
    ("lm75b", ChipKind::Lm75),
    ("ds75", ChipKind::Lm75),
    // TI's LM75-compatible sensors under the kernel's lm75 driver (drivers/hwmon/lm75.c).
    ("tmp75", ChipKind::Lm75),
    ("tmp100", ChipKind::Lm75),
    ("tmp101", ChipKind::Lm75),
    ("tmp105", ChipKind::Lm75),
    ("tmp175", ChipKind::Lm75),
    ("tmp275", ChipKind::Lm75),
    // The TMP102's register format (drivers/hwmon/lm75.c's `tmp112`).
    ("tmp112", ChipKind::Tmp102),
    ("bmp280", ChipKind::Bme280),
    ("sht30", ChipKind::Sht3x),
    ("sht31", ChipKind::Sht3x),
];

/// Channel names of drivers whose channels udrv's own reading names otherwise: (driver,
/// kernel channel, udrv's channel).
const DRIVER_CHANNELS: &[(&str, &str, &str)] =
    &[("ina2xx", "in0", "shunt"), ("ina2xx", "in1", "bus")];

impl KernelChip {
    /// Every chip under `root` a kernel driver drives through hwmon or IIO and that is an
    /// I2C client, by bus and address.
    pub fn all(root: &SysRoot) -> Vec<KernelChip> {
        let mut v: Vec<KernelChip> = hwmon::list(root)
            .into_iter()
            .filter_map(|h| {
                let (bus, address) = h.i2c_client()?;
                Some(KernelChip {
                    bus,
                    address,
                    driver: h.driver().unwrap_or_else(|| "unknown".into()),
                    name: h.name().to_string(),
                    interface: KernelInterface::Hwmon(h),
                })
            })
            .chain(iio::list(root).into_iter().filter_map(|d| {
                let (bus, address) = d.i2c_client()?;
                Some(KernelChip {
                    bus,
                    address,
                    driver: d.driver().unwrap_or_else(|| "unknown".into()),
                    name: d.name().unwrap_or("?").to_string(),
                    interface: KernelInterface::Iio(d),
                })
            }))
            .collect();
        v.sort_by_key(|c| (c.bus, c.address));
        v
    }

    /// The chip at `bus` and `address`, when a kernel driver drives it through hwmon or
    /// IIO (IIO first when a chip has both).
    pub fn find(root: &SysRoot, bus: u32, address: u16) -> Option<KernelChip> {
        let mut found: Vec<KernelChip> = KernelChip::all(root)
            .into_iter()
            .filter(|c| c.bus == bus && c.address == address)
            .collect();
        found.sort_by_key(|c| matches!(c.interface, KernelInterface::Hwmon(_)));
        found.into_iter().next()
    }

    /// The I2C bus number.
    pub fn bus(&self) -> u32 {
        self.bus
    }

    /// The 7-bit address.
    pub fn address(&self) -> u16 {
        self.address
    }

    /// The kernel driver (`lm75`, `bmp280`, `ina2xx`).
    pub fn driver(&self) -> &str {
        &self.driver
    }

    /// The device's name as the driver gives it (`lm75`, `bme280`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hwmon or IIO device read.
    pub fn interface(&self) -> &KernelInterface {
        &self.interface
    }

    /// `hwmon2`, `iio:device0`.
    pub fn interface_id(&self) -> &str {
        match &self.interface {
            KernelInterface::Hwmon(h) => h.id(),
            KernelInterface::Iio(d) => d.id(),
        }
    }

    /// The udrv kind the device's name is, if udrv knows it.
    pub fn kind(&self) -> Option<ChipKind> {
        KERNEL_NAMES
            .iter()
            .find(|(n, _)| *n == self.name)
            .map(|(_, k)| *k)
            .or_else(|| ChipKind::find(&self.name))
    }

    /// Its spec (`lm75@i2c-1:0x48`), when udrv knows its kind and the address is one of
    /// the kind's.
    pub fn spec(&self) -> Option<ChipSpec> {
        let address = u8::try_from(self.address).ok()?;
        let location = Location::I2c {
            bus: I2cBus::Number(self.bus),
            switch: None,
            address,
        };
        ChipSpec::new(self.kind()?, location, None).ok()
    }

    /// What reads it, for messages: `the kernel driver `lm75` (hwmon2)`.
    pub fn describe(&self) -> String {
        format!(
            "the kernel driver `{}` ({})",
            self.driver,
            self.interface_id()
        )
    }

    /// Reads it through its driver as `spec`'s chip: readings numbered from `seq`,
    /// stamped `time`. A spec naming another kind than the driver's device is refused.
    pub fn read(
        &self,
        spec: &ChipSpec,
        seq: &mut Sequence,
        time: SystemTime,
    ) -> Result<ChipRead, ReadError> {
        if let Some(k) = self.kind() {
            if k != spec.kind() {
                return Err(ReadError::WrongChip(format!(
                    "{} drives a {} at {:#04x}, not a {}: read `{}`",
                    self.describe(),
                    self.name,
                    self.address,
                    spec.kind().name(),
                    spec.to_string().replacen(spec.kind().name(), k.name(), 1)
                )));
            }
        }
        // (quantity, kernel channel name, label, value)
        let values: Vec<(Quantity, String, Option<String>, f64)> = match &self.interface {
            KernelInterface::Hwmon(h) => h
                .read_all()
                .map_err(|e| ReadError::Failed(e.to_string()))?
                .into_iter()
                .map(|s| {
                    let q = match s.channel.kind {
                        hwmon::Kind::Temperature => Quantity::Temperature,
                        hwmon::Kind::Voltage => Quantity::Voltage,
                        hwmon::Kind::Current => Quantity::Current,
                        hwmon::Kind::Power => Quantity::Power,
                        _ => Quantity::Humidity,
                    };
                    (q, s.channel.to_string(), s.label, s.value)
                })
                .collect(),
            KernelInterface::Iio(d) => {
                let mut v = Vec::new();
                for ch in d.channels() {
                    let Some((q, factor)) = iio_quantity(&ch.kind) else {
                        continue;
                    };
                    let r = d.read(&ch).map_err(|e| ReadError::Failed(e.to_string()))?;
                    v.push((q, ch.name.clone(), None, r.value * factor));
                }
                v
            }
        };
        if values.is_empty() {
            let (cmd, id) = match &self.interface {
                KernelInterface::Hwmon(h) => ("ls /sys/class/hwmon/", h.id()),
                KernelInterface::Iio(d) => ("udrv iio read ", d.id()),
            };
            return Err(ReadError::Failed(format!(
                "{} gives no value udrv has a quantity for (no temperature, humidity, \
                 pressure, voltage, current, power or illuminance); see what it gives with \
                 `{cmd}{id}`",
                self.describe()
            )));
        }
        let mut readings = Vec::new();
        for (q, kernel_name, label, value) in &values {
            let once = values.iter().filter(|v| v.0 == *q).count() == 1;
            let channel = if once {
                None
            } else {
                let named = DRIVER_CHANNELS
                    .iter()
                    .find(|(d, k, _)| *d == self.driver && k == kernel_name)
                    .map(|(_, _, c)| c.to_string());
                let name = named
                    .or_else(|| label.clone())
                    .unwrap_or_else(|| kernel_name.clone());
                Channel::new(&name).or_else(|| Channel::new(&sanitize(kernel_name)))
            };
            readings.push(Reading {
                seq: seq.next_seq(),
                time,
                source: spec.with_channel(channel),
                quantity: *q,
                value: *value,
            });
        }
        Ok(ChipRead {
            readings,
            raw: Vec::new(),
            identity: Identity::Identified(format!(
                "read through {}: the kernel bound it as {}",
                self.describe(),
                self.name
            )),
        })
    }
}

/// An IIO channel type's quantity and the factor from the kernel's unit to the
/// quantity's (sysfs-bus-iio).
pub fn iio_quantity(kind: &str) -> Option<(Quantity, f64)> {
    Some(match kind {
        "temp" => (Quantity::Temperature, 1e-3),
        "humidityrelative" => (Quantity::Humidity, 1e-3),
        "pressure" => (Quantity::Pressure, 1e3),
        "voltage" => (Quantity::Voltage, 1e-3),
        "current" => (Quantity::Current, 1e-3),
        "power" => (Quantity::Power, 1e-3),
        "illuminance" => (Quantity::Illuminance, 1.0),
        _ => return None,
    })
}

/// A kernel channel name as a catalog channel (`voltage1-voltage2` → `voltage1_voltage2`).
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
