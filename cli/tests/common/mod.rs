//! Helpers shared by the cli integration tests (`mod common;` in each file that uses them).
//!
//! Every test binary uses only some of them, and the `guest_*` and `rpi_*` files are
//! compiled only with `--cfg udrv_guest` / `--cfg udrv_guest_rpi`: what one binary leaves
//! unused is not dead code.
#![allow(dead_code)]

pub mod procs;
pub mod serve;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
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

/// Fails the test, showing the command's standard error, unless it contains `needle`.
#[track_caller]
pub fn assert_stderr_has(o: &Output, needle: &str) {
    let text = stderr(o);
    assert!(text.contains(needle), "no `{needle}` on stderr: {text}");
}

/// Fails the test, showing the command's standard output, unless it contains `needle`.
#[track_caller]
pub fn assert_stdout_has(o: &Output, needle: &str) {
    let text = stdout(o);
    assert!(text.contains(needle), "no `{needle}` on stdout: {text}");
}

/// A command's standard output read as one JSON value per line.
pub fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The value column of `quantity` (everything after it) in one chip's `udrv read` text
/// output.
pub fn value_text(out: &str, quantity: &str) -> String {
    out.lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&quantity)).then(|| f[2..].join(" "))
        })
        .unwrap_or_else(|| panic!("no {quantity} in:\n{out}"))
}

/// Waits (up to `limit`) until `udrv capture` has created `out`, which it does once its
/// port is open and set up (earlier bytes are discarded): frames sent from then on are
/// captured.
pub fn wait_created(out: &Path, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !out.exists() {
        assert!(
            Instant::now() < deadline,
            "udrv capture did not create {} in {limit:?}",
            out.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts `cmd` with no standard input, `out` as its standard output and its standard
/// error piped.
pub fn spawn_piped(cmd: &mut Command, out: Stdio) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"))
}

/// `udrv --board virtual ARGS`, the built binary, its clock started at 1000 s
/// (`UDRV_VIRTUAL_TIME`) and no faults (`UDRV_VIRTUAL_FAULTS` removed).
pub fn udrv_virtual(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual"])
        .args(args)
        .env("UDRV_VIRTUAL_TIME", "1000")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .output()
        .expect("run udrv")
}

/// [`udrv_virtual`] that must succeed: its standard output.
#[track_caller]
pub fn udrv_virtual_ok(args: &[&str]) -> String {
    let o = udrv_virtual(args);
    assert!(o.status.success(), "udrv {args:?}: {}", stderr(&o));
    stdout(&o)
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

/// The lines of `r`, read on a thread and sent as they come; the channel closes at end
/// of file (when the process that writes them has exited or closed its end).
pub fn line_channel(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    lines
}

/// Receives lines from `lines` for at most `limit`, each pushed to `seen`, until one
/// satisfies `want`: that one, or the error (time ran out, or the writer is gone).
pub fn next_line_where(
    lines: &mpsc::Receiver<String>,
    limit: Duration,
    seen: &mut Vec<String>,
    mut want: impl FnMut(&str) -> bool,
) -> Result<String, mpsc::RecvTimeoutError> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let l = lines.recv_timeout(left)?;
        let done = want(&l);
        seen.push(l.clone());
        if done {
            return Ok(l);
        }
    }
}

/// Waits at most `limit` for `child` to exit: its status, or `None` (the child killed)
/// when it has not exited by then.
pub fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
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
        let mut child = spawn_piped(Command::new("udrv").args(&all), Stdio::piped());
        let lines = line_channel(child.stdout.take().unwrap());
        let errs = line_channel(child.stderr.take().unwrap());
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
        let mut seen = Vec::new();
        if next_line_where(&self.lines, WAIT, &mut seen, |l| last(l)).is_err() {
            let errs: Vec<String> = self.errs.try_iter().collect();
            panic!(
                "udrv {:?}: the awaited line did not come in {WAIT:?}; seen: \
                 {seen:#?}; stderr: {errs:?}",
                self.args
            )
        }
        seen
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
        let Some(status) = exit_within(&mut self.child, WAIT) else {
            let seen: Vec<String> = self.lines.try_iter().collect();
            panic!(
                "udrv {:?} did not exit within {WAIT:?}; stdout: {seen:?}",
                self.args
            );
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

/// How long any one wait on a `udrv capture` may take before the test fails: a guard
/// against a hung capture, far above what any step takes.
pub const CAPTURE_WAIT: Duration = Duration::from_secs(60);

/// A Modbus RTU read-holding-registers request for register `n` (unit 0x11).
pub fn read_request(n: u16) -> Vec<u8> {
    frame(&[0x11, 0x03, (n >> 8) as u8, n as u8, 0x00, 0x01])
}

/// A running `udrv capture`, its stderr read line by line as it comes.
pub struct Capture {
    /// The capture process.
    pub child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Capture {
    /// Starts `cmd` (a `udrv capture`, directly or through a shell) with no standard
    /// input or output and its stderr read as it comes.
    pub fn spawn(cmd: &mut Command) -> Capture {
        let mut child = spawn_piped(cmd, Stdio::null());
        let lines = line_channel(child.stderr.take().unwrap());
        Capture {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most [`CAPTURE_WAIT`]) for a stderr line containing `needle`; returns
    /// it, or fails naming what the capture said.
    pub fn line(&mut self, needle: &str) -> String {
        next_line_where(&self.lines, CAPTURE_WAIT, &mut self.seen, |l| {
            l.contains(needle)
        })
        .unwrap_or_else(|e| panic!("no line with `{needle}` ({e}); stderr: {:?}", self.seen))
    }

    /// Waits (at most [`CAPTURE_WAIT`], else kills it and fails) for the capture to exit:
    /// its status and all of its stderr.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let Some(status) = exit_within(&mut self.child, CAPTURE_WAIT) else {
            panic!("udrv capture did not exit; stderr: {:?}", self.seen);
        };
        // The reader thread ends at end of file, closing the channel.
        self.seen.extend(self.lines.iter());
        (status, self.seen.join("\n"))
    }
}
