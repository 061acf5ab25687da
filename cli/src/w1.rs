//! `udrv w1`: the 1-Wire devices the kernel found (`/sys/bus/w1/devices`), and the
//! temperature sensors its w1_therm driver reads (DS18B20 and relatives), CRC-checked
//! ([`udrv_core::w1`]). `UDRV_ROOT` reads another root's `/sys`.

use clap::Subcommand;
use serde_json::json;
use udrv_core::sysfs::SysRoot;
use udrv_core::w1::{self, W1Device};

use crate::out::{self, json_line};
use crate::{Cli, Failure, Outcome};

/// `udrv w1 ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the 1-Wire devices: name (family-serial), chip, whether it is a thermometer.
    List,
    /// Read thermometers (all, or those named): temperature in °C and resolution.
    Read {
        /// Devices (`28-00000a1b2c3d`); every thermometer without.
        devices: Vec<String>,
        /// Set the resolution first (9 to 12 bits; not kept over a power cycle).
        #[arg(long = "resolution", value_name = "BITS")]
        resolution: Option<u8>,
    },
}

/// Runs an `udrv w1` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    let root = SysRoot::from_env();
    match cmd {
        Cmd::List => list(&root, cli),
        Cmd::Read {
            devices,
            resolution,
        } => read(&root, devices, *resolution, cli),
    }
}

fn list(root: &SysRoot, cli: &Cli) -> Outcome {
    out::list(
        &w1::list(root),
        cli.json,
        |d| {
            json!({"device": d.id(), "family": d.family(), "chip": d.chip(),
                   "thermometer": d.is_thermometer()})
        },
        "no 1-Wire devices (none in /sys/bus/w1/devices: on a Raspberry Pi enable the bus with \
         `dtoverlay=w1-gpio` in config.txt)",
        |d| {
            format!(
                "{:<16} {:<9} {}",
                d.id(),
                d.chip().unwrap_or("?"),
                if d.is_thermometer() {
                    "thermometer"
                } else {
                    "(no reader in udrv)"
                }
            )
        },
    );
    Ok(())
}

fn read(root: &SysRoot, names: &[String], resolution: Option<u8>, cli: &Cli) -> Outcome {
    let devs: Vec<W1Device> = if names.is_empty() {
        let all: Vec<W1Device> = w1::list(root)
            .into_iter()
            .filter(|d| d.is_thermometer())
            .collect();
        if all.is_empty() {
            return Err(Failure::op(
                "w1: no 1-Wire thermometer found (`udrv w1 list` shows what the bus has; on a \
                 Raspberry Pi enable it with `dtoverlay=w1-gpio` in config.txt)",
            ));
        }
        all
    } else {
        names
            .iter()
            .map(|n| W1Device::open(root, n))
            .collect::<Result<_, _>>()
            .map_err(Failure::op)?
    };
    let mut failed = Vec::new();
    for d in &devs {
        let r = (|| {
            if let Some(bits) = resolution {
                d.set_resolution(bits)?;
            }
            let t = d.read_temperature()?;
            let bits = d.resolution().ok();
            Ok::<_, w1::Error>((t, bits))
        })();
        match r {
            Ok((t, bits)) if cli.json => json_line(&json!({
                "device": d.id(), "chip": d.chip(), "quantity": "temperature",
                "value": t, "unit": "°C", "resolution": bits,
            })),
            Ok((t, bits)) => outln!(
                "{:<16} temperature {t:.3} °C{}",
                d.id(),
                bits.map_or(String::new(), |b| format!(" ({b}-bit)"))
            ),
            Err(e) if devs.len() == 1 => return Err(Failure::op(e)),
            Err(e) => {
                eprintln!("udrv: {e}");
                failed.push(d.id().to_string());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::unread("devices", &failed, devs.len()))
    }
}
