//! `udrv i2c set`: write a register, as `i2cset`, with its mask and readback.

use serde_json::json;

use super::bus::Bus;
use super::syntax::{self, is_set_mode, parse_address, parse_byte, parse_mask, parse_set, Mode};
use super::{hex, hex_bytes, SetArgs};
use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

pub(super) fn set(a: &SetArgs, cli: &Cli) -> Outcome {
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
    #[cfg(feature = "serve")]
    super::held::refuse_held(&bus, &a.bus, &[addr])?;
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
