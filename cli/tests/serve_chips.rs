#![cfg(feature = "serve")]
//! `udrv serve` holding chip pins on the virtual board (an MCP23017 pin, a PCA9554 pin, a
//! PCA9685 channel): other processes set and read them through its socket (`udrv gpio
//! set relay=1`, `fan=25%`), a SIGKILLed service restarted restores them, `--check`
//! places mistaken pins, and `udrv i2c set` to a chip whose pins the service holds is
//! refused naming the outputs to use (`udrv i2c get` is not). Host only: starts the udrv
//! binary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::procs::{serve_holding, udrv_client, Proc};
use udrv_service::client::Client;

const UDRV: &str = env!("CARGO_BIN_EXE_udrv");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A service on the virtual board holding the pins `config` declares; its socket.
fn start(dir: &Path) -> (Proc, PathBuf) {
    let (f, socket) = config(dir);
    let service = serve_holding(UDRV, &VIRTUAL, &f, &socket, dir);
    (service, socket)
}

const VIRTUAL: [&str; 2] = ["--board", "virtual"];

/// The pins the service holds: an MCP23017 pin, a PCA9554 pin, a PCA9685 channel.
const PINS: &str = "[[line]]\nname = \"relay\"\nline = \"mcp23017@i2c-1:0x20/B3\"\n\
                    direction = \"output\"\nrestore = true\n\
                    [[line]]\nname = \"lamp\"\nline = \"pca9554@i2c-1:0x21/2\"\n\
                    direction = \"output\"\nrestore = true\n\
                    [[line]]\nname = \"fan\"\nline = \"pca9685@i2c-1:0x41/3\"\n\
                    direction = \"output\"\nstart = 0.5\nrestore = true\n";

/// The configuration file (its state and socket in `dir`) and the socket.
fn config(dir: &Path) -> (PathBuf, PathBuf) {
    let socket = dir.join("run/serve.sock");
    let places = format!(
        "[state]\ndir = \"{}/state\"\n[socket]\npath = \"{}\"\n",
        dir.display(),
        socket.display()
    );
    let f = dir.join("udrv.toml");
    fs::write(&f, places + PINS).unwrap();
    (f, socket)
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn chip_pins_are_set_and_read_through_the_service_and_restored_after_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let (service, socket) = start(dir.path());
    assert_eq!(
        ok(&udrv_client(
            UDRV,
            &socket,
            &["gpio", "get", "-n", "relay", "lamp", "fan"]
        )),
        "0 0 1\n",
        "outputs at their start levels, the fan at its start duty"
    );
    let o = udrv_client(UDRV, &socket, &["gpio", "set", "relay=1", "lamp=1"]);
    ok(&o);
    assert!(text(&o.stderr).contains("through udrv serve"));
    let o = udrv_client(UDRV, &socket, &["gpio", "set", "fan=25%"]);
    ok(&o);
    assert!(text(&o.stderr).contains("through udrv serve"));
    assert_eq!(
        ok(&udrv_client(
            UDRV,
            &socket,
            &["gpio", "get", "-n", "relay", "lamp"]
        )),
        "1 1\n"
    );
    assert_eq!(Client::connect(&socket).unwrap().duty("fan").unwrap(), 0.25);
    for (args, want) in [
        (vec!["gpio", "set", "fan=150%"], "0%..100%"),
        (vec!["gpio", "set", "relay=50%"], "not a PWM channel"),
    ] {
        let o = udrv_client(UDRV, &socket, &args);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            text(&o.stderr).contains(want),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }

    // SIGKILL, then a new service on a new virtual board: every value is back.
    service.signal("-KILL");
    drop(service);
    let (service, _) = start(dir.path());
    assert_eq!(
        ok(&udrv_client(
            UDRV,
            &socket,
            &["gpio", "get", "-n", "relay", "lamp"]
        )),
        "1 1\n",
        "{}",
        service.stderr()
    );
    assert_eq!(Client::connect(&socket).unwrap().duty("fan").unwrap(), 0.25);
}

#[test]
fn raw_writes_to_a_held_chip_are_refused_naming_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (_service, socket) = start(dir.path());
    let client = |a: &[&str]| udrv_client(UDRV, &socket, &[&VIRTUAL[..], a].concat());
    for a in [
        &["i2c", "set", "-y", "1", "0x20", "0x15", "0xff"][..],
        &["i2c", "transfer", "-y", "1", "w2@0x41", "0x06", "0x00"],
    ] {
        let o = client(a);
        assert_eq!(o.status.code(), Some(1), "{a:?}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&socket.display().to_string()), "{err}");
        assert!(err.contains("udrv gpio set"), "{err}");
    }
    let err = text(&client(&["i2c", "set", "-y", "1", "0x20", "0x15", "0xff"]).stderr);
    assert!(err.contains("relay") && !err.contains("lamp"), "{err}");
    // Reads stay allowed, and so do writes to chips the service does not hold.
    ok(&client(&["i2c", "get", "-y", "1", "0x20", "0x15"]));
    ok(&client(&["i2c", "dump", "-y", "1", "0x20"]));
    ok(&client(&["i2c", "set", "-y", "1", "0x50", "0x00", "0x12"]));
}

#[test]
fn check_places_mistaken_chip_pins() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    // A pin the chip lacks, a kind udrv does not know, a PWM channel as an input.
    let bad = [
        ("a", "mcp23017@i2c-1:0x20/B9", "output"),
        ("b", "relay9000@i2c-1:0x20/1", "output"),
        ("c", "pca9685@i2c-1:0x40/2", "input"),
    ]
    .map(|(n, l, d)| format!("[[line]]\nname = \"{n}\"\nline = \"{l}\"\ndirection = \"{d}\"\n"));
    fs::write(&f, bad.concat()).unwrap();
    let o = udrv_client(
        UDRV,
        dir.path(),
        &["serve", "--check", &f.display().to_string()],
    );
    let err = text(&o.stderr);
    let placed = [
        "3:8: [[line]] 1: `B9` is not a pin of the mcp23017: give A0..A7 or B0..B7",
        "7:8: [[line]] 2: unknown chip `relay9000`",
        "12:13: [[line]] 3: a PCA9685 channel is a PWM output",
    ]
    .map(|w| err.contains(&format!("{}:{w}", f.display())));
    assert_eq!((o.status.code(), placed), (Some(2), [true; 3]), "{err}");
}
