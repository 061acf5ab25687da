//! The reading loop: chips read on their schedules, readings to the outputs, failing
//! chips retried with backoff, SIGHUP reloads, SIGTERM flushes and stops.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use udrv_boards::catalog::{ChipSpec, Reading, Sequence};

use crate::config::{Config, ConfigError};
use crate::influx::Writer;
use crate::log;
use crate::mqtt::Publisher;
use crate::notify::Notify;
use crate::prometheus::{Metrics, Server};
use crate::queue::{Queue, SeqStore};
use crate::source::{BoardChoice, Source};
use crate::state::{state_document, Shared, Topics};

/// How long SIGTERM (or the end of `--count`/`--duration`) waits for queued readings to
/// reach the broker.
pub const FLUSH: Duration = Duration::from_secs(5);

/// What `udrv serve` is asked to do.
#[derive(Debug)]
pub struct Options {
    /// The configuration file.
    pub config: PathBuf,
    /// The board to read.
    pub board: BoardChoice,
    /// Stop after at least this many readings (the read that reaches it is whole).
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// The machine ID file the board's name derives from when the configuration names
    /// none (`/etc/machine-id`).
    pub machine_id: PathBuf,
}

/// Why `udrv serve` stopped with an error.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration file has mistakes (or cannot be read).
    Config(ConfigError),
    /// Something it needs cannot be had (one line: what, and what to do).
    Failed(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Config(e) => e.fmt(f),
            ServeError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ServeError {}

/// The board's name: the configuration's, or `m` and 12 hex digits derived from the
/// machine ID (an HMAC of it, as systemd advises, not the ID itself).
pub fn board_name(config: &Config, machine_id: &Path) -> Result<String, String> {
    if let Some(b) = &config.board {
        return Ok(b.clone());
    }
    let id = std::fs::read_to_string(machine_id).map_err(|e| {
        format!(
            "{}: cannot read the machine ID ({e}): name the board in the configuration \
             (board = \"kitchen\")",
            machine_id.display()
        )
    })?;
    let id = id.trim();
    if id.len() != 32 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{}: not a machine ID (32 hex digits): name the board in the configuration \
             (board = \"kitchen\")",
            machine_id.display()
        ));
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, id.as_bytes());
    let tag = ring::hmac::sign(&key, b"udrv board name");
    let hex: String = tag.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("m{hex}"))
}

/// A chip's place in the schedule.
struct Slot {
    chip: crate::config::Chip,
    next: Instant,
    failures: u32,
    /// Whether it was said that the chip gives none of the quantities asked.
    warned: bool,
}

/// The outputs of one configuration.
struct Outputs {
    json: Option<Box<dyn Write + Send>>,
    queue: Option<Arc<Mutex<Queue>>>,
    publisher: Option<Publisher>,
    shared: Arc<Mutex<Shared>>,
}

/// The service's signals, as flags.
struct Signals {
    hup: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

impl Signals {
    fn register() -> Result<Signals, String> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let hup = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        let r = signal_hook::flag::register(SIGHUP, hup.clone())
            .and_then(|_| signal_hook::flag::register(SIGTERM, term.clone()))
            .and_then(|_| signal_hook::flag::register(SIGINT, term.clone()));
        r.map_err(|e| format!("cannot handle signals: {e}"))?;
        Ok(Signals { hup, term })
    }
}

enum Exit {
    Stop,
    Reload(Box<Config>),
}

/// Runs the service until SIGTERM (or `count`/`duration`).
pub fn serve(opts: &Options) -> Result<(), ServeError> {
    let mut config = Config::load(&opts.config).map_err(ServeError::Config)?;
    let signals = Signals::register().map_err(ServeError::Failed)?;
    let source = Source::open(&opts.board).map_err(ServeError::Failed)?;
    let mut notify = Notify::from_env();
    let mut plugged = Plugged::open(&opts.board);
    // The [[line]]s: held from here to the end, across reloads.
    let mut owned =
        crate::lines::Owned::start(&config, &source.line_board()).map_err(ServeError::Failed)?;
    let started = Instant::now();
    let mut taken = 0u64;
    // Sequence numbers: kept across restarts in the queue's folder when there is one.
    let mut seq: Option<SeqStore> = None;
    let mut plain = Sequence::new();
    // Retained topics of chips a reload removed: cleared on the broker by the next
    // publisher.
    let mut clear: Vec<String> = Vec::new();
    // Prometheus' series and counts: kept across reloads.
    let metrics = Metrics::default();
    loop {
        let board = board_name(&config, &opts.machine_id).map_err(ServeError::Failed)?;
        if config.needs_queue() && seq.is_none() {
            std::fs::create_dir_all(&config.queue.dir).map_err(|e| {
                ServeError::Failed(format!(
                    "{}: cannot create the queue folder: {e} (make it writable by the user \
                     udrv runs as, or set [queue] dir)",
                    config.queue.dir.display()
                ))
            })?;
            seq = Some(
                SeqStore::open(&config.queue.dir).map_err(|e| ServeError::Failed(e.to_string()))?,
            );
        }
        let mut out = open_outputs(&config, &board, std::mem::take(&mut clear), &owned)
            .map_err(ServeError::Failed)?;
        let mut inputs = Inputs::start(&config, &owned, &source.line_board());
        let mut more = MoreOutputs::open(&config, &board, &metrics, out.queue.as_ref())
            .map_err(ServeError::Failed)?;
        let status = format!(
            "board {board}: reading {} chips{}{}",
            config.chips.len(),
            if config.json.is_some() {
                "; JSON lines"
            } else {
                ""
            },
            match &config.mqtt {
                Some(m) => format!(
                    "; MQTT {}:{} (queue {})",
                    m.host,
                    m.port,
                    config.queue.dir.display()
                ),
                None => String::new(),
            }
        );
        log(&status);
        notify.ready(&status);
        let mut slots: Vec<Slot> = config
            .chips
            .iter()
            .map(|c| Slot {
                chip: c.clone(),
                next: Instant::now(),
                failures: 0,
                warned: false,
            })
            .collect();
        let exit = 'run: loop {
            notify.watchdog();
            let chips_appeared = plugged.retry_on_return(&mut slots);
            let monitored = plugged.0.is_some().then_some(&chips_appeared[..]);
            owned.tend(monitored, &source.line_board());
            // Signals and bounds.
            if signals.term.swap(false, Ordering::Relaxed) {
                log("SIGTERM: delivering what is queued, then stopping");
                notify.stopping();
                break 'run Exit::Stop;
            }
            if signals.hup.swap(false, Ordering::Relaxed) {
                notify.reloading();
                match Config::load(&opts.config) {
                    Ok(c) => {
                        log(&format!("SIGHUP: {} reloaded", opts.config.display()));
                        break 'run Exit::Reload(Box::new(c));
                    }
                    Err(e) => {
                        for line in e.to_string().lines() {
                            crate::log::error(line);
                        }
                        crate::log::error(
                            "SIGHUP: the new configuration is refused; the old one goes on",
                        );
                        notify.ready(&status);
                    }
                }
            }
            if opts.count.is_some_and(|n| taken >= n)
                || opts.duration.is_some_and(|d| started.elapsed() >= d)
            {
                notify.stopping();
                break 'run Exit::Stop;
            }
            // The next chip due.
            let Some(i) = (0..slots.len()).min_by_key(|i| slots[*i].next) else {
                if config.lines.is_empty() {
                    break 'run Exit::Stop;
                }
                // Only lines: the socket's threads serve them.
                inputs.pause(Duration::from_millis(50), &mut out, &board);
                continue;
            };
            let now = Instant::now();
            if slots[i].next > now {
                let d = (slots[i].next - now).min(Duration::from_millis(50));
                inputs.pause(d, &mut out, &board);
                continue;
            }
            let slot = &mut slots[i];
            let read = source.read(&slot.chip.spec, &mut Sequence::new());
            let (spec, name) = (slot.chip.spec.to_string(), slot.chip.name.clone());
            match read {
                Ok(r) => {
                    if slot.failures > 0 {
                        log(&format!("chip {name} ({spec}) answers again: online"));
                    }
                    slot.failures = 0;
                    slot.next += slot.chip.interval;
                    if slot.next < Instant::now() {
                        slot.next = Instant::now() + slot.chip.interval;
                    }
                    let r_all: Vec<udrv_boards::catalog::Quantity> =
                        r.readings.iter().map(|x| x.quantity).collect();
                    let mut readings: Vec<Reading> = r
                        .readings
                        .into_iter()
                        .filter(|x| {
                            slot.chip
                                .quantities
                                .as_ref()
                                .is_none_or(|q| q.contains(&x.quantity))
                        })
                        .collect();
                    for x in &mut readings {
                        x.seq = match &mut seq {
                            Some(s) => s
                                .next_seq()
                                .map_err(|e| ServeError::Failed(e.to_string()))?,
                            None => plain.next_seq(),
                        };
                    }
                    if readings.is_empty() && !slot.warned {
                        slot.warned = true;
                        let gives: Vec<String> = r_all
                            .iter()
                            .map(|q| q.name().to_string())
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        log(&format!(
                            "chip {name} ({spec}) gives none of the quantities asked; it gives: {}",
                            gives.join(", ")
                        ));
                    }
                    taken += readings.len() as u64;
                    deliver(&mut out, &board, &name, &spec, &readings);
                    more.deliver(&board, &name, &slot.chip.spec, &readings);
                }
                Err(e) => {
                    slot.failures += 1;
                    let k = slot.failures.min(16) - 1;
                    let cap = slot.chip.interval.max(Duration::from_secs(300));
                    let wait = (slot.chip.interval * 2u32.pow(k)).min(cap);
                    slot.next = Instant::now() + wait;
                    metrics.error(&name, &slot.chip.spec, &e);
                    went_offline(slot, &name, &e, cap);
                    let mut s = out.shared.lock().unwrap_or_else(|e| e.into_inner());
                    let v = s.chips.entry(name.clone()).or_default();
                    v.spec = spec;
                    v.online = Some(false);
                }
            }
        };
        if let Some(p) = out.publisher.take() {
            p.stop(match exit {
                Exit::Stop => FLUSH,
                Exit::Reload(_) => Duration::ZERO,
            });
        }
        if let Some(q) = &out.queue {
            let _ = q.lock().unwrap_or_else(|e| e.into_inner()).save();
        }
        more.stop(match exit {
            Exit::Stop => FLUSH,
            Exit::Reload(_) => Duration::ZERO,
        });
        match exit {
            Exit::Stop => return Ok(()),
            Exit::Reload(c) => {
                if c.queue.dir != config.queue.dir {
                    seq = None;
                }
                if let Some(m) = &config.mqtt {
                    clear = removed_topics(&out.shared, m, &board, &config, &c);
                }
                config = *c;
                owned.reload(&config, &source.line_board());
            }
        }
    }
}

/// A chip's failed read in the log: one warning when it goes offline (its first
/// failure), none for the retries that fail too; [`serve`] says one line when it answers
/// again.
fn went_offline(slot: &Slot, name: &str, error: &str, cap: Duration) {
    if slot.failures == 1 {
        crate::log::warn(&format!(
            "chip {name}: {error}; offline, retrying with backoff (up to {:.0} s apart), \
             and at once when a bus or SPI device appears",
            cap.as_secs_f64()
        ));
    }
}

/// The kernel's hot-plug events (`udrv_core::hotplug`) on a Linux board: when an I2C
/// bus or SPI device node appears (a USB adapter plugged back), the chips that are
/// offline are read again at once instead of at the end of their backoff; when a GPIO
/// chip appears, the `[[line]]`s whose chip went away are requested again.
struct Plugged(Option<udrv_core::hotplug::Monitor>);

impl Plugged {
    /// Listens on the Linux board; nothing on the virtual one. Without the netlink socket
    /// (a sandbox that forbids it) backoff alone brings chips back: said once.
    fn open(board: &BoardChoice) -> Plugged {
        use udrv_core::error::DeviceClass;
        use udrv_core::hotplug::Monitor;
        if !matches!(board, BoardChoice::Linux { .. }) {
            return Plugged(None);
        }
        match Monitor::open() {
            Ok(m) => Plugged(Some(
                m.with_class(DeviceClass::I2c)
                    .with_class(DeviceClass::Spi)
                    .with_class(DeviceClass::Gpio),
            )),
            Err(e) => {
                log(&format!(
                    "hot-plug events: {e}; buses that come back are found by the retries alone \
                     (allow AF_NETLINK to have them at once)"
                ));
                Plugged(None)
            }
        }
    }

    /// Reads what the kernel announced; a new I2C bus or SPI device node makes every chip
    /// that is offline due now. The GPIO chip nodes that appeared are returned.
    fn retry_on_return(&mut self, slots: &mut [Slot]) -> Vec<String> {
        use udrv_core::hotplug::{Action, Device};
        let Some(m) = &mut self.0 else {
            return Vec::new();
        };
        let (mut back, mut gpio): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        loop {
            match m.try_next() {
                Ok(None) => break,
                Ok(Some(ev)) => {
                    if let (Action::Add, Some(node)) = (&ev.action, &ev.devname) {
                        let node = node.display().to_string();
                        match ev.device() {
                            Some(Device::GpioChip { .. }) => gpio.push(node),
                            _ => back.push(node),
                        }
                    }
                }
                // Events were dropped (a burst): look again at every chip and line.
                Err(_) => {
                    back.push("(events dropped)".into());
                    gpio.push("(events dropped)".into());
                }
            }
        }
        if back.is_empty() {
            return gpio;
        }
        let offline: Vec<&mut Slot> = slots.iter_mut().filter(|s| s.failures > 0).collect();
        if offline.is_empty() {
            return gpio;
        }
        log(&format!(
            "{} appeared: reading the {} offline chips now",
            back.join(", "),
            offline.len()
        ));
        let now = Instant::now();
        for s in offline {
            s.next = now;
        }
        gpio
    }
}

/// Opens `path` to append `what` output to (`JSON lines`, `line protocol`), creating it.
fn open_append(path: &Path, what: &str) -> Result<Box<dyn Write + Send>, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            format!(
                "{}: cannot open the {what} file: {e} (check the folder exists and is writable)",
                path.display()
            )
        })?;
    Ok(Box::new(file))
}

fn open_outputs(
    config: &Config,
    board: &str,
    clear: Vec<String>,
    owned: &crate::lines::Owned,
) -> Result<Outputs, String> {
    let json: Option<Box<dyn Write + Send>> = match &config.json {
        None => None,
        Some(j) => match &j.path {
            None => Some(Box::new(std::io::stdout())),
            Some(p) => Some(open_append(p, "JSON lines")?),
        },
    };
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (queue, publisher) = match &config.mqtt {
        None => (None, None),
        Some(m) => {
            let q = Queue::open(&config.queue.dir, config.queue.max_bytes)
                .map_err(|e| e.to_string())?;
            if !q.is_empty() {
                log(&format!(
                    "queue {}: {} records from an earlier run to deliver",
                    config.queue.dir.display(),
                    q.len()
                ));
            }
            let q = Arc::new(Mutex::new(q));
            let topics = Topics {
                base: format!("{}/{board}", m.base_topic),
                discovery: m.discovery_prefix.clone(),
                board: board.to_string(),
            };
            let lines = (!config.lines.is_empty()).then(|| (config.lines.clone(), owned.lines()));
            let p = Publisher::start(m, topics, q.clone(), shared.clone(), clear, lines)?;
            (Some(q), Some(p))
        }
    };
    Ok(Outputs {
        json,
        queue,
        publisher,
        shared,
    })
}

/// The retained topics (discovery, availability, state) of the chips and lines `new` no
/// longer has (`old` had them).
fn removed_topics(
    shared: &Arc<Mutex<Shared>>,
    m: &crate::config::Mqtt,
    board: &str,
    old: &Config,
    new: &Config,
) -> Vec<String> {
    let topics = Topics {
        base: format!("{}/{board}", m.base_topic),
        discovery: m.discovery_prefix.clone(),
        board: board.to_string(),
    };
    let s = shared.lock().unwrap_or_else(|e| e.into_inner());
    let mut gone = Vec::new();
    for l in &old.lines {
        if !new.lines.iter().any(|n| n.name == l.name) {
            gone.extend(crate::mqtt::line_retained_topics(&topics, &l.name));
        }
    }
    for (name, view) in &s.chips {
        if new.chips.iter().any(|c| &c.name == name) {
            continue;
        }
        gone.push(topics.availability(name));
        for e in &view.entities {
            if let Some((t, _)) = topics.discovery(name, &view.spec, e) {
                gone.push(t);
            }
        }
    }
    gone
}

/// One chip read's readings to every output.
fn deliver(out: &mut Outputs, board: &str, chip: &str, spec: &str, readings: &[Reading]) {
    if out.json.is_some() {
        let mut text = String::new();
        for r in readings {
            if let Ok(line) = serde_json::to_string(r) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        write_json(out, &text);
    }
    {
        let mut s = out.shared.lock().unwrap_or_else(|e| e.into_inner());
        let v = s.chips.entry(chip.to_string()).or_default();
        v.spec = spec.to_string();
        v.online = Some(true);
        for r in readings {
            v.entities
                .insert((r.quantity, r.channel().map(str::to_string)));
        }
    }
    if let Some(q) = &out.queue {
        if readings.is_empty() {
            return;
        }
        let doc = state_document(board, chip, readings);
        let mut rec = chip.as_bytes().to_vec();
        rec.push(b'\n');
        rec.extend_from_slice(doc.to_string().as_bytes());
        let (first, last) = (readings[0].seq, readings[readings.len() - 1].seq);
        let pushed = q.lock().unwrap_or_else(|e| e.into_inner()).push(&rec);
        match pushed {
            Ok(_) => {
                if !out.publisher.as_ref().is_some_and(Publisher::is_connected) {
                    log(&format!(
                        "queued {chip} seq {first}-{last} (the broker is away)"
                    ));
                }
            }
            Err(e) => {
                crate::log::error(&format!("queue: {e}; chip {chip} seq {first}-{last} lost"))
            }
        }
    }
}

/// A change of a declared input, as a JSON line (`"line"` where readings have `"chip"`).
#[derive(serde::Serialize)]
struct Change {
    /// The board's name.
    board: String,
    /// The input's name.
    line: String,
    /// Its logical value after the change (1: active).
    value: u8,
    /// `rising` (to active) or `falling`.
    edge: String,
    /// When the service saw it, in seconds since the Unix epoch.
    time: f64,
    /// `edge` (the kernel's edge event) or `poll` (the virtual board's inputs).
    source: &'static str,
    /// The kernel's timestamp (CLOCK_MONOTONIC, ns), for edge events.
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp_ns: Option<u64>,
    /// The kernel's sequence number of the edge on its line, for edge events.
    #[serde(skip_serializing_if = "Option::is_none")]
    line_seqno: Option<u32>,
    /// Edges lost just before this one (the service fell behind, or the kernel's buffer).
    lost: u64,
}

/// The declared inputs' changes, to the JSON lines and to MQTT as they happen: inputs
/// with edge events (kernel lines, and whatever else [`crate::lines::Lines::watch`]
/// gives edges for) through them; the virtual board's inputs, which have none, by a poll
/// at every pass of the reading loop (at most 50 ms apart). A kernel input without edge
/// events is said once and not published.
struct Inputs {
    lines: Arc<Mutex<crate::lines::Lines>>,
    tx: std::sync::mpsc::Sender<Change>,
    rx: std::sync::mpsc::Receiver<Change>,
    /// The polled inputs and their last values.
    polled: Vec<(String, bool)>,
    /// How many inputs have edge events.
    watched: usize,
}

impl Inputs {
    fn start(
        config: &Config,
        owned: &crate::lines::Owned,
        board: &crate::lines::LineBoard<'_>,
    ) -> Inputs {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut i = Inputs {
            lines: owned.lines(),
            tx,
            rx,
            polled: Vec::new(),
            watched: 0,
        };
        let virtual_board = matches!(board, crate::lines::LineBoard::Virtual(_));
        for l in config.lines.iter().filter(|l| !l.output) {
            let watch = i.lock().watch(&l.name);
            match watch {
                Ok(events) => {
                    i.watched += 1;
                    let (tx, name) = (i.tx.clone(), l.name.clone());
                    let spawned = std::thread::Builder::new()
                        .name(format!("udrv-serve-input-{}", l.name))
                        .spawn(move || {
                            for e in events.iter() {
                                let edge = if e.rising { "rising" } else { "falling" };
                                let change = Change {
                                    board: String::new(),
                                    line: name.clone(),
                                    value: u8::from(e.rising),
                                    edge: edge.into(),
                                    time: unix_now(),
                                    source: "edge",
                                    timestamp_ns: Some(e.timestamp_ns),
                                    line_seqno: e.line_seqno,
                                    lost: e.lost,
                                };
                                if tx.send(change).is_err() {
                                    return;
                                }
                            }
                        });
                    if let Err(e) = spawned {
                        log(&format!(
                            "line {}: {e}; its changes are not published",
                            l.name
                        ));
                    }
                }
                Err(_) if virtual_board => {
                    let v = i.lock().get(&l.name).unwrap_or(false);
                    i.polled.push((l.name.clone(), v));
                }
                Err(e) => log(&format!("{e}; its changes are not published")),
            }
        }
        let mut names: Vec<&str> = i.polled.iter().map(|(n, _)| n.as_str()).collect();
        if i.watched > 0 || !names.is_empty() {
            names.sort_unstable();
            log(&format!(
                "publishing input changes: {} by edge events{}",
                i.watched,
                if names.is_empty() {
                    String::new()
                } else {
                    format!(", {} polled (the virtual board's)", names.join(", "))
                }
            ));
        }
        i
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, crate::lines::Lines> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits up to `d` for an edge, delivering the changes there are.
    fn pause(&mut self, d: Duration, out: &mut Outputs, board: &str) {
        if self.watched > 0 {
            if let Ok(c) = self.rx.recv_timeout(d) {
                deliver_change(out, board, c);
            }
        } else {
            std::thread::sleep(d);
        }
        while let Ok(c) = self.rx.try_recv() {
            deliver_change(out, board, c);
        }
        let mut changed = Vec::new();
        {
            let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
            for (name, last) in &mut self.polled {
                if let Ok(v) = lines.get(name) {
                    if v != *last {
                        *last = v;
                        changed.push((name.clone(), v));
                    }
                }
            }
        }
        for (name, v) in changed {
            let c = Change {
                board: String::new(),
                line: name,
                value: u8::from(v),
                edge: if v { "rising" } else { "falling" }.into(),
                time: unix_now(),
                source: "poll",
                timestamp_ns: None,
                line_seqno: None,
                lost: 0,
            };
            deliver_change(out, board, c);
        }
    }
}

/// Now, in seconds since the Unix epoch.
fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// An input's change to the JSON lines and MQTT.
fn deliver_change(out: &mut Outputs, board: &str, mut c: Change) {
    c.board = board.to_string();
    if let Some(p) = &out.publisher {
        p.line_changed(&c.line, c.value == 1);
    }
    if let Ok(line) = serde_json::to_string(&c) {
        write_json(out, &format!("{line}\n"));
    }
}

/// Text to the JSON lines output, if there is one; closed, it stops.
fn write_json(out: &mut Outputs, text: &str) {
    if let Some(w) = &mut out.json {
        if w.write_all(text.as_bytes())
            .and_then(|()| w.flush())
            .is_err()
        {
            log("JSON lines: the output is closed; JSON lines stop");
            out.json = None;
        }
    }
}

/// Tags added to every point.
type Tags = Vec<(String, String)>;

/// The outputs for fleets beside JSON lines and MQTT: Prometheus' endpoint, InfluxDB
/// through its own queue, line protocol for Telegraf.
struct MoreOutputs {
    metrics: Metrics,
    server: Option<Server>,
    influx: Option<(Arc<Mutex<Queue>>, Writer, Tags)>,
    lines: Option<(Box<dyn Write + Send>, Tags)>,
}

impl MoreOutputs {
    /// Opens the outputs `config` asks for; `mqtt_queue` is shown in the metrics.
    fn open(
        config: &Config,
        board: &str,
        metrics: &Metrics,
        mqtt_queue: Option<&Arc<Mutex<Queue>>>,
    ) -> Result<MoreOutputs, String> {
        let names: Vec<String> = config.chips.iter().map(|c| c.name.clone()).collect();
        metrics.keep_chips(&names);
        let mut queues = Vec::new();
        if let Some(q) = mqtt_queue {
            queues.push(("mqtt", q.clone()));
        }
        let lines: Option<(Box<dyn Write + Send>, _)> = match &config.line_protocol {
            None => None,
            Some(l) => {
                let w: Box<dyn Write + Send> = match &l.path {
                    None => Box::new(std::io::stdout()),
                    Some(p) => open_append(p, "line protocol")?,
                };
                Some((w, l.tags.clone()))
            }
        };
        let influx = match &config.influxdb {
            None => None,
            Some(i) => {
                let dir = config.queue.dir.join("influxdb");
                let q = Queue::open(&dir, config.queue.max_bytes).map_err(|e| e.to_string())?;
                let q = Arc::new(Mutex::new(q));
                let w = Writer::start(i, q.clone())?;
                log(&format!(
                    "InfluxDB http://{}:{} database {} (queue {})",
                    i.host,
                    i.port,
                    i.database,
                    dir.display()
                ));
                queues.push(("influxdb", q.clone()));
                Some((q, w, i.tags.clone()))
            }
        };
        metrics.set_queues(queues);
        let server = match &config.prometheus {
            None => None,
            Some(p) => {
                let s = Server::start(p.listen, board, metrics)?;
                log(&format!("Prometheus: http://{}/metrics", p.listen));
                Some(s)
            }
        };
        Ok(MoreOutputs {
            metrics: metrics.clone(),
            server,
            influx,
            lines,
        })
    }

    /// One chip read's readings to these outputs.
    fn deliver(&mut self, board: &str, chip: &str, spec: &ChipSpec, readings: &[Reading]) {
        self.metrics.read(chip, spec, readings);
        if let Some((w, tags)) = &mut self.lines {
            let text = crate::influx::lines(board, chip, readings, tags);
            if w.write_all(text.as_bytes())
                .and_then(|()| w.flush())
                .is_err()
            {
                log("line protocol: the output is closed; line protocol stops");
                self.lines = None;
            }
        }
        if let Some((q, _, tags)) = &self.influx {
            let text = crate::influx::lines(board, chip, readings, tags);
            if text.is_empty() {
                return;
            }
            let pushed = q
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(text.as_bytes());
            if let Err(e) = pushed {
                let (first, last) = (readings[0].seq, readings[readings.len() - 1].seq);
                log(&format!(
                    "influxdb queue: {e}; chip {chip} seq {first}-{last} lost"
                ));
            }
        }
    }

    /// Stops them: InfluxDB gets up to `flush` to take what is queued.
    fn stop(self, flush: Duration) {
        if let Some(s) = self.server {
            s.stop();
        }
        if let Some((q, w, _)) = self.influx {
            w.stop(flush);
            let _ = q.lock().unwrap_or_else(|e| e.into_inner()).save();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_board_name_derives_from_the_machine_id_unless_the_file_names_one() {
        let dir = tempfile::tempdir().unwrap();
        let id = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let a = id("a", "0123456789abcdef0123456789abcdef\n");
        let b = id("b", "fedcba9876543210fedcba9876543210\n");
        let unnamed = Config::parse("[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n").unwrap();
        let name_a = board_name(&unnamed, &a).unwrap();
        assert_eq!(name_a, board_name(&unnamed, &a).unwrap(), "stable");
        assert_ne!(name_a, board_name(&unnamed, &b).unwrap(), "distinct");
        assert!(name_a.starts_with('m') && name_a.len() == 13, "{name_a}");
        assert!(!name_a.contains("0123456789ab"), "not the ID itself");
        let named =
            Config::parse("board = \"kitchen\"\n[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n").unwrap();
        assert_eq!(board_name(&named, &a).unwrap(), "kitchen");
        let e = board_name(&unnamed, &dir.path().join("none")).unwrap_err();
        assert!(e.contains("name the board in the configuration"), "{e}");
        let e = board_name(&unnamed, &id("c", "not an id\n")).unwrap_err();
        assert!(e.contains("not a machine ID"), "{e}");
    }
}
