//! The core serial layer on the emulated Raspberry Pi 3B's PL011 (`/dev/ttyAMA0`, the
//! kernel's `amba-pl011` driver; `cargo xtask vmtest --board rpi3b`). The PL011's other end
//! is a unix socket on the host (`xtask/src/rpi.rs`): the tests ask the host to write into
//! it and to read what the guest sent.
#![cfg(udrv_guest_rpi)]

#[path = "../../xtask/guest-rpi/host.rs"]
mod host;

use std::time::{Duration, Instant};

use udrv_core::serial::{LineSettings, PortKind, ReadOutcome, Rs485Config, SerialPort};

fn port() -> SerialPort {
    let path = std::env::var("UDRV_RPI_UART").expect("UDRV_RPI_UART not set");
    SerialPort::open(&path, &LineSettings::new_8n1(115_200)).expect("open the PL011")
}

/// Reads until `n` bytes came or 60 s passed (a guard against a hang, not a time limit).
fn read_n(p: &mut SerialPort, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.len() < n && Instant::now() < deadline {
        let mut buf = [0u8; 256];
        match p
            .read_timeout(&mut buf, Some(Duration::from_millis(200)))
            .unwrap()
        {
            ReadOutcome::Data(k) => got.extend_from_slice(&buf[..k]),
            ReadOutcome::Timeout => {}
            ReadOutcome::Vanished => panic!("the PL011 vanished"),
        }
    }
    got
}

#[test]
fn the_pl011_is_a_native_uart() {
    let p = port();
    assert_eq!(p.kind(), PortKind::Native);
    let driver = std::fs::read_to_string("/proc/tty/driver/ttyAMA").expect("ttyAMA driver");
    assert!(driver.contains("uart:PL011"), "{driver}");
}

#[test]
fn bytes_from_the_host_arrive_and_bytes_sent_reach_the_host() {
    let mut p = port();
    p.discard_input().unwrap();
    host::uart_clear();
    let data: Vec<u8> = (0..=255u8).collect(); // every byte value: raw mode, no mangling
    host::uart_write(&data);
    assert_eq!(read_n(&mut p, 256), data);
    let reply = b"\x00\x11\r\n\x13\x7fpl011 to host\xff";
    p.write_all(reply).unwrap();
    assert_eq!(host::uart_read(reply.len(), 60_000), reply);
    let c = p.counters().unwrap();
    assert!(c.rx >= 256 && c.tx >= reply.len() as u32, "{c:?}");
}

#[test]
fn tiocsrs485_on_the_pl011_is_sanitised_by_the_kernel() {
    let mut p = port();
    let off = p.rs485().expect("the PL011 answers TIOCGRS485");
    assert!(!off.is_enabled(), "RS485 starts off: {off:?}");
    // What the kernel keeps (linux 6.1 amba-pl011 + serial core's sanitising): the PL011
    // supports ENABLED, RTS_ON_SEND, RTS_AFTER_SEND and both delays.
    let kept = p
        .set_rs485(&Rs485Config {
            flags: Rs485Config::ENABLED | Rs485Config::RTS_ON_SEND,
            delay_rts_before_send: 5,
            delay_rts_after_send: 7,
        })
        .expect("TIOCSRS485");
    println!("kept: {kept:?}");
    assert!(kept.is_enabled(), "{kept:?}");
    assert_ne!(kept.flags & Rs485Config::RTS_ON_SEND, 0, "{kept:?}");
    assert_eq!(kept.flags & Rs485Config::RTS_AFTER_SEND, 0, "{kept:?}");
    assert_eq!(
        (kept.delay_rts_before_send, kept.delay_rts_after_send),
        (5, 7)
    );
    // Measured on linux 6.1: the serial core sanitises (delays clamped to 100 ms, exactly
    // one of RTS_ON_SEND / RTS_AFTER_SEND, RTS_ON_SEND when neither or both are asked,
    // TERMINATE_BUS dropped without a termination GPIO), keeps RX_DURING_TX, and refuses
    // 9-bit addressing (ADDRB, ADDR_RECV) and MODE_RS422 (not known to 6.1) with EINVAL.
    let base = Rs485Config::ENABLED | Rs485Config::RTS_ON_SEND;
    for (what, flags, delays, expect) in [
        ("long delays", base, (500, 1000), Some((base, (100, 100)))),
        (
            "on and after",
            base | Rs485Config::RTS_AFTER_SEND,
            (0, 0),
            Some((base, (0, 0))),
        ),
        (
            "neither",
            Rs485Config::ENABLED,
            (0, 0),
            Some((base, (0, 0))),
        ),
        (
            "rx during tx",
            base | Rs485Config::RX_DURING_TX,
            (1, 2),
            Some((base | Rs485Config::RX_DURING_TX, (1, 2))),
        ),
        (
            "terminate",
            base | Rs485Config::TERMINATE_BUS,
            (0, 0),
            Some((base, (0, 0))),
        ),
        ("addrb", base | Rs485Config::ADDRB, (0, 0), None),
        ("addr_recv", base | Rs485Config::ADDR_RECV, (0, 0), None),
        ("rs422", base | Rs485Config::MODE_RS422, (0, 0), None),
    ] {
        let r = p.set_rs485(&Rs485Config {
            flags,
            delay_rts_before_send: delays.0,
            delay_rts_after_send: delays.1,
        });
        match (r, expect) {
            (Ok(kept), Some((flags, delays))) => assert_eq!(
                (
                    kept.flags,
                    (kept.delay_rts_before_send, kept.delay_rts_after_send)
                ),
                (flags, delays),
                "{what}"
            ),
            (Err(e), None) => assert_eq!(e.errno(), Some(libc::EINVAL), "{what}: {e}"),
            (r, e) => panic!("{what}: kernel gave {r:?}, expected {e:?}"),
        }
    }
    p.set_rs485(&Rs485Config::enabled()).unwrap();
    // Data still flows with RS485 on (RTS toggles around each write).
    host::uart_clear();
    p.write_all(b"rs485 on").unwrap();
    assert_eq!(host::uart_read(8, 60_000), b"rs485 on");
    let off = p.set_rs485(&Rs485Config::default()).expect("RS485 off");
    assert!(!off.is_enabled(), "{off:?}");
}
