//! `udrv i2c` spelled as i2c-tools, compared with Debian's i2c-tools 4.3 themselves
//! (`$UDRV_PEER_BIN/i2cget` etc., xtask/src/peers.rs) on the same kernel buses in the same
//! boot: the same arguments to both, then the same standard output byte for byte where
//! udrv promises identical output (get values, dump grids, detect grids, `-l`, `-F`,
//! `-r`'s verdict), and the same register state where the command writes (read with the
//! real tools). Buses: i2c-stub (SMBus-only, register-file chips) and i2c-parport (plain
//! I2C, nothing attached: every address acknowledges, every read is 0x00).
//!
//! Every test that writes restores chip 0x50's registers (all 256 words, as i2c-stub keeps
//! them) when it ends, so other guest tests find what they left.
#![cfg(udrv_guest)]

mod common;

use common::{env, run, stderr, stdout};
use std::process::Output;

fn peer(tool: &str) -> String {
    format!("{}/{tool}", env("UDRV_PEER_BIN"))
}

fn stub() -> String {
    env("UDRV_I2C_STUB_BUS")
}

fn plain() -> String {
    env("UDRV_I2C_PARPORT_BUS")
}

/// The chip the writing tests use.
const CHIP: &str = "0x50";

/// `udrv i2c SUB ARGS` and i2c-tools' `TOOL ARGS`.
fn both(sub: &str, tool: &str, args: &[&str]) -> (Output, Output) {
    let mut u = vec!["i2c", sub];
    u.extend_from_slice(args);
    (run("udrv", &u), run(&peer(tool), args))
}

/// Runs both with the same arguments, asserts that both succeed and print the same.
fn same(sub: &str, tool: &str, args: &[&str]) -> String {
    let (u, t) = both(sub, tool, args);
    assert!(t.status.success(), "{tool} {args:?} failed: {}", stderr(&t));
    assert!(
        u.status.success(),
        "udrv i2c {sub} {args:?} failed (i2c-tools printed {:?}): {}",
        stdout(&t),
        stderr(&u)
    );
    assert_eq!(
        stdout(&u),
        stdout(&t),
        "udrv i2c {sub} vs {tool}, arguments {args:?}"
    );
    stdout(&u)
}

/// The real i2cset, which must succeed.
fn i2cset(args: &[&str]) {
    let mut a = vec!["-y", "-a"];
    a.extend_from_slice(args);
    let o = run(&peer("i2cset"), &a);
    assert!(o.status.success(), "i2cset {a:?}: {}", stderr(&o));
}

/// Chip `addr`'s state as the real tools read it: the byte its pointer is at (receive
/// byte, which a short write sets), the SMBus block at command 0x28 (i2c-stub keeps blocks
/// apart from the registers; none there is an error) and every word (i2c-stub keeps 256
/// 16-bit words; a byte write changes the low byte only).
fn state(bus: &str, addr: &str) -> (String, String, Vec<u16>) {
    let p = run(&peer("i2cget"), &["-y", bus, addr]);
    assert!(p.status.success(), "i2cget: {}", stderr(&p));
    let b = run(&peer("i2cget"), &["-y", bus, addr, "0x28", "s"]);
    let block = format!("{:?} {}", b.status.code(), stdout(&b));
    (stdout(&p), block, words(bus, addr))
}

fn words(bus: &str, addr: &str) -> Vec<u16> {
    let o = run(&peer("i2cdump"), &["-y", bus, addr, "w"]);
    assert!(o.status.success(), "i2cdump: {}", stderr(&o));
    let w: Vec<u16> = stdout(&o)
        .lines()
        .skip(1)
        .flat_map(|l| {
            l[4..]
                .split_whitespace()
                .map(|x| u16::from_str_radix(x, 16).unwrap_or_else(|_| panic!("{l}")))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(w.len(), 256, "{}", stdout(&o));
    w
}

/// Puts chip `CHIP`'s words back as they were when it was made.
struct Restore(Vec<u16>);

impl Restore {
    fn new() -> Restore {
        Restore(words(&stub(), CHIP))
    }

    fn now(&self) {
        let now = words(&stub(), CHIP);
        for (r, (was, is)) in self.0.iter().zip(now).enumerate() {
            if *was != is {
                i2cset(&[&stub(), CHIP, &r.to_string(), &format!("{was:#06x}"), "w"]);
            }
        }
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        self.now();
    }
}

/// For each spelling: from the same starting state, i2cset and `udrv i2c set` with the
/// same arguments print the same and leave the chip in the same state.
fn writes_the_same(spellings: &[&[&str]], start: impl Fn()) {
    let bus = stub();
    for args in spellings {
        let mut full = vec!["-y"];
        let (opts, rest): (Vec<&str>, Vec<&str>) = {
            // Options first, as i2cset wants them; then BUS ADDRESS and the rest.
            let k = args.iter().take_while(|a| a.starts_with('-')).count();
            let k = if args[..k].contains(&"-m") { k + 1 } else { k };
            (args[..k].to_vec(), args[k..].to_vec())
        };
        full.extend(opts);
        full.push(&bus);
        full.push(CHIP);
        full.extend(rest);
        start();
        let t = run(&peer("i2cset"), &full);
        assert!(t.status.success(), "i2cset {full:?}: {}", stderr(&t));
        let after_tool = state(&bus, CHIP);
        start();
        let mut u = vec!["i2c", "set"];
        u.extend_from_slice(&full);
        let o = run("udrv", &u);
        assert!(
            o.status.success(),
            "udrv {u:?} failed where i2cset succeeded: {}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), stdout(&t), "output of {full:?}");
        assert_eq!(state(&bus, CHIP), after_tool, "chip state after {full:?}");
    }
}

#[test]
fn set_takes_i2csets_trailing_mode() {
    let _r = Restore::new();
    let bus = stub();
    writes_the_same(
        &[
            &["0x20", "0xbeef", "w"],
            &["0x21", "0x5a", "b"],
            &["0x22", "0x5a"],
            &["0x23", "0x01", "0x02", "0x03", "i"],
            &["0x28", "0x0a", "0x0b", "0x0c", "s"],
            &["0x24"],
            &["0x25", "c"],
        ],
        || {
            for r in 0x20..0x30 {
                i2cset(&[&bus, CHIP, &r.to_string(), "0x1111", "w"]);
            }
            i2cset(&[&bus, CHIP, "0x00"]); // the pointer
        },
    );
}

#[test]
fn set_m_is_i2csets_mask() {
    let _r = Restore::new();
    let bus = stub();
    writes_the_same(
        &[
            &["-m", "0x0f", "0x30", "0x3c"],
            &["-m", "0xf0", "0x30", "0x3c", "b"],
            &["-m", "0xff00", "0x31", "0x1234", "w"],
            &["-m", "0x0f", "0x33"],
        ],
        || {
            i2cset(&[&bus, CHIP, "0x30", "0xa5"]);
            i2cset(&[&bus, CHIP, "0x31", "0xa5a5", "w"]);
            i2cset(&[&bus, CHIP, "0x41"]); // the pointer, which -m with mode c reads
        },
    );
}

#[test]
fn set_r_reads_back_as_i2cset() {
    let _r = Restore::new();
    let bus = stub();
    writes_the_same(
        &[
            &["-r", "0x38", "0x42"],
            &["-r", "0x39", "0x4242", "w"],
            &["-r", "-m", "0xf0", "0x3a", "0x42"],
            &["-r", "0x3b"],
        ],
        || i2cset(&[&bus, CHIP, "0x38", "0x99"]),
    );
    // i2cset -r says whether the value read back is the one written.
    let out = stdout(&run(
        "udrv",
        &["i2c", "set", "-y", "-r", &bus, CHIP, "0x39", "0x4242", "w"],
    ));
    assert_eq!(out, "Value 0x4242 written, readback matched\n");
}

#[test]
fn get_modes_match_i2cget() {
    let _r = Restore::new();
    let bus = stub();
    i2cset(&[&bus, CHIP, "0x40", "0x41", "0x42", "0x43", "0x44", "i"]);
    i2cset(&[&bus, CHIP, "0x48", "0x31", "0x32", "0x33", "s"]);
    // Receive byte reads where the pointer is, and moves it: set it before each.
    i2cset(&[&bus, CHIP, "0x40"]);
    let u = run("udrv", &["i2c", "get", "-y", &bus, CHIP]);
    i2cset(&[&bus, CHIP, "0x40"]);
    let t = run(&peer("i2cget"), &["-y", &bus, CHIP]);
    assert!(u.status.success() && t.status.success(), "{}", stderr(&u));
    assert_eq!((stdout(&u), stdout(&t)), ("0x41\n".into(), "0x41\n".into()));
    for args in [
        &[&bus, CHIP, "0x41"][..],
        &[&bus, CHIP, "0x41", "b"],
        &[&bus, CHIP, "0x41", "w"],
        &[&bus, CHIP, "0x42", "c"],
        &[&bus, CHIP, "0x40", "i"],
        &[&bus, CHIP, "0x40", "i", "4"],
        &[&bus, CHIP, "0x41", "i", "1"],
        &[&bus, CHIP, "0x48", "s"],
    ] {
        let mut a = vec!["-y"];
        a.extend_from_slice(args);
        same("get", "i2cget", &a);
    }
    assert_eq!(
        same("get", "i2cget", &["-y", &bus, CHIP, "0x40", "i", "4"]),
        "0x41 0x42 0x43 0x44\n"
    );
}

#[test]
fn dump_modes_and_ranges_match_i2cdump() {
    let _r = Restore::new();
    let bus = stub();
    for (r, v) in [
        ("0x00", "0x41"),
        ("0x13", "0x7e"),
        ("0x2a", "0x1f"),
        ("0x4e", "0xa0"),
    ] {
        i2cset(&[&bus, CHIP, r, v]);
    }
    i2cset(&[&bus, CHIP, "0x14", "0xbeef", "w"]);
    i2cset(&[&bus, CHIP, "0x60", "0x48", "0x69", "0x00", "0x21", "s"]);
    i2cset(&[&bus, CHIP, "0x00", "0x55", "0x20", "s"]);
    for args in [
        &[][..],
        &["b"],
        &["w"],
        &["W"],
        &["i"],
        &["c"],
        &["s"],
        &["s", "0x60"],
        &["b", "3"],
        &["w", "2", "0x4f"],
    ] {
        let mut a = vec!["-y", &bus, CHIP];
        a.extend_from_slice(args);
        same("dump", "i2cdump", &a);
        for range in ["0x13-0x2a", "0x00-0x00", "0xf0-0xff", "0x12-0x2b"] {
            let mut a = vec!["-y", "-r", range, &bus, CHIP];
            a.extend_from_slice(args);
            let odd = range == "0x13-0x2a" || range == "0x00-0x00";
            if args.first() == Some(&"s") || (args.first() == Some(&"W") && odd) {
                // i2cdump refuses -r with mode s, and W ranges not from even to odd.
                let (u, t) = both("dump", "i2cdump", &a);
                assert!(!t.status.success(), "i2cdump {a:?} accepted it");
                assert_eq!(u.status.code(), Some(2), "udrv {a:?}: {}", stderr(&u));
                continue;
            }
            same("dump", "i2cdump", &a);
        }
    }
    // --json: only the range, numbers as numbers, the same values as i2cdump's grid.
    let grid = same("dump", "i2cdump", &["-y", "-r", "0x11-0x15", &bus, CHIP]);
    let cells: Vec<u64> = grid.lines().nth(1).unwrap()[4..]
        .split_whitespace()
        .take(5)
        .map(|x| u64::from_str_radix(x, 16).unwrap())
        .collect();
    let o = run(
        "udrv",
        &["--json", "i2c", "dump", "-y", "-r", "0x11-0x15", &bus, CHIP],
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one document");
    assert_eq!(v["values"], serde_json::json!(cells), "{v}");
    assert_eq!(
        (v["first"].as_u64(), v["last"].as_u64()),
        (Some(0x11), Some(0x15))
    );
}

#[test]
fn detect_l_a_and_f_match_i2cdetect() {
    let l = same("detect", "i2cdetect", &["-l"]);
    assert_eq!(stdout(&run("udrv", &["i2c", "list"])), l);
    for bus in [stub(), plain()] {
        same("detect", "i2cdetect", &["-y", &bus]);
        same("detect", "i2cdetect", &["-y", "-a", &bus]);
        same("detect", "i2cdetect", &["-y", "-a", &bus, "0x00", "0x0f"]);
        same("detect", "i2cdetect", &["-y", "-r", &bus, "0x40", "0x5f"]);
        let f = same("detect", "i2cdetect", &["-F", &bus]);
        assert!(f.starts_with(&format!("Functionalities implemented by /dev/i2c-{bus}:\n")));
        // --json -F: the bus as `udrv --json i2c list` describes it, the same keys.
        let o = run("udrv", &["--json", "i2c", "detect", "-F", &bus]);
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
        let o = run("udrv", &["--json", "i2c", "list"]);
        let list: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["bus"].to_string() == bus)
            .unwrap_or_else(|| panic!("bus {bus} in {list}"));
        assert_eq!(&v, row);
    }
}

#[test]
fn a_allows_reserved_addresses_as_i2c_tools() {
    let bus = plain();
    same("get", "i2cget", &["-y", "-a", &bus, "0x05", "0x00"]);
    same("get", "i2cget", &["-y", "-a", &bus, "0x7a", "0x00", "w"]);
    same(
        "dump",
        "i2cdump",
        &["-y", "-a", "-r", "0x00-0x1f", &bus, "0x05"],
    );
    same(
        "transfer",
        "i2ctransfer",
        &["-y", "-a", &bus, "w1@0x05", "0x00", "r2"],
    );
    same("set", "i2cset", &["-y", "-a", &bus, "0x05", "0x00", "0x01"]);
    // Without -a both refuse the address, and send nothing.
    for (sub, tool, args) in [
        ("get", "i2cget", &["-y", &bus, "0x05", "0x00"][..]),
        ("set", "i2cset", &["-y", &bus, "0x05", "0x00", "0x01"]),
        ("dump", "i2cdump", &["-y", &bus, "0x05"]),
    ] {
        let (u, t) = both(sub, tool, args);
        assert!(!t.status.success() && !u.status.success(), "{sub} {args:?}");
        assert!(stderr(&u).contains("-a"), "{}", stderr(&u));
    }
}

#[test]
fn transfer_v_and_fills_match_i2ctransfer() {
    let bus = plain();
    for args in [
        &["w6@0x50", "0x00", "0x01p", "r2"][..],
        &["w4@0x50", "0x10", "0xfe+", "r1@0x51", "w0@0x52"],
        &["w5@0x50", "0x02-", "r0", "r3"],
        &["w3@0x50", "0xaa=", "r1"],
    ] {
        for v in [&["-y"][..], &["-y", "-v"]] {
            let mut a = v.to_vec();
            a.push(&bus);
            a.extend_from_slice(args);
            same("transfer", "i2ctransfer", &a);
        }
    }
    let out = same(
        "transfer",
        "i2ctransfer",
        &["-y", "-v", &bus, "w4@0x50", "0x01p"],
    );
    assert_eq!(
        out,
        "msg 0: addr 0x50, write, len 4, buf 0x01 0x4e 0xc4 0xd9\n"
    );
}
