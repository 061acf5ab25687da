//! Debounce of a declared input (`debounce = ...` in `[[line]]`, the kernel's uAPI v2
//! `debounce_period_us`) in the real-kernel guest (`cargo xtask vmtest --only
//! guest_serve_debounce`): pulses at most a tenth of the period wide give no edge; a level
//! held ten periods or more gives one. On a uAPI v1 chip (`UDRV_GPIO_ABI=v1`) the service
//! refuses the line, naming v1 and debounce.
//!
//! Time is the stimulus here, so the margins are tenfold and load can only widen them: a
//! pulse counts only when the clock read around its two sysfs writes shows it was at most
//! a tenth of the period wide (a wider one is not counted, and what it gave is ignored); a
//! held level stays until ten periods after the kernel's timestamp of its edge. Only edge
//! counts are asserted.
#![cfg(udrv_guest)]
#![cfg(feature = "serve")]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::procs::{serve_config, start_serve, Proc};
use common::{sim_pull, SIM_BUTTON as LINE};
use udrv_core::gpio::monotonic_now_ns;
use udrv_service::client::{Client, Event};

/// The debounce period declared, in seconds.
const PERIOD_S: f64 = 0.05;
/// Short pulses to give.
const PULSES: usize = 5;
/// Guards waits against a hang (never a measure of speed).
const HANG: Duration = Duration::from_secs(60);

fn period_ns() -> u64 {
    (PERIOD_S * 1e9) as u64
}

/// Sleeps until the monotonic clock is at `t_ns` or later.
fn sleep_until(t_ns: u64) {
    let now = monotonic_now_ns();
    if t_ns > now {
        std::thread::sleep(Duration::from_nanos(t_ns - now));
    }
}

fn lines(debounce: f64) -> String {
    format!(
        "[[line]]\nname = \"door\"\nline = \"button\"\ndirection = \"input\"\n\
         debounce = {debounce}\n"
    )
}

#[test]
fn pulses_shorter_than_the_period_give_no_edge_and_held_levels_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("serve.sock");
    let config = serve_config(dir.path(), &socket, &lines(PERIOD_S));
    sim_pull(LINE, false);
    let service = start_serve(&config, &socket, dir.path(), &[], Duration::from_secs(280));
    let mut watch = Client::connect(&socket).unwrap().watch("door").unwrap();
    let (tx, rx) = mpsc::channel::<Event>();
    let reader = std::thread::spawn(move || {
        while let Some(e) = watch.next_event().unwrap() {
            if tx.send(e).is_err() {
                return;
            }
        }
    });
    let p = period_ns();

    // Short pulses, each in ten periods of quiet: windows [start, start + 10 periods).
    let mut windows = Vec::new();
    let mut tries = 0;
    while windows.len() < PULSES {
        tries += 1;
        assert!(
            tries <= 50,
            "never {PULSES} pulses of at most a tenth of the period"
        );
        let t0 = monotonic_now_ns();
        sim_pull(LINE, true);
        sim_pull(LINE, false);
        let t1 = monotonic_now_ns();
        if t1 - t0 <= p / 10 {
            windows.push((t0, t0 + 10 * p));
        }
        sleep_until(t0 + 10 * p);
    }

    // Held levels: high, then low, each until ten periods after its edge's timestamp.
    // Edges from before them are kept in `early`.
    let held = monotonic_now_ns();
    let mut early = Vec::new();
    let mut wait_edge = |edge: &str| -> u64 {
        loop {
            let e = rx.recv_timeout(HANG).expect("the held level's edge");
            if e.timestamp_ns < held {
                early.push(e);
                continue;
            }
            assert_eq!(e.edge, edge, "{e:?}");
            return e.timestamp_ns;
        }
    };
    sim_pull(LINE, true);
    let ts = wait_edge("rising");
    sleep_until(ts + 10 * p);
    sim_pull(LINE, false);
    let ts = wait_edge("falling");
    sleep_until(ts + 10 * p);
    drop(service);
    reader.join().unwrap();
    for e in rx.try_iter() {
        assert!(
            e.timestamp_ns < held,
            "one edge for each held level, no more: {e:?}"
        );
        early.push(e);
    }

    // No edge inside a short pulse's window.
    early.retain(|e| {
        windows
            .iter()
            .any(|(a, b)| (*a..*b).contains(&e.timestamp_ns))
    });
    assert!(early.is_empty(), "short pulses gave edges: {early:?}");
}

#[test]
fn a_v1_chip_refuses_debounce_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("serve.sock");
    let config = serve_config(dir.path(), &socket, &lines(PERIOD_S));
    let mut cmd = std::process::Command::new("udrv");
    cmd.args(["serve", "--config"])
        .arg(&config)
        .env("UDRV_GPIO_ABI", "v1");
    // A service that took the line would run on: killed at the deadline, and failing.
    let mut p = Proc::start("serve-v1", &mut cmd, dir.path(), HANG);
    let status = p.wait();
    let err = p.stderr();
    assert!(!status.success(), "{err}");
    assert!(
        err.contains("[[line]] door (button)")
            && err.contains("uAPI v1, which cannot do debounce")
            && err.contains("needs uAPI v2"),
        "{err}"
    );
}
