//! Reading a capture file back with the real `tshark`, as a user's Wireshark reads it.
//!
//! Shared by rs485's capture tests and the CLI's (included there by path).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// What `tshark -r FILE -T fields -e FIELD...` prints, a line per frame, and its standard
/// error; fails the test when tshark cannot read the file (a non-zero exit status).
pub fn tshark_fields(file: &Path, fields: &[&str]) -> (Vec<String>, String) {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file).args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let o = cmd
        .output()
        .expect("tshark is needed: apt-get install -y tshark (cargo xtask test installs it)");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        o.status.success(),
        "tshark cannot read {}: {err}",
        file.display()
    );
    let rows = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect();
    (rows, err)
}

/// `tshark READ... -T fields -e mbrtu.unit_id -e modbus.func_code` started with `stdin`
/// (`READ`: `-r -` for a pipe, `-l -r FIFO` for a live FIFO), its output piped: a line
/// per Modbus RTU frame with its unit id and function code, as Wireshark decodes them
/// with no set-up.
pub fn spawn_tshark_modbus(read: &[&str], stdin: Stdio) -> Child {
    Command::new("tshark")
        .args(read)
        .args([
            "-T",
            "fields",
            "-e",
            "mbrtu.unit_id",
            "-e",
            "modbus.func_code",
        ])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tshark is needed: apt-get install -y tshark")
}
