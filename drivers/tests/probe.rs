//! Probe: address candidates (from the datasheets' address options, declared again here)
//! and identification by ID register, byte-exact and against the models.

mod common;
use common::{block_on, sensirion_word};
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::probe::{Chip, Prober};

#[test]
fn candidates_follow_the_datasheet_address_options() {
    let names = |a: u8| Chip::candidates(a).map(Chip::name).collect::<Vec<_>>();
    assert_eq!(
        names(0x48),
        ["lm75", "tmp102", "ads1115", "ina219", "pca9685"]
    );
    assert_eq!(names(0x4F), ["lm75", "ina219", "pca9685"]);
    assert_eq!(names(0x44), ["sht3x", "ina219", "pca9685"]);
    assert_eq!(names(0x50), ["at24", "pca9685"]);
    assert_eq!(names(0x68), ["pca9685", "ds3231"]);
    assert_eq!(
        names(0x70),
        ["shtc3"],
        "PCA9685 all-call address: no PCA9685; the SHTC3's fixed address"
    );
    assert_eq!(names(0x76), ["bme280", "bmp280", "pca9685"]);
    assert_eq!(names(0x20), ["mcp23017", "pca9554"]);
    assert_eq!(names(0x38), ["pca9554"]);
    // BH1750: ADDR low "0100011", ADDR high "1011100" (datasheet p. 10).
    assert_eq!(names(0x23), ["mcp23017", "pca9554", "bh1750"]);
    assert_eq!(names(0x5C), ["pca9685", "bh1750"]);
    assert_eq!(names(0x08), Vec::<&str>::new());
}

#[test]
fn identify_bytes() {
    let ex = [
        T::write_read(0x76, vec![0xD0], vec![0x60]),
        T::write_read(0x77, vec![0xD0], vec![0x58]),
        T::write_read(0x77, vec![0xD0], vec![0x55]),
        T::write_read(0x76, vec![0xD0], vec![0])
            .with_error(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)),
        T::write(0x48, vec![]),
        T::write(0x49, vec![]).with_error(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)),
    ];
    let mut m = Mock::new(&ex);
    let mut p = Prober::new(m.clone());
    assert_eq!(p.identify(0x76).unwrap(), Some(Chip::Bme280));
    assert_eq!(
        block_on(p.identify_async(0x77)).unwrap(),
        Some(Chip::Bmp280)
    );
    assert_eq!(p.identify(0x77).unwrap(), None, "unknown ID");
    assert!(p.identify(0x76).is_err());
    // No ID register at 0x48: nothing is sent at all.
    assert_eq!(p.identify(0x48).unwrap(), None);
    assert!(p.is_present(0x48));
    assert!(!p.is_present(0x49));
    m.done();
}

#[test]
fn identify_shtc3_bytes() {
    // SHTC3 datasheet §5.9: read-ID command 0xEFC8, then the ID and its CRC (§5.10).
    let mut bad_crc = sensirion_word(0x0887);
    bad_crc[2] ^= 0x01;
    let ex = [
        T::write(0x70, vec![0xEF, 0xC8]),
        T::read(0x70, sensirion_word(0x0887)),
        T::write(0x70, vec![0xEF, 0xC8]),
        T::read(0x70, bad_crc),
        T::write(0x70, vec![0xEF, 0xC8]),
        T::read(0x70, sensirion_word(0x0007)),
        T::write(0x70, vec![0xEF, 0xC8])
            .with_error(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)),
    ];
    let mut m = Mock::new(&ex);
    let mut p = Prober::new(m.clone());
    assert_eq!(p.identify_shtc3().unwrap(), Some(Chip::Shtc3));
    assert_eq!(
        block_on(p.identify_shtc3_async()).unwrap(),
        None,
        "CRC wrong"
    );
    assert_eq!(
        p.identify_shtc3().unwrap(),
        None,
        "an SHTC1's ID (bit 11 clear)"
    );
    assert!(p.identify_shtc3().is_err());
    m.done();
}

#[cfg(feature = "sim")]
#[test]
fn identify_models_on_a_simulated_bus() {
    use udrv_drivers::bme280::model::Bme280Model;
    use udrv_drivers::lm75::model::Lm75Model;
    use udrv_drivers::sim::SimI2cBus;
    let bus = SimI2cBus::new();
    bus.attach(0x77, Bme280Model::new());
    bus.attach(0x48, Lm75Model::lm75());
    let mut p = Prober::new(bus.clone());
    let mut found: Vec<(u8, Option<Chip>)> = Vec::new();
    for a in 0x08..0x78 {
        if p.is_present(a) {
            found.push((a, p.identify(a).unwrap()));
        }
    }
    assert_eq!(found, vec![(0x48, None), (0x77, Some(Chip::Bme280))]);
    assert!(
        p.identify(0x76).is_err(),
        "absent: the bus error comes back"
    );
}

/// Every kind whose identification `probe` uses (register reads, a plain read) has a
/// place in the probe: register-read kinds in `REGISTER_ORDER`, plain-read kinds in
/// `PLAIN_READ_KINDS`, and nothing else is there.
#[test]
fn every_kind_probe_can_identify_has_a_place_in_it() {
    use udrv_drivers::kinds::{ChipKind, Identification as I};
    use udrv_drivers::probe::{PLAIN_READ_KINDS, REGISTER_ORDER};
    for kind in ChipKind::ALL {
        let id = kind.identification();
        let registers = matches!(id, I::IdRegister { .. } | I::Registers { .. });
        let plain = matches!(id, I::PlainRead { .. });
        assert_eq!(id.probe_identifies(), registers || plain, "{kind}");
        assert_eq!(REGISTER_ORDER.contains(&kind), registers, "{kind}: {id:?}");
        assert_eq!(PLAIN_READ_KINDS.contains(&kind), plain, "{kind}: {id:?}");
        if id.probe_identifies() {
            assert!(kind.has_i2c(), "{kind}: probe scans I2C");
        }
        // What one identification reads fits the probe's buffer.
        if let I::Registers { pointers, bytes } = id {
            assert!(pointers.len() * usize::from(bytes) <= 32, "{kind}");
        }
    }
    // An EEPROM's identification is the one-byte presence read probe makes in 0x50-0x57.
    assert_eq!(
        ChipKind::At24c32.identification(),
        I::PlainRead { bytes: 1 }
    );
}

/// What `identify` sends at 0x77 (a DPS310, a BME280 or a PCA9685 can answer there): a
/// plain read (a switch's range), then the DPS310's and the BME280's ID registers, in
/// that order, and nothing else once one matches.
#[test]
fn identify_reads_the_catalogs_registers_in_order() {
    use udrv_drivers::kinds::ChipKind;
    use udrv_drivers::probe::{identify, Evidence};
    let ex = [
        T::read(0x77, vec![0x00, 0x12, 0x00, 0x00]),
        T::write_read(0x77, vec![0x0d], vec![0x00]),
        T::write_read(0x77, vec![0xd0], vec![0x58]),
    ];
    let mut m = Mock::new(&ex);
    let f = identify(&mut m, 0x77);
    assert_eq!(f.kind(), Some(ChipKind::Bme280));
    assert_eq!(
        f.evidence,
        Evidence::IdRegister {
            kind: ChipKind::Bme280,
            pointer: 0xd0,
            value: 0x58
        }
    );
    assert_eq!(
        f.evidence_text().to_string(),
        "chip ID register 0xd0 = 0x58: a BMP280 (read it as bme280: no humidity)"
    );
    m.done();
    // An INA219's three registers (2 bytes each) at power-on: no further reads.
    let ex = [
        T::write(0x40, vec![]),
        T::write_read(0x40, vec![0x00], vec![0x39, 0x9f]),
        T::write_read(0x40, vec![0x02], vec![0x00, 0x00]),
        T::write_read(0x40, vec![0x05], vec![0x00, 0x00]),
    ];
    let mut m = Mock::new(&ex);
    assert!(udrv_drivers::probe::answers(&mut m, 0x40));
    let f = identify(&mut m, 0x40);
    assert_eq!(
        (f.kind(), f.to_string()),
        (Some(ChipKind::Ina219), "ina219".into())
    );
    m.done();
}
