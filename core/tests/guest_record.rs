//! `udrv_core::record` on the real kernel, in the QEMU guest (`cargo xtask vmtest --only
//! guest_record`): embedded-hal transactions on the SMBus-only i2c-stub (carried out as SMBus
//! commands) and spidev transfers on the bit-banged spi-lm70llp master are recorded to a
//! file, then replayed without the bus and compared call by call.
//!
//! Fixtures (xtask/guest/fixtures.sh): i2c-stub with chips at 0x48 0x50 0x52 (registers
//! 0xa0-0xaf of 0x52 and 0xb0-0xb3 of 0x50 are this file's; register 0x00 of 0x48 is
//! restored after use), nothing at 0x49; spidev where MISO reads 0x00.
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

mod common;

use common::{env, stub};

use embedded_hal::i2c::{Error as _, ErrorKind, I2c, NoAcknowledgeSource, Operation};
use embedded_hal::spi::{self, SpiDevice};
use udrv_core::record::{Error, Log, Replay, ReplayDevice};
use udrv_core::spi::{Config, SpidevDevice};
use udrv_drivers::lm75::Lm75;

/// The log's lines after the header.
fn body(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read the log back");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("# udrv-record 1"), "{text}");
    lines.map(str::to_string).collect()
}

/// What one session does, on any I2C bus: the calls' results, errors as their kinds.
type Outcome = Result<Vec<u8>, ErrorKind>;

fn i2c_session<B: I2c>(bus: &mut B) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut push = |r: Result<Vec<u8>, B::Error>| out.push(r.map_err(|e| e.kind()));
    push(bus.write(0x52, &[0xa4, 0x5a]).map(|_| vec![])); // write byte data
    push(bus.write(0x52, &[0xa5, 0xcd, 0xab]).map(|_| vec![])); // write word data
    let mut one = [0u8; 1];
    push(
        bus.write_read(0x52, &[0xa4], &mut one)
            .map(|_| one.to_vec()),
    ); // read byte data
    let mut two = [0u8; 2];
    push(
        bus.write_read(0x52, &[0xa5], &mut two)
            .map(|_| two.to_vec()),
    ); // read word data
    let mut four = [0u8; 4];
    push(
        bus.write_read(0x52, &[0xa0], &mut four)
            .map(|_| four.to_vec()),
    ); // I2C block read
    let (mut a, mut b) = ([0u8; 1], [0u8; 1]);
    // Adjacent operations merge: read word data.
    push(
        bus.transaction(
            0x50,
            &mut [
                Operation::Write(&[0xb0]),
                Operation::Read(&mut a),
                Operation::Read(&mut b),
            ],
        )
        .map(|_| vec![a[0], b[0]]),
    );
    push(bus.write(0x49, &[]).map(|_| vec![])); // quick command, nobody there
    let mut three = [0u8; 3];
    // No SMBus equivalent: refused by udrv (kind Other), nothing sent.
    push(bus.read(0x50, &mut three).map(|_| three.to_vec()));
    out
}

#[test]
fn an_i2c_stub_session_replays_without_the_bus() {
    let bus = stub();
    // Registers the session reads but does not write.
    for (reg, v) in [(0xa0, 0x11), (0xa1, 0x22), (0xa2, 0x33), (0xa3, 0x44)] {
        bus.smbus_write_byte_data(0x52, reg, v).unwrap();
    }
    bus.smbus_write_word_data(0x50, 0xb0, 0x8877).unwrap();
    let saved = bus.smbus_read_word_data(0x48, 0x00).unwrap();
    // LM75 temperature register: 25.5 °C is 0x1980, MSB first (i2c-stub words are
    // little-endian, so the register holds 0x8019).
    bus.smbus_write_word_data(0x48, 0x00, 0x8019).unwrap();

    let path = "/tmp/guest_record_i2c.log";
    let log = Log::create(path).unwrap();
    log.comment("i2c-stub, udrv guest");
    let mut rec = log.record("stub", bus.clone());
    let live = i2c_session(&mut rec);
    let mut lm75 = Lm75::new(rec, 0x48);
    let t = lm75.temperature().unwrap();
    log.flush().unwrap();
    bus.smbus_write_word_data(0x48, 0x00, saved).unwrap();

    assert_eq!(t.as_millicelsius(), 25_500);
    assert_eq!(
        live,
        [
            Ok(vec![]),
            Ok(vec![]),
            Ok(vec![0x5a]),
            Ok(vec![0xcd, 0xab]),
            Ok(vec![0x11, 0x22, 0x33, 0x44]),
            Ok(vec![0x77, 0x88]),
            Err(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)),
            Err(ErrorKind::Other),
        ]
    );
    assert_eq!(
        body(path),
        [
            "# i2c-stub, udrv guest",
            "i2c stub 0x52 w a4 5a",
            "i2c stub 0x52 w a5 cd ab",
            "i2c stub 0x52 w a4 r 5a",
            "i2c stub 0x52 w a5 r cd ab",
            "i2c stub 0x52 w a0 r 11 22 33 44",
            "i2c stub 0x50 w b0 r 77 r 88",
            "i2c stub 0x49 w ! nack-data",
            "i2c stub 0x50 r ?? ?? ?? ! other",
            "i2c stub 0x48 w 00 r 19 80",
        ]
    );

    // Replay: the bus is not touched (its registers now differ), the answers are the same.
    bus.smbus_write_byte_data(0x52, 0xa0, 0xee).unwrap();
    let replay = Replay::open(path).unwrap();
    let mut dev: ReplayDevice = replay.device("stub");
    assert_eq!(i2c_session(&mut dev), live);
    let mut lm75 = Lm75::new(dev, 0x48);
    assert_eq!(lm75.temperature().unwrap(), t);
    replay.finish().unwrap();

    // A changed driver is caught with the line.
    let replay = Replay::open(path).unwrap();
    let mut dev = replay.device("stub");
    let e = I2c::write(&mut dev, 0x52u8, &[0xa4, 0x5b]).unwrap_err();
    assert!(matches!(e, Error::Mismatch { line: 3, .. }), "{e:?}");
    assert!(
        e.to_string().contains(
            "/tmp/guest_record_i2c.log line 3, device `stub`: operation 1: other bytes written: \
             expected `i2c stub 0x52 w a4 5a`, came `i2c stub 0x52 w a4 5b`"
        ),
        "{e}"
    );
    assert!(replay.finish().is_err());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn async_i2c_on_the_stub_records_and_replays() {
    use embedded_hal_async::i2c::I2c as AsyncI2c;
    use udrv_core::i2c::asynch::AsyncI2cBus;
    let bus = stub();
    bus.smbus_write_word_data(0x52, 0xa8, 0x2211).unwrap();
    let log = Log::memory();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut rec = log.record("stub", AsyncI2cBus::new(bus));
    let mut two = [0u8; 2];
    rt.block_on(rec.write_read(0x52u8, &[0xa8], &mut two))
        .unwrap();
    assert_eq!(two, [0x11, 0x22]);
    let e = rt.block_on(rec.write(0x49u8, &[1, 2])).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)
    );
    let text = log.text().unwrap();
    assert_eq!(
        text,
        "# udrv-record 1\ni2c stub 0x52 w a8 r 11 22\ni2c stub 0x49 w 01 02 ! nack-data\n"
    );
    let replay = Replay::parse("async.log", &text).unwrap();
    let mut dev = replay.device("stub");
    let mut back = [0u8; 2];
    rt.block_on(AsyncI2c::write_read(&mut dev, 0x52u8, &[0xa8], &mut back))
        .unwrap();
    assert_eq!(back, two);
    let e = rt
        .block_on(AsyncI2c::write(&mut dev, 0x49u8, &[1, 2]))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data)
    );
    replay.finish().unwrap();
}

fn spi_session<D: SpiDevice>(dev: &mut D) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    dev.write(&[0x06]).unwrap();
    let mut id = [0x9f, 0x00, 0x00, 0x00];
    dev.transfer_in_place(&mut id).unwrap();
    out.push(id.to_vec());
    let mut r = [0xaau8; 5];
    dev.transfer(&mut r, &[0x03, 0x00, 0x10]).unwrap();
    out.push(r.to_vec());
    let mut page = [0xaau8; 8];
    dev.transaction(&mut [
        spi::Operation::Write(&[0x0b, 0x00, 0x20, 0x00]),
        spi::Operation::DelayNs(20_000),
        spi::Operation::Read(&mut page),
    ])
    .unwrap();
    out.push(page.to_vec());
    out
}

#[test]
fn a_spidev_session_replays_without_the_device() {
    let spidev =
        SpidevDevice::open_with(env("UDRV_SPIDEV"), &Config::new().max_speed_hz(50_000_000))
            .expect("open spidev");
    let path = "/tmp/guest_record_spi.log";
    let log = Log::create(path).unwrap();
    let mut rec = log.record("spidev", spidev);
    let live = spi_session(&mut rec);
    log.flush().unwrap();
    // Nothing answers on this master: MISO reads 0x00, over the whole of each buffer.
    assert_eq!(live, [vec![0; 4], vec![0; 5], vec![0; 8]]);
    assert_eq!(
        body(path),
        [
            "spi spidev w 06",
            "spi spidev xi 9f 00 00 00 -> 00 00 00 00",
            "spi spidev x 03 00 10 -> 00 00 00 00 00",
            "spi spidev w 0b 00 20 00 d 20000 r 00 00 00 00 00 00 00 00",
        ]
    );
    drop(rec);
    let replay = Replay::open(path).unwrap();
    let mut dev = replay.device("spidev");
    assert_eq!(spi_session(&mut dev), live);
    replay.finish().unwrap();
    std::fs::remove_file(path).unwrap();
}
