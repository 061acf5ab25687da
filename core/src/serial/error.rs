//! The serial ports' error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::error::{describe, DeviceClass, Hint};

/// Errors from serial ports. Each carries the port's path and the errno.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The port could not be opened.
    Open {
        /// The device path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A set-up step (termios, flush) failed.
    Configure {
        /// The device path.
        path: PathBuf,
        /// What was being set up.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The driver does not accept the requested baud rate.
    BaudNotAccepted {
        /// The device path.
        path: PathBuf,
        /// The rate asked for.
        requested: u32,
        /// The rate the driver reports after setting.
        actual: u32,
    },
    /// The port does not support an optional feature (RS485 mode, `TIOCGSERIAL`,
    /// `TIOCGICOUNT`). ptys and many USB adapters refuse these; capture works without them.
    Unsupported {
        /// The device path.
        path: PathBuf,
        /// The feature.
        what: &'static str,
        /// The OS error (usually ENOTTY or EINVAL).
        source: io::Error,
    },
    /// The port supports the feature but refused these settings (EINVAL): for RS485, a
    /// flag combination the driver does not do (often ADDRB, ADDR_RECV/ADDR_DEST or
    /// MODE_RS422).
    Refused {
        /// The device path.
        path: PathBuf,
        /// The settings, e.g. `RS485 flags 0x201`.
        what: String,
        /// The OS error (EINVAL).
        source: io::Error,
    },
    /// Reading or writing failed.
    Io {
        /// The device path.
        path: PathBuf,
        /// `read`, `write` or `poll`.
        op: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The string is not a line setting such as `9600 8N1` or `19200,8E1`.
    Parse(String),
}

impl Error {
    /// The OS error number, when there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Open { source, .. }
            | Error::Configure { source, .. }
            | Error::Unsupported { source, .. }
            | Error::Refused { source, .. }
            | Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// True when the error says the device has gone away: EIO after a hang-up (a pty whose
    /// other side closed, a USB adapter mid-unplug), ENODEV or ENXIO (unplugged).
    pub fn is_vanished(&self) -> bool {
        matches!(
            self.errno(),
            Some(libc::EIO) | Some(libc::ENODEV) | Some(libc::ENXIO) | Some(libc::ESHUTDOWN)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = |e: &io::Error| Hint(DeviceClass::Serial, e.raw_os_error());
        match self {
            Error::Open { path, source } => write!(
                f,
                "cannot open serial port {}: {}{}",
                path.display(),
                describe(source),
                h(source)
            ),
            Error::Configure { path, what, source } => write!(
                f,
                "cannot set {what} on {}: {}{}",
                path.display(),
                describe(source),
                h(source)
            ),
            Error::BaudNotAccepted {
                path,
                requested,
                actual,
            } => write!(
                f,
                "{} does not accept {requested} baud (the driver set {actual}); \
                 pick a rate the adapter supports",
                path.display()
            ),
            Error::Unsupported { path, what, source } => write!(
                f,
                "{} does not support {what}: {}; ptys and many USB adapters refuse it, \
                 capture works without it",
                path.display(),
                describe(source)
            ),
            Error::Refused { path, what, source } => write!(
                f,
                "{}: the driver refused {what}: {}; the port does RS485, but not this \
                 combination (ADDRB, ADDR_RECV/ADDR_DEST and MODE_RS422 are often refused)",
                path.display(),
                describe(source)
            ),
            Error::Io { path, op, source } => {
                write!(
                    f,
                    "{op} on {} failed: {}{}",
                    path.display(),
                    describe(source),
                    h(source)
                )
            }
            Error::Parse(s) => write!(
                f,
                "`{s}` is not a line setting: write BAUD and FORMAT, e.g. `9600 8N1`, `19200,8E1`"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open { source, .. }
            | Error::Configure { source, .. }
            | Error::Unsupported { source, .. }
            | Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
