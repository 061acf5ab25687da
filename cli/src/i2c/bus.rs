//! The bus `udrv i2c` talks to: a Linux i2c-dev bus, or with `--board virtual` the
//! virtual board's simulated bus, behind one set of SMBus-style operations so that every
//! `udrv i2c` command works on both.
//!
//! The simulated bus is a plain I2C adapter (like a Raspberry Pi's): SMBus commands are
//! carried out as the equivalent I2C messages through embedded-hal, exactly as the Linux
//! kernel emulates SMBus on plain adapters.

use embedded_hal::i2c::{I2c, Operation};
use udrv_boards::r#virtual::VirtualBoard;
use udrv_core::i2c::{Funcs, I2cBus, Message};
use udrv_drivers::sim::SimI2cBus;

use super::syntax::{Dir, Msg};
use crate::{Cli, Failure};

/// A bus to run `udrv i2c` commands on.
pub enum Bus {
    /// `/dev/i2c-N`.
    Linux(I2cBus),
    /// The virtual board's simulated bus (the board is kept alive with it).
    Virtual {
        /// The board (its world keeps the chip models' inputs moving).
        _board: Box<VirtualBoard>,
        /// The simulated bus.
        bus: SimI2cBus,
        /// Faults to inject (`UDRV_VIRTUAL_FAULTS`), if any.
        faults: Option<udrv_drivers::sim::fault::Faults>,
        /// Its name (`i2c-1`).
        name: String,
    },
}

/// A core I2C error as the CLI reports it: the library's advice names its API
/// (`I2cBus::set_force`), the command line's names the option.
fn fail(e: udrv_core::i2c::Error) -> Failure {
    match &e {
        udrv_core::i2c::Error::AddressBusy { path, addr, driver } => Failure::op(format!(
            "{}: address {addr:#04x} is in use by {}: unbind that driver, or use -f/--force \
             to access the chip anyway (the driver is not told)",
            path.display(),
            driver
                .as_deref()
                .map(|d| format!("kernel driver `{d}`"))
                .unwrap_or_else(|| "a kernel driver".into())
        )),
        _ => Failure::op(e),
    }
}

/// The capabilities of the simulated bus: plain I2C, with SMBus emulated over it.
fn virtual_funcs() -> Funcs {
    Funcs::I2C
        | Funcs::SMBUS_QUICK
        | Funcs::SMBUS_READ_BYTE
        | Funcs::SMBUS_WRITE_BYTE
        | Funcs::SMBUS_READ_BYTE_DATA
        | Funcs::SMBUS_WRITE_BYTE_DATA
        | Funcs::SMBUS_READ_WORD_DATA
        | Funcs::SMBUS_WRITE_WORD_DATA
        | Funcs::SMBUS_PROC_CALL
        | Funcs::SMBUS_READ_I2C_BLOCK
        | Funcs::SMBUS_WRITE_I2C_BLOCK
}

impl Bus {
    /// Opens the bus named `spec` (a number, `i2c-N`, a `/dev` path, a board role such as
    /// `i2c_arm` with `--board`, or an adapter name), on the virtual board when `--board
    /// virtual` is given.
    pub fn open(spec: &str, cli: &Cli) -> Result<Bus, Failure> {
        if crate::open::is_virtual(cli) {
            let settings = crate::open::virtual_settings()?;
            let board = settings.board();
            let bus = board.i2c_bus(spec).map_err(Failure::op)?;
            return Ok(Bus::Virtual {
                _board: Box::new(board),
                bus,
                faults: settings.faults().cloned(),
                // The board's only bus, whichever of its names (`1`, `i2c_arm`) opened it.
                name: "i2c-1".to_string(),
            });
        }
        let board = match cli.board.as_deref() {
            Some(name) => Some(
                crate::open::board(cli)
                    .map_err(|e| Failure::op(format!("--board {name}: {}", e.message)))?,
            ),
            None => None,
        };
        crate::open::linux_i2c(spec, board.as_deref()).map(Bus::Linux)
    }

    /// The device node, or `virtual:NAME`.
    pub fn path(&self) -> String {
        match self {
            Bus::Linux(b) => b.path().display().to_string(),
            Bus::Virtual { name, .. } => format!("virtual:{name}"),
        }
    }

    /// The bus number, when there is one.
    pub fn number(&self) -> Option<u32> {
        match self {
            Bus::Linux(b) => b.number(),
            Bus::Virtual { .. } => Some(1),
        }
    }

    /// The adapter's name.
    pub fn name(&self) -> String {
        match self {
            Bus::Linux(b) => b.name().to_string(),
            Bus::Virtual { .. } => "udrv virtual board I2C1 (simulated)".to_string(),
        }
    }

    /// The adapter's capabilities.
    pub fn funcs(&self) -> Funcs {
        match self {
            Bus::Linux(b) => b.funcs(),
            Bus::Virtual { .. } => virtual_funcs(),
        }
    }

    /// Allows addresses held by kernel drivers (meaningless on the virtual board).
    pub fn set_force(&mut self, force: bool) {
        if let Bus::Linux(b) = self {
            b.set_force(force);
        }
    }

    /// Turns SMBus PEC on or off.
    pub fn set_pec(&mut self, pec: bool) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.set_pec(pec).map_err(fail),
            Bus::Virtual { .. } if !pec => Ok(()),
            Bus::Virtual { .. } => Err(Failure::op(
                "the virtual board's simulated chips do not implement SMBus PEC",
            )),
        }
    }

    /// The kernel driver holding `addr` (`UU`), if any.
    pub fn address_user(&self, addr: u16) -> Result<Option<String>, Failure> {
        match self {
            Bus::Linux(b) => b.address_user(addr).map_err(fail),
            Bus::Virtual { .. } => Ok(None),
        }
    }

    fn sim(&self, addr: u16, ops: &mut [Operation<'_>], what: &str) -> Result<(), Failure> {
        let Bus::Virtual {
            bus, name, faults, ..
        } = self
        else {
            unreachable!("only called on the virtual bus")
        };
        let fail = |e: &dyn std::fmt::Display| {
            Failure::op(format!("virtual:{name}: {what} at {addr:#04x}: {e}"))
        };
        // Faults from UDRV_VIRTUAL_FAULTS, when set, sit between the command and the chips.
        match faults {
            Some(f) => udrv_drivers::sim::fault::FaultyI2c::new(bus.clone(), f)
                .transaction(addr as u8, ops)
                .map_err(|e| fail(&e)),
            None => bus
                .clone()
                .transaction(addr as u8, ops)
                .map_err(|e| fail(&e)),
        }
    }

    /// SMBus quick write (the probe of `detect`).
    pub fn smbus_quick(&self, addr: u16) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.smbus_quick(addr, false).map_err(fail),
            Bus::Virtual { .. } => self.sim(addr, &mut [Operation::Write(&[])], "quick write"),
        }
    }

    /// SMBus receive byte.
    pub fn smbus_read_byte(&self, addr: u16) -> Result<u8, Failure> {
        match self {
            Bus::Linux(b) => b.smbus_read_byte(addr).map_err(fail),
            Bus::Virtual { .. } => {
                let mut v = [0u8];
                self.sim(addr, &mut [Operation::Read(&mut v)], "receive byte")?;
                Ok(v[0])
            }
        }
    }

    /// SMBus send byte.
    pub fn smbus_write_byte(&self, addr: u16, value: u8) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.smbus_write_byte(addr, value).map_err(fail),
            Bus::Virtual { .. } => self.sim(addr, &mut [Operation::Write(&[value])], "send byte"),
        }
    }

    /// SMBus read byte data.
    pub fn smbus_read_byte_data(&self, addr: u16, reg: u8) -> Result<u8, Failure> {
        match self {
            Bus::Linux(b) => b.smbus_read_byte_data(addr, reg).map_err(fail),
            Bus::Virtual { .. } => {
                let mut v = [0u8];
                self.sim(
                    addr,
                    &mut [Operation::Write(&[reg]), Operation::Read(&mut v)],
                    "read byte data",
                )?;
                Ok(v[0])
            }
        }
    }

    /// SMBus write byte data.
    pub fn smbus_write_byte_data(&self, addr: u16, reg: u8, value: u8) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.smbus_write_byte_data(addr, reg, value).map_err(fail),
            Bus::Virtual { .. } => self.sim(
                addr,
                &mut [Operation::Write(&[reg, value])],
                "write byte data",
            ),
        }
    }

    /// SMBus read word data (little-endian on the wire).
    pub fn smbus_read_word_data(&self, addr: u16, reg: u8) -> Result<u16, Failure> {
        match self {
            Bus::Linux(b) => b.smbus_read_word_data(addr, reg).map_err(fail),
            Bus::Virtual { .. } => {
                let mut v = [0u8; 2];
                self.sim(
                    addr,
                    &mut [Operation::Write(&[reg]), Operation::Read(&mut v)],
                    "read word data",
                )?;
                Ok(u16::from_le_bytes(v))
            }
        }
    }

    /// SMBus write word data (little-endian on the wire).
    pub fn smbus_write_word_data(&self, addr: u16, reg: u8, value: u16) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.smbus_write_word_data(addr, reg, value).map_err(fail),
            Bus::Virtual { .. } => {
                let [lo, hi] = value.to_le_bytes();
                self.sim(
                    addr,
                    &mut [Operation::Write(&[reg, lo, hi])],
                    "write word data",
                )
            }
        }
    }

    /// SMBus block write (count byte first).
    pub fn smbus_write_block_data(&self, addr: u16, reg: u8, data: &[u8]) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.smbus_write_block_data(addr, reg, data).map_err(fail),
            Bus::Virtual { .. } => {
                let mut w = vec![reg, data.len() as u8];
                w.extend_from_slice(data);
                self.sim(addr, &mut [Operation::Write(&w)], "block write")
            }
        }
    }

    /// SMBus block read: the chip sends a count (1 to 32), then that many bytes. On the
    /// simulated bus, as the kernel emulates it on plain adapters: the register, then a
    /// read whose first byte is the count.
    pub fn smbus_read_block_data(&self, addr: u16, reg: u8) -> Result<Vec<u8>, Failure> {
        match self {
            Bus::Linux(b) => b.smbus_read_block_data(addr, reg).map_err(fail),
            Bus::Virtual { name, .. } => {
                let mut buf = [0u8; 1 + super::syntax::BLOCK_MAX];
                self.sim(
                    addr,
                    &mut [Operation::Write(&[reg]), Operation::Read(&mut buf)],
                    "block read",
                )?;
                let n = buf[0] as usize;
                if n == 0 || n > super::syntax::BLOCK_MAX {
                    return Err(Failure::op(format!(
                        "virtual:{name}: block read at {addr:#04x}: the chip sent a count of \
                         {n} (an SMBus block is 1 to 32 bytes): it does not answer SMBus \
                         block reads at register {reg:#04x}"
                    )));
                }
                Ok(buf[1..=n].to_vec())
            }
        }
    }

    /// I2C block write (no count byte).
    pub fn smbus_write_i2c_block_data(
        &self,
        addr: u16,
        reg: u8,
        data: &[u8],
    ) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => b.smbus_write_i2c_block_data(addr, reg, data).map_err(fail),
            Bus::Virtual { .. } => {
                let mut w = vec![reg];
                w.extend_from_slice(data);
                self.sim(addr, &mut [Operation::Write(&w)], "I2C block write")
            }
        }
    }

    /// I2C block read into `buf`; the number of bytes read.
    pub fn smbus_read_i2c_block_data(
        &self,
        addr: u16,
        reg: u8,
        buf: &mut [u8],
    ) -> Result<usize, Failure> {
        match self {
            Bus::Linux(b) => b.smbus_read_i2c_block_data(addr, reg, buf).map_err(fail),
            Bus::Virtual { .. } => {
                self.sim(
                    addr,
                    &mut [Operation::Write(&[reg]), Operation::Read(buf)],
                    "I2C block read",
                )?;
                Ok(buf.len())
            }
        }
    }

    /// Raw messages, as `i2ctransfer` sends them: `msgs` describe them, `bufs` hold each
    /// one's bytes (written, or read into). On the virtual bus, consecutive messages to
    /// one address form one transaction (repeated starts); a change of address starts a
    /// new one.
    pub fn transfer(&self, msgs: &[Msg], bufs: &mut [Vec<u8>]) -> Result<(), Failure> {
        match self {
            Bus::Linux(b) => {
                let mut raw: Vec<Message<'_>> = msgs
                    .iter()
                    .zip(bufs.iter_mut())
                    .map(|(m, buf)| match m.dir {
                        Dir::Read => Message::read(m.addr, buf),
                        Dir::Write => Message::write(m.addr, buf),
                    })
                    .collect();
                b.transfer(&mut raw).map_err(fail)
            }
            Bus::Virtual { .. } => {
                let mut i = 0;
                while i < msgs.len() {
                    let addr = msgs[i].addr;
                    let j = i + msgs[i..].iter().take_while(|m| m.addr == addr).count();
                    let mut ops: Vec<Operation<'_>> = msgs[i..j]
                        .iter()
                        .zip(bufs[i..j].iter_mut())
                        .map(|(m, b)| match m.dir {
                            Dir::Read => Operation::Read(b.as_mut_slice()),
                            Dir::Write => Operation::Write(b.as_slice()),
                        })
                        .collect();
                    self.sim(addr, &mut ops, "transfer")?;
                    i = j;
                }
                Ok(())
            }
        }
    }
}
