//! `UDRV_VIRTUAL_FAULTS`: faults injected into the virtual board's buses, so the CLI's
//! behaviour under NACKs, timeouts and bus errors can be seen (and tested) without
//! hardware. Real buses are never touched by it.
//!
//! The variable holds rules separated by `;`, each `BUS[@ADDR]:FAULT[:OPTION]...`:
//!
//! * `BUS`: `i2c`, `spi` (all devices of that kind on the virtual board);
//! * `@ADDR`: only this I2C address (`i2c@0x76`);
//! * `FAULT`: `nack-addr` (ENXIO), `nack-data` (ENODEV), `timeout` (ETIMEDOUT), `eio`,
//!   `eagain` (arbitration lost), `ebusy`;
//! * options: `after=N` (let N matching operations through first), `times=N` (fail this
//!   many, default every one), `reads` / `writes` (only operations that read / only
//!   writes), `sent` (the operation reaches the chip, then fails), `partial=N` (only the
//!   first N bytes written reach the chip).
//!
//! Example: `UDRV_VIRTUAL_FAULTS='i2c@0x50:nack-data:partial=3:times=1'`.
//!
//! The plan is checked once, before any device is touched (a bad one is a usage error,
//! exit status 2), and one plan serves the whole command: `after` and `times` count the
//! operations of every chip and every round of a `udrv read`.

use embedded_hal::i2c::NoAcknowledgeSource;
use udrv_drivers::sim::fault::{Effect, Fault, Faults, Rule};

use crate::Failure;

/// The environment variable.
pub const ENV: &str = "UDRV_VIRTUAL_FAULTS";

/// The fault plan the environment asks for, if any.
pub fn from_env() -> Result<Option<Faults>, Failure> {
    match std::env::var(ENV) {
        Ok(spec) if !spec.trim().is_empty() => parse(&spec).map(Some),
        _ => Ok(None),
    }
}

/// Parses a plan (see the module documentation).
pub fn parse(spec: &str) -> Result<Faults, Failure> {
    let faults = Faults::new();
    for rule in spec.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        faults.add(parse_rule(rule)?);
    }
    Ok(faults)
}

fn parse_rule(text: &str) -> Result<Rule, Failure> {
    let bad = |why: &str| {
        Failure::usage(format!(
            "{ENV}: rule `{text}`: {why} (form: BUS[@ADDR]:FAULT[:after=N][:times=N][:reads|\
             :writes][:sent|:partial=N], e.g. i2c@0x50:nack-data:times=1)"
        ))
    };
    let mut parts = text.split(':');
    let target = parts.next().unwrap_or_default();
    let fault = match parts.next().unwrap_or_default() {
        "nack-addr" => Fault::Nack(NoAcknowledgeSource::Address),
        "nack-data" => Fault::Nack(NoAcknowledgeSource::Data),
        "timeout" => Fault::Timeout,
        "eio" => Fault::Io,
        "eagain" => Fault::ArbitrationLoss,
        "ebusy" => Fault::Busy,
        "" => return Err(bad("no fault given")),
        other => {
            return Err(bad(&format!(
                "unknown fault `{other}`: nack-addr, nack-data, timeout, eio, eagain, ebusy"
            )))
        }
    };
    let mut rule = Rule::new(fault);
    rule = match target.split_once('@') {
        Some(("i2c", addr)) => {
            let a =
                crate::i2c::syntax::parse_address(addr, true).map_err(|e| bad(&e.to_string()))?;
            rule.i2c().i2c_address(a as u8)
        }
        None if target == "i2c" => rule.i2c(),
        None if target == "spi" => rule.spi(),
        _ => {
            return Err(bad(&format!(
                "unknown bus `{target}`: i2c, i2c@ADDR or spi"
            )))
        }
    };
    for opt in parts {
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| bad(&format!("`{opt}` needs a number")))
        };
        rule = match opt.split_once('=') {
            Some(("after", v)) => rule.after(num(v)?),
            Some(("times", v)) => rule.times(num(v)?),
            Some(("partial", v)) => rule.effect(Effect::Partial(num(v)? as usize)),
            None if opt == "reads" => rule.reads(),
            None if opt == "writes" => rule.writes(),
            None if opt == "sent" => rule.effect(Effect::Sent),
            _ => return Err(bad(&format!("unknown option `{opt}`"))),
        };
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_bad_ones_say_why() {
        assert!(parse("i2c@0x50:nack-data:partial=3:times=1; spi:eio:after=2").is_ok());
        assert!(parse("i2c:timeout:reads:sent").is_ok());
        for (spec, needle) in [
            ("i2c@0x50", "no fault"),
            ("i2c:melt", "unknown fault `melt`"),
            ("can:eio", "unknown bus `can`"),
            ("i2c@0x80:eio", "out of range"),
            ("i2c:eio:times=x", "needs a number"),
            ("i2c:eio:sometimes", "unknown option"),
        ] {
            let e = parse(spec).unwrap_err();
            assert_eq!(e.code, 2);
            assert!(e.message.contains(needle), "{spec}: {}", e.message);
        }
    }
}
