//! Tags on one part of a conversation (a Rapport extension: Intercom shows `tags` on a part but
//! has no endpoint to set them). A part tag is a `taggings` row with target type
//! `conversation_part`, written with a `conversation_part.tagged` / `.untagged` event.
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ConversationId, WorkspaceId};
use serde_json::json;

use super::append_event;
use crate::event_log::Audience;
use crate::tags::{self, AppliedTag, Tag, Target};
use crate::{Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// Checks that the part belongs to the conversation, both of this workspace.
async fn check_part(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: i64,
) -> StoreResult<()> {
    super::find(db, workspace_id, conversation_id).await?;
    let sql = "SELECT COUNT(*) FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3";
    let found: i64 = db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(conversation_id).arg(part_id)).await?;
    if found == 0 {
        return Err(StoreError::not_found("conversation_part"));
    }
    Ok(())
}

fn event_extra(part_id: i64, tag: &Tag) -> serde_json::Value {
    json!({"part_id": part_id, "tag": {"id": tag.id, "name": tag.name}})
}

/// Tags a part of a conversation (idempotent); answers the tag as applied.
pub async fn tag_part(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: i64,
    tag_id: i64,
    admin_id: AdminId,
) -> StoreResult<AppliedTag> {
    check_part(db, workspace_id, conversation_id, part_id).await?;
    let tag = tags::find(db, workspace_id, tag_id).await?;
    crate::admins::find(db, workspace_id, admin_id).await?;
    let mut tx = db.begin().await?;
    if tags::attach(&mut tx, workspace_id, &tag, Target::ConversationPart, part_id, Some(admin_id)).await? {
        let extra = event_extra(part_id, &tag);
        append_event(&mut tx, workspace_id, conversation_id, EventKind::PartTagged, Audience::Admins, extra).await?;
    }
    tx.commit().await?;
    let mut applied = tags::tags_of(db, workspace_id, Target::ConversationPart, &[part_id]).await?;
    applied.retain(|t| t.id == tag.id);
    applied.pop().or_not_found("tag")
}

/// Removes a tag from a part; answers the tag. A tag the part does not carry is a 404 on the tag.
pub async fn untag_part(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    part_id: i64,
    tag_id: i64,
) -> StoreResult<Tag> {
    check_part(db, workspace_id, conversation_id, part_id).await?;
    let tag = tags::find(db, workspace_id, tag_id).await?;
    let mut tx = db.begin().await?;
    if !tags::detach(&mut tx, workspace_id, &tag, Target::ConversationPart, part_id).await? {
        return Err(StoreError::not_found("tag"));
    }
    let extra = event_extra(part_id, &tag);
    append_event(&mut tx, workspace_id, conversation_id, EventKind::PartUntagged, Audience::Admins, extra).await?;
    tx.commit().await?;
    Ok(tag)
}
