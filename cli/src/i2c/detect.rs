//! `udrv i2c list` and `udrv i2c detect`: the buses, their capabilities, and what answers on a bus.

use serde_json::{json, Value};
use udrv_core::i2c::{self as core_i2c, Funcs};

use super::bus::Bus;
use super::format::{self, AdapterKind, Probe};
use super::syntax::parse_in_range;
use super::DetectArgs;
use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

/// The capabilities `i2cdetect -F` lists, in its order and spelling (i2c-tools 4.3).
pub(super) const FUNC_NAMES: &[(&str, Funcs)] = &[
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
pub(super) fn adapter_json(
    bus: Option<u32>,
    path: &str,
    name: &str,
    funcs: Option<Funcs>,
) -> Value {
    json!({
        "bus": bus,
        "path": path,
        "name": name,
        "type": AdapterKind::of(name, funcs).name(),
        "funcs": funcs.map(|f| f.iter_names().map(|(n, _)| n).collect::<Vec<_>>()),
    })
}

pub(super) fn list(cli: &Cli) -> Outcome {
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

pub(super) fn detect(a: &DetectArgs, cli: &Cli) -> Outcome {
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
pub(super) enum ProbeCmd {
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
pub(super) fn probe_command(addr: u16, quick: bool, read: bool, funcs: Funcs) -> Option<ProbeCmd> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_probes_as_i2cdetect_and_skips_what_the_adapter_cannot_do() {
        let all = Funcs::SMBUS_QUICK | Funcs::SMBUS_READ_BYTE;
        let (read, quick) = (Funcs::SMBUS_READ_BYTE, Funcs::SMBUS_QUICK);
        // (address, -q, -r, what the adapter can do, the probe i2cdetect uses)
        let cases = [
            (0x48, false, false, all, Some(ProbeCmd::QuickWrite)),
            (0x50, false, false, all, Some(ProbeCmd::ReceiveByte)),
            (0x37, false, false, all, Some(ProbeCmd::ReceiveByte)),
            (0x50, true, false, all, Some(ProbeCmd::QuickWrite)),
            (0x48, false, true, all, Some(ProbeCmd::ReceiveByte)),
            // No quick write: i2cdetect leaves 0x48 blank rather than reading it (a receive
            // byte can lock up write-only chips); no receive byte: the EEPROM range blank.
            (0x48, false, false, read, None),
            (0x50, false, false, quick, None),
            (0x50, false, false, read, Some(ProbeCmd::ReceiveByte)),
        ];
        for (addr, q, r, funcs, want) in cases {
            assert_eq!(
                probe_command(addr, q, r, funcs),
                want,
                "address {addr:#04x}, -q {q}, -r {r}, {funcs:?}"
            );
        }
    }
}
