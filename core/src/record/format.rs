//! The log's text format: the data model of one line, its writer and its parser.
//!
//! Grammar (tokens are separated by spaces; see the module documentation for examples):
//!
//! ```text
//! log     = "# udrv-record 1" NL { line NL }
//! line    = "" | comment | entry [ comment ]
//! comment = "#" any text
//! entry   = "i2c" NAME ADDRESS { i2c-op } [ "!" I2C-KIND ]
//!         | "spi" NAME { spi-op } [ "!" SPI-KIND ]
//!         | "pin" NAME ( "set" LEVEL | "get" [ LEVEL ] | "is-set" [ LEVEL ] | "toggle" ) [ "!" "other" ]
//! i2c-op  = "w" { BYTE } | "r" { BYTE } | "r" { "??" }
//! spi-op  = i2c-op | "x" { BYTE } "->" read | "xi" { BYTE } "->" read | "d" NANOSECONDS
//! read    = { BYTE } | { "??" }
//! ADDRESS = "0x" HEX (7-bit, up to 0x7f) | "0x" HEX "/10" (10-bit, up to 0x3ff)
//! BYTE    = two hex digits
//! LEVEL   = "high" | "low"
//! ```

use std::fmt::Write as _;

use embedded_hal::digital;
use embedded_hal::i2c::{self, NoAcknowledgeSource};
use embedded_hal::spi;

use super::RecordedKind;

/// The first line of every log; its number is the format version.
pub(crate) const HEADER: &str = "# udrv-record 1";

/// The bytes a read returned: known, or only their number (the transaction failed, so
/// what the buffer held afterwards is not data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Data {
    Known(Vec<u8>),
    Unknown(usize),
}

impl Data {
    pub(crate) fn len(&self) -> usize {
        match self {
            Data::Known(b) => b.len(),
            Data::Unknown(n) => *n,
        }
    }
}

/// One operation of an I2C or SPI transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Bytes written.
    Write(Vec<u8>),
    /// Bytes read.
    Read(Data),
    /// SPI full duplex: bytes written and (at the same time) read; lengths may differ.
    Transfer { write: Vec<u8>, read: Data },
    /// SPI full duplex in one buffer: what it held before, and after.
    InPlace { write: Vec<u8>, read: Data },
    /// A pause inside an SPI transaction, in nanoseconds (recorded, never compared).
    Delay(u32),
}

/// An I2C address: 7-bit or 10-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Address {
    pub(crate) addr: u16,
    pub(crate) ten_bit: bool,
}

/// What a pin was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PinOp {
    /// `set_high` / `set_low`.
    Set(bool),
    /// `is_high` / `is_low`: the level read (`None` when it failed).
    Get(Option<bool>),
    /// `is_set_high` / `is_set_low`: the level the output was set to (`None` when it failed).
    IsSet(Option<bool>),
    /// `toggle`.
    Toggle,
}

/// One transaction, without its device name or outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tx {
    I2c { address: Address, ops: Vec<Op> },
    Spi { ops: Vec<Op> },
    Pin(PinOp),
}

/// One line of a log: a device's transaction and its outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) tx: Tx,
    pub(crate) outcome: Result<(), RecordedKind>,
}

/// Whether `name` can name a device in a log: one token without `#`.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('!')
        && name.chars().all(|c| c.is_ascii_graphic() && c != '#')
}

fn level(high: bool) -> &'static str {
    if high {
        "high"
    } else {
        "low"
    }
}

fn push_bytes(s: &mut String, bytes: &[u8]) {
    for b in bytes {
        let _ = write!(s, " {b:02x}");
    }
}

fn push_data(s: &mut String, d: &Data) {
    match d {
        Data::Known(b) => push_bytes(s, b),
        Data::Unknown(n) => {
            for _ in 0..*n {
                s.push_str(" ??");
            }
        }
    }
}

fn push_ops(s: &mut String, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Write(b) => {
                s.push_str(" w");
                push_bytes(s, b);
            }
            Op::Read(d) => {
                s.push_str(" r");
                push_data(s, d);
            }
            Op::Transfer { write, read } => {
                s.push_str(" x");
                push_bytes(s, write);
                s.push_str(" ->");
                push_data(s, read);
            }
            Op::InPlace { write, read } => {
                s.push_str(" xi");
                push_bytes(s, write);
                s.push_str(" ->");
                push_data(s, read);
            }
            Op::Delay(ns) => {
                let _ = write!(s, " d {ns}");
            }
        }
    }
}

/// The transaction as the log writes it, without the outcome: `i2c bus 0x76 w d0 r 60`.
pub(crate) fn format_tx(name: &str, tx: &Tx) -> String {
    let mut s = String::new();
    match tx {
        Tx::I2c { address, ops } => {
            if address.ten_bit {
                let _ = write!(s, "i2c {name} 0x{:03x}/10", address.addr);
            } else {
                let _ = write!(s, "i2c {name} 0x{:02x}", address.addr);
            }
            push_ops(&mut s, ops);
        }
        Tx::Spi { ops } => {
            let _ = write!(s, "spi {name}");
            push_ops(&mut s, ops);
        }
        Tx::Pin(op) => {
            let _ = write!(s, "pin {name} ");
            match op {
                PinOp::Set(h) => s.push_str(match h {
                    true => "set high",
                    false => "set low",
                }),
                PinOp::Get(l) => {
                    s.push_str("get");
                    if let Some(h) = l {
                        s.push(' ');
                        s.push_str(level(*h));
                    }
                }
                PinOp::IsSet(l) => {
                    s.push_str("is-set");
                    if let Some(h) = l {
                        s.push(' ');
                        s.push_str(level(*h));
                    }
                }
                PinOp::Toggle => s.push_str("toggle"),
            }
        }
    }
    s
}

/// The whole line (without its newline).
pub(crate) fn format_entry(e: &Entry) -> String {
    let mut s = format_tx(&e.name, &e.tx);
    if let Err(k) = &e.outcome {
        s.push_str(" ! ");
        s.push_str(kind_token(k));
    }
    s
}

/// The log's word for an error kind.
pub(crate) fn kind_token(k: &RecordedKind) -> &'static str {
    match k {
        RecordedKind::I2c(k) => match k {
            i2c::ErrorKind::Bus => "bus",
            i2c::ErrorKind::ArbitrationLoss => "arbitration-loss",
            i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address) => "nack-address",
            i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data) => "nack-data",
            i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown) => "nack",
            i2c::ErrorKind::Overrun => "overrun",
            _ => "other",
        },
        RecordedKind::Spi(k) => match k {
            spi::ErrorKind::Overrun => "overrun",
            spi::ErrorKind::ModeFault => "mode-fault",
            spi::ErrorKind::FrameFormat => "frame-format",
            spi::ErrorKind::ChipSelectFault => "chip-select-fault",
            _ => "other",
        },
        RecordedKind::Pin(_) => "other",
    }
}

fn parse_i2c_kind(t: &str) -> Option<i2c::ErrorKind> {
    Some(match t {
        "bus" => i2c::ErrorKind::Bus,
        "arbitration-loss" => i2c::ErrorKind::ArbitrationLoss,
        "nack-address" => i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
        "nack-data" => i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data),
        "nack" => i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown),
        "overrun" => i2c::ErrorKind::Overrun,
        "other" => i2c::ErrorKind::Other,
        _ => return None,
    })
}

fn parse_spi_kind(t: &str) -> Option<spi::ErrorKind> {
    Some(match t {
        "overrun" => spi::ErrorKind::Overrun,
        "mode-fault" => spi::ErrorKind::ModeFault,
        "frame-format" => spi::ErrorKind::FrameFormat,
        "chip-select-fault" => spi::ErrorKind::ChipSelectFault,
        "other" => spi::ErrorKind::Other,
        _ => return None,
    })
}

fn parse_byte(t: &str) -> Option<u8> {
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        u8::from_str_radix(t, 16).ok()
    } else {
        None
    }
}

/// A cursor over one line's tokens.
struct Tokens<'a> {
    toks: Vec<&'a str>,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.at).copied()
    }
    fn next(&mut self) -> Option<&'a str> {
        let t = self.peek();
        self.at += usize::from(t.is_some());
        t
    }
    /// Bytes written: hex bytes up to the next keyword.
    fn bytes(&mut self, what: &str) -> Result<Vec<u8>, String> {
        let mut v = Vec::new();
        while let Some(t) = self.peek() {
            if let Some(b) = parse_byte(t) {
                v.push(b);
                self.at += 1;
            } else if t == "??" {
                return Err(format!("`??` in {what}: only read bytes can be unknown"));
            } else {
                break;
            }
        }
        Ok(v)
    }
    /// Bytes read: hex bytes, or `??` for each byte of a failed transaction.
    fn data(&mut self) -> Result<Data, String> {
        let mut known = Vec::new();
        let mut unknown = 0usize;
        while let Some(t) = self.peek() {
            if let Some(b) = parse_byte(t) {
                known.push(b);
            } else if t == "??" {
                unknown += 1;
            } else {
                break;
            }
            self.at += 1;
        }
        match (known.is_empty(), unknown) {
            (_, 0) => Ok(Data::Known(known)),
            (true, n) => Ok(Data::Unknown(n)),
            _ => Err("a read mixes bytes and `??`: it is either all data or all unknown".into()),
        }
    }
}

fn parse_ops(t: &mut Tokens<'_>, spi: bool) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    while let Some(k) = t.peek() {
        if k == "!" {
            break;
        }
        t.at += 1;
        let op = match k {
            "w" => Op::Write(t.bytes("a write")?),
            "r" => Op::Read(t.data()?),
            "x" | "xi" if spi => {
                let write = t.bytes("a transfer's written bytes")?;
                if t.next() != Some("->") {
                    return Err(format!(
                        "`{k}` wants the bytes written, `->`, then the bytes read"
                    ));
                }
                let read = t.data()?;
                if k == "x" {
                    Op::Transfer { write, read }
                } else {
                    if read.len() != write.len() {
                        return Err(format!(
                            "`xi` (transfer in place) reads as many bytes as it writes: {} written, {} read",
                            write.len(),
                            read.len()
                        ));
                    }
                    Op::InPlace { write, read }
                }
            }
            "d" if spi => match t.next().map(str::parse::<u32>) {
                Some(Ok(ns)) => Op::Delay(ns),
                _ => return Err("`d` wants a delay in nanoseconds (a decimal number)".into()),
            },
            other if parse_byte(other).is_some() || other == "??" => {
                return Err(format!(
                    "byte `{other}` outside an operation (operations: {})",
                    if spi { "w, r, x, xi, d" } else { "w, r" }
                ))
            }
            other => {
                return Err(format!(
                    "unknown {} operation `{other}` (operations: {})",
                    if spi { "SPI" } else { "I2C" },
                    if spi { "w, r, x, xi, d" } else { "w, r" }
                ))
            }
        };
        ops.push(op);
    }
    Ok(ops)
}

fn parse_address(t: &str) -> Result<Address, String> {
    let bad = || {
        format!("`{t}` is not an I2C address (`0x76` for 7-bit addresses, `0x150/10` for 10-bit)")
    };
    let (hex, ten_bit) = match t.strip_suffix("/10") {
        Some(h) => (h, true),
        None => (t, false),
    };
    let hex = hex.strip_prefix("0x").ok_or_else(bad)?;
    if hex.is_empty() || hex.len() > 3 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let addr = u16::from_str_radix(hex, 16).map_err(|_| bad())?;
    let max = if ten_bit { 0x3ff } else { 0x7f };
    if addr > max {
        return Err(format!(
            "address `{t}` is beyond {} bits (largest 0x{max:x}){}",
            if ten_bit { 10 } else { 7 },
            if ten_bit {
                ""
            } else {
                "; write 10-bit addresses as `0x150/10`"
            }
        ));
    }
    Ok(Address { addr, ten_bit })
}

fn parse_level(t: Option<&str>) -> Result<Option<bool>, String> {
    match t {
        None | Some("!") => Ok(None),
        Some("high") => Ok(Some(true)),
        Some("low") => Ok(Some(false)),
        Some(o) => Err(format!("`{o}` is not a level (high or low)")),
    }
}

/// One line of a log (not the header): `Ok(None)` for a blank or comment line, the
/// problem otherwise.
pub(crate) fn parse_line(text: &str) -> Result<Option<Entry>, String> {
    // A `#` token starts a comment, to the end of the line.
    let toks: Vec<&str> = text
        .split_whitespace()
        .take_while(|t| !t.starts_with('#'))
        .collect();
    if toks.is_empty() {
        return Ok(None);
    }
    let mut t = Tokens { toks, at: 0 };
    let kind = t.next().unwrap_or_default();
    if !matches!(kind, "i2c" | "spi" | "pin") {
        return Err(format!(
            "unknown kind of transaction `{kind}` (a line starts with i2c, spi or pin)"
        ));
    }
    let name = match t.next() {
        Some(n) if valid_name(n) => n.to_string(),
        Some(n) => return Err(format!("`{n}` cannot name a device")),
        None => return Err(format!("`{kind}` without a device name")),
    };
    let tx = match kind {
        "i2c" => {
            let a = t
                .next()
                .ok_or_else(|| "an I2C line wants an address after the name".to_string())?;
            let address = parse_address(a)?;
            Tx::I2c {
                address,
                ops: parse_ops(&mut t, false)?,
            }
        }
        "spi" => Tx::Spi {
            ops: parse_ops(&mut t, true)?,
        },
        _ => {
            let op = match t.next() {
                Some("set") => match parse_level(t.next())? {
                    Some(h) => PinOp::Set(h),
                    None => return Err("`set` wants a level (high or low)".into()),
                },
                Some("get") => {
                    let l = parse_level(t.peek())?;
                    t.at += usize::from(l.is_some());
                    PinOp::Get(l)
                }
                Some("is-set") => {
                    let l = parse_level(t.peek())?;
                    t.at += usize::from(l.is_some());
                    PinOp::IsSet(l)
                }
                Some("toggle") => PinOp::Toggle,
                Some(o) => {
                    return Err(format!(
                        "unknown pin operation `{o}` (set, get, is-set, toggle)"
                    ))
                }
                None => {
                    return Err("a pin line wants an operation (set, get, is-set, toggle)".into())
                }
            };
            Tx::Pin(op)
        }
    };
    let outcome = match t.next() {
        None => Ok(()),
        Some("!") => {
            let k = t
                .next()
                .ok_or_else(|| "`!` wants an error kind after it".to_string())?;
            let kind = match &tx {
                Tx::I2c { .. } => parse_i2c_kind(k).map(RecordedKind::I2c),
                Tx::Spi { .. } => parse_spi_kind(k).map(RecordedKind::Spi),
                Tx::Pin(_) => {
                    (k == "other").then_some(RecordedKind::Pin(digital::ErrorKind::Other))
                }
            };
            Err(kind.ok_or_else(|| {
                format!(
                    "unknown error kind `{k}` for {} (known: {})",
                    match &tx {
                        Tx::I2c { .. } => "I2C",
                        Tx::Spi { .. } => "SPI",
                        Tx::Pin(_) => "a pin",
                    },
                    match &tx {
                        Tx::I2c { .. } =>
                            "bus, arbitration-loss, nack-address, nack-data, nack, overrun, other",
                        Tx::Spi { .. } =>
                            "overrun, mode-fault, frame-format, chip-select-fault, other",
                        Tx::Pin(_) => "other",
                    }
                )
            })?)
        }
        Some(o) => return Err(format!("unexpected `{o}`")),
    };
    if let Some(o) = t.next() {
        return Err(format!("unexpected `{o}` after the error kind"));
    }
    // A successful read or query has its data.
    if outcome.is_ok() {
        let unknown = match &tx {
            Tx::I2c { ops, .. } | Tx::Spi { ops } => ops.iter().any(|op| {
                matches!(
                    op,
                    Op::Read(Data::Unknown(n))
                        | Op::Transfer { read: Data::Unknown(n), .. }
                        | Op::InPlace { read: Data::Unknown(n), .. }
                        if *n > 0
                )
            }),
            Tx::Pin(PinOp::Get(None) | PinOp::IsSet(None)) => true,
            Tx::Pin(_) => false,
        };
        if unknown {
            return Err(
                "unknown read data (`??` or no level) in a transaction that did not fail (add `! KIND`)"
                    .into(),
            );
        }
    }
    Ok(Some(Entry { name, tx, outcome }))
}

/// Where `came` differs from the recorded `expected` transaction (`None`: they match).
/// Read data is not compared (only how much is read), and neither are SPI delays.
pub(crate) fn difference(expected: &Tx, came: &Tx) -> Option<String> {
    fn ops_diff(e: &[Op], c: &[Op]) -> Option<String> {
        let e: Vec<&Op> = e.iter().filter(|o| !matches!(o, Op::Delay(_))).collect();
        let c: Vec<&Op> = c.iter().filter(|o| !matches!(o, Op::Delay(_))).collect();
        if e.len() != c.len() {
            return Some(format!("{} operations instead of {}", c.len(), e.len()));
        }
        for (i, (e, c)) in e.iter().zip(&c).enumerate() {
            let n = i + 1;
            let d = match (e, c) {
                (Op::Write(a), Op::Write(b)) if a != b => Some("other bytes written"),
                (Op::Read(a), Op::Read(b)) if a.len() != b.len() => Some("another read length"),
                (
                    Op::Transfer {
                        write: wa,
                        read: ra,
                    },
                    Op::Transfer {
                        write: wb,
                        read: rb,
                    },
                ) => {
                    if wa != wb {
                        Some("other bytes written")
                    } else if ra.len() != rb.len() {
                        Some("another read length")
                    } else {
                        None
                    }
                }
                (Op::InPlace { write: a, .. }, Op::InPlace { write: b, .. }) if a != b => {
                    Some("other bytes written")
                }
                (Op::Write(_), Op::Write(_))
                | (Op::Read(_), Op::Read(_))
                | (Op::InPlace { .. }, Op::InPlace { .. }) => None,
                _ => Some("another kind of operation"),
            };
            if let Some(d) = d {
                return Some(format!("operation {n}: {d}"));
            }
        }
        None
    }
    match (expected, came) {
        (Tx::I2c { address: a, ops: e }, Tx::I2c { address: b, ops: c }) => {
            if a != b {
                Some("another address".into())
            } else {
                ops_diff(e, c)
            }
        }
        (Tx::Spi { ops: e }, Tx::Spi { ops: c }) => ops_diff(e, c),
        (Tx::Pin(a), Tx::Pin(b)) => match (a, b) {
            (PinOp::Set(x), PinOp::Set(y)) if x != y => Some("another level set".into()),
            (PinOp::Set(_), PinOp::Set(_))
            | (PinOp::Get(_), PinOp::Get(_))
            | (PinOp::IsSet(_), PinOp::IsSet(_))
            | (PinOp::Toggle, PinOp::Toggle) => None,
            _ => Some("another pin operation".into()),
        },
        _ => Some("another kind of transaction".into()),
    }
}
