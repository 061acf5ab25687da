//! Error messages, and bus resolution against fake sysfs trees (renumbered buses,
//! disabled buses, i2c-dev not loaded, the Pi's serial0 link).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use tempfile::TempDir;

use udrv_boards::{
    BeagleBone, Board, BoardId, BusKind, Error, FoundBy, PinSpec, RaspberryPi, Root,
};

/// A fresh, empty fixture root for one test, removed when dropped (pass or fail): keep
/// it alive as long as the board that reads it.
fn scratch(name: &str) -> TempDir {
    TempDir::with_prefix(format!("udrv-boards-{name}-")).unwrap()
}

/// `root/sys/devices/<dev>` with a `name` file, linked from `root/<class>/<entry>`
/// (relatively, like sysfs), and `root/dev/<entry>`.
fn class_entry(root: &Path, class: &str, entry: &str, dev: &str, name: Option<&str>) {
    let target = root.join("sys/devices").join(dev);
    fs::create_dir_all(&target).unwrap();
    if let Some(n) = name {
        fs::write(target.join("name"), format!("{n}\n")).unwrap();
    }
    let class_dir = root.join(class);
    fs::create_dir_all(&class_dir).unwrap();
    let depth = class.split('/').filter(|s| !s.is_empty()).count();
    let rel = format!("{}devices/{dev}", "../".repeat(depth - 1));
    symlink(rel, class_dir.join(entry)).unwrap();
    fs::create_dir_all(root.join("dev")).unwrap();
    fs::write(root.join("dev").join(entry), b"").unwrap();
}

/// The error's message holds each of `parts`.
fn assert_says(e: Error, parts: &[&str]) {
    let e = e.to_string();
    assert!(parts.iter().all(|p| e.contains(p)), "{e}");
}

/// The name the Pi 5's I2C adapters (and others) give.
const DESIGNWARE: &str = "Synopsys DesignWare I2C adapter";

/// The I2C adapter `i2c-<n>` named `name`, a child of the device `parent`, with its
/// i2c-dev node.
fn i2c_dev(root: &Path, parent: &str, n: u32, name: &str) {
    let dev = format!("{parent}/i2c-{n}/i2c-dev/i2c-{n}");
    class_entry(
        root,
        "sys/class/i2c-dev",
        &format!("i2c-{n}"),
        &dev,
        Some(name),
    );
}

/// The Pi 4's `spidev0.0` (SPI0 CE0).
fn pi4_spidev0_0(root: &Path) {
    let dev = "platform/soc/fe204000.spi/spi_master/spi0/spi0.0/spidev/spidev0.0";
    class_entry(root, "sys/class/spidev", "spidev0.0", dev, None);
}

fn pi(id: BoardId, root: &Path) -> RaspberryPi {
    RaspberryPi::with_root(id, Root::new(root)).unwrap()
}

#[test]
fn power_and_ground_pins_say_what_they_are() {
    let dir = scratch("pwr");
    let p = pi(BoardId::Rpi4B, dir.path());
    let e = p.pin(6).unwrap_err();
    assert!(matches!(e, Error::NotAGpio { number: 6, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "pin 6 of J8 is GND, not a GPIO (on the Raspberry Pi 4 Model B)"
    );
    assert!(p
        .pin(1)
        .unwrap_err()
        .to_string()
        .contains("is 3V3, not a GPIO"));
    assert!(p
        .pin("2")
        .unwrap_err()
        .to_string()
        .contains("is 5V, not a GPIO"));
    assert_says(p.pin("GND").unwrap_err(), &["6, 9, 14, 20, 25, 30, 34, 39"]);
}

#[test]
fn pins_that_are_not_on_the_header_are_refused_with_a_hint() {
    let dir = scratch("nopin");
    let p = pi(BoardId::Rpi4B, dir.path());
    let e = p.pin(41).unwrap_err();
    assert!(matches!(e, Error::NoSuchPin { .. }));
    assert!(e.to_string().contains("pins 1 to 40"), "{e}");
    assert!(p.pin(0).unwrap_err().to_string().contains("pins 1 to 40"));
    assert!(p.pin(-3).unwrap_err().to_string().contains("pins 1 to 40"));
    assert_says(
        p.pin("GPIO42").unwrap_err(),
        &["STATUS_LED_G_CLK", "not brought out"],
    );
    assert_says(p.pin("GPIO60").unwrap_err(), &["GPIO0 to GPIO57"]);
    assert_says(p.pin("LED").unwrap_err(), &["GPIOn"]);
    // On the Pi 5 the same number names an RP1 line.
    assert_says(
        pi(BoardId::Rpi5, scratch("nopin5").path())
            .pin("GPIO45")
            .unwrap_err(),
        &["FAN_PWM", "pinctrl-rp1"],
    );
}

#[test]
fn beaglebone_errors() {
    let dir = scratch("bberr");
    let root = dir.path();
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(root)).unwrap();
    assert_says(b.pin(12).unwrap_err(), &["P8_12 or P9_12"]);
    let e = b.pin("P9_1").unwrap_err().to_string();
    assert_eq!(
        e,
        "pin 1 of P9 is GND, not a GPIO (on the BeagleBone Black)"
    );
    assert_says(
        b.pin("AIN0").unwrap_err(),
        &["pin 39 of P9 is AIN0, not a GPIO"],
    );
    let e = b.pin("P8_45").unwrap_err();
    assert!(matches!(e, Error::PinReserved { .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.contains("P8_45 is used by HDMI") && e.contains("disable_uboot_overlay_video=1"),
        "{e}"
    );
    assert_says(
        b.pin("P8_3").unwrap_err(),
        &["eMMC", "disable_uboot_overlay_emmc=1"],
    );
    assert_says(b.pin("P9_47").unwrap_err(), &["pins 1 to 46"]);
    assert_says(
        b.pin("GPIO3_1").unwrap_err(),
        &["gpio97", "not on P8 or P9"],
    );
    // Reserved pins pass the reservation check when allowed, and then need a chip.
    let e = b.pin_reserved("P8_45").unwrap_err();
    assert!(matches!(e, Error::ChipNotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("gpio-64-95"), "{e}");
}

#[test]
fn a_missing_gpio_chip_names_the_label_and_the_group() {
    let dir = scratch("nochip");
    let p = pi(BoardId::Rpi5, dir.path());
    let e = p.pin("GPIO17").unwrap_err();
    assert!(matches!(e, Error::ChipNotFound { .. }), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("pinctrl-rp1") && e.contains("group gpio"), "{e}");
}

#[test]
fn disabled_buses_give_the_line_that_enables_them() {
    let dir = scratch("disabled");
    let root = dir.path();
    fs::create_dir_all(root.join("boot/firmware")).unwrap();
    let p = pi(BoardId::Rpi4B, root);
    let e = p.i2c("i2c_arm").unwrap_err();
    assert!(matches!(e, Error::BusDisabled { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "I2C bus i2c_arm is not enabled (/dev/i2c-1 does not exist); enable it: add \
         `dtparam=i2c_arm=on` to /boot/firmware/config.txt and reboot"
    );
    assert_says(
        p.spi(0, 0).unwrap_err(),
        &["dtparam=spi=on", "dtoverlay=spi0-1cs"],
    );
    assert_says(p.spi(1, 2).unwrap_err(), &["dtoverlay=spi1-3cs"]);
    assert_says(p.uart("primary").unwrap_err(), &["enable_uart=1"]);
    assert_says(
        pi(BoardId::Rpi5, root).uart("primary").unwrap_err(),
        &["dtparam=uart0=on"],
    );
    // Before Bookworm the file was /boot/config.txt.
    let old_dir = scratch("oldboot");
    let old = old_dir.path();
    fs::create_dir_all(old.join("boot")).unwrap();
    fs::write(old.join("boot/config.txt"), b"").unwrap();
    assert_says(
        pi(BoardId::Rpi3B, old).i2c("i2c_arm").unwrap_err(),
        &["/boot/config.txt"],
    );
    // BeagleBone: overlays in uEnv.txt, config-pin as the alternative.
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(root)).unwrap();
    assert_says(
        b.spi(0, 0).unwrap_err(),
        &[
            "uboot_overlay_addr4=BB-SPIDEV0-00A0.dtbo",
            "/boot/uEnv.txt",
            "config-pin P9_22 spi_sclk",
        ],
    );
}

#[test]
fn unknown_buses_list_the_board_s_buses() {
    let dir = scratch("unknown");
    let p = pi(BoardId::Rpi4B, dir.path());
    assert_says(
        p.i2c("i2c7").unwrap_err(),
        &["no I2C bus \"i2c7\"", "i2c_arm, i2c_vc"],
    );
    assert_says(
        p.spi(0, 2).unwrap_err(),
        &["spi0.2", "spi0.0, spi0.1, spi1.0"],
    );
    assert_says(p.uart("uart3").unwrap_err(), &["primary"]);
}

#[test]
fn a_renumbered_i2c_bus_is_found_by_its_controller() {
    let dir = scratch("i2c4");
    let root = dir.path();
    // A stub adapter took i2c-1; the Pi 4's I2C1 became i2c-3.
    i2c_dev(root, "platform/i2c-stub", 1, "SMBus stub driver");
    i2c_dev(
        root,
        "platform/soc/fe804000.i2c",
        3,
        "bcm2835 (i2c@7e804000)",
    );
    let p = pi(BoardId::Rpi4B, root);
    let bus = p.i2c("i2c_arm").unwrap();
    assert_eq!(bus.number, Some(3));
    assert_eq!(bus.path, root.join("dev/i2c-3"));
    assert_eq!(bus.found_by, FoundBy::Sysfs);
    assert_eq!(bus.adapter_name, "bcm2835 (i2c@7e804000)");
    assert_eq!(p.i2c("I2C1").unwrap().number, Some(3));
    let info = p.info();
    let st = info.buses.iter().find(|b| b.name == "i2c_arm").unwrap();
    assert!(st.enabled);
    assert_eq!(st.device, root.join("dev/i2c-3"));
    let vc = info.buses.iter().find(|b| b.name == "i2c_vc").unwrap();
    assert!(!vc.enabled);
    assert_eq!(vc.enable_line.as_deref(), Some("dtparam=i2c_vc=on"));
}

#[test]
fn the_pi5_i2c1_is_told_apart_from_other_designware_adapters_by_address() {
    let dir = scratch("i2c5");
    let root = dir.path();
    for (controller, n) in [("1f00088000.i2c", 6), ("1f00074000.i2c", 13)] {
        let parent = format!("platform/axi/1000120000.pcie/{controller}");
        i2c_dev(root, &parent, n, DESIGNWARE);
    }
    let bus = pi(BoardId::Rpi5, root).i2c("i2c_arm").unwrap();
    assert_eq!(bus.number, Some(13));
    assert_eq!(bus.found_by, FoundBy::Sysfs);
}

#[test]
fn the_usual_number_is_a_fallback_only_for_the_right_kind_of_adapter() {
    // A DesignWare adapter numbered 1 at an unexpected path: taken, by number.
    let dir = scratch("fallback");
    let root = dir.path();
    i2c_dev(root, "platform/odd", 1, DESIGNWARE);
    let bus = pi(BoardId::Rpi5, root).i2c("i2c_arm").unwrap();
    assert_eq!((bus.number, bus.found_by), (Some(1), FoundBy::Number));
    // An unrelated adapter that happens to be i2c-1: not the Pi's I2C1.
    let dir = scratch("nofallback");
    let root = dir.path();
    i2c_dev(root, "platform/parport", 1, "Parallel port adapter (light)");
    let e = pi(BoardId::Rpi5, root).i2c("i2c_arm").unwrap_err();
    assert!(matches!(e, Error::BusDisabled { .. }), "{e:?}");
}

#[test]
fn an_adapter_without_i2c_dev_says_to_load_it() {
    let dir = scratch("noi2cdev");
    let root = dir.path();
    class_entry(
        root,
        "sys/bus/i2c/devices",
        "i2c-1",
        "platform/soc/fe804000.i2c/i2c-1",
        Some("bcm2835 (i2c@7e804000)"),
    );
    let p = pi(BoardId::Rpi4B, root);
    assert_says(p.i2c("i2c_arm").unwrap_err(), &["modprobe i2c-dev"]);
}

#[test]
fn spi_and_uart_devices_are_found_through_sysfs() {
    let dir = scratch("spi");
    let root = dir.path();
    pi4_spidev0_0(root);
    let p = pi(BoardId::Rpi4B, root);
    let s = p.spi(0, 0).unwrap();
    assert_eq!(s.path, root.join("dev/spidev0.0"));
    assert_eq!(s.controller, "SPI0 CE0");
    assert!(p.spi(0, 1).is_err(), "dtoverlay=spi0-1cs: no CE1");
    // The Pi's serial0 link names the primary UART.
    fs::create_dir_all(root.join("dev")).unwrap();
    fs::write(root.join("dev/ttyS0"), b"").unwrap();
    symlink("ttyS0", root.join("dev/serial0")).unwrap();
    let u = p.uart("primary").unwrap();
    assert_eq!(u.path, root.join("dev/serial0"));
    // BeagleBone UART1 by its controller's address, renumbered or not.
    class_entry(
        root,
        "sys/class/tty",
        "ttyS5",
        "platform/ocp/48000000.interconnect/48022000.serial/tty/ttyS5",
        None,
    );
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(root)).unwrap();
    assert_eq!(b.uart("uart1").unwrap().path, root.join("dev/ttyS5"));
    assert_says(b.uart("uart4").unwrap_err(), &["BB-UART4-00A0.dtbo"]);
}

#[test]
fn board_info_lists_buses_with_enable_hints() {
    let dir = scratch("info");
    let root = dir.path();
    fs::create_dir_all(root.join("boot/firmware")).unwrap();
    pi4_spidev0_0(root);
    let info = pi(BoardId::Rpi4B, root).info();
    assert_eq!(info.slug, "rpi4b");
    assert_eq!(info.gpio_chips[0].label, "pinctrl-bcm2711");
    assert!(info.gpio_chips[0].path.is_none());
    let kinds: Vec<BusKind> = info.buses.iter().map(|b| b.kind).collect();
    assert!(
        kinds.contains(&BusKind::I2c)
            && kinds.contains(&BusKind::Spi)
            && kinds.contains(&BusKind::Uart)
    );
    let text = info.to_string();
    assert!(
        text.contains("board:  Raspberry Pi 4 Model B (rpi4b)"),
        "{text}"
    );
    assert!(text.contains("[pinctrl-bcm2711] not found"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("i2c_arm")
            && l.contains("disabled: add `dtparam=i2c_arm=on` to /boot/firmware/config.txt")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("spi0.0") && l.contains("spidev0.0") && !l.contains("disabled")),
        "{text}"
    );
}

#[test]
fn the_pin_table_renders_two_columns_like_pinout() {
    let dir = scratch("render");
    let p = pi(BoardId::Rpi4B, dir.path());
    let table = p.pin_table(false);
    assert_eq!(table.rows.len(), 40);
    assert!(
        table.rows.iter().all(|r| r.state.is_none()),
        "no chips: no state"
    );
    let text = table.render();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "J8 (Raspberry Pi 4 Model B)");
    assert_eq!(lines.len(), 1 + 20 + 1);
    // Rows, whitespace-normalised: "state functions name (n) (n+1) name functions state".
    let row = |n: u32| -> String {
        let l = lines
            .iter()
            .find(|l| l.contains(&format!("({n:>2}) ({:<2})", n + 1)))
            .unwrap_or_else(|| panic!("no row for {n}:\n{text}"));
        l.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    assert_eq!(row(1), "3V3 ( 1) (2 ) 5V");
    assert_eq!(row(3), "I2C1 SDA GPIO2 ( 3) (4 ) 5V");
    assert_eq!(row(11), "SPI1 CE1 GPIO17 (11) (12) GPIO18 PWM0, PCM CLK");
    assert_eq!(row(39), "GND (39) (40) GPIO21 PCM DOUT, SPI1 SCLK");
    // Columns line up: every row has its "(n)" at the same place.
    let at: Vec<usize> = lines[1..21]
        .iter()
        .map(|l| l.find(") (").unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] == w[1]), "{text}");
    // The BeagleBone draws both headers, with reservations.
    let dir_bb = scratch("render-bb");
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(dir_bb.path())).unwrap();
    let text = b.pin_table(false).render();
    assert!(text.contains("P8 (BeagleBone Black)") && text.contains("P9 (BeagleBone Black)"));
    let l = text.lines().find(|l| l.contains("(45) (46)")).unwrap();
    assert!(l.contains("*HDMI*"), "{l}");
    let pin = b.header_pin(PinSpec::Name("P9_12")).unwrap();
    assert_eq!(pin.describe(), "P9 pin 12 (P9_12)");
}

#[test]
fn an_enable_line_already_in_the_config_says_to_reboot() {
    let dir = scratch("configured");
    let root = dir.path();
    fs::create_dir_all(root.join("boot/firmware")).unwrap();
    fs::write(
        root.join("boot/firmware/config.txt"),
        "# dtparam=spi=on\ndtparam=i2c_arm=on\n[all]\n",
    )
    .unwrap();
    let p = pi(BoardId::Rpi4B, root);
    assert_says(
        p.i2c("i2c_arm").unwrap_err(),
        &["already has `dtparam=i2c_arm=on`: reboot"],
    );
    // Commented out: the usual hint.
    let e = p.spi(0, 0).unwrap_err().to_string();
    assert!(!e.contains("already has"), "{e}");
    // BeagleBone overlays match with the old /lib/firmware/ path too.
    fs::write(
        root.join("boot/uEnv.txt"),
        "uboot_overlay_addr4=/lib/firmware/BB-SPIDEV0-00A0.dtbo\n",
    )
    .unwrap();
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(root)).unwrap();
    assert_says(b.spi(0, 0).unwrap_err(), &["/boot/uEnv.txt already has"]);
    let e = b.uart("uart1").unwrap_err().to_string();
    assert!(!e.contains("already has"), "{e}");
}

/// The `uboot_overlay_addrN=NAME.dtbo` lines `board info` suggests with a slot number N,
/// as (N, NAME).
fn overlay_slots(info: &udrv_boards::BoardInfo) -> Vec<(u32, String)> {
    let mut v: Vec<(u32, String)> = info
        .buses
        .iter()
        .filter_map(|b| b.enable_line.as_deref())
        .filter_map(|l| l.strip_prefix("uboot_overlay_addr"))
        .filter_map(|l| l.split_once('='))
        .filter_map(|(n, f)| Some((n.parse().ok()?, f.to_string())))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn beaglebone_info_never_says_disabled_for_what_is_always_on() {
    let dir = scratch("bbinfo");
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(dir.path())).unwrap();
    let text = b.info().to_string();
    for line in text.lines() {
        let contradicts = line.contains("disabled:")
            && (line.contains("always on") || line.contains("by default"));
        assert!(!contradicts, "{line}");
    }
    let uart0 = text.lines().find(|l| l.contains("UART0")).unwrap();
    assert!(
        uart0.contains("not found") && uart0.contains("always on"),
        "{uart0}"
    );
    let i2c2 = text.lines().find(|l| l.contains("I2C2")).unwrap();
    assert!(
        i2c2.contains("not found") && i2c2.contains("on by default"),
        "{i2c2}"
    );
}

#[test]
fn beaglebone_overlay_suggestions_take_distinct_free_slots() {
    let dir = scratch("bbslots");
    let root = dir.path();
    let b = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(root)).unwrap();
    // Each overlay its own slot, so that following two suggestions keeps both: SPI0's two
    // chip selects share one overlay, hence one slot.
    let slots = overlay_slots(&b.info());
    let numbers: Vec<u32> = slots.iter().map(|s| s.0).collect();
    let mut distinct = numbers.clone();
    distinct.dedup();
    assert_eq!(numbers, distinct, "one overlay per slot: {slots:?}");
    let files: Vec<&str> = slots.iter().map(|s| s.1.as_str()).collect();
    let mut unique = files.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(files.len(), unique.len(), "one slot per overlay: {slots:?}");
    assert_eq!(numbers.first(), Some(&4), "{slots:?}");
    // Slots uEnv.txt already uses are skipped (commented-out ones are free).
    fs::create_dir_all(root.join("boot")).unwrap();
    fs::write(
        root.join("boot/uEnv.txt"),
        "#uboot_overlay_addr6=/lib/firmware/<file6>.dtbo\n\
         uboot_overlay_addr4=/lib/firmware/BB-CAN1-00A0.dtbo\n",
    )
    .unwrap();
    let slots = overlay_slots(&b.info());
    assert!(slots.iter().all(|s| s.0 != 4), "{slots:?}");
    assert_eq!(slots.first().map(|s| s.0), Some(5), "{slots:?}");
    assert_says(
        b.spi(0, 0).unwrap_err(),
        &["uboot_overlay_addr5=BB-SPIDEV0-00A0.dtbo"],
    );
    // When the custom slots (4-7) run out, the rest say so instead of reusing one.
    let text = b.info().to_string();
    assert!(
        text.contains("uboot_overlay_addr4-7"),
        "more overlays than free slots: {text}"
    );
}
