//! `cargo xtask vmtest`: the real-kernel test tier.
//!
//! Builds (once, cached) a small x86_64 Linux kernel from Debian's `linux-source-6.1` with
//! the config fragment in `xtask/guest/kernel.config`, a base initramfs with busybox and
//! the kernel's modules, then for each run: static test binaries (`guest_*` integration
//! tests of every crate, compiled with `--cfg udrv_guest`), packed into a second cpio
//! appended to the base. QEMU boots it under TCG (or KVM when a working one is present);
//! the guest sets up its fixtures (`xtask/guest/fixtures.sh`), runs each test binary, and
//! prints markers that this module reads from the serial console:
//!
//! ```text
//! UDRV-GUEST-READY uptime=0.61
//! UDRV-TEST-BEGIN guest_i2c
//! test result: ok. 7 passed; 0 failed; ...
//! UDRV-TEST-END guest_i2c rc=0
//! UDRV-GUEST-EXIT=0 uptime=3.20
//! ```
//!
//! The run fails when any binary fails, when the exit marker is missing (kernel panic,
//! crash) or when the guest does not finish within the timeout (hang).

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::cpio::Archive;
use crate::util::{self, ctx, note, Result};

/// Debian packages the tier needs on the host.
const PACKAGES: &[&str] = &[
    "qemu-system-x86",
    "busybox-static",
    "kmod",
    "linux-source-6.1",
    "build-essential",
    "flex",
    "bison",
    "bc",
    "libelf-dev",
    "libssl-dev",
];

/// Bump when the kernel build recipe below changes (the fragment is hashed separately).
const KERNEL_RECIPE: &str = "udrv-kernel-recipe-1";
/// Bump when the base initramfs layout changes.
const BASE_RECIPE: &str = "udrv-base-recipe-3";

/// Options of one `vmtest` run.
#[derive(Debug, Default)]
pub struct VmOpts {
    /// Run only test binaries whose name contains one of these (all `guest_*` when empty).
    pub only: Vec<String>,
    /// Arguments passed to every test binary (e.g. a libtest name filter).
    pub test_args: Vec<String>,
    /// Seconds before the guest counts as hung (`None`: the tier's default).
    pub timeout: Option<u64>,
    /// Build in release mode (for benchmarks).
    pub release: bool,
    /// Run the harness self-check instead of the tests.
    pub selfcheck: bool,
    /// Run this shell script in the guest (after the fixtures) instead of the tests:
    /// for exploring the guest. Its exit status is the run's.
    pub script: Option<PathBuf>,
    /// `--board rpi3b`: run the emulated Raspberry Pi tier (`rpi.rs`) instead.
    pub board: Option<String>,
}

/// A built (cached) kernel.
pub struct Kernel {
    /// The bzImage.
    pub image: PathBuf,
    /// The folder holding `lib/modules/<release>`.
    pub modroot: PathBuf,
    /// The cache key (hash of fragment and recipe).
    pub key: String,
}

/// The outcome of one boot, read from the console.
#[derive(Debug, Default)]
pub struct Verdict {
    /// `rc` of the guest's run script, if the exit marker was seen.
    pub exit: Option<i32>,
    /// The guest did not finish in time.
    pub timed_out: bool,
    /// The kernel printed a panic.
    pub panicked: bool,
    /// Binaries that ended, with their exit status.
    pub binaries: Vec<(String, i32)>,
    /// A binary that began but never ended.
    pub unfinished: Option<String>,
    /// libtest summary lines seen.
    pub summaries: Vec<String>,
    /// Sum of `N passed` over the summaries.
    pub passed: u64,
    /// Sum of `N failed` over the summaries.
    pub failed: u64,
    /// The last console lines.
    pub tail: Vec<String>,
    /// `BENCH ` lines of a benchmark run (without the prefix), header excluded.
    pub bench: Vec<String>,
}

impl Verdict {
    /// Whether everything in the guest passed.
    pub fn ok(&self) -> bool {
        self.exit == Some(0)
            && !self.timed_out
            && !self.panicked
            && self.unfinished.is_none()
            && self.failed == 0
            && self.binaries.iter().all(|(_, rc)| *rc == 0)
    }

    /// Feeds one console line into the verdict.
    pub fn line(&mut self, line: &str) {
        if self.tail.len() == 40 {
            self.tail.remove(0);
        }
        self.tail.push(line.to_string());
        if let Some(rest) = line.strip_prefix("UDRV-TEST-BEGIN ") {
            self.unfinished = Some(rest.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("UDRV-TEST-END ") {
            let mut parts = rest.split_whitespace();
            let name = parts.next().unwrap_or("?").to_string();
            let rc = parts
                .next()
                .and_then(|p| p.strip_prefix("rc="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(-1);
            self.binaries.push((name, rc));
            self.unfinished = None;
        } else if let Some(rest) = line.strip_prefix("UDRV-GUEST-EXIT=") {
            self.exit = rest.split_whitespace().next().and_then(|s| s.parse().ok());
        } else if line.contains("Kernel panic") {
            self.panicked = true;
        } else if let Some(b) = line.strip_prefix("BENCH ") {
            if !b.starts_with("case |") {
                self.bench.push(b.to_string());
            }
        } else if line.starts_with("test result:") {
            self.summaries.push(line.to_string());
            self.passed += count_before(line, " passed");
            self.failed += count_before(line, " failed");
        }
    }
}

/// In `test result: ok. 3 passed; 0 failed; ...`, the number before `word`.
fn count_before(line: &str, word: &str) -> u64 {
    line.find(word)
        .and_then(|i| line[..i].rsplit(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn guest_dir() -> PathBuf {
    util::workspace_root().join("xtask/guest")
}

/// Checks the host packages, installing the missing ones when root.
pub fn ensure_packages(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !util::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", p]))
                .map(|s| s.contains("install ok installed"))
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let cmd = format!(
        "apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    if !util::is_root() {
        return Err(format!(
            "missing Debian packages: {}\n  install them with: sudo apt-get update && sudo {cmd}",
            missing.join(" ")
        ));
    }
    note(format!("installing {}", missing.join(" ")));
    util::run(Command::new("apt-get").args(["update", "-qq"]))?;
    util::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing),
    )
}

/// The kernel, built on first use and cached by the hash of the config fragment.
pub fn kernel() -> Result<Kernel> {
    let fragment_path = guest_dir().join("kernel.config");
    let fragment = util::read(&fragment_path)?;
    let src_version =
        util::output(Command::new("dpkg-query").args(["-W", "-f=${Version}", "linux-source-6.1"]))?;
    let key = util::hash(format!("{KERNEL_RECIPE}\n{src_version}\n{fragment}").as_bytes())?;
    let cache = util::cache_dir()?;
    let out = cache.join(format!("kernel-{key}"));
    let kernel = Kernel {
        image: out.join("bzImage"),
        modroot: out.join("modules"),
        key: key.clone(),
    };
    let _lock = util::FileLock::acquire(&cache.join("kernel.lock"))?;
    if out.join("done").exists() {
        return Ok(kernel);
    }
    let build = cache.join(format!("kernel-build-{key}"));
    let log = cache.join(format!("kernel-build-{key}.log"));
    note(format!(
        "building the guest kernel (first run only; a few minutes); log: {}",
        log.display()
    ));
    let started = Instant::now();
    let _ = fs::remove_dir_all(&build);
    let _ = fs::remove_dir_all(&out);
    ctx(fs::create_dir_all(&build), || {
        format!("mkdir {}", build.display())
    })?;
    util::run(
        Command::new("tar")
            .arg("-C")
            .arg(&build)
            .args(["-xf", "/usr/src/linux-source-6.1.tar.xz"]),
    )?;
    let src = build.join("linux-source-6.1");
    let logf = ctx(fs::File::create(&log), || {
        format!("create {}", log.display())
    })?;
    let make = |args: &[&str]| -> Result {
        let mut cmd = Command::new("make");
        cmd.arg("-C").arg(&src).args(args);
        cmd.stdout(logf.try_clone().map_err(|e| e.to_string())?);
        cmd.stderr(logf.try_clone().map_err(|e| e.to_string())?);
        util::run(&mut cmd).map_err(|e| format!("{e}; see {}", log.display()))
    };
    make(&["tinyconfig"])?;
    util::run(
        Command::new("./scripts/kconfig/merge_config.sh")
            .current_dir(&src)
            .args(["-m", ".config"])
            .arg(&fragment_path)
            .stdout(Stdio::null()),
    )?;
    make(&["olddefconfig"])?;
    // Every option the fragment asks for must have survived olddefconfig (a dependency
    // missing from the fragment silently drops an option otherwise).
    let config = util::read(&src.join(".config"))?;
    let lost: Vec<&str> = fragment
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .filter(|l| !config.lines().any(|c| c == *l))
        .collect();
    if !lost.is_empty() {
        return Err(format!(
            "kernel config: these lines of {} did not survive olddefconfig (missing \
             dependencies?): {}",
            fragment_path.display(),
            lost.join(", ")
        ));
    }
    let jobs = format!(
        "-j{}",
        std::thread::available_parallelism().map_or(2, |n| n.get())
    );
    make(&[&jobs, "bzImage", "modules"])?;
    ctx(fs::create_dir_all(&kernel.modroot), || {
        format!("mkdir {}", kernel.modroot.display())
    })?;
    let modpath = format!("INSTALL_MOD_PATH={}", kernel.modroot.display());
    make(&["modules_install", &modpath, "INSTALL_MOD_STRIP=1"])?;
    ctx(
        fs::copy(src.join("arch/x86/boot/bzImage"), &kernel.image),
        || "copy bzImage".into(),
    )?;
    util::write(&out.join("config"), &config)?;
    util::write(&out.join("done"), "")?;
    let _ = fs::remove_dir_all(&build);
    note(format!(
        "kernel built in {:.0} s, cached in {}",
        started.elapsed().as_secs_f64(),
        out.display()
    ));
    Ok(kernel)
}

/// The base initramfs (busybox, modules, init, users), cached per kernel and recipe.
pub fn base_initramfs(kernel: &Kernel) -> Result<PathBuf> {
    let init = util::read(&guest_dir().join("init.sh"))?;
    let busybox = Path::new("/bin/busybox");
    let bb_meta = ctx(fs::metadata(busybox), || "/bin/busybox".into())?;
    let key =
        util::hash(format!("{BASE_RECIPE}\n{}\n{}\n{init}", kernel.key, bb_meta.len()).as_bytes())?;
    let cache = util::cache_dir()?;
    let path = cache.join(format!("initramfs-{key}.cpio"));
    if path.exists() {
        return Ok(path);
    }
    let mut a = Archive::new();
    guest_skeleton(&mut a, busybox, &init)?;
    ctx(
        a.host_tree("lib/modules", &kernel.modroot.join("lib/modules")),
        || "kernel modules".into(),
    )?;
    ctx(a.save(&path), || format!("write {}", path.display()))?;
    Ok(path)
}

/// What every guest's initramfs starts with (both QEMU tiers): the directory tree,
/// busybox, `init`, and the users and groups the permission tests use: root, and `udrv`
/// (uid 1000) who is in no device group until a test adds it.
pub(crate) fn guest_skeleton(a: &mut Archive, busybox: &Path, init: &str) -> Result {
    for d in [
        "bin",
        "sbin",
        "usr",
        "usr/bin",
        "usr/sbin",
        "dev",
        "proc",
        "sys",
        "tmp",
        "run",
        "etc",
        "root",
        "home",
        "home/udrv",
        "lib",
        "lib/modules",
    ] {
        a.dir(d);
    }
    ctx(a.host_file("bin/busybox", busybox), || {
        format!("busybox {}", busybox.display())
    })?;
    a.file("init", 0o755, init.as_bytes());
    a.file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nudrv:x:1000:1000:udrv:/home/udrv:/bin/sh\n",
    );
    a.file(
        "etc/group",
        0o644,
        b"root:x:0:\ni2c:x:990:\nspi:x:991:\ngpio:x:992:\nuio:x:993:\ndialout:x:20:\nudrv:x:1000:\n",
    );
    Ok(())
}

/// RUSTFLAGS of guest binaries: static, with the guest cfg, small.
const GUEST_RUSTFLAGS: &str =
    "-C target-feature=+crt-static --cfg udrv_guest -C debuginfo=0 -C strip=debuginfo";

/// A static test binary to run in the guest.
struct TestBin {
    name: String,
    path: PathBuf,
}

/// Builds the `guest_*` integration tests and the `udrv` binary, statically linked.
fn build_guest_binaries(opts: &VmOpts) -> Result<(Vec<TestBin>, Vec<PathBuf>)> {
    let root = util::workspace_root();
    let target_dir = root.join("target/guest");
    let rustflags = GUEST_RUSTFLAGS;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Select the guest test targets from the workspace metadata, so a run builds only
    // what it runs (and a broken test elsewhere does not stop `--only`).
    let meta = util::output(Command::new(&cargo).current_dir(&root).args([
        "metadata",
        "--no-deps",
        "--format-version",
        "1",
    ]))?;
    let meta: serde_json::Value =
        serde_json::from_str(&meta).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut selected = Vec::new();
    for pkg in meta["packages"].as_array().into_iter().flatten() {
        for t in pkg["targets"].as_array().into_iter().flatten() {
            let name = t["name"].as_str().unwrap_or_default();
            let is_test = t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"));
            if is_test
                && name.starts_with("guest")
                && (opts.only.is_empty() || opts.only.iter().any(|o| name.contains(o.as_str())))
            {
                selected.push((
                    pkg["name"].as_str().unwrap_or_default().to_string(),
                    name.to_string(),
                ));
            }
        }
    }
    if selected.is_empty() {
        return Err(format!("no guest test binary matches {:?}", opts.only));
    }
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .env("RUSTFLAGS", rustflags)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
            "--target",
            "x86_64-unknown-linux-gnu",
        ]);
    for (pkg, name) in &selected {
        cmd.args(["--package", pkg, "--test", name]);
    }
    if opts.release {
        cmd.arg("--release");
    }
    cmd.stderr(Stdio::inherit());
    note("building static guest test binaries");
    let json = util::output(&mut cmd)?;
    let mut tests = Vec::new();
    for line in json.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-artifact" || v["profile"]["test"] != true {
            continue;
        }
        let kinds = &v["target"]["kind"];
        let name = v["target"]["name"].as_str().unwrap_or_default();
        if kinds
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "test"))
            && name.starts_with("guest")
            && (opts.only.is_empty() || opts.only.iter().any(|o| name.contains(o.as_str())))
        {
            if let Some(exe) = v["executable"].as_str() {
                // Two crates may name a test file alike (core's and the CLI's
                // guest_badinput): each gets its own file in the guest, `NAME-CRATEDIR`,
                // or the second would overwrite the first and run in its place.
                let dir = v["manifest_path"]
                    .as_str()
                    .and_then(|m| Path::new(m).parent()?.file_name()?.to_str())
                    .unwrap_or("x");
                tests.push((name.to_string(), dir.to_string(), PathBuf::from(exe)));
            }
        }
    }
    let tests = tests
        .iter()
        .map(|(name, dir, exe)| TestBin {
            name: if tests.iter().filter(|t| &t.0 == name).count() > 1 {
                format!("{name}-{dir}")
            } else {
                name.clone()
            },
            path: exe.clone(),
        })
        .collect();
    let udrv = build_udrv(opts)?;
    Ok((tests, vec![udrv]))
}

/// Builds the `udrv` binary statically, for tests and scripts that run it as a user would.
fn build_udrv(opts: &VmOpts) -> Result<PathBuf> {
    let root = util::workspace_root();
    let target_dir = root.join("target/guest");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .env("RUSTFLAGS", GUEST_RUSTFLAGS)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args([
            "build",
            "--quiet",
            "--package",
            "udrv-cli",
            "--bin",
            "udrv",
            "--target",
            "x86_64-unknown-linux-gnu",
        ]);
    if opts.release {
        cmd.arg("--release");
    }
    util::run(&mut cmd)?;
    let profile = if opts.release { "release" } else { "debug" };
    let udrv = target_dir.join(format!("x86_64-unknown-linux-gnu/{profile}/udrv"));
    Ok(udrv)
}

/// The per-run payload: `/kb/run`, the fixtures script, test binaries and tools.
fn payload(run_script: &str, tests: &[TestBin], tools: &[PathBuf]) -> Result<Vec<u8>> {
    let mut a = Archive::new();
    a.dir("kb");
    a.dir("kb/tests");
    a.dir("kb/bin");
    a.file("kb/run", 0o755, run_script.as_bytes());
    let fixtures = util::read(&guest_dir().join("fixtures.sh"))?;
    a.file("kb/fixtures.sh", 0o755, fixtures.as_bytes());
    for t in tests {
        ctx(
            a.host_file(&format!("kb/tests/{}", t.name), &t.path),
            || format!("read {}", t.path.display()),
        )?;
    }
    for tool in tools {
        let name = tool.file_name().unwrap_or_default().to_string_lossy();
        ctx(a.host_file(&format!("kb/bin/{name}"), tool), || {
            format!("read {}", tool.display())
        })?;
    }
    Ok(a.finish())
}

/// The `/kb/run` script that runs every test binary once.
fn run_script(tests: &[TestBin], test_args: &[String]) -> String {
    let args: Vec<String> = test_args.iter().map(|a| shell_quote(a)).collect();
    let mut s = String::from(
        "#!/bin/sh\n\
         # Generated by xtask/src/vm.rs: fixtures, then every guest test binary.\n\
         sh /kb/fixtures.sh\n\
         . /kb/fixtures.env\n\
         export RUST_BACKTRACE=1\n\
         fails=0\n",
    );
    for t in tests {
        s.push_str(&format!(
            "echo 'UDRV-TEST-BEGIN {n}'\n/kb/tests/{n} --test-threads=1 {a}\nrc=$?\n\
             echo \"UDRV-TEST-END {n} rc=$rc\"\n[ $rc = 0 ] || fails=$((fails+1))\n",
            n = t.name,
            a = args.join(" ")
        ));
    }
    s.push_str("exit $fails\n");
    s
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether a KVM that runs ordinary guests is present (here `/dev/kvm` is `kvm_pvm`, which
/// hangs them, so TCG is used).
fn kvm_usable() -> bool {
    Path::new("/dev/kvm").exists()
        && !Path::new("/sys/module/kvm_pvm").exists()
        && fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok()
}

/// Boots the kernel with `base` + `payload` as initramfs, streams the console to stdout,
/// and returns what it saw.
pub fn boot(kernel: &Kernel, base: &Path, payload: &[u8], timeout: Duration) -> Result<Verdict> {
    let dir = util::workspace_root().join("target/vmtest");
    ctx(fs::create_dir_all(&dir), || {
        format!("mkdir {}", dir.display())
    })?;
    let initrd = dir.join(format!("initrd-{}.cpio", std::process::id()));
    let mut image = ctx(fs::read(base), || format!("read {}", base.display()))?;
    image.extend_from_slice(payload);
    util::write(&initrd, &image)?;
    let accel = if kvm_usable() { "kvm" } else { "tcg" };
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-M", "pc", "-accel", accel, "-smp", "1", "-m", "1024"])
        .args([
            "-no-reboot",
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
        ])
        .args(["-serial", "stdio"])
        .arg("-kernel")
        .arg(&kernel.image)
        .arg("-initrd")
        .arg(&initrd)
        .args([
            "-append",
            // spidev.bufsiz is lowered from 4096 so tests of messages past it clock few bytes
            // through the (slow, bit-banged) parallel-port master.
            "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic spidev.bufsiz=256",
        ])
        // Two parallel ports: i2c-parport on the first, spi-lm70llp on the second.
        .args([
            "-chardev",
            "null,id=pp0",
            "-device",
            "isa-parallel,chardev=pp0,index=0",
        ])
        .args([
            "-chardev",
            "null,id=pp1",
            "-device",
            "isa-parallel,chardev=pp1,index=1",
        ])
        // The edu PCI device, bound to uio_pci_generic in the guest.
        .args(["-device", "edu"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    note(format!(
        "booting the guest ({accel}, timeout {} s)",
        timeout.as_secs()
    ));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let lines = console_lines(stdout);
    let verdict = follow_console(&lines, Instant::now() + timeout, |_| Ok(()))?;
    if verdict.timed_out {
        let _ = child.kill();
    }
    let _ = child.wait();
    let _ = fs::remove_file(&initrd);
    Ok(verdict)
}

/// The lines of a guest's console (QEMU's stdout), read on a thread so the caller can wait
/// for them with a deadline; carriage returns are dropped.
pub(crate) fn console_lines(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\n', '\r'])
                        .replace('\r', "");
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Follows a guest's console until it ends or `deadline` passes (then the verdict says
/// `timed_out` and the caller stops the machine): each line is echoed to stderr, handed to
/// `on_line` (the Pi tier answers host requests there) and read into the verdict.
///
/// The console goes to stderr because stdout carries only the summary: a caller that
/// counts libtest lines (`cargo xtask test`) must count each guest test once.
pub(crate) fn follow_console(
    lines: &mpsc::Receiver<String>,
    deadline: Instant,
    mut on_line: impl FnMut(&str) -> Result,
) -> Result<Verdict> {
    let mut verdict = Verdict::default();
    loop {
        let now = Instant::now();
        if now >= deadline {
            verdict.timed_out = true;
            return Ok(verdict);
        }
        match lines.recv_timeout(deadline - now) {
            Ok(line) => {
                eprintln!("{line}");
                on_line(&line)?;
                verdict.line(&line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(verdict),
        }
    }
}

/// Prints the summary of a boot of the x86 guest and turns a failed one into an error.
fn report(v: &Verdict) -> Result {
    report_as(v, "guest", "the guest")
}

/// Prints the summary of a boot (the `guest tests:` line is what `cargo xtask test` adds
/// up) and turns a failed one into an error naming `machine` ("the guest", "the emulated
/// Pi"); `label` tags the summary header.
pub(crate) fn report_as(v: &Verdict, label: &str, machine: &str) -> Result {
    println!("---- guest summary ({label}) ----");
    for s in &v.summaries {
        println!("guest {s}");
    }
    for (name, rc) in &v.binaries {
        let status = match rc {
            0 => "ok".to_string(),
            -1 => "FAILED (never ran)".to_string(),
            rc => format!("FAILED (exit {rc})"),
        };
        println!("guest binary {name}: {status}");
    }
    println!(
        "guest tests: {} passed, {} failed (in {} binaries)",
        v.passed,
        v.failed,
        v.binaries.len()
    );
    if v.ok() {
        return Ok(());
    }
    let why = if v.timed_out {
        match &v.unfinished {
            Some(b) => format!("{machine} hung (timeout) while running {b}"),
            None => format!("{machine} hung (timeout)"),
        }
    } else if v.panicked {
        format!("{machine}'s kernel panicked")
    } else if v.exit.is_none() {
        format!("{machine} stopped without an exit status (crash or reset)")
    } else {
        format!("guest tests failed on {machine}")
    };
    eprintln!("---- last console lines ----");
    for l in &v.tail {
        eprintln!("{l}");
    }
    Err(why)
}

/// `cargo xtask vmtest`.
pub fn vmtest(opts: &VmOpts) -> Result {
    let started = Instant::now();
    ensure_packages(PACKAGES)?;
    let kernel = kernel()?;
    let base = base_initramfs(&kernel)?;
    if opts.selfcheck {
        return selfcheck(&kernel, &base);
    }
    if let Some(path) = &opts.script {
        let body = util::read(path)?;
        let script = format!(
            "#!/bin/sh\nsh /kb/fixtures.sh\n. /kb/fixtures.env\ncat > /kb/script.sh <<'UDRV_EOF'\n{body}\nUDRV_EOF\n\
             echo 'UDRV-TEST-BEGIN script'\nsh /kb/script.sh; rc=$?\necho \"UDRV-TEST-END script rc=$rc\"\nexit $rc\n"
        );
        let payload = payload(&script, &[], &[build_udrv(opts)?])?;
        let v = boot(
            &kernel,
            &base,
            &payload,
            Duration::from_secs(opts.timeout.unwrap_or(600)),
        )?;
        return report(&v);
    }
    let (tests, tools) = build_guest_binaries(opts)?;
    if tests.is_empty() {
        return Err(format!("no guest test binary matches {:?}", opts.only));
    }
    let script = run_script(&tests, &opts.test_args);
    let payload = payload(&script, &tests, &tools)?;
    let mut v = boot(
        &kernel,
        &base,
        &payload,
        Duration::from_secs(opts.timeout.unwrap_or(600)),
    )?;
    // Every binary must have run to its end marker; one that never started is a failure.
    for t in &tests {
        if !v.binaries.iter().any(|(n, _)| n == &t.name) && v.unfinished.as_ref() != Some(&t.name) {
            v.binaries.push((t.name.clone(), -1));
        }
    }
    let r = report(&v);
    note(format!(
        "vmtest took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    r
}

/// `cargo xtask vmbench`: the core's per-operation cost against raw libc loops, side by
/// side in one boot (`core/benches/guest_bench.rs`). Prints a Markdown table.
pub fn vmbench(opts: &VmOpts) -> Result {
    ensure_packages(PACKAGES)?;
    let kernel = kernel()?;
    let base = base_initramfs(&kernel)?;
    let root = util::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    note("building the guest benchmark (release)");
    let json = util::output(
        Command::new(&cargo)
            .current_dir(&root)
            .env("RUSTFLAGS", GUEST_RUSTFLAGS)
            .env("CARGO_TARGET_DIR", root.join("target/guest"))
            .args([
                "bench",
                "--no-run",
                "--package",
                "udrv-core",
                "--bench",
                "guest_bench",
                "--message-format=json-render-diagnostics",
                "--target",
                "x86_64-unknown-linux-gnu",
            ])
            .stderr(Stdio::inherit()),
    )?;
    let exe = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == "guest_bench")
        .and_then(|v| v["executable"].as_str().map(PathBuf::from))
        .ok_or("cargo built no guest_bench executable")?;
    let bench = TestBin {
        name: "guest_bench".into(),
        path: exe,
    };
    let script = "#!/bin/sh\nsh /kb/fixtures.sh >/dev/null\n. /kb/fixtures.env\n\
                  echo 'UDRV-TEST-BEGIN guest_bench'\n/kb/tests/guest_bench; rc=$?\n\
                  echo \"UDRV-TEST-END guest_bench rc=$rc\"\nexit $rc\n";
    let payload = payload(script, std::slice::from_ref(&bench), &[])?;
    let v = boot(
        &kernel,
        &base,
        &payload,
        Duration::from_secs(opts.timeout.unwrap_or(600)),
    )?;
    report(&v)?;
    println!("\n| case | raw ns/op | udrv ns/op | udrv / raw |\n|---|---|---|---|");
    for l in &v.bench {
        println!("| {l} |");
    }
    Ok(())
}

/// Proves the harness itself: a failing guest test, a hung guest and a panicking kernel
/// must each make the run fail, and a passing one must pass.
fn selfcheck(kernel: &Kernel, base: &Path) -> Result {
    let cases: [(&str, &str, bool); 4] = [
        (
            "passing",
            "echo 'UDRV-TEST-BEGIN selfcheck'\necho 'test result: ok. 1 passed; 0 failed; 0 ignored'\necho 'UDRV-TEST-END selfcheck rc=0'\nexit 0\n",
            true,
        ),
        (
            "failing test",
            "echo 'UDRV-TEST-BEGIN selfcheck'\necho 'test result: FAILED. 0 passed; 1 failed; 0 ignored'\necho 'UDRV-TEST-END selfcheck rc=101'\nexit 1\n",
            false,
        ),
        ("hang", "echo 'UDRV-TEST-BEGIN selfcheck'\nwhile :; do sleep 1; done\n", false),
        // A real kernel crash (CONFIG_MAGIC_SYSRQ): with panic=-1 the machine resets at once.
        ("kernel panic", "echo c > /proc/sysrq-trigger\nsleep 5\n", false),
    ];
    run_selfcheck("selfcheck", &cases, |payload, name| {
        let secs = if name == "hang" { 8 } else { 30 };
        boot(kernel, base, payload, Duration::from_secs(secs))
    })
}

/// Boots once per self-check case (a `/kb/run` script) and compares each verdict with the
/// expected one; `boot_case` boots a payload for the named case. Shared by both QEMU tiers.
pub(crate) fn run_selfcheck(
    label: &str,
    cases: &[(&str, &str, bool)],
    mut boot_case: impl FnMut(&[u8], &str) -> Result<Verdict>,
) -> Result {
    let mut wrong = Vec::new();
    for (name, body, should_pass) in cases {
        let script = format!("#!/bin/sh\n{body}");
        let mut a = Archive::new();
        a.dir("kb");
        a.file("kb/run", 0o755, script.as_bytes());
        let passed = boot_case(&a.finish(), name)?.ok();
        println!(
            "{label} {name}: guest run {} (expected {})",
            if passed { "passed" } else { "failed" },
            if *should_pass { "pass" } else { "fail" }
        );
        if passed != *should_pass {
            wrong.push(*name);
        }
    }
    if wrong.is_empty() {
        println!("{label}: {} passed, 0 failed", cases.len());
        Ok(())
    } else {
        Err(format!(
            "{label}: harness self-check wrong for: {}",
            wrong.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_reads_markers() {
        let mut v = Verdict::default();
        for l in [
            "UDRV-GUEST-READY uptime=0.5",
            "UDRV-TEST-BEGIN guest_i2c",
            "test result: ok. 7 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out",
            "UDRV-TEST-END guest_i2c rc=0",
            "UDRV-GUEST-EXIT=0 uptime=2.0",
        ] {
            v.line(l);
        }
        assert!(v.ok());
        assert_eq!(v.passed, 7);
    }

    #[test]
    fn verdict_fails_on_failed_test_missing_exit_or_unfinished() {
        let mut v = Verdict::default();
        v.line("UDRV-TEST-BEGIN guest_gpio");
        v.line("test result: FAILED. 3 passed; 1 failed; 0 ignored");
        v.line("UDRV-TEST-END guest_gpio rc=101");
        v.line("UDRV-GUEST-EXIT=1");
        assert!(!v.ok());
        assert_eq!((v.passed, v.failed), (3, 1));

        let mut v = Verdict::default();
        v.line("UDRV-TEST-BEGIN guest_spi");
        assert!(!v.ok());
        assert_eq!(v.unfinished.as_deref(), Some("guest_spi"));

        let mut v = Verdict::default();
        v.line("UDRV-GUEST-EXIT=0");
        v.line("Kernel panic - not syncing: Attempted to kill init!");
        assert!(!v.ok());
    }

    #[test]
    fn run_script_quotes_arguments() {
        let t = [TestBin {
            name: "guest_x".into(),
            path: PathBuf::from("/x"),
        }];
        let s = run_script(&t, &["it's".into()]);
        assert!(s.contains("/kb/tests/guest_x --test-threads=1 'it'\\''s'"));
        assert!(s.ends_with("exit $fails\n"));
    }
}
