//! `udrv --board virtual probe i2c-1`, run as the built binary: every chip of the virtual
//! board's I2C bus found at its address and named from its registers, JSON, errors.

use std::process::{Command, Output};

use udrv_boards::catalog::{ChipKind, Identification};
use udrv_boards::r#virtual::CHIPS;

fn udrv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(args)
        .env_remove("UDRV_BOARD")
        .env("UDRV_VIRTUAL_TIME", "300")
        .output()
        .expect("run udrv")
}

#[test]
fn names_every_chip_of_the_virtual_bus() {
    let o = udrv(&["--board", "virtual", "probe", "i2c-1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    // Chips on the bus itself (those behind a switch channel are not on it until the
    // channel is selected, which probe never does).
    let on_bus = || {
        CHIPS
            .iter()
            .filter(|c| c.address().is_some() && c.bus() == "i2c-1")
    };
    for c in on_bus() {
        let Some(a) = c.address() else { continue };
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{a:#04x} ")))
            .unwrap_or_else(|| panic!("{a:#04x} not found:\n{out}"));
        let guess = line.split_whitespace().nth(1).unwrap();
        if c.chip() == "sht3x" {
            // Only commands make an SHT3x talk; probe sends none.
            assert_eq!(guess, "(sht3x?)", "{line}");
        } else if c.chip() == "bh1750" || c.chip() == "shtc3" {
            // Command-driven too: candidates from plain reads, never identified.
            assert_eq!(guess, format!("({}?)", c.chip()), "{line}");
            assert!(
                line.contains(&format!("udrv read {}@BUS", c.chip())),
                "{line}"
            );
        } else if c.chip() == "pca9548" {
            // Only plain reads at 0x70-0x75: a switch takes any written byte as its
            // channel selection; it repeats its control register (no channel enabled).
            assert_eq!(guess, "(pca954x?)", "{line}");
            assert!(line.contains("channels enabled: none"), "{line}");
        } else if c.chip() == "pca9554" {
            // Only plain reads at 0x20-0x27: a PCA9554 repeats its input port.
            assert_eq!(guess, "(I/O", "{line}");
            assert!(line.contains("PCA9554"), "{line}");
        } else {
            assert_eq!(guess, c.chip(), "{line}");
        }
    }
    // The PCA9685 answers its all-call address too, moved to 0x6f (0x70 is the SHTC3's):
    // that is the chip at 0x41 again, not a second PCA9685; nothing else is on the bus.
    let all_call = out
        .lines()
        .find(|l| l.starts_with("0x6f "))
        .unwrap_or_else(|| panic!("0x6f not listed:\n{out}"));
    assert!(!all_call.contains(" pca9685 "), "{all_call}");
    assert!(
        all_call.contains("(pca9685 all-call)") && all_call.contains("0x41"),
        "{all_call}"
    );
    let expected = on_bus().count() + 1;
    assert_eq!(out.lines().count(), expected, "{out}");
    assert!(
        out.contains("chip ID register 0xd0 = 0x60"),
        "evidence: {out}"
    );
}

#[test]
fn json_lists_what_was_found() {
    let o = udrv(&["--board", "virtual", "--json", "probe", "1"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = v["found"].as_array().unwrap();
    let at = |a: u64| found.iter().find(|f| f["address"] == a).unwrap();
    assert_eq!(at(0x76)["chip"], "bme280");
    assert_eq!(at(0x40)["chip"], "ina219");
    assert_eq!(at(0x44)["chip"], serde_json::Value::Null);
    assert_eq!(at(0x44)["guess"], "(sht3x?)");
    assert_eq!(at(0x23)["chip"], serde_json::Value::Null);
    assert_eq!(at(0x23)["guess"], "(bh1750?)");
    assert_eq!(at(0x70)["guess"], "(shtc3?)");
    assert!(at(0x70)["evidence"]
        .as_str()
        .unwrap()
        .contains("refuses a plain read"));
    assert!(found.iter().all(|f| f["evidence"].as_str().is_some()));
}

#[test]
fn probing_does_not_change_what_read_sees() {
    // A probe only reads: the PCA9685 stays asleep at its power-on prescale, the INA219 at
    // its power-on configuration (which probe itself relies on).
    let a = udrv(&["--board", "virtual", "probe", "i2c-1"]);
    let b = udrv(&["--board", "virtual", "probe", "i2c-1"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn unknown_bus() {
    let o = udrv(&["--board", "virtual", "probe", "i2c-9"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("i2c-9") && e.contains("i2c-1"), "{e}");
    let o = udrv(&["probe", "/dev/i2c-250"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn all_call_and_sub_call_addresses_are_the_real_chips() {
    let o = udrv(&["--board", "virtual", "--json", "probe", "1"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = v["found"].as_array().unwrap();
    let pca: Vec<&serde_json::Value> = found.iter().filter(|f| f["chip"] == "pca9685").collect();
    assert_eq!(pca.len(), 1, "one PCA9685 on the board: {pca:?}");
    assert_eq!(pca[0]["address"], 0x41);
    let alias = found.iter().find(|f| f["address"] == 0x6f).unwrap();
    assert_eq!(alias["chip"], serde_json::Value::Null, "{alias}");
    assert_eq!(alias["guess"], "(pca9685 all-call)", "{alias}");
    assert!(
        alias["evidence"].as_str().unwrap().contains("ALLCALLADR"),
        "{alias}"
    );
}

#[test]
fn the_help_says_what_is_sent_to_each_chip() {
    let o = udrv(&["probe", "--help"]);
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(!help.contains("probe --help"), "refers to itself:\n{help}");
    for needle in [
        "BME280",
        "0xd0",
        "DPS310",
        "0x0d",
        "DS3231",
        "INA219",
        "ADS1115",
        "LM75",
        "TMP102",
        "PCA9685",
        "ALLCALLADR",
        "MCP23017",
        "PCA954",
        "SHTC3",
        "SHT3x",
        "BH1750",
        "AT24",
    ] {
        assert!(help.contains(needle), "{needle} missing:\n{help}");
    }
    // The short help of `udrv --help` points at it.
    let o = udrv(&["--help"]);
    let top = String::from_utf8_lossy(&o.stdout);
    let line = top
        .lines()
        .find(|l| l.trim_start().starts_with("probe"))
        .unwrap();
    assert!(line.contains("probe --help"), "{line}");
}

/// What `udrv --board virtual --json probe i2c-1` finds (it must succeed).
fn found_on_i2c1() -> Vec<serde_json::Value> {
    let o = udrv(&["--board", "virtual", "--json", "probe", "i2c-1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["found"].as_array().unwrap().clone()
}

/// Every chip the virtual board attaches on its bus whose kind the catalog says `probe`
/// identifies (an ID register, register values, a plain read) is named as that kind;
/// the others are never claimed (a guess in parentheses at most).
#[test]
fn probe_identifies_every_attached_chip_the_catalog_says_it_can() {
    let found = found_on_i2c1();
    let mut identifiable = 0;
    for c in CHIPS.iter().filter(|c| c.bus() == "i2c-1") {
        let a = u64::from(c.address().unwrap());
        let f = found
            .iter()
            .find(|f| f["address"] == a)
            .unwrap_or_else(|| panic!("{} not found: {found:?}", c.spec()));
        if c.kind().identification().probe_identifies() {
            identifiable += 1;
            assert_eq!(f["chip"], c.kind().name(), "{}: {f}", c.spec());
        } else {
            assert!(f["chip"].is_null(), "{} claimed: {f}", c.spec());
        }
    }
    assert!(identifiable >= 9, "{identifiable}");
}

/// Kinds whose identification `probe` uses but that the virtual board attaches none of on
/// its bus, and why. (Checked: a kind listed here that the board does attach fails.)
const NOT_ON_THE_VIRTUAL_BUS: &[(ChipKind, &str)] = &[(
    ChipKind::Tmp102,
    "the virtual board's LM75-family chips are LM75s; boards/tests/catalog_probe.rs \
     (tmp102_and_lm75_are_told_apart) probes a TMP102 model",
)];

/// Kinds with an identification that `probe` does not send, and why. (Checked: a kind
/// listed here that probe identifies fails.)
const NOT_SENT_BY_PROBE: &[(ChipKind, &str)] = &[
    (
        ChipKind::Shtc3,
        "its ID takes a command (a write), which probe never sends: it is listed as \
         (shtc3?) from a refused plain read",
    ),
    (
        ChipKind::W25q32,
        "the JEDEC ID is an SPI command; probe scans I2C buses",
    ),
];

/// For every kind in the catalog with an identification: `probe` names every chip of
/// that kind the virtual board attaches on its bus, and the board attaches at least one,
/// unless the kind is listed above with the reason. A kind added to the catalog with an
/// identification and no rule in the probe, or no chip on the virtual board, fails here.
#[test]
fn probe_names_every_kind_with_identification_on_the_virtual_board() {
    let found = found_on_i2c1();
    let listed = |list: &[(ChipKind, &str)], k: ChipKind| list.iter().any(|(l, _)| *l == k);
    let mut named = Vec::new();
    for kind in ChipKind::ALL {
        let id = kind.identification();
        if id == Identification::None {
            continue;
        }
        let attached: Vec<u8> = CHIPS
            .iter()
            .filter(|c| c.bus() == "i2c-1" && c.kind() == kind)
            .filter_map(|c| c.address())
            .collect();
        if listed(NOT_SENT_BY_PROBE, kind) {
            assert!(
                !id.probe_identifies(),
                "{kind}: listed in NOT_SENT_BY_PROBE, but probe uses its identification"
            );
            continue;
        }
        assert!(
            id.probe_identifies(),
            "{kind}: an identification ({id:?}) probe does not use: list it in \
             NOT_SENT_BY_PROBE with the reason"
        );
        if listed(NOT_ON_THE_VIRTUAL_BUS, kind) {
            assert!(
                attached.is_empty(),
                "{kind}: listed in NOT_ON_THE_VIRTUAL_BUS, but the virtual board attaches it \
                 at {attached:02x?}"
            );
            continue;
        }
        assert!(
            !attached.is_empty(),
            "{kind}: probe identifies it, but the virtual board attaches none on i2c-1: \
             attach one or list it in NOT_ON_THE_VIRTUAL_BUS with the reason"
        );
        for a in attached {
            let f = found
                .iter()
                .find(|f| f["address"] == u64::from(a))
                .unwrap_or_else(|| panic!("{kind} at {a:#04x} not found: {found:?}"));
            assert_eq!(f["chip"], kind.name(), "{kind} at {a:#04x}: {f}");
            named.push(kind);
        }
    }
    // Sanity: the loop saw the kinds (an empty catalog or board would pass vacuously).
    assert!(
        named.contains(&ChipKind::Bme280) && named.len() >= 9,
        "{named:?}"
    );
}
