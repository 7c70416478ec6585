//! Teammate invitations: a one-time link that lets the invitee choose a password and join.
//! Only the SHA-256 of the token is stored; accepting marks it used in the same transaction
//! that creates the admin, so a link works once even when clicked twice at the same moment.
use rand::distributions::{Alphanumeric, DistString};
use rapport_core::admin::AdminRole;
use rapport_core::ids::{AdminId, WorkspaceId};
use serde::Serialize;

use crate::admins::{hash_password, Admin};
use crate::tokens::hash_secret;
use crate::workspaces::Workspace;
use crate::{now, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// How long an invitation link works.
pub const INVITE_TTL_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Invite {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub name: String,
    pub role: String,
    pub invited_by: AdminId,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    /// The admin the invitation became, once accepted.
    pub admin_id: Option<AdminId>,
}

const COLUMNS: &str = "id, workspace_id, email, name, role, invited_by, created_at, expires_at, accepted_at, admin_id";
const ADMIN_COLUMNS: &str = "id, workspace_id, email, name, password_hash, role, job_title, away_mode_enabled, \
    away_mode_reassign, away_status_reason_id, active, created_at, updated_at";

fn check_name(name: &str) -> StoreResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(StoreError::Invalid("name must be 1 to 200 characters".into()));
    }
    Ok(name)
}

/// Invites `email` with `role`; returns the invitation and the plaintext token (never stored).
pub async fn create(
    db: &Db,
    workspace_id: WorkspaceId,
    invited_by: AdminId,
    email: &str,
    name: &str,
    role: AdminRole,
) -> StoreResult<(Invite, String)> {
    let email = rapport_core::contact::Email::parse(email).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let name = check_name(name)?;
    if crate::admins::find_by_email(db, workspace_id, email.as_str()).await.is_ok() {
        return Err(Conflict::AdminEmailTaken { email: email.as_str().to_string() }.into());
    }
    let token = Alphanumeric.sample_string(&mut rand::thread_rng(), 43);
    let at = now();
    let sql = format!(
        "INSERT INTO admin_invites (workspace_id, email, name, role, token_hash, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(email.as_str())
        .arg(name)
        .arg(role.as_str())
        .arg(hash_secret(&token))
        .arg(invited_by)
        .arg(at)
        .arg(at + INVITE_TTL_SECONDS);
    let mut tx = db.begin().await?;
    let invite: Invite = tx.fetch_one(insert).await?;
    tx.commit().await?;
    Ok((invite, token))
}

/// The workspace's invitations not yet accepted, revoked or expired, newest first.
pub async fn list_pending(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<Invite>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM admin_invites WHERE workspace_id = $1 AND accepted_at IS NULL AND expires_at > $2 \
         ORDER BY id DESC"
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(now())).await
}

/// Withdraws an invitation that has not been accepted; its link stops working.
pub async fn revoke(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<()> {
    let delete = Stmt::new("DELETE FROM admin_invites WHERE workspace_id = $1 AND id = $2 AND accepted_at IS NULL")
        .arg(workspace_id)
        .arg(id);
    let mut tx = db.begin().await?;
    let deleted = tx.execute(delete).await?;
    tx.commit().await?;
    if deleted == 0 {
        return Err(StoreError::not_found("invite"));
    }
    Ok(())
}

/// A usable invitation (not accepted, not expired) and its workspace, by plaintext token.
pub async fn find_by_token(db: &Db, token: &str) -> StoreResult<(Invite, Workspace)> {
    let sql = format!(
        "SELECT {COLUMNS} FROM admin_invites WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2"
    );
    let invite: Invite =
        db.read().fetch_optional(Stmt::new(sql).arg(hash_secret(token)).arg(now())).await?.or_not_found("invite")?;
    let workspace = crate::workspaces::find(db, invite.workspace_id).await?;
    Ok((invite, workspace))
}

/// Accepts an invitation: marks it used and creates the admin with the chosen name and password,
/// in one transaction. A used, expired or unknown token is "not found".
pub async fn accept(db: &Db, token: &str, name: &str, password: &str) -> StoreResult<Admin> {
    let name = check_name(name)?;
    if password.chars().count() < 8 {
        return Err(StoreError::Invalid("password must be at least 8 characters".into()));
    }
    if password.len() > 1024 {
        return Err(StoreError::Invalid("password must be at most 1024 bytes".into()));
    }
    find_by_token(db, token).await?;
    let password = password.to_string();
    // argon2 is deliberately slow: keep it off the async workers.
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StoreError::Invalid(format!("cannot hash password: {e}")))??;
    let at = now();
    let claim = format!(
        "UPDATE admin_invites SET accepted_at = $2 WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2 \
         RETURNING {COLUMNS}"
    );
    let insert = format!(
        "INSERT INTO admins (workspace_id, email, name, password_hash, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {ADMIN_COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let invite: Invite =
        tx.fetch_optional(Stmt::new(claim).arg(hash_secret(token)).arg(at)).await?.or_not_found("invite")?;
    let insert =
        Stmt::new(insert).arg(invite.workspace_id).arg(&invite.email).arg(name).arg(&hash).arg(&invite.role).arg(at);
    let admin: Admin = tx
        .fetch_one(insert)
        .await
        .map_err(|e| StoreError::unique_as(e, Conflict::AdminEmailTaken { email: invite.email.clone() }))?;
    tx.execute(Stmt::new("UPDATE admin_invites SET admin_id = $2 WHERE id = $1").arg(invite.id).arg(admin.id)).await?;
    tx.commit().await?;
    Ok(admin)
}
