//! W25Qxx: the W25Q32JV instruction set (§8.1.2, table 1) and status register 1 (§7.1:
//! BUSY bit 0, WEL bit 1) byte by byte with the embedded-hal-mock SPI device (blocking and
//! async, every mock done), page programs split at 256-byte pages, erase alignment, write
//! enable checked, BUSY polling and its timeout, and the driver against the model: program
//! and erase semantics, the page wrap the split avoids, power-down, bus errors.

mod common;
use common::block_on;
use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as D};
use embedded_hal_mock::eh1::spi::{Mock, Transaction as S};
use udrv_drivers::w25q::*;

// Instruction set again (table 1).
const WREN: u8 = 0x06;
const WRDI: u8 = 0x04;
const RDSR1: u8 = 0x05;
const RDSR2: u8 = 0x35;
const READ: u8 = 0x03;
const FAST_READ: u8 = 0x0B;
const PP: u8 = 0x02;
const SE: u8 = 0x20;
const BE32: u8 = 0x52;
const BE64: u8 = 0xD8;
const CE: u8 = 0xC7;
const PD: u8 = 0xB9;
const RPD: u8 = 0xAB;
const JEDEC: u8 = 0x9F;

fn cmd(bytes: &[u8]) -> Vec<S<u8>> {
    vec![
        S::transaction_start(),
        S::write_vec(bytes.to_vec()),
        S::transaction_end(),
    ]
}

fn cmd_read(bytes: &[u8], resp: &[u8]) -> Vec<S<u8>> {
    vec![
        S::transaction_start(),
        S::write_vec(bytes.to_vec()),
        S::read_vec(resp.to_vec()),
        S::transaction_end(),
    ]
}

/// Write enable as the driver does it: 06h, then status register 1 must show WEL (bit 1).
fn wren() -> Vec<S<u8>> {
    let mut v = cmd(&[WREN]);
    v.extend(cmd_read(&[RDSR1], &[0b0000_0010]));
    v
}

#[test]
fn mock_identification_reads_and_status() {
    let mut ex = Vec::new();
    ex.extend(cmd_read(&[JEDEC], &[0xEF, 0x40, 0x16]));
    ex.extend(cmd_read(&[JEDEC], &[0xEF, 0x40, 0x17]));
    ex.extend(cmd_read(&[READ, 0x12, 0x34, 0x56], &[1, 2, 3, 4]));
    // fast read: address, one dummy byte (8 clocks), data
    ex.extend(cmd_read(
        &[FAST_READ, 0x3F, 0xFF, 0xFC, 0x00],
        &[9, 8, 7, 6],
    ));
    ex.extend(cmd_read(&[RDSR1], &[0b1000_0011]));
    ex.extend(cmd_read(&[RDSR2], &[0b0000_0010]));
    ex.extend(cmd_read(&[RDSR1], &[0b0000_0001]));
    ex.extend(cmd(&[WRDI]));
    ex.extend(cmd(&[PD]));
    ex.extend(cmd(&[RPD]));
    ex.extend(cmd_read(&[JEDEC], &[0xFF, 0xFF, 0xFF]));
    let mut m = Mock::new(&ex);
    let mut f = W25q::new(m.clone());
    let mut one = [0];
    assert_eq!(
        f.read(0, &mut one),
        Err(Error::OutOfRange),
        "capacity unknown"
    );
    let id = f.init().unwrap();
    assert_eq!(
        (id.manufacturer, id.memory_type, id.capacity),
        (0xEF, 0x40, 0x16)
    );
    assert_eq!(
        f.capacity(),
        4 * 1024 * 1024,
        "2^0x16 bytes: the W25Q32's 32 Mbit"
    );
    let id = block_on(f.jedec_id_async()).unwrap();
    assert_eq!(id.capacity_bytes(), Some(8 * 1024 * 1024));
    let mut four = [0; 4];
    f.read(0x12_3456, &mut four).unwrap();
    assert_eq!(four, [1, 2, 3, 4]);
    block_on(f.fast_read_async(0x3F_FFFC, &mut four)).unwrap();
    assert_eq!(four, [9, 8, 7, 6]);
    assert_eq!(f.status().unwrap(), 0x83);
    assert_eq!(block_on(f.status2_async()).unwrap(), 0x02);
    assert!(f.is_busy().unwrap());
    f.write_disable().unwrap();
    f.power_down().unwrap();
    block_on(f.release_power_down_async()).unwrap();
    // floating MISO: no capacity
    assert!(matches!(f.init(), Err(Error::UnsupportedId(_))));
    // past the end: nothing sent
    assert_eq!(f.read(0x3F_FFFD, &mut four), Err(Error::OutOfRange));
    m.done();
}

#[test]
fn mock_program_splits_at_pages_and_polls_busy() {
    let data: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    let mut ex = Vec::new();
    // 300 bytes at 0x0010F0: 16 bytes to the page end, a full page, then 28 bytes
    for (addr, range) in [
        (0x0010F0u32, 0..16usize),
        (0x001100, 16..272),
        (0x001200, 272..300),
    ] {
        ex.extend(wren());
        ex.extend(vec![
            S::transaction_start(),
            S::write_vec(vec![PP, (addr >> 16) as u8, (addr >> 8) as u8, addr as u8]),
            S::write_vec(data[range].to_vec()),
            S::transaction_end(),
        ]);
        ex.extend(cmd_read(&[RDSR1], &[0b11]));
        ex.extend(cmd_read(&[RDSR1], &[0b00]));
    }
    // 4 KiB sector erase at 0x002000, busy once
    ex.extend(wren());
    ex.extend(cmd(&[SE, 0x00, 0x20, 0x00]));
    ex.extend(cmd_read(&[RDSR1], &[0b11]));
    ex.extend(cmd_read(&[RDSR1], &[0b00]));
    // 32 and 64 KiB blocks, chip erase (async)
    ex.extend(wren());
    ex.extend(cmd(&[BE32, 0x01, 0x80, 0x00]));
    ex.extend(cmd_read(&[RDSR1], &[0b00]));
    ex.extend(wren());
    ex.extend(cmd(&[BE64, 0x3F, 0x00, 0x00]));
    ex.extend(cmd_read(&[RDSR1], &[0b00]));
    ex.extend(wren());
    ex.extend(cmd(&[CE]));
    ex.extend(cmd_read(&[RDSR1], &[0b00]));
    // WEL does not come on: nothing else is sent
    ex.extend(cmd(&[WREN]));
    ex.extend(cmd_read(&[RDSR1], &[0b00]));
    let mut m = Mock::new(&ex);
    let mut f = W25q::with_capacity(m.clone(), 4 << 20);
    let mut delay = CheckedDelay::new(&[
        D::blocking_delay_us(100),
        D::blocking_delay_us(100),
        D::blocking_delay_us(100),
        D::blocking_delay_us(1000),
    ]);
    f.program(0x10F0, &data, &mut delay).unwrap();
    f.erase_sector(0x2000, &mut delay).unwrap();
    delay.done();
    block_on(f.erase_async(EraseSize::Block32K, 0x01_8000, &mut NoopDelay)).unwrap();
    f.erase(EraseSize::Block64K, 0x3F_0000, &mut NoopDelay)
        .unwrap();
    block_on(f.erase_chip_async(&mut NoopDelay)).unwrap();
    assert_eq!(f.start_page_program(0, &[1]), Err(Error::WriteEnableFailed));
    // rejected before the bus
    assert_eq!(
        f.erase_sector(0x2001, &mut NoopDelay),
        Err(Error::Misaligned)
    );
    assert_eq!(
        f.erase(EraseSize::Block64K, 0x40_0000, &mut NoopDelay),
        Err(Error::OutOfRange)
    );
    assert_eq!(f.start_page_program(0xFF, &[1, 2]), Err(Error::OutOfRange));
    assert_eq!(
        f.program(0x3F_FFFF, &[1, 2], &mut NoopDelay),
        Err(Error::OutOfRange)
    );
    m.done();
}

#[test]
fn mock_busy_timeout_follows_the_datasheet_times() {
    // tPP max 3 ms: polled every 100 µs, 31 reads of BUSY then Timeout
    let mut ex = wren();
    ex.extend(vec![
        S::transaction_start(),
        S::write_vec(vec![PP, 0, 0, 0]),
        S::write_vec(vec![0xAA]),
        S::transaction_end(),
    ]);
    for _ in 0..31 {
        ex.extend(cmd_read(&[RDSR1], &[0b11]));
    }
    let mut m = Mock::new(&ex);
    let mut f = W25q::with_capacity(m.clone(), 1 << 22);
    assert_eq!(
        block_on(f.program_async(0, &[0xAA], &mut NoopDelay)),
        Err(Error::Timeout)
    );
    m.done();
    assert_eq!(PAGE_PROGRAM_MAX_US, 3_000);
    assert_eq!(EraseSize::Sector4K.max_time_us(), 400_000);
    assert_eq!(page_chunk(0x10F0, 300), 16);
    assert_eq!(page_chunk(0x1100, 300), 256);
}

#[cfg(feature = "sim")]
mod sim {
    use super::*;
    use common::pattern;
    use embedded_hal::spi::{Operation, SpiDevice};
    use udrv_drivers::sim::SimSpiDevice;
    use udrv_drivers::w25q::model::W25qModel;

    #[test]
    fn program_read_erase_against_the_model() {
        let (spi, h) = SimSpiDevice::new(W25qModel::w25q32());
        let mut f = W25q::new(spi);
        f.init().unwrap();
        for (addr, len) in [
            (0usize, 1usize),
            (0x0F0, 300),
            (0x3FFF00, 256),
            (0x12345, 1000),
        ] {
            let data = pattern(len, 31, addr as u8);
            f.program(addr as u32, &data, &mut NoopDelay).unwrap();
            let mut back = vec![0; len];
            f.read(addr as u32, &mut back).unwrap();
            assert_eq!(back, data, "at {addr:#x}");
            f.fast_read(addr as u32, &mut back).unwrap();
            assert_eq!(back, data, "fast read at {addr:#x}");
            assert_eq!(&h.lock().memory()[addr..addr + len], &data[..]);
        }
        assert_eq!(h.lock().programs(), 1 + 3 + 1 + 5);
        // WEL is cleared once each cycle ends
        assert_eq!(f.status().unwrap() & 0b11, 0);
        // programming only clears bits: 0xF0 over 0x3C gives 0x30
        f.program(0x2000, &[0x3C], &mut NoopDelay).unwrap();
        f.program(0x2000, &[0xF0], &mut NoopDelay).unwrap();
        let mut b = [0];
        f.read(0x2000, &mut b).unwrap();
        assert_eq!(b, [0x30]);
        // the sector erase covers 0x2000..0x3000 only
        f.program(0x1FFF, &[0x00, 0x00], &mut NoopDelay).unwrap();
        f.program(0x3000, &[0x00], &mut NoopDelay).unwrap();
        f.erase_sector(0x2000, &mut NoopDelay).unwrap();
        let mem = h.lock().memory().to_vec();
        assert_eq!(mem[0x1FFF], 0x00);
        assert!(mem[0x2000..0x3000].iter().all(|&x| x == 0xFF));
        assert_eq!(mem[0x3000], 0x00);
        f.erase(EraseSize::Block64K, 0x10000, &mut NoopDelay)
            .unwrap();
        assert!(h.lock().memory()[0x10000..0x20000]
            .iter()
            .all(|&x| x == 0xFF));
        f.erase_chip(&mut NoopDelay).unwrap();
        assert!(h.lock().memory().iter().all(|&x| x == 0xFF));
    }

    #[test]
    fn one_page_program_past_the_page_end_wraps_to_the_page_start() {
        // §8.2.13: "If the last address byte is not zero, and the number of clocks exceeds
        // the remaining page length, the addressing will wrap to the beginning of the page."
        let (mut spi, h) = SimSpiDevice::new(W25qModel::w25q32());
        spi.write(&[WREN]).unwrap();
        spi.transaction(&mut [
            Operation::Write(&[PP, 0x00, 0x01, 0xFE]),
            Operation::Write(&[1, 2, 3, 4]),
        ])
        .unwrap();
        let mem = h.lock().memory()[0x100..0x200].to_vec();
        assert_eq!((mem[0xFE], mem[0xFF], mem[0], mem[1]), (1, 2, 3, 4));
        assert_eq!(h.lock().memory()[0x200], 0xFF, "the next page is untouched");
        // the driver never sends such a program: it splits
        let mut f = W25q::with_capacity(spi, 4 << 20);
        // (the chip is still busy with that program: a write enable now would be ignored)
        assert_eq!(f.write_enable(), Err(Error::WriteEnableFailed));
        f.wait_idle(&mut NoopDelay, 3000, 100).unwrap();
        f.program(0x2FE, &[5, 6, 7, 8], &mut NoopDelay).unwrap();
        assert_eq!(&h.lock().memory()[0x2FE..0x302], &[5, 6, 7, 8]);
    }

    #[test]
    fn without_write_enable_nothing_changes_and_busy_ignores_instructions() {
        let (mut spi, h) = SimSpiDevice::new(W25qModel::w25q64());
        h.lock().set_busy_polls(5);
        spi.transaction(&mut [Operation::Write(&[PP, 0, 0, 0]), Operation::Write(&[0])])
            .unwrap();
        spi.write(&[SE, 0, 0, 0]).unwrap();
        let (p, e) = {
            let m = h.lock();
            (m.programs(), m.erases())
        };
        assert_eq!(p + e, 0);
        let mut f = W25q::new(spi.clone());
        assert_eq!(f.init().unwrap().capacity, 0x17);
        f.start_page_program(0, &[0x12]).unwrap();
        assert!(f.is_busy().unwrap());
        // a read while busy is ignored by the chip (no data driven: FFh)
        let mut b = [0];
        f.read(0, &mut b).unwrap();
        assert_eq!(b, [0xFF]);
        // and a write enable while busy cannot be confirmed
        assert_eq!(f.write_enable(), Err(Error::WriteEnableFailed));
        f.wait_idle(&mut NoopDelay, 1000, 100).unwrap();
        f.read(0, &mut b).unwrap();
        assert_eq!(b, [0x12]);
        // power-down: only release power-down is obeyed
        f.power_down().unwrap();
        assert_eq!(f.jedec_id().unwrap().manufacturer, 0xFF);
        assert!(h.lock().powered_down());
        f.release_power_down().unwrap();
        assert_eq!(f.jedec_id().unwrap().manufacturer, 0xEF);
        // a bus fault reaches the caller
        spi.fail_next();
        assert!(matches!(f.status(), Err(Error::Bus(_))));
    }

    #[test]
    fn async_program_over_many_pages_matches_blocking() {
        let (spi, h) = SimSpiDevice::new(W25qModel::w25q32());
        let mut f = W25q::new(spi);
        block_on(f.init_async()).unwrap();
        let data = pattern(4096 + 77, 31, 3);
        block_on(f.program_async(0x7_0033, &data, &mut NoopDelay)).unwrap();
        assert_eq!(
            &h.lock().memory()[0x7_0033..0x7_0033 + data.len()],
            &data[..]
        );
        // 0x33 into the first page: 205 bytes, then 15 full pages, then the rest
        assert_eq!(h.lock().programs(), 1 + 15 + 1);
        block_on(f.erase_sector_async(0x7_0000, &mut NoopDelay)).unwrap();
        let mut back = vec![0; 4096];
        block_on(f.read_async(0x7_0000, &mut back)).unwrap();
        assert!(back.iter().all(|&x| x == 0xFF));
        assert_ne!(h.lock().memory()[0x7_1000], 0xFF);
    }
}
