//! The quantities a reading can be: a closed vocabulary (no typos), open to growth
//! (`#[non_exhaustive]`), each with its unit and the names Home Assistant and Prometheus
//! give it. docs/catalog.md has the same table (a test compares them) and the rule for
//! adding a quantity.

use std::fmt::{self, Display};
use std::str::FromStr;

/// What a reading measures or reports.
///
/// Adding one: a variant at the end (names are API: MQTT topics and metric names derive
/// from them, so never rename or reorder), its row in [`Quantity::info`] and in
/// docs/catalog.md, following the rule there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Quantity {
    /// A temperature, in degrees Celsius.
    Temperature,
    /// A relative humidity, in percent.
    Humidity,
    /// A pressure, in pascals.
    Pressure,
    /// A voltage, in volts.
    Voltage,
    /// A current, in amperes.
    Current,
    /// A power, in watts.
    Power,
    /// An illuminance, in lux.
    Illuminance,
    /// A frequency, in hertz.
    Frequency,
    /// A duty cycle (the part of a period a PWM output is on), in percent.
    DutyCycle,
    /// A date and time a chip holds (a real-time clock): seconds since 1970-01-01
    /// 00:00:00 UTC, the chip's date read as UTC.
    Time,
    /// A digital state: 1 (high, on, set) or 0 (low, off, clear).
    DigitalState,
    /// An amount of data, in bytes (a memory's capacity).
    DataSize,
}

/// How a quantity is carried and what Home Assistant and Prometheus call it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantityInfo {
    /// The quantity.
    pub quantity: Quantity,
    /// Its stable name (`temperature`): JSON, MQTT topics and metric names use it.
    pub name: &'static str,
    /// The unit of a reading's value (`°C`); empty: a number without unit.
    pub unit: &'static str,
    /// Home Assistant: the MQTT discovery component (`sensor`, `binary_sensor`).
    pub ha_component: &'static str,
    /// Home Assistant: the device class, if one fits.
    pub ha_device_class: Option<&'static str>,
    /// Home Assistant: the unit of measurement, if any.
    pub ha_unit: Option<&'static str>,
    /// Prometheus: the base unit, the metric name's suffix (`celsius`); empty: none.
    pub prometheus_unit: &'static str,
    /// Prometheus: the factor from a reading's value to the base unit (humidity: 0.01,
    /// percent to ratio).
    pub prometheus_scale: f64,
}

impl QuantityInfo {
    /// The Prometheus metric name: `udrv_temperature_celsius`, `udrv_digital_state`.
    pub fn prometheus_name(&self) -> String {
        if self.prometheus_unit.is_empty() {
            format!("udrv_{}", self.name)
        } else {
            format!("udrv_{}_{}", self.name, self.prometheus_unit)
        }
    }
}

const fn row(
    quantity: Quantity,
    name: &'static str,
    unit: &'static str,
    ha: (&'static str, Option<&'static str>, Option<&'static str>),
    prometheus: (&'static str, f64),
) -> QuantityInfo {
    QuantityInfo {
        quantity,
        name,
        unit,
        ha_component: ha.0,
        ha_device_class: ha.1,
        ha_unit: ha.2,
        prometheus_unit: prometheus.0,
        prometheus_scale: prometheus.1,
    }
}

const SENSOR: &str = "sensor";

/// Every quantity's row, in [`Quantity::ALL`] order.
const TABLE: [QuantityInfo; 12] = [
    row(
        Quantity::Temperature,
        "temperature",
        "°C",
        (SENSOR, Some("temperature"), Some("°C")),
        ("celsius", 1.0),
    ),
    row(
        Quantity::Humidity,
        "humidity",
        "%",
        (SENSOR, Some("humidity"), Some("%")),
        ("ratio", 0.01),
    ),
    row(
        Quantity::Pressure,
        "pressure",
        "Pa",
        (SENSOR, Some("pressure"), Some("Pa")),
        ("pascals", 1.0),
    ),
    row(
        Quantity::Voltage,
        "voltage",
        "V",
        (SENSOR, Some("voltage"), Some("V")),
        ("volts", 1.0),
    ),
    row(
        Quantity::Current,
        "current",
        "A",
        (SENSOR, Some("current"), Some("A")),
        ("amperes", 1.0),
    ),
    row(
        Quantity::Power,
        "power",
        "W",
        (SENSOR, Some("power"), Some("W")),
        ("watts", 1.0),
    ),
    row(
        Quantity::Illuminance,
        "illuminance",
        "lx",
        (SENSOR, Some("illuminance"), Some("lx")),
        ("lux", 1.0),
    ),
    row(
        Quantity::Frequency,
        "frequency",
        "Hz",
        (SENSOR, Some("frequency"), Some("Hz")),
        ("hertz", 1.0),
    ),
    row(
        Quantity::DutyCycle,
        "duty_cycle",
        "%",
        (SENSOR, None, Some("%")),
        ("ratio", 0.01),
    ),
    row(
        Quantity::Time,
        "time",
        "s",
        (SENSOR, Some("timestamp"), None),
        ("seconds", 1.0),
    ),
    row(
        Quantity::DigitalState,
        "digital_state",
        "",
        ("binary_sensor", None, None),
        ("", 1.0),
    ),
    row(
        Quantity::DataSize,
        "data_size",
        "B",
        (SENSOR, Some("data_size"), Some("B")),
        ("bytes", 1.0),
    ),
];

impl Quantity {
    /// Every quantity, in table order.
    pub const ALL: [Quantity; 12] = [
        Quantity::Temperature,
        Quantity::Humidity,
        Quantity::Pressure,
        Quantity::Voltage,
        Quantity::Current,
        Quantity::Power,
        Quantity::Illuminance,
        Quantity::Frequency,
        Quantity::DutyCycle,
        Quantity::Time,
        Quantity::DigitalState,
        Quantity::DataSize,
    ];

    /// Its unit and names.
    pub fn info(self) -> &'static QuantityInfo {
        &TABLE[self as usize]
    }

    /// Its stable name (`temperature`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The unit of its values (`°C`; empty for a digital state).
    pub fn unit(self) -> &'static str {
        self.info().unit
    }
}

impl Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no quantity's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownQuantity(pub String);

impl Display for UnknownQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Quantity::ALL.iter().map(|q| q.name()).collect();
        write!(
            f,
            "unknown quantity `{}`; the quantities are: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownQuantity {}

impl FromStr for Quantity {
    type Err = UnknownQuantity;

    fn from_str(s: &str) -> Result<Quantity, UnknownQuantity> {
        Quantity::ALL
            .into_iter()
            .find(|q| q.name() == s)
            .ok_or_else(|| UnknownQuantity(s.to_string()))
    }
}
