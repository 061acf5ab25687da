//! What answers at one I2C address, from reads only, as `udrv probe` tells it: the reads
//! a kind's [`Identification`] names, the kind's match on what they return, and, at the
//! addresses where a candidate takes any written byte as data or a command, plain reads
//! only.
//!
//! [`answers`] says whether something answers an address (as `i2cdetect` does);
//! [`identify`] says what: a [`Finding`] with the values that showed it. Both are
//! blocking and `no_std`; the scan of a whole bus (kernel-held addresses, a PCA9685's
//! call addresses named as the chip) is `udrv_boards::catalog::probe`.
//!
//! The kinds identified by register reads are [`REGISTER_ORDER`]'s: at one address each
//! candidate's registers are read (a register pointer written, then a read: never a
//! value or a command) and matched, the first certain match winning. A kind whose
//! identification `probe` uses ([`Identification::probe_identifies`]) and that no rule
//! here names is never identified: `cli/tests/virtual_probe.rs` and this module's tests
//! catch it.

use core::fmt::{self, Display, Formatter};

use embedded_hal::i2c::I2c;

use super::Chip;
use crate::kinds::{ChipKind, Identification};

/// The kinds identified by register reads ([`Identification::IdRegister`] and
/// [`Identification::Registers`]), in the order they are tried at one address: the
/// most specific evidence first (an ID register, power-on values), a configured INA219
/// (a weak match: only bits that always read 0) after every other kind.
pub const REGISTER_ORDER: [ChipKind; 8] = [
    ChipKind::Dps310,
    ChipKind::Bme280,
    ChipKind::Ds3231,
    ChipKind::Ina219,
    ChipKind::Ads1115,
    ChipKind::Tmp102,
    ChipKind::Lm75,
    ChipKind::Pca9685,
];

/// The kinds identified by a plain read ([`Identification::PlainRead`]): the MCP23017's
/// register file at 0x20-0x27, where only plain reads are sent, and an AT24 EEPROM's
/// answer in 0x50-0x57, which is the one-byte presence read of [`answers`].
pub const PLAIN_READ_KINDS: [ChipKind; 2] = [ChipKind::Mcp23017, ChipKind::At24c32];

/// The most bytes one identification reads (the MCP23017's register file).
const MAX_READ: usize = 32;

/// ID values of chips udrv does not drive, in the ID register of a kind it does: named
/// as a guess rather than left unknown. (kind whose register, value, name, description)
const OTHER_IDS: [(ChipKind, u8, &str, &str); 1] = [(ChipKind::Bme280, 0x61, "bme680", "BME680")];

/// Whether something answers `address`, as `i2cdetect` probes it: a one-byte read at
/// 0x30-0x37 and 0x50-0x5f (where a quick write can start an EEPROM write cycle), a quick
/// write (the address alone, no data) elsewhere. Any bus error counts as absent.
pub fn answers<I: I2c>(i2c: &mut I, address: u8) -> bool {
    if (0x30..=0x37).contains(&address) || (0x50..=0x5f).contains(&address) {
        i2c.read(address, &mut [0]).is_ok()
    } else {
        i2c.write(address, &[]).is_ok()
    }
}

/// What answers at `address`, which [`answers`]: only reads are sent (register pointers,
/// and plain reads where a candidate takes any written byte as data or a command).
pub fn identify<I: I2c>(i2c: &mut I, address: u8) -> Finding {
    let a = address;
    let finding = |evidence| Finding {
        address: a,
        evidence,
        calls: [None; 4],
    };
    if let Some(e) = plain_reads_only(i2c, a) {
        return finding(e);
    }
    let mut weak = None;
    let mut last: Option<(Identification, Option<Regs>)> = None;
    for kind in REGISTER_ORDER.into_iter().filter(|k| k.can_be_at(a)) {
        let id = kind.identification();
        // Kinds with the same identification (LM75, TMP102) share one set of reads.
        let regs = match last {
            Some((l, r)) if l == id => r,
            _ => Regs::read(i2c, a, id),
        };
        last = Some((id, regs));
        let Some(regs) = regs else { continue };
        match matches(kind, id, &regs) {
            Some(Match::Certain(e)) => {
                let mut f = finding(e);
                if let Evidence::Pca9685 { mode1, .. } = e {
                    f.calls = pca9685_calls(i2c, a, mode1);
                }
                return f;
            }
            Some(Match::Other(e)) => return finding(e),
            Some(Match::Weak(e)) => weak = weak.or(Some(e)),
            None => {}
        }
    }
    if let Some(e) = weak {
        return finding(e);
    }
    if (0x44..=0x45).contains(&a) {
        return finding(Evidence::Sht3x);
    }
    finding(Evidence::Nothing)
}

/// At the addresses where a candidate takes any written byte as data or a command: the
/// finding from plain reads, or `None` to go on with register reads (0x76-0x77 unless a
/// switch's control register repeats there).
fn plain_reads_only<I: I2c>(i2c: &mut I, a: u8) -> Option<Evidence> {
    if (0x20..=0x27).contains(&a) || (0x38..=0x3f).contains(&a) {
        let n = match ChipKind::Mcp23017.identification() {
            Identification::PlainRead { bytes } => usize::from(bytes).min(MAX_READ),
            _ => MAX_READ,
        };
        let mut b = [0u8; MAX_READ];
        let b = &mut b[..n.max(12)];
        if i2c.read(a, b).is_err() {
            return Some(Evidence::NotARead);
        }
        let same = b.iter().all(|x| *x == b[0]);
        let head = [b[0], b[1], b[2], b[3]];
        // An MCP23017 (IOCON.BANK = 0, pointer at 0 as after power-on or a read of
        // register 0) returns its 22 registers in order; IOCON sits at both 0x0a and 0x0b.
        if !same && b[10] == b[11] && b[10] & 0x81 == 0 && ChipKind::Mcp23017.can_be_at(a) {
            return Some(Evidence::Mcp23017 {
                iodir: [b[0], b[1]],
                iocon: b[10],
            });
        }
        if a == 0x23 && !same {
            return Some(Evidence::Bh1750Low { head });
        }
        return Some(Evidence::Expander { head, same });
    }
    if a == 0x5c {
        let mut b = [0u8; 2];
        let plain = i2c.read(a, &mut b).is_ok();
        return Some(Evidence::Bh1750High {
            read: plain.then_some(b),
        });
    }
    if ChipKind::At24c32.can_be_at(a) {
        return Some(Evidence::Eeprom);
    }
    if (0x70..=0x77).contains(&a) {
        let mut b = [0u8; 4];
        let plain = i2c.read(a, &mut b).is_ok();
        let repeated = plain && b.iter().all(|x| *x == b[0]);
        if a <= 0x75 || (repeated && b[0] != 0) {
            if a == 0x70 && !plain {
                return Some(Evidence::Shtc3);
            }
            if repeated {
                return Some(Evidence::SwitchRepeats { control: b[0] });
            }
            return Some(Evidence::SwitchRange {
                read: plain.then_some(b),
            });
        }
    }
    None
}

/// What a kind's identification read: the bytes at each pointer, in order.
#[derive(Clone, Copy)]
struct Regs {
    buf: [u8; MAX_READ],
    per: usize,
}

impl Regs {
    /// The reads `id` names (pointer writes and reads only); `None` when one fails or the
    /// identification is not register reads.
    fn read<I: I2c>(i2c: &mut I, a: u8, id: Identification) -> Option<Regs> {
        let one;
        let (pointers, per): (&[u8], usize) = match id {
            Identification::IdRegister { pointer, .. } => {
                one = [pointer];
                (&one, 1)
            }
            Identification::Registers { pointers, bytes } => (pointers, usize::from(bytes)),
            _ => return None,
        };
        if pointers.len() * per > MAX_READ {
            return None;
        }
        let mut r = Regs {
            buf: [0; MAX_READ],
            per,
        };
        for (i, p) in pointers.iter().enumerate() {
            i2c.write_read(a, &[*p], &mut r.buf[i * per..(i + 1) * per])
                .ok()?;
        }
        Some(r)
    }

    /// The bytes read at the `i`th pointer.
    fn at(&self, i: usize) -> &[u8] {
        &self.buf[i * self.per..(i + 1) * self.per]
    }

    /// The big-endian word at the `i`th pointer.
    fn word(&self, i: usize) -> u16 {
        u16::from_be_bytes([self.at(i)[0], self.at(i)[1]])
    }
}

enum Match {
    /// The kind, for certain.
    Certain(Evidence),
    /// The kind, unless another matches for certain.
    Weak(Evidence),
    /// A chip udrv does not drive.
    Other(Evidence),
}

fn is_bcd(b: u8, max: u8) -> bool {
    b & 0x0f <= 9 && (b >> 4) * 10 + (b & 0x0f) <= max
}

/// Whether what `kind`'s identification read is that kind's.
fn matches(kind: ChipKind, id: Identification, regs: &Regs) -> Option<Match> {
    use ChipKind as K;
    if let Identification::IdRegister { pointer, ids } = id {
        let value = regs.at(0)[0];
        if ids.contains(&value) {
            return Some(Match::Certain(Evidence::IdRegister {
                kind,
                pointer,
                value,
            }));
        }
        return OTHER_IDS.iter().find(|o| o.0 == kind && o.1 == value).map(
            |&(kind, value, name, description)| {
                Match::Other(Evidence::OtherId {
                    kind,
                    pointer,
                    value,
                    name,
                    description,
                })
            },
        );
    }
    let certain = |ok: bool, e: Evidence| ok.then_some(Match::Certain(e));
    match kind {
        K::Ds3231 => {
            let r = regs.at(0);
            let time_ok = is_bcd(r[0], 59)
                && is_bcd(r[1], 59)
                && is_bcd(r[2] & 0x3f, 23)
                && (1..=7).contains(&r[3])
                && is_bcd(r[4], 31)
                && r[4] != 0
                && is_bcd(r[5] & 0x1f, 12)
                && r[5] & 0x1f != 0
                && is_bcd(r[6], 99);
            // Status bits 6-4 and the temperature LSB's bits 5-0 always read 0.
            let (status, temp_lsb) = (r[0x0f], r[0x12]);
            certain(
                time_ok && status & 0x70 == 0 && temp_lsb & 0x3f == 0,
                Evidence::Ds3231 { status, temp_lsb },
            )
        }
        K::Ina219 => {
            let (config, bus, cal) = (regs.word(0), regs.word(1), regs.word(2));
            if config == crate::ina219::registers::CONFIG_DEFAULT {
                return Some(Match::Certain(Evidence::Ina219PowerOn));
            }
            // Configuration bit 14, bus voltage bit 2 and calibration bit 0 read 0.
            let zeros = config & 0x4000 == 0 && bus & 0x0004 == 0 && cal & 0x0001 == 0;
            (config != 0 && zeros).then_some(Match::Weak(Evidence::Ina219Configured { config }))
        }
        K::Ads1115 => certain(
            regs.word(0) == 0x8000 && regs.word(1) == 0x7fff,
            Evidence::Ads1115PowerOn,
        ),
        K::Lm75 | K::Tmp102 => {
            let (conf, lo, hi) = (regs.at(0)[0], regs.word(1), regs.word(2));
            // Thresholds on the 9-bit grid, T_HYST below T_OS.
            let nine_bit = lo & 0x7f == 0 && hi & 0x7f == 0;
            let ordered = (lo as i16) < (hi as i16);
            let bits = if kind == K::Tmp102 {
                // R1 R0 read 11 (read-only); the 12-bit thresholds' low nibble is 0.
                conf & 0x60 == 0x60 && lo & 0x0f == 0
            } else {
                // Bits 7-5 are reserved, 0.
                conf & 0xe0 == 0
            };
            certain(
                nine_bit && ordered && bits,
                Evidence::Lm75Family { kind, lo, hi },
            )
        }
        K::Pca9685 => {
            let (mode1, mode2, prescale, all) =
                (regs.at(0)[0], regs.at(1)[0], regs.at(2)[0], regs.at(3)[0]);
            // MODE2 bits 7-5 reserved 0, PRE_SCALE at least 3, ALL_LED_ON_L reads 0,
            // SUB1-SUB3 not all on.
            certain(
                mode2 & 0xe0 == 0 && prescale >= 3 && all == 0 && mode1 & 0x0e != 0x0e,
                Evidence::Pca9685 {
                    mode1,
                    mode2,
                    prescale,
                },
            )
        }
        // A kind without a rule here is never identified (the tests catch it).
        _ => None,
    }
}

/// The addresses a PCA9685 at `a` answers besides its own, from MODE1 (bit 0 ALLCALL,
/// bits 3-1 SUB1-SUB3) and ALLCALLADR / SUBADR1-3.
fn pca9685_calls<I: I2c>(i2c: &mut I, a: u8, mode1: u8) -> [Option<Call>; 4] {
    let mut calls = [None; 4];
    for (i, (bit, register)) in [(0, 0x05), (3, 0x02), (2, 0x03), (1, 0x04)]
        .into_iter()
        .enumerate()
    {
        if mode1 & (1 << bit) == 0 {
            continue;
        }
        let mut v = [0];
        if i2c.write_read(a, &[register], &mut v).is_ok() {
            calls[i] = Some(Call {
                register,
                value: v[0],
                mode1,
            });
        }
    }
    calls
}

/// An address a PCA9685 answers besides its own (all-call or sub-call), from its
/// registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The register holding it: ALLCALLADR (0x05) or SUBADR1-3 (0x02-0x04).
    pub register: u8,
    /// The register's value (the 7-bit address in bits 7-1).
    pub value: u8,
    /// MODE1, whose bits enable it.
    pub mode1: u8,
}

impl Call {
    /// The address it answers.
    pub fn address(&self) -> u8 {
        self.value >> 1
    }

    /// Whether it is the all-call address (else a sub-call address).
    pub fn is_all_call(&self) -> bool {
        self.register == 0x05
    }
}

impl Display for Call {
    /// `all-call address (ALLCALLADR 0x05 = 0xe0, MODE1 = 0x11)`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let what = match self.register {
            0x05 => "all-call address (ALLCALLADR 0x05",
            0x02 => "sub-call address 1 (SUBADR1 0x02",
            0x03 => "sub-call address 2 (SUBADR2 0x03",
            _ => "sub-call address 3 (SUBADR3 0x04",
        };
        write!(
            f,
            "{what} = {:#04x}, MODE1 = {:#04x})",
            self.value, self.mode1
        )
    }
}

/// What answers at one address, and what showed it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finding {
    /// The address.
    pub address: u8,
    /// What the reads returned that tells the chip (or the guess).
    pub evidence: Evidence,
    /// For a PCA9685: the other addresses it answers (all-call, enabled sub-calls).
    pub calls: [Option<Call>; 4],
}

/// The values that identified a chip, or that a guess rests on.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Evidence {
    /// Answers its address, refuses a plain read (0x20-0x27, 0x38-0x3f).
    NotARead,
    /// An MCP23017's register file from a plain read: IODIRA/B, and IOCON at both 0x0a
    /// and 0x0b.
    Mcp23017 {
        /// IODIRA, IODIRB.
        iodir: [u8; 2],
        /// IOCON.
        iocon: u8,
    },
    /// At 0x23: a plain read that is no MCP23017 register file and not one byte
    /// repeated: a BH1750 (ADDR low), perhaps.
    Bh1750Low {
        /// The first bytes read.
        head: [u8; 4],
    },
    /// At 0x20-0x27, 0x38-0x3f: a plain read that is no MCP23017 register file.
    Expander {
        /// The first bytes read.
        head: [u8; 4],
        /// Whether every byte was the same (a port without auto-increment).
        same: bool,
    },
    /// At 0x5c: a BH1750 (ADDR high) returns its result to a plain read.
    Bh1750High {
        /// The plain read, `None` if refused.
        read: Option<[u8; 2]>,
    },
    /// Answers a one-byte read in 0x50-0x57, the 24Cxx EEPROM range.
    Eeprom,
    /// At 0x70: answers its address but refuses a plain read (an SHTC3 does).
    Shtc3,
    /// At 0x70-0x77: a plain read repeating one byte (a PCA954x switch's control
    /// register).
    SwitchRepeats {
        /// The byte.
        control: u8,
    },
    /// At 0x70-0x75: a plain read that is no switch's.
    SwitchRange {
        /// The plain read, `None` if refused.
        read: Option<[u8; 4]>,
    },
    /// The kind's ID register holds one of its IDs.
    IdRegister {
        /// The kind.
        kind: ChipKind,
        /// The register.
        pointer: u8,
        /// Its value.
        value: u8,
    },
    /// A kind's ID register holds the ID of a chip udrv does not drive.
    OtherId {
        /// The kind whose register it is.
        kind: ChipKind,
        /// The register.
        pointer: u8,
        /// Its value.
        value: u8,
        /// The chip's name (`bme680`).
        name: &'static str,
        /// The chip as the datasheet writes it (`BME680`).
        description: &'static str,
    },
    /// A DS3231: a valid BCD date, and the status and temperature LSB registers' always-0
    /// bits clear.
    Ds3231 {
        /// Status (0x0f).
        status: u8,
        /// Temperature LSB (0x12).
        temp_lsb: u8,
    },
    /// An INA219 at power-on: configuration 0x399f.
    Ina219PowerOn,
    /// An ADS1115/ADS1015 at power-on: thresholds 0x8000 and 0x7fff.
    Ads1115PowerOn,
    /// An LM75 or TMP102: thresholds on the 0.5 °C grid, ordered, and configuration bits
    /// that tell which.
    Lm75Family {
        /// [`ChipKind::Lm75`] or [`ChipKind::Tmp102`].
        kind: ChipKind,
        /// T_HYST / T_LOW (0x02).
        lo: u16,
        /// T_OS / T_HIGH (0x03).
        hi: u16,
    },
    /// A PCA9685: MODE2's reserved bits 0, a plausible PRE_SCALE, ALL_LED_ON_L 0.
    Pca9685 {
        /// MODE1.
        mode1: u8,
        /// MODE2.
        mode2: u8,
        /// PRE_SCALE.
        prescale: u8,
    },
    /// A configured INA219 (less certain): the bits it always reads as 0 are clear.
    Ina219Configured {
        /// Configuration (0x00).
        config: u16,
    },
    /// At 0x44-0x45: nothing matched; an SHT3x answers only commands.
    Sht3x,
    /// Nothing matched.
    Nothing,
}

/// What `probe` calls what answers: a kind, or a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Guess {
    /// Nothing recognised: `(unknown)`.
    Unknown,
    /// `(bh1750?)`.
    Bh1750,
    /// `(I/O expander?)`: a PCF8574-style port or a PCA9554/PCA9535.
    IoExpander,
    /// `(shtc3?)`.
    Shtc3,
    /// `(pca954x?)`: a switch.
    Pca954x,
    /// `(sht3x?)`.
    Sht3x,
    /// A chip udrv does not drive, by its ID: `(bme680)`.
    Other(&'static str),
}

impl Display for Guess {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Guess::Unknown => f.write_str("(unknown)"),
            Guess::Bh1750 => f.write_str("(bh1750?)"),
            Guess::IoExpander => f.write_str("(I/O expander?)"),
            Guess::Shtc3 => f.write_str("(shtc3?)"),
            Guess::Pca954x => f.write_str("(pca954x?)"),
            Guess::Sht3x => f.write_str("(sht3x?)"),
            Guess::Other(name) => write!(f, "({name})"),
        }
    }
}

impl Finding {
    /// The kind recognised (its name can be given to `udrv read`), if any.
    pub fn kind(&self) -> Option<ChipKind> {
        match self.evidence {
            Evidence::Mcp23017 { .. } => Some(ChipKind::Mcp23017),
            Evidence::Eeprom => Some(ChipKind::At24c32),
            Evidence::IdRegister { kind, .. } | Evidence::Lm75Family { kind, .. } => Some(kind),
            Evidence::Ds3231 { .. } => Some(ChipKind::Ds3231),
            Evidence::Ina219PowerOn | Evidence::Ina219Configured { .. } => Some(ChipKind::Ina219),
            Evidence::Ads1115PowerOn => Some(ChipKind::Ads1115),
            Evidence::Pca9685 { .. } => Some(ChipKind::Pca9685),
            _ => None,
        }
    }

    /// The guess when no kind is recognised.
    pub fn guess(&self) -> Option<Guess> {
        if self.kind().is_some() {
            return None;
        }
        Some(match self.evidence {
            Evidence::Bh1750Low { .. } | Evidence::Bh1750High { read: Some(_) } => Guess::Bh1750,
            Evidence::Expander { .. } => Guess::IoExpander,
            Evidence::Shtc3 => Guess::Shtc3,
            Evidence::SwitchRepeats { .. } => Guess::Pca954x,
            Evidence::OtherId { name, .. } => Guess::Other(name),
            Evidence::Sht3x => Guess::Sht3x,
            _ => Guess::Unknown,
        })
    }

    /// The PCA9685's call addresses found, in MODE1 bit order (all-call first).
    pub fn calls(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().flatten()
    }

    /// The evidence in words, as `udrv probe` prints it.
    pub fn evidence_text(&self) -> impl Display + '_ {
        EvidenceText(self)
    }
}

impl Display for Finding {
    /// The kind's name (`bme280`), or the guess in parentheses (`(bh1750?)`).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match (self.kind(), self.guess()) {
            (Some(k), _) => f.write_str(k.name()),
            (None, Some(g)) => g.fmt(f),
            (None, None) => Guess::Unknown.fmt(f),
        }
    }
}

/// Bytes as `xx xx xx`.
struct Hex<'a>(&'a [u8]);

impl Display for Hex<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The chips udrv drives that can answer at an address ([`Chip::candidates`]), as a list.
struct Candidates(u8);

impl Display for Candidates {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, c) in Chip::candidates(self.0).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(c.name())?;
        }
        Ok(())
    }
}

/// A plain read's bytes, or `refused`.
struct ReadOr<'a>(Option<&'a [u8]>);

impl Display for ReadOr<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(b) => Hex(b).fmt(f),
            None => f.write_str("refused"),
        }
    }
}

/// The name of a kind's ID register, from the catalog's words for it (`chip ID` from
/// `chip ID register 0xd0 (...)`).
fn id_register_name(kind: ChipKind) -> &'static str {
    kind.info()
        .id_text
        .and_then(|t| t.split(" register").next())
        .unwrap_or("ID")
}

struct EvidenceText<'a>(&'a Finding);

impl Display for EvidenceText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let a = self.0.address;
        const PCF8574: &str = "a PCF8574 takes any byte written as output data";
        match self.0.evidence {
            Evidence::NotARead => f.write_str("answers its address, not a read"),
            Evidence::Mcp23017 { iodir, iocon } => write!(
                f,
                "plain 22-byte read gave IODIRA/B = {}, IOCON = {iocon:#04x} at both 0x0a and \
                 0x0b (only plain reads are sent at 0x20-0x27: {PCF8574})",
                Hex(&iodir)
            ),
            Evidence::Bh1750Low { head } => write!(
                f,
                "plain read: {} ...: not an MCP23017 register file starting at 0; a BH1750 \
                 (ADDR low) returns its 16-bit result to a plain read and answers only \
                 commands (read it with `udrv read bh1750@BUS:0x23`; chips udrv drives that \
                 can sit here: {}; only plain reads are sent here, since {PCF8574} and a \
                 BH1750 as a command)",
                Hex(&head),
                Candidates(a)
            ),
            Evidence::Expander { head, same } => {
                let what = if same {
                    "the same byte again and again: a PCF8574-style port or a PCA9554/PCA9535 \
                     (no auto-increment)"
                } else {
                    "not an MCP23017 register file starting at 0"
                };
                let bh1750 = if a == 0x23 {
                    " and a BH1750 as a command"
                } else {
                    ""
                };
                write!(
                    f,
                    "plain read: {} ...: {what} (only plain reads are sent here, since \
                     {PCF8574}{bh1750})",
                    Hex(&head)
                )
            }
            Evidence::Bh1750High { read } => write!(
                f,
                "plain read: {}; a BH1750 (ADDR high) answers only commands and returns its \
                 16-bit result to a plain read (read it with `udrv read bh1750@BUS:0x5c`; \
                 chips udrv drives that can sit here: {}; only a plain read is sent at 0x5c, \
                 since a BH1750 takes any byte written as a command)",
                ReadOr(read.as_ref().map(|b| &b[..])),
                Candidates(a)
            ),
            Evidence::Eeprom => f.write_str(
                "answers a one-byte read at 0x50-0x57, the 24Cxx EEPROM range (size unknown: \
                 at24c32 and larger take 2 address bytes, at24c02 and smaller take 1)",
            ),
            Evidence::Shtc3 => write!(
                f,
                "answers its address but refuses a plain read: not a PCA954x switch (it \
                 always returns its control register); an SHTC3 does that, answering only \
                 commands (read it with `udrv read shtc3@BUS`; chips udrv drives that can sit \
                 here: {}; only plain reads are sent at 0x70-0x75, since a switch takes any \
                 written byte as its channel selection)",
                Candidates(a)
            ),
            Evidence::SwitchRepeats { control } => {
                write!(
                    f,
                    "plain read repeats {control:#04x}: a PCA954x switch's control register \
                     (channels enabled: "
                )?;
                let mut any = false;
                for bit in (0..8).filter(|bit| control & (1 << bit) != 0) {
                    if any {
                        f.write_str(", ")?;
                    }
                    write!(f, "{bit}")?;
                    any = true;
                }
                if !any {
                    f.write_str("none")?;
                }
                f.write_str(
                    ") or another chip; only plain reads are sent at 0x70-0x77, since a switch \
                     takes any written byte as its channel selection",
                )
            }
            Evidence::SwitchRange { read } => write!(
                f,
                "plain read: {} (only plain reads are sent at 0x70-0x75, since a PCA954x switch \
                 takes any written byte as its channel selection)",
                ReadOr(read.as_ref().map(|b| &b[..]))
            ),
            Evidence::IdRegister {
                kind,
                pointer,
                value,
            } => {
                write!(
                    f,
                    "{} register {pointer:#04x} = {value:#04x}",
                    id_register_name(kind)
                )?;
                if kind == ChipKind::Bme280 && value == 0x58 {
                    f.write_str(": a BMP280 (read it as bme280: no humidity)")?;
                }
                Ok(())
            }
            Evidence::OtherId {
                kind,
                pointer,
                value,
                description,
                ..
            } => write!(
                f,
                "{} register {pointer:#04x} = {value:#04x}: {description}",
                id_register_name(kind)
            ),
            Evidence::Ds3231 { status, temp_lsb } => write!(
                f,
                "registers 0x00-0x06 hold a valid BCD date, status 0x0f = {status:#04x} and \
                 temperature LSB 0x12 = {temp_lsb:#04x} have their always-zero bits clear"
            ),
            Evidence::Ina219PowerOn => {
                f.write_str("configuration register 0x00 = 0x399f, the INA219's power-on value")
            }
            Evidence::Ads1115PowerOn => f.write_str(
                "Lo_thresh 0x02 = 0x8000, Hi_thresh 0x03 = 0x7fff (power-on values of an \
                 ADS1115, or an ADS1015: read it as ads1015 then)",
            ),
            Evidence::Lm75Family { kind, lo, hi } => {
                let why = if kind == ChipKind::Tmp102 {
                    "configuration bits R1 R0 = 11 (read-only in a TMP102)"
                } else {
                    "configuration bits 7-5 = 0 (reserved in an LM75)"
                };
                write!(
                    f,
                    "thresholds 0x02 = {lo:#06x} ({} °C) < 0x03 = {hi:#06x} ({} °C) on a \
                     0.5 °C grid; {why}",
                    (lo as i16) as f64 / 256.0,
                    (hi as i16) as f64 / 256.0
                )
            }
            Evidence::Pca9685 {
                mode1,
                mode2,
                prescale,
            } => {
                let osc = crate::pca9685::OSC_HZ as f64;
                let hz = osc / (4096.0 * (prescale as f64 + 1.0));
                write!(
                    f,
                    "MODE1 = {mode1:#04x}, MODE2 = {mode2:#04x} (bits 7-5 reserved 0), \
                     PRE_SCALE = {prescale:#04x} ({hz:.0} Hz), ALL_LED_ON_L reads 0"
                )
            }
            Evidence::Ina219Configured { config } => write!(
                f,
                "configuration 0x00 = {config:#06x} (not the power-on 0x399f: less certain), \
                 with the bits an INA219 always reads as 0 clear (0x00 bit 14, bus voltage \
                 0x02 bit 2, calibration 0x05 bit 0)"
            ),
            Evidence::Sht3x => f.write_str(
                "answers its address but no register read: an SHT3x answers only commands \
                 (read it with `udrv read sht3x@BUS:ADDR`)",
            ),
            Evidence::Nothing => {
                if Chip::candidates(a).next().is_none() {
                    f.write_str("answers its address")
                } else {
                    write!(
                        f,
                        "answers its address; none of the registers matched (chips udrv \
                         drives that can sit here: {})",
                        Candidates(a)
                    )
                }
            }
        }
    }
}
