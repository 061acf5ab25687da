//! The on-disk queue between the readings and MQTT: append-only, every record with its
//! length and CRC-32, so that a reopen after SIGKILL or a power cut mid-write keeps every
//! complete record (a torn record at the end is cut off, without error).
//!
//! Files in the queue's folder:
//!
//! * `queue.log`: a 16-byte header (`UDRVQ001` and a generation number, little-endian
//!   u64), then records: payload length (u32 LE), CRC-32 of the payload (u32 LE), payload.
//!   Appends are written whole and `fsync`ed before [`Queue::push`] returns.
//! * `queue.head`: the generation, the offset of the first record not yet delivered and
//!   the count of records dropped past the bound (three u64 LE and their CRC-32), written
//!   to a new file and renamed over the old one. It may lag behind the deliveries (it is
//!   written at most every few hundred milliseconds): after a crash the records delivered
//!   since are delivered again, which is what "at least once" allows.
//! * `seq`: the highest sequence number reserved (see [`SeqStore`]).
//!
//! Past the bound ([`Queue::push`]) the oldest records are dropped and counted. When the
//! delivered part of the log outgrows the rest, the log is rewritten with the records
//! not yet delivered under the next generation number (a head of another generation
//! than the log's means "from the start").

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const MAGIC: &[u8; 8] = b"UDRVQ001";
const HEADER: u64 = 16;
/// The largest record: a longer length is a torn or corrupt tail.
const MAX_RECORD: u32 = 1 << 20;

/// What an output's sending thread shares with the service: its queue, and once it is
/// told to stop, the instant by which to have delivered what is queued (MQTT and
/// InfluxDB alike).
#[derive(Clone)]
pub(crate) struct Outbox {
    queue: Arc<Mutex<Queue>>,
    stop: Arc<AtomicBool>,
    flush_by: Arc<Mutex<Option<Instant>>>,
}

impl Outbox {
    /// The outbox of `queue`, not stopping.
    pub(crate) fn new(queue: Arc<Mutex<Queue>>) -> Outbox {
        Outbox {
            queue,
            stop: Default::default(),
            flush_by: Default::default(),
        }
    }

    /// Tells the thread to stop once the queue is delivered, or `flush` from now.
    pub(crate) fn stop(&self, flush: Duration) {
        let by = Instant::now() + flush;
        *self.flush_by.lock().unwrap_or_else(|e| e.into_inner()) = Some(by);
        self.stop.store(true, Ordering::Relaxed);
    }

    /// When stopping: the instant by which to have delivered.
    pub(crate) fn stopping(&self) -> Option<Instant> {
        if self.stop.load(Ordering::Relaxed) {
            *self.flush_by.lock().unwrap_or_else(|e| e.into_inner())
        } else {
            None
        }
    }

    /// The queue, locked.
    pub(crate) fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Saves the queue's state, saying in one line when it cannot.
    pub(crate) fn save(&self) {
        if let Err(e) = self.queue().save() {
            crate::log(&format!("queue: {e}"));
        }
    }

    /// Waits `d`, or less when stopping.
    pub(crate) fn wait(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            if self.stopping().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The queue (see the [module documentation](self)).
#[derive(Debug)]
pub struct Queue {
    dir: PathBuf,
    file: File,
    generation: u64,
    /// Records not yet delivered: (offset in the log, payload).
    records: VecDeque<(u64, Vec<u8>)>,
    /// The id of `records[0]` (ids count records pushed, from the log's start).
    first_id: u64,
    file_len: u64,
    live_bytes: u64,
    max_bytes: u64,
    dropped: u64,
    head_saved: (u64, u64),
}

fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Writes `bytes` to `dir/name` through a temporary file, `fsync`ed and renamed.
fn replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

fn context(e: io::Error, path: &Path, what: &str) -> io::Error {
    let hint = if e.kind() == io::ErrorKind::PermissionDenied {
        " (make the folder writable by the user udrv runs as, or set [queue] dir)"
    } else {
        ""
    };
    io::Error::new(e.kind(), format!("{}: {what}: {e}{hint}", path.display()))
}

impl Queue {
    /// Opens (or creates) the queue in `dir`, bounded by `max_bytes`.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Queue> {
        std::fs::create_dir_all(dir)
            .map_err(|e| context(e, dir, "cannot create the queue folder"))?;
        let path = dir.join("queue.log");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| context(e, &path, "cannot open the queue"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let generation: u64;
        if (bytes.len() as u64) < HEADER {
            // New, or its creation was cut short: nothing was in it.
            generation = 1;
            let mut h = MAGIC.to_vec();
            h.extend_from_slice(&generation.to_le_bytes());
            file.set_len(0)?;
            file.write_all_at(&h, 0)?;
            file.sync_all()?;
            bytes = h;
        } else if &bytes[..8] != MAGIC {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: not a udrv queue (no UDRVQ001 header); move it away or set [queue] dir",
                    path.display()
                ),
            ));
        } else {
            generation = u64::from_le_bytes(bytes[8..16].try_into().unwrap_or_default());
        }
        // The head: where delivery stands.
        let (mut head, mut dropped) = (HEADER, 0);
        if let Ok(h) = std::fs::read(dir.join("queue.head")) {
            if h.len() == 28 && crc(&h[..24]).to_le_bytes() == h[24..28] {
                let word = |i: usize| {
                    u64::from_le_bytes(h[i * 8..i * 8 + 8].try_into().unwrap_or_default())
                };
                dropped = word(2);
                if word(0) == generation {
                    head = word(1);
                }
            }
        }
        // The records; a torn or corrupt tail is cut off.
        let mut records = VecDeque::new();
        let mut at = HEADER;
        let mut first_id = 0;
        let mut id = 0;
        let len = bytes.len() as u64;
        while at + 8 <= len {
            let i = at as usize;
            let n = u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or_default());
            let sum = u32::from_le_bytes(bytes[i + 4..i + 8].try_into().unwrap_or_default());
            if n > MAX_RECORD || at + 8 + u64::from(n) > len {
                break;
            }
            let payload = &bytes[i + 8..i + 8 + n as usize];
            if crc(payload) != sum {
                break;
            }
            if at >= head {
                if records.is_empty() {
                    first_id = id;
                }
                records.push_back((at, payload.to_vec()));
            }
            id += 1;
            at += 8 + u64::from(n);
        }
        if records.is_empty() {
            first_id = id;
        }
        if at < len {
            file.set_len(at)?;
            file.sync_all()?;
        }
        let live_bytes = records.iter().map(|(_, p)| 8 + p.len() as u64).sum();
        let head_offset = records.front().map_or(at, |r| r.0);
        Ok(Queue {
            dir: dir.to_path_buf(),
            file,
            generation,
            records,
            first_id,
            file_len: at,
            live_bytes,
            max_bytes,
            dropped,
            head_saved: (head_offset, dropped),
        })
    }

    /// Appends a record (written and `fsync`ed when this returns) and gives its id; past
    /// the bound the oldest records are dropped and counted.
    pub fn push(&mut self, payload: &[u8]) -> io::Result<u64> {
        let n = u32::try_from(payload.len())
            .ok()
            .filter(|n| *n <= MAX_RECORD)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record over 1 MiB"))?;
        let mut rec = Vec::with_capacity(payload.len() + 8);
        rec.extend_from_slice(&n.to_le_bytes());
        rec.extend_from_slice(&crc(payload).to_le_bytes());
        rec.extend_from_slice(payload);
        let at = self.file_len;
        self.file.write_all_at(&rec, at)?;
        self.file.sync_data()?;
        self.file_len += rec.len() as u64;
        self.live_bytes += rec.len() as u64;
        self.records.push_back((at, payload.to_vec()));
        let id = self.next_id() - 1;
        while self.live_bytes > self.max_bytes && self.records.len() > 1 {
            self.pop_front();
            self.dropped += 1;
        }
        if self.dropped != self.head_saved.1 {
            self.save()?;
        }
        Ok(id)
    }

    fn pop_front(&mut self) {
        if let Some((_, p)) = self.records.pop_front() {
            self.live_bytes -= 8 + p.len() as u64;
            self.first_id += 1;
        }
    }

    /// The id of the oldest record not yet delivered (== [`next_id`](Self::next_id) when
    /// there is none).
    pub fn first_id(&self) -> u64 {
        self.first_id
    }

    /// The id the next record pushed will have.
    pub fn next_id(&self) -> u64 {
        self.first_id + self.records.len() as u64
    }

    /// The record `id`, if it is still queued.
    pub fn get(&self, id: u64) -> Option<&[u8]> {
        let i = id.checked_sub(self.first_id)?;
        self.records.get(i as usize).map(|(_, p)| p.as_slice())
    }

    /// Every record queued, oldest first.
    pub fn records(&self) -> impl Iterator<Item = &[u8]> {
        self.records.iter().map(|(_, p)| p.as_slice())
    }

    /// How many records are queued.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// How many records were dropped past the bound (over the queue's life).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Marks every record up to `id` delivered (saved by the next [`save`](Self::save)).
    pub fn ack_through(&mut self, id: u64) {
        while !self.records.is_empty() && self.first_id <= id {
            self.pop_front();
        }
    }

    /// Writes the head if it moved, and rewrites the log when its delivered part is
    /// large.
    pub fn save(&mut self) -> io::Result<()> {
        let head = self.records.front().map_or(self.file_len, |r| r.0);
        let dead = head - HEADER;
        if dead > (64 << 10).max(self.live_bytes) {
            return self.compact();
        }
        if (head, self.dropped) == self.head_saved {
            return Ok(());
        }
        self.write_head(self.generation, head)
    }

    fn write_head(&mut self, generation: u64, head: u64) -> io::Result<()> {
        let mut h = Vec::with_capacity(28);
        h.extend_from_slice(&generation.to_le_bytes());
        h.extend_from_slice(&head.to_le_bytes());
        h.extend_from_slice(&self.dropped.to_le_bytes());
        h.extend_from_slice(&crc(&h).to_le_bytes());
        replace(&self.dir, "queue.head", &h)?;
        self.head_saved = (head, self.dropped);
        Ok(())
    }

    fn compact(&mut self) -> io::Result<()> {
        let generation = self.generation + 1;
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&generation.to_le_bytes());
        let mut records = VecDeque::new();
        for (_, p) in &self.records {
            records.push_back((bytes.len() as u64, p.clone()));
            bytes.extend_from_slice(&(p.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&crc(p).to_le_bytes());
            bytes.extend_from_slice(p);
        }
        replace(&self.dir, "queue.log", &bytes)?;
        self.file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.dir.join("queue.log"))?;
        self.generation = generation;
        self.records = records;
        self.file_len = bytes.len() as u64;
        self.write_head(generation, HEADER)
    }
}

/// Sequence numbers that stay unique across restarts: numbers are reserved in blocks
/// written to `seq` before they are used, so a new run starts past every number an
/// earlier one may have given (a kill leaves a gap, never a repeat).
#[derive(Debug)]
pub struct SeqStore {
    dir: PathBuf,
    last: u64,
    reserved: u64,
}

const SEQ_BLOCK: u64 = 1000;

impl SeqStore {
    /// Opens (or starts) the numbers kept in `dir`.
    pub fn open(dir: &Path) -> io::Result<SeqStore> {
        let reserved = match std::fs::read_to_string(dir.join("seq")) {
            Ok(t) => t.trim().parse::<u64>().unwrap_or(0),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(context(e, &dir.join("seq"), "cannot read")),
        };
        Ok(SeqStore {
            dir: dir.to_path_buf(),
            last: reserved,
            reserved,
        })
    }

    /// The next number.
    pub fn next_seq(&mut self) -> io::Result<u64> {
        if self.last >= self.reserved {
            let r = self.last + SEQ_BLOCK;
            replace(&self.dir, "seq", format!("{r}\n").as_bytes())
                .map_err(|e| context(e, &self.dir.join("seq"), "cannot write"))?;
            self.reserved = r;
        }
        self.last += 1;
        Ok(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(q: &Queue) -> Vec<Vec<u8>> {
        q.records().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn records_survive_a_reopen_and_delivered_ones_stay_delivered() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Queue::open(dir.path(), 1 << 20).unwrap();
        for i in 0..5u8 {
            assert_eq!(q.push(&[i; 10]).unwrap(), u64::from(i));
        }
        q.ack_through(1);
        q.save().unwrap();
        drop(q);
        let q = Queue::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(payloads(&q), vec![vec![2; 10], vec![3; 10], vec![4; 10]]);
        assert_eq!(q.first_id(), 2);
    }

    #[test]
    fn a_log_cut_at_every_byte_of_its_last_record_keeps_the_complete_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Queue::open(dir.path(), 1 << 20).unwrap();
        let recs: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 5 + usize::from(i)]).collect();
        for r in &recs {
            q.push(r).unwrap();
        }
        drop(q);
        let log = dir.path().join("queue.log");
        let whole = std::fs::read(&log).unwrap();
        let last = whole.len() - (8 + recs[3].len());
        for cut in last..=whole.len() {
            std::fs::write(&log, &whole[..cut]).unwrap();
            let mut q =
                Queue::open(dir.path(), 1 << 20).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            let want = if cut == whole.len() {
                &recs[..]
            } else {
                &recs[..3]
            };
            assert_eq!(payloads(&q), want, "cut at {cut}");
            // And appending goes on after the complete records.
            q.push(b"next").unwrap();
            drop(q);
            let q = Queue::open(dir.path(), 1 << 20).unwrap();
            assert_eq!(q.records().last(), Some(&b"next"[..]), "cut at {cut}");
            assert_eq!(q.len(), want.len() + 1, "cut at {cut}");
        }
    }

    #[test]
    fn a_corrupt_last_record_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Queue::open(dir.path(), 1 << 20).unwrap();
        q.push(b"one").unwrap();
        q.push(b"two").unwrap();
        drop(q);
        let log = dir.path().join("queue.log");
        let mut bytes = std::fs::read(&log).unwrap();
        let n = bytes.len();
        bytes[n - 1] ^= 0xff;
        std::fs::write(&log, &bytes).unwrap();
        let q = Queue::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(payloads(&q), vec![b"one".to_vec()]);
    }

    #[test]
    fn past_the_bound_the_oldest_are_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Queue::open(dir.path(), 4096).unwrap();
        for i in 0..100u32 {
            q.push(&[i as u8; 100]).unwrap();
        }
        // 108 bytes a record: 37 fit in 4096.
        assert_eq!(q.len(), 37);
        assert_eq!(q.dropped(), 63);
        assert_eq!(q.records().next(), Some(&[63u8; 100][..]));
        drop(q);
        let q = Queue::open(dir.path(), 4096).unwrap();
        assert_eq!((q.len(), q.dropped()), (37, 63));
    }

    #[test]
    fn the_log_is_compacted_and_reopens_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut q = Queue::open(dir.path(), 1 << 20).unwrap();
        // 700 records of 208 bytes: 145 600 bytes written in all.
        for i in 0..700u32 {
            let id = q.push(&i.to_le_bytes().repeat(50)).unwrap();
            if i % 3 != 2 {
                q.ack_through(id);
            }
            // As the publisher does: the head saved now and then, not at every ack.
            if i % 10 == 0 {
                q.save().unwrap();
            }
        }
        q.save().unwrap();
        let left = payloads(&q);
        assert!(
            std::fs::metadata(dir.path().join("queue.log"))
                .unwrap()
                .len()
                < 100_000
        );
        drop(q);
        let q = Queue::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(payloads(&q), left);
    }

    #[test]
    fn sequence_numbers_go_on_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SeqStore::open(dir.path()).unwrap();
        assert_eq!(s.next_seq().unwrap(), 1);
        assert_eq!(s.next_seq().unwrap(), 2);
        drop(s);
        let mut s = SeqStore::open(dir.path()).unwrap();
        assert!(s.next_seq().unwrap() > 2);
    }
}
