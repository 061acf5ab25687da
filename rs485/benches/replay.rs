//! Replays a large generated raw log through the Modbus RTU framer and the pcapng writer,
//! and, in the same run, writes the same chunks unframed (one packet per chunk) for
//! comparison. Prints MB/s of bus bytes for both and their ratio.
//!
//! `cargo bench -p udrv-rs485 --bench replay` (`UDRV_BENCH_MB=64` for a larger log).

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use udrv_rs485::crc::modbus_frame;
use udrv_rs485::framer::{Framer, ModbusRtu, Timing};
use udrv_rs485::pcap::{FrameSink, Interface, LinkType, PcapngWriter};
use udrv_rs485::rawlog::{RawLogHeader, RawLogReader, RawLogWriter};
use udrv_rs485::{Frame, LineSettings, Status, Timestamp};

/// Counts bytes instead of storing them, so the measure is the work, not memory growth.
struct Counter(u64);
impl Write for Counter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A Modbus exchange at 115200 8E1 (polls of 1..=125 registers and their responses, 2 ms
/// apart), delivered as a USB adapter does: bursts of up to 64 bytes.
fn generate(target: usize, line: &LineSettings) -> (Vec<u8>, usize, u64) {
    let c = line.char_time_ns();
    let header = RawLogHeader {
        line: *line,
        ports: vec!["/dev/ttyUSB0".into()],
        resolution: Duration::from_millis(1),
    };
    let mut log = RawLogWriter::new(Vec::with_capacity(target + target / 4), &header).unwrap();
    let mut t = 1_767_225_600_000_000_000u64;
    let mut bus = 0;
    let mut seed = 0x2545_F491u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut frames = 0;
    while bus < target {
        let unit = (next() % 247 + 1) as u8;
        let count = (next() % 125 + 1) as u16;
        let start = (next() % 1000) as u16;
        let mut req = vec![unit, 3];
        req.extend_from_slice(&start.to_be_bytes());
        req.extend_from_slice(&count.to_be_bytes());
        let mut resp = vec![unit, 3, (count * 2) as u8];
        resp.extend((0..count * 2).map(|_| next() as u8));
        for frame in [modbus_frame(&req), modbus_frame(&resp)] {
            frames += 1;
            t += 2_000_000;
            for chunk in frame.chunks(64) {
                pending.extend_from_slice(chunk);
                t += c * chunk.len() as u64;
                log.write_chunk(Timestamp(t), 0, &pending).unwrap();
                bus += pending.len();
                pending.clear();
            }
        }
    }
    (log.into_inner(), bus, frames)
}

/// A pcapng writer into a byte counter, one interface.
fn counting_writer() -> PcapngWriter<Counter> {
    let itf = Interface {
        name: "bench".into(),
        description: String::new(),
        link_type: LinkType::User(0),
        speed_bps: None,
    };
    PcapngWriter::new(Counter(0), &[itf], "bench").unwrap()
}

fn framed(log: &[u8], line: &LineSettings) -> (u64, u64, u64) {
    let mut reader = RawLogReader::new(log).unwrap();
    let mut w = counting_writer();
    let mut framer = ModbusRtu::new(Timing::modbus(line, Duration::from_millis(1)));
    let mut out = Vec::new();
    let mut frames = 0;
    let mut bad = 0;
    while let Some(chunk) = reader.next_chunk().unwrap() {
        framer.feed(chunk.timestamp, &chunk.data, &mut out);
        for f in out.drain(..) {
            frames += 1;
            bad += u64::from(!f.status.is_ok());
            w.write_frame(&f).unwrap();
        }
    }
    framer.finish(&mut out);
    frames += out.len() as u64;
    (frames, bad, w.into_inner().0)
}

fn unframed(log: &[u8]) -> (u64, u64) {
    let mut reader = RawLogReader::new(log).unwrap();
    let mut w = counting_writer();
    let mut packets = 0;
    while let Some(chunk) = reader.next_chunk().unwrap() {
        packets += 1;
        w.write_frame(&Frame::new(chunk.timestamp, chunk.data, Status::OK))
            .unwrap();
    }
    (packets, w.into_inner().0)
}

fn best_of<T: Default>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = T::default();
    for _ in 0..runs {
        let t = Instant::now();
        result = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, result)
}

fn main() {
    let mb: usize = std::env::var("UDRV_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let line: LineSettings = "115200 8E1".parse().unwrap();
    let (log, bus, sent) = generate(mb << 20, &line);
    let mbytes = bus as f64 / (1 << 20) as f64;
    println!(
        "log: {:.1} MiB of bus bytes ({sent} frames) in {:.1} MiB of raw log",
        mbytes,
        log.len() as f64 / (1 << 20) as f64
    );
    let (t_framed, (frames, bad, out_f)) = best_of(3, || framed(&log, &line));
    let (t_raw, (packets, out_r)) = best_of(3, || unframed(&log));
    let rate = |t: Duration| mbytes / t.as_secs_f64();
    println!(
        "framed   (Modbus RTU framer + pcapng): {:>8.1} MiB/s  {frames} frames ({bad} bad), {:.1} MiB pcapng",
        rate(t_framed),
        out_f as f64 / (1 << 20) as f64
    );
    println!(
        "unframed (one pcapng packet per read): {:>8.1} MiB/s  {packets} packets, {:.1} MiB pcapng",
        rate(t_raw),
        out_r as f64 / (1 << 20) as f64
    );
    println!("ratio framed/unframed: {:.2}", rate(t_framed) / rate(t_raw));
    let fastest_line = 12_000_000.0 / 10.0 / (1 << 20) as f64; // 12 Mbaud, 10 bits a byte
    println!(
        "framed throughput = {:.0}x a 12 Mbaud line",
        rate(t_framed) / fastest_line
    );
}
