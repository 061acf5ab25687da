//! `udrv read` of the command-driven chips (BH1750, SHTC3) and the MCP23S17 in the
//! real-kernel guest. The i2c-stub fixture cannot stand in for them: it emulates register
//! files (a pointer, then data), while a BH1750 takes one-byte opcodes and an SHTC3
//! 16-bit commands, each answered by a result read without a pointer. What the guest does
//! have is the parallel-port I2C adapter and SPI master with nothing on them (every I2C
//! address acknowledges and reads 0x00; MISO reads 0): enough to send each chip's
//! commands through the kernel (`I2C_RDWR`, `SPI_IOC_MESSAGE`) and to see the drivers'
//! checks take the zeros: a BH1750 count of 0 is 0 lx, an SHTC3 word 0000 fails its CRC
//! (CRC-8 of 00 00 is 0x81), an MCP23S17 reads all pins low and outputs.
#![cfg(udrv_guest)]

mod common;

use std::process::{Command, Output, Stdio};

use common::{stderr, stdout};

fn parport_bus() -> String {
    std::env::var("UDRV_I2C_PARPORT_BUS")
        .expect("UDRV_I2C_PARPORT_BUS is not set: the i2c-parport fixture failed")
}

fn udrv(args: &[&str]) -> Output {
    Command::new("udrv")
        .args(args)
        .env_remove("UDRV_BOARD")
        .stdin(Stdio::null())
        .output()
        .expect("run udrv")
}

#[test]
fn bh1750_commands_through_the_kernel() {
    let b = parport_bus();
    for spec in [format!("bh1750@i2c-{b}"), format!("bh1750@{b}:0x5c")] {
        let o = udrv(&["read", &spec]);
        assert!(o.status.success(), "{spec}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("  illuminance   0.0 lx\n"), "{spec}: {out}");
    }
}

#[test]
fn shtc3_zeros_fail_the_crc_in_one_line() {
    let o = udrv(&["read", &format!("shtc3@i2c-{}", parport_bus())]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("shtc3@i2c-")
            && e.contains(":0x70: ")
            && e.contains("CRC mismatch: check the wiring"),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn mcp23s17_on_spidev() {
    let dev = std::env::var("UDRV_SPIDEV")
        .expect("UDRV_SPIDEV is not set: the spidev fixture failed (see the console)");
    // `udrv read` sets mode 0 and its clock; the fixture is shared: put the node back.
    let node = udrv_core::spi::SpidevDevice::open(&dev).unwrap();
    let saved = node.config().unwrap();
    let o = udrv(&["read", &format!("mcp23s17@{dev}")]);
    node.configure(&saved).unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let short = dev.trim_start_matches("/dev/");
    assert_eq!(
        stdout(&o),
        format!(
            "mcp23s17@{short}  gpioa         0b00000000 (inputs 0b00000000)\n\
             mcp23s17@{short}  gpiob         0b00000000 (inputs 0b00000000)\n"
        )
    );
}

#[test]
fn probe_sends_a_bh1750_address_no_command() {
    let o = udrv(&["probe", &format!("i2c-{}", parport_bus())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("0x5c "))
        .unwrap_or_else(|| panic!("0x5c missing:\n{out}"));
    assert!(
        line.contains("(bh1750?)") && line.contains("plain read: 00 00"),
        "{line}"
    );
    assert!(line.contains("only a plain read is sent at 0x5c"), "{line}");
}
