//! Contact merges: a lead or a user folded into a user, in one transaction. Everything the
//! merged contact had moves to the survivor (conversations, participations, events, tags, notes,
//! company links, further identifiers); the survivor's fields follow
//! [`rapport_core::contact::plan_merge`]. The merged row stays, marked `merged_into_id`, with its
//! own values untouched, and a `contact.merged` event records who merged what and every value
//! the survivor did not take. Merges are irreversible (see docs/API.md).
use rapport_core::contact::{check_merge, plan_merge, Email, MergePlan, MergeSide};
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ContactId, WorkspaceId};
use serde::Serialize;
use serde_json::{json, Value};

use super::{find, Contact, COLUMNS};
use crate::{now, Conn, Db, OptionExt, Stmt, StoreError, StoreResult, Tx};

/// How much a merge moves, for the preview.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MergeCounts {
    pub conversations: i64,
    pub events: i64,
    pub tags: i64,
    pub notes: i64,
    pub companies: i64,
    pub identities: i64,
}

/// What a merge would do, without doing it.
#[derive(Debug, Clone)]
pub struct MergePreview {
    pub from: Contact,
    pub into: Contact,
    pub plan: MergePlan,
    pub counts: MergeCounts,
}

/// A contact by id, merged or not: a merge names the refusal precisely.
async fn find_any(conn: &mut impl Conn, workspace_id: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE workspace_id = $1 AND id = $2");
    let contact: Contact =
        conn.fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("contact")?;
    if let Some(target) = contact.merged_into_id {
        return Err(StoreError::Invalid(format!("contact {id} was already merged into contact {target}")));
    }
    Ok(contact)
}

fn side<'a>(c: &'a Contact, custom_attributes: &'a serde_json::Map<String, Value>) -> MergeSide<'a> {
    MergeSide {
        id: c.id,
        role: c.role(),
        name: c.name.as_deref(),
        email: c.email.as_deref(),
        phone: c.phone.as_deref(),
        external_id: c.external_id.as_deref(),
        avatar: c.avatar.as_deref(),
        custom_attributes,
    }
}

async fn checked(
    conn: &mut impl Conn,
    workspace_id: WorkspaceId,
    from_id: ContactId,
    into_id: ContactId,
) -> StoreResult<(Contact, Contact, MergePlan)> {
    if from_id == into_id {
        return Err(StoreError::Invalid("a contact cannot be merged into itself".into()));
    }
    let from = find_any(conn, workspace_id, from_id).await?;
    let into = find_any(conn, workspace_id, into_id).await?;
    check_merge(from.id, from.role(), into.id, into.role()).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let (from_attributes, into_attributes) = (from.custom_attributes_map(), into.custom_attributes_map());
    let plan = plan_merge(&side(&from, &from_attributes), &side(&into, &into_attributes));
    Ok((from, into, plan))
}

/// What merging `from_id` into `into_id` would change and which values would be dropped.
/// Refused exactly as [`merge_by`] would be.
pub async fn preview(
    db: &Db,
    workspace_id: WorkspaceId,
    from_id: ContactId,
    into_id: ContactId,
) -> StoreResult<MergePreview> {
    let (from, into, plan) = checked(&mut db.read(), workspace_id, from_id, into_id).await?;
    let count =
        |sql: &'static str| async move { db.read().scalar::<i64>(Stmt::new(sql).arg(workspace_id).arg(from_id)).await };
    let counts = MergeCounts {
        conversations: count(
            "SELECT COUNT(DISTINCT id) FROM conversations WHERE workspace_id = $1 AND (contact_id = $2 OR id IN \
             (SELECT conversation_id FROM conversation_contacts WHERE workspace_id = $1 AND contact_id = $2))",
        )
        .await?,
        events: count("SELECT COUNT(*) FROM events WHERE workspace_id = $1 AND contact_id = $2").await?,
        tags: count(
            "SELECT COUNT(*) FROM taggings WHERE workspace_id = $1 AND target_type = 'contact' AND target_id = $2",
        )
        .await?,
        notes: count("SELECT COUNT(*) FROM notes WHERE workspace_id = $1 AND contact_id = $2").await?,
        companies: count("SELECT COUNT(*) FROM contact_companies WHERE workspace_id = $1 AND contact_id = $2").await?,
        identities: count("SELECT COUNT(*) FROM contact_identities WHERE workspace_id = $1 AND contact_id = $2")
            .await?
            + plan.carried.len() as i64,
    };
    Ok(MergePreview { from, into, plan, counts })
}

/// Merges `from_id` (a lead or a user) into the user `into_id`; see the module docs. Returns the
/// surviving user.
pub async fn merge(db: &Db, workspace_id: WorkspaceId, from_id: ContactId, into_id: ContactId) -> StoreResult<Contact> {
    merge_by(db, workspace_id, from_id, into_id, None).await
}

/// [`merge`], recording the teammate who asked for it on the `contact.merged` event.
pub async fn merge_by(
    db: &Db,
    workspace_id: WorkspaceId,
    from_id: ContactId,
    into_id: ContactId,
    admin_id: Option<AdminId>,
) -> StoreResult<Contact> {
    let mut tx = db.begin().await?;
    merge_in(&mut tx, workspace_id, from_id, into_id, admin_id).await?;
    tx.commit().await?;
    find(db, workspace_id, into_id).await
}

/// Inside `tx`: the merge of [`merge_by`], checked against the rows `tx` sees (shared with the
/// Segment intake, which folds a signed-in visitor's lead into the user in its own transaction).
pub(crate) async fn merge_in(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    from_id: ContactId,
    into_id: ContactId,
    admin_id: Option<AdminId>,
) -> StoreResult<()> {
    let (from, into, plan) = checked(tx, workspace_id, from_id, into_id).await?;
    let email_domain = plan.email.as_deref().and_then(|e| Email::parse(e).ok()).map(|e| e.domain().to_string());
    let at = now();
    // Each statement takes ($1 workspace, $2 merged contact, $3 survivor); the deletes only the
    // first two.
    let moves = [
        // The same event recorded on both contacts is kept once (the events_dedup index).
        "DELETE FROM events WHERE workspace_id = $1 AND contact_id = $2 AND EXISTS (SELECT 1 FROM events u \
         WHERE u.workspace_id = $1 AND u.contact_id = $3 AND u.event_name = events.event_name \
         AND u.created_at = events.created_at AND u.metadata_hash = events.metadata_hash)",
        "UPDATE events SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
        "UPDATE event_summary_adjustments SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
        "UPDATE conversations SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
        "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) \
         SELECT workspace_id, conversation_id, $3, created_at FROM conversation_contacts \
         WHERE workspace_id = $1 AND contact_id = $2 ON CONFLICT (conversation_id, contact_id) DO NOTHING",
        "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
         SELECT workspace_id, tag_id, target_type, $3, applied_at, applied_by_admin_id FROM taggings \
         WHERE workspace_id = $1 AND target_type = 'contact' AND target_id = $2 \
         ON CONFLICT (tag_id, target_type, target_id) DO NOTHING",
        "UPDATE notes SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
        "INSERT INTO contact_companies (workspace_id, contact_id, company_id, created_at) \
         SELECT workspace_id, $3, company_id, created_at FROM contact_companies \
         WHERE workspace_id = $1 AND contact_id = $2 ON CONFLICT (contact_id, company_id) DO NOTHING",
        "UPDATE contact_identities SET contact_id = $3 WHERE workspace_id = $1 AND contact_id = $2",
    ];
    let cleanups = [
        "DELETE FROM conversation_contacts WHERE workspace_id = $1 AND contact_id = $2",
        "DELETE FROM taggings WHERE workspace_id = $1 AND target_type = 'contact' AND target_id = $2",
        "DELETE FROM contact_companies WHERE workspace_id = $1 AND contact_id = $2",
    ];
    // A further identifier equal to the survivor's new primary is the primary now.
    let primaries = [
        ("email", plan.email.as_deref().map(str::to_lowercase)),
        ("phone", plan.phone.clone()),
        ("external_id", plan.external_id.clone()),
    ];
    let event = crate::event_log::NewEvent {
        workspace_id,
        kind: EventKind::ContactMerged,
        conversation_id: None,
        audience: crate::event_log::Audience::Admins,
        payload: json!({
            "from": {"id": from.id, "role": from.role},
            "into": {"id": into.id, "role": into.role},
            "merged_by": admin_id.map(|id| json!({"type": "admin", "id": id})),
            "dropped": plan.conflicts,
        }),
        created_at: at,
    };
    for sql in moves {
        tx.execute(Stmt::new(sql).arg(workspace_id).arg(from.id).arg(into.id)).await?;
    }
    for sql in cleanups {
        tx.execute(Stmt::new(sql).arg(workspace_id).arg(from.id)).await?;
    }
    for carried in &plan.carried {
        tx.execute(
            Stmt::new(
                "INSERT INTO contact_identities (workspace_id, contact_id, kind, value, verified, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, kind, value) DO NOTHING",
            )
            .arg(workspace_id)
            .arg(into.id)
            .arg(carried.kind.as_str())
            .arg(&carried.value)
            .arg(carried.verified)
            .arg(at),
        )
        .await?;
    }
    for (kind, primary) in &primaries {
        tx.execute(
            Stmt::new(
                "DELETE FROM contact_identities WHERE workspace_id = $1 AND contact_id = $2 \
                 AND kind = $3 AND value = $4",
            )
            .arg(workspace_id)
            .arg(into.id)
            .arg(*kind)
            .arg(primary),
        )
        .await?;
    }
    // Marked merged before the survivor takes its external id (unique among live contacts).
    tx.execute(
        Stmt::new("UPDATE contacts SET merged_into_id = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .arg(workspace_id)
            .arg(from.id)
            .arg(into.id)
            .arg(at),
    )
    .await?;
    tx.execute(
        Stmt::new(
            "UPDATE contacts SET name = $3, email = $4, email_domain = $5, phone = $6, external_id = $7, \
             avatar = $8, custom_attributes = $9, updated_at = $10 WHERE workspace_id = $1 AND id = $2",
        )
        .arg(workspace_id)
        .arg(into.id)
        .arg(&plan.name)
        .arg(&plan.email)
        .arg(&email_domain)
        .arg(&plan.phone)
        .arg(&plan.external_id)
        .arg(&plan.avatar)
        .arg(Value::Object(plan.custom_attributes.clone()).to_string())
        .arg(at),
    )
    .await?;
    crate::event_log::append(tx, &event).await?;
    Ok(())
}
