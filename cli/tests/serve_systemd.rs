#![cfg(feature = "serve")]
//! `udrv serve` under systemd, without systemd as PID 1 (these machines have none): the
//! test is the service manager. It listens on a `NOTIFY_SOCKET` it creates (a path and an
//! abstract address) and checks the sd_notify messages (READY, WATCHDOG pings at half
//! of `WATCHDOG_USEC`, RELOADING on SIGHUP, STOPPING on SIGTERM); it hands stderr a file
//! and says with `JOURNAL_STREAM` whether that file is the journal, and checks the
//! priority prefixes. The unit itself (packaging/udrv.service) is checked by Debian's
//! `systemd-analyze`. Host only: starts the udrv binary.

use std::fs;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const UDRV: &str = env!("CARGO_BIN_EXE_udrv");

/// A guard against a hang, never a measure: no test asserts how long anything took.
const DEADLINE: Duration = Duration::from_secs(30);

const CONFIG: &str = "board = \"t1\"\ninterval = 0.05\n\
                      [[chip]]\nname = \"brd\"\nspec = \"lm75@i2c-1:0x4f\"\n";

fn config(dir: &Path) -> PathBuf {
    let p = dir.join("udrv.toml");
    fs::write(&p, CONFIG).unwrap();
    p
}

fn serve(config: &Path, stderr: fs::File, env: &[(&str, &str)]) -> Child {
    Command::new(UDRV)
        .args(["--board", "virtual", "serve", "--config"])
        .arg(config)
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env_remove("UDRV_VIRTUAL_TIME")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .env_remove("JOURNAL_STREAM")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

fn kill(child: &Child, signal: &str) {
    let s = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(s.success());
}

/// The service's messages, one datagram each, until `done` says enough (or the deadline
/// passes: then the test fails naming what it waited for).
struct Listener {
    sock: UnixDatagram,
    got: Vec<String>,
}

impl Listener {
    fn new(sock: UnixDatagram) -> Listener {
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        Listener {
            sock,
            got: Vec::new(),
        }
    }

    fn until(&mut self, what: &str, child: &mut Child, done: impl Fn(&[String]) -> bool) {
        let end = Instant::now() + DEADLINE;
        let mut buf = [0u8; 4096];
        while !done(&self.got) {
            if Instant::now() > end {
                let _ = child.kill();
                panic!("no {what} within {DEADLINE:?}; got {:?}", self.got);
            }
            if let Ok(n) = self.sock.recv(&mut buf) {
                self.got
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
    }

    fn count(&self, prefix: &str) -> usize {
        self.got.iter().filter(|m| m.starts_with(prefix)).count()
    }
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    let end = Instant::now() + DEADLINE;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("udrv serve did not stop within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// READY once running, WATCHDOG pings from the loop at half of WATCHDOG_USEC (counted:
/// at 100 ms pings, 20 of them come while the service runs on), RELOADING with
/// MONOTONIC_USEC on SIGHUP then READY again, STOPPING on SIGTERM; the socket a path.
#[test]
fn the_service_notifies_systemd_on_a_socket_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let mut l = Listener::new(UnixDatagram::bind(&path).unwrap());
    let err = fs::File::create(dir.path().join("err")).unwrap();
    let mut child = serve(
        &config(dir.path()),
        err,
        &[
            ("NOTIFY_SOCKET", path.to_str().unwrap()),
            ("WATCHDOG_USEC", "200000"),
        ],
    );
    l.until("READY=1", &mut child, |g| {
        g.iter().any(|m| m.starts_with("READY=1\n"))
    });
    assert!(
        l.got[0].starts_with("READY=1\nSTATUS=board t1: reading 1 chips"),
        "{:?}",
        l.got
    );
    l.until("20 WATCHDOG=1", &mut child, |g| {
        g.iter().filter(|m| *m == "WATCHDOG=1").count() >= 20
    });
    kill(&child, "-HUP");
    l.until("RELOADING=1 then READY=1", &mut child, |g| {
        g.iter()
            .position(|m| m.starts_with("RELOADING=1\n"))
            .is_some_and(|i| g[i..].iter().any(|m| m.starts_with("READY=1\n")))
    });
    let reloading = l
        .got
        .iter()
        .find(|m| m.starts_with("RELOADING=1\n"))
        .unwrap();
    let usec: u64 = reloading
        .lines()
        .find_map(|x| x.strip_prefix("MONOTONIC_USEC="))
        .unwrap_or_else(|| panic!("{reloading:?}"))
        .parse()
        .unwrap();
    assert!(usec > 0);
    kill(&child, "-TERM");
    l.until("STOPPING=1", &mut child, |g| {
        g.iter().any(|m| m.starts_with("STOPPING=1"))
    });
    assert!(wait(&mut child).success());
    assert_eq!(l.count("READY=1"), 2, "{:?}", l.got);
    assert_eq!(l.count("STOPPING=1"), 1, "{:?}", l.got);
    // Nothing after STOPPING (no pings from a service on its way out).
    assert!(
        l.got.last().unwrap().starts_with("STOPPING=1"),
        "{:?}",
        l.got
    );
}

/// An abstract socket (`@name`), and a watchdog that is not ours (WATCHDOG_PID another
/// process's): READY and STOPPING come, no pings.
#[test]
fn the_service_notifies_an_abstract_socket_and_pings_only_its_own_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("udrv-serve-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let mut l = Listener::new(UnixDatagram::bind_addr(&addr).unwrap());
    let err = fs::File::create(dir.path().join("err")).unwrap();
    let at = format!("@{name}");
    let mut child = serve(
        &config(dir.path()),
        err,
        &[
            ("NOTIFY_SOCKET", &at),
            ("WATCHDOG_USEC", "20000"),
            ("WATCHDOG_PID", "1"),
        ],
    );
    l.until("READY=1", &mut child, |g| {
        g.iter().any(|m| m.starts_with("READY=1\n"))
    });
    // The service runs on for a while (its loop turns every 50 ms at most; a ping would
    // be due every 10 ms) before it is stopped; none of its turns pings.
    std::thread::sleep(Duration::from_secs(1));
    kill(&child, "-TERM");
    l.until("STOPPING=1", &mut child, |g| {
        g.iter().any(|m| m.starts_with("STOPPING=1"))
    });
    assert!(wait(&mut child).success());
    assert_eq!(l.count("WATCHDOG=1"), 0, "{:?}", l.got);
}

/// stderr as the journal (JOURNAL_STREAM names its device and inode): `<N>` priorities
/// (`<6>` info, `<4>` the chip going offline), no `udrv serve:` prefix; JOURNAL_STREAM
/// naming another file, or unset: plain lines.
#[test]
fn log_lines_carry_journal_priorities_only_when_stderr_is_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let run = |name: &str, stream: Option<&dyn Fn(&fs::Metadata) -> String>| -> String {
        let file = dir.path().join(name);
        let err = fs::File::create(&file).unwrap();
        let value = stream.map(|f| f(&err.metadata().unwrap()));
        let mut env = vec![("UDRV_VIRTUAL_FAULTS", "i2c@0x4f:eio:after=2:times=3")];
        if let Some(v) = &value {
            env.push(("JOURNAL_STREAM", v));
        }
        let mut child = Command::new(UDRV)
            .args(["--board", "virtual", "serve", "--count", "6", "--config"])
            .arg(&cfg)
            .env_remove("UDRV_VIRTUAL_TIME")
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        assert!(wait(&mut child).success());
        fs::read_to_string(&file).unwrap()
    };
    let journal = run(
        "journal",
        Some(&|m: &fs::Metadata| format!("{}:{}", m.dev(), m.ino())),
    );
    let lines: Vec<&str> = journal.lines().collect();
    assert!(lines.len() >= 3, "{journal}");
    assert!(
        lines[0].starts_with("<6>board t1: reading 1 chips"),
        "{journal}"
    );
    // One warning when the chip goes offline, one info line when it is back.
    let warnings: Vec<&&str> = lines.iter().filter(|l| l.starts_with("<4>")).collect();
    assert_eq!(warnings.len(), 1, "{journal}");
    assert!(warnings[0].starts_with("<4>chip brd: "), "{journal}");
    assert!(warnings[0].contains("offline"), "{journal}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("<6>chip brd (lm75@i2c-1:0x4f) answers again"))
            .count(),
        1,
        "{journal}"
    );
    for l in &lines {
        let p = l.strip_prefix('<').and_then(|r| r.split_once('>'));
        assert!(
            p.is_some_and(|(n, _)| ["3", "4", "6", "7"].contains(&n)),
            "{l:?} in\n{journal}"
        );
        assert!(!l.contains("udrv serve:"), "{journal}");
    }
    let other = run(
        "other",
        Some(&|m: &fs::Metadata| format!("{}:{}", m.dev(), m.ino() + 1)),
    );
    let unset = run("unset", None);
    for plain in [&other, &unset] {
        assert!(
            plain.lines().all(|l| l.starts_with("udrv serve: ")),
            "{plain}"
        );
        assert!(plain.contains("udrv serve: chip brd: "), "{plain}");
    }
}

/// packaging/udrv.service as the package installs it: `systemd-analyze verify` says
/// nothing (its command found: the built udrv in place of /usr/bin/udrv; its man page
/// found: the pages `udrv man --dir` writes, on MANPATH), and `systemd-analyze security
/// --offline=true` rates its exposure "OK" or better (Debian's systemd, installed as a
/// host package by `cargo xtask`; systemd need not be running).
#[test]
fn the_unit_verifies_and_its_exposure_is_ok() {
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("man");
    let o = Command::new(UDRV)
        .args(["man", "--dir"])
        .arg(man.join("man1"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let unit =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/udrv.service"))
            .unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/udrv serve "), "{unit}");
    let file = dir.path().join("udrv.service");
    fs::write(&file, unit.replace("/usr/bin/udrv", UDRV)).unwrap();
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .env("MANPATH", &man)
        .output()
        .expect("systemd-analyze (Debian's systemd) is not installed");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success() && said.trim().is_empty(), "{said}");
    let o = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&o.stdout);
    let overall = report
        .lines()
        .find_map(|l| l.split("Overall exposure level for udrv.service: ").nth(1))
        .unwrap_or_else(|| panic!("{report}{}", String::from_utf8_lossy(&o.stderr)));
    let mut words = overall.split_whitespace();
    let score: f64 = words.next().unwrap().parse().unwrap();
    let level = words.next().unwrap();
    eprintln!("systemd-analyze security: {score} {level}");
    assert!(
        ["PERFECT", "SAFE", "OK"].contains(&level),
        "exposure {score} {level}:\n{report}"
    );
    // What the unit must keep whatever the score.
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "User=udrv",
        "SupplementaryGroups=i2c spi gpio",
        "ProtectSystem=strict",
        "StateDirectory=udrv",
        "NoNewPrivileges=yes",
    ] {
        assert!(unit.lines().any(|l| l.starts_with(line)), "{line}\n{unit}");
    }
}
