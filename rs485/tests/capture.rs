//! The capture engine on real ttys: pseudo-terminal pairs carry a generated Modbus
//! exchange with real silences of several milliseconds. Every frame must come out once,
//! in order, with its CRC status; the file must be valid whatever stopped the capture
//! (the port vanishing, a stop flag, SIGTERM or SIGINT in a child process).
//!
//! Before the port goes or the capture is stopped, the test waits until the capture has
//! read every byte sent (`common/reads.rs`), never for a guessed time.

mod common;
#[path = "common/reads.rs"]
mod reads;
#[path = "common/tshark.rs"]
mod tshark;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::*;
use pcap_parser::pcapng::Block;
use pcap_parser::PcapNGCapture;
use reads::{send_frames, write_read, Reads, GAP};
use tempfile::TempDir;
use tshark::{spawn_tshark_modbus, tshark_fields};
use udrv_core::serial::Pty;
use udrv_rs485::capture::{self, CaptureConfig, Output, PortSpec, Progress, StopReason};
use udrv_rs485::pcap::{Interface, LinkType};
use udrv_rs485::rotate::Rotation;
use udrv_rs485::{Direction, Frame, LineSettings};

/// A fresh directory for one test's files, removed when the test ends (pass or fail).
fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-rs485-capture-").unwrap()
}

/// Tells the test thread when the capture has started, with the read counter of the
/// capture's thread (`started` is called on it).
struct Started(mpsc::Sender<Reads>);

impl Progress for Started {
    fn started(&mut self, _: &[Interface]) {
        let _ = self.0.send(Reads::this_thread());
    }
}

/// Runs the capture `config` on a thread; returns it, and the read counter of its thread,
/// once it has started (its ports open and set up).
fn start(
    config: CaptureConfig,
) -> (
    thread::JoinHandle<Result<capture::Summary, capture::Error>>,
    Reads,
) {
    let (tx_started, rx_started) = mpsc::channel();
    let cap = thread::spawn(move || capture::run(&config, &mut Started(tx_started)));
    let reads = rx_started
        .recv_timeout(Duration::from_secs(10))
        .expect("capture did not start");
    (cap, reads)
}

/// The exchange: 12 request/response pairs, the 8th response with a CRC error.
fn exchange() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for i in 0..12u16 {
        let unit = 1 + (i % 3) as u8;
        v.push(read_req(unit, i * 10, 1 + i));
        let mut resp = read_resp(unit, 1 + i);
        if i == 7 {
            resp[3] ^= 0x55;
        }
        v.push(resp);
    }
    v
}

fn line() -> LineSettings {
    "115200 8E1".parse().unwrap()
}

/// (interface, epb_flags, data) of a packet.
type Packet = (u32, u32, Vec<u8>);

/// The interface names and the packets of a pcapng file.
fn read_pcapng(path: &Path) -> (Vec<String>, Vec<Packet>) {
    let bytes = std::fs::read(path).unwrap();
    let cap = PcapNGCapture::from_file(&bytes)
        .unwrap_or_else(|e| panic!("{} is not valid pcapng: {e:?}", path.display()));
    let mut names = Vec::new();
    let mut packets = Vec::new();
    for b in &cap.sections[0].blocks {
        match b {
            Block::InterfaceDescription(idb) => {
                let name = idb.options.iter().find(|o| o.code.0 == 2).unwrap();
                names.push(String::from_utf8_lossy(&name.value[..name.len as usize]).into_owned());
            }
            Block::EnhancedPacket(epb) => {
                let flags = epb_flags(epb);
                packets.push((epb.if_id, flags, epb.data[..epb.caplen as usize].to_vec()));
            }
            _ => {}
        }
    }
    (names, packets)
}

/// How many packets tshark reads from `path` (it must read the whole file without error).
fn tshark_count(path: &Path) -> usize {
    tshark_fields(path, &["frame.number"]).0.len()
}

/// Writes `frames` to the pty master with `gap` between them.
fn send(master: &mut std::fs::File, frames: &[Vec<u8>], gap: Duration) {
    for f in frames {
        master.write_all(f).unwrap();
        master.flush().unwrap();
        thread::sleep(gap);
    }
}

#[test]
fn pty_exchange_every_frame_once_in_order_then_port_vanishes() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("pty.pcapng");
    let raw = dir.path().join("pty.udrvraw");
    let config = CaptureConfig {
        ports: vec![PortSpec::new(&pty.slave_path)],
        line: line(),
        output: Output::Path(out.clone()),
        raw_log: Some(raw.clone()),
        handle_signals: false,
        ..CaptureConfig::default()
    };
    let (cap, reads) = start(config);
    drop(pty.slave.take());
    let frames = exchange();
    send_frames(&mut pty.master, &frames, &reads);
    drop(pty); // hang-up: the port vanishes
    let summary = cap.join().unwrap().unwrap();
    assert!(
        matches!(summary.reason, StopReason::PortVanished(_)),
        "{:?}",
        summary.reason
    );
    assert_eq!(summary.stats.frames, frames.len() as u64);
    assert_eq!(summary.stats.crc_errors, 1);
    let (names, packets) = read_pcapng(&out);
    assert_eq!(names.len(), 1);
    assert_eq!(tshark_count(&out), frames.len());
    let got: Vec<Vec<u8>> = packets.iter().map(|p| p.2.clone()).collect();
    assert_eq!(got, frames);
    for (k, p) in packets.iter().enumerate() {
        let crc_flag = p.1 >> 24 & 1 == 1;
        assert_eq!(crc_flag, k == 15, "packet {k}: flags {:#x}", p.1);
        // Requests go out, responses come in.
        assert_eq!(
            p.1 & 3,
            if k % 2 == 0 {
                2
            } else if k == 15 {
                0
            } else {
                1
            },
            "packet {k}"
        );
    }

    // The raw log re-frames offline to the same packets, flags and timestamps.
    let replayed = dir.path().join("replayed.pcapng");
    let config = CaptureConfig {
        replay: Some(raw),
        output: Output::Path(replayed.clone()),
        handle_signals: false,
        ..CaptureConfig::default()
    };
    let summary = capture::run(&config, &mut ()).unwrap();
    assert_eq!(summary.reason, StopReason::EndOfReplay);
    let live = std::fs::read(&out).unwrap();
    let again = std::fs::read(&replayed).unwrap();
    assert_eq!(live, again, "replay differs from the live capture");
}

#[test]
fn four_wire_tap_one_interface_per_port_with_directions() {
    let mut a = Pty::open().unwrap();
    let mut b = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("tap.pcapng");
    let names_expected = [
        a.slave_path.display().to_string(),
        b.slave_path.display().to_string(),
    ];
    let config = CaptureConfig {
        ports: vec![
            PortSpec::with_direction(&a.slave_path, Direction::Outbound),
            PortSpec::with_direction(&b.slave_path, Direction::Inbound),
        ],
        line: line(),
        link_type: Some(LinkType::modbus_upper_pdu()),
        output: Output::Path(out.clone()),
        handle_signals: false,
        ..CaptureConfig::default()
    };
    let (cap, reads) = start(config);
    let frames = exchange();
    for pair in frames.chunks(2) {
        send_frames(&mut a.master, &pair[..1], &reads);
        send_frames(&mut b.master, &pair[1..], &reads);
    }
    drop(a);
    let summary = cap.join().unwrap().unwrap();
    assert!(matches!(summary.reason, StopReason::PortVanished(_)));
    drop(b);
    let (names, packets) = read_pcapng(&out);
    assert_eq!(names, names_expected);
    assert_eq!(packets.len(), frames.len());
    // Per port: every frame once, in order, with the port's direction.
    for port in 0..2u32 {
        let got: Vec<&[u8]> = packets
            .iter()
            .filter(|p| p.0 == port)
            .map(|p| &p.2[16..])
            .collect();
        let want: Vec<&[u8]> = frames
            .iter()
            .skip(port as usize)
            .step_by(2)
            .map(|f| &f[..])
            .collect();
        assert_eq!(got, want, "port {port}");
        let dir = if port == 0 { 2 } else { 1 };
        assert!(
            packets
                .iter()
                .filter(|p| p.0 == port)
                .all(|p| p.1 & 3 == dir),
            "port {port}"
        );
    }
    // Wireshark decodes both interfaces with no set-up and shows the directions.
    let text = Command::new("tshark")
        .args([
            "-r",
            out.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.interface_id",
            "-e",
            "frame.packet_flags_direction",
            "-e",
            "modbus.func_code",
        ])
        .output()
        .expect("tshark is needed: apt-get install -y tshark");
    let text = String::from_utf8(text.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), frames.len(), "{text}");
    assert_eq!(
        rows.iter().filter(|r| **r == "0\t0x00000002\t3").count(),
        12,
        "{text}"
    );
    assert_eq!(
        rows.iter().filter(|r| **r == "1\t0x00000001\t3").count(),
        12,
        "{text}"
    );
}

#[test]
fn rotation_by_size_writes_valid_files() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let base = dir.path().join("rot.pcapng");
    let stop = Arc::new(AtomicBool::new(false));
    let config = CaptureConfig {
        ports: vec![PortSpec::new(&pty.slave_path)],
        line: line(),
        output: Output::Path(base.clone()),
        rotation: Rotation {
            max_bytes: Some(400),
            every: None,
            max_files: None,
        },
        handle_signals: false,
        stop: Some(stop.clone()),
        ..CaptureConfig::default()
    };
    let (cap, reads) = start(config);
    let frames = exchange();
    send_frames(&mut pty.master, &frames, &reads);
    stop.store(true, Ordering::SeqCst);
    let summary = cap.join().unwrap().unwrap();
    assert_eq!(summary.reason, StopReason::Stopped);
    assert!(summary.files.len() >= 3, "{:?}", summary.files);
    let mut all = Vec::new();
    for f in &summary.files {
        assert!(tshark_count(f) > 0, "{}", f.display());
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("rot_0000") && name.ends_with(".pcapng"),
            "{name}"
        );
        all.extend(read_pcapng(f).1.into_iter().map(|p| p.2));
    }
    assert_eq!(all, frames);
}

/// What a child process does: capture from the pty named in the environment into the file
/// named there until a signal stops it. Without the environment (a normal test run) the
/// same capture runs and a stop flag ends it, so this test checks something either way.
#[test]
fn child_capture_until_signal() {
    match (
        std::env::var_os("UDRV_RS485_CHILD_PORT"),
        std::env::var_os("UDRV_RS485_CHILD_OUT"),
    ) {
        (Some(port), Some(out)) => {
            let config = CaptureConfig {
                ports: vec![PortSpec::new(PathBuf::from(port))],
                line: line(),
                output: Output::Path(PathBuf::from(out)),
                handle_signals: true,
                ..CaptureConfig::default()
            };
            struct Say;
            impl Progress for Say {
                fn started(&mut self, _: &[Interface]) {
                    eprintln!("child: started");
                }
                fn frame(&mut self, _: &Frame, stats: &capture::Stats) {
                    eprintln!("child: frame {}", stats.frames);
                }
            }
            let summary = capture::run(&config, &mut Say).unwrap();
            eprintln!("child: stopped: {}", summary.reason);
        }
        _ => {
            let mut pty = Pty::open().unwrap();
            let dir = scratch();
            let out = dir.path().join("flag.pcapng");
            let stop = Arc::new(AtomicBool::new(false));
            let config = CaptureConfig {
                ports: vec![PortSpec::new(&pty.slave_path)],
                line: line(),
                output: Output::Path(out.clone()),
                handle_signals: false,
                stop: Some(stop.clone()),
                ..CaptureConfig::default()
            };
            let (cap, reads) = start(config);
            let frames = exchange();
            send_frames(&mut pty.master, &frames[..7], &reads);
            // A response cut short when the stop comes: kept, flagged too short.
            thread::sleep(GAP);
            write_read(&mut pty.master, &frames[7][..5], &reads);
            stop.store(true, Ordering::SeqCst);
            let summary = cap.join().unwrap().unwrap();
            assert_eq!(summary.reason, StopReason::Stopped);
            let packets = read_pcapng(&out).1;
            assert_eq!(packets.len(), 8);
            assert_eq!(packets[7].2, frames[7][..5]);
            assert_eq!(packets[7].1 >> 26 & 1, 1, "too-short flag");
        }
    }
}

/// Runs this test binary as a child capturing from a pty, sends it `signal` after some
/// frames, and checks the file it leaves.
fn signal_child(signal: &str, expect: &str) {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join(format!("child-{signal}.pcapng"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_capture_until_signal",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("UDRV_RS485_CHILD_PORT", &pty.slave_path)
        .env("UDRV_RS485_CHILD_OUT", &out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut wait_for = |what: &str| -> Vec<String> {
        let mut seen = Vec::new();
        for l in lines.by_ref() {
            let l = l.unwrap();
            let done = l.contains(what);
            seen.push(l);
            if done {
                return seen;
            }
        }
        panic!("child ended before `{what}`: {seen:?}");
    };
    wait_for("child: started");
    drop(pty.slave.take());
    let frames = exchange();
    send(&mut pty.master, &frames[..10], Duration::from_millis(4));
    wait_for("child: frame 10");
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let seen = wait_for("child: stopped");
    assert!(seen.last().unwrap().contains(expect), "{seen:?}");
    assert!(child.wait().unwrap().success());
    let packets = read_pcapng(&out).1;
    let got: Vec<Vec<u8>> = packets.into_iter().map(|p| p.2).collect();
    assert_eq!(got, frames[..10]);
    assert_eq!(tshark_count(&out), 10);
    drop(pty);
}

#[test]
fn sigterm_leaves_a_valid_file() {
    signal_child("-TERM", "SIGTERM");
}

#[test]
fn sigint_leaves_a_valid_file() {
    signal_child("-INT", "SIGINT");
}

#[test]
fn extcap_capture_into_a_fifo() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let fifo = dir.path().join("extcap.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let args: Vec<String> = [
        "--extcap-interface",
        "udrv-rs485",
        "--port",
        pty.slave_path.to_str().unwrap(),
        "--baud",
        "115200",
        "--parity",
        "even",
        "--framer",
        "modbus",
        "--capture",
        "--fifo",
        fifo.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let request = udrv_rs485::extcap::Request::parse(&args).unwrap();
    assert!(request.capture);
    let mut config = request.capture_config().unwrap();
    config.handle_signals = false;
    let (tx_started, rx_started) = mpsc::channel();
    let cap = thread::spawn(move || capture::run(&config, &mut Started(tx_started)));
    // Wireshark's side: tshark reads the FIFO as a live stream while frames arrive.
    let tshark = spawn_tshark_modbus(&["-l", "-r", fifo.to_str().unwrap()], Stdio::inherit());
    let reads = rx_started
        .recv_timeout(Duration::from_secs(10))
        .expect("capture did not start");
    let frames = exchange();
    send_frames(&mut pty.master, &frames[..4], &reads);
    drop(pty);
    let summary = cap.join().unwrap().unwrap();
    assert_eq!(summary.stats.frames, 4, "{summary:?}");
    let out = tshark.wait_with_output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    let want: Vec<String> = frames[..4]
        .iter()
        .map(|f| format!("{}\t{}", f[0], f[1]))
        .collect();
    assert_eq!(
        rows,
        want,
        "{text}\n{}\n{:?}",
        String::from_utf8_lossy(&out.stderr),
        out.status
    );
}

#[test]
fn frame_and_time_limits_stop_the_capture() {
    let mut pty = Pty::open().unwrap();
    let dir = scratch();
    let out = dir.path().join("limit.pcap");
    let config = CaptureConfig {
        ports: vec![PortSpec::new(&pty.slave_path)],
        line: line(),
        format: udrv_rs485::Format::Pcap,
        output: Output::Path(out.clone()),
        max_frames: Some(3),
        handle_signals: false,
        ..CaptureConfig::default()
    };
    let (cap, _) = start(config);
    send(&mut pty.master, &exchange()[..6], Duration::from_millis(4));
    let summary = cap.join().unwrap().unwrap();
    assert_eq!(summary.reason, StopReason::FrameLimit);
    assert_eq!(summary.stats.frames, 3);
    assert_eq!(tshark_count(&out), 3);

    // Nothing on the line: the time limit ends it, with a valid empty file.
    let out = dir.path().join("quiet.pcapng");
    let config = CaptureConfig {
        ports: vec![PortSpec::new(&pty.slave_path)],
        line: line(),
        output: Output::Path(out.clone()),
        max_duration: Some(Duration::from_millis(300)),
        handle_signals: false,
        ..CaptureConfig::default()
    };
    let summary = capture::run(&config, &mut ()).unwrap();
    assert_eq!(summary.reason, StopReason::TimeLimit);
    assert_eq!(tshark_count(&out), 0);
    assert_eq!(read_pcapng(&out).0.len(), 1);
}

/// Records which start a capture announced.
#[derive(Default)]
struct Announced {
    started: usize,
    replaying: Vec<PathBuf>,
}

impl Progress for Announced {
    fn started(&mut self, _: &[Interface]) {
        self.started += 1;
    }
    fn replaying(&mut self, log: &Path, _: &[Interface]) {
        self.replaying.push(log.to_path_buf());
    }
}

#[test]
fn a_replay_announces_the_log_and_warns_when_it_is_cut_short() {
    use udrv_rs485::rawlog::{RawLogHeader, RawLogWriter};
    use udrv_rs485::Timestamp;
    let dir = scratch();
    let log = dir.path().join("bus.udrvraw");
    let header = RawLogHeader {
        line: line(),
        ports: vec!["/dev/ttyUSB0".into()],
        resolution: Duration::from_micros(200),
    };
    let mut w = RawLogWriter::create(&log, &header).unwrap();
    let frames = &exchange()[..3];
    for (i, f) in frames.iter().enumerate() {
        // 10 ms apart: silences far longer than t3.5.
        let t = Timestamp::from_nanos(1_700_000_000_000_000_000 + i as u64 * 10_000_000);
        w.write_chunk(t, 0, f).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let replay = |log: &Path, out: &Path| {
        let config = CaptureConfig {
            replay: Some(log.to_path_buf()),
            output: Output::Path(out.to_path_buf()),
            handle_signals: false,
            ..CaptureConfig::default()
        };
        let mut seen = Announced::default();
        let summary = capture::run(&config, &mut seen).unwrap();
        (summary, seen)
    };
    let (summary, seen) = replay(&log, &dir.path().join("whole.pcapng"));
    assert_eq!(summary.stats.frames, 3);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    assert_eq!((seen.started, seen.replaying), (0, vec![log.clone()]));

    // Cut inside the last record: the first two frames, and a warning naming the log.
    let bytes = std::fs::read(&log).unwrap();
    let cut = dir.path().join("cut.udrvraw");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    let out = dir.path().join("cut.pcapng");
    let (summary, _) = replay(&cut, &out);
    assert_eq!(summary.reason, StopReason::EndOfReplay);
    assert_eq!(summary.stats.frames, 2);
    assert_eq!(summary.warnings.len(), 1, "{:?}", summary.warnings);
    let w = &summary.warnings[0];
    assert!(
        w.contains(&cut.display().to_string()) && w.contains("cut short"),
        "{w}"
    );
    assert_eq!(tshark_count(&out), 2);
}
