//! Local clients of `udrv serve`: the protocol of its Unix socket and clients for it,
//! blocking ([`Client`]) and async on tokio ([`AsyncClient`]).
//!
//! The protocol is line-delimited JSON, one object a line, each line at most
//! [`MAX_MESSAGE`] bytes. The service speaks first, a hello naming the protocol's
//! version (`{"udrv_serve":1,"lines":N}`); then the client sends requests and the service
//! answers each in order, one line for one line:
//!
//! | request | answer |
//! |---|---|
//! | `{"op":"list"}` | `{"ok":true,"lines":[{"name":"heater","line":"GPIO27","output":true,"value":0}]}` |
//! | `{"op":"get","name":"heater"}` | `{"ok":true,"value":1}` |
//! | `{"op":"set","name":"heater","value":1}` | `{"ok":true,"value":1}` |
//! | `{"op":"set","name":"fan","duty":0.25}` (a PWM channel) | `{"ok":true,"value":1,"duty":0.25}` |
//! | `{"op":"watch","name":"door"}` | `{"ok":true}`, then an [`Event`] a line per edge: `{"name":"door","edge":"rising","timestamp_ns":..,"seqno":..,"line_seqno":..,"lost":0}` |
//! | anything else | `{"ok":false,"error":"..."}` (a line over the limit also closes the connection) |
//!
//! Why lines of JSON rather than length-prefixed frames: a person can talk to the socket
//! with `socat - UNIX-CONNECT:/run/udrv/serve.sock` when something is wrong, every
//! language has a JSON parser, and a line's end is a resynchronisation point after a bad
//! message. The decoder is strict: unknown operations and unknown fields are refused (so
//! that a client built for a later version is told, not half-obeyed), and a line longer
//! than [`MAX_MESSAGE`] is refused without being read further.
//!
//! The socket's permissions and group are the access control (`[socket] mode`, `group`):
//! whoever may connect may set every declared output.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::lines::{LineState, CONSUMER};

/// The protocol's version, in the service's hello.
pub const VERSION: u32 = 1;

/// The longest line either side sends, newline included (bytes).
pub const MAX_MESSAGE: usize = 4096;

/// Where the socket is when neither the configuration nor `UDRV_SERVE_SOCKET` says.
pub use crate::config::DEFAULT_SOCKET;

/// The environment variable that names the socket for clients (`udrv gpio`).
pub const ENV_SOCKET: &str = "UDRV_SERVE_SOCKET";

/// The socket clients use: `UDRV_SERVE_SOCKET`, else [`DEFAULT_SOCKET`].
pub fn socket_path() -> std::path::PathBuf {
    std::env::var_os(ENV_SOCKET).map_or_else(|| DEFAULT_SOCKET.into(), Into::into)
}

/// The service's first line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// The protocol's version ([`VERSION`]).
    pub udrv_serve: u32,
    /// How many lines the service holds.
    pub lines: usize,
}

/// A client's request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    /// Every line the service holds, with its value.
    List {},
    /// The logical value of a line (1: active).
    Get {
        /// The line's name in the service's configuration.
        name: String,
    },
    /// Watches an input: answered `{"ok":true}`, then one [`Event`] a line for every edge
    /// from then on, until the client goes (the connection takes no more requests).
    Watch {
        /// The input's name in the service's configuration.
        name: String,
    },
    /// Sets an output (the service holds the value and keeps it in its state folder):
    /// a level (`value`) or, for a PWM channel, a duty (`duty`); one of the two.
    Set {
        /// The output's name in the service's configuration.
        name: String,
        /// 1 (active) or 0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<u8>,
        /// A PWM channel's duty, 0.0..=1.0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duty: Option<f64>,
    },
}

impl Request {
    /// `set` of a level.
    pub fn set(name: &str, value: bool) -> Request {
        Request::Set {
            name: name.into(),
            value: Some(u8::from(value)),
            duty: None,
        }
    }

    /// `set` of a PWM channel's duty.
    pub fn set_duty(name: &str, duty: f64) -> Request {
        Request::Set {
            name: name.into(),
            value: None,
            duty: Some(duty),
        }
    }
}

/// An edge of a watched input, as the kernel recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The input's name.
    pub name: String,
    /// `rising` (inactive to active) or `falling`.
    pub edge: String,
    /// The kernel's timestamp (CLOCK_MONOTONIC), nanoseconds.
    pub timestamp_ns: u64,
    /// The kernel's sequence number of the event in the service's request.
    pub seqno: Option<u32>,
    /// The kernel's sequence number of the event on its line.
    pub line_seqno: Option<u32>,
    /// Edges lost just before this one: this client's queue was full (it fell behind), or
    /// the kernel's buffer was.
    pub lost: u64,
}

/// The service's answer to a request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Whether the request was done.
    pub ok: bool,
    /// The value (get, set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u8>,
    /// The duty of a PWM channel (get, set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<f64>,
    /// The lines (list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineState>>,
    /// Why not, when not ok: one line naming the line and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Reply {
    /// A refusal.
    pub fn error(message: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            error: Some(message.into()),
            ..Reply::default()
        }
    }
}

/// Decodes one request line (without or with its newline): strict JSON, no unknown
/// operation or field, `value` 0 or 1 or `duty` 0.0..=1.0 (one of them), at most
/// [`MAX_MESSAGE`] bytes.
pub fn decode_request(line: &[u8]) -> Result<Request, String> {
    if line.len() > MAX_MESSAGE {
        return Err(format!(
            "message of {} bytes: the limit is {MAX_MESSAGE}",
            line.len()
        ));
    }
    let r: Request = serde_json::from_slice(line).map_err(|e| {
        format!(
            "not a request ({e}); send one JSON object a line, e.g. {{\"op\":\"get\",\"name\":\
             \"heater\"}}"
        )
    })?;
    match &r {
        Request::Set {
            value: Some(v),
            duty: None,
            ..
        } if *v > 1 => return Err(format!("value {v}: give 0 or 1")),
        Request::Set {
            value: None,
            duty: Some(d),
            ..
        } if !(0.0..=1.0).contains(d) => return Err(format!("duty {d}: give 0.0..=1.0")),
        Request::Set {
            value: Some(_),
            duty: Some(_),
            ..
        }
        | Request::Set {
            value: None,
            duty: None,
            ..
        } => {
            return Err(
                "set: give either \"value\" (0 or 1) or \"duty\" (0.0..=1.0, a PWM channel)".into(),
            )
        }
        _ => {}
    }
    Ok(r)
}

/// Reads one line of at most [`MAX_MESSAGE`] bytes into `buf` (cleared first): `Ok(false)`
/// at the end of the stream; an error for a longer line (the rest is not read).
pub(crate) fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let n = std::io::Read::take(&mut *r, MAX_MESSAGE as u64 + 1).read_until(b'\n', buf)?;
    line_read(n, buf)
}

/// After `n` bytes were read into `buf` up to a newline (and at most [`MAX_MESSAGE`] + 1):
/// `Ok(false)` at the end of the stream, `Ok(true)` with the newline taken off, else the
/// error of a line too long or cut short.
fn line_read(n: usize, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    if n == 0 {
        return Ok(false);
    }
    if buf.last() != Some(&b'\n') {
        if buf.len() > MAX_MESSAGE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a message longer than {MAX_MESSAGE} bytes"),
            ));
        }
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buf.pop();
    Ok(true)
}

/// A broken conversation: [`ClientError::Protocol`] with `e`.
fn proto(e: impl std::fmt::Display) -> ClientError {
    ClientError::Protocol(e.to_string())
}

/// The hello read into `buf` (`read`: whether a line came), checked for this protocol
/// version.
fn hello(read: std::io::Result<bool>, buf: &[u8]) -> Result<Hello, ClientError> {
    if !read.map_err(proto)? {
        return Err(proto("the service closed the connection before its hello"));
    }
    let hello: Hello =
        serde_json::from_slice(buf).map_err(|e| proto(format!("not the service's hello ({e})")))?;
    if hello.udrv_serve != VERSION {
        return Err(proto(format!(
            "the service speaks protocol {}, this client {VERSION}: use the same udrv \
             version for both",
            hello.udrv_serve
        )));
    }
    Ok(hello)
}

/// `req` as a line to send.
fn request_line(req: &Request) -> Result<Vec<u8>, ClientError> {
    let mut text = serde_json::to_vec(req).map_err(proto)?;
    text.push(b'\n');
    Ok(text)
}

/// The answer read into `buf` (`read`: whether a line came); a refusal is
/// [`ClientError::Refused`].
fn reply(read: std::io::Result<bool>, buf: &[u8]) -> Result<Reply, ClientError> {
    if !read.map_err(proto)? {
        return Err(proto("the service closed the connection"));
    }
    let reply: Reply =
        serde_json::from_slice(buf).map_err(|e| proto(format!("not an answer ({e})")))?;
    if !reply.ok {
        return Err(ClientError::Refused(
            reply.error.unwrap_or_else(|| "no reason given".into()),
        ));
    }
    Ok(reply)
}

/// Why a client request failed.
#[derive(Debug)]
pub enum ClientError {
    /// The socket cannot be reached (no service, or no permission).
    Connect(std::io::Error),
    /// The conversation broke (the service went away, or sent what is not the protocol).
    Protocol(String),
    /// The service refused the request (its message).
    Refused(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Connect(e) if e.kind() == std::io::ErrorKind::PermissionDenied => write!(
                f,
                "cannot connect to udrv serve: {e} (the socket's group may use it: ask to be \
                 added to it)"
            ),
            ClientError::Connect(e) => write!(f, "cannot connect to udrv serve: {e}"),
            ClientError::Protocol(m) => write!(f, "udrv serve: {m}"),
            ClientError::Refused(m) => write!(f, "udrv serve refused: {m}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A blocking client of the service's socket.
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    hello: Hello,
}

impl Client {
    /// Connects to the socket at `path` and reads the service's hello (a different
    /// protocol version is refused).
    pub fn connect(path: &Path) -> Result<Client, ClientError> {
        let s = UnixStream::connect(path).map_err(ClientError::Connect)?;
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let writer = s.try_clone().map_err(ClientError::Connect)?;
        let mut reader = BufReader::new(s);
        let mut buf = Vec::new();
        let hello = hello(read_line(&mut reader, &mut buf), &buf)?;
        Ok(Client {
            reader,
            writer,
            hello,
        })
    }

    /// The service's hello.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Sends `req` and reads the answer (a refusal is [`ClientError::Refused`]).
    pub fn request(&mut self, req: &Request) -> Result<Reply, ClientError> {
        self.writer.write_all(&request_line(req)?).map_err(proto)?;
        let mut buf = Vec::new();
        reply(read_line(&mut self.reader, &mut buf), &buf)
    }

    /// Every line the service holds.
    pub fn list(&mut self) -> Result<Vec<LineState>, ClientError> {
        Ok(self.request(&Request::List {})?.lines.unwrap_or_default())
    }

    /// The logical value of line `name`.
    pub fn get(&mut self, name: &str) -> Result<bool, ClientError> {
        let r = self.request(&Request::Get { name: name.into() })?;
        Ok(r.value == Some(1))
    }

    /// Sets output `name` to `value`; the service holds it.
    pub fn set(&mut self, name: &str, value: bool) -> Result<(), ClientError> {
        self.request(&Request::set(name, value)).map(|_| ())
    }

    /// Sets PWM channel `name` to `duty` (0.0..=1.0); the service holds it.
    pub fn set_duty(&mut self, name: &str, duty: f64) -> Result<(), ClientError> {
        self.request(&Request::set_duty(name, duty)).map(|_| ())
    }

    /// The duty of PWM channel `name` (0.0..=1.0).
    pub fn duty(&mut self, name: &str) -> Result<f64, ClientError> {
        let r = self.request(&Request::Get { name: name.into() })?;
        r.duty.ok_or_else(|| {
            ClientError::Refused(format!("line {name} is not a PWM channel: it has no duty"))
        })
    }

    /// Watches input `name`: the connection then gives its edges ([`Watch::next_event`]).
    pub fn watch(mut self, name: &str) -> Result<Watch, ClientError> {
        self.request(&Request::Watch { name: name.into() })?;
        let _ = self.reader.get_ref().set_read_timeout(None);
        Ok(Watch {
            client: self,
            buf: Vec::new(),
        })
    }
}

/// A watched input's edges ([`Client::watch`]).
pub struct Watch {
    client: Client,
    buf: Vec<u8>,
}

impl Watch {
    /// The next edge (waiting for it); `None` when the service has gone.
    pub fn next_event(&mut self) -> Result<Option<Event>, ClientError> {
        if !read_line(&mut self.client.reader, &mut self.buf).map_err(proto)? {
            return Ok(None);
        }
        serde_json::from_slice(&self.buf)
            .map(Some)
            .map_err(|e| proto(format!("not an event ({e})")))
    }
}

/// An async (tokio) client of the service's socket: [`Client`]'s requests, awaited.
pub struct AsyncClient {
    reader: tokio::io::BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: tokio::net::unix::OwnedWriteHalf,
    hello: Hello,
}

/// Reads one line of at most [`MAX_MESSAGE`] bytes (as [`read_line`], awaited).
async fn read_line_async<R: tokio::io::AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    buf.clear();
    let n = (&mut *r)
        .take(MAX_MESSAGE as u64 + 1)
        .read_until(b'\n', buf)
        .await?;
    line_read(n, buf)
}

impl AsyncClient {
    /// Connects to the socket at `path` and reads the service's hello (a different
    /// protocol version is refused).
    pub async fn connect(path: &Path) -> Result<AsyncClient, ClientError> {
        let s = tokio::net::UnixStream::connect(path)
            .await
            .map_err(ClientError::Connect)?;
        let (r, writer) = s.into_split();
        let mut reader = tokio::io::BufReader::new(r);
        let mut buf = Vec::new();
        let hello = hello(read_line_async(&mut reader, &mut buf).await, &buf)?;
        Ok(AsyncClient {
            reader,
            writer,
            hello,
        })
    }

    /// The service's hello.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Sends `req` and awaits the answer (a refusal is [`ClientError::Refused`]).
    pub async fn request(&mut self, req: &Request) -> Result<Reply, ClientError> {
        use tokio::io::AsyncWriteExt;
        let text = request_line(req)?;
        self.writer.write_all(&text).await.map_err(proto)?;
        let mut buf = Vec::new();
        reply(read_line_async(&mut self.reader, &mut buf).await, &buf)
    }

    /// Every line the service holds.
    pub async fn list(&mut self) -> Result<Vec<LineState>, ClientError> {
        Ok(self
            .request(&Request::List {})
            .await?
            .lines
            .unwrap_or_default())
    }

    /// The logical value of line `name`.
    pub async fn get(&mut self, name: &str) -> Result<bool, ClientError> {
        let r = self.request(&Request::Get { name: name.into() }).await?;
        Ok(r.value == Some(1))
    }

    /// Sets output `name` to `value`; the service holds it.
    pub async fn set(&mut self, name: &str, value: bool) -> Result<(), ClientError> {
        self.request(&Request::set(name, value)).await.map(|_| ())
    }

    /// Sets PWM channel `name` to `duty` (0.0..=1.0); the service holds it.
    pub async fn set_duty(&mut self, name: &str, duty: f64) -> Result<(), ClientError> {
        self.request(&Request::set_duty(name, duty))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_decoder_is_strict() {
        assert_eq!(
            decode_request(br#"{"op":"set","name":"heater","value":1}"#),
            Ok(Request::set("heater", true))
        );
        assert_eq!(
            decode_request(br#"{"op":"set","name":"fan","duty":0.25}"#),
            Ok(Request::set_duty("fan", 0.25))
        );
        assert_eq!(decode_request(br#"{"op":"list"}"#), Ok(Request::List {}));
        assert_eq!(
            decode_request(br#"{"op":"watch","name":"door"}"#),
            Ok(Request::Watch {
                name: "door".into()
            })
        );
        for bad in [
            &br#"{"op":"get","name":"a","extra":1}"#[..],
            br#"{"op":"list","name":"a"}"#,
            br#"{"op":"toggle","name":"a"}"#,
            br#"{"op":"set","name":"a","value":2}"#,
            br#"{"op":"set","name":"a","value":-1}"#,
            br#"{"op":"set","name":"a"}"#,
            br#"{"op":"set","name":"a","duty":1.5}"#,
            br#"{"op":"set","name":"a","duty":-0.1}"#,
            br#"{"op":"set","name":"a","value":1,"duty":0.5}"#,
            br#"{"name":"a"}"#,
            b"[1,2]",
            b"\xff\xfe",
            b"",
        ] {
            assert!(
                decode_request(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let big = format!(r#"{{"op":"get","name":"{}"}}"#, "a".repeat(MAX_MESSAGE));
        assert!(decode_request(big.as_bytes())
            .unwrap_err()
            .contains("limit"));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Any bytes: an answer, never a panic; what is accepted encodes back to itself.
        #[test]
        fn any_bytes_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(r) = decode_request(&bytes) {
                let again = serde_json::to_vec(&r).unwrap();
                prop_assert_eq!(decode_request(&again), Ok(r));
            }
        }

        /// Near-requests (a valid one with a byte changed, cut or doubled): the same.
        #[test]
        fn mutated_requests_decode_or_are_refused(
            which in 0usize..3, at in any::<prop::sample::Index>(), byte in any::<u8>()
        ) {
            let base: &[u8] = match which {
                0 => br#"{"op":"set","name":"heater","value":1}"#,
                1 => br#"{"op":"get","name":"led"}"#,
                _ => br#"{"op":"list"}"#,
            };
            let i = at.index(base.len());
            let mut m = base.to_vec();
            m[i] = byte;
            let mut cut = base.to_vec();
            cut.truncate(i);
            for v in [m, cut, [base, base].concat()] {
                if let Ok(Request::Set { value, duty, .. }) = decode_request(&v) {
                    prop_assert!(value.is_some() != duty.is_some());
                    prop_assert!(value.unwrap_or(0) <= 1);
                    prop_assert!(duty.unwrap_or(0.0).clamp(0.0, 1.0) == duty.unwrap_or(0.0));
                }
            }
        }
    }

    #[test]
    fn long_lines_are_refused_without_reading_on() {
        let mut text = vec![b'a'; MAX_MESSAGE * 3];
        text.push(b'\n');
        let mut r = std::io::Cursor::new(text);
        let mut buf = Vec::new();
        let e = read_line(&mut r, &mut buf).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(buf.len(), MAX_MESSAGE + 1, "no more than the limit read");
        let mut r = std::io::Cursor::new(b"{\"op\":\"list\"}\n".to_vec());
        assert!(read_line(&mut r, &mut buf).unwrap());
        assert_eq!(decode_request(&buf), Ok(Request::List {}));
        assert!(!read_line(&mut r, &mut buf).unwrap());
    }
}
