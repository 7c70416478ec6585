//! SQLite on synchronous connections (rusqlite): a statement runs on the calling task, back to
//! back with the transaction's others, without handing it to another thread and waiting to be
//! woken with the answer. Each was a round trip to sqlx's connection thread, and waking threads
//! was most of a write's cost (docs/BENCHMARKS.md, "Writes: the server's CPU per request").
//!
//! Writes run on the one writer connection, in turn (`write_tx.rs`: the group commit). Reads run
//! on connections of their own ([`Sqlite::read`], `query_only`), so a read never waits for the
//! writer (WAL mode: readers see the last commit). A statement is short and runs to the end once
//! started, so cancelling a request (its future dropped) cannot cut one in half.
//!
//! Placeholders are written `$1`, `$2`, … as on PostgreSQL; SQLite takes `$1` as a parameter's
//! name, so [`bind`] binds each parameter by the number in its name (a number may repeat).
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Statement};

use crate::sql::{Arg, Row, RowRef, Scalar, Stmt};
use crate::write_tx::Writer;
use crate::{StoreError, StoreResult};

/// Idle read connections kept open for the next reads (more are opened under load, then closed).
const IDLE_READERS: usize = 8;
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// One SQLite database file: its writer and its read connections.
pub(crate) struct Sqlite {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    pub(crate) writer: Writer,
    /// A `sqlite::memory:` database is a temporary file, removed when the last handle goes.
    _temporary: Option<Temporary>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite").field("path", &self.path).field("writer", &self.writer).finish()
    }
}

/// A database file removed (with its WAL and shared-memory files) when dropped.
pub(crate) struct Temporary(pub(crate) PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Sqlite {
    /// Opens the writer connection (creating the file, in WAL mode) and, on first use, readers.
    pub(crate) fn open(path: &Path, batching: bool, temporary: Option<Temporary>) -> StoreResult<Self> {
        let writer = connect(path, false)?;
        Ok(Self {
            path: path.to_owned(),
            readers: Mutex::default(),
            writer: Writer::new(writer, batching),
            _temporary: temporary,
        })
    }

    /// Runs `read` on a read connection: an idle one, or a new one when all are busy.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let idle = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.path, true)?,
        };
        let answer = read(&conn);
        let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if readers.len() < IDLE_READERS {
            readers.push(conn);
        }
        answer
    }
}

/// A connection with the settings every one of ours has. The writer's sets WAL mode and creates
/// the file; readers are `query_only`.
fn connect(path: &Path, reader: bool) -> StoreResult<Connection> {
    let flags = if reader {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if !reader {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Invalid(format!(
                "{} cannot be opened in WAL mode (it answered {mode})",
                path.display()
            )));
        }
    }
    // NORMAL in WAL mode survives a killed process; only an OS crash can lose the last commits.
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")?;
    if reader {
        conn.execute_batch("PRAGMA query_only = ON")?;
    }
    Ok(conn)
}

/// Prepares `stmt` (from the connection's cache unless it runs once), binds it and hands it to `run`.
fn with_statement<R>(
    conn: &Connection,
    stmt: &Stmt,
    run: impl FnOnce(&mut Statement<'_>) -> StoreResult<R>,
) -> StoreResult<R> {
    if stmt.is_persistent() {
        let mut prepared = conn.prepare_cached(stmt.text())?;
        bind(&mut prepared, stmt.arg_list())?;
        run(&mut prepared)
    } else {
        let mut prepared = conn.prepare(stmt.text())?;
        bind(&mut prepared, stmt.arg_list())?;
        run(&mut prepared)
    }
}

/// Binds `$n` to `args[n - 1]` (and a bare `?` to the argument at its position).
fn bind(prepared: &mut Statement<'_>, args: &[Arg]) -> StoreResult<()> {
    for index in 1..=prepared.parameter_count() {
        let position = match prepared.parameter_name(index) {
            None => index,
            Some(name) => name
                .strip_prefix(['$', '?'])
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_owned()))?,
        };
        let arg = position
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or(rusqlite::Error::InvalidParameterCount(position, args.len()))?;
        prepared.raw_bind_parameter(index, arg)?;
    }
    Ok(())
}

/// Runs a statement to its end; answers the rows it changed. A text of several statements without
/// arguments (DDL) runs as a batch.
pub(crate) fn execute(conn: &Connection, stmt: &Stmt) -> StoreResult<u64> {
    let ran = with_statement(conn, stmt, |prepared| {
        let mut rows = prepared.raw_query();
        while rows.next()?.is_some() {}
        Ok(())
    });
    match ran {
        Err(StoreError::Sqlite(rusqlite::Error::MultipleStatement)) if stmt.arg_list().is_empty() => {
            conn.execute_batch(stmt.text())?
        }
        ran => ran?,
    }
    Ok(conn.changes())
}

/// The rows a statement answers, at most `limit`.
pub(crate) fn fetch<T: Row>(conn: &Connection, stmt: &Stmt, limit: usize) -> StoreResult<Vec<T>> {
    with_statement(conn, stmt, |prepared| {
        let mut rows = prepared.raw_query();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(row) = rows.next()? else { break };
            out.push(T::decode(&RowRef::Sqlite(row))?);
        }
        Ok(out)
    })
}

/// The first column of the rows a statement answers, at most `limit`.
pub(crate) fn scalars<T: Scalar>(conn: &Connection, stmt: &Stmt, limit: usize) -> StoreResult<Vec<T>> {
    Ok(fetch::<(T,)>(conn, stmt, limit)?.into_iter().map(|(value,)| value).collect())
}
