//! `udrv iio`: the IIO devices kernel drivers drive (`/sys/bus/iio/devices`), listed and
//! read by value (scale and offset applied, [`udrv_core::iio`]); and what the kernel
//! drives on this machine (hwmon, IIO, 1-Wire, PWM), for `udrv board info`.
//! `UDRV_ROOT` reads another root's `/sys` (tests; another system's files).

use clap::Subcommand;
use serde_json::json;
use udrv_boards::catalog::{iio_quantity, KernelChip};
use udrv_core::iio::{self, Channel, IioDevice};
use udrv_core::sysfs::SysRoot;

use crate::out::json_line;
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
        /// Channels to read (`temp`, `voltage0`); all without.
        channels: Vec<String>,
    },
}

/// Runs an `udrv iio` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    let root = SysRoot::from_env();
    match cmd {
        Cmd::List => list(&root, cli),
        Cmd::Read { device, channels } => read(&root, device, channels, cli),
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
    let devs = iio::list(root);
    if cli.json {
        let v: Vec<serde_json::Value> = devs
            .iter()
            .map(|d| {
                let (bus, address) = d.i2c_client().unzip();
                json!({
                    "device": d.id(), "name": d.name(), "driver": d.driver(),
                    "i2c_bus": bus, "address": address,
                    "channels": d.channels().iter().map(|c| &c.name).collect::<Vec<_>>(),
                })
            })
            .collect();
        json_line(&json!(v));
        return Ok(());
    }
    if devs.is_empty() {
        outln!("no IIO devices (none in /sys/bus/iio/devices: is the chip's driver loaded?)");
    }
    for d in &devs {
        let chans: Vec<String> = d.channels().into_iter().map(|c| c.name).collect();
        outln!(
            "{:<12} {:<14} {:<28} {}",
            d.id(),
            d.name().unwrap_or("?"),
            parent(d).unwrap_or_default(),
            chans.join(", ")
        );
    }
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
