//! The peers' own tools inside the x86 guest, so tests can run udrv and the tool its users
//! already know on the same bus or line in the same boot and compare them: i2c-tools 4.3
//! (Debian 12's `i2cget`, `i2cset`, `i2cdump`, `i2cdetect`, `i2ctransfer`) and libgpiod
//! 2.x's tools (`gpioset`, `gpioget`, `gpiomon`, `gpioinfo`, `gpiodetect`, `gpionotify`
//! from bookworm-backports; Debian 12 itself ships libgpiod 1.6, whose tools speak v1).
//! busybox's own i2c applets are in every guest already (`busybox i2cget`).
//!
//! The packages are downloaded once through the Raspberry Pi tier's private APT config
//! (nothing is installed on the host) and unpacked with `dpkg-deb -x`; the binaries, the
//! shared libraries they load (found with `ldd`, the host's glibc being bookworm's too) and
//! the dynamic loader are packed into a cpio that is cached and appended to each boot's
//! initramfs:
//!
//! | guest path | what |
//! |---|---|
//! | `/kb/peer/bin/<tool>` | the tools (`$UDRV_PEER_BIN` in the tests' environment) |
//! | `/lib/x86_64-linux-gnu/` | their libraries (`libi2c.so.0`, `libgpiod.so.3`, libc...) |
//! | `/lib64/ld-linux-x86-64.so.2` | the loader |
//! | `/kb/peer/versions` | `package version` lines of what was unpacked |
//!
//! `cargo xtask vmbench` also links libgpiod 2.x's C library into its benchmark:
//! [`libgpiod_peer`] fetches `libgpiod-dev` from bookworm-backports the same way (headers
//! and `libgpiod.a`) and compiles `core/benches/libgpiod_peer.c` against it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cpio::Archive;
use crate::util::{self, ctx, note, Result};

/// Bump when the layout of the cpio changes.
const RECIPE: &str = "udrv-peers-1";

/// The packages, as `apt-get download` specs.
const PACKAGES: &[&str] = &[
    "i2c-tools:amd64",
    "libi2c0:amd64",
    "gpiod:amd64/bookworm-backports",
    "libgpiod3:amd64/bookworm-backports",
];

/// The tools copied into the guest, as paths inside the unpacked packages.
const TOOLS: &[&str] = &[
    "usr/sbin/i2cdetect",
    "usr/sbin/i2cget",
    "usr/sbin/i2cset",
    "usr/sbin/i2cdump",
    "usr/sbin/i2ctransfer",
    "usr/bin/gpiodetect",
    "usr/bin/gpioinfo",
    "usr/bin/gpioget",
    "usr/bin/gpioset",
    "usr/bin/gpiomon",
    "usr/bin/gpionotify",
];

/// Where the tools are in the guest.
pub const GUEST_BIN: &str = "/kb/peer/bin";

/// The private APT state shared with the Pi tier's parts, locked: the `-c` config, and
/// what `specs` (`apt-get download` specs) resolve to, `(uri, file)` each, the lists
/// updated once when they do not resolve. `what` names the packages in errors.
struct Apt {
    conf: PathBuf,
    debs: Vec<(String, String)>,
    _lock: util::FileLock,
}

impl Apt {
    fn resolve(specs: &[&str], what: &str) -> Result<Apt> {
        let apt_dir = util::cache_dir()?.join("rpi");
        ctx(fs::create_dir_all(&apt_dir), || {
            format!("mkdir {}", apt_dir.display())
        })?;
        // The same private APT state as the Pi tier's parts: one lock for both.
        let _lock = util::FileLock::acquire(&apt_dir.join("parts.lock"))?;
        let conf = crate::rpi::apt_config(&apt_dir.join("apt"))?;
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        let mut debs = crate::rpi::resolve(&conf, &specs).unwrap_or_default();
        if debs.len() != specs.len() {
            crate::rpi::apt_update(&conf)?;
            debs = crate::rpi::resolve(&conf, &specs)?;
        }
        if debs.len() != specs.len() {
            return Err(format!("{what}: {} resolved to {debs:?}", specs.join(" ")));
        }
        Ok(Apt { conf, debs, _lock })
    }

    /// The resolved `.deb` file names.
    fn files(&self) -> Vec<&str> {
        self.debs.iter().map(|(_, f)| f.as_str()).collect()
    }

    /// Downloads the resolved packages into `debdir` and unpacks them into `root`
    /// (`dpkg-deb -x`, nothing installed); returns `package version` lines.
    fn unpack(&self, specs: &[&str], debdir: &Path, root: &Path) -> Result<String> {
        ctx(fs::create_dir_all(debdir), || {
            format!("mkdir {}", debdir.display())
        })?;
        let download = || {
            util::run(
                Command::new("apt-get")
                    .current_dir(debdir)
                    .arg("-c")
                    .arg(&self.conf)
                    .args(["download", "-qq", "-o", "APT::Sandbox::User=root"])
                    .args(specs),
            )
        };
        if download().is_err() {
            crate::rpi::apt_update(&self.conf)?;
            download()?;
        }
        let mut versions = String::new();
        for file in self.files() {
            let deb = debdir.join(file);
            util::run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(root))?;
            versions.push_str(&file.replace('_', " ").replace(".deb", ""));
            versions.push('\n');
        }
        Ok(versions)
    }
}

/// The cpio of the peers' tools for the x86 guest (built on first use, cached by the
/// package versions).
pub fn x86_cpio() -> Result<PathBuf> {
    let cache = util::cache_dir()?;
    let apt = Apt::resolve(PACKAGES, "the peers' tools")?;
    let names = apt.files();
    let key = util::hash(format!("{RECIPE}\n{}", names.join("\n")).as_bytes())?;
    let cpio = cache.join(format!("peers-{key}.cpio"));
    if cpio.exists() {
        return Ok(cpio);
    }
    note(format!(
        "fetching the peers' tools for the guest (first run only): {}",
        names.join(" ")
    ));
    let work = cache.join(format!("peers-{key}"));
    let _ = fs::remove_dir_all(&work);
    let root = work.join("root");
    let versions = apt.unpack(PACKAGES, &work.join("debs"), &root)?;
    let archive = archive(&root, &versions)?;
    ctx(archive.save(&cpio), || format!("write {}", cpio.display()))?;
    let _ = fs::remove_dir_all(&work);
    Ok(cpio)
}

/// libgpiod 2.x's development package (headers and `libgpiod.a`), from bookworm-backports
/// like the tools' `libgpiod3`: Debian 12's own `libgpiod-dev` is 1.6 (uAPI v1).
const LIBGPIOD_DEV: &[&str] = &["libgpiod-dev:amd64/bookworm-backports"];

/// Bump when the way the peer's archive is built changes.
const LIBGPIOD_RECIPE: &str = "udrv-libgpiod-peer-1";

/// The C side of the benchmark's libgpiod rows: `core/benches/libgpiod_peer.c` compiled
/// against libgpiod 2.x's headers, as `libudrv_libgpiod_peer.a`, beside that package's
/// `libgpiod.a` and a `version` file (`package version`). Returns the folder, which the
/// benchmark's build names in `UDRV_LIBGPIOD` (`core/build.rs` links both archives).
///
/// The package is downloaded once into the cache and unpacked there (nothing installed);
/// the archive is built under `target/libgpiod-peer/`, once per source and package.
pub fn libgpiod_peer() -> Result<PathBuf> {
    let source = util::workspace_root().join("core/benches/libgpiod_peer.c");
    let code = util::read(&source)?;
    let apt = Apt::resolve(LIBGPIOD_DEV, "libgpiod 2.x's headers and static library")?;
    let deb = apt.files().concat();
    let dev = util::cache_dir()?.join(format!("libgpiod-dev-{}", util::hash(deb.as_bytes())?));
    let root = dev.join("root");
    if !dev.join("done").exists() {
        note(format!("fetching {deb} (first run only)"));
        let _ = fs::remove_dir_all(&dev);
        let versions = apt.unpack(LIBGPIOD_DEV, &dev.join("debs"), &root)?;
        util::write(&dev.join("version"), versions)?;
        let _ = fs::remove_dir_all(dev.join("debs"));
        util::write(&dev.join("done"), "")?;
    }
    drop(apt);
    let key = util::hash(format!("{LIBGPIOD_RECIPE}\n{deb}\n{code}").as_bytes())?;
    let out = util::workspace_root().join(format!("target/libgpiod-peer/{key}"));
    if out.join("libudrv_libgpiod_peer.a").exists() {
        return Ok(out);
    }
    // Built beside, then renamed: a folder that exists is complete.
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    ctx(fs::create_dir_all(&tmp), || {
        format!("mkdir {}", tmp.display())
    })?;
    let build = || -> Result {
        let object = tmp.join("libgpiod_peer.o");
        util::run(
            Command::new("gcc")
                .args(["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror"])
                .arg("-I")
                .arg(root.join("usr/include"))
                .arg("-c")
                .arg(&source)
                .arg("-o")
                .arg(&object),
        )
        .map_err(|e| format!("compiling {} against libgpiod 2.x: {e}", source.display()))?;
        util::run(
            Command::new("ar")
                .arg("rcsD")
                .arg(tmp.join("libudrv_libgpiod_peer.a"))
                .arg(&object),
        )?;
        let lib = root.join("usr/lib/x86_64-linux-gnu/libgpiod.a");
        ctx(fs::copy(&lib, tmp.join("libgpiod.a")), || {
            format!("{} (package contents changed?)", lib.display())
        })?;
        ctx(fs::copy(dev.join("version"), tmp.join("version")), || {
            "libgpiod-dev's version file".into()
        })?;
        Ok(())
    };
    if let Err(e) = build() {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = fs::remove_dir_all(&out);
    ctx(fs::rename(&tmp, &out), || {
        format!("rename to {}", out.display())
    })?;
    Ok(out)
}

/// Packs the tools of `root`, their libraries and the loader.
fn archive(root: &Path, versions: &str) -> Result<Archive> {
    let libdirs = [
        root.join("usr/lib/x86_64-linux-gnu"),
        root.join("lib/x86_64-linux-gnu"),
    ];
    let library_path = std::env::join_paths(&libdirs).map_err(|e| e.to_string())?;
    let mut a = Archive::new();
    for d in [
        "kb",
        "kb/peer",
        "kb/peer/bin",
        "lib",
        "lib/x86_64-linux-gnu",
        "lib64",
    ] {
        a.dir(d);
    }
    // soname -> host file; the loader separately.
    let mut libs: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut loader: Option<PathBuf> = None;
    for tool in TOOLS {
        let path = root.join(tool);
        let name = Path::new(tool)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        ctx(a.host_file(&format!("kb/peer/bin/{name}"), &path), || {
            format!("{} (package contents changed?)", path.display())
        })?;
        let ldd = util::output(
            Command::new("ldd")
                .arg(&path)
                .env("LD_LIBRARY_PATH", &library_path),
        )?;
        for line in ldd.lines().map(str::trim) {
            // `libi2c.so.0 => /path/libi2c.so.0 (0x...)` or `/lib64/ld-linux-x86-64.so.2 (0x...)`
            if let Some((soname, rest)) = line.split_once(" => ") {
                let host = rest.split_whitespace().next().unwrap_or_default();
                if host.starts_with('/') {
                    libs.insert(soname.to_string(), PathBuf::from(host));
                } else {
                    return Err(format!(
                        "{tool}: library {soname} not found (`ldd`: {line})"
                    ));
                }
            } else if line.starts_with("/lib64/ld-linux") {
                loader = Some(PathBuf::from(
                    line.split_whitespace().next().unwrap_or_default(),
                ));
            }
        }
    }
    for (soname, host) in &libs {
        ctx(
            a.host_file(&format!("lib/x86_64-linux-gnu/{soname}"), host),
            || format!("library {}", host.display()),
        )?;
    }
    let loader = loader.ok_or("ldd named no dynamic loader for the peers' tools")?;
    let loader_name = loader.file_name().unwrap_or_default().to_string_lossy();
    ctx(
        a.host_file(&format!("lib64/{loader_name}"), &loader),
        || format!("loader {}", loader.display()),
    )?;
    a.file("kb/peer/versions", 0o644, versions.as_bytes());
    Ok(a)
}
