//! The one chip list: its table is whole and in order, names and aliases are unique, and
//! the address options are the datasheets' (declared again here, independently).

use udrv_drivers::kinds::{write_addresses, ChipKind, Identification};

#[test]
fn the_table_holds_every_kind_in_order() {
    for (i, k) in ChipKind::ALL.into_iter().enumerate() {
        assert_eq!(k.info().kind, k, "row {i}");
        assert_eq!(k.to_string(), k.name());
        assert!(!k.info().reads.is_empty(), "{k}: what a read sends");
        assert!(
            k.has_i2c() || k.spi().is_some() || !k.w1_families().is_empty(),
            "{k} has no bus"
        );
        if let Some(s) = k.spi() {
            assert!(s.max_hz > 0, "{k}: an SPI chip needs a clock");
        }
        for &a in k.addresses() {
            assert!((0x08..=0x77).contains(&a), "{k}: {a:#04x} is reserved");
        }
        // The chips whose reads check an ID say which register (or command) does.
        let id = k.identification();
        assert_eq!(id.read_checks(), k.info().id_text.is_some(), "{k}");
    }
}

#[test]
fn names_and_aliases_are_unique_and_found_in_any_case() {
    let mut all: Vec<&str> = Vec::new();
    for k in ChipKind::ALL {
        all.push(k.name());
        all.extend(k.info().aliases);
        assert_eq!(ChipKind::find(k.name()), Some(k));
        for a in k.info().aliases {
            assert_eq!(ChipKind::find(&a.to_ascii_uppercase()), Some(k), "{a}");
        }
    }
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "a name or alias names two kinds");
    assert_eq!(ChipKind::find(" BMP280 "), Some(ChipKind::Bme280));
    assert_eq!(ChipKind::find("sht31"), Some(ChipKind::Sht3x));
    assert_eq!(ChipKind::find("BH1750FVI"), Some(ChipKind::Bh1750));
    assert_eq!(ChipKind::find("bme680"), None);
}

#[test]
fn address_options_are_the_datasheets() {
    let range = |a: u8, b: u8| (a..=b).collect::<Vec<u8>>();
    // PCA9685 (Rev. 4 §7.1): A5..A0 = 0x40-0x7f; 0x70 is the power-up All Call address,
    // 0x78-0x7f are reserved by the I2C-bus specification.
    let mut pca9685 = range(0x40, 0x77);
    pca9685.retain(|a| *a != 0x70);
    assert_eq!(ChipKind::Pca9685.addresses(), &pca9685[..]);
    // PCA9554 0100 A2A1A0, PCA9554A 0111 A2A1A0.
    let mut pca9554 = range(0x20, 0x27);
    pca9554.extend(range(0x38, 0x3f));
    assert_eq!(ChipKind::Pca9554.addresses(), &pca9554[..]);
    assert_eq!(ChipKind::Pca9535.addresses(), &range(0x20, 0x27)[..]);
    assert_eq!(ChipKind::Ina219.addresses(), &range(0x40, 0x4f)[..]);
    assert_eq!(ChipKind::Lm75.addresses(), &range(0x48, 0x4f)[..]);
    assert_eq!(ChipKind::Tmp102.addresses(), &range(0x48, 0x4b)[..]);
    assert_eq!(ChipKind::Ads1115.addresses(), &range(0x48, 0x4b)[..]);
    assert_eq!(ChipKind::At24c32.addresses(), &range(0x50, 0x57)[..]);
    assert_eq!(ChipKind::Pca9548.addresses(), &range(0x70, 0x77)[..]);
    // DPS310: 0x77 with SDO high (the default), 0x76 with SDO low.
    assert_eq!(ChipKind::Dps310.addresses(), &[0x77, 0x76]);
    assert_eq!(ChipKind::Bme280.addresses(), &[0x76, 0x77]);
    assert_eq!(ChipKind::Bh1750.addresses(), &[0x23, 0x5c]);
    assert_eq!(ChipKind::Shtc3.addresses(), &[0x70]);
    assert!(ChipKind::Mcp23s17.spi().is_some_and(|s| s.hardware_address));
    assert!(!ChipKind::Mcp23s17.has_i2c());
    assert_eq!(ChipKind::Max31855.spi().map(|s| s.max_hz), Some(4_000_000));
    let at = |a: u8| {
        ChipKind::candidates(a)
            .map(ChipKind::name)
            .collect::<Vec<_>>()
    };
    assert_eq!(at(0x70), ["shtc3", "pca9548", "pca9546"]);
    assert_eq!(at(0x68), ["ds3231", "ds1307", "ds1338", "pca9685"]);
    assert!(at(0x78).is_empty());
}

#[test]
fn identification_says_what_probe_may_read() {
    use Identification as I;
    assert_eq!(
        ChipKind::Bme280.identification(),
        I::IdRegister {
            pointer: 0xd0,
            ids: &[0x60, 0x58]
        }
    );
    // A command is a write: probe never sends it.
    let shtc3 = ChipKind::Shtc3.identification();
    assert!(shtc3.read_checks() && !shtc3.probe_identifies());
    assert!(!ChipKind::Sht3x.identification().probe_identifies());
    assert!(ChipKind::Ds3231.identification().probe_identifies());
    assert!(!ChipKind::Ds3231.identification().read_checks());
}

#[test]
fn address_lists_as_text() {
    let text = |k: ChipKind| {
        let mut s = String::new();
        write_addresses(&mut s, k.addresses()).unwrap();
        s
    };
    assert_eq!(text(ChipKind::Bme280), "0x76, 0x77");
    assert_eq!(text(ChipKind::Lm75), "0x48-0x4f");
    assert_eq!(text(ChipKind::Bh1750), "0x23, 0x5c");
    assert_eq!(text(ChipKind::Pca9554), "0x20-0x27, 0x38-0x3f");
    assert_eq!(text(ChipKind::Pca9685), "0x40-0x6f, 0x71-0x77");
    assert_eq!(text(ChipKind::Dps310), "0x77, 0x76");
    assert_eq!(text(ChipKind::Mcp3008), "");
    let mut s = String::new();
    write_addresses(&mut s, &[1, 2, 3, 5]).unwrap();
    assert_eq!(s, "0x01, 0x02, 0x03, 0x05", "three in a row stay a list");
}
