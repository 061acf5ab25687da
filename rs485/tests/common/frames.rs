//! The capture both `readers.rs` (real tools) and `structure.rs` (pcap-parser) check.

use std::time::Duration;

use udrv_rs485::framer::{ModbusRtu, Timing};
use udrv_rs485::pcap::{FrameSink, Interface, PcapngWriter};
use udrv_rs485::{Frame, LineSettings, LinkType, Status};

use crate::common::*;

const MS: u64 = 1_000_000;

/// A Modbus exchange at 19200 8E1 with one CRC error and one t1.5 violation, framed.
pub fn modbus_frames() -> Vec<Frame> {
    let l: LineSettings = "19200 8E1".parse().unwrap();
    let c = l.char_time_ns();
    let mut bad = read_resp(17, 2);
    bad[4] ^= 0xFF;
    let mut paused = tx(read_resp(17, 3), 5 * MS);
    paused.pause = Some((4, 2 * c));
    let txs = vec![
        tx(read_req(17, 0x6B, 3), 0),
        paused,
        tx(read_req(17, 0, 2), 5 * MS),
        tx(bad, 5 * MS),
        tx(write_single(5, 1, 3), 5 * MS),
        tx(write_single(5, 1, 3), 5 * MS),
    ];
    let (wire, _) = transmit(c, &txs);
    let mut f = ModbusRtu::new(Timing::modbus(&l, Duration::ZERO));
    let frames = run(&mut f, &chunk_each(&wire));
    let st: Vec<Status> = frames.iter().map(|f| f.status).collect();
    assert_eq!(
        st,
        [
            Status::OK,
            Status::WRONG_GAP,
            Status::OK,
            Status::CRC_ERROR,
            Status::OK,
            Status::OK
        ]
    );
    frames
}

/// The interface the frames were captured on.
pub fn interface(link: LinkType) -> Interface {
    Interface {
        name: "/dev/ttyUSB0".into(),
        description: "RS485 19200 8E1, framer modbus".into(),
        link_type: link,
        speed_bps: Some(19200),
    }
}

/// `frames` written by the pcapng writer (one interface, `LinkType::User(0)`) into
/// memory, and the byte offset at which each frame's block ends: where a killed writer
/// may have stopped.
pub fn pcapng_with_ends(frames: &[Frame]) -> (Vec<u8>, Vec<usize>) {
    let mut w = PcapngWriter::new(Vec::new(), &[interface(LinkType::User(0))], "t").unwrap();
    let mut ends = Vec::new();
    for f in frames {
        w.write_frame(f).unwrap();
        ends.push(w.bytes_written() as usize);
    }
    (w.into_inner(), ends)
}
