//! Captures with reconnect on real ttys: the port is a symlink to a pseudo-terminal, as
//! `/dev/serial/by-id/..` links are to USB adapters. The pty is closed (the adapter
//! unplugged), a new one appears and the link is pointed at it (udev on a replug), and the
//! capture must go on into the same file: every frame from both sides once and in order,
//! the gap marked by a comment that tshark shows, one reconnect counted, warnings given,
//! and the raw log replaying to the same file. Also: a port that never comes back ends the
//! capture with a valid file, a stop while waiting ends it at once, and a 4-wire tap keeps
//! capturing its other port meanwhile.
//!
//! Nothing here waits for time to pass and hopes: each frame is written once the capture
//! has read the previous one (`common/reads.rs`), and each step waits for the warning or
//! the file contents it needs, with a deadline that only stops a hung capture.

mod common;
#[path = "common/reads.rs"]
mod reads;
#[path = "common/unplug.rs"]
mod unplug;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use pcap_parser::pcapng::Block;
use pcap_parser::PcapNGCapture;
use reads::{send_frames, write_read, Reads, GAP};
use tempfile::TempDir;
use udrv_core::serial::Pty;
use udrv_rs485::capture::{self, CaptureConfig, Output, PortSpec, Progress, StopReason, Summary};
use udrv_rs485::pcap::Interface;
use udrv_rs485::{Direction, LineSettings};
use unplug::{point, unplug};

/// How long any one wait in these tests may take before the test fails: a guard against a
/// hung capture, far above what any step takes (and far below the hour a port is waited
/// for in `a_stop_while_waiting_ends_the_capture_at_once`).
const WAIT: Duration = Duration::from_secs(60);

fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-rs485-reconnect-").unwrap()
}

fn line() -> LineSettings {
    "115200 8E1".parse().unwrap()
}

/// A scratch folder holding the link `name` to a new pty, as a by-id link is to an
/// adapter, and the path of a capture file next to it: (folder, link, file, pty).
fn plugged(name: &str) -> (TempDir, PathBuf, PathBuf, Pty) {
    let dir = scratch();
    let link = dir.path().join(name);
    let out = dir.path().join(name).with_extension("pcapng");
    let pty = Pty::open().unwrap();
    point(&link, &pty.slave_path);
    (dir, link, out, pty)
}

/// A capture of the port behind `link` into `out`, waiting up to `reconnect` for the
/// port to come back, with a flag that stops it.
fn config(link: &Path, out: &Path, reconnect: Duration) -> (CaptureConfig, Arc<AtomicBool>) {
    let stop = Arc::new(AtomicBool::new(false));
    let config = CaptureConfig {
        ports: vec![PortSpec::new(link)],
        line: line(),
        output: Output::Path(out.to_path_buf()),
        reconnect: Some(reconnect),
        handle_signals: false,
        stop: Some(stop.clone()),
        ..CaptureConfig::default()
    };
    (config, stop)
}

/// What the capture reports while it runs.
enum Event {
    Started,
    Warning(String),
}

struct Events(mpsc::Sender<Event>);

impl Progress for Events {
    fn started(&mut self, _: &[Interface]) {
        let _ = self.0.send(Event::Started);
    }
    fn warning(&mut self, message: &str) {
        let _ = self.0.send(Event::Warning(message.to_string()));
    }
}

/// A capture running in a thread: its events, what it has read, and its result when it
/// ends.
struct Running {
    events: Receiver<Event>,
    done: Receiver<Result<Summary, capture::Error>>,
    reads: Reads,
}

impl Running {
    fn start(config: CaptureConfig) -> Running {
        let (tx_events, events) = mpsc::channel();
        let (tx_done, done) = mpsc::channel();
        let (tx_reads, reads) = mpsc::channel();
        thread::spawn(move || {
            tx_reads.send(Reads::this_thread()).unwrap();
            let _ = tx_done.send(capture::run(&config, &mut Events(tx_events)));
        });
        let reads = reads.recv().expect("the capture thread's read counter");
        let r = Running {
            events,
            done,
            reads,
        };
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match r.events.recv_timeout(left) {
                Ok(Event::Started) => return r,
                Ok(Event::Warning(_)) => {}
                Err(e) => panic!("capture did not start: {e}"),
            }
        }
    }

    /// Waits (at most [`WAIT`]) for a warning containing `needle`; returns it.
    fn warning(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Event::Warning(w)) if w.contains(needle) => return w,
                Ok(Event::Warning(w)) => seen.push(w),
                Ok(Event::Started) => {}
                Err(e) => panic!("no warning with `{needle}` ({e}); got {seen:?}"),
            }
        }
    }

    /// The capture's result (it must end within [`WAIT`]).
    fn finish(self) -> Summary {
        self.done
            .recv_timeout(WAIT)
            .unwrap_or_else(|e| panic!("the capture did not end within {WAIT:?}: {e}"))
            .expect("the capture failed")
    }
}

/// The capture file `out` holds exactly `frames`, in order, and tshark reads each of them.
fn assert_file_holds(out: &Path, frames: &[Vec<u8>]) {
    let got: Vec<Vec<u8>> = read_pcapng(out).into_iter().map(|p| p.data).collect();
    assert_eq!(got, frames);
    assert_eq!(tshark_comments(out).len(), frames.len());
}

/// 2 * `n` frames: read-holding-registers requests and responses, numbered from `first`.
fn exchange(first: u16, n: u16) -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for i in first..first + n {
        v.push(read_req(1 + (i % 3) as u8, i * 10, 1 + i % 8));
        v.push(read_resp(1 + (i % 3) as u8, 1 + i % 8));
    }
    v
}

/// A packet: interface, epb_flags, data, comments.
#[derive(Debug)]
struct Packet {
    interface: u32,
    flags: u32,
    data: Vec<u8>,
    comments: Vec<String>,
}

/// The packets of a pcapng file (which must parse, with one section).
fn read_pcapng(path: &Path) -> Vec<Packet> {
    let bytes = std::fs::read(path).unwrap();
    let cap = PcapNGCapture::from_file(&bytes)
        .unwrap_or_else(|e| panic!("{} is not valid pcapng: {e:?}", path.display()));
    assert_eq!(cap.sections.len(), 1);
    let opt = |o: &pcap_parser::PcapNGOption| o.value[..o.len as usize].to_vec();
    cap.sections[0]
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::EnhancedPacket(epb) => Some(Packet {
                interface: epb.if_id,
                flags: epb
                    .options
                    .iter()
                    .find(|o| o.code.0 == 2)
                    .map(|o| o.as_u32_le().unwrap())
                    .unwrap_or(0),
                data: epb.data[..epb.caplen as usize].to_vec(),
                comments: epb
                    .options
                    .iter()
                    .filter(|o| o.code.0 == 1)
                    .map(|o| String::from_utf8(opt(o)).unwrap())
                    .collect(),
            }),
            _ => None,
        })
        .collect()
}

/// tshark's reading of `path`: one line per packet with its frame comments. tshark must
/// read the whole file without complaint.
fn tshark_comments(path: &Path) -> Vec<String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-T", "fields", "-e", "frame.number", "-e", "frame.comment"])
        .output()
        .expect("tshark is needed: apt-get install -y tshark");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark: {err}");
    assert!(
        !err.contains("cut short") && !err.contains("appears to be damaged"),
        "tshark: {err}"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// The seconds in "... away 0.4 s)".
fn away_secs(comment: &str) -> f64 {
    let rest = comment.split("away ").nth(1).expect(comment);
    rest.split(' ').next().unwrap().parse().expect(comment)
}

#[test]
fn port_behind_a_symlink_goes_away_and_comes_back_into_the_same_file() {
    let (dir, link, out, mut a) = plugged("ttyBUS");
    let raw = dir.path().join("reconnect.udrvraw");
    let (config, stop) = config(&link, &out, Duration::from_secs(30));
    let cap = Running::start(CaptureConfig {
        raw_log: Some(raw.clone()),
        ..config
    });

    let before = exchange(0, 5);
    send_frames(&mut a.master, &before, &cap.reads);
    // A request cut off by the unplug: it must come out, flagged too short.
    let partial = read_req(2, 500, 4)[..4].to_vec();
    thread::sleep(GAP);
    write_read(&mut a.master, &partial, &cap.reads);
    let mut b = Pty::open().unwrap();
    unplug(&link, a);
    let gone = cap.warning("went away");
    assert!(
        gone.contains(&link.display().to_string()) && gone.contains("waiting up to 30 s"),
        "{gone}"
    );
    // Unplugged for 0.4 s at least (the capture saw it go before this): the comment below
    // must say so. Time is the stimulus here, and more load only makes the gap longer.
    thread::sleep(Duration::from_millis(400));
    point(&link, &b.slave_path); // plugged in again: udev recreates the link
    let back = cap.warning("is back after");
    assert!(back.contains(&link.display().to_string()), "{back}");
    let after = exchange(5, 5);
    send_frames(&mut b.master, &after, &cap.reads);
    stop.store(true, Ordering::SeqCst);
    let summary = cap.finish();
    drop(b);

    assert_eq!(summary.reason, StopReason::Stopped);
    assert_eq!(summary.stats.reconnects, 1);
    assert!(summary.stats.to_string().ends_with(", 1 reconnect"));
    assert!(summary.warnings.contains(&gone), "{:?}", summary.warnings);
    assert!(summary.warnings.contains(&back), "{:?}", summary.warnings);
    let mut want = before.clone();
    want.push(partial.clone());
    want.extend(after.iter().cloned());
    let packets = read_pcapng(&out);
    let got: Vec<&[u8]> = packets.iter().map(|p| &p.data[..]).collect();
    assert_eq!(got, want.iter().map(|f| &f[..]).collect::<Vec<_>>());
    assert_eq!(summary.stats.frames, want.len() as u64);
    let k = before.len();
    assert_eq!(
        packets[k].flags >> 26 & 1,
        1,
        "the cut request is too short"
    );
    // The first frame after the gap says so, and only it.
    let first_after = &packets[k + 1].comments;
    assert_eq!(first_after.len(), 1, "{first_after:?}");
    assert_eq!(packets[k + 1].flags >> 24, 0, "{first_after:?}");
    assert!(
        first_after[0].starts_with("udrv: after reconnect (port was away "),
        "{first_after:?}"
    );
    let away = away_secs(&first_after[0]);
    assert!(
        away >= 0.4,
        "away at least the 0.4 s it was unplugged: {first_after:?}"
    );
    assert!(back.contains(&format!("after {away:.1} s")), "{back}");
    // No other frame carries a comment: the cut request's flag aside, each frame came
    // whole after a real silence, so none is flagged.
    for (i, p) in packets.iter().enumerate() {
        if i != k + 1 {
            assert!(
                !p.comments.iter().any(|c| c.contains("reconnect")),
                "packet {i}: {:?}",
                p.comments
            );
        }
        if i != k && i != k + 1 {
            assert_eq!(p.flags >> 24, 0, "packet {i}: error flags {:#x}", p.flags);
            assert!(p.comments.is_empty(), "packet {i}: {:?}", p.comments);
        }
    }
    // tshark reads every frame and shows the comment on the right one.
    let rows = tshark_comments(&out);
    assert_eq!(rows.len(), want.len(), "{rows:?}");
    assert!(
        rows[k + 1].starts_with(&format!("{}\tudrv: after reconnect", k + 2)),
        "{rows:?}"
    );

    // The raw log records the gap: replaying it gives the same file, comment included.
    let replayed = dir.path().join("replayed.pcapng");
    let again = capture::run(
        &CaptureConfig {
            replay: Some(raw),
            output: Output::Path(replayed.clone()),
            handle_signals: false,
            ..CaptureConfig::default()
        },
        &mut (),
    )
    .unwrap();
    assert_eq!(again.reason, StopReason::EndOfReplay);
    assert_eq!(again.stats.reconnects, 1);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&replayed).unwrap(),
        "the replay differs from the live capture"
    );
}

#[test]
fn a_port_that_never_comes_back_ends_the_capture_after_the_wait() {
    let (_dir, link, out, mut a) = plugged("ttyGONE");
    let cap = Running::start(config(&link, &out, Duration::from_millis(700)).0);
    let frames = exchange(0, 2);
    send_frames(&mut a.master, &frames, &cap.reads);
    // Taken before the unplug, so the capture's wait cannot have begun earlier.
    let t0 = Instant::now();
    unplug(&link, a);
    cap.warning("waiting up to 0.7 s");
    let gave_up = cap.warning("did not come back");
    let waited = t0.elapsed();
    let summary = cap.finish();
    assert!(
        waited >= Duration::from_millis(700),
        "gave up after {waited:?}, before the 0.7 s it was given"
    );
    assert!(gave_up.contains("within 0.7 s"), "{gave_up}");
    assert_eq!(summary.reason, StopReason::PortVanished(link.clone()));
    assert_eq!(summary.stats.reconnects, 0);
    assert_file_holds(&out, &frames);
}

#[test]
fn a_stop_while_waiting_ends_the_capture_at_once() {
    let (_dir, link, out, mut a) = plugged("ttyWAIT");
    let (config, stop) = config(&link, &out, Duration::from_secs(3600));
    let cap = Running::start(config);
    let frames = exchange(0, 3);
    send_frames(&mut a.master, &frames, &cap.reads);
    unplug(&link, a);
    cap.warning("waiting up to 3600 s");
    stop.store(true, Ordering::SeqCst);
    // The port is waited for an hour: that the capture ends at all (finish() allows
    // WAIT, a minute) shows the stop is looked at while waiting.
    let summary = cap.finish();
    assert_eq!(summary.reason, StopReason::Stopped);
    assert_file_holds(&out, &frames);
}

#[test]
fn a_tap_keeps_capturing_its_other_port_while_one_is_away() {
    let (_dir, link, out, mut a) = plugged("ttyOUT");
    let mut inbound = Pty::open().unwrap();
    let (config, stop) = config(&link, &out, Duration::from_secs(30));
    let cap = Running::start(CaptureConfig {
        ports: vec![
            PortSpec::with_direction(&link, Direction::Outbound),
            PortSpec::with_direction(&inbound.slave_path, Direction::Inbound),
        ],
        // Timestamps this coarse never let a silence close a frame: only the port going
        // away can hand out the cut one.
        resolution: Some(Duration::from_secs(20)),
        ..config
    });
    let ex = exchange(0, 6);
    let (requests, responses): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
        ex.chunks(2).map(|p| (p[0].clone(), p[1].clone())).unzip();
    send_frames(&mut a.master, &requests[..2], &cap.reads);
    let partial = requests[2][..4].to_vec();
    thread::sleep(GAP);
    write_read(&mut a.master, &partial, &cap.reads);
    let mut b = Pty::open().unwrap();
    unplug(&link, a);
    cap.warning("went away");
    // The cut request is out already, before anything comes back.
    let deadline = Instant::now() + WAIT;
    while read_pcapng(&out)
        .iter()
        .filter(|p| p.interface == 0)
        .count()
        < 3
    {
        assert!(Instant::now() < deadline, "the cut frame was not written");
        thread::sleep(Duration::from_millis(20));
    }
    // Meanwhile the inbound port goes on.
    send_frames(&mut inbound.master, &responses[..4], &cap.reads);
    point(&link, &b.slave_path);
    cap.warning("is back after");
    send_frames(&mut b.master, &requests[3..], &cap.reads);
    send_frames(&mut inbound.master, &responses[4..], &cap.reads);
    stop.store(true, Ordering::SeqCst);
    let summary = cap.finish();
    drop((b, inbound));
    assert_eq!(summary.reason, StopReason::Stopped);
    assert_eq!(summary.stats.reconnects, 1);
    let packets = read_pcapng(&out);
    let port = |i: u32| -> Vec<&Packet> { packets.iter().filter(|p| p.interface == i).collect() };
    let mut want_out: Vec<Vec<u8>> = requests[..2].to_vec();
    want_out.push(partial);
    want_out.extend(requests[3..].iter().cloned());
    let out0: Vec<Vec<u8>> = port(0).iter().map(|p| p.data.clone()).collect();
    assert_eq!(out0, want_out);
    assert_eq!(
        port(0)[2].flags >> 26 & 1,
        1,
        "the cut request is too short: {:#x} {:?}",
        port(0)[2].flags,
        port(0)[2].comments
    );
    assert!(port(0)[3].comments[0].starts_with("udrv: after reconnect"));
    let in1: Vec<Vec<u8>> = port(1).iter().map(|p| p.data.clone()).collect();
    assert_eq!(in1, responses);
    assert!(port(1).iter().all(|p| p.comments.is_empty()));
    assert_eq!(tshark_comments(&out).len(), packets.len());
}
