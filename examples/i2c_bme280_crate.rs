//! Interoperability, one way: an ecosystem driver, the [`bme280`](https://crates.io/crates/bme280)
//! crate from crates.io, driving a BME280 over udrv's buses: the virtual board's
//! simulated bus by default, `udrv-core`'s Linux I2C bus (`/dev/i2c-N`) on a real board.
//! Nothing in udrv knows about that crate: both sides only meet at embedded-hal 1.0.
//!
//! ```sh
//! cargo run -p udrv-examples --example i2c_bme280_crate
//! cargo run -p udrv-examples --example i2c_bme280_crate -- --board rpi4b --i2c 1
//! ```
//!
//! Options: `--address ADDR` (0x76, or 0x77), `-n COUNT` (3), `--interval SECONDS`.

use std::io::Write;

use udrv_boards::r#virtual::Peripherals;
use udrv_examples::{exit_on_error, or_exit, with_board, Options, UsageError, EXIT_USAGE};

/// One measurement from the `bme280` crate (its own floating-point compensation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// °C.
    pub celsius: f32,
    /// %RH.
    pub humidity: f32,
    /// Pa.
    pub pascal: f32,
}

/// Reads `count` samples with the `bme280` crate over the board's I2C bus `bus`.
pub fn run<P: Peripherals>(
    p: &P,
    bus: &str,
    address: u8,
    count: u64,
    interval: std::time::Duration,
    out: &mut impl Write,
) -> Result<Vec<Sample>, Box<dyn std::error::Error>>
where
    <P::I2c as embedded_hal::i2c::ErrorType>::Error: std::fmt::Debug,
{
    let i2c = p.open_i2c(bus)?;
    let mut sensor = bme280::i2c::BME280::new(i2c, address);
    let mut delay = p.delay();
    sensor
        .init(&mut delay)
        .map_err(|e| format!("bme280 crate, init at {address:#04x}: {e:?}"))?;
    let mut samples = Vec::new();
    for i in 0..count {
        if i > 0 {
            p.sleep(interval);
        }
        let m = sensor
            .measure(&mut delay)
            .map_err(|e| format!("bme280 crate, measure: {e:?}"))?;
        writeln!(
            out,
            "{:.2} °C  {:.1} %RH  {:.2} hPa",
            m.temperature,
            m.humidity,
            m.pressure / 100.0
        )?;
        samples.push(Sample {
            celsius: m.temperature,
            humidity: m.humidity,
            pascal: m.pressure,
        });
    }
    Ok(samples)
}

fn main() {
    let opts = Options::from_env(&["address"]);
    let address = opts.get("address", "0x76".to_string()).and_then(|a| {
        u8::from_str_radix(a.trim_start_matches("0x"), 16)
            .map_err(|_| UsageError(format!("--address {a}: give 0x76 or 0x77")))
    });
    let address = or_exit(address, EXIT_USAGE);
    let target = opts.open_board_or_exit();
    let count = opts.count.unwrap_or(3);
    let r = with_board!(target, p => run(
        p,
        &opts.i2c,
        address,
        count,
        opts.interval,
        &mut std::io::stdout()
    ));
    exit_on_error("i2c_bme280_crate", r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use udrv_boards::r#virtual::VirtualBoard;

    #[test]
    fn the_crate_reads_what_the_virtual_room_holds() {
        let board = VirtualBoard::at(Duration::from_secs(42));
        // Pin the room so the crate's reading can be compared exactly.
        let env = board.environment();
        env.hold_temperature(Some(udrv_drivers::Temperature(18_250)));
        env.hold_humidity(Some(udrv_drivers::Humidity(63_000)));
        env.hold_pressure(Some(udrv_drivers::Pressure(98_765 * 256)));
        let mut out = Vec::new();
        let s = run(&board, "i2c-1", 0x76, 2, Duration::from_secs(1), &mut out).unwrap();
        assert_eq!(s.len(), 2);
        for x in &s {
            // The crate compensates in floating point (datasheet §8.1), udrv's model
            // inverts the integer formulas: they agree to the sensor's resolution.
            assert!((x.celsius - 18.25).abs() < 0.02, "{x:?}");
            assert!((x.humidity - 63.0).abs() < 0.1, "{x:?}");
            assert!((x.pascal - 98_765.0).abs() < 2.0, "{x:?}");
        }
        assert!(String::from_utf8(out).unwrap().starts_with("18.2"));
    }

    #[test]
    fn no_chip_no_reading() {
        let board = VirtualBoard::at(Duration::ZERO);
        let e = run(&board, "i2c-1", 0x77, 1, Duration::ZERO, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("init at 0x77"), "{e}");
    }
}
