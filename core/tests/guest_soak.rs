//! Load and soak in the real-kernel guest: SMBus operations on i2c-stub from several
//! threads sharing one `I2cBus`, GPIO edge events on gpio-sim from several threads, and
//! two processes sharing a bus through the cross-process lock. Checked: every value read
//! back is the one written (no interleaved transactions), every edge event the kernel
//! numbered is either read or reported lost, and the resident memory stays flat. The
//! counts are in docs/RELIABILITY.md with how long they take under TCG; no time is
//! asserted.
#![cfg(udrv_guest)]

mod common;

use common::{env, stub};

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use udrv_core::gpio::{Chip, EdgeDetection, EdgeKind};

/// SMBus operations in the threaded soak (each a write or a read ioctl).
const SMBUS_OPS: u64 = 1_000_000;
/// Threads sharing the bus.
const SMBUS_THREADS: u64 = 4;
/// Edge events read one by one (closed loop), over all threads.
const GPIO_EVENTS: u32 = 100_000;
/// Threads (each with its own line) for the closed-loop events.
const GPIO_THREADS: u32 = 3;
/// Edges generated flat out on one line with a small kernel buffer (overflow accounting).
const GPIO_FLOOD: u32 = 20_000;
/// Locked rounds per process in the two-process test.
const LOCK_ROUNDS: u32 = 2_000;

/// Resident set size of this process in KiB (`VmRSS` of /proc/self/status).
fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Memory may grow a little (allocator arenas per thread, lazily touched pages), not
/// with the number of operations.
const RSS_SLACK_KIB: u64 = 1024;

/// What one soak thread saw: the operations the kernel answered with success, the
/// read-backs equal to the value just written, the first failure or mismatch, and the
/// last value it wrote to each of its registers (`(address, register, value)`: four byte
/// registers, then the word register).
struct SmbusTally {
    answered: u64,
    matched: u64,
    first_problem: Option<String>,
    last_bytes: Vec<(u16, u8, u8)>,
    last_word: Option<(u16, u8, u16)>,
}

#[test]
fn a_million_smbus_operations_from_four_threads_read_back_what_was_written() {
    let bus = stub();
    let per_thread = SMBUS_OPS / SMBUS_THREADS;
    let run = |warmup: bool| -> Vec<thread::JoinHandle<SmbusTally>> {
        (0..SMBUS_THREADS)
            .map(|t| {
                let bus = bus.clone();
                let n = if warmup { per_thread / 20 } else { per_thread };
                thread::spawn(move || {
                    // Each thread its own registers (0xC0 + 8t ..) on a chip of its own
                    // when there are enough chips.
                    let addr = [0x48u16, 0x50, 0x52, 0x48][t as usize % 4];
                    let base = 0xC0 + 8 * t as u8;
                    let mut tally = SmbusTally {
                        answered: 0,
                        matched: 0,
                        first_problem: None,
                        last_bytes: Vec::new(),
                        last_word: None,
                    };
                    let mut last = [None::<u8>; 4];
                    let problem = |tally: &mut SmbusTally, what: String| {
                        if tally.first_problem.is_none() {
                            tally.first_problem = Some(what);
                        }
                    };
                    let mut k = 0u32;
                    // Each round is a write and a read: n operations in n / 2 rounds.
                    while u64::from(k) < n / 2 {
                        let reg = base + (k % 4) as u8;
                        let (wrote, read) = if k % 8 == 7 {
                            let v = (k as u16).wrapping_mul(31) ^ (t as u16) << 12;
                            let w = bus.smbus_write_word_data(addr, base + 4, v);
                            tally.last_word = Some((addr, base + 4, v));
                            let r = bus.smbus_read_word_data(addr, base + 4);
                            (w.map(|_| u32::from(v)), r.map(u32::from))
                        } else {
                            let v = (k as u8).wrapping_mul(7) ^ t as u8;
                            let w = bus.smbus_write_byte_data(addr, reg, v);
                            last[(k % 4) as usize] = Some(v);
                            let r = bus.smbus_read_byte_data(addr, reg);
                            (w.map(|_| u32::from(v)), r.map(u32::from))
                        };
                        match (wrote, read) {
                            (Ok(w), Ok(r)) => {
                                tally.answered += 2;
                                if r == w {
                                    tally.matched += 1;
                                } else {
                                    let what = format!(
                                        "thread {t} round {k}: wrote {w:#x}, read back {r:#x} \
                                         at {addr:#x}"
                                    );
                                    problem(&mut tally, what);
                                }
                            }
                            (w, r) => {
                                tally.answered += u64::from(w.is_ok()) + u64::from(r.is_ok());
                                let what = format!("thread {t} round {k}: {w:?} / {r:?}");
                                problem(&mut tally, what);
                            }
                        }
                        k += 1;
                    }
                    tally.last_bytes = last
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| Some((addr, base + i as u8, (*v)?)))
                        .collect();
                    tally
                })
            })
            .collect()
    };
    // Warm up (threads, allocator arenas), then measure memory around the real run.
    for h in run(true) {
        h.join().unwrap();
    }
    let before = rss_kib();
    let t0 = Instant::now();
    let tallies: Vec<SmbusTally> = run(false).into_iter().map(|h| h.join().unwrap()).collect();
    let secs = t0.elapsed().as_secs_f64();
    let after = rss_kib();
    let answered: u64 = tallies.iter().map(|t| t.answered).sum();
    let matched: u64 = tallies.iter().map(|t| t.matched).sum();
    println!(
        "smbus soak: {answered} operations answered from {SMBUS_THREADS} threads in {secs:.1} s \
         ({:.0}/s), {matched} read-backs equal to the write; RSS {before} -> {after} KiB",
        answered as f64 / secs
    );
    let problems: Vec<&String> = tallies
        .iter()
        .filter_map(|t| t.first_problem.as_ref())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(answered, SMBUS_OPS, "operations the kernel answered");
    assert_eq!(
        matched,
        SMBUS_OPS / 2,
        "read-backs equal to the value written"
    );
    // The chips hold what each thread wrote last, read again now the threads are done.
    for t in &tallies {
        assert_eq!(t.last_bytes.len(), 4);
        for &(addr, reg, v) in &t.last_bytes {
            let r = bus.smbus_read_byte_data(addr, reg).unwrap();
            assert_eq!(r, v, "{addr:#x} register {reg:#x} after the soak");
        }
        let (addr, reg, v) = t.last_word.expect("a word was written");
        let r = bus.smbus_read_word_data(addr, reg).unwrap();
        assert_eq!(r, v, "{addr:#x} word register {reg:#x} after the soak");
    }
    assert!(
        after <= before + RSS_SLACK_KIB,
        "RSS grew {before} -> {after} KiB"
    );
}

fn sim_pull(line: u32, up: bool) {
    let p = format!("{}/sim_gpio{line}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" })
        .unwrap_or_else(|e| panic!("write {p}: {e}"));
}

#[test]
fn gpio_events_from_several_threads_arrive_each_once_in_order() {
    // Closed loop: each thread drives its own line and reads the event of each edge before
    // making the next one, so the kernel sees every edge: none may be lost or repeated.
    let chip = env("UDRV_GPIO_SIM_CHIP");
    let per_thread = GPIO_EVENTS.div_ceil(GPIO_THREADS);
    let before = rss_kib();
    let t0 = Instant::now();
    let threads: Vec<_> = (0..GPIO_THREADS)
        .map(|t| {
            let chip = chip.clone();
            thread::spawn(move || {
                let line = 8 + t;
                sim_pull(line, false);
                let req = Chip::open(&chip)
                    .unwrap()
                    .request()
                    .with_line(line)
                    .with_edge_detection(EdgeDetection::Both)
                    .with_consumer("udrv-soak")
                    .request()
                    .unwrap();
                // What the kernel delivered: events read, and the line sequence number
                // it gave the last one (how many edges it numbered on this line).
                let mut read = 0u32;
                let mut numbered = 0u32;
                for i in 0..per_thread {
                    let rising = i % 2 == 0;
                    sim_pull(line, rising);
                    let e = req
                        .wait_edge_event(Duration::from_secs(10))
                        .unwrap()
                        .unwrap_or_else(|| panic!("line {line}: event {i} never came"));
                    let want = if rising {
                        EdgeKind::Rising
                    } else {
                        EdgeKind::Falling
                    };
                    assert_eq!(e.kind, want, "line {line} event {i}");
                    assert_eq!(e.offset, line);
                    assert_eq!(e.line_seqno, Some(i + 1), "line {line} event {i}");
                    assert_eq!(e.lost_before, Some(0), "line {line} event {i}");
                    read += 1;
                    numbered = e.line_seqno.unwrap();
                }
                assert_eq!(req.lost_events(), Some(0));
                assert!(
                    req.try_read_edge_event().unwrap().is_none(),
                    "an extra event"
                );
                sim_pull(line, false);
                (read, numbered)
            })
        })
        .collect();
    let seen: Vec<(u32, u32)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let secs = t0.elapsed().as_secs_f64();
    let after = rss_kib();
    let read: u32 = seen.iter().map(|s| s.0).sum();
    let numbered: u32 = seen.iter().map(|s| s.1).sum();
    println!(
        "gpio soak: {read} events read on {GPIO_THREADS} lines in {secs:.1} s ({:.0}/s), the \
         kernel numbered {numbered}; RSS {before} -> {after} KiB",
        f64::from(read) / secs
    );
    // Each line's edges, numbered by the kernel 1, 2, ... without a gap, each read once.
    assert_eq!(seen, vec![(per_thread, per_thread); GPIO_THREADS as usize]);
    assert!(
        after <= before + RSS_SLACK_KIB,
        "RSS grew {before} -> {after} KiB"
    );
}

#[test]
fn a_flood_of_edges_is_read_or_reported_lost_never_silently_dropped() {
    // Open loop: one thread makes edges flat out while this one reads slowly through a
    // 16-event kernel buffer. Every sequence number the kernel gave is either read or
    // counted in `lost_before` and `lost_events()`.
    let line = 11;
    sim_pull(line, false);
    let req = Chip::open(env("UDRV_GPIO_SIM_CHIP"))
        .unwrap()
        .request()
        .with_line(line)
        .with_edge_detection(EdgeDetection::Both)
        .with_event_buffer_size(16)
        .request()
        .unwrap();
    let gen = thread::spawn(move || {
        for i in 0..GPIO_FLOOD {
            sim_pull(line, i % 2 == 0);
        }
        sim_pull(line, false);
    });
    let mut read = 0u64;
    let mut lost = 0u64;
    let mut last = 0u32;
    let mut batches = 0u32;
    loop {
        match req.wait_edge_event(Duration::from_millis(500)).unwrap() {
            Some(e) => {
                let s = e.seqno.unwrap();
                assert!(s > last, "sequence went back: {last} then {s}");
                assert_eq!(
                    u64::from(s - last - 1),
                    u64::from(e.lost_before.unwrap()),
                    "a gap before seqno {s} not reported as lost"
                );
                lost += u64::from(e.lost_before.unwrap());
                read += 1;
                last = s;
                batches += 1;
                if batches % 64 == 0 {
                    thread::sleep(Duration::from_millis(2)); // let the buffer overflow
                }
            }
            None if gen.is_finished() => break,
            None => {}
        }
    }
    gen.join().unwrap();
    println!("gpio flood: {GPIO_FLOOD} pulls, kernel numbered {last}, read {read}, lost {lost}");
    assert_eq!(read + lost, u64::from(last));
    assert_eq!(req.lost_events(), Some(lost));
    assert!(read > 100 && last > GPIO_FLOOD / 4, "read {read} of {last}");
}

/// One process's rounds: under the bus lock (unless `locked` is false), claim the owner
/// register, write a sequence of (register, value) pairs tagged with this worker, read
/// them all back, and check the owner register is still ours. Another process writing
/// the same registers in between (an interleaved transaction) makes the read-back
/// differ. Returns the rounds whose read-back differed (always 0 under the lock: asserted).
fn rounds(worker: u8, rounds: u32, locked: bool) -> u32 {
    let bus = stub();
    let (addr, owner, block) = (0x50u16, 0xB0u8, 0xB1u8);
    let mut interleaved = 0;
    for round in 0..rounds {
        let _guard = locked.then(|| bus.lock().unwrap());
        bus.smbus_write_byte_data(addr, owner, worker).unwrap();
        let vals: Vec<u8> = (0..8u8)
            .map(|i| worker.wrapping_mul(101) ^ (round as u8).wrapping_add(i).wrapping_mul(13))
            .collect();
        for (i, v) in vals.iter().enumerate() {
            bus.smbus_write_byte_data(addr, block + i as u8, *v)
                .unwrap();
            thread::yield_now(); // invite the other process in
        }
        let mut same = true;
        for (i, v) in vals.iter().enumerate() {
            let r = bus.smbus_read_byte_data(addr, block + i as u8).unwrap();
            same &= r == *v;
            assert!(
                !locked || r == *v,
                "worker {worker} round {round}: register {i} interleaved"
            );
        }
        let o = bus.smbus_read_byte_data(addr, owner).unwrap();
        same &= o == worker;
        assert!(
            !locked || o == worker,
            "worker {worker} round {round}: owner changed under the lock"
        );
        interleaved += u32::from(!same);
    }
    interleaved
}

#[test]
fn locked_worker_reads_back_its_own_sequence() {
    // Alone this checks one process's rounds; as a child of the tests below (with
    // UDRV_SOAK_WORKER set) it is one of the two competing processes.
    match std::env::var("UDRV_SOAK_WORKER") {
        Ok(w) => {
            let locked = std::env::var_os("UDRV_SOAK_UNLOCKED").is_none();
            let bad = rounds(w.parse().unwrap(), LOCK_ROUNDS, locked);
            println!("worker {w}: {LOCK_ROUNDS} rounds, {bad} interleaved");
        }
        Err(_) => assert_eq!(rounds(9, 50, true), 0),
    }
}

/// Runs the two workers as processes; returns the interleaved rounds each saw.
fn two_workers(locked: bool) -> Vec<u32> {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = [1u8, 2]
        .iter()
        .map(|w| {
            let mut c = Command::new(&exe);
            c.args([
                "--exact",
                "locked_worker_reads_back_its_own_sequence",
                "--nocapture",
            ])
            .env("UDRV_SOAK_WORKER", w.to_string());
            if !locked {
                c.env("UDRV_SOAK_UNLOCKED", "1");
            }
            c.output_async()
        })
        .collect();
    [1u8, 2]
        .iter()
        .zip(children)
        .map(|(w, c)| {
            let o = c.wait_with_output().unwrap();
            let out = String::from_utf8_lossy(&o.stdout);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "worker {w}: {out}{err}");
            let key = format!("worker {w}: {LOCK_ROUNDS} rounds, ");
            let at = out
                .find(&key)
                .unwrap_or_else(|| panic!("worker {w} did not report: {out}"));
            out[at + key.len()..]
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

#[test]
fn two_processes_sharing_a_bus_through_the_lock_never_interleave() {
    let before = rss_kib();
    assert_eq!(two_workers(true), [0, 0]);
    assert!(rss_kib() <= before + RSS_SLACK_KIB);
}

#[test]
fn without_the_lock_the_same_check_sees_interleaving() {
    // The control: the check above can fail. Without the lock the two processes' rounds
    // interleave (each yields the CPU between its writes) and the read-back differs.
    let bad = two_workers(false);
    println!("unlocked workers: {bad:?} interleaved rounds of {LOCK_ROUNDS}");
    assert!(bad.iter().sum::<u32>() > 0, "{bad:?}");
}

/// `Command::spawn` with captured output, as a small extension for readability.
trait SpawnCaptured {
    fn output_async(&mut self) -> std::process::Child;
}

impl SpawnCaptured for Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn the worker")
    }
}
