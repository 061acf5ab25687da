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
    dump_table(cells, true)
}

/// The `i2cdump` SMBus block table (mode `s`) of the `len` bytes a block read returned:
/// as [`dump_bytes`], except that i2cdump ends the ASCII column of the last row at the
/// block's end (no padding).
pub fn dump_block(block: &[u8]) -> String {
    let mut cells = [None; 256];
    for (c, b) in cells.iter_mut().zip(block) {
        *c = Some(Ok(*b));
    }
    dump_table(&cells, false)
}

fn dump_table(cells: &[Option<Result<u8, ()>>; 256], pad_ascii: bool) -> String {
    let header = "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n";
    dump_rows(header, cells, 16, |s, row, last| {
        s.push_str("   ");
        let end = if pad_ascii {
            row + 16
        } else {
            (last + 1).min(row + 16)
        };
        for c in &cells[row..end] {
            s.push(match c {
                None => ' ',
                Some(Ok(v)) => ascii(*v),
                Some(Err(())) => 'X',
            });
        }
    })
}

/// The `i2cdump` word-mode table (`w`): 128 rows of 8 words, register step 8.
pub fn dump_words(cells: &[Option<Result<u16, ()>>; 256]) -> String {
    let header = "     0,8  1,9  2,a  3,b  4,c  5,d  6,e  7,f\n";
    dump_rows(header, cells, 8, |_, _, _| {})
}

/// An `i2cdump` table: `header`, then the rows of `step` cells from the first to the last
/// requested one, each `row: ` and its cells in hex (`X`s for a failed read, blanks outside
/// the range), then what `tail(s, row, last)` adds (the ASCII column).
fn dump_rows<T: std::fmt::LowerHex>(
    header: &str,
    cells: &[Option<Result<T, ()>>; 256],
    step: usize,
    tail: impl Fn(&mut String, usize, usize),
) -> String {
    let digits = 2 * std::mem::size_of::<T>();
    let mut s = String::from(header);
    let first = cells.iter().position(Option::is_some);
    let last = cells.iter().rposition(Option::is_some);
    let (Some(first), Some(last)) = (first, last) else {
        return s;
    };
    for row in (first & !(step - 1)..=last).step_by(step) {
        let _ = write!(s, "{row:02x}: ");
        for c in &cells[row..row + step] {
            match c {
                None => s.push_str(&" ".repeat(digits + 1)),
                Some(Ok(v)) => {
                    let _ = write!(s, "{v:0digits$x} ");
                }
                Some(Err(())) => {
                    s.push_str(&"X".repeat(digits));
                    s.push(' ');
                }
            }
        }
        tail(&mut s, row, last);
        s.push('\n');
    }
    s
}

/// The `i2cdetect -F` listing of i2c-tools 4.3: the device node, then one line per
/// capability, `yes`/`no`.
pub fn funcs(path: &str, caps: &[(&str, bool)]) -> String {
    let mut s = format!("Functionalities implemented by {path}:\n");
    for (name, yes) in caps {
        let _ = writeln!(s, "{name:<32} {}", if *yes { "yes" } else { "no" });
    }
    s
}

/// What kind of adapter a bus is, as `i2cdetect -l` classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterKind {
    /// Plain I2C (`I2C_FUNC_I2C`).
    I2c,
    /// SMBus only (byte, byte data or word data, no plain I2C).
    Smbus,
    /// An adapter whose name starts with `ISA `.
    Isa,
    /// None of those capabilities.
    Dummy,
    /// The node could not be opened or queried.
    Unknown,
}

impl AdapterKind {
    /// Classifies an adapter from its name and capabilities (`None`: not readable), in
    /// i2c-tools' order.
    pub fn of(name: &str, funcs: Option<udrv_core::i2c::Funcs>) -> AdapterKind {
        use udrv_core::i2c::Funcs;
        if name.starts_with("ISA ") {
            return AdapterKind::Isa;
        }
        match funcs {
            None => AdapterKind::Unknown,
            Some(f) if f.contains(Funcs::I2C) => AdapterKind::I2c,
            Some(f)
                if f.intersects(
                    Funcs::SMBUS_BYTE | Funcs::SMBUS_BYTE_DATA | Funcs::SMBUS_WORD_DATA,
                ) =>
            {
                AdapterKind::Smbus
            }
            Some(_) => AdapterKind::Dummy,
        }
    }

    /// The type column of `i2cdetect -l` (also the `type` of `udrv --json i2c list`).
    pub fn name(self) -> &'static str {
        match self {
            AdapterKind::I2c => "i2c",
            AdapterKind::Smbus => "smbus",
            AdapterKind::Isa => "isa",
            AdapterKind::Dummy => "dummy",
            AdapterKind::Unknown => "unknown",
        }
    }

    /// The description column of `i2cdetect -l`.
    pub fn description(self) -> &'static str {
        match self {
            AdapterKind::I2c => "I2C adapter",
            AdapterKind::Smbus => "SMBus adapter",
            AdapterKind::Isa => "ISA bus",
            AdapterKind::Dummy => "Dummy bus",
            AdapterKind::Unknown => "N/A",
        }
    }
}

/// One line of `i2cdetect -l`: bus, type, adapter name, description.
pub fn list_line(bus: u32, kind: AdapterKind, name: &str) -> String {
    format!(
        "i2c-{bus}\t{:<10}\t{name:<32}\t{}",
        kind.name(),
        kind.description()
    )
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
        // i2c-tools 4.3's `i2cdetect -F` (busybox prints "bus #0" and lower-case names).
        let f = funcs(
            "/dev/i2c-0",
            &[("I2C", false), ("SMBus Quick Command", true)],
        );
        assert_eq!(
            f,
            "Functionalities implemented by /dev/i2c-0:\n\
             I2C                              no\n\
             SMBus Quick Command              yes\n"
        );
        assert_eq!(
            list_line(1, AdapterKind::I2c, "Parallel port adapter"),
            "i2c-1\ti2c       \tParallel port adapter           \tI2C adapter"
        );
        assert_eq!(
            list_line(0, AdapterKind::Smbus, "SMBus stub driver"),
            "i2c-0\tsmbus     \tSMBus stub driver               \tSMBus adapter"
        );
        assert_eq!(
            list_line(2, AdapterKind::Unknown, "x"),
            format!("i2c-2\tunknown   \tx{}\tN/A", " ".repeat(31))
        );
    }

    #[test]
    fn adapter_kinds_as_i2cdetect_classifies_them() {
        use udrv_core::i2c::Funcs;
        let stub = Some(Funcs::from_bits(0x0f7f_0000));
        assert_eq!(
            AdapterKind::of("SMBus stub driver", stub),
            AdapterKind::Smbus
        );
        assert_eq!(
            AdapterKind::of("bit-bang", Some(Funcs::I2C)),
            AdapterKind::I2c
        );
        assert_eq!(AdapterKind::of("ISA main adapter", stub), AdapterKind::Isa);
        assert_eq!(
            AdapterKind::of("x", Some(Funcs::SMBUS_QUICK)),
            AdapterKind::Dummy
        );
        assert_eq!(AdapterKind::of("x", None), AdapterKind::Unknown);
    }

    #[test]
    fn block_dump_ends_its_ascii_column_at_the_block() {
        // i2cdump 4.3, mode s, a 3-byte block: the hex cells are padded, the ASCII is not.
        let d = dump_block(&[0x41, 0x00, 0x42]);
        assert_eq!(
            d.lines().nth(1).unwrap(),
            format!("00: 41 00 42 {}   A.B", "   ".repeat(13))
        );
        assert_eq!(d.lines().count(), 2);
    }
}
