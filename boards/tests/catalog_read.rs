//! The catalog's reading of every I2C chip kind (the SPI ones: `catalog_read_spi.rs`),
//! against the kind's simulated model: the quantities, channels and units it gives, their
//! values, the raw bytes, whether the chip was identified, and the stamps (sequence
//! numbers, time). One test per kind.

mod catalog_helpers;

use std::time::SystemTime;

use catalog_helpers::*;
use embedded_hal::i2c::I2c;
use udrv_boards::catalog::{self, ChipRead, ChipSpec, Quantity, Sequence};
use udrv_drivers::sim::{SimI2cBus, SimSpiDevice};
use udrv_drivers::{Current, Humidity, Illuminance, Pressure, Temperature, Voltage};

const T: Temperature = Temperature(21_500);

#[test]
fn bme280() {
    use udrv_drivers::bme280::model::Bme280Model;
    let bus = SimI2cBus::new();
    let m = bus.attach(0x77, Bme280Model::new());
    m.lock()
        .set_conditions(T, Pressure(101_325 * 256), Humidity(45_000));
    let r = i2c("bme280@i2c-1:0x77", bus);
    assert_eq!(shape(&r), ["temperature °C", "humidity %", "pressure Pa"]);
    near(value(&r, Quantity::Temperature, None), 21.5, 0.01);
    near(value(&r, Quantity::Humidity, None), 45.0, 0.1);
    near(value(&r, Quantity::Pressure, None), 101_325.0, 2.0);
    assert!(r.identity.text().contains("0x60"), "{:?}", r.identity);
    // The same chip on SPI.
    let (dev, m) = SimSpiDevice::new(Bme280Model::new());
    m.lock().set_temperature(T);
    let spec: ChipSpec = "bme280@spidev0.0".parse().unwrap();
    let r = catalog::read_spi(
        &spec,
        dev,
        &mut NoDelay,
        &mut Sequence::new(),
        SystemTime::now(),
    )
    .unwrap();
    near(value(&r, Quantity::Temperature, None), 21.5, 0.01);
}

#[test]
fn sht3x() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x45, udrv_drivers::sht3x::model::Sht3xModel::new());
    m.lock().set_temperature(T);
    m.lock().set_humidity(Humidity(60_000));
    let r = i2c("sht31@1:0x45", bus);
    assert_eq!(shape(&r), ["temperature °C", "humidity %"]);
    near(value(&r, Quantity::Temperature, None), 21.5, 0.01);
    near(value(&r, Quantity::Humidity, None), 60.0, 0.01);
    assert!(!r.identity.is_identified());
}

#[test]
fn shtc3() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x70, udrv_drivers::shtc3::model::Shtc3Model::new());
    m.lock().set_temperature(Temperature(-10_000));
    m.lock().set_humidity(Humidity(33_300));
    let r = i2c("shtc3@i2c-1", bus);
    assert_eq!(shape(&r), ["temperature °C", "humidity %"]);
    near(value(&r, Quantity::Temperature, None), -10.0, 0.005);
    near(value(&r, Quantity::Humidity, None), 33.3, 0.005);
    assert!(r.identity.is_identified(), "{:?}", r.identity);
    assert!(m.lock().is_asleep(), "put back to sleep");
}

#[test]
fn bh1750() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x5c, udrv_drivers::bh1750::model::Bh1750Model::new());
    m.lock().set_illuminance(Illuminance(500_000));
    let r = i2c("bh1750@i2c-1:0x5c", bus);
    assert_eq!(shape(&r), ["illuminance lx"]);
    // 500 lx is a count of 600 at MTreg 69, and 600 / 1.2 = 500 lx.
    assert_eq!(value(&r, Quantity::Illuminance, None), 500.0);
}

#[test]
fn lm75() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x4f, udrv_drivers::lm75::model::Lm75Model::lm75());
    m.lock().set_temperature(Temperature(23_700));
    let r = i2c("lm75@i2c-1:0x4f", bus);
    assert_eq!(shape(&r), ["temperature °C"]);
    assert_eq!(
        value(&r, Quantity::Temperature, None),
        23.5,
        "9 bits: 0.5 °C"
    );
    assert!(r.raw.is_empty());
}

#[test]
fn tmp102() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x49, udrv_drivers::lm75::model::Tmp102Model::new());
    m.lock().set_temperature(Temperature(-12_625));
    let r = i2c("tmp102@i2c-1:0x49", bus);
    assert_eq!(shape(&r), ["temperature °C"]);
    assert_eq!(value(&r, Quantity::Temperature, None), -12.625);
}

fn ads(spec: &str, model: udrv_drivers::ads1x1x::model::Ads1x1xModel, lsb: f64) {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x48, model);
    for (i, uv) in [1_000_000, 2_500_000, 125_000, 0].into_iter().enumerate() {
        m.lock().set_input(i, Voltage(uv));
    }
    let r = i2c(spec, bus);
    assert_eq!(
        shape(&r),
        [
            "voltage#ain0 V",
            "voltage#ain1 V",
            "voltage#ain2 V",
            "voltage#ain3 V"
        ]
    );
    for (ch, v) in [("ain0", 1.0), ("ain1", 2.5), ("ain2", 0.125), ("ain3", 0.0)] {
        near(value(&r, Quantity::Voltage, Some(ch)), v, lsb);
    }
}

#[test]
fn ads1115() {
    use udrv_drivers::ads1x1x::model::Ads1x1xModel;
    ads("ads1115@i2c-1", Ads1x1xModel::ads1115(), 0.000125);
}

#[test]
fn ads1015() {
    use udrv_drivers::ads1x1x::model::Ads1x1xModel;
    ads("ads1015@i2c-1", Ads1x1xModel::ads1015(), 0.002);
}

#[test]
fn ina219() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x40, udrv_drivers::ina219::model::Ina219Model::new());
    m.lock().set_bus_voltage(Voltage(5_000_000));
    m.lock()
        .set_current(Current(1_500_000), catalog::INA219_SHUNT_MICRO_OHM);
    let r = i2c("ina219@i2c-1:0x40", bus);
    assert_eq!(
        shape(&r),
        ["voltage#bus V", "voltage#shunt V", "current A", "power W"]
    );
    near(value(&r, Quantity::Voltage, Some("bus")), 5.0, 0.004);
    near(value(&r, Quantity::Voltage, Some("shunt")), 0.15, 0.00001);
    near(value(&r, Quantity::Current, None), 1.5, 0.0001);
    near(value(&r, Quantity::Power, None), 7.5, 0.03);
}

/// 2026-01-02 03:04:05 UTC: 20 455 days and 11 045 s after the epoch.
const RTC_SECONDS: f64 = 1_767_323_045.0;

#[test]
fn ds3231() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x68, udrv_drivers::ds3231::model::Ds3231Model::new());
    m.lock().set_time((2026, 1, 2, 5, 3, 4, 5));
    m.lock().set_temperature(Temperature(25_250));
    let r = i2c("ds3231@i2c-1", bus);
    assert_eq!(
        shape(&r),
        [
            "time s",
            "temperature °C",
            "digital_state#oscillator_stopped"
        ]
    );
    assert_eq!(value(&r, Quantity::Time, None), RTC_SECONDS);
    assert_eq!(value(&r, Quantity::Temperature, None), 25.25);
}

fn ds13xx(spec: &str, model: udrv_drivers::ds1307::model::Ds1307Model) -> ChipRead {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x68, model);
    m.lock().set_time((2026, 1, 2, 5, 3, 4, 5));
    let r = i2c(spec, bus);
    assert_eq!(value(&r, Quantity::Time, None), RTC_SECONDS);
    assert_eq!(
        pins(&r)[0],
        ("clock_halted".to_string(), 0.0),
        "set: running"
    );
    assert_eq!(r.raw("control").map(|c| c.bytes.len()), Some(1));
    r
}

#[test]
fn ds1307() {
    let r = ds13xx(
        "ds1307@i2c-1",
        udrv_drivers::ds1307::model::Ds1307Model::ds1307(),
    );
    assert_eq!(shape(&r), ["time s", "digital_state#clock_halted"]);
}

#[test]
fn ds1338() {
    let r = ds13xx(
        "ds1338@i2c-1",
        udrv_drivers::ds1307::model::Ds1307Model::ds1338(),
    );
    assert_eq!(
        shape(&r),
        [
            "time s",
            "digital_state#clock_halted",
            "digital_state#oscillator_stopped"
        ]
    );
}

#[test]
fn dps310() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x77, udrv_drivers::dps310::model::Dps310Model::new());
    m.lock().set_temperature(T);
    m.lock().set_pressure(Pressure(98_000 * 256));
    let r = i2c("dps310@i2c-1", bus);
    assert_eq!(shape(&r), ["temperature °C", "pressure Pa"]);
    near(value(&r, Quantity::Temperature, None), 21.5, 0.05);
    near(value(&r, Quantity::Pressure, None), 98_000.0, 5.0);
    assert_eq!(r.raw("product_id").unwrap().bytes, [0x10]);
    assert!(r.identity.is_identified());
}

fn switch(spec: &str, channels: u8) {
    let bus = SimI2cBus::new();
    udrv_drivers::pca954x::model::Pca954xModel::attach(&bus, 0x71, channels);
    bus.clone().write(0x71, &[0b0100]).unwrap();
    let r = i2c(spec, bus);
    let expected: Vec<(String, f64)> = (0..channels)
        .map(|c| (format!("ch{c}"), if c == 2 { 1.0 } else { 0.0 }))
        .collect();
    assert_eq!(pins(&r), expected);
    assert!(shape(&r).iter().all(|s| s.starts_with("digital_state#ch")));
}

#[test]
fn pca9548() {
    switch("pca9548@i2c-1:0x71", 8);
}

#[test]
fn pca9546() {
    switch("pca9546@i2c-1:0x71", 4);
}

#[test]
fn mcp23017() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x20, udrv_drivers::mcp23017::model::Mcp23017Model::new());
    m.lock().set_input(0, Some(true));
    m.lock().set_input(11, Some(true));
    mcp_pins(&i2c("mcp23017@i2c-1", bus), &["A0", "B3"]);
}

#[test]
fn pca9554() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x21, udrv_drivers::pca95xx::model::Pca95xxModel::pca9554());
    m.lock().set_input(4, Some(false));
    let r = i2c("pca9554@i2c-1:0x21", bus);
    let p = pins(&r);
    let names: Vec<&str> = p.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["IO0", "IO1", "IO2", "IO3", "IO4", "IO5", "IO6", "IO7"]
    );
    assert_eq!(p[4].1, 0.0, "pulled low");
    assert_eq!(p[5].1, 1.0, "floating: the pull-up");
    assert_eq!(r.raw("configuration").unwrap().bytes, [0xff]);
}

#[test]
fn pca9535() {
    let bus = SimI2cBus::new();
    let m = bus.attach(0x27, udrv_drivers::pca95xx::model::Pca95xxModel::pca9535());
    m.lock().set_input(10, Some(false));
    let r = i2c("pca9535@i2c-1:0x27", bus);
    let p = pins(&r);
    assert_eq!(p.len(), 16);
    assert_eq!((p[0].0.as_str(), p[15].0.as_str()), ("IO0_0", "IO1_7"));
    assert_eq!(p[10], ("IO1_2".to_string(), 0.0));
    assert_eq!(r.raw("configuration").unwrap().bytes, [0xff, 0xff]);
}

#[test]
fn pca9685() {
    let bus = SimI2cBus::new();
    udrv_drivers::pca9685::model::Pca9685Model::new(0x40).attach(&bus);
    let mut pwm = udrv_drivers::pca9685::Pca9685::new(bus.clone(), 0x40);
    pwm.init().unwrap();
    pwm.set_channel(3, 0, 2048).unwrap();
    pwm.set_channel_full_on(15).unwrap();
    let r = i2c("pca9685@i2c-1:0x40", bus);
    let s = shape(&r);
    assert_eq!(&s[..2], ["frequency Hz", "digital_state#sleep"]);
    assert_eq!(s[2], "duty_cycle#ch0 %");
    assert_eq!(s.len(), 18);
    // Power-on PRE_SCALE 0x1e: 25 MHz / (4096 × 31).
    near(value(&r, Quantity::Frequency, None), 196.9, 0.05);
    assert_eq!(
        value(&r, Quantity::DigitalState, Some("sleep")),
        0.0,
        "awake"
    );
    assert_eq!(value(&r, Quantity::DutyCycle, Some("ch3")), 50.0);
    assert_eq!(value(&r, Quantity::DutyCycle, Some("ch15")), 100.0);
    assert_eq!(value(&r, Quantity::DutyCycle, Some("ch0")), 0.0);
}

fn eeprom(spec: &str, model: udrv_drivers::at24::model::At24Model) {
    let bus = SimI2cBus::new();
    let mut model = model;
    model.memory_mut()[..5].copy_from_slice(b"hello");
    model.attach(&bus);
    let r = i2c(spec, bus);
    assert!(r.readings.is_empty(), "no quantity: {:?}", shape(&r));
    let mem = r.raw("memory").unwrap();
    assert_eq!((mem.offset, mem.bytes.len()), (Some(0), 32));
    assert_eq!(&mem.bytes[..5], b"hello");
}

#[test]
fn at24c32() {
    use udrv_drivers::at24::model::At24Model;
    eeprom("at24c32@i2c-1", At24Model::new(4096, 32, 2, 0x50));
}

#[test]
fn at24c02() {
    use udrv_drivers::at24::model::At24Model;
    eeprom("at24c02@i2c-1:0x53", At24Model::new(256, 8, 1, 0x53));
}

/// A driver error reads as the bus's own message when the bus failed (the driver error's
/// source: it names the device), and as the driver's message otherwise.
#[test]
fn errors_are_the_bus_message_or_the_drivers() {
    use catalog::ReadError;
    let spec: ChipSpec = "pca9685@i2c-1:0x40".parse().unwrap();
    let read = |bus: SimI2cBus| {
        catalog::read_i2c(
            &spec,
            bus,
            &mut NoDelay,
            &mut Sequence::new(),
            SystemTime::now(),
        )
        .unwrap_err()
    };
    // Nothing at 0x40: the simulated bus's NACK, as the bus says it.
    let e = read(SimI2cBus::new());
    let bus_message = udrv_drivers::sim::SimI2cError {
        address: 0x40,
        kind: embedded_hal::i2c::ErrorKind::NoAcknowledge(
            embedded_hal::i2c::NoAcknowledgeSource::Address,
        ),
    }
    .to_string();
    assert_eq!(e, ReadError::Failed(bus_message), "{e}");
    // A BME280 that reads another chip's ID: the driver's message, naming the chip.
    let bus = SimI2cBus::new();
    bus.attach(0x76, udrv_drivers::lm75::model::Lm75Model::lm75());
    let spec: ChipSpec = "bme280@i2c-1:0x76".parse().unwrap();
    let e = catalog::read_i2c(
        &spec,
        bus,
        &mut NoDelay,
        &mut Sequence::new(),
        SystemTime::now(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ReadError::WrongChip(m) if m.starts_with("BME280: chip ID")),
        "{e:?}"
    );
}
