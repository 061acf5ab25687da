//! BH1750: the instruction set declared again (datasheet p. 5), the lux conversion
//! against the datasheet's worked example (p. 10) and its MTreg scaling (p. 11),
//! byte-exact mock tests (blocking and async, waits, error paths), and the driver against
//! the model in every mode across the range.

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::bh1750::*;
use udrv_drivers::Illuminance;

const ADDR: u8 = 0x23;

#[test]
fn instruction_set() {
    // Datasheet p. 5, "Instruction Set Architecture", as binary opcodes.
    assert_eq!(commands::POWER_DOWN, 0b0000_0000);
    assert_eq!(commands::POWER_ON, 0b0000_0001);
    assert_eq!(commands::RESET, 0b0000_0111);
    assert_eq!(
        commands::CONTINUOUS,
        [0b0001_0000, 0b0001_0001, 0b0001_0011],
        "H, H2, L"
    );
    assert_eq!(
        commands::ONE_TIME,
        [0b0010_0000, 0b0010_0001, 0b0010_0011],
        "H, H2, L"
    );
    assert_eq!(commands::MTREG_HIGH, 0b0100_0000, "01000_MT[7,6,5]");
    assert_eq!(commands::MTREG_LOW, 0b0110_0000, "011_MT[4,3,2,1,0]");
    // Slave addresses (p. 10): ADDR low "0100011", ADDR high "1011100".
    assert_eq!((ADDRESS_LOW, ADDRESS_HIGH), (0b010_0011, 0b101_1100));
    // MTreg range and default (p. 11): 0001_1111 .. 1111_1110, default 0100_0101.
    assert_eq!(
        (MTREG_MIN, MTREG_DEFAULT, MTREG_MAX),
        (0b0001_1111, 0b0100_0101, 0b1111_1110)
    );
}

#[test]
fn lux_conversion() {
    // p. 10: high byte 1000_0011, low byte 1001_0000: (2^15 + 2^9 + 2^8 + 2^7 + 2^4) / 1.2
    // ≒ 28067 lx (H-resolution mode, default MTreg).
    assert_eq!(
        illuminance(0b1000_0011_1001_0000, Resolution::High, 69),
        Illuminance(28_066_667)
    );
    // H-resolution mode 2 counts half-lux: the same count is half the light.
    assert_eq!(
        illuminance(0x8390, Resolution::High2, 69),
        Illuminance(14_033_333)
    );
    // p. 11: MTreg 254 (3.68 × sensitivity) in mode 2 gives the finest step, 0.11 lx:
    // 0.5 / 1.2 × 69 / 254 = 0.11319 lx.
    assert_eq!(illuminance(1, Resolution::High2, 254), Illuminance(113));
    // MTreg 31 (0.45 ×) extends the range: 65535 / 1.2 × 69 / 31 = 121 556.855 lx.
    assert_eq!(
        illuminance(0xFFFF, Resolution::High, 31),
        Illuminance(121_556_855)
    );
    assert_eq!(illuminance(0, Resolution::Low, 69), Illuminance(0));
    for mt in [31u8, 69, 100, 200, 254] {
        for count in (0..=0xFFFFu32).step_by(1021) {
            for (res, div) in [
                (Resolution::High, 1.0),
                (Resolution::High2, 2.0),
                (Resolution::Low, 1.0),
            ] {
                let lux = count as f64 / 1.2 * 69.0 / mt as f64 / div;
                let got = illuminance(count as u16, res, mt).as_millilux() as f64 / 1000.0;
                assert!(
                    (got - lux).abs() <= 0.000_500_1,
                    "{count} {res:?} {mt}: {got}"
                );
            }
        }
    }
}

#[test]
fn measurement_times() {
    // p. 2: H-resolution max 180 ms, L-resolution max 24 ms at the default MTreg; the
    // time scales with MTreg / 69 (p. 11), rounded up here.
    assert_eq!(Resolution::High.max_time_us(69), 180_000);
    assert_eq!(Resolution::High2.max_time_us(69), 180_000);
    assert_eq!(Resolution::Low.max_time_us(69), 24_000);
    // 180 ms × 254 / 69 = 662.6087 ms; 24 ms × 31 / 69 = 10.7826 ms.
    assert_eq!(Resolution::High.max_time_us(254), 662_609);
    assert_eq!(Resolution::Low.max_time_us(31), 10_783);
}

#[test]
fn mock_bytes() {
    let ex = [
        T::write(ADDR, vec![0x01]),
        T::write(ADDR, vec![0x07]),
        // MTreg 138 = 1000_1010: 01000_100, then 011_01010.
        T::write(ADDR, vec![0b0100_0100]),
        T::write(ADDR, vec![0b0110_1010]),
        T::write(ADDR, vec![0x11]),
        T::read(ADDR, vec![0x83, 0x90]),
        T::read(ADDR, vec![0x00, 0x01]),
        T::write(ADDR, vec![0x13]),
        T::read(ADDR, vec![0x01, 0x00]),
        T::write(ADDR, vec![0x00]),
        T::write(ADDR, vec![0x20]),
        T::read(ADDR, vec![0, 0]).with_error(ErrorKind::Bus),
    ];
    let mut m = Mock::new(&ex);
    let mut s = Bh1750::new(m.clone(), ADDR);
    s.power_on().unwrap();
    s.reset().unwrap();
    assert_eq!(
        s.set_measurement_time(30),
        Err(Error::InvalidMeasurementTime(30))
    );
    assert_eq!(
        s.set_measurement_time(255),
        Err(Error::InvalidMeasurementTime(255))
    );
    assert_eq!(s.measurement_time(), 69, "nothing sent, nothing changed");
    s.set_measurement_time(138).unwrap();
    assert_eq!(s.measurement_time(), 138);
    s.start_continuous(Resolution::High2).unwrap();
    // 33680 / 1.2 × 69 / 138 / 2 = 7016.667 lx
    assert_eq!(s.read().unwrap(), Illuminance(7_016_667));
    assert_eq!(s.read_raw().unwrap(), 1);
    s.start_continuous(Resolution::Low).unwrap();
    // 256 / 1.2 × 69 / 138 = 106.667 lx
    assert_eq!(s.read().unwrap(), Illuminance(106_667));
    s.power_down().unwrap();
    s.start_one_time(Resolution::High).unwrap();
    assert_eq!(s.read(), Err(Error::Bus(ErrorKind::Bus)));
    m.done();
}

#[test]
fn one_time_waits_the_maximum_time() {
    let ex = [
        T::write(ADDR, vec![0b0100_0111]),
        T::write(ADDR, vec![0b0111_1110]),
        T::write(ADDR, vec![0x21]),
        T::read(ADDR, vec![0x12, 0x34]),
        T::write(ADDR, vec![0x23]),
        T::read(ADDR, vec![0x00, 0x0C]),
    ];
    let mut m = Mock::new(&ex);
    // MTreg 254 in H2: 662.609 ms; then L: 24 ms × 254 / 69 = 88.348 ms.
    let mut delay =
        CheckedDelay::new(&[D::blocking_delay_us(662_609), D::blocking_delay_us(88_348)]);
    let mut s = Bh1750::new(m.clone(), ADDR);
    s.set_measurement_time(254).unwrap();
    // 0x1234 = 4660: 4660 / 1.2 × 69 / 254 / 2 = 527.461 lx
    assert_eq!(
        s.measure_one_time(Resolution::High2, &mut delay).unwrap(),
        Illuminance(527_461)
    );
    // 12 / 1.2 × 69 / 254 = 2.717 lx
    assert_eq!(
        s.measure_one_time(Resolution::Low, &mut delay).unwrap(),
        Illuminance(2_717)
    );
    assert_eq!(s.resolution(), Resolution::Low);
    delay.done();
    m.done();
}

#[test]
fn async_mock_bytes() {
    let ex = [
        T::write(0x5C, vec![0x01]),
        T::write(0x5C, vec![0b0100_0000]),
        T::write(0x5C, vec![0b0111_1111]),
        T::write(0x5C, vec![0x10]),
        T::read(0x5C, vec![0x00, 0x1F]),
        T::write(0x5C, vec![0x20]),
        T::read(0x5C, vec![0x00, 0x00]),
        T::write(0x5C, vec![0x00]),
        T::write(0x5C, vec![0x07]).with_error(ErrorKind::Other),
    ];
    let mut m = Mock::new(&ex);
    let mut delay = CheckedDelay::new(&[D::async_delay_us(80_870)]);
    let mut s = Bh1750::new(m.clone(), ADDRESS_HIGH);
    block_on(async {
        s.power_on_async().await.unwrap();
        s.set_measurement_time_async(31).await.unwrap();
        s.start_continuous_async(Resolution::High).await.unwrap();
        // 31 / 1.2 × 69 / 31 = 57.5 lx
        assert_eq!(s.read_async().await.unwrap(), Illuminance(57_500));
        // 180 ms × 31 / 69 = 80.87 ms
        assert_eq!(
            s.measure_one_time_async(Resolution::High, &mut delay)
                .await
                .unwrap(),
            Illuminance(0)
        );
        s.power_down_async().await.unwrap();
        assert_eq!(s.reset_async().await, Err(Error::Bus(ErrorKind::Other)));
        assert_eq!(
            s.set_measurement_time_async(0).await,
            Err(Error::InvalidMeasurementTime(0))
        );
    });
    delay.done();
    m.done();
}

#[test]
fn error_message_says_what_to_do() {
    let s = Error::<ErrorKind>::InvalidMeasurementTime(7).to_string();
    assert!(s.contains("31..=254") && s.contains('7'), "{s}");
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use embedded_hal_mock::eh1::delay::NoopDelay;
    use udrv_drivers::bh1750::model::Bh1750Model;
    use udrv_drivers::sim::{SimHandle, SimI2cBus};

    fn setup() -> (SimHandle<Bh1750Model>, Bh1750<SimI2cBus>) {
        let (bus, chip) = common::sim_bus(ADDR, Bh1750Model::new());
        (chip, Bh1750::new(bus, ADDR))
    }

    #[test]
    fn every_mode_and_mtreg_across_the_range() {
        let (chip, mut s) = setup();
        for mt in [31u8, 69, 138, 254] {
            s.set_measurement_time(mt).unwrap();
            assert_eq!(chip.lock().mtreg(), mt);
            for res in [Resolution::High, Resolution::High2, Resolution::Low] {
                // One count is 1/1.2 × 69/MTreg lx (half that in mode 2).
                let step = 1000.0 / 1.2 * 69.0
                    / mt as f64
                    / if res == Resolution::High2 { 2.0 } else { 1.0 };
                let full = (65_535.0 * step) as u32;
                for (i, mlx) in (0..full).step_by((full / 37) as usize).enumerate() {
                    chip.lock().set_illuminance(Illuminance(mlx));
                    let got = match i % 3 {
                        0 => s.measure_one_time(res, &mut NoopDelay).unwrap(),
                        1 => block_on(s.measure_one_time_async(res, &mut NoopDelay)).unwrap(),
                        _ => {
                            s.start_continuous(res).unwrap();
                            s.read().unwrap()
                        }
                    };
                    let err = (got.as_millilux() as f64 - mlx as f64).abs();
                    assert!(err <= step / 2.0 + 1.0, "{mt} {res:?} {mlx}: {got:?}");
                }
            }
        }
        // Beyond the range the count saturates at 65535.
        s.set_measurement_time(69).unwrap();
        chip.lock().set_illuminance(Illuminance(80_000_000));
        s.measure_one_time(Resolution::High, &mut NoopDelay)
            .unwrap();
        assert_eq!(chip.lock().data(), 0xFFFF);
        assert_eq!(s.read_raw().unwrap(), 0xFFFF);
    }

    #[test]
    fn power_states_reset_and_continuous_updates() {
        let (chip, mut s) = setup();
        assert!(chip.lock().is_powered_down(), "power-up state");
        assert_eq!(
            s.read_raw().unwrap(),
            0,
            "data register 0 before a measurement"
        );
        chip.lock().set_illuminance(Illuminance(500_000));
        s.measure_one_time(Resolution::High, &mut NoopDelay)
            .unwrap();
        assert!(chip.lock().is_powered_down(), "one-time powers down after");
        assert_eq!(s.read().unwrap(), Illuminance(500_000));
        // Reset is ignored while powered down, works when powered on.
        s.reset().unwrap();
        assert_eq!(s.read().unwrap(), Illuminance(500_000));
        s.power_on().unwrap();
        assert!(!chip.lock().is_powered_down());
        s.reset().unwrap();
        assert_eq!(s.read_raw().unwrap(), 0);
        // Continuous: each read sees the latest light.
        s.start_continuous(Resolution::High2).unwrap();
        assert!(chip.lock().is_continuous());
        for lux in [10_000, 1_250_000, 20_000] {
            chip.lock().set_illuminance(Illuminance(lux));
            assert_eq!(s.read().unwrap(), Illuminance(lux));
        }
        s.power_down().unwrap();
        chip.lock().set_illuminance(Illuminance(3_000_000));
        assert_eq!(
            s.read().unwrap(),
            Illuminance(20_000),
            "powered down: the last result stays"
        );
        assert_eq!(chip.lock().measurements(), 2);
    }

    #[test]
    fn a_read_before_the_conversion_ends_gives_the_previous_result() {
        let (chip, mut s) = setup();
        chip.lock().set_illuminance(Illuminance(1_000_000));
        s.measure_one_time(Resolution::High, &mut NoopDelay)
            .unwrap();
        chip.lock().set_conversion_reads(2);
        chip.lock().set_illuminance(Illuminance(2_000_000));
        s.start_one_time(Resolution::High).unwrap();
        assert_eq!(s.read().unwrap(), Illuminance(1_000_000));
        assert_eq!(s.read().unwrap(), Illuminance(1_000_000));
        assert_eq!(s.read().unwrap(), Illuminance(2_000_000));
    }

    #[test]
    fn one_opcode_per_write() {
        let (chip, s) = setup();
        let mut raw = s.release();
        // Two opcodes in one write: only the first is taken (p. 10: a STOP after each).
        raw.write(ADDR, &[0x01, 0x10]).unwrap();
        assert!(!chip.lock().is_powered_down() && !chip.lock().is_continuous());
        // The MTreg halves are independent commands.
        raw.write(ADDR, &[0b0100_0111]).unwrap();
        assert_eq!(chip.lock().mtreg(), 0b1110_0101);
        raw.write(ADDR, &[0b0110_0000]).unwrap();
        assert_eq!(chip.lock().mtreg(), 0b1110_0000);
    }
}
