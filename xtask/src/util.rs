//! Small helpers: running commands, hashing, the cache folder, a file lock.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::runner::Ended;

/// A task failure: the message is printed as `xtask: <message>` and the exit status is 1.
pub type Result<T = ()> = std::result::Result<T, String>;

/// Prints a progress line on stderr.
pub fn note(msg: impl AsRef<str>) {
    eprintln!("xtask: {}", msg.as_ref());
}

/// The deadline of every command run through [`run`] and [`output`] (apt-get, make, cargo,
/// rustup, QEMU's tools...): a backstop so that nothing can hang a task for ever. Each
/// command runs in its own process group, killed when it ends or at the deadline.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(40 * 60);

/// Runs `cmd`, with our stdout and stderr; an unsuccessful exit is an error naming the
/// command.
pub fn run(cmd: &mut Command) -> Result {
    match crate::runner::run_inherited(cmd, COMMAND_DEADLINE) {
        Ended::Exit(0) => Ok(()),
        ended => Err(format!("`{}` failed ({})", show(cmd), describe(&ended))),
    }
}

/// Runs `cmd` and returns its standard output; an unsuccessful exit is an error.
pub fn output(cmd: &mut Command) -> Result<String> {
    let (ended, stdout, stderr) =
        crate::runner::exec(cmd, COMMAND_DEADLINE, crate::runner::Stderr::File);
    match ended {
        Ended::Exit(0) => Ok(stdout),
        ended => Err(format!(
            "`{}` failed ({}): {}",
            show(cmd),
            describe(&ended),
            stderr.trim()
        )),
    }
}

/// How a command ended, in words.
pub fn describe(ended: &Ended) -> String {
    match ended {
        Ended::Exit(c) => format!("exit status: {c}"),
        Ended::Signal(s) => format!("killed by signal {s}"),
        Ended::TimedOut(d) => format!(
            "hung: killed with its process group after {} s",
            d.as_secs()
        ),
        Ended::CannotStart(e) => format!("cannot start: {e}"),
    }
}

/// A command line as a user would type it (for messages).
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Whether we run as root (and so may install packages).
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u"))
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

/// The SHA-256 (hex, first 16 digits) of some bytes, via coreutils' `sha256sum`.
pub fn hash(bytes: &[u8]) -> Result<String> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run sha256sum: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(bytes)
        .map_err(|e| format!("sha256sum: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("sha256sum: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout)[..16].to_string())
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The cache folder for kernels and initramfs images: `$UDRV_CACHE`, else
/// `$XDG_CACHE_HOME/udrv`, else `~/.cache/udrv`. Kept outside the work tree so a fresh
/// clone on the same machine reuses it.
pub fn cache_dir() -> Result<PathBuf> {
    let dir = if let Some(d) = std::env::var_os("UDRV_CACHE") {
        PathBuf::from(d)
    } else if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(d).join("udrv")
    } else if let Some(h) = std::env::var_os("HOME") {
        PathBuf::from(h).join(".cache/udrv")
    } else {
        workspace_root().join("target/udrv-cache")
    };
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// An exclusive advisory lock on a file, held until dropped: two runs never build the same
/// cache entry at once.
pub struct FileLock(#[allow(dead_code)] File);

impl FileLock {
    /// Blocks until the lock on `path` is ours.
    pub fn acquire(path: &Path) -> Result<FileLock> {
        let f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.lock()
            .map_err(|e| format!("lock {}: {e}", path.display()))?;
        Ok(FileLock(f))
    }
}

/// Reads a file into a string, with the path in the error.
pub fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Writes a file, with the path in the error.
pub fn write(path: &Path, data: impl AsRef<[u8]>) -> Result {
    fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `Ok` when nothing is listed; otherwise the error `what` makes of the items joined with
/// ", " (the failed steps of a run, the parts a package lacks).
pub fn none_listed<S: std::borrow::Borrow<str>>(
    items: &[S],
    what: impl FnOnce(String) -> String,
) -> Result {
    if items.is_empty() {
        Ok(())
    } else {
        Err(what(items.join(", ")))
    }
}

/// `io::Error` to our error string, naming what we were doing.
pub fn ctx<T>(r: io::Result<T>, what: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|e| format!("{}: {e}", what()))
}
