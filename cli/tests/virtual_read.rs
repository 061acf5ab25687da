//! `udrv --board virtual read`, run as the built binary: every chip of the virtual board,
//! values that match the board's environment at the time `UDRV_VIRTUAL_TIME` fixes, JSON
//! lines, repeated rounds, and the argument errors (exit status 2) and bus errors
//! (exit status 1).

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{assert_stderr_has, json_lines, stderr, stdout, value_text};
use udrv_boards::r#virtual::{VirtualBoard, CHIPS};

const TIME: f64 = 1_000.25;

fn udrv(args: &[&str], time: Option<f64>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.args(args).env_remove("UDRV_BOARD");
    match time {
        Some(t) => c.env("UDRV_VIRTUAL_TIME", t.to_string()),
        None => c.env_remove("UDRV_VIRTUAL_TIME"),
    };
    c.output().expect("run udrv")
}

/// `udrv --board virtual --json read SPECS...` at [`TIME`], which must succeed: its JSON
/// lines.
fn read_json(specs: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["--board", "virtual", "--json", "read"];
    args.extend(specs);
    let o = udrv(&args, Some(TIME));
    assert!(o.status.success(), "{}", stderr(&o));
    json_lines(&o)
}

/// The value printed for `device` and `quantity` in text output.
fn value(out: &str, device: &str, quantity: &str) -> f64 {
    out.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.first() == Some(&device) && f.get(1) == Some(&quantity))
                .then(|| f[2].parse::<f64>().unwrap())
        })
        .unwrap_or_else(|| panic!("no {device} {quantity} in:\n{out}"))
}

#[test]
fn reads_every_chip_with_the_environments_values() {
    let o = udrv(&["--board", "virtual", "read"], Some(TIME));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for c in CHIPS {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{} ", c.spec()))),
            "{} missing:\n{out}",
            c.spec()
        );
    }
    let c = VirtualBoard::at(Duration::from_secs_f64(TIME))
        .environment()
        .conditions();
    let room = c.temperature.0 as f64 / 1000.0;
    let t = value(&out, "bme280@i2c-1:0x76", "temperature");
    assert!((t - room).abs() <= 0.015, "bme280 {t} vs {room}");
    let h = value(&out, "bme280@i2c-1:0x76", "humidity");
    assert!((h - c.humidity.0 as f64 / 1000.0).abs() <= 0.15);
    let p = value(&out, "bme280@i2c-1:0x76", "pressure");
    assert!((p - c.pressure.0 as f64 / 25_600.0).abs() <= 0.02);
    let s = value(&out, "sht3x@i2c-1:0x44", "temperature");
    assert!((s - (room + 0.3)).abs() <= 0.015);
    let lm = value(&out, "lm75@i2c-1:0x4f", "temperature");
    let board = c.board_temperature.0 as f64 / 1000.0;
    assert!(lm <= board && board - lm < 0.5, "lm75 {lm} vs {board}");
    assert_eq!(value(&out, "ads1115@i2c-1:0x48", "ain2"), 1.25);
    assert_eq!(value(&out, "ads1115@i2c-1:0x48", "ain3"), 0.0);
    let ain0 = value(&out, "ads1115@i2c-1:0x48", "ain0");
    assert!((ain0 - c.adc[0].0 as f64 / 1e6).abs() < 0.001);
    let amps = value(&out, "ina219@i2c-1:0x40", "current");
    assert!((amps - c.current.0 as f64 / 1e6).abs() < 0.0002);
    let outdoor = value(&out, "bme280@spidev1.0", "temperature");
    assert!((outdoor - c.outdoor_temperature.0 as f64 / 1000.0).abs() <= 0.015);
    // The LM75s behind the PCA9548's channels 2 (room) and 5 (outdoors): 0.5 °C steps,
    // rounded down.
    for (spec, t) in [
        ("lm75@i2c-1/0x73.2:0x49", room),
        (
            "lm75@i2c-1/0x73.5:0x49",
            c.outdoor_temperature.0 as f64 / 1000.0,
        ),
    ] {
        let lm = value(&out, spec, "temperature");
        assert!(lm <= t && t - lm < 0.5, "{spec} {lm} vs {t}");
    }
    // BH1750, H-resolution: 1/1.2 lx steps (within 0.42 lx), printed to 0.1 lx.
    let lux = value(&out, "bh1750@i2c-1:0x23", "illuminance");
    let light = c.illuminance.0 as f64 / 1000.0;
    assert!((lux - light).abs() <= 0.47, "bh1750 {lux} vs {light}");
    // SHTC3, by the door: 0.2 °C cooler and 1 %RH drier than the room; 16-bit codes
    // (0.003 °C, 0.002 %RH) printed to 0.01 °C and 0.1 %RH.
    let t = value(&out, "shtc3@i2c-1:0x70", "temperature");
    assert!(
        (t - (room - 0.2)).abs() <= 0.01,
        "shtc3 {t} vs {room} - 0.2"
    );
    let h = value(&out, "shtc3@i2c-1:0x70", "humidity");
    let rh = c.humidity.0 as f64 / 1000.0 - 1.0;
    assert!((h - rh).abs() <= 0.06, "shtc3 {h} vs {rh}");
    // Lines with their columns' padding collapsed (the label column is as wide as the
    // longest label).
    let words: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let has = |line: &str| words.iter().any(|w| w == line);
    // MCP23S17: all inputs, the DIP switch (0101) on GPB0-GPB3, the rest floating low.
    assert!(
        has("mcp23s17@spidev1.2 gpioa 0b00000000 (inputs 0b11111111)")
            && has("mcp23s17@spidev1.2 gpiob 0b00000101 (inputs 0b11111111)"),
        "{out}"
    );
    assert!(out.contains("|udrv virtual boa|"), "EEPROM ID:\n{out}");
    // The RTC starts at the board's time: 1000 s after 2000-01-01 (small test times).
    assert!(has("ds3231@i2c-1:0x68 time 2000-01-01 00:16:40"), "{out}");
}

#[test]
fn the_world_moves_between_runs() {
    let a = udrv(&["--board", "virtual", "read", "ads1115@i2c-1"], Some(TIME));
    let b = udrv(
        &["--board", "virtual", "read", "ads1115@i2c-1"],
        Some(TIME + 7.0),
    );
    let (a, b) = (stdout(&a), stdout(&b));
    let dev = "ads1115@i2c-1:0x48";
    assert_ne!(value(&a, dev, "ain0"), value(&b, dev, "ain0"));
    assert_eq!(value(&a, dev, "ain2"), value(&b, dev, "ain2"));
    // On the wall clock (no UDRV_VIRTUAL_TIME) it reads fine too.
    let o = udrv(&["--board", "sim", "read", "lm75@1:0x4f"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = value(&stdout(&o), "lm75@i2c-1:0x4f", "temperature");
    assert!((20.0..45.0).contains(&t), "{t}");
}

#[test]
fn json_is_one_object_per_chip() {
    let lines = read_json(&[]);
    assert_eq!(lines.len(), CHIPS.len());
    for (v, c) in lines.iter().zip(CHIPS) {
        assert_eq!(v["device"], c.spec());
        assert_eq!(v["chip"], c.chip());
        // A chip behind a switch channel: the bus, and the switch on its own.
        let bus_name = c.bus();
        let (bus, switch) = match bus_name.split_once('/') {
            Some((bus, sw)) => {
                let (a, ch) = sw.split_once('.').unwrap();
                let a = u64::from_str_radix(a.trim_start_matches("0x"), 16).unwrap();
                (
                    bus,
                    serde_json::json!({"address": a, "channel": ch.parse::<u64>().unwrap()}),
                )
            }
            None => (bus_name.as_str(), serde_json::Value::Null),
        };
        assert_eq!(v["bus"], bus);
        if c.address().is_some() {
            assert_eq!(v["switch"], switch, "{}", c.spec());
        }
        assert_eq!(v["address"].as_u64(), c.address().map(u64::from));
        assert!(v["readings"].as_object().is_some_and(|r| !r.is_empty()));
    }
    let bme = &lines[0]["readings"];
    assert_eq!(bme["temperature"]["unit"], "°C");
    let text = stdout(&udrv(
        &["--board", "virtual", "read", "bme280@i2c-1"],
        Some(TIME),
    ));
    assert_eq!(
        bme["temperature"]["value"].as_f64().unwrap(),
        value(&text, "bme280@i2c-1:0x76", "temperature")
    );
    let ds = &lines.iter().find(|v| v["chip"] == "ds3231").unwrap()["readings"];
    assert!(ds["time"]["value"].as_str().unwrap().starts_with("20"));
    // The new chips: the text's values and units, and where they are.
    let full = stdout(&udrv(&["--board", "virtual", "read"], Some(TIME)));
    let chip = |name: &str| lines.iter().find(|v| v["chip"] == name).unwrap();
    let (bh, sht, io) = (chip("bh1750"), chip("shtc3"), chip("mcp23s17"));
    assert_eq!(
        (bh["bus"].as_str(), bh["address"].as_u64()),
        (Some("i2c-1"), Some(0x23))
    );
    assert_eq!(bh["readings"]["illuminance"]["unit"], "lx");
    assert_eq!(
        bh["readings"]["illuminance"]["value"].as_f64().unwrap(),
        value(&full, "bh1750@i2c-1:0x23", "illuminance")
    );
    assert_eq!(sht["address"].as_u64(), Some(0x70));
    for (q, unit) in [("temperature", "°C"), ("humidity", "%RH")] {
        assert_eq!(sht["readings"][q]["unit"], unit);
        assert_eq!(
            sht["readings"][q]["value"].as_f64().unwrap(),
            value(&full, "shtc3@i2c-1:0x70", q)
        );
    }
    assert_eq!(
        (io["bus"].as_str(), io["address"].as_u64()),
        (Some("spidev1.2"), None)
    );
    assert_eq!(
        io["readings"]["gpiob"],
        serde_json::json!({"value": 0b0101, "inputs_mask": 0xff})
    );
}

#[test]
fn light_and_humidity_move_with_the_clock() {
    let read = |t: f64| {
        let o = udrv(
            &["--board", "virtual", "read", "bh1750@i2c-1", "shtc3@1"],
            Some(t),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let (a, b) = (read(TIME), read(TIME + 30.0));
    for (dev, q) in [
        ("bh1750@i2c-1:0x23", "illuminance"),
        ("shtc3@i2c-1:0x70", "temperature"),
        ("shtc3@i2c-1:0x70", "humidity"),
    ] {
        assert_ne!(value(&a, dev, q), value(&b, dev, q), "{dev} {q}");
        let c = VirtualBoard::at(Duration::from_secs_f64(TIME + 30.0))
            .environment()
            .conditions();
        if q == "illuminance" {
            let lux = c.illuminance.0 as f64 / 1000.0;
            assert!((value(&b, dev, q) - lux).abs() <= 0.47);
        }
    }
    // The BH1750 at its other address, and the SHTC3 at any other, are refused before
    // any bus is touched.
    let o = udrv(
        &["--board", "virtual", "read", "shtc3@i2c-1:0x71"],
        Some(TIME),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(&o, "answers only at 0x70");
    let o = udrv(
        &["--board", "virtual", "read", "bh1750@i2c-1:0x5c"],
        Some(TIME),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "nothing at 0x5c on the virtual board"
    );
    let o = udrv(
        &["--board", "virtual", "read", "mcp23s17@i2c-1"],
        Some(TIME),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_stderr_has(&o, "no I2C interface");
}

#[test]
fn rounds_and_environment_board() {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    let o = c
        .args(["read", "-n", "3", "--watch", "0.05", "sht3x@i2c-1:0x44"])
        .env("UDRV_BOARD", "virtual")
        .env("UDRV_VIRTUAL_TIME", "50")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out.matches("sht3x@i2c-1:0x44  temperature").count(),
        3,
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.is_empty()).count(),
        2,
        "rounds apart"
    );
}

#[test]
fn argument_errors_are_usage_errors_before_any_bus_is_opened() {
    for (args, needle) in [
        (vec!["read", "bme680@i2c-1"], "unknown chip `bme680`"),
        (
            vec!["read", "bme280@i2c-1:0x48"],
            "answers only at 0x76, 0x77",
        ),
        (vec!["read", "sht3x@spidev0.0"], "no SPI interface"),
        (vec!["read", "bme280"], "is not CHIP@BUS[:ADDR]"),
        (vec!["read", "-n", "0", "lm75@1"], "at least one round"),
        (vec!["read", "--watch=0", "lm75@1"], "positive number"),
        // Real buses: the bad second argument stops the run before the first bus is
        // opened (i2c-250 does not exist, which would be exit status 1).
        (vec!["read", "lm75@i2c-250:0x48", "xyz"], "is not CHIP@BUS"),
        (vec!["read"], "name a chip"),
    ] {
        let o = udrv(&args, Some(TIME));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn bus_errors_are_operation_errors() {
    let o = udrv(
        &["--board", "virtual", "read", "lm75@i2c-2:0x48"],
        Some(TIME),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_stderr_has(&o, "i2c-2");
    let o = udrv(&["read", "lm75@i2c-250:0x48"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_stderr_has(&o, "/dev/i2c-250");
    // A chip that is not there NACKs: one line naming it.
    let o = udrv(
        &["--board", "virtual", "read", "tmp102@i2c-1:0x4a"],
        Some(TIME),
    );
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.starts_with("udrv: tmp102@i2c-1:0x4a: ") && e.lines().count() == 1,
        "{e}"
    );
    let o = udrv(&["--board", "virtual", "read"], Some(-1.0));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn list_names_every_chip() {
    let o = udrv(&["read", "--list"], None);
    assert!(o.status.success());
    let out = stdout(&o);
    for c in [
        "bme280", "sht3x", "ads1115", "ina219", "ds3231", "mcp23017", "at24c32", "bh1750", "shtc3",
        "mcp23s17",
    ] {
        assert!(out.lines().any(|l| l.starts_with(c)), "{c}:\n{out}");
    }
    // What a read sends to the command-driven chips.
    let line = |c: &str| out.lines().find(|l| l.starts_with(c)).unwrap().to_string();
    assert!(line("bh1750 ").contains("I2C 0x23, 0x5c") && line("bh1750 ").contains("0x20"));
    assert!(line("shtc3 ").contains("0x7866") && line("shtc3 ").contains("0xb098"));
    assert!(line("mcp23s17 ").contains("SPI") && line("mcp23s17 ").contains("0x41"));
}

#[test]
fn an_mcp23s17_is_named_by_its_hardware_address() {
    let read = |spec: &str| {
        let o = udrv(&["--board", "virtual", "read", spec], Some(TIME));
        assert!(o.status.success(), "{spec}: {}", stderr(&o));
        stdout(&o)
    };
    // The board's chip has A2..A0 low and HAEN off: address 0 is the one it answers.
    let plain = read("mcp23s17@spidev1.2");
    let at0 = read("mcp23s17@spidev1.2:0");
    assert_eq!(
        value_text(&plain, "gpiob"),
        value_text(&at0, "gpiob"),
        "{plain}{at0}"
    );
    assert!(at0.starts_with("mcp23s17@spidev1.2:0  gpioa"), "{at0}");
    // Nothing answers address 3 on that chip select: the bus reads all ones.
    let at3 = read("mcp23s17@spidev1.2:3");
    assert_eq!(value_text(&at3, "gpiob"), "0b11111111 (inputs 0b11111111)");
    // Only chips with address pins on SPI take one.
    let o = udrv(
        &["--board", "virtual", "read", "bme280@spidev1.0:1"],
        Some(TIME),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_bad_address_or_an_spi_number_is_read_as_the_user_meant() {
    // A non-number after a bus's ':' is a bad address, not part of the bus's name.
    for spec in ["bme280@i2c-1:abc", "bme280@1:0x7g", "lm75@/dev/i2c-1:x48"] {
        let o = udrv(&["--board", "virtual", "read", spec], Some(TIME));
        assert_eq!(o.status.code(), Some(2), "{spec}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("address") && !e.contains("no I2C bus"),
            "{spec}: {e}"
        );
    }
    // B.C is an SPI device, as in `spi transfer`.
    let o = udrv(&["--board", "virtual", "read", "mcp3008@0.0"], Some(TIME));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("mcp3008@spidev0.0  ch0"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_wrong_switch_or_chip_is_named_not_read() {
    // 0x70 is the SHTC3 on the virtual board, not a PCA9548: refused before anything is
    // written to it, naming what answers there.
    let o = udrv(
        &["--board", "virtual", "read", "lm75@i2c-1/0x70.3:0x48"],
        Some(TIME),
    );
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}\n{}", stdout(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(e.contains("0x70") && e.contains("shtc3"), "{e}");
    // Chips with an ID register: the wrong one fails, naming what answered.
    for (spec, answered) in [
        ("bme280@i2c-1:0x77", "dps310"),
        ("dps310@i2c-1:0x76", "bme280"),
    ] {
        let o = udrv(&["--board", "virtual", "read", spec], Some(TIME));
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{spec}: {e}");
        assert!(e.contains(answered), "{spec}: {e}");
    }
    // The W25Q32's JEDEC ID: an MCP3008 does not answer it.
    let o = udrv(
        &["--board", "virtual", "read", "w25q32@spidev0.0"],
        Some(TIME),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_stderr_has(&o, "JEDEC");
}

#[test]
fn chips_without_an_id_register_are_said_not_identified() {
    // An LM75 read where the ADS1115 is (0x48, seen through the switch's channel 2, which
    // joins the parent bus): nothing can tell, and the output says so.
    let o = udrv(
        &["--board", "virtual", "read", "lm75@i2c-1/0x73.2:0x48"],
        Some(TIME),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("not identified") && e.contains("lm75@i2c-1/0x73.2:0x48"),
        "{e}"
    );
    let v = read_json(&["lm75@i2c-1:0x4f", "bme280@1"]);
    assert_eq!(v[0]["identified"], false, "{}", v[0]);
    assert!(v[0]["identification"]
        .as_str()
        .unwrap()
        .contains("no ID register"));
    assert_eq!(v[1]["identified"], true, "{}", v[1]);
    assert!(v[1]["identification"].as_str().unwrap().contains("0x60"));
    // Identified chips print no note.
    let o = udrv(&["--board", "virtual", "read", "bme280@1"], Some(TIME));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn expander_ports_are_numbers_in_json() {
    let v = read_json(&["mcp23s17@spidev1.2", "pca9554@i2c-1:0x21"]);
    // The DIP switch (0101) on GPB0-GPB3, every pin an input.
    assert_eq!(
        v[0]["readings"]["gpiob"],
        serde_json::json!({"value": 0b0101, "inputs_mask": 0xff})
    );
    // PCA9554: DIP switches on IO4-IO7 (on pulls low: on, off, on, off), IO0-IO3 free.
    let p = &v[1]["readings"]["port0"];
    assert_eq!(p["inputs_mask"], 0xff, "{p}");
    assert_eq!(p["value"].as_u64().unwrap() >> 4, 0b1010, "{p}");
}

#[test]
fn json_data_is_the_catalogs_serialization_of_the_readings() {
    use std::time::UNIX_EPOCH;
    use udrv_boards::catalog::{Buses, ChipReader, Reading, Sequence};
    let specs = [
        "bme280@i2c-1",
        "lm75@i2c-1/0x73.2:0x49",
        "mcp23s17@spidev1.2",
    ];
    let lines = read_json(&specs);
    assert_eq!(lines.len(), specs.len());
    // The same chips read by spec through the library, on the virtual board at the same
    // time, numbered by one sequence as one `udrv read` numbers them, stamped by the
    // board's clock.
    let board = VirtualBoard::at(Duration::from_secs_f64(TIME));
    let mut seq = Sequence::new();
    for (v, spec) in lines.iter().zip(specs) {
        let mut chip = ChipReader::open(spec.parse().unwrap(), Buses::Virtual(&board)).unwrap();
        let read = chip.read(&mut seq, chip.now()).unwrap();
        assert_eq!(chip.now(), UNIX_EPOCH + Duration::from_secs_f64(TIME));
        let data = v["data"]
            .as_array()
            .unwrap_or_else(|| panic!("no data in {v}"));
        assert!(!data.is_empty(), "{v}");
        assert_eq!(
            v["data"],
            serde_json::to_value(&read.readings).unwrap(),
            "{spec}"
        );
        // Each element is one reading, as the service will publish it.
        for d in data {
            let r: Reading = serde_json::from_value(d.clone()).unwrap();
            assert_eq!(&serde_json::to_value(&r).unwrap(), d);
            assert_eq!(d["device"], v["device"]);
        }
    }
    // The numbers go on across chips: one sequence for the whole command.
    let seqs: Vec<u64> = lines
        .iter()
        .flat_map(|v| v["data"].as_array().unwrap().iter())
        .map(|d| d["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
}
