//! The W25Qxx driver on the emulated Raspberry Pi 3B's real SPI0 controller
//! (`spi-bcm2835`) against QEMU's flash models (hw/block/m25p80.c): a w25q32 on
//! `/dev/spidev0.0` and a w25q64 on `/dev/spidev0.1` (`cargo xtask vmtest --board rpi3b
//! --only rpi_w25q`). This file uses 0x300000.. of the w25q32 and 0x700000.. of the
//! w25q64 (core's rpi_spi.rs uses the first 128 KiB).
//!
//! QEMU's model differs from the W25Q32JV datasheet in these ways, each checked below:
//! * Fast Read (0Bh) waits for 8 dummy **bytes** after the address (it counts dummy
//!   clocks as bytes), the datasheet has 8 dummy clocks, one byte: through a byte-wide
//!   controller the first 7 data bytes read 00h;
//! * WEL stays set after a page program or an erase (the datasheet clears it when the
//!   cycle ends; only Write Status Register clears it in QEMU);
//! * BUSY is never set (programs and erases finish at once);
//! * a page program past the end of its 256-byte page continues into the next page (the
//!   datasheet wraps to the start of the page) — the driver splits at pages, so it never
//!   sends one;
//! * Power-down (B9h) is an unknown instruction: the chip keeps answering.
#![cfg(udrv_guest_rpi)]

mod common;

use common::guest::Sleep;
use common::pattern;
use embedded_hal::spi::{Operation, SpiDevice};
use udrv_core::spi::SpidevDevice;
use udrv_drivers::w25q::{EraseSize, W25q, WEL};

fn flash(cs: u32) -> W25q<SpidevDevice> {
    let dev = SpidevDevice::open(format!("/dev/spidev0.{cs}")).expect("open spidev");
    let mut f = W25q::new(dev);
    f.init().expect("JEDEC ID");
    f
}

#[test]
fn jedec_ids_give_the_capacities() {
    for (cs, cap, bytes) in [(0, 0x16, 4 << 20), (1, 0x17, 8 << 20)] {
        let mut f = flash(cs);
        let id = f.jedec_id().unwrap();
        assert_eq!(
            (id.manufacturer, id.memory_type, id.capacity),
            (0xEF, 0x40, cap)
        );
        assert_eq!(f.capacity(), bytes, "spidev0.{cs}");
    }
}

#[test]
fn program_across_pages_read_back_and_erase() {
    for (cs, base) in [(0u32, 0x30_0000u32), (1, 0x70_0000)] {
        let mut f = flash(cs);
        f.erase_sector(base, &mut Sleep).unwrap();
        let mut buf = vec![0u8; 4096];
        f.read(base, &mut buf).unwrap();
        assert!(
            buf.iter().all(|&b| b == 0xFF),
            "erased sector, spidev0.{cs}"
        );
        // 700 bytes from 0x..F0: 16 + 256 + 256 + 172, four page programs
        let data = pattern(700, 53, cs as u8);
        f.program(base + 0xF0, &data, &mut Sleep).unwrap();
        let mut back = vec![0u8; 700];
        f.read(base + 0xF0, &mut back).unwrap();
        assert_eq!(back, data);
        // the bytes before and after are still erased
        let mut edge = [0u8; 2];
        f.read(base + 0xEF, &mut edge[..1]).unwrap();
        f.read(base + 0xF0 + 700, &mut edge[1..]).unwrap();
        assert_eq!(edge, [0xFF, 0xFF]);
        // programming only clears bits
        f.program(base + 0x800, &[0x3C], &mut Sleep).unwrap();
        f.program(base + 0x800, &[0xF0], &mut Sleep).unwrap();
        let mut b = [0u8];
        f.read(base + 0x800, &mut b).unwrap();
        assert_eq!(b, [0x30]);
        f.erase_sector(base, &mut Sleep).unwrap();
        f.read(base, &mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0xFF));
    }
}

#[test]
fn a_64k_block_erase_covers_its_block_only() {
    let mut f = flash(0);
    let block = 0x31_0000;
    for at in [block - 1, block, block + 0xFFFF, block + 0x1_0000] {
        f.program(at, &[0x00], &mut Sleep).unwrap();
    }
    f.erase(EraseSize::Block64K, block, &mut Sleep).unwrap();
    let mut b = [0u8];
    for (at, want) in [
        (block - 1, 0x00),
        (block, 0xFF),
        (block + 0xFFFF, 0xFF),
        (block + 0x1_0000, 0x00),
    ] {
        f.read(at, &mut b).unwrap();
        assert_eq!(b[0], want, "{at:#x}");
    }
    f.erase_sector(block - 0x1000, &mut Sleep).unwrap();
    f.erase_sector(block + 0x1_0000, &mut Sleep).unwrap();
}

#[test]
fn qemu_fast_read_wants_eight_dummy_bytes() {
    let mut f = flash(0);
    let base = 0x32_0000;
    f.erase_sector(base, &mut Sleep).unwrap();
    let data = pattern(32, 53, 7);
    f.program(base, &data, &mut Sleep).unwrap();
    let mut buf = [0xAAu8; 32];
    f.fast_read(base, &mut buf).unwrap();
    // datasheet: buf == data. QEMU takes 7 more bytes as dummy clocks.
    assert_eq!(
        buf[..7],
        [0u8; 7],
        "QEMU fast read now takes one dummy byte?"
    );
    assert_eq!(buf[7..], data[..25]);
}

#[test]
fn qemu_keeps_wel_and_never_shows_busy() {
    let mut f = flash(1);
    let base = 0x71_0000;
    f.erase_sector(base, &mut Sleep).unwrap();
    assert_eq!(
        f.status().unwrap() & WEL,
        WEL,
        "datasheet: WEL clears after an erase"
    );
    f.write_disable().unwrap();
    assert_eq!(f.status().unwrap() & WEL, 0);
    f.start_page_program(base, &[1, 2, 3]).unwrap();
    assert!(!f.is_busy().unwrap(), "QEMU programs at once");
    assert_eq!(
        f.status().unwrap() & WEL,
        WEL,
        "datasheet: WEL clears after a program"
    );
    f.write_disable().unwrap();
}

#[test]
fn qemu_page_program_runs_into_the_next_page() {
    let dev = SpidevDevice::open("/dev/spidev0.0").unwrap();
    let mut f = W25q::with_capacity(dev, 4 << 20);
    let base = 0x33_0000;
    f.erase_sector(base, &mut Sleep).unwrap();
    f.write_enable().unwrap();
    let mut dev = f.release();
    dev.transaction(&mut [
        Operation::Write(&[0x02u8, 0x33, 0x00, 0xFE]),
        Operation::Write(&[1, 2, 3, 4]),
    ])
    .unwrap();
    let mut f = W25q::with_capacity(dev, 4 << 20);
    let mut page = [0u8; 2];
    f.read(base, &mut page).unwrap();
    let mut next = [0u8; 2];
    f.read(base + 0x100, &mut next).unwrap();
    // datasheet: bytes 3 and 4 wrap to 0x330000; QEMU writes them at 0x330100
    assert_eq!((page, next), ([0xFF, 0xFF], [3, 4]));
    f.erase_sector(base, &mut Sleep).unwrap();
}

#[test]
fn qemu_ignores_power_down() {
    let mut f = flash(0);
    f.power_down().unwrap();
    // datasheet: only Release Power-down is obeyed now (the ID would read FFh or 00h)
    assert_eq!(f.jedec_id().unwrap().manufacturer, 0xEF);
    f.release_power_down().unwrap();
    // QEMU takes ABh as Read ID with three address bytes: give it a fresh select
    let mut b = [0u8];
    f.read(0, &mut b).unwrap();
    assert_eq!(f.jedec_id().unwrap().capacity, 0x16);
}
