//! The Intercom search query DSL (`POST /contacts/search`, `POST /conversations/search`),
//! compiled into a parameterised SQL condition. Fields and operators are whitelisted; values are
//! always bound, never spliced into SQL.
//! (Being built: `compile`. The types and signature below are the contract.)
use serde_json::Value;

use crate::workspaces::Workspace;
use crate::{Db, StoreError, StoreResult};

/// A value bound to a placeholder of a [`SqlCondition`].
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

/// A SQL boolean expression over the model's table (unqualified column names), with its binds.
/// Placeholders are numbered from the `first_param` given to [`compile`].
#[derive(Debug, Clone, PartialEq)]
pub struct SqlCondition {
    pub sql: String,
    pub binds: Vec<SqlValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchModel {
    /// Over `contacts`.
    Contacts,
    /// Over `conversations`.
    Conversations,
}

/// Parses the JSON `query` of a search request for `model` and compiles it. Malformed queries,
/// unknown fields, operators that do not fit the field's type, nesting deeper than two levels or
/// more than 15 filters in a group are `StoreError::Invalid` with a message naming the problem.
pub async fn compile(
    _db: &Db,
    _workspace: &Workspace,
    _model: SearchModel,
    _query: &Value,
    _first_param: usize,
) -> StoreResult<SqlCondition> {
    Err(StoreError::Invalid("search is not available yet".into()))
}

/// Binds every value of a condition onto a sqlx query, in order.
#[macro_export]
macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                $crate::search::SqlValue::Int(v) => query.bind(*v),
                $crate::search::SqlValue::Float(v) => query.bind(*v),
                $crate::search::SqlValue::Text(v) => query.bind(v.clone()),
                $crate::search::SqlValue::Bool(v) => query.bind(*v),
            };
        }
        query
    }};
}
