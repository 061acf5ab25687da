//! `udrv board ...` and `--board` itself, run as the built binary: `board pins` on the
//! virtual board shows its lines' directions and levels, a board name that names no board
//! is a bad argument (exit status 2) wherever it is given, and an empty `UDRV_BOARD` is no
//! board name at all.

mod common;

use std::process::{Command, Output};

use common::{stderr, stdout};

fn udrv(args: &[&str], board_env: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.args(args)
        .env("UDRV_VIRTUAL_TIME", "1000")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env_remove("UDRV_ROOT");
    match board_env {
        Some(b) => c.env("UDRV_BOARD", b),
        None => c.env_remove("UDRV_BOARD"),
    };
    c.output().expect("run udrv")
}

/// The JSON row of header pin `name` in `board pins --json`.
fn row<'a>(table: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pin"]["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {table}"))
}

#[test]
fn board_pins_shows_the_virtual_lines_directions_and_levels() {
    let o = udrv(&["--board", "virtual", "--json", "board", "pins"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    // MCP23017 INTA (active low) idles high; the heater relay and the LED start off.
    let s = &row(&t, "GPIO17")["state"];
    assert_eq!(
        (&s["direction"], &s["value"]),
        (&"in".into(), &1.into()),
        "{s}"
    );
    for out in ["GPIO27", "GPIO22"] {
        let s = &row(&t, out)["state"];
        assert_eq!(
            (&s["direction"], &s["value"]),
            (&"out".into(), &0.into()),
            "{s}"
        );
    }
    assert!(row(&t, "GND")["state"].is_null());
    // The text table has the direction=value column (as on a real board).
    let o = udrv(&["--board", "virtual", "board", "pins"], None);
    let text = stdout(&o);
    let line = text.lines().find(|l| l.contains("GPIO17")).unwrap();
    assert!(line.contains("in=1"), "{text}");
    let line = text.lines().find(|l| l.contains("GPIO27")).unwrap();
    assert!(line.contains("out=0"), "{text}");
    // --no-values: directions, no levels.
    let o = udrv(
        &[
            "--board",
            "virtual",
            "--json",
            "board",
            "pins",
            "--no-values",
        ],
        None,
    );
    let t: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let s = &row(&t, "GPIO27")["state"];
    assert_eq!(
        (&s["direction"], &s["value"]),
        (&"out".into(), &serde_json::Value::Null)
    );
}

#[test]
fn an_unknown_board_name_is_a_bad_argument_everywhere() {
    for args in [
        &["board", "info"][..],
        &["read", "bme280@i2c-1"],
        &["probe", "1"],
        &["i2c", "get", "-y", "1", "0x76", "0xd0"],
        &["spi", "transfer", "-y", "0.0", "9f"],
        &["gpio", "detect"],
    ] {
        let mut all = vec!["--board", "nope"];
        all.extend_from_slice(args);
        let o = udrv(&all, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("nope") && e.contains("rpi4b"), "{args:?}: {e}");
        // From the environment too.
        let o = udrv(args, Some("nope"));
        assert_eq!(
            o.status.code(),
            Some(2),
            "UDRV_BOARD {args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn an_empty_udrv_board_is_unset() {
    // Detection then reads the device tree: this fixture's says Raspberry Pi 4.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../boards/tests/fixtures/rpi4b"
    );
    for empty in ["", "  "] {
        let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
            .args(["board", "info"])
            .env("UDRV_BOARD", empty)
            .env("UDRV_ROOT", fixture)
            .output()
            .unwrap();
        assert!(o.status.success(), "UDRV_BOARD={empty:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("(rpi4b)"), "{}", stdout(&o));
        assert!(!stdout(&o).contains("chosen by"), "{}", stdout(&o));
    }
    // And on a command that opens no board: the virtual board is not assumed either.
    let o = udrv(&["read"], Some(""));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("name a chip"), "{}", stderr(&o));
}

#[test]
fn every_command_takes_the_virtual_boards_settings_alike() {
    // The virtual board's settings are read in one place: a bad UDRV_VIRTUAL_TIME or
    // UDRV_VIRTUAL_FAULTS is a bad argument (exit status 2, one line naming the variable)
    // for every command on the virtual board, `board` as much as `read`.
    for (var, value) in [
        ("UDRV_VIRTUAL_TIME", "-1"),
        ("UDRV_VIRTUAL_FAULTS", "i2c:melt"),
    ] {
        for args in [
            &["board", "info"][..],
            &["board", "pins"],
            &["read", "lm75@1:0x4f"],
            &["i2c", "detect", "-y", "1"],
            &["probe", "1"],
            &["spi", "transfer", "-y", "0.0", "00"],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
                .args(["--board", "virtual"])
                .args(args)
                .env_remove("UDRV_VIRTUAL_TIME")
                .env_remove("UDRV_VIRTUAL_FAULTS")
                .env(var, value)
                .output()
                .expect("run udrv");
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{var}={value} {args:?}: {e}");
            assert!(
                e.contains(var) && e.lines().count() == 1,
                "{var}={value} {args:?}: {e}"
            );
            assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
        }
    }
}
