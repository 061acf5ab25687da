//! The README's pin tables agree with the crate's tables (so the documentation cannot
//! drift from the code).

use udrv_boards::r#virtual::CHIPS;
use udrv_boards::{BeagleBone, Board, BoardId, PinKind, PinSpec, RaspberryPi};

const README: &str = include_str!("../README.md");

/// The rows `| f | name | n | n | name | f |` of the table after `heading`.
fn rows(heading: &str) -> Vec<[String; 6]> {
    let start = README
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    README[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("|---") && !l.starts_with("| function"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            cells
                .try_into()
                .unwrap_or_else(|c| panic!("not 6 cells: {c:?}"))
        })
        .collect()
}

#[test]
fn the_pi_header_table_matches() {
    let pi = RaspberryPi::new(BoardId::Rpi4B).unwrap();
    let rows = rows("## Raspberry Pi: the 40-pin header (J8)");
    assert_eq!(rows.len(), 20);
    for r in &rows {
        for (func, name, num) in [(&r[0], &r[1], &r[2]), (&r[5], &r[4], &r[3])] {
            let n: u32 = num.parse().unwrap();
            let p = pi.header_pin(PinSpec::Physical(n)).unwrap();
            assert_eq!(&p.name, name, "pin {n}");
            let funcs: Vec<&str> = p.functions.iter().map(|f| f.as_ref()).collect();
            assert_eq!(&funcs.join(", "), func, "pin {n}");
        }
    }
}

#[test]
fn the_beaglebone_tables_match() {
    let bb = BeagleBone::new(BoardId::BeagleBoneBlack).unwrap();
    for h in ["P9", "P8"] {
        let rows = rows(&format!("\n{h}:\n"));
        assert_eq!(rows.len(), 23, "{h}");
        for r in &rows {
            for (func, name, num) in [(&r[0], &r[1], &r[2]), (&r[5], &r[4], &r[3])] {
                let pin = format!("{h}_{num}");
                let p = bb.header_pin(PinSpec::Name(&pin)).unwrap();
                let shown = match (&p.kind, &p.gpio) {
                    (PinKind::Gpio, Some(g)) => {
                        format!("{} ({})", p.functions[0], g.legacy_number.unwrap())
                    }
                    _ => p.functions[0].to_string(),
                };
                assert_eq!(&shown, name, "{pin}");
                match &p.reserved {
                    Some(r) => assert!(func.contains(&format!("*{}*", r.by)), "{pin}: {func}"),
                    None => assert!(!func.contains('*'), "{pin}: {func}"),
                }
            }
        }
    }
}

#[test]
fn the_virtual_board_table_matches() {
    let start = README
        .find("## The virtual board")
        .expect("a virtual board section");
    let rows: Vec<Vec<String>> = README[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| chip |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), CHIPS.len(), "one row per chip");
    for (r, c) in rows.iter().zip(CHIPS) {
        let address = c.address().map_or("—".to_string(), |a| format!("{a:#04x}"));
        assert_eq!(
            r,
            &[
                format!("`{}`", c.chip()),
                format!("`{}`", c.bus()),
                address,
                c.what().to_string()
            ],
            "{}",
            c.spec()
        );
    }
}
