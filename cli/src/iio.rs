//! `udrv iio`: the IIO devices kernel drivers drive (`/sys/bus/iio/devices`), listed and
//! read by value (scale and offset applied, [`udrv_core::iio`]) or through the buffer
//! (`--buffer`: scans at the rate of a trigger, until `--count` or SIGINT/SIGTERM, the
//! buffer disabled again); and what the kernel
//! drives on this machine (hwmon, IIO, 1-Wire, PWM), for `udrv board info`.
//! `UDRV_ROOT` reads another root's `/sys` (tests; another system's files).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use serde_json::json;
use udrv_boards::catalog::{iio_quantity, KernelChip};
use udrv_core::iio::{self, Channel, IioDevice};
use udrv_core::sysfs::SysRoot;

use crate::out::{self, json_line};
use crate::{Cli, Failure, Outcome};

/// `udrv iio ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the IIO devices: name, the I2C bus and address of the chip and its driver,
    /// the input channels.
    List,
    /// Read a device's input channels (all, or those named), scale and offset applied:
    /// in the catalog's quantity and unit where the channel type has one (temp in °C,
    /// pressure in Pa, ...), else in the kernel's unit for that type.
    Read {
        /// The device: N, iio:deviceN or its name (`bme280`).
        device: String,
        /// Channels to read (`temp`, `voltage0`); all without (with --buffer: all that
        /// have scan elements).
        channels: Vec<String>,
        #[command(flatten)]
        buffer: BufferArgs,
    },
}

/// `udrv iio read --buffer ...`
#[derive(clap::Args, Debug)]
pub struct BufferArgs {
    /// Read through the buffer (`/dev/iio:deviceN`): the channels enabled in
    /// scan_elements (and the timestamp, when the device has one), one line per scan,
    /// scale and offset applied, until --count scans or SIGINT/SIGTERM; the buffer is
    /// disabled again at the end.
    #[arg(long = "buffer")]
    buffer: bool,
    /// Samples per second: written to the trigger's sampling_frequency (an hrtimer
    /// trigger's), else to the device's.
    #[arg(long = "rate", value_name = "HZ", requires = "buffer")]
    rate: Option<f64>,
    /// Stop after N scans.
    #[arg(long = "count", value_name = "N", requires = "buffer")]
    count: Option<u64>,
    /// The trigger, by name (`/sys/bus/iio/devices/triggerN/name`); without, the one the
    /// device has set, else the device's own (`NAME-devN`).
    #[arg(long = "trigger", value_name = "NAME", requires = "buffer")]
    trigger: Option<String>,
}

/// Runs an `udrv iio` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    let root = SysRoot::from_env();
    match cmd {
        Cmd::List => list(&root, cli),
        Cmd::Read {
            device,
            channels,
            buffer,
        } if buffer.buffer => read_buffer(&root, device, channels, buffer, cli),
        Cmd::Read {
            device, channels, ..
        } => read(&root, device, channels, cli),
    }
}

/// Where a device's chip sits, as text: `i2c-1 0x76 (driver bmp280)`.
fn parent(d: &IioDevice) -> Option<String> {
    let (bus, addr) = d.i2c_client()?;
    Some(format!(
        "i2c-{bus} {addr:#04x} (driver {})",
        d.driver().unwrap_or_else(|| "unknown".into())
    ))
}

fn list(root: &SysRoot, cli: &Cli) -> Outcome {
    out::list(
        &iio::list(root),
        cli.json,
        |d| {
            let (bus, address) = d.i2c_client().unzip();
            json!({
                "device": d.id(), "name": d.name(), "driver": d.driver(),
                "i2c_bus": bus, "address": address,
                "channels": d.channels().iter().map(|c| &c.name).collect::<Vec<_>>(),
            })
        },
        "no IIO devices (none in /sys/bus/iio/devices: is the chip's driver loaded?)",
        |d| {
            let chans: Vec<String> = d.channels().into_iter().map(|c| c.name).collect();
            format!(
                "{:<12} {:<14} {:<28} {}",
                d.id(),
                d.name().unwrap_or("?"),
                parent(d).unwrap_or_default(),
                chans.join(", ")
            )
        },
    );
    Ok(())
}

/// The channel's value as shown: (name, value, unit, the quantity's name if any).
fn shown(ch: &Channel, v: f64) -> (f64, &'static str, Option<&'static str>) {
    match iio_quantity(&ch.kind) {
        Some((q, factor)) => (v * factor, q.unit(), Some(q.name())),
        None => (v, "", None),
    }
}

fn read(root: &SysRoot, device: &str, names: &[String], cli: &Cli) -> Outcome {
    let d = IioDevice::open(root, device).map_err(Failure::op)?;
    let chans: Vec<Channel> = if names.is_empty() {
        d.channels()
    } else {
        names
            .iter()
            .map(|n| d.channel(n))
            .collect::<Result<_, _>>()
            .map_err(Failure::op)?
    };
    if chans.is_empty() {
        return Err(Failure::op(format!(
            "iio: {} has no input channels (no in_*_raw or in_*_input)",
            d.id()
        )));
    }
    for ch in &chans {
        let v = d.read(ch).map_err(Failure::op)?;
        let (value, unit, quantity) = shown(ch, v.value);
        if cli.json {
            json_line(&json!({
                "device": d.id(), "name": d.name(), "channel": ch.name, "type": ch.kind,
                "kernel_value": v.value, "raw": v.raw, "scale": v.scale, "offset": v.offset,
                "quantity": quantity, "value": value, "unit": unit,
            }));
        } else {
            outln!("{:<20} {} {}", ch.name, value, unit);
        }
    }
    Ok(())
}

/// The triggers under `root`: (name, folder).
fn triggers(root: &SysRoot) -> Vec<(String, PathBuf)> {
    let dir = root.join("/sys/bus/iio/devices");
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("trigger"))
        .filter_map(|e| {
            let name = std::fs::read_to_string(e.path().join("name")).ok()?;
            Some((name.trim().to_string(), e.path()))
        })
        .collect();
    v.sort();
    v
}

/// The trigger `asked`, else the one `d` has set, else the device's own (`NAME-devN`,
/// as the kernel's drivers name theirs): its name and folder.
fn pick_trigger(
    root: &SysRoot,
    d: &IioDevice,
    label: &str,
    asked: Option<&str>,
) -> Result<(String, PathBuf), Failure> {
    let all = triggers(root);
    let names = || {
        let n: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        if n.is_empty() {
            "none: make one, e.g. an hrtimer trigger through configfs \
             (mkdir /sys/kernel/config/iio/triggers/hrtimer/NAME)"
                .to_string()
        } else {
            n.join(", ")
        }
    };
    let find = |n: &str| all.iter().find(|(t, _)| t == n).cloned();
    if let Some(a) = asked {
        return find(a).ok_or_else(|| {
            Failure::op(format!(
                "iio read --buffer: {label}: no trigger `{a}`; the triggers are: {}",
                names()
            ))
        });
    }
    let current = std::fs::read_to_string(d.path().join("trigger/current_trigger"))
        .unwrap_or_default()
        .trim()
        .to_string();
    let own = format!(
        "{}-dev{}",
        d.name().unwrap_or("?"),
        d.id().trim_start_matches("iio:device")
    );
    [current, own].iter().find_map(|n| find(n)).ok_or_else(|| {
        Failure::op(format!(
            "iio read --buffer: {label} has no trigger set and none of its own: give \
                 --trigger NAME (the triggers are: {})",
            names()
        ))
    })
}

/// Writes `hz` to the trigger's `sampling_frequency`, else the device's.
fn set_rate(d: &IioDevice, label: &str, trigger: &(String, PathBuf), hz: f64) -> Outcome {
    if !(hz.is_finite() && hz > 0.0) {
        return Err(Failure::usage(format!(
            "--rate {hz}: give a positive number of samples per second"
        )));
    }
    let at = [
        trigger.1.join("sampling_frequency"),
        d.path().join("sampling_frequency"),
    ];
    let Some(file) = at.iter().find(|p| p.exists()) else {
        return Err(Failure::op(format!(
            "iio read --buffer: --rate: neither the trigger `{}` nor {label} has a \
             sampling_frequency; leave out --rate (the trigger sets the rate)",
            trigger.0
        )));
    };
    std::fs::write(file, format!("{hz}")).map_err(|e| {
        Failure::op(format!(
            "iio read --buffer: {label}: cannot set the rate {hz} Hz in {}: {e} (is the \
             rate one the trigger takes? run as a user who may write it)",
            file.display()
        ))
    })
}

/// `udrv iio read DEVICE --buffer`: the channels enabled, the trigger set, one line per
/// scan until `--count` scans or SIGINT/SIGTERM; the buffer is disabled when it is
/// dropped, on every way out.
fn read_buffer(
    root: &SysRoot,
    device: &str,
    names: &[String],
    a: &BufferArgs,
    cli: &Cli,
) -> Outcome {
    if a.count == Some(0) {
        return Err(Failure::usage("--count 0: read at least one scan"));
    }
    let d = IioDevice::open(root, device).map_err(Failure::op)?;
    let label = format!("{} ({})", d.id(), d.name().unwrap_or("?"));
    let mut scannable: Vec<String> = std::fs::read_dir(d.path().join("scan_elements"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            Some(n.strip_prefix("in_")?.strip_suffix("_en")?.to_string())
        })
        .collect();
    scannable.sort();
    let timestamp = scannable.iter().any(|c| c == "timestamp");
    scannable.retain(|c| c != "timestamp");
    if scannable.is_empty() {
        return Err(Failure::op(format!(
            "iio read --buffer: {label} has no buffer (no scan_elements): read it by value, \
             without --buffer"
        )));
    }
    let chans: Vec<String> = if names.is_empty() {
        scannable.clone()
    } else {
        for n in names {
            if !scannable.contains(n) {
                return Err(Failure::op(format!(
                    "iio read --buffer: {label} has no buffered channel `{n}`; it has: {}",
                    scannable.join(", ")
                )));
            }
        }
        names.to_vec()
    };
    let trigger = pick_trigger(root, &d, &label, a.trigger.as_deref())?;
    if let Some(hz) = a.rate {
        set_rate(&d, &label, &trigger, hz)?;
    }
    let kinds: Vec<Channel> = chans
        .iter()
        .map(|c| d.channel(c))
        .collect::<Result<_, _>>()
        .map_err(Failure::op)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, stop.clone())
            .map_err(|e| Failure::op(format!("iio read --buffer: cannot handle signals: {e}")))?;
    }
    let refs: Vec<&str> = chans.iter().map(String::as_str).collect();
    let mut buf = d
        .buffer(&refs, timestamp, &trigger.0, 128)
        .map_err(Failure::op)?;
    let mut n: u64 = 0;
    while a.count.is_none_or(|c| n < c) && !stop.load(Ordering::Relaxed) {
        let Some(scan) = buf
            .read_scan_timeout(Duration::from_millis(200))
            .map_err(Failure::op)?
        else {
            continue;
        };
        n += 1;
        let ts = scan
            .iter()
            .find(|v| v.channel == "timestamp")
            .map(|v| v.raw);
        let values: Vec<(&str, i64, f64, &str, Option<&str>)> = scan
            .iter()
            .filter_map(|v| {
                let ch = kinds.iter().find(|c| c.name == v.channel)?;
                let (value, unit, quantity) = shown(ch, v.value);
                Some((v.channel.as_str(), v.raw, value, unit, quantity))
            })
            .collect();
        if cli.json {
            let vals: Vec<serde_json::Value> = values
                .iter()
                .map(|(c, raw, value, unit, q)| {
                    json!({"channel": c, "raw": raw, "value": value, "unit": unit,
                           "quantity": q})
                })
                .collect();
            json_line(&json!({
                "device": d.id(), "name": d.name(), "scan": n, "timestamp_ns": ts,
                "values": vals,
            }));
        } else {
            let vals: Vec<String> = values
                .iter()
                .map(|(c, _, value, unit, _)| format!("{c} {value} {unit}").trim_end().to_string())
                .collect();
            let ts = ts.map_or(String::new(), |t| format!("  (t {t} ns)"));
            outln!("{n:>6}  {}{ts}", vals.join("  "));
        }
    }
    drop(buf);
    Ok(())
}

/// The `udrv read` spec of the 1-Wire device `id` (`ds18b20@w1:28-00000a1b2c3d`), when
/// udrv reads its family.
pub fn w1_spec(id: &str) -> Option<String> {
    udrv_boards::catalog::W1Id::parse(id)
        .and_then(|i| i.spec())
        .map(|s| s.to_string())
}

/// What the kernel drives here, for `udrv board info`: chips on I2C read through hwmon
/// or IIO (with the `udrv read` spec when udrv knows the kind), 1-Wire devices (with
/// theirs) and PWM chips. Text lines and JSON.
pub fn kernel_driven(root: &SysRoot) -> (Vec<String>, serde_json::Value) {
    let mut lines = Vec::new();
    let chips: Vec<serde_json::Value> = KernelChip::all(root)
        .iter()
        .map(|c| {
            let spec = c.spec().map(|s| s.to_string());
            lines.push(format!(
                "i2c-{} {:#04x}  {} ({}, {}){}",
                c.bus(),
                c.address(),
                c.name(),
                c.driver(),
                c.interface_id(),
                spec.as_ref()
                    .map_or(String::new(), |s| format!(": udrv read {s}"))
            ));
            json!({"bus": c.bus(), "address": c.address(), "name": c.name(),
                   "driver": c.driver(), "interface": c.interface_id(), "spec": spec})
        })
        .collect();
    let w1: Vec<serde_json::Value> = udrv_core::w1::list(root)
        .iter()
        .map(|d| {
            let spec = w1_spec(d.id());
            lines.push(format!(
                "1-Wire {}  {}{}",
                d.id(),
                d.chip().unwrap_or("(family without a reader)"),
                spec.as_ref()
                    .map_or(String::new(), |s| format!(": udrv read {s}"))
            ));
            json!({"device": d.id(), "chip": d.chip(), "spec": spec})
        })
        .collect();
    let pwm: Vec<serde_json::Value> = udrv_core::pwm::chips(root)
        .into_iter()
        .filter_map(|n| udrv_core::pwm::PwmChip::open(root, n).ok())
        .map(|c| {
            let npwm = c.npwm().ok();
            lines.push(format!(
                "pwmchip{}  {} channels",
                c.number(),
                npwm.map_or("?".into(), |n| n.to_string())
            ));
            json!({"chip": c.number(), "npwm": npwm})
        })
        .collect();
    (lines, json!({"i2c": chips, "w1": w1, "pwm": pwm}))
}
