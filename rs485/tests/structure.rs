//! Our pcap and pcapng files read back by an independent parser (`pcap-parser`): block
//! structure, options, timestamps, flags and the bytes of every frame. Nothing here starts
//! a program, so it runs under qemu-user on the ARM targets too (`cargo xtask
//! cross-test`); `readers.rs` has the real tools read the same kind of files on the host.

mod common;
#[path = "common/frames.rs"]
mod frames;

use common::epb_flags;
use frames::{modbus_frames, pcapng_with_ends};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapCapture, PcapError, PcapNGCapture, PcapNGReader};
use udrv_rs485::pcap::{FrameSink, Interface, PcapWriter, PcapngWriter};
use udrv_rs485::{Frame, LinkType, Status, Timestamp};

#[test]
fn pcapng_structure_by_pcap_parser() {
    let frames = modbus_frames();
    let two = [
        Interface {
            name: "/dev/ttyUSB0".into(),
            description: "RS485 19200 8E1, outbound".into(),
            link_type: LinkType::User(0),
            speed_bps: Some(19200),
        },
        Interface {
            name: "/dev/ttyUSB1".into(),
            description: "RS485 19200 8E1, inbound".into(),
            link_type: LinkType::User(0),
            speed_bps: None,
        },
    ];
    let mut frames2 = frames.clone();
    frames2[1].interface = 1;
    let mut w = PcapngWriter::new(Vec::new(), &two, "udrv test").unwrap();
    for f in &frames2 {
        w.write_frame(f).unwrap();
    }
    let bytes = w.into_inner();
    let cap = PcapNGCapture::from_file(&bytes).unwrap();
    assert_eq!(cap.sections.len(), 1);
    let blocks = &cap.sections[0].blocks;
    let mut idbs = Vec::new();
    let mut epbs = Vec::new();
    for b in blocks {
        match b {
            Block::SectionHeader(shb) => assert_eq!(shb.bom, 0x1A2B_3C4D),
            Block::InterfaceDescription(idb) => idbs.push(idb),
            Block::EnhancedPacket(epb) => epbs.push(epb),
            other => panic!("unexpected block {other:?}"),
        }
    }
    assert_eq!(idbs.len(), 2);
    for (idb, itf) in idbs.iter().zip(&two) {
        assert_eq!(idb.linktype.0, 147);
        assert_eq!(idb.if_tsresol, 9);
        let opt = |code: u16| {
            idb.options
                .iter()
                .find(|o| o.code.0 == code)
                .map(|o| o.value[..o.len as usize].to_vec())
        };
        assert_eq!(opt(2).unwrap(), itf.name.as_bytes());
        assert_eq!(opt(3).unwrap(), itf.description.as_bytes());
        assert_eq!(opt(9).unwrap(), [9]);
    }
    assert_eq!(epbs.len(), frames2.len());
    for (epb, f) in epbs.iter().zip(&frames2) {
        assert_eq!(epb.if_id, f.interface);
        let ts = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
        assert_eq!(Timestamp(ts), f.timestamp);
        assert_eq!(&epb.data[..epb.caplen as usize], &f.data[..]);
        let flags = epb_flags(epb);
        assert_eq!(flags & 3, f.direction_bits());
        assert_eq!(flags >> 24 & 1 == 1, f.status.contains(Status::CRC_ERROR));
        assert_eq!(flags >> 27 & 1 == 1, f.status.contains(Status::WRONG_GAP));
        let comment = epb.options.iter().find(|o| o.code.0 == 1);
        assert_eq!(comment.is_some(), !f.status.is_ok());
    }
}

trait DirBits {
    fn direction_bits(&self) -> u32;
}
impl DirBits for Frame {
    fn direction_bits(&self) -> u32 {
        self.direction.epb_bits()
    }
}

#[test]
fn pcap_structure_by_pcap_parser() {
    let frames = modbus_frames();
    let mut w = PcapWriter::new(Vec::new(), LinkType::modbus_upper_pdu()).unwrap();
    for f in &frames {
        w.write_frame(f).unwrap();
    }
    let bytes = w.into_inner();
    let cap = PcapCapture::from_file(&bytes).unwrap();
    assert_eq!(cap.header.magic_number, 0xA1B2_3C4D);
    assert!(cap.header.is_nanosecond_precision());
    assert_eq!(cap.header.network.0, 252);
    assert_eq!(cap.blocks.len(), frames.len());
    for (b, f) in cap.blocks.iter().zip(&frames) {
        assert_eq!(b.ts_sec as u64, f.timestamp.secs());
        assert_eq!(b.ts_usec, f.timestamp.subsec_nanos()); // nanoseconds in this variant
                                                           // Exported-PDU tags: dissector name "mbrtu", end tag, then the frame.
        assert_eq!(&b.data[..4], &[0, 12, 0, 8]);
        assert_eq!(&b.data[4..9], b"mbrtu");
        assert_eq!(&b.data[16..], &f.data[..]);
    }
}

/// The frames a streaming reader gets out of `bytes` before it runs out of data.
fn epbs_before_the_end(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = PcapNGReader::new(65536, bytes).expect("a section header");
    let mut data = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                if let PcapBlockOwned::NG(Block::EnhancedPacket(e)) = block {
                    data.push(e.data[..e.caplen as usize].to_vec());
                }
                reader.consume(offset);
            }
            // `UnexpectedEof`: the file ends inside a block (the torn last write).
            Err(PcapError::Eof) | Err(PcapError::UnexpectedEof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("not a pcapng stream: {e:?}"),
        }
    }
    data
}

#[test]
fn killed_writer_leaves_a_parseable_prefix() {
    // Cut the byte stream anywhere: the complete frames before the cut still parse, and a
    // reader stops cleanly at the torn block (tshark on the host: readers.rs).
    let frames = modbus_frames();
    let (bytes, ends) = pcapng_with_ends(&frames);
    for cut in [ends[2], ends[2] + 7, ends[3] - 1] {
        let got = epbs_before_the_end(&bytes[..cut]);
        let want: Vec<Vec<u8>> = frames[..3].iter().map(|f| f.data.to_vec()).collect();
        assert_eq!(got, want, "cut at byte {cut}");
    }
}
