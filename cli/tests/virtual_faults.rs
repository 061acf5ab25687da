//! The CLI under injected bus faults (`UDRV_VIRTUAL_FAULTS` on the virtual board): typed,
//! one-line errors naming the device and the fault, no panics, partial results kept where
//! the command can go on, and bad fault specs refused.

mod common;

use std::process::{Command, Output};

use common::{stderr, stdout};

fn udrv(faults: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual"])
        .args(args)
        .env("UDRV_VIRTUAL_TIME", "1000")
        .env("UDRV_VIRTUAL_FAULTS", faults)
        .output()
        .expect("run udrv")
}

#[test]
fn each_fault_is_reported_typed_in_one_line() {
    for (fault, errno) in [
        ("nack-addr", "ENXIO"),
        ("nack-data", "ENODEV"),
        ("timeout", "ETIMEDOUT"),
        ("eio", "EIO"),
        ("eagain", "EAGAIN"),
        ("ebusy", "EBUSY"),
    ] {
        let o = udrv(
            &format!("i2c@0x76:{fault}"),
            &["i2c", "get", "-y", "1", "0x76", "0xd0"],
        );
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{fault}: {e}");
        assert!(e.contains("0x76") && e.contains(errno), "{fault}: {e}");
        assert_eq!(e.lines().count(), 1, "{fault}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}

#[test]
fn a_faulty_chip_does_not_stop_the_others_being_read() {
    let o = udrv("i2c@0x76:timeout", &["read"]);
    let out = stdout(&o);
    let err = stderr(&o);
    assert!(
        err.contains("bme280@i2c-1:0x76") && err.contains("ETIMEDOUT"),
        "{err}"
    );
    assert!(!out.contains("bme280@i2c-1:0x76"), "{out}");
    assert!(
        out.contains("sht3x@i2c-1:0x44") && out.contains("lm75@i2c-1:0x4f"),
        "{out}"
    );
    assert_ne!(
        o.status.code(),
        Some(0),
        "a failed chip must fail the command"
    );
}

#[test]
fn one_failed_register_shows_as_xx_in_a_dump() {
    // Let three register reads through, fail the fourth, then work again.
    let o = udrv(
        "i2c@0x76:eio:after=3:times=1",
        &["i2c", "dump", "-y", "-r", "0xd0-0xdf", "1", "0x76"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("XX").count(), 1, "{out}");
    assert!(
        out.contains("d0: 60 "),
        "the chip ID before the fault: {out}"
    );
}

#[test]
fn detect_shows_an_address_that_does_not_acknowledge_as_absent() {
    let o = udrv(
        "i2c@0x48:nack-addr",
        &["--json", "i2c", "detect", "-y", "1"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let present = v["present"].as_array().unwrap();
    assert!(!present.contains(&0x48.into()), "{v}");
    assert!(present.contains(&0x76.into()), "{v}");
}

#[test]
fn spi_faults_are_reported_too() {
    let o = udrv("spi:eio", &["read", "mcp3008@spidev0.0"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("mcp3008@spidev0.0") && e.contains("EIO"), "{e}");
}

#[test]
fn a_bad_fault_spec_is_a_usage_error() {
    let o = udrv("i2c:melt", &["i2c", "detect", "-y", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("UDRV_VIRTUAL_FAULTS"));
}

#[test]
fn a_bad_fault_spec_stops_read_once_before_any_chip() {
    // Checked once up front, as `i2c get` does: one line, exit 2, nothing read.
    for args in [
        &["read"][..],
        &["read", "lm75@i2c-1:0x4f"],
        &["read", "-n", "2", "-w", "0.01"],
    ] {
        let o = udrv("garbage", args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
        assert!(
            e.contains("UDRV_VIRTUAL_FAULTS") && e.contains("garbage"),
            "{e}"
        );
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
}

#[test]
fn one_fault_plan_lasts_the_whole_read() {
    // `times=1`: one failure in the whole command (as in `i2c dump`), not one per chip
    // or per round: the first round fails, the second reads.
    let o = udrv(
        "i2c@0x4f:nack-addr:times=1",
        &["read", "-n", "2", "-w", "0.01", "lm75@i2c-1:0x4f"],
    );
    let e = stderr(&o);
    assert_eq!(e.matches("ENXIO").count(), 1, "{e}");
    assert_eq!(
        stdout(&o).matches("lm75@i2c-1:0x4f  temperature").count(),
        1,
        "{}",
        stdout(&o)
    );
}
