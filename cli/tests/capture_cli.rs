//! `udrv capture` as a user runs it: a real pty carries Modbus RTU frames with real gaps
//! into the binary; the file it leaves behind (after SIGINT, or after the port vanishes)
//! is read back by the real `tshark`.

mod common;
#[path = "../../rs485/tests/common/reads.rs"]
mod reads;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::frame;
use reads::{send_frames, Reads, READ_WAIT};
use tempfile::TempDir;
use udrv_core::serial::Pty;

/// Waits until the capture has created `out`, which it does once its port is open and set
/// up (earlier bytes are discarded): frames sent from then on are captured.
fn wait_started(out: &Path) {
    let deadline = Instant::now() + READ_WAIT;
    while !out.exists() {
        assert!(
            Instant::now() < deadline,
            "udrv capture did not create {} in {READ_WAIT:?}",
            out.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A fresh directory for one test's capture file, removed when the test ends (pass or
/// fail): keep it until the capture process is done with it.
fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-capture-cli-").unwrap()
}

fn spawn_capture(port: &Path, out: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .arg("capture")
        .arg(port)
        .arg("-w")
        .arg(out)
        .args(["--line", "115200 8N1", "--linktype", "upper_pdu"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn udrv capture")
}

/// The three frames of a read-holding-registers exchange and a write.
fn exchange() -> Vec<Vec<u8>> {
    vec![
        frame(&[0x11, 0x03, 0x00, 0x6b, 0x00, 0x02]),
        frame(&[0x11, 0x03, 0x04, 0x02, 0x2b, 0x00, 0x64]),
        frame(&[0x11, 0x06, 0x00, 0x01, 0x00, 0x03]),
    ]
}

fn send(master: &mut std::fs::File, frames: &[Vec<u8>]) {
    for f in frames {
        master.write_all(f).unwrap();
        master.flush().unwrap();
        // Real inter-frame silence, far above t3.5 at 115200 baud.
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// tshark's view: one line per frame with unit id and function code.
fn tshark_fields(file: &Path) -> Vec<String> {
    let o = Command::new("tshark")
        .args(["-r"])
        .arg(file)
        .args([
            "-T",
            "fields",
            "-e",
            "mbrtu.unit_id",
            "-e",
            "modbus.func_code",
        ])
        .output()
        .expect("tshark is needed: apt-get install tshark (cargo xtask test installs it)");
    assert!(
        o.status.success(),
        "tshark cannot read {}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn sigint_leaves_a_complete_file_that_tshark_decodes() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("sigint.pcapng");
    let child = spawn_capture(&pty.slave_path, &out, &[]);
    wait_started(&out);
    drop(pty.slave.take());
    send_frames(&mut pty.master, &exchange(), &Reads::process(child.id()));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "exit {:?}: {err}", o.status);
    assert!(err.contains("3 frames") && err.contains("SIGINT"), "{err}");
    assert_eq!(tshark_fields(&out), vec!["17\t3", "17\t3", "17\t6"]);
}

#[test]
fn a_vanished_port_ends_the_capture_with_a_valid_file_and_says_so() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("vanish.pcapng");
    let child = spawn_capture(&pty.slave_path, &out, &[]);
    wait_started(&out);
    drop(pty.slave.take());
    send_frames(
        &mut pty.master,
        &exchange()[..2],
        &Reads::process(child.id()),
    );
    drop(pty.master); // the adapter is unplugged
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("went away") && err.contains("valid"), "{err}");
    assert_eq!(tshark_fields(&out), vec!["17\t3", "17\t3"]);
}

#[test]
fn frame_count_limit_and_json_summary() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("count.pcap");
    let child = Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--json", "capture"])
        .arg(&pty.slave_path)
        .arg("-w")
        .arg(&out)
        .args(["--line", "115200 8N1", "--format", "pcap", "-c", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_started(&out);
    drop(pty.slave.take());
    // (The capture stops by itself after two frames: the third may find nobody reading.)
    send(&mut pty.master, &exchange());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON summary");
    assert_eq!(v["frames"], 2);
    assert_eq!(v["crc_errors"], 0);
    // tcpdump reads our pcap too.
    let t = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(&out)
        .output()
        .expect("tcpdump is needed: apt-get install tcpdump");
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    // One line per packet (tcpdump adds indented hex lines for link types it cannot decode).
    let packets = String::from_utf8_lossy(&t.stdout)
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(packets, 2);
}

#[test]
fn bad_capture_arguments_fail_before_opening_anything() {
    for (args, needle) in [
        (
            &[
                "capture",
                "/dev/ttyS99",
                "-w",
                "/tmp/x",
                "--framer",
                "morse",
            ][..],
            "--framer",
        ),
        (
            &["capture", "/dev/ttyS99", "-w", "/tmp/x", "--line", "fast"][..],
            "--line",
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(needle));
    }
    let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args([
            "capture",
            "/dev/ttyS99-missing",
            "-w",
            "/tmp/udrv-missing.pcapng",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/dev/ttyS99-missing"), "{err}");
}
