//! Read any chip by its spec, through the chip catalog: `bme280@i2c-1:0x76`, a chip behind
//! a switch channel (`lm75@i2c-1/0x73.5:0x49`), an SPI chip (`mcp3008@spidev0.0`). The
//! bus is opened once, the chip read as often as asked, and every reading comes back as
//! data (quantity, value in its SI unit, the chip, the time, a sequence number), printed
//! here as text and as the JSON the service publishes.
//!
//! ```sh
//! cargo run -p udrv-examples --example read_by_spec                      # virtual board
//! cargo run -p udrv-examples --example read_by_spec -- --chip ds3231@i2c-1
//! cargo run -p udrv-examples --example read_by_spec -- --board rpi4b --chip bme280@i2c_arm:0x76
//! ```
//!
//! Options: `--chip SPEC` (default: the virtual board's `bme280@i2c-1:0x76` and
//! `lm75@i2c-1/0x73.5:0x49`), `-n COUNT` rounds (1), `--interval SECONDS`.

use udrv_boards::catalog::{Buses, ChipReader, Reading, Sequence};
use udrv_examples::{exit_on_error, Options, Target};

/// Reads the chips `specs` names on `buses`, `rounds` times: the few lines a library user
/// writes.
pub fn read(buses: Buses<'_>, specs: &[&str], rounds: u64) -> Result<Vec<Reading>, String> {
    let mut chips = Vec::new();
    for spec in specs {
        let spec = spec.parse().map_err(|e| format!("{e}"))?;
        chips.push(ChipReader::open(spec, buses).map_err(|e| e.to_string())?);
    }
    let mut seq = Sequence::new();
    let mut readings = Vec::new();
    for _ in 0..rounds {
        for chip in &mut chips {
            let read = chip.read(&mut seq, chip.now()).map_err(|e| e.to_string())?;
            readings.extend(read.readings);
        }
    }
    Ok(readings)
}

fn main() {
    let opts = Options::from_env(&["chip"]);
    let specs: Vec<String> = match opts.extra.get("chip") {
        Some(c) => vec![c.clone()],
        None => vec![
            "bme280@i2c-1:0x76".to_string(),
            "lm75@i2c-1/0x73.5:0x49".to_string(),
        ],
    };
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let target = opts.open_board_or_exit();
    let buses = match &target {
        Target::Virtual(b) => Buses::Virtual(b),
        Target::Real(b) => Buses::Linux(Some(&**b)),
    };
    let readings = exit_on_error("read_by_spec", read(buses, &specs, opts.count.unwrap_or(1)));
    for r in &readings {
        let channel = r.channel().map(|c| format!("#{c}")).unwrap_or_default();
        println!(
            "{}{channel} {} = {} {}",
            r.source.with_channel(None),
            r.quantity,
            r.value,
            r.unit()
        );
        println!(
            "{}",
            serde_json::to_string(r).expect("a reading serializes")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};
    use udrv_boards::catalog::Quantity;
    use udrv_boards::r#virtual::VirtualBoard;

    #[test]
    fn reads_a_chip_and_one_behind_a_switch_by_spec() {
        let board = VirtualBoard::at(Duration::from_secs(1000));
        let c = board.environment().conditions();
        let specs = ["bme280@i2c-1:0x76", "lm75@i2c-1/0x73.5:0x49"];
        let r = read(Buses::Virtual(&board), &specs, 2).unwrap();
        // BME280: temperature, humidity, pressure; the LM75: temperature; twice.
        assert_eq!(r.len(), 8, "{r:?}");
        let seqs: Vec<u64> = r.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
        assert!(r
            .iter()
            .all(|r| r.time == UNIX_EPOCH + Duration::from_secs(1000)));
        let room = f64::from(c.temperature.as_millicelsius()) / 1000.0;
        assert_eq!(r[0].quantity, Quantity::Temperature);
        assert!((r[0].value - room).abs() < 0.02, "{} vs {room}", r[0].value);
        assert_eq!((r[2].quantity, r[2].unit()), (Quantity::Pressure, "Pa"));
        let outdoor = f64::from(c.outdoor_temperature.as_millicelsius()) / 1000.0;
        assert_eq!(r[3].source.to_string(), "lm75@i2c-1/0x73.5:0x49");
        // An LM75 reads in 0.5 °C steps, rounded down.
        assert!(r[3].value <= outdoor && outdoor - r[3].value < 0.5, "{r:?}");
        assert_eq!(
            serde_json::to_value(&r[3]).unwrap()["device"],
            "lm75@i2c-1/0x73.5:0x49"
        );
    }

    #[test]
    fn a_bad_spec_or_a_missing_bus_says_so() {
        let board = VirtualBoard::at(Duration::from_secs(5));
        let e = read(Buses::Virtual(&board), &["bme680@i2c-1"], 1).unwrap_err();
        assert!(e.contains("bme680"), "{e}");
        let e = read(Buses::Virtual(&board), &["lm75@i2c-7:0x48"], 1).unwrap_err();
        assert!(e.contains("i2c-7"), "{e}");
    }
}
