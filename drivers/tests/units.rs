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
