//! Every driver error prints a message that says what to do, and is a `std::error::Error`.

use embedded_hal::i2c::ErrorKind;

fn is_error<T: std::error::Error>(_: &T) {}

#[test]
fn messages() {
    use udrv_drivers::*;
    let e = bme280::Error::<ErrorKind>::WrongChipId(0x55);
    is_error(&e);
    let s = e.to_string();
    assert!(s.contains("0x55") && s.contains("0x76"), "{s}");
    let s = bme280::Error::Bus(ErrorKind::Bus).to_string();
    assert!(s.contains("bus error") && s.contains("Bus"), "{s}");
    let f = max31855::Faults {
        open_circuit: true,
        short_to_vcc: true,
        ..Default::default()
    };
    let s = max31855::Error::<ErrorKind>::Fault(f, Temperature(0)).to_string();
    assert!(
        s.contains("open circuit") && s.contains("VCC") && !s.contains("GND"),
        "{s}"
    );
    let checks: [(String, &str); 12] = [
        (
            shtc3::Error::<ErrorKind>::WrongId(0x0007).to_string(),
            "0x0007",
        ),
        (
            bh1750::Error::<ErrorKind>::InvalidMeasurementTime(0).to_string(),
            "31..=254",
        ),
        (
            at24::Error::<ErrorKind>::Incomplete {
                at: 0x20,
                written: 3,
                uncertain: 8,
                error: None,
            }
            .to_string(),
            "WP",
        ),
        (
            ina219::Error::<ErrorKind>::NotCalibrated.to_string(),
            "calibrate()",
        ),
        (sht3x::Error::<ErrorKind>::Crc.to_string(), "CRC"),
        (
            ads1x1x::Error::<ErrorKind>::Timeout.to_string(),
            "data rate",
        ),
        (
            ds3231::Error::<ErrorKind>::InvalidRegister.to_string(),
            "set the time",
        ),
        (lm75::Error::<ErrorKind>::InvalidInput.to_string(), "-128"),
        (
            mcp23017::Error::<ErrorKind>::InvalidPin.to_string(),
            "0..16",
        ),
        (
            mcp3x08::Error::<ErrorKind>::InvalidInput.to_string(),
            "pairs",
        ),
        (
            pca9685::Error::<ErrorKind>::InvalidFrequency.to_string(),
            "1526 Hz",
        ),
        (
            pca95xx::Error::<ErrorKind>::InvalidPin.to_string(),
            "PCA9535",
        ),
    ];
    for (msg, hint) in checks {
        assert!(msg.contains(hint), "{msg:?} should mention {hint:?}");
    }
}
