//! `udrv serve` publishing a declared gpio-sim input's edges in the real-kernel guest:
//! each edge the kernel reports becomes one JSON line beside the readings (`"line"`,
//! `"value"`, `"edge"`, `"source": "edge"`, the kernel's timestamp and sequence number),
//! in order, none lost, through the service's own watch of the line (no poll).
#![cfg(udrv_guest)]
#![cfg(feature = "serve")]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::env;
use serde_json::Value;

fn pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
}

/// Waits (30 s at most) until `ok` holds on the text of `path`; fails showing `log`.
fn wait_file(path: &std::path::Path, log: &std::path::Path, what: &str, ok: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if ok(&text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {what}: {text}\nservice log: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_declared_inputs_kernel_edges_are_json_lines_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (config, lines, log) = (d.join("udrv.toml"), d.join("out.jsonl"), d.join("log"));
    std::fs::write(
        &config,
        format!(
            "board = \"guest\"\n[state]\ndir = \"{0}/state\"\n[socket]\npath = \
             \"{0}/serve.sock\"\n[json]\npath = \"{1}\"\n[[line]]\nname = \"door\"\n\
             line = \"button\"\ndirection = \"input\"\n",
            d.display(),
            lines.display()
        ),
    )
    .unwrap();
    pull(1, false);
    let mut service = Command::new("udrv")
        .args(["serve", "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn udrv serve");
    // Its watch is armed once it says so.
    wait_file(&log, &log, "the service watching its input", |t| {
        t.contains("publishing input changes: 1 by edge events")
    });
    const EDGES: usize = 20;
    for i in 0..EDGES {
        pull(1, i % 2 == 0);
        // Paced: the kernel's event buffer never fills.
        std::thread::sleep(Duration::from_millis(20));
    }
    let changes = || -> Vec<Value> {
        std::fs::read_to_string(&lines)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["line"] == "door")
            .collect()
    };
    wait_file(&lines, &log, "every edge as a JSON line", |_| {
        changes().len() >= EDGES
    });
    let _ = service.kill();
    let _ = service.wait();
    let got = changes();
    assert_eq!(got.len(), EDGES, "{got:#?}");
    let mut last_seqno = None;
    for (i, c) in got.iter().enumerate() {
        let rising = i % 2 == 0;
        assert_eq!(c["board"], "guest", "{c}");
        assert_eq!(c["edge"], if rising { "rising" } else { "falling" }, "{c}");
        assert_eq!(c["value"], u8::from(rising), "{c}");
        assert_eq!(c["source"], "edge", "{c}");
        assert_eq!(c["lost"], 0, "{c}");
        assert!(c["timestamp_ns"].as_u64().is_some_and(|t| t > 0), "{c}");
        let seqno = c["line_seqno"]
            .as_u64()
            .expect("the kernel's sequence number");
        if let Some(prev) = last_seqno {
            assert_eq!(seqno, prev + 1, "{c}");
        }
        last_seqno = Some(seqno);
    }
}
