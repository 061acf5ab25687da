//! Bus definitions shared by the board tables, and their resolution through sysfs.

use std::path::PathBuf;

use crate::board::{BusKind, BusStatus, I2cRef, SpiRef, UartRef};
use crate::error::{Error, Result};
use crate::sysfs::{BusMatch, Found, FoundBy, Root};

/// A bus as a board's table describes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BusDef {
    /// I2C, SPI or UART.
    pub kind: BusKind,
    /// The name users ask for (`i2c_arm`, `spi0.0`, `primary`).
    pub name: &'static str,
    /// Other accepted names (`i2c1`).
    pub aliases: &'static [&'static str],
    /// The controller (`I2C1`, `SPI0 CE0`).
    pub controller: &'static str,
    /// Its header pins.
    pub pins: &'static str,
    /// How sysfs shows it.
    pub matcher: BusMatch,
    /// A udev symlink naming it (`/dev/serial0`), checked first.
    pub symlink: Option<&'static str>,
    /// The line that enables it. A BeagleBone overlay line names its U-Boot slot as `N`
    /// (`uboot_overlay_addrN=BB-I2C1-00A0.dtbo`): [`status`] and [`statuses`] fill in a
    /// free one.
    pub enable_line: Option<&'static str>,
    /// Which file that line goes in.
    pub enable_file: EnableFile,
    /// More advice.
    pub note: Option<&'static str>,
    /// For SPI: (bus, chip select) as the board documents them.
    pub spi: Option<(u32, u32)>,
}

/// The file an enable line goes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnableFile {
    /// Raspberry Pi `config.txt` (`/boot/firmware/config.txt`, or `/boot/config.txt` on
    /// releases before Bookworm).
    ConfigTxt,
    /// BeagleBone `/boot/uEnv.txt`.
    UEnv,
    /// No file (a command, or enabled by default).
    None,
}

impl BusDef {
    /// Whether `name` asks for this bus.
    pub fn answers_to(&self, name: &str) -> bool {
        let n = name.trim().to_ascii_lowercase();
        self.name == n || self.aliases.contains(&n.as_str())
    }
}

/// Where the bus is now, if enabled.
pub(crate) fn locate(root: &Root, def: &BusDef) -> Option<(PathBuf, Found)> {
    if let Some(link) = def.symlink {
        if let Ok(target) = std::fs::canonicalize(root.join(link)) {
            let entry = target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            return Some((
                root.join(link),
                Found {
                    entry,
                    name: String::new(),
                    by: FoundBy::Sysfs,
                },
            ));
        }
    }
    let found = root.find_bus(&def.matcher)?;
    Some((root.join(format!("/dev/{}", found.entry)), found))
}

/// The config file for enable lines on this root.
fn enable_file(root: &Root, f: EnableFile) -> Option<String> {
    match f {
        EnableFile::ConfigTxt => Some(
            if root.exists("/boot/config.txt") && !root.exists("/boot/firmware") {
                "/boot/config.txt"
            } else {
                "/boot/firmware/config.txt"
            }
            .to_string(),
        ),
        EnableFile::UEnv => Some("/boot/uEnv.txt".to_string()),
        EnableFile::None => None,
    }
}

/// The key of a BeagleBone overlay line whose slot is still to be chosen.
const OVERLAY_ANY_SLOT: &str = "uboot_overlay_addrN";

/// The slots U-Boot's BeagleBone images leave for custom overlays
/// (`uboot_overlay_addr4`-`7`; 0-3 are for capes that carry an EEPROM).
const CUSTOM_SLOTS: std::ops::RangeInclusive<u32> = 4..=7;

/// The overlay slots `uboot_overlay_addrK=` lines of `file` use (commented-out ones are
/// free).
fn used_overlay_slots(root: &Root, file: &str) -> Vec<u32> {
    let Ok(text) = std::fs::read_to_string(root.join(file)) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, _)| k.trim().strip_prefix("uboot_overlay_addr")?.parse().ok())
        .collect()
}

/// The statuses of buses listed together (`board info`): each BeagleBone overlay still to
/// be placed gets its own free slot (one overlay, one slot: SPI0's chip selects share
/// theirs), so that following several suggestions keeps them all.
pub(crate) fn statuses(root: &Root, defs: &[BusDef]) -> Vec<BusStatus> {
    let mut v: Vec<BusStatus> = defs.iter().map(|d| raw_status(root, d)).collect();
    number_overlay_slots(root, &mut v);
    v
}

/// The bus's status (its overlay, if any, in the first free slot).
pub(crate) fn status(root: &Root, def: &BusDef) -> BusStatus {
    let mut v = [raw_status(root, def)];
    number_overlay_slots(root, &mut v);
    let [s] = v;
    s
}

/// Puts each disabled bus's overlay line in a free slot (4-7, not used in the file),
/// one slot per overlay; when none is left, the line keeps `N` and the note says so.
fn number_overlay_slots(root: &Root, statuses: &mut [BusStatus]) {
    let mut given: Vec<(String, u32)> = Vec::new();
    let mut free: Vec<u32> = Vec::new();
    let mut read = false;
    for s in statuses.iter_mut() {
        let Some(overlay) = s
            .enable_line
            .as_deref()
            .and_then(|l| l.strip_prefix(OVERLAY_ANY_SLOT))
            .and_then(|l| l.strip_prefix('='))
            .map(str::to_string)
        else {
            continue;
        };
        if s.enabled {
            continue;
        }
        if !read {
            let used = s
                .enable_file
                .as_deref()
                .map_or_else(Vec::new, |f| used_overlay_slots(root, f));
            free = CUSTOM_SLOTS.filter(|n| !used.contains(n)).collect();
            free.reverse();
            read = true;
        }
        let slot = match given.iter().find(|(o, _)| *o == overlay) {
            Some((_, n)) => Some(*n),
            None => free.pop(),
        };
        match slot {
            Some(n) => {
                given.push((overlay.clone(), n));
                s.enable_line = Some(format!("uboot_overlay_addr{n}={overlay}"));
            }
            None => {
                let full = "no custom overlay slot is left (uboot_overlay_addr4-7 are taken \
                            by /boot/uEnv.txt or the overlays above): N is the slot of one you \
                            do not need";
                s.note = Some(match s.note.take() {
                    Some(n) => format!("{full}; {n}"),
                    None => full.to_string(),
                });
            }
        }
    }
}

/// The bus's status, its overlay slot (if any) not chosen yet.
fn raw_status(root: &Root, def: &BusDef) -> BusStatus {
    let found = locate(root, def);
    let mut note = def.note.map(str::to_string);
    if found.is_none() && def.kind == BusKind::I2c {
        // The adapter may exist without i2c-dev loaded.
        let bus_match = BusMatch {
            class: "/sys/bus/i2c/devices",
            ..def.matcher
        };
        if root.find_bus(&bus_match).is_some() {
            note = Some(
                "the adapter exists but i2c-dev is not loaded: sudo modprobe i2c-dev \
                 (and add i2c-dev to /etc/modules)"
                    .to_string(),
            );
        }
    }
    let file = def
        .enable_line
        .and_then(|_| enable_file(root, def.enable_file));
    let mut enable_line = def.enable_line.map(str::to_string);
    if let (None, Some(line), Some(f)) = (&found, def.enable_line, &file) {
        if let Some(has) = config_has(root, f, line) {
            note = Some(format!(
                "{f} already has `{has}`: reboot if you just added it, and check that it \
                 is not under a [section] for another model"
            ));
            // An overlay already in a slot stays there.
            if line.starts_with(OVERLAY_ANY_SLOT) {
                enable_line = Some(has);
            }
        }
    }
    BusStatus {
        kind: def.kind,
        name: def.name.to_string(),
        controller: def.controller.to_string(),
        pins: def.pins.to_string(),
        enabled: found.is_some(),
        device: found
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| PathBuf::from(format!("/dev/{}", def.matcher.usual))),
        found_by: found.as_ref().map(|(_, f)| f.by),
        enable_line,
        enable_file: file,
        note,
    }
}

/// The line of the config file under `root` that is `line`, not commented out. Overlay
/// lines match by `.dtbo` name in any slot (older BeagleBone images write
/// `uboot_overlay_addr4=/lib/firmware/BB-SPIDEV0-00A0.dtbo`).
fn config_has(root: &Root, file: &str, line: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join(file)).ok()?;
    let dtbo = line.split_once('=').filter(|(_, v)| v.ends_with(".dtbo"));
    let same_key = |k: &str, lk: &str| {
        lk == k
            || (k == OVERLAY_ANY_SLOT
                && lk
                    .strip_prefix("uboot_overlay_addr")
                    .is_some_and(|n| n.parse::<u32>().is_ok()))
    };
    text.lines()
        .map(|l| l.trim())
        .filter(|l| !l.starts_with('#'))
        .find(|l| {
            *l == line
                || dtbo.is_some_and(|(k, v)| {
                    l.split_once('=')
                        .is_some_and(|(lk, lv)| same_key(k, lk.trim()) && lv.trim().ends_with(v))
                })
        })
        .map(str::to_string)
}

fn unknown(kind: BusKind, name: &str, defs: &[BusDef]) -> Error {
    Error::UnknownBus {
        kind: kind.as_str(),
        name: name.to_string(),
        available: defs
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.name.to_string())
            .collect(),
    }
}

/// An I2C bus by role.
pub(crate) fn i2c(root: &Root, defs: &[BusDef], role: &str) -> Result<I2cRef> {
    let def = defs
        .iter()
        .find(|d| d.kind == BusKind::I2c && d.answers_to(role))
        .ok_or_else(|| unknown(BusKind::I2c, role, defs))?;
    match locate(root, def) {
        Some((path, f)) => Ok(I2cRef {
            role: def.name.to_string(),
            controller: def.controller.to_string(),
            number: f.entry.strip_prefix("i2c-").and_then(|n| n.parse().ok()),
            path,
            adapter_name: f.name,
            found_by: f.by,
        }),
        None => Err(status(root, def).disabled_error()),
    }
}

/// An SPI device by bus and chip select.
pub(crate) fn spi(root: &Root, defs: &[BusDef], bus: u32, cs: u32) -> Result<SpiRef> {
    let def = defs
        .iter()
        .find(|d| d.spi == Some((bus, cs)))
        .ok_or_else(|| unknown(BusKind::Spi, &format!("spi{bus}.{cs}"), defs))?;
    match locate(root, def) {
        Some((path, f)) => Ok(SpiRef {
            bus,
            cs,
            controller: def.controller.to_string(),
            path,
            found_by: f.by,
        }),
        None => Err(status(root, def).disabled_error()),
    }
}

/// A UART by role.
pub(crate) fn uart(root: &Root, defs: &[BusDef], role: &str) -> Result<UartRef> {
    let def = defs
        .iter()
        .find(|d| d.kind == BusKind::Uart && d.answers_to(role))
        .ok_or_else(|| unknown(BusKind::Uart, role, defs))?;
    match locate(root, def) {
        Some((path, f)) => Ok(UartRef {
            role: def.name.to_string(),
            controller: def.controller.to_string(),
            path,
            found_by: f.by,
        }),
        None => Err(status(root, def).disabled_error()),
    }
}
