//! Where a device comes from: its parent device in sysfs.

use std::path::Path;

/// Where a device comes from: its parent device in sysfs (the subsystem, the driver and
/// the `name` attribute of the device above it).
///
/// Read it when an event arrives ([`Parent::of`] with [`Event::sysfs_path`]); it is best
/// effort, the device may be gone already.
///
/// ```no_run
/// use udrv_core::hotplug::{Monitor, Parent};
///
/// # fn main() -> Result<(), udrv_core::hotplug::Error> {
/// let mut mon = Monitor::open()?.with_subsystem("tty");
/// let ev = mon.next()?;
/// if let Some(p) = Parent::of(&ev.sysfs_path()) {
///     // `/dev/ttyUSB0` from usb-serial, driver ftdi_sio
///     println!("{:?} from {:?}, driver {:?}", ev.devname, p.subsystem, p.driver);
/// }
/// # Ok(())
/// # }
/// ```
///
/// [`Event::sysfs_path`]: super::Event::sysfs_path
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parent {
    /// The parent's subsystem (`usb-serial`, `platform`, `i2c`, `usb`).
    pub subsystem: Option<String>,
    /// The parent's driver (`ftdi_sio`, `gpio-sim`, `cdc_acm`).
    pub driver: Option<String>,
    /// The parent's `name` attribute (I2C adapters: `SMBus stub driver`).
    pub name: Option<String>,
}

impl Parent {
    /// Looks up the parent of the device at `sysfs` (`/sys/devices/...`): its `device`
    /// link (class devices), else the folder above it (bus devices). `None` when nothing
    /// is known of it (no subsystem, driver or name there, or the device is gone).
    pub fn of(sysfs: &Path) -> Option<Parent> {
        let dir = std::fs::canonicalize(sysfs.join("device"))
            .ok()
            .or_else(|| sysfs.parent().map(Path::to_path_buf))?;
        let link_name = |l: &str| {
            std::fs::read_link(dir.join(l))
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        };
        let p = Parent {
            subsystem: link_name("subsystem"),
            driver: link_name("driver"),
            name: std::fs::read_to_string(dir.join("name"))
                .ok()
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
        };
        (p != Parent::default()).then_some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_is_read_from_sysfs_like_folders() {
        // A fake sysfs: a class device with a `device` link to its parent.
        let root = std::env::temp_dir().join(format!("udrv-hotplug-parent-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let parent = root.join("devices/usb1/1-1:1.0/ttyUSB0");
        let class = parent.join("tty/ttyUSB0");
        std::fs::create_dir_all(&class).unwrap();
        std::fs::create_dir_all(root.join("bus/usb-serial/drivers/ftdi_sio")).unwrap();
        std::os::unix::fs::symlink(root.join("bus/usb-serial"), parent.join("subsystem")).unwrap();
        std::os::unix::fs::symlink(
            root.join("bus/usb-serial/drivers/ftdi_sio"),
            parent.join("driver"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../../ttyUSB0", class.join("device")).unwrap();
        let class_parent = Parent::of(&class);
        // A bus device: the folder above; a name attribute.
        let adapter = root.join("devices/i2c-3");
        std::fs::create_dir_all(adapter.join("3-002c")).unwrap();
        std::fs::write(adapter.join("name"), "SMBus stub driver\n").unwrap();
        let bus_parent = Parent::of(&adapter.join("3-002c"));
        let nothing = Parent::of(&root.join("devices/nothing/here"));
        std::fs::remove_dir_all(&root).unwrap();

        assert_eq!(
            class_parent,
            Some(Parent {
                subsystem: Some("usb-serial".into()),
                driver: Some("ftdi_sio".into()),
                name: None,
            })
        );
        assert_eq!(
            bus_parent,
            Some(Parent {
                subsystem: None,
                driver: None,
                name: Some("SMBus stub driver".into()),
            })
        );
        // Nothing known: None.
        assert_eq!(nothing, None);
    }
}
