//! The GPIO lines the service owns (`[[line]]`): requested at start (consumer
//! [`CONSUMER`], so that `gpioinfo` and `udrv gpio info` name the service) and held for
//! as long as it runs. An output with `restore = true` has its last value set kept in
//! `lines.json` in the state folder, written atomically (a temporary file, fsync, rename,
//! fsync of the folder) at each change, and applied at start instead of `start`; a change
//! to any other line writes nothing. A reload
//! (SIGHUP) keeps every line whose declaration did not change at its value; lines no
//! longer declared are released, new ones requested.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use udrv_boards::catalog::Buses;
use udrv_boards::r#virtual::{VirtualBoard, VirtualOutput};
use udrv_core::gpio::{self, EdgeDetection, EdgeKind, Request, Value};
use udrv_drivers::sim::SimLine;

use crate::config::{Config, Line, LineAt};
use crate::log;
use crate::pins::PinChip;
use crate::socket::Server;

/// The consumer name the kernel shows for the lines the service holds.
pub const CONSUMER: &str = "udrv-serve";

/// The state file's name in the state folder.
pub const STATE_FILE: &str = "lines.json";

/// How a line is held.
enum Handle {
    /// An output of the virtual board (its level is the logical value, XOR active-low).
    VirtualOut(VirtualOutput),
    /// An input of the virtual board.
    VirtualIn(SimLine),
    /// A kernel line request and its offset; inputs with edge detection on both edges
    /// (`true`) unless their chip has none.
    Linux(Arc<Request>, u32, bool),
    /// A kernel line whose chip went away (why): requested again when it comes back.
    Offline(String),
    /// A pin of a chip (an expander's pin, a PWM channel): the chip, shared by its pins.
    Pin(PinHandle),
}

/// A chip pin held: its chip and the pin; released, it stops giving the pin's edges.
struct PinHandle {
    chip: Arc<PinChip>,
    pin: u8,
    interrupt: bool,
}

impl Drop for PinHandle {
    fn drop(&mut self) {
        if self.interrupt {
            self.chip.forget(self.pin);
        }
    }
}

/// How often lines whose chip went away are requested again when there is no hot-plug
/// monitor to say that a chip appeared (no netlink socket: a sandbox, a virtual board).
pub const OFFLINE_RETRY: Duration = Duration::from_secs(10);

/// How many edges wait for a watching client before it is counted as behind.
pub const WATCH_QUEUE: usize = 1024;

/// How many edge events the kernel buffers for a watched input (its maximum; uAPI v2
/// only, v1's buffer is 16 events): room for a burst while the reader hands edges out.
pub const KERNEL_EVENT_BUFFER: u32 = 1024;

/// The most edges the reader takes from the kernel before handing them out.
const READ_BATCH: usize = 256;

/// An edge of a watched input as the reader hands it to each watcher: plain data (no
/// allocation per edge and watcher); the client's stream writes it as an
/// [`Event`](crate::client::Event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    /// Inactive to active.
    pub(crate) rising: bool,
    /// The kernel's timestamp (ns).
    pub(crate) timestamp_ns: u64,
    /// The kernel's sequence number in the request.
    pub(crate) seqno: Option<u32>,
    /// The kernel's sequence number on the line.
    pub(crate) line_seqno: Option<u32>,
    /// Edges lost just before this one (the watcher's queue or the kernel's buffer full).
    pub(crate) lost: u64,
}

#[cfg(test)]
impl Edge {
    /// The edge as the protocol's [`Event`](crate::client::Event) of input `name`.
    pub(crate) fn event(&self, name: &str) -> crate::client::Event {
        crate::client::Event {
            name: name.to_string(),
            edge: if self.rising { "rising" } else { "falling" }.into(),
            timestamp_ns: self.timestamp_ns,
            seqno: self.seqno,
            line_seqno: self.line_seqno,
            lost: self.lost,
        }
    }
}

/// A client watching an input: its queue, and the edges it lost since the last one it got.
pub(crate) struct Watcher {
    tx: SyncSender<Edge>,
    lost: u64,
}

/// The clients watching an input (kept while its chip is away).
pub(crate) type Watchers = Arc<Mutex<Vec<Watcher>>>;

/// An input's edge reader: a thread reading the kernel's edge events and giving each to
/// every watcher.
pub(crate) struct Reader {
    stop: Arc<AtomicBool>,
    /// Why the thread stopped reading (the request failed: its chip went away).
    failed: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Held {
    decl: Line,
    handle: Handle,
    /// The chip's device node and the offset (Linux), for clients that name the line so.
    place: Option<(PathBuf, u32)>,
    /// The edge reader of a kernel input.
    reader: Option<Reader>,
    /// The clients watching it: kept while its chip is away, given edges again after.
    watchers: Watchers,
    /// The logical value an output is held at (applied again when its chip comes back).
    level: bool,
}

/// What the service tells a client about one of its lines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineState {
    /// Its name in the configuration.
    pub name: String,
    /// The line as declared (`GPIO27`, `gpiochip0:27`).
    pub line: String,
    /// The chip's device node, when it is a kernel line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chip: Option<String>,
    /// Its offset on that chip, when it is a kernel line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// Whether the service drives it.
    pub output: bool,
    /// Its logical value now (1: active).
    pub value: u8,
    /// Its duty now, when it is a PWM channel (0.0..=1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<f64>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    values: BTreeMap<String, u8>,
    /// The PWM channels' duties (absent from files written before there were any).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    duties: BTreeMap<String, f64>,
}

/// The lines the service holds, and the last values set.
pub(crate) struct Lines {
    held: BTreeMap<String, Held>,
    state_dir: PathBuf,
    saved: BTreeMap<String, u8>,
    duties: BTreeMap<String, f64>,
    /// The chips whose pins are held, by spec: opened once, shared by their pins.
    chips: BTreeMap<String, Weak<PinChip>>,
    /// When lines whose chip went away were last requested again.
    retried: std::time::Instant,
}

/// The board the lines are on.
pub(crate) enum LineBoard<'a> {
    Virtual(&'a VirtualBoard),
    Linux,
}

impl Lines {
    /// Reads the state folder's last values (a file that cannot be read is reported in
    /// one line and the start values used).
    pub(crate) fn new(state_dir: &Path) -> Lines {
        let (saved, duties) = match std::fs::read(state_dir.join(STATE_FILE)) {
            Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
                Ok(s) => (s.values, s.duties),
                Err(e) => {
                    log(&format!(
                        "{}: not a state file ({e}); the lines start at their start values",
                        state_dir.join(STATE_FILE).display()
                    ));
                    Default::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
            Err(e) => {
                log(&format!(
                    "{}: cannot read the state ({e}); the lines start at their start values",
                    state_dir.join(STATE_FILE).display()
                ));
                Default::default()
            }
        };
        Lines {
            held: BTreeMap::new(),
            state_dir: state_dir.to_path_buf(),
            saved,
            duties,
            chips: BTreeMap::new(),
            retried: std::time::Instant::now(),
        }
    }

    /// Holds the lines `config` declares: those held with the same declaration are kept
    /// as they are, the others released, the new ones requested. The first line that
    /// cannot be had is the error (the ones before it are held).
    pub(crate) fn apply(&mut self, config: &Config, board: &LineBoard<'_>) -> Result<(), String> {
        self.state_dir = config.state_dir.clone();
        let keep: Vec<&Line> = config.lines.iter().collect();
        self.held.retain(|name, h| {
            keep.iter()
                .any(|l| &l.name == name && held_alike(l, &h.decl))
        });
        for l in &config.lines {
            if self.held.contains_key(&l.name) {
                continue;
            }
            let value = match self.saved.get(&l.name) {
                Some(v) if l.restore => *v == 1,
                _ => l.start,
            };
            let watchers = Watchers::default();
            let (handle, place, reader) = match &l.at {
                LineAt::Pin { .. } => {
                    let duty = match self.duties.get(&l.name) {
                        Some(d) if l.restore => *d,
                        _ => l.start_duty,
                    };
                    let (h, r) = self.hold_pin(l, value, duty, board, watchers.clone())?;
                    (h, None, r)
                }
                _ => {
                    let (handle, place) = request(l, value, board)?;
                    let reader = match &handle {
                        Handle::Linux(r, _, true) => {
                            Some(reader(&l.name, r.clone(), watchers.clone())?)
                        }
                        _ => None,
                    };
                    (handle, place, reader)
                }
            };
            self.held.insert(
                l.name.clone(),
                Held {
                    decl: l.clone(),
                    handle,
                    place,
                    reader,
                    watchers,
                    level: value,
                },
            );
        }
        Ok(())
    }

    /// Holds chip pin `l` (`spec`, `pin`): its chip opened (once for all its pins), the
    /// pin made an output at `value` (a PWM channel at `duty`) or an input, its
    /// interrupt line read when it has one.
    fn hold_pin(
        &mut self,
        l: &Line,
        value: bool,
        duty: f64,
        board: &LineBoard<'_>,
        watchers: Watchers,
    ) -> Result<(Handle, Option<Reader>), String> {
        let what = |e: &dyn std::fmt::Display| format!("[[line]] {} ({}): {e}", l.name, l.at);
        let LineAt::Pin { spec, pin } = &l.at else {
            return Err(what(&"not a chip pin"));
        };
        let (key, pin) = (spec.to_string(), *pin);
        let chip = match self.chips.get(&key).and_then(Weak::upgrade) {
            Some(c) => c,
            None => {
                let on = match board {
                    LineBoard::Virtual(b) => Buses::Virtual(b),
                    LineBoard::Linux => Buses::Linux(None),
                };
                let c = Arc::new(PinChip::open(spec, on).map_err(|e| what(&e))?);
                self.chips.insert(key, Arc::downgrade(&c));
                c
            }
        };
        let pull_up = l.bias == Some(gpio::Bias::PullUp);
        let output = l.output.then_some(value != l.active_low);
        chip.setup(pin, output, pull_up).map_err(|e| what(&e))?;
        if l.is_pwm() {
            chip.set_duty(pin, physical_duty(l, duty))
                .map_err(|e| what(&e))?;
        }
        let mut reader = None;
        if let Some(int) = &l.interrupt {
            if let LineBoard::Virtual(_) = board {
                return Err(what(
                    &"an interrupt line is a kernel GPIO line: the virtual board has none; \
                      leave interrupt out (the pin is read on get)",
                ));
            }
            let place = line_place(int).map_err(|e| what(&e))?;
            chip.interrupt(&int.to_string(), place, pin, l.active_low, watchers)
                .map_err(|e| what(&e))?;
            // No thread of its own: the chip's interrupt reader gives the pin's edges.
            reader = Some(Reader {
                stop: Arc::default(),
                failed: Arc::default(),
                thread: None,
            });
        }
        let handle = PinHandle {
            chip,
            pin,
            interrupt: reader.is_some(),
        };
        Ok((Handle::Pin(handle), reader))
    }

    /// The number of lines held.
    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }

    fn find(&self, name: &str) -> Result<&Held, String> {
        self.held.get(name).ok_or_else(|| {
            format!(
                "no line `{name}` in the service's configuration; its lines: {}",
                self.held.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// The logical value of line `name` now.
    pub(crate) fn get(&self, name: &str) -> Result<bool, String> {
        let h = self.find(name)?;
        Ok(match &h.handle {
            Handle::Offline(why) => return Err(offline(name, h, why)),
            Handle::VirtualOut(o) => o.is_set_high() != h.decl.active_low,
            Handle::VirtualIn(i) => i.is_high() != h.decl.active_low,
            Handle::Linux(r, offset, _) => r
                .value(*offset)
                .map_err(|e| format!("line {name} ({}): {e}", h.decl.at))?
                .is_active(),
            Handle::Pin(_) if h.decl.is_pwm() => self.duty(name)? > 0.0,
            Handle::Pin(p) => {
                p.chip
                    .read(p.pin, h.decl.output)
                    .map_err(|e| format!("line {name}: {e}"))?
                    != h.decl.active_low
            }
        })
    }

    /// The duty of PWM channel `name` now (0.0..=1.0, read from the chip).
    pub(crate) fn duty(&self, name: &str) -> Result<f64, String> {
        let h = self.find(name)?;
        match &h.handle {
            Handle::Pin(p) if h.decl.is_pwm() => {
                let d = p
                    .chip
                    .duty(p.pin)
                    .map_err(|e| format!("line {name}: {e}"))?;
                Ok(if h.decl.active_low { 1.0 - d } else { d })
            }
            _ => Err(not_pwm(name)),
        }
    }

    /// Sets PWM channel `name` to `duty` (0.0..=1.0), then keeps it in the state folder.
    pub fn set_duty(&mut self, name: &str, duty: f64) -> Result<(), String> {
        let h = self.find(name)?;
        let Handle::Pin(p) = &h.handle else {
            return Err(not_pwm(name));
        };
        if !h.decl.is_pwm() {
            return Err(not_pwm(name));
        }
        if !(0.0..=1.0).contains(&duty) {
            return Err(format!(
                "line {name}: duty {duty}: give 0.0..=1.0 (0.25 is a quarter)"
            ));
        }
        p.chip
            .set_duty(p.pin, physical_duty(&h.decl, duty))
            .map_err(|e| format!("line {name}: {e}"))?;
        let restore = h.decl.restore;
        self.duties.insert(name.to_string(), duty);
        self.keep(restore)
    }

    /// Sets output `name` to `value`, then keeps the value in the state folder.
    pub(crate) fn set(&mut self, name: &str, value: bool) -> Result<(), String> {
        let h = self.find(name)?;
        if !h.decl.output {
            return Err(format!(
                "line {name} is an input in the service's configuration: it cannot be set"
            ));
        }
        if h.decl.is_pwm() {
            return self.set_duty(name, if value { 1.0 } else { 0.0 });
        }
        match &h.handle {
            Handle::Pin(p) => p
                .chip
                .write(p.pin, value != h.decl.active_low)
                .map_err(|e| format!("line {name}: {e}"))?,
            Handle::VirtualOut(o) => o.set(value != h.decl.active_low),
            Handle::VirtualIn(_) => unreachable!("outputs are held as outputs"),
            Handle::Linux(r, offset, _) => r
                .set_value(*offset, Value::from(value))
                .map_err(|e| format!("line {name} ({}): {e}", h.decl.at))?,
            Handle::Offline(why) => return Err(offline(name, h, why)),
        }
        let mut restore = false;
        if let Some(h) = self.held.get_mut(name) {
            h.level = value;
            restore = h.decl.restore;
        }
        self.saved.insert(name.to_string(), u8::from(value));
        self.keep(restore)
    }

    /// After a change: the state file is written (and fsynced) only when the changed line
    /// is restored from it at start; a line without `restore` starts at `start` whatever
    /// the file says, so its `set` costs no disk write.
    fn keep(&self, restore: bool) -> Result<(), String> {
        if restore {
            self.save()
        } else {
            Ok(())
        }
    }

    /// Watches input `name`: its edges, from now on, in a queue of [`WATCH_QUEUE`]; when
    /// the queue is full the edges are counted and the count given with the next edge.
    pub(crate) fn watch(&self, name: &str) -> Result<Receiver<Edge>, String> {
        let h = self.find(name)?;
        if let Handle::Offline(why) = &h.handle {
            return Err(offline(name, h, why));
        }
        if h.reader.is_none() {
            return Err(if h.decl.output {
                format!("line {name} is an output: watch the service's inputs")
            } else if let Handle::Pin(_) = h.handle {
                format!(
                    "line {name} ({}) is read on get: to watch it, declare the GPIO line wired \
                     to the chip's INT pin (interrupt = \"GPIO17\")",
                    h.decl.at
                )
            } else {
                format!(
                    "line {name} ({}) has no kernel edge events (its chip gives none, or \
                     it is the virtual board's): read it with get",
                    h.decl.at
                )
            });
        }
        let (tx, rx) = sync_channel(WATCH_QUEUE);
        h.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Watcher { tx, lost: 0 });
        Ok(rx)
    }

    /// Looks after the kernel lines: one whose request fails because its chip went away
    /// (`ENODEV`, or its edge reader stopped) is released and said offline in one line;
    /// offline lines are requested again (outputs at the value they were held at, inputs
    /// with their edge reader and watchers) when a GPIO chip appeared (`appeared`: the
    /// nodes the hot-plug monitor saw appear, `None` without a monitor: then every
    /// [`OFFLINE_RETRY`]), and said back in one line.
    pub(crate) fn tend(&mut self, appeared: Option<&[String]>, board: &LineBoard<'_>) {
        let mut any_offline = false;
        for (name, h) in &mut self.held {
            if let Handle::Linux(r, offset, _) = &h.handle {
                let failed = h
                    .reader
                    .as_ref()
                    .and_then(|x| x.failed.lock().unwrap_or_else(|e| e.into_inner()).clone());
                let why = failed.or_else(|| match r.value(*offset) {
                    Err(e) if e.errno() == Some(libc::ENODEV) => Some(e.to_string()),
                    _ => None,
                });
                if let Some(why) = why {
                    log(&format!(
                        "line {name} ({}): its chip went away ({why}); offline, held again \
                         when it comes back",
                        h.decl.at
                    ));
                    h.reader = None;
                    h.handle = Handle::Offline(why);
                }
            }
            any_offline |= matches!(h.handle, Handle::Offline(_));
        }
        let due = match appeared {
            Some(nodes) => !nodes.is_empty(),
            None => self.retried.elapsed() >= OFFLINE_RETRY,
        };
        if !any_offline || !due {
            return;
        }
        self.retried = std::time::Instant::now();
        for (name, h) in &mut self.held {
            if !matches!(h.handle, Handle::Offline(_)) {
                continue;
            }
            // Still away: stays offline, said nothing more.
            let Ok((handle, place)) = request(&h.decl, h.level, board) else {
                continue;
            };
            let reader = match &handle {
                Handle::Linux(r, _, true) => reader(name, r.clone(), h.watchers.clone()).ok(),
                _ => None,
            };
            let chip = place
                .as_ref()
                .map_or(String::new(), |(c, _)| format!(" on {}", c.display()));
            log(&format!(
                "line {name} ({}) is back{chip}: held again{}{}",
                h.decl.at,
                if h.decl.output {
                    format!(" at {}", u8::from(h.level))
                } else {
                    String::new()
                },
                match appeared {
                    Some(nodes) => format!(" ({} appeared)", nodes.join(", ")),
                    None => String::new(),
                }
            ));
            (h.handle, h.place, h.reader) = (handle, place, reader);
        }
    }

    /// Every line and its value.
    pub(crate) fn list(&self) -> Vec<LineState> {
        self.held
            .iter()
            .map(|(name, h)| LineState {
                name: name.clone(),
                line: h.decl.at.to_string(),
                chip: h.place.as_ref().map(|(c, _)| c.display().to_string()),
                offset: h.place.as_ref().map(|(_, o)| *o),
                output: h.decl.output,
                value: self.get(name).map_or(0, u8::from),
                duty: h.decl.is_pwm().then(|| self.duty(name).unwrap_or(0.0)),
            })
            .collect()
    }

    /// Writes the last values: a temporary file, fsync, rename over the old one, fsync
    /// of the folder (a crash leaves the old file or the new one, never a torn one).
    fn save(&self) -> Result<(), String> {
        let doc = StateFile {
            version: 1,
            values: self.saved.clone(),
            duties: self.duties.clone(),
        };
        let dir = &self.state_dir;
        let fail = |e: std::io::Error| {
            format!(
                "{}: cannot keep the line values ({e}); make the folder writable by the user \
                 udrv runs as, or set [state] dir",
                dir.display()
            )
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let tmp = dir.join(format!(".{STATE_FILE}.tmp"));
        let mut f = std::fs::File::create(&tmp).map_err(fail)?;
        let text = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
        f.write_all(&text).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        drop(f);
        std::fs::rename(&tmp, dir.join(STATE_FILE)).map_err(fail)?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
        Ok(())
    }
}

/// Whether declarations `a` and `b` hold the line alike: they differ at most in what
/// MQTT commands may do (`writable`, `rate`), which a reload changes without releasing it.
fn held_alike(a: &Line, b: &Line) -> bool {
    let mut b = b.clone();
    (b.writable, b.rate) = (a.writable, a.rate);
    *a == b
}

/// The lines and the socket of a running service.
pub(crate) struct Owned {
    lines: Arc<Mutex<Lines>>,
    server: Option<Server>,
}

impl Owned {
    /// Requests the lines `config` declares and, when there are any, opens the socket.
    pub(crate) fn start(config: &Config, board: &LineBoard<'_>) -> Result<Owned, String> {
        let mut lines = Lines::new(&config.state_dir);
        lines.apply(config, board)?;
        let lines = Arc::new(Mutex::new(lines));
        let mut o = Owned {
            lines,
            server: None,
        };
        o.open_socket(config)?;
        Ok(o)
    }

    /// The lines held, shared.
    pub(crate) fn lines(&self) -> Arc<Mutex<Lines>> {
        self.lines.clone()
    }

    fn open_socket(&mut self, config: &Config) -> Result<(), String> {
        if config.lines.is_empty() {
            self.server = None;
            return Ok(());
        }
        if self
            .server
            .as_ref()
            .is_some_and(|s| s.socket == config.socket)
        {
            return Ok(());
        }
        self.server = None;
        let s = Server::start(&config.socket, self.lines.clone())?;
        log(&format!(
            "holding {} lines (consumer {CONSUMER}); clients on {}",
            config.lines.len(),
            config.socket.path.display()
        ));
        self.server = Some(s);
        Ok(())
    }

    /// Looks after the lines ([`Lines::tend`]): `appeared`, the GPIO chips the hot-plug
    /// monitor saw appear since the last call (`None`: no monitor).
    pub(crate) fn tend(&self, appeared: Option<&[String]>, board: &LineBoard<'_>) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .tend(appeared, board);
    }

    /// A reload: lines kept, released or requested as [`Lines::apply`] says, the socket
    /// moved if its settings changed. What cannot be had is said in one line; the rest
    /// goes on.
    pub(crate) fn reload(&mut self, config: &Config, board: &LineBoard<'_>) {
        let r = self
            .lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .apply(config, board);
        if let Err(e) = r {
            log(&format!("SIGHUP: {e}; the other lines are held"));
        }
        if let Err(e) = self.open_socket(config) {
            log(&format!("SIGHUP: {e}; no socket for clients"));
        }
    }
}

/// A client's error for line `name`, offline because its chip went away (`why`).
fn offline(name: &str, h: &Held, why: &str) -> String {
    format!(
        "line {name} ({}) is offline: its chip went away ({why}); the service holds it again \
         when the chip comes back",
        h.decl.at
    )
}

/// Gives `edge` to every watcher, each with the edges it missed just before added to
/// `edge.lost`: one whose queue is full counts it as lost, one that has gone is removed.
pub(crate) fn fan_out(ws: &mut Vec<Watcher>, edge: Edge) {
    ws.retain_mut(|x| {
        let e = Edge {
            lost: edge.lost + x.lost,
            ..edge
        };
        match x.tx.try_send(e) {
            Ok(()) => {
                x.lost = 0;
                true
            }
            Err(TrySendError::Full(_)) => {
                x.lost += 1;
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    });
}

/// Starts the edge reader of input `name`: it hands each batch of edges the kernel has to
/// `watchers` under one lock.
fn reader(name: &str, req: Arc<Request>, watchers: Watchers) -> Result<Reader, String> {
    edge_reader(&format!("line {name}"), req, false, move |batch| {
        let mut ws = watchers.lock().unwrap_or_else(|e| e.into_inner());
        for ev in batch {
            fan_out(&mut ws, Edge::of(ev));
        }
    })
}

impl Edge {
    /// The kernel's edge event `ev` as handed out (the edges the kernel lost before it
    /// counted).
    pub(crate) fn of(ev: &gpio::EdgeEvent) -> Edge {
        Edge {
            rising: ev.kind == EdgeKind::Rising,
            timestamp_ns: ev.timestamp_ns,
            seqno: ev.seqno,
            line_seqno: ev.line_seqno,
            lost: u64::from(ev.lost_before.unwrap_or(0)),
        }
    }
}

/// A thread giving the edge events of `req` to `each`, in batches of what the kernel has
/// (up to [`READ_BATCH`]), until the [`Reader`] is dropped. A failed read stops it, its
/// reason kept in the reader for `Lines::tend` (which says it and releases the line), or
/// said in one line when `say` (no line to release: an expander's interrupt line). `what`
/// names it (`line door`).
pub(crate) fn edge_reader(
    what: &str,
    req: Arc<Request>,
    say: bool,
    mut each: impl FnMut(&[gpio::EdgeEvent]) + Send + 'static,
) -> Result<Reader, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let failed: Arc<Mutex<Option<String>>> = Arc::default();
    let (flag, why, who) = (stop.clone(), failed.clone(), what.to_string());
    let thread = std::thread::Builder::new()
        .name(format!("udrv-serve-edges-{}", what.replace(' ', "-")))
        .spawn(move || {
            let mut batch = Vec::with_capacity(READ_BATCH);
            while !flag.load(Ordering::SeqCst) {
                let mut next = req.wait_edge_event(Duration::from_millis(100));
                while let Ok(Some(ev)) = next {
                    batch.push(ev);
                    if batch.len() == READ_BATCH {
                        break;
                    }
                    next = req.try_read_edge_event();
                }
                if !batch.is_empty() {
                    each(&batch);
                    batch.clear();
                }
                if let Err(e) = next {
                    if say {
                        log(&format!("{who}: {e}; its watchers get no more edges"));
                    }
                    *why.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                    return;
                }
            }
        })
        .map_err(|e| format!("{what}: cannot start its edge reader: {e}"))?;
    Ok(Reader {
        stop,
        failed,
        thread: Some(thread),
    })
}

/// The device node of a chip given as `gpiochip0`, `/dev/gpiochip0`, `0` or a label.
fn chip_path(chip: &str) -> Result<PathBuf, String> {
    if chip.starts_with('/') {
        return Ok(PathBuf::from(chip));
    }
    if chip.chars().all(|c| c.is_ascii_digit()) {
        return Ok(PathBuf::from(format!("/dev/gpiochip{chip}")));
    }
    if chip.starts_with("gpiochip") && Path::new("/dev").join(chip).exists() {
        return Ok(Path::new("/dev").join(chip));
    }
    gpio::find_chip(chip)
        .map(|c| c.path)
        .map_err(|e| format!("chip {chip}: {e}"))
}

/// The chip's device node and the offset of GPIO line `at`.
fn line_place(at: &LineAt) -> Result<(PathBuf, u32), String> {
    match at {
        LineAt::Name(n) => gpio::find_line(n)
            .map(|f| (f.chip, f.offset))
            .map_err(|e| e.to_string()),
        LineAt::Offset { chip, offset } => Ok((chip_path(chip)?, *offset)),
        LineAt::Pin { .. } => {
            Err("a chip pin is not a GPIO line: give GPIO17 or gpiochip0:17".into())
        }
    }
}

/// The duty written to the chip for `duty` of `l` (inverted when active-low).
fn physical_duty(l: &Line, duty: f64) -> f64 {
    if l.active_low {
        1.0 - duty
    } else {
        duty
    }
}

fn not_pwm(name: &str) -> String {
    format!("line {name} is not a PWM channel: set it with a level (udrv gpio set {name}=1)")
}

/// Requests line `l` at `value` (outputs).
fn request(
    l: &Line,
    value: bool,
    board: &LineBoard<'_>,
) -> Result<(Handle, Option<(PathBuf, u32)>), String> {
    let what = |e: &dyn std::fmt::Display| {
        format!(
            "[[line]] {} ({}): {e}; check the line in the configuration (`udrv gpio info` lists \
             the lines and who holds them)",
            l.name, l.at
        )
    };
    match board {
        LineBoard::Virtual(b) => {
            let LineAt::Name(n) = &l.at else {
                return Err(what(
                    &"the virtual board's lines go by name (line = \"GPIO27\")",
                ));
            };
            if l.output {
                let o = b
                    .output(n.as_str(), value != l.active_low)
                    .map_err(|e| what(&e))?;
                Ok((Handle::VirtualOut(o), None))
            } else {
                let i = b.input(n.as_str()).map_err(|e| what(&e))?;
                Ok((Handle::VirtualIn(i), None))
            }
        }
        LineBoard::Linux => {
            let (chip, offset) = line_place(&l.at).map_err(|e| what(&e))?;
            let mut b = Request::builder();
            b.on_chip(&chip).with_line(offset).with_consumer(CONSUMER);
            if l.output {
                b.as_output(Value::from(value));
                if let Some(d) = l.drive {
                    b.with_drive(d);
                }
            } else {
                b.with_edge_detection(EdgeDetection::Both);
                // uAPI v2's debounce_period_us; a v1 chip refuses it (no debounce there).
                if let Some(d) = l.debounce {
                    b.with_debounce(d);
                }
            }
            let chip_h = gpio::Chip::open(&chip).map_err(|e| what(&e))?;
            if !l.output && chip_h.abi() == gpio::Abi::V2 {
                b.with_event_buffer_size(KERNEL_EVENT_BUFFER);
            }
            if l.active_low {
                b.as_active_low();
            }
            if let Some(bias) = l.bias {
                b.with_bias(bias);
            }
            let (r, edges) = match b.request_on(&chip_h) {
                Ok(r) => (r, !l.output),
                // A chip without interrupts: an input without edge events (watch refused).
                Err(e) if !l.output && !e.is_busy() => {
                    b.without_edge_detection().as_input();
                    let r = b.request_on(&chip_h).map_err(|_| what(&e))?;
                    log(&format!(
                        "line {} ({}): no edge events ({e}); it can be read, not watched",
                        l.name, l.at
                    ));
                    (r, false)
                }
                Err(e) => return Err(what(&e)),
            };
            Ok((
                Handle::Linux(Arc::new(r), offset, edges),
                Some((chip, offset)),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, extra: &str) -> Config {
        Config::parse(&format!(
            "[state]\ndir = \"{}\"\n[[line]]\nname = \"heater\"\nline = \"GPIO27\"\n\
             direction = \"output\"\nrestore = true\n[[line]]\nname = \"led\"\nline = \
             \"GPIO22\"\ndirection = \"output\"\nstart = 1\nactive_low = true\n{extra}",
            dir.display()
        ))
        .unwrap()
    }

    #[test]
    fn outputs_start_hold_and_restore_through_the_state_folder() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), "");
        let board = VirtualBoard::new();
        let mut lines = Lines::new(dir.path());
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        assert!(!board.level("GPIO27").unwrap(), "heater starts at 0");
        assert!(
            !board.level("GPIO22").unwrap(),
            "led: active 1 is the low level"
        );
        assert!(lines.get("led").unwrap());
        lines.set("led", false).unwrap();
        assert!(board.level("GPIO22").unwrap());
        assert!(
            !dir.path().join(STATE_FILE).exists(),
            "a line without restore: its change writes no state file"
        );
        lines.set("heater", true).unwrap();
        assert!(board.level("GPIO27").unwrap());
        let e = lines.set("fan", true).unwrap_err();
        assert!(
            e.contains("no line `fan`") && e.contains("heater, led"),
            "{e}"
        );
        let text = std::fs::read_to_string(dir.path().join(STATE_FILE)).unwrap();
        assert!(text.contains("\"heater\": 1"), "{text}");
        drop(lines);
        // A new service on a new board: heater restored, led (restore = false) at start.
        let board = VirtualBoard::new();
        let mut lines = Lines::new(dir.path());
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        assert!(board.level("GPIO27").unwrap(), "heater restored to 1");
        assert!(lines.get("led").unwrap(), "led back at its start value");
    }

    #[test]
    fn a_reload_keeps_unchanged_lines_at_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let board = VirtualBoard::new();
        let mut lines = Lines::new(dir.path());
        lines
            .apply(&config(dir.path(), ""), &LineBoard::Virtual(&board))
            .unwrap();
        lines.set("led", false).unwrap();
        lines.set("heater", true).unwrap();
        // The led's declaration changes (start = 0 now, restore = false): requested anew.
        let text = format!(
            "[state]\ndir = \"{}\"\n[[line]]\nname = \"heater\"\nline = \"GPIO27\"\n\
             direction = \"output\"\nrestore = true\n[[line]]\nname = \"led\"\nline = \
             \"GPIO22\"\ndirection = \"output\"\nactive_low = true\n[[line]]\nname = \"int\"\n\
             line = \"GPIO17\"\ndirection = \"input\"\n",
            dir.path().display()
        );
        let c2 = Config::parse(&text).unwrap();
        lines.apply(&c2, &LineBoard::Virtual(&board)).unwrap();
        assert!(lines.get("heater").unwrap(), "kept at the value set");
        assert!(
            !lines.get("led").unwrap(),
            "re-declared: at its new start value"
        );
        assert_eq!(lines.len(), 3);
        assert!(lines.set("int", true).unwrap_err().contains("is an input"));
    }

    #[test]
    fn a_reload_that_makes_an_output_writable_keeps_it_at_its_value() {
        let dir = tempfile::tempdir().unwrap();
        let board = VirtualBoard::new();
        let mut c = config(dir.path(), "");
        let mut lines = Lines::new(dir.path());
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        // The led starts at 1 and is not restored: requested anew, it would be 1 again.
        lines.set("led", false).unwrap();
        c.lines[1].writable = true;
        c.lines[1].rate = 1;
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        assert!(!lines.get("led").unwrap(), "kept, not requested anew");
    }

    #[test]
    fn every_watcher_gets_every_edge_and_one_that_stops_reading_is_told_what_it_lost() {
        let (ta, ra) = sync_channel(WATCH_QUEUE);
        let (tb, rb) = sync_channel(WATCH_QUEUE);
        let (tc, rc) = sync_channel(WATCH_QUEUE);
        let mut ws = vec![
            Watcher { tx: ta, lost: 0 },
            Watcher { tx: tb, lost: 0 },
            Watcher { tx: tc, lost: 0 },
        ];
        drop(rc); // c has gone: removed at the first edge
        let edge = |n: u64| Edge {
            rising: true,
            timestamp_ns: n,
            seqno: Some(n as u32),
            line_seqno: Some(n as u32),
            lost: 0,
        };
        let extra = 5;
        let mut got_a = Vec::new();
        for n in 1..=(WATCH_QUEUE as u64 + extra) {
            fan_out(&mut ws, edge(n));
            got_a.push(ra.try_recv().unwrap());
        }
        assert_eq!(ws.len(), 2);
        assert!(got_a.iter().all(|e| e.lost == 0));
        let seqs: Vec<u64> = got_a.iter().map(|e| e.timestamp_ns).collect();
        assert_eq!(seqs, (1..=WATCH_QUEUE as u64 + extra).collect::<Vec<_>>());
        // b read nothing: it has the first WATCH_QUEUE edges, then is told of the rest.
        let got_b: Vec<Edge> = rb.try_iter().collect();
        assert_eq!(got_b.len(), WATCH_QUEUE);
        assert!(got_b.iter().all(|e| e.lost == 0));
        fan_out(&mut ws, edge(9999));
        let next = rb.try_recv().unwrap();
        assert_eq!((next.timestamp_ns, next.lost), (9999, extra));
        assert_eq!(ra.try_recv().unwrap().lost, 0);
        // Edges the kernel dropped are told to every watcher, on top of its own losses.
        fan_out(
            &mut ws,
            Edge {
                lost: 3,
                ..edge(10_000)
            },
        );
        assert_eq!(ra.try_recv().unwrap().lost, 3);
        assert_eq!(rb.try_recv().unwrap().lost, 3);
    }

    #[test]
    fn chip_pins_share_their_chip_and_keep_the_other_pins_bits() {
        use embedded_hal::i2c::I2c;
        let dir = tempfile::tempdir().unwrap();
        let c = Config::parse(&format!(
            "[state]\ndir = \"{}\"\n[[line]]\nname = \"relay\"\nline = \
             \"mcp23017@i2c-1:0x20/B3\"\ndirection = \"output\"\nrestore = true\n[[line]]\n\
             name = \"siren\"\nline = \"mcp23017@i2c-1:0x20/B0\"\ndirection = \"output\"\n\
             [[line]]\nname = \"lamp\"\nline = \"pca9554@i2c-1:0x21/2\"\ndirection = \
             \"output\"\nstart = 1\n[[line]]\nname = \"fan\"\nline = \"pca9685@i2c-1:0x41/3\"\n\
             direction = \"output\"\nstart = 0.5\nrestore = true\n[[line]]\nname = \"button\"\n\
             line = \"mcp23017@i2c-1:0x20/A1\"\ndirection = \"input\"\nbias = \"pull-up\"\n",
            dir.path().display()
        ))
        .unwrap();
        let board = VirtualBoard::new();
        let mut bus = board.i2c_bus("i2c-1").unwrap();
        let olat_b = |bus: &mut udrv_drivers::sim::SimI2cBus| {
            let mut b = [0];
            bus.write_read(0x20, &[0x15], &mut b).unwrap();
            b[0]
        };
        // Another program set B7 before the service started: the service keeps it.
        bus.write(0x20, &[0x15, 0x80]).unwrap();
        let mut lines = Lines::new(dir.path());
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        assert_eq!(lines.chips.len(), 2 + 1, "one chip opened per spec");
        assert_eq!(olat_b(&mut bus), 0x80);
        lines.set("relay", true).unwrap();
        assert_eq!(olat_b(&mut bus), 0x88, "B3 set, B7 kept");
        // Between two sets, the latch changes behind the service (B1): the next set reads
        // the chip again rather than writing a value it remembers.
        bus.write(0x20, &[0x15, 0x8a]).unwrap();
        lines.set("siren", true).unwrap();
        assert_eq!(olat_b(&mut bus), 0x8b);
        assert!(lines.get("relay").unwrap() && lines.get("siren").unwrap());
        let mut iodir = [0];
        bus.write_read(0x20, &[0x01], &mut iodir).unwrap();
        assert_eq!(iodir[0], 0xf6, "B0 and B3 are outputs, the rest inputs");
        // The PCA9554's pin 2 at its start level; the PCA9685 channel at its duty.
        let mut out = [0];
        bus.write_read(0x21, &[0x01], &mut out).unwrap();
        assert_eq!(out[0] & 0x04, 0x04);
        assert!(lines.get("lamp").unwrap());
        assert_eq!(lines.duty("fan").unwrap(), 0.5);
        lines.set_duty("fan", 0.25).unwrap();
        assert_eq!(board.chips().pca9685.lock().output(3), Some((0, 1024)));
        assert!(lines
            .set_duty("relay", 0.5)
            .unwrap_err()
            .contains("not a PWM channel"));
        assert!(lines
            .set_duty("fan", 1.5)
            .unwrap_err()
            .contains("give 0.0..=1.0"));
        // An input pin without an interrupt line: read on get (with its pull-up), not
        // watched.
        let mut gppu = [0];
        bus.write_read(0x20, &[0x0c], &mut gppu).unwrap();
        assert_eq!(gppu[0], 0x02);
        for level in [true, false] {
            board.chips().mcp23017.lock().set_input(1, Some(level));
            assert_eq!(lines.get("button").unwrap(), level);
        }
        let e = lines.watch("button").unwrap_err();
        assert!(
            e.contains("is read on get") && e.contains("interrupt ="),
            "{e}"
        );
        drop(lines);
        // Restarted on a new board: the duty and the level kept in the state folder.
        let board = VirtualBoard::new();
        let mut lines = Lines::new(dir.path());
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        assert_eq!(lines.duty("fan").unwrap(), 0.25);
        assert!(lines.get("relay").unwrap());
        assert!(
            !lines.get("siren").unwrap(),
            "restore = false: at its start level"
        );
    }

    #[test]
    fn a_state_file_without_duties_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            "{\"version\":1,\"values\":{\"heater\":1}}",
        )
        .unwrap();
        let board = VirtualBoard::new();
        let mut lines = Lines::new(dir.path());
        lines
            .apply(&config(dir.path(), ""), &LineBoard::Virtual(&board))
            .unwrap();
        assert!(
            board.level("GPIO27").unwrap(),
            "heater restored from a version 1 file"
        );
    }

    #[test]
    fn an_unknown_line_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(
            dir.path(),
            "[[line]]\nname = \"x\"\nline = \"GPIO99\"\ndirection = \"input\"\n",
        );
        let board = VirtualBoard::new();
        let e = Lines::new(dir.path())
            .apply(&c, &LineBoard::Virtual(&board))
            .unwrap_err();
        assert!(e.contains("[[line]] x (GPIO99)"), "{e}");
    }
}
