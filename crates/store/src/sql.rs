//! One statement for either engine: [`Stmt`] is the SQL text with its arguments as values
//! ([`Arg`]), so a repository step builds it once and [`crate::Tx`] or [`crate::Read`] runs it on
//! whichever engine the [`crate::Db`] holds. `$1`-style placeholders work on both engines; the few
//! dialect differences stay local to the statements that need them (`Db::backend`).
//!
//! What a statement answers is a [`Row`] (a struct that decodes on both engines) or a [`Scalar`].
use std::borrow::Cow;

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Postgres, Sqlite};

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

    pub(crate) fn sqlite(&self) -> sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
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

/// A row type that decodes on both engines (derive `sqlx::FromRow`; it is generic over the row).
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A single column's value that decodes on both engines (`i64`, `String`, `bool`, `Option<_>`…).
pub trait Scalar:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
    + Send
    + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + Send
        + Unpin
{
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
use rapport_core::ids::WorkspaceId;

arg_from!(Int:
    WorkspaceId => |v| Some(v.get()),
    Option<WorkspaceId> => |v| v.map(WorkspaceId::get),
    &WorkspaceId => |v| Some(v.get()),
);
