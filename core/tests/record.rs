//! `udrv_core::record` on the host: drivers recorded against the simulated chips of
//! `udrv-drivers` and replayed, the log format written and read, mismatches, parse errors,
//! recorded errors, several devices in one log, and `Replay::finish`.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{self, InputPin, OutputPin, StatefulOutputPin};
use embedded_hal::i2c::{self, I2c, NoAcknowledgeSource, Operation};
use embedded_hal::spi::{self, SpiDevice};
use udrv_core::record::{Error, Log, RecordedKind, Replay};
use udrv_drivers::bme280::{model::Bme280Model, Bme280};
use udrv_drivers::lm75::{model::Lm75Model, Lm75};
use udrv_drivers::mcp3x08::{model::Mcp3x08Model, Input, Mcp3x08, Variant};
use udrv_drivers::sim::fault::{Fault, Faults, FaultyI2c, FaultyPin, FaultySpi, Rule};
use udrv_drivers::sim::{block_on, SimI2cBus, SimLine, SimSpiDevice, SpiTarget};
use udrv_drivers::{Humidity, Pressure, Temperature, Voltage};

/// A delay that does not wait (the simulated chips convert at once).
struct NoDelay;

impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

/// The log's lines after the header.
fn body(log: &Log) -> Vec<String> {
    let text = log.text().expect("a memory log");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("# udrv-record 1"));
    lines.map(str::to_string).collect()
}

fn replay_of(log: &Log) -> Replay {
    Replay::parse("session.log", &log.text().unwrap()).expect("the recorded log parses")
}

// ---- round trips through real drivers ----------------------------------------------------

#[test]
fn lm75_readings_replay_identically() {
    let bus = SimI2cBus::new();
    let chip = bus.attach(0x48, Lm75Model::lm75());
    let log = Log::memory();
    let mut lm75 = Lm75::new(log.record("i2c-1", bus), 0x48);
    let mut recorded = Vec::new();
    for mc in [-55_000, -12_500, 0, 21_500, 125_000] {
        chip.lock()
            .set_temperature(Temperature::from_millicelsius(mc));
        recorded.push(lm75.temperature().unwrap());
    }
    assert_eq!(
        recorded
            .iter()
            .map(|t| t.as_millicelsius())
            .collect::<Vec<_>>(),
        [-55_000, -12_500, 0, 21_500, 125_000]
    );
    // The LM75 reads register 0 as two bytes: 21.5 °C is 0x1580.
    let lines = body(&log);
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[3], "i2c i2c-1 0x48 w 00 r 15 80");
    assert_eq!(lines[0], "i2c i2c-1 0x48 w 00 r c9 00");
    assert_eq!(log.entries(), 5);

    let replay = replay_of(&log);
    assert_eq!(replay.devices(), ["i2c-1"]);
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    for want in &recorded {
        assert_eq!(&lm75.temperature().unwrap(), want);
    }
    assert_eq!(replay.remaining(), 0);
    replay.finish().unwrap();
}

#[test]
fn bme280_over_i2c_replays_identically_without_the_chip() {
    let bus = SimI2cBus::new();
    let chip = bus.attach(0x76, Bme280Model::new());
    let log = Log::memory();
    let mut bme = Bme280::new_i2c(log.record("i2c-1", bus), 0x76);
    bme.init().unwrap();
    let mut recorded = Vec::new();
    for (t, p, h) in [
        (21_500, 101_325, 45_000),
        (-10_000, 95_000, 80_000),
        (40_000, 110_000, 10_000),
    ] {
        chip.lock().set_temperature(Temperature(t));
        chip.lock().set_pressure(Pressure(p * 256));
        chip.lock().set_humidity(Humidity(h));
        recorded.push(bme.measure_forced(&mut NoDelay).unwrap());
    }
    assert!(
        recorded[0].temperature.as_millicelsius() > 21_000,
        "{recorded:?}"
    );
    // The chip id is the first transaction of init.
    assert_eq!(body(&log)[0], "i2c i2c-1 0x76 w d0 r 60");

    let replay = replay_of(&log);
    let mut bme = Bme280::new_i2c(replay.device("i2c-1"), 0x76);
    bme.init().unwrap();
    for want in &recorded {
        assert_eq!(&bme.measure_forced(&mut NoDelay).unwrap(), want);
    }
    replay.finish().unwrap();
}

#[test]
fn bme280_over_spi_replays_identically() {
    let (spi, chip) = SimSpiDevice::new(Bme280Model::new());
    let log = Log::memory();
    let mut bme = Bme280::new_spi(log.record("bme-spi", spi));
    bme.init().unwrap();
    chip.lock().set_temperature(Temperature(-5_250));
    let m = bme.measure_forced(&mut NoDelay).unwrap();
    // SPI reads set bit 7 of the register address: chip id 0xd0 stays 0xd0.
    assert_eq!(body(&log)[0], "spi bme-spi w d0 r 60");

    let replay = replay_of(&log);
    let mut bme = Bme280::new_spi(replay.device("bme-spi"));
    bme.init().unwrap();
    assert_eq!(bme.measure_forced(&mut NoDelay).unwrap(), m);
    replay.finish().unwrap();
}

#[test]
fn async_drivers_record_and_replay() {
    let bus = SimI2cBus::new();
    bus.attach(0x48, Lm75Model::lm75())
        .lock()
        .set_temperature(Temperature::from_millicelsius(23_000));
    let (spi, adc) = SimSpiDevice::new(Mcp3x08Model::mcp3008(3_300_000));
    adc.lock().set_input(2, Voltage::from_microvolts(1_650_000));
    let log = Log::memory();
    let mut lm75 = Lm75::new(log.record("i2c-1", bus), 0x48);
    let mut mcp = Mcp3x08::new(log.record("adc", spi), Variant::Mcp3008, 3_300_000);
    let t = block_on(lm75.temperature_async()).unwrap();
    let code = block_on(mcp.read_raw_async(Input::Single(2))).unwrap();
    assert_eq!(t.as_millicelsius(), 23_000);
    assert!((510..=514).contains(&code), "{code}");
    let lines = body(&log);
    assert_eq!(lines[0], "i2c i2c-1 0x48 w 00 r 17 00");
    assert!(
        lines[1].starts_with("spi adc xi 01 a0 00 -> "),
        "{}",
        lines[1]
    );

    let replay = replay_of(&log);
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    let mut mcp = Mcp3x08::new(replay.device("adc"), Variant::Mcp3008, 3_300_000);
    assert_eq!(block_on(lm75.temperature_async()).unwrap(), t);
    assert_eq!(
        block_on(mcp.read_raw_async(Input::Single(2))).unwrap(),
        code
    );
    // Blocking and async calls replay the same lines.
    let replay = replay_of(&log);
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    assert_eq!(lm75.temperature().unwrap(), t);
    let mut mcp = Mcp3x08::new(replay.device("adc"), Variant::Mcp3008, 3_300_000);
    assert_eq!(mcp.read_raw(Input::Single(2)).unwrap(), code);
    replay.finish().unwrap();
}

// ---- the format: every operation kind --------------------------------------------------------

/// An SPI chip that answers each byte with its complement (to tell reads from writes).
struct Complement;

impl SpiTarget for Complement {
    fn transfer(&mut self, mosi: u8) -> u8 {
        !mosi
    }
}

#[test]
fn every_spi_operation_is_written_and_replayed() {
    let (spi, _) = SimSpiDevice::new(Complement);
    let log = Log::memory();
    let mut dev = log.record("flash", spi);
    let mut r2 = [0u8; 2];
    let mut r3 = [0u8; 3];
    let mut inplace = [0x9f, 0x00, 0xf0];
    dev.write(&[0x06]).unwrap();
    dev.read(&mut r2).unwrap();
    dev.transfer(&mut r3, &[0x01, 0x02]).unwrap(); // longer read than write
    dev.transfer_in_place(&mut inplace).unwrap();
    let mut r1 = [0u8; 1];
    dev.transaction(&mut [
        spi::Operation::Write(&[0x03, 0x10]),
        spi::Operation::DelayNs(1500),
        spi::Operation::Read(&mut r1),
    ])
    .unwrap();
    dev.transaction(&mut []).unwrap();
    assert_eq!(inplace, [0x60, 0xff, 0x0f]);
    assert_eq!(
        body(&log),
        [
            "spi flash w 06",
            "spi flash r ff ff",
            "spi flash x 01 02 -> fe fd ff",
            "spi flash xi 9f 00 f0 -> 60 ff 0f",
            "spi flash w 03 10 d 1500 r ff",
            "spi flash",
        ]
    );

    let replay = replay_of(&log);
    let mut dev = replay.device("flash");
    SpiDevice::write(&mut dev, &[0x06]).unwrap();
    let mut b = [0u8; 2];
    // A read recorded from `read` replays through `transaction` of the same shape.
    SpiDevice::transaction(&mut dev, &mut [spi::Operation::Read(&mut b)]).unwrap();
    assert_eq!(b, [0xff, 0xff]);
    let mut b = [0u8; 3];
    dev.transfer(&mut b, &[0x01, 0x02]).unwrap();
    assert_eq!(b, [0xfe, 0xfd, 0xff]);
    let mut b = [0x9f, 0x00, 0xf0];
    dev.transfer_in_place(&mut b).unwrap();
    assert_eq!(b, [0x60, 0xff, 0x0f]);
    // Delays are not compared: none here, where the recording had one.
    let mut b = [0u8; 1];
    SpiDevice::transaction(
        &mut dev,
        &mut [
            spi::Operation::Write(&[0x03, 0x10]),
            spi::Operation::Read(&mut b),
            spi::Operation::DelayNs(7),
        ],
    )
    .unwrap();
    assert_eq!(b, [0xff]);
    SpiDevice::transaction(&mut dev, &mut []).unwrap();
    replay.finish().unwrap();
}

#[test]
fn every_i2c_call_is_one_line_and_methods_interchange() {
    let bus = SimI2cBus::new();
    let chip = bus.attach(0x48, Lm75Model::lm75());
    chip.lock()
        .set_temperature(Temperature::from_millicelsius(-500));
    let log = Log::memory();
    let mut rec = log.record("i2c-1", bus);
    let mut two = [0u8; 2];
    rec.write(0x48, &[0x00]).unwrap();
    rec.read(0x48, &mut two).unwrap();
    rec.write_read(0x48u8, &[0x00], &mut two).unwrap();
    let mut a = [0u8; 1];
    let mut b = [0u8; 1];
    rec.transaction(
        0x48,
        &mut [
            Operation::Write(&[0x00]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
        ],
    )
    .unwrap();
    assert_eq!(
        body(&log),
        [
            "i2c i2c-1 0x48 w 00",
            "i2c i2c-1 0x48 r ff 80",
            "i2c i2c-1 0x48 w 00 r ff 80",
            "i2c i2c-1 0x48 w 00 r ff r 80",
        ]
    );
    let replay = replay_of(&log);
    let mut dev = replay.device("i2c-1");
    I2c::transaction(&mut dev, 0x48u8, &mut [Operation::Write(&[0x00])]).unwrap();
    I2c::transaction(&mut dev, 0x48u8, &mut [Operation::Read(&mut two)]).unwrap();
    assert_eq!(two, [0xff, 0x80]);
    let mut c = [0u8; 2];
    I2c::transaction(
        &mut dev,
        0x48u8,
        &mut [Operation::Write(&[0x00]), Operation::Read(&mut c)],
    )
    .unwrap();
    assert_eq!(c, [0xff, 0x80]);
    // Two one-byte reads are not one two-byte read: the shape is compared.
    let e = dev.write_read(0x48u8, &[0x00], &mut c).unwrap_err();
    assert!(matches!(e, Error::Mismatch { line: 5, .. }), "{e}");
    assert!(e.to_string().contains("operation"), "{e}");
    let (mut a, mut b) = ([0u8; 1], [0u8; 1]);
    I2c::transaction(
        &mut dev,
        0x48u8,
        &mut [
            Operation::Write(&[0x00]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
        ],
    )
    .unwrap();
    assert_eq!((a, b), ([0xff], [0x80]));
    assert_eq!(replay.remaining(), 0);
    // The mismatch on the way is remembered.
    let e = replay.finish().unwrap_err();
    match &e {
        Error::Unfinished {
            unconsumed,
            mismatches,
            ..
        } => {
            assert!(unconsumed.is_empty());
            assert_eq!(mismatches.len(), 1);
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// A pin of the test's own: an output that can be read back, and an input level.
#[derive(Default)]
struct TestPin {
    set: bool,
}

impl digital::ErrorType for TestPin {
    type Error = core::convert::Infallible;
}

impl OutputPin for TestPin {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.set = false;
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.set = true;
        Ok(())
    }
}

impl StatefulOutputPin for TestPin {
    fn is_set_high(&mut self) -> Result<bool, Self::Error> {
        Ok(self.set)
    }
    fn is_set_low(&mut self) -> Result<bool, Self::Error> {
        Ok(!self.set)
    }
}

#[test]
fn pins_record_and_replay() {
    let log = Log::memory();
    let line = SimLine::new(false);
    let mut button = log.record("button", line.clone());
    let mut led = log.record("led", TestPin::default());
    assert!(button.is_low().unwrap());
    line.set(true);
    assert!(button.is_high().unwrap());
    led.set_high().unwrap();
    assert!(led.is_set_high().unwrap());
    led.toggle().unwrap();
    assert!(led.is_set_low().unwrap());
    led.set_state(digital::PinState::High).unwrap();
    assert_eq!(
        body(&log),
        [
            "pin button get low",
            "pin button get high",
            "pin led set high",
            "pin led is-set high",
            "pin led toggle",
            "pin led is-set low",
            "pin led set high",
        ]
    );
    let replay = replay_of(&log);
    let mut button = replay.device("button");
    let mut led = replay.device("led");
    // is_high / is_low both replay a `get` line.
    assert!(!button.is_high().unwrap());
    assert!(!button.is_low().unwrap());
    // Setting another level is a mismatch.
    let e = led.set_low().unwrap_err();
    assert!(
        e.to_string()
            .contains("expected `pin led set high`, came `pin led set low`"),
        "{e}"
    );
    led.set_high().unwrap();
    assert!(!led.is_set_low().unwrap());
    led.toggle().unwrap();
    assert!(led.is_set_low().unwrap());
    led.set_state(digital::PinState::High).unwrap();
    assert_eq!(replay.remaining(), 0);
    // The device of a recorder is its own name: `led` has nothing left.
    let e = led.toggle().unwrap_err();
    assert!(matches!(e, Error::PastEnd { .. }), "{e:?}");
}

#[test]
fn ten_bit_addresses_are_written_apart_from_seven_bit_ones() {
    let text = "# udrv-record 1\n\
                i2c bus 0x150/10 w 01 r 02 03\n\
                i2c bus 0x50 w 01 r 04 05\n";
    let replay = Replay::parse("ten.log", text).unwrap();
    let mut dev = replay.device("bus");
    // Recording the replay gives the log back: writer and parser agree.
    let log = Log::memory();
    let mut rec = log.record("bus", replay.device("bus"));
    let mut b = [0u8; 2];
    // A 7-bit call does not match a 10-bit line of the same number.
    let e = I2c::<u8>::write_read(&mut dev, 0x50, &[1], &mut b).unwrap_err();
    assert!(
        e.to_string().contains("another address"),
        "{e}: the 10-bit line is due"
    );
    I2c::<u16>::write_read(&mut rec, 0x150, &[1], &mut b).unwrap();
    assert_eq!(b, [2, 3]);
    I2c::<u8>::write_read(&mut rec, 0x50, &[1], &mut b).unwrap();
    assert_eq!(b, [4, 5]);
    assert_eq!(log.text().unwrap(), text);
}

// ---- several devices in one log -------------------------------------------------------------

#[test]
fn several_devices_share_one_log_in_order() {
    let bus = SimI2cBus::new();
    bus.attach(0x48, Lm75Model::lm75());
    let (spi, _) = SimSpiDevice::new(Complement);
    let log = Log::memory();
    let mut lm75 = Lm75::new(log.record("i2c-1", bus), 0x48);
    let mut dev = log.clone().record("flash", spi);
    log.comment("start");
    lm75.temperature().unwrap();
    dev.write(&[0xaa]).unwrap();
    lm75.temperature().unwrap();
    dev.write(&[0xbb]).unwrap();
    let lines = body(&log);
    assert_eq!(lines[0], "# start");
    let kinds: Vec<&str> = lines[1..].iter().map(|l| &l[..9]).collect();
    assert_eq!(kinds, ["i2c i2c-1", "spi flash", "i2c i2c-1", "spi flash"]);
    assert_eq!(lines[2], "spi flash w aa");
    assert_eq!(lines[4], "spi flash w bb");

    // By default each device keeps its own order: the other interleaving replays.
    let replay = replay_of(&log);
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    let mut dev = replay.device("flash");
    SpiDevice::write(&mut dev, &[0xaa]).unwrap();
    SpiDevice::write(&mut dev, &[0xbb]).unwrap();
    lm75.temperature().unwrap();
    lm75.temperature().unwrap();
    replay.finish().unwrap();
    // ... but per device the order holds.
    let replay = replay_of(&log);
    let mut dev = replay.device("flash");
    let e = SpiDevice::write(&mut dev, &[0xbb]).unwrap_err();
    assert!(
        e.to_string()
            .contains("line 4, device `flash`: operation 1: other bytes written"),
        "{e}"
    );
    // In order: the whole log's order is binding.
    let replay = replay_of(&log).in_order(true);
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    let mut dev = replay.device("flash");
    let e = SpiDevice::write(&mut dev, &[0xaa]).unwrap_err();
    assert!(
        e.to_string().contains(
            "line 3, device `flash`: out of order: the log's next line is for device `i2c-1`"
        ),
        "{e}"
    );
    lm75.temperature().unwrap();
    SpiDevice::write(&mut dev, &[0xaa]).unwrap();
    lm75.temperature().unwrap();
    SpiDevice::write(&mut dev, &[0xbb]).unwrap();
    assert_eq!(replay.remaining(), 0);
}

#[test]
fn threads_write_whole_lines_to_one_log() {
    let log = Log::memory();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (spi, _) = SimSpiDevice::new(Complement);
            let mut dev = log.record(&format!("dev{i}"), spi);
            std::thread::spawn(move || {
                for k in 0..100u8 {
                    dev.write(&[i, k]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let lines = body(&log);
    assert_eq!(lines.len(), 400);
    // Per device the lines are in call order, and every line is whole.
    for i in 0..4u8 {
        let mine: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with(&format!("spi dev{i} ")))
            .collect();
        let want: Vec<String> = (0..100u8)
            .map(|k| format!("spi dev{i} w {i:02x} {k:02x}"))
            .collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>());
    }
    let replay = replay_of(&log);
    for i in 0..4u8 {
        let mut dev = replay.device(&format!("dev{i}"));
        for k in 0..100u8 {
            SpiDevice::write(&mut dev, &[i, k]).unwrap();
        }
    }
    replay.finish().unwrap();
}

// ---- errors recorded and replayed --------------------------------------------------------

#[test]
fn i2c_errors_are_recorded_with_their_kind_and_replayed() {
    let bus = SimI2cBus::new();
    bus.attach(0x48, Lm75Model::lm75());
    let faults = Faults::new();
    let log = Log::memory();
    let mut lm75 = Lm75::new(log.record("i2c-1", FaultyI2c::new(bus, &faults)), 0x48);
    faults.add(Rule::new(Fault::Nack(NoAcknowledgeSource::Address)).times(1));
    assert!(lm75.temperature().is_err());
    faults.add(Rule::new(Fault::ArbitrationLoss).times(1));
    assert!(lm75.temperature().is_err());
    let ok = lm75.temperature().unwrap();
    // A 7-bit address nobody answers: the simulated bus NACKs it.
    let mut rec = lm75.release();
    assert!(rec.write(0x49, &[]).is_err());
    assert_eq!(
        body(&log),
        [
            "i2c i2c-1 0x48 w 00 r ?? ?? ! nack-address",
            "i2c i2c-1 0x48 w 00 r ?? ?? ! arbitration-loss",
            "i2c i2c-1 0x48 w 00 r 00 00",
            "i2c i2c-1 0x49 w ! nack-address",
        ]
    );

    let replay = replay_of(&log);
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    for (line, kind) in [
        (
            2,
            i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
        ),
        (3, i2c::ErrorKind::ArbitrationLoss),
    ] {
        match lm75.temperature().unwrap_err() {
            udrv_drivers::lm75::Error::Bus(e) => {
                assert_eq!(i2c::Error::kind(&e), kind, "{e}");
                match &e {
                    Error::Recorded {
                        line: l,
                        device,
                        kind: k,
                        ..
                    } => {
                        assert_eq!(
                            (*l, device.as_str(), *k),
                            (line, "i2c-1", RecordedKind::I2c(kind))
                        )
                    }
                    other => panic!("unexpected {other:?}"),
                }
                assert!(
                    e.to_string().contains(&format!("session.log line {line}")),
                    "{e}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(lm75.temperature().unwrap(), ok);
    let mut dev = lm75.release();
    let e = I2c::write(&mut dev, 0x49u8, &[]).unwrap_err();
    assert_eq!(
        i2c::Error::kind(&e),
        i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address)
    );
    replay.finish().unwrap();
}

#[test]
fn spi_and_pin_errors_are_recorded_and_replayed() {
    let faults = Faults::new();
    let (spi, _) = SimSpiDevice::new(Complement);
    let log = Log::memory();
    let mut dev = log.record("adc", FaultySpi::new(spi, &faults));
    let mut pin = log.record("irq", FaultyPin::new(SimLine::new(true), &faults));
    faults.add(Rule::new(Fault::Io).spi().times(1));
    let mut buf = [0u8; 3];
    assert!(dev.transfer(&mut buf, &[1, 2, 3]).is_err());
    faults.add(Rule::new(Fault::Io).pin().times(1));
    assert!(pin.is_high().is_err());
    assert!(pin.is_high().unwrap());
    let lines = body(&log);
    // FaultSpi's errors have embedded-hal kind Other.
    assert_eq!(
        lines,
        [
            "spi adc x 01 02 03 -> ?? ?? ?? ! other",
            "pin irq get ! other",
            "pin irq get high",
        ]
    );
    let replay = replay_of(&log);
    let mut dev = replay.device("adc");
    let mut pin = replay.device("irq");
    let mut buf = [0x55u8; 3];
    let e = dev.transfer(&mut buf, &[1, 2, 3]).unwrap_err();
    assert_eq!(spi::Error::kind(&e), spi::ErrorKind::Other);
    assert!(matches!(e, Error::Recorded { line: 2, .. }), "{e:?}");
    assert_eq!(buf, [0x55; 3], "unknown bytes leave the buffer as it was");
    let e = pin.is_low().unwrap_err();
    assert_eq!(digital::Error::kind(&e), digital::ErrorKind::Other);
    assert!(pin.is_high().unwrap());
    replay.finish().unwrap();
}

#[test]
fn hand_written_error_kinds_replay_with_their_kinds() {
    let text = "# udrv-record 1\n\
                i2c b 0x10 w 01 ! nack-data\n\
                i2c b 0x10 w 01 ! bus\n\
                i2c b 0x10 w 01 ! nack\n\
                i2c b 0x10 w 01 ! overrun\n\
                i2c b 0x10 w 01 ! other\n\
                spi s w 01 ! mode-fault\n\
                spi s w 01 ! frame-format\n\
                spi s w 01 ! chip-select-fault\n\
                spi s w 01 ! overrun\n";
    let replay = Replay::parse("kinds.log", text).unwrap();
    let mut b = replay.device("b");
    let mut s = replay.device("s");
    for want in [
        i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data),
        i2c::ErrorKind::Bus,
        i2c::ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown),
        i2c::ErrorKind::Overrun,
        i2c::ErrorKind::Other,
    ] {
        let e = I2c::write(&mut b, 0x10u8, &[1]).unwrap_err();
        assert_eq!(i2c::Error::kind(&e), want);
        // The I2C kind says nothing to an SPI driver.
        assert_eq!(spi::Error::kind(&e), spi::ErrorKind::Other);
    }
    for want in [
        spi::ErrorKind::ModeFault,
        spi::ErrorKind::FrameFormat,
        spi::ErrorKind::ChipSelectFault,
        spi::ErrorKind::Overrun,
    ] {
        assert_eq!(
            spi::Error::kind(&SpiDevice::write(&mut s, &[1]).unwrap_err()),
            want
        );
    }
    replay.finish().unwrap();
    // And recording them writes the same words.
    let replay = Replay::parse("kinds.log", text).unwrap();
    let log = Log::memory();
    let mut b = log.record("b", replay.device("b"));
    let mut s = log.record("s", replay.device("s"));
    for _ in 0..5 {
        I2c::write(&mut b, 0x10u8, &[1]).unwrap_err();
    }
    for _ in 0..4 {
        SpiDevice::write(&mut s, &[1]).unwrap_err();
    }
    assert_eq!(log.text().unwrap(), text);
}

// ---- mismatches ----------------------------------------------------------------------------

const LM75_LOG: &str = "# udrv-record 1\n\
                        # two readings\n\
                        i2c i2c-1 0x48 w 00 r 15 80\n\
                        \n\
                        i2c i2c-1 0x48 w 00 r 16 00   # a comment after a line\n\
                        pin led set high\n";

/// A call on a replay device that must fail.
type Call = Box<dyn FnMut(&mut udrv_core::record::ReplayDevice) -> Error>;

#[test]
fn mismatches_name_the_file_the_line_what_was_expected_and_what_came() {
    let replay = Replay::parse("tests/lm75.log", LM75_LOG).unwrap();
    let mut dev = replay.device("i2c-1");
    let cases: [(&str, Call); 5] = [
        (
            "replay of tests/lm75.log line 3, device `i2c-1`: another address: \
             expected `i2c i2c-1 0x48 w 00 r 15 80`, came `i2c i2c-1 0x49 w 00 r ?? ??`",
            Box::new(|d| d.write_read(0x49u8, &[0], &mut [0u8; 2]).unwrap_err()),
        ),
        (
            "replay of tests/lm75.log line 3, device `i2c-1`: operation 1: other bytes written: \
             expected `i2c i2c-1 0x48 w 00 r 15 80`, came `i2c i2c-1 0x48 w 01 r ?? ??`",
            Box::new(|d| d.write_read(0x48u8, &[1], &mut [0u8; 2]).unwrap_err()),
        ),
        (
            "replay of tests/lm75.log line 3, device `i2c-1`: operation 2: another read length: \
             expected `i2c i2c-1 0x48 w 00 r 15 80`, came `i2c i2c-1 0x48 w 00 r ?? ?? ??`",
            Box::new(|d| d.write_read(0x48u8, &[0], &mut [0u8; 3]).unwrap_err()),
        ),
        (
            "replay of tests/lm75.log line 3, device `i2c-1`: 1 operations instead of 2: \
             expected `i2c i2c-1 0x48 w 00 r 15 80`, came `i2c i2c-1 0x48 w 00`",
            Box::new(|d| I2c::write(d, 0x48u8, &[0]).unwrap_err()),
        ),
        (
            "replay of tests/lm75.log line 3, device `i2c-1`: another kind of transaction: \
             expected `i2c i2c-1 0x48 w 00 r 15 80`, came `spi i2c-1 w 00`",
            Box::new(|d| SpiDevice::write(d, &[0]).unwrap_err()),
        ),
    ];
    for (want, mut call) in cases {
        let e = call(&mut dev);
        assert_eq!(e.to_string(), want);
        assert!(matches!(e, Error::Mismatch { line: 3, .. }), "{e:?}");
        // A driver sees kind Other.
        assert_eq!(i2c::Error::kind(&e), i2c::ErrorKind::Other);
        assert_eq!(spi::Error::kind(&e), spi::ErrorKind::Other);
    }
    // A mismatch does not advance: the line is still due.
    let mut two = [0u8; 2];
    dev.write_read(0x48u8, &[0], &mut two).unwrap();
    assert_eq!(two, [0x15, 0x80]);
    dev.write_read(0x48u8, &[0], &mut two).unwrap();
    assert_eq!(two, [0x16, 0x00]);
    // Past the end.
    let e = dev.write_read(0x48u8, &[0], &mut two).unwrap_err();
    assert_eq!(
        e.to_string(),
        "replay of tests/lm75.log, device `i2c-1`: past the end of its recording \
         (its last line is 5 of 6): expected nothing more, came `i2c i2c-1 0x48 w 00 r ?? ??`"
    );
    // A device the log does not have.
    let e = I2c::write(&mut replay.device("i2c-2"), 0x48u8, &[0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "replay of tests/lm75.log, device `i2c-2`: no line of the log (6 lines) is for this \
         device: expected nothing more, came `i2c i2c-2 0x48 w 00`"
    );
    // finish: the LED line was never replayed, and the mismatches are reported.
    match replay.finish().unwrap_err() {
        Error::Unfinished {
            file,
            unconsumed,
            mismatches,
        } => {
            assert_eq!(&*file, "tests/lm75.log");
            assert_eq!(unconsumed, [(6, "pin led set high".to_string())]);
            assert_eq!(mismatches.len(), 7);
            assert!(mismatches[0].contains("another address"), "{mismatches:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn finish_lists_the_lines_left() {
    let replay = Replay::parse("tests/lm75.log", LM75_LOG).unwrap();
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    assert_eq!(lm75.temperature().unwrap().as_millicelsius(), 21_500);
    assert_eq!(replay.remaining(), 2);
    let e = replay.finish().unwrap_err();
    assert_eq!(
        e.to_string(),
        "replay of tests/lm75.log unfinished: 2 line(s) never replayed: \
         line 5 `i2c i2c-1 0x48 w 00 r 16 00   # a comment after a line`; line 6 `pin led set high`;"
    );
    match e {
        Error::Unfinished {
            unconsumed,
            mismatches,
            ..
        } => {
            assert_eq!(
                unconsumed.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                [5, 6]
            );
            assert!(mismatches.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(lm75.temperature().unwrap().as_millicelsius(), 22_000);
    // Only the devices a program used must be used up: the LED's line is not the LM75's.
    replay.finish_devices(&["i2c-1"]).unwrap();
    match replay.finish_devices(&["i2c-1", "led"]).unwrap_err() {
        Error::Unfinished { unconsumed, .. } => {
            assert_eq!(unconsumed, [(6, "pin led set high".to_string())])
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut led = replay.device("led");
    led.set_high().unwrap();
    replay.finish().unwrap();
    // finish() looks, it does not end anything.
    replay.finish().unwrap();
}

#[test]
fn a_long_list_of_lines_left_is_cut_in_the_message() {
    let mut text = String::from("# udrv-record 1\n");
    for i in 0..25 {
        text.push_str(&format!("spi s w {i:02x}\n"));
    }
    let replay = Replay::parse("long.log", &text).unwrap();
    let e = replay.finish().unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("25 line(s) never replayed"), "{msg}");
    assert!(msg.contains("line 11 `spi s w 09`;"), "{msg}");
    assert!(!msg.contains("line 12 "), "{msg}");
    assert!(msg.ends_with("and 15 more;"), "{msg}");
}

// ---- parse errors --------------------------------------------------------------------------

#[test]
fn parse_errors_name_the_line_and_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "not a udrv record log"),
        (
            "i2c b 0x10 w 00\n",
            1,
            "the first line must be `# udrv-record 1`",
        ),
        ("# udrv-record 2\n", 1, "version 2 of the log format"),
        (
            "# udrv-record 1\nuart b w 00\n",
            2,
            "unknown kind of transaction `uart`",
        ),
        ("# udrv-record 1\ni2c\n", 2, "`i2c` without a device name"),
        ("# udrv-record 1\ni2c b\n", 2, "wants an address"),
        (
            "# udrv-record 1\ni2c b 76 w 00\n",
            2,
            "`76` is not an I2C address",
        ),
        ("# udrv-record 1\ni2c b 0x80 w 00\n", 2, "beyond 7 bits"),
        (
            "# udrv-record 1\ni2c b 0x400/10 w 00\n",
            2,
            "beyond 10 bits",
        ),
        (
            "# udrv-record 1\n\n# c\ni2c b 0x10 w 0g\n",
            4,
            "unknown I2C operation `0g`",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 w 100\n",
            2,
            "unknown I2C operation `100`",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 00\n",
            2,
            "byte `00` outside an operation",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 x 00 -> 00\n",
            2,
            "unknown I2C operation `x`",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 w ?? ! bus\n",
            2,
            "only read bytes can be unknown",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 r 00 ?? ! bus\n",
            2,
            "mixes bytes and `??`",
        ),
        ("# udrv-record 1\ni2c b 0x10 r ?? ??\n", 2, "did not fail"),
        (
            "# udrv-record 1\ni2c b 0x10 w 00 ! nack-adress\n",
            2,
            "unknown error kind `nack-adress` for I2C",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 w 00 !\n",
            2,
            "`!` wants an error kind",
        ),
        (
            "# udrv-record 1\ni2c b 0x10 w 00 ! bus bus\n",
            2,
            "unexpected `bus` after the error kind",
        ),
        (
            "# udrv-record 1\nspi s x 00 00 ff\n",
            2,
            "`x` wants the bytes written, `->`",
        ),
        (
            "# udrv-record 1\nspi s xi 00 00 -> ff\n",
            2,
            "2 written, 1 read",
        ),
        (
            "# udrv-record 1\nspi s d\n",
            2,
            "`d` wants a delay in nanoseconds",
        ),
        (
            "# udrv-record 1\nspi s d -1\n",
            2,
            "`d` wants a delay in nanoseconds",
        ),
        (
            "# udrv-record 1\nspi s w 00 ! nack-address\n",
            2,
            "unknown error kind `nack-address` for SPI",
        ),
        ("# udrv-record 1\npin p set\n", 2, "`set` wants a level"),
        (
            "# udrv-record 1\npin p get medium\n",
            2,
            "`medium` is not a level",
        ),
        (
            "# udrv-record 1\npin p blink\n",
            2,
            "unknown pin operation `blink`",
        ),
        ("# udrv-record 1\npin p get\n", 2, "did not fail"),
        (
            "# udrv-record 1\npin p get high ! bus\n",
            2,
            "unknown error kind `bus` for a pin",
        ),
        ("# udrv-record 1\npin p toggle now\n", 2, "unexpected `now`"),
        (
            "# udrv-record 1\npin !p toggle\n",
            2,
            "`!p` cannot name a device",
        ),
    ];
    for (text, line, problem) in cases {
        match Replay::parse("bad.log", text) {
            Err(e @ Error::Parse { .. }) => {
                let Error::Parse {
                    file,
                    line: l,
                    problem: p,
                    ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((&**file, *l), ("bad.log", *line), "{text:?}: {e}");
                assert!(p.contains(problem), "{text:?}: {e}");
                assert!(
                    e.to_string().starts_with(&format!("bad.log line {line}: ")),
                    "{e}"
                );
                // Also an embedded-hal error of kind Other.
                assert_eq!(i2c::Error::kind(&e), i2c::ErrorKind::Other);
                assert_eq!(digital::Error::kind(&e), digital::ErrorKind::Other);
            }
            other => panic!("{text:?}: unexpected {other:?}"),
        }
    }
}

#[test]
fn what_parses_is_lenient_about_layout() {
    // Windows line ends, upper-case hex, extra spaces, trailing comments, blank lines.
    let text = "# udrv-record 1\r\n\
                \r\n\
                   i2c   b  0x0A  w  FF   r  0a #x\r\n\
                spi s x -> r 01\r\n\
                pin p get low\r\n";
    let replay = Replay::parse("ok.log", text).unwrap();
    let mut b = replay.device("b");
    let mut one = [0u8; 1];
    b.write_read(0x0au8, &[0xff], &mut one).unwrap();
    assert_eq!(one, [0x0a]);
    let mut s = replay.device("s");
    let mut none = [0u8; 0];
    let mut r = [0u8; 1];
    SpiDevice::transaction(
        &mut s,
        &mut [
            spi::Operation::Transfer(&mut none, &[]),
            spi::Operation::Read(&mut r),
        ],
    )
    .unwrap();
    assert_eq!(r, [1]);
    assert!(replay.device("p").is_low().unwrap());
    replay.finish().unwrap();
}

// ---- files, writers, names -----------------------------------------------------------------

#[test]
fn logs_go_to_files_and_come_back() {
    let dir = std::env::temp_dir().join(format!("udrv-record-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lm75.log");
    let bus = SimI2cBus::new();
    bus.attach(0x48, Lm75Model::lm75())
        .lock()
        .set_temperature(Temperature::from_millicelsius(30_000));
    let log = Log::create(&path).unwrap();
    let mut lm75 = Lm75::new(log.record("i2c-1", bus), 0x48);
    let t = lm75.temperature().unwrap();
    log.flush().unwrap();
    // Each line is on disk as soon as its transaction is done.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# udrv-record 1\ni2c i2c-1 0x48 w 00 r 1e 00\n"
    );
    assert_eq!(log.text(), None);
    let replay = Replay::open(&path).unwrap();
    assert_eq!(&*replay.file(), path.display().to_string());
    let mut lm75 = Lm75::new(replay.device("i2c-1"), 0x48);
    assert_eq!(lm75.temperature().unwrap(), t);
    replay.finish().unwrap();

    let missing = dir.join("missing.log");
    let e = Replay::open(&missing).unwrap_err();
    assert!(matches!(e, Error::Open { .. }), "{e:?}");
    assert!(e.to_string().contains("missing.log"), "{e}");
    assert!(std::error::Error::source(&e).is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A writer that takes the header, then fails.
struct Breaks {
    left: usize,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Write for Breaks {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("disk full"));
        }
        self.left -= 1;
        self.seen.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_log_never_changes_what_calls_return() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Log::from_writer(Breaks {
        left: 2,
        seen: seen.clone(),
    })
    .unwrap();
    let bus = SimI2cBus::new();
    bus.attach(0x48, Lm75Model::lm75())
        .lock()
        .set_temperature(Temperature::from_millicelsius(-1_000));
    let mut lm75 = Lm75::new(log.record("i2c-1", bus), 0x48);
    for _ in 0..3 {
        assert_eq!(lm75.temperature().unwrap().as_millicelsius(), -1_000);
    }
    assert_eq!(log.entries(), 3);
    assert!(log.error().unwrap().contains("disk full"));
    assert_eq!(log.flush().unwrap_err().to_string(), "disk full");
    assert_eq!(log.error(), None, "reported once");
    assert_eq!(
        String::from_utf8(seen.lock().unwrap().clone()).unwrap(),
        "# udrv-record 1\ni2c i2c-1 0x48 w 00 r ff 00\n"
    );
}

#[test]
fn the_recorder_gives_its_device_back() {
    let log = Log::memory();
    let mut rec = log.record("led", TestPin::default());
    assert_eq!(rec.name(), "led");
    rec.set_high().unwrap();
    // Calls through inner_mut are not recorded.
    rec.inner_mut().set_low().unwrap();
    assert!(!rec.inner().set);
    assert_eq!(rec.log().entries(), 1);
    let pin = rec.into_inner();
    assert!(!pin.set);
    assert_eq!(body(&log), ["pin led set high"]);
    assert_eq!(replay_of(&log).device("led").name(), "led");
}

#[test]
#[should_panic(expected = "a device name is one word")]
fn a_name_with_spaces_is_refused() {
    let _ = Log::memory().record("i2c 1", TestPin::default());
}

#[test]
fn comments_of_several_lines_stay_comments() {
    let log = Log::memory();
    log.comment("board: rpi4\nroom: 21 °C");
    log.comment("");
    assert_eq!(body(&log), ["# board: rpi4", "# room: 21 °C", "#"]);
    let replay = replay_of(&log);
    assert_eq!(replay.remaining(), 0);
    assert!(replay.devices().is_empty());
    replay.finish().unwrap();
}
