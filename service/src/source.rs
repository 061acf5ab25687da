//! Where the service's chips are opened and read: the one place, so that the catalog's
//! own call that opens a chip by spec (switch channels included) can replace
//! [`Source::read`]'s body when it lands.

use std::fmt::Display;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use embedded_hal::i2c::I2c;
use udrv_boards::catalog::{self, ChipRead, ChipSpec, I2cBus, Location, Sequence, SpiDevice};
use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
use udrv_boards::Board;
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

    /// Reads the chip `spec` names; readings numbered from `seq`. An error is one line
    /// naming the chip and what to check.
    pub(crate) fn read(&self, spec: &ChipSpec, seq: &mut Sequence) -> Result<ChipRead, String> {
        match self {
            Source::Virtual(board, faults) => {
                let time = UNIX_EPOCH + board.environment().elapsed();
                let mut delay = board.delay();
                match spec.location() {
                    Location::I2c { bus, switch, .. } => {
                        let b = board.i2c_bus(&i2c_name(bus)).map_err(|e| e.to_string())?;
                        let sw = switch.map(|s| (s.address(), s.channel()));
                        match faults {
                            Some(f) => {
                                read_i2c(spec, FaultyI2c::new(b, f), sw, &mut delay, seq, time)
                            }
                            None => read_i2c(spec, b, sw, &mut delay, seq, time),
                        }
                    }
                    Location::Spi { device, .. } => {
                        let d = board
                            .spi_device_by_name(&spi_name(device))
                            .map_err(|e| e.to_string())?;
                        let r = match faults {
                            Some(f) => {
                                catalog::read_spi(spec, FaultySpi::new(d, f), &mut delay, seq, time)
                            }
                            None => catalog::read_spi(spec, d, &mut delay, seq, time),
                        };
                        r.map_err(|e| e.to_string())
                    }
                }
            }
            Source::Linux(board) => {
                let time = SystemTime::now();
                let mut delay = udrv_boards::r#virtual::StdDelay;
                match spec.location() {
                    Location::I2c { bus, switch, .. } => {
                        let b = open_linux_i2c(bus, board.as_deref())?;
                        let sw = switch.map(|s| (s.address(), s.channel()));
                        read_i2c(spec, b, sw, &mut delay, seq, time)
                    }
                    Location::Spi { device, .. } => {
                        let d = open_linux_spi(device, spec)?;
                        catalog::read_spi(spec, d, &mut delay, seq, time).map_err(|e| e.to_string())
                    }
                }
            }
        }
    }
}

fn i2c_name(bus: &I2cBus) -> String {
    match bus {
        I2cBus::Number(n) => format!("i2c-{n}"),
        I2cBus::Path(p) | I2cBus::Name(p) => p.clone(),
    }
}

fn spi_name(d: &SpiDevice) -> String {
    match d {
        SpiDevice::Spidev { bus, cs } => format!("spidev{bus}.{cs}"),
        SpiDevice::Board { bus, cs } => format!("spi{bus}.{cs}"),
        SpiDevice::Path(p) => p.clone(),
    }
}

/// Reads an I2C chip, first selecting its channel on the PCA9546/PCA9548 switch `sw`.
fn read_i2c<B>(
    spec: &ChipSpec,
    mut bus: B,
    sw: Option<(u8, u8)>,
    delay: &mut impl embedded_hal::delay::DelayNs,
    seq: &mut Sequence,
    time: SystemTime,
) -> Result<ChipRead, String>
where
    B: I2c,
    B::Error: Display + std::fmt::Debug,
{
    if let Some((address, channel)) = sw {
        bus.write(address, &[1 << channel]).map_err(|e| {
            format!(
                "{spec}: selecting channel {channel} of the switch at {address:#04x} failed: \
                 {e} (check the switch's address and wiring)"
            )
        })?;
    }
    catalog::read_i2c(spec, &mut bus, delay, seq, time).map_err(|e| format!("{spec}: {e}"))
}

fn open_linux_i2c(
    bus: &I2cBus,
    board: Option<&dyn Board>,
) -> Result<udrv_core::i2c::I2cBus, String> {
    use udrv_core::i2c::I2cBus as Core;
    let r = match (bus, board) {
        (I2cBus::Number(n), _) => Core::open(*n),
        (I2cBus::Path(p), _) => Core::open_path(p),
        (I2cBus::Name(n), Some(b)) => {
            return b.i2c(n).and_then(|r| r.open()).map_err(|e| e.to_string())
        }
        (I2cBus::Name(n), None) => Core::open_by_name(n),
    };
    r.map_err(|e| e.to_string())
}

fn open_linux_spi(
    device: &SpiDevice,
    spec: &ChipSpec,
) -> Result<udrv_core::spi::SpidevDevice, String> {
    use udrv_core::spi;
    let path = match device {
        SpiDevice::Spidev { bus, cs } | SpiDevice::Board { bus, cs } => {
            format!("/dev/spidev{bus}.{cs}")
        }
        SpiDevice::Path(p) => p.clone(),
    };
    let config = spi::Config::new()
        .mode(spi::Mode::Mode0)
        .bits_per_word(8)
        .max_speed_hz(spec.kind().spi().map_or(1_000_000, |s| s.max_hz));
    spi::SpidevDevice::open_with(&path, &config).map_err(|e| e.to_string())
}
