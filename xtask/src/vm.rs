//! `cargo xtask vmtest`: the real-kernel test tier.
//!
//! Builds (once, cached) a small x86_64 Linux kernel from Debian's `linux-source-6.12` with
//! the config fragment in `xtask/guest/kernel.config` and udrv's fixture modules
//! (`xtask/guest/*.c`, e.g. the PWM-on-a-looped-GPIO for the kernel's `pwm-gpio`), a base initramfs with busybox and
//! the kernel's modules, then for each run: static test binaries (`guest_*` integration
//! tests of every crate, compiled with `--cfg udrv_guest`), packed into a second cpio
//! appended to the base. QEMU boots it under TCG (or KVM when a working one is present);
//! the guest sets up its fixtures (`xtask/guest/fixtures.sh`) and runs each test binary;
//! `guest.rs` writes the run script and judges the console's markers (shared with the
//! emulated Pi tier, `rpi.rs`). The peers' tools (i2c-tools, libgpiod 2.x) ride along in
//! a cached cpio (`peers.rs`) so tests can compare udrv with them on the same devices.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cpio::Archive;
use crate::guest::{self, TestBin, Verdict};
use crate::util::{self, ctx, note, Result};

/// Debian packages the tier needs on the host.
const PACKAGES: &[&str] = &[
    "qemu-system-x86",
    "busybox-static",
    "kmod",
    KERNEL_SOURCE,
    "build-essential",
    "flex",
    "bison",
    "bc",
    "libelf-dev",
    "libssl-dev",
];

/// Debian's kernel source package (bookworm-security/-updates carry 6.12, the LTS that
/// Raspberry Pi OS ships too; its `/usr/src/<package>.tar.xz` unpacks to `<package>/`).
/// 6.12 rather than bookworm's own 6.1: `pwm-gpio` (a real PWM chip on a GPIO line, for
/// the PWM tests) is 6.11 and later.
const KERNEL_SOURCE: &str = "linux-source-6.12";
/// Bump when the kernel build recipe below changes (the fragment and the fixture modules'
/// sources are hashed separately).
const KERNEL_RECIPE: &str = "udrv-kernel-recipe-2";
/// udrv's own fixture modules, built in the kernel's tree as `drivers/gpio/<name>.ko`.
const FIXTURE_MODULES: &[&str] = &["udrv_pwm_loop"];
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
    /// `vmbench --no-run`: build the benchmarks (as CI does), do not boot.
    pub no_run: bool,
}

impl VmOpts {
    /// Whether a test target is among those `--only` names (all when none is given).
    pub fn selects(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }
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
    // Packages with a daemon (mosquitto) must not start it: the tests start their own on
    // a free port. invoke-rc.d and deb-systemd-invoke ask policy-rc.d, and 101 means
    // "not allowed" (Debian policy, /usr/share/doc/init-system-helpers/README.policy-rc.d).
    let policy = std::path::Path::new("/usr/sbin/policy-rc.d");
    let ours = !policy.exists();
    if ours {
        std::fs::write(
            policy,
            "#!/bin/sh\n# written by cargo xtask while it installs packages\nexit 101\n",
        )
        .map_err(|e| format!("{}: {e}", policy.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(policy, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", policy.display()))?;
    }
    let r = util::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing),
    );
    if ours {
        let _ = std::fs::remove_file(policy);
    }
    r
}

/// The kernel, built on first use and cached by the hash of the config fragment.
pub fn kernel() -> Result<Kernel> {
    let fragment_path = guest_dir().join("kernel.config");
    let fragment = util::read(&fragment_path)?;
    let src_version =
        util::output(Command::new("dpkg-query").args(["-W", "-f=${Version}", KERNEL_SOURCE]))?;
    let mut modules = String::new();
    for m in FIXTURE_MODULES {
        modules += &util::read(&guest_dir().join(format!("{m}.c")))?;
    }
    let key = util::hash(
        format!("{KERNEL_RECIPE}\n{KERNEL_SOURCE} {src_version}\n{fragment}\n{modules}").as_bytes(),
    )?;
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
            .arg("-xf")
            .arg(format!("/usr/src/{KERNEL_SOURCE}.tar.xz")),
    )?;
    let src = build.join(KERNEL_SOURCE);
    // The fixture modules: copied into drivers/gpio and built with the kernel's modules
    // (obj-m needs no Kconfig entry), installed by modules_install, loaded by their tests.
    let mut makefile = util::read(&src.join("drivers/gpio/Makefile"))?;
    for m in FIXTURE_MODULES {
        ctx(
            fs::copy(
                guest_dir().join(format!("{m}.c")),
                src.join(format!("drivers/gpio/{m}.c")),
            ),
            || format!("copy {m}.c into the kernel tree"),
        )?;
        makefile += &format!("obj-m += {m}.o\n");
    }
    util::write(&src.join("drivers/gpio/Makefile"), &makefile)?;
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

/// Builds the `guest_*` integration tests and the `udrv` binary, statically linked.
fn build_guest_binaries(opts: &VmOpts) -> Result<(Vec<TestBin>, Vec<PathBuf>)> {
    let root = util::workspace_root();
    let target_dir = root.join("target/guest");
    let rustflags = GUEST_RUSTFLAGS;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Select the guest test targets from the workspace metadata, so a run builds only
    // what it runs (and a broken test elsewhere does not stop `--only`).
    let selected = crate::runner::select_targets(|kind, name, _| {
        kind == "test" && name.starts_with("guest") && opts.selects(name)
    })?;
    if selected.is_empty() {
        return Err(format!("no guest test binary matches {:?}", opts.only));
    }
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .env("RUSTFLAGS", rustflags)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["test", "--no-run", "--target", "x86_64-unknown-linux-gnu"]);
    for (pkg, name) in &selected {
        cmd.args(["--package", pkg, "--test", name]);
    }
    if opts.release {
        cmd.arg("--release");
    }
    note("building static guest test binaries");
    // Every selected target must have come out as exactly one executable.
    let tests = guest::named(
        crate::runner::list(&mut cmd, &selected, 1)?
            .into_iter()
            .filter(|b| {
                b.kind == "test"
                    && selected
                        .iter()
                        .any(|(p, t)| *p == b.package && *t == b.target)
            })
            .collect(),
    );
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
        .env("CARGO_TARGET_DIR", &target_dir);
    guest::build_udrv(cmd, "x86_64-unknown-linux-gnu", &target_dir, opts.release)
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
        .args(guest::QEMU_BARE)
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
        .stderr(Stdio::inherit())
        .process_group(0);
    note(format!(
        "booting the guest ({accel}, timeout {} s)",
        timeout.as_secs()
    ));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let lines = guest::console_lines(stdout);
    let verdict = guest::follow_console(&lines, Instant::now() + timeout, |_| Ok(()))?;
    // QEMU is alone in its process group: nothing it started outlives it.
    crate::runner::kill_group(child.id() as i32);
    let _ = child.wait();
    let _ = fs::remove_file(&initrd);
    Ok(verdict)
}

/// `cargo xtask vmtest`.
pub fn vmtest(opts: &VmOpts) -> Result {
    let started = Instant::now();
    ensure_packages(PACKAGES)?;
    let kernel = kernel()?;
    let base = base_initramfs(&kernel)?;
    if opts.selfcheck {
        return guest::run_selfcheck(
            "selfcheck",
            &guest::selfcheck_cases(30),
            |payload, timeout| boot(&kernel, &base, payload, timeout),
        );
    }
    let timeout = Duration::from_secs(opts.timeout.unwrap_or(600));
    let fixtures = util::read(&guest_dir().join("fixtures.sh"))?;
    if let Some(path) = &opts.script {
        let body = util::read(path)?;
        let script = script_run(
            &body,
            &[],
            guest::BINARY_DEADLINE_SECS.max(timeout.as_secs()),
        );
        let payload = guest::payload(&script, &fixtures, &[], &[build_udrv(opts)?])?;
        let v = boot(&kernel, &base, &payload, timeout)?;
        return guest::report(&v, "guest", "the guest");
    }
    let (tests, tools) = build_guest_binaries(opts)?;
    if tests.is_empty() {
        return Err(format!("no guest test binary matches {:?}", opts.only));
    }
    let script = guest::run_script(
        &tests,
        &opts.test_args,
        guest::BINARY_DEADLINE_SECS,
        &peer_env(),
    );
    // The peers' tools first (cached), then this run's binaries: Linux unpacks both.
    let peers = crate::peers::x86_cpio()?;
    let mut payload = ctx(fs::read(&peers), || format!("read {}", peers.display()))?;
    payload.extend(guest::payload(&script, &fixtures, &tests, &tools)?);
    let mut v = boot(&kernel, &base, &payload, timeout)?;
    v.expect(&tests, !opts.test_args.is_empty());
    let r = guest::report(&v, "guest", "the guest");
    note(format!(
        "vmtest took {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    r
}

/// The environment the x86 guest's tests get besides the fixtures'.
fn peer_env() -> String {
    format!("export UDRV_PEER_BIN={}\n", crate::peers::GUEST_BIN)
}

/// The run script of `--script FILE` (both tiers): the fixtures, then the file's body as
/// a binary named `script` (judged by its exit status).
pub(crate) fn script_run(body: &str, tools: &[guest::TestBin], deadline: u64) -> String {
    guest::run_script(tools, &[], deadline, "").replace(
        "exit $fails\n",
        &format!(
            "cat > /kb/script.sh <<'UDRV_EOF'\n{body}\nUDRV_EOF\nrun_test script sh /kb/script.sh\nexit $fails\n"
        ),
    )
}

/// `cargo xtask vmbench`: the core's per-operation cost against raw libc loops and against
/// the peer libraries (i2cdev, linux-embedded-hal, spidev, gpio-cdev, gpiocdev, and
/// libgpiod 2.x's C library linked in: `peers::libgpiod_peer`), side by side in one boot
/// (`core/benches/guest_bench.rs`), then what a line the service owns costs its clients
/// (`service/benches/guest_lines.rs`). Prints Markdown tables. `--no-run` builds only.
pub fn vmbench(opts: &VmOpts) -> Result {
    ensure_packages(PACKAGES)?;
    let libgpiod = crate::peers::libgpiod_peer()?;
    let root = util::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    note(if opts.no_run {
        "building the guest benchmarks (dev profile: built, not run)"
    } else {
        "building the guest benchmarks (release)"
    });
    // udrv-core's, then the service's lines (`service/benches/guest_lines.rs`).
    let benches = [
        ("udrv-core", "guest_bench"),
        ("udrv-service", "guest_lines"),
    ];
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .env("RUSTFLAGS", GUEST_RUSTFLAGS)
        .env("CARGO_TARGET_DIR", root.join("target/guest"))
        // `core/build.rs` links libgpiod's rows into guest_bench.
        .env("UDRV_LIBGPIOD", &libgpiod);
    // --no-run builds to compile and link, not to time: the dev profile reuses what the
    // guest tests built in the same folder with the same flags (about two minutes less
    // than a release build from scratch in CI).
    let bins = build_benches(cmd, "x86_64-unknown-linux-gnu", &benches, opts.no_run)?;
    if opts.no_run {
        note(format!(
            "built {} (libgpiod: {})",
            bins.iter()
                .map(|b| b.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            util::read(&libgpiod.join("version"))?.trim()
        ));
        return Ok(());
    }
    let kernel = kernel()?;
    let base = base_initramfs(&kernel)?;
    let fixtures = util::read(&guest_dir().join("fixtures.sh"))?;
    let payload = guest::payload(&bench_script(&benches), &fixtures, &bins, &[])?;
    let v = boot(
        &kernel,
        &base,
        &payload,
        Duration::from_secs(opts.timeout.unwrap_or(600)),
    )?;
    guest::report(&v, "guest", "the guest")?;
    print_bench_tables(&v)
}

/// Builds `harness = false` benchmarks, `(package, bench)`, for `target` with `cargo` (a
/// command set up for the tier: its flags and target folder) in the bench profile, and
/// returns their executables, named after the benchmarks (`dev`: in the dev profile, to
/// check that they build without the release build's time).
pub(crate) fn build_benches(
    mut cargo: Command,
    target: &str,
    benches: &[(&str, &str)],
    dev: bool,
) -> Result<Vec<TestBin>> {
    cargo
        .args([
            "bench",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(["--target", target])
        .args(if dev { &["--profile", "dev"][..] } else { &[] })
        .stderr(Stdio::inherit());
    for (package, bench) in benches {
        cargo.args(["--package", package, "--bench", bench]);
    }
    let json = util::output(&mut cargo)?;
    let artifacts: Vec<serde_json::Value> = json
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut bins = Vec::new();
    for (_, name) in benches {
        let exe = artifacts
            .iter()
            .find(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == *name)
            .and_then(|v| v["executable"].as_str().map(PathBuf::from))
            .ok_or(format!("cargo built no {name} executable"))?;
        bins.push(TestBin {
            name: name.to_string(),
            path: exe,
        });
    }
    Ok(bins)
}

/// The guest's run script for benchmarks: the fixtures, then each one. `harness = false`
/// benchmarks are judged by their status and their own `BENCH` lines.
pub(crate) fn bench_script(benches: &[(&str, &str)]) -> String {
    let runs: String = benches
        .iter()
        .map(|(_, b)| format!("run_test {b} /kb/tests/{b}\n"))
        .collect();
    guest::run_script(&[], &[], guest::BINARY_DEADLINE_SECS, "")
        .replace("exit $fails\n", &format!("{runs}exit $fails\n"))
}

/// Prints the `BENCH` lines of a benchmark run as Markdown tables (an error when there are
/// none): `table TITLE | col | col ...` starts a table; the other lines are its rows.
pub(crate) fn print_bench_tables(v: &Verdict) -> Result {
    if v.bench.is_empty() {
        return Err("the benchmark printed no BENCH lines".into());
    }
    for l in &v.bench {
        if let Some(head) = l.strip_prefix("table ") {
            let (title, cols) = head.split_once(" | ").unwrap_or((head, ""));
            let n = cols.split(" | ").count();
            println!("\n{title}:\n\n| {cols} |\n|{}", "---|".repeat(n));
        } else {
            println!("| {l} |");
        }
    }
    Ok(())
}
