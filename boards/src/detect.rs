//! Which board is this: `/proc/device-tree/{model,compatible}`, or an override.
//!
//! The override comes first: `--board NAME` in the CLI (pass it to [`detect_with`]), else
//! the environment variable `UDRV_BOARD`. Without one, the device tree's `compatible`
//! list is matched exactly (it names the board, e.g. `raspberrypi,4-model-b`), then the
//! `model` string by prefix (the firmware writes e.g. `Raspberry Pi 4 Model B Rev 1.4`).

use std::path::Path;

use crate::error::{Error, Result};
pub use crate::id::{BoardId, Family};
use crate::sysfs::Root;

/// The environment variable that overrides detection (`UDRV_BOARD=rpi4b`).
pub const ENV_BOARD: &str = "UDRV_BOARD";

impl std::str::FromStr for BoardId {
    type Err = Error;
    fn from_str(s: &str) -> Result<BoardId> {
        BoardId::from_name(s).ok_or_else(|| Error::UnknownBoardName {
            name: s.to_string(),
        })
    }
}

/// Where the board identity came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    /// An explicit choice (`--board`, or the `UDRV_BOARD` variable).
    Override {
        /// `--board` or `UDRV_BOARD`.
        from: String,
    },
    /// The device tree.
    DeviceTree,
}

/// The result of detection.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Detected {
    /// The board.
    pub id: BoardId,
    /// The device tree's `model`, when there is one (even with an override).
    pub model: Option<String>,
    /// The device tree's `compatible` list (empty without a device tree).
    pub compatible: Vec<String>,
    /// How the board was chosen.
    pub source: Source,
}

/// Detects the board: `UDRV_BOARD` if set, else the device tree under `/`.
pub fn detect() -> Result<Detected> {
    detect_with(&Root::system(), None)
}

/// Detects the board from the device tree under `root` (a folder holding
/// `proc/device-tree/`), or from `override_name` (the CLI's `--board`) when given, or
/// from `UDRV_BOARD` when set.
pub fn detect_with(root: &Root, override_name: Option<&str>) -> Result<Detected> {
    let env = std::env::var(ENV_BOARD)
        .ok()
        .filter(|s| !s.trim().is_empty());
    let (model, compatible) = read_device_tree(root.path());
    let chosen = match (override_name, env.as_deref()) {
        (Some(n), _) => Some((n.to_string(), "--board")),
        (None, Some(n)) => Some((n.to_string(), ENV_BOARD)),
        (None, None) => None,
    };
    if let Some((name, from)) = chosen {
        let id = BoardId::from_name(&name).ok_or(Error::UnknownBoardName { name })?;
        return Ok(Detected {
            id,
            model,
            compatible,
            source: Source::Override {
                from: from.to_string(),
            },
        });
    }
    from_device_tree(model, compatible)
}

/// The board the device tree's `model` and `compatible` name, or the error that names
/// what they hold.
fn from_device_tree(model: Option<String>, compatible: Vec<String>) -> Result<Detected> {
    match BoardId::identify(model.as_deref(), &compatible) {
        Some(id) => Ok(Detected {
            id,
            model,
            compatible,
            source: Source::DeviceTree,
        }),
        None => Err(Error::UnknownBoard { model, compatible }),
    }
}

/// Detects from the device tree under `root` only (no override, no environment).
pub fn detect_in(root: impl AsRef<Path>) -> Result<Detected> {
    let (model, compatible) = read_device_tree(root.as_ref());
    from_device_tree(model, compatible)
}

/// `model` and `compatible` under `root/proc/device-tree` (absent files read as
/// nothing).
fn read_device_tree(root: &Path) -> (Option<String>, Vec<String>) {
    let dt = root.join("proc/device-tree");
    let model = read_bounded(&dt.join("model"))
        .map(|b| nul_list(&b).into_iter().next().unwrap_or_default())
        .filter(|m| !m.is_empty());
    let compatible = read_bounded(&dt.join("compatible"))
        .map(|b| nul_list(&b))
        .unwrap_or_default();
    (model, compatible)
}

/// The first [`DT_PROPERTY_MAX`] bytes of a device-tree property file: real `model` and
/// `compatible` properties are a few hundred bytes; a bogus huge file (a wrong root, a
/// fixture gone wrong) must not be read whole nor end up in an error message.
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(DT_PROPERTY_MAX)
        .read_to_end(&mut buf)
        .ok()?;
    Some(buf)
}

/// How much of a device-tree property detection reads.
const DT_PROPERTY_MAX: u64 = 4096;

/// Splits a device-tree string list (NUL-separated, NUL-terminated).
pub(crate) fn nul_list(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .map(|s| String::from_utf8_lossy(s).trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_lists_split_and_drop_the_terminator() {
        assert_eq!(
            nul_list(b"raspberrypi,4-model-b\0brcm,bcm2711\0"),
            ["raspberrypi,4-model-b", "brcm,bcm2711"]
        );
        assert_eq!(nul_list(b"no terminator"), ["no terminator"]);
        assert!(nul_list(b"\0").is_empty());
    }
}
