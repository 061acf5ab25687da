//! Text output in the conventions of i2c-tools (and busybox's copy of them), so people and
//! scripts used to `i2cdetect`/`i2cdump` read `udrv i2c` output without surprise. The guest
//! tests compare these byte for byte with busybox's tools on the same bus.

use std::fmt::Write;

/// What a probe found at one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Not probed (outside the requested range).
    Skipped,
    /// No acknowledge.
    Absent,
    /// A chip answered.
    Present,
    /// Held by a kernel driver (`UU`): not probed.
    Busy,
}

/// The `i2cdetect` grid for addresses 0x00..=0x7f; `probe(addr)` gives each cell.
pub fn detect_grid(probe: impl Fn(u16) -> Probe) -> String {
    let mut s = String::from("     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f\n");
    for row in (0..0x80u16).step_by(16) {
        let _ = write!(s, "{row:02x}: ");
        for a in row..row + 16 {
            match probe(a) {
                Probe::Skipped => s.push_str("   "),
                Probe::Absent => s.push_str("-- "),
                Probe::Busy => s.push_str("UU "),
                Probe::Present => {
                    let _ = write!(s, "{a:02x} ");
                }
            }
        }
        s.push('\n');
    }
    s
}

/// The ASCII column character i2c-tools prints for a byte.
fn ascii(b: u8) -> char {
    match b {
        0x00 | 0xff => '.',
        0x20..=0x7e => b as char,
        _ => '?',
    }
}

/// The `i2cdump` byte-mode table. `cells[r]` is `Some(Ok(v))` for a value read,
/// `Some(Err(()))` for a failed read (`XX`), `None` outside the requested range; only the
/// rows from the first to the last requested register are printed.
pub fn dump_bytes(cells: &[Option<Result<u8, ()>>; 256]) -> String {
    let mut s =
        String::from("     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n");
    let first = cells.iter().position(Option::is_some);
    let last = cells.iter().rposition(Option::is_some);
    let (Some(first), Some(last)) = (first, last) else {
        return s;
    };
    for row in (first & !0xf..=last).step_by(16) {
        let _ = write!(s, "{row:02x}: ");
        for c in &cells[row..row + 16] {
            match c {
                None => s.push_str("   "),
                Some(Ok(v)) => {
                    let _ = write!(s, "{v:02x} ");
                }
                Some(Err(())) => s.push_str("XX "),
            }
        }
        s.push_str("   ");
        for c in &cells[row..row + 16] {
            s.push(match c {
                None => ' ',
                Some(Ok(v)) => ascii(*v),
                Some(Err(())) => 'X',
            });
        }
        s.push('\n');
    }
    s
}

/// The `i2cdump` word-mode table (`w`): 128 rows of 8 words, register step 8.
pub fn dump_words(cells: &[Option<Result<u16, ()>>; 256]) -> String {
    let mut s = String::from("     0,8  1,9  2,a  3,b  4,c  5,d  6,e  7,f\n");
    let first = cells.iter().position(Option::is_some);
    let last = cells.iter().rposition(Option::is_some);
    let (Some(first), Some(last)) = (first, last) else {
        return s;
    };
    for row in (first & !0x7..=last).step_by(8) {
        let _ = write!(s, "{row:02x}: ");
        for c in &cells[row..row + 8] {
            match c {
                None => s.push_str("     "),
                Some(Ok(v)) => {
                    let _ = write!(s, "{v:04x} ");
                }
                Some(Err(())) => s.push_str("XXXX "),
            }
        }
        s.push('\n');
    }
    s
}

/// The `i2cdetect -F` listing: one line per capability, `yes`/`no`.
pub fn funcs(bus: u32, caps: &[(&str, bool)]) -> String {
    let mut s = format!("Functionalities implemented by bus #{bus}\n");
    for (name, yes) in caps {
        let _ = writeln!(s, "{name:<32} {}", if *yes { "yes" } else { "no" });
    }
    s
}

/// One line of `i2cdetect -l`: bus, type (`i2c`/`smbus`), adapter name, description.
pub fn list_line(bus: u32, plain_i2c: bool, name: &str) -> String {
    let (ty, desc) = if plain_i2c {
        ("i2c", "I2C adapter")
    } else {
        ("smbus", "SMBus adapter")
    };
    format!("i2c-{bus}\t{ty:<10}\t{name:<32}\t{desc}")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected text captured from busybox 1.35's i2cdetect/i2cdump in the test guest.
    #[test]
    fn detect_grid_matches_i2cdetect() {
        let g = detect_grid(|a| match a {
            0x00..=0x02 | 0x78.. => Probe::Skipped, // busybox's range, 0x03-0x77
            0x48 | 0x50 | 0x52 => Probe::Present,
            0x51 => Probe::Busy,
            _ => Probe::Absent,
        });
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(
            lines[0],
            "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f"
        );
        assert_eq!(
            lines[1],
            "00:          -- -- -- -- -- -- -- -- -- -- -- -- -- "
        );
        assert_eq!(
            lines[5],
            "40: -- -- -- -- -- -- -- -- 48 -- -- -- -- -- -- -- "
        );
        assert_eq!(
            lines[6],
            "50: 50 UU 52 -- -- -- -- -- -- -- -- -- -- -- -- -- "
        );
        assert_eq!(
            lines[8],
            "70: -- -- -- -- -- -- -- --                         "
        );
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn dump_matches_i2cdump_with_range() {
        let mut cells = [None; 256];
        for (r, c) in cells.iter_mut().enumerate().take(0x20) {
            *c = Some(Ok(match r {
                1 => 0xab,
                2 => 0x41,
                0x10 => 0x34,
                _ => 0,
            }));
        }
        let d = dump_bytes(&cells);
        assert_eq!(
            d,
            "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n\
             00: 00 ab 41 00 00 00 00 00 00 00 00 00 00 00 00 00    .?A.............\n\
             10: 34 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    4...............\n"
        );
    }

    #[test]
    fn dump_marks_failed_reads_and_partial_rows() {
        let mut cells = [None; 256];
        cells[0x12] = Some(Ok(b'A'));
        cells[0x13] = Some(Err(()));
        let d = dump_bytes(&cells);
        let row = d.lines().nth(1).unwrap();
        assert_eq!(
            row,
            format!(
                "10:       41 XX {}   {}",
                "   ".repeat(12),
                "  AX            "
            )
        );
    }

    #[test]
    fn word_dump_header_and_rows() {
        let mut cells = [None; 256];
        for (r, c) in cells.iter_mut().enumerate() {
            *c = Some(Ok(if r == 1 { 0x00ab } else { 0 }));
        }
        let d = dump_words(&cells);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines[0], "     0,8  1,9  2,a  3,b  4,c  5,d  6,e  7,f");
        assert_eq!(lines[1], "00: 0000 00ab 0000 0000 0000 0000 0000 0000 ");
        assert_eq!(lines.len(), 33);
    }

    #[test]
    fn funcs_and_list_lines() {
        let f = funcs(0, &[("I2C", false), ("SMBus quick command", true)]);
        assert_eq!(
            f,
            "Functionalities implemented by bus #0\n\
             I2C                              no\n\
             SMBus quick command              yes\n"
        );
        assert_eq!(
            list_line(1, true, "Parallel port adapter"),
            "i2c-1\ti2c       \tParallel port adapter           \tI2C adapter"
        );
        assert_eq!(
            list_line(0, false, "SMBus stub driver"),
            "i2c-0\tsmbus     \tSMBus stub driver               \tSMBus adapter"
        );
    }
}
