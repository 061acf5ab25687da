//! The value types of [`mcp3x08`](super) (re-exported there).

/// Which chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// 10-bit.
    Mcp3008,
    /// 12-bit.
    Mcp3208,
}

impl Variant {
    /// Resolution in bits.
    pub fn bits(self) -> u8 {
        match self {
            Variant::Mcp3008 => 10,
            Variant::Mcp3208 => 12,
        }
    }
}

/// The input to convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// CHn against AGND (0..=7).
    Single(u8),
    /// Pseudo-differential: `plus` against `minus`, an adjacent pair (0/1, 1/0, 2/3, ...).
    Diff {
        /// IN+ channel.
        plus: u8,
        /// IN− channel.
        minus: u8,
    },
}

impl Input {
    /// The SGL/DIFF bit and D2..D0 (datasheet table 5-2 / 5-1).
    pub fn config_bits(self) -> Option<(bool, u8)> {
        match self {
            Input::Single(ch) if ch < 8 => Some((true, ch)),
            Input::Diff { plus, minus }
                if plus < 8 && minus < 8 && plus / 2 == minus / 2 && plus != minus =>
            {
                Some((false, plus))
            }
            _ => None,
        }
    }
}
