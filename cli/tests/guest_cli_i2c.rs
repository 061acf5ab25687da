//! `udrv i2c` in the real-kernel guest, compared with busybox's i2c-tools (an independent
//! implementation) on the same i2c-stub and i2c-parport buses.
#![cfg(udrv_guest)]

mod common;

use common::{env, run, stderr, stdout};

/// Runs both and asserts success and identical standard output.
fn same(udrv: &[&str], busybox: &[&str]) -> String {
    let a = run("udrv", udrv);
    let b = run("busybox", busybox);
    assert!(a.status.success(), "udrv {udrv:?} failed: {}", stderr(&a));
    assert!(
        b.status.success(),
        "busybox {busybox:?} failed: {}",
        stderr(&b)
    );
    assert_eq!(
        stdout(&a),
        stdout(&b),
        "udrv {udrv:?} vs busybox {busybox:?}"
    );
    stdout(&a)
}

fn bb_get(bus: &str, addr: &str, reg: &str) -> String {
    let o = run("busybox", &["i2cget", "-y", bus, addr, reg]);
    assert!(o.status.success(), "i2cget: {}", stderr(&o));
    stdout(&o).trim().to_string()
}

fn bb_dump(bus: &str, addr: &str) -> String {
    let o = run("busybox", &["i2cdump", "-y", bus, addr, "b"]);
    assert!(o.status.success(), "i2cdump: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn detect_matches_i2cdetect() {
    let bus = env("UDRV_I2C_STUB_BUS");
    // udrv scans 0x08-0x77 by default like i2c-tools 4 (busybox 1.35 still starts at 0x03).
    let grid = same(
        &["i2c", "detect", "-y", &bus],
        &["i2cdetect", "-y", &bus, "0x08", "0x77"],
    );
    assert!(grid.contains("40: -- -- -- -- -- -- -- -- 48 "), "{grid}");
    same(
        &["i2c", "detect", "-y", &bus, "0x40", "0x4f"],
        &["i2cdetect", "-y", &bus, "0x40", "0x4f"],
    );
}

/// `-F` as i2c-tools 4.3 prints it (busybox's differs: "bus #N", lower-case names).
#[test]
fn funcs_match_i2cdetect_f() {
    for bus in [env("UDRV_I2C_STUB_BUS"), env("UDRV_I2C_PARPORT_BUS")] {
        let a = run("udrv", &["i2c", "detect", "-F", &bus]);
        let b = run(
            &format!("{}/i2cdetect", env("UDRV_PEER_BIN")),
            &["-F", &bus],
        );
        assert!(a.status.success() && b.status.success(), "{}", stderr(&a));
        assert_eq!(stdout(&a), stdout(&b));
    }
}

#[test]
fn list_matches_i2cdetect_l() {
    let mut a: Vec<String> = stdout(&run("udrv", &["i2c", "list"]))
        .lines()
        .map(String::from)
        .collect();
    let mut b: Vec<String> = stdout(&run("busybox", &["i2cdetect", "-l"]))
        .lines()
        .map(String::from)
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert_eq!(a.len(), 2);
}

#[test]
fn set_and_get_agree_with_i2cset_and_i2cget() {
    let bus = env("UDRV_I2C_STUB_BUS");
    let o = run("udrv", &["i2c", "set", "-y", &bus, "0x52", "0xc0", "0x5a"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(bb_get(&bus, "0x52", "0xc0"), "0x5a");

    let o = run(
        "busybox",
        &["i2cset", "-y", &bus, "0x52", "0xc1", "0xa5", "b"],
    );
    assert!(o.status.success());
    same(
        &["i2c", "get", "-y", &bus, "0x52", "0xc1"],
        &["i2cget", "-y", &bus, "0x52", "0xc1"],
    );
    assert_eq!(
        stdout(&run("udrv", &["i2c", "get", "-y", &bus, "0x52", "0xc1"])).trim(),
        "0xa5"
    );

    let o = run(
        "udrv",
        &["i2c", "set", "-y", &bus, "0x52", "0xc2", "0xbeef", "w"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    same(
        &["i2c", "get", "-y", &bus, "0x52", "0xc2", "w"],
        &["i2cget", "-y", &bus, "0x52", "0xc2", "w"],
    );
    assert_eq!(
        stdout(&run(
            "udrv",
            &["i2c", "get", "-y", &bus, "0x52", "0xc2", "w"]
        ))
        .trim(),
        "0xbeef"
    );
}

#[test]
fn dump_matches_i2cdump() {
    let bus = env("UDRV_I2C_STUB_BUS");
    for (r, v) in [
        ("0x01", "0xab"),
        ("0x02", "0x41"),
        ("0x7f", "0xff"),
        ("0x80", "0x7e"),
    ] {
        assert!(run("busybox", &["i2cset", "-y", &bus, "0x50", r, v, "b"])
            .status
            .success());
    }
    same(
        &["i2c", "dump", "-y", &bus, "0x50"],
        &["i2cdump", "-y", &bus, "0x50", "b"],
    );
    same(
        &["i2c", "dump", "-y", "-r", "0x00-0x1f", &bus, "0x50"],
        &["i2cdump", "-y", "-r", "0x00-0x1f", &bus, "0x50", "b"],
    );
    same(
        &["i2c", "dump", "-y", &bus, "0x50", "w"],
        &["i2cdump", "-y", &bus, "0x50", "w"],
    );
}

#[test]
fn transfer_matches_i2ctransfer_on_plain_adapter() {
    let bus = env("UDRV_I2C_PARPORT_BUS");
    let out = same(
        &["i2c", "transfer", "-y", &bus, "w1@0x50", "0x00", "r4"],
        &["i2ctransfer", "-y", &bus, "w1@0x50", "0x00", "r4"],
    );
    assert_eq!(out.trim(), "0x00 0x00 0x00 0x00");
}

#[test]
fn json_output_parses() {
    let bus = env("UDRV_I2C_STUB_BUS");
    assert!(run(
        "busybox",
        &["i2cset", "-y", &bus, "0x52", "0xc3", "0x33", "b"]
    )
    .status
    .success());
    let o = run(
        "udrv",
        &["--json", "i2c", "get", "-y", &bus, "0x52", "0xc3"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object");
    assert_eq!(v["value"], 0x33);
    assert_eq!(v["address"], 0x52);
    let o = run("udrv", &["--json", "i2c", "detect", "-y", &bus]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one JSON object");
    assert_eq!(v["present"], serde_json::json!([0x20, 0x48, 0x50, 0x52]));
}

/// Every bad argument: exit status 2 (or 1 for a missing bus), a message that names the
/// problem, and the chip left unchanged.
#[test]
fn bad_arguments_are_refused_and_nothing_is_written() {
    let bus = env("UDRV_I2C_STUB_BUS");
    let before = bb_dump(&bus, "0x48");
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["i2c", "set", "-y", &bus, "0x80", "0x00", "0x01"],
            2,
            "out of range",
        ),
        (
            &["i2c", "set", "-y", &bus, "0x03", "0x00", "0x01"],
            2,
            "reserved",
        ),
        (
            &["i2c", "set", "-y", &bus, "0x48", "0x00", "0xzz"],
            2,
            "not a number",
        ),
        (
            &["i2c", "set", "-y", &bus, "0x48", "0x00", "0x100"],
            2,
            "out of range",
        ),
        (
            &["i2c", "set", "-y", &bus, "0x48", "0x100", "0x01"],
            2,
            "out of range",
        ),
        (
            &["i2c", "set", "-y", &bus, "0x48", "0x00", "0x01", "q"],
            2,
            "is not a mode",
        ),
        (
            &["i2c", "set", "-y", "-m", "0", &bus, "0x48", "0x00", "0x01"],
            2,
            "mask 0",
        ),
        (
            &["i2c", "dump", "-y", "-r", "0x00-0x10", &bus, "0x48", "s"],
            2,
            "mode s",
        ),
        (
            &["i2c", "transfer", "-y", &bus, "w2@0x48", "0x00"],
            2,
            "needs 2 data bytes",
        ),
        (&["i2c", "transfer", "-y", &bus, "r4"], 2, "no address"),
        (
            &["i2c", "get", "-y", "77", "0x48", "0x00"],
            1,
            "/dev/i2c-77",
        ),
        (&["i2c", "set", &bus, "0x48", "0x00", "0x01"], 2, "refusing"),
    ];
    for (args, code, needle) in cases {
        let o = run("udrv", args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "udrv {args:?}: {err}");
        assert!(
            err.contains(needle),
            "udrv {args:?}: `{err}` lacks `{needle}`"
        );
        assert_eq!(err.lines().count(), 1, "one line, no stack trace: {err}");
        assert!(err.starts_with("udrv: "), "{err}");
    }
    assert_eq!(
        bb_dump(&bus, "0x48"),
        before,
        "a refused command changed the chip"
    );
}

#[test]
fn missing_bus_error_says_what_to_do() {
    let o = run("udrv", &["i2c", "detect", "-y", "9"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("/dev/i2c-9") && err.contains("i2c-dev"),
        "{err}"
    );
}

#[test]
fn transfer_to_several_addresses_matches_i2ctransfer() {
    let bus = env("UDRV_I2C_PARPORT_BUS");
    let out = same(
        &[
            "i2c", "transfer", "-y", &bus, "w1@0x50", "0x00", "r2@0x51", "r1@0x52",
        ],
        &[
            "i2ctransfer",
            "-y",
            &bus,
            "w1@0x50",
            "0x00",
            "r2@0x51",
            "r1@0x52",
        ],
    );
    assert_eq!(out, "0x00 0x00\n0x00\n");
}

#[test]
fn transfer_to_a_kernel_held_address_needs_force() {
    let bus = env("UDRV_I2C_PARPORT_BUS");
    let sys = format!("/sys/bus/i2c/devices/i2c-{bus}");
    // i2c-core's `dummy` driver binds any address: a kernel-held chip on the plain bus.
    std::fs::write(format!("{sys}/new_device"), "dummy 0x60").expect("new_device");
    let o = run("udrv", &["i2c", "transfer", "-y", &bus, "w1@0x60", "0x00"]);
    let e = stderr(&o);
    let forced = run(
        "udrv",
        &["i2c", "transfer", "-y", "-f", &bus, "w1@0x60", "0x00", "r1"],
    );
    std::fs::write(format!("{sys}/delete_device"), "0x60").expect("delete_device");
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("0x60") && e.contains("dummy"), "{e}");
    assert!(
        e.contains("-f/--force"),
        "the CLI names its option, not the API: {e}"
    );
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(stdout(&forced).trim(), "0x00");
}
