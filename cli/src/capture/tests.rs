//! `udrv capture`'s unit tests: its arguments into a capture configuration.

use super::*;
use clap::Parser;
use udrv_core::serial::{Parity, StopBits};

#[derive(Parser)]
struct T {
    #[command(flatten)]
    a: CaptureArgs,
}

fn parse(args: &[&str]) -> Result<CaptureConfig, Failure> {
    let t = T::try_parse_from(std::iter::once("t").chain(args.iter().copied())).unwrap();
    config(&t.a)
}

#[test]
fn arguments_become_a_capture_config() {
    let c = parse(&[
        "/dev/ttyUSB0",
        "-w",
        "x.pcapng",
        "-l",
        "9600 8N1",
        "-c",
        "5",
    ])
    .unwrap();
    assert_eq!(c.ports, vec![PortSpec::new("/dev/ttyUSB0")]);
    assert_eq!(c.line.baud, 9600);
    assert_eq!(c.line.parity, Parity::None);
    assert_eq!(c.line.stop_bits, StopBits::One);
    assert_eq!(c.max_frames, Some(5));
    assert_eq!(c.output, Output::Path("x.pcapng".into()));
    let c = parse(&["--tap", "/dev/a", "/dev/b", "-w", "-", "-b", "115200"]).unwrap();
    assert_eq!(c.ports[1].direction, Direction::Inbound);
    assert_eq!(c.line.baud, 115200);
    assert_eq!(c.reconnect, None);
    let c = parse(&["/dev/a", "-w", "x"]).unwrap();
    assert_eq!(c.line.to_string(), DEFAULT_LINE);
}

#[test]
fn the_link_type_is_one_wireshark_decodes_unless_chosen() {
    for (args, want) in [
        (&["/dev/a", "-w", "x"][..], LinkType::modbus_upper_pdu()),
        (
            &["/dev/a", "-w", "x", "-f", "mstp"][..],
            LinkType::BacnetMsTp,
        ),
        (&["/dev/a", "-w", "x", "-f", "slip"][..], LinkType::User(0)),
        (
            &["/dev/a", "-w", "x", "--linktype", "user0"][..],
            LinkType::User(0),
        ),
        (
            &["/dev/a", "-w", "x", "--linktype", "user3"][..],
            LinkType::User(3),
        ),
    ] {
        assert_eq!(parse(args).unwrap().link_type, Some(want), "{args:?}");
    }
}

#[test]
fn reconnect_takes_an_optional_number_of_seconds() {
    for (args, secs) in [
        (&["/dev/a", "--reconnect", "-w", "x"][..], 3600),
        (&["--reconnect", "/dev/a", "-w", "x"][..], 3600),
        (&["/dev/a", "--reconnect=90", "-w", "x"][..], 90),
    ] {
        let c = parse(args).unwrap();
        assert_eq!(c.ports, vec![PortSpec::new("/dev/a")], "{args:?}");
        assert_eq!(c.reconnect, Some(Duration::from_secs(secs)), "{args:?}");
    }
    let t = T::try_parse_from(["t", "/dev/a", "--reconnect=soon", "-w", "x"]);
    assert!(t.is_err());
}

#[test]
fn bad_arguments_are_usage_errors() {
    for (args, needle) in [
        (&["/dev/a", "-w", "x", "-l", "fast"][..], "--line"),
        (&["/dev/a", "/dev/b", "-w", "x"][..], "--tap"),
        (&["--tap", "/dev/a", "-w", "x"][..], "exactly two"),
        (&["/dev/a", "-w", "-", "-C", "10"][..], "rotation"),
    ] {
        let e = parse(args).unwrap_err();
        assert_eq!(e.code, 2, "{args:?}");
        assert!(e.message.contains(needle), "{args:?}: {}", e.message);
    }
    // Values with a parser are refused while parsing, naming the option.
    for (args, needle) in [
        (
            &["/dev/a", "-w", "x", "-f", "morse"][..],
            "--framer `morse`",
        ),
        (
            &["/dev/a", "-w", "x", "--format", "csv"][..],
            "--format `csv`",
        ),
        (
            &["/dev/a", "-w", "x", "--linktype", "x"][..],
            "--linktype `x`",
        ),
    ] {
        let t = T::try_parse_from(std::iter::once("t").chain(args.iter().copied()));
        let e = t.err().unwrap_or_else(|| panic!("{args:?} parsed"));
        assert_eq!(e.exit_code(), 2, "{args:?}");
        assert!(e.to_string().contains(needle), "{args:?}: {e}");
    }
}

#[test]
fn framer_and_link_type_forms_beyond_the_offered_names_parse() {
    let c = parse(&["/dev/a", "-w", "x", "-f", "length:0:1:be:2"]).unwrap();
    assert_eq!(c.framer.name(), "length");
    let c = parse(&["/dev/a", "-w", "x", "-f", "idle:5000", "--linktype", "150"]).unwrap();
    assert_eq!(
        (c.framer.name(), c.link_type),
        ("idle", Some(LinkType::User(3)))
    );
    let c = parse(&["/dev/a", "-w", "x", "--linktype", "upper_pdu:mstp"]).unwrap();
    assert_eq!(c.link_type.unwrap().to_string(), "upper_pdu:mstp");
}
