//! Blocking and non-blocking edge reads of one request, from one thread and several,
//! against the real kernel (gpio-sim) in the QEMU guest
//! (`cargo xtask vmtest --only guest_gpio_modes`). Fixtures as in `guest_gpio.rs`:
//! `UDRV_GPIO_SIM_CHIP`, `UDRV_GPIO_SIM_SYSFS`.
//!
//! A wait without a timeout (`read_edge_event`) sleeps in `read(2)` itself on a blocking
//! descriptor, so an event that comes later costs one system call; every other read
//! (`try_read_edge_event`, a wait with a timeout, tokio) uses the descriptor
//! non-blocking. The descriptor's mode belongs to its open file description, which every
//! thread shares: these tests watch the thread that waits (`/proc/.../syscall` tells the
//! system call it sleeps in) and the descriptor's flags (`/proc/self/fdinfo`) while other
//! threads read the same request the other way.
#![cfg(udrv_guest)]

#[path = "common/asleep.rs"]
mod asleep;
mod common;

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use asleep::Sleeper;
use common::env;

use udrv_core::gpio::{EdgeDetection, EdgeEvent, EdgeKind, Request};

/// A guard against a hang: a call that must return (or an event that must come) and does
/// not within this fails the test.
const WAIT: Duration = Duration::from_secs(30);

/// Drives sim line `n` from outside: `true` pulls it up.
fn pull(n: u32, up: bool) {
    let p = format!("{}/sim_gpio{n}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" })
        .unwrap_or_else(|e| panic!("write {p}: {e}"));
}

/// Line `n` pulled down, then requested with both edges.
fn request(n: u32) -> Arc<Request> {
    pull(n, false);
    Arc::new(
        Request::builder()
            .on_chip(PathBuf::from(env("UDRV_GPIO_SIM_CHIP")))
            .with_line(n)
            .with_edge_detection(EdgeDetection::Both)
            .with_event_buffer_size(1024)
            .with_consumer("modes")
            .request()
            .unwrap(),
    )
}

/// Whether the request's descriptor is `O_NONBLOCK` now (`flags:` of its fdinfo, octal).
fn nonblocking(req: &Request) -> bool {
    let p = format!("/proc/self/fdinfo/{}", req.as_raw_fd());
    let info = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| i64::from_str_radix(f.trim(), 8).ok())
        .unwrap_or_else(|| panic!("no flags in {p}: {info:?}"));
    flags & i64::from(libc::O_NONBLOCK) != 0
}

/// The number of the system call thread `dir` (`/proc/PID/task/TID`) sleeps in.
fn syscall_of(dir: &std::path::Path) -> i64 {
    let p = dir.join("syscall");
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}: {s:?}", p.display()))
}

/// Runs `f` on a new thread and gives back what it returns; fails if it takes longer
/// than [`WAIT`] (a call that must not wait, waiting).
fn returns<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("{what} did not return in {WAIT:?}"))
}

/// A thread that waits in `read_edge_event` on `req`, once it is asleep in the call: its
/// `/proc` directory and its handle.
fn waiter(req: &Arc<Request>) -> (PathBuf, thread::JoinHandle<EdgeEvent>) {
    let (tx, rx) = mpsc::channel();
    let r = Arc::clone(req);
    let h = thread::spawn(move || {
        let me = std::fs::read_link("/proc/thread-self").unwrap();
        tx.send((
            PathBuf::from("/proc").join(me),
            Sleeper::this_thread("the thread in read_edge_event"),
        ))
        .unwrap();
        r.read_edge_event().unwrap()
    });
    let (dir, sleeper) = rx.recv().unwrap();
    sleeper.wait_asleep();
    (dir, h)
}

/// `try_read_edge_event` on another thread: what it returns (failing if it waits).
fn try_read(req: &Arc<Request>, what: &str) -> Option<EdgeEvent> {
    let r = Arc::clone(req);
    returns(what, move || r.try_read_edge_event().unwrap())
}

#[test]
fn a_wait_sleeps_in_read_while_tries_from_other_threads_neither_wait_nor_take_its_event() {
    let req = request(9);
    let (dir, h) = waiter(&req);
    assert_eq!(
        syscall_of(&dir),
        libc::SYS_read,
        "a wait without a timeout sleeps in read(2): one system call when the edge comes"
    );
    assert!(
        !nonblocking(&req),
        "the waiting thread's descriptor is blocking"
    );
    // Another thread's try returns at once, with nothing: the next event is the waiter's.
    assert!(try_read(&req, "a try beside a waiter").is_none());
    // A wait with a timeout beside it ends at its timeout, with nothing.
    let r = Arc::clone(&req);
    let timed = returns("a timed wait beside a waiter", move || {
        r.wait_edge_event(Duration::from_millis(20)).unwrap()
    });
    assert!(timed.is_none());
    pull(9, true);
    let ev = h.join().unwrap();
    assert_eq!(ev.kind, EdgeKind::Rising);
    assert_eq!(ev.lost_before, Some(0));

    // A try now switches the descriptor back: with no event queued it returns at once
    // (on a blocking descriptor it would sleep in read for good).
    assert!(try_read(&req, "a try after a wait").is_none());
    assert!(
        nonblocking(&req),
        "a try leaves the descriptor non-blocking"
    );
    pull(9, false);
    let r = Arc::clone(&req);
    let ev = returns("a timed wait for a queued edge", move || {
        r.wait_edge_event(WAIT).unwrap()
    })
    .expect("the falling edge");
    assert_eq!(ev.kind, EdgeKind::Falling);
    assert_eq!(ev.lost_before, Some(0));

    // The next wait sleeps in read again, and gets the next edge.
    let (dir, h) = waiter(&req);
    assert_eq!(syscall_of(&dir), libc::SYS_read);
    pull(9, true);
    let ev = h.join().unwrap();
    assert_eq!(ev.kind, EdgeKind::Rising);
    assert_eq!(ev.lost_before, Some(0));
}

#[test]
fn threads_waiting_and_trying_on_one_request_get_every_edge_once_and_in_order() {
    const EDGES: u32 = 200;
    let req = request(8);
    let taken = Arc::new(AtomicU32::new(0));
    // Two threads wait without a timeout, one with, one tries.
    let readers: Vec<_> = (0..4)
        .map(|k| {
            let (r, taken) = (Arc::clone(&req), Arc::clone(&taken));
            thread::spawn(move || {
                let mut got = Vec::new();
                while taken.load(Ordering::SeqCst) < EDGES {
                    let ev = match k {
                        0 | 1 => Some(r.read_edge_event().unwrap()),
                        2 => r.wait_edge_event(Duration::from_millis(5)).unwrap(),
                        _ => {
                            let ev = r.try_read_edge_event().unwrap();
                            if ev.is_none() {
                                thread::sleep(Duration::from_millis(1));
                            }
                            ev
                        }
                    };
                    if let Some(ev) = ev {
                        taken.fetch_add(1, Ordering::SeqCst);
                        got.push(ev);
                    }
                }
                got
            })
        })
        .collect();
    let mut up = false;
    for _ in 0..EDGES {
        up = !up;
        pull(8, up);
    }
    // The threads still waiting when the last edge is taken get one more edge each.
    let deadline = std::time::Instant::now() + WAIT;
    while readers.iter().any(|h| !h.is_finished()) {
        assert!(
            std::time::Instant::now() < deadline,
            "a reader never returned"
        );
        if taken.load(Ordering::SeqCst) >= EDGES {
            up = !up;
            pull(8, up);
        }
        thread::sleep(Duration::from_millis(1));
    }
    let mut all = Vec::new();
    for (k, h) in readers.into_iter().enumerate() {
        let got = h.join().unwrap();
        let seqnos: Vec<u32> = got.iter().map(|e| e.seqno.unwrap()).collect();
        assert!(
            seqnos.windows(2).all(|w| w[0] < w[1]),
            "reader {k} got events out of order: {seqnos:?}"
        );
        for e in &got {
            assert_eq!(e.lost_before, Some(0), "reader {k}: {e:?}");
            let rising = e.seqno.unwrap() % 2 == 1;
            assert_eq!(e.kind == EdgeKind::Rising, rising, "reader {k}: {e:?}");
        }
        all.extend(seqnos);
    }
    all.sort_unstable();
    all.retain(|&s| s <= EDGES);
    assert_eq!(all, (1..=EDGES).collect::<Vec<_>>(), "every edge once");
}
