//! Uevents as typed values: [`Event`], [`Action`], and the udrv device an event is about
//! ([`Device`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::DeviceClass;
use crate::sys::uevent::{self, RawUevent, Reject};

use super::{Error, Result};

/// What happened to a device (the kernel's `kobject_action`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// The device appeared (`add`); its device node, if any, exists now (devtmpfs).
    Add,
    /// The device went away (`remove`).
    Remove,
    /// Something about the device changed (`change`), including events triggered by
    /// writing to its `uevent` file in sysfs.
    Change,
    /// The device was renamed or moved (`move`).
    Move,
    /// The device was brought online (`online`, CPUs and memory blocks).
    Online,
    /// The device was taken offline (`offline`).
    Offline,
    /// A driver was bound to the device (`bind`); the event's `DRIVER` names it.
    Bind,
    /// The driver was unbound from the device (`unbind`).
    Unbind,
    /// An action this version does not know, as the kernel spelled it.
    Other(String),
}

impl Action {
    /// The action as the kernel spells it (`add`, `remove`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Change => "change",
            Action::Move => "move",
            Action::Online => "online",
            Action::Offline => "offline",
            Action::Bind => "bind",
            Action::Unbind => "unbind",
            Action::Other(s) => s,
        }
    }

    fn from_kernel(s: &str) -> Action {
        match s {
            "add" => Action::Add,
            "remove" => Action::Remove,
            "change" => Action::Change,
            "move" => Action::Move,
            "online" => Action::Online,
            "offline" => Action::Offline,
            "bind" => Action::Bind,
            "unbind" => Action::Unbind,
            other => Action::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One kernel uevent.
///
/// ```
/// use std::path::Path;
/// use udrv_core::hotplug::{Action, Device, Event};
///
/// let ev = Event::parse(
///     b"add@/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0\0\
///       ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0\0\
///       SUBSYSTEM=tty\0MAJOR=188\0MINOR=0\0DEVNAME=ttyUSB0\0SEQNUM=3121\0",
/// )?;
/// assert_eq!(ev.action, Action::Add);
/// assert_eq!(ev.subsystem, "tty");
/// assert_eq!(ev.devname.as_deref(), Some(Path::new("/dev/ttyUSB0")));
/// assert_eq!(ev.device(), Some(Device::Serial { name: "ttyUSB0".into() }));
/// assert_eq!(ev.seqnum(), Some(3121));
/// assert_eq!(ev.devnum(), Some((188, 0)));
/// # Ok::<(), udrv_core::hotplug::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub action: Action,
    /// The kernel subsystem (`SUBSYSTEM`): `i2c-dev`, `i2c`, `spidev`, `spi`, `gpio`,
    /// `tty`, `uio`, `usb`, `platform`, ...
    pub subsystem: String,
    /// The device's path under `/sys` (`DEVPATH`), e.g.
    /// `/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3`.
    pub devpath: String,
    /// The device node (`/dev/` + `DEVNAME`), for devices that have one.
    pub devname: Option<PathBuf>,
    /// Every `KEY=VALUE` pair of the event, `ACTION`, `DEVPATH` and `SUBSYSTEM` included.
    pub properties: BTreeMap<String, String>,
}

impl Event {
    /// Parses a uevent in the kernel's netlink format: the header `ACTION@DEVPATH`, then
    /// `KEY=VALUE` pairs, each NUL-terminated. [`Monitor`](super::Monitor) does this for
    /// every datagram; this is for events from elsewhere (tests, captures, a relay).
    ///
    /// Errors with [`Error::Malformed`] for anything else (libudev's format included) and
    /// when `SUBSYSTEM` is missing.
    pub fn parse(payload: &[u8]) -> Result<Event> {
        Event::from_raw(uevent::parse(payload)?)
    }

    pub(crate) fn from_raw(raw: RawUevent) -> Result<Event> {
        let properties: BTreeMap<String, String> = raw.env.into_iter().collect();
        let Some(subsystem) = properties.get("SUBSYSTEM").cloned() else {
            return Err(Reject::Malformed(format!(
                "no SUBSYSTEM in the {}@{} event",
                raw.action, raw.devpath
            ))
            .into());
        };
        let devname = properties
            .get("DEVNAME")
            .filter(|n| !n.is_empty())
            .map(|n| Path::new("/dev").join(n));
        Ok(Event {
            action: Action::from_kernel(&raw.action),
            subsystem,
            devpath: raw.devpath,
            devname,
            properties,
        })
    }

    /// The value of property `key` (`DRIVER`, `DEVTYPE`, `MODALIAS`, `PRODUCT`, ...).
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// The kernel's event sequence number (`SEQNUM`), increasing by one per event sent.
    pub fn seqnum(&self) -> Option<u64> {
        self.property("SEQNUM")?.parse().ok()
    }

    /// The device type within the subsystem (`DEVTYPE`), e.g. `usb_device`,
    /// `usb_interface`, `partition` (many subsystems send none).
    pub fn devtype(&self) -> Option<&str> {
        self.property("DEVTYPE")
    }

    /// The driver bound to the device (`DRIVER`), on `bind` and on events of bound devices.
    pub fn driver(&self) -> Option<&str> {
        self.property("DRIVER").filter(|d| !d.is_empty())
    }

    /// The device number (`MAJOR`, `MINOR`) of the device node.
    pub fn devnum(&self) -> Option<(u32, u32)> {
        Some((
            self.property("MAJOR")?.parse().ok()?,
            self.property("MINOR")?.parse().ok()?,
        ))
    }

    /// The device's folder in sysfs: `/sys` + [`devpath`](Event::devpath).
    pub fn sysfs_path(&self) -> PathBuf {
        Path::new("/sys").join(self.devpath.trim_start_matches('/'))
    }

    /// The last component of the devpath: the kernel's device name (`i2c-3`, `3-0020`,
    /// `spi0.0`, `gpiochip2`, `ttyUSB0`).
    pub fn kernel_name(&self) -> &str {
        self.devpath.rsplit('/').next().unwrap_or_default()
    }

    /// The udrv device this event is about, when it is one udrv opens (see [`Device`]).
    pub fn device(&self) -> Option<Device> {
        // The node's name, else (events without DEVNAME) the kernel's name.
        let name = self
            .property("DEVNAME")
            .filter(|n| !n.is_empty())
            .unwrap_or(self.kernel_name());
        let number = |prefix: &str| name.strip_prefix(prefix)?.parse::<u32>().ok();
        match self.subsystem.as_str() {
            "i2c-dev" => Some(Device::I2cBus {
                bus: number("i2c-")?,
            }),
            "i2c" => {
                // Clients are named `BUS-ADDR` with a 4-digit hex address; 10-bit ones
                // carry I2C_ADDR_OFFSET_TEN_BIT (0xa000), slave backends 0x1000.
                // Adapters (`i2c-N`) do not parse as that.
                let (bus, addr) = self.kernel_name().split_once('-')?;
                if addr.len() != 4 {
                    return None;
                }
                let raw = u16::from_str_radix(addr, 16).ok()?;
                let ten_bit = raw & 0xa000 == 0xa000;
                let addr = raw & !0xa000;
                if addr & 0x1000 != 0 || addr > if ten_bit { 0x3ff } else { 0x7f } {
                    return None;
                }
                Some(Device::I2cClient {
                    bus: bus.parse().ok()?,
                    addr,
                    ten_bit,
                })
            }
            "spidev" => {
                let (bus, cs) = name.strip_prefix("spidev")?.split_once('.')?;
                Some(Device::Spidev {
                    bus: bus.parse().ok()?,
                    cs: cs.parse().ok()?,
                })
            }
            "spi" => {
                let (bus, cs) = self.kernel_name().strip_prefix("spi")?.split_once('.')?;
                Some(Device::SpiDevice {
                    bus: bus.parse().ok()?,
                    cs: cs.parse().ok()?,
                })
            }
            "gpio" => Some(Device::GpioChip {
                number: number("gpiochip")?,
            }),
            "uio" => Some(Device::Uio {
                number: number("uio")?,
            }),
            "tty" if !name.is_empty() && !name.contains('/') => Some(Device::Serial {
                name: name.to_string(),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for Event {
    /// `add i2c-dev /devices/... (/dev/i2c-3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.action, self.subsystem, self.devpath)?;
        if let Some(n) = &self.devname {
            write!(f, " ({})", n.display())?;
        }
        Ok(())
    }
}

/// A device udrv can open, named by a uevent ([`Event::device`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Device {
    /// An i2c-dev bus node `/dev/i2c-N` (subsystem `i2c-dev`; open with
    /// [`I2cBus::open`](crate::i2c::I2cBus::open)).
    I2cBus {
        /// `N`.
        bus: u32,
    },
    /// A device on an I2C bus, `BUS-00AA` in sysfs (subsystem `i2c`; `bind`/`unbind`
    /// when a kernel driver takes or leaves it). The adapter itself is reported as
    /// [`Device::I2cBus`] by its i2c-dev node's event, not here.
    I2cClient {
        /// The bus number.
        bus: u32,
        /// The address (7-bit, or 10-bit when `ten_bit`).
        addr: u16,
        /// A 10-bit address.
        ten_bit: bool,
    },
    /// A spidev node `/dev/spidevB.C` (subsystem `spidev`).
    Spidev {
        /// `B`, the bus (controller) number.
        bus: u32,
        /// `C`, the chip select.
        cs: u32,
    },
    /// A device on an SPI bus, `spiB.C` in sysfs (subsystem `spi`; `bind` when spidev or
    /// another driver takes it).
    SpiDevice {
        /// The bus number.
        bus: u32,
        /// The chip select.
        cs: u32,
    },
    /// A GPIO chip `/dev/gpiochipN` (subsystem `gpio`).
    GpioChip {
        /// `N`.
        number: u32,
    },
    /// A UIO device `/dev/uioN` (subsystem `uio`).
    Uio {
        /// `N`.
        number: u32,
    },
    /// A tty `/dev/NAME` (subsystem `tty`): USB serial adapters (`ttyUSB0`, `ttyACM0`),
    /// on-board UARTs (`ttyS0`, `ttyAMA0`), and the kernel's virtual consoles.
    Serial {
        /// The node's name, e.g. `ttyUSB0`.
        name: String,
    },
}

impl Device {
    /// The kind of device, as udrv's error messages name it.
    pub fn class(&self) -> DeviceClass {
        match self {
            Device::I2cBus { .. } | Device::I2cClient { .. } => DeviceClass::I2c,
            Device::Spidev { .. } | Device::SpiDevice { .. } => DeviceClass::Spi,
            Device::GpioChip { .. } => DeviceClass::Gpio,
            Device::Uio { .. } => DeviceClass::Uio,
            Device::Serial { .. } => DeviceClass::Serial,
        }
    }

    /// The device node udrv opens: `/dev/i2c-N` (for an I2C client, its bus's),
    /// `/dev/spidevB.C`, `/dev/gpiochipN`, `/dev/uioN`, `/dev/ttyX`. `None` for an SPI
    /// device, which has a node only once spidev is bound to it.
    pub fn node(&self) -> Option<PathBuf> {
        Some(PathBuf::from(match self {
            Device::I2cBus { bus } | Device::I2cClient { bus, .. } => format!("/dev/i2c-{bus}"),
            Device::Spidev { bus, cs } => format!("/dev/spidev{bus}.{cs}"),
            Device::SpiDevice { .. } => return None,
            Device::GpioChip { number } => format!("/dev/gpiochip{number}"),
            Device::Uio { number } => format!("/dev/uio{number}"),
            Device::Serial { name } => format!("/dev/{name}"),
        }))
    }
}

impl fmt::Display for Device {
    /// As udrv names devices elsewhere: `i2c-3`, `i2c-3:0x20`, `spidev0.1`, `gpiochip2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::I2cBus { bus } => write!(f, "i2c-{bus}"),
            Device::I2cClient { bus, addr, .. } => write!(f, "i2c-{bus}:{addr:#04x}"),
            Device::Spidev { bus, cs } => write!(f, "spidev{bus}.{cs}"),
            Device::SpiDevice { bus, cs } => write!(f, "spi{bus}.{cs}"),
            Device::GpioChip { number } => write!(f, "gpiochip{number}"),
            Device::Uio { number } => write!(f, "uio{number}"),
            Device::Serial { name } => f.write_str(name),
        }
    }
}

/// Subsystems whose events concern each [`DeviceClass`] (for
/// [`Monitor::with_class`](super::Monitor::with_class)).
pub(crate) fn class_subsystems(class: DeviceClass) -> &'static [&'static str] {
    match class {
        DeviceClass::I2c => &["i2c-dev", "i2c"],
        DeviceClass::Spi => &["spidev", "spi"],
        DeviceClass::Gpio => &["gpio"],
        DeviceClass::Uio => &["uio"],
        DeviceClass::Serial => &["tty"],
    }
}

impl From<Reject> for Error {
    fn from(r: Reject) -> Error {
        Error::Malformed {
            reason: r.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A uevent payload as the kernel builds it: header, then the pairs, NUL after each.
    fn payload(action: &str, devpath: &str, pairs: &[(&str, &str)]) -> Vec<u8> {
        let mut v =
            format!("{action}@{devpath}\0ACTION={action}\0DEVPATH={devpath}\0").into_bytes();
        for (k, val) in pairs {
            v.extend_from_slice(format!("{k}={val}\0").as_bytes());
        }
        v
    }

    fn ev(action: &str, devpath: &str, pairs: &[(&str, &str)]) -> Event {
        Event::parse(&payload(action, devpath, pairs)).unwrap()
    }

    #[test]
    fn an_i2c_dev_node_appears() {
        let e = Event::parse(
            b"add@/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3\0ACTION=add\0\
              DEVPATH=/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3\0SUBSYSTEM=i2c-dev\0\
              DEVNAME=i2c-3\0SEQNUM=1234\0MAJOR=89\0MINOR=3\0",
        )
        .unwrap();
        assert_eq!(e.action, Action::Add);
        assert_eq!(e.subsystem, "i2c-dev");
        assert_eq!(e.devpath, "/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3");
        assert_eq!(e.devname, Some(PathBuf::from("/dev/i2c-3")));
        assert_eq!(e.seqnum(), Some(1234));
        assert_eq!(e.devnum(), Some((89, 3)));
        assert_eq!(e.property("ACTION"), Some("add"));
        assert_eq!(e.properties.len(), 7);
        assert_eq!(e.device(), Some(Device::I2cBus { bus: 3 }));
        assert_eq!(e.device().unwrap().node(), Some("/dev/i2c-3".into()));
        assert_eq!(e.device().unwrap().class(), DeviceClass::I2c);
        assert_eq!(
            e.sysfs_path(),
            Path::new("/sys/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3")
        );
        assert_eq!(
            e.to_string(),
            "add i2c-dev /devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3 (/dev/i2c-3)"
        );
    }

    #[test]
    fn actions_round_trip_and_unknown_ones_are_kept() {
        for (s, a) in [
            ("add", Action::Add),
            ("remove", Action::Remove),
            ("change", Action::Change),
            ("move", Action::Move),
            ("online", Action::Online),
            ("offline", Action::Offline),
            ("bind", Action::Bind),
            ("unbind", Action::Unbind),
            ("frobnicate", Action::Other("frobnicate".into())),
        ] {
            let e = ev(s, "/devices/virtual/tty/ttyS1", &[("SUBSYSTEM", "tty")]);
            assert_eq!(e.action, a);
            assert_eq!(e.action.to_string(), s);
        }
    }

    #[test]
    fn i2c_clients_and_adapters() {
        let e = ev(
            "bind",
            "/devices/platform/i2c-stub/i2c-3/3-0020",
            &[
                ("SUBSYSTEM", "i2c"),
                ("DRIVER", "dummy"),
                ("MODALIAS", "i2c:dummy"),
                ("SEQNUM", "77"),
            ],
        );
        assert_eq!(e.action, Action::Bind);
        assert_eq!(e.driver(), Some("dummy"));
        assert_eq!(e.devname, None);
        let d = e.device().unwrap();
        assert_eq!(
            d,
            Device::I2cClient {
                bus: 3,
                addr: 0x20,
                ten_bit: false
            }
        );
        assert_eq!(d.to_string(), "i2c-3:0x20");
        assert_eq!(d.node(), Some("/dev/i2c-3".into()));
        // A 10-bit client: the kernel adds I2C_ADDR_OFFSET_TEN_BIT to the name.
        let e = ev("add", "/devices/x/i2c-1/1-a3ff", &[("SUBSYSTEM", "i2c")]);
        assert_eq!(
            e.device(),
            Some(Device::I2cClient {
                bus: 1,
                addr: 0x3ff,
                ten_bit: true
            })
        );
        // A slave backend (0x1000) and the adapter itself map to nothing.
        let e = ev("add", "/devices/x/i2c-1/1-1064", &[("SUBSYSTEM", "i2c")]);
        assert_eq!(e.device(), None);
        let e = ev(
            "add",
            "/devices/platform/i2c-stub/i2c-3",
            &[("SUBSYSTEM", "i2c"), ("DEVTYPE", "i2c_adapter")],
        );
        assert_eq!(e.device(), None);
        // As Linux 6.1 sends it: no DEVTYPE at all (i2c-stub's adapter has no parent).
        let e = ev("add", "/devices/i2c-0", &[("SUBSYSTEM", "i2c")]);
        assert_eq!(e.device(), None);
        // An empty DRIVER (unbind) is no driver.
        let e = ev(
            "unbind",
            "/devices/x/i2c-1/1-0050",
            &[("SUBSYSTEM", "i2c"), ("DRIVER", "")],
        );
        assert_eq!(e.driver(), None);
    }

    #[test]
    fn spi_gpio_uio_and_serial_devices() {
        let cases = [
            (
                "/devices/platform/spi-lm70llp/spi_master/spi1/spi1.0/spidev/spidev1.0",
                "spidev",
                Some("spidev1.0"),
                Some(Device::Spidev { bus: 1, cs: 0 }),
                Some("/dev/spidev1.0"),
            ),
            (
                "/devices/platform/spi-lm70llp/spi_master/spi1/spi1.3",
                "spi",
                None,
                Some(Device::SpiDevice { bus: 1, cs: 3 }),
                None,
            ),
            (
                "/devices/platform/gpio-sim.0/gpiochip2",
                "gpio",
                Some("gpiochip2"),
                Some(Device::GpioChip { number: 2 }),
                Some("/dev/gpiochip2"),
            ),
            (
                "/devices/pci0000:00/0000:00:04.0/uio/uio0",
                "uio",
                Some("uio0"),
                Some(Device::Uio { number: 0 }),
                Some("/dev/uio0"),
            ),
            (
                "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/tty/ttyACM0",
                "tty",
                Some("ttyACM0"),
                Some(Device::Serial {
                    name: "ttyACM0".into(),
                }),
                Some("/dev/ttyACM0"),
            ),
            // No DEVNAME: the kernel's name is used.
            (
                "/devices/platform/gpio-sim.0/gpiochip7",
                "gpio",
                None,
                Some(Device::GpioChip { number: 7 }),
                Some("/dev/gpiochip7"),
            ),
            // Not udrv's.
            (
                "/devices/pci0000:00/0000:00:14.0/usb1/1-1",
                "usb",
                Some("bus/usb/001/002"),
                None,
                None,
            ),
            ("/devices/platform/gpio-sim.0", "platform", None, None, None),
            ("/devices/virtual/gpio/gpiochipX", "gpio", None, None, None),
        ];
        for (devpath, subsystem, devname, device, node) in cases {
            let mut pairs = vec![("SUBSYSTEM", subsystem)];
            if let Some(n) = devname {
                pairs.push(("DEVNAME", n));
            }
            let e = ev("add", devpath, &pairs);
            assert_eq!(e.device(), device, "{devpath}");
            if let Some(d) = &device {
                // A monitor filtered by the device's class hears this event.
                assert!(
                    class_subsystems(d.class()).contains(&subsystem),
                    "{devpath}"
                );
            }
            assert_eq!(
                e.device().and_then(|d| d.node()),
                node.map(PathBuf::from),
                "{devpath}"
            );
        }
        let e = ev(
            "add",
            "/devices/pci0000:00/0000:00:14.0/usb1/1-1",
            &[("SUBSYSTEM", "usb"), ("DEVNAME", "bus/usb/001/002")],
        );
        assert_eq!(e.devname, Some(PathBuf::from("/dev/bus/usb/001/002")));
        assert_eq!(e.kernel_name(), "1-1");
    }

    #[test]
    fn malformed_events_are_errors() {
        // No SUBSYSTEM.
        let e = Event::parse(b"add@/devices/x\0ACTION=add\0SEQNUM=1\0").unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
        assert!(e.to_string().contains("no SUBSYSTEM"), "{e}");
        // Not a uevent at all.
        let e = Event::parse(b"hello world").unwrap_err();
        assert!(e.to_string().contains("ACTION@DEVPATH"), "{e}");
        // libudev's format.
        let e = Event::parse(b"libudev\0\xfe\xed\xca\xfe").unwrap_err();
        assert!(e.to_string().contains("libudev"), "{e}");
        // Values that are not numbers give None, not a panic.
        let e = ev(
            "add",
            "/devices/x",
            &[("SUBSYSTEM", "tty"), ("SEQNUM", "x"), ("MAJOR", "4")],
        );
        assert_eq!(e.seqnum(), None);
        assert_eq!(e.devnum(), None);
    }

    #[test]
    fn classes_name_their_subsystems() {
        assert_eq!(class_subsystems(DeviceClass::I2c), ["i2c-dev", "i2c"]);
        assert_eq!(class_subsystems(DeviceClass::Gpio), ["gpio"]);
        assert_eq!(class_subsystems(DeviceClass::Serial), ["tty"]);
        assert_eq!(class_subsystems(DeviceClass::Spi), ["spidev", "spi"]);
        assert_eq!(class_subsystems(DeviceClass::Uio), ["uio"]);
    }
}
