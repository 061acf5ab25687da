//! `udrv serve` holding the pins of an MCP23017 in the real-kernel guest: the chip is
//! i2c-stub's register file at 0x20 (its registers written and read by the test with
//! busybox i2cset/i2cget), its INT output a gpio-sim line the test pulls low and high
//! through sysfs. An output pin set through the service is read back from the stub's
//! OLAT register; an input pin declared with `interrupt` gives a watching client the
//! event of the pin INTF names, with the level INTCAP captured, stamped by the kernel's
//! edge of the INT line (the service does not poll: nothing comes without an edge).
#![cfg(udrv_guest)]
#![cfg(feature = "serve")]

mod common;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use common::procs::{serve_holding, udrv_client, wait_for};
use common::{env, run, stderr, stdout};
use udrv_service::client::{Client, Event};

/// The gpio-sim line (of the `udrv-sim` bank) wired to the expander's INTA.
const INT: u32 = 12;
const CHIP: &str = "0x20";

fn pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
}

fn i2cset(reg: u8, value: u8) {
    let bus = env("UDRV_I2C_STUB_BUS");
    let o = run(
        "busybox",
        &[
            "i2cset",
            "-y",
            &bus,
            CHIP,
            &format!("{reg:#04x}"),
            &format!("{value:#04x}"),
            "b",
        ],
    );
    assert!(o.status.success(), "i2cset {reg:#04x}: {}", stderr(&o));
}

fn i2cget(reg: u8) -> u8 {
    let bus = env("UDRV_I2C_STUB_BUS");
    let o = run(
        "busybox",
        &["i2cget", "-y", &bus, CHIP, &format!("{reg:#04x}"), "b"],
    );
    assert!(o.status.success(), "i2cget {reg:#04x}: {}", stderr(&o));
    u8::from_str_radix(stdout(&o).trim().trim_start_matches("0x"), 16).unwrap()
}

// Bank 0 register addresses (port A; port B is one more).
const IODIR: u8 = 0x00;
const GPINTEN: u8 = 0x04;
const INTCON: u8 = 0x08;
const IOCON: u8 = 0x0a;
const INTF: u8 = 0x0e;
const INTCAP: u8 = 0x10;
const OLAT: u8 = 0x14;

/// The INT line pulled low (the expander signalling) after INTF and INTCAP are written as
/// the chip would, then released.
fn interrupt(flags: u8, captured: u8) {
    i2cset(INTF, flags);
    i2cset(INTCAP, captured);
    pull(INT, false);
    std::thread::sleep(Duration::from_millis(50));
    pull(INT, true);
    std::thread::sleep(Duration::from_millis(50));
}

fn config(dir: &Path, socket: &Path) -> std::path::PathBuf {
    let bus = env("UDRV_I2C_STUB_BUS");
    let f = dir.join("udrv.toml");
    std::fs::write(
        &f,
        format!(
            "board = \"guest\"\n[state]\ndir = \"{0}/state\"\n[socket]\npath = \"{1}\"\n\
             [[line]]\nname = \"relay\"\nline = \"mcp23017@i2c-{bus}:0x20/B3\"\n\
             direction = \"output\"\nstart = 1\n\
             [[line]]\nname = \"button\"\nline = \"mcp23017@i2c-{bus}:0x20/A1\"\n\
             direction = \"input\"\nbias = \"pull-up\"\ninterrupt = \"{2}:{INT}\"\n\
             [json]\n",
            dir.display(),
            socket.display(),
            env("UDRV_GPIO_SIM_CHIP"),
        ),
    )
    .unwrap();
    f
}

#[test]
fn an_mcp23017_on_i2c_stub_is_held_and_its_interrupt_gives_the_pin_that_changed() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("serve.sock");
    // The chip's registers at power-on as the stub holds them (zeros: bank 0), INT idle.
    for reg in 0..0x16 {
        i2cset(reg, 0);
    }
    pull(INT, true);
    let f = config(dir.path(), &socket);
    let service = serve_holding("udrv", &[], &f, &socket, dir.path());

    // The output: at its start level in OLATB, an output in IODIRB; set through the
    // service by another process, read back from the register.
    assert_eq!(i2cget(OLAT + 1), 0x08, "{}", service.stderr());
    assert_eq!(i2cget(IODIR + 1) & 0x08, 0);
    for (v, want) in [("0", 0x00), ("1", 0x08)] {
        let o = udrv_client("udrv", &socket, &["gpio", "set", &format!("relay={v}")]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(i2cget(OLAT + 1), want);
    }
    // Another program's bit in OLATB is kept by the next set (read-modify-write).
    i2cset(OLAT + 1, 0x88);
    let o = udrv_client("udrv", &socket, &["gpio", "set", "relay=0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(i2cget(OLAT + 1), 0x80);

    // The input: interrupt on change for A1, INTA and INTB mirrored and open drain.
    assert_eq!(i2cget(GPINTEN) & 0x02, 0x02);
    assert_eq!(i2cget(INTCON) & 0x02, 0);
    assert_eq!(i2cget(IOCON) & 0x44, 0x44, "MIRROR and ODR");
    assert_eq!(i2cget(IODIR) & 0x02, 0x02, "A1 an input");

    let mut w = Client::connect(&socket).unwrap().watch("button").unwrap();
    let (tx, rx) = mpsc::channel::<Event>();
    std::thread::spawn(move || {
        while let Ok(Some(e)) = w.next_event() {
            if tx.send(e).is_err() {
                return;
            }
        }
    });
    // Registers changed without an INT edge: nothing (no polling).
    i2cset(INTF, 0x02);
    i2cset(INTCAP, 0x02);
    assert!(rx.recv_timeout(Duration::from_millis(500)).is_err());
    // A1 went high: the event names the pin, rising, with the kernel's time of the edge.
    interrupt(0x02, 0x02);
    let e = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
    assert_eq!(
        (e.name.as_str(), e.edge.as_str(), e.lost),
        ("button", "rising", 0)
    );
    assert!(e.timestamp_ns > 0);
    // A0 (not declared) changed: its interrupt gives the button's watchers nothing.
    interrupt(0x01, 0x03);
    // A1 went low.
    interrupt(0x02, 0x00);
    let e2 = rx.recv_timeout(Duration::from_secs(10)).expect("an event");
    assert_eq!((e2.name.as_str(), e2.edge.as_str()), ("button", "falling"));
    assert!(e2.timestamp_ns > e.timestamp_ns);
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "one event an edge"
    );
    // The service publishes the same edges as its change records (JSON lines, as MQTT
    // states): the pin that changed, from the interrupt, not a poll.
    let changes = || -> Vec<serde_json::Value> {
        let out = service.stdout();
        let all = out.lines().filter_map(|l| serde_json::from_str(l).ok());
        all.filter(|v: &serde_json::Value| v["line"] == "button")
            .collect()
    };
    wait_for(
        "two change records of button",
        Duration::from_secs(30),
        || changes().len() >= 2,
        || service.stdout(),
    );
    let c = changes();
    let edges: Vec<(&str, &str, i64)> = c
        .iter()
        .map(|v| {
            (
                v["edge"].as_str().unwrap_or("?"),
                v["source"].as_str().unwrap_or("?"),
                v["value"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [("rising", "edge", 1), ("falling", "edge", 0)],
        "{c:?}"
    );
    // `get` reads the port.
    i2cset(0x12, 0x02);
    let o = udrv_client("udrv", &socket, &["gpio", "get", "-n", "button"]);
    assert_eq!(stdout(&o), "1\n", "{}", stderr(&o));
    drop(service);
    pull(INT, false);
}
