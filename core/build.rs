//! Links libgpiod 2.x's C library into the guest benchmark (`benches/guest_bench.rs`) when
//! `cargo xtask vmbench` asks for it; does nothing otherwise, so an ordinary build of
//! udrv-core is unaffected (the library itself never uses libgpiod).
//!
//! `UDRV_LIBGPIOD` names a folder holding `libudrv_libgpiod_peer.a` (`benches/libgpiod_peer.c`
//! compiled against bookworm-backports' `libgpiod-dev`) and that package's `libgpiod.a`,
//! prepared by `xtask/src/peers.rs`. Then the benchmarks (only they) are linked with both
//! and compiled with `--cfg udrv_libgpiod`, which turns the libgpiod rows on.

use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=UDRV_LIBGPIOD");
    println!("cargo::rustc-check-cfg=cfg(udrv_libgpiod)");
    let Some(dir) = std::env::var_os("UDRV_LIBGPIOD") else {
        return;
    };
    let dir = Path::new(&dir);
    // The archives are x86_64 Linux code: other targets (the cross builds) go without.
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if arch != "x86_64" || os != "linux" {
        return;
    }
    let archives = [dir.join("libudrv_libgpiod_peer.a"), dir.join("libgpiod.a")];
    for a in &archives {
        assert!(
            a.is_file(),
            "UDRV_LIBGPIOD={}: {} is missing (run `cargo xtask vmbench`, which prepares it, \
             or unset UDRV_LIBGPIOD)",
            dir.display(),
            a.display()
        );
        println!("cargo::rerun-if-changed={}", a.display());
        println!("cargo::rustc-link-arg-benches={}", a.display());
    }
    println!("cargo::rustc-cfg=udrv_libgpiod");
}
