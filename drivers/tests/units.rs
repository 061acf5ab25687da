//! The measurement newtypes: stored units and accessors.

use udrv_drivers::{Current, Humidity, Illuminance, Power, Pressure, Temperature, Voltage};

#[test]
fn accessors() {
    let t = Temperature::from_millicelsius(-12_345);
    assert_eq!(t.as_millicelsius(), -12_345);
    assert!((t.as_celsius_f32() + 12.345).abs() < 1e-4);
    // Q24.8: 25767233 / 256 = 100653.25 Pa = 1006.5325 hPa
    let p = Pressure::from_q24_8_pascal(25_767_233);
    assert_eq!(p.as_pascal(), 100_653);
    assert!((p.as_hectopascal_f32() - 1006.5325).abs() < 1e-3);
    assert_eq!(Humidity::from_millipercent(46_333).as_percent_f32(), 46.333);
    let v = Voltage::from_microvolts(-1_999_999);
    assert_eq!(v.as_millivolts(), -1_999, "truncated toward zero");
    assert!((v.as_volts_f32() + 2.0).abs() < 1e-5);
    assert_eq!(Current::from_microamps(10_000_000).as_amps_f32(), 10.0);
    assert_eq!(Power::from_microwatts(119_800_000).as_watts_f32(), 119.8);
    assert_eq!(
        Illuminance::from_millilux(28_066_667).as_millilux(),
        28_066_667
    );
    assert!((Illuminance(28_066_667).as_lux_f32() - 28_066.667).abs() < 0.01);
    assert!(Temperature(-1) < Temperature(0));
    assert_eq!(Temperature::default(), Temperature(0));
}

/// The SI accessors in `f64` (what readings carry): the stored integer over its scale,
/// exactly as `f64` division rounds it (no `f32` step between).
#[test]
fn si_accessors_in_f64() {
    assert_eq!(Temperature(-12_345).as_celsius_f64(), -12_345.0 / 1000.0);
    assert_eq!(Temperature(21_500).as_celsius_f64(), 21.5);
    assert_eq!(Humidity(46_333).as_percent_f64(), 46.333);
    // Q24.8: 25 767 233 / 256 = 100 653.253 906 25 Pa, exact in f64 (not in f32).
    assert_eq!(Pressure(25_767_233).as_pascal_f64(), 100_653.253_906_25);
    assert_eq!(Voltage(-1_999_999).as_volts_f64(), -1.999999);
    assert_eq!(Current(1_500_000).as_amps_f64(), 1.5);
    assert_eq!(Power(119_800_000).as_watts_f64(), 119.8);
    assert_eq!(Illuminance(28_066_667).as_lux_f64(), 28_066.667);
    // An i32 beyond f32's 24-bit mantissa keeps its last digit in f64.
    assert_eq!(Voltage(16_777_217).as_volts_f64(), 16.777217);
}
