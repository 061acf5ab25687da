//! Pieces shared by every module's error type: errno names and actionable hints.
//!
//! Each bus module has its own `#[non_exhaustive]` error enum (for example
//! [`crate::i2c::Error`]) that carries the device path and the operation. They all use
//! [`describe`] to render the OS error the same way, e.g.
//! `No such device or address (ENXIO)`, and [`hint`] to add what the user should do.

use std::fmt;
use std::io;

/// The kind of device an error is about; selects the wording of [`hint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceClass {
    /// An i2c-dev bus, `/dev/i2c-N`.
    I2c,
    /// A spidev device, `/dev/spidevB.C`.
    Spi,
    /// A GPIO character device, `/dev/gpiochipN`.
    Gpio,
    /// A UIO device, `/dev/uioN`.
    Uio,
    /// A serial port (tty).
    Serial,
}

impl DeviceClass {
    /// The kind's short name: `i2c`, `spi`, `gpio`, `uio`, `serial`.
    pub fn name(self) -> &'static str {
        match self {
            DeviceClass::I2c => "i2c",
            DeviceClass::Spi => "spi",
            DeviceClass::Gpio => "gpio",
            DeviceClass::Uio => "uio",
            DeviceClass::Serial => "serial",
        }
    }

    /// The Unix group that udrv's udev rules give access to this kind of device node.
    pub fn group(self) -> &'static str {
        match self {
            DeviceClass::I2c => "i2c",
            DeviceClass::Spi => "spi",
            DeviceClass::Gpio => "gpio",
            DeviceClass::Uio => "uio",
            DeviceClass::Serial => "dialout",
        }
    }
}

/// Implements `std::error::Error` for a module's `Error` enum whose `Io { source, .. }`
/// variant holds the OS error: that is the source; the other variants have none. What the
/// gpio, hotplug and uio errors share.
macro_rules! io_error_source {
    ($error:ident) => {
        impl std::error::Error for $error {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                match self {
                    $error::Io { source, .. } => Some(source),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use io_error_source;

/// The symbolic name of an errno value (`ENXIO`), or `"E?"` for an unknown one.
pub fn errno_name(errno: i32) -> &'static str {
    match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOTTY => "ENOTTY",
        libc::ENOSPC => "ENOSPC",
        libc::EFBIG => "EFBIG",
        libc::EROFS => "EROFS",
        libc::EDQUOT => "EDQUOT",
        libc::ESRCH => "ESRCH",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ETXTBSY => "ETXTBSY",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ELOOP => "ELOOP",
        libc::EHOSTDOWN => "EHOSTDOWN",
        libc::ECONNRESET => "ECONNRESET",
        libc::ENOLCK => "ENOLCK",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ECHILD => "ECHILD",
        libc::EPIPE => "EPIPE",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EPROTO => "EPROTO",
        libc::EBADMSG => "EBADMSG",
        libc::EOVERFLOW => "EOVERFLOW",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EALREADY => "EALREADY",
        libc::EINPROGRESS => "EINPROGRESS",
        libc::ESHUTDOWN => "ESHUTDOWN",
        libc::EREMOTEIO => "EREMOTEIO",
        libc::ENOBUFS => "ENOBUFS",
        _ => "E?",
    }
}

/// Renders an I/O error as `description (ENAME)`, the form every udrv message uses.
pub fn describe(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(errno) => {
            let text = io::Error::from_raw_os_error(errno).to_string();
            // std appends " (os error N)"; replace it with the symbolic name.
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            format!("{text} ({})", errno_name(errno))
        }
        None => err.to_string(),
    }
}

/// What the user can do about `errno` when it comes from a device of class `class`,
/// or `None` when there is nothing useful to add.
pub fn hint(class: DeviceClass, errno: i32) -> Option<String> {
    let group = class.group();
    let text = match (class, errno) {
        (_, libc::EACCES) | (_, libc::EPERM) => format!(
            "permission denied: add your user to group `{group}` (`sudo usermod -aG {group} $USER`, \
             then log in again) and install udrv's udev rule (60-udrv.rules), or run as root"
        ),
        (DeviceClass::I2c, libc::ENOENT) => "no such I2C bus: load i2c-dev (`sudo modprobe i2c-dev`); \
             on a Raspberry Pi enable the bus with `dtparam=i2c_arm=on` in config.txt; \
             `udrv i2c list` shows the buses that exist"
            .into(),
        (DeviceClass::Spi, libc::ENOENT) => "no such spidev device: on a Raspberry Pi enable SPI with \
             `dtparam=spi=on` (or `dtoverlay=spi0-1cs`) in config.txt; elsewhere bind the device \
             to spidev; `ls /dev/spidev*` shows what exists"
            .into(),
        (DeviceClass::Gpio, libc::ENOENT) => {
            "no such GPIO chip: `udrv gpio detect` lists the chips that exist".into()
        }
        (DeviceClass::Uio, libc::ENOENT) => "no such UIO device: bind the device to a UIO driver \
             (uio_pdrv_genirq, uio_pci_generic); `udrv uio list` shows what exists"
            .into(),
        (DeviceClass::Serial, libc::ENOENT) => {
            "no such serial port: check the adapter is plugged in (`ls /dev/tty*`)".into()
        }
        (DeviceClass::Gpio, libc::EBUSY) => {
            "the line is already requested by another consumer: `udrv gpio info` names it".into()
        }
        (DeviceClass::I2c, libc::EBUSY) => "the address is in use by a kernel driver \
             (shown as UU by `udrv i2c detect`); unbind that driver, or force access if you \
             know what you are doing"
            .into(),
        (DeviceClass::Uio, libc::EBUSY) | (DeviceClass::Spi, libc::EBUSY) => {
            "the device is busy: another process holds it (`fuser -v DEVICE` names it)".into()
        }
        (_, libc::ENOTTY) => format!(
            "this file is not {} device node",
            match class {
                DeviceClass::I2c => "an I2C (i2c-dev)",
                DeviceClass::Spi => "a spidev",
                DeviceClass::Gpio => "a GPIO character",
                DeviceClass::Uio => "a UIO",
                DeviceClass::Serial => "a serial",
            }
        ),
        (_, libc::ENODEV) | (_, libc::ESHUTDOWN) => {
            "the device has gone away (unplugged or its driver was unbound)".into()
        }
        _ => return None,
    };
    Some(text)
}

/// Formats `: <hint>` after a message when [`hint`] has something to say.
pub(crate) struct Hint(pub DeviceClass, pub Option<i32>);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(h) = self.1.and_then(|e| hint(self.0, e)) {
            write!(f, "; {h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_names_the_errno() {
        let e = io::Error::from_raw_os_error(libc::ENXIO);
        assert_eq!(describe(&e), "No such device or address (ENXIO)");
        // What a full disk or a file-size limit gives a capture.
        let e = io::Error::from_raw_os_error(libc::EFBIG);
        assert_eq!(describe(&e), "File too large (EFBIG)");
    }

    #[test]
    fn permission_hint_names_group_per_class() {
        assert!(hint(DeviceClass::I2c, libc::EACCES)
            .unwrap()
            .contains("group `i2c`"));
        assert!(hint(DeviceClass::Gpio, libc::EACCES)
            .unwrap()
            .contains("group `gpio`"));
        assert!(hint(DeviceClass::Spi, libc::ENOENT)
            .unwrap()
            .contains("dtparam=spi=on"));
        assert_eq!(hint(DeviceClass::I2c, libc::EIO), None);
    }

    #[test]
    fn hint_display_is_empty_without_errno() {
        assert_eq!(Hint(DeviceClass::I2c, None).to_string(), "");
        assert!(Hint(DeviceClass::I2c, Some(libc::ENOTTY))
            .to_string()
            .starts_with("; this file is not an I2C"));
    }
}
