//! Every driver error prints a message that says what to do, and is a `std::error::Error`.

use embedded_hal::i2c::ErrorKind;

fn is_error<T: std::error::Error>(_: &T) {}

#[test]
fn messages() {
    use udrv_drivers::*;
    // An `Error` over a bus error that is one (embedded-hal 1.0's `ErrorKind` is not).
    let e = bme280::Error::<BusFault>::WrongChipId(0x55);
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

/// A bus error with a message of its own, distinct from its `Debug`.
#[derive(Debug, PartialEq)]
struct BusFault;

impl std::fmt::Display for BusFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("i2c-9: no device at 0x40: check the wiring")
    }
}

impl std::error::Error for BusFault {}

/// The driver error's message shows the bus's message (its `Display`, not its `Debug`),
/// and its `source()` is the bus error itself.
fn keeps_bus_error<D: std::error::Error>(driver: &str, e: D) {
    let msg = e.to_string();
    assert!(
        msg.contains("i2c-9: no device at 0x40: check the wiring") && !msg.contains("BusFault"),
        "{driver}: {msg:?}"
    );
    let source = e.source().unwrap_or_else(|| panic!("{driver}: no source"));
    assert_eq!(
        source.downcast_ref::<BusFault>(),
        Some(&BusFault),
        "{driver}: the source is the bus error"
    );
}

#[test]
fn driver_errors_keep_the_bus_error() {
    use udrv_drivers::*;
    keeps_bus_error("ads1x1x", ads1x1x::Error::Bus(BusFault));
    keeps_bus_error("at24", at24::Error::Bus(BusFault));
    keeps_bus_error(
        "at24 incomplete",
        at24::Error::Incomplete {
            at: 0x20,
            written: 3,
            uncertain: 8,
            error: Some(BusFault),
        },
    );
    keeps_bus_error("bh1750", bh1750::Error::Bus(BusFault));
    keeps_bus_error("bme280", bme280::Error::Bus(BusFault));
    keeps_bus_error("dps310", dps310::Error::Bus(BusFault));
    keeps_bus_error("ds1307", ds1307::Error::Bus(BusFault));
    keeps_bus_error("ds3231", ds3231::Error::Bus(BusFault));
    keeps_bus_error("ina219", ina219::Error::Bus(BusFault));
    keeps_bus_error("lm75", lm75::Error::Bus(BusFault));
    keeps_bus_error("max31855", max31855::Error::Bus(BusFault));
    keeps_bus_error("mcp23017", mcp23017::Error::Bus(BusFault));
    keeps_bus_error("mcp3x08", mcp3x08::Error::Bus(BusFault));
    keeps_bus_error("pca954x", pca954x::Error::Bus(BusFault));
    keeps_bus_error("pca95xx", pca95xx::Error::Bus(BusFault));
    keeps_bus_error("pca9685", pca9685::Error::Bus(BusFault));
    keeps_bus_error("sht3x", sht3x::Error::Bus(BusFault));
    keeps_bus_error("shtc3", shtc3::Error::Bus(BusFault));
    keeps_bus_error("w25q", w25q::Error::Bus(BusFault));
}

#[test]
fn driver_errors_without_a_bus_error_have_no_source() {
    use std::error::Error as _;
    use udrv_drivers::*;
    assert!(pca9685::Error::<BusFault>::InvalidChannel
        .source()
        .is_none());
    let e = at24::Error::<BusFault>::Incomplete {
        at: 0,
        written: 0,
        uncertain: 0,
        error: None,
    };
    assert!(e.source().is_none());
}

/// The fault-injecting buses' error keeps the wrapped bus's error the same way: its
/// message and its `source()`.
#[cfg(feature = "sim")]
#[test]
fn fault_errors_keep_the_wrapped_bus_error() {
    use udrv_drivers::sim::fault::{Fault, FaultError};
    keeps_bus_error("FaultError", FaultError::Bus(BusFault));
    let e = FaultError::<BusFault>::Injected(Fault::Io);
    assert!(e.to_string().contains("injected fault"), "{e}");
    assert!(std::error::Error::source(&e).is_none());
    // Through a driver: the driver's message shows the bus's, the chain leads to it.
    let e = udrv_drivers::lm75::Error::Bus(FaultError::Bus(BusFault));
    assert!(e.to_string().contains("i2c-9: no device"), "{e}");
    let fault = std::error::Error::source(&e).expect("the fault bus's error");
    let bus = fault.source().expect("the wrapped bus's error");
    assert_eq!(bus.downcast_ref::<BusFault>(), Some(&BusFault));
}
