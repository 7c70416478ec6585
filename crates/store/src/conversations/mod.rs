//! Conversations: reading one with its parts, contacts, teammates and tags; cursor-paged lists and
//! search in `listing`. Writes live in `actions`; the rules of each transition live
//! in `rapport_core::conversation`.
use rapport_core::conversation::{self as core, AuthorType, ConversationState, PartType, Statistics};
use rapport_core::ids::{AdminId, ContactId, ConversationId, TeamId, WorkspaceId};
use serde::Serialize;

use crate::tags::{self, AppliedTag, Target};
use crate::{Conn, Db, OptionExt, Stmt, StoreResult};

mod actions;
pub mod counts;
pub mod listing;
mod live;
mod merge;
mod reads;
mod tagging;

pub(crate) use actions::append_event;
pub use actions::{
    create, delete, reply_or_act, send, update, Change, ContactRef, Edit, NewConversation, SendOptions, Sent,
    MAX_MENTIONS,
};
pub use listing::{list, search, Cursor, Sort, SortField, TEXT_COUNT_CAP, TOTAL_COUNT_CAP};
pub use live::{last_public_parts, live_part, live_parts, summary, AttachmentRef, LivePart};
pub use merge::merge;
pub(crate) use merge::merged_away;
pub use reads::{mark_read, receipts, unread_for_contact, Reader};
pub use tagging::{tag_part, untag_part};

/// Most parts a conversation shows, as in Intercom.
pub const MAX_PARTS: i64 = 500;

/// A conversation row.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Conversation {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub contact_id: ContactId,
    pub state: ConversationState,
    pub read: bool,
    pub priority: bool,
    pub title: Option<String>,
    pub admin_assignee_id: Option<AdminId>,
    pub team_assignee_id: Option<TeamId>,
    pub source_type: String,
    pub source_delivered_as: String,
    pub source_subject: String,
    pub source_body: String,
    pub source_author_type: AuthorType,
    pub source_author_id: i64,
    pub source_url: Option<String>,
    pub source_part_id: Option<i64>,
    pub waiting_since: Option<i64>,
    pub snoozed_until: Option<i64>,
    /// JSON object text.
    pub custom_attributes: String,
    pub first_contact_reply_at: Option<i64>,
    pub first_admin_reply_at: Option<i64>,
    pub first_assignment_at: Option<i64>,
    pub last_assignment_at: Option<i64>,
    pub last_assignment_admin_reply_at: Option<i64>,
    pub first_close_at: Option<i64>,
    pub last_close_at: Option<i64>,
    pub last_closed_by_id: Option<AdminId>,
    pub last_contact_reply_at: Option<i64>,
    pub last_admin_reply_at: Option<i64>,
    pub count_reopens: i64,
    pub count_assignments: i64,
    pub count_parts: i64,
    pub time_to_assignment: Option<i64>,
    /// JSON array of response times in seconds.
    pub reply_times: String,
    /// The last part a teammate has read (read receipts).
    pub admin_last_read_part_id: Option<i64>,
    /// The conversation this one was folded into ([`merge`]); it is closed and takes no replies.
    pub merged_into_id: Option<ConversationId>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const COLUMNS: &str = "id, workspace_id, contact_id, state, read, priority, title, admin_assignee_id, \
    team_assignee_id, source_type, source_delivered_as, source_subject, source_body, source_author_type, \
    source_author_id, source_url, source_part_id, waiting_since, snoozed_until, custom_attributes, \
    first_contact_reply_at, first_admin_reply_at, first_assignment_at, last_assignment_at, \
    last_assignment_admin_reply_at, first_close_at, last_close_at, last_closed_by_id, last_contact_reply_at, \
    last_admin_reply_at, count_reopens, count_assignments, count_parts, time_to_assignment, reply_times, \
    admin_last_read_part_id, merged_into_id, created_at, updated_at";

impl Conversation {
    /// The state-machine view of this row.
    pub fn machine(&self) -> StoreResult<core::Conversation> {
        Ok(core::Conversation {
            state: self.state,
            created_at: self.created_at,
            read: self.read,
            waiting_since: self.waiting_since,
            snoozed_until: self.snoozed_until,
            admin_assignee_id: self.admin_assignee_id,
            team_assignee_id: self.team_assignee_id,
            statistics: self.statistics(),
        })
    }

    pub fn statistics(&self) -> Statistics {
        Statistics {
            first_contact_reply_at: self.first_contact_reply_at,
            first_assignment_at: self.first_assignment_at,
            first_admin_reply_at: self.first_admin_reply_at,
            first_close_at: self.first_close_at,
            last_assignment_at: self.last_assignment_at,
            last_assignment_admin_reply_at: self.last_assignment_admin_reply_at,
            last_contact_reply_at: self.last_contact_reply_at,
            last_admin_reply_at: self.last_admin_reply_at,
            last_close_at: self.last_close_at,
            last_closed_by_id: self.last_closed_by_id,
            count_reopens: self.count_reopens,
            count_assignments: self.count_assignments,
            count_parts: self.count_parts,
            time_to_assignment: self.time_to_assignment,
            reply_times: serde_json::from_str(&self.reply_times).unwrap_or_default(),
        }
    }

    /// The custom attributes as a JSON object (an unreadable document reads as empty).
    pub fn custom_attributes(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.custom_attributes).unwrap_or_default()
    }
}

/// A contact taking part in a conversation.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Participant {
    pub conversation_id: ConversationId,
    pub id: ContactId,
    /// `user` or `lead`.
    pub role: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A conversation part with its author's name and email.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Part {
    pub id: i64,
    pub part_type: PartType,
    pub body: Option<String>,
    pub author_type: AuthorType,
    pub author_id: i64,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub assigned_to_type: Option<String>,
    pub assigned_to_id: Option<i64>,
    pub redacted: bool,
    pub state: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    #[row(skip)]
    pub attachments: Vec<AttachmentRef>,
    /// Tags applied to this part (`Target::ConversationPart`).
    #[row(skip)]
    pub tags: Vec<AppliedTag>,
    /// Teammates a note mentions.
    #[row(skip)]
    pub mentioned_admin_ids: Vec<AdminId>,
    /// The delivery of a reply sent by email (`None` for other parts).
    #[row(skip)]
    pub email_delivery: Option<crate::email::outbound::Delivery>,
}

/// What a page of conversations shows besides the rows, loaded with one query each.
#[derive(Debug, Clone, Default)]
pub struct Related {
    pub contacts: Vec<Participant>,
    pub tags: Vec<AppliedTag>,
    /// (conversation id, admin id) of every admin who wrote a part.
    pub teammates: Vec<(ConversationId, AdminId)>,
    /// The SLA applied to each conversation that has one.
    pub slas: Vec<crate::sla::ConversationSla>,
}

/// One conversation with everything its full view shows. `parts` starts with the opening
/// message (the `source`) when the conversation has one.
#[derive(Debug, Clone)]
pub struct Detail {
    pub conversation: Conversation,
    pub parts: Vec<Part>,
    pub related: Related,
}

/// A page of conversations, newest activity first.
#[derive(Debug, Clone)]
pub struct Page {
    pub conversations: Vec<Conversation>,
    pub related: Related,
    pub total_count: i64,
    /// Whether more rows follow the last one of this page.
    pub has_more: bool,
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: ConversationId) -> StoreResult<Conversation> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("conversation")
}

/// One conversation with its first [`MAX_PARTS`] parts (plus the opening message) in time order
/// (a merge brings older parts in), contacts, teammates and tags.
pub async fn find_detail(db: &Db, workspace_id: WorkspaceId, id: ConversationId) -> StoreResult<Detail> {
    let parts = Stmt::new(
        "SELECT p.id, p.part_type, p.body, p.author_type, p.author_id, \
         COALESCE(a.name, c.name) AS author_name, COALESCE(a.email, c.email) AS author_email, \
         p.assigned_to_type, p.assigned_to_id, p.redacted, p.state, p.created_at, p.updated_at \
         FROM conversation_parts p \
         LEFT JOIN admins a ON p.author_type = 'admin' AND a.id = p.author_id AND a.workspace_id = p.workspace_id \
         LEFT JOIN contacts c ON p.author_type <> 'admin' AND c.id = p.author_id AND c.workspace_id = p.workspace_id \
         WHERE p.workspace_id = $1 AND p.conversation_id = $2 ORDER BY p.created_at, p.id LIMIT $3",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(MAX_PARTS + 1);
    let parts = async { db.read().fetch_all::<Part>(parts).await };
    // Independent reads run side by side, each on a connection of its own (see `related`).
    let ids = [id];
    let (conversation, parts, related) =
        tokio::try_join!(find(db, workspace_id, id), parts, related(db, workspace_id, &ids))?;
    let parts = with_part_extras(db, workspace_id, parts).await?;
    Ok(Detail { conversation, parts, related })
}

/// Fills each part's attachments, tags, mentions and email delivery: four queries for all the parts.
async fn with_part_extras(db: &Db, workspace_id: WorkspaceId, mut parts: Vec<Part>) -> StoreResult<Vec<Part>> {
    let ids: Vec<i64> = parts.iter().map(|p| p.id).collect();
    let (attachments, tags, mentions, deliveries) = tokio::try_join!(
        live::attachments_of(db, workspace_id, &ids),
        tags::tags_of(db, workspace_id, Target::ConversationPart, &ids),
        live::mentions_of(db, workspace_id, &ids),
        crate::email::outbound::deliveries(db, workspace_id, &ids),
    )?;
    for part in &mut parts {
        part.email_delivery = deliveries.iter().find(|d| d.part_id == part.id).cloned();
        part.attachments = attachments.iter().filter(|a| a.part_id == Some(part.id)).cloned().collect();
        part.tags = tags.iter().filter(|t| t.target_id == part.id).cloned().collect();
        part.mentioned_admin_ids = live::mentioned_by(&mentions, part.id);
    }
    Ok(parts)
}

/// Contacts, tags, teammates and SLAs of a page of conversations: four queries whatever the page
/// size, run side by side.
pub async fn related(db: &Db, workspace_id: WorkspaceId, ids: &[ConversationId]) -> StoreResult<Related> {
    if ids.is_empty() {
        return Ok(Related::default());
    }
    let contacts_sql = format!(
        "SELECT cc.conversation_id, c.id, c.role, c.external_id, c.name, c.email FROM conversation_contacts cc \
         JOIN contacts c ON c.id = cc.contact_id AND c.workspace_id = cc.workspace_id \
         WHERE cc.workspace_id = $1 AND cc.conversation_id IN ({}) ORDER BY cc.conversation_id, cc.created_at, c.id",
        crate::placeholders(2, ids.len())
    );
    let teammates_sql = format!(
        "SELECT DISTINCT conversation_id, author_id FROM conversation_parts \
         WHERE workspace_id = $1 AND author_type = 'admin' AND conversation_id IN ({}) \
         ORDER BY conversation_id, author_id",
        crate::placeholders(2, ids.len())
    );
    let contacts = Stmt::new(contacts_sql).arg(workspace_id).args(ids);
    let contacts = async { db.read().fetch_all::<Participant>(contacts).await };
    let teammates = Stmt::new(teammates_sql).arg(workspace_id).args(ids);
    let target_ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let teammates = async { db.read().fetch_all::<(ConversationId, AdminId)>(teammates).await };
    // Four independent reads, each on a connection of its own: a page waits for the slowest
    // rather than for their sum.
    let (contacts, teammates, tags, slas) = tokio::try_join!(
        contacts,
        teammates,
        tags::tags_of(db, workspace_id, Target::Conversation, &target_ids),
        crate::sla::for_conversations(db, workspace_id, ids),
    )?;
    Ok(Related { contacts, tags, teammates, slas })
}
