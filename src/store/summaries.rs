//! The store-wide cache of summaries (`cache/summaries.jsonl`): one line per incident with what
//! `list`, `deadlines --all`, `annual` and `-i` need, each keyed to the log it was built from.
//! The key, the one question a backend answers about it ("is this log still the one the key
//! was read from?"), the line's layout, and the walk over every incident that keeps the cache
//! right as it reads it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rebuild::{Pending, Rebuilders};
use super::{Store, cache};
use crate::error::Error;
use crate::incident::summary::{SUMMARY_VERSION, TitleView, summary_maker};

/// Which log a cache was built from: its length in bytes and the hash of its last entry, read
/// from its tail, with the file's identity and last change as the file system keeps them, so
/// that a log not changed since can be recognised from its metadata alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LogKey {
    pub bytes: u64,
    pub last_hash: String,
    /// The file's inode and status-change time (nanoseconds): any write to it changes the
    /// latter, and no one can set it back without setting back the machine's clock.
    #[serde(default)]
    pub inode: u64,
    #[serde(default)]
    pub changed_ns: i128,
}

/// What a `stat` tells of a log file: a [`LogKey`] without the hash (a database store gives
/// the length and last seq in its place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogStamp {
    pub bytes: u64,
    pub inode: u64,
    pub changed_ns: i128,
}

impl LogKey {
    /// The part of the key a `stat` of the log can check.
    pub(crate) fn stamp(&self) -> LogStamp {
        LogStamp {
            bytes: self.bytes,
            inode: self.inode,
            changed_ns: self.changed_ns,
        }
    }
}

/// The fields before a cached summary in its line, in order, each followed by a tab: the
/// summary's version, the tool's, the incident's id, and the key of the log the summary was
/// built from (bytes, last hash, inode, change time). Then the summary as compact JSON (which
/// holds a tab or a newline only escaped, inside a string) and a newline. Plain fields, so
/// finding and checking a line takes no JSON parse: the summary stays text until a view reads
/// the part it needs.
pub(crate) const CACHE_HEAD_FIELDS: usize = 7;

/// A summary's line in the store-wide cache (see [`CACHE_HEAD_FIELDS`]); `None` for an id that
/// holds a tab or a newline, which cannot be cached.
pub(crate) fn cache_line(id: &str, key: &LogKey, summary: &str) -> Option<Vec<u8>> {
    let plain = |s: &str| !s.contains(['\t', '\n']);
    if !plain(id) || !plain(&key.last_hash) {
        return None;
    }
    let line = format!(
        "{SUMMARY_VERSION}\t{}\t{id}\t{}\t{}\t{}\t{}\t{summary}\n",
        summary_maker(),
        key.bytes,
        key.last_hash,
        key.inode,
        key.changed_ns
    );
    Some(line.into_bytes())
}

/// A cached summary's line read back: the incident's id, the key of the log its summary was
/// built from, and where in the line the summary's text is. `None` for a line of another
/// version or tool, or one that does not read.
pub(crate) fn read_cache_line(line: &[u8]) -> Option<(&str, LogKey, std::ops::Range<usize>)> {
    let end = line.len().checked_sub(1).filter(|&n| line[n] == b'\n')?;
    let mut fields = [""; CACHE_HEAD_FIELDS];
    let mut start = 0;
    for field in &mut fields {
        let tab = start + memchr::memchr(b'\t', &line[start..end])?;
        *field = std::str::from_utf8(&line[start..tab]).ok()?;
        start = tab + 1;
    }
    let [version, tool, id, bytes, last_hash, inode, changed_ns] = fields;
    if version.parse::<u32>().ok()? != SUMMARY_VERSION || tool != summary_maker() {
        return None;
    }
    let key = LogKey {
        bytes: bytes.parse().ok()?,
        last_hash: last_hash.to_owned(),
        inode: inode.parse().ok()?,
        changed_ns: changed_ns.parse().ok()?,
    };
    Some((id, key, start..end))
}

/// What a backend can tell of an incident's log now, cheaply, without reading it: its stamp and,
/// where the backend has it at no cost, its last hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogSeen {
    pub stamp: LogStamp,
    pub last_hash: Option<String>,
}

impl LogSeen {
    /// Whether the log seen is the one `key` was read from.
    pub(crate) fn is(&self, key: &LogKey) -> bool {
        self.stamp == key.stamp() && self.last_hash.as_ref().is_none_or(|h| *h == key.last_hash)
    }
}

/// The one question a cache asks of a backend: what is each incident's log now? Asked on a
/// second thread, one id at a time in order, while the first reads the cache; `None` when the
/// log cannot be told (missing, unreadable), so its summary is rebuilt from the log.
pub(crate) trait LogCheck: Send + Sync {
    fn seen(&self, id: &str) -> Option<LogSeen>;
}

impl Store {
    /// Hands every incident's title (with whether it is closed; `None` when it cannot be read)
    /// to `visit`, in order of id, without holding the summaries.
    pub(super) fn each_title(
        &self,
        visit: &mut dyn FnMut(&str, Option<TitleView<'_>>),
    ) -> Result<(), Error> {
        self.each_summary(&|_, _| {}, &mut |id, summary, cached| {
            let title = summary
                .ok()
                .and_then(|text| serde_json::from_str::<TitleView<'_>>(text).ok());
            if cached && title.is_none() {
                return false;
            }
            visit(id, title);
            true
        })
    }
}

/// What [`Store::each_summary`] hands each incident to: its id, its summary's JSON text (or why
/// it cannot be read), and whether that text came from the cache. It answers whether it could
/// read the text; a cached summary it cannot read is rebuilt from the log and handed over again.
pub(crate) type SummaryVisit<'a> = dyn FnMut(&str, Result<&str, Error>, bool) -> bool + 'a;

/// An incident's id with what the backend sees of its log now (`None`: it cannot tell).
type SeenId = (String, Option<LogSeen>);

/// The longest line of the summary cache that is read (a summary is a few KiB): a longer one is
/// damage, passed over without being held.
const MAX_CACHE_LINE: u64 = 1 << 20;

/// The store-wide cache of summaries: one line per incident, each keyed to its log.
const SUMMARIES: &str = "summaries.jsonl";

impl Store {
    /// Hands every incident's summary to `visit` as JSON text (each view reads only the part it
    /// needs), in order of id, one at a time: the cached one
    /// where it was built from the log as it is now (its length and last hash, read from the
    /// log's tail), else one from a full verified replay. An incident that cannot be read is
    /// handed over with the error; a cached summary `visit` cannot read is damage, rebuilt like a
    /// stale one. The ids are sorted like a view's rows (on disk past a point), so memory does
    /// not grow with the store. The cache is rewritten, as it is read, when anything in it
    /// changed. `progress` hears each incident done.
    pub(crate) fn each_summary(
        &self,
        progress: &dyn Fn(u64, u64),
        visit: &mut SummaryVisit<'_>,
    ) -> Result<(), Error> {
        // The ids are sorted on their way (on disk past a point), never held all at once.
        let mut sorter = crate::spill::Sorter::new(self.backend.cache_dir());
        let mut total = 0u64;
        self.backend.each_id(&mut |id| {
            total += 1;
            sorter.push(id, ())
        })?;
        let ids = sorter.sorted()?.keyed().map(|id| id.map(|(id, ())| id));
        let check = self.backend.log_check();
        std::thread::scope(|scope| {
            // The logs are looked at on a second thread, in order of id, while this one reads
            // the cache: each id comes with what the backend sees of its log now.
            let (checked, answers) = std::sync::mpsc::sync_channel(4096);
            let check = &check;
            scope.spawn(move || {
                for id in ids {
                    let answer = id.map(|id| {
                        let seen = check.seen(&id);
                        (id, seen)
                    });
                    if checked.send(answer).is_err() {
                        break;
                    }
                }
            });
            let mut ids = answers.into_iter();
            let dir = self.backend.cache_dir();
            let mut walk = Walk {
                old: CacheLines::open(dir.as_deref()),
                dir,
                out: None,
                rebuilders: Rebuilders::new(scope, self),
                done: 0,
                total,
            };
            walk.summaries(&mut ids, progress, visit)
        })
    }
}

/// The most summaries looked ahead of the one handed to the view: the rebuilding threads work
/// on these while the view waits for the first.
const LOOK_AHEAD: usize = 32;

/// An incident met on the walk, waiting its turn to be handed to the view: its cached line
/// (still to be read by the view), or its summary asked of the rebuilding threads.
enum Ahead {
    Cached(CacheLine),
    Rebuilding(Pending),
}

/// The walk of [`Store::each_summary`]: the old cache read beside the ids, the new one written
/// from the first change, and the rebuilding threads.
struct Walk<'scope, 'env> {
    dir: Option<PathBuf>,
    old: CacheLines,
    /// The new cache, started at the first change only: until then every line read was kept
    /// as it is, so the new one begins with the old one's first `old.kept` bytes.
    out: Option<cache::Writer>,
    rebuilders: Rebuilders<'scope, 'env>,
    /// Incidents handed to the view so far, of `total`.
    done: u64,
    total: u64,
}

impl Walk<'_, '_> {
    /// Over the ids in order, each with what the backend sees of its log now: a cached summary
    /// is used only when that is the log its key was read from; the others are rebuilt, up to
    /// [`LOOK_AHEAD`] at a time, and every one is handed to `visit` in order.
    fn summaries(
        &mut self,
        ids: &mut dyn Iterator<Item = Result<SeenId, Error>>,
        progress: &dyn Fn(u64, u64),
        visit: &mut SummaryVisit<'_>,
    ) -> Result<(), Error> {
        let mut ahead = std::collections::VecDeque::with_capacity(LOOK_AHEAD);
        for next in ids {
            let (id, seen) = next?;
            let found = self.cached(&id);
            let fresh = found.as_ref().is_some_and(|line: &CacheLine| {
                seen.as_ref().is_some_and(|seen| seen.is(&line.key))
            });
            let next = match found.filter(|_| fresh) {
                Some(line) => Ahead::Cached(line),
                None => {
                    self.begin();
                    Ahead::Rebuilding(self.rebuilders.ask(&id, self.out.is_some()))
                }
            };
            ahead.push_back((id, next));
            if ahead.len() >= LOOK_AHEAD
                && let Some((id, next)) = ahead.pop_front()
            {
                self.hand_over(&id, next, progress, visit);
            }
        }
        if self.old.peek().is_some() || self.old.damaged {
            self.begin();
        }
        while let Some((id, next)) = ahead.pop_front() {
            self.hand_over(&id, next, progress, visit);
        }
        if let Some(writer) = self.out.take() {
            writer.commit();
        }
        Ok(())
    }

    /// The old cache's line for `id`, passing over the lines of incidents no longer in the
    /// store (a change).
    fn cached(&mut self, id: &str) -> Option<CacheLine> {
        loop {
            let order = self.old.peek().map(|line| line.id.as_str().cmp(id));
            if self.old.damaged {
                // A line passed over: the cache changes from here.
                self.begin();
            }
            match order {
                Some(std::cmp::Ordering::Less) => {
                    // An incident no longer in the store: the cache changes.
                    self.begin();
                    self.old.skip();
                }
                Some(std::cmp::Ordering::Equal) => return self.old.take(),
                Some(std::cmp::Ordering::Greater) | None => return None,
            }
        }
    }

    /// Hands an incident's summary to the view, and its line to the new cache; a cached
    /// summary the view cannot read is damage, rebuilt like a stale one.
    fn hand_over(
        &mut self,
        id: &str,
        next: Ahead,
        progress: &dyn Fn(u64, u64),
        visit: &mut SummaryVisit<'_>,
    ) {
        self.done += 1;
        progress(self.done, self.total);
        let rebuilt = match next {
            Ahead::Cached(line) if visit(id, Ok(line.summary()), true) => {
                match &mut self.out {
                    Some(writer) => {
                        let _ = writer.write_all(&line.raw);
                    }
                    None => self.old.kept += line.raw.len() as u64,
                }
                return;
            }
            Ahead::Cached(_) => {
                self.begin();
                self.rebuilders.store().rebuild(id, self.out.is_some())
            }
            Ahead::Rebuilding(pending) => self.rebuilders.wait(pending),
        };
        if let (Some(writer), Some(line)) = (&mut self.out, &rebuilt.line) {
            let _ = writer.write_all(line);
        }
        match rebuilt.summary {
            Ok(text) => visit(id, Ok(&text), false),
            Err(e) => visit(id, Err(e), false),
        };
    }

    /// Starts the new summary cache, once, with the part of the old one kept so far.
    fn begin(&mut self) {
        if self.out.is_some() || self.old.started {
            return;
        }
        self.old.started = true;
        let Some(dir) = &self.dir else {
            return;
        };
        let Some(mut writer) = cache::Writer::create(dir, SUMMARIES) else {
            return;
        };
        if self.old.kept == 0
            || writer
                .copy_from(&dir.join(SUMMARIES), self.old.kept)
                .is_ok()
        {
            self.out = Some(writer);
        }
    }
}

/// One line of the old summary cache: its incident, the key of the log it was built from, and
/// the line itself (newline included), whose summary part is read only by the view.
struct CacheLine {
    id: String,
    key: LogKey,
    raw: Vec<u8>,
    /// Where the summary's text is in `raw`.
    summary: std::ops::Range<usize>,
}

impl CacheLine {
    /// A line whose head reads and whose summary is text; whether the summary reads is up to
    /// the view (see [`read_cache_line`]).
    fn read(raw: Vec<u8>) -> Option<CacheLine> {
        let (id, key, summary) = read_cache_line(&raw)?;
        let id = id.to_owned();
        // Checked whole: one pass over the line costs less than a check of each string the
        // view reads.
        std::str::from_utf8(&raw[summary.clone()]).ok()?;
        Some(CacheLine {
            id,
            key,
            summary,
            raw,
        })
    }

    fn summary(&self) -> &str {
        std::str::from_utf8(&self.raw[self.summary.clone()]).expect("checked when read")
    }
}

/// The old summary cache, read a line at a time; lines of another version or that cannot be
/// read are passed over (and counted as a change).
struct CacheLines {
    reader: Option<std::io::BufReader<std::fs::File>>,
    next: Option<CacheLine>,
    /// Bytes of lines kept as they are, from the start, while nothing has changed.
    kept: u64,
    /// A line was passed over.
    damaged: bool,
    /// The new cache was started (or could not be).
    started: bool,
    /// The length of the last line read.
    last_len: usize,
}

impl CacheLines {
    fn open(dir: Option<&Path>) -> CacheLines {
        CacheLines {
            reader: dir.and_then(|d| cache::open(d, SUMMARIES)),
            next: None,
            kept: 0,
            damaged: false,
            started: false,
            last_len: 0,
        }
    }

    fn peek(&mut self) -> Option<&CacheLine> {
        while self.next.is_none() {
            let reader = self.reader.as_mut()?;
            // Room for a line as long as the last one, so that reading it rarely grows.
            let mut raw = Vec::with_capacity(self.last_len.next_power_of_two().max(256));
            let read = std::io::BufRead::read_until(
                &mut std::io::Read::take(&mut *reader, MAX_CACHE_LINE),
                b'\n',
                &mut raw,
            );
            match read {
                Ok(0) | Err(_) => {
                    self.reader = None;
                    return None;
                }
                Ok(n) => self.last_len = n,
            }
            if raw.last() != Some(&b'\n') && raw.len() as u64 == MAX_CACHE_LINE {
                // Longer than any summary: damage, passed over without being held.
                if std::io::BufRead::skip_until(reader, b'\n').is_err() {
                    self.reader = None;
                }
                self.damaged = true;
                continue;
            }
            match CacheLine::read(raw) {
                Some(line) => self.next = Some(line),
                None => self.damaged = true,
            }
        }
        self.next.as_ref()
    }

    fn take(&mut self) -> Option<CacheLine> {
        self.peek();
        self.next.take()
    }

    fn skip(&mut self) {
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LogKey {
        LogKey {
            bytes: 77_297,
            last_hash: "fca5924a".repeat(8),
            inode: 12_223_200,
            changed_ns: -1_796_164_507_687_308_681,
        }
    }

    #[test]
    fn a_cache_line_reads_back_as_written_and_refuses_what_it_cannot_hold() {
        let summary = r#"{"id":"2026-a","title":"Tab\tand\nnewline, escaped"}"#;
        let line = cache_line("2026-a", &key(), summary).expect("a plain id");
        let (id, read, at) = read_cache_line(&line).expect("reads back");
        assert_eq!((id, &read), ("2026-a", &key()));
        assert_eq!(&line[at], summary.as_bytes());
        // An id with a tab or a newline is not cached at all.
        assert!(cache_line("a\tb", &key(), summary).is_none());
        assert!(cache_line("a\nb", &key(), summary).is_none());
        // Another version, another tool, a line cut short, a number that does not read.
        let text = String::from_utf8(line.clone()).unwrap();
        for damaged in [
            text.replacen(&format!("{SUMMARY_VERSION}\t"), "4\t", 1),
            text.replacen(env!("CARGO_PKG_VERSION"), "0.0.0-other", 1),
            text[..text.len() - 1].to_owned(),
            text.replacen("77297", "77x97", 1),
            "5\t0.1.0\t2026-a\n".to_owned(),
            String::new(),
        ] {
            assert!(read_cache_line(damaged.as_bytes()).is_none(), "{damaged:?}");
        }
    }
}
