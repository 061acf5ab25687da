//! `udrv spi` and `udrv uio` in the real-kernel guest: spidev on the parallel-port SPI
//! master, and QEMU's `edu` device on uio_pci_generic.
#![cfg(udrv_guest)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{env, stderr, stdout, udrv};
use udrv_core::uio::Uio;

#[test]
fn spi_transfer_prints_what_miso_clocked_in() {
    let dev = env("UDRV_SPIDEV");
    let o = udrv(&["spi", "transfer", "-y", &dev, "9f", "00", "00", "00"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Nothing drives MISO on the parallel-port master: it reads zeros.
    assert_eq!(stdout(&o).trim(), "00 00 00 00");
    let o = udrv(&[
        "--json", "spi", "transfer", "-y", "--speed", "100000", &dev, "deadbeef",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["tx"], serde_json::json!([0xde, 0xad, 0xbe, 0xef]));
    assert_eq!(v["rx"], serde_json::json!([0, 0, 0, 0]));
    assert_eq!(v["speed_hz"], 100000);
}

#[test]
fn spi_transfer_from_and_to_files() {
    let dev = env("UDRV_SPIDEV");
    std::fs::write("/tmp/spi-in.bin", [1u8, 2, 3, 4, 5]).unwrap();
    let o = udrv(&[
        "spi",
        "transfer",
        "-y",
        &dev,
        "--in",
        "/tmp/spi-in.bin",
        "--out",
        "/tmp/spi-out.bin",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read("/tmp/spi-out.bin").unwrap(), vec![0u8; 5]);
    assert_eq!(stdout(&o), "");
}

#[test]
fn spi_bad_arguments() {
    let dev = env("UDRV_SPIDEV");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["spi", "transfer", "-y", &dev, "zz"], 2, "not hex"),
        (&["spi", "transfer", "-y", &dev], 2, "nothing to send"),
        (
            &[
                "spi", "transfer", "-y", "--bits", "16", &dev, "00", "00", "00",
            ],
            2,
            "whole 16-bit words",
        ),
        (
            &["spi", "transfer", "-y", "--bits", "40", &dev, "00"],
            2,
            "not possible",
        ),
        (&["spi", "transfer", &dev, "00"], 2, "refusing"),
        (
            &["spi", "transfer", "-y", "/dev/spidev9.9", "00"],
            1,
            "/dev/spidev9.9",
        ),
    ];
    for (args, code, needle) in cases {
        let o = udrv(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "udrv {args:?}: {e}");
        assert!(e.contains(needle), "udrv {args:?}: `{e}` lacks `{needle}`");
    }
}

#[test]
fn uio_list_and_info() {
    let path = env("UDRV_UIO");
    let o = udrv(&["uio", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let name = path.trim_start_matches("/dev/");
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with(name) && l.contains("uio_pci_generic")),
        "{}",
        stdout(&o)
    );
    let o = udrv(&["--json", "uio", "info", &path]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["name"], "uio_pci_generic");
    // edu's BAR0 is 1 MiB of registers.
    assert_eq!(v["maps"][0]["size"], 0x100000);
}

#[test]
fn uio_wait_times_out_then_sees_an_interrupt() {
    let path = env("UDRV_UIO");
    let o = udrv(&["uio", "wait", "--timeout-ms", "200", &path]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no interrupt within 200 ms"),
        "{}",
        stderr(&o)
    );

    let dev = Uio::open_path(&path).unwrap();
    let regs = dev.map(0).unwrap();
    let mut child = Command::new("udrv")
        .args(["uio", "wait", "--rearm", "--timeout-ms", "30000", &path])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The waiter sees interrupts raised after it opened the device: keep raising one
    // (acknowledging the previous) until it reports.
    let mut status = None;
    for _ in 0..300 {
        regs.write32(0x64, regs.read32(0x24).unwrap()).unwrap(); // ack
        regs.write32(0x60, 1).unwrap(); // raise
        std::thread::sleep(Duration::from_millis(100));
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
    }
    regs.write32(0x64, regs.read32(0x24).unwrap()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(status.is_some_and(|s| s.success()), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("interrupt count="), "{text}");
    assert!(dev.rearm().is_ok());
}
