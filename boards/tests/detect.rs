//! Detection from the fixture device trees in `tests/fixtures/<board>/proc/device-tree`.

mod overridden;

use std::path::PathBuf;

use overridden::assert_overridden;
use udrv_boards::{detect_in, detect_with, Board, BoardId, Error, Root, Source};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn every_supported_board_is_detected_from_its_device_tree() {
    let cases = [
        ("rpi3b", BoardId::Rpi3B, "Raspberry Pi 3 Model B Rev 1.2"),
        (
            "rpi3bplus",
            BoardId::Rpi3BPlus,
            "Raspberry Pi 3 Model B Plus Rev 1.3",
        ),
        ("rpi4b", BoardId::Rpi4B, "Raspberry Pi 4 Model B Rev 1.4"),
        ("rpi400", BoardId::Rpi400, "Raspberry Pi 400 Rev 1.0"),
        ("rpi5", BoardId::Rpi5, "Raspberry Pi 5 Model B Rev 1.0"),
        (
            "rpizero2w",
            BoardId::RpiZero2W,
            "Raspberry Pi Zero 2 W Rev 1.0",
        ),
        (
            "rpicm4",
            BoardId::RpiCm4,
            "Raspberry Pi Compute Module 4 Rev 1.0",
        ),
        (
            "bbb",
            BoardId::BeagleBoneBlack,
            "TI AM335x BeagleBone Black",
        ),
        (
            "bbg",
            BoardId::BeagleBoneGreen,
            "TI AM335x BeagleBone Green",
        ),
    ];
    for (dir, id, model) in cases {
        let d = detect_in(fixture(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(d.id, id, "{dir}");
        assert_eq!(
            d.model.as_deref(),
            Some(model),
            "{dir}: the NUL must be stripped"
        );
        assert_eq!(d.source, Source::DeviceTree);
        assert!(!d.compatible.is_empty(), "{dir}");
    }
}

#[test]
fn compatible_lists_are_split_on_nul() {
    let d = detect_in(fixture("rpi4b")).unwrap();
    assert_eq!(d.compatible, ["raspberrypi,4-model-b", "brcm,bcm2711"]);
    let g = detect_in(fixture("bbg")).unwrap();
    assert_eq!(g.compatible.len(), 4);
    assert_eq!(g.compatible[1], "ti,am335x-bone-black");
}

#[test]
fn boards_without_a_40_pin_header_or_unknown_are_refused_with_the_supported_list() {
    for dir in ["rpicm4s", "qemu-virt", "does-not-exist"] {
        let err = detect_in(fixture(dir)).unwrap_err();
        assert!(matches!(err, Error::UnknownBoard { .. }), "{dir}: {err:?}");
        let msg = err.to_string();
        for slug in [
            "rpi3b",
            "rpi4b",
            "rpi5",
            "rpizero2w",
            "rpicm4",
            "bbb",
            "virtual",
        ] {
            assert!(msg.contains(slug), "{dir}: {msg}");
        }
        assert!(msg.contains("UDRV_BOARD"), "{msg}");
    }
    let msg = detect_in(fixture("qemu-virt")).unwrap_err().to_string();
    assert!(msg.contains("linux,dummy-virt"), "{msg}");
}

#[test]
fn the_board_option_overrides_the_device_tree() {
    let root = Root::new(fixture("rpi4b"));
    let d = detect_with(&root, Some("rpi5")).unwrap();
    assert_overridden(&d, BoardId::Rpi5, "--board");
    // The device tree is still read, for `board info`.
    assert_eq!(d.model.as_deref(), Some("Raspberry Pi 4 Model B Rev 1.4"));
    let d = detect_with(&Root::new(fixture("qemu-virt")), Some("BBB")).unwrap();
    assert_eq!(d.id, BoardId::BeagleBoneBlack);
    let err = detect_with(&root, Some("rpi9")).unwrap_err();
    assert!(matches!(err, Error::UnknownBoardName { .. }));
    assert!(err.to_string().contains("unknown board \"rpi9\""), "{err}");
    assert!(err.to_string().contains("rpi400"), "{err}");
}

#[test]
fn names_parse_with_from_str() {
    assert_eq!("rpi4b".parse::<BoardId>().unwrap(), BoardId::Rpi4B);
    assert_eq!("virtual".parse::<BoardId>().unwrap(), BoardId::Virtual);
    assert!("pi-zero-w".parse::<BoardId>().is_err());
}

#[test]
fn every_board_opens_by_id_and_by_override() {
    for id in BoardId::ALL {
        let b = udrv_boards::board(*id).unwrap_or_else(|e| panic!("{id:?}: {e}"));
        assert_eq!(b.id(), *id);
        assert!(!b.header_pins().is_empty(), "{id:?}");
    }
    let b = udrv_boards::open_with(&Root::new(fixture("qemu-virt")), Some("virtual")).unwrap();
    assert_eq!(b.id(), BoardId::Virtual);
    // Detected boards keep the device tree's model.
    let d = detect_in(fixture("rpi5")).unwrap();
    let b = udrv_boards::board_for(d, Root::system()).unwrap();
    assert_eq!(b.model(), "Raspberry Pi 5 Model B Rev 1.0");
}
