//! The value types of [`bh1750`](super) (re-exported there).

use super::*;

/// Measurement resolution (datasheet p. 5 and p. 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resolution {
    /// H-resolution mode: 1 lx steps at the default MTreg, typically 120 ms.
    #[default]
    High = 0,
    /// H-resolution mode 2: 0.5 lx steps, typically 120 ms.
    High2 = 1,
    /// L-resolution mode: 4 lx steps, typically 16 ms.
    Low = 2,
}

impl Resolution {
    /// The maximum measurement time in microseconds at measurement time register `mtreg`:
    /// 180 ms (H modes) or 24 ms (L mode) at the default 69 (datasheet p. 2), scaled by
    /// `mtreg / 69` and rounded up.
    pub fn max_time_us(self, mtreg: u8) -> u32 {
        let base: u32 = match self {
            Resolution::High | Resolution::High2 => 180_000,
            Resolution::Low => 24_000,
        };
        (base * u32::from(mtreg)).div_ceil(u32::from(MTREG_DEFAULT))
    }
}
