//! One statement for either engine: [`Stmt`] is the SQL text with its arguments as values
//! ([`Arg`]), so a repository step builds it once and [`crate::Tx`] or [`crate::Read`] runs it on
//! whichever engine the [`crate::Db`] holds. `$1`-style placeholders work on both engines; the few
//! dialect differences stay local to the statements that need them (`Db::backend`).
//!
//! What a statement answers is a [`Row`] (a struct that decodes on both engines) or a [`Scalar`].
use std::borrow::Cow;

use rusqlite::types::{FromSql, FromSqlError, ToSql, ToSqlOutput, ValueRef};
use sqlx::postgres::PgRow;
use sqlx::Postgres;

use crate::{StoreError, StoreResult};

/// One bound value. A null carries its type, which PostgreSQL needs to plan the statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Float(Option<f64>),
    Bytes(Option<Vec<u8>>),
}

/// SQL text and its arguments, bound in order to `$1`, `$2`, …
#[derive(Debug, Clone)]
pub struct Stmt {
    text: Cow<'static, str>,
    args: Vec<Arg>,
    /// Whether the engine may keep the prepared statement for reuse (not for one-off DDL).
    persistent: bool,
}

impl Stmt {
    pub fn new(text: impl Into<Cow<'static, str>>) -> Self {
        Self { text: text.into(), args: Vec::new(), persistent: true }
    }

    /// A statement run once (DDL built at run time, say): not kept in the prepared-statement cache.
    pub fn once(mut self) -> Self {
        self.persistent = false;
        self
    }

    /// Binds the next placeholder.
    pub fn arg(mut self, value: impl Into<Arg>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Binds the next placeholders, one per value (the inside of an `IN (…)` list, say).
    pub fn args<V: Into<Arg>>(mut self, values: impl IntoIterator<Item = V>) -> Self {
        self.args.extend(values.into_iter().map(Into::into));
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn arg_list(&self) -> &[Arg] {
        &self.args
    }

    pub(crate) fn is_persistent(&self) -> bool {
        self.persistent
    }

    pub(crate) fn postgres(&self) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        let mut query = sqlx::query(&self.text).persistent(self.persistent);
        for arg in &self.args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.as_deref()),
                Arg::Bool(v) => query.bind(*v),
                Arg::Float(v) => query.bind(*v),
                Arg::Bytes(v) => query.bind(v.as_deref()),
            };
        }
        query
    }
}

/// A row type that decodes on both engines: `#[derive(Row)]` reads each field from the column of
/// its name (`#[row(skip)]`, `#[row(flatten)]`: see `rapport-store-derive`). Tuples decode by
/// position.
pub trait Row: Sized + Send {
    fn decode(row: &RowRef<'_>) -> StoreResult<Self>;
}

/// One row of either engine, as a [`Row`] decodes it.
pub enum RowRef<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a PgRow),
}

impl RowRef<'_> {
    /// The column named `column`.
    pub fn get<T: Scalar>(&self, column: &str) -> StoreResult<T> {
        match self {
            RowRef::Sqlite(row) => {
                let index = row.as_ref().column_index(column)?;
                T::from_sqlite(row.get_ref(index)?).map_err(|e| decode_error(column, e))
            }
            RowRef::Postgres(row) => {
                Ok(T::from_postgres(row, sqlx::Row::try_column(*row, column).map(sqlx::Column::ordinal)?)?)
            }
        }
    }

    /// The column named `column`, decoded as `S` and converted to `T` (`#[row(try_from = "S")]`).
    pub fn get_via<S: Scalar, T: TryFrom<S>>(&self, column: &str) -> StoreResult<T>
    where
        T::Error: std::fmt::Display,
    {
        let value = self.get::<S>(column)?;
        T::try_from(value).map_err(|e| decode_error(column, FromSqlError::Other(e.to_string().into())))
    }

    /// The column at `index` (from 0).
    pub fn get_at<T: Scalar>(&self, index: usize) -> StoreResult<T> {
        match self {
            RowRef::Sqlite(row) => T::from_sqlite(row.get_ref(index)?).map_err(|e| decode_error(&index.to_string(), e)),
            RowRef::Postgres(row) => Ok(T::from_postgres(row, index)?),
        }
    }
}

/// A column that does not decode as its field's type (on either engine).
fn decode_error(column: &str, error: FromSqlError) -> StoreError {
    StoreError::Db(sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(error) })
}

macro_rules! tuple_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Scalar),+> Row for ($($t,)+) {
            fn decode(row: &RowRef<'_>) -> StoreResult<Self> {
                Ok(($(row.get_at::<$t>($i)?,)+))
            }
        }
    };
}
tuple_row!(A 0);
tuple_row!(A 0, B 1);
tuple_row!(A 0, B 1, C 2);
tuple_row!(A 0, B 1, C 2, D 3);
tuple_row!(A 0, B 1, C 2, D 3, E 4);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// A single column's value that decodes on both engines (`i64`, `String`, `bool`, `Option<_>`…).
/// SQLite's values are decoded as sqlx decoded them: a boolean is an integer, a float may be
/// stored as an integer.
pub trait Scalar: Sized + Send {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, FromSqlError>;
    fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error>;
}

/// Scalars whose PostgreSQL decoding is sqlx's and SQLite's rusqlite's.
macro_rules! scalar {
    ($($t:ty),*) => {
        $(impl Scalar for $t {
            fn from_sqlite(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
                FromSql::column_result(value)
            }
            fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
                sqlx::Row::try_get(row, index)
            }
        })*
    };
}
scalar!(i64, i32, bool, String, Vec<u8>);

impl Scalar for f64 {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match value {
            ValueRef::Integer(i) => Ok(i as f64),
            value => FromSql::column_result(value),
        }
    }
    fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
        sqlx::Row::try_get(row, index)
    }
}

impl<T: Scalar> Scalar for Option<T> {
    fn from_sqlite(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match value {
            ValueRef::Null => Ok(None),
            value => T::from_sqlite(value).map(Some),
        }
    }
    fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
        use sqlx::ValueRef as _;
        if sqlx::Row::try_get_raw(row, index)?.is_null() {
            return Ok(None);
        }
        T::from_postgres(row, index).map(Some)
    }
}

/// Domain types stored as a column of another scalar type: decoded as it, then converted (an id
/// newtype from its integer, an enum from its name). An unknown name is a decoding error.
macro_rules! scalar_via {
    ($($t:ty => $via:ty),* $(,)?) => {
        $(impl Scalar for $t {
            fn from_sqlite(value: ValueRef<'_>) -> Result<Self, FromSqlError> {
                <$t>::try_from(<$via>::from_sqlite(value)?).map_err(|e| FromSqlError::Other(e.to_string().into()))
            }
            fn from_postgres(row: &PgRow, index: usize) -> Result<Self, sqlx::Error> {
                <$t>::try_from(<$via>::from_postgres(row, index)?).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
            }
        })*
    };
}
scalar_via!(
    rapport_core::ids::WorkspaceId => i64,
    rapport_core::ids::ConversationId => i64,
    rapport_core::ids::ContactId => i64,
    rapport_core::ids::AdminId => i64,
    rapport_core::ids::TeamId => i64,
    rapport_core::ids::CompanyId => i64,
    rapport_core::event::EventKind => String,
    rapport_core::conversation::PartType => String,
    rapport_core::conversation::AuthorType => String,
    rapport_core::conversation::ConversationState => String,
);

/// Binds an [`Arg`] on SQLite.
impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Int(Some(v)) => ValueRef::Integer(*v),
            Arg::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Arg::Bool(Some(v)) => ValueRef::Integer(i64::from(*v)),
            Arg::Float(Some(v)) => ValueRef::Real(*v),
            Arg::Bytes(Some(v)) => ValueRef::Blob(v),
            Arg::Int(None) | Arg::Text(None) | Arg::Bool(None) | Arg::Float(None) | Arg::Bytes(None) => ValueRef::Null,
        }))
    }
}

/// `From` conversions into one `Arg` variant: `type => |value| Option of the variant's type`.
macro_rules! arg_from {
    ($variant:ident: $($from:ty => |$v:ident| $map:expr),* $(,)?) => {
        $(impl From<$from> for Arg {
            fn from($v: $from) -> Self {
                Arg::$variant($map)
            }
        })*
    };
}

arg_from!(Int:
    i64 => |v| Some(v),
    Option<i64> => |v| v,
    &i64 => |v| Some(*v),
    &Option<i64> => |v| *v,
    i32 => |v| Some(i64::from(v)),
    u32 => |v| Some(i64::from(v)),
);
arg_from!(Text:
    String => |v| Some(v),
    Option<String> => |v| v,
    &str => |v| Some(v.to_owned()),
    &String => |v| Some(v.clone()),
    Option<&str> => |v| v.map(str::to_owned),
    Option<&String> => |v| v.cloned(),
    &Option<String> => |v| v.clone(),
);
arg_from!(Bool:
    bool => |v| Some(v),
    Option<bool> => |v| v,
);
arg_from!(Bytes:
    Vec<u8> => |v| Some(v),
    &[u8] => |v| Some(v.to_vec()),
    &Vec<u8> => |v| Some(v.clone()),
);
arg_from!(Float:
    f64 => |v| Some(v),
    Option<f64> => |v| v,
);

/// A `usize` count or position (a `LIMIT`, an `OFFSET`) binds as an integer; one past
/// `i64::MAX` cannot happen in memory, so the saturation never shows.
impl From<usize> for Arg {
    fn from(value: usize) -> Self {
        Arg::Int(Some(i64::try_from(value).unwrap_or(i64::MAX)))
    }
}

// The id newtypes of `rapport_core::ids` bind as integers.
use rapport_core::ids::{AdminId, CompanyId, ContactId, ConversationId, TeamId, WorkspaceId};

/// `From` conversions of each id type (itself, an `Option` of it, a reference to either).
macro_rules! arg_from_id {
    ($($id:ident),* $(,)?) => {$(
        arg_from!(Int:
            $id => |v| Some(v.get()),
            Option<$id> => |v| v.map($id::get),
            &$id => |v| Some(v.get()),
            &Option<$id> => |v| v.map($id::get),
        );
    )*};
}
arg_from_id!(WorkspaceId, ConversationId, ContactId, AdminId, TeamId, CompanyId);
