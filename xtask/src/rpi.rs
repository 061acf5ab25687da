//! `cargo xtask vmtest --board rpi3b`: the second real-kernel tier, an emulated Raspberry
//! Pi 3B.
//!
//! QEMU's `raspi3b` machine runs Debian's own arm64 kernel with the Pi's real I2C (BSC),
//! SPI, GPIO (`pinctrl-bcm2835`) and UART (PL011) controllers and their kernel drivers, and
//! QEMU's chip models answer on the Pi's buses. Those models were written by others from
//! the datasheets, so a driver that passes against them is checked against someone else's
//! reading of the datasheet.
//!
//! Parts (downloaded once with a private APT config and unpacked into the cache with
//! `dpkg-deb -x`; nothing is installed or added to the system's APT sources):
//! `qemu-system-arm` 10 from bookworm-backports (bookworm's 7.2 lacks the Pi's I2C and SPI
//! controllers), Debian's `linux-image-*-arm64` and its `bcm2837-rpi-3-b.dtb`,
//! `busybox-static:arm64` and `device-tree-compiler` (for `fdtput`). The shared libraries
//! QEMU needs are ordinary bookworm packages, installed with `apt-get` when missing.
//!
//! Per run: the `rpi_*` integration tests of every crate are built for
//! `aarch64-unknown-linux-musl` (static, linked with `rust-lld`) with `--cfg udrv_guest
//! --cfg udrv_guest_rpi`, together with the `udrv` binary, and packed into a cpio appended
//! to the cached base image. One boot runs them all. The tier's own README is
//! `xtask/guest-rpi/README.md`.
//!
//! The machine (`-S`, then the host wires it over QMP and continues):
//!
//! | bus | chip (QEMU model) | address / select | used by |
//! |---|---|---|---|
//! | `/dev/i2c-1` (BSC1, header) | tmp105 `t48` | 0x48 | user space (LM75/TMP102 driver) |
//! | | tmp105 `t49` | 0x49 | kernel `lm75` (DT node: `UU`) |
//! | | at24c-eeprom `ee50`, 256 B | 0x50 | user space (AT24 driver, core I2C) |
//! | | at24c-eeprom `ee54`, 4 KiB | 0x54 | user space (AT24, 2-byte addresses) |
//! | | at24c-eeprom `ee57`, 256 B | 0x57 | kernel `at24` (DT node: `UU`) |
//! | | ds1338 `rtc68`, pca9548 `mux70`, dps310 `baro77` | 0x68, 0x70, 0x77 | user space |
//! | mux70 channel 2 | tmp105 `t4a` | 0x4a | user space |
//! | mux70 channel 5 | at24c-eeprom `ee51`, 256 B | 0x51 | user space |
//! | SPI0 | w25q32 `flash0` | CE0 = GPIO8 | `/dev/spidev0.0` |
//! | | w25q64 `flash1` | CE1 = GPIO7 | `/dev/spidev0.1` |
//! | PL011 | `/dev/ttyAMA0` | unix socket on the host | serial / RS485 capture |
//!
//! The kernel console is the mini UART (`ttyS1`) on QEMU's stdio. Markers are those of
//! `vm.rs` (`UDRV-TEST-BEGIN`, `UDRV-TEST-END`, `UDRV-GUEST-EXIT`), plus the host request
//! protocol: a guest test that needs the host to act on the machine (set a temperature,
//! change a GPIO input level, send bytes into the PL011) writes
//! `UDRV-HOST-REQ <id> <command> [args]` on `/dev/console`; this module does it and answers
//! `UDRV-HOST-ACK <id> ok [data]` or `UDRV-HOST-ACK <id> err <message>` on the console's
//! input. The guest side is `xtask/guest-rpi/host.rs`, which the tests include; the
//! commands are listed at [`Host::handle`].

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cpio::Archive;
use crate::guest::{self, TestBin, Verdict};
use crate::qmp::{Qmp, Qtest};
use crate::util::{self, ctx, note, Result};
use crate::vm::{self, VmOpts};

/// Bump when the way the parts are unpacked changes.
const PARTS_RECIPE: &str = "udrv-rpi-parts-1";
/// Bump when the base initramfs layout changes.
const BASE_RECIPE: &str = "udrv-rpi-base-2";
/// The Rust target of the guest binaries.
const TARGET: &str = "aarch64-unknown-linux-musl";
/// The guest timeout when no `--timeout` is given: a run takes 10-30 s here, so a hang
/// fails sooner than the x86 tier's 600 s.
const DEFAULT_TIMEOUT: u64 = 120;
/// The Pi's benchmark (`cargo xtask vmbench --board rpi3b`); `vmtest --board rpi3b` builds
/// it too (for the Pi, in the test profile) without running it, so CI compiles it.
const BENCH: (&str, &str) = ("udrv-core", "rpi_bench");

/// Kernel modules in the base image (with their dependencies), loaded by the fixtures.
/// (`rtc-ds1307` is built into Debian's arm64 kernel; it binds only DT nodes, and 0x68 has
/// none.)
const MODULES: &[&str] = &[
    "i2c-dev",
    "i2c-bcm2835",
    "spi-bcm2835",
    "bcm2835_wdt",
    "at24",
    "lm75",
    "i2c-mux-pca954x",
    // The kernel's DPS310 driver (IIO), bound by rpi_kernel_drivers to QEMU's dps310.
    "dps310",
];

/// QEMU devices on the Pi's buses (see the table in the module docs).
const DEVICES: &[&str] = &[
    "tmp105,id=t48,bus=i2c-bus.1,address=0x48",
    "tmp105,id=t49,bus=i2c-bus.1,address=0x49",
    "at24c-eeprom,id=ee50,bus=i2c-bus.1,address=0x50,rom-size=256",
    "at24c-eeprom,id=ee54,bus=i2c-bus.1,address=0x54,rom-size=4096",
    "at24c-eeprom,id=ee57,bus=i2c-bus.1,address=0x57,rom-size=256",
    "ds1338,id=rtc68,bus=i2c-bus.1,address=0x68",
    "pca9548,id=mux70,bus=i2c-bus.1,address=0x70",
    "dps310,id=baro77,bus=i2c-bus.1,address=0x77",
    "tmp105,id=t4a,bus=i2c.2,address=0x4a",
    "at24c-eeprom,id=ee51,bus=i2c.5,address=0x51,rom-size=256",
    "w25q32,id=flash0,bus=spi",
    "w25q64,id=flash1,bus=spi,cs=1",
];

/// QOM path of the BCM2835 GPIO controller.
const GPIO_QOM: &str = "/machine/soc/peripherals/gpio";
/// Physical addresses of GPSET0 and GPCLR0 (GPSET1/GPCLR1 follow at +4).
const GPSET0: u32 = 0x3f20_001c;
const GPCLR0: u32 = 0x3f20_0028;

fn guest_dir() -> PathBuf {
    util::workspace_root().join("xtask/guest-rpi")
}

/// The unpacked Debian packages.
struct Parts {
    /// `dpkg-deb -x` of every package.
    root: PathBuf,
    /// The cache key (hash of the package file names, i.e. names and versions).
    key: String,
    /// Kernel release (`6.1.0-56-arm64`).
    release: String,
}

impl Parts {
    fn qemu(&self) -> PathBuf {
        self.root.join("usr/bin/qemu-system-aarch64")
    }
    fn kernel(&self) -> PathBuf {
        self.root.join(format!("boot/vmlinuz-{}", self.release))
    }
    fn modules(&self) -> PathBuf {
        self.root.join(format!("lib/modules/{}", self.release))
    }
    fn dtb(&self) -> PathBuf {
        self.root.join(format!(
            "usr/lib/linux-image-{}/broadcom/bcm2837-rpi-3-b.dtb",
            self.release
        ))
    }
}

/// The private APT setup in the cache: returns the `-c` config file.
pub(crate) fn apt_config(dir: &Path) -> Result<PathBuf> {
    for d in [
        "sources.list.d",
        "preferences.d",
        "lists/partial",
        "cache/archives/partial",
    ] {
        ctx(fs::create_dir_all(dir.join(d)), || {
            format!("mkdir {}", dir.join(d).display())
        })?;
    }
    let sources = util::read(&guest_dir().join("sources.list"))?;
    let conf =
        util::read(&guest_dir().join("apt.conf.in"))?.replace("@APTDIR@", &dir.to_string_lossy());
    // A changed source list invalidates the downloaded package lists.
    if fs::read_to_string(dir.join("sources.list")).ok().as_deref() != Some(&sources) {
        let _ = fs::remove_dir_all(dir.join("lists"));
        ctx(fs::create_dir_all(dir.join("lists/partial")), || {
            "mkdir lists".into()
        })?;
        util::write(&dir.join("sources.list"), &sources)?;
    }
    util::write(&dir.join("apt.conf"), conf)?;
    for f in ["status", "preferences"] {
        if !dir.join(f).exists() {
            util::write(&dir.join(f), "")?;
        }
    }
    Ok(dir.join("apt.conf"))
}

pub(crate) fn apt_update(conf: &Path) -> Result {
    note("updating the private APT lists (bookworm, -updates, -backports, -security)");
    let r = util::run(
        Command::new("apt-get")
            .arg("-c")
            .arg(conf)
            .args(["update", "-qq", "-o", "APT::Sandbox::User=root"])
            .stdout(Stdio::null()),
    );
    // A mirror in the middle of a sync fails one index now and then: go on with what
    // came; resolving the packages below says clearly if something is missing.
    if let Err(e) = r {
        note(format!("apt-get update reported errors (going on): {e}"));
    }
    Ok(())
}

/// `apt-get download --print-uris`: the `.deb` file names (name_version_arch.deb) the
/// packages resolve to, without downloading.
pub(crate) fn resolve(conf: &Path, specs: &[String]) -> Result<Vec<(String, String)>> {
    let out = util::output(
        Command::new("apt-get")
            .arg("-c")
            .arg(conf)
            .args(["download", "--print-uris", "-qq"])
            .args(specs),
    )?;
    // 'URI' FILE SIZE HASH
    Ok(out
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let uri = f.next()?.trim_matches('\'').to_string();
            let file = f.next()?.to_string();
            Some((uri, file))
        })
        .collect())
}

/// The package specs: QEMU from backports, the current 6.1 arm64 kernel, busybox, dtc.
fn package_specs(conf: &Path) -> Result<Vec<String>> {
    let deps = util::output(
        Command::new("apt-cache")
            .arg("-c")
            .arg(conf)
            .args(["depends", "linux-image-arm64:arm64"]),
    )?;
    let kernel = deps
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .map(|p| p.trim_start_matches('<').trim_end_matches('>'))
        .find(|p| p.starts_with("linux-image-") && p.ends_with("-arm64:arm64"))
        .ok_or_else(|| {
            format!("no kernel package in `apt-cache depends linux-image-arm64`: {deps}")
        })?;
    Ok(vec![
        "qemu-system-arm/bookworm-backports".into(),
        "qemu-system-common/bookworm-backports".into(),
        "qemu-system-data/bookworm-backports".into(),
        kernel.to_string(),
        "busybox-static:arm64".into(),
        "device-tree-compiler".into(),
    ])
}

/// Fetches and unpacks the parts (cached by package versions).
fn parts() -> Result<Parts> {
    let cache = util::cache_dir()?.join("rpi");
    ctx(fs::create_dir_all(&cache), || {
        format!("mkdir {}", cache.display())
    })?;
    let _lock = util::FileLock::acquire(&cache.join("parts.lock"))?;
    let conf = apt_config(&cache.join("apt"))?;
    let have_lists = fs::read_dir(cache.join("apt/lists"))
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().contains("_Packages"))
        })
        .unwrap_or(false);
    if !have_lists {
        apt_update(&conf)?;
    }
    // Resolving works offline from the lists (a few seconds, so the answer is kept per
    // state of the lists); on failure (lists from an older mirror state) update once and
    // retry.
    let resolved = cache.join(format!(
        "resolved-{}",
        lists_stamp(&cache.join("apt/lists"))?
    ));
    let (specs, debs): (Vec<String>, Vec<(String, String)>) = match fs::read_to_string(&resolved)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    {
        Some(r) => r,
        None => {
            let r = match package_specs(&conf).and_then(|s| Ok((s.clone(), resolve(&conf, &s)?))) {
                Ok(r) if r.1.len() == r.0.len() => r,
                _ => {
                    apt_update(&conf)?;
                    let s = package_specs(&conf)?;
                    let d = resolve(&conf, &s)?;
                    (s, d)
                }
            };
            let resolved = cache.join(format!(
                "resolved-{}",
                lists_stamp(&cache.join("apt/lists"))?
            ));
            util::write(&resolved, json!(r).to_string())?;
            r
        }
    };
    let names: Vec<&str> = debs.iter().map(|(_, f)| f.as_str()).collect();
    let key = util::hash(format!("{PARTS_RECIPE}\n{}", names.join("\n")).as_bytes())?;
    let dir = cache.join(format!("parts-{key}"));
    let root = dir.join("root");
    if !dir.join("done").exists() {
        note(format!(
            "fetching the emulated Pi's parts (first run only): {}",
            names.join(" ")
        ));
        let _ = fs::remove_dir_all(&dir);
        let debdir = dir.join("debs");
        ctx(fs::create_dir_all(&debdir), || {
            format!("mkdir {}", debdir.display())
        })?;
        // `_apt` cannot write into the cache folder: download unsandboxed.
        let download = |specs: &[String]| {
            util::run(
                Command::new("apt-get")
                    .current_dir(&debdir)
                    .arg("-c")
                    .arg(&conf)
                    .args(["download", "-qq", "-o", "APT::Sandbox::User=root"])
                    .args(specs),
            )
        };
        if download(&specs).is_err() {
            apt_update(&conf)?;
            download(&specs)?;
        }
        let mut host_deps = BTreeSet::new();
        for (_, file) in &debs {
            let deb = debdir.join(file);
            if !deb.exists() {
                return Err(format!("apt-get download did not leave {}", deb.display()));
            }
            util::run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root))?;
            if file.ends_with("_amd64.deb") {
                let depends =
                    util::output(Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends"))?;
                host_deps.extend(host_libraries(&depends));
            }
        }
        let host_deps: Vec<String> = host_deps.into_iter().collect();
        util::write(&dir.join("host-deps"), host_deps.join("\n"))?;
        let _ = fs::remove_dir_all(&debdir);
        util::write(&dir.join("done"), names.join("\n"))?;
    }
    let host_deps = util::read(&dir.join("host-deps"))?;
    let host_deps: Vec<&str> = host_deps.lines().filter(|l| !l.is_empty()).collect();
    vm::ensure_packages(&host_deps)?;
    let release = fs::read_dir(root.join("lib/modules"))
        .map_err(|e| format!("{}: {e}", root.join("lib/modules").display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with("-arm64"))
        .ok_or("no arm64 kernel release in the unpacked kernel package")?;
    // The package leaves modules.dep to the install step: make it here.
    if !root
        .join(format!("lib/modules/{release}/modules.dep"))
        .exists()
    {
        vm::ensure_packages(&["kmod"])?;
        util::run(Command::new("depmod").arg("-b").arg(&root).arg(&release))?;
    }
    Ok(Parts { root, key, release })
}

/// A hash of the APT lists' names, sizes and modification times.
fn lists_stamp(lists: &Path) -> Result<String> {
    let mut entries: Vec<String> = fs::read_dir(lists)
        .map_err(|e| format!("{}: {e}", lists.display()))?
        .flatten()
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            let mtime = m
                .modified()
                .ok()?
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?;
            Some(format!(
                "{} {} {}",
                e.file_name().to_string_lossy(),
                m.len(),
                mtime.as_secs()
            ))
        })
        .collect();
    entries.sort();
    util::hash(entries.join("\n").as_bytes())
}

/// The package names in a `Depends:` field that are bookworm libraries (not the unpacked
/// QEMU packages themselves).
fn host_libraries(depends: &str) -> Vec<String> {
    depends
        .split(',')
        .filter_map(|d| d.split('|').next())
        .filter_map(|d| d.split_whitespace().next())
        .map(|n| n.split(':').next().unwrap_or(n).to_string())
        .filter(|n| !n.starts_with("qemu-") && !n.is_empty())
        .collect()
}

/// Runs a tool from the unpacked `device-tree-compiler`.
fn dt_tool(parts: &Parts, tool: &str) -> Command {
    Command::new(parts.root.join("usr/bin").join(tool))
}

/// Applies one line of `xtask/guest-rpi/dtb-edits` to `dtb`.
fn dtb_edit(parts: &Parts, dtb: &Path, line: &str) -> Result {
    let (optional, line) = match line.strip_prefix('?') {
        Some(rest) => (true, rest.trim()),
        None => (false, line),
    };
    let mut args = Vec::new();
    for tok in line.split_whitespace() {
        if let Some(path) = tok
            .strip_prefix("{phandle:")
            .and_then(|t| t.strip_suffix('}'))
        {
            let ph = util::output(dt_tool(parts, "fdtget").arg(dtb).arg(path).arg("phandle"))?;
            args.push(ph.trim().to_string());
        } else {
            args.push(tok.to_string());
        }
    }
    let mut cmd = dt_tool(parts, "fdtput");
    cmd.arg(dtb).args(&args).stderr(Stdio::null());
    match util::run(&mut cmd) {
        Err(e) if !optional => Err(format!("dtb edit `{line}`: {e}")),
        _ => Ok(()),
    }
}

/// Debian's Pi 3B device tree with the edits kept in `xtask/guest-rpi/dtb-edits`, cached.
fn dtb(parts: &Parts) -> Result<PathBuf> {
    let edits = util::read(&guest_dir().join("dtb-edits"))?;
    let key = util::hash(format!("{}\n{edits}", parts.key).as_bytes())?;
    let out = util::cache_dir()?.join(format!("rpi/rpi3b-{key}.dtb"));
    if out.exists() {
        return Ok(out);
    }
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    ctx(fs::copy(parts.dtb(), &tmp), || {
        format!("copy {}", parts.dtb().display())
    })?;
    for line in edits.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        dtb_edit(parts, &tmp, line)?;
    }
    ctx(fs::rename(&tmp, &out), || {
        format!("rename {}", out.display())
    })?;
    Ok(out)
}

/// `modules.dep` as (module name, relative path, dependency paths).
fn module_deps(modules: &Path) -> Result<Vec<(String, String, Vec<String>)>> {
    let dep = util::read(&modules.join("modules.dep"))?;
    Ok(dep
        .lines()
        .filter_map(|l| {
            let (path, deps) = l.split_once(':')?;
            let name = Path::new(path)
                .file_name()?
                .to_string_lossy()
                .split('.')
                .next()?
                .replace('-', "_");
            Some((
                name,
                path.to_string(),
                deps.split_whitespace().map(str::to_string).collect(),
            ))
        })
        .collect())
}

/// The base initramfs: busybox, `/init`, the modules in [`MODULES`] with their
/// dependencies and a `modules.dep` for them. Cached per parts and recipe.
fn base_initramfs(parts: &Parts) -> Result<PathBuf> {
    let init = util::read(&guest_dir().join("init.sh"))?;
    let key = util::hash(format!("{BASE_RECIPE}\n{}\n{MODULES:?}\n{init}", parts.key).as_bytes())?;
    let path = util::cache_dir()?.join(format!("rpi/initramfs-{key}.cpio"));
    if path.exists() {
        return Ok(path);
    }
    let modules = parts.modules();
    let deps = module_deps(&modules)?;
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    for m in MODULES {
        let name = m.replace('-', "_");
        let (_, path, d) = deps
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| format!("kernel {} has no module {m}", parts.release))?;
        wanted.insert(path.clone());
        wanted.extend(d.iter().cloned());
    }
    let mut a = Archive::new();
    vm::guest_skeleton(&mut a, &parts.root.join("bin/busybox"), &init)?;
    let base = format!("lib/modules/{}", parts.release);
    a.dir(&base);
    let mut dirs = BTreeSet::new();
    let mut dep_lines = String::new();
    for (_, path, d) in deps.iter().filter(|(_, p, _)| wanted.contains(p)) {
        dep_lines.push_str(&format!("{path}: {}\n", d.join(" ")));
        let mut parent = String::new();
        for comp in Path::new(path).parent().into_iter().flat_map(|p| p.iter()) {
            parent = if parent.is_empty() {
                comp.to_string_lossy().into_owned()
            } else {
                format!("{parent}/{}", comp.to_string_lossy())
            };
            if dirs.insert(parent.clone()) {
                a.dir(&format!("{base}/{parent}"));
            }
        }
        ctx(
            a.host_file(&format!("{base}/{path}"), &modules.join(path)),
            || format!("module {path}"),
        )?;
    }
    a.file(&format!("{base}/modules.dep"), 0o644, dep_lines.as_bytes());
    for f in ["modules.builtin", "modules.order"] {
        if modules.join(f).exists() {
            ctx(
                a.host_file(&format!("{base}/{f}"), &modules.join(f)),
                || f.into(),
            )?;
        }
    }
    ctx(a.save(&path), || format!("write {}", path.display()))?;
    Ok(path)
}

/// A `cargo` command building for the guest: static aarch64 musl, `rust-lld`, the cfg.
fn guest_cargo() -> Result<Command> {
    let installed = util::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !installed.lines().any(|l| l.trim() == TARGET) {
        util::run(Command::new("rustup").args(["target", "add", TARGET]))?;
    }
    // C code in dependencies (ring, for the service's TLS) is compiled with Debian's
    // aarch64 cross compiler: there is no aarch64 musl gcc, and ring's C needs no libc
    // headers the musl target lacks.
    vm::ensure_packages(&["gcc-aarch64-linux-gnu"])?;
    let root = util::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .env("CC_aarch64_unknown_linux_musl", "aarch64-linux-gnu-gcc")
        .env("AR_aarch64_unknown_linux_musl", "aarch64-linux-gnu-ar")
        // `udrv_guest` too: crates declare their guest-only dev-dependencies (udrv-core
        // for the drivers' tests) under `cfg(udrv_guest)`. Only `rpi_*` targets are built,
        // so the x86 tier's `guest_*` tests stay out.
        .env(
            "RUSTFLAGS",
            "--cfg udrv_guest --cfg udrv_guest_rpi -C debuginfo=0 -C strip=debuginfo",
        )
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER", "rust-lld")
        .env("CARGO_TARGET_DIR", root.join("target/guest-rpi"));
    Ok(cmd)
}

/// Builds the `rpi_*` integration tests (all, or those matching `--only`).
fn build_tests(opts: &VmOpts) -> Result<Vec<TestBin>> {
    let wanted = |name: &str| name.starts_with("rpi_") && opts.selects(name);
    let selected = crate::runner::select_targets(|kind, name, _| kind == "test" && wanted(name))?;
    // The benchmark is built with the tests it would be selected with (not run: see BENCH).
    let bench = opts.selects(BENCH.1).then_some(BENCH);
    if selected.is_empty() {
        return Err(format!(
            "no rpi_* guest test binary matches {:?}",
            opts.only
        ));
    }
    let mut cmd = guest_cargo()?;
    cmd.args(["test", "--no-run", "--target", TARGET]);
    for (pkg, name) in &selected {
        cmd.args(["--package", pkg, "--test", name]);
    }
    let mut expected = selected.clone();
    if let Some((pkg, name)) = bench {
        cmd.args(["--package", pkg, "--bench", name]);
        expected.push((pkg.into(), name.into()));
    }
    if opts.release {
        cmd.arg("--release");
    }
    note(format!("building static {TARGET} guest test binaries"));
    // Every selected target must have come out as exactly one executable.
    let tests: Vec<TestBin> = guest::named(
        crate::runner::list(&mut cmd, &expected, 1)?
            .into_iter()
            .filter(|b| b.kind == "test" && wanted(&b.target))
            .collect(),
    );
    if tests.is_empty() {
        return Err(format!(
            "no rpi_* test binary was built for {:?}",
            opts.only
        ));
    }
    Ok(tests)
}

/// Builds the `udrv` binary for the guest, for tests that run it as a user would.
fn build_udrv(opts: &VmOpts) -> Result<PathBuf> {
    let target_dir = util::workspace_root().join("target/guest-rpi");
    guest::build_udrv(guest_cargo()?, TARGET, &target_dir, opts.release)
}

/// The per-run payload: `/kb/run`, the fixtures, test binaries and `udrv`.
fn payload(run_script: &str, tests: &[TestBin], udrv: Option<&Path>) -> Result<Vec<u8>> {
    let fixtures = util::read(&guest_dir().join("fixtures.sh"))?;
    let tools: Vec<PathBuf> = udrv.into_iter().map(Path::to_path_buf).collect();
    guest::payload(run_script, &fixtures, tests, &tools)
}

/// The host's side of a running machine: QMP, qtest and the PL011's socket.
struct Host {
    qmp: Qmp,
    qtest: Qtest,
    uart: UnixStream,
    /// Bytes the guest sent out of the PL011, not yet taken by a `uart-read`.
    uart_rx: Arc<Mutex<Vec<u8>>>,
    /// The run folder (sockets, files from the guest).
    run: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex string {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("hex {s:?}: {e}")))
        .collect()
}

impl Host {
    /// Connects to the sockets of a QEMU started with `-S`, wires the flash chip selects,
    /// sets the sensors' starting temperatures and lets the machine run.
    fn start(run: &Path) -> Result<Host> {
        let timeout = Duration::from_secs(20);
        let mut qmp = Qmp::connect(&run.join("qmp.sock"), timeout)?;
        let qtest = Qtest::connect(&run.join("qtest.sock"), timeout)?;
        let uart =
            UnixStream::connect(run.join("uart.sock")).map_err(|e| format!("PL011 socket: {e}"))?;
        // spi-bcm2835 drives CE0/CE1 as GPIO8/GPIO7 (cs-gpios in the DT): link those GPIO
        // outputs to the flash models' chip-select inputs.
        qmp.qom_set(
            GPIO_QOM,
            "unnamed-gpio-out[8]",
            json!("/machine/peripheral/flash0/ssi-gpio-cs[0]"),
        )?;
        qmp.qom_set(
            GPIO_QOM,
            "unnamed-gpio-out[7]",
            json!("/machine/peripheral/flash1/ssi-gpio-cs[0]"),
        )?;
        // The -device temperature= property is reset at machine reset: set it now.
        for id in ["t48", "t49"] {
            qmp.qom_set(
                &format!("/machine/peripheral/{id}"),
                "temperature",
                json!(25000),
            )?;
        }
        let uart_rx = Arc::new(Mutex::new(Vec::new()));
        let rx = Arc::clone(&uart_rx);
        let mut reader = uart.try_clone().map_err(|e| format!("PL011 socket: {e}"))?;
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                rx.lock().expect("uart buffer").extend_from_slice(&buf[..n]);
            }
        });
        qmp.execute("cont", json!({}))?;
        Ok(Host {
            qmp,
            qtest,
            uart,
            uart_rx,
            run: run.to_path_buf(),
        })
    }

    /// Carries out one guest request and returns the data of its `ok` answer. Commands:
    ///
    /// - `qom-set PATH PROPERTY JSON` / `qom-get PATH PROPERTY` (QMP)
    /// - `qtest LINE...` (e.g. `qtest readl 0x3f200034`): the reply after `OK`
    /// - `gpio-input LINE 0|1`: the level of a BCM2835 GPIO as the pin sees it (GPSETn or
    ///   GPCLRn written from the host over qtest)
    /// - `uart-write HEX`: bytes into the PL011's receive side
    /// - `uart-write-frames GAP_MS HEX...`: frames with `GAP_MS` of silence between them
    /// - `uart-read N TIMEOUT_MS`: up to N bytes the guest sent (hex), waiting at most
    ///   `TIMEOUT_MS` for all N
    /// - `uart-clear`: forget what the guest sent so far
    /// - `tshark FIELD[,FIELD...] HEX`: the host's `tshark -T fields` reading of a capture
    ///   file the guest sends as hex; one `|`-separated entry per packet, fields joined by
    ///   `,`
    fn handle(&mut self, request: &str) -> Result<String> {
        let mut f = request.split_whitespace();
        let cmd = f.next().unwrap_or_default();
        let args: Vec<&str> = f.collect();
        let arg = |i: usize| -> Result<&str> {
            args.get(i)
                .copied()
                .ok_or_else(|| format!("`{cmd}` needs more arguments"))
        };
        match cmd {
            "qom-set" => {
                let value: Value = serde_json::from_str(&args[2.min(args.len())..].join(" "))
                    .map_err(|e| format!("qom-set value: {e}"))?;
                self.qmp.qom_set(arg(0)?, arg(1)?, value)?;
                Ok(String::new())
            }
            "qom-get" => Ok(self.qmp.qom_get(arg(0)?, arg(1)?)?.to_string()),
            "qtest" => self.qtest.command(&args.join(" ")),
            "gpio-input" => {
                let line: u32 = arg(0)?.parse().map_err(|e| format!("line: {e}"))?;
                if line >= 54 {
                    return Err(format!("the BCM2835 has 54 GPIOs, not {line}"));
                }
                let reg = match arg(1)? {
                    "1" => GPSET0,
                    "0" => GPCLR0,
                    l => return Err(format!("level {l}: 0 or 1")),
                } + 4 * (line / 32);
                self.qtest
                    .command(&format!("writel {reg:#x} {:#x}", 1u32 << (line % 32)))?;
                Ok(String::new())
            }
            "uart-write" => {
                self.uart
                    .write_all(&unhex(arg(0)?)?)
                    .map_err(|e| format!("PL011 socket: {e}"))?;
                Ok(String::new())
            }
            "uart-write-frames" => {
                let gap: u64 = arg(0)?.parse().map_err(|e| format!("gap: {e}"))?;
                for (i, frame) in args[1..].iter().enumerate() {
                    if i > 0 {
                        std::thread::sleep(Duration::from_millis(gap));
                    }
                    self.uart
                        .write_all(&unhex(frame)?)
                        .map_err(|e| format!("PL011 socket: {e}"))?;
                }
                Ok(String::new())
            }
            "uart-read" => {
                let n: usize = arg(0)?.parse().map_err(|e| format!("count: {e}"))?;
                let ms: u64 = arg(1)?.parse().map_err(|e| format!("timeout: {e}"))?;
                let deadline = Instant::now() + Duration::from_millis(ms);
                loop {
                    {
                        let mut rx = self.uart_rx.lock().expect("uart buffer");
                        if rx.len() >= n || Instant::now() >= deadline {
                            let take = rx.len().min(n);
                            let out: Vec<u8> = rx.drain(..take).collect();
                            return Ok(hex(&out));
                        }
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            "tshark" => {
                // tshark FIELD[,FIELD...] HEX: decode a capture file the guest made.
                let file = self.run.join("guest-capture");
                util::write(&file, unhex(arg(1)?)?)?;
                let mut cmd = Command::new("tshark");
                cmd.arg("-r").arg(&file).args(["-T", "fields"]);
                for f in arg(0)?.split(',') {
                    cmd.args(["-e", f]);
                }
                // A minute at most: the guest waits for this answer.
                let out = match crate::runner::exec(
                    &mut cmd,
                    Duration::from_secs(60),
                    crate::runner::Stderr::File,
                ) {
                    (crate::runner::Ended::Exit(0), out, _) => out,
                    (ended, _, err) => {
                        return Err(format!("tshark {}: {}", util::describe(&ended), err.trim()))
                    }
                };
                Ok(out.lines().collect::<Vec<_>>().join("|").replace('\t', ","))
            }
            "uart-clear" => {
                self.uart_rx.lock().expect("uart buffer").clear();
                Ok(String::new())
            }
            other => Err(format!("unknown host request `{other}`")),
        }
    }
}

/// A running QEMU.
struct Machine {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<guest::Console>,
    run: PathBuf,
}

impl Drop for Machine {
    fn drop(&mut self) {
        // QEMU is alone in its process group: nothing it started outlives it.
        crate::runner::kill_group(self.child.id() as i32);
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.run);
    }
}

/// Starts QEMU (stopped, `-S`) with the kernel, DTB, initramfs and the devices.
fn start(parts: &Parts, dtb: &Path, initrd: &Path, run: &Path) -> Result<Machine> {
    let sock = |name: &str| format!("unix:{},server=on,wait=off", run.join(name).display());
    let mut cmd = Command::new(parts.qemu());
    cmd.env(
        "QEMU_MODULE_DIR",
        parts.root.join("usr/lib/x86_64-linux-gnu/qemu"),
    )
    .args(["-M", "raspi3b", "-accel", "tcg,thread=single", "-S"])
    .args(guest::QEMU_BARE)
    .arg("-L")
    .arg(parts.root.join("usr/share/qemu"))
    // serial0 = PL011 (guest ttyAMA0) on a socket; serial1 = mini UART = the console.
    .args(["-serial", &sock("uart.sock"), "-serial", "stdio"])
    .arg("-kernel")
    .arg(parts.kernel())
    .arg("-dtb")
    .arg(dtb)
    .arg("-initrd")
    .arg(initrd)
    .args([
        "-append",
        "console=ttyS1 quiet loglevel=4 panic=-1 oops=panic",
    ])
    .args(["-qmp", &sock("qmp.sock")])
    .args(["-qtest", &sock("qtest.sock"), "-qtest-log", "/dev/null"]);
    for d in DEVICES {
        cmd.args(["-device", d]);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", parts.qemu().display()))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let lines = guest::console_lines(stdout);
    Ok(Machine {
        child,
        stdin,
        lines,
        run: run.to_path_buf(),
    })
}

/// Boots the machine with `base` + `payload`, serves the guest's host requests, streams
/// the console to stdout and returns what it saw.
fn boot(
    parts: &Parts,
    dtb: &Path,
    base: &Path,
    payload: &[u8],
    timeout: Duration,
) -> Result<Verdict> {
    // Unix socket paths are short (108 bytes): keep the run folder in the temp dir.
    let run = std::env::temp_dir().join(format!("udrv-rpi-{}", std::process::id()));
    let _ = fs::remove_dir_all(&run);
    ctx(fs::create_dir_all(&run), || {
        format!("mkdir {}", run.display())
    })?;
    let initrd = run.join("initrd.cpio");
    let mut image = ctx(fs::read(base), || format!("read {}", base.display()))?;
    image.extend_from_slice(payload);
    util::write(&initrd, &image)?;
    note(format!(
        "booting the emulated Raspberry Pi 3B (raspi3b, TCG, timeout {} s)",
        timeout.as_secs()
    ));
    let started = Instant::now();
    let mut m = start(parts, dtb, &initrd, &run)?;
    let mut host = Host::start(&run)?;
    let Machine { lines, stdin, .. } = &mut m;
    let verdict = guest::follow_console(lines, started + timeout, |line| {
        // Anywhere in the line: libtest prints `test name ... ` before a test's output
        // ends the line.
        let Some(req) = line
            .find("UDRV-HOST-REQ ")
            .map(|i| &line[i + "UDRV-HOST-REQ ".len()..])
        else {
            return Ok(());
        };
        let (id, request) = req.split_once(' ').unwrap_or((req, ""));
        let answer = match host.handle(request) {
            Ok(data) => format!("UDRV-HOST-ACK {id} ok {data}"),
            Err(e) => format!("UDRV-HOST-ACK {id} err {}", e.replace('\n', " ")),
        };
        if !answer.contains(" ok ") {
            eprintln!("host: {answer}");
        }
        // The guest reads the answer from the console in canonical mode.
        writeln!(stdin, "{answer}").map_err(|e| format!("console input: {e}"))?;
        stdin.flush().map_err(|e| format!("console input: {e}"))
    })?;
    drop(m);
    note(format!(
        "the guest ran {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(verdict)
}

/// `cargo xtask vmtest --board rpi3b`.
pub fn vmtest(opts: &VmOpts) -> Result {
    let started = Instant::now();
    let timeout = Duration::from_secs(opts.timeout.unwrap_or(DEFAULT_TIMEOUT));
    // tshark decodes the guest's RS485 captures on the host.
    vm::ensure_packages(&["tshark"])?;
    let parts = parts()?;
    let dtb = dtb(&parts)?;
    let base = base_initramfs(&parts)?;
    if opts.selfcheck {
        return selfcheck(&parts, &dtb, &base);
    }
    let deadline = guest::BINARY_DEADLINE_SECS;
    let prepared = Instant::now();
    let (payload, tests) = if let Some(path) = &opts.script {
        let body = util::read(path)?;
        let script = vm::script_run(&body, &[], deadline.max(timeout.as_secs()));
        (payload(&script, &[], Some(&build_udrv(opts)?))?, Vec::new())
    } else {
        let tests = build_tests(opts)?;
        let script = guest::run_script(&tests, &opts.test_args, deadline, "");
        (payload(&script, &tests, Some(&build_udrv(opts)?))?, tests)
    };
    let built = Instant::now();
    let mut v = boot(&parts, &dtb, &base, &payload, timeout)?;
    v.expect(&tests, !opts.test_args.is_empty());
    let r = guest::report(&v, "rpi3b", "the emulated Pi");
    note(format!(
        "vmtest rpi3b took {:.1} s (parts {:.1} s, build {:.1} s, boot and tests {:.1} s)",
        started.elapsed().as_secs_f64(),
        (prepared - started).as_secs_f64(),
        (built - prepared).as_secs_f64(),
        built.elapsed().as_secs_f64()
    ));
    r
}

/// `cargo xtask vmbench --board rpi3b`: the I2C register read through udrv, through
/// linux-embedded-hal and as a raw `I2C_RDWR` loop on the Pi's real I2C driver
/// (`core/benches/rpi_bench.rs`, built for the Pi in the bench profile), in one boot with
/// the tier's timeout. Prints Markdown tables.
pub fn vmbench(opts: &VmOpts) -> Result {
    let timeout = Duration::from_secs(opts.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let profile = if opts.no_run {
        "dev profile"
    } else {
        "release"
    };
    note(format!(
        "building the Pi's benchmark (static {TARGET}, {profile})"
    ));
    let benches = [BENCH];
    let bins = vm::build_benches(guest_cargo()?, TARGET, &benches, opts.no_run)?;
    if opts.no_run {
        note(format!("built {}", bins[0].path.display()));
        return Ok(());
    }
    // The emulator's parts only for a run (--no-run needs none of them).
    let parts = parts()?;
    let dtb = dtb(&parts)?;
    let base = base_initramfs(&parts)?;
    let payload = payload(&vm::bench_script(&benches), &bins, None)?;
    let v = boot(&parts, &dtb, &base, &payload, timeout)?;
    guest::report(&v, "rpi3b", "the emulated Pi")?;
    vm::print_bench_tables(&v)
}

/// `--selfcheck --board rpi3b`: the cases of both tiers (`guest::selfcheck_cases`), plus a
/// host request the host refuses, which must fail the binary that made it.
fn selfcheck(parts: &Parts, dtb: &Path, base: &Path) -> Result {
    let mut cases = guest::selfcheck_cases(60);
    cases.push(guest::SelfCheck {
        name: "refused host request",
        binaries: vec![(
            "selfcheck",
            "echo 'UDRV-HOST-REQ 1.1 no-such-request' > /dev/console\nread -r ack\n\
             case \"$ack\" in *' ok'*) echo 'test result: ok. 1 passed; 0 failed';; \
             *) echo 'test result: FAILED. 0 passed; 1 failed'; exit 101;; esac\n"
                .into(),
        )],
        expected: vec!["selfcheck"],
        fixtures: ": > /kb/fixtures.env\n",
        deadline: guest::BINARY_DEADLINE_SECS,
        timeout: 60,
        cause: Some("selfcheck: 1 tests failed"),
    });
    guest::run_selfcheck("selfcheck rpi3b", &cases, |payload, timeout| {
        boot(parts, dtb, base, payload, timeout)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_libraries_drop_versions_alternatives_and_qemu() {
        let d = "libaio1 (>= 0.3.93), libc6 (>= 2.34), qemu-system-common (= 1:10.0.2), \
                 libjpeg62-turbo (>= 1.3.1) | libjpeg8, zlib1g:amd64";
        assert_eq!(
            host_libraries(d),
            ["libaio1", "libc6", "libjpeg62-turbo", "zlib1g"]
        );
    }

    #[test]
    fn hex_round_trip_and_errors() {
        assert_eq!(hex(&[0x01, 0xab, 0xff]), "01abff");
        assert_eq!(unhex("01abff").unwrap(), [0x01, 0xab, 0xff]);
        assert!(unhex("0").is_err());
        assert!(unhex("zz").is_err());
    }
}
