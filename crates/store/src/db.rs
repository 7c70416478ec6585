use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use std::sync::Arc;

use tokio::sync::{broadcast, Mutex, OwnedMutexGuard};

use crate::StoreResult;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which engine a [`Db`] talks to; used where the two dialects differ (JSON access, text search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool of one backend. Use [`crate::with_pool!`] to run SQL on either.
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
    /// order, instead of spinning in SQLite's busy handler (which sleeps up to 100 ms per retry).
    write_turn: Arc<Mutex<()>>,
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
            return Ok(Self::new(Pool::Postgres(pool)));
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
            .connect_with(options)
            .await?;
        Ok(Self::new(Pool::Sqlite(pool)))
    }

    fn new(pool: Pool) -> Self {
        Self { pool, commits: broadcast::channel(4096).0, write_turn: Arc::new(Mutex::new(())) }
    }

    /// Starts a write transaction on `pool` (this Db's pool, from [`crate::with_pool!`]). On
    /// SQLite it first waits for this process's writer turn, then takes the database's write lock
    /// up front (`BEGIN IMMEDIATE`), so a transaction that reads before it writes never fails
    /// with `SQLITE_BUSY_SNAPSHOT`. On PostgreSQL it is a plain `BEGIN`.
    /// For a single-statement write outside [`Db::begin_write`]: on SQLite, waits for and holds
    /// this process's writer turn until the guard drops; on PostgreSQL, nothing.
    pub(crate) async fn write_turn(&self) -> Option<OwnedMutexGuard<()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.write_turn.clone().lock_owned().await),
            Pool::Postgres(_) => None,
        }
    }

    pub async fn begin_write<P: BeginWrite>(&self, pool: &P) -> Result<WriteTx<P::Database>, sqlx::Error> {
        let turn = if P::ONE_WRITER { Some(self.write_turn.clone().lock_owned().await) } else { None };
        Ok(WriteTx { tx: pool.begin_write().await?, _turn: turn })
    }

    /// Hears every [`Committed`] announcement of this process from now on.
    pub fn committed(&self) -> broadcast::Receiver<Committed> {
        self.commits.subscribe()
    }

    /// Tells listeners that `workspace_id`'s log reaches `seq` (called by writers after commit).
    pub(crate) fn announce(&self, workspace_id: i64, seq: i64) {
        // No listener (a CLI command, a test) is fine: the log is the truth.
        let _ = self.commits.send(Committed { workspace_id, seq });
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
        crate::execute!(self, pool => sqlx::query("SELECT 1").execute(pool).await)?;
        Ok(())
    }

    pub async fn close(&self) {
        crate::with_pool!(self, pool => pool.close().await)
    }
}

/// A write transaction (see [`Db::begin_write`]). Use it like a connection (`&mut *tx`) and end it
/// with [`WriteTx::commit`]; dropping it rolls back.
pub struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// How each backend's pool starts a write transaction; used through [`Db::begin_write`].
pub trait BeginWrite {
    type Database: sqlx::Database;
    /// Whether the engine has a single writer, so writers of this process should take turns.
    const ONE_WRITER: bool;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    const ONE_WRITER: bool = true;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    const ONE_WRITER: bool = false;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send {
        self.begin()
    }
}
