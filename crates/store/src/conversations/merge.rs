//! Conversation merges: one conversation (the source) folded into another (the target) in one
//! transaction. Every part of the source moves to the target (the target lists parts in time
//! order), with the source's participants, tags and email thread; a note on the target says
//! where they came from; the source's SLA is cancelled and the target's re-evaluated over the
//! merged thread. The source keeps its row, closed, with `merged_into_id` naming the
//! target: replies to it are refused with that id, and reads redirect. Irreversible, like
//! contact merges (see docs/API.md).
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ConversationId, WorkspaceId};
use serde_json::json;

use super::actions::append_event;
use super::{find, Conversation};
use crate::event_log::Audience;
use crate::{now, Conn, Db, Stmt, StoreError, StoreResult};

/// The refusal for a write to a conversation that was merged away.
pub(crate) fn merged_away(id: ConversationId, target: ConversationId) -> StoreError {
    StoreError::Invalid(format!("conversation {id} was merged into conversation {target}; use that one"))
}

/// Folds conversation `from_id` into `into_id` on behalf of teammate `admin_id`; returns the
/// target afterwards.
pub async fn merge(
    db: &Db,
    workspace_id: WorkspaceId,
    from_id: ConversationId,
    into_id: ConversationId,
    admin_id: AdminId,
) -> StoreResult<Conversation> {
    if from_id == into_id {
        return Err(StoreError::Invalid("a conversation cannot be merged into itself".into()));
    }
    let from = find(db, workspace_id, from_id).await?;
    let into = find(db, workspace_id, into_id).await?;
    for c in [&from, &into] {
        if let Some(target) = c.merged_into_id {
            return Err(merged_away(c.id, target));
        }
    }
    crate::admins::find(db, workspace_id, admin_id).await?;
    let at = now();
    // Each statement takes ($1 workspace, $2 source, $3 target).
    let moves = [
        "UPDATE conversation_parts SET conversation_id = $3 WHERE workspace_id = $1 AND conversation_id = $2",
        "UPDATE conversation_mentions SET conversation_id = $3 WHERE workspace_id = $1 AND conversation_id = $2",
        "UPDATE email_messages SET conversation_id = $3 WHERE workspace_id = $1 AND conversation_id = $2",
        "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) \
         SELECT workspace_id, $3, contact_id, created_at FROM conversation_contacts \
         WHERE workspace_id = $1 AND conversation_id = $2 ON CONFLICT (conversation_id, contact_id) DO NOTHING",
        "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
         SELECT workspace_id, tag_id, target_type, $3, applied_at, applied_by_admin_id FROM taggings \
         WHERE workspace_id = $1 AND target_type = 'conversation' AND target_id = $2 \
         ON CONFLICT (tag_id, target_type, target_id) DO NOTHING",
    ];
    let mut tx = db.begin().await?;
    let moved: i64 = tx
        .scalar(
            Stmt::new("SELECT COUNT(*) FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = $2")
                .arg(workspace_id)
                .arg(from.id),
        )
        .await?;
    for sql in moves {
        tx.execute(Stmt::new(sql).arg(workspace_id).arg(from.id).arg(into.id)).await?;
    }
    // Conversations started before the opening message was a part keep it on their row only.
    let mut added = 0;
    if from.source_part_id.is_none() && !from.source_body.is_empty() {
        tx.execute(
            Stmt::new(
                "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, \
                 author_id, state, created_at, updated_at) VALUES ($1, $2, 'comment', $3, $4, $5, 'open', $6, $6)",
            )
            .arg(workspace_id)
            .arg(into.id)
            .arg(&from.source_body)
            .arg(from.source_author_type.as_str())
            .arg(from.source_author_id)
            .arg(from.created_at),
        )
        .await?;
        added = 1;
    }
    let note = format!(
        "Merged conversation #{} into this one: its parts ({}) are shown above, in time order.",
        from.id,
        moved + added
    );
    tx.execute(
        Stmt::new(
            "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, \
             author_id, state, created_at, updated_at) VALUES ($1, $2, 'note', $3, 'admin', $4, $5, $6, $6)",
        )
        .arg(workspace_id)
        .arg(into.id)
        .arg(note)
        .arg(admin_id)
        .arg(into.state.as_str())
        .arg(at),
    )
    .await?;
    tx.execute(
        Stmt::new(
            "UPDATE conversations SET state = 'closed', merged_into_id = $3, count_parts = 0, \
             last_close_at = $4, last_closed_by_id = $5, first_close_at = COALESCE(first_close_at, $4), \
             waiting_since = NULL, snoozed_until = NULL, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        )
        .arg(workspace_id)
        .arg(from.id)
        .arg(into.id)
        .arg(at)
        .arg(admin_id),
    )
    .await?;
    // The source's SLA stops (its messages are the target's now, whose SLA sees them).
    tx.execute(
        Stmt::new(
            "UPDATE conversation_slas SET status = 'cancelled', next_check_at = NULL, \
             revision = revision + 1 WHERE workspace_id = $1 AND conversation_id = $2",
        )
        .arg(workspace_id)
        .arg(from.id),
    )
    .await?;
    tx.execute(
        Stmt::new(
            "UPDATE conversations SET count_parts = count_parts + $3, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2",
        )
        .arg(workspace_id)
        .arg(into.id)
        .arg(moved + added + 1)
        .arg(at),
    )
    .await?;
    let merged_away = json!({"merged_into": {"id": into.id}});
    append_event(&mut tx, workspace_id, from.id, EventKind::ConversationMergedAway, Audience::Admins, merged_away)
        .await?;
    let extra = json!({"merged_from": {"id": from.id}, "merged_by": {"type": "admin", "id": admin_id}});
    append_event(&mut tx, workspace_id, into.id, EventKind::ConversationMerged, Audience::Admins, extra).await?;
    tx.commit().await?;
    crate::sla::after_part(db, workspace_id, into.id).await;
    find(db, workspace_id, into.id).await
}
