//! How `udrv read` shows a chip's read (the catalog's [`ChipRead`]) as text lines and in
//! its `--json` object: the names, decimals and units people read (`pressure 1012.47
//! hPa`, `gpiob 0b00000101 (inputs 0b11111111)`). Formatting only: what the readings
//! mean comes from the catalog.

use std::fmt;

use serde_json::json;
use udrv_boards::catalog::{ChipKind, ChipRead, Quantity, Raw, Reading};

/// A value shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number printed with this many decimals.
    Number(f64, usize),
    /// Text (a date, a state).
    Text(String),
    /// Numbers shown one way in text (`0b00000101 (inputs 0b11111111)`, `0x10`, a hex
    /// dump) and given as numbers in JSON: `json` is the line's whole JSON object
    /// (`{"value": 5, "inputs_mask": 255}`).
    Data {
        /// The text form.
        text: String,
        /// The JSON object.
        json: serde_json::Value,
    },
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(v, d) => write!(f, "{v:.d$}"),
            Value::Text(t) | Value::Data { text: t, .. } => f.write_str(t),
        }
    }
}

/// One line of a chip's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// `temperature`, `ain0`, `time`.
    pub name: String,
    /// The value.
    pub value: Value,
    /// `°C`, `%RH`, `hPa`, `V`, `A`; empty for text.
    pub unit: &'static str,
}

/// The unit a quantity is shown in.
#[derive(Clone, Copy)]
enum Unit {
    /// The reading's own, as `udrv read` spells it.
    As(&'static str),
    /// Hundredths of pascals in hPa, from the reading's 1/256 Pa resolution.
    Hectopascal,
    /// Volts in mV, from the reading's µV resolution.
    Millivolt,
}

/// How a quantity is shown, a row of [`SHOWN`]: for a chip kind (`None`: any kind), a
/// quantity and a channel (`None`: any), the name (`None`: the channel's, else the
/// quantity's), decimals and unit. The first row that matches wins.
type Shown = (
    Option<ChipKind>,
    Quantity,
    Option<&'static str>,
    Option<&'static str>,
    usize,
    Unit,
);

use ChipKind as K;
use Quantity as Q;

/// The table (per kind where the chip's resolution asks for more or fewer decimals).
const SHOWN: &[Shown] = &[
    (Some(K::Lm75), Q::Temperature, None, None, 1, Unit::As("°C")),
    (
        Some(K::Tmp102),
        Q::Temperature,
        None,
        None,
        3,
        Unit::As("°C"),
    ),
    (None, Q::Temperature, None, None, 2, Unit::As("°C")),
    (None, Q::Humidity, None, None, 1, Unit::As("%RH")),
    (None, Q::Pressure, None, None, 2, Unit::Hectopascal),
    (Some(K::Ads1115), Q::Voltage, None, None, 4, Unit::As("V")),
    (Some(K::Ads1015), Q::Voltage, None, None, 4, Unit::As("V")),
    (
        Some(K::Ina219),
        Q::Voltage,
        Some("bus"),
        Some("bus_voltage"),
        3,
        Unit::As("V"),
    ),
    (
        Some(K::Ina219),
        Q::Voltage,
        Some("shunt"),
        Some("shunt_voltage"),
        2,
        Unit::Millivolt,
    ),
    (None, Q::Voltage, None, None, 3, Unit::As("V")),
    (None, Q::Current, None, None, 4, Unit::As("A")),
    (None, Q::Power, None, None, 3, Unit::As("W")),
    (None, Q::Illuminance, None, None, 1, Unit::As("lx")),
    (None, Q::Frequency, None, None, 1, Unit::As("Hz")),
];

/// What a digital state adds to an RTC's time, by its channel.
const TIME_NOTES: &[(&str, &str)] = &[
    ("clock_halted", " (clock halted: set the time to start it)"),
    (
        "oscillator_stopped",
        " (oscillator stopped: time not valid)",
    ),
];

/// The lines of `kind`'s read, in the order `udrv read` prints them.
pub fn lines(kind: ChipKind, read: &ChipRead) -> Vec<Line> {
    let mut out = Vec::new();
    // An identification shown as a value comes first.
    for raw in read.raw.iter().filter(|r| r.name == "jedec_id") {
        out.push(data(
            "jedec id",
            spaced_hex(&raw.bytes),
            json!({ "value": raw.bytes }),
        ));
    }
    let pins: Vec<&Reading> = read
        .readings
        .iter()
        .filter(|r| r.quantity == Q::DigitalState)
        .collect();
    for r in &read.readings {
        match r.quantity {
            Q::Time => out.push(time(r, &pins)),
            Q::DataSize => out.push(number("capacity", (r.value as u64 / 1024) as f64, 0, "KiB")),
            Q::DigitalState | Q::DutyCycle => {}
            _ => out.push(shown(kind, r)),
        }
    }
    if kind == K::W25q32 && read.get(Q::DataSize, None).is_none() {
        out.insert(1, text("capacity", "unknown".to_string()));
    }
    match kind {
        // After its frequency: its state and its channels' duty cycles.
        K::Pca9685 => out.extend(pwm(read)),
        K::Pca9548 | K::Pca9546 => out.push(switch_channels(&pins)),
        K::Mcp23017 | K::Mcp23s17 => {
            out.extend(ports(&pins, read.raw("iodir"), "gpio", &["a", "b"]))
        }
        K::Pca9554 | K::Pca9535 => {
            out.extend(ports(&pins, read.raw("configuration"), "port", &["0", "1"]))
        }
        _ => {}
    }
    for raw in &read.raw {
        match raw.name {
            "control" | "status" | "product_id" => {
                out.push(register(&raw.name.replace('_', " "), raw.bytes[0]))
            }
            "memory" => out.extend(dumps(kind, raw)),
            _ => {}
        }
    }
    out
}

/// A number the table says how to show.
fn shown(kind: ChipKind, r: &Reading) -> Line {
    let s = SHOWN.iter().find(|(k, q, channel, ..)| {
        *q == r.quantity
            && k.is_none_or(|k| k == kind)
            && channel.is_none_or(|c| r.channel() == Some(c))
    });
    let name = s
        .and_then(|s| s.3)
        .or(r.channel())
        .unwrap_or(r.quantity.name());
    let Some(&(.., decimals, unit)) = s else {
        return number(name, r.value, 3, r.unit());
    };
    match unit {
        Unit::As(u) => number(name, r.value, decimals, u),
        // The integer the driver gave (1/256 Pa, µV), recovered exactly, then scaled
        // once: printed as the driver's integer says, never a rounding away.
        Unit::Hectopascal => {
            let q = (r.value * 256.0).round();
            number(name, q / 25_600.0, decimals, "hPa")
        }
        Unit::Millivolt => {
            let uv = (r.value * 1e6).round();
            number(name, uv / 1000.0, decimals, "mV")
        }
    }
}

/// An RTC's date and time, with what its flags say about it.
fn time(r: &Reading, pins: &[&Reading]) -> Line {
    let s = r.value as i64;
    let (y, m, d) = civil_from_days(s.div_euclid(86_400));
    let t = s.rem_euclid(86_400);
    let mut when = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        t / 3600,
        t / 60 % 60,
        t % 60
    );
    for p in pins.iter().filter(|p| p.value != 0.0) {
        if let Some((_, note)) = TIME_NOTES.iter().find(|(n, _)| p.channel() == Some(n)) {
            when.push_str(note);
        }
    }
    text("time", when)
}

/// A PWM chip's state (its `sleep` state) and the duty cycles that are not 0.
fn pwm(read: &ChipRead) -> Vec<Line> {
    let mut v = Vec::new();
    if let Some(sleep) = read.get(Q::DigitalState, Some("sleep")) {
        let state = if sleep.value != 0.0 {
            "sleeping (outputs off)"
        } else {
            "running"
        };
        v.push(text("state", state.to_string()));
    }
    let mut on = Vec::new();
    let mut duties = serde_json::Map::new();
    for r in read.readings.iter().filter(|r| r.quantity == Q::DutyCycle) {
        let ch = r.channel().unwrap_or_default();
        if r.value > 0.0 {
            on.push(format!("{ch}={:.1}%", r.value));
            duties.insert(ch.to_string(), json!(as_shown(r.value, 1)));
        }
    }
    let shown = if on.is_empty() {
        "all off".to_string()
    } else {
        on.join(" ")
    };
    v.push(data(
        "channels",
        shown,
        json!({ "value": duties, "unit": "%" }),
    ));
    v
}

/// A switch's enabled channels, by number.
fn switch_channels(pins: &[&Reading]) -> Line {
    let on: Vec<usize> = (0..pins.len()).filter(|&n| pins[n].value != 0.0).collect();
    let shown: Vec<String> = on.iter().map(usize::to_string).collect();
    let text = if on.is_empty() {
        "none".to_string()
    } else {
        shown.join(", ")
    };
    data("channels", text, json!({ "value": on }))
}

/// An I/O expander's ports (`gpioa`, `port0`): the levels of their 8 pins each, and
/// which pins are inputs (`directions`: one byte per port, a 1 for an input).
fn ports(pins: &[&Reading], directions: Option<&Raw>, prefix: &str, names: &[&str]) -> Vec<Line> {
    pins.chunks(8)
        .zip(names)
        .enumerate()
        .map(|(p, (chunk, name))| {
            let value = chunk
                .iter()
                .enumerate()
                .fold(0u8, |v, (n, r)| v | (u8::from(r.value != 0.0) << n));
            let inputs = directions
                .and_then(|d| d.bytes.get(p))
                .copied()
                .unwrap_or(0);
            data(
                &format!("{prefix}{name}"),
                format!("{value:#010b} (inputs {inputs:#010b})"),
                json!({ "value": value, "inputs_mask": inputs }),
            )
        })
        .collect()
}

/// Memory as hex and ASCII dumps of 16 bytes, each named by its address (as wide as the
/// chip's addresses: 16 bits for an EEPROM, 24 for a flash).
fn dumps(kind: ChipKind, raw: &Raw) -> Vec<Line> {
    let width = if kind == K::W25q32 { 8 } else { 6 };
    let start = raw.offset.unwrap_or(0) as usize;
    raw.bytes
        .chunks(16)
        .enumerate()
        .map(|(i, b)| {
            let at = start + i * 16;
            data(
                &format!("{at:#0width$x}"),
                hex_ascii(b),
                json!({ "value": b }),
            )
        })
        .collect()
}

fn number(name: &str, v: f64, decimals: usize, unit: &'static str) -> Line {
    Line {
        name: name.to_string(),
        value: Value::Number(v, decimals),
        unit,
    }
}

fn text(name: &str, t: String) -> Line {
    Line {
        name: name.to_string(),
        value: Value::Text(t),
        unit: "",
    }
}

fn data(name: &str, text: String, json: serde_json::Value) -> Line {
    Line {
        name: name.to_string(),
        value: Value::Data { text, json },
        unit: "",
    }
}

/// A register value: `0x10` in text, a number in JSON.
fn register(name: &str, v: u8) -> Line {
    data(name, format!("{v:#04x}"), json!({ "value": v }))
}

fn spaced_hex(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(" ")
}

/// Bytes as hex and ASCII: `61 62 00  |ab.|`.
pub fn hex_ascii(bytes: &[u8]) -> String {
    let ascii: String = bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{}  |{ascii}|", spaced_hex(bytes))
}

/// A number as its text shows it (`decimals` places), parsed back: the JSON's value.
/// (Scaling, rounding and scaling back can round a value such as 22.115 the other way.)
pub fn as_shown(x: f64, decimals: usize) -> f64 {
    format!("{x:.decimals$}").parse::<f64>().unwrap_or(x)
}

/// The date (year, month, day) of a day number since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The text lines of one chip: `bme280@i2c-1:0x76  temperature  23.45 °C`.
pub fn text_lines(label: &str, width: usize, lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        let line = format!("{label:<width$}  {:<13} {} {}", l.name, l.value, l.unit);
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// The JSON `readings` object: each line's value by its name, numbers as the text shows
/// them.
pub fn json_readings(lines: &[Line]) -> serde_json::Map<String, serde_json::Value> {
    let mut values = serde_json::Map::new();
    for l in lines {
        let v = match &l.value {
            Value::Number(x, d) => json!({"value": as_shown(*x, *d), "unit": l.unit}),
            Value::Text(t) => json!({ "value": t }),
            Value::Data { json, .. } => json.clone(),
        };
        values.insert(l.name.clone(), v);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(10_957), (2000, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn hex_dump() {
        assert_eq!(hex_ascii(b"ab\0"), "61 62 00  |ab.|");
    }

    #[test]
    fn json_numbers_are_the_texts() {
        // 22115 m°C / 1000 is just below 22.115: the text shows 22.11, and so must JSON.
        let x = 22_115.0 / 1000.0;
        let l = vec![number("temperature", x, 2, "°C")];
        assert!(text_lines("shtc3", 5, &l).contains(" 22.11 °C"));
        assert_eq!(
            json_readings(&l)["temperature"]["value"].as_f64(),
            Some(22.11)
        );
    }

    #[test]
    fn text_lines_pad_the_columns() {
        let l = vec![
            number("temperature", 23.456, 2, "°C"),
            text("time", "2026-01-01 00:00:00".into()),
        ];
        assert_eq!(
            text_lines("lm75@i2c-1:0x48", 17, &l),
            "lm75@i2c-1:0x48    temperature   23.46 °C\n\
             lm75@i2c-1:0x48    time          2026-01-01 00:00:00\n"
        );
    }
}
