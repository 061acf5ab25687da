//! The configuration file (`/etc/udrv/udrv.toml`): what `udrv serve` reads, which chips,
//! how often, and where the readings go. `examples/serve-virtual.toml` is a commented
//! example.
//!
//! [`Config::parse`] reports every mistake it finds, not just the first: syntax errors
//! (the TOML parser recovers and goes on), then each section and each `[[chip]]` on its
//! own (an unknown key or a value of the wrong type is reported and the key set aside,
//! so the rest of the table is still checked), then what the values mean (specs,
//! quantities, intervals, duplicate names, files). Each [`Problem`] has a line and a
//! column.

use std::collections::BTreeSet;
use std::fmt::{self, Display};
use std::ops::Range;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;
use udrv_boards::catalog::{ChipKind, ChipSpec, Location, Quantity};

/// Where `udrv serve` looks for its configuration without `--config`.
pub const DEFAULT_PATH: &str = "/etc/udrv/udrv.toml";

/// The queue's size bound without `max_bytes` (16 MiB).
pub const DEFAULT_QUEUE_BYTES: u64 = 16 << 20;

/// A configuration, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The board's name (`board = ...`); `None`: derived from the machine ID.
    pub board: Option<String>,
    /// The chips to read.
    pub chips: Vec<Chip>,
    /// JSON lines of readings, if wanted.
    pub json: Option<JsonOut>,
    /// MQTT, if wanted.
    pub mqtt: Option<Mqtt>,
    /// The on-disk queue in front of MQTT and InfluxDB.
    pub queue: Queue,
    /// The Prometheus `/metrics` endpoint, if wanted.
    pub prometheus: Option<Prometheus>,
    /// InfluxDB 1.x over HTTP, if wanted.
    pub influxdb: Option<Influx>,
    /// Line protocol on standard output (Telegraf's `execd`) or to a file, if wanted.
    pub line_protocol: Option<LineOut>,
    /// The GPIO lines the service requests and holds (`[[line]]`).
    pub lines: Vec<Line>,
    /// The local clients' socket (`[socket]`).
    pub socket: Socket,
    /// The folder of the service's state: the last level set of each output
    /// (`[state] dir`, `/var/lib/udrv/state` by default).
    pub state_dir: PathBuf,
}

/// Where `[socket] path` is without one.
pub const DEFAULT_SOCKET: &str = "/run/udrv/serve.sock";

/// Where `[state] dir` is without one.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/udrv/state";

/// Which GPIO line a `[[line]]` is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LineAt {
    /// By the name the board or kernel gives it (`GPIO27`, `relay`).
    Name(String),
    /// By chip (`gpiochip0`, `/dev/gpiochip0`, `0` or a label) and offset.
    Offset {
        /// The chip.
        chip: String,
        /// The line's offset on it.
        offset: u32,
    },
    /// A pin of an I/O expander (`mcp23017@i2c-1:0x20/B3`, `pca9554@i2c-1:0x21/3`) or a
    /// PWM channel (`pca9685@i2c-1:0x40/3`): [`parse_chip_pin`].
    Pin {
        /// The chip, without the pin.
        spec: ChipSpec,
        /// The pin (MCP23017: 0..=7 are A0..A7, 8..=15 B0..B7) or channel.
        pin: u8,
    },
}

/// The chips whose pins the service can hold, and how many pins each has.
fn pin_count(kind: ChipKind) -> Option<u8> {
    match kind {
        ChipKind::Mcp23017 | ChipKind::Pca9535 | ChipKind::Pca9685 => Some(16),
        ChipKind::Pca9554 => Some(8),
        _ => None,
    }
}

/// How the chip names pin `pin`: `B3` on an MCP23017, `3` on the others.
pub fn pin_name(kind: ChipKind, pin: u8) -> String {
    match kind {
        ChipKind::Mcp23017 => format!("{}{}", if pin < 8 { 'A' } else { 'B' }, pin % 8),
        _ => pin.to_string(),
    }
}

/// Reads a chip pin as `[[line]] line` gives it: the chip's spec (the catalog's
/// `CHIP@BUS[:ADDR]`), `/`, then the pin as the chip names it: `A0`..`B7` (or `GPA0`,
/// or `0`..`15`) on an MCP23017, `0`..`7` on a PCA9554, `0`..`15` on a PCA9535 and a
/// PCA9685 (a PWM channel; `LED3` too). The error says what to give.
pub fn parse_chip_pin(text: &str) -> Result<(ChipSpec, u8), String> {
    let (spec_text, pin_text) = match text.rsplit_once('/') {
        Some((s, p)) if !p.contains([':', '.']) => (s, p),
        _ => match text.rsplit_once('#') {
            Some((s, p)) => (s, p),
            None => {
                return Err(format!(
                    "`{text}` names no pin: give the chip's spec, `/` and the pin \
                     (mcp23017@i2c-1:0x20/B3, pca9685@i2c-1:0x40/3)"
                ))
            }
        },
    };
    let spec: ChipSpec = spec_text.parse().map_err(|e| format!("{e}"))?;
    let kind = spec.kind();
    let Some(count) = pin_count(kind) else {
        return Err(format!(
            "{kind} has no pins the service can hold: give a pin of an MCP23017, PCA9554, \
             PCA9535 or a PCA9685 channel"
        ));
    };
    if let Location::I2c {
        switch: Some(_), ..
    } = spec.location()
    {
        return Err(format!(
            "`{text}`: the service holds pins of chips on a bus, not behind a switch channel"
        ));
    }
    let upper = pin_text.to_ascii_uppercase();
    let pin = match kind {
        ChipKind::Mcp23017 => {
            let port = upper.strip_prefix("GP").unwrap_or(&upper);
            match port.split_at_checked(1) {
                Some(("A", n)) => n.parse::<u8>().ok().filter(|n| *n < 8),
                Some(("B", n)) => n.parse::<u8>().ok().filter(|n| *n < 8).map(|n| n + 8),
                _ => upper.parse::<u8>().ok(),
            }
        }
        ChipKind::Pca9685 => upper.strip_prefix("LED").unwrap_or(&upper).parse().ok(),
        _ => upper.parse().ok(),
    }
    .filter(|p| *p < count);
    let pin = pin.ok_or_else(|| {
        let names = match kind {
            ChipKind::Mcp23017 => "A0..A7 or B0..B7".to_string(),
            ChipKind::Pca9685 => "a channel 0..15".to_string(),
            _ => format!("0..{}", count - 1),
        };
        format!("`{pin_text}` is not a pin of the {kind}: give {names}")
    })?;
    Ok((spec, pin))
}

impl Display for LineAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineAt::Name(n) => f.write_str(n),
            LineAt::Offset { chip, offset } => write!(f, "{chip}:{offset}"),
            LineAt::Pin { spec, pin } => write!(f, "{spec}/{}", pin_name(spec.kind(), *pin)),
        }
    }
}

/// A GPIO line the service requests at start and holds while it runs (`[[line]]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its name: clients (`udrv gpio set heater=1`, the socket) use it.
    pub name: String,
    /// Which line.
    pub at: LineAt,
    /// Whether the service drives it (`direction = "output"`) or reads it.
    pub output: bool,
    /// Active-low: `1` (active) is the low level.
    pub active_low: bool,
    /// The pull resistor, if set.
    pub bias: Option<udrv_core::gpio::Bias>,
    /// The output drive, if set (outputs only).
    pub drive: Option<udrv_core::gpio::Drive>,
    /// The value at start (outputs; `false` unless `start = 1`).
    pub start: bool,
    /// Whether the last value set is applied at start instead of `start` (outputs).
    pub restore: bool,
    /// The duty at start of a PWM channel (`start = 0.25`; 0.0..=1.0, 0 unless given).
    pub start_duty: f64,
    /// The GPIO line wired to an MCP23017's INTA/INTB (`interrupt = "GPIO17"` or
    /// `"gpiochip0:17"`): the input pin's edges come from it, no polling.
    pub interrupt: Option<LineAt>,
    /// Whether MQTT commands may set it (`writable = true`, outputs only; default false:
    /// its state is published, commands to it refused).
    pub writable: bool,
    /// How many MQTT commands per second it takes (`rate`, a bucket of this many that
    /// refills at this many a second); more are answered "rate limited".
    pub rate: u32,
    /// The kernel's debounce period (inputs; `debounce = 0.005`, in seconds): a level must
    /// hold this long to make an edge. uAPI v2 only: on a v1 chip the line is refused.
    pub debounce: Option<Duration>,
}

/// How many MQTT commands per second an output takes without `rate`.
pub const DEFAULT_RATE: u32 = 5;

impl Line {
    /// Whether it is a PWM channel (a PCA9685's): set with a duty, not a level.
    pub fn is_pwm(&self) -> bool {
        matches!(&self.at, LineAt::Pin { spec, .. } if spec.kind() == ChipKind::Pca9685)
    }
}

/// The local clients' Unix socket: its permissions and group are the access control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socket {
    /// Its path (`/run/udrv/serve.sock` by default).
    pub path: PathBuf,
    /// Its permission bits (`0o660` by default: the owner and the group).
    pub mode: u32,
    /// The group it is given, if any (the group whose members may use it).
    pub group: Option<String>,
}

/// One chip to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Chip {
    /// Its name: MQTT topics and Home Assistant unique ids take it.
    pub name: String,
    /// Which chip, where.
    pub spec: ChipSpec,
    /// How often it is read.
    pub interval: Duration,
    /// The quantities published; `None`: all it gives.
    pub quantities: Option<Vec<Quantity>>,
}

/// JSON lines output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonOut {
    /// The file the lines are appended to; `None`: standard output.
    pub path: Option<PathBuf>,
}

/// The MQTT version spoken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// MQTT 3.1.1.
    V311,
    /// MQTT 5.
    V5,
}

/// TLS to the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    /// The CA certificate(s) (PEM) the broker's certificate must chain to.
    pub ca_file: PathBuf,
    /// A client certificate (PEM) and its key (PEM), if the broker asks for one.
    pub client: Option<(PathBuf, PathBuf)>,
}

/// The MQTT output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mqtt {
    /// The broker's host name or address.
    pub host: String,
    /// Its port (1883, or 8883 with TLS, by default).
    pub port: u16,
    /// MQTT 3.1.1 or 5.
    pub protocol: Protocol,
    /// The client id (`udrv-BOARD` by default).
    pub client_id: Option<String>,
    /// Topics start with this, then the board's name (`udrv/kitchen/...`).
    pub base_topic: String,
    /// Home Assistant's discovery prefix (`homeassistant`); `None`: no discovery.
    pub discovery_prefix: Option<String>,
    /// The user name, if the broker wants one.
    pub username: Option<String>,
    /// The file holding the password (not world-readable).
    pub password_file: Option<PathBuf>,
    /// TLS, if used.
    pub tls: Option<Tls>,
    /// The MQTT keep-alive.
    pub keep_alive: Duration,
}

/// The on-disk queue between the readings and MQTT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    /// Its folder.
    pub dir: PathBuf,
    /// Its bound: past it the oldest readings are dropped (and counted).
    pub max_bytes: u64,
}

/// Where `[prometheus]` listens without `listen`: this machine only.
pub const DEFAULT_PROMETHEUS_LISTEN: &str = "127.0.0.1:9875";

/// The Prometheus `/metrics` endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prometheus {
    /// The address and port it listens on (`127.0.0.1:9875` by default).
    pub listen: std::net::SocketAddr,
}

/// InfluxDB 1.x: line protocol sent with HTTP `POST /write`, through its own on-disk
/// queue (the folder `influxdb` in `[queue] dir`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Influx {
    /// The server's host name or address (from `url`).
    pub host: String,
    /// Its HTTP port (from `url`; 8086 by default).
    pub port: u16,
    /// The database written to.
    pub database: String,
    /// The user name, if the server wants one.
    pub username: Option<String>,
    /// The file holding the password (not world-readable).
    pub password_file: Option<PathBuf>,
    /// Tags added to every point (`site = "north wing"`), sorted by key.
    pub tags: Vec<(String, String)>,
}

/// Line protocol written to standard output (for Telegraf's `execd` input) or a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineOut {
    /// The file the lines are appended to; `None`: standard output.
    pub path: Option<PathBuf>,
    /// Tags added to every point, sorted by key.
    pub tags: Vec<(String, String)>,
}

/// One mistake in a configuration file: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line, from 1.
    pub line: usize,
    /// The column (in characters), from 1.
    pub column: usize,
    /// What is wrong and what to give.
    pub message: String,
}

impl Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Why a configuration file was refused: every mistake found, or the file unreadable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// Its mistakes (empty when the file could not be read).
    pub problems: Vec<Problem>,
    /// Why it could not be read, if so.
    pub unreadable: Option<String>,
}

impl Display for ConfigError {
    /// One line per mistake: `FILE:LINE:COLUMN: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(why) = &self.unreadable {
            return write!(f, "{}: {why}", self.path.display());
        }
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{p}", self.path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

// The file's sections as serde reads them: every key known, every value typed.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChipToml {
    name: Option<Spanned<String>>,
    spec: Spanned<String>,
    interval: Option<Spanned<f64>>,
    quantities: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonToml {
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MqttToml {
    host: Spanned<String>,
    port: Option<Spanned<u32>>,
    protocol: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    base_topic: Option<Spanned<String>>,
    discovery_prefix: Option<Spanned<String>>,
    discovery: Option<bool>,
    username: Option<String>,
    password_file: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    cert_file: Option<Spanned<String>>,
    key_file: Option<Spanned<String>>,
    keep_alive: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrometheusToml {
    listen: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InfluxToml {
    url: Spanned<String>,
    database: Spanned<String>,
    username: Option<String>,
    password_file: Option<Spanned<String>>,
    tags: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineToml {
    path: Option<String>,
    tags: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GpioLineToml {
    name: Spanned<String>,
    line: Option<Spanned<String>>,
    chip: Option<Spanned<String>>,
    offset: Option<Spanned<u32>>,
    direction: Spanned<String>,
    active_low: Option<bool>,
    bias: Option<Spanned<String>>,
    drive: Option<Spanned<String>>,
    start: Option<Spanned<f64>>,
    restore: Option<Spanned<bool>>,
    interrupt: Option<Spanned<String>>,
    writable: Option<Spanned<bool>>,
    rate: Option<Spanned<u32>>,
    debounce: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SocketToml {
    path: Option<Spanned<String>>,
    mode: Option<Spanned<u32>>,
    group: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateToml {
    dir: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueToml {
    dir: Option<String>,
    max_bytes: Option<Spanned<u64>>,
}

/// Collects problems with their positions in `text`.
struct Problems<'t> {
    text: &'t str,
    list: Vec<Problem>,
}

impl Problems<'_> {
    fn add(&mut self, span: Range<usize>, message: impl Into<String>) {
        let at = span.start.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        self.list.push(Problem {
            line,
            column,
            message: message.into(),
        });
    }

    fn toml(&mut self, e: &toml::de::Error, fallback: Range<usize>, what: &str) {
        let span = e.span().unwrap_or(fallback);
        let msg = e.message().trim().replace('\n', " ");
        self.add(span, format!("{what}{msg}"));
    }
}

/// Deserializes a table as `T`; each key serde refuses (unknown, wrong type) is reported
/// and set aside, and the rest tried again, so that every such mistake is reported.
fn section<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    what: &str,
    p: &mut Problems<'_>,
) -> Option<T> {
    let span = value.span();
    let DeValue::Table(table) = value.get_ref() else {
        p.add(
            span,
            format!(
                "{what}must be a table, not {}",
                with_article(value.get_ref().type_str())
            ),
        );
        return None;
    };
    let mut table: DeTable<'_> = table.clone();
    loop {
        let v = Spanned::new(span.clone(), DeValue::Table(table.clone()));
        match T::deserialize(ValueDeserializer::from(v)) {
            Ok(t) => return Some(t),
            Err(e) => {
                p.toml(&e, span.clone(), what);
                // The key the error is about: its name or its value contains the span.
                let at = e.span().map(|s| s.start);
                let key = at.and_then(|at| {
                    table
                        .iter()
                        .find(|(k, v)| k.span().contains(&at) || v.span().contains(&at))
                        .map(|(k, _)| k.clone())
                });
                match key {
                    Some(k) => {
                        table.remove(&k);
                    }
                    None => return None,
                }
            }
        }
    }
}

/// A name for topics and unique ids: letters, digits, `_` and `-`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A chip's name when it has none: `bme280_0x76`, `mcp3008_spidev0_0`.
fn default_name(spec: &ChipSpec) -> String {
    let text = spec.to_string();
    let (kind, at) = text.split_once('@').unwrap_or((&text, ""));
    let place = match spec.address() {
        Some(a) if !at.contains('/') => format!("{a:#04x}"),
        _ => at.to_string(),
    };
    let place: String = place
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{kind}_{place}")
}

fn interval(v: &Spanned<f64>, p: &mut Problems<'_>, what: &str) -> Option<Duration> {
    let x = *v.get_ref();
    if !(x.is_finite() && x > 0.0 && x <= 86_400.0 * 365.0) {
        p.add(
            v.span(),
            format!("{what}interval {x}: give a positive number of seconds (e.g. 10 or 0.5)"),
        );
        return None;
    }
    Some(Duration::from_secs_f64(x))
}

/// Checks that a secret file exists and is not world-readable.
pub fn check_secret_file(path: &Path) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "{}: cannot read the password file: {e} (give a file readable by the user udrv \
             runs as)",
            path.display()
        )
    })?;
    if meta.permissions().mode() & 0o004 != 0 {
        return Err(format!(
            "{}: the password file is world-readable (mode {:o}): refused; `chmod o-rwx {}` \
             (and make it owned by the user udrv runs as)",
            path.display(),
            meta.permissions().mode() & 0o777,
            path.display()
        ));
    }
    Ok(())
}

fn file_exists(v: &Spanned<String>, what: &str, p: &mut Problems<'_>) -> PathBuf {
    let path = PathBuf::from(v.get_ref());
    if let Err(e) = std::fs::metadata(&path) {
        p.add(v.span(), format!("[mqtt] {what} `{}`: {e}", path.display()));
    }
    path
}

impl Config {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            problems: Vec::new(),
            unreadable: Some(format!(
                "cannot read the configuration: {e} (give it with --config FILE; \
                 examples/serve-virtual.toml is an example)"
            )),
        })?;
        Config::parse(&text).map_err(|problems| ConfigError {
            path: path.to_path_buf(),
            problems,
            unreadable: None,
        })
    }

    /// Checks a configuration's text: the configuration, or every mistake found.
    pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        let mut p = Problems {
            text,
            list: Vec::new(),
        };
        let (top, syntax) = DeTable::parse_recoverable(text);
        for e in &syntax {
            p.toml(e, 0..0, "");
        }
        let mut board = None;
        let mut default_interval = Duration::from_secs(10);
        let mut chip_values = Vec::new();
        let mut chips_span = 0..0;
        let mut json = None;
        let mut mqtt_toml: Option<(MqttToml, Range<usize>)> = None;
        let mut queue_toml = None;
        let mut outputs = OutputTomls::default();
        let mut line_values = Vec::new();
        let mut socket_toml = None;
        let mut state_toml = None;
        for (key, value) in top.get_ref() {
            match key.get_ref().as_ref() {
                "board" => match value.get_ref().as_str() {
                    Some(b) if is_name(b) => board = Some(b.to_string()),
                    Some(b) => p.add(
                        value.span(),
                        format!(
                            "board `{b}`: a board's name is 1-64 letters, digits, `_` or `-` \
                             (it is in every topic and unique id)"
                        ),
                    ),
                    None => p.add(
                        value.span(),
                        format!(
                            "board must be a string (e.g. board = \"kitchen\"), not {}",
                            with_article(value.get_ref().type_str())
                        ),
                    ),
                },
                "interval" => {
                    let x = match value.get_ref() {
                        DeValue::Integer(i) => i.as_str().replace('_', "").parse::<f64>().ok(),
                        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
                        _ => None,
                    };
                    match x {
                        Some(x) => {
                            if let Some(d) = interval(&Spanned::new(value.span(), x), &mut p, "") {
                                default_interval = d;
                            }
                        }
                        None => p.add(
                            value.span(),
                            format!(
                                "interval must be a number of seconds (e.g. interval = 10), not \
                                 {}",
                                with_article(value.get_ref().type_str())
                            ),
                        ),
                    }
                }
                "chip" => {
                    chips_span = value.span();
                    match value.get_ref() {
                        DeValue::Array(a) => chip_values.extend(a.iter().cloned()),
                        other => p.add(
                            value.span(),
                            format!(
                                "chip must be an array of tables ([[chip]]), not {}",
                                with_article(other.type_str())
                            ),
                        ),
                    }
                }
                "json" => json = section::<JsonToml>(value, "[json] ", &mut p),
                "mqtt" => {
                    mqtt_toml =
                        section::<MqttToml>(value, "[mqtt] ", &mut p).map(|m| (m, value.span()))
                }
                "queue" => queue_toml = section::<QueueToml>(value, "[queue] ", &mut p),
                "line" => match value.get_ref() {
                    DeValue::Array(a) => line_values.extend(a.iter().cloned()),
                    other => p.add(
                        value.span(),
                        format!(
                            "line must be an array of tables ([[line]]), not {}",
                            with_article(other.type_str())
                        ),
                    ),
                },
                "socket" => socket_toml = section::<SocketToml>(value, "[socket] ", &mut p),
                "state" => state_toml = section::<StateToml>(value, "[state] ", &mut p),
                "prometheus" | "influxdb" | "line_protocol" => {
                    outputs.read(key.get_ref(), value, &mut p)
                }
                other => p.add(
                    key.span(),
                    format!(
                        "unknown key `{other}`; the file has: board, interval, [[chip]], \
                         [json], [mqtt], [queue], [prometheus], [influxdb], [line_protocol], \
                         [[line]], [socket], [state]"
                    ),
                ),
            }
        }
        // The chips.
        let mut chips = Vec::new();
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut specs: BTreeSet<String> = BTreeSet::new();
        for (i, v) in chip_values.iter().enumerate() {
            let what = format!("[[chip]] {}: ", i + 1);
            let Some(c) = section::<ChipToml>(v, &what, &mut p) else {
                continue;
            };
            let spec = match c.spec.get_ref().parse::<ChipSpec>() {
                Ok(s) if s.channel().is_some() => {
                    p.add(
                        c.spec.span(),
                        format!(
                            "{what}spec `{}`: name the chip without #channel (a read reads the \
                             whole chip; choose with `quantities`)",
                            c.spec.get_ref()
                        ),
                    );
                    None
                }
                Ok(s) => Some(s),
                Err(e) => {
                    p.add(c.spec.span(), format!("{what}spec: {e}"));
                    None
                }
            };
            let name = match (&c.name, &spec) {
                (Some(n), _) if !is_name(n.get_ref()) => {
                    p.add(
                        n.span(),
                        format!(
                            "{what}name `{}`: a chip's name is 1-64 letters, digits, `_` or `-` \
                             (it is in topics and unique ids)",
                            n.get_ref()
                        ),
                    );
                    None
                }
                (Some(n), _) => Some((n.get_ref().clone(), n.span())),
                (None, Some(s)) => Some((default_name(s), c.spec.span())),
                (None, None) => None,
            };
            if let Some((n, span)) = &name {
                if !names.insert(n.clone()) {
                    p.add(
                        span.clone(),
                        format!("{what}duplicate chip name `{n}`: give each chip its own `name`"),
                    );
                }
            }
            if let Some(s) = &spec {
                if !specs.insert(s.to_string()) {
                    p.add(
                        c.spec.span(),
                        format!("{what}the chip {s} is listed twice: list it once"),
                    );
                }
            }
            let iv = match &c.interval {
                Some(v) => interval(v, &mut p, &what),
                None => Some(default_interval),
            };
            let mut quantities = None;
            if let Some(qs) = &c.quantities {
                let mut list = Vec::new();
                for q in qs {
                    match q.get_ref().parse::<Quantity>() {
                        Ok(q) => list.push(q),
                        Err(e) => p.add(q.span(), format!("{what}{e}")),
                    }
                }
                if qs.is_empty() {
                    p.add(
                        chips_span.clone(),
                        format!("{what}quantities = []: publishes nothing; leave it out for all"),
                    );
                }
                quantities = Some(list);
            }
            if let (Some((name, _)), Some(spec), Some(interval)) = (name, spec, iv) {
                chips.push(Chip {
                    name,
                    spec,
                    interval,
                    quantities,
                });
            }
        }
        let lines = gpio_lines(&line_values, &mut p);
        if chip_values.is_empty() && line_values.is_empty() && p.list.is_empty() {
            p.add(
                0..0,
                "no chips and no lines: add a [[chip]] table with spec = \"CHIP@BUS:ADDR\" \
                 (e.g. spec = \"bme280@i2c-1:0x76\") or a [[line]] table",
            );
        }
        let socket = socket_section(socket_toml, &mut p);
        let state_dir = state_toml
            .and_then(|s| s.dir)
            .map_or_else(|| PathBuf::from(DEFAULT_STATE_DIR), PathBuf::from);
        // The outputs.
        let json = json.map(|j| JsonOut {
            path: j.path.filter(|p| p != "-").map(PathBuf::from),
        });
        let mqtt = mqtt_toml.and_then(|(m, span)| mqtt(m, span, &mut p));
        let (prometheus, influxdb, line_protocol) = outputs.check(json.as_ref(), &mut p);
        let queue = Queue {
            dir: queue_toml
                .as_ref()
                .and_then(|q| q.dir.clone())
                .map_or_else(|| PathBuf::from("/var/lib/udrv/queue"), PathBuf::from),
            max_bytes: match queue_toml.as_ref().and_then(|q| q.max_bytes.as_ref()) {
                Some(m) if *m.get_ref() < 4096 => {
                    p.add(
                        m.span(),
                        format!(
                            "[queue] max_bytes {}: give at least 4096 (bytes)",
                            m.get_ref()
                        ),
                    );
                    DEFAULT_QUEUE_BYTES
                }
                Some(m) => *m.get_ref(),
                None => DEFAULT_QUEUE_BYTES,
            },
        };
        if !p.list.is_empty() {
            p.list.sort_by_key(|x| (x.line, x.column));
            return Err(p.list);
        }
        // Without outputs, JSON lines on standard output.
        let none =
            mqtt.is_none() && prometheus.is_none() && influxdb.is_none() && line_protocol.is_none();
        let json = match &json {
            None if none => Some(JsonOut { path: None }),
            _ => json,
        };
        Ok(Config {
            board,
            chips,
            json,
            mqtt,
            queue,
            prometheus,
            influxdb,
            line_protocol,
            lines,
            socket,
            state_dir,
        })
    }

    /// Whether an output needs the on-disk queue (MQTT, InfluxDB): its folder then also
    /// keeps the sequence numbers.
    pub fn needs_queue(&self) -> bool {
        self.mqtt.is_some() || self.influxdb.is_some()
    }

    /// The outputs, for a line: `JSON lines, MQTT broker:1883, Prometheus 127.0.0.1:9875`.
    pub fn outputs(&self) -> String {
        let mut o = Vec::new();
        if let Some(j) = &self.json {
            o.push(match &j.path {
                Some(p) => format!("JSON lines to {}", p.display()),
                None => "JSON lines".to_string(),
            });
        }
        if let Some(m) = &self.mqtt {
            o.push(format!("MQTT {}:{}", m.host, m.port));
        }
        if let Some(i) = &self.influxdb {
            o.push(format!(
                "InfluxDB {}:{} database {}",
                i.host, i.port, i.database
            ));
        }
        if let Some(l) = &self.line_protocol {
            o.push(match &l.path {
                Some(p) => format!("line protocol to {}", p.display()),
                None => "line protocol".to_string(),
            });
        }
        if let Some(pr) = &self.prometheus {
            o.push(format!("Prometheus http://{}/metrics", pr.listen));
        }
        o.join(", ")
    }
}

/// The Prometheus and InfluxDB sections as read, before their values are checked.
#[derive(Default)]
struct OutputTomls {
    prometheus: Option<(PrometheusToml, Range<usize>)>,
    influxdb: Option<InfluxToml>,
    line_protocol: Option<(LineToml, Range<usize>)>,
}

impl OutputTomls {
    fn read(&mut self, key: &str, value: &Spanned<DeValue<'_>>, p: &mut Problems<'_>) {
        let span = value.span();
        match key {
            "prometheus" => {
                self.prometheus =
                    section::<PrometheusToml>(value, "[prometheus] ", p).map(|t| (t, span))
            }
            "influxdb" => self.influxdb = section::<InfluxToml>(value, "[influxdb] ", p),
            _ => {
                self.line_protocol =
                    section::<LineToml>(value, "[line_protocol] ", p).map(|t| (t, span))
            }
        }
    }

    fn check(
        self,
        json: Option<&JsonOut>,
        p: &mut Problems<'_>,
    ) -> (Option<Prometheus>, Option<Influx>, Option<LineOut>) {
        let prometheus = self.prometheus.map(|(t, _)| {
            let listen = match &t.listen {
                None => DEFAULT_PROMETHEUS_LISTEN.parse().ok(),
                Some(l) => match l.get_ref().parse::<std::net::SocketAddr>() {
                    Ok(a) if a.port() == 0 => {
                        p.add(
                            l.span(),
                            format!(
                                "[prometheus] listen `{}`: give a port (1-65535)",
                                l.get_ref()
                            ),
                        );
                        None
                    }
                    Ok(a) => Some(a),
                    Err(_) => {
                        p.add(
                            l.span(),
                            format!(
                                "[prometheus] listen `{}`: give an IP address and a port \
                                 (\"{DEFAULT_PROMETHEUS_LISTEN}\" for this machine only, \
                                 \"0.0.0.0:9875\" for every interface, \"[::1]:9875\")",
                                l.get_ref()
                            ),
                        );
                        None
                    }
                },
            };
            Prometheus {
                listen: listen
                    .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 9875))),
            }
        });
        let influxdb = self.influxdb.and_then(|t| influx(t, p));
        let line_protocol = self.line_protocol.map(|(t, span)| {
            let path = t.path.filter(|x| x != "-").map(PathBuf::from);
            if path.is_none() && json.is_some_and(|j| j.path.is_none()) {
                p.add(
                    span,
                    "[line_protocol] and [json] both write to standard output: give one of \
                     them a path (path = \"/var/log/udrv/readings.jsonl\")",
                );
            }
            LineOut {
                path,
                tags: tags(t.tags.as_ref(), "[line_protocol]", p),
            }
        });
        (prometheus, influxdb, line_protocol)
    }
}

/// Extra tags: keys and values as the line protocol takes them (no newline, no trailing
/// backslash, not empty), not shadowing the tags every point has.
fn tags(
    t: Option<&Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
    what: &str,
    p: &mut Problems<'_>,
) -> Vec<(String, String)> {
    let Some(t) = t else { return Vec::new() };
    let mut out = Vec::new();
    for (k, v) in t.get_ref() {
        let bad = |s: &str| s.is_empty() || s.contains(['\n', '\r']) || s.ends_with('\\');
        if bad(k) || k.starts_with('_') || crate::influx::TAGS.contains(&k.as_str()) {
            p.add(
                t.span(),
                format!(
                    "{what} tags: key `{k}`: give a name not starting with `_`, without newline \
                     or trailing backslash, other than the tags every point has ({})",
                    crate::influx::TAGS.join(", ")
                ),
            );
        } else if bad(v.get_ref()) {
            p.add(
                v.span(),
                format!(
                    "{what} tags: {k} = {:?}: give a value that is not empty, without newline \
                     or trailing backslash",
                    v.get_ref()
                ),
            );
        } else {
            out.push((k.clone(), v.get_ref().clone()));
        }
    }
    out
}

fn influx(t: InfluxToml, p: &mut Problems<'_>) -> Option<Influx> {
    let before = p.list.len();
    let url = t.url.get_ref().trim();
    let (host, port) = match url.strip_prefix("http://") {
        Some(rest) => {
            let rest = rest.trim_end_matches('/');
            let (h, port) = match rest.rsplit_once(':') {
                Some((h, n)) if !h.ends_with(']') || h.starts_with('[') => {
                    (h, n.parse::<u16>().ok().filter(|n| *n > 0))
                }
                _ => (rest, Some(8086)),
            };
            let h = h.trim_start_matches('[').trim_end_matches(']');
            if h.is_empty() || h.contains(['/', '?', '@', ' ']) || port.is_none() {
                p.add(
                    t.url.span(),
                    format!(
                        "[influxdb] url `{url}`: give http://HOST[:PORT] (e.g. \
                         \"http://127.0.0.1:8086\"), without a path"
                    ),
                );
            }
            (h.to_string(), port.unwrap_or(8086))
        }
        None => {
            p.add(
                t.url.span(),
                format!(
                    "[influxdb] url `{url}`: give http://HOST[:PORT] (e.g. \
                     \"http://127.0.0.1:8086\"; https is not supported yet: put a local \
                     relay such as Telegraf in front)"
                ),
            );
            (String::new(), 8086)
        }
    };
    let database = t.database.get_ref().clone();
    if !is_name(&database) {
        p.add(
            t.database.span(),
            format!(
                "[influxdb] database `{database}`: 1-64 letters, digits, `_` or `-` (create it \
                 with CREATE DATABASE)"
            ),
        );
    }
    let password_file = t.password_file.as_ref().map(|f| {
        let path = PathBuf::from(f.get_ref());
        if let Err(e) = check_secret_file(&path) {
            p.add(f.span(), format!("[influxdb] password_file: {e}"));
        }
        if t.username.is_none() {
            p.add(
                f.span(),
                "[influxdb] password_file without username: give both",
            );
        }
        path
    });
    let tags = tags(t.tags.as_ref(), "[influxdb]", p);
    if p.list.len() != before {
        return None;
    }
    Some(Influx {
        host,
        port,
        database,
        username: t.username,
        password_file,
        tags,
    })
}

fn mqtt(m: MqttToml, span: Range<usize>, p: &mut Problems<'_>) -> Option<Mqtt> {
    let before = p.list.len();
    let host = m.host.get_ref().trim().to_string();
    if host.is_empty() {
        p.add(
            m.host.span(),
            "[mqtt] host is empty: give the broker's host name or address",
        );
    }
    let protocol = match m.protocol.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("3.1.1") | Some("3") | Some("4") => Protocol::V311,
        Some("5") | Some("5.0") => Protocol::V5,
        Some(other) => {
            let s = m.protocol.as_ref().map_or(span.clone(), Spanned::span);
            p.add(
                s,
                format!("[mqtt] protocol `{other}`: give \"3.1.1\" or \"5\""),
            );
            Protocol::V311
        }
    };
    let tls = match (&m.ca_file, &m.cert_file, &m.key_file) {
        (None, None, None) => None,
        (Some(ca), cert, key) => {
            let ca_file = file_exists(ca, "ca_file", p);
            let client = match (cert, key) {
                (Some(c), Some(k)) => Some((
                    file_exists(c, "cert_file", p),
                    file_exists(k, "key_file", p),
                )),
                (None, None) => None,
                (Some(c), None) => {
                    p.add(c.span(), "[mqtt] cert_file without key_file: give both");
                    None
                }
                (None, Some(k)) => {
                    p.add(k.span(), "[mqtt] key_file without cert_file: give both");
                    None
                }
            };
            Some(Tls { ca_file, client })
        }
        (None, Some(s), _) | (None, None, Some(s)) => {
            p.add(
                s.span(),
                "[mqtt] a client certificate needs TLS: give ca_file (the CA that signed the \
                 broker's certificate) too",
            );
            None
        }
    };
    let port = match &m.port {
        Some(v) if *v.get_ref() == 0 || *v.get_ref() > 65535 => {
            p.add(
                v.span(),
                format!("[mqtt] port {}: give 1-65535", v.get_ref()),
            );
            0
        }
        Some(v) => *v.get_ref() as u16,
        None if tls.is_some() => 8883,
        None => 1883,
    };
    let base_topic = m
        .base_topic
        .as_ref()
        .map_or_else(|| "udrv".to_string(), |t| t.get_ref().clone());
    if let Some(t) = &m.base_topic {
        if base_topic.is_empty() || base_topic.contains(['+', '#']) || base_topic.ends_with('/') {
            p.add(
                t.span(),
                format!(
                    "[mqtt] base_topic `{base_topic}`: give topic levels without +, # or a \
                     trailing / (e.g. \"udrv\")"
                ),
            );
        }
    }
    let discovery_prefix = match (m.discovery, &m.discovery_prefix) {
        (Some(false), _) => None,
        (_, Some(d)) if !is_name(d.get_ref()) => {
            p.add(
                d.span(),
                format!(
                    "[mqtt] discovery_prefix `{}`: one topic level of letters, digits, _ or -",
                    d.get_ref()
                ),
            );
            None
        }
        (_, Some(d)) => Some(d.get_ref().clone()),
        (_, None) => Some("homeassistant".to_string()),
    };
    if let Some(c) = &m.client_id {
        if c.get_ref().is_empty() || c.get_ref().len() > 64 {
            p.add(c.span(), "[mqtt] client_id: give 1-64 characters");
        }
    }
    let password_file = m.password_file.as_ref().map(|f| {
        let path = PathBuf::from(f.get_ref());
        if let Err(e) = check_secret_file(&path) {
            p.add(f.span(), format!("[mqtt] password_file: {e}"));
        }
        if m.username.is_none() {
            p.add(f.span(), "[mqtt] password_file without username: give both");
        }
        path
    });
    let keep_alive = match &m.keep_alive {
        Some(v) if !(v.get_ref().is_finite() && *v.get_ref() >= 5.0 && *v.get_ref() <= 65535.0) => {
            p.add(
                v.span(),
                format!("[mqtt] keep_alive {}: give 5-65535 seconds", v.get_ref()),
            );
            Duration::from_secs(30)
        }
        Some(v) => Duration::from_secs_f64(*v.get_ref()),
        None => Duration::from_secs(30),
    };
    if p.list.len() != before {
        return None;
    }
    Some(Mqtt {
        host,
        port,
        protocol,
        client_id: m.client_id.map(Spanned::into_inner),
        base_topic,
        discovery_prefix,
        username: m.username,
        password_file,
        tls,
        keep_alive,
    })
}

/// The `[[line]]` tables: each checked on its own, then names and lines for duplicates.
fn gpio_lines(values: &[Spanned<DeValue<'_>>], p: &mut Problems<'_>) -> Vec<Line> {
    use udrv_core::gpio::{Bias, Drive};
    let mut out = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut ats: BTreeSet<String> = BTreeSet::new();
    let mut interrupts: std::collections::BTreeMap<String, (String, String)> = Default::default();
    for (i, v) in values.iter().enumerate() {
        let what = format!("[[line]] {}: ", i + 1);
        let before = p.list.len();
        let Some(t) = section::<GpioLineToml>(v, &what, p) else {
            continue;
        };
        let name = t.name.get_ref().clone();
        if !is_name(&name) {
            p.add(
                t.name.span(),
                format!(
                    "{what}name `{name}`: a line's name is 1-64 letters, digits, `_` or `-` \
                     (clients and topics use it)"
                ),
            );
        } else if !names.insert(name.clone()) {
            p.add(
                t.name.span(),
                format!("{what}duplicate line name `{name}`: give each line its own `name`"),
            );
        }
        let at = match (&t.line, &t.chip, &t.offset) {
            (Some(l), None, None) if l.get_ref().contains('@') => {
                match parse_chip_pin(l.get_ref().trim()) {
                    Ok((spec, pin)) => Some((LineAt::Pin { spec, pin }, l.span())),
                    Err(e) => {
                        p.add(l.span(), format!("{what}{e}"));
                        None
                    }
                }
            }
            (Some(l), None, None) if !l.get_ref().trim().is_empty() => {
                Some((LineAt::Name(l.get_ref().trim().to_string()), l.span()))
            }
            (Some(l), None, None) => {
                p.add(
                    l.span(),
                    format!("{what}line is empty: give the line's name"),
                );
                None
            }
            (None, Some(c), Some(o)) => Some((
                LineAt::Offset {
                    chip: c.get_ref().clone(),
                    offset: *o.get_ref(),
                },
                c.span(),
            )),
            (Some(l), _, _) => {
                p.add(
                    l.span(),
                    format!(
                        "{what}give the line either by name (line = \"GPIO27\") or by chip and \
                         offset (chip = \"gpiochip0\", offset = 27), not both"
                    ),
                );
                None
            }
            (None, Some(c), None) => {
                p.add(c.span(), format!("{what}chip without offset: give both"));
                None
            }
            (None, None, Some(o)) => {
                p.add(o.span(), format!("{what}offset without chip: give both"));
                None
            }
            (None, None, None) => {
                p.add(
                    t.name.span(),
                    format!(
                        "{what}which line? give line = \"GPIO27\" (its name) or chip = \
                         \"gpiochip0\" and offset = 27"
                    ),
                );
                None
            }
        };
        if let Some((at, span)) = &at {
            if !ats.insert(at.to_string()) {
                p.add(
                    span.clone(),
                    format!("{what}the line {at} is declared twice: declare it once"),
                );
            }
        }
        let output = match t.direction.get_ref().as_str() {
            "output" | "out" => true,
            "input" | "in" => false,
            other => {
                p.add(
                    t.direction.span(),
                    format!("{what}direction `{other}`: give \"output\" or \"input\""),
                );
                true
            }
        };
        let bias = t.bias.as_ref().and_then(|b| match b.get_ref().as_str() {
            "pull-up" => Some(Bias::PullUp),
            "pull-down" => Some(Bias::PullDown),
            "disabled" => Some(Bias::Disabled),
            other => {
                p.add(
                    b.span(),
                    format!(
                        "{what}bias `{other}`: give \"pull-up\", \"pull-down\" or \"disabled\""
                    ),
                );
                None
            }
        });
        let drive = t.drive.as_ref().and_then(|d| {
            let drive = match d.get_ref().as_str() {
                "push-pull" => Drive::PushPull,
                "open-drain" => Drive::OpenDrain,
                "open-source" => Drive::OpenSource,
                other => {
                    p.add(
                        d.span(),
                        format!(
                            "{what}drive `{other}`: give \"push-pull\", \"open-drain\" or \
                             \"open-source\""
                        ),
                    );
                    return None;
                }
            };
            if !output {
                p.add(
                    d.span(),
                    format!("{what}drive on an input: drive is for outputs; leave it out"),
                );
            }
            Some(drive)
        });
        let pin = match &at {
            Some((LineAt::Pin { spec, .. }, _)) => Some(spec.kind()),
            _ => None,
        };
        let pwm = pin == Some(ChipKind::Pca9685);
        chip_pin_checks(&t, pin, output, &what, p);
        // The pins of one MCP23017 share its interrupt line (INTA and INTB mirrored).
        if let (Some((LineAt::Pin { spec, .. }, _)), Some(i)) = (&at, &t.interrupt) {
            let int = interrupt_line(i.get_ref()).to_string();
            match interrupts.get(&spec.to_string()) {
                Some((other, first)) if *other != int => p.add(
                    i.span(),
                    format!(
                        "{what}interrupt = \"{int}\" but {first} of the same {spec} has \
                         \"{other}\": the pins of one chip share its INT line (INTA and INTB \
                         mirrored); give the same line"
                    ),
                ),
                Some(_) => {}
                None => {
                    interrupts.insert(spec.to_string(), (int, name.clone()));
                }
            }
        }
        let start_duty = match &t.start {
            Some(s) if pwm && !(0.0..=1.0).contains(s.get_ref()) => {
                p.add(
                    s.span(),
                    format!(
                        "{what}start = {}: a PWM channel's duty is 0.0..=1.0",
                        s.get_ref()
                    ),
                );
                0.0
            }
            Some(s) if pwm => *s.get_ref(),
            _ => 0.0,
        };
        let start = match &t.start {
            Some(_) if pwm => start_duty > 0.0,
            Some(s) if !output => {
                p.add(
                    s.span(),
                    format!("{what}start on an input: the service sets outputs only"),
                );
                false
            }
            Some(s) if *s.get_ref() != 0.0 && *s.get_ref() != 1.0 => {
                p.add(
                    s.span(),
                    format!(
                        "{what}start = {}: give 0 (inactive) or 1 (active)",
                        s.get_ref()
                    ),
                );
                false
            }
            Some(s) => *s.get_ref() == 1.0,
            None => false,
        };
        let for_outputs =
            |flag: &Option<Spanned<bool>>, why: String, p: &mut Problems<'_>| match flag {
                Some(f) if !output && *f.get_ref() => {
                    p.add(f.span(), why);
                    false
                }
                Some(f) => *f.get_ref(),
                None => false,
            };
        let restore = for_outputs(
            &t.restore,
            format!("{what}restore on an input: only outputs have a level to restore"),
            p,
        );
        let writable = for_outputs(
            &t.writable,
            format!("{what}writable on an input: only outputs take commands"),
            p,
        );
        let rate = match &t.rate {
            Some(r) if !writable => {
                p.add(
                    r.span(),
                    format!(
                        "{what}rate without writable = true: only writable outputs take \
                         commands; add writable = true or leave rate out"
                    ),
                );
                DEFAULT_RATE
            }
            Some(r) if !(1..=1000).contains(r.get_ref()) => {
                p.add(
                    r.span(),
                    format!(
                        "{what}rate = {}: give 1 to 1000 commands per second",
                        r.get_ref()
                    ),
                );
                DEFAULT_RATE
            }
            Some(r) => *r.get_ref(),
            None => DEFAULT_RATE,
        };
        let debounce = t.debounce.as_ref().and_then(|d| {
            let x = *d.get_ref();
            if output {
                p.add(
                    d.span(),
                    format!("{what}debounce on an output: debounce is for inputs; leave it out"),
                );
                return None;
            }
            if matches!(at, Some((LineAt::Pin { .. }, _))) {
                p.add(
                    d.span(),
                    format!(
                        "{what}debounce on a chip pin: it is the kernel's, for GPIO lines; \
                         leave it out"
                    ),
                );
                return None;
            }
            // The kernel takes whole microseconds in a u32.
            if !(x.is_finite() && x >= 1e-6 && x <= f64::from(u32::MAX) / 1e6) {
                p.add(
                    d.span(),
                    format!(
                        "{what}debounce {x}: give the period in seconds, from 0.000001 to \
                         4294 (e.g. debounce = 0.005 for 5 ms)"
                    ),
                );
                return None;
            }
            Some(Duration::from_micros((x * 1e6).round() as u64))
        });
        if p.list.len() != before {
            continue;
        }
        if let Some((at, _)) = at {
            out.push(Line {
                name,
                at,
                output,
                active_low: t.active_low.unwrap_or(false),
                bias,
                drive,
                start,
                restore,
                start_duty,
                interrupt: t.interrupt.as_ref().map(|i| interrupt_line(i.get_ref())),
                writable,
                rate,
                debounce,
            });
        }
    }
    out
}

/// `GPIO17` (a name) or `gpiochip0:17` (chip and offset).
fn interrupt_line(text: &str) -> LineAt {
    match text.rsplit_once(':') {
        Some((chip, o)) if o.parse::<u32>().is_ok() => LineAt::Offset {
            chip: chip.to_string(),
            offset: o.parse().unwrap_or(0),
        },
        _ => LineAt::Name(text.to_string()),
    }
}

/// What a chip pin (`kind`, `None` for a GPIO line) may be given: an MCP23017's inputs
/// a pull-up and an interrupt line, a PCA9685 channel is an output; no drive.
fn chip_pin_checks(
    t: &GpioLineToml,
    kind: Option<ChipKind>,
    output: bool,
    what: &str,
    p: &mut Problems<'_>,
) {
    if let Some(i) = &t.interrupt {
        if kind != Some(ChipKind::Mcp23017) || output {
            p.add(
                i.span(),
                format!(
                    "{what}interrupt on {}: it is for an MCP23017's input pins (the GPIO \
                     line wired to its INTA/INTB)",
                    if output { "an output" } else { "this line" }
                ),
            );
        } else if i.get_ref().trim().is_empty() {
            p.add(
                i.span(),
                format!("{what}interrupt is empty: give the GPIO line (\"GPIO17\")"),
            );
        }
    }
    let Some(kind) = kind else { return };
    if kind == ChipKind::Pca9685 && !output {
        p.add(
            t.direction.span(),
            format!(
                "{what}a PCA9685 channel is a PWM output: give direction = \"output\" \
                 (set its duty)"
            ),
        );
    }
    if let Some(d) = &t.drive {
        p.add(
            d.span(),
            format!("{what}drive on a chip pin: the {kind} sets its own drive; leave it out"),
        );
    }
    if let Some(b) = &t.bias {
        let pull_up = kind == ChipKind::Mcp23017 && !output && b.get_ref() == "pull-up";
        if !pull_up {
            p.add(
                b.span(),
                format!(
                    "{what}bias on a {kind} pin: only an MCP23017's inputs have one \
                     (\"pull-up\"); leave it out"
                ),
            );
        }
    }
}

/// `[socket]`: the path (absolute), the mode (at most 0o777, the owner able to use it).
fn socket_section(t: Option<SocketToml>, p: &mut Problems<'_>) -> Socket {
    let mut s = Socket {
        path: PathBuf::from(DEFAULT_SOCKET),
        mode: 0o660,
        group: None,
    };
    let Some(t) = t else { return s };
    if let Some(path) = &t.path {
        if !path.get_ref().starts_with('/') {
            p.add(
                path.span(),
                format!(
                    "[socket] path `{}`: give an absolute path (e.g. \"{DEFAULT_SOCKET}\")",
                    path.get_ref()
                ),
            );
        }
        s.path = PathBuf::from(path.get_ref());
    }
    if let Some(m) = &t.mode {
        if *m.get_ref() > 0o777 || *m.get_ref() & 0o600 != 0o600 {
            p.add(
                m.span(),
                format!(
                    "[socket] mode {:o}: give permission bits the owner can use, e.g. 0o660 \
                     (owner and group) or 0o600 (owner only)",
                    m.get_ref()
                ),
            );
        }
        s.mode = *m.get_ref() & 0o777;
    }
    if let Some(g) = &t.group {
        if g.get_ref().is_empty() {
            p.add(g.span(), "[socket] group is empty: give a group name");
        }
        s.group = Some(g.get_ref().clone());
    }
    s
}

/// A TOML type's name with its article: "an integer", "a string".
fn with_article(name: &str) -> String {
    match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        Config::parse(text)
            .expect_err("the text has mistakes")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// Each problem starts as its counterpart in `want`, and there are as many.
    fn assert_starts(got: &[String], want: &[&str]) {
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g:?} should start with {w:?}");
        }
    }

    #[test]
    fn a_good_file_reads() {
        let c = Config::parse(
            "board = \"kitchen\"\ninterval = 2\n[[chip]]\nspec = \"bme280@i2c-1:0x76\"\n\
             quantities = [\"temperature\"]\n[[chip]]\nname = \"oven\"\nspec = \
             \"max31855@spidev0.1\"\ninterval = 0.5\n",
        )
        .unwrap();
        assert_eq!(c.board.as_deref(), Some("kitchen"));
        assert_eq!(c.chips[0].name, "bme280_0x76");
        assert_eq!(c.chips[0].interval, Duration::from_secs(2));
        assert_eq!(c.chips[0].quantities, Some(vec![Quantity::Temperature]));
        assert_eq!(c.chips[1].interval, Duration::from_millis(500));
        assert_eq!(c.json, Some(JsonOut { path: None }));
        assert!(c.mqtt.is_none());
    }

    #[test]
    fn every_mistake_is_reported_with_its_place() {
        let text = "board = \"kitchen\"\nbored = 1\n[[chip]]\nname = \"a\"\nspec = \
                    \"bme280@i2c-1:0x76\"\ninterval = \"5\"\nintervall = 5\n[[chip]]\nname = \
                    \"a\"\nspec = \"bme281@i2c-1:0x76\"\n[[chip]]\nspec = \"lm75@i2c-1:0x48\"\n\
                    interval = 0\nquantities = [\"temprature\"]\n";
        let got = problems(text);
        let want = [
            "2:1: unknown key `bored`",
            "6:12: [[chip]] 1: invalid type: string \"5\"",
            "7:1: [[chip]] 1: unknown field `intervall`",
            "9:8: [[chip]] 2: duplicate chip name `a`",
            "10:8: [[chip]] 2: spec: unknown chip `bme281`",
            "13:12: [[chip]] 3: interval 0: give a positive number",
            "14:15: [[chip]] 3: unknown quantity `temprature`",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g:?} should start with {w:?}");
        }
    }

    #[test]
    fn the_fleet_outputs_are_checked_with_their_places() {
        let c = Config::parse(
            "[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[prometheus]\n[influxdb]\nurl = \
             \"http://db.lan\"\ndatabase = \"udrv\"\ntags = { site = \"north wing, room=3\" }\n\
             [line_protocol]\n",
        )
        .unwrap();
        assert_eq!(c.prometheus.unwrap().listen.to_string(), "127.0.0.1:9875");
        let i = c.influxdb.unwrap();
        assert_eq!((i.host.as_str(), i.port), ("db.lan", 8086));
        assert_eq!(i.tags, [("site".into(), "north wing, room=3".into())]);
        assert_eq!(c.line_protocol.unwrap().path, None);
        assert_eq!(c.json, None, "an output given: no JSON lines by default");
        let got = problems(
            "[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[prometheus]\nlisten = \"localhost:99999\"\n\
             [influxdb]\nurl = \"https://db.lan\"\ndatabase = \"my db\"\ntags = { board = \"x\" }\n\
             [json]\n[line_protocol]\n",
        );
        let want = [
            "4:10: [prometheus] listen `localhost:99999`: give an IP address and a port",
            "6:7: [influxdb] url `https://db.lan`: give http://HOST[:PORT]",
            "7:12: [influxdb] database `my db`",
            "8:8: [influxdb] tags: key `board`",
            "10:1: [line_protocol] and [json] both write to standard output",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g:?} should start with {w:?}");
        }
    }

    #[test]
    fn declared_lines_are_read_and_their_mistakes_placed() {
        let c = Config::parse(
            "[[line]]\nname = \"heater\"\nline = \"GPIO27\"\ndirection = \"output\"\nstart = 1\n\
             restore = true\ndrive = \"open-drain\"\n[[line]]\nname = \"door\"\nchip = \
             \"gpiochip0\"\noffset = 17\ndirection = \"input\"\nbias = \"pull-up\"\n\
             active_low = true\ndebounce = 0.005\n[socket]\npath = \"/tmp/u.sock\"\nmode = 0o600\n[state]\n\
             dir = \"/tmp/st\"\n",
        )
        .unwrap();
        assert!(c.chips.is_empty());
        assert_eq!(c.lines.len(), 2);
        let h = &c.lines[0];
        assert_eq!(h.at, LineAt::Name("GPIO27".into()));
        assert!(h.output && h.start && h.restore && !h.active_low);
        assert_eq!(h.drive, Some(udrv_core::gpio::Drive::OpenDrain));
        let d = &c.lines[1];
        assert_eq!(d.at.to_string(), "gpiochip0:17");
        assert!(!d.output && d.active_low && !d.start);
        assert_eq!(d.bias, Some(udrv_core::gpio::Bias::PullUp));
        assert_eq!(d.debounce, Some(Duration::from_millis(5)));
        assert_eq!(h.debounce, None);
        assert_eq!(c.socket.path, PathBuf::from("/tmp/u.sock"));
        assert_eq!(c.socket.mode, 0o600);
        assert_eq!(c.state_dir, PathBuf::from("/tmp/st"));

        let got = problems(
            "[[line]]\nname = \"a\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
             [[line]]\nname = \"a\"\nline = \"GPIO27\"\ndirection = \"sideways\"\n\
             [[line]]\nname = \"b\"\nchip = \"gpiochip0\"\ndirection = \"input\"\n\
             start = 1\n[[line]]\nname = \"c\"\nline = \"GPIO5\"\ndirection = \"input\"\n\
             drive = \"open-drain\"\nrestore = true\nbias = \"up\"\n[[line]]\nname = \"d\"\n\
             line = \"GPIO6\"\ndirection = \"output\"\nstart = 2\nlevel = 1\n[socket]\n\
             path = \"rel.sock\"\nmode = 0o066\n[[line]]\nname = \"e\"\nline = \"GPIO7\"\n\
             direction = \"output\"\ndebounce = 0.01\n[[line]]\nname = \"f\"\n\
             line = \"GPIO8\"\ndirection = \"input\"\ndebounce = 0\n[[line]]\nname = \"g\"\n\
             line = \"GPIO9\"\ndirection = \"input\"\ndebounce = 5000\n",
        );
        let want = [
            "6:8: [[line]] 2: duplicate line name `a`",
            "7:8: [[line]] 2: the line GPIO27 is declared twice",
            "8:13: [[line]] 2: direction `sideways`",
            "11:8: [[line]] 3: chip without offset",
            "13:9: [[line]] 3: start on an input",
            "18:9: [[line]] 4: drive on an input",
            "19:11: [[line]] 4: restore on an input",
            "20:8: [[line]] 4: bias `up`",
            "25:9: [[line]] 5: start = 2: give 0 (inactive) or 1 (active)",
            "26:1: [[line]] 5: unknown field `level`",
            "28:8: [socket] path `rel.sock`: give an absolute path",
            "29:8: [socket] mode 66",
            "34:12: [[line]] 6: debounce on an output",
            "39:12: [[line]] 7: debounce 0: give the period in seconds",
            "44:12: [[line]] 8: debounce 5000: give the period in seconds",
        ];
        assert_eq!(got.len(), want.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g:?} should start with {w:?}");
        }
    }

    #[test]
    fn chip_pins_are_read_and_their_mistakes_placed() {
        let c = Config::parse(
            "[[line]]\nname = \"relay\"\nline = \"mcp23017@i2c-1:0x20/B3\"\n\
             direction = \"output\"\n[[line]]\nname = \"fan\"\nline = \
             \"pca9685@i2c-1:0x41/3\"\ndirection = \"output\"\nstart = 0.25\n\
             [[line]]\nname = \"button\"\nline = \"mcp23017@1:0x20/GPA1\"\ndirection = \
             \"input\"\nbias = \"pull-up\"\ninterrupt = \"gpiochip1:3\"\n[[line]]\n\
             name = \"lamp\"\nline = \"pca9554@i2c-1:0x21/7\"\ndirection = \"output\"\n",
        )
        .unwrap();
        let at: Vec<String> = c.lines.iter().map(|l| l.at.to_string()).collect();
        assert_eq!(
            at,
            [
                "mcp23017@i2c-1:0x20/B3",
                "pca9685@i2c-1:0x41/3",
                "mcp23017@i2c-1:0x20/A1",
                "pca9554@i2c-1:0x21/7"
            ]
        );
        assert!(matches!(c.lines[0].at, LineAt::Pin { pin: 11, .. }));
        assert!(!c.lines[0].is_pwm() && c.lines[1].is_pwm());
        assert_eq!(c.lines[1].start_duty, 0.25);
        assert_eq!(
            c.lines[2].interrupt,
            Some(LineAt::Offset {
                chip: "gpiochip1".into(),
                offset: 3
            })
        );

        let got = problems(
            "[[line]]\nname = \"a\"\nline = \"mcp23017@i2c-1:0x20/B9\"\n\
             direction = \"output\"\n[[line]]\nname = \"b\"\nline = \"foo@i2c-1:0x20/1\"\n\
             direction = \"output\"\n[[line]]\nname = \"c\"\nline = \"pca9685@i2c-1:0x40/2\"\n\
             direction = \"input\"\n[[line]]\nname = \"d\"\nline = \"pca9685@i2c-1:0x40/4\"\n\
             direction = \"output\"\nstart = 1.5\n[[line]]\nname = \"e\"\nline = \
             \"bme280@i2c-1:0x76/1\"\ndirection = \"output\"\n[[line]]\nname = \"f\"\n\
             line = \"pca9554@i2c-1:0x21/2\"\ndirection = \"input\"\ninterrupt = \"GPIO4\"\n\
             [[line]]\nname = \"g\"\nline = \"mcp23017@i2c-1:0x20/A2\"\ndirection = \"input\"\n\
             interrupt = \"GPIO4\"\n[[line]]\nname = \"h\"\nline = \"mcp23017@i2c-1:0x20/A3\"\n\
             direction = \"input\"\ninterrupt = \"GPIO5\"\n[[line]]\nname = \"i\"\n\
             line = \"mcp23017@i2c-1:0x20/A4\"\ndirection = \"input\"\ndebounce = 0.01\n",
        );
        let want = [
            "3:8: [[line]] 1: `B9` is not a pin of the mcp23017: give A0..A7 or B0..B7",
            "7:8: [[line]] 2: unknown chip `foo`",
            "12:13: [[line]] 3: a PCA9685 channel is a PWM output",
            "17:9: [[line]] 4: start = 1.5: a PWM channel's duty is 0.0..=1.0",
            "20:8: [[line]] 5: bme280 has no pins the service can hold",
            "26:13: [[line]] 6: interrupt on this line: it is for an MCP23017's input pins",
            "36:13: [[line]] 8: interrupt = \"GPIO5\" but g of the same mcp23017@i2c-1:0x20 \
             has \"GPIO4\"",
            "41:12: [[line]] 9: debounce on a chip pin",
        ];
        let placed = got.iter().zip(want).all(|(g, w)| g.starts_with(w));
        assert!(placed && got.len() == want.len(), "{got:#?}");
    }

    #[test]
    fn writable_outputs_and_their_rate_are_read_and_mistakes_placed() {
        let c = Config::parse(
            "[[line]]\nname = \"heater\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
             writable = true\nrate = 2\n[[line]]\nname = \"led\"\nline = \"GPIO22\"\n\
             direction = \"output\"\nwritable = true\n[[line]]\nname = \"relay\"\nline = \
             \"GPIO23\"\ndirection = \"output\"\n",
        )
        .unwrap();
        let l = &c.lines;
        assert!(l[0].writable && l[0].rate == 2);
        assert!(l[1].writable && l[1].rate == DEFAULT_RATE);
        assert!(!l[2].writable, "read-only unless declared writable");
        let got = problems(
            "[[line]]\nname = \"a\"\nline = \"GPIO17\"\ndirection = \"input\"\n\
             writable = true\n[[line]]\nname = \"b\"\nline = \"GPIO27\"\n\
             direction = \"output\"\nrate = 3\n[[line]]\nname = \"c\"\nline = \"GPIO22\"\n\
             direction = \"output\"\nwritable = true\nrate = 0\n",
        );
        assert_starts(
            &got,
            &[
                "5:12: [[line]] 1: writable on an input",
                "10:8: [[line]] 2: rate without writable = true",
                "16:8: [[line]] 3: rate = 0: give 1 to 1000",
            ],
        );
    }

    #[test]
    fn syntax_errors_are_all_reported() {
        let got = problems("board = \n[[chip]]\nspec = \"lm75@i2c-1:0x48\"\nx = = 2\n");
        assert!(got.len() >= 2, "{got:#?}");
        assert!(got[0].starts_with("1:"), "{got:#?}");
    }
}
