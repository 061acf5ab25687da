//! Property tests of the pcap and pcapng writers, checked by parsing their output back
//! with an independent parser (pcap-parser): random frames (any bytes, sizes up to past
//! the snapshot length, every status and direction, several interfaces, any timestamp)
//! come back with the same interface, timestamp, bytes, flags and comments; and any
//! prefix of the output (a file cut by SIGKILL, a full disk) parses as exactly the frames
//! whose blocks are complete in it, the torn tail being the only thing lost.

use pcap_parser::pcapng::{parse_block_le, Block};
use pcap_parser::{parse_pcap_frame, parse_pcap_header};
use proptest::prelude::*;
use udrv_rs485::pcap::{FrameSink, Interface, LinkType, PcapWriter, PcapngWriter, SNAPLEN};
use udrv_rs485::{Direction, Frame, Status, Timestamp};

fn link() -> impl Strategy<Value = LinkType> {
    prop_oneof![
        (0u8..16).prop_map(LinkType::User),
        Just(LinkType::BacnetMsTp),
        "[a-z_.]{1,20}".prop_map(|dissector| LinkType::UpperPdu { dissector }),
    ]
}

fn frame(interfaces: u32) -> impl Strategy<Value = Frame> {
    (
        // Any time a u32 of seconds holds (pcap's limit).
        0u64..(u64::from(u32::MAX) * 1_000_000_000),
        prop_oneof![
            8 => prop::collection::vec(any::<u8>(), 0..300),
            1 => prop::collection::vec(any::<u8>(), 0..(SNAPLEN as usize + 64)),
        ],
        0u32..64,
        prop::sample::select(vec![
            Direction::Unknown,
            Direction::Inbound,
            Direction::Outbound,
        ]),
        0..interfaces,
    )
        .prop_map(|(ts, data, status, direction, interface)| Frame {
            timestamp: Timestamp(ts),
            data,
            status: status_of(status),
            direction,
            interface,
        })
}

fn status_of(bits: u32) -> Status {
    let all = [
        Status::CRC_ERROR,
        Status::TOO_LONG,
        Status::TOO_SHORT,
        Status::WRONG_GAP,
        Status::NOISE,
        Status::BAD_ENCODING,
    ];
    all.iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .fold(Status::OK, |s, (_, &b)| s | b)
}

fn interfaces() -> impl Strategy<Value = Vec<Interface>> {
    prop::collection::vec(
        (".{0,40}", ".{0,80}", link(), prop::option::of(any::<u64>())).prop_map(
            |(name, description, link_type, speed_bps)| Interface {
                name,
                description,
                link_type,
                speed_bps,
            },
        ),
        1..4,
    )
}

/// The Enhanced Packet Blocks in `bytes` (a whole file or any prefix of one), in order,
/// as (interface, timestamp, bytes, epb_flags, comment); Err if a complete block is bad.
type Epb = (u32, u64, Vec<u8>, Option<u32>, Option<String>);
fn pcapng_packets(mut bytes: &[u8]) -> Result<(Vec<Epb>, usize), String> {
    let mut out = Vec::new();
    let mut idbs = 0;
    while !bytes.is_empty() {
        match parse_block_le(bytes) {
            Ok((rest, block)) => {
                match block {
                    Block::SectionHeader(_) => {}
                    Block::InterfaceDescription(_) => idbs += 1,
                    Block::EnhancedPacket(epb) => {
                        let opt = |code: u16| {
                            epb.options
                                .iter()
                                .find(|o| o.code.0 == code)
                                .map(|o| o.value[..o.len as usize].to_vec())
                        };
                        let flags = opt(2).map(|v| u32::from_le_bytes(v.try_into().unwrap()));
                        let comment = opt(1).map(|v| String::from_utf8(v).unwrap());
                        let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        out.push((
                            epb.if_id,
                            ts,
                            epb.data[..epb.caplen as usize].to_vec(),
                            flags,
                            comment,
                        ));
                    }
                    other => return Err(format!("unexpected block {other:?}")),
                }
                bytes = rest;
            }
            Err(pcap_parser::nom::Err::Incomplete(_)) => break,
            Err(e) => return Err(format!("{e:?}")),
        }
    }
    Ok((out, idbs))
}

/// The records of a pcap file or prefix: (link type, [(seconds, nanoseconds, bytes, original length)]).
type Rec = (u32, u32, Vec<u8>, u32);
fn pcap_records(bytes: &[u8]) -> Result<Option<(i32, Vec<Rec>)>, String> {
    let (mut rest, header) = match parse_pcap_header(bytes) {
        Ok(x) => x,
        Err(pcap_parser::nom::Err::Incomplete(_)) => return Ok(None),
        Err(e) => return Err(format!("{e:?}")),
    };
    if !header.is_nanosecond_precision() {
        return Err("not the nanosecond variant".into());
    }
    let mut out = Vec::new();
    while !rest.is_empty() {
        match parse_pcap_frame(rest) {
            Ok((r, b)) => {
                out.push((b.ts_sec, b.ts_usec, b.data.to_vec(), b.origlen));
                rest = r;
            }
            Err(pcap_parser::nom::Err::Incomplete(_)) => break,
            Err(e) => return Err(format!("{e:?}")),
        }
    }
    Ok(Some((header.network.0, out)))
}

fn expected_flags(f: &Frame) -> Option<u32> {
    let flags = f.direction.epb_bits() | f.status.epb_error_bits();
    (flags != 0 || !f.status.is_ok()).then_some(flags)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn pcapng_reads_back_and_every_prefix_keeps_its_complete_frames(
        itfs in interfaces(),
        seed in prop::collection::vec(frame(3), 0..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let frames: Vec<Frame> = seed
            .into_iter()
            .map(|mut f| { f.interface %= itfs.len() as u32; f })
            .collect();
        let mut w = PcapngWriter::new(Vec::new(), &itfs, "udrv proptest").unwrap();
        let mut ends = Vec::new();
        for f in &frames {
            w.write_frame(f).unwrap();
            ends.push(w.bytes_written() as usize);
        }
        let bytes = w.into_inner();
        let (packets, idbs) = pcapng_packets(&bytes).map_err(TestCaseError::fail)?;
        prop_assert_eq!(idbs, itfs.len());
        prop_assert_eq!(packets.len(), frames.len());
        for (p, f) in packets.iter().zip(&frames) {
            let data = itfs[f.interface as usize].link_type.encapsulate(&f.data);
            let cap = data.len().min(SNAPLEN as usize);
            prop_assert_eq!(p.0, f.interface);
            prop_assert_eq!(p.1, f.timestamp.0);
            prop_assert_eq!(&p.2[..], &data[..cap]);
            prop_assert_eq!(p.3, expected_flags(f));
            prop_assert_eq!(p.4.is_some(), !f.status.is_ok());
        }
        // A torn file: exactly the frames whose blocks ended before the cut.
        let at = cut.index(bytes.len() + 1);
        let (torn, _) = pcapng_packets(&bytes[..at]).map_err(TestCaseError::fail)?;
        let complete = ends.iter().filter(|&&e| e <= at).count();
        prop_assert_eq!(torn.len(), complete, "cut at {} of {}", at, bytes.len());
        prop_assert_eq!(&torn[..], &packets[..complete]);
    }

    #[test]
    fn pcap_reads_back_and_every_prefix_keeps_its_complete_frames(
        link in link(),
        frames in prop::collection::vec(frame(1), 0..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut w = PcapWriter::new(Vec::new(), link.clone()).unwrap();
        let mut ends = Vec::new();
        for f in &frames {
            w.write_frame(f).unwrap();
            ends.push(w.bytes_written() as usize);
        }
        let bytes = w.into_inner();
        let (network, recs) = pcap_records(&bytes).map_err(TestCaseError::fail)?.unwrap();
        prop_assert_eq!(network as u32, u32::from(link.number()));
        prop_assert_eq!(recs.len(), frames.len());
        for (r, f) in recs.iter().zip(&frames) {
            let data = link.encapsulate(&f.data);
            let cap = data.len().min(SNAPLEN as usize);
            prop_assert_eq!(u64::from(r.0), f.timestamp.0 / 1_000_000_000);
            prop_assert_eq!(u64::from(r.1), f.timestamp.0 % 1_000_000_000);
            prop_assert_eq!(&r.2[..], &data[..cap]);
            prop_assert_eq!(r.3 as usize, data.len());
        }
        let at = cut.index(bytes.len() + 1);
        let complete = ends.iter().filter(|&&e| e <= at).count();
        match pcap_records(&bytes[..at]).map_err(TestCaseError::fail)? {
            None => prop_assert!(at < 24),
            Some((_, torn)) => {
                prop_assert_eq!(torn.len(), complete);
                prop_assert_eq!(&torn[..], &recs[..complete]);
            }
        }
    }
}

#[test]
fn pcapng_option_longer_than_64k_is_cut_not_corrupted() {
    let itf = Interface {
        name: "/dev/ttyUSB0".into(),
        description: "x".repeat(70_000),
        link_type: LinkType::User(0),
        speed_bps: Some(9600),
    };
    let mut w = PcapngWriter::new(Vec::new(), &[itf], "udrv").unwrap();
    w.write_frame(&Frame::new(Timestamp(5), vec![1, 2, 3], Status::CRC_ERROR))
        .unwrap();
    let bytes = w.into_inner();
    let (packets, idbs) = pcapng_packets(&bytes).unwrap();
    assert_eq!((idbs, packets.len()), (1, 1));
    assert_eq!(packets[0].2, [1, 2, 3]);
    // The interface block's options: the description cut to 65 535 bytes, and the
    // options after it (if_speed, if_tsresol) still where a reader finds them.
    let (rest, _shb) = parse_block_le(&bytes).unwrap();
    let Ok((_, Block::InterfaceDescription(idb))) = parse_block_le(rest) else {
        panic!("no interface block")
    };
    let opt = |code: u16| {
        idb.options
            .iter()
            .find(|o| o.code.0 == code)
            .map(|o| o.value[..o.len as usize].to_vec())
    };
    assert_eq!(opt(3).map(|v| v.len()), Some(65_535));
    assert_eq!(opt(8), Some(9600u64.to_le_bytes().to_vec()));
    assert_eq!(opt(9), Some(vec![9]));
}
