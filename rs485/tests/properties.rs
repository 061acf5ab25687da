//! Property tests: random valid frame sequences, cut into random chunks the way serial
//! drivers and USB adapters deliver them, come out of the framers identical.

mod common;

use std::time::Duration;

use common::*;
use proptest::prelude::*;
use udrv_rs485::crc::{modbus_frame, modbus_frame_ok};
use udrv_rs485::framer::{
    cobs_encode, hdlc_encode, slip_encode, FramerKind, ModbusRtu, MsTp, Timing,
};
use udrv_rs485::{LineSettings, Status, Timestamp};

/// Any Modbus RTU frame with a known function code: requests and responses.
fn known_frame() -> impl Strategy<Value = Vec<u8>> {
    let unit = 1u8..=247;
    prop_oneof![
        (unit.clone(), any::<u16>(), 1u16..=125).prop_map(|(u, s, c)| read_req(u, s, c)),
        (unit.clone(), 1u16..=125).prop_map(|(u, c)| read_resp(u, c)),
        (unit.clone(), any::<u16>(), any::<u16>()).prop_map(|(u, r, v)| write_single(u, r, v)),
        (
            unit.clone(),
            any::<u16>(),
            prop::collection::vec(any::<u16>(), 1..=123)
        )
            .prop_map(|(u, s, v)| write_multi_req(u, s, &v)),
        (
            unit.clone(),
            prop::sample::select(vec![1u8, 2, 3, 4, 5, 6, 15, 16]),
            1u8..=11
        )
            .prop_map(|(u, f, c)| exception(u, f, c)),
        (
            unit.clone(),
            prop::sample::select(vec![1u8, 2]),
            prop::collection::vec(any::<u8>(), 1..=250)
        )
            .prop_map(|(u, f, bits)| {
                let mut pdu = vec![u, f, bits.len() as u8];
                pdu.extend(bits);
                modbus_frame(&pdu)
            }),
        (unit.clone(), any::<u16>(), any::<u16>()).prop_map(|(u, s, q)| modbus_frame(&[
            u,
            0x10,
            (s >> 8) as u8,
            s as u8,
            (q >> 8) as u8,
            q as u8
        ])),
        (
            unit,
            any::<u16>(),
            any::<u16>(),
            prop::collection::vec(any::<u8>(), 0..=10)
        )
            .prop_map(|(u, a, m, _)| {
                modbus_frame(&[
                    u,
                    0x16,
                    (a >> 8) as u8,
                    a as u8,
                    (m >> 8) as u8,
                    m as u8,
                    0xFF,
                    0x00,
                ])
            }),
    ]
}

/// Known frames, and user-defined function codes the framer can only end by the CRC.
fn any_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => known_frame(),
        1 => (1u8..=247, 0x41u8..=0x48, prop::collection::vec(any::<u8>(), 0..=40)).prop_map(|(u, f, d)| {
            let mut pdu = vec![u, f];
            pdu.extend(d);
            modbus_frame(&pdu)
        }),
    ]
}

fn baud() -> impl Strategy<Value = LineSettings> {
    prop::sample::select(vec!["9600 8E1", "19200 8N2", "38400 8N1", "115200 8E1"])
        .prop_map(|s| s.parse().unwrap())
}

/// Delivers the wire's bytes in bursts of the given sizes (cycled), each read no later
/// than `latency_ns` after its first byte arrived, as a USB adapter or UART FIFO does.
fn chunk_random(
    wire: &[(u64, u8)],
    bursts: &[usize],
    latency_ns: u64,
) -> Vec<(Timestamp, Vec<u8>)> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut first = 0;
    let mut k = 0;
    for &(t, b) in wire {
        if !buf.is_empty() && t > first + latency_ns {
            out.push((Timestamp(first + latency_ns), std::mem::take(&mut buf)));
            k += 1;
        }
        if buf.is_empty() {
            first = t;
        }
        buf.push(b);
        if buf.len() >= bursts[k % bursts.len()] {
            out.push((Timestamp(t), std::mem::take(&mut buf)));
            k += 1;
        }
    }
    if !buf.is_empty() {
        out.push((Timestamp(first + latency_ns), buf));
    }
    out
}

fn check_gapped(
    frames: &[Vec<u8>],
    extra_gaps: &[u64],
    bursts: &[usize],
    line: &LineSettings,
    res: u64,
) -> Result<(), TestCaseError> {
    let timing = Timing::modbus(line, Duration::ZERO);
    let txs: Vec<Tx> = frames
        .iter()
        .zip(extra_gaps)
        .map(|(f, g)| tx(f.clone(), timing.t35_ns + timing.char_ns + g))
        .collect();
    let (wire, starts) = transmit(line.char_time_ns(), &txs);
    let events = if res == 0 {
        chunk_each(&wire)
    } else {
        chunk_random(&wire, bursts, res)
    };
    let mut framer = ModbusRtu::new(Timing::modbus(line, Duration::from_nanos(res)));
    let out = run(&mut framer, &events);
    let got: Vec<Vec<u8>> = out.iter().map(|f| f.data.clone()).collect();
    prop_assert_eq!(&got, &frames.to_vec());
    for f in &out {
        prop_assert_eq!(f.status, Status::OK);
    }
    if res == 0 {
        let stamps: Vec<u64> = out.iter().map(|f| f.timestamp.as_nanos()).collect();
        prop_assert_eq!(stamps, starts);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Frames with function codes the framer knows, separated by at least t3.5, chunked
    /// anywhere and read up to the timestamp resolution late (USB adapters): every frame
    /// comes out once, whole, in order, good.
    #[test]
    fn modbus_gapped_frames_survive_any_chunking(
        frames in prop::collection::vec(known_frame(), 1..20),
        extra_gaps in prop::collection::vec(0u64..5_000_000, 20),
        bursts in prop::collection::vec(1usize..=64, 1..8),
        line in baud(),
        resolution_us in prop::sample::select(vec![0u64, 1000, 4000, 16000]),
    ) {
        check_gapped(&frames, &extra_gaps, &bursts, &line, resolution_us * 1000)?;
    }

    /// With user-defined function codes too, the CRC and trustworthy silences (a UART whose
    /// reads return as bytes arrive) find every frame.
    #[test]
    fn modbus_unknown_codes_split_on_crc_and_silence(
        frames in prop::collection::vec(any_frame(), 1..20),
        extra_gaps in prop::collection::vec(0u64..5_000_000, 20),
        line in baud(),
    ) {
        check_gapped(&frames, &extra_gaps, &[1], &line, 0)?;
    }

    /// No silence at all between frames (a burst of merged frames): no byte is lost,
    /// duplicated or reordered, and whatever is called good has a good CRC.
    #[test]
    fn modbus_merged_frames_keep_every_byte(
        frames in prop::collection::vec(known_frame(), 1..20),
        bursts in prop::collection::vec(1usize..=64, 1..8),
    ) {
        let line: LineSettings = "115200 8N1".parse().unwrap();
        let txs: Vec<Tx> = frames.iter().map(|f| tx(f.clone(), 0)).collect();
        let (wire, _) = transmit(line.char_time_ns(), &txs);
        let events = chunk_random(&wire, &bursts, 16_000_000);
        let mut framer = ModbusRtu::new(Timing::modbus(&line, Duration::from_millis(16)));
        let out = run(&mut framer, &events);
        let sent: Vec<u8> = frames.concat();
        let got: Vec<u8> = out.iter().flat_map(|f| f.data.clone()).collect();
        prop_assert_eq!(got, sent);
        for f in &out {
            if f.status.is_ok() {
                prop_assert!(modbus_frame_ok(&f.data));
            }
        }
        // Frames are recognised by content even with no gap: nearly all come out whole.
        let whole = out.iter().filter(|f| f.status.is_ok()).count();
        prop_assert!(whole + 1 >= frames.len(), "{} of {} whole", whole, frames.len());
    }

    /// Byte-stuffed framings decode every payload whatever the chunking.
    #[test]
    fn stuffed_framings_survive_any_chunking(
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..300), 1..10),
        bursts in prop::collection::vec(1usize..=64, 1..8),
        which in 0usize..3,
    ) {
        let line: LineSettings = "115200 8N1".parse().unwrap();
        let (name, bytes): (&str, Vec<u8>) = match which {
            0 => ("slip", payloads.iter().flat_map(|p| slip_encode(p)).collect()),
            1 => ("hdlc", payloads.iter().flat_map(|p| hdlc_encode(p)).collect()),
            _ => ("cobs", payloads.iter().flat_map(|p| { let mut v = cobs_encode(p); v.push(0); v }).collect()),
        };
        let (wire, _) = transmit(line.char_time_ns(), &[tx(bytes, 0)]);
        let mut framer = name.parse::<FramerKind>().unwrap().build(&line, Duration::from_millis(1));
        let out = run(framer.as_mut(), &chunk_random(&wire, &bursts, 1_000_000));
        let got: Vec<Vec<u8>> = out.iter().map(|f| f.data.clone()).collect();
        prop_assert_eq!(got, payloads);
        prop_assert!(out.iter().all(|f| f.status.is_ok()));
    }

    /// MS/TP frames with and without data, back to back or apart, any chunking.
    #[test]
    fn mstp_frames_survive_any_chunking(
        frames in prop::collection::vec((0u8..8, any::<u8>(), any::<u8>(), prop::collection::vec(any::<u8>(), 0..100)), 1..10),
        bursts in prop::collection::vec(1usize..=64, 1..8),
        gap_us in 0u64..3000,
    ) {
        let line: LineSettings = "76800 8N1".parse().unwrap();
        let encoded: Vec<Vec<u8>> =
            frames.iter().map(|(t, d, s, data)| mstp(*t, *d, *s, data)).collect();
        let txs: Vec<Tx> = encoded.iter().map(|f| tx(f.clone(), gap_us * 1000)).collect();
        let (wire, _) = transmit(line.char_time_ns(), &txs);
        let mut framer = MsTp::new(&line, Duration::from_millis(1));
        let out = run(&mut framer, &chunk_random(&wire, &bursts, 1_000_000));
        let got: Vec<Vec<u8>> = out.iter().map(|f| f.data.clone()).collect();
        prop_assert_eq!(got, encoded);
        prop_assert!(out.iter().all(|f| f.status.is_ok()));
    }
}
