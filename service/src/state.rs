//! What the service publishes, as data: the state document of one chip read, the Home
//! Assistant discovery documents derived from the catalog's [`QuantityInfo`], and what
//! the reading loop shares with the MQTT publisher (which chips answer, which entities
//! they have).
//!
//! [`QuantityInfo`]: udrv_boards::catalog::QuantityInfo

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use udrv_boards::catalog::{Quantity, Reading};

/// One entity: a quantity of a chip, on a channel or not.
pub(crate) type Entity = (Quantity, Option<String>);

/// The key of an entity in a state document's `values`: `temperature`, `voltage_ain0`.
pub(crate) fn value_key(q: Quantity, channel: Option<&str>) -> String {
    match channel {
        Some(c) => format!("{}_{c}", q.name()),
        None => q.name().to_string(),
    }
}

/// `2026-01-02T03:04:05+00:00`: a time quantity as Home Assistant's `timestamp` takes it.
pub(crate) fn iso8601(seconds: f64) -> String {
    let s = seconds.floor() as i64;
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn unix(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The state document of one read of chip `chip` on `board`: `values` by entity key
/// (what Home Assistant's templates take), and every reading in the catalog's
/// serialization (unit, time, sequence number).
pub(crate) fn state_document(board: &str, chip: &str, readings: &[Reading]) -> Value {
    let mut values = Map::new();
    for r in readings {
        let v = if r.quantity == Quantity::Time {
            Value::from(iso8601(r.value))
        } else {
            json!(r.value)
        };
        values.insert(value_key(r.quantity, r.channel()), v);
    }
    json!({
        "board": board,
        "chip": chip,
        "device": readings.first().map(|r| r.source.with_channel(None).to_string()),
        "time": readings.first().map(|r| unix(r.time)),
        "seq": readings.first().map(|r| r.seq),
        "values": values,
        "readings": readings,
    })
}

/// Topics of a board.
#[derive(Clone, Debug)]
pub(crate) struct Topics {
    /// `udrv/kitchen`.
    pub base: String,
    /// The discovery prefix, if discovery is on.
    pub discovery: Option<String>,
    /// The board's name.
    pub board: String,
}

impl Topics {
    /// The board's availability (the last will): `online`/`offline`.
    pub fn status(&self) -> String {
        format!("{}/status", self.base)
    }

    /// A chip's state documents.
    pub fn state(&self, chip: &str) -> String {
        format!("{}/{chip}/state", self.base)
    }

    /// A chip's availability: `online` while it answers.
    pub fn availability(&self, chip: &str) -> String {
        format!("{}/{chip}/availability", self.base)
    }

    /// The queue's counts (`{"dropped": N, "queued": M}`).
    pub fn queue(&self) -> String {
        format!("{}/queue", self.base)
    }

    /// The unique id of an entity: `udrv_kitchen_room_temperature`.
    pub fn unique_id(&self, chip: &str, e: &Entity) -> String {
        format!(
            "udrv_{}_{chip}_{}",
            self.board,
            value_key(e.0, e.1.as_deref())
        )
    }

    /// The discovery topic and document of an entity of chip `chip` (spec `spec`).
    pub fn discovery(&self, chip: &str, spec: &str, e: &Entity) -> Option<(String, Value)> {
        let prefix = self.discovery.as_ref()?;
        let info = e.0.info();
        let key = value_key(e.0, e.1.as_deref());
        let unique_id = self.unique_id(chip, e);
        let topic = format!(
            "{prefix}/{}/udrv_{}/{chip}_{key}/config",
            info.ha_component, self.board
        );
        let mut doc = Map::new();
        let name = match &e.1 {
            Some(c) => format!("{chip} {c} {}", e.0.name().replace('_', " ")),
            None => format!("{chip} {}", e.0.name().replace('_', " ")),
        };
        doc.insert("name".into(), name.into());
        doc.insert("unique_id".into(), unique_id.into());
        doc.insert("state_topic".into(), self.state(chip).into());
        let template = if info.ha_component == "binary_sensor" {
            format!("{{{{ 'ON' if value_json['values']['{key}'] == 1 else 'OFF' }}}}")
        } else {
            format!("{{{{ value_json['values']['{key}'] }}}}")
        };
        doc.insert("value_template".into(), template.into());
        if let Some(dc) = info.ha_device_class {
            doc.insert("device_class".into(), dc.into());
        }
        if let Some(u) = info.ha_unit {
            doc.insert("unit_of_measurement".into(), u.into());
        }
        // Measurements have a state class; a date (timestamp) and a binary sensor none.
        if info.ha_component == "sensor" && info.ha_device_class != Some("timestamp") {
            doc.insert("state_class".into(), "measurement".into());
        }
        doc.insert(
            "availability".into(),
            json!([{"topic": self.status()}, {"topic": self.availability(chip)}]),
        );
        doc.insert("availability_mode".into(), "all".into());
        doc.insert(
            "device".into(),
            json!({
                "identifiers": [format!("udrv_{}", self.board)],
                "name": format!("udrv {}", self.board),
                "manufacturer": "udrv",
                "model": "udrv serve",
                "sw_version": env!("CARGO_PKG_VERSION"),
            }),
        );
        doc.insert(
            "origin".into(),
            json!({"name": "udrv", "sw_version": env!("CARGO_PKG_VERSION")}),
        );
        let _ = spec;
        Some((topic, Value::Object(doc)))
    }
}

/// A chip as the publisher sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ChipView {
    /// Its spec, printed.
    pub spec: String,
    /// Whether it answered its last read (`None`: not read yet).
    pub online: Option<bool>,
    /// The entities its reads gave.
    pub entities: BTreeSet<Entity>,
}

/// What the reading loop shares with the publisher.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// The chips by name.
    pub chips: BTreeMap<String, ChipView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_iso8601() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(1_767_323_045.5), "2026-01-02T03:04:05+00:00");
        assert_eq!(iso8601(951_782_400.0), "2000-02-29T00:00:00+00:00");
    }

    #[test]
    fn discovery_comes_from_the_catalog() {
        let t = Topics {
            base: "udrv/kitchen".into(),
            discovery: Some("homeassistant".into()),
            board: "kitchen".into(),
        };
        for q in Quantity::ALL {
            let (topic, doc) = t.discovery("room", "x", &(q, None)).unwrap();
            let info = q.info();
            assert!(topic.starts_with(&format!("homeassistant/{}/", info.ha_component)));
            assert_eq!(doc["device_class"].as_str(), info.ha_device_class, "{q}");
            assert_eq!(doc["unit_of_measurement"].as_str(), info.ha_unit, "{q}");
        }
        let (_, d) = t
            .discovery("room", "x", &(Quantity::Voltage, Some("ain0".into())))
            .unwrap();
        assert_eq!(d["unique_id"], "udrv_kitchen_room_voltage_ain0");
        assert_eq!(d["state_class"], "measurement");
    }
}
