//! The interoperability examples' two directions through a real kernel, in the QEMU guest
//! (`cargo xtask vmtest --only guest_examples`):
//!
//! * the `bme280` crate (crates.io) over `udrv-core`'s I2C bus, on the i2c-stub fixture
//!   holding a BME280's register image at 0x52 (the datasheet's compensation example, BMP280
//!   datasheet §3.12 / BME280 §8: dig_T* and dig_P*, adc_T = 519888, adc_P = 415148, giving
//!   25.08 °C and 100653.27 Pa), with udrv's own BME280 driver on the same registers;
//! * udrv's LM75 and BME280 drivers over `linux-embedded-hal`'s `I2cdev` (I2C_RDWR) on the
//!   i2c-parport fixture, where every address acknowledges and reads 0x00, compared with
//!   `udrv-core`'s bus there.
//!
//! * the boards crate's `Peripherals` on a real board (a Raspberry Pi 4 whose GPIO chip is
//!   the gpio-sim fixture labelled `pinctrl-bcm2711`): an output by name and an input whose
//!   edges are awaited on tokio, as the thermostat and button examples use them.
//!
//! Registers 0x88-0xfe of chip 0x52 are written here (other guest tests use 0x00-0x03 and
//! 0x10-0x9f of it, and write what they read first).
#![cfg(udrv_guest)]

#[path = "../../core/tests/common/asleep.rs"]
mod asleep;

use std::time::Duration;

use embedded_hal::digital::{OutputPin, StatefulOutputPin};
use embedded_hal_async::digital::Wait;
use udrv_boards::{BoardId, PinSpec, RaspberryPi};
use udrv_core::i2c::I2cBus;
use udrv_drivers::bme280::{Bme280, Error as BmeError};
use udrv_drivers::lm75::Lm75;
use udrv_examples::Peripherals;

fn bus(var: &str) -> u32 {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: its fixture failed (see the console)"))
        .parse()
        .unwrap()
}

/// The datasheet example's calibration and raw data, as a BME280 at `addr` would hold
/// them, written register by register with SMBus byte writes.
fn write_bme280_image(b: &I2cBus, addr: u16) {
    let t: [u16; 3] = [27504, 26435, (-1000i16) as u16];
    let p: [u16; 9] = [
        36477,
        (-10685i16) as u16,
        3024,
        2855,
        140,
        (-7i16) as u16,
        15500,
        (-14600i16) as u16,
        6000,
    ];
    let mut reg = 0x88u8;
    for w in t.iter().chain(p.iter()) {
        for byte in w.to_le_bytes() {
            b.smbus_write_byte_data(addr, reg, byte).unwrap();
            reg += 1;
        }
    }
    // 0xA0 reserved, 0xA1 dig_H1, 0xE1-0xE7 the other humidity trims: all zero.
    for r in [0xa0u8, 0xa1].into_iter().chain(0xe1..=0xe7) {
        b.smbus_write_byte_data(addr, r, 0).unwrap();
    }
    // Chip ID 0x60, status 0 (not measuring).
    b.smbus_write_byte_data(addr, 0xd0, 0x60).unwrap();
    b.smbus_write_byte_data(addr, 0xf3, 0x00).unwrap();
    // press 0x655AC, temp 0x7EED0 (20 bits each, left-justified), hum 0x8000 (skipped)
    for (r, v) in (0xf7u8..=0xfe).zip([0x65, 0x5a, 0xc0, 0x7e, 0xed, 0x00, 0x80, 0x00]) {
        b.smbus_write_byte_data(addr, r, v).unwrap();
    }
}

#[test]
fn bme280_crate_over_udrv_core() {
    let n = bus("UDRV_I2C_STUB_BUS");
    let raw = I2cBus::open(n).unwrap();
    write_bme280_image(&raw, 0x52);
    let mut delay = linux_embedded_hal::Delay;
    let mut s = bme280::i2c::BME280::new(I2cBus::open(n).unwrap(), 0x52);
    s.init(&mut delay).expect("the crate's init over udrv-core");
    // init wrote a configuration and reset; the image's data registers are untouched.
    write_bme280_image(&raw, 0x52);
    let m = s
        .measure(&mut delay)
        .expect("the crate's measure over udrv-core");
    assert!((m.temperature - 25.08).abs() < 0.01, "{}", m.temperature);
    assert!((m.pressure - 100_653.27).abs() < 0.5, "{}", m.pressure);
    // udrv's driver on the same image (integer compensation): the same values.
    let mut ours = Bme280::new_i2c(I2cBus::open(n).unwrap(), 0x52);
    ours.init().unwrap();
    let r = ours.read_measurement().unwrap();
    assert_eq!(r.temperature.as_millicelsius(), 25_080);
    assert_eq!(r.pressure.unwrap().as_pascal(), 100_653);
    assert_eq!(r.humidity, None, "humidity skipped (0x8000)");
}

#[test]
fn udrv_drivers_over_linux_embedded_hal() {
    let n = bus("UDRV_I2C_PARPORT_BUS");
    let path = format!("/dev/i2c-{n}");
    let leh = linux_embedded_hal::I2cdev::new(&path).unwrap();
    let mut lm75 = Lm75::new(leh, 0x48);
    let via_leh = lm75.raw_temperature().unwrap();
    let mut theirs = Lm75::new(I2cBus::open(n).unwrap(), 0x48);
    assert_eq!(via_leh, theirs.raw_temperature().unwrap());
    assert_eq!(via_leh, 0x0000, "the parport adapter reads 0x00");
    assert_eq!(lm75.temperature().unwrap().as_millicelsius(), 0);
    // The BME280 driver's identification through linux-embedded-hal: ID 0x00 is refused.
    let mut bme = Bme280::new_i2c(lm75.release(), 0x76);
    assert!(matches!(bme.init(), Err(BmeError::WrongChipId(0x00))));
    // linux-embedded-hal's errors are the driver's bus errors: i2c-stub has no I2C_RDWR.
    let stub =
        linux_embedded_hal::I2cdev::new(format!("/dev/i2c-{}", bus("UDRV_I2C_STUB_BUS"))).unwrap();
    assert!(matches!(
        Lm75::new(stub, 0x48).temperature(),
        Err(udrv_drivers::lm75::Error::Bus(_))
    ));
}

fn sim_file(line: u32, file: &str) -> String {
    let dir = std::env::var("UDRV_BOARDS_PI4_SYSFS")
        .expect("UDRV_BOARDS_PI4_SYSFS is not set: the boards gpio-sim fixture failed");
    format!("{dir}/sim_gpio{line}/{file}")
}

#[test]
fn peripherals_of_a_real_board() {
    let pi = RaspberryPi::new(BoardId::Rpi4B).unwrap();
    // An output by name, as the thermostat's relay: the simulator sees the level.
    let mut relay = pi.open_output(PinSpec::Name("GPIO27"), true).unwrap();
    let level = || std::fs::read_to_string(sim_file(27, "value")).unwrap();
    assert_eq!(level().trim(), "1");
    relay.set_low().unwrap();
    assert_eq!(level().trim(), "0");
    assert!(relay.is_set_low().unwrap());
    drop(relay);
    // An input by header pin (11 = GPIO17), as the button reader's interrupt line: a
    // falling edge arrives as an awaited event on tokio's reactor.
    std::fs::write(sim_file(17, "pull"), "pull-up").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut int = pi.open_input(PinSpec::Physical(11)).unwrap();
        let pull = sim_file(17, "pull");
        // The edge comes once the runtime's thread is asleep: the wait is set up.
        let t = asleep::when_asleep(move || {
            std::fs::write(pull, "pull-down").unwrap();
        });
        tokio::time::timeout(Duration::from_secs(60), int.wait_for_falling_edge())
            .await
            .expect("the falling edge (waited 60 s)")
            .unwrap();
        t.join().unwrap();
    });
    // The same board's I2C: not a role of the Pi, so the bus number (the stub) is used.
    let n = bus("UDRV_I2C_STUB_BUS");
    let mut lm75 = Lm75::new(pi.open_i2c(&n.to_string()).unwrap(), 0x48);
    lm75.raw_temperature().unwrap();
}
