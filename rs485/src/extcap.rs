//! The Wireshark extcap protocol, so Wireshark lists "RS485 (udrv)" as an interface.
//!
//! Wireshark runs the extcap binary (a symlink to `udrv` in the extcap folder Wireshark
//! reports, made by [`install`]) with `--extcap-interfaces`, `--extcap-interface IF --extcap-dlts`,
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
use crate::pcap::Format;

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

/// The options Wireshark gives an extcap program that say what it wants.
pub const WIRESHARK_OPTIONS: [&str; 9] = [
    "--extcap-interfaces",
    "--extcap-interface",
    "--extcap-dlts",
    "--extcap-config",
    "--extcap-version",
    "--extcap-capture-filter",
    "--extcap-reload-option",
    "--extcap-control-in",
    "--capture",
];

/// Whether `args` (after the program name) is a call from Wireshark: one of
/// [`WIRESHARK_OPTIONS`] (as `--opt VALUE` or `--opt=VALUE`) comes before any argument that
/// is not an option. So `udrv capture --extcap-install` (a subcommand first) and other
/// options that merely start with `--extcap-` are left to the normal command line.
pub fn is_extcap_call(args: &[String]) -> bool {
    for a in args {
        let key = a.split_once('=').map_or(a.as_str(), |(k, _)| k);
        if WIRESHARK_OPTIONS.contains(&key) {
            return true;
        }
        if !a.starts_with('-') {
            return false;
        }
    }
    false
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
    /// (see [`is_extcap_call`]).
    pub fn parse(args: &[String]) -> Option<Request> {
        if !is_extcap_call(args) {
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
        let link_type = Some(framer.wireshark_link_type());
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

/// Where Wireshark looks for extcap programs on this machine.
///
/// Wireshark 4.0 (Debian 12) looks only in its global folder
/// (`/usr/lib/<triplet>/wireshark/extcap`), which only root may write; Wireshark 4.2 and
/// later also look in a personal folder (`~/.local/lib/wireshark/extcap`). `tshark -G
/// folders` says which: [`ExtcapFolders::ask_wireshark`] runs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtcapFolders {
    /// The user's own folder ("Personal Extcap path", Wireshark 4.2 and later).
    pub personal: Option<PathBuf>,
    /// The system's folder ("Extcap path" before 4.2, "Global Extcap path" after).
    pub global: Option<PathBuf>,
    /// How they were found, for messages, e.g. "`tshark -G folders`".
    pub source: String,
}

/// The global extcap folders of the usual Linux Wireshark packages, for a machine
/// without `tshark` to ask.
const USUAL_GLOBAL: [&str; 4] = [
    "/usr/lib/*/wireshark/extcap",
    "/usr/lib/wireshark/extcap",
    "/usr/lib64/wireshark/extcap",
    "/usr/local/lib/wireshark/extcap",
];

impl ExtcapFolders {
    /// Reads the output of `tshark -G folders` (`Name:<tabs and spaces>value` lines).
    pub fn parse(folders: &str) -> ExtcapFolders {
        let mut f = ExtcapFolders {
            source: "`tshark -G folders`".into(),
            ..ExtcapFolders::default()
        };
        for line in folders.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            // A search path would list several folders: the first is the one to use.
            let value = value.trim().split(':').next().unwrap_or("").trim();
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "Personal Extcap path" => f.personal = Some(PathBuf::from(value)),
                "Extcap path" | "Global Extcap path" => f.global = Some(PathBuf::from(value)),
                _ => {}
            }
        }
        f
    }

    /// Asks the machine's Wireshark (`tshark -G folders`). Without `tshark`, looks for the
    /// global folder where the usual packages put it. `Err` says what was tried.
    pub fn ask_wireshark() -> Result<ExtcapFolders, String> {
        match std::process::Command::new("tshark")
            .args(["-G", "folders"])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
        {
            Ok(o) if o.status.success() => {
                let f = ExtcapFolders::parse(&String::from_utf8_lossy(&o.stdout));
                if f.personal.is_none() && f.global.is_none() {
                    return Err("`tshark -G folders` names no extcap folder".into());
                }
                Ok(f)
            }
            Ok(o) => Err(format!("`tshark -G folders` failed ({})", o.status)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let found = USUAL_GLOBAL.iter().find_map(|pattern| {
                    let (head, tail) = pattern.split_once("/*/").unwrap_or((pattern, ""));
                    if tail.is_empty() {
                        return Some(PathBuf::from(pattern)).filter(|p| p.is_dir());
                    }
                    let mut dirs: Vec<PathBuf> = std::fs::read_dir(head)
                        .ok()?
                        .flatten()
                        .map(|e| e.path().join(tail))
                        .filter(|p| p.is_dir())
                        .collect();
                    dirs.sort();
                    dirs.into_iter().next()
                });
                match found {
                    Some(dir) => Ok(ExtcapFolders {
                        personal: None,
                        global: Some(dir),
                        source: "the usual place (no `tshark` to ask)".into(),
                    }),
                    None => Err(format!(
                        "no `tshark` to ask (`tshark -G folders`) and no Wireshark extcap folder \
                         in the usual places ({}): is Wireshark installed?",
                        USUAL_GLOBAL.join(", ")
                    )),
                }
            }
            Err(e) => Err(format!("cannot run `tshark -G folders`: {e}")),
        }
    }

    /// The folder to install into: the personal one when Wireshark has one and the user is
    /// not root; else the global one (root installs for every user).
    pub fn target(&self, root: bool) -> Option<&Path> {
        match (&self.personal, &self.global) {
            (Some(p), _) if !root => Some(p),
            (_, Some(g)) => Some(g),
            (p, None) => p.as_deref(),
        }
    }
}

/// Whether this process runs as root (effective user id 0, from `/proc/self/status`).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// The link Wireshark runs.
    pub link: PathBuf,
    /// The binary it points to.
    pub target: PathBuf,
    /// False when that link was there already (nothing was changed).
    pub created: bool,
    /// How the folder was chosen, e.g. "`tshark -G folders`" or "--extcap-dir".
    pub source: String,
    /// Other links in the folder that run a `udrv` (another copy, e.g. the Debian
    /// package's `udrv` link), with their targets: Wireshark lists the interface once per
    /// link.
    pub others: Vec<(PathBuf, PathBuf)>,
}

/// Why [`install`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum InstallError {
    /// No folder was given and Wireshark's could not be found.
    NoFolder(String),
    /// The folder is Wireshark's, only root may write it, and we are not root.
    NeedsRoot {
        /// The folder.
        dir: PathBuf,
        /// The link that was to be made.
        link: PathBuf,
        /// The binary it was to point to.
        binary: PathBuf,
        /// How the folder was chosen.
        source: String,
        /// The OS error (EACCES, EPERM).
        error: io::Error,
    },
    /// Something in the way: a file that is not a link where the link goes.
    NotALink(PathBuf),
    /// Another OS error on `path`.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use udrv_core::error::describe;
        match self {
            InstallError::NoFolder(why) => write!(
                f,
                "cannot find where Wireshark looks for extcap programs: {why}; give the \
                 folder with --extcap-dir DIR"
            ),
            InstallError::NeedsRoot {
                dir,
                link,
                binary,
                source,
                error,
            } => write!(
                f,
                "cannot link udrv into {}, the folder where this machine's Wireshark looks for \
                 extcap programs{}: {}; only root may write there: run \
                 `sudo ln -sf {} {}` (or `sudo {} capture --extcap-install`), then restart \
                 Wireshark",
                dir.display(),
                if source.is_empty() {
                    String::new()
                } else {
                    format!(" (from {source})")
                },
                describe(error),
                binary.display(),
                link.display(),
                binary.display()
            ),
            InstallError::NotALink(p) => write!(
                f,
                "{} exists and is not a link: not replacing it (remove it, or give another \
                 folder with --extcap-dir DIR)",
                p.display()
            ),
            InstallError::Io { path, error } => {
                write!(
                    f,
                    "cannot install into {}: {}",
                    path.display(),
                    describe(error)
                )
            }
        }
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InstallError::NeedsRoot { error, .. } | InstallError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Makes Wireshark list udrv's interface: a symlink [`LINK_NAME`] to `binary` (normally
/// `std::env::current_exe()`) in `dir`, or when `dir` is `None` in the folder the machine's
/// Wireshark looks in ([`ExtcapFolders::ask_wireshark`], [`ExtcapFolders::target`]). An
/// older link of that name is replaced; a link in the folder that already runs `binary`
/// (the Debian package's `udrv`) is left as it is. Restart Wireshark (or Capture > Refresh
/// Interfaces) to see the interface; `tshark -D` lists it at once.
pub fn install(binary: &Path, dir: Option<&Path>) -> Result<Installed, InstallError> {
    let (dir, source) = match dir {
        Some(d) => (d.to_path_buf(), "--extcap-dir".to_string()),
        None => {
            let folders = ExtcapFolders::ask_wireshark().map_err(InstallError::NoFolder)?;
            let dir = folders
                .target(is_root())
                .map(Path::to_path_buf)
                .ok_or_else(|| InstallError::NoFolder(format!("{} names none", folders.source)))?;
            (dir, folders.source)
        }
    };
    match install_into(&dir, binary) {
        Ok(done) => Ok(Installed { source, ..done }),
        Err(InstallError::NeedsRoot {
            dir,
            link,
            binary,
            error,
            ..
        }) => Err(InstallError::NeedsRoot {
            dir,
            link,
            binary,
            source,
            error,
        }),
        Err(e) => Err(e),
    }
}

/// [`install`] into a given folder (created when missing).
pub fn install_into(dir: &Path, binary: &Path) -> Result<Installed, InstallError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |error: io::Error| InstallError::Io { path, error }
    };
    let target = std::fs::canonicalize(binary).map_err(io_err(binary))?;
    let link = dir.join(LINK_NAME);
    let denied = |error: io::Error| {
        if matches!(error.kind(), io::ErrorKind::PermissionDenied) && !is_root() {
            InstallError::NeedsRoot {
                dir: dir.to_path_buf(),
                link: link.clone(),
                binary: target.clone(),
                source: String::new(),
                error,
            }
        } else {
            InstallError::Io {
                path: dir.to_path_buf(),
                error,
            }
        }
    };
    std::fs::create_dir_all(dir).map_err(denied)?;
    // Links already there: one running this binary is the install; others running a udrv
    // are worth a word.
    let mut others = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_type().is_ok_and(|t| t.is_symlink()) {
                continue;
            }
            let Ok(points_to) = std::fs::canonicalize(&path) else {
                continue;
            };
            if points_to == target {
                return Ok(Installed {
                    link: path,
                    target: target.clone(),
                    created: false,
                    source: String::new(),
                    others: Vec::new(),
                });
            }
            let runs_udrv = points_to
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("udrv"));
            if runs_udrv && path != link {
                others.push((path, points_to));
            }
        }
    }
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link).map_err(denied)?,
        Ok(_) => return Err(InstallError::NotALink(link)),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&target, &link).map_err(denied)?;
    Ok(Installed {
        link,
        target,
        created: true,
        source: String::new(),
        others,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::LinkType;

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
        tmp.close().unwrap();
    }

    #[test]
    fn installs_one_link_and_says_what_else_runs_udrv() {
        let tmp = tempfile::TempDir::with_prefix("udrv-extcap-").unwrap();
        let dir = tmp.path();
        let bin = dir.join("udrv");
        std::fs::write(&bin, "").unwrap();
        let extcap = dir.join("extcap");
        let done = install_into(&extcap, &bin).unwrap();
        assert!(done.created);
        assert_eq!(done.link, extcap.join(LINK_NAME));
        assert_eq!(
            std::fs::read_link(&done.link).unwrap(),
            std::fs::canonicalize(&bin).unwrap()
        );
        // Again: the link is there, nothing changes.
        let again = install_into(&extcap, &bin).unwrap();
        assert!(!again.created);
        assert_eq!(again.link, done.link);
        // A link to an older binary is replaced; another udrv's link is reported.
        let old = dir.join("old/udrv");
        std::fs::create_dir(dir.join("old")).unwrap();
        std::fs::write(&old, "").unwrap();
        std::fs::remove_file(&done.link).unwrap();
        std::os::unix::fs::symlink(&old, &done.link).unwrap();
        std::os::unix::fs::symlink(&old, extcap.join("udrv")).unwrap();
        let replaced = install_into(&extcap, &bin).unwrap();
        assert!(replaced.created);
        assert_eq!(
            std::fs::read_link(&replaced.link).unwrap(),
            std::fs::canonicalize(&bin).unwrap()
        );
        assert_eq!(
            replaced.others,
            [(extcap.join("udrv"), std::fs::canonicalize(&old).unwrap())]
        );
        // A file that is not a link is left alone.
        std::fs::remove_file(&replaced.link).unwrap();
        std::fs::remove_file(extcap.join("udrv")).unwrap();
        std::fs::write(&replaced.link, "mine").unwrap();
        let e = install_into(&extcap, &bin).unwrap_err();
        assert!(matches!(e, InstallError::NotALink(_)), "{e}");
        tmp.close().unwrap();
    }

    #[test]
    fn only_wiresharks_own_options_make_an_extcap_call() {
        for yes in [
            "--extcap-interfaces --extcap-version=4.0",
            "--extcap-interface udrv-rs485 --extcap-dlts",
            "--extcap-interface=udrv-rs485 --extcap-config",
            "--capture --extcap-interface udrv-rs485 --fifo /tmp/f --port /dev/ttyUSB0",
        ] {
            assert!(is_extcap_call(&args(yes)), "{yes}");
        }
        for no in [
            "capture --extcap-install",
            "capture --extcap-install --extcap-dir /tmp/x",
            "--json capture /dev/ttyUSB0 --extcap-interfaces",
            "--extcap-install",
            "i2c list",
            "",
        ] {
            assert!(!is_extcap_call(&args(no)), "{no}");
        }
    }

    #[test]
    fn reads_the_extcap_folders_wireshark_reports() {
        // Wireshark 4.0 (Debian 12): the global folder only.
        let v40 = "Temp:                \t/tmp\n\
                   Personal Plugins:    \t/root/.local/lib/wireshark/plugins/4.0\n\
                   Extcap path:         \t/usr/lib/x86_64-linux-gnu/wireshark/extcap\n\
                   MaxMind database path:\t/usr/share/GeoIP\n";
        let f = ExtcapFolders::parse(v40);
        assert_eq!(f.personal, None);
        let global = PathBuf::from("/usr/lib/x86_64-linux-gnu/wireshark/extcap");
        assert_eq!(f.global.as_ref(), Some(&global));
        assert_eq!(f.target(false), Some(global.as_path()));
        assert_eq!(f.target(true), Some(global.as_path()));
        // 4.2 and later: a personal folder too, used by users other than root.
        let v42 = "Personal Extcap path:\t/home/u/.local/lib/wireshark/extcap\n\
                   Global Extcap path:  \t/usr/lib/x86_64-linux-gnu/wireshark/extcap\n";
        let f = ExtcapFolders::parse(v42);
        let personal = PathBuf::from("/home/u/.local/lib/wireshark/extcap");
        assert_eq!(f.target(false), Some(personal.as_path()));
        assert_eq!(f.target(true), Some(global.as_path()));
        assert_eq!(ExtcapFolders::parse("Temp:\t/tmp\n").target(false), None);
    }
}
