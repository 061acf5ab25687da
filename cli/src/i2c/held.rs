//! Raw register writes (`udrv i2c set`, `udrv i2c transfer` with a write) to a chip whose
//! pins or channels `udrv serve` holds are refused: the service's socket is asked which
//! lines it holds (`list` gives each line's spec, `mcp23017@i2c-1:0x20/B3`), and a write
//! to such a chip's address on the same bus fails with one message naming the service's
//! socket and the names to use instead (`udrv gpio set relay=1`). No service answering:
//! the write goes on. Reads (`get`, `dump`) are never refused.

use udrv_boards::catalog::{I2cBus, Location};
use udrv_service::client::{self, Client};
use udrv_service::config::parse_chip_pin;

use super::bus::Bus;
use crate::{Failure, Outcome};

/// Whether `spec`'s bus is `bus` (opened from `arg`).
fn same_bus(spec: &I2cBus, bus: &Bus, arg: &str) -> bool {
    match spec {
        I2cBus::Number(n) => bus.number() == Some(*n),
        I2cBus::Path(p) => bus.path() == *p,
        I2cBus::Name(n) => n == arg || *n == bus.name(),
    }
}

/// Refuses a raw write to any of `addresses` on `bus` when the service holds pins of the
/// chip there.
pub(super) fn refuse_held(bus: &Bus, arg: &str, addresses: &[u16]) -> Outcome {
    let path = client::socket_path();
    let Ok(lines) = Client::connect(&path).and_then(|mut c| c.list()) else {
        return Ok(());
    };
    for &address in addresses {
        let mut outputs = Vec::new();
        let mut inputs = Vec::new();
        for l in &lines {
            let Ok((spec, _)) = parse_chip_pin(&l.line) else {
                continue;
            };
            let Location::I2c {
                bus: b, address: a, ..
            } = spec.location()
            else {
                continue;
            };
            if u16::from(*a) == address && same_bus(b, bus, arg) {
                if l.output {
                    outputs.push(l.name.as_str());
                } else {
                    inputs.push(l.name.as_str());
                }
            }
        }
        if outputs.is_empty() && inputs.is_empty() {
            continue;
        }
        let instead = match (outputs.first(), inputs.first()) {
            (Some(o), _) => format!(
                "set its outputs ({}) through the service: udrv gpio set {o}=1",
                outputs.join(", ")
            ),
            (None, Some(i)) => format!(
                "read its inputs ({}) through the service: udrv gpio get {i}",
                inputs.join(", ")
            ),
            (None, None) => unreachable!("one of them has a name"),
        };
        return Err(Failure::op(format!(
            "udrv serve ({}) holds the pins of the chip at {address:#04x} on {}: a raw write \
             would change them behind it; {instead} (reads stay allowed; stop the service to \
             write its registers)",
            path.display(),
            bus.path()
        )));
    }
    Ok(())
}
