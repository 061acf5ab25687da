//! Reading and writing sysfs attributes of kernel-driven devices: what [`crate::hwmon`],
//! [`crate::iio`], [`crate::w1`] and [`crate::pwm`] share. Every failure is an
//! [`AttrError`] naming the subsystem, the device, the attribute's path and what to do.
//!
//! Paths are read under a root (`/` on a real system, a folder laid out like `/sys` in
//! tests: [`SysRoot`]).

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error::describe;

/// The absolute system path `abs` (`/sys/class/hwmon`) under the folder `root`: `root`
/// joined with `abs` less its leading `/`.
pub fn under(root: &Path, abs: impl AsRef<Path>) -> PathBuf {
    let rel: PathBuf = abs
        .as_ref()
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
        .collect();
    root.join(rel)
}

/// The file-system root sysfs is read under: `/`, or a fixture folder holding `sys/...`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SysRoot {
    path: PathBuf,
}

impl Default for SysRoot {
    fn default() -> Self {
        SysRoot::system()
    }
}

impl SysRoot {
    /// The real root, `/`.
    pub fn system() -> SysRoot {
        SysRoot {
            path: PathBuf::from("/"),
        }
    }

    /// A fixture root: `path/sys/class/hwmon/...`.
    pub fn new(path: impl Into<PathBuf>) -> SysRoot {
        SysRoot { path: path.into() }
    }

    /// `/`, or the folder `UDRV_ROOT` names (tests; another system's files).
    pub fn from_env() -> SysRoot {
        match std::env::var_os("UDRV_ROOT") {
            Some(p) => SysRoot::new(p),
            None => SysRoot::system(),
        }
    }

    /// The root folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An absolute system path (`/sys/class/hwmon`) under this root.
    pub fn join(&self, abs: impl AsRef<Path>) -> PathBuf {
        under(&self.path, abs)
    }

    /// The entries of a system directory under this root, sorted by name (none when it
    /// does not exist: no device of that kind).
    pub(crate) fn entries(&self, abs: &str) -> Vec<(String, PathBuf)> {
        let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(self.join(abs))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.path())))
            .collect();
        v.sort_by_key(|a| natural(&a.0));
        v
    }
}

/// A sort key that orders `hwmon2` before `hwmon10`.
fn natural(s: &str) -> (String, u64, String) {
    let start = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    let end = s[start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(s.len(), |e| start + e);
    let n = s[start..end].parse().unwrap_or(0);
    (s[..start].to_string(), n, s[end..].to_string())
}

/// What went wrong with one attribute.
#[derive(Debug)]
#[non_exhaustive]
pub enum Problem {
    /// The device is there but has no such attribute (the driver does not provide it, or
    /// the channel is not exported).
    Missing,
    /// The device's folder is gone: removed or unbound while it was read.
    Gone,
    /// The kernel refused the read or write (`EIO` from the sensor, `EINVAL` for a value
    /// the driver does not take, `EBUSY`, ...).
    Io(io::Error),
    /// The file holds something other than what the kernel's documentation defines.
    Garbage {
        /// What it holds (at most 40 characters).
        text: String,
        /// What it should hold.
        expected: &'static str,
    },
    /// A value that cannot be used, though well formed (a scale of 0).
    Invalid(String),
}

/// A failure to read or write an attribute of a kernel-driven device.
#[derive(Debug)]
pub struct AttrError {
    /// The subsystem: `hwmon`, `iio`, `w1`, `pwm`.
    pub subsystem: &'static str,
    /// The device (`hwmon2 (lm75)`, `iio:device0 (bmp280)`, `28-00000a1b2c3d`,
    /// `pwmchip0/pwm1`).
    pub device: String,
    /// The attribute's path.
    pub path: PathBuf,
    /// Whether it was being written.
    pub write: bool,
    /// What went wrong.
    pub problem: Problem,
}

impl AttrError {
    /// The OS error number, when the kernel refused.
    pub fn errno(&self) -> Option<i32> {
        match &self.problem {
            Problem::Io(e) => e.raw_os_error(),
            _ => None,
        }
    }
}

impl fmt::Display for AttrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.write { "write" } else { "read" };
        let name = self
            .path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        write!(
            f,
            "{}: {}: cannot {verb} {name} ({}): ",
            self.subsystem,
            self.device,
            self.path.display()
        )?;
        match &self.problem {
            Problem::Missing => write!(
                f,
                "the device has no such attribute (its driver does not provide it; list \
                 what it has with `ls {}`)",
                self.path
                    .parent()
                    .map_or(String::new(), |p| p.display().to_string())
            ),
            Problem::Gone => write!(
                f,
                "the device is gone (removed, or its driver unbound, while it was read); \
                 list the devices again"
            ),
            Problem::Io(e) => {
                write!(f, "{}", describe(e))?;
                match e.raw_os_error() {
                    Some(libc::EACCES) | Some(libc::EPERM) => write!(
                        f,
                        "; permission denied: run as root, or give your user access to \
                         the attribute with a udev rule"
                    ),
                    Some(libc::EBUSY) => write!(
                        f,
                        "; the kernel says it is busy: another user (a driver, another \
                         program, the fan control) holds it"
                    ),
                    Some(libc::EINVAL) if self.write => write!(
                        f,
                        "; the driver does not take this value (out of its range)"
                    ),
                    Some(libc::ENODEV) | Some(libc::ENXIO) => {
                        write!(f, "; the device has gone away or does not answer")
                    }
                    Some(libc::EIO) | Some(libc::EREMOTEIO) | Some(libc::ETIMEDOUT) => {
                        write!(f, "; the sensor did not answer: check its wiring and power")
                    }
                    _ => Ok(()),
                }
            }
            Problem::Garbage { text, expected } => {
                write!(f, "it holds `{text}`, not {expected}")
            }
            Problem::Invalid(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for AttrError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Implements, for a module's `Error` enum with an `Attr(AttrError)` variant,
/// `std::error::Error` (the [`AttrError`] is the source of `Attr`; the other variants
/// have none) and `From<AttrError>` (into `Attr`): what iio, pwm, w1 and hwmon share.
macro_rules! attr_error_impls {
    ($error:ident) => {
        impl std::error::Error for $error {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                match self {
                    $error::Attr(e) => Some(e),
                    _ => None,
                }
            }
        }

        impl From<$crate::sysfs::AttrError> for $error {
            fn from(e: $crate::sysfs::AttrError) -> $error {
                $error::Attr(e)
            }
        }
    };
}
pub(crate) use attr_error_impls;

/// A device's folder and how errors name it.
#[derive(Clone, Debug)]
pub(crate) struct Dev {
    pub(crate) subsystem: &'static str,
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
}

impl Dev {
    pub(crate) fn err(&self, path: PathBuf, write: bool, problem: Problem) -> AttrError {
        AttrError {
            subsystem: self.subsystem,
            device: self.name.clone(),
            path,
            write,
            problem,
        }
    }

    fn io(&self, path: PathBuf, write: bool, e: io::Error) -> AttrError {
        let problem =
            if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENODEV) {
                if self.dir.exists() {
                    if e.kind() == io::ErrorKind::NotFound {
                        Problem::Missing
                    } else {
                        Problem::Io(e)
                    }
                } else {
                    Problem::Gone
                }
            } else {
                Problem::Io(e)
            };
        self.err(path, write, problem)
    }

    /// Whether the attribute exists.
    pub(crate) fn has(&self, attr: &str) -> bool {
        self.dir.join(attr).exists()
    }

    /// The attribute's text, without the trailing newline.
    pub(crate) fn read(&self, attr: &str) -> Result<String, AttrError> {
        let path = self.dir.join(attr);
        match std::fs::read(&path) {
            Ok(b) => match String::from_utf8(b) {
                Ok(s) => Ok(s.trim_end_matches(['\n', '\0']).to_string()),
                Err(e) => Err(self.err(
                    path,
                    false,
                    Problem::Garbage {
                        text: short(&String::from_utf8_lossy(e.as_bytes())),
                        expected: "text",
                    },
                )),
            },
            Err(e) => Err(self.io(path, false, e)),
        }
    }

    /// The attribute's text, `None` when it does not exist (an optional attribute).
    pub(crate) fn read_opt(&self, attr: &str) -> Result<Option<String>, AttrError> {
        match self.read(attr) {
            Ok(s) => Ok(Some(s)),
            Err(AttrError {
                problem: Problem::Missing,
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The attribute as a number (`expected` says which, for the error).
    pub(crate) fn parse<T: std::str::FromStr>(
        &self,
        attr: &str,
        expected: &'static str,
    ) -> Result<T, AttrError> {
        let text = self.read(attr)?;
        self.parse_text(attr, &text, expected)
    }

    /// `text`, read from `attr`, as a number.
    pub(crate) fn parse_text<T: std::str::FromStr>(
        &self,
        attr: &str,
        text: &str,
        expected: &'static str,
    ) -> Result<T, AttrError> {
        text.trim().parse().map_err(|_| {
            self.err(
                self.dir.join(attr),
                false,
                Problem::Garbage {
                    text: short(text),
                    expected,
                },
            )
        })
    }

    /// Writes `value` to the attribute (one `write`, as `echo` does).
    pub(crate) fn write(&self, attr: &str, value: &str) -> Result<(), AttrError> {
        use std::io::Write;
        let path = self.dir.join(attr);
        let r = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .and_then(|mut f| f.write_all(value.as_bytes()));
        r.map_err(|e| self.io(path, true, e))
    }
}

/// At most 40 characters of `s`, for messages.
fn short(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        t.push('…');
    }
    t.replace('\n', "\\n")
}

/// The I2C client a sysfs device hangs from: the `N-00AA` folder among the canonical
/// path's ancestors (`/sys/devices/.../i2c-1/1-0048/hwmon/hwmon2` → bus 1, address
/// 0x48), as the kernel names I2C clients (`i2c_dev_set_name`, drivers/i2c/i2c-core-base.c).
pub fn i2c_client_of(path: &Path) -> Option<(u32, u16)> {
    let real = std::fs::canonicalize(path).ok()?;
    real.ancestors()
        .find_map(|p| parse_i2c_client(p.file_name()?.to_str()?))
}

/// `1-0048` → (1, 0x48).
pub fn parse_i2c_client(name: &str) -> Option<(u32, u16)> {
    let (bus, addr) = name.split_once('-')?;
    if addr.len() != 4 || !addr.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if bus.is_empty() || !bus.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((bus.parse().ok()?, u16::from_str_radix(addr, 16).ok()?))
}

/// The name of the driver bound to a device folder (its `driver` link), if any.
pub(crate) fn driver_of(dir: &Path) -> Option<String> {
    let link = std::fs::read_link(dir.join("driver")).ok()?;
    Some(link.file_name()?.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i2c_client_names_parse() {
        assert_eq!(parse_i2c_client("1-0048"), Some((1, 0x48)));
        assert_eq!(parse_i2c_client("12-0076"), Some((12, 0x76)));
        assert_eq!(parse_i2c_client("i2c-1"), None);
        assert_eq!(parse_i2c_client("1-48"), None);
        assert_eq!(parse_i2c_client("w1_bus_master1"), None);
    }

    #[test]
    fn names_sort_by_number() {
        let mut v = vec!["hwmon10", "hwmon2", "hwmon1"];
        v.sort_by_key(|s| natural(s));
        assert_eq!(v, ["hwmon1", "hwmon2", "hwmon10"]);
    }
}
