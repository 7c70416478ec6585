//! Writes to conversations. Every reference (contact, admin, team) is checked before the first
//! write, and each change writes its parts, the conversation's new state and statistics, and
//! the contacts' reply times in one transaction, so a refused change writes nothing.
use rapport_core::conversation::{Action, Assignee, AuthorType, ConversationState, PartType};
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use serde_json::{Map, Value};

use super::live::{summary, LivePart};
use super::{find, Conversation, COLUMNS};
use crate::event_log::{Audience, NewEvent};
use crate::{now, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult, Tx};

/// A conversation a contact starts (`POST /conversations`).
pub struct NewConversation<'a> {
    pub contact_id: ContactId,
    pub body: &'a str,
    pub subject: Option<&'a str>,
    /// When the message was written, for imports; now when absent.
    pub created_at: Option<i64>,
    /// The sender's idempotency key and files uploaded beforehand.
    pub options: SendOptions<'a>,
}

/// What makes a send safe to retry and what it carries besides text.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendOptions<'a> {
    /// A client-generated id: the same author sending the same id twice stores one part.
    pub client_id: Option<&'a str>,
    /// Attachments the author uploaded and not yet sent; they become the message's.
    pub attachment_ids: &'a [i64],
    /// Teammates an admin's note mentions: each must be an active admin of the workspace.
    pub mentioned_admin_ids: &'a [AdminId],
    /// The received email the message came from: its `email_messages` row is written in the
    /// same transaction (see `email::inbound`).
    pub email: Option<&'a crate::email::inbound::InboundRecord>,
    /// Written by an automation (a rule), not typed by a teammate: an emailed reply says so
    /// (`Auto-Submitted: auto-replied`).
    pub automated: bool,
}

/// Most teammates one note may mention.
pub const MAX_MENTIONS: usize = 50;

/// The result of a send or action.
#[derive(Debug, Clone)]
pub struct Sent {
    pub conversation: Conversation,
    /// The parts written (or, on a replay, the part first written for the client id).
    pub parts: Vec<LivePart>,
    /// The event-log sequence of the last event written; `None` on a replay.
    pub seq: Option<i64>,
    /// Whether the client id had been seen and nothing new was written.
    pub replayed: bool,
}

/// How a reply names its contact: our id, their external id, or their email.
#[derive(Debug, Clone, Copy)]
pub enum ContactRef<'a> {
    Id(ContactId),
    ExternalId(&'a str),
    Email(&'a str),
}

/// A reply or an admin action (`/reply` and `/parts`).
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    ContactReply {
        contact: ContactRef<'a>,
        body: &'a str,
    },
    AdminComment {
        admin_id: AdminId,
        body: &'a str,
    },
    AdminNote {
        admin_id: AdminId,
        body: &'a str,
    },
    /// With a body, the admin's message is written as a comment before the close.
    Close {
        admin_id: AdminId,
        body: Option<&'a str>,
    },
    Open {
        admin_id: AdminId,
    },
    Snooze {
        admin_id: AdminId,
        until: i64,
    },
    Assign {
        admin_id: AdminId,
        assignee: Assignee,
        body: Option<&'a str>,
    },
}

/// What `PUT /conversations/{id}` may change. Custom attributes merge into the existing ones.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub read: Option<bool>,
    /// Whether the conversation is marked priority (Intercom's `priority` / `not_priority`).
    pub priority: Option<bool>,
    pub title: Option<String>,
    pub custom_attributes: Option<Map<String, Value>>,
}

const INSERT_PART: &str = "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, \
    author_type, author_id, assigned_to_type, assigned_to_id, state, created_at, updated_at, client_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id";

/// Finds the part an author already sent with this client id: `(conversation_id, part_id)`.
const FIND_CLIENT_ID: &str = "SELECT conversation_id, id FROM conversation_parts \
    WHERE workspace_id = $1 AND author_type = $2 AND author_id = $3 AND client_id = $4";

/// Gives unsent uploads of the author to a part; evaluates to the number of rows claimed.
const CLAIM_ATTACHMENT: &str = "UPDATE attachments SET part_id = $3 WHERE workspace_id = $1 AND id = $2 \
    AND part_id IS NULL AND uploader_type = $4 AND uploader_id = $5";

/// Counts the active admins of the workspace with this id (0 or 1).
const ACTIVE_ADMIN: &str = "SELECT COUNT(*) FROM admins WHERE workspace_id = $1 AND id = $2 AND active = $3";

const INSERT_MENTION: &str = "INSERT INTO conversation_mentions (workspace_id, conversation_id, part_id, admin_id, \
    created_at) VALUES ($1, $2, $3, $4, $5)";

const SELECT_ATTACHMENTS: &str = "SELECT part_id, id, name, content_type, size FROM attachments \
    WHERE workspace_id = $1 AND part_id = $2 ORDER BY id";

pub(crate) const CONTACT_IDS: &str = "SELECT contact_id FROM conversation_contacts WHERE workspace_id = $1 \
    AND conversation_id = $2 ORDER BY created_at, contact_id";

/// `admin` uploads as an admin; `user` and `lead` upload as a contact.
fn uploader_type(author_type: AuthorType) -> &'static str {
    if author_type == AuthorType::Admin {
        "admin"
    } else {
        "contact"
    }
}

fn client_id_conflict() -> StoreError {
    Conflict::ClientIdUsedElsewhere.into()
}

/// Starts a conversation from a contact's message, written with its `conversation.created` event.
/// A repeated client id returns the conversation the first send started.
pub async fn create(db: &Db, workspace_id: WorkspaceId, new: NewConversation<'_>) -> StoreResult<Sent> {
    let (contact_id, role, name): (ContactId, String, Option<String>) = db
        .read()
        .fetch_optional(
            Stmt::new(
                "SELECT id, role, name FROM contacts WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL",
            )
            .arg(workspace_id)
            .arg(new.contact_id),
        )
        .await?
        .or_not_found("contact")?;
    let role: AuthorType = role.parse()?;
    let at = new.created_at.unwrap_or_else(now);
    let machine = rapport_core::conversation::Conversation::started_by_contact(at);
    let client_id = new.options.client_id;
    // A new conversation (not an import, not mail a machine sent) goes through the live
    // assignment rules; `rules_due_at` keeps that owed until they ran (`routing::run_overdue`).
    let route = new.created_at.is_none() && new.options.email.is_none_or(|e| e.automatic.is_none());
    let mut tx = db.begin().await?;
    if let Some(client_id) = client_id {
        let seen: Option<(ConversationId, i64)> = tx
            .fetch_optional(
                Stmt::new(FIND_CLIENT_ID).arg(workspace_id).arg(role.as_str()).arg(contact_id).arg(client_id),
            )
            .await?;
        if let Some((conversation_id, part_id)) = seen {
            // Nothing was written; the commit waits until any batch holding the first send is
            // durable, so the replay reads it from the database.
            tx.commit().await?;
            return replay(db, workspace_id, conversation_id, part_id).await;
        }
    }
    let id: ConversationId = tx
        .scalar(
            Stmt::new(
                "INSERT INTO conversations (workspace_id, contact_id, state, read, priority, source_type, \
                 source_delivered_as, source_subject, source_body, source_author_type, source_author_id, \
                 waiting_since, first_contact_reply_at, last_contact_reply_at, created_at, updated_at, rules_due_at) \
                 VALUES ($1, $2, $3, $4, $5, 'conversation', 'customer_initiated', $6, $7, $8, $2, $9, $9, $9, $9, $9, \
                 $10) RETURNING id",
            )
            .arg(workspace_id)
            .arg(contact_id)
            .arg(machine.state.as_str())
            .arg(machine.read)
            .arg(false)
            .arg(new.subject.unwrap_or(""))
            .arg(new.body)
            .arg(role.as_str())
            .arg(at)
            .arg(route.then_some(at)),
        )
        .await?;
    let part_id: i64 = tx
        .scalar(
            Stmt::new(INSERT_PART)
                .arg(workspace_id)
                .arg(id)
                .arg(PartType::Comment.as_str())
                .arg(new.body)
                .arg(role.as_str())
                .arg(contact_id)
                .arg(None::<String>)
                .arg(None::<i64>)
                .arg(machine.state.as_str())
                .arg(at)
                .arg(client_id),
        )
        .await?;
    for attachment_id in new.options.attachment_ids {
        let claim = Stmt::new(CLAIM_ATTACHMENT).arg(workspace_id).arg(attachment_id).arg(part_id).arg("contact");
        if tx.execute(claim.arg(contact_id)).await? == 0 {
            return Err(StoreError::not_found("attachment"));
        }
    }
    tx.execute(
        Stmt::new("UPDATE conversations SET source_part_id = $3 WHERE workspace_id = $1 AND id = $2")
            .arg(workspace_id)
            .arg(id)
            .arg(part_id),
    )
    .await?;
    if let Some(record) = new.options.email {
        crate::email::inbound::insert_record(&mut tx, workspace_id, id, None, record, at).await?;
    }
    tx.execute(
        Stmt::new(
            "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(contact_id)
        .arg(at),
    )
    .await?;
    tx.execute(
        Stmt::new(
            "UPDATE contacts SET last_replied_at = $3 WHERE workspace_id = $1 AND id = $2 \
             AND (last_replied_at IS NULL OR last_replied_at < $3)",
        )
        .arg(workspace_id)
        .arg(contact_id)
        .arg(at),
    )
    .await?;
    let select = format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND id = $2");
    let mut conversation: Conversation = tx.fetch_one(Stmt::new(select).arg(workspace_id).arg(id)).await?;
    let attachments = tx.fetch_all(Stmt::new(SELECT_ATTACHMENTS).arg(workspace_id).arg(part_id)).await?;
    let part = LivePart {
        id: part_id,
        conversation_id: id,
        part_type: PartType::Comment,
        body: Some(new.body.to_string()),
        author: crate::event_log::author(role, contact_id.get(), name.as_deref()),
        client_id: client_id.map(str::to_string),
        attachments,
        mentioned_admin_ids: Vec::new(),
        created_at: at,
    };
    let event = NewEvent {
        workspace_id,
        kind: EventKind::ConversationCreated,
        conversation_id: Some(id),
        audience: Audience::Everyone,
        payload: serde_json::json!({"conversation": summary(&conversation, &[contact_id]), "part": part}),
        created_at: at,
    };
    let seq = crate::event_log::append(&mut tx, &event).await?;
    tx.commit().await?;
    if route {
        if let Some(routed) = crate::routing::run_after(db, workspace_id, conversation.id).await {
            conversation = routed;
        }
    }
    Ok(Sent { conversation, parts: vec![part], seq: Some(seq), replayed: false })
}

/// The answer to a send whose client id was seen before: the part first written for it.
async fn replay(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: i64,
) -> StoreResult<Sent> {
    let conversation = find(db, workspace_id, conversation_id).await?;
    let part = super::live::live_part(db, workspace_id, part_id).await?;
    Ok(Sent { conversation, parts: vec![part], seq: None, replayed: true })
}

/// One part to write: the action, its author, its body and whom it assigns to.
struct Step<'a> {
    action: Action,
    author_type: AuthorType,
    author_id: i64,
    body: Option<&'a str>,
    assigned_to: Option<(&'static str, i64)>,
}

fn by_admin<'a>(action: Action, admin_id: AdminId, body: Option<&'a str>) -> Step<'a> {
    Step { action, author_type: AuthorType::Admin, author_id: admin_id.get(), body, assigned_to: None }
}

/// Finds the contact a reply names among this workspace's unmerged contacts, preferring one who
/// takes part in the conversation (several contacts may share an email).
async fn participant(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    contact: ContactRef<'_>,
) -> StoreResult<(i64, AuthorType, Option<String>)> {
    let condition = match contact {
        ContactRef::Id(_) => "c.id = $3",
        ContactRef::ExternalId(_) => "c.external_id = $3",
        ContactRef::Email(_) => "LOWER(c.email) = LOWER($3)",
    };
    let sql = format!(
        "SELECT c.id, c.role, c.name, cc.contact_id FROM contacts c LEFT JOIN conversation_contacts cc \
         ON cc.contact_id = c.id AND cc.conversation_id = $2 AND cc.workspace_id = c.workspace_id \
         WHERE c.workspace_id = $1 AND c.merged_into_id IS NULL AND {condition} \
         ORDER BY (cc.contact_id IS NULL), c.id LIMIT 1"
    );
    let query = Stmt::new(sql).arg(workspace_id).arg(conversation_id);
    let query = match contact {
        ContactRef::Id(id) => query.arg(id),
        ContactRef::ExternalId(s) | ContactRef::Email(s) => query.arg(s),
    };
    let row: (i64, String, Option<String>, Option<i64>) =
        db.read().fetch_optional(query).await?.or_not_found("contact")?;
    match row {
        (id, role, name, Some(_)) => Ok((id, role.parse()?, name)),
        _ => Err(StoreError::Invalid("the contact is not a participant of this conversation".into())),
    }
}

/// Applies a reply or an admin action to a conversation and returns it afterwards.
pub async fn reply_or_act(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    change: Change<'_>,
) -> StoreResult<Conversation> {
    Ok(send(db, workspace_id, id, change, SendOptions::default()).await?.conversation)
}

/// Applies a reply or an admin action with its events. The client id and attachments belong to
/// the change's message (its first part with a body).
pub async fn send(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    change: Change<'_>,
    options: SendOptions<'_>,
) -> StoreResult<Sent> {
    let current = find(db, workspace_id, id).await?;
    if let Some(target) = current.merged_into_id {
        return Err(super::merged_away(id, target));
    }
    let was_closed = current.state == ConversationState::Closed;
    // The author's name goes into the live payload; it is read here, outside the write turn.
    let author_name;
    let admin = |admin_id| {
        let found = crate::admins::find(db, workspace_id, admin_id);
        async move { found.await.map(|a| a.name) }
    };
    let steps = match change {
        Change::ContactReply { contact, body } => {
            let (contact_id, role, name) = participant(db, workspace_id, id, contact).await?;
            author_name = name;
            vec![Step {
                action: Action::ContactReply,
                author_type: role,
                author_id: contact_id,
                body: Some(body),
                assigned_to: None,
            }]
        }
        Change::AdminComment { admin_id, body } => {
            author_name = Some(admin(admin_id).await?);
            vec![by_admin(Action::AdminComment { admin_id }, admin_id, Some(body))]
        }
        Change::AdminNote { admin_id, body } => {
            author_name = Some(admin(admin_id).await?);
            vec![by_admin(Action::AdminNote { admin_id }, admin_id, Some(body))]
        }
        Change::Close { admin_id, body } => {
            author_name = Some(admin(admin_id).await?);
            let mut steps = Vec::new();
            if let Some(body) = body {
                steps.push(by_admin(Action::AdminComment { admin_id }, admin_id, Some(body)));
            }
            steps.push(by_admin(Action::Close { admin_id }, admin_id, None));
            steps
        }
        Change::Open { admin_id } => {
            author_name = Some(admin(admin_id).await?);
            vec![by_admin(Action::Open { admin_id }, admin_id, None)]
        }
        Change::Snooze { admin_id, until } => {
            author_name = Some(admin(admin_id).await?);
            vec![by_admin(Action::Snooze { admin_id, until }, admin_id, None)]
        }
        Change::Assign { admin_id, assignee, body } => {
            author_name = Some(admin(admin_id).await?);
            let assigned_to = match assignee {
                Assignee::Admin(to) => {
                    crate::admins::find_assignable(db, workspace_id, to).await?;
                    Some(("admin", to.get()))
                }
                Assignee::Team(to) => {
                    crate::teams::find(db, workspace_id, to).await?;
                    Some(("team", to.get()))
                }
                Assignee::NoAdmin | Assignee::NoTeam => None,
            };
            let mut step = by_admin(Action::Assign { admin_id, assignee }, admin_id, body);
            step.assigned_to = assigned_to;
            vec![step]
        }
    };
    let mut sent = write_steps(db, workspace_id, id, &steps, author_name, options).await?;
    // A customer writing again in a closed conversation goes through the assignment rules.
    if was_closed && matches!(change, Change::ContactReply { .. }) && !sent.replayed {
        if let Some(routed) = crate::routing::run_after(db, workspace_id, id).await {
            sent.conversation = routed;
        }
    }
    crate::sla::after_part(db, workspace_id, id).await;
    Ok(sent)
}

async fn write_steps(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    steps: &[Step<'_>],
    author_name: Option<String>,
    options: SendOptions<'_>,
) -> StoreResult<Sent> {
    let at = now();
    // The message a client id and attachments belong to.
    let message = steps.iter().position(|s| s.body.is_some());
    if message.is_none() && (options.client_id.is_some() || !options.attachment_ids.is_empty()) {
        return Err(StoreError::Invalid("client_id and attachments need a message body".into()));
    }
    let mut mentions = options.mentioned_admin_ids.to_vec();
    mentions.sort_unstable();
    mentions.dedup();
    if !mentions.is_empty() && !message.is_some_and(|m| matches!(steps[m].action, Action::AdminNote { .. })) {
        return Err(StoreError::Invalid("mentioned_admin_ids: only a note can mention teammates".into()));
    }
    if mentions.len() > MAX_MENTIONS {
        return Err(StoreError::Invalid(format!(
            "mentioned_admin_ids: a note mentions at most {MAX_MENTIONS} teammates"
        )));
    }
    let contact_replied = steps.iter().find(|s| s.action == Action::ContactReply).map(|s| s.author_id);
    let admin_commented = steps.iter().any(|s| matches!(s.action, Action::AdminComment { .. }));
    // PostgreSQL: lock the row so concurrent actions apply one after the other (SQLite's
    // BEGIN IMMEDIATE already serialises writers).
    let lock = if db.backend() == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
    let select = format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND id = $2{lock}");
    let mut tx = db.begin().await?;
    // Read inside the transaction so the transition applies to the state it replaces.
    let row: Conversation =
        tx.fetch_optional(Stmt::new(select).arg(workspace_id).arg(id)).await?.or_not_found("conversation")?;
    if let (Some(client_id), Some(m)) = (options.client_id, message) {
        let find =
            Stmt::new(FIND_CLIENT_ID).arg(workspace_id).arg(steps[m].author_type.as_str()).arg(steps[m].author_id);
        let seen: Option<(ConversationId, i64)> = tx.fetch_optional(find.arg(client_id)).await?;
        match seen {
            Some((conversation_id, part_id)) if conversation_id == id => {
                // Nothing was written; the commit waits until any batch holding the first send is
                // durable, so the replay reads it from the database.
                tx.commit().await?;
                return replay(db, workspace_id, conversation_id, part_id).await;
            }
            Some(_) => return Err(client_id_conflict()),
            None => {}
        }
    }
    // Checked inside the write so a teammate deactivated meanwhile is never mentioned.
    for admin_id in &mentions {
        let active: i64 = tx.scalar(Stmt::new(ACTIVE_ADMIN).arg(workspace_id).arg(admin_id).arg(true)).await?;
        if active == 0 {
            return Err(StoreError::Invalid(format!(
                "mentioned_admin_ids: {admin_id} is not an active teammate of this workspace"
            )));
        }
    }
    let mut machine = row.machine()?;
    let mut part_ids = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        machine = machine.apply(&step.action, at).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let client_id = if Some(i) == message { options.client_id } else { None };
        let part_id: i64 = tx
            .scalar(
                Stmt::new(INSERT_PART)
                    .arg(workspace_id)
                    .arg(id)
                    .arg(step.action.part_type().as_str())
                    .arg(step.body)
                    .arg(step.author_type.as_str())
                    .arg(step.author_id)
                    .arg(step.assigned_to.map(|(t, _)| t))
                    .arg(step.assigned_to.map(|(_, i)| i))
                    .arg(machine.state.as_str())
                    .arg(at)
                    .arg(client_id),
            )
            .await?;
        if Some(i) == message {
            for attachment_id in options.attachment_ids {
                let claim = Stmt::new(CLAIM_ATTACHMENT)
                    .arg(workspace_id)
                    .arg(attachment_id)
                    .arg(part_id)
                    .arg(uploader_type(step.author_type))
                    .arg(step.author_id);
                if tx.execute(claim).await? == 0 {
                    return Err(StoreError::not_found("attachment"));
                }
            }
            if let Some(record) = options.email {
                crate::email::inbound::insert_record(&mut tx, workspace_id, id, Some(part_id), record, at).await?;
            }
            for admin_id in &mentions {
                let mention = Stmt::new(INSERT_MENTION).arg(workspace_id).arg(id).arg(part_id).arg(admin_id).arg(at);
                tx.execute(mention).await?;
            }
        }
        // A teammate's reply to an email conversation is queued for the relay with the part.
        if matches!(step.action, Action::AdminComment { .. }) && row.source_type == "email" {
            crate::email::outbound::queue_reply(&mut tx, workspace_id, id, part_id, options.automated, at).await?;
        }
        part_ids.push(part_id);
    }
    let s = &machine.statistics;
    let reply_times = serde_json::to_string(&s.reply_times).unwrap_or_else(|_| "[]".into());
    let update = format!(
        "UPDATE conversations SET state = $3, read = $4, waiting_since = $5, snoozed_until = $6, \
         admin_assignee_id = $7, team_assignee_id = $8, first_contact_reply_at = $9, first_admin_reply_at = $10, \
         first_assignment_at = $11, last_assignment_at = $12, first_close_at = $13, last_close_at = $14, \
         last_closed_by_id = $15, last_contact_reply_at = $16, last_admin_reply_at = $17, count_reopens = $18, \
         count_assignments = $19, count_parts = $20, last_assignment_admin_reply_at = $21, \
         time_to_assignment = $22, reply_times = $23, updated_at = $24 WHERE workspace_id = $1 AND id = $2 \
         RETURNING {COLUMNS}"
    );
    let update = Stmt::new(update)
        .arg(workspace_id)
        .arg(id)
        .arg(machine.state.as_str())
        .arg(machine.read)
        .arg(machine.waiting_since)
        .arg(machine.snoozed_until)
        .arg(machine.admin_assignee_id)
        .arg(machine.team_assignee_id)
        .arg(s.first_contact_reply_at)
        .arg(s.first_admin_reply_at)
        .arg(s.first_assignment_at)
        .arg(s.last_assignment_at)
        .arg(s.first_close_at)
        .arg(s.last_close_at)
        .arg(s.last_closed_by_id)
        .arg(s.last_contact_reply_at)
        .arg(s.last_admin_reply_at)
        .arg(s.count_reopens)
        .arg(s.count_assignments)
        .arg(s.count_parts)
        .arg(s.last_assignment_admin_reply_at)
        .arg(s.time_to_assignment)
        .arg(reply_times)
        .arg(at);
    let conversation: Conversation = tx.fetch_one(update).await?;
    if let Some(contact_id) = contact_replied {
        tx.execute(
            Stmt::new("UPDATE contacts SET last_replied_at = $3 WHERE workspace_id = $1 AND id = $2")
                .arg(workspace_id)
                .arg(contact_id)
                .arg(at),
        )
        .await?;
    }
    if admin_commented {
        // Every participant hears from the admin.
        tx.execute(
            Stmt::new(
                "UPDATE contacts SET last_contacted_at = $3 WHERE workspace_id = $1 AND id IN \
                 (SELECT contact_id FROM conversation_contacts WHERE workspace_id = $1 AND conversation_id = $2)",
            )
            .arg(workspace_id)
            .arg(id)
            .arg(at),
        )
        .await?;
    }
    let contact_ids: Vec<ContactId> = tx.scalars(Stmt::new(CONTACT_IDS).arg(workspace_id).arg(id)).await?;
    let mut parts = Vec::with_capacity(steps.len());
    let mut seq = 0;
    for (i, (step, part_id)) in steps.iter().zip(&part_ids).enumerate() {
        let attachments = if Some(i) == message && !options.attachment_ids.is_empty() {
            tx.fetch_all(Stmt::new(SELECT_ATTACHMENTS).arg(workspace_id).arg(part_id)).await?
        } else {
            Vec::new()
        };
        let part_type = step.action.part_type();
        let part = LivePart {
            id: *part_id,
            conversation_id: id,
            part_type,
            body: step.body.map(str::to_string),
            author: crate::event_log::author(step.author_type, step.author_id, author_name.as_deref()),
            client_id: if Some(i) == message { options.client_id.map(str::to_string) } else { None },
            attachments,
            mentioned_admin_ids: if Some(i) == message { mentions.clone() } else { Vec::new() },
            created_at: at,
        };
        let event = NewEvent {
            workspace_id,
            kind: EventKind::PartCreated,
            conversation_id: Some(id),
            audience: if part_type.is_public() { Audience::Everyone } else { Audience::Admins },
            payload: serde_json::json!({"conversation": summary(&conversation, &contact_ids), "part": part}),
            created_at: at,
        };
        seq = crate::event_log::append(&mut tx, &event).await?;
        parts.push(part);
    }
    tx.commit().await?;
    Ok(Sent { conversation, parts, seq: Some(seq), replayed: false })
}

/// Appends an event about conversation `id` inside `tx`: its summary after the change plus
/// `extra`'s fields (an object, or `Value::Null` for none). Answers the event's seq.
pub(crate) async fn append_event(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    id: ConversationId,
    kind: EventKind,
    audience: Audience,
    extra: Value,
) -> StoreResult<i64> {
    let reselect = format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND id = $2");
    let conversation: Conversation = tx.fetch_one(Stmt::new(reselect).arg(workspace_id).arg(id)).await?;
    let contact_ids: Vec<ContactId> = tx.scalars(Stmt::new(CONTACT_IDS).arg(workspace_id).arg(id)).await?;
    let mut payload = serde_json::json!({"conversation": summary(&conversation, &contact_ids)});
    if let (Some(to), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        to.extend(extra);
    }
    let event = NewEvent {
        workspace_id,
        kind,
        conversation_id: Some(id),
        audience,
        payload,
        created_at: conversation.updated_at,
    };
    crate::event_log::append(tx, &event).await
}

/// Marks read, sets priority, retitles, or merges custom attributes (checked against the
/// workspace's conversation attributes first).
pub async fn update(db: &Db, workspace_id: WorkspaceId, id: ConversationId, edit: Edit) -> StoreResult<Conversation> {
    let current = find(db, workspace_id, id).await?;
    let mut attributes = current.custom_attributes();
    if let Some(changes) = &edit.custom_attributes {
        crate::data_attributes::validate_custom_attributes(db, workspace_id, "conversation", changes).await?;
        attributes.extend(changes.clone());
    }
    let attributes = Value::Object(attributes).to_string();
    let read = edit.read.unwrap_or(current.read);
    let priority = edit.priority.unwrap_or(current.priority);
    let title = edit.title.or(current.title);
    let mut tx = db.begin().await?;
    tx.execute(
        Stmt::new(
            "UPDATE conversations SET read = $3, title = $4, custom_attributes = $5, updated_at = $6, priority = $7 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(read)
        .arg(title)
        .arg(attributes)
        .arg(now())
        .arg(priority),
    )
    .await?;
    append_event(&mut tx, workspace_id, id, EventKind::ConversationUpdated, Audience::Admins, Value::Null).await?;
    tx.commit().await?;
    find(db, workspace_id, id).await
}

/// Deletes a conversation with its parts, participants and taggings.
pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: ConversationId) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    let contact_ids: Vec<ContactId> = tx.scalars(Stmt::new(CONTACT_IDS).arg(workspace_id).arg(id)).await?;
    tx.execute(
        Stmt::new("DELETE FROM taggings WHERE workspace_id = $1 AND target_type = 'conversation' AND target_id = $2")
            .arg(workspace_id)
            .arg(id),
    )
    .await?;
    tx.execute(
        Stmt::new(
            "DELETE FROM taggings WHERE workspace_id = $1 AND target_type = 'conversation_part' AND target_id IN \
             (SELECT id FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = $2)",
        )
        .arg(workspace_id)
        .arg(id),
    )
    .await?;
    let deleted = tx
        .execute(Stmt::new("DELETE FROM conversations WHERE workspace_id = $1 AND id = $2").arg(workspace_id).arg(id))
        .await?;
    if deleted == 0 {
        return Err(StoreError::not_found("conversation"));
    }
    let event = NewEvent {
        workspace_id,
        kind: EventKind::ConversationDeleted,
        conversation_id: Some(id),
        audience: Audience::Admins,
        payload: serde_json::json!({"conversation": {"id": id, "contact_ids": contact_ids}}),
        created_at: now(),
    };
    crate::event_log::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}
