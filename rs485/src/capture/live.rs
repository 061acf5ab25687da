//! The live source: one serial port, or two for a 4-wire tap, read as bytes arrive and
//! stamped with CLOCK_REALTIME when each read returns; with reconnect, ports that vanish
//! are waited for ([`Reconnect`]) while the others go on.

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use udrv_core::serial::{self, Counters, ReadOutcome, Readiness, SerialPort};

use super::engine::Engine;
use super::reconnect::{Change, Found, Reconnect, LOOK_EVERY};
use super::source::{Setup, Source};
use super::{CaptureConfig, Error, PortSpec, StopReason};
use crate::pcap::Interface;
use crate::time::Timestamp;

/// Serial ports being captured.
pub(crate) struct Live<'c> {
    config: &'c CaptureConfig,
    setup: Setup,
    /// One per [`CaptureConfig::ports`]; `None` while away.
    ports: Vec<Option<SerialPort>>,
    /// Which ports are away, and until when they are waited for.
    reconnect: Reconnect,
    /// The driver's counters when each port was (last) opened.
    counters_at_start: Vec<Option<Counters>>,
    buf: Vec<u8>,
}

impl<'c> Live<'c> {
    /// Opens and sets up every port of `config`, giving what did not work to `warn`.
    pub(crate) fn open(
        config: &'c CaptureConfig,
        warn: &mut dyn FnMut(String),
    ) -> Result<Live<'c>, Error> {
        if config.ports.is_empty() {
            return Err(Error::Config(
                "no port to capture from: name one (or two for a 4-wire tap)".into(),
            ));
        }
        let mut resolution = Duration::ZERO;
        let mut ports = Vec::new();
        for spec in &config.ports {
            let opened = open_port(spec, config)?;
            for note in opened.notes {
                warn(note);
            }
            resolution = resolution.max(opened.resolution);
            ports.push(Some(opened.port));
        }
        let names = config
            .ports
            .iter()
            .map(|p| p.path.display().to_string())
            .collect();
        Ok(Live {
            config,
            setup: Setup {
                line: config.line,
                names,
                resolution: config.resolution.unwrap_or(resolution),
                live: true,
            },
            reconnect: Reconnect::new(ports.len(), config.reconnect),
            counters_at_start: Vec::new(),
            ports,
            buf: vec![0u8; 4096],
        })
    }

    /// Looks for ports that went away: is the path there again (a by-id link recreated)?
    fn look_for_away_ports(
        &mut self,
        engine: &mut Engine<'_>,
    ) -> Result<Option<StopReason>, Error> {
        let config = self.config;
        let changes = self.reconnect.look(Instant::now(), |i| {
            let spec = &config.ports[i];
            // `exists` follows symlinks: a link to a node not yet recreated is not back.
            if !spec.path.exists() {
                return Found::Absent;
            }
            match open_port(spec, config) {
                Ok(o) => Found::Opened(o),
                Err(e) => Found::Failed(e.to_string()),
            }
        });
        for change in changes {
            match change {
                Change::Back {
                    port: i,
                    gone_at,
                    opened: o,
                } => {
                    let spec = &config.ports[i];
                    let back = Timestamp::now();
                    let gap = engine.back(i, back, back.since(gone_at))?;
                    engine
                        .w
                        .warn(format!("{} is back after {gap} s", spec.path.display()));
                    for note in o.notes {
                        engine.w.warn(note);
                    }
                    let resolution = self.setup.resolution;
                    if o.resolution > resolution {
                        engine.w.warn(format!(
                            "{}: timestamps are now only good to {:.1} ms, the framers \
                             still trust {:.1} ms",
                            spec.path.display(),
                            o.resolution.as_secs_f64() * 1e3,
                            resolution.as_secs_f64() * 1e3
                        ));
                    }
                    self.counters_at_start[i] = o.port.counters().ok();
                    self.ports[i] = Some(o.port);
                }
                Change::GaveUp {
                    port: i,
                    last_error,
                } => {
                    let spec = &config.ports[i];
                    let tried = match &last_error {
                        Some(e) => format!(" (it exists, but: {e})"),
                        None => String::new(),
                    };
                    let waited = secs(config.reconnect.unwrap_or_default());
                    engine.w.warn(format!(
                        "{} did not come back within {waited} s{tried}",
                        spec.path.display()
                    ));
                    return Ok(Some(StopReason::PortVanished(spec.path.clone())));
                }
            }
        }
        Ok(None)
    }

    /// Port `i` vanished: the capture stops, or (with reconnect) waits for it.
    fn vanished(&mut self, engine: &mut Engine<'_>, i: usize) -> Result<Option<StopReason>, Error> {
        let path = &self.config.ports[i].path;
        let at = Timestamp::now();
        let Some(limit) = self.reconnect.vanished(i, at, Instant::now()) else {
            return Ok(Some(StopReason::PortVanished(path.clone())));
        };
        self.ports[i] = None; // closed: a replugged adapter is a new device
        if let Some(r) = engine.gone(i, at)? {
            return Ok(Some(r));
        }
        engine.w.warn(format!(
            "{} went away; waiting up to {} s for it to come back",
            path.display(),
            secs(limit)
        ));
        Ok(None)
    }
}

impl Source for Live<'_> {
    fn setup(&self) -> &Setup {
        &self.setup
    }

    fn begin(&mut self, engine: &mut Engine<'_>, interfaces: &[Interface]) {
        self.counters_at_start = self
            .ports
            .iter()
            .map(|p| p.as_ref().and_then(|p| p.counters().ok()))
            .collect();
        engine.w.progress.started(interfaces);
    }

    /// Looks for away ports, polls the present ones until bytes arrive or a framer's
    /// silence ends, then reads, frames and ticks in the order things happened.
    fn step(&mut self, engine: &mut Engine<'_>) -> Result<Option<StopReason>, Error> {
        if let Some(r) = self.look_for_away_ports(engine)? {
            return Ok(Some(r));
        }
        let now = Timestamp::now();
        let timeout = engine
            .next_deadline()
            .map(|d| d.since(now))
            .unwrap_or(LOOK_EVERY)
            .min(LOOK_EVERY);
        // Ports that are away are not polled (with none left this sleeps `timeout`).
        let fds: Vec<_> = self.ports.iter().flatten().map(|p| p.as_fd()).collect();
        let polled = match serial::poll_ports(&fds, Some(timeout)) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(None),
            Err(source) => {
                return Err(Error::Serial(serial::Error::Io {
                    path: self.config.ports[0].path.clone(),
                    op: "poll",
                    source,
                }))
            }
        };
        drop(fds);
        let n = self.ports.len();
        let mut ready = vec![Readiness::Idle; n];
        let present = (0..n).filter(|&i| self.ports[i].is_some());
        for (i, state) in present.zip(polled) {
            ready[i] = state;
        }
        // On quiet ports, silences that ended before these reads close frames first, so
        // that frames from two ports are written in the order they happened. (A port
        // with bytes waiting decides in `feed`, from when those bytes started.)
        let now = Timestamp::now();
        for (i, state) in ready.iter().enumerate() {
            if *state == Readiness::Idle && engine.deadline(i).is_some_and(|d| d <= now) {
                if let Some(r) = engine.tick(i, now)? {
                    return Ok(Some(r));
                }
            }
        }
        for (i, state) in ready.iter().enumerate() {
            if *state == Readiness::Idle {
                continue;
            }
            let Some(port) = self.ports[i].as_mut() else {
                continue;
            };
            let stop = match port.read_now(&mut self.buf)? {
                ReadOutcome::Data(n) => engine.data(i, Timestamp::now(), &self.buf[..n])?,
                ReadOutcome::Timeout => None,
                ReadOutcome::Vanished => self.vanished(engine, i)?,
            };
            if stop.is_some() {
                return Ok(stop);
            }
        }
        let now = Timestamp::now();
        for i in 0..n {
            if engine.deadline(i).is_some_and(|d| d <= now) {
                if let Some(r) = engine.tick(i, now)? {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
    }

    /// Bytes already received on the ports still belong in the capture (unless the output
    /// is gone or full).
    fn end(&mut self, engine: &mut Engine<'_>, reason: &mut StopReason) -> Result<(), Error> {
        if matches!(reason, StopReason::OutputClosed | StopReason::FrameLimit) {
            return Ok(());
        }
        for (i, port) in self.ports.iter_mut().enumerate() {
            let Some(port) = port else {
                continue;
            };
            // Bounded: a busy bus must not keep a stopping capture alive.
            for _ in 0..64 {
                let Ok(ReadOutcome::Data(n)) = port.read_now(&mut self.buf) else {
                    break;
                };
                if let Some(r) = engine.data(i, Timestamp::now(), &self.buf[..n])? {
                    *reason = r;
                    break;
                }
            }
        }
        Ok(())
    }

    fn line_errors(&self) -> Vec<Option<Counters>> {
        self.ports
            .iter()
            .zip(&self.counters_at_start)
            .map(|(p, start)| Some(p.as_ref()?.counters().ok()?.since(start.as_ref()?)))
            .collect()
    }
}

/// A port opened and set up by [`open_port`].
pub(crate) struct Opened {
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
