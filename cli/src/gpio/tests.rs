//! `udrv gpio`'s unit tests: its arguments as clap and the line options take them.

use clap::Parser;

use super::*;

fn parse(args: &[&str]) -> Result<Cmd, clap::Error> {
    let mut all = vec!["udrv", "gpio"];
    all.extend_from_slice(args);
    crate::Cli::try_parse_from(all).map(|c| match c.cmd {
        crate::Cmd::Gpio(g) => g,
        other => panic!("{other:?}"),
    })
}

fn set(args: &[&str]) -> SetArgs {
    match parse(args).unwrap() {
        Cmd::Set(a) => a,
        other => panic!("{other:?}"),
    }
}

fn mon(args: &[&str]) -> MonArgs {
    match parse(args).unwrap() {
        Cmd::Mon(a) => a,
        other => panic!("{other:?}"),
    }
}

#[test]
fn gpioset_spellings() {
    let a = set(&[
        "set",
        "-c",
        "gpiochip0",
        "-b",
        "pull-up",
        "-d",
        "open-drain",
        "-l",
        "-p",
        "10ms",
        "-t",
        "100ms,0",
        "-C",
        "me",
        "--banner",
        "-s",
        "--by-name",
        "17=1",
    ]);
    assert_eq!(a.opts.scope.chip.as_deref(), Some("gpiochip0"));
    assert!(matches!(a.opts.bias, Some(BiasArg::PullUp)));
    assert!(matches!(a.drive, Some(DriveArg::OpenDrain)));
    assert!(a.opts.active_low && a.banner && a.opts.scope.strict && a.opts.scope.by_name);
    assert_eq!(a.hold_period, Some(Duration::from_millis(10)));
    assert_eq!(
        a.toggle.unwrap().0,
        [Duration::from_millis(100), Duration::ZERO]
    );
    assert_eq!(a.opts.consumer.as_deref(), Some("me"));
    assert_eq!(a.assignments, ["17=1"]);
    assert!(set(&["set", "-z", "led=1"]).daemonize);
    assert!(set(&["set", "--daemonize", "led=1"]).daemonize);
    // getopt's unambiguous abbreviations of long options, and --opt=value.
    let a = set(&["set", "--hold-p=2s", "--act", "--chip=0", "3=0"]);
    assert_eq!(a.hold_period, Some(Duration::from_secs(2)));
    assert!(a.opts.active_low);
    // udrv's earlier spellings still parse.
    let a = set(&["set", "-y", "--hold", "led=1"]);
    assert!(a.yes && a.hold);
}

#[test]
fn gpiomon_spellings() {
    let a = mon(&[
        "mon",
        "-e",
        "rising",
        "-n",
        "2",
        "-p",
        "10ms",
        "-F",
        "%o %E",
        "-E",
        "realtime",
        "--idle-timeout",
        "1s",
        "-q",
        "--unquoted",
        "--banner",
        "irq",
    ]);
    assert!(matches!(a.edges, EdgesArg::Rising));
    assert_eq!(a.events.num_events, 2);
    assert_eq!(a.debounce, Some(Duration::from_millis(10)));
    assert_eq!(a.format.as_deref(), Some("%o %E"));
    assert_eq!(a.event_clock, Some(ClockArg::Realtime));
    assert_eq!(a.events.idle_timeout, Some(Duration::from_secs(1)));
    assert!(a.events.quiet && a.events.unquoted && a.events.banner);
    assert_eq!(
        mon(&[
            "mon",
            "--debounce-period",
            "250us",
            "--edges",
            "falling",
            "x"
        ])
        .debounce,
        Some(Duration::from_micros(250))
    );
    assert!(mon(&["mon", "--silent", "x"]).events.quiet);
    assert!(mon(&["mon", "--num", "3", "x"]).events.num_events == 3);
    let a = mon(&["mon", "--utc", "--localtime", "x"]);
    assert!(
        a.events.localtime && !a.events.utc,
        "the last of --utc/--localtime wins"
    );
}

#[test]
fn get_info_detect_notify_spellings() {
    let Cmd::Get(g) = parse(&[
        "get",
        "-a",
        "-p",
        "5ms",
        "--numeric",
        "--unquoted",
        "-C",
        "x",
        "-c",
        "1",
        "0",
    ])
    .unwrap() else {
        panic!()
    };
    assert!(g.as_is && g.numeric && g.unquoted);
    assert_eq!(g.hold_period, Some(Duration::from_millis(5)));
    let Cmd::Info(i) = parse(&["info", "-c", "0", "--unquoted", "-s", "3", "led"]).unwrap() else {
        panic!()
    };
    assert_eq!(i.lines, ["3", "led"]);
    let Cmd::Detect(d) = parse(&["detect", "0", "gpiochip1"]).unwrap() else {
        panic!()
    };
    assert_eq!(d.chips, ["0", "gpiochip1"]);
    let Cmd::Notify(n) = parse(&[
        "notify", "-e", "released", "-n", "1", "-F", "%E %C", "--banner", "led",
    ])
    .unwrap() else {
        panic!()
    };
    assert_eq!(n.event, Some(InfoEventArg::Released));
    assert_eq!(n.events.num_events, 1);
}

#[test]
fn bad_spellings_are_refused_before_any_device() {
    for args in [
        &["mon", "-p", "10u", "x"][..],
        &["set", "-p", "1.5s", "x=1"],
        &["set", "-t", "1s,,0", "x=1"],
        &["set", "-b", "up", "x=1"],
        &["mon", "-e", "up", "x"],
        &["mon", "-E", "tai", "x"],
        &["get"],
    ] {
        let e = parse(args).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{args:?}");
    }
    for v in ["-v", "--version", "-V"] {
        let e = parse(&["set", v]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion, "{v}");
    }
}
