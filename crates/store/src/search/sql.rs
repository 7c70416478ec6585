//! Field → SQL mapping and the SQL text of each operator. Every value goes through
//! [`Builder::bind`]; the only text spliced into SQL comes from the whitelists in this file.
use rapport_core::ids::WorkspaceId;
use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;
use rapport_core::search::{self as dsl, fields, Combinator, FieldType, Model, Operand, Operator, SearchError};

use crate::workspaces::Workspace;
use crate::{Arg, Backend};

/// How a field is read in SQL.
#[derive(Debug, Clone)]
enum Target {
    /// A column, or a whitelisted expression over columns, compared directly.
    Expr(&'static str),
    /// A text column stored in lower case (emails), so equality values are lower-cased too.
    Lower(&'static str),
    /// A text column with a trigram index (migration 0014).
    Trigram(Trigram),
    /// `companies.name` of contacts: any company the contact is attached to.
    CompanyName,
    /// Message text where `=`/`~` (and their negations) match every word of the value.
    Words(TextField),
    /// An assignee column, where `0` and `null` both mean "unassigned".
    Assignee(&'static str),
    /// Ids of tags applied to the row (`taggings.target_type` given).
    Tagged(&'static str),
    /// The conversation's contacts.
    ConversationContacts,
    /// The teammates (admins) assigned to or having written in the conversation.
    Teammates,
    /// The teammates @mentioned in a note of the conversation (`conversation_mentions`).
    Mentioned,
    /// The state of the conversation's SLA (`conversation_slas`, at most one row).
    SlaState,
    /// `segment_id`: there are no segments yet.
    Segment,
    /// A custom attribute read from the `custom_attributes` JSON document.
    Custom(String),
}

/// The least string greater than every string that starts with `prefix` (in code point order, which
/// is SQLite's byte order of UTF-8): the prefix with its last character moved on by one. `None`
/// when there is none (empty, or only U+10FFFF characters): the range is then open above.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (u32::from(last) + 1..=0x10FFFF).find_map(char::from_u32) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A text column of contacts or companies with a trigram index (migration 0014): pg_trgm on
/// `LOWER(column)` on PostgreSQL, a column of an FTS5 `trigram` table on SQLite.
#[derive(Debug, Clone, Copy)]
struct Trigram {
    /// The table holding the column.
    table: &'static str,
    column: &'static str,
    /// The FTS5 table holding the column (SQLite), whose rowid is the row's `id`.
    fts: &'static str,
    /// Whether the column is stored in lower case (emails): values are lower-cased too.
    lower: bool,
}

const CONTACT_NAME: Trigram = Trigram { table: "contacts", column: "name", fts: "contacts_fts", lower: false };
const CONTACT_EMAIL: Trigram = Trigram { table: "contacts", column: "email", fts: "contacts_fts", lower: true };
const COMPANY_NAME: Trigram = Trigram { table: "companies", column: "name", fts: "companies_fts", lower: false };

/// The message text the search can match word by word, each with its full-text index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum TextField {
    /// `source.body`: the opening message (`conversations.source_body`).
    SourceBody,
    /// `parts.body` (Rapport extension): any part of the conversation, notes included.
    PartsBody,
}

impl TextField {
    pub(super) fn of(field: &str) -> Option<TextField> {
        match field {
            "source.body" => Some(TextField::SourceBody),
            "parts.body" => Some(TextField::PartsBody),
            _ => None,
        }
    }
}

/// The words of a text value, split on whitespace.
pub(super) fn words_of(value: &str) -> Vec<&str> {
    value.split_whitespace().collect()
}

/// The FTS5 query that narrows rows to those containing every word of 3+ characters (the
/// trigram tokenizer cannot index shorter ones), or `None` when no word is that long. Each word
/// is a double-quoted FTS5 string with inner quotes doubled: whatever it contains (`NEAR`, `*`,
/// `-`, parentheses, `OR`, quotes) is literal text, never query syntax. A word holding a NUL
/// (which ends an FTS5 query's text: "unterminated string") is left to the LIKE that decides;
/// `rapport_core::search::parse` refuses such values anyway.
pub(super) fn fts_query(words: &[&str]) -> Option<String> {
    let quoted: Vec<String> = words
        .iter()
        .filter(|w| w.chars().count() >= 3 && !w.contains('\0'))
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!quoted.is_empty()).then(|| quoted.join(" AND "))
}

fn target(model: Model, field: &str) -> Option<Target> {
    use Target::*;
    if let Some(name) = fields::custom_attribute_name(field) {
        return Some(Custom(name.to_string()));
    }
    let common = match field {
        "id" => Some(Expr("id")),
        "created_at" => Some(Expr("created_at")),
        "updated_at" => Some(Expr("updated_at")),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    Some(match model {
        Model::Contacts => match field {
            "role" => Expr("role"),
            "name" => Trigram(CONTACT_NAME),
            "avatar" => Expr("avatar"),
            "owner_id" => Expr("owner_id"),
            "email" => Trigram(CONTACT_EMAIL),
            "companies.name" => CompanyName,
            "email_domain" => Lower("email_domain"),
            "phone" => Expr("phone"),
            "external_id" => Expr("external_id"),
            "signed_up_at" => Expr("signed_up_at"),
            "last_seen_at" => Expr("last_seen_at"),
            "last_contacted_at" => Expr("last_contacted_at"),
            "last_replied_at" => Expr("last_replied_at"),
            "last_email_opened_at" => Expr("last_email_opened_at"),
            "last_email_clicked_at" => Expr("last_email_clicked_at"),
            "language_override" => Expr("language_override"),
            "browser" => Expr("browser"),
            "browser_version" => Expr("browser_version"),
            "browser_language" => Expr("browser_language"),
            "os" => Expr("os"),
            "location.country" => Expr("location_country"),
            "location.region" => Expr("location_region"),
            "location.city" => Expr("location_city"),
            "location.country_code" => Expr("location_country_code"),
            "location.continent_code" => Expr("location_continent_code"),
            "unsubscribed_from_emails" => Expr("unsubscribed_from_emails"),
            "marked_email_as_spam" => Expr("marked_email_as_spam"),
            "has_hard_bounced" => Expr("has_hard_bounced"),
            "segment_id" => Segment,
            "tag_id" => Tagged("contact"),
            _ => return None,
        },
        Model::Conversations => match field {
            "title" => Expr("title"),
            "state" => Expr("state"),
            "open" => Expr("(state <> 'closed')"),
            "read" => Expr("read"),
            "priority" => Expr("priority"),
            "admin_assignee_id" => Assignee("admin_assignee_id"),
            "team_assignee_id" => Assignee("team_assignee_id"),
            "waiting_since" => Expr("waiting_since"),
            "snoozed_until" => Expr("snoozed_until"),
            "source.type" => Expr("source_type"),
            "source.delivered_as" => Expr("source_delivered_as"),
            "source.subject" => Expr("source_subject"),
            "source.body" => Words(TextField::SourceBody),
            "parts.body" => Words(TextField::PartsBody),
            "source.author.id" => Expr("source_author_id"),
            "source.author.type" => Expr("source_author_type"),
            "source.url" => Expr("source_url"),
            "sla_state" => SlaState,
            "contact_ids" => ConversationContacts,
            "teammate_ids" => Teammates,
            "mentioned_admin_ids" => Mentioned,
            "tag_ids" => Tagged("conversation"),
            "statistics.time_to_assignment" => Expr("(first_assignment_at - created_at)"),
            "statistics.time_to_admin_reply" => Expr("(first_admin_reply_at - created_at)"),
            "statistics.time_to_first_close" => Expr("(first_close_at - created_at)"),
            "statistics.time_to_last_close" => Expr("(last_close_at - created_at)"),
            "statistics.first_contact_reply_at" => Expr("first_contact_reply_at"),
            "statistics.first_assignment_at" => Expr("first_assignment_at"),
            "statistics.first_admin_reply_at" => Expr("first_admin_reply_at"),
            "statistics.first_close_at" => Expr("first_close_at"),
            "statistics.last_assignment_at" => Expr("last_assignment_at"),
            "statistics.last_contact_reply_at" => Expr("last_contact_reply_at"),
            "statistics.last_admin_reply_at" => Expr("last_admin_reply_at"),
            "statistics.last_close_at" => Expr("last_close_at"),
            "statistics.last_closed_by_id" => Expr("last_closed_by_id"),
            "statistics.count_reopens" => Expr("count_reopens"),
            "statistics.count_assignments" => Expr("count_assignments"),
            "statistics.count_conversation_parts" => Expr("count_parts"),
            _ => return None,
        },
    })
}

fn fail<T>(message: String) -> Result<T, SearchError> {
    Err(SearchError(message))
}

/// `NOT p`, where rows for which `p` is unknown (NULL columns) count as not matching `p`.
fn negate(positive: &str) -> String {
    format!("(NOT COALESCE({positive}, FALSE))")
}

/// A LIKE pattern matching `value` literally (`%`, `_` and `\` escaped for `ESCAPE '\'`).
fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Builds the SQL of one query, collecting its binds.
pub(super) struct Builder<'a> {
    backend: Backend,
    model: Model,
    workspace_id: WorkspaceId,
    tz: Tz,
    custom: &'a HashMap<String, FieldType>,
    /// Text filters (field, value) matching so many rows that scanning in page order and
    /// checking each row beats collecting every match from the full-text index (SQLite).
    dense: &'a HashSet<(TextField, String)>,
    next: usize,
    pub(super) binds: Vec<Arg>,
    /// Whether the query checks message text (`source.body`, `parts.body`).
    pub(super) matches_text: bool,
    /// Whether a filter that every match must pass (a top-level conjunct) names its rows from
    /// a relation's index, so few that reading them and sorting beats walking the page order:
    /// `id`, `contact_ids` or `mentioned_admin_ids` with `=`/`IN` (see `SqlCondition::narrow`).
    pub(super) narrow: bool,
    /// The SLA states a top-level `sla_state =`/`IN` filter asks for: narrow when the
    /// maintained counts say they are few (`search::compile`).
    pub(super) sla_states: Option<Vec<String>>,
    /// What the last filter compiled narrows: (by a relation, SLA states).
    last: (bool, Option<Vec<String>>),
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        backend: Backend,
        model: Model,
        workspace: &Workspace,
        custom: &'a HashMap<String, FieldType>,
        dense: &'a HashSet<(TextField, String)>,
        first_param: usize,
    ) -> Self {
        Builder {
            backend,
            model,
            workspace_id: workspace.id,
            tz: dsl::timezone(&workspace.timezone),
            custom,
            dense,
            next: first_param,
            binds: Vec::new(),
            matches_text: false,
            narrow: false,
            sla_states: None,
            last: (false, None),
        }
    }

    /// Adds a bind and returns its placeholder.
    fn bind(&mut self, value: Arg) -> String {
        let placeholder = format!("${}", self.next);
        self.next += 1;
        self.binds.push(value);
        placeholder
    }

    pub(super) fn query(&mut self, query: &dsl::Query) -> Result<String, SearchError> {
        self.query_in(query, true)
    }

    /// `conjunct`: every match must pass `query` (it is the query or under ANDs only).
    fn query_in(&mut self, query: &dsl::Query, conjunct: bool) -> Result<String, SearchError> {
        match query {
            dsl::Query::Filter(filter) => {
                self.last = (false, None);
                let sql = self.filter(filter)?;
                let (narrows, sla_states) = std::mem::take(&mut self.last);
                if conjunct {
                    self.narrow |= narrows;
                    if sla_states.is_some() {
                        self.sla_states = sla_states;
                    }
                }
                Ok(sql)
            }
            dsl::Query::Group { combinator, entries } => {
                let joiner = match combinator {
                    Combinator::And => " AND ",
                    Combinator::Or => " OR ",
                };
                let conjunct = conjunct && *combinator == Combinator::And;
                let parts = entries.iter().map(|e| self.query_in(e, conjunct)).collect::<Result<Vec<_>, _>>()?;
                Ok(format!("({})", parts.join(joiner)))
            }
        }
    }

    fn filter(&mut self, filter: &dsl::Filter) -> Result<String, SearchError> {
        let field = filter.field.as_str();
        let target = target(self.model, field);
        let kind = match &target {
            Some(Target::Custom(name)) => self.custom.get(name).copied(),
            Some(_) => fields::field_type(self.model, field),
            None => None,
        };
        let (Some(target), Some(kind)) = (target, kind) else {
            return fail(format!("unknown field {:?}", field.chars().take(64).collect::<String>()));
        };
        let operand = dsl::check(filter, kind, self.tz)?;
        let op = filter.operator;
        let positive_set = matches!(op, Operator::Eq | Operator::In);
        if positive_set && self.model == Model::Conversations {
            self.last.0 = matches!(field, "id" | "contact_ids" | "mentioned_admin_ids")
                && matches!(operand, Operand::Int(_) | Operand::Ints(_));
        }
        match target {
            Target::Expr(expr) => Ok(self.compare(expr, op, &operand)),
            Target::SlaState => {
                let states: Vec<String> = match (&operand, positive_set) {
                    (Operand::Text(state), true) => vec![state.clone()],
                    (Operand::Texts(states), true) => states.clone(),
                    _ => {
                        let expr =
                            "(SELECT s.state FROM conversation_slas s WHERE s.conversation_id = conversations.id)";
                        return Ok(self.compare(expr, op, &operand));
                    }
                };
                if states.is_empty() {
                    return Ok("(1 = 0)".to_string());
                }
                // The same rows as comparing the correlated state, read from the SLAs' index by
                // state instead of probing each conversation in page order.
                let ws = self.bind(Arg::from(self.workspace_id));
                let placeholders =
                    states.iter().map(|s| self.bind(Arg::from(s.clone()))).collect::<Vec<_>>().join(", ");
                self.last.1 = Some(states);
                Ok(format!(
                    "id IN (SELECT conversation_id FROM conversation_slas WHERE workspace_id = {ws} \
                     AND state IN ({placeholders}))"
                ))
            }
            Target::Custom(name) => {
                let expr = self.custom_expr(&name, kind)?;
                Ok(self.compare(&expr, op, &operand))
            }
            Target::Lower(column) => Ok(self.compare(column, op, &lowered(operand))),
            Target::Trigram(index) => {
                let operand = if index.lower { lowered(operand) } else { operand };
                Ok(self.trigram(index, op, &operand))
            }
            Target::CompanyName => Ok(self.company_name(op, &operand)),
            Target::Words(field) => self.words(field, op, &operand),
            Target::Assignee(column) => Ok(self.assignee(column, op, &operand)),
            Target::Tagged(target_type) => {
                let ids = self.id_list(&operand);
                let ws = self.bind(Arg::from(self.workspace_id));
                let positive = format!(
                    "id IN (SELECT target_id FROM taggings WHERE workspace_id = {ws} AND target_type = '{target_type}' \
                     AND tag_id IN ({ids}))"
                );
                Ok(self.polarity(op, positive))
            }
            Target::ConversationContacts => {
                let ids = self.id_list(&operand);
                let ws = self.bind(Arg::from(self.workspace_id));
                // The conversation's own contact is one of its participants (migration 0030), so
                // participants alone answer, read by contact: an OR with `contact_id` here made
                // both planners scan the conversations.
                let positive = format!(
                    "id IN (SELECT conversation_id FROM conversation_contacts \
                     WHERE workspace_id = {ws} AND contact_id IN ({ids}))"
                );
                Ok(self.polarity(op, positive))
            }
            Target::Teammates => {
                let ids = self.id_list(&operand);
                let ws = self.bind(Arg::from(self.workspace_id));
                let positive = format!(
                    "(admin_assignee_id IN ({ids}) OR id IN (SELECT conversation_id FROM conversation_parts \
                     WHERE workspace_id = {ws} AND author_type = 'admin' AND author_id IN ({ids})))"
                );
                Ok(self.polarity(op, positive))
            }
            Target::Mentioned => {
                let ids = self.id_list(&operand);
                let ws = self.bind(Arg::from(self.workspace_id));
                let positive = format!(
                    "id IN (SELECT conversation_id FROM conversation_mentions WHERE workspace_id = {ws} \
                     AND admin_id IN ({ids}))"
                );
                Ok(self.polarity(op, positive))
            }
            Target::Segment => match operand {
                Operand::Int(id) => fail(format!("unknown segment {id} (field segment_id)")),
                _ => fail("unknown segment (field segment_id)".to_string()),
            },
        }
    }

    /// The positive condition for `=`/`IN`, negated for `!=`/`NIN`.
    fn polarity(&self, op: Operator, positive: String) -> String {
        match op {
            Operator::Ne | Operator::Nin => negate(&positive),
            _ => positive,
        }
    }

    /// Binds the ids of a `Reference`/`Tag` operand and returns their placeholders, comma-separated.
    /// Placeholders may be used more than once in the SQL text: both engines allow it.
    fn id_list(&mut self, operand: &Operand) -> String {
        let ids: Vec<i64> = match operand {
            Operand::Int(id) => vec![*id],
            Operand::Ints(ids) => ids.clone(),
            _ => Vec::new(),
        };
        if ids.is_empty() {
            // Unreachable for checked operands; an empty IN list would be a syntax error.
            return "NULL".to_string();
        }
        ids.into_iter().map(|id| self.bind(Arg::from(id))).collect::<Vec<_>>().join(", ")
    }

    /// The typed value of a custom attribute; values of another JSON type read as NULL, the same
    /// on both engines. The attribute's name is bound, never spliced.
    fn custom_expr(&mut self, name: &str, kind: FieldType) -> Result<String, SearchError> {
        match self.backend {
            Backend::Sqlite => {
                if name.contains('"') || name.contains('\\') {
                    return fail(format!("custom attribute {name:?} cannot be searched"));
                }
                let path = self.bind(Arg::from(format!("$.\"{name}\"")));
                let types = match kind {
                    FieldType::Text => "'text'",
                    FieldType::Boolean => "'true', 'false'",
                    _ => "'integer', 'real'",
                };
                Ok(format!(
                    "(CASE WHEN json_type(custom_attributes, {path}) IN ({types}) \
                     THEN json_extract(custom_attributes, {path}) END)"
                ))
            }
            Backend::Postgres => {
                let key = self.bind(Arg::from(name.to_string()));
                let (json_type, cast) = match kind {
                    FieldType::Text => ("string", ""),
                    FieldType::Boolean => ("boolean", "::boolean"),
                    FieldType::Float => ("number", "::float8"),
                    _ => ("number", "::numeric"),
                };
                Ok(format!(
                    "(CASE WHEN jsonb_typeof(custom_attributes::jsonb -> {key}) = '{json_type}' \
                     THEN (custom_attributes::jsonb ->> {key}){cast} END)"
                ))
            }
        }
    }

    /// `expr <op> value` for plain columns and expressions.
    fn compare(&mut self, expr: &str, op: Operator, operand: &Operand) -> String {
        use Operator::*;
        let positive = match (op, operand) {
            (Eq, Operand::Null) => return format!("({expr} IS NULL)"),
            (Ne, Operand::Null) => return format!("({expr} IS NOT NULL)"),
            (_, Operand::Day { start, end }) => {
                let (start, end) = (*start, *end);
                return match op {
                    Eq => {
                        let (s, e) = (self.bind(Arg::from(start)), self.bind(Arg::from(end)));
                        format!("({expr} >= {s} AND {expr} < {e})")
                    }
                    Lt => format!("({expr} < {})", self.bind(Arg::from(start))),
                    Gt => format!("({expr} >= {})", self.bind(Arg::from(end))),
                    Le => format!("({expr} < {})", self.bind(Arg::from(end))),
                    _ => format!("({expr} >= {})", self.bind(Arg::from(start))),
                };
            }
            (Contains | NotContains, Operand::Text(v)) => self.like(expr, format!("%{}%", like_escape(v))),
            (StartsWith, Operand::Text(v)) => return self.like(expr, format!("{}%", like_escape(v))),
            (EndsWith, Operand::Text(v)) => return self.like(expr, format!("%{}", like_escape(v))),
            (In | Nin, list) => {
                let values: Vec<Arg> = match list {
                    Operand::Ints(v) => v.iter().map(|i| Arg::from(*i)).collect(),
                    Operand::Floats(v) => v.iter().map(|f| Arg::from(*f)).collect(),
                    Operand::Texts(v) => v.iter().map(|s| Arg::from(s.clone())).collect(),
                    _ => Vec::new(),
                };
                if values.is_empty() {
                    return "(1 = 0)".to_string();
                }
                let placeholders = values.into_iter().map(|v| self.bind(v)).collect::<Vec<_>>().join(", ");
                format!("({expr} IN ({placeholders}))")
            }
            (_, value) => {
                let symbol = match op {
                    Lt => "<",
                    Gt => ">",
                    Le => "<=",
                    Ge => ">=",
                    _ => "=",
                };
                let placeholder = self.bind(scalar(value));
                format!("({expr} {symbol} {placeholder})")
            }
        };
        match op {
            Ne | Nin | NotContains => negate(&positive),
            _ => positive,
        }
    }

    /// [`Self::compare`] on a column with a trigram index. On SQLite a LIKE operator (`~`, `!~`,
    /// `^`, `$`) whose value has 3+ characters also requires the row to be among the FTS5 hits of
    /// the value (one quoted phrase, see [`fts_query`]): the index narrows the candidates, the
    /// LIKE decides, so the answer is the LIKE scan's. PostgreSQL's planner serves the same LIKE
    /// from the pg_trgm index itself, for `^` of any length too (a prefix has the word-start
    /// trigrams); `^` on SQLite reads a range of an index instead (see [`Self::prefix`]); other
    /// values under 3 characters are scanned on both engines.
    fn trigram(&mut self, index: Trigram, op: Operator, operand: &Operand) -> String {
        use Operator::*;
        if let (StartsWith, Operand::Text(value), Backend::Sqlite) = (op, operand, self.backend) {
            return self.prefix(index, value);
        }
        let phrase = match (op, operand) {
            (Contains | NotContains | StartsWith | EndsWith, Operand::Text(v)) if self.backend == Backend::Sqlite => {
                fts_query(&[v.as_str()])
            }
            _ => None,
        };
        let Some(phrase) = phrase else {
            return self.compare(index.column, op, operand);
        };
        let like = self.compare(index.column, if op == NotContains { Contains } else { op }, operand);
        let (fts, column) = (index.fts, index.column);
        let phrase = self.bind(Arg::from(format!("{column} : {phrase}")));
        let positive = format!("(id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {phrase}) AND {like})");
        if op == NotContains {
            negate(&positive)
        } else {
            positive
        }
    }

    /// `^` on SQLite: the rows whose lower-cased column lies in the range of strings starting with
    /// the value, read from the index of migration 0027, and the LIKE decides as everywhere.
    /// SQLite's `LOWER` folds ASCII letters only, hence `to_ascii_lowercase` for the bounds.
    fn prefix(&mut self, index: Trigram, value: &str) -> String {
        let like = self.compare(index.column, Operator::StartsWith, &Operand::Text(value.to_string()));
        let (table, column) = (index.table, index.column);
        let low = value.to_ascii_lowercase();
        let ws = self.bind(Arg::from(self.workspace_id));
        let mut range = format!("LOWER({column}) >= {}", self.bind(Arg::from(low.clone())));
        if let Some(high) = prefix_end(&low) {
            range += &format!(" AND LOWER({column}) < {}", self.bind(Arg::from(high)));
        }
        format!("(id IN (SELECT id FROM {table} WHERE workspace_id = {ws} AND {range}) AND {like})")
    }

    /// `companies.name`: the contact is attached to a company whose name matches; the negative
    /// operators (`!=`, `NIN`, `!~`) match contacts none of whose companies matches. PostgreSQL
    /// reads the ids as an array so the condition stays an index condition inside an `OR` (the
    /// app's name OR email OR company search is then one bitmap OR of three index scans).
    fn company_name(&mut self, op: Operator, operand: &Operand) -> String {
        use Operator::*;
        let (positive_op, negative) = match op {
            Ne => (Eq, true),
            Nin => (In, true),
            NotContains => (Contains, true),
            other => (other, false),
        };
        let name = self.trigram(COMPANY_NAME, positive_op, operand);
        let ws = self.bind(Arg::from(self.workspace_id));
        let contacts = format!(
            "SELECT cc.contact_id FROM (SELECT id FROM companies WHERE workspace_id = {ws} AND {name}) co \
             JOIN contact_companies cc ON cc.company_id = co.id WHERE cc.workspace_id = {ws}"
        );
        let positive = match self.backend {
            Backend::Sqlite => format!("(id IN ({contacts}))"),
            Backend::Postgres => format!("(id = ANY(ARRAY({contacts})))"),
        };
        if negative {
            negate(&positive)
        } else {
            positive
        }
    }

    /// Case-insensitive LIKE; the same expression on both engines.
    fn like(&mut self, expr: &str, pattern: String) -> String {
        let placeholder = self.bind(Arg::from(pattern));
        format!("(LOWER({expr}) LIKE LOWER({placeholder}) ESCAPE '\\')")
    }

    /// `source.body` / `parts.body`: `=`/`~` match when every word of the value appears
    /// (case-insensitive substring), `!=`/`!~` when not; for `parts.body`, every word in the same
    /// part. The LIKE checks decide; the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL)
    /// only narrows the candidates, so both engines answer exactly what the LIKE scan did.
    fn words(&mut self, field: TextField, op: Operator, operand: &Operand) -> Result<String, SearchError> {
        use Operator::*;
        let value = match operand {
            Operand::Text(value) if matches!(op, Eq | Ne | Contains | NotContains) => value,
            _ => {
                return match field {
                    TextField::SourceBody => Ok(self.compare("source_body", op, operand)),
                    TextField::PartsBody => fail("parts.body takes a text value with ~, !~, = or !=".to_string()),
                }
            }
        };
        self.matches_text = true;
        let words = words_of(value);
        let positive = if words.is_empty() {
            "(1 = 1)".to_string()
        } else {
            let indexed = self.backend == Backend::Sqlite && !self.dense.contains(&(field, value.clone()));
            let fts = fts_query(&words).filter(|_| indexed);
            match field {
                TextField::SourceBody => self.source_words(&words, fts),
                TextField::PartsBody => self.part_words(&words, fts),
            }
        };
        Ok(match op {
            Ne | NotContains => negate(&positive),
            _ => positive,
        })
    }

    fn likes(&mut self, column: &str, words: &[&str]) -> Vec<String> {
        words.iter().map(|w| self.like(column, format!("%{}%", like_escape(w)))).collect()
    }

    fn source_words(&mut self, words: &[&str], fts: Option<String>) -> String {
        let mut checks = Vec::new();
        if let Some(fts) = fts {
            let fts = self.bind(Arg::from(fts));
            checks.push(format!(
                "id IN (SELECT rowid FROM conversations_source_fts WHERE conversations_source_fts MATCH {fts})"
            ));
        }
        checks.extend(self.likes("source_body", words));
        format!("({})", checks.join(" AND "))
    }

    /// With an FTS query: the conversations of the matching parts, collected through the index.
    /// Without (PostgreSQL, whose planner picks between the GIN index and an ordered scan itself;
    /// dense words; words under 3 characters): a per-conversation check of its parts.
    fn part_words(&mut self, words: &[&str], fts: Option<String>) -> String {
        match fts {
            Some(fts) => {
                let fts = self.bind(Arg::from(fts));
                let ws = self.bind(Arg::from(self.workspace_id));
                let likes = self.likes("p.body", words).join(" AND ");
                format!(
                    "(id IN (SELECT p.conversation_id FROM conversation_parts p WHERE p.workspace_id = {ws} \
                     AND p.id IN (SELECT rowid FROM conversation_parts_fts WHERE conversation_parts_fts MATCH {fts}) \
                     AND {likes}))"
                )
            }
            None => {
                let likes = self.likes("p.body", words).join(" AND ");
                format!(
                    "(EXISTS (SELECT 1 FROM conversation_parts p WHERE p.conversation_id = conversations.id \
                     AND {likes}))"
                )
            }
        }
    }

    /// Assignee ids, where `0` and `null` both mean "unassigned", stored as NULL (migration 0009
    /// normalised old zeros), so "unassigned" is one index range.
    fn assignee(&mut self, column: &'static str, op: Operator, operand: &Operand) -> String {
        use Operator::*;
        let ids: Vec<i64> = match (op, operand) {
            (Eq | Ne, Operand::Null) => vec![0],
            (Eq | Ne, Operand::Int(id)) => vec![*id],
            (In | Nin, Operand::Ints(ids)) => ids.clone(),
            _ => return self.compare(column, op, operand),
        };
        let mut parts = Vec::new();
        if ids.contains(&0) {
            parts.push(format!("{column} IS NULL"));
        }
        let assigned: Vec<String> = ids.iter().filter(|id| **id != 0).map(|id| self.bind(Arg::from(*id))).collect();
        if !assigned.is_empty() {
            parts.push(format!("{column} IN ({})", assigned.join(", ")));
        }
        let positive = format!("({})", parts.join(" OR "));
        match op {
            Ne | Nin => negate(&positive),
            _ => positive,
        }
    }
}

/// A text operand in lower case, for columns stored in lower case.
fn lowered(operand: Operand) -> Operand {
    match operand {
        Operand::Text(v) => Operand::Text(v.to_lowercase()),
        Operand::Texts(v) => Operand::Texts(v.iter().map(|s| s.to_lowercase()).collect()),
        other => other,
    }
}

fn scalar(operand: &Operand) -> Arg {
    match operand {
        Operand::Int(i) => Arg::from(*i),
        Operand::Float(f) => Arg::from(*f),
        Operand::Bool(b) => Arg::from(*b),
        Operand::Text(s) => Arg::from(s.clone()),
        // Lists, days and null are handled before; NULL never matches `=`.
        _ => Arg::from(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_field_has_sql() {
        for model in [Model::Contacts, Model::Conversations] {
            for (field, _) in fields::catalogue(model) {
                assert!(target(model, field).is_some(), "{field} has no SQL mapping");
            }
        }
    }

    #[test]
    fn a_prefix_range_ends_at_the_next_character() {
        assert_eq!(prefix_end("sm").as_deref(), Some("sn"));
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"), "surrogates are skipped");
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn fts_phrases_are_quoted_and_never_hold_a_nul() {
        assert_eq!(fts_query(&["say\"hi\"", "ab", "NEAR(x"]).as_deref(), Some(r#""say""hi""" AND "NEAR(x""#));
        assert_eq!(fts_query(&["nul\0here", "fine"]).as_deref(), Some(r#""fine""#));
        assert_eq!(fts_query(&["\0\0\0"]), None);
    }

    #[test]
    fn like_escape_escapes_wildcards_and_backslash() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }
}
