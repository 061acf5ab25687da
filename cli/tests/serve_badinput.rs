#![cfg(feature = "serve")]
//! `udrv serve` given bad input: mistakes `--check` can see refuse the file before
//! anything runs (exit status 2, one line each with its line and column); what only shows
//! at run time (an unreachable broker, a configuration reloaded with mistakes) is
//! reported in one line while the rest goes on. Host only: starts the udrv binary.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::serve::{one_line, refused, text, write_config, Udrv};
use serde_json::Value;

const UDRV: Udrv = Udrv(env!("CARGO_BIN_EXE_udrv"));

fn udrv(args: &[&str]) -> Output {
    UDRV.run(args)
}

#[test]
fn check_reports_every_mistake_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    fs::write(
        &f,
        "board = \"b1\"\nintervall = 5\n\
         [[chip]]\nname = \"room\"\nspec = \"bme280@i2c-1:0x76\"\ninterval = \"fast\"\n\
         [[chip]]\nname = \"room\"\nspec = \"bme281@i2c-1:0x76\"\n\
         [[chip]]\nspec = \"lm75@i2c-1:0x48\"\ninterval = 0\ncolour = \"red\"\n\
         [mqtt]\nhost = \"127.0.0.1\"\nport = \"1883\"\n",
    )
    .unwrap();
    let o = udrv(&["serve", "--check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let err = text(&o.stderr);
    let file = f.display().to_string();
    let want = [
        "2:1: unknown key `intervall`",
        "6:12: [[chip]] 1: invalid type: string \"fast\", expected f64",
        "8:8: [[chip]] 2: duplicate chip name `room`",
        "9:8: [[chip]] 2: spec: unknown chip `bme281`",
        "12:12: [[chip]] 3: interval 0: give a positive number of seconds",
        "13:1: [[chip]] 3: unknown field `colour`",
        "16:8: [mqtt] invalid type: string \"1883\"",
    ];
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), want.len() + 1, "{err}");
    for (l, w) in lines.iter().zip(want) {
        assert!(
            l.starts_with(&format!("udrv: {file}:{w}")),
            "{l:?} is not {w:?}"
        );
    }
    assert!(lines[want.len()].contains("7 mistakes"), "{err}");
}

#[test]
fn a_world_readable_password_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("password");
    fs::write(&pw, "s3cret\n").unwrap();
    fs::set_permissions(&pw, fs::Permissions::from_mode(0o644)).unwrap();
    let f = write_config(
        dir.path(),
        &format!(
            "[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[mqtt]\nhost = \"localhost\"\nusername = \
             \"u\"\npassword_file = \"{}\"\n",
            pw.display()
        ),
    );
    for args in [
        vec!["serve", "--check", f.to_str().unwrap()],
        vec![
            "--board",
            "virtual",
            "serve",
            "--config",
            f.to_str().unwrap(),
        ],
    ] {
        let (first, err) = refused(&udrv(&args));
        assert!(
            first.contains(&format!(
                "{}: the password file is world-readable (mode 644): refused; `chmod o-rwx",
                pw.display()
            )),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_unreachable_broker_is_reported_once_and_readings_are_queued() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::procs::free_port();
    let queue = dir.path().join("queue");
    let f = write_config(
        dir.path(),
        &format!(
            "board = \"away\"\ninterval = 0.05\n[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[json]\n\
             [mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n[queue]\ndir = \"{}\"\n\
             max_bytes = 4096\n",
            queue.display()
        ),
    );
    let o = UDRV.serve_once(&f, &["--duration", "1.5"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    let line = one_line(&err, &[&format!("mqtt 127.0.0.1:{port}: I/O:")]);
    assert!(line.contains("readings are queued"), "{err}");
    let queued = err
        .lines()
        .filter(|l| l.contains("(the broker is away)"))
        .count();
    assert!(queued >= 3, "{err}");
    assert_eq!(
        text(&o.stdout).lines().count(),
        queued,
        "JSON lines go on: {}",
        text(&o.stdout)
    );
    assert!(err.contains("records queued"), "{err}");
    // The queue keeps them for the next run, up to its bound: the oldest dropped, counted.
    let q = udrv_service::queue::Queue::open(&queue, 4096).unwrap();
    assert!(q.dropped() > 0, "{err}");
    assert_eq!(q.len() as u64 + q.dropped(), queued as u64);
    let newest: Value = serde_json::from_slice(
        q.records()
            .last()
            .unwrap()
            .splitn(2, |b| *b == b'\n')
            .nth(1)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(newest["seq"], queued as u64, "the newest are kept");
}

#[test]
fn a_queue_folder_it_cannot_write_is_one_clear_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    let queue = d.join("queue");
    fs::create_dir(&queue).unwrap();
    fs::set_permissions(&queue, fs::Permissions::from_mode(0o555)).unwrap();
    let f = write_config(
        d,
        &format!(
            "board = \"ro\"\n[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[mqtt]\nhost = \
             \"127.0.0.1\"\n[queue]\ndir = \"{}\"\n",
            queue.display()
        ),
    );
    fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
    // Root writes anywhere: the service runs as nobody here, as it would as a service user.
    let root = text(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "timeout",
            "60",
            UDRV.0,
        ]);
        c
    } else {
        let mut c = Command::new("timeout");
        c.args(["60", UDRV.0]);
        c
    };
    let o = cmd
        .args([
            "--board",
            "virtual",
            "serve",
            "--config",
            f.to_str().unwrap(),
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("udrv: {}", queue.display()))
            && last.contains("Permission denied")
            && last.contains("writable by the user udrv runs as"),
        "{err}"
    );
}

fn wait_for(what: &str, ok: impl FnMut() -> bool, context: impl Fn() -> String) {
    common::procs::wait_for(what, Duration::from_secs(20), ok, context);
}

fn lines_of(path: &Path, device: &str) -> usize {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&format!("\"device\":\"{device}\"")))
        .count()
}

#[test]
fn sighup_reloads_a_good_file_keeps_the_old_one_for_a_bad_one_and_sigterm_stops() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = d.join("udrv.toml");
    let out = d.join("readings.jsonl");
    let file = |chip: &str| {
        format!(
            "board = \"hup\"\ninterval = 0.1\n[[chip]]\nspec = \"{chip}\"\n[json]\npath = \"{}\"\n",
            out.display()
        )
    };
    fs::write(&f, file("lm75@i2c-1:0x4f")).unwrap();
    let err_path = d.join("stderr");
    let mut child = Command::new(UDRV.0)
        .args(["--board", "virtual", "serve", "--config"])
        .arg(&f)
        .process_group(0)
        .stdin(Stdio::null())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    // The deadline: the whole group killed, naming what hung.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (d2, group) = (done.clone(), format!("-{pid}"));
    std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(60);
        while !d2.load(std::sync::atomic::Ordering::Relaxed) {
            if Instant::now() > end {
                eprintln!("HUNG: udrv serve (pid group {group}) past 60 s: killed");
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let stderr = || fs::read_to_string(&err_path).unwrap_or_default();
    let signal = |s: &str| {
        assert!(Command::new("kill")
            .args([s, &pid])
            .status()
            .unwrap()
            .success());
    };
    wait_for(
        "readings",
        || lines_of(&out, "lm75@i2c-1:0x4f") >= 3,
        stderr,
    );
    // A bad file: refused, the old configuration goes on.
    fs::write(&f, "[[chip]]\nspec = \"lm76@i2c-1:0x4f\"\n").unwrap();
    signal("-HUP");
    wait_for(
        "the refusal",
        || stderr().contains("the new configuration is refused"),
        stderr,
    );
    assert!(stderr().contains(&format!(
        "{}:2:8: [[chip]] 1: spec: unknown chip `lm76`",
        f.display()
    )));
    let before = lines_of(&out, "lm75@i2c-1:0x4f");
    wait_for(
        "readings after the refusal",
        || lines_of(&out, "lm75@i2c-1:0x4f") > before + 2,
        stderr,
    );
    // A good file: the new chips.
    fs::write(&f, file("sht3x@i2c-1:0x44")).unwrap();
    signal("-HUP");
    wait_for(
        "the new chip's readings",
        || lines_of(&out, "sht3x@i2c-1:0x44") >= 2,
        stderr,
    );
    assert!(stderr().contains("reloaded"), "{}", stderr());
    signal("-TERM");
    let status = child.wait().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(status.success(), "{status:?}\n{}", stderr());
    assert!(stderr().contains("SIGTERM"), "{}", stderr());
}

#[test]
fn bad_bounds_are_usage_errors() {
    for (args, want) in [
        (vec!["serve", "--count", "0"], "--count 0"),
        (vec!["serve", "--duration=-1"], "--duration -1"),
    ] {
        let o = udrv(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains(want), "{}", text(&o.stderr));
    }
    let o = udrv(&["serve", "--config", "/nonexistent/udrv.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("/nonexistent/udrv.toml: cannot read the configuration"));
}

#[test]
fn a_chip_that_gives_none_of_the_quantities_asked_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_config(
        dir.path(),
        "board = \"q\"\ninterval = 0.1\n[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\nquantities = \
         [\"voltage\"]\n[[chip]]\nspec = \"sht3x@i2c-1:0x44\"\nquantities = [\"humidity\"]\n",
    );
    let o = UDRV.serve_once(&f, &["--count", "3"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    let said: Vec<&str> = err.lines().filter(|l| l.contains("gives none")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(said[0].contains("chip lm75_0x4f (lm75@i2c-1:0x4f) gives none of the quantities asked; it gives: temperature"), "{err}");
    let out = text(&o.stdout);
    assert!(
        out.lines().all(|l| l.contains("\"quantity\":\"humidity\"")),
        "{out}"
    );
}
