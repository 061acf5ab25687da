//! Output helpers: confirmation before writes, JSON lines.

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
    println!("{v}");
}
