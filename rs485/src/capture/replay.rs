//! The raw-log source: a log recorded by an earlier capture ([`CaptureConfig::replay`]),
//! its records handed to the framers with their recorded times, so the frames come out as
//! they did live (or differently, with another framer).
//!
//! [`CaptureConfig::replay`]: super::CaptureConfig::replay

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::time::Duration;

use udrv_core::serial::Counters;

use super::engine::Engine;
use super::source::{Setup, Source};
use super::{Error, StopReason};
use crate::pcap::Interface;
use crate::rawlog::{PortEvent, RawLogReader};
use crate::time::Timestamp;

/// A raw log being replayed.
pub(crate) struct Replay {
    log: RawLogReader<BufReader<File>>,
    path: PathBuf,
    setup: Setup,
    /// Per port, when it went away (a `Gone` record not yet followed by `Back`).
    gone_at: Vec<Option<Timestamp>>,
}

impl Replay {
    /// Opens the log at `path`; `resolution` overrides the one it was recorded with.
    pub(crate) fn open(path: &Path, resolution: Option<Duration>) -> Result<Replay, Error> {
        let log = RawLogReader::open(path).map_err(|source| Error::Replay {
            path: path.to_path_buf(),
            source,
        })?;
        let h = log.header().clone();
        let ports = h.ports.len();
        Ok(Replay {
            log,
            path: path.to_path_buf(),
            setup: Setup {
                line: h.line,
                names: h.ports,
                resolution: resolution.unwrap_or(h.resolution),
                live: false,
            },
            gone_at: vec![None; ports],
        })
    }
}

impl Source for Replay {
    fn setup(&self) -> &Setup {
        &self.setup
    }

    fn begin(&mut self, engine: &mut Engine<'_>, interfaces: &[Interface]) {
        engine.w.progress.replaying(&self.path, interfaces);
    }

    /// One record of the log.
    fn step(&mut self, engine: &mut Engine<'_>) -> Result<Option<StopReason>, Error> {
        let Some(chunk) = self.log.next_chunk().map_err(|source| Error::Replay {
            path: self.path.clone(),
            source,
        })?
        else {
            return Ok(Some(StopReason::EndOfReplay));
        };
        let port = chunk.port as usize;
        if port >= self.setup.names.len() {
            return Err(Error::Replay {
                path: self.path.clone(),
                source: io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("chunk for port {port}"),
                ),
            });
        }
        let at = chunk.timestamp;
        if chunk.event.is_some() || chunk.tick {
            // (These records carry no data; a hand-made one that does still counts it.)
            engine.count(chunk.data.len());
        }
        match chunk.event {
            Some(PortEvent::Gone) => {
                self.gone_at[port] = Some(at);
                engine.gone(port, at)
            }
            Some(PortEvent::Back) => {
                let away = self.gone_at[port]
                    .take()
                    .map(|t| at.since(t))
                    .unwrap_or_default();
                engine.back(port, at, away)?;
                Ok(None)
            }
            None if chunk.tick => engine.tick(port, at),
            None => engine.data(port, at, &chunk.data),
        }
    }

    fn end(&mut self, engine: &mut Engine<'_>, _reason: &mut StopReason) -> Result<(), Error> {
        if self.log.truncated() {
            engine.w.warn(format!(
                "{}: the raw log is cut short inside its last record (the capture writing it \
                 was killed?); replayed up to its last whole record",
                self.path.display()
            ));
        }
        Ok(())
    }

    /// A replay has no driver counters.
    fn line_errors(&self) -> Vec<Option<Counters>> {
        Vec::new()
    }
}
