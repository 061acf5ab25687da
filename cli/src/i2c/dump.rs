//! `udrv i2c dump`: a chip's registers, as `i2cdump`.

use serde_json::{json, Value};

use super::bus::Bus;
use super::format;
use super::syntax::{
    parse_address, parse_byte, parse_in_range, parse_mode, parse_range, Mode, BLOCK_MAX,
};
use super::{prepare, DumpArgs};
use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

/// A dump's cells: bytes, or words for mode `w`.
pub(super) enum Cells {
    Bytes(Box<[Option<Result<u8, ()>>; 256]>),
    Words(Box<[Option<Result<u16, ()>>; 256]>),
    Block(Vec<u8>),
}

pub(super) fn dump(a: &DumpArgs, cli: &Cli) -> Outcome {
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

pub(super) fn cell_json<T: Copy + Into<Value>>(c: &Option<Result<T, ()>>) -> Value {
    match c {
        Some(Ok(v)) => (*v).into(),
        _ => Value::Null,
    }
}

/// The reads of a dump, in i2cdump's order.
pub(super) fn read_cells(
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
