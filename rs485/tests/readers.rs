//! Our files read back by the real tools: `tshark` (decodes Modbus RTU, directions, error
//! flags) and `tcpdump -r`. tshark and tcpdump come from Debian (`apt-get install -y tshark
//! tcpdump`); these tests fail, with that hint, when they are missing. They run on the
//! host only (`cargo xtask cross-test` leaves out test files that start programs: see
//! docs/testing.md); `structure.rs` checks the same bytes with `pcap-parser`, on every
//! target.

mod common;
#[path = "common/frames.rs"]
mod frames;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use frames::{interface, modbus_frames, pcapng_with_ends};
use tempfile::TempDir;
use udrv_rs485::crc::modbus_frame;
use udrv_rs485::framer::MsTp;
use udrv_rs485::pcap::{FrameSink, Interface, PcapWriter, PcapngWriter};
use udrv_rs485::{Direction, Frame, LineSettings, LinkType, Status};

const MS: u64 = 1_000_000;
const USER0: &str = r#"uat:user_dlts:"User 0 (DLT=147)","mbrtu","0","","0","""#;

/// A fresh directory for one test's files, removed when the test ends (pass or fail).
fn scratch() -> TempDir {
    TempDir::with_prefix("udrv-rs485-readers-").unwrap()
}

fn write_pcapng(path: &Path, frames: &[Frame], interfaces: &[Interface]) {
    let mut w = PcapngWriter::new(
        std::fs::File::create(path).unwrap(),
        interfaces,
        "udrv test",
    )
    .unwrap();
    for f in frames {
        w.write_frame(f).unwrap();
    }
    w.flush().unwrap();
}

fn write_pcap(path: &Path, frames: &[Frame], link: LinkType) {
    let mut w = PcapWriter::new(std::fs::File::create(path).unwrap(), link).unwrap();
    for f in frames {
        w.write_frame(f).unwrap();
    }
    w.flush().unwrap();
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("`{name}` is needed by this test and could not run ({e}): apt-get install -y tshark tcpdump")
    });
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

const FIELDS: [&str; 8] = [
    "mbrtu.unit_id",
    "modbus.func_code",
    "frame.packet_flags_direction",
    "frame.packet_flags_crc_error",
    "frame.packet_flags_wrong_inter_frame_gap_error",
    "mbrtu.crc16.status",
    "frame.comment",
    "frame.time_epoch",
];

/// tshark's fields per packet, as rows of columns.
fn tshark_fields(file: &Path, user0: bool) -> Vec<Vec<String>> {
    let mut args: Vec<String> = Vec::new();
    if user0 {
        args.extend(["-o".into(), USER0.into()]);
    }
    args.extend(["-o".into(), "mbrtu.crc_verification:TRUE".into()]);
    args.extend([
        "-r".into(),
        file.display().to_string(),
        "-T".into(),
        "fields".into(),
        "-E".into(),
        "separator=|".into(),
    ]);
    for f in FIELDS {
        args.extend(["-e".into(), f.into()]);
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    tool("tshark", &argv)
        .lines()
        .map(|l| l.split('|').map(String::from).collect())
        .collect()
}

fn check_modbus_decode(rows: &[Vec<String>], frames: &[Frame], pcapng: bool) {
    assert_eq!(rows.len(), frames.len(), "{rows:?}");
    for (row, f) in rows.iter().zip(frames) {
        assert_eq!(row[0], f.data[0].to_string(), "unit id: {row:?}");
        assert_eq!(
            row[1],
            (f.data[1] & 0x7F).to_string(),
            "function code: {row:?}"
        );
        // Nanosecond timestamps survive.
        let secs = f.timestamp.secs();
        assert!(
            row[7].starts_with(&format!("{secs}.{:09}", f.timestamp.subsec_nanos())),
            "time {row:?}"
        );
        if pcapng {
            let dir = match f.direction {
                Direction::Inbound => "1",
                Direction::Outbound => "2",
                Direction::Unknown => "0",
            };
            let got = u32::from_str_radix(row[2].trim_start_matches("0x"), 16).unwrap();
            assert_eq!(got.to_string(), dir, "direction: {row:?}");
            let crc = f.status.contains(Status::CRC_ERROR);
            assert_eq!(row[3] == "1" || row[3] == "True", crc, "crc flag: {row:?}");
            let gap = f.status.contains(Status::WRONG_GAP);
            assert_eq!(row[4] == "1" || row[4] == "True", gap, "gap flag: {row:?}");
            assert_eq!(!row[6].is_empty(), !f.status.is_ok(), "comment: {row:?}");
        }
    }
}

#[test]
fn tshark_decodes_user0_pcapng_with_user_dlt() {
    let frames = modbus_frames();
    let dir = scratch();
    let path = dir.path().join("user0.pcapng");
    write_pcapng(&path, &frames, &[interface(LinkType::User(0))]);
    let rows = tshark_fields(&path, true);
    check_modbus_decode(&rows, &frames, true);
    // Wireshark's own CRC check agrees with ours: 0 = bad, 1 = good.
    let crc_status: Vec<&str> = rows.iter().map(|r| r[5].as_str()).collect();
    assert_eq!(crc_status, ["1", "1", "1", "0", "1", "1"]);
    assert!(rows[3][6].contains("CRC error"), "{:?}", rows[3]);
}

#[test]
fn tshark_decodes_upper_pdu_pcapng_without_options() {
    let frames = modbus_frames();
    let dir = scratch();
    let path = dir.path().join("upper.pcapng");
    write_pcapng(&path, &frames, &[interface(LinkType::modbus_upper_pdu())]);
    let rows = tshark_fields(&path, false);
    check_modbus_decode(&rows, &frames, true);
    let text = tool("tshark", &["-r", path.to_str().unwrap(), "-V"]);
    assert!(text.contains("Modbus RTU"), "{text}");
    assert!(text.contains("Read Holding Registers"), "{text}");
}

#[test]
fn tshark_reads_pcap_both_link_types() {
    let frames = modbus_frames();
    let dir = scratch();
    let p = dir.path().join("user0.pcap");
    write_pcap(&p, &frames, LinkType::User(0));
    check_modbus_decode(&tshark_fields(&p, true), &frames, false);
    let p = dir.path().join("upper.pcap");
    write_pcap(&p, &frames, LinkType::modbus_upper_pdu());
    check_modbus_decode(&tshark_fields(&p, false), &frames, false);
}

#[test]
fn tcpdump_reads_our_pcap_and_pcapng() {
    let frames = modbus_frames();
    let dir = scratch();
    let p = dir.path().join("tcpdump.pcap");
    write_pcap(&p, &frames, LinkType::User(0));
    let packets = |out: &str| out.lines().filter(|l| !l.starts_with('\t')).count();
    let out = tool("tcpdump", &["-nn", "-r", p.to_str().unwrap()]);
    assert_eq!(packets(&out), frames.len(), "{out}");
    // tcpdump prints times in the local zone; the nanosecond part must be there in full.
    let ns = format!(".{:09}", frames[1].timestamp.subsec_nanos());
    let out = tool(
        "tcpdump",
        &[
            "-nn",
            "--time-stamp-precision=nano",
            "-r",
            p.to_str().unwrap(),
        ],
    );
    assert!(out.contains(&ns), "{out}");
    let p = dir.path().join("tcpdump.pcapng");
    write_pcapng(&p, &frames, &[interface(LinkType::User(0))]);
    let out = tool("tcpdump", &["-nn", "-r", p.to_str().unwrap()]);
    assert_eq!(packets(&out), frames.len(), "{out}");
}

#[test]
fn tshark_decodes_mstp() {
    let l: LineSettings = "38400 8N1".parse().unwrap();
    // A token, and a BACnet-data-not-expecting-reply frame carrying an NPDU.
    let npdu = [0x01, 0x00, 0x10, 0x08];
    let txs = vec![
        tx(mstp(0, 0x10, 0x05, &[]), 0),
        tx(mstp(6, 0xFF, 0x10, &npdu), 5 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(&mut MsTp::new(&l, Duration::ZERO), &chunk_each(&wire));
    assert!(frames.iter().all(|f| f.status.is_ok()));
    let dir = scratch();
    let p = dir.path().join("mstp.pcapng");
    write_pcapng(
        &p,
        &frames,
        &[Interface {
            link_type: LinkType::BacnetMsTp,
            ..interface(LinkType::BacnetMsTp)
        }],
    );
    let out = tool(
        "tshark",
        &[
            "-r",
            p.to_str().unwrap(),
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "mstp.frame_type",
            "-e",
            "mstp.src",
            "-e",
            "mstp.dst",
            "-e",
            "mstp.len",
        ],
    );
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows, ["0|5|16|0", "6|16|255|4"], "{out}");
    let text = tool("tshark", &["-r", p.to_str().unwrap(), "-V"]);
    // Wireshark checks both CRCs itself: two header CRCs and one data CRC.
    assert_eq!(text.matches("[correct]").count(), 3, "{text}");
    assert!(text.contains("who-Is"), "{text}");
}

#[test]
fn killed_writer_leaves_a_readable_prefix() {
    // Cut the byte stream anywhere: the complete frames before the cut still parse.
    let (bytes, ends) = pcapng_with_ends(&modbus_frames());
    let cut = ends[2] + 7;
    let dir = scratch();
    let p = dir.path().join("cut.pcapng");
    std::fs::write(&p, &bytes[..cut]).unwrap();
    let out = Command::new("tshark")
        .args(["-r", p.to_str().unwrap()])
        .output()
        .expect("apt-get install -y tshark");
    let n = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(n, 3, "{}", String::from_utf8_lossy(&out.stderr));
    let _ = modbus_frame(&[1]);
}
