//! `udrv i2c`: list, detect, get, set, dump, transfer, in the conventions of i2c-tools.

mod bus;
pub mod format;
pub mod syntax;

#[cfg(test)]
mod fuzz;

use bus::Bus;
use clap::{Args, Subcommand};
use serde_json::json;
use udrv_core::i2c::{self as core_i2c, Funcs};

use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};
use format::Probe;
use syntax::{parse_address, parse_byte, parse_in_range, Dir};

/// `udrv i2c ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the I2C buses (as `i2cdetect -l`).
    List,
    /// Scan a bus for chips (as `i2cdetect`): `--` nothing, `UU` held by a kernel driver.
    Detect(DetectArgs),
    /// Read a register (as `i2cget`).
    Get(GetArgs),
    /// Write a register (as `i2cset`).
    Set(SetArgs),
    /// Dump a chip's registers (as `i2cdump`).
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
    /// Access the chip even when a kernel driver holds its address (I2C_SLAVE_FORCE), and
    /// allow reserved addresses. Dangerous: the driver does not know.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
}

/// `udrv i2c detect`
#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    common: Common,
    /// Probe every address 0x00-0x7f, including the reserved ones.
    #[arg(short = 'a', long = "all")]
    all: bool,
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
    bus: String,
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
    /// Chip address (0x08-0x77).
    address: String,
    /// Register (data address); without it, a plain receive byte.
    register: Option<String>,
    /// b: byte data (default), w: word data, c: write byte then receive byte; append `p`
    /// for SMBus PEC.
    mode: Option<String>,
}

/// `udrv i2c set`
#[derive(Args, Debug)]
pub struct SetArgs {
    #[command(flatten)]
    common: Common,
    /// Bus: number, /dev path or adapter name.
    bus: String,
    /// Chip address (0x08-0x77).
    address: String,
    /// Register (data address).
    register: String,
    /// Value(s): one for b/w, several for s (SMBus block) and i (I2C block).
    #[arg(num_args = 1.., required = true)]
    values: Vec<String>,
    /// Mode: b (byte, default), w (word), s (SMBus block), i (I2C block); append `p` for
    /// PEC.
    #[arg(short = 'm', long = "mode", default_value = "b")]
    mode: String,
}

/// `udrv i2c dump`
#[derive(Args, Debug)]
pub struct DumpArgs {
    #[command(flatten)]
    common: Common,
    /// Register range FIRST-LAST, e.g. 0x00-0x1f.
    #[arg(short = 'r', long = "range")]
    range: Option<String>,
    /// Bus: number, /dev path or adapter name.
    bus: String,
    /// Chip address (0x08-0x77).
    address: String,
    /// b: byte data (default), w: word data, i: I2C block, c: consecutive receive byte.
    mode: Option<String>,
}

/// `udrv i2c transfer`
#[derive(Args, Debug)]
pub struct TransferArgs {
    #[command(flatten)]
    common: Common,
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

/// The capabilities `i2cdetect -F` lists, in its order.
const FUNC_NAMES: &[(&str, Funcs)] = &[
    ("I2C", Funcs::I2C),
    ("SMBus quick command", Funcs::SMBUS_QUICK),
    ("SMBus send byte", Funcs::SMBUS_WRITE_BYTE),
    ("SMBus receive byte", Funcs::SMBUS_READ_BYTE),
    ("SMBus write byte", Funcs::SMBUS_WRITE_BYTE_DATA),
    ("SMBus read byte", Funcs::SMBUS_READ_BYTE_DATA),
    ("SMBus write word", Funcs::SMBUS_WRITE_WORD_DATA),
    ("SMBus read word", Funcs::SMBUS_READ_WORD_DATA),
    ("SMBus process call", Funcs::SMBUS_PROC_CALL),
    ("SMBus block write", Funcs::SMBUS_WRITE_BLOCK_DATA),
    ("SMBus block read", Funcs::SMBUS_READ_BLOCK_DATA),
    ("SMBus block process call", Funcs::SMBUS_BLOCK_PROC_CALL),
    ("SMBus PEC", Funcs::SMBUS_PEC),
    ("I2C block write", Funcs::SMBUS_WRITE_I2C_BLOCK),
    ("I2C block read", Funcs::SMBUS_READ_I2C_BLOCK),
];

fn list(cli: &Cli) -> Outcome {
    if crate::read::is_virtual(cli) {
        let bus = Bus::open("i2c-1", cli)?;
        if cli.json {
            json_line(&json!([{
                "bus": 1, "path": bus.path(), "name": bus.name(), "type": "i2c",
                "funcs": bus.funcs().iter_names().map(|(n, _)| n).collect::<Vec<_>>(),
            }]));
        } else {
            outln!("{}", format::list_line(1, true, &bus.name()));
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
        let plain = funcs.is_some_and(|f| f.contains(Funcs::I2C));
        if cli.json {
            rows.push(json!({
                "bus": a.number,
                "path": a.path,
                "name": a.name,
                "type": match funcs { None => "unknown", Some(_) if plain => "i2c", Some(_) => "smbus" },
                "funcs": funcs.map(|f| f.iter_names().map(|(n, _)| n).collect::<Vec<_>>()),
            }));
        } else {
            outln!("{}", format::list_line(a.number, plain, &a.name));
        }
    }
    if cli.json {
        json_line(&json!(rows));
    }
    Ok(())
}

fn detect(a: &DetectArgs, cli: &Cli) -> Outcome {
    let (lo, hi) = if a.all { (0x00, 0x7f) } else { (0x08, 0x77) };
    let first = match &a.first {
        Some(s) => parse_in_range(s, "first address", lo, hi)? as u16,
        None => lo as u16,
    };
    let last = match &a.last {
        Some(s) => parse_in_range(s, "last address", first as u64, hi)? as u16,
        None => hi as u16,
    };
    let bus = Bus::open(&a.bus, cli)?;
    let funcs = bus.funcs();
    if a.funcs {
        let bus_no = bus.number().unwrap_or(0);
        if cli.json {
            let caps: serde_json::Map<String, serde_json::Value> = FUNC_NAMES
                .iter()
                .map(|(n, f)| (n.to_string(), json!(funcs.contains(*f))))
                .collect();
            json_line(&json!({"bus": bus_no, "name": bus.name(), "funcs": caps}));
        } else {
            let caps: Vec<(&str, bool)> = FUNC_NAMES
                .iter()
                .map(|(n, f)| (*n, funcs.contains(*f)))
                .collect();
            out!("{}", format::funcs(bus_no, &caps));
        }
        return Ok(());
    }
    let can_quick = funcs.contains(Funcs::SMBUS_QUICK);
    let can_read = funcs.contains(Funcs::SMBUS_READ_BYTE);
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
        if bus.address_user(addr)?.is_some() {
            cells[addr as usize] = Probe::Busy;
            continue;
        }
        let eeprom_like = (0x30..=0x37).contains(&addr) || (0x50..=0x5f).contains(&addr);
        let use_read = a.read || (!a.quick && (eeprom_like || !can_quick) && can_read);
        let found = if use_read {
            bus.smbus_read_byte(addr).is_ok()
        } else {
            bus.smbus_quick(addr).is_ok()
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

/// A mode letter with an optional `p` (PEC) suffix.
fn parse_mode(m: Option<&str>, allowed: &str, default: char) -> Result<(char, bool), Failure> {
    let m = m.unwrap_or("");
    let (letter, pec) = match m.strip_suffix('p') {
        Some(rest) => (rest, true),
        None => (m, false),
    };
    let c = match letter.len() {
        0 => default,
        1 => letter.chars().next().unwrap_or(default),
        _ => ' ',
    };
    if !allowed.contains(c) {
        return Err(Failure::usage(format!(
            "mode `{m}` is not one of {} (append p for PEC)",
            allowed
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok((c, pec))
}

fn prepare(bus: &mut Bus, force: bool, pec: bool) -> Outcome {
    bus.set_force(force);
    if pec {
        bus.set_pec()?;
    }
    Ok(())
}

fn get(a: &GetArgs, cli: &Cli) -> Outcome {
    let addr = parse_address(&a.address, a.common.force)?;
    let reg = a
        .register
        .as_deref()
        .map(|r| parse_byte(r, "register"))
        .transpose()?;
    let (mode, pec) = parse_mode(a.mode.as_deref(), "bwc", 'b')?;
    if reg.is_none() && a.mode.is_some() {
        return Err(Failure::usage("a mode needs a register"));
    }
    let mut bus = Bus::open(&a.bus, cli)?;
    if mode == 'c' {
        confirm(
            a.common.yes,
            &format!("write to chip {addr:#04x} on {}", bus.path()),
        )?;
    }
    prepare(&mut bus, a.common.force, pec)?;
    let (value, width) = match (reg, mode) {
        (None, _) => (bus.smbus_read_byte(addr)? as u16, 2),
        (Some(r), 'w') => (bus.smbus_read_word_data(addr, r)?, 4),
        (Some(r), 'c') => {
            bus.smbus_write_byte(addr, r)?;
            (bus.smbus_read_byte(addr)? as u16, 2)
        }
        (Some(r), _) => (bus.smbus_read_byte_data(addr, r)? as u16, 2),
    };
    if cli.json {
        json_line(&json!({"bus": bus.number(), "address": addr, "register": reg, "value": value}));
    } else {
        outln!("0x{value:0width$x}");
    }
    Ok(())
}

fn set(a: &SetArgs, cli: &Cli) -> Outcome {
    let addr = parse_address(&a.address, a.common.force)?;
    let reg = parse_byte(&a.register, "register")?;
    let (mode, pec) = parse_mode(Some(&a.mode), "bwsi", 'b')?;
    let bytes: Vec<u8> = match mode {
        'w' => {
            if a.values.len() != 1 {
                return Err(Failure::usage(
                    "mode w takes exactly one value (0x0000-0xffff)",
                ));
            }
            let v = parse_in_range(&a.values[0], "value", 0, 0xffff)? as u16;
            v.to_le_bytes().to_vec()
        }
        'b' => {
            if a.values.len() != 1 {
                return Err(Failure::usage(
                    "mode b takes exactly one value; use -m s or -m i for several",
                ));
            }
            vec![parse_byte(&a.values[0], "value")?]
        }
        _ => {
            if a.values.len() > 32 {
                return Err(Failure::usage(format!(
                    "a block write carries at most 32 bytes, {} given",
                    a.values.len()
                )));
            }
            a.values
                .iter()
                .map(|v| parse_byte(v, "value"))
                .collect::<Result<_, _>>()?
        }
    };
    let mut bus = Bus::open(&a.bus, cli)?;
    confirm(
        a.common.yes,
        &format!(
            "write {} to register {reg:#04x} of chip {addr:#04x} on {}",
            bytes
                .iter()
                .map(|b| format!("{b:#04x}"))
                .collect::<Vec<_>>()
                .join(" "),
            bus.path()
        ),
    )?;
    prepare(&mut bus, a.common.force, pec)?;
    let r = match mode {
        'w' => bus.smbus_write_word_data(addr, reg, u16::from_le_bytes([bytes[0], bytes[1]])),
        'b' => bus.smbus_write_byte_data(addr, reg, bytes[0]),
        's' => bus.smbus_write_block_data(addr, reg, &bytes),
        _ => bus.smbus_write_i2c_block_data(addr, reg, &bytes),
    };
    r?;
    if cli.json {
        json_line(
            &json!({"bus": bus.number(), "address": addr, "register": reg, "written": bytes}),
        );
    }
    Ok(())
}

fn dump(a: &DumpArgs, cli: &Cli) -> Outcome {
    let addr = parse_address(&a.address, a.common.force)?;
    let (mode, pec) = parse_mode(a.mode.as_deref(), "bwic", 'b')?;
    let (first, last) = match &a.range {
        None => (0u8, 0xffu8),
        Some(r) => {
            let (f, l) = r.split_once('-').ok_or_else(|| {
                Failure::usage(format!("range `{r}` is not FIRST-LAST, e.g. 0x00-0x1f"))
            })?;
            let f = parse_byte(f, "range start")?;
            let l = parse_byte(l, "range end")?;
            if l < f {
                return Err(Failure::usage(format!("range `{r}` ends before it starts")));
            }
            (f, l)
        }
    };
    let mut bus = Bus::open(&a.bus, cli)?;
    prepare(&mut bus, a.common.force, pec)?;
    let mut bytes: [Option<Result<u8, ()>>; 256] = [None; 256];
    let mut words: [Option<Result<u16, ()>>; 256] = [None; 256];
    match mode {
        'w' => {
            for r in first..=last {
                words[r as usize] = Some(bus.smbus_read_word_data(addr, r).map_err(drop));
            }
        }
        'i' => {
            let mut r = first as usize;
            while r <= last as usize {
                let n = (last as usize + 1 - r).min(32);
                let mut buf = [0u8; 32];
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
        'c' => {
            for r in first..=last {
                bytes[r as usize] = Some(bus.smbus_read_byte(addr).map_err(drop));
            }
        }
        _ => {
            for r in first..=last {
                bytes[r as usize] = Some(bus.smbus_read_byte_data(addr, r).map_err(drop));
            }
        }
    }
    // A chip that answers nothing at all is an error, not a table of XX.
    let any_ok = bytes.iter().any(|c| matches!(c, Some(Ok(_))))
        || words.iter().any(|c| matches!(c, Some(Ok(_))));
    if !any_ok {
        let probe = bus.smbus_read_byte_data(addr, first).map(drop);
        probe?;
    }
    if cli.json {
        let values: Vec<serde_json::Value> = if mode == 'w' {
            words
                .iter()
                .map(|c| match c {
                    Some(Ok(v)) => json!(v),
                    _ => json!(null),
                })
                .collect()
        } else {
            bytes
                .iter()
                .map(|c| match c {
                    Some(Ok(v)) => json!(v),
                    _ => json!(null),
                })
                .collect()
        };
        json_line(&json!({
            "bus": bus.number(), "address": addr, "mode": mode.to_string(),
            "first": first, "last": last, "values": values,
        }));
    } else if mode == 'w' {
        out!("{}", format::dump_words(&words));
    } else {
        out!("{}", format::dump_bytes(&bytes));
    }
    Ok(())
}

fn transfer(a: &TransferArgs, cli: &Cli) -> Outcome {
    let msgs = syntax::parse_transfer(&a.msgs, a.common.force)?;
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
    let reads: Vec<&Vec<u8>> = msgs
        .iter()
        .zip(&bufs)
        .filter(|(m, _)| m.dir == Dir::Read)
        .map(|(_, b)| b)
        .collect();
    if cli.json {
        json_line(&json!({"bus": bus.number(), "reads": reads}));
    } else {
        for r in reads {
            outln!(
                "{}",
                r.iter()
                    .map(|b| format!("{b:#04x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
    Ok(())
}
