//! `udrv watch`'s unit tests: argument checking and the output's formats.

use super::format::clock;
use super::*;
use clap::Parser;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use udrv_core::hotplug::Event;

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
    let mut p = format!("{action}@{devpath}\0ACTION={action}\0DEVPATH={devpath}\0").into_bytes();
    for (k, v) in pairs {
        p.extend_from_slice(format!("{k}={v}\0").as_bytes());
    }
    Event::parse(&p).unwrap()
}

/// 2026-11-22 12:03:04.512 UTC.
fn t() -> SystemTime {
    at(1_795_348_984_512_345_678)
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// A stream's plan: the classes and subsystems of a filter, the count, timeout and banner.
fn stream(
    classes: Vec<ClassArg>,
    subsystems: &[&str],
    count: Option<u64>,
    timeout: Option<Duration>,
    banner: bool,
) -> Plan {
    let subsystems = subsystems.iter().map(|s| s.to_string()).collect();
    Plan::Stream {
        filter: Filter::Some {
            classes,
            subsystems,
        },
        count,
        timeout,
        banner,
    }
}

/// The device a hotplug line names came from.
fn parent(subsystem: &str, driver: Option<&str>, name: Option<&str>) -> Parent {
    Parent {
        subsystem: Some(subsystem.into()),
        driver: driver.map(Into::into),
        name: name.map(Into::into),
    }
}

#[test]
fn the_default_filter_is_every_udrv_kind() {
    let every = "watch --class serial --class i2c --subsystem usb -c 3 --timeout 2.5 --banner";
    let cases = [
        (
            "watch",
            stream(ALL_CLASSES.to_vec(), &[], None, None, false),
        ),
        (
            every,
            stream(
                vec![ClassArg::Serial, ClassArg::I2c],
                &["usb"],
                Some(3),
                Some(Duration::from_millis(2500)),
                true,
            ),
        ),
        // --subsystem alone: only that subsystem.
        (
            "watch --subsystem usb",
            stream(vec![], &["usb"], None, None, false),
        ),
    ];
    for (line, want) in cases {
        let v: Vec<&str> = line.split(' ').collect();
        assert_eq!(plan_of(&v).unwrap(), want, "{line}");
    }
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
    let cases = [
        (
            "/dev/ttyUSB0 --timeout 30",
            "/dev/ttyUSB0",
            Some(Duration::from_secs(30)),
        ),
        ("ttyACM1", "/dev/ttyACM1", None),
        (
            "serial/by-id/usb-FTDI --timeout 0",
            "/dev/serial/by-id/usb-FTDI",
            Some(Duration::ZERO),
        ),
    ];
    for (line, node, timeout) in cases {
        let mut v = vec!["watch", "--wait"];
        v.extend(line.split(' '));
        let want = Plan::Wait {
            node: node.into(),
            timeout,
        };
        assert_eq!(plan_of(&v).unwrap(), want, "{line}");
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let cases: [(&[&str], &str); 16] = [
        (&["--timeout", "soon"], "not a number of seconds"),
        (&["--timeout", "-1"], "0 or more"),
        (&["--timeout", "nan"], "0 or more"),
        (&["--timeout", "inf"], "0 or more"),
        (&["--timeout", "1e12"], "too long"),
        (&["-c", "0"], "-c 0"),
        (&["--all", "--class", "gpio"], "--all shows every"),
        (&["--all", "--subsystem", "usb"], "--all shows every"),
        (&["--subsystem", ""], "not a kernel subsystem"),
        (&["--subsystem", "usb/1-1"], "not a kernel subsystem"),
        (&["--wait", ""], "not a device node"),
        (&["--wait", "/dev/"], "not a device node"),
        (
            &["--wait", "/dev/ttyUSB0", "--class", "serial", "-c", "1"],
            "not --class, -c",
        ),
        (&["--wait", "ttyUSB0", "--all"], "not --all"),
        (
            &["--wait", "ttyUSB0", "--subsystem", "tty"],
            "not --subsystem",
        ),
        (&["--wait", "ttyUSB0", "--banner"], "not --banner"),
    ];
    for (args, needle) in cases {
        let mut v = vec!["watch"];
        v.extend(args);
        usage(&v, needle);
    }
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
        format_text(&e, t(), Some(&parent)),
        "12:03:04.512  add     serial  /dev/ttyUSB0  (usb-serial ftdi_sio)"
    );
    // Without a parent (gone already, or a remove): no detail, no trailing blanks.
    let e = ev(
        "remove",
        "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0/tty/ttyUSB0",
        &[("SUBSYSTEM", "tty"), ("DEVNAME", "ttyUSB0")],
    );
    assert_eq!(
        format_text(&e, t(), None),
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
        format_text(&e, t(), Some(&parent)),
        "12:03:04.512  bind    i2c     i2c-3:0x2c  (driver dummy)"
    );
    // An adapter without a driver is named by its name attribute.
    let e = ev(
        "add",
        "/devices/platform/i2c-stub/i2c-3/i2c-dev/i2c-3",
        &[("SUBSYSTEM", "i2c-dev"), ("DEVNAME", "i2c-3")],
    );
    assert_eq!(
        format_text(&e, t(), Some(&parent)),
        "12:03:04.512  add     i2c     /dev/i2c-3  (i2c \"SMBus stub driver\")"
    );
    // An SPI device and a GPIO chip.
    let e = ev(
        "unbind",
        "/devices/platform/spi-lm70llp/spi_master/spi1/spi1.3",
        &[("SUBSYSTEM", "spi")],
    );
    assert_eq!(
        format_text(&e, t(), None),
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
        format_text(&e, t(), Some(&sim)),
        "12:03:04.512  add     gpio    /dev/gpiochip2  (platform gpio-sim)"
    );
    // Not a udrv device (--all): the subsystem as the kind, the devpath as the name.
    let e = ev(
        "add",
        "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0",
        &[("SUBSYSTEM", "usb"), ("DEVTYPE", "usb_interface")],
    );
    assert_eq!(
        format_text(&e, t(), None),
        "12:03:04.512  add     usb     /devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0"
    );
    let e = ev(
        "frobnicate",
        "/devices/virtual/misc/x",
        &[("SUBSYSTEM", "platform-long")],
    );
    assert_eq!(
        format_text(&e, t(), None),
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
    let v = format_json(&e, t(), None);
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
    let p = parent("spi", Some("spidev"), None);
    let v = format_json(&e, t(), Some(&p));
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
    let v = format_json(&e, t(), None);
    assert_eq!(v["class"], serde_json::Value::Null);
    assert_eq!(v["device"], serde_json::Value::Null);
    for (path, ty) in [
        ("/devices/x/gpiochip4", "gpiochip"),
        ("/devices/x/uio/uio2", "uio"),
    ] {
        let sub = if ty == "uio" { "uio" } else { "gpio" };
        let v = format_json(&ev("add", path, &[("SUBSYSTEM", sub)]), t(), None);
        assert_eq!(v["device"]["type"], ty, "{v}");
    }
}

#[test]
fn clock_is_utc_to_the_millisecond() {
    assert_eq!(clock(t()), "12:03:04.512");
    assert_eq!(clock(at(999_999_999)), "00:00:00.999");
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
