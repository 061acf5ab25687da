//! Knowing that a capture has read what a test wrote into a pty, instead of sleeping and
//! hoping: the kernel counts the bytes each thread and each process got from read(2)
//! (`rchar` in `/proc/PID/task/TID/io` and `/proc/PID/io`). Once a capture runs it reads
//! nothing but its ports, so when its count has grown by what the test wrote, the capture
//! has those bytes: the port can be unplugged or the capture stopped without losing them,
//! and a frame written after that and after a silence ([`GAP`]) comes in a read of its own
//! (never merged with the previous one, however loaded the machine is).
//!
//! Shared by rs485's capture tests and the CLI's (included there by path).
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a capture may take to read bytes that were written to its port before the
/// test fails. Only a guard against a capture that stopped reading (it would otherwise
/// hang the test): nothing is expected to take anywhere near this long.
pub const READ_WAIT: Duration = Duration::from_secs(60);

/// The silence left between two frames once the capture has read the first: ten times
/// Modbus RTU's 3.5 characters at 19200 baud and above (1.75 ms), so that the silence
/// the capture measures is surely an inter-frame gap. Load only makes it longer.
pub const GAP: Duration = Duration::from_millis(20);

/// The read(2) byte counter of one thread or one process (all its threads).
#[derive(Clone, Debug)]
pub struct Reads {
    io: PathBuf,
    who: String,
}

impl Reads {
    /// The calling thread's counter: call it on the thread that runs the capture (not on
    /// the one that waits: reading `/proc` counts as reading too).
    pub fn this_thread() -> Reads {
        // `PID/task/TID`, relative to /proc.
        let me = std::fs::read_link("/proc/thread-self").expect("read /proc/thread-self");
        Reads {
            io: PathBuf::from("/proc").join(&me).join("io"),
            who: format!("capture thread {}", me.display()),
        }
    }

    /// The counter of process `pid` (a `udrv capture` started by the test).
    pub fn process(pid: u32) -> Reads {
        Reads {
            io: PathBuf::from(format!("/proc/{pid}/io")),
            who: format!("process {pid}"),
        }
    }

    /// The bytes read so far.
    pub fn count(&self) -> u64 {
        let text = std::fs::read_to_string(&self.io).unwrap_or_else(|e| {
            panic!(
                "cannot read {} ({e}): the {} has ended, or the kernel has no \
                 CONFIG_TASK_IO_ACCOUNTING",
                self.io.display(),
                self.who
            )
        });
        text.lines()
            .find_map(|l| l.strip_prefix("rchar:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no rchar in {}: {text}", self.io.display()))
    }

    /// Waits until `n` bytes more than `since` have been read; fails naming `what` (and
    /// how far the reads got) when that does not happen within [`READ_WAIT`].
    pub fn wait(&self, since: u64, n: usize, what: &str) {
        let want = since + n as u64;
        let deadline = Instant::now() + READ_WAIT;
        loop {
            let now = self.count();
            if now >= want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the {} did not read {what}: {} of its {n} bytes read in {READ_WAIT:?}",
                self.who,
                now - since
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Writes `bytes` to a pty master and waits until the capture (`reads`) has read them.
pub fn write_read(master: &mut std::fs::File, bytes: &[u8], reads: &Reads) {
    let before = reads.count();
    master.write_all(bytes).unwrap();
    master.flush().unwrap();
    reads.wait(before, bytes.len(), &format!("{bytes:02x?}"));
}

/// Sends `frames` one at a time, each after [`GAP`] of silence and read by the capture
/// before the next one.
pub fn send_frames(master: &mut std::fs::File, frames: &[Vec<u8>], reads: &Reads) {
    for f in frames {
        std::thread::sleep(GAP);
        write_read(master, f, reads);
    }
}
