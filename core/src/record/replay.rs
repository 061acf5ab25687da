//! [`Replay`]: a log read back, handing out devices that answer as the recording did.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use embedded_hal::digital::{self, InputPin, OutputPin, StatefulOutputPin};
use embedded_hal::i2c;
use embedded_hal::spi;

use super::format::{self, Data, Entry, Op, PinOp, Tx, HEADER};
use super::lock;
use super::recorder::{address, spi_before, RecordAddress};
use super::Error;

/// A recorded log, read back: hands out [`ReplayDevice`]s by the names the recording
/// used, and checks at the end that everything recorded was replayed.
///
/// Each device replays its own lines in order; by default devices may interleave
/// differently from the recording (threads, or a program that reads its sensors in
/// another order), [`in_order`](Self::in_order) makes the whole log's order binding.
///
/// Cheap to clone; every clone and every device share one position in the log.
#[derive(Clone)]
pub struct Replay {
    state: Arc<Mutex<State>>,
}

struct Line {
    no: usize,
    text: String,
    entry: Entry,
}

struct State {
    file: Arc<str>,
    lines: Vec<Line>,
    consumed: Vec<bool>,
    /// Per device, its lines (indices into `lines`) not yet replayed.
    queues: HashMap<String, VecDeque<usize>>,
    /// Per device, the number of its last line.
    last: HashMap<String, usize>,
    /// Devices in order of first appearance.
    names: Vec<String>,
    /// The first line not yet replayed (index into `lines`).
    next: usize,
    in_order: bool,
    mismatches: Vec<String>,
    total_lines: usize,
}

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.state);
        f.debug_struct("Replay")
            .field("file", &s.file)
            .field("lines", &s.lines.len())
            .field("remaining", &s.consumed.iter().filter(|c| !**c).count())
            .finish()
    }
}

impl Replay {
    /// Reads and parses the log at `path`; errors name the path.
    pub fn open(path: impl AsRef<Path>) -> Result<Replay, Error> {
        let path = path.as_ref();
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Replay::parse(&file, &text),
            Err(source) => Err(Error::Open {
                file: file.into(),
                source,
            }),
        }
    }

    /// Parses a log held in memory (for example [`Log::text`](super::Log::text), or a
    /// log embedded with `include_str!`); `file` is the name errors give it.
    pub fn parse(file: &str, text: &str) -> Result<Replay, Error> {
        let parse_error = |line: usize, text: &str, problem: String| Error::Parse {
            file: file.into(),
            line,
            text: text.to_string(),
            problem,
        };
        let mut raw = text.lines();
        let first = raw.next().unwrap_or("").trim_end();
        if first != HEADER {
            let problem = match first.strip_prefix("# udrv-record ") {
                Some(v) => format!(
                    "version {v} of the log format: this library reads version 1 (`{HEADER}`)"
                ),
                None => format!("not a udrv record log: the first line must be `{HEADER}`"),
            };
            return Err(parse_error(1, first, problem));
        }
        let mut lines = Vec::new();
        let mut total_lines = 1;
        for (i, t) in raw.enumerate() {
            let no = i + 2;
            total_lines = no;
            let t = t.trim_end();
            match format::parse_line(t) {
                Ok(Some(entry)) => lines.push(Line {
                    no,
                    text: t.trim_start().to_string(),
                    entry,
                }),
                Ok(None) => {}
                Err(problem) => return Err(parse_error(no, t, problem)),
            }
        }
        let mut queues: HashMap<String, VecDeque<usize>> = HashMap::new();
        let mut last = HashMap::new();
        let mut names = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let q = queues.entry(l.entry.name.clone()).or_default();
            if q.is_empty() && !last.contains_key(&l.entry.name) {
                names.push(l.entry.name.clone());
            }
            q.push_back(i);
            last.insert(l.entry.name.clone(), l.no);
        }
        Ok(Replay {
            state: Arc::new(Mutex::new(State {
                file: file.into(),
                consumed: vec![false; lines.len()],
                lines,
                queues,
                last,
                names,
                next: 0,
                in_order: false,
                mismatches: Vec::new(),
                total_lines,
            })),
        })
    }

    /// Whether transactions must come in the log's order across devices, not only per
    /// device (off by default). With it on, a device whose next line is not the log's next
    /// line gets a [`Error::Mismatch`] naming the line that was due.
    pub fn in_order(self, yes: bool) -> Self {
        lock(&self.state).in_order = yes;
        self
    }

    /// The device recorded as `name`. Any name is accepted: a name the log does not have
    /// gives a device whose first call fails with [`Error::PastEnd`]. Devices with the same
    /// name share their position in the log.
    pub fn device(&self, name: &str) -> ReplayDevice {
        ReplayDevice {
            name: name.to_string(),
            state: self.state.clone(),
        }
    }

    /// The log's name (the path given to [`open`](Self::open)).
    pub fn file(&self) -> Arc<str> {
        lock(&self.state).file.clone()
    }

    /// The device names the log has, in order of first appearance.
    pub fn devices(&self) -> Vec<String> {
        lock(&self.state).names.clone()
    }

    /// The number of recorded transactions not replayed yet.
    pub fn remaining(&self) -> usize {
        lock(&self.state).consumed.iter().filter(|c| !**c).count()
    }

    /// Checks that every recorded line was replayed and no transaction mismatched (a
    /// driver may have swallowed a mismatch error and carried on): otherwise
    /// [`Error::Unfinished`] lists the lines left and the mismatches.
    pub fn finish(&self) -> Result<(), Error> {
        self.check(|_| true)
    }

    /// [`finish`](Self::finish) for a program that used only some of the recorded
    /// devices: the lines of `devices` must all have been replayed (those of other devices
    /// are no concern), and no transaction of any device may have mismatched.
    pub fn finish_devices(&self, devices: &[&str]) -> Result<(), Error> {
        self.check(|name| devices.contains(&name))
    }

    fn check(&self, counts: impl Fn(&str) -> bool) -> Result<(), Error> {
        let s = lock(&self.state);
        let unconsumed: Vec<(usize, String)> = s
            .lines
            .iter()
            .zip(&s.consumed)
            .filter(|(l, c)| !**c && counts(&l.entry.name))
            .map(|(l, _)| (l.no, l.text.clone()))
            .collect();
        if unconsumed.is_empty() && s.mismatches.is_empty() {
            Ok(())
        } else {
            Err(Error::Unfinished {
                file: s.file.clone(),
                unconsumed,
                mismatches: s.mismatches.clone(),
            })
        }
    }
}

/// One recorded device, replayed: it implements the same embedded-hal traits as
/// [`Recorder`](super::Recorder) (I2C with 7- and 10-bit addresses, SPI device, input and
/// output pins; blocking and async) and answers each call with the next line the log has
/// for its name.
///
/// A call that matches the line (the same kind of transaction, address, operations,
/// bytes written and read lengths; SPI delays are not compared) gets the recorded read
/// data, or the recorded error as [`Error::Recorded`] with its embedded-hal kind. A call
/// that does not match gets [`Error::Mismatch`] (or [`Error::PastEnd`]) and does not
/// advance: the line stays due.
///
/// Drivers take it through their trait bounds. Calling methods on it directly, with both
/// embedded-hal's `I2c` and `SpiDevice` in scope, needs the trait's path
/// (`I2c::write(&mut dev, 0x48u8, &[0])`, `SpiDevice::write(&mut dev, &[0x9f])`), and I2C
/// addresses need their type (`0x48u8` 7-bit, `0x150u16` 10-bit).
#[derive(Clone)]
pub struct ReplayDevice {
    name: String,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for ReplayDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayDevice")
            .field("name", &self.name)
            .finish()
    }
}

impl ReplayDevice {
    /// The device's name in the log.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next line of this device, if `came` matches it: then it is replayed.
    fn take(&self, came: &Tx) -> Result<(usize, Entry), Error> {
        let mut s = lock(&self.state);
        let s = &mut *s;
        let Some(&idx) = s.queues.get(&self.name).and_then(|q| q.front()) else {
            let e = Error::PastEnd {
                file: s.file.clone(),
                device: self.name.clone(),
                last_line: s.last.get(&self.name).copied(),
                lines: s.total_lines,
                came: format::format_tx(&self.name, came),
            };
            s.mismatches.push(e.to_string());
            return Err(e);
        };
        let due = if s.in_order { s.next } else { idx };
        let line = &s.lines[due];
        let difference = if due != idx {
            Some(format!(
                "out of order: the log's next line is for device `{}`",
                line.entry.name
            ))
        } else {
            format::difference(&line.entry.tx, came)
        };
        if let Some(difference) = difference {
            let e = Error::Mismatch {
                file: s.file.clone(),
                line: line.no,
                device: self.name.clone(),
                expected: line.text.clone(),
                came: format::format_tx(&self.name, came),
                difference,
            };
            s.mismatches.push(e.to_string());
            return Err(e);
        }
        let found = (line.no, line.entry.clone());
        if let Some(q) = s.queues.get_mut(&self.name) {
            q.pop_front();
        }
        s.consumed[idx] = true;
        while s.next < s.consumed.len() && s.consumed[s.next] {
            s.next += 1;
        }
        Ok(found)
    }

    /// The outcome a replayed line gives: `Ok`, or its recorded error.
    fn outcome(&self, line: usize, e: &Entry) -> Result<(), Error> {
        match e.outcome {
            Ok(()) => Ok(()),
            Err(kind) => Err(Error::Recorded {
                file: lock(&self.state).file.clone(),
                line,
                device: self.name.clone(),
                kind,
            }),
        }
    }
}

/// The recorded read data, one item per reading operation (reads, transfers), in order.
fn recorded_reads(ops: &[Op]) -> impl Iterator<Item = Option<&[u8]>> {
    ops.iter().filter_map(|op| match op {
        Op::Read(d) | Op::Transfer { read: d, .. } | Op::InPlace { read: d, .. } => Some(match d {
            Data::Known(b) => Some(b.as_slice()),
            Data::Unknown(_) => None,
        }),
        Op::Write(_) | Op::Delay(_) => None,
    })
}

fn entry_ops(e: &Entry) -> &[Op] {
    match &e.tx {
        Tx::I2c { ops, .. } | Tx::Spi { ops } => ops,
        Tx::Pin(_) => &[],
    }
}

fn copy(dst: &mut [u8], src: Option<&[u8]>) {
    if let Some(src) = src {
        if src.len() == dst.len() {
            dst.copy_from_slice(src);
        }
    }
}

fn fill_i2c(e: &Entry, ops: &mut [i2c::Operation<'_>]) {
    let mut reads = recorded_reads(entry_ops(e));
    for op in ops.iter_mut() {
        if let i2c::Operation::Read(b) = op {
            copy(b, reads.next().flatten());
        }
    }
}

fn fill_spi(e: &Entry, ops: &mut [spi::Operation<'_, u8>]) {
    let mut reads = recorded_reads(entry_ops(e));
    for op in ops.iter_mut() {
        match op {
            spi::Operation::Read(b)
            | spi::Operation::Transfer(b, _)
            | spi::Operation::TransferInPlace(b) => copy(b, reads.next().flatten()),
            spi::Operation::Write(_) | spi::Operation::DelayNs(_) => {}
        }
    }
}

fn i2c_tx<A: RecordAddress>(a: A, ops: &[i2c::Operation<'_>]) -> Tx {
    Tx::I2c {
        address: address(a),
        ops: ops
            .iter()
            .map(|op| match op {
                i2c::Operation::Write(b) => Op::Write(b.to_vec()),
                i2c::Operation::Read(b) => Op::Read(Data::Unknown(b.len())),
            })
            .collect(),
    }
}

impl ReplayDevice {
    fn i2c_transaction<A: RecordAddress>(
        &self,
        a: A,
        ops: &mut [i2c::Operation<'_>],
    ) -> Result<(), Error> {
        // Read data of a failed transaction, when the log has it, is handed out too.
        let (line, e) = self.take(&i2c_tx(a, ops))?;
        fill_i2c(&e, ops);
        self.outcome(line, &e)
    }

    fn spi_transaction(&self, ops: &mut [spi::Operation<'_, u8>]) -> Result<(), Error> {
        let (line, e) = self.take(&Tx::Spi {
            ops: spi_before(ops),
        })?;
        fill_spi(&e, ops);
        self.outcome(line, &e)
    }

    fn pin(&self, op: PinOp) -> Result<PinOp, Error> {
        let (line, e) = self.take(&Tx::Pin(op))?;
        self.outcome(line, &e)?;
        match e.tx {
            Tx::Pin(op) => Ok(op),
            // `take` matched a pin transaction: not reached.
            _ => Ok(op),
        }
    }

    fn level(&self, op: PinOp) -> Result<bool, Error> {
        match self.pin(op)? {
            PinOp::Get(Some(h)) | PinOp::IsSet(Some(h)) => Ok(h),
            // The parser refuses a successful query without its level.
            _ => Ok(false),
        }
    }
}

// ---- I2C ---------------------------------------------------------------------------------

impl i2c::ErrorType for ReplayDevice {
    type Error = Error;
}

impl<A: RecordAddress> i2c::I2c<A> for ReplayDevice {
    fn transaction(
        &mut self,
        address: A,
        operations: &mut [i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.i2c_transaction(address, operations)
    }
}

impl<A: RecordAddress> embedded_hal_async::i2c::I2c<A> for ReplayDevice {
    async fn transaction(
        &mut self,
        address: A,
        operations: &mut [i2c::Operation<'_>],
    ) -> Result<(), Self::Error> {
        self.i2c_transaction(address, operations)
    }
}

// ---- SPI ---------------------------------------------------------------------------------

impl spi::ErrorType for ReplayDevice {
    type Error = Error;
}

impl spi::SpiDevice<u8> for ReplayDevice {
    fn transaction(
        &mut self,
        operations: &mut [spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        self.spi_transaction(operations)
    }
}

impl embedded_hal_async::spi::SpiDevice<u8> for ReplayDevice {
    async fn transaction(
        &mut self,
        operations: &mut [spi::Operation<'_, u8>],
    ) -> Result<(), Self::Error> {
        self.spi_transaction(operations)
    }
}

// ---- pins --------------------------------------------------------------------------------

impl digital::ErrorType for ReplayDevice {
    type Error = Error;
}

impl InputPin for ReplayDevice {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        self.level(PinOp::Get(None))
    }

    fn is_low(&mut self) -> Result<bool, Self::Error> {
        self.level(PinOp::Get(None)).map(|h| !h)
    }
}

impl OutputPin for ReplayDevice {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.pin(PinOp::Set(false)).map(|_| ())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.pin(PinOp::Set(true)).map(|_| ())
    }
}

impl StatefulOutputPin for ReplayDevice {
    fn is_set_high(&mut self) -> Result<bool, Self::Error> {
        self.level(PinOp::IsSet(None))
    }

    fn is_set_low(&mut self) -> Result<bool, Self::Error> {
        self.level(PinOp::IsSet(None)).map(|h| !h)
    }

    fn toggle(&mut self) -> Result<(), Self::Error> {
        self.pin(PinOp::Toggle).map(|_| ())
    }
}
