//! The `udrv` command line given bad input in the real-kernel guest, beyond the per-command
//! argument tests (guest_cli_*.rs): the wrong kind of device file, lines and lengths out
//! of range (zero, over the adapter's or spidev's limit, 1 MiB), devices that do not
//! exist or were removed, addresses without a chip or held by a kernel driver, and lines
//! held by another process. Each case checks the exit status (2: the command line is
//! wrong; 1: the system said no), one message line naming what is wrong, and that the
//! device was left as it was.
#![cfg(udrv_guest)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{env, sim_value, stderr, udrv};

/// Runs each case and checks status, the one-line message and its text.
fn refused(cases: &[(Vec<&str>, i32, &[&str])]) {
    for (args, code, needles) in cases {
        let o = udrv(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "udrv {args:?}: {e}");
        for n in *needles {
            assert!(e.contains(n), "udrv {args:?}: `{e}` lacks `{n}`");
        }
        assert!(e.starts_with("udrv: ") || *code == 2, "{e}");
        assert!(e.lines().count() <= 3, "a short message, no backtrace: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}

/// i2c-stub chip registers as busybox i2cdump shows them (an independent reader).
fn dump(bus: &str, addr: &str) -> String {
    let o = Command::new("busybox")
        .args(["i2cdump", "-y", bus, addr, "b"])
        .output()
        .unwrap();
    assert!(o.status.success(), "i2cdump: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn regular_file() -> String {
    let p = std::env::temp_dir().join("udrv-cli-badinput");
    std::fs::write(&p, b"hello\n").unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn the_wrong_kind_of_device_file_is_named() {
    let file = regular_file();
    let tty = "/dev/ttyS0";
    let mut cases = Vec::new();
    for p in [tty, file.as_str()] {
        cases.push((
            vec!["i2c", "get", "-y", p, "0x48", "0x00"],
            1,
            &["ENOTTY", "not an I2C (i2c-dev) device node"][..],
        ));
        cases.push((
            vec!["gpio", "info", p],
            1,
            &["ENOTTY", "not a GPIO character device node"][..],
        ));
        cases.push((
            vec!["gpio", "get", "--chip", p, "0"],
            1,
            &["not a GPIO character device node"][..],
        ));
        cases.push((
            vec!["spi", "transfer", "-y", p, "00"],
            1,
            &["ENOTTY", "not a spidev device node"][..],
        ));
        cases.push((vec!["uio", "info", p], 1, &["not a UIO device node"][..]));
    }
    refused(&cases);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"hello\n",
        "the file was not written"
    );
}

#[test]
fn missing_and_removed_devices_say_what_exists() {
    // A gpio-sim chip that existed a moment ago.
    let cfg = "/sys/kernel/config/gpio-sim/udrv-cli-badinput";
    std::fs::create_dir_all(format!("{cfg}/bank0")).unwrap();
    std::fs::write(format!("{cfg}/bank0/num_lines"), "4").unwrap();
    std::fs::write(format!("{cfg}/live"), "1").unwrap();
    let chip = format!(
        "/dev/{}",
        std::fs::read_to_string(format!("{cfg}/bank0/chip_name"))
            .unwrap()
            .trim()
    );
    let o = udrv(&["gpio", "get", "--chip", &chip, "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(format!("{cfg}/live"), "0").unwrap();
    std::fs::remove_dir(format!("{cfg}/bank0")).unwrap();
    std::fs::remove_dir(cfg).unwrap();
    refused(&[
        (
            vec!["gpio", "get", "--chip", &chip, "0"],
            1,
            &["ENOENT", "udrv gpio detect"][..],
        ),
        (
            vec!["i2c", "get", "-y", "128", "0x48"],
            1,
            &["/dev/i2c-128", "ENOENT", "udrv i2c list"][..],
        ),
        (
            vec!["i2c", "get", "-y", "no-such-adapter", "0x48"],
            1,
            &["no I2C adapter is named", "SMBus stub driver"][..],
        ),
        (
            vec!["spi", "transfer", "-y", "9.9", "00"],
            1,
            &["spidev9.9"][..],
        ),
        (vec!["uio", "info", "uio99"], 1, &["uio99"][..]),
    ]);
}

#[test]
fn i2c_addresses_without_a_chip_or_held_by_a_driver() {
    let bus = env("UDRV_I2C_STUB_BUS");
    let drv = env("UDRV_I2C_STUB_DRIVER_ADDR");
    let before = dump(&bus, "0x48");
    refused(&[
        // i2c-stub answers an empty address with ENODEV.
        (
            vec!["i2c", "get", "-y", &bus, "0x49", "0x00"],
            1,
            &["0x49", "ENODEV", "no device answered"][..],
        ),
        (
            vec!["i2c", "set", "-y", &bus, "0x49", "0x00", "0x01"],
            1,
            &["0x49", "ENODEV", "no device answered"][..],
        ),
        (
            vec!["i2c", "get", "-y", &bus, &drv, "0x00"],
            1,
            &["in use by kernel driver `dummy`"][..],
        ),
        (
            vec!["i2c", "set", "-y", &bus, &drv, "0x00", "0x01"],
            1,
            &["in use by kernel driver `dummy`"][..],
        ),
        (
            vec!["i2c", "get", "-y", &bus, "0x78", "0x00"],
            2,
            &["reserved", "--force"][..],
        ),
        (
            vec!["i2c", "get", "-y", &bus, "0x200", "0x00"],
            2,
            &["out of range"][..],
        ),
    ]);
    assert_eq!(dump(&bus, "0x48"), before);
}

#[test]
fn absurd_lengths_are_refused_before_anything_is_sent() {
    let stub = env("UDRV_I2C_STUB_BUS");
    let plain = env("UDRV_I2C_PARPORT_BUS");
    let before = dump(&stub, "0x50");
    refused(&[
        (
            vec!["i2c", "transfer", "-y", &plain, "w65536@0x50"],
            2,
            &["too long (at most 65535)"][..],
        ),
        (
            vec!["i2c", "transfer", "-y", &plain, "r1048576@0x50"],
            2,
            &["too long"][..],
        ),
        (
            vec!["i2c", "transfer", "-y", &plain, "r65535@0x50"],
            1,
            &["65535", "not allowed", "nothing was sent"][..],
        ),
        (
            vec!["i2c", "transfer", "-y", &stub, "w1@0x50", "0x00", "r40"],
            1,
            &["0x50"][..],
        ),
        (
            vec![
                "i2c", "transfer", "-y", &plain, "w2@0x50", "0x00", "0x01", "0x02",
            ],
            2,
            &["0x02"][..],
        ),
    ]);
    assert_eq!(dump(&stub, "0x50"), before);
    // Zero-length messages are valid I2C (i2ctransfer allows them too).
    for m in ["w0@0x50", "r0@0x50"] {
        let o = udrv(&["i2c", "transfer", "-y", &plain, m]);
        assert!(o.status.success(), "{m}: {}", stderr(&o));
    }
    // SPI: nothing to send is refused; more than spidev's bufsiz (256 here) is split into
    // several messages and one byte comes back for each byte sent.
    let dev = env("UDRV_SPIDEV");
    let bufsiz: usize = std::fs::read_to_string("/sys/module/spidev/parameters/bufsiz")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    refused(&[(
        vec!["spi", "transfer", "-y", "-i", "/dev/null", &dev],
        2,
        &["nothing to send"][..],
    )]);
    let dir = std::env::temp_dir();
    let (inp, out) = (dir.join("udrv-spi-in"), dir.join("udrv-spi-out"));
    let n = 3 * bufsiz + 17;
    // Never 0x00, never a repeat of a short stretch: an echo of the input shows.
    let sent: Vec<u8> = (0..n).map(|i| (i * 7 % 255) as u8 + 1).collect();
    std::fs::write(&inp, &sent).unwrap();
    let o = udrv(&[
        "spi",
        "transfer",
        "-y",
        "-i",
        inp.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        &dev,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Nothing drives MISO on this fixture (spi-lm70llp samples the parallel port's BUSY
    // status line, which nothing here drives): every byte clocked in is 0x00. So each
    // byte must be 0x00, one per byte sent: neither the input echoed, nor a part missing
    // or doubled, nor a stale buffer. (Byte order needs a chip that answers: the Pi tier's
    // flash, core/tests/rpi_spi_order.rs.)
    let back = std::fs::read(&out).unwrap();
    assert_eq!(back.len(), n, "one byte back per byte sent");
    assert_eq!(
        back.iter().position(|&b| b != 0x00),
        None,
        "MISO reads 0x00"
    );
    refused(&[(
        vec!["spi", "transfer", "-y", "-s", "0", &dev, "00"],
        1,
        &["EINVAL", "max speed"][..],
    )]);
}

fn gpio_used(offset: u32) -> bool {
    udrv_core::gpio::Chip::open(env("UDRV_GPIO_SIM_CHIP"))
        .unwrap()
        .line_info(offset)
        .unwrap()
        .used
}

fn holder(assignment: &str) -> Child {
    Command::new("udrv")
        .args(["gpio", "set", "-y", "--hold", assignment])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn lines_out_of_range_or_held_by_another_process() {
    let chip = env("UDRV_GPIO_SIM_CHIP");
    refused(&[
        (
            vec!["gpio", "get", "--chip", &chip, "16"],
            1,
            &["line 16 does not exist", "16 lines"][..],
        ),
        (
            vec!["gpio", "set", "-y", "--chip", &chip, "99=1"],
            1,
            &["line 99 does not exist"][..],
        ),
        (
            vec!["gpio", "get", "--chip", &chip, "4294967296"],
            1,
            &["4294967296"][..],
        ),
        (
            vec!["gpio", "get", "gpiochip99:1"],
            1,
            &["/dev/gpiochip99", "ENOENT"][..],
        ),
    ]);
    // Another process holds `relay` (offset 2) high.
    let mut h = holder("relay=1");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gpio_used(2) {
        assert!(Instant::now() < deadline, "the holder never took the line");
        std::thread::sleep(Duration::from_millis(50));
    }
    refused(&[
        (
            vec!["gpio", "get", "relay"],
            1,
            &["EBUSY", "in use by consumer \"udrv-set\""][..],
        ),
        (
            vec!["gpio", "set", "-y", "relay=0"],
            1,
            &["EBUSY", "\"udrv-set\""][..],
        ),
        (
            vec!["gpio", "mon", "relay"],
            1,
            &["EBUSY", "\"udrv-set\""][..],
        ),
    ]);
    assert_eq!(sim_value(2), "1", "the holder's level was not changed");
    h.kill().unwrap();
    h.wait().unwrap();
}
