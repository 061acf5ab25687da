#![cfg(feature = "serve")]
//! `udrv serve`'s `/metrics` endpoint scraped by a real Prometheus: Debian's `prometheus`
//! (installed by `cargo xtask`'s host packages, its own daemon kept from starting), started
//! here on 127.0.0.1 and a free port with a generated configuration scraping the endpoint.
//! The test asks Prometheus' HTTP API for the series and checks names, labels and values
//! against the virtual board's world (`UDRV_VIRTUAL_TIME` fixes it, and a separate
//! `udrv read` at that time gives the first chip's readings); `promtool check metrics`
//! checks the endpoint's text. Bad input: a listen address that is no address, one this
//! machine does not have, a port in use: each one clear line. Every child runs in its own
//! process group under a deadline that kills the group and names what hung. Host only:
//! these tests start servers and the udrv binary.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::procs::{assert_no_distribution_daemon, free_port, http, url_encode, wait_for, Proc};
use common::serve::{config_with_json, queue_in, refused, text, write_config, Udrv};
use serde_json::Value;
use udrv_boards::catalog::Quantity;

const UDRV: Udrv = Udrv(env!("CARGO_BIN_EXE_udrv"));

/// The virtual board's clock for these tests (2026-11-22).
const TIME: &str = "1795308924";

/// Prometheus' instant query: each series' labels (with `__name__`) and value.
fn query(port: u16, q: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let (code, body) = http(
        port,
        "GET",
        &format!("/api/v1/query?query={}", url_encode(q)),
        "",
        b"",
    )
    .unwrap_or_else(|e| panic!("prometheus query {q}: {e}"));
    assert_eq!(code, 200, "{q}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            let value = s["value"][1].as_str().unwrap().parse::<f64>().unwrap();
            (labels, value)
        })
        .collect()
}

/// The bus and address a spec names, read from its text: `bme280@i2c-1:0x76` is on
/// `i2c-1` at `0x76`, `max31855@spidev0.1` on `spidev0.1`.
fn bus_address(device: &str) -> (String, Option<String>) {
    let at = device.split_once('@').unwrap().1;
    match at.rsplit_once(':') {
        Some((bus, a)) if a.starts_with("0x") => (bus.to_string(), Some(a.to_string())),
        _ => (at.to_string(), None),
    }
}

#[test]
fn prometheus_scrapes_the_readings_and_the_services_counts() {
    assert_no_distribution_daemon("prometheus", "prometheus");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (metrics_port, prom_port, no_db) = (free_port(), free_port(), free_port());
    // Every chip read once (interval an hour) but `brd`, which fails once and is read
    // again; InfluxDB is away, so its queue fills.
    let (config, readings) = config_with_json(
        d,
        "board = \"fleet\"\ninterval = 3600\n\
         [[chip]]\nname = \"room\"\nspec = \"bme280@i2c-1:0x76\"\n\
         [[chip]]\nname = \"adc\"\nspec = \"ads1115@i2c-1:0x48\"\n\
         [[chip]]\nname = \"io\"\nspec = \"pca9554@i2c-1:0x21\"\n\
         [[chip]]\nname = \"rtc\"\nspec = \"ds3231@i2c-1:0x68\"\n\
         [[chip]]\nname = \"oven\"\nspec = \"max31855@spidev0.1\"\n\
         [[chip]]\nname = \"brd\"\nspec = \"lm75@i2c-1:0x4f\"\ninterval = 0.2\n",
        &format!(
            "[prometheus]\nlisten = \"127.0.0.1:{metrics_port}\"\n\
             [influxdb]\nurl = \"http://127.0.0.1:{no_db}\"\ndatabase = \"udrv\"\n{}",
            queue_in(d)
        ),
    );
    let o = udrv(&["serve", "--check", config.to_str().unwrap()]);
    assert!(
        text(&o.stdout).contains(&format!(
            "good: 6 chips; JSON lines to {}, InfluxDB 127.0.0.1:{no_db} database udrv, \
             Prometheus http://127.0.0.1:{metrics_port}/metrics",
            readings.display()
        )),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let mut s = UDRV.serve(
        "udrv-serve",
        d,
        &config,
        &[],
        &[
            ("UDRV_VIRTUAL_TIME", TIME),
            ("UDRV_VIRTUAL_FAULTS", "i2c@0x4f:eio:times=1"),
        ],
    );
    wait_for(
        "the /metrics endpoint",
        Duration::from_secs(20),
        || http(metrics_port, "GET", "/metrics", "", b"").is_ok_and(|(c, _)| c == 200),
        || s.stderr(),
    );
    // Prometheus, scraping it every second.
    let prom_conf = d.join("prometheus.yml");
    fs::write(
        &prom_conf,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: \
             udrv\n    static_configs:\n      - targets: [\"127.0.0.1:{metrics_port}\"]\n"
        ),
    )
    .unwrap();
    let prom = Proc::start(
        "prometheus",
        Command::new("prometheus")
            .arg(format!("--config.file={}", prom_conf.display()))
            .arg(format!("--storage.tsdb.path={}", d.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}")),
        d,
        Duration::from_secs(120),
    );
    let context = || format!("{}\n{}", prom.stderr(), s.stderr());
    // Every chip's series and the service's counts, scraped after every chip was read.
    wait_for(
        "the series of every chip in Prometheus",
        Duration::from_secs(60),
        || {
            let Ok((200, _)) = http(prom_port, "GET", "/-/ready", "", b"") else {
                return false;
            };
            let reads = query(prom_port, "udrv_reads_total");
            ["room", "adc", "io", "rtc", "oven", "brd"]
                .iter()
                .all(|n| reads.iter().any(|(l, _)| l["name"] == *n))
                && !query(prom_port, "udrv_queue_records").is_empty()
        },
        context,
    );
    let all = query(prom_port, "{board=\"fleet\"}");
    let names: std::collections::BTreeSet<&str> =
        all.iter().map(|(l, _)| l["__name__"].as_str()).collect();
    for want in [
        "udrv_temperature_celsius",
        "udrv_humidity_ratio",
        "udrv_pressure_pascals",
        "udrv_voltage_volts",
        "udrv_digital_state",
        "udrv_time_seconds",
        "udrv_reads_total",
        "udrv_read_errors_total",
        "udrv_last_success_timestamp_seconds",
        "udrv_queue_records",
        "udrv_queue_dropped_records_total",
    ] {
        assert!(names.contains(want), "no {want}: {names:?}\n{}", context());
    }
    // Every reading of the chips read once, as its series: the catalog's name and factor,
    // labels for where it was read.
    let json = fs::read_to_string(&readings).unwrap();
    let name_of: BTreeMap<&str, &str> = [
        ("bme280", "room"),
        ("ads1115", "adc"),
        ("pca9554", "io"),
        ("ds3231", "rtc"),
        ("max31855", "oven"),
    ]
    .into_iter()
    .collect();
    let mut checked = 0;
    for line in json.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        let chip = r["chip"].as_str().unwrap();
        let Some(name) = name_of.get(chip) else {
            continue;
        };
        let q: Quantity = r["quantity"].as_str().unwrap().parse().unwrap();
        let info = q.info();
        let (bus, address) = bus_address(r["device"].as_str().unwrap());
        let mut want: BTreeMap<String, String> = [
            ("__name__", info.prometheus_name()),
            ("board", "fleet".into()),
            ("name", name.to_string()),
            ("chip", chip.into()),
            ("bus", bus),
            ("job", "udrv".into()),
            ("instance", format!("127.0.0.1:{metrics_port}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(a) = address {
            want.insert("address".into(), a);
        }
        if let Some(c) = r["channel"].as_str() {
            want.insert("channel".into(), c.into());
        }
        let found: Vec<f64> = all
            .iter()
            .filter(|(l, _)| *l == want)
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(
            found,
            [r["value"].as_f64().unwrap() * info.prometheus_scale],
            "{line}: no series {want:?}\n{all:#?}"
        );
        checked += 1;
    }
    // bme280 3 + ads1115 4 + pca9554 8 + ds3231 3 (time, temperature, oscillator
    // stopped) + max31855 2.
    assert_eq!(checked, 20, "{json}");
    // The names as Prometheus' naming guide has them, percentages as ratios.
    let room = |metric: &str| {
        all.iter()
            .find(|(l, _)| l["__name__"] == metric && l["name"] == "room")
            .unwrap_or_else(|| panic!("no {metric} of room"))
            .1
    };
    assert!((0.0..=1.0).contains(&room("udrv_humidity_ratio")));
    // The world at UDRV_VIRTUAL_TIME: the first chip's first read is what `udrv read`
    // gives at that time.
    let o = Command::new("timeout")
        .args([
            "60",
            UDRV.0,
            "--board",
            "virtual",
            "read",
            "--json",
            "bme280@i2c-1:0x76",
        ])
        .env("UDRV_VIRTUAL_TIME", TIME)
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "udrv read ({:?}; 124: hung past 60 s): {}",
        o.status,
        text(&o.stderr)
    );
    let read: Value = serde_json::from_str(text(&o.stdout).lines().next().unwrap()).unwrap();
    for r in read["data"].as_array().unwrap() {
        let q: Quantity = r["quantity"].as_str().unwrap().parse().unwrap();
        let info = q.info();
        assert_eq!(
            room(&info.prometheus_name()),
            r["value"].as_f64().unwrap() * info.prometheus_scale,
            "{q}"
        );
    }
    // The service's counts: one read of each hourly chip; brd failed once (EIO) and was
    // read again; InfluxDB's queue holds what could not be written.
    let value = |metric: &str, labels: &[(&str, &str)]| -> f64 {
        let found: Vec<f64> = all
            .iter()
            .filter(|(l, _)| {
                l["__name__"] == metric
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(found.len(), 1, "{metric} {labels:?}: {all:#?}");
        found[0]
    };
    assert_eq!(
        value("udrv_reads_total", &[("name", "room"), ("chip", "bme280")]),
        1.0
    );
    assert_eq!(
        value(
            "udrv_read_errors_total",
            &[("name", "brd"), ("chip", "lm75"), ("kind", "io")]
        ),
        1.0
    );
    assert!(value("udrv_reads_total", &[("name", "brd")]) >= 1.0);
    assert!(value("udrv_last_success_timestamp_seconds", &[("name", "oven")]) > 1.6e9);
    assert!(value("udrv_queue_records", &[("output", "influxdb")]) >= 5.0);
    assert_eq!(
        value(
            "udrv_queue_dropped_records_total",
            &[("output", "influxdb")]
        ),
        0.0
    );
    // promtool on the endpoint's text (Prometheus text format, as curl gets it).
    let (code, body) = http(metrics_port, "GET", "/metrics", "", b"").unwrap();
    assert_eq!(code, 200);
    let mut lint = Command::new("timeout")
        .args(["60", "promtool", "check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    lint.stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let o = lint.wait_with_output().unwrap();
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "promtool check metrics ({:?}; 124: hung past 60 s): {}{}\n{body}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
    // The OpenMetrics text when asked for it (as Prometheus asks).
    let (_, om) = http(
        metrics_port,
        "GET",
        "/metrics",
        "Accept: application/openmetrics-text;version=1.0.0\r\n",
        b"",
    )
    .unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");
    s.signal("-TERM");
    let status = s.wait();
    assert!(status.success(), "{status:?}\n{}", s.stderr());
    prom.signal("-TERM");
}

fn udrv(args: &[&str]) -> std::process::Output {
    UDRV.run(args)
}

fn config_with_listen(dir: &Path, listen: &str) -> std::path::PathBuf {
    write_config(
        dir,
        &format!(
            "board = \"b\"\n[[chip]]\nspec = \"lm75@i2c-1:0x4f\"\n[prometheus]\nlisten = \"{listen}\"\n"
        ),
    )
}

#[test]
fn a_listen_address_that_is_no_address_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let f = config_with_listen(dir.path(), "localhost:metrics");
    let (first, err) = refused(&udrv(&["serve", "--check", f.to_str().unwrap()]));
    assert!(
        first.starts_with(&format!(
            "udrv: {}:5:10: [prometheus] listen `localhost:metrics`: give an IP address and a port",
            f.display()
        )),
        "{err}"
    );
}

#[test]
fn an_address_this_machine_lacks_or_a_port_in_use_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    for (listen, why) in [
        (
            format!("127.0.0.1:{port}"),
            "another program listens there: stop it or give [prometheus] listen another port",
        ),
        (
            // TEST-NET-1 (RFC 5737): no machine here has it.
            "192.0.2.1:9875".to_string(),
            "this machine has no such address",
        ),
    ] {
        let f = config_with_listen(dir.path(), &listen);
        let o = UDRV.serve_once(&f, &["--count", "1"]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with(&format!("udrv: prometheus: cannot listen on {listen}: "))
                && last.contains(why),
            "{err}"
        );
        assert!(o.stdout.is_empty(), "nothing read: {}", text(&o.stdout));
    }
    drop(taken);
}
