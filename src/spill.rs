//! Sorting more rows than should be held at once. The store-wide views print up to one row per
//! incident in an order the store does not keep them in (by discovery, by due date), and their
//! memory must not grow with the store: rows go to an external sorter (the `extsort` crate)
//! that holds at most [`SEGMENT`] of them, writes each full segment sorted to a private
//! temporary directory, and merges the segments back as the rows are printed. A view of fewer
//! rows than a segment never touches the disk.

use std::cmp::Ordering;
use std::io::{Read, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// The most rows held in memory at once.
pub const SEGMENT: usize = 2048;

/// The rows held in memory at once: [`SEGMENT`], or fewer when `BREACH_SORT_SEGMENT` says so
/// (the tests' way to send a small store's rows through the disk).
fn segment() -> usize {
    std::env::var("BREACH_SORT_SEGMENT")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(SEGMENT, |n| n.clamp(1, SEGMENT))
}

/// One row on its way through the sorter: JSON, after its length.
#[derive(Debug)]
struct Spilled<T>(T);

impl<T: Serialize + DeserializeOwned + Send> extsort::Sortable for Spilled<T> {
    fn encode<W: Write>(&self, writer: &mut W) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(&self.0)?;
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        writer.write_all(&len.to_le_bytes())?;
        writer.write_all(&bytes)
    }

    fn decode<R: Read>(reader: &mut R) -> std::io::Result<Self> {
        let mut len = [0u8; 4];
        // The end of a segment is an `UnexpectedEof` here, as the sorter expects.
        reader.read_exact(&mut len)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        reader.read_exact(&mut bytes)?;
        Ok(Spilled(serde_json::from_slice(&bytes)?))
    }
}

type Compare<T> = fn(&Spilled<T>, &Spilled<T>) -> Ordering;

fn compare<T: Ord>(a: &Spilled<T>, b: &Spilled<T>) -> Ordering {
    a.0.cmp(&b.0)
}

/// Rows pushed in any order and read back in their own (`Ord`) order.
pub struct Sorter<T: Serialize + DeserializeOwned + Send + Ord> {
    rows: extsort::PushExternalSorter<Spilled<T>, Compare<T>>,
    /// Where full segments go; removed when the sorted rows are dropped.
    dir: Option<tempfile::TempDir>,
}

/// The rows of a [`Sorter`], in order.
pub struct Sorted<T: Serialize + DeserializeOwned + Send + Ord> {
    rows: extsort::SortedIterator<Spilled<T>, Compare<T>>,
    _dir: Option<tempfile::TempDir>,
}

fn failed(e: &std::io::Error) -> Error {
    Error::input(format!("cannot sort the rows on disk: {e}"))
}

impl<T: Serialize + DeserializeOwned + Send + Ord> Sorter<T> {
    /// A sorter whose segments go to a new private directory in `near` (the store's cache, so
    /// that what the rows say stays with the store) or else the system's temporary directory.
    pub fn new(near: Option<&Path>) -> Self {
        let dir = near
            .and_then(|near| {
                crate::log::create_private_dir(near).ok()?;
                tempfile::Builder::new()
                    .prefix(".sorting-")
                    .tempdir_in(near)
                    .ok()
            })
            .or_else(|| tempfile::Builder::new().prefix("breach-").tempdir().ok());
        let mut sorter = extsort::ExternalSorter::new().with_segment_size(segment());
        if let Some(dir) = &dir {
            sorter = sorter.with_sort_dir(dir.path().to_owned());
        }
        Sorter {
            rows: sorter.pushed_by(compare::<T> as Compare<T>),
            dir,
        }
    }

    pub fn push(&mut self, row: T) -> Result<(), Error> {
        self.rows.push(Spilled(row)).map_err(|e| failed(&e))
    }

    pub fn sorted(self) -> Result<Sorted<T>, Error> {
        Ok(Sorted {
            rows: self.rows.done().map_err(|e| failed(&e))?,
            _dir: self.dir,
        })
    }
}

impl<T: Serialize + DeserializeOwned + Send + Ord> std::fmt::Debug for Sorter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("rows being sorted")
    }
}

impl<T: Serialize + DeserializeOwned + Send + Ord> std::fmt::Debug for Sorted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sorted rows")
    }
}

impl<T: Serialize + DeserializeOwned + Send + Ord> Iterator for Sorted<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows
            .next()
            .map(|row| row.map(|Spilled(row)| row).map_err(|e| failed(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_rows_than_a_segment_come_back_in_order_and_the_segments_go_away() {
        let near = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(Some(near.path()));
        // Five segments' worth, in an order that is not theirs.
        let n = 5 * SEGMENT as u64 + 7;
        for i in 0..n {
            sorter.push(((i * 7919) % n, format!("row {i}"))).unwrap();
        }
        let sorted: Vec<(u64, String)> = sorter.sorted().unwrap().map(Result::unwrap).collect();
        assert_eq!(sorted.len() as u64, n);
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(std::fs::read_dir(near.path()).unwrap().count(), 0);
    }

    #[test]
    fn fewer_rows_than_a_segment_never_touch_the_disk() {
        let near = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(Some(near.path()));
        for i in [3, 1, 2] {
            sorter.push(i).unwrap();
        }
        let dir = sorter.dir.as_ref().unwrap().path().to_owned();
        let sorted = sorter.sorted().unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        assert_eq!(sorted.map(Result::unwrap).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
