//! Notes: free text teammates leave on a contact. Bodies are stored as given, never interpreted.
use rapport_core::ids::{AdminId, ContactId, WorkspaceId};
use serde::Serialize;

use crate::{now, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// A note with its author's public details (all `None` when the note has no author).
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Note {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub contact_id: ContactId,
    pub admin_id: Option<AdminId>,
    pub body: String,
    pub created_at: i64,
    pub admin_name: Option<String>,
    pub admin_email: Option<String>,
    pub admin_away_mode_enabled: Option<bool>,
    pub admin_away_mode_reassign: Option<bool>,
}

/// Longest note body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 65_535;

const SELECT: &str = "SELECT n.id, n.workspace_id, n.contact_id, n.admin_id, n.body, n.created_at, \
    a.name AS admin_name, a.email AS admin_email, a.away_mode_enabled AS admin_away_mode_enabled, \
    a.away_mode_reassign AS admin_away_mode_reassign FROM notes n LEFT JOIN admins a ON a.id = n.admin_id";

/// Adds a note to a live contact. The author, when given, must be a teammate of the workspace.
pub async fn create(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    admin_id: Option<AdminId>,
    body: &str,
) -> StoreResult<Note> {
    if body.trim().is_empty() {
        return Err(StoreError::Invalid("body must not be empty".into()));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(StoreError::Invalid(format!("body is too long (at most {MAX_BODY_CHARS} characters)")));
    }
    crate::contacts::find(db, workspace_id, contact_id).await?;
    if let Some(admin_id) = admin_id {
        crate::admins::find(db, workspace_id, admin_id).await?;
    }
    let insert = Stmt::new(
        "INSERT INTO notes (workspace_id, contact_id, admin_id, body, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .arg(workspace_id)
    .arg(contact_id)
    .arg(admin_id)
    .arg(body)
    .arg(now());
    let mut tx = db.begin().await?;
    let id: i64 = tx.scalar(insert).await?;
    tx.commit().await?;
    find(db, workspace_id, id).await
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<Note> {
    let sql = format!("{SELECT} WHERE n.workspace_id = $1 AND n.id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("note")
}

/// One numbered page (1-based) of a live contact's notes, newest first, with the total. A page
/// past the end is empty, not an error.
pub async fn list_for_contact(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<Note>, i64)> {
    crate::contacts::find(db, workspace_id, contact_id).await?;
    let sql = format!("{SELECT} WHERE n.workspace_id = $1 AND n.contact_id = $2 ORDER BY n.id DESC LIMIT $3 OFFSET $4");
    let offset = (page.max(1) - 1).saturating_mul(per_page);
    let notes: Vec<Note> =
        db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(contact_id).arg(per_page).arg(offset)).await?;
    let count = "SELECT COUNT(*) FROM notes WHERE workspace_id = $1 AND contact_id = $2";
    let total: i64 = db.read().scalar(Stmt::new(count).arg(workspace_id).arg(contact_id)).await?;
    Ok((notes, total))
}
