//! Periods as libgpiod's tools spell them: a whole number and an optional unit, `us`,
//! `ms` (the default), `s`, or `m` (minutes, as libgpiod 2.2 added): `10ms`, `500us`,
//! `2s`, `20` (= 20 ms).

use std::time::Duration;

/// Parses a period (`-p 10ms`, `--debounce-period 5`, `-t 1s,0`).
pub fn parse(s: &str) -> Result<Duration, String> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    let bad = || {
        format!(
            "invalid period `{s}`: a whole number and a unit, us, ms, s or m (minutes); \
             milliseconds without a unit (e.g. 10ms, 500us, 2s)"
        )
    };
    if number.is_empty() {
        return Err(bad());
    }
    let n: u64 = number.parse().map_err(|_| bad())?;
    let micros_per_unit: u64 = match unit {
        "us" => 1,
        "ms" | "" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        _ => return Err(bad()),
    };
    n.checked_mul(micros_per_unit)
        .map(Duration::from_micros)
        .ok_or_else(bad)
}

/// Parses `-t`'s list of periods: `100ms,200ms,0`.
pub fn parse_list(s: &str) -> Result<Vec<Duration>, String> {
    s.split(',').map(parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn units_as_libgpiod_reads_them() {
        assert_eq!(parse("10ms"), Ok(us(10_000)));
        assert_eq!(parse("10"), Ok(us(10_000)), "milliseconds by default");
        assert_eq!(parse("250us"), Ok(us(250)));
        assert_eq!(parse("2s"), Ok(us(2_000_000)));
        assert_eq!(parse("3m"), Ok(us(180_000_000)));
        assert_eq!(parse("0"), Ok(us(0)));
    }

    #[test]
    fn what_libgpiod_refuses_is_refused() {
        for bad in [
            "", "ms", "10u", "10 ms", "10mss", "1.5s", "-1", "+1", "10ns", "10h", "x",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("invalid period"), "{bad}: {e}");
        }
        assert!(parse("99999999999999999999").is_err(), "overflow");
        assert!(
            parse(&format!("{}s", u64::MAX)).is_err(),
            "overflow in the unit"
        );
    }

    #[test]
    fn toggle_lists() {
        assert_eq!(
            parse_list("100ms,200us,0"),
            Ok(vec![us(100_000), us(200), us(0)])
        );
        assert!(parse_list("100ms,,0").is_err());
    }
}
