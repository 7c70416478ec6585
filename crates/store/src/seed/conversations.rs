//! Conversation generation shared by the demo and the scale seeds: a plausible sequence of parts
//! (assignment, replies, notes, close/snooze/reopen) and statistics columns derived from exactly
//! those parts, so the stored counters agree with the stored parts.
use rapport_core::ids::WorkspaceId;
use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::Rng;

use super::batch::{self, Rows, V};
use super::text::{self, THEMES};
use crate::{Conn, Db, StoreResult};

/// Who takes part in the conversations of a workspace.
pub struct Cast {
    /// Admins who reply (viewers excluded).
    pub responders: Vec<i64>,
    /// Teams and their responding members.
    pub teams: Vec<(i64, Vec<i64>)>,
    /// Conversation tag ids by tag name.
    pub tags: HashMap<String, i64>,
}

pub struct PartPlan {
    pub part_type: &'static str,
    pub body: Option<String>,
    pub author_type: &'static str,
    pub author_id: i64,
    pub assigned_to: Option<(&'static str, i64)>,
    pub at: i64,
}

/// One conversation, ready to insert.
pub struct ConvPlan {
    pub contact_id: i64,
    pub contact_role: &'static str,
    pub state: &'static str,
    pub read: bool,
    pub priority: bool,
    pub title: Option<String>,
    pub admin_assignee_id: Option<i64>,
    pub team_assignee_id: Option<i64>,
    pub source_type: &'static str,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub waiting_since: Option<i64>,
    pub snoozed_until: Option<i64>,
    pub product_area: &'static str,
    pub first_admin_reply_at: Option<i64>,
    pub first_assignment_at: Option<i64>,
    pub last_assignment_at: Option<i64>,
    pub first_close_at: Option<i64>,
    pub last_close_at: Option<i64>,
    pub last_closed_by_id: Option<i64>,
    pub last_contact_reply_at: i64,
    pub last_admin_reply_at: Option<i64>,
    pub count_reopens: i64,
    pub count_assignments: i64,
    pub parts: Vec<PartPlan>,
    pub tag_ids: Vec<i64>,
    pub updated_at: i64,
}

const PRODUCT_AREAS: &[&str] = &["billing", "authentication", "reporting", "integrations", "mobile", "workspace"];

/// Plans a conversation of `n_parts` parts started by a contact at `created_at`. Part times grow
/// by minutes to hours and never pass `now`.
pub fn plan(
    rng: &mut StdRng,
    cast: &Cast,
    contact_id: i64,
    contact_role: &'static str,
    created_at: i64,
    n_parts: usize,
    now: i64,
) -> ConvPlan {
    let theme = &THEMES[rng.gen_range(0..THEMES.len())];
    let email = rng.gen_bool(0.3);
    let roll: f64 = rng.gen();
    // Without parts nothing can close or snooze it: it stays open and waiting.
    let target = if n_parts == 0 || cast.responders.is_empty() {
        "open"
    } else if roll < 0.45 {
        "closed"
    } else if roll < 0.6 {
        "snoozed"
    } else {
        "open"
    };
    let mut c = ConvPlan {
        contact_id,
        contact_role,
        state: "open",
        read: false,
        priority: rng.gen_bool(0.1),
        title: email.then(|| theme.subject.to_string()),
        admin_assignee_id: None,
        team_assignee_id: None,
        source_type: if email { "email" } else { "conversation" },
        subject: if email { theme.subject.to_string() } else { String::new() },
        body: text::html(text::pick(rng, theme.questions)),
        created_at,
        waiting_since: None,
        snoozed_until: None,
        product_area: PRODUCT_AREAS[rng.gen_range(0..PRODUCT_AREAS.len())],
        first_admin_reply_at: None,
        first_assignment_at: None,
        last_assignment_at: None,
        first_close_at: None,
        last_close_at: None,
        last_closed_by_id: None,
        last_contact_reply_at: created_at,
        last_admin_reply_at: None,
        count_reopens: 0,
        count_assignments: 0,
        parts: Vec::with_capacity(n_parts),
        tag_ids: Vec::new(),
        updated_at: created_at,
    };
    let mut agent = cast.responders.first().copied().unwrap_or(0);
    if !cast.responders.is_empty() {
        agent = cast.responders[rng.gen_range(0..cast.responders.len())];
    }
    let mut t = created_at;
    let mut last_from_contact = true;
    let mut reopened = false;
    let step = |rng: &mut StdRng, t: &mut i64| {
        *t = (*t + rng.gen_range(60..4 * 3600)).min(now);
        *t
    };
    while c.parts.len() < n_parts {
        let remaining = n_parts - c.parts.len();
        let at = step(rng, &mut t);
        if cast.responders.is_empty() {
            c.parts.push(contact_part(rng, theme, contact_role, contact_id, at));
            c.last_contact_reply_at = at;
            continue;
        }
        if remaining == 1 && target != "open" {
            if target == "closed" {
                close(&mut c, agent, at);
            } else {
                c.parts.push(admin_part("snoozed", None, agent, at));
                c.state = "snoozed";
                c.snoozed_until = Some(now + rng.gen_range(3600..72 * 3600));
            }
            break;
        }
        if c.parts.is_empty() && remaining >= 2 && rng.gen_bool(0.7) {
            // Routing first: to a team (then a member picks it up later) or straight to an admin.
            let to_team = !cast.teams.is_empty() && rng.gen_bool(0.6);
            let (kind, id) = if to_team {
                let (team, members) = &cast.teams[rng.gen_range(0..cast.teams.len())];
                if !members.is_empty() {
                    agent = members[rng.gen_range(0..members.len())];
                }
                ("team", *team)
            } else {
                ("admin", agent)
            };
            assign(&mut c, agent, kind, id, at);
            continue;
        }
        if target == "closed" && !reopened && remaining >= 4 && rng.gen_bool(0.15) {
            // Closed too early: the teammate reopens it (counted as a reopen).
            close(&mut c, agent, at);
            let at = step(rng, &mut t);
            c.parts.push(admin_part("open", None, agent, at));
            c.state = "open";
            c.count_reopens += 1;
            reopened = true;
            continue;
        }
        if last_from_contact || rng.gen_bool(0.3) {
            if rng.gen_bool(0.2) {
                c.parts.push(admin_part("note", Some(text::html(text::pick(rng, theme.notes))), agent, at));
            } else {
                c.parts.push(admin_part("comment", Some(text::html(text::pick(rng, theme.replies))), agent, at));
                c.first_admin_reply_at.get_or_insert(at);
                c.last_admin_reply_at = Some(at);
                c.read = true;
                last_from_contact = false;
            }
        } else {
            c.parts.push(contact_part(rng, theme, contact_role, contact_id, at));
            c.last_contact_reply_at = at;
            last_from_contact = true;
        }
    }
    if c.state == "open" && last_from_contact {
        c.waiting_since = Some(c.last_contact_reply_at);
    }
    if !c.read {
        c.read = rng.gen_bool(0.3);
    }
    c.updated_at = c.parts.last().map(|p| p.at).unwrap_or(created_at);
    if rng.gen_bool(0.7) {
        c.tag_ids.extend(cast.tags.get(theme.tag));
    }
    if c.priority {
        c.tag_ids.extend(cast.tags.get("Urgent").filter(|id| !c.tag_ids.contains(id)));
    }
    c
}

fn admin_part(part_type: &'static str, body: Option<String>, admin: i64, at: i64) -> PartPlan {
    PartPlan { part_type, body, author_type: "admin", author_id: admin, assigned_to: None, at }
}

fn contact_part(rng: &mut StdRng, theme: &text::Theme, role: &'static str, contact_id: i64, at: i64) -> PartPlan {
    let body = Some(text::html(text::pick(rng, theme.follow_ups)));
    PartPlan { part_type: "comment", body, author_type: role, author_id: contact_id, assigned_to: None, at }
}

fn assign(c: &mut ConvPlan, by: i64, kind: &'static str, id: i64, at: i64) {
    c.parts.push(PartPlan {
        part_type: "assignment",
        body: None,
        author_type: "admin",
        author_id: by,
        assigned_to: Some((kind, id)),
        at,
    });
    if kind == "team" {
        c.team_assignee_id = Some(id);
    } else {
        c.admin_assignee_id = Some(id);
    }
    c.first_assignment_at.get_or_insert(at);
    c.last_assignment_at = Some(at);
    c.count_assignments += 1;
}

fn close(c: &mut ConvPlan, admin: i64, at: i64) {
    let body = Some(text::html("Closing this for now. Just reply if there is anything else!"));
    c.parts.push(admin_part("close", body, admin, at));
    c.state = "closed";
    c.first_close_at.get_or_insert(at);
    c.last_close_at = Some(at);
    c.last_closed_by_id = Some(admin);
}

const CONVERSATION_COLUMNS: &[&str] = &[
    "workspace_id",
    "contact_id",
    "state",
    "read",
    "priority",
    "title",
    "admin_assignee_id",
    "team_assignee_id",
    "source_type",
    "source_delivered_as",
    "source_subject",
    "source_body",
    "source_author_type",
    "source_author_id",
    "waiting_since",
    "snoozed_until",
    "custom_attributes",
    "first_contact_reply_at",
    "first_admin_reply_at",
    "first_assignment_at",
    "last_assignment_at",
    "first_close_at",
    "last_close_at",
    "last_closed_by_id",
    "last_contact_reply_at",
    "last_admin_reply_at",
    "count_reopens",
    "count_assignments",
    "count_parts",
    "created_at",
    "updated_at",
];
const PART_COLUMNS: &[&str] = &[
    "workspace_id",
    "conversation_id",
    "part_type",
    "body",
    "author_type",
    "author_id",
    "assigned_to_type",
    "assigned_to_id",
    "created_at",
    "updated_at",
];

/// Inserts conversations with their parts, participants and tags in one transaction.
pub async fn insert(db: &Db, workspace_id: WorkspaceId, plans: &[ConvPlan]) -> StoreResult<u64> {
    let mut conversations = Rows::new("conversations", CONVERSATION_COLUMNS);
    for c in plans {
        let attrs = serde_json::json!({ "product_area": c.product_area }).to_string();
        conversations.push(vec![
            V::I(workspace_id.get()),
            V::I(c.contact_id),
            V::S(c.state.into()),
            V::B(c.read),
            V::B(c.priority),
            V::NS(c.title.clone()),
            V::NI(c.admin_assignee_id),
            V::NI(c.team_assignee_id),
            V::S(c.source_type.into()),
            V::S("customer_initiated".into()),
            V::S(c.subject.clone()),
            V::S(c.body.clone()),
            V::S(c.contact_role.into()),
            V::I(c.contact_id),
            V::NI(c.waiting_since),
            V::NI(c.snoozed_until),
            V::S(attrs),
            V::I(c.created_at),
            V::NI(c.first_admin_reply_at),
            V::NI(c.first_assignment_at),
            V::NI(c.last_assignment_at),
            V::NI(c.first_close_at),
            V::NI(c.last_close_at),
            V::NI(c.last_closed_by_id),
            V::I(c.last_contact_reply_at),
            V::NI(c.last_admin_reply_at),
            V::I(c.count_reopens),
            V::I(c.count_assignments),
            V::I(c.parts.len() as i64),
            V::I(c.created_at),
            V::I(c.updated_at),
        ]);
    }
    let mut tx = db.begin().await?;
    let ids = batch::insert_in(&mut tx, db.backend(), &conversations).await?;
    for rows in dependents(workspace_id, plans, &ids) {
        for statement in rows.statements(db.backend(), false) {
            tx.execute(statement).await?;
        }
    }
    tx.commit().await?;
    Ok(plans.iter().map(|c| c.parts.len() as u64).sum())
}

/// Parts, participants and taggings of conversations whose ids are now known.
fn dependents(workspace_id: WorkspaceId, plans: &[ConvPlan], ids: &[i64]) -> [Rows; 3] {
    let mut parts = Rows::new("conversation_parts", PART_COLUMNS);
    let mut participants =
        Rows::new("conversation_contacts", &["workspace_id", "conversation_id", "contact_id", "created_at"]);
    let mut taggings = Rows::new(
        "taggings",
        &["workspace_id", "tag_id", "target_type", "target_id", "applied_at", "applied_by_admin_id"],
    );
    for (c, &id) in plans.iter().zip(ids) {
        participants.push(vec![V::I(workspace_id.get()), V::I(id), V::I(c.contact_id), V::I(c.created_at)]);
        for p in &c.parts {
            parts.push(vec![
                V::I(workspace_id.get()),
                V::I(id),
                V::S(p.part_type.into()),
                V::NS(p.body.clone()),
                V::S(p.author_type.into()),
                V::I(p.author_id),
                V::NS(p.assigned_to.map(|(kind, _)| kind.to_string())),
                V::NI(p.assigned_to.map(|(_, id)| id)),
                V::I(p.at),
                V::I(p.at),
            ]);
        }
        let by = c.parts.iter().find(|p| p.author_type == "admin").map(|p| p.author_id);
        for tag in &c.tag_ids {
            taggings.push(vec![
                V::I(workspace_id.get()),
                V::I(*tag),
                V::S("conversation".into()),
                V::I(id),
                V::I(c.updated_at),
                V::NI(by),
            ]);
        }
    }
    [parts, participants, taggings]
}
