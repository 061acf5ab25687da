//! The I2C error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};

use super::Funcs;
use crate::error::{describe, DeviceClass, Hint};

/// The operation an [`Error`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// Opening the device node (and reading its capabilities).
    Open,
    /// Finding an adapter by name in sysfs.
    Lookup,
    /// Selecting the target address (`I2C_SLAVE`, `I2C_SLAVE_FORCE`).
    SetAddress,
    /// An I2C transaction (`I2C_RDWR`).
    Transfer,
    /// SMBus quick command.
    SmbusQuick,
    /// SMBus receive byte.
    SmbusReceiveByte,
    /// SMBus send byte.
    SmbusSendByte,
    /// SMBus read byte data.
    SmbusReadByteData,
    /// SMBus write byte data.
    SmbusWriteByteData,
    /// SMBus read word data.
    SmbusReadWordData,
    /// SMBus write word data.
    SmbusWriteWordData,
    /// SMBus process call.
    SmbusProcessCall,
    /// SMBus block read.
    SmbusReadBlockData,
    /// SMBus block write.
    SmbusWriteBlockData,
    /// SMBus block process call.
    SmbusBlockProcessCall,
    /// I2C block read (SMBus command with an I2C-style read).
    SmbusReadI2cBlockData,
    /// I2C block write (SMBus command with an I2C-style write).
    SmbusWriteI2cBlockData,
    /// Turning Packet Error Checking on or off (`I2C_PEC`).
    SetPec,
    /// Setting the adapter timeout (`I2C_TIMEOUT`).
    SetTimeout,
    /// Setting the adapter retry count (`I2C_RETRIES`).
    SetRetries,
    /// Running a blocking operation for an async caller.
    Async,
    /// Taking the cross-process bus lock.
    Lock,
}

impl Op {
    /// A short human name, e.g. `SMBus read byte data`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Lookup => "adapter lookup",
            Op::SetAddress => "set target address",
            Op::Transfer => "I2C transaction (I2C_RDWR)",
            Op::SmbusQuick => "SMBus quick command",
            Op::SmbusReceiveByte => "SMBus receive byte",
            Op::SmbusSendByte => "SMBus send byte",
            Op::SmbusReadByteData => "SMBus read byte data",
            Op::SmbusWriteByteData => "SMBus write byte data",
            Op::SmbusReadWordData => "SMBus read word data",
            Op::SmbusWriteWordData => "SMBus write word data",
            Op::SmbusProcessCall => "SMBus process call",
            Op::SmbusReadBlockData => "SMBus block read",
            Op::SmbusWriteBlockData => "SMBus block write",
            Op::SmbusBlockProcessCall => "SMBus block process call",
            Op::SmbusReadI2cBlockData => "I2C block read",
            Op::SmbusWriteI2cBlockData => "I2C block write",
            Op::SetPec => "set PEC",
            Op::SetTimeout => "set timeout",
            Op::SetRetries => "set retries",
            Op::Async => "async operation",
            Op::Lock => "bus lock",
        }
    }

    /// The adapter capability the operation needs (empty for those that need none).
    pub fn needs(self) -> Funcs {
        match self {
            Op::Transfer => Funcs::I2C,
            Op::SmbusQuick => Funcs::SMBUS_QUICK,
            Op::SmbusReceiveByte => Funcs::SMBUS_READ_BYTE,
            Op::SmbusSendByte => Funcs::SMBUS_WRITE_BYTE,
            Op::SmbusReadByteData => Funcs::SMBUS_READ_BYTE_DATA,
            Op::SmbusWriteByteData => Funcs::SMBUS_WRITE_BYTE_DATA,
            Op::SmbusReadWordData => Funcs::SMBUS_READ_WORD_DATA,
            Op::SmbusWriteWordData => Funcs::SMBUS_WRITE_WORD_DATA,
            Op::SmbusProcessCall => Funcs::SMBUS_PROC_CALL,
            Op::SmbusReadBlockData => Funcs::SMBUS_READ_BLOCK_DATA,
            Op::SmbusWriteBlockData => Funcs::SMBUS_WRITE_BLOCK_DATA,
            Op::SmbusBlockProcessCall => Funcs::SMBUS_BLOCK_PROC_CALL,
            Op::SmbusReadI2cBlockData => Funcs::SMBUS_READ_I2C_BLOCK,
            Op::SmbusWriteI2cBlockData => Funcs::SMBUS_WRITE_I2C_BLOCK,
            Op::SetPec => Funcs::SMBUS_PEC,
            _ => Funcs::empty(),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An I2C error, with the device, the operation and the target address it concerns.
///
/// [`kind`](embedded_hal::i2c::Error::kind) follows the kernel's I2C fault codes
/// (`Documentation/i2c/fault-codes.rst`) as udrv decided them:
///
/// | errno | [`ErrorKind`] |
/// |---|---|
/// | `ENXIO` (address not acknowledged) | `NoAcknowledge(Address)` |
/// | `ENODEV` | `NoAcknowledge(Data)` |
/// | `EREMOTEIO` (some adapters' NAK) | `NoAcknowledge(Unknown)` |
/// | `EAGAIN` (arbitration lost) | `ArbitrationLoss` |
/// | `EIO`, `EBUSY`, `EINVAL`, `EPROTO` | `Bus` |
/// | `ETIMEDOUT` | `Other`: embedded-hal 1.0 has no timeout kind; match on [`Error::errno`] |
/// | anything else, and errors found before any I/O | `Other` |
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The device node could not be opened, or is not an i2c-dev node.
    Open {
        /// The device node.
        path: PathBuf,
        /// What the kernel said.
        source: io::Error,
    },
    /// No adapter has this name (`/sys/class/i2c-dev/*/name`).
    NoSuchAdapter {
        /// The name asked for.
        name: String,
        /// The names of the adapters that exist.
        available: Vec<String>,
    },
    /// Several adapters have this name.
    AmbiguousAdapter {
        /// The name asked for.
        name: String,
        /// The bus numbers that carry it.
        buses: Vec<u32>,
    },
    /// The kernel refused or failed an operation.
    Io {
        /// The device node.
        path: PathBuf,
        /// The operation.
        op: Op,
        /// The target address, when the operation has one.
        addr: Option<u16>,
        /// What the kernel said.
        source: io::Error,
    },
    /// The adapter lacks a capability the operation needs; found before any I/O.
    Unsupported {
        /// The device node.
        path: PathBuf,
        /// The adapter's name.
        adapter: String,
        /// The operation.
        op: Op,
        /// The target address, when the operation has one.
        addr: Option<u16>,
        /// The capabilities that are needed and missing.
        missing: Funcs,
        /// For transactions: their messages, e.g. `[write 1, read 3, write 1]`.
        transaction: Option<String>,
    },
    /// A kernel driver holds the address (`I2C_SLAVE` gave `EBUSY`); use
    /// [`I2cBus::set_force`](super::I2cBus::set_force) to access it anyway.
    AddressBusy {
        /// The device node.
        path: PathBuf,
        /// The address.
        addr: u16,
        /// The driver's name from sysfs, when known.
        driver: Option<String>,
    },
    /// The address is out of range (7-bit: at most 0x7f; 10-bit: at most 0x3ff).
    InvalidAddress {
        /// The device node.
        path: PathBuf,
        /// The address.
        addr: u16,
        /// Whether it was given as a 10-bit address.
        ten_bit: bool,
    },
    /// A transaction needs more messages than one `I2C_RDWR` takes (42); nothing was sent.
    TooManyMessages {
        /// The device node.
        path: PathBuf,
        /// The target address.
        addr: u16,
        /// The messages it needs after merging adjacent operations of one direction.
        count: usize,
        /// The kernel's limit.
        max: usize,
    },
    /// A buffer is too long (or, for blocks, empty) for the operation; nothing was sent.
    InvalidLength {
        /// The device node.
        path: PathBuf,
        /// The operation.
        op: Op,
        /// The target address.
        addr: Option<u16>,
        /// The length given.
        len: usize,
        /// The longest allowed.
        max: usize,
    },
}

impl Error {
    /// The OS error number, when the kernel reported one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Open { source, .. } | Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The device node the error is about, when there is one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Open { path, .. }
            | Error::Io { path, .. }
            | Error::Unsupported { path, .. }
            | Error::AddressBusy { path, .. }
            | Error::InvalidAddress { path, .. }
            | Error::TooManyMessages { path, .. }
            | Error::InvalidLength { path, .. } => Some(path),
            Error::NoSuchAdapter { .. } | Error::AmbiguousAdapter { .. } => None,
        }
    }
}

/// The [`ErrorKind`] of an errno from an I2C transfer (see [`Error`]).
pub(crate) fn kind_of_errno(errno: i32) -> ErrorKind {
    match errno {
        libc::ENXIO => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
        libc::ENODEV => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data),
        libc::EREMOTEIO => ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown),
        libc::EAGAIN => ErrorKind::ArbitrationLoss,
        libc::EIO | libc::EBUSY | libc::EINVAL | libc::EPROTO => ErrorKind::Bus,
        _ => ErrorKind::Other,
    }
}

impl embedded_hal::i2c::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { source, .. } => source
                .raw_os_error()
                .map_or(ErrorKind::Other, kind_of_errno),
            _ => ErrorKind::Other,
        }
    }
}

/// I2C-specific advice the shared hints ([`crate::error::hint`]) do not give.
fn i2c_hint(op: Op, addr: Option<u16>, errno: i32) -> Option<String> {
    let at = addr.map(|a| format!(" at {a:#04x}")).unwrap_or_default();
    Some(match errno {
        libc::ENXIO => format!(
            "no device acknowledged{at}: check its address, wiring and power (`udrv i2c detect` scans the bus)"
        ),
        // i2c-stub and some adapters answer an address without a device with ENODEV
        // rather than ENXIO (a device that was there and is gone gives it too).
        libc::ENODEV if addr.is_some() => format!(
            "no device answered{at} (or it refused a data byte): check its address, wiring \
             and power (`udrv i2c detect` scans the bus)"
        ),
        libc::ETIMEDOUT => "the bus timed out: a device may be holding SDA or SCL low; \
                            power-cycle it, or raise the timeout (I2cBus::set_timeout)"
            .to_string(),
        libc::EAGAIN => "arbitration lost: another controller drives the bus; retry".to_string(),
        libc::EBADMSG => "PEC mismatch: the Packet Error Code received is wrong (noise, or the \
                          device does not do PEC: turn it off with I2cBus::set_pec(false))"
            .to_string(),
        // (EBUSY from I2C_SLAVE, a kernel driver's address, is Error::AddressBusy.)
        libc::EBUSY => "the bus stayed busy too long: a device may hold SDA low or another \
                        controller is active; power-cycle the device or reload the adapter's \
                        driver"
            .to_string(),
        libc::EPROTO => "the device broke the protocol (for example an SMBus block count \
                         outside 1 to 32)"
            .to_string(),
        libc::EOPNOTSUPP if op == Op::Transfer => {
            "the adapter cannot carry this I2C transaction (some controllers limit the number \
             or kind of messages)"
                .to_string()
        }
        libc::EOPNOTSUPP => "the adapter or device does not support this command".to_string(),
        _ => return None,
    })
}

fn addr_text(addr: Option<u16>) -> String {
    addr.map(|a| format!(" at {a:#04x}")).unwrap_or_default()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Open { path, source } => {
                write!(
                    f,
                    "{}: cannot open I2C bus: {}",
                    path.display(),
                    describe(source)
                )?;
                write!(f, "{}", Hint(DeviceClass::I2c, source.raw_os_error()))
            }
            Error::NoSuchAdapter { name, available } => {
                write!(f, "no I2C adapter is named `{name}`")?;
                if available.is_empty() {
                    write!(
                        f,
                        "; there are no I2C buses (is i2c-dev loaded? `sudo modprobe i2c-dev`)"
                    )
                } else {
                    write!(f, "; the adapters are: {}", available.join(", "))
                }
            }
            Error::AmbiguousAdapter { name, buses } => {
                let list: Vec<String> = buses.iter().map(|b| format!("i2c-{b}")).collect();
                write!(
                    f,
                    "several I2C adapters are named `{name}` ({}); open one by number or path",
                    list.join(", ")
                )
            }
            Error::Io {
                path,
                op,
                addr,
                source,
            } => {
                write!(
                    f,
                    "{}: {op}{} failed: {}",
                    path.display(),
                    addr_text(*addr),
                    describe(source)
                )?;
                match source.raw_os_error() {
                    Some(e) => match i2c_hint(*op, *addr, e) {
                        Some(h) => write!(f, "; {h}"),
                        None => write!(f, "{}", Hint(DeviceClass::I2c, Some(e))),
                    },
                    None => Ok(()),
                }
            }
            Error::Unsupported {
                path,
                adapter,
                op,
                addr,
                missing,
                transaction,
            } => {
                write!(
                    f,
                    "{} ({adapter}): cannot do {op}{}",
                    path.display(),
                    addr_text(*addr)
                )?;
                if let Some(t) = transaction {
                    write!(f, " {t}")?;
                }
                write!(f, ": the adapter lacks {missing}")?;
                if *missing == Funcs::I2C {
                    write!(
                        f,
                        "; it is SMBus-only and no SMBus command carries this transaction \
                         exactly (see I2cBus::funcs for what it can do)"
                    )?;
                }
                Ok(())
            }
            Error::AddressBusy { path, addr, driver } => {
                write!(f, "{}: address {addr:#04x} is in use by ", path.display())?;
                match driver {
                    Some(d) => write!(f, "kernel driver `{d}`")?,
                    None => write!(f, "a kernel driver")?,
                }
                write!(
                    f,
                    " (shown as UU by `udrv i2c detect`); unbind the driver, or force access \
                     with I2cBus::set_force(true) if you know what you are doing"
                )
            }
            Error::InvalidAddress {
                path,
                addr,
                ten_bit,
            } => {
                let (kind, max) = if *ten_bit {
                    ("10-bit", 0x3ff)
                } else {
                    ("7-bit", 0x7f)
                };
                write!(
                    f,
                    "{}: {addr:#x} is not a valid {kind} I2C address (at most {max:#x})",
                    path.display()
                )
            }
            Error::TooManyMessages {
                path,
                addr,
                count,
                max,
            } => write!(
                f,
                "{}: the transaction at {addr:#04x} needs {count} messages, more than the \
                 {max} one I2C_RDWR takes; nothing was sent (split it, or merge operations)",
                path.display()
            ),
            Error::InvalidLength {
                path,
                op,
                addr,
                len,
                max,
            } => write!(
                f,
                "{}: {op}{}: a length of {len} bytes is not allowed (1 to {max}); nothing was sent",
                path.display(),
                addr_text(*addr)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open { source, .. } | Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_hal::i2c::Error as _;

    fn io(errno: i32) -> Error {
        Error::Io {
            path: "/dev/i2c-1".into(),
            op: Op::SmbusReadByteData,
            addr: Some(0x48),
            source: io::Error::from_raw_os_error(errno),
        }
    }

    #[test]
    fn enodev_from_a_transfer_is_a_missing_device_not_a_vanished_bus() {
        let s = io(libc::ENODEV).to_string();
        assert!(
            s.contains("no device answered at 0x48") && s.contains("ENODEV"),
            "{s}"
        );
        assert!(!s.contains("gone away"), "{s}");
    }

    #[test]
    fn kinds_follow_the_fault_code_table() {
        use NoAcknowledgeSource as N;
        assert_eq!(io(libc::ENXIO).kind(), ErrorKind::NoAcknowledge(N::Address));
        assert_eq!(io(libc::ENODEV).kind(), ErrorKind::NoAcknowledge(N::Data));
        assert_eq!(
            io(libc::EREMOTEIO).kind(),
            ErrorKind::NoAcknowledge(N::Unknown)
        );
        assert_eq!(io(libc::EAGAIN).kind(), ErrorKind::ArbitrationLoss);
        for e in [libc::EIO, libc::EBUSY, libc::EINVAL, libc::EPROTO] {
            assert_eq!(io(e).kind(), ErrorKind::Bus, "errno {e}");
        }
        assert_eq!(io(libc::ETIMEDOUT).kind(), ErrorKind::Other);
        assert_eq!(io(libc::EOPNOTSUPP).kind(), ErrorKind::Other);
        let busy = Error::AddressBusy {
            path: "/dev/i2c-1".into(),
            addr: 0x50,
            driver: Some("at24".into()),
        };
        assert_eq!(busy.kind(), ErrorKind::Other);
    }

    #[test]
    fn messages_name_device_operation_address_and_advice() {
        let s = io(libc::ENXIO).to_string();
        assert!(
            s.starts_with("/dev/i2c-1: SMBus read byte data at 0x48 failed: "),
            "{s}"
        );
        assert!(s.contains("(ENXIO)"), "{s}");
        assert!(s.contains("udrv i2c detect"), "{s}");
        let s = Error::Open {
            path: "/dev/i2c-9".into(),
            source: io::Error::from_raw_os_error(libc::EACCES),
        }
        .to_string();
        assert!(s.contains("(EACCES)") && s.contains("group `i2c`"), "{s}");
        let s = Error::AddressBusy {
            path: "/dev/i2c-1".into(),
            addr: 0x50,
            driver: Some("at24".into()),
        }
        .to_string();
        assert!(
            s.contains("0x50") && s.contains("`at24`") && s.contains("set_force"),
            "{s}"
        );
        let s = Error::Unsupported {
            path: "/dev/i2c-0".into(),
            adapter: "SMBus stub driver".into(),
            op: Op::Transfer,
            addr: Some(0x50),
            missing: Funcs::I2C,
            transaction: Some("[write 1, read 3, write 1]".into()),
        }
        .to_string();
        assert!(
            s.contains("SMBus stub driver") && s.contains("I2C_FUNC_I2C"),
            "{s}"
        );
        assert!(s.contains("[write 1, read 3, write 1]"), "{s}");
    }

    #[test]
    fn adapter_busy_is_not_mistaken_for_a_driver_held_address() {
        let s = io(libc::EBUSY).to_string();
        assert!(
            s.contains("(EBUSY)") && s.contains("bus stayed busy"),
            "{s}"
        );
        assert!(!s.contains("kernel driver"), "{s}");
    }

    #[test]
    fn ops_need_their_capability() {
        assert_eq!(Op::SmbusReadWordData.needs(), Funcs::SMBUS_READ_WORD_DATA);
        assert_eq!(
            Op::SmbusBlockProcessCall.needs(),
            Funcs::SMBUS_BLOCK_PROC_CALL
        );
        assert_eq!(Op::Transfer.needs(), Funcs::I2C);
        assert!(Op::SetTimeout.needs().is_empty());
    }
}
