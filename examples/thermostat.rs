//! Thermostat: a BME280 measures the room, a GPIO output drives the heater relay, with
//! hysteresis so the relay does not chatter: on below `setpoint - hysteresis`, off above
//! `setpoint + hysteresis`, unchanged in between.
//!
//! On the virtual board the relay (`GPIO27`, pin 13) really heats the simulated room, so
//! the loop regulates around the setpoint.
//!
//! ```sh
//! cargo run -p udrv-examples --example thermostat -- --setpoint 23 -n 120 --interval 0.5
//! cargo run -p udrv-examples --example thermostat -- --board rpi4b --i2c 1 --relay GPIO27
//! ```
//!
//! Options: `--setpoint CELSIUS` (23), `--hysteresis CELSIUS` (0.5), `--relay PIN` (GPIO27),
//! `--bme280 ADDR` (0x76), `-n COUNT` (60), `--interval SECONDS`.

use std::io::Write;
use std::time::Duration;

use embedded_hal::digital::OutputPin;
use udrv_boards::r#virtual::Peripherals;
use udrv_boards::PinSpec;
use udrv_drivers::bme280::{self, Bme280};
use udrv_examples::{exit_on_error, with_board, Options, UsageError};

/// The control law: what the heater should be, given the temperature and its state now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hysteresis {
    /// Target temperature, °C.
    pub setpoint: f64,
    /// Half the dead band, °C.
    pub hysteresis: f64,
}

impl Hysteresis {
    /// On below the band, off above it, unchanged inside.
    pub fn heater(&self, celsius: f64, on: bool) -> bool {
        if celsius < self.setpoint - self.hysteresis {
            true
        } else if celsius > self.setpoint + self.hysteresis {
            false
        } else {
            on
        }
    }
}

/// One step of the loop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// Seconds since the start.
    pub seconds: f64,
    /// The temperature measured.
    pub celsius: f64,
    /// The heater after this step.
    pub heater: bool,
}

/// What the thermostat does.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The I2C bus of the BME280.
    pub bus: String,
    /// The BME280's address.
    pub address: u8,
    /// The relay's pin: a name (`GPIO27`) or a header number (`13`).
    pub relay: String,
    /// The control law.
    pub law: Hysteresis,
    /// Steps to run.
    pub steps: u64,
    /// Time between steps.
    pub interval: Duration,
}

impl Settings {
    /// Settings from the command line.
    pub fn from_options(o: &Options) -> Result<Settings, UsageError> {
        let addr = o.get("bme280", "0x76".to_string())?;
        let address = u8::from_str_radix(addr.trim_start_matches("0x"), 16)
            .map_err(|_| UsageError(format!("--bme280 {addr}: give an address like 0x76")))?;
        Ok(Settings {
            bus: o.i2c.clone(),
            address,
            relay: o.get("relay", "GPIO27".to_string())?,
            law: Hysteresis {
                setpoint: o.get("setpoint", 23.0)?,
                hysteresis: o.get("hysteresis", 0.5)?,
            },
            steps: o.count.unwrap_or(60),
            interval: o.interval,
        })
    }
}

/// Runs the loop, printing one line per step, and returns the steps.
pub fn run<P: Peripherals>(
    p: &P,
    s: &Settings,
    out: &mut impl Write,
) -> Result<Vec<Step>, Box<dyn std::error::Error>>
where
    <P::I2c as embedded_hal::i2c::ErrorType>::Error: std::fmt::Debug,
    <P::Output as embedded_hal::digital::ErrorType>::Error: std::fmt::Debug,
{
    let (address, law, interval) = (s.address, s.law, s.interval);
    let mut sensor = Bme280::new_i2c(p.open_i2c(&s.bus)?, address);
    sensor
        .init()
        .map_err(|e| format!("BME280 at {address:#04x}: {e:?}"))?;
    sensor
        .set_config(bme280::Config::default())
        .map_err(|e| format!("{e:?}"))?;
    let mut heater = p.open_output(PinSpec::Name(&s.relay), false)?;
    let mut delay = p.delay();
    let mut on = false;
    let mut log = Vec::new();
    for i in 0..s.steps {
        if i > 0 {
            p.sleep(interval);
        }
        let m = sensor
            .measure_forced(&mut delay)
            .map_err(|e| format!("{e:?}"))?;
        let celsius = m.temperature.as_millicelsius() as f64 / 1000.0;
        let next = law.heater(celsius, on);
        if next != on {
            if next {
                heater.set_high()
            } else {
                heater.set_low()
            }
            .map_err(|e| format!("relay: {e:?}"))?;
            on = next;
        }
        let step = Step {
            seconds: i as f64 * interval.as_secs_f64(),
            celsius,
            heater: on,
        };
        writeln!(
            out,
            "{:7.1} s  {:6.2} °C  heater {}",
            step.seconds,
            celsius,
            if on { "on" } else { "off" }
        )?;
        log.push(step);
    }
    heater.set_low().map_err(|e| format!("relay: {e:?}"))?;
    Ok(log)
}

fn main() {
    let (opts, settings) = Options::with_settings_from_env(
        &["setpoint", "hysteresis", "relay", "bme280"],
        Settings::from_options,
    );
    let target = opts.open_board_or_exit();
    let r = with_board!(target, p => run(p, &settings, &mut std::io::stdout()));
    exit_on_error("thermostat", r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use udrv_boards::r#virtual::VirtualBoard;

    /// The law of the virtual-room tests: 24 °C ± 0.5 °C.
    const LAW: Hysteresis = Hysteresis {
        setpoint: 24.0,
        hysteresis: 0.5,
    };

    #[test]
    fn the_law() {
        let law = Hysteresis {
            setpoint: 20.0,
            hysteresis: 1.0,
        };
        assert!(law.heater(18.9, false));
        assert!(law.heater(20.5, true), "inside the band: stays on");
        assert!(!law.heater(20.5, false), "inside the band: stays off");
        assert!(!law.heater(21.1, true));
    }

    #[test]
    fn regulates_the_virtual_room() {
        let board = VirtualBoard::at(Duration::ZERO);
        let opts = Options::parse(
            [
                "--setpoint",
                "24",
                "--hysteresis",
                "0.5",
                "--relay",
                "13",
                "-n",
                "400",
                "--interval",
                "5",
            ],
            &["setpoint", "hysteresis", "relay"],
        )
        .unwrap();
        let s = Settings::from_options(&opts).unwrap();
        assert_eq!(s.law, LAW);
        let mut out = Vec::new();
        let log = run(&board, &s, &mut out).unwrap();
        assert_eq!(log.len(), 400);
        assert!(
            log[0].celsius < 23.0 && log[0].heater,
            "starts cold: {:?}",
            log[0]
        );
        // The relay changes only when the temperature leaves the band.
        let mut switches = 0;
        for w in log.windows(2) {
            if w[1].heater != w[0].heater {
                switches += 1;
                if w[1].heater {
                    assert!(w[1].celsius < 23.5, "{w:?}");
                } else {
                    assert!(w[1].celsius > 24.5, "{w:?}");
                }
            }
        }
        assert!(switches >= 6, "cycles: {switches}");
        // Once warm, the room stays near the setpoint (the heater overshoots a little).
        let first_warm = log.iter().position(|s| s.celsius > 24.0).unwrap();
        for s in &log[first_warm..] {
            assert!((23.0..25.5).contains(&s.celsius), "{s:?}");
        }
        // Without the relay the same room cools to ambient (about 21 °C): the heater did it.
        let cold = VirtualBoard::at(Duration::from_secs(2000));
        assert!(cold.environment().conditions().temperature.0 < 23_000);
        assert!(!board.level("GPIO27").unwrap(), "relay off at the end");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 400);
        assert!(text.contains("heater on") && text.contains("heater off"));
    }

    #[test]
    fn refuses_an_input_line_as_relay() {
        let board = VirtualBoard::at(Duration::ZERO);
        let s = Settings {
            bus: "i2c-1".into(),
            address: 0x76,
            relay: "GPIO17".into(),
            law: LAW,
            steps: 1,
            interval: Duration::ZERO,
        };
        let e = run(&board, &s, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("MCP23017 INTA"), "{e}");
    }
}
