//! Unit tests of the i2c-tools syntax parsers.

use super::*;

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

#[test]
fn numbers_in_c_notation() {
    assert_eq!(parse_number("0x1f").unwrap(), 31);
    assert_eq!(parse_number("017").unwrap(), 15);
    assert_eq!(parse_number("0b101").unwrap(), 5);
    assert_eq!(parse_number("42").unwrap(), 42);
    assert_eq!(parse_number("0").unwrap(), 0);
    assert!(parse_number("0x").is_err());
    assert!(parse_number("zz").is_err());
}

#[test]
fn addresses_reserved_and_out_of_range() {
    assert_eq!(parse_address("0x48", false).unwrap(), 0x48);
    let e = parse_address("0x80", false).unwrap_err().0;
    assert!(e.contains("out of range"), "{e}");
    let e = parse_address("0x03", false).unwrap_err().0;
    assert!(
        e.contains("reserved") && e.contains("-a/--all-addresses"),
        "{e}"
    );
    assert_eq!(parse_address("0x03", true).unwrap(), 3);
    assert!(parse_address("0x78", false).is_err());
    assert_eq!(parse_address("0x77", false).unwrap(), 0x77);
}

fn set(s: &str) -> Result<SetSpec, SyntaxError> {
    parse_set(&args(s), None)
}

#[test]
fn set_reads_i2cset_trailing_modes() {
    // i2cset 4.3: `... 0x01 0x60 w` is a word write, one value alone a byte write.
    let s = set("0x6000 w").unwrap();
    assert_eq!((s.mode, s.pec, s.values), (Mode::Word, false, vec![0x6000]));
    let s = set("0x60").unwrap();
    assert_eq!((s.mode, s.values), (Mode::Byte, vec![0x60]));
    let s = set("0x60 bp").unwrap();
    assert_eq!((s.mode, s.pec), (Mode::Byte, true));
    let s = set("1 2 3 i").unwrap();
    assert_eq!((s.mode, s.values), (Mode::I2cBlock, vec![1, 2, 3]));
    let s = set("1 sp").unwrap();
    assert_eq!((s.mode, s.pec, s.values), (Mode::SmbusBlock, true, vec![1]));
    // No value, or `c`/`cp`: a short write.
    assert_eq!(set("").unwrap().mode, Mode::Plain);
    let s = set("cp").unwrap();
    assert_eq!((s.mode, s.pec, s.values), (Mode::Plain, true, vec![]));
    // udrv's --mode instead of the trailing letter.
    let s = parse_set(&args("1 2"), Some("s")).unwrap();
    assert_eq!((s.mode, s.values), (Mode::SmbusBlock, vec![1, 2]));
}

#[test]
fn set_refuses_what_i2cset_refuses() {
    for (a, want) in [
        ("0x60 0x61 b", "exactly one value"),
        ("0x60 0x61", "is not a mode"),
        ("0x10000 w", "out of range"),
        ("0x100 b", "out of range"),
        ("0x60 ip", "PEC"),
        ("0x60 x", "is not a mode"),
        ("0x60 c", "takes no value"),
        ("w", "not a number"),
    ] {
        let e = set(a).unwrap_err().0;
        assert!(e.contains(want), "{a}: {e}");
    }
    let e = set(&format!("{}s", "1 ".repeat(33))).unwrap_err().0;
    assert!(e.contains("at most 32"), "{e}");
    let e = parse_set(&args("0x60 w"), Some("b")).unwrap_err().0;
    assert!(e.contains("two modes"), "{e}");
}

#[test]
fn modes_masks_and_ranges() {
    assert_eq!(parse_mode("W", "bwWsic").unwrap(), (Mode::EvenWord, false));
    assert_eq!(parse_mode("cp", "bwc").unwrap(), (Mode::Plain, true));
    assert!(parse_mode("Wp", "bwWsic").unwrap_err().0.contains("PEC"));
    assert!(parse_mode("W", "bwsic")
        .unwrap_err()
        .0
        .contains("not one of"));
    assert!(parse_mode("p", "bwsic").is_err());
    assert!(parse_mode("bb", "bwsic").is_err());
    assert_eq!(parse_mask("0x07", Mode::Byte).unwrap(), 7);
    assert_eq!(parse_mask("0xff00", Mode::Word).unwrap(), 0xff00);
    assert!(parse_mask("0x100", Mode::Byte)
        .unwrap_err()
        .0
        .contains("out of range"));
    assert!(parse_mask("0", Mode::Byte)
        .unwrap_err()
        .0
        .contains("mask 0"));
    assert!(parse_mask("1", Mode::I2cBlock)
        .unwrap_err()
        .0
        .contains("block"));
    assert_eq!(parse_range("0x10-0x2f").unwrap(), (0x10, 0x2f));
    assert!(parse_range("0x20-0x10")
        .unwrap_err()
        .0
        .contains("ends before"));
    assert!(parse_range("0x20").unwrap_err().0.contains("FIRST-LAST"));
}

#[test]
fn transfer_write_then_read_inherits_address() {
    let m = parse_transfer(&args("w2@0x50 0x00 0x10 r4"), false).unwrap();
    assert_eq!(
        m,
        vec![
            Msg {
                dir: Dir::Write,
                addr: 0x50,
                len: 2,
                data: vec![0x00, 0x10]
            },
            Msg {
                dir: Dir::Read,
                addr: 0x50,
                len: 4,
                data: vec![]
            },
        ]
    );
}

#[test]
fn transfer_fill_suffixes() {
    let m = parse_transfer(&args("w4@0x50 0x10+"), false).unwrap();
    assert_eq!(m[0].data, vec![0x10, 0x11, 0x12, 0x13]);
    let m = parse_transfer(&args("w3@0x50 0x00 0xff="), false).unwrap();
    assert_eq!(m[0].data, vec![0x00, 0xff, 0xff]);
    let m = parse_transfer(&args("w3@0x50 0x01-"), false).unwrap();
    assert_eq!(m[0].data, vec![0x01, 0x00, 0xff]);
    // i2c-tools 4.3: 0x01 -> (0x01 ^ 27) + 13 = 0x27 -> rotated left: 0x4e; then
    // (0x4e ^ 27) + 13 = 0x62 -> 0xc4.
    let m = parse_transfer(&args("w3@0x50 0x01p"), false).unwrap();
    assert_eq!(m[0].data, vec![0x01, 0x4e, 0xc4]);
}

#[test]
fn transfer_errors_are_specific() {
    let e = parse_transfer(&args("r4"), false).unwrap_err().0;
    assert!(e.contains("no address"), "{e}");
    let e = parse_transfer(&args("w2@0x50 0x00"), false).unwrap_err().0;
    assert!(e.contains("needs 2 data bytes, found 1"), "{e}");
    let e = parse_transfer(&args("w1@0x50 0x100"), false).unwrap_err().0;
    assert!(e.contains("out of range"), "{e}");
    let e = parse_transfer(&args("x1@0x50"), false).unwrap_err().0;
    assert!(e.contains("expected a message"), "{e}");
    let e = parse_transfer(&args("r70000@0x50"), false).unwrap_err().0;
    assert!(e.contains("too long"), "{e}");
    let e = parse_transfer(&args("r1@0x80"), false).unwrap_err().0;
    assert!(e.contains("out of range"), "{e}");
    assert!(parse_transfer(&[], false).is_err());
}
