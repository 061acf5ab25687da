//! The virtual board's settings from the environment, read in this one place so that every
//! program (each `udrv` command, the service, an example) treats them alike:
//!
//! * `UDRV_VIRTUAL_TIME`: the time of the board's world, in seconds since the Unix epoch
//!   (fractions allowed: `1000`, `100.5`), on a manual clock, so that every run reads the
//!   same values; unset, the world follows the wall clock.
//! * `UDRV_VIRTUAL_FAULTS`: faults injected into the board's buses (never into real ones),
//!   rules separated by `;`, each `BUS[@ADDR]:FAULT[:OPTION]...`:
//!   - `BUS`: `i2c`, `spi` (every device of that kind on the virtual board);
//!   - `@ADDR`: only this I2C address (`i2c@0x76`);
//!   - `FAULT`: `nack-addr` (ENXIO), `nack-data` (ENODEV), `timeout` (ETIMEDOUT), `eio`,
//!     `eagain` (arbitration lost), `ebusy`;
//!   - options: `after=N` (let N matching operations through first), `times=N` (fail
//!     this many, default every one), `reads` / `writes` (only operations that read /
//!     only writes), `sent` (the operation reaches the chip, then fails), `partial=N`
//!     (only the first N bytes written reach the chip).
//!
//!   Example: `UDRV_VIRTUAL_FAULTS='i2c@0x50:nack-data:partial=3:times=1'`. One plan
//!   serves a whole program: `after` and `times` count the operations of every chip and
//!   every round.
//!
//! ```
//! use udrv_boards::r#virtual::VirtualSettings;
//!
//! let s = VirtualSettings::parse(Some("1000.5"), Some("i2c@0x76:timeout:times=1")).unwrap();
//! assert_eq!(s.time().map(|t| t.as_secs_f64()), Some(1000.5));
//! let board = s.board(); // on a manual clock at 1000.5 s
//! assert!(s.faults().is_some());
//! # drop(board);
//! assert!(VirtualSettings::parse(Some("-1"), None).is_err());
//! ```

use std::fmt::{self, Display};
use std::time::Duration;

use embedded_hal::i2c::NoAcknowledgeSource;
use udrv_drivers::sim::fault::{Effect, Fault, Faults, Rule};

use super::VirtualBoard;
use crate::catalog::parse_number;

/// The environment variable that fixes the virtual board's clock.
pub const ENV_VIRTUAL_TIME: &str = "UDRV_VIRTUAL_TIME";

/// The environment variable that injects faults into the virtual board's buses.
pub const ENV_VIRTUAL_FAULTS: &str = "UDRV_VIRTUAL_FAULTS";

/// The virtual board's settings: its clock and the faults on its buses.
#[derive(Clone, Debug, Default)]
pub struct VirtualSettings {
    time: Option<Duration>,
    faults: Option<Faults>,
}

/// A setting that is not valid. `Display` names the variable, what it holds and what to
/// give instead.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingsError {
    /// `UDRV_VIRTUAL_TIME` is not a number of seconds (0 or more): what it holds.
    Time(String),
    /// A rule of `UDRV_VIRTUAL_FAULTS` is not valid.
    Fault {
        /// The rule as written.
        rule: String,
        /// What is wrong with it.
        why: String,
    },
}

impl Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Time(t) => write!(
                f,
                "{ENV_VIRTUAL_TIME}={t}: give the virtual board's time in seconds (e.g. 100.5)"
            ),
            SettingsError::Fault { rule, why } => write!(
                f,
                "{ENV_VIRTUAL_FAULTS}: rule `{rule}`: {why} (form: BUS[@ADDR]:FAULT[:after=N]\
                 [:times=N][:reads|:writes][:sent|:partial=N], e.g. i2c@0x50:nack-data:times=1)"
            ),
        }
    }
}

impl std::error::Error for SettingsError {}

impl VirtualSettings {
    /// The settings `UDRV_VIRTUAL_TIME` and `UDRV_VIRTUAL_FAULTS` give (unset or empty:
    /// the wall clock, no faults).
    pub fn from_env() -> Result<VirtualSettings, SettingsError> {
        let time = std::env::var(ENV_VIRTUAL_TIME).ok();
        let faults = std::env::var(ENV_VIRTUAL_FAULTS).ok();
        VirtualSettings::parse(time.as_deref(), faults.as_deref())
    }

    /// The settings from the variables' values (`None`: unset).
    pub fn parse(
        time: Option<&str>,
        faults: Option<&str>,
    ) -> Result<VirtualSettings, SettingsError> {
        let time = match time {
            None => None,
            Some(t) => match t.trim().parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Some(Duration::from_secs_f64(x)),
                _ => return Err(SettingsError::Time(t.to_string())),
            },
        };
        let faults = match faults {
            Some(f) if !f.trim().is_empty() => Some(parse_faults(f)?),
            _ => None,
        };
        Ok(VirtualSettings { time, faults })
    }

    /// The fixed time of the board's world, if one is set.
    pub fn time(&self) -> Option<Duration> {
        self.time
    }

    /// The fault plan, if one is set: one plan for the whole program (clones share it).
    pub fn faults(&self) -> Option<&Faults> {
        self.faults.as_ref()
    }

    /// The virtual board: on a manual clock at the time set, else on the wall clock.
    pub fn board(&self) -> VirtualBoard {
        match self.time {
            Some(t) => VirtualBoard::at(t),
            None => VirtualBoard::wall_clock(),
        }
    }
}

/// Parses a fault plan (see the module documentation).
fn parse_faults(spec: &str) -> Result<Faults, SettingsError> {
    let faults = Faults::new();
    for rule in spec.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        faults.add(parse_rule(rule)?);
    }
    Ok(faults)
}

fn parse_rule(text: &str) -> Result<Rule, SettingsError> {
    let bad = |why: &str| SettingsError::Fault {
        rule: text.to_string(),
        why: why.to_string(),
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
    let rule = Rule::new(fault);
    let mut rule = match target.split_once('@') {
        Some(("i2c", addr)) => {
            let a = parse_number(addr)
                .ok_or_else(|| bad(&format!("chip address `{addr}` is not a number")))?;
            let a = u8::try_from(a).ok().filter(|a| *a <= 0x7f).ok_or_else(|| {
                bad(&format!(
                    "chip address {addr} is out of range: 7-bit addresses are 0x00..=0x7f"
                ))
            })?;
            rule.i2c().i2c_address(a)
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
        assert!(parse_faults("i2c@0x50:nack-data:partial=3:times=1; spi:eio:after=2").is_ok());
        assert!(parse_faults("i2c:timeout:reads:sent").is_ok());
        for (spec, needle) in [
            ("i2c@0x50", "no fault"),
            ("i2c:melt", "unknown fault `melt`"),
            ("can:eio", "unknown bus `can`"),
            ("i2c@0x80:eio", "out of range"),
            ("i2c@zz:eio", "not a number"),
            ("i2c:eio:times=x", "needs a number"),
            ("i2c:eio:sometimes", "unknown option"),
        ] {
            let e = parse_faults(spec).unwrap_err().to_string();
            assert!(
                e.contains(needle) && e.contains(ENV_VIRTUAL_FAULTS),
                "{spec}: {e}"
            );
        }
    }

    #[test]
    fn times_are_seconds_from_zero_up() {
        let s = VirtualSettings::parse(Some(" 100.5 "), Some("  ")).unwrap();
        assert_eq!(s.time(), Some(Duration::from_millis(100_500)));
        assert!(s.faults().is_none());
        assert!(s.board().environment().is_manual());
        let s = VirtualSettings::parse(None, None).unwrap();
        assert!(s.time().is_none() && !s.board().environment().is_manual());
        for bad in ["-1", "x", "inf", "NaN", ""] {
            let e = VirtualSettings::parse(Some(bad), None).unwrap_err();
            assert_eq!(e, SettingsError::Time(bad.to_string()));
            assert!(e.to_string().starts_with("UDRV_VIRTUAL_TIME="), "{e}");
        }
    }
}
