//! The MQTT publisher: one thread that connects (and reconnects, with backoff), publishes
//! the board's and chips' availability and Home Assistant discovery (retained), and
//! delivers the queue's records in order with QoS 1, marking each delivered only when
//! the broker has acknowledged it.
//!
//! Each connection is a new client: nothing rumqttc would resend on its own, so what is
//! sent again after a reconnect is exactly what the queue still holds (in order).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::{v5, QoS};
use serde_json::json;

use crate::config::{self, Mqtt, Protocol};
use crate::log;
use crate::queue::Queue;
use crate::state::{ChipView, Shared, Topics};

/// How many queued records may wait for their acknowledgement at once.
const WINDOW: usize = 16;

/// What the connection's thread reports.
enum Ev {
    Connected,
    Sent(u16),
    Acked(u16),
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
                    for ev in conn.iter() {
                        use rumqttc::{Event, Incoming, Outgoing};
                        let e = match ev {
                            Ok(Event::Incoming(Incoming::ConnAck(_))) => Ev::Connected,
                            Ok(Event::Incoming(Incoming::PubAck(a))) => Ev::Acked(a.pkid),
                            Ok(Event::Outgoing(Outgoing::Publish(p))) => Ev::Sent(p),
                            Ok(_) => continue,
                            Err(rumqttc::ConnectionError::ConnectionRefused(c)) => {
                                Ev::Failed(refused(&format!("{c:?}")))
                            }
                            Err(e) => Ev::Failed(e.to_string()),
                        };
                        let failed = matches!(e, Ev::Failed(_));
                        if tx.send(e).is_err() || failed {
                            return;
                        }
                    }
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
                    for ev in conn.iter() {
                        use v5::{Event, Incoming};
                        let e = match ev {
                            Ok(Event::Incoming(Incoming::ConnAck(_))) => Ev::Connected,
                            Ok(Event::Incoming(Incoming::PubAck(a))) => Ev::Acked(a.pkid),
                            Ok(Event::Outgoing(rumqttc::Outgoing::Publish(p))) => Ev::Sent(p),
                            Ok(_) => continue,
                            Err(v5::ConnectionError::ConnectionRefused(c)) => {
                                Ev::Failed(refused(&format!("{c:?}")))
                            }
                            Err(e) => Ev::Failed(e.to_string()),
                        };
                        let failed = matches!(e, Ev::Failed(_));
                        if tx.send(e).is_err() || failed {
                            return;
                        }
                    }
                });
                Client::V5(client)
            }
        };
        (client, rx)
    }
}

/// The publisher's handle, for the reading loop.
pub(crate) struct Publisher {
    stop: Arc<AtomicBool>,
    flush_by: Arc<Mutex<Option<Instant>>>,
    connected: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Publisher {
    /// Starts publishing `queue` to the broker `mqtt` names (errors: a password file or
    /// TLS files that cannot be used).
    pub(crate) fn start(
        mqtt: &Mqtt,
        topics: Topics,
        queue: Arc<Mutex<Queue>>,
        shared: Arc<Mutex<Shared>>,
        clear: Vec<String>,
    ) -> Result<Publisher, String> {
        let settings = Settings::new(mqtt, topics)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flush_by = Arc::new(Mutex::new(None));
        let connected = Arc::new(AtomicBool::new(false));
        let run = Run {
            settings,
            clear,
            queue,
            shared,
            stop: stop.clone(),
            flush_by: flush_by.clone(),
            connected: connected.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("udrv-mqtt".into())
            .spawn(move || run.run())
            .map_err(|e| format!("cannot start the MQTT thread: {e}"))?;
        Ok(Publisher {
            stop,
            flush_by,
            connected,
            thread: Some(thread),
        })
    }

    /// Whether the broker is connected now.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Stops: delivers what is queued for up to `flush` first, then says `offline`.
    pub(crate) fn stop(mut self, flush: Duration) {
        *self.flush_by.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + flush);
        self.stop.store(true, Ordering::Relaxed);
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
    queue: Arc<Mutex<Queue>>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    flush_by: Arc<Mutex<Option<Instant>>>,
    connected: Arc<AtomicBool>,
}

impl Run {
    fn stopping(&self) -> Option<Instant> {
        if self.stop.load(Ordering::Relaxed) {
            *self.flush_by.lock().unwrap_or_else(|e| e.into_inner())
        } else {
            None
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save(&self) {
        if let Err(e) = self.queue().save() {
            log(&format!("queue: {e}"));
        }
    }

    /// Waits `d`, or less when stopping.
    fn wait(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.stopping().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn run(self) {
        let m = &self.settings.mqtt;
        let broker = format!("{}:{}", m.host, m.port);
        let mut backoff = Duration::from_millis(500);
        let mut last_error = String::new();
        loop {
            if let Some(by) = self.stopping() {
                if self.queue().is_empty() || Instant::now() >= by {
                    break;
                }
            }
            let (client, events) = self.settings.connect();
            match self.session(&client, &events, &broker) {
                Ok(()) => {
                    self.save();
                    return;
                }
                Err((e, had_connected)) => {
                    if had_connected {
                        backoff = Duration::from_millis(500);
                        last_error.clear();
                    }
                    self.connected.store(false, Ordering::Relaxed);
                    client.disconnect();
                    self.save();
                    if e != last_error {
                        log(&format!(
                            "mqtt {broker}: {e}; readings are queued and sent when it answers \
                             (retrying with backoff)"
                        ));
                        last_error = e;
                    }
                    if self.stopping().is_some() {
                        break;
                    }
                    self.wait(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        self.save();
        let q = self.queue();
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
        loop {
            match events.recv_timeout(Duration::from_millis(20)) {
                Ok(Ev::Connected) => {
                    *connected = true;
                    self.connected.store(true, Ordering::Relaxed);
                    pending = self.queue().len();
                    log(&format!(
                        "mqtt {broker}: connected{}",
                        if pending > 0 {
                            format!("; sending {pending} queued records")
                        } else {
                            String::new()
                        }
                    ));
                    next = self.queue().first_id();
                    client.publish(&topics.status(), b"online".to_vec(), true)?;
                    sent_kinds.push_back(Kind::Other);
                    for t in &self.clear {
                        client.publish(t, Vec::new(), true)?;
                        sent_kinds.push_back(Kind::Other);
                    }
                }
                Ok(Ev::Sent(pkid)) => {
                    if let Some(k) = sent_kinds.pop_front() {
                        by_pkid.insert(pkid, k);
                    }
                }
                Ok(Ev::Acked(pkid)) => {
                    if let Some(Kind::Record(id)) = by_pkid.remove(&pkid) {
                        self.queue().ack_through(id);
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
                if Instant::now() > connect_by {
                    return Err("no answer in 30 s".into());
                }
                if let Some(by) = self.stopping() {
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
            // The queue's counts, when the dropped count moves (and on connecting).
            let (dropped, queued) = {
                let q = self.queue();
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
                let q = self.queue();
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
                self.save();
                last_save = Instant::now();
            }
            if let Some(by) = self.stopping() {
                let empty = self.queue().is_empty();
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
