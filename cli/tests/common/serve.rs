//! `udrv serve` and Debian's mosquitto as children of the host tests (`serve_*.rs`): the
//! service on the virtual board (the virtual board's fault and time variables cleared),
//! its configuration file, a broker on 127.0.0.1 and a free port, a subscriber printing
//! what it gets, and Home Assistant's own check of discovery documents.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::procs::{free_port, wait_for, Proc};

/// The `udrv` binary under test. Each host test file names it
/// (`Udrv(env!("CARGO_BIN_EXE_udrv"))`), which is also how xtask's ARM cross tier sees
/// that the file runs the binary (and leaves it to the host).
pub struct Udrv(pub &'static str);

impl Udrv {
    /// `udrv ARGS` under `timeout 60`, with no standard input: its output, whatever its
    /// exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("timeout")
            .args(["60", self.0])
            .args(args)
            .env_remove("UDRV_VIRTUAL_FAULTS")
            .env_remove("UDRV_VIRTUAL_TIME")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `udrv --board virtual serve --config CONFIG ARGS`, run to its end.
    pub fn serve_once(&self, config: &Path, args: &[&str]) -> Output {
        let mut all = vec!["--board", "virtual", "serve", "--config"];
        all.push(config.to_str().unwrap());
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `udrv --board virtual serve --config CONFIG ARGS` started as `name` (its output in
    /// `dir`), with the extra environment `env`; no machine ID file, so the configuration
    /// names the board.
    pub fn serve(
        &self,
        name: &str,
        dir: &Path,
        config: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Proc {
        let mut cmd = Command::new(self.0);
        cmd.args(["--board", "virtual", "serve", "--config"])
            .arg(config)
            .args(args)
            .env("UDRV_MACHINE_ID_FILE", dir.join("no-machine-id"))
            .env_remove("UDRV_VIRTUAL_FAULTS")
            .env_remove("UDRV_VIRTUAL_TIME");
        for (k, v) in env {
            cmd.env(k, v);
        }
        Proc::start(name, &mut cmd, dir, Duration::from_secs(120))
    }
}

/// Bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The one line of standard error `err` that has all of `needles`: a failure the service
/// says once, not at every attempt.
pub fn one_line<'a>(err: &'a str, needles: &[&str]) -> &'a str {
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| needles.iter().all(|n| l.contains(n)))
        .collect();
    assert_eq!(lines.len(), 1, "one line with {needles:?}: {err}");
    lines[0]
}

/// Writes `text` as `udrv.toml` in `dir`: its path.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("udrv.toml");
    fs::write(&path, text).unwrap();
    path
}

/// Writes `dir/udrv.toml`: `head`, JSON lines to `dir/readings.jsonl`, `tail`; its path
/// and the JSON lines' path.
pub fn config_with_json(dir: &Path, head: &str, tail: &str) -> (PathBuf, PathBuf) {
    let readings = dir.join("readings.jsonl");
    let text = format!("{head}[json]\npath = \"{}\"\n{tail}", readings.display());
    (write_config(dir, &text), readings)
}

/// The `[queue]` table keeping the service's queue in `dir/queue`.
pub fn queue_in(dir: &Path) -> String {
    format!("[queue]\ndir = \"{}\"\n", dir.join("queue").display())
}

/// Files for a broker's TLS: a CA, a server certificate for 127.0.0.1 signed by it.
pub struct Certs {
    /// The CA's certificate.
    pub ca: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's key.
    pub key: PathBuf,
}

/// A mosquitto configuration on 127.0.0.1:`port`, sessions kept on disk in `dir`; with
/// TLS and a password file if given, anonymous clients otherwise. `extra` is appended.
pub fn broker_conf(
    dir: &Path,
    port: u16,
    tls: Option<&Certs>,
    users: Option<&Path>,
    extra: &str,
) -> PathBuf {
    let mut c = format!(
        "user root\nper_listener_settings false\npersistence true\npersistence_location {}/\n\
         max_queued_messages 100000\nlog_dest stderr\nlog_type all\nlistener {port} 127.0.0.1\n",
        dir.display()
    );
    if let Some(t) = tls {
        c += &format!(
            "cafile {}\ncertfile {}\nkeyfile {}\n",
            t.ca.display(),
            t.cert.display(),
            t.key.display()
        );
    }
    match users {
        Some(u) => c += &format!("allow_anonymous false\npassword_file {}\n", u.display()),
        None => c += "allow_anonymous true\n",
    }
    c += extra;
    let path = dir.join("mosquitto.conf");
    fs::write(&path, c).unwrap();
    path
}

/// Starts mosquitto with `conf` as `name` and waits until it listens on `port`.
pub fn broker(name: &str, conf: &Path, dir: &Path, port: u16) -> Proc {
    let b = Proc::start(
        name,
        Command::new("mosquitto").arg("-c").arg(conf),
        dir,
        Duration::from_secs(120),
    );
    wait_for(
        &format!("mosquitto listening on {port}"),
        Duration::from_secs(10),
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        || b.stderr(),
    );
    b
}

/// mosquitto_sub on every topic, QoS 1, a session the broker keeps (`-c -i`), printing
/// `topic payload` lines.
pub fn subscriber(dir: &Path, port: u16, extra: &[&str]) -> Proc {
    Proc::start(
        "mosquitto_sub",
        Command::new("mosquitto_sub")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-t", "#", "-v", "-q", "1"])
            .args(["-c", "-i", "udrv-test-sub"])
            .args(extra),
        dir,
        Duration::from_secs(120),
    )
}

/// A broker of anonymous clients on a free port with a subscriber to every topic:
/// (port, broker, subscriber).
pub fn mosquitto(dir: &Path) -> (u16, Proc, Proc) {
    let port = free_port();
    let b = broker(
        "mosquitto",
        &broker_conf(dir, port, None, None, ""),
        dir,
        port,
    );
    let sub = subscriber(dir, port, &[]);
    (port, b, sub)
}

/// The messages a subscriber printed: (topic, payload); mosquitto_sub prints an empty
/// payload (a retained message cleared) as `(null)`.
pub fn messages(sub: &Proc) -> Vec<(String, String)> {
    sub.stdout()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(t, p)| {
            (
                t.to_string(),
                if p == "(null)" { "" } else { p }.to_string(),
            )
        })
        .collect()
}

/// The retained messages under `topic` a subscriber that comes now gets, waiting `wait`
/// seconds at most (and for `count` messages, if given), as `topic payload` lines.
pub fn retained(port: u16, topic: &str, wait: &str, count: Option<usize>) -> String {
    let mut cmd = Command::new("mosquitto_sub");
    cmd.args([
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-t",
        topic,
        "-v",
    ])
    .args(["-W", wait]);
    if let Some(n) = count {
        cmd.args(["-C", &n.to_string()]);
    }
    text(&cmd.output().unwrap().stdout)
}

/// The Python of a venv with Home Assistant installed, if there is one: `UDRV_HA_PYTHON`
/// (`cargo xtask test` makes the venv and sets it), else the venv in udrv's cache.
pub fn ha_python() -> Option<PathBuf> {
    let cache = std::env::var_os("UDRV_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("udrv")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/udrv")))?;
    let py = std::env::var_os("UDRV_HA_PYTHON")
        .map_or_else(|| cache.join("ha-venv/bin/python"), PathBuf::from);
    let ok = Command::new(&py)
        .args(["-c", "import homeassistant.components.mqtt"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

/// Checks discovery documents (topic, document) against Home Assistant's own MQTT
/// discovery schemas when its venv is there ([`ha_python`]); says so when it is not.
pub fn ha_schema_check(dir: &Path, disc: &[(String, Value)]) {
    let Some(py) = ha_python() else {
        eprintln!(
            "Home Assistant's venv (ha-venv in udrv's cache) is not there: discovery checked \
             against the documented schema only"
        );
        return;
    };
    let file = dir.join("discovery.json");
    let list: Vec<Value> = disc
        .iter()
        .map(|(t, d)| serde_json::json!({"topic": t, "doc": d}))
        .collect();
    fs::write(&file, serde_json::to_string(&list).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ha_discovery_check.py");
    let o = Command::new(py).arg(script).arg(&file).output().unwrap();
    assert!(
        o.status.success(),
        "Home Assistant refuses discovery documents:\n{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    eprintln!("{}", text(&o.stdout));
}

/// A run refused as a usage error (exit status 2, else the test fails showing standard
/// error): the first line of its standard error, and all of it.
pub fn refused(o: &Output) -> (String, String) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    (err.lines().next().unwrap_or_default().to_string(), err)
}

/// Publishes `payloads` to `topic` on the broker at 127.0.0.1:`port`, in order, from one
/// connection (`mosquitto_pub -l`, QoS 1, with the options `extra`), and waits for it to
/// end.
pub fn publish(port: u16, extra: &[&str], topic: &str, payloads: &[&str]) {
    use std::io::Write;
    let mut p = Command::new("timeout")
        .args(["60", "mosquitto_pub", "-h", "127.0.0.1"])
        .args(["-p", &port.to_string(), "-t", topic, "-q", "1", "-l"])
        .args(extra)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = payloads.join("\n");
    text.push('\n');
    p.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let status = p.wait().unwrap();
    assert!(status.success(), "mosquitto_pub -t {topic}: {status:?}");
}

/// A password file for mosquitto with these users and passwords.
pub fn users(dir: &Path, list: &[(&str, &str)]) -> PathBuf {
    let path = dir.join("users");
    for (i, (user, password)) in list.iter().enumerate() {
        let mut cmd = Command::new("mosquitto_passwd");
        cmd.arg("-b");
        if i == 0 {
            cmd.arg("-c");
        }
        let o = cmd.arg(&path).args([user, password]).output().unwrap();
        assert!(o.status.success(), "mosquitto_passwd: {}", text(&o.stderr));
    }
    path
}

/// A file `name` in `dir` holding `text`, mode `mode` (a password file).
pub fn secret(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}
