//! `udrv watch`: devices appearing and going, from the kernel's uevents (no udevd needed).
//!
//! For people at a board's shell plugging in USB I2C/SPI bridges, serial adapters and GPIO
//! expanders: one line per event (time, action, kind of device, its node, where it comes
//! from), or one JSON object per line. `--wait NODE` is for scripts: it returns as soon as
//! the device node is there.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde_json::json;
use udrv_core::error::DeviceClass;
use udrv_core::hotplug::{self, Action, Device, Event, Monitor, Parent};
use udrv_rs485::Timestamp;

use crate::{Cli, Failure, Outcome};

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

/// Which events a stream shows.
#[derive(Debug, PartialEq, Eq)]
enum Filter {
    /// Every uevent.
    All,
    /// The events of these kinds of device and these subsystems.
    Some {
        classes: Vec<ClassArg>,
        subsystems: Vec<String>,
    },
}

/// What the validated arguments ask for.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Print events.
    Stream {
        filter: Filter,
        count: Option<u64>,
        timeout: Option<Duration>,
        banner: bool,
    },
    /// Wait for a device node.
    Wait {
        node: PathBuf,
        timeout: Option<Duration>,
    },
}

/// The longest `--timeout` (about 31 years; past this the deadline arithmetic overflows).
const MAX_TIMEOUT_S: f64 = 1e9;

/// `--timeout SECS`: a non-negative number of seconds, fractions allowed.
fn parse_timeout(s: &str) -> Result<Duration, Failure> {
    let secs: f64 = s.trim().parse().map_err(|_| {
        Failure::usage(format!(
            "--timeout `{s}` is not a number of seconds (e.g. 30 or 0.5)"
        ))
    })?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(Failure::usage(format!(
            "--timeout `{s}` must be 0 or more seconds"
        )));
    }
    if secs > MAX_TIMEOUT_S {
        return Err(Failure::usage(format!(
            "--timeout `{s}` is too long (at most {MAX_TIMEOUT_S} s): leave it out to wait forever"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The node `--wait` names: a path, or a name in /dev.
fn wait_node(s: &str) -> Result<PathBuf, Failure> {
    if s.is_empty() || s.ends_with('/') {
        return Err(Failure::usage(format!(
            "--wait `{s}` is not a device node (e.g. /dev/ttyUSB0 or ttyUSB0)"
        )));
    }
    Ok(if s.starts_with('/') {
        PathBuf::from(s)
    } else {
        Path::new("/dev").join(s)
    })
}

/// Checks the arguments completely (nothing is opened before).
fn plan(a: &WatchArgs) -> Result<Plan, Failure> {
    let timeout = a.timeout.as_deref().map(parse_timeout).transpose()?;
    if let Some(w) = &a.wait {
        let mut extra = Vec::new();
        if !a.class.is_empty() {
            extra.push("--class");
        }
        if !a.subsystem.is_empty() {
            extra.push("--subsystem");
        }
        if a.all {
            extra.push("--all");
        }
        if a.count.is_some() {
            extra.push("-c");
        }
        if a.banner {
            extra.push("--banner");
        }
        if !extra.is_empty() {
            return Err(Failure::usage(format!(
                "--wait waits for one device node and takes only --timeout, not {}",
                extra.join(", ")
            )));
        }
        return Ok(Plan::Wait {
            node: wait_node(w)?,
            timeout,
        });
    }
    if a.count == Some(0) {
        return Err(Failure::usage(
            "-c 0 would show no event: give 1 or more, or leave -c out to watch until Ctrl-C",
        ));
    }
    for s in &a.subsystem {
        if s.is_empty() || s.contains(|c: char| c == '/' || c.is_whitespace()) {
            return Err(Failure::usage(format!(
                "--subsystem `{s}` is not a kernel subsystem name (e.g. usb, tty, i2c-dev; \
                 `ls /sys/bus /sys/class` lists them)"
            )));
        }
    }
    let filter = if a.all {
        if !a.class.is_empty() || !a.subsystem.is_empty() {
            return Err(Failure::usage(
                "--all shows every event: leave out --class and --subsystem, or --all",
            ));
        }
        Filter::All
    } else if a.class.is_empty() && a.subsystem.is_empty() {
        Filter::Some {
            classes: ALL_CLASSES.to_vec(),
            subsystems: Vec::new(),
        }
    } else {
        let mut classes = a.class.clone();
        classes.dedup();
        Filter::Some {
            classes,
            subsystems: a.subsystem.clone(),
        }
    };
    Ok(Plan::Stream {
        filter,
        count: a.count,
        timeout,
        banner: a.banner,
    })
}

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

/// The parent's fields for JSON.
fn parent_json(p: &Parent) -> serde_json::Value {
    json!({"subsystem": p.subsystem, "driver": p.driver, "name": p.name})
}

/// Whether the device is still there to look at (its parent is worth reading).
fn present(action: &Action) -> bool {
    matches!(
        action,
        Action::Add | Action::Change | Action::Move | Action::Online
    )
}

/// The text line's detail: the driver on bind, else where the device comes from.
fn detail(ev: &Event, parent: Option<&Parent>) -> String {
    if ev.action == Action::Bind {
        return ev
            .driver()
            .map(|d| format!("(driver {d})"))
            .unwrap_or_default();
    }
    let Some(p) = parent else {
        return String::new();
    };
    let mut parts: Vec<String> = p.subsystem.iter().cloned().collect();
    match (&p.driver, &p.name) {
        (Some(d), _) => parts.push(d.clone()),
        (None, Some(n)) => parts.push(format!("\"{n}\"")),
        (None, None) => {}
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("({})", parts.join(" "))
    }
}

/// The name a text line shows: the device node, else the udrv device, else the devpath.
fn display_name(ev: &Event) -> String {
    if let Some(n) = &ev.devname {
        return n.display().to_string();
    }
    match ev.device() {
        Some(d) => d.to_string(),
        None => ev.devpath.clone(),
    }
}

/// `HH:MM:SS.mmm` (UTC) of a wall-clock time.
fn clock(t: Timestamp) -> String {
    // Timestamp's RFC 3339 form: `2026-11-22T00:15:35.123456789Z`.
    t.to_string().get(11..23).unwrap_or_default().to_string()
}

/// One event as a text line:
/// `12:03:04.512  add     serial  /dev/ttyUSB0  (usb-serial ftdi_sio)`.
fn format_text(ev: &Event, t: Timestamp, parent: Option<&Parent>) -> String {
    let kind = ev
        .device()
        .map(|d| d.class().name().to_string())
        .unwrap_or_else(|| ev.subsystem.clone());
    let line = format!(
        "{}  {:<7} {:<7} {}  {}",
        clock(t),
        ev.action.as_str(),
        kind,
        display_name(ev),
        detail(ev, parent)
    );
    line.trim_end().to_string()
}

/// The device's own fields for JSON.
fn device_json(d: &Device) -> serde_json::Value {
    let mut v = match d {
        Device::I2cBus { bus } => json!({"type": "i2c-bus", "bus": bus}),
        Device::I2cClient { bus, addr, ten_bit } => {
            json!({"type": "i2c-client", "bus": bus, "address": addr, "ten_bit": ten_bit})
        }
        Device::Spidev { bus, cs } => json!({"type": "spidev", "bus": bus, "cs": cs}),
        Device::SpiDevice { bus, cs } => json!({"type": "spi-device", "bus": bus, "cs": cs}),
        Device::GpioChip { number } => json!({"type": "gpiochip", "number": number}),
        Device::Uio { number } => json!({"type": "uio", "number": number}),
        Device::Serial { name } => json!({"type": "serial", "tty": name}),
        _ => json!({"type": "other"}),
    };
    v["name"] = json!(d.to_string());
    v["node"] = json!(d.node());
    v
}

/// One event as a JSON object.
fn format_json(ev: &Event, t: Timestamp, parent: Option<&Parent>) -> serde_json::Value {
    let device = ev.device();
    json!({
        "time": t.as_nanos() as f64 / 1e9,
        "action": ev.action.as_str(),
        "subsystem": ev.subsystem,
        "devpath": ev.devpath,
        "devname": ev.devname,
        "class": device.as_ref().map(|d| d.class().name()),
        "device": device.as_ref().map(device_json),
        "driver": ev.driver(),
        "seqnum": ev.seqnum(),
        "parent": parent.map(parent_json),
    })
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
        let t = Timestamp::now();
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
mod tests {
    use super::*;
    use clap::Parser;

    fn args(v: &[&str]) -> Cli {
        let mut all = vec!["udrv"];
        all.extend_from_slice(v);
        Cli::try_parse_from(all).unwrap_or_else(|e| panic!("{v:?}: {e}"))
    }

    fn plan_of(v: &[&str]) -> Result<Plan, Failure> {
        let cli = args(v);
        match &cli.cmd {
            crate::Cmd::Watch(a) => plan(a),
            other => panic!("not watch: {other:?}"),
        }
    }

    fn usage(v: &[&str], needle: &str) {
        let f = plan_of(v).expect_err(needle);
        assert_eq!(f.code, 2, "{v:?}: {}", f.message);
        assert!(
            f.message.contains(needle),
            "{v:?}: `{}` lacks `{needle}`",
            f.message
        );
        assert!(!f.message.contains('\n'), "{}", f.message);
    }

    fn ev(action: &str, devpath: &str, pairs: &[(&str, &str)]) -> Event {
        let mut p =
            format!("{action}@{devpath}\0ACTION={action}\0DEVPATH={devpath}\0").into_bytes();
        for (k, v) in pairs {
            p.extend_from_slice(format!("{k}={v}\0").as_bytes());
        }
        Event::parse(&p).unwrap()
    }

    /// 2026-11-22 12:03:04.512 UTC.
    const T: Timestamp = Timestamp::from_nanos(1_795_348_984_512_345_678);

    #[test]
    fn the_default_filter_is_every_udrv_kind() {
        assert_eq!(
            plan_of(&["watch"]).unwrap(),
            Plan::Stream {
                filter: Filter::Some {
                    classes: ALL_CLASSES.to_vec(),
                    subsystems: vec![],
                },
                count: None,
                timeout: None,
                banner: false,
            }
        );
        assert_eq!(
            plan_of(&[
                "watch",
                "--class",
                "serial",
                "--class",
                "i2c",
                "--subsystem",
                "usb",
                "-c",
                "3",
                "--timeout",
                "2.5",
                "--banner"
            ])
            .unwrap(),
            Plan::Stream {
                filter: Filter::Some {
                    classes: vec![ClassArg::Serial, ClassArg::I2c],
                    subsystems: vec!["usb".into()],
                },
                count: Some(3),
                timeout: Some(Duration::from_millis(2500)),
                banner: true,
            }
        );
        // --subsystem alone: only that subsystem.
        assert_eq!(
            plan_of(&["watch", "--subsystem", "usb"]).unwrap(),
            Plan::Stream {
                filter: Filter::Some {
                    classes: vec![],
                    subsystems: vec!["usb".into()],
                },
                count: None,
                timeout: None,
                banner: false,
            }
        );
        assert!(matches!(
            plan_of(&["watch", "--all"]).unwrap(),
            Plan::Stream {
                filter: Filter::All,
                ..
            }
        ));
    }

    #[test]
    fn wait_takes_a_node_and_a_timeout() {
        assert_eq!(
            plan_of(&["watch", "--wait", "/dev/ttyUSB0", "--timeout", "30"]).unwrap(),
            Plan::Wait {
                node: "/dev/ttyUSB0".into(),
                timeout: Some(Duration::from_secs(30)),
            }
        );
        assert_eq!(
            plan_of(&["watch", "--wait", "ttyACM1"]).unwrap(),
            Plan::Wait {
                node: "/dev/ttyACM1".into(),
                timeout: None,
            }
        );
        assert_eq!(
            plan_of(&["watch", "--wait", "serial/by-id/usb-FTDI", "--timeout", "0"]).unwrap(),
            Plan::Wait {
                node: "/dev/serial/by-id/usb-FTDI".into(),
                timeout: Some(Duration::ZERO),
            }
        );
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        usage(&["watch", "--timeout", "soon"], "not a number of seconds");
        usage(&["watch", "--timeout", "-1"], "0 or more");
        usage(&["watch", "--timeout", "nan"], "0 or more");
        usage(&["watch", "--timeout", "inf"], "0 or more");
        usage(&["watch", "--timeout", "1e12"], "too long");
        usage(&["watch", "-c", "0"], "-c 0");
        usage(&["watch", "--all", "--class", "gpio"], "--all shows every");
        usage(
            &["watch", "--all", "--subsystem", "usb"],
            "--all shows every",
        );
        usage(&["watch", "--subsystem", ""], "not a kernel subsystem");
        usage(
            &["watch", "--subsystem", "usb/1-1"],
            "not a kernel subsystem",
        );
        usage(&["watch", "--wait", ""], "not a device node");
        usage(&["watch", "--wait", "/dev/"], "not a device node");
        usage(
            &[
                "watch",
                "--wait",
                "/dev/ttyUSB0",
                "--class",
                "serial",
                "-c",
                "1",
            ],
            "not --class, -c",
        );
        usage(&["watch", "--wait", "ttyUSB0", "--all"], "not --all");
        usage(
            &["watch", "--wait", "ttyUSB0", "--subsystem", "tty"],
            "not --subsystem",
        );
        usage(&["watch", "--wait", "ttyUSB0", "--banner"], "not --banner");
        // Unknown kinds are refused by clap (exit status 2 as well).
        let e = Cli::try_parse_from(["udrv", "watch", "--class", "usb"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("serial"), "{e}");
    }

    #[test]
    fn a_serial_adapter_line_names_node_and_origin() {
        let e = ev(
            "add",
            "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0",
            &[
                ("SUBSYSTEM", "tty"),
                ("DEVNAME", "ttyUSB0"),
                ("MAJOR", "188"),
                ("MINOR", "0"),
                ("SEQNUM", "3121"),
            ],
        );
        let parent = Parent {
            subsystem: Some("usb-serial".into()),
            driver: Some("ftdi_sio".into()),
            name: None,
        };
        assert_eq!(
            format_text(&e, T, Some(&parent)),
            "12:03:04.512  add     serial  /dev/ttyUSB0  (usb-serial ftdi_sio)"
        );
        // Without a parent (gone already, or a remove): no detail, no trailing blanks.
        let e = ev(
            "remove",
            "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0",
            &[("SUBSYSTEM", "tty"), ("DEVNAME", "ttyUSB0")],
        );
        assert_eq!(
            format_text(&e, T, None),
            "12:03:04.512  remove  serial  /dev/ttyUSB0"
        );
    }

    #[test]
    fn bind_shows_the_driver_and_other_kinds_their_names() {
        // An I2C client: no node; the udrv name; the driver on bind.
        let e = ev(
            "bind",
            "/devices/platform/i2c-stub/i2c-3/3-002c",
            &[("SUBSYSTEM", "i2c"), ("DRIVER", "dummy")],
        );
        let parent = Parent {
            subsystem: Some("i2c".into()),
            driver: None,
            name: Some("SMBus stub driver".into()),
        };
        assert_eq!(
            format_text(&e, T, Some(&parent)),
            "12:03:04.512  bind    i2c     i2c-3:0x2c  (driver dummy)"
        );
        // An adapter without a driver is named by its name attribute.
        let e = ev(
            "add",
            "/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3",
            &[("SUBSYSTEM", "i2c-dev"), ("DEVNAME", "i2c-3")],
        );
        assert_eq!(
            format_text(&e, T, Some(&parent)),
            "12:03:04.512  add     i2c     /dev/i2c-3  (i2c \"SMBus stub driver\")"
        );
        // An SPI device and a GPIO chip.
        let e = ev(
            "unbind",
            "/devices/platform/spi-lm70llp/spi_master/spi1/spi1.3",
            &[("SUBSYSTEM", "spi")],
        );
        assert_eq!(
            format_text(&e, T, None),
            "12:03:04.512  unbind  spi     spi1.3"
        );
        let e = ev(
            "add",
            "/devices/platform/gpio-sim.0/gpiochip2",
            &[("SUBSYSTEM", "gpio"), ("DEVNAME", "gpiochip2")],
        );
        let sim = Parent {
            subsystem: Some("platform".into()),
            driver: Some("gpio-sim".into()),
            name: None,
        };
        assert_eq!(
            format_text(&e, T, Some(&sim)),
            "12:03:04.512  add     gpio    /dev/gpiochip2  (platform gpio-sim)"
        );
        // Not a udrv device (--all): the subsystem as the kind, the devpath as the name.
        let e = ev(
            "add",
            "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0",
            &[("SUBSYSTEM", "usb"), ("DEVTYPE", "usb_interface")],
        );
        assert_eq!(
            format_text(&e, T, None),
            "12:03:04.512  add     usb     /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0"
        );
        let e = ev(
            "frobnicate",
            "/devices/virtual/misc/x",
            &[("SUBSYSTEM", "platform-long")],
        );
        assert_eq!(
            format_text(&e, T, None),
            "12:03:04.512  frobnicate platform-long /devices/virtual/misc/x"
        );
    }

    #[test]
    fn json_lines_carry_the_device_fields() {
        let e = ev(
            "bind",
            "/devices/platform/i2c-stub/i2c-3/3-002c",
            &[("SUBSYSTEM", "i2c"), ("DRIVER", "dummy"), ("SEQNUM", "77")],
        );
        let v = format_json(&e, T, None);
        assert_eq!(v["action"], "bind");
        assert_eq!(v["subsystem"], "i2c");
        assert_eq!(v["devpath"], "/devices/platform/i2c-stub/i2c-3/3-002c");
        assert_eq!(v["devname"], serde_json::Value::Null);
        assert_eq!(v["class"], "i2c");
        assert_eq!(v["driver"], "dummy");
        assert_eq!(v["seqnum"], 77);
        assert_eq!(v["parent"], serde_json::Value::Null);
        assert_eq!(
            v["device"],
            json!({"type": "i2c-client", "bus": 3, "address": 0x2c, "ten_bit": false,
                   "name": "i2c-3:0x2c", "node": "/dev/i2c-3"})
        );
        let secs = v["time"].as_f64().unwrap();
        assert!((secs - 1_795_348_984.512_345).abs() < 1e-3, "{secs}");

        let e = ev(
            "add",
            "/devices/platform/spi-lm70llp/spi_master/spi1/spi1.0/spidev/spidev1.0",
            &[("SUBSYSTEM", "spidev"), ("DEVNAME", "spidev1.0")],
        );
        let p = Parent {
            subsystem: Some("spi".into()),
            driver: Some("spidev".into()),
            name: None,
        };
        let v = format_json(&e, T, Some(&p));
        assert_eq!(v["devname"], "/dev/spidev1.0");
        assert_eq!(v["class"], "spi");
        assert_eq!(v["driver"], serde_json::Value::Null);
        assert_eq!(v["seqnum"], serde_json::Value::Null);
        assert_eq!(
            v["device"],
            json!({"type": "spidev", "bus": 1, "cs": 0, "name": "spidev1.0",
                   "node": "/dev/spidev1.0"})
        );
        assert_eq!(
            v["parent"],
            json!({"subsystem": "spi", "driver": "spidev", "name": null})
        );
        // One line: serde_json's compact form.
        assert!(!v.to_string().contains('\n'));

        let e = ev("add", "/devices/x/usb1/1-1", &[("SUBSYSTEM", "usb")]);
        let v = format_json(&e, T, None);
        assert_eq!(v["class"], serde_json::Value::Null);
        assert_eq!(v["device"], serde_json::Value::Null);
        for (path, ty) in [
            ("/devices/x/gpiochip4", "gpiochip"),
            ("/devices/x/uio/uio2", "uio"),
        ] {
            let sub = if ty == "uio" { "uio" } else { "gpio" };
            let v = format_json(&ev("add", path, &[("SUBSYSTEM", sub)]), T, None);
            assert_eq!(v["device"]["type"], ty, "{v}");
        }
    }

    #[test]
    fn clock_is_utc_to_the_millisecond() {
        assert_eq!(clock(T), "12:03:04.512");
        assert_eq!(clock(Timestamp::from_nanos(999_999_999)), "00:00:00.999");
    }

    #[test]
    fn the_man_page_and_completions_have_watch() {
        let page = crate::man::page(&["watch"]).unwrap();
        assert!(page.contains(".TH udrv-watch 1 "), "no udrv-watch page");
        assert!(page.contains("\\-\\-wait"), "no --wait in the man page");
        let mut buf = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut <Cli as clap::CommandFactory>::command(),
            "udrv",
            &mut buf,
        );
        assert!(String::from_utf8_lossy(&buf).contains("watch"));
    }
}
