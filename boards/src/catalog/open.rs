//! Reading a chip by its spec: [`ChipReader`] opens the bus the spec names (on this
//! machine through `udrv-core`, or on the virtual board) once, and reads the chip as
//! often as asked, through its switch channel when the spec has one.
//!
//! ```
//! use udrv_boards::catalog::{Buses, ChipReader, Quantity, Sequence};
//! use udrv_boards::r#virtual::VirtualBoard;
//!
//! let board = VirtualBoard::new();
//! let spec = "lm75@i2c-1/0x73.5:0x49".parse().unwrap();
//! let mut lm75 = ChipReader::open(spec, Buses::Virtual(&board)).unwrap();
//! let mut seq = Sequence::new();
//! for _ in 0..2 {
//!     let read = lm75.read(&mut seq, lm75.now()).unwrap();
//!     assert!(read.get(Quantity::Temperature, None).is_some());
//! }
//! assert_eq!(seq.last(), 2);
//! ```

use std::fmt::{self, Display};
use std::time::SystemTime;

use udrv_core::i2c::I2cBus as LinuxI2c;
use udrv_core::spi::{self as core_spi, SpidevDevice};
use udrv_core::sysfs::SysRoot;
#[cfg(feature = "virtual")]
use udrv_drivers::sim::{SimI2cBus, SimSpiDevice};

use super::kernel::KernelChip;
use super::parts::{I2cBus, SpiDevice};
use super::read::read_spi;
use super::reading::{ChipRead, Sequence};
use super::spec::{ChipSpec, Location};
use super::switch::{read_i2c_bus, ChipError, WhatAnswers};
use super::w1::{self, read_w1};
use crate::board::Board;
#[cfg(feature = "virtual")]
use crate::r#virtual::VirtualBoard;
use crate::StdDelay;

/// Where a chip's bus is opened.
#[derive(Clone, Copy)]
pub enum Buses<'a> {
    /// This machine's buses, through `udrv-core`: `i2c-N`, device paths, I2C adapter
    /// names; with a board, also the board's names for buses (`i2c_arm`, `spi0.0`).
    Linux(Option<&'a dyn Board>),
    /// The virtual board's simulated buses.
    #[cfg(feature = "virtual")]
    Virtual(&'a VirtualBoard),
}

impl fmt::Debug for Buses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Buses::Linux(b) => write!(f, "Linux({:?})", b.map(|b| b.id())),
            #[cfg(feature = "virtual")]
            Buses::Virtual(_) => f.write_str("Virtual"),
        }
    }
}

/// A chip's bus, opened.
#[derive(Debug)]
pub enum ChipBus {
    /// A Linux I2C bus (`/dev/i2c-N`).
    LinuxI2c(LinuxI2c),
    /// A Linux spidev device, set up for the chip: mode 0, 8-bit words, its clock.
    LinuxSpi(SpidevDevice),
    /// A chip on a Linux I2C bus that a kernel driver holds and drives through hwmon or
    /// IIO: read through that driver ([`KernelChip`]).
    Kernel(KernelChip),
    /// A 1-Wire thermometer the kernel's w1_therm driver reads
    /// (`/sys/bus/w1/devices/28-...`, under `UDRV_ROOT` when set).
    W1(udrv_core::w1::W1Device),
    /// One of the virtual board's I2C buses.
    #[cfg(feature = "virtual")]
    VirtualI2c(SimI2cBus),
    /// One of the virtual board's SPI devices.
    #[cfg(feature = "virtual")]
    VirtualSpi(SimSpiDevice),
}

/// Why a chip's bus could not be opened. `Display` is the underlying error's message,
/// which names the bus and says what to do; [`source`](std::error::Error::source) is
/// that error.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// The board has no such bus, or could not open it.
    Board(crate::Error),
    /// The Linux I2C bus could not be opened.
    I2c(udrv_core::i2c::Error),
    /// The spidev device could not be opened or set up.
    Spi(udrv_core::spi::Error),
    /// A board's name for a bus (`i2c_arm`, `spi0.0`) without a board to look it up on:
    /// the name, and the device node that may be meant.
    NeedsBoard {
        /// The name.
        name: String,
        /// The device node to name instead, when there is one (`/dev/spidev0.0`).
        node: Option<String>,
    },
    /// The 1-Wire device is not there, or no thermometer.
    W1(udrv_core::w1::Error),
    /// A 1-Wire chip named on the virtual board, which has no 1-Wire bus (the spec).
    NoVirtualW1(String),
}

impl Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Board(e) => e.fmt(f),
            OpenError::I2c(e) => e.fmt(f),
            OpenError::Spi(e) => e.fmt(f),
            OpenError::NeedsBoard { name, node } => {
                write!(f, "`{name}` is a board's name for a bus: give the board")?;
                match node {
                    Some(n) => write!(f, ", or name the device node ({n})"),
                    None => Ok(()),
                }
            }
            OpenError::W1(e) => e.fmt(f),
            OpenError::NoVirtualW1(s) => write!(
                f,
                "{s}: the virtual board has no 1-Wire bus; read 1-Wire chips on this machine \
                 (without --board virtual)"
            ),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Board(e) => Some(e),
            OpenError::I2c(e) => Some(e),
            OpenError::Spi(e) => Some(e),
            OpenError::W1(e) => Some(e),
            OpenError::NeedsBoard { .. } | OpenError::NoVirtualW1(_) => None,
        }
    }
}

impl ChipBus {
    /// Opens the bus (or SPI device) `spec` names, on `on`. A chip behind a switch
    /// channel gets the bus the switch is on; nothing is sent to any chip.
    pub fn open(spec: &ChipSpec, on: Buses<'_>) -> Result<ChipBus, OpenError> {
        match (spec.location(), on) {
            (Location::W1 { id }, Buses::Linux(_)) => {
                w1::open(id).map(ChipBus::W1).map_err(OpenError::W1)
            }
            #[cfg(feature = "virtual")]
            (Location::W1 { .. }, Buses::Virtual(_)) => {
                Err(OpenError::NoVirtualW1(spec.to_string()))
            }
            #[cfg(feature = "virtual")]
            (Location::I2c { bus, .. }, Buses::Virtual(v)) => v
                .i2c_bus(&bus.to_string())
                .map(ChipBus::VirtualI2c)
                .map_err(OpenError::Board),
            #[cfg(feature = "virtual")]
            (Location::Spi { device, .. }, Buses::Virtual(v)) => v
                .spi_device_by_name(&device.to_string())
                .map(ChipBus::VirtualSpi)
                .map_err(OpenError::Board),
            (
                Location::I2c {
                    bus,
                    switch,
                    address,
                },
                Buses::Linux(board),
            ) => {
                let i2c = open_linux_i2c(bus, board)?;
                // An address a kernel driver holds and reads through hwmon or IIO is read
                // through that driver.
                let kernel = match (switch, i2c.number()) {
                    (None, Some(n)) => KernelChip::find(&SysRoot::system(), n, *address as u16),
                    _ => None,
                };
                Ok(kernel.map_or(ChipBus::LinuxI2c(i2c), ChipBus::Kernel))
            }
            (Location::Spi { device, .. }, Buses::Linux(board)) => {
                let path = match (device, board) {
                    (SpiDevice::Spidev { bus, cs }, _) => format!("/dev/spidev{bus}.{cs}"),
                    (SpiDevice::Path(p), _) => p.clone(),
                    (SpiDevice::Board { bus, cs }, Some(b)) => b
                        .spi(*bus, *cs)
                        .map_err(OpenError::Board)?
                        .path
                        .display()
                        .to_string(),
                    (SpiDevice::Board { bus, cs }, None) => {
                        return Err(OpenError::NeedsBoard {
                            name: device.to_string(),
                            node: Some(format!("/dev/spidev{bus}.{cs}")),
                        })
                    }
                };
                let config = core_spi::Config::new()
                    .mode(core_spi::Mode::Mode0)
                    .bits_per_word(8)
                    .max_speed_hz(spec.kind().spi().map_or(1_000_000, |s| s.max_hz));
                SpidevDevice::open_with(&path, &config)
                    .map(ChipBus::LinuxSpi)
                    .map_err(OpenError::Spi)
            }
        }
    }
}

/// Opens a Linux I2C bus by number, path, the board's name for it (with a board) or the
/// adapter's name.
fn open_linux_i2c(bus: &I2cBus, board: Option<&dyn Board>) -> Result<LinuxI2c, OpenError> {
    match (bus, board) {
        (I2cBus::Number(n), _) => LinuxI2c::open(*n).map_err(OpenError::I2c),
        (I2cBus::Path(p), _) => LinuxI2c::open_path(p).map_err(OpenError::I2c),
        (I2cBus::Name(name), Some(b)) => {
            b.i2c(name).and_then(|r| r.open()).map_err(OpenError::Board)
        }
        (I2cBus::Name(name), None) => LinuxI2c::open_by_name(name).map_err(OpenError::I2c),
    }
}

/// A chip opened for reading by its spec: the bus is opened once, and every
/// [`read`](Self::read) reads the chip again (what a long-running program such as the
/// service does). Conversions are waited on the host's clock, on the virtual board too: a
/// manual clock stays where it is, so a read at a fixed time gives that time's values.
#[derive(Debug)]
pub struct ChipReader {
    spec: ChipSpec,
    bus: ChipBus,
    what_answers: Option<WhatAnswers>,
    /// The virtual board read on, for its clock.
    #[cfg(feature = "virtual")]
    board: Option<VirtualBoard>,
}

impl ChipReader {
    /// Opens the bus `spec` names on `on` ([`ChipBus::open`]).
    pub fn open(spec: ChipSpec, on: Buses<'_>) -> Result<ChipReader, OpenError> {
        let bus = ChipBus::open(&spec, on)?;
        Ok(ChipReader {
            spec,
            bus,
            what_answers: Some(super::probe::what_answers),
            #[cfg(feature = "virtual")]
            board: match on {
                Buses::Virtual(v) => Some(v.clone()),
                Buses::Linux(_) => None,
            },
        })
    }

    /// Names what answers where a read finds another chip, or no switch, with `f` instead
    /// of `udrv probe`'s identification ([`probe::what_answers`](super::probe::what_answers),
    /// the default).
    pub fn with_what_answers(mut self, f: WhatAnswers) -> ChipReader {
        self.what_answers = Some(f);
        self
    }

    /// The chip's spec.
    pub fn spec(&self) -> &ChipSpec {
        &self.spec
    }

    /// The opened bus.
    pub fn bus(&self) -> &ChipBus {
        &self.bus
    }

    /// The time by the clock of the board read on: the virtual board's world's clock (on
    /// a manual clock, the time it is set to; `VirtualBoard::new`'s starts at the Unix
    /// epoch), else the system's.
    pub fn now(&self) -> SystemTime {
        #[cfg(feature = "virtual")]
        if let Some(b) = &self.board {
            return std::time::UNIX_EPOCH + b.environment().elapsed();
        }
        SystemTime::now()
    }

    /// Reads the chip: readings numbered from `seq`, stamped `time`.
    pub fn read(&mut self, seq: &mut Sequence, time: SystemTime) -> Result<ChipRead, ChipError> {
        let (spec, w, d) = (&self.spec, self.what_answers, &mut StdDelay);
        match &mut self.bus {
            ChipBus::LinuxI2c(b) => read_i2c_bus(spec, b, d, seq, time, w),
            ChipBus::Kernel(k) => Ok(k.read(spec, seq, time)?),
            ChipBus::W1(dev) => Ok(read_w1(spec, dev, seq, time)?),
            #[cfg(feature = "virtual")]
            ChipBus::VirtualI2c(b) => read_i2c_bus(spec, b, d, seq, time, w),
            ChipBus::LinuxSpi(s) => Ok(read_spi(spec, s, d, seq, time)?),
            #[cfg(feature = "virtual")]
            ChipBus::VirtualSpi(s) => Ok(read_spi(spec, s, d, seq, time)?),
        }
    }
}
