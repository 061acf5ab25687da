//! Starting a stimulus once a waiter really waits, instead of "100 ms later" and hoping:
//! the kernel shows each thread's scheduling state in `/proc/PID/task/TID/stat`, and a
//! thread blocked in poll(2), read(2), epoll_wait(2) or on a futex is asleep (`S`). A test
//! makes its edge, uevent or chip the moment the call it tests has gone to sleep waiting
//! for it, however slow or loaded the machine. The kernel also counts each time a process
//! went to sleep (`voluntary_ctxt_switches`), which tells that a waiting process woke and
//! went back to waiting.
//!
//! Shared by core's tests and others (included there by path). Linux only, as udrv.
#![allow(dead_code)]

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a thread may take to go to sleep before the test fails: a guard against a
/// wait that never blocks (or a hang before it), far above what any step takes.
pub const ASLEEP_WAIT: Duration = Duration::from_secs(60);

/// A thread (or a process's main thread) whose state a test watches.
#[derive(Clone, Debug)]
pub struct Sleeper {
    dir: PathBuf,
    who: String,
}

impl Sleeper {
    /// The calling thread.
    pub fn this_thread(who: &str) -> Sleeper {
        // `PID/task/TID`, relative to /proc.
        let me = std::fs::read_link("/proc/thread-self").expect("read /proc/thread-self");
        Sleeper {
            dir: PathBuf::from("/proc").join(me),
            who: who.to_string(),
        }
    }

    /// Process `pid` (its main thread).
    pub fn process(pid: u32, who: &str) -> Sleeper {
        Sleeper {
            dir: PathBuf::from(format!("/proc/{pid}")),
            who: who.to_string(),
        }
    }

    /// The state letter of `stat` (`R` running, `S` asleep, `D` in I/O, `Z` a zombie).
    pub fn state(&self) -> char {
        let p = self.dir.join("stat");
        let stat = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", p.display(), self.who));
        // `PID (COMM) S ...`: COMM may hold spaces and parentheses, the state follows the
        // last `)`.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .unwrap_or_else(|| panic!("{}: {stat:?}", p.display()))
    }

    /// Whether it is asleep (interruptibly: blocked waiting for something).
    pub fn is_asleep(&self) -> bool {
        self.state() == 'S'
    }

    /// How many times it has gone to sleep so far (`voluntary_ctxt_switches`).
    pub fn sleeps(&self) -> u64 {
        let p = self.dir.join("status");
        let status = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{} ({}): {e}", p.display(), self.who));
        status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no voluntary_ctxt_switches in {}", p.display()))
    }

    /// Waits until it is asleep, at most `limit`: whether it is.
    pub fn asleep_within(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while !self.is_asleep() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// Waits until it is asleep; fails naming it after [`ASLEEP_WAIT`].
    pub fn wait_asleep(&self) {
        assert!(
            self.asleep_within(ASLEEP_WAIT),
            "{} never went to sleep waiting (state {}) in {ASLEEP_WAIT:?}",
            self.who,
            self.state()
        );
    }

    /// Waits until it has gone to sleep more than `sleeps` times and is asleep now: it
    /// woke since [`sleeps`](Self::sleeps) said `sleeps`, and went back to waiting.
    pub fn wait_asleep_again(&self, sleeps: u64) {
        let deadline = Instant::now() + ASLEEP_WAIT;
        while !(self.sleeps() > sleeps && self.is_asleep()) {
            assert!(
                Instant::now() < deadline,
                "{} did not wake and wait again in {ASLEEP_WAIT:?}",
                self.who
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Runs `f` on a new thread as soon as the calling thread is asleep. Call it right before
/// the blocking call (or the `.await` on a current-thread runtime) that waits for what `f`
/// does: `f` then happens while that call really waits.
pub fn when_asleep(f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    let waiter = Sleeper::this_thread("the waiting test thread");
    std::thread::spawn(move || {
        waiter.wait_asleep();
        f()
    })
}
