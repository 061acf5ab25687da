//! Small clients for QEMU's two host-side control sockets, used by the Raspberry Pi tier
//! (`rpi.rs`) to act on the emulated machine while the guest runs:
//!
//! - [`Qmp`]: the QEMU Machine Protocol (one JSON object per line): `qom-set` a sensor's
//!   temperature, link a GPIO output to a flash chip's chip select, `cont`.
//! - [`Qtest`]: the qtest line protocol (`writel ADDR VALUE` -> `OK`): memory-mapped writes
//!   from the host, e.g. the BCM2835 GPIO level registers to change an input's level.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::Result;

/// How long a reply may take before the socket counts as dead.
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);

/// Connects to a unix socket QEMU is about to create, retrying until `timeout`.
fn connect(path: &Path, timeout: Duration) -> Result<UnixStream> {
    let deadline = Instant::now() + timeout;
    loop {
        match UnixStream::connect(path) {
            Ok(s) => {
                s.set_read_timeout(Some(REPLY_TIMEOUT))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                return Ok(s);
            }
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("cannot connect to {}: {e}", path.display()))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A QMP connection in command mode.
pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects, reads the greeting and leaves capabilities negotiation mode.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Qmp> {
        let writer = connect(path, timeout)?;
        let reader = BufReader::new(writer.try_clone().map_err(|e| format!("qmp socket: {e}"))?);
        let mut q = Qmp { reader, writer };
        let greeting = q.read_message()?;
        if greeting.get("QMP").is_none() {
            return Err(format!("qmp: unexpected greeting {greeting}"));
        }
        q.execute("qmp_capabilities", json!({}))?;
        Ok(q)
    }

    fn read_message(&mut self) -> Result<Value> {
        let line = read_line(&mut self.reader, "qmp")?;
        serde_json::from_str(&line).map_err(|e| format!("qmp: bad reply {line:?}: {e}"))
    }

    /// Runs one command and returns its `return` value; a QMP `error` is an error.
    /// Asynchronous events arriving meanwhile are skipped.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value> {
        let msg = json!({ "execute": command, "arguments": arguments });
        writeln!(self.writer, "{msg}").map_err(|e| format!("qmp: write: {e}"))?;
        loop {
            let reply = self.read_message()?;
            if let Some(r) = reply.get("return") {
                return Ok(r.clone());
            }
            if let Some(e) = reply.get("error") {
                return Err(format!(
                    "qmp {command} {}: {}",
                    msg["arguments"],
                    e.get("desc").and_then(Value::as_str).unwrap_or("error")
                ));
            }
            // {"event": ...}: not ours.
        }
    }

    /// `qom-set PATH PROPERTY VALUE`.
    pub fn qom_set(&mut self, path: &str, property: &str, value: Value) -> Result {
        self.execute(
            "qom-set",
            json!({ "path": path, "property": property, "value": value }),
        )
        .map(drop)
    }

    /// `qom-get PATH PROPERTY`.
    pub fn qom_get(&mut self, path: &str, property: &str) -> Result<Value> {
        self.execute("qom-get", json!({ "path": path, "property": property }))
    }
}

/// A qtest connection.
pub struct Qtest {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qtest {
    /// Connects to QEMU's `-qtest unix:PATH` server.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Qtest> {
        let writer = connect(path, timeout)?;
        let reader = BufReader::new(
            writer
                .try_clone()
                .map_err(|e| format!("qtest socket: {e}"))?,
        );
        Ok(Qtest { reader, writer })
    }

    /// Sends one command line (e.g. `writel 0x3f20001c 0x20000`) and returns the reply
    /// after `OK` (`readl` gives the value there); `FAIL`/`ERR` is an error. Interrupt
    /// notifications (`IRQ ...`) arriving meanwhile are skipped.
    pub fn command(&mut self, line: &str) -> Result<String> {
        writeln!(self.writer, "{line}").map_err(|e| format!("qtest: write: {e}"))?;
        loop {
            let reply = read_line(&mut self.reader, "qtest")?;
            let reply = reply.trim();
            if let Some(rest) = reply.strip_prefix("OK") {
                return Ok(rest.trim().to_string());
            }
            if reply.starts_with("FAIL") || reply.starts_with("ERR") {
                return Err(format!("qtest `{line}`: {reply}"));
            }
        }
    }
}

/// The next line QEMU sends on the `protocol` (`qmp`, `qtest`) socket; an error when it
/// cannot be read or QEMU has closed the socket.
fn read_line(reader: &mut BufReader<UnixStream>, protocol: &str) -> Result<String> {
    let mut line = String::new();
    let n = reader
        .read_line(&mut line)
        .map_err(|e| format!("{protocol}: read: {e}"))?;
    if n == 0 {
        return Err(format!("{protocol}: QEMU closed the socket"));
    }
    Ok(line)
}
