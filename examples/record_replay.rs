//! Record on the board, replay in tests: a BME280 and an LM75 are read through
//! `udrv_core::record::Recorder`, which writes every bus transaction to a text log; the same
//! reading code then runs on `udrv_core::record::Replay` of that log, with no bus at all,
//! and must print the same values. Check the log into your repository and the replay half
//! is a test that runs anywhere.
//!
//! ```sh
//! cargo run -p udrv-examples --example record_replay                     # virtual board
//! cargo run -p udrv-examples --example record_replay -- --log session.log --board rpi4b
//! cargo run -p udrv-examples --example record_replay -- --log session.log --only replay
//! ```
//!
//! Options: `--log FILE` (default `record_replay.log` in the temporary folder), `--bme280
//! ADDR` (0x76), `--lm75 ADDR` (0x4f, the virtual board's), `--only replay` (no board:
//! only replay an existing log).

use std::path::{Path, PathBuf};

use embedded_hal::delay::DelayNs;
use embedded_hal::i2c::I2c;
use udrv_boards::r#virtual::{Peripherals, StdDelay};
use udrv_core::record::{Log, Replay};
use udrv_drivers::bme280::{self, Bme280};
use udrv_drivers::lm75::Lm75;
use udrv_examples::{or_exit, with_board, Options, UsageError, EXIT_USAGE};

/// What one reading gives: temperature (m°C), humidity (m%RH) and pressure (Pa) of the
/// BME280, and the LM75's temperature (m°C).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readings {
    /// BME280 temperature, m°C.
    pub temperature: i32,
    /// BME280 relative humidity, m%RH.
    pub humidity: u32,
    /// BME280 pressure, Pa.
    pub pressure: u32,
    /// LM75 temperature, m°C.
    pub lm75: i32,
}

/// The chips' addresses.
#[derive(Clone, Copy, Debug)]
pub struct Addresses {
    /// The BME280's.
    pub bme280: u8,
    /// The LM75's.
    pub lm75: u8,
}

/// The code under test: generic over the bus, so the same function runs on the board,
/// through a recorder, and on a replay.
pub fn read<B: I2c>(
    bme_bus: B,
    lm_bus: B,
    at: Addresses,
    delay: &mut impl DelayNs,
) -> Result<Readings, String>
where
    B::Error: std::fmt::Display,
{
    let mut bme = Bme280::new_i2c(bme_bus, at.bme280);
    bme.init().map_err(|e| format!("BME280: {e}"))?;
    bme.set_config(bme280::Config::default())
        .map_err(|e| format!("BME280: {e}"))?;
    let m = bme
        .measure_forced(delay)
        .map_err(|e| format!("BME280: {e}"))?;
    let mut lm = Lm75::new(lm_bus, at.lm75);
    let t = lm.temperature().map_err(|e| format!("LM75: {e}"))?;
    Ok(Readings {
        temperature: m.temperature.as_millicelsius(),
        humidity: m.humidity.map_or(0, |h| h.as_millipercent()),
        pressure: m.pressure.map_or(0, |p| p.as_pascal()),
        lm75: t.as_millicelsius(),
    })
}

/// Reads the chips on the board's bus `bus`, recording every transaction to `log`.
pub fn record<P: Peripherals>(
    p: &P,
    bus: &str,
    at: Addresses,
    log: &Path,
) -> Result<Readings, Box<dyn std::error::Error>>
where
    <P::I2c as embedded_hal::i2c::ErrorType>::Error: std::fmt::Display,
{
    let log = Log::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    // One name per device in the log; the replay hands out devices by these names.
    let bme = log.record("bme280", p.open_i2c(bus)?);
    let lm = log.record("lm75", p.open_i2c(bus)?);
    let r = read(bme, lm, at, &mut StdDelay)?;
    log.flush()?;
    Ok(r)
}

/// Runs the same reading on a replay of `log`: no bus, the log answers; every transaction
/// must match it, and all of it must be used.
pub fn replay(log: &Path, at: Addresses) -> Result<Readings, Box<dyn std::error::Error>> {
    let replay = Replay::open(log)?;
    let r = read(
        replay.device("bme280"),
        replay.device("lm75"),
        at,
        &mut StdDelay,
    )?;
    replay.finish()?;
    Ok(r)
}

fn address(s: &str) -> Result<u8, UsageError> {
    u8::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|_| UsageError(format!("{s}: give an address like 0x76")))
}

fn main() {
    let opts = Options::from_env(&["log", "bme280", "lm75", "only"]);
    let parsed = (|| -> Result<(PathBuf, Addresses, bool), UsageError> {
        let log = opts.get(
            "log",
            std::env::temp_dir()
                .join("record_replay.log")
                .display()
                .to_string(),
        )?;
        let at = Addresses {
            bme280: address(&opts.get("bme280", "0x76".to_string())?)?,
            lm75: address(&opts.get("lm75", "0x4f".to_string())?)?,
        };
        let only_replay = match opts.get("only", "both".to_string())?.as_str() {
            "both" => false,
            "replay" => true,
            other => return Err(UsageError(format!("--only {other}: give `replay`"))),
        };
        Ok((log.into(), at, only_replay))
    })();
    let (log, at, replay_only) = or_exit(parsed, EXIT_USAGE);
    if !replay_only {
        let target = opts.open_board_or_exit();
        match with_board!(target, p => record(p, &opts.i2c, at, &log)) {
            Ok(r) => println!("recorded: {r:?} -> {}", log.display()),
            Err(e) => {
                eprintln!("record_replay: recording: {e}");
                std::process::exit(1)
            }
        }
    }
    match replay(&log, at) {
        Ok(r) => println!("replayed: {r:?} <- {}", log.display()),
        Err(e) => {
            eprintln!("record_replay: replaying: {e}");
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use udrv_boards::r#virtual::VirtualBoard;

    const AT: Addresses = Addresses {
        bme280: 0x76,
        lm75: 0x4f,
    };

    #[test]
    fn the_replay_gives_what_the_board_gave() {
        let dir = std::env::temp_dir().join(format!("udrv-example-rr-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("session.log");
        let board = VirtualBoard::at(Duration::from_secs(700));
        let live = record(&board, "i2c-1", AT, &log).unwrap();
        // The room of the virtual board at 700 s: a plausible reading.
        assert!((5_000..40_000).contains(&live.temperature), "{live:?}");
        assert!(live.pressure > 90_000, "{live:?}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("# udrv-record 1\n"), "{text}");
        assert!(text.contains("i2c bme280 0x76 w d0 r 60"), "{text}");
        let again = replay(&log, AT).unwrap();
        // A different board time cannot change a replay: the log answers.
        assert_eq!(again, live);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_replay_that_asks_something_else_fails_naming_the_line() {
        let dir = std::env::temp_dir().join(format!("udrv-example-rr2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("session.log");
        record(&VirtualBoard::at(Duration::from_secs(5)), "i2c-1", AT, &log).unwrap();
        // The code changed: it reads an LM75 at another address than recorded.
        let moved = Addresses { lm75: 0x48, ..AT };
        let e = replay(&log, moved).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.contains("session.log") && e.contains("line"), "{e}");
    }
}
