//! The ordered event log (outbox): every change to a conversation is recorded here in the same
//! transaction as the change, with a gapless per-workspace sequence number. Live delivery (and
//! later webhooks, mail and automations) reads from here; see `docs/REALTIME.md`.
//!
//! Writers [`append`] inside their write transaction ([`Tx`]); its commit rings the node's
//! doorbell (`Db::committed`).
use rapport_core::conversation::AuthorType;
use rapport_core::event::EventKind;
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};
use serde::Serialize;
use serde_json::{json, Value};

use crate::{now, Backend, Conn, Db, Stmt, StoreResult, Tx};

/// Who may see an event: `Everyone` includes the conversation's contacts (their messenger),
/// `Admins` only the workspace's teammates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Everyone,
    Admins,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Everyone => "everyone",
            Audience::Admins => "admins",
        }
    }
}

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub workspace_id: WorkspaceId,
    pub kind: EventKind,
    pub conversation_id: Option<ConversationId>,
    pub audience: Audience,
    pub payload: Value,
    pub created_at: i64,
}

/// A stored event.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Event {
    pub workspace_id: WorkspaceId,
    pub seq: i64,
    /// As stored: older releases may have written kinds this one does not know ([`Event::known_kind`]).
    pub kind: String,
    pub conversation_id: Option<ConversationId>,
    /// `everyone` or `admins`.
    pub audience: String,
    /// JSON text.
    pub payload: String,
    pub created_at: i64,
}

impl Event {
    /// The payload as JSON (an unreadable payload reads as `null`).
    pub fn payload(&self) -> Value {
        serde_json::from_str(&self.payload).unwrap_or(Value::Null)
    }

    /// The kind, when it is one this release writes.
    pub fn known_kind(&self) -> Option<EventKind> {
        self.kind.parse().ok()
    }

    pub fn is_for_everyone(&self) -> bool {
        self.audience == Audience::Everyone.as_str()
    }

    /// The ids of the conversation's contacts when the event was written.
    pub fn contact_ids(&self) -> Vec<ContactId> {
        self.payload()["conversation"]["contact_ids"]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_i64).map(ContactId::new).collect())
            .unwrap_or_default()
    }
}

/// Appends `event` inside `tx`; answers its sequence number. The event takes the workspace's
/// next number in one statement, and `tx`'s commit announces it.
pub async fn append(tx: &mut Tx, event: &NewEvent) -> StoreResult<i64> {
    let sql = match tx.backend() {
        Backend::Sqlite => SQLITE_APPEND,
        Backend::Postgres => POSTGRES_APPEND,
    };
    let seq = tx
        .scalar(
            Stmt::new(sql)
                .arg(event.workspace_id)
                .arg(event.kind.as_str())
                .arg(event.conversation_id)
                .arg(event.audience.as_str())
                .arg(event.payload.to_string())
                .arg(event.created_at),
        )
        .await?;
    // `Committed` (db.rs) still carries the raw id.
    tx.appended(event.workspace_id.get(), seq);
    Ok(seq)
}

/// SQLite: the insert reads the last number, and the `event_log_advances_sequence` trigger
/// (migration 0028) records the new one, so a write turn spends one statement on its event.
/// Writers take turns (see `write_tx.rs`), so no other writer reads the same number.
const SQLITE_APPEND: &str = "INSERT INTO event_log \
    (workspace_id, seq, kind, conversation_id, audience, payload, created_at) \
    VALUES ($1, COALESCE((SELECT last_seq FROM event_sequences WHERE workspace_id = $1), 0) + 1, \
    $2, $3, $4, $5, $6) RETURNING seq";

/// PostgreSQL: the sequence row's update locks it until the commit, so concurrent writers of a
/// workspace take numbers one after the other, and the log stays gapless in commit order.
const POSTGRES_APPEND: &str = "WITH next AS (INSERT INTO event_sequences (workspace_id, last_seq) \
    VALUES ($1, 1) ON CONFLICT (workspace_id) DO UPDATE SET last_seq = event_sequences.last_seq + 1 \
    RETURNING last_seq) \
    INSERT INTO event_log (workspace_id, seq, kind, conversation_id, audience, payload, created_at) \
    SELECT $1, last_seq, $2, $3, $4, $5, $6 FROM next RETURNING seq";

/// The workspace's last sequence number (0 before its first event).
pub async fn last_seq(db: &Db, workspace_id: WorkspaceId) -> StoreResult<i64> {
    let sql = "SELECT last_seq FROM event_sequences WHERE workspace_id = $1";
    let seq: Option<i64> = db.read().scalar_optional(Stmt::new(sql).arg(workspace_id)).await?;
    Ok(seq.unwrap_or(0))
}

/// Up to `limit` events with `seq > after`, in order.
pub async fn after(db: &Db, workspace_id: WorkspaceId, after: i64, limit: i64) -> StoreResult<Vec<Event>> {
    let sql = "SELECT workspace_id, seq, kind, conversation_id, audience, payload, created_at FROM event_log \
               WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(after).arg(limit)).await
}

/// Where a consumer (`webhooks`, `mail`, …) stopped reading this workspace's log (0 = nothing read).
pub async fn cursor(db: &Db, workspace_id: WorkspaceId, consumer: &str) -> StoreResult<i64> {
    let sql = "SELECT seq FROM event_cursors WHERE workspace_id = $1 AND consumer = $2";
    let seq: Option<i64> = db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(consumer)).await?;
    Ok(seq.unwrap_or(0))
}

/// Records that `consumer` has handled every event up to `seq`. A cursor never moves backwards.
pub async fn save_cursor(db: &Db, workspace_id: WorkspaceId, consumer: &str, seq: i64) -> StoreResult<()> {
    let upsert = Stmt::new(
        "INSERT INTO event_cursors (workspace_id, consumer, seq, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at \
         WHERE event_cursors.seq < excluded.seq",
    )
    .arg(workspace_id)
    .arg(consumer)
    .arg(seq)
    .arg(now());
    let mut tx = db.begin().await?;
    tx.execute(upsert).await?;
    tx.commit().await
}

/// The author of a part as the live payloads show it.
pub(crate) fn author(author_type: AuthorType, id: i64, name: Option<&str>) -> Value {
    json!({"type": author_type, "id": id, "name": name})
}
