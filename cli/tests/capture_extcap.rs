//! `udrv capture --extcap-install` as users run it: into a folder they name, into the
//! folder the machine's Wireshark reports (`tshark -G folders`), after which the real
//! `tshark -D` lists udrv's interface, and as a user who may not write there, who is told
//! the folder and the `sudo` command. Wireshark's own extcap calls still reach the
//! extcap handler.
//!
//! The install into Wireshark's folder writes to the machine (CI runs these tests as
//! root): the link is removed when the test ends, pass or fail, and a link that was there
//! before is put back.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use tempfile::TempDir;

/// The tests that use Wireshark's own extcap folder take turns: one installs into it
/// while another checks what a user without the right to write there is told.
static WIRESHARK_FOLDER: Mutex<()> = Mutex::new(());

/// The name of the link the install makes.
const LINK: &str = "udrv-rs485";

/// What `tshark -D` shows for udrv's interface.
const LISTED: &str = "udrv-rs485 (RS485 serial bus (udrv))";

fn udrv() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_udrv"));
    c.stdin(Stdio::null());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The binary the links must point to.
fn binary() -> PathBuf {
    std::fs::canonicalize(env!("CARGO_BIN_EXE_udrv")).unwrap()
}

/// Whether this process runs as root (effective uid 0, from /proc/self/status).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        .unwrap()
}

/// (personal, global) extcap folders as `tshark -G folders` reports them, read here
/// independently of udrv. Wireshark before 4.2 has only the global one ("Extcap path").
fn tshark_extcap_folders(home: Option<&Path>) -> (Option<PathBuf>, PathBuf) {
    let mut c = Command::new("tshark");
    c.args(["-G", "folders"]);
    if let Some(h) = home {
        c.env("HOME", h);
    }
    let o = c
        .output()
        .expect("tshark is needed: apt-get install tshark");
    assert!(o.status.success(), "tshark -G folders: {}", text(&o.stderr));
    let mut personal = None;
    let mut global = None;
    for line in text(&o.stdout).lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = PathBuf::from(value.trim());
        match key.trim() {
            "Personal Extcap path" => personal = Some(value),
            "Extcap path" | "Global Extcap path" => global = Some(value),
            _ => {}
        }
    }
    (
        personal,
        global.expect("tshark -G folders names no extcap folder"),
    )
}

/// `tshark -D`: the interfaces Wireshark offers, extcap ones included.
fn tshark_interfaces() -> String {
    let o = Command::new("tshark")
        .arg("-D")
        .output()
        .expect("tshark is needed: apt-get install tshark");
    text(&o.stdout)
}

/// A link in a folder shared with the rest of the machine: removed when dropped (the
/// test passed or failed), or set back to what it pointed to before the test.
struct LinkGuard {
    link: PathBuf,
    before: Option<PathBuf>,
}

impl LinkGuard {
    fn new(link: PathBuf) -> LinkGuard {
        let before = std::fs::read_link(&link).ok();
        LinkGuard { link, before }
    }
}

impl Drop for LinkGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.link);
        if let Some(b) = &self.before {
            let _ = std::os::unix::fs::symlink(b, &self.link);
        }
    }
}

#[test]
fn extcap_install_links_udrv_into_the_folder_given() {
    let dir = TempDir::with_prefix("udrv-extcap-").unwrap();
    let folder = dir.path().join("extcap");
    let o = udrv()
        .args(["capture", "--extcap-install", "--extcap-dir"])
        .arg(&folder)
        .output()
        .unwrap();
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    let link = folder.join(LINK);
    assert_eq!(
        std::fs::read_link(&link).unwrap_or_else(|e| panic!("no link: {e}; {out}{err}")),
        binary()
    );
    assert!(out.contains(&link.display().to_string()), "{out}");
    // Wireshark runs the link with its extcap options: the link answers them.
    let o = Command::new(&link)
        .args(["--extcap-interfaces", "--extcap-version=4.0"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("interface {value=udrv-rs485}{display=RS485 serial bus (udrv)}"),
        "{}",
        text(&o.stdout)
    );
    // Installing again keeps the one link.
    let o = udrv()
        .args(["capture", "--extcap-install", "--extcap-dir"])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1);
    assert_eq!(std::fs::read_link(&link).unwrap(), binary());
}

#[test]
fn extcap_install_goes_where_wireshark_looks_and_tshark_lists_udrv() {
    let _turn = WIRESHARK_FOLDER.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        is_root(),
        "this test installs into Wireshark's extcap folder: run it as root (CI does)"
    );
    // Root installs for every user: into the global folder.
    let (_, global) = tshark_extcap_folders(None);
    let link = global.join(LINK);
    let guard = LinkGuard::new(link.clone());
    if guard.before.is_some() {
        std::fs::remove_file(&link).unwrap();
    }
    assert!(
        !tshark_interfaces().contains(LISTED),
        "udrv is listed before the install: another link to it is in {}",
        global.display()
    );
    let o = udrv()
        .args(["capture", "--extcap-install"])
        .output()
        .unwrap();
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "{err}");
    assert!(out.contains(&link.display().to_string()), "{out}");
    assert_eq!(std::fs::read_link(&link).unwrap(), binary());
    let listed = tshark_interfaces();
    assert!(listed.contains(LISTED), "tshark -D: {listed}");
    // Put back as it was: no link, so no listing (or the link someone had installed).
    let before = guard.before.clone();
    drop(guard);
    assert_eq!(std::fs::read_link(&link).ok(), before);
    if before.is_none() {
        assert!(!tshark_interfaces().contains(LISTED));
    }
}

#[test]
fn extcap_install_as_a_user_who_may_not_write_there_names_the_folder_and_sudo() {
    let _turn = WIRESHARK_FOLDER.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        is_root(),
        "this test drops to user nobody with setpriv: run it as root (CI does)"
    );
    // nobody's home: a folder it owns, for a Wireshark with a personal extcap folder.
    let home = TempDir::with_prefix("udrv-extcap-home-").unwrap();
    std::os::unix::fs::chown(home.path(), Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (personal, global) = tshark_extcap_folders(Some(home.path()));
    let link = global.join(LINK);
    let guard = LinkGuard::new(link.clone());
    if guard.before.is_some() {
        std::fs::remove_file(&link).unwrap();
    }
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(binary())
        .args(["capture", "--extcap-install"])
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .expect("setpriv (util-linux) is needed");
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    match personal {
        // Wireshark 4.2 and later: the user's own folder, no root needed.
        Some(p) => {
            assert!(o.status.success(), "{err}");
            assert_eq!(std::fs::read_link(p.join(LINK)).unwrap(), binary());
        }
        // Before: only the global folder, which only root may write.
        None => {
            assert_eq!(o.status.code(), Some(1), "{out}{err}");
            let sudo_ln = format!("sudo ln -sf {} {}", binary().display(), link.display());
            assert!(
                err.contains(&global.display().to_string())
                    && err.contains("root")
                    && err.contains(&sudo_ln),
                "{err}"
            );
            assert!(std::fs::symlink_metadata(&link).is_err());
        }
    }
    drop(guard);
}

/// Runs a Wireshark-style extcap call; its standard output.
fn extcap_call(args: &[&str]) -> String {
    let o: Output = udrv().args(args).output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn wireshark_calls_reach_the_extcap_handler_and_capture_options_do_not() {
    assert!(
        extcap_call(&["--extcap-interfaces", "--extcap-version=4.0"])
            .contains("interface {value=udrv-rs485}")
    );
    assert!(
        extcap_call(&["--extcap-interface", "udrv-rs485", "--extcap-dlts"])
            .starts_with("dlt {number=252}")
    );
    assert!(
        extcap_call(&["--extcap-interface", "udrv-rs485", "--extcap-config"])
            .contains("{call=--baud}")
    );
    // An option of `udrv capture` that starts like Wireshark's is the subcommand's: a
    // misspelt one is refused as such, not answered with nothing.
    let o = udrv()
        .args(["capture", "--extcap-instal"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--extcap-instal"));
}
