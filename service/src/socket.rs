//! The local clients' Unix socket (`[socket]`): the protocol of [`crate::client`], one
//! thread per connection (at most [`MAX_CLIENTS`] at once; more are told so and
//! closed). Its permission bits and group are the access control: the socket is created,
//! then given `mode` (0o660 by default) and `group`, in a folder created 0o755 if
//! missing. A client that sends garbage, too long a line or goes away mid-request gets
//! an error line or is dropped; the service and the other clients go on.

use std::io::{BufReader, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::client::{decode_request, read_line, Hello, Reply, Request, VERSION};
use crate::config::Socket;
use crate::lines::{Edge, Lines};

/// The most clients connected at once (a thread each).
pub const MAX_CLIENTS: usize = 256;

/// The socket's server thread.
pub(crate) struct Server {
    /// The settings it was opened with.
    pub(crate) socket: Socket,
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Creates the socket (a stale one from a killed service replaced; a live one is an
    /// error) and serves `lines` on it.
    pub(crate) fn start(cfg: &Socket, lines: Arc<Mutex<Lines>>) -> Result<Server, String> {
        let path = cfg.path.clone();
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            format!(
                "{}: cannot {what}: {e} (set [socket] path to a folder the user udrv runs as \
                 may write)",
                path.display()
            )
        };
        if let Some(dir) = path.parent() {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| fail("create its folder", &e))?;
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
            }
        }
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.file_type().is_socket() {
                return Err(format!(
                    "{}: exists and is not a socket: remove it or set [socket] path",
                    path.display()
                ));
            }
            if UnixStream::connect(&path).is_ok() {
                return Err(format!(
                    "{}: another udrv serve answers on it: stop it first (one service owns \
                     the lines)",
                    path.display()
                ));
            }
            std::fs::remove_file(&path).map_err(|e| fail("remove the stale socket", &e))?;
        }
        let listener = UnixListener::bind(&path).map_err(|e| fail("listen", &e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(cfg.mode))
            .map_err(|e| fail("set its permissions", &e))?;
        if let Some(g) = &cfg.group {
            set_group(&path, g)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("udrv-serve-socket".into())
            .spawn(move || accept(listener, lines, flag))
            .map_err(|e| fail("start its thread", &e))?;
        Ok(Server {
            socket: cfg.clone(),
            path,
            stop,
            thread: Some(thread),
        })
    }

    /// The socket's path.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Server {
    /// Stops accepting (the clients connected see the end of the stream when the
    /// service exits) and removes the socket.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.path);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The id of group `group` (a number, or a name in `/etc/group`; groups only in other
/// NSS databases such as LDAP are given by number).
fn group_id(group: &str) -> Option<u32> {
    if let Ok(n) = group.parse() {
        return Some(n);
    }
    let text = std::fs::read_to_string("/etc/group").ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(group)).then(|| f.nth(1)?.parse().ok())?
    })
}

fn set_group(path: &Path, group: &str) -> Result<(), String> {
    let gid = group_id(group).ok_or_else(|| {
        format!(
            "[socket] group `{group}`: no such group in /etc/group (create it with \
             `groupadd {group}`, or give its number)"
        )
    })?;
    std::os::unix::fs::chown(path, None, Some(gid)).map_err(|e| {
        format!(
            "{}: cannot give the socket to group `{group}`: {e} (the user udrv runs as must \
             be a member of it)",
            path.display()
        )
    })
}

fn accept(listener: UnixListener, lines: Arc<Mutex<Lines>>, stop: Arc<AtomicBool>) {
    let active = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(mut conn) = conn else { continue };
        if active.load(Ordering::SeqCst) >= MAX_CLIENTS {
            let _ = send(
                &mut conn,
                &Reply::error(format!(
                    "{MAX_CLIENTS} clients are connected: try again when one has gone"
                )),
            );
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (lines, count) = (lines.clone(), active.clone());
        let spawned = std::thread::Builder::new()
            .name("udrv-serve-client".into())
            .spawn(move || {
                let _ = client(conn, &lines);
                count.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn send(w: &mut UnixStream, v: &impl serde::Serialize) -> std::io::Result<()> {
    let mut text = serde_json::to_vec(v).map_err(std::io::Error::other)?;
    text.push(b'\n');
    w.write_all(&text)
}

/// One client's conversation: its requests answered in order until it goes.
fn client(conn: UnixStream, lines: &Mutex<Lines>) -> std::io::Result<()> {
    let mut w = conn.try_clone()?;
    let n = lines.lock().unwrap_or_else(|e| e.into_inner()).len();
    send(
        &mut w,
        &Hello {
            udrv_serve: VERSION,
            lines: n,
        },
    )?;
    let mut r = BufReader::new(conn);
    let mut buf = Vec::new();
    loop {
        match read_line(&mut r, &mut buf) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                // Too long: answered, then closed (the rest of the line is not read).
                return send(&mut w, &Reply::error(e.to_string()));
            }
            Err(e) => return Err(e),
        }
        let reply = match decode_request(&buf) {
            Err(e) => Reply::error(e),
            Ok(Request::Watch { name }) => {
                let rx = lines.lock().unwrap_or_else(|e| e.into_inner()).watch(&name);
                match rx {
                    Ok(rx) => {
                        send(
                            &mut w,
                            &Reply {
                                ok: true,
                                ..Reply::default()
                            },
                        )?;
                        return stream(&name, &rx, &mut w, r.get_ref());
                    }
                    Err(e) => Reply::error(e),
                }
            }
            Ok(req) => answer(&req, lines),
        };
        send(&mut w, &reply)?;
    }
}

/// The most bytes of edges written to a watching client at once.
const WRITE_BATCH: usize = 64 * 1024;

/// Appends `e`, an edge of the input whose name is `name_json` (already a JSON string),
/// to `out` as one [`Event`](crate::client::Event) line: the same text serde gives, made
/// without allocating.
fn write_edge(out: &mut Vec<u8>, name_json: &str, e: &Edge) {
    let opt = |v: Option<u32>| v.map_or(NumOrNull::Null, NumOrNull::Num);
    let _ = writeln!(
        out,
        "{{\"name\":{name_json},\"edge\":\"{}\",\"timestamp_ns\":{},\"seqno\":{},\
         \"line_seqno\":{},\"lost\":{}}}",
        if e.rising { "rising" } else { "falling" },
        e.timestamp_ns,
        opt(e.seqno),
        opt(e.line_seqno),
        e.lost
    );
}

/// A JSON number or `null`.
enum NumOrNull {
    Num(u32),
    Null,
}

impl std::fmt::Display for NumOrNull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumOrNull::Num(n) => write!(f, "{n}"),
            NumOrNull::Null => f.write_str("null"),
        }
    }
}

/// A watching client's edges, until it goes (found by a write failing, or between edges
/// by the end of its stream) or the line is released. The edges waiting in its queue are
/// written together (up to [`WRITE_BATCH`] bytes a write).
fn stream(
    name: &str,
    rx: &Receiver<Edge>,
    w: &mut UnixStream,
    peer: &UnixStream,
) -> std::io::Result<()> {
    let name_json = serde_json::to_string(name).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(WRITE_BATCH + 256);
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(e) => {
                out.clear();
                write_edge(&mut out, &name_json, &e);
                while out.len() < WRITE_BATCH {
                    let Ok(e) = rx.try_recv() else { break };
                    write_edge(&mut out, &name_json, &e);
                }
                w.write_all(&out)?;
            }
            Err(RecvTimeoutError::Timeout) => {
                peer.set_nonblocking(true)?;
                // What a watching client sends is not read as requests: dropped here.
                let gone = matches!(std::io::Read::read(&mut &*peer, &mut [0u8; 64]), Ok(0));
                peer.set_nonblocking(false)?;
                if gone {
                    return Ok(());
                }
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

fn answer(req: &Request, lines: &Mutex<Lines>) -> Reply {
    let mut l = lines.lock().unwrap_or_else(|e| e.into_inner());
    let value = |v: bool| Reply {
        ok: true,
        value: Some(u8::from(v)),
        ..Reply::default()
    };
    match req {
        Request::List {} => Reply {
            ok: true,
            lines: Some(l.list()),
            ..Reply::default()
        },
        Request::Get { name } => l
            .get(name)
            .map_or_else(Reply::error, |v| with_duty(&l, name, value(v))),
        Request::Set {
            name,
            value: Some(v),
            ..
        } => match l.set(name, *v == 1) {
            Ok(()) => with_duty(&l, name, value(*v == 1)),
            Err(e) => Reply::error(e),
        },
        Request::Set {
            name,
            duty: Some(d),
            ..
        } => match l.set_duty(name, *d) {
            Ok(()) => with_duty(&l, name, value(*d > 0.0)),
            Err(e) => Reply::error(e),
        },
        Request::Set { .. } => Reply::error("set: give \"value\" or \"duty\""),
        Request::Watch { .. } => Reply::error("watch is answered by the connection"),
    }
}

/// `reply` with the duty of `name` when it is a PWM channel.
fn with_duty(l: &Lines, name: &str, reply: Reply) -> Reply {
    Reply {
        duty: l.duty(name).ok(),
        ..reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Client, ClientError};
    use crate::config::Config;
    use crate::lines::LineBoard;
    use std::io::{BufRead, Read};
    use udrv_boards::r#virtual::VirtualBoard;

    fn serve(dir: &Path) -> (VirtualBoard, Arc<Mutex<Lines>>, Server) {
        let c = Config::parse(&format!(
            "[state]\ndir = \"{0}/state\"\n[socket]\npath = \"{0}/run/s.sock\"\nmode = 0o600\n\
             [[line]]\nname = \"heater\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
             [[line]]\nname = \"int\"\nline = \"GPIO17\"\ndirection = \"input\"\n",
            dir.display()
        ))
        .unwrap();
        let board = VirtualBoard::new();
        let mut lines = Lines::new(&c.state_dir);
        lines.apply(&c, &LineBoard::Virtual(&board)).unwrap();
        let lines = Arc::new(Mutex::new(lines));
        let server = Server::start(&c.socket, lines.clone()).unwrap();
        (board, lines, server)
    }

    #[test]
    fn clients_get_and_set_through_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let (board, _lines, server) = serve(dir.path());
        let mode = std::fs::metadata(server.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut c = Client::connect(server.path()).unwrap();
        assert_eq!(c.hello().lines, 2);
        assert!(!c.get("heater").unwrap());
        c.set("heater", true).unwrap();
        assert!(
            board.level("GPIO27").unwrap(),
            "the service drives the line"
        );
        let mut other = Client::connect(server.path()).unwrap();
        assert!(other.get("heater").unwrap(), "another client sees it");
        let list = other.list().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].name.as_str(), list[0].value), ("heater", 1));
        match c.set("int", true) {
            Err(ClientError::Refused(m)) => assert!(m.contains("is an input"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Watch: outputs have no edges, the virtual board's inputs no kernel events.
        for (name, want) in [("heater", "is an output"), ("int", "no kernel edge events")] {
            match Client::connect(server.path()).unwrap().watch(name) {
                Err(ClientError::Refused(m)) => assert!(m.contains(want), "{m}"),
                Err(e) => panic!("{e}"),
                Ok(_) => panic!("watch {name} accepted"),
            }
        }
        match c.get("nope") {
            Err(ClientError::Refused(m)) => assert!(m.contains("no line `nope`"), "{m}"),
            other => panic!("{other:?}"),
        }
        // A second service on the same socket is refused while this one answers.
        let c2 = Socket {
            path: server.path().to_path_buf(),
            mode: 0o600,
            group: None,
        };
        let e = Server::start(&c2, _lines.clone()).err().unwrap();
        assert!(e.contains("another udrv serve answers"), "{e}");
    }

    #[test]
    fn many_bad_clients_never_disturb_the_service() {
        let dir = tempfile::tempdir().unwrap();
        let (board, _lines, server) = serve(dir.path());
        let mut good = Client::connect(server.path()).unwrap();
        for i in 0..100 {
            let mut s = UnixStream::connect(server.path()).unwrap();
            match i % 5 {
                // Connects and drops at once.
                0 => {}
                // Garbage: an error line, the connection kept.
                1 => {
                    s.write_all(b"\x00\xffgarbage{{\n").unwrap();
                    let mut r = BufReader::new(&s);
                    let mut line = String::new();
                    r.read_line(&mut line).unwrap(); // hello
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    assert!(line.contains("\"ok\":false"), "{line}");
                }
                // Too long a line: an error, then closed.
                2 => {
                    let _ = s.write_all(&vec![b'x'; 3 * crate::client::MAX_MESSAGE]);
                    let mut all = String::new();
                    let _ = s.read_to_string(&mut all);
                    assert!(all.contains("longer than"), "{all}");
                }
                // Half a request, then gone.
                3 => s.write_all(br#"{"op":"set","name":"hea"#).unwrap(),
                // A request, gone before the answer is read.
                _ => s
                    .write_all(b"{\"op\":\"get\",\"name\":\"heater\"}\n")
                    .unwrap(),
            }
            // Every tenth client, the long-lived one still gets its answers.
            if i % 10 == 9 {
                good.set("heater", i % 20 == 9).unwrap();
                assert_eq!(good.get("heater").unwrap(), i % 20 == 9);
            }
        }
        good.set("heater", false).unwrap();
        assert!(!board.level("GPIO27").unwrap());
        assert!(Client::connect(server.path()).unwrap().list().is_ok());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_async_client_gets_and_sets() {
        use crate::client::AsyncClient;
        let dir = tempfile::tempdir().unwrap();
        let (board, _lines, server) = serve(dir.path());
        let mut c = AsyncClient::connect(server.path()).await.unwrap();
        assert_eq!(c.hello().lines, 2);
        c.set("heater", true).await.unwrap();
        assert!(board.level("GPIO27").unwrap());
        assert!(c.get("heater").await.unwrap());
        assert_eq!(c.list().await.unwrap().len(), 2);
        match c.set("int", true).await {
            Err(ClientError::Refused(m)) => assert!(m.contains("is an input"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn edges_are_written_as_the_protocol_s_events() {
        let mut out = Vec::new();
        let edges = [
            Edge {
                rising: true,
                timestamp_ns: 12_345_678_901,
                seqno: Some(7),
                line_seqno: Some(3),
                lost: 0,
            },
            Edge {
                rising: false,
                timestamp_ns: 1,
                seqno: None,
                line_seqno: None,
                lost: 42,
            },
        ];
        let name = "door \"front\"";
        let name_json = serde_json::to_string(name).unwrap();
        for e in &edges {
            write_edge(&mut out, &name_json, e);
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for (line, e) in lines.iter().zip(&edges) {
            let want = e.event(name);
            assert_eq!(*line, serde_json::to_string(&want).unwrap());
            let got: crate::client::Event = serde_json::from_str(line).unwrap();
            assert_eq!(got, want);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 1024,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Any edge of an input of any name is written as the line serde writes for its
        /// event, and reads back as that event.
        #[test]
        fn any_edge_is_written_as_its_event(
            name in "\\PC{0,40}",
            rising: bool,
            timestamp_ns: u64,
            seqno: Option<u32>,
            line_seqno: Option<u32>,
            lost: u64,
        ) {
            let e = Edge { rising, timestamp_ns, seqno, line_seqno, lost };
            let mut out = Vec::new();
            write_edge(&mut out, &serde_json::to_string(&name).unwrap(), &e);
            let want = e.event(&name);
            let mut line = serde_json::to_vec(&want).unwrap();
            line.push(b'\n');
            proptest::prop_assert_eq!(&out, &line);
            let got: crate::client::Event = serde_json::from_slice(&out).unwrap();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn the_socket_goes_with_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let (_board, _lines, server) = serve(dir.path());
        let path = server.path().to_path_buf();
        drop(server);
        assert!(!path.exists());
        assert!(matches!(
            Client::connect(&path),
            Err(ClientError::Connect(_))
        ));
    }
}
