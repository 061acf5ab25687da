//! `udrv uio`: list, info, wait.

use std::time::Duration;

use clap::Subcommand;
use serde_json::json;
use udrv_core::uio::{self, Uio, UioInfo};

use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv uio ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the UIO devices.
    List,
    /// Show a device: name, version, interrupt count, memory maps.
    Info {
        /// The device: N, uioN, /dev/uioN or its name.
        device: String,
    },
    /// Wait for interrupts and print each one (count, missed).
    Wait {
        /// The device: N, uioN, /dev/uioN or its name.
        device: String,
        /// Give up after this many milliseconds without an interrupt (exit status 1).
        #[arg(short = 't', long = "timeout-ms")]
        timeout_ms: Option<u64>,
        /// Stop after this many interrupts (default 1).
        #[arg(short = 'n', long = "count", default_value_t = 1)]
        count: u64,
        /// Re-arm the interrupt before each wait (irqcontrol, or PCI INTx for
        /// uio_pci_generic).
        #[arg(long = "rearm")]
        rearm: bool,
    },
}

/// Runs an `udrv uio` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    match cmd {
        Cmd::List => list(cli),
        Cmd::Info { device } => info(device, cli),
        Cmd::Wait {
            device,
            timeout_ms,
            count,
            rearm,
        } => wait(device, *timeout_ms, *count, *rearm, cli),
    }
}

fn open(spec: &str) -> Result<Uio, Failure> {
    let r = if let Ok(n) = spec.parse::<u32>() {
        Uio::open(n)
    } else if let Some(n) = spec.strip_prefix("uio").and_then(|n| n.parse().ok()) {
        Uio::open(n)
    } else if spec.starts_with('/') {
        Uio::open_path(spec)
    } else {
        Uio::open_by_name(spec)
    };
    r.map_err(Failure::op)
}

fn info_json(d: &UioInfo) -> serde_json::Value {
    json!({
        "number": d.number, "path": d.path, "name": d.name, "version": d.version,
        "event_count": d.event_count,
        "maps": d.maps.iter().map(|m| json!({
            "index": m.index, "name": m.name, "addr": m.addr, "size": m.size, "offset": m.offset,
        })).collect::<Vec<_>>(),
    })
}

fn list(cli: &Cli) -> Outcome {
    let devs = uio::devices().map_err(Failure::op)?;
    if cli.json {
        json_line(&json!(devs.iter().map(info_json).collect::<Vec<_>>()));
        return Ok(());
    }
    if devs.is_empty() {
        eprintln!("udrv: no UIO devices (bind a device to uio_pdrv_genirq or uio_pci_generic)");
    }
    for d in devs {
        outln!(
            "uio{}\t{}\t{}\t{} maps\t{} interrupts",
            d.number,
            d.name,
            d.version,
            d.maps.len(),
            d.event_count
        );
    }
    Ok(())
}

fn info(spec: &str, cli: &Cli) -> Outcome {
    let dev = open(spec)?;
    let d = dev.info().map_err(Failure::op)?;
    if cli.json {
        json_line(&info_json(&d));
        return Ok(());
    }
    outln!("device:     {}", d.path.display());
    outln!("name:       {}", d.name);
    outln!("version:    {}", d.version);
    outln!("interrupts: {}", d.event_count);
    outln!("maps:");
    for m in &d.maps {
        outln!(
            "  map{}\t{}\taddr {:#x}\tsize {:#x}\toffset {:#x}",
            m.index,
            m.name.as_deref().unwrap_or("-"),
            m.addr,
            m.size,
            m.offset
        );
    }
    Ok(())
}

fn wait(spec: &str, timeout_ms: Option<u64>, count: u64, rearm: bool, cli: &Cli) -> Outcome {
    let dev = open(spec)?;
    for _ in 0..count {
        if rearm {
            dev.rearm().map_err(Failure::op)?;
        }
        let irq = match timeout_ms {
            Some(ms) => dev
                .wait_irq_timeout(Duration::from_millis(ms))
                .map_err(Failure::op)?
                .ok_or_else(|| {
                    Failure::op(format!(
                        "{}: no interrupt within {ms} ms",
                        dev.path().display()
                    ))
                })?,
            None => dev.wait_irq().map_err(Failure::op)?,
        };
        if cli.json {
            json_line(&json!({"device": dev.path(), "count": irq.count, "missed": irq.missed}));
        } else {
            outln!("interrupt count={} missed={}", irq.count, irq.missed);
        }
    }
    Ok(())
}
