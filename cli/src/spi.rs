//! `udrv spi transfer`: one full-duplex transfer on a spidev device, hex in, hex out.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use udrv_core::spi::{Config, Mode, SpidevDevice, Transfer};

use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

/// `udrv spi ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Send bytes and print the bytes received in the same clocks (full duplex).
    Transfer(TransferArgs),
}

/// `udrv spi transfer`
#[derive(Args, Debug)]
pub struct TransferArgs {
    /// The spidev device: /dev/spidevB.C, spidevB.C, B.C, or the board's name for it
    /// (`spi0.0`, as `udrv board info` lists them).
    device: String,
    /// Data to send, in hex: `de ad be ef`, `deadbeef`, `0xde,0xad`.
    data: Vec<String>,
    /// SPI mode 0-3 (clock polarity and phase).
    #[arg(short = 'm', long = "mode", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
    mode: u8,
    /// Clock speed in Hz (the device's current speed when absent).
    #[arg(short = 's', long = "speed")]
    speed: Option<u32>,
    /// Bits per word (8, 16, 32 as the controller allows); data must be whole words.
    #[arg(short = 'b', long = "bits", default_value_t = 8)]
    bits: u8,
    /// Least significant bit first.
    #[arg(long = "lsb-first")]
    lsb_first: bool,
    /// Chip select active high.
    #[arg(long = "cs-high")]
    cs_high: bool,
    /// Three-wire (shared data line).
    #[arg(long = "3wire")]
    three_wire: bool,
    /// No chip select.
    #[arg(long = "no-cs")]
    no_cs: bool,
    /// Read the bytes to send from FILE (`-` for standard input) instead of arguments.
    #[arg(short = 'i', long = "in", conflicts_with = "data")]
    input: Option<PathBuf>,
    /// Write the received bytes to FILE (raw) instead of printing hex.
    #[arg(short = 'o', long = "out")]
    output: Option<PathBuf>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short = 'y', long = "yes")]
    yes: bool,
}

/// Runs an `udrv spi` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    match cmd {
        Cmd::Transfer(a) => transfer(a, cli),
    }
}

/// Parses hex data arguments into bytes.
pub fn parse_hex(args: &[String]) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    for arg in args {
        for tok in arg.split([',', ':', ' ']).filter(|t| !t.is_empty()) {
            let t = tok
                .strip_prefix("0x")
                .or_else(|| tok.strip_prefix("0X"))
                .unwrap_or(tok);
            if t.is_empty() || t.len() % 2 == 1 && t.len() > 1 {
                return Err(Failure::usage(format!(
                    "`{tok}` is not hex bytes: give whole bytes, e.g. `0a` or `deadbeef`"
                )));
            }
            let t = if t.len() == 1 {
                format!("0{t}")
            } else {
                t.to_string()
            };
            for pair in t.as_bytes().chunks(2) {
                let s = std::str::from_utf8(pair).unwrap_or("");
                out.push(u8::from_str_radix(s, 16).map_err(|_| {
                    Failure::usage(format!("`{tok}` is not hex: `{s}` is not a byte"))
                })?);
            }
        }
    }
    Ok(out)
}

/// How an SPI device was named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpiName {
    /// A device node: `/dev/spidevB.C` (also from `spidevB.C` and `B.C`), or any path.
    Node(PathBuf),
    /// The board's name for bus B, chip select C (`spiB.C`, as `udrv board info` lists
    /// them): the board finds its node (whose numbers may differ on this kernel).
    Board(u32, u32),
}

/// `B.C` as two numbers.
fn bus_cs(s: &str) -> Option<(u32, u32)> {
    let (b, c) = s.split_once('.')?;
    Some((b.parse().ok()?, c.parse().ok()?))
}

/// Parses an SPI device name: `/dev/spidevB.C` (or any path), `spidevB.C`, `B.C`, `spiB.C`.
pub fn parse_name(spec: &str) -> Result<SpiName, Failure> {
    let s = spec.trim();
    if s.starts_with('/') {
        return Ok(SpiName::Node(PathBuf::from(s)));
    }
    if let Some((b, c)) = s.strip_prefix("spidev").and_then(bus_cs) {
        return Ok(SpiName::Node(PathBuf::from(format!("/dev/spidev{b}.{c}"))));
    }
    if let Some((b, c)) = bus_cs(s) {
        return Ok(SpiName::Node(PathBuf::from(format!("/dev/spidev{b}.{c}"))));
    }
    if let Some((b, c)) = s.strip_prefix("spi").and_then(bus_cs) {
        return Ok(SpiName::Board(b, c));
    }
    Err(Failure::usage(format!(
        "`{spec}` is not an SPI device: give /dev/spidevB.C, spidevB.C, B.C, or the board's          name for it such as spi0.0 (`udrv board info` lists them)"
    )))
}

/// The device node of an SPI device name; a board's name (`spi0.0`) is looked up on the
/// board `--board` names (or the detected one), which says how to enable a disabled bus.
pub fn device_path(spec: &str, cli: &Cli) -> Result<PathBuf, Failure> {
    match parse_name(spec)? {
        SpiName::Node(p) => Ok(p),
        SpiName::Board(b, c) => {
            let board = crate::open::board(cli).map_err(|f| {
                Failure::op(format!(
                    "`{spec}` is a board's name for an SPI device, and {}; give --board, or                      name the device node (/dev/spidev{b}.{c})",
                    f.message
                ))
            })?;
            board.spi(b, c).map(|r| r.path).map_err(Failure::op)
        }
    }
}

/// The virtual board's name for an SPI device name (`spidevB.C`), for messages.
fn virtual_name(spec: &str) -> String {
    match parse_name(spec) {
        Ok(SpiName::Board(b, c)) => format!("spidev{b}.{c}"),
        Ok(SpiName::Node(p)) => p
            .file_name()
            .map_or_else(|| spec.to_string(), |n| n.to_string_lossy().into_owned()),
        Err(_) => spec.to_string(),
    }
}

fn transfer(a: &TransferArgs, cli: &Cli) -> Outcome {
    let tx = match &a.input {
        Some(p) if p.as_os_str() == "-" => {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut v)
                .map_err(|e| Failure::op(format!("reading standard input: {e}")))?;
            v
        }
        Some(p) => std::fs::read(p)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))?,
        None => parse_hex(&a.data)?,
    };
    if tx.is_empty() {
        return Err(Failure::usage(
            "nothing to send: give hex bytes (e.g. `9f 00 00 00`) or --in FILE",
        ));
    }
    let word = match a.bits {
        1..=8 => 1,
        9..=16 => 2,
        17..=32 => 4,
        b => {
            return Err(Failure::usage(format!(
                "{b} bits per word is not possible: use 1-32 (8, 16 and 32 are common)"
            )))
        }
    };
    if tx.len() % word != 0 {
        return Err(Failure::usage(format!(
            "{} bytes are not whole {}-bit words: give a multiple of {word} bytes",
            tx.len(),
            a.bits
        )));
    }
    if crate::open::is_virtual(cli) {
        return transfer_virtual(a, cli, &tx);
    }
    let path = device_path(&a.device, cli)?;
    let mut config = Config::new()
        .mode(match a.mode {
            0 => Mode::Mode0,
            1 => Mode::Mode1,
            2 => Mode::Mode2,
            _ => Mode::Mode3,
        })
        .lsb_first(a.lsb_first)
        .cs_high(a.cs_high)
        .three_wire(a.three_wire)
        .no_cs(a.no_cs)
        .bits_per_word(a.bits);
    if let Some(hz) = a.speed {
        config = config.max_speed_hz(hz);
    }
    // Open first (a missing device is reported before asking anything).
    let dev = SpidevDevice::open(&path).map_err(Failure::op)?;
    if a.input.as_ref().is_some_and(|p| p.as_os_str() == "-") && !a.yes {
        return Err(Failure::usage(
            "data comes from standard input, so nobody can confirm: add -y",
        ));
    }
    confirm(
        a.yes,
        &format!("clock {} bytes out on {}", tx.len(), path.display()),
    )?;
    let in_force = dev.configure(&config).map_err(Failure::op)?;
    let mut rx = vec![0u8; tx.len()];
    {
        let mut t = [Transfer::duplex(&tx[..], &mut rx[..]).with_bits_per_word(a.bits)];
        dev.message(&mut t).map_err(Failure::op)?;
    }
    let json = json!({
        "device": path, "mode": a.mode, "bits_per_word": in_force.bits_per_word,
        "speed_hz": in_force.max_speed_hz, "tx": tx, "rx": rx,
    });
    report(a, cli, &rx, json)
}

/// Prints (or writes to `--out`) what came back.
fn report(a: &TransferArgs, cli: &Cli, rx: &[u8], json: serde_json::Value) -> Outcome {
    if let Some(p) = &a.output {
        std::fs::write(p, rx)
            .map_err(|e| Failure::op(format!("cannot write {}: {e}", p.display())))?;
    }
    if cli.json {
        json_line(&json);
    } else if a.output.is_none() {
        for chunk in rx.chunks(16) {
            let line: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            outln!("{}", line.join(" "));
        }
    }
    Ok(())
}

/// The transfer on one of the virtual board's SPI devices (simulated chips: mode 0, 8-bit
/// words), through `UDRV_VIRTUAL_FAULTS` when set.
fn transfer_virtual(a: &TransferArgs, cli: &Cli, tx: &[u8]) -> Outcome {
    use embedded_hal::spi::SpiDevice;
    use udrv_drivers::sim::fault::FaultySpi;
    if a.mode != 0 || a.bits != 8 || a.lsb_first || a.cs_high || a.three_wire || a.no_cs {
        return Err(Failure::usage(
            "the virtual board's SPI chips take mode 0, 8-bit words, MSB first, chip select \
             active low: drop the other settings",
        ));
    }
    parse_name(&a.device)?;
    let name = virtual_name(&a.device);
    let settings = crate::open::virtual_settings()?;
    let board = settings.board();
    let mut dev = board.spi_device_by_name(&a.device).map_err(Failure::op)?;
    confirm(
        a.yes,
        &format!("clock {} bytes out on the virtual board's {name}", tx.len()),
    )?;
    let mut rx = vec![0u8; tx.len()];
    let r = match settings.faults() {
        Some(f) => FaultySpi::new(dev, f)
            .transfer(&mut rx, tx)
            .map_err(|e| e.to_string()),
        None => dev.transfer(&mut rx, tx).map_err(|e| e.to_string()),
    };
    r.map_err(|e| Failure::op(format!("virtual {name}: {e}")))?;
    let json = json!({
        "device": format!("virtual:{name}"), "mode": 0, "bits_per_word": 8,
        "speed_hz": serde_json::Value::Null, "tx": tx, "rx": rx,
    });
    report(a, cli, &rx, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn hex_in_several_spellings() {
        assert_eq!(parse_hex(&s(&["de", "ad"])).unwrap(), vec![0xde, 0xad]);
        assert_eq!(
            parse_hex(&s(&["deadbeef"])).unwrap(),
            vec![0xde, 0xad, 0xbe, 0xef]
        );
        assert_eq!(parse_hex(&s(&["0x9f,0x0"])).unwrap(), vec![0x9f, 0x00]);
        assert_eq!(parse_hex(&s(&["a"])).unwrap(), vec![0x0a]);
        assert!(parse_hex(&s(&["abc"]))
            .unwrap_err()
            .message
            .contains("whole bytes"));
        assert!(parse_hex(&s(&["zz"]))
            .unwrap_err()
            .message
            .contains("not hex"));
    }

    #[test]
    fn device_spellings() {
        let node = |p: &str| Ok(SpiName::Node(PathBuf::from(p)));
        let parse = |s: &str| parse_name(s).map_err(|f| f.message);
        assert_eq!(parse("0.1"), node("/dev/spidev0.1"));
        assert_eq!(parse("spidev1.0"), node("/dev/spidev1.0"));
        assert_eq!(parse("/dev/spidev0.0"), node("/dev/spidev0.0"));
        assert_eq!(parse("spi0.1"), Ok(SpiName::Board(0, 1)));
        for bad in ["spidevspi0.0", "spi0", "i2c-1", "0.x", ""] {
            assert_eq!(parse_name(bad).unwrap_err().code, 2, "{bad}");
        }
        assert_eq!(virtual_name("spi1.1"), "spidev1.1");
        assert_eq!(virtual_name("/dev/spidev0.1"), "spidev0.1");
    }
}
