//! A serial adapter behind a udev-style link (`/dev/serial/by-id/...`) that tests unplug
//! and plug in again: the link is pointed at a pty, left dangling while "unplugged", then
//! pointed at a new pty. Shared by rs485's reconnect tests and the CLI's (included there
//! by path).

use std::os::unix::fs::symlink;
use std::path::Path;

use udrv_core::serial::Pty;

/// Points `link` at `target`, atomically (a new link renamed over the old one), as udev
/// replaces a by-id link.
pub fn point(link: &Path, target: &Path) {
    let tmp = link.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, link).unwrap();
}

/// Unplugs the adapter behind `link`: the link first dangles (it points at a node that is
/// not there), then the pty closes. (Closing the pty alone would leave the link pointing
/// at `/dev/pts/N`, a number the next pty opened by a test running alongside may take.)
pub fn unplug(link: &Path, pty: Pty) {
    point(link, &link.with_extension("unplugged"));
    drop(pty);
    assert!(!link.exists(), "the link should dangle now");
    assert!(
        link.symlink_metadata().is_ok(),
        "the link should still be there"
    );
}
