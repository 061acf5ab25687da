//! Several chips on one I2C bus, against the real kernel in the QEMU guest
//! (`cargo xtask vmtest --only guest_i2c_files`): a file per device address, its
//! `I2C_SLAVE` address set once, and the bus lock beside those files.
//!
//! Fixtures (xtask/guest/fixtures.sh): i2c-stub (SMBus-only; chips at 0x48 0x50 0x52
//! 0x53, `dummy` driver bound at 0x53).
#![cfg(udrv_guest)] // on the host this file compiles to nothing (the docs above stay)

mod common;

use common::stub;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use udrv_core::i2c::Error;
use udrv_core::lock::BusLock;

/// The tests count this process's files on the node: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// How many descriptors of this process are open on `node`.
fn files_on(node: &Path) -> usize {
    let node = std::fs::canonicalize(node).unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| *target == node)
        .count()
}

#[test]
fn chips_taking_turns_keep_one_file_each_with_their_own_data() {
    let _one = serial();
    {
        let writer = stub();
        for (addr, v) in [(0x48u16, 0x11u8), (0x50, 0x22), (0x52, 0x33)] {
            writer.smbus_write_byte_data(addr, 0xd0, v).unwrap();
        }
    }
    let bus = stub();
    let before = files_on(bus.path());
    assert!(before >= 1, "the bus's own file");
    // Alternating reads go to each chip's own file: the address of a file is set once,
    // so a change of device costs no `I2C_SLAVE` (and no extra system call).
    for _ in 0..100 {
        assert_eq!(bus.smbus_read_byte_data(0x48, 0xd0).unwrap(), 0x11);
        assert_eq!(bus.smbus_read_byte_data(0x50, 0xd0).unwrap(), 0x22);
    }
    let two = files_on(bus.path());
    assert_eq!(
        two,
        before + 1,
        "a second address opens a second file, once"
    );
    assert_eq!(bus.smbus_read_byte_data(0x52, 0xd0).unwrap(), 0x33);
    assert_eq!(
        files_on(bus.path()),
        two + 1,
        "a third address, a third file"
    );
    // Clones share the files.
    let clone = bus.clone();
    assert_eq!(clone.smbus_read_byte_data(0x50, 0xd0).unwrap(), 0x22);
    assert_eq!(files_on(bus.path()), two + 1);
    let path = bus.path().to_path_buf();
    drop((bus, clone));
    assert_eq!(
        files_on(&path),
        before - 1,
        "the last handle closes every file"
    );
}

#[test]
fn a_scan_of_every_address_holds_a_bounded_number_of_files() {
    let _one = serial();
    let bus = stub();
    let before = files_on(bus.path());
    let found: Vec<u16> = (0x08..0x78)
        .filter(|&a| bus.smbus_quick(a, false).is_ok())
        .collect();
    // 0x53 is held by a kernel driver: busy, not probed.
    assert_eq!(found, [0x20, 0x48, 0x50, 0x52]);
    let held = files_on(bus.path()) - before;
    assert!((1..=8).contains(&held), "{held} files after a scan");
    // Re-aimed files still reach the right chips.
    bus.smbus_write_byte_data(0x48, 0xd1, 0x44).unwrap();
    bus.smbus_write_byte_data(0x52, 0xd1, 0x55).unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x48, 0xd1).unwrap(), 0x44);
    assert_eq!(bus.smbus_read_byte_data(0x52, 0xd1).unwrap(), 0x55);
}

#[test]
fn chips_read_without_the_lock_stay_right_while_another_thread_scans() {
    let _one = serial();
    let chips = [(0x48u16, 0x71u8), (0x50, 0x72), (0x52, 0x73)];
    {
        let writer = stub();
        for (addr, v) in chips {
            writer.smbus_write_byte_data(addr, 0xd4, v).unwrap();
        }
    }
    let bus = stub();
    let before = files_on(bus.path());
    // A transaction each pins the three chips' files: later ones take no lock.
    for (addr, v) in chips {
        assert_eq!(bus.smbus_read_byte_data(addr, 0xd4).unwrap(), v);
    }
    // Meanwhile a scan re-aims the files that are not pinned, address after address.
    let scanner = bus.clone();
    let scan = std::thread::spawn(move || {
        for _ in 0..3 {
            for a in 0x08..0x78 {
                let _ = scanner.smbus_quick(a, false);
            }
        }
    });
    let readers: Vec<_> = chips
        .into_iter()
        .map(|(addr, v)| {
            let b = bus.clone();
            std::thread::spawn(move || {
                for _ in 0..300 {
                    assert_eq!(b.smbus_read_byte_data(addr, 0xd4).unwrap(), v, "{addr:#x}");
                }
            })
        })
        .collect();
    scan.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    let held = files_on(bus.path()) - before;
    assert!(held <= 7, "{held} more files: at most 8 per bus");
}

#[test]
fn a_busy_address_stays_refused_on_every_file() {
    let _one = serial();
    let bus = stub();
    bus.smbus_read_byte_data(0x48, 0).unwrap();
    bus.smbus_read_byte_data(0x50, 0).unwrap();
    for _ in 0..3 {
        let e = bus.smbus_read_byte_data(0x53, 0).unwrap_err();
        assert!(matches!(e, Error::AddressBusy { addr: 0x53, .. }), "{e:?}");
    }
    let forced = bus.clone().with_force(true);
    forced.smbus_write_byte_data(0x53, 0x02, 0x66).unwrap();
    assert_eq!(forced.smbus_read_byte_data(0x53, 0x02).unwrap(), 0x66);
    let e = bus.smbus_read_byte_data(0x53, 0x02).unwrap_err();
    assert!(matches!(e, Error::AddressBusy { .. }), "{e:?}");
    // The other chips are still reached through their files.
    bus.smbus_write_byte_data(0x48, 0x03, 0x5a).unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x48, 0x03).unwrap(), 0x5a);
}

#[test]
fn the_bus_lock_excludes_threads_and_other_holders_but_not_transactions() {
    let _one = serial();
    let bus = stub();
    let guard = bus.lock().unwrap();
    // Transactions to several chips go on while the lock is held (flock is taken on a
    // descriptor of its own, never on the transactions' files).
    bus.smbus_write_byte_data(0x48, 0xd2, 1).unwrap();
    bus.smbus_write_byte_data(0x50, 0xd2, 2).unwrap();
    assert_eq!(bus.smbus_read_byte_data(0x48, 0xd2).unwrap(), 1);
    // Another thread with a clone waits its turn; so does any other open file
    // description of the node (another process, `flock /dev/i2c-N` in a script).
    let clone = bus.clone();
    let other = std::thread::spawn(move || clone.try_lock().unwrap().is_none());
    assert!(
        other.join().unwrap(),
        "another thread got the lock while it was held"
    );
    assert!(BusLock::try_lock(bus.path()).unwrap().is_none());
    let clone = bus.clone();
    let waiter = std::thread::spawn(move || {
        let g = clone.lock().unwrap();
        // Holding it, this thread excludes the node's other holders in turn.
        let others_out = BusLock::try_lock(clone.path()).unwrap().is_none();
        drop(g);
        others_out
    });
    std::thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "the waiting thread took a held lock");
    drop(guard);
    assert!(waiter.join().unwrap());
    // Free again: for this thread and for another description.
    drop(
        bus.try_lock()
            .unwrap()
            .expect("free after both guards dropped"),
    );
    assert!(BusLock::try_lock(bus.path()).unwrap().is_some());
}
