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
/// refused unless `all` is given (`-a`, as i2c-tools, or udrv's `--force`); 0x80 and up
/// never parse.
pub fn parse_address(s: &str, all: bool) -> Result<u16, SyntaxError> {
    let v =
        parse_number(s).map_err(|_| SyntaxError(format!("chip address `{s}` is not a number")))?;
    if v > 0x7f {
        return err(format!(
            "chip address {s} is out of range: 7-bit addresses are 0x00..=0x7f"
        ));
    }
    let a = v as u16;
    if is_reserved_address(a) && !all {
        return err(format!(
            "chip address {s} is reserved by the I2C specification (0x00-0x07, 0x78-0x7f); \
             use -a/--all-addresses (or --force) if you really mean it"
        ));
    }
    Ok(a)
}

/// Parses a byte value (`0x00`..`0xff`).
pub fn parse_byte(s: &str, what: &str) -> Result<u8, SyntaxError> {
    parse_in_range(s, what, 0, 0xff).map(|v| v as u8)
}

/// A transaction size, as i2c-tools' MODE letters name them (`i2cget`, `i2cset`,
/// `i2cdump`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `b`: SMBus read/write byte data (one 8-bit register).
    Byte,
    /// `w`: SMBus read/write word data (a 16-bit register, low byte first on the wire).
    Word,
    /// `W` (i2cdump only): word data read at even registers only, shown as bytes.
    EvenWord,
    /// `s`: SMBus block (a count byte, then up to 32 bytes).
    SmbusBlock,
    /// `i`: I2C block (up to 32 bytes after the register, no count byte).
    I2cBlock,
    /// `c`: no data address: SMBus send byte (i2cset's short write), write byte then
    /// receive byte (i2cget), consecutive receive byte (i2cdump).
    Plain,
}

impl Mode {
    /// The i2c-tools letter.
    pub fn letter(self) -> char {
        match self {
            Mode::Byte => 'b',
            Mode::Word => 'w',
            Mode::EvenWord => 'W',
            Mode::SmbusBlock => 's',
            Mode::I2cBlock => 'i',
            Mode::Plain => 'c',
        }
    }

    /// Whether values of this mode are 16-bit (printed with 4 hex digits).
    pub fn is_word(self) -> bool {
        matches!(self, Mode::Word | Mode::EvenWord)
    }
}

/// Parses a MODE argument: one of the letters of `allowed` (i2c-tools' `b w W s i c`),
/// optionally followed by `p` for SMBus PEC (refused for `i` and `W`, as i2c-tools does).
/// Returns the mode and whether PEC was asked for.
pub fn parse_mode(s: &str, allowed: &str) -> Result<(Mode, bool), SyntaxError> {
    let (letter, pec) = match s.strip_suffix('p') {
        Some(rest) if !rest.is_empty() => (rest, true),
        _ => (s, false),
    };
    let mode = match letter {
        "b" => Mode::Byte,
        "w" => Mode::Word,
        "W" => Mode::EvenWord,
        "s" => Mode::SmbusBlock,
        "i" => Mode::I2cBlock,
        "c" => Mode::Plain,
        _ => return Err(bad_mode(s, allowed)),
    };
    if !allowed.contains(mode.letter()) {
        return Err(bad_mode(s, allowed));
    }
    if pec && matches!(mode, Mode::I2cBlock | Mode::EvenWord) {
        return err(format!(
            "mode `{s}`: PEC (the `p` suffix) is not available with mode {} (as in \
             i2c-tools); drop the `p`",
            mode.letter()
        ));
    }
    Ok((mode, pec))
}

fn bad_mode(s: &str, allowed: &str) -> SyntaxError {
    SyntaxError(format!(
        "mode `{s}` is not one of {} (append p for PEC)",
        allowed
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Whether `s` spells a mode of `i2cset` (`b w s i c`, optionally with `p`) rather than a
/// value: how a trailing MODE is told from the last value, as i2cset does.
pub fn is_set_mode(s: &str) -> bool {
    let letter = s.strip_suffix('p').filter(|l| !l.is_empty()).unwrap_or(s);
    matches!(letter, "b" | "w" | "s" | "i" | "c")
}

/// The most bytes an SMBus or I2C block carries (`I2C_SMBUS_BLOCK_MAX`).
pub const BLOCK_MAX: usize = 32;

/// What `i2cset`'s arguments after the data address ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetSpec {
    /// The transaction.
    pub mode: Mode,
    /// SMBus PEC.
    pub pec: bool,
    /// The value(s): one for `b` (0..=0xff) and `w` (0..=0xffff), 1 to 32 bytes for `s`
    /// and `i`, none for `c` (the data address itself is sent).
    pub values: Vec<u16>,
}

/// Parses `i2cset`'s `[VALUE] ... [MODE]` as i2cset 4.3 does: no value is a short write
/// (`c`); one argument is a byte value, or `c`/`cp`; with more, the last one is the MODE
/// (`b`, `w`, `s`, `i`, `c`, with `p` for PEC except for `i`). `mode_opt` is udrv's
/// `--mode` option, an alternative to the trailing MODE (giving both is an error).
pub fn parse_set(rest: &[String], mode_opt: Option<&str>) -> Result<SetSpec, SyntaxError> {
    let (mode, pec, values): (Mode, bool, &[String]) = match (mode_opt, rest) {
        (Some(m), _) => {
            if let Some(last) = rest.last().filter(|l| is_set_mode(l)) {
                return err(format!(
                    "two modes given: --mode {m} and a trailing `{last}`; give one"
                ));
            }
            let (mode, pec) = parse_mode(m, "bwsic")?;
            (mode, pec, rest)
        }
        (None, []) => (Mode::Plain, false, rest),
        (None, [one]) if one == "c" || one == "cp" => (Mode::Plain, one == "cp", &[][..]),
        (None, [_]) => (Mode::Byte, false, rest),
        (None, [values @ .., last]) => {
            if !is_set_mode(last) {
                return err(format!(
                    "`{last}` is not a mode: with several values the last argument is the \
                     mode, s (SMBus block) or i (I2C block), e.g. `0x01 0x02 0x03 i`"
                ));
            }
            let (mode, pec) = parse_mode(last, "bwsic")?;
            (mode, pec, values)
        }
    };
    let letter = mode.letter();
    let values: Vec<u16> = match mode {
        Mode::Plain => {
            if !values.is_empty() {
                return err(format!(
                    "mode c is a short write (the data address is the byte sent): it takes \
                     no value, {} given",
                    values.len()
                ));
            }
            Vec::new()
        }
        Mode::Byte | Mode::Word => {
            let max = if mode == Mode::Word { 0xffff } else { 0xff };
            match values {
                [v] => vec![parse_in_range(v, "value", 0, max)? as u16],
                [] => return err(format!("mode {letter} needs a value")),
                _ => {
                    return err(format!(
                        "mode {letter} takes exactly one value, {} given; modes s and i \
                         take several",
                        values.len()
                    ))
                }
            }
        }
        _ => {
            if values.is_empty() {
                return err(format!("mode {letter} needs 1 to {BLOCK_MAX} values"));
            }
            if values.len() > BLOCK_MAX {
                return err(format!(
                    "a block write carries at most {BLOCK_MAX} bytes, {} given",
                    values.len()
                ));
            }
            values
                .iter()
                .map(|v| parse_byte(v, "value").map(u16::from))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(SetSpec { mode, pec, values })
}

/// Parses `i2cset -m MASK` for `mode`: non-zero, at most 0xff (0xffff for `w`); block
/// writes take no mask.
pub fn parse_mask(s: &str, mode: Mode) -> Result<u16, SyntaxError> {
    let max = match mode {
        Mode::Word => 0xffff,
        Mode::Byte | Mode::Plain => 0xff,
        _ => {
            return err(format!(
                "-m/--mask works with modes b, w and c (a read-modify-write of one \
                 register), not with block mode {}",
                mode.letter()
            ))
        }
    };
    let v = parse_in_range(s, "mask", 0, max)?;
    if v == 0 {
        return err("mask 0 would write nothing: give the bits to change, e.g. -m 0x07");
    }
    Ok(v as u16)
}

/// Parses `i2cdump -r FIRST-LAST` (registers, FIRST <= LAST).
pub fn parse_range(r: &str) -> Result<(u8, u8), SyntaxError> {
    let (f, l) = r
        .split_once('-')
        .ok_or_else(|| SyntaxError(format!("range `{r}` is not FIRST-LAST, e.g. 0x00-0x1f")))?;
    let f = parse_byte(f, "range start")?;
    let l = parse_byte(l, "range end")?;
    if l < f {
        return err(format!("range `{r}` ends before it starts"));
    }
    Ok((f, l))
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

/// The byte after `x` in i2ctransfer's `p` fill (i2c-tools 4.3, `tools/i2ctransfer.c`: an
/// 8-bit AXR generator with a = 13 and b = 27): `x = rotate_left((x ^ 27) + 13, 1)`.
pub fn next_pseudo_random(x: u8) -> u8 {
    ((x ^ 27).wrapping_add(13)).rotate_left(1)
}

/// Parses `i2ctransfer` message arguments: `{r|w}LENGTH[@ADDRESS]`, each write followed by
/// LENGTH data bytes. A data byte may end in a fill suffix that generates the rest of the
/// message: `=` (repeat), `+` (increment), `-` (decrement), `p` (pseudo-random, i2c-tools'
/// generator: see [`next_pseudo_random`]). The first message must name its address; later
/// ones default to the last. Reserved addresses need `all` (`-a`).
pub fn parse_transfer(args: &[String], all: bool) -> Result<Vec<Msg>, SyntaxError> {
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
                parse_address(ad, all).map_err(|e| SyntaxError(format!("message `{a}`: {e}")))?,
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
                                _ => next_pseudo_random(x),
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
        assert!(
            e.contains("reserved") && e.contains("-a/--all-addresses"),
            "{e}"
        );
        assert_eq!(parse_address("0x03", true).unwrap(), 3);
        assert!(parse_address("0x78", false).is_err());
        assert_eq!(parse_address("0x77", false).unwrap(), 0x77);
    }

    fn set(s: &str) -> Result<SetSpec, SyntaxError> {
        parse_set(&args(s), None)
    }

    #[test]
    fn set_reads_i2cset_trailing_modes() {
        // i2cset 4.3: `... 0x01 0x60 w` is a word write, one value alone a byte write.
        let s = set("0x6000 w").unwrap();
        assert_eq!((s.mode, s.pec, s.values), (Mode::Word, false, vec![0x6000]));
        let s = set("0x60").unwrap();
        assert_eq!((s.mode, s.values), (Mode::Byte, vec![0x60]));
        let s = set("0x60 bp").unwrap();
        assert_eq!((s.mode, s.pec), (Mode::Byte, true));
        let s = set("1 2 3 i").unwrap();
        assert_eq!((s.mode, s.values), (Mode::I2cBlock, vec![1, 2, 3]));
        let s = set("1 sp").unwrap();
        assert_eq!((s.mode, s.pec, s.values), (Mode::SmbusBlock, true, vec![1]));
        // No value, or `c`/`cp`: a short write.
        assert_eq!(set("").unwrap().mode, Mode::Plain);
        let s = set("cp").unwrap();
        assert_eq!((s.mode, s.pec, s.values), (Mode::Plain, true, vec![]));
        // udrv's --mode instead of the trailing letter.
        let s = parse_set(&args("1 2"), Some("s")).unwrap();
        assert_eq!((s.mode, s.values), (Mode::SmbusBlock, vec![1, 2]));
    }

    #[test]
    fn set_refuses_what_i2cset_refuses() {
        for (a, want) in [
            ("0x60 0x61 b", "exactly one value"),
            ("0x60 0x61", "is not a mode"),
            ("0x10000 w", "out of range"),
            ("0x100 b", "out of range"),
            ("0x60 ip", "PEC"),
            ("0x60 x", "is not a mode"),
            ("0x60 c", "takes no value"),
            ("w", "not a number"),
        ] {
            let e = set(a).unwrap_err().0;
            assert!(e.contains(want), "{a}: {e}");
        }
        let e = set(&format!("{}s", "1 ".repeat(33))).unwrap_err().0;
        assert!(e.contains("at most 32"), "{e}");
        let e = parse_set(&args("0x60 w"), Some("b")).unwrap_err().0;
        assert!(e.contains("two modes"), "{e}");
    }

    #[test]
    fn modes_masks_and_ranges() {
        assert_eq!(parse_mode("W", "bwWsic").unwrap(), (Mode::EvenWord, false));
        assert_eq!(parse_mode("cp", "bwc").unwrap(), (Mode::Plain, true));
        assert!(parse_mode("Wp", "bwWsic").unwrap_err().0.contains("PEC"));
        assert!(parse_mode("W", "bwsic")
            .unwrap_err()
            .0
            .contains("not one of"));
        assert!(parse_mode("p", "bwsic").is_err());
        assert!(parse_mode("bb", "bwsic").is_err());
        assert_eq!(parse_mask("0x07", Mode::Byte).unwrap(), 7);
        assert_eq!(parse_mask("0xff00", Mode::Word).unwrap(), 0xff00);
        assert!(parse_mask("0x100", Mode::Byte)
            .unwrap_err()
            .0
            .contains("out of range"));
        assert!(parse_mask("0", Mode::Byte)
            .unwrap_err()
            .0
            .contains("mask 0"));
        assert!(parse_mask("1", Mode::I2cBlock)
            .unwrap_err()
            .0
            .contains("block"));
        assert_eq!(parse_range("0x10-0x2f").unwrap(), (0x10, 0x2f));
        assert!(parse_range("0x20-0x10")
            .unwrap_err()
            .0
            .contains("ends before"));
        assert!(parse_range("0x20").unwrap_err().0.contains("FIRST-LAST"));
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
        // i2c-tools 4.3: 0x01 -> (0x01 ^ 27) + 13 = 0x27 -> rotated left: 0x4e; then
        // (0x4e ^ 27) + 13 = 0x62 -> 0xc4.
        let m = parse_transfer(&args("w3@0x50 0x01p"), false).unwrap();
        assert_eq!(m[0].data, vec![0x01, 0x4e, 0xc4]);
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
