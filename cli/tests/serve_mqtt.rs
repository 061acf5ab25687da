#![cfg(feature = "serve")]
//! `udrv serve` against a real MQTT broker: Debian's mosquitto (installed by `cargo xtask`'s
//! host packages), started here on 127.0.0.1 and a free port with a generated
//! configuration, with and without TLS and a password file; mosquitto_sub subscribes.
//! Every child runs in its own process group under a deadline that kills the group and
//! names what hung. Host only: these tests start servers and the udrv binary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::procs::{free_port, wait_for, Proc};
use common::serve::{
    broker, broker_conf, ha_schema_check, messages, mosquitto, one_line, retained, secret,
    subscriber, users, write_config, Certs, Udrv,
};
use serde_json::Value;

const UDRV: Udrv = Udrv(env!("CARGO_BIN_EXE_udrv"));

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn make_certs(dir: &Path) -> Certs {
    let p = |n: &str| dir.join(n);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .args(["req", "-x509", "-days", "2", "-subj", "/CN=udrv test CA"])
        .args(ec)
        .arg("-keyout")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .args(["req", "-subj", "/CN=127.0.0.1"])
        .args(ec)
        .arg("-keyout")
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")));
    sign(dir, "server", "subjectAltName=IP:127.0.0.1\n");
    Certs {
        ca: p("ca.pem"),
        cert: p("server.pem"),
        key: p("server.key"),
    }
}

/// A client certificate signed by the test CA: (certificate, key).
fn client_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n);
    run(Command::new("openssl")
        .args(["req", "-subj", "/CN=udrv-board", "-newkey", "ec"])
        .args(["-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .arg("-keyout")
        .arg(p("client.key"))
        .arg("-out")
        .arg(p("client.csr")));
    sign(dir, "client", "extendedKeyUsage=clientAuth\n");
    (p("client.pem"), p("client.key"))
}

/// Signs `NAME.csr` in `dir` with the test CA into `NAME.pem`, with the X.509 v3
/// extensions `ext` (rustls takes no v1 certificate).
fn sign(dir: &Path, name: &str, ext: &str) {
    let p = |n: &str| dir.join(n);
    fs::write(p(&format!("{name}.cnf")), ext).unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-extfile")
        .arg(p(&format!("{name}.cnf")))
        .arg("-in")
        .arg(p(&format!("{name}.csr")))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p(&format!("{name}.pem"))));
}

/// The sequence numbers of the readings in the state documents received, in order.
fn state_seqs(msgs: &[(String, String)]) -> Vec<u64> {
    let mut seqs = Vec::new();
    for (t, p) in msgs {
        if t.ends_with("/state") {
            let v: Value = serde_json::from_str(p).unwrap_or_else(|e| panic!("{t}: {e}: {p}"));
            for r in v["readings"].as_array().unwrap() {
                seqs.push(r["seq"].as_u64().unwrap());
            }
        }
    }
    seqs
}

/// Home Assistant's MQTT discovery, as documented (MQTT sensor and binary sensor pages):
/// what each document must have. `scripts/ha_discovery_check.py` checks the same
/// documents against Home Assistant's own schema when its venv is there.
fn check_discovery_document(topic: &str, doc: &Value, state_topics: &[String]) {
    let component = topic.split('/').nth(1).unwrap();
    assert!(["sensor", "binary_sensor"].contains(&component), "{topic}");
    for key in [
        "name",
        "unique_id",
        "state_topic",
        "value_template",
        "device",
        "availability",
    ] {
        assert!(doc.get(key).is_some(), "{topic}: no {key}: {doc}");
    }
    assert!(state_topics.contains(&doc["state_topic"].as_str().unwrap().to_string()));
    assert!(doc["device"]["identifiers"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    if component == "binary_sensor" {
        assert!(doc.get("state_class").is_none() && doc.get("unit_of_measurement").is_none());
    }
}

#[test]
fn discovery_states_and_availability_reach_a_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    let config = write_config(
        d,
        &format!(
            "board = \"t1\"\ninterval = 0.2\n[[chip]]\nname = \"room\"\nspec = \
             \"bme280@i2c-1:0x76\"\n[[chip]]\nname = \"brd\"\nspec = \"lm75@i2c-1:0x4f\"\n\
             [[chip]]\nname = \"io\"\nspec = \"pca9554@i2c-1:0x21\"\ninterval = 1\n\
             [mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n[queue]\ndir = \"{}\"\n",
            d.join("queue").display()
        ),
    );
    // The LM75 stops answering for three operations after six: offline, then back.
    let mut s = UDRV.serve(
        "udrv-serve",
        d,
        &config,
        &["--duration", "4"],
        &[("UDRV_VIRTUAL_FAULTS", "i2c@0x4f:eio:after=6:times=3")],
    );
    let status = s.wait();
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    let dump = || format!("{}\n{}", sub.stdout(), s.stderr());
    wait_for(
        "the board's status `offline` after the service stopped",
        Duration::from_secs(10),
        || {
            messages(&sub)
                .last()
                .is_some_and(|(t, p)| t == "udrv/t1/status" && p == "offline")
        },
        dump,
    );
    let msgs = messages(&sub);
    let of = |topic: &str| -> Vec<String> {
        msgs.iter()
            .filter(|(t, _)| t == topic)
            .map(|(_, p)| p.clone())
            .collect()
    };
    assert_eq!(
        of("udrv/t1/status").first().map(String::as_str),
        Some("online"),
        "{}",
        dump()
    );
    // The LM75 went offline and came back; the BME280 never left.
    let brd = of("udrv/t1/brd/availability");
    let off = brd
        .iter()
        .position(|p| p == "offline")
        .unwrap_or_else(|| panic!("{brd:?}\n{}", dump()));
    assert!(brd[off..].contains(&"online".to_string()), "{brd:?}");
    assert_eq!(of("udrv/t1/room/availability"), ["online"]);
    // The queue's counts: nothing dropped.
    let q: Value = serde_json::from_str(of("udrv/t1/queue").last().unwrap()).unwrap();
    assert_eq!(q["dropped"], 0, "{q}");
    assert!(s.stderr().contains("chip brd:"), "{}", s.stderr());
    assert!(s
        .stderr()
        .contains("chip brd (lm75@i2c-1:0x4f) answers again"));
    // States: every quantity with unit, time and sequence number.
    let states = of("udrv/t1/room/state");
    assert!(!states.is_empty());
    let v: Value = serde_json::from_str(&states[0]).unwrap();
    assert_eq!(v["board"], "t1");
    assert!(v["values"]["temperature"].is_number() && v["values"]["pressure"].is_number());
    for r in v["readings"].as_array().unwrap() {
        assert!(
            r["unit"].is_string() && r["time"].is_number() && r["seq"].is_u64(),
            "{r}"
        );
    }
    let seqs = state_seqs(&msgs);
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq not increasing: {seqs:?}"
    );
    // Discovery: one retained document per entity, with unique ids.
    let state_topics: Vec<String> = ["room", "brd", "io"]
        .iter()
        .map(|c| format!("udrv/t1/{c}/state"))
        .collect();
    let disc: Vec<(String, Value)> = msgs
        .iter()
        .filter(|(t, _)| t.starts_with("homeassistant/"))
        .map(|(t, p)| (t.clone(), serde_json::from_str(p).unwrap()))
        .collect();
    let mut ids: Vec<&str> = disc
        .iter()
        .map(|(_, d)| d["unique_id"].as_str().unwrap())
        .collect();
    for (t, doc) in &disc {
        check_discovery_document(t, doc, &state_topics);
    }
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "unique ids repeat: {ids:?}");
    for want in [
        "udrv_t1_room_temperature",
        "udrv_t1_room_humidity",
        "udrv_t1_room_pressure",
        "udrv_t1_brd_temperature",
        "udrv_t1_io_digital_state_IO4",
    ] {
        assert!(ids.contains(&want), "no {want}: {ids:?}");
    }
    let t = disc
        .iter()
        .find(|(_, d)| d["unique_id"] == "udrv_t1_room_temperature")
        .unwrap();
    assert_eq!(t.0, "homeassistant/sensor/udrv_t1/room_temperature/config");
    assert_eq!(t.1["device_class"], "temperature");
    assert_eq!(t.1["unit_of_measurement"], "°C");
    assert_eq!(t.1["state_class"], "measurement");
    let io = disc
        .iter()
        .find(|(_, d)| d["unique_id"] == "udrv_t1_io_digital_state_IO4")
        .unwrap();
    assert!(io.0.starts_with("homeassistant/binary_sensor/"), "{}", io.0);
    // Retained: a subscriber that comes later still gets discovery and availability.
    let late = retained(port, "homeassistant/#", "2", Some(n));
    assert_eq!(late.lines().count(), n);
    ha_schema_check(d, &disc);
}

#[test]
fn tls_with_a_password_over_mqtt_5_and_a_wrong_password_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let certs = make_certs(d);
    let conf = broker_conf(
        d,
        port,
        Some(&certs),
        Some(&users(d, &[("udrv", "s3cret")])),
        "",
    );
    let _broker = broker("mosquitto", &conf, d, port);
    let sub = subscriber(
        d,
        port,
        &[
            "--cafile",
            certs.ca.to_str().unwrap(),
            "-u",
            "udrv",
            "-P",
            "s3cret",
        ],
    );
    let good = secret(d, "password", "s3cret\n", 0o600);
    let wrong = secret(d, "wrong", "guess\n", 0o640);
    let config = |name: &str, password: &Path| {
        let path = d.join(format!("{name}.toml"));
        fs::write(
            &path,
            format!(
                "board = \"{name}\"\ninterval = 0.2\n[[chip]]\nname = \"room\"\nspec = \
                 \"sht3x@i2c-1:0x44\"\n[json]\npath = \"{}\"\n[mqtt]\nhost = \"127.0.0.1\"\n\
                 port = {port}\nprotocol = \"5\"\nusername = \"udrv\"\npassword_file = \"{}\"\n\
                 ca_file = \"{}\"\n[queue]\ndir = \"{}\"\n",
                d.join(format!("{name}.jsonl")).display(),
                password.display(),
                certs.ca.display(),
                d.join(format!("queue-{name}")).display()
            ),
        )
        .unwrap();
        path
    };
    let mut s = UDRV.serve(
        "udrv-serve",
        d,
        &config("tls", &good),
        &["--count", "6"],
        &[],
    );
    assert!(s.wait().success(), "{}", s.stderr());
    wait_for(
        "a state and discovery over TLS",
        Duration::from_secs(10),
        || {
            let m = messages(&sub);
            m.iter().any(|(t, _)| t == "udrv/tls/room/state")
                && m.iter()
                    .any(|(t, _)| t == "homeassistant/sensor/udrv_tls/room_humidity/config")
        },
        || format!("{}\n{}", sub.stdout(), s.stderr()),
    );
    // A wrong password: one clear line, and the chips are still read (JSON lines go on).
    let mut w = UDRV.serve(
        "udrv-wrong",
        d,
        &config("wrong", &wrong),
        &["--duration", "2"],
        &[],
    );
    assert!(w.wait().success(), "{}", w.stderr());
    let err = w.stderr();
    let refused = one_line(&err, &["refused the connection"]);
    assert!(
        refused.contains("check [mqtt] username and password_file"),
        "{err}"
    );
    let lines = fs::read_to_string(d.join("wrong.jsonl")).unwrap();
    assert!(lines.lines().count() >= 4, "{lines}\n{err}");
    assert!(!messages(&sub)
        .iter()
        .any(|(t, _)| t.starts_with("udrv/wrong/")));
}

#[test]
fn readings_queued_while_the_broker_is_away_arrive_in_order_after_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let conf = broker_conf(d, port, None, None, "");
    let mut b = broker("mosquitto", &conf, d, port);
    let sub = subscriber(d, port, &[]);
    let config = write_config(
        d,
        &format!(
            "board = \"q1\"\ninterval = 0.1\n[[chip]]\nname = \"room\"\nspec = \
             \"bme280@i2c-1:0x76\"\n[[chip]]\nname = \"brd\"\nspec = \"lm75@i2c-1:0x4f\"\n\
             [mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n[queue]\ndir = \"{}\"\n",
            d.join("queue").display()
        ),
    );
    let mut s1 = UDRV.serve("udrv-serve-1", d, &config, &[], &[]);
    let states = |sub: &Proc| state_seqs(&messages(sub));
    wait_for(
        "states",
        Duration::from_secs(10),
        || states(&sub).len() >= 10,
        || s1.stderr(),
    );
    // The broker goes away; the service queues; it is killed; a new one queues more.
    b.signal("-TERM");
    b.wait();
    wait_for(
        "readings queued while the broker is away",
        Duration::from_secs(10),
        || s1.stderr().matches("(the broker is away)").count() >= 5,
        || s1.stderr(),
    );
    s1.signal("-KILL");
    s1.wait();
    let mut s2 = UDRV.serve("udrv-serve-2", d, &config, &[], &[]);
    wait_for(
        "the second run's queued readings",
        Duration::from_secs(10),
        || s2.stderr().matches("(the broker is away)").count() >= 5,
        || s2.stderr(),
    );
    // Every reading either run logged as queued, by sequence number.
    let queued = |err: &str| -> Vec<u64> {
        let mut v = Vec::new();
        for l in err.lines().filter(|l| l.contains("(the broker is away)")) {
            let range = l.split(" seq ").nth(1).unwrap().split(' ').next().unwrap();
            let (a, b) = range.split_once('-').unwrap();
            v.extend(a.parse::<u64>().unwrap()..=b.parse::<u64>().unwrap());
        }
        v
    };
    let _b2 = broker("mosquitto-again", &conf, d, port);
    let mut want = queued(&s1.stderr());
    let first_run = want.len();
    wait_for(
        "every queued reading delivered",
        Duration::from_secs(30),
        || {
            want = queued(&s1.stderr());
            want.extend(queued(&s2.stderr()));
            let got = states(&sub);
            want.iter().all(|q| got.contains(q))
        },
        || {
            format!(
                "{}\n---\n{}\n---\n{}",
                s1.stderr(),
                s2.stderr(),
                sub.stdout()
            )
        },
    );
    s2.signal("-TERM");
    assert!(s2.wait().success(), "{}", s2.stderr());
    let got = states(&sub);
    // In order: the first arrival of each queued reading comes after the one before.
    let mut firsts: Vec<usize> = want
        .iter()
        .map(|q| got.iter().position(|g| g == q).unwrap())
        .collect();
    let sorted = {
        let mut f = firsts.clone();
        f.sort();
        f
    };
    assert_eq!(firsts, sorted, "queued readings out of order: {got:?}");
    firsts.dedup();
    let mut seen = std::collections::BTreeMap::new();
    for g in &got {
        *seen.entry(*g).or_insert(0) += 1;
    }
    let dups: Vec<u64> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(s, _)| *s)
        .collect();
    eprintln!(
        "{} readings queued ({} by the killed run, {} by the second), all received in order; \
         {} received more than once (board q1, seq {:?})",
        want.len(),
        first_run,
        want.len() - first_run,
        dups.len(),
        dups
    );
}

#[test]
fn tls_with_a_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let certs = make_certs(d);
    let (cert, key) = client_cert(d);
    // The broker asks every client for a certificate signed by the CA.
    let conf = broker_conf(d, port, Some(&certs), None, "require_certificate true\n");
    let _broker = broker("mosquitto", &conf, d, port);
    let (c, k, ca) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        certs.ca.to_str().unwrap(),
    );
    let sub = subscriber(d, port, &["--cafile", ca, "--cert", c, "--key", k]);
    let config = |name: &str, client: bool| {
        let path = d.join(format!("{name}.toml"));
        let client = if client {
            format!("cert_file = \"{c}\"\nkey_file = \"{k}\"\n")
        } else {
            String::new()
        };
        fs::write(
            &path,
            format!(
                "board = \"{name}\"\ninterval = 0.2\n[[chip]]\nname = \"light\"\nspec = \
                 \"bh1750@i2c-1:0x23\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n\
                 ca_file = \"{ca}\"\n{client}[queue]\ndir = \"{}\"\n",
                d.join(format!("queue-{name}")).display()
            ),
        )
        .unwrap();
        path
    };
    let mut s = UDRV.serve(
        "udrv-serve",
        d,
        &config("cert", true),
        &["--count", "3"],
        &[],
    );
    assert!(s.wait().success(), "{}", s.stderr());
    wait_for(
        "the state of a service with a client certificate",
        Duration::from_secs(10),
        || {
            messages(&sub)
                .iter()
                .any(|(t, _)| t == "udrv/cert/light/state")
        },
        || format!("{}\n{}", sub.stdout(), s.stderr()),
    );
    // Without its certificate the broker refuses the service: one line, the readings queued.
    let mut n = UDRV.serve(
        "udrv-nocert",
        d,
        &config("nocert", false),
        &["--duration", "1.5"],
        &[],
    );
    assert!(n.wait().success(), "{}", n.stderr());
    let err = n.stderr();
    one_line(&err, &["readings are queued and sent"]);
    assert!(err.contains("(the broker is away)"), "{err}");
    assert!(!messages(&sub)
        .iter()
        .any(|(t, _)| t.starts_with("udrv/nocert/")));
}

#[test]
fn sigterm_delivers_every_reading_taken_before_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    let lines = d.join("readings.jsonl");
    let config = write_config(
        d,
        &format!(
            "board = \"term\"\ninterval = 0.02\n[[chip]]\nspec = \"mcp23017@i2c-1:0x20\"\n\
             [[chip]]\nspec = \"ads1115@i2c-1:0x48\"\n[json]\npath = \"{}\"\n[mqtt]\nhost = \
             \"127.0.0.1\"\nport = {port}\n[queue]\ndir = \"{}\"\n",
            lines.display(),
            d.join("queue").display()
        ),
    );
    let mut s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    let taken = || {
        fs::read_to_string(&lines)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect::<Vec<u64>>()
    };
    wait_for(
        "readings",
        Duration::from_secs(10),
        || taken().len() >= 300,
        || s.stderr(),
    );
    s.signal("-TERM");
    assert!(s.wait().success(), "{}", s.stderr());
    let taken = taken();
    wait_for(
        "every reading taken, at the subscriber",
        Duration::from_secs(10),
        || {
            let got = state_seqs(&messages(&sub));
            taken.iter().all(|t| got.contains(t))
        },
        || s.stderr(),
    );
    assert!(s.stderr().contains("SIGTERM"), "{}", s.stderr());
    let q = udrv_service::queue::Queue::open(&d.join("queue"), 1 << 24).unwrap();
    assert!(q.is_empty(), "{} records left in the queue", q.len());
}

#[test]
fn a_reload_clears_the_retained_topics_of_removed_chips() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    let config = d.join("udrv.toml");
    let file = |chips: &str| {
        format!(
            "board = \"rl\"\ninterval = 0.1\n{chips}[mqtt]\nhost = \"127.0.0.1\"\nport = \
             {port}\n[queue]\ndir = \"{}\"\n",
            d.join("queue").display()
        )
    };
    let room = "[[chip]]\nname = \"room\"\nspec = \"bme280@i2c-1:0x76\"\n";
    let brd = "[[chip]]\nname = \"brd\"\nspec = \"lm75@i2c-1:0x4f\"\n";
    fs::write(&config, file(&format!("{room}{brd}"))).unwrap();
    let mut s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    let brd_config = "homeassistant/sensor/udrv_rl/brd_temperature/config";
    let has = |topic: &str, empty: bool| {
        messages(&sub)
            .iter()
            .any(|(t, p)| t == topic && p.is_empty() == empty)
    };
    wait_for(
        "brd's discovery",
        Duration::from_secs(10),
        || has(brd_config, false),
        || s.stderr(),
    );
    fs::write(&config, file(room)).unwrap();
    s.signal("-HUP");
    wait_for(
        "brd's discovery and availability cleared",
        Duration::from_secs(10),
        || has(brd_config, true) && has("udrv/rl/brd/availability", true),
        || format!("{}\n{}", sub.stdout(), s.stderr()),
    );
    s.signal("-TERM");
    assert!(s.wait().success(), "{}", s.stderr());
    // A subscriber that comes now finds room's documents retained, none of brd's.
    let late = retained(port, "homeassistant/#", "1", None);
    assert!(late.contains("udrv_rl/room_temperature/config"), "{late}");
    assert!(!late.contains("brd"), "{late}");
}
