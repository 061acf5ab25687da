//! InfluxDB line protocol: the points of a chip read, and their delivery to InfluxDB 1.x
//! (`POST /write`) through an on-disk queue of their own.
//!
//! One point per reading: the measurement is the catalog's quantity name
//! (`temperature`), the tags say where it was read (`board`, `name`, `chip`, `bus`,
//! `address`, `channel`, and the configuration's own), the fields are `value` (in the
//! catalog's unit) and `seq` (the reading's sequence number, an integer), the timestamp
//! is the reading's time in nanoseconds:
//!
//! ```text
//! temperature,address=0x76,board=kitchen,bus=i2c-1,chip=bme280,name=room value=21.42,seq=1i 1795308924000000000
//! ```
//!
//! Escaping follows the line protocol's reference (InfluxDB 1.x): in a measurement,
//! commas and spaces; in tag keys, tag values and field keys, commas, equals signs and
//! spaces, each with a backslash.
//!
//! The queue: a folder `influxdb` in `[queue] dir`, the same record format as MQTT's
//! ([`Queue`]), one record per chip read holding its lines. A queue per output, not one
//! queue with two readers: each output has its own head and bound, so a database away
//! for a day neither holds back MQTT's deliveries nor makes the broker's readings be sent
//! again, and the queue's format and its crash guarantees stay those already tested.
//! The cost is each reading written twice when both outputs are on.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, UNIX_EPOCH};

use udrv_boards::catalog::Reading;

use crate::config::{self, Influx};
use crate::log;
use crate::queue::{Outbox, Queue};

/// The tags every point has (the configuration's own may not take these names).
pub(crate) const TAGS: [&str; 6] = ["address", "board", "bus", "channel", "chip", "name"];

/// A measurement name escaped: commas and spaces.
pub(crate) fn escape_measurement(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ',' | ' ') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// A tag key, tag value or field key escaped: commas, equals signs and spaces.
pub(crate) fn escape_tag(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, ',' | '=' | ' ') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// The lines of one chip read: a point per reading (readings whose value is not a finite
/// number, which the line protocol cannot carry, are left out), each line ending in `\n`.
pub(crate) fn lines(
    board: &str,
    name: &str,
    readings: &[Reading],
    extra: &[(String, String)],
) -> String {
    let mut out = String::new();
    for r in readings {
        if !r.value.is_finite() {
            continue;
        }
        let (chip, bus, address) = crate::prometheus::place(&r.source);
        let mut tags: Vec<(&str, String)> = vec![
            ("board", board.to_string()),
            ("name", name.to_string()),
            ("chip", chip),
            ("bus", bus),
        ];
        if let Some(a) = address {
            tags.push(("address", a));
        }
        if let Some(c) = r.channel() {
            tags.push(("channel", c.to_string()));
        }
        for (k, v) in extra {
            tags.push((k, v.clone()));
        }
        tags.sort();
        out.push_str(&escape_measurement(r.quantity.name()));
        for (k, v) in &tags {
            out.push(',');
            out.push_str(&escape_tag(k));
            out.push('=');
            out.push_str(&escape_tag(v));
        }
        let ns = match r.time.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        };
        out.push_str(&format!(" value={},seq={}i {ns}\n", r.value, r.seq));
    }
    out
}

/// Standard base64 (for HTTP basic authentication).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut o = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                o.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                o.push('=');
            }
        }
    }
    o
}

/// What a write came back with.
enum Answer {
    /// 204: written.
    Written,
    /// 400: the server refused the points themselves (they would be refused again).
    Refused(String),
    /// Anything else: try again later (the reason, and what to do).
    Retry(String),
}

/// The writer's settings, worked out once.
struct Settings {
    influx: Influx,
    auth: Option<String>,
    server: String,
}

impl Settings {
    fn new(influx: &Influx) -> Result<Settings, String> {
        let auth = match (&influx.username, &influx.password_file) {
            (Some(u), Some(p)) => {
                config::check_secret_file(p)?;
                let t = std::fs::read_to_string(p)
                    .map_err(|e| format!("{}: cannot read the password file: {e}", p.display()))?;
                let pw = t.trim_end_matches(['\n', '\r']);
                Some(base64(format!("{u}:{pw}").as_bytes()))
            }
            (Some(u), None) => Some(base64(format!("{u}:").as_bytes())),
            _ => None,
        };
        Ok(Settings {
            server: format!("http://{}:{}", influx.host, influx.port),
            influx: influx.clone(),
            auth,
        })
    }

    /// One `POST /write` of `body`.
    fn write(&self, body: &[u8]) -> Answer {
        match self.post(body) {
            Ok((204, _)) | Ok((200, _)) => Answer::Written,
            Ok((400, text)) => Answer::Refused(text),
            Ok((401 | 403, text)) => Answer::Retry(format!(
                "refused ({text}): check [influxdb] username and password_file"
            )),
            Ok((404, text)) if text.contains("database not found") => Answer::Retry(format!(
                "database `{}` not found: create it (influx -execute 'CREATE DATABASE {}')",
                self.influx.database, self.influx.database
            )),
            Ok((code, text)) => Answer::Retry(format!("HTTP {code} ({text})")),
            Err(e) => Answer::Retry(e),
        }
    }

    fn post(&self, body: &[u8]) -> Result<(u16, String), String> {
        let i = &self.influx;
        let addrs = (i.host.as_str(), i.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", i.host))?;
        let mut last = String::from("no address");
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, Duration::from_secs(5)) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e.to_string(),
            }
        }
        let mut s = stream.ok_or(last)?;
        let io = |e: std::io::Error| e.to_string();
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io)?;
        s.set_write_timeout(Some(Duration::from_secs(10)))
            .map_err(io)?;
        let host = if i.host.contains(':') {
            format!("[{}]:{}", i.host, i.port)
        } else {
            format!("{}:{}", i.host, i.port)
        };
        // `Expect: 100-continue`: a server that refuses the write before reading its body
        // (authentication, a missing database) answers at once and the body is not sent;
        // sent anyway, it would be left unread and the server's close would reset the
        // connection, losing its answer.
        let mut req = format!(
            "POST /write?db={}&precision=ns HTTP/1.1\r\nHost: {host}\r\nUser-Agent: udrv/{}\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n",
            i.database,
            env!("CARGO_PKG_VERSION"),
            body.len()
        );
        if let Some(a) = &self.auth {
            req.push_str(&format!("Authorization: Basic {a}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).map_err(io)?;
        // The interim answer, or a final one; a server that says nothing within a second
        // (one that ignores Expect) gets the body anyway.
        s.set_read_timeout(Some(Duration::from_secs(1)))
            .map_err(io)?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = |a: &[u8]| a.windows(4).position(|w| w == b"\r\n\r\n");
        while head_end(&answer).is_none() {
            match s.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        let interim = answer.starts_with(b"HTTP/1.1 100") || answer.starts_with(b"HTTP/1.0 100");
        if answer.is_empty() || interim {
            if let Some(end) = head_end(&answer) {
                answer.drain(..end + 4);
            }
            s.write_all(body).map_err(io)?;
        }
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io)?;
        // The rest, to the close; a reset after the answer came keeps the answer.
        let mut rest = Vec::new();
        match (&mut s).take(64 << 10).read_to_end(&mut rest) {
            Ok(_) => answer.extend_from_slice(&rest),
            Err(e) => {
                answer.extend_from_slice(&rest);
                if head_end(&answer).is_none() {
                    return Err(e.to_string());
                }
            }
        }
        let text = String::from_utf8_lossy(&answer);
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let code = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| format!("not an HTTP answer: {:?}", head.lines().next()))?;
        let mut why: String = rest.trim().chars().take(300).collect();
        if why.is_empty() {
            why = head.lines().next().unwrap_or("").to_string();
        }
        Ok((code, why))
    }
}

/// The writer's handle, for the reading loop.
pub(crate) struct Writer {
    outbox: Outbox,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts writing `queue` to the server `influx` names (errors: a password file that
    /// cannot be used).
    pub(crate) fn start(influx: &Influx, queue: Arc<Mutex<Queue>>) -> Result<Writer, String> {
        let settings = Settings::new(influx)?;
        let outbox = Outbox::new(queue);
        let run = Run {
            settings,
            outbox: outbox.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("udrv-influxdb".into())
            .spawn(move || run.run())
            .map_err(|e| format!("cannot start the InfluxDB thread: {e}"))?;
        Ok(Writer {
            outbox,
            thread: Some(thread),
        })
    }

    /// Stops: writes what is queued for up to `flush` first.
    pub(crate) fn stop(mut self, flush: Duration) {
        self.outbox.stop(flush);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The most records one write takes, and about the most bytes.
const BATCH: usize = 500;
const BATCH_BYTES: usize = 1 << 20;

struct Run {
    settings: Settings,
    outbox: Outbox,
}

impl Run {
    /// The next records to write: the id of the last and the body.
    fn batch(&self) -> Option<(u64, usize, Vec<u8>)> {
        let q = self.outbox.queue();
        let first = q.first_id();
        let mut body = Vec::new();
        let mut last = None;
        let mut n = 0;
        for id in first..q.next_id() {
            let Some(rec) = q.get(id) else { break };
            if n > 0 && (n >= BATCH || body.len() + rec.len() > BATCH_BYTES) {
                break;
            }
            body.extend_from_slice(rec);
            last = Some(id);
            n += 1;
        }
        last.map(|l| (l, n, body))
    }

    fn run(self) {
        let server = self.settings.server.clone();
        let mut backoff = Duration::from_millis(500);
        let mut failing: Option<String> = None;
        let mut last_save = Instant::now();
        let mut retry_at = Instant::now();
        let pending = self.outbox.queue().len();
        if pending > 0 {
            log(&format!(
                "influxdb {server}: {pending} queued records from an earlier run to write"
            ));
        }
        loop {
            let stopping = self.outbox.stopping();
            if let Some(by) = stopping {
                if self.outbox.queue().is_empty() || Instant::now() >= by {
                    break;
                }
            }
            if last_save.elapsed() > Duration::from_millis(300) {
                self.outbox.save();
                last_save = Instant::now();
            }
            if Instant::now() < retry_at {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            let Some((last, n, body)) = self.batch() else {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            match self.settings.write(&body) {
                Answer::Written => {
                    self.outbox.queue().ack_through(last);
                    if failing.take().is_some() {
                        log(&format!(
                            "influxdb {server}: answers again; writing the queued records"
                        ));
                    }
                    backoff = Duration::from_millis(500);
                }
                Answer::Refused(why) => {
                    self.outbox.queue().ack_through(last);
                    log(&format!(
                        "influxdb {server}: refused {n} records' points ({why}); they are \
                         dropped (check [influxdb] tags)"
                    ));
                }
                Answer::Retry(why) => {
                    if failing.as_deref() != Some(why.as_str()) {
                        log(&format!(
                            "influxdb {server}: {why}; readings are queued and written when it \
                             answers (retrying with backoff)"
                        ));
                        failing = Some(why);
                    }
                    retry_at = Instant::now() + backoff;
                    if let Some(by) = stopping {
                        retry_at = retry_at.min(by);
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        self.outbox.save();
        let q = self.outbox.queue();
        if !q.is_empty() {
            log(&format!(
                "influxdb {server}: stopped with {} records queued; they are written on the \
                 next start",
                q.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;
    use udrv_boards::catalog::{ChipSpec, Quantity};

    #[test]
    fn escaping_follows_the_line_protocol() {
        assert_eq!(escape_measurement("a b,c=d"), "a\\ b\\,c=d");
        assert_eq!(
            escape_tag("north wing, room=3"),
            "north\\ wing\\,\\ room\\=3"
        );
        assert_eq!(escape_tag("plain"), "plain");
    }

    #[test]
    fn a_reading_is_one_line_with_its_place_as_tags() {
        let spec: ChipSpec = "ads1115@i2c-1:0x48".parse().unwrap();
        let mut r = Reading {
            seq: 7,
            time: UNIX_EPOCH + Duration::from_millis(1_795_308_924_500),
            source: spec.with_channel(Some(udrv_boards::catalog::Channel::new("ain0").unwrap())),
            quantity: Quantity::Voltage,
            value: 1.25,
        };
        let extra = vec![("site".to_string(), "north wing, room=3".to_string())];
        let got = lines("kitchen", "adc", &[r.clone()], &extra);
        assert_eq!(
            got,
            "voltage,address=0x48,board=kitchen,bus=i2c-1,channel=ain0,chip=ads1115,name=adc,\
             site=north\\ wing\\,\\ room\\=3 value=1.25,seq=7i 1795308924500000000\n"
        );
        r.value = f64::NAN;
        r.time = SystemTime::UNIX_EPOCH;
        assert_eq!(lines("kitchen", "adc", &[r], &[]), "");
    }

    #[test]
    fn base64_as_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"udrv:s3cret"), "dWRydjpzM2NyZXQ=");
    }
}
