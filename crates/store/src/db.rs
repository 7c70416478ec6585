use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use tokio::sync::broadcast;

use crate::tx::{Engine, Read, Tx};
use crate::write_tx::{WriteTx, Writer};
use crate::{Conn, Stmt, StoreResult};

/// The schema of each engine, applied by [`Db::migrate`]. Both sets have one numbering: every
/// migration number exists for both engines, as a no-op file saying why when only one engine
/// needs the change (PostgreSQL's 0027 and 0028: pg_trgm serves prefix search, the append
/// statement advances `event_sequences`). Those two were added after 0029; sqlx applies every
/// version a database lacks, lower ones included, so databases already at 0029 take them too
/// (`tests/migrate_upgrade.rs` upgrades databases built with the 0029 release's files).
///
/// A schema change is a new number on both engines, never an edit of an applied file (sqlx
/// checksums them and refuses to start on a mismatch). `tests/schema_parity.rs` migrates both
/// engines and fails on a table, column (type class, nullability), key or index that exists on
/// one engine only, except for the differences its one `EXCEPTIONS` list explains (FTS5 tables
/// vs pg_trgm GIN indexes, SQLite's 0027 prefix indexes, sqlx's and SQLite's own tables).
/// `build.rs` makes cargo rebuild this crate when a migration file is added.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which engine a [`Db`] talks to; used where the two dialects differ (JSON access, text search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool of one backend. Statements run through [`Tx`] and [`Read`], which match on it.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database handle every repository takes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    commits: broadcast::Sender<Committed>,
    /// SQLite has one writer: write transactions of this process take turns here, in arrival
    /// order, instead of spinning in SQLite's busy handler (which sleeps up to 100 ms per retry),
    /// and share commits (group commit, see `write_tx.rs`).
    writer: Writer<sqlx::Sqlite>,
}

/// Announced after a transaction that appended to the event log commits: the workspace's log now
/// reaches `seq`. The node's live gateway (and its bus) listen with [`Db::committed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub workspace_id: i64,
    pub seq: i64,
}

impl Db {
    /// Connects to `sqlite://path`, `sqlite::memory:` or `postgres://…`, chosen by the URL scheme.
    /// A SQLite file (and its directory) is created when missing, in WAL mode.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            return Ok(Self::new(Pool::Postgres(pool), false));
        }
        if !url.starts_with("sqlite:") {
            return Err(crate::StoreError::Invalid(format!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
            )));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a killed process; only an OS crash can lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        if !memory {
            if let Some(parent) = options.get_filename().parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| crate::StoreError::Invalid(format!("cannot create {}: {e}", parent.display())))?;
                }
            }
        }
        let pool = SqlitePoolOptions::new()
            // An in-memory database lives and dies with its one connection.
            .max_connections(if memory { 1 } else { 8 })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout(if memory { None } else { Some(Duration::from_secs(600)) })
            .max_lifetime(if memory { None } else { Some(Duration::from_secs(1800)) })
            // An embedded connection cannot drop away as a server's can, and the ping that would
            // check it is a round trip to the connection's thread on every acquire.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        // RAPPORT_SQLITE_GROUP_COMMIT=off commits every write alone (to compare, in benchmarks).
        let group_commit = std::env::var("RAPPORT_SQLITE_GROUP_COMMIT").map_or(true, |v| v != "off");
        Ok(Self::new(Pool::Sqlite(pool), group_commit && !memory))
    }

    fn new(pool: Pool, batching: bool) -> Self {
        Self { pool, commits: broadcast::channel(4096).0, writer: Writer::new(batching) }
    }

    /// Tests only (feature `testing`): a write transaction of the engine's own type on `pool`
    /// (this Db's pool), for the tests of the group commit itself; repositories use [`Db::begin`].
    #[cfg(feature = "testing")]
    pub async fn begin_write<P: BeginWrite>(&self, pool: &P) -> Result<WriteTx<P::Database>, sqlx::Error> {
        pool.begin_write(self).await
    }

    /// Starts a write transaction on either engine: the handle every write step takes (see
    /// `tx.rs`). On SQLite it waits for this process's writer turn and joins the open write batch
    /// of the group commit (opening it with `BEGIN IMMEDIATE`, so a transaction that reads before
    /// it writes never fails with `SQLITE_BUSY_SNAPSHOT`), writing in a savepoint only its writes
    /// use (`write_tx.rs`). On PostgreSQL it is a plain `BEGIN`.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => Engine::Sqlite(pool.begin_write(self).await?),
            Pool::Postgres(pool) => Engine::Postgres(pool.begin_write(self).await?),
        };
        Ok(Tx::new(conn, self.commits.clone()))
    }

    /// Reads on the pool, outside any transaction.
    pub fn read(&self) -> Read<'_> {
        Read::new(&self.pool)
    }

    /// Write transactions and the commits that made them durable, since this Db was opened
    /// (SQLite's group commit; on PostgreSQL both stay 0, each transaction commits alone).
    pub fn write_stats(&self) -> crate::WriteStats {
        self.writer.stats()
    }

    /// Hears every [`Committed`] announcement of this process from now on.
    pub fn committed(&self) -> broadcast::Receiver<Committed> {
        self.commits.subscribe()
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.optimize().await
    }

    /// Refreshes the query planner's statistics where they are missing or stale (SQLite's
    /// `PRAGMA optimize`, sampling at most 1,000 rows per index, so it takes milliseconds).
    /// Without statistics SQLite may walk a workspace-wide index instead of a selective one: on
    /// 1M conversations a page of the inbox took seconds instead of milliseconds. PostgreSQL's
    /// autovacuum keeps its own statistics, so this is a no-op there. Run at start and hourly.
    pub async fn optimize(&self) -> StoreResult<()> {
        if let Pool::Sqlite(pool) = &self.pool {
            // ANALYZE writes: no write batch may hold the lock meanwhile.
            let _turn = self.writer.exclusive_turn().await;
            let mut conn = pool.acquire().await?;
            sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *conn).await?;
            sqlx::query("PRAGMA optimize = 0x10002").execute(&mut *conn).await?;
        }
        Ok(())
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Answers whether the database accepts queries (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        self.read().execute(Stmt::new("SELECT 1")).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// How each backend's pool starts a write transaction; used through [`Db::begin`].
pub trait BeginWrite {
    type Database: crate::write_tx::Database;
    fn begin_write(
        &self,
        db: &Db,
    ) -> impl std::future::Future<Output = Result<WriteTx<Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self, db: &Db) -> Result<WriteTx<sqlx::Sqlite>, sqlx::Error> {
        db.writer.begin(|statement| self.begin_with(statement)).await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self, _db: &Db) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        Ok(WriteTx::own(self.begin().await?))
    }
}
