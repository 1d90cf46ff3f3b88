//! Sorting more rows than should be held at once. The store-wide views print up to one row per
//! incident in an order the store does not keep them in (by discovery, by due date), and their
//! memory must not grow with the store: a [`Sorter`] holds at most [`SEGMENT`] rows, writes
//! each full segment sorted to an unnamed temporary file (in the store's private cache, gone
//! when the file is closed, even after a crash), and merges the segments back as the rows are
//! printed. A view of fewer rows than a segment never touches the disk. A full segment is sorted
//! and written on a thread of its own while the rows of the next are read, so at most two
//! segments are held at once. At most [`FAN_IN`] segments are open at once: when that many are
//! written they are merged into one on disk, so neither the merge's buffers nor its open files
//! grow with the rows.
//!
//! A segment's rows are MessagePack (`rmp-serde`, fields named): half of what JSON cost to read
//! back, and still self-describing, so a row whose empty fields are left out when written
//! (`skip_serializing_if`) reads back whole.
//!
//! A [`Tape`] is the other thing held on disk instead of in memory: records written once and
//! read back in order as often as needed, so that a document that goes over its source more
//! than once (an export's timeline, then its entries) reads the source itself once.
//!
//! Hand-written rather than the `extsort` crate: its 0.5 loses every row when their number is
//! a multiple of the segment size plus one, and a list that silently comes back empty is the
//! failure this tool cannot have.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// The most rows held in memory at once.
pub(crate) const SEGMENT: usize = 2048;

/// The most segments open at once (each with a read buffer and a file descriptor): more are
/// merged into one first.
pub(crate) const FAN_IN: usize = 64;

/// The rows held in memory at once: [`SEGMENT`], or as many as `BREACH_SORT_SEGMENT` says (the
/// tests send a small store's rows through the disk with 1; a measurement of what the sort costs
/// holds every row with a large number).
fn segment() -> usize {
    std::env::var("BREACH_SORT_SEGMENT")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(SEGMENT, |n| n.max(1))
}

fn failed(e: &std::io::Error) -> Error {
    Error::input(format!("cannot sort the rows on disk: {e}"))
}

/// Rows pushed in any order, each with its sort key, and read back in the order of their keys
/// (rows of equal keys in the order they were pushed).
#[derive(Debug)]
pub(crate) struct Sorter<K, T> {
    held: Vec<(K, T)>,
    segment: usize,
    /// The most segments kept open: [`FAN_IN`] (fewer in the tests).
    fan_in: usize,
    /// Where segments go: the store's cache, or else the system's temporary directory.
    near: Option<PathBuf>,
    segments: Vec<BufReader<File>>,
    /// The last full segment, being sorted and written on another thread while this one goes
    /// on reading: at most two segments are held at once.
    writing: Option<std::thread::JoinHandle<Result<BufReader<File>, Error>>>,
}

/// The rows of a [`Sorter`], in order.
#[derive(Debug)]
pub(crate) struct Sorted<K, T> {
    held: std::vec::IntoIter<(K, T)>,
    segments: Vec<BufReader<File>>,
    /// The next row of each segment, smallest first.
    next: BinaryHeap<Reverse<Next<K, T>>>,
}

/// The next row of a segment, ordered by its key and then by the segment (the earlier
/// segment's rows were pushed first).
#[derive(Debug)]
struct Next<K, T> {
    key: K,
    segment: usize,
    row: T,
}

impl<K: Ord, T> Ord for Next<K, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.key, self.segment).cmp(&(&other.key, other.segment))
    }
}

impl<K: Ord, T> PartialOrd for Next<K, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord, T> PartialEq for Next<K, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl<K: Ord, T> Eq for Next<K, T> {}

impl<K, T> Sorter<K, T>
where
    K: Serialize + DeserializeOwned + Ord + Send + 'static,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    /// A sorter whose segments go to `near` (the store's cache, so that what the rows say
    /// stays with the store) or else the system's temporary directory.
    pub(crate) fn new(near: Option<PathBuf>) -> Self {
        Sorter {
            held: Vec::new(),
            segment: segment(),
            fan_in: FAN_IN,
            near,
            segments: Vec::new(),
            writing: None,
        }
    }

    pub(crate) fn push(&mut self, key: K, row: T) -> Result<(), Error> {
        self.held.push((key, row));
        if self.held.len() >= self.segment {
            self.finish_writing()?;
            let rows = std::mem::replace(&mut self.held, Vec::with_capacity(self.segment));
            let near = self.near.clone();
            self.writing = Some(std::thread::spawn(move || {
                write_segment(rows, near.as_deref())
            }));
        }
        Ok(())
    }

    /// Waits for the segment being written, and keeps it; when that makes [`FAN_IN`]
    /// segments, merges them into one.
    fn finish_writing(&mut self) -> Result<(), Error> {
        if let Some(writing) = self.writing.take() {
            let segment = writing
                .join()
                .map_err(|_| failed(&std::io::Error::other("the writing thread stopped")))??;
            self.keep_segment(segment)?;
        }
        Ok(())
    }

    /// Keeps a written segment, merging every segment into one when there are [`FAN_IN`] of
    /// them. The merged segment takes the first place: its rows were all pushed before any
    /// later segment's, so rows of equal keys keep their order.
    fn keep_segment(&mut self, segment: BufReader<File>) -> Result<(), Error> {
        self.segments.push(segment);
        if self.segments.len() >= self.fan_in.max(2) {
            let mut merged = Sorted::<K, T>::merging(std::mem::take(&mut self.segments))?;
            let rows = std::iter::from_fn(|| merged.next_keyed());
            let segment = write_sorted(rows, self.near.as_deref())?;
            self.segments.push(segment);
        }
        Ok(())
    }

    pub(crate) fn sorted(mut self) -> Result<Sorted<K, T>, Error> {
        self.finish_writing()?;
        if self.segments.is_empty() {
            self.held.sort_by(|a, b| a.0.cmp(&b.0));
            return Ok(Sorted {
                held: std::mem::take(&mut self.held).into_iter(),
                segments: Vec::new(),
                next: BinaryHeap::new(),
            });
        }
        if !self.held.is_empty() {
            let rows = std::mem::take(&mut self.held);
            let segment = write_segment(rows, self.near.as_deref())?;
            self.keep_segment(segment)?;
        }
        Sorted::merging(self.segments)
    }
}

/// Rows, sorted, to a new segment on disk, read back from its start.
fn write_segment<K: Serialize + Ord, T: Serialize>(
    mut rows: Vec<(K, T)>,
    near: Option<&Path>,
) -> Result<BufReader<File>, Error> {
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    write_sorted(rows.into_iter().map(Ok), near)
}

/// An unnamed temporary file (gone when it is closed, even after a crash) in `near`, or else
/// in the system's temporary directory; `doing` says what it is for, in the error.
fn unnamed_file(near: Option<&Path>, doing: &str) -> Result<File, Error> {
    near.and_then(|near| {
        crate::files::create_private_dir(near).ok()?;
        tempfile::tempfile_in(near).ok()
    })
    .map_or_else(tempfile::tempfile, Ok)
    .map_err(|e| {
        Error::input(format!(
            "cannot {doing} on disk: no temporary file in the store's cache or in {} ({e})",
            std::env::temp_dir().display()
        ))
    })
}

/// Rows already in order to a new segment on disk, read back from its start.
fn write_sorted<K: Serialize, T: Serialize>(
    rows: impl Iterator<Item = Result<(K, T), Error>>,
    near: Option<&Path>,
) -> Result<BufReader<File>, Error> {
    let file = unnamed_file(near, "sort the rows")?;
    let mut out = BufWriter::new(file);
    let mut bytes = Vec::new();
    for row in rows {
        let row = row?;
        bytes.clear();
        rmp_serde::encode::write_named(&mut bytes, &row)
            .map_err(|e| failed(&std::io::Error::other(e)))?;
        let len = u32::try_from(bytes.len()).map_err(|e| failed(&std::io::Error::other(e)))?;
        out.write_all(&len.to_le_bytes())
            .and_then(|()| out.write_all(&bytes))
            .map_err(|e| failed(&e))?;
    }
    let mut file = out.into_inner().map_err(|e| failed(e.error()))?;
    file.rewind().map_err(|e| failed(&e))?;
    Ok(BufReader::new(file))
}

impl<K: DeserializeOwned + Ord, T: DeserializeOwned> Sorted<K, T> {
    /// The rows of segments on disk, merged as they are read.
    fn merging(segments: Vec<BufReader<File>>) -> Result<Self, Error> {
        let mut sorted = Sorted {
            held: Vec::new().into_iter(),
            segments,
            next: BinaryHeap::new(),
        };
        for n in 0..sorted.segments.len() {
            sorted.refill(n)?;
        }
        Ok(sorted)
    }

    /// The rows with their keys.
    pub(crate) fn keyed(mut self) -> impl Iterator<Item = Result<(K, T), Error>> {
        std::iter::from_fn(move || self.next_keyed())
    }

    /// The next row with its key.
    fn next_keyed(&mut self) -> Option<Result<(K, T), Error>> {
        if self.segments.is_empty() {
            return self.held.next().map(Ok);
        }
        let Reverse(Next { key, segment, row }) = self.next.pop()?;
        Some(self.refill(segment).map(|()| (key, row)))
    }

    /// Takes the next row of segment `n`, if it has one, into the merge.
    fn refill(&mut self, n: usize) -> Result<(), Error> {
        let reader = &mut self.segments[n];
        let mut len = [0u8; 4];
        match reader.read_exact(&mut len) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            other => other.map_err(|e| failed(&e))?,
        }
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        reader.read_exact(&mut bytes).map_err(|e| failed(&e))?;
        let (key, row) =
            rmp_serde::from_slice(&bytes).map_err(|e| failed(&std::io::Error::other(e)))?;
        self.next.push(Reverse(Next {
            key,
            segment: n,
            row,
        }));
        Ok(())
    }
}

impl<K: DeserializeOwned + Ord, T: DeserializeOwned> Iterator for Sorted<K, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_keyed().map(|keyed| keyed.map(|(_, row)| row))
    }
}

/// Records of two byte strings (a label and a body), written once in order to an unnamed
/// temporary file and read back in that order as often as needed; memory holds a buffer, never
/// the records.
#[derive(Debug)]
pub(crate) struct Tape {
    out: BufWriter<File>,
    records: u64,
}

/// What takes a [`Tape`]'s records: the label and the body of each, in order.
pub(crate) type RecordSink<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), Error> + 'a;

fn tape_failed(e: &std::io::Error) -> Error {
    Error::input(format!("cannot keep the temporary copy on disk: {e}"))
}

impl Tape {
    /// An empty tape in `near` (the store's cache, so that what the records say stays with the
    /// store) or else the system's temporary directory.
    pub(crate) fn new(near: Option<&Path>) -> Result<Tape, Error> {
        let file = unnamed_file(near, "keep a temporary copy")?;
        Ok(Tape {
            out: BufWriter::with_capacity(1 << 16, file),
            records: 0,
        })
    }

    /// Adds a record after the others.
    pub(crate) fn push(&mut self, label: &[u8], body: &[u8]) -> Result<(), Error> {
        let length = |b: &[u8]| {
            u32::try_from(b.len())
                .map(u32::to_le_bytes)
                .map_err(|e| tape_failed(&std::io::Error::other(e)))
        };
        let (label_len, body_len) = (length(label)?, length(body)?);
        [&label_len[..], &body_len, label, body]
            .into_iter()
            .try_for_each(|part| self.out.write_all(part))
            .map_err(|e| tape_failed(&e))?;
        self.records += 1;
        Ok(())
    }

    /// Forgets every record, to start again.
    pub(crate) fn clear(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(|e| tape_failed(&e))?;
        let file = self.out.get_mut();
        file.set_len(0)
            .and_then(|()| file.rewind())
            .map_err(|e| tape_failed(&e))?;
        self.records = 0;
        Ok(())
    }

    /// How many records it holds.
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// Hands every record to `sink`, in the order they were pushed; the first error `sink`
    /// returns ends the reading and is the result.
    pub(crate) fn each(&mut self, sink: &mut RecordSink<'_>) -> Result<(), Error> {
        self.out.flush().map_err(|e| tape_failed(&e))?;
        let file = self.out.get_mut();
        file.rewind().map_err(|e| tape_failed(&e))?;
        let mut reader = BufReader::with_capacity(1 << 16, &*file);
        let mut record = Vec::new();
        for _ in 0..self.records {
            let mut lengths = [0u8; 8];
            reader
                .read_exact(&mut lengths)
                .map_err(|e| tape_failed(&e))?;
            let [a, b, c, d, e, f, g, h] = lengths;
            let label = u32::from_le_bytes([a, b, c, d]) as usize;
            let body = u32::from_le_bytes([e, f, g, h]) as usize;
            record.resize(label + body, 0);
            reader
                .read_exact(&mut record)
                .map_err(|e| tape_failed(&e))?;
            let (label, body) = record.split_at(label);
            sink(label, body)?;
        }
        drop(reader);
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| tape_failed(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_through(
        near: &std::path::Path,
        (segment, fan_in): (usize, usize),
        n: u64,
    ) -> Vec<(u64, String)> {
        let mut sorter = Sorter::new(Some(near.to_owned()));
        sorter.segment = segment;
        sorter.fan_in = fan_in;
        for i in 0..n {
            let key = (i * 7919) % n;
            sorter.push(key, (key, format!("row {i}"))).unwrap();
            assert!(sorter.segments.len() < fan_in.max(2), "{i} rows pushed");
        }
        sorter.sorted().unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn every_row_comes_back_in_order_whatever_the_count_against_the_segment() {
        let near = tempfile::tempdir().unwrap();
        // Counts that fill the last segment exactly, overfill it by one, or stop short; and
        // fewer rows than one segment, which never touch the disk.
        // Some with so few segments open at once that they are merged on disk, once or often.
        for (segment, n) in [
            ((7, FAN_IN), 56),
            ((7, FAN_IN), 57),
            ((7, FAN_IN), 55),
            ((7, FAN_IN), 8),
            ((7, FAN_IN), 3),
            ((1, FAN_IN), 5),
            ((2048, FAN_IN), 5000),
            ((7, 3), 57),
            ((1, 2), 200),
            ((5, 4), 1001),
        ] {
            let sorted = sorted_through(near.path(), segment, n);
            assert_eq!(
                sorted.len() as u64,
                n,
                "segment and fan-in {segment:?}, {n} rows"
            );
            assert!(
                sorted.windows(2).all(|w| w[0] < w[1]),
                "segment and fan-in {segment:?}, {n} rows"
            );
        }
        // The segments were unnamed files: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(near.path()).unwrap().count(), 0);
    }

    #[test]
    fn rows_of_equal_keys_come_back_in_the_order_they_were_pushed() {
        let near = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(Some(near.path().to_owned()));
        sorter.segment = 3;
        for i in 0..10u32 {
            sorter.push(i % 2, i).unwrap();
        }
        let sorted: Vec<u32> = sorter.sorted().unwrap().map(Result::unwrap).collect();
        assert_eq!(sorted, [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]);
        // So they do when segments are merged on disk before the end.
        let mut sorter = Sorter::new(Some(near.path().to_owned()));
        (sorter.segment, sorter.fan_in) = (2, 2);
        for i in 0..31u32 {
            sorter.push(i % 3, i).unwrap();
        }
        let sorted: Vec<u32> = sorter.sorted().unwrap().map(Result::unwrap).collect();
        let expected: Vec<u32> = (0..3)
            .flat_map(|k| (0..31).filter(move |i| i % 3 == k))
            .collect();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn a_tape_gives_back_its_records_in_order_as_often_as_it_is_read() {
        let near = tempfile::tempdir().unwrap();
        let mut tape = Tape::new(Some(near.path())).unwrap();
        let records: Vec<(Vec<u8>, Vec<u8>)> = (0..5000u32)
            .map(|i| {
                (
                    format!("kind {i}").into_bytes(),
                    vec![b'x'; (i as usize * 37) % 3000],
                )
            })
            .chain([(Vec::new(), Vec::new()), (b"\n\0".to_vec(), b"\n".to_vec())])
            .collect();
        for (label, body) in &records {
            tape.push(label, body).unwrap();
        }
        assert_eq!(tape.records(), records.len() as u64);
        for _ in 0..2 {
            let mut read = Vec::new();
            tape.each(&mut |label, body| {
                read.push((label.to_vec(), body.to_vec()));
                Ok(())
            })
            .unwrap();
            assert_eq!(read, records);
        }
        // A record pushed after a reading comes after the others; a sink's error ends it.
        tape.push(b"last", b"one").unwrap();
        let mut seen = 0;
        let stopped = tape.each(&mut |_, _| {
            seen += 1;
            if seen == 3 {
                Err(Error::input("stop".to_owned()))
            } else {
                Ok(())
            }
        });
        assert_eq!(seen, 3);
        assert!(stopped.is_err());
        let mut last = Vec::new();
        tape.each(&mut |label, _| {
            last = label.to_vec();
            Ok(())
        })
        .unwrap();
        assert_eq!(last, b"last");
        tape.clear().unwrap();
        assert_eq!(tape.records(), 0);
        tape.each(&mut |_, _| panic!("a cleared tape has no records"))
            .unwrap();
        // The tape was an unnamed file: nothing is left in the directory.
        assert_eq!(std::fs::read_dir(near.path()).unwrap().count(), 0);
    }
}
