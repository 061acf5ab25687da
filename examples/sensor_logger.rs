//! Sensor logger: a BME280 (temperature, humidity, pressure) and an INA219 (supply voltage
//! and current) read every interval and written as CSV lines.
//!
//! ```sh
//! cargo run -p udrv-examples --example sensor_logger                  # virtual board
//! cargo run -p udrv-examples --example sensor_logger -- -n 10 --interval 2
//! cargo run -p udrv-examples --example sensor_logger -- --board rpi4b --i2c 1 --ina219 0x40
//! ```
//!
//! Options: `--bme280 ADDR` (default 0x76), `--ina219 ADDR` (0x40; `none` for no INA219),
//! `--shunt OHMS` (0.1), `-n COUNT` (default 5), `--interval SECONDS`.

use std::io::Write;
use std::time::Duration;

use udrv_boards::r#virtual::Peripherals;
use udrv_drivers::bme280::{self, Bme280};
use udrv_drivers::ina219::Ina219;
use udrv_examples::{exit_on_error, with_board, Options, UsageError};

/// What the logger does.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The I2C bus.
    pub bus: String,
    /// The BME280's address.
    pub bme280: u8,
    /// The INA219's address, if there is one.
    pub ina219: Option<u8>,
    /// The INA219's shunt resistor, in µΩ.
    pub shunt_micro_ohm: u32,
    /// Rows to log.
    pub rows: u64,
    /// Time between rows.
    pub interval: Duration,
}

fn address(s: &str) -> Result<u8, UsageError> {
    let t = s.trim_start_matches("0x");
    u8::from_str_radix(t, 16).map_err(|_| UsageError(format!("{s}: give an address like 0x76")))
}

/// A shunt in ohms as µΩ, as the INA219 driver takes it.
fn shunt(ohms: f64) -> Result<u32, UsageError> {
    let micro = (ohms * 1e6).round();
    if ohms.is_finite() && micro >= 1.0 && micro <= f64::from(u32::MAX) {
        Ok(micro as u32)
    } else {
        Err(UsageError(format!(
            "--shunt {ohms}: give the shunt resistor in ohms, e.g. 0.1"
        )))
    }
}

impl Settings {
    /// Settings from the command line.
    pub fn from_options(o: &Options) -> Result<Settings, UsageError> {
        let ina = o.get("ina219", "0x40".to_string())?;
        Ok(Settings {
            bus: o.i2c.clone(),
            bme280: address(&o.get("bme280", "0x76".to_string())?)?,
            ina219: if ina == "none" {
                None
            } else {
                Some(address(&ina)?)
            },
            shunt_micro_ohm: shunt(o.get("shunt", 0.1)?)?,
            rows: o.count.unwrap_or(5),
            interval: o.interval,
        })
    }
}

/// Logs `s.rows` CSV rows (after a header) to `out`: seconds since the start,
/// temperature (°C), humidity (%RH), pressure (hPa), and, with an INA219, bus voltage (V)
/// and current (A).
pub fn run<P: Peripherals>(
    p: &P,
    s: &Settings,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>>
where
    <P::I2c as embedded_hal::i2c::ErrorType>::Error: std::fmt::Display,
{
    let bus = p.open_i2c(&s.bus)?;
    let mut bme = Bme280::new_i2c(bus, s.bme280);
    bme.init()
        .map_err(|e| format!("BME280 at {:#04x}: {e}", s.bme280))?;
    bme.set_config(bme280::Config::default())
        .map_err(|e| format!("BME280 at {:#04x}: {e}", s.bme280))?;
    let mut ina = match s.ina219 {
        Some(a) => Some((Ina219::new(p.open_i2c(&s.bus)?, a), a)),
        None => None,
    };
    let mut delay = p.delay();
    write!(out, "seconds,temperature_c,humidity_pct,pressure_hpa")?;
    if ina.is_some() {
        write!(out, ",bus_v,current_a")?;
    }
    writeln!(out)?;
    for row in 0..s.rows {
        if row > 0 {
            p.sleep(s.interval);
        }
        let m = bme
            .measure_forced(&mut delay)
            .map_err(|e| format!("BME280 at {:#04x}: {e}", s.bme280))?;
        write!(
            out,
            "{:.1},{:.2},{:.1},{:.2}",
            row as f64 * s.interval.as_secs_f64(),
            m.temperature.as_celsius_f64(),
            m.humidity.map_or(f64::NAN, |h| h.as_percent_f64()),
            m.pressure.map_or(f64::NAN, |p| p.as_pascal_f64() / 100.0),
        )?;
        if let Some((ina, a)) = ina.as_mut() {
            let m = ina
                .measure_with_shunt(s.shunt_micro_ohm)
                .map_err(|e| format!("INA219 at {a:#04x}: {e}"))?;
            write!(
                out,
                ",{:.3},{:.4}",
                m.bus.voltage.as_volts_f64(),
                m.current.as_amps_f64()
            )?;
        }
        writeln!(out)?;
        out.flush()?;
    }
    Ok(())
}

fn main() {
    let (opts, settings) =
        Options::with_settings_from_env(&["bme280", "ina219", "shunt"], Settings::from_options);
    let target = opts.open_board_or_exit();
    let result = with_board!(target, p => run(p, &settings, &mut std::io::stdout()));
    exit_on_error("sensor_logger", result);
}

#[cfg(test)]
mod tests {
    use super::*;
    use udrv_boards::r#virtual::VirtualBoard;

    #[test]
    fn logs_the_virtual_room_row_by_row() {
        let board = VirtualBoard::at(Duration::from_secs(500));
        let opts = Options::parse(["-n", "6", "--interval", "30"], &["bme280", "ina219"]).unwrap();
        let s = Settings::from_options(&opts).unwrap();
        let mut out = Vec::new();
        run(&board, &s, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<Vec<f64>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
            .collect();
        assert_eq!(
            text.lines().next().unwrap(),
            "seconds,temperature_c,humidity_pct,pressure_hpa,bus_v,current_a"
        );
        assert_eq!(rows.len(), 6);
        let mut temps = Vec::new();
        // The board's delay moved its clock by the intervals and by each row's conversion
        // wait, all alike: row i was measured at 500 + 30 i + (i + 1) wait.
        let wait = (board.environment().elapsed().as_secs_f64() - 650.0) / 6.0;
        assert!(wait > 0.0 && wait < 0.1, "conversion wait {wait} s");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r[0], i as f64 * 30.0);
            // The same moment on a fresh board: what the environment says then.
            let at = 500.0 + 30.0 * i as f64 + (i + 1) as f64 * wait;
            let c = VirtualBoard::at(Duration::from_secs_f64(at))
                .environment()
                .conditions();
            assert!(
                (r[1] - c.temperature.0 as f64 / 1000.0).abs() < 0.05,
                "row {i}: {r:?}"
            );
            assert!((r[4] - c.bus_voltage.0 as f64 / 1e6).abs() < 0.005);
            assert!((r[5] - c.current.0 as f64 / 1e6).abs() < 0.001);
            temps.push(r[1]);
        }
        temps.dedup();
        assert!(temps.len() > 3, "the room's temperature moves: {temps:?}");
    }

    #[test]
    fn a_missing_chip_is_an_error_naming_it() {
        let board = VirtualBoard::at(Duration::from_secs(1));
        let opts = Options::parse(["--bme280", "0x77"], &["bme280"]).unwrap();
        let s = Settings::from_options(&opts).unwrap();
        let e = run(&board, &s, &mut Vec::new()).unwrap_err().to_string();
        assert!(e.contains("BME280 at 0x77"), "{e}");
    }
}
