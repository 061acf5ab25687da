//! The catalog's data model: the quantity table of docs/catalog.md is the code's, the one
//! serialization of a reading (its fields, and JSON that reads back to the same
//! reading), and the virtual board's chips, every one a catalog spec read through the
//! catalog.

use std::time::{Duration, UNIX_EPOCH};

use udrv_boards::catalog::{self, ChipSpec, Quantity, Reading, Sequence};
use udrv_boards::r#virtual::{Peripherals, VirtualBoard, CHIPS};

/// The rows between `<!-- quantities -->` and `<!-- /quantities -->`, cells trimmed,
/// header and rule left out.
fn doc_rows() -> Vec<Vec<String>> {
    let doc = include_str!("../../docs/catalog.md");
    let start = doc.find("<!-- quantities -->").expect("start marker");
    let end = doc.find("<!-- /quantities -->").expect("end marker");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

fn or_dash(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("—").to_string()
}

#[test]
fn the_quantity_table_in_the_docs_is_the_codes() {
    let rows = doc_rows();
    let code: Vec<Vec<String>> = Quantity::ALL
        .iter()
        .map(|q| {
            let i = q.info();
            assert_eq!(i.quantity, *q);
            vec![
                i.name.to_string(),
                or_dash(Some(i.unit)),
                i.ha_component.to_string(),
                or_dash(i.ha_device_class),
                or_dash(i.ha_unit),
                i.prometheus_name(),
                format!("×{}", i.prometheus_scale),
            ]
        })
        .collect();
    assert_eq!(rows, code);
    // Names are unique and read back.
    for q in Quantity::ALL {
        assert_eq!(q.name().parse::<Quantity>(), Ok(q));
    }
    assert!("temprature".parse::<Quantity>().is_err());
}

fn reading(channel: Option<&str>, q: Quantity, value: f64) -> Reading {
    let spec: ChipSpec = "ads1115@i2c-1:0x48".parse().unwrap();
    Reading {
        seq: 7,
        time: UNIX_EPOCH + Duration::from_millis(1_795_308_924_500),
        source: spec.with_channel(channel.and_then(catalog::Channel::new)),
        quantity: q,
        value,
    }
}

#[test]
fn one_serialization_of_a_reading() {
    let r = reading(Some("ain0"), Quantity::Voltage, 1.6502);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "seq": 7,
            "time": 1_795_308_924.5,
            "device": "ads1115@i2c-1:0x48",
            "chip": "ads1115",
            "channel": "ain0",
            "quantity": "voltage",
            "value": 1.6502,
            "unit": "V",
        })
    );
    let text = serde_json::to_string(&r).unwrap();
    let back: Reading = serde_json::from_str(&text).unwrap();
    assert_eq!(back, r);
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
    // No channel: null; a digital state: no unit.
    let d = serde_json::to_value(reading(None, Quantity::DigitalState, 1.0)).unwrap();
    assert_eq!(
        (&d["channel"], &d["unit"]),
        (&serde_json::Value::Null, &"".into())
    );
    // What does not fit is refused, saying why.
    for (field, bad) in [
        ("unit", serde_json::json!("mV")),
        ("quantity", serde_json::json!("voltag")),
        ("chip", serde_json::json!("lm75")),
        ("device", serde_json::json!("ads1115@i2c-1:0x40")),
        ("channel", serde_json::json!("a-0")),
    ] {
        let mut w = v.clone();
        w[field] = bad;
        let e = serde_json::from_value::<Reading>(w).unwrap_err();
        assert!(!e.to_string().is_empty(), "{field}");
    }
}

#[test]
fn every_chip_of_the_virtual_board_is_read_through_the_catalog() {
    let board = VirtualBoard::at(Duration::from_secs(1000));
    let mut seq = Sequence::new();
    let mut delay = board.delay();
    for c in CHIPS {
        let spec = c.chip_spec();
        assert_eq!(spec.kind(), c.kind());
        assert_eq!(spec.to_string(), c.spec());
        assert_eq!(spec.address(), c.address(), "{spec}");
        let time = UNIX_EPOCH + Duration::from_secs(1000);
        let r = match spec.location() {
            catalog::Location::I2c {
                switch: Some(sw), ..
            } => {
                // Behind a switch channel: select it, read, deselect.
                use embedded_hal::i2c::I2c;
                let mut bus = board.i2c_bus("i2c-1").unwrap();
                bus.write(sw.address(), &[1 << sw.channel()]).unwrap();
                let r = catalog::read_i2c(&spec, bus.clone(), &mut delay, &mut seq, time);
                bus.write(sw.address(), &[0]).unwrap();
                r
            }
            catalog::Location::I2c { .. } => {
                let bus = board.i2c_bus("i2c-1").unwrap();
                catalog::read_i2c(&spec, bus, &mut delay, &mut seq, time)
            }
            catalog::Location::Spi { device, .. } => {
                let dev = board.spi_device_by_name(&device.to_string()).unwrap();
                catalog::read_spi(&spec, dev, &mut delay, &mut seq, time)
            }
            catalog::Location::W1 { .. } => unreachable!("{spec}: the virtual board has no 1-Wire"),
        }
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(
            !r.readings.is_empty() || !r.raw.is_empty(),
            "{spec} read nothing"
        );
        // Chips with an ID are identified: the chip the board put there answered.
        assert_eq!(
            r.identity.is_identified(),
            spec.kind().identification().read_checks(),
            "{spec}: {:?}",
            r.identity
        );
    }
    assert!(seq.last() > CHIPS.len() as u64);
}
