//! Browser sessions of admins (the web app). The cookie holds a random id; only its hash is stored.
use rand::distributions::{Alphanumeric, DistString};
use rapport_core::ids::{AdminId, WorkspaceId};

use crate::admins::Admin;
use crate::tokens::{hash_secret, AdminInWorkspace, ADMIN_IN_WORKSPACE};
use crate::workspaces::Workspace;
use crate::{now, Conn, Db, Stmt, StoreResult};

/// A live session: who it is, and the CSRF token unsafe requests must echo back.
#[derive(Debug, Clone)]
pub struct Session {
    pub workspace: Workspace,
    pub admin: Admin,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Starts a session; returns the cookie value (plaintext, never stored) and the CSRF token.
pub async fn create(
    db: &Db,
    workspace_id: WorkspaceId,
    admin_id: AdminId,
    ttl_seconds: i64,
) -> StoreResult<(String, String)> {
    let secret = Alphanumeric.sample_string(&mut rand::thread_rng(), 48);
    let csrf = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    let at = now();
    let insert = Stmt::new(
        "INSERT INTO sessions (workspace_id, admin_id, token_hash, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .arg(workspace_id)
    .arg(admin_id)
    .arg(hash_secret(&secret))
    .arg(&csrf)
    .arg(at)
    .arg(at + ttl_seconds);
    let mut tx = db.begin().await?;
    tx.execute(insert).await?;
    tx.commit().await?;
    Ok((secret, csrf))
}

/// Resolves a cookie value to a live session of an active admin, in one query (nothing is
/// cached: a deleted session or a deactivated admin is refused by the next request).
pub async fn authenticate(db: &Db, secret: &str) -> StoreResult<Option<Session>> {
    #[derive(crate::Row)]
    struct Row {
        #[row(flatten)]
        who: AdminInWorkspace,
        csrf_token: String,
        expires_at: i64,
    }
    let sql = format!(
        "SELECT {ADMIN_IN_WORKSPACE}, s.csrf_token, s.expires_at FROM sessions s \
         JOIN admins a ON a.id = s.admin_id AND a.workspace_id = s.workspace_id \
         JOIN workspaces w ON w.id = s.workspace_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active = $3"
    );
    let row: Option<Row> =
        db.read().fetch_optional(Stmt::new(sql).arg(hash_secret(secret)).arg(now()).arg(true)).await?;
    Ok(row.map(|row| {
        let (workspace, admin) = row.who.split();
        Session { workspace, admin, csrf_token: row.csrf_token, expires_at: row.expires_at }
    }))
}

pub async fn delete(db: &Db, secret: &str) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(Stmt::new("DELETE FROM sessions WHERE token_hash = $1").arg(hash_secret(secret))).await?;
    tx.commit().await
}

/// Ends every session of an admin (password change, deactivation).
pub async fn delete_all_for_admin(db: &Db, workspace_id: WorkspaceId, admin_id: AdminId) -> StoreResult<()> {
    let delete =
        Stmt::new("DELETE FROM sessions WHERE workspace_id = $1 AND admin_id = $2").arg(workspace_id).arg(admin_id);
    let mut tx = db.begin().await?;
    tx.execute(delete).await?;
    tx.commit().await
}
