//! What both QEMU tiers share: the guest's run script, reading the console into a
//! [`Verdict`], the summary, and the harness self-check.
//!
//! The guest prints markers that the host reads from the serial console:
//!
//! ```text
//! UDRV-GUEST-READY uptime=0.61
//! UDRV-TEST-BEGIN fixtures
//! UDRV-TEST-END fixtures rc=0
//! UDRV-TEST-BEGIN guest_i2c
//! test result: ok. 7 passed; 0 failed; ...
//! UDRV-TEST-END guest_i2c rc=0
//! UDRV-GUEST-EXIT=0 uptime=3.20
//! ```
//!
//! A run passes only if the guest printed its exit marker with 0, the kernel did not panic,
//! the guest finished before its timeout, the fixtures succeeded, and every test binary
//! expected ran to its end with status 0, printed exactly one libtest summary and (run
//! without a test filter) ran at least one test. Each binary has its own deadline inside
//! the guest ([`BINARY_DEADLINE_SECS`]): past it, its whole process group is killed and
//! the binary fails naming the tests that had started and not finished.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cpio::Archive;
use crate::runner::{self, Ended, Outcome};
use crate::util::{self, Result};

/// Seconds a test binary may run inside a guest before its process group is killed.
pub const BINARY_DEADLINE_SECS: u64 = 300;

/// A static test binary to run in a guest.
pub struct TestBin {
    /// The test target's name (`guest_i2c`): its name in `/kb/tests` and in messages.
    pub name: String,
    /// The executable on the host.
    pub path: PathBuf,
}

/// The guest's names for test executables: the target's name, or `NAME-CRATEDIR` when two
/// crates name a test file alike (core's and the CLI's `guest_badinput`): each gets its
/// own file in `/kb/tests`, where the second would otherwise overwrite the first and run
/// in its place (which hid the CLI's `guest_badinput` until this was found).
pub fn named(bins: Vec<runner::TestBinary>) -> Vec<TestBin> {
    let names: Vec<String> = bins.iter().map(|b| b.target.clone()).collect();
    bins.into_iter()
        .map(|b| {
            let dir = b
                .dir
                .file_name()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_else(|| b.package.clone());
            TestBin {
                name: if names.iter().filter(|n| **n == b.target).count() > 1 {
                    format!("{}-{dir}", b.target)
                } else {
                    b.target
                },
                path: b.exe,
            }
        })
        .collect()
}

/// A binary that began in the guest (a `UDRV-TEST-BEGIN` marker) and has not ended yet.
#[derive(Debug, Default)]
struct Running {
    name: String,
    output: String,
    deadline: Option<u64>,
}

/// The outcome of one boot, read from the console.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The guest's init ran (`UDRV-GUEST-READY`).
    pub ready: bool,
    /// `rc` of the guest's run script, if the exit marker was seen.
    pub exit: Option<i32>,
    /// The guest did not finish in time.
    pub timed_out: bool,
    /// The kernel printed a panic.
    pub panicked: bool,
    /// Binaries that ended (the fixtures and the test binaries), in order.
    pub runs: Vec<Outcome>,
    /// The binary running when the console ended, if any.
    running: Option<Running>,
    /// Test binaries that should have run (set by [`Verdict::expect`]).
    pub expected: Vec<String>,
    /// A test filter was given: a binary may run zero tests.
    pub filtered: bool,
    /// The last console lines.
    pub tail: Vec<String>,
    /// `BENCH ` lines of a benchmark run (without the prefix), header excluded.
    pub bench: Vec<String>,
}

/// Finds `marker` anywhere in `line` (a test's unfinished `test NAME ... ` may precede
/// it) and returns what follows.
fn after<'a>(line: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    line.find(marker)
        .map(|i| (&line[..i], &line[i + marker.len()..]))
}

impl Verdict {
    /// Names the test binaries that must run (the fixtures and other scripts are judged by
    /// their status only) and whether a test filter was given.
    pub fn expect(&mut self, binaries: &[TestBin], filtered: bool) {
        self.expected = binaries.iter().map(|b| b.name.clone()).collect();
        self.filtered = filtered;
    }

    /// Feeds one console line into the verdict.
    pub fn line(&mut self, line: &str) {
        if self.tail.len() == 40 {
            self.tail.remove(0);
        }
        self.tail.push(line.to_string());
        if let Some((before, rest)) = after(line, "UDRV-TEST-BEGIN ") {
            self.output_line(before);
            self.end_running(None);
            self.running = Some(Running {
                name: rest.trim().to_string(),
                ..Running::default()
            });
        } else if let Some((before, rest)) = after(line, "UDRV-TEST-DEADLINE ") {
            self.output_line(before);
            if let Some(r) = &mut self.running {
                r.deadline = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok());
            }
        } else if let Some((before, rest)) = after(line, "UDRV-TEST-END ") {
            self.output_line(before);
            let mut parts = rest.split_whitespace();
            let name = parts.next().unwrap_or("?").to_string();
            let rc = parts
                .next()
                .and_then(|p| p.strip_prefix("rc="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(-1);
            match &self.running {
                Some(r) if r.name == name => self.end_running(Some(rc)),
                _ => self.runs.push(outcome(&name, "", Ended::Exit(rc))),
            }
        } else if let Some((_, rest)) = after(line, "UDRV-GUEST-EXIT=") {
            self.exit = rest.split_whitespace().next().and_then(|s| s.parse().ok());
        } else if line.contains("UDRV-GUEST-READY") {
            self.ready = true;
        } else if line.contains("Kernel panic") {
            self.panicked = true;
        } else if let Some(b) = line.strip_prefix("BENCH ") {
            if !b.starts_with("case |") {
                self.bench.push(b.to_string());
            }
        } else {
            self.output_line(line);
        }
    }

    fn output_line(&mut self, text: &str) {
        if let Some(r) = &mut self.running {
            r.output.push_str(text);
            r.output.push('\n');
        }
    }

    /// Ends the running binary with `rc` (`None`: it never printed its end marker).
    fn end_running(&mut self, rc: Option<i32>) {
        let Some(r) = self.running.take() else {
            return;
        };
        let ended = match (r.deadline, rc) {
            (Some(secs), _) => Ended::TimedOut(Duration::from_secs(secs)),
            (None, Some(rc)) => Ended::Exit(rc),
            // Still running when the guest hung or died.
            (None, None) => Ended::TimedOut(Duration::ZERO),
        };
        self.runs.push(outcome(&r.name, &r.output, ended));
    }

    /// The binary that began and never ended (a hung or crashed guest), if any.
    pub fn unfinished(&self) -> Option<&str> {
        self.running.as_ref().map(|r| r.name.as_str())
    }

    /// The libtest-judged outcome of a test binary, or the status-judged one of a script.
    fn judged(&self, o: &Outcome) -> Option<String> {
        if self.expected.contains(&o.name) {
            let o = Outcome {
                filtered: self.filtered,
                ..o.clone()
            };
            o.problem()
        } else {
            match o.ended {
                Ended::Exit(0) => None,
                Ended::Exit(rc) => Some(format!("exit {rc}")),
                _ => o.problem(),
            }
        }
    }

    /// Everything that went wrong, one line each (empty: the run passed).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.timed_out {
            p.push(match &self.running {
                Some(r) => {
                    let o = outcome(&r.name, &r.output, Ended::TimedOut(Duration::ZERO));
                    let started = if o.unfinished.is_empty() {
                        String::new()
                    } else {
                        format!("; started and not finished: {}", o.unfinished.join(", "))
                    };
                    format!("hung (timeout) while running {}{started}", r.name)
                }
                None if !self.ready => "hung (timeout) before its init ran".into(),
                None => "hung (timeout)".into(),
            });
        } else if self.panicked {
            p.push("kernel panicked".into());
        } else if self.exit.is_none() {
            p.push(match &self.running {
                Some(r) => format!("stopped without an exit status while running {}", r.name),
                None => "stopped without an exit status (crash or reset)".into(),
            });
        }
        for o in &self.runs {
            if let Some(why) = self.judged(o) {
                p.push(format!("{}: {why}", o.name));
            }
        }
        let seen: BTreeSet<&str> = self
            .runs
            .iter()
            .map(|o| o.name.as_str())
            .chain(self.unfinished())
            .collect();
        for name in &self.expected {
            if !seen.contains(name.as_str()) {
                p.push(format!("{name}: never ran"));
            }
        }
        if p.is_empty() && self.exit != Some(0) {
            p.push(format!("the guest's run script exited {:?}", self.exit));
        }
        p
    }

    /// Tests passed and failed, each binary that did not end properly (and each expected
    /// binary that never ran, and a guest that hung or crashed outside any binary)
    /// counting as one failed.
    pub fn counts(&self) -> (u64, u64) {
        let (mut passed, mut failed) = (0, 0);
        for o in &self.runs {
            let (p, f) = if self.expected.contains(&o.name) {
                Outcome {
                    filtered: self.filtered,
                    ..o.clone()
                }
                .counts()
            } else {
                (0, u64::from(self.judged(o).is_some()))
            };
            passed += p;
            failed += f;
        }
        let counted = self
            .runs
            .iter()
            .filter(|o| self.judged(o).is_some())
            .count();
        let uncounted = self.problems().len().saturating_sub(counted) as u64;
        (passed, failed + uncounted)
    }
}

/// An [`Outcome`] from a binary's console output.
fn outcome(name: &str, output: &str, ended: Ended) -> Outcome {
    let t = runner::parse_libtest(output);
    Outcome {
        name: name.to_string(),
        ended,
        unfinished: t.unfinished(),
        summaries: t.summaries,
        unreported: Vec::new(),
        filtered: false,
        output: output.to_string(),
    }
}

/// What both tiers' QEMU machines run without: no reboot (a guest that ends stops QEMU),
/// no default devices, no user configuration, no display.
pub const QEMU_BARE: [&str; 5] = [
    "-no-reboot",
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
];

/// Builds the `udrv` binary for `target` with `cargo` (a `cargo` command set up for the
/// tier: its flags, and `target_dir` as its target folder), for tests that run it as a
/// user would; its path.
pub fn build_udrv(
    mut cargo: Command,
    target: &str,
    target_dir: &Path,
    release: bool,
) -> Result<PathBuf> {
    cargo.args([
        "build",
        "--quiet",
        "--package",
        "udrv-cli",
        "--bin",
        "udrv",
        "--target",
        target,
    ]);
    if release {
        cargo.arg("--release");
    }
    util::run(&mut cargo)?;
    let profile = if release { "release" } else { "debug" };
    Ok(target_dir.join(format!("{target}/{profile}/udrv")))
}

/// Quotes a word for the guest's shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `/kb/run` script: the fixtures (their failure fails the run: they count as a
/// binary named `fixtures`), then every test binary once, each in its own session and
/// process group with `deadline` seconds (then the group is killed, a
/// `UDRV-TEST-DEADLINE` marker printed). `env` lines are exported before the tests.
pub fn run_script(tests: &[TestBin], test_args: &[String], deadline: u64, env: &str) -> String {
    let args: Vec<String> = test_args.iter().map(|a| shell_quote(a)).collect();
    let mut s = format!(
        "#!/bin/sh\n\
         # Generated by xtask/src/guest.rs: fixtures, then every test binary.\n\
         fails=0\n\
         # Background jobs get /dev/null as stdin: keep the console's for the tests.\n\
         exec 3<&0\n\
         run_test() {{\n\
         \x20 n=$1; shift\n\
         \x20 echo \"UDRV-TEST-BEGIN $n\"\n\
         \x20 setsid \"$@\" <&3 & pid=$!\n\
         \x20 setsid sh -c \"sleep {deadline}; echo; echo 'UDRV-TEST-DEADLINE $n {deadline}'; kill -KILL -$pid\" </dev/null & watch=$!\n\
         \x20 wait $pid; rc=$?\n\
         \x20 kill -KILL -$watch 2>/dev/null; kill -KILL -$pid 2>/dev/null\n\
         \x20 echo; echo \"UDRV-TEST-END $n rc=$rc\"\n\
         \x20 [ $rc = 0 ] || fails=$((fails+1))\n\
         }}\n\
         run_test fixtures sh /kb/fixtures.sh\n\
         . /kb/fixtures.env\n\
         export RUST_BACKTRACE=1\n\
         {env}"
    );
    for t in tests {
        s.push_str(&format!(
            "run_test {n} /kb/tests/{n} --test-threads=1 {a}\n",
            n = t.name,
            a = args.join(" ")
        ));
    }
    s.push_str("exit $fails\n");
    s
}

/// The per-run payload: `/kb/run`, the fixtures script, test binaries and tools (into
/// `/kb/bin`).
pub fn payload(
    run_script: &str,
    fixtures: &str,
    tests: &[TestBin],
    tools: &[PathBuf],
) -> Result<Vec<u8>> {
    let mut a = Archive::new();
    for d in ["kb", "kb/tests", "kb/bin"] {
        a.dir(d);
    }
    a.file("kb/run", 0o755, run_script.as_bytes());
    a.file("kb/fixtures.sh", 0o755, fixtures.as_bytes());
    for t in tests {
        crate::util::ctx(
            a.host_file(&format!("kb/tests/{}", t.name), &t.path),
            || format!("read {}", t.path.display()),
        )?;
    }
    for tool in tools {
        let name = tool.file_name().unwrap_or_default().to_string_lossy();
        crate::util::ctx(a.host_file(&format!("kb/bin/{name}"), tool), || {
            format!("read {}", tool.display())
        })?;
    }
    Ok(a.finish())
}

/// What the console reader hands over: a whole line, or the text of a line not ended yet
/// (a test's `test NAME ... ` before it finishes: when the guest hangs there, that is
/// the test to name).
pub enum Console {
    /// A line, without its end.
    Line(String),
    /// The unfinished line so far.
    Partial(String),
}

/// The lines of a guest's console (QEMU's stdout), read on a thread so the caller can wait
/// for them with a deadline; carriage returns are dropped.
pub fn console_lines(mut stdout: impl Read + Send + 'static) -> mpsc::Receiver<Console> {
    let (tx, rx) = mpsc::channel::<Console>();
    std::thread::spawn(move || {
        let mut pending: Vec<u8> = Vec::new();
        let mut buf = [0u8; 4096];
        let text = |b: &[u8]| String::from_utf8_lossy(b).replace('\r', "");
        loop {
            let n = match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            while let Some(i) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                if tx.send(Console::Line(text(&line[..i]))).is_err() {
                    return;
                }
            }
            if !pending.is_empty() && tx.send(Console::Partial(text(&pending))).is_err() {
                return;
            }
        }
        if !pending.is_empty() {
            let _ = tx.send(Console::Line(text(&pending)));
        }
    });
    rx
}

/// Follows a guest's console until it ends or `deadline` passes (then the verdict says
/// `timed_out` and the caller stops the machine): each line is echoed to stderr, handed to
/// `on_line` (the Pi tier answers host requests there) and read into the verdict.
///
/// The console goes to stderr because stdout carries only the summary.
pub fn follow_console(
    lines: &mpsc::Receiver<Console>,
    deadline: Instant,
    mut on_line: impl FnMut(&str) -> Result,
) -> Result<Verdict> {
    let mut verdict = Verdict::default();
    let mut partial = String::new();
    loop {
        let now = Instant::now();
        if now >= deadline {
            verdict.timed_out = true;
            // The line the guest was in the middle of (`test NAME ... `) names the test.
            if !partial.is_empty() {
                eprintln!("{partial}");
                verdict.line(&partial);
            }
            return Ok(verdict);
        }
        match lines.recv_timeout(deadline - now) {
            Ok(Console::Line(line)) => {
                partial.clear();
                eprintln!("{line}");
                on_line(&line)?;
                verdict.line(&line);
            }
            Ok(Console::Partial(p)) => partial = p,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(verdict),
        }
    }
}

/// Prints the summary of a boot (each binary, then the `tests: N passed, M failed` line
/// that `cargo xtask test` reads) and turns a failed one into an error naming `machine`
/// ("the guest", "the emulated Pi"); `label` tags the summary header.
pub fn report(v: &Verdict, label: &str, machine: &str) -> Result {
    println!("---- guest summary ({label}) ----");
    for o in &v.runs {
        let status = v
            .judged(o)
            .map_or("ok".to_string(), |w| format!("FAILED ({w})"));
        let (p, f) = o
            .summaries
            .iter()
            .fold((0, 0), |a, s| (a.0 + s.0, a.1 + s.1));
        println!("guest binary {}: {status}; {p} passed, {f} failed", o.name);
    }
    let (passed, failed) = v.counts();
    crate::report_counts(passed, failed);
    let problems = v.problems();
    if problems.is_empty() {
        return Ok(());
    }
    eprintln!("---- last console lines ----");
    for l in &v.tail {
        eprintln!("{l}");
    }
    Err(format!("{machine}: {}", problems.join("; ")))
}

/// One self-check case: a name, the `/kb/tests` binaries (shell scripts standing in for
/// test binaries), the binaries the harness expects, and the cause the verdict must give
/// (`None`: the run must pass).
pub struct SelfCheck {
    /// The case's name.
    pub name: &'static str,
    /// (name, shell script) of each fake test binary, run by the real run script.
    pub binaries: Vec<(&'static str, String)>,
    /// Names of binaries the verdict expects (as `vmtest` expects what it built).
    pub expected: Vec<&'static str>,
    /// The fixtures script.
    pub fixtures: &'static str,
    /// Per-binary deadline in seconds.
    pub deadline: u64,
    /// Seconds the whole guest may run.
    pub timeout: u64,
    /// A text the failure must contain, or `None` for a passing case.
    pub cause: Option<&'static str>,
}

/// The self-check cases both tiers run: each fails for its own reason, shown by the
/// verdict's text. `boot_timeout` is the guest timeout of the normal cases.
pub fn selfcheck_cases(boot_timeout: u64) -> Vec<SelfCheck> {
    let ok = "echo 'test t::a ... ok'\necho 'test result: ok. 1 passed; 0 failed; 0 ignored'\n";
    let fixtures_ok = "echo 'fixtures: nothing to set up' > /dev/null; : > /kb/fixtures.env\n";
    let case = |name, binaries: Vec<(&'static str, String)>, cause| SelfCheck {
        name,
        expected: binaries.iter().map(|(n, _)| *n).collect(),
        binaries,
        fixtures: fixtures_ok,
        deadline: BINARY_DEADLINE_SECS,
        timeout: boot_timeout,
        cause,
    };
    let mut cases = vec![
        case("passing", vec![("selfcheck", ok.to_string())], None),
        case(
            "failing test",
            vec![(
                "selfcheck",
                "echo 'test t::a ... FAILED'\necho 'test result: FAILED. 0 passed; 1 failed; 0 ignored'\nexit 101\n".into(),
            )],
            Some("selfcheck: 1 tests failed"),
        ),
        case(
            "no test run",
            vec![(
                "selfcheck",
                "echo 'test result: ok. 0 passed; 0 failed; 0 ignored'\n".into(),
            )],
            Some("selfcheck: ran no test"),
        ),
        case(
            "no summary",
            vec![("selfcheck", "echo 'nothing here'\n".into())],
            Some("selfcheck: printed no libtest summary"),
        ),
        case(
            "crash",
            vec![(
                "selfcheck",
                "printf 'test t::crashes ... '\nkill -SEGV $$\n".into(),
            )],
            Some("selfcheck: exit 139 without a failed test; started and not finished: t::crashes"),
        ),
        case(
            "kernel panic",
            vec![("selfcheck", "echo c > /proc/sysrq-trigger\nsleep 30\n".into())],
            Some("kernel panicked"),
        ),
    ];
    // A binary the harness built but the guest never ran.
    let mut never = case(
        "never ran",
        vec![("selfcheck", ok.to_string())],
        Some("missing: never ran"),
    );
    never.expected.push("missing");
    cases.push(never);
    // A failing fixture fails the run even when every test passes.
    let mut fixtures = case(
        "fixtures fail",
        vec![("selfcheck", ok.to_string())],
        Some("fixtures: exit 1"),
    );
    fixtures.fixtures = "echo 'FIXTURE-FAIL: on purpose'\n: > /kb/fixtures.env\nexit 1\n";
    cases.push(fixtures);
    // A binary past its own deadline: killed with its process group (and the orphan it
    // left holding the console), named with the test that was running.
    let mut deadline = case(
        "binary deadline",
        vec![
            (
                "selfcheck",
                "printf 'test t::hangs ... '\n(sleep 1000) &\nsleep 1000\n".into(),
            ),
            ("after", ok.to_string()),
        ],
        Some("selfcheck: hung: killed (with its process group) after 3 s; started and not finished: t::hangs"),
    );
    deadline.deadline = 3;
    cases.push(deadline);
    // The whole guest past its timeout: named with the binary and test running.
    let mut hang = case(
        "guest hang",
        vec![(
            "selfcheck",
            "printf 'test t::forever ... '\nwhile :; do sleep 1; done\n".into(),
        )],
        Some("hung (timeout) while running selfcheck; started and not finished: t::forever"),
    );
    hang.timeout = boot_timeout.min(20);
    cases.push(hang);
    cases
}

/// Boots once per self-check case and compares each verdict's cause with the expected
/// one; `boot_case(payload, timeout)` boots a payload. Prints `tests: N passed, M failed`
/// (a case is a test).
pub fn run_selfcheck(
    label: &str,
    cases: &[SelfCheck],
    mut boot_case: impl FnMut(&[u8], Duration) -> Result<Verdict>,
) -> Result {
    let dir = std::env::temp_dir().join(format!("udrv-selfcheck-{}", std::process::id()));
    crate::util::ctx(std::fs::create_dir_all(&dir), || {
        format!("mkdir {}", dir.display())
    })?;
    let mut wrong = Vec::new();
    for c in cases {
        let mut bins = Vec::new();
        for (name, body) in &c.binaries {
            let path = dir.join(name);
            crate::util::write(&path, format!("#!/bin/sh\n{body}"))?;
            crate::util::ctx(
                std::fs::set_permissions(
                    &path,
                    std::os::unix::fs::PermissionsExt::from_mode(0o755),
                ),
                || format!("chmod {}", path.display()),
            )?;
            bins.push(TestBin {
                name: name.to_string(),
                path,
            });
        }
        let script = run_script(&bins, &[], c.deadline, "");
        let payload = payload(&script, c.fixtures, &bins, &[])?;
        let mut v = boot_case(&payload, Duration::from_secs(c.timeout))?;
        v.expected = c.expected.iter().map(|s| s.to_string()).collect();
        let problems = v.problems().join("; ");
        let right = match c.cause {
            None => problems.is_empty() && v.ready,
            Some(cause) => problems.contains(cause) && v.ready,
        };
        println!(
            "{label} {}: {} (expected {})",
            c.name,
            if problems.is_empty() {
                "passed".to_string()
            } else {
                format!("failed: {problems}")
            },
            c.cause.unwrap_or("pass")
        );
        if !right {
            wrong.push(c.name);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    crate::report_counts((cases.len() - wrong.len()) as u64, wrong.len() as u64);
    util::none_listed(&wrong, |w| {
        format!("{label}: harness self-check wrong for: {w}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(lines: &[&str], expected: &[&str]) -> Verdict {
        let mut v = Verdict::default();
        for l in lines {
            v.line(l);
        }
        v.expected = expected.iter().map(|s| s.to_string()).collect();
        v
    }

    #[test]
    fn a_clean_run_passes_and_counts() {
        let v = verdict(
            &[
                "UDRV-GUEST-READY uptime=0.5",
                "UDRV-TEST-BEGIN fixtures",
                "UDRV-TEST-END fixtures rc=0",
                "UDRV-TEST-BEGIN guest_i2c",
                "test a ... ok",
                "test result: ok. 7 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
                "",
                "UDRV-TEST-END guest_i2c rc=0",
                "UDRV-GUEST-EXIT=0 uptime=2.0",
            ],
            &["guest_i2c"],
        );
        assert_eq!(v.problems(), Vec::<String>::new());
        assert_eq!(v.counts(), (7, 0));
    }

    #[test]
    fn each_cause_is_named() {
        let v = verdict(
            &[
                "UDRV-GUEST-READY",
                "UDRV-TEST-BEGIN guest_gpio",
                "test result: FAILED. 3 passed; 1 failed; 0 ignored",
                "UDRV-TEST-END guest_gpio rc=101",
                "UDRV-TEST-BEGIN guest_empty",
                "test result: ok. 0 passed; 0 failed; 0 ignored",
                "UDRV-TEST-END guest_empty rc=0",
                "UDRV-GUEST-EXIT=1",
            ],
            &["guest_gpio", "guest_empty", "guest_missing"],
        );
        assert_eq!(
            v.problems(),
            [
                "guest_gpio: 1 tests failed (exit 101)",
                "guest_empty: ran no test",
                "guest_missing: never ran"
            ]
        );
        assert_eq!(v.counts(), (3, 3));
    }

    #[test]
    fn markers_after_a_partial_test_line_are_seen() {
        let mut v = verdict(
            &[
                "UDRV-GUEST-READY",
                "UDRV-TEST-BEGIN guest_x",
                "test slow::one ... UDRV-TEST-DEADLINE guest_x 300",
                "UDRV-TEST-END guest_x rc=137",
                "UDRV-GUEST-EXIT=1",
            ],
            &["guest_x"],
        );
        v.filtered = false;
        assert_eq!(
            v.problems(),
            ["guest_x: hung: killed (with its process group) after 300 s; started and not finished: slow::one"]
        );
        assert_eq!(v.counts(), (0, 1));
    }

    #[test]
    fn a_hung_or_panicked_guest_is_a_failure_outside_any_binary() {
        let mut v = verdict(
            &["UDRV-GUEST-READY", "UDRV-TEST-BEGIN guest_x", "test t ... "],
            &["guest_x"],
        );
        v.timed_out = true;
        assert_eq!(
            v.problems(),
            ["hung (timeout) while running guest_x; started and not finished: t"]
        );
        assert_eq!(v.counts(), (0, 1));
        let v = verdict(&["Kernel panic - not syncing"], &[]);
        assert_eq!(v.problems(), ["kernel panicked"]);
        assert_eq!(v.counts(), (0, 1));
        // A filter may select nothing.
        let mut v = verdict(
            &[
                "UDRV-GUEST-READY",
                "UDRV-TEST-BEGIN guest_x",
                "test result: ok. 0 passed; 0 failed; 0 ignored",
                "UDRV-TEST-END guest_x rc=0",
                "UDRV-GUEST-EXIT=0",
            ],
            &["guest_x"],
        );
        v.filtered = true;
        assert!(v.problems().is_empty());
    }

    #[test]
    fn binaries_named_alike_in_two_crates_get_their_own_names() {
        let bin = |package: &str, dir: &str, target: &str| runner::TestBinary {
            package: package.into(),
            target: target.into(),
            kind: "test".into(),
            exe: PathBuf::from(format!("/t/{dir}/{target}")),
            dir: PathBuf::from(format!("/w/{dir}")),
            src: PathBuf::new(),
        };
        let names: Vec<String> = named(vec![
            bin("udrv-core", "core", "guest_badinput"),
            bin("udrv-cli", "cli", "guest_badinput"),
            bin("udrv-cli", "cli", "guest_cli_i2c"),
        ])
        .into_iter()
        .map(|t| t.name)
        .collect();
        assert_eq!(
            names,
            ["guest_badinput-core", "guest_badinput-cli", "guest_cli_i2c"]
        );
    }

    #[test]
    fn run_script_quotes_arguments_runs_fixtures_and_sets_deadlines() {
        let t = [TestBin {
            name: "guest_x".into(),
            path: PathBuf::from("/x"),
        }];
        let s = run_script(&t, &["it's".into()], 300, "export A=1\n");
        assert!(s.contains("run_test guest_x /kb/tests/guest_x --test-threads=1 'it'\\''s'"));
        assert!(s.contains("run_test fixtures sh /kb/fixtures.sh"));
        assert!(s.contains("sleep 300;"));
        assert!(s.contains("export A=1\n"));
        assert!(s.ends_with("exit $fails\n"));
    }
}
