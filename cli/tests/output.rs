//! The CLI's own output: a reader that goes away (`| head -1`) ends udrv quietly, as it
//! does a C tool; the man page documents every command; completions are generated.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn udrv() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.env("UDRV_VIRTUAL_TIME", "1000");
    c
}

#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    let mut child = udrv()
        .args(["--board", "virtual", "read", "-n", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader (this test, standing in for `head -1`) goes away here.
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(first.starts_with("bme280@i2c-1:0x76"), "{first}");
    assert_eq!(o.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_man_page_documents_every_command() {
    let o = udrv().arg("man").output().unwrap();
    assert!(o.status.success());
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH udrv"),
        "not roff"
    );
    for section in [
        "UDRV I2C DETECT",
        "UDRV I2C TRANSFER",
        "UDRV GPIO MON",
        "UDRV SPI TRANSFER",
        "UDRV UIO WAIT",
        "UDRV BOARD PINS",
        "UDRV READ",
        "UDRV CAPTURE",
        "UDRV WATCH",
    ] {
        assert!(
            page.contains(&format!(".SH \"{section}\"")),
            "no {section} section"
        );
    }
    // Options of a subcommand are there, with their help.
    assert!(page.contains("extcap\\-install"), "capture options missing");
    assert!(
        page.contains("\\-\\-reconnect"),
        "capture --reconnect missing"
    );
    assert!(page.contains("\\-\\-record"), "read --record missing");
}

#[test]
fn completions_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let o = udrv().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("capture") && text.contains("transfer"),
            "{shell}"
        );
    }
}
