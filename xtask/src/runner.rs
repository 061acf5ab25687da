//! Running test binaries on this machine (natively or under qemu-user) so that none can
//! hang the test command or hide what it did.
//!
//! - Each binary runs in its own process group with its own deadline. On expiry the whole
//!   group gets SIGKILL and the failure names the binary and the tests that had started
//!   and not finished (libtest's "has been running for over 60 seconds" notices, which
//!   every test past the one-minute mark prints, and the tests it never reported).
//! - Output goes to a file, never a pipe: an orphan that keeps the binary's stdout open
//!   (a child it forked) cannot make us wait. When the binary ends, its group is killed,
//!   so orphans do not outlive it either.
//! - A binary passes only if it exited 0, printed exactly one libtest summary, and, when no
//!   test filter was given, ran at least one test.
//!
//! [`list`] asks cargo for the test executables (`--no-run`) and checks that every test
//! target selected has exactly one.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, Result};

/// One test executable cargo built.
#[derive(Debug, Clone)]
pub struct TestBinary {
    /// The package (`udrv-core`).
    pub package: String,
    /// The target name (`i2c`, or the crate name for unit tests).
    pub target: String,
    /// The target kind (`lib`, `bin`, `test`, `bench`, `example`).
    pub kind: String,
    /// The executable.
    pub exe: PathBuf,
    /// The package folder: cargo runs test binaries there.
    pub dir: PathBuf,
    /// The target's source file.
    pub src: PathBuf,
}

impl TestBinary {
    /// How the binary is named in messages: `udrv-core tests/i2c.rs` or `udrv-core (lib)`.
    pub fn label(&self) -> String {
        match self.kind.as_str() {
            "test" => format!("{} tests/{}.rs", self.package, self.target),
            kind => format!("{} ({kind} {})", self.package, self.target),
        }
    }
}

/// Seconds a test binary may run on the host or under qemu-user.
pub const BINARY_DEADLINE: Duration = Duration::from_secs(300);

/// Seconds a build of test binaries may take (a backstop: cold builds take minutes).
const BUILD_DEADLINE: Duration = Duration::from_secs(40 * 60);

/// The workspace's `(package, target)` pairs that `keep(kind, name, tested)` accepts,
/// from `cargo metadata` (`tested`: the target's `test = true`).
pub fn select_targets(keep: impl Fn(&str, &str, bool) -> bool) -> Result<Vec<(String, String)>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = util::output(
        Command::new(cargo)
            .current_dir(util::workspace_root())
            .args(["metadata", "--no-deps", "--format-version", "1"]),
    )?;
    let v: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut pairs = Vec::new();
    for p in v["packages"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let kind = t["kind"][0].as_str().unwrap_or_default();
            let name = t["name"].as_str().unwrap_or_default();
            if keep(kind, name, t["test"] == true) {
                pairs.push((
                    p["name"].as_str().unwrap_or_default().to_string(),
                    name.to_string(),
                ));
            }
        }
    }
    Ok(pairs)
}

/// The `(package, target)` pairs `cargo test` builds test executables for by default:
/// every target of the workspace's packages with `test = true` (xtask's own included).
pub fn tested_targets() -> Result<Vec<(String, String)>> {
    select_targets(|kind, _, tested| tested && matches!(kind, "lib" | "bin" | "test"))
}

/// Runs `cargo` (a `test --no-run` command with its selection already given) with JSON
/// messages and a deadline, and returns the test executables it built. Every `(package,
/// target)` pair of `expected` must have exactly `copies` executables (one per `--target`
/// given), or the build counts as failed: a target cargo lists but did not build is found
/// here, not by its silence later.
pub fn list(
    cargo: &mut Command,
    expected: &[(String, String)],
    copies: usize,
) -> Result<Vec<TestBinary>> {
    cargo.arg("--message-format=json-render-diagnostics");
    // The build's progress and diagnostics go to our stderr, the JSON to a file.
    let (ended, json, _) = exec(cargo, BUILD_DEADLINE, Stderr::Inherit);
    if ended != Ended::Exit(0) {
        return Err(format!(
            "`{}` failed ({})",
            util::show(cargo),
            util::describe(&ended)
        ));
    }
    let mut bins = Vec::new();
    for line in json.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-artifact" || v["profile"]["test"] != true {
            continue;
        }
        let Some(exe) = v["executable"].as_str() else {
            continue;
        };
        let manifest = PathBuf::from(v["manifest_path"].as_str().unwrap_or_default());
        bins.push(TestBinary {
            package: package_name(v["package_id"].as_str().unwrap_or_default()),
            target: v["target"]["name"].as_str().unwrap_or_default().to_string(),
            kind: v["target"]["kind"][0]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            exe: PathBuf::from(exe),
            dir: manifest.parent().map(PathBuf::from).unwrap_or_default(),
            src: PathBuf::from(v["target"]["src_path"].as_str().unwrap_or_default()),
        });
    }
    let mut problems = Vec::new();
    for (package, target) in expected {
        let n = bins
            .iter()
            .filter(|b| &b.package == package && &b.target == target)
            .count();
        if n != copies {
            problems.push(format!(
                "{package} {target}: {n} executables, {copies} expected"
            ));
        }
    }
    if problems.is_empty() {
        Ok(bins)
    } else {
        Err(format!(
            "cargo listed test targets it did not build: {}",
            problems.join("; ")
        ))
    }
}

/// Prints one line for a binary that passed, its whole output for one that did not.
pub fn print_outcome(o: &Outcome) {
    let (p, f) = o.counts();
    match o.problem() {
        None => println!("ok      {}: {p} passed", o.name),
        Some(why) => {
            println!("---- {} ----\n{}", o.name, o.output.trim_end());
            if !o.unreported.is_empty() {
                println!("never reported: {}", o.unreported.join(", "));
            }
            println!("FAILED  {}: {why} ({p} passed, {f} failed)", o.name);
        }
    }
}

/// The package name in a cargo package id.
fn package_name(id: &str) -> String {
    if let Some((_, rest)) = id.split_once('#') {
        // `...#udrv-core@0.1.0` or `...#0.1.0` (name = last path segment)
        if let Some((name, _)) = rest.split_once('@') {
            return name.to_string();
        }
        let path = id.split('#').next().unwrap_or_default();
        return path.rsplit('/').next().unwrap_or_default().to_string();
    }
    id.split_whitespace().next().unwrap_or_default().to_string()
}

/// How a binary ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exit(i32),
    /// A signal ended it.
    Signal(i32),
    /// It passed its deadline and its process group was killed.
    TimedOut(Duration),
    /// It could not be started.
    CannotStart(String),
}

/// What one binary did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The label of the binary.
    pub name: String,
    /// How it ended.
    pub ended: Ended,
    /// Its libtest summaries: (passed, failed).
    pub summaries: Vec<(u64, u64)>,
    /// Tests that started and had not finished when it ended (for a hang: the culprits).
    pub unfinished: Vec<String>,
    /// Tests it listed (`--list`) but never reported, when it ended early.
    pub unreported: Vec<String>,
    /// Whether a test filter was given (then zero tests may run).
    pub filtered: bool,
    /// Everything it printed.
    pub output: String,
}

impl Outcome {
    /// Tests passed and failed, counting a binary that did not end properly (crash, hang,
    /// no summary, no test) as one failed.
    pub fn counts(&self) -> (u64, u64) {
        let passed = self.summaries.iter().map(|s| s.0).sum();
        let failed: u64 = self.summaries.iter().map(|s| s.1).sum();
        if failed == 0 && self.problem().is_some() {
            (passed, 1)
        } else {
            (passed, failed)
        }
    }

    /// Why this binary failed, in one line; `None` when it passed.
    pub fn problem(&self) -> Option<String> {
        let unfinished = || {
            if self.unfinished.is_empty() {
                String::new()
            } else {
                format!("; started and not finished: {}", self.unfinished.join(", "))
            }
        };
        match &self.ended {
            Ended::CannotStart(e) => return Some(format!("could not start: {e}")),
            Ended::TimedOut(d) => {
                return Some(format!(
                    "hung: killed (with its process group) after {} s{}",
                    d.as_secs(),
                    unfinished()
                ))
            }
            Ended::Signal(s) => {
                return Some(format!("killed by signal {s}{}", unfinished()));
            }
            Ended::Exit(0) => {}
            Ended::Exit(rc) => {
                let failed: u64 = self.summaries.iter().map(|s| s.1).sum();
                if failed > 0 {
                    return Some(format!("{failed} tests failed (exit {rc})"));
                }
                return Some(format!("exit {rc} without a failed test{}", unfinished()));
            }
        }
        match self.summaries.len() {
            0 => return Some("printed no libtest summary".into()),
            1 => {}
            n => return Some(format!("printed {n} libtest summaries (one expected)")),
        }
        let (p, f) = self.summaries[0];
        if f > 0 {
            return Some(format!("{f} tests failed"));
        }
        if p == 0 && !self.filtered {
            return Some("ran no test".into());
        }
        None
    }
}

/// Reads libtest's output: the summaries, the tests reported finished, and those that
/// were reported running for over a minute.
pub struct Libtest {
    /// (passed, failed) of each `test result:` line.
    pub summaries: Vec<(u64, u64)>,
    /// Tests reported with a result.
    pub finished: BTreeSet<String>,
    /// Tests reported as running long, or started (`--test-threads=1` prints
    /// `test NAME ... ` before the test runs).
    pub started: Vec<String>,
}

impl Libtest {
    /// The tests that started and never reported a result, each once, sorted.
    pub fn unfinished(&self) -> Vec<String> {
        self.started
            .iter()
            .filter(|s| !self.finished.contains(*s))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
}

/// Parses libtest output (any line may carry a test's partial line before it).
pub fn parse_libtest(output: &str) -> Libtest {
    let mut t = Libtest {
        summaries: Vec::new(),
        finished: BTreeSet::new(),
        started: Vec::new(),
    };
    for line in output.lines() {
        if let Some(i) = line.find("test result: ") {
            let l = &line[i..];
            t.summaries
                .push((count_before(l, " passed"), count_before(l, " failed")));
            continue;
        }
        if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|r| r.strip_suffix(" has been running for over 60 seconds"))
        {
            t.started.push(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, result)) = rest.split_once(" ... ") {
                let result = result.trim();
                if result.starts_with("ok")
                    || result.starts_with("FAILED")
                    || result.starts_with("ignored")
                    || result.starts_with("bench")
                {
                    t.finished.insert(name.to_string());
                } else {
                    // `test NAME ... ` and then whatever the next output was.
                    t.started.push(name.to_string());
                }
            } else if let Some(name) = rest.strip_suffix(" ...") {
                t.started.push(name.to_string());
            }
        }
    }
    t
}

/// In `test result: ok. 3 passed; 0 failed; ...`, the number before `word`.
pub fn count_before(line: &str, word: &str) -> u64 {
    line.find(word)
        .and_then(|i| line[..i].rsplit(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Runs one test binary (`cmd` is the full command: the executable or its emulator) with
/// `deadline`, output into a file. `list_cmd`, when given, is the same command with
/// `--list` (used only after a binary ended early, to name the tests it never reported).
pub fn run(
    name: &str,
    cmd: &mut Command,
    deadline: Duration,
    filtered: bool,
    list_cmd: Option<&mut Command>,
) -> Outcome {
    let mut outcome = Outcome {
        name: name.to_string(),
        ended: Ended::Exit(0),
        summaries: Vec::new(),
        unfinished: Vec::new(),
        unreported: Vec::new(),
        filtered,
        output: String::new(),
    };
    let (ended, output) = run_with_deadline(cmd, deadline);
    outcome.ended = ended;
    outcome.output = output;
    let t = parse_libtest(&outcome.output);
    outcome.unfinished = t.unfinished();
    outcome.summaries = t.summaries;
    let ended_early = !matches!(outcome.ended, Ended::Exit(_)) || outcome.summaries.is_empty();
    if ended_early {
        if let Some(list) = list_cmd {
            let (_, listed) = run_with_deadline(list.arg("--list"), Duration::from_secs(120));
            outcome.unreported = listed
                .lines()
                .filter_map(|l| l.strip_suffix(": test"))
                .filter(|n| !t.finished.contains(*n) && !outcome.unfinished.iter().any(|u| u == n))
                .map(String::from)
                .collect();
        }
    }
    outcome
}

/// Runs `cmd` in a new process group with its stdout and stderr in one temporary file;
/// kills the group when the command ends or at `deadline`, whichever is first. Returns
/// how it ended and what it printed.
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> (Ended, String) {
    let (ended, out, _) = exec(cmd, deadline, Stderr::Merged);
    (ended, out)
}

/// Runs `cmd` with our own stdout and stderr (no pipe, no file), in its own process group
/// with `deadline`; the group is killed when it ends.
pub fn run_inherited(cmd: &mut Command, deadline: Duration) -> Ended {
    cmd.stdin(Stdio::null());
    supervise(cmd, deadline)
}

/// Where a command's standard error goes in [`exec`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stderr {
    /// Into the same file as stdout.
    Merged,
    /// Into a file of its own (returned).
    File,
    /// To ours (a build's progress and diagnostics).
    Inherit,
}

/// Runs `cmd` with stdout into a file and stderr as `stderr` says, in its own process
/// group with `deadline`. Returns how it ended, stdout and (for [`Stderr::File`]) stderr.
pub fn exec(cmd: &mut Command, deadline: Duration, stderr: Stderr) -> (Ended, String, String) {
    let (out, out_path) = match tempfile() {
        Ok(f) => f,
        Err(e) => return (Ended::CannotStart(e), String::new(), String::new()),
    };
    let mut err_path = None;
    let err = match stderr {
        Stderr::Inherit => Stdio::inherit(),
        Stderr::Merged => match out.try_clone() {
            Ok(f) => f.into(),
            Err(e) => {
                return (
                    Ended::CannotStart(e.to_string()),
                    String::new(),
                    String::new(),
                )
            }
        },
        Stderr::File => match tempfile() {
            Ok((f, p)) => {
                err_path = Some(p);
                f.into()
            }
            Err(e) => return (Ended::CannotStart(e), String::new(), String::new()),
        },
    };
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let ended = supervise(cmd, deadline);
    let read = |p: &PathBuf| {
        let s = fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let _ = fs::remove_file(p);
        s
    };
    let stdout = read(&out_path);
    let stderr = err_path.as_ref().map(read).unwrap_or_default();
    (ended, stdout, stderr)
}

/// Process groups of the commands running now, killed if we are interrupted.
static GROUPS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// Spawns `cmd` in a new process group and waits for it until `deadline`, then kills the
/// group (after a normal end too: orphans go with it).
fn supervise(cmd: &mut Command, deadline: Duration) -> Ended {
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Err(e) => return Ended::CannotStart(format!("{}: {e}", util::show(cmd))),
        Ok(c) => c,
    };
    let pgid = child.id() as i32;
    GROUPS.lock().unwrap_or_else(|e| e.into_inner()).push(pgid);
    let start = Instant::now();
    let ended = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(c), _) => Ended::Exit(c),
                    (None, Some(s)) => Ended::Signal(s),
                    _ => Ended::Exit(-1),
                }
            }
            Ok(None) if start.elapsed() >= deadline => {
                kill_group(pgid);
                let _ = child.wait();
                break Ended::TimedOut(deadline);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Ended::CannotStart(e.to_string()),
        }
    };
    kill_group(pgid);
    GROUPS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|g| *g != pgid);
    ended
}

/// On SIGINT, SIGTERM or SIGHUP: kill every process group we started, then exit 130. The
/// groups are not our terminal's foreground group, so a Ctrl-C would not reach them.
///
/// A handler (signal-hook's, which only stores the signal's number), not a blocked mask
/// read by `sigwait`: a blocked mask would be inherited by every program we start (std does
/// not reset it), which then could not be stopped by those signals; a handler is reset to
/// the default by `exec`.
pub fn kill_groups_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let signalled = Arc::new(AtomicUsize::new(0));
    for s in [SIGINT, SIGTERM, SIGHUP] {
        if let Err(e) = signal_hook::flag::register_usize(s, Arc::clone(&signalled), s as usize) {
            eprintln!("xtask: cannot handle signal {s}: {e}");
        }
    }
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(100));
        let sig = signalled.load(Ordering::SeqCst);
        if sig != 0 {
            for g in GROUPS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                kill_group(*g);
            }
            eprintln!("xtask: interrupted (signal {sig}); the commands it started were killed");
            std::process::exit(130);
        }
    });
}

/// SIGKILL to a whole process group (gone already is fine).
pub fn kill_group(pgid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// A new empty file in the temporary folder, and its path.
fn tempfile() -> std::result::Result<(fs::File, PathBuf), String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "udrv-xtask-{}-{}.log",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map(|f| (f, path.clone()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    /// Runs `script` as a test binary named `name`: 30 s deadline, unfiltered, no test list.
    fn run_sh(name: &str, script: &str) -> Outcome {
        run(name, &mut sh(script), Duration::from_secs(30), false, None)
    }

    #[test]
    fn a_passing_binary_passes_and_is_counted() {
        let o = run_sh(
            "ok",
            "echo 'test a ... ok'; echo 'test result: ok. 1 passed; 0 failed; 0 ignored'",
        );
        assert_eq!(o.problem(), None, "{o:?}");
        assert_eq!(o.counts(), (1, 0));
    }

    #[test]
    fn a_binary_that_runs_no_test_or_prints_no_summary_fails() {
        let none = run_sh(
            "none",
            "echo 'test result: ok. 0 passed; 0 failed; 0 ignored'",
        );
        assert_eq!(none.problem().as_deref(), Some("ran no test"));
        assert_eq!(none.counts(), (0, 1));
        // With a filter, zero is allowed.
        let filtered = Outcome {
            filtered: true,
            ..none.clone()
        };
        assert_eq!(filtered.problem(), None);
        let silent = run_sh("silent", "true");
        assert_eq!(
            silent.problem().as_deref(),
            Some("printed no libtest summary")
        );
        let two = run_sh("two", "echo 'test result: ok. 1 passed; 0 failed'; echo 'test result: ok. 1 passed; 0 failed'");
        assert!(two.problem().unwrap().contains("2 libtest summaries"));
    }

    #[test]
    fn a_hung_binary_is_killed_at_its_deadline_naming_the_test() {
        let o = run(
            "hang",
            &mut sh("echo 'test fast ... ok'; echo 'test slow has been running for over 60 seconds'; sleep 1000"),
            Duration::from_millis(500),
            false,
            Some(&mut sh(
                "echo 'fast: test'; echo 'slow: test'; echo 'never: test'; true",
            )),
        );
        let p = o.problem().unwrap();
        assert!(p.starts_with("hung") && p.contains("slow"), "{p}");
        assert_eq!(o.unreported, ["never"]);
        assert_eq!(o.counts().1, 1);
    }

    #[test]
    fn an_orphan_holding_stdout_does_not_hold_us_and_dies_with_the_group() {
        // The binary forks a child that keeps its stdout open, ignores SIGTERM and sleeps,
        // then exits 0. Waiting for the orphan would hang this test (and its binary's own
        // deadline would fail it).
        let script = "(trap '' TERM; exec sleep 1001) & \
             echo 'test result: ok. 1 passed; 0 failed'; exit 0";
        let o = run(
            "orphan",
            &mut sh(script),
            Duration::from_secs(600),
            false,
            None,
        );
        assert_eq!(o.problem(), None);
        // The orphan was killed with the group.
        let ps = util::output(Command::new("ps").args(["-eo", "args"])).unwrap();
        assert!(!ps.lines().any(|l| l.trim() == "sleep 1001"), "{ps}");
    }

    #[test]
    fn failures_and_signals_are_named() {
        let o = run_sh(
            "fail",
            "echo 'test a ... FAILED'; echo 'test result: FAILED. 2 passed; 1 failed'; exit 101",
        );
        assert_eq!(o.counts(), (2, 1));
        assert!(o.problem().unwrap().contains("1 tests failed"));
        let o = run_sh("crash", "echo 'test x ... '; kill -SEGV $$");
        assert_eq!(o.ended, Ended::Signal(11));
        assert!(
            o.problem().unwrap().contains("started and not finished: x"),
            "{:?}",
            o.problem()
        );
    }

    /// What we start can be stopped by SIGINT and SIGTERM: our own signal handling does
    /// not leave them blocked or ignored in children (a capture test stopped by SIGTERM
    /// hung when it did).
    #[test]
    fn children_start_with_signals_deliverable() {
        kill_groups_on_signals();
        let (ended, out) = run_with_deadline(
            &mut sh("grep -E '^Sig(Blk|Ign)' /proc/self/status"),
            Duration::from_secs(30),
        );
        assert_eq!(ended, Ended::Exit(0));
        let mask = |name: &str| {
            let hex = out
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_else(|| panic!("{out}"))
                .trim();
            u64::from_str_radix(hex, 16).unwrap()
        };
        for sig in [2, 15, 1] {
            let bit = 1u64 << (sig - 1);
            assert_eq!(mask("SigBlk:") & bit, 0, "signal {sig} blocked: {out}");
            assert_eq!(mask("SigIgn:") & bit, 0, "signal {sig} ignored: {out}");
        }
    }

    #[test]
    fn package_names_from_both_id_forms() {
        assert_eq!(
            package_name("path+file:///w/core#udrv-core@0.1.0"),
            "udrv-core"
        );
        assert_eq!(package_name("path+file:///w/xtask#0.1.0"), "xtask");
        assert_eq!(
            package_name("udrv-core 0.1.0 (path+file:///w/core)"),
            "udrv-core"
        );
    }
}
