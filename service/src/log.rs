//! The service's log: one line per message on standard error. When standard error is
//! the journal (systemd sets `JOURNAL_STREAM` to its `DEVICE:INODE`, and fd 2 is that
//! file, as systemd.exec(5) says to check), each line starts with sd-daemon(3)'s
//! priority prefix (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug) and the
//! journal adds the rest (time, unit, PID); otherwise lines are plain, `udrv serve: `
//! and the message.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::MetadataExt;
use std::sync::OnceLock;

/// A message's priority (syslog's numbers, as the journal reads them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Priority {
    /// `<3>`: the service cannot do something it was asked to (a reading lost).
    Error = 3,
    /// `<4>`: something is wrong that the service works around (a chip offline).
    Warning = 4,
    /// `<6>`: what the service does (started, reloaded, a chip back).
    Info = 6,
}

/// Whether standard error is the journal's stream: `JOURNAL_STREAM` (`DEV:INODE`, in
/// decimal) names the device and inode of fd 2. Read once.
pub(crate) fn to_journal() -> bool {
    static JOURNAL: OnceLock<bool> = OnceLock::new();
    *JOURNAL.get_or_init(|| {
        std::env::var("JOURNAL_STREAM")
            .ok()
            .is_some_and(|v| stream_is(&v, std::io::stderr().as_fd()))
    })
}

/// Whether `value` (`DEV:INODE`) names the file open as `fd` (fstat of a duplicate).
fn stream_is(value: &str, fd: BorrowedFd<'_>) -> bool {
    let Some((dev, ino)) = value.split_once(':') else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    let Ok(dup) = fd.try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(dup)
        .metadata()
        .is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// The line `message` is written as.
fn line(priority: Priority, message: &str, journal: bool) -> String {
    if journal {
        format!("<{}>{message}\n", priority as u8)
    } else {
        format!("udrv serve: {message}\n")
    }
}

/// Writes `message` at `priority` on standard error (one write per line, so lines from
/// the MQTT thread do not interleave).
pub(crate) fn write(priority: Priority, message: &str) {
    let text = line(priority, message, to_journal());
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A warning: something is wrong that the service works around.
pub(crate) fn warn(message: &str) {
    write(Priority::Warning, message);
}

/// An error: something the service was asked to do is lost.
pub(crate) fn error(message: &str) {
    write(Priority::Error, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_the_priority_only_for_the_journal() {
        assert_eq!(
            line(Priority::Warning, "chip x offline", true),
            "<4>chip x offline\n"
        );
        assert_eq!(line(Priority::Error, "lost", true), "<3>lost\n");
        assert_eq!(line(Priority::Info, "up", true), "<6>up\n");
        assert_eq!(line(Priority::Info, "up", false), "udrv serve: up\n");
    }

    #[test]
    fn the_stream_matches_by_device_and_inode() {
        let f = tempfile::tempfile().unwrap();
        let m = f.metadata().unwrap();
        let fd = f.as_fd();
        assert!(stream_is(&format!("{}:{}", m.dev(), m.ino()), fd));
        assert!(!stream_is(&format!("{}:{}", m.dev(), m.ino() + 1), fd));
        assert!(!stream_is(&format!("{}:{}", m.dev() + 1, m.ino()), fd));
        assert!(!stream_is("", fd));
        assert!(!stream_is("8:x", fd));
    }
}
