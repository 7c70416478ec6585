//! Cursor-paged lists and searches of conversations in one of four orders, each read in the
//! order of an index of migration 0009 (never sorted in memory), with a cheap `total_count`;
//! except a narrow search (`SqlCondition::narrow`: a contact's conversations, a teammate's
//! mentions, listed ids, a rare SLA state), whose few matches are read by id and sorted (see
//! [`statements`]). `tests/app_search_plans.rs` explains every search the agent app sends on
//! both engines and fails on a scan of the conversations.
use super::{related, Conversation, Page, COLUMNS};
use crate::search::{SearchModel, SqlCondition};
use crate::workspaces::Workspace;
use crate::{Backend, Conn, Db, Stmt, StoreError, StoreResult};
use rapport_core::ids::{ConversationId, WorkspaceId};

/// A filtered `total_count` is exact below this and reads this value when at least this many
/// conversations match (counting further would cost a scan of every match per page).
pub const TOTAL_COUNT_CAP: i64 = 1_000;

/// [`TOTAL_COUNT_CAP`] for a search that checks message text. Its matches are counted by reading
/// conversations (and their parts) until this many match, so with a common word the count cost
/// several times the page: 56 ms against 21 ms for `parts.body ~ invoice` on 1M conversations
/// (PostgreSQL, docs/BENCHMARKS.md). At 100 it costs about twice a page of 50.
pub const TEXT_COUNT_CAP: i64 = 100;

/// `waiting_since` as a sort key: conversations not waiting sort after every waiting one.
const WAITING: &str = "COALESCE(waiting_since, 9223372036854775807)";
/// `priority` as an ascending sort key: priority conversations first.
const PRIORITY: &str = "(CASE WHEN priority THEN 0 ELSE 1 END)";

/// What a list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    UpdatedAt,
    CreatedAt,
    WaitingSince,
    /// Priority conversations first, then longest waiting (`waiting_since` ascending), then id.
    Priority,
}

impl SortField {
    pub const ALL: [SortField; 4] =
        [SortField::UpdatedAt, SortField::CreatedAt, SortField::WaitingSince, SortField::Priority];

    pub fn name(self) -> &'static str {
        match self {
            SortField::UpdatedAt => "updated_at",
            SortField::CreatedAt => "created_at",
            SortField::WaitingSince => "waiting_since",
            SortField::Priority => "priority",
        }
    }

    pub fn parse(name: &str) -> Option<SortField> {
        SortField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The key's SQL expressions, most significant first (the expressions of the indexes).
    fn key_sql(self) -> &'static [&'static str] {
        match self {
            SortField::UpdatedAt => &["updated_at", "id"],
            SortField::CreatedAt => &["created_at", "id"],
            SortField::WaitingSince => &[WAITING, "id"],
            SortField::Priority => &[PRIORITY, WAITING, "id"],
        }
    }
}

/// A list order. `descending` is the API's `order: desc`; for `priority`, `desc` (the natural
/// reading, "most urgent first") is priority first and longest waiting first, `asc` its reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    /// Most recently updated first, as Intercom lists.
    fn default() -> Self {
        Sort { field: SortField::UpdatedAt, descending: true }
    }
}

impl Sort {
    /// Whether the key (see `key_sql`) ascends down the page.
    fn key_ascends(self) -> bool {
        match self.field {
            SortField::Priority => self.descending,
            _ => !self.descending,
        }
    }

    /// The sort key of a row, as a cursor after it carries it.
    pub fn key(self, c: &Conversation) -> Vec<i64> {
        let waiting = c.waiting_since.unwrap_or(i64::MAX);
        match self.field {
            SortField::UpdatedAt => vec![c.updated_at, c.id.get()],
            SortField::CreatedAt => vec![c.created_at, c.id.get()],
            SortField::WaitingSince => vec![waiting, c.id.get()],
            SortField::Priority => vec![i64::from(!c.priority), waiting, c.id.get()],
        }
    }

    /// A small number naming this sort in cursors, so a cursor of one sort is refused by another.
    pub fn tag(self) -> i64 {
        let field = SortField::ALL.iter().position(|f| *f == self.field).unwrap_or(0) as i64;
        1 + field * 2 + i64::from(self.descending)
    }

    pub fn from_tag(tag: i64) -> Option<Sort> {
        let field = *SortField::ALL.get(usize::try_from(tag - 1).ok()? / 2)?;
        Some(Sort { field, descending: (tag - 1) % 2 == 1 })
    }

    /// How many numbers a key of this sort has.
    pub fn key_len(self) -> usize {
        self.field.key_sql().len()
    }
}

/// Where a page starts: after the row with this sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort: Sort,
    pub key: Vec<i64>,
}

/// The workspace's conversations in `sort` order (`total_count` exact, from the maintained count).
pub async fn list(
    db: &Db,
    workspace_id: WorkspaceId,
    sort: Sort,
    per_page: i64,
    after: Option<&Cursor>,
) -> StoreResult<Page> {
    page_where(db, workspace_id, None, sort, per_page, after).await
}

/// Conversations matching an Intercom search `query`, in `sort` order (`total_count` capped at
/// [`TOTAL_COUNT_CAP`], or [`TEXT_COUNT_CAP`] when the query checks message text).
pub async fn search(
    db: &Db,
    workspace: &Workspace,
    query: &serde_json::Value,
    sort: Sort,
    per_page: i64,
    after: Option<&Cursor>,
) -> StoreResult<Page> {
    let condition = crate::search::compile(db, workspace, SearchModel::Conversations, query, 2).await?;
    page_where(db, workspace.id, Some(&condition), sort, per_page, after).await
}

async fn page_where(
    db: &Db,
    workspace_id: WorkspaceId,
    condition: Option<&SqlCondition>,
    sort: Sort,
    per_page: i64,
    after: Option<&Cursor>,
) -> StoreResult<Page> {
    if let Some(cursor) = after {
        if cursor.sort != sort || cursor.key.len() != sort.key_len() {
            return Err(StoreError::Invalid("the cursor was issued for another sort".to_string()));
        }
    }
    let binds = condition.map(|c| c.binds.as_slice()).unwrap_or_default();
    let (sql, count_sql) = statements(db.backend(), condition, sort, after.is_some());
    let after_key = after.map(|c| c.key.as_slice()).unwrap_or_default();
    let total_count: i64 = db.read().scalar(Stmt::new(count_sql).arg(workspace_id).args(binds.iter().cloned())).await?;
    let select = Stmt::new(sql).arg(workspace_id).args(binds.iter().cloned()).args(after_key).arg(per_page + 1);
    let mut rows: Vec<Conversation> = db.read().fetch_all(select).await?;
    let has_more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let ids: Vec<ConversationId> = rows.iter().map(|c| c.id).collect();
    let related = related(db, workspace_id, &ids).await?;
    Ok(Page { conversations: rows, related, total_count, has_more })
}

/// The SQL of one page of a list or search (`$1` the workspace, then the condition's binds, the
/// cursor's key when `after`, and the page size plus one) and of its `total_count` (`$1` and the
/// condition's binds): what [`search`] runs, public so that the plan tests explain exactly it.
///
/// A narrow condition (`SqlCondition::narrow`: its matches are few rows named by an index, an
/// `id IN (…)` conjunct) is read from those rows and sorted, never by walking an index of the
/// whole workspace and checking each row (which reads them all when the matches are few): the
/// sort keys get a unary `+`, an expression no index orders, and SQLite reads the table
/// `NOT INDEXED` (rowid lookups only), as its planner would otherwise still pick an index on
/// `workspace_id` or `state` over the lookups. The capped count of a filter without text walks
/// the page's own order, so that a dense filter stops after `cap` index entries instead of a
/// scan of the table (where the open conversations, the newest, lie at the end).
pub fn statements(backend: Backend, condition: Option<&SqlCondition>, sort: Sort, after: bool) -> (String, String) {
    let (filter, binds) = match condition {
        Some(c) => (format!(" AND ({})", c.sql), c.binds.as_slice()),
        None => (String::new(), &[][..]),
    };
    let keys = sort.field.key_sql();
    let (direction, comparison) = if sort.key_ascends() { ("ASC", ">") } else { ("DESC", "<") };
    let mut next = 2 + binds.len();
    let narrow = condition.is_some_and(|c| c.narrow);
    let table = if narrow && backend == Backend::Sqlite { "conversations NOT INDEXED" } else { "conversations" };
    let mut sql = format!("SELECT {COLUMNS} FROM {table} WHERE workspace_id = $1{filter}");
    if after {
        // A row-value comparison: one index range on both engines.
        let params: Vec<String> = (next..next + keys.len()).map(|i| format!("${i}")).collect();
        sql += &format!(" AND ({}) {comparison} ({})", keys.join(", "), params.join(", "));
        next += keys.len();
    }
    let plus = if narrow { "+" } else { "" };
    let order: Vec<String> = keys.iter().map(|k| format!("{plus}{k} {direction}")).collect();
    let order = order.join(", ");
    sql += &format!(" ORDER BY {order} LIMIT ${next}");
    let count_sql = match condition {
        None => {
            "SELECT COALESCE((SELECT count FROM workspace_conversation_counts WHERE workspace_id = $1), 0)".to_string()
        }
        Some(c) => {
            // Text matches are counted in whatever order their index gives them (see
            // TEXT_COUNT_CAP); other filters walk the page's order.
            let (cap, order) = match c.matches_text {
                true => (TEXT_COUNT_CAP, String::new()),
                false => (TOTAL_COUNT_CAP, format!(" ORDER BY {order}")),
            };
            format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE workspace_id = $1{filter}{order} LIMIT {cap}) AS m"
            )
        }
    };
    (sql, count_sql)
}
