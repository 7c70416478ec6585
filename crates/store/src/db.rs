use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use tokio::sync::broadcast;

use crate::sqlite::{Sqlite, Temporary};
use crate::tx::{Engine, Read, Tx};
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

/// The database handle every repository takes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    connections: Connections,
    commits: broadcast::Sender<Committed>,
}

/// The connections of the engine a [`Db`] talks to.
#[derive(Clone, Debug)]
enum Connections {
    /// SQLite: this process's writer, whose write transactions take turns in arrival order and
    /// share commits (group commit, see `write_tx.rs`), and the read connections (`sqlite.rs`).
    /// sqlx's pool on the same file only applies the migrations (sqlx's migrator) and closes its
    /// connections when idle.
    Sqlite { statements: Arc<Sqlite>, migrator: SqlitePool },
    /// PostgreSQL: sqlx's pool, on which every statement runs (through [`Tx`] and [`Read`]).
    Postgres(PgPool),
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
    /// A SQLite file (and its directory) is created when missing, in WAL mode; `sqlite::memory:`
    /// is a temporary file, removed when the last handle to it goes.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            return Ok(Self { connections: Connections::Postgres(pool), commits: broadcast::channel(4096).0 });
        }
        if !url.starts_with("sqlite:") {
            return Err(crate::StoreError::Invalid(format!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
            )));
        }
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let (path, temporary) = if memory {
            let path = std::env::temp_dir().join(format!("rapport-memory-{}.db", uuid_like()));
            (path.clone(), Some(Temporary(path)))
        } else {
            (SqliteConnectOptions::from_str(url)?.get_filename().to_owned(), None)
        };
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| crate::StoreError::Invalid(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
        // RAPPORT_SQLITE_GROUP_COMMIT=off commits every write alone (to compare, in benchmarks).
        let group_commit = std::env::var("RAPPORT_SQLITE_GROUP_COMMIT").map_or(true, |v| v != "off");
        // The writer connection creates the file and turns WAL mode on.
        let sqlite = Sqlite::open(&path, group_commit, temporary)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let migrator = SqlitePoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .idle_timeout(Some(Duration::from_secs(30)))
            .test_before_acquire(false)
            .connect_lazy_with(options);
        let connections = Connections::Sqlite { statements: Arc::new(sqlite), migrator };
        Ok(Self { connections, commits: broadcast::channel(4096).0 })
    }

    /// Starts a write transaction on either engine: the handle every write step takes (see
    /// `tx.rs`). On SQLite it waits for this process's writer turn and joins the open write batch
    /// of the group commit (opening it with `BEGIN IMMEDIATE`, so a transaction that reads before
    /// it writes never fails with `SQLITE_BUSY_SNAPSHOT`), writing in a savepoint only its writes
    /// use (`write_tx.rs`). On PostgreSQL it is a plain `BEGIN`.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let conn = match &self.connections {
            Connections::Sqlite { statements, .. } => Engine::Sqlite(statements.writer.begin().await?),
            Connections::Postgres(pool) => Engine::Postgres(pool.begin().await?),
        };
        Ok(Tx::new(conn, self.commits.clone()))
    }

    /// Reads outside any transaction.
    pub fn read(&self) -> Read<'_> {
        match &self.connections {
            Connections::Sqlite { statements, .. } => Read::sqlite(statements),
            Connections::Postgres(pool) => Read::postgres(pool),
        }
    }

    /// Write transactions and the commits that made them durable, since this Db was opened
    /// (SQLite's group commit; on PostgreSQL both stay 0, each transaction commits alone).
    pub fn write_stats(&self) -> crate::WriteStats {
        match &self.connections {
            Connections::Sqlite { statements, .. } => statements.writer.stats(),
            Connections::Postgres(_) => crate::WriteStats::default(),
        }
    }

    /// Hears every [`Committed`] announcement of this process from now on.
    pub fn committed(&self) -> broadcast::Receiver<Committed> {
        self.commits.subscribe()
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.connections {
            Connections::Sqlite { migrator, .. } => SQLITE_MIGRATIONS.run(migrator).await?,
            Connections::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        self.optimize().await
    }

    /// Refreshes the query planner's statistics where they are missing or stale (SQLite's
    /// `PRAGMA optimize`, sampling at most 1,000 rows per index, so it takes milliseconds).
    /// Without statistics SQLite may walk a workspace-wide index instead of a selective one: on
    /// 1M conversations a page of the inbox took seconds instead of milliseconds. PostgreSQL's
    /// autovacuum keeps its own statistics, so this is a no-op there. Run at start and hourly.
    pub async fn optimize(&self) -> StoreResult<()> {
        if let Connections::Sqlite { statements, .. } = &self.connections {
            // ANALYZE writes: no write batch may hold the lock meanwhile.
            let turn = statements.writer.exclusive_turn().await;
            turn.conn().execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002")?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.connections {
            Connections::Sqlite { .. } => Backend::Sqlite,
            Connections::Postgres(_) => Backend::Postgres,
        }
    }

    /// Answers whether the database accepts queries (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        self.read().execute(Stmt::new("SELECT 1")).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.connections {
            Connections::Sqlite { migrator, .. } => migrator.close().await,
            Connections::Postgres(pool) => pool.close().await,
        }
    }
}

/// A name no other database of this machine has.
fn uuid_like() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), 16).to_lowercase()
}
