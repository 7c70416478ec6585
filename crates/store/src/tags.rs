//! Tags, and taggings of contacts, companies and conversations.
use serde::Serialize;

use crate::{execute, now, with_pool, Conflict, Db, Named, OptionExt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Tag {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub created_at: i64,
}

/// A tag as applied to one target.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AppliedTag {
    pub target_id: i64,
    pub id: i64,
    pub name: String,
    pub applied_at: i64,
    pub applied_by_admin_id: Option<i64>,
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

/// Logs a `conversation.tagged`/`.untagged` event for conversation `$id` inside `$tx`.
macro_rules! tagging_event {
    ($tx:expr, $workspace_id:expr, $id:expr, $kind:expr, $tag:expr) => {{
        let tag: &Tag = $tag;
        let extra = serde_json::json!({"tag": {"id": tag.id, "name": tag.name}});
        $crate::conversations::conversation_event!($tx, $workspace_id, $id, $kind, $crate::event_log::Audience::Admins, extra)
    }};
}

fn valid_name(name: &str) -> StoreResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 190 {
        return Err(StoreError::Invalid("tag name must be 1 to 190 characters".into()));
    }
    Ok(name)
}

/// Finds the tag with this name, creating it when missing.
pub async fn find_or_create(db: &Db, workspace_id: i64, name: &str) -> StoreResult<Tag> {
    let name = valid_name(name)?;
    let insert = "INSERT INTO tags (workspace_id, name, created_at) VALUES ($1, $2, $3) \
                  ON CONFLICT (workspace_id, name) DO NOTHING";
    execute!(db, pool => sqlx::query(insert).bind(workspace_id).bind(name).bind(now()).execute(pool).await)?;
    let sql = format!("SELECT {COLUMNS} FROM tags WHERE workspace_id = $1 AND name = $2");
    with_pool!(db, pool => sqlx::query_as::<_, Tag>(&sql).bind(workspace_id).bind(name).fetch_optional(pool).await)?
        .or_not_found("tag")
}

pub async fn find(db: &Db, workspace_id: i64, id: i64) -> StoreResult<Tag> {
    let sql = format!("SELECT {COLUMNS} FROM tags WHERE workspace_id = $1 AND id = $2");
    with_pool!(db, pool => sqlx::query_as::<_, Tag>(&sql).bind(workspace_id).bind(id).fetch_optional(pool).await)?
        .or_not_found("tag")
}

pub async fn list(db: &Db, workspace_id: i64) -> StoreResult<Vec<Tag>> {
    let sql = format!("SELECT {COLUMNS} FROM tags WHERE workspace_id = $1 ORDER BY id");
    Ok(with_pool!(db, pool => sqlx::query_as::<_, Tag>(&sql).bind(workspace_id).fetch_all(pool).await)?)
}

/// Renames a tag.
pub async fn rename(db: &Db, workspace_id: i64, id: i64, name: &str) -> StoreResult<Tag> {
    let name = valid_name(name)?;
    let sql = format!("UPDATE tags SET name = $3 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}");
    with_pool!(db, pool => sqlx::query_as::<_, Tag>(&sql).bind(workspace_id).bind(id).bind(name).fetch_optional(pool).await)
        .map_err(|e| StoreError::unique_as(e, Conflict::DuplicateName(Named::Tag)))?
        .or_not_found("tag")
}

/// How many targets carry the tag.
pub async fn usage_count(db: &Db, workspace_id: i64, id: i64) -> StoreResult<i64> {
    Ok(with_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM taggings WHERE workspace_id = $1 AND tag_id = $2")
        .bind(workspace_id).bind(id).fetch_one(pool).await)?)
}

/// Deletes a tag that nothing carries (Intercom refuses to delete a tag in use).
pub async fn delete(db: &Db, workspace_id: i64, id: i64) -> StoreResult<()> {
    find(db, workspace_id, id).await?;
    if usage_count(db, workspace_id, id).await? > 0 {
        return Err(Conflict::TagInUse.into());
    }
    execute!(db, pool => sqlx::query("DELETE FROM tags WHERE workspace_id = $1 AND id = $2")
        .bind(workspace_id).bind(id).execute(pool).await)?;
    Ok(())
}

/// Applies a tag to a target of this workspace (idempotent). Both must exist in the workspace.
pub async fn apply(
    db: &Db,
    workspace_id: i64,
    tag_id: i64,
    target: Target,
    target_id: i64,
    admin_id: Option<i64>,
) -> StoreResult<AppliedTag> {
    let tag = find(db, workspace_id, tag_id).await?;
    let exists_sql = format!("SELECT COUNT(*) FROM {} WHERE workspace_id = $1 AND id = $2", target.table());
    let exists = with_pool!(db, pool => sqlx::query_scalar::<_, i64>(&exists_sql)
        .bind(workspace_id).bind(target_id).fetch_one(pool).await)?;
    if exists == 0 {
        return Err(StoreError::not_found(target.as_str()));
    }
    let seq = with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        let inserted = sqlx::query(
            "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tag_id, target_type, target_id) DO NOTHING")
            .bind(workspace_id).bind(tag.id).bind(target.as_str()).bind(target_id).bind(now()).bind(admin_id)
            .execute(&mut *tx).await?.rows_affected();
        let mut seq = None;
        if inserted > 0 && target == Target::Conversation {
            seq = Some(tagging_event!(tx, workspace_id, target_id, "conversation.tagged", &tag)?);
        }
        tx.commit().await?;
        seq
    });
    announce(db, workspace_id, seq);
    let mut applied = tags_of(db, workspace_id, target, &[target_id]).await?;
    applied.retain(|t| t.id == tag.id);
    applied.pop().or_not_found("tag")
}

/// Removes a tag from a target; returns the tag. Not-applied is a 404 on the tag.
pub async fn remove(db: &Db, workspace_id: i64, tag_id: i64, target: Target, target_id: i64) -> StoreResult<Tag> {
    let tag = find(db, workspace_id, tag_id).await?;
    let seq = with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        let removed = sqlx::query(
            "DELETE FROM taggings WHERE workspace_id = $1 AND tag_id = $2 AND target_type = $3 AND target_id = $4")
            .bind(workspace_id).bind(tag_id).bind(target.as_str()).bind(target_id)
            .execute(&mut *tx).await?.rows_affected();
        if removed == 0 {
            return Err(StoreError::not_found("tag"));
        }
        let mut seq = None;
        if target == Target::Conversation {
            seq = Some(tagging_event!(tx, workspace_id, target_id, "conversation.untagged", &tag)?);
        }
        tx.commit().await?;
        seq
    });
    announce(db, workspace_id, seq);
    Ok(tag)
}

/// The tags applied to each of `target_ids` (one query for a whole page of targets).
pub async fn tags_of(db: &Db, workspace_id: i64, target: Target, target_ids: &[i64]) -> StoreResult<Vec<AppliedTag>> {
    if target_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT g.target_id, t.id, t.name, g.applied_at, g.applied_by_admin_id FROM taggings g \
         JOIN tags t ON t.id = g.tag_id WHERE g.workspace_id = $1 AND g.target_type = $2 AND g.target_id IN ({}) \
         ORDER BY g.target_id, g.applied_at, t.id",
        crate::placeholders(3, target_ids.len())
    );
    with_pool!(db, pool => {
        let mut query = sqlx::query_as::<_, AppliedTag>(&sql).bind(workspace_id).bind(target.as_str());
        for id in target_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(pool).await?)
    })
}

/// Moves every tagging of one target to another (contact merge), keeping the earliest application.
pub async fn move_all(db: &Db, workspace_id: i64, target: Target, from_id: i64, into_id: i64) -> StoreResult<()> {
    with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        sqlx::query(
            "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
             SELECT workspace_id, tag_id, target_type, $4, applied_at, applied_by_admin_id FROM taggings \
             WHERE workspace_id = $1 AND target_type = $2 AND target_id = $3 \
             ON CONFLICT (tag_id, target_type, target_id) DO NOTHING")
            .bind(workspace_id).bind(target.as_str()).bind(from_id).bind(into_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM taggings WHERE workspace_id = $1 AND target_type = $2 AND target_id = $3")
            .bind(workspace_id).bind(target.as_str()).bind(from_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Applies a tag to every target in `apply` and removes it from every target in `remove`, in one
/// transaction: either all of it happens or none. Every target must exist in the workspace; that
/// is checked before the first write. Removing a tag that is not applied is a no-op here (bulk
/// untagging is idempotent, unlike [`remove`]).
pub async fn apply_and_remove_many(
    db: &Db,
    workspace_id: i64,
    tag_id: i64,
    target: Target,
    apply: &[i64],
    remove: &[i64],
    admin_id: Option<i64>,
) -> StoreResult<()> {
    let tag = find(db, workspace_id, tag_id).await?;
    let exists_sql = format!("SELECT COUNT(*) FROM {} WHERE workspace_id = $1 AND id = $2", target.table());
    for id in apply.iter().chain(remove) {
        let exists = with_pool!(db, pool => sqlx::query_scalar::<_, i64>(&exists_sql)
            .bind(workspace_id).bind(*id).fetch_one(pool).await)?;
        if exists == 0 {
            return Err(StoreError::not_found(target.as_str()));
        }
    }
    let at = now();
    let seq = with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        let mut seq = None;
        for id in apply {
            let inserted = sqlx::query(
                "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at, applied_by_admin_id) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tag_id, target_type, target_id) DO NOTHING")
                .bind(workspace_id).bind(tag.id).bind(target.as_str()).bind(*id).bind(at).bind(admin_id)
                .execute(&mut *tx).await?.rows_affected();
            if inserted > 0 && target == Target::Conversation {
                seq = Some(tagging_event!(tx, workspace_id, *id, "conversation.tagged", &tag)?);
            }
        }
        for id in remove {
            let removed = sqlx::query(
                "DELETE FROM taggings WHERE workspace_id = $1 AND tag_id = $2 AND target_type = $3 AND target_id = $4")
                .bind(workspace_id).bind(tag.id).bind(target.as_str()).bind(*id)
                .execute(&mut *tx).await?.rows_affected();
            if removed > 0 && target == Target::Conversation {
                seq = Some(tagging_event!(tx, workspace_id, *id, "conversation.untagged", &tag)?);
            }
        }
        tx.commit().await?;
        seq
    });
    announce(db, workspace_id, seq);
    Ok(())
}

fn announce(db: &Db, workspace_id: i64, seq: Option<i64>) {
    if let Some(seq) = seq {
        db.announce(workspace_id, seq);
    }
}
