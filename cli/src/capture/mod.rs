//! `udrv capture`: RS485 (or any serial line) into pcap/pcapng, cut into protocol frames.
//!
//! The work is done by `udrv-rs485`; this module only turns arguments into its
//! `CaptureConfig` and reports the outcome.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueHint};
use serde_json::json;
use udrv_core::serial::{LineSettings, Rs485Config};
use udrv_rs485::capture::{self, CaptureConfig, Output, PortSpec, StderrProgress, StopReason};
use udrv_rs485::rotate::Rotation;
use udrv_rs485::{Direction, Format, FramerKind, LinkType};

use crate::out::json_line;
use crate::{Cli, Failure, Outcome};

/// `udrv capture`
#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// The serial port(s): one, or two with --tap (first outbound, second inbound).
    #[arg(required_unless_present_any = ["replay", "extcap_install"])]
    ports: Vec<PathBuf>,
    /// Output file, or `-` for standard output (`| wireshark -k -i -`, `| tcpdump -r -`);
    /// then the `--json` summary goes to standard error.
    #[arg(short = 'w', long = "write")]
    write: Option<String>,
    /// Line settings as `BAUD DATA PARITY STOP`, e.g. `9600 8N1` or `19200,8E1`
    /// [default: 19200 8E1].
    #[arg(short = 'l', long = "line", value_hint = ValueHint::Other)]
    line: Option<String>,
    /// Baud rate (overrides --line's).
    #[arg(short = 'b', long = "baud", value_parser = parse_baud, value_hint = ValueHint::Other)]
    baud: Option<u32>,
    /// Protocol framer.
    #[arg(short = 'f', long = "framer", default_value = "modbus", value_parser = Named::<FramerKind>::new("--framer", FRAMERS))]
    framer: FramerKind,
    /// File format: pcapng (directions, error flags, comments) or pcap.
    #[arg(long = "format", default_value = "pcapng", value_parser = Named::<Format>::new("--format", FORMATS))]
    format: Format,
    /// Link type: `user0`..`user15`, `upper_pdu[:DISSECTOR]`, `mstp`, or a DLT number.
    /// Default: one Wireshark decodes with no set-up where it has a dissector (modbus:
    /// `upper_pdu:mbrtu`, mstp: `mstp`), else `user0`.
    #[arg(long = "linktype", value_parser = Named::<LinkType>::new("--linktype", LINK_TYPES))]
    linktype: Option<LinkType>,
    /// Switch the port to the kernel's RS485 mode (TIOCSRS485); a port that refuses it
    /// gives a warning and the capture goes on.
    #[arg(long = "rs485")]
    rs485: bool,
    /// Do not ask USB adapters for low-latency reads.
    #[arg(long = "no-low-latency")]
    no_low_latency: bool,
    /// Two ports, one per direction (a 4-wire tap): the first carries outbound frames.
    #[arg(long = "tap")]
    tap: bool,
    /// Start a new file every SIZE megabytes (as tcpdump -C).
    #[arg(short = 'C', long = "file-size", value_hint = ValueHint::Other)]
    file_size_mb: Option<u64>,
    /// Start a new file every SECONDS (as tcpdump -G).
    #[arg(short = 'G', long = "rotate-seconds", value_hint = ValueHint::Other)]
    rotate_seconds: Option<u64>,
    /// Keep only the newest N files when rotating (as tcpdump -W).
    #[arg(short = 'W', long = "file-count", value_hint = ValueHint::Other)]
    file_count: Option<u32>,
    /// Also record every chunk read, with its time, into this raw log (for re-framing).
    #[arg(long = "raw-log")]
    raw_log: Option<PathBuf>,
    /// Re-frame a raw log instead of reading ports, with the line settings it was recorded
    /// with (the options that set up a port do not go with it; with --tap, two ports give
    /// the directions of a 4-wire tap's log).
    #[arg(long = "replay")]
    replay: Option<PathBuf>,
    /// Stop after this many frames.
    #[arg(short = 'c', long = "count", value_hint = ValueHint::Other)]
    count: Option<u64>,
    /// Stop after this many seconds (fractions allowed, e.g. 0.5).
    #[arg(
        long = "duration",
        value_name = "SECONDS",
        value_parser = parse_seconds,
        allow_negative_numbers = true,
        value_hint = ValueHint::Other
    )]
    duration: Option<Duration>,
    /// When a port goes away (adapter unplugged), wait up to SECONDS (3600 if not given)
    /// for its path to be back (a /dev/serial/by-id link recreated), reopen it and go on
    /// into the same file. Without it the capture stops.
    #[arg(
        long = "reconnect",
        value_name = "SECONDS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "3600",
        value_hint = ValueHint::Other
    )]
    reconnect: Option<u64>,
    /// Make Wireshark list udrv's interface: a link `udrv-rs485` to this binary in the
    /// folder where the machine's Wireshark looks for extcap programs (`tshark -G folders`:
    /// the global one for Wireshark before 4.2 and for root, which only root may write;
    /// else the user's own).
    #[arg(long = "extcap-install", conflicts_with_all = CAPTURE_ARGS)]
    extcap_install: bool,
    /// With --extcap-install: link into this folder instead.
    #[arg(
        long = "extcap-dir",
        value_name = "DIR",
        requires = "extcap_install",
        value_hint = ValueHint::DirPath
    )]
    extcap_dir: Option<PathBuf>,
}

/// The arguments of a capture, none of which goes with --extcap-install.
const CAPTURE_ARGS: [&str; 18] = [
    "ports",
    "write",
    "line",
    "baud",
    "framer",
    "format",
    "linktype",
    "rs485",
    "no_low_latency",
    "tap",
    "file_size_mb",
    "rotate_seconds",
    "file_count",
    "raw_log",
    "replay",
    "count",
    "duration",
    "reconnect",
];

/// Runs `udrv capture`.
pub fn run(a: &CaptureArgs, cli: &Cli) -> Outcome {
    if a.extcap_install {
        return extcap_install(a.extcap_dir.as_deref(), cli);
    }
    let config = config(a)?;
    if matches!(config.output, Output::Stdout) && std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "refusing to write a binary capture to the terminal: give -w FILE, or pipe it \
             (`udrv capture PORT -w - | wireshark -k -i -`)",
        ));
    }
    let mut progress = StderrProgress::new();
    let summary = capture::run(&config, &mut progress).map_err(Failure::op)?;
    if cli.json {
        let v = json!({
            "frames": summary.stats.frames, "bad_frames": summary.stats.bad_frames,
            "crc_errors": summary.stats.crc_errors, "gap_errors": summary.stats.gap_errors,
            "too_short": summary.stats.too_short, "too_long": summary.stats.too_long,
            "noise": summary.stats.noise, "bad_encoding": summary.stats.bad_encoding,
            "bytes": summary.stats.bytes, "reconnects": summary.stats.reconnects,
            "stopped": summary.reason.to_string(),
            "files": summary.files, "warnings": summary.warnings,
        });
        // When the capture itself is on standard output, anything else written there
        // would corrupt it: the summary goes to standard error.
        match config.output {
            Output::Stdout => eprintln!("{v}"),
            Output::Path(_) => json_line(&v),
        }
    }
    match summary.reason {
        // The capture is complete and valid; the exit status says the port went away.
        StopReason::PortVanished(p) => Err(Failure::op(format!(
            "{} went away (unplugged?){}: the capture is valid up to its last frame ({})",
            p.display(),
            match config.reconnect {
                Some(d) => format!(" and did not come back within {} s", d.as_secs()),
                None => String::new(),
            },
            capture::plural(summary.stats.frames, "frame")
        ))),
        _ => Ok(()),
    }
}

/// `udrv capture --extcap-install [--extcap-dir DIR]`.
fn extcap_install(dir: Option<&Path>, cli: &Cli) -> Outcome {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::op(format!("cannot find the udrv binary: {e}")))?;
    let done = udrv_rs485::extcap::install(&exe, dir).map_err(Failure::op)?;
    if cli.json {
        json_line(&json!({
            "link": done.link, "target": done.target, "created": done.created,
            "folder_from": done.source,
            "others": done.others.iter().map(|(l, t)| json!({"link": l, "target": t}))
                .collect::<Vec<_>>(),
        }));
    } else {
        let what = if done.created {
            "installed"
        } else {
            "already installed:"
        };
        let link = format!("{} -> {}", done.link.display(), done.target.display());
        if dir.is_some() {
            outln!("{what} {link}");
        } else {
            outln!(
                "{what} {link} (Wireshark's extcap folder, from {}): `tshark -D` lists \
                 `udrv-rs485 (RS485 serial bus (udrv))`; restart Wireshark (or Capture > \
                 Refresh Interfaces) to see it",
                done.source
            );
        }
    }
    for (link, target) in &done.others {
        eprintln!(
            "udrv: note: {} -> {} runs a udrv too: Wireshark lists the interface once per \
             link; remove the one you do not use",
            link.display(),
            target.display()
        );
    }
    Ok(())
}

/// The `--framer` values offered to help and shell completion (with their parameters,
/// `idle:GAP_US`, `hdlc:fcs` and `length:...`, the framer parser accepts more).
const FRAMERS: &[(&str, &str)] = &[
    ("modbus", "Modbus RTU: function code, length and CRC"),
    ("mstp", "BACnet MS/TP"),
    (
        "idle",
        "split on silence (idle:GAP_US for another gap than 3.5 characters)",
    ),
    ("slip", "SLIP (RFC 1055)"),
    (
        "hdlc",
        "HDLC-like 0x7E framing (hdlc:fcs checks the FCS-16)",
    ),
    ("cobs", "COBS, 0x00 delimited"),
    ("length", "a length field: length:OFF:W:be|le[:ADJ[:MAX]]"),
];

/// The `--format` values.
const FORMATS: &[(&str, &str)] = &[
    ("pcapng", "directions, error flags and comments"),
    ("pcap", "read by every tool, no per-frame metadata"),
];

/// The `--linktype` values offered (DLT numbers and `upper_pdu:DISSECTOR` parse too).
const LINK_TYPES: &[(&str, &str)] = &[
    (
        "upper_pdu",
        "exported PDUs naming a dissector (mbrtu by default)",
    ),
    ("mstp", "BACnet MS/TP (DLT 165)"),
    ("user0", "LINKTYPE_USER0 (DLT 147); user1..user15 too"),
];

/// A value parser for a type that parses from a string: help and shell completion
/// (`udrv completions`) offer `names`, while every form the type parses is accepted
/// (`length:0:1:be`, `upper_pdu:mstp`, DLT numbers).
#[derive(Clone)]
struct Named<T> {
    option: &'static str,
    names: &'static [(&'static str, &'static str)],
    value: std::marker::PhantomData<fn() -> T>,
}

impl<T> Named<T> {
    fn new(option: &'static str, names: &'static [(&'static str, &'static str)]) -> Self {
        Named {
            option,
            names,
            value: std::marker::PhantomData,
        }
    }
}

impl<T> clap::builder::TypedValueParser for Named<T>
where
    T: std::str::FromStr + Clone + Send + Sync + 'static,
    T::Err: std::fmt::Display,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let s = value.to_string_lossy();
        s.parse().map_err(|e| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{} `{s}`: {e}\n", self.option),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().map(|(name, help)| {
            clap::builder::PossibleValue::new(*name).help(*help)
        })))
    }
}

/// `-b`: a baud rate of at least 1.
fn parse_baud(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(b) if b >= 1 => Ok(b),
        _ => Err(
            "the baud rate is a whole number of bits per second, at least 1 (e.g. 9600, \
                  115200)"
                .into(),
        ),
    }
}

/// `--duration`: seconds, fractions allowed, more than 0.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>().map(Duration::try_from_secs_f64) {
        Ok(Ok(d)) if !d.is_zero() => Ok(d),
        _ => Err("give a number of seconds more than 0, e.g. 10 or 0.5".into()),
    }
}

/// The line settings when none are given.
const DEFAULT_LINE: &str = "19200 8E1";

/// With `--replay`, the options that set up a port are refused rather than ignored.
fn check_replay(a: &CaptureArgs) -> Result<(), Failure> {
    let log = match &a.replay {
        Some(log) => log.display(),
        None => return Ok(()),
    };
    if a.line.is_some() || a.baud.is_some() {
        let opt = if a.line.is_some() { "--line" } else { "--baud" };
        return Err(Failure::usage(format!(
            "{opt} does not go with --replay: {log} is framed with the line settings it was \
             recorded with (its bytes were received that way); leave {opt} out"
        )));
    }
    if !a.tap {
        if let Some(port) = a.ports.first() {
            return Err(Failure::usage(format!(
                "--replay reads {log}, not a port: leave out `{}` (with --tap, two ports give \
                 the directions of a 4-wire tap's log)",
                port.display()
            )));
        }
    }
    for (given, opt) in [
        (a.rs485, "--rs485"),
        (a.no_low_latency, "--no-low-latency"),
        (a.reconnect.is_some(), "--reconnect"),
    ] {
        if given {
            return Err(Failure::usage(format!(
                "{opt} is for ports and does not go with --replay, which reads {log}: leave \
                 {opt} out"
            )));
        }
    }
    Ok(())
}

/// Turns the arguments into a capture configuration; nothing is opened here.
fn config(a: &CaptureArgs) -> Result<CaptureConfig, Failure> {
    check_replay(a)?;
    let line_arg = a.line.as_deref().unwrap_or(DEFAULT_LINE);
    let mut line: LineSettings = line_arg
        .parse()
        .map_err(|e| Failure::usage(format!("--line `{line_arg}`: {e} (e.g. `9600 8N1`)")))?;
    if let Some(b) = a.baud {
        line.baud = b;
    }
    let framer = a.framer.clone();
    let format = a.format;
    let link_type = match &a.linktype {
        Some(l) => l.clone(),
        None => framer.wireshark_link_type(),
    };
    let ports =
        match (a.tap, a.ports.as_slice()) {
            (_, []) => Vec::new(),
            (false, [one]) => vec![PortSpec::new(one)],
            (false, _) => return Err(Failure::usage(
                "several ports given: use --tap for a 4-wire tap (two ports, one per direction)",
            )),
            (true, [out, inb]) => vec![
                PortSpec::with_direction(out, Direction::Outbound),
                PortSpec::with_direction(inb, Direction::Inbound),
            ],
            (true, _) => return Err(Failure::usage("--tap takes exactly two ports")),
        };
    let output = match (&a.write, std::io::stdout().is_terminal()) {
        (Some(w), _) => Output::from_arg(w),
        (None, false) => Output::Stdout,
        (None, true) => {
            return Err(Failure::usage(
                "where should the capture go? give -w FILE, or -w - to pipe it \
                 (`| wireshark -k -i -`)",
            ))
        }
    };
    let rotation = Rotation {
        max_bytes: a.file_size_mb.map(|m| m * 1_000_000),
        every: a.rotate_seconds.map(Duration::from_secs),
        max_files: a.file_count,
    };
    if rotation.is_on() && matches!(output, Output::Stdout) {
        return Err(Failure::usage(
            "rotation (-C/-G/-W) needs -w FILE, not standard output",
        ));
    }
    Ok(CaptureConfig {
        ports,
        line,
        rs485: a.rs485.then(|| Rs485Config {
            flags: Rs485Config::ENABLED | Rs485Config::RTS_ON_SEND,
            ..Rs485Config::default()
        }),
        low_latency: !a.no_low_latency,
        framer,
        format,
        link_type: Some(link_type),
        output,
        rotation,
        raw_log: a.raw_log.clone(),
        replay: a.replay.clone(),
        max_frames: a.count,
        max_duration: a.duration,
        reconnect: a.reconnect.map(Duration::from_secs),
        handle_signals: true,
        ..CaptureConfig::default()
    })
}

#[cfg(test)]
mod tests;
