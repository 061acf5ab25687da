//! `udrv gpio`: detect, info, get, set, mon, in the conventions of libgpiod's tools.
//!
//! Lines are named the way users think of them: by the name the kernel publishes
//! (`button`, `GPIO17`), or as `CHIP:OFFSET` where CHIP is `gpiochip0`, `/dev/gpiochip0`,
//! `0` or a chip label (`pinctrl-bcm2711:17`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use udrv_core::gpio::{
    self, Bias, Direction, Drive, EdgeDetection, EdgeKind, LineInfo, Request, Value,
};

use crate::out::{confirm, json_line};
use crate::{Cli, Failure, Outcome};

/// `udrv gpio ...`
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// List the GPIO chips (as `gpiodetect`).
    Detect,
    /// Show every line of the chips (or of one): name, direction, consumer (as `gpioinfo`).
    Info {
        /// A chip: gpiochipN, /dev/gpiochipN, N or a label; all chips when absent.
        chip: Option<String>,
    },
    /// Read lines (as `gpioget`).
    Get(GetArgs),
    /// Drive lines (as `gpioset`); `--hold` keeps them driven until interrupted.
    Set(SetArgs),
    /// Print edge events as they happen, with kernel timestamps and sequence numbers
    /// (as `gpiomon`); lost events are reported.
    Mon(MonArgs),
}

/// Options shared by get, set and mon.
#[derive(Args, Debug)]
pub struct LineOpts {
    /// The chip the lines are on, when they are given as offsets.
    #[arg(short = 'c', long = "chip")]
    chip: Option<String>,
    /// Treat the lines as active-low.
    #[arg(short = 'l', long = "active-low")]
    active_low: bool,
    /// Bias: pull-up, pull-down or disabled.
    #[arg(short = 'b', long = "bias", value_enum)]
    bias: Option<BiasArg>,
    /// Use the GPIO uAPI v1 (default: v2 with fallback to v1 on old kernels).
    #[arg(long = "abi-v1")]
    abi_v1: bool,
}

/// `--bias` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BiasArg {
    /// Pull-up resistor.
    PullUp,
    /// Pull-down resistor.
    PullDown,
    /// No pull.
    Disabled,
}

/// `--drive` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DriveArg {
    /// Drive high and low.
    PushPull,
    /// Drive low only.
    OpenDrain,
    /// Drive high only.
    OpenSource,
}

/// `--edges` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EdgesArg {
    /// Inactive to active.
    Rising,
    /// Active to inactive.
    Falling,
    /// Both.
    Both,
}

/// `udrv gpio get`
#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    opts: LineOpts,
    /// Print 1/0 instead of `"name"=active`.
    #[arg(short = 'n', long = "numeric")]
    numeric: bool,
    /// Lines: names, CHIP:OFFSET, or offsets with --chip.
    #[arg(required = true)]
    lines: Vec<String>,
}

/// `udrv gpio set`
#[derive(Args, Debug)]
pub struct SetArgs {
    #[command(flatten)]
    opts: LineOpts,
    /// Output drive.
    #[arg(short = 'd', long = "drive", value_enum)]
    drive: Option<DriveArg>,
    /// Keep the lines driven until interrupted (Ctrl-C); without it udrv sets the lines
    /// and exits, after which the kernel driver decides what the line does.
    #[arg(long = "hold")]
    hold: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short = 'y', long = "yes")]
    yes: bool,
    /// LINE=VALUE pairs; VALUE is 1/0, active/inactive, on/off, high/low.
    #[arg(required = true)]
    assignments: Vec<String>,
}

/// `udrv gpio mon`
#[derive(Args, Debug)]
pub struct MonArgs {
    #[command(flatten)]
    opts: LineOpts,
    /// Which edges to report.
    #[arg(short = 'e', long = "edges", value_enum, default_value = "both")]
    edges: EdgesArg,
    /// Debounce period in microseconds (uAPI v2).
    #[arg(short = 'p', long = "debounce-us")]
    debounce_us: Option<u64>,
    /// Exit after this many events.
    #[arg(short = 'n', long = "num-events")]
    count: Option<u64>,
    /// Kernel event buffer size in events (uAPI v2; default 16 per line).
    #[arg(long = "buffer")]
    buffer: Option<u32>,
    /// Say on stderr when the lines are being watched (edge detection is armed), as
    /// gpiomon's --banner: scripts wait for it before producing edges.
    #[arg(long = "banner")]
    banner: bool,
    /// Lines: names, CHIP:OFFSET, or offsets with --chip.
    #[arg(required = true)]
    lines: Vec<String>,
}

/// Runs an `udrv gpio` command.
pub fn run(cmd: &Cmd, cli: &Cli) -> Outcome {
    match cmd {
        Cmd::Detect => detect(cli),
        Cmd::Info { chip } => info(chip.as_deref(), cli),
        Cmd::Get(a) => get(a, cli),
        Cmd::Set(a) => set(a, cli),
        Cmd::Mon(a) => mon(a, cli),
    }
}

fn fail(e: gpio::Error) -> Failure {
    Failure::op(e)
}

/// Resolves a chip given as gpiochipN, /dev/gpiochipN, N or a label.
fn resolve_chip(spec: &str) -> Result<PathBuf, Failure> {
    if spec.starts_with('/') {
        return Ok(PathBuf::from(spec));
    }
    if let Ok(n) = spec.parse::<u32>() {
        return Ok(PathBuf::from(format!("/dev/gpiochip{n}")));
    }
    if spec.starts_with("gpiochip") && spec[8..].parse::<u32>().is_ok() {
        return Ok(PathBuf::from(format!("/dev/{spec}")));
    }
    gpio::find_chip(spec).map(|c| c.path).map_err(fail)
}

/// A resolved line: chip, offset and the name to print.
#[derive(Debug, Clone)]
struct Line {
    chip: PathBuf,
    offset: u32,
    label: String,
}

/// Resolves line arguments: names, CHIP:OFFSET, or offsets on `--chip`. All lines of one
/// command must be on one chip (one kernel request).
fn resolve_lines(specs: &[String], chip: Option<&str>) -> Result<Vec<Line>, Failure> {
    let chip = chip.map(resolve_chip).transpose()?;
    let mut lines = Vec::new();
    for spec in specs {
        let line = if let (Some(c), Ok(off)) = (&chip, spec.parse::<u32>()) {
            Line {
                chip: c.clone(),
                offset: off,
                label: spec.clone(),
            }
        } else if let Some((c, off)) = spec
            .rsplit_once(':')
            .and_then(|(c, o)| o.parse::<u32>().ok().map(|o| (c, o)))
        {
            Line {
                chip: resolve_chip(c)?,
                offset: off,
                label: spec.clone(),
            }
        } else {
            let found = gpio::find_lines(spec).map_err(fail)?;
            let found: Vec<_> = match &chip {
                Some(c) => found.into_iter().filter(|f| &f.chip == c).collect(),
                None => found,
            };
            match found.as_slice() {
                [] => {
                    return Err(Failure::op(format!(
                        "no GPIO line is named `{spec}`{}: `udrv gpio info` lists the lines",
                        chip.as_ref()
                            .map(|c| format!(" on {}", c.display()))
                            .unwrap_or_default()
                    )))
                }
                [one] => Line {
                    chip: one.chip.clone(),
                    offset: one.offset,
                    label: spec.clone(),
                },
                many => {
                    return Err(Failure::op(format!(
                        "line name `{spec}` is on several chips ({}); choose one with --chip",
                        many.iter()
                            .map(|f| format!("{}:{}", f.chip.display(), f.offset))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        };
        lines.push(line);
    }
    if let Some(first) = lines.first() {
        if let Some(other) = lines.iter().find(|l| l.chip != first.chip) {
            return Err(Failure::usage(format!(
                "lines `{}` and `{}` are on different chips ({} and {}); run one command per chip",
                first.label,
                other.label,
                first.chip.display(),
                other.chip.display()
            )));
        }
    }
    Ok(lines)
}

fn builder(lines: &[Line], opts: &LineOpts, consumer: &str) -> gpio::RequestBuilder {
    let mut b = Request::builder();
    b.on_chip(&lines[0].chip).with_consumer(consumer);
    let offsets: Vec<u32> = lines.iter().map(|l| l.offset).collect();
    b.with_lines(&offsets);
    if opts.active_low {
        b.as_active_low();
    }
    if let Some(bias) = opts.bias {
        b.with_bias(match bias {
            BiasArg::PullUp => Bias::PullUp,
            BiasArg::PullDown => Bias::PullDown,
            BiasArg::Disabled => Bias::Disabled,
        });
    }
    if opts.abi_v1 {
        b.with_abi(gpio::Abi::V1);
    }
    b
}

fn detect(cli: &Cli) -> Outcome {
    let chips = gpio::chips().map_err(fail)?;
    if chips.is_empty() && !cli.json {
        eprintln!("udrv: no GPIO chips found in /dev (is the GPIO character device enabled?)");
    }
    if cli.json {
        let v: Vec<_> = chips
            .iter()
            .map(|c| json!({"name": c.name, "path": c.path, "label": c.label, "lines": c.lines}))
            .collect();
        json_line(&json!(v));
    } else {
        for c in chips {
            outln!("{} [{}] ({} lines)", c.name, c.label, c.lines);
        }
    }
    Ok(())
}

fn line_attrs(l: &LineInfo) -> Vec<String> {
    let mut a = vec![match l.direction {
        Direction::Input => "input".to_string(),
        Direction::Output => "output".to_string(),
    }];
    if l.active_low {
        a.push("active-low".into());
    }
    match l.bias {
        Some(Bias::PullUp) => a.push("bias=pull-up".into()),
        Some(Bias::PullDown) => a.push("bias=pull-down".into()),
        Some(Bias::Disabled) => a.push("bias=disabled".into()),
        None => {}
    }
    match l.drive {
        Drive::OpenDrain => a.push("drive=open-drain".into()),
        Drive::OpenSource => a.push("drive=open-source".into()),
        Drive::PushPull => {}
    }
    match l.edge {
        Some(EdgeDetection::Rising) => a.push("edges=rising".into()),
        Some(EdgeDetection::Falling) => a.push("edges=falling".into()),
        Some(EdgeDetection::Both) => a.push("edges=both".into()),
        None => {}
    }
    if let Some(d) = l.debounce {
        a.push(format!("debounce-period={}us", d.as_micros()));
    }
    if l.used {
        match &l.consumer {
            Some(c) => a.push(format!("consumer=\"{c}\"")),
            None => a.push("consumer=kernel".into()),
        }
    }
    a
}

fn info(chip: Option<&str>, cli: &Cli) -> Outcome {
    let paths = match chip {
        Some(c) => vec![resolve_chip(c)?],
        None => gpio::chip_paths().map_err(fail)?,
    };
    for p in paths {
        let c = gpio::Chip::open(&p).map_err(fail)?;
        let ci = c.info().map_err(fail)?;
        let lines = c.line_infos().map_err(fail)?;
        if cli.json {
            for l in &lines {
                json_line(&json!({
                    "chip": ci.name, "label": ci.label, "offset": l.offset, "name": l.name,
                    "consumer": l.consumer, "used": l.used,
                    "direction": if l.direction == Direction::Output { "output" } else { "input" },
                    "active_low": l.active_low,
                    "attributes": line_attrs(l),
                }));
            }
        } else {
            outln!("{} - {} lines:", ci.name, ci.lines);
            for l in &lines {
                let name = l
                    .name
                    .as_ref()
                    .map(|n| format!("\"{n}\""))
                    .unwrap_or_else(|| "unnamed".into());
                outln!(
                    "\tline {:>3}:\t{name:<16}\t{}",
                    l.offset,
                    line_attrs(l).join(" ")
                );
            }
        }
    }
    Ok(())
}

fn get(a: &GetArgs, cli: &Cli) -> Outcome {
    let lines = resolve_lines(&a.lines, a.opts.chip.as_deref())?;
    let mut b = builder(&lines, &a.opts, "udrv-get");
    b.as_input();
    let req = b.request().map_err(fail)?;
    let offsets: Vec<u32> = lines.iter().map(|l| l.offset).collect();
    let values = req.get_values(&offsets).map_err(fail)?;
    if cli.json {
        let v: Vec<_> = lines
            .iter()
            .zip(&values)
            .map(|(l, v)| {
                json!({"line": l.label, "chip": l.chip, "offset": l.offset, "active": v.is_active()})
            })
            .collect();
        json_line(&json!(v));
    } else if a.numeric {
        let v: Vec<&str> = values
            .iter()
            .map(|v| if v.is_active() { "1" } else { "0" })
            .collect();
        outln!("{}", v.join(" "));
    } else {
        let v: Vec<String> = lines
            .iter()
            .zip(&values)
            .map(|(l, v)| format!("\"{}\"={v}", l.label))
            .collect();
        outln!("{}", v.join(" "));
    }
    Ok(())
}

fn parse_value(s: &str) -> Option<Value> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "active" | "on" | "high" | "true" => Some(Value::Active),
        "0" | "inactive" | "off" | "low" | "false" => Some(Value::Inactive),
        _ => None,
    }
}

fn set(a: &SetArgs, cli: &Cli) -> Outcome {
    let mut specs = Vec::new();
    let mut values = Vec::new();
    for asg in &a.assignments {
        let (line, value) = asg
            .rsplit_once('=')
            .ok_or_else(|| Failure::usage(format!("`{asg}` is not LINE=VALUE (e.g. led=1)")))?;
        let v = parse_value(value).ok_or_else(|| {
            Failure::usage(format!(
                "`{value}` in `{asg}` is not a line value: use 1/0, active/inactive, on/off"
            ))
        })?;
        specs.push(line.to_string());
        values.push(v);
    }
    let lines = resolve_lines(&specs, a.opts.chip.as_deref())?;
    confirm(
        a.yes,
        &format!(
            "drive {} on {}",
            lines
                .iter()
                .zip(&values)
                .map(|(l, v)| format!("{}={v}", l.label))
                .collect::<Vec<_>>()
                .join(" "),
            lines[0].chip.display()
        ),
    )?;
    let mut b = builder(&lines, &a.opts, "udrv-set");
    b.as_output(Value::Inactive);
    if let Some(d) = a.drive {
        b.with_drive(match d {
            DriveArg::PushPull => Drive::PushPull,
            DriveArg::OpenDrain => Drive::OpenDrain,
            DriveArg::OpenSource => Drive::OpenSource,
        });
    }
    let pairs: Vec<(u32, Value)> = lines
        .iter()
        .map(|l| l.offset)
        .zip(values.iter().copied())
        .collect();
    // Request the lines already at their values, so they never glitch through inactive.
    for (off, v) in &pairs {
        b.with_line(*off).with_value(*v);
    }
    let req = b.request().map_err(fail)?;
    req.set_values(&pairs).map_err(fail)?;
    if cli.json {
        json_line(&json!({
            "chip": lines[0].chip,
            "set": lines.iter().zip(&values).map(|(l, v)| json!({"line": l.label, "offset": l.offset, "active": v.is_active()})).collect::<Vec<_>>(),
            "held": a.hold,
        }));
    }
    if a.hold {
        eprintln!("udrv: holding the lines; press Ctrl-C to release them");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    Ok(())
}

fn mon(a: &MonArgs, cli: &Cli) -> Outcome {
    let lines = resolve_lines(&a.lines, a.opts.chip.as_deref())?;
    let mut b = builder(&lines, &a.opts, "udrv-mon");
    b.as_input().with_edge_detection(match a.edges {
        EdgesArg::Rising => EdgeDetection::Rising,
        EdgesArg::Falling => EdgeDetection::Falling,
        EdgesArg::Both => EdgeDetection::Both,
    });
    if let Some(us) = a.debounce_us {
        b.with_debounce(Duration::from_micros(us));
    }
    if let Some(n) = a.buffer {
        b.with_event_buffer_size(n);
    }
    let req = b.request().map_err(fail)?;
    if a.banner {
        // The request ioctl has returned: edge detection is armed from here on.
        eprintln!(
            "udrv: monitoring {} on {}; Ctrl-C to stop",
            lines
                .iter()
                .map(|l| l.label.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            lines[0].chip.display()
        );
    }
    let mut seen = 0u64;
    let mut lost_total = 0u64;
    while a.count.is_none_or(|n| seen < n) {
        let e = req.read_edge_event().map_err(fail)?;
        seen += 1;
        let label = lines
            .iter()
            .find(|l| l.offset == e.offset)
            .map(|l| l.label.as_str())
            .unwrap_or("?");
        let edge = match e.kind {
            EdgeKind::Rising => "rising",
            EdgeKind::Falling => "falling",
        };
        if let Some(lost) = e.lost_before.filter(|&n| n > 0) {
            lost_total += u64::from(lost);
            eprintln!(
                "udrv: {lost} events lost before this one: the kernel's buffer overflowed \
                 (raise --buffer); {lost_total} lost so far"
            );
        }
        if cli.json {
            let v = json!({
                "timestamp_ns": e.timestamp_ns, "edge": edge, "line": label,
                "chip": lines[0].chip, "offset": e.offset, "seqno": e.seqno,
                "line_seqno": e.line_seqno, "lost_before": e.lost_before,
            });
            outln!("{v}");
        } else {
            let seq = match (e.seqno, e.line_seqno) {
                (Some(s), Some(ls)) => format!("\tseqno={s} line_seqno={ls}"),
                _ => String::new(),
            };
            let lost = match e.lost_before {
                Some(n) if n > 0 => format!("\tlost={n}"),
                _ => String::new(),
            };
            outln!(
                "{}.{:09}\t{edge}\t\"{label}\"{seq}{lost}",
                e.timestamp_ns / 1_000_000_000,
                e.timestamp_ns % 1_000_000_000
            );
        }
        // (outln! flushes each line: streams are read live, `| grep`, a script; and a
        // reader that goes away ends the process quietly.)
    }
    Ok(())
}
