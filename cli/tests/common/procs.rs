//! Servers and the service as children of a host test (`serve_*.rs`): each in its own
//! process group under a deadline that kills the group and names what hung; free ports
//! on 127.0.0.1; a small HTTP/1.0 client for the servers' APIs.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A child process in its own process group, killed (group and all) at its deadline or
/// when dropped. Its standard output and error go to `NAME.out` and `NAME.err`.
pub struct Proc {
    /// The child.
    pub child: Child,
    done: Arc<AtomicBool>,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// Sends `signal` (`-TERM`, `-KILL`) to the process group `pid` leads.
pub fn kill_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
}

impl Proc {
    /// Starts `cmd` as `name`, its files in `dir`, killed after `deadline`.
    pub fn start(name: &str, cmd: &mut Command, dir: &Path, deadline: Duration) -> Proc {
        use std::os::unix::process::CommandExt;
        let stdout = dir.join(format!("{name}.out"));
        let stderr = dir.join(format!("{name}.err"));
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let done = Arc::new(AtomicBool::new(false));
        let (pid, d, n) = (child.id(), done.clone(), name.to_string());
        std::thread::spawn(move || {
            let end = Instant::now() + deadline;
            while Instant::now() < end {
                if d.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!("HUNG: {n} (pid {pid}) ran past its deadline of {deadline:?}: killed");
            kill_group(pid, "-KILL");
        });
        Proc {
            child,
            done,
            stdout,
            stderr,
        }
    }

    /// Sends `signal` (`-TERM`, `-HUP`) to the process.
    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status();
    }

    /// Waits for it to end.
    pub fn wait(&mut self) -> ExitStatus {
        let s = self.child.wait().unwrap();
        self.done.store(true, Ordering::Relaxed);
        s
    }

    /// What it wrote on standard output so far.
    pub fn stdout(&self) -> String {
        fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// What it wrote on standard error so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.done.load(Ordering::Relaxed) {
            kill_group(self.child.id(), "-KILL");
            let _ = self.child.wait();
            self.done.store(true, Ordering::Relaxed);
        }
    }
}

/// Waits until `ok` holds; panics naming `what` (and showing `context`) at the deadline.
pub fn wait_for(
    what: &str,
    deadline: Duration,
    mut ok: impl FnMut() -> bool,
    context: impl Fn() -> String,
) {
    let end = Instant::now() + deadline;
    while !ok() {
        if Instant::now() > end {
            panic!("never saw {what} within {deadline:?}\n{}", context());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A port nothing listens on now, on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `s` percent-encoded for a URL's query.
pub fn url_encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// One HTTP/1.0 request to 127.0.0.1:`port` (headers `extra`, each ending in `\r\n`):
/// the status code and the body, or why it could not be had.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    extra: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not HTTP: {text:?}"))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status: {head:?}"))?;
    Ok((code, body.to_string()))
}

/// Panics if the distribution's own daemon `prog` runs (as its package's user `user`):
/// installing the package must not have started it (`cargo xtask` keeps it from starting
/// with a policy-rc.d), and the tests start their own.
pub fn assert_no_distribution_daemon(user: &str, prog: &str) {
    let o = Command::new("pgrep")
        .args(["-u", user, "-x", prog])
        .output()
        .unwrap_or_else(|e| panic!("pgrep: {e}"));
    assert!(
        o.stdout.is_empty(),
        "the distribution's {prog} runs (as {user}, pid {}): stop it and disable it \
         (systemctl disable --now {prog}); the tests start their own on free ports",
        String::from_utf8_lossy(&o.stdout).trim()
    );
}

/// Starts `cmd` (a `udrv ... serve --config ...`) as `serve` in `dir`, killed after
/// `deadline`, and waits until its socket at `socket` speaks the protocol's hello
/// (panicking, with its standard error, if it never does).
fn serve_until_hello(mut cmd: Command, socket: &Path, dir: &Path, deadline: Duration) -> Proc {
    let p = Proc::start("serve", &mut cmd, dir, deadline);
    wait_for(
        "the service's socket answering",
        Duration::from_secs(60),
        || {
            let Ok(s) = std::os::unix::net::UnixStream::connect(socket) else {
                return false;
            };
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(s), &mut line).is_ok()
                && line.contains("udrv_serve")
        },
        || p.stderr(),
    );
    p
}

/// `udrv serve` holding declared lines: `udrv ARGS... serve --config CONFIG` started by the
/// binary `udrv` (a path, or `udrv` from PATH in the guest), waited for until its socket
/// at `socket` speaks the protocol's hello.
pub fn serve_holding(udrv: &str, args: &[&str], config: &Path, socket: &Path, dir: &Path) -> Proc {
    let mut cmd = Command::new(udrv);
    cmd.args(args)
        .args(["serve", "--config"])
        .arg(config)
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env_remove("UDRV_VIRTUAL_TIME");
    serve_until_hello(cmd, socket, dir, Duration::from_secs(600))
}

/// Writes `dir/udrv.toml` for a `udrv serve` on the guest board with its state in
/// `dir/state`, its socket at `socket` and the `[[line]]` tables `lines`; its path.
pub fn serve_config(dir: &Path, socket: &Path, lines: &str) -> PathBuf {
    let config = dir.join("udrv.toml");
    let text = format!(
        "board = \"guest\"\n[state]\ndir = \"{}/state\"\n[socket]\npath = \"{}\"\n{lines}",
        dir.display(),
        socket.display()
    );
    fs::write(&config, text).unwrap();
    config
}

/// Starts `udrv serve --config CONFIG` (the `udrv` on PATH, with `env` set) in `dir`,
/// killed after `deadline`, and waits until its socket speaks.
pub fn start_serve(
    config: &Path,
    socket: &Path,
    dir: &Path,
    env: &[(&str, &str)],
    deadline: Duration,
) -> Proc {
    let mut cmd = Command::new("udrv");
    cmd.args(["serve", "--config"])
        .arg(config)
        .envs(env.iter().copied());
    serve_until_hello(cmd, socket, dir, deadline)
}

/// `udrv args...` (the binary `udrv`) as a client of the service on `socket`, under a
/// deadline of a minute.
pub fn udrv_client(udrv: &str, socket: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("timeout");
    cmd.args(["60", udrv]).args(args).stdin(Stdio::null());
    let run = cmd.env("UDRV_SERVE_SOCKET", socket).output();
    run.unwrap_or_else(|e| panic!("cannot run {udrv}: {e}"))
}
