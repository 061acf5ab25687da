//! systemd's notification protocol (sd_notify(3)), spoken without libsystemd: datagrams
//! of `KEY=VALUE` lines to the Unix socket `NOTIFY_SOCKET` names (a path, or an abstract
//! address written with a leading `@`).
//!
//! The service sends `READY=1` once its configuration is loaded and its outputs are
//! started, `WATCHDOG=1` from its main loop every half of `WATCHDOG_USEC` (so a loop that
//! is stuck stops pinging and systemd restarts the service), `RELOADING=1` with
//! `MONOTONIC_USEC` on SIGHUP (as `Type=notify-reload` wants; `READY=1` ends the
//! reload), `STOPPING=1` when it stops, and `STATUS=` lines saying what it does.
//!
//! The protocol is a few lines, so no crate: `sd-notify` would fit (MSRV, no C), but its
//! watchdog and abstract-socket handling are what this module does anyway, and the
//! standard library's `UnixDatagram::send_to_addr` reaches abstract addresses.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

/// Where notifications go, if systemd asked for them.
pub(crate) struct Notify {
    target: Option<(UnixDatagram, SocketAddr)>,
    /// Half the watchdog's interval, when systemd set one for this process.
    ping_every: Option<Duration>,
    last_ping: Option<Instant>,
}

impl Notify {
    /// From the environment: `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` (the
    /// watchdog is ours only when that PID is unset or ours). A socket that cannot be
    /// used is said once (a warning) and the service goes on without notifying.
    pub(crate) fn from_env() -> Notify {
        let target = match std::env::var_os("NOTIFY_SOCKET") {
            None => None,
            Some(name) => match open(&name.to_string_lossy()) {
                Ok(t) => Some(t),
                Err(e) => {
                    crate::log::warn(&format!(
                        "NOTIFY_SOCKET={}: {e}; systemd will not hear that the service is \
                         ready (check the unit's Type= and NotifyAccess=)",
                        name.to_string_lossy()
                    ));
                    None
                }
            },
        };
        let ours = std::env::var("WATCHDOG_PID")
            .ok()
            .is_none_or(|p| p.trim().parse::<u32>().ok() == Some(std::process::id()));
        let ping_every = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|u| u.trim().parse::<u64>().ok())
            .filter(|u| *u > 0 && ours && target.is_some())
            .map(|u| Duration::from_micros(u / 2));
        Notify {
            target,
            ping_every,
            last_ping: None,
        }
    }

    /// Sends `state` (`KEY=VALUE` lines); a failure is ignored (systemd may be gone).
    pub(crate) fn send(&self, state: &str) {
        if let Some((sock, addr)) = &self.target {
            let _ = sock.send_to_addr(state.as_bytes(), addr);
        }
    }

    /// `READY=1` with the status line.
    pub(crate) fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    /// `RELOADING=1` with the monotonic clock's time, as `Type=notify-reload` wants.
    pub(crate) fn reloading(&self) {
        self.send(&format!(
            "RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration",
            monotonic_usec()
        ));
    }

    /// `STOPPING=1`.
    pub(crate) fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping: delivering what is queued");
    }

    /// `WATCHDOG=1`, when half the watchdog's interval has passed since the last one:
    /// call it from the main loop, often.
    pub(crate) fn watchdog(&mut self) {
        let Some(every) = self.ping_every else {
            return;
        };
        let now = Instant::now();
        if self
            .last_ping
            .is_none_or(|t| now.duration_since(t) >= every)
        {
            self.last_ping = Some(now);
            self.send("WATCHDOG=1");
        }
    }
}

/// A socket to send to `name` (`/run/...` or `@abstract`).
fn open(name: &str) -> std::io::Result<(UnixDatagram, SocketAddr)> {
    let addr = match name.strip_prefix('@') {
        Some(abs) => SocketAddr::from_abstract_name(abs.as_bytes())?,
        None if name.starts_with('/') => SocketAddr::from_pathname(name)?,
        None => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a socket path (/...) or an abstract address (@...)",
            ))
        }
    };
    Ok((UnixDatagram::unbound()?, addr))
}

/// `CLOCK_MONOTONIC` in microseconds (udrv-core's clock for GPIO event times).
fn monotonic_usec() -> u64 {
    udrv_core::gpio::monotonic_now_ns() / 1_000
}

/// A status as one line (a newline would start another variable).
fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_paths_or_abstract_addresses() {
        assert!(open("/run/systemd/notify").is_ok());
        let (_, a) = open("@udrv/test").unwrap();
        assert_eq!(a.as_abstract_name(), Some(&b"udrv/test"[..]));
        assert!(open("relative").is_err());
    }

    #[test]
    fn messages_reach_an_abstract_socket() {
        let name = format!("udrv-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        let n = Notify {
            target: Some(open(&format!("@{name}")).unwrap()),
            ping_every: None,
            last_ping: None,
        };
        n.ready("two\nlines");
        let mut buf = [0u8; 256];
        let len = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"READY=1\nSTATUS=two lines");
        n.reloading();
        let len = rx.recv(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..len]).unwrap();
        let usec: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(text.starts_with("RELOADING=1\n") && usec > 0, "{text}");
    }
}
