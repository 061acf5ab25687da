//! Byte order through udrv's SPI, checked against a chip that answers: the emulated
//! Raspberry Pi 3B's SPI0 (`spi-bcm2835`) with QEMU's W25Q flash models
//! (`cargo xtask vmtest --board rpi3b --only rpi_spi_order`; `/dev/spidev0.0` is a w25q32,
//! `/dev/spidev0.1` a w25q64). The x86 guest's spidev has nothing on MISO (it reads 0x00),
//! so a lost, repeated or reordered byte cannot be seen there; here a page programmed
//! with a pattern that never repeats comes back through every transfer shape udrv offers
//! (multi-transfer messages, full duplex, messages split past spidev's `bufsiz` with chip
//! select held, the `udrv spi transfer` command), and every byte must be the one at its
//! address.
//!
//! Flash commands (Winbond W25Q32/W25Q64 datasheets): 0x06 write enable, 0x05 read status
//! (bit 0 busy), 0x02 page program (up to 256 bytes within a page), 0x20 4 KiB sector
//! erase, 0x03 read (24-bit address, most significant byte first; the address counts up
//! as long as chip select stays low). This file uses 0x200000.. of the w25q32 and
//! 0x500000.. of the w25q64.
#![cfg(udrv_guest_rpi)]

use std::process::Command;
use std::time::{Duration, Instant};

use embedded_hal::spi::{Operation, SpiDevice};
use udrv_core::spi::{SpidevDevice, Transfer};

fn flash(cs: u32) -> SpidevDevice {
    SpidevDevice::open(format!("/dev/spidev0.{cs}")).expect("open spidev")
}

/// A byte sequence that never repeats a stretch (the high bits of a 32-bit linear
/// congruential generator), so a byte lost, doubled or moved shows as a mismatch.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 23) as u8
        })
        .collect()
}

fn cmd(op: u8, a: u32) -> [u8; 4] {
    [op, (a >> 16) as u8, (a >> 8) as u8, a as u8]
}

fn wait_ready(dev: &mut SpidevDevice) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = [0u8; 1];
        dev.transaction(&mut [Operation::Write(&[0x05u8]), Operation::Read(&mut s)])
            .unwrap();
        if s[0] & 0x01 == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "the flash stays busy");
    }
}

/// Erases the sectors under `at..at + data.len()` and programs `data` page by page.
fn store(dev: &mut SpidevDevice, at: u32, data: &[u8]) {
    assert_eq!(at % 4096, 0);
    for s in 0..data.len().div_ceil(4096) as u32 {
        dev.write(&[0x06u8]).unwrap();
        dev.write(&cmd(0x20, at + s * 4096)).unwrap();
        wait_ready(dev);
    }
    for (i, page) in data.chunks(256).enumerate() {
        dev.write(&[0x06u8]).unwrap();
        dev.transaction(&mut [
            Operation::Write(&cmd(0x02, at + 256 * i as u32)),
            Operation::Write(page),
        ])
        .unwrap();
        wait_ready(dev);
    }
}

/// Reads from `base` in one message: the read command, then three read transfers of
/// `sizes` (chip select held between them); their bytes joined.
fn read_in_three(dev: &mut SpidevDevice, base: u32, sizes: [usize; 3]) -> Vec<u8> {
    let [mut a, mut b, mut c] = sizes.map(|n| vec![0u8; n]);
    dev.transaction(&mut [
        Operation::Write(&cmd(0x03, base)),
        Operation::Read(&mut a),
        Operation::Read(&mut b),
        Operation::Read(&mut c),
    ])
    .unwrap();
    [a, b, c].concat()
}

/// The first index where `got` differs from `want`, for a short message.
fn first_difference(got: &[u8], want: &[u8]) -> Option<usize> {
    if got.len() != want.len() {
        return Some(got.len().min(want.len()));
    }
    got.iter().zip(want).position(|(a, b)| a != b)
}

#[test]
fn a_programmed_page_reads_back_in_order_through_every_transfer_shape() {
    let mut dev = flash(0);
    let base = 0x20_0000;
    let page = pattern(256, 1);
    store(&mut dev, base, &page);

    // One read command, one read transfer.
    let mut back = vec![0u8; 256];
    dev.transaction(&mut [
        Operation::Write(&cmd(0x03, base)),
        Operation::Read(&mut back),
    ])
    .unwrap();
    assert_eq!(first_difference(&back, &page), None, "write + read");

    // The read cut into transfers of one message: chip select stays low between them,
    // so the flash streams on and the pieces are consecutive.
    let joined = read_in_three(&mut dev, base, [100, 1, 155]);
    assert_eq!(
        first_difference(&joined, &page),
        None,
        "three reads in one message"
    );

    // The same through the raw message API.
    let (mut a, mut b) = (vec![0u8; 17], vec![0u8; 239]);
    let command = cmd(0x03, base);
    dev.message(&mut [
        Transfer::write(&command),
        Transfer::read(&mut a),
        Transfer::read(&mut b),
    ])
    .unwrap();
    assert_eq!(first_difference(&[a, b].concat(), &page), None, "message");

    // Full duplex: the data comes in the bytes clocked after the 4 command bytes.
    let mut buf = vec![0u8; 4 + 256];
    buf[..4].copy_from_slice(&cmd(0x03, base));
    dev.transfer_in_place(&mut buf).unwrap();
    assert_eq!(
        first_difference(&buf[4..], &page),
        None,
        "transfer in place"
    );
    let mut read = vec![0u8; 4 + 256];
    dev.transfer(&mut read, &cmd(0x03, base)).unwrap();
    assert_eq!(
        first_difference(&read[4..], &page),
        None,
        "transfer, longer read"
    );

    // Addresses are sent most significant byte first: a read at base + 0x4D starts
    // 0x4D bytes in (a swapped address would read another part of the chip).
    let mut mid = vec![0u8; 50];
    dev.transaction(&mut [
        Operation::Write(&cmd(0x03, base + 0x4D)),
        Operation::Read(&mut mid),
    ])
    .unwrap();
    assert_eq!(
        first_difference(&mid, &page[0x4D..0x4D + 50]),
        None,
        "at +0x4d"
    );
}

#[test]
fn transfers_longer_than_bufsiz_are_split_in_order_with_chip_select_held() {
    // More than spidev's bufsiz (4096 here) in one transfer or one transaction: udrv
    // sends it as several messages, chip select held between them (cs_change on each
    // part's last transfer). Were chip select released, the flash would take the next
    // part's first byte as a new command and the data would stop matching.
    let mut dev = flash(1);
    let bufsiz = dev.bufsiz();
    assert_eq!(bufsiz, 4096);
    let base = 0x50_0000;
    let data = pattern(3 * 4096, 2);
    store(&mut dev, base, &data);
    let n = 2 * bufsiz + 1808; // 10 000 bytes after the command

    // One full-duplex transfer of 4 + 10 000 bytes.
    let mut buf = vec![0u8; 4 + n];
    buf[..4].copy_from_slice(&cmd(0x03, base));
    dev.transfer_in_place(&mut buf).unwrap();
    assert_eq!(
        first_difference(&buf[4..], &data[..n]),
        None,
        "one long duplex transfer"
    );

    // Reads straddling the split points.
    let joined = read_in_three(&mut dev, base, [3000, 3000, n - 6000]);
    assert_eq!(
        first_difference(&joined, &data[..n]),
        None,
        "three reads across the split"
    );

    // More transfers than one ioctl carries (511): 700 reads of 16 bytes.
    let mut pieces = vec![[0u8; 16]; 700];
    let command = cmd(0x03, base + 1024);
    let mut ops: Vec<Operation<'_, u8>> = vec![Operation::Write(&command)];
    ops.extend(pieces.iter_mut().map(|p| Operation::Read(&mut p[..])));
    dev.transaction(&mut ops).unwrap();
    drop(ops);
    let joined: Vec<u8> = pieces.concat();
    assert_eq!(
        first_difference(&joined, &data[1024..1024 + 700 * 16]),
        None,
        "700 transfers in one transaction"
    );
}

#[test]
fn udrv_spi_transfer_returns_the_flash_bytes_in_order() {
    // The command line's long transfer (split past bufsiz) against the same kind of page:
    // every byte of its output is the one at its address.
    let mut dev = flash(1);
    let base = 0x51_0000;
    let data = pattern(3 * 4096, 3);
    store(&mut dev, base, &data);
    let n = 2 * dev.bufsiz() + 100;
    let dir = std::env::temp_dir();
    let (inp, out) = (
        dir.join("udrv-spi-order-in"),
        dir.join("udrv-spi-order-out"),
    );
    let mut tx = cmd(0x03, base).to_vec();
    tx.resize(4 + n, 0);
    std::fs::write(&inp, &tx).unwrap();
    let o = Command::new("udrv")
        .args(["spi", "transfer", "-y", "-i"])
        .arg(&inp)
        .arg("-o")
        .arg(&out)
        .arg("/dev/spidev0.1")
        .output()
        .expect("the udrv binary is in the guest's PATH");
    assert!(
        o.status.success(),
        "udrv spi transfer: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rx = std::fs::read(&out).unwrap();
    assert_eq!(rx.len(), 4 + n, "one byte back per byte sent");
    assert_eq!(
        first_difference(&rx[4..], &data[..n]),
        None,
        "udrv spi transfer"
    );
    // A short one with the bytes on the command line, printed as hex.
    let o = Command::new("udrv")
        .args([
            "spi",
            "transfer",
            "-y",
            "/dev/spidev0.1",
            "03",
            "51",
            "00",
            "10",
        ])
        .args(["00"; 8])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shown = String::from_utf8_lossy(&o.stdout);
    let after_command: Vec<&str> = shown.split_whitespace().skip(4).collect();
    let want: Vec<String> = data[0x10..0x18]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(after_command, want, "{shown}");
}
