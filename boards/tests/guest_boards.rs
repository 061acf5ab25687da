//! The board crate against gpio-sim chips labelled and line-named like a Raspberry Pi 4, a
//! Raspberry Pi 5 and a BeagleBone Black (`xtask/guest/fixtures.sh`, section "Boards"),
//! created in an order that numbers them unlike real hardware. Detection reads the
//! fixture device trees (copied into a temporary root, the guest has no
//! `/proc/device-tree`); pins are opened by header number and by name, outputs are read
//! back through the simulator's `sim_gpioN/value`, inputs driven through `sim_gpioN/pull`.
//! Run with `cargo xtask vmtest --only guest_boards`.
#![cfg(udrv_guest)]

use std::fs;
use std::path::PathBuf;

use udrv_boards::{
    board_for, detect_in, BeagleBone, Board, BoardId, ChipFoundBy, Error, PinRef, Root,
};
use udrv_core::gpio::{Pin, Value};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} not set: the boards gpio-sim fixture failed (see the console)")
    })
}

fn chip(x: &str) -> PathBuf {
    PathBuf::from(env(&format!("UDRV_BOARDS_{x}_CHIP")))
}

fn chip_number(x: &str) -> u32 {
    chip(x)
        .to_str()
        .unwrap()
        .strip_prefix("/dev/gpiochip")
        .unwrap()
        .parse()
        .unwrap()
}

/// The level the simulator sees on a line (what an output drives).
fn sim_value(x: &str, offset: u32) -> u8 {
    let p = format!(
        "{}/sim_gpio{offset}/value",
        env(&format!("UDRV_BOARDS_{x}_SYSFS"))
    );
    fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .trim()
        .parse()
        .unwrap()
}

/// Drives an input line from outside (`pull-up` / `pull-down`).
fn sim_pull(x: &str, offset: u32, pull: &str) {
    let p = format!(
        "{}/sim_gpio{offset}/pull",
        env(&format!("UDRV_BOARDS_{x}_SYSFS"))
    );
    fs::write(&p, pull).unwrap_or_else(|e| panic!("{p}: {e}"));
}

/// `pin`, requested as an input, reads the level the simulator drives line `offset` of
/// chip `x` to: high, then low.
fn assert_input_follows_pulls(pin: PinRef, x: &str, offset: u32) {
    let input = pin.request_input().unwrap();
    sim_pull(x, offset, "pull-up");
    assert!(input.level().unwrap());
    sim_pull(x, offset, "pull-down");
    assert!(!input.level().unwrap());
}

/// `pin` requested as an output starting at `value`.
fn output(pin: PinRef, value: Value) -> Pin {
    pin.request_output(value).unwrap()
}

/// `pin`, requested as an output starting active, drives line `offset` of chip `x` high,
/// then low; returned (low).
fn assert_output_drives(pin: PinRef, x: &str, offset: u32) -> Pin {
    let out = output(pin, Value::Active);
    assert_eq!(sim_value(x, offset), 1);
    out.set_level(false).unwrap();
    assert_eq!(sim_value(x, offset), 0);
    out
}

/// A root holding only the fixture's `proc/device-tree`, for detection.
fn dt_root(name: &str, model: &[u8], compatible: &[u8]) -> PathBuf {
    let root = std::env::temp_dir().join(format!("udrv-guest-dt-{name}"));
    let dt = root.join("proc/device-tree");
    fs::create_dir_all(&dt).unwrap();
    fs::write(dt.join("model"), model).unwrap();
    fs::write(dt.join("compatible"), compatible).unwrap();
    root
}

macro_rules! fixture_board {
    ($dir:literal) => {{
        let root = dt_root(
            $dir,
            include_bytes!(concat!("fixtures/", $dir, "/proc/device-tree/model")),
            include_bytes!(concat!("fixtures/", $dir, "/proc/device-tree/compatible")),
        );
        let detected = detect_in(&root).expect("fixture device tree detected");
        // Devices from the guest's real /dev and /sys.
        board_for(detected, Root::system()).unwrap()
    }};
}

#[test]
fn pi4_is_detected_and_its_pins_resolve_to_the_labelled_chip() {
    let pi = fixture_board!("rpi4b");
    assert_eq!(pi.id(), BoardId::Rpi4B);
    assert_eq!(pi.model(), "Raspberry Pi 4 Model B Rev 1.4");
    // A real Pi 4 has pinctrl-bcm2711 at gpiochip0; here it is elsewhere.
    assert_ne!(chip_number("PI4"), 0);
    let by_number = pi.pin(11).unwrap();
    assert_eq!(by_number.chip, chip("PI4"));
    assert_eq!(by_number.chip_label, "pinctrl-bcm2711");
    assert_eq!(by_number.offset, 17);
    assert_eq!(by_number.line_name.as_deref(), Some("GPIO17"));
    assert_eq!(by_number.found_by, ChipFoundBy::Label);
    let by_name = pi.pin("GPIO17").unwrap();
    assert_eq!((by_name.chip.clone(), by_name.offset), (chip("PI4"), 17));
    let id = pi.pin("ID_SDA").unwrap();
    assert_eq!((id.pin.number, id.offset), (27, 0));
    let e = pi.pin(6).unwrap_err().to_string();
    assert!(e.contains("is GND, not a GPIO"), "{e}");
}

#[test]
fn pi4_output_by_header_number_drives_the_line() {
    let pi = fixture_board!("rpi4b");
    let led = assert_output_drives(pi.pin(11).unwrap(), "PI4", 17);
    led.set_level(true).unwrap();
    assert_eq!(sim_value("PI4", 17), 1);
    drop(led);
    // Pin 12 is GPIO18, by name this time.
    let out = output(pi.pin("GPIO18").unwrap(), Value::Inactive);
    assert_eq!(sim_value("PI4", 18), 0);
    out.set_value(Value::Active).unwrap();
    assert_eq!(sim_value("PI4", 18), 1);
    assert_eq!(
        sim_value("PI4", 17),
        0,
        "GPIO17 released, pulled down again"
    );
}

#[test]
fn pi4_input_reads_what_the_line_is_driven_to() {
    let pi = fixture_board!("rpi4b");
    assert_input_follows_pulls(pi.pin(15).unwrap(), "PI4", 22); // GPIO22
}

#[test]
fn pi5_pins_go_to_rp1_not_to_the_pi4_chip_with_the_same_line_names() {
    let pi = fixture_board!("rpi5");
    assert_eq!(pi.id(), BoardId::Rpi5);
    assert_eq!(pi.model(), "Raspberry Pi 5 Model B Rev 1.0");
    let p = pi.pin("GPIO17").unwrap();
    assert_eq!(p.chip, chip("PI5"));
    assert_eq!(p.chip_label, "pinctrl-rp1");
    let out = p.request_output(Value::Active).unwrap();
    assert_eq!(sim_value("PI5", 17), 1);
    assert_eq!(sim_value("PI4", 17), 0, "the Pi 4 chip's GPIO17 untouched");
    out.set_level(false).unwrap();
    assert_eq!(sim_value("PI5", 17), 0);
    drop(out);
    assert_input_follows_pulls(pi.pin(40).unwrap(), "PI5", 21); // GPIO21
}

#[test]
fn bbb_pins_are_found_by_line_names_whatever_the_chip_order() {
    let bb = fixture_board!("bbb");
    assert_eq!(bb.id(), BoardId::BeagleBoneBlack);
    // Bank 3 was created before bank 1, bank 1 before bank 0: not the real order.
    assert!(chip_number("BBB3") < chip_number("BBB1"));
    assert!(chip_number("BBB1") < chip_number("BBB0"));
    let p = bb.pin("P9_12").unwrap();
    assert_eq!(p.chip, chip("BBB1"));
    assert_eq!(p.chip_label, "gpio-32-63");
    assert_eq!(p.offset, 28);
    assert_eq!(p.line_name.as_deref(), Some("P9_12"));
    assert_eq!(p.found_by, ChipFoundBy::LineNames);
    for alias in ["GPIO1_28", "gpio60", "p9.12"] {
        let a = bb.pin(alias).unwrap();
        assert_eq!((a.chip.clone(), a.offset), (chip("BBB1"), 28), "{alias}");
    }
    let p = bb.pin("P8_13").unwrap();
    assert_eq!((p.chip.clone(), p.offset), (chip("BBB0"), 23));
    assert_eq!(p.line_name.as_deref(), Some("P8_13 [ehrpwm2b]"));
    // P9_41 is GPIO0_20, which the device tree names "P9_41B".
    let p = bb.pin("P9_41").unwrap();
    assert_eq!((p.chip.clone(), p.offset), (chip("BBB0"), 20));
    // P8_24's line has no pin name ("[mmc1_dat1]"): its bank is known by the others.
    let p = bb.pin_reserved("P8_24").unwrap();
    assert_eq!((p.chip.clone(), p.offset), (chip("BBB1"), 1));
    assert_eq!(p.line_name.as_deref(), Some("[mmc1_dat1]"));
}

#[test]
fn bbb_output_and_input() {
    let bb = fixture_board!("bbb");
    drop(assert_output_drives(bb.pin("P9_12").unwrap(), "BBB1", 28));
    assert_input_follows_pulls(bb.pin("P8_13").unwrap(), "BBB0", 23);
    // Bank 3 too.
    let out = output(bb.pin("P9_27").unwrap(), Value::Active);
    assert_eq!(sim_value("BBB3", 19), 1);
    drop(out);
}

#[test]
fn bbb_reserved_pins_are_refused_unless_asked_for() {
    let bb = fixture_board!("bbb");
    let e = bb.pin("P8_45").unwrap_err();
    assert!(matches!(e, Error::PinReserved { .. }), "{e:?}");
    assert!(
        e.to_string().contains("disable_uboot_overlay_video=1"),
        "{e}"
    );
    let p = bb.pin_reserved("P8_45").unwrap();
    assert_eq!((p.chip.clone(), p.offset), (chip("BBB2"), 6));
    let e = bb.pin("P9_31").unwrap_err().to_string();
    assert!(e.contains("HDMI audio"), "{e}");
}

/// The Raspberry Pi 40-pin header as the Raspberry Pi documentation's pinout draws it
/// ("GPIO and the 40-pin header"; also pinout.xyz): (odd pin, even pin) for rows 1-2 to
/// 39-40, GPIOs by their BCM number. Typed here from the pinout, not from the board crate.
const PI_PINOUT: [(&str, &str); 20] = [
    ("3V3", "5V"),
    ("GPIO2", "5V"),
    ("GPIO3", "GND"),
    ("GPIO4", "GPIO14"),
    ("GND", "GPIO15"),
    ("GPIO17", "GPIO18"),
    ("GPIO27", "GND"),
    ("GPIO22", "GPIO23"),
    ("3V3", "GPIO24"),
    ("GPIO10", "GND"),
    ("GPIO9", "GPIO25"),
    ("GPIO11", "GPIO8"),
    ("GND", "GPIO7"),
    ("GPIO0", "GPIO1"),
    ("GPIO5", "GND"),
    ("GPIO6", "GPIO12"),
    ("GPIO13", "GND"),
    ("GPIO19", "GPIO16"),
    ("GPIO26", "GPIO20"),
    ("GND", "GPIO21"),
];

#[test]
fn pi_header_pins_follow_the_published_pinout() {
    for (dir, x) in [("rpi4b", "PI4"), ("rpi5", "PI5")] {
        let pi = match dir {
            "rpi4b" => fixture_board!("rpi4b"),
            _ => fixture_board!("rpi5"),
        };
        for (row, (odd, even)) in PI_PINOUT.iter().enumerate() {
            for (number, what) in [(2 * row as u32 + 1, odd), (2 * row as u32 + 2, even)] {
                match what.strip_prefix("GPIO") {
                    Some(bcm) => {
                        let bcm: u32 = bcm.parse().unwrap();
                        let p = pi
                            .pin(number)
                            .unwrap_or_else(|e| panic!("{x} pin {number}: {e}"));
                        assert_eq!(
                            (p.chip.clone(), p.offset),
                            (chip(x), bcm),
                            "{x} pin {number}"
                        );
                        let q = pi.pin(*what).unwrap();
                        assert_eq!((q.chip, q.offset), (chip(x), bcm), "{x} {what}");
                    }
                    None => {
                        let e = pi.pin(number).unwrap_err().to_string();
                        assert!(e.contains(&format!("is {what}")), "{x} pin {number}: {e}");
                    }
                }
            }
        }
    }
}

/// BeagleBone Black header pins and their GPIO (bank, offset) as the BeagleBone Black
/// System Reference Manual's P8 and P9 tables give them (`GPIO1_28` is bank 1, offset 28),
/// typed here from the manual.
const BBB_PINOUT: [(&str, u32, u32); 36] = [
    ("P9_11", 0, 30),
    ("P9_12", 1, 28),
    ("P9_13", 0, 31),
    ("P9_14", 1, 18),
    ("P9_16", 1, 19),
    ("P9_17", 0, 5),
    ("P9_18", 0, 4),
    ("P9_21", 0, 3),
    ("P9_22", 0, 2),
    ("P9_23", 1, 17),
    ("P9_24", 0, 15),
    ("P9_25", 3, 21),
    ("P9_26", 0, 14),
    ("P9_27", 3, 19),
    ("P9_28", 3, 17),
    ("P9_29", 3, 15),
    ("P9_30", 3, 16),
    ("P9_31", 3, 14),
    ("P8_3", 1, 6),
    ("P8_4", 1, 7),
    ("P8_5", 1, 2),
    ("P8_6", 1, 3),
    ("P8_7", 2, 2),
    ("P8_8", 2, 3),
    ("P8_9", 2, 5),
    ("P8_10", 2, 4),
    ("P8_11", 1, 13),
    ("P8_12", 1, 12),
    ("P8_13", 0, 23),
    ("P8_14", 0, 26),
    ("P8_15", 1, 15),
    ("P8_16", 1, 14),
    ("P8_17", 0, 27),
    ("P8_18", 2, 1),
    ("P8_19", 0, 22),
    ("P8_26", 1, 29),
];

#[test]
fn bbb_header_pins_follow_the_reference_manual() {
    let bb = fixture_board!("bbb");
    let banks = ["BBB0", "BBB1", "BBB2", "BBB3"];
    for (name, bank, offset) in BBB_PINOUT {
        // pin_reserved: the manual's mapping holds for pins the board reserves too.
        let p = bb
            .pin_reserved(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (p.chip.clone(), p.offset),
            (chip(banks[bank as usize]), offset),
            "{name}"
        );
        assert_eq!(
            p.chip_label,
            format!("gpio-{}-{}", 32 * bank, 32 * bank + 31)
        );
        let alias = format!("GPIO{bank}_{offset}");
        let a = bb.pin_reserved(alias.as_str()).unwrap();
        assert_eq!((a.chip, a.offset), (p.chip, p.offset), "{alias}");
    }
}

#[test]
fn the_tables_match_the_fixtures_copy_of_the_device_tree_line_names() {
    // fixtures.sh gives the gpio-sim chips the `gpio-line-names` of the vendors' device
    // trees, and the board crate's tables hold the same names: both are copies of the
    // same .dts files, so this only catches the two copies drifting apart (a typo in
    // one). No kernel with these boards' device trees runs here; the Pi 3B's table is
    // compared with the names Debian's real device tree gives the kernel in the Pi tier
    // (core/tests/rpi_board_line_names.rs). See docs/testing.md, "Where expected values
    // come from".
    use udrv_core::gpio::Chip;
    for (id, x) in [(BoardId::Rpi4B, "PI4"), (BoardId::Rpi5, "PI5")] {
        let pi = udrv_boards::RaspberryPi::new(id).unwrap();
        let c = Chip::open(chip(x)).unwrap();
        let names: Vec<String> = c
            .line_infos()
            .unwrap()
            .into_iter()
            .map(|i| i.name.unwrap_or_default())
            .collect();
        assert_eq!(names, pi.line_names(), "{id}");
    }
    let bb = BeagleBone::new(BoardId::BeagleBoneBlack).unwrap();
    let banks = ["BBB0", "BBB1", "BBB2", "BBB3"];
    for p in bb.header_pins().into_iter().filter(|p| p.gpio.is_some()) {
        let g = p.gpio.unwrap();
        let bank = (g.legacy_number.unwrap() / 32) as usize;
        let c = Chip::open(chip(banks[bank])).unwrap();
        assert_eq!(c.info().unwrap().label, g.chip_label);
        let name = c.line_info(g.offset).unwrap().name;
        assert_eq!(name.as_deref(), g.line_name.as_deref(), "{}", p.name);
    }
}

#[test]
fn pin_table_shows_direction_value_and_consumer() {
    let pi = fixture_board!("rpi4b");
    let held = pi
        .pin(13) // GPIO27
        .unwrap()
        .request()
        .as_output(Value::Active)
        .with_consumer("guest-test")
        .request()
        .unwrap();
    sim_pull("PI4", 23, "pull-up"); // pin 16
    let table = pi.pin_table(true);
    let row = |n: u32| table.rows.iter().find(|r| r.pin.number == n).unwrap();
    let s13 = row(13).state.as_ref().expect("pin 13 state");
    assert_eq!(s13.chip, chip("PI4"));
    assert_eq!(s13.direction, "out");
    assert!(s13.used);
    assert_eq!(s13.consumer.as_deref(), Some("guest-test"));
    assert_eq!(s13.value, None, "held lines are not touched");
    let s16 = row(16).state.as_ref().expect("pin 16 state");
    assert_eq!(
        (s16.direction.as_str(), s16.value, s16.used),
        ("in", Some(1), false)
    );
    assert_eq!(row(18).state.as_ref().unwrap().value, Some(0)); // GPIO24, pulled down
    assert!(row(6).state.is_none(), "GND has no state");
    let text = table.render();
    let l = text.lines().find(|l| l.contains("(13) (14)")).unwrap();
    assert!(l.contains("out [guest-test]"), "{l}");
    let l = text.lines().find(|l| l.contains("(15) (16)")).unwrap();
    assert!(l.contains("in=1"), "{l}");
    sim_pull("PI4", 23, "pull-down");
    drop(held);
    // Reading values released the lines again.
    assert!(!pi.pin(16).unwrap().line_info().unwrap().used);
}

#[test]
fn board_info_finds_the_chips_and_reports_disabled_buses() {
    let bb = fixture_board!("bbb");
    let info = bb.info();
    let paths: Vec<Option<PathBuf>> = info.gpio_chips.iter().map(|c| c.path.clone()).collect();
    assert_eq!(
        paths,
        ["BBB0", "BBB1", "BBB2", "BBB3"]
            .map(|x| Some(chip(x)))
            .to_vec()
    );
    assert!(info.gpio_chips.iter().all(|c| c.lines == Some(32)));
    let pi = fixture_board!("rpi4b");
    let info = pi.info();
    assert_eq!(info.gpio_chips[0].path, Some(chip("PI4")));
    // The guest's I2C adapters (i2c-stub, i2c-parport) are not the Pi's I2C1, whatever
    // their numbers.
    let e = pi.i2c("i2c_arm").unwrap_err();
    assert!(matches!(e, Error::BusDisabled { .. }), "{e:?}");
    assert!(e.to_string().contains("dtparam=i2c_arm=on"), "{e}");
    let st = info.buses.iter().find(|b| b.name == "i2c_arm").unwrap();
    assert!(!st.enabled);
}

#[test]
fn bbb_pin_table_covers_both_headers() {
    let bb = fixture_board!("bbb");
    let t = bb.pin_table(false);
    assert_eq!(t.rows.len(), 92);
    let row = |n: &str| t.rows.iter().find(|r| r.pin.name == n).unwrap();
    let s = row("P9_12").state.as_ref().expect("P9_12 state");
    assert_eq!(
        (s.chip.clone(), s.offset, s.line_name.as_deref()),
        (chip("BBB1"), 28, Some("P9_12"))
    );
    let s = row("P8_45")
        .state
        .as_ref()
        .expect("reserved pins are shown too");
    assert_eq!((s.chip.clone(), s.offset), (chip("BBB2"), 6));
    assert!(row("P9_1").state.is_none());
    let text = t.render();
    assert!(text.contains("P9 (TI AM335x BeagleBone Black)"), "{text}");
}
