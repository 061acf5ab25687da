#![cfg(feature = "serve")]
//! `udrv serve` writing line protocol into a real InfluxDB 1.x: Debian's `influxdb`
//! (installed by `cargo xtask`'s host packages, its own daemon kept from starting),
//! started here with its data in a temporary folder, its HTTP API and its RPC port on
//! 127.0.0.1 and free ports. The test queries the points back, also after the database
//! was stopped and restarted mid-run (nothing lost: every sequence number of the JSON
//! lines is there). Line protocol on standard output (for Telegraf's `execd`) is written
//! to the same server, which parses it. Tags with spaces, commas and equals signs come
//! back as given. An unreachable database: one line, and the readings are queued. Every
//! child runs in its own process group under a deadline that kills the group and names
//! what hung. Host only: these tests start servers and the udrv binary.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::procs::{assert_no_distribution_daemon, free_port, http, url_encode, wait_for, Proc};
use common::serve::{config_with_json, one_line, queue_in, text, write_config, Udrv};
use serde_json::Value;

const UDRV: Udrv = Udrv(env!("CARGO_BIN_EXE_udrv"));

/// An InfluxDB of the test's own: data under `dir`, HTTP on `http_port`, RPC on another
/// free port, both on 127.0.0.1.
struct Influx {
    conf: PathBuf,
    port: u16,
    dir: PathBuf,
    /// The user and password queries give, once authentication is on.
    creds: Option<(String, String)>,
}

impl Influx {
    /// One without authentication, started (as `influxd`), with the database `db` made.
    fn running(dir: &Path, db: &str) -> (Influx, Proc) {
        let influx = Influx::with_auth(dir, false);
        let server = influx.start("influxd");
        influx.query("", &format!("CREATE DATABASE {db}"));
        (influx, server)
    }

    fn with_auth(dir: &Path, auth: bool) -> Influx {
        let (port, rpc) = (free_port(), free_port());
        let data = dir.join("influxdb");
        let conf = dir.join("influxdb.conf");
        fs::write(
            &conf,
            format!(
                "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
                 [meta]\n  dir = \"{d}/meta\"\n\
                 [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
                 [monitor]\n  store-enabled = false\n\
                 [subscriber]\n  enabled = false\n\
                 [continuous_queries]\n  enabled = false\n\
                 [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
                 \x20 auth-enabled = {auth}\n",
                d = data.display()
            ),
        )
        .unwrap();
        Influx {
            conf,
            port,
            dir: dir.to_path_buf(),
            creds: None,
        }
    }

    /// Starts it and waits until it answers `/ping`.
    fn start(&self, name: &str) -> Proc {
        let p = Proc::start(
            name,
            Command::new("influxd")
                .arg("run")
                .arg("-config")
                .arg(&self.conf),
            &self.dir,
            Duration::from_secs(180),
        );
        wait_for(
            &format!("influxd answering /ping on {}", self.port),
            Duration::from_secs(30),
            || http(self.port, "GET", "/ping", "", b"").is_ok_and(|(c, _)| c == 204),
            || p.stderr(),
        );
        p
    }

    fn query(&self, db: &str, q: &str) -> Value {
        let (code, body) = http(
            self.port,
            "POST",
            &format!(
                "/query?db={db}&epoch=ns&q={}{}",
                url_encode(q),
                self.creds
                    .as_ref()
                    .map(|(u, p)| format!("&u={}&p={}", url_encode(u), url_encode(p)))
                    .unwrap_or_default()
            ),
            "",
            b"",
        )
        .unwrap_or_else(|e| panic!("influx query {q}: {e}"));
        assert_eq!(code, 200, "{q}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Every point of `db`: measurement, then each column by name.
    fn points(&self, db: &str) -> Vec<BTreeMap<String, Value>> {
        let v = self.query(db, "SELECT * FROM /.*/");
        let mut out = Vec::new();
        for s in v["results"][0]["series"].as_array().into_iter().flatten() {
            let cols: Vec<&str> = s["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            for row in s["values"].as_array().unwrap() {
                let mut p: BTreeMap<String, Value> = cols
                    .iter()
                    .zip(row.as_array().unwrap())
                    .filter(|(_, v)| !v.is_null())
                    .map(|(c, v)| (c.to_string(), v.clone()))
                    .collect();
                p.insert("measurement".into(), s["name"].clone());
                out.push(p);
            }
        }
        out
    }
}

/// The readings of a JSON lines file.
/// Two chips of the virtual board: the BME280 `room` and the ADS1115 `adc`.
const ROOM_AND_ADC: &str = "[[chip]]\nname = \"room\"\nspec = \"bme280@i2c-1:0x76\"\n\
                            [[chip]]\nname = \"adc\"\nspec = \"ads1115@i2c-1:0x48\"\n";

/// The `[influxdb]` table of the database `udrv` at 127.0.0.1:`port`.
fn to_influx(port: u16) -> String {
    format!("[influxdb]\nurl = \"http://127.0.0.1:{port}\"\ndatabase = \"udrv\"\n")
}

fn json_lines(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn max_seq(points: &[BTreeMap<String, Value>]) -> u64 {
    points
        .iter()
        .filter_map(|p| p.get("seq").and_then(Value::as_u64))
        .max()
        .unwrap_or(0)
}

/// The tags a reading's point must have, from its JSON line.
fn want_tags(r: &Value, names: &BTreeMap<&str, &str>) -> BTreeMap<String, String> {
    let device = r["device"].as_str().unwrap();
    let at = device.split_once('@').unwrap().1;
    let (bus, address) = at.rsplit_once(':').unwrap();
    let mut t: BTreeMap<String, String> = [
        ("board", "fleet"),
        ("name", names[r["chip"].as_str().unwrap()]),
        ("chip", r["chip"].as_str().unwrap()),
        ("bus", bus),
        ("address", address),
        ("site", "north wing, room=3"),
        ("rack id", "a=1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(c) = r["channel"].as_str() {
        t.insert("channel".into(), c.into());
    }
    t
}

const TAGS: &str = "tags = { site = \"north wing, room=3\", \"rack id\" = \"a=1\" }";

#[test]
fn influxdb_gets_every_reading_also_across_a_restart_of_the_database() {
    assert_no_distribution_daemon("influxdb", "influxd");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (db, server) = Influx::running(d, "udrv");
    let (config, readings) = config_with_json(
        d,
        &format!("board = \"fleet\"\ninterval = 0.1\n{ROOM_AND_ADC}"),
        &format!("{}{TAGS}\n{}", to_influx(db.port), queue_in(d)),
    );
    let mut s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    wait_for(
        "points in InfluxDB",
        Duration::from_secs(30),
        || max_seq(&db.points("udrv")) >= 10,
        || format!("{}\n{}", server.stderr(), s.stderr()),
    );
    // The database stops; readings go on and are queued.
    let mut server = server;
    server.signal("-TERM");
    server.wait();
    let stopped_at = json_lines(&readings).len() as u64;
    wait_for(
        "readings while the database is away",
        Duration::from_secs(30),
        || {
            json_lines(&readings).len() as u64 > stopped_at + 100
                && s.stderr()
                    .contains("readings are queued and written when it answers")
        },
        || s.stderr(),
    );
    let server = db.start("influxd-again");
    let away_max = json_lines(&readings).len() as u64;
    wait_for(
        "the readings of the time away in InfluxDB",
        Duration::from_secs(60),
        || max_seq(&db.points("udrv")) >= away_max,
        || format!("{}\n{}", server.stderr(), s.stderr()),
    );
    s.signal("-TERM");
    let status = s.wait();
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    assert!(s.stderr().contains("answers again"), "{}", s.stderr());
    // Every reading, once, as its point: measurement, tags, value, time.
    let names: BTreeMap<&str, &str> = [("bme280", "room"), ("ads1115", "adc")]
        .into_iter()
        .collect();
    let points = db.points("udrv");
    let mut by_seq: BTreeMap<u64, &BTreeMap<String, Value>> = BTreeMap::new();
    for p in &points {
        let seq = p["seq"].as_u64().unwrap();
        assert!(by_seq.insert(seq, p).is_none(), "seq {seq} twice");
    }
    let json = json_lines(&readings);
    assert!(json.len() as u64 > stopped_at + 100);
    let json_seqs: Vec<u64> = json.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    let got_seqs: Vec<u64> = by_seq.keys().copied().collect();
    assert_eq!(got_seqs, json_seqs, "nothing lost, nothing more");
    for r in &json {
        let p = by_seq[&r["seq"].as_u64().unwrap()];
        assert_eq!(p["measurement"], r["quantity"], "{r}");
        assert_eq!(p["value"].as_f64(), r["value"].as_f64(), "{r}");
        let t = p["time"].as_i64().unwrap() as f64 / 1e9;
        assert!((t - r["time"].as_f64().unwrap()).abs() < 1e-5, "{r}: {p:?}");
        let tags: BTreeMap<String, String> = p
            .iter()
            .filter(|(k, _)| !["measurement", "time", "value", "seq"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        assert_eq!(tags, want_tags(r, &names), "{r}");
    }
}

#[test]
fn line_protocol_on_standard_output_is_what_influxdb_parses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (db, _server) = Influx::running(d, "telegraf");
    let (config, readings) = config_with_json(
        d,
        &format!("board = \"fleet\"\ninterval = 0.05\n{ROOM_AND_ADC}"),
        &format!("[line_protocol]\n{TAGS}\n"),
    );
    let o = UDRV.serve_once(&config, &["--count", "20"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lines = text(&o.stdout);
    let json = json_lines(&readings);
    assert_eq!(lines.lines().count(), json.len(), "{lines}");
    // As Telegraf's execd would pass them on: one write of the lines as printed.
    let (code, body) = http(
        db.port,
        "POST",
        "/write?db=telegraf&precision=ns",
        "",
        lines.as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 204, "{body}\n{lines}");
    let names: BTreeMap<&str, &str> = [("bme280", "room"), ("ads1115", "adc")]
        .into_iter()
        .collect();
    let points = db.points("telegraf");
    assert_eq!(points.len(), json.len(), "{points:?}");
    for r in &json {
        let p = points
            .iter()
            .find(|p| p["seq"] == r["seq"])
            .unwrap_or_else(|| panic!("no point for {r}"));
        assert_eq!(p["value"].as_f64(), r["value"].as_f64());
        assert_eq!(p["site"], "north wing, room=3");
        assert_eq!(p["rack id"], "a=1");
        assert_eq!(p["name"].as_str(), Some(names[r["chip"].as_str().unwrap()]));
    }
}

#[test]
fn an_unreachable_database_is_one_line_and_the_readings_are_queued() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let queue = dir.path().join("queue");
    let f = write_config(
        dir.path(),
        &format!(
            "board = \"away\"\ninterval = 0.05\n[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[json]\n\
             [influxdb]\nurl = \"http://127.0.0.1:{port}\"\ndatabase = \"udrv\"\n\
             [queue]\ndir = \"{}\"\n",
            queue.display()
        ),
    );
    let o = UDRV.serve_once(&f, &["--duration", "1.5"]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    let away = one_line(
        &err,
        &[
            &format!("influxdb http://127.0.0.1:{port}: "),
            "readings are queued",
        ],
    );
    assert!(away.contains("Connection refused"), "{err}");
    let read = text(&o.stdout).lines().count();
    assert!(read >= 3, "JSON lines go on: {err}");
    assert!(
        err.contains("records queued; they are written on the next start"),
        "{err}"
    );
    // The queue keeps every chip read (one reading each) for the next run.
    let q = udrv_service::queue::Queue::open(&queue.join("influxdb"), 1 << 20).unwrap();
    assert_eq!(q.len(), read, "{err}");
    let last = String::from_utf8_lossy(q.records().last().unwrap()).into_owned();
    assert!(
        last.starts_with(
            "temperature,address=0x4f,board=away,bus=i2c-1,chip=lm75,name=lm75_0x4f value="
        ),
        "{last}"
    );
    assert!(last.contains(&format!(",seq={read}i ")), "{last}");
}

#[test]
fn a_wrong_password_or_a_missing_database_is_one_line_and_nothing_is_lost() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut db = Influx::with_auth(d, true);
    let _server = db.start("influxd");
    // The first user may be made without credentials; then they are needed.
    db.query(
        "",
        "CREATE USER admin WITH PASSWORD 's3cret' WITH ALL PRIVILEGES",
    );
    db.creds = Some(("admin".into(), "s3cret".into()));
    let password = d.join("influxdb-password");
    let set_password = |p: &str| {
        fs::write(&password, format!("{p}\n")).unwrap();
        fs::set_permissions(&password, fs::Permissions::from_mode(0o600)).unwrap();
    };
    set_password("wrong");
    let (config, readings) = config_with_json(
        d,
        "board = \"auth\"\ninterval = 0.05\n[[chip]]\nname = \"brd\"\nspec = \"lm75@i2c-1:0x4f\"\n",
        &format!(
            "{}username = \"admin\"\npassword_file = \"{}\"\n{}",
            to_influx(db.port),
            password.display(),
            queue_in(d)
        ),
    );
    let run = |args: &[&str]| {
        let o = UDRV.serve_once(&config, args);
        let err = text(&o.stderr);
        assert!(o.status.success(), "{:?}: {err}", o.status);
        err
    };
    let one_line = |err: &str, what: &str| {
        let server = format!("influxdb http://127.0.0.1:{}: ", db.port);
        let line = one_line(err, &[&server, "readings are queued"]);
        assert!(line.contains(what), "{err}");
    };
    // A wrong password: refused, said once, the readings queued.
    let err = run(&["--duration", "1.5"]);
    one_line(&err, "check [influxdb] username and password_file");
    // The right password, but no database yet.
    set_password("s3cret");
    let err = run(&["--duration", "1.5"]);
    one_line(&err, "database `udrv` not found: create it");
    // The database made: what both runs queued is written, then the new readings.
    db.query("", "CREATE DATABASE udrv");
    let err = run(&["--count", "5"]);
    assert!(
        err.contains("queued records from an earlier run to write"),
        "{err}"
    );
    assert!(!err.contains("readings are queued"), "{err}");
    let json = json_lines(&readings);
    let mut seqs: Vec<u64> = db
        .points("udrv")
        .iter()
        .map(|p| p["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    let want: Vec<u64> = json.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(want.len() >= 10, "{json:?}");
    assert_eq!(seqs, want, "every reading of the three runs, once");
}

#[test]
fn a_service_killed_while_the_database_is_away_loses_nothing_it_queued() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (db, server) = Influx::running(d, "udrv");
    let (config, readings) = config_with_json(
        d,
        "board = \"killed\"\ninterval = 0.05\n\
         [[chip]]\nname = \"room\"\nspec = \"bme280@i2c-1:0x76\"\n",
        &format!("{}{}", to_influx(db.port), queue_in(d)),
    );
    let first = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    wait_for(
        "points in InfluxDB",
        Duration::from_secs(30),
        || max_seq(&db.points("udrv")) >= 6,
        || format!("{}\n{}", server.stderr(), first.stderr()),
    );
    let mut server = server;
    server.signal("-TERM");
    server.wait();
    let at_stop = json_lines(&readings).len();
    wait_for(
        "readings queued while the database is away",
        Duration::from_secs(30),
        || json_lines(&readings).len() > at_stop + 60,
        || first.stderr(),
    );
    // SIGKILL: no flush, no goodbye. A new service takes the queue over.
    drop(first);
    let killed_seqs: Vec<u64> = json_lines(&readings)
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    let mut second = UDRV.serve("udrv-serve-again", d, &config, &[], &[]);
    wait_for(
        "the new service's readings",
        Duration::from_secs(30),
        || json_lines(&readings).len() > killed_seqs.len() + 30,
        || second.stderr(),
    );
    let server = db.start("influxd-again");
    let last = json_lines(&readings).len();
    let json_max = json_lines(&readings)[last - 1]["seq"].as_u64().unwrap();
    wait_for(
        "every queued reading in InfluxDB",
        Duration::from_secs(60),
        || max_seq(&db.points("udrv")) >= json_max,
        || format!("{}\n{}", server.stderr(), second.stderr()),
    );
    second.signal("-TERM");
    assert!(second.wait().success(), "{}", second.stderr());
    assert!(
        second
            .stderr()
            .contains("queued records from an earlier run to write"),
        "{}",
        second.stderr()
    );
    let got: std::collections::BTreeSet<u64> = db
        .points("udrv")
        .iter()
        .map(|p| p["seq"].as_u64().unwrap())
        .collect();
    let json: Vec<u64> = json_lines(&readings)
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    let missing: Vec<u64> = json.iter().copied().filter(|s| !got.contains(s)).collect();
    // Only the killed run's last chip read may be missing: taken (its JSON lines written)
    // but not yet in the queue when the kill came.
    let tail = &killed_seqs[killed_seqs.len() - 3..];
    assert!(
        missing.iter().all(|s| tail.contains(s)),
        "lost {missing:?} (the killed run ended with {tail:?})"
    );
    assert!(
        got.iter().all(|s| json.contains(s)),
        "points no reading gave"
    );
}
