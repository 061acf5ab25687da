//! Where the kernel's files are (`/dev`, `/sys`, `/proc`, `/boot`), with the root
//! injectable for tests, and finding a bus's device node by what sysfs says about it.

use std::path::{Path, PathBuf};

/// The file-system root the board reads `/proc/device-tree`, `/sys`, `/dev` and `/boot`
/// under: `/` on a real board, a fixture folder in tests.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Root {
    path: PathBuf,
}

impl Default for Root {
    fn default() -> Self {
        Root::system()
    }
}

impl Root {
    /// The real root, `/`.
    pub fn system() -> Root {
        Root {
            path: PathBuf::from("/"),
        }
    }

    /// A fixture root: `path/proc/device-tree/model`, `path/sys/class/...`, `path/dev/...`.
    pub fn new(path: impl Into<PathBuf>) -> Root {
        Root { path: path.into() }
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An absolute system path (`/dev/i2c-1`) under this root.
    pub fn join(&self, abs: impl AsRef<Path>) -> PathBuf {
        udrv_core::sysfs::under(&self.path, abs)
    }

    /// Whether the system path exists under this root.
    pub fn exists(&self, abs: impl AsRef<Path>) -> bool {
        self.join(abs).exists()
    }

    /// The device nodes `/dev/gpiochipN` under this root, in numeric order.
    pub fn gpio_chips(&self) -> Vec<PathBuf> {
        let dir = self.join("/dev");
        let mut v: Vec<(u32, PathBuf)> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let n = e
                    .file_name()
                    .to_str()?
                    .strip_prefix("gpiochip")?
                    .parse()
                    .ok()?;
                Some((n, e.path()))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, p)| p).collect()
    }

    /// The canonical sysfs path of the device behind `/dev/gpiochipN` (its
    /// `/sys/bus/gpio/devices/gpiochipN` link resolved), e.g.
    /// `/sys/devices/platform/ocp/.../4804c000.gpio/gpiochip1`.
    pub fn gpio_chip_device(&self, chip_name: &str) -> Option<PathBuf> {
        std::fs::canonicalize(self.join(format!("/sys/bus/gpio/devices/{chip_name}"))).ok()
    }
}

/// How to recognise one bus controller in sysfs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BusMatch {
    /// The sysfs class folder (`/sys/class/i2c-dev`, `/sys/class/spidev`,
    /// `/sys/class/tty`).
    pub class: &'static str,
    /// The class entry and device node name when numbered as usual (`i2c-1`,
    /// `spidev0.0`, `ttyAMA0`).
    pub usual: &'static str,
    /// Exact adapter names (`name` attribute; I2C only), e.g. `bcm2835 (i2c@7e804000)`.
    pub names: &'static [&'static str],
    /// Suffixes of a folder in the device's canonical sysfs path naming the controller,
    /// e.g. `804000.i2c` matches the Pi 3's `3f804000.i2c` and the Pi 4's
    /// `fe804000.i2c`.
    pub device_suffixes: &'static [&'static str],
    /// The usual entry is taken when nothing matches only if its name (I2C) or device
    /// path (others) contains this (empty: never).
    pub fallback_family: &'static str,
    /// For a class whose entries are per chip select (`spidevB.C`): the entry name must
    /// end with this (`.0`), empty otherwise.
    pub entry_suffix: &'static str,
    /// The entry name must start with this (`i2c-`, `spidev`, `tty`).
    pub entry_prefix: &'static str,
}

/// How a bus was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum FoundBy {
    /// By the adapter's name or the controller's sysfs device path (renumbering-proof).
    Sysfs,
    /// By the usual number, its name/path only loosely checked.
    Number,
}

/// A class entry that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// The entry name (`i2c-3`), also the `/dev` node name.
    pub entry: String,
    /// The adapter name (I2C; empty otherwise).
    pub name: String,
    /// How.
    pub by: FoundBy,
}

impl Root {
    /// Finds the class entry of a controller.
    pub(crate) fn find_bus(&self, m: &BusMatch) -> Option<Found> {
        let dir = self.join(m.class);
        let mut entries: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n.starts_with(m.entry_prefix) && n.ends_with(m.entry_suffix))
            .collect();
        entries.sort_by_key(|e| natural_key(e));
        let mut usual = None;
        for e in &entries {
            let path = dir.join(e);
            let name = std::fs::read_to_string(path.join("name"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            let dev = std::fs::canonicalize(&path).unwrap_or_default();
            let by_name = !name.is_empty() && m.names.contains(&name.as_str());
            let by_path = dev.components().any(|c| {
                c.as_os_str()
                    .to_str()
                    .is_some_and(|s| m.device_suffixes.iter().any(|suf| s.ends_with(suf)))
            });
            if by_name || by_path {
                return Some(Found {
                    entry: e.clone(),
                    name,
                    by: FoundBy::Sysfs,
                });
            }
            if e == m.usual && !m.fallback_family.is_empty() {
                let hay = if m.class.ends_with("i2c-dev") {
                    name.clone()
                } else {
                    dev.to_string_lossy().into_owned()
                };
                if hay.contains(m.fallback_family) {
                    usual = Some(Found {
                        entry: e.clone(),
                        name,
                        by: FoundBy::Number,
                    });
                }
            }
        }
        usual
    }
}

/// Sort key putting `i2c-2` before `i2c-10` (by the trailing number).
fn natural_key(s: &str) -> (String, u64) {
    let head = s.trim_end_matches(|c: char| c.is_ascii_digit());
    (head.to_string(), s[head.len()..].parse().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_strips_the_leading_slash() {
        let r = Root::new("/tmp/fx");
        assert_eq!(r.join("/dev/i2c-1"), PathBuf::from("/tmp/fx/dev/i2c-1"));
        assert_eq!(
            Root::system().join("/dev/i2c-1"),
            PathBuf::from("/dev/i2c-1")
        );
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["i2c-10", "i2c-2", "i2c-1"];
        v.sort_by_key(|e| natural_key(e));
        assert_eq!(v, ["i2c-1", "i2c-2", "i2c-10"]);
    }
}
