//! `udrv watch`: devices appearing and going, from the kernel's uevents (no udevd needed).
//!
//! For people at a board's shell plugging in USB I2C/SPI bridges, serial adapters and GPIO
//! expanders: one line per event (time, action, kind of device, its node, where it comes
//! from), or one JSON object per line. `--wait NODE` is for scripts: it returns as soon as
//! the device node is there.

use std::path::Path;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use udrv_core::error::DeviceClass;
use udrv_core::hotplug::{self, Monitor, Parent};

use crate::{Cli, Failure, Outcome};

mod format;
mod plan;

use format::{format_json, format_text, present};
use plan::{plan, Filter, Plan};

/// `udrv watch`
#[derive(Args, Debug)]
#[command(after_help = "Times are UTC. Examples:\n  \
    udrv watch                         # every I2C, SPI, GPIO, UIO and serial device\n  \
    udrv watch --class serial -c 1     # until the next serial adapter event\n  \
    udrv watch --subsystem usb         # USB devices only\n  \
    udrv watch --wait /dev/ttyUSB0 --timeout 30 && echo back")]
pub struct WatchArgs {
    /// Show this kind of device (repeatable); without --class or --subsystem, every kind
    /// udrv opens (i2c, spi, gpio, uio, serial).
    #[arg(long = "class", value_enum, value_name = "KIND")]
    class: Vec<ClassArg>,
    /// Show the events of this kernel subsystem (repeatable): usb, i2c-dev, tty,
    /// platform, ...; adds to --class.
    #[arg(long = "subsystem", value_name = "NAME")]
    subsystem: Vec<String>,
    /// Show every uevent, of every subsystem.
    #[arg(long = "all")]
    all: bool,
    /// Exit after COUNT events (status 1 if --timeout passes first).
    #[arg(short = 'c', long = "count", value_name = "COUNT")]
    count: Option<u64>,
    /// Stop after SECS seconds (fractions allowed): watching ends with status 0, or 1
    /// when -c COUNT events or the --wait node did not come in time.
    #[arg(long = "timeout", value_name = "SECS", allow_negative_numbers = true)]
    timeout: Option<String>,
    /// Wait until the device node NODE exists (`/dev/ttyUSB0`, or `ttyUSB0`), at once if
    /// it does, then exit 0 without printing; exit 1 when --timeout passes first.
    #[arg(long = "wait", value_name = "NODE")]
    wait: Option<String>,
    /// Say on stderr when events are being received (as `gpio mon --banner`): scripts
    /// wait for it before plugging devices in.
    #[arg(long = "banner")]
    banner: bool,
}

/// `--class` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClassArg {
    /// I2C buses (/dev/i2c-N) and the devices on them.
    I2c,
    /// spidev nodes and SPI devices.
    Spi,
    /// GPIO chips (/dev/gpiochipN).
    Gpio,
    /// UIO devices (/dev/uioN).
    Uio,
    /// Serial ports (/dev/ttyUSB0, /dev/ttyACM0, ...).
    Serial,
}

impl ClassArg {
    fn class(self) -> DeviceClass {
        match self {
            ClassArg::I2c => DeviceClass::I2c,
            ClassArg::Spi => DeviceClass::Spi,
            ClassArg::Gpio => DeviceClass::Gpio,
            ClassArg::Uio => DeviceClass::Uio,
            ClassArg::Serial => DeviceClass::Serial,
        }
    }
}

/// Every kind of device udrv opens: the default filter.
const ALL_CLASSES: [ClassArg; 5] = [
    ClassArg::I2c,
    ClassArg::Spi,
    ClassArg::Gpio,
    ClassArg::Uio,
    ClassArg::Serial,
];

/// Runs `udrv watch`.
pub fn run(a: &WatchArgs, cli: &Cli) -> Outcome {
    match plan(a)? {
        Plan::Wait { node, timeout } => wait(&node, timeout),
        Plan::Stream {
            filter,
            count,
            timeout,
            banner,
        } => stream(&filter, count, timeout, banner, cli),
    }
}

fn open() -> Result<Monitor, Failure> {
    Monitor::open().map_err(Failure::op)
}

/// `12.5 s`, `30 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

fn wait(node: &Path, timeout: Option<Duration>) -> Outcome {
    // Every subsystem: the node can be any kind of device.
    let mut mon = open()?;
    // No --timeout: wait for ever (the monitor takes Duration::MAX as no deadline). A udev
    // symlink such as /dev/serial/by-id/... has no event of its own: the monitor looks for
    // the path again every second.
    if mon
        .wait_for_node(node, timeout.unwrap_or(Duration::MAX))
        .map_err(Failure::op)?
    {
        return Ok(());
    }
    Err(Failure::op(format!(
        "{} did not appear within {}: is the device plugged in? (`dmesg | tail` shows \
         what the kernel made of it; `udrv watch --all` shows its events)",
        node.display(),
        seconds(timeout.unwrap_or_default())
    )))
}

fn stream(
    filter: &Filter,
    count: Option<u64>,
    timeout: Option<Duration>,
    banner: bool,
    cli: &Cli,
) -> Outcome {
    let mut mon = open()?;
    if let Filter::Some {
        classes,
        subsystems,
    } = filter
    {
        mon = classes.iter().fold(mon, |m, c| m.with_class(c.class()));
        mon = subsystems.iter().fold(mon, |m, s| m.with_subsystem(s));
    }
    if banner {
        // The socket is bound: every event from here on is received.
        let what = if mon.subsystems().is_empty() {
            "every uevent".to_string()
        } else {
            format!("{} events", mon.subsystems().join(", "))
        };
        eprintln!("udrv: watching {what}; Ctrl-C to stop");
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut seen = 0u64;
    while count.is_none_or(|n| seen < n) {
        let next = match deadline {
            None => mon.next().map(Some),
            Some(d) => mon.next_timeout(d.saturating_duration_since(Instant::now())),
        };
        let ev = match next {
            Ok(Some(ev)) => ev,
            Ok(None) => {
                return match count {
                    Some(n) => Err(Failure::op(format!(
                        "only {seen} of the {n} events asked for (-c {n}) came within {}",
                        seconds(timeout.unwrap_or_default())
                    ))),
                    None => Ok(()),
                }
            }
            Err(hotplug::Error::Overflow) => {
                eprintln!("udrv: {}", hotplug::Error::Overflow);
                continue;
            }
            Err(e) => return Err(Failure::op(e)),
        };
        let t = std::time::SystemTime::now();
        let parent = present(&ev.action)
            .then(|| Parent::of(&ev.sysfs_path()))
            .flatten();
        seen += 1;
        if cli.json {
            outln!("{}", format_json(&ev, t, parent.as_ref()));
        } else {
            outln!("{}", format_text(&ev, t, parent.as_ref()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
