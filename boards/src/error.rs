//! The crate's error type: what went wrong, and what to do about it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::id::BoardId;

/// Errors of the board layer. Every message says what to do next where there is something
/// to do (a config line to add, an overlay to load, a name to use instead).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The device tree names a board this crate does not know (or there is no device tree).
    UnknownBoard {
        /// `/proc/device-tree/model`, when readable.
        model: Option<String>,
        /// `/proc/device-tree/compatible`, when readable.
        compatible: Vec<String>,
    },
    /// `--board` / `UDRV_BOARD` named no supported board.
    UnknownBoardName {
        /// The name given.
        name: String,
    },
    /// The board is one this build leaves out (the virtual board without the `virtual`
    /// feature).
    NotBuiltIn {
        /// The board.
        id: BoardId,
    },
    /// The pin asked for is power or ground ("pin 6 is GND, not a GPIO").
    NotAGpio {
        /// The board.
        board: &'static str,
        /// The header (`J8`, `P8`, `P9`).
        header: String,
        /// The physical pin number.
        number: u32,
        /// What the pin is (`GND`, `3V3`, `AIN0`, ...).
        what: String,
    },
    /// No header pin has this number or name on this board.
    NoSuchPin {
        /// The board.
        board: &'static str,
        /// What was asked for.
        spec: String,
        /// A hint (valid range, a similar name, ...).
        hint: String,
    },
    /// The pin is a GPIO but the board uses it for something else by default (HDMI,
    /// eMMC, HDMI audio). [`Board::pin_reserved`](crate::Board) requests it anyway.
    PinReserved {
        /// The pin's name (`P8_45`).
        pin: String,
        /// What holds it (`HDMI`, `eMMC`).
        by: String,
        /// How to free it.
        free_with: String,
    },
    /// No GPIO chip with the label the board's kernel gives it.
    ChipNotFound {
        /// The board.
        board: &'static str,
        /// The labels looked for.
        labels: Vec<String>,
        /// The labels found instead.
        found: Vec<String>,
    },
    /// The bus exists on this board but is not enabled (no device node).
    BusDisabled {
        /// `I2C`, `SPI` or `UART`.
        kind: &'static str,
        /// The bus's role or name (`i2c_arm`, `spi0.0`, `primary`).
        name: String,
        /// The device node expected (`/dev/i2c-1`).
        expected: PathBuf,
        /// The exact line (and file) that enables it.
        enable: String,
    },
    /// No bus with this role/number on this board.
    UnknownBus {
        /// `I2C`, `SPI` or `UART`.
        kind: &'static str,
        /// What was asked for.
        name: String,
        /// The buses this board has.
        available: Vec<String>,
    },
    /// This board does not support the operation (for example a virtual board without a
    /// kernel device behind a bus).
    Unsupported {
        /// The board.
        board: BoardId,
        /// What it cannot do.
        what: String,
    },
    /// A GPIO operation of the core failed.
    Gpio(udrv_core::gpio::Error),
    /// An I2C operation of the core failed.
    I2c(udrv_core::i2c::Error),
    /// An SPI operation of the core failed.
    Spi(udrv_core::spi::Error),
    /// A serial-port operation of the core failed.
    Serial(udrv_core::serial::Error),
    /// Reading sysfs or the device tree failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// Shorthand for `Result<T, udrv_boards::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownBoard { model, compatible } => {
                match model {
                    Some(m) => write!(f, "unsupported board \"{m}\"")?,
                    None => write!(f, "no board detected (no /proc/device-tree/model)")?,
                }
                if !compatible.is_empty() {
                    write!(f, " (compatible: {})", compatible.join(", "))?;
                }
                write!(
                    f,
                    "; supported boards: {}; choose one with --board NAME or UDRV_BOARD=NAME",
                    BoardId::supported_list()
                )
            }
            Error::UnknownBoardName { name } => write!(
                f,
                "unknown board \"{name}\"; supported boards: {}",
                BoardId::supported_list()
            ),
            Error::NotBuiltIn { id } => write!(
                f,
                "board \"{}\" is not in this build: build udrv-boards with its feature \
                 `virtual` (on by default)",
                id.name()
            ),
            Error::NotAGpio {
                board,
                header,
                number,
                what,
            } => write!(
                f,
                "pin {number} of {header} is {what}, not a GPIO (on the {board})"
            ),
            Error::NoSuchPin { board, spec, hint } => {
                write!(f, "the {board} has no pin \"{spec}\"")?;
                if !hint.is_empty() {
                    write!(f, ": {hint}")?;
                }
                Ok(())
            }
            Error::PinReserved { pin, by, free_with } => write!(
                f,
                "{pin} is used by {by} on this board; to use it as a GPIO, {free_with}"
            ),
            Error::ChipNotFound {
                board,
                labels,
                found,
            } => {
                write!(
                    f,
                    "no GPIO chip labelled {} (the {board}'s GPIO controller)",
                    labels.join(" or ")
                )?;
                if found.is_empty() {
                    write!(f, "; no GPIO chips found at all (is /dev/gpiochip* readable? add your user to group gpio)")
                } else {
                    write!(
                        f,
                        "; found {}: is this really a {board}? (check --board / UDRV_BOARD)",
                        found.join(", ")
                    )
                }
            }
            Error::BusDisabled {
                kind,
                name,
                expected,
                enable,
            } => write!(
                f,
                "{kind} bus {name} is not enabled ({} does not exist); enable it: {enable}",
                expected.display()
            ),
            Error::UnknownBus {
                kind,
                name,
                available,
            } => write!(
                f,
                "no {kind} bus \"{name}\" on this board; available: {}",
                available.join(", ")
            ),
            Error::Unsupported { board, what } => {
                let name = board.name();
                let noun = if name.ends_with("board") {
                    ""
                } else {
                    " board"
                };
                write!(f, "the {name}{noun} cannot {what}")
            }
            Error::Gpio(e) => write!(f, "{e}"),
            Error::I2c(e) => write!(f, "{e}"),
            Error::Spi(e) => write!(f, "{e}"),
            Error::Serial(e) => write!(f, "{e}"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Gpio(e) => Some(e),
            Error::I2c(e) => Some(e),
            Error::Spi(e) => Some(e),
            Error::Serial(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<udrv_core::gpio::Error> for Error {
    fn from(e: udrv_core::gpio::Error) -> Error {
        Error::Gpio(e)
    }
}

impl From<udrv_core::i2c::Error> for Error {
    fn from(e: udrv_core::i2c::Error) -> Error {
        Error::I2c(e)
    }
}
