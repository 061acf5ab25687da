//! The check `detect.rs` and `env_override.rs` share (`mod overridden;` in each).

use udrv_boards::{BoardId, Detected, Source};

/// Fails unless `d` is the board `id`, chosen by the override `from` (`--board` or
/// `UDRV_BOARD`) rather than read from the device tree.
#[track_caller]
pub fn assert_overridden(d: &Detected, id: BoardId, from: &str) {
    assert_eq!(d.id, id);
    assert_eq!(d.source, Source::Override { from: from.into() });
}
