//! UIO: drivers in user space for memory-mapped devices (`/dev/uioN`).
//!
//! - [`devices`] lists `/sys/class/uio` (name, version, interrupt count, memory maps).
//! - [`Uio`] opens a device by number, path or name; [`Uio::map`] maps a memory map as a
//!   [`Mapping`] with bounds-checked, alignment-checked volatile register access.
//! - Interrupts: [`Uio::wait_irq`] (blocking), [`Uio::wait_irq_timeout`],
//!   [`Uio::try_wait_irq`], and with the `tokio` feature [`AsyncUio::wait_irq`]. Each
//!   returns an [`Irq`] with the kernel's interrupt count and how many interrupts were
//!   missed since the previous one seen.
//! - Re-enabling: [`Uio::enable_irq`] (the driver's `irqcontrol`), or for
//!   `uio_pci_generic`, which has none, [`Uio::pci_intx_enable`]; [`Uio::rearm`] does
//!   whichever the driver supports.
//!
//! ```no_run
//! use std::time::Duration;
//! use udrv_core::uio::Uio;
//!
//! # fn main() -> Result<(), udrv_core::uio::Error> {
//! let dev = Uio::open_by_name("uio_pci_generic")?;
//! let regs = dev.map(0)?;
//! println!("id {:#010x}", regs.read32(0)?);
//! regs.write32(0x60, 1)?; // make the device interrupt
//! if let Some(irq) = dev.wait_irq_timeout(Duration::from_secs(1))? {
//!     println!("interrupt #{} ({} missed)", irq.count, irq.missed);
//!     regs.write32(0x64, 1)?; // acknowledge in the device
//!     dev.rearm()?;            // and let the next one through
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod mapping;

#[cfg(feature = "tokio")]
mod asynch;

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::sys;

pub use error::{Error, Operation, Result};
pub use mapping::Mapping;

#[cfg(feature = "tokio")]
pub use asynch::AsyncUio;

const SYSFS_CLASS: &str = "/sys/class/uio";

/// One memory map of a UIO device, from `/sys/class/uio/uioN/maps/mapM`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MapInfo {
    /// The map's index (`M` in `mapM`; select it with [`Uio::map`]).
    pub index: usize,
    /// The map's name, if the driver gave one.
    pub name: Option<String>,
    /// The physical (or logical) address.
    pub addr: u64,
    /// The size in bytes.
    pub size: u64,
    /// Where the map starts within its first page.
    pub offset: u64,
}

/// A UIO device, from `/sys/class/uio/uioN`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UioInfo {
    /// `N` in `uioN`.
    pub number: u32,
    /// The device node, `/dev/uioN`.
    pub path: PathBuf,
    /// The driver-given name (e.g. `uio_pci_generic`).
    pub name: String,
    /// The driver-given version.
    pub version: String,
    /// The interrupt count now.
    pub event_count: u32,
    /// The memory maps.
    pub maps: Vec<MapInfo>,
}

/// Every UIO device, by number.
///
/// ```no_run
/// for d in udrv_core::uio::devices()? {
///     println!("{} {} {} ({} maps)", d.path.display(), d.name, d.version, d.maps.len());
/// }
/// # Ok::<(), udrv_core::uio::Error>(())
/// ```
pub fn devices() -> Result<Vec<UioInfo>> {
    devices_in(Path::new(SYSFS_CLASS))
}

fn devices_in(class: &Path) -> Result<Vec<UioInfo>> {
    let rd = match std::fs::read_dir(class) {
        Ok(rd) => rd,
        // No UIO support loaded: no devices.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(class, Operation::Enumerate, e)),
    };
    let mut nums: Vec<u32> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("uio")?.parse().ok())
        .collect();
    nums.sort_unstable();
    nums.into_iter().map(|n| info_in(class, n)).collect()
}

/// The info of `/dev/uioN`.
pub fn info(number: u32) -> Result<UioInfo> {
    info_in(Path::new(SYSFS_CLASS), number)
}

fn read_attr(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end().to_string())
        .map_err(|e| Error::io(path, Operation::ReadSysfs, e))
}

fn parse_num(path: &Path) -> Result<u64> {
    let s = read_attr(path)?;
    let t = s.trim();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse(),
    };
    r.map_err(|_| {
        Error::io(
            path,
            Operation::ReadSysfs,
            io::Error::new(io::ErrorKind::InvalidData, format!("not a number: {t:?}")),
        )
    })
}

fn info_in(class: &Path, number: u32) -> Result<UioInfo> {
    let dir = class.join(format!("uio{number}"));
    let name = read_attr(&dir.join("name"))?;
    let version = read_attr(&dir.join("version"))?;
    let event_count = parse_num(&dir.join("event"))? as u32;
    let mut maps = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("maps")) {
        let mut idx: Vec<usize> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str()?.strip_prefix("map")?.parse().ok())
            .collect();
        idx.sort_unstable();
        for index in idx {
            let m = dir.join("maps").join(format!("map{index}"));
            maps.push(MapInfo {
                index,
                name: read_attr(&m.join("name")).ok().filter(|s| !s.is_empty()),
                addr: parse_num(&m.join("addr"))?,
                size: parse_num(&m.join("size"))?,
                offset: parse_num(&m.join("offset")).unwrap_or(0),
            });
        }
    }
    Ok(UioInfo {
        number,
        path: PathBuf::from(format!("/dev/uio{number}")),
        name,
        version,
        event_count,
        maps,
    })
}

/// The first UIO device whose name is `name`.
pub fn find(name: &str) -> Result<UioInfo> {
    devices()?
        .into_iter()
        .find(|d| d.name == name)
        .ok_or_else(|| Error::NotFound {
            name: name.to_string(),
        })
}

/// An interrupt seen by a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Irq {
    /// The device's total interrupt count (since its driver was bound).
    pub count: u32,
    /// Interrupts that happened since the previous one this handle saw, and were not
    /// seen separately (the count jumped by more than one): 0 normally.
    pub missed: u32,
}

/// Counts interrupts between two observations of the kernel's counter.
pub(crate) fn missed_between(last: u32, now: u32) -> u32 {
    now.wrapping_sub(last).saturating_sub(1)
}

/// An open UIO device.
///
/// ```no_run
/// use udrv_core::uio::Uio;
///
/// # fn main() -> Result<(), udrv_core::uio::Error> {
/// let dev = Uio::open(0)?;
/// let info = dev.info()?;
/// println!("{} has {} maps", info.name, info.maps.len());
/// loop {
///     let irq = dev.wait_irq()?;
///     if irq.missed > 0 {
///         eprintln!("{} interrupts missed", irq.missed);
///     }
///     dev.rearm()?;
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Uio {
    file: File,
    path: PathBuf,
    number: u32,
    last: AtomicU32,
}

impl Uio {
    /// Opens `/dev/uioN`.
    pub fn open(number: u32) -> Result<Uio> {
        Uio::open_path(format!("/dev/uio{number}"))
    }

    /// Opens a UIO device node by path (`/dev/uioN`, or a symlink to one).
    pub fn open_path(path: impl AsRef<Path>) -> Result<Uio> {
        let path = path.as_ref().to_path_buf();
        let file = sys::fs::open_device(&path).map_err(|e| Error::io(&path, Operation::Open, e))?;
        let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let number = real
            .file_name()
            .and_then(|n| n.to_str()?.strip_prefix("uio")?.parse().ok())
            .ok_or_else(|| {
                Error::io(
                    &path,
                    Operation::Open,
                    io::Error::from_raw_os_error(libc::ENOTTY),
                )
            })?;
        // The interrupt count now: the next wait's `missed` is counted from here.
        let count = parse_num(&Path::new(SYSFS_CLASS).join(format!("uio{number}/event")))
            .unwrap_or(0) as u32;
        Ok(Uio {
            file,
            path,
            number,
            last: AtomicU32::new(count),
        })
    }

    /// Opens the first UIO device named `name` (e.g. `uio_pci_generic`).
    pub fn open_by_name(name: &str) -> Result<Uio> {
        Uio::open(find(name)?.number)
    }

    /// `N` in `uioN`.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The device node path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The device's sysfs folder, `/sys/class/uio/uioN`.
    pub fn sysfs_dir(&self) -> PathBuf {
        Path::new(SYSFS_CLASS).join(format!("uio{}", self.number))
    }

    /// Name, version, count and maps.
    pub fn info(&self) -> Result<UioInfo> {
        info(self.number)
    }

    /// Maps memory map `index` (`mmap` offset `index` × page size).
    pub fn map(&self, index: usize) -> Result<Mapping> {
        let info = self.info()?;
        let m = info
            .maps
            .iter()
            .find(|m| m.index == index)
            .ok_or(Error::NoSuchMap {
                device: self.path.clone(),
                index,
                maps: info.maps.len(),
            })?;
        let page = sys::fs::page_size();
        let start = (m.offset as usize) % page;
        let len = (start + m.size as usize).div_ceil(page) * page;
        let region = sys::uio::map(self.file.as_fd(), index, len)
            .map_err(|e| Error::io(&self.path, Operation::Map, e))?;
        Ok(Mapping::new(region, start, m.size as usize, index))
    }

    fn seen(&self, count: u32) -> Irq {
        let last = self.last.swap(count, Ordering::AcqRel);
        Irq {
            count,
            missed: missed_between(last, count),
        }
    }

    /// An interrupt that already happened, without waiting.
    pub fn try_wait_irq(&self) -> Result<Option<Irq>> {
        match sys::uio::read_count(self.file.as_fd()) {
            Ok(c) => Ok(Some(self.seen(c))),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(Error::io(&self.path, Operation::WaitIrq, e)),
        }
    }

    /// Waits for the next interrupt as long as it takes.
    pub fn wait_irq(&self) -> Result<Irq> {
        sys::fs::wait_next(
            self.file.as_fd(),
            || self.try_wait_irq(),
            |e| Error::io(&self.path, Operation::WaitIrq, e),
        )
    }

    /// Waits for the next interrupt, or `None` when `timeout` passes first.
    pub fn wait_irq_timeout(&self, timeout: Duration) -> Result<Option<Irq>> {
        sys::fs::wait_next_for(
            self.file.as_fd(),
            Some(timeout),
            || self.try_wait_irq(),
            |e| Error::io(&self.path, Operation::WaitIrq, e),
        )
    }

    fn irq_control(&self, on: bool) -> Result<()> {
        sys::uio::irq_control(self.file.as_fd(), on).map_err(|e| match e.raw_os_error() {
            Some(errno @ (libc::ENOSYS | libc::EIO)) => Error::IrqControlUnsupported {
                device: self.path.clone(),
                errno,
            },
            _ => Error::io(&self.path, Operation::IrqControl, e),
        })
    }

    /// Enables the interrupt through the driver's `irqcontrol` (writes 1 to the device).
    /// [`Error::IrqControlUnsupported`] when the driver has none (uio_pci_generic).
    pub fn enable_irq(&self) -> Result<()> {
        self.irq_control(true)
    }

    /// Disables the interrupt through the driver's `irqcontrol` (writes 0).
    pub fn disable_irq(&self) -> Result<()> {
        self.irq_control(false)
    }

    fn pci_config(&self) -> Result<File> {
        let p = self.sysfs_dir().join("device/config");
        if !p.exists() {
            return Err(Error::NotPci {
                device: self.path.clone(),
            });
        }
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(&p)
            .map_err(|e| Error::io(&p, Operation::PciConfig, e))
    }

    fn pci_intx(&self, enable: bool) -> Result<()> {
        const COMMAND: u64 = 4;
        const INTX_DISABLE: u16 = 1 << 10;
        let f = self.pci_config()?;
        let err = |e| {
            Error::io(
                &self.sysfs_dir().join("device/config"),
                Operation::PciConfig,
                e,
            )
        };
        let mut b = [0u8; 2];
        f.read_exact_at(&mut b, COMMAND).map_err(err)?;
        let cmd = u16::from_le_bytes(b);
        let new = if enable {
            cmd & !INTX_DISABLE
        } else {
            cmd | INTX_DISABLE
        };
        if new != cmd {
            f.write_all_at(&new.to_le_bytes(), COMMAND).map_err(err)?;
        }
        Ok(())
    }

    /// Re-enables a PCI device's legacy interrupt by clearing INTx-disable (bit 10 of the
    /// PCI command register, through sysfs `config`). This is how interrupts of
    /// `uio_pci_generic` are re-armed: its handler sets that bit on every interrupt.
    /// Acknowledge the interrupt in the device first.
    pub fn pci_intx_enable(&self) -> Result<()> {
        self.pci_intx(true)
    }

    /// Masks a PCI device's legacy interrupt (sets INTx-disable).
    pub fn pci_intx_disable(&self) -> Result<()> {
        self.pci_intx(false)
    }

    /// Lets the next interrupt through: [`enable_irq`](Self::enable_irq), or when the
    /// driver has no `irqcontrol` (`ENOSYS`) and the device is on PCI,
    /// [`pci_intx_enable`](Self::pci_intx_enable).
    pub fn rearm(&self) -> Result<()> {
        match self.enable_irq() {
            Err(Error::IrqControlUnsupported { errno, .. }) if errno == libc::ENOSYS => {
                self.pci_intx_enable()
            }
            r => r,
        }
    }
}

crate::sys::fs::fd_through!(Uio, file);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Uio>();
        check::<Mapping>();
        check::<Error>();
        #[cfg(feature = "tokio")]
        check::<AsyncUio>();
    }

    #[test]
    fn missed_interrupts() {
        assert_eq!(missed_between(4, 5), 0);
        assert_eq!(missed_between(4, 9), 4);
        assert_eq!(missed_between(u32::MAX, 1), 1);
        assert_eq!(missed_between(7, 7), 0);
    }

    #[test]
    fn enumerates_a_fake_sysfs_class() {
        let root = std::env::temp_dir().join(format!("udrv-uio-class-{}", std::process::id()));
        let d = root.join("uio3");
        let m = d.join("maps/map0");
        std::fs::create_dir_all(&m).unwrap();
        std::fs::create_dir_all(root.join("uio10")).unwrap();
        std::fs::write(d.join("name"), "uio_pci_generic\n").unwrap();
        std::fs::write(d.join("version"), "0.01.0\n").unwrap();
        std::fs::write(d.join("event"), "17\n").unwrap();
        std::fs::write(m.join("name"), "BAR0\n").unwrap();
        std::fs::write(m.join("addr"), "0x00000000fea00000\n").unwrap();
        std::fs::write(m.join("size"), "0x0000000000100000\n").unwrap();
        std::fs::write(m.join("offset"), "0x0\n").unwrap();
        let d10 = root.join("uio10");
        std::fs::write(d10.join("name"), "other\n").unwrap();
        std::fs::write(d10.join("version"), "1\n").unwrap();
        std::fs::write(d10.join("event"), "0\n").unwrap();

        let v = devices_in(&root).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].number, 3);
        assert_eq!(v[0].path, Path::new("/dev/uio3"));
        assert_eq!(v[0].name, "uio_pci_generic");
        assert_eq!(v[0].version, "0.01.0");
        assert_eq!(v[0].event_count, 17);
        assert_eq!(
            v[0].maps,
            vec![MapInfo {
                index: 0,
                name: Some("BAR0".into()),
                addr: 0xfea0_0000,
                size: 0x10_0000,
                offset: 0,
            }]
        );
        assert_eq!(v[1].number, 10);
        assert!(v[1].maps.is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_uio_device_is_reported() {
        let e = Uio::open_path("/dev/null").unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
        let e = Uio::open(9999).unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
        assert!(e.to_string().contains("/dev/uio9999"), "{e}");
    }

    #[test]
    fn missing_class_means_no_devices() {
        assert!(devices_in(Path::new("/nonexistent/uio"))
            .unwrap()
            .is_empty());
    }
}
