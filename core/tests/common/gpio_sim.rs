//! A gpio-sim chip made and removed through configfs while a guest test runs (a GPIO
//! device that really appears and goes). Shared by core's and the CLI's hot-plug tests
//! (included there by path).

use std::path::{Path, PathBuf};

/// Writes `value` to a sysfs or configfs file; failing, fails the test naming it.
pub fn write(path: impl AsRef<Path>, value: &str) {
    let path = path.as_ref();
    std::fs::write(path, value)
        .unwrap_or_else(|e| panic!("write {value:?} to {}: {e}", path.display()));
}

/// A gpio-sim chip of 4 lines, made live through configfs; removed on drop if still there.
pub struct SimChip {
    dir: PathBuf,
    /// N of its `/dev/gpiochipN`.
    pub number: u32,
}

impl SimChip {
    /// Makes the chip `name` (also its label) and waits for nothing: the kernel has created
    /// the device when `live` is written.
    pub fn create(name: &str) -> SimChip {
        let dir = Path::new("/sys/kernel/config/gpio-sim").join(name);
        std::fs::create_dir_all(dir.join("bank0")).expect("mkdir the gpio-sim chip");
        write(dir.join("bank0/num_lines"), "4");
        write(dir.join("bank0/label"), name);
        write(dir.join("live"), "1");
        let chip = std::fs::read_to_string(dir.join("bank0/chip_name")).unwrap();
        let number = chip
            .trim()
            .strip_prefix("gpiochip")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("chip_name {chip:?}"));
        SimChip { dir, number }
    }

    /// Its device node.
    pub fn node(&self) -> PathBuf {
        PathBuf::from(format!("/dev/gpiochip{}", self.number))
    }

    /// Takes the chip away (as unplugging an expander would).
    pub fn remove(mut self) {
        self.teardown();
    }

    fn teardown(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::write(self.dir.join("live"), "0");
            let _ = std::fs::remove_dir(self.dir.join("bank0"));
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

impl Drop for SimChip {
    fn drop(&mut self) {
        self.teardown();
    }
}
