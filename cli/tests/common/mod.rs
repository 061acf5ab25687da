//! Helpers shared by the cli integration tests (`mod common;` in each file that uses them).
//!
//! Every test binary uses only some of them, and the `guest_*` and `rpi_*` files are
//! compiled only with `--cfg udrv_guest` / `--cfg udrv_guest_rpi`: what one binary leaves
//! unused is not dead code.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// An environment variable the guest's fixtures set; its absence fails the test, naming it.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: the fixture that provides it failed (see the console)")
    })
}

/// Runs `prog` (from PATH) with `args` and no standard input; its output, whatever its
/// exit status.
pub fn run(prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}"))
}

/// `udrv args...` as a user at the guest's shell runs it (the `udrv` in PATH).
pub fn udrv(args: &[&str]) -> Output {
    run("udrv", args)
}

/// A command's standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The value gpio-sim's side reads on line `offset` of the `UDRV_GPIO_SIM_SYSFS` chip.
pub fn sim_value(offset: u32) -> String {
    let p = format!("{}/sim_gpio{offset}/value", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::read_to_string(&p).expect(&p).trim().to_string()
}

/// CRC-16/MODBUS (reflected 0xA001, init 0xFFFF), written here independently of rs485/.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0xffffu16;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xa001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// A Modbus RTU frame: `body` and its CRC, low byte first.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = body.to_vec();
    f.extend_from_slice(&crc16(body).to_le_bytes());
    f
}

/// Waits (at most 30 s, else fails) until process `pid` has `port` open (its fd table
/// links to it), then `settle` more for the capture loop to finish its set-up.
pub fn wait_open(pid: u32, port: &Path, settle: Duration) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|fds| {
                fds.flatten()
                    .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == port))
            })
            .unwrap_or(false);
        if open {
            std::thread::sleep(settle);
            return;
        }
        assert!(
            Instant::now() < deadline,
            "udrv capture never opened {}",
            port.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
