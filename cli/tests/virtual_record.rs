//! `udrv read --record FILE` and `--replay FILE`, run as the built binary on the virtual
//! board: a session recorded there replays to the same output without any bus, one chip
//! can be replayed out of a whole board's recording, recorded bus errors come back, and a
//! replay that does not match its recording fails naming the file and the line.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{assert_stderr_has, assert_stdout_has, stderr, stdout};
use udrv_core::record::Replay;

const TIME: &str = "2000.5";

fn udrv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(args)
        .env_remove("UDRV_BOARD")
        .env_remove("UDRV_VIRTUAL_FAULTS")
        .env("UDRV_VIRTUAL_TIME", TIME)
        .output()
        .expect("run udrv")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

#[test]
fn a_virtual_board_session_replays_to_the_same_readings_without_a_bus() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("board.rec");
    let live = udrv(&["--board", "virtual", "read", "--record", path(&rec)]);
    assert!(live.status.success(), "{}", stderr(&live));
    let log = std::fs::read_to_string(&rec).unwrap();
    assert!(log.starts_with("# udrv-record 1\n"), "{log}");
    // Every chip of the board is in the recording, under its label.
    let replay = Replay::open(&rec).unwrap();
    let lines = stdout(&live);
    for name in replay.devices() {
        assert!(lines.contains(&name), "{name} not read live:\n{lines}");
    }
    assert!(replay.devices().len() >= 10, "{:?}", replay.devices());

    // No --board: nothing is opened, the chips come from the recording.
    let again = udrv(&["read", "--replay", path(&rec)]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), lines);

    // The same as JSON (timestamps aside, the readings are the recorded ones).
    let json = udrv(&["--json", "read", "--replay", path(&rec)]);
    assert!(json.status.success(), "{}", stderr(&json));
    let first: serde_json::Value =
        serde_json::from_str(stdout(&json).lines().next().unwrap()).unwrap();
    assert_eq!(first["device"], "bme280@i2c-1:0x76");
}

#[test]
fn one_chip_replays_out_of_a_whole_board_recording() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("board.rec");
    assert!(
        udrv(&["--board", "virtual", "read", "--record", path(&rec)])
            .status
            .success()
    );
    let live = udrv(&["--board", "virtual", "read", "lm75@i2c-1:0x4f"]);
    let one = udrv(&["read", "--replay", path(&rec), "lm75@i2c-1:0x4f"]);
    assert!(one.status.success(), "{}", stderr(&one));
    assert_eq!(stdout(&one), stdout(&live));
    // A chip the recording does not have: refused, naming the file.
    let other = udrv(&["read", "--replay", path(&rec), "lm75@i2c-1:0x48"]);
    assert_eq!(other.status.code(), Some(1));
    let e = stderr(&other);
    assert!(
        e.contains(path(&rec)) && e.contains("lm75@i2c-1:0x48"),
        "{e}"
    );
}

#[test]
fn rounds_must_match_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("lm75.rec");
    let live = udrv(&[
        "--board",
        "virtual",
        "read",
        "-n",
        "2",
        "-w",
        "0.01",
        "--record",
        path(&rec),
        "lm75@i2c-1:0x4f",
    ]);
    assert!(live.status.success(), "{}", stderr(&live));
    // Two rounds recorded: without -n, the replay runs as many as were recorded.
    let all = udrv(&["read", "--replay", path(&rec)]);
    assert!(all.status.success(), "{}", stderr(&all));
    assert_eq!(stdout(&all), stdout(&live));
    let two = udrv(&["read", "--replay", path(&rec), "-n", "2"]);
    assert!(two.status.success(), "{}", stderr(&two));
    assert_eq!(stdout(&two), stdout(&live));
    // One, asked for: a line is left, and the error says so.
    let one = udrv(&["read", "--replay", path(&rec), "-n", "1"]);
    assert_eq!(one.status.code(), Some(1));
    let e = stderr(&one);
    assert!(e.contains("never replayed") && e.contains("line 3"), "{e}");
    assert!(e.contains("-n"), "{e}");
    // Three: the third round runs past the end of the recording.
    let three = udrv(&["read", "--replay", path(&rec), "-n", "3"]);
    assert_eq!(three.status.code(), Some(1));
    assert_stderr_has(&three, "past the end");
}

#[test]
fn recorded_bus_errors_come_back_on_replay() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("nack.rec");
    let live = Command::new(env!("CARGO_BIN_EXE_udrv"))
        .args(["--board", "virtual", "read", "--record", path(&rec)])
        .arg("lm75@i2c-1:0x4f")
        .env("UDRV_VIRTUAL_FAULTS", "i2c@0x4f:nack-addr")
        .env_remove("UDRV_BOARD")
        .output()
        .unwrap();
    assert_eq!(live.status.code(), Some(1));
    let log = std::fs::read_to_string(&rec).unwrap();
    assert!(log.contains("! nack-address"), "{log}");
    let again = udrv(&["read", "--replay", path(&rec)]);
    assert_eq!(again.status.code(), Some(1));
    let e = stderr(&again);
    assert!(e.contains("nack-address") && e.contains("line 2"), "{e}");
}

#[test]
fn a_replay_that_differs_from_its_recording_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("edited.rec");
    // A recording of an LM75 read whose register pointer was edited: the driver writes
    // 00, the recording says 01.
    std::fs::write(
        &rec,
        "# udrv-record 1\ni2c lm75@i2c-1:0x48 0x48 w 01 r 19 00\n",
    )
    .unwrap();
    let o = udrv(&["read", "--replay", path(&rec)]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains(&format!("{} line 2", path(&rec))), "{e}");
    assert!(e.contains("w 01") && e.contains("w 00"), "{e}");
    // The unedited line replays: 0x1900 is 25.0 °C.
    std::fs::write(
        &rec,
        "# udrv-record 1\ni2c lm75@i2c-1:0x48 0x48 w 00 r 19 00\n",
    )
    .unwrap();
    let o = udrv(&["read", "--replay", path(&rec)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_stdout_has(&o, "25.0 °C");
}

#[test]
fn record_and_replay_argument_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.rec");
    let o = udrv(&["read", "--replay", path(&missing)]);
    assert_eq!(o.status.code(), Some(1));
    assert_stderr_has(&o, path(&missing));
    let o = udrv(&[
        "--board",
        "virtual",
        "read",
        "--record",
        path(&dir.path().join("no/such/dir/x.rec")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot create the recording"));
    let o = udrv(&["read", "--record", "a", "--replay", "b"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
