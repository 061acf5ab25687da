//! `udrv probe BUS`: which known chips are on an I2C bus, judged from registers that
//! identify them, without writing data to any chip. What is sent to each address is
//! [`HELP`], which `udrv probe --help` prints.

use clap::Args;
use embedded_hal::i2c::I2c;
use serde_json::json;

use udrv_boards::catalog::ChipKind;

use crate::i2c::syntax::is_reserved_address;
use crate::open::{is_virtual, linux_i2c as open_linux_i2c, named_board, virtual_board};
use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv probe --help`: what the probe sends, per chip.
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
  INA219 (0x40-0x4f): pointer 0x00, 2 bytes (configuration, 0x399f at power-on); last,
      if nothing matched: pointers 0x00, 0x02 and 0x05, 2 bytes each.
  ADS1115/ADS1015 (0x48-0x4b): pointers 0x02 and 0x03, 2 bytes each (thresholds 0x8000
      and 0x7fff at power-on).
  LM75/TMP102 (0x48-0x4f): pointer 0x01, 2 bytes, pointers 0x02 and 0x03, 2 bytes each
      (configuration, thresholds).
  PCA9685 (0x40-0x7f except 0x5c): pointers 0x00, 0x01, 0xfe and 0xfa, 1 byte each
      (MODE1, MODE2, PRE_SCALE, ALL_LED_ON_L); for each PCA9685 found, pointers 0x02-0x05,
      1 byte each (SUBADR1-3, ALLCALLADR): the all-call and sub-call addresses MODE1
      enables are listed as that chip's, not as more PCA9685s.
  SHT3x (0x44-0x45): nothing more (it answers only commands): a candidate.
At one address the register reads go in this order, stopping at the first chip
recognised: DPS310, BME280, DS3231, INA219, ADS1115, LM75/TMP102, PCA9685, INA219
(configured).";

/// `udrv probe`
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// Probe every address 0x03-0x77, including the reserved ones below 0x08.
    #[arg(short = 'a', long = "all")]
    all: bool,
    /// The I2C bus: `i2c-1`, `1`, `/dev/i2c-1`, an adapter name, or a role such as
    /// `i2c_arm` with `--board`.
    bus: String,
}

/// What was found at one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The address.
    pub address: u8,
    /// The chip's `udrv read` name when recognised (`bme280`), else a description in
    /// parentheses (`(unknown)`).
    pub chip: String,
    /// Whether the chip was recognised (the name can be given to `udrv read`).
    pub known: bool,
    /// What showed it.
    pub evidence: String,
    /// For a PCA9685: the other addresses it answers (all-call, enabled sub-calls), each
    /// with the registers that say so.
    pub calls: Vec<(u8, String)>,
}

fn found(address: u8, chip: &str, known: bool, evidence: impl Into<String>) -> Found {
    Found {
        address,
        chip: chip.to_string(),
        known,
        evidence: evidence.into(),
        calls: Vec::new(),
    }
}

/// The addresses a PCA9685 at `a` answers besides its own, from MODE1 (bit 0 ALLCALL,
/// bits 3-1 SUB1-SUB3) and ALLCALLADR / SUBADR1-3 (0x05, 0x02-0x04, the 7-bit address in
/// bits 7-1).
fn pca9685_calls<I: I2c>(i2c: &mut I, a: u8, mode1: u8) -> Vec<(u8, String)> {
    let mut calls = Vec::new();
    for (bit, r, what) in [
        (0, 0x05, "all-call address (ALLCALLADR 0x05"),
        (3, 0x02, "sub-call address 1 (SUBADR1 0x02"),
        (2, 0x03, "sub-call address 2 (SUBADR2 0x03"),
        (1, 0x04, "sub-call address 3 (SUBADR3 0x04"),
    ] {
        if mode1 & (1 << bit) == 0 {
            continue;
        }
        if let Some(v) = reg(i2c, a, r, 1) {
            calls.push((
                v[0] >> 1,
                format!("{what} = {:#04x}, MODE1 = {mode1:#04x})", v[0]),
            ));
        }
    }
    calls
}

/// Reads `n` bytes from register `reg` (pointer write, repeated start, read).
fn reg<I: I2c>(i2c: &mut I, a: u8, reg: u8, n: usize) -> Option<Vec<u8>> {
    let mut b = vec![0; n];
    i2c.write_read(a, &[reg], &mut b).ok().map(|_| b)
}

fn word<I: I2c>(i2c: &mut I, a: u8, r: u8) -> Option<u16> {
    reg(i2c, a, r, 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

fn is_bcd(b: u8, max: u8) -> bool {
    b & 0x0f <= 9 && (b >> 4) * 10 + (b & 0x0f) <= max
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an address is present (step 1).
fn present<I: I2c>(i2c: &mut I, a: u8) -> bool {
    if (0x30..=0x37).contains(&a) || (0x50..=0x5f).contains(&a) {
        i2c.read(a, &mut [0]).is_ok()
    } else {
        i2c.write(a, &[]).is_ok()
    }
}

/// Identifies the chip at a present address (steps 2-4).
pub fn identify<I: I2c>(i2c: &mut I, a: u8) -> Found {
    if (0x20..=0x27).contains(&a) || (0x38..=0x3f).contains(&a) {
        let mut b = [0u8; 22];
        if i2c.read(a, &mut b).is_err() {
            return found(a, "(unknown)", false, "answers its address, not a read");
        }
        let same = b.iter().all(|x| *x == b[0]);
        // An MCP23017 (IOCON.BANK = 0, pointer at 0 as after power-on or a read of
        // register 0) returns its 22 registers in order; IOCON sits at both 0x0a and 0x0b.
        if !same && b[10] == b[11] && b[10] & 0x81 == 0 && (0x20..=0x27).contains(&a) {
            return found(
                a,
                ChipKind::Mcp23017.name(),
                true,
                format!(
                    "plain 22-byte read gave IODIRA/B = {}, IOCON = {:#04x} at both 0x0a and \
                     0x0b (only plain reads are sent at 0x20-0x27: a PCF8574 takes any byte \
                     written as output data)",
                    hex(&b[..2]),
                    b[10]
                ),
            );
        }
        let what = if same {
            "the same byte again and again: a PCF8574-style port or a PCA9554/PCA9535 (no \
             auto-increment)"
        } else {
            "not an MCP23017 register file starting at 0"
        };
        if a == 0x23 && !same {
            return found(
                a,
                "(bh1750?)",
                false,
                format!(
                    "plain read: {} ...: {what}; a BH1750 (ADDR low) returns its 16-bit result \
                     to a plain read and answers only commands (read it with `udrv read \
                     bh1750@BUS:0x23`; chips udrv drives that can sit here: {}; only plain \
                     reads are sent here, since a PCF8574 takes any byte written as output \
                     data and a BH1750 as a command)",
                    hex(&b[..4]),
                    candidates(a)
                ),
            );
        }
        let bh1750 = if a == 0x23 {
            " and a BH1750 as a command"
        } else {
            ""
        };
        return found(
            a,
            "(I/O expander?)",
            false,
            format!(
                "plain read: {} ...: {what} (only plain reads are sent here, since a PCF8574 \
                 takes any byte written as output data{bh1750})",
                hex(&b[..4])
            ),
        );
    }
    if a == 0x5c {
        let mut b = [0u8; 2];
        let plain = i2c.read(a, &mut b).is_ok();
        return found(
            a,
            if plain { "(bh1750?)" } else { "(unknown)" },
            false,
            format!(
                "plain read: {}; a BH1750 (ADDR high) answers only commands and returns its \
                 16-bit result to a plain read (read it with `udrv read bh1750@BUS:0x5c`; \
                 chips udrv drives that can sit here: {}; only a plain read is sent at 0x5c, \
                 since a BH1750 takes any byte written as a command)",
                if plain { hex(&b) } else { "refused".into() },
                candidates(a)
            ),
        );
    }
    if (0x50..=0x57).contains(&a) {
        return found(
            a,
            ChipKind::At24c32.name(),
            true,
            "answers a one-byte read at 0x50-0x57, the 24Cxx EEPROM range (size unknown: \
             at24c32 and larger take 2 address bytes, at24c02 and smaller take 1)",
        );
    }
    if (0x70..=0x77).contains(&a) {
        let mut b = [0u8; 4];
        let plain = i2c.read(a, &mut b).is_ok();
        let repeated = plain && b.iter().all(|x| *x == b[0]);
        if a <= 0x75 || (repeated && b[0] != 0) {
            let evidence =
                if repeated {
                    let on: Vec<String> = (0..8)
                        .filter(|bit| b[0] & (1 << bit) != 0)
                        .map(|bit| bit.to_string())
                        .collect();
                    format!(
                    "plain read repeats {:#04x}: a PCA954x switch's control register (channels \
                     enabled: {}) or another chip; only plain reads are sent at 0x70-0x77, \
                     since a switch takes any written byte as its channel selection",
                    b[0],
                    if on.is_empty() { "none".into() } else { on.join(", ") }
                )
                } else {
                    format!(
                        "plain read: {} (only plain reads are sent at 0x70-0x75, since a PCA954x \
                     switch takes any written byte as its channel selection)",
                        if plain { hex(&b) } else { "refused".into() }
                    )
                };
            if a == 0x70 && !plain {
                return found(
                    a,
                    "(shtc3?)",
                    false,
                    format!(
                        "answers its address but refuses a plain read: not a PCA954x switch \
                         (it always returns its control register); an SHTC3 does that, \
                         answering only commands (read it with `udrv read shtc3@BUS`; chips \
                         udrv drives that can sit here: {}; only plain reads are sent at \
                         0x70-0x75, since a switch takes any written byte as its channel \
                         selection)",
                        candidates(a)
                    ),
                );
            }
            let guess = if repeated { "(pca954x?)" } else { "(unknown)" };
            return found(a, guess, false, evidence);
        }
    }
    if (0x76..=0x77).contains(&a) {
        if reg(i2c, a, 0x0d, 1).map(|b| b[0]) == Some(0x10) {
            return found(
                a,
                ChipKind::Dps310.name(),
                true,
                "product ID register 0x0d = 0x10",
            );
        }
        match reg(i2c, a, 0xd0, 1).map(|b| b[0]) {
            Some(0x60) => {
                return found(
                    a,
                    ChipKind::Bme280.name(),
                    true,
                    "chip ID register 0xd0 = 0x60",
                )
            }
            Some(0x58) => {
                return found(
                    a,
                    ChipKind::Bme280.name(),
                    true,
                    "chip ID register 0xd0 = 0x58: a BMP280 (read it as bme280: no humidity)",
                )
            }
            Some(0x61) => {
                return found(a, "(bme680)", false, "chip ID register 0xd0 = 0x61: BME680")
            }
            _ => {}
        }
    }
    if a == 0x68 {
        if let Some(r) = reg(i2c, a, 0x00, 19) {
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
            if time_ok && r[0x0f] & 0x70 == 0 && r[0x12] & 0x3f == 0 {
                return found(
                    a,
                    ChipKind::Ds3231.name(),
                    true,
                    format!(
                        "registers 0x00-0x06 hold a valid BCD date, status 0x0f = {:#04x} and \
                         temperature LSB 0x12 = {:#04x} have their always-zero bits clear",
                        r[0x0f], r[0x12]
                    ),
                );
            }
        }
    }
    if (0x40..=0x4f).contains(&a) && word(i2c, a, 0x00) == Some(0x399f) {
        return found(
            a,
            ChipKind::Ina219.name(),
            true,
            "configuration register 0x00 = 0x399f, the INA219's power-on value",
        );
    }
    if (0x48..=0x4b).contains(&a) {
        if let (Some(0x8000), Some(0x7fff)) = (word(i2c, a, 0x02), word(i2c, a, 0x03)) {
            return found(
                a,
                ChipKind::Ads1115.name(),
                true,
                "Lo_thresh 0x02 = 0x8000, Hi_thresh 0x03 = 0x7fff (power-on values of an \
                 ADS1115, or an ADS1015: read it as ads1015 then)",
            );
        }
    }
    if (0x48..=0x4f).contains(&a) {
        let conf = reg(i2c, a, 0x01, 2);
        let (lo, hi) = (word(i2c, a, 0x02), word(i2c, a, 0x03));
        if let (Some(conf), Some(lo), Some(hi)) = (conf, lo, hi) {
            let nine_bit = lo & 0x7f == 0 && hi & 0x7f == 0;
            let ordered = (lo as i16) < (hi as i16);
            if nine_bit && ordered {
                let (name, why) = if conf[0] & 0x60 == 0x60 && lo & 0x0f == 0 {
                    (
                        ChipKind::Tmp102.name(),
                        "configuration bits R1 R0 = 11 (read-only in a TMP102)",
                    )
                } else if conf[0] & 0xe0 == 0 {
                    (
                        ChipKind::Lm75.name(),
                        "configuration bits 7-5 = 0 (reserved in an LM75)",
                    )
                } else {
                    ("", "")
                };
                if !name.is_empty() {
                    return found(
                        a,
                        name,
                        true,
                        format!(
                            "thresholds 0x02 = {lo:#06x} ({} °C) < 0x03 = {hi:#06x} ({} °C) on \
                             a 0.5 °C grid; {why}",
                            (lo as i16) as f64 / 256.0,
                            (hi as i16) as f64 / 256.0
                        ),
                    );
                }
            }
        }
    }
    if (0x40..=0x7f).contains(&a) {
        let r = (
            reg(i2c, a, 0x00, 1),
            reg(i2c, a, 0x01, 1),
            reg(i2c, a, 0xfe, 1),
            reg(i2c, a, 0xfa, 1),
        );
        if let (Some(m1), Some(m2), Some(ps), Some(all)) = r {
            if m2[0] & 0xe0 == 0 && ps[0] >= 3 && all[0] == 0 && m1[0] & 0x0e != 0x0e {
                let hz = 25_000_000.0 / (4096.0 * (ps[0] as f64 + 1.0));
                let mut f = found(
                    a,
                    ChipKind::Pca9685.name(),
                    true,
                    format!(
                        "MODE1 = {:#04x}, MODE2 = {:#04x} (bits 7-5 reserved 0), PRE_SCALE = \
                         {:#04x} ({hz:.0} Hz), ALL_LED_ON_L reads 0",
                        m1[0], m2[0], ps[0]
                    ),
                );
                f.calls = pca9685_calls(i2c, a, m1[0]);
                return f;
            }
        }
    }
    if (0x40..=0x4f).contains(&a) {
        let r = (word(i2c, a, 0x00), word(i2c, a, 0x02), word(i2c, a, 0x05));
        if let (Some(cfg), Some(bus), Some(cal)) = r {
            if cfg != 0 && cfg & 0x4000 == 0 && bus & 0x0004 == 0 && cal & 0x0001 == 0 {
                return found(
                    a,
                    ChipKind::Ina219.name(),
                    true,
                    format!(
                        "configuration 0x00 = {cfg:#06x} (not the power-on 0x399f: less \
                         certain), with the bits an INA219 always reads as 0 clear (0x00 bit \
                         14, bus voltage 0x02 bit 2, calibration 0x05 bit 0)"
                    ),
                );
            }
        }
    }
    if (0x44..=0x45).contains(&a) {
        return found(
            a,
            "(sht3x?)",
            false,
            "answers its address but no register read: an SHT3x answers only commands (read \
             it with `udrv read sht3x@BUS:ADDR`)",
        );
    }
    let candidates = candidates(a);
    let evidence = if candidates.is_empty() {
        "answers its address".to_string()
    } else {
        format!(
            "answers its address; none of the registers matched (chips udrv drives that can \
             sit here: {candidates})"
        )
    };
    found(a, "(unknown)", false, evidence)
}

/// The chips udrv drives that can answer at `a` (`udrv_drivers::probe`), as a list.
fn candidates(a: u8) -> String {
    udrv_drivers::probe::Chip::candidates(a)
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Probes `addresses` on a bus; `busy` names the kernel driver holding an address.
pub fn probe<I: I2c>(
    i2c: &mut I,
    addresses: impl Iterator<Item = u8>,
    busy: impl Fn(u8) -> Option<String>,
) -> Vec<Found> {
    let mut out = Vec::new();
    for a in addresses {
        if let Some(driver) = busy(a) {
            out.push(found(
                a,
                "(kernel driver)",
                false,
                format!("UU: held by the kernel driver `{driver}`; not probed"),
            ));
            continue;
        }
        if present(i2c, a) {
            out.push(identify(i2c, a));
        }
    }
    name_pca9685_calls(&mut out);
    out
}

/// Relabels the addresses that are a PCA9685's all-call or sub-call address (from the
/// chip's own registers): the chip answering there again, not another chip.
fn name_pca9685_calls(found: &mut [Found]) {
    // (call address, the chip that answers it, why), from every PCA9685 found: a chip
    // read at one of its call addresses lists that address as its own, not another's.
    let calls: Vec<(u8, u8, String)> = found
        .iter()
        .filter(|f| f.chip == ChipKind::Pca9685.name())
        .flat_map(|f| {
            f.calls
                .iter()
                .filter(|(c, _)| *c != f.address)
                .map(|(c, why)| (*c, f.address, why.clone()))
        })
        .collect();
    let aliases: Vec<u8> = calls.iter().map(|c| c.0).collect();
    for f in found.iter_mut() {
        // Only a PCA9685 or a guess is relabelled: a chip identified otherwise stays.
        let relabel = f.chip == ChipKind::Pca9685.name() || !f.known;
        if !relabel || !aliases.contains(&f.address) {
            continue;
        }
        // The chips that answer here, the other call addresses left out.
        let mut owners: Vec<&(u8, u8, String)> = calls
            .iter()
            .filter(|c| c.0 == f.address && !aliases.contains(&c.1))
            .collect();
        if owners.is_empty() {
            owners = calls.iter().filter(|c| c.0 == f.address).collect();
        }
        let kind = if owners[0].2.starts_with("all-call") {
            "all-call"
        } else {
            "sub-call"
        };
        let who: Vec<String> = owners
            .iter()
            .map(|(_, at, why)| format!("the PCA9685 at {at:#04x}: its {why}"))
            .collect();
        *f = Found {
            address: f.address,
            chip: format!("(pca9685 {kind})"),
            known: false,
            evidence: format!(
                "answered by {}; not a chip of its own (read the chip at its own address)",
                who.join("; ")
            ),
            calls: Vec::new(),
        };
    }
}

/// Runs `udrv probe`.
pub fn run(a: &ProbeArgs, cli: &Cli) -> Outcome {
    let first = if a.all { 0x03 } else { 0x08 };
    let addresses = (first..=0x77u8).filter(|x| a.all || !is_reserved_address(*x as u16));
    let results = if is_virtual(cli) {
        let mut bus = virtual_board()?.i2c_bus(&a.bus).map_err(Failure::op)?;
        probe(&mut bus, addresses, |_| None)
    } else {
        let board = named_board(cli)?;
        let mut bus = open_linux_i2c(&a.bus, board.as_deref())?;
        let users: Vec<Option<String>> = (0..0x80u16)
            .map(|x| bus.address_user(x).ok().flatten())
            .collect();
        probe(&mut bus, addresses, |x| users[x as usize].clone())
    };
    if cli.json {
        let list: Vec<serde_json::Value> = results
            .iter()
            .map(|f| {
                json!({
                    "address": f.address,
                    "chip": f.known.then_some(&f.chip),
                    "guess": f.chip,
                    "evidence": f.evidence,
                })
            })
            .collect();
        json_line(&json!({"bus": a.bus, "found": list}));
    } else if results.is_empty() {
        outln!("no chips answered on {}", a.bus);
    } else {
        for f in &results {
            outln!("{:#04x}  {:<18} {}", f.address, f.chip, f.evidence);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use udrv_drivers::ina219::{self, Ina219};
    use udrv_drivers::lm75::model::{Lm75Model, Tmp102Model};
    use udrv_drivers::sim::SimI2cBus;

    fn all(bus: &mut SimI2cBus) -> Vec<Found> {
        probe(bus, 0x08..=0x77, |_| None)
    }

    #[test]
    fn tmp102_and_lm75_are_told_apart() {
        let mut bus = SimI2cBus::new();
        bus.attach(0x49, Tmp102Model::new());
        bus.attach(0x4c, Lm75Model::lm75());
        let f = all(&mut bus);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].address, f[0].chip.as_str()), (0x49, "tmp102"));
        assert!(f[0].evidence.contains("R1 R0 = 11"), "{:?}", f[0]);
        assert_eq!((f[1].address, f[1].chip.as_str()), (0x4c, "lm75"));
    }

    #[test]
    fn a_configured_ina219_is_still_recognised() {
        let mut bus = SimI2cBus::new();
        bus.attach(0x45, udrv_drivers::ina219::model::Ina219Model::new());
        let mut ina = Ina219::new(bus.clone(), 0x45);
        ina.set_config(ina219::Config {
            bus_range: ina219::BusRange::V16,
            ..Default::default()
        })
        .unwrap();
        let f = identify(&mut bus, 0x45);
        assert_eq!(f.chip, "ina219", "{f:?}");
        assert!(f.evidence.contains("less certain"), "{f:?}");
    }

    #[test]
    fn kernel_drivers_are_skipped_and_silence_is_nothing() {
        let mut bus = SimI2cBus::new();
        bus.attach(0x4c, Lm75Model::lm75());
        let f = probe(&mut bus, 0x08..=0x77, |a| {
            (a == 0x4c).then(|| "lm75".to_string())
        });
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.contains("`lm75`") && !f[0].known, "{f:?}");
        assert!(all(&mut SimI2cBus::new()).is_empty());
    }

    /// A chip that acknowledges everything and reads 0x00 (like the i2c-parport adapter with
    /// nothing on it) is not taken for any chip.
    struct Zeros;
    impl udrv_drivers::sim::I2cTarget for Zeros {
        fn write(&mut self, _: &[u8]) -> Result<(), udrv_drivers::sim::SimError> {
            Ok(())
        }
        fn read(&mut self, buf: &mut [u8]) -> Result<(), udrv_drivers::sim::SimError> {
            buf.fill(0);
            Ok(())
        }
    }

    #[test]
    fn command_chips_are_listed_and_sent_no_command() {
        use udrv_drivers::bh1750::model::Bh1750Model;
        use udrv_drivers::shtc3::model::Shtc3Model;
        let mut bus = SimI2cBus::new();
        let low = bus.attach(0x23, Bh1750Model::new());
        let high = bus.attach(0x5c, Bh1750Model::new());
        let sht = bus.attach(0x70, Shtc3Model::new());
        let f = all(&mut bus);
        let guesses: Vec<(u8, &str)> = f.iter().map(|f| (f.address, f.chip.as_str())).collect();
        assert_eq!(
            guesses,
            [(0x23, "(bh1750?)"), (0x5c, "(bh1750?)"), (0x70, "(shtc3?)")]
        );
        assert!(f.iter().all(|f| !f.known), "{f:?}");
        assert!(f[0].evidence.contains("mcp23017, pca9554, bh1750"), "{f:?}");
        assert!(f[1].evidence.contains("pca9685, bh1750"), "{f:?}");
        assert!(f[2].evidence.contains("udrv read shtc3@BUS"), "{f:?}");
        // Any byte written to a BH1750 is a command (0x00 power down, 0x01 power on, 0x07
        // reset, 0x4x/0x6x MTreg), two to an SHTC3 too: none was sent.
        for m in [&low, &high] {
            let m = m.lock();
            assert!(m.is_powered_down(), "power-on state kept");
            assert_eq!((m.measurements(), m.mtreg()), (0, 69));
        }
        assert_eq!(sht.lock().measurements(), (0, 0));
        assert!(!sht.lock().is_asleep());
    }

    #[test]
    fn pca9685_call_addresses_are_named_as_the_chip() {
        use udrv_drivers::pca9685::model::Pca9685Model;
        let mut bus = SimI2cBus::new();
        let m = Pca9685Model::new(0x40).attach(&bus);
        // Power-on: all-call at 0x70 on; turn sub-call 1 (SUBADR1 0x71) on too.
        I2c::write(&mut bus, 0x40u8, &[0x00, 0x19]).unwrap();
        assert_eq!(m.lock().register(0x00), 0x19);
        let f = all(&mut bus);
        let at = |a: u8| f.iter().find(|f| f.address == a).unwrap();
        assert_eq!(f.len(), 3, "{f:?}");
        assert_eq!((at(0x40).chip.as_str(), at(0x40).known), ("pca9685", true));
        let all_call = at(0x70);
        assert_eq!(all_call.chip, "(pca9685 all-call)", "{all_call:?}");
        assert!(!all_call.known);
        assert!(
            all_call.evidence.contains("0x40")
                && all_call.evidence.contains("ALLCALLADR 0x05 = 0xe0"),
            "{all_call:?}"
        );
        let sub = at(0x71);
        assert_eq!(sub.chip, "(pca9685 sub-call)", "{sub:?}");
        assert!(sub.evidence.contains("SUBADR1 0x02 = 0xe2"), "{sub:?}");
    }

    #[test]
    fn all_zero_registers_match_nothing() {
        let mut bus = SimI2cBus::new();
        for a in [0x20, 0x40, 0x44, 0x48, 0x68, 0x76] {
            bus.attach(a, Zeros);
        }
        for f in all(&mut bus) {
            assert!(!f.known, "{f:?}");
        }
        let f = identify(&mut bus, 0x48);
        assert!(f.evidence.contains("lm75, tmp102"), "{f:?}");
    }
}
