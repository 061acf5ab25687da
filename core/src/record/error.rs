//! The error of replay devices and of reading a log.

use std::fmt;
use std::io;
use std::sync::Arc;

use embedded_hal::{digital, i2c, spi};

use super::format::kind_token;

/// The embedded-hal error kind of a failed transaction, as the log recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordedKind {
    /// An I2C error kind (`! nack-address`, `! bus`, ...).
    I2c(i2c::ErrorKind),
    /// An SPI error kind (`! overrun`, `! mode-fault`, ...).
    Spi(spi::ErrorKind),
    /// A pin error kind (`! other`, the only one embedded-hal has).
    Pin(digital::ErrorKind),
}

impl fmt::Display for RecordedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(kind_token(self))
    }
}

/// What went wrong reading a log or replaying it.
///
/// Replay devices return it from every embedded-hal call, so a driver sees it as its bus
/// error: [`Error::Recorded`] carries the recorded embedded-hal error kind (a driver that
/// handles a NACK sees a NACK); every other variant has kind `Other`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The log file could not be read.
    Open {
        /// The file.
        file: Arc<str>,
        /// Why.
        source: io::Error,
    },
    /// A line of the log is not in the format (or the header is missing or of another
    /// version).
    Parse {
        /// The log's name (its path, or the name given to [`Replay::parse`](super::Replay::parse)).
        file: Arc<str>,
        /// The line's number, from 1.
        line: usize,
        /// The line as it is in the log.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A transaction differs from the one the log has next for its device.
    Mismatch {
        /// The log's name.
        file: Arc<str>,
        /// The number of the line that was expected.
        line: usize,
        /// The device's name.
        device: String,
        /// The line that was expected (as it is in the log).
        expected: String,
        /// The transaction that came, written as a log line (read bytes as `??`).
        came: String,
        /// What differs: `another address`, `operation 2: other bytes written`, ...
        difference: String,
    },
    /// A device was asked for more transactions than the log has for it.
    PastEnd {
        /// The log's name.
        file: Arc<str>,
        /// The device's name.
        device: String,
        /// The last line of the log for this device (`None`: the log has none).
        last_line: Option<usize>,
        /// The number of lines in the log.
        lines: usize,
        /// The transaction that came, written as a log line (read bytes as `??`).
        came: String,
    },
    /// The transaction matched its line and that line records a failure: this is the
    /// recorded error, replayed.
    Recorded {
        /// The log's name.
        file: Arc<str>,
        /// The line's number.
        line: usize,
        /// The device's name.
        device: String,
        /// The recorded error kind (what [`kind()`](embedded_hal::i2c::Error::kind) returns).
        kind: RecordedKind,
    },
    /// [`Replay::finish`](super::Replay::finish): lines were never replayed, or
    /// transactions did not match the log.
    Unfinished {
        /// The log's name.
        file: Arc<str>,
        /// The lines never replayed: number and text.
        unconsumed: Vec<(usize, String)>,
        /// The message of every mismatch seen during the replay (a driver may have
        /// swallowed them).
        mismatches: Vec<String>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Open { file, source } => write!(f, "cannot read the replay log {file}: {source}"),
            Error::Parse {
                file,
                line,
                text,
                problem,
            } => write!(f, "{file} line {line}: {problem}: `{text}`"),
            Error::Mismatch {
                file,
                line,
                device,
                expected,
                came,
                difference,
            } => write!(
                f,
                "replay of {file} line {line}, device `{device}`: {difference}: expected `{expected}`, came `{came}`"
            ),
            Error::PastEnd {
                file,
                device,
                last_line,
                lines,
                came,
            } => {
                write!(f, "replay of {file}, device `{device}`: ")?;
                match last_line {
                    Some(l) => write!(
                        f,
                        "past the end of its recording (its last line is {l} of {lines})"
                    )?,
                    None => write!(f, "no line of the log ({lines} lines) is for this device")?,
                }
                write!(f, ": expected nothing more, came `{came}`")
            }
            Error::Recorded {
                file,
                line,
                device,
                kind,
            } => write!(
                f,
                "recorded error of device `{device}` ({file} line {line}): {kind}"
            ),
            Error::Unfinished {
                file,
                unconsumed,
                mismatches,
            } => {
                write!(f, "replay of {file} unfinished:")?;
                if !unconsumed.is_empty() {
                    write!(f, " {} line(s) never replayed:", unconsumed.len())?;
                    const SHOWN: usize = 10;
                    for (n, text) in unconsumed.iter().take(SHOWN) {
                        write!(f, " line {n} `{text}`;")?;
                    }
                    if unconsumed.len() > SHOWN {
                        write!(f, " and {} more;", unconsumed.len() - SHOWN)?;
                    }
                }
                if let Some(first) = mismatches.first() {
                    write!(
                        f,
                        " {} mismatch(es) during the replay, the first: {first}",
                        mismatches.len()
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl i2c::Error for Error {
    fn kind(&self) -> i2c::ErrorKind {
        match self {
            Error::Recorded {
                kind: RecordedKind::I2c(k),
                ..
            } => *k,
            _ => i2c::ErrorKind::Other,
        }
    }
}

impl spi::Error for Error {
    fn kind(&self) -> spi::ErrorKind {
        match self {
            Error::Recorded {
                kind: RecordedKind::Spi(k),
                ..
            } => *k,
            _ => spi::ErrorKind::Other,
        }
    }
}

impl digital::Error for Error {
    fn kind(&self) -> digital::ErrorKind {
        match self {
            Error::Recorded {
                kind: RecordedKind::Pin(k),
                ..
            } => *k,
            _ => digital::ErrorKind::Other,
        }
    }
}
