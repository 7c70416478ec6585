//! Tags on one part of a conversation (a Rapport extension: Intercom shows `tags` on a part but
//! has no endpoint to set them). A part tag is a `taggings` row with target type
//! `conversation_part`, written with a `conversation_part.tagged` / `.untagged` event.
use serde_json::json;

use super::conversation_event;
use crate::event_log::Audience;
use crate::tags::{self, AppliedTag, Tag, Target};
use crate::{now, with_pool, Db, OptionExt, StoreError, StoreResult};

/// Checks that the part belongs to the conversation, both of this workspace.
async fn check_part(db: &Db, workspace_id: i64, conversation_id: i64, part_id: i64) -> StoreResult<()> {
    super::find(db, workspace_id, conversation_id).await?;
    let found = with_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3")
        .bind(workspace_id).bind(conversation_id).bind(part_id).fetch_one(pool).await)?;
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
    workspace_id: i64,
    conversation_id: i64,
    part_id: i64,
    tag_id: i64,
    admin_id: i64,
) -> StoreResult<AppliedTag> {
    check_part(db, workspace_id, conversation_id, part_id).await?;
    let tag = tags::find(db, workspace_id, tag_id).await?;
    crate::admins::find(db, workspace_id, admin_id).await?;
    let seq = with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        let inserted = sqlx::query(
            "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tag_id, target_type, target_id) DO NOTHING")
            .bind(workspace_id).bind(tag.id).bind(Target::ConversationPart.as_str()).bind(part_id).bind(now())
            .bind(admin_id).execute(&mut *tx).await?.rows_affected();
        let mut seq = None;
        if inserted > 0 {
            let extra = event_extra(part_id, &tag);
            seq = Some(conversation_event!(tx, workspace_id, conversation_id, "conversation_part.tagged",
                Audience::Admins, extra)?);
        }
        tx.commit().await?;
        seq
    });
    if let Some(seq) = seq {
        db.announce(workspace_id, seq);
    }
    let mut applied = tags::tags_of(db, workspace_id, Target::ConversationPart, &[part_id]).await?;
    applied.retain(|t| t.id == tag.id);
    applied.pop().or_not_found("tag")
}

/// Removes a tag from a part; answers the tag. A tag the part does not carry is a 404 on the tag.
pub async fn untag_part(
    db: &Db,
    workspace_id: i64,
    conversation_id: i64,
    part_id: i64,
    tag_id: i64,
) -> StoreResult<Tag> {
    check_part(db, workspace_id, conversation_id, part_id).await?;
    let tag = tags::find(db, workspace_id, tag_id).await?;
    let seq = with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        let removed = sqlx::query(
            "DELETE FROM taggings WHERE workspace_id = $1 AND tag_id = $2 AND target_type = $3 AND target_id = $4")
            .bind(workspace_id).bind(tag.id).bind(Target::ConversationPart.as_str()).bind(part_id)
            .execute(&mut *tx).await?.rows_affected();
        if removed == 0 {
            return Err(StoreError::not_found("tag"));
        }
        let extra = event_extra(part_id, &tag);
        let seq = conversation_event!(tx, workspace_id, conversation_id, "conversation_part.untagged",
            Audience::Admins, extra)?;
        tx.commit().await?;
        seq
    });
    db.announce(workspace_id, seq);
    Ok(tag)
}
