//! Interoperability, the other way: udrv's drivers (`udrv-drivers`: LM75 and BME280) on
//! somebody else's embedded-hal implementation, the
//! [`linux-embedded-hal`](https://crates.io/crates/linux-embedded-hal) crate's `I2cdev` and
//! `Delay`, on a real board; on the virtual board the same code runs over the simulated
//! bus. The drivers only need embedded-hal 1.0, and give the bus back when done
//! (`release()`), so one bus serves both in turn.
//!
//! ```sh
//! cargo run -p udrv-examples --example i2c_linux_embedded_hal                 # virtual
//! cargo run -p udrv-examples --example i2c_linux_embedded_hal -- --board rpi4b --i2c 1 --lm75 0x48
//! ```
//!
//! Options: `--lm75 ADDR` (0x4f), `--bme280 ADDR` (0x76; `none` to skip).

use std::io::Write;

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;
use udrv_drivers::bme280::{self, Bme280};
use udrv_drivers::lm75::Lm75;
use udrv_examples::{exit_on_error, Options, UsageError, VirtualBoard};

/// What was read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// The LM75's temperature, °C.
    pub lm75: f32,
    /// The BME280's temperature (°C) and pressure (hPa), when one was read.
    pub bme280: Option<(f32, f32)>,
}

/// Reads an LM75 at `lm75` and (optionally) a BME280 at `bme280` through any embedded-hal
/// I2C bus, and gives the bus back.
pub fn run<I, D>(
    i2c: I,
    delay: &mut D,
    lm75: u8,
    bme280: Option<u8>,
    out: &mut impl Write,
) -> Result<(I, Report), Box<dyn std::error::Error>>
where
    I: I2c,
    I::Error: std::fmt::Display,
    D: DelayNs,
{
    let mut sensor = Lm75::new(i2c, lm75);
    let t = sensor
        .temperature()
        .map_err(|e| format!("LM75 at {lm75:#04x}: {e}"))?;
    writeln!(out, "LM75   @{lm75:#04x}: {:.1} °C", t.as_celsius_f32())?;
    let mut i2c = sensor.release();
    let mut report = Report {
        lm75: t.as_celsius_f32(),
        bme280: None,
    };
    if let Some(a) = bme280 {
        let mut s = Bme280::new_i2c(i2c, a);
        let m = s
            .init()
            .and_then(|()| s.set_config(bme280::Config::default()))
            .and_then(|()| s.measure_forced(delay))
            .map_err(|e| format!("BME280 at {a:#04x}: {e}"))?;
        let (c, hpa) = (
            m.temperature.as_celsius_f32(),
            m.pressure.map_or(f32::NAN, |p| p.as_hectopascal_f32()),
        );
        writeln!(out, "BME280 @{a:#04x}: {c:.2} °C, {hpa:.2} hPa")?;
        report.bme280 = Some((c, hpa));
        i2c = s.release();
    }
    Ok((i2c, report))
}

fn address(o: &Options, name: &str, default: &str) -> Result<Option<u8>, UsageError> {
    let a = o.get(name, default.to_string())?;
    if a == "none" {
        return Ok(None);
    }
    u8::from_str_radix(a.trim_start_matches("0x"), 16)
        .map(Some)
        .map_err(|_| UsageError(format!("--{name} {a}: give an address like {default}")))
}

fn main() {
    let opts = Options::from_env(&["lm75", "bme280"]);
    let (lm75, bme) = match (
        address(&opts, "lm75", "0x4f"),
        address(&opts, "bme280", "0x76"),
    ) {
        (Ok(Some(l)), Ok(b)) => (l, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
        (Ok(None), _) => {
            eprintln!("--lm75 needs an address");
            std::process::exit(2)
        }
    };
    let out = &mut std::io::stdout();
    let r = if opts.is_virtual() {
        let board = VirtualBoard::wall_clock();
        use udrv_boards::r#virtual::Peripherals;
        board
            .open_i2c(&opts.i2c)
            .map_err(|e| e.to_string().into())
            .and_then(|bus| run(bus, &mut board.delay(), lm75, bme, out))
            .map(drop)
    } else {
        // linux-embedded-hal's own types: udrv's boards only tell which /dev node.
        let n = opts.i2c.trim_start_matches("i2c-");
        let path = if n.starts_with('/') {
            n.to_string()
        } else {
            format!("/dev/i2c-{n}")
        };
        linux_embedded_hal::I2cdev::new(&path)
            .map_err(|e| format!("{path}: {e}").into())
            .and_then(|bus| run(bus, &mut linux_embedded_hal::Delay, lm75, bme, out))
            .map(drop)
    };
    exit_on_error("i2c_linux_embedded_hal", r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use udrv_boards::r#virtual::{Peripherals, StdDelay};

    #[test]
    fn our_drivers_read_the_virtual_board_through_the_generic_path() {
        let board = VirtualBoard::at(Duration::from_secs(77));
        let c = board.environment().conditions();
        let mut out = Vec::new();
        let (bus, r) = run(
            board.open_i2c("i2c-1").unwrap(),
            &mut StdDelay,
            0x4f,
            Some(0x76),
            &mut out,
        )
        .unwrap();
        let board_c = c.board_temperature.0 as f32 / 1000.0;
        assert!(r.lm75 <= board_c && board_c - r.lm75 < 0.5, "{r:?}");
        let (t, hpa) = r.bme280.unwrap();
        assert!((t - c.temperature.0 as f32 / 1000.0).abs() < 0.02, "{r:?}");
        assert!(
            (hpa - c.pressure.as_hectopascal_f32()).abs() < 0.05,
            "{r:?}"
        );
        assert_eq!(
            bus.addresses().len(),
            board.open_i2c("1").unwrap().addresses().len()
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("LM75   @0x4f: "), "{text}");
    }

    #[test]
    fn linux_embedded_hal_types_fit_the_generic_path() {
        // Compile-time proof that linux-embedded-hal's I2C bus and delay satisfy `run`'s
        // bounds (the guest test `guest_examples` runs them against a real kernel).
        fn accepts<I: I2c<Error = E>, E: std::fmt::Debug, D: DelayNs>(_: Option<(I, D)>) {}
        accepts::<linux_embedded_hal::I2cdev, _, linux_embedded_hal::Delay>(None);
        // And on a node that does not exist, the crate's error reaches the user.
        assert!(linux_embedded_hal::I2cdev::new("/dev/i2c-250").is_err());
    }
}
