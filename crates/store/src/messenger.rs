//! What the messenger (the widget's API) reads and writes about its visitor beyond the shared
//! repositories: finding the user a boot names, last-seen tracking, and the visitor's
//! conversations. Everything is scoped to one workspace and one contact.
use crate::contacts::{self, Contact};
use crate::conversations::{Conversation, COLUMNS};
use crate::{now, Conn, Db, Stmt, StoreResult};
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};

/// The user (never a lead) a boot names: by the customer's `user_id` when given, else by email
/// (case-insensitive; the oldest user with it). Either may be the user's primary (preferred) or a
/// verified further identifier (a secondary email or external id), so a user logged in under a second
/// address is the same contact.
pub async fn find_user(
    db: &Db,
    workspace_id: WorkspaceId,
    user_id: Option<&str>,
    email: Option<&str>,
) -> StoreResult<Option<Contact>> {
    let (column, kind, value) = match (user_id, email) {
        (Some(user_id), _) => ("external_id", "external_id", user_id.to_string()),
        (None, Some(email)) => ("LOWER(email)", "email", email.trim().to_lowercase()),
        (None, None) => return Ok(None),
    };
    let sql = format!(
        "SELECT {} FROM contacts WHERE workspace_id = $1 AND role = 'user' AND merged_into_id IS NULL \
         AND ({column} = $2 OR id IN (SELECT contact_id FROM contact_identities WHERE workspace_id = $1 \
         AND kind = $3 AND value = $2 AND verified)) ORDER BY CASE WHEN {column} = $2 THEN 0 ELSE 1 END, id LIMIT 1",
        contacts::COLUMNS
    );
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(&value).arg(kind)).await
}

/// Records that the visitor is here now, on `url` when given.
pub async fn touch(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId, url: Option<&str>) -> StoreResult<()> {
    let update = Stmt::new(
        "UPDATE contacts SET last_seen_at = $3, last_seen_url = COALESCE($4, last_seen_url) \
         WHERE workspace_id = $1 AND id = $2",
    )
    .arg(workspace_id)
    .arg(contact_id)
    .arg(now())
    .arg(url);
    let mut tx = db.begin().await?;
    tx.execute(update).await?;
    tx.commit().await
}

/// The page the contact was last seen on.
pub async fn last_seen_url(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> StoreResult<Option<String>> {
    let sql = "SELECT last_seen_url FROM contacts WHERE workspace_id = $1 AND id = $2";
    let url: Option<Option<String>> =
        db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(contact_id)).await?;
    Ok(url.flatten())
}

/// Whether the contact takes part in the conversation.
pub async fn takes_part(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    contact_id: ContactId,
) -> StoreResult<bool> {
    let sql = "SELECT contact_id FROM conversation_contacts WHERE workspace_id = $1 AND conversation_id = $2 \
               AND contact_id = $3";
    let found: Option<i64> =
        db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(conversation_id).arg(contact_id)).await?;
    Ok(found.is_some())
}

/// The contact's conversations, most recently updated first, at most `limit`. One merged into
/// another is left out: its messages are in the other one.
pub async fn conversations_of(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    limit: i64,
) -> StoreResult<Vec<Conversation>> {
    let columns = COLUMNS.split(", ").map(|c| format!("c.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns} FROM conversations c JOIN conversation_contacts cc \
         ON cc.workspace_id = c.workspace_id AND cc.conversation_id = c.id \
         WHERE c.workspace_id = $1 AND cc.contact_id = $2 AND c.merged_into_id IS NULL \
         ORDER BY c.updated_at DESC, c.id DESC LIMIT $3"
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(contact_id).arg(limit)).await
}
