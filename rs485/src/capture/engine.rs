//! What a [`Source`](super::source::Source) hands its input to: one framer per port, the
//! raw log being recorded, and the [`Writer`].
//!
//! Every input is recorded in the raw log first (when there is one), then framed, and the
//! frames it completed are written at once, so live capture and replay go through the
//! same steps.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use udrv_core::serial::LineSettings;

use super::writer::Writer;
use super::{Error, StopReason};
use crate::framer::{Framer, FramerKind};
use crate::rawlog::{PortEvent, RawLogHeader, RawLogWriter};
use crate::time::Timestamp;

/// The raw log being recorded, and its path for errors.
pub(crate) type RawLog = (RawLogWriter<BufWriter<File>>, PathBuf);

/// Creates the raw log at `path` for a capture of `names` with `line`, timestamps good to
/// `resolution`.
pub(crate) fn create_raw_log(
    path: &Path,
    line: LineSettings,
    names: &[String],
    resolution: Duration,
) -> Result<RawLog, Error> {
    let header = RawLogHeader {
        line,
        ports: names.to_vec(),
        resolution,
    };
    let log = RawLogWriter::create(path, &header).map_err(|source| Error::RawLog {
        path: path.to_path_buf(),
        source,
    })?;
    Ok((log, path.to_path_buf()))
}

/// Framers, raw log and writer. Each input method returns `Some` when the capture must
/// stop (the frame limit reached, the output's reader gone).
pub(crate) struct Engine<'p> {
    /// The frames' destination.
    pub(crate) w: Writer<'p>,
    framers: Vec<Box<dyn Framer>>,
    raw: Option<RawLog>,
    kind: FramerKind,
    line: LineSettings,
    resolution: Duration,
}

impl<'p> Engine<'p> {
    /// One `kind` framer per port of `w`, for `line` and timestamps good to `resolution`;
    /// every input recorded in `raw`.
    pub(crate) fn new(
        w: Writer<'p>,
        ports: usize,
        raw: Option<RawLog>,
        kind: FramerKind,
        line: LineSettings,
        resolution: Duration,
    ) -> Engine<'p> {
        Engine {
            w,
            framers: (0..ports).map(|_| kind.build(&line, resolution)).collect(),
            raw,
            kind,
            line,
            resolution,
        }
    }

    /// When `port`'s framer next wants a tick.
    pub(crate) fn deadline(&self, port: usize) -> Option<Timestamp> {
        self.framers[port].deadline()
    }

    /// The earliest tick any framer wants.
    pub(crate) fn next_deadline(&self) -> Option<Timestamp> {
        self.framers.iter().filter_map(|f| f.deadline()).min()
    }

    /// Counts `n` bytes read (for records that carry no data to frame).
    pub(crate) fn count(&mut self, n: usize) {
        self.w.stats.bytes += n as u64;
    }

    /// `bytes` read from `port` at `at`: counted, recorded, framed.
    pub(crate) fn data(
        &mut self,
        port: usize,
        at: Timestamp,
        bytes: &[u8],
    ) -> Result<Option<StopReason>, Error> {
        self.count(bytes.len());
        self.record(|rl| rl.write_chunk(at, port as u8, bytes))?;
        self.framers[port].feed(at, bytes, &mut self.w.frames);
        self.w.deliver(port)
    }

    /// `port` has been quiet until `now`: recorded, and its framer closes what the
    /// silence ends.
    pub(crate) fn tick(
        &mut self,
        port: usize,
        now: Timestamp,
    ) -> Result<Option<StopReason>, Error> {
        self.record(|rl| rl.write_tick(now, port as u8))?;
        self.framers[port].tick(now, &mut self.w.frames);
        self.w.deliver(port)
    }

    /// `port` went away at `at`: recorded; its framer gives out what it held and a fresh
    /// one waits for the port to be back.
    pub(crate) fn gone(&mut self, port: usize, at: Timestamp) -> Result<Option<StopReason>, Error> {
        self.event(at, port, PortEvent::Gone)?;
        let fresh = self.kind.build(&self.line, self.resolution);
        self.w.port_gone(&mut self.framers[port], fresh, port)
    }

    /// `port` is back at `at` after `away`: recorded, counted, its next frame marked.
    /// Returns the gap in seconds as the messages give it.
    pub(crate) fn back(
        &mut self,
        port: usize,
        at: Timestamp,
        away: Duration,
    ) -> Result<String, Error> {
        self.event(at, port, PortEvent::Back)?;
        Ok(self.w.port_back(port, away))
    }

    /// Records a port going away or coming back in the raw log, when there is one.
    fn event(&mut self, at: Timestamp, port: usize, event: PortEvent) -> Result<(), Error> {
        self.record(|rl| rl.write_event(at, port as u8, event))
    }

    /// Does `write` to the raw log, when there is one; a failure names the log.
    fn record(
        &mut self,
        write: impl FnOnce(&mut RawLogWriter<BufWriter<File>>) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        match &mut self.raw {
            Some((rl, rp)) => write(rl).map_err(|source| Error::RawLog {
                path: rp.clone(),
                source,
            }),
            None => Ok(()),
        }
    }

    /// The capture is over: every framer gives out what it holds (until the writer says
    /// stop).
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        for (i, f) in self.framers.iter_mut().enumerate() {
            f.finish(&mut self.w.frames);
            if self.w.deliver(i)?.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Flushes the output, then the raw log.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        self.w.flush()?;
        self.record(|rl| rl.flush())
    }
}
