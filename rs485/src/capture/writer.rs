//! The writer: frames out to the pcap or pcapng sink (a file, a FIFO, stdout, or rotated
//! files), counted, numbered by interface, marked after a reconnect, with the stop
//! conditions that come from the output (the frame limit, the reader gone).

use std::fs::File;
use std::io::{self, BufWriter};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{CaptureConfig, Error, Output, Progress, Stats, StopReason};
use crate::frame::{Direction, Frame};
use crate::framer::Framer;
use crate::pcap::{open_sink, FrameSink, Interface};
use crate::rotate::RotatingSink;

/// The frames' destination with the bookkeeping around it.
pub(crate) struct Writer<'p> {
    pub(crate) sink: Box<dyn FrameSink>,
    pub(crate) path: Option<PathBuf>,
    pub(crate) directions: Vec<Direction>,
    pub(crate) stats: Stats,
    pub(crate) max_frames: Option<u64>,
    pub(crate) progress: &'p mut dyn Progress,
    /// Frames cut by a framer, not yet written.
    pub(crate) frames: Vec<Frame>,
    /// Per port, a comment for its next frame (the first after a reconnect).
    pub(crate) notes: Vec<Option<String>>,
    pub(crate) warnings: Vec<String>,
}

impl Writer<'_> {
    /// Writes the frames collected from `port`'s framer; says when to stop.
    pub(crate) fn deliver(&mut self, port: usize) -> Result<Option<StopReason>, Error> {
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
    pub(crate) fn port_gone(
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
    pub(crate) fn port_back(&mut self, port: usize, away: Duration) -> String {
        let gap = format!("{:.1}", away.as_secs_f64());
        self.stats.reconnects += 1;
        self.notes[port] = Some(format!("udrv: after reconnect (port was away {gap} s)"));
        gap
    }

    /// Tells the user, and keeps it for the summary.
    pub(crate) fn warn(&mut self, message: String) {
        self.progress.warning(&message);
        self.warnings.push(message);
    }

    /// Flushes the output; a reader gone is not an error here.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
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

/// Whether `file` is a FIFO or a socket (a reader waits for each frame).
fn is_pipe(file: &File) -> bool {
    file.metadata()
        .map(|m| m.file_type().is_fifo() || m.file_type().is_socket())
        .unwrap_or(false)
}

/// Opens the output `config` names and writes the file header for `interfaces`; frames
/// are flushed one by one when `live` or when the output is a pipe.
pub(crate) fn open_output(
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
