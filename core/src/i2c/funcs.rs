//! Adapter capabilities: the `I2C_FUNCS` mask as typed flags.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not, Sub};

/// What an I2C adapter can do: the kernel's `I2C_FUNC_*` mask, read with the `I2C_FUNCS`
/// ioctl ([`I2cBus::funcs`](super::I2cBus::funcs)).
///
/// A small hand-written flag set rather than the `bitflags` crate: it is some twenty
/// constants, and writing it keeps udrv-core's dependencies to libc and embedded-hal while
/// giving exactly the API needed (kernel names in `Display`, `missing` for error reports).
/// Unknown bits from newer kernels are kept, never dropped.
///
/// ```
/// use udrv_core::i2c::Funcs;
/// let f = Funcs::from_bits(0x0c7f_0000); // what i2c-stub reports
/// assert!(f.contains(Funcs::SMBUS_BYTE_DATA));
/// assert!(!f.contains(Funcs::I2C));
/// assert_eq!(f.missing(Funcs::I2C | Funcs::SMBUS_QUICK), Funcs::I2C);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Funcs(u64);

macro_rules! flags {
    ($($(#[$doc:meta])* $name:ident = $value:expr, $kname:literal;)*) => {
        impl Funcs {
            $($(#[$doc])* pub const $name: Funcs = Funcs($value);)*
            /// Every single flag with its kernel name (`I2C_FUNC_...`), in bit order.
            const NAMED: &'static [(Funcs, &'static str)] = &[$((Funcs($value), $kname)),*];
        }
    };
}

flags! {
    /// `I2C_FUNC_I2C`: plain I2C messages (`I2C_RDWR`).
    I2C = 0x0000_0001, "I2C_FUNC_I2C";
    /// `I2C_FUNC_10BIT_ADDR`: 10-bit target addresses (`I2C_M_TEN`).
    TEN_BIT_ADDR = 0x0000_0002, "I2C_FUNC_10BIT_ADDR";
    /// `I2C_FUNC_PROTOCOL_MANGLING`: `I2C_M_IGNORE_NAK` and friends.
    PROTOCOL_MANGLING = 0x0000_0004, "I2C_FUNC_PROTOCOL_MANGLING";
    /// `I2C_FUNC_SMBUS_PEC`: SMBus Packet Error Checking.
    SMBUS_PEC = 0x0000_0008, "I2C_FUNC_SMBUS_PEC";
    /// `I2C_FUNC_NOSTART`: messages without a repeated start (`I2C_M_NOSTART`).
    NOSTART = 0x0000_0010, "I2C_FUNC_NOSTART";
    /// `I2C_FUNC_SLAVE`: the adapter can act as a target.
    SLAVE = 0x0000_0020, "I2C_FUNC_SLAVE";
    /// `I2C_FUNC_SMBUS_BLOCK_PROC_CALL`.
    SMBUS_BLOCK_PROC_CALL = 0x0000_8000, "I2C_FUNC_SMBUS_BLOCK_PROC_CALL";
    /// `I2C_FUNC_SMBUS_QUICK`.
    SMBUS_QUICK = 0x0001_0000, "I2C_FUNC_SMBUS_QUICK";
    /// `I2C_FUNC_SMBUS_READ_BYTE` (receive byte).
    SMBUS_READ_BYTE = 0x0002_0000, "I2C_FUNC_SMBUS_READ_BYTE";
    /// `I2C_FUNC_SMBUS_WRITE_BYTE` (send byte).
    SMBUS_WRITE_BYTE = 0x0004_0000, "I2C_FUNC_SMBUS_WRITE_BYTE";
    /// `I2C_FUNC_SMBUS_READ_BYTE_DATA`.
    SMBUS_READ_BYTE_DATA = 0x0008_0000, "I2C_FUNC_SMBUS_READ_BYTE_DATA";
    /// `I2C_FUNC_SMBUS_WRITE_BYTE_DATA`.
    SMBUS_WRITE_BYTE_DATA = 0x0010_0000, "I2C_FUNC_SMBUS_WRITE_BYTE_DATA";
    /// `I2C_FUNC_SMBUS_READ_WORD_DATA`.
    SMBUS_READ_WORD_DATA = 0x0020_0000, "I2C_FUNC_SMBUS_READ_WORD_DATA";
    /// `I2C_FUNC_SMBUS_WRITE_WORD_DATA`.
    SMBUS_WRITE_WORD_DATA = 0x0040_0000, "I2C_FUNC_SMBUS_WRITE_WORD_DATA";
    /// `I2C_FUNC_SMBUS_PROC_CALL`.
    SMBUS_PROC_CALL = 0x0080_0000, "I2C_FUNC_SMBUS_PROC_CALL";
    /// `I2C_FUNC_SMBUS_READ_BLOCK_DATA`.
    SMBUS_READ_BLOCK_DATA = 0x0100_0000, "I2C_FUNC_SMBUS_READ_BLOCK_DATA";
    /// `I2C_FUNC_SMBUS_WRITE_BLOCK_DATA`.
    SMBUS_WRITE_BLOCK_DATA = 0x0200_0000, "I2C_FUNC_SMBUS_WRITE_BLOCK_DATA";
    /// `I2C_FUNC_SMBUS_READ_I2C_BLOCK`: I2C-style block read after a command byte.
    SMBUS_READ_I2C_BLOCK = 0x0400_0000, "I2C_FUNC_SMBUS_READ_I2C_BLOCK";
    /// `I2C_FUNC_SMBUS_WRITE_I2C_BLOCK`: I2C-style block write after a command byte.
    SMBUS_WRITE_I2C_BLOCK = 0x0800_0000, "I2C_FUNC_SMBUS_WRITE_I2C_BLOCK";
    /// `I2C_FUNC_SMBUS_HOST_NOTIFY`.
    SMBUS_HOST_NOTIFY = 0x1000_0000, "I2C_FUNC_SMBUS_HOST_NOTIFY";
}

impl Funcs {
    /// `I2C_FUNC_SMBUS_BYTE`: send and receive byte.
    pub const SMBUS_BYTE: Funcs = Funcs(0x0006_0000);
    /// `I2C_FUNC_SMBUS_BYTE_DATA`: read and write byte data.
    pub const SMBUS_BYTE_DATA: Funcs = Funcs(0x0018_0000);
    /// `I2C_FUNC_SMBUS_WORD_DATA`: read and write word data.
    pub const SMBUS_WORD_DATA: Funcs = Funcs(0x0060_0000);
    /// `I2C_FUNC_SMBUS_BLOCK_DATA`: read and write block data.
    pub const SMBUS_BLOCK_DATA: Funcs = Funcs(0x0300_0000);
    /// `I2C_FUNC_SMBUS_I2C_BLOCK`: read and write I2C block data.
    pub const SMBUS_I2C_BLOCK: Funcs = Funcs(0x0c00_0000);

    /// The empty set.
    pub const fn empty() -> Funcs {
        Funcs(0)
    }

    /// The flags of a raw `I2C_FUNCS` mask, unknown bits kept.
    pub const fn from_bits(bits: u64) -> Funcs {
        Funcs(bits)
    }

    /// The raw mask.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Funcs) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: Funcs) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags of `needed` that are not in `self`.
    pub const fn missing(self, needed: Funcs) -> Funcs {
        Funcs(needed.0 & !self.0)
    }

    /// The single known flags that are set, with their kernel names (`I2C_FUNC_...`).
    pub fn iter_names(self) -> impl Iterator<Item = (&'static str, Funcs)> {
        Self::NAMED
            .iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(f, n)| (*n, *f))
    }

    /// The set bits that no known flag names (from a newer kernel).
    pub const fn unknown_bits(self) -> u64 {
        let mut known = 0;
        let mut i = 0;
        while i < Self::NAMED.len() {
            known |= Self::NAMED[i].0 .0;
            i += 1;
        }
        self.0 & !known
    }
}

impl BitOr for Funcs {
    type Output = Funcs;
    fn bitor(self, rhs: Funcs) -> Funcs {
        Funcs(self.0 | rhs.0)
    }
}

impl BitOrAssign for Funcs {
    fn bitor_assign(&mut self, rhs: Funcs) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Funcs {
    type Output = Funcs;
    fn bitand(self, rhs: Funcs) -> Funcs {
        Funcs(self.0 & rhs.0)
    }
}

impl Sub for Funcs {
    type Output = Funcs;
    fn sub(self, rhs: Funcs) -> Funcs {
        Funcs(self.0 & !rhs.0)
    }
}

impl Not for Funcs {
    type Output = Funcs;
    fn not(self) -> Funcs {
        Funcs(!self.0)
    }
}

/// Kernel names joined by ` | `, e.g. `I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK`, then any
/// unknown bits in hex; `none` when empty.
impl fmt::Display for Funcs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, _) in self.iter_names() {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        let unknown = self.unknown_bits();
        if unknown != 0 {
            if !first {
                f.write_str(" | ")?;
            }
            write!(f, "{unknown:#x}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Funcs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Funcs({:#010x}: {self})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The values again, from <linux/i2c.h>, so a wrong constant cannot check itself.
    #[test]
    fn constants_match_linux_i2c_h() {
        assert_eq!(Funcs::I2C.bits(), 0x1);
        assert_eq!(Funcs::TEN_BIT_ADDR.bits(), 0x2);
        assert_eq!(Funcs::SMBUS_PEC.bits(), 0x8);
        assert_eq!(Funcs::SMBUS_BLOCK_PROC_CALL.bits(), 0x8000);
        assert_eq!(Funcs::SMBUS_QUICK.bits(), 0x10000);
        assert_eq!(Funcs::SMBUS_PROC_CALL.bits(), 0x800000);
        assert_eq!(Funcs::SMBUS_READ_I2C_BLOCK.bits(), 0x0400_0000);
        assert_eq!(Funcs::SMBUS_HOST_NOTIFY.bits(), 0x1000_0000);
        assert_eq!(
            Funcs::SMBUS_BYTE,
            Funcs::SMBUS_READ_BYTE | Funcs::SMBUS_WRITE_BYTE
        );
        assert_eq!(
            Funcs::SMBUS_I2C_BLOCK,
            Funcs::SMBUS_READ_I2C_BLOCK | Funcs::SMBUS_WRITE_I2C_BLOCK
        );
    }

    #[test]
    fn decodes_the_i2c_stub_mask() {
        // i2c-stub's default: quick, byte, byte data, word data, I2C block.
        let f = Funcs::from_bits(0x0c7f_0000);
        assert!(f.contains(Funcs::SMBUS_QUICK | Funcs::SMBUS_BYTE | Funcs::SMBUS_WORD_DATA));
        assert!(f.contains(Funcs::SMBUS_I2C_BLOCK));
        assert!(!f.intersects(Funcs::I2C | Funcs::SMBUS_PEC | Funcs::SMBUS_BLOCK_DATA));
        assert_eq!(f.iter_names().count(), 9);
        assert_eq!(f.unknown_bits(), 0);
    }

    #[test]
    fn decodes_the_i2c_parport_mask() {
        // An algo-bit adapter: I2C, 10-bit, mangling, PEC, nostart, all SMBus emulated.
        let f = Funcs::from_bits(0x0fff_801f);
        assert!(f.contains(Funcs::I2C | Funcs::TEN_BIT_ADDR | Funcs::SMBUS_PEC));
        assert!(f.contains(Funcs::SMBUS_BLOCK_PROC_CALL | Funcs::SMBUS_BLOCK_DATA));
        assert!(!f.contains(Funcs::SLAVE));
    }

    #[test]
    fn display_names_flags_and_unknown_bits() {
        assert_eq!(Funcs::empty().to_string(), "none");
        assert_eq!(
            (Funcs::I2C | Funcs::SMBUS_QUICK).to_string(),
            "I2C_FUNC_I2C | I2C_FUNC_SMBUS_QUICK"
        );
        assert_eq!(
            Funcs::from_bits(0x1 | 0x4000_0000).to_string(),
            "I2C_FUNC_I2C | 0x40000000"
        );
        assert_eq!(
            Funcs::from_bits(0x0c7f_0000).missing(Funcs::I2C | Funcs::SMBUS_PEC),
            Funcs::I2C | Funcs::SMBUS_PEC
        );
        assert_eq!(
            (Funcs::SMBUS_BYTE - Funcs::SMBUS_READ_BYTE),
            Funcs::SMBUS_WRITE_BYTE
        );
    }
}
