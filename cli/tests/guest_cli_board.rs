//! `udrv board` in the real-kernel guest, against gpio-sim chips labelled and line-named
//! like a Raspberry Pi 4 and a BeagleBone Black, numbered differently than on the boards.
#![cfg(udrv_guest)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{env, stdout, udrv};
use udrv_core::gpio::Chip;

fn pins_json(board: &str) -> serde_json::Value {
    let o = udrv(&["--json", "--board", board, "board", "pins"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(stdout(&o).trim()).expect("one JSON object")
}

fn row(table: &serde_json::Value, number: u64) -> serde_json::Value {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pin"]["number"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("no pin {number}"))
}

fn wait_used(chip: &str, offset: u32) {
    let chip = Chip::open(chip).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !chip.line_info(offset).unwrap().used {
        assert!(Instant::now() < deadline, "line {offset} never requested");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn info_finds_the_pi4_chip_by_label_wherever_it_is_numbered() {
    let o = udrv(&["--board", "rpi4b", "board", "info"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let chip = env("UDRV_BOARDS_PI4_CHIP");
    let line = text
        .lines()
        .find(|l| l.contains("pinctrl-bcm2711"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(&chip), "{line} should name {chip}");
}

#[test]
fn pins_show_a_held_output_and_a_pulled_input() {
    let chip = env("UDRV_BOARDS_PI4_CHIP");
    let sysfs = env("UDRV_BOARDS_PI4_SYSFS");
    std::fs::write(format!("{sysfs}/sim_gpio27/pull"), "pull-up").unwrap();
    let mut holder: Child = Command::new("udrv")
        .args([
            "gpio",
            "set",
            "-y",
            "--hold",
            "-c",
            "pinctrl-bcm2711",
            "GPIO17=1",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_used(&chip, 17);
    let t = pins_json("rpi4b");
    // Header pin 11 is GPIO17: held by `udrv gpio set`, driven high.
    let p11 = row(&t, 11);
    assert_eq!(p11["state"]["chip"], chip.as_str());
    assert_eq!(p11["state"]["offset"], 17);
    assert_eq!(p11["state"]["consumer"], "udrv-set");
    assert_eq!(p11["state"]["direction"], "out");
    assert_eq!(
        std::fs::read_to_string(format!("{sysfs}/sim_gpio17/value"))
            .unwrap()
            .trim(),
        "1"
    );
    // Header pin 13 is GPIO27, free and pulled up from the sim side: read as 1.
    let p13 = row(&t, 13);
    assert_eq!(p13["state"]["value"], 1, "{p13}");
    assert_eq!(p13["state"]["used"], false);
    holder.kill().unwrap();
    holder.wait().unwrap();
    // The text table names the pin and the consumer.
    let text = stdout(&udrv(&["--board", "rpi4b", "board", "pins"]));
    assert!(text.contains("GPIO17 (11)"), "{text}");
}

#[test]
fn beaglebone_pins_resolve_across_its_four_banks() {
    let t = pins_json("bbb");
    let p912 = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pin"]["name"] == "P9_12")
        .cloned()
        .expect("P9_12 row");
    // P9_12 is GPIO1_28: bank 1 (label gpio-32-63), offset 28.
    assert_eq!(p912["state"]["chip"], env("UDRV_BOARDS_BBB1_CHIP").as_str());
    assert_eq!(p912["state"]["offset"], 28);
}

#[test]
fn unknown_board_lists_the_supported_ones() {
    // A bad argument: exit status 2, as the README says.
    let o = udrv(&["--board", "arduino", "board", "info"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("arduino") && e.contains("rpi4b") && e.contains("bbb"),
        "{e}"
    );
}
