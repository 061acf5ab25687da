//! `udrv read` and `udrv probe` in the real-kernel guest, on the i2c-stub fixture (an
//! SMBus-only adapter with register-file chips at 0x48, 0x50, 0x52; 0x53 held by the
//! `dummy` driver). Each test first writes, with busybox `i2cset`, the registers the chip
//! would hold, then checks what `udrv read` prints through the chip's driver, udrv-core's
//! I2C bus and the kernel. Registers used: 0x00-0x05 of 0x48 (LM75, TMP102, INA219,
//! ADS1115 in turn), 0x00-0x0f of 0x50 (AT24C02), 0x00, 0x01, 0xfa and 0xfe of 0x52
//! (PCA9685); other guest tests use 0x10-0x9f, or write what they read first.
//! (BME280 at 0x76 and DS3231 at 0x68 are register files too, but the fixture has no chip
//! at those addresses.)
#![cfg(udrv_guest)]

mod common;

use std::process::{Command, Output, Stdio};

use common::{stderr, stdout, value_text};

fn bus() -> String {
    std::env::var("UDRV_I2C_STUB_BUS")
        .expect("UDRV_I2C_STUB_BUS is not set: the i2c-stub fixture failed (see the console)")
}

/// `common::run`, with `UDRV_BOARD` removed from the environment.
fn run(prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .args(args)
        .env_remove("UDRV_BOARD")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}"))
}

/// `i2cset -y BUS ADDR REG VALUE [w]`: a byte, or an SMBus word (low byte first on the
/// wire, so a big-endian chip register `0xMMLL` is the word `0xLLMM`).
fn set(addr: &str, reg: u8, value: u16, word: bool) {
    let (bus, reg, value) = (bus(), format!("{reg:#04x}"), format!("{value:#x}"));
    let mut args = vec!["i2cset", "-y", &bus, addr, &reg, &value];
    if word {
        args.push("w");
    }
    let o = run("busybox", &args);
    assert!(o.status.success(), "i2cset {args:?}: {}", stderr(&o));
}

/// A big-endian 16-bit chip register, as the stub must hold it.
fn set_be(addr: &str, reg: u8, value: u16) {
    set(addr, reg, value.swap_bytes(), true);
}

fn read(spec: &str) -> String {
    let o = run("udrv", &["read", spec]);
    assert!(o.status.success(), "udrv read {spec}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn lm75_temperature() {
    let b = bus();
    // -25.5 °C: E680h (LM75B datasheet table 7: 9-bit two's complement, left-justified).
    set_be("0x48", 0x00, 0xe680);
    let out = read(&format!("lm75@i2c-{b}:0x48"));
    assert_eq!(out, format!("lm75@i2c-{b}:0x48  temperature   -25.5 °C\n"));
    set_be("0x48", 0x00, 0x1900);
    let o = run("udrv", &["--json", "read", &format!("lm75@{b}")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["readings"]["temperature"]["value"], 25.0);
    assert_eq!(v["address"], 0x48);
}

#[test]
fn tmp102_temperature() {
    let b = bus();
    // TMP102 datasheet table 8-2: 0.0625 °C = 0x0010 (12-bit, left-justified by 4); the
    // driver gives whole milli-degrees, rounded half away from zero.
    set_be("0x48", 0x00, 0x0010);
    assert_eq!(
        value_text(&read(&format!("tmp102@/dev/i2c-{b}:0x48")), "temperature"),
        "0.063 °C"
    );
    // -0.25 °C = FFC0h.
    set_be("0x48", 0x00, 0xffc0);
    assert_eq!(
        value_text(&read(&format!("tmp102@{b}:0x48")), "temperature"),
        "-0.250 °C"
    );
}

#[test]
fn ina219_voltages_and_current() {
    let b = bus();
    // Shunt: 32.00 mV = 3200 × 10 µV; bus: 12.000 V = 3000 × 4 mV in bits 15-3.
    set_be("0x48", 0x01, 3200);
    set_be("0x48", 0x02, 3000 << 3);
    let out = read(&format!("ina219@i2c-{b}:0x48"));
    assert_eq!(value_text(&out, "bus_voltage"), "12.000 V");
    assert_eq!(value_text(&out, "shunt_voltage"), "32.00 mV");
    assert_eq!(value_text(&out, "current"), "0.3200 A", "0.1 ohm shunt");
    assert_eq!(value_text(&out, "power"), "3.840 W");
}

#[test]
fn ads1115_conversion() {
    let b = bus();
    // The register file keeps the OS bit the driver writes (1: not converting), so the
    // conversion register is read at once: 4000h at ±4.096 V is +2.048 V.
    set_be("0x48", 0x00, 0x4000);
    let out = read(&format!("ads1115@i2c-{b}:0x48"));
    for ch in 0..4 {
        assert_eq!(value_text(&out, &format!("ain{ch}")), "2.0480 V", "{out}");
    }
    // What the driver left in the config register: single-shot on AIN3, PGA ±4.096 V.
    let o = run("busybox", &["i2cget", "-y", &b, "0x48", "0x01", "w"]);
    let word = u16::from_str_radix(stdout(&o).trim().trim_start_matches("0x"), 16).unwrap();
    let config = word.swap_bytes();
    assert_eq!(config >> 12 & 0x7, 0b111, "MUX = AIN3/GND: {config:#06x}");
    assert_eq!(config >> 9 & 0x7, 0b001, "PGA = ±4.096 V: {config:#06x}");
    assert_ne!(config & 0x0100, 0, "single-shot mode");
}

#[test]
fn at24c02_first_bytes() {
    let b = bus();
    for (i, c) in b"udrv on i2c-stub".iter().enumerate() {
        set("0x50", i as u8, *c as u16, false);
    }
    let out = read(&format!("at24c02@i2c-{b}:0x50"));
    assert_eq!(
        value_text(&out, "0x0000"),
        "75 64 72 76 20 6f 6e 20 69 32 63 2d 73 74 75 62 |udrv on i2c-stub|"
    );
}

#[test]
fn pca9685_frequency() {
    let b = bus();
    set("0x52", 0x00, 0x01, false); // MODE1: awake, all-call
    set("0x52", 0x01, 0x04, false); // MODE2: totem pole
    set("0x52", 0xfe, 0x79, false); // PRE_SCALE 121: 25 MHz / (4096 × 122) = 50.0 Hz
    set("0x52", 0xfa, 0x00, false); // ALL_LED_ON_L reads 0
    let out = read(&format!("pca9685@i2c-{b}:0x52"));
    assert_eq!(value_text(&out, "frequency"), "50.0 Hz");
    assert_eq!(value_text(&out, "state"), "running");
}

#[test]
fn probe_names_what_the_registers_say() {
    let b = bus();
    // An LM75 at power-on: T_HYST 75 °C, T_OS 80 °C, configuration 0.
    set_be("0x48", 0x00, 0x1900);
    set("0x48", 0x01, 0x00, false);
    set_be("0x48", 0x02, 0x4b00);
    set_be("0x48", 0x03, 0x5000);
    let o = run("udrv", &["probe", &b]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = |a: &str| {
        out.lines()
            .find(|l| l.starts_with(a))
            .unwrap_or_else(|| panic!("{a} missing:\n{out}"))
            .to_string()
    };
    assert!(line("0x48 ").contains(" lm75 "), "{out}");
    assert!(line("0x50 ").contains(" at24c32 "), "{out}");
    // 0x50-0x57 is the EEPROM range: a one-byte read is all probe sends there.
    assert!(line("0x52 ").contains(" at24c32 "), "{out}");
    assert!(
        line("0x53 ").contains("held by the kernel driver `dummy`"),
        "{out}"
    );
    // 0x20 is the register file guest_serve_chips takes for an MCP23017.
    assert_eq!(out.lines().count(), 5, "nothing else answers:\n{out}");
    // Probing wrote nothing: the registers are as the test left them.
    let o = run("busybox", &["i2cget", "-y", &b, "0x48", "0x02", "w"]);
    assert_eq!(stdout(&o).trim(), "0x004b");
    let o = run("busybox", &["i2cget", "-y", &b, "0x48", "0x03", "w"]);
    assert_eq!(stdout(&o).trim(), "0x0050");
}

#[test]
fn errors_name_the_chip_and_the_bus() {
    let b = bus();
    let spec = format!("lm75@i2c-{b}:0x49");
    let o = run("udrv", &["read", &spec]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.starts_with(&format!("udrv: {spec}: ")), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    // The kernel driver's address: refused by the bus, one line.
    let o = run("udrv", &["read", &format!("at24c02@i2c-{b}:0x53")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("0x53"), "{}", stderr(&o));
}

#[test]
fn spi_chips_on_spidev() {
    // The parallel-port SPI master: nothing drives MISO, so every chip reads zeros.
    let dev = std::env::var("UDRV_SPIDEV")
        .expect("UDRV_SPIDEV is not set: the spidev fixture failed (see the console)");
    let short = dev.trim_start_matches("/dev/");
    // `udrv read` sets the mode and clock its chips need; the fixture is shared, so put
    // the node's settings back afterwards.
    let node = udrv_core::spi::SpidevDevice::open(&dev).unwrap();
    let saved = node.config().unwrap();
    let out = read(&format!("mcp3008@{dev}"));
    assert_eq!(out.lines().count(), 8, "{out}");
    for ch in 0..8 {
        assert_eq!(value_text(&out, &format!("ch{ch}")), "0.000 V", "{out}");
    }
    assert!(out.starts_with(&format!("mcp3008@{short}  ch0")), "{out}");
    let out = read(&format!("max31855@{short}"));
    assert_eq!(value_text(&out, "thermocouple"), "0.00 °C");
    assert_eq!(value_text(&out, "cold_junction"), "0.00 °C");
    // A BME280 answers chip ID 0x60; zeros are refused by its driver, in one line.
    let o = run("udrv", &["read", &format!("bme280@{dev}")]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("chip ID 0x00 is neither a BME280") && e.lines().count() == 1,
        "{e}"
    );
    node.configure(&saved).unwrap();
}

#[test]
fn probe_names_nothing_where_every_address_reads_zero() {
    // i2c-parport with nothing on it: every address acknowledges and reads 0x00. Only the
    // EEPROM range, where a one-byte read is all probe sends, is taken for an EEPROM.
    let bus = std::env::var("UDRV_I2C_PARPORT_BUS")
        .expect("UDRV_I2C_PARPORT_BUS is not set: the i2c-parport fixture failed");
    let o = run("udrv", &["probe", &format!("i2c-{bus}")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out.lines().count(),
        0x78 - 0x08,
        "every address answers:\n{out}"
    );
    for l in out.lines() {
        let a = u8::from_str_radix(&l[2..4], 16).unwrap();
        let guess = l.split_whitespace().nth(1).unwrap();
        if (0x50..=0x57).contains(&a) {
            assert_eq!(guess, "at24c32", "{l}");
        } else {
            assert!(guess.starts_with('('), "a chip named from zeros: {l}");
        }
    }
}
