//! SPI against the real kernel, in the QEMU guest (`cargo xtask vmtest --only guest_spi`).
//!
//! Fixture (xtask/guest/fixtures.sh): spidev bound to the device of the spi-lm70llp
//! parallel-port master (a bit-banged controller: `SPI_CPOL | SPI_CPHA | SPI_3WIRE` mode
//! bits, but only a mode 0 word routine; any word size up to 32 bits; nothing answers,
//! so MISO reads 0x00). The all-zero read-backs here show lengths, splitting and errors,
//! not byte order: a lost, repeated or reordered byte is checked against a chip that
//! answers, the Pi tier's W25Q flash (`core/tests/rpi_spi_order.rs`).
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

mod common;

use common::{check_cross_process_lock, env, off_the_reactor, on_threads, one_thread_runtime};

use std::time::{Duration, Instant};

use embedded_hal::spi::{Error as _, ErrorKind, Operation, SpiBus, SpiDevice};
use udrv_core::spi::{
    Config, Error, Mode, Setting, SpidevBus, SpidevDevice, SplitPolicy, Transfer,
};

/// The bit-banged clock's speed for the tests: spi-lm70llp waits `udelay(500_000_000 /
/// hz)` per half clock, so this keeps a byte well under a millisecond under TCG.
const FAST: u32 = 50_000_000;

/// The device, reset to mode 0, 8 bits, [`FAST`].
fn dev() -> SpidevDevice {
    SpidevDevice::open_with(env("UDRV_SPIDEV"), &Config::new().max_speed_hz(FAST))
        .expect("open spidev")
}

#[test]
fn configuration_is_read_back() {
    let d = dev();
    let c = d.config().unwrap();
    assert_eq!(
        (c.mode, c.bits_per_word, c.max_speed_hz),
        (Mode::Mode0, 8, Some(FAST))
    );
    let c = d
        .configure(&Config::new().three_wire(true).max_speed_hz(250_000))
        .unwrap();
    assert!(c.three_wire);
    assert_eq!(c.max_speed_hz, Some(250_000));
    assert_eq!(d.config().unwrap(), c);
    let c = d.configure(&Config::new()).unwrap();
    assert!(!c.three_wire);
    assert_eq!(
        c.max_speed_hz,
        Some(250_000),
        "speed None leaves it as it is"
    );
}

#[test]
fn modes_the_controller_lacks_are_refused_typed() {
    let d = dev();
    for m in [Mode::Mode1, Mode::Mode2, Mode::Mode3] {
        match d.configure(&Config::new().mode(m)).unwrap_err() {
            Error::Refused {
                setting,
                requested,
                source,
                ..
            } => {
                assert_eq!(setting, Setting::Mode);
                assert_eq!(requested, Config::new().mode(m).mode_bits());
                assert_eq!(source.raw_os_error(), Some(libc::EINVAL));
            }
            other => panic!("{m:?}: unexpected {other:?}"),
        }
        // The device keeps mode 0.
        assert_eq!(d.config().unwrap().mode, Mode::Mode0);
    }
    // Flags outside the controller's mode bits.
    for (name, c) in [
        ("lsb-first", Config::new().lsb_first(true)),
        ("cs-high", Config::new().cs_high(true)),
        ("no-cs", Config::new().no_cs(true)),
    ] {
        let e = d.configure(&c).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Refused {
                    setting: Setting::Mode,
                    ..
                }
            ),
            "{name}: {e:?}"
        );
        assert!(e.to_string().contains(name), "{name}: {e}");
    }
    let c = d.config().unwrap();
    assert!(!c.lsb_first && !c.cs_high && !c.no_cs, "{c:?}");
}

#[test]
fn word_sizes_and_speeds() {
    let d = dev();
    for bits in [8u8, 16, 32, 12] {
        let c = d.configure(&Config::new().bits_per_word(bits)).unwrap();
        assert_eq!(c.bits_per_word, bits);
    }
    match d.configure(&Config::new().bits_per_word(33)).unwrap_err() {
        Error::Refused {
            setting, requested, ..
        } => assert_eq!((setting, requested), (Setting::BitsPerWord, 33)),
        other => panic!("unexpected {other:?}"),
    }
    // A bit-banged clock slower than 100 Hz needs longer delays than the kernel allows.
    match d.configure(&Config::new().max_speed_hz(50)).unwrap_err() {
        Error::Refused {
            setting, requested, ..
        } => assert_eq!((setting, requested), (Setting::MaxSpeedHz, 50)),
        other => panic!("unexpected {other:?}"),
    }
    d.configure(&Config::new()).unwrap();
}

#[test]
fn embedded_hal_operations_transfer() {
    let mut d = dev();
    let mut r = [0xaau8; 4];
    d.write(&[1u8, 2, 3]).unwrap();
    d.read(&mut r).unwrap();
    assert_eq!(r, [0; 4]);
    let mut r = [0xaau8; 5];
    d.transfer(&mut r, &[1, 2]).unwrap(); // runs for the longer buffer
    assert_eq!(r, [0; 5]);
    let mut b = [0x12u8; 6];
    d.transfer_in_place(&mut b).unwrap();
    assert_eq!(b, [0; 6]);
    let (mut x, mut y) = ([0xaau8; 2], [0xaau8; 3]);
    d.transaction(&mut [
        Operation::Write(&[0x9f]),
        Operation::Read(&mut x),
        Operation::DelayNs(1_000),
        Operation::Transfer(&mut y, &[1, 2, 3]),
    ])
    .unwrap();
    assert_eq!((x, y), ([0; 2], [0; 3]));
}

#[test]
fn sixteen_and_thirty_two_bit_words() {
    let mut d = dev();
    // The device is at 8 bits: u16 buffers go out as 16-bit words, u32 as 32-bit.
    let mut r16 = [0xaaaau16; 3];
    SpiDevice::<u16>::transaction(
        &mut d,
        &mut [
            Operation::Write(&[0x1234, 0x5678]),
            Operation::Read(&mut r16),
        ],
    )
    .unwrap();
    assert_eq!(r16, [0; 3]);
    let mut r32 = [0xaaaa_aaaau32; 2];
    SpiDevice::<u32>::transfer(&mut d, &mut r32, &[0xdead_beef, 1]).unwrap();
    assert_eq!(r32, [0; 2]);
    // Explicit word sizes are checked against the buffer type.
    let w = [1u8, 2];
    let e = d.message(&mut [Transfer::write(&w).with_bits_per_word(16)]);
    assert!(matches!(e, Err(Error::InvalidTransfer { .. })), "{e:?}");
    // A device at 12 bits carries them in u16.
    d.configure(&Config::new().bits_per_word(12)).unwrap();
    SpiDevice::<u16>::write(&mut d, &[0x0fff, 0x0001]).unwrap();
    d.configure(&Config::new()).unwrap();
}

#[test]
fn full_spi_ioc_transfer_settings() {
    let d = dev();
    let tx = [0x55u8; 16];
    let mut rx = [0xaau8; 16];
    let started = Instant::now();
    d.message(&mut [
        Transfer::write(&tx[..4])
            .with_delay_us(20_000)
            .with_cs_change(true),
        Transfer::duplex(&tx, &mut rx)
            .with_speed_hz(500_000)
            .with_word_delay_us(2),
        Transfer::pause().with_delay_us(10_000),
    ])
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(rx, [0; 16]);
    let mut short = [0u8; 3];
    let e = d
        .message(&mut [Transfer::duplex(&tx, &mut short)])
        .unwrap_err();
    assert!(matches!(e, Error::InvalidTransfer { .. }), "{e:?}");
}

#[test]
fn delay_operations_wait_with_chip_select_asserted() {
    let mut d = dev();
    let started = Instant::now();
    d.transaction(&mut [
        Operation::Write(&[1u8]),
        Operation::DelayNs(40_000_000),
        Operation::Write(&[2]),
    ])
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(40),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn transactions_past_bufsiz_are_split() {
    let expected: usize = std::fs::read_to_string("/sys/module/spidev/parameters/bufsiz")
        .expect("spidev bufsiz parameter")
        .trim()
        .parse()
        .unwrap();
    let mut d = dev();
    assert_eq!(d.bufsiz(), expected);
    let n = 2 * expected + 1000;
    let tx: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let mut rx = vec![0xaau8; n];
    d.transfer(&mut rx[..], &tx[..]).unwrap();
    assert!(rx.iter().all(|b| *b == 0));
    // Many transfers: more than the 511 one ioctl carries.
    let ones = vec![[7u8; 1]; 600];
    let mut ops: Vec<Operation<'_, u8>> = ones.iter().map(|b| Operation::Write(b)).collect();
    d.transaction(&mut ops).unwrap();
    // Splitting off: a typed error, nothing sent.
    let mut strict = d.clone();
    strict.set_split_policy(SplitPolicy::Never);
    let mut rx = vec![0xaau8; n];
    match strict.transfer(&mut rx[..], &tx[..]).unwrap_err() {
        Error::TooLarge { len, bufsiz, .. } => assert_eq!((len, bufsiz), (n, expected)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(rx.iter().all(|b| *b == 0xaa));
    // Exactly bufsiz fits one message either way.
    let mut rx = vec![0xaau8; expected];
    strict.transfer(&mut rx[..], &tx[..expected]).unwrap();
    assert!(rx.iter().all(|b| *b == 0));
}

#[test]
fn transfer_errors_map_to_kinds() {
    let mut d = dev();
    // In 3-wire mode the SPI core refuses full duplex transfers (EINVAL).
    d.configure(&Config::new().three_wire(true)).unwrap();
    let mut r = [0u8; 2];
    let e = d.transfer(&mut r, &[1u8, 2]).unwrap_err();
    d.configure(&Config::new()).unwrap();
    assert_eq!(e.errno(), Some(libc::EINVAL), "{e}");
    assert_eq!(e.kind(), ErrorKind::FrameFormat);
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    // Half duplex is fine in 3-wire mode.
    d.configure(&Config::new().three_wire(true)).unwrap();
    d.write(&[1u8, 2]).unwrap();
    d.read(&mut r).unwrap();
    d.configure(&Config::new()).unwrap();
}

#[test]
fn spi_bus_for_a_gpio_chip_select() {
    // The lm70llp master cannot do without its chip select: NO_CS is refused, typed.
    match SpidevBus::open(env("UDRV_SPIDEV")).unwrap_err() {
        Error::Refused {
            setting, requested, ..
        } => {
            assert_eq!(setting, Setting::Mode);
            assert_ne!(requested & 0x40, 0, "SPI_NO_CS requested");
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut bus = SpidevBus::new(dev());
    bus.write(&[1u8, 2, 3]).unwrap();
    let mut r = [0xaau8; 3];
    bus.read(&mut r).unwrap();
    assert_eq!(r, [0; 3]);
    let mut r = [0xaau8; 2];
    bus.transfer(&mut r, &[9u8, 9, 9, 9]).unwrap();
    assert_eq!(r, [0; 2]);
    let mut b = [5u8; 4];
    bus.transfer_in_place(&mut b).unwrap();
    assert_eq!(b, [0; 4]);
    SpiBus::<u8>::flush(&mut bus).unwrap();
}

#[test]
fn clones_share_the_device_across_threads() {
    let mut d = dev();
    on_threads(0..3, move |i| {
        for _ in 0..20 {
            let mut r = [0xaau8; 64];
            d.transfer(&mut r, &[i as u8; 64]).unwrap();
            assert_eq!(r, [0; 64]);
        }
    });
}

#[test]
fn async_transfers_work_and_leave_the_reactor_free() {
    use embedded_hal_async::spi::{SpiBus as _, SpiDevice as AsyncSpiDevice};
    use udrv_core::spi::asynch::{AsyncSpidevBus, AsyncSpidevDevice};
    one_thread_runtime().block_on(async {
        let mut a = AsyncSpidevDevice::new(dev());
        let mut r = [0xaau8; 8];
        a.transfer(&mut r, &[1, 2, 3]).await.unwrap();
        assert_eq!(r, [0; 8]);
        let mut w = [0xaaaau16; 2];
        AsyncSpiDevice::<u16>::transfer_in_place(&mut a, &mut w)
            .await
            .unwrap();
        assert_eq!(w, [0; 2]);
        let mut b = AsyncSpidevBus::new(SpidevBus::new(dev()));
        let mut r = [0xaau8; 4];
        b.read(&mut r).await.unwrap();
        assert_eq!(r, [0; 4]);

        // 20 bytes at 100 kHz take at least 160 ms of bit-banging (spi-lm70llp waits
        // 5 ms per half clock). On this single-threaded runtime a ticker only advances
        // during the transfer if the transfer runs off the reactor thread.
        a.inner()
            .configure(&Config::new().max_speed_hz(100_000))
            .unwrap();
        let tx = vec![0x5au8; 20];
        off_the_reactor(
            Duration::from_millis(100),
            AsyncSpiDevice::<u8>::write(&mut a, &tx),
        )
        .await
        .unwrap();
        a.inner()
            .configure(&Config::new().max_speed_hz(FAST))
            .unwrap();
    });
}

#[test]
fn the_cross_process_lock_is_taken_on_the_device_node() {
    let d = dev();
    check_cross_process_lock(d.path(), || d.lock(), || d.try_lock());
}

/// The data registers of both parallel ports (0x378, 0x278) through `/dev/port`:
/// spi-lm70llp drives its chip select (and clock and data) on one of them.
fn port_data() -> [u8; 2] {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open("/dev/port").expect("/dev/port");
    let mut out = [0u8; 2];
    for (i, base) in [0x378u64, 0x278].into_iter().enumerate() {
        f.seek(SeekFrom::Start(base)).unwrap();
        f.read_exact(&mut out[i..i + 1]).unwrap();
    }
    out
}

#[test]
fn chip_select_stays_asserted_between_split_messages() {
    // What splitting relies on: a message whose last transfer has cs_change leaves chip
    // select asserted until the next message, which releases it at its end.
    let d = dev();
    let zero = [0u8; 1];
    d.message(&mut [Transfer::write(&zero)]).unwrap();
    let released = port_data();
    d.message(&mut [Transfer::write(&zero).with_cs_change(true)])
        .unwrap();
    let held = port_data();
    assert_ne!(held, released, "chip select did not stay asserted");
    d.message(&mut [Transfer::write(&zero)]).unwrap();
    assert_eq!(port_data(), released);
    // A split transaction (three messages) ends with chip select released, as after
    // any transaction.
    let big = vec![0u8; 2 * d.bufsiz() + 8];
    d.message(&mut [Transfer::write(&big[..])]).unwrap();
    assert_eq!(port_data(), released);
}
