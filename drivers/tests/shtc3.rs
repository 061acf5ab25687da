//! SHTC3: the command table declared again (datasheet tables 9 and 10), the CRC example
//! and the conversion formulas (§5.10, §5.11), the ID pattern (§5.9), byte-exact mock
//! tests (blocking and async, waits, NACK while measuring, CRC and ID errors), and the
//! driver against the model in every mode and order across the range.

mod common;
use common::{block_on, sensirion_word as word};
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::shtc3::*;
use udrv_drivers::{Humidity, Temperature};

const A: u8 = 0x70;
const NACK: ErrorKind = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);

fn data(first: u16, second: u16) -> Vec<u8> {
    let mut d = word(first);
    d.extend(word(second));
    d
}

#[test]
fn command_table() {
    // Table 10: sleep, wakeup, soft reset, read ID.
    assert_eq!(
        [
            commands::SLEEP,
            commands::WAKEUP,
            commands::SOFT_RESET,
            commands::READ_ID
        ],
        [0xB098, 0x3517, 0x805D, 0xEFC8]
    );
    // Table 9: [normal, low power][T first, RH first].
    assert_eq!(
        commands::MEASURE_STRETCH,
        [[0x7CA2, 0x5C24], [0x6458, 0x44DE]]
    );
    assert_eq!(
        commands::MEASURE_NO_STRETCH,
        [[0x7866, 0x58E0], [0x609C, 0x401A]]
    );
    assert_eq!(ADDRESS, 0x70);
    // Table 5: measurement duration max 12.1 ms (normal), 0.8 ms (low power); wake-up
    // and soft reset max 240 µs.
    assert_eq!(PowerMode::Normal.max_duration_us(), 12_100);
    assert_eq!(PowerMode::LowPower.max_duration_us(), 800);
    assert_eq!(WAKEUP_TIME_US, 240);
}

#[test]
fn crc_and_conversion() {
    // §5.10 table 16: CRC(0xBEEF) = 0x92; the SHT3x driver shares the same function.
    assert_eq!(crc8(&[0xBE, 0xEF]), 0x92);
    assert_eq!(
        crc8(&[0x12, 0x34]),
        udrv_drivers::sht3x::crc8(&[0x12, 0x34])
    );
    for w in [0x0000u16, 0x6666, 0x8000, 0xFFFF, 0x0887] {
        assert_eq!(crc8(&w.to_be_bytes()), word(w)[2], "{w:04x}");
    }
    // §5.11: T = -45 + 175 × S_T / 2^16, RH = 100 × S_RH / 2^16 (2^16, not 2^16 - 1 as
    // for the SHT3x: full scale is one step short of 130 °C / 100 %RH).
    assert_eq!(convert_temperature(0).as_millicelsius(), -45_000);
    assert_eq!(convert_temperature(0x8000).as_millicelsius(), 42_500);
    assert_eq!(convert_temperature(0xFFFF).as_millicelsius(), 129_997);
    assert_eq!(convert_humidity(0x8000).as_millipercent(), 50_000);
    assert_eq!(convert_humidity(0xFFFF).as_millipercent(), 99_998);
    common::check_sensirion_conversion(65536.0, convert_temperature, convert_humidity);
}

#[test]
fn id_pattern() {
    // §5.9: an SHTC3 reads xxxx_1xxx_xx00_0111 (bit 11 and bits 5..0); the SHTC1 has
    // bit 11 clear.
    assert_eq!((ID_MASK, ID_PATTERN), (0x083F, 0x0807));
    for id in [0x0807, 0x0887, 0xF7C7 | 0x0800] {
        assert!(is_shtc3_id(id), "{id:04x}");
    }
    for id in [0x0007, 0x0887 & !0x0800, 0x0808, 0x0817, 0xFFFF] {
        assert!(!is_shtc3_id(id), "{id:04x}");
    }
}

#[test]
fn mock_bytes() {
    let mut bad = data(0x6666, 0x8000);
    bad[5] ^= 1;
    let ex = [
        T::write(A, vec![0x35, 0x17]),
        T::write(A, vec![0xEF, 0xC8]),
        T::read(A, word(0x0887)),
        T::write(A, vec![0xEF, 0xC8]),
        T::read(A, word(0x0047)),
        T::write(A, vec![0x78, 0x66]),
        T::read(A, data(0x6666, 0x8000)),
        T::write(A, vec![0x40, 0x1A]),
        T::read(A, vec![0; 6]).with_error(NACK),
        T::read(A, data(0x8000, 0x6666)),
        T::write(A, vec![0x5C, 0x24]),
        T::read(A, bad.clone()),
        T::write(A, vec![0x64, 0x58]),
        T::read(A, data(0x0000, 0xFFFF)),
        T::write(A, vec![0x80, 0x5D]),
        T::write(A, vec![0xB0, 0x98]),
        T::write(A, vec![0x35, 0x17]).with_error(ErrorKind::Bus),
        T::read(A, vec![0; 6]).with_error(ErrorKind::ArbitrationLoss),
    ];
    let mut m = Mock::new(&ex);
    let mut delay = CheckedDelay::new(&[D::blocking_delay_us(12_100)]);
    let mut s = Shtc3::new(m.clone());
    s.wakeup().unwrap();
    assert_eq!(s.read_id().unwrap(), 0x0887);
    assert_eq!(s.read_id(), Err(Error::WrongId(0x0047)));
    // 0x6666 = 26214: -45 + 175 × 26214 / 65536 = 24.9994 °C; 0x8000: 50 %RH.
    let m1 = s.measure(PowerMode::Normal, &mut delay).unwrap();
    assert_eq!(m1.temperature, Temperature(24_999));
    assert_eq!(m1.humidity, Humidity(50_000));
    s.start_measurement(PowerMode::LowPower, Order::HumidityFirst)
        .unwrap();
    assert_eq!(s.read_measurement(), Err(Error::NotReady));
    // RH first: the first word (0x8000) is the humidity, the second the temperature.
    let m2 = s.read_measurement().unwrap();
    assert_eq!(m2.humidity, Humidity(50_000));
    assert_eq!(m2.temperature, Temperature(24_999));
    assert_eq!(
        s.measure_stretching(PowerMode::Normal, Order::HumidityFirst),
        Err(Error::Crc)
    );
    let m3 = s
        .measure_stretching(PowerMode::LowPower, Order::TemperatureFirst)
        .unwrap();
    assert_eq!(m3.temperature, Temperature(-45_000));
    assert_eq!(m3.humidity, Humidity(99_998));
    s.soft_reset().unwrap();
    s.sleep().unwrap();
    assert_eq!(s.wakeup(), Err(Error::Bus(ErrorKind::Bus)));
    assert_eq!(
        s.read_measurement(),
        Err(Error::Bus(ErrorKind::ArbitrationLoss)),
        "only a NACK means not ready"
    );
    delay.done();
    m.done();
}

#[test]
fn async_mock_bytes() {
    let ex = [
        T::write(A, vec![0x35, 0x17]),
        T::write(A, vec![0xEF, 0xC8]),
        T::read(A, vec![0x08, 0x87, 0x00]),
        T::write(A, vec![0x60, 0x9C]),
        T::read(A, data(0x4000, 0xC000)),
        T::write(A, vec![0x44, 0xDE]),
        T::read(A, data(0xC000, 0x4000)),
        T::write(A, vec![0x58, 0xE0]),
        T::read(A, data(0xC000, 0x4000)),
        T::write(A, vec![0xB0, 0x98]),
    ];
    let mut m = Mock::new(&ex);
    let mut delay = CheckedDelay::new(&[D::async_delay_us(800)]);
    let mut s = Shtc3::new(m.clone());
    block_on(async {
        s.wakeup_async().await.unwrap();
        assert_eq!(s.read_id_async().await, Err(Error::Crc));
        // 0x4000: -45 + 175 / 4 = -1.25 °C; 0xC000: 75 %RH.
        let a = s
            .measure_async(PowerMode::LowPower, &mut delay)
            .await
            .unwrap();
        assert_eq!(
            (a.temperature, a.humidity),
            (Temperature(-1_250), Humidity(75_000))
        );
        let b = s
            .measure_stretching_async(PowerMode::LowPower, Order::HumidityFirst)
            .await
            .unwrap();
        assert_eq!(a, b);
        s.start_measurement_async(PowerMode::Normal, Order::HumidityFirst)
            .await
            .unwrap();
        assert_eq!(s.order(), Order::HumidityFirst);
        assert_eq!(s.read_measurement_async().await.unwrap(), a);
        s.sleep_async().await.unwrap();
    });
    delay.done();
    m.done();
}

#[test]
fn error_messages_say_what_to_do() {
    let s = Error::<ErrorKind>::WrongId(0x0047).to_string();
    assert!(s.contains("0x0047") && s.contains("0x70"), "{s}");
    let s = Error::<ErrorKind>::NotReady.to_string();
    assert!(s.contains("wake"), "{s}");
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use embedded_hal_mock::eh1::delay::NoopDelay;
    use udrv_drivers::shtc3::model::Shtc3Model;
    use udrv_drivers::sim::{SimHandle, SimI2cBus};

    fn setup() -> (SimHandle<Shtc3Model>, Shtc3<SimI2cBus>) {
        let (bus, chip) = common::sim_bus(A, Shtc3Model::new());
        (chip, Shtc3::new(bus))
    }

    #[test]
    fn every_mode_and_order_across_the_range() {
        let (chip, mut s) = setup();
        assert_eq!(s.read_id().unwrap(), 0x0887);
        // Specified range -40..125 °C, 0..100 %RH; one raw step is 2.67 m°C / 1.53 m%.
        for (i, t) in (-40_000..=125_000).step_by(2_791).enumerate() {
            let h = (i as u32 * 1_709) % 100_000;
            chip.lock().set_temperature(Temperature(t));
            chip.lock().set_humidity(Humidity(h));
            let mode = [PowerMode::Normal, PowerMode::LowPower][i % 2];
            let order = [Order::TemperatureFirst, Order::HumidityFirst][i / 2 % 2];
            let r = match i % 5 {
                0 => s.measure(mode, &mut NoopDelay).unwrap(),
                1 => block_on(s.measure_async(mode, &mut NoopDelay)).unwrap(),
                2 => block_on(s.measure_stretching_async(mode, order)).unwrap(),
                3 => {
                    s.start_measurement(mode, order).unwrap();
                    s.read_measurement().unwrap()
                }
                _ => s.measure_stretching(mode, order).unwrap(),
            };
            assert!(
                (r.temperature.as_millicelsius() - t).abs() <= 2,
                "{t} {mode:?} {order:?}: {r:?}"
            );
            assert!(
                (r.humidity.as_millipercent() as i64 - h as i64).abs() <= 1,
                "{h} {mode:?} {order:?}: {r:?}"
            );
        }
        let (all, low) = chip.lock().measurements();
        assert!(all >= 59 && low == all / 2, "{all} {low}");
        // Data is read once: a second read is NACKed.
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
    }

    #[test]
    fn sleep_answers_only_wakeup() {
        let (chip, mut s) = setup();
        assert!(!chip.lock().is_asleep(), "idle after power-up");
        s.sleep().unwrap();
        assert!(chip.lock().is_asleep());
        // A measurement command is ignored; the read header is NACKed.
        s.start_measurement(PowerMode::Normal, Order::TemperatureFirst)
            .unwrap();
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
        assert_eq!(chip.lock().measurements(), (0, 0));
        assert!(matches!(s.read_id(), Err(Error::Bus(_))));
        s.wakeup().unwrap();
        assert!(!chip.lock().is_asleep());
        let t = s.measure(PowerMode::Normal, &mut NoopDelay).unwrap();
        assert!(
            (t.temperature.as_millicelsius() - 20_000).abs() <= 2,
            "{t:?}"
        );
    }

    #[test]
    fn not_ready_while_measuring_without_stretching() {
        let (chip, mut s) = setup();
        chip.lock().set_conversion_nacks(2);
        s.start_measurement(PowerMode::LowPower, Order::HumidityFirst)
            .unwrap();
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
        let m = s.read_measurement().unwrap();
        assert!(m.humidity.as_millipercent().abs_diff(50_000) <= 1, "{m:?}");
        // With clock stretching the sensor holds the bus instead: no NACK.
        s.measure_stretching(PowerMode::Normal, Order::TemperatureFirst)
            .unwrap();
        // A soft reset drops a measurement not yet read.
        s.start_measurement(PowerMode::Normal, Order::TemperatureFirst)
            .unwrap();
        s.soft_reset().unwrap();
        chip.lock().set_conversion_nacks(0);
        assert_eq!(s.read_measurement(), Err(Error::NotReady));
    }

    #[test]
    fn another_id_is_refused_and_probed_on_request() {
        use udrv_drivers::probe::{Chip, Prober};
        let (bus, chip) = common::sim_bus(A, Shtc3Model::new());
        let mut p = Prober::new(bus.clone());
        assert_eq!(p.identify(A).unwrap(), None, "identify sends no command");
        assert_eq!(p.identify_shtc3().unwrap(), Some(Chip::Shtc3));
        assert_eq!(
            block_on(p.identify_shtc3_async()).unwrap(),
            Some(Chip::Shtc3)
        );
        chip.lock().set_id(0x0007); // an SHTC1
        assert_eq!(p.identify_shtc3().unwrap(), None);
        let mut s = Shtc3::new(bus.clone());
        assert_eq!(s.read_id(), Err(Error::WrongId(0x0007)));
        // Raw: a read-ID command answers once, with its CRC.
        let mut raw = bus.clone();
        let mut d = [0; 3];
        raw.write(A, &[0xEF, 0xC8]).unwrap();
        raw.read(A, &mut d).unwrap();
        assert_eq!(d.to_vec(), word(0x0007));
        assert!(raw.read(A, &mut d).is_err());
        bus.detach(A);
        assert!(
            p.identify_shtc3().is_err(),
            "nothing answers: the bus error"
        );
    }
}
