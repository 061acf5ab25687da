//! udrv's build tasks. Run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! - `test`: everything CI checks: formatting, clippy, docs, host tests, the harness
//!   self-check and the real-kernel tier. Ends with one `tests: N passed, M failed` line.
//! - `vmtest`: the integration tests inside a real Linux kernel under QEMU (see `vm.rs`).

mod cpio;
mod dist;
mod qmp;
mod rpi;
mod util;
mod vm;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use util::{note, Result};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test                    fmt check, clippy, docs, no_std, MSRV, host tests, cross tests,
                          vmtest self-check, vmtest, the same two for --board rpi3b
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
  cross-test [--target TRIPLE]...
                          the host tests for aarch64 and armv7 under qemu-user, and udrv
  vmbench                 udrv-core's per-operation cost vs raw libc loops, in the guest
  msrv                    the workspace builds with its declared rust-version (rustup)

environment: UDRV_CACHE (kernel/initramfs cache; default ~/.cache/udrv)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test_all(),
        Some("vmtest") => parse_vm(&args[1..]).and_then(|o| match o.board.as_deref() {
            Some("rpi3b") => rpi::vmtest(&o),
            _ => vm::vmtest(&o),
        }),
        Some("vmbench") => parse_vm(&args[1..]).and_then(|o| vm::vmbench(&o)),
        Some("dist") => dist::parse_dist(&args[1..]).and_then(|o| dist::dist(&o)),
        Some("cross-test") => dist::parse_cross(&args[1..]).and_then(|t| dist::cross_test(&t)),
        Some("msrv") => check_msrv(&util::workspace_root()),
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
            "--script" => o.script = Some(it.next().ok_or("--script needs a file")?.into()),
            "--board" => match it.next().map(String::as_str) {
                Some("rpi3b") => o.board = Some("rpi3b".into()),
                other => return Err(format!("--board: `rpi3b` is the one board (got {other:?})")),
            },
            "--" => o.test_args.extend(it.by_ref().cloned()),
            other => return Err(format!("vmtest: unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok(o)
}

/// Counts of libtest results seen in a command's output.
#[derive(Default)]
struct Counts {
    passed: u64,
    failed: u64,
}

/// Runs a command, streaming its stdout, and adds up the libtest summary lines in it.
fn run_counted(cmd: &mut Command, counts: &mut Counts) -> Result {
    cmd.stdout(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", util::show(cmd)))?;
    let out = child.stdout.take().expect("piped");
    for line in BufReader::new(out).lines() {
        let line = line.unwrap_or_default();
        println!("{line}");
        let l = line.trim_start();
        if l.starts_with("test result:") || l.starts_with("guest tests:") {
            let mut v = vm::Verdict::default();
            let fake = if l.starts_with("guest") {
                format!("test result: {l}")
            } else {
                l.to_string()
            };
            v.line(&fake);
            counts.passed += v.passed;
            counts.failed += v.failed;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", util::show(cmd)))
    }
}

/// Debian packages the host tests need.
const HOST_PACKAGES: &[&str] = &["tshark", "tcpdump"];

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
fn test_all() -> Result {
    let started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = util::workspace_root();
    let cargo_cmd = |args: &[&str]| {
        let mut c = Command::new(&cargo);
        c.current_dir(&root).args(args);
        c
    };
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut step = |name: &str, r: Result| match &r {
        Ok(()) => note(format!("step `{name}`: ok")),
        Err(e) => {
            note(format!("step `{name}`: FAILED: {e}"));
            failures.push(name.to_string());
        }
    };

    // Real readers the host tests use (tshark decodes our pcap files, tcpdump reads them).
    step("host packages", vm::ensure_packages(HOST_PACKAGES));
    step(
        "fmt",
        util::run(&mut cargo_cmd(&["fmt", "--all", "--check"])),
    );
    step(
        "clippy",
        util::run(&mut cargo_cmd(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ])),
    );
    step(
        "doc",
        util::run(
            cargo_cmd(&["doc", "--workspace", "--no-deps", "--quiet"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        ),
    );
    step("no_std drivers", build_no_std(&cargo_cmd));
    step("msrv", check_msrv(&root));
    step(
        "host tests",
        run_counted(
            &mut cargo_cmd(&["test", "--workspace", "--all-features"]),
            &mut counts,
        ),
    );
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    step(
        "cross tests",
        run_counted(Command::new(&exe).arg("cross-test"), &mut counts),
    );
    step(
        "vmtest selfcheck",
        run_counted(
            Command::new(&exe).args(["vmtest", "--selfcheck"]),
            &mut counts,
        ),
    );
    step(
        "vmtest",
        run_counted(Command::new(&exe).arg("vmtest"), &mut counts),
    );
    step(
        "vmtest rpi3b selfcheck",
        run_counted(
            Command::new(&exe).args(["vmtest", "--board", "rpi3b", "--selfcheck"]),
            &mut counts,
        ),
    );
    step(
        "vmtest rpi3b",
        run_counted(
            Command::new(&exe).args(["vmtest", "--board", "rpi3b"]),
            &mut counts,
        ),
    );

    note(format!(
        "all steps took {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    println!("tests: {} passed, {} failed", counts.passed, counts.failed);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("failed steps: {}", failures.join(", ")))
    }
}
