//! udrv's build tasks. Run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `test`: everything CI checks: formatting, clippy, docs, host tests, the harness
//!   self-check and the real-kernel tier. Ends with one `tests: N passed, M failed` line.
//! - `vmtest`: the integration tests inside a real Linux kernel under QEMU (see `vm.rs`).

mod cpio;
mod dist;
mod guest;
mod peers;
mod qmp;
mod rpi;
mod runner;
mod util;
mod vm;

use std::process::Command;
use std::time::{Duration, Instant};

use util::{note, Result};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test                    fmt check, clippy, docs, no_std, MSRV, host tests, cross-test
                          self-check, cross tests, vmtest self-check, vmtest, the same two
                          for --board rpi3b
  vmtest [options] [-- TEST-ARGS]
                          run the guest_* integration tests in a QEMU guest
      --only NAME         only test binaries whose name contains NAME (repeatable)
      --timeout SECS      seconds before the guest counts as hung (default 600; rpi3b 120)
      --release           build the guest binaries in release mode
      --selfcheck         prove the harness: a failing, a hung and a panicking guest fail
      --script FILE       run a shell script in the guest after the fixtures (exploring)
      --board rpi3b       the emulated Raspberry Pi 3B tier instead (rpi_* tests, see rpi.rs)
  dist [--target TRIPLE]... [--no-deb]
                          ARM release: udrv and the examples for aarch64, armv7 and static
                          aarch64-musl; tarballs and .deb packages in target/dist/
  cross-test [--target TRIPLE]... [--selfcheck]
                          the host tests for aarch64 and armv7 under qemu-user, and udrv;
                          each test binary with a 5-minute deadline (--selfcheck: prove it)
  vmbench [--board rpi3b] [--timeout SECS] [--no-run]
                          udrv-core's per-operation cost vs raw libc loops and peer libraries
                          (libgpiod's C library linked in), in the guest; --board rpi3b: the
                          I2C register read on the emulated Pi; --no-run: build only
  msrv                    the workspace builds with its declared rust-version (rustup)
  host-tests              the host tests as `test` runs them: each test binary on its own
                          with a 5-minute deadline, then the doctests

environment: UDRV_CACHE (kernel/initramfs cache; default ~/.cache/udrv)";

fn main() {
    runner::kill_groups_on_signals();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test_all(),
        Some("vmtest") => parse_vm(&args[1..]).and_then(|o| match o.board.as_deref() {
            Some("rpi3b") => rpi::vmtest(&o),
            _ => vm::vmtest(&o),
        }),
        Some("vmbench") => parse_vm(&args[1..]).and_then(|o| match o.board.as_deref() {
            Some("rpi3b") => rpi::vmbench(&o),
            _ => vm::vmbench(&o),
        }),
        Some("dist") => dist::parse_dist(&args[1..]).and_then(|o| dist::dist(&o)),
        Some("cross-test") => dist::parse_cross(&args[1..]).and_then(|o| dist::cross_test(&o)),
        Some("msrv") => check_msrv(&util::workspace_root()),
        Some("host-tests") => {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            host_tests(&util::workspace_root(), &cargo).1
        }
        Some("-h") | Some("--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n{USAGE}")),
    };
    if let Err(e) = result {
        eprintln!("xtask: error: {e}");
        std::process::exit(1);
    }
}

fn parse_vm(args: &[String]) -> Result<vm::VmOpts> {
    let mut o = vm::VmOpts::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--only" => o.only.push(it.next().ok_or("--only needs a name")?.clone()),
            "--timeout" => {
                o.timeout = Some(
                    it.next()
                        .and_then(|t| t.parse().ok())
                        .ok_or("--timeout needs a number of seconds")?,
                )
            }
            "--release" => o.release = true,
            "--selfcheck" => o.selfcheck = true,
            "--no-run" => o.no_run = true,
            "--script" => o.script = Some(it.next().ok_or("--script needs a file")?.into()),
            "--board" => match it.next().map(String::as_str) {
                Some("rpi3b") => o.board = Some("rpi3b".into()),
                other => {
                    return Err(format!(
                        "--board: `rpi3b` is the one board (got {})",
                        other.map_or("nothing".into(), |b| format!("`{b}`"))
                    ))
                }
            },
            "--" => o.test_args.extend(it.by_ref().cloned()),
            other => return Err(format!("vmtest: unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok(o)
}

/// Tests passed and failed, added up over the steps of `cargo xtask test`.
#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
}

/// Prints the `tests: N passed, M failed` line of a task and, when the task runs as a step
/// of `cargo xtask test` (`UDRV_XTASK_COUNTS` names a file), adds the numbers to that
/// file: the parent reads them from there, never from a pipe.
pub fn report_counts(passed: u64, failed: u64) {
    println!("tests: {passed} passed, {failed} failed");
    if let Some(path) = std::env::var_os("UDRV_XTASK_COUNTS") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = writeln!(f, "{passed} {failed}");
        }
    }
}

/// Runs a command as a step: its output goes straight to ours (no pipe), it runs in its
/// own process group with `deadline`, and the group is killed when it ends. A sub-task
/// (`cargo xtask ...`) reports its counts through `UDRV_XTASK_COUNTS`.
fn step_command(cmd: &mut Command, deadline: Duration) -> (Counts, Result) {
    let counts_file = std::env::temp_dir().join(format!(
        "udrv-xtask-counts-{}-{}",
        std::process::id(),
        STEP.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&counts_file);
    cmd.env("UDRV_XTASK_COUNTS", &counts_file);
    let ended = runner::run_inherited(cmd, deadline);
    let mut counts = Counts::default();
    for line in std::fs::read_to_string(&counts_file)
        .unwrap_or_default()
        .lines()
    {
        let mut n = line
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(0));
        counts.passed += n.next().unwrap_or(0);
        counts.failed += n.next().unwrap_or(0);
    }
    let _ = std::fs::remove_file(&counts_file);
    let result = match ended {
        runner::Ended::Exit(0) => Ok(()),
        other => Err(format!(
            "`{}` failed ({})",
            util::show(cmd),
            util::describe(&other)
        )),
    };
    (counts, result)
}

static STEP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Debian packages the host tests need.
const HOST_PACKAGES: &[&str] = &[
    "tshark",
    "tcpdump",
    "mosquitto",
    "mosquitto-clients",
    "python3-venv",
    // Prometheus (and promtool) and InfluxDB 1.x: the service's tests start their own on
    // free ports (policy-rc.d keeps the packages' daemons from starting).
    "prometheus",
    "influxdb",
    // systemd-analyze checks the service's unit (systemd need not run), with man-db for
    // its man-page check.
    "systemd",
    "man-db",
];

/// Home Assistant's release for Debian 12's Python 3.11 (2024.4 needs 3.12): the service's
/// tests check their discovery documents against its own schemas.
const HOME_ASSISTANT: &str = "homeassistant==2024.3.3";

/// A venv with Home Assistant in the cache (`ha-venv`), made once: best effort, as the
/// service's tests fall back to the documented schema (and say so) without it.
fn ensure_ha_venv() -> Result {
    let venv = util::cache_dir()?.join("ha-venv");
    let python = venv.join("bin/python");
    let ready = |py: &std::path::Path| {
        Command::new(py)
            .args(["-c", "import homeassistant.components.mqtt"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        note(format!(
            "installing {HOME_ASSISTANT} into {}",
            venv.display()
        ));
        let made =
            util::run(Command::new("python3").arg("-m").arg("venv").arg(&venv)).and_then(|()| {
                util::run(Command::new(venv.join("bin/pip")).args([
                    "install",
                    "-q",
                    HOME_ASSISTANT,
                ]))
            });
        if let Err(e) = made {
            note(format!(
                "Home Assistant's venv could not be made ({e}): the service's tests check \
                 discovery against the documented schema only"
            ));
            return Ok(());
        }
    }
    // The tests find it here (cli/tests/serve_mqtt.rs).
    std::env::set_var("UDRV_HA_PYTHON", &python);
    Ok(())
}

/// The drivers crate must build for a bare-metal target (no_std, no Linux).
fn build_no_std(cargo_cmd: &dyn Fn(&[&str]) -> Command) -> Result {
    const TARGET: &str = "thumbv7em-none-eabihf";
    let installed = util::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !installed.lines().any(|l| l.trim() == TARGET) {
        util::run(Command::new("rustup").args(["target", "add", TARGET]))?;
    }
    util::run(&mut cargo_cmd(&[
        "build",
        "--quiet",
        "-p",
        "udrv-drivers",
        "--target",
        TARGET,
    ]))
}

/// The library crates as a dependent gets them: with their default features (the host
/// tests turn every feature on), and with them off.
fn default_features(cargo_cmd: &dyn Fn(&[&str]) -> Command) -> Result {
    // The drivers' own tests without `sim` (no chip models, as on a microcontroller).
    util::run(&mut cargo_cmd(&["test", "--quiet", "-p", "udrv-drivers"]))?;
    util::run(&mut cargo_cmd(&[
        "check",
        "--quiet",
        "--all-targets",
        "-p",
        "udrv-core",
        "-p",
        "udrv-boards",
        "-p",
        "udrv-rs485",
    ]))?;
    // Without tokio; a real board's program without the virtual board's chip models.
    for krate in ["udrv-core", "udrv-boards"] {
        util::run(&mut cargo_cmd(&[
            "check",
            "--quiet",
            "-p",
            krate,
            "--no-default-features",
        ]))?;
    }
    Ok(())
}

/// The workspace's declared `rust-version` (the MSRV of the library crates and the CLI).
fn workspace_msrv(root: &std::path::Path) -> Result<String> {
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("read {}: {e}", manifest.display()))?;
    text.lines()
        .find_map(|l| {
            let v = l
                .strip_prefix("rust-version")?
                .trim_start()
                .strip_prefix('=')?;
            Some(v.trim().trim_matches('"').to_string())
        })
        .ok_or_else(|| format!("{} declares no rust-version", manifest.display()))
}

/// The declared MSRV holds: the workspace (all but this build tool) builds with exactly
/// that toolchain, installed through rustup when missing. Tests and benches are left out:
/// their dev-dependencies may need a newer compiler (proptest 1.12 needs 1.88).
fn check_msrv(root: &std::path::Path) -> Result {
    let msrv = workspace_msrv(root)?;
    let installed = util::output(Command::new("rustup").args(["toolchain", "list"]))?;
    if !installed
        .lines()
        .any(|l| l.starts_with(&format!("{msrv}-")))
    {
        util::run(Command::new("rustup").args([
            "toolchain",
            "install",
            &msrv,
            "--profile",
            "minimal",
        ]))?;
    }
    util::run(
        Command::new("rustup")
            .current_dir(root)
            .args(["run", &msrv, "cargo", "check", "--quiet", "--workspace"])
            .args(["--exclude", "xtask", "--all-features"])
            .arg("--target-dir")
            .arg(root.join("target/msrv"))
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .env_remove("RUSTUP_TOOLCHAIN"),
    )
    .map_err(|e| format!("the workspace does not build with its rust-version {msrv}: {e}"))
}

/// `cargo xtask test`: the README's test command and what CI runs.
///
/// Every step runs with a deadline (a backstop: the tests inside have their own, five
/// minutes per test binary). The final `tests: N passed, M failed` line is whole: M counts
/// failed tests, test binaries that crashed, hung, printed no summary, ran no test or never
/// ran, and one for each failed step that counted no failure of its own (fmt, clippy, a
/// build, a guest that did not boot).
fn test_all() -> Result {
    let started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = util::workspace_root();
    let cargo_cmd = |args: &[&str]| {
        let mut c = Command::new(&cargo);
        c.current_dir(&root).args(args);
        c
    };
    let mut total = Counts::default();
    let mut failures = Vec::new();
    let mut step = |name: &str, (counts, r): (Counts, Result)| {
        total.passed += counts.passed;
        total.failed += counts.failed;
        match &r {
            Ok(()) => note(format!("step `{name}`: ok")),
            Err(e) => {
                note(format!("step `{name}`: FAILED: {e}"));
                failures.push(name.to_string());
                if counts.failed == 0 {
                    total.failed += 1;
                }
            }
        }
    };
    let min = |m: u64| Duration::from_secs(60 * m);
    let plain = |r: Result| (Counts::default(), r);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let xtask = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.args(args);
        c
    };

    // Real readers the host tests use (tshark decodes our pcap files, tcpdump reads them).
    step("host packages", plain(vm::ensure_packages(HOST_PACKAGES)));
    step("home assistant venv", plain(ensure_ha_venv()));
    step(
        "fmt",
        step_command(&mut cargo_cmd(&["fmt", "--all", "--check"]), min(5)),
    );
    step(
        "clippy",
        step_command(
            &mut cargo_cmd(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ]),
            min(25),
        ),
    );
    step(
        "doc",
        step_command(
            cargo_cmd(&["doc", "--workspace", "--no-deps", "--quiet"])
                .env("RUSTDOCFLAGS", "-D warnings"),
            min(15),
        ),
    );
    step("no_std drivers", plain(build_no_std(&cargo_cmd)));
    step("default features", plain(default_features(&cargo_cmd)));
    step("msrv", step_command(&mut xtask(&["msrv"]), min(25)));
    step("host tests", host_tests(&root, &cargo));
    step(
        "cross-test selfcheck",
        step_command(&mut xtask(&["cross-test", "--selfcheck"]), min(5)),
    );
    step(
        "cross tests",
        step_command(&mut xtask(&["cross-test"]), min(35)),
    );
    step(
        "vmtest selfcheck",
        step_command(&mut xtask(&["vmtest", "--selfcheck"]), min(30)),
    );
    step("vmtest", step_command(&mut xtask(&["vmtest"]), min(25)));
    // The guest benchmarks as `vmbench` builds them (with libgpiod's C library), not run.
    step(
        "vmbench build",
        step_command(&mut xtask(&["vmbench", "--no-run"]), min(30)),
    );
    step(
        "vmtest rpi3b selfcheck",
        step_command(
            &mut xtask(&["vmtest", "--board", "rpi3b", "--selfcheck"]),
            min(20),
        ),
    );
    step(
        "vmtest rpi3b",
        step_command(&mut xtask(&["vmtest", "--board", "rpi3b"]), min(20)),
    );

    note(format!(
        "all steps took {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    println!("tests: {} passed, {} failed", total.passed, total.failed);
    util::none_listed(&failures, |f| format!("failed steps: {f}"))
}

/// Whether a test target's source is for the QEMU guests only (`#![cfg(udrv_guest...)]`):
/// it compiles to an empty binary on the host.
pub fn guest_only(src: &std::path::Path) -> bool {
    std::fs::read_to_string(src)
        .map(|s| s.lines().any(|l| l.starts_with("#![cfg(udrv_guest")))
        .unwrap_or(false)
}

/// The host tests: every test executable of the workspace (unit tests of each library and
/// binary, every integration test file but the guest-only ones) run one by one with a
/// deadline each, then the doctests.
fn host_tests(root: &std::path::Path, cargo: &str) -> (Counts, Result) {
    let mut counts = Counts::default();
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args(["test", "--workspace", "--all-features", "--no-run"]);
    let expected = match runner::tested_targets() {
        Ok(t) => t,
        Err(e) => return (counts, Err(e)),
    };
    let bins = match runner::list(&mut build, &expected, 1) {
        Ok(b) => b,
        Err(e) => return (counts, Err(e)),
    };
    let mut failed = Vec::new();
    let mut guest = 0;
    for b in &bins {
        if guest_only(&b.src) {
            guest += 1;
            continue;
        }
        let mut cmd = Command::new(&b.exe);
        cmd.current_dir(&b.dir)
            .env("CARGO_MANIFEST_DIR", &b.dir)
            .env("CARGO_PKG_NAME", &b.package);
        let mut list = Command::new(&b.exe);
        list.current_dir(&b.dir);
        // Unit-test harnesses of libraries and binaries may hold no test; an integration
        // test file exists to run tests.
        let o = runner::run(
            &b.label(),
            &mut cmd,
            runner::BINARY_DEADLINE,
            b.kind != "test",
            Some(&mut list),
        );
        runner::print_outcome(&o);
        let (p, f) = o.counts();
        counts.passed += p;
        counts.failed += f;
        if o.problem().is_some() {
            failed.push(o.name.clone());
        }
    }
    note(format!(
        "{guest} guest-only test targets left to the QEMU tiers (empty on the host)"
    ));
    // Doctests: compiled and run by cargo (one summary per library with docs).
    let mut doc = Command::new(cargo);
    doc.current_dir(root)
        .args(["test", "--doc", "--workspace", "--all-features"]);
    let (ended, output) = runner::run_with_deadline(&mut doc, Duration::from_secs(1200));
    print!("{output}");
    let t = runner::parse_libtest(&output);
    for (p, f) in &t.summaries {
        counts.passed += p;
        counts.failed += f;
    }
    if ended != runner::Ended::Exit(0) {
        failed.push(format!("doctests ({ended:?})"));
    }
    report_counts(counts.passed, counts.failed);
    (
        counts,
        util::none_listed(&failed, |f| format!("failed: {f}")),
    )
}
