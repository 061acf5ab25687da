//! Core SPI on the emulated Raspberry Pi 3B's real SPI0 controller (`spi-bcm2835`, GPIO
//! chip selects) against QEMU's SPI NOR flash models (`cargo xtask vmtest --board rpi3b`):
//! `/dev/spidev0.0` is a w25q32 (4 MiB), `/dev/spidev0.1` a w25q64 (8 MiB). The flash
//! commands are the JEDEC/Winbond ones: 0x9F read ID, 0x06 write enable, 0x05 read status
//! (bit 0 WIP, bit 1 WEL), 0x02 page program, 0x20 4 KiB sector erase, 0x03 read.
#![cfg(udrv_guest_rpi)]

use std::time::{Duration, Instant};

use embedded_hal::spi::{Operation, SpiDevice};
use udrv_core::spi::{SpidevDevice, Transfer};

fn flash(cs: u32) -> SpidevDevice {
    SpidevDevice::open(format!("/dev/spidev0.{cs}")).expect("open spidev")
}

fn status(dev: &mut SpidevDevice) -> u8 {
    let mut s = [0u8; 1];
    dev.transaction(&mut [Operation::Write(&[0x05u8]), Operation::Read(&mut s)])
        .unwrap();
    s[0]
}

fn write_enable(dev: &mut SpidevDevice) {
    dev.write(&[0x06u8]).unwrap();
    assert_eq!(status(dev) & 0x02, 0x02, "WEL after write enable");
}

fn wait_ready(dev: &mut SpidevDevice) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(dev) & 0x01 != 0 {
        assert!(Instant::now() < deadline, "flash stays busy");
    }
}

fn addr(cmd: u8, a: u32) -> [u8; 4] {
    [cmd, (a >> 16) as u8, (a >> 8) as u8, a as u8]
}

fn read(dev: &mut SpidevDevice, a: u32, buf: &mut [u8]) {
    dev.transaction(&mut [Operation::Write(&addr(0x03, a)), Operation::Read(buf)])
        .unwrap();
}

fn erase_sector(dev: &mut SpidevDevice, a: u32) {
    write_enable(dev);
    dev.write(&addr(0x20, a)).unwrap();
    wait_ready(dev);
}

fn program(dev: &mut SpidevDevice, a: u32, data: &[u8]) {
    write_enable(dev);
    dev.transaction(&mut [Operation::Write(&addr(0x02, a)), Operation::Write(data)])
        .unwrap();
    wait_ready(dev);
}

#[test]
fn jedec_ids_tell_the_two_chip_selects_apart() {
    for (cs, want) in [(0, [0xef, 0x40, 0x16]), (1, [0xef, 0x40, 0x17])] {
        let mut dev = flash(cs);
        let mut id = [0u8; 3];
        dev.transaction(&mut [Operation::Write(&[0x9fu8]), Operation::Read(&mut id)])
            .unwrap();
        assert_eq!(id, want, "spidev0.{cs}");
        // Full duplex: the ID comes back in the bytes clocked after the command.
        let mut buf = [0x9fu8, 0, 0, 0];
        dev.transfer_in_place(&mut buf).unwrap();
        assert_eq!(buf[1..], want);
    }
}

#[test]
fn page_program_and_sector_erase_round_trip() {
    let mut dev = flash(0);
    let base = 0x01_0000;
    erase_sector(&mut dev, base);
    let mut buf = vec![0u8; 256];
    read(&mut dev, base, &mut buf);
    assert!(buf.iter().all(|&b| b == 0xff), "erased sector reads 0xFF");
    let data: Vec<u8> = (0..256u32).map(|i| (i * 7 + 3) as u8).collect();
    program(&mut dev, base, &data);
    read(&mut dev, base, &mut buf);
    assert_eq!(buf, data);
    // NOR programming only clears bits: programming 0xF0 over the data ANDs it.
    program(&mut dev, base, &[0xf0; 16]);
    read(&mut dev, base, &mut buf[..16]);
    let anded: Vec<u8> = data[..16].iter().map(|b| b & 0xf0).collect();
    assert_eq!(buf[..16], anded[..]);
    erase_sector(&mut dev, base);
    read(&mut dev, base, &mut buf);
    assert!(buf.iter().all(|&b| b == 0xff), "erased again");
    // After write disable (0x04), programming does nothing. (QEMU's model left WEL set
    // after the erase above, where the datasheet clears it when an erase ends.)
    dev.write(&[0x04u8]).unwrap();
    assert_eq!(status(&mut dev) & 0x02, 0, "WEL after write disable");
    dev.transaction(&mut [
        Operation::Write(&addr(0x02, base)),
        Operation::Write(&[0u8; 4]),
    ])
    .unwrap();
    read(&mut dev, base, &mut buf[..4]);
    assert_eq!(buf[..4], [0xff; 4]);
}

#[test]
fn the_chips_hold_their_own_data() {
    let (mut a, mut b) = (flash(0), flash(1));
    let at = 0x02_0000;
    erase_sector(&mut a, at);
    erase_sector(&mut b, at);
    program(&mut a, at, b"chip select 0");
    program(&mut b, at, b"chip select 1");
    let mut buf = [0u8; 13];
    read(&mut a, at, &mut buf);
    assert_eq!(&buf, b"chip select 0");
    read(&mut b, at, &mut buf);
    assert_eq!(&buf, b"chip select 1");
}

#[test]
fn a_read_longer_than_spidevs_buffer_keeps_chip_select_across_messages() {
    // spidev's bufsiz is 4096: a 10 000-byte read is split into several ioctls, chip
    // select held between them (cs_change on each part's last transfer), so the flash
    // sees one READ command streaming on.
    let mut dev = flash(1);
    assert_eq!(dev.bufsiz(), 4096);
    let base = 0x03_0000;
    for s in 0..3 {
        erase_sector(&mut dev, base + s * 4096);
    }
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    for (i, page) in data.chunks(256).enumerate() {
        program(&mut dev, base + (i as u32) * 256, page);
    }
    let mut back = vec![0u8; 10_000];
    read(&mut dev, base, &mut back);
    let first_bad = back.iter().zip(&data).position(|(a, b)| a != b);
    assert_eq!(first_bad, None, "continuous read broke");
    // The raw message API with an explicit split point gives the same.
    let mut head = vec![0u8; 100];
    let cmd = addr(0x03, base + 5000);
    dev.message(&mut [Transfer::write(&cmd), Transfer::read(&mut head)])
        .unwrap();
    assert_eq!(head[..], data[5000..5100]);
}
