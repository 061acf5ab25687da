//! The Wireshark extcap protocol, so Wireshark lists "RS485 (udrv)" as an interface.
//!
//! Wireshark runs the extcap binary (a symlink to `udrv` in the user's extcap folder, made
//! by [`install`]) with `--extcap-interfaces`, `--extcap-interface IF --extcap-dlts`,
//! `--extcap-interface IF --extcap-config` and finally
//! `--extcap-interface IF --capture --fifo PATH [options]`; every call prints to stdout
//! and exits 0. The first three are [`interfaces`], [`dlts`] and [`config`]; [`main`]
//! handles a whole command line, capture included, so the CLI only has to call it first:
//!
//! ```no_run
//! // First thing in `main`, before parsing the normal command line:
//! if let Some(code) = udrv_rs485::extcap::main(std::env::args_os()) {
//!     std::process::exit(code);
//! }
//! ```
//!
//! The capture writes pcapng; Modbus RTU frames go out as WIRESHARK_UPPER_PDU naming the
//! `mbrtu` dissector, so Wireshark decodes them with no set-up.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use udrv_core::serial::{LineSettings, Parity, StopBits};

use crate::capture::{self, CaptureConfig, Output, PortSpec};
use crate::framer::FramerKind;
use crate::pcap::{Format, LinkType};

/// The interface name udrv offers to Wireshark.
pub const INTERFACE: &str = "udrv-rs485";

/// The name of the symlink [`install`] creates in the extcap folder.
pub const LINK_NAME: &str = "udrv-rs485";

/// The answer to `--extcap-interfaces`.
pub fn interfaces() -> String {
    format!(
        "extcap {{version={}}}{{help=https://docs.rs/udrv-rs485}}\n\
         interface {{value={INTERFACE}}}{{display=RS485 serial bus (udrv)}}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The answer to `--extcap-interface IF --extcap-dlts`.
pub fn dlts(_interface: &str) -> String {
    "dlt {number=252}{name=WIRESHARK_UPPER_PDU}{display=Exported PDU (Modbus RTU via mbrtu)}\n"
        .into()
}

/// Serial ports in /dev that a bus can be on: `ttyS*` (only those with a UART behind them,
/// per sysfs), `ttyUSB*`, `ttyACM*`, `ttyAMA*`, sorted.
pub fn list_ports() -> Vec<PathBuf> {
    list_ports_in(Path::new("/dev"))
}

fn list_ports_in(dev: &Path) -> Vec<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dev)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.retain(|n| {
        let prefix = ["ttyUSB", "ttyACM", "ttyAMA", "ttyS"]
            .into_iter()
            .find(|p| n.starts_with(p));
        match prefix {
            Some("ttyS") => {
                // ttyS0..31 exist on every PC; sysfs type 0 means no UART is there.
                let ty = std::fs::read_to_string(format!("/sys/class/tty/{n}/type"));
                n[4..].bytes().all(|b| b.is_ascii_digit())
                    && ty.map(|t| t.trim() != "0").unwrap_or(true)
            }
            Some(p) => n[p.len()..].bytes().all(|b| b.is_ascii_digit()),
            None => false,
        }
    });
    names.sort_by_key(|n| {
        let split = n.find(|c: char| c.is_ascii_digit()).unwrap_or(n.len());
        (
            n[..split].to_string(),
            n[split..].parse::<u32>().unwrap_or(0),
        )
    });
    names.into_iter().map(|n| dev.join(n)).collect()
}

/// The answer to `--extcap-interface IF --extcap-config`: port selector, baud rate,
/// data bits, parity, stop bits, framer and an optional raw log.
pub fn config(_interface: &str) -> String {
    config_for_ports(&list_ports())
}

fn config_for_ports(ports: &[PathBuf]) -> String {
    let mut s = String::new();
    s.push_str("arg {number=0}{call=--port}{display=Serial port}{type=selector}{required=true}{tooltip=The serial port on the RS485 bus}\n");
    for (i, p) in ports.iter().enumerate() {
        let p = p.display();
        let def = if i == 0 { "{default=true}" } else { "" };
        s.push_str(&format!(
            "value {{arg=0}}{{value={p}}}{{display={p}}}{def}\n"
        ));
    }
    s.push_str("arg {number=1}{call=--baud}{display=Baud rate}{type=integer}{range=50,12000000}{default=19200}{tooltip=Bits per second; non-standard rates work too}\n");
    s.push_str("arg {number=2}{call=--data-bits}{display=Data bits}{type=selector}\n");
    s.push_str(
        "value {arg=2}{value=8}{display=8}{default=true}\nvalue {arg=2}{value=7}{display=7}\n",
    );
    s.push_str("arg {number=3}{call=--parity}{display=Parity}{type=selector}\n");
    for (v, d, def) in [
        ("even", "Even (Modbus default)", true),
        ("none", "None", false),
        ("odd", "Odd", false),
    ] {
        let def = if def { "{default=true}" } else { "" };
        s.push_str(&format!(
            "value {{arg=3}}{{value={v}}}{{display={d}}}{def}\n"
        ));
    }
    s.push_str("arg {number=4}{call=--stop-bits}{display=Stop bits}{type=selector}\n");
    s.push_str(
        "value {arg=4}{value=1}{display=1}{default=true}\nvalue {arg=4}{value=2}{display=2}\n",
    );
    s.push_str("arg {number=5}{call=--framer}{display=Protocol}{type=selector}\n");
    for (v, d) in [
        ("modbus", "Modbus RTU"),
        ("mstp", "BACnet MS/TP"),
        ("idle", "Split on silence"),
        ("slip", "SLIP"),
        ("hdlc", "HDLC-like (0x7E)"),
        ("cobs", "COBS"),
    ] {
        let def = if v == "modbus" { "{default=true}" } else { "" };
        s.push_str(&format!(
            "value {{arg=5}}{{value={v}}}{{display={d}}}{def}\n"
        ));
    }
    s.push_str("arg {number=6}{call=--raw-log}{display=Raw log file}{type=fileselect}{mustexist=false}{tooltip=Also record the raw bytes for offline re-framing}\n");
    s
}

/// A parsed extcap command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// `--extcap-interfaces`.
    pub interfaces: bool,
    /// `--extcap-dlts`.
    pub dlts: bool,
    /// `--extcap-config`.
    pub config: bool,
    /// `--capture`.
    pub capture: bool,
    /// `--extcap-interface IF`.
    pub interface: Option<String>,
    /// `--fifo PATH`.
    pub fifo: Option<PathBuf>,
    /// `--port`, `--baud`, ... as given.
    pub options: Vec<(String, String)>,
}

impl Request {
    /// Parses the arguments after the program name; `None` when this is not an extcap call
    /// (no `--extcap-*` or `--capture` argument).
    pub fn parse(args: &[String]) -> Option<Request> {
        if !args
            .iter()
            .any(|a| a.starts_with("--extcap-") || a == "--capture")
        {
            return None;
        }
        let mut r = Request::default();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            let (key, inline) = match a.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (a.clone(), None),
            };
            match key.as_str() {
                "--extcap-interfaces" => r.interfaces = true,
                "--extcap-dlts" => r.dlts = true,
                "--extcap-config" => r.config = true,
                "--capture" => r.capture = true,
                k if k.starts_with("--") => {
                    let value = match inline {
                        Some(v) => v,
                        None if i < args.len() && !args[i].starts_with("--") => {
                            i += 1;
                            args[i - 1].clone()
                        }
                        None => String::new(),
                    };
                    match k {
                        "--extcap-interface" => r.interface = Some(value),
                        "--fifo" => r.fifo = Some(PathBuf::from(value)),
                        _ => r
                            .options
                            .push((k.trim_start_matches("--").to_string(), value)),
                    }
                }
                _ => {}
            }
        }
        Some(r)
    }

    fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The capture configuration the options describe, writing pcapng into the FIFO.
    pub fn capture_config(&self) -> Result<CaptureConfig, String> {
        let port = self
            .option("port")
            .filter(|p| !p.is_empty())
            .ok_or("no --port given")?;
        let fifo = self.fifo.clone().ok_or("no --fifo given")?;
        let mut line = LineSettings::default();
        if let Some(b) = self.option("baud") {
            line.baud = b.parse().map_err(|_| format!("bad --baud {b}"))?;
        }
        if let Some(d) = self.option("data-bits") {
            line.data_bits = d.parse().map_err(|_| format!("bad --data-bits {d}"))?;
        }
        if let Some(p) = self.option("parity") {
            line.parity = Parity::parse(p).ok_or_else(|| format!("bad --parity {p}"))?;
        }
        if let Some(s) = self.option("stop-bits") {
            line.stop_bits = if s == "2" {
                StopBits::Two
            } else {
                StopBits::One
            };
        }
        let framer: FramerKind = self
            .option("framer")
            .unwrap_or("modbus")
            .parse()
            .map_err(|e| format!("{e}"))?;
        let link_type = match framer {
            FramerKind::ModbusRtu => Some(LinkType::modbus_upper_pdu()),
            _ => None,
        };
        Ok(CaptureConfig {
            ports: vec![PortSpec::new(port)],
            line,
            framer,
            format: Format::Pcapng,
            link_type,
            output: Output::Path(fifo),
            raw_log: self
                .option("raw-log")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            handle_signals: true,
            ..CaptureConfig::default()
        })
    }
}

/// Handles an extcap command line (program name first, as `std::env::args_os()` gives
/// it). Returns `None` when it is not an extcap call, else the exit code after printing the
/// answer or running the capture into the FIFO until Wireshark stops it.
pub fn main(args: impl IntoIterator<Item = OsString>) -> Option<i32> {
    let args: Vec<String> = args
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let req = Request::parse(&args)?;
    let mut out = io::stdout();
    let iface = req
        .interface
        .clone()
        .unwrap_or_else(|| INTERFACE.to_string());
    let text = if req.interfaces {
        interfaces()
    } else if req.dlts {
        dlts(&iface)
    } else if req.config {
        config(&iface)
    } else if req.capture {
        let cfg = match req.capture_config() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("udrv extcap: {e}");
                return Some(1);
            }
        };
        return Some(match capture::run(&cfg, &mut ()) {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("udrv extcap: {e}");
                1
            }
        });
    } else {
        String::new()
    };
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Some(0)
}

/// The user's personal Wireshark extcap folder, `~/.local/lib/wireshark/extcap`.
pub fn extcap_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".local/lib/wireshark/extcap"))
}

/// Creates the extcap folder if needed and a symlink `udrv-rs485` in it pointing to
/// `binary` (normally `std::env::current_exe()`), replacing an older link. Returns the
/// link's path. Restart Wireshark (or Capture > Refresh Interfaces) to see the interface.
pub fn install(binary: &Path) -> io::Result<PathBuf> {
    let dir = extcap_dir().ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "HOME is not set: no extcap folder")
    })?;
    install_into(&dir, binary)
}

/// [`install`] into a given folder.
pub fn install_into(dir: &Path, binary: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let link = dir.join(LINK_NAME);
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not a symlink: not replacing it",
                    link.display()
                ),
            ))
        }
        Err(_) => {}
    }
    let target = std::fs::canonicalize(binary)?;
    std::os::unix::fs::symlink(target, &link)?;
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn answers_the_discovery_calls() {
        assert!(interfaces().contains("interface {value=udrv-rs485}"));
        assert!(interfaces().starts_with("extcap {version="));
        assert!(dlts(INTERFACE).starts_with("dlt {number=252}"));
        let c = config_for_ports(&[PathBuf::from("/dev/ttyUSB0"), PathBuf::from("/dev/ttyAMA0")]);
        assert!(c.contains("value {arg=0}{value=/dev/ttyUSB0}{display=/dev/ttyUSB0}{default=true}"));
        assert!(c.contains("{call=--baud}"));
        assert!(c.contains("{call=--parity}"));
        assert!(c.contains("{call=--framer}"));
        assert!(c
            .lines()
            .all(|l| l.starts_with("arg {") || l.starts_with("value {")));
    }

    #[test]
    fn parses_a_capture_call() {
        assert_eq!(Request::parse(&args("capture /dev/ttyUSB0")), None);
        let r = Request::parse(&args(
            "--extcap-interface udrv-rs485 --port /dev/ttyUSB1 --baud 9600 --parity=none \
             --capture --fifo /tmp/x --extcap-capture-filter",
        ))
        .unwrap();
        assert!(r.capture);
        let cfg = r.capture_config().unwrap();
        assert_eq!(cfg.ports, vec![PortSpec::new("/dev/ttyUSB1")]);
        assert_eq!(cfg.line.to_string(), "9600 8N1");
        assert_eq!(cfg.output, Output::Path("/tmp/x".into()));
        assert_eq!(cfg.link_type, Some(LinkType::modbus_upper_pdu()));
        let r = Request::parse(&args("--extcap-interfaces --extcap-version=4.0")).unwrap();
        assert!(r.interfaces);
    }

    #[test]
    fn lists_ports_by_name() {
        let tmp = tempfile::TempDir::with_prefix("udrv-extcap-").unwrap();
        let dir = tmp.path();
        for n in [
            "ttyUSB10", "ttyUSB2", "ttyACM0", "ttyAMA0", "tty0", "ttyUSBx", "null",
        ] {
            std::fs::write(dir.join(n), "").unwrap();
        }
        let got: Vec<String> = list_ports_in(dir)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into())
            .collect();
        assert_eq!(got, ["ttyACM0", "ttyAMA0", "ttyUSB2", "ttyUSB10"]);
        let bin = dir.join("udrv");
        std::fs::write(&bin, "").unwrap();
        let link = install_into(&dir.join("extcap"), &bin).unwrap();
        assert_eq!(
            std::fs::read_link(&link).unwrap(),
            std::fs::canonicalize(&bin).unwrap()
        );
        install_into(&dir.join("extcap"), &bin).unwrap(); // replacing works
        tmp.close().unwrap();
    }
}
