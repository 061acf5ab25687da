//! The GPIO error type.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{describe, DeviceClass, Hint};

use super::Abi;

/// What udrv was doing when a GPIO operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Opening the chip's device node.
    Open,
    /// Listing `/dev/gpiochip*`.
    Enumerate,
    /// `GPIO_GET_CHIPINFO_IOCTL`.
    ChipInfo,
    /// Reading a line's info.
    LineInfo,
    /// Starting an info-change watch on a line.
    WatchLineInfo,
    /// Ending an info-change watch.
    UnwatchLineInfo,
    /// Reading info-change events from the chip.
    ReadInfoChange,
    /// Requesting lines.
    Request,
    /// Changing the configuration of requested lines.
    Reconfigure,
    /// Reading line values.
    GetValues,
    /// Setting line values.
    SetValues,
    /// Reading edge events.
    ReadEvents,
    /// Waiting for an edge event.
    WaitEvents,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Open => "open",
            Operation::Enumerate => "list chips",
            Operation::ChipInfo => "read chip info",
            Operation::LineInfo => "read line info",
            Operation::WatchLineInfo => "watch line info",
            Operation::UnwatchLineInfo => "unwatch line info",
            Operation::ReadInfoChange => "read line info changes",
            Operation::Request => "request lines",
            Operation::Reconfigure => "reconfigure lines",
            Operation::GetValues => "get line values",
            Operation::SetValues => "set line values",
            Operation::ReadEvents => "read edge events",
            Operation::WaitEvents => "wait for edge events",
        })
    }
}

/// A request configuration the kernel would reject (found before any system call).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidConfig {
    /// The request names no line.
    NoLines,
    /// More lines than the kernel allows in one request (64).
    TooManyLines(usize),
    /// A line offset at or past the chip's line count.
    OffsetOutOfRange {
        /// The offset asked for.
        offset: u32,
        /// The chip's number of lines.
        lines: u32,
    },
    /// Edge detection on a line that is not an input.
    EdgeNeedsInput(u32),
    /// Open-drain/open-source drive on a line that is not an output.
    DriveNeedsOutput(u32),
    /// Bias on a line whose direction is left "as is".
    BiasNeedsDirection(u32),
    /// Debounce on a line that is not an input.
    DebounceNeedsInput(u32),
    /// A debounce period longer than the kernel's `u32` microseconds.
    DebounceTooLong(u32),
    /// The lines need more distinct settings than the 10 attributes v2 can carry.
    TooManyAttributes,
    /// The consumer label does not fit the kernel's 31 bytes (plus NUL) or has a NUL.
    BadConsumer(String),
    /// `reconfigure` must name exactly the lines of the request.
    LinesDiffer,
    /// A line is not part of this request.
    NotRequested(u32),
    /// A line name was given that resolves to a different chip than the request's.
    ChipMismatch {
        /// The chip of the request.
        request: PathBuf,
        /// The chip the line belongs to.
        line: PathBuf,
    },
    /// No chip was given (`on_chip`, `with_found_line`, or `Chip::request`).
    NoChip,
    /// A single-line handle ([`Pin`](super::Pin)) needs a request of exactly one line.
    NotOneLine(usize),
    /// Reading edge events from a request that detects no edges would wait forever.
    NoEdgeDetection,
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidConfig::NoLines => write!(f, "no line requested"),
            InvalidConfig::TooManyLines(n) => {
                write!(
                    f,
                    "{n} lines requested, the kernel allows at most 64 per request"
                )
            }
            InvalidConfig::OffsetOutOfRange { offset, lines } => {
                write!(
                    f,
                    "line {offset} does not exist (the chip has {lines} lines)"
                )
            }
            InvalidConfig::EdgeNeedsInput(o) => {
                write!(f, "line {o}: edge detection needs the line to be an input")
            }
            InvalidConfig::DriveNeedsOutput(o) => {
                write!(f, "line {o}: open-drain/open-source drive needs an output")
            }
            InvalidConfig::BiasNeedsDirection(o) => {
                write!(
                    f,
                    "line {o}: bias needs an explicit direction (input or output)"
                )
            }
            InvalidConfig::DebounceNeedsInput(o) => {
                write!(f, "line {o}: debounce needs the line to be an input")
            }
            InvalidConfig::DebounceTooLong(o) => {
                write!(f, "line {o}: debounce period over u32::MAX microseconds")
            }
            InvalidConfig::TooManyAttributes => write!(
                f,
                "the lines need more distinct settings than one request can carry \
                 (10 attributes): split them into several requests"
            ),
            InvalidConfig::BadConsumer(c) => write!(
                f,
                "consumer label {c:?} is longer than 31 bytes or contains a NUL byte"
            ),
            InvalidConfig::LinesDiffer => write!(
                f,
                "reconfigure must configure exactly the requested lines (request new lines \
                 separately)"
            ),
            InvalidConfig::NotRequested(o) => write!(f, "line {o} is not part of this request"),
            InvalidConfig::ChipMismatch { request, line } => write!(
                f,
                "the line is on {} but the request is on {}",
                line.display(),
                request.display()
            ),
            InvalidConfig::NoChip => write!(f, "no chip given for the request"),
            InvalidConfig::NotOneLine(n) => {
                write!(f, "a single-line pin needs a request of one line, not {n}")
            }
            InvalidConfig::NoEdgeDetection => write!(
                f,
                "the request detects no edges: add `with_edge_detection(..)` before reading events"
            ),
        }
    }
}

/// Something GPIO uAPI v1 cannot do (see [`Abi::V1`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbiLimit {
    /// Debounce periods (v2 only).
    Debounce,
    /// Event clocks other than `CLOCK_MONOTONIC`.
    EventClock,
    /// Setting the kernel's event buffer size (v1 has a fixed 16-event buffer).
    EventBufferSize,
    /// Edge detection on more than one line per request, or edges mixed with other lines.
    MultiLineEdges,
    /// Different settings for different lines of one request (besides output values).
    MixedLineConfig,
    /// Reconfiguring a request that detects edges (v1 event requests cannot be changed).
    ReconfigureEdges,
    /// Setting values of an input-only or edge request.
    SetValuesOnEvents,
}

impl fmt::Display for AbiLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AbiLimit::Debounce => "debounce",
            AbiLimit::EventClock => "an event clock other than monotonic",
            AbiLimit::EventBufferSize => "a settable event buffer size (v1 buffers 16 events)",
            AbiLimit::MultiLineEdges => {
                "edge detection on more than one line, or mixed with other lines, in one request"
            }
            AbiLimit::MixedLineConfig => "different settings per line in one request",
            AbiLimit::ReconfigureEdges => "reconfiguring a request that detects edges",
            AbiLimit::SetValuesOnEvents => "setting values of an edge-detecting request",
        })
    }
}

/// Errors of the [`gpio`](super) module. Every variant names the chip it is about; I/O
/// errors also name the operation and the lines, and `EBUSY` names the line's current
/// consumer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed.
    Io {
        /// The chip's device node.
        chip: PathBuf,
        /// What was being done.
        op: Operation,
        /// The lines concerned (offsets), empty when about the whole chip.
        lines: Vec<u32>,
        /// For `EBUSY` on a request: the line that is taken and its current consumer
        /// (empty when the holder set no label).
        holder: Option<(u32, String)>,
        /// The OS error.
        source: io::Error,
    },
    /// The configuration is invalid (found before any system call).
    InvalidConfig {
        /// The chip's device node (empty when not known yet).
        chip: PathBuf,
        /// Why.
        reason: InvalidConfig,
    },
    /// The uAPI version in use cannot do this.
    Unsupported {
        /// The chip's device node.
        chip: PathBuf,
        /// The uAPI version in use.
        abi: Abi,
        /// What it cannot do.
        what: AbiLimit,
    },
    /// No line with this name on any chip (or on the given chip).
    LineNotFound {
        /// The name looked for.
        name: String,
    },
    /// No chip with this label or name.
    ChipNotFound {
        /// The label looked for.
        label: String,
    },
    /// A blocking wait ended without an event (only from APIs that cannot return `None`).
    TimedOut {
        /// The chip's device node.
        chip: PathBuf,
    },
}

/// Shorthand for `Result<T, gpio::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(chip: &Path, op: Operation, lines: &[u32], source: io::Error) -> Error {
        Error::Io {
            chip: chip.to_path_buf(),
            op,
            lines: lines.to_vec(),
            holder: None,
            source,
        }
    }

    pub(crate) fn invalid(chip: &Path, reason: InvalidConfig) -> Error {
        Error::InvalidConfig {
            chip: chip.to_path_buf(),
            reason,
        }
    }

    pub(crate) fn unsupported(chip: &Path, abi: Abi, what: AbiLimit) -> Error {
        Error::Unsupported {
            chip: chip.to_path_buf(),
            abi,
            what,
        }
    }

    /// The OS error number, when the error came from a system call.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The chip the error is about, when known.
    pub fn chip(&self) -> Option<&Path> {
        match self {
            Error::Io { chip, .. }
            | Error::InvalidConfig { chip, .. }
            | Error::Unsupported { chip, .. }
            | Error::TimedOut { chip } => Some(chip),
            _ => None,
        }
    }

    /// Whether this is `EBUSY`: the line is held by another consumer.
    pub fn is_busy(&self) -> bool {
        self.errno() == Some(libc::EBUSY)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                chip,
                op,
                lines,
                holder,
                source,
            } => {
                write!(f, "gpio: cannot {op} on {}", chip.display())?;
                match lines.as_slice() {
                    [] => {}
                    [one] => write!(f, " (line {one})")?,
                    many => write!(f, " (lines {many:?})")?,
                }
                write!(f, ": {}", describe(source))?;
                if let Some((line, consumer)) = holder {
                    if consumer.is_empty() {
                        write!(f, "; line {line} is in use by a consumer that set no label")
                    } else {
                        write!(f, "; line {line} is in use by consumer \"{consumer}\"")
                    }
                } else {
                    write!(f, "{}", Hint(DeviceClass::Gpio, source.raw_os_error()))
                }
            }
            Error::InvalidConfig { chip, reason } => {
                if chip.as_os_str().is_empty() {
                    write!(f, "gpio: invalid request: {reason}")
                } else {
                    write!(f, "gpio: invalid request on {}: {reason}", chip.display())
                }
            }
            Error::Unsupported { chip, abi, what } => write!(
                f,
                "gpio: {} uses GPIO uAPI {abi}, which cannot do {what}{}",
                chip.display(),
                if *abi == Abi::V1 {
                    " (needs uAPI v2, Linux 5.10 or later)"
                } else {
                    ""
                }
            ),
            Error::LineNotFound { name } => write!(
                f,
                "gpio: no line named \"{name}\" on any chip (`udrv gpio info` lists line names)"
            ),
            Error::ChipNotFound { label } => write!(
                f,
                "gpio: no chip labelled or named \"{label}\" (`udrv gpio detect` lists them)"
            ),
            Error::TimedOut { chip } => write!(f, "gpio: timed out waiting on {}", chip.display()),
        }
    }
}

crate::error::io_error_source!(Error);

impl embedded_hal::digital::Error for Error {
    fn kind(&self) -> embedded_hal::digital::ErrorKind {
        embedded_hal::digital::ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_names_the_consumer() {
        let e = Error::Io {
            chip: "/dev/gpiochip3".into(),
            op: Operation::Request,
            lines: vec![1],
            holder: Some((1, "blinky".into())),
            source: io::Error::from_raw_os_error(libc::EBUSY),
        };
        let s = e.to_string();
        assert!(s.contains("/dev/gpiochip3"), "{s}");
        assert!(s.contains("request lines"), "{s}");
        assert!(s.contains("(line 1)"), "{s}");
        assert!(s.contains("(EBUSY)"), "{s}");
        assert!(s.contains("consumer \"blinky\""), "{s}");
        assert!(e.is_busy());
    }

    #[test]
    fn permission_error_has_the_group_hint() {
        let e = Error::io(
            Path::new("/dev/gpiochip0"),
            Operation::Open,
            &[],
            io::Error::from_raw_os_error(libc::EACCES),
        );
        assert!(e.to_string().contains("group `gpio`"), "{e}");
        assert_eq!(e.errno(), Some(libc::EACCES));
    }

    #[test]
    fn unsupported_names_the_abi() {
        let e = Error::unsupported(Path::new("/dev/gpiochip0"), Abi::V1, AbiLimit::Debounce);
        let s = e.to_string();
        assert!(s.contains("uAPI v1") && s.contains("debounce"), "{s}");
        use embedded_hal::digital::Error as _;
        assert_eq!(e.kind(), embedded_hal::digital::ErrorKind::Other);
    }
}
