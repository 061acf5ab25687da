//! The board crate's Raspberry Pi line-name table against the names a real kernel publishes
//! from a real device tree: on the emulated Pi 3B (`cargo xtask vmtest --board rpi3b --only
//! rpi_board_line_names`) Debian's arm64 kernel reads `gpio-line-names` from Debian's own
//! build of `bcm2837-rpi-3-b.dtb`, which nobody here typed. `udrv --json board pins`
//! prints, for each header pin, the line name the board table expects (`gpio.line_name`);
//! the GPIO character device gives the name the kernel holds for that line.
//!
//! (The x86 guest's Pi 4, Pi 5 and BeagleBone Black chips are gpio-sim chips named by
//! `xtask/guest/fixtures.sh`, a copy of the same device trees as the tables: see
//! docs/testing.md, "Where expected values come from".)
#![cfg(udrv_guest_rpi)]

use std::process::Command;

use udrv_core::gpio::Chip;

/// `(offset, chip label, table line name)` of every GPIO pin in `udrv --json board pins`.
fn table_pins() -> Vec<(u32, String, String)> {
    let o = Command::new("udrv")
        .args(["--json", "board", "pins"])
        .output()
        .expect("the udrv binary is in the guest's PATH");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "udrv --json board pins: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Each GPIO pin carries `"gpio":{"chip_label":"…","legacy_number":…,"line_name":"…",
    // "offset":N}`; the order of the keys is serde's (the struct's field order).
    let string_after = |s: &str, key: &str| -> String {
        let at = s.find(key).unwrap_or_else(|| panic!("{key} in {s}")) + key.len();
        s[at..].split('"').next().unwrap().to_string()
    };
    out.split("\"gpio\":{")
        .skip(1)
        .map(|g| {
            let g = &g[..g.find('}').unwrap()];
            let offset = string_after(g, "\"offset\":");
            let offset: u32 = offset
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .unwrap_or_else(|_| panic!("offset in {g}"));
            (
                offset,
                string_after(g, "\"chip_label\":\""),
                string_after(g, "\"line_name\":\""),
            )
        })
        .collect()
}

#[test]
fn the_pi_3b_table_names_the_lines_as_the_real_device_tree_does() {
    let pins = table_pins();
    assert_eq!(pins.len(), 28, "GPIO0..=27 on the 40-pin header: {pins:?}");
    let chip = Chip::open("/dev/gpiochip0").expect("pinctrl-bcm2835");
    let label = chip.info().unwrap().label;
    assert_eq!(label, "pinctrl-bcm2835");
    let mut differ = Vec::new();
    for (offset, chip_label, name) in &pins {
        assert_eq!(chip_label, &label, "line {offset}");
        let kernel = chip.line_info(*offset).unwrap().name.unwrap_or_default();
        if &kernel != name {
            differ.push(format!("line {offset}: table {name:?}, kernel {kernel:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // Every header line is there once, GPIO0 to GPIO27.
    let mut offsets: Vec<u32> = pins.iter().map(|p| p.0).collect();
    offsets.sort_unstable();
    assert_eq!(offsets, (0..28).collect::<Vec<u32>>());
}
