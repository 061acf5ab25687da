#![cfg(feature = "serve")]
//! Remote control of `udrv serve`'s declared lines through a real MQTT broker (Debian's
//! mosquitto, started on 127.0.0.1 and a free port; mosquitto_pub sends the commands,
//! mosquitto_sub watches every topic): a command switches a writable virtual-board output
//! (read back through the service's socket and echoed on its state topic, as a change a
//! local client makes through the socket is); malformed
//! payloads, unknown names, read-only outputs and inputs are answered on the reply topic
//! and change nothing; a burst beyond an output's rate is answered "rate limited", counted
//! by replies, not by clock; the discovery documents of the switch and binary sensors are
//! accepted by Home Assistant's own schemas; an input's change is published as a JSON line
//! and as its state. The README's mosquitto ACL keeps a reading-only user's commands from
//! the service. Host only: these tests start servers and the udrv binary.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::procs::{wait_for, Proc};
use common::serve::{
    broker, broker_conf, ha_schema_check, messages, mosquitto, publish, secret, subscriber, users,
    write_config, Udrv,
};
use serde_json::Value;
use udrv_service::client::Client;

const UDRV: Udrv = Udrv(env!("CARGO_BIN_EXE_udrv"));

/// How long anything the service must do may take (a loaded machine is slow, not this slow).
const WAIT: Duration = Duration::from_secs(30);

/// A configuration of board `cmd` with the lines `lines` (TOML), its socket and state in
/// `dir`, MQTT to 127.0.0.1:`port` (`extra` follows its port): its path and the socket's.
fn config(dir: &Path, port: u16, lines: &str, extra: &str) -> (PathBuf, PathBuf) {
    let socket = dir.join("serve.sock");
    let path = write_config(
        dir,
        &format!(
            "board = \"cmd\"\n[state]\ndir = \"{}\"\n[socket]\npath = \"{}\"\n{lines}\
             [mqtt]\nhost = \"127.0.0.1\"\nport = {port}\n{extra}[queue]\ndir = \"{}\"\n",
            dir.join("state").display(),
            socket.display(),
            dir.join("queue").display()
        ),
    );
    (path, socket)
}

/// The heater (GPIO27) writable at `rate`, the LED (GPIO22) read-only.
fn outputs(rate: u32) -> String {
    format!(
        "[[line]]\nname = \"heater\"\nline = \"GPIO27\"\ndirection = \"output\"\n\
         writable = true\nrate = {rate}\n\
         [[line]]\nname = \"led\"\nline = \"GPIO22\"\ndirection = \"output\"\n"
    )
}

/// The payloads published on `topic`, in order.
fn on(sub: &Proc, topic: &str) -> Vec<String> {
    messages(sub)
        .into_iter()
        .filter(|(t, _)| t == topic)
        .map(|(_, p)| p)
        .collect()
}

/// Waits (`WAIT` at most) until the payloads on `topic` are `want`.
fn wait_states(sub: &Proc, serve: &Proc, topic: &str, want: &[&str]) {
    wait_for(
        &format!("{want:?} on {topic}"),
        WAIT,
        || on(sub, topic) == want,
        || format!("{}\n{}", sub.stdout(), serve.stderr()),
    );
}

/// The replies to commands, in order.
fn replies(sub: &Proc) -> Vec<Value> {
    on(sub, "udrv/cmd/reply")
        .iter()
        .map(|p| serde_json::from_str(p).unwrap_or_else(|e| panic!("{e}: {p}")))
        .collect()
}

/// Waits for `n` replies (`WAIT` at most): they.
fn wait_replies(sub: &Proc, serve: &Proc, n: usize) -> Vec<Value> {
    wait_for(
        &format!("{n} replies"),
        WAIT,
        || replies(sub).len() >= n,
        || format!("{}\n{}", sub.stdout(), serve.stderr()),
    );
    replies(sub)
}

/// The discovery documents published, in order: (topic, document).
fn discovery(sub: &Proc) -> Vec<(String, Value)> {
    messages(sub)
        .into_iter()
        .filter(|(t, _)| t.starts_with("homeassistant/"))
        .map(|(t, p)| (t, serde_json::from_str(&p).unwrap()))
        .collect()
}

/// The heater's level through the service's socket.
fn heater(socket: &Path) -> bool {
    Client::connect(socket).unwrap().get("heater").unwrap()
}

#[test]
fn a_command_switches_a_writable_output_and_bad_ones_are_answered_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    let input = "[[line]]\nname = \"int\"\nline = \"GPIO17\"\ndirection = \"input\"\n";
    let (config, socket) = config(d, port, &format!("{}{input}", outputs(5)), "");
    // A retained command, there before the service: the broker replays it when the
    // service subscribes, and it is refused (it may be old).
    publish(port, &["-r"], "udrv/cmd/line/heater/set", &["ON"]);
    let s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    let state = "udrv/cmd/line/heater/state";
    wait_states(&sub, &s, state, &["OFF"]);
    let r = wait_replies(&sub, &s, 1);
    assert_eq!(r[0]["ok"], false, "{r:?}");
    assert!(r[0]["error"]
        .as_str()
        .unwrap()
        .contains("a retained command"));
    assert!(!heater(&socket));
    publish(port, &[], "udrv/cmd/line/heater/set", &["ON"]);
    let r = wait_replies(&sub, &s, 2);
    assert_eq!(r[1]["ok"], true, "{r:?}");
    assert!(heater(&socket), "the command switched the heater on");
    wait_states(&sub, &s, state, &["OFF", "ON"]);
    // Bad commands: each answered, none changes anything.
    let bad = [
        ("heater", "maybe", "is not a level: give ON or OFF"),
        ("heater", &"x".repeat(200), "is not a level"),
        ("fan", "ON", "no line `fan`"),
        (
            "led",
            "ON",
            "line led is read-only: declare it with writable = true",
        ),
        ("int", "ON", "line int is an input"),
    ];
    for (name, payload, _) in &bad {
        publish(port, &[], &format!("udrv/cmd/line/{name}/set"), &[payload]);
    }
    let r = wait_replies(&sub, &s, 2 + bad.len());
    for ((name, _, why), reply) in bad.iter().zip(&r[2..]) {
        assert_eq!(reply["ok"], false, "{reply}");
        assert_eq!(reply["line"], *name, "{reply}");
        let e = reply["error"].as_str().unwrap();
        assert!(e.contains(why), "{e:?} should say {why:?}");
    }
    assert!(heater(&socket), "still on");
    let led = Client::connect(&socket).unwrap().get("led").unwrap();
    assert!(!led, "the read-only LED stays off");
    assert_eq!(on(&sub, state), ["OFF", "ON"], "no state change");
    // Every command logged in one line: topic, payload, outcome.
    let err = s.stderr();
    let logged: Vec<&str> = err.lines().filter(|l| l.contains("mqtt command")).collect();
    assert_eq!(logged.len(), 2 + bad.len(), "{err}");
    assert!(logged[0].contains("heater/set \"ON\": refused: line heater: a retained"));
    assert!(
        logged[1].contains("udrv/cmd/line/heater/set \"ON\": applied"),
        "{}",
        logged[1]
    );
    assert!(logged[4].contains("udrv/cmd/line/fan/set \"ON\": refused: no line `fan`"));
    // A local client sets it through the socket: the new state is published too.
    Client::connect(&socket)
        .unwrap()
        .set("heater", false)
        .unwrap();
    wait_states(&sub, &s, state, &["OFF", "ON", "OFF"]);
    // Discovery: the writable heater a switch, the read-only LED and the input binary
    // sensors, all retained and accepted by Home Assistant.
    let disc = discovery(&sub);
    let topics: Vec<&str> = disc.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        topics,
        [
            "homeassistant/switch/udrv_cmd/line_heater/config",
            "homeassistant/binary_sensor/udrv_cmd/line_led/config",
            "homeassistant/binary_sensor/udrv_cmd/line_int/config",
        ]
    );
    let heater_doc = &disc[0].1;
    assert_eq!(heater_doc["command_topic"], "udrv/cmd/line/heater/set");
    assert_eq!(heater_doc["state_topic"], state);
    assert!(disc[1].1.get("command_topic").is_none());
    ha_schema_check(d, &disc);
}

/// A PCA9685 channel of the virtual board declared writable takes its duty in percent
/// over MQTT (a Home Assistant `number`); the state is the duty the chip holds; a duty out
/// of range or no number is answered and changes nothing; a read-only channel is a
/// `sensor` and refuses commands.
#[test]
fn a_command_sets_a_pwm_channels_duty_and_bad_duties_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    let lines = "[[line]]\nname = \"fan\"\nline = \"pca9685@i2c-1:0x41/3\"\n\
                 direction = \"output\"\nwritable = true\nstart = 0.5\n[[line]]\n\
                 name = \"dimmer\"\nline = \"pca9685@i2c-1:0x41/4\"\ndirection = \"output\"\n";
    let (config, socket) = config(d, port, lines, "");
    let s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    let state = "udrv/cmd/line/fan/state";
    wait_states(&sub, &s, state, &["50"]);
    publish(
        port,
        &[],
        "udrv/cmd/line/fan/set",
        &["25", "150", "x", "75%"],
    );
    let r = wait_replies(&sub, &s, 4);
    let ok: Vec<bool> = r.iter().map(|x| x["ok"] == true).collect();
    assert_eq!(ok, [true, false, false, true], "{r:?}");
    assert!(
        r[1]["error"].as_str().unwrap().contains("out of range"),
        "{r:?}"
    );
    assert!(
        r[2]["error"].as_str().unwrap().contains("is not a duty"),
        "{r:?}"
    );
    wait_states(&sub, &s, state, &["50", "25", "75"]);
    let duty = Client::connect(&socket).unwrap().duty("fan").unwrap();
    assert!((duty - 0.75).abs() <= 1.0 / 4096.0, "{duty}");
    publish(port, &[], "udrv/cmd/line/dimmer/set", &["10"]);
    let r = wait_replies(&sub, &s, 5);
    assert_eq!(r[4]["ok"], false, "{r:?}");
    let dimmer = Client::connect(&socket).unwrap().duty("dimmer").unwrap();
    assert_eq!(dimmer, 0.0, "the read-only channel is unchanged");
    let disc = discovery(&sub);
    let topics: Vec<&str> = disc.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        topics,
        [
            "homeassistant/number/udrv_cmd/line_fan/config",
            "homeassistant/sensor/udrv_cmd/line_dimmer/config",
        ]
    );
    assert_eq!(disc[0].1["command_topic"], "udrv/cmd/line/fan/set");
    assert_eq!(disc[1].1["unit_of_measurement"], "%");
    ha_schema_check(d, &disc);
}

#[test]
fn a_burst_beyond_the_rate_is_answered_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    let (config, socket) = config(d, port, &outputs(2), "");
    let s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    wait_states(&sub, &s, "udrv/cmd/line/heater/state", &["OFF"]);
    // 100 commands at once; the bucket holds 2 (rate = 2) and starts full.
    let burst: Vec<&str> = (0..100).map(|i| ["ON", "OFF"][i % 2]).collect();
    publish(port, &[], "udrv/cmd/line/heater/set", &burst);
    let r = wait_replies(&sub, &s, burst.len());
    assert_eq!(r.len(), burst.len());
    let applied: Vec<usize> = (0..r.len()).filter(|i| r[*i]["ok"] == true).collect();
    // The first two fit the full bucket; the rest is refused but for what the bucket
    // refilled (2 a second) while the burst went through: far fewer than the burst.
    assert_eq!(applied[..2], [0, 1], "{r:?}");
    assert!(applied.len() <= 10, "{} applied: {r:?}", applied.len());
    for x in r.iter().filter(|x| x["ok"] == false) {
        let e = x["error"].as_str().unwrap();
        assert!(
            e.contains("rate limited (rate = 2 commands per second)"),
            "{e}"
        );
    }
    // The heater is at the last command applied, and its state says so.
    let last = burst[*applied.last().unwrap()] == "ON";
    assert_eq!(heater(&socket), last);
    let want = if last { "ON" } else { "OFF" };
    wait_for(
        "the state of the last command applied",
        WAIT,
        || {
            on(&sub, "udrv/cmd/line/heater/state")
                .last()
                .map(String::as_str)
                == Some(want)
        },
        || sub.stdout(),
    );
    let states = on(&sub, "udrv/cmd/line/heater/state");
    assert_eq!(
        states.len(),
        1 + applied.len(),
        "one echo per command applied"
    );
}

#[test]
fn an_input_change_is_published_as_a_json_line_and_a_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (port, _broker, sub) = mosquitto(d);
    // GPIO24 is the virtual PCA9554's INT (active low): active from power-up (its DIP
    // switches differ from its power-up snapshot) until the chip's inputs are first read.
    let input = "[[line]]\nname = \"dip\"\nline = \"GPIO24\"\ndirection = \"input\"\n\
                 active_low = true\n";
    let (config, _) = config(d, port, input, "[json]\n");
    let mut s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    let state = "udrv/cmd/line/dip/state";
    wait_states(&sub, &s, state, &["ON"]);
    // A reload that reads the PCA9554: its INT is released.
    let chip = "[[chip]]\nname = \"io\"\nspec = \"pca9554@i2c-1:0x21\"\ninterval = 3600\n";
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}{chip}")).unwrap();
    s.signal("-HUP");
    let changes = || -> Vec<Value> {
        s.stdout()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v.get("line").is_some())
            .collect()
    };
    wait_for(
        "the input's change as a JSON line",
        WAIT,
        || !changes().is_empty(),
        || format!("{}\n{}", s.stdout(), s.stderr()),
    );
    let c = &changes()[0];
    assert_eq!(c["board"], "cmd", "{c}");
    assert_eq!(c["line"], "dip", "{c}");
    assert_eq!(c["value"], 0, "{c}");
    assert_eq!(c["edge"], "falling", "{c}");
    assert_eq!(c["source"], "poll", "{c}");
    assert!(c["time"].is_f64(), "{c}");
    wait_for(
        "the input's new state",
        WAIT,
        || on(&sub, state).last().map(String::as_str) == Some("OFF"),
        || format!("{}\n{}", sub.stdout(), s.stderr()),
    );
    s.signal("-TERM");
    assert!(s.wait().success(), "{}", s.stderr());
}

/// The mosquitto ACL the README shows, for board `cmd` instead of `kitchen`.
fn readme_acl() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
    let readme = readme.unwrap();
    let start = readme
        .find("# /etc/mosquitto/acl")
        .expect("the README shows a mosquitto ACL");
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].replace("kitchen", "cmd")
}

#[test]
fn the_readme_acl_keeps_commands_of_users_it_does_not_allow_from_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = common::procs::free_port();
    let acl = d.join("acl");
    std::fs::write(&acl, readme_acl()).unwrap();
    let users = users(
        d,
        &[
            ("udrv-cmd", "board"),
            ("homeassistant", "ha"),
            ("grafana", "gf"),
        ],
    );
    let extra = format!("acl_file {}\n", acl.display());
    let conf = broker_conf(d, port, None, Some(&users), &extra);
    let _broker = broker("mosquitto", &conf, d, port);
    let sub = subscriber(d, port, &["-u", "homeassistant", "-P", "ha"]);
    let password = secret(d, "password", "board\n", 0o600);
    let mqtt = format!(
        "username = \"udrv-cmd\"\npassword_file = \"{}\"\n",
        password.display()
    );
    let (config, socket) = config(d, port, &outputs(5), &mqtt);
    let s = UDRV.serve("udrv-serve", d, &config, &[], &[]);
    wait_states(&sub, &s, "udrv/cmd/line/heater/state", &["OFF"]);
    // The dashboard's command is dropped by the broker; Home Assistant's arrives.
    let set = "udrv/cmd/line/heater/set";
    publish(port, &["-u", "grafana", "-P", "gf"], set, &["ON"]);
    publish(port, &["-u", "homeassistant", "-P", "ha"], set, &["0"]);
    let r = wait_replies(&sub, &s, 1);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((&r[0]["payload"], &r[0]["ok"]), (&"0".into(), &true.into()));
    assert!(
        !heater(&socket),
        "the dashboard's ON never reached the service"
    );
    assert!(!s.stderr().contains("\"ON\""), "{}", s.stderr());
}
