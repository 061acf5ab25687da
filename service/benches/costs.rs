//! What `udrv serve` costs, on the virtual board with conversion delays off (its manual
//! clock: a chip's conversion time moves the clock instead of sleeping), one LM75 read
//! as fast as the schedule allows (interval 1 ns), JSON lines to /dev/null:
//!
//! - readings per second the service sustains;
//! - CPU time per reading of the service's thread against, in the same run, a bare loop
//!   over the catalog (the chip opened and read through `ChipBus::open` and
//!   `read_i2c_bus`, as the service does) that writes the same JSON lines (and, for
//!   scale, one that only reads);
//! - resident memory (VmRSS of /proc/self/status) after ten thousand and after one
//!   million readings of one run (the service in a thread, its JSON lines counted through
//!   a FIFO);
//! - with `UDRV_BENCH_MQTT=1` and Debian's mosquitto on PATH: readings per second into a
//!   local broker (QoS 1, through the on-disk queue), counted by mosquitto_sub.
//!
//! `cargo bench -p udrv-service --bench costs` (`UDRV_BENCH_READINGS=N` for the
//! throughput runs, default 200000). Prints numbers; asserts none (BENCHMARKS.md has
//! them).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant, UNIX_EPOCH};

use udrv_boards::catalog::{self, read_i2c_bus, Buses, ChipBus, ChipSpec, Sequence};
use udrv_boards::r#virtual::{Peripherals, VirtualBoard};
use udrv_service::{serve, BoardChoice, Options};

const SPEC: &str = "lm75@i2c-1:0x4f";

/// CPU time of the calling thread (`/proc/thread-self/schedstat`: nanoseconds on CPU).
fn thread_cpu() -> Duration {
    let s = fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: u64 = s.split_whitespace().next().unwrap().parse().unwrap();
    Duration::from_nanos(ns)
}

/// VmRSS of this process in KiB.
fn rss_kib() -> u64 {
    let s = fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn config(dir: &Path, json: &str, extra: &str) -> std::path::PathBuf {
    let p = dir.join(format!("udrv-{}.toml", json.len() + extra.len()));
    fs::write(
        &p,
        format!(
            "board = \"bench\"\ninterval = 0.000000001\n[[chip]]\nname = \"t\"\n\
             spec = \"{SPEC}\"\n[json]\npath = \"{json}\"\n{extra}"
        ),
    )
    .unwrap();
    p
}

fn options(config: std::path::PathBuf, count: u64) -> Options {
    Options {
        config,
        board: BoardChoice::Virtual {
            time: Some(Duration::from_secs(1_767_225_600)),
            faults: None,
        },
        count: Some(count),
        duration: None,
        machine_id: "/etc/machine-id".into(),
    }
}

/// The service: (wall, CPU of this thread) for `n` readings.
fn run_service(dir: &Path, n: u64) -> (Duration, Duration) {
    let opts = options(config(dir, "/dev/null", ""), n);
    let (t0, c0) = (Instant::now(), thread_cpu());
    serve(&opts).unwrap();
    (t0.elapsed(), thread_cpu() - c0)
}

/// The bare loop: the chip opened and read through the catalog `n` times on the same
/// board, each read's readings written as JSON lines (one write, as the service does)
/// when `json`.
fn run_bare(n: u64, json: bool) -> (Duration, Duration) {
    let board = VirtualBoard::at(Duration::from_secs(1_767_225_600));
    let spec = ChipSpec::from_str(SPEC).unwrap();
    let what = Some(catalog::probe::what_answers as catalog::WhatAnswers);
    let mut out = fs::OpenOptions::new()
        .append(true)
        .open("/dev/null")
        .unwrap();
    let mut seq = Sequence::new();
    let (t0, c0) = (Instant::now(), thread_cpu());
    let mut taken = 0;
    while taken < n {
        let time = UNIX_EPOCH + board.environment().elapsed();
        let d = &mut board.delay();
        let Ok(ChipBus::VirtualI2c(bus)) = ChipBus::open(&spec, Buses::Virtual(&board)) else {
            panic!("{SPEC} is not on the virtual board's I2C bus");
        };
        let r = read_i2c_bus(&spec, bus, d, &mut seq, time, what).unwrap();
        taken += r.readings.len() as u64;
        if json {
            let mut text = String::new();
            for x in &r.readings {
                text.push_str(&serde_json::to_string(x).unwrap());
                text.push('\n');
            }
            out.write_all(text.as_bytes()).unwrap();
            out.flush().unwrap();
        }
        std::hint::black_box(&r);
    }
    (t0.elapsed(), thread_cpu() - c0)
}

/// VmRSS after `first` and after `last` readings of one service run, its JSON lines
/// counted through a FIFO by this thread while the service runs in another.
fn memory(dir: &Path, first: u64, last: u64) -> (u64, u64) {
    let fifo = dir.join("lines");
    let s = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(s.success());
    let opts = options(config(dir, fifo.to_str().unwrap(), ""), last);
    let service = std::thread::spawn(move || serve(&opts).unwrap());
    let mut lines = BufReader::with_capacity(1 << 16, fs::File::open(&fifo).unwrap());
    let (mut n, mut at_first, mut buf) = (0u64, 0, String::new());
    loop {
        buf.clear();
        if lines.read_line(&mut buf).unwrap() == 0 {
            break;
        }
        n += 1;
        if n == first {
            at_first = rss_kib();
        }
        if n == last {
            // The service's state as it stands after its last reading (before it ends).
            let at_last = rss_kib();
            // Drain what is left.
            while lines.read_line(&mut buf).unwrap() > 0 {}
            service.join().unwrap();
            return (at_first, at_last);
        }
    }
    panic!("the service stopped after {n} readings, short of {last}");
}

/// Readings per second into mosquitto (QoS 1, through the queue), counted by
/// mosquitto_sub as they arrive.
fn mqtt(dir: &Path, queue: &Path, n: u64) -> Option<f64> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let conf = dir.join("mosquitto.conf");
    fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
    )
    .ok()?;
    let mut broker = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    let mut sub = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"])
        .args(["-t", "udrv/bench/t/state", "-C", &n.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(500));
    let extra = format!(
        "[mqtt]\nhost = \"127.0.0.1\"\nport = {port}\ndiscovery = false\n[queue]\ndir = \"{}\"\n",
        queue.display()
    );
    let mut opts = options(config(dir, "/dev/null", &extra), n);
    opts.count = Some(n);
    let t0 = Instant::now();
    serve(&opts).unwrap();
    let ok = sub.wait().ok()?.success();
    let wall = t0.elapsed();
    let _ = broker.kill();
    let _ = broker.wait();
    ok.then(|| n as f64 / wall.as_secs_f64())
}

fn main() {
    let n: u64 = std::env::var("UDRV_BENCH_READINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().unwrap();
    // Warm up (page cache, allocator) with a short run of each.
    run_service(dir.path(), n / 20);
    run_bare(n / 20, true);

    // Three rounds, interleaved (the machine is shared: the median ratio is reported).
    let per = |d: Duration| d.as_secs_f64() * 1e9 / n as f64;
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    println!("udrv serve, virtual board, conversion delays off, {SPEC}, {n} readings a run:");
    let mut ratios = Vec::new();
    for round in 1..=3 {
        let (sw, sc) = run_service(dir.path(), n);
        let (bw, bc) = run_bare(n, true);
        let (rw, rc) = run_bare(n, false);
        println!(
            "  round {round}: service {:>7.0}/s CPU {:>5.0} ns; bare catalog+JSON {:>7.0}/s \
             CPU {:>5.0} ns; bare read {:>7.0}/s CPU {:>5.0} ns; service/bare+JSON {:.2}x, \
             service/bare read {:.2}x",
            rate(sw),
            per(sc),
            rate(bw),
            per(bc),
            rate(rw),
            per(rc),
            sc.as_secs_f64() / bc.as_secs_f64(),
            sc.as_secs_f64() / rc.as_secs_f64()
        );
        ratios.push(sc.as_secs_f64() / bc.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "  CPU per reading, service / bare catalog+JSON loop: median {:.2}x (target <= 1.2x)",
        ratios[1]
    );

    let (a, b) = memory(dir.path(), 10_000, 1_000_000);
    println!(
        "  VmRSS after 10 000 readings {a} KiB, after 1 000 000 {b} KiB: {:+} KiB \
         (target within 1024)",
        b as i64 - a as i64
    );

    if std::env::var("UDRV_BENCH_MQTT").is_ok_and(|v| v == "1") {
        let m = (n / 20).max(1000);
        let shm = tempfile::tempdir_in("/dev/shm").ok();
        let queues = [
            ("the queue on disk", dir.path().join("queue")),
            (
                "the queue in /dev/shm",
                shm.as_ref()
                    .map_or_else(|| dir.path().join("q2"), |d| d.path().join("queue")),
            ),
        ];
        for (what, queue) in queues {
            match mqtt(dir.path(), &queue, m) {
                Some(rate) => println!(
                    "  MQTT into mosquitto (QoS 1, each reading fsynced into the queue), \
                     {what}: {rate:.0} readings/s ({m} readings)"
                ),
                None => println!("  MQTT: mosquitto or mosquitto_sub did not run: not measured"),
            }
        }
    }
}
