//! INA219: the datasheet's configure/measure/calculate example (byte-exact and against
//! the model), register formats, error paths and sweeps against the model.

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::ina219::*;
use udrv_drivers::Current;

// Register map again (datasheet §8.6).
const CONFIG: u8 = 0x00;
const SHUNT: u8 = 0x01;
const BUS: u8 = 0x02;
const POWER: u8 = 0x03;
const CURRENT: u8 = 0x04;
const CAL: u8 = 0x05;
const ADDR: u8 = 0x40;

/// Datasheet SBOS448 §8.5.1 table 3 (rev F; table 7 in rev G) conditions: load 10 A,
/// VCM 12 V, R_SHUNT 2 mΩ, shunt FSR 40 mV, bus range 16 V.
fn example_config() -> Config {
    Config {
        bus_range: BusRange::V16,
        shunt_range: ShuntRange::Mv40,
        bus_adc: Adc::Bits12,
        shunt_adc: Adc::Bits12,
        mode: Mode::ShuntBusContinuous,
    }
}

#[test]
fn datasheet_example_bytes() {
    // Step 1 configuration 019Fh, step 4 calibration 5000h (20480), step 2 shunt 07D0h,
    // step 3 bus 5D98h, step 5 current 2710h, step 6 power 1766h.
    assert_eq!(Config::default().bits(), 0x399F, "power-on value");
    assert_eq!(example_config().bits(), 0x019F);
    // Current_LSB 1 mA, 2 mΩ: Cal = trunc(0.04096 / (0.001 × 0.002)) = 20480.
    assert_eq!(calibration_value(Current(1_000), 2_000), Some(20_480));
    let ex = [
        T::write(ADDR, vec![CONFIG, 0x01, 0x9F]),
        T::write(ADDR, vec![CAL, 0x50, 0x00]),
        T::write_read(ADDR, vec![SHUNT], vec![0x07, 0xD0]),
        T::write_read(ADDR, vec![BUS], vec![0x5D, 0x98]),
        T::write_read(ADDR, vec![CURRENT], vec![0x27, 0x10]),
        T::write_read(ADDR, vec![POWER], vec![0x17, 0x66]),
    ];
    let mut m = Mock::new(&ex);
    let mut ina = Ina219::new(m.clone(), ADDR);
    ina.set_config(example_config()).unwrap();
    ina.calibrate(Current(1_000), 2_000).unwrap();
    assert_eq!(ina.shunt_voltage().unwrap().0, 20_000, "20 mV");
    let bus = ina.bus_voltage().unwrap();
    assert_eq!(bus.voltage.0, 11_980_000, "11.98 V");
    assert!(!bus.conversion_ready && !bus.overflow);
    assert_eq!(ina.current().unwrap().0, 10_000_000, "10.0 A");
    assert_eq!(
        block_on(ina.power_async()).unwrap().0,
        119_800_000,
        "119.8 W"
    );
    m.done();
}

#[test]
fn datasheet_example_from_the_shunt() {
    // §8.5.1 table 3 (rev F; table 7 in rev G), without calibrating: the shunt register
    // 07D0h is 2000 × 10 µV = 20 mV (§8.6.3.1: 10 µV LSB), over the example's 2 mΩ
    // R_SHUNT 10 A (the example's current register 2710h at 1 mA per LSB); the bus
    // register 5D98h is 11.98 V (§8.6.3.2: bits 15..3, 4 mV LSB); power = current × bus
    // voltage = 119.8 W (the example's power register 1766h at 20 mW per LSB).
    let ex = [
        T::write_read(ADDR, vec![SHUNT], vec![0x07, 0xD0]),
        T::write_read(ADDR, vec![BUS], vec![0x5D, 0x98]),
        T::write_read(ADDR, vec![SHUNT], vec![0x07, 0xD0]),
        T::write_read(ADDR, vec![BUS], vec![0x5D, 0x98]),
    ];
    let mut m = Mock::new(&ex);
    let mut ina = Ina219::new(m.clone(), ADDR);
    let r = ina.measure_with_shunt(2_000).unwrap();
    assert_eq!(r.shunt.0, 20_000);
    assert_eq!(r.bus.voltage.0, 11_980_000);
    assert_eq!(r.current.0, 10_000_000, "10 A");
    assert_eq!(r.power.0, 119_800_000, "119.8 W");
    assert_eq!(ina.current_lsb(), None, "nothing calibrated");
    let r = block_on(ina.measure_with_shunt_async(2_000)).unwrap();
    assert_eq!((r.current.0, r.power.0), (10_000_000, 119_800_000));
    m.done();
}

#[test]
fn current_and_power_from_the_shunt() {
    use udrv_drivers::{Power, Voltage};
    // §8.6.3.1 shunt voltage register format, PGA /8: 7D00h = +320 mV, 8300h = −320 mV;
    // over a 0.1 Ω shunt (100 000 µΩ): ±3.2 A.
    let plus = Voltage(i16::from_be_bytes([0x7D, 0x00]) as i32 * 10);
    let minus = Voltage(i16::from_be_bytes([0x83, 0x00]) as i32 * 10);
    assert_eq!(shunt_current(plus, 100_000), Some(Current(3_200_000)));
    assert_eq!(shunt_current(minus, 100_000), Some(Current(-3_200_000)));
    // One LSB (10 µV) over 0.1 Ω is 100 µA; over 3 Ω, 3.33 µA rounds to 3, and −5 µV
    // over 2 Ω (−2.5 µA) rounds half away from zero.
    assert_eq!(shunt_current(Voltage(10), 100_000), Some(Current(100)));
    assert_eq!(shunt_current(Voltage(10), 3_000_000), Some(Current(3)));
    assert_eq!(shunt_current(Voltage(-5), 2_000_000), Some(Current(-3)));
    // A 0 Ω shunt, or 320 mV over 0.1 mΩ (3200 A, past Current's ±2147 A).
    assert_eq!(shunt_current(plus, 0), None);
    assert_eq!(shunt_current(plus, 100), None);
    // Power: 11.98 V × 10 A; 5 V × −1.5 A; 32 V × 3.2 A; beyond ±2147 W: none.
    assert_eq!(
        power_from(Voltage(11_980_000), Current(10_000_000)),
        Some(Power(119_800_000))
    );
    assert_eq!(
        power_from(Voltage(5_000_000), Current(-1_500_000)),
        Some(Power(-7_500_000))
    );
    assert_eq!(
        power_from(Voltage(32_000_000), Current(3_200_000)),
        Some(Power(102_400_000))
    );
    assert_eq!(power_from(Voltage(26_000_000), Current(100_000_000)), None);
    // The driver: a 0 Ω shunt is refused before the bus; 1 mΩ with 320 mV and 26 V is
    // 320 A and 8320 W, out of range.
    let ex = [
        T::write_read(ADDR, vec![SHUNT], vec![0x7D, 0x00]),
        T::write_read(ADDR, vec![BUS], vec![0xCB, 0x20]),
    ];
    let mut m = Mock::new(&ex);
    let mut ina = Ina219::new(m.clone(), ADDR);
    assert_eq!(ina.measure_with_shunt(0), Err(Error::InvalidShunt));
    assert_eq!(ina.measure_with_shunt(1_000), Err(Error::OutOfRange));
    m.done();
}

#[test]
fn errors() {
    let ex = [
        T::write_read(ADDR, vec![BUS], vec![0x5D, 0x9B]),
        T::write_read(ADDR, vec![SHUNT], vec![0, 0]).with_error(ErrorKind::Bus),
        T::write(ADDR, vec![CONFIG, 0x80, 0x00]),
    ];
    let mut m = Mock::new(&[]);
    let mut ina = Ina219::new(m.clone(), ADDR);
    assert_eq!(ina.current(), Err(Error::NotCalibrated));
    assert_eq!(ina.measure(), Err(Error::NotCalibrated));
    assert_eq!(
        ina.calibrate(Current(1), 1_000),
        Err(Error::InvalidCalibration),
        "Cal would be 40 960 000"
    );
    assert_eq!(
        ina.calibrate(Current(0), 1_000),
        Err(Error::InvalidCalibration)
    );
    m.done();
    let mut m = Mock::new(&ex);
    let mut ina = Ina219::new(m.clone(), ADDR);
    let bus = ina.bus_voltage().unwrap();
    assert!(bus.conversion_ready && bus.overflow);
    assert_eq!(ina.shunt_voltage(), Err(Error::Bus(ErrorKind::Bus)));
    block_on(ina.reset_async()).unwrap();
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::ina219::model::Ina219Model;
    use udrv_drivers::sim::SimI2cBus;
    use udrv_drivers::Voltage;

    #[test]
    fn datasheet_example_against_model() {
        let (bus, chip) = common::sim_bus(ADDR, Ina219Model::new());
        let mut raw = bus.clone();
        chip.lock().set_current(Current(10_000_000), 2_000);
        chip.lock().set_bus_voltage(Voltage(11_980_000));
        let mut ina = Ina219::new(bus.clone(), ADDR);
        ina.set_config(example_config()).unwrap();
        ina.calibrate(Current(1_000), 2_000).unwrap();
        assert_eq!(chip.lock().registers(), (0x019F, 0x5000));
        // The register contents of table 3, read raw.
        for (reg, want) in [(SHUNT, 0x07D0u16), (CURRENT, 0x2710), (POWER, 0x1766)] {
            let mut b = [0; 2];
            raw.write_read(ADDR, &[reg], &mut b).unwrap();
            assert_eq!(u16::from_be_bytes(b), want, "register {reg}");
        }
        let (v, i, p) = ina.measure().unwrap();
        assert_eq!((v.0, i.0, p.0), (11_980_000, 10_000_000, 119_800_000));
    }

    #[test]
    fn shunt_register_format_and_saturation() {
        // Datasheet "Shunt Voltage Register format": PGA /8 +320 mV = 7D00h, -320 mV =
        // 8300h; PGA /1 +40 mV = 0FA0h, -40 mV = F060h; beyond the range it saturates.
        let (bus, chip) = common::sim_bus(ADDR, Ina219Model::new());
        let mut raw = bus.clone();
        let mut ina = Ina219::new(bus.clone(), ADDR);
        let read = |r: &mut SimI2cBus| {
            let mut b = [0; 2];
            r.write_read(ADDR, &[SHUNT], &mut b).unwrap();
            u16::from_be_bytes(b)
        };
        for (uv, want) in [(320_000, 0x7D00), (-320_000, 0x8300), (400_000, 0x7D00)] {
            chip.lock().set_shunt_voltage(Voltage(uv));
            assert_eq!(read(&mut raw), want, "{uv}");
        }
        ina.set_config(example_config()).unwrap();
        for (uv, want) in [(40_000, 0x0FA0), (-40_000, 0xF060), (-80_000, 0xF060)] {
            chip.lock().set_shunt_voltage(Voltage(uv));
            assert_eq!(read(&mut raw), want, "{uv}");
        }
    }

    #[test]
    fn sweep_current_and_bus_voltage() {
        let (bus, chip) = common::sim_bus(0x45, Ina219Model::new());
        let mut ina = Ina219::new(bus.clone(), 0x45);
        // 100 mΩ, 100 µA LSB: ±3.2 A at ±320 mV, power LSB 2 mW.
        block_on(ina.calibrate_async(Current(100), 100_000)).unwrap();
        for (k, ua) in (-3_200_000..=3_200_000).step_by(77_777).enumerate() {
            let bus_uv = (k as i32 * 613_000) % 26_000_000;
            chip.lock().set_current(Current(ua), 100_000);
            chip.lock().set_bus_voltage(Voltage(bus_uv));
            let (v, i, p) = block_on(ina.measure_async()).unwrap();
            assert!((i.0 - ua).abs() < 100, "{ua}: {i:?}");
            assert!((v.0 - bus_uv).abs() < 4_000, "{bus_uv}: {v:?}");
            let watts = (ua as i64).abs() * bus_uv as i64 / 1_000_000;
            // |dP| <= I·dV + V·dI + P_LSB = 3.2 A·4 mV + 26 V·100 µA + 2 mW = 17.4 mW
            assert!((p.0 as i64 - watts).abs() <= 17_400, "{watts}: {p:?}");
            assert_eq!(ina.shunt_voltage().unwrap().0, ua / 100 * 10);
        }
    }

    #[test]
    fn triggered_mode_power_down_and_overflow() {
        let (bus, chip) = common::sim_bus(ADDR, Ina219Model::new());
        let mut ina = Ina219::new(bus.clone(), ADDR);
        let triggered = Config {
            mode: Mode::ShuntBusTriggered,
            ..Config::default()
        };
        chip.lock().set_bus_voltage(Voltage(5_000_000));
        ina.set_config(triggered).unwrap();
        chip.lock().set_bus_voltage(Voltage(7_000_000));
        let b = ina.bus_voltage().unwrap();
        assert_eq!(b.voltage.0, 5_000_000, "triggered: no new conversion yet");
        assert!(b.conversion_ready);
        ina.calibrate(Current(100), 100_000).unwrap();
        ina.power().unwrap();
        assert!(
            !ina.bus_voltage().unwrap().conversion_ready,
            "power read clears CNVR"
        );
        ina.set_config(triggered).unwrap();
        assert_eq!(ina.bus_voltage().unwrap().voltage.0, 7_000_000);
        // A calibration far too large for the current overflows the current register.
        ina.set_calibration_raw(0xFFFE, Current(1)).unwrap();
        chip.lock().set_shunt_voltage(Voltage(300_000));
        ina.set_config(triggered).unwrap();
        assert_eq!(ina.measure(), Err(Error::Overflow));
        // Reset restores the power-on registers.
        ina.reset().unwrap();
        assert_eq!(chip.lock().registers(), (0x399F, 0));
        assert_eq!(ina.config_register().unwrap(), 0x399F);
        assert_eq!(ina.current(), Err(Error::NotCalibrated));
    }
}
