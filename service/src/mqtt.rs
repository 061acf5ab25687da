//! The MQTT publisher: one thread that connects (and reconnects, with backoff), publishes
//! the board's and chips' availability and Home Assistant discovery (retained), and
//! delivers the queue's records in order with QoS 1, marking each delivered only when
//! the broker has acknowledged it.
//!
//! Each connection is a new client: nothing rumqttc would resend on its own, so what is
//! sent again after a reconnect is exactly what the queue still holds (in order).
//!
//! The declared lines (`[[line]]`) go through the same connection, under
//! `BASE/BOARD/line/NAME/`: `state` (retained: `ON`/`OFF`, a PWM channel's duty in percent),
//! published at every connection and after every change (a command applied, an input's
//! edge); `set`, the commands the service subscribes to, taken only for outputs declared
//! `writable = true`. Every command is answered on `BASE/BOARD/reply` (not retained:
//! `{"topic", "payload", "line", "ok", "error"}`), logged in one line, and rate-limited
//! per output (`rate`). Home Assistant discovers writable outputs as `switch` (levels) or
//! `number` (PWM duty), inputs and read-only outputs as `binary_sensor`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{v5, QoS};
use serde_json::{json, Value};

use crate::config::{self, Line, Mqtt, Protocol};
use crate::lines::Lines;
use crate::log;
use crate::queue::{Outbox, Queue};
use crate::state::{ChipView, Shared, Topics};

/// How many queued records may wait for their acknowledgement at once.
const WINDOW: usize = 16;

/// What the connection's thread reports.
enum Ev {
    Connected,
    Sent(u16),
    Acked(u16),
    /// A message on a topic subscribed to (a command): topic, payload, and whether it is
    /// a retained one the broker replays at subscription.
    Command(String, Vec<u8>, bool),
    Failed(String),
}

/// A client of either MQTT version.
enum Client {
    V4(rumqttc::Client),
    V5(v5::Client),
}

impl Client {
    fn publish(&self, topic: &str, payload: Vec<u8>, retain: bool) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .publish(topic, QoS::AtLeastOnce, retain, payload)
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .publish(topic, v5::mqttbytes::QoS::AtLeastOnce, retain, payload)
                .map_err(|e| e.to_string()),
        }
    }

    fn subscribe(&self, filter: &str) -> Result<(), String> {
        match self {
            Client::V4(c) => c
                .subscribe(filter, QoS::AtLeastOnce)
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .subscribe(filter, v5::mqttbytes::QoS::AtLeastOnce)
                .map_err(|e| e.to_string()),
        }
    }

    fn disconnect(&self) {
        let _ = match self {
            Client::V4(c) => c.disconnect().map_err(|e| e.to_string()),
            Client::V5(c) => c.disconnect().map_err(|e| e.to_string()),
        };
    }
}

/// Why the broker refused a connection, and what to do.
fn refused(code: &str) -> String {
    let hint = if code.contains("BadUserNamePassword") || code.contains("NotAuthorized") {
        "check [mqtt] username and password_file"
    } else if code.contains("ClientId") || code.contains("BadClientId") {
        "check [mqtt] client_id"
    } else if code.contains("Protocol") {
        "check [mqtt] protocol (\"3.1.1\" or \"5\")"
    } else {
        "check the broker's log"
    };
    format!("the broker refused the connection ({code}): {hint}")
}

/// The TLS settings, with the ring provider.
fn tls(t: &config::Tls) -> Result<rumqttc::TlsConfiguration, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    // ring, not aws-lc-rs: it cross-compiles for ARM with plain gcc. (Deprecated in rustls
    // 0.23.48 only for its lack of post-quantum key exchange.)
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let bad = |p: &std::path::Path, e: &dyn std::fmt::Display| {
        format!("{}: {e} (give a PEM file)", p.display())
    };
    for c in CertificateDer::pem_file_iter(&t.ca_file).map_err(|e| bad(&t.ca_file, &e))? {
        let c = c.map_err(|e| bad(&t.ca_file, &e))?;
        roots.add(c).map_err(|e| bad(&t.ca_file, &e))?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match &t.client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .map_err(|e| bad(cert, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(cert, &e))?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("{}: {e}", cert.display()))?
        }
    };
    Ok(rumqttc::TlsConfiguration::Rustls(Arc::new(config)))
}

/// What a connection needs, worked out once.
struct Settings {
    mqtt: Mqtt,
    client_id: String,
    password: Option<String>,
    tls: Option<rumqttc::TlsConfiguration>,
    topics: Topics,
}

impl Settings {
    fn new(mqtt: &Mqtt, topics: Topics) -> Result<Settings, String> {
        let password = match &mqtt.password_file {
            Some(p) => {
                config::check_secret_file(p)?;
                let t = std::fs::read_to_string(p)
                    .map_err(|e| format!("{}: cannot read the password file: {e}", p.display()))?;
                Some(t.trim_end_matches(['\n', '\r']).to_string())
            }
            None => None,
        };
        let tls = mqtt.tls.as_ref().map(tls).transpose()?;
        Ok(Settings {
            client_id: mqtt
                .client_id
                .clone()
                .unwrap_or_else(|| format!("udrv-{}", topics.board)),
            mqtt: mqtt.clone(),
            password,
            tls,
            topics,
        })
    }

    /// A new client and the thread that runs its connection.
    fn connect(&self) -> (Client, Receiver<Ev>) {
        let (tx, rx) = mpsc::channel();
        let m = &self.mqtt;
        let will = self.topics.status();
        let transport = match &self.tls {
            Some(t) => rumqttc::Transport::tls_with_config(t.clone()),
            None => rumqttc::Transport::tcp(),
        };
        let client = match m.protocol {
            Protocol::V311 => {
                let mut o = rumqttc::MqttOptions::new(&self.client_id, &m.host, m.port);
                // A queued record may be up to 1 MiB (rumqttc's default limit is 10 KiB).
                o.set_max_packet_size(2 << 20, 2 << 20);
                o.set_keep_alive(m.keep_alive)
                    .set_clean_session(true)
                    .set_transport(transport)
                    .set_last_will(rumqttc::LastWill::new(
                        will,
                        "offline",
                        QoS::AtLeastOnce,
                        true,
                    ));
                if let Some(u) = &m.username {
                    o.set_credentials(u, self.password.clone().unwrap_or_default());
                }
                let (client, mut conn) = rumqttc::Client::new(o, 64);
                std::thread::spawn(move || {
                    forward(conn.iter(), &tx, |ev| {
                        use rumqttc::{Event, Incoming, Outgoing};
                        Some(match ev {
                            Ok(Event::Incoming(Incoming::ConnAck(_))) => Ev::Connected,
                            Ok(Event::Incoming(Incoming::PubAck(a))) => Ev::Acked(a.pkid),
                            Ok(Event::Incoming(Incoming::Publish(p))) => {
                                Ev::Command(p.topic, p.payload.to_vec(), p.retain)
                            }
                            Ok(Event::Outgoing(Outgoing::Publish(p))) => Ev::Sent(p),
                            Ok(_) => return None,
                            Err(rumqttc::ConnectionError::ConnectionRefused(c)) => {
                                Ev::Failed(refused(&format!("{c:?}")))
                            }
                            Err(e) => Ev::Failed(e.to_string()),
                        })
                    })
                });
                Client::V4(client)
            }
            Protocol::V5 => {
                let mut o = v5::MqttOptions::new(&self.client_id, &m.host, m.port);
                o.set_keep_alive(m.keep_alive)
                    .set_clean_start(true)
                    .set_transport(transport)
                    .set_last_will(v5::mqttbytes::v5::LastWill::new(
                        will,
                        "offline",
                        v5::mqttbytes::QoS::AtLeastOnce,
                        true,
                        None,
                    ));
                if let Some(u) = &m.username {
                    o.set_credentials(u, self.password.clone().unwrap_or_default());
                }
                let (client, mut conn) = v5::Client::new(o, 64);
                std::thread::spawn(move || {
                    forward(conn.iter(), &tx, |ev| {
                        use v5::{Event, Incoming};
                        Some(match ev {
                            Ok(Event::Incoming(Incoming::ConnAck(_))) => Ev::Connected,
                            Ok(Event::Incoming(Incoming::PubAck(a))) => Ev::Acked(a.pkid),
                            Ok(Event::Incoming(Incoming::Publish(p))) => Ev::Command(
                                String::from_utf8_lossy(&p.topic).into_owned(),
                                p.payload.to_vec(),
                                p.retain,
                            ),
                            Ok(Event::Outgoing(rumqttc::Outgoing::Publish(p))) => Ev::Sent(p),
                            Ok(_) => return None,
                            Err(v5::ConnectionError::ConnectionRefused(c)) => {
                                Ev::Failed(refused(&format!("{c:?}")))
                            }
                            Err(e) => Ev::Failed(e.to_string()),
                        })
                    })
                });
                Client::V5(client)
            }
        };
        (client, rx)
    }
}

/// Sends a connection's `events`, as `ev` maps them (`None`: not wanted), to `tx` until
/// one fails the connection or the receiver is gone.
fn forward<T>(
    events: impl Iterator<Item = T>,
    tx: &mpsc::Sender<Ev>,
    ev: impl Fn(T) -> Option<Ev>,
) {
    for e in events.filter_map(ev) {
        let failed = matches!(e, Ev::Failed(_));
        if tx.send(e).is_err() || failed {
            return;
        }
    }
}

/// The publisher's handle, for the reading loop.
pub(crate) struct Publisher {
    /// Inputs' edges for the line states: (name, value).
    edges: mpsc::Sender<(String, bool)>,
    outbox: Outbox,
    connected: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Starts publishing `queue` to the broker `mqtt` names, with the states of the
    /// declared lines `lines` and their commands (errors: a password file or TLS files
    /// that cannot be used).
    pub(crate) fn start(
        mqtt: &Mqtt,
        topics: Topics,
        queue: Arc<Mutex<Queue>>,
        shared: Arc<Mutex<Shared>>,
        clear: Vec<String>,
        lines: Option<(Vec<Line>, Arc<Mutex<Lines>>)>,
    ) -> Result<Publisher, String> {
        let settings = Settings::new(mqtt, topics)?;
        let (edges, edges_rx) = mpsc::channel();
        let outbox = Outbox::new(queue);
        let connected = Arc::new(AtomicBool::new(false));
        let run = Run {
            settings,
            clear,
            outbox: outbox.clone(),
            shared,
            connected: connected.clone(),
            control: lines.map(|(decls, lines)| Control {
                decls,
                lines,
                edges: edges_rx,
                buckets: Mutex::default(),
                echoed: Mutex::default(),
            }),
        };
        let thread = std::thread::Builder::new()
            .name("udrv-mqtt".into())
            .spawn(move || run.run())
            .map_err(|e| format!("cannot start the MQTT thread: {e}"))?;
        Ok(Publisher {
            edges,
            outbox,
            connected,
            thread: Some(thread),
        })
    }

    /// Input `name` changed to `value` (an edge): its state is published.
    pub(crate) fn line_changed(&self, name: &str, value: bool) {
        let _ = self.edges.send((name.to_string(), value));
    }

    /// Whether the broker is connected now.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Stops: delivers what is queued for up to `flush` first, then says `offline`.
    pub(crate) fn stop(mut self, flush: Duration) {
        self.outbox.stop(flush);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a publish was for.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Record(u64),
    Other,
}

struct Run {
    settings: Settings,
    /// Retained topics to clear (of chips a reload removed), on every connection.
    clear: Vec<String>,
    outbox: Outbox,
    shared: Arc<Mutex<Shared>>,
    connected: Arc<AtomicBool>,
    /// The declared lines, when there are any.
    control: Option<Control>,
}

/// The declared lines as MQTT shows them and commands them.
struct Control {
    decls: Vec<Line>,
    lines: Arc<Mutex<Lines>>,
    edges: Receiver<(String, bool)>,
    /// Each writable output's rate limit.
    buckets: Mutex<HashMap<String, Bucket>>,
    /// The state last published of each line.
    echoed: Mutex<HashMap<String, Vec<u8>>>,
}

impl Run {
    fn run(self) {
        let m = &self.settings.mqtt;
        let broker = format!("{}:{}", m.host, m.port);
        let mut backoff = Duration::from_millis(500);
        let mut last_error = String::new();
        loop {
            if let Some(by) = self.outbox.stopping() {
                if self.outbox.queue().is_empty() || Instant::now() >= by {
                    break;
                }
            }
            let (client, events) = self.settings.connect();
            match self.session(&client, &events, &broker) {
                Ok(()) => {
                    self.outbox.save();
                    return;
                }
                Err((e, had_connected)) => {
                    if had_connected {
                        backoff = Duration::from_millis(500);
                        last_error.clear();
                    }
                    self.connected.store(false, Ordering::Relaxed);
                    client.disconnect();
                    self.outbox.save();
                    if e != last_error {
                        log(&format!(
                            "mqtt {broker}: {e}; readings are queued and sent when it answers \
                             (retrying with backoff)"
                        ));
                        last_error = e;
                    }
                    if self.outbox.stopping().is_some() {
                        break;
                    }
                    self.outbox.wait(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        self.outbox.save();
        let q = self.outbox.queue();
        if !q.is_empty() {
            log(&format!(
                "mqtt {broker}: stopped with {} records queued; they are sent on the next start",
                q.len()
            ));
        }
    }

    /// One connection: `Ok` when stopped cleanly, else the reason it ended and whether
    /// the broker had accepted it.
    fn session(
        &self,
        client: &Client,
        events: &Receiver<Ev>,
        broker: &str,
    ) -> Result<(), (String, bool)> {
        let mut connected = false;
        self.session_inner(client, events, broker, &mut connected)
            .map_err(|e| (e, connected))
    }

    fn session_inner(
        &self,
        client: &Client,
        events: &Receiver<Ev>,
        broker: &str,
        connected: &mut bool,
    ) -> Result<(), String> {
        let topics = &self.settings.topics;
        let mut sent_kinds: VecDeque<Kind> = VecDeque::new();
        let mut by_pkid: HashMap<u16, Kind> = HashMap::new();
        let mut next = 0u64;
        let mut in_flight = 0usize;
        let mut published: BTreeMap<String, ChipView> = BTreeMap::new();
        let mut published_dropped: Option<u64> = None;
        let mut last_save = Instant::now();
        let connect_by = Instant::now() + Duration::from_secs(30);
        let mut pending = 0usize;
        let mut delivered_after_reconnect = 0u64;
        let mut outputs_seen = Instant::now();
        loop {
            match events.recv_timeout(Duration::from_millis(20)) {
                Ok(Ev::Connected) => {
                    *connected = true;
                    self.connected.store(true, Ordering::Relaxed);
                    pending = self.outbox.queue().len();
                    log(&format!(
                        "mqtt {broker}: connected{}",
                        if pending > 0 {
                            format!("; sending {pending} queued records")
                        } else {
                            String::new()
                        }
                    ));
                    next = self.outbox.queue().first_id();
                    client.publish(&topics.status(), b"online".to_vec(), true)?;
                    sent_kinds.push_back(Kind::Other);
                    for t in &self.clear {
                        client.publish(t, Vec::new(), true)?;
                        sent_kinds.push_back(Kind::Other);
                    }
                    if let Some(c) = &self.control {
                        for (t, p) in c.at_connect(topics) {
                            client.publish(&t, p, true)?;
                            sent_kinds.push_back(Kind::Other);
                        }
                        client.subscribe(&format!("{}/line/+/set", topics.base))?;
                    }
                }
                Ok(Ev::Command(topic, payload, replayed)) => {
                    if let Some(c) = &self.control {
                        for (t, p, retain) in c.command(topics, &topic, &payload, replayed) {
                            client.publish(&t, p, retain)?;
                            sent_kinds.push_back(Kind::Other);
                        }
                    }
                }
                Ok(Ev::Sent(pkid)) => {
                    if let Some(k) = sent_kinds.pop_front() {
                        by_pkid.insert(pkid, k);
                    }
                }
                Ok(Ev::Acked(pkid)) => {
                    if let Some(Kind::Record(id)) = by_pkid.remove(&pkid) {
                        self.outbox.queue().ack_through(id);
                        in_flight = in_flight.saturating_sub(1);
                        delivered_after_reconnect += 1;
                        if pending > 0 && delivered_after_reconnect == pending as u64 {
                            log(&format!(
                                "mqtt {broker}: the {pending} queued records are delivered"
                            ));
                        }
                    }
                }
                Ok(Ev::Failed(e)) => return Err(e),
                Err(RecvTimeoutError::Disconnected) => return Err("connection ended".into()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            if !*connected {
                // Edges while away: the states are published whole at the connection.
                if let Some(c) = &self.control {
                    while c.edges.try_recv().is_ok() {}
                }
                if Instant::now() > connect_by {
                    return Err("no answer in 30 s".into());
                }
                if let Some(by) = self.outbox.stopping() {
                    if Instant::now() >= by {
                        return Err("stopped before the broker answered".into());
                    }
                }
                continue;
            }
            // Availability and discovery of what changed.
            let chips = self
                .shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .chips
                .clone();
            for (name, view) in &chips {
                let before = published.get(name);
                if before.map(|b| b.online) != Some(view.online) {
                    if let Some(on) = view.online {
                        let payload = if on { "online" } else { "offline" };
                        client.publish(&topics.availability(name), payload.into(), true)?;
                        sent_kinds.push_back(Kind::Other);
                    }
                }
                for e in &view.entities {
                    if before.is_some_and(|b| b.entities.contains(e)) {
                        continue;
                    }
                    if let Some((topic, doc)) = topics.discovery(name, &view.spec, e) {
                        client.publish(&topic, doc.to_string().into_bytes(), true)?;
                        sent_kinds.push_back(Kind::Other);
                    }
                }
                published.insert(name.clone(), view.clone());
            }
            // Inputs' edges, in order; outputs set by local clients, looked at every 200 ms.
            if let Some(c) = &self.control {
                while let Ok((name, value)) = c.edges.try_recv() {
                    client.publish(&line_topic(topics, &name, "state"), on_off(value), true)?;
                    sent_kinds.push_back(Kind::Other);
                }
                if outputs_seen.elapsed() > Duration::from_millis(200) {
                    outputs_seen = Instant::now();
                    for (t, p) in c.output_changes(topics) {
                        client.publish(&t, p, true)?;
                        sent_kinds.push_back(Kind::Other);
                    }
                }
            }
            // The queue's counts, when the dropped count moves (and on connecting).
            let (dropped, queued) = {
                let q = self.outbox.queue();
                (q.dropped(), q.len())
            };
            if published_dropped != Some(dropped) {
                let doc = json!({"dropped": dropped, "queued": queued});
                client.publish(&topics.queue(), doc.to_string().into_bytes(), true)?;
                sent_kinds.push_back(Kind::Other);
                published_dropped = Some(dropped);
            }
            // Queued records, in order.
            {
                let q = self.outbox.queue();
                next = next.max(q.first_id());
                while in_flight < WINDOW && next < q.next_id() {
                    let Some(rec) = q.get(next) else { break };
                    let (chip, payload) = match rec.iter().position(|b| *b == b'\n') {
                        Some(i) => (&rec[..i], &rec[i + 1..]),
                        None => (&rec[..0], rec),
                    };
                    let topic = topics.state(&String::from_utf8_lossy(chip));
                    client.publish(&topic, payload.to_vec(), false)?;
                    sent_kinds.push_back(Kind::Record(next));
                    in_flight += 1;
                    next += 1;
                }
            }
            if last_save.elapsed() > Duration::from_millis(300) {
                self.outbox.save();
                last_save = Instant::now();
            }
            if let Some(by) = self.outbox.stopping() {
                let empty = self.outbox.queue().is_empty();
                if (empty && sent_kinds.is_empty() && in_flight == 0) || Instant::now() >= by {
                    // A clean goodbye: the will is not sent then, so say it.
                    client.publish(&topics.status(), b"offline".to_vec(), true)?;
                    // Wait (briefly) for its acknowledgement: it is the last publish sent.
                    let until = Instant::now() + Duration::from_millis(500);
                    let mut last = None;
                    while Instant::now() < until {
                        match events.recv_timeout(Duration::from_millis(50)) {
                            Ok(Ev::Sent(p)) => last = Some(p),
                            Ok(Ev::Acked(p)) if Some(p) == last => break,
                            Ok(Ev::Failed(_)) | Err(RecvTimeoutError::Disconnected) => break,
                            _ => {}
                        }
                    }
                    client.disconnect();
                    return Ok(());
                }
            }
        }
    }
}

/// `BASE/BOARD/line/NAME/LEAF`: a declared line's `state` or `set` topic.
pub(crate) fn line_topic(topics: &Topics, name: &str, leaf: &str) -> String {
    format!("{}/line/{name}/{leaf}", topics.base)
}

/// The topic every command is answered on.
pub(crate) fn reply_topic(topics: &Topics) -> String {
    format!("{}/reply", topics.base)
}

/// A level as a state payload.
fn on_off(value: bool) -> Vec<u8> {
    if value { "ON" } else { "OFF" }.into()
}

/// The largest command payload taken (a level or a duty is a few bytes).
const MAX_COMMAND: usize = 64;

/// What a command asks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Command {
    /// A level: `ON`/`OFF` (or `1`/`0`).
    Level(bool),
    /// A PWM duty in percent, 0 to 100.
    Duty(f64),
}

/// The command `payload` for line `decl` (named `name` in the topic), checked: an unknown
/// name, an input, an output not declared writable, a malformed payload or a duty out of
/// range is the error, said so that the sender knows what to do.
fn parse_command(decl: Option<&Line>, name: &str, payload: &[u8]) -> Result<Command, String> {
    let Some(l) = decl else {
        return Err(format!(
            "no line `{name}` in the service's configuration: command one of its writable \
             outputs"
        ));
    };
    if !l.output {
        return Err(format!("line {name} is an input: it takes no commands"));
    }
    if !l.writable {
        return Err(format!(
            "line {name} is read-only: declare it with writable = true to command it over MQTT"
        ));
    }
    let text = std::str::from_utf8(payload)
        .ok()
        .filter(|_| payload.len() <= MAX_COMMAND)
        .map(str::trim);
    if l.is_pwm() {
        parse_duty(name, payload).map(Command::Duty)
    } else {
        match text {
            Some("ON" | "1") => Ok(Command::Level(true)),
            Some("OFF" | "0") => Ok(Command::Level(false)),
            _ => Err(format!(
                "line {name}: payload {:?} is not a level: give ON or OFF (or 1 or 0)",
                shown(payload)
            )),
        }
    }
}

/// A command's payload as the log and the reply show it (its first bytes).
fn shown(payload: &[u8]) -> String {
    String::from_utf8_lossy(&payload[..payload.len().min(MAX_COMMAND)]).into_owned()
}

/// A duty command for PWM channel `name`: a number of percent, 0 to 100 (`25`, `25%`).
fn parse_duty(name: &str, payload: &[u8]) -> Result<f64, String> {
    let duty = std::str::from_utf8(payload)
        .ok()
        .filter(|_| payload.len() <= MAX_COMMAND)
        .and_then(|t| t.trim().trim_end_matches('%').parse::<f64>().ok());
    match duty {
        Some(d) if (0.0..=100.0).contains(&d) => Ok(d),
        Some(d) => Err(format!(
            "line {name}: duty {d} is out of range: give 0 to 100 (percent)"
        )),
        None => Err(format!(
            "line {name}: payload {:?} is not a duty: give a number from 0 to 100 (percent)",
            shown(payload)
        )),
    }
}

/// A token bucket: `rate` commands at once, refilled at `rate` a second.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes one token if there is one.
    fn take(&mut self, rate: u32, now: Instant) -> bool {
        let rate = f64::from(rate);
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Control {
    fn decl(&self, name: &str) -> Option<&Line> {
        self.decls.iter().find(|l| l.name == name)
    }

    /// A line's state payload now (`None`: it cannot be read): `ON`/`OFF`, or a PWM
    /// channel's duty in percent as the chip holds it, to 0.1 %.
    fn state(&self, l: &Line) -> Option<Vec<u8>> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if l.is_pwm() {
            let d = lines.duty(&l.name).ok()?;
            return Some(((d * 1000.0).round() / 10.0).to_string().into_bytes());
        }
        lines.get(&l.name).ok().map(on_off)
    }

    /// What a connection publishes first (retained): each line's discovery document and
    /// state. Edges that came before are dropped: the states are read now.
    fn at_connect(&self, topics: &Topics) -> Vec<(String, Vec<u8>)> {
        while self.edges.try_recv().is_ok() {}
        self.echoed().clear();
        let mut out = Vec::new();
        for l in &self.decls {
            if let Some((t, doc)) = line_discovery(topics, l) {
                out.push((t, doc.to_string().into_bytes()));
            }
            if let Some(p) = self.state(l) {
                self.echoed().insert(l.name.clone(), p.clone());
                out.push((line_topic(topics, &l.name, "state"), p));
            }
        }
        out
    }

    fn echoed(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.echoed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The states of the outputs that changed since they were last published (a local
    /// client set them through the socket): (topic, state).
    fn output_changes(&self, topics: &Topics) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for l in self.decls.iter().filter(|l| l.output) {
            let Some(p) = self.state(l) else { continue };
            if self.echoed().get(&l.name) != Some(&p) {
                self.echoed().insert(l.name.clone(), p.clone());
                out.push((line_topic(topics, &l.name, "state"), p));
            }
        }
        out
    }

    /// Handles the command `payload` on `topic`: checked, rate-limited, applied, logged;
    /// what to publish (topic, payload, retained): the reply, and the new state when it
    /// was applied. A retained command the broker `replayed` at subscription is refused:
    /// it may be old (publish commands without retain).
    fn command(
        &self,
        topics: &Topics,
        topic: &str,
        payload: &[u8],
        replayed: bool,
    ) -> Vec<(String, Vec<u8>, bool)> {
        let name = topic
            .strip_prefix(&format!("{}/line/", topics.base))
            .and_then(|t| t.strip_suffix("/set"))
            .unwrap_or("");
        let decl = self.decl(name);
        let command = match parse_command(decl, name, payload) {
            Ok(_) if replayed => Err(format!(
                "line {name}: a retained command, replayed by the broker: ignored (it may be \
                 old); publish commands without retain, and clear this one"
            )),
            c => c,
        };
        let applied = command.and_then(|c| {
            let l = decl.expect("a command parses only for a declared line");
            let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
            let b = buckets.entry(name.to_string()).or_insert(Bucket {
                tokens: f64::from(l.rate),
                at: Instant::now(),
            });
            if !b.take(l.rate, Instant::now()) {
                return Err(format!(
                    "line {name}: rate limited (rate = {} commands per second): nothing changed",
                    l.rate
                ));
            }
            drop(buckets);
            let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
            match c {
                Command::Level(v) => lines.set(name, v)?,
                Command::Duty(d) => lines.set_duty(name, d / 100.0)?,
            }
            Ok(l)
        });
        let shown = shown(payload);
        let outcome = match &applied {
            Ok(_) => "applied".to_string(),
            Err(e) => format!("refused: {e}"),
        };
        log(&format!("mqtt command {topic} {shown:?}: {outcome}"));
        let mut reply =
            json!({"topic": topic, "payload": shown, "line": name, "ok": applied.is_ok()});
        let mut out = Vec::new();
        match applied {
            Ok(l) => {
                if let Some(p) = self.state(l) {
                    self.echoed().insert(name.to_string(), p.clone());
                    out.push((line_topic(topics, name, "state"), p, true));
                }
            }
            Err(e) => reply["error"] = e.into(),
        }
        out.insert(
            0,
            (reply_topic(topics), reply.to_string().into_bytes(), false),
        );
        out
    }
}

/// The Home Assistant component of a declared line: `switch` for a writable level output,
/// `number` for a writable PWM channel, `sensor` (percent) for a read-only one,
/// `binary_sensor` for an input or a read-only level output.
fn line_component(l: &Line) -> &'static str {
    match (l.output && l.writable, l.is_pwm()) {
        (true, false) => "switch",
        (true, true) => "number",
        (false, true) => "sensor",
        (false, false) => "binary_sensor",
    }
}

/// Every retained topic a declared line `name` may have had (for a reload that removes it).
pub(crate) fn line_retained_topics(topics: &Topics, name: &str) -> Vec<String> {
    let mut out = vec![line_topic(topics, name, "state")];
    if let Some(prefix) = &topics.discovery {
        for c in ["switch", "number", "sensor", "binary_sensor"] {
            out.push(format!(
                "{prefix}/{c}/udrv_{}/line_{name}/config",
                topics.board
            ));
        }
    }
    out
}

/// The discovery topic and document of declared line `l` (when discovery is on).
fn line_discovery(topics: &Topics, l: &Line) -> Option<(String, Value)> {
    let prefix = topics.discovery.as_ref()?;
    let component = line_component(l);
    let topic = format!(
        "{prefix}/{component}/udrv_{}/line_{}/config",
        topics.board, l.name
    );
    let mut doc = json!({
        "name": l.name,
        "unique_id": format!("udrv_{}_line_{}", topics.board, l.name),
        "state_topic": line_topic(topics, &l.name, "state"),
        "availability": [{"topic": topics.status()}],
        "device": {
            "identifiers": [format!("udrv_{}", topics.board)],
            "name": format!("udrv {}", topics.board),
            "manufacturer": "udrv",
            "model": "udrv serve",
            "sw_version": env!("CARGO_PKG_VERSION"),
        },
        "origin": {"name": "udrv", "sw_version": env!("CARGO_PKG_VERSION")},
    });
    match component {
        "switch" => {
            doc["command_topic"] = line_topic(topics, &l.name, "set").into();
        }
        "number" => {
            doc["command_topic"] = line_topic(topics, &l.name, "set").into();
            doc["min"] = 0.into();
            doc["max"] = 100.into();
            doc["step"] = 0.1.into();
            doc["unit_of_measurement"] = "%".into();
            doc["mode"] = "slider".into();
        }
        "sensor" => {
            doc["unit_of_measurement"] = "%".into();
            doc["state_class"] = "measurement".into();
        }
        _ => {}
    }
    Some((topic, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<Line> {
        crate::config::Config::parse(
            "[[line]]\nname = \"heater\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
             writable = true\n[[line]]\nname = \"led\"\nline = \"GPIO22\"\n\
             direction = \"output\"\n[[line]]\nname = \"door\"\nline = \"GPIO17\"\n\
             direction = \"input\"\n",
        )
        .unwrap()
        .lines
    }

    #[test]
    fn commands_are_checked_before_anything_is_done() {
        let l = lines();
        let parse = |name: &str, payload: &[u8]| {
            parse_command(l.iter().find(|x| x.name == name), name, payload)
        };
        assert_eq!(parse("heater", b"ON"), Ok(Command::Level(true)));
        assert_eq!(parse("heater", b"0\n"), Ok(Command::Level(false)));
        let e = parse("heater", b"on please").unwrap_err();
        assert!(
            e.contains("\"on please\" is not a level: give ON or OFF"),
            "{e}"
        );
        let e = parse("heater", &[b'1'; 100]).unwrap_err();
        assert!(e.contains("is not a level"), "{e}");
        let e = parse("heater", &[0xff, 0xfe]).unwrap_err();
        assert!(e.contains("is not a level"), "{e}");
        assert!(parse("led", b"ON").unwrap_err().contains("read-only"));
        assert!(parse("door", b"ON").unwrap_err().contains("is an input"));
        assert!(parse("fan", b"ON").unwrap_err().contains("no line `fan`"));
    }

    #[test]
    fn a_duty_is_a_percentage_from_0_to_100() {
        assert_eq!(parse_duty("fan", b"25"), Ok(25.0));
        assert_eq!(parse_duty("fan", b" 99.5% "), Ok(99.5));
        assert_eq!(parse_duty("fan", b"0"), Ok(0.0));
        for bad in [&b"100.1"[..], b"-1"] {
            let e = parse_duty("fan", bad).unwrap_err();
            assert!(e.contains("out of range: give 0 to 100 (percent)"), "{e}");
        }
        for bad in [&b"NaN"[..], b"half", b""] {
            let e = parse_duty("fan", bad).unwrap_err();
            assert!(
                e.contains("is not a duty") || e.contains("out of range"),
                "{e}"
            );
        }
    }

    #[test]
    fn the_bucket_takes_its_size_at_once_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket {
            tokens: 3.0,
            at: t0,
        };
        let took: Vec<bool> = (0..10).map(|_| b.take(3, t0)).collect();
        assert_eq!(took.iter().filter(|x| **x).count(), 3, "{took:?}");
        // A third of a second later: one more (3 a second), no more.
        let t1 = t0 + Duration::from_millis(334);
        assert!(b.take(3, t1));
        assert!(!b.take(3, t1));
        // Long idle: full again, never more than the bucket's size.
        let t2 = t1 + Duration::from_secs(100);
        assert_eq!((0..10).filter(|_| b.take(3, t2)).count(), 3);
    }
}
