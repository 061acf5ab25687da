//! Consistency of the pin tables, checked against facts declared here again
//! independently (from the Raspberry Pi pinout documentation and the BeagleBone Black
//! System Reference Manual), so that a wrong table entry cannot check itself.

use std::collections::{BTreeMap, BTreeSet};

use udrv_boards::{BeagleBone, Board, BoardId, HeaderPin, PinKind, PinSpec, RaspberryPi};

const PIS: [BoardId; 7] = [
    BoardId::Rpi3B,
    BoardId::Rpi3BPlus,
    BoardId::Rpi4B,
    BoardId::Rpi400,
    BoardId::Rpi5,
    BoardId::RpiZero2W,
    BoardId::RpiCm4,
];

/// The 40-pin header, pin -> BCM GPIO (Raspberry Pi documentation, "GPIO pinout").
const PI_GPIO: [(u32, u32); 28] = [
    (3, 2),
    (5, 3),
    (7, 4),
    (8, 14),
    (10, 15),
    (11, 17),
    (12, 18),
    (13, 27),
    (15, 22),
    (16, 23),
    (18, 24),
    (19, 10),
    (21, 9),
    (22, 25),
    (23, 11),
    (24, 8),
    (26, 7),
    (27, 0),
    (28, 1),
    (29, 5),
    (31, 6),
    (32, 12),
    (33, 13),
    (35, 19),
    (36, 16),
    (37, 26),
    (38, 20),
    (40, 21),
];

fn pi(id: BoardId) -> RaspberryPi {
    RaspberryPi::new(id).unwrap()
}

fn pins_of(b: &dyn Board) -> Vec<HeaderPin> {
    b.header_pins()
}

#[test]
fn every_pi_header_has_pins_1_to_40_exactly_once() {
    for id in PIS {
        let pins = pins_of(&pi(id));
        let numbers: Vec<u32> = pins.iter().map(|p| p.number).collect();
        assert_eq!(numbers, (1..=40).collect::<Vec<_>>(), "{id}");
        assert!(pins.iter().all(|p| p.header == "J8"), "{id}");
    }
}

#[test]
fn pi_bcm_numbers_are_unique_and_match_the_pinout() {
    let expected: BTreeMap<u32, u32> = PI_GPIO.into_iter().collect();
    for id in PIS {
        let mut seen = BTreeSet::new();
        for p in pins_of(&pi(id)) {
            match (&p.gpio, expected.get(&p.number)) {
                (Some(g), Some(bcm)) => {
                    assert_eq!(g.offset, *bcm, "{id} pin {}", p.number);
                    assert_eq!(p.name, format!("GPIO{bcm}"));
                    assert_eq!(p.kind, PinKind::Gpio);
                    assert!(seen.insert(g.offset), "{id}: BCM {} twice", g.offset);
                }
                (None, None) => assert_ne!(p.kind, PinKind::Gpio),
                _ => panic!("{id} pin {}: GPIO or not?", p.number),
            }
        }
        assert_eq!(
            seen,
            (0..=27).collect(),
            "{id}: GPIO0..27 all on the header"
        );
    }
}

#[test]
fn pi_power_and_ground_pins() {
    for id in PIS {
        let pins = pins_of(&pi(id));
        let named = |n: &str| -> Vec<u32> {
            pins.iter()
                .filter(|p| p.name == n)
                .map(|p| p.number)
                .collect()
        };
        assert_eq!(named("3V3"), [1, 17], "{id}");
        assert_eq!(named("5V"), [2, 4], "{id}");
        assert_eq!(named("GND"), [6, 9, 14, 20, 25, 30, 34, 39], "{id}");
    }
}

#[test]
fn pi_chip_labels_per_model() {
    assert_eq!(pi(BoardId::Rpi3B).chip_labels()[0], "pinctrl-bcm2835");
    assert_eq!(pi(BoardId::Rpi3BPlus).chip_labels()[0], "pinctrl-bcm2835");
    assert_eq!(pi(BoardId::RpiZero2W).chip_labels()[0], "pinctrl-bcm2835");
    assert_eq!(pi(BoardId::Rpi4B).chip_labels()[0], "pinctrl-bcm2711");
    assert_eq!(pi(BoardId::Rpi400).chip_labels()[0], "pinctrl-bcm2711");
    assert_eq!(pi(BoardId::RpiCm4).chip_labels()[0], "pinctrl-bcm2711");
    assert_eq!(pi(BoardId::Rpi5).chip_labels(), ["pinctrl-rp1"]);
    assert_eq!(pi(BoardId::Rpi4B).line_names().len(), 58);
    assert_eq!(pi(BoardId::Rpi5).line_names().len(), 54);
    assert_eq!(pi(BoardId::Rpi3B).line_names().len(), 54);
}

#[test]
fn pi_line_names_follow_each_device_tree() {
    for id in PIS {
        let p = pi(id);
        for (pin, bcm) in PI_GPIO {
            let hp = p.header_pin(PinSpec::Physical(pin)).unwrap();
            let name = hp.gpio.unwrap().line_name.unwrap();
            let expect = match (id, bcm) {
                (_, 0) => "ID_SDA".to_string(),
                (_, 1) => "ID_SCL".to_string(),
                // The 3B keeps schematic names for the bus pins.
                (BoardId::Rpi3B, 2) => "SDA1".into(),
                (BoardId::Rpi3B, 3) => "SCL1".into(),
                (BoardId::Rpi3B, 4) => "GPIO_GCLK".into(),
                (BoardId::Rpi3B, 7) => "SPI_CE1_N".into(),
                (BoardId::Rpi3B, 8) => "SPI_CE0_N".into(),
                (BoardId::Rpi3B, 9) => "SPI_MISO".into(),
                (BoardId::Rpi3B, 10) => "SPI_MOSI".into(),
                (BoardId::Rpi3B, 11) => "SPI_SCLK".into(),
                (BoardId::Rpi3B, 14) => "TXD1".into(),
                (BoardId::Rpi3B, 15) => "RXD1".into(),
                _ => format!("GPIO{bcm}"),
            };
            assert_eq!(name, expect, "{id} GPIO{bcm}");
        }
    }
    // Lines off the header, spot-checked.
    assert_eq!(pi(BoardId::Rpi4B).line_names()[42], "STATUS_LED_G_CLK");
    assert_eq!(pi(BoardId::Rpi5).line_names()[45], "FAN_PWM");
    assert_eq!(pi(BoardId::Rpi3BPlus).line_names()[29], "STATUS_LED_G");
}

/// (bus role or SPI device, [(pin, function)]): what the buses' pins must offer.
const PI_BUS_PINS: &[(&str, &[(u32, &str)])] = &[
    ("i2c_arm", &[(3, "I2C1 SDA"), (5, "I2C1 SCL")]),
    (
        "spi0.0",
        &[
            (24, "SPI0 CE0"),
            (19, "SPI0 MOSI"),
            (21, "SPI0 MISO"),
            (23, "SPI0 SCLK"),
        ],
    ),
    ("spi0.1", &[(26, "SPI0 CE1")]),
    (
        "spi1.0",
        &[
            (12, "SPI1 CE0"),
            (38, "SPI1 MOSI"),
            (35, "SPI1 MISO"),
            (40, "SPI1 SCLK"),
        ],
    ),
    ("spi1.1", &[(11, "SPI1 CE1")]),
    ("spi1.2", &[(36, "SPI1 CE2")]),
    ("primary", &[(8, "UART TXD"), (10, "UART RXD")]),
];

#[test]
fn pi_alternate_functions_agree_with_the_bus_roles() {
    for id in PIS {
        let p = pi(id);
        let buses = p.buses();
        for (role, pins) in PI_BUS_PINS {
            let bus = buses
                .iter()
                .find(|b| b.name == *role)
                .unwrap_or_else(|| panic!("{id}: no bus {role}"));
            for (pin, func) in *pins {
                let hp = p.header_pin(PinSpec::Physical(*pin)).unwrap();
                assert!(
                    hp.functions.iter().any(|f| f == func),
                    "{id} pin {pin}: {:?} lacks {func}",
                    hp.functions
                );
                assert!(
                    bus.pins.contains(&format!("pin {pin}"))
                        || bus.pins.contains(&format!("={pin}")),
                    "{id} {role}: pins \"{}\" do not name pin {pin}",
                    bus.pins
                );
            }
        }
        // PWM: two channels on the BCM chips, four on RP1.
        let pwm = |pin: u32| p.header_pin(PinSpec::Physical(pin)).unwrap().functions[0].to_string();
        if id == BoardId::Rpi5 {
            assert_eq!(pwm(32), "PWM0 CHAN0");
            assert_eq!(pwm(35), "PWM0 CHAN3");
        } else {
            assert_eq!(pwm(32), "PWM0");
            assert_eq!(pwm(33), "PWM1");
            assert_eq!(pwm(12), "PWM0");
        }
    }
}

/// Legacy sysfs GPIO numbers (32 * bank + offset) of every P8/P9 GPIO, from the BeagleBone
/// Black System Reference Manual tables 12 and 13.
const BB_LEGACY: &[(&str, u32)] = &[
    ("P8_3", 38),
    ("P8_4", 39),
    ("P8_5", 34),
    ("P8_6", 35),
    ("P8_7", 66),
    ("P8_8", 67),
    ("P8_9", 69),
    ("P8_10", 68),
    ("P8_11", 45),
    ("P8_12", 44),
    ("P8_13", 23),
    ("P8_14", 26),
    ("P8_15", 47),
    ("P8_16", 46),
    ("P8_17", 27),
    ("P8_18", 65),
    ("P8_19", 22),
    ("P8_20", 63),
    ("P8_21", 62),
    ("P8_22", 37),
    ("P8_23", 36),
    ("P8_24", 33),
    ("P8_25", 32),
    ("P8_26", 61),
    ("P8_27", 86),
    ("P8_28", 88),
    ("P8_29", 87),
    ("P8_30", 89),
    ("P8_31", 10),
    ("P8_32", 11),
    ("P8_33", 9),
    ("P8_34", 81),
    ("P8_35", 8),
    ("P8_36", 80),
    ("P8_37", 78),
    ("P8_38", 79),
    ("P8_39", 76),
    ("P8_40", 77),
    ("P8_41", 74),
    ("P8_42", 75),
    ("P8_43", 72),
    ("P8_44", 73),
    ("P8_45", 70),
    ("P8_46", 71),
    ("P9_11", 30),
    ("P9_12", 60),
    ("P9_13", 31),
    ("P9_14", 50),
    ("P9_15", 48),
    ("P9_16", 51),
    ("P9_17", 5),
    ("P9_18", 4),
    ("P9_19", 13),
    ("P9_20", 12),
    ("P9_21", 3),
    ("P9_22", 2),
    ("P9_23", 49),
    ("P9_24", 15),
    ("P9_25", 117),
    ("P9_26", 14),
    ("P9_27", 115),
    ("P9_28", 113),
    ("P9_29", 111),
    ("P9_30", 112),
    ("P9_31", 110),
    ("P9_41", 20),
    ("P9_42", 7),
];

fn bb(id: BoardId) -> BeagleBone {
    BeagleBone::new(id).unwrap()
}

#[test]
fn beaglebone_headers_have_46_pins_each_exactly_once() {
    let pins = pins_of(&bb(BoardId::BeagleBoneBlack));
    for h in ["P8", "P9"] {
        let n: Vec<u32> = pins
            .iter()
            .filter(|p| p.header == h)
            .map(|p| p.number)
            .collect();
        assert_eq!(n, (1..=46).collect::<Vec<_>>(), "{h}");
    }
    assert_eq!(pins.len(), 92);
}

#[test]
fn beaglebone_gpio_banks_and_offsets_match_the_manual() {
    let b = bb(BoardId::BeagleBoneBlack);
    let expected: BTreeMap<&str, u32> = BB_LEGACY.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut count = 0;
    for p in pins_of(&b) {
        let Some(g) = &p.gpio else {
            assert!(
                !expected.contains_key(p.name.as_ref()),
                "{} should be a GPIO",
                p.name
            );
            continue;
        };
        count += 1;
        let legacy = expected[p.name.as_ref()];
        let bank = legacy / 32;
        assert_eq!(g.offset, legacy % 32, "{}", p.name);
        assert_eq!(
            g.chip_label,
            format!("gpio-{}-{}", bank * 32, bank * 32 + 31),
            "{}",
            p.name
        );
        assert_eq!(g.legacy_number, Some(legacy), "{}", p.name);
        assert_eq!(
            p.functions[0],
            format!("GPIO{bank}_{}", legacy % 32),
            "{}",
            p.name
        );
        assert!(seen.insert(legacy), "{}: gpio{legacy} twice", p.name);
    }
    assert_eq!(count, BB_LEGACY.len());
}

#[test]
fn beaglebone_power_ground_and_analog_pins() {
    let b = bb(BoardId::BeagleBoneBlack);
    let kind = |h: &str, n: u32| {
        pins_of(&b)
            .into_iter()
            .find(|p| p.header == h && p.number == n)
            .unwrap()
    };
    for n in [1, 2] {
        assert_eq!(kind("P8", n).kind, PinKind::Ground);
    }
    for n in [1, 2, 34, 43, 44, 45, 46] {
        assert_eq!(kind("P9", n).kind, PinKind::Ground, "P9_{n}");
    }
    for n in [3, 4, 5, 6, 7, 8, 32] {
        assert_eq!(kind("P9", n).kind, PinKind::Power, "P9_{n}");
    }
    for (n, ain) in [
        (39, "AIN0"),
        (40, "AIN1"),
        (37, "AIN2"),
        (38, "AIN3"),
        (33, "AIN4"),
        (36, "AIN5"),
        (35, "AIN6"),
    ] {
        let p = kind("P9", n);
        assert_eq!(p.kind, PinKind::Other, "P9_{n}");
        assert_eq!(p.functions[0], ain);
    }
}

#[test]
fn beaglebone_black_marks_hdmi_and_emmc_pins() {
    let black = bb(BoardId::BeagleBoneBlack);
    let green = bb(BoardId::BeagleBoneGreen);
    let emmc: Vec<u32> = vec![3, 4, 5, 6, 20, 21, 22, 23, 24, 25];
    for n in 1..=46 {
        let name = format!("P8_{n}");
        let p = black.header_pin(PinSpec::Name(&name)).unwrap();
        let g = green.header_pin(PinSpec::Name(&name)).unwrap();
        let by = p.reserved.as_ref().map(|r| r.by.to_string());
        if emmc.contains(&n) {
            assert_eq!(by.as_deref(), Some("eMMC"), "{name}");
            assert_eq!(
                g.reserved.map(|r| r.by.to_string()).as_deref(),
                Some("eMMC")
            );
        } else if n >= 27 {
            assert_eq!(by.as_deref(), Some("HDMI"), "{name}");
            assert!(g.reserved.is_none(), "the Green has no HDMI: {name}");
        } else {
            assert_eq!(by, None, "{name}");
        }
    }
}

#[test]
fn beaglebone_line_names_name_their_pins() {
    // Every header GPIO's device-tree line name starts with its pin name (unpadded; with
    // an `A` or `B` for the pins wired to two balls), except P8_24, which the device tree
    // names "[mmc1_dat1]" only.
    let b = bb(BoardId::BeagleBoneBlack);
    for p in pins_of(&b).into_iter().filter(|p| p.gpio.is_some()) {
        let line = p.gpio.as_ref().unwrap().line_name.clone().unwrap();
        if p.name == "P8_24" {
            assert_eq!(line, "[mmc1_dat1]");
            continue;
        }
        let token = line.split(' ').next().unwrap();
        assert!(
            token == p.name || token == format!("{}A", p.name) || token == format!("{}B", p.name),
            "{}: line \"{line}\"",
            p.name
        );
    }
    let p = b.header_pin(PinSpec::Name("P9_42B")).unwrap();
    assert_eq!(p.gpio.unwrap().legacy_number, Some(114));
}
