//! Bad input to the public API in the real-kernel guest, beyond what the per-bus tests
//! cover: the wrong kind of file given as a bus (a tty, a regular file, a directory),
//! addresses out of range, absurd lengths (zero, one past the limit, 1 MiB), a GPIO line
//! held by another process (the error names its consumer) and a GPIO chip removed while
//! a program holds it open. Every case is a typed error with a message saying what is
//! wrong, and nothing reaches the device.
#![cfg(udrv_guest)]

mod common;

use common::{env, parport, stub};

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use embedded_hal::i2c::{I2c, Operation};
use udrv_core::gpio::{Chip, EdgeDetection};
use udrv_core::i2c::{self, I2cBus};
use udrv_core::spi::SpidevDevice;
use udrv_core::uio::Uio;

fn regular_file() -> PathBuf {
    let p = std::env::temp_dir().join("udrv-badinput-regular");
    std::fs::write(&p, b"not a device\n").unwrap();
    p
}

#[test]
fn the_wrong_kind_of_file_is_named_as_such() {
    let file = regular_file();
    let tty = PathBuf::from("/dev/ttyS0");
    assert!(tty.exists(), "the guest has a serial port");
    for p in [&file, &tty] {
        let e = I2cBus::open_path(p).unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
        assert!(
            e.to_string().contains("not an I2C (i2c-dev) device node"),
            "{e}"
        );
        let e = Chip::open(p).unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
        assert!(
            e.to_string().contains("not a GPIO character device node"),
            "{e}"
        );
        let e = SpidevDevice::open(p).unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
        assert!(e.to_string().contains("not a spidev device node"), "{e}");
        let e = Uio::open_path(p).unwrap_err();
        assert_eq!(e.errno(), Some(libc::ENOTTY), "{e}");
        assert!(e.to_string().contains("not a UIO device node"), "{e}");
    }
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"not a device\n",
        "the file was not written"
    );
    // A directory: opening it for writing fails in the kernel with EISDIR, before any
    // ioctl, for every kind of device; the message names the path and the errno.
    let dir = PathBuf::from("/dev");
    let errnos = [
        (
            "i2c",
            I2cBus::open_path(&dir).map(drop).unwrap_err().errno(),
        ),
        ("gpio", Chip::open(&dir).map(drop).unwrap_err().errno()),
        (
            "spi",
            SpidevDevice::open(&dir).map(drop).unwrap_err().errno(),
        ),
        ("uio", Uio::open_path(&dir).map(drop).unwrap_err().errno()),
    ];
    for (kind, errno) in errnos {
        assert_eq!(errno, Some(libc::EISDIR), "{kind} on /dev");
    }
    let e = I2cBus::open_path(&dir).unwrap_err().to_string();
    assert!(e.contains("/dev") && e.contains("EISDIR"), "{e}");
    // Paths that do not exist: ENOENT, naming the path.
    let e = I2cBus::open_path("/dev/i2c-999").unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(e.to_string().contains("/dev/i2c-999"), "{e}");
    let e = Chip::open("/dev/gpiochip999").unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(e.to_string().contains("/dev/gpiochip999"), "{e}");
    let e = SpidevDevice::open("/dev/spidev9.9").unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(e.to_string().contains("/dev/spidev9.9"), "{e}");
    let e = Uio::open(99).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    assert!(e.to_string().contains("uio99"), "{e}");
}

#[test]
fn i2c_addresses_out_of_range_are_refused_before_the_kernel() {
    // Each refused address, cut to 7 bits (`& 0x7f`) or to a byte (`as u8`) as a careless
    // conversion would, lands on one of the stub's chips (0x48, 0x50, 0x52) or on 0x00 /
    // 0x7f; were any sent, that chip's register would change.
    let bus = stub();
    let chips = [0x48u16, 0x50, 0x52];
    let reg = 0xE7u8; // used by no other guest test
    for c in chips {
        bus.smbus_write_byte_data(c, reg, 0xA5).unwrap();
    }
    let refused = [
        0x80u16,
        0xC8,
        0xD0,
        0xD2,
        0xFF,
        0x148,
        0x150,
        0x1D2,
        0x3FF,
        0x400,
        0x450,
        0x8048,
        u16::MAX,
    ];
    for addr in refused {
        let e = bus.smbus_write_byte_data(addr, reg, 0x5A).unwrap_err();
        assert!(
            matches!(e, i2c::Error::InvalidAddress { addr: a, ten_bit: false, .. } if a == addr),
            "{addr:#x}: {e:?}"
        );
        assert!(
            e.to_string().contains(&format!(
                "{addr:#x} is not a valid 7-bit I2C address (at most 0x7f)"
            )),
            "{e}"
        );
        assert_eq!(e.errno(), None, "no system call was made: {e}");
    }
    for c in chips {
        assert_eq!(
            bus.smbus_read_byte_data(c, reg).unwrap(),
            0xA5,
            "chip {c:#x}: a refused address reached it"
        );
    }
    // 10-bit addressing goes up to 0x3ff and no further, on an adapter that has it.
    let mut p = parport();
    for addr in [0x400u16, 0x450, u16::MAX] {
        let e = p
            .transaction(
                embedded_hal::i2c::TenBitAddress::from(addr),
                &mut [Operation::Write(&[0])],
            )
            .unwrap_err();
        assert!(
            matches!(e, i2c::Error::InvalidAddress { addr: a, ten_bit: true, .. } if a == addr),
            "{addr:#x}: {e:?}"
        );
        assert!(e.to_string().contains("(at most 0x3ff)"), "{e}");
    }
}

#[test]
fn absurd_i2c_lengths_are_refused_and_zero_lengths_work() {
    let mut bus = parport();
    // 1 MiB and one past the adapter's limit: refused, nothing sent (the fill stays).
    for n in [1usize << 20, 8193, 65_536] {
        let mut big = vec![0xAAu8; n];
        let e = bus.read(0x50u8, &mut big).unwrap_err();
        assert!(matches!(e, i2c::Error::InvalidLength { .. }), "{n}: {e:?}");
        assert!(e.to_string().contains("nothing was sent"), "{e}");
        assert!(
            big.iter().all(|&b| b == 0xAA),
            "{n}: the buffer was touched"
        );
    }
    // Zero-length messages are legal I2C (a quick write probes an address): the kernel
    // carries them and answers success on the plain adapter...
    bus.write(0x50u8, &[]).unwrap();
    bus.transaction(
        0x50u8,
        &mut [Operation::Write(&[]), Operation::Read(&mut [])],
    )
    .unwrap();
    // ...and on the SMBus-only stub a zero-length write is a quick command that really
    // reaches the adapter: a chip acknowledges, an empty address does not (ENODEV).
    let mut stub = stub();
    stub.write(0x50u8, &[]).unwrap();
    let e = stub.write(0x49u8, &[]).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENODEV), "{e}");
    // SMBus blocks carry at most 32 bytes.
    let e = stub
        .smbus_write_block_data(0x52, 0x40, &[0u8; 33])
        .unwrap_err();
    assert!(e.to_string().contains("32"), "{e}");
    let e = stub
        .smbus_write_i2c_block_data(0x52, 0x40, &[0u8; 33])
        .unwrap_err();
    assert!(e.to_string().contains("32"), "{e}");
}

/// A `udrv gpio set --hold` in another process, holding `line` (by name).
fn hold(line: &str) -> Child {
    Command::new("udrv")
        .args(["gpio", "set", "-y", "--hold", &format!("{line}=1")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the udrv binary is in the guest's PATH")
}

#[test]
fn a_line_held_by_another_process_names_its_consumer() {
    let chip = Chip::open(env("UDRV_GPIO_SIM_CHIP")).unwrap();
    let mut holder = hold("spare");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !chip.line_info(7).unwrap().used {
        assert!(
            Instant::now() < deadline,
            "the holder never requested the line"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let e = chip
        .request()
        .with_line(7)
        .as_input()
        .request()
        .unwrap_err();
    assert!(e.is_busy(), "{e}");
    let s = e.to_string();
    assert!(s.contains("EBUSY") && s.contains("\"udrv-set\""), "{s}");
    // The holder's output is untouched.
    let sysfs = env("UDRV_GPIO_SIM_SYSFS");
    let v = std::fs::read_to_string(format!("{sysfs}/sim_gpio7/value")).unwrap();
    assert_eq!(v.trim(), "1");
    holder.kill().unwrap();
    holder.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while chip.line_info(7).unwrap().used {
        assert!(Instant::now() < deadline, "the line stayed requested");
        std::thread::sleep(Duration::from_millis(20));
    }
    chip.request().with_line(7).as_input().request().unwrap();
}

#[test]
fn a_gpio_chip_removed_while_open_fails_typed_and_never_panics() {
    let cfg = "/sys/kernel/config/gpio-sim/udrv-badinput";
    std::fs::create_dir_all(format!("{cfg}/bank0")).unwrap();
    std::fs::write(format!("{cfg}/bank0/num_lines"), "4").unwrap();
    std::fs::write(format!("{cfg}/live"), "1").unwrap();
    let name = std::fs::read_to_string(format!("{cfg}/bank0/chip_name")).unwrap();
    let path = format!("/dev/{}", name.trim());
    let chip = Chip::open(&path).unwrap();
    let req = chip
        .request()
        .with_line(1)
        .with_edge_detection(EdgeDetection::Both)
        .request()
        .unwrap();
    req.value(1).unwrap();
    // The device goes away (an unbound driver, an unplugged USB GPIO expander).
    std::fs::write(format!("{cfg}/live"), "0").unwrap();
    std::fs::remove_dir(format!("{cfg}/bank0")).unwrap();
    std::fs::remove_dir(cfg).unwrap();
    let e = req.value(1).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENODEV), "{e}");
    assert!(e.to_string().contains("ENODEV"), "{e}");
    let e = chip.line_info(0).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENODEV), "{e}");
    // Waiting for an event on the dead request ends (error or nothing), it does not hang.
    let _ = req.wait_edge_event(Duration::from_millis(200));
    let e = Chip::open(&path).unwrap_err();
    assert_eq!(e.errno(), Some(libc::ENOENT), "{e}");
    drop(req);
    drop(chip);
}
