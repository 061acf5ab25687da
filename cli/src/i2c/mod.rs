//! `udrv i2c`: list, detect, get, set, dump, transfer, in the conventions of i2c-tools.

mod bus;
pub mod format;
pub mod syntax;

mod detect;
mod dump;
#[cfg(test)]
mod fuzz;
mod get;
#[cfg(feature = "serve")]
mod held;
mod set;
mod transfer;

use bus::Bus;
use clap::{Args, Subcommand};

use crate::{Cli, Outcome};

/// `udrv i2c ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the I2C buses (as `i2cdetect -l`; `udrv i2c detect -l` too).
    List,
    /// Scan a bus for chips (as `i2cdetect`): `--` nothing, `UU` held by a kernel driver.
    Detect(DetectArgs),
    /// Read a register (as `i2cget`): `get -y 1 0x48 0x00 w`, `get -y 1 0x50 0x00 i 8`.
    Get(GetArgs),
    /// Write a register (as `i2cset`): `set -y 1 0x48 0x01 0x60 w`, `-m MASK`, `-r`.
    Set(SetArgs),
    /// Dump a chip's registers (as `i2cdump`): modes b w W s i c, `-r FIRST-LAST`.
    Dump(DumpArgs),
    /// Send a sequence of messages in one transaction (as `i2ctransfer`), e.g.
    /// `w2@0x50 0x00 0x10 r4`.
    Transfer(TransferArgs),
}

/// Options every command that talks to a chip takes.
#[derive(Args, Debug)]
pub struct Common {
    /// Do not ask for confirmation before writing (required when stdin is not a terminal).
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
    /// Access the chip even when a kernel driver holds its address (I2C_SLAVE_FORCE).
    /// Dangerous: the driver does not know. (Also allows the reserved addresses, as -a.)
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Allow the reserved addresses 0x00-0x07 and 0x78-0x7f (as i2c-tools' -a); for
    /// `detect`, scan them too.
    #[arg(short = 'a', long = "all-addresses", visible_alias = "all")]
    pub all: bool,
}

impl Common {
    /// Whether reserved addresses are allowed (`-a`, or udrv's `--force`).
    fn reserved_ok(&self) -> bool {
        self.all || self.force
    }
}

/// `udrv i2c detect`
#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    common: Common,
    /// List the I2C buses instead (as `i2cdetect -l`, `udrv i2c list`).
    #[arg(short = 'l', long = "list")]
    list: bool,
    /// Probe with SMBus quick write (default: quick write, but read byte for 0x30-0x37 and
    /// 0x50-0x5f, where quick write can corrupt EEPROMs).
    #[arg(short = 'q', long = "quick", conflicts_with = "read")]
    quick: bool,
    /// Probe with SMBus receive byte.
    #[arg(short = 'r', long = "read")]
    read: bool,
    /// Print the adapter's capabilities (I2C_FUNCS) instead of scanning.
    #[arg(short = 'F', long = "funcs")]
    funcs: bool,
    /// Bus: number, /dev path or adapter name.
    #[arg(required_unless_present = "list")]
    bus: Option<String>,
    /// First address to probe.
    first: Option<String>,
    /// Last address to probe.
    last: Option<String>,
}

/// `udrv i2c get`
#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    common: Common,
    /// Bus: number, /dev path or adapter name.
    bus: String,
    /// Chip address (0x08-0x77; 0x00-0x7f with -a).
    address: String,
    /// Register (data address); without it, a plain receive byte.
    register: Option<String>,
    /// b: byte data (default), w: word data, c: write byte then receive byte, s: SMBus
    /// block, i: I2C block; append `p` for SMBus PEC (not with i).
    mode: Option<String>,
    /// With mode i: how many bytes (1-32, default 32).
    length: Option<String>,
}

/// `udrv i2c set`
#[derive(Args, Debug)]
pub struct SetArgs {
    #[command(flatten)]
    common: Common,
    /// Write only the bits set in MASK: the others are read from the register first and
    /// kept (a read-modify-write, as i2cset -m).
    #[arg(short = 'm', long = "mask", value_name = "MASK")]
    mask: Option<String>,
    /// Read the register back after writing and say whether it matches (as i2cset -r).
    #[arg(short = 'r', long = "readback")]
    readback: bool,
    /// The mode, as an option rather than the trailing MODE argument.
    #[arg(long = "mode", value_name = "MODE")]
    mode: Option<String>,
    /// Bus: number, /dev path or adapter name.
    bus: String,
    /// Chip address (0x08-0x77; 0x00-0x7f with -a).
    address: String,
    /// Register (data address); alone, it is the byte of a short write (mode c).
    register: String,
    /// `[VALUE]... [MODE]`: one value for b (byte, default) and w (word), up to 32 for s
    /// (SMBus block) and i (I2C block), none for c (short write); the last argument is the
    /// MODE when there are several; append `p` to it for PEC (not with i).
    #[arg(num_args = 0.., value_name = "VALUE|MODE")]
    values: Vec<String>,
}

/// `udrv i2c dump`
#[derive(Args, Debug)]
pub struct DumpArgs {
    #[command(flatten)]
    common: Common,
    /// Register range FIRST-LAST, e.g. 0x00-0x1f (not with mode s; for W, FIRST even and
    /// LAST odd).
    #[arg(short = 'r', long = "range")]
    range: Option<String>,
    /// Bus: number, /dev path or adapter name.
    bus: String,
    /// Chip address (0x08-0x77; 0x00-0x7f with -a).
    address: String,
    /// b: byte data (default), w: word data, W: word data at even registers, s: SMBus
    /// block, i: I2C block, c: consecutive receive byte; append `p` for PEC (not i, W).
    mode: Option<String>,
    /// Bank (0-15) to select first through BANKREG (W83781D-like chips); for mode s, the
    /// block's command (default 0).
    bank: Option<String>,
    /// The bank register (default 0x4e).
    bankreg: Option<String>,
}

/// `udrv i2c transfer`
#[derive(Args, Debug)]
pub struct TransferArgs {
    #[command(flatten)]
    common: Common,
    /// Print every message, written bytes too (as i2ctransfer -v).
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Bus: number, /dev path or adapter name.
    bus: String,
    /// Messages: `{r|w}LENGTH[@ADDRESS]`, writes followed by their bytes.
    #[arg(num_args = 1.., required = true, allow_hyphen_values = true)]
    msgs: Vec<String>,
}

/// Runs an `udrv i2c` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    match cmd {
        Cmd::List => detect::list(cli),
        Cmd::Detect(a) => detect::detect(a, cli),
        Cmd::Get(a) => get::get(a, cli),
        Cmd::Set(a) => set::set(a, cli),
        Cmd::Dump(a) => dump::dump(a, cli),
        Cmd::Transfer(a) => transfer::transfer(a, cli),
    }
}

fn prepare(bus: &mut Bus, force: bool, pec: bool) -> Outcome {
    bus.set_force(force);
    if pec {
        bus.set_pec(true)?;
    }
    Ok(())
}

/// `0x12`, or `0x1234` for word modes: how i2c-tools prints a value.
fn hex(v: u16, word: bool) -> String {
    if word {
        format!("0x{v:04x}")
    } else {
        format!("0x{v:02x}")
    }
}

/// Bytes as i2cget and i2ctransfer print them: `0x01 0x02 0x03`.
fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|b| format!("0x{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
