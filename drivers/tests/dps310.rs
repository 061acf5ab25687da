//! DPS310: the compensation of datasheet §4.9 (formulas, and the scale factors of table 9
//! §4.9.3) against an independent floating-point evaluation written here, the coefficient
//! layout of §8.11, byte-exact mock tests (blocking and async, errors, every mock done),
//! and the driver against the model across temperature and pressure ranges at every
//! oversampling rate.

mod common;
use common::{block_on, dps310_reference};
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::dps310::*;

const ADDR: u8 = 0x77;
// Register map again (datasheet §7).
const PSR_B2: u8 = 0x00;
const TMP_B2: u8 = 0x03;
const PRS_CFG: u8 = 0x06;
const MEAS_CFG: u8 = 0x08;
const CFG_REG: u8 = 0x09;
const RESET: u8 = 0x0C;
const PRODUCT_ID: u8 = 0x0D;
const COEF: u8 = 0x10;
const COEF_SRCE: u8 = 0x28;

/// Coefficient bytes 10h..21h as the QEMU model (and so a real DPS310 it was taken from)
/// holds them; unpacked by hand below.
const COEF_BYTES: [u8; 18] = [
    0x0e, 0x1e, 0xdd, 0x13, 0xca, 0x5f, 0x21, 0x52, 0xf9, 0xc6, 0x04, 0xd1, 0xdb, 0x47, 0x00, 0x5b,
    0xfb, 0x3a,
];

#[test]
fn coefficient_layout_of_8_11() {
    let c = Calibration::from_registers(&COEF_BYTES);
    // c0 = 10h<<4 | 11h[7:4] = 0x0E1 = 225; c1 = 11h[3:0]<<8 | 12h = 0xEDD = -291 (12 bit)
    assert_eq!((c.c0, c.c1), (225, 0xEDD - 0x1000));
    // c00 = 13h<<12 | 14h<<4 | 15h[7:4] = 0x13CA5 = 81061;
    // c10 = 15h[3:0]<<16 | 16h<<8 | 17h = 0xF2152 = -57006 (20 bit)
    assert_eq!((c.c00, c.c10), (0x13CA5, 0xF2152 - 0x10_0000));
    // c01 = 0xF9C6, c11 = 0x04D1, c20 = 0xDB47, c21 = 0x005B, c30 = 0xFB3A (16 bit)
    assert_eq!(c.c01, 0xF9C6 - 0x1_0000);
    assert_eq!(c.c11, 0x04D1);
    assert_eq!(c.c20, 0xDB47 - 0x1_0000);
    assert_eq!(c.c21, 0x005B);
    assert_eq!(c.c30, 0xFB3A - 0x1_0000);
    assert_eq!(sign_extend(0x800, 12), -2048);
    assert_eq!(sign_extend(0x7FF, 12), 2047);
    assert_eq!(sign_extend(0x80_0000, 24), -8_388_608);
}

#[test]
fn scale_factors_of_table_9() {
    use Oversampling::*;
    let table = [
        (X1, 524_288),
        (X2, 1_572_864),
        (X4, 3_670_016),
        (X8, 7_864_320),
        (X16, 253_952),
        (X32, 516_096),
        (X64, 1_040_384),
        (X128, 2_088_960),
    ];
    for (os, k) in table {
        assert_eq!(os.scale_factor(), k, "{os:?}");
        // the result shift is needed above 8 times (§8.6 CFG_REG P_SHIFT/T_SHIFT)
        assert_eq!(os.needs_shift(), os > X8);
    }
}

#[test]
fn integer_compensation_matches_the_datasheet_formulas() {
    let c = Calibration::from_registers(&COEF_BYTES);
    let mut n = 0;
    for os in [
        Oversampling::X1,
        Oversampling::X8,
        Oversampling::X16,
        Oversampling::X128,
    ] {
        let k = os.scale_factor();
        for praw in (-8_388_608..8_388_607).step_by(524_287) {
            for traw in (-4_000_000..4_000_000).step_by(999_983) {
                let (t, p) = dps310_reference(&c, praw, k as f64, traw, k as f64);
                let got_t = compensate_temperature(&c, traw, k).as_millicelsius() as f64;
                assert!(
                    (got_t - t * 1000.0).abs() <= 0.5 + 1e-6,
                    "T {traw}: {got_t} vs {t}"
                );
                match compensate_pressure(&c, praw, k, traw, k) {
                    Some(q) => {
                        let got = q.as_q24_8_pascal() as f64 / 256.0;
                        assert!(
                            (got - p).abs() <= 0.5 / 256.0 + 1e-6,
                            "P {praw}: {got} vs {p}"
                        );
                        n += 1;
                    }
                    None => assert!(p < 0.0 || p * 256.0 > u32::MAX as f64, "{praw}: {p}"),
                }
            }
        }
    }
    assert!(n > 50, "{n}");
}

fn init_transactions(src: u8) -> Vec<T> {
    vec![
        T::write_read(ADDR, vec![PRODUCT_ID], vec![0x10]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xC0]),
        T::write_read(ADDR, vec![COEF], COEF_BYTES.to_vec()),
        T::write_read(ADDR, vec![COEF_SRCE], vec![src]),
        // PRS_CFG 1/s 1x; TMP_CFG with TMP_EXT = TMP_COEF_SRCE
        T::write(ADDR, vec![PRS_CFG, 0x00, src & 0x80]),
        T::write_read(ADDR, vec![CFG_REG], vec![0x0C]),
        T::write(ADDR, vec![CFG_REG, 0x00]),
    ]
}

#[test]
fn mock_init_config_measure_and_errors() {
    let mut ex = init_transactions(0x80);
    ex.extend([
        // X16 pressure at 4/s, X2 temperature at 1/s: P_SHIFT only
        T::write(ADDR, vec![PRS_CFG, 0x24, 0x81]),
        T::write_read(ADDR, vec![CFG_REG], vec![0xF0]),
        T::write(ADDR, vec![CFG_REG, 0xF4]),
        // measure: temperature command, poll, read; pressure command, poll, read
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xC0]),
        T::write(ADDR, vec![MEAS_CFG, 0xC2]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xC0]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xE0]),
        T::write_read(ADDR, vec![TMP_B2], vec![0x02, 0x69, 0xA6]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xC0]),
        T::write(ADDR, vec![MEAS_CFG, 0xC1]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xD0]),
        T::write_read(ADDR, vec![PSR_B2], vec![0xFE, 0x2F, 0xEE]),
        // background mode, burst read of both results
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xF2]),
        T::write(ADDR, vec![MEAS_CFG, 0xF7]),
        T::write_read(ADDR, vec![PSR_B2], vec![0xFE, 0x2F, 0xEE, 0x02, 0x69, 0xA6]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xF7]),
        T::write(ADDR, vec![RESET, 0x09]),
        T::write_read(ADDR, vec![PRODUCT_ID], vec![0x10]),
        T::write_read(ADDR, vec![PRODUCT_ID], vec![0xFF]),
        T::write_read(ADDR, vec![PRODUCT_ID], vec![0x10]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0x40]),
        T::write_read(ADDR, vec![MEAS_CFG], vec![0]).with_error(ErrorKind::Other),
    ]);
    let mut m = Mock::new(&ex);
    let mut dps = Dps310::new(m.clone(), ADDR);
    assert_eq!(dps.read_measurement(), Err(Error::NotInitialized));
    dps.init().unwrap();
    assert!(dps.uses_external_sensor());
    block_on(dps.set_config_async(Config {
        pressure_oversampling: Oversampling::X16,
        pressure_rate: Rate::Hz4,
        temperature_oversampling: Oversampling::X2,
        temperature_rate: Rate::Hz1,
    }))
    .unwrap();
    // the waits: the datasheet time of each measurement, then 1 ms per not-ready poll
    let mut delay = CheckedDelay::new(&[
        D::blocking_delay_us(5_200),
        D::blocking_delay_ms(1),
        D::blocking_delay_us(27_600),
    ]);
    let a = dps.measure(&mut delay).unwrap();
    delay.done();
    let c = Calibration::from_registers(&COEF_BYTES);
    let (t, p) = dps310_reference(&c, 0xFE2FEE - 0x100_0000, 253_952.0, 0x0269A6, 1_572_864.0);
    assert!((a.temperature.as_millicelsius() as f64 - t * 1000.0).abs() <= 0.5);
    assert!((a.pressure.as_q24_8_pascal() as f64 / 256.0 - p).abs() <= 0.5 / 256.0);
    block_on(dps.set_mode_async(Mode::BackgroundBoth)).unwrap();
    assert_eq!(block_on(dps.read_measurement_async()).unwrap(), a);
    assert_eq!(dps.ready().unwrap(), (true, true));
    dps.soft_reset().unwrap();
    assert_eq!(dps.read_measurement(), Err(Error::NotInitialized));
    assert_eq!(block_on(dps.product_id_async()).unwrap(), 0x10);
    assert_eq!(dps.init(), Err(Error::WrongChipId(0xFF)));
    assert_eq!(block_on(dps.init_async()), Err(Error::NotReady));
    assert_eq!(dps.status(), Err(Error::Bus(ErrorKind::Other)));
    m.done();
}

#[test]
fn mock_async_measure_and_timeout() {
    // read_calibration: the start-up without the product ID check
    let mut ex = init_transactions(0x00).split_off(1);
    ex.extend([
        T::write_read(ADDR, vec![MEAS_CFG], vec![0xC0]),
        T::write(ADDR, vec![MEAS_CFG, 0xC2]),
    ]);
    // never ready: 1x takes 3.6 ms, the driver gives up 10 ms later
    for _ in 0..14 {
        ex.push(T::write_read(ADDR, vec![MEAS_CFG], vec![0xC0]));
    }
    let mut m = Mock::new(&ex);
    let mut dps = Dps310::new(m.clone(), ADDR);
    block_on(dps.read_calibration_async()).unwrap();
    assert!(!dps.uses_external_sensor());
    assert_eq!(
        block_on(dps.measure_async(&mut NoopDelay)),
        Err(Error::Timeout)
    );
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use udrv_drivers::dps310::model::Dps310Model;
    use udrv_drivers::{Pressure, Temperature};

    #[test]
    fn driver_reads_the_models_conditions_at_every_oversampling() {
        let (bus, h) = common::sim_bus(ADDR, Dps310Model::new());
        let mut dps = Dps310::new(bus, ADDR);
        dps.init().unwrap();
        use Oversampling::*;
        let mut n = 0;
        for os in [X1, X2, X4, X8, X16, X32, X64, X128] {
            dps.set_config(Config {
                pressure_oversampling: os,
                temperature_oversampling: os,
                ..Config::default()
            })
            .unwrap();
            for mc in [-40_000, -12_345, 0, 21_500, 85_000] {
                for pa in [30_000u32, 80_000, 101_325, 120_000] {
                    {
                        let mut m = h.lock();
                        m.set_temperature(Temperature::from_millicelsius(mc));
                        m.set_pressure(Pressure::from_q24_8_pascal(pa * 256));
                    }
                    let r = dps.measure(&mut NoopDelay).unwrap();
                    // one raw count: |c1| / kT °C and about |c10| / kP Pa
                    let tol_t = 1 + (261_000 / os.scale_factor()) as i32;
                    assert!(
                        (r.temperature.as_millicelsius() - mc).abs() <= tol_t,
                        "{os:?} {mc}: {r:?}"
                    );
                    let got = r.pressure.as_q24_8_pascal() as i64;
                    let tol_p = 256 + 256 * 60_000 / os.scale_factor();
                    assert!(
                        (got - pa as i64 * 256).abs() <= tol_p,
                        "{os:?} {pa} Pa: {r:?}"
                    );
                    n += 1;
                }
            }
        }
        assert_eq!(n, 160);
    }

    #[test]
    fn background_mode_and_ready_flags() {
        let (bus, h) = common::sim_bus(ADDR, Dps310Model::new());
        let mut dps = Dps310::new(bus, ADDR);
        dps.init().unwrap();
        assert_eq!(dps.ready().unwrap(), (false, false));
        dps.set_mode(Mode::BackgroundBoth).unwrap();
        h.lock()
            .set_temperature(Temperature::from_millicelsius(-5_000));
        h.lock()
            .set_pressure(Pressure::from_q24_8_pascal(95_000 * 256));
        let m = dps.read_measurement().unwrap();
        assert!(
            (m.temperature.as_millicelsius() + 5_000).abs() <= 2,
            "{m:?}"
        );
        assert!((m.pressure.as_pascal() as i64 - 95_000).abs() <= 1, "{m:?}");
        // status bits are read-only: the mode write kept COEF_RDY and SENSOR_RDY
        assert_eq!(dps.status().unwrap() & 0xC7, 0xC7);
        dps.set_mode(Mode::Idle).unwrap();
        // the result shift is required above 8x: the driver sets it
        dps.set_config(Config {
            pressure_oversampling: Oversampling::X64,
            temperature_oversampling: Oversampling::X32,
            ..Config::default()
        })
        .unwrap();
        assert_eq!(h.lock().register(0x09) & 0x0C, 0x0C);
        assert_eq!(
            h.lock().register(0x07),
            0x80 | 0x05,
            "TMP_EXT from COEF_SRCE"
        );
        let m = dps.measure(&mut NoopDelay).unwrap();
        assert!((m.pressure.as_pascal() as i64 - 95_000).abs() <= 1, "{m:?}");
        dps.soft_reset().unwrap();
        assert_eq!(h.lock().register(0x09), 0);
        assert_eq!(dps.measure(&mut NoopDelay), Err(Error::NotInitialized));
    }

    #[test]
    fn other_coefficients_other_raw_values_same_conditions() {
        let (bus, h) = common::sim_bus(ADDR, Dps310Model::new());
        let c = Calibration::from_registers(&COEF_BYTES);
        h.lock()
            .set_coefficients((c.c0, c.c1, c.c00, c.c10, c.c01, c.c11, c.c20, c.c21, c.c30));
        h.lock().set_polls_per_measurement(5);
        h.lock()
            .set_temperature(Temperature::from_millicelsius(24_740));
        h.lock()
            .set_pressure(Pressure::from_q24_8_pascal(92_946 * 256));
        let mut dps = Dps310::new(bus, ADDR);
        assert_eq!(dps.read_calibration().unwrap(), c);
        let m = dps.measure(&mut NoopDelay).unwrap();
        assert!(
            (m.temperature.as_millicelsius() - 24_740).abs() <= 1,
            "{m:?}"
        );
        assert!((m.pressure.as_pascal() as i64 - 92_946).abs() <= 1, "{m:?}");
        // and the raw results are close to the ones QEMU's model holds for that state
        let p = dps.read_raw_pressure().unwrap();
        assert!((p - (0xFE2FEE - 0x100_0000)).abs() < 20, "{p:#x}");
    }
}
