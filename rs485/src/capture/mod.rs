//! The capture engine: ports (or a raw log) in, framed packets out.
//!
//! [`run`] opens one port, or two for a 4-wire tap (one port per direction, one pcapng
//! interface each), reads chunks stamped with CLOCK_REALTIME when each read returns, feeds
//! each port's framer, writes frames as they are cut, and stops cleanly on SIGINT/SIGTERM,
//! when a port vanishes (pty closed, USB adapter unplugged), when the reader of the output
//! goes away, at a frame or time limit, or at the end of a replay. Whatever the reason,
//! the file is complete up to the last frame, and [`Summary::reason`] says why it stopped.
//!
//! With [`CaptureConfig::reconnect`] a port that vanishes is waited for instead: its
//! framer gives out what it held, the other port of a tap goes on, and when the port's
//! path exists again (udev recreates `/dev/serial/by-id/..` links on a replug) it is
//! opened with the same settings and the capture goes on into the same output, the first
//! frame after the gap carrying a pcapng comment.
//!
//! ```no_run
//! use udrv_rs485::capture::{self, CaptureConfig, Output, PortSpec, StderrProgress};
//!
//! let config = CaptureConfig {
//!     ports: vec![PortSpec::new("/dev/ttyUSB0")],
//!     line: "19200 8E1".parse()?,
//!     output: Output::Path("bus.pcapng".into()),
//!     ..CaptureConfig::default()
//! };
//! let summary = capture::run(&config, &mut StderrProgress::new())?;
//! eprintln!("{} frames, stopped: {}", summary.stats.frames, summary.reason);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! [`run`] drives a source into an engine until a stop condition:
//!
//! - `source.rs`: the `Source` trait, one for both kinds of input: `live.rs` (serial
//!   ports, read as bytes arrive) and `replay.rs` (a raw log, with its recorded times);
//! - `reconnect.rs`: the reconnect state machine (which ports are away, when to look for
//!   them, when to give up), free of ports and clocks so its tests drive every transition;
//! - `engine.rs`: the framers and the raw log being recorded, fed by the source;
//! - `writer.rs`: the output (pcap/pcapng sink, counting, the stops it causes);
//! - `stop.rs` (signals, the stop flag, the time limit), `progress.rs` ([`Stats`],
//!   [`Progress`]), `error.rs` ([`Error`]).

mod engine;
mod error;
mod live;
mod progress;
mod reconnect;
mod replay;
mod source;
mod stop;
mod writer;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use udrv_core::serial::{self, LineSettings, Rs485Config};

pub use error::Error;
pub use progress::{plural, Progress, Stats, StderrProgress};

use crate::frame::{Direction, Frame};
use crate::framer::{FramerKind, Timing};
use crate::pcap::{Format, FrameSink, Interface, LinkType};
use crate::rotate::Rotation;
use engine::Engine;
use live::Live;
use replay::Replay;
use source::{Setup, Source};
use stop::Stopper;
use writer::{open_output, Writer};

/// One port to capture from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    /// The device, e.g. `/dev/ttyUSB0`.
    pub path: PathBuf,
    /// The direction of everything heard on it (4-wire tap), or `Unknown` to let the framer
    /// infer it (Modbus: requests outbound, responses inbound).
    pub direction: Direction,
}

impl PortSpec {
    /// A port whose frames' direction the framer infers.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        PortSpec {
            path: path.into(),
            direction: Direction::Unknown,
        }
    }

    /// A port whose frames all go `direction`.
    pub fn with_direction(path: impl Into<PathBuf>, direction: Direction) -> Self {
        PortSpec {
            path: path.into(),
            direction,
        }
    }
}

/// Where the capture goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A file (created or truncated), a FIFO (Wireshark extcap), or with [`Rotation`] the
    /// base name of a series of files.
    Path(PathBuf),
    /// Standard output, for `| wireshark -k -i -` or `| tcpdump -r -`.
    Stdout,
}

impl Output {
    /// `-` is standard output, anything else a path.
    pub fn from_arg(s: &str) -> Output {
        if s == "-" {
            Output::Stdout
        } else {
            Output::Path(PathBuf::from(s))
        }
    }
}

/// Everything a capture needs. The CLI fills it from its arguments.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    /// One port, or two for a 4-wire tap. Ignored when replaying.
    pub ports: Vec<PortSpec>,
    /// Baud rate and character format (ignored when replaying: the log has its own).
    pub line: LineSettings,
    /// Switch the kernel's RS485 mode to this (optional: ptys and many adapters refuse it,
    /// which becomes a warning).
    pub rs485: Option<Rs485Config>,
    /// Ask for low-latency reads (`ASYNC_LOW_LATENCY`, FTDI `latency_timer` = 1 ms).
    pub low_latency: bool,
    /// Override the timestamp resolution the framers trust (default: estimated from the
    /// port kind and latency settings, or read from the raw log).
    pub resolution: Option<Duration>,
    /// The protocol framer.
    pub framer: FramerKind,
    /// pcap or pcapng.
    pub format: Format,
    /// The link type; `None`: the framer's default (USER0, or BACNET_MS_TP for MS/TP).
    pub link_type: Option<LinkType>,
    /// Where the frames go.
    pub output: Output,
    /// Start new files by size or time (needs [`Output::Path`]).
    pub rotation: Rotation,
    /// Also record every chunk read into this raw log.
    pub raw_log: Option<PathBuf>,
    /// Re-frame this raw log instead of reading ports.
    pub replay: Option<PathBuf>,
    /// Stop after this many frames.
    pub max_frames: Option<u64>,
    /// Stop after this long (live capture).
    pub max_duration: Option<Duration>,
    /// Stop cleanly on SIGINT and SIGTERM (a second one exits at once).
    pub handle_signals: bool,
    /// Stop when this becomes true (for programs that run the capture in a thread).
    pub stop: Option<Arc<AtomicBool>>,
    /// When a port vanishes, wait this long for its path to exist again (a USB adapter
    /// plugged back in), reopen it with the same settings and go on into the same output;
    /// `None`: stop with [`StopReason::PortVanished`].
    pub reconnect: Option<Duration>,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            ports: Vec::new(),
            line: LineSettings::default(),
            rs485: None,
            low_latency: true,
            resolution: None,
            framer: FramerKind::ModbusRtu,
            format: Format::Pcapng,
            link_type: None,
            output: Output::Stdout,
            rotation: Rotation::default(),
            raw_log: None,
            replay: None,
            max_frames: None,
            max_duration: None,
            handle_signals: true,
            stop: None,
            reconnect: None,
        }
    }
}

/// Why the capture stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// SIGINT (2) or SIGTERM (15).
    Signal(i32),
    /// A port went away (EIO/hang-up, ENODEV), and with [`CaptureConfig::reconnect`] did
    /// not come back in time.
    PortVanished(PathBuf),
    /// The raw log being replayed ended.
    EndOfReplay,
    /// [`CaptureConfig::max_frames`] reached.
    FrameLimit,
    /// [`CaptureConfig::max_duration`] passed.
    TimeLimit,
    /// [`CaptureConfig::stop`] was set.
    Stopped,
    /// The reader of the output went away (EPIPE: Wireshark or tcpdump closed).
    OutputClosed,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Signal(libc::SIGINT) => f.write_str("interrupted (SIGINT)"),
            StopReason::Signal(libc::SIGTERM) => f.write_str("terminated (SIGTERM)"),
            StopReason::Signal(n) => write!(f, "signal {n}"),
            StopReason::PortVanished(p) => write!(f, "{} went away", p.display()),
            StopReason::EndOfReplay => f.write_str("end of the raw log"),
            StopReason::FrameLimit => f.write_str("frame limit reached"),
            StopReason::TimeLimit => f.write_str("time limit reached"),
            StopReason::Stopped => f.write_str("stopped"),
            StopReason::OutputClosed => f.write_str("the output was closed"),
        }
    }
}

/// What [`run`] reports at the end.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Counters.
    pub stats: Stats,
    /// Why it stopped.
    pub reason: StopReason,
    /// Files written (one unless rotating; empty for stdout).
    pub files: Vec<PathBuf>,
    /// The timestamp resolution the framers trusted.
    pub resolution: Duration,
    /// Warnings given during the capture (also passed to [`Progress::warning`]).
    pub warnings: Vec<String>,
    /// Per port, what the driver counted during the capture (`TIOCGICOUNT`: framing,
    /// parity and overrun errors; since the port was last opened, for one that
    /// reconnected), or `None` where the port has no counters (ptys, some adapters), is
    /// away at the end, and in a replay.
    pub line_errors: Vec<Option<serial::Counters>>,
}

/// Runs a capture (or a replay) as `config` says, until a [`StopReason`].
pub fn run(config: &CaptureConfig, progress: &mut dyn Progress) -> Result<Summary, Error> {
    let stopper = Stopper::new(config)?;
    let mut warnings = Vec::new();
    let mut warn = |progress: &mut dyn Progress, msg: String| {
        progress.warning(&msg);
        warnings.push(msg);
    };

    // The source: a raw log, or ports.
    let mut source: Box<dyn Source + '_> = match &config.replay {
        Some(path) => Box::new(Replay::open(path, config.resolution)?),
        None => Box::new(Live::open(config, &mut |m| warn(&mut *progress, m))?),
    };
    let Setup {
        line,
        names,
        resolution,
        live,
    } = source.setup().clone();
    if let Some(msg) = coarse_timestamps(config, &line, resolution) {
        warn(progress, msg);
    }
    if config.format == Format::Pcap && names.len() > 1 {
        warn(
            progress,
            "pcap records neither ports nor directions: use pcapng for a 4-wire tap".into(),
        );
    }
    let (interfaces, directions) = interfaces(config, &names, &line);
    let (sink, out_path) = open_output(config, &interfaces, live)?;
    let raw = match &config.raw_log {
        Some(path) => Some(engine::create_raw_log(path, line, &names, resolution)?),
        None => None,
    };
    let writer = Writer {
        sink,
        path: out_path,
        directions,
        stats: Stats::default(),
        max_frames: config.max_frames,
        progress,
        frames: Vec::new(),
        notes: vec![None; names.len()],
        warnings,
    };
    let mut engine = Engine::new(
        writer,
        names.len(),
        raw,
        config.framer.clone(),
        line,
        resolution,
    );

    source.begin(&mut engine, &interfaces);
    let mut reason = loop {
        if let Some(r) = stopper.check() {
            break r;
        }
        if let Some(r) = source.step(&mut engine)? {
            break r;
        }
    };
    source.end(&mut engine, &mut reason)?;

    // Whatever stopped us: hand out what the framers hold, then flush.
    if reason != StopReason::OutputClosed && reason != StopReason::FrameLimit {
        engine.finish()?;
    }
    engine.flush()?;
    let w = &mut engine.w;
    let files = match &config.output {
        Output::Path(_) if config.rotation.is_on() => w.sink.files(),
        Output::Path(p) => vec![p.clone()],
        Output::Stdout => Vec::new(),
    };
    let line_errors = source.line_errors();
    for (spec, c) in config.ports.iter().zip(&line_errors) {
        if let Some(c) = c.filter(|c| c.has_errors()) {
            w.warn(line_error_warning(spec, &c));
        }
    }
    let summary = Summary {
        stats: w.stats.clone(),
        reason,
        files,
        resolution,
        warnings: std::mem::take(&mut w.warnings),
        line_errors,
    };
    w.progress.finished(&summary);
    Ok(summary)
}

/// The warning for Modbus RTU when timestamps are too coarse to see t3.5 silences.
fn coarse_timestamps(
    config: &CaptureConfig,
    line: &LineSettings,
    resolution: Duration,
) -> Option<String> {
    let timing = Timing::modbus(line, resolution);
    (config.framer == FramerKind::ModbusRtu && resolution.as_nanos() as u64 > timing.t35_ns).then(
        || {
            format!(
                "timestamps are only good to {:.1} ms, coarser than t3.5 = {:.2} ms at {line}: \
                 frames are cut by function code and CRC, silences are not trusted to flag \
                 gap errors (set the adapter's latency timer to 1 ms to do better)",
                resolution.as_secs_f64() * 1e3,
                timing.t35_ns as f64 / 1e6
            )
        },
    )
}

/// One pcap(ng) interface per port named in `names`, and each port's direction (a
/// replayed log's ports take the directions of the ports `config` names, if any).
fn interfaces(
    config: &CaptureConfig,
    names: &[String],
    line: &LineSettings,
) -> (Vec<Interface>, Vec<Direction>) {
    let link = config
        .link_type
        .clone()
        .unwrap_or_else(|| config.framer.default_link_type());
    let directions: Vec<Direction> = (0..names.len())
        .map(|i| {
            config
                .ports
                .get(i)
                .map(|p| p.direction)
                .unwrap_or(Direction::Unknown)
        })
        .collect();
    let interfaces = names
        .iter()
        .zip(&directions)
        .map(|(name, dir)| Interface {
            name: name.clone(),
            description: format!(
                "RS485 {line}, framer {}{}",
                config.framer,
                match dir {
                    Direction::Inbound => ", inbound",
                    Direction::Outbound => ", outbound",
                    Direction::Unknown => "",
                }
            ),
            link_type: link.clone(),
            speed_bps: Some(line.baud as u64),
        })
        .collect();
    (interfaces, directions)
}

/// The warning for a port whose driver counted line errors during the capture.
fn line_error_warning(spec: &PortSpec, c: &serial::Counters) -> String {
    format!(
        "{}: the driver counted {} framing, {} parity, {} overrun, {} buffer overrun \
         errors and {} breaks during the capture",
        spec.path.display(),
        c.frame,
        c.parity,
        c.overrun,
        c.buf_overrun,
        c.brk
    )
}

/// Writes `frames` to `sink` with no engine around them: for programs that frame bytes
/// they got elsewhere.
pub fn write_all(sink: &mut dyn FrameSink, frames: &[Frame]) -> io::Result<()> {
    for f in frames {
        sink.write_frame(f)?;
    }
    sink.flush()
}
