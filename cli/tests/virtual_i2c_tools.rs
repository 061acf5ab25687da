//! The i2c-tools spellings of `udrv i2c` on the virtual board's simulated bus (the guest
//! test `guest_i2c_tools.rs` compares them with the real i2c-tools on real kernel buses):
//! i2cset's trailing MODE, `-m MASK` and `-r`, i2cget's `i LENGTH`, i2cdump's modes `W`
//! and `c`, i2cdetect's `-l`, `-a` everywhere, i2ctransfer's `-v` and `p` fill; and the
//! JSON forms (`detect -F` as `list`, `dump -r` only the range, numbers as numbers).
//!
//! The MCP23017 at 0x20 is the chip written to: its registers are plain bytes
//! (IOCON.BANK = 0: A/B pairs, auto-increment), IODIRA/IODIRB reset to 0xff, the others to
//! 0x00. Every `udrv` run starts a new board, so a run's writes are checked within it
//! (`-r`, `-m`).

mod common;

use common::{udrv_virtual as udrv, udrv_virtual_ok as ok};
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = ok(&all);
    assert_eq!(out.lines().count(), 1, "one JSON document: {out}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{all:?}: {e}: {out}"))
}

/// Exit status and standard error.
fn refused(args: &[&str]) -> (i32, String) {
    let o = udrv(args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn set_takes_the_mode_last_and_reads_back_with_r() {
    // i2cset -y 1 0x20 0x02 0x1234 w: a word write, IPOLA = 0x34, IPOLB = 0x12.
    assert_eq!(
        ok(&["i2c", "set", "-y", "-r", "1", "0x20", "0x02", "0x1234", "w"]),
        "Value 0x1234 written, readback matched\n"
    );
    assert_eq!(
        ok(&["i2c", "set", "-y", "-r", "1", "0x20", "0x02", "0xa5", "b"]),
        "Value 0xa5 written, readback matched\n"
    );
    // Several values and a trailing i: an I2C block, read back whole.
    assert_eq!(
        ok(&["i2c", "set", "-y", "-r", "1", "0x20", "0x02", "0x11", "0x22", "i"]),
        "Values 0x11 0x22 written, readback matched\n"
    );
    // udrv's old option is now --mode.
    assert_eq!(
        ok(&["i2c", "set", "-y", "-r", "--mode", "w", "1", "0x20", "0x02", "0xbeef"]),
        "Value 0xbeef written, readback matched\n"
    );
    // Without -r, nothing on standard output (as i2cset).
    assert_eq!(ok(&["i2c", "set", "-y", "1", "0x20", "0x02", "0x01"]), "");
}

#[test]
fn set_m_is_a_mask_over_the_old_value() {
    // IODIRA resets to 0xff: writing 0x00 under mask 0x0f leaves the high nibble.
    assert_eq!(
        ok(&["i2c", "set", "-y", "-r", "-m", "0x0f", "1", "0x20", "0x00", "0x00"]),
        "Value 0xf0 written, readback matched\n"
    );
    // A word under a mask: IODIRA/IODIRB = 0xffff, only the low byte's low nibble cleared.
    assert_eq!(
        ok(&["i2c", "set", "-y", "-r", "-m", "0x000f", "1", "0x20", "0x00", "0x0000", "w"]),
        "Value 0xfff0 written, readback matched\n"
    );
    let v = json(&[
        "i2c", "set", "-y", "-r", "-m", "0xf0", "1", "0x20", "0x00", "0x5a",
    ]);
    assert_eq!(v["value"], 0x5f, "{v}");
    assert_eq!(v["readback"], 0x5f, "{v}");
    assert_eq!(v["matched"], true, "{v}");
    // The mode letter where the mask goes names the change.
    let (code, err) = refused(&["i2c", "set", "-y", "-m", "w", "1", "0x20", "0x02", "0x1"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("-m is the mask") && err.contains("--mode w"),
        "{err}"
    );
    let (code, err) = refused(&["i2c", "set", "-y", "-m", "1", "1", "0x20", "0x02", "1", "i"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not with block mode i"), "{err}");
}

#[test]
fn get_reads_an_i2c_block_of_the_given_length() {
    assert_eq!(
        ok(&["i2c", "get", "-y", "1", "0x20", "0x00", "i", "4"]),
        "0xff 0xff 0x00 0x00\n"
    );
    assert_eq!(
        ok(&["i2c", "get", "-y", "1", "0x20", "0x00", "i"])
            .split(' ')
            .count(),
        32
    );
    let v = json(&["i2c", "get", "-y", "1", "0x20", "0x00", "i", "3"]);
    assert_eq!(v["values"], serde_json::json!([0xff, 0xff, 0x00]), "{v}");
    let (code, err) = refused(&["i2c", "get", "-y", "1", "0x20", "0x00", "b", "4"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("mode i"), "{err}");
    let (code, err) = refused(&["i2c", "get", "-y", "1", "0x20", "0x00", "i", "33"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn dump_modes_w_even_and_consecutive() {
    let bytes = ok(&["i2c", "dump", "-y", "-r", "0x00-0x15", "1", "0x20"]);
    // W reads words at even registers and shows their bytes: the same table.
    assert_eq!(
        ok(&["i2c", "dump", "-y", "-r", "0x00-0x15", "1", "0x20", "W"]),
        bytes
    );
    // c writes the start address, then receives bytes: the MCP23017 auto-increments.
    assert_eq!(
        ok(&["i2c", "dump", "-y", "-r", "0x00-0x15", "1", "0x20", "c"]),
        bytes
    );
    let shifted = ok(&["i2c", "dump", "-y", "-r", "0x01-0x03", "1", "0x20", "c"]);
    assert_eq!(
        shifted.lines().nth(1).unwrap(),
        format!(
            "00:    ff 00 00 {}    ...{}",
            "   ".repeat(12),
            " ".repeat(12)
        )
    );
    let (code, err) = refused(&["i2c", "dump", "-y", "-r", "0x01-0x10", "1", "0x20", "W"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("even"), "{err}");
}

#[test]
fn detect_l_lists_the_buses() {
    assert_eq!(ok(&["i2c", "detect", "-l"]), ok(&["i2c", "list"]));
    assert_eq!(json(&["i2c", "detect", "-l"]), json(&["i2c", "list"]));
}

#[test]
fn a_allows_the_reserved_addresses() {
    for args in [
        &["i2c", "get", "-y", "1", "0x05", "0x00"][..],
        &["i2c", "set", "-y", "1", "0x05", "0x00", "0x01"],
        &["i2c", "dump", "-y", "-r", "0-1", "1", "0x05"],
        &["i2c", "transfer", "-y", "1", "w1@0x05", "0x00"],
    ] {
        let (code, err) = refused(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("reserved") && err.contains("-a"), "{err}");
        // With -a the address is used: nothing answers there, an I/O error (status 1).
        let mut with_a = args.to_vec();
        with_a.insert(2, "-a");
        let (code, err) = refused(&with_a);
        assert_eq!(code, 1, "{with_a:?}: {err}");
        assert!(err.contains("0x05") && err.contains("acknowledge"), "{err}");
    }
}

#[test]
fn transfer_v_prints_every_message_and_p_fills_as_i2c_tools() {
    // i2ctransfer's `p`: data = rotate_left((data ^ 27) + 13, 1), from the seed.
    assert_eq!(
        ok(&["i2c", "transfer", "-y", "-v", "1", "w5@0x50", "0x00", "0x10", "0x01p", "r0"]),
        "msg 0: addr 0x50, write, len 5, buf 0x00 0x10 0x01 0x4e 0xc4\n\
         msg 1: addr 0x50, read, len 0\n"
    );
    // Without -v, only the reads' bytes; an empty read prints nothing.
    let one = ok(&[
        "i2c", "transfer", "-y", "1", "w2@0x50", "0x00", "0x10", "r1",
    ]);
    assert!(one.starts_with("0x") && one.lines().count() == 1, "{one}");
    assert_eq!(
        ok(&["i2c", "transfer", "-y", "1", "w2@0x50", "0x00", "0x10", "r0", "r1"]),
        one
    );
}

#[test]
fn json_detect_f_is_a_list_row_and_dump_r_is_the_range() {
    let list = json(&["i2c", "list"]);
    assert_eq!(json(&["i2c", "detect", "-F", "1"]), list[0]);
    assert_eq!(json(&["i2c", "detect", "-F", "i2c_arm"]), list[0]);
    let v = json(&["i2c", "dump", "-y", "-r", "0x01-0x03", "1", "0x20"]);
    assert_eq!(v["values"], serde_json::json!([0xff, 0x00, 0x00]), "{v}");
    assert_eq!(
        (v["first"].clone(), v["last"].clone()),
        (1.into(), 3.into())
    );
    let v = json(&["i2c", "dump", "-y", "-r", "0x00-0x02", "1", "0x20", "w"]);
    assert_eq!(
        v["values"],
        serde_json::json!([0xffff, 0x00ff, 0x0000]),
        "{v}"
    );
}

/// Every number in the JSON of each i2c command is a JSON number: no hex strings.
#[test]
fn json_numbers_are_numbers() {
    fn walk(v: &Value, at: &str) {
        match v {
            Value::String(s) => assert!(
                s.parse::<f64>().is_err() && !s.starts_with("0x"),
                "{at}: {s:?} is a number written as a string"
            ),
            Value::Array(a) => a.iter().for_each(|x| walk(x, at)),
            Value::Object(o) => o.iter().for_each(|(k, x)| walk(x, &format!("{at}.{k}"))),
            _ => {}
        }
    }
    for args in [
        &["i2c", "list"][..],
        &["i2c", "detect", "-y", "1"],
        &["i2c", "detect", "-F", "1"],
        &["i2c", "get", "-y", "1", "0x20", "0x00", "w"],
        &["i2c", "get", "-y", "1", "0x20", "0x00", "i", "2"],
        &["i2c", "set", "-y", "-r", "1", "0x20", "0x02", "0x1234", "w"],
        &["i2c", "dump", "-y", "-r", "0-7", "1", "0x20"],
        &["i2c", "transfer", "-y", "1", "w1@0x20", "0x00", "r2"],
    ] {
        let v = json(args);
        walk(&v, &args.join(" "));
    }
    let v = json(&["i2c", "get", "-y", "1", "0x20", "0x00", "w"]);
    assert!(
        v["value"].is_u64() && v["address"] == 0x20 && v["register"] == 0,
        "{v}"
    );
}
