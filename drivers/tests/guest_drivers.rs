//! Drivers through the real kernel, in the QEMU guest (`cargo xtask vmtest --only
//! guest_drivers`): register-file chips on i2c-stub, with the test writing the registers
//! the chip would hold and the driver reading them through udrv-core's I2C bus (which
//! turns each embedded-hal transaction into one SMBus command on this SMBus-only
//! adapter).
//!
//! Fixture (xtask/guest/fixtures.sh): i2c-stub with chips at 0x48, 0x50, 0x52. Other guest
//! tests use registers 0x10..0x9F of those chips; these use 0x00..0x05 of 0x48 (LM75,
//! then ADS1115 and INA219 in turn: each test writes every register it reads) and 0x52
//! (PCA9554), and 0xC0..0xFF of 0x50 (AT24C02).
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

mod common;

use common::guest::bus_from_env;

use embedded_hal::i2c::I2c;
use udrv_core::i2c::I2cBus;
use udrv_drivers::ads1x1x::{self, Ads1x1x, Channel, FullScale};
use udrv_drivers::at24::{At24, Variant};
use udrv_drivers::ina219::Ina219;
use udrv_drivers::lm75::{FaultQueue, Lm75, Lm75Config, OsMode, OsPolarity};
use udrv_drivers::pca95xx::Pca95xx;
use udrv_drivers::{Current, Temperature};

fn stub() -> I2cBus {
    bus_from_env("UDRV_I2C_STUB_BUS", "the i2c-stub fixture")
}

#[test]
fn lm75_on_i2c_stub() {
    let mut raw = stub();
    // What an LM75 at -25.5 °C holds: temperature register E680h (MSB first on the wire).
    raw.write(0x48u8, &[0x00, 0xE6, 0x80]).unwrap();
    let mut lm75 = Lm75::new(stub(), 0x48);
    assert_eq!(lm75.temperature().unwrap().as_millicelsius(), -25_500);
    assert_eq!(lm75.raw_temperature().unwrap(), 0xE680);
    // The driver's writes land in the registers as the datasheet lays them out.
    lm75.set_os_temperature(Temperature(80_500)).unwrap();
    lm75.set_hysteresis(Temperature(-10_000)).unwrap();
    let mut b = [0; 2];
    raw.write_read(0x48u8, &[0x03], &mut b).unwrap();
    assert_eq!(b, [0x50, 0x80]);
    raw.write_read(0x48u8, &[0x02], &mut b).unwrap();
    assert_eq!(b, [0xF6, 0x00]);
    let cfg = Lm75Config {
        shutdown: true,
        os_mode: OsMode::Interrupt,
        os_polarity: OsPolarity::ActiveHigh,
        fault_queue: FaultQueue::Six,
    };
    lm75.set_config(cfg).unwrap();
    let mut c = [0];
    raw.write_read(0x48u8, &[0x01], &mut c).unwrap();
    assert_eq!(c, [0b0001_1111]);
    assert_eq!(lm75.config().unwrap(), cfg);
}

#[test]
fn at24c02_on_i2c_stub() {
    let mut raw = stub();
    let mut eeprom = At24::new(stub(), 0x50, Variant::AT24C02);
    // 20 bytes from 0xC5 cross three 8-byte pages: three I2C block writes, each followed
    // by acknowledge polling (an SMBus quick write).
    let data: Vec<u8> = (0..20u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
    eeprom.write(0xC5, &data).unwrap();
    let mut back = [0; 20];
    eeprom.read(0xC5, &mut back).unwrap();
    assert_eq!(&back[..], &data[..]);
    let mut one = [0];
    raw.write_read(0x50u8, &[0xD0], &mut one).unwrap();
    assert_eq!(one[0], data[0xD0 - 0xC5]);
    eeprom.write_byte(0xFF, 0x42).unwrap();
    assert_eq!(eeprom.read_byte(0xFF).unwrap(), 0x42);
}

#[test]
fn pca9554_on_i2c_stub() {
    let mut raw = stub();
    let mut io = Pca95xx::pca9554(stub(), 0x52);
    // The test plays the pins: input register 0 holds what the chip would read.
    raw.write(0x52u8, &[0x00, 0b1010_0110]).unwrap();
    assert_eq!(io.read_inputs().unwrap(), 0b1010_0110);
    assert!(io.is_high(1).unwrap() && !io.is_high(0).unwrap());
    io.set_directions(0xF0).unwrap();
    io.set_polarity(0x01).unwrap();
    io.write_outputs(0x0C).unwrap();
    io.set_pin(0, true).unwrap();
    for (reg, want) in [(0x03u8, 0xF0u8), (0x02, 0x01), (0x01, 0x0D)] {
        let mut b = [0];
        raw.write_read(0x52u8, &[reg], &mut b).unwrap();
        assert_eq!(b[0], want, "register {reg}");
    }
}

#[test]
fn ads1115_on_i2c_stub() {
    let mut raw = stub();
    // The conversion the chip would hold: 0x4000 at ±4.096 V is 2.048 V.
    raw.write(0x48u8, &[0x00, 0x40, 0x00]).unwrap();
    let mut adc = Ads1x1x::new(stub(), 0x48, ads1x1x::Variant::Ads1115);
    adc.set_full_scale(FullScale::V4_096).unwrap();
    // start() writes the config with OS set; the register file keeps it, so the driver
    // sees "conversion done" and reads the conversion register.
    let v = adc.measure(Channel::DiffA2A3, &mut NoDelay).unwrap();
    assert_eq!(v.0, 2_048_000);
    let mut b = [0; 2];
    raw.write_read(0x48u8, &[0x01], &mut b).unwrap();
    assert_eq!(
        b,
        [0xB3, 0x83],
        "OS | MUX 011 | PGA 001 | single-shot, 128 SPS, comparator off"
    );
    adc.set_thresholds_raw(-100, 0x1234).unwrap();
    raw.write_read(0x48u8, &[0x03], &mut b).unwrap();
    assert_eq!(b, [0x12, 0x34]);
    raw.write_read(0x48u8, &[0x02], &mut b).unwrap();
    assert_eq!(i16::from_be_bytes(b), -100);
}

#[test]
fn ina219_on_i2c_stub() {
    let mut raw = stub();
    // The registers of the datasheet's table 3 example (SBOS448 §8.5.1).
    for (reg, v) in [
        (0x01u8, 0x07D0u16),
        (0x02, 0x5D98),
        (0x04, 0x2710),
        (0x03, 0x1766),
    ] {
        let b = v.to_be_bytes();
        raw.write(0x48u8, &[reg, b[0], b[1]]).unwrap();
    }
    let mut ina = Ina219::new(stub(), 0x48);
    ina.calibrate(Current(1_000), 2_000).unwrap();
    let mut b = [0; 2];
    raw.write_read(0x48u8, &[0x05], &mut b).unwrap();
    assert_eq!(b, [0x50, 0x00], "calibration 20480");
    assert_eq!(ina.shunt_voltage().unwrap().0, 20_000);
    let (v, i, p) = ina.measure().unwrap();
    assert_eq!((v.0, i.0, p.0), (11_980_000, 10_000_000, 119_800_000));
}

/// The register file converts at once: no need to wait.
struct NoDelay;
impl embedded_hal::delay::DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}
