//! The shapes the live path shows (event payloads, WebSocket frames, messenger answers): a
//! conversation's summary and a part with its author and attachments. See `docs/REALTIME.md`.
use rapport_core::conversation::{AuthorType, ConversationState, PartType};
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use serde::Serialize;
use serde_json::{json, Value};

use super::Conversation;
use crate::{Conn, Db, OptionExt, Stmt, StoreResult};

/// A part as the live path shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LivePart {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub part_type: PartType,
    pub body: Option<String>,
    pub author: Value,
    pub client_id: Option<String>,
    pub attachments: Vec<AttachmentRef>,
    /// Teammates a note mentions (shown only when there are some, so visitors' parts are unchanged).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mentioned_admin_ids: Vec<AdminId>,
    pub created_at: i64,
}

/// An attachment as a part lists it; clients fetch the bytes by id.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct AttachmentRef {
    #[serde(skip)]
    pub part_id: Option<i64>,
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(crate::Row)]
struct PartRow {
    id: i64,
    conversation_id: ConversationId,
    part_type: PartType,
    body: Option<String>,
    author_type: AuthorType,
    author_id: i64,
    author_name: Option<String>,
    client_id: Option<String>,
    created_at: i64,
}

const PART_SELECT: &str = "SELECT p.id, p.conversation_id, p.part_type, p.body, p.author_type, p.author_id, \
    COALESCE(a.name, c.name) AS author_name, p.client_id, p.created_at FROM conversation_parts p \
    LEFT JOIN admins a ON p.author_type = 'admin' AND a.id = p.author_id AND a.workspace_id = p.workspace_id \
    LEFT JOIN contacts c ON p.author_type <> 'admin' AND c.id = p.author_id AND c.workspace_id = p.workspace_id";

/// The conversation's summary carried by every event about it.
pub fn summary(c: &Conversation, contact_ids: &[ContactId]) -> Value {
    json!({
        "id": c.id,
        "state": c.state,
        "open": c.state != ConversationState::Closed,
        "read": c.read,
        "admin_assignee_id": c.admin_assignee_id,
        "team_assignee_id": c.team_assignee_id,
        "contact_ids": contact_ids,
        "waiting_since": c.waiting_since,
        "snoozed_until": c.snoozed_until,
        "title": c.title,
        "updated_at": c.updated_at,
    })
}

/// Parts of a conversation in order, with authors and attachments: every part, or only those
/// its contacts see (`public_only`). At most `limit` parts after part id `after`.
pub async fn live_parts(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    public_only: bool,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<LivePart>> {
    let filter = if public_only { " AND p.part_type IN ('comment', 'close', 'open')" } else { "" };
    let sql = format!(
        "{PART_SELECT} WHERE p.workspace_id = $1 AND p.conversation_id = $2 AND p.id > $3{filter} ORDER BY p.id LIMIT $4"
    );
    let select = Stmt::new(sql).arg(workspace_id).arg(conversation_id).arg(after).arg(limit);
    let rows: Vec<PartRow> = db.read().fetch_all(select).await?;
    with_attachments(db, workspace_id, rows).await
}

/// One part by id.
pub async fn live_part(db: &Db, workspace_id: WorkspaceId, part_id: i64) -> StoreResult<LivePart> {
    let sql = format!("{PART_SELECT} WHERE p.workspace_id = $1 AND p.id = $2");
    let row: PartRow = db
        .read()
        .fetch_optional(Stmt::new(sql).arg(workspace_id).arg(part_id))
        .await?
        .or_not_found("conversation_part")?;
    with_attachments(db, workspace_id, vec![row]).await?.pop().or_not_found("conversation_part")
}

/// The last part contacts see (a `comment`, `close` or `open`) of each of the conversations.
pub async fn last_public_parts(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_ids: &[ConversationId],
) -> StoreResult<Vec<LivePart>> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{PART_SELECT} WHERE p.workspace_id = $1 AND p.id IN (SELECT MAX(id) FROM conversation_parts \
         WHERE workspace_id = $1 AND conversation_id IN ({}) AND part_type IN ('comment', 'close', 'open') \
         GROUP BY conversation_id) ORDER BY p.id",
        crate::placeholders(2, conversation_ids.len())
    );
    let rows: Vec<PartRow> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(conversation_ids)).await?;
    with_attachments(db, workspace_id, rows).await
}

/// The attachments of each of the parts, in upload order (one query).
pub(crate) async fn attachments_of(
    db: &Db,
    workspace_id: WorkspaceId,
    part_ids: &[i64],
) -> StoreResult<Vec<AttachmentRef>> {
    if part_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT part_id, id, name, content_type, size FROM attachments WHERE workspace_id = $1 \
         AND part_id IN ({}) ORDER BY id",
        crate::placeholders(2, part_ids.len())
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(part_ids)).await
}

/// `(part_id, admin_id)` of every teammate the parts mention (one query).
pub(crate) async fn mentions_of(
    db: &Db,
    workspace_id: WorkspaceId,
    part_ids: &[i64],
) -> StoreResult<Vec<(i64, AdminId)>> {
    if part_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT part_id, admin_id FROM conversation_mentions WHERE workspace_id = $1 AND part_id IN ({}) \
         ORDER BY part_id, admin_id",
        crate::placeholders(2, part_ids.len())
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(part_ids)).await
}

/// The admins each part mentions, from [`mentions_of`]'s rows.
pub(crate) fn mentioned_by(mentions: &[(i64, AdminId)], part_id: i64) -> Vec<AdminId> {
    mentions.iter().filter(|(part, _)| *part == part_id).map(|(_, admin)| *admin).collect()
}

async fn with_attachments(db: &Db, workspace_id: WorkspaceId, rows: Vec<PartRow>) -> StoreResult<Vec<LivePart>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attachments = attachments_of(db, workspace_id, &ids).await?;
    let notes: Vec<i64> = rows.iter().filter(|r| r.part_type == PartType::Note).map(|r| r.id).collect();
    let mentions = mentions_of(db, workspace_id, &notes).await?;
    Ok(rows
        .into_iter()
        .map(|r| LivePart {
            attachments: attachments.iter().filter(|a| a.part_id == Some(r.id)).cloned().collect(),
            mentioned_admin_ids: mentioned_by(&mentions, r.id),
            author: crate::event_log::author(r.author_type, r.author_id, r.author_name.as_deref()),
            id: r.id,
            conversation_id: r.conversation_id,
            part_type: r.part_type,
            body: r.body,
            client_id: r.client_id,
            created_at: r.created_at,
        })
        .collect())
}
