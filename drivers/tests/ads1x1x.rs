//! ADS1115 / ADS1015: datasheet full-scale and LSB table, byte-exact mock tests with the
//! type-state transitions and error paths, and the driver against the model.

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::ads1x1x::*;
use udrv_drivers::Voltage;

// Register map again (ADS1115 datasheet §9.6).
const CONVERSION: u8 = 0x00;
const CONFIG: u8 = 0x01;
const LO: u8 = 0x02;
const HI: u8 = 0x03;
const ADDR: u8 = 0x48;

const ALL_FS: [FullScale; 6] = [
    FullScale::V6_144,
    FullScale::V4_096,
    FullScale::V2_048,
    FullScale::V1_024,
    FullScale::V0_512,
    FullScale::V0_256,
];

#[test]
fn table_3_full_scale_and_lsb() {
    // ADS1115 datasheet table 3: FSR ±6.144/4.096/2.048/1.024/0.512/0.256 V,
    // LSB 187.5/125/62.5/31.25/15.625/7.8125 µV (ADS1015: 3/2/1/0.5/0.25/0.125 mV).
    let fsr_uv = [6_144_000, 4_096_000, 2_048_000, 1_024_000, 512_000, 256_000];
    let lsb_pv_1115: [i64; 6] = [
        187_500_000,
        125_000_000,
        62_500_000,
        31_250_000,
        15_625_000,
        7_812_500,
    ];
    let lsb_uv_1015 = [3_000, 2_000, 1_000, 500, 250, 125];
    for (i, fs) in ALL_FS.into_iter().enumerate() {
        assert_eq!(fs.microvolts(), fsr_uv[i]);
        // Table 4: 0x8000 is -FS, 0x7FFF is +FS - 1 LSB, 0x0001 is one LSB.
        assert_eq!(to_voltage(i16::MIN, Variant::Ads1115, fs).0, -fsr_uv[i]);
        let ten_k = to_voltage(10_000, Variant::Ads1115, fs).0 as i64;
        assert_eq!(ten_k, lsb_pv_1115[i] * 10_000 / 1_000_000);
        assert_eq!(to_voltage(1 << 4, Variant::Ads1015, fs).0, lsb_uv_1015[i]);
        assert_eq!(
            to_voltage(0x7FF0, Variant::Ads1015, fs).0,
            fsr_uv[i] - lsb_uv_1015[i]
        );
        // the ADS1015 ignores the 4 low bits of its left-justified result
        assert_eq!(
            to_voltage(0x7FFF, Variant::Ads1015, fs),
            to_voltage(0x7FF0, Variant::Ads1015, fs)
        );
    }
    assert_eq!(DataRate::R4.sps(Variant::Ads1115), 128);
    assert_eq!(DataRate::R7.sps(Variant::Ads1115), 860);
    assert_eq!(DataRate::R4.sps(Variant::Ads1015), 1600);
    assert_eq!(
        from_voltage(Voltage(1_000_000), Variant::Ads1115, FullScale::V2_048),
        16_000
    );
    assert_eq!(
        from_voltage(Voltage(9_000_000), Variant::Ads1115, FullScale::V2_048),
        32_767
    );
}

#[test]
fn one_shot_bytes() {
    let ex = [
        // PGA ±4.096 V: 0x8583 without OS, PGA 001 -> 0x0383
        T::write(ADDR, vec![CONFIG, 0x03, 0x83]),
        // MUX 100 (AIN0-GND) + OS: 0xC383
        T::write(ADDR, vec![CONFIG, 0xC3, 0x83]),
        T::write_read(ADDR, vec![CONFIG], vec![0x43, 0x83]),
        T::write_read(ADDR, vec![CONFIG], vec![0xC3, 0x83]),
        T::write_read(ADDR, vec![CONVERSION], vec![0x7F, 0xFF]),
        // data rate 860 SPS (DR 111)
        T::write(ADDR, vec![CONFIG, 0x43, 0xE3]),
        // comparator: window, active high, latching, queue 4
        T::write(ADDR, vec![CONFIG, 0x43, 0xFE]),
        T::write(ADDR, vec![LO, 0xF0, 0x60]),
        T::write(ADDR, vec![HI, 0x0F, 0xA0]),
        T::write(ADDR, vec![LO, 0x00, 0x00]),
        T::write(ADDR, vec![HI, 0x80, 0x00]),
        T::write(ADDR, vec![CONFIG, 0x43, 0xFC]),
        T::write(ADDR, vec![CONFIG, 0x43, 0xFF]),
    ];
    let mut m = Mock::new(&ex);
    // 128 SPS: 1.1 / 128 s = 8593 µs + 1
    let mut delay = CheckedDelay::new(&[D::blocking_delay_us(8_594), D::blocking_delay_us(100)]);
    let mut adc = Ads1x1x::new(m.clone(), ADDR, Variant::Ads1115);
    adc.set_full_scale(FullScale::V4_096).unwrap();
    let v = adc.measure(Channel::SingleA0, &mut delay).unwrap();
    assert_eq!(v.0, 4_096_000 - 125); // +FS - 1 LSB
    adc.set_data_rate(DataRate::R7).unwrap();
    adc.set_comparator(Comparator {
        mode: ComparatorMode::Window,
        active_high: true,
        latching: true,
        queue: ComparatorQueue::Four,
    })
    .unwrap();
    adc.set_thresholds_raw(-4000, 4000).unwrap();
    block_on(adc.use_alert_as_ready_async()).unwrap();
    adc.disable_comparator().unwrap();
    delay.done();
    m.done();
}

#[test]
fn continuous_type_state_and_errors() {
    let ex = [
        T::write(ADDR, vec![CONFIG, 0x04, 0x83]).with_error(ErrorKind::Other),
        T::write(ADDR, vec![CONFIG, 0x04, 0x83]),
        T::write_read(ADDR, vec![CONVERSION], vec![0x80, 0x00]),
        T::write(ADDR, vec![CONFIG, 0x64, 0x83]),
        T::write_read(ADDR, vec![CONVERSION], vec![0x00, 0x00]).with_error(ErrorKind::Bus),
        T::write(ADDR, vec![CONFIG, 0x65, 0x83]),
        T::write(ADDR, vec![CONFIG, 0xE5, 0x83]).with_error(ErrorKind::ArbitrationLoss),
    ];
    let mut m = Mock::new(&ex);
    let adc = Ads1x1x::new(m.clone(), ADDR, Variant::Ads1015);
    // A failed mode change gives the one-shot driver back.
    let (e, adc) = adc.into_continuous().unwrap_err();
    assert_eq!(e, Error::Bus(ErrorKind::Other));
    let mut adc = block_on(adc.into_continuous_async()).unwrap();
    assert_eq!(adc.read().unwrap().0, -2_048_000);
    adc.set_channel(Channel::SingleA2).unwrap();
    assert_eq!(block_on(adc.read_async()), Err(Error::Bus(ErrorKind::Bus)));
    let mut adc = adc.into_one_shot().unwrap();
    assert_eq!(adc.config_register(), 0x6583);
    assert_eq!(
        adc.start(Channel::SingleA2),
        Err(Error::Bus(ErrorKind::ArbitrationLoss))
    );
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal_mock::eh1::delay::NoopDelay;
    use udrv_drivers::ads1x1x::model::Ads1x1xModel;
    use udrv_drivers::sim::SimI2cBus;

    #[test]
    fn every_range_and_channel_against_model() {
        for (variant, bits) in [(Variant::Ads1115, 16), (Variant::Ads1015, 12)] {
            let bus = SimI2cBus::new();
            let model = match variant {
                Variant::Ads1115 => Ads1x1xModel::ads1115(),
                Variant::Ads1015 => Ads1x1xModel::ads1015(),
            };
            let chip = bus.attach(ADDR, model);
            let mut adc = Ads1x1x::new(bus.clone(), ADDR, variant);
            let ins = [1_234_567, -300_000, 5_000_000, 2_500];
            for (i, v) in ins.iter().enumerate() {
                chip.lock().set_input(i, Voltage(*v));
            }
            let chans = [
                (Channel::DiffA0A1, ins[0] - ins[1]),
                (Channel::DiffA0A3, ins[0] - ins[3]),
                (Channel::DiffA1A3, ins[1] - ins[3]),
                (Channel::DiffA2A3, ins[2] - ins[3]),
                (Channel::SingleA0, ins[0]),
                (Channel::SingleA1, ins[1]),
                (Channel::SingleA2, ins[2]),
                (Channel::SingleA3, ins[3]),
            ];
            for fs in ALL_FS {
                block_on(adc.set_full_scale_async(fs)).unwrap();
                let fsr = fs.microvolts() as f64;
                let lsb = fsr / f64::from(1 << (bits - 1));
                for (ch, v) in chans {
                    let got = adc.measure(ch, &mut NoopDelay).unwrap().0 as f64;
                    let want = (v as f64).clamp(-fsr, fsr - lsb);
                    assert!(
                        got <= want + 0.5 && got > want - lsb - 0.5,
                        "{variant:?} {fs:?} {ch:?}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn sweep_single_ended_with_negative_inputs() {
        let (bus, chip) = common::sim_bus(0x49, Ads1x1xModel::ads1115());
        let mut adc = Ads1x1x::new(bus.clone(), 0x49, Variant::Ads1115);
        adc.set_full_scale(FullScale::V0_256).unwrap();
        for uv in (-260_000..=260_000).step_by(997) {
            chip.lock().set_input(1, Voltage(uv));
            let got = block_on(adc.measure_async(Channel::SingleA1, &mut NoopDelay))
                .unwrap()
                .0;
            let want = uv.clamp(-256_000, 256_000 - 8);
            assert!((got - want).abs() <= 8, "{uv}: {got}");
        }
    }

    #[test]
    fn continuous_mode_and_traditional_comparator() {
        let (bus, chip) = common::sim_bus(ADDR, Ads1x1xModel::ads1115());
        let alert = chip.lock().alert_pin();
        let mut adc = Ads1x1x::new(bus.clone(), ADDR, Variant::Ads1115);
        adc.start(Channel::SingleA0).unwrap();
        let mut adc = adc.into_continuous().unwrap();
        assert_eq!(chip.lock().registers().1 & 0x0100, 0, "MODE = continuous");
        adc.set_comparator(Comparator {
            queue: ComparatorQueue::Two,
            ..Default::default()
        })
        .unwrap();
        adc.set_thresholds(Voltage(1_000_000), Voltage(1_500_000))
            .unwrap();
        assert_eq!(chip.lock().registers().2, 16_000);
        assert_eq!(chip.lock().registers().3, 24_000);
        let set = |v| chip.lock().set_input(0, Voltage(v));
        set(1_600_000);
        assert!(
            alert.is_high(),
            "queue of two: one conversion is not enough"
        );
        assert!((adc.read().unwrap().0 - 1_600_000).abs() <= 63);
        assert!(alert.is_low(), "asserted (active low) after the second");
        set(1_200_000);
        assert!(alert.is_low(), "between thresholds: stays asserted");
        set(900_000);
        assert!(alert.is_high(), "below low threshold: released");
    }

    #[test]
    fn window_latching_and_ready_pin() {
        let (bus, chip) = common::sim_bus(ADDR, Ads1x1xModel::ads1015());
        let alert = chip.lock().alert_pin();
        let falls = alert.subscribe();
        let mut adc = Ads1x1x::new(bus.clone(), ADDR, Variant::Ads1015);
        adc.set_comparator(Comparator {
            mode: ComparatorMode::Window,
            active_high: true,
            latching: true,
            queue: ComparatorQueue::One,
        })
        .unwrap();
        adc.set_thresholds(Voltage(-500_000), Voltage(500_000))
            .unwrap();
        chip.lock().set_input(2, Voltage(-700_000));
        adc.start(Channel::SingleA2).unwrap();
        assert!(alert.is_high(), "window: below low asserts (active high)");
        chip.lock().set_input(2, Voltage(0));
        adc.start(Channel::SingleA2).unwrap();
        assert!(alert.is_high(), "latched");
        adc.read_raw().unwrap();
        assert!(
            alert.is_low(),
            "released by reading the conversion register"
        );
        // Conversion-ready: ALERT/RDY asserts at the end of a single shot.
        adc.set_comparator(Comparator::default()).unwrap();
        adc.use_alert_as_ready().unwrap();
        chip.lock().set_busy_reads(3);
        adc.start(Channel::SingleA0).unwrap();
        assert!(!adc.is_ready().unwrap());
        assert!(alert.is_low(), "active low: asserted after the conversion");
        assert!(falls.try_iter().count() >= 1);
    }
}
