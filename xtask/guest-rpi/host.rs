//! The guest's side of the emulated Raspberry Pi tier's host requests (`xtask/src/rpi.rs`).
//!
//! Included by the `rpi_*` integration tests with
//! `#[path = "../../xtask/guest-rpi/host.rs"] mod host;`.
//!
//! A test that needs the host to act on the machine writes
//! `UDRV-HOST-REQ <id> <command> [args]` on `/dev/console` (not stdout: libtest captures
//! that) and reads the answer `UDRV-HOST-ACK <id> ok [data]` or
//! `UDRV-HOST-ACK <id> err <message>` from the console's input (stdin of every test
//! binary). An `err` answer panics, so the test fails with the host's reason.
#![allow(dead_code)]

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

static NEXT: AtomicU32 = AtomicU32::new(1);
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Sends one request and returns the data of the `ok` answer.
pub fn request(command: &str) -> String {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let id = format!(
        "{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut console = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/console")
        .expect("open /dev/console");
    writeln!(console, "UDRV-HOST-REQ {id} {command}").expect("write /dev/console");
    let prefix = format!("UDRV-HOST-ACK {id} ");
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        line.clear();
        let n = stdin
            .lock()
            .read_line(&mut line)
            .expect("read the host's answer");
        assert!(
            n > 0,
            "the console's input ended before the host answered `{command}`"
        );
        // Answers to earlier binaries' requests (if one died before reading) are skipped.
        if let Some(rest) = line.trim_end().strip_prefix(&prefix) {
            if let Some(data) = rest.strip_prefix("ok") {
                return data.trim().to_string();
            }
            panic!("the host could not do `{command}`: {rest}");
        }
    }
}

/// Sets a QEMU tmp105's temperature (milli-degrees Celsius) through QMP `qom-set`.
pub fn set_temperature(id: &str, millicelsius: i32) {
    request(&format!(
        "qom-set /machine/peripheral/{id} temperature {millicelsius}"
    ));
}

/// Sets the level a BCM2835 GPIO input sees (written from the host over qtest).
pub fn gpio_input(line: u32, high: bool) {
    request(&format!("gpio-input {line} {}", u8::from(high)));
}

/// Reads a 32-bit word of the machine's physical memory from the host (qtest `readl`).
pub fn readl(addr: u32) -> u32 {
    let v = request(&format!("qtest readl {addr:#x}"));
    u32::from_str_radix(v.trim_start_matches("0x"), 16).expect("readl answer")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes into the PL011's receive side (the guest must have the tty open already).
pub fn uart_write(bytes: &[u8]) {
    request(&format!("uart-write {}", hex(bytes)));
}

/// Frames into the PL011's receive side with `gap_ms` of silence between them.
pub fn uart_write_frames(gap_ms: u32, frames: &[&[u8]]) {
    let frames: Vec<String> = frames.iter().map(|f| hex(f)).collect();
    request(&format!("uart-write-frames {gap_ms} {}", frames.join(" ")));
}

/// Up to `n` bytes the guest sent out of the PL011, waiting at most `timeout_ms` for all.
pub fn uart_read(n: usize, timeout_ms: u32) -> Vec<u8> {
    let h = request(&format!("uart-read {n} {timeout_ms}"));
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Forgets what the guest sent out of the PL011 so far.
pub fn uart_clear() {
    request("uart-clear");
}

/// The host's `tshark -T fields -e F...` reading of a capture file made in the guest: one
/// entry per packet, its fields joined by `,`.
pub fn tshark_fields(file: &std::path::Path, fields: &[&str]) -> Vec<String> {
    let data = std::fs::read(file).expect("read the capture file");
    let out = request(&format!("tshark {} {}", fields.join(","), hex(&data)));
    if out.is_empty() {
        return Vec::new();
    }
    out.split('|').map(str::to_string).collect()
}
