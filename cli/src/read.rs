//! `udrv read CHIP@BUS[:ADDR]...`: readings of known chips, on Linux buses (`udrv-core`)
//! or on the virtual board (`--board virtual`), where `udrv read` without a chip reads
//! every chip of the board. The chips are read through the catalog
//! (`udrv_boards::catalog`: specs, buses, switch channels, readings as data); this
//! command opens the buses, records or replays them, and formats the readings
//! ([`format`](mod@format)).

mod bus;
mod format;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use serde_json::json;
use udrv_boards::catalog::{
    self, Buses, ChipBus, ChipKind, ChipRead, ChipSpec, Identity, Location, Sequence, SpecError,
};
use udrv_boards::r#virtual::CHIPS as VIRTUAL_CHIPS;
use udrv_core::record::{Log, Replay};

use bus::{linux_board, record_name, Opened, Reader};

use crate::open::is_virtual;
use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv read`
#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Chips to read, as `CHIP@BUS[:ADDR]`: `bme280@i2c-1:0x76`, `lm75@1:0x48`,
    /// `bme280@spidev0.0` (also `0.0`, or the board's `spi0.0`). Without ADDR, the chip's
    /// usual address. Without any, on the virtual board: every chip of the board (whose
    /// world follows the wall clock, or the time in seconds that UDRV_VIRTUAL_TIME gives,
    /// for reproducible output). Chips with an ID register are checked by it; the others
    /// are said not identified.
    #[arg(value_name = "CHIP@BUS[:ADDR]")]
    devices: Vec<String>,
    /// Read again every SECONDS (until interrupted, or -n rounds).
    #[arg(short = 'w', long = "watch", value_name = "SECONDS")]
    watch: Option<f64>,
    /// Read COUNT rounds (one second apart unless --watch says otherwise).
    #[arg(short = 'n', long = "count", value_name = "COUNT")]
    count: Option<u64>,
    /// List the chips `udrv read` knows, their buses and addresses, and what a read
    /// sends to each.
    #[arg(long = "list", conflicts_with = "devices")]
    list: bool,
    /// Also write every bus transaction to FILE (udrv's text record format), to replay
    /// the session later without the hardware: with --replay, or in Rust tests through
    /// `udrv_core::record::Replay`.
    #[arg(long = "record", value_name = "FILE", conflicts_with = "replay")]
    record: Option<std::path::PathBuf>,
    /// Answer from a recording instead of the buses: no device is opened. Without chips,
    /// the chips the recording has are read. Every transaction must match the recording,
    /// and each chip read must use up its recorded lines: without -n, as many rounds are
    /// read as were recorded.
    #[arg(long = "replay", value_name = "FILE")]
    replay: Option<std::path::PathBuf>,
}

/// One chip to read: its spec, and how the output names it.
#[derive(Clone, Debug)]
pub struct Device {
    /// Where the chip is and what it is.
    pub spec: ChipSpec,
    /// `bme280@i2c-1:0x76`: the catalog's spec, printed.
    pub label: String,
}

/// Parses `CHIP@BUS[:ADDR]` with the catalog ([`ChipSpec`]), which checks it against the
/// chip's interfaces and addresses.
pub fn parse_device(text: &str) -> Result<Device, Failure> {
    let spec: ChipSpec = text.parse().map_err(|e| match e {
        SpecError::UnknownChip(_) => Failure::usage(format!("{e} (see udrv read --list)")),
        e => Failure::usage(e.to_string()),
    })?;
    if let Some(c) = spec.channel() {
        return Err(Failure::usage(format!(
            "`{text}`: udrv read reads whole chips; name the chip without `#{c}` ({})",
            spec.with_channel(None)
        )));
    }
    Ok(Device {
        label: spec.to_string(),
        spec,
    })
}

/// Ends a replay: every transaction matched, and the recorded lines of the chips read were
/// all used (lines of chips not named are no concern: one chip can be replayed from a
/// whole board's recording).
fn finish_replay(replay: &Replay, devices: &[Device]) -> Result<(), Failure> {
    use udrv_core::record::Error;
    let read: Vec<String> = devices.iter().map(record_name).collect();
    let read: Vec<&str> = read.iter().map(String::as_str).collect();
    match replay.finish_devices(&read) {
        Ok(()) => Ok(()),
        Err(e @ Error::Unfinished { .. }) => {
            let rounds =
                matches!(&e, Error::Unfinished { mismatches, .. } if mismatches.is_empty());
            let hint = if rounds {
                " (read as many rounds as were recorded: -n)"
            } else {
                ""
            };
            Err(Failure::op(format!("{e}{hint}")))
        }
        Err(e) => Err(Failure::op(e)),
    }
}

/// Says (on standard error, once) which chips were read without being identified: the
/// readings are theirs only if those chips are there.
fn note_not_identified(chips: &[(&Device, Identity)]) {
    match chips {
        [] => {}
        [(d, id)] => eprintln!("udrv: note: {} was not identified ({})", d.label, id.text()),
        _ => eprintln!(
            "udrv: note: not identified (no ID register; whatever answers is read as the chip \
             named): {}",
            chips
                .iter()
                .map(|(d, _)| d.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The JSON object of one chip's read: where it is, whether (how) it was identified, the
/// `readings` as the text shows them, and `data`, the readings in the catalog's one
/// serialization (docs/cli-json.md).
pub fn format_json(dev: &Device, read: &ChipRead) -> serde_json::Value {
    let lines = format::lines(dev.spec.kind(), read);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let (bus, address, switch) = match dev.spec.location() {
        Location::I2c {
            bus,
            switch,
            address,
        } => (
            bus.to_string(),
            Some(*address),
            switch.map_or(
                serde_json::Value::Null,
                |s| json!({"address": s.address(), "channel": s.channel()}),
            ),
        ),
        Location::Spi { device, .. } => (device.to_string(), None, serde_json::Value::Null),
        Location::W1 { .. } => ("w1".to_string(), None, serde_json::Value::Null),
    };
    json!({
        "device": dev.label,
        "chip": dev.spec.kind().name(),
        "bus": bus,
        "address": address,
        "switch": switch,
        "time": now,
        "identified": read.identity.is_identified(),
        "identification": read.identity.text(),
        "readings": format::json_readings(&lines),
        "data": read.readings,
    })
}

/// `udrv read --list`: the chips udrv reads. With `--json`, one document: an array of
/// the chips (a list, not a stream).
fn list(cli: &Cli) -> Outcome {
    if cli.json {
        let chips: Vec<serde_json::Value> = ChipKind::ALL
            .iter()
            .map(|k| {
                let c = k.info();
                json!({
                    "chip": c.name,
                    "aliases": c.aliases,
                    "addresses": c.addresses,
                    "spi": c.spi.is_some(),
                    "w1_families": c.w1_families,
                    "reads": c.reads,
                    "id_register": c.id_text,
                })
            })
            .collect();
        json_line(&serde_json::Value::Array(chips));
        return Ok(());
    }
    for k in ChipKind::ALL {
        let c = k.info();
        let mut buses = Vec::new();
        if !c.addresses.is_empty() {
            let mut a = String::new();
            let _ = udrv_drivers::kinds::write_addresses(&mut a, c.addresses);
            buses.push(format!("I2C {a}"));
        }
        if c.spi.is_some() {
            buses.push("SPI".to_string());
        }
        if !c.w1_families.is_empty() {
            buses.push("1-Wire (kernel)".to_string());
        }
        outln!("{:<9} {:<22} {}", c.name, buses.join(", "), c.reads);
    }
    Ok(())
}

/// Runs `udrv read`.
pub fn run(a: &ReadArgs, cli: &Cli) -> Outcome {
    if a.list {
        return list(cli);
    }
    if let Some(w) = a.watch {
        if !(w.is_finite() && w > 0.0) {
            return Err(Failure::usage(format!(
                "--watch {w}: the interval must be a positive number of seconds"
            )));
        }
    }
    if a.count == Some(0) {
        return Err(Failure::usage("-n 0: read at least one round"));
    }
    let virt = is_virtual(cli);
    let replay = match &a.replay {
        Some(path) => Some(Replay::open(path).map_err(Failure::op)?),
        None => None,
    };
    let devices: Vec<Device> = if let (true, Some(r)) = (a.devices.is_empty(), &replay) {
        let recorded = r.devices();
        if recorded.is_empty() {
            return Err(Failure::op(format!(
                "replay of {}: the recording has no transactions",
                r.file()
            )));
        }
        recorded
            .iter()
            .map(|s| parse_device(s))
            .collect::<Result<_, _>>()?
    } else if a.devices.is_empty() {
        if !virt {
            return Err(Failure::usage(format!(
                "name a chip as CHIP@BUS[:ADDR], e.g. `udrv read bme280@i2c-1:0x76` (chips: \
                 {}); `udrv --board virtual read` reads every chip of the virtual board",
                catalog::names()
            )));
        }
        VIRTUAL_CHIPS
            .iter()
            .map(|c| parse_device(&c.spec()))
            .collect::<Result<_, _>>()?
    } else {
        a.devices
            .iter()
            .map(|s| parse_device(s))
            .collect::<Result<_, _>>()?
    };
    // The virtual board's settings (UDRV_VIRTUAL_TIME, UDRV_VIRTUAL_FAULTS): checked once,
    // here, and one fault plan for the whole command (its `after`/`times` count across
    // chips and rounds).
    let settings = if virt && replay.is_none() {
        Some(crate::open::virtual_settings()?)
    } else {
        None
    };
    let vboard = settings.as_ref().map(|s| s.board());
    // Arguments are valid: now open the buses (nothing has touched a device so far).
    let mut opened = Vec::new();
    if let Some(r) = &replay {
        for d in &devices {
            opened.push(Opened::Replay(r.device(&record_name(d))));
        }
    } else {
        let board = if virt {
            None
        } else {
            linux_board(cli, &devices)?
        };
        let buses = match &vboard {
            Some(v) => Buses::Virtual(v),
            None => Buses::Linux(board.as_deref()),
        };
        for d in &devices {
            let bus = ChipBus::open(&d.spec, buses).map_err(Failure::op)?;
            if let (ChipBus::Kernel(k), false) = (&bus, cli.json) {
                eprintln!(
                    "udrv: note: {} is held by {}: read through it",
                    d.label,
                    k.describe()
                );
            }
            opened.push(Opened::Bus(bus));
        }
    }
    let log = match &a.record {
        Some(path) => Some(Log::create(path).map_err(|e| {
            Failure::op(format!(
                "{}: cannot create the recording: {e} (check the folder exists and is writable)",
                path.display()
            ))
        })?),
        None => None,
    };
    // A replay without -n reads as many rounds as were recorded: until the recorded lines
    // of the chips read are used up (or a round uses none).
    let replay_all = replay.is_some() && a.count.is_none();
    let rounds = a.count.unwrap_or(if a.watch.is_some() || replay_all {
        u64::MAX
    } else {
        1
    });
    let names: Vec<String> = devices.iter().map(record_name).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let interval = Duration::from_secs_f64(a.watch.unwrap_or(1.0));
    let width = devices.iter().map(|d| d.label.len()).max().unwrap_or(0);
    let mut reading = Reader {
        log: log.as_ref(),
        faults: settings.as_ref().and_then(|s| s.faults()),
        seq: Sequence::new(),
        board: vboard.as_ref(),
    };
    let mut failed = Vec::new();
    let mut round = 0;
    loop {
        let started = Instant::now();
        let left = replay.as_ref().map(Replay::remaining);
        let mut not_identified = Vec::new();
        for (d, o) in devices.iter().zip(opened.iter_mut()) {
            match reading.read(d, o) {
                Ok(r) => {
                    if cli.json {
                        json_line(&format_json(d, &r));
                    } else {
                        let lines = format::lines(d.spec.kind(), &r);
                        out!("{}", format::text_lines(&d.label, width, &lines));
                    }
                    if !r.identity.is_identified() {
                        not_identified.push((d, r.identity));
                    }
                }
                Err(e) => {
                    if devices.len() == 1 && rounds == 1 {
                        return Err(Failure::op(format!("{}: {e}", d.label)));
                    }
                    eprintln!("udrv: {}: {e}", d.label);
                    if !failed.contains(&d.label) {
                        failed.push(d.label.clone());
                    }
                }
            }
        }
        if round == 0 && !cli.json {
            note_not_identified(&not_identified);
        }
        round += 1;
        if round >= rounds {
            break;
        }
        if let (true, Some(r), Some(left)) = (replay_all, &replay, left) {
            let used_up = r.finish_devices(&names).is_ok();
            let progress = r.remaining() < left;
            if used_up || !progress {
                break;
            }
        }
        if !cli.json {
            outln!();
        }
        if replay.is_none() {
            std::thread::sleep(interval.saturating_sub(started.elapsed()));
        }
    }
    if let (Some(log), Some(path)) = (&log, &a.record) {
        log.flush().map_err(|e| {
            Failure::op(format!(
                "{}: the recording is incomplete: {e}",
                path.display()
            ))
        })?;
    }
    if failed.is_empty() {
        match &replay {
            Some(r) => finish_replay(r, &devices),
            None => Ok(()),
        }
    } else {
        Err(Failure::unread("chips", &failed, devices.len()))
    }
}

#[cfg(test)]
mod tests;
