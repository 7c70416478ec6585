//! Browser sessions of admins (the web app). The cookie holds a random id; only its hash is stored.
use rand::distributions::{Alphanumeric, DistString};

use crate::admins::Admin;
use crate::tokens::{hash_secret, AdminInWorkspace, ADMIN_IN_WORKSPACE};
use crate::workspaces::Workspace;
use crate::{execute, now, with_pool, Db, StoreResult};

/// A live session: who it is, and the CSRF token unsafe requests must echo back.
#[derive(Debug, Clone)]
pub struct Session {
    pub workspace: Workspace,
    pub admin: Admin,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// Starts a session; returns the cookie value (plaintext, never stored) and the CSRF token.
pub async fn create(db: &Db, workspace_id: i64, admin_id: i64, ttl_seconds: i64) -> StoreResult<(String, String)> {
    let secret = Alphanumeric.sample_string(&mut rand::thread_rng(), 48);
    let csrf = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    let at = now();
    execute!(db, pool => sqlx::query(
        "INSERT INTO sessions (workspace_id, admin_id, token_hash, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(workspace_id).bind(admin_id).bind(hash_secret(&secret)).bind(&csrf).bind(at).bind(at + ttl_seconds)
        .execute(pool).await)?;
    Ok((secret, csrf))
}

/// Resolves a cookie value to a live session of an active admin, in one query (nothing is
/// cached: a deleted session or a deactivated admin is refused by the next request).
pub async fn authenticate(db: &Db, secret: &str) -> StoreResult<Option<Session>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
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
    let row = with_pool!(db, pool => sqlx::query_as::<_, Row>(&sql)
        .bind(hash_secret(secret)).bind(now()).bind(true).fetch_optional(pool).await)?;
    Ok(row.map(|row| {
        let (workspace, admin) = row.who.split();
        Session { workspace, admin, csrf_token: row.csrf_token, expires_at: row.expires_at }
    }))
}

pub async fn delete(db: &Db, secret: &str) -> StoreResult<()> {
    execute!(db, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(hash_secret(secret)).execute(pool).await)?;
    Ok(())
}

/// Ends every session of an admin (password change, deactivation).
pub async fn delete_all_for_admin(db: &Db, workspace_id: i64, admin_id: i64) -> StoreResult<()> {
    execute!(db, pool => sqlx::query("DELETE FROM sessions WHERE workspace_id = $1 AND admin_id = $2")
        .bind(workspace_id).bind(admin_id).execute(pool).await)?;
    Ok(())
}
