//! Helpers of the catalog's reading tests (`catalog_read.rs`, `catalog_read_spi.rs`):
//! read a spec on a simulated bus, and look at what came back.

#![allow(dead_code)]

use std::time::{Duration, UNIX_EPOCH};

use embedded_hal::delay::DelayNs;
use udrv_boards::catalog::{self, ChipRead, ChipSpec, Quantity, Sequence};
use udrv_drivers::sim::{SimI2cBus, SimSpiDevice, SpiTarget};

/// No waiting: the models answer at once.
pub struct NoDelay;
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _: u32) {}
}

pub const AT: Duration = Duration::from_secs(1_795_308_924);

pub fn stamped(spec: &ChipSpec, r: &ChipRead, first: u64) {
    for (i, x) in r.readings.iter().enumerate() {
        assert_eq!(x.seq, first + i as u64, "{x:?}");
        assert_eq!(x.time, UNIX_EPOCH + AT);
        assert_eq!(x.chip(), spec.kind());
        assert_eq!(&x.source.with_channel(None), spec);
    }
}

/// Reads `spec` on `bus` (sequence from 1).
pub fn i2c(spec: &str, bus: SimI2cBus) -> ChipRead {
    let spec: ChipSpec = spec.parse().unwrap();
    let mut seq = Sequence::new();
    let r = catalog::read_i2c(&spec, bus, &mut NoDelay, &mut seq, UNIX_EPOCH + AT)
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
    stamped(&spec, &r, 1);
    assert_eq!(seq.last(), r.readings.len() as u64);
    r
}

/// Reads `spec` on a device with `model`.
pub fn spi<M: SpiTarget + 'static>(spec: &str, model: M) -> ChipRead {
    let spec: ChipSpec = spec.parse().unwrap();
    let (dev, _) = SimSpiDevice::new(model);
    let mut seq = Sequence::new();
    let r = catalog::read_spi(&spec, dev, &mut NoDelay, &mut seq, UNIX_EPOCH + AT)
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
    stamped(&spec, &r, 1);
    r
}

/// `temperature °C`, `voltage#ain0 V`: what the readings are, in order.
pub fn shape(r: &ChipRead) -> Vec<String> {
    r.readings
        .iter()
        .map(|x| {
            let ch = x.channel().map(|c| format!("#{c}")).unwrap_or_default();
            format!("{}{ch} {}", x.quantity, x.unit())
                .trim()
                .to_string()
        })
        .collect()
}

pub fn value(r: &ChipRead, q: Quantity, ch: Option<&str>) -> f64 {
    r.get(q, ch)
        .unwrap_or_else(|| panic!("no {q} {ch:?} in {:?}", shape(r)))
        .value
}

pub fn near(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{got} vs {want} (±{tol})");
}

pub fn pins(r: &ChipRead) -> Vec<(String, f64)> {
    r.readings
        .iter()
        .filter(|x| x.quantity == Quantity::DigitalState)
        .map(|x| (x.channel().unwrap_or("").to_string(), x.value))
        .collect()
}

/// `A0`..`B7` high where `high` says.
pub fn mcp_pins(r: &ChipRead, high: &[&str]) {
    let names: Vec<String> = ["A", "B"]
        .iter()
        .flat_map(|p| (0..8).map(move |n| format!("{p}{n}")))
        .collect();
    let want: Vec<(String, f64)> = names
        .into_iter()
        .map(|n| {
            let v = if high.contains(&n.as_str()) { 1.0 } else { 0.0 };
            (n, v)
        })
        .collect();
    assert_eq!(pins(r), want);
    assert_eq!(r.raw("iodir").unwrap().bytes, [0xff, 0xff], "all inputs");
}
