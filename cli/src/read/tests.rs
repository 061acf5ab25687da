//! `udrv read`'s parsing of chips and its text of the catalog's reads.

use std::time::UNIX_EPOCH;

use embedded_hal::delay::DelayNs;

use super::format::{lines, text_lines, Line, Value};
use super::*;

/// The bus and switch of an I2C chip's spec, or the device and hardware address of an
/// SPI chip's, as text.
fn place(d: &Device) -> String {
    match d.spec.location() {
        Location::I2c {
            bus,
            switch,
            address,
        } => format!(
            "{bus} {:?} {address:#04x}",
            switch.map(|s| (s.address(), s.channel()))
        ),
        Location::Spi {
            device,
            hardware_address,
        } => format!("{device} {hardware_address:?}"),
        Location::W1 { id } => format!("w1 {id}"),
    }
}

#[test]
fn specs() {
    let d = parse_device("bme280@i2c-1:0x76").unwrap();
    assert_eq!(d.label, "bme280@i2c-1:0x76");
    assert_eq!(place(&d), "i2c-1 None 0x76");
    let d = parse_device("BMP280@1").unwrap();
    assert_eq!(d.label, "bme280@i2c-1:0x76");
    let d = parse_device("lm75@/dev/i2c-3:0x4f").unwrap();
    assert_eq!(d.label, "lm75@i2c-3:0x4f");
    let d = parse_device("bme280@spidev0.1").unwrap();
    assert_eq!(place(&d), "spidev0.1 None");
    assert_eq!(d.label, "bme280@spidev0.1");
    // A chip that shares its chip select by hardware address.
    let d = parse_device("mcp23s17@/dev/spidev0.0:5").unwrap();
    assert_eq!(d.label, "mcp23s17@spidev0.0:5");
    assert_eq!(place(&d), "spidev0.0 Some(5)");
    // SPI devices as `spi transfer` takes them: B.C, and a board's spiB.C.
    let d = parse_device("mcp3008@0.1").unwrap();
    assert_eq!(d.label, "mcp3008@spidev0.1");
    assert_eq!(place(&d), "spidev0.1 None");
    let d = parse_device("mcp23s17@spi1.2:3").unwrap();
    assert_eq!(d.label, "mcp23s17@spi1.2:3");
    assert_eq!(place(&d), "spi1.2 Some(3)");
    let d = parse_device("at24c32@my:adapter").unwrap();
    assert_eq!(place(&d), "my:adapter None 0x50");
}

#[test]
fn chips_behind_a_switch_channel() {
    let d = parse_device("lm75@i2c-1/0x73.2:0x49").unwrap();
    assert_eq!(d.label, "lm75@i2c-1/0x73.2:0x49");
    assert_eq!(place(&d), "i2c-1 Some((115, 2)) 0x49");
    let d = parse_device("lm75@/dev/i2c-3/0x70.7").unwrap();
    assert_eq!(d.label, "lm75@i2c-3/0x70.7:0x48");
    // A path is a path, not a switch.
    let d = parse_device("lm75@/dev/i2c-3").unwrap();
    assert_eq!(d.label, "lm75@i2c-3:0x48");
    for bad in [
        "lm75@i2c-1/0x60.1:0x48",
        "lm75@i2c-1/0x70.8:0x48",
        "lm75@/0x70.1:0x48",
    ] {
        let e = parse_device(bad).unwrap_err();
        assert_eq!(e.code, 2, "{bad}: {}", e.message);
    }
    // Only the switch itself at its own address: refused.
    assert_eq!(parse_device("shtc3@i2c-1/0x70.1").unwrap_err().code, 2);
}

#[test]
fn bad_specs_are_usage_errors() {
    for s in [
        "bme280",
        "bme280@",
        "bme680@i2c-1",
        "bme280@i2c-1:0x48",
        "bme280@i2c-1:0x1000",
        "sht3x@spidev0.0",
        "bme280@spidev0.0:1",
        "mcp23s17@spidev0.0:8",
        "mcp23s17@spidev0.0:x",
        "lm75@:0x48",
        // Not an address after a bus that cannot contain ':'.
        "bme280@i2c-1:abc",
        "bme280@1:0x7g",
        "lm75@/dev/i2c-1:x48",
        "lm75@i2c-1/0x73.2:zz",
        "lm75@adapter:0xzz",
    ] {
        let e = parse_device(s).unwrap_err();
        assert_eq!(e.code, 2, "{s}: {}", e.message);
    }
}

#[test]
fn a_channel_of_a_chip_is_refused_naming_the_chip() {
    let e = parse_device("mcp23017@i2c-1:0x20#B3").unwrap_err();
    assert_eq!(e.code, 2);
    assert!(
        e.message.contains("reads whole chips") && e.message.contains("(mcp23017@i2c-1:0x20)"),
        "{}",
        e.message
    );
}

/// No waiting: the models answer at once.
struct NoDelay;
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _: u32) {}
}

/// The catalog's read of `spec` on `bus`, as `udrv read` shows it.
fn shown_i2c(spec: &str, bus: udrv_drivers::sim::SimI2cBus) -> (ChipRead, Vec<Line>) {
    let spec: ChipSpec = spec.parse().unwrap();
    let r = catalog::read_i2c(&spec, bus, &mut NoDelay, &mut Sequence::new(), UNIX_EPOCH).unwrap();
    let l = lines(spec.kind(), &r);
    (r, l)
}

/// The address of the I2C chip `spec` names.
fn address(spec: &str) -> u8 {
    match parse_device(spec).unwrap().spec.location() {
        Location::I2c { address, .. } => *address,
        Location::Spi { .. } | Location::W1 { .. } => panic!("{spec} is not on I2C"),
    }
}

fn value(lines: &[Line], name: &str) -> Value {
    lines
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
        .value
        .clone()
}

#[test]
fn bh1750_one_time_h_resolution() {
    use udrv_drivers::bh1750::model::Bh1750Model;
    use udrv_drivers::Illuminance;
    let bus = udrv_drivers::sim::SimI2cBus::new();
    let spec = "bh1750@i2c-1:0x5c";
    let m = bus.attach(address(spec), Bh1750Model::new());
    m.lock().set_illuminance(Illuminance(500_000));
    let (r, l) = shown_i2c(spec, bus);
    // 500 lx is a count of 600 at MTreg 69, and 600 / 1.2 = 500.0 lx.
    assert_eq!(value(&l, "illuminance"), Value::Number(500.0, 1));
    assert_eq!(l[0].unit, "lx");
    assert!(
        !r.identity.is_identified(),
        "a BH1750 has no ID: {:?}",
        r.identity
    );
    let m = m.lock();
    assert_eq!((m.measurements(), m.data(), m.mtreg()), (1, 600, 69));
    assert!(m.is_powered_down() && !m.is_continuous(), "one-time mode");
}

#[test]
fn shtc3_normal_mode_then_sleep() {
    use udrv_drivers::shtc3::model::Shtc3Model;
    use udrv_drivers::{Humidity, Temperature};
    let bus = udrv_drivers::sim::SimI2cBus::new();
    let m = bus.attach(address("shtc3@i2c-1"), Shtc3Model::new());
    m.lock().set_temperature(Temperature(-10_000));
    m.lock().set_humidity(Humidity(33_300));
    let (r, l) = shown_i2c("shtc3@i2c-1", bus.clone());
    let Value::Number(t, 2) = value(&l, "temperature") else {
        panic!("{l:?}")
    };
    assert!((t + 10.0).abs() < 0.005, "{t}");
    assert_eq!(value(&l, "humidity").to_string(), "33.3");
    // Identified by its ID register (a command).
    assert!(r.identity.is_identified(), "{:?}", r.identity);
    assert_eq!(m.lock().measurements(), (1, 0), "one, in normal mode");
    assert!(m.lock().is_asleep(), "put back to sleep");
    // A sleeping SHTC3 is woken by the next read.
    shown_i2c("shtc3@i2c-1", bus);
}

#[test]
fn mcp23s17_pins_like_mcp23017() {
    use udrv_drivers::mcp23s17::{self, model::Mcp23s17Model};
    let read = |spec: &str, spi| {
        let spec: ChipSpec = spec.parse().unwrap();
        let r =
            catalog::read_spi(&spec, spi, &mut NoDelay, &mut Sequence::new(), UNIX_EPOCH).unwrap();
        lines(ChipKind::Mcp23s17, &r)
    };
    let (spi, m) = udrv_drivers::sim::SimSpiDevice::new(Mcp23s17Model::new(0));
    m.lock().set_input(0, Some(true));
    m.lock().set_input(15, Some(true));
    let l = read("mcp23s17@spidev0.0", spi);
    assert_eq!(
        value(&l, "gpioa").to_string(),
        "0b00000001 (inputs 0b11111111)"
    );
    assert_eq!(
        value(&l, "gpiob").to_string(),
        "0b10000000 (inputs 0b11111111)"
    );
    // An MCP23S17 with HAEN on and other address pins ignores address 0: all 1s.
    let (spi, m) = udrv_drivers::sim::SimSpiDevice::new(Mcp23s17Model::new(5));
    let mut io = mcp23s17::Mcp23s17::new(spi.clone(), 5);
    io.set_iocon(mcp23s17::Iocon {
        hardware_address: true,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(m.lock().answers_address(), 5);
    let l = read("mcp23s17@spidev0.0", spi.clone());
    assert_eq!(
        value(&l, "gpioa").to_string(),
        "0b11111111 (inputs 0b11111111)"
    );
    // Named by its address, it answers.
    m.lock().set_input(3, Some(true));
    let l = read("mcp23s17@spidev0.0:5", spi);
    assert_eq!(
        value(&l, "gpioa").to_string(),
        "0b00001000 (inputs 0b11111111)"
    );
    assert_eq!(
        text_lines("x", 1, &l[..1]),
        "x  gpioa         0b00001000 (inputs 0b11111111)\n"
    );
}

#[test]
fn pca9685_frequency_state_and_duty_cycles() {
    use udrv_drivers::pca9685::{model::Pca9685Model, Pca9685};
    let spec = "pca9685@i2c-1:0x41";
    let bus = udrv_drivers::sim::SimI2cBus::new();
    Pca9685Model::new(address(spec)).attach(&bus);
    let mut pwm = Pca9685::new(bus.clone(), address(spec));
    pwm.set_prescale(121).unwrap();
    pwm.wake().unwrap();
    pwm.set_channel(0, 0, 2048).unwrap();
    pwm.set_channel_full_on(3).unwrap();
    let (_, l) = shown_i2c(spec, bus);
    // 25 MHz / (4096 * 122) = 50.03 Hz.
    assert_eq!(
        text_lines("p", 1, &l),
        "p  frequency     50.0 Hz\n\
         p  state         running\n\
         p  channels      ch0=50.0% ch3=100.0%\n"
    );
    assert_eq!(
        format::json_readings(&l)["channels"],
        serde_json::json!({"value": {"ch0": 50.0, "ch3": 100.0}, "unit": "%"})
    );
}

#[test]
fn an_rtc_at_first_power_up_says_its_time_is_not_valid() {
    use udrv_drivers::ds1307::model::Ds1307Model;
    let spec = "ds1338@i2c-1";
    let bus = udrv_drivers::sim::SimI2cBus::new();
    bus.attach(address(spec), Ds1307Model::ds1338());
    let (r, l) = shown_i2c(spec, bus);
    let control = r.raw("control").unwrap().bytes[0];
    assert_eq!(
        text_lines("d", 1, &l),
        format!(
            "d  time          2000-01-01 00:00:00 (clock halted: set the time to start it) \
             (oscillator stopped: time not valid)\n\
             d  control       {control:#04x}\n"
        )
    );
    assert_eq!(
        format::json_readings(&l)["control"],
        serde_json::json!({ "value": control })
    );
}
