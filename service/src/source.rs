//! Where the service's chips are opened and read: through the catalog's
//! [`ChipBus::open`] and [`read_i2c_bus`]/[`read_spi`] (or the kernel's drivers: hwmon,
//! IIO, 1-Wire), as `udrv read` does (switch
//! channels checked, what answers named), with the virtual board's faults around its
//! buses.

use std::fmt::Display;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use udrv_boards::catalog::{
    self, read_i2c_bus, read_spi, Buses, ChipBus, ChipError, ChipRead, ChipSpec, Sequence,
};
use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
use udrv_boards::{Board, StdDelay};
use udrv_drivers::sim::fault::{Faults, FaultyI2c, FaultySpi};

/// Which board the service reads.
#[derive(Debug)]
pub enum BoardChoice {
    /// The virtual board: on the wall clock, or on a manual clock at `time` (seconds
    /// since the Unix epoch, as `UDRV_VIRTUAL_TIME` gives it), with faults injected into
    /// its buses (as `UDRV_VIRTUAL_FAULTS` gives them).
    Virtual {
        /// The manual clock's start, if any.
        time: Option<Duration>,
        /// Faults for its buses, if any.
        faults: Option<Faults>,
    },
    /// This machine's buses (`udrv-core`); `board` names the board (for bus roles such
    /// as `i2c_arm`), else it is detected, and without one buses go by number or path.
    Linux {
        /// The board's name (`--board`), if given.
        board: Option<String>,
    },
}

/// The chips' board, opened.
pub(crate) enum Source {
    Virtual(Box<VirtualBoard>, Option<Faults>),
    Linux(Option<Box<dyn Board>>),
}

impl Source {
    /// Opens the board `choice` names.
    pub(crate) fn open(choice: &BoardChoice) -> Result<Source, String> {
        match choice {
            BoardChoice::Virtual { time, faults } => {
                let board = match time {
                    Some(t) => VirtualBoard::at(*t),
                    None => VirtualBoard::wall_clock(),
                };
                Ok(Source::Virtual(Box::new(board), faults.clone()))
            }
            BoardChoice::Linux { board: Some(name) } => {
                let root = udrv_boards::Root::system();
                udrv_boards::open_with(&root, Some(name))
                    .map(|b| Source::Linux(Some(b)))
                    .map_err(|e| e.to_string())
            }
            // A machine udrv does not know as a board still has buses by number.
            BoardChoice::Linux { board: None } => Ok(Source::Linux(udrv_boards::open().ok())),
        }
    }

    /// The board's GPIO lines, as the service's `[[line]]`s take them.
    pub(crate) fn line_board(&self) -> crate::lines::LineBoard<'_> {
        match self {
            Source::Virtual(b, _) => crate::lines::LineBoard::Virtual(b),
            Source::Linux(_) => crate::lines::LineBoard::Linux,
        }
    }

    /// Reads the chip `spec` names through the catalog (the bus opened by
    /// [`ChipBus::open`] for each read, so a bus that went away and came back is found
    /// again; a switch channel checked before it is used); readings numbered from `seq`.
    /// An error is one line naming the chip and what to check.
    pub(crate) fn read(&self, spec: &ChipSpec, seq: &mut Sequence) -> Result<ChipRead, String> {
        let what = Some(catalog::probe::what_answers as catalog::WhatAnswers);
        let explain = |e: &dyn Display| format!("{spec}: {e}");
        match self {
            Source::Virtual(board, faults) => {
                let time = UNIX_EPOCH + board.environment().elapsed();
                let d = &mut board.delay();
                let bus = ChipBus::open(spec, Buses::Virtual(board)).map_err(|e| explain(&e))?;
                let r = match (bus, faults) {
                    (ChipBus::VirtualI2c(b), Some(f)) => {
                        read_i2c_bus(spec, FaultyI2c::new(b, f), d, seq, time, what)
                    }
                    (ChipBus::VirtualI2c(b), None) => read_i2c_bus(spec, b, d, seq, time, what),
                    (ChipBus::VirtualSpi(s), Some(f)) => {
                        read_spi(spec, FaultySpi::new(s, f), d, seq, time).map_err(Into::into)
                    }
                    (ChipBus::VirtualSpi(s), None) => {
                        read_spi(spec, s, d, seq, time).map_err(Into::into)
                    }
                    (ChipBus::LinuxI2c(b), _) => read_i2c_bus(spec, b, d, seq, time, what),
                    (ChipBus::Kernel(k), _) => k.read(spec, seq, time).map_err(Into::into),
                    (ChipBus::W1(w), _) => {
                        catalog::read_w1(spec, &w, seq, time).map_err(Into::into)
                    }
                    (ChipBus::LinuxSpi(s), _) => {
                        read_spi(spec, s, d, seq, time).map_err(Into::into)
                    }
                };
                r.map_err(|e: ChipError| explain(&e))
            }
            Source::Linux(board) => {
                let time = SystemTime::now();
                let d = &mut StdDelay;
                let bus =
                    ChipBus::open(spec, Buses::Linux(board.as_deref())).map_err(|e| explain(&e))?;
                let r = match bus {
                    ChipBus::LinuxI2c(b) => read_i2c_bus(spec, b, d, seq, time, what),
                    ChipBus::Kernel(k) => k.read(spec, seq, time).map_err(Into::into),
                    ChipBus::W1(w) => catalog::read_w1(spec, &w, seq, time).map_err(Into::into),
                    ChipBus::LinuxSpi(s) => read_spi(spec, s, d, seq, time).map_err(Into::into),
                    ChipBus::VirtualI2c(b) => read_i2c_bus(spec, b, d, seq, time, what),
                    ChipBus::VirtualSpi(s) => read_spi(spec, s, d, seq, time).map_err(Into::into),
                };
                r.map_err(|e: ChipError| explain(&e))
            }
        }
    }
}
