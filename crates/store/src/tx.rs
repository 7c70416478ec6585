//! The two handles every repository step takes: [`Tx`], a write transaction of either engine,
//! and [`Read`], reads outside a transaction. Both run a [`Stmt`] through the [`Conn`] trait, so
//! a step that only reads takes `&mut impl Conn` and works inside a transaction (seeing its
//! writes) or outside one. These are the only places that `match` on the engine to run a
//! statement.
//!
//! A step is an ordinary function, and steps compose: open a transaction with
//! [`crate::Db::begin`], pass `&mut tx` to every step, then [`Tx::commit`]. Events a step appends
//! (`event_log::append`) are remembered on the transaction, and the commit announces them
//! (`Db::committed`), so no caller can forget to ring the doorbell. Dropping a `Tx` without
//! committing undoes its writes.
//!
//! On SQLite a statement runs synchronously on the calling task (`sqlite.rs`); on PostgreSQL it
//! is a round trip to the server through sqlx.
use std::future::Future;

use sqlx::postgres::PgPool;
use tokio::sync::broadcast;

use crate::sql::{Row, RowRef, Scalar, Stmt};
use crate::sqlite::{self, Sqlite};
use crate::write_tx::Member;
use crate::{Backend, Committed, StoreResult};

/// Runs statements: a [`Tx`] or a [`Read`].
pub trait Conn: Send {
    /// Runs a statement that answers no rows; answers how many rows it changed.
    fn execute(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<u64>> + Send;
    fn fetch_optional<T: Row>(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<Option<T>>> + Send;
    fn fetch_all<T: Row>(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<Vec<T>>> + Send;
    /// The first column of the first row, if there is a row.
    fn scalar_optional<T: Scalar>(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<Option<T>>> + Send;
    /// The first column of every row.
    fn scalars<T: Scalar>(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// Exactly one row (none is a database error: use it where the row must exist).
    fn fetch_one<T: Row>(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<T>> + Send {
        async move { self.fetch_optional(stmt).await?.ok_or_else(|| sqlx::Error::RowNotFound.into()) }
    }

    /// The first column of exactly one row (`SELECT COUNT(*) …`, `… RETURNING id`).
    fn scalar<T: Scalar>(&mut self, stmt: Stmt) -> impl Future<Output = StoreResult<T>> + Send {
        async move { self.scalar_optional(stmt).await?.ok_or_else(|| sqlx::Error::RowNotFound.into()) }
    }
}

/// Reads outside a transaction ([`crate::Db::read`]). Each statement takes a connection of its
/// own; on SQLite, reads never wait for the writer.
#[derive(Debug, Clone, Copy)]
pub struct Read<'db>(On<'db>);

#[derive(Debug, Clone, Copy)]
enum On<'db> {
    Sqlite(&'db Sqlite),
    Postgres(&'db PgPool),
}

impl<'db> Read<'db> {
    pub(crate) fn sqlite(db: &'db Sqlite) -> Self {
        Self(On::Sqlite(db))
    }

    pub(crate) fn postgres(pool: &'db PgPool) -> Self {
        Self(On::Postgres(pool))
    }
}

/// A write transaction of either engine ([`crate::Db::begin`]).
pub struct Tx {
    conn: Engine,
    commits: broadcast::Sender<Committed>,
    /// The last sequence number this transaction appended per workspace, announced on commit.
    appended: Vec<Committed>,
}

pub(crate) enum Engine {
    /// A savepoint in the writer's group commit (`write_tx.rs`).
    Sqlite(Member),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) fn new(conn: Engine, commits: broadcast::Sender<Committed>) -> Self {
        Self { conn, commits, appended: Vec::new() }
    }

    /// Makes the writes durable (on SQLite, returns once the group commit holding them is done),
    /// then announces the events they appended.
    pub async fn commit(self) -> StoreResult<()> {
        match self.conn {
            Engine::Sqlite(member) => member.commit().await?,
            Engine::Postgres(tx) => tx.commit().await?,
        }
        for committed in self.appended {
            // No listener (a CLI command, a test) is fine: the log is the truth.
            let _ = self.commits.send(committed);
        }
        Ok(())
    }

    /// Records that this transaction appended `seq` to `workspace_id`'s log (`event_log::append`).
    pub(crate) fn appended(&mut self, workspace_id: i64, seq: i64) {
        match self.appended.iter_mut().find(|c| c.workspace_id == workspace_id) {
            Some(last) => last.seq = last.seq.max(seq),
            None => self.appended.push(Committed { workspace_id, seq }),
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self.conn {
            Engine::Sqlite(_) => Backend::Sqlite,
            Engine::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Conn for Tx {
    async fn execute(&mut self, stmt: Stmt) -> StoreResult<u64> {
        Ok(match &mut self.conn {
            Engine::Sqlite(member) => sqlite::execute(member.conn(), &stmt)?,
            Engine::Postgres(tx) => stmt.postgres().execute(&mut **tx).await?.rows_affected(),
        })
    }

    async fn fetch_optional<T: Row>(&mut self, stmt: Stmt) -> StoreResult<Option<T>> {
        Ok(match &mut self.conn {
            Engine::Sqlite(member) => sqlite::fetch(member.conn(), &stmt, 1)?.pop(),
            Engine::Postgres(tx) => postgres_rows(stmt.postgres().fetch_optional(&mut **tx).await?)?.pop(),
        })
    }

    async fn fetch_all<T: Row>(&mut self, stmt: Stmt) -> StoreResult<Vec<T>> {
        match &mut self.conn {
            Engine::Sqlite(member) => sqlite::fetch(member.conn(), &stmt, usize::MAX),
            Engine::Postgres(tx) => postgres_rows(stmt.postgres().fetch_all(&mut **tx).await?),
        }
    }

    async fn scalar_optional<T: Scalar>(&mut self, stmt: Stmt) -> StoreResult<Option<T>> {
        Ok(match &mut self.conn {
            Engine::Sqlite(member) => sqlite::scalars(member.conn(), &stmt, 1)?.pop(),
            Engine::Postgres(tx) => postgres_scalars(stmt.postgres().fetch_optional(&mut **tx).await?)?.pop(),
        })
    }

    async fn scalars<T: Scalar>(&mut self, stmt: Stmt) -> StoreResult<Vec<T>> {
        match &mut self.conn {
            Engine::Sqlite(member) => sqlite::scalars(member.conn(), &stmt, usize::MAX),
            Engine::Postgres(tx) => postgres_scalars(stmt.postgres().fetch_all(&mut **tx).await?),
        }
    }
}

impl Conn for Read<'_> {
    async fn execute(&mut self, stmt: Stmt) -> StoreResult<u64> {
        Ok(match self.0 {
            On::Sqlite(db) => db.read(|conn| sqlite::execute(conn, &stmt))?,
            On::Postgres(pool) => stmt.postgres().execute(pool).await?.rows_affected(),
        })
    }

    async fn fetch_optional<T: Row>(&mut self, stmt: Stmt) -> StoreResult<Option<T>> {
        Ok(match self.0 {
            On::Sqlite(db) => db.read(|conn| sqlite::fetch(conn, &stmt, 1))?.pop(),
            On::Postgres(pool) => postgres_rows(stmt.postgres().fetch_optional(pool).await?)?.pop(),
        })
    }

    async fn fetch_all<T: Row>(&mut self, stmt: Stmt) -> StoreResult<Vec<T>> {
        match self.0 {
            On::Sqlite(db) => db.read(|conn| sqlite::fetch(conn, &stmt, usize::MAX)),
            On::Postgres(pool) => postgres_rows(stmt.postgres().fetch_all(pool).await?),
        }
    }

    async fn scalar_optional<T: Scalar>(&mut self, stmt: Stmt) -> StoreResult<Option<T>> {
        Ok(match self.0 {
            On::Sqlite(db) => db.read(|conn| sqlite::scalars(conn, &stmt, 1))?.pop(),
            On::Postgres(pool) => postgres_scalars(stmt.postgres().fetch_optional(pool).await?)?.pop(),
        })
    }

    async fn scalars<T: Scalar>(&mut self, stmt: Stmt) -> StoreResult<Vec<T>> {
        match self.0 {
            On::Sqlite(db) => db.read(|conn| sqlite::scalars(conn, &stmt, usize::MAX)),
            On::Postgres(pool) => postgres_scalars(stmt.postgres().fetch_all(pool).await?),
        }
    }
}

/// Decodes PostgreSQL's rows (`Option` or `Vec` of them).
fn postgres_rows<T: Row>(rows: impl IntoIterator<Item = sqlx::postgres::PgRow>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(|row| T::decode(&RowRef::Postgres(&row))).collect()
}

fn postgres_scalars<T: Scalar>(rows: impl IntoIterator<Item = sqlx::postgres::PgRow>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(|row| RowRef::Postgres(&row).get_at(0)).collect()
}
