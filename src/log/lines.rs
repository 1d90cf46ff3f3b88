//! A log's lines as the scan reads them, each borrowed whole from one buffer: a line is copied
//! only when it spans two reads, and the buffer grows only as far as the longest line needs (at
//! most an entry's limit and its newline), so the scan's memory stays flat in the log's length
//! while a short log is read in one call.

use std::io::Read;

use super::MAX_LINE_BYTES;

/// How much a scan reads at a time: a whole log of a few dozen entries, its first entry (the
/// pinned runbook, about 70 KiB) included.
const READ_SIZE: usize = 128 * 1024;

/// The most a line may take with its newline, and one byte more to know it is longer.
const LONGEST: usize = MAX_LINE_BYTES + 2;

/// What the next read of a log found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line<'a> {
    /// A whole line, its newline included.
    Whole(&'a [u8]),
    /// The bytes after the last newline: the log ends without one (a torn tail).
    Torn { length: u64 },
    /// More bytes than an entry may have, with no newline among them.
    TooLong,
    /// Nothing more.
    End,
}

pub(super) struct LineReader<R> {
    reader: R,
    /// The bytes read; the unread ones are `buf[start..]`.
    buf: Vec<u8>,
    start: usize,
    at_eof: bool,
}

impl<R: Read> LineReader<R> {
    pub(super) fn new(reader: R) -> Self {
        LineReader {
            reader,
            buf: Vec::new(),
            start: 0,
            at_eof: false,
        }
    }

    pub(super) fn next_line(&mut self) -> std::io::Result<Line<'_>> {
        let mut searched = 0;
        loop {
            let unread = &self.buf[self.start..];
            if let Some(i) = memchr::memchr(b'\n', &unread[searched..]) {
                let length = searched + i + 1;
                if length > LONGEST {
                    return Ok(Line::TooLong);
                }
                let line = self.start..self.start + length;
                self.start += length;
                return Ok(Line::Whole(&self.buf[line]));
            }
            searched = unread.len();
            if searched >= LONGEST {
                return Ok(Line::TooLong);
            }
            if self.at_eof {
                self.start = self.buf.len();
                return Ok(match searched {
                    0 => Line::End,
                    n => Line::Torn { length: n as u64 },
                });
            }
            self.fill()?;
        }
    }

    /// Reads up to [`READ_SIZE`] more after the unread bytes, moving them to the front first.
    /// The bytes are read into the buffer's spare room, which is never zeroed first: a view
    /// that reads only the few entries after a snapshot pays for no more than it reads.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.reserve(READ_SIZE);
        let n = (&mut self.reader)
            .take(READ_SIZE as u64)
            .read_to_end(&mut self.buf)?;
        if n < READ_SIZE {
            self.at_eof = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes a call, to split lines across reads.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn lines(bytes: &[u8], step: usize) -> Vec<String> {
        let mut reader = LineReader::new(Trickle { bytes, step });
        let mut found = Vec::new();
        loop {
            match reader.next_line().unwrap() {
                Line::Whole(l) => found.push(String::from_utf8(l.to_vec()).unwrap()),
                Line::Torn { length } => found.push(format!("torn {length}")),
                Line::TooLong => {
                    found.push("too long".to_owned());
                    break;
                }
                Line::End => break,
            }
        }
        found
    }

    #[test]
    fn lines_split_across_reads_come_out_whole_and_a_torn_tail_is_measured() {
        let long = "x".repeat(READ_SIZE + 10);
        let text = format!("a\n{long}\nbc\ntail");
        for step in [1, 3, 4096, READ_SIZE, usize::MAX] {
            assert_eq!(
                lines(text.as_bytes(), step),
                [
                    "a\n".to_owned(),
                    format!("{long}\n"),
                    "bc\n".to_owned(),
                    "torn 4".to_owned()
                ],
                "reads of {step} bytes"
            );
        }
        assert!(lines(b"", 7).is_empty());
    }

    #[test]
    fn a_line_longer_than_an_entry_may_be_is_refused_without_reading_on() {
        let text = vec![b'y'; LONGEST + 5];
        assert_eq!(lines(&text, usize::MAX), ["too long"]);
        let mut fits = vec![b'y'; LONGEST - 1];
        fits.push(b'\n');
        assert_eq!(lines(&fits, 1 << 20).len(), 1);
        fits.insert(0, b'y');
        assert_eq!(lines(&fits, 1 << 20), ["too long"]);
    }
}
