//! The UIO error type.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{describe, DeviceClass, Hint};

/// What udrv was doing when a UIO operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Opening `/dev/uioN`.
    Open,
    /// Listing `/sys/class/uio`.
    Enumerate,
    /// Reading a sysfs attribute of the device.
    ReadSysfs,
    /// Mapping a memory map.
    Map,
    /// Waiting for an interrupt.
    WaitIrq,
    /// Enabling or disabling the interrupt (`irqcontrol`).
    IrqControl,
    /// Reading or writing the PCI command register.
    PciConfig,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Open => "open",
            Operation::Enumerate => "list UIO devices",
            Operation::ReadSysfs => "read sysfs attributes",
            Operation::Map => "map memory",
            Operation::WaitIrq => "wait for an interrupt",
            Operation::IrqControl => "enable/disable the interrupt",
            Operation::PciConfig => "change the PCI command register",
        })
    }
}

/// Errors of the [`uio`](super) module.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed.
    Io {
        /// The device (`/dev/uioN`) or sysfs path concerned.
        device: PathBuf,
        /// What was being done.
        op: Operation,
        /// The OS error.
        source: io::Error,
    },
    /// No UIO device with this name.
    NotFound {
        /// The name looked for.
        name: String,
    },
    /// The device has no memory map with this index.
    NoSuchMap {
        /// The device.
        device: PathBuf,
        /// The index asked for.
        index: usize,
        /// How many maps the device has.
        maps: usize,
    },
    /// A register access past the end of a map.
    OutOfRange {
        /// The byte offset asked for.
        offset: usize,
        /// The access width in bytes.
        width: usize,
        /// The map's size in bytes.
        size: usize,
    },
    /// A register access not aligned to its width.
    Misaligned {
        /// The byte offset asked for.
        offset: usize,
        /// The access width in bytes.
        width: usize,
    },
    /// The driver cannot enable/disable the interrupt through `/dev/uioN`: `ENOSYS` when
    /// it has no `irqcontrol` (uio_pci_generic: use
    /// [`Uio::pci_intx_enable`](super::Uio::pci_intx_enable) or
    /// [`Uio::rearm`](super::Uio::rearm)), `EIO` when the device has no interrupt.
    IrqControlUnsupported {
        /// The device.
        device: PathBuf,
        /// `ENOSYS` or `EIO`.
        errno: i32,
    },
    /// The device is not a PCI device (no `device/config` in sysfs).
    NotPci {
        /// The device.
        device: PathBuf,
    },
}

/// Shorthand for `Result<T, uio::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(device: &Path, op: Operation, source: io::Error) -> Error {
        Error::Io {
            device: device.to_path_buf(),
            op,
            source,
        }
    }

    /// The OS error number, when the error came from a system call.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            Error::IrqControlUnsupported { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { device, op, source } => write!(
                f,
                "uio: cannot {op} on {}: {}{}",
                device.display(),
                describe(source),
                Hint(DeviceClass::Uio, source.raw_os_error())
            ),
            Error::NotFound { name } => write!(
                f,
                "uio: no UIO device named \"{name}\" (`udrv uio list` shows what exists)"
            ),
            Error::NoSuchMap {
                device,
                index,
                maps,
            } => write!(
                f,
                "uio: {} has no map {index} (it has {maps})",
                device.display()
            ),
            Error::OutOfRange {
                offset,
                width,
                size,
            } => write!(
                f,
                "uio: {width}-byte access at offset {offset:#x} is past the end of the map \
                 ({size:#x} bytes)"
            ),
            Error::Misaligned { offset, width } => write!(
                f,
                "uio: {width}-byte access at offset {offset:#x} is not {width}-byte aligned"
            ),
            Error::IrqControlUnsupported { device, errno } => {
                if *errno == libc::EIO {
                    write!(f, "uio: {} has no interrupt", device.display())
                } else {
                    write!(
                        f,
                        "uio: the driver of {} cannot enable/disable its interrupt through the \
                         device node (no irqcontrol); for uio_pci_generic re-enable with the PCI \
                         command register (`Uio::pci_intx_enable`)",
                        device.display()
                    )
                }
            }
            Error::NotPci { device } => {
                write!(f, "uio: {} is not a PCI device", device.display())
            }
        }
    }
}

crate::error::io_error_source!(Error);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_context() {
        let e = Error::io(
            Path::new("/dev/uio7"),
            Operation::Open,
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        let s = e.to_string();
        assert!(s.contains("/dev/uio7") && s.contains("ENOENT"), "{s}");
        assert!(s.contains("uio_pci_generic"), "hint expected: {s}");
        let e = Error::OutOfRange {
            offset: 0x100,
            width: 4,
            size: 0x100,
        };
        assert!(e.to_string().contains("0x100"));
        let e = Error::IrqControlUnsupported {
            device: "/dev/uio0".into(),
            errno: libc::ENOSYS,
        };
        assert!(e.to_string().contains("pci_intx_enable"));
        assert_eq!(e.errno(), Some(libc::ENOSYS));
    }
}
