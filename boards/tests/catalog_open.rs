//! Reading chips by spec (`catalog::ChipReader`): the bus opened once and read many times,
//! chips behind a PCA9548's channels, and the typed errors of a bus that is not there, a
//! switch that is not one and a chip that is another.

use std::error::Error as _;
use std::time::{Duration, UNIX_EPOCH};

use udrv_boards::catalog::{
    AnyI2c, Buses, ChipBus, ChipError, ChipReader, OpenError, Quantity, ReadError, Sequence,
};
use udrv_boards::r#virtual::VirtualBoard;

fn reader(board: &VirtualBoard, spec: &str) -> ChipReader {
    ChipReader::open(spec.parse().unwrap(), Buses::Virtual(board)).unwrap()
}

#[test]
fn a_chip_is_opened_once_and_read_many_times() {
    let board = VirtualBoard::at(Duration::from_secs(1000));
    let mut bme = reader(&board, "bme280@i2c-1:0x76");
    assert!(matches!(bme.bus(), ChipBus::VirtualI2c(_)));
    assert_eq!(bme.now(), UNIX_EPOCH + Duration::from_secs(1000));
    let mut seq = Sequence::new();
    let a = bme.read(&mut seq, bme.now()).unwrap();
    let b = bme.read(&mut seq, bme.now()).unwrap();
    assert!(a.identity.is_identified(), "{:?}", a.identity);
    // The same world at the same time: the same values, numbered on.
    let t = |r: &udrv_boards::catalog::ChipRead| r.get(Quantity::Temperature, None).cloned();
    let (ta, tb) = (t(&a).unwrap(), t(&b).unwrap());
    assert_eq!(ta.value, tb.value);
    assert_eq!((ta.seq, tb.seq), (1, 4));
    let room = f64::from(
        board
            .environment()
            .conditions()
            .temperature
            .as_millicelsius(),
    ) / 1000.0;
    assert!((ta.value - room).abs() < 0.02, "{} vs {room}", ta.value);
    // An SPI chip, likewise.
    let mut adc = reader(&board, "mcp3008@spidev0.0");
    let r = adc.read(&mut seq, adc.now()).unwrap();
    assert_eq!(r.readings.len(), 8);
    assert_eq!(r.get(Quantity::Voltage, Some("ch2")).unwrap().value, 1.65);
}

#[test]
fn chips_behind_a_switch_are_read_through_its_channel() {
    let board = VirtualBoard::at(Duration::from_secs(300));
    let c = board.environment().conditions();
    let mut seq = Sequence::new();
    for (spec, t) in [
        ("lm75@i2c-1/0x73.2:0x49", c.temperature),
        ("lm75@i2c-1/0x73.5:0x49", c.outdoor_temperature),
    ] {
        let mut lm75 = reader(&board, spec);
        let r = lm75.read(&mut seq, lm75.now()).unwrap();
        let got = r.get(Quantity::Temperature, None).unwrap();
        let want = f64::from(t.as_millicelsius()) / 1000.0;
        assert!(
            got.value <= want && want - got.value < 0.5,
            "{spec}: {got:?} vs {want}"
        );
        assert_eq!(got.source.to_string(), spec);
    }
    // The channel the last read selected is what the switch holds.
    assert_eq!(board.chips().pca9548.lock().control(), 1 << 5);
}

/// A [`udrv_boards::catalog::WhatAnswers`] for the tests: whether anything acknowledges.
fn acks(bus: &mut AnyI2c<'_>, address: u8) -> String {
    let answers = bus.write(address, &[]).is_ok();
    format!("{address:#04x} acknowledges: {answers}")
}

#[test]
fn a_switch_that_is_not_there_or_not_one_is_a_typed_error() {
    let board = VirtualBoard::at(Duration::from_secs(5));
    let mut seq = Sequence::new();
    // Nothing at 0x74.
    let mut r = reader(&board, "lm75@i2c-1/0x74.3:0x48");
    let e = r.read(&mut seq, r.now()).unwrap_err();
    assert!(
        matches!(&e, ChipError::NoSwitch { address: 0x74, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("0x70-0x77"), "{e}");
    // The SHTC3 at 0x70 is no switch: refused without a measurement started, with what
    // answers there when the reader is told how to find out.
    let measured = board.chips().shtc3.lock().measurements();
    let mut r = reader(&board, "lm75@i2c-1/0x70.3:0x48").with_what_answers(acks);
    let e = r.read(&mut seq, r.now()).unwrap_err();
    match &e {
        ChipError::NotASwitch {
            address: 0x70,
            answers: Some(a),
            ..
        } => assert_eq!(a, "0x70 acknowledges: true"),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().ends_with(": 0x70 acknowledges: true"), "{e}");
    assert_eq!(board.chips().shtc3.lock().measurements(), measured);
    assert_eq!(seq.last(), 0, "no reading was numbered");
}

#[test]
fn another_chip_is_a_read_error_with_its_source() {
    let board = VirtualBoard::at(Duration::from_secs(5));
    let mut r = reader(&board, "bme280@i2c-1:0x77").with_what_answers(acks);
    let e = r.read(&mut Sequence::new(), r.now()).unwrap_err();
    let ChipError::Read { error, answers } = &e else {
        panic!("{e:?}")
    };
    assert!(matches!(error, ReadError::WrongChip(_)), "{error:?}");
    assert_eq!(answers.as_deref(), Some("0x77 acknowledges: true"));
    let source = e.source().expect("the read error");
    assert_eq!(source.to_string(), error.to_string());
    assert!(e.to_string().starts_with(&error.to_string()), "{e}");
    // By default, `udrv probe`'s identification names what answers (the virtual board
    // has a DPS310 at 0x77).
    let mut r = reader(&board, "bme280@i2c-1:0x77");
    let e = r.read(&mut Sequence::new(), r.now()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{error}; `udrv probe` identifies what answers at 0x77 as dps310 (product ID \
             register 0x0d = 0x10)"
        )
    );
}

#[test]
fn buses_that_are_not_there_are_typed_open_errors() {
    let board = VirtualBoard::at(Duration::from_secs(5));
    let e =
        ChipReader::open("lm75@i2c-7:0x48".parse().unwrap(), Buses::Virtual(&board)).unwrap_err();
    assert!(matches!(e, OpenError::Board(_)), "{e:?}");
    assert!(
        e.to_string().contains("i2c-7") && e.source().is_some(),
        "{e}"
    );
    // This machine's buses: a bus that does not exist, and a board's name for an SPI
    // device without a board.
    let e = ChipReader::open("lm75@i2c-250:0x48".parse().unwrap(), Buses::Linux(None)).unwrap_err();
    assert!(matches!(e, OpenError::I2c(_)), "{e:?}");
    assert!(e.to_string().contains("/dev/i2c-250"), "{e}");
    let e = ChipReader::open("mcp3008@spi0.0".parse().unwrap(), Buses::Linux(None)).unwrap_err();
    assert!(matches!(e, OpenError::NeedsBoard { .. }), "{e:?}");
    assert!(e.to_string().contains("/dev/spidev0.0"), "{e}");
}

#[test]
fn a_reader_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let board = VirtualBoard::at(Duration::from_secs(5));
    let mut r = reader(&board, "lm75@i2c-1:0x4f");
    send(&r);
    let t = std::thread::spawn(move || {
        r.read(&mut Sequence::new(), r.now())
            .map(|r| r.readings.len())
    });
    assert_eq!(t.join().unwrap().unwrap(), 1);
}
