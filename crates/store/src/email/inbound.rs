//! Received mail: where a recipient address leads (a workspace, maybe a conversation), and
//! storing a message as a conversation or a reply together with its `email_messages` row in one
//! transaction, so an acknowledged message is never half stored. Threading looks up the
//! Message-IDs a message answers among the workspace's stored emails, then the reply token.
//!
//! The support addresses a workspace also receives mail at live in `support_addresses`.

mod support_addresses;

pub use support_addresses::{set_support_addresses, support_addresses, MAX_SUPPORT_ADDRESSES};

use rapport_core::conversation::{AuthorType, PartType};
use rapport_core::event::EventKind;
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};
use std::path::Path;

use rapport_core::attachment;
use rapport_core::contact::{ContactRole, Email};
use rapport_core::email::inbound::{text_to_html, Automatic, InboundEmail};
use serde::Serialize;

use crate::attachments::{NewAttachment, Uploader};
use crate::contacts::{self, ContactFields};
use crate::conversations::{self, Change, ContactRef, NewConversation, SendOptions};
use crate::event_log::Audience;
use crate::{now, Conn, Db, OptionExt, Stmt, StoreError, StoreResult, Tx};

/// Where a recipient address leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub workspace_id: WorkspaceId,
    /// The conversation a valid reply token names.
    pub conversation_id: Option<ConversationId>,
}

/// The `email_messages` row of a received message, written in the transaction that stores its
/// conversation part (see [`SendOptions::email`]).
#[derive(Debug, Clone)]
pub struct InboundRecord {
    pub message_id: String,
    pub in_reply_to: Option<String>,
    /// Space-separated, oldest first.
    pub reference_ids: String,
    pub from_address: String,
    /// JSON array.
    pub to_addresses: String,
    pub subject: String,
    pub raw: Vec<u8>,
    /// JSON object: `{"spf": …, "dkim": …, "dmarc": …, "automatic": …}`.
    pub auth_results: String,
    /// Set when a machine sent the message: it never runs assignment rules.
    pub automatic: Option<Automatic>,
}

/// Inserts an [`InboundRecord`] inside `tx`; `part_id` is `None` for the message that opened
/// the conversation, which also becomes an `email` conversation.
pub(crate) async fn insert_record(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: Option<i64>,
    record: &InboundRecord,
    at: i64,
) -> StoreResult<()> {
    tx.execute(
        Stmt::new(
            "INSERT INTO email_messages (workspace_id, conversation_id, part_id, direction, message_id, \
             in_reply_to, reference_ids, from_address, to_addresses, subject, raw, auth_results, delivery_state, \
             created_at, updated_at) VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, $8, $9, $10, $11, 'received', \
             $12, $12)",
        )
        .arg(workspace_id)
        .arg(conversation_id)
        .arg(part_id)
        .arg(&record.message_id)
        .arg(&record.in_reply_to)
        .arg(&record.reference_ids)
        .arg(&record.from_address)
        .arg(&record.to_addresses)
        .arg(&record.subject)
        .arg(&record.raw)
        .arg(&record.auth_results)
        .arg(at),
    )
    .await?;
    if part_id.is_none() {
        tx.execute(
            Stmt::new("UPDATE conversations SET source_type = 'email' WHERE workspace_id = $1 AND id = $2")
                .arg(workspace_id)
                .arg(conversation_id),
        )
        .await?;
    }
    Ok(())
}

/// The workspace (and conversation) an address names: `<app_id>@<inbound domain>`,
/// `<app_id>+<reply token>@<inbound domain>`, or one of a workspace's support addresses.
/// A reply token that does not verify still reaches the workspace, as a new conversation.
pub async fn find_recipient(db: &Db, address: &str, inbound_domain: Option<&str>) -> StoreResult<Option<Recipient>> {
    let address = address.trim().to_lowercase();
    let Some((local, domain)) = address.rsplit_once('@') else { return Ok(None) };
    if inbound_domain.is_some_and(|d| d.eq_ignore_ascii_case(domain)) {
        let (app_id, token) = match local.split_once('+') {
            Some((app_id, token)) => (app_id, Some(token)),
            None => (local, None),
        };
        // App ids are lower case (`workspaces::new_app_id`), so the unique index finds them.
        let sql = "SELECT id, identity_secret FROM workspaces WHERE app_id = $1";
        let found: Option<(i64, String)> = db.read().fetch_optional(Stmt::new(sql).arg(app_id)).await?;
        if let Some((workspace_id, secret)) = found {
            let workspace_id = WorkspaceId::from(workspace_id);
            let conversation_id = token.and_then(|t| rapport_core::email::parse_reply_token(&secret, t));
            let conversation_id = match conversation_id {
                Some(id) => conversations::find(db, workspace_id, id).await.ok().map(|c| c.id),
                None => None,
            };
            return Ok(Some(Recipient { workspace_id, conversation_id }));
        }
    }
    let sql = "SELECT workspace_id FROM email_support_addresses WHERE address = $1";
    let workspace_id: Option<i64> = db.read().scalar_optional(Stmt::new(sql).arg(&address)).await?;
    Ok(workspace_id.map(|workspace_id| Recipient { workspace_id: workspace_id.into(), conversation_id: None }))
}

/// What became of a received message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    pub conversation_id: ConversationId,
    pub part_id: i64,
    /// Whether it started the conversation (rather than replying in one).
    pub created: bool,
    /// The workspace already had a message with this Message-ID: nothing was written.
    pub duplicate: bool,
}

/// Finds the conversation an email with this Message-ID was stored in.
async fn conversation_of_message(
    db: &Db,
    workspace_id: WorkspaceId,
    message_id: &str,
) -> StoreResult<Option<(ConversationId, Option<i64>)>> {
    let sql = "SELECT conversation_id, part_id FROM email_messages WHERE workspace_id = $1 AND message_id = $2";
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(message_id)).await
}

/// The part an email is stored as: its own part, or the conversation's opening part.
async fn part_of(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: Option<i64>,
) -> StoreResult<i64> {
    match part_id {
        Some(id) => Ok(id),
        None => Ok(conversations::find(db, workspace_id, conversation_id).await?.source_part_id.unwrap_or(0)),
    }
}

/// The contact who sent the mail: found by email, or a new lead with that email and name.
async fn sender(db: &Db, workspace_id: WorkspaceId, email: &InboundEmail) -> StoreResult<contacts::Contact> {
    let address = Email::parse(&email.from.address)
        .map_err(|e| StoreError::Invalid(format!("the sender address is not usable: {e}")))?;
    if let Some(contact) = contacts::find_by_email(db, workspace_id, &address).await? {
        return Ok(contact);
    }
    let fields = ContactFields {
        role: Some(ContactRole::Lead),
        email: Some(Some(address)),
        name: Some(email.from.name.clone()),
        ..Default::default()
    };
    contacts::create(db, workspace_id, fields).await
}

/// Stores the accepted attachments as the contact's uploads; refused ones are listed in the
/// returned lines (the raw message still holds them).
async fn store_attachments(
    db: &Db,
    dir: &Path,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    email: &InboundEmail,
) -> StoreResult<(Vec<i64>, Vec<String>)> {
    let mut ids = Vec::new();
    let mut refused = Vec::new();
    for file in &email.attachments {
        match attachment::accept(&file.bytes, file.content_type.as_deref(), &file.name) {
            Ok(accepted) => {
                let new = NewAttachment {
                    uploader: Uploader::Contact(contact_id),
                    name: &accepted.name,
                    content_type: accepted.content_type,
                    bytes: &file.bytes,
                };
                ids.push(crate::attachments::create(db, dir, workspace_id, new).await?.id);
            }
            Err(why) => refused.push(format!("[attachment {} not kept: {why}]", attachment::safe_name(&file.name))),
        }
    }
    Ok((ids, refused))
}

/// Stores a received message for a workspace: a reply in the conversation it threads into, or
/// a new `email` conversation from its sender, with its `email_messages` row and attachments.
/// Mail from machines (`record.automatic`) in a known thread becomes a note for the team and
/// never reopens or routes the conversation; a new one is not routed either.
pub async fn receive(
    db: &Db,
    attachments_dir: &Path,
    recipient: Recipient,
    email: &InboundEmail,
    record: &InboundRecord,
) -> StoreResult<Received> {
    let workspace_id = recipient.workspace_id;
    if let Some((conversation_id, part_id)) = conversation_of_message(db, workspace_id, &record.message_id).await? {
        let part_id = part_of(db, workspace_id, conversation_id, part_id).await?;
        return Ok(Received { conversation_id, part_id, created: false, duplicate: true });
    }
    let mut thread = None;
    for id in email.thread_ids() {
        if let Some((conversation_id, _)) = conversation_of_message(db, workspace_id, id).await? {
            thread = Some(conversation_id);
            break;
        }
    }
    let thread = thread.or(recipient.conversation_id);
    let contact = sender(db, workspace_id, email).await?;
    let (attachment_ids, refused) = store_attachments(db, attachments_dir, workspace_id, contact.id, email).await?;
    let mut body = email.body.clone();
    for line in &refused {
        body.push_str(if body.is_empty() { "" } else { "\n" });
        body.push_str(&text_to_html(line));
    }
    if body.trim().is_empty() && attachment_ids.is_empty() {
        body = "<p>(empty message)</p>".into();
    }
    let options = SendOptions { attachment_ids: &attachment_ids, email: Some(record), ..Default::default() };
    let result = match thread {
        Some(conversation_id) if record.automatic.is_some() => {
            note_automatic(db, workspace_id, conversation_id, &contact, &body, &attachment_ids, record).await
        }
        Some(conversation_id) => {
            let change = Change::ContactReply { contact: ContactRef::Id(contact.id), body: &body };
            match conversations::send(db, workspace_id, conversation_id, change, options).await {
                Ok(sent) => Ok(Received {
                    conversation_id,
                    part_id: sent.parts.first().map_or(0, |p| p.id),
                    created: false,
                    duplicate: false,
                }),
                // Someone outside the conversation answered a thread (a forward, a colleague in
                // copy): their mail starts a conversation of its own.
                Err(StoreError::Invalid(_)) => create(db, workspace_id, &contact, email, &body, options).await,
                Err(e) => Err(e),
            }
        }
        None => create(db, workspace_id, &contact, email, &body, options).await,
    };
    match result {
        // Two deliveries of the same message raced: the unique index kept one.
        Err(StoreError::Conflict(_) | StoreError::Db(_) | StoreError::Sqlite(_))
            if conversation_of_message(db, workspace_id, &record.message_id).await?.is_some() =>
        {
            let (conversation_id, part_id) =
                conversation_of_message(db, workspace_id, &record.message_id).await?.or_not_found("email")?;
            let part_id = part_of(db, workspace_id, conversation_id, part_id).await?;
            Ok(Received { conversation_id, part_id, created: false, duplicate: true })
        }
        other => other,
    }
}

async fn create(
    db: &Db,
    workspace_id: WorkspaceId,
    contact: &contacts::Contact,
    email: &InboundEmail,
    body: &str,
    options: SendOptions<'_>,
) -> StoreResult<Received> {
    let new =
        NewConversation { contact_id: contact.id, body, subject: Some(&email.subject), created_at: None, options };
    let sent = conversations::create(db, workspace_id, new).await?;
    Ok(Received {
        conversation_id: sent.conversation.id,
        part_id: sent.parts.first().map_or(0, |p| p.id),
        created: true,
        duplicate: false,
    })
}

/// Writes a machine's message into a conversation as a note from the sender, visible to the
/// team only: the conversation's state, assignment and SLA stay as they were.
async fn note_automatic(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    contact: &contacts::Contact,
    body: &str,
    attachment_ids: &[i64],
    record: &InboundRecord,
) -> StoreResult<Received> {
    let at = now();
    let kind = record.automatic.map_or("automatic", Automatic::as_str);
    let body = format!("<p>[automatic email: {kind}]</p>\n{body}");
    let state = conversations::find(db, workspace_id, conversation_id).await?.state;
    let role: AuthorType = contact.role.parse()?;
    let mut tx = db.begin().await?;
    let part_id: i64 = tx
        .scalar(
            Stmt::new(
                "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, \
                 author_id, state, created_at, updated_at) VALUES ($1, $2, 'note', $3, $4, $5, $6, $7, $7) \
                 RETURNING id",
            )
            .arg(workspace_id)
            .arg(conversation_id)
            .arg(&body)
            .arg(role.as_str())
            .arg(contact.id)
            .arg(state.as_str())
            .arg(at),
        )
        .await?;
    for attachment_id in attachment_ids {
        tx.execute(
            Stmt::new("UPDATE attachments SET part_id = $3 WHERE workspace_id = $1 AND id = $2 AND part_id IS NULL")
                .arg(workspace_id)
                .arg(attachment_id)
                .arg(part_id),
        )
        .await?;
    }
    insert_record(&mut tx, workspace_id, conversation_id, Some(part_id), record, at).await?;
    let part = conversations::LivePart {
        id: part_id,
        conversation_id,
        part_type: PartType::Note,
        body: Some(body.clone()),
        author: crate::event_log::author(role, contact.id.get(), contact.name.as_deref()),
        client_id: None,
        attachments: Vec::new(),
        mentioned_admin_ids: Vec::new(),
        created_at: at,
    };
    let extra = serde_json::json!({"part": part});
    conversations::append_event(
        &mut tx,
        workspace_id,
        conversation_id,
        EventKind::PartCreated,
        Audience::Admins,
        extra,
    )
    .await?;
    tx.commit().await?;
    Ok(Received { conversation_id, part_id, created: false, duplicate: false })
}

/// A received email as the API shows it: headers, authentication results, whether a machine
/// sent it. The raw bytes are fetched separately ([`raw_of_part`]).
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct EmailDetails {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub reference_ids: String,
    pub from_address: String,
    pub to_addresses: String,
    pub subject: String,
    pub auth_results: String,
    pub direction: String,
    pub delivery_state: String,
    pub size: i64,
    pub created_at: i64,
}

const DETAILS: &str = "e.id, e.conversation_id, e.message_id, e.in_reply_to, e.reference_ids, e.from_address, \
    e.to_addresses, e.subject, e.auth_results, e.direction, e.delivery_state, \
    CAST(COALESCE(LENGTH(e.raw), 0) AS BIGINT) AS size, e.created_at";

/// Matches the received email of part `$3` of conversation `$2`: its own part, or (for the
/// opening message, stored with no part) the conversation's source part.
const OF_PART: &str = "e.workspace_id = $1 AND e.conversation_id = $2 AND e.direction = 'inbound' AND \
    (e.part_id = $3 OR (e.part_id IS NULL AND EXISTS (SELECT 1 FROM conversations c WHERE c.workspace_id = $1 \
    AND c.id = $2 AND c.source_part_id = $3)))";

/// The received email a part was made from.
pub async fn details_of_part(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: i64,
) -> StoreResult<EmailDetails> {
    let sql = format!("SELECT {DETAILS} FROM email_messages e WHERE {OF_PART} ORDER BY e.id LIMIT 1");
    db.read()
        .fetch_optional(Stmt::new(sql).arg(workspace_id).arg(conversation_id).arg(part_id))
        .await?
        .or_not_found("email")
}

/// The message exactly as received.
pub async fn raw_of_part(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: i64,
) -> StoreResult<Vec<u8>> {
    let sql = format!("SELECT e.raw FROM email_messages e WHERE {OF_PART} ORDER BY e.id LIMIT 1");
    let raw: Option<Vec<u8>> = db
        .read()
        .scalar_optional(Stmt::new(sql).arg(workspace_id).arg(conversation_id).arg(part_id))
        .await?
        .or_not_found("email")?;
    Ok(raw.unwrap_or_default())
}
