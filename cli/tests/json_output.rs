//! The JSON conventions of docs/cli-json.md, checked on every command `udrv --help` leads
//! to: with `--json`, a stream (`read`, `gpio mon`, `uio wait`, `watch`) prints one JSON
//! object per line, every other command one JSON document; a failure is one JSON object on
//! standard error, `{"error": ..., "exit": N, ...}`, with exit status N, for bad usage
//! (clap's parse errors) too.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod man_commands;

/// `udrv args...` with the virtual board's clock fixed and no standard input.
fn udrv(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.args(args)
        .env("UDRV_VIRTUAL_TIME", "1000")
        .env_remove("UDRV_BOARD")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run udrv")
}

/// What a command prints with `--json`.
#[derive(Debug, Clone)]
enum Shape {
    /// One JSON document (an object or an array), whatever its layout.
    Document,
    /// A stream: one JSON object per line, at least this many lines.
    Lines(usize),
    /// The command refuses the virtual board: status 2 and the error object.
    Refused,
    /// Standard output is a binary file (`capture -w -`), byte for byte this one, written
    /// by the same command with `-w FILE` and without `--json`: JSON must not mix into it.
    SameAs(std::path::PathBuf),
}

/// Cases that break the convention in files other helpers are changing (reported to the
/// lead, not fixed here), by their arguments, with what is wrong. The test checks that
/// they are still broken, so that whoever fixes one removes it from this list (and from
/// the "Known deviations" of docs/cli-json.md).
const KNOWN_BROKEN: &[(&str, &str)] = &[];

/// Commands whose output is not JSON by design: a shell script and roff.
const NOT_JSON: &[&str] = &["completions", "man"];

/// A raw log (`capture --raw-log`'s format) of two Modbus frames on one port, for
/// `capture --replay`.
fn raw_log(path: &Path) {
    use udrv_rs485::rawlog::{RawLogHeader, RawLogWriter};
    use udrv_rs485::{LineSettings, Timestamp};
    let header = RawLogHeader {
        line: LineSettings::default(),
        ports: vec!["/dev/ttyUSB0".into()],
        resolution: std::time::Duration::from_millis(1),
    };
    let mut w = RawLogWriter::create(path, &header).unwrap();
    // Read holding register 0 of unit 1, and its answer; CRCs as the bus carries them.
    let request = [0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0a];
    let answer = [0x01, 0x03, 0x02, 0x00, 0x2a, 0x39, 0x9b];
    let s = 1_000_000_000;
    w.write_chunk(Timestamp(s), 0, &request).unwrap();
    w.write_tick(Timestamp(s + 50_000_000), 0).unwrap();
    w.write_chunk(Timestamp(s + 100_000_000), 0, &answer)
        .unwrap();
    w.write_tick(Timestamp(s + 150_000_000), 0).unwrap();
    w.flush().unwrap();
}

/// Every leaf command, with arguments that run it on the virtual board (or, for gpio and
/// uio, which refuse it, the refusal), and the shape its `--json` output has.
fn cases(dir: &Path) -> Vec<(&'static str, Vec<String>, Shape)> {
    let record = dir.join("record.log");
    let o = udrv(
        &[
            "--board",
            "virtual",
            "read",
            "-n",
            "1",
            "--record",
            record.to_str().unwrap(),
            "lm75@1:0x4f",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let raw = dir.join("raw.log");
    raw_log(&raw);
    let pcap = dir.join("out.pcapng");
    let plain = dir.join("plain.pcapng");
    let o = udrv(
        &[
            "capture",
            "--replay",
            raw.to_str().unwrap(),
            "-w",
            plain.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    use Shape::*;
    vec![
        ("i2c list", s(&["i2c", "list"]), Document),
        ("i2c detect", s(&["i2c", "detect", "-y", "1"]), Document),
        (
            "i2c detect",
            s(&["i2c", "detect", "-y", "-F", "1"]),
            Document,
        ),
        (
            "i2c get",
            s(&["i2c", "get", "-y", "1", "0x76", "0xd0"]),
            Document,
        ),
        (
            "i2c get",
            s(&["i2c", "get", "-y", "1", "0x4f", "0x00", "w"]),
            Document,
        ),
        (
            "i2c set",
            s(&["i2c", "set", "-y", "1", "0x41", "0x00", "0x01"]),
            Document,
        ),
        ("i2c dump", s(&["i2c", "dump", "-y", "1", "0x76"]), Document),
        (
            "i2c transfer",
            s(&["i2c", "transfer", "-y", "1", "w2@0x50", "0", "0", "r4"]),
            Document,
        ),
        ("gpio detect", s(&["gpio", "detect"]), Refused),
        ("gpio info", s(&["gpio", "info"]), Refused),
        ("gpio notify", s(&["gpio", "notify", "GPIO17"]), Refused),
        ("gpio get", s(&["gpio", "get", "GPIO17"]), Refused),
        ("gpio set", s(&["gpio", "set", "-y", "GPIO17=1"]), Refused),
        (
            "gpio mon",
            s(&["gpio", "mon", "-n", "1", "GPIO27"]),
            Refused,
        ),
        (
            "spi transfer",
            s(&["spi", "transfer", "-y", "1.1", "9f", "00", "00", "00"]),
            Document,
        ),
        ("uio list", s(&["uio", "list"]), Refused),
        ("uio info", s(&["uio", "info", "uio0"]), Refused),
        ("uio wait", s(&["uio", "wait", "uio0"]), Refused),
        ("iio list", s(&["iio", "list"]), Refused),
        ("iio read", s(&["iio", "read", "0"]), Refused),
        ("w1 list", s(&["w1", "list"]), Refused),
        ("w1 read", s(&["w1", "read"]), Refused),
        ("pwm list", s(&["pwm", "list"]), Refused),
        (
            "pwm set",
            s(&["pwm", "set", "0/0", "--freq", "50", "--duty", "5"]),
            Refused,
        ),
        ("board info", s(&["board", "info"]), Document),
        ("board pins", s(&["board", "pins"]), Document),
        // Every chip of the board: a stream, one object per chip and round.
        ("read", s(&["read"]), Lines(10)),
        ("read", s(&["read", "-n", "2", "lm75@1:0x4f"]), Lines(2)),
        (
            "read",
            s(&["read", "--replay", record.to_str().unwrap()]),
            Lines(1),
        ),
        ("read", s(&["read", "--list"]), Document),
        ("probe", s(&["probe", "1"]), Document),
        (
            "capture",
            s(&[
                "capture",
                "--replay",
                raw.to_str().unwrap(),
                "-w",
                pcap.to_str().unwrap(),
            ]),
            Document,
        ),
        (
            "capture",
            s(&["capture", "--replay", raw.to_str().unwrap(), "-w", "-"]),
            SameAs(plain),
        ),
        // The example configuration: JSON lines of readings (the catalog's serialization).
        (
            "serve",
            s(&[
                "serve",
                "--config",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../examples/serve-virtual.toml"
                ),
                "--count",
                "3",
            ]),
            Lines(3),
        ),
        // No device comes or goes here: zero lines is a valid stream.
        ("watch", s(&["watch", "--timeout", "0.2"]), Lines(0)),
    ]
}

/// Checks one run's output against `shape`; the reason when it does not match.
fn check(o: &Output, shape: Shape) -> Result<(), String> {
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    match shape {
        Shape::Document => {
            if !o.status.success() {
                return Err(format!("{:?}: {err}", o.status));
            }
            match serde_json::from_str::<Value>(&out) {
                Ok(v) if v.is_object() || v.is_array() => Ok(()),
                Ok(v) => Err(format!("a JSON {v}, not an object or array")),
                Err(e) => Err(format!("not one JSON document ({e}):\n{out}")),
            }
        }
        Shape::Lines(at_least) => {
            if !o.status.success() {
                return Err(format!("{:?}: {err}", o.status));
            }
            let lines: Vec<&str> = out.lines().collect();
            for l in &lines {
                match serde_json::from_str::<Value>(l) {
                    Ok(v) if v.is_object() => {}
                    _ => return Err(format!("not a JSON object on one line: {l:?}")),
                }
            }
            if lines.len() < at_least {
                return Err(format!("{} lines, not {at_least} or more", lines.len()));
            }
            Ok(())
        }
        Shape::Refused => error_object(o, 2).map(drop),
        Shape::SameAs(file) => {
            if !o.status.success() {
                return Err(format!("{:?}: {err}", o.status));
            }
            let want = std::fs::read(&file).unwrap();
            if o.stdout != want {
                return Err(format!(
                    "standard output ({} bytes) is not the {} bytes of {}; it ends with {:?}",
                    o.stdout.len(),
                    want.len(),
                    file.display(),
                    String::from_utf8_lossy(&o.stdout[o.stdout.len().saturating_sub(80)..])
                ));
            }
            Ok(())
        }
    }
}

/// The error object a failed run printed: standard output empty, standard error one JSON
/// object with a non-empty `error` and `exit` equal to the exit status `code`.
fn error_object(o: &Output, code: i32) -> Result<Value, String> {
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() != Some(code) {
        return Err(format!("status {:?}, not {code}: {err}", o.status));
    }
    if !o.stdout.is_empty() {
        return Err(format!(
            "printed on stdout: {}",
            String::from_utf8_lossy(&o.stdout)
        ));
    }
    let v: Value = serde_json::from_str(&err)
        .map_err(|e| format!("stderr is not one JSON object ({e}): {err}"))?;
    let message = v["error"].as_str().unwrap_or_default();
    if message.is_empty() || message.starts_with("udrv:") || message.starts_with("error:") {
        return Err(format!("no plain `error` message: {v}"));
    }
    if v["exit"] != code {
        return Err(format!("`exit` is not {code}: {v}"));
    }
    if !err.ends_with("}\n") || err.lines().count() != 1 {
        return Err(format!("not one line: {err:?}"));
    }
    Ok(v)
}

#[test]
fn every_command_follows_the_json_convention_on_the_virtual_board() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases(dir.path());
    // The cases cover every command there is (walked from `udrv --help`), and only those.
    let leaves: Vec<String> = man_commands::leaves().iter().map(|p| p.join(" ")).collect();
    assert!(leaves.len() >= 20, "{leaves:?}");
    for leaf in &leaves {
        assert!(
            NOT_JSON.contains(&leaf.as_str()) || cases.iter().any(|(c, _, _)| c == leaf),
            "`udrv {leaf}` has no JSON case here: add one"
        );
    }
    for (cmd, _, _) in &cases {
        assert!(
            leaves.contains(&cmd.to_string()),
            "`udrv {cmd}` is no command"
        );
    }
    let raw = dir.path().join("raw.log");
    let mut broken = Vec::new();
    let mut known = Vec::new();
    for (cmd, args, shape) in &cases {
        let mut all = vec!["--board", "virtual", "--json"];
        all.extend(args.iter().map(String::as_str));
        let o = udrv(&all, &[]);
        let key = args.join(" ").replace(raw.to_str().unwrap(), "RAW");
        let result = check(&o, shape.clone());
        match (KNOWN_BROKEN.iter().find(|(k, _)| *k == key), result) {
            (None, Ok(())) => {}
            (None, Err(why)) => {
                broken.push(format!("udrv {} ({cmd}, {shape:?}): {why}", all.join(" ")))
            }
            (Some((_, what)), Err(why)) => known.push(format!("udrv {key}: {what}: {why}")),
            (Some(_), Ok(())) => broken.push(format!(
                "udrv {key} follows the convention now: remove it from KNOWN_BROKEN"
            )),
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
    assert_eq!(known.len(), KNOWN_BROKEN.len(), "{known:#?}");
    for k in &known {
        eprintln!("known deviation (reported): {}", &k[..k.len().min(300)]);
    }
}

/// `--json` anywhere on the command line (before the subcommand or after it) and
/// `UDRV_BOARD` instead of `--board` give the same JSON.
#[test]
fn json_and_board_are_global() {
    let a = udrv(
        &[
            "--json", "--board", "virtual", "i2c", "get", "-y", "1", "0x76", "0xd0",
        ],
        &[],
    );
    let b = udrv(
        &["i2c", "get", "-y", "1", "0x76", "0xd0", "--json"],
        &[("UDRV_BOARD", "virtual")],
    );
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
    let v: Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["value"], 0x60, "{v}");
}

/// A command line, its environment and the exit status it must end with.
type Run<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], i32);

/// A failed operation under `--json`: one object on stderr with the message the text form
/// prints after `udrv: `, and the exit status.
#[test]
fn failures_are_one_json_object_on_stderr() {
    let runs: &[Run] = &[
        // Refused on the virtual board (bad usage).
        (&["--board", "virtual", "gpio", "detect"], &[], 2),
        // No chip answers at 0x10.
        (
            &[
                "--board", "virtual", "i2c", "get", "-y", "1", "0x10", "0x00",
            ],
            &[],
            1,
        ),
        // A write without -y, standard input not a terminal.
        (
            &[
                "--board", "virtual", "i2c", "set", "1", "0x41", "0x00", "0x01",
            ],
            &[],
            2,
        ),
        // The chip fails (an injected bus error).
        (
            &[
                "--board", "virtual", "i2c", "get", "-y", "1", "0x76", "0xd0",
            ],
            &[("UDRV_VIRTUAL_FAULTS", "i2c:eio")],
            1,
        ),
        // A device that does not exist.
        (
            &["spi", "transfer", "-y", "/nonexistent/spidev9.9", "00"],
            &[],
            1,
        ),
    ];
    for (args, env, code) in runs {
        let mut json = vec!["--json"];
        json.extend_from_slice(args);
        let o = udrv(&json, env);
        let v = error_object(&o, *code).unwrap_or_else(|e| panic!("udrv {json:?}: {e}"));
        // The text form says the same.
        let t = udrv(args, env);
        assert_eq!(t.status.code(), Some(*code), "udrv {args:?}");
        let text = String::from_utf8_lossy(&t.stderr);
        assert_eq!(
            text.trim_end(),
            format!("udrv: {}", v["error"].as_str().unwrap()),
            "udrv {args:?}"
        );
    }
}

/// When some chips of a `read` fail, the last line of stderr is the error object (the
/// lines before it, one per chip, are notes).
#[test]
fn a_read_that_fails_ends_stderr_with_the_error_object() {
    let o = udrv(
        &["--board", "virtual", "--json", "read", "lm75@1:0x4f"],
        &[("UDRV_VIRTUAL_FAULTS", "i2c:eio")],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(v["exit"], 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("lm75@i2c-1:0x4f"),
        "{v}"
    );
}

/// Bad usage that clap finds (unknown option, missing or bad argument) is one JSON object
/// too when `--json` is on the command line: status 2, clap's message, its kind and the
/// usage line; without `--json` it stays clap's text.
#[test]
fn usage_errors_are_one_json_object_with_json() {
    let runs: &[(&[&str], &str, &str)] = &[
        (
            &["--json", "i2c", "get"],
            "missing-required-argument",
            "udrv i2c get",
        ),
        (
            &["i2c", "get", "--json", "--bogus", "1", "0x76"],
            "unknown-argument",
            "udrv i2c get",
        ),
        (
            &["--json", "spi", "transfer", "-m", "x", "0.0"],
            "value-validation",
            "udrv spi transfer",
        ),
        (&["--json", "nosuchcommand"], "invalid-subcommand", "udrv"),
        (
            &["--json", "completions", "nosh"],
            "invalid-value",
            "udrv completions",
        ),
    ];
    for (args, kind, usage) in runs {
        let o = udrv(args, &[]);
        let v = error_object(&o, 2).unwrap_or_else(|e| panic!("udrv {args:?}: {e}"));
        assert_eq!(v["kind"], *kind, "udrv {args:?}: {v}");
        assert!(
            v["usage"].as_str().is_some_and(|u| u.starts_with(usage)),
            "udrv {args:?}: {v}"
        );
        // Without --json: clap's text, as before.
        let text: Vec<&str> = args.iter().copied().filter(|a| *a != "--json").collect();
        let t = udrv(&text, &[]);
        assert_eq!(t.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&t.stderr).starts_with("error: "),
            "udrv {text:?}"
        );
    }
    // `--json` after `--` is an argument, not the option: i2c transfer's message list
    // gets it and says what is wrong with it, as text.
    let o = udrv(
        &[
            "--board", "virtual", "i2c", "transfer", "-y", "1", "--", "--json",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("udrv: "));
}

/// `--help` and `--version` are not errors: their text on stdout, status 0, with `--json`.
#[test]
fn help_and_version_stay_text_with_json() {
    let o = udrv(&["--json", "--version"], &[]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("udrv "));
    let o = udrv(&["--json", "i2c", "--help"], &[]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("Usage: udrv i2c"));
    assert!(o.stderr.is_empty());
}

/// A write to standard output that fails (a full disk: /dev/full) is reported as the error
/// object too, with status 1.
#[test]
fn a_failed_write_to_stdout_is_the_error_object() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let o = Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual", "--json", "i2c", "list"])
        .stdin(Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    let v = error_object(&o, 1).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot write to standard output"),
        "{v}"
    );
}
