//! [`Log`]: the shared writer every [`Recorder`] appends its lines to.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::format::{self, Entry, HEADER};
use super::lock;
use super::Recorder;

/// A log being written: the destination of one or more [`Recorder`]s.
///
/// Cheap to clone (an `Arc` inside): every clone, and every recorder made from it, appends
/// to the same destination, one line per transaction in the order the transactions
/// finished, so a whole program's buses and pins go to one file in order. Each line is
/// written with a single `write` call as soon as its transaction is done, so a program that
/// crashes leaves a log that is complete up to the crash.
///
/// Writing the log never changes what a recorded call returns: a failed write is kept and
/// reported by [`flush`](Self::flush) (and [`error`](Self::error)), and later lines are
/// still attempted.
#[derive(Clone)]
pub struct Log {
    inner: Arc<Mutex<Sink>>,
}

struct Sink {
    out: Box<dyn Write + Send>,
    memory: Option<Arc<Mutex<Vec<u8>>>>,
    error: Option<io::Error>,
    entries: usize,
}

/// The writer of [`Log::memory`].
struct Memory(Arc<Mutex<Vec<u8>>>);

impl Write for Memory {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.inner);
        f.debug_struct("Log")
            .field("entries", &s.entries)
            .field("memory", &s.memory.is_some())
            .field("error", &s.error)
            .finish()
    }
}

impl Log {
    /// Creates (or truncates) the file at `path` and writes the header line.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Log> {
        Log::from_writer(File::create(path)?)
    }

    /// A log written to `out` (a file, a pipe, standard error, ...); writes the header
    /// line at once. Each line is one `write_all`; wrap `out` in a
    /// [`BufWriter`](std::io::BufWriter) for fewer system calls, and call
    /// [`flush`](Self::flush) at the end.
    pub fn from_writer(out: impl Write + Send + 'static) -> io::Result<Log> {
        let mut out: Box<dyn Write + Send> = Box::new(out);
        out.write_all(format!("{HEADER}\n").as_bytes())?;
        Ok(Log::with(out, None))
    }

    /// A log kept in memory; [`text`](Self::text) returns it. For tests, and for programs
    /// that decide only later whether to keep a session.
    pub fn memory() -> Log {
        let buf = Arc::new(Mutex::new(format!("{HEADER}\n").into_bytes()));
        Log::with(Box::new(Memory(buf.clone())), Some(buf))
    }

    fn with(out: Box<dyn Write + Send>, memory: Option<Arc<Mutex<Vec<u8>>>>) -> Log {
        Log {
            inner: Arc::new(Mutex::new(Sink {
                out,
                memory,
                error: None,
                entries: 0,
            })),
        }
    }

    /// The text written so far, for a log made by [`memory`](Self::memory) (`None` for
    /// the others).
    pub fn text(&self) -> Option<String> {
        let s = lock(&self.inner);
        let m = s.memory.as_ref()?;
        let text = String::from_utf8_lossy(&lock(m)).into_owned();
        Some(text)
    }

    /// Wraps `inner` (an I2C bus, SPI device or pin) in a [`Recorder`] that appends its
    /// transactions to this log under `name` (`i2c-1`, `flash`, `led`, ...); the same
    /// name is what [`Replay::device`](super::Replay::device) takes.
    ///
    /// Two recorders may share a name: their lines then replay as one device.
    ///
    /// # Panics
    ///
    /// If `name` is not one word of printable ASCII without `#` (and not starting with
    /// `!`): the log could not be read back.
    pub fn record<B>(&self, name: &str, inner: B) -> Recorder<B> {
        Recorder::new(self, name, inner)
    }

    /// Appends a comment line (`# text`, each line of `text` its own comment): what the
    /// program was doing, the board, the date. Replay skips comments.
    pub fn comment(&self, text: &str) {
        let mut s = String::new();
        for l in text.lines() {
            s.push_str("# ");
            s.push_str(l);
            s.push('\n');
        }
        if s.is_empty() {
            s.push_str("#\n");
        }
        self.write_line(&s, false);
    }

    /// The number of transactions recorded so far.
    pub fn entries(&self) -> usize {
        lock(&self.inner).entries
    }

    /// Flushes the destination; returns the first error met writing the log, if any (and
    /// forgets it).
    pub fn flush(&self) -> io::Result<()> {
        let mut s = lock(&self.inner);
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        s.out.flush()
    }

    /// A description of the first error met writing the log, if any (kept until
    /// [`flush`](Self::flush) returns it).
    pub fn error(&self) -> Option<String> {
        lock(&self.inner).error.as_ref().map(|e| e.to_string())
    }

    pub(crate) fn append(&self, e: &Entry) {
        let mut line = format::format_entry(e);
        line.push('\n');
        self.write_line(&line, true);
    }

    fn write_line(&self, text: &str, entry: bool) {
        let mut s = lock(&self.inner);
        if let Err(err) = s.out.write_all(text.as_bytes()) {
            s.error.get_or_insert(err);
        }
        if entry {
            s.entries += 1;
        }
    }
}
