//! Helpers shared by the integration tests: a wire simulator that turns frames and gaps
//! into the (timestamp, chunk) events a port would deliver, and Modbus frame makers.
#![allow(dead_code)]

use pcap_parser::pcapng::EnhancedPacketBlock;
use udrv_rs485::crc::{crc16_x25, modbus_frame, mstp_header_crc};
use udrv_rs485::framer::Framer;
use udrv_rs485::{Frame, Timestamp};

/// Start of the simulated capture: 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000_000_000;

/// One transmission: wait `gap_before_ns`, then send `bytes`, pausing `pause.1` ns after
/// byte index `pause.0` if given.
#[derive(Clone, Debug)]
pub struct Tx {
    pub bytes: Vec<u8>,
    pub gap_before_ns: u64,
    pub pause: Option<(usize, u64)>,
}

pub fn tx(bytes: Vec<u8>, gap_before_ns: u64) -> Tx {
    Tx {
        bytes,
        gap_before_ns,
        pause: None,
    }
}

/// Bytes on the wire: (end time of the byte, byte). Also returns the start time of each
/// transmission's first byte.
pub fn transmit(char_ns: u64, txs: &[Tx]) -> (Vec<(u64, u8)>, Vec<u64>) {
    let mut t = T0;
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for x in txs {
        t += x.gap_before_ns;
        starts.push(t);
        for (i, &b) in x.bytes.iter().enumerate() {
            t += char_ns;
            out.push((t, b));
            if x.pause.is_some_and(|(at, _)| at == i) {
                t += x.pause.unwrap().1;
            }
        }
    }
    (out, starts)
}

/// An ideal UART: every byte is read the moment it ends.
pub fn chunk_each(wire: &[(u64, u8)]) -> Vec<(Timestamp, Vec<u8>)> {
    wire.iter().map(|&(t, b)| (Timestamp(t), vec![b])).collect()
}

/// A USB adapter: bytes collect in a buffer that is delivered when it holds `burst` bytes
/// or `latency_ns` after its first byte arrived, whichever is first.
pub fn chunk_usb(wire: &[(u64, u8)], burst: usize, latency_ns: u64) -> Vec<(Timestamp, Vec<u8>)> {
    let mut out = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut first = 0;
    for &(t, b) in wire {
        if !buf.is_empty() && t > first + latency_ns {
            out.push((Timestamp(first + latency_ns), std::mem::take(&mut buf)));
        }
        if buf.is_empty() {
            first = t;
        }
        buf.push(b);
        if buf.len() == burst {
            out.push((Timestamp(t), std::mem::take(&mut buf)));
        }
    }
    if !buf.is_empty() {
        out.push((Timestamp(first + latency_ns), buf));
    }
    out
}

/// Everything in one read at the end.
pub fn chunk_all(wire: &[(u64, u8)]) -> Vec<(Timestamp, Vec<u8>)> {
    vec![(
        Timestamp(wire.last().unwrap().0),
        wire.iter().map(|w| w.1).collect(),
    )]
}

/// Runs `framer` over the events as a capture loop would, then lets the line go quiet and
/// finishes.
pub fn run(framer: &mut dyn Framer, events: &[(Timestamp, Vec<u8>)]) -> Vec<Frame> {
    let mut out = Vec::new();
    for (ts, bytes) in events {
        framer.feed(*ts, bytes, &mut out);
    }
    if let Some(d) = framer.deadline() {
        framer.tick(d, &mut out);
    }
    framer.finish(&mut out);
    out
}

/// Read holding registers request: unit, start, count.
pub fn read_req(unit: u8, start: u16, count: u16) -> Vec<u8> {
    let s = start.to_be_bytes();
    let c = count.to_be_bytes();
    modbus_frame(&[unit, 0x03, s[0], s[1], c[0], c[1]])
}

/// Read holding registers response with `count` registers.
pub fn read_resp(unit: u8, count: u16) -> Vec<u8> {
    let mut pdu = vec![unit, 0x03, (count * 2) as u8];
    pdu.extend((0..count * 2).map(|i| (i * 7 + 3) as u8));
    modbus_frame(&pdu)
}

/// Write single register (request and echo response are the same).
pub fn write_single(unit: u8, reg: u16, value: u16) -> Vec<u8> {
    let r = reg.to_be_bytes();
    let v = value.to_be_bytes();
    modbus_frame(&[unit, 0x06, r[0], r[1], v[0], v[1]])
}

/// Write multiple registers request.
pub fn write_multi_req(unit: u8, start: u16, values: &[u16]) -> Vec<u8> {
    let s = start.to_be_bytes();
    let n = (values.len() as u16).to_be_bytes();
    let mut pdu = vec![unit, 0x10, s[0], s[1], n[0], n[1], (values.len() * 2) as u8];
    for v in values {
        pdu.extend_from_slice(&v.to_be_bytes());
    }
    modbus_frame(&pdu)
}

/// Exception response.
pub fn exception(unit: u8, function: u8, code: u8) -> Vec<u8> {
    modbus_frame(&[unit, function | 0x80, code])
}

/// A BACnet MS/TP frame: preamble, header (frame type, destination, source, data length)
/// with its CRC, and the data with its CRC when there is data.
pub fn mstp(ftype: u8, dest: u8, src: u8, data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u16).to_be_bytes();
    let h = [ftype, dest, src, len[0], len[1]];
    let mut f = vec![0x55, 0xFF];
    f.extend_from_slice(&h);
    f.push(mstp_header_crc(&h));
    if !data.is_empty() {
        f.extend_from_slice(data);
        f.extend_from_slice(&crc16_x25(data).to_le_bytes());
    }
    f
}

/// The `epb_flags` option (code 2) of a pcapng packet block; 0 without one.
pub fn epb_flags(epb: &EnhancedPacketBlock) -> u32 {
    epb.options
        .iter()
        .find(|o| o.code.0 == 2)
        .map(|o| o.as_u32_le().unwrap())
        .unwrap_or(0)
}
