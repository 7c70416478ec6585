//! Tags, and taggings of contacts, companies and conversations.
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ConversationId, WorkspaceId};
use serde::Serialize;

use serde_json::json;

use crate::conversations::append_event;
use crate::event_log::Audience;
use crate::{now, Conflict, Conn, Db, Named, OptionExt, Stmt, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Tag {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub created_at: i64,
}

/// A tag as applied to one target.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct AppliedTag {
    pub target_id: i64,
    pub id: i64,
    pub name: String,
    pub applied_at: i64,
    pub applied_by_admin_id: Option<AdminId>,
}

/// What a tag can be applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Contact,
    Company,
    Conversation,
    /// One message or event of a conversation (Rapport extension; see `conversations::tag_part`).
    ConversationPart,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Contact => "contact",
            Target::Company => "company",
            Target::Conversation => "conversation",
            Target::ConversationPart => "conversation_part",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Target::Contact => "contacts",
            Target::Company => "companies",
            Target::Conversation => "conversations",
            Target::ConversationPart => "conversation_parts",
        }
    }
}

const COLUMNS: &str = "id, workspace_id, name, created_at";

fn valid_name(name: &str) -> StoreResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 190 {
        return Err(StoreError::Invalid("tag name must be 1 to 190 characters".into()));
    }
    Ok(name)
}

/// Finds the tag with this name, creating it when missing.
pub async fn find_or_create(db: &Db, workspace_id: WorkspaceId, name: &str) -> StoreResult<Tag> {
    let name = valid_name(name)?;
    let insert = "INSERT INTO tags (workspace_id, name, created_at) VALUES ($1, $2, $3) \
                  ON CONFLICT (workspace_id, name) DO NOTHING";
    let mut tx = db.begin().await?;
    tx.execute(Stmt::new(insert).arg(workspace_id).arg(name).arg(now())).await?;
    let sql = format!("SELECT {COLUMNS} FROM tags WHERE workspace_id = $1 AND name = $2");
    let tag = tx.fetch_optional(Stmt::new(sql).arg(workspace_id).arg(name)).await?.or_not_found("tag")?;
    tx.commit().await?;
    Ok(tag)
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<Tag> {
    let sql = format!("SELECT {COLUMNS} FROM tags WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("tag")
}

pub async fn list(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<Tag>> {
    let sql = format!("SELECT {COLUMNS} FROM tags WHERE workspace_id = $1 ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

/// Renames a tag.
pub async fn rename(db: &Db, workspace_id: WorkspaceId, id: i64, name: &str) -> StoreResult<Tag> {
    let name = valid_name(name)?;
    let sql = format!("UPDATE tags SET name = $3 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}");
    let mut tx = db.begin().await?;
    let tag = tx
        .fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id).arg(name))
        .await
        .map_err(|e| StoreError::unique_as(e, Conflict::DuplicateName(Named::Tag)))?
        .or_not_found("tag")?;
    tx.commit().await?;
    Ok(tag)
}

/// How many targets carry the tag.
pub async fn usage_count(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<i64> {
    count_usage(&mut db.read(), workspace_id, id).await
}

async fn count_usage(conn: &mut impl Conn, workspace_id: WorkspaceId, id: i64) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM taggings WHERE workspace_id = $1 AND tag_id = $2";
    conn.scalar(Stmt::new(sql).arg(workspace_id).arg(id)).await
}

/// Deletes a tag that nothing carries (Intercom refuses to delete a tag in use).
pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<()> {
    find(db, workspace_id, id).await?;
    // Checked inside the write, so a tag applied meanwhile is not deleted from under it.
    let mut tx = db.begin().await?;
    if count_usage(&mut tx, workspace_id, id).await? > 0 {
        return Err(Conflict::TagInUse.into());
    }
    tx.execute(Stmt::new("DELETE FROM tags WHERE workspace_id = $1 AND id = $2").arg(workspace_id).arg(id)).await?;
    tx.commit().await
}

/// Checks that the target exists in this workspace.
async fn check_target(conn: &mut impl Conn, workspace_id: WorkspaceId, target: Target, id: i64) -> StoreResult<()> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE workspace_id = $1 AND id = $2", target.table());
    match conn.scalar::<i64>(Stmt::new(sql).arg(workspace_id).arg(id)).await? {
        0 => Err(StoreError::not_found(target.as_str())),
        _ => Ok(()),
    }
}

/// The `conversation.tagged` / `conversation.untagged` event of `tag` on conversation `id`.
async fn conversation_event(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    tag: &Tag,
    id: i64,
    kind: EventKind,
) -> StoreResult<i64> {
    let extra = json!({"tag": {"id": tag.id, "name": tag.name}});
    append_event(tx, workspace_id, ConversationId::new(id), kind, Audience::Admins, extra).await
}

/// Applies `tag` to a target inside `tx` (a no-op when it is applied already; answers whether it
/// was new). A conversation's new tag is written with its `conversation.tagged` event.
pub(crate) async fn attach(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    tag: &Tag,
    target: Target,
    target_id: i64,
    admin_id: Option<AdminId>,
) -> StoreResult<bool> {
    let insert = Stmt::new(
        "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tag_id, target_type, target_id) DO NOTHING",
    )
    .arg(workspace_id)
    .arg(tag.id)
    .arg(target.as_str())
    .arg(target_id)
    .arg(now())
    .arg(admin_id);
    let inserted = tx.execute(insert).await? > 0;
    if inserted && target == Target::Conversation {
        conversation_event(tx, workspace_id, tag, target_id, EventKind::ConversationTagged).await?;
    }
    Ok(inserted)
}

/// Takes `tag` off a target inside `tx`; answers whether it was applied. A conversation's removed
/// tag is written with its `conversation.untagged` event.
pub(crate) async fn detach(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    tag: &Tag,
    target: Target,
    target_id: i64,
) -> StoreResult<bool> {
    let delete = Stmt::new(
        "DELETE FROM taggings WHERE workspace_id = $1 AND tag_id = $2 AND target_type = $3 AND target_id = $4",
    )
    .arg(workspace_id)
    .arg(tag.id)
    .arg(target.as_str())
    .arg(target_id);
    let removed = tx.execute(delete).await? > 0;
    if removed && target == Target::Conversation {
        conversation_event(tx, workspace_id, tag, target_id, EventKind::ConversationUntagged).await?;
    }
    Ok(removed)
}

/// Applies a tag to a target of this workspace (idempotent). Both must exist in the workspace.
pub async fn apply(
    db: &Db,
    workspace_id: WorkspaceId,
    tag_id: i64,
    target: Target,
    target_id: i64,
    admin_id: Option<AdminId>,
) -> StoreResult<AppliedTag> {
    let tag = find(db, workspace_id, tag_id).await?;
    let mut tx = db.begin().await?;
    check_target(&mut tx, workspace_id, target, target_id).await?;
    attach(&mut tx, workspace_id, &tag, target, target_id, admin_id).await?;
    tx.commit().await?;
    let mut applied = tags_of(db, workspace_id, target, &[target_id]).await?;
    applied.retain(|t| t.id == tag.id);
    applied.pop().or_not_found("tag")
}

/// Removes a tag from a target; returns the tag. Not-applied is a 404 on the tag.
pub async fn remove(
    db: &Db,
    workspace_id: WorkspaceId,
    tag_id: i64,
    target: Target,
    target_id: i64,
) -> StoreResult<Tag> {
    let tag = find(db, workspace_id, tag_id).await?;
    let mut tx = db.begin().await?;
    if !detach(&mut tx, workspace_id, &tag, target, target_id).await? {
        return Err(StoreError::not_found("tag"));
    }
    tx.commit().await?;
    Ok(tag)
}

/// The tags applied to each of `target_ids` (one query for a whole page of targets).
pub async fn tags_of(
    db: &Db,
    workspace_id: WorkspaceId,
    target: Target,
    target_ids: &[i64],
) -> StoreResult<Vec<AppliedTag>> {
    if target_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT g.target_id, t.id, t.name, g.applied_at, g.applied_by_admin_id FROM taggings g \
         JOIN tags t ON t.id = g.tag_id WHERE g.workspace_id = $1 AND g.target_type = $2 AND g.target_id IN ({}) \
         ORDER BY g.target_id, g.applied_at, t.id",
        crate::placeholders(3, target_ids.len())
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(target.as_str()).args(target_ids)).await
}

/// Applies a tag to every target in `apply` and removes it from every target in `remove`, in one
/// transaction: either all of it happens or none. Every target must exist in the workspace; that
/// is checked before the first write. Removing a tag that is not applied is a no-op here (bulk
/// untagging is idempotent, unlike [`remove`]).
pub async fn apply_and_remove_many(
    db: &Db,
    workspace_id: WorkspaceId,
    tag_id: i64,
    target: Target,
    apply: &[i64],
    remove: &[i64],
    admin_id: Option<AdminId>,
) -> StoreResult<()> {
    let tag = find(db, workspace_id, tag_id).await?;
    let mut tx = db.begin().await?;
    for id in apply.iter().chain(remove) {
        check_target(&mut tx, workspace_id, target, *id).await?;
    }
    for id in apply {
        attach(&mut tx, workspace_id, &tag, target, *id, admin_id).await?;
    }
    for id in remove {
        detach(&mut tx, workspace_id, &tag, target, *id).await?;
    }
    tx.commit().await
}
