//! Write transactions, and SQLite's group commit.
//!
//! PostgreSQL: every [`WriteTx`] is its own transaction.
//!
//! SQLite has one writer, so this process's writers take turns (a FIFO lock, the *write turn*)
//! and share one open *batch* transaction. While a batch is open, one savepoint is open in it,
//! ready for the next writer: a writer writes inside it, and [`WriteTx::commit`] then waits until
//! the batch commits. When nobody is queued, the writer commits the batch at once (`COMMIT`
//! takes the savepoint's writes with it). When others are queued, the writer releases the
//! savepoint and opens the next one in the same statement, and the first such writer of a batch
//! hands the turn on and comes back to commit the batch when the queue reaches it again; the
//! batch's later writers only wait for that commit. So under load one `COMMIT` (and one set of
//! WAL page writes) and one extra turn cover many requests, and alone a request commits as
//! before. A writer costs one statement of its own besides its writes: each statement is a
//! round trip to the connection's thread while the turn is held.
//!
//! Guarantees: [`WriteTx::commit`] returns `Ok` only after the batch holding the write has
//! committed (acknowledged data is durable as any commit is). A writer that fails or is dropped
//! before `commit` has its savepoint rolled back (which leaves it open for the next writer): the
//! others' writes stay. If the batch's `COMMIT`, or a step between two writers, fails, every
//! member of that batch gets the error and none of it is written.
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::BoxFuture;

use sqlx::{Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// An engine [`WriteTx`] works on: it can run a statement on its own connection.
pub trait Database: sqlx::Database {
    fn run<'c>(conn: &'c mut Self::Connection, sql: &'static str) -> BoxFuture<'c, Result<(), sqlx::Error>>;
}

impl Database for sqlx::Sqlite {
    fn run<'c>(conn: &'c mut Self::Connection, sql: &'static str) -> BoxFuture<'c, Result<(), sqlx::Error>> {
        Box::pin(async move { conn.execute(sql).await.map(drop) })
    }
}

impl Database for sqlx::Postgres {
    fn run<'c>(conn: &'c mut Self::Connection, sql: &'static str) -> BoxFuture<'c, Result<(), sqlx::Error>> {
        Box::pin(async move { conn.execute(sql).await.map(drop) })
    }
}

/// A write transaction of one engine (inside [`crate::Tx`]). Use it like a connection (`&mut *tx`)
/// and end it with [`WriteTx::commit`]; dropping it undoes its writes.
pub struct WriteTx<DB: Database> {
    inner: Option<Inner<DB>>,
}

enum Inner<DB: Database> {
    /// A transaction of its own (PostgreSQL).
    Own(Transaction<'static, DB>),
    /// A savepoint in the writer's open batch (SQLite), holding the write turn.
    Member(Turn<DB>),
}

/// One process's writer of a single-writer engine: the write turn and the batch it guards.
pub(crate) struct Writer<DB: Database> {
    group: Arc<Mutex<Group<DB>>>,
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

impl<DB: Database> Clone for Writer<DB> {
    fn clone(&self) -> Self {
        Self { group: self.group.clone(), queued: self.queued.clone(), stats: self.stats.clone() }
    }
}

impl<DB: Database> std::fmt::Debug for Writer<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("queued", &self.queued.load(Ordering::Relaxed)).finish()
    }
}

/// What the write turn guards.
pub(crate) struct Group<DB: Database> {
    /// The open batch transaction, between `BEGIN IMMEDIATE` and its `COMMIT`, with the
    /// savepoint `rapport_write` open in it whenever it is open.
    tx: Option<Transaction<'static, DB>>,
    /// The outcome of the open batch, shared with its members.
    batch: Arc<Batch>,
    /// A member is writing in the savepoint. Seen by the next holder of the turn only when a
    /// member was dropped before its commit: that holder rolls the savepoint back first.
    member_writing: bool,
    /// A member of the open batch is queued to come back and commit it, so the members after
    /// it only wait for the outcome (one extra turn per batch, not one per member).
    commit_queued: bool,
    /// Whether members wait to share a commit. Off for an in-memory database, whose single
    /// connection an open batch would keep from readers.
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

/// The write turn, held.
pub(crate) struct Turn<DB: Database> {
    guard: Option<OwnedMutexGuard<Group<DB>>>,
    writer: Writer<DB>,
}

/// Opens a batch, with the savepoint for its first member (sqlx checks that a transaction began).
const BEGIN_BATCH: &str = "BEGIN IMMEDIATE; SAVEPOINT rapport_write";
/// Between two members: keeps the last one's writes in the batch and opens the next one's savepoint.
const NEXT_MEMBER: &str = "RELEASE rapport_write; SAVEPOINT rapport_write";
/// Undoes an unfinished member's writes; the savepoint stays open for the next one.
const UNDO_MEMBER: &str = "ROLLBACK TO rapport_write";

impl<DB: Database> Writer<DB> {
    pub(crate) fn new(batching: bool) -> Self {
        let stats = Arc::new(Stats::default());
        let group = Group {
            tx: None,
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

    /// Waits for the write turn (in arrival order). The writes of a member dropped before its
    /// commit are rolled back before the turn is handed out.
    pub(crate) async fn take_turn(&self) -> Turn<DB> {
        let queued = InQueue::join(&self.queued);
        let guard = self.group.clone().lock_owned().await;
        drop(queued);
        let mut turn = Turn { guard: Some(guard), writer: self.clone() };
        let group = turn.group();
        if group.member_writing {
            group.member_writing = false;
            if let Some(tx) = group.tx.as_mut() {
                if let Err(e) = DB::run(tx, UNDO_MEMBER).await {
                    group.abandon_batch(format!("the write batch could not undo a failed write: {e}"));
                }
            }
        }
        turn
    }

    /// The write turn with no batch open, for a write outside [`WriteTx`] (it commits the open
    /// batch first, so the database's write lock is free).
    pub(crate) async fn exclusive_turn(&self) -> Turn<DB> {
        let mut turn = self.take_turn().await;
        turn.group().commit_batch().await;
        turn
    }

    /// Starts a member: takes the turn and opens the batch if none is open (`begin` runs the
    /// statement it is given, [`BEGIN_BATCH`]). The member writes in the batch's savepoint.
    pub(crate) async fn begin<F, Fut>(&self, begin: F) -> Result<WriteTx<DB>, sqlx::Error>
    where
        F: FnOnce(&'static str) -> Fut,
        Fut: std::future::Future<Output = Result<Transaction<'static, DB>, sqlx::Error>>,
    {
        let mut turn = self.take_turn().await;
        let group = turn.group();
        if group.tx.is_none() {
            group.tx = Some(begin(BEGIN_BATCH).await?);
            group.batch = Arc::default();
        }
        group.member_writing = true;
        Ok(WriteTx { inner: Some(Inner::Member(turn)) })
    }
}

impl<DB: Database> Group<DB> {
    /// Commits the open batch, if any, and tells its members.
    /// The `COMMIT` runs on a task of its own, so a cancelled request (a client that went away)
    /// cannot cut it short and leave the other members without an outcome.
    async fn commit_batch(&mut self) {
        self.commit_queued = false;
        if let Some(tx) = self.tx.take() {
            let (batch, stats) = (self.batch.clone(), self.stats.clone());
            let commit = tokio::spawn(async move {
                let outcome = tx.commit().await.map_err(|e| format!("the write batch could not commit: {e}"));
                if outcome.is_ok() {
                    stats.commits.fetch_add(1, Ordering::Relaxed);
                }
                batch.finish(outcome);
            });
            if commit.await.is_err() {
                self.batch.finish(Err("the write batch's commit panicked".into()));
            }
        }
    }

    /// Ends the open batch without committing (dropping a transaction rolls it back).
    fn abandon_batch(&mut self, error: String) {
        self.tx = None;
        self.commit_queued = false;
        self.batch.finish(Err(error));
    }
}

impl<DB: Database> Turn<DB> {
    fn group(&mut self) -> &mut Group<DB> {
        self.guard.as_mut().expect("the turn is held")
    }
}

impl<DB: Database> Drop for Turn<DB> {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else { return };
        let abandoned = guard.member_writing;
        drop(guard);
        if abandoned {
            // A member dropped before its commit: roll its savepoint back and commit the rest
            // of the batch now, since no member may be left to come back for it.
            settle(self.writer.clone());
        }
    }
}

/// Rolls back an abandoned savepoint and commits the open batch, on a task of its own.
fn settle<DB: Database>(writer: Writer<DB>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut turn = writer.take_turn().await;
        turn.group().commit_batch().await;
    });
}

/// A member waiting to come back to its batch; if dropped while waiting (its request was
/// cancelled), the batch is committed on a task so it does not stay open.
struct Waiting<DB: Database> {
    writer: Option<Writer<DB>>,
}

impl<DB: Database> Drop for Waiting<DB> {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            settle(writer);
        }
    }
}

impl<DB: Database> WriteTx<DB> {
    pub(crate) fn own(tx: Transaction<'static, DB>) -> Self {
        Self { inner: Some(Inner::Own(tx)) }
    }

    /// Makes the writes durable; returns only after the commit that holds them.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        match self.inner.take().expect("a write transaction commits once") {
            Inner::Own(tx) => tx.commit().await,
            Inner::Member(turn) => commit_member(turn).await,
        }
    }
}

async fn commit_member<DB: Database>(mut turn: Turn<DB>) -> Result<(), sqlx::Error> {
    let writer = turn.writer.clone();
    let group = turn.group();
    group.member_writing = false;
    let batch = group.batch.clone();
    if !group.batching || writer.queued.load(Ordering::SeqCst) == 0 {
        // `COMMIT` takes the savepoint's writes with it.
        group.commit_batch().await;
    } else if let Err(e) = DB::run(group.tx.as_mut().expect("a member's batch is open"), NEXT_MEMBER).await {
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
        if batch.outcome.get().is_none() && group.tx.is_some() && Arc::ptr_eq(&group.batch, &batch) {
            group.commit_batch().await;
        }
    }
    // Otherwise an earlier member of this batch is queued to commit it (or, if that member's
    // wait was cancelled, a task of its own will).
    drop(turn);
    // Committed here or by another member, or its commit is still in flight on a task.
    batch.finished().await;
    outcome(&batch, &writer.stats)
}

fn outcome(batch: &Batch, stats: &Stats) -> Result<(), sqlx::Error> {
    match batch.outcome.get() {
        Some(Ok(())) => {
            stats.writes.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Some(Err(e)) => Err(sqlx::Error::Io(std::io::Error::other(e.clone()))),
        None => Err(sqlx::Error::Io(std::io::Error::other("the write batch ended without a commit"))),
    }
}

impl<DB: Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self.inner.as_ref().expect("live write transaction") {
            Inner::Own(tx) => tx,
            Inner::Member(turn) => {
                turn.guard.as_ref().expect("the turn is held").tx.as_ref().expect("a member's batch is open")
            }
        }
    }
}

impl<DB: Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self.inner.as_mut().expect("live write transaction") {
            Inner::Own(tx) => tx,
            Inner::Member(turn) => turn.group().tx.as_mut().expect("a member's batch is open"),
        }
    }
}
