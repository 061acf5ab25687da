//! SHT3x: datasheet CRC example and conversion formula, byte-exact mock tests, and the
//! driver against the model.

mod common;
use common::{block_on, sensirion_word as word};
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::sht3x::*;
use udrv_drivers::{Humidity, Temperature};

const ADDR: u8 = 0x44;
const NACK: ErrorKind = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);

#[test]
fn crc_datasheet_example() {
    // SHT3x-DIS datasheet §4.12, table 19: CRC(0xBEEF) = 0x92.
    assert_eq!(crc8(&[0xBE, 0xEF]), 0x92);
    assert_eq!(word(0xBEEF)[2], 0x92);
    for w in [0x0000u16, 0x6666, 0x8000, 0xFFFF, 0x1234] {
        assert_eq!(crc8(&w.to_be_bytes()), word(w)[2], "{w:04x}");
    }
}

#[test]
fn conversion_formula_endpoints() {
    // Datasheet §4.13: T = -45 + 175 * S_T / (2^16 - 1); RH = 100 * S_RH / (2^16 - 1).
    assert_eq!(convert_temperature(0).as_millicelsius(), -45_000);
    assert_eq!(convert_temperature(0xFFFF).as_millicelsius(), 130_000);
    assert_eq!(convert_humidity(0).as_millipercent(), 0);
    assert_eq!(convert_humidity(0xFFFF).as_millipercent(), 100_000);
    common::check_sensirion_conversion(65535.0, convert_temperature, convert_humidity);
}

/// Raw words and their values worked out by hand from the datasheet's formulas (§4.13:
/// `T = -45 + 175 * S_T / (2^16 - 1)`, `RH = 100 * S_RH / (2^16 - 1)`), rounded to the
/// nearest milli-unit: (S, T in m°C, RH in m%RH).
/// - 0x0001: 175 / 65535 = 0.00267 -> -44.99733 °C; 100 / 65535 = 0.00153 %RH.
/// - 0x1000 = 4096: 716800 / 65535 = 10.93767 -> -34.06233 °C; 409600 / 65535 = 6.25010.
/// - 0x2000 = 8192: 1433600 / 65535 = 21.87533 -> -23.12467 °C; 819200 / 65535 = 12.50019.
/// - 0x6666 = 26214 = 0.4 * 65535 exactly: -45 + 70 = 25 °C; 40 %RH.
/// - 0x8000 = 32768: 5734400 / 65535 = 87.50134 -> 42.50134 °C; 3276800 / 65535 = 50.00076.
/// - 0xA3D7 = 41943: 7340025 / 65535 = 112.00160 -> 67.00160 °C; 4194300 / 65535 = 64.00092.
/// - 0xFFFF: -45 + 175 = 130 °C; 100 %RH.
const HAND_VECTORS: [(u16, i32, u32); 7] = [
    (0x0001, -44_997, 2),
    (0x1000, -34_062, 6_250),
    (0x2000, -23_125, 12_500),
    (0x6666, 25_000, 40_000),
    (0x8000, 42_501, 50_001),
    (0xA3D7, 67_002, 64_001),
    (0xFFFF, 130_000, 100_000),
];

#[test]
fn conversion_hand_computed_vectors() {
    for (s, t, h) in HAND_VECTORS {
        assert_eq!(convert_temperature(s).as_millicelsius(), t, "S_T {s:#06x}");
        assert_eq!(convert_humidity(s).as_millipercent(), h, "S_RH {s:#06x}");
    }
}

#[test]
fn single_shot_bytes() {
    let mut data = word(0x6666);
    data.extend(word(0x8000));
    let mut bad = data.clone();
    bad[5] ^= 1;
    let ex = [
        T::write(ADDR, vec![0x24, 0x00]),
        T::read(ADDR, data.clone()),
        T::write(ADDR, vec![0x2C, 0x0D]),
        T::read(ADDR, data.clone()),
        T::write(ADDR, vec![0x24, 0x16]),
        T::read(ADDR, vec![0; 6]).with_error(NACK),
        T::read(ADDR, bad),
        T::write(ADDR, vec![0x24, 0x0B]).with_error(ErrorKind::Bus),
    ];
    let mut m = Mock::new(&ex);
    let mut delay = CheckedDelay::new(&[D::blocking_delay_us(15_500)]);
    let mut s = Sht3x::new(m.clone(), ADDR);
    let r = s.measure(Repeatability::High, &mut delay).unwrap();
    // 0x6666 -> 25.000 °C, 0x8000 -> 50.001 %RH (HAND_VECTORS).
    assert_eq!(r.temperature.as_millicelsius(), 25_000);
    assert_eq!(r.humidity.as_millipercent(), 50_001);
    let r = block_on(s.measure_stretching_async(Repeatability::Medium)).unwrap();
    // 26214 / 65535 = 0.4 exactly: -45 + 175 * 0.4 = 25 °C
    assert_eq!(r.temperature.as_millicelsius(), 25_000);
    s.start_single_shot(Repeatability::Low).unwrap();
    assert_eq!(s.read_measurement(), Err(Error::NotReady));
    assert_eq!(s.read_measurement(), Err(Error::Crc));
    assert_eq!(
        s.start_single_shot(Repeatability::Medium),
        Err(Error::Bus(ErrorKind::Bus))
    );
    delay.done();
    m.done();
}

#[test]
fn periodic_heater_status_bytes() {
    let mut data = word(0x1000);
    data.extend(word(0x2000));
    let ex = [
        T::write(ADDR, vec![0x27, 0x21]),
        T::write(ADDR, vec![0xE0, 0x00]),
        T::read(ADDR, data),
        T::write(ADDR, vec![0x30, 0x93]),
        T::write(ADDR, vec![0x2B, 0x32]),
        T::write(ADDR, vec![0x30, 0x6D]),
        T::write(ADDR, vec![0x30, 0x66]),
        T::write_read(ADDR, vec![0xF3, 0x2D], word(0xA012)),
        T::write_read(ADDR, vec![0xF3, 0x2D], vec![0xA0, 0x12, 0x00]),
        T::write(ADDR, vec![0x30, 0x41]),
        T::write(ADDR, vec![0x30, 0xA2]),
        T::write(ADDR, vec![0x20, 0x2F]),
    ];
    let mut m = Mock::new(&ex);
    let mut s = Sht3x::new(m.clone(), ADDR);
    s.start_periodic(Rate::Mps10, Repeatability::Medium)
        .unwrap();
    let r = s.fetch().unwrap();
    // 0x1000 -> -34.062 °C, 0x2000 -> 12.500 %RH (HAND_VECTORS).
    assert_eq!(r.temperature.as_millicelsius(), -34_062);
    assert_eq!(r.humidity.as_millipercent(), 12_500);
    s.stop_periodic().unwrap();
    s.start_art().unwrap();
    s.set_heater(true).unwrap();
    block_on(s.set_heater_async(false)).unwrap();
    let st = s.status().unwrap();
    assert!(st.alert_pending() && st.heater_on() && st.reset_detected() && st.command_failed());
    assert!(!st.humidity_alert() && !st.temperature_alert() && !st.write_crc_failed());
    assert_eq!(s.status(), Err(Error::Crc));
    s.clear_status().unwrap();
    s.soft_reset().unwrap();
    s.start_periodic(Rate::Mps0_5, Repeatability::Low).unwrap();
    m.done();
}

/// Alert limit words worked out by hand from the application note's format ("Alert Mode
/// of SHT3x-DIS", §2.1: humidity's 7 MSBs in bits 15:9, temperature's 9 MSBs in bits
/// 8:0) for its default limits (its table of defaults after reset: high set 60 °C
/// 80 %RH, high clear 58 °C 79 %RH, low clear -9 °C 22 %RH, low set -10 °C 20 %RH). For
/// example high set: S_RH = 0.8 * 65535 = 52428 = 0xCCCC -> 0b1100110; S_T = 105 / 175 *
/// 65535 = 39321 = 0x9999 -> 0b100110011; together 0xCD33. Low clear: S_RH = 14418 ->
/// 28 = 0b0011100, S_T = 13482 -> 105 = 0b001101001: 0x3869. High clear: S_RH = 51773
/// -> 101, S_T = 38572 -> 301: 0xCB2D. Low set: S_RH = 13107 -> 25, S_T = 13107 -> 102:
/// 0x3266. (These are the exact words the §2.1 rule gives; the chip's own stored
/// defaults were not checked against a copy of the note's hex column.)
const DEFAULT_LIMITS: [(i32, u32, u16); 4] = [
    (60_000, 80_000, 0xCD33),
    (58_000, 79_000, 0xCB2D),
    (-9_000, 22_000, 0x3869),
    (-10_000, 20_000, 0x3266),
];

#[test]
fn alert_limit_encoding() {
    for (t, h, w) in DEFAULT_LIMITS {
        assert_eq!(encode_limit(Temperature(t), Humidity(h)), w, "{t} {h}");
    }
    // Decoding gives back the low edge of the step: 0x133 << 7 = 39296 -> 59.933 °C,
    // 0x66 << 9 = 52224 -> 79.689 %RH (§4.13 formulas).
    let d = decode_limit(0xCD33);
    assert_eq!(d.temperature.as_millicelsius(), 59_933);
    assert_eq!(d.humidity.as_millipercent(), 79_689);
    // Extremes: 0 %RH / -45 °C is all zeros, 100 %RH / 130 °C all ones; out of range clamps.
    assert_eq!(encode_limit(Temperature(-45_000), Humidity(0)), 0x0000);
    assert_eq!(
        encode_limit(Temperature(130_000), Humidity(100_000)),
        0xFFFF
    );
    assert_eq!(
        encode_limit(Temperature(-60_000), Humidity(120_000)),
        0xFE00
    );
}

#[test]
fn alert_limit_bytes() {
    // Application note table 2: read high set 0xE11F, high clear 0xE114, low clear 0xE109,
    // low set 0xE102; write high set 0x611D, high clear 0x6116, low clear 0x610B, low set
    // 0x6100. A write sends the command, the limit word and its CRC.
    let mut hs = vec![0x61, 0x1D];
    hs.extend(word(0xCD33));
    let mut hc = vec![0x61, 0x16];
    hc.extend(word(0xCB2D));
    let mut lc = vec![0x61, 0x0B];
    lc.extend(word(0x3869));
    let mut ls = vec![0x61, 0x00];
    ls.extend(word(0x3266));
    let ex = [
        T::write(ADDR, hs),
        T::write(ADDR, hc),
        T::write(ADDR, lc),
        T::write(ADDR, ls),
        T::write_read(ADDR, vec![0xE1, 0x1F], word(0xCD33)),
        T::write_read(ADDR, vec![0xE1, 0x14], word(0xCB2D)),
        T::write_read(ADDR, vec![0xE1, 0x09], word(0x3869)),
        T::write_read(ADDR, vec![0xE1, 0x02], vec![0x32, 0x66, 0x00]),
        T::write(ADDR, vec![0x61, 0x00, 0x32, 0x66, word(0x3266)[2]]).with_error(ErrorKind::Bus),
    ];
    let mut m = Mock::new(&ex);
    let mut s = Sht3x::new(m.clone(), ADDR);
    let limits = [
        AlertLimit::HighSet,
        AlertLimit::HighClear,
        AlertLimit::LowClear,
        AlertLimit::LowSet,
    ];
    for (i, (l, (t, h, _))) in limits.iter().zip(DEFAULT_LIMITS).enumerate() {
        if i % 2 == 0 {
            s.set_alert_limit(*l, Temperature(t), Humidity(h)).unwrap();
        } else {
            block_on(s.set_alert_limit_async(*l, Temperature(t), Humidity(h))).unwrap();
        }
    }
    assert_eq!(s.alert_limit_raw(AlertLimit::HighSet), Ok(0xCD33));
    assert_eq!(
        block_on(s.alert_limit_raw_async(AlertLimit::HighClear)),
        Ok(0xCB2D)
    );
    let lc = s.alert_limit(AlertLimit::LowClear).unwrap();
    // 0x69 << 7 = 13440 -> -45 + 175 * 13440 / 65535 = -9.1108 °C; 0x1C << 9 = 14336 -> 21.875 %RH
    assert_eq!(lc.temperature.as_millicelsius(), -9_111);
    assert_eq!(lc.humidity.as_millipercent(), 21_875);
    assert_eq!(s.alert_limit(AlertLimit::LowSet), Err(Error::Crc));
    assert_eq!(
        s.set_alert_limit(AlertLimit::LowSet, Temperature(-10_000), Humidity(20_000)),
        Err(Error::Bus(ErrorKind::Bus))
    );
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use embedded_hal_mock::eh1::delay::NoopDelay;
    use udrv_drivers::sht3x::model::Sht3xModel;
    use udrv_drivers::sim::SimI2cBus;

    #[test]
    fn single_shot_across_range() {
        let (bus, chip) = common::sim_bus(ADDR, Sht3xModel::new());
        let mut s = Sht3x::new(bus.clone(), ADDR);
        // Specified range -40..125 °C, 0..100 %RH; one raw step is 2.67 m°C / 1.5 m%.
        for (i, t) in (-40_000..=125_000).step_by(3_333).enumerate() {
            let h = (i as u32 * 2_041) % 100_001;
            chip.lock().set_temperature(Temperature(t));
            chip.lock().set_humidity(Humidity(h));
            let r = match i % 3 {
                0 => s.measure(Repeatability::High, &mut NoopDelay).unwrap(),
                1 => s.measure_stretching(Repeatability::Low).unwrap(),
                _ => block_on(s.measure_async(Repeatability::Medium, &mut NoopDelay)).unwrap(),
            };
            assert!(
                (r.temperature.as_millicelsius() - t).abs() <= 2,
                "{t}: {r:?}"
            );
            assert!(
                (r.humidity.as_millipercent() as i64 - h as i64).abs() <= 1,
                "{h}: {r:?}"
            );
        }
        // Data is read once: a second read is NACKed.
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
    }

    #[test]
    fn not_ready_until_conversion_done() {
        let (bus, chip) = common::sim_bus(ADDR, Sht3xModel::new());
        chip.lock().set_conversion_nacks(2);
        let mut s = Sht3x::new(bus.clone(), ADDR);
        s.start_single_shot(Repeatability::High).unwrap();
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
        let t = s.read_measurement().unwrap().temperature.as_millicelsius();
        assert!((t - 20_000).abs() <= 2, "one raw step is 2.67 m°C: {t}");
    }

    #[test]
    fn periodic_fetch_heater_status() {
        let (bus, chip) = common::sim_bus(ADDR, Sht3xModel::new());
        let mut s = Sht3x::new(bus.clone(), ADDR);
        let st = s.status().unwrap();
        assert!(st.reset_detected() && st.alert_pending() && !st.heater_on());
        s.clear_status().unwrap();
        assert!(!s.status().unwrap().reset_detected());
        s.set_heater(true).unwrap();
        assert!(s.status().unwrap().heater_on());
        assert_eq!(chip.lock().status() & 0x2000, 0x2000);
        s.start_periodic(Rate::Mps0_5, Repeatability::High).unwrap();
        assert!(chip.lock().is_periodic());
        let h = s.fetch().unwrap().humidity.as_millipercent();
        assert!(h.abs_diff(50_000) <= 1, "one raw step is 1.5 m%: {h}");
        assert_eq!(s.fetch(), Err(Error::NotReady), "no new sample yet");
        chip.lock().set_temperature(Temperature(-10_000));
        let t = s.fetch().unwrap().temperature.as_millicelsius();
        assert!((t + 10_000).abs() <= 2, "{t}");
        // A single-shot command is refused in periodic mode (status bit 1).
        s.start_single_shot(Repeatability::High).unwrap();
        assert!(s.status().unwrap().command_failed());
        s.stop_periodic().unwrap();
        assert!(!chip.lock().is_periodic());
        s.soft_reset().unwrap();
        let st = s.status().unwrap();
        assert!(st.reset_detected() && !st.heater_on() && !st.command_failed());
    }

    #[test]
    fn alert_limits_against_model() {
        let bus = SimI2cBus::new();
        bus.attach(ADDR, Sht3xModel::new());
        let mut s = Sht3x::new(bus.clone(), ADDR);
        let limits = [
            AlertLimit::HighSet,
            AlertLimit::HighClear,
            AlertLimit::LowClear,
            AlertLimit::LowSet,
        ];
        // The model's power-on limits are the application note's defaults.
        for (l, (_, _, w)) in limits.iter().zip(DEFAULT_LIMITS) {
            assert_eq!(s.alert_limit_raw(*l), Ok(w), "{l:?}");
        }
        s.set_alert_limit(AlertLimit::HighSet, Temperature(30_000), Humidity(90_000))
            .unwrap();
        let hs = block_on(s.alert_limit_async(AlertLimit::HighSet)).unwrap();
        // One step is 128 raw T counts (0.342 °C) and 512 raw RH counts (0.781 %RH).
        assert!(
            (29_658..=30_000).contains(&hs.temperature.as_millicelsius()),
            "{hs:?}"
        );
        assert!(
            (89_219..=90_000).contains(&hs.humidity.as_millipercent()),
            "{hs:?}"
        );
        assert!(!s.status().unwrap().write_crc_failed());
        // A limit write with a wrong CRC is refused and flagged (datasheet table 18 bit 0).
        let mut bad = vec![0x61, 0x1D];
        bad.extend(word(0x1234));
        bad[4] ^= 0xFF;
        bus.clone().write(ADDR, &bad).unwrap();
        assert!(s.status().unwrap().write_crc_failed());
        assert_ne!(s.alert_limit_raw(AlertLimit::HighSet), Ok(0x1234));
    }

    #[test]
    fn alert_pin_across_thresholds() {
        let (bus, chip) = common::sim_bus(ADDR, Sht3xModel::new());
        let pin = chip.lock().alert_pin();
        let mut s = Sht3x::new(bus.clone(), ADDR);
        let set = |t: i32, h: u32| {
            chip.lock().set_temperature(Temperature(t));
            chip.lock().set_humidity(Humidity(h));
        };
        // Alert mode works in periodic mode only (application note §1).
        set(70_000, 50_000);
        s.measure_stretching(Repeatability::High).unwrap();
        assert!(pin.is_low(), "single shot: no alert");
        set(20_000, 50_000);
        s.start_periodic(Rate::Mps1, Repeatability::High).unwrap();
        s.clear_status().unwrap();
        assert!(pin.is_low());
        // Default limits: high set 60 °C, high clear 58 °C.
        set(60_000, 50_000);
        assert!(pin.is_high(), "60 °C reaches high set");
        let st = s.status().unwrap();
        assert!(st.alert_pending() && st.temperature_alert() && !st.humidity_alert());
        set(59_000, 50_000);
        assert!(pin.is_high(), "between clear and set: still alerting");
        set(57_000, 50_000);
        assert!(pin.is_low(), "below high clear");
        assert!(
            s.status().unwrap().temperature_alert(),
            "the flag stays until cleared"
        );
        s.clear_status().unwrap();
        assert!(!s.status().unwrap().temperature_alert());
        // Humidity: high set 80 %RH, high clear 79 %RH.
        set(20_000, 80_500);
        assert!(pin.is_high());
        assert!(s.status().unwrap().humidity_alert());
        set(20_000, 79_500);
        assert!(pin.is_high());
        set(20_000, 78_000);
        assert!(pin.is_low());
        // Low side: low set -10 °C (stored as -10.14 °C), low clear -9 °C (-9.11 °C).
        set(-11_000, 50_000);
        assert!(pin.is_high());
        set(-9_500, 50_000);
        assert!(pin.is_high());
        set(-8_000, 50_000);
        assert!(pin.is_low());
        // Low humidity: low set 20 %RH, low clear 22 %RH.
        set(20_000, 19_000);
        assert!(pin.is_high());
        set(20_000, 23_000);
        assert!(pin.is_low());
        // New limits through the driver take effect; stopping periodic mode drops ALERT.
        s.set_alert_limit(AlertLimit::HighSet, Temperature(30_000), Humidity(90_000))
            .unwrap();
        s.set_alert_limit(AlertLimit::HighClear, Temperature(28_000), Humidity(88_000))
            .unwrap();
        set(31_000, 50_000);
        assert!(pin.is_high());
        s.stop_periodic().unwrap();
        assert!(pin.is_low());
        // Rising edges: 60 °C, 80.5 %RH, -11 °C, 19 %RH, 31 °C.
        assert_eq!(pin.edges().0, 5);
    }
}
