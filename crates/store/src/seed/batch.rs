//! Multi-row INSERTs: rows are packed into as few statements as the bind-parameter limits of
//! both engines allow (SQLite 32766, PostgreSQL 65535), which is what makes seeding millions of
//! rows take minutes instead of hours.

/// One bound value of a row.
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

    /// The statements to run: SQL text and the rows it binds, `RETURNING id` when asked.
    pub fn statements(&self, backend: crate::Backend, returning_id: bool) -> Vec<(String, &[Vec<V>])> {
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
                (sql, chunk)
            })
            .collect()
    }
}

/// Binds every value of `rows` onto `query`, in order. A macro so that one text serves the
/// SQLite and the PostgreSQL query types that `with_pool!` produces.
macro_rules! bind_rows {
    ($query:expr, $rows:expr) => {{
        let mut q = $query;
        for row in $rows.iter() {
            for v in row.iter() {
                q = match v {
                    $crate::seed::batch::V::I(x) => q.bind(*x),
                    $crate::seed::batch::V::NI(x) => q.bind(*x),
                    $crate::seed::batch::V::S(x) => q.bind(x.as_str()),
                    $crate::seed::batch::V::NS(x) => q.bind(x.as_deref()),
                    $crate::seed::batch::V::B(x) => q.bind(*x),
                    $crate::seed::batch::V::F(x) => q.bind(*x),
                };
            }
        }
        q
    }};
}
pub(crate) use bind_rows;

/// Inserts every row of every table, in order, inside one transaction.
pub async fn insert_all(db: &crate::Db, tables: &[Rows]) -> crate::StoreResult<()> {
    crate::with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        for rows in tables {
            for (sql, chunk) in rows.statements(db.backend(), false) {
                bind_rows!(sqlx::query(&sql), chunk).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    })
}

/// Inserts the rows in one transaction and returns their new ids in insertion order (ids grow
/// with insertion order on both engines, so sorting the returned ids restores the row order).
pub async fn insert_returning_ids(db: &crate::Db, rows: &Rows) -> crate::StoreResult<Vec<i64>> {
    crate::with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        let mut ids = Vec::with_capacity(rows.rows.len());
        for (sql, chunk) in rows.statements(db.backend(), true) {
            let mut got: Vec<i64> = bind_rows!(sqlx::query_scalar::<_, i64>(&sql), chunk).fetch_all(&mut *tx).await?;
            got.sort_unstable();
            ids.extend(got);
        }
        tx.commit().await?;
        Ok(ids)
    })
}
