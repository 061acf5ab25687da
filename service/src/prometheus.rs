//! The Prometheus `/metrics` endpoint: the latest reading of every chip's quantities, and
//! the service's own counts.
//!
//! Metric names and factors come from the catalog's [`QuantityInfo`]
//! (`udrv_temperature_celsius`, humidity as `udrv_humidity_ratio` ×0.01), labels say
//! where a reading was taken (`board`, `name` as the configuration names the chip, `chip`
//! the kind, `bus`, `address`, and `channel` where the reading has one). The service's
//! own: `udrv_reads_total{name, chip}`, `udrv_read_errors_total{name, chip, kind}`,
//! `udrv_last_success_timestamp_seconds{name, chip}`, `udrv_queue_records{output}` and
//! `udrv_queue_dropped_records_total{output}` (chip reads dropped past the queue's bound).
//!
//! The exposition is the client library's (prometheus-client): OpenMetrics text when the
//! scraper asks for it (Prometheus does), the Prometheus text format 0.0.4 otherwise
//! (`curl`, `promtool check metrics`).
//!
//! The server is a thread on std's `TcpListener` answering one request at a time
//! (requests parsed by `httparse`): a scrape every few seconds needs no more, and the
//! service has no async runtime of its own to put hyper on.
//!
//! [`QuantityInfo`]: udrv_boards::catalog::QuantityInfo

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use udrv_boards::catalog::{ChipSpec, Quantity, Reading};

use crate::queue::Queue;

/// A chip's kind, bus and address (I2C: `0x76`; SPI: the hardware address, if any), as
/// labels and tags carry them.
pub(crate) fn place(spec: &ChipSpec) -> (String, String, Option<String>) {
    let text = spec.with_channel(None).to_string();
    let at = text.split_once('@').map_or("", |(_, at)| at);
    let (bus, address) = match spec.address() {
        Some(a) => (
            at.rsplit_once(':').map_or(at, |(b, _)| b).to_string(),
            Some(format!("{a:#04x}")),
        ),
        None => match at.split_once(':') {
            Some((b, hw)) => (b.to_string(), Some(hw.to_string())),
            None => (at.to_string(), None),
        },
    };
    (spec.kind().to_string(), bus, address)
}

/// What kind of failure a read error is, for `udrv_read_errors_total{kind}`: from the
/// error's one line (the bus's or the driver's message).
pub(crate) fn error_kind(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&[
        "no such file",
        "no such device",
        "cannot open",
        "os error 2)",
        "os error 19)",
    ]) {
        "open"
    } else if has(&["permission denied", "os error 13)"]) {
        "permission"
    } else if has(&["timed out", "timeout", "os error 110)"]) {
        "timeout"
    } else if has(&[
        "nack",
        "no ack",
        "not acknowledged",
        "nothing answers",
        "os error 6)",
        "os error 121)",
    ]) {
        "no_answer"
    } else if has(&["answers as", "wrong chip", "not a ", "id register"]) {
        "wrong_chip"
    } else if has(&["switch"]) {
        "switch"
    } else if has(&["i/o error", "eio", "os error 5)"]) {
        "io"
    } else {
        "other"
    }
}

type Labels = Vec<(Cow<'static, str>, Cow<'static, str>)>;

fn label(k: &'static str, v: impl Into<String>) -> (Cow<'static, str>, Cow<'static, str>) {
    (Cow::Borrowed(k), Cow::Owned(v.into()))
}

/// What the endpoint shows, updated by the reading loop.
#[derive(Debug, Default)]
struct State {
    /// The latest value of each series, by quantity.
    readings: BTreeMap<Quantity, BTreeMap<Labels, f64>>,
    /// Chip reads that gave readings, by chip (name, kind).
    reads: BTreeMap<(String, String), u64>,
    /// Failed chip reads, by chip and kind of failure.
    errors: BTreeMap<(String, String, &'static str), u64>,
    /// The wall-clock time of each chip's last good read.
    last_success: BTreeMap<(String, String), f64>,
    /// The on-disk queues, by output (`mqtt`, `influxdb`).
    queues: Vec<(&'static str, Arc<Mutex<Queue>>)>,
}

/// The service's metrics (a handle: clones share them).
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics {
    state: Arc<Mutex<State>>,
}

impl Metrics {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A good read of chip `name`: its readings become the series' values.
    pub(crate) fn read(&self, name: &str, spec: &ChipSpec, readings: &[Reading]) {
        let mut s = self.state();
        let chip = spec.kind().to_string();
        *s.reads.entry((name.to_string(), chip.clone())).or_default() += 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        s.last_success.insert((name.to_string(), chip), now);
        for r in readings {
            let (chip, bus, address) = place(&r.source);
            let mut l: Labels = vec![label("name", name), label("chip", chip), label("bus", bus)];
            if let Some(a) = address {
                l.push(label("address", a));
            }
            if let Some(c) = r.channel() {
                l.push(label("channel", c));
            }
            let info = r.quantity.info();
            s.readings
                .entry(r.quantity)
                .or_default()
                .insert(l, r.value * info.prometheus_scale);
        }
    }

    /// A failed read of chip `name`.
    pub(crate) fn error(&self, name: &str, spec: &ChipSpec, message: &str) {
        let key = (
            name.to_string(),
            spec.kind().to_string(),
            error_kind(message),
        );
        *self.state().errors.entry(key).or_default() += 1;
    }

    /// The queues to show, replacing those of an earlier configuration.
    pub(crate) fn set_queues(&self, queues: Vec<(&'static str, Arc<Mutex<Queue>>)>) {
        self.state().queues = queues;
    }

    /// Forgets the series of chips not in `names` (a reload removed them).
    pub(crate) fn keep_chips(&self, names: &[String]) {
        let mut s = self.state();
        let keep = |n: &String| names.contains(n);
        for series in s.readings.values_mut() {
            series.retain(|l, _| l.iter().any(|(k, v)| k == "name" && keep(&v.to_string())));
        }
        s.readings.retain(|_, series| !series.is_empty());
        s.reads.retain(|(n, _), _| keep(n));
        s.errors.retain(|(n, _, _), _| keep(n));
        s.last_success.retain(|(n, _), _| keep(n));
    }
}

/// The collector the registry asks at each scrape.
#[derive(Debug)]
struct Scrape(Metrics);

fn family<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: impl IntoIterator<Item = (Labels, M)>,
) -> Result<(), std::fmt::Error> {
    let mut series = series.into_iter().peekable();
    let Some((_, first)) = series.peek() else {
        return Ok(());
    };
    let mut m = encoder.encode_descriptor(name, help, None, first.metric_type())?;
    for (labels, metric) in series {
        metric.encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn chip_labels(name: &str, chip: &str) -> Labels {
    vec![label("name", name), label("chip", chip)]
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = self.0.state();
        for (q, series) in &s.readings {
            let info = q.info();
            let unit = if info.unit.is_empty() {
                String::new()
            } else if info.prometheus_scale == 1.0 {
                format!(" ({})", info.unit)
            } else {
                format!(
                    " (the reading in {} times {}, in {})",
                    info.unit, info.prometheus_scale, info.prometheus_unit
                )
            };
            family(
                &mut encoder,
                &info.prometheus_name(),
                &format!("The latest {} reading{unit}", info.name),
                series.iter().map(|(l, v)| (l.clone(), ConstGauge::new(*v))),
            )?;
        }
        family(
            &mut encoder,
            "udrv_reads",
            "Chip reads that gave readings",
            s.reads
                .iter()
                .map(|((n, c), v)| (chip_labels(n, c), ConstCounter::new(*v))),
        )?;
        family(
            &mut encoder,
            "udrv_read_errors",
            "Chip reads that failed, by kind of failure",
            s.errors.iter().map(|((n, c, k), v)| {
                let mut l = chip_labels(n, c);
                l.push(label("kind", *k));
                (l, ConstCounter::new(*v))
            }),
        )?;
        family(
            &mut encoder,
            "udrv_last_success_timestamp_seconds",
            "When the chip last gave readings (seconds since the Unix epoch)",
            s.last_success
                .iter()
                .map(|((n, c), v)| (chip_labels(n, c), ConstGauge::new(*v))),
        )?;
        let counts: Vec<(&str, u64, u64)> = s
            .queues
            .iter()
            .map(|(o, q)| {
                let q = q.lock().unwrap_or_else(|e| e.into_inner());
                (*o, q.len() as u64, q.dropped())
            })
            .collect();
        family(
            &mut encoder,
            "udrv_queue_records",
            "Chip reads waiting in the on-disk queue of an output",
            counts
                .iter()
                .map(|(o, n, _)| (vec![label("output", *o)], ConstGauge::new(*n as i64))),
        )?;
        family(
            &mut encoder,
            "udrv_queue_dropped_records",
            "Chip reads dropped past the queue's bound (over the queue's life)",
            counts
                .iter()
                .map(|(o, _, d)| (vec![label("output", *o)], ConstCounter::new(*d))),
        )?;
        Ok(())
    }
}

/// The text of a scrape: OpenMetrics if `openmetrics`, else Prometheus text 0.0.4; and
/// its content type.
fn exposition(registry: &Registry, openmetrics: bool) -> (String, &'static str) {
    let mut text = String::new();
    if openmetrics {
        let _ = prometheus_client::encoding::text::encode(&mut text, registry);
        (
            text,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )
    } else {
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, registry);
        (
            text,
            prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        )
    }
}

/// The running endpoint.
pub(crate) struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on `listen` and answers `/metrics` for `board` from `metrics`. An error
    /// is one line: the address, why, and what to do.
    pub(crate) fn start(
        listen: SocketAddr,
        board: &str,
        metrics: &Metrics,
    ) -> Result<Server, String> {
        let listener = TcpListener::bind(listen).map_err(|e| {
            let hint = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "another program listens there: stop it or give [prometheus] listen \
                     another port"
                }
                std::io::ErrorKind::AddrNotAvailable => {
                    "this machine has no such address: give one of its own (127.0.0.1 for \
                     this machine only, 0.0.0.0 for every interface)"
                }
                std::io::ErrorKind::PermissionDenied => {
                    "ports below 1024 need privileges: give [prometheus] listen a port above \
                     1023"
                }
                _ => "check [prometheus] listen",
            };
            format!("prometheus: cannot listen on {listen}: {e}; {hint}")
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("prometheus: {listen}: {e}"))?;
        let mut registry = Registry::with_labels(
            [(Cow::Borrowed("board"), Cow::Owned(board.to_string()))].into_iter(),
        );
        registry.register_collector(Box::new(Scrape(metrics.clone())));
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name("udrv-prometheus".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((conn, _)) => answer(conn, &registry),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            })
            .map_err(|e| format!("cannot start the Prometheus thread: {e}"))?;
        Ok(Server {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops listening.
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one connection's request (then closes it).
fn answer(mut conn: TcpStream, registry: &Registry) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let (status, kind, body, head_only) = loop {
        let n = match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Partial) if buf.len() < 16 << 10 => continue,
            Ok(httparse::Status::Complete(_)) => {
                let head_only = req.method == Some("HEAD");
                let path = req.path.unwrap_or("/");
                let path = path.split_once('?').map_or(path, |(p, _)| p);
                if !matches!(req.method, Some("GET" | "HEAD")) {
                    break (
                        "405 Method Not Allowed",
                        "text/plain",
                        "GET /metrics\n".into(),
                        false,
                    );
                }
                if path == "/metrics" {
                    let accept = req
                        .headers
                        .iter()
                        .filter(|h| h.name.eq_ignore_ascii_case("accept"))
                        .any(|h| {
                            String::from_utf8_lossy(h.value)
                                .contains("application/openmetrics-text")
                        });
                    let (text, kind) = exposition(registry, accept);
                    break ("200 OK", kind, text, head_only);
                }
                if path == "/" {
                    break (
                        "200 OK",
                        "text/html; charset=utf-8",
                        "<html><body><a href=\"/metrics\">udrv metrics</a></body></html>\n".into(),
                        head_only,
                    );
                }
                break (
                    "404 Not Found",
                    "text/plain",
                    "not found: the metrics are at /metrics\n".into(),
                    head_only,
                );
            }
            _ => {
                break (
                    "400 Bad Request",
                    "text/plain",
                    "bad request\n".into(),
                    false,
                )
            }
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    if !head_only {
        let _ = conn.write_all(body.as_bytes());
    }
    let _ = conn.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use udrv_boards::catalog::Channel;

    fn reading(spec: &str, channel: Option<&str>, q: Quantity, value: f64) -> Reading {
        let spec: ChipSpec = spec.parse().unwrap();
        Reading {
            seq: 1,
            time: UNIX_EPOCH,
            source: spec.with_channel(channel.and_then(Channel::new)),
            quantity: q,
            value,
        }
    }

    /// `request` sent to [`answer`]: the answer's text.
    fn ask(registry: &Registry, request: &[u8]) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        c.write_all(request).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let (conn, _) = l.accept().unwrap();
        answer(conn, registry);
        let mut text = String::new();
        c.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn the_endpoint_answers_metrics_and_refuses_the_rest() {
        let m = Metrics::default();
        let spec: ChipSpec = "lm75@i2c-1:0x48".parse().unwrap();
        m.read(
            "t",
            &spec,
            &[reading(
                "lm75@i2c-1:0x48",
                None,
                Quantity::Temperature,
                20.0,
            )],
        );
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Scrape(m)));
        let get = ask(&registry, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(get.starts_with("HTTP/1.1 200 OK\r\n"), "{get}");
        assert!(
            get.contains("Content-Type: text/plain; version=0.0.4"),
            "{get}"
        );
        assert!(
            get.contains("\r\n\r\n# HELP udrv_temperature_celsius "),
            "{get}"
        );
        let om = ask(
            &registry,
            b"GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0\r\n\r\n",
        );
        assert!(
            om.contains("Content-Type: application/openmetrics-text") && om.ends_with("# EOF\n"),
            "{om}"
        );
        let head = ask(&registry, b"HEAD /metrics HTTP/1.1\r\n\r\n");
        assert!(
            head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"),
            "{head}"
        );
        for (request, status) in [
            (&b"GET /other HTTP/1.1\r\n\r\n"[..], "404 Not Found"),
            (
                b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
                "405 Method Not Allowed",
            ),
            (b"\x00\x01 not http\r\n\r\n", "400 Bad Request"),
        ] {
            let a = ask(&registry, request);
            assert!(a.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{a}");
        }
        // A request cut short: no answer, and the server goes on.
        assert_eq!(ask(&registry, b"GET /metr"), "");
    }

    #[test]
    fn places_as_labels() {
        let p = |s: &str| place(&s.parse().unwrap());
        assert_eq!(
            p("bme280@i2c-1:0x76"),
            ("bme280".into(), "i2c-1".into(), Some("0x76".into()))
        );
        assert_eq!(
            p("lm75@i2c-1/0x73.5:0x49"),
            ("lm75".into(), "i2c-1/0x73.5".into(), Some("0x49".into()))
        );
        assert_eq!(
            p("max31855@spidev0.1"),
            ("max31855".into(), "spidev0.1".into(), None)
        );
        assert_eq!(
            p("mcp23s17@spidev0.0:5"),
            ("mcp23s17".into(), "spidev0.0".into(), Some("5".into()))
        );
    }

    #[test]
    fn series_take_the_catalogs_names_and_factors() {
        let m = Metrics::default();
        let spec: ChipSpec = "bme280@i2c-1:0x76".parse().unwrap();
        m.read(
            "room",
            &spec,
            &[
                reading("bme280@i2c-1:0x76", None, Quantity::Temperature, 21.5),
                reading("bme280@i2c-1:0x76", None, Quantity::Humidity, 40.0),
            ],
        );
        let adc: ChipSpec = "ads1115@i2c-1:0x48".parse().unwrap();
        m.read(
            "adc",
            &adc,
            &[reading(
                "ads1115@i2c-1:0x48",
                Some("ain0"),
                Quantity::Voltage,
                1.5,
            )],
        );
        m.error("adc", &adc, "i2c-1: I/O error (os error 5) at 0x48");
        let mut registry =
            Registry::with_labels([(Cow::Borrowed("board"), Cow::Borrowed("k"))].into_iter());
        registry.register_collector(Box::new(Scrape(m.clone())));
        let (text, _) = exposition(&registry, false);
        for want in [
            "# TYPE udrv_temperature_celsius gauge",
            "udrv_temperature_celsius{board=\"k\",name=\"room\",chip=\"bme280\",bus=\"i2c-1\",address=\"0x76\"} 21.5",
            "udrv_humidity_ratio{board=\"k\",name=\"room\",chip=\"bme280\",bus=\"i2c-1\",address=\"0x76\"} 0.4",
            "udrv_voltage_volts{board=\"k\",name=\"adc\",chip=\"ads1115\",bus=\"i2c-1\",address=\"0x48\",channel=\"ain0\"} 1.5",
            "udrv_reads_total{board=\"k\",name=\"room\",chip=\"bme280\"} 1",
            "udrv_read_errors_total{board=\"k\",name=\"adc\",chip=\"ads1115\",kind=\"io\"} 1",
        ] {
            assert!(text.contains(want), "no {want} in\n{text}");
        }
        m.keep_chips(&["room".to_string()]);
        let (text, _) = exposition(&registry, true);
        assert!(!text.contains("adc") && text.contains("room"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
