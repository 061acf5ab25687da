//! The capture's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use udrv_core::serial;

use super::plural;

/// Errors that prevent or end a capture. A port vanishing is not one: that is a
/// [`StopReason`](super::StopReason).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A port could not be opened or set up.
    Serial(serial::Error),
    /// The output could not be created or written.
    Output {
        /// The file, `None` for stdout.
        path: Option<PathBuf>,
        /// The OS error.
        source: io::Error,
    },
    /// Writing the output failed during the capture (a full disk, a file-size limit, an
    /// I/O error): the capture stopped; a file keeps every frame written before, whole.
    OutputFailed {
        /// The file, `None` for stdout.
        path: Option<PathBuf>,
        /// The OS error.
        source: io::Error,
        /// Frames written before the failure.
        frames: u64,
    },
    /// The raw log could not be written.
    RawLog {
        /// The log file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The raw log to replay could not be read.
    Replay {
        /// The log file.
        path: PathBuf,
        /// The OS error or format problem.
        source: io::Error,
    },
    /// The configuration does not make sense.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Serial(e) => e.fmt(f),
            Error::Output {
                path: Some(p),
                source,
            } => {
                write!(
                    f,
                    "cannot write {}: {}",
                    p.display(),
                    udrv_core::error::describe(source)
                )
            }
            Error::Output { path: None, source } => {
                write!(
                    f,
                    "cannot write standard output: {}",
                    udrv_core::error::describe(source)
                )
            }
            Error::OutputFailed {
                path,
                source,
                frames,
            } => {
                let what = match path {
                    Some(p) => p.display().to_string(),
                    None => "standard output".to_string(),
                };
                write!(
                    f,
                    "cannot write {what}: {}; the capture stopped after {}",
                    udrv_core::error::describe(source),
                    plural(*frames, "frame")
                )?;
                if path.is_some() {
                    f.write_str(" (the file is valid up to its last complete frame)")?;
                }
                Ok(())
            }
            Error::RawLog { path, source } => {
                write!(
                    f,
                    "cannot write raw log {}: {}",
                    path.display(),
                    udrv_core::error::describe(source)
                )
            }
            Error::Replay { path, source } => {
                write!(
                    f,
                    "cannot replay {}: {}",
                    path.display(),
                    udrv_core::error::describe(source)
                )
            }
            Error::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Serial(e) => Some(e),
            Error::Output { source, .. }
            | Error::OutputFailed { source, .. }
            | Error::RawLog { source, .. }
            | Error::Replay { source, .. } => Some(source),
            Error::Config(_) => None,
        }
    }
}

impl From<serial::Error> for Error {
    fn from(e: serial::Error) -> Self {
        Error::Serial(e)
    }
}
