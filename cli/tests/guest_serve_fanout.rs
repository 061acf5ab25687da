//! Edge fan-out of `udrv serve` in the real-kernel guest (`cargo xtask vmtest --only
//! guest_serve_fanout`): two clients watching one gpio-sim input both receive all of
//! [`EDGES`] edges, in order (the kernel's line sequence numbers checked, no edge lost),
//! while a third client that stops reading is told, with the first edge it gets once it
//! reads again, how many it lost (its sequence numbers jump by exactly that much).
//!
//! The stimulus is a sysfs `pull` write per edge, paced so that the kernel's event buffer
//! never overflows: edge k+1 is made only once both readers have seen edge k-[`WINDOW`].
//! No time is asserted; every wait has a deadline that only guards against a hang.
#![cfg(udrv_guest)]
#![cfg(feature = "serve")]

mod common;

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::procs::{serve_config, start_serve};
use common::{sim_pull, SIM_BUTTON as LINE};
use udrv_service::client::{Client, Event, Watch};

/// The edges both readers must get.
const EDGES: u32 = 10_000;
/// How far the stimulus may run ahead of the slower reader.
const WINDOW: u32 = 64;
/// Guards every wait against a hang (never a measure of speed).
const HANG: Duration = Duration::from_secs(120);

/// What a reader has seen so far: the last line sequence number, and whether it may read.
#[derive(Default)]
struct Progress {
    seen: Mutex<(u32, bool)>,
    cv: Condvar,
}

impl Progress {
    fn set(&self, f: impl FnOnce(&mut (u32, bool))) {
        f(&mut self.seen.lock().unwrap());
        self.cv.notify_all();
    }

    /// Waits until `ok` holds for the state (panicking, naming `what`, after [`HANG`]).
    fn wait(&self, what: &str, ok: impl Fn(&(u32, bool)) -> bool) {
        let end = Instant::now() + HANG;
        let mut g = self.seen.lock().unwrap();
        while !ok(&g) {
            let left = end.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {what} within {HANG:?} (at {})", g.0);
            g = self.cv.wait_timeout(g, left).unwrap().0;
        }
    }
}

/// Reads `w` until the service goes, reporting each edge's line sequence number; a reader
/// that is not yet allowed to read (`gate`) waits for [`Progress::set`] first.
fn read_all(mut w: Watch, p: &Progress, gate: bool) -> Vec<Event> {
    if gate {
        p.wait("leave to read", |s| s.1);
    }
    let mut got = Vec::new();
    while let Some(e) = w.next_event().unwrap() {
        let n = e.line_seqno.expect("uAPI v2 gives line sequence numbers");
        got.push(e);
        p.set(|s| s.0 = n);
    }
    got
}

fn edge_of(n: u32) -> &'static str {
    // The line starts low: odd edges are rising.
    if n % 2 == 1 {
        "rising"
    } else {
        "falling"
    }
}

#[test]
fn two_watchers_get_all_of_10000_edges_and_one_that_stops_reading_is_told_what_it_lost() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("serve.sock");
    let config = serve_config(
        dir.path(),
        &socket,
        "[[line]]\nname = \"door\"\nline = \"button\"\ndirection = \"input\"\n",
    );
    sim_pull(LINE, false);
    let service = start_serve(&config, &socket, dir.path(), &[], Duration::from_secs(280));

    let watch = || Client::connect(&socket).unwrap().watch("door").unwrap();
    let readers: Vec<_> = [false, false, true]
        .into_iter()
        .map(|gate| {
            let (w, p) = (watch(), Arc::new(Progress::default()));
            let p2 = p.clone();
            let t = std::thread::spawn(move || read_all(w, &p2, gate));
            (p, t)
        })
        .collect();
    let (a, b, slow) = (&readers[0].0, &readers[1].0, &readers[2].0);

    let started = Instant::now();
    for k in 1..=EDGES {
        if k > WINDOW {
            for p in [a, b] {
                p.wait("edge k-WINDOW at a reader", |s| s.0 >= k - WINDOW);
            }
        }
        sim_pull(LINE, k % 2 == 1);
    }
    for p in [a, b] {
        p.wait("the last edge at a reader", |s| s.0 >= EDGES);
    }
    eprintln!(
        "{EDGES} edges to 2 readers in {:?} (for information, not asserted)",
        started.elapsed()
    );

    // The client that stopped reading reads again; edges go on, one at a time, until one
    // reaches it after what waited in its queue (that one carries the count it lost).
    slow.set(|s| s.1 = true);
    let mut k = EDGES;
    loop {
        k += 1;
        sim_pull(LINE, k % 2 == 1);
        for p in [a, b] {
            p.wait("a further edge at a reader", |s| s.0 >= k);
        }
        let reached = {
            let end = Instant::now() + Duration::from_secs(5);
            let mut g = slow.seen.lock().unwrap();
            while g.0 < k && Instant::now() < end {
                g = slow
                    .cv
                    .wait_timeout(g, Duration::from_millis(200))
                    .unwrap()
                    .0;
            }
            g.0 >= k
        };
        if reached {
            break;
        }
        assert!(k < EDGES + 200, "the slow client never caught up");
    }
    let total = k;
    // The service goes: every reader sees the end of its stream.
    drop(service);
    let got: Vec<Vec<Event>> = readers
        .into_iter()
        .map(|(_, t)| t.join().unwrap())
        .collect();

    for (who, events) in ["a", "b"].iter().zip(&got[..2]) {
        assert_eq!(events.len(), total as usize, "reader {who} got every edge");
        for (i, e) in events.iter().enumerate() {
            let n = i as u32 + 1;
            assert_eq!(e.line_seqno, Some(n), "reader {who}, edge {n}: {e:?}");
            assert_eq!(
                (e.edge.as_str(), e.lost),
                (edge_of(n), 0),
                "reader {who}: {e:?}"
            );
            assert_eq!(e.name, "door");
        }
    }
    // The slow client: every edge got or counted as lost, in order, the jumps in its
    // sequence numbers exactly the losses told.
    let events = &got[2];
    let mut last = 0;
    for e in events {
        let n = e.line_seqno.unwrap();
        assert_eq!(
            u64::from(n - last - 1),
            e.lost,
            "the slow client was told exactly what it lost: {e:?}"
        );
        assert_eq!(e.edge, edge_of(n), "{e:?}");
        last = n;
    }
    assert_eq!(last, total);
    let lost: u64 = events.iter().map(|e| e.lost).sum();
    assert!(
        lost > 0,
        "the slow client lost nothing: it never fell behind"
    );
    assert_eq!(events.len() as u64 + lost, u64::from(total));
    eprintln!(
        "the slow client got {} edges and was told of {lost} lost",
        events.len()
    );
    sim_pull(LINE, false);
}
