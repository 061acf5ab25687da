//! `udrv i2c`: list, detect, get, set, dump, transfer, in the conventions of i2c-tools.

mod bus;
pub mod format;
pub mod syntax;

#[cfg(test)]
mod fuzz;

use bus::Bus;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use udrv_core::i2c::{self as core_i2c, Funcs};

use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};
use format::{AdapterKind, Probe};
use syntax::{
    is_set_mode, parse_address, parse_byte, parse_in_range, parse_mask, parse_mode, parse_range,
    parse_set, Dir, Mode, BLOCK_MAX,
};

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
        Cmd::List => list(cli),
        Cmd::Detect(a) => detect(a, cli),
        Cmd::Get(a) => get(a, cli),
        Cmd::Set(a) => set(a, cli),
        Cmd::Dump(a) => dump(a, cli),
        Cmd::Transfer(a) => transfer(a, cli),
    }
}

/// The kernel's limit of messages in one `I2C_RDWR` ioctl (`I2C_RDWR_IOCTL_MAX_MSGS`).
const MAX_MESSAGES: usize = 42;

/// The capabilities `i2cdetect -F` lists, in its order and spelling (i2c-tools 4.3).
const FUNC_NAMES: &[(&str, Funcs)] = &[
    ("I2C", Funcs::I2C),
    ("SMBus Quick Command", Funcs::SMBUS_QUICK),
    ("SMBus Send Byte", Funcs::SMBUS_WRITE_BYTE),
    ("SMBus Receive Byte", Funcs::SMBUS_READ_BYTE),
    ("SMBus Write Byte", Funcs::SMBUS_WRITE_BYTE_DATA),
    ("SMBus Read Byte", Funcs::SMBUS_READ_BYTE_DATA),
    ("SMBus Write Word", Funcs::SMBUS_WRITE_WORD_DATA),
    ("SMBus Read Word", Funcs::SMBUS_READ_WORD_DATA),
    ("SMBus Process Call", Funcs::SMBUS_PROC_CALL),
    ("SMBus Block Write", Funcs::SMBUS_WRITE_BLOCK_DATA),
    ("SMBus Block Read", Funcs::SMBUS_READ_BLOCK_DATA),
    ("SMBus Block Process Call", Funcs::SMBUS_BLOCK_PROC_CALL),
    ("SMBus PEC", Funcs::SMBUS_PEC),
    ("I2C Block Write", Funcs::SMBUS_WRITE_I2C_BLOCK),
    ("I2C Block Read", Funcs::SMBUS_READ_I2C_BLOCK),
];

/// One bus as `udrv --json i2c list` (and `detect -F`) describe it: `funcs` holds the
/// kernel's names of its capabilities (`I2C_FUNC_...`), `null` when it cannot be opened.
fn adapter_json(bus: Option<u32>, path: &str, name: &str, funcs: Option<Funcs>) -> Value {
    json!({
        "bus": bus,
        "path": path,
        "name": name,
        "type": AdapterKind::of(name, funcs).name(),
        "funcs": funcs.map(|f| f.iter_names().map(|(n, _)| n).collect::<Vec<_>>()),
    })
}

fn list(cli: &Cli) -> Outcome {
    if crate::open::is_virtual(cli) {
        let bus = Bus::open("i2c-1", cli)?;
        let funcs = Some(bus.funcs());
        if cli.json {
            json_line(&json!([adapter_json(
                Some(1),
                &bus.path(),
                &bus.name(),
                funcs
            )]));
        } else {
            let kind = AdapterKind::of(&bus.name(), funcs);
            outln!("{}", format::list_line(1, kind, &bus.name()));
        }
        return Ok(());
    }
    let adapters = core_i2c::adapters()
        .map_err(|e| Failure::op(format!("cannot list I2C buses in /sys/class/i2c-dev: {e}")))?;
    if adapters.is_empty() && !cli.json {
        eprintln!(
            "udrv: no I2C buses: load i2c-dev (`sudo modprobe i2c-dev`); on a Raspberry Pi \
             enable one with `dtparam=i2c_arm=on`"
        );
    }
    let mut rows = Vec::new();
    for a in &adapters {
        let funcs = a.open().ok().map(|b| b.funcs());
        if cli.json {
            rows.push(adapter_json(
                Some(a.number),
                &a.path.display().to_string(),
                &a.name,
                funcs,
            ));
        } else {
            let kind = AdapterKind::of(&a.name, funcs);
            outln!("{}", format::list_line(a.number, kind, &a.name));
        }
    }
    if cli.json {
        json_line(&json!(rows));
    }
    Ok(())
}

fn detect(a: &DetectArgs, cli: &Cli) -> Outcome {
    if a.list {
        return list(cli);
    }
    let Some(bus_spec) = a.bus.as_deref() else {
        return Err(Failure::usage(
            "which bus? e.g. `udrv i2c detect -y 1` (see `udrv i2c list`)",
        ));
    };
    let (lo, hi) = if a.common.all {
        (0x00, 0x7f)
    } else {
        (0x08, 0x77)
    };
    let first = match &a.first {
        Some(s) => parse_in_range(s, "first address", lo, hi)? as u16,
        None => lo as u16,
    };
    let last = match &a.last {
        Some(s) => parse_in_range(s, "last address", first as u64, hi)? as u16,
        None => hi as u16,
    };
    let bus = Bus::open(bus_spec, cli)?;
    let funcs = bus.funcs();
    if a.funcs {
        if cli.json {
            json_line(&adapter_json(
                bus.number(),
                &bus.path(),
                &bus.name(),
                Some(funcs),
            ));
        } else {
            let caps: Vec<(&str, bool)> = FUNC_NAMES
                .iter()
                .map(|(n, f)| (*n, funcs.contains(*f)))
                .collect();
            out!("{}", format::funcs(&bus.path(), &caps));
        }
        return Ok(());
    }
    let can_quick = funcs.contains(Funcs::SMBUS_QUICK);
    let can_read = funcs.contains(Funcs::SMBUS_READ_BYTE);
    if !can_quick && !can_read {
        return Err(Failure::op(format!(
            "{}: the adapter `{}` can do neither SMBus quick write nor receive byte, the \
             two commands a scan probes with: try `udrv probe` or `udrv i2c get` at the \
             addresses you expect",
            bus.path(),
            bus.name()
        )));
    }
    if a.quick && !can_quick {
        return Err(Failure::op(format!(
            "{}: the adapter `{}` cannot do SMBus quick write; probe with -r instead",
            bus.path(),
            bus.name()
        )));
    }
    if a.read && !can_read {
        return Err(Failure::op(format!(
            "{}: the adapter `{}` cannot do SMBus receive byte; probe with -q instead",
            bus.path(),
            bus.name()
        )));
    }
    let auto = !a.quick && !a.read;
    if auto && !(can_quick && can_read) {
        eprintln!(
            "udrv: warning: {} cannot do SMBus {}: addresses probed with it are left blank \
             (as i2cdetect does)",
            bus.path(),
            if can_quick {
                "receive byte"
            } else {
                "quick write"
            }
        );
    }
    let uses_quick = a.quick || (!a.read && can_quick);
    if uses_quick {
        confirm(
            a.common.yes,
            &format!(
                "probe {} addresses {first:#04x}-{last:#04x} with SMBus quick write, which \
                 can confuse some chips",
                bus.path()
            ),
        )?;
    }
    let mut cells = [Probe::Skipped; 0x80];
    for addr in first..=last {
        let Some(cmd) = probe_command(addr, a.quick, a.read, funcs) else {
            continue; // as i2cdetect: the safe command for this address is missing
        };
        if bus.address_user(addr)?.is_some() {
            cells[addr as usize] = Probe::Busy;
            continue;
        }
        let found = match cmd {
            ProbeCmd::ReceiveByte => bus.smbus_read_byte(addr).is_ok(),
            ProbeCmd::QuickWrite => bus.smbus_quick(addr).is_ok(),
        };
        cells[addr as usize] = if found { Probe::Present } else { Probe::Absent };
    }
    if cli.json {
        let present: Vec<u16> = (0..0x80u16)
            .filter(|&a| cells[a as usize] == Probe::Present)
            .collect();
        let busy: Vec<u16> = (0..0x80u16)
            .filter(|&a| cells[a as usize] == Probe::Busy)
            .collect();
        json_line(&json!({
            "bus": bus.number(),
            "first": first,
            "last": last,
            "present": present,
            "busy": busy,
        }));
    } else {
        out!("{}", format::detect_grid(|a| cells[a as usize]));
    }
    Ok(())
}

/// How `detect` probes an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProbeCmd {
    /// SMBus quick write.
    QuickWrite,
    /// SMBus receive byte.
    ReceiveByte,
}

/// The command `detect` probes `addr` with, as i2cdetect chooses it: `-q` quick write,
/// `-r` receive byte, by default receive byte at 0x30-0x37 and 0x50-0x5f (quick write can
/// corrupt some EEPROMs there) and quick write elsewhere (receive byte can lock up
/// write-only chips). `None` when the adapter cannot do that command: the address is left
/// blank, never probed with the other one.
fn probe_command(addr: u16, quick: bool, read: bool, funcs: Funcs) -> Option<ProbeCmd> {
    let eeprom_like = (0x30..=0x37).contains(&addr) || (0x50..=0x5f).contains(&addr);
    let cmd = if read || (!quick && eeprom_like) {
        ProbeCmd::ReceiveByte
    } else {
        ProbeCmd::QuickWrite
    };
    let need = match cmd {
        ProbeCmd::ReceiveByte => Funcs::SMBUS_READ_BYTE,
        ProbeCmd::QuickWrite => Funcs::SMBUS_QUICK,
    };
    funcs.contains(need).then_some(cmd)
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

fn get(a: &GetArgs, cli: &Cli) -> Outcome {
    let addr = parse_address(&a.address, a.common.reserved_ok())?;
    let reg = a
        .register
        .as_deref()
        .map(|r| parse_byte(r, "register"))
        .transpose()?;
    let (mode, pec) = match (a.mode.as_deref(), reg) {
        (Some(m), Some(_)) => parse_mode(m, "bwcsi")?,
        (Some(_), None) => return Err(Failure::usage("a mode needs a register")),
        (None, Some(_)) => (Mode::Byte, false),
        (None, None) => (Mode::Plain, false),
    };
    let length = match (&a.length, mode) {
        (None, _) => BLOCK_MAX,
        (Some(l), Mode::I2cBlock) => parse_in_range(l, "length", 1, BLOCK_MAX as u64)? as usize,
        (Some(l), _) => {
            return Err(Failure::usage(format!(
                "a LENGTH ({l}) applies to mode i (I2C block) only"
            )))
        }
    };
    let mut bus = Bus::open(&a.bus, cli)?;
    if let (Mode::Plain, Some(r)) = (mode, reg) {
        confirm(
            a.common.yes,
            &format!(
                "write {r:#04x} to chip {addr:#04x} on {} (mode c: send byte, then receive \
                 byte)",
                bus.path()
            ),
        )?;
    }
    prepare(&mut bus, a.common.force, pec)?;
    let value: Result<u16, Vec<u8>> = match (mode, reg) {
        (Mode::Word, Some(r)) => Ok(bus.smbus_read_word_data(addr, r)?),
        (Mode::Plain, r) => {
            if let Some(r) = r {
                bus.smbus_write_byte(addr, r)?;
            }
            Ok(bus.smbus_read_byte(addr)?.into())
        }
        (Mode::SmbusBlock, Some(r)) => Err(bus.smbus_read_block_data(addr, r)?),
        (Mode::I2cBlock, Some(r)) => {
            let mut buf = vec![0u8; length];
            let n = bus.smbus_read_i2c_block_data(addr, r, &mut buf)?;
            buf.truncate(n);
            Err(buf)
        }
        (_, Some(r)) => Ok(bus.smbus_read_byte_data(addr, r)?.into()),
        (_, None) => unreachable!("only mode c goes without a register"),
    };
    let (bus_no, m) = (bus.number(), mode.letter().to_string());
    match value {
        Ok(v) if cli.json => json_line(&json!({
            "bus": bus_no, "address": addr, "register": reg, "mode": m, "value": v,
        })),
        Ok(v) => outln!("{}", hex(v, mode.is_word())),
        Err(block) if cli.json => json_line(&json!({
            "bus": bus_no, "address": addr, "register": reg, "mode": m, "values": block,
        })),
        Err(block) => outln!("{}", hex_bytes(&block)),
    }
    Ok(())
}

fn set(a: &SetArgs, cli: &Cli) -> Outcome {
    let addr = parse_address(&a.address, a.common.reserved_ok())?;
    let reg = parse_byte(&a.register, "register")?;
    let spec = parse_set(&a.values, a.mode.as_deref())?;
    let mask = a
        .mask
        .as_deref()
        .map(|m| {
            parse_mask(m, spec.mode).map_err(|e| {
                if syntax::parse_number(m).is_err() && is_set_mode(m) {
                    Failure::usage(format!(
                        "{e}: -m is the mask, as in i2cset; give the mode last (`... 0x60 \
                         {m}`) or as --mode {m}"
                    ))
                } else {
                    e.into()
                }
            })
        })
        .transpose()?;
    let mode = spec.mode;
    let word = mode.is_word();
    let mut bus = Bus::open(&a.bus, cli)?;
    let what = match mode {
        Mode::Plain => format!("send byte {reg:#04x} (a short write)"),
        Mode::Byte | Mode::Word => {
            format!("write {} to register {reg:#04x}", hex(spec.values[0], word))
        }
        _ => format!(
            "write {} to register {reg:#04x} (mode {})",
            spec.values
                .iter()
                .map(|b| format!("{b:#04x}"))
                .collect::<Vec<_>>()
                .join(" "),
            mode.letter()
        ),
    };
    let masked = mask.map(|m| format!(" under mask {}", hex(m, word)));
    confirm(
        a.common.yes,
        &format!(
            "{what}{} of chip {addr:#04x} on {}",
            masked.unwrap_or_default(),
            bus.path()
        ),
    )?;
    bus.set_force(a.common.force);
    // The value of b, w and c writes (for c, the data address itself is the byte sent).
    let mut value: Option<u16> = match mode {
        Mode::Plain => Some(reg.into()),
        Mode::Byte | Mode::Word => Some(spec.values[0]),
        _ => None,
    };
    if let (Some(mask), Some(v)) = (mask, value) {
        // As i2cset: read the old value (without PEC), keep the bits outside the mask.
        let old = match mode {
            Mode::Plain => bus.smbus_read_byte(addr).map(u16::from),
            Mode::Word => bus.smbus_read_word_data(addr, reg),
            _ => bus.smbus_read_byte_data(addr, reg).map(u16::from),
        }
        .map_err(|e| {
            Failure::op(format!(
                "{}; -m needs the register's old value: nothing was written",
                e.message
            ))
        })?;
        value = Some((v & mask) | (old & !mask));
    }
    if spec.pec {
        bus.set_pec(true)?;
    }
    let bytes: Vec<u8> = match (mode, value) {
        (Mode::Word, Some(v)) => v.to_le_bytes().to_vec(),
        (_, Some(v)) => vec![v as u8],
        _ => spec.values.iter().map(|&b| b as u8).collect(),
    };
    match (mode, value) {
        (Mode::Plain, Some(v)) => bus.smbus_write_byte(addr, v as u8),
        (Mode::Word, Some(v)) => bus.smbus_write_word_data(addr, reg, v),
        (Mode::Byte, Some(v)) => bus.smbus_write_byte_data(addr, reg, v as u8),
        (Mode::SmbusBlock, _) => bus.smbus_write_block_data(addr, reg, &bytes),
        _ => bus.smbus_write_i2c_block_data(addr, reg, &bytes),
    }?;
    if spec.pec {
        bus.set_pec(false)?;
    }
    let mut out = json!({
        "bus": bus.number(), "address": addr, "register": reg,
        "mode": mode.letter().to_string(), "written": bytes,
    });
    if let Some(v) = value {
        out["value"] = json!(v);
    }
    if a.readback {
        // As i2cset -r: the same kind of read as the write, reported on standard output;
        // blocks are read back whole (i2cset compares them with a single byte).
        let (text, back, matched) = match value {
            Some(v) => {
                let r = match mode {
                    Mode::Plain => bus.smbus_read_byte(addr).map(u16::from),
                    Mode::Word => bus.smbus_read_word_data(addr, reg),
                    _ => bus.smbus_read_byte_data(addr, reg).map(u16::from),
                };
                match r {
                    Err(_) => ("Warning - readback failed".to_string(), json!(null), false),
                    Ok(r) if r != v => (
                        format!(
                            "Warning - data mismatch - wrote {}, read back {}",
                            hex(v, word),
                            hex(r, word)
                        ),
                        json!(r),
                        false,
                    ),
                    Ok(r) => (
                        format!("Value {} written, readback matched", hex(v, word)),
                        json!(r),
                        true,
                    ),
                }
            }
            None => {
                let r = if mode == Mode::SmbusBlock {
                    bus.smbus_read_block_data(addr, reg)
                } else {
                    let mut buf = vec![0u8; bytes.len()];
                    bus.smbus_read_i2c_block_data(addr, reg, &mut buf)
                        .map(|n| buf[..n].to_vec())
                };
                match r {
                    Err(_) => ("Warning - readback failed".to_string(), json!(null), false),
                    Ok(r) if r != bytes => (
                        format!(
                            "Warning - data mismatch - wrote {}, read back {}",
                            hex_bytes(&bytes),
                            hex_bytes(&r)
                        ),
                        json!(r),
                        false,
                    ),
                    Ok(r) => (
                        format!("Values {} written, readback matched", hex_bytes(&bytes)),
                        json!(r),
                        true,
                    ),
                }
            }
        };
        if cli.json {
            out["readback"] = back;
            out["matched"] = json!(matched);
        } else {
            outln!("{text}");
        }
    }
    if cli.json {
        json_line(&out);
    }
    Ok(())
}

/// A dump's cells: bytes, or words for mode `w`.
enum Cells {
    Bytes(Box<[Option<Result<u8, ()>>; 256]>),
    Words(Box<[Option<Result<u16, ()>>; 256]>),
    Block(Vec<u8>),
}

fn dump(a: &DumpArgs, cli: &Cli) -> Outcome {
    let addr = parse_address(&a.address, a.common.reserved_ok())?;
    let (mode, pec) = match a.mode.as_deref() {
        Some(m) => parse_mode(m, "bwWsic")?,
        None => (Mode::Byte, false),
    };
    // i2cdump's BANK and BANKREG: a bank (0-15) selected through BANKREG first, or for
    // mode s the block's command.
    let bank = match (&a.bank, mode) {
        (None, _) => 0,
        (Some(b), Mode::I2cBlock) => {
            return Err(Failure::usage(format!(
                "bank {b}: mode i takes no bank (as in i2cdump)"
            )))
        }
        (Some(b), Mode::SmbusBlock) => parse_byte(b, "block command")?,
        (Some(b), _) => parse_in_range(b, "bank", 0, 15)? as u8,
    };
    let bankreg = match (&a.bankreg, mode) {
        (None, _) => 0x4e,
        (Some(r), Mode::SmbusBlock) => {
            return Err(Failure::usage(format!(
                "bank register {r}: mode s takes a command, not a bank register"
            )))
        }
        (Some(r), _) => parse_byte(r, "bank register")?,
    };
    let (first, last) = match &a.range {
        None => (0u8, 0xffu8),
        Some(_) if mode == Mode::SmbusBlock => {
            return Err(Failure::usage(
                "-r does not apply to mode s: the chip says how long its block is",
            ))
        }
        Some(r) => {
            let (f, l) = parse_range(r)?;
            if mode == Mode::EvenWord && (f % 2 != 0 || l % 2 != 1) {
                return Err(Failure::usage(format!(
                    "range `{r}`: mode W reads words at even registers, so FIRST must be \
                     even and LAST odd, e.g. 0x00-0x1f"
                )));
            }
            (f, l)
        }
    };
    let switch_bank = bank != 0 && mode != Mode::SmbusBlock;
    let mut bus = Bus::open(&a.bus, cli)?;
    if mode == Mode::Plain || switch_bank {
        let what = if switch_bank {
            format!("write bank {bank} into register {bankreg:#04x}")
        } else {
            format!("write the start address {first:#04x}")
        };
        confirm(
            a.common.yes,
            &format!(
                "{what} of chip {addr:#04x} on {} before dumping",
                bus.path()
            ),
        )?;
    }
    prepare(&mut bus, a.common.force, pec)?;
    let mut old_bank = None;
    if switch_bank {
        let old = bus.smbus_read_byte_data(addr, bankreg)?;
        bus.smbus_write_byte_data(addr, bankreg, bank | (old & 0xf0))?;
        old_bank = Some(old);
    }
    let cells = read_cells(&bus, addr, mode, bank, first, last);
    if let Some(old) = old_bank {
        bus.smbus_write_byte_data(addr, bankreg, old)?;
    }
    let cells = cells?;
    let (first, last) = match &cells {
        Cells::Block(b) => (0, b.len().saturating_sub(1) as u8),
        _ => (first, last),
    };
    let range = first as usize..=last as usize;
    if cli.json {
        let values: Vec<Value> = match &cells {
            Cells::Words(w) => w[range].iter().map(cell_json).collect(),
            Cells::Bytes(b) => b[range].iter().map(cell_json).collect(),
            Cells::Block(b) => b.iter().map(|v| json!(v)).collect(),
        };
        json_line(&json!({
            "bus": bus.number(), "address": addr, "mode": mode.letter().to_string(),
            "first": first, "last": last, "values": values,
        }));
    } else {
        match &cells {
            Cells::Words(w) => out!("{}", format::dump_words(w)),
            Cells::Bytes(b) => out!("{}", format::dump_bytes(b)),
            Cells::Block(b) => out!("{}", format::dump_block(b)),
        }
    }
    Ok(())
}

fn cell_json<T: Copy + Into<Value>>(c: &Option<Result<T, ()>>) -> Value {
    match c {
        Some(Ok(v)) => (*v).into(),
        _ => Value::Null,
    }
}

/// The reads of a dump, in i2cdump's order.
fn read_cells(
    bus: &Bus,
    addr: u16,
    mode: Mode,
    bank: u8,
    first: u8,
    last: u8,
) -> Result<Cells, Failure> {
    let mut bytes = Box::new([None; 256]);
    let mut words = Box::new([None; 256]);
    match mode {
        Mode::SmbusBlock => {
            return Ok(Cells::Block(bus.smbus_read_block_data(addr, bank)?));
        }
        Mode::Word => {
            for r in first..=last {
                words[r as usize] = Some(bus.smbus_read_word_data(addr, r).map_err(drop));
            }
        }
        Mode::EvenWord => {
            for r in (first..=last).step_by(2) {
                let w = bus.smbus_read_word_data(addr, r).map_err(drop);
                bytes[r as usize] = Some(w.map(|w| w as u8));
                bytes[r as usize + 1] = Some(w.map(|w| (w >> 8) as u8));
            }
        }
        Mode::I2cBlock => {
            let mut r = first as usize;
            while r <= last as usize {
                let n = (last as usize + 1 - r).min(BLOCK_MAX);
                let mut buf = [0u8; BLOCK_MAX];
                let res = bus.smbus_read_i2c_block_data(addr, r as u8, &mut buf[..n]);
                for k in 0..n {
                    bytes[r + k] = Some(match &res {
                        Ok(got) if k < *got => Ok(buf[k]),
                        _ => Err(()),
                    });
                }
                r += n;
            }
        }
        Mode::Plain => {
            // As i2cdump: the start address first (most chips take it as their pointer),
            // then one receive byte per register.
            bus.smbus_write_byte(addr, first).map_err(|e| {
                Failure::op(format!(
                    "{}; mode c writes the start address first",
                    e.message
                ))
            })?;
            for r in first..=last {
                bytes[r as usize] = Some(bus.smbus_read_byte(addr).map_err(drop));
            }
        }
        Mode::Byte => {
            for r in first..=last {
                bytes[r as usize] = Some(bus.smbus_read_byte_data(addr, r).map_err(drop));
            }
        }
    }
    // A chip that answers nothing at all is an error, not a table of XX.
    let any_ok = bytes.iter().any(|c| matches!(c, Some(Ok(_))))
        || words.iter().any(|c| matches!(c, Some(Ok(_))));
    if !any_ok {
        bus.smbus_read_byte_data(addr, first)?;
    }
    Ok(if mode == Mode::Word {
        Cells::Words(words)
    } else {
        Cells::Bytes(bytes)
    })
}

fn transfer(a: &TransferArgs, cli: &Cli) -> Outcome {
    let msgs = syntax::parse_transfer(&a.msgs, a.common.reserved_ok())?;
    if msgs.len() > MAX_MESSAGES {
        return Err(Failure::usage(format!(
            "{} messages given; the kernel's I2C_RDWR takes at most {MAX_MESSAGES}",
            msgs.len()
        )));
    }
    let mut bus = Bus::open(&a.bus, cli)?;
    if msgs.iter().any(|m| m.dir == Dir::Write) {
        confirm(
            a.common.yes,
            &format!("send {} messages on {}", msgs.len(), bus.path()),
        )?;
    }
    bus.set_force(a.common.force);
    let mut bufs: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| {
            if m.dir == Dir::Read {
                vec![0; m.len]
            } else {
                m.data.clone()
            }
        })
        .collect();
    // One I2C_RDWR ioctl, each message as given (repeated starts, no merging).
    bus.transfer(&msgs, &mut bufs)?;
    if cli.json {
        let reads: Vec<&Vec<u8>> = msgs
            .iter()
            .zip(&bufs)
            .filter(|(m, _)| m.dir == Dir::Read)
            .map(|(_, b)| b)
            .collect();
        json_line(&json!({"bus": bus.number(), "reads": reads}));
        return Ok(());
    }
    // As i2ctransfer: the bytes of each non-empty read; with -v every message, with a
    // header, and the written bytes too.
    for (i, (m, b)) in msgs.iter().zip(&bufs).enumerate() {
        let read = m.dir == Dir::Read;
        if a.verbose {
            let dir = if read { "read" } else { "write" };
            let head = format!("msg {i}: addr 0x{:02x}, {dir}, len {}", m.addr, m.len);
            if b.is_empty() {
                outln!("{head}");
            } else {
                outln!("{head}, buf {}", hex_bytes(b));
            }
        } else if read && !b.is_empty() {
            outln!("{}", hex_bytes(b));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_probes_as_i2cdetect_and_skips_what_the_adapter_cannot_do() {
        let all = Funcs::SMBUS_QUICK | Funcs::SMBUS_READ_BYTE;
        assert_eq!(
            probe_command(0x48, false, false, all),
            Some(ProbeCmd::QuickWrite)
        );
        assert_eq!(
            probe_command(0x50, false, false, all),
            Some(ProbeCmd::ReceiveByte)
        );
        assert_eq!(
            probe_command(0x37, false, false, all),
            Some(ProbeCmd::ReceiveByte)
        );
        assert_eq!(
            probe_command(0x50, true, false, all),
            Some(ProbeCmd::QuickWrite)
        );
        assert_eq!(
            probe_command(0x48, false, true, all),
            Some(ProbeCmd::ReceiveByte)
        );
        // No quick write: i2cdetect leaves 0x48 blank rather than reading it (a receive
        // byte can lock up write-only chips); no receive byte: the EEPROM range blank.
        assert_eq!(
            probe_command(0x48, false, false, Funcs::SMBUS_READ_BYTE),
            None
        );
        assert_eq!(probe_command(0x50, false, false, Funcs::SMBUS_QUICK), None);
        assert_eq!(
            probe_command(0x50, false, false, Funcs::SMBUS_READ_BYTE),
            Some(ProbeCmd::ReceiveByte)
        );
    }
}
