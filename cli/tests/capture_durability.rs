//! `udrv capture` when the capture ends badly: SIGKILL (then the file is reopened), SIGTERM,
//! a full disk (a small tmpfs as root, else a file-size limit), a file-size limit that
//! kills with SIGXFSZ, and an output that cannot be written at all (`/dev/full`). Each
//! time the file must be readable by the real `tshark` (exit status 0, no "cut short")
//! up to the last complete frame, and the exit status and message must say what happened.
//! (SIGINT and an unplugged port are in `capture_cli.rs`.)
//!
//! Frames are sent once the capture says it is capturing, and a signal comes once the
//! frames it must find are in the file: no step relies on time passing.

mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{read_request, Capture, CAPTURE_WAIT as WAIT};
use tempfile::TempDir;
use udrv_core::serial::Pty;

/// Linux signal numbers (the same on x86, ARM and RISC-V).
const SIGKILL: i32 = 9;
const SIGXFSZ: i32 = 25;

/// A fresh directory for one test's capture files, removed when the test ends (pass or
/// fail): keep it until the capture process is done with it.
fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-capture-dur-").unwrap()
}

/// `udrv capture PORT -w OUT ...`, started through `sh -c` with `pre` run first (to set
/// a limit or a signal disposition that the `exec`'d capture inherits). Returns once the
/// capture says it is capturing: the port is open and set up, the file's header written.
fn spawn(port: &Path, out: &Path, format: &str, pre: &str) -> Capture {
    let cmd = format!(
        "{pre} exec \"$0\" capture \"$1\" -w \"$2\" --format {format} --line '115200 8N1' --linktype upper_pdu"
    );
    let mut cap = Capture::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .arg(env!("CARGO_BIN_EXE_udrv"))
            .arg(port)
            .arg(out),
    );
    cap.line("capturing on ");
    cap
}

/// A pcapng capture (`pre` run first, as for [`spawn`]) of a new pty into the file `name`
/// of a new folder (kept until the test ends), capturing, the pty's slave side closed
/// (only the capture holds the port).
fn capture_on_pty(name: &str, pre: &str) -> (Pty, TempDir, PathBuf, Capture) {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join(name);
    let cap = spawn(&pty.slave_path, &out, "pcapng", pre);
    drop(pty.slave.take());
    (pty, dir, out, cap)
}

/// Sends frames `from..to` with real silences between them.
fn send(master: &mut std::fs::File, from: u16, to: u16) {
    for n in from..to {
        if master.write_all(&read_request(n)).is_err() {
            return; // the capture is gone (it stopped on an error): nothing reads
        }
        std::thread::sleep(Duration::from_millis(8));
    }
}

/// What tshark reads: the register number of each request, and whether it read the file
/// cleanly (exit 0, nothing on stderr about a cut-short file).
fn tshark(file: &Path) -> (Vec<u16>, bool, String) {
    let o = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-T", "fields", "-e", "modbus.reference_num"])
        .output()
        .expect("tshark is needed: apt-get install tshark");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let regs = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap_or(u16::MAX))
        .collect();
    (regs, o.status.success() && !err.contains("cut short"), err)
}

/// Waits until tshark sees `n` frames in the file (flushed per frame while live).
fn wait_frames(file: &Path, n: usize) {
    let deadline = Instant::now() + WAIT;
    while tshark(file).0.len() < n {
        assert!(
            Instant::now() < deadline,
            "{n} frames never reached {}: tshark reads {:?}",
            file.display(),
            tshark(file).0
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kill(cap: &Capture, sig: &str) {
    assert!(Command::new("kill")
        .args([sig, &cap.child.id().to_string()])
        .status()
        .unwrap()
        .success());
}

#[test]
fn sigkill_then_reopen_keeps_every_flushed_frame() {
    let dir = scratch();
    for format in ["pcapng", "pcap"] {
        let mut pty = Pty::open().unwrap();
        let out = dir.path().join(format!("kill.{format}"));
        let cap = spawn(&pty.slave_path, &out, format, "");
        drop(pty.slave.take());
        send(&mut pty.master, 0, 5);
        // Each live frame is flushed as it is cut: tshark sees them before the kill.
        wait_frames(&out, 4);
        kill(&cap, "-KILL");
        let (status, _) = cap.wait();
        assert_eq!(status.signal(), Some(SIGKILL));
        // Reopened after the kill: every frame cut before it, cleanly.
        let (regs, clean, err) = tshark(&out);
        assert!(clean, "{format}: {err}");
        assert!(regs.len() >= 4 && regs.len() <= 5, "{format}: {regs:?}");
        assert_eq!(regs, (0..regs.len() as u16).collect::<Vec<_>>(), "{format}");
    }
}

#[test]
fn sigterm_ends_the_capture_cleanly_and_says_so() {
    let (mut pty, _dir, out, cap) = capture_on_pty("term.pcapng", "");
    send(&mut pty.master, 0, 3);
    // All three are in the file (each is cut as it comes: a request's length is known).
    wait_frames(&out, 3);
    kill(&cap, "-TERM");
    let (status, err) = cap.wait();
    assert!(status.success(), "{status:?}: {err}");
    assert!(err.contains("SIGTERM") && err.contains("3 frames"), "{err}");
    let (regs, clean, terr) = tshark(&out);
    assert!(clean, "{terr}");
    assert_eq!(regs, [0, 1, 2]);
}

/// A capture into a space that runs out after a few kilobytes: it stops with exit status
/// 1 and a message naming the file and the error, and leaves a file tshark reads cleanly.
fn capture_until_full(out: &Path, format: &str, pre: &str, expect: &str) {
    let mut pty = Pty::open().unwrap();
    let cap = spawn(&pty.slave_path, out, format, pre);
    drop(pty.slave.take());
    // 8 KiB of frames cannot fit in 4 KiB.
    send(&mut pty.master, 0, 400);
    let deadline = Instant::now() + WAIT;
    while child_running(&cap.child) {
        assert!(
            Instant::now() < deadline,
            "the capture did not stop on a full disk"
        );
        send(&mut pty.master, 400, 401);
    }
    let (status, err) = cap.wait();
    assert_eq!(status.code(), Some(1), "{status:?}: {err}");
    assert!(
        err.contains(&out.display().to_string()) && err.contains(expect),
        "{err}"
    );
    let (regs, clean, terr) = tshark(out);
    assert!(clean, "{format} after a full disk: {terr}");
    assert!(regs.len() > 10, "{regs:?}");
    assert_eq!(regs, (0..regs.len() as u16).collect::<Vec<_>>());
    // The message says how many frames the file holds.
    assert!(err.contains(&format!("{} frames", regs.len())), "{err}");
}

fn child_running(child: &Child) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", child.id())).is_ok_and(|s| !s.contains(") Z "))
}

#[test]
fn a_full_disk_stops_the_capture_with_a_valid_file() {
    // As root: a real 4 KiB tmpfs (ENOSPC). Otherwise: a 4 KiB file-size limit with
    // SIGXFSZ ignored, so writes fail with EFBIG the same way.
    let dir = scratch();
    let mnt = dir.path().join("tmpfs");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = is_root()
        && Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4k", "udrv-full"])
            .arg(&mnt)
            .status()
            .is_ok_and(|s| s.success());
    // Unmounted however the test ends (declared after `dir`: before `dir` is removed).
    struct Unmount(Option<PathBuf>);
    impl Drop for Unmount {
        fn drop(&mut self) {
            if let Some(m) = &self.0 {
                let _ = Command::new("umount").arg(m).status();
            }
        }
    }
    let _guard = Unmount(mounted.then(|| mnt.clone()));
    for format in ["pcapng", "pcap"] {
        if mounted && std::env::var_os("UDRV_TEST_NO_TMPFS").is_none() {
            let out = mnt.join(format!("full.{format}"));
            capture_until_full(&out, format, "", "ENOSPC");
            std::fs::remove_file(&out).unwrap();
        } else {
            let out = dir.path().join(format!("fsize.{format}"));
            capture_until_full(&out, format, "trap '' XFSZ; ulimit -f 4;", "EFBIG");
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}

#[test]
fn a_file_size_limit_that_kills_leaves_a_readable_file() {
    // SIGXFSZ at its default kills the capture mid-write, like SIGKILL at the worst time.
    let (mut pty, _dir, out, cap) = capture_on_pty("xfsz.pcapng", "ulimit -f 4;");
    send(&mut pty.master, 0, 400);
    let (status, _) = cap.wait();
    assert_eq!(status.signal(), Some(SIGXFSZ), "{status:?}");
    let (regs, _clean, err) = tshark(&out);
    // The earlier frames are all there, in order, whatever tshark says about the tail.
    assert!(regs.len() > 10, "{regs:?}: {err}");
    let good: Vec<u16> = regs.iter().copied().filter(|&r| r != u16::MAX).collect();
    assert_eq!(good, (0..good.len() as u16).collect::<Vec<_>>());
}

#[test]
fn an_unwritable_output_fails_at_once_and_names_it() {
    let pty = Pty::open().unwrap();
    for (out, errno) in [
        ("/dev/full", "ENOSPC"),
        ("/nonexistent-dir/x.pcapng", "ENOENT"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
            .arg("capture")
            .arg(&pty.slave_path)
            .args(["-w", out])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(out) && err.contains(errno), "{err}");
    }
}
