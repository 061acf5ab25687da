//! `board info` and `board pins` serialise to the JSON the CLI prints.

use tempfile::TempDir;
use udrv_boards::{BeagleBone, Board, BoardId, RaspberryPi, Root};

/// A fixture root with an empty `boot/firmware`, removed when dropped (pass or fail).
fn scratch(name: &str) -> TempDir {
    let d = TempDir::with_prefix(format!("udrv-boards-json-{name}-")).unwrap();
    std::fs::create_dir_all(d.path().join("boot/firmware")).unwrap();
    d
}

#[test]
fn board_info_as_json() {
    let dir = scratch("info");
    let pi = RaspberryPi::with_root(BoardId::Rpi4B, Root::new(dir.path())).unwrap();
    let v = serde_json::to_value(pi.info()).unwrap();
    assert_eq!(v["id"], "Rpi4B");
    assert_eq!(v["slug"], "rpi4b");
    assert_eq!(v["name"], "Raspberry Pi 4 Model B");
    assert_eq!(v["gpio_chips"][0]["label"], "pinctrl-bcm2711");
    assert!(v["gpio_chips"][0]["path"].is_null());
    let i2c = &v["buses"][0];
    assert_eq!(i2c["kind"], "I2c");
    assert_eq!(i2c["name"], "i2c_arm");
    assert_eq!(i2c["enabled"], false);
    assert_eq!(i2c["enable_line"], "dtparam=i2c_arm=on");
    assert_eq!(i2c["enable_file"], "/boot/firmware/config.txt");
}

#[test]
fn pin_table_as_json() {
    let dir = scratch("pins");
    let pi = RaspberryPi::with_root(BoardId::Rpi5, Root::new(dir.path())).unwrap();
    let v = serde_json::to_value(pi.pin_table(false)).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 40);
    let p11 = &rows[10]["pin"];
    assert_eq!(p11["number"], 11);
    assert_eq!(p11["name"], "GPIO17");
    assert_eq!(p11["kind"], "Gpio");
    assert_eq!(p11["gpio"]["chip_label"], "pinctrl-rp1");
    assert_eq!(p11["gpio"]["offset"], 17);
    assert_eq!(p11["gpio"]["line_name"], "GPIO17");
    assert_eq!(rows[5]["pin"]["kind"], "Ground");
    assert!(rows[10]["state"].is_null());
    let dir_bb = scratch("bb");
    let bb = BeagleBone::with_root(BoardId::BeagleBoneBlack, Root::new(dir_bb.path())).unwrap();
    let v = serde_json::to_value(bb.header_pin("P8_45".into()).unwrap()).unwrap();
    assert_eq!(v["reserved"]["by"], "HDMI");
    assert_eq!(v["gpio"]["legacy_number"], 70);
}
