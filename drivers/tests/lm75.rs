//! LM75 / TMP102: byte-exact mock tests, datasheet tables, and driver against model.

mod common;
use common::block_on;
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::lm75::*;
use udrv_drivers::Temperature;

// Register map declared again, from the LM75B / TMP102 datasheets.
const TEMP: u8 = 0x00;
const CONF: u8 = 0x01;
const THYST_TLOW: u8 = 0x02;
const TOS_THIGH: u8 = 0x03;
const ADDR: u8 = 0x48;

fn mc(t: Temperature) -> i32 {
    t.as_millicelsius()
}

#[test]
fn lm75_table_9_bit() {
    // LM75B datasheet (TI SNOS...), §7.3.1 table "Temperature Data Format", 9-bit values
    // in D15..D7: +125 °C = 0FAh, +25 = 032h, +0.5 = 001h, 0 = 000h, -0.5 = 1FFh,
    // -25 = 1CEh, -55 = 192h.
    let table: [(u16, i32); 7] = [
        (0x0FA, 125_000),
        (0x032, 25_000),
        (0x001, 500),
        (0x000, 0),
        (0x1FF, -500),
        (0x1CE, -25_000),
        (0x192, -55_000),
    ];
    for (nine, milli) in table {
        let reg = nine << 7;
        assert_eq!(mc(decode_temperature(reg, 9)), milli, "{nine:03x}");
        assert_eq!(
            encode_temperature(Temperature(milli), 9),
            Some(reg),
            "{milli}"
        );
    }
    assert_eq!(encode_temperature(Temperature(128_000), 9), None);
    assert_eq!(encode_temperature(Temperature(-128_500), 9), None);
}

#[test]
fn tmp102_tables() {
    // TMP102 datasheet §7.3.1 table 7-1 (12-bit) and table 7-2 (13-bit, extended mode).
    let twelve: [(u16, i32); 11] = [
        (0x7FF, 127_938), // 127.9375 °C, rounded to the nearest m°C
        (0x640, 100_000),
        (0x500, 80_000),
        (0x4B0, 75_000),
        (0x320, 50_000),
        (0x190, 25_000),
        (0x004, 250),
        (0x000, 0),
        (0xFFC, -250),
        (0xE70, -25_000),
        (0xC90, -55_000),
    ];
    for (v, milli) in twelve {
        assert_eq!(mc(tmp102_decode(v << 4)), milli, "{v:03x}");
    }
    let thirteen: [(u16, i32); 5] = [
        (0x0960, 150_000),
        (0x0800, 128_000),
        (0x07FF, 127_938),
        (0x1FFC, -250),
        (0x1C90, -55_000),
    ];
    for (v, milli) in thirteen {
        assert_eq!(mc(tmp102_decode((v << 3) | 1)), milli, "{v:04x}");
    }
}

#[test]
fn lm75_mock_bytes() {
    let ex = [
        T::write_read(ADDR, vec![TEMP], vec![0xE7, 0x00]),
        T::write(ADDR, vec![CONF, 0b0001_0110]),
        T::write_read(ADDR, vec![CONF], vec![0b0000_0001]),
        T::write(ADDR, vec![TOS_THIGH, 0x50, 0x80]),
        T::write(ADDR, vec![THYST_TLOW, 0xFF, 0x80]),
        T::write_read(ADDR, vec![TOS_THIGH], vec![0x4B, 0x00]),
        T::write_read(ADDR, vec![TEMP], vec![0x19, 0x60]),
    ];
    let mut m = Mock::new(&ex);
    let mut d = Lm75::new(m.clone(), ADDR);
    assert_eq!(mc(d.temperature().unwrap()), -25_000);
    d.set_config(Lm75Config {
        shutdown: false,
        os_mode: OsMode::Interrupt,
        os_polarity: OsPolarity::ActiveHigh,
        fault_queue: FaultQueue::Four,
    })
    .unwrap();
    assert!(d.config().unwrap().shutdown);
    d.set_os_temperature(Temperature(80_500)).unwrap();
    d.set_hysteresis(Temperature(-500)).unwrap();
    assert_eq!(mc(d.os_temperature().unwrap()), 75_000);
    // 11 bits: 0x1960 = 25.375 °C
    let mut d = d.release();
    let mut d11 = Lm75::new(&mut d, ADDR).with_resolution(Resolution::Bits11);
    assert_eq!(mc(d11.temperature().unwrap()), 25_375);
    m.done();
}

#[test]
fn lm75_async_and_errors() {
    let nack = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);
    let ex = [
        T::write_read(ADDR, vec![TEMP], vec![0x7D, 0x00]),
        T::write_read(ADDR, vec![TEMP], vec![0, 0]).with_error(nack),
        T::write(ADDR, vec![CONF, 0x01]).with_error(ErrorKind::Bus),
    ];
    let mut m = Mock::new(&ex);
    let mut d = Lm75::new(m.clone(), ADDR);
    assert_eq!(mc(block_on(d.temperature_async()).unwrap()), 125_000);
    assert_eq!(block_on(d.temperature_async()), Err(Error::Bus(nack)));
    let c = Lm75Config {
        shutdown: true,
        ..Default::default()
    };
    assert_eq!(d.set_config(c), Err(Error::Bus(ErrorKind::Bus)));
    // Out of range: rejected before touching the bus.
    assert_eq!(
        d.set_os_temperature(Temperature(130_000)),
        Err(Error::InvalidInput)
    );
    m.done();
}

#[test]
fn tmp102_mock_bytes() {
    let ex = [
        T::write_read(ADDR, vec![TEMP], vec![0x19, 0x00]),
        // extended, 8 Hz, interrupt, active high, fault queue 6, not shut down
        T::write(ADDR, vec![CONF, 0b0001_1110, 0b1101_0000]),
        T::write_read(ADDR, vec![TEMP], vec![0x4B, 0x01]),
        T::write(ADDR, vec![THYST_TLOW, 0x25, 0x80]),
        T::write(ADDR, vec![TOS_THIGH, 0x4B, 0x00]),
        T::write_read(ADDR, vec![CONF], vec![0x60, 0xA0]),
        T::write_read(ADDR, vec![CONF], vec![0x60, 0xA0]),
        T::write_read(ADDR, vec![CONF], vec![0x60, 0x80]),
        T::write(ADDR, vec![CONF, 0b1000_0001, 0b1000_0000]),
    ];
    let mut m = Mock::new(&ex);
    let mut d = Tmp102::new(m.clone(), ADDR);
    assert_eq!(mc(d.temperature().unwrap()), 25_000);
    let cfg = Tmp102Config {
        shutdown: false,
        thermostat: OsMode::Interrupt,
        polarity: OsPolarity::ActiveHigh,
        fault_queue: FaultQueue::Six,
        conversion_rate: ConversionRate::Hz8,
        extended: true,
    };
    block_on(d.set_config_async(cfg)).unwrap();
    // 13-bit: 0x4B01 >> 3 = 0x960 = 150 °C
    assert_eq!(mc(d.temperature().unwrap()), 150_000);
    // In extended mode thresholds are 13-bit: 75 °C = 0x4B0 << 3 = 0x2580; 150 °C = 0x4B00.
    d.set_thresholds(Temperature(75_000), Temperature(150_000))
        .unwrap();
    let c = d.config().unwrap();
    assert_eq!(c.conversion_rate, ConversionRate::Hz4);
    assert!(!c.extended);
    assert!(!d.alert_active().unwrap()); // AL = 1 with POL = 0: no alert
    assert!(d.alert_active().unwrap()); // AL = 0 with POL = 0: alert
    d.one_shot(Tmp102Config {
        shutdown: true,
        ..Default::default()
    })
    .unwrap();
    m.done();
}

#[test]
fn tmp102_one_shot_bytes() {
    use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as D};
    // TMP102 datasheet §7.5.3: in shutdown mode (SD, byte 1 bit 0) writing OS = 1 (byte 1
    // bit 7) starts one conversion; OS reads 0 while it runs and 1 once it is done. R1 R0
    // (byte 1 bits 6:5) read 11; CR = 10 (4 Hz) in byte 2 bits 7:6.
    let sd_start = vec![CONF, 0b1000_0001, 0b1000_0000];
    let converting = vec![0b0110_0001, 0b1000_0000];
    let done = vec![0b1110_0001, 0b1000_0000];
    let mut ex = vec![
        T::write(ADDR, sd_start.clone()),
        T::write_read(ADDR, vec![CONF], converting.clone()),
        T::write_read(ADDR, vec![CONF], converting.clone()),
        T::write_read(ADDR, vec![CONF], done.clone()),
        T::write_read(ADDR, vec![TEMP], vec![0x19, 0x00]),
        T::write(ADDR, sd_start.clone()),
        T::write_read(ADDR, vec![CONF], done.clone()),
        T::write_read(ADDR, vec![TEMP], vec![0xE7, 0x00]),
        T::write_read(ADDR, vec![CONF], vec![0x60, 0xA0]),
        T::write(ADDR, sd_start.clone()),
    ];
    // Never ready: 8 polls 5 ms apart (40 ms, over the 35 ms maximum conversion time).
    ex.extend((0..8).map(|_| T::write_read(ADDR, vec![CONF], converting.clone())));
    ex.push(T::write(ADDR, sd_start).with_error(ErrorKind::Bus));
    let mut m = Mock::new(&ex);
    let mut delay = CheckedDelay::new(&[
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
        D::blocking_delay_us(5_000),
    ]);
    let mut d = Tmp102::new(m.clone(), ADDR);
    let sd = Tmp102Config {
        shutdown: true,
        ..Default::default()
    };
    // Table 8-2: 0x190 = 25 °C, 0xE70 = -25 °C.
    assert_eq!(mc(d.measure_one_shot(sd, &mut delay).unwrap()), 25_000);
    let t = block_on(d.measure_one_shot_async(sd, &mut NoopDelay)).unwrap();
    assert_eq!(mc(t), -25_000);
    assert!(
        !block_on(d.conversion_ready_async()).unwrap(),
        "power-on 0x60A0"
    );
    assert_eq!(d.measure_one_shot(sd, &mut delay), Err(Error::Timeout));
    assert_eq!(
        d.measure_one_shot(sd, &mut delay),
        Err(Error::Bus(ErrorKind::Bus))
    );
    delay.done();
    m.done();
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use udrv_drivers::lm75::model::{Lm75Model, Tmp102Model};

    #[test]
    fn lm75_against_model_full_range() {
        let (bus, chip) = common::sim_bus(ADDR, Lm75Model::lm75());
        let mut d = Lm75::new(bus.clone(), ADDR);
        // Every 0.5 °C step of the datasheet range -55..=125 °C, plus off-grid values
        // that the chip truncates toward minus infinity.
        for half in -110..=250 {
            chip.lock().set_temperature(Temperature(half * 500));
            assert_eq!(mc(d.temperature().unwrap()), half * 500);
            chip.lock().set_temperature(Temperature(half * 500 + 499));
            assert_eq!(mc(block_on(d.temperature_async()).unwrap()), half * 500);
        }
        let chip11 = bus.attach(0x49, Lm75Model::lm75a());
        let mut d11 = Lm75::new(bus.clone(), 0x49).with_resolution(Resolution::Bits11);
        for eighth in (-440..=1000).step_by(7) {
            chip11.lock().set_temperature(Temperature(eighth * 125));
            assert_eq!(mc(d11.temperature().unwrap()), eighth * 125);
        }
    }

    #[test]
    fn lm75_config_and_thresholds_in_model() {
        let (bus, chip) = common::sim_bus(ADDR, Lm75Model::lm75());
        let mut d = Lm75::new(bus.clone(), ADDR);
        // Power-on values (LM75B §7.5): T_OS 80 °C, T_HYST 75 °C, config 0.
        assert_eq!(mc(d.os_temperature().unwrap()), 80_000);
        assert_eq!(mc(d.hysteresis().unwrap()), 75_000);
        assert_eq!(d.config().unwrap(), Lm75Config::default());
        d.set_config(Lm75Config {
            shutdown: false,
            os_mode: OsMode::Comparator,
            os_polarity: OsPolarity::ActiveLow,
            fault_queue: FaultQueue::Two,
        })
        .unwrap();
        assert_eq!(chip.lock().conf(), 0b0000_1000);
        d.set_os_temperature(Temperature(-10_500)).unwrap();
        d.set_hysteresis(Temperature(-20_000)).unwrap();
        assert_eq!(chip.lock().thresholds(), (0xEC00, 0xF580));
        assert_eq!(mc(d.os_temperature().unwrap()), -10_500);
    }

    #[test]
    fn lm75_os_pin_comparator_and_interrupt() {
        let (bus, chip) = common::sim_bus(ADDR, Lm75Model::lm75());
        let os = chip.lock().os_pin();
        let mut d = Lm75::new(bus.clone(), ADDR);
        d.set_os_temperature(Temperature(30_000)).unwrap();
        d.set_hysteresis(Temperature(25_000)).unwrap();
        let set = |t: i32| chip.lock().set_temperature(Temperature(t));
        set(29_000);
        assert!(os.is_high());
        set(30_000);
        assert!(os.is_low(), "active low above T_OS");
        set(26_000);
        assert!(os.is_low(), "hysteresis keeps it active");
        set(24_500);
        assert!(os.is_high());
        // Interrupt mode, active high: an event stays until a register is read.
        d.set_config(Lm75Config {
            os_mode: OsMode::Interrupt,
            os_polarity: OsPolarity::ActiveHigh,
            ..Default::default()
        })
        .unwrap();
        assert!(os.is_low());
        set(31_000);
        assert!(os.is_high());
        d.temperature().unwrap();
        assert!(os.is_low(), "cleared by the read");
        set(20_000);
        assert!(os.is_high(), "below T_HYST is the next event");
    }

    #[test]
    fn tmp102_against_model() {
        let (bus, chip) = common::sim_bus(ADDR, Tmp102Model::new());
        let mut d = Tmp102::new(bus.clone(), ADDR);
        assert_eq!(d.config().unwrap(), Tmp102Config::default());
        for n in (-880i32..=2047).step_by(3) {
            // Feed n counts of 62.5 m°C (rounded up so the chip's truncation lands on n);
            // expect them rounded half away from zero.
            chip.lock()
                .set_temperature(Temperature((n * 625 + 9).div_euclid(10)));
            let expect = if n >= 0 {
                (n * 625 + 5) / 10
            } else {
                (n * 625 - 5) / 10
            };
            assert_eq!(mc(d.temperature().unwrap()), expect, "n = {n}");
        }
        let cfg = Tmp102Config {
            extended: true,
            ..Default::default()
        };
        d.set_config(cfg).unwrap();
        assert_eq!(chip.lock().conf() & 0x0010, 0x0010);
        chip.lock().set_temperature(Temperature(140_000));
        assert_eq!(mc(d.temperature().unwrap()), 140_000);
        // Shutdown + one-shot converts exactly once.
        let sd = Tmp102Config {
            shutdown: true,
            ..cfg
        };
        d.set_config(sd).unwrap();
        let before = chip.lock().conversions();
        chip.lock().set_temperature(Temperature(-40_000));
        assert_eq!(
            mc(d.temperature().unwrap()),
            140_000,
            "shut down: no conversion"
        );
        d.one_shot(sd).unwrap();
        assert_eq!(chip.lock().conversions(), before + 1);
        assert_eq!(mc(d.temperature().unwrap()), -40_000);
    }

    #[test]
    fn tmp102_alert() {
        let (bus, chip) = common::sim_bus(ADDR, Tmp102Model::new());
        let pin = chip.lock().alert_pin();
        let mut d = Tmp102::new(bus.clone(), ADDR);
        d.set_thresholds(Temperature(20_000), Temperature(22_000))
            .unwrap();
        assert_eq!(mc(d.thresholds().unwrap().1), 22_000);
        chip.lock().set_temperature(Temperature(23_000));
        assert!(d.alert_active().unwrap());
        assert!(pin.is_low());
        chip.lock().set_temperature(Temperature(19_000));
        assert!(!d.alert_active().unwrap());
        assert!(pin.is_high());
    }

    #[test]
    fn tmp102_one_shot_against_model() {
        use embedded_hal_mock::eh1::delay::NoopDelay;
        let (bus, chip) = common::sim_bus(ADDR, Tmp102Model::new());
        let mut d = Tmp102::new(bus.clone(), ADDR);
        // Continuous conversion after power-on: OS reads 0 (config 0x60A0).
        assert!(!d.conversion_ready().unwrap());
        chip.lock().set_temperature(Temperature(21_000));
        let sd = Tmp102Config {
            shutdown: true,
            ..Default::default()
        };
        d.set_config(sd).unwrap();
        chip.lock().set_temperature(Temperature(-12_500));
        chip.lock().set_one_shot_reads(2);
        let before = chip.lock().conversions();
        d.one_shot(sd).unwrap();
        assert!(chip.lock().is_converting());
        assert!(
            !d.conversion_ready().unwrap(),
            "OS reads 0 while converting"
        );
        assert!(!block_on(d.conversion_ready_async()).unwrap());
        assert_eq!(mc(d.temperature().unwrap()), 21_000, "not converted yet");
        assert!(d.conversion_ready().unwrap(), "OS reads 1 when done");
        assert_eq!(chip.lock().conversions(), before + 1);
        assert_eq!(chip.lock().conf() & 0x0100, 0x0100, "back in shutdown");
        assert_eq!(mc(d.temperature().unwrap()), -12_500);
        assert!(
            d.conversion_ready().unwrap(),
            "stays 1 until the next one-shot"
        );
        // The whole sequence, blocking and async.
        chip.lock().set_temperature(Temperature(55_000));
        assert_eq!(mc(d.measure_one_shot(sd, &mut NoopDelay).unwrap()), 55_000);
        chip.lock().set_temperature(Temperature(-30_000));
        let t = block_on(d.measure_one_shot_async(sd, &mut NoopDelay)).unwrap();
        assert_eq!(mc(t), -30_000);
        // A conversion slower than the polling budget times out.
        chip.lock().set_one_shot_reads(50);
        chip.lock().set_temperature(Temperature(0));
        assert_eq!(d.measure_one_shot(sd, &mut NoopDelay), Err(Error::Timeout));
        // Leaving shutdown: continuous conversions, OS reads 0 again.
        d.set_config(Tmp102Config::default()).unwrap();
        assert!(!d.conversion_ready().unwrap());
        assert!(!chip.lock().is_converting());
    }
}
