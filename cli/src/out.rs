//! Output helpers: confirmation before writes, JSON lines, and the report of a failure
//! (`udrv: MESSAGE`, or with `--json` one JSON object; see docs/cli-json.md).

use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Lists `items` as `udrv iio list` and `udrv w1 list` do: with `--json` (`json`) one
/// JSON array of `as_json` of each; else `none` when there are none, and a line of
/// `as_text` for each.
pub fn list<T>(
    items: &[T],
    json: bool,
    as_json: impl Fn(&T) -> serde_json::Value,
    none: &str,
    as_text: impl Fn(&T) -> String,
) {
    if json {
        json_line(&serde_json::Value::Array(
            items.iter().map(as_json).collect(),
        ));
        return;
    }
    if items.is_empty() {
        outln!("{none}");
    }
    for item in items {
        outln!("{}", as_text(item));
    }
}

/// Whether failures are reported as JSON (`--json` on the command line).
static JSON_ERRORS: AtomicBool = AtomicBool::new(false);

/// Reports failures as JSON objects from now on (or as text again).
pub fn set_json_errors(on: bool) {
    JSON_ERRORS.store(on, Ordering::Relaxed);
}

/// Whether failures are reported as JSON.
pub fn json_errors() -> bool {
    JSON_ERRORS.load(Ordering::Relaxed)
}

/// The JSON object of a failure: `{"error": MESSAGE, "exit": CODE}` and `fields`.
pub fn error_json(
    message: &str,
    code: u8,
    fields: serde_json::Map<String, serde_json::Value>,
) -> serde_json::Value {
    let mut v = serde_json::Map::new();
    v.insert("error".into(), message.into());
    v.insert("exit".into(), code.into());
    v.extend(fields);
    serde_json::Value::Object(v)
}

/// Reports a failure on standard error, as one line: `udrv: MESSAGE`, or with `--json`
/// the object of [`error_json`]. The caller exits with `code`.
pub fn report_failure(message: &str, code: u8, fields: serde_json::Map<String, serde_json::Value>) {
    let line = if json_errors() {
        error_json(message, code, fields).to_string()
    } else {
        format!("udrv: {message}")
    };
    // Nothing more can be said when standard error itself is gone.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Ends the process after a failed write to standard output: quietly with 141 when the
/// reader has gone away, else reporting the error with status 1.
fn write_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    report_failure(
        &format!("cannot write to standard output: {e}"),
        1,
        serde_json::Map::new(),
    );
    std::process::exit(1);
}

/// Writes to standard output. When the reader has gone away (`udrv ... | head -1`), the
/// process ends quietly with status 141, as a C tool killed by SIGPIPE does, instead of
/// panicking; any other write error is reported on stderr with status 1.
pub fn emit(args: fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        write_failed(&e);
    }
}

/// Writes bytes to standard output, with [`emit`]'s handling of a closed pipe.
pub fn emit_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        write_failed(&e);
    }
}
