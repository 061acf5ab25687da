//! `udrv read --record` on the real kernel's i2c-stub bus, then `--replay` of that file:
//! the replay prints what the bus gave when recorded, even after the chip's registers have
//! changed, because it opens no bus at all.
#![cfg(udrv_guest)]

mod common;

use std::process::Output;

use common::{env, run, stderr, stdout};

/// Standard output of a command that must succeed.
fn ok(o: Output, what: &str) -> String {
    assert!(o.status.success(), "{what}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn a_session_on_the_real_bus_replays_without_it() {
    let bus = env("UDRV_I2C_STUB_BUS");
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("stub.rec");
    let rec = rec.to_str().unwrap();
    // The LM75's temperature register (big-endian 0x1480 = 20.5 °C; SMBus words are
    // little-endian on the wire) and the EEPROM's first bytes.
    ok(
        run(
            "busybox",
            &["i2cset", "-y", &bus, "0x48", "0x00", "0x8014", "w"],
        ),
        "i2cset",
    );
    let lm75 = format!("lm75@i2c-{bus}:0x48");
    let eeprom = format!("at24c02@i2c-{bus}:0x50");
    let live = ok(
        run("udrv", &["read", &lm75, &eeprom, "--record", rec]),
        "udrv read --record",
    );
    assert!(live.contains("20.5 °C"), "{live}");
    let log = std::fs::read_to_string(rec).unwrap();
    assert!(
        log.contains(&format!("i2c {lm75} 0x48 w 00 r 14 80")),
        "{log}"
    );

    // The chip changes; the replay still prints the recorded session.
    ok(
        run(
            "busybox",
            &["i2cset", "-y", &bus, "0x48", "0x00", "0x0019", "w"],
        ),
        "i2cset",
    );
    let now = ok(run("udrv", &["read", &lm75]), "udrv read");
    assert!(now.contains("25.0 °C"), "{now}");
    let replayed = ok(
        run("udrv", &["read", "--replay", rec]),
        "udrv read --replay",
    );
    assert_eq!(replayed, live);
}
