//! How `udrv read` reads a chip on the bus it opened: through the catalog
//! ([`catalog::read_i2c_bus`], [`catalog::read_spi`]), recorded (`--record`), replayed
//! (`--replay`) or under the virtual board's faults, stamped by the clock of the board read.

use std::time::{SystemTime, UNIX_EPOCH};

use embedded_hal::i2c::I2c;
use embedded_hal::spi::SpiDevice;
use udrv_boards::catalog::{
    self, ChipBus, ChipError, ChipRead, Location, Sequence, SpiDevice as SpecSpi,
};
use udrv_boards::r#virtual::{StdDelay, VirtualBoard};
use udrv_boards::Board;
use udrv_core::record::{Log, ReplayDevice};
use udrv_drivers::sim::fault::{Faults, FaultyI2c, FaultySpi};

use super::Device;
use crate::{Cli, Failure};

/// A device opened for reading.
pub(super) enum Opened {
    /// A bus of this machine or of the virtual board.
    Bus(ChipBus),
    /// A recorded device (`--replay`).
    Replay(ReplayDevice),
}

/// How a round reads: the recording to write, the virtual board's faults (one plan for
/// the whole command, never on real buses), the readings' numbers, and the board whose
/// clock stamps them (the virtual board's world; else the system's).
pub(super) struct Reader<'a> {
    pub(super) log: Option<&'a Log>,
    pub(super) faults: Option<&'a Faults>,
    pub(super) seq: Sequence,
    pub(super) board: Option<&'a VirtualBoard>,
}

impl Reader<'_> {
    /// The time by the clock of the board read.
    fn now(&self) -> SystemTime {
        match self.board {
            Some(b) => UNIX_EPOCH + b.environment().elapsed(),
            None => SystemTime::now(),
        }
    }

    /// Reads `dev` on `o`, through a [`Recorder`](udrv_core::record::Recorder) when
    /// recording and through the faults on the virtual board.
    pub(super) fn read(&mut self, dev: &Device, o: &mut Opened) -> Result<ChipRead, ChipError> {
        let name = &record_name(dev);
        let is_i2c = matches!(dev.spec.location(), Location::I2c { .. });
        match (o, self.faults) {
            (Opened::Bus(ChipBus::LinuxI2c(b)), _) => self.i2c(dev, b, name),
            (Opened::Bus(ChipBus::LinuxSpi(s)), _) => self.spi(dev, s, name),
            (Opened::Bus(ChipBus::Kernel(k)), _) => {
                let (time, seq) = (self.now(), &mut self.seq);
                Ok(k.read(&dev.spec, seq, time)?)
            }
            (Opened::Bus(ChipBus::W1(w)), _) => {
                let (time, seq) = (self.now(), &mut self.seq);
                Ok(catalog::read_w1(&dev.spec, w, seq, time)?)
            }
            (Opened::Bus(ChipBus::VirtualI2c(b)), None) => self.i2c(dev, b.clone(), name),
            (Opened::Bus(ChipBus::VirtualI2c(b)), Some(f)) => {
                self.i2c(dev, FaultyI2c::new(b.clone(), f), name)
            }
            (Opened::Bus(ChipBus::VirtualSpi(s)), None) => self.spi(dev, s.clone(), name),
            (Opened::Bus(ChipBus::VirtualSpi(s)), Some(f)) => {
                self.spi(dev, FaultySpi::new(s.clone(), f), name)
            }
            (Opened::Replay(r), _) => {
                let (time, seq) = (self.now(), &mut self.seq);
                let d = &mut StdDelay;
                if is_i2c {
                    let w = Some(catalog::probe::what_answers as catalog::WhatAnswers);
                    catalog::read_i2c_bus(&dev.spec, r.clone(), d, seq, time, w)
                } else {
                    Ok(catalog::read_spi(&dev.spec, r.clone(), d, seq, time)?)
                }
            }
        }
    }

    fn i2c<B: I2c>(&mut self, dev: &Device, bus: B, name: &str) -> Result<ChipRead, ChipError>
    where
        B::Error: std::error::Error + 'static,
    {
        let (time, seq, d) = (self.now(), &mut self.seq, &mut StdDelay);
        let w = Some(catalog::probe::what_answers as catalog::WhatAnswers);
        match self.log {
            Some(log) => catalog::read_i2c_bus(&dev.spec, log.record(name, bus), d, seq, time, w),
            None => catalog::read_i2c_bus(&dev.spec, bus, d, seq, time, w),
        }
    }

    fn spi<S: SpiDevice>(&mut self, dev: &Device, s: S, name: &str) -> Result<ChipRead, ChipError>
    where
        S::Error: std::error::Error + 'static,
    {
        let (time, seq, d) = (self.now(), &mut self.seq, &mut StdDelay);
        Ok(match self.log {
            Some(log) => catalog::read_spi(&dev.spec, log.record(name, s), d, seq, time),
            None => catalog::read_spi(&dev.spec, s, d, seq, time),
        }?)
    }
}

/// A device's name in a recording: its label, with any blank (adapter names may have
/// them) turned into `_`, as the record format's names are one word.
pub(super) fn record_name(dev: &Device) -> String {
    dev.label
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '#' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The board for Linux buses: the one `--board` names; else, when a chip is on a board's
/// name for an SPI device (`spi0.0`), the detected board, which finds its node.
pub(super) fn linux_board(
    cli: &Cli,
    devices: &[Device],
) -> Result<Option<Box<dyn Board>>, Failure> {
    if let Some(b) = crate::open::named_board(cli)? {
        return Ok(Some(b));
    }
    let board_spi = devices.iter().find_map(|d| match d.spec.location() {
        Location::Spi {
            device: SpecSpi::Board { bus, cs },
            ..
        } => Some((d, *bus, *cs)),
        _ => None,
    });
    let Some((d, b, c)) = board_spi else {
        return Ok(None);
    };
    crate::open::board(cli).map(Some).map_err(|f| {
        let name = format!("spi{b}.{c}");
        Failure::op(format!(
            "`{name}` ({}) is a board's name for an SPI device, and {}; give --board, or \
             name the device node (/dev/spidev{b}.{c})",
            d.label, f.message
        ))
    })
}
