//! Writes to conversations. Every reference (contact, admin, team) is checked before the first
//! write, and each change writes its parts, the conversation's new state and statistics, and
//! the contacts' reply times in one transaction, so a refused change writes nothing.
use rapport_core::conversation::{self as core, Action, Assignee};
use serde_json::{Map, Value};

use super::{find, Conversation, COLUMNS};
use crate::{execute, now, with_pool, Db, OptionExt, StoreError, StoreResult};

/// A conversation a contact starts (`POST /conversations`).
pub struct NewConversation<'a> {
    pub contact_id: i64,
    pub body: &'a str,
    pub subject: Option<&'a str>,
    /// When the message was written, for imports; now when absent.
    pub created_at: Option<i64>,
}

/// How a reply names its contact: our id, their external id, or their email.
#[derive(Debug, Clone, Copy)]
pub enum ContactRef<'a> {
    Id(i64),
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
        admin_id: i64,
        body: &'a str,
    },
    AdminNote {
        admin_id: i64,
        body: &'a str,
    },
    /// With a body, the admin's message is written as a comment before the close.
    Close {
        admin_id: i64,
        body: Option<&'a str>,
    },
    Open {
        admin_id: i64,
    },
    Snooze {
        admin_id: i64,
        until: i64,
    },
    Assign {
        admin_id: i64,
        assignee: Assignee,
        body: Option<&'a str>,
    },
}

/// What `PUT /conversations/{id}` may change. Custom attributes merge into the existing ones.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub read: Option<bool>,
    pub title: Option<String>,
    pub custom_attributes: Option<Map<String, Value>>,
}

const INSERT_PART: &str = "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, \
    author_type, author_id, assigned_to_type, assigned_to_id, state, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";

/// Starts a conversation from a contact's message. Returns it and the id of the message (the
/// conversation's `source`).
pub async fn create(db: &Db, workspace_id: i64, new: NewConversation<'_>) -> StoreResult<(Conversation, i64)> {
    let (contact_id, role) = with_pool!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT id, role FROM contacts WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL")
        .bind(workspace_id).bind(new.contact_id).fetch_optional(pool).await)?
    .or_not_found("contact")?;
    let at = new.created_at.unwrap_or_else(now);
    let machine = core::Conversation::started_by_contact(at);
    let (id, part_id) = with_pool!(db, pool => {
        let mut tx = crate::BeginWrite::begin_write(pool).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (workspace_id, contact_id, state, read, priority, source_type, \
             source_delivered_as, source_subject, source_body, source_author_type, source_author_id, \
             waiting_since, first_contact_reply_at, last_contact_reply_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'conversation', 'customer_initiated', $6, $7, $8, $2, $9, $9, $9, $9, $9) \
             RETURNING id")
            .bind(workspace_id).bind(contact_id).bind(machine.state.as_str()).bind(machine.read).bind(false)
            .bind(new.subject.unwrap_or("")).bind(new.body).bind(&role).bind(at)
            .fetch_one(&mut *tx).await?;
        let part_id: i64 = sqlx::query_scalar(INSERT_PART)
            .bind(workspace_id).bind(id).bind("comment").bind(new.body).bind(&role).bind(contact_id)
            .bind(None::<String>).bind(None::<i64>).bind(machine.state.as_str()).bind(at)
            .fetch_one(&mut *tx).await?;
        sqlx::query("UPDATE conversations SET source_part_id = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id).bind(id).bind(part_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) \
                     VALUES ($1, $2, $3, $4)")
            .bind(workspace_id).bind(id).bind(contact_id).bind(at).execute(&mut *tx).await?;
        sqlx::query("UPDATE contacts SET last_replied_at = $3 WHERE workspace_id = $1 AND id = $2 \
                     AND (last_replied_at IS NULL OR last_replied_at < $3)")
            .bind(workspace_id).bind(contact_id).bind(at).execute(&mut *tx).await?;
        tx.commit().await?;
        (id, part_id)
    });
    Ok((find(db, workspace_id, id).await?, part_id))
}

/// One part to write: the action, its author, its body and whom it assigns to.
struct Step<'a> {
    action: Action,
    author_type: String,
    author_id: i64,
    body: Option<&'a str>,
    assigned_to: Option<(&'static str, i64)>,
}

fn by_admin<'a>(action: Action, admin_id: i64, body: Option<&'a str>) -> Step<'a> {
    Step { action, author_type: "admin".into(), author_id: admin_id, body, assigned_to: None }
}

/// Finds the contact a reply names among this workspace's unmerged contacts, preferring one who
/// takes part in the conversation (several contacts may share an email).
async fn participant(
    db: &Db,
    workspace_id: i64,
    conversation_id: i64,
    contact: ContactRef<'_>,
) -> StoreResult<(i64, String)> {
    let condition = match contact {
        ContactRef::Id(_) => "c.id = $3",
        ContactRef::ExternalId(_) => "c.external_id = $3",
        ContactRef::Email(_) => "LOWER(c.email) = LOWER($3)",
    };
    let sql = format!(
        "SELECT c.id, c.role, cc.contact_id FROM contacts c LEFT JOIN conversation_contacts cc \
         ON cc.contact_id = c.id AND cc.conversation_id = $2 AND cc.workspace_id = c.workspace_id \
         WHERE c.workspace_id = $1 AND c.merged_into_id IS NULL AND {condition} \
         ORDER BY (cc.contact_id IS NULL), c.id LIMIT 1"
    );
    let row = with_pool!(db, pool => {
        let q = sqlx::query_as::<_, (i64, String, Option<i64>)>(&sql).bind(workspace_id).bind(conversation_id);
        match contact {
            ContactRef::Id(id) => q.bind(id).fetch_optional(pool).await,
            ContactRef::ExternalId(s) | ContactRef::Email(s) => q.bind(s).fetch_optional(pool).await,
        }
    })?
    .or_not_found("contact")?;
    match row {
        (id, role, Some(_)) => Ok((id, role)),
        _ => Err(StoreError::Invalid("the contact is not a participant of this conversation".into())),
    }
}

/// Applies a reply or an admin action to a conversation and returns it afterwards.
pub async fn reply_or_act(db: &Db, workspace_id: i64, id: i64, change: Change<'_>) -> StoreResult<Conversation> {
    find(db, workspace_id, id).await?;
    let admin = |admin_id| crate::admins::find(db, workspace_id, admin_id);
    let steps = match change {
        Change::ContactReply { contact, body } => {
            let (contact_id, role) = participant(db, workspace_id, id, contact).await?;
            vec![Step {
                action: Action::ContactReply,
                author_type: role,
                author_id: contact_id,
                body: Some(body),
                assigned_to: None,
            }]
        }
        Change::AdminComment { admin_id, body } => {
            admin(admin_id).await?;
            vec![by_admin(Action::AdminComment { admin_id }, admin_id, Some(body))]
        }
        Change::AdminNote { admin_id, body } => {
            admin(admin_id).await?;
            vec![by_admin(Action::AdminNote { admin_id }, admin_id, Some(body))]
        }
        Change::Close { admin_id, body } => {
            admin(admin_id).await?;
            let mut steps = Vec::new();
            if let Some(body) = body {
                steps.push(by_admin(Action::AdminComment { admin_id }, admin_id, Some(body)));
            }
            steps.push(by_admin(Action::Close { admin_id }, admin_id, None));
            steps
        }
        Change::Open { admin_id } => {
            admin(admin_id).await?;
            vec![by_admin(Action::Open { admin_id }, admin_id, None)]
        }
        Change::Snooze { admin_id, until } => {
            admin(admin_id).await?;
            vec![by_admin(Action::Snooze { admin_id, until }, admin_id, None)]
        }
        Change::Assign { admin_id, assignee, body } => {
            admin(admin_id).await?;
            let assigned_to = match assignee {
                Assignee::Admin(to) => {
                    crate::admins::find(db, workspace_id, to).await?;
                    Some(("admin", to))
                }
                Assignee::Team(to) => {
                    crate::teams::find(db, workspace_id, to).await?;
                    Some(("team", to))
                }
                Assignee::NoAdmin | Assignee::NoTeam => None,
            };
            let mut step = by_admin(Action::Assign { admin_id, assignee }, admin_id, body);
            step.assigned_to = assigned_to;
            vec![step]
        }
    };
    write_steps(db, workspace_id, id, &steps).await?;
    find(db, workspace_id, id).await
}

async fn write_steps(db: &Db, workspace_id: i64, id: i64, steps: &[Step<'_>]) -> StoreResult<()> {
    let at = now();
    let contact_replied = steps.iter().find(|s| s.action == Action::ContactReply).map(|s| s.author_id);
    let admin_commented = steps.iter().any(|s| matches!(s.action, Action::AdminComment { .. }));
    // PostgreSQL: lock the row so concurrent actions apply one after the other (SQLite's
    // BEGIN IMMEDIATE already serialises writers).
    let lock = if db.backend() == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
    let select = format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND id = $2{lock}");
    with_pool!(db, pool => {
        let mut tx = crate::BeginWrite::begin_write(pool).await?;
        // Read inside the transaction so the transition applies to the state it replaces.
        let row = sqlx::query_as::<_, Conversation>(&select).bind(workspace_id).bind(id)
            .fetch_optional(&mut *tx).await?.or_not_found("conversation")?;
        let mut machine = row.machine()?;
        for step in steps {
            machine = machine.apply(&step.action, at).map_err(|e| StoreError::Invalid(e.to_string()))?;
            sqlx::query(INSERT_PART)
                .bind(workspace_id).bind(id).bind(step.action.part_type()).bind(step.body)
                .bind(&step.author_type).bind(step.author_id)
                .bind(step.assigned_to.map(|(t, _)| t)).bind(step.assigned_to.map(|(_, i)| i))
                .bind(machine.state.as_str()).bind(at)
                .fetch_one(&mut *tx).await?;
        }
        let s = &machine.statistics;
        let reply_times = serde_json::to_string(&s.reply_times).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "UPDATE conversations SET state = $3, read = $4, waiting_since = $5, snoozed_until = $6, \
             admin_assignee_id = $7, team_assignee_id = $8, first_contact_reply_at = $9, first_admin_reply_at = $10, \
             first_assignment_at = $11, last_assignment_at = $12, first_close_at = $13, last_close_at = $14, \
             last_closed_by_id = $15, last_contact_reply_at = $16, last_admin_reply_at = $17, count_reopens = $18, \
             count_assignments = $19, count_parts = $20, last_assignment_admin_reply_at = $21, \
             time_to_assignment = $22, reply_times = $23, updated_at = $24 WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id).bind(id).bind(machine.state.as_str()).bind(machine.read)
            .bind(machine.waiting_since).bind(machine.snoozed_until)
            .bind(machine.admin_assignee_id).bind(machine.team_assignee_id)
            .bind(s.first_contact_reply_at).bind(s.first_admin_reply_at).bind(s.first_assignment_at)
            .bind(s.last_assignment_at).bind(s.first_close_at).bind(s.last_close_at).bind(s.last_closed_by_id)
            .bind(s.last_contact_reply_at).bind(s.last_admin_reply_at).bind(s.count_reopens)
            .bind(s.count_assignments).bind(s.count_parts).bind(s.last_assignment_admin_reply_at)
            .bind(s.time_to_assignment).bind(reply_times).bind(at)
            .execute(&mut *tx).await?;
        if let Some(contact_id) = contact_replied {
            sqlx::query("UPDATE contacts SET last_replied_at = $3 WHERE workspace_id = $1 AND id = $2")
                .bind(workspace_id).bind(contact_id).bind(at).execute(&mut *tx).await?;
        }
        if admin_commented {
            // Every participant hears from the admin.
            sqlx::query("UPDATE contacts SET last_contacted_at = $3 WHERE workspace_id = $1 AND id IN \
                         (SELECT contact_id FROM conversation_contacts WHERE workspace_id = $1 AND conversation_id = $2)")
                .bind(workspace_id).bind(id).bind(at).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Marks read, retitles, or merges custom attributes (checked against the workspace's
/// conversation attributes first).
pub async fn update(db: &Db, workspace_id: i64, id: i64, edit: Edit) -> StoreResult<Conversation> {
    let current = find(db, workspace_id, id).await?;
    let mut attributes = current.custom_attributes();
    if let Some(changes) = &edit.custom_attributes {
        crate::data_attributes::validate_custom_attributes(db, workspace_id, "conversation", changes).await?;
        attributes.extend(changes.clone());
    }
    let attributes = Value::Object(attributes).to_string();
    let read = edit.read.unwrap_or(current.read);
    let title = edit.title.or(current.title);
    execute!(db, pool => sqlx::query(
        "UPDATE conversations SET read = $3, title = $4, custom_attributes = $5, updated_at = $6 \
         WHERE workspace_id = $1 AND id = $2")
        .bind(workspace_id).bind(id).bind(read).bind(title).bind(attributes).bind(now()).execute(pool).await)?;
    find(db, workspace_id, id).await
}

/// Deletes a conversation with its parts, participants and taggings.
pub async fn delete(db: &Db, workspace_id: i64, id: i64) -> StoreResult<()> {
    with_pool!(db, pool => {
        let mut tx = crate::BeginWrite::begin_write(pool).await?;
        sqlx::query("DELETE FROM taggings WHERE workspace_id = $1 AND target_type = 'conversation' AND target_id = $2")
            .bind(workspace_id).bind(id).execute(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM conversations WHERE workspace_id = $1 AND id = $2")
            .bind(workspace_id).bind(id).execute(&mut *tx).await?.rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("conversation"));
        }
        tx.commit().await?;
    });
    Ok(())
}
