//! AT24Cxx: byte-exact mock tests (page splitting, addressing, ack polling, errors) and
//! driver against model for several geometries.

mod common;
use common::block_on;
use embedded_hal::i2c::{ErrorKind, NoAcknowledgeSource};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction as T};
use udrv_drivers::at24::*;

const NACK: ErrorKind = ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address);

fn page_write(dev: u8, addr: Vec<u8>, data: &[u8]) -> [T; 4] {
    [
        T::transaction_start(dev),
        T::write(dev, addr),
        T::write(dev, data.to_vec()),
        T::transaction_end(dev),
    ]
}

#[test]
fn at24c64_write_splits_at_page_and_polls() {
    // AT24C64: 32-byte pages, 2 address bytes. 0x0FFE..0x1002 touches two pages.
    let mut ex = Vec::new();
    ex.extend(page_write(0x50, vec![0x0F, 0xFE], b"he"));
    ex.push(T::write(0x50, vec![]).with_error(NACK));
    ex.push(T::write(0x50, vec![]).with_error(NACK));
    ex.push(T::write(0x50, vec![]));
    ex.extend(page_write(0x50, vec![0x10, 0x00], b"llo"));
    ex.push(T::write(0x50, vec![]));
    ex.push(T::write_read(0x50, vec![0x0F, 0xFE], b"hello".to_vec()));
    let mut m = Mock::new(&ex);
    let mut e = At24::new(m.clone(), 0x50, Variant::AT24C64);
    e.write(0x0FFE, b"hello").unwrap();
    let mut buf = [0; 5];
    e.read(0x0FFE, &mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    m.done();
}

#[test]
fn one_byte_address_chips_put_high_bits_in_device_address() {
    // AT24C16: 2 KiB, 16-byte pages, A10..A8 in the device address (P2 P1 P0).
    let mut ex = Vec::new();
    ex.push(T::write_read(0x51, vec![0xFE], vec![1, 2]));
    ex.push(T::write_read(0x52, vec![0x00], vec![3, 4]));
    ex.extend(page_write(0x57, vec![0xF8], &[9; 8]));
    ex.push(T::write(0x57, vec![]));
    ex.push(T::write(0x50, vec![0x10, 0xAB]));
    ex.push(T::write(0x50, vec![]));
    let mut m = Mock::new(&ex);
    let mut e = At24::new(m.clone(), 0x50, Variant::AT24C16);
    let mut buf = [0; 4];
    e.read(0x1FE, &mut buf).unwrap();
    assert_eq!(buf, [1, 2, 3, 4]);
    block_on(e.write_async(0x7F8, &[9; 8])).unwrap();
    e.write_byte(0x10, 0xAB).unwrap();
    m.done();
}

#[test]
fn at24cm01_a16_in_device_address() {
    // AT24CM01: 128 KiB, 256-byte pages, 2 address bytes, A16 in device address bit 0.
    let ex = [
        T::write_read(0x51, vec![0x00, 0x05], vec![0x42]),
        T::read(0x50, vec![7, 8]),
    ];
    let mut m = Mock::new(&ex);
    let mut e = At24::new(m.clone(), 0x50, Variant::AT24CM01);
    assert_eq!(block_on(e.read_byte_async(0x1_0005)).unwrap(), 0x42);
    let mut b = [0; 2];
    e.read_current(&mut b).unwrap();
    assert_eq!(b, [7, 8]);
    m.done();
}

#[test]
fn errors() {
    let ex = [
        T::write(0x50, vec![0x01, 0x00]),
        T::write(0x50, vec![]).with_error(NACK),
        T::write(0x50, vec![]).with_error(NACK),
        T::write(0x50, vec![0x02, 0x00]),
        T::write(0x50, vec![]).with_error(ErrorKind::ArbitrationLoss),
        T::write_read(0x50, vec![0x00], vec![0]).with_error(ErrorKind::Bus),
    ];
    let mut m = Mock::new(&ex);
    let mut e = At24::new(m.clone(), 0x50, Variant::AT24C02).with_max_polls(2);
    // The byte was sent: whether it is stored is unknown, and the error says so.
    assert_eq!(
        e.write_byte(0x01, 0x00),
        Err(Error::Incomplete {
            at: 0x01,
            written: 0,
            uncertain: 1,
            error: None
        })
    );
    assert_eq!(
        e.write_byte(0x02, 0x00),
        Err(Error::Incomplete {
            at: 0x02,
            written: 0,
            uncertain: 1,
            error: Some(ErrorKind::ArbitrationLoss)
        })
    );
    assert_eq!(e.read_byte(0x00), Err(Error::Bus(ErrorKind::Bus)));
    // Past the end: rejected before any bus traffic.
    assert_eq!(e.read(0xFF, &mut [0; 2]), Err(Error::OutOfRange));
    assert_eq!(e.write(0x100, &[1]), Err(Error::OutOfRange));
    m.done();
}

#[test]
fn geometry_helpers() {
    assert_eq!(Variant::AT24C02.block_size(), 256);
    assert_eq!(Variant::AT24C01.block_size(), 128);
    assert_eq!(Variant::AT24C512.block_size(), 65536);
    assert_eq!(Variant::AT24C64.page_chunk(0x1F, 100), 1);
    assert_eq!(Variant::AT24C64.page_chunk(0x20, 100), 32);
    assert_eq!(Variant::AT24C64.page_chunk(0x20, 3), 3);
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use embedded_hal::i2c::I2c;
    use udrv_drivers::at24::model::At24Model;
    use udrv_drivers::sim::SimI2cBus;

    fn bytes(seed: u32, n: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2654435761) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    #[test]
    fn driver_against_model_all_geometries() {
        // (variant, size, page, address bytes) from the datasheets, declared again here.
        let cases = [
            (Variant::AT24C01, 128, 8, 1),
            (Variant::AT24C02, 256, 8, 1),
            (Variant::AT24C04, 512, 16, 1),
            (Variant::AT24C16, 2048, 16, 1),
            (Variant::AT24C32, 4096, 32, 2),
            (Variant::AT24C256, 32768, 64, 2),
            (Variant::AT24CM01, 131072, 256, 2),
        ];
        for (variant, size, page, ab) in cases {
            let bus = SimI2cBus::new();
            let chip = At24Model::new(size, page, ab, 0x50).attach(&bus);
            let mut e = At24::new(bus.clone(), 0x50, variant);
            let mut shadow = vec![0xFFu8; size];
            let mut expected_pages = 0;
            let mut at = 3usize;
            let mut i = 0;
            while at < size {
                let len = (1 + i * 37 % (3 * page)).min(size - at);
                let data = bytes(i as u32, len);
                if i % 2 == 0 {
                    e.write(at as u32, &data).unwrap();
                } else {
                    block_on(e.write_async(at as u32, &data)).unwrap();
                }
                shadow[at..at + len].copy_from_slice(&data);
                expected_pages += (at + len - 1) / page - at / page + 1;
                at += len + size / 7;
                i += 1;
            }
            assert_eq!(chip.lock().memory(), &shadow[..], "{variant:?}");
            assert_eq!(chip.lock().page_writes() as usize, expected_pages);
            let mut back = vec![0; size];
            e.read(0, &mut back).unwrap();
            assert_eq!(back, shadow, "{variant:?}");
            assert_eq!(e.read_byte(size as u32 - 1).unwrap(), shadow[size - 1]);
        }
    }

    #[test]
    fn model_rolls_over_inside_the_page_and_at_the_end() {
        // AT24C02 datasheet "Page Write": more than 8 bytes roll over in the page.
        let bus = SimI2cBus::new();
        let chip = At24Model::new(256, 8, 1, 0x50).attach(&bus);
        let mut raw = bus.clone();
        raw.write(0x50, &[0x0D, 1, 2, 3, 4, 5]).unwrap();
        assert_eq!(
            &chip.lock().memory()[0x08..0x10],
            &[4, 5, 0xFF, 0xFF, 0xFF, 1, 2, 3]
        );
        // While the write cycle runs, the chip NACKs its address (acknowledge polling).
        assert!(raw.write(0x50, &[]).is_err());
        chip.lock().set_busy_polls(0);
        while raw.write(0x50, &[]).is_err() {}
        // Sequential read rolls over from the last byte to the first.
        chip.lock().memory_mut()[255] = 0xAA;
        chip.lock().memory_mut()[0] = 0x55;
        let mut b = [0; 2];
        raw.write_read(0x50, &[0xFF], &mut b).unwrap();
        assert_eq!(b, [0xAA, 0x55]);
        // Current address read continues from there.
        let mut e = At24::new(bus.clone(), 0x50, Variant::AT24C02);
        let mut c = [0; 1];
        e.read_current(&mut c).unwrap();
        assert_eq!(c, [chip.lock().memory()[1]]);
    }

    #[test]
    fn write_protect_and_polling_timeout() {
        let bus = SimI2cBus::new();
        let chip = At24Model::new(4096, 32, 2, 0x54).attach(&bus);
        chip.lock().set_write_protect(true);
        let mut e = At24::new(bus.clone(), 0x54, Variant::AT24C32);
        e.write(0x100, &[1, 2, 3]).unwrap();
        assert_eq!(e.read_byte(0x100).unwrap(), 0xFF);
        chip.lock().set_write_protect(false);
        chip.lock().set_busy_polls(50);
        let mut e = At24::new(e.release(), 0x54, Variant::AT24C32).with_max_polls(10);
        assert_eq!(
            e.write(0x100, &[1]),
            Err(Error::Incomplete {
                at: 0x100,
                written: 0,
                uncertain: 1,
                error: None
            })
        );
        // Nothing answers at another address.
        let mut other = At24::new(bus.clone(), 0x57, Variant::AT24C32);
        assert!(matches!(other.read_byte(0), Err(Error::Bus(_))));
    }
}
