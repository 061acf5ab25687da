//! What the real-kernel benchmarks share: `guest_bench.rs` (the x86 guest, `cargo xtask
//! vmbench`) and `rpi_bench.rs` (the emulated Raspberry Pi 3B, `cargo xtask vmbench --board
//! rpi3b`). Rounds alternating a baseline (a raw loop or a peer library) with udrv, the
//! report (the median of the per-round ratios and the middle half of them), and the raw
//! `I2C_RDWR` loop both benchmarks use as a baseline.
//!
//! The raw loop is written with plain `libc` calls and its own `#[repr(C)]` structs (the
//! benchmarks are the one place outside `core/src/sys` with `unsafe`; they are not part of
//! the library).

// Each benchmark uses its part; on the host (where neither runs) none of it is called.
#![allow(dead_code)]
#![allow(unsafe_code)]

use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// `I2C_RDWR`: combined transfers (`libc::Ioctl` is the request type of the target's libc:
/// `c_ulong` with glibc, `c_int` with musl).
const I2C_RDWR: libc::Ioctl = 0x0707;
/// `I2C_M_RD`: the message reads.
const I2C_M_RD: u16 = 1;

/// `struct i2c_msg`.
#[repr(C)]
struct I2cMsg {
    addr: u16,
    flags: u16,
    len: u16,
    buf: *mut u8,
}

/// `struct i2c_rdwr_ioctl_data`.
#[repr(C)]
struct RdwrData {
    msgs: *mut I2cMsg,
    nmsgs: u32,
}

/// Panics with the OS error when a raw call failed.
pub fn check(ret: libc::c_int, what: &str) {
    assert!(ret >= 0, "{what}: {}", std::io::Error::last_os_error());
}

/// The baseline of a register read: `n` `I2C_RDWR` ioctls on `fd` (an open i2c-dev
/// adapter), each writing `[reg]` to `addr` and reading `buf.len()` bytes back after a
/// repeated start, with nothing around them.
pub fn raw_write_read(fd: RawFd, addr: u16, reg: u8, buf: &mut [u8], n: u32) {
    let mut reg = [reg];
    let len = u16::try_from(buf.len()).expect("an I2C message of at most 65535 bytes");
    for _ in 0..n {
        let mut msgs = [
            I2cMsg {
                addr,
                flags: 0,
                len: 1,
                buf: reg.as_mut_ptr(),
            },
            I2cMsg {
                addr,
                flags: I2C_M_RD,
                len,
                buf: buf.as_mut_ptr(),
            },
        ];
        let mut data = RdwrData {
            msgs: msgs.as_mut_ptr(),
            nmsgs: 2,
        };
        // SAFETY: the messages and buffers outlive the call.
        check(unsafe { libc::ioctl(fd, I2C_RDWR, &mut data) }, "I2C_RDWR");
    }
}

/// One row: the time of each round of the baseline and of udrv.
pub struct Case {
    /// The row's name (its first column).
    pub name: &'static str,
    /// The baseline: the raw loop, or the peer library.
    pub raw: Vec<Duration>,
    /// udrv doing the same work.
    pub udrv: Vec<Duration>,
    /// Operations per side and round.
    pub ops: u32,
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs `raw` (the baseline) and `ours` (udrv) alternately, `rounds` rounds of `ops`
/// operations each, after a warm-up of both: drift in the emulator hits both sides alike.
pub fn measure(
    name: &'static str,
    rounds: usize,
    ops: u32,
    mut raw: impl FnMut(u32),
    mut ours: impl FnMut(u32),
) -> Case {
    raw(ops / 10 + 1);
    ours(ops / 10 + 1);
    let mut c = Case {
        name,
        raw: Vec::new(),
        udrv: Vec::new(),
        ops,
    };
    for _ in 0..rounds {
        let t = Instant::now();
        raw(ops);
        c.raw.push(t.elapsed());
        let t = Instant::now();
        ours(ops);
        c.udrv.push(t.elapsed());
    }
    c
}

/// Prints a table of `cases`. The ratio is the median of the per-round ratios (each round
/// runs the baseline and udrv back to back, so drift of the emulator's speed cancels out
/// within a round); the spread is the interquartile range of the per-round ratios. `BENCH
/// table` lines start a table (`cargo xtask vmbench` prints each as Markdown).
pub fn report(title: &str, base: &str, cases: &mut [Case]) {
    println!("BENCH table {title} | case | {base} ns/op | udrv ns/op | udrv / {base} (median of rounds) | rounds' ratios, middle half");
    for c in cases.iter_mut() {
        let mut ratios: Vec<f64> = c
            .raw
            .iter()
            .zip(&c.udrv)
            .map(|(r, u)| u.as_secs_f64() / r.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let ratio = ratios[ratios.len() / 2];
        // The middle half of the rounds (a preempted round can be 50x off).
        let (lo, hi) = (ratios[ratios.len() / 4], ratios[ratios.len() * 3 / 4]);
        let raw = median(&mut c.raw).as_nanos() as f64 / f64::from(c.ops);
        let ours = median(&mut c.udrv).as_nanos() as f64 / f64::from(c.ops);
        println!(
            "BENCH {} | {raw:.0} | {ours:.0} | {ratio:.3} | {lo:.3}-{hi:.3}",
            c.name
        );
    }
}

/// `path` opened for reading and writing, as the raw loops open an i2c-dev node.
pub fn open_rw(path: &str) -> std::fs::File {
    std::fs::File::options()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {path}: {e}"))
}

/// `main` on the host, where the benchmarks do not run: `count SIDE N FILE` calls `count`
/// with them (callgrind's instruction counts, an i2c-dev stand-in preloaded: BENCHMARKS.md
/// says how; `usage` names the sides); anything else says where the benchmark runs (`how`).
pub fn host_main(usage: &str, how: &str, count: impl FnOnce(&str, u32, &str)) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [c, side, n, file] if c == "count" => count(side, n.parse().expect("N: a number"), file),
        [c, ..] if c == "count" => {
            eprintln!("usage: {usage}");
            std::process::exit(2);
        }
        _ => eprintln!("this benchmark runs {how}"),
    }
}
