//! `udrv --board virtual i2c ...`: every i2c command works on the virtual board's
//! simulated bus, as it does on /dev/i2c-N.

mod common;

use common::{udrv_virtual as udrv, udrv_virtual_ok as ok};
use udrv_boards::r#virtual::CHIPS;

/// The addresses on `i2c-1` as the board's documentation lists them (README, the table of
/// `udrv_boards::virtual`): BME280 0x76, SHT3x 0x44, ADS1115 0x48, INA219 0x40, LM75 0x4f,
/// AT24C32 0x50, PCA9685 0x41 and its all-call address moved to 0x6f, DS3231 0x68,
/// MCP23017 0x20, PCA9554 0x21, DPS310 0x77, PCA9548 0x73, BH1750 0x23, SHTC3 0x70. Typed
/// here, not taken from the board's code; which chip answers at each is checked below
/// against its datasheet.
const DOCUMENTED: [u8; 15] = [
    0x20, 0x21, 0x23, 0x40, 0x41, 0x44, 0x48, 0x4f, 0x50, 0x68, 0x6f, 0x70, 0x73, 0x76, 0x77,
];

/// The addresses an `i2cdetect` grid shows as present.
fn grid_addresses(grid: &str) -> Vec<u8> {
    let mut found = Vec::new();
    for line in grid.lines().skip(1) {
        let (row, cells) = line.split_once(':').expect("a grid row");
        let row = u8::from_str_radix(row.trim(), 16).expect("row label");
        for (col, cell) in cells.as_bytes().chunks(3).enumerate() {
            let cell = std::str::from_utf8(cell).unwrap().trim();
            if cell.is_empty() || cell == "--" {
                continue;
            }
            let a = row + col as u8;
            assert_eq!(cell, format!("{a:02x}"), "cell {a:#04x} in:\n{grid}");
            found.push(a);
        }
    }
    found
}

#[test]
fn detect_finds_exactly_the_documented_chips() {
    let grid = ok(&["i2c", "detect", "-y", "1"]);
    assert_eq!(grid_addresses(&grid), DOCUMENTED, "{grid}");
    // The JSON form lists the same addresses.
    let o = ok(&["--json", "i2c", "detect", "-y", "i2c_arm"]);
    let v: serde_json::Value = serde_json::from_str(o.trim()).unwrap();
    let present: Vec<u64> = v["present"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_u64().unwrap())
        .collect();
    assert_eq!(present, DOCUMENTED.map(u64::from), "{v}");
    // The board's own table (what `udrv read` walks) agrees with its documentation.
    let mut table: Vec<u8> = CHIPS
        .iter()
        .filter(|c| c.bus() == "i2c-1")
        .filter_map(|c| c.address())
        .chain([0x6f])
        .collect();
    table.sort_unstable();
    assert_eq!(table, DOCUMENTED);
}

/// Sensirion's CRC-8 (SHT3x-DIS datasheet §4.12 table 19: polynomial 0x31, init 0xFF),
/// bit by bit.
fn sensirion_crc(data: &[u8]) -> u8 {
    let mut crc = 0xFFu8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x31
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[test]
fn each_address_answers_with_its_chips_datasheet_registers() {
    // Identification and power-on register values from each chip's datasheet. Word reads
    // are SMBus words, low byte first, as i2cget prints them: the INA219's 0x399F shows as
    // 0x9f39.
    let get = |args: &[&str]| {
        let mut a = vec!["i2c", "get", "-y", "1"];
        a.extend_from_slice(args);
        ok(&a).trim().to_string()
    };
    let cases: [(&[&str], &str, &str); 14] = [
        (&["0x76", "0xd0"], "0x60", "BME280 id (§5.4.1)"),
        (
            &["0x77", "0x0d"],
            "0x10",
            "DPS310 PROD_ID (product 0, revision 1)",
        ),
        (
            &["0x68", "0x0e"],
            "0x1c",
            "DS3231 control at power-on (RS2 RS1 INTCN)",
        ),
        (
            &["0x20", "0x00"],
            "0xff",
            "MCP23017 IODIRA at reset (all inputs)",
        ),
        (&["0x20", "0x01"], "0xff", "MCP23017 IODIRB at reset"),
        (
            &["0x21", "0x03"],
            "0xff",
            "PCA9554 configuration at power-on",
        ),
        (
            &["0x40", "0x00", "w"],
            "0x9f39",
            "INA219 configuration 0x399F at reset",
        ),
        (
            &["0x41", "0x00"],
            "0x11",
            "PCA9685 MODE1 at reset (SLEEP, ALLCALL)",
        ),
        (
            &["0x6f", "0x00"],
            "0x11",
            "the PCA9685 again, at its all-call address",
        ),
        (
            &["0x41", "0x05"],
            "0xde",
            "ALLCALLADR moved to 0x6f (0xde = 0x6f << 1)",
        ),
        (
            &["0x48", "0x01", "w"],
            "0x8385",
            "ADS1115 config 0x8583 at reset",
        ),
        (
            &["0x4f", "0x02", "w"],
            "0x004b",
            "LM75 T_HYST 75 °C (0x4B00) at power-on",
        ),
        (
            &["0x4f", "0x03", "w"],
            "0x0050",
            "LM75 T_OS 80 °C (0x5000) at power-on",
        ),
        (&["0x73"], "0x00", "PCA9548 control: no channel at power-on"),
    ];
    for (args, want, what) in cases {
        assert_eq!(get(args), want, "{what}: udrv i2c get -y 1 {args:?}");
    }
    // Command chips, read with transfers: the SHT3x status after reset is 0x8010 (alert
    // pending, reset detected: datasheet table 17), the SHTC3's ID register matches
    // 0bxxxx_1xxx_xx00_0111 (datasheet §5.9); each word followed by its CRC.
    let words = |args: &[&str]| -> Vec<u8> {
        let mut a = vec!["i2c", "transfer", "-y", "1"];
        a.extend_from_slice(args);
        ok(&a)
            .split_whitespace()
            .map(|b| u8::from_str_radix(b.trim_start_matches("0x"), 16).unwrap())
            .collect()
    };
    assert_eq!(
        sensirion_crc(&[0xBE, 0xEF]),
        0x92,
        "the datasheet's CRC example"
    );
    let st = words(&["w2@0x44", "0xf3", "0x2d", "r3"]);
    assert_eq!(st[..2], [0x80, 0x10], "SHT3x status {st:02x?}");
    assert_eq!(st[2], sensirion_crc(&st[..2]), "SHT3x CRC {st:02x?}");
    let id = words(&["w2@0x70", "0xef", "0xc8", "r3"]);
    assert_eq!(
        u16::from_be_bytes([id[0], id[1]]) & 0x083F,
        0x0807,
        "SHTC3 ID {id:02x?}"
    );
    assert_eq!(id[2], sensirion_crc(&id[..2]), "SHTC3 CRC {id:02x?}");
}

/// The AT24C32's ID record as the board documents it ("an ID record at 0x0000": the
/// text `udrv virtual board` and its NUL), typed here.
const ID_RECORD: &[u8] = b"udrv virtual board\0";

fn hex_bytes(out: &str) -> Vec<u8> {
    out.split_whitespace()
        .map(|b| u8::from_str_radix(b.trim_start_matches("0x"), 16).unwrap())
        .collect()
}

#[test]
fn transfer_and_read_show_the_eeprom_as_the_datasheet_reads_it() {
    // Random read (AT24C32 datasheet: a dummy write of the 2-byte word address, then a
    // sequential read): the ID record, then erased bytes (0xFF, as shipped).
    let got = hex_bytes(&ok(&[
        "i2c", "transfer", "-y", "1", "w2@0x50", "0x00", "0x00", "r32",
    ]));
    let mut want = ID_RECORD.to_vec();
    want.resize(32, 0xFF);
    assert_eq!(got, want);
    // A sequential read past the last byte (0x0FFF) rolls over to 0x0000 (datasheet,
    // "Sequential Read").
    let got = hex_bytes(&ok(&[
        "i2c", "transfer", "-y", "1", "w2@0x50", "0x0f", "0xf8", "r16",
    ]));
    let mut want = vec![0xFF; 8];
    want.extend_from_slice(&ID_RECORD[..8]);
    assert_eq!(got, want);
    // `udrv read` prints the same bytes, in hex and as text.
    let r = ok(&["read", "at24c32@i2c-1:0x50"]);
    let first = r.lines().next().expect("a line of the EEPROM");
    let hex: Vec<String> = ID_RECORD[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert!(first.contains(&hex.join(" ")), "{first}");
    assert!(first.contains("|udrv virtual boa|"), "{first}");
}

#[test]
fn an_absent_chip_is_a_clear_error() {
    let o = udrv(&["i2c", "get", "-y", "1", "0x33", "0x00"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("0x33") && e.contains("did not acknowledge"),
        "{e}"
    );
    let o = udrv(&["i2c", "detect", "-y", "7"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("i2c-1"));
}

#[test]
fn list_shows_the_simulated_bus() {
    let l = ok(&["i2c", "list"]);
    assert!(l.starts_with("i2c-1\ti2c"), "{l}");
    assert!(l.contains("simulated"), "{l}");
}
