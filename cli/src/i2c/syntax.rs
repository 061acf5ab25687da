//! Parsing of i2c-tools argument conventions: numbers, addresses and the `i2ctransfer`
//! message syntax (`w2@0x50 0x00 0x10 r4`).

use std::fmt;

/// A command-line argument that does not parse, with the argument and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError(pub String);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SyntaxError {}

fn err<T>(msg: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError(msg.into()))
}

/// Parses an unsigned number in C notation: `0x1f`, `0b101`, `017` (octal), `42`.
pub fn parse_number(s: &str) -> Result<u64, SyntaxError> {
    let t = s.trim();
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    if digits.is_empty() {
        return err(format!("`{s}` is not a number"));
    }
    u64::from_str_radix(digits, radix).map_err(|_| SyntaxError(format!("`{s}` is not a number")))
}

/// Parses a number and checks it against an inclusive range, naming `what` in errors.
pub fn parse_in_range(s: &str, what: &str, min: u64, max: u64) -> Result<u64, SyntaxError> {
    let v = parse_number(s).map_err(|_| SyntaxError(format!("{what} `{s}` is not a number")))?;
    if v < min || v > max {
        return err(format!(
            "{what} {s} is out of range: it must be {min:#04x}..={max:#04x}"
        ));
    }
    Ok(v)
}

/// The 7-bit addresses i2c-tools refuses without `--force`: the reserved ranges of the I2C
/// specification (0x00-0x07 general call, CBUS, HS-mode; 0x78-0x7f 10-bit prefix).
pub fn is_reserved_address(addr: u16) -> bool {
    addr < 0x08 || (0x78..=0x7f).contains(&addr)
}

/// Parses a 7-bit chip address for `get`/`set`/`dump`/`transfer`. Reserved addresses are
/// refused unless `force` is given; 0x80 and up never parse.
pub fn parse_address(s: &str, force: bool) -> Result<u16, SyntaxError> {
    let v =
        parse_number(s).map_err(|_| SyntaxError(format!("chip address `{s}` is not a number")))?;
    if v > 0x7f {
        return err(format!(
            "chip address {s} is out of range: 7-bit addresses are 0x00..=0x7f"
        ));
    }
    let a = v as u16;
    if is_reserved_address(a) && !force {
        return err(format!(
            "chip address {s} is reserved by the I2C specification (0x00-0x07, 0x78-0x7f); \
             use --force if you really mean it"
        ));
    }
    Ok(a)
}

/// Parses a byte value (`0x00`..`0xff`).
pub fn parse_byte(s: &str, what: &str) -> Result<u8, SyntaxError> {
    parse_in_range(s, what, 0, 0xff).map(|v| v as u8)
}

/// Direction of one `i2ctransfer` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `r`: read.
    Read,
    /// `w`: write.
    Write,
}

/// One message of an `i2ctransfer` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// Read or write.
    pub dir: Dir,
    /// The target address (the last one given, if this message has none).
    pub addr: u16,
    /// For reads, how many bytes.
    pub len: usize,
    /// For writes, the bytes (after expanding fill suffixes).
    pub data: Vec<u8>,
}

/// Largest message length the kernel's `I2C_RDWR` accepts (`__u16 len`), and i2c-tools'
/// limit.
pub const MAX_MSG_LEN: usize = 0xffff;

/// Parses `i2ctransfer` message arguments: `{r|w}LENGTH[@ADDRESS]`, each write followed by
/// LENGTH data bytes. A data byte may end in a fill suffix that generates the rest of the
/// message: `=` (repeat), `+` (increment), `-` (decrement), `p` (pseudo-random, as
/// i2c-tools). The first message must name its address; later ones default to the last.
pub fn parse_transfer(args: &[String], force: bool) -> Result<Vec<Msg>, SyntaxError> {
    let mut msgs = Vec::new();
    let mut addr: Option<u16> = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (dir, rest) = match a.chars().next() {
            Some('r') | Some('R') => (Dir::Read, &a[1..]),
            Some('w') | Some('W') => (Dir::Write, &a[1..]),
            _ => {
                return err(format!(
                    "expected a message like `w2@0x50` or `r4`, found `{a}`"
                ))
            }
        };
        let (len_s, addr_s) = match rest.split_once('@') {
            Some((l, ad)) => (l, Some(ad)),
            None => (rest, None),
        };
        let len = parse_number(len_s)
            .map_err(|_| SyntaxError(format!("message `{a}`: length `{len_s}` is not a number")))?
            as usize;
        if len > MAX_MSG_LEN {
            return err(format!(
                "message `{a}`: length {len} is too long (at most {MAX_MSG_LEN})"
            ));
        }
        if let Some(ad) = addr_s {
            addr = Some(
                parse_address(ad, force).map_err(|e| SyntaxError(format!("message `{a}`: {e}")))?,
            );
        }
        let Some(addr) = addr else {
            return err(format!(
                "message `{a}` has no address: the first message needs one, e.g. `{a}@0x50`"
            ));
        };
        i += 1;
        let mut data = Vec::new();
        if dir == Dir::Write {
            while data.len() < len {
                let Some(d) = args.get(i) else {
                    return err(format!(
                        "message `{a}` needs {len} data bytes, found {}",
                        data.len()
                    ));
                };
                i += 1;
                let (num, suffix) = match d.char_indices().last() {
                    // None of the suffixes is a hex digit, so `0x1p` is unambiguous.
                    Some((k, c @ ('=' | '+' | '-' | 'p'))) => (&d[..k], Some(c)),
                    _ => (d.as_str(), None),
                };
                let v = parse_byte(num, "data byte")
                    .map_err(|e| SyntaxError(format!("message `{a}`: {e}")))?;
                match suffix {
                    None => data.push(v),
                    Some(c) => {
                        let mut x = v;
                        while data.len() < len {
                            data.push(x);
                            x = match c {
                                '=' => x,
                                '+' => x.wrapping_add(1),
                                '-' => x.wrapping_sub(1),
                                // i2c-tools' generator: x = (x >> 1) ^ (x & 1 ? 0xb8 : 0) (LFSR)
                                _ => (x >> 1) ^ if x & 1 == 1 { 0xb8 } else { 0 },
                            };
                        }
                    }
                }
            }
        }
        msgs.push(Msg {
            dir,
            addr,
            len,
            data,
        });
    }
    if msgs.is_empty() {
        return err("no messages given: e.g. `w1@0x50 0x00 r2`");
    }
    Ok(msgs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn numbers_in_c_notation() {
        assert_eq!(parse_number("0x1f").unwrap(), 31);
        assert_eq!(parse_number("017").unwrap(), 15);
        assert_eq!(parse_number("0b101").unwrap(), 5);
        assert_eq!(parse_number("42").unwrap(), 42);
        assert_eq!(parse_number("0").unwrap(), 0);
        assert!(parse_number("0x").is_err());
        assert!(parse_number("zz").is_err());
    }

    #[test]
    fn addresses_reserved_and_out_of_range() {
        assert_eq!(parse_address("0x48", false).unwrap(), 0x48);
        let e = parse_address("0x80", false).unwrap_err().0;
        assert!(e.contains("out of range"), "{e}");
        let e = parse_address("0x03", false).unwrap_err().0;
        assert!(e.contains("reserved") && e.contains("--force"), "{e}");
        assert_eq!(parse_address("0x03", true).unwrap(), 3);
        assert!(parse_address("0x78", false).is_err());
        assert_eq!(parse_address("0x77", false).unwrap(), 0x77);
    }

    #[test]
    fn transfer_write_then_read_inherits_address() {
        let m = parse_transfer(&args("w2@0x50 0x00 0x10 r4"), false).unwrap();
        assert_eq!(
            m,
            vec![
                Msg {
                    dir: Dir::Write,
                    addr: 0x50,
                    len: 2,
                    data: vec![0x00, 0x10]
                },
                Msg {
                    dir: Dir::Read,
                    addr: 0x50,
                    len: 4,
                    data: vec![]
                },
            ]
        );
    }

    #[test]
    fn transfer_fill_suffixes() {
        let m = parse_transfer(&args("w4@0x50 0x10+"), false).unwrap();
        assert_eq!(m[0].data, vec![0x10, 0x11, 0x12, 0x13]);
        let m = parse_transfer(&args("w3@0x50 0x00 0xff="), false).unwrap();
        assert_eq!(m[0].data, vec![0x00, 0xff, 0xff]);
        let m = parse_transfer(&args("w3@0x50 0x01-"), false).unwrap();
        assert_eq!(m[0].data, vec![0x01, 0x00, 0xff]);
        let m = parse_transfer(&args("w3@0x50 0x01p"), false).unwrap();
        assert_eq!(m[0].data, vec![0x01, 0xb8, 0x5c]);
    }

    #[test]
    fn transfer_errors_are_specific() {
        let e = parse_transfer(&args("r4"), false).unwrap_err().0;
        assert!(e.contains("no address"), "{e}");
        let e = parse_transfer(&args("w2@0x50 0x00"), false).unwrap_err().0;
        assert!(e.contains("needs 2 data bytes, found 1"), "{e}");
        let e = parse_transfer(&args("w1@0x50 0x100"), false).unwrap_err().0;
        assert!(e.contains("out of range"), "{e}");
        let e = parse_transfer(&args("x1@0x50"), false).unwrap_err().0;
        assert!(e.contains("expected a message"), "{e}");
        let e = parse_transfer(&args("r70000@0x50"), false).unwrap_err().0;
        assert!(e.contains("too long"), "{e}");
        let e = parse_transfer(&args("r1@0x80"), false).unwrap_err().0;
        assert!(e.contains("out of range"), "{e}");
        assert!(parse_transfer(&[], false).is_err());
    }
}
