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

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal};
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use udrv_core::serial::{self, LineSettings, ReadOutcome, Readiness, Rs485Config, SerialPort};

use crate::frame::{Direction, Frame, Status};
use crate::framer::{Framer, FramerKind, Timing};
use crate::pcap::{open_sink, Format, FrameSink, Interface, LinkType};
use crate::rawlog::{PortEvent, RawLogHeader, RawLogReader, RawLogWriter};
use crate::rotate::{RotatingSink, Rotation};
use crate::time::Timestamp;

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

/// Counters, updated per frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames written (good and bad).
    pub frames: u64,
    /// Frames with any error flag.
    pub bad_frames: u64,
    /// Frames with a CRC error.
    pub crc_errors: u64,
    /// Frames with a wrong inter-frame gap.
    pub gap_errors: u64,
    /// Frames shorter than the protocol allows, or cut off.
    pub too_short: u64,
    /// Frames longer than the protocol allows.
    pub too_long: u64,
    /// Noise (bytes that formed no frame).
    pub noise: u64,
    /// Frames with a byte-stuffing or encoding error (SLIP, HDLC, COBS).
    pub bad_encoding: u64,
    /// Bytes read from the ports (or the log).
    pub bytes: u64,
    /// Ports that vanished and were opened again ([`CaptureConfig::reconnect`]).
    pub reconnects: u32,
}

impl Stats {
    fn count(&mut self, f: &Frame) {
        self.frames += 1;
        if !f.status.is_ok() {
            self.bad_frames += 1;
        }
        if f.status.contains(Status::CRC_ERROR) {
            self.crc_errors += 1;
        }
        if f.status.contains(Status::WRONG_GAP) {
            self.gap_errors += 1;
        }
        if f.status.contains(Status::TOO_SHORT) {
            self.too_short += 1;
        }
        if f.status.contains(Status::TOO_LONG) {
            self.too_long += 1;
        }
        if f.status.contains(Status::NOISE) {
            self.noise += 1;
        }
        if f.status.contains(Status::BAD_ENCODING) {
            self.bad_encoding += 1;
        }
    }
}

/// `n` and `word`, with an `s` unless `n` is 1: `1 frame`, `3 frames`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl fmt::Display for Stats {
    /// `3 frames, 25 bytes`; with bad frames, what is wrong with them (a frame can have
    /// several faults): `4 frames (2 bad: 1 CRC error, 1 too short), 31 bytes`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&plural(self.frames, "frame"))?;
        if self.bad_frames > 0 {
            let kinds: Vec<String> = [
                (self.crc_errors, "CRC error", "CRC errors"),
                (self.gap_errors, "gap error", "gap errors"),
                (self.too_short, "too short", "too short"),
                (self.too_long, "too long", "too long"),
                (self.noise, "noise", "noise"),
                (self.bad_encoding, "bad encoding", "bad encoding"),
            ]
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
            .collect();
            write!(f, " ({} bad: {})", self.bad_frames, kinds.join(", "))?;
        }
        write!(f, ", {}", plural(self.bytes, "byte"))?;
        match self.reconnects {
            0 => Ok(()),
            n => write!(f, ", {}", plural(n.into(), "reconnect")),
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

/// Receives progress while a capture runs. Every method has an empty default.
pub trait Progress {
    /// The ports are open (or the log is), the output's header is written: capture runs.
    fn started(&mut self, _interfaces: &[Interface]) {}
    /// A replay of the raw log `log` starts (the interfaces are the ports it was recorded
    /// on); calls [`Progress::started`] unless implemented.
    fn replaying(&mut self, log: &Path, interfaces: &[Interface]) {
        let _ = log;
        self.started(interfaces);
    }
    /// A frame was written.
    fn frame(&mut self, _frame: &Frame, _stats: &Stats) {}
    /// Something the user should know (RS485 mode refused, coarse timestamps, a port gone
    /// and back).
    fn warning(&mut self, _message: &str) {}
    /// The capture has stopped.
    fn finished(&mut self, _summary: &Summary) {}
}

impl Progress for () {}

/// Prints a frame count on stderr, at most five times a second, and warnings on their own
/// lines: what `udrv capture` shows while running.
#[derive(Debug)]
pub struct StderrProgress {
    last: Option<Instant>,
    tty: bool,
}

impl StderrProgress {
    /// A progress printer; on a terminal the count rewrites one line.
    pub fn new() -> Self {
        StderrProgress {
            last: None,
            tty: io::stderr().is_terminal(),
        }
    }
}

impl Default for StderrProgress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress for StderrProgress {
    fn started(&mut self, interfaces: &[Interface]) {
        for i in interfaces {
            eprintln!(
                "capturing on {} ({}), link type {}",
                i.name,
                i.description,
                i.link_type.name()
            );
        }
    }
    fn replaying(&mut self, log: &Path, interfaces: &[Interface]) {
        for i in interfaces {
            eprintln!(
                "replaying {} (recorded on {}, {}), link type {}",
                log.display(),
                i.name,
                i.description,
                i.link_type.name()
            );
        }
    }
    fn frame(&mut self, _frame: &Frame, stats: &Stats) {
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(200))
        {
            return;
        }
        self.last = Some(Instant::now());
        if self.tty {
            eprint!("\r{stats}   ");
        } else {
            eprintln!("{stats}");
        }
    }
    fn warning(&mut self, message: &str) {
        if self.tty && self.last.is_some() {
            eprintln!();
        }
        eprintln!("warning: {message}");
    }
    fn finished(&mut self, summary: &Summary) {
        if self.tty && self.last.is_some() {
            eprintln!();
        }
        eprintln!("{}; stopped: {}", summary.stats, summary.reason);
    }
}

/// Errors that prevent or end a capture. A port vanishing is not one: that is a
/// [`StopReason`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A port could not be opened or set up.
    Serial(serial::Error),
    /// The output could not be created or written.
    Output {
        /// The file, `None` for stdout.
        path: Option<PathBuf>,
        /// The OS error.
        source: io::Error,
    },
    /// Writing the output failed during the capture (a full disk, a file-size limit, an
    /// I/O error): the capture stopped; a file keeps every frame written before, whole.
    OutputFailed {
        /// The file, `None` for stdout.
        path: Option<PathBuf>,
        /// The OS error.
        source: io::Error,
        /// Frames written before the failure.
        frames: u64,
    },
    /// The raw log could not be written.
    RawLog {
        /// The log file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The raw log to replay could not be read.
    Replay {
        /// The log file.
        path: PathBuf,
        /// The OS error or format problem.
        source: io::Error,
    },
    /// The configuration does not make sense.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Serial(e) => e.fmt(f),
            Error::Output {
                path: Some(p),
                source,
            } => {
                write!(
                    f,
                    "cannot write {}: {}",
                    p.display(),
                    udrv_core::error::describe(source)
                )
            }
            Error::Output { path: None, source } => {
                write!(
                    f,
                    "cannot write standard output: {}",
                    udrv_core::error::describe(source)
                )
            }
            Error::OutputFailed {
                path,
                source,
                frames,
            } => {
                let what = match path {
                    Some(p) => p.display().to_string(),
                    None => "standard output".to_string(),
                };
                write!(
                    f,
                    "cannot write {what}: {}; the capture stopped after {}",
                    udrv_core::error::describe(source),
                    plural(*frames, "frame")
                )?;
                if path.is_some() {
                    f.write_str(" (the file is valid up to its last complete frame)")?;
                }
                Ok(())
            }
            Error::RawLog { path, source } => {
                write!(
                    f,
                    "cannot write raw log {}: {}",
                    path.display(),
                    udrv_core::error::describe(source)
                )
            }
            Error::Replay { path, source } => {
                write!(
                    f,
                    "cannot replay {}: {}",
                    path.display(),
                    udrv_core::error::describe(source)
                )
            }
            Error::Config(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Serial(e) => Some(e),
            Error::Output { source, .. }
            | Error::OutputFailed { source, .. }
            | Error::RawLog { source, .. }
            | Error::Replay { source, .. } => Some(source),
            Error::Config(_) => None,
        }
    }
}

impl From<serial::Error> for Error {
    fn from(e: serial::Error) -> Self {
        Error::Serial(e)
    }
}

/// The frames' destination with the bookkeeping around it.
struct Writer<'p> {
    sink: Box<dyn FrameSink>,
    path: Option<PathBuf>,
    directions: Vec<Direction>,
    stats: Stats,
    max_frames: Option<u64>,
    progress: &'p mut dyn Progress,
    frames: Vec<Frame>,
    /// Per port, a comment for its next frame (the first after a reconnect).
    notes: Vec<Option<String>>,
    warnings: Vec<String>,
}

impl Writer<'_> {
    /// Writes the frames collected from `port`'s framer; says when to stop.
    fn deliver(&mut self, port: usize) -> Result<Option<StopReason>, Error> {
        let mut frames = std::mem::take(&mut self.frames);
        let mut stop = None;
        for mut f in frames.drain(..) {
            f.interface = port as u32;
            if self.directions[port] != Direction::Unknown {
                f.direction = self.directions[port];
            }
            let written = match self.notes[port].take() {
                Some(note) => self.sink.write_frame_with_comment(&f, &note),
                None => self.sink.write_frame(&f),
            };
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    return Ok(Some(StopReason::OutputClosed))
                }
                Err(source) => {
                    return Err(Error::OutputFailed {
                        path: self.path.clone(),
                        source,
                        frames: self.stats.frames,
                    })
                }
            }
            self.stats.count(&f);
            self.progress.frame(&f, &self.stats);
            if self.max_frames.is_some_and(|m| self.stats.frames >= m) {
                stop = Some(StopReason::FrameLimit);
                break;
            }
        }
        self.frames = frames;
        Ok(stop)
    }

    /// `port` went away: its framer gives out what it held (a partial frame comes out
    /// flagged too short, as at the end of a capture) and is replaced by `fresh` for when
    /// the port is back. Live capture and replay both call this.
    fn port_gone(
        &mut self,
        framer: &mut Box<dyn Framer>,
        fresh: Box<dyn Framer>,
        port: usize,
    ) -> Result<Option<StopReason>, Error> {
        framer.finish(&mut self.frames);
        *framer = fresh;
        self.deliver(port)
    }

    /// `port` is back after `away`: counted, and its next frame says so in a comment.
    /// Returns the gap in seconds as the messages give it.
    fn port_back(&mut self, port: usize, away: Duration) -> String {
        let gap = format!("{:.1}", away.as_secs_f64());
        self.stats.reconnects += 1;
        self.notes[port] = Some(format!("udrv: after reconnect (port was away {gap} s)"));
        gap
    }

    /// Tells the user, and keeps it for the summary.
    fn warn(&mut self, message: String) {
        self.progress.warning(&message);
        self.warnings.push(message);
    }

    fn flush(&mut self) -> Result<(), Error> {
        match self.sink.flush() {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Err(source) => Err(Error::OutputFailed {
                path: self.path.clone(),
                source,
                frames: self.stats.frames,
            }),
        }
    }
}

/// Stop conditions shared by live capture and replay.
struct Stopper {
    signal: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
    external: Option<Arc<AtomicBool>>,
    until: Option<Instant>,
}

impl Stopper {
    fn new(config: &CaptureConfig) -> Result<Stopper, Error> {
        let signal = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
        if config.handle_signals {
            let armed = Arc::new(AtomicBool::new(false));
            for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                let reg = |r: io::Result<signal_hook::SigId>| {
                    r.map_err(|e| Error::Config(format!("cannot install signal handler: {e}")))
                };
                // A second signal exits at once, in case the first one's clean stop hangs.
                ids.push(reg(signal_hook::flag::register_conditional_shutdown(
                    sig,
                    130,
                    armed.clone(),
                ))?);
                ids.push(reg(signal_hook::flag::register(sig, armed.clone()))?);
                ids.push(reg(signal_hook::flag::register_usize(
                    sig,
                    signal.clone(),
                    sig as usize,
                ))?);
            }
        }
        Ok(Stopper {
            signal,
            ids,
            external: config.stop.clone(),
            until: config.max_duration.map(|d| Instant::now() + d),
        })
    }

    fn check(&self) -> Option<StopReason> {
        match self.signal.load(Ordering::SeqCst) {
            0 => {}
            n => return Some(StopReason::Signal(n as i32)),
        }
        if self
            .external
            .as_ref()
            .is_some_and(|s| s.load(Ordering::SeqCst))
        {
            return Some(StopReason::Stopped);
        }
        if self.until.is_some_and(|u| Instant::now() >= u) {
            return Some(StopReason::TimeLimit);
        }
        None
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

fn is_pipe(file: &File) -> bool {
    file.metadata()
        .map(|m| m.file_type().is_fifo() || m.file_type().is_socket())
        .unwrap_or(false)
}

fn open_output(
    config: &CaptureConfig,
    interfaces: &[Interface],
    live: bool,
) -> Result<(Box<dyn FrameSink>, Option<PathBuf>), Error> {
    let out_err = |path: Option<&Path>, source| Error::Output {
        path: path.map(Path::to_path_buf),
        source,
    };
    match &config.output {
        Output::Stdout => {
            if config.rotation.is_on() {
                return Err(Error::Config(
                    "file rotation needs an output file, not standard output".into(),
                ));
            }
            let mut sink = open_sink(config.format, BufWriter::new(io::stdout()), interfaces)
                .map_err(|e| out_err(None, e))?;
            sink.set_flush_each(true);
            sink.flush().map_err(|e| out_err(None, e))?;
            Ok((sink, None))
        }
        Output::Path(p) if config.rotation.is_on() => {
            let rot = RotatingSink::new(p, config.format, interfaces, config.rotation);
            let mut sink: Box<dyn FrameSink> = Box::new(rot);
            sink.set_flush_each(live);
            Ok((sink, Some(p.clone())))
        }
        Output::Path(p) => {
            let file = File::create(p).map_err(|e| out_err(Some(p), e))?;
            let pipe = is_pipe(&file);
            let file = crate::pcap::BlockFile::new(file).map_err(|e| out_err(Some(p), e))?;
            let mut sink =
                open_sink(config.format, file, interfaces).map_err(|e| out_err(Some(p), e))?;
            sink.set_flush_each(live || pipe);
            sink.flush().map_err(|e| out_err(Some(p), e))?;
            Ok((sink, Some(p.clone())))
        }
    }
}

/// Runs a capture (or a replay) as `config` says, until a [`StopReason`].
pub fn run(config: &CaptureConfig, progress: &mut dyn Progress) -> Result<Summary, Error> {
    let stopper = Stopper::new(config)?;
    let mut warnings = Vec::new();
    let mut warn = |progress: &mut dyn Progress, msg: String| {
        progress.warning(&msg);
        warnings.push(msg);
    };

    // Sources: a raw log, or ports.
    let mut replay = None;
    let mut ports = Vec::new();
    let (line, names, resolution) = if let Some(path) = &config.replay {
        let r = RawLogReader::open(path).map_err(|source| Error::Replay {
            path: path.clone(),
            source,
        })?;
        let h = r.header().clone();
        replay = Some(r);
        (h.line, h.ports, config.resolution.unwrap_or(h.resolution))
    } else {
        if config.ports.is_empty() {
            return Err(Error::Config(
                "no port to capture from: name one (or two for a 4-wire tap)".into(),
            ));
        }
        let mut resolution = Duration::ZERO;
        for spec in &config.ports {
            let opened = open_port(spec, config)?;
            for note in opened.notes {
                warn(progress, note);
            }
            resolution = resolution.max(opened.resolution);
            ports.push(Some(opened.port));
        }
        let names = config
            .ports
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        (config.line, names, config.resolution.unwrap_or(resolution))
    };
    let timing = Timing::modbus(&line, resolution);
    if config.framer == FramerKind::ModbusRtu && resolution.as_nanos() as u64 > timing.t35_ns {
        warn(
            progress,
            format!(
                "timestamps are only good to {:.1} ms, coarser than t3.5 = {:.2} ms at {line}: \
                 frames are cut by function code and CRC, silences are not trusted to flag \
                 gap errors (set the adapter's latency timer to 1 ms to do better)",
                resolution.as_secs_f64() * 1e3,
                timing.t35_ns as f64 / 1e6
            ),
        );
    }

    let link = config
        .link_type
        .clone()
        .unwrap_or_else(|| config.framer.default_link_type());
    let directions: Vec<Direction> = if replay.is_some() {
        (0..names.len())
            .map(|i| {
                config
                    .ports
                    .get(i)
                    .map(|p| p.direction)
                    .unwrap_or(Direction::Unknown)
            })
            .collect()
    } else {
        config.ports.iter().map(|p| p.direction).collect()
    };
    if config.format == Format::Pcap && names.len() > 1 {
        warn(
            progress,
            "pcap records neither ports nor directions: use pcapng for a 4-wire tap".into(),
        );
    }
    let interfaces: Vec<Interface> = names
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

    let (sink, out_path) = open_output(config, &interfaces, replay.is_none())?;
    let mut raw = match &config.raw_log {
        Some(path) => {
            let header = RawLogHeader {
                line,
                ports: names.clone(),
                resolution,
            };
            Some((
                RawLogWriter::create(path, &header).map_err(|source| Error::RawLog {
                    path: path.clone(),
                    source,
                })?,
                path.clone(),
            ))
        }
        None => None,
    };
    let mut framers: Vec<Box<dyn Framer>> = names
        .iter()
        .map(|_| config.framer.build(&line, resolution))
        .collect();
    let mut w = Writer {
        sink,
        path: out_path.clone(),
        directions,
        stats: Stats::default(),
        max_frames: config.max_frames,
        progress,
        frames: Vec::new(),
        notes: vec![None; names.len()],
        warnings,
    };

    let mut counters_at_start: Vec<Option<serial::Counters>> = ports
        .iter()
        .map(|p| p.as_ref().and_then(|p| p.counters().ok()))
        .collect();
    let mut reason = None;
    if let Some(mut log) = replay {
        let path = config.replay.clone().unwrap_or_default();
        w.progress.replaying(&path, &interfaces);
        let mut gone_at: Vec<Option<Timestamp>> = vec![None; framers.len()];
        while reason.is_none() {
            reason = stopper.check();
            if reason.is_some() {
                break;
            }
            let Some(chunk) = log.next_chunk().map_err(|source| Error::Replay {
                path: path.clone(),
                source,
            })?
            else {
                reason = Some(StopReason::EndOfReplay);
                break;
            };
            let port = chunk.port as usize;
            if port >= framers.len() {
                return Err(Error::Replay {
                    path,
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("chunk for port {port}"),
                    ),
                });
            }
            w.stats.bytes += chunk.data.len() as u64;
            if let Some((rl, rp)) = &mut raw {
                let r = match chunk.event {
                    Some(e) => rl.write_event(chunk.timestamp, chunk.port, e),
                    None if chunk.tick => rl.write_tick(chunk.timestamp, chunk.port),
                    None => rl.write_chunk(chunk.timestamp, chunk.port, &chunk.data),
                };
                r.map_err(|source| Error::RawLog {
                    path: rp.clone(),
                    source,
                })?;
            }
            match chunk.event {
                Some(PortEvent::Gone) => {
                    gone_at[port] = Some(chunk.timestamp);
                    let fresh = config.framer.build(&line, resolution);
                    reason = w.port_gone(&mut framers[port], fresh, port)?;
                }
                Some(PortEvent::Back) => {
                    let away = gone_at[port]
                        .take()
                        .map(|t| chunk.timestamp.since(t))
                        .unwrap_or_default();
                    w.port_back(port, away);
                }
                None => {
                    if chunk.tick {
                        framers[port].tick(chunk.timestamp, &mut w.frames);
                    } else {
                        framers[port].feed(chunk.timestamp, &chunk.data, &mut w.frames);
                    }
                    reason = w.deliver(port)?;
                }
            }
        }
        if log.truncated() {
            w.warn(format!(
                "{}: the raw log is cut short inside its last record (the capture writing it \
                 was killed?); replayed up to its last whole record",
                path.display()
            ));
        }
    } else {
        w.progress.started(&interfaces);
        let mut buf = vec![0u8; 4096];
        let mut away: Vec<Option<Away>> = ports.iter().map(|_| None).collect();
        'outer: loop {
            if let Some(r) = stopper.check() {
                reason = Some(r);
                break;
            }
            // Ports that went away: is the path there again (a by-id link recreated)?
            for i in 0..ports.len() {
                let Some(a) = &mut away[i] else { continue };
                let now = Instant::now();
                if now < a.next_look {
                    continue;
                }
                a.next_look = now + LOOK_EVERY;
                let spec = &config.ports[i];
                // `exists` follows symlinks: a link to a node not yet recreated is not back.
                let opened = match spec.path.exists().then(|| open_port(spec, config)) {
                    Some(Ok(o)) => Some(o),
                    Some(Err(e)) => {
                        a.last_error = Some(e.to_string());
                        None
                    }
                    None => None,
                };
                match opened {
                    Some(o) => {
                        let gone = a.at;
                        away[i] = None;
                        let back = Timestamp::now();
                        event_logged(&mut raw, back, i, PortEvent::Back)?;
                        let gap = w.port_back(i, back.since(gone));
                        w.warn(format!("{} is back after {gap} s", spec.path.display()));
                        for note in o.notes {
                            w.warn(note);
                        }
                        if o.resolution > resolution {
                            w.warn(format!(
                                "{}: timestamps are now only good to {:.1} ms, the framers \
                                 still trust {:.1} ms",
                                spec.path.display(),
                                o.resolution.as_secs_f64() * 1e3,
                                resolution.as_secs_f64() * 1e3
                            ));
                        }
                        counters_at_start[i] = o.port.counters().ok();
                        ports[i] = Some(o.port);
                    }
                    None if a.until.is_some_and(|u| now >= u) => {
                        let tried = match &a.last_error {
                            Some(e) => format!(" (it exists, but: {e})"),
                            None => String::new(),
                        };
                        let waited = secs(config.reconnect.unwrap_or_default());
                        w.warn(format!(
                            "{} did not come back within {waited} s{tried}",
                            spec.path.display()
                        ));
                        reason = Some(StopReason::PortVanished(spec.path.clone()));
                        break 'outer;
                    }
                    None => {}
                }
            }
            let now = Timestamp::now();
            let deadline = framers.iter().filter_map(|f| f.deadline()).min();
            let timeout = deadline
                .map(|d| d.since(now))
                .unwrap_or(LOOK_EVERY)
                .min(LOOK_EVERY);
            // Ports that are away are not polled (with none left this sleeps `timeout`).
            let fds: Vec<_> = ports.iter().flatten().map(|p| p.as_fd()).collect();
            let polled = match serial::poll_ports(&fds, Some(timeout)) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Error::Serial(serial::Error::Io {
                        path: config.ports[0].path.clone(),
                        op: "poll",
                        source,
                    }))
                }
            };
            drop(fds);
            let mut ready = vec![Readiness::Idle; ports.len()];
            let present = (0..ports.len()).filter(|&i| ports[i].is_some());
            for (i, state) in present.zip(polled) {
                ready[i] = state;
            }
            // On quiet ports, silences that ended before these reads close frames first, so
            // that frames from two ports are written in the order they happened. (A port
            // with bytes waiting decides in `feed`, from when those bytes started.)
            let now = Timestamp::now();
            for (i, f) in framers.iter_mut().enumerate() {
                if ready[i] == Readiness::Idle && f.deadline().is_some_and(|d| d <= now) {
                    tick_logged(&mut raw, now, i)?;
                    f.tick(now, &mut w.frames);
                    if let Some(r) = w.deliver(i)? {
                        reason = Some(r);
                        break 'outer;
                    }
                }
            }
            for (i, state) in ready.iter().enumerate() {
                if *state == Readiness::Idle {
                    continue;
                }
                let Some(port) = ports[i].as_mut() else {
                    continue;
                };
                match port.read_now(&mut buf)? {
                    ReadOutcome::Data(n) => {
                        let ts = Timestamp::now();
                        w.stats.bytes += n as u64;
                        if let Some((rl, rp)) = &mut raw {
                            rl.write_chunk(ts, i as u8, &buf[..n]).map_err(|source| {
                                Error::RawLog {
                                    path: rp.clone(),
                                    source,
                                }
                            })?;
                        }
                        framers[i].feed(ts, &buf[..n], &mut w.frames);
                        if let Some(r) = w.deliver(i)? {
                            reason = Some(r);
                            break 'outer;
                        }
                    }
                    ReadOutcome::Timeout => {}
                    ReadOutcome::Vanished => {
                        let path = &config.ports[i].path;
                        let Some(limit) = config.reconnect else {
                            reason = Some(StopReason::PortVanished(path.clone()));
                            break 'outer;
                        };
                        ports[i] = None; // closed: a replugged adapter is a new device
                        let at = Timestamp::now();
                        event_logged(&mut raw, at, i, PortEvent::Gone)?;
                        let fresh = config.framer.build(&line, resolution);
                        if let Some(r) = w.port_gone(&mut framers[i], fresh, i)? {
                            reason = Some(r);
                            break 'outer;
                        }
                        w.warn(format!(
                            "{} went away; waiting up to {} s for it to come back",
                            path.display(),
                            secs(limit)
                        ));
                        let now = Instant::now();
                        away[i] = Some(Away {
                            at,
                            // (A wait too long for the clock has no end.)
                            until: now.checked_add(limit),
                            next_look: now + LOOK_EVERY,
                            last_error: None,
                        });
                    }
                }
            }
            let now = Timestamp::now();
            for (i, f) in framers.iter_mut().enumerate() {
                if f.deadline().is_some_and(|d| d <= now) {
                    tick_logged(&mut raw, now, i)?;
                    f.tick(now, &mut w.frames);
                    if let Some(r) = w.deliver(i)? {
                        reason = Some(r);
                        break 'outer;
                    }
                }
            }
        }
    }

    // Bytes already received on the other ports still belong in the capture.
    if !ports.is_empty()
        && !matches!(
            reason,
            Some(StopReason::OutputClosed | StopReason::FrameLimit)
        )
    {
        let mut buf = vec![0u8; 4096];
        for (i, port) in ports.iter_mut().enumerate() {
            let Some(port) = port else {
                continue;
            };
            // Bounded: a busy bus must not keep a stopping capture alive.
            for _ in 0..64 {
                let Ok(ReadOutcome::Data(n)) = port.read_now(&mut buf) else {
                    break;
                };
                let ts = Timestamp::now();
                w.stats.bytes += n as u64;
                if let Some((rl, rp)) = &mut raw {
                    rl.write_chunk(ts, i as u8, &buf[..n])
                        .map_err(|source| Error::RawLog {
                            path: rp.clone(),
                            source,
                        })?;
                }
                framers[i].feed(ts, &buf[..n], &mut w.frames);
                if let Some(r) = w.deliver(i)? {
                    reason = Some(r);
                    break;
                }
            }
        }
    }

    // Whatever stopped us: hand out what the framers hold, then flush.
    let reason = reason.unwrap_or(StopReason::Stopped);
    if reason != StopReason::OutputClosed && reason != StopReason::FrameLimit {
        for (i, f) in framers.iter_mut().enumerate() {
            f.finish(&mut w.frames);
            if w.deliver(i)?.is_some() {
                break;
            }
        }
    }
    w.flush()?;
    if let Some((rl, rp)) = &mut raw {
        rl.flush().map_err(|source| Error::RawLog {
            path: rp.clone(),
            source,
        })?;
    }
    let files = match &config.output {
        Output::Path(_) if config.rotation.is_on() => w.sink.files(),
        Output::Path(p) => vec![p.clone()],
        Output::Stdout => Vec::new(),
    };
    let line_errors: Vec<Option<serial::Counters>> = ports
        .iter()
        .zip(&counters_at_start)
        .map(|(p, start)| Some(p.as_ref()?.counters().ok()?.since(start.as_ref()?)))
        .collect();
    for (spec, c) in config.ports.iter().zip(&line_errors) {
        if let Some(c) = c.filter(|c| c.has_errors()) {
            let msg = format!(
                "{}: the driver counted {} framing, {} parity, {} overrun, {} buffer overrun \
                 errors and {} breaks during the capture",
                spec.path.display(),
                c.frame,
                c.parity,
                c.overrun,
                c.buf_overrun,
                c.brk
            );
            w.warn(msg);
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

/// How often a capture with reconnect looks for a port that went away.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// A port that went away, waited for ([`CaptureConfig::reconnect`]).
struct Away {
    /// When it went (the raw log's `Gone` record; the gap's start).
    at: Timestamp,
    /// When to give up (`None`: never).
    until: Option<Instant>,
    /// When to look for its path next.
    next_look: Instant,
    /// Why the last open failed, when the path was there.
    last_error: Option<String>,
}

/// A port opened and set up by [`open_port`].
struct Opened {
    port: SerialPort,
    /// How good its timestamps are.
    resolution: Duration,
    /// What did not work (RS485 mode refused, no low latency), for the user.
    notes: Vec<String>,
}

/// Opens `spec` with `config`'s line settings, RS485 mode and low-latency set-up, and
/// discards what waited in the driver: at the start of a capture, and again when a port
/// that went away comes back.
fn open_port(spec: &PortSpec, config: &CaptureConfig) -> Result<Opened, serial::Error> {
    let mut notes = Vec::new();
    let mut port = SerialPort::open(&spec.path, &config.line)?;
    if let Some(rs) = &config.rs485 {
        match port.set_rs485(rs) {
            Ok(got) if got != *rs => notes.push(format!(
                "{}: the kernel adjusted RS485 mode to {got:?}",
                spec.path.display()
            )),
            Ok(_) => {}
            Err(e) => notes.push(e.to_string()),
        }
    }
    let resolution = if config.low_latency {
        let ll = port.set_low_latency();
        if ll.kind != serial::PortKind::Pty {
            for note in &ll.notes {
                notes.push(format!("{}: {note}", spec.path.display()));
            }
        }
        ll.resolution
    } else {
        Duration::from_millis(16)
    };
    // Bytes that waited in the driver before the capture have no usable timestamp.
    let _ = port.discard_input();
    Ok(Opened {
        port,
        resolution,
        notes,
    })
}

/// `d` in seconds for a message: whole seconds as such, else to a tenth.
fn secs(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// Records a port going away or coming back in the raw log, when there is one.
fn event_logged(
    raw: &mut Option<(RawLogWriter<BufWriter<File>>, PathBuf)>,
    at: Timestamp,
    port: usize,
    event: PortEvent,
) -> Result<(), Error> {
    if let Some((rl, rp)) = raw {
        rl.write_event(at, port as u8, event)
            .map_err(|source| Error::RawLog {
                path: rp.clone(),
                source,
            })?;
    }
    Ok(())
}

/// Records a framer tick in the raw log, when there is one.
fn tick_logged(
    raw: &mut Option<(RawLogWriter<BufWriter<File>>, PathBuf)>,
    now: Timestamp,
    port: usize,
) -> Result<(), Error> {
    if let Some((rl, rp)) = raw {
        rl.write_tick(now, port as u8)
            .map_err(|source| Error::RawLog {
                path: rp.clone(),
                source,
            })?;
    }
    Ok(())
}

/// Writes `frames` to `sink` with no engine around them: for programs that frame bytes
/// they got elsewhere.
pub fn write_all(sink: &mut dyn FrameSink, frames: &[Frame]) -> io::Result<()> {
    for f in frames {
        sink.write_frame(f)?;
    }
    sink.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_in_words_every_kind_of_bad_frame() {
        let mut s = Stats::default();
        let t = Timestamp::from_nanos(1);
        s.count(&Frame::new(t, vec![1], Status::OK));
        s.bytes = 1;
        assert_eq!(s.to_string(), "1 frame, 1 byte");
        for status in [
            Status::CRC_ERROR,
            Status::TOO_SHORT,
            Status::TOO_SHORT | Status::WRONG_GAP,
            Status::TOO_LONG,
            Status::NOISE,
            Status::BAD_ENCODING,
        ] {
            s.count(&Frame::new(t, vec![1], status));
        }
        s.bytes = 40;
        s.reconnects = 1;
        assert_eq!(
            s.to_string(),
            "7 frames (6 bad: 1 CRC error, 1 gap error, 2 too short, 1 too long, 1 noise, \
             1 bad encoding), 40 bytes, 1 reconnect"
        );
    }
}
