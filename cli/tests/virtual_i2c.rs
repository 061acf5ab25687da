//! `udrv --board virtual i2c ...`: every i2c command works on the virtual board's
//! simulated bus, as it does on /dev/i2c-N.

use std::process::{Command, Output};

use udrv_boards::r#virtual::CHIPS;

fn udrv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual"])
        .args(args)
        .env("UDRV_VIRTUAL_TIME", "1000")
        .output()
        .expect("run udrv")
}

fn ok(args: &[&str]) -> String {
    let o = udrv(args);
    assert!(
        o.status.success(),
        "udrv {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn detect_finds_every_chip_of_the_board() {
    let grid = ok(&["i2c", "detect", "-y", "1"]);
    let on_i2c: Vec<u8> = CHIPS
        .iter()
        .filter(|c| c.bus == "i2c-1")
        .filter_map(|c| c.address)
        .collect();
    assert!(!on_i2c.is_empty());
    for a in &on_i2c {
        let row = grid
            .lines()
            .find(|l| l.starts_with(&format!("{:02x}:", a & 0xf0)))
            .unwrap();
        let cell = &row[4 + 3 * (*a as usize & 0xf)..][..2];
        assert_eq!(cell, format!("{a:02x}"), "{grid}");
    }
    // And the JSON form lists the same addresses (the PCA9685 also answers its all-call
    // address, which the board moves to 0x6f: 0x70 is the SHTC3's).
    let o = ok(&["--json", "i2c", "detect", "-y", "i2c_arm"]);
    let v: serde_json::Value = serde_json::from_str(o.trim()).unwrap();
    for a in on_i2c.into_iter().chain([0x6f]) {
        assert!(v["present"].as_array().unwrap().contains(&a.into()), "{v}");
    }
}

#[test]
fn get_reads_the_bme280_chip_id() {
    // BME280 datasheet 5.4.1: register 0xD0 `id` reads 0x60.
    assert_eq!(
        ok(&["i2c", "get", "-y", "1", "0x76", "0xd0"]).trim(),
        "0x60"
    );
}

#[test]
fn transfer_reads_the_eeprom_as_udrv_read_does() {
    let t = ok(&[
        "i2c", "transfer", "-y", "1", "w2@0x50", "0x00", "0x00", "r16",
    ]);
    let bytes: Vec<String> = t
        .split_whitespace()
        .map(|b| b.trim_start_matches("0x").to_string())
        .collect();
    let r = ok(&["read", "at24c32@i2c-1:0x50"]);
    let first = r.lines().next().expect("a line of the EEPROM");
    assert!(
        first.contains(&bytes.join(" ")),
        "transfer {bytes:?} vs read {first}"
    );
}

#[test]
fn an_absent_chip_is_a_clear_error() {
    let o = udrv(&["i2c", "get", "-y", "1", "0x33", "0x00"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("0x33") && e.contains("did not acknowledge"),
        "{e}"
    );
    let o = udrv(&["i2c", "detect", "-y", "7"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("i2c-1"));
}

#[test]
fn list_shows_the_simulated_bus() {
    let l = ok(&["i2c", "list"]);
    assert!(l.starts_with("i2c-1\ti2c"), "{l}");
    assert!(l.contains("simulated"), "{l}");
}
