//! `udrv serve` on this machine's buses (udrv-core, the real kernel), in the guest: an
//! LM75 on the i2c-stub fixture at 0x48, its temperature register set with busybox
//! `i2cset`, read by the service on its schedule into JSON lines.
#![cfg(udrv_guest)]

use std::process::{Command, Stdio};

#[test]
fn the_service_reads_a_chip_on_a_linux_bus() {
    let bus = std::env::var("UDRV_I2C_STUB_BUS")
        .expect("UDRV_I2C_STUB_BUS is not set: the i2c-stub fixture failed (see the console)");
    // 25.5 °C: 0x1980 big-endian, an SMBus word low byte first.
    let o = Command::new("busybox")
        .args(["i2cset", "-y", &bus, "0x48", "0x00", "0x8019", "w"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("udrv.toml");
    std::fs::write(
        &config,
        format!("board = \"guest\"\ninterval = 0.1\n[[chip]]\nspec = \"lm75@i2c-{bus}:0x48\"\n"),
    )
    .unwrap();
    let o = Command::new("timeout")
        .args(["60", "udrv", "serve", "--count", "3", "--config"])
        .arg(&config)
        .env_remove("UDRV_BOARD")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}\n{err}");
    for (i, r) in lines.iter().enumerate() {
        assert_eq!(r["device"], format!("lm75@i2c-{bus}:0x48"));
        assert_eq!(r["quantity"], "temperature");
        assert_eq!(r["value"], 25.5, "{r}");
        assert_eq!(r["seq"], i as u64 + 1);
    }
}
