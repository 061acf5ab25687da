//! `udrv capture --reconnect` as a user runs it on a `/dev/serial/by-id/..`-style symlink:
//! a real pty behind the link carries Modbus RTU frames into the binary, the pty closes
//! (the adapter unplugged, the link dangling), a new pty appears and the link points at it
//! (udev on a replug), more frames come, SIGINT ends the capture; the one file must hold
//! every frame in order with the gap commented, as the real `tshark` reads it. And a port
//! that stays away ends the capture after the wait with a valid file and exit status 1.
//!
//! No step sleeps and hopes: the test waits for what the capture prints (`capturing on`,
//! `went away`, `is back after`) and writes each frame once the capture has read the
//! previous one (rs485's `tests/common/reads.rs`), every wait with a deadline that only
//! stops a hung capture.

mod common;
#[path = "../../rs485/tests/common/reads.rs"]
mod reads;
#[path = "../../rs485/tests/common/tshark.rs"]
mod tshark;
#[path = "../../rs485/tests/common/unplug.rs"]
mod unplug;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{read_request, Capture};
use reads::{send_frames, Reads};
use tempfile::TempDir;
use tshark::tshark_fields;
use udrv_core::serial::Pty;
use unplug::{point, unplug};

fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-capture-reconnect-").unwrap()
}

/// Sends requests for registers `from..to`, each read by the capture (`reads`) before a
/// silence and the next one.
fn send(master: &mut std::fs::File, from: u16, to: u16, reads: &Reads) {
    let frames: Vec<Vec<u8>> = (from..to).map(read_request).collect();
    send_frames(master, &frames, reads);
}

/// `udrv capture PORT -w OUT` with `reconnect` (`--reconnect`, `--reconnect=SECS`).
fn spawn(port: &Path, out: &Path, reconnect: &str) -> Capture {
    Capture::spawn(
        Command::new(env!("CARGO_BIN_EXE_udrv"))
            .arg("capture")
            .arg(port)
            .arg("-w")
            .arg(out)
            .args(["--line", "115200 8N1", "--linktype", "upper_pdu", reconnect]),
    )
}

/// tshark's view: one line per frame with register number and frame comment. tshark must
/// read the file without complaint.
fn tshark_rows(file: &Path) -> Vec<String> {
    let (rows, err) = tshark_fields(file, &["modbus.reference_num", "frame.comment"]);
    assert!(
        !err.contains("cut short"),
        "tshark cannot read {}: {err}",
        file.display()
    );
    rows
}

#[test]
fn an_unplugged_port_that_comes_back_is_captured_into_the_same_file() {
    let dir = scratch();
    let link = dir.path().join("usb-RS485-if00-port0");
    let out = dir.path().join("reconnect.pcapng");
    let mut a = Pty::open().unwrap();
    point(&link, &a.slave_path);
    let mut cap = spawn(&link, &out, "--reconnect");
    cap.line("capturing on"); // the port is open and set up
    let reads = Reads::process(cap.child.id());
    drop(a.slave.take());
    send(&mut a.master, 1, 4, &reads);
    let mut b = Pty::open().unwrap();
    unplug(&link, a);
    let gone = cap.line("went away");
    assert!(gone.contains("waiting up to 3600 s"), "{gone}");
    point(&link, &b.slave_path);
    let back = cap.line("is back after"); // opened and set up again
    assert!(back.contains(link.to_str().unwrap()), "{back}");
    drop(b.slave.take());
    send(&mut b.master, 4, 7, &reads);
    let st = Command::new("kill")
        .args(["-INT", &cap.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let (status, err) = cap.wait();
    drop(b);
    assert!(status.success(), "exit {status:?}: {err}");
    assert!(
        err.contains("6 frames") && err.contains("1 reconnect") && err.contains("SIGINT"),
        "{err}"
    );
    let rows = tshark_rows(&out);
    let regs: Vec<&str> = rows.iter().map(|r| r.split('\t').next().unwrap()).collect();
    assert_eq!(regs, ["1", "2", "3", "4", "5", "6"], "{rows:?}");
    for (i, r) in rows.iter().enumerate() {
        let comment = r.split('\t').nth(1).unwrap_or("");
        if i == 3 {
            assert!(
                comment.starts_with("udrv: after reconnect (port was away "),
                "{rows:?}"
            );
        } else {
            assert_eq!(comment, "", "{rows:?}");
        }
    }
}

#[test]
fn a_port_that_stays_away_ends_the_capture_after_the_wait() {
    let dir = scratch();
    let link = dir.path().join("usb-RS485-if00-port1");
    let out = dir.path().join("gone.pcapng");
    let mut a = Pty::open().unwrap();
    point(&link, &a.slave_path);
    let mut cap = spawn(&link, &out, "--reconnect=1");
    cap.line("capturing on");
    let reads = Reads::process(cap.child.id());
    drop(a.slave.take());
    send(&mut a.master, 1, 3, &reads);
    // Taken before the unplug, so the capture's wait cannot have begun earlier.
    let t0 = Instant::now();
    unplug(&link, a);
    cap.line("waiting up to 1 s");
    let (status, err) = cap.wait();
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "ended after {:?}, before the 1 s it was given: {err}",
        t0.elapsed()
    );
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("did not come back within 1 s") && err.contains("valid"),
        "{err}"
    );
    let rows = tshark_rows(&out);
    assert_eq!(rows, ["1\t", "2\t"], "{err}");
}
