//! `udrv --board virtual spi transfer`, run as the built binary: the virtual board's SPI
//! chips answer (the W25Q32's JEDEC ID, an MCP3008 conversion), faults from
//! `UDRV_VIRTUAL_FAULTS` reach the command, settings the simulated chips do not take are
//! refused; and the commands with no virtual form (`gpio`, `uio`) say so instead of
//! touching this machine's devices.

mod common;

use std::process::{Command, Output};

use common::{assert_stderr_has, stderr, stdout};

fn udrv(args: &[&str], faults: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.args(args)
        .env_remove("UDRV_BOARD")
        .env("UDRV_VIRTUAL_TIME", "1000");
    match faults {
        Some(f) => c.env("UDRV_VIRTUAL_FAULTS", f),
        None => c.env_remove("UDRV_VIRTUAL_FAULTS"),
    };
    c.output().expect("run udrv")
}

#[test]
fn the_flash_answers_its_jedec_id() {
    // W25Q32 on spidev1.1: manufacturer 0xEF (Winbond), type 0x40, capacity 0x16 (4 MiB),
    // after the byte clocked out with the command.
    for dev in ["spidev1.1", "1.1", "/dev/spidev1.1"] {
        let o = udrv(
            &[
                "--board", "virtual", "spi", "transfer", "-y", dev, "9f", "00", "00", "00",
            ],
            None,
        );
        assert!(o.status.success(), "{dev}: {}", stderr(&o));
        assert_eq!(stdout(&o), "ff ef 40 16\n", "{dev}");
    }
    let o = udrv(
        &[
            "--board", "virtual", "--json", "spi", "transfer", "-y", "1.1", "9f", "0", "0", "0",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["device"], "virtual:spidev1.1");
    assert_eq!(v["rx"], serde_json::json!([0xff, 0xef, 0x40, 0x16]));
}

#[test]
fn an_adc_conversion_goes_through_the_chip_model() {
    // MCP3008 on spidev0.0, CH2 at 1.65 V of 3.3 V: start bit, single-ended CH2, then the
    // 10-bit result in the last 10 bits of the reply: about 512.
    let o = udrv(
        &[
            "--board", "virtual", "spi", "transfer", "-y", "0.0", "01", "a0", "00",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rx: Vec<u8> = stdout(&o)
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    let code = (u16::from(rx[1] & 0x03) << 8) | u16::from(rx[2]);
    assert!((505..=519).contains(&code), "CH2 code {code}: {rx:02x?}");
}

#[test]
fn faults_and_settings_the_chips_do_not_take() {
    let o = udrv(
        &[
            "--board", "virtual", "spi", "transfer", "-y", "1.1", "9f", "00",
        ],
        Some("spi:eio"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("virtual spidev1.1") && stderr(&o).contains("EIO"));
    let o = udrv(
        &[
            "--board", "virtual", "spi", "transfer", "-y", "-m", "3", "1.1", "9f",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, "mode 0");
    let o = udrv(
        &["--board", "virtual", "spi", "transfer", "-y", "7.0", "9f"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("spidev1.1"),
        "lists what exists: {}",
        stderr(&o)
    );
}

#[test]
fn gpio_and_uio_refuse_the_virtual_board() {
    for args in [
        &["gpio", "get", "GPIO17"][..],
        &["gpio", "detect"],
        &["uio", "list"],
    ] {
        let mut all = vec!["--board", "virtual"];
        all.extend_from_slice(args);
        let o = udrv(&all, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("does not run on the virtual board"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn the_spi_names_board_info_prints_work() {
    // `board info` names the virtual board's SPI devices spiB.C: each one answers.
    let o = udrv(&["--board", "virtual", "--json", "board", "info"], None);
    let info: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let names: Vec<String> = info["buses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["kind"] == "Spi")
        .map(|b| b["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"spi1.1".to_string()), "{names:?}");
    for name in &names {
        let o = udrv(
            &[
                "--board", "virtual", "spi", "transfer", "-y", name, "9f", "00",
            ],
            None,
        );
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
    let o = udrv(
        &[
            "--board", "virtual", "spi", "transfer", "-y", "spi1.1", "9f", "00", "00", "00",
        ],
        None,
    );
    assert_eq!(stdout(&o), "ff ef 40 16\n", "{}", stderr(&o));
    // `udrv read` takes the same names, and B.C as `spi transfer` does.
    for dev in ["spi0.0", "0.0", "spidev0.0"] {
        let o = udrv(
            &["--board", "virtual", "read", &format!("mcp3008@{dev}")],
            None,
        );
        assert!(o.status.success(), "{dev}: {}", stderr(&o));
        assert!(stdout(&o).contains(" ch2 "), "{dev}: {}", stdout(&o));
    }
}

#[test]
fn a_board_spi_name_resolves_through_the_board() {
    // On a Raspberry Pi 4 with SPI off (an empty root: no spidev at all), `spi0.0` is the
    // board's SPI0 CE0: the error says how to enable it, not that /dev/spidevspi0.0 is
    // missing.
    let root = tempfile::tempdir().unwrap();
    for args in [
        &["spi", "transfer", "-y", "spi0.0", "9f"][..],
        &["read", "mcp3008@spi0.0"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
            .args(["--board", "rpi4b"])
            .args(args)
            .env("UDRV_ROOT", root.path())
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(!e.contains("spidevspi"), "{args:?}: {e}");
        assert!(
            e.contains("spi0.0") && e.contains("dtparam=spi=on"),
            "{args:?}: {e}"
        );
    }
    // A name that is no SPI device in any spelling: a bad argument.
    let o = udrv(&["spi", "transfer", "-y", "i2c-1", "9f"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_stderr_has(&o, "spidevB.C");
}
