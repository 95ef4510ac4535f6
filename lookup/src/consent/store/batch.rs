//! Group commit of appends: the appends waiting for the writer run in one
//! write transaction, flushed once.
//!
//! A durable commit costs one flush (SQLite WAL `synchronous=FULL`,
//! PostgreSQL `synchronous_commit`), and the chain lets one writer in at a
//! time, so without batching appends/s = flushes/s. Here an append is a
//! closure queued with a ticket; whoever finds no writer running becomes
//! the leader: it takes up to [`MAX_BATCH`] queued appends (its own among
//! them unless the queue was already long), runs them in queue order in one
//! write transaction ([`Store::tx`], which still takes the writer lock:
//! SQLite's `BEGIN IMMEDIATE`, PostgreSQL's advisory lock, so several
//! instances stay serialised), commits, and posts each result under its
//! ticket. Every caller returns only once its own result is posted, i.e.
//! after the commit that holds its entry succeeded. No timer: a lone
//! append finds no leader and commits at once; batches form only from the
//! appends that arrive while a commit is in flight.
//!
//! In a batch of several, each append runs inside a SAVEPOINT: its failure
//! (idempotency conflict, duplicate id, erased subject, a failed
//! statement…) rolls back that append alone and is its answer; the others
//! of the batch go on. A failure of the transaction itself (BEGIN,
//! SAVEPOINT, COMMIT) is every append's answer: none of them was
//! acknowledged. An append alone in its batch runs without a savepoint.
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use super::tx::Tx;
use super::{Appended, Mode, Store, StoreError};

/// The most appends in one transaction. Bounds how long one transaction
/// holds the writer lock (about 5 statements and one signature per append:
/// a few ms for 64, small beside the 30 s lock and statement timeouts
/// other instances wait under) and how many requests one failed commit
/// fails; at 64 the flush is already shared by so many appends that a
/// larger batch would gain little.
pub const MAX_BATCH: usize = 64;

/// One queued append: runs in the batch's transaction, inside its own
/// savepoint. Owns what it needs, since the leader thread runs it.
pub(super) type Work = Box<dyn FnOnce(&mut dyn Tx) -> Result<Appended, StoreError> + Send>;

type Reply = Result<Appended, StoreError>;

/// The writer queue of one store, and its counters.
#[derive(Default)]
pub(super) struct Batcher {
    state: Mutex<State>,
    /// Signalled when a batch's results are posted (and the writer is free).
    posted: Condvar,
    commits: AtomicU64,
    appends: AtomicU64,
}

#[derive(Default)]
struct State {
    next_ticket: u64,
    queue: VecDeque<(u64, Work)>,
    results: HashMap<u64, Reply>,
    /// A leader is running a batch of this many appends.
    writing: Option<usize>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("commits", &self.commits).field("appends", &self.appends).finish_non_exhaustive()
    }
}

/// Group-commit counters of a store (or of the process: [`process_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Write transactions of the group commit that committed.
    pub commits: u64,
    /// New ledger entries they held (replays and failed appends excluded).
    pub appends: u64,
}

/// The same counters summed over the process's stores, for `/metrics`
/// (a service has one store; tests open many, and read their own).
static PROCESS_COMMITS: AtomicU64 = AtomicU64::new(0);
static PROCESS_APPENDS: AtomicU64 = AtomicU64::new(0);

/// The group-commit counters of every store of this process.
pub fn process_stats() -> GroupCommitStats {
    GroupCommitStats { commits: PROCESS_COMMITS.load(Ordering::Relaxed), appends: PROCESS_APPENDS.load(Ordering::Relaxed) }
}

/// The counters in the Prometheus text format.
pub fn render_metrics() -> String {
    let s = process_stats();
    format!(
        "# HELP fiable_consent_commits_total Consent ledger write transactions committed by the group commit.\n\
         # TYPE fiable_consent_commits_total counter\n\
         fiable_consent_commits_total {}\n\
         # HELP fiable_consent_appends_total Consent ledger entries appended by those transactions.\n\
         # TYPE fiable_consent_appends_total counter\n\
         fiable_consent_appends_total {}\n",
        s.commits, s.appends
    )
}

impl Batcher {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent across a panic: results are posted
        // under the lock in one step (and `Leading` posts on unwinding).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats { commits: self.commits.load(Ordering::Relaxed), appends: self.appends.load(Ordering::Relaxed) }
    }
}

/// Posts an error to a batch's tickets if its leader unwinds before
/// posting the results, so that nobody waits forever.
struct Leading<'a> {
    batcher: &'a Batcher,
    tickets: Vec<u64>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut st = self.batcher.lock();
        for t in self.tickets.drain(..) {
            st.results.entry(t).or_insert_with(|| Err(StoreError::Db("the ledger writer failed".into())));
        }
        st.writing = None;
        drop(st);
        self.batcher.posted.notify_all();
    }
}

impl Store {
    /// Queues `work` for the next group commit and waits for its result,
    /// leading the commit when no other caller is. Blocking.
    pub(super) fn append_batched(&self, work: Work) -> Result<Appended, StoreError> {
        let b = &self.batch;
        let mut st = b.lock();
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.queue.push_back((ticket, work));
        loop {
            if let Some(r) = st.results.remove(&ticket) {
                return r;
            }
            if st.writing.is_none() && !st.queue.is_empty() {
                let n = st.queue.len().min(MAX_BATCH);
                st.writing = Some(n);
                let (tickets, works): (Vec<u64>, Vec<Work>) = st.queue.drain(..n).unzip();
                drop(st);
                let mut leading = Leading { batcher: b, tickets };
                let replies = self.run_batch(works);
                st = b.lock();
                for (t, r) in leading.tickets.drain(..).zip(replies) {
                    st.results.insert(t, r);
                }
                // Dropping `leading` posts nothing more (its tickets are
                // drained), frees the writer and wakes the waiters.
                drop(st);
                drop(leading);
                st = b.lock();
                continue;
            }
            st = b.posted.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Runs `works` in order in one write transaction, each in a
    /// savepoint; one reply per work, in order.
    fn run_batch(&self, mut works: Vec<Work>) -> Vec<Reply> {
        let n = works.len();
        if n == 1 {
            if let Some(work) = works.pop() {
                // Alone, the transaction is the savepoint (its failure
                // rolls back this append only): two round trips fewer to
                // PostgreSQL for the uncontended append.
                let r = self.tx(Mode::Write, work);
                if let Ok(a) = &r {
                    self.count_commit(u64::from(!a.replayed));
                }
                return vec![r];
            }
        }
        let done = self.tx(Mode::Write, |tx| {
            let mut replies = Vec::with_capacity(n);
            for work in works {
                tx.exec("SAVEPOINT fiable_append", &[])?;
                let r = work(tx);
                if r.is_err() {
                    tx.exec("ROLLBACK TO SAVEPOINT fiable_append", &[])?;
                }
                tx.exec("RELEASE SAVEPOINT fiable_append", &[])?;
                replies.push(r);
            }
            Ok(replies)
        });
        match done {
            Ok(replies) => {
                self.count_commit(replies.iter().filter(|r| matches!(r, Ok(a) if !a.replayed)).count() as u64);
                replies
            }
            Err(e) => (0..n).map(|_| Err(e.clone())).collect(),
        }
    }

    /// Counts a committed transaction holding `fresh` new entries.
    fn count_commit(&self, fresh: u64) {
        self.batch.commits.fetch_add(1, Ordering::Relaxed);
        self.batch.appends.fetch_add(fresh, Ordering::Relaxed);
        PROCESS_COMMITS.fetch_add(1, Ordering::Relaxed);
        PROCESS_APPENDS.fetch_add(fresh, Ordering::Relaxed);
    }

    /// Appends submitted and not yet answered: those of the batch being
    /// written and those queued behind it.
    pub fn group_commit_waiting(&self) -> usize {
        let st = self.batch.lock();
        st.queue.len() + st.writing.unwrap_or(0)
    }

    /// This store's group-commit counters: `appends / commits` is the mean
    /// batch size.
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.batch.stats()
    }
}
