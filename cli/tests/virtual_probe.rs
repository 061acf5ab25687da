//! `udrv --board virtual probe i2c-1`, run as the built binary: every chip of the virtual
//! board's I2C bus found at its address and named from its registers, JSON, errors.

use std::process::{Command, Output};

use udrv_boards::r#virtual::CHIPS;

fn udrv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(args)
        .env_remove("UDRV_BOARD")
        .env("UDRV_VIRTUAL_TIME", "300")
        .output()
        .expect("run udrv")
}

#[test]
fn names_every_chip_of_the_virtual_bus() {
    let o = udrv(&["--board", "virtual", "probe", "i2c-1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    // Chips on the bus itself (those behind a switch channel are not on it until the
    // channel is selected, which probe never does).
    let on_bus = || {
        CHIPS
            .iter()
            .filter(|c| c.address.is_some() && c.bus == "i2c-1")
    };
    for c in on_bus() {
        let Some(a) = c.address else { continue };
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{a:#04x} ")))
            .unwrap_or_else(|| panic!("{a:#04x} not found:\n{out}"));
        let guess = line.split_whitespace().nth(1).unwrap();
        if c.chip == "sht3x" {
            // Only commands make an SHT3x talk; probe sends none.
            assert_eq!(guess, "(sht3x?)", "{line}");
        } else if c.chip == "bh1750" || c.chip == "shtc3" {
            // Command-driven too: candidates from plain reads, never identified.
            assert_eq!(guess, format!("({}?)", c.chip), "{line}");
            assert!(
                line.contains(&format!("udrv read {}@BUS", c.chip)),
                "{line}"
            );
        } else if c.chip == "pca9548" {
            // Only plain reads at 0x70-0x75: a switch takes any written byte as its
            // channel selection; it repeats its control register (no channel enabled).
            assert_eq!(guess, "(pca954x?)", "{line}");
            assert!(line.contains("channels enabled: none"), "{line}");
        } else if c.chip == "pca9554" {
            // Only plain reads at 0x20-0x27: a PCA9554 repeats its input port.
            assert_eq!(guess, "(I/O", "{line}");
            assert!(line.contains("PCA9554"), "{line}");
        } else {
            assert_eq!(guess, c.chip, "{line}");
        }
    }
    // The PCA9685 answers its all-call address too, moved to 0x6f (0x70 is the SHTC3's);
    // nothing else is on the bus.
    assert!(out.contains("0x6f  pca9685 "), "{out}");
    let expected = on_bus().count() + 1;
    assert_eq!(out.lines().count(), expected, "{out}");
    assert!(
        out.contains("chip ID register 0xd0 = 0x60"),
        "evidence: {out}"
    );
}

#[test]
fn json_lists_what_was_found() {
    let o = udrv(&["--board", "virtual", "--json", "probe", "1"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = v["found"].as_array().unwrap();
    let at = |a: u64| found.iter().find(|f| f["address"] == a).unwrap();
    assert_eq!(at(0x76)["chip"], "bme280");
    assert_eq!(at(0x40)["chip"], "ina219");
    assert_eq!(at(0x44)["chip"], serde_json::Value::Null);
    assert_eq!(at(0x44)["guess"], "(sht3x?)");
    assert_eq!(at(0x23)["chip"], serde_json::Value::Null);
    assert_eq!(at(0x23)["guess"], "(bh1750?)");
    assert_eq!(at(0x70)["guess"], "(shtc3?)");
    assert!(at(0x70)["evidence"]
        .as_str()
        .unwrap()
        .contains("refuses a plain read"));
    assert!(found.iter().all(|f| f["evidence"].as_str().is_some()));
}

#[test]
fn probing_does_not_change_what_read_sees() {
    // A probe only reads: the PCA9685 stays asleep at its power-on prescale, the INA219 at
    // its power-on configuration (which probe itself relies on).
    let a = udrv(&["--board", "virtual", "probe", "i2c-1"]);
    let b = udrv(&["--board", "virtual", "probe", "i2c-1"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn unknown_bus() {
    let o = udrv(&["--board", "virtual", "probe", "i2c-9"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("i2c-9") && e.contains("i2c-1"), "{e}");
    let o = udrv(&["probe", "/dev/i2c-250"]);
    assert_eq!(o.status.code(), Some(1));
}
