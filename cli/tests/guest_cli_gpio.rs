//! `udrv gpio` in the real-kernel guest, against gpio-sim: lines by name, the sim side
//! driving inputs through its sysfs `pull` attribute and reading outputs through `value`.
#![cfg(udrv_guest)]

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{env, sim_value, stderr, stdout, udrv};
use udrv_core::gpio::Chip;

fn spawn(args: &[&str]) -> Child {
    Command::new("udrv")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn udrv")
}

fn pull(offset: u32, up: bool) {
    let p = format!("{}/sim_gpio{offset}/pull", env("UDRV_GPIO_SIM_SYSFS"));
    std::fs::write(&p, if up { "pull-up" } else { "pull-down" }).expect(&p);
}

/// Waits for a child at most `secs` seconds; kills it and fails with what it printed when
/// it does not finish (a missed edge must fail the test, not hang the guest).
fn finish(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let o = child.wait_with_output().expect("wait");
            panic!(
                "udrv did not finish within {secs} s; stdout: {:?} stderr: {:?}",
                stdout(&o),
                stderr(&o)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("wait")
}

/// Starts `udrv gpio mon --banner ...` and returns once its banner says edge detection is
/// armed. (Seeing the consumer in line info is not enough: the kernel marks the line used
/// before it sets up edge detection, and an edge in between is missed.)
fn spawn_mon(args: &[&str]) -> Child {
    use std::io::BufRead;
    let mut all = vec!["gpio", "mon", "--banner"];
    if args.first() == Some(&"--json") {
        all.insert(0, "--json");
        all.extend_from_slice(&args[1..]);
    } else {
        all.extend_from_slice(args);
    }
    let mut child = spawn(&all);
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("piped stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("read banner");
    assert!(
        line.contains("monitoring"),
        "no banner from udrv gpio mon: {line:?}"
    );
    child
}

/// Waits until a line is requested with the given consumer (the child is ready).
fn wait_consumer(offset: u32, consumer: &str) {
    let chip = Chip::open(env("UDRV_GPIO_SIM_CHIP")).expect("open sim chip");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = chip.line_info(offset).expect("line info");
        if info.used && info.consumer.as_deref() == Some(consumer) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "line {offset} never got consumer {consumer}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn detect_lists_the_sim_chips() {
    let o = udrv(&["gpio", "detect"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("[udrv-sim] (16 lines)"), "{text}");
    assert!(text.contains("[udrv-sim2] (8 lines)"), "{text}");
}

#[test]
fn get_by_name_and_by_chip_offset_follow_the_pull() {
    pull(1, true);
    let o = udrv(&["gpio", "get", "button"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "\"button\"=active");
    pull(1, false);
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "button"])).trim(),
        "\"button\"=inactive"
    );
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "udrv-sim:1"])).trim(),
        "0"
    );
    pull(1, true);
    let chip = env("UDRV_GPIO_SIM_CHIP");
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "-c", &chip, "1"])).trim(),
        "1"
    );
    // active-low inverts the logical value
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "--active-low", "button"])).trim(),
        "0"
    );
    // the v1 uAPI gives the same answer
    assert_eq!(
        stdout(&udrv(&["gpio", "get", "-n", "--abi-v1", "button"])).trim(),
        "1"
    );
}

#[test]
fn set_hold_drives_the_line_and_info_names_the_consumer() {
    let mut child = spawn(&["gpio", "set", "-y", "--hold", "led=1"]);
    wait_consumer(0, "udrv-set");
    assert_eq!(sim_value(0), "1");
    let o = udrv(&["gpio", "info", "udrv-sim"]);
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.contains("\"led\""))
        .expect("led line");
    assert!(
        line.contains("output") && line.contains("consumer=\"udrv-set\""),
        "{line}"
    );
    // A second user gets EBUSY with the holder named.
    let o = udrv(&["gpio", "get", "led"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("udrv-set"), "{}", stderr(&o));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn mon_prints_edges_with_sequence_numbers() {
    pull(3, false);
    let child = spawn_mon(&["-n", "2", "irq"]);
    pull(3, true);
    std::thread::sleep(Duration::from_millis(50));
    pull(3, false);
    let o = finish(child, 30);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].contains("\trising\t\"irq\"\tseqno=1 line_seqno=1"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("\tfalling\t\"irq\"\tseqno=2 line_seqno=2"),
        "{}",
        lines[1]
    );
    let ts: Vec<f64> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    assert!(ts[1] > ts[0], "kernel timestamps increase: {ts:?}");
}

#[test]
fn mon_json_is_one_object_per_line() {
    pull(7, false);
    let child = spawn_mon(&["--json", "-n", "1", "--edges", "rising", "spare"]);
    pull(7, true);
    let o = finish(child, 30);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("JSON line");
    assert_eq!(v["edge"], "rising");
    assert_eq!(v["line"], "spare");
    assert_eq!(v["offset"], 7);
    assert_eq!(v["seqno"], 1);
    assert_eq!(v["lost_before"], 0);
}

#[test]
fn bad_arguments_are_refused_and_lines_left_alone() {
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["gpio", "get", "no-such-line"],
            1,
            "no GPIO line is named `no-such-line`",
        ),
        (&["gpio", "set", "-y", "relay=maybe"], 2, "not a line value"),
        (&["gpio", "set", "-y", "relay"], 2, "not LINE=VALUE"),
        (&["gpio", "set", "relay=1"], 2, "refusing"),
        (&["gpio", "get", "led", "motor"], 2, "different chips"),
        (&["gpio", "info", "gpiochip99"], 1, "gpiochip99"),
    ];
    for (args, code, needle) in cases {
        let o = udrv(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(*code), "udrv {args:?}: {e}");
        assert!(e.contains(needle), "udrv {args:?}: `{e}` lacks `{needle}`");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    let chip = Chip::open(env("UDRV_GPIO_SIM_CHIP")).unwrap();
    let relay = chip.line_info(2).unwrap();
    assert!(
        !relay.used,
        "a refused set must not request the line: {relay:?}"
    );
}
