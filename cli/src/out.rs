//! Output helpers: confirmation before writes, JSON lines.

use std::fmt;
use std::io::{IsTerminal, Write};

use crate::Failure;

/// Asks before a write to a device, as i2cset does, unless `yes` (`-y`) was given. When
/// standard input is not a terminal the answer cannot come from a person: refuse.
pub fn confirm(yes: bool, what: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(format!(
            "refusing to {what} without -y: standard input is not a terminal, so nobody \
             can confirm (add -y to write anyway)"
        )));
    }
    eprint!("WARNING! This will {what}.\nContinue? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::op("aborted: nothing was written"))
    }
}

/// Prints one JSON value on its own line.
pub fn json_line(v: &serde_json::Value) {
    outln!("{v}");
}

/// Writes to standard output. When the reader has gone away (`udrv ... | head -1`), the
/// process ends quietly with status 141, as a C tool killed by SIGPIPE does, instead of
/// panicking; any other write error is reported on stderr with status 1.
pub fn emit(args: fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let r = out.write_fmt(args).and_then(|()| out.flush());
    if let Err(e) = r {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("udrv: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// Writes bytes to standard output, with [`emit`]'s handling of a closed pipe.
pub fn emit_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("udrv: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}
