#![cfg(feature = "serve")]
//! `udrv serve` owning GPIO lines on the virtual board: `udrv gpio get/set` from other
//! processes go through its socket (saying so on stderr), `set` returns while the service
//! holds the value, a SIGKILLed service restarted restores it from its state folder, and
//! a reload keeps the lines it still declares at their values. Host only: starts the udrv
//! binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use udrv_service::client::Client;

const UDRV: &str = env!("CARGO_BIN_EXE_udrv");

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Service {
    child: Child,
    socket: PathBuf,
}

impl Service {
    fn start(config: &Path, socket: &Path) -> Service {
        let child = Command::new(UDRV)
            .args(["--board", "virtual", "serve", "--config"])
            .arg(config)
            .env_remove("UDRV_VIRTUAL_FAULTS")
            .env_remove("UDRV_VIRTUAL_TIME")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let s = Service {
            child,
            socket: socket.to_path_buf(),
        };
        s.wait_for(|c| !c.list().unwrap().is_empty());
        s
    }

    /// Waits (up to a minute) until a client sees `ok`.
    fn wait_for(&self, ok: impl Fn(&mut Client) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut c) = Client::connect(&self.socket) {
                if ok(&mut c) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "the service never got there");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gpio(socket: &Path, args: &[&str]) -> Output {
    Command::new("timeout")
        .args(["60", UDRV])
        .args(args)
        .env("UDRV_SERVE_SOCKET", socket)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn config(dir: &Path, extra: &str) -> (PathBuf, PathBuf) {
    let socket = dir.join("run/serve.sock");
    let f = dir.join("udrv.toml");
    fs::write(
        &f,
        format!(
            "[state]\ndir = \"{0}/state\"\n[socket]\npath = \"{1}\"\n\
             [[line]]\nname = \"heater\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
             restore = true\n\
             [[line]]\nname = \"led\"\nline = \"GPIO22\"\ndirection = \"output\"\nstart = 1\n\
             [[line]]\nname = \"int\"\nline = \"GPIO17\"\ndirection = \"input\"\n{extra}",
            dir.display(),
            socket.display()
        ),
    )
    .unwrap();
    (f, socket)
}

#[test]
fn gpio_get_and_set_go_through_the_service_that_owns_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (f, socket) = config(dir.path(), "");
    let service = Service::start(&f, &socket);
    let mode = fs::metadata(&socket).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o660
    );

    let o = gpio(&socket, &["gpio", "get", "heater", "led"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "\"heater\"=inactive \"led\"=active\n");
    let err = text(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("through udrv serve"), "{err}");

    // set returns (the service holds the value); another process reads it back, by the
    // line's board name this time.
    let o = gpio(&socket, &["gpio", "set", "heater=1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = gpio(&socket, &["--json", "gpio", "get", "GPIO27"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["service"], "heater");
    assert_eq!(v[0]["active"], true);

    // What the service cannot do is refused, naming the line.
    for (args, want) in [
        (vec!["gpio", "set", "int=1"], "is an input"),
        (
            vec!["gpio", "set", "-t", "0", "heater=0"],
            "leave out -d and -t",
        ),
        (
            vec!["gpio", "get", "-b", "pull-up", "int"],
            "leave out -l, -b",
        ),
        (vec!["gpio", "mon", "int"], "has no kernel edge events"),
        (vec!["gpio", "mon", "heater"], "is an output"),
    ] {
        let o = gpio(&socket, &args);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            text(&o.stderr).contains(want),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }

    // A reload keeps the lines it still declares at their values: led set to 0 stays 0
    // (its start value is 1), and the new input is held too.
    let o = gpio(&socket, &["gpio", "set", "led=0"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    config(
        dir.path(),
        "[[line]]\nname = \"rtc\"\nline = \"GPIO4\"\ndirection = \"input\"\n",
    );
    service.signal("-HUP");
    service.wait_for(|c| c.list().unwrap().len() == 4);
    let o = gpio(&socket, &["gpio", "get", "-n", "led", "heater"]);
    assert_eq!(text(&o.stdout), "0 1\n", "{}", text(&o.stderr));

    // SIGKILL, then a new service: heater (restore = true) is back at 1, led (restore =
    // false) at its start value.
    service.signal("-KILL");
    drop(service);
    let state = fs::read_to_string(dir.path().join("state/lines.json")).unwrap();
    assert!(state.contains("\"heater\": 1"), "{state}");
    let _service = Service::start(&f, &socket);
    let o = gpio(&socket, &["gpio", "get", "-n", "heater", "led"]);
    assert_eq!(text(&o.stdout), "1 1\n", "{}", text(&o.stderr));
}

#[test]
fn check_reports_line_mistakes_with_their_places() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    fs::write(
        &f,
        "[[line]]\nname = \"a\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
         [[line]]\nname = \"a\"\nline = \"GPIO27\"\ndirection = \"input\"\nstart = 1\n",
    )
    .unwrap();
    let o = Command::new(UDRV)
        .args(["serve", "--check"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    let file = f.display();
    for w in [
        "6:8: [[line]] 2: duplicate line name `a`",
        "7:8: [[line]] 2: the line GPIO27 is declared twice",
        "9:9: [[line]] 2: start on an input",
    ] {
        assert!(err.contains(&format!("{file}:{w}")), "{w}: {err}");
    }
    let good = dir.path().join("good.toml");
    fs::write(
        &good,
        "[[line]]\nname = \"a\"\nline = \"GPIO27\"\ndirection = \"output\"\n",
    )
    .unwrap();
    let o = Command::new(UDRV)
        .args(["serve", "--check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("good: 0 chips, 1 line (clients on /run/udrv/serve.sock)"),
        "{}",
        text(&o.stdout)
    );
}
