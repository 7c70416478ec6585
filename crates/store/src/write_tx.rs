//! SQLite's group commit: the write turn and the batch transaction its writers share.
//!
//! SQLite has one writer, so this process's writers take turns (a FIFO lock, the *write turn*)
//! on the one writer connection and share one open *batch* transaction. While a batch is open,
//! one savepoint is open in it, ready for the next writer: a writer ([`Member`]) writes inside
//! it, and [`Member::commit`] then waits until the batch commits. When nobody is queued, the
//! writer commits the batch at once (`COMMIT` takes the savepoint's writes with it). When others
//! are queued, the writer releases the savepoint and opens the next one in the same statement,
//! and the first such writer of a batch hands the turn on and comes back to commit the batch
//! when the queue reaches it again; the batch's later writers only wait for that commit. So
//! under load one `COMMIT` (and one set of WAL page writes) and one extra turn cover many
//! requests, and alone a request commits as before.
//!
//! Statements run synchronously on the connection (`sqlite.rs`), so none of this is cut short
//! by a cancelled request: a statement that started runs to its end.
//!
//! Guarantees: [`Member::commit`] returns `Ok` only after the batch holding the write has
//! committed (acknowledged data is durable as any commit is). A writer that fails or is dropped
//! before `commit` has its savepoint rolled back (which leaves it open for the next writer): the
//! others' writes stay. If the batch's `COMMIT`, or a step between two writers, fails, every
//! member of that batch gets the error and none of it is written.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use rusqlite::Connection;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::{StoreError, StoreResult};

/// One process's writer: the write turn and the batch it guards.
pub(crate) struct Writer {
    group: Arc<Mutex<Group>>,
    /// Writers waiting for the turn (new ones and members coming back to commit).
    queued: Arc<AtomicUsize>,
    stats: Arc<Stats>,
}

/// How many write transactions and batch commits a [`crate::Db`] has made (SQLite).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Write transactions committed.
    pub writes: u64,
    /// `COMMIT`s that made them durable (fewer than `writes` when batches were shared).
    pub commits: u64,
}

#[derive(Default)]
struct Stats {
    writes: AtomicU64,
    commits: AtomicU64,
}

impl Clone for Writer {
    fn clone(&self) -> Self {
        Self { group: self.group.clone(), queued: self.queued.clone(), stats: self.stats.clone() }
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("queued", &self.queued.load(Ordering::Relaxed)).finish()
    }
}

/// What the write turn guards.
pub(crate) struct Group {
    conn: Connection,
    /// A batch transaction is open (between `BEGIN IMMEDIATE` and its `COMMIT`), with the
    /// savepoint `rapport_write` open in it.
    open: bool,
    /// The outcome of the open batch, shared with its members.
    batch: Arc<Batch>,
    /// A member is writing in the savepoint.
    member_writing: bool,
    /// A member of the open batch is queued to come back and commit it, so the members after
    /// it only wait for the outcome (one extra turn per batch, not one per member).
    commit_queued: bool,
    /// Whether members wait to share a commit (off to compare, in benchmarks).
    batching: bool,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Batch {
    outcome: OnceLock<Result<(), String>>,
    /// Rung when `outcome` is set.
    done: tokio::sync::Notify,
}

impl Batch {
    fn finish(&self, outcome: Result<(), String>) {
        let _ = self.outcome.set(outcome);
        self.done.notify_waiters();
    }

    /// Waits until the batch has committed or failed.
    async fn finished(&self) {
        loop {
            // Created before the check, so a `finish` in between still wakes it.
            let notified = self.done.notified();
            if self.outcome.get().is_some() {
                return;
            }
            notified.await;
        }
    }
}

/// A place in the queue for the turn, counted in [`Writer::queued`] until the turn is taken
/// or the wait is cancelled.
struct InQueue<'a>(&'a AtomicUsize);

impl<'a> InQueue<'a> {
    fn join(queued: &'a AtomicUsize) -> Self {
        queued.fetch_add(1, Ordering::SeqCst);
        Self(queued)
    }
}

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The write turn, held: the writer connection is this holder's.
pub(crate) struct Turn {
    guard: Option<OwnedMutexGuard<Group>>,
    writer: Writer,
}

/// Opens a batch, with the savepoint for its first member.
const BEGIN_BATCH: &str = "BEGIN IMMEDIATE; SAVEPOINT rapport_write";
/// Between two members: keeps the last one's writes in the batch and opens the next one's savepoint.
const NEXT_MEMBER: &str = "RELEASE rapport_write; SAVEPOINT rapport_write";
/// Undoes an unfinished member's writes; the savepoint stays open for the next one.
const UNDO_MEMBER: &str = "ROLLBACK TO rapport_write";

impl Writer {
    pub(crate) fn new(conn: Connection, batching: bool) -> Self {
        let stats = Arc::new(Stats::default());
        let group = Group {
            conn,
            open: false,
            batch: Arc::default(),
            member_writing: false,
            commit_queued: false,
            batching,
            stats: stats.clone(),
        };
        Self { group: Arc::new(Mutex::new(group)), queued: Arc::default(), stats }
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            writes: self.stats.writes.load(Ordering::Relaxed),
            commits: self.stats.commits.load(Ordering::Relaxed),
        }
    }

    /// Waits for the write turn (in arrival order).
    async fn take_turn(&self) -> Turn {
        let queued = InQueue::join(&self.queued);
        let guard = self.group.clone().lock_owned().await;
        drop(queued);
        Turn { guard: Some(guard), writer: self.clone() }
    }

    /// The writer connection with no batch open, for a write outside [`Member`] (`ANALYZE`).
    pub(crate) async fn exclusive_turn(&self) -> Turn {
        let mut turn = self.take_turn().await;
        turn.group().commit_batch();
        turn
    }

    /// Starts a member: takes the turn and opens the batch if none is open. The member writes
    /// in the batch's savepoint.
    pub(crate) async fn begin(&self) -> StoreResult<Member> {
        let mut turn = self.take_turn().await;
        let group = turn.group();
        if !group.open {
            group.conn.execute_batch(BEGIN_BATCH)?;
            group.open = true;
            group.batch = Arc::default();
        }
        group.member_writing = true;
        Ok(Member { turn })
    }
}

impl Group {
    /// Commits the open batch, if any, and tells its members.
    fn commit_batch(&mut self) {
        self.commit_queued = false;
        if !self.open {
            return;
        }
        self.open = false;
        let outcome = self.conn.execute_batch("COMMIT").map_err(|e| format!("the write batch could not commit: {e}"));
        match outcome {
            Ok(()) => {
                self.stats.commits.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => self.rollback(),
        }
        self.batch.finish(outcome);
    }

    /// Ends the open batch without committing.
    fn abandon_batch(&mut self, error: String) {
        self.open = false;
        self.commit_queued = false;
        self.rollback();
        self.batch.finish(Err(error));
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Rolls back a member dropped before its commit, then commits the rest of the batch now,
    /// since no member may be left to come back for it.
    fn undo_member(&mut self) {
        self.member_writing = false;
        if self.open {
            match self.conn.execute_batch(UNDO_MEMBER) {
                Ok(()) => self.commit_batch(),
                Err(e) => self.abandon_batch(format!("the write batch could not undo a failed write: {e}")),
            }
        }
    }
}

impl Turn {
    fn group(&mut self) -> &mut Group {
        self.guard.as_mut().expect("the turn is held")
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.guard.as_ref().expect("the turn is held").conn
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(group) = self.guard.as_mut() {
            if group.member_writing {
                group.undo_member();
            }
        }
    }
}

/// Commits the open batch on a task of its own, once it has the turn.
fn settle(writer: Writer) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut turn = writer.take_turn().await;
        turn.group().commit_batch();
    });
}

/// A member waiting to come back to its batch; if dropped while waiting (its request was
/// cancelled), the batch is committed on a task so it does not stay open.
struct Waiting {
    writer: Option<Writer>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            settle(writer);
        }
    }
}

/// One write transaction on SQLite: a savepoint in the open batch, holding the write turn.
/// Dropping it before [`Member::commit`] undoes its writes (the others' stay).
pub(crate) struct Member {
    turn: Turn,
}

impl Member {
    /// The writer connection, for this member's statements.
    pub(crate) fn conn(&self) -> &Connection {
        self.turn.conn()
    }

    /// Makes the writes durable; returns only after the commit that holds them.
    pub(crate) async fn commit(self) -> StoreResult<()> {
        let mut turn = self.turn;
        let writer = turn.writer.clone();
        let group = turn.group();
        group.member_writing = false;
        let batch = group.batch.clone();
        if !group.batching || writer.queued.load(Ordering::SeqCst) == 0 {
            // `COMMIT` takes the savepoint's writes with it.
            group.commit_batch();
        } else if let Err(e) = group.conn.execute_batch(NEXT_MEMBER) {
            // Half of it may have run: the batch cannot tell this member's writes from the others'.
            group.abandon_batch(format!("the write batch could not take a write: {e}"));
        } else if !group.commit_queued {
            // Others are queued: let them add to the batch, and come back to commit it.
            group.commit_queued = true;
            drop(turn);
            let mut waiting = Waiting { writer: Some(writer.clone()) };
            turn = writer.take_turn().await;
            waiting.writer = None;
            let group = turn.group();
            if batch.outcome.get().is_none() && group.open && Arc::ptr_eq(&group.batch, &batch) {
                group.commit_batch();
            }
        }
        // Otherwise an earlier member of this batch is queued to commit it (or, if that member's
        // wait was cancelled, a task of its own will).
        drop(turn);
        // Committed here or by another member.
        batch.finished().await;
        match batch.outcome.get() {
            Some(Ok(())) => {
                writer.stats.writes.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Some(Err(e)) => Err(failed(e.clone())),
            None => Err(failed("the write batch ended without a commit".into())),
        }
    }
}

/// A failed batch, as the database error its members answer.
fn failed(error: String) -> StoreError {
    StoreError::Db(sqlx::Error::Io(std::io::Error::other(error)))
}
