//! The value types of [`pca954x`](super) (re-exported there).

/// Which switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// PCA9546A: 4 channels.
    Pca9546,
    /// PCA9548A: 8 channels.
    Pca9548,
}

impl Variant {
    /// Number of channels.
    pub const fn channels(self) -> u8 {
        match self {
            Variant::Pca9546 => 4,
            Variant::Pca9548 => 8,
        }
    }
}
