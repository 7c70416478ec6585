//! Multi-row INSERTs: rows are packed into as few statements as the bind-parameter limits of
//! both engines allow (SQLite 32766, PostgreSQL 65535), which is what makes seeding millions of
//! rows take minutes instead of hours.
use crate::{Arg, Conn, Stmt, Tx};

/// One bound value of a row (short names: seed tables list dozens per row).
#[derive(Debug, Clone)]
pub enum V {
    I(i64),
    NI(Option<i64>),
    S(String),
    NS(Option<String>),
    B(bool),
    F(f64),
}

/// Rows for one table, all with the same columns.
pub struct Rows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<V>>,
}

/// Bound parameters per statement. Both engines allow far more (SQLite 32766, PostgreSQL 65535),
/// but SQLite statements slow down sharply past about a thousand parameters (measured: 30,000
/// parameters per statement loaded 10x slower than 1,000), while PostgreSQL gains from fewer round trips.
fn max_params(backend: crate::Backend) -> usize {
    match backend {
        crate::Backend::Sqlite => 999,
        crate::Backend::Postgres => 30_000,
    }
}

impl Rows {
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self { table, columns, rows: Vec::new() }
    }

    pub fn push(&mut self, row: Vec<V>) {
        debug_assert_eq!(row.len(), self.columns.len(), "row width for {}", self.table);
        self.rows.push(row);
    }

    /// The statements to run, each with the rows it binds, `RETURNING id` when asked.
    pub fn statements(&self, backend: crate::Backend, returning_id: bool) -> Vec<Stmt> {
        let per_statement = (max_params(backend) / self.columns.len()).max(1);
        self.rows
            .chunks(per_statement)
            .map(|chunk| {
                let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.table, self.columns.join(", "));
                let mut n = 0;
                for (i, _) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('(');
                    for c in 0..self.columns.len() {
                        if c > 0 {
                            sql.push_str(", ");
                        }
                        n += 1;
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                    sql.push(')');
                }
                if returning_id {
                    sql.push_str(" RETURNING id");
                }
                Stmt::new(sql).args(chunk.iter().flatten().cloned())
            })
            .collect()
    }
}

impl From<V> for Arg {
    fn from(value: V) -> Self {
        match value {
            V::I(x) => Arg::Int(Some(x)),
            V::NI(x) => Arg::Int(x),
            V::S(x) => Arg::Text(Some(x)),
            V::NS(x) => Arg::Text(x),
            V::B(x) => Arg::Bool(Some(x)),
            V::F(x) => Arg::Float(Some(x)),
        }
    }
}

/// Inserts every row of every table, in order, inside one transaction.
pub async fn insert_all(db: &crate::Db, tables: &[Rows]) -> crate::StoreResult<()> {
    let mut tx = db.begin().await?;
    for rows in tables {
        for statement in rows.statements(db.backend(), false) {
            tx.execute(statement).await?;
        }
    }
    tx.commit().await
}

/// Inserts the rows in one transaction and returns their new ids in insertion order (ids grow
/// with insertion order on both engines, so sorting the returned ids restores the row order).
pub async fn insert_returning_ids(db: &crate::Db, rows: &Rows) -> crate::StoreResult<Vec<i64>> {
    let mut tx = db.begin().await?;
    let ids = insert_in(&mut tx, db.backend(), rows).await?;
    tx.commit().await?;
    Ok(ids)
}

/// Inside `tx`: inserts the rows and answers their new ids in insertion order.
pub(crate) async fn insert_in(tx: &mut Tx, backend: crate::Backend, rows: &Rows) -> crate::StoreResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.rows.len());
    for statement in rows.statements(backend, true) {
        let mut got: Vec<i64> = tx.scalars(statement).await?;
        got.sort_unstable();
        ids.extend(got);
    }
    Ok(ids)
}
