//! Parsing of i2c-tools argument conventions: numbers, addresses and the `i2ctransfer`
//! message syntax (`w2@0x50 0x00 0x10 r4`).

use std::fmt;

mod transfer;

pub use transfer::{parse_transfer, Dir, Msg};
// The property tests (`fuzz.rs`) check messages against it.
#[cfg(test)]
pub use transfer::MAX_MSG_LEN;

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

#[cfg(test)]
mod tests;
