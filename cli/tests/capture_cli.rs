//! `udrv capture` as a user runs it: a real pty carries Modbus RTU frames with real gaps
//! into the binary; the file it leaves behind (after SIGINT, or after the port vanishes)
//! is read back by the real `tshark`.

mod common;
#[path = "../../rs485/tests/common/reads.rs"]
mod reads;
#[path = "../../rs485/tests/common/tshark.rs"]
mod tshark;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{frame, spawn_piped, wait_created};
use reads::{send_frames, Reads, READ_WAIT};
use tempfile::TempDir;
use tshark::{spawn_tshark_modbus, tshark_fields};
use udrv_core::serial::Pty;

/// A fresh directory for one test's capture file, removed when the test ends (pass or
/// fail): keep it until the capture process is done with it.
fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-capture-cli-").unwrap()
}

/// `udrv capture PORT -w OUT --line '115200 8N1' EXTRA...`, its output piped.
fn spawn_capture(port: &Path, out: &Path, extra: &[&str]) -> Child {
    spawn_piped(
        Command::new(env!("CARGO_BIN_EXE_udrv"))
            .arg("capture")
            .arg(port)
            .arg("-w")
            .arg(out)
            .args(["--line", "115200 8N1"])
            .args(extra),
        Stdio::piped(),
    )
}

/// A capture of a new pty into the file `name` of a new folder (kept until the test ends),
/// started: its port open and set up, the pty's slave side closed (only the capture holds
/// the port).
fn capture_on_pty(name: &str) -> (Pty, TempDir, PathBuf, Child) {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join(name);
    let child = spawn_capture(&pty.slave_path, &out, &["--linktype", "upper_pdu"]);
    wait_created(&out, READ_WAIT);
    drop(pty.slave.take());
    (pty, dir, out, child)
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

/// Stops the capture `child` as Ctrl-C does: SIGINT, sent with kill(1).
fn sigint(child: &Child) {
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// tshark's view: one line per frame with unit id and function code.
fn unit_and_function(file: &Path) -> Vec<String> {
    tshark_fields(file, &["mbrtu.unit_id", "modbus.func_code"]).0
}

#[test]
fn sigint_leaves_a_complete_file_that_tshark_decodes() {
    let (mut pty, _dir, out, child) = capture_on_pty("sigint.pcapng");
    send_frames(&mut pty.master, &exchange(), &Reads::process(child.id()));
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "exit {:?}: {err}", o.status);
    assert!(err.contains("3 frames") && err.contains("SIGINT"), "{err}");
    assert_eq!(unit_and_function(&out), vec!["17\t3", "17\t3", "17\t6"]);
}

#[test]
fn a_vanished_port_ends_the_capture_with_a_valid_file_and_says_so() {
    let (mut pty, _dir, out, child) = capture_on_pty("vanish.pcapng");
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
    assert_eq!(unit_and_function(&out), vec!["17\t3", "17\t3"]);
}

#[test]
fn frame_count_limit_and_json_summary() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("count.pcap");
    let child = spawn_piped(
        Command::new(env!("CARGO_BIN_EXE_udrv"))
            .args(["--json", "capture"])
            .arg(&pty.slave_path)
            .arg("-w")
            .arg(&out)
            .args(["--line", "115200 8N1", "--format", "pcap", "-c", "2"]),
        Stdio::piped(),
    );
    wait_created(&out, READ_WAIT);
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

/// `udrv OPTIONS capture PTY -l '115200 8N1' EXTRA -c 3 -w -` (a capture of `pty` that
/// writes to standard output), its standard output a pipe into `tshark -r - -T fields -e
/// mbrtu.unit_id -e modbus.func_code`, as a user pipes it into Wireshark; once it captures,
/// the exchange is sent. The capture must succeed: its standard error, and tshark's output
/// and standard error.
fn exchange_into_tshark(
    pty: &mut Pty,
    options: &[&str],
    extra: &[&str],
) -> (String, std::process::Output, String) {
    let port = pty.slave_path.to_str().unwrap().to_string();
    let mut args = options.to_vec();
    args.extend(["capture", &port, "-l", "115200 8N1"]);
    args.extend(extra);
    args.extend(["-c", "3", "-w", "-"]);
    let mut udrv = spawn_piped(
        Command::new(env!("CARGO_BIN_EXE_udrv")).args(args),
        Stdio::piped(),
    );
    let tshark = spawn_tshark_modbus(&["-r", "-"], Stdio::from(udrv.stdout.take().unwrap()));
    let tap = common::wait_capturing(&mut udrv);
    drop(pty.slave.take());
    send(&mut pty.master, &exchange());
    let u = udrv.wait_with_output().unwrap();
    let t = tshark.wait_with_output().unwrap();
    let uerr = tap.text();
    assert!(u.status.success(), "udrv: {uerr}");
    let terr = String::from_utf8_lossy(&t.stderr).into_owned();
    (uerr, t, terr)
}

#[test]
fn by_default_modbus_on_a_pipe_is_decoded_by_tshark_with_no_setup() {
    let mut pty = Pty::open().unwrap();
    // The README's pipe, no --linktype, no Wireshark preference.
    let (uerr, t, terr) = exchange_into_tshark(&mut pty, &[], &[]);
    assert!(t.status.success(), "tshark: {terr}");
    assert!(uerr.contains("WIRESHARK_UPPER_PDU"), "{uerr}");
    assert_eq!(
        String::from_utf8_lossy(&t.stdout)
            .lines()
            .collect::<Vec<_>>(),
        ["17\t3", "17\t3", "17\t6"],
        "tshark: {terr}"
    );

    // The user DLTs are still there when asked for: USER0 is not decoded without a mapping.
    let dir = scratch();
    let out = dir.path().join("user0.pcapng");
    let mut child = spawn_capture(&pty.slave_path, &out, &["--linktype", "user0", "-c", "1"]);
    let tap = common::wait_capturing(&mut child);
    send(&mut pty.master, &exchange()[..1]);
    let o = child.wait_with_output().unwrap();
    let err = tap.text();
    assert!(o.status.success() && err.contains("USER0"), "{err}");
    assert_eq!(unit_and_function(&out), ["\t"]);
}

#[test]
fn json_summary_goes_to_stderr_when_the_capture_owns_stdout() {
    let mut pty = Pty::open().unwrap();
    let (uerr, t, terr) = exchange_into_tshark(&mut pty, &["--json"], &["--linktype", "upper_pdu"]);
    // The pcapng stream is intact: tshark reads it to its end without complaint.
    assert!(
        t.status.success() && !terr.contains("too long"),
        "tshark: {terr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&t.stdout).lines().count(),
        3,
        "tshark: {terr}"
    );
    // The summary is on standard error, one JSON object on its own line.
    let summary: serde_json::Value = uerr
        .lines()
        .find(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .unwrap_or_else(|| panic!("no JSON summary on stderr: {uerr}"));
    assert_eq!(summary["frames"], 3, "{summary}");
}

/// `udrv args...` run to its end, no standard input.
fn udrv(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run udrv")
}

/// `udrv OPTIONS capture --replay LOG -w OUT`, which must succeed: its output and its
/// standard error.
fn replay(options: &[&str], log: &Path, out: &Path) -> (std::process::Output, String) {
    let mut args = options.to_vec();
    args.extend(["capture", "--replay", log.to_str().unwrap()]);
    args.extend(["-w", out.to_str().unwrap()]);
    let o = udrv(&args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    (o, err)
}

#[test]
fn replay_refuses_live_only_options_before_opening_anything() {
    let dir = scratch();
    // The log does not exist: an exit status 1 would mean it was opened first.
    let log = dir.path().join("missing.udrvraw");
    let log = log.to_str().unwrap();
    let out = dir.path().join("out.pcapng");
    let out = out.to_str().unwrap();
    for (extra, needle) in [
        (&["-l", "9600 8N1"][..], "--line"),
        (&["-b", "9600"][..], "--baud"),
        (&["/dev/ttyS0"][..], "/dev/ttyS0"),
        (&["--rs485"][..], "--rs485"),
        (&["--reconnect"][..], "--reconnect"),
    ] {
        let mut args = vec!["capture", "--replay", log, "-w", out];
        args.extend_from_slice(extra);
        let o = udrv(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(
            err.contains(needle) && err.contains("--replay"),
            "{extra:?}: {err}"
        );
        assert!(!Path::new(out).exists(), "{extra:?}");
    }
}

#[test]
fn a_replay_says_it_replays_and_warns_when_the_log_is_cut_short() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let live = dir.path().join("live.pcapng");
    let log = dir.path().join("live.udrvraw");
    let mut child = spawn_capture(
        &pty.slave_path,
        &live,
        &["--raw-log", log.to_str().unwrap(), "-c", "3"],
    );
    let tap = common::wait_capturing(&mut child);
    drop(pty.slave.take());
    send(&mut pty.master, &exchange());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", tap.text());

    let again = dir.path().join("again.pcapng");
    let (_, err) = replay(&[], &log, &again);
    // It says what it does: replaying the log, not capturing on the port it was made on.
    assert!(
        err.contains("replaying") && err.contains(log.to_str().unwrap()),
        "{err}"
    );
    assert!(!err.contains("capturing on"), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(unit_and_function(&again), vec!["17\t3", "17\t3", "17\t6"]);

    // The same log cut inside its last record (a capture killed while writing it).
    let bytes = std::fs::read(&log).unwrap();
    let cut = dir.path().join("cut.udrvraw");
    std::fs::write(&cut, &bytes[..bytes.len() - 2]).unwrap();
    let out = dir.path().join("cut.pcapng");
    let (o, err) = replay(&["--json"], &cut, &out);
    assert!(
        err.contains("warning") && err.contains(cut.to_str().unwrap()) && err.contains("cut"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON summary");
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().contains("cut")),
        "{v}"
    );
    // What the log holds whole is replayed into a valid file.
    assert!(unit_and_function(&out).len() >= 2, "{err}");
}

#[test]
fn numbers_and_formats_are_checked_before_the_port_is_opened() {
    let pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("never.pcapng");
    let port = pty.slave_path.to_str().unwrap();
    for (extra, needle) in [
        (&["-b", "0"][..], "--baud"),
        (&["--duration", "0"][..], "--duration"),
        (&["--duration", "-1"][..], "--duration"),
        (&["--duration", "soon"][..], "--duration"),
        (&["--format", "pcapx"][..], "pcapng"),
    ] {
        let mut args = vec!["capture", port, "-w", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = udrv(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
        // A bad --format is not answered about link types.
        assert!(!err.contains("link type"), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?}");
    }
}

#[test]
fn a_fractional_duration_is_a_time_limit() {
    let pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("half.pcapng");
    let o = udrv(&[
        "capture",
        pty.slave_path.to_str().unwrap(),
        "-w",
        out.to_str().unwrap(),
        "-l",
        "115200 8N1",
        "--duration",
        "0.5",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("time limit"), "{err}");
    assert_eq!(unit_and_function(&out), Vec::<String>::new());
}

#[test]
fn the_summary_says_1_frame_and_counts_every_kind_of_bad_frame() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("one.pcapng");
    let mut child = spawn_capture(
        &pty.slave_path,
        &out,
        &["--linktype", "upper_pdu", "-c", "1"],
    );
    let tap = common::wait_capturing(&mut child);
    drop(pty.slave.take());
    send(&mut pty.master, &exchange()[..1]);
    let o = child.wait_with_output().unwrap();
    let err = tap.text();
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("1 frame,") && !err.contains("1 frames"),
        "{err}"
    );

    // A good frame, then a write request (8 bytes, as its response) cut off after 5.
    let out = dir.path().join("short.pcapng");
    let mut child = spawn_capture(&pty.slave_path, &out, &["--linktype", "upper_pdu"]);
    let tap = common::wait_capturing(&mut child);
    let frames = exchange();
    send(
        &mut pty.master,
        &[frames[0].clone(), frames[2][..5].to_vec()],
    );
    std::thread::sleep(Duration::from_millis(200));
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let err = tap.text();
    assert!(o.status.success(), "{err}");
    assert!(err.contains("2 frames (1 bad: 1 too short)"), "{err}");
    assert_eq!(unit_and_function(&out).len(), 2);
}

/// What bash completes for `udrv WORDS...` (the last word being the one completed), with
/// the completion script `udrv completions bash` prints, in `dir`.
fn bash_completes(dir: &Path, words: &[&str]) -> Vec<String> {
    let o = udrv(&["completions", "bash"]);
    assert!(o.status.success());
    let script = dir.join("udrv.bash");
    std::fs::write(&script, &o.stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let line = format!("udrv {}", words.join(" "));
    let cmd = format!(
        "source {}; COMP_WORDS=(udrv {}); COMP_CWORD={}; COMP_LINE='{line}'; \
         COMP_POINT={}; _udrv udrv '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len(),
        line.len(),
        words[words.len() - 1],
        if words.len() > 1 {
            words[words.len() - 2]
        } else {
            "udrv"
        },
    );
    let o = Command::new("bash")
        .args(["-c", &cmd])
        .current_dir(dir)
        .output()
        .expect("bash");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_framer_and_format_values_not_file_names() {
    let dir = scratch();
    std::fs::write(dir.path().join("not-a-framer.txt"), "").unwrap();
    for (words, want) in [
        (
            &["capture", "/dev/ttyUSB0", "-f", ""][..],
            &["modbus", "mstp", "idle", "slip", "hdlc", "cobs", "length"][..],
        ),
        (&["capture", "--framer", "m"][..], &["modbus", "mstp"][..]),
        (&["capture", "--format", ""][..], &["pcapng", "pcap"][..]),
    ] {
        let got = bash_completes(dir.path(), words);
        for w in want {
            assert!(got.iter().any(|g| g == w), "{words:?}: {got:?}");
        }
        assert!(
            !got.iter().any(|g| g.contains("not-a-framer")),
            "{words:?}: {got:?}"
        );
    }
}
