//! The SPI error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use embedded_hal::spi::ErrorKind;

use crate::error::{describe, DeviceClass, Hint};

/// The operation an [`Error`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// Opening the device node.
    Open,
    /// Reading the configuration (`SPI_IOC_RD_*`).
    ReadConfig,
    /// A transfer (`SPI_IOC_MESSAGE`).
    Transfer,
    /// Running a blocking operation for an async caller.
    Async,
    /// Taking the cross-process bus lock.
    Lock,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Open => "open",
            Op::ReadConfig => "read configuration",
            Op::Transfer => "transfer (SPI_IOC_MESSAGE)",
            Op::Async => "async operation",
            Op::Lock => "bus lock",
        })
    }
}

/// A setting of a spidev device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The mode bits (`SPI_IOC_WR_MODE`): clock mode and flags.
    Mode,
    /// Bits per word (`SPI_IOC_WR_BITS_PER_WORD`).
    BitsPerWord,
    /// Maximum clock speed (`SPI_IOC_WR_MAX_SPEED_HZ`).
    MaxSpeedHz,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::Mode => "mode",
            Setting::BitsPerWord => "bits per word",
            Setting::MaxSpeedHz => "max speed (Hz)",
        })
    }
}

/// An SPI error, with the device and the operation it concerns.
///
/// [`kind`](embedded_hal::spi::Error::kind):
///
/// | error | [`ErrorKind`] |
/// |---|---|
/// | `EINVAL` from a transfer (word size, length or speed the controller refuses) | `FrameFormat` |
/// | [`Error::PartialTransfer`] (a split transaction failed midway) | `ChipSelectFault` |
/// | everything else | `Other` (embedded-hal has no kinds for configuration or size limits) |
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The device node could not be opened, or is not a spidev node.
    Open {
        /// The device node.
        path: PathBuf,
        /// What the kernel said.
        source: io::Error,
    },
    /// The kernel refused or failed an operation.
    Io {
        /// The device node.
        path: PathBuf,
        /// The operation.
        op: Op,
        /// What the kernel said.
        source: io::Error,
    },
    /// The controller refused a setting (nothing changed).
    Refused {
        /// The device node.
        path: PathBuf,
        /// The setting.
        setting: Setting,
        /// The value asked for.
        requested: u32,
        /// What the kernel said.
        source: io::Error,
    },
    /// The kernel accepted a setting but reads back another value.
    Mismatch {
        /// The device node.
        path: PathBuf,
        /// The setting.
        setting: Setting,
        /// The value asked for.
        requested: u32,
        /// The value in force.
        accepted: u32,
    },
    /// The transaction cannot be sent: larger than spidev's buffer (`bufsiz`) with
    /// splitting off ([`SplitPolicy::Never`](super::SplitPolicy::Never)), or a single
    /// word does not fit it. Nothing was sent.
    TooLarge {
        /// The device node.
        path: PathBuf,
        /// Bytes the transaction moves.
        len: usize,
        /// spidev's buffer size.
        bufsiz: usize,
    },
    /// A transfer is malformed (e.g. full duplex with buffers of different lengths, a
    /// word size its word type cannot carry). Nothing was sent.
    InvalidTransfer {
        /// The device node.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A transaction split into several messages failed after some were sent. udrv
    /// then sent an empty message so chip select does not stay asserted.
    PartialTransfer {
        /// The device node.
        path: PathBuf,
        /// Messages sent before the failure.
        done: usize,
        /// Messages in the transaction.
        total: usize,
        /// What the kernel said.
        source: io::Error,
    },
}

impl Error {
    /// The OS error number, when the kernel reported one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Open { source, .. }
            | Error::Io { source, .. }
            | Error::Refused { source, .. }
            | Error::PartialTransfer { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }
}

impl embedded_hal::spi::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io {
                op: Op::Transfer,
                source,
                ..
            } if source.raw_os_error() == Some(libc::EINVAL) => ErrorKind::FrameFormat,
            Error::PartialTransfer { .. } => ErrorKind::ChipSelectFault,
            _ => ErrorKind::Other,
        }
    }
}

fn spi_hint(errno: Option<i32>) -> Option<&'static str> {
    match errno? {
        libc::EMSGSIZE => Some(
            "the message is larger than spidev's buffer: raise it with `spidev.bufsiz=65536` \
             on the kernel command line (or `options spidev bufsiz=65536` for the module)",
        ),
        libc::EINVAL => Some(
            "the controller refuses this combination (word size, length not a multiple of the \
             word, speed or mode): check what it supports",
        ),
        _ => None,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Open { path, source } => {
                write!(
                    f,
                    "{}: cannot open SPI device: {}",
                    path.display(),
                    describe(source)
                )?;
                write!(f, "{}", Hint(DeviceClass::Spi, source.raw_os_error()))
            }
            Error::Io { path, op, source } => {
                write!(f, "{}: {op} failed: {}", path.display(), describe(source))?;
                match spi_hint(source.raw_os_error()) {
                    Some(h) => write!(f, "; {h}"),
                    None => write!(f, "{}", Hint(DeviceClass::Spi, source.raw_os_error())),
                }
            }
            Error::Refused {
                path,
                setting,
                requested,
                source,
            } => {
                let value = match setting {
                    Setting::Mode => {
                        format!("{requested:#04x} ({})", super::describe_mode(*requested))
                    }
                    _ => requested.to_string(),
                };
                write!(
                    f,
                    "{}: the SPI controller refuses {setting} {value}: {}",
                    path.display(),
                    describe(source)
                )?;
                if source.raw_os_error() == Some(libc::EINVAL) {
                    write!(
                        f,
                        "; the controller's driver does not support it (modes, flags and word \
                         sizes depend on the controller); the device keeps its previous setting"
                    )?;
                }
                Ok(())
            }
            Error::Mismatch {
                path,
                setting,
                requested,
                accepted,
            } => write!(
                f,
                "{}: asked for {setting} {requested:#x}, the kernel set {accepted:#x}",
                path.display()
            ),
            Error::TooLarge { path, len, bufsiz } => write!(
                f,
                "{}: a transaction of {len} bytes does not fit spidev's {bufsiz}-byte buffer and \
                 may not be split; nothing was sent (allow splitting, or raise spidev.bufsiz)",
                path.display()
            ),
            Error::InvalidTransfer { path, reason } => {
                write!(
                    f,
                    "{}: invalid transfer: {reason}; nothing was sent",
                    path.display()
                )
            }
            Error::PartialTransfer {
                path,
                done,
                total,
                source,
            } => {
                write!(
                    f,
                    "{}: a transaction split into {total} messages failed after {done}: {}",
                    path.display(),
                    describe(source)
                )?;
                if let Some(h) = spi_hint(source.raw_os_error()) {
                    write!(f, "; {h}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open { source, .. }
            | Error::Io { source, .. }
            | Error::Refused { source, .. }
            | Error::PartialTransfer { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_hal::spi::Error as _;

    fn io(op: Op, errno: i32) -> Error {
        Error::Io {
            path: "/dev/spidev0.0".into(),
            op,
            source: io::Error::from_raw_os_error(errno),
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(
            io(Op::Transfer, libc::EINVAL).kind(),
            ErrorKind::FrameFormat
        );
        assert_eq!(io(Op::Transfer, libc::EMSGSIZE).kind(), ErrorKind::Other);
        assert_eq!(io(Op::ReadConfig, libc::EINVAL).kind(), ErrorKind::Other);
        let partial = Error::PartialTransfer {
            path: "/dev/spidev0.0".into(),
            done: 1,
            total: 3,
            source: io::Error::from_raw_os_error(libc::EIO),
        };
        assert_eq!(partial.kind(), ErrorKind::ChipSelectFault);
    }

    #[test]
    fn messages() {
        let s = io(Op::Transfer, libc::EMSGSIZE).to_string();
        assert!(
            s.starts_with("/dev/spidev0.0: transfer (SPI_IOC_MESSAGE) failed:"),
            "{s}"
        );
        assert!(
            s.contains("(EMSGSIZE)") && s.contains("spidev.bufsiz"),
            "{s}"
        );
        let s = Error::Open {
            path: "/dev/spidev9.9".into(),
            source: io::Error::from_raw_os_error(libc::ENOENT),
        }
        .to_string();
        assert!(s.contains("dtparam=spi=on"), "{s}");
        let s = Error::Refused {
            path: "/dev/spidev0.0".into(),
            setting: Setting::Mode,
            requested: 3,
            source: io::Error::from_raw_os_error(libc::EINVAL),
        }
        .to_string();
        assert!(
            s.contains("refuses mode 0x03 (mode 3)") && s.contains("(EINVAL)"),
            "{s}"
        );
    }
}
