//! Summaries rebuilt from their logs on other threads and handed back in the order they were
//! asked for. The first `list` of a store (or the first after an upgrade) replays every log,
//! and that replay, not reading the files, is nearly all its time: a store whose logs can be
//! read side by side (a directory) has them replayed one per core while the view is still
//! written in order of id. A store that cannot (a database connection serves one query at a
//! time) rebuilds each on the thread that asks.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

use super::Store;
use super::summaries::cache_line;
use crate::error::Error;
use crate::incident::summary::Summary;

/// The most threads that replay logs at once: each holds one incident, so memory grows with
/// them, and past a few the files, not the cores, are what the walk waits for.
const MOST_REBUILDERS: usize = 4;

/// An incident's summary built from a full verified replay of its log.
pub(super) struct Rebuilt {
    /// The summary as JSON text, or why the incident cannot be read.
    pub summary: Result<String, Error>,
    /// Its line for the summary cache, when one was asked for and the log did not change while
    /// it was read.
    pub line: Option<Vec<u8>>,
}

impl Store {
    /// Builds an incident's summary from a full verified replay, with its cache line when
    /// `for_cache` and the log is still the one the replay read.
    pub(super) fn rebuild(&self, id: &str, for_cache: bool) -> Rebuilt {
        let incident = match self.load(id) {
            Ok(incident) => incident,
            Err(e) => {
                return Rebuilt {
                    summary: Err(e),
                    line: None,
                };
            }
        };
        let summary = summary_text(&Summary::of(&incident));
        let line = match &summary {
            // Cached only for the log the replay read: an append since changes the last hash.
            Ok(text) if for_cache => self
                .backend
                .log_key(id)
                .filter(|key| key.last_hash == incident.head.hash)
                .and_then(|key| cache_line(id, &key, text)),
            _ => None,
        };
        Rebuilt { summary, line }
    }
}

/// A summary as JSON text.
fn summary_text(summary: &Summary) -> Result<String, Error> {
    serde_json::to_string(summary).map_err(|e| Error::internal("cannot encode a summary", e))
}

/// One incident asked for: its id, whether a cache line is wanted, where to send the summary.
type Job = (String, bool, SyncSender<Rebuilt>);

/// A summary asked of [`Rebuilders`], in the order asked: built already, or being built.
pub(super) enum Pending {
    Built(Rebuilt),
    Building {
        id: String,
        for_cache: bool,
        built: Receiver<Rebuilt>,
    },
}

/// The threads that rebuild summaries, started at the first one asked for (a walk that finds
/// every summary in the cache starts none), and stopped when this is dropped.
pub(super) struct Rebuilders<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    store: &'env Store,
    jobs: Option<Sender<Job>>,
    started: bool,
}

impl<'scope, 'env> Rebuilders<'scope, 'env> {
    pub(super) fn new(scope: &'scope Scope<'scope, 'env>, store: &'env Store) -> Self {
        Rebuilders {
            scope,
            store,
            jobs: None,
            started: false,
        }
    }

    /// The store the summaries are rebuilt from.
    pub(super) fn store(&self) -> &'env Store {
        self.store
    }

    /// Asks for an incident's summary: handed to a rebuilding thread when the store has them,
    /// else built here and now.
    pub(super) fn ask(&mut self, id: &str, for_cache: bool) -> Pending {
        if let Some(jobs) = self.jobs() {
            let (send, built) = sync_channel(1);
            if jobs.send((id.to_owned(), for_cache, send)).is_ok() {
                return Pending::Building {
                    id: id.to_owned(),
                    for_cache,
                    built,
                };
            }
        }
        Pending::Built(self.store.rebuild(id, for_cache))
    }

    /// Waits for a summary asked for; one whose thread stopped without it is built here.
    pub(super) fn wait(&self, pending: Pending) -> Rebuilt {
        match pending {
            Pending::Built(rebuilt) => rebuilt,
            Pending::Building {
                id,
                for_cache,
                built,
            } => built
                .recv()
                .unwrap_or_else(|_| self.store.rebuild(&id, for_cache)),
        }
    }

    /// The rebuilding threads' queue, started on first use; `None` when the store reads on one
    /// thread or this machine has one core.
    fn jobs(&mut self) -> Option<&Sender<Job>> {
        if !self.started {
            self.started = true;
            self.jobs = self.start();
        }
        self.jobs.as_ref()
    }

    fn start(&self) -> Option<Sender<Job>> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 {
            return None;
        }
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut started = 0;
        for _ in 0..cores.min(MOST_REBUILDERS) {
            let Some(backend) = self.store.backend.reader() else {
                break;
            };
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new().spawn_scoped(self.scope, move || {
                let store = Store { backend };
                loop {
                    // The lock is held only to take the next job, never while replaying.
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((id, for_cache, built)) = next else {
                        break;
                    };
                    let _ = built.send(store.rebuild(&id, for_cache));
                }
            });
            if spawned.is_ok() {
                started += 1;
            }
        }
        (started > 0).then_some(jobs)
    }
}
