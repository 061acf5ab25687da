//! Helpers shared by the cli integration tests (`mod common;` in each file that uses them).
//!
//! Every test binary uses only some of them, and the `guest_*` and `rpi_*` files are
//! compiled only with `--cfg udrv_guest` / `--cfg udrv_guest_rpi`: what one binary leaves
//! unused is not dead code.
#![allow(dead_code)]

pub mod procs;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

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

/// gpio-sim's `button` line in the fixture (udrv-sim, offset 1): an input nothing else
/// holds, for tests that make edges with [`sim_pull`].
pub const SIM_BUTTON: u32 = 1;

/// Pulls line `offset` of the `UDRV_GPIO_SIM_SYSFS` chip up or down (gpio-sim's side: what
/// a requester of the line reads, and an edge when it changes).
pub fn sim_pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
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

/// How long any event the kernel must send may take to reach `udrv watch` (TCG is slow,
/// not this slow).
pub const WAIT: Duration = Duration::from_secs(15);

/// A running `udrv watch --banner ...`, its output read line by line by threads (so every
/// read has a deadline); killed on drop.
pub struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    errs: mpsc::Receiver<String>,
    args: Vec<String>,
}

impl Watch {
    /// Starts `udrv watch --banner ARGS` and returns once its banner says the kernel's
    /// events are being received.
    pub fn start(args: &[&str]) -> Watch {
        let mut all = vec!["watch", "--banner"];
        all.extend_from_slice(args);
        let mut child = Command::new("udrv")
            .args(&all)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn udrv");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let (tx, errs) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let w = Watch {
            child,
            lines,
            errs,
            args: all.iter().map(|s| s.to_string()).collect(),
        };
        let banner = w
            .errs
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no banner from udrv {:?}", w.args));
        assert!(banner.starts_with("udrv: watching "), "{banner}");
        w
    }

    /// The lines printed until one satisfies `last` (included); fails the test, naming
    /// what was seen, when none does in time.
    pub fn until(&self, mut last: impl FnMut(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let done = last(&l);
                    seen.push(l);
                    if done {
                        return seen;
                    }
                }
                Err(_) => {
                    let errs: Vec<String> = self.errs.try_iter().collect();
                    panic!(
                        "udrv {:?}: the awaited line did not come in {WAIT:?}; seen: \
                         {seen:#?}; stderr: {errs:?}",
                        self.args
                    )
                }
            }
        }
    }

    /// The JSON lines until one satisfies `last` (included).
    pub fn until_json(&self, mut last: impl FnMut(&Value) -> bool) -> Vec<Value> {
        let mut values = Vec::new();
        self.until(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line: {l:?}: {e}"));
            let done = last(&v);
            values.push(v);
            done
        });
        values
    }

    /// Waits (at most `WAIT`) for the process to end: its status, the lines not read yet
    /// and its standard error.
    pub fn exit(mut self) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let seen: Vec<String> = self.lines.try_iter().collect();
                panic!(
                    "udrv {:?} did not exit within {WAIT:?}; stdout: {seen:?}",
                    self.args
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end at end of file, closing their channels.
        let lines = self.lines.iter().collect();
        let errs: Vec<String> = self.errs.iter().collect();
        (status, lines, errs.join("\n"))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A capture's standard error, read on a thread from the moment it was taken.
pub struct StderrTap {
    text: std::sync::Arc<std::sync::Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl StderrTap {
    /// Everything the process wrote on standard error, once it has closed it (exited).
    pub fn text(self) -> String {
        let _ = self.reader.join();
        let t = self.text.lock().unwrap();
        t.clone()
    }
}

/// Takes `child`'s (piped) standard error and waits (60 s at most, a guard against a hang)
/// until it says `capturing on`: the port is open and set up, so bytes sent from then on
/// are captured. An event to wait for, not a time. The whole of standard error is in the
/// returned tap.
pub fn wait_capturing(child: &mut std::process::Child) -> StderrTap {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("the capture's stderr is piped");
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = std::sync::Arc::clone(&text);
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let started = line.contains("capturing on");
            {
                let mut t = shared.lock().unwrap();
                t.push_str(&line);
                t.push('\n');
            }
            if started {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let t = text.lock().unwrap().clone();
        panic!("udrv capture never said `capturing on` (60 s); its stderr: {t}");
    }
    StderrTap { text, reader }
}
