//! The Intercom shapes of a conversation, its parts, statistics and the message that starts it.
use rapport_core::conversation::plaintext;
use rapport_core::conversation::{AuthorType, ConversationState};
use rapport_store::conversations::{AttachmentRef, Conversation, Part, Related};
use rapport_store::tags::AppliedTag;
use serde_json::{json, Value};

/// How bodies are shown: as stored, or stripped to text (`display_as=plaintext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Html,
    Plaintext,
}

impl Display {
    fn body(self, body: &str) -> String {
        match self {
            Display::Html => body.to_string(),
            Display::Plaintext => plaintext(body),
        }
    }
}

/// A tag as applied to a conversation.
pub fn applied_tag_json(t: &AppliedTag) -> Value {
    json!({
        "type": "tag",
        "id": t.id.to_string(),
        "name": t.name,
        "applied_at": t.applied_at,
        "applied_by": t.applied_by_admin_id.map(|id| json!({"type": "admin", "id": id.to_string()})),
    })
}

fn statistics_json(c: &Conversation) -> Value {
    let s = c.statistics();
    json!({
        "type": "conversation_statistics",
        "time_to_assignment": s.time_to_assignment,
        "time_to_admin_reply": s.time_to_admin_reply(),
        "time_to_first_close": s.time_to_first_close(),
        "time_to_last_close": s.time_to_last_close(),
        "median_time_to_reply": s.median_time_to_reply(),
        "first_contact_reply_at": s.first_contact_reply_at,
        "first_assignment_at": s.first_assignment_at,
        "first_admin_reply_at": s.first_admin_reply_at,
        "first_close_at": s.first_close_at,
        "last_assignment_at": s.last_assignment_at,
        "last_assignment_admin_reply_at": s.last_assignment_admin_reply_at,
        "last_contact_reply_at": s.last_contact_reply_at,
        "last_admin_reply_at": s.last_admin_reply_at,
        "last_close_at": s.last_close_at,
        "last_closed_by_id": s.last_closed_by_id.map(|id| id.to_string()),
        "count_reopens": s.count_reopens,
        "count_assignments": s.count_assignments,
        "count_conversation_parts": s.count_parts,
    })
}

fn author_json(kind: AuthorType, id: i64, name: &Option<String>, email: &Option<String>) -> Value {
    json!({"type": kind, "id": id.to_string(), "name": name, "email": email})
}

/// An attachment as a part lists it: Intercom's `part_attachment` plus our `id`. `files` is the
/// URL the teammate downloads from (`{public_url}/api/attachments`).
fn attachment_json(a: &AttachmentRef, files: &str) -> Value {
    json!({
        "type": "upload",
        "id": a.id.to_string(),
        "name": a.name,
        "url": format!("{files}/{}", a.id),
        "content_type": a.content_type,
        "filesize": a.size,
    })
}

/// A tag as a part shows it (Intercom's `tag_basic` plus when and by whom it was applied).
fn part_tags_json(p: &Part) -> Vec<Value> {
    p.tags.iter().map(applied_tag_json).collect()
}

/// One part. `files` is the URL attachments are downloaded under (see `attachment_json`).
pub fn part_json(p: &Part, display: Display, files: &str) -> Value {
    json!({
        "type": "conversation_part",
        "id": p.id.to_string(),
        "part_type": p.part_type,
        "body": p.body.as_deref().map(|b| display.body(b)),
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "notified_at": p.created_at,
        "assigned_to": match (&p.assigned_to_type, p.assigned_to_id) {
            (Some(kind), Some(id)) => json!({"type": kind, "id": id.to_string()}),
            _ => Value::Null,
        },
        "author": author_json(p.author_type, p.author_id, &p.author_name, &p.author_email),
        "attachments": p.attachments.iter().map(|a| attachment_json(a, files)).collect::<Vec<_>>(),
        "external_id": null,
        "redacted": p.redacted,
        "email_message_metadata": null,
        // Rapport extension: a teammate's reply to an email conversation, as the relay took it.
        "email_delivery": p.email_delivery.as_ref().map(|d| json!({
            "type": "email_delivery",
            "state": d.state,
            "error": d.error,
            "sent_at": d.sent_at,
            "attempts": d.attempts,
        })),
        "state": p.state,
        "tags": part_tags_json(p),
        "mentioned_admin_ids": p.mentioned_admin_ids.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
        "event_details": null,
        "app_package_code": null,
    })
}

/// A conversation. `parts` (opening message first) is given for the full view and omitted in
/// lists, as Intercom does; `files` is the URL attachments are downloaded under.
pub fn conversation_json(
    c: &Conversation,
    related: &Related,
    parts: Option<&[Part]>,
    display: Display,
    files: &str,
) -> Value {
    let contacts: Vec<_> = related.contacts.iter().filter(|p| p.conversation_id == c.id).collect();
    let source_author = contacts.iter().find(|p| p.id.get() == c.source_author_id);
    let teammates: Vec<Value> = related
        .teammates
        .iter()
        .filter(|(conversation, _)| *conversation == c.id)
        .map(|(_, admin)| json!({"type": "admin", "id": admin.to_string()}))
        .collect();
    let tags: Vec<Value> = related.tags.iter().filter(|t| t.target_id == c.id.get()).map(applied_tag_json).collect();
    let source_part = parts.and_then(|parts| parts.iter().find(|p| Some(p.id) == c.source_part_id));
    let sla = related.slas.iter().find(|s| s.conversation_id == c.id);
    let mut body = json!({
        "type": "conversation",
        "id": c.id.to_string(),
        "title": c.title,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "waiting_since": c.waiting_since,
        "snoozed_until": c.snoozed_until,
        "open": c.state == ConversationState::Open,
        "state": c.state,
        // Our extension: set when this conversation was folded into another (its parts are there).
        "merged_into": c.merged_into_id.map(|id| json!({"type": "conversation", "id": id.to_string()})),
        "read": c.read,
        "priority": if c.priority { "priority" } else { "not_priority" },
        "admin_assignee_id": c.admin_assignee_id,
        "team_assignee_id": c.team_assignee_id,
        "source": {
            "type": c.source_type,
            "id": c.source_part_id.unwrap_or(c.id.get()).to_string(),
            "delivered_as": c.source_delivered_as,
            "subject": c.source_subject,
            "body": display.body(&c.source_body),
            "author": author_json(
                c.source_author_type,
                c.source_author_id,
                &source_author.and_then(|p| p.name.clone()),
                &source_author.and_then(|p| p.email.clone()),
            ),
            "attachments": source_part
                .map(|p| p.attachments.iter().map(|a| attachment_json(a, files)).collect::<Vec<_>>())
                .unwrap_or_default(),
            "url": c.source_url,
            "redacted": false,
            // Rapport extension: the tags of the opening message when it is stored as a part (then
            // `id` is that part's, which can be tagged); `null` for older conversations without one.
            "tags": source_part.map(part_tags_json),
        },
        "contacts": {
            "type": "contact.list",
            "contacts": contacts.iter()
                .map(|p| json!({"type": "contact", "id": p.id.to_string(), "external_id": p.external_id}))
                .collect::<Vec<_>>(),
        },
        "teammates": {"type": "admin.list", "teammates": teammates},
        "first_contact_reply": c.first_contact_reply_at
            .map(|at| json!({"created_at": at, "type": "conversation", "url": c.source_url})),
        "tags": {"type": "tag.list", "tags": tags},
        "conversation_rating": null,
        "sla_applied": sla.map(|s| s.sla_applied_json()),
        "sla_state": sla.map(|s| s.sla_state_json()),
        "statistics": statistics_json(c),
        "custom_attributes": c.custom_attributes(),
        "topics": {},
        "ticket": null,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": false},
        "ai_agent": null,
        "ai_agent_participated": false,
    });
    if let Some(parts) = parts {
        let shown: Vec<Value> = parts
            .iter()
            .filter(|p| Some(p.id) != c.source_part_id)
            .take(rapport_store::conversations::MAX_PARTS as usize)
            .map(|p| part_json(p, display, files))
            .collect();
        body["conversation_parts"] = json!({
            "type": "conversation_part.list",
            "total_count": c.count_parts,
            "conversation_parts": shown,
        });
    }
    body
}
