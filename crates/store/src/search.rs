//! The Intercom search query DSL (`POST /contacts/search`, `POST /conversations/search`),
//! compiled into a parameterised SQL condition. Fields and operators are whitelisted; values are
//! always bound, never spliced into SQL.
//!
//! Parsing and type rules live in `rapport_core::search`; this module maps each field to its SQL
//! (`sql` submodule) and resolves custom attributes through the workspace's `data_attributes`.
use rapport_core::ids::WorkspaceId;
use std::collections::{HashMap, HashSet};

use rapport_core::search::{self as dsl, fields, FieldType, Model};
use serde_json::Value;

use crate::workspaces::Workspace;
use crate::{Arg, Backend, Conn, Db, Stmt, StoreError, StoreResult};

mod sql;

/// More binds than this is an unreasonable query (and would approach the engines' own limits).
const MAX_BINDS: usize = 2000;

/// A SQL boolean expression over the model's table (unqualified column names), with its binds
/// (never a null). Placeholders are numbered from the `first_param` given to [`compile`].
#[derive(Debug, Clone, PartialEq)]
pub struct SqlCondition {
    pub sql: String,
    pub binds: Vec<Arg>,
    /// The condition checks message text: its matches are found by checking rows one by one
    /// (see `search/sql.rs`), so counting them costs a scan of every counted match.
    pub matches_text: bool,
    /// Every match is among few rows that an index names (a conversation's contacts, a teammate's
    /// mentions, listed ids, an SLA state the maintained counts show to be rare): a page is found
    /// by reading those and sorting them, not by walking the page order and checking each row,
    /// which on a million conversations reads them all when the matches are few.
    pub narrow: bool,
}

/// A top-level `sla_state =`/`IN` filter is read as narrow (see [`SqlCondition::narrow`]) when
/// fewer conversations than this are in those SLA states (`conversation_sla_counts`); above it,
/// walking the page order finds a page of matches quickly.
const NARROW_SLA_MATCHES: i64 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchModel {
    /// Over `contacts`.
    Contacts,
    /// Over `conversations`.
    Conversations,
}

impl SearchModel {
    fn core(self) -> Model {
        match self {
            SearchModel::Contacts => Model::Contacts,
            SearchModel::Conversations => Model::Conversations,
        }
    }
}

/// Parses the JSON `query` of a search request for `model` and compiles it. Malformed queries,
/// unknown fields, operators that do not fit the field's type, nesting deeper than two levels or
/// more than 15 filters in a group are `StoreError::Invalid` with a message naming the problem.
pub async fn compile(
    db: &Db,
    workspace: &Workspace,
    model: SearchModel,
    query: &Value,
    first_param: usize,
) -> StoreResult<SqlCondition> {
    let parsed = dsl::parse(query).map_err(|e| StoreError::Invalid(e.0))?;
    let custom = custom_attribute_types(db, workspace.id, model.core(), &parsed).await?;
    let dense = dense_text_filters(db, workspace.id, model, &parsed).await?;
    let (mut condition, sla_states) = build(db.backend(), workspace, model, &parsed, &custom, &dense, first_param)
        .map_err(|e| StoreError::Invalid(e.0))?;
    if let (false, Some(states)) = (condition.narrow, sla_states) {
        let placeholders: Vec<String> = (0..states.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM conversation_sla_counts \
             WHERE workspace_id = $1 AND sla_state IN ({})",
            placeholders.join(", ")
        );
        let stmt = Stmt::new(sql).arg(workspace.id).args(states.into_iter().map(Arg::from));
        let matches: i64 = db.read().scalar(stmt).await?;
        condition.narrow = matches < NARROW_SLA_MATCHES;
    }
    Ok(condition)
}

/// Compiles a parsed query without a database: `custom` gives the type of each custom attribute
/// the query names (as [`compile`] reads them from `data_attributes`), and no text filter counts
/// as dense. The SQL is what [`compile`] produces for the same query; the fuzz targets drive it.
pub fn compile_parsed(
    backend: Backend,
    workspace: &Workspace,
    model: SearchModel,
    query: &dsl::Query,
    custom: &HashMap<String, FieldType>,
    first_param: usize,
) -> Result<SqlCondition, dsl::SearchError> {
    build(backend, workspace, model, query, custom, &HashSet::new(), first_param).map(|(condition, _)| condition)
}

fn build(
    backend: Backend,
    workspace: &Workspace,
    model: SearchModel,
    query: &dsl::Query,
    custom: &HashMap<String, FieldType>,
    dense: &HashSet<(sql::TextField, String)>,
    first_param: usize,
) -> Result<(SqlCondition, Option<Vec<String>>), dsl::SearchError> {
    let mut builder = sql::Builder::new(backend, model.core(), workspace, custom, dense, first_param.max(1));
    let sql = builder.query(query)?;
    if builder.binds.len() > MAX_BINDS {
        return Err(dsl::SearchError(format!("the query is too large (more than {MAX_BINDS} values)")));
    }
    let condition =
        SqlCondition { sql, binds: builder.binds, matches_text: builder.matches_text, narrow: builder.narrow };
    Ok((condition, builder.sla_states))
}

/// A word is "dense" when its full-text hits reach 2% of the workspace's conversations (at least
/// 200, at most this many): a page is then found faster by scanning conversations in page order
/// and checking each one than by collecting every hit first.
const DENSE_HITS: i64 = 20_000;

/// The SQLite text filters whose words are dense (see [`DENSE_HITS`]); counted from the
/// full-text index, stopping at the threshold. PostgreSQL's planner weighs this itself from its
/// statistics, so nothing is probed there.
async fn dense_text_filters(
    db: &Db,
    workspace_id: WorkspaceId,
    model: SearchModel,
    query: &dsl::Query,
) -> StoreResult<HashSet<(sql::TextField, String)>> {
    let mut dense = HashSet::new();
    if db.backend() != Backend::Sqlite || model != SearchModel::Conversations {
        return Ok(dense);
    }
    let mut threshold = None;
    for filter in query.filters() {
        let (Some(field), dsl::RawValue::One(dsl::Scalar::Text(value))) =
            (sql::TextField::of(&filter.field), &filter.value)
        else {
            continue;
        };
        let Some(fts) = sql::fts_query(&sql::words_of(value)) else {
            continue;
        };
        let table = match field {
            sql::TextField::SourceBody => "conversations_source_fts",
            sql::TextField::PartsBody => "conversation_parts_fts",
        };
        let threshold = match threshold {
            Some(t) => t,
            None => {
                let sql = "SELECT count FROM workspace_conversation_counts WHERE workspace_id = $1";
                let count: Option<i64> = db.read().scalar_optional(Stmt::new(sql).arg(workspace_id)).await?;
                *threshold.insert((count.unwrap_or(0) / 50).clamp(200, DENSE_HITS))
            }
        };
        let probe = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH $1 LIMIT $2)");
        let hits: i64 = db.read().scalar(Stmt::new(probe).arg(&fts).arg(threshold)).await?;
        if hits >= threshold {
            dense.insert((field, value.clone()));
        }
    }
    Ok(dense)
}

/// The types of every custom attribute the query names, from the workspace's definitions; an
/// unknown field or custom attribute is an error naming it.
async fn custom_attribute_types(
    db: &Db,
    workspace_id: WorkspaceId,
    model: Model,
    query: &dsl::Query,
) -> StoreResult<HashMap<String, FieldType>> {
    let mut types = HashMap::new();
    for filter in query.filters() {
        let field = filter.field.as_str();
        if fields::field_type(model, field).is_some() {
            continue;
        }
        let Some(name) = fields::custom_attribute_name(field) else {
            return Err(StoreError::Invalid(format!("unknown field {:?}", short(field))));
        };
        if types.contains_key(name) {
            continue;
        }
        let sql = "SELECT data_type FROM data_attributes WHERE workspace_id = $1 AND model = $2 AND name = $3";
        let data_type: Option<String> =
            db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(model.attribute_model()).arg(name)).await?;
        let Some(data_type) = data_type else {
            return Err(StoreError::Invalid(format!(
                "unknown custom attribute {:?} (field {:?})",
                short(name),
                short(field)
            )));
        };
        let kind = FieldType::from_data_type(&data_type).ok_or_else(|| {
            StoreError::Invalid(format!("custom attribute {:?} of type {data_type} cannot be searched", short(name)))
        })?;
        types.insert(name.to_string(), kind);
    }
    Ok(types)
}

fn short(s: &str) -> String {
    s.chars().take(64).collect()
}
