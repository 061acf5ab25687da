//! Drivers on the emulated Raspberry Pi 3B's real I2C controller against QEMU's chip models
//! (`cargo xtask vmtest --board rpi3b`): models written by others from the datasheets.
//!
//! `/dev/i2c-1`: tmp105 `t48` at 0x48 (LM75/TMP102 drivers; its temperature is set from the
//! host over QMP), tmp105 `t49` at 0x49 under the kernel's `lm75` (a second opinion),
//! at24c-eeprom 256 B at 0x50 and 4 KiB at 0x54 (AT24 driver), at24c-eeprom 256 B at 0x57
//! under the kernel's `at24`.
//!
//! The tmp105 model holds the temperature as 8.8 fixed point, truncated toward zero from
//! milli-degrees, and clears the bits below the configured resolution (R1:R0 in the
//! configuration register: 9 bits at power-on), as two's complement registers do.
#![cfg(udrv_guest_rpi)]

mod common;

#[path = "../../xtask/guest-rpi/host.rs"]
mod host;

use common::guest::rpi_bus as bus;
use common::pattern;
use std::time::{Duration, Instant};

use embedded_hal::i2c::{Error as _, ErrorKind, I2c};
use udrv_core::i2c::I2cBus;
use udrv_drivers::at24::{At24, Error as At24Error, Variant};
use udrv_drivers::lm75::{Lm75, Resolution, Tmp102};
use udrv_drivers::Temperature;

/// The tmp105's configuration register, written directly (R1:R0 = resolution).
fn tmp105_config(bus: &mut I2cBus, addr: u8, config: u8) {
    bus.write(addr, &[0x01, config]).expect("tmp105 config");
}

/// What the tmp105 model's register holds for `mc` milli-degrees at `bits` resolution, in
/// tenths of a milli-degree (exact: a 12-bit count is 62.5 m°C): 8.8 fixed point truncated
/// toward zero, then the bits below the resolution cleared.
fn register_tenths(mc: i32, bits: u32) -> i64 {
    let q = (mc as i64 * 256 / 1000) as i16;
    let keep = !((1i16 << (16 - bits)) - 1);
    (q & keep) as i64 * 10_000 / 256
}

/// Asserts a reading is the register's value rounded to the nearest m°C.
fn assert_reading(t: Temperature, mc: i32, bits: u32) {
    let want = register_tenths(mc, bits);
    let got = t.as_millicelsius() as i64 * 10;
    assert!(
        (got - want).abs() <= 5,
        "set {mc} m°C over QMP, {bits}-bit register holds {} m°C, driver read {} m°C",
        want as f64 / 10.0,
        t.as_millicelsius()
    );
}

#[test]
fn the_expected_values_follow_the_register_format() {
    // Checks of the helper above, from the LM75 / TMP102 datasheet tables.
    assert_eq!(register_tenths(125_000, 9), 1_250_000);
    assert_eq!(register_tenths(-25_000, 9), -250_000);
    assert_eq!(register_tenths(-100, 9), -5_000); // 0xFF80: toward -inf
    assert_eq!(register_tenths(100, 9), 0);
    assert_eq!(register_tenths(-55_000, 12), -550_000);
    assert_eq!(register_tenths(-10_063, 12), -100_625); // 0xF5F0
}

#[test]
fn lm75_reads_the_whole_range_at_9_bits_including_negatives() {
    let mut b = bus();
    tmp105_config(&mut b, 0x48, 0x00);
    let mut lm75 = Lm75::new(b, 0x48);
    for mc in [
        -55_000, -40_000, -25_000, -10_500, -500, -100, 0, 100, 500, 23_500, 85_000, 125_000,
        127_500,
    ] {
        host::set_temperature("t48", mc);
        assert_reading(lm75.temperature().expect("read the temperature"), mc, 9);
    }
}

#[test]
fn lm75_at_11_bits_decodes_eighths() {
    let mut b = bus();
    tmp105_config(&mut b, 0x48, 0x40); // R1:R0 = 10: 11 bits
    let mut lm75 = Lm75::new(b.clone(), 0x48).with_resolution(Resolution::Bits11);
    for mc in [-54_875, -12_125, -125, 0, 125, 31_375, 124_875] {
        host::set_temperature("t48", mc);
        assert_reading(lm75.temperature().unwrap(), mc, 11);
    }
    tmp105_config(&mut b, 0x48, 0x00);
}

#[test]
fn tmp102_at_12_bits_agrees_with_the_kernels_lm75_driver() {
    let mut b = bus();
    tmp105_config(&mut b, 0x48, 0x60); // 12 bits, the TMP102's format
    let mut tmp102 = Tmp102::new(b.clone(), 0x48);
    let hwmon = hwmon_temp_file("1-0049");
    for mc in [-40_000, -10_063, -63, 0, 63, 21_938, 100_000, 127_938] {
        host::set_temperature("t48", mc);
        host::set_temperature("t49", mc);
        let t = tmp102.temperature().unwrap();
        assert_reading(t, mc, 12);
        let ours = t.as_millicelsius();
        // The kernel's lm75 driver runs the tmp105 at 12 bits too, and caches readings
        // for a sample period: wait for it.
        let deadline = Instant::now() + Duration::from_secs(60);
        let kernel = loop {
            let k: i32 = std::fs::read_to_string(&hwmon)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            if (k - ours).abs() <= 1 || Instant::now() > deadline {
                break k;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(
            (kernel - ours).abs() <= 1,
            "kernel lm75 read {kernel}, udrv {ours} m°C at {mc} m°C"
        );
    }
    tmp105_config(&mut b, 0x48, 0x00);
}

fn hwmon_temp_file(dev: &str) -> std::path::PathBuf {
    let dir = format!("/sys/bus/i2c/devices/{dev}/hwmon");
    let entry = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e} (is the kernel lm75 driver bound?)"))
        .next()
        .expect("one hwmon device")
        .unwrap();
    entry.path().join("temp1_input")
}

#[test]
fn lm75_thresholds_round_trip_through_the_chip() {
    let mut lm75 = Lm75::new(bus(), 0x48);
    for (os, hyst) in [(80_000, 75_000), (-10_500, -20_000), (125_000, -55_000)] {
        lm75.set_os_temperature(Temperature::from_millicelsius(os))
            .unwrap();
        lm75.set_hysteresis(Temperature::from_millicelsius(hyst))
            .unwrap();
        assert_eq!(lm75.os_temperature().unwrap().as_millicelsius(), os);
        assert_eq!(lm75.hysteresis().unwrap().as_millicelsius(), hyst);
    }
    // Power-on values back (75 / 80 °C as the datasheet has).
    lm75.set_os_temperature(Temperature::from_millicelsius(80_000))
        .unwrap();
    lm75.set_hysteresis(Temperature::from_millicelsius(75_000))
        .unwrap();
}

#[test]
fn at24c02_page_writes_cross_pages_and_read_back() {
    let mut ee = At24::new(bus(), 0x50, Variant::AT24C02);
    // 20 bytes at 0x65: pages of 8 -> chunks of 3, 8, 8, 1.
    let data = pattern(20, 37, 3);
    ee.write(0x65, &data).unwrap();
    let mut back = vec![0u8; 20];
    ee.read(0x65, &mut back).unwrap();
    assert_eq!(back, data);
    // The bytes are where the driver says, seen through the core bus directly.
    let mut raw = vec![0u8; 20];
    bus().write_read(0x50u8, &[0x65], &mut raw).unwrap();
    assert_eq!(raw, data);
    assert_eq!(ee.read_byte(0x6c).unwrap(), data[7]);
}

#[test]
fn at24c32_two_byte_addresses_and_the_end_of_memory() {
    let mut ee = At24::new(bus(), 0x54, Variant::AT24C32);
    let data = pattern(70, 37, 11);
    // 0x0fb0..0x0ff6: three 32-byte pages, the last one partly.
    ee.write(0x0fb0, &data).unwrap();
    let mut back = vec![0u8; 70];
    ee.read(0x0fb0, &mut back).unwrap();
    assert_eq!(back, data);
    let mut raw = [0u8; 2];
    bus().write_read(0x54u8, &[0x0f, 0xb0], &mut raw).unwrap();
    assert_eq!(raw, data[..2]);
    assert!(matches!(
        ee.write(0x0ffe, &[1, 2, 3]),
        Err(At24Error::OutOfRange)
    ));
    let mut three = [0u8; 3];
    assert!(matches!(
        ee.read(0x0ffe, &mut three),
        Err(At24Error::OutOfRange)
    ));
    ee.write(0x0ffe, &[0xaa, 0xbb]).unwrap();
}

#[test]
fn at24_current_address_read_wraps_to_the_start() {
    let mut ee = At24::new(bus(), 0x50, Variant::AT24C02);
    ee.write_byte(0x00, 0x5e).unwrap();
    ee.write_byte(0xff, 0xe5).unwrap();
    assert_eq!(ee.read_byte(0xff).unwrap(), 0xe5);
    // The chip's counter rolls over from the last byte to the first.
    let mut next = [0u8; 2];
    ee.read_current(&mut next).unwrap();
    assert_eq!(next[0], 0x5e);
}

#[test]
fn at24_acknowledge_polling_ends_at_the_first_ack_and_absent_chips_fail() {
    // QEMU's model finishes writes at once: one poll must do.
    let mut ee = At24::new(bus(), 0x50, Variant::AT24C02).with_max_polls(1);
    ee.write(0x80, &pattern(16, 37, 7)).unwrap();
    ee.write_byte(0x90, 0x33).unwrap();
    assert_eq!(ee.read_byte(0x90).unwrap(), 0x33);
    // Nothing at 0x51: the page write itself is refused (a bus error, not a timeout).
    let mut absent = At24::new(bus(), 0x51, Variant::AT24C02);
    match absent.write(0x00, &[1, 2]) {
        Err(At24Error::Bus(e)) => {
            assert!(matches!(e.kind(), ErrorKind::NoAcknowledge(_)), "{e}")
        }
        other => panic!("write to an absent EEPROM: {other:?}"),
    }
}

#[test]
fn at24_driver_and_the_kernels_at24_agree_on_the_bytes() {
    let sysfs = "/sys/bus/i2c/devices/1-0057/eeprom";
    // Kernel writes, udrv reads.
    let mut file = std::fs::read(sysfs).expect("read through the kernel's at24");
    assert_eq!(file.len(), 256);
    let data = pattern(24, 37, 99);
    file[100..124].copy_from_slice(&data);
    std::fs::write(sysfs, &file).unwrap();
    // udrv-core refuses a driver's address unless forced (I2C_SLAVE_FORCE semantics).
    let mut ee = At24::new(bus().with_force(true), 0x57, Variant::AT24C02);
    let mut back = [0u8; 24];
    ee.read(100, &mut back).unwrap();
    assert_eq!(back[..], data[..]);
    // udrv writes across pages, the kernel reads.
    let data = pattern(30, 37, 1);
    ee.write(130, &data).unwrap();
    let file = std::fs::read(sysfs).unwrap();
    assert_eq!(&file[130..160], &data[..]);
}

// DS1307/DS1338 have their own driver (rpi_ds1338.rs); this keeps checking the DS3231
// codec on QEMU's ds1338. The DS3231's time registers (0x00..=0x06:
// BCD seconds, minutes, 12/24-hour hours, weekday, date, month, year) have the DS1307 /
// DS1338 layout, so the DS3231 driver's date codec is checked against QEMU's ds1338 model
// at 0x68, whose clock runs on the host's time.

use udrv_drivers::ds3231::{DateTime, Ds3231};

#[test]
fn ds3231_time_codec_on_qemus_ds1338_model() {
    let mut rtc = Ds3231::new(bus());
    let set = DateTime::new(2031, 5, 17, 6, 12, 34, 10).unwrap();
    let t0 = Instant::now();
    rtc.set_datetime(&set).unwrap();
    let now = rtc.datetime().unwrap();
    let passed = t0.elapsed();
    // Not the weekday: QEMU's ds1338 keeps it as an offset from the date's real weekday,
    // taken when register 3 is written, so the date written after it moves it (the
    // datasheets keep the two independent).
    assert_eq!((now.year, now.month, now.day), (2031, 5, 17), "{now:?}");
    assert!((1..=7).contains(&now.weekday), "{now:?}");
    // Seconds of the day: the clock ran on from the time written by no more than the time
    // that passed (whole seconds of the host's clock: one more at most).
    let sod =
        |t: &DateTime| i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second);
    let ran = sod(&now) - sod(&set);
    assert!(
        (0..=passed.as_secs() as i64 + 1).contains(&ran),
        "{now:?}: {ran} s after the time written, when {passed:?} had passed"
    );
    // The clock runs (a real 2.1 s: a loaded host only makes it longer).
    std::thread::sleep(Duration::from_millis(2100));
    let later = rtc.datetime().unwrap();
    assert!(sod(&later) >= sod(&now) + 2, "{now:?} -> {later:?}");
    // Hours in 12-hour mode (bit 6), PM in bit 5, written directly: the driver gives the
    // 24-hour value.
    let mut raw = bus();
    for (reg, hour) in [(0x71u8, 23u8), (0x52, 0), (0x41, 1), (0x72, 12)] {
        raw.write(0x68u8, &[0x00, 0x00, 0x15, reg, 0x02, 0x28, 0x02, 0x28])
            .unwrap();
        let t = rtc.datetime().unwrap();
        assert_eq!((t.hour, t.minute), (hour, 15), "hours register {reg:#04x}");
        assert_eq!((t.year, t.month, t.day), (2028, 2, 28));
    }
    // Leap day through the codec.
    rtc.set_datetime(&DateTime::new(2028, 2, 29, 2, 23, 59, 30).unwrap())
        .unwrap();
    let t = rtc.datetime().unwrap();
    assert_eq!((t.month, t.day, t.hour, t.minute), (2, 29, 23, 59), "{t:?}");
}
