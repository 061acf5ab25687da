//! Which known chips are on an I2C bus, judged from reads only: `udrv probe`'s scan.
//!
//! Per address, [`udrv_drivers::probe::answers`] and [`udrv_drivers::probe::identify`]
//! (`no_std`, driven by each kind's [`Identification`](crate::catalog::Identification));
//! here, the scan of a bus: addresses a kernel driver holds are skipped, and the
//! addresses a PCA9685 answers besides its own (all-call, sub-call, from its registers)
//! are named as that chip, not as more chips. [`HELP`] says what is sent, per chip.
//!
//! ```
//! use udrv_boards::catalog::probe::probe_bus;
//! use udrv_boards::r#virtual::VirtualBoard;
//!
//! let board = VirtualBoard::new();
//! let mut bus = board.i2c_bus("i2c-1").unwrap();
//! let found = probe_bus(&mut bus, 0x08..=0x77, |_| None);
//! let bme280 = found.iter().find(|f| f.address == 0x76).unwrap();
//! assert_eq!(bme280.chip, "bme280");
//! ```

use embedded_hal::i2c::I2c;
use udrv_drivers::probe::{answers, Finding};

pub use udrv_drivers::probe::{
    identify as identify_finding, Call, Evidence, Guess, PLAIN_READ_KINDS, REGISTER_ORDER,
};

use super::{AnyI2c, ChipKind};

/// What `udrv probe` sends, per chip (`udrv probe --help`).
pub const HELP: &str = "\
Identify known chips on an I2C bus from their registers. Only reads are sent: no register
value and no command is ever written to a chip.

At each address (0x08-0x77; 0x03-0x77 with --all), first presence, as i2cdetect does: a
one-byte read at 0x30-0x37 and 0x50-0x5f (where a quick write can start an EEPROM write
cycle), a quick write (the address alone, no data) elsewhere. Addresses a kernel driver
holds are skipped (UU).

Then, per chip (\"pointer P, N bytes\": a write of register pointer P, then a read of N
bytes after a repeated start):
  MCP23017, PCA9554/PCA9535 (0x20-0x27, 0x38-0x3f): one plain 22-byte read, nothing
      written (a PCF8574 takes any byte written as output data); an MCP23017 returns its
      register file (IOCON at both 0x0a and 0x0b).
  BH1750 (0x23, 0x5c): plain reads only (22 bytes at 0x23, 2 at 0x5c), since any byte
      written is a command: a candidate, never identified.
  AT24 EEPROMs (0x50-0x57): the one-byte presence read only.
  PCA9546/PCA9548 switches (0x70-0x77): one plain 4-byte read (a switch takes any byte
      written as its channel selection; it repeats its control register); at 0x76-0x77
      the register reads below follow unless it repeats a non-zero byte.
  SHTC3 (0x70): nothing more: a refused plain read fits it (it answers only commands):
      a candidate, never identified.
  DPS310 (0x76-0x77): pointer 0x0d, 1 byte (product ID 0x10).
  BME280/BMP280 (0x76-0x77): pointer 0xd0, 1 byte (chip ID 0x60 / 0x58).
  DS3231 (0x68): pointer 0x00, 19 bytes (time, alarms, control, status, temperature).
  INA219 (0x40-0x4f): pointers 0x00, 0x02 and 0x05, 2 bytes each (configuration, 0x399f
      at power-on; else, taken last if nothing matched, the bits an INA219 always reads
      as 0).
  ADS1115/ADS1015 (0x48-0x4b): pointers 0x02 and 0x03, 2 bytes each (thresholds 0x8000
      and 0x7fff at power-on).
  LM75/TMP102 (0x48-0x4f, TMP102 0x48-0x4b): pointer 0x01, 2 bytes, pointers 0x02 and
      0x03, 2 bytes each (configuration, thresholds).
  PCA9685 (0x40-0x77 except 0x5c and 0x70): pointers 0x00, 0x01, 0xfe and 0xfa, 1 byte
      each (MODE1, MODE2, PRE_SCALE, ALL_LED_ON_L); for each PCA9685 found, pointers
      0x02-0x05, 1 byte each (SUBADR1-3, ALLCALLADR): the all-call and sub-call addresses
      MODE1 enables are listed as that chip's, not as more PCA9685s.
  SHT3x (0x44-0x45): nothing more (it answers only commands): a candidate.
At one address the register reads go in this order, stopping at the first chip
recognised: DPS310, BME280, DS3231, INA219, ADS1115, LM75/TMP102, PCA9685, INA219
(configured).";

/// What was found at one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The address.
    pub address: u8,
    /// The kind recognised, if any.
    pub kind: Option<ChipKind>,
    /// The chip's `udrv read` name when recognised (`bme280`), else a description in
    /// parentheses (`(unknown)`, `(bh1750?)`, `(kernel driver)`, `(pca9685 all-call)`).
    pub chip: String,
    /// Whether the chip was recognised (`kind` is set: the name can be given to `udrv
    /// read`).
    pub known: bool,
    /// What showed it, in words.
    pub evidence: String,
}

impl From<&Finding> for Found {
    fn from(f: &Finding) -> Found {
        Found {
            address: f.address,
            kind: f.kind(),
            chip: f.to_string(),
            known: f.kind().is_some(),
            evidence: f.evidence_text().to_string(),
        }
    }
}

/// What answers at `address` (which answers its address), from reads only.
pub fn identify<I: I2c>(i2c: &mut I, address: u8) -> Found {
    Found::from(&identify_finding(i2c, address))
}

/// Probes `addresses` on a bus, in order: what answers at each, the addresses `busy`
/// names a kernel driver for skipped (listed, not probed), a PCA9685's call addresses
/// named as that chip.
pub fn probe_bus<I: I2c>(
    i2c: &mut I,
    addresses: impl IntoIterator<Item = u8>,
    busy: impl Fn(u8) -> Option<String>,
) -> Vec<Found> {
    let mut out: Vec<(Found, Option<Finding>)> = Vec::new();
    for a in addresses {
        if let Some(driver) = busy(a) {
            let f = Found {
                address: a,
                kind: None,
                chip: "(kernel driver)".into(),
                known: false,
                evidence: format!("UU: held by the kernel driver `{driver}`; not probed"),
            };
            out.push((f, None));
            continue;
        }
        if answers(i2c, a) {
            let finding = identify_finding(i2c, a);
            out.push((Found::from(&finding), Some(finding)));
        }
    }
    name_pca9685_calls(&mut out);
    out.into_iter().map(|(f, _)| f).collect()
}

/// Relabels the addresses that are a PCA9685's all-call or sub-call address (from the
/// chip's own registers): the chip answering there again, not another chip.
fn name_pca9685_calls(found: &mut [(Found, Option<Finding>)]) {
    let is_pca9685 = |f: &Found| f.kind == Some(ChipKind::Pca9685);
    // (call address, the chip that answers it, the call), from every PCA9685 found: a
    // chip read at one of its call addresses lists that address as its own, not another's.
    let calls: Vec<(u8, u8, Call)> = found
        .iter()
        .filter(|(f, _)| is_pca9685(f))
        .filter_map(|(f, finding)| finding.as_ref().map(|x| (f.address, x)))
        .flat_map(|(at, x)| {
            x.calls()
                .filter(move |c| c.address() != at)
                .map(move |c| (c.address(), at, *c))
        })
        .collect();
    let aliases: Vec<u8> = calls.iter().map(|c| c.0).collect();
    for (f, finding) in found.iter_mut() {
        // Only a PCA9685 or a guess is relabelled: a chip identified otherwise stays.
        let relabel = is_pca9685(f) || !f.known;
        if !relabel || !aliases.contains(&f.address) {
            continue;
        }
        // The chips that answer here, the other call addresses left out.
        let mut owners: Vec<&(u8, u8, Call)> = calls
            .iter()
            .filter(|c| c.0 == f.address && !aliases.contains(&c.1))
            .collect();
        if owners.is_empty() {
            owners = calls.iter().filter(|c| c.0 == f.address).collect();
        }
        let kind = if owners[0].2.is_all_call() {
            "all-call"
        } else {
            "sub-call"
        };
        let who: Vec<String> = owners
            .iter()
            .map(|(_, at, call)| format!("the PCA9685 at {at:#04x}: its {call}"))
            .collect();
        *f = Found {
            address: f.address,
            kind: None,
            chip: format!("(pca9685 {kind})"),
            known: false,
            evidence: format!(
                "answered by {}; not a chip of its own (read the chip at its own address)",
                who.join("; ")
            ),
        };
        *finding = None;
    }
}

/// What answers at `address`, as `udrv probe` identifies it (register reads only): how a
/// read that finds another chip, or no switch, says what is there (a
/// [`WhatAnswers`](super::WhatAnswers); [`ChipReader`](super::ChipReader) uses it).
pub fn what_answers(bus: &mut AnyI2c<'_>, address: u8) -> String {
    let f = identify(&mut &mut *bus, address);
    if f.known {
        format!(
            "`udrv probe` identifies what answers at {address:#04x} as {} ({})",
            f.chip, f.evidence
        )
    } else if f.chip != "(unknown)" {
        format!(
            "`udrv probe` guesses that what answers at {address:#04x} is {} (`udrv probe \
             BUS` says why)",
            f.chip
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim_end_matches('?')
        )
    } else {
        format!("`udrv probe` does not recognise what answers at {address:#04x}")
    }
}
