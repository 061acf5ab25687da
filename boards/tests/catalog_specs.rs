//! Chip specs: the spellings `udrv read` takes, their canonical printed form, the typed
//! errors, and (property test) every spec printed parses back to the same value.

use proptest::prelude::*;
use udrv_boards::catalog::{
    Channel, ChipKind, ChipSpec, I2cBus, Location, SpecError, SpiDevice, Switch,
};

fn spec(s: &str) -> ChipSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> SpecError {
    s.parse::<ChipSpec>().expect_err(&format!("{s} parsed"))
}

#[test]
fn the_spellings_and_their_printed_form() {
    for (typed, printed) in [
        ("bme280@i2c-1:0x76", "bme280@i2c-1:0x76"),
        ("BMP280@1", "bme280@i2c-1:0x76"),
        ("lm75@/dev/i2c-3:0x4f", "lm75@i2c-3:0x4f"),
        ("lm75@i2c-1/0x70.3:0x48", "lm75@i2c-1/0x70.3:0x48"),
        ("lm75@/dev/i2c-3/0x70.7", "lm75@i2c-3/0x70.7:0x48"),
        ("lm75@/dev/i2c-3", "lm75@i2c-3:0x48"),
        ("mcp3008@spidev0.0", "mcp3008@spidev0.0"),
        ("mcp3008@0.1", "mcp3008@spidev0.1"),
        ("mcp3008@/dev/spidev0.1", "mcp3008@spidev0.1"),
        ("mcp23s17@spidev0.0:5", "mcp23s17@spidev0.0:5"),
        ("mcp23s17@spi1.2:3", "mcp23s17@spi1.2:3"),
        ("mcp23017@i2c-1:0x20#B3", "mcp23017@i2c-1:0x20#B3"),
        ("mcp23017@i2c-1#B3", "mcp23017@i2c-1:0x20#B3"),
        ("at24c32@my:adapter", "at24c32@my:adapter:0x50"),
        ("lm75@i2c_arm:0110", "lm75@i2c_arm:0x48"),
    ] {
        let s = spec(typed);
        assert_eq!(s.to_string(), printed, "{typed}");
        assert_eq!(spec(printed), s, "{printed} reads back");
    }
    let s = spec("lm75@i2c-1/0x73.2:0x49#x");
    assert_eq!(s.kind(), ChipKind::Lm75);
    assert_eq!(s.channel().map(Channel::as_str), Some("x"));
    assert_eq!(
        s.location(),
        &Location::I2c {
            bus: I2cBus::Number(1),
            switch: Switch::new(0x73, 2),
            address: 0x49
        }
    );
    assert_eq!(
        spec("mcp23s17@/dev/spidev0.0:5").location(),
        &Location::Spi {
            device: SpiDevice::Spidev { bus: 0, cs: 0 },
            hardware_address: Some(5)
        }
    );
    assert_eq!(
        spec("at24c32@my:adapter").location(),
        &Location::I2c {
            bus: I2cBus::Name("my:adapter".into()),
            switch: None,
            address: 0x50
        }
    );
}

#[test]
fn spi_devices_in_every_spelling() {
    // (These were `udrv spi`'s `is_spi_name` checks: `udrv read` asks the catalog now.)
    let is_spi = |s: &str| SpiDevice::parse(s).is_some();
    assert!(is_spi("spi1.2") && is_spi("1.2") && is_spi("/dev/spidev0.0"));
    assert!(!is_spi("1") && !is_spi("/dev/i2c-1") && !is_spi("i2c_arm"));
    assert_eq!(
        SpiDevice::parse("/dev/spidev0.1"),
        Some(SpiDevice::Spidev { bus: 0, cs: 1 })
    );
    assert_eq!(
        SpiDevice::parse("spi0.1"),
        Some(SpiDevice::Board { bus: 0, cs: 1 })
    );
    for bad in ["spidevspi0.0", "spi0", "i2c-1", "0.x", ""] {
        assert_eq!(SpiDevice::parse(bad), None, "{bad}");
    }
}

#[test]
fn bad_specs_are_typed_errors() {
    use ChipKind as K;
    use SpecError as E;
    for (s, e) in [
        ("bme280", E::NotASpec("bme280".into())),
        ("bme280@", E::NoBus("bme280@".into())),
        ("lm75@:0x48", E::NoBus("lm75@:0x48".into())),
        ("bme680@i2c-1", E::UnknownChip("bme680".into())),
        (
            "bme280@i2c-1:0x48",
            E::ImpossibleAddress(K::Bme280, "0x48".into()),
        ),
        (
            "bme280@i2c-1:0x1000",
            E::ImpossibleAddress(K::Bme280, "0x1000".into()),
        ),
        (
            "pca9685@i2c-1:0x70",
            E::ImpossibleAddress(K::Pca9685, "0x70".into()),
        ),
        ("sht3x@spidev0.0", E::NoSpi(K::Sht3x)),
        ("mcp3008@i2c-1", E::NoI2c(K::Mcp3008)),
        (
            "bme280@spidev0.0:1",
            E::NoHardwareAddress(K::Bme280, "spidev0.0".into()),
        ),
        (
            "mcp23s17@spidev0.0:8",
            E::BadHardwareAddress("8".into(), "mcp23s17@spidev0.0:8".into()),
        ),
        (
            "bme280@i2c-1:abc",
            E::NotAnAddress(K::Bme280, "abc".into(), "bme280@i2c-1:abc".into()),
        ),
        ("lm75@i2c-1/0x60.1:0x48", E::BadSwitch("0x60.1".into())),
        ("lm75@i2c-1/0x70.8:0x48", E::BadSwitch("0x70.8".into())),
        (
            "lm75@/0x70.1:0x48",
            E::NoBusBeforeSwitch("lm75@/0x70.1:0x48".into()),
        ),
        (
            "shtc3@i2c-1/0x70.1",
            E::SwitchAddress("shtc3@i2c-1/0x70.1".into(), 0x70),
        ),
        (
            "mcp23017@i2c-1:0x20#B-3",
            E::BadChannel("B-3".into(), "mcp23017@i2c-1:0x20#B-3".into()),
        ),
        (
            "mcp23017@i2c-1:0x20#",
            E::BadChannel("".into(), "mcp23017@i2c-1:0x20#".into()),
        ),
    ] {
        assert_eq!(err(s), e, "{s}");
    }
    // The messages say what to give.
    assert!(err("bme280@i2c-1:0x48")
        .to_string()
        .contains("answers only at 0x76, 0x77"));
    assert!(err("bme280").to_string().contains("is not CHIP@BUS[:ADDR]"));
    assert!(err("bme680@1")
        .to_string()
        .contains("unknown chip `bme680`"));
    assert!(err("mcp23s17@i2c-1")
        .to_string()
        .contains("no I2C interface"));
    assert!(err("a@b#c#d").to_string().contains("unknown chip"));
}

#[test]
fn built_specs_are_checked_as_parsed_ones() {
    let at = |bus: I2cBus, address| Location::I2c {
        bus,
        switch: None,
        address,
    };
    let ok = ChipSpec::new(ChipKind::Lm75, at(I2cBus::Number(1), 0x48), None).unwrap();
    assert_eq!(ok, spec("lm75@1"));
    assert_eq!(
        ChipSpec::new(ChipKind::Lm75, at(I2cBus::Number(1), 0x40), None),
        Err(SpecError::ImpossibleAddress(ChipKind::Lm75, "0x40".into()))
    );
    // A name that reads back as a number is not a name.
    let e = ChipSpec::new(ChipKind::Lm75, at(I2cBus::Name("1".into()), 0x48), None);
    assert!(matches!(e, Err(SpecError::NotCanonical(..))), "{e:?}");
    assert!(Switch::new(0x78, 0).is_none() && Switch::new(0x70, 8).is_none());
    assert!(Channel::new("B3").is_some() && Channel::new("B 3").is_none());
}

/// Bus spellings, plain and odd (names with `:` and `/`, paths, numbers in any base).
fn bus() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..40).prop_map(|n| format!("i2c-{n}")),
        (0u32..40).prop_map(|n| n.to_string()),
        (0u32..40).prop_map(|n| format!("/dev/i2c-{n}")),
        (0u32..40).prop_map(|n| format!("{n:#x}")),
        "[a-z_]{1,8}",
        "[a-z]{1,4}:[a-z0-9]{1,4}",
        "/[a-z]{1,6}(/[a-z0-9.]{1,6})?",
        "[ -~]{1,12}",
        (0u32..3, 0u32..3).prop_map(|(b, c)| format!("spidev{b}.{c}")),
        (0u32..3, 0u32..3).prop_map(|(b, c)| format!("{b}.{c}")),
        (0u32..3, 0u32..3).prop_map(|(b, c)| format!("spi{b}.{c}")),
        (0u32..3, 0u32..3).prop_map(|(b, c)| format!("/dev/spidev{b}.{c}")),
        "/dev/spidev[a-z]{0,3}",
    ]
}

/// Specs put together from parts, some valid, some not.
fn typed_spec() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(ChipKind::ALL.to_vec());
    let switch = prop_oneof![
        Just(String::new()),
        (0x6eu8..0x79, 0u8..9).prop_map(|(a, c)| format!("/{a:#04x}.{c}")),
    ];
    let address = prop_oneof![
        Just(String::new()),
        (0u8..=0x80).prop_map(|a| format!(":{a:#04x}")),
        (0u8..10).prop_map(|a| format!(":{a}")),
        "[:#@/][ -~]{0,4}",
    ];
    let channel = prop_oneof![Just(String::new()), "#[A-Za-z0-9_]{1,6}", "#[ -~]{0,4}"];
    (kind, bus(), switch, address, channel).prop_map(|(k, b, s, a, c)| {
        let name = if k.name().len() % 2 == 0 {
            k.name().to_ascii_uppercase()
        } else {
            k.name().to_string()
        };
        format!("{name}@{b}{s}{a}{c}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn every_spec_printed_parses_back_to_the_same_value(text in typed_spec()) {
        if let Ok(s) = text.parse::<ChipSpec>() {
            let printed = s.to_string();
            let back: ChipSpec = printed.parse().map_err(|e| {
                TestCaseError::fail(format!("{text} printed as {printed}: {e}"))
            })?;
            prop_assert_eq!(&back, &s, "{} printed as {}", text, printed);
            prop_assert_eq!(back.to_string(), printed);
            prop_assert!(ChipSpec::new(s.kind(), s.location().clone(), s.channel().cloned())
                .is_ok());
        }
    }

    #[test]
    fn any_text_either_parses_or_says_why(text in "[ -~]{0,24}") {
        match text.parse::<ChipSpec>() {
            Ok(s) => prop_assert_eq!(s.to_string().parse::<ChipSpec>(), Ok(s)),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
