//! Property tests of what the board crate parses from the running system: the device
//! tree's `model` and `compatible` (random bytes, NULs, invalid UTF-8, a known string
//! hidden among garbage, huge files) and sysfs class entries (random entry names and
//! adapter names). Detection never panics, finds a board only from a matching string,
//! reads a bounded amount of a bogus huge file and keeps its error message short.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use proptest::prelude::*;
use tempfile::TempDir;
use udrv_boards::{detect_in, Board, BoardId, Error, FoundBy, RaspberryPi, Root};

const COMPATIBLE: &[&str] = &[
    "raspberrypi,3-model-b",
    "raspberrypi,4-model-b",
    "raspberrypi,5-model-b",
    "ti,am335x-bone-black",
    "ti,am335x-bone-green",
];

/// A fresh fixture root with an empty `proc/device-tree`, removed when dropped (pass, fail
/// or shrink); `close()` it at the end to check that removal worked.
fn scratch() -> TempDir {
    let d = TempDir::with_prefix("udrv-boards-fuzz-").unwrap();
    fs::create_dir_all(d.path().join("proc/device-tree")).unwrap();
    d
}

/// Bytes that look like a device-tree string list, or not.
fn dt_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..200),
        (
            prop::collection::vec(any::<u8>(), 0..40),
            prop::sample::select(COMPATIBLE),
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(a, c, b)| [a, vec![0], c.as_bytes().to_vec(), vec![0], b].concat()),
    ]
}

/// The NUL-separated, trimmed, non-empty strings of `b` (as the kernel's string lists).
fn strings(b: &[u8]) -> Vec<String> {
    b.split(|&x| x == 0)
        .map(|s| String::from_utf8_lossy(s).trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn detection_from_any_device_tree_bytes(
        model in prop::option::of(dt_bytes()),
        compatible in prop::option::of(dt_bytes()),
    ) {
        let dir = scratch();
        let root = dir.path();
        let dt = root.join("proc/device-tree");
        if let Some(m) = &model {
            fs::write(dt.join("model"), m).unwrap();
        }
        if let Some(c) = &compatible {
            fs::write(dt.join("compatible"), c).unwrap();
        }
        let r = detect_in(root);
        let compat = compatible.as_deref().map(strings).unwrap_or_default();
        let known = compat.iter().any(|c| {
            COMPATIBLE.contains(&c.as_str())
                || c.starts_with("raspberrypi,")
                || c.starts_with("ti,am335x-bone")
        });
        let first_model = model.as_deref().and_then(|m| strings(m).into_iter().next());
        match r {
            Ok(d) => {
                let by_model = first_model
                    .as_deref()
                    .is_some_and(|m| BoardId::identify(Some(m), &[]) == Some(d.id));
                prop_assert!(known || by_model, "{:?} from {:?} / {:?}", d.id, model, compatible);
                prop_assert_eq!(d.compatible, compat);
            }
            Err(Error::UnknownBoard { model: m, compatible: c }) => {
                prop_assert!(!compat.iter().any(|c| COMPATIBLE.contains(&c.as_str())));
                prop_assert_eq!(c, compat);
                prop_assert_eq!(m, first_model);
            }
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
        dir.close().unwrap();
    }

    #[test]
    fn bus_lookup_over_random_sysfs_entries(
        entries in prop::collection::vec(
            ("i2c-[0-9]{1,22}", prop::collection::vec(any::<u8>(), 0..60)),
            0..6,
        ),
        real in prop::option::of(0u32..40),
    ) {
        let dir = scratch();
        let root = dir.path();
        let class = root.join("sys/class/i2c-dev");
        fs::create_dir_all(&class).unwrap();
        fs::create_dir_all(root.join("dev")).unwrap();
        let mut made = Vec::new();
        for (k, (entry, name)) in entries.iter().enumerate() {
            if made.contains(entry) || real.is_some_and(|n| *entry == format!("i2c-{n}")) {
                continue;
            }
            let dev = root.join(format!("sys/devices/junk{k}/{entry}"));
            fs::create_dir_all(&dev).unwrap();
            fs::write(dev.join("name"), name).unwrap();
            symlink(&dev, class.join(entry)).unwrap();
            fs::write(root.join("dev").join(entry), b"").unwrap();
            made.push(entry.clone());
        }
        if let Some(n) = real {
            entry_for_pi4_i2c1(root, n);
        }
        let p = RaspberryPi::with_root(BoardId::Rpi4B, Root::new(root)).unwrap();
        match (p.i2c("i2c_arm"), real) {
            (Ok(b), Some(n)) => {
                prop_assert_eq!(b.number, Some(n));
                prop_assert_eq!(b.found_by, FoundBy::Sysfs);
            }
            (Ok(b), None) => {
                // Only the usual number with a Broadcom-looking adapter name may stand in.
                prop_assert_eq!(b.number, Some(1));
                prop_assert_eq!(b.found_by, FoundBy::Number);
            }
            (Err(e), real) => {
                prop_assert!(real.is_none(), "{e}");
                prop_assert!(e.to_string().contains("dtparam=i2c_arm=on"), "{e}");
            }
        }
        dir.close().unwrap();
    }
}

/// The Pi 4's I2C1 as the kernel publishes it, numbered `n`.
fn entry_for_pi4_i2c1(root: &Path, n: u32) {
    let entry = format!("i2c-{n}");
    let dev = root.join(format!(
        "sys/devices/platform/soc/fe804000.i2c/{entry}/i2c-dev/{entry}"
    ));
    fs::create_dir_all(&dev).unwrap();
    fs::write(dev.join("name"), "bcm2835 (i2c@7e804000)\n").unwrap();
    symlink(&dev, root.join("sys/class/i2c-dev").join(&entry)).unwrap();
    fs::write(root.join("dev").join(&entry), b"").unwrap();
}

#[test]
fn huge_device_tree_files_are_read_bounded_and_reported_briefly() {
    let dir = scratch();
    let root = dir.path();
    let dt = root.join("proc/device-tree");
    // 16 MiB of a bogus model without a NUL, and a compatible list of 100 000 entries.
    let model = vec![b'M'; 16 << 20];
    fs::write(dt.join("model"), &model).unwrap();
    let compat: Vec<u8> = (0..100_000)
        .flat_map(|i| format!("vendor,board-{i}\0").into_bytes())
        .collect();
    fs::write(dt.join("compatible"), &compat).unwrap();
    let e = detect_in(root).unwrap_err();
    let Error::UnknownBoard { model, compatible } = &e else {
        panic!("{e:?}")
    };
    assert!(
        model.as_ref().unwrap().len() <= 4096,
        "{}",
        model.as_ref().unwrap().len()
    );
    assert!(compatible.len() <= 4096 / 16);
    let msg = e.to_string();
    assert!(msg.len() < 16 << 10, "a {} byte message", msg.len());
    assert!(msg.contains("supported boards"), "{msg}");
    // A real board's compatible after a long list of others is still found.
    let mut c = (0..100)
        .flat_map(|i| format!("v,b{i}\0").into_bytes())
        .collect::<Vec<u8>>();
    c.extend_from_slice(b"raspberrypi,4-model-b\0brcm,bcm2711\0");
    fs::write(dt.join("compatible"), &c).unwrap();
    fs::write(dt.join("model"), b"Raspberry Pi 4 Model B Rev 1.4\0").unwrap();
    assert_eq!(detect_in(root).unwrap().id, BoardId::Rpi4B);
    dir.close().unwrap();
}

#[test]
fn device_tree_paths_that_are_not_files_are_no_board() {
    let dir = scratch();
    let root = dir.path();
    let dt = root.join("proc/device-tree");
    fs::create_dir_all(dt.join("model")).unwrap(); // a directory where a file should be
    symlink("/nonexistent", dt.join("compatible")).unwrap(); // a dangling link
    let e = detect_in(root).unwrap_err();
    assert!(
        matches!(&e, Error::UnknownBoard { model: None, compatible } if compatible.is_empty()),
        "{e:?}"
    );
    dir.close().unwrap();
}
