//! ARM releases: `cargo xtask dist` builds `udrv` (and the examples) for the boards'
//! targets in release, with tarballs and Debian packages in `target/dist/`;
//! `cargo xtask cross-test` runs the host's tests for aarch64 and armv7 under qemu-user.
//!
//! Everything builds into `target/cross` so host builds are never invalidated. The linkers
//! and runners per target are in `.cargo/config.toml`; the Debian cross linkers,
//! qemu-user-static and the rustup targets are installed here when missing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{self, note, Result};
use crate::{runner, vm};

/// Debian packages the cross builds and the emulated tests need.
const CROSS_PACKAGES: &[&str] = &[
    "gcc-aarch64-linux-gnu",
    "gcc-arm-linux-gnueabihf",
    "libc6-dev-arm64-cross",
    "libc6-dev-armhf-cross",
    "qemu-user-static",
];

/// The newest glibc symbol version the gnu binaries may need: the `Depends: libc6 (>= 2.34)`
/// of the Debian package (cli/Cargo.toml) and the README's requirement (Debian 12 based
/// images). `dist` fails if a build needs a newer one.
const GLIBC_FLOOR: (u32, u32) = (2, 34);

/// A board target.
struct Target {
    /// The Rust target triple.
    triple: &'static str,
    /// The Debian architecture of its package (none for the static build).
    deb_arch: Option<&'static str>,
    /// The qemu-user emulator (its runner in `.cargo/config.toml`).
    qemu: &'static str,
    /// The Debian cross sysroot that dynamically linked binaries load their libc from.
    sysroot: Option<&'static str>,
    /// The CPU the emulator models in `cross-test`: the oldest core of the boards served.
    cpu: &'static str,
    /// Whether the binary must be static (no interpreter, no shared libraries).
    is_static: bool,
}

/// Raspberry Pi 3/4/5 and Zero 2 on a 64-bit OS (Cortex-A53 is the oldest core).
const AARCH64: Target = Target {
    triple: "aarch64-unknown-linux-gnu",
    deb_arch: Some("arm64"),
    qemu: "qemu-aarch64-static",
    sysroot: Some("/usr/aarch64-linux-gnu"),
    cpu: "cortex-a53",
    is_static: false,
};

/// Raspberry Pi 2/3/4 on a 32-bit OS and BeagleBone (Cortex-A8 is the oldest core).
const ARMV7: Target = Target {
    triple: "armv7-unknown-linux-gnueabihf",
    deb_arch: Some("armhf"),
    qemu: "qemu-arm-static",
    sysroot: Some("/usr/arm-linux-gnueabihf"),
    cpu: "cortex-a8",
    is_static: false,
};

/// Static aarch64 build for board images older than glibc 2.34.
const AARCH64_MUSL: Target = Target {
    triple: "aarch64-unknown-linux-musl",
    deb_arch: None,
    qemu: "qemu-aarch64-static",
    sysroot: None,
    cpu: "cortex-a53",
    is_static: true,
};

/// What `dist` builds.
const DIST_TARGETS: &[&Target] = &[&AARCH64, &ARMV7, &AARCH64_MUSL];

/// What `cross-test` tests (the musl build shares aarch64's code paths).
const TEST_TARGETS: &[&Target] = &[&AARCH64, &ARMV7];

/// Why integration tests that start another program are left out under qemu-user, whole
/// test targets found by `Command::new` in their source.
const SPAWNS_PROGRAM: &str = "starts a program (tshark, tcpdump, a shell) from the emulated \
     test: under qemu-user a fork from the multi-threaded test process can deadlock inside \
     the emulator before `exec` (seen: rs485 tests/readers.rs on armv7, a qemu-arm child in \
     a futex at 0 % CPU), and an x86 tool reading our files proves nothing about ARM code; \
     these tests run on the host, and the bytes they check are checked under emulation \
     without spawning (rs485 tests/structure.rs)";

/// Why integration tests that run a workspace binary (`env!("CARGO_BIN_EXE_udrv")`) are
/// left out under qemu-user, whole test targets found by that text in their source.
const SPAWNS_BINARY: &str = "runs the ARM `udrv` binary from inside the emulated test: \
     qemu-user does not follow an execve into another foreign binary (the kernel would \
     need a binfmt_misc entry for qemu, which this machine, a container, does not have); \
     the same binary runs under qemu in the `udrv` checks below, and these tests on the host";

/// Why udrv's serial ports cannot be tested under Debian 12's qemu-user (7.2).
const NO_TERMIOS2: &str = "opens a pty through udrv's serial port, which sets the line \
     with TCGETS2/TCSETS2 (termios2, any baud rate): Debian 12's qemu-user 7.2 does not \
     translate them and answers ENOSYS; on the host and on boards they work";

/// Why the "not a device" unit tests fail under qemu-user.
const IOCTL_ENOSYS: &str = "checks the kernel's ENOTTY for an I2C/SPI/GPIO ioctl on \
     /dev/null, but qemu-user answers ioctls it cannot translate with ENOSYS itself, before \
     the kernel (the same reason udrv cannot drive real devices under qemu-user: the \
     real-kernel tier, `cargo xtask vmtest`, tests that ABI)";

/// Test targets left out under qemu-user besides the ones that run a binary:
/// (package, integration test target, why).
const CROSS_SKIP_TARGETS: &[(&str, &str, &str)] = &[
    ("udrv-rs485", "capture", NO_TERMIOS2),
    ("udrv-rs485", "reconnect", NO_TERMIOS2),
];

/// Tests left out under qemu-user by their exact libtest name, each with the reason.
const CROSS_SKIPS: &[(&str, &str)] = &[
    (
        "serial::port::tests::pty_carries_bytes_and_refuses_rs485",
        NO_TERMIOS2,
    ),
    (
        "gpio::chip::tests::a_file_that_is_not_a_chip_is_reported",
        IOCTL_ENOSYS,
    ),
    (
        "i2c::tests::opening_a_non_i2c_file_is_a_typed_open_error",
        IOCTL_ENOSYS,
    ),
    (
        "spi::tests::opening_a_non_spidev_file_is_a_typed_open_error",
        IOCTL_ENOSYS,
    ),
];

/// The integration test targets to run under qemu-user, noting the ones left out and why.
fn cross_test_targets(tests: &[(String, String, PathBuf)]) -> Result<Vec<(String, String)>> {
    let mut run = Vec::new();
    let mut guest_only = 0;
    for (package, name, src) in tests {
        let source = util::read(src)?;
        if source.lines().any(|l| l.starts_with("#![cfg(udrv_guest")) {
            // `guest_*`/`rpi_*`: built for the QEMU guests only, empty here.
            guest_only += 1;
            continue;
        }
        let why = spawns(src, &source)?.or_else(|| {
            CROSS_SKIP_TARGETS
                .iter()
                .find(|(p, t, _)| p == package && t == name)
                .map(|(_, _, why)| *why)
        });
        match why {
            Some(why) => note(format!("left out: {package} tests/{name}.rs: {why}")),
            None => run.push((package.clone(), name.clone())),
        }
    }
    note(format!(
        "not built: {guest_only} test targets that compile to nothing outside the \
         QEMU guests (#![cfg(udrv_guest...)]; `cargo xtask vmtest` runs them)"
    ));
    Ok(run)
}

/// What a test file starts, if anything: the `udrv` binary ([`SPAWNS_BINARY`]) or another
/// program ([`SPAWNS_PROGRAM`]), by its own text or through the helpers of its `common`
/// module it names (a helper that starts one, or names one that does).
fn spawns(src: &Path, source: &str) -> Result<Option<&'static str>> {
    let kind = |text: &str| {
        if text.contains("CARGO_BIN_EXE_") {
            Some(SPAWNS_BINARY)
        } else if text.contains("Command::new") {
            Some(SPAWNS_PROGRAM)
        } else {
            None
        }
    };
    if let Some(k) = kind(source) {
        return Ok(Some(k));
    }
    let Some(dir) = src.parent().map(|d| d.join("common")) else {
        return Ok(None);
    };
    if !source.contains("mod common;") || !dir.is_dir() {
        return Ok(None);
    }
    // The common module's top-level items: (name, text, what it starts).
    let mut items: Vec<(String, String, Option<&'static str>)> = Vec::new();
    for e in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = e.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "rs") {
            items.extend(common_items(&util::read(&path)?).into_iter().map(|(n, t)| {
                let k = kind(&t);
                (n, t, k)
            }));
        }
    }
    // A helper naming a helper that starts something starts it too.
    loop {
        let spawning: Vec<(String, &'static str)> = items
            .iter()
            .filter_map(|(n, _, k)| k.map(|k| (n.clone(), k)))
            .collect();
        let mut changed = false;
        for (_, text, k) in items.iter_mut().filter(|(_, _, k)| k.is_none()) {
            if let Some((_, sk)) = spawning.iter().find(|(n, _)| names(text, n)) {
                *k = Some(sk);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let named: Vec<&'static str> = items
        .iter()
        .filter_map(|(n, _, k)| k.filter(|_| names(source, n)))
        .collect();
    Ok(named
        .iter()
        .find(|k| **k == SPAWNS_BINARY)
        .or(named.first())
        .copied())
}

/// The top-level items of a Rust file as (name, text): functions, `impl` blocks (by their
/// type), structs, constants; an item runs to the next line that starts another.
fn common_items(text: &str) -> Vec<(String, String)> {
    let name_of = |line: &str| -> Option<String> {
        let l = line.strip_prefix("pub ").unwrap_or(line);
        let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
        let rest = ["fn ", "struct ", "const ", "static ", "enum ", "type "]
            .iter()
            .find_map(|k| l.strip_prefix(k))
            .or_else(|| {
                let r = l.strip_prefix("impl")?;
                let r = r.trim_start_matches(|c: char| c != ' ').trim_start();
                Some(r.rsplit(" for ").next().unwrap_or(r))
            })?;
        let n: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!n.is_empty()).then_some(n)
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        match name_of(line) {
            Some(n) => out.push((n, format!("{line}\n"))),
            None => {
                if let Some((_, t)) = out.last_mut() {
                    t.push_str(line);
                    t.push('\n');
                }
            }
        }
    }
    out
}

/// Whether `text` names `ident` (as a whole word).
fn names(text: &str, ident: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(ident).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + ident.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// The runner of `.cargo/config.toml` with the target's oldest core, as a command line.
fn runner(t: &Target) -> String {
    match t.sysroot {
        Some(root) => format!("{} -cpu {} -L {root}", t.qemu, t.cpu),
        None => format!("{} -cpu {}", t.qemu, t.cpu),
    }
}

/// The runner from `.cargo/config.toml` as a command, modelling the target's oldest core.
fn emulator(t: &Target) -> Command {
    let mut c = Command::new(t.qemu);
    if let Some(root) = t.sysroot {
        c.args(["-L", root]);
    }
    c.env("QEMU_CPU", t.cpu);
    c
}

fn find(targets: &[&'static Target], only: &[String]) -> Result<Vec<&'static Target>> {
    if only.is_empty() {
        return Ok(targets.to_vec());
    }
    only.iter()
        .map(|name| {
            targets
                .iter()
                .copied()
                .find(|t| t.triple == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = targets.iter().map(|t| t.triple).collect();
                    format!("unknown target `{name}` (known: {})", known.join(", "))
                })
        })
        .collect()
}

/// Installs the Debian cross tools and the rustup targets when missing.
fn ensure_tools(targets: &[&Target]) -> Result {
    vm::ensure_packages(CROSS_PACKAGES)?;
    let installed = util::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    let missing: Vec<&str> = targets
        .iter()
        .map(|t| t.triple)
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if !missing.is_empty() {
        note(format!("installing rustup targets {}", missing.join(" ")));
        util::run(
            Command::new("rustup")
                .args(["target", "add"])
                .args(&missing),
        )?;
    }
    Ok(())
}

/// Cargo for the emulated tests: no debug info (cold builds of two targets' test binaries
/// fit the CI budget: linking dozens of test binaries with full debug info is most of the
/// time) and no incremental cache (each CI run builds from scratch).
fn cross_cargo() -> Command {
    let mut c = cargo();
    c.env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_INCREMENTAL", "0");
    c
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(util::workspace_root());
    c
}

fn cross_dir() -> PathBuf {
    util::workspace_root().join("target/cross")
}

/// What `cargo metadata` tells about the workspace.
struct Meta {
    /// The version of `udrv`.
    version: String,
    /// The example targets of the `udrv-examples` package.
    examples: Vec<String>,
    /// Every integration test target: (package, target name, source file).
    tests: Vec<(String, String, PathBuf)>,
}

fn metadata() -> Result<Meta> {
    let out = util::output(cargo().args(["metadata", "--no-deps", "--format-version", "1"]))?;
    let v: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages = v["packages"]
        .as_array()
        .ok_or("cargo metadata: no packages")?;
    let targets = |p: &serde_json::Value, kind: &str| -> Vec<(String, PathBuf)> {
        p["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == kind))
            })
            .filter_map(|t| {
                Some((
                    t["name"].as_str()?.to_string(),
                    t["src_path"].as_str()?.into(),
                ))
            })
            .collect()
    };
    let package = |name: &str| packages.iter().find(|p| p["name"] == name);
    let version = package("udrv-cli")
        .and_then(|p| p["version"].as_str())
        .ok_or("cargo metadata: no udrv-cli package")?
        .to_string();
    let examples = package("udrv-examples")
        .map(|p| targets(p, "example").into_iter().map(|(n, _)| n).collect())
        .unwrap_or_default();
    let tests = packages
        .iter()
        .filter(|p| p["name"] != "xtask")
        .flat_map(|p| {
            let name = p["name"].as_str().unwrap_or("?").to_string();
            targets(p, "test")
                .into_iter()
                .map(move |(t, src)| (name.clone(), t, src))
        })
        .collect();
    Ok(Meta {
        version,
        examples,
        tests,
    })
}

/// Options of `cargo xtask dist` and `cargo xtask cross-test`, which take the same kind.
#[derive(Default)]
pub struct TargetOpts {
    /// Only these target triples (all the task knows when empty).
    pub targets: Vec<String>,
    /// The task's switch: `dist --no-deb` skips the Debian packages; `cross-test
    /// --selfcheck` proves the runner instead (a hung binary and one whose orphan holds
    /// its output each fail within the deadline).
    pub switch: bool,
}

/// Parses `dist`'s options: `--target TRIPLE` (repeatable), `--no-deb`.
pub fn parse_dist(args: &[String]) -> Result<TargetOpts> {
    parse_targets("dist", "--no-deb", args)
}

/// Parses `task`'s options: `--target TRIPLE` (repeatable) and the switch `flag`.
fn parse_targets(task: &str, flag: &str, args: &[String]) -> Result<TargetOpts> {
    let (mut targets, mut on) = (Vec::new(), false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => targets.push(it.next().ok_or("--target needs a triple")?.clone()),
            f if f == flag => on = true,
            other => return Err(format!("{task}: unknown option `{other}`")),
        }
    }
    Ok(TargetOpts {
        targets,
        switch: on,
    })
}

/// What one target's build produced, for the summary.
struct Built {
    triple: &'static str,
    size: u64,
    libc: String,
    artifacts: Vec<PathBuf>,
}

/// `cargo xtask dist`.
pub fn dist(opts: &TargetOpts) -> Result {
    let no_deb = opts.switch;
    let started = Instant::now();
    let targets = find(DIST_TARGETS, &opts.targets)?;
    ensure_tools(&targets)?;
    if !no_deb && targets.iter().any(|t| t.deb_arch.is_some()) {
        ensure_cargo_deb()?;
    }
    let Meta {
        version, examples, ..
    } = metadata()?;
    let out = util::workspace_root().join("target/dist");
    util::ctx(fs::create_dir_all(&out), || {
        format!("create {}", out.display())
    })?;

    let mut built = Vec::new();
    for t in targets {
        let t0 = Instant::now();
        let b = dist_target(t, &version, &examples, &out, no_deb)?;
        note(format!(
            "{}: done in {:.0} s",
            t.triple,
            t0.elapsed().as_secs_f64()
        ));
        built.push(b);
    }

    println!("\nrelease binaries (udrv {version}, stripped):");
    for b in &built {
        println!(
            "  {:32} {:>9} bytes ({:.2} MB)  {}",
            b.triple,
            b.size,
            b.size as f64 / 1e6,
            b.libc
        );
    }
    println!("artifacts in {}:", out.display());
    for b in &built {
        for a in &b.artifacts {
            println!("  {}", a.file_name().unwrap_or_default().to_string_lossy());
        }
    }
    note(format!(
        "dist took {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn ensure_cargo_deb() -> Result {
    if cargo()
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(());
    }
    note("installing cargo-deb from crates.io (once)");
    util::run(cargo().args(["install", "--locked", "cargo-deb"]))
}

fn dist_target(
    t: &'static Target,
    version: &str,
    examples: &[String],
    out: &Path,
    no_deb: bool,
) -> Result<Built> {
    let base = ["--release", "--target", t.triple, "--target-dir"];
    note(format!("{}: release build", t.triple));
    // One cargo run for the binary and the examples: one feature resolution, so the
    // workspace crates compile once per target.
    let mut build = cargo();
    build
        .arg("build")
        .args(base)
        .arg(cross_dir())
        .args(["-p", "udrv-cli", "--bin", "udrv"]);
    if !examples.is_empty() {
        build.args(["-p", "udrv-examples"]);
        for e in examples {
            build.args(["--example", e]);
        }
    }
    util::run(&mut build)?;
    let release = cross_dir().join(t.triple).join("release");
    let bin = release.join("udrv");
    let size = util::ctx(fs::metadata(&bin), || bin.display().to_string())?.len();

    // The binary must run on the board: its version under emulation, and its libc needs.
    let said = util::output(emulator(t).arg(&bin).arg("--version"))?;
    if said.trim() != format!("udrv {version}") {
        return Err(format!("{}: `udrv --version` said {said:?}", bin.display()));
    }
    let libc = check_libc(t, &bin)?;

    let assets = release.join("dist-assets");
    let pages = package_assets(t, &bin, &assets)?;

    let mut artifacts = vec![tarball(
        t, version, examples, &release, &assets, &pages, out,
    )?];
    if let (Some(arch), false) = (t.deb_arch, no_deb) {
        artifacts.push(deb(t, arch, version, &pages, out, "release")?);
    }
    Ok(Built {
        triple: t.triple,
        size,
        libc,
        artifacts,
    })
}

/// Pages every build must have among those `udrv man --dir` writes: udrv(1) and a page of
/// each level (a generator that wrote only udrv(1) again fails here).
const MAN_PAGES_AT_LEAST: &[&str] = &["udrv.1", "udrv-i2c.1", "udrv-i2c-get.1", "udrv-capture.1"];

/// The man pages, one per command, written by the binary itself (`udrv man --dir`) into
/// `dir`, each also gzipped for the Debian package (`gzip -n`: no name or time inside).
/// Returns their file names (`udrv-i2c-get.1`), sorted.
fn man_pages(t: &Target, bin: &Path, dir: &Path) -> Result<Vec<String>> {
    util::output(emulator(t).arg(bin).arg("man").arg("--dir").arg(dir))?;
    let mut pages: Vec<String> = util::ctx(fs::read_dir(dir), || dir.display().to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1"))
        .collect();
    pages.sort();
    let missing: Vec<&str> = MAN_PAGES_AT_LEAST
        .iter()
        .copied()
        .filter(|p| !pages.iter().any(|x| x == p))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "`udrv man --dir` wrote {} but not {}",
            pages.join(", "),
            missing.join(", ")
        ));
    }
    util::run(
        Command::new("gzip")
            .args(["-9nkf"])
            .args(pages.iter().map(|p| dir.join(p))),
    )?;
    Ok(pages)
}

/// Checks what the binary needs from the board's libc: nothing for a static build, glibc
/// up to [`GLIBC_FLOOR`] otherwise. Returns a description for the summary.
fn check_libc(t: &Target, bin: &Path) -> Result<String> {
    let path = bin.to_str().ok_or("non-UTF-8 path")?;
    if t.is_static {
        let program = util::output(Command::new("readelf").args(["-l", "-W", path]))?;
        let dynamic = util::output(Command::new("readelf").args(["-d", "-W", path]))?;
        if program.contains("program interpreter") || dynamic.contains("(NEEDED)") {
            return Err(format!(
                "{path} should be static but needs an interpreter or libraries"
            ));
        }
        return Ok("static".into());
    }
    let versions = util::output(Command::new("readelf").args(["-V", "-W", path]))?;
    let newest = newest_glibc(&versions).ok_or_else(|| format!("{path}: no GLIBC_ versions"))?;
    if newest > GLIBC_FLOOR {
        return Err(format!(
            "{path} needs glibc {}.{}, newer than the {}.{} the package and README promise",
            newest.0, newest.1, GLIBC_FLOOR.0, GLIBC_FLOOR.1
        ));
    }
    Ok(format!("glibc >= {}.{}", newest.0, newest.1))
}

/// The newest `GLIBC_x.y` in `readelf -V` output.
fn newest_glibc(readelf: &str) -> Option<(u32, u32)> {
    readelf
        .split(|c: char| c.is_whitespace())
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            Some((major, minor))
        })
        .max()
}

/// `udrv-<version>-<target>.tar.gz`: binary, man pages (`man/`), completions, udev rule,
/// installer, README and the examples.
fn tarball(
    t: &Target,
    version: &str,
    examples: &[String],
    release: &Path,
    assets: &Path,
    pages: &[String],
    out: &Path,
) -> Result<PathBuf> {
    let root = util::workspace_root();
    let name = format!("udrv-{version}-{}", t.triple);
    let stage_parent = cross_dir().join("dist-stage");
    let stage = stage_parent.join(&name);
    let _ = fs::remove_dir_all(&stage);
    let mk = |d: &Path| util::ctx(fs::create_dir_all(d), || format!("create {}", d.display()));
    mk(&stage.join("completions"))?;
    mk(&stage.join("man"))?;
    let copy = |from: &Path, to: &Path| {
        util::ctx(fs::copy(from, to), || {
            format!("copy {} to {}", from.display(), to.display())
        })
        .map(drop)
    };
    copy(&release.join("udrv"), &stage.join("udrv"))?;
    for p in pages {
        copy(&assets.join("man").join(p), &stage.join("man").join(p))?;
    }
    for f in ["udrv.bash", "_udrv", "udrv.fish"] {
        copy(
            &assets.join("completions").join(f),
            &stage.join("completions").join(f),
        )?;
    }
    for f in ["60-udrv.rules", "groups.sh", "install.sh"] {
        copy(&root.join("packaging").join(f), &stage.join(f))?;
    }
    copy(&root.join("README.md"), &stage.join("README.md"))?;
    if !examples.is_empty() {
        mk(&stage.join("examples"))?;
        for e in examples {
            copy(
                &release.join("examples").join(e),
                &stage.join("examples").join(e),
            )?;
        }
    }
    let file = out.join(format!("{name}.tar.gz"));
    util::run(
        Command::new("tar")
            .args([
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "-czf",
            ])
            .arg(&file)
            .arg("-C")
            .arg(&stage_parent)
            .arg(&name),
    )?;
    Ok(file)
}

/// The Debian package, by cargo-deb from `[package.metadata.deb]` in cli/Cargo.toml.
/// Man pages, completions and the extcap link, generated by the (emulated) binary itself
/// into `assets` beside it, where cli/Cargo.toml's package metadata takes them. Returns
/// the man pages' names.
fn package_assets(t: &Target, bin: &Path, assets: &Path) -> Result<Vec<String>> {
    let _ = fs::remove_dir_all(assets);
    util::ctx(fs::create_dir_all(assets.join("completions")), || {
        format!("create {}", assets.display())
    })?;
    let pages = man_pages(t, bin, &assets.join("man"))?;
    for (shell, file) in [
        ("bash", "udrv.bash"),
        ("zsh", "_udrv"),
        ("fish", "udrv.fish"),
    ] {
        let text = util::output(emulator(t).arg(bin).args(["completions", shell]))?;
        util::write(&assets.join("completions").join(file), text)?;
    }
    // Installed as /usr/lib/<triplet>/wireshark/extcap/udrv: relative, as Debian wants.
    let link = assets.join("extcap-udrv");
    util::ctx(
        std::os::unix::fs::symlink("../../../../bin/udrv", &link),
        || format!("symlink {}", link.display()),
    )?;
    Ok(pages)
}

/// `cross-test`'s package check: the arm64 `.deb` built from the emulated tests' debug
/// binary (`cargo deb --profile dev`: the same assets and metadata as `dist`'s release
/// package) holds every man page, the completions and the rest of
/// [`check_deb_listing`]. Returns (passed, failed).
fn deb_check(version: &str) -> (u64, u64) {
    let t = &AARCH64;
    let r = (|| {
        ensure_cargo_deb()?;
        let debug = cross_dir().join(t.triple).join("debug");
        let pages = package_assets(t, &debug.join("udrv"), &debug.join("dist-assets"))?;
        let out = cross_dir().join("deb-check");
        util::ctx(fs::create_dir_all(&out), || {
            format!("create {}", out.display())
        })?;
        deb(t, "arm64", version, &pages, &out, "dev")
    })();
    match r {
        Ok(file) => {
            println!(
                "ok      {} holds the man pages, completions and the service's unit",
                file.display()
            );
            (1, 0)
        }
        Err(e) => {
            println!("FAILED  the arm64 .deb: {e}");
            (0, 1)
        }
    }
}

/// Builds the package for `t` from its `profile` build (`release` or `dev`) into `out`
/// and checks its contents.
fn deb(
    t: &Target,
    arch: &str,
    version: &str,
    pages: &[String],
    out: &Path,
    profile: &str,
) -> Result<PathBuf> {
    note(format!("{}: Debian package ({arch})", t.triple));
    let file = out.join(format!("udrv_{version}-1_{arch}.deb"));
    let _ = fs::remove_file(&file);
    util::run(
        cargo()
            .env("CARGO_TARGET_DIR", cross_dir())
            .args([
                "deb",
                "-p",
                "udrv-cli",
                "--target",
                t.triple,
                "--variant",
                arch,
            ])
            .args(["--profile", profile])
            .args(["--no-build", "--no-strip", "--output"])
            .arg(&file),
    )?;
    let path = file.to_str().ok_or("non-UTF-8 path")?;
    let field = util::output(Command::new("dpkg-deb").args(["-f", path, "Architecture"]))?;
    if field.trim() != arch {
        return Err(format!("{path}: Architecture is {field:?}, not {arch}"));
    }
    let listing = util::output(Command::new("dpkg-deb").args(["-c", path]))?;
    check_deb_listing(&listing, t, pages)?;
    Ok(file)
}

/// The paths every package must hold: the binary, the completions, the udev rule, the
/// extcap link, the service's unit, user script and example configuration, and as
/// `/usr/share/man/man1/NAME.1.gz` each man page `udrv man --dir` wrote (`pages`) and at
/// least [`MAN_PAGES_AT_LEAST`].
fn check_deb_listing(listing: &str, t: &Target, pages: &[String]) -> Result {
    let triplet = t
        .sysroot
        .and_then(|s| s.strip_prefix("/usr/"))
        .unwrap_or("?");
    let extcap = format!("./usr/lib/{triplet}/wireshark/extcap/udrv -> ../../../../bin/udrv");
    let mut wanted: Vec<String> = [
        "./usr/bin/udrv",
        "./usr/share/bash-completion/completions/udrv",
        "./usr/share/zsh/vendor-completions/_udrv",
        "./usr/share/fish/vendor_completions.d/udrv.fish",
        "./usr/lib/udev/rules.d/60-udrv.rules",
        "./usr/lib/udrv/groups.sh",
        "./usr/lib/udrv/user.sh",
        "./usr/lib/systemd/system/udrv.service",
        "./usr/share/doc/udrv/examples/udrv.toml",
        &extcap,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in MAN_PAGES_AT_LEAST
        .iter()
        .copied()
        .chain(pages.iter().map(String::as_str))
    {
        let path = format!("./usr/share/man/man1/{p}.gz");
        if !wanted.contains(&path) {
            wanted.push(path);
        }
    }
    // Whole paths (what follows the date in `dpkg-deb -c`): `udrv.1.gz` is not found in
    // the line of `udrv-i2c.1.gz`.
    let paths: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.find(" ./").map(|i| &l[i + 1..]))
        .collect();
    let missing: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|w| !paths.contains(w))
        .collect();
    util::none_listed(&missing, |m| {
        format!("the package lacks {m}; it holds:\n{listing}")
    })
}

/// Parses `cross-test`'s options: `--target TRIPLE` (repeatable), `--selfcheck`.
pub fn parse_cross(args: &[String]) -> Result<TargetOpts> {
    parse_targets("cross-test", "--selfcheck", args)
}

/// The target a cross-built executable is for, from its path (`target/cross/<triple>/`).
/// Every test [`CROSS_SKIPS`] names must still exist (as `--exact` matches it): a test
/// renamed or moved to another module would otherwise run again under qemu-user, unnoticed
/// until it fails there. The names come from the first target's binaries' `--list`.
fn check_cross_skips(bins: &[runner::TestBinary], targets: &[&Target]) -> Result {
    let Some(first) = targets.first() else {
        return Ok(());
    };
    let mut listed = std::collections::BTreeSet::new();
    for b in bins
        .iter()
        .filter(|b| target_of(targets, &b.exe).is_some_and(|t| t.triple == first.triple))
    {
        let mut c = emulator(first);
        c.arg(&b.exe)
            .args(["--list", "--format", "terse"])
            .current_dir(&b.dir)
            .env("CARGO_MANIFEST_DIR", &b.dir);
        for line in util::output(&mut c)?.lines() {
            if let Some(name) = line.strip_suffix(": test") {
                listed.insert(name.to_string());
            }
        }
    }
    let stale: Vec<&str> = CROSS_SKIPS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !listed.contains(*name))
        .collect();
    util::none_listed(&stale, |s| {
        format!(
            "CROSS_SKIPS in xtask/src/dist.rs names tests that no test binary lists (renamed or \
             moved?): {s}; give their current names"
        )
    })
}

fn target_of<'a>(targets: &[&'a Target], exe: &Path) -> Option<&'a Target> {
    targets
        .iter()
        .copied()
        .find(|t| exe.components().any(|c| c.as_os_str() == t.triple))
}

/// Runs test binaries one by one, each under its deadline (see `runner.rs`), printing a
/// line for each (the whole output of a failed one); returns the counts and the names of
/// the failed binaries.
fn run_binaries(
    runs: Vec<(String, Command, Command, bool)>,
    deadline: Duration,
) -> (u64, u64, Vec<String>) {
    let (mut passed, mut failed, mut names) = (0, 0, Vec::new());
    for (name, mut cmd, mut list, zero_ok) in runs {
        let o = runner::run(&name, &mut cmd, deadline, zero_ok, Some(&mut list));
        runner::print_outcome(&o);
        let (p, f) = o.counts();
        passed += p;
        failed += f;
        if o.problem().is_some() {
            names.push(name);
        }
    }
    (passed, failed, names)
}

/// `cargo xtask cross-test --selfcheck`: the runner of the emulated tests fails a binary
/// that hangs, and one that hangs after leaving an orphan that holds its output and
/// ignores SIGTERM, each at its deadline and naming the test that had started; a passing
/// binary passes.
fn cross_selfcheck() -> Result {
    let sh = |script: &str| {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    let listing = "echo 't::ok: test'; echo 't::hangs: test'";
    let cases = [
        (
            "passing",
            "echo 'test t::ok ... ok'; echo 'test result: ok. 1 passed; 0 failed'",
            None,
        ),
        (
            "hang",
            "echo 'test t::ok ... ok'; echo 'test t::hangs has been running for over 60 seconds'; sleep 100000",
            Some("hung: killed (with its process group) after 3 s; started and not finished: t::hangs"),
        ),
        (
            "orphan holding stdout",
            "(trap '' TERM; exec sleep 100000) & echo 'test t::hangs has been running for over 60 seconds'; wait",
            Some("hung: killed (with its process group) after 3 s; started and not finished: t::hangs"),
        ),
    ];
    let runs = cases
        .iter()
        .map(|(name, script, _)| (name.to_string(), sh(script), sh(listing), false))
        .collect();
    let (_, _, failed) = run_binaries(runs, Duration::from_secs(3));
    let mut wrong = Vec::new();
    for (name, _, cause) in &cases {
        let failed_here = failed.iter().any(|f| f == name);
        if failed_here != cause.is_some() {
            wrong.push(*name);
        }
    }
    // The causes, by running the hang case again and reading its verdict.
    for (name, script, cause) in &cases {
        if let Some(cause) = cause {
            let o = runner::run(
                name,
                &mut sh(script),
                Duration::from_secs(3),
                false,
                Some(&mut sh(listing)),
            );
            let p = o.problem().unwrap_or_default();
            println!("cross selfcheck {name}: {p}");
            if !p.contains(cause) {
                wrong.push(name);
            }
        }
    }
    // No `sleep 100000` survives: the groups were killed.
    let ps = util::output(Command::new("ps").args(["-eo", "args"]))?;
    if ps.lines().any(|l| l.trim() == "sleep 100000") {
        wrong.push("orphans killed");
    }
    crate::report_counts((cases.len() + 1 - wrong.len()) as u64, wrong.len() as u64);
    util::none_listed(&wrong, |w| format!("cross-test self-check wrong for: {w}"))
}

/// `cargo xtask cross-test`: the host's tests for each target under qemu-user, each test
/// binary on its own with a deadline, then the `udrv` binary itself. Ends with
/// `tests: N passed, M failed`.
pub fn cross_test(opts: &TargetOpts) -> Result {
    let selfcheck = opts.switch;
    if selfcheck {
        return cross_selfcheck();
    }
    let started = Instant::now();
    let targets = find(TEST_TARGETS, &opts.targets)?;
    ensure_tools(&targets)?;
    let meta = metadata()?;
    let test_targets = cross_test_targets(&meta.tests)?;
    for (name, why) in CROSS_SKIPS {
        note(format!("left out: {name}: {why}"));
    }
    // One cargo run builds every target's test binaries: one build graph keeps both cores
    // busy. Doctests are left out: they are host documentation checks, compiled one by one
    // (minutes per target); the code they show runs in the unit tests.
    let mut cmd = cross_cargo();
    cmd.args(["test", "--no-run", "--workspace", "--exclude", "xtask"])
        .args(["--all-features", "--target-dir"])
        .arg(cross_dir())
        .args(["--lib", "--bins"]);
    for t in &targets {
        cmd.args(["--target", t.triple]);
    }
    for (_, name) in &test_targets {
        cmd.args(["--test", name]);
    }
    let mut expected: Vec<(String, String)> = runner::tested_targets()?
        .into_iter()
        .filter(|(p, _)| p != "xtask")
        .filter(|(p, t)| {
            meta.tests.iter().all(|(tp, tn, _)| tp != p || tn != t)
                || test_targets.iter().any(|(tp, tn)| tp == p && tn == t)
        })
        .collect();
    expected.sort();
    note("building the test binaries for the ARM targets");
    let bins = runner::list(&mut cmd, &expected, targets.len())?;
    check_cross_skips(&bins, &targets)?;
    let mut runs = Vec::new();
    for b in &bins {
        let Some(t) = target_of(&targets, &b.exe) else {
            continue;
        };
        let emulated = |list: bool| {
            let mut c = emulator(t);
            c.arg(&b.exe)
                .current_dir(&b.dir)
                .env("CARGO_MANIFEST_DIR", &b.dir);
            if !list {
                c.arg("--exact");
                for (name, _) in CROSS_SKIPS {
                    c.args(["--skip", name]);
                }
            }
            c
        };
        runs.push((
            format!("{} on {}", b.label(), t.triple),
            emulated(false),
            emulated(true),
            b.kind != "test",
        ));
    }
    note(format!(
        "{} test binaries under {}",
        runs.len(),
        targets
            .iter()
            .map(|t| runner(t))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let (mut passed, mut failed, mut failures) = run_binaries(runs, runner::BINARY_DEADLINE);
    note(format!(
        "tests took {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    let mut build = cross_cargo();
    build
        .args(["build", "--quiet", "--workspace", "--exclude", "xtask"])
        .args(["--all-features", "--bins", "--target-dir"])
        .arg(cross_dir());
    for t in &targets {
        build.args(["--target", t.triple]);
    }
    util::run(&mut build)?;
    for t in &targets {
        let (p, f) = smoke(t, &meta.version);
        passed += p;
        failed += f;
        if f > 0 {
            failures.push(format!("{} udrv", t.triple));
        }
    }
    // What the package ships (man pages, completions), for one target.
    if targets.iter().any(|t| t.triple == AARCH64.triple) {
        let (p, f) = deb_check(&meta.version);
        passed += p;
        failed += f;
        if f > 0 {
            failures.push("arm64 .deb".into());
        }
    }
    note(format!(
        "cross-test took {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    crate::report_counts(passed, failed);
    util::none_listed(&failures, |f| format!("failed: {f}"))
}

/// The `udrv` binary under emulation: version, help, man page, extcap and the virtual
/// board's main job, each with a deadline. Returns (passed, failed).
fn smoke(t: &Target, version: &str) -> (u64, u64) {
    let bin = cross_dir().join(t.triple).join("debug/udrv");
    let run = |args: &[&str]| {
        let mut c = emulator(t);
        c.arg(&bin).args(args);
        match runner::exec(&mut c, Duration::from_secs(120), runner::Stderr::File) {
            (runner::Ended::Exit(0), out, _) => Ok(out),
            (ended, _, err) => Err(format!(
                "`udrv {}` {}: {}",
                args.join(" "),
                util::describe(&ended),
                err.trim()
            )),
        }
    };
    let checks: Vec<(&str, Result)> = vec![
        (
            "udrv --version",
            run(&["--version"]).and_then(|s| expect(s.trim() == format!("udrv {version}"), &s)),
        ),
        (
            "udrv --help",
            run(&["--help"]).and_then(|s| expect(s.contains("Usage: udrv"), &s)),
        ),
        (
            "udrv man",
            run(&["man"]).and_then(|s| expect(s.starts_with(".ie") || s.contains(".TH udrv"), &s)),
        ),
        (
            "udrv --extcap-interfaces",
            run(&["--extcap-interfaces"])
                .and_then(|s| expect(s.contains("extcap {") && s.contains("interface {"), &s)),
        ),
        // The main job: every chip of the virtual board, one reading per line.
        (
            "udrv --board virtual read",
            run(&["--board", "virtual", "read"]).and_then(|s| {
                println!("{}", s.trim_end());
                let temperatures = s
                    .lines()
                    .filter(|l| l.contains("temperature") && l.contains("°C"))
                    .count();
                expect(temperatures >= 2 && s.lines().count() >= 10, &s)
            }),
        ),
    ];
    let mut failed = 0;
    for (name, r) in &checks {
        match r {
            Ok(()) => println!("ok      {name} under {}", t.qemu),
            Err(e) => {
                failed += 1;
                println!("FAILED  {name} under {}\n{e}", t.qemu);
            }
        }
    }
    ((checks.len() - failed) as u64, failed as u64)
}

fn expect(ok: bool, output: &str) -> Result {
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected output:\n{output}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLI's tests that run `udrv` through their `common` helpers only (no
    /// `Command::new` or `CARGO_BIN_EXE_` of their own) are left out under qemu-user, and a
    /// test naming only helpers that start nothing is not.
    #[test]
    fn tests_starting_udrv_through_common_helpers_are_found() {
        let root = util::workspace_root();
        for t in [
            "virtual_i2c",
            "virtual_i2c_tools",
            "serve_commands",
            "virtual_read",
        ] {
            let src = root.join(format!("cli/tests/{t}.rs"));
            let text = util::read(&src).unwrap();
            assert_eq!(spawns(&src, &text).unwrap(), Some(SPAWNS_BINARY), "{t}");
        }
        let dir = std::env::temp_dir().join(format!("udrv-spawns-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("common")).unwrap();
        std::fs::write(
            dir.join("common/mod.rs"),
            "pub fn crc(b: &[u8]) -> u16 {\n    0\n}\n\npub fn run() -> u8 {\n    \
             let _ = env!(\"CARGO_BIN_EXE_udrv\");\n    0\n}\n\npub fn twice() -> u8 {\n    \
             run() + run()\n}\n\npub struct Tool;\n\nimpl Tool {\n    pub fn go() {\n        \
             std::process::Command::new(\"tshark\");\n    }\n}\n",
        )
        .unwrap();
        let check = |text: &str| spawns(&dir.join("t.rs"), text).unwrap();
        assert_eq!(check("mod common;\nfn t() { common::crc(&[]); }"), None);
        assert_eq!(
            check("mod common;\nfn t() { common::twice(); }"),
            Some(SPAWNS_BINARY)
        );
        assert_eq!(
            check("mod common;\nfn t() { common::Tool::go(); }"),
            Some(SPAWNS_PROGRAM)
        );
        assert_eq!(
            check("fn t() { twice(); }"),
            None,
            "no common module declared"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn groups_in_rules() -> Vec<String> {
        let rules = util::read(&util::workspace_root().join("packaging/60-udrv.rules")).unwrap();
        rules
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split("GROUP=\"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .map(String::from)
            .collect()
    }

    /// The udev rule gives access to exactly the groups udrv's permission errors name
    /// (udrv-core's `DeviceClass::group()`; serial ports are Debian's `dialout`).
    #[test]
    fn udev_groups_match_the_groups_in_udrv_errors() {
        let error_rs = util::read(&util::workspace_root().join("core/src/error.rs")).unwrap();
        let body = error_rs
            .split("fn group(")
            .nth(1)
            .expect("core/src/error.rs has no `fn group(`: update this test")
            .split("\n    }\n")
            .next()
            .unwrap();
        let mut named: Vec<String> = body
            .lines()
            .filter_map(|l| l.split("=> \"").nth(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|g| *g != "dialout")
            .map(String::from)
            .collect();
        named.sort();
        let mut ruled = groups_in_rules();
        ruled.sort();
        assert!(!named.is_empty(), "no groups found in DeviceClass::group()");
        assert_eq!(ruled, named, "packaging/60-udrv.rules vs core/src/error.rs");
    }

    /// groups.sh (postinst and install.sh) creates every group the rule names.
    #[test]
    fn groups_script_creates_every_group_of_the_rule() {
        let script = util::read(&util::workspace_root().join("packaging/groups.sh")).unwrap();
        let line = script
            .lines()
            .find(|l| l.starts_with("for group in "))
            .expect("groups.sh has no `for group in` loop");
        let created: Vec<&str> = line
            .trim_start_matches("for group in ")
            .trim_end_matches("; do")
            .split_whitespace()
            .collect();
        for g in groups_in_rules() {
            assert!(
                created.contains(&g.as_str()),
                "groups.sh does not create {g}"
            );
        }
    }

    /// Runs `sh script` with stand-ins first on PATH, each `(name, body)` a shell script
    /// in a fresh directory named after `tag`: `body`, or when `None`, appending its name
    /// and arguments to a log. Fails unless the script succeeds; the log.
    fn run_with_stand_ins(tag: &str, script: &Path, stand_ins: &[(&str, Option<&str>)]) -> String {
        let dir = std::env::temp_dir().join(format!("udrv-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        let log_call = format!("echo \"$(basename \"$0\") $*\" >> {}", log.display());
        for (name, body) in stand_ins {
            let path = dir.join(name);
            let body = body.unwrap_or(&log_call);
            fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            Command::new("chmod")
                .arg("755")
                .arg(&path)
                .status()
                .unwrap();
        }
        let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap());
        let status = Command::new("sh")
            .arg(script)
            .env("PATH", path)
            .status()
            .unwrap();
        assert!(status.success());
        let calls = fs::read_to_string(&log).unwrap();
        let _ = fs::remove_dir_all(&dir);
        calls
    }

    /// groups.sh creates the missing groups, as system groups, and leaves existing ones:
    /// run with stand-ins for getent (only `gpio` exists), groupadd and udevadm on PATH.
    #[test]
    fn groups_script_adds_only_missing_groups() {
        let calls = run_with_stand_ins(
            "groups",
            &util::workspace_root().join("packaging/groups.sh"),
            &[
                ("getent", Some("[ \"$2\" = gpio ]")),
                ("groupadd", None),
                ("udevadm", None),
            ],
        );
        let added: Vec<&str> = calls
            .lines()
            .filter(|l| l.starts_with("groupadd"))
            .collect();
        assert_eq!(
            added,
            [
                "groupadd --system i2c",
                "groupadd --system spi",
                "groupadd --system uio"
            ],
            "{calls}"
        );
    }

    /// The unit runs as the user user.sh creates, in groups groups.sh creates (systemd
    /// refuses to start a unit whose SupplementaryGroups= do not exist); user.sh creates
    /// the group and the user, once: run with stand-ins for getent (nothing exists yet),
    /// groupadd and useradd on PATH.
    #[test]
    fn the_unit_runs_as_the_user_and_groups_the_scripts_create() {
        let root = util::workspace_root().join("packaging");
        let unit = util::read(&root.join("udrv.service")).unwrap();
        let value = |key: &str| {
            unit.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("udrv.service has no {key}"))
                .to_string()
        };
        assert_eq!(value("User="), "udrv");
        assert_eq!(value("Group="), "udrv");
        let groups = util::read(&root.join("groups.sh")).unwrap();
        for g in value("SupplementaryGroups=").split_whitespace() {
            assert!(
                groups.contains(&format!(" {g} ")),
                "groups.sh does not create {g}"
            );
        }
        let calls = run_with_stand_ins(
            "user",
            &root.join("user.sh"),
            &[
                ("getent", Some("exit 2")),
                ("groupadd", None),
                ("useradd", None),
            ],
        );
        assert_eq!(
            calls.lines().collect::<Vec<_>>(),
            [
                "groupadd --system udrv",
                "useradd --system --gid udrv --no-create-home --home-dir /var/lib/udrv \
                 --shell /usr/sbin/nologin --comment udrv serve udrv"
            ],
            "{calls}"
        );
    }

    #[test]
    fn newest_glibc_reads_readelf_version_needs() {
        let sample = "  0x0010:   Name: GLIBC_2.17  Flags: none  Version: 3\n\
                      \x20 0x0020:   Name: GLIBC_2.34  Flags: none  Version: 5\n\
                      \x20 0x0030:   Name: GLIBC_2.9  Flags: none  Version: 2\n\
                      \x20 0x0040:   Name: GLIBC_PRIVATE  Flags: none\n";
        assert_eq!(newest_glibc(sample), Some((2, 34)));
        assert_eq!(newest_glibc("no versions"), None);
    }

    /// A listing as `dpkg-deb -c` prints it: every path the package must hold, the man
    /// pages among them.
    fn listing(pages: &[&str]) -> String {
        let mut l = "lrwxrwxrwx root/root 0 2024-01-01 00:00 ./usr/lib/aarch64-linux-gnu/wireshark/extcap/udrv -> ../../../../bin/udrv\n\
                     -rwxr-xr-x root/root 1 2024-01-01 00:00 ./usr/bin/udrv\n\
                     -rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/share/bash-completion/completions/udrv\n\
                     -rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/share/zsh/vendor-completions/_udrv\n\
                     -rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/share/fish/vendor_completions.d/udrv.fish\n\
                     -rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/lib/udev/rules.d/60-udrv.rules\n\
                     -rwxr-xr-x root/root 1 2024-01-01 00:00 ./usr/lib/udrv/groups.sh\n\
                     -rwxr-xr-x root/root 1 2024-01-01 00:00 ./usr/lib/udrv/user.sh\n\
                     -rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/lib/systemd/system/udrv.service\n\
                     -rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/share/doc/udrv/examples/udrv.toml\n"
            .to_string();
        for p in pages {
            l.push_str(&format!(
                "-rw-r--r-- root/root 1 2024-01-01 00:00 ./usr/share/man/man1/{p}.gz\n"
            ));
        }
        l
    }

    const PAGES: &[&str] = &[
        "udrv.1",
        "udrv-capture.1",
        "udrv-gpio.1",
        "udrv-i2c.1",
        "udrv-i2c-get.1",
    ];

    fn owned(pages: &[&str]) -> Vec<String> {
        pages.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn deb_listing_check_names_what_is_missing() {
        let full = listing(PAGES);
        assert_eq!(check_deb_listing(&full, &AARCH64, &owned(PAGES)), Ok(()));
        let err = check_deb_listing(&full, &ARMV7, &owned(PAGES)).unwrap_err();
        assert!(
            err.contains("arm-linux-gnueabihf/wireshark/extcap/udrv"),
            "{err}"
        );
        let no_rule: Vec<&str> = full.lines().filter(|l| !l.contains("rules.d")).collect();
        assert!(
            check_deb_listing(&no_rule.join("\n"), &AARCH64, &owned(PAGES))
                .unwrap_err()
                .contains("60-udrv.rules")
        );
        let parts = [
            "udrv.service",
            "examples/udrv.toml",
            "udrv/user.sh",
            "completions/udrv",
            "_udrv",
            "udrv.fish",
        ];
        for part in parts {
            let without: Vec<&str> = full.lines().filter(|l| !l.ends_with(part)).collect();
            assert!(
                check_deb_listing(&without.join("\n"), &AARCH64, &owned(PAGES))
                    .unwrap_err()
                    .contains(part),
                "{part}"
            );
        }
    }

    /// Every page `udrv man --dir` wrote must be in the package, and a package with only
    /// udrv(1) (the pages its SUBCOMMANDS name missing) fails whatever the list says.
    #[test]
    fn deb_listing_check_wants_every_man_page() {
        let generated = owned(&[PAGES, &["udrv-watch.1"]].concat());
        let err = check_deb_listing(&listing(PAGES), &AARCH64, &generated).unwrap_err();
        assert!(
            err.contains("./usr/share/man/man1/udrv-watch.1.gz"),
            "{err}"
        );
        assert!(!err.contains("udrv-gpio.1.gz,"), "{err}");
        let err = check_deb_listing(&listing(&["udrv.1"]), &AARCH64, &[]).unwrap_err();
        assert!(err.contains("man1/udrv-i2c-get.1.gz"), "{err}");
        // `udrv.1.gz` is a whole path, not a part of `udrv-i2c.1.gz`'s.
        let no_top: Vec<&str> = PAGES.iter().copied().filter(|p| *p != "udrv.1").collect();
        let err = check_deb_listing(&listing(&no_top), &AARCH64, &owned(PAGES)).unwrap_err();
        assert!(err.contains("./usr/share/man/man1/udrv.1.gz"), "{err}");
    }
}
