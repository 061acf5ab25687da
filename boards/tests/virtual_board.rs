//! The virtual board: every chip read through its driver over the simulated buses, inputs
//! set through the models' handles and through the environment, the heater relay warming
//! the room, GPIO wiring of the MCP23017's INTA to `GPIO17`, the PCA9685's all-call address
//! moved off the SHTC3's 0x70, and the `Board` trait.

use std::time::Duration;

use embedded_hal::digital::OutputPin;
use embedded_hal::i2c::I2c;
use udrv_boards::r#virtual::{
    Environment, LineRole, Peripherals, StdDelay, VirtualBoard, CHIPS, EEPROM_ID,
    INA219_SHUNT_MICRO_OHM, MCP23S17_DIP, PCA9685_ALL_CALL,
};
use udrv_boards::{Board, BoardId, Error, PinSpec};
use udrv_drivers::ads1x1x::{Ads1x1x, Channel, FullScale, Variant};
use udrv_drivers::at24::{self, At24};
use udrv_drivers::bh1750::{Bh1750, Resolution};
use udrv_drivers::bme280::{Bme280, Config};
use udrv_drivers::ds3231::Ds3231;
use udrv_drivers::ina219::Ina219;
use udrv_drivers::lm75::Lm75;
use udrv_drivers::max31855::{self, Max31855};
use udrv_drivers::mcp23017::Mcp23017;
use udrv_drivers::mcp23s17::Mcp23s17;
use udrv_drivers::mcp3x08::{Input, Mcp3x08, Variant as AdcVariant};
use udrv_drivers::pca95xx::Pca95xx;
use udrv_drivers::pca9685::Pca9685;
use udrv_drivers::sht3x::{Repeatability, Sht3x};
use udrv_drivers::shtc3::{PowerMode, Shtc3};
use udrv_drivers::sim::block_on;
use udrv_drivers::{Current, Humidity, Pressure, Temperature, Voltage};

fn board() -> VirtualBoard {
    VirtualBoard::at(Duration::from_secs(100))
}

fn bme280_celsius(b: &VirtualBoard) -> f32 {
    let mut s = Bme280::new_i2c(b.open_i2c("i2c-1").unwrap(), 0x76);
    s.init().unwrap();
    s.set_config(Config::default()).unwrap();
    // A real delay: the board's own would move its manual clock.
    s.measure_forced(&mut StdDelay)
        .unwrap()
        .temperature
        .as_celsius_f32()
}

#[test]
fn every_chip_reads_what_the_environment_says() {
    let b = board();
    let c = b.environment().conditions();
    let i2c = b.open_i2c("i2c-1").unwrap();
    // Real delays keep the manual clock (and so `c`) where it is.
    let mut d = StdDelay;

    let mut bme = Bme280::new_i2c(i2c.clone(), 0x76);
    bme.init().unwrap();
    bme.set_config(Config::default()).unwrap();
    let m = bme.measure_forced(&mut d).unwrap();
    // Compensation rounds to 0.01 °C, 1/1024 %RH and 1/256 Pa.
    assert!(
        (m.temperature.0 - c.temperature.0).abs() <= 10,
        "{m:?} vs {c:?}"
    );
    assert!((m.humidity.unwrap().0 as i32 - c.humidity.0 as i32).abs() <= 100);
    assert!((m.pressure.unwrap().as_pascal() as i32 - c.pressure.as_pascal() as i32).abs() <= 2);

    let s = Sht3x::new(i2c.clone(), 0x44)
        .measure(Repeatability::High, &mut d)
        .unwrap();
    assert!((s.temperature.0 - (c.temperature.0 + 300)).abs() <= 5);
    assert!((s.humidity.0 as i32 - (c.humidity.0 as i32 + 1_500)).abs() <= 5);

    let t = Lm75::new(i2c.clone(), 0x4f).temperature().unwrap();
    assert!(t.0 <= c.board_temperature.0 && c.board_temperature.0 - t.0 < 500);

    let mut adc = Ads1x1x::new(i2c.clone(), 0x48, Variant::Ads1115);
    adc.set_full_scale(FullScale::V4_096).unwrap();
    for (i, ch) in [
        Channel::SingleA0,
        Channel::SingleA1,
        Channel::SingleA2,
        Channel::SingleA3,
    ]
    .into_iter()
    .enumerate()
    {
        let v = adc.measure(ch, &mut d).unwrap();
        assert!(
            (v.0 - c.adc[i].0).abs() <= 125,
            "AIN{i}: {v:?} vs {:?}",
            c.adc[i]
        );
    }

    let mut ina = Ina219::new(i2c.clone(), 0x40);
    let bus = ina.bus_voltage().unwrap().voltage;
    assert!((bus.0 - c.bus_voltage.0).abs() <= 4_000);
    let shunt = ina.shunt_voltage().unwrap();
    let expected_uv = c.current.0 as i64 * INA219_SHUNT_MICRO_OHM as i64 / 1_000_000;
    assert!((shunt.0 as i64 - expected_uv).abs() <= 10);

    let mut rtc = Ds3231::new(i2c.clone());
    assert!(
        !rtc.oscillator_stopped().unwrap(),
        "set from the host clock"
    );
    let now = rtc.datetime().unwrap();
    // Board time 100 s: 2000-01-01 00:01:40, plus the few ms the reads took.
    assert_eq!(
        (now.year, now.month, now.day, now.hour, now.minute, now.second),
        (2000, 1, 1, 0, 1, 40)
    );
    let rt = rtc.temperature().unwrap();
    assert!((rt.0 - (c.temperature.0 + 1_000)).abs() <= 250);

    let mut id = [0u8; EEPROM_ID.len()];
    At24::new(i2c.clone(), 0x50, at24::Variant::AT24C32)
        .read(0, &mut id)
        .unwrap();
    assert_eq!(&id, EEPROM_ID);

    let mut pwm = Pca9685::new(i2c.clone(), 0x41);
    assert_eq!(pwm.prescale().unwrap(), 0x1e);

    let mut io = Mcp23017::new(i2c.clone(), 0x20);
    assert_eq!(io.read_gpio().unwrap(), 0, "floating, no pull-ups: low");

    let mut dip = Pca95xx::pca9554(i2c.clone(), 0x21);
    assert_eq!(
        dip.read_inputs().unwrap(),
        0b1010_1111,
        "switches on IO4, IO6 pull low"
    );

    // H-resolution at MTreg 69: a count per 1/1.2 lx, so within 0.42 lx of the light.
    let mut light = Bh1750::new(i2c.clone(), 0x23);
    light.power_on().unwrap();
    let lux = light.measure_one_time(Resolution::High, &mut d).unwrap();
    assert!(
        (lux.0 as i64 - c.illuminance.0 as i64).abs() <= 417,
        "{lux:?} vs {:?}",
        c.illuminance
    );
    assert!((30_000..=800_000).contains(&c.illuminance.0));

    // The SHTC3 is by the door: 0.2 °C cooler, 1 %RH drier than the room.
    let mut shtc3 = Shtc3::new(i2c);
    shtc3.wakeup().unwrap();
    assert!(udrv_drivers::shtc3::is_shtc3_id(shtc3.read_id().unwrap()));
    let m = shtc3.measure(PowerMode::Normal, &mut d).unwrap();
    assert!(
        (m.temperature.0 - (c.temperature.0 - 200)).abs() <= 3,
        "{m:?} vs {c:?}"
    );
    assert!((m.humidity.0 as i32 - (c.humidity.0 as i32 - 1_000)).abs() <= 2);

    let mut io = Mcp23s17::new(b.open_spi(1, 2).unwrap(), 0);
    assert_eq!(
        io.read_pair(udrv_drivers::mcp23s17::Reg::Iodir).unwrap(),
        0xffff
    );
    assert_eq!(
        io.read_gpio().unwrap(),
        u16::from(MCP23S17_DIP) << 8,
        "the DIP switch on GPB0-GPB3, the rest floating low"
    );

    let mut adc = Mcp3x08::new(b.open_spi(0, 0).unwrap(), AdcVariant::Mcp3008, 3_300_000);
    for ch in 0..8u8 {
        let v = adc.read_voltage(Input::Single(ch)).unwrap();
        // One 10-bit step of 3.3 V is 3.2 mV.
        assert!(
            (v.0 - c.spi_adc[ch as usize].0).abs() <= 3_300,
            "CH{ch}: {v:?}"
        );
    }

    let tc = Max31855::new(b.open_spi(0, 1).unwrap()).read().unwrap();
    assert!((tc.thermocouple.0 - c.thermocouple.0).abs() <= 250);
    assert!((tc.internal.0 - c.cold_junction.0).abs() <= 63);

    let mut out = Bme280::new_spi(b.open_spi(1, 0).unwrap());
    out.init().unwrap();
    out.set_config(Config::default()).unwrap();
    let o = out.measure_forced(&mut d).unwrap();
    assert!((o.temperature.0 - c.outdoor_temperature.0).abs() <= 10);

    // A broken thermocouple (the environment would not undo it: it sets temperatures).
    b.chips().max31855.lock().set_faults(true, false, false);
    assert!(matches!(
        Max31855::new(b.open_spi(0, 1).unwrap()).read(),
        Err(max31855::Error::Fault(f, _)) if f.open_circuit
    ));
}

#[test]
fn readings_change_with_time_and_repeat_at_the_same_time() {
    let b = board();
    let first = bme280_celsius(&b);
    assert_eq!(bme280_celsius(&b), first, "manual clock: nothing moves");
    b.environment().advance(Duration::from_secs(60));
    let later = bme280_celsius(&b);
    assert_ne!(later, first);
    let again = VirtualBoard::at(Duration::from_secs(160));
    assert_eq!(bme280_celsius(&again), later, "a function of time only");
}

#[test]
fn held_values_reach_every_sensor_of_the_room() {
    let b = board();
    b.environment()
        .hold_temperature(Some(Temperature::from_millicelsius(-12_340)));
    b.environment()
        .hold_humidity(Some(Humidity::from_millipercent(80_000)));
    b.environment()
        .hold_pressure(Some(Pressure::from_q24_8_pascal(95_000 * 256)));
    b.environment()
        .hold_adc(3, Some(Voltage::from_microvolts(3_000_000)));
    b.environment()
        .hold_current(Some(Current::from_microamps(2_000_000)));
    let i2c = b.open_i2c("1").unwrap();
    let mut d = StdDelay;
    assert!((bme280_celsius(&b) - -12.34).abs() < 0.011);
    let s = Sht3x::new(i2c.clone(), 0x44)
        .measure(Repeatability::High, &mut d)
        .unwrap();
    assert!((s.temperature.0 - -12_040).abs() <= 5, "{s:?}");
    assert!((s.humidity.0 as i32 - 81_500).abs() <= 5);
    let mut adc = Ads1x1x::new(i2c.clone(), 0x48, Variant::Ads1115);
    adc.set_full_scale(FullScale::V4_096).unwrap();
    let v = adc.measure(Channel::SingleA3, &mut d).unwrap();
    assert!((v.0 - 3_000_000).abs() <= 125);
    let shunt = Ina219::new(i2c, 0x40).shunt_voltage().unwrap();
    assert_eq!(shunt.0, 200_000, "2 A through 0.1 ohm");
}

#[test]
fn handles_set_inputs_when_the_environment_is_not_live() {
    let b = board();
    b.environment().set_live(false);
    b.chips()
        .lm75
        .lock()
        .set_temperature(Temperature::from_millicelsius(-25_000));
    b.chips()
        .ads1115
        .lock()
        .set_input(1, Voltage::from_microvolts(2_048_000));
    let i2c = b.open_i2c("i2c_arm").unwrap();
    assert_eq!(
        Lm75::new(i2c.clone(), 0x4f).temperature().unwrap(),
        Temperature::from_millicelsius(-25_000)
    );
    let mut adc = Ads1x1x::new(i2c.clone(), 0x48, Variant::Ads1115);
    adc.set_full_scale(FullScale::V4_096).unwrap();
    let v = adc.measure(Channel::SingleA1, &mut b.delay()).unwrap();
    assert!((v.0 - 2_048_000).abs() <= 125);
    // Live again: the environment overwrites the handle's value at the next transaction.
    b.environment().set_live(true);
    let t = Lm75::new(i2c, 0x4f).temperature().unwrap();
    assert!(t.0 > 20_000, "{t:?}");
}

#[test]
fn the_heater_relay_warms_the_room() {
    let b = board();
    let cold = bme280_celsius(&b);
    let mut relay = b.open_output(PinSpec::Name("GPIO27"), false).unwrap();
    assert!(!b.environment().heater_on());
    relay.set_high().unwrap();
    assert!(relay.is_set_high());
    assert!(b.environment().heater_on());
    assert!(b.level(13).unwrap(), "pin 13 is GPIO27");
    b.sleep(Duration::from_secs(120));
    let warm = bme280_celsius(&b);
    let ambient = bme280_celsius(&VirtualBoard::at(Duration::from_secs(220)));
    // 9 °C * (1 - e^(-120/150)) = 4.96 °C above ambient.
    assert!(
        (warm - ambient - 4.96).abs() < 0.05,
        "cold {cold}, warm {warm}, ambient {ambient}"
    );
    let amps = Ina219::new(b.open_i2c("i2c-1").unwrap(), 0x40)
        .shunt_voltage()
        .unwrap()
        .0 as f32
        / 100_000.0;
    assert!(amps > 1.5, "the heater draws current: {amps} A");
}

#[test]
fn mcp23017_inta_reaches_gpio17_as_an_edge() {
    let b = board();
    let mut io = Mcp23017::new(b.open_i2c("i2c-1").unwrap(), 0x20);
    io.set_pullups(0x000f).unwrap();
    io.set_interrupts(0x000f, 0, 0).unwrap();
    let mut int = b.open_input(PinSpec::Physical(11)).unwrap();
    assert!(int.is_high(), "INTA idles high (active low)");
    let (_, falls) = int.edges();
    let presser = b.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        presser.set_button(2, true);
    });
    let ev = block_on(io.next_interrupt_async(&mut int)).unwrap();
    t.join().unwrap();
    assert_eq!(ev.flags, 1 << 2, "GPA2 caused it");
    assert_eq!(ev.captured & 0x000f, 0b1011, "GPA2 captured low");
    assert_eq!(int.edges().1, falls + 1, "one falling edge on GPIO17");
    assert!(int.is_high(), "reading INTCAP released INTA");
}

#[test]
fn board_trait_names_pins_and_buses_like_a_pi() {
    let b = board();
    assert_eq!(b.id(), BoardId::Virtual);
    let p = b.header_pin(PinSpec::Physical(11)).unwrap();
    assert_eq!(p.name, "GPIO17");
    assert_eq!(p.functions[0], "MCP23017 INTA");
    assert_eq!(b.header_pins().len(), 40);
    assert!(matches!(b.i2c("i2c_arm"), Err(Error::Unsupported { .. })));
    assert!(matches!(b.i2c("i2c-7"), Err(Error::UnknownBus { .. })));
    assert!(matches!(b.pin(11), Err(Error::Unsupported { .. })));
    assert!(matches!(b.spi(1, 0), Err(Error::Unsupported { .. })));
    assert!(matches!(b.spi(2, 0), Err(Error::UnknownBus { .. })));
    let info = b.info();
    let i2c = &info.buses[0];
    assert!(i2c.enabled);
    assert!(i2c.note.as_deref().unwrap().contains("bme280 @0x76"));
    // Outputs only where the board has outputs.
    let e = b.output("GPIO17", true).unwrap_err().to_string();
    assert!(e.contains("input driven by the MCP23017 INTA"), "{e}");
    assert!(b.line("GPIO2").is_err(), "SDA is not a wired GPIO");
    assert_eq!(b.line(15).unwrap().role, LineRole::Output);
}

#[test]
fn the_pca9685_all_call_is_moved_off_the_shtc3() {
    let b = board();
    let i2c = b.open_i2c("i2c-1").unwrap();
    assert_eq!(PCA9685_ALL_CALL, 0x6f);
    assert!(i2c.addresses().contains(&PCA9685_ALL_CALL));
    // The driver's init turns all-call on (as after power-up): it answers 0x6f, not 0x70.
    let mut pwm = Pca9685::new(i2c.clone(), 0x41);
    pwm.init().unwrap();
    assert_eq!(b.chips().pca9685.lock().register(0x05), 0x6f << 1);
    let mut all = Pca9685::new(i2c.clone(), PCA9685_ALL_CALL);
    all.set_duty(3, 2048).unwrap();
    assert_eq!(
        b.chips().pca9685.lock().duty(3),
        2048,
        "all-call write at 0x6f"
    );
    // 0x70 is the SHTC3 alone: its measurement reads clean (CRC checked).
    let mut shtc3 = Shtc3::new(i2c);
    let m = shtc3.measure(PowerMode::Normal, &mut StdDelay).unwrap();
    assert!((0..40_000).contains(&m.temperature.0), "{m:?}");
    assert_eq!(b.chips().shtc3.lock().measurements(), (1, 0));
}

#[test]
fn the_light_moves_with_the_ads1115_light_sensor() {
    let b = board();
    let e = b.environment();
    let (mut lo, mut hi) = (e.conditions(), e.conditions());
    for s in 0..120 {
        e.set_elapsed(Duration::from_secs(100 + s));
        let c = e.conditions();
        if c.illuminance < lo.illuminance {
            lo = c;
        }
        if c.illuminance > hi.illuminance {
            hi = c;
        }
    }
    // One 2-minute period: from about 30 lx to about 800 lx, AIN1 dark to bright with it.
    assert!(
        lo.illuminance.0 < 31_000 && hi.illuminance.0 > 799_000,
        "{lo:?} {hi:?}"
    );
    assert!(lo.adc[1].0 < 210_000 && hi.adc[1].0 > 2_790_000);
}

#[test]
fn the_chip_list_matches_the_buses() {
    let b = board();
    let bus = b.open_i2c("i2c-1").unwrap();
    let present = bus.addresses();
    for c in CHIPS {
        let bus_name = c.bus();
        match (c.address(), bus_name.split_once('/')) {
            // Behind a switch channel: the switch is on the bus, and the chip answers on
            // that channel once it is selected.
            (Some(a), Some((parent, sw))) => {
                assert_eq!(parent, "i2c-1");
                let (s, ch) = sw.split_once('.').unwrap();
                let s = u8::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
                let ch: u8 = ch.parse().unwrap();
                assert!(present.contains(&s), "switch {s:#04x} for {}", c.chip());
                let mut i2c = bus.clone();
                i2c.write(s, &[1 << ch]).unwrap();
                let mut r = [0u8; 2];
                i2c.write_read(a, &[0], &mut r)
                    .unwrap_or_else(|e| panic!("{} at {a:#04x} behind {sw}: {e}", c.chip()));
                i2c.write(s, &[0]).unwrap();
            }
            (Some(a), None) => assert!(present.contains(&a), "{} at {a:#04x}", c.chip()),
            (None, _) => assert!(b.spi_device_by_name(&bus_name).is_ok(), "{bus_name}"),
        }
    }
    assert_eq!(
        CHIPS[0].spec(),
        "bme280@i2c-1:0x76",
        "the CLI's argument form"
    );
}

#[test]
fn virtual_delay_moves_a_manual_clock_only() {
    let b = board();
    let t0 = b.environment().elapsed();
    b.sleep(Duration::from_millis(1500));
    assert_eq!(b.environment().elapsed() - t0, Duration::from_millis(1500));
    let live = VirtualBoard::with_environment(Environment::new());
    let started = std::time::Instant::now();
    live.sleep(Duration::from_millis(30));
    assert!(
        started.elapsed() >= Duration::from_millis(30),
        "a real sleep"
    );
}

#[test]
fn the_pin_table_shows_the_wired_lines_states() {
    let b = board();
    let state = |table: &udrv_boards::PinTable, name: &str| {
        table
            .rows
            .iter()
            .find(|r| r.pin.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .state
            .clone()
            .unwrap_or_else(|| panic!("{name} has no state"))
    };
    let t = b.pin_table(true);
    // MCP23017 INTA (active low) idles high; the heater relay starts off.
    let inta = state(&t, "GPIO17");
    assert_eq!((inta.direction.as_str(), inta.value), ("in", Some(1)));
    assert_eq!(inta.chip_label, udrv_boards::r#virtual::GPIO_LABEL);
    assert_eq!(inta.offset, 17);
    let relay = state(&t, "GPIO27");
    assert_eq!((relay.direction.as_str(), relay.value), ("out", Some(0)));
    // A level driven now shows in the next table.
    let _on = b.output("GPIO27", true).unwrap();
    assert_eq!(state(&b.pin_table(true), "GPIO27").value, Some(1));
    // Without values: directions only.
    assert_eq!(state(&b.pin_table(false), "GPIO27").value, None);
    assert_eq!(state(&b.pin_table(false), "GPIO27").direction, "out");
    // Unwired GPIO pins: inputs with nothing on them (no level); power pins: no state.
    let free = state(&t, "GPIO26");
    assert_eq!((free.direction.as_str(), free.value), ("in", None));
    assert!(t
        .rows
        .iter()
        .find(|r| r.pin.name == "3V3")
        .unwrap()
        .state
        .is_none());
    let text = t.render();
    assert!(
        text.lines()
            .any(|l| l.contains("in=1") && l.contains("GPIO17")),
        "{text}"
    );
}

#[test]
fn spi_devices_answer_to_the_names_board_info_prints() {
    let b = board();
    for bus in b
        .buses()
        .iter()
        .filter(|s| s.kind == udrv_boards::BusKind::Spi)
    {
        assert!(
            b.spi_device_by_name(&bus.name).is_ok(),
            "{} (board info's name) is no SPI device",
            bus.name
        );
    }
    assert!(b.spi_device_by_name("spi0.0").is_ok());
    assert!(b.spi_device_by_name("0.0").is_ok());
    assert!(matches!(
        b.spi_device_by_name("spi7.0"),
        Err(Error::UnknownBus { .. })
    ));
}
