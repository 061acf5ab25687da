//! `udrv watch`'s arguments checked into a [`Plan`] before anything is opened.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ClassArg, WatchArgs, ALL_CLASSES};
use crate::Failure;

/// Which events a stream shows.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Filter {
    /// Every uevent.
    All,
    /// The events of these kinds of device and these subsystems.
    Some {
        classes: Vec<ClassArg>,
        subsystems: Vec<String>,
    },
}

/// What the validated arguments ask for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// Print events.
    Stream {
        filter: Filter,
        count: Option<u64>,
        timeout: Option<Duration>,
        banner: bool,
    },
    /// Wait for a device node.
    Wait {
        node: PathBuf,
        timeout: Option<Duration>,
    },
}

/// The longest `--timeout` (about 31 years; past this the deadline arithmetic overflows).
pub(super) const MAX_TIMEOUT_S: f64 = 1e9;

/// `--timeout SECS`: a non-negative number of seconds, fractions allowed.
pub(super) fn parse_timeout(s: &str) -> Result<Duration, Failure> {
    let secs: f64 = s.trim().parse().map_err(|_| {
        Failure::usage(format!(
            "--timeout `{s}` is not a number of seconds (e.g. 30 or 0.5)"
        ))
    })?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(Failure::usage(format!(
            "--timeout `{s}` must be 0 or more seconds"
        )));
    }
    if secs > MAX_TIMEOUT_S {
        return Err(Failure::usage(format!(
            "--timeout `{s}` is too long (at most {MAX_TIMEOUT_S} s): leave it out to wait forever"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The node `--wait` names: a path, or a name in /dev.
pub(super) fn wait_node(s: &str) -> Result<PathBuf, Failure> {
    if s.is_empty() || s.ends_with('/') {
        return Err(Failure::usage(format!(
            "--wait `{s}` is not a device node (e.g. /dev/ttyUSB0 or ttyUSB0)"
        )));
    }
    Ok(if s.starts_with('/') {
        PathBuf::from(s)
    } else {
        Path::new("/dev").join(s)
    })
}

/// Checks the arguments completely (nothing is opened before).
pub(super) fn plan(a: &WatchArgs) -> Result<Plan, Failure> {
    let timeout = a.timeout.as_deref().map(parse_timeout).transpose()?;
    if let Some(w) = &a.wait {
        let mut extra = Vec::new();
        if !a.class.is_empty() {
            extra.push("--class");
        }
        if !a.subsystem.is_empty() {
            extra.push("--subsystem");
        }
        if a.all {
            extra.push("--all");
        }
        if a.count.is_some() {
            extra.push("-c");
        }
        if a.banner {
            extra.push("--banner");
        }
        if !extra.is_empty() {
            return Err(Failure::usage(format!(
                "--wait waits for one device node and takes only --timeout, not {}",
                extra.join(", ")
            )));
        }
        return Ok(Plan::Wait {
            node: wait_node(w)?,
            timeout,
        });
    }
    if a.count == Some(0) {
        return Err(Failure::usage(
            "-c 0 would show no event: give 1 or more, or leave -c out to watch until Ctrl-C",
        ));
    }
    for s in &a.subsystem {
        if s.is_empty() || s.contains(|c: char| c == '/' || c.is_whitespace()) {
            return Err(Failure::usage(format!(
                "--subsystem `{s}` is not a kernel subsystem name (e.g. usb, tty, i2c-dev; \
                 `ls /sys/bus /sys/class` lists them)"
            )));
        }
    }
    let filter = if a.all {
        if !a.class.is_empty() || !a.subsystem.is_empty() {
            return Err(Failure::usage(
                "--all shows every event: leave out --class and --subsystem, or --all",
            ));
        }
        Filter::All
    } else if a.class.is_empty() && a.subsystem.is_empty() {
        Filter::Some {
            classes: ALL_CLASSES.to_vec(),
            subsystems: Vec::new(),
        }
    } else {
        let mut classes = a.class.clone();
        classes.dedup();
        Filter::Some {
            classes,
            subsystems: a.subsystem.clone(),
        }
    };
    Ok(Plan::Stream {
        filter,
        count: a.count,
        timeout,
        banner: a.banner,
    })
}
