//! `udrv i2c get`: read a register, as `i2cget`.

use serde_json::json;

use super::bus::Bus;
use super::syntax::{parse_address, parse_byte, parse_in_range, parse_mode, Mode, BLOCK_MAX};
use super::{hex, hex_bytes, prepare, GetArgs};
use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

pub(super) fn get(a: &GetArgs, cli: &Cli) -> Outcome {
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
