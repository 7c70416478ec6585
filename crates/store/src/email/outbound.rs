//! The outbound send queue: one `email_messages` row (direction `outbound`) per teammate reply
//! to an email conversation, with its delivery state.
//!
//! The row is written by `conversations::send` in the same transaction as the part
//! (`queue_reply`), so an acknowledged reply is never lost. The sender
//! (`rapport_mail::outbound`) leases due rows (`lease_owner`/`lease_until_ms`, so one node sends
//! each), fixes the threading headers on the first attempt ([`begin_attempt`]), and records the
//! outcome: `sent`, a retry later, or `failed` with the reason. Each outcome appends a
//! `conversation_part.email_delivery` event, so open agent apps update live.
use rapport_core::event::EventKind;
use rapport_core::ids::{ConversationId, WorkspaceId};
use serde::Serialize;
use serde_json::json;

use crate::conversations::append_event;
use crate::event_log::Audience;
use crate::webhooks::now_ms;
use crate::{now, Conn, Db, OptionExt, Stmt, StoreResult, Tx};

/// The reason stored when a reply cannot be sent because the customer has no address.
pub const NO_ADDRESS: &str = "the contact has no email address";

/// A reply's delivery as a conversation part shows it (`email_delivery`).
#[derive(Debug, Clone, Serialize, crate::Row, PartialEq, Eq)]
pub struct Delivery {
    #[serde(skip)]
    pub part_id: i64,
    /// `queued`, `sent` or `failed`.
    pub state: String,
    pub error: Option<String>,
    pub sent_at: Option<i64>,
    pub attempts: i64,
}

/// A queued reply as the sender sees it.
#[derive(Debug, Clone, crate::Row)]
pub struct Outbound {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub part_id: Option<i64>,
    /// Without angle brackets; before the first attempt, only the unique local part (no `@`).
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Space-separated, oldest first.
    pub reference_ids: String,
    pub from_address: String,
    /// JSON array text.
    pub to_addresses: String,
    pub subject: String,
    pub delivery_state: String,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub automated: bool,
    pub lease_owner: Option<String>,
    pub lease_until_ms: i64,
}

impl Outbound {
    pub fn to_addresses(&self) -> Vec<String> {
        serde_json::from_str(&self.to_addresses).unwrap_or_default()
    }

    /// Whether the first attempt already fixed the Message-ID and threading headers.
    pub fn headers_fixed(&self) -> bool {
        self.message_id.contains('@')
    }

    pub fn references(&self) -> Vec<String> {
        self.reference_ids.split_whitespace().map(str::to_string).collect()
    }
}

const COLUMNS: &str = "id, workspace_id, conversation_id, part_id, message_id, in_reply_to, reference_ids, \
    from_address, to_addresses, subject, delivery_state, attempts, next_attempt_at_ms, last_error, sent_at, \
    automated, lease_owner, lease_until_ms";

/// The conversation's channel and customer address, read inside the send transaction.
#[doc(hidden)]
const SELECT_RECIPIENT: &str = "SELECT c.source_subject, ct.email FROM conversations c \
    LEFT JOIN contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id \
    WHERE c.workspace_id = $1 AND c.id = $2 AND c.source_type = 'email'";

#[doc(hidden)]
const INSERT_QUEUED: &str = "INSERT INTO email_messages (workspace_id, conversation_id, part_id, direction, \
    message_id, from_address, to_addresses, subject, delivery_state, last_error, automated, created_at, updated_at) \
    VALUES ($1, $2, $3, 'outbound', $4, '', $5, $6, $7, $8, $9, $10, $10)";

/// A fresh unique local part of a Message-ID; the sender appends `@<domain>` on the first
/// attempt. Random, so nobody can guess the id of a reply (threading trusts `In-Reply-To`).
#[doc(hidden)]
pub fn new_message_local_part(part_id: i64) -> String {
    format!("rapport.{part_id}.{}", hex::encode(rand::random::<[u8; 12]>()))
}

/// Inside a `conversations::send` transaction: queues the teammate's reply `part_id` of
/// conversation `id` for email when the conversation came by email (otherwise writes nothing). A
/// customer without an address gets a `failed` row saying so. Answers whether a row was written.
pub(crate) async fn queue_reply(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    id: ConversationId,
    part_id: i64,
    automated: bool,
    at: i64,
) -> StoreResult<bool> {
    let recipient: Option<(String, Option<String>)> =
        tx.fetch_optional(Stmt::new(SELECT_RECIPIENT).arg(workspace_id).arg(id)).await?;
    let Some((subject, email)) = recipient else { return Ok(false) };
    let email = email.map(|e| e.trim().to_string()).filter(|e| e.contains('@'));
    let (to, state, error) = match &email {
        Some(email) => (serde_json::json!([email]), "queued", None),
        None => (serde_json::json!([]), "failed", Some(NO_ADDRESS)),
    };
    tx.execute(
        Stmt::new(INSERT_QUEUED)
            .arg(workspace_id)
            .arg(id)
            .arg(part_id)
            .arg(new_message_local_part(part_id))
            .arg(to.to_string())
            .arg(subject)
            .arg(state)
            .arg(error)
            .arg(automated)
            .arg(at),
    )
    .await?;
    Ok(true)
}

/// The delivery of each of these parts that has an outbound email (for the part JSON).
pub async fn deliveries(db: &Db, workspace_id: WorkspaceId, part_ids: &[i64]) -> StoreResult<Vec<Delivery>> {
    if part_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT part_id, delivery_state AS state, last_error AS error, sent_at, attempts FROM email_messages \
         WHERE workspace_id = $1 AND direction = 'outbound' AND part_id IN ({}) ORDER BY id",
        crate::placeholders(2, part_ids.len())
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(part_ids)).await
}

/// The outbound row of one part, when it has one.
pub async fn find_by_part(db: &Db, workspace_id: WorkspaceId, part_id: i64) -> StoreResult<Outbound> {
    let sql = format!(
        "SELECT {COLUMNS} FROM email_messages WHERE workspace_id = $1 AND part_id = $2 AND direction = 'outbound'"
    );
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(part_id)).await?.or_not_found("email message")
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<Outbound> {
    let sql =
        format!("SELECT {COLUMNS} FROM email_messages WHERE workspace_id = $1 AND id = $2 AND direction = 'outbound'");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("email message")
}

/// Queued replies (of every workspace) whose next attempt is due and that no other node holds:
/// the sender's to-do list, oldest due first.
pub async fn due(db: &Db, owner: &str, at_ms: i64, limit: i64) -> StoreResult<Vec<Outbound>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM email_messages WHERE direction = 'outbound' AND delivery_state = 'queued' \
         AND next_attempt_at_ms <= $1 AND (lease_until_ms < $1 OR lease_owner = $2) \
         ORDER BY next_attempt_at_ms, id LIMIT $3"
    );
    db.read().fetch_all(Stmt::new(sql).arg(at_ms).arg(owner).arg(limit)).await
}

/// Takes (or extends) the lease on a queued reply until `until_ms`; false when another node
/// holds an unexpired lease or the reply is no longer queued.
pub async fn lease(db: &Db, workspace_id: WorkspaceId, id: i64, owner: &str, until_ms: i64) -> StoreResult<bool> {
    let update = Stmt::new(
        "UPDATE email_messages SET lease_owner = $3, lease_until_ms = $4 WHERE workspace_id = $1 AND id = $2 \
         AND direction = 'outbound' AND delivery_state = 'queued' AND (lease_until_ms < $5 OR lease_owner = $3)",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(owner)
    .arg(until_ms)
    .arg(now_ms());
    let mut tx = db.begin().await?;
    let taken = tx.execute(update).await?;
    tx.commit().await?;
    Ok(taken == 1)
}

/// The headers an attempt sends, fixed by the first one so every retry sends the same message.
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    pub message_id: &'a str,
    pub from_address: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a [String],
}

/// Counts an attempt about to be made by the lease holder, and on the first one stores the
/// headers it sends. False when the lease was lost (then nothing is sent).
pub async fn begin_attempt(
    db: &Db,
    workspace_id: WorkspaceId,
    id: i64,
    owner: &str,
    headers: Option<Headers<'_>>,
) -> StoreResult<bool> {
    let update = match headers {
        Some(h) => Stmt::new(
            "UPDATE email_messages SET attempts = attempts + 1, message_id = $4, from_address = $5, in_reply_to = $6, \
             reference_ids = $7, updated_at = $8 WHERE workspace_id = $1 AND id = $2 AND lease_owner = $3 \
             AND delivery_state = 'queued'",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(owner)
        .arg(h.message_id)
        .arg(h.from_address)
        .arg(h.in_reply_to)
        .arg(h.references.join(" "))
        .arg(now()),
        None => Stmt::new(
            "UPDATE email_messages SET attempts = attempts + 1, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
             AND lease_owner = $3 AND delivery_state = 'queued'",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(owner)
        .arg(now()),
    };
    let mut tx = db.begin().await?;
    let changed = tx.execute(update).await?;
    tx.commit().await?;
    Ok(changed == 1)
}

/// Records a state change of a queued reply with its live event, in one transaction. Returns
/// whether the row was still queued (a row already sent or failed is never changed again).
async fn settle(
    db: &Db,
    row: &Outbound,
    state: &str,
    error: Option<&str>,
    sent_at: Option<i64>,
    retry_at_ms: i64,
) -> StoreResult<bool> {
    let (workspace_id, conversation_id) = (row.workspace_id, row.conversation_id);
    let mut tx = db.begin().await?;
    let changed = tx
        .execute(
            Stmt::new(
                "UPDATE email_messages SET delivery_state = $3, last_error = $4, sent_at = $5, \
                 next_attempt_at_ms = $6, lease_owner = NULL, lease_until_ms = 0, updated_at = $7 \
                 WHERE workspace_id = $1 AND id = $2 AND delivery_state = 'queued'",
            )
            .arg(workspace_id)
            .arg(row.id)
            .arg(state)
            .arg(error)
            .arg(sent_at)
            .arg(retry_at_ms)
            .arg(now()),
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    let attempts: i64 = tx
        .scalar(
            Stmt::new("SELECT attempts FROM email_messages WHERE workspace_id = $1 AND id = $2")
                .arg(workspace_id)
                .arg(row.id),
        )
        .await?;
    let delivery = json!({"state": state, "error": error, "sent_at": sent_at, "attempts": attempts});
    let extra = json!({"part_id": row.part_id, "email_delivery": delivery});
    append_event(&mut tx, workspace_id, conversation_id, EventKind::PartEmailDelivery, Audience::Admins, extra).await?;
    tx.commit().await?;
    Ok(true)
}

/// The relay accepted the message.
pub async fn mark_sent(db: &Db, row: &Outbound) -> StoreResult<bool> {
    settle(db, row, "sent", None, Some(now()), 0).await
}

/// The attempt failed for now (a 4xx answer, a connection error): the next one is due at
/// `retry_at_ms`, by any node. The row stays `queued`, with the error shown.
pub async fn retry_later(db: &Db, row: &Outbound, owner: &str, error: &str, retry_at_ms: i64) -> StoreResult<bool> {
    let update = Stmt::new(
        "UPDATE email_messages SET last_error = $4, next_attempt_at_ms = $5, lease_owner = NULL, lease_until_ms = 0, \
         updated_at = $6 WHERE workspace_id = $1 AND id = $2 AND lease_owner = $3 AND delivery_state = 'queued'",
    )
    .arg(row.workspace_id)
    .arg(row.id)
    .arg(owner)
    .arg(error)
    .arg(retry_at_ms)
    .arg(now());
    let mut tx = db.begin().await?;
    let changed = tx.execute(update).await?;
    tx.commit().await?;
    Ok(changed == 1)
}

/// The message cannot be delivered (a 5xx answer, too many attempts, an unusable address).
pub async fn mark_failed(db: &Db, row: &Outbound, error: &str) -> StoreResult<bool> {
    settle(db, row, "failed", Some(error), None, 0).await
}

/// One email of a conversation, for threading a reply.
#[derive(Debug, Clone, crate::Row)]
pub struct ThreadMessage {
    pub direction: String,
    pub message_id: String,
    pub reference_ids: String,
}

/// The conversation's emails written before row `before_id`, oldest first, leaving out replies
/// that failed or whose Message-ID is not fixed yet.
pub async fn thread(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    before_id: i64,
) -> StoreResult<Vec<ThreadMessage>> {
    let earlier = Stmt::new(
        "SELECT direction, message_id, reference_ids FROM email_messages WHERE workspace_id = $1 \
         AND conversation_id = $2 AND id < $3 AND delivery_state <> 'failed' ORDER BY id",
    )
    .arg(workspace_id)
    .arg(conversation_id)
    .arg(before_id);
    let messages: Vec<ThreadMessage> = db.read().fetch_all(earlier).await?;
    Ok(messages.into_iter().filter(|m| m.message_id.contains('@')).collect())
}

/// What the message shows besides the row: the part's body and author, the workspace's name,
/// public id, secret (for the reply token) and colour.
#[derive(Debug, Clone, crate::Row)]
pub struct Context {
    pub body: Option<String>,
    pub author_name: Option<String>,
    pub workspace_name: String,
    pub app_id: String,
    pub identity_secret: String,
    pub color: String,
}

pub async fn context(db: &Db, row: &Outbound) -> StoreResult<Context> {
    let sql = "SELECT p.body, a.name AS author_name, w.name AS workspace_name, w.app_id, w.identity_secret, \
         w.messenger_color AS color FROM workspaces w \
         LEFT JOIN conversation_parts p ON p.workspace_id = w.id AND p.id = $2 \
         LEFT JOIN admins a ON a.workspace_id = w.id AND p.author_type = 'admin' AND a.id = p.author_id \
         WHERE w.id = $1";
    db.read().fetch_optional(Stmt::new(sql).arg(row.workspace_id).arg(row.part_id)).await?.or_not_found("workspace")
}
