//! Framer tests: the Modbus RTU spec's rules and the failure cases users of other RS485
//! sniffers report (USB bursts, merged frames, short gaps, CRC errors, t1.5 violations,
//! noise), plus MS/TP, idle-gap, byte-stuffed and length-field framing.

mod common;

use std::time::Duration;

use common::*;
use udrv_rs485::crc::{crc16_modbus, crc16_x25, modbus_frame};
use udrv_rs485::framer::{
    cobs_encode, hdlc_encode, slip_encode, FramerKind, LengthField, LengthFieldConfig, ModbusRtu,
    MsTp, Timing,
};
use udrv_rs485::{Direction, Frame, LineSettings, Status, Timestamp};

fn line(s: &str) -> LineSettings {
    s.parse().unwrap()
}

fn modbus(l: &LineSettings, resolution: Duration) -> ModbusRtu {
    ModbusRtu::new(Timing::modbus(l, resolution))
}

fn data(frames: &[Frame]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.data.clone()).collect()
}

fn statuses(frames: &[Frame]) -> Vec<Status> {
    frames.iter().map(|f| f.status).collect()
}

const MS: u64 = 1_000_000;

#[test]
fn crc16_modbus_check_value() {
    assert_eq!(crc16_modbus(b"123456789"), 0x4B37);
}

/// A polling exchange at `l`, with `gap` between frames.
fn exchange(gap: u64) -> Vec<Tx> {
    vec![
        tx(read_req(1, 0, 10), gap),
        tx(read_resp(1, 10), gap),
        tx(write_single(2, 7, 0x1234), gap),
        tx(write_single(2, 7, 0x1234), gap),
        tx(write_multi_req(3, 100, &[1, 2, 3]), gap),
        tx(modbus_frame(&[3, 0x10, 0, 100, 0, 3]), gap),
        tx(read_req(4, 0, 1), gap),
        tx(exception(4, 0x03, 0x02), gap),
    ]
}

fn check_exchange(l: &LineSettings) {
    let txs = exchange(5 * MS);
    let (wire, starts) = transmit(l.char_time_ns(), &txs);
    let frames = run(&mut modbus(l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(
        data(&frames),
        txs.iter().map(|t| t.bytes.clone()).collect::<Vec<_>>()
    );
    assert!(frames.iter().all(|f| f.status.is_ok()), "{frames:?}");
    // Each frame is stamped with the start of its first byte, not when a timer fired.
    let stamps: Vec<u64> = frames.iter().map(|f| f.timestamp.as_nanos()).collect();
    assert_eq!(stamps, starts);
    use Direction::*;
    let dirs: Vec<Direction> = frames.iter().map(|f| f.direction).collect();
    assert_eq!(
        dirs,
        [Outbound, Inbound, Outbound, Inbound, Outbound, Inbound, Outbound, Inbound]
    );
}

#[test]
fn exchange_at_9600_8e1() {
    check_exchange(&line("9600 8E1"));
}

#[test]
fn exchange_at_115200_8n1() {
    check_exchange(&line("115200 8N1"));
}

#[test]
fn usb_32_byte_bursts_are_joined_again() {
    // 115200 baud through an FTDI at its default 16 ms latency: long frames arrive in
    // 32-byte pieces with bogus gaps between them and late timestamps.
    let l = line("115200 8N1");
    let txs = vec![
        tx(read_req(1, 0, 60), 0),
        tx(read_resp(1, 60), 2 * MS),
        tx(read_req(2, 0, 30), 20 * MS),
        tx(read_resp(2, 30), 2 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let events = chunk_usb(&wire, 32, 16 * MS);
    assert!(
        events.iter().any(|e| e.1.len() == 32),
        "the simulation must produce bursts"
    );
    let frames = run(&mut modbus(&l, Duration::from_millis(16)), &events);
    assert_eq!(
        data(&frames),
        txs.iter().map(|t| t.bytes.clone()).collect::<Vec<_>>()
    );
    assert!(
        frames.iter().all(|f| f.status.is_ok()),
        "{:?}",
        statuses(&frames)
    );
}

#[test]
fn merged_frames_in_one_read_are_split() {
    let l = line("19200 8E1");
    let txs = vec![
        tx(read_req(1, 0, 2), 0),
        tx(read_resp(1, 2), 4 * MS),
        tx(read_req(1, 2, 2), 4 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(
        &mut modbus(&l, Duration::from_millis(16)),
        &chunk_all(&wire),
    );
    assert_eq!(
        data(&frames),
        txs.iter().map(|t| t.bytes.clone()).collect::<Vec<_>>()
    );
    assert!(frames.iter().all(|f| f.status.is_ok()));
}

#[test]
fn two_frames_with_a_too_short_gap_are_split_and_flagged() {
    let l = line("9600 8E1");
    let c = l.char_time_ns();
    let txs = vec![tx(read_req(1, 0, 2), 0), tx(read_resp(1, 2), c)]; // 1 character of silence
    let (wire, _) = transmit(c, &txs);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(
        data(&frames),
        txs.iter().map(|t| t.bytes.clone()).collect::<Vec<_>>()
    );
    assert_eq!(statuses(&frames), [Status::OK, Status::WRONG_GAP]);
}

#[test]
fn crc_error_is_kept_and_flagged() {
    let l = line("9600 8E1");
    let mut bad = read_resp(1, 4);
    bad[5] ^= 0x10;
    let txs = vec![
        tx(read_req(1, 0, 4), 0),
        tx(bad.clone(), 5 * MS),
        tx(read_req(1, 0, 4), 5 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(data(&frames), [read_req(1, 0, 4), bad, read_req(1, 0, 4)]);
    assert_eq!(
        statuses(&frames),
        [Status::OK, Status::CRC_ERROR, Status::OK]
    );
}

#[test]
fn crc_error_merged_with_the_next_frame_is_split() {
    let l = line("115200 8N1");
    let mut bad = read_resp(1, 4);
    bad[5] ^= 0x10;
    let txs = vec![tx(bad.clone(), 0), tx(read_req(1, 0, 4), 0)];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(
        &mut modbus(&l, Duration::from_millis(16)),
        &chunk_all(&wire),
    );
    assert_eq!(data(&frames), [bad, read_req(1, 0, 4)]);
    assert_eq!(statuses(&frames), [Status::CRC_ERROR, Status::OK]);
}

#[test]
fn t15_violation_inside_a_frame_is_flagged_not_split() {
    let l = line("9600 8E1");
    let c = l.char_time_ns();
    let mut t = tx(read_resp(1, 8), 0);
    t.pause = Some((6, c * 5 / 2)); // 2.5 characters of silence after byte 6
    let txs = vec![tx(read_req(1, 0, 8), 0), t, tx(read_req(1, 8, 8), 5 * MS)];
    let (wire, _) = transmit(c, &txs);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(
        data(&frames),
        txs.iter().map(|t| t.bytes.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        statuses(&frames),
        [Status::OK, Status::WRONG_GAP, Status::OK]
    );
}

#[test]
fn noise_before_a_frame() {
    let l = line("9600 8E1");
    // A turn-around glitch glued to the frame, and a lone noise byte in its own silence.
    let mut glued = vec![0x00, 0xFF];
    glued.extend(read_req(1, 0, 4));
    let txs = vec![
        tx(glued, 0),
        tx(vec![0x7F], 5 * MS),
        tx(read_resp(1, 4), 5 * MS),
    ];
    let (wire, starts) = transmit(l.char_time_ns(), &txs);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(
        data(&frames),
        [
            vec![0x00, 0xFF],
            read_req(1, 0, 4),
            vec![0x7F],
            read_resp(1, 4)
        ]
    );
    assert_eq!(frames[0].status, Status::NOISE);
    assert_eq!(frames[1].status, Status::OK);
    assert!(!frames[2].status.is_ok());
    assert_eq!(frames[3].status, Status::OK);
    assert_eq!(
        frames[1].timestamp.as_nanos(),
        starts[0] + 2 * l.char_time_ns()
    );
}

#[test]
fn truncated_frame_is_too_short() {
    let l = line("9600 8E1");
    let cut = read_resp(1, 10)[..9].to_vec();
    let txs = vec![tx(cut.clone(), 0), tx(read_req(1, 0, 1), 5 * MS)];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(data(&frames), [cut, read_req(1, 0, 1)]);
    assert_eq!(statuses(&frames), [Status::TOO_SHORT, Status::OK]);
}

#[test]
fn unknown_function_codes_fall_back_to_the_crc() {
    let l = line("19200 8E1");
    let a = modbus_frame(&[9, 0x41, 1, 2, 3, 4, 5]);
    let b = modbus_frame(&[9, 0x42, 6, 7]);
    // Separated by silence, then merged into one read.
    let txs = vec![
        tx(a.clone(), 0),
        tx(b.clone(), 5 * MS),
        tx(a.clone(), 5 * MS),
        tx(b.clone(), 0),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(data(&frames), [a.clone(), b.clone(), a, b]);
    assert!(frames[..3].iter().all(|f| f.status.is_ok()));
}

#[test]
fn frame_stamp_is_back_dated_from_a_late_read() {
    // One read returns 8 bytes 3 ms after the last one ended: the frame starts 8
    // characters before the read, not when the read returned.
    let l = line("9600 8E1");
    let c = l.char_time_ns();
    let f = read_req(1, 0, 1);
    let read_at = T0 + 3 * MS;
    let frames = run(
        &mut modbus(&l, Duration::ZERO),
        &[(Timestamp(read_at), f.clone())],
    );
    assert_eq!(data(&frames), [f]);
    assert_eq!(frames[0].timestamp.as_nanos(), read_at - 8 * c);
}

#[test]
fn too_long_garbage_is_flagged() {
    let l = line("115200 8N1");
    let junk: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8 | 0x80).collect();
    let (wire, _) = transmit(l.char_time_ns(), &[tx(junk.clone(), 0)]);
    let frames = run(&mut modbus(&l, Duration::ZERO), &chunk_each(&wire));
    assert_eq!(frames.iter().map(|f| f.data.len()).sum::<usize>(), 300);
    assert!(
        frames.iter().all(|f| !f.status.is_ok()),
        "{:?}",
        statuses(&frames)
    );
}

#[test]
fn mstp_frames_padding_and_errors() {
    let l = line("38400 8N1");
    let token = mstp(0, 0x10, 0x05, &[]);
    let data_frame = mstp(5, 0x05, 0x10, &[0x01, 0x04, 0x02, 0x75, 0x01, 0x0C]);
    let mut bad_header = mstp(0, 0x11, 0x05, &[]);
    bad_header[7] ^= 1;
    let mut bad_data = data_frame.clone();
    bad_data[9] ^= 1;
    let mut padded = token.clone();
    padded.push(0xFF);
    let txs = vec![
        tx(padded, 0),
        tx(data_frame.clone(), 0),
        tx(vec![0x12, 0x34], MS),
        tx(bad_header.clone(), 0),
        tx(bad_data.clone(), MS),
        tx(data_frame[..10].to_vec(), MS),
        tx(token.clone(), 10 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let frames = run(
        &mut MsTp::new(&l, Duration::from_millis(2)),
        &chunk_usb(&wire, 32, 2 * MS),
    );
    assert_eq!(
        data(&frames),
        [
            token.clone(),
            data_frame.clone(),
            vec![0x12, 0x34],
            bad_header,
            bad_data,
            data_frame[..10].to_vec(),
            token
        ]
    );
    assert_eq!(
        statuses(&frames),
        [
            Status::OK,
            Status::OK,
            Status::NOISE,
            Status::CRC_ERROR,
            Status::CRC_ERROR,
            Status::TOO_SHORT,
            Status::OK
        ]
    );
}

#[test]
fn idle_gap_framer_splits_on_silence_only() {
    let l = line("9600 8N1");
    let txs = vec![
        tx(vec![1, 2, 3], 0),
        tx(vec![4, 5], 10 * MS),
        tx(vec![6], 10 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let mut f = FramerKind::IdleGap {
        gap: Some(Duration::from_millis(5)),
        max_len: 2,
    }
    .build(&l, Duration::ZERO);
    let frames = run(f.as_mut(), &chunk_each(&wire));
    assert_eq!(data(&frames), [vec![1, 2], vec![3], vec![4, 5], vec![6]]);
    assert_eq!(
        statuses(&frames),
        [Status::TOO_LONG, Status::TOO_LONG, Status::OK, Status::OK]
    );
}

#[test]
fn byte_stuffed_framers_decode() {
    let l = line("115200 8N1");
    let payloads: Vec<Vec<u8>> = vec![
        vec![1, 0xC0, 0xDB, 0x7E, 0x7D, 0],
        vec![0, 0, 5],
        vec![0x42; 300],
    ];
    type Encoder = Box<dyn Fn(&[u8]) -> Vec<u8>>;
    let cases: Vec<(&str, Encoder)> = vec![
        ("slip", Box::new(slip_encode)),
        ("hdlc", Box::new(hdlc_encode)),
        (
            "cobs",
            Box::new(|d: &[u8]| {
                let mut v = cobs_encode(d);
                v.push(0);
                v
            }),
        ),
    ];
    for (name, encode) in cases {
        let wire_bytes: Vec<u8> = payloads.iter().flat_map(|p| encode(p)).collect();
        let (wire, _) = transmit(l.char_time_ns(), &[tx(wire_bytes, 0)]);
        let mut f = name
            .parse::<FramerKind>()
            .unwrap()
            .build(&l, Duration::ZERO);
        let frames = run(f.as_mut(), &chunk_usb(&wire, 64, MS));
        assert_eq!(data(&frames), payloads, "{name}");
        assert!(frames.iter().all(|f| f.status.is_ok()), "{name}");
    }
    // Bad encodings are flagged, not dropped.
    let mut f = FramerKind::Slip.build(&l, Duration::ZERO);
    let frames = run(
        f.as_mut(),
        &[(Timestamp(T0), vec![0xC0, 1, 0xDB, 0x00, 0xC0])],
    );
    assert_eq!(statuses(&frames), [Status::BAD_ENCODING]);
    let mut f = FramerKind::Hdlc { fcs: true }.build(&l, Duration::ZERO);
    let mut good = vec![0xFF, 0x03, 0xC0, 0x21];
    good.extend_from_slice(&crc16_x25(&good.clone()).to_le_bytes());
    let mut bad = good.clone();
    bad[2] ^= 1;
    let mut bytes = hdlc_encode(&good);
    bytes.extend(hdlc_encode(&bad));
    let frames = run(f.as_mut(), &[(Timestamp(T0), bytes)]);
    assert_eq!(statuses(&frames), [Status::OK, Status::CRC_ERROR]);
}

#[test]
fn length_field_framer() {
    let l = line("115200 8N1");
    // Header: 0xAA, type, u16 BE length of the payload that follows the header.
    let cfg = LengthFieldConfig {
        offset: 2,
        width: 2,
        big_endian: true,
        adjustment: 4,
        max_len: 64,
    };
    let frame = |ty: u8, payload: &[u8]| {
        let mut v = vec![0xAA, ty];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    };
    let a = frame(1, &[1, 2, 3]);
    let b = frame(2, &[]);
    let huge = vec![0xAA, 3, 0xFF, 0xFF, 9, 9];
    let txs = vec![
        tx(a.clone(), 0),
        tx(b.clone(), 0),
        tx(huge.clone(), 5 * MS),
        tx(a[..5].to_vec(), 5 * MS),
        tx(a.clone(), 5 * MS),
    ];
    let (wire, _) = transmit(l.char_time_ns(), &txs);
    let mut f = LengthField::new(cfg, Timing::modbus(&l, Duration::ZERO));
    let frames = run(&mut f, &chunk_each(&wire));
    assert_eq!(data(&frames), [a.clone(), b, huge, a[..5].to_vec(), a]);
    assert_eq!(
        statuses(&frames),
        [
            Status::OK,
            Status::OK,
            Status::NOISE | Status::TOO_LONG,
            Status::TOO_SHORT,
            Status::OK
        ]
    );
}
