//! BME280: datasheet compensation example, calibration parsing, byte-exact I2C and SPI
//! mock tests, and driver against model over I2C and SPI across the input ranges.

// Binary literals are grouped by register field (osrs_t _ osrs_p _ mode), not by nibble.
#![allow(clippy::unusual_byte_groupings)]

mod common;
use common::block_on;
use embedded_hal::i2c::ErrorKind;
use embedded_hal_mock::eh1::delay::{CheckedDelay, Transaction as D};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use embedded_hal_mock::eh1::spi::{Mock as SpiMock, Transaction as S};
use udrv_drivers::bme280::*;

// Register map declared again (datasheet §5.3 table 18).
const ID: u8 = 0xD0;
const RESET: u8 = 0xE0;
const CALIB_A: u8 = 0x88;
const CALIB_B: u8 = 0xE1;
const CTRL_HUM: u8 = 0xF2;
const STATUS: u8 = 0xF3;
const CTRL_MEAS: u8 = 0xF4;
const CONFIG: u8 = 0xF5;
const DATA: u8 = 0xF7;
const ADDR: u8 = 0x76;

/// The BMP280 datasheet §3.12 example trimming parameters (identical T/P formulas in the
/// BME280), plus humidity parameters of a typical BME280.
fn example_calibration() -> Calibration {
    Calibration {
        t1: 27504,
        t2: 26435,
        t3: -1000,
        p1: 36477,
        p2: -10685,
        p3: 3024,
        p4: 2855,
        p5: 140,
        p6: -7,
        p7: 15500,
        p8: -14600,
        p9: 6000,
        h1: 75,
        h2: 362,
        h3: 0,
        h4: 313,
        h5: 50,
        h6: 30,
    }
}

/// The calibration registers for `c`, packed as datasheet table 16 describes.
fn calib_bytes(c: &Calibration) -> (Vec<u8>, Vec<u8>) {
    let mut a = Vec::new();
    for w in [
        c.t1,
        c.t2 as u16,
        c.t3 as u16,
        c.p1,
        c.p2 as u16,
        c.p3 as u16,
        c.p4 as u16,
        c.p5 as u16,
        c.p6 as u16,
        c.p7 as u16,
        c.p8 as u16,
        c.p9 as u16,
    ] {
        a.extend_from_slice(&w.to_le_bytes());
    }
    a.push(0); // 0xA0 reserved
    a.push(c.h1); // 0xA1
    let h4 = c.h4 as u16;
    let h5 = c.h5 as u16;
    let b = vec![
        c.h2 as u8,
        (c.h2 as u16 >> 8) as u8,
        c.h3,
        (h4 >> 4) as u8,                            // 0xE4: dig_H4[11:4]
        ((h5 & 0xF) << 4) as u8 | (h4 & 0xF) as u8, // 0xE5: H5[3:0] | H4[3:0]
        (h5 >> 4) as u8,                            // 0xE6: dig_H5[11:4]
        c.h6 as u8,
    ];
    (a, b)
}

/// The datasheet's double precision temperature formula (BME280 §8.1,
/// `BME280_compensate_T_double`, the same as BMP280 §8.1), written here from the datasheet
/// independently of the driver's integer code: (`t_fine` unrounded, °C).
fn temperature_double(c: &Calibration, adc_t: i32) -> (f64, f64) {
    let x = adc_t as f64;
    let var1 = (x / 16384.0 - c.t1 as f64 / 1024.0) * c.t2 as f64;
    let d = x / 131072.0 - c.t1 as f64 / 8192.0;
    let var2 = d * d * c.t3 as f64;
    (var1 + var2, (var1 + var2) / 5120.0)
}

/// The datasheet's double precision pressure formula (BME280 §8.1,
/// `BME280_compensate_P_double`), in Pa.
fn pressure_double(c: &Calibration, t_fine: i32, adc_p: i32) -> f64 {
    let mut var1 = t_fine as f64 / 2.0 - 64000.0;
    let mut var2 = var1 * var1 * c.p6 as f64 / 32768.0;
    var2 += var1 * c.p5 as f64 * 2.0;
    var2 = var2 / 4.0 + c.p4 as f64 * 65536.0;
    var1 = (c.p3 as f64 * var1 * var1 / 524288.0 + c.p2 as f64 * var1) / 524288.0;
    var1 = (1.0 + var1 / 32768.0) * c.p1 as f64;
    assert!(var1 != 0.0, "the datasheet returns 0 here");
    let mut p = 1048576.0 - adc_p as f64;
    p = (p - var2 / 4096.0) * 6250.0 / var1;
    var1 = c.p9 as f64 * p * p / 2147483648.0;
    var2 = p * c.p8 as f64 / 32768.0;
    p + (var1 + var2 + c.p7 as f64) / 16.0
}

#[test]
fn datasheet_worked_example() {
    // BMP280 datasheet §3.12, the worked example for these trimming parameters (the
    // BME280 shares the T and P formulas): adc_T = 519888 -> var1 = 128793.1787,
    // var2 = -370.8917052, t_fine = 128422, T = 25.08 °C; adc_P = 415148 ->
    // p = 100653.27 Pa. The example's figures are the double precision formula's; the
    // integer (Q24.8) result "may deviate slightly": 25767233 / 256 = 100653.254 Pa.
    let c = example_calibration();
    let (tf_d, t_d) = temperature_double(&c, 519888);
    assert!((tf_d - (128793.1787 - 370.8917052)).abs() < 1e-3, "{tf_d}");
    assert!((t_d - 25.08).abs() < 0.005, "{t_d}");
    assert!(
        (pressure_double(&c, 128422, 415148) - 100653.27).abs() < 0.015,
        "the formula above is the datasheet's"
    );
    // The driver's integer code against the datasheet's figures.
    let tf = compensation::t_fine(&c, 519888);
    assert_eq!(tf, 128422);
    assert_eq!(compensation::temperature(tf), 2508);
    let p = compensation::pressure(&c, tf, 415148);
    assert!((p as f64 / 256.0 - 100653.27).abs() < 0.02, "{p}");
    let raw = RawData {
        pressure: 415148,
        temperature: 519888,
        humidity: 0x8000,
    };
    let m = compensate::<()>(&c, &raw, true).unwrap();
    assert_eq!(m.temperature.as_millicelsius(), 25_080);
    assert_eq!(m.pressure.unwrap().as_pascal(), 100653);
    assert!((m.pressure.unwrap().as_q24_8_pascal() as f64 / 256.0 - 100653.27).abs() < 0.02);
    assert_eq!(m.humidity, None, "0x8000 = skipped");
}

#[test]
fn temperature_and_pressure_int_match_datasheet_double() {
    // Over the sensor's range (adc_T 400 000..640 000 is about -13..63 °C with these
    // parameters; adc_P 200 000..700 000 about 1300..490 hPa), the driver's integer
    // formulas against the datasheet's double ones written above. The integer code
    // truncates: t_fine within 2, T within one output step (0.01 °C), p within 0.02 Pa
    // (5 Q24.8 steps; the datasheet gives the 64-bit integer code a resolution of
    // 1/256 Pa).
    let c = example_calibration();
    for adc_t in (400_000..=640_000).step_by(8_000) {
        let tf = compensation::t_fine(&c, adc_t);
        let (tf_d, t_d) = temperature_double(&c, adc_t);
        assert!(
            (tf as f64 - tf_d).abs() <= 2.0,
            "adc_T {adc_t}: {tf} vs {tf_d}"
        );
        let t = compensation::temperature(tf) as f64 / 100.0;
        assert!((t - t_d).abs() <= 0.01, "adc_T {adc_t}: {t} vs {t_d}");
        for adc_p in (200_000..=700_000).step_by(2_500) {
            let p = compensation::pressure(&c, tf, adc_p) as f64 / 256.0;
            let p_d = pressure_double(&c, tf, adc_p);
            assert!(
                (p - p_d).abs() <= 0.02,
                "adc_T {adc_t} adc_P {adc_p}: int {p} double {p_d}"
            );
        }
    }
}

/// The datasheet's floating point humidity formula (BME280 §8.1,
/// `BME280_compensate_H_double`).
fn humidity_double(c: &Calibration, t_fine: i32, adc_h: i32) -> f64 {
    let mut h = t_fine as f64 - 76800.0;
    h = (adc_h as f64 - (c.h4 as f64 * 64.0 + c.h5 as f64 / 16384.0 * h))
        * (c.h2 as f64 / 65536.0
            * (1.0 + c.h6 as f64 / 67108864.0 * h * (1.0 + c.h3 as f64 / 67108864.0 * h)));
    h *= 1.0 - c.h1 as f64 * h / 524288.0;
    h.clamp(0.0, 100.0)
}

#[test]
fn humidity_int_matches_datasheet_double() {
    let c = example_calibration();
    for adc_t in (400_000..600_000).step_by(25_000) {
        let tf = compensation::t_fine(&c, adc_t);
        for adc_h in (20_000..45_000).step_by(250) {
            let q = compensation::humidity(&c, tf, adc_h) as f64 / 1024.0;
            let d = humidity_double(&c, tf, adc_h);
            assert!((q - d).abs() < 0.02, "adc_h {adc_h}: int {q} double {d}");
        }
    }
}

#[test]
fn calibration_parsing_including_h4_h5_nibbles() {
    let mut c = example_calibration();
    c.h4 = -300; // negative 12-bit values exercise the sign extension
    c.h5 = -7;
    c.h6 = -12;
    let (a, b) = calib_bytes(&c);
    let parsed = Calibration::from_registers(&a.try_into().unwrap(), &b.try_into().unwrap());
    assert_eq!(parsed, c);
}

fn init_i2c(ex: &mut Vec<T>, c: &Calibration) {
    let (a, b) = calib_bytes(c);
    ex.push(T::write_read(ADDR, vec![ID], vec![0x60]));
    // im_update (status bit 0) set once: the driver polls until the NVM copy is done
    ex.push(T::write_read(ADDR, vec![STATUS], vec![0b0000_0001]));
    ex.push(T::write_read(ADDR, vec![STATUS], vec![0b0000_0000]));
    ex.push(T::write_read(ADDR, vec![CALIB_A], a));
    ex.push(T::write_read(ADDR, vec![CALIB_B], b));
}

#[test]
fn i2c_init_config_forced_measurement() {
    let c = example_calibration();
    let mut ex = Vec::new();
    init_i2c(&mut ex, &c);
    // set_config: sleep, ctrl_hum, config, ctrl_meas
    // osrs_t x2 (010), osrs_p x16 (101), osrs_h x1 (001), filter 4 (010), t_sb 125 ms (010)
    ex.push(T::write(ADDR, vec![CTRL_MEAS, 0b010_101_00]));
    ex.push(T::write(ADDR, vec![CTRL_HUM, 0b001]));
    ex.push(T::write(ADDR, vec![CONFIG, 0b010_010_00]));
    ex.push(T::write(ADDR, vec![CTRL_MEAS, 0b010_101_00]));
    // forced measurement, status polled twice
    ex.push(T::write(ADDR, vec![CTRL_MEAS, 0b010_101_01]));
    ex.push(T::write_read(ADDR, vec![STATUS], vec![0b0000_1000]));
    ex.push(T::write_read(ADDR, vec![STATUS], vec![0b0000_0000]));
    // press 415148 = 0x655AC, temp 519888 = 0x7EED0, hum 0x8000 skipped
    ex.push(T::write_read(
        ADDR,
        vec![DATA],
        vec![0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00, 0x80, 0x00],
    ));
    let mut m = Mock::new(&ex);
    let cfg = Config {
        temperature: Oversampling::X2,
        pressure: Oversampling::X16,
        humidity: Oversampling::X1,
        filter: Filter::X4,
        standby: Standby::Ms125,
    };
    // Max measurement time (datasheet §9.1): 1.25 + 2.3*2 + 2.3*16 + 0.575 + 2.3*1 + 0.575 ms
    assert_eq!(cfg.max_measurement_time_us(), 46_100);
    let mut delay = CheckedDelay::new(&[D::blocking_delay_us(46_100), D::blocking_delay_ms(1)]);
    let mut bme = Bme280::new_i2c(m.clone(), ADDR);
    bme.init().unwrap();
    assert_eq!(bme.calibration(), Some(&c));
    bme.set_config(cfg).unwrap();
    let meas = bme.measure_forced(&mut delay).unwrap();
    assert_eq!(meas.temperature.as_millicelsius(), 25_080);
    // The datasheet's example value (BMP280 §3.12: 100653.27 Pa) within 0.02 Pa.
    let p = meas.pressure.unwrap();
    assert!(
        (p.as_q24_8_pascal() as f64 / 256.0 - 100653.27).abs() < 0.02,
        "{p:?}"
    );
    assert_eq!(p.as_pascal(), 100653);
    assert_eq!(meas.humidity, None);
    delay.done();
    m.done();
}

#[test]
fn i2c_errors_and_async() {
    let mut ex = vec![
        T::write_read(ADDR, vec![ID], vec![0x55]),
        T::write_read(ADDR, vec![ID], vec![0]).with_error(ErrorKind::Other),
        T::write(ADDR, vec![RESET, 0xB6]),
    ];
    init_i2c(&mut ex, &example_calibration());
    ex.push(T::write(ADDR, vec![CTRL_MEAS, 0b001_001_11]));
    let mut m = Mock::new(&ex);
    let mut bme = Bme280::new_i2c(m.clone(), ADDR);
    assert_eq!(bme.read_measurement(), Err(Error::NotInitialized));
    assert_eq!(bme.init(), Err(Error::WrongChipId(0x55)));
    assert_eq!(
        block_on(bme.init_async()),
        Err(Error::Bus(ErrorKind::Other))
    );
    block_on(bme.reset_async()).unwrap();
    block_on(bme.init_async()).unwrap();
    block_on(bme.set_mode_async(Mode::Normal)).unwrap();
    m.done();
}

#[test]
fn bmp280_has_no_humidity() {
    let (a, _) = calib_bytes(&example_calibration());
    let ex = [
        T::write_read(ADDR, vec![ID], vec![0x58]),
        T::write_read(ADDR, vec![STATUS], vec![0x00]),
        T::write_read(ADDR, vec![CALIB_A], a),
        // no 0xE1 calibration block, no ctrl_hum write
        T::write(ADDR, vec![CTRL_MEAS, 0b001_001_00]),
        T::write(ADDR, vec![CONFIG, 0b000_000_00]),
        T::write(ADDR, vec![CTRL_MEAS, 0b001_001_00]),
        T::write_read(
            ADDR,
            vec![DATA],
            vec![0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00, 0x55, 0x55],
        ),
    ];
    let mut m = Mock::new(&ex);
    let mut bmp = Bme280::new_i2c(m.clone(), ADDR);
    bmp.init().unwrap();
    bmp.set_config(Config::default()).unwrap();
    let meas = bmp.read_measurement().unwrap();
    assert_eq!(meas.temperature.as_millicelsius(), 25_080);
    assert_eq!(meas.humidity, None, "a BMP280 reports no humidity");
    m.done();
}

#[test]
fn spi_bytes() {
    let (a, b) = calib_bytes(&example_calibration());
    let ex = [
        S::transaction_start(),
        S::write_vec(vec![ID | 0x80]),
        S::read_vec(vec![0x60]),
        S::transaction_end(),
        S::transaction_start(),
        S::write_vec(vec![STATUS | 0x80]),
        S::read_vec(vec![0x00]),
        S::transaction_end(),
        S::transaction_start(),
        S::write_vec(vec![CALIB_A | 0x80]),
        S::read_vec(a),
        S::transaction_end(),
        S::transaction_start(),
        S::write_vec(vec![CALIB_B | 0x80]),
        S::read_vec(b),
        S::transaction_end(),
        // writes clear bit 7: 0xF4 -> 0x74, 0xE0 -> 0x60
        S::transaction_start(),
        S::write_vec(vec![CTRL_MEAS & 0x7F, 0b001_001_01]),
        S::transaction_end(),
        S::transaction_start(),
        S::write_vec(vec![RESET & 0x7F, 0xB6]),
        S::transaction_end(),
    ];
    let mut spi = SpiMock::new(&ex);
    let mut bme = Bme280::new_spi(spi.clone());
    bme.init().unwrap();
    block_on(bme.set_mode_async(Mode::Forced)).unwrap();
    bme.reset().unwrap();
    spi.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal_mock::eh1::delay::NoopDelay;
    use udrv_drivers::bme280::model::Bme280Model;
    use udrv_drivers::sim::SimSpiDevice;
    use udrv_drivers::{Humidity, Pressure, Temperature};

    const FINE: Config = Config {
        temperature: Oversampling::X16,
        pressure: Oversampling::X16,
        humidity: Oversampling::X16,
        filter: Filter::Off,
        standby: Standby::Ms0_5,
    };

    fn check(m: &Measurement, t: i32, p_pa: u32, h: u32) {
        // Datasheet resolutions at x16 (tables 7, 8): 0.0003 °C, 0.16 Pa; output steps
        // 0.01 °C and 1/1024 %RH; allow one output step plus the ADC step.
        let dt = (m.temperature.as_millicelsius() - t).abs();
        assert!(dt <= 10, "T {} vs {t}", m.temperature.as_millicelsius());
        let dp = (m.pressure.unwrap().as_q24_8_pascal() as i64 - (p_pa as i64) * 256).abs();
        assert!(dp <= 256, "P {:?} vs {p_pa}", m.pressure);
        let dh = (m.humidity.unwrap().as_millipercent() as i64 - h as i64).abs();
        assert!(dh <= 20, "H {:?} vs {h}", m.humidity);
    }

    #[test]
    fn i2c_driver_against_model_across_range() {
        let (bus, chip) = common::sim_bus(0x77, Bme280Model::new());
        let mut bme = Bme280::new_i2c(bus.clone(), 0x77);
        bme.init().unwrap();
        bme.set_config(FINE).unwrap();
        // Operating range (datasheet table 1): -40..85 °C, 300..1100 hPa, 0..100 %RH.
        for (i, t) in (-40_000..=85_000).step_by(12_345).enumerate() {
            let p = 30_000 + (i as u32 * 7_919) % 80_001;
            let h = (i as u32 * 9_871) % 100_001;
            {
                let mut c = chip.lock();
                c.set_temperature(Temperature(t));
                c.set_pressure(Pressure(p * 256));
                c.set_humidity(Humidity(h));
            }
            let m = bme.measure_forced(&mut NoopDelay).unwrap();
            check(&m, t, p, h);
        }
        assert_eq!(chip.lock().measurements(), 11);
    }

    #[test]
    fn spi_driver_against_model_and_normal_mode() {
        let (spi, chip) = SimSpiDevice::new(Bme280Model::new());
        let mut bme = Bme280::new_spi(spi);
        block_on(bme.init_async()).unwrap();
        block_on(bme.set_config_async(FINE)).unwrap();
        // Registers hold exactly what the datasheet's bit fields say.
        assert_eq!(chip.lock().control_registers(), (0b101, 0b101_101_00, 0));
        block_on(bme.set_mode_async(Mode::Normal)).unwrap();
        for t in [-40_000, -12_340, 0, 21_500, 85_000] {
            let before = chip.lock().measurements();
            chip.lock()
                .set_conditions(Temperature(t), Pressure(95_000 * 256), Humidity(33_000));
            assert_eq!(
                chip.lock().measurements(),
                before + 1,
                "one normal-mode step"
            );
            let m = block_on(bme.read_measurement_async()).unwrap();
            check(&m, t, 95_000, 33_000);
        }
        let mut bme = Bme280::new_spi(bme.release());
        bme.init().unwrap();
        let m = bme.read_measurement().unwrap();
        check(&m, 85_000, 95_000, 33_000);
    }

    #[test]
    fn skipped_measurements_and_reset() {
        let (bus, chip) = common::sim_bus(0x76, Bme280Model::new());
        chip.lock().set_measuring_reads(3);
        let mut bme = Bme280::new_i2c(bus.clone(), 0x76);
        bme.init().unwrap();
        bme.set_config(Config {
            pressure: Oversampling::Skipped,
            humidity: Oversampling::Skipped,
            ..FINE
        })
        .unwrap();
        let m = bme.measure_forced(&mut NoopDelay).unwrap();
        assert_eq!((m.pressure, m.humidity), (None, None));
        assert_eq!(m.temperature.as_millicelsius(), 20_000);
        bme.set_config(Config {
            temperature: Oversampling::Skipped,
            ..FINE
        })
        .unwrap();
        assert_eq!(
            bme.measure_forced(&mut NoopDelay),
            Err(Error::NoTemperature)
        );
        bme.reset().unwrap();
        assert_eq!(chip.lock().control_registers(), (0, 0, 0));
        // init after a reset waits out im_update, then reads the calibration again
        bme.init().unwrap();
        // After reset the data registers hold their reset values: skipped everywhere.
        assert_eq!(bme.read_measurement(), Err(Error::NoTemperature));
        // Nothing at the other address.
        let mut other = Bme280::new_i2c(bus.clone(), 0x77);
        assert!(matches!(other.init(), Err(Error::Bus(_))));
    }

    #[test]
    fn oversampling_x1_resolution_and_filter() {
        let (bus, chip) = common::sim_bus(0x76, Bme280Model::new());
        let mut bme = Bme280::new_i2c(bus.clone(), 0x76);
        bme.init().unwrap();
        bme.set_config(Config::default()).unwrap(); // x1: 16-bit output
        chip.lock().set_temperature(Temperature(23_456));
        bme.measure_forced(&mut NoopDelay).unwrap();
        let raw = bme.read_raw().unwrap();
        assert_eq!(raw.temperature & 0xF, 0, "x1 without filter: 16 bits");
        // With the IIR filter (coefficient 16) a step only moves part of the way.
        bme.set_config(Config {
            filter: Filter::X16,
            ..FINE
        })
        .unwrap();
        bme.measure_forced(&mut NoopDelay).unwrap();
        chip.lock().set_temperature(Temperature(33_456));
        let m = bme.measure_forced(&mut NoopDelay).unwrap();
        let t = m.temperature.as_millicelsius();
        assert!(t > 23_456 && t < 25_000, "filtered step: {t}");
    }
}
