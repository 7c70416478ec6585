//! API access tokens. Only a SHA-256 hash is stored; the plaintext is shown once, at creation.
use rand::distributions::{Alphanumeric, DistString};
use rapport_core::ids::{AdminId, WorkspaceId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::admins::Admin;
use crate::workspaces::Workspace;
use crate::{now, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct ApiToken {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub admin_id: AdminId,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, workspace_id, admin_id, name, created_at, last_used_at, revoked_at";

/// The stored form of a secret token (tokens and session ids alike).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token acting as `admin_id`; returns the row and the plaintext (never stored).
pub async fn create(
    db: &Db,
    workspace_id: WorkspaceId,
    admin_id: AdminId,
    name: &str,
) -> StoreResult<(ApiToken, String)> {
    let admin = crate::admins::find(db, workspace_id, admin_id).await?;
    if !admin.active {
        return Err(StoreError::Invalid("cannot create a token for a deactivated admin".into()));
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(StoreError::Invalid("token name must be 1 to 200 characters".into()));
    }
    let plaintext = format!("rpt_{}", Alphanumeric.sample_string(&mut rand::thread_rng(), 40));
    let sql = format!(
        "INSERT INTO api_tokens (workspace_id, admin_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql).arg(workspace_id).arg(admin_id).arg(name).arg(hash_secret(&plaintext)).arg(now());
    let mut tx = db.begin().await?;
    let token: ApiToken = tx.fetch_one(insert).await?;
    tx.commit().await?;
    Ok((token, plaintext))
}

pub async fn list(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<ApiToken>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE workspace_id = $1 ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

/// The workspace's tokens that still work, oldest first.
pub async fn list_active(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<ApiToken>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

pub async fn revoke(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<ApiToken> {
    let sql = format!(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let token: ApiToken =
        tx.fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id).arg(now())).await?.or_not_found("token")?;
    tx.commit().await?;
    Ok(token)
}

/// An admin with their workspace, read in one query (see [`authenticate`]). The workspace's
/// columns carry a `ws_` prefix; its id is the admin's `workspace_id`.
#[derive(crate::Row)]
pub(crate) struct AdminInWorkspace {
    #[row(flatten)]
    pub admin: Admin,
    ws_app_id: String,
    ws_name: String,
    ws_timezone: String,
    ws_identity_secret: String,
    ws_identity_enforced: bool,
    ws_tracking_key: String,
    ws_created_at: i64,
    ws_updated_at: i64,
}

/// The select list of [`AdminInWorkspace`] over `admins a JOIN workspaces w`.
pub(crate) const ADMIN_IN_WORKSPACE: &str = "a.id, a.workspace_id, a.email, a.name, a.password_hash, a.role, \
    a.job_title, a.away_mode_enabled, a.away_mode_reassign, a.away_status_reason_id, a.active, a.created_at, \
    a.updated_at, w.app_id AS ws_app_id, w.name AS ws_name, w.timezone AS ws_timezone, \
    w.identity_secret AS ws_identity_secret, w.identity_enforced AS ws_identity_enforced, \
    w.tracking_key AS ws_tracking_key, w.created_at AS ws_created_at, w.updated_at AS ws_updated_at";

impl AdminInWorkspace {
    pub(crate) fn split(self) -> (Workspace, Admin) {
        let workspace = Workspace {
            id: self.admin.workspace_id,
            app_id: self.ws_app_id,
            name: self.ws_name,
            timezone: self.ws_timezone,
            identity_secret: self.ws_identity_secret,
            identity_enforced: self.ws_identity_enforced,
            tracking_key: self.ws_tracking_key,
            created_at: self.ws_created_at,
            updated_at: self.ws_updated_at,
        };
        (workspace, self.admin)
    }
}

/// How stale a token's `last_used_at` may get before a call records it again: recording every
/// call would turn each API read into a write.
pub const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

#[derive(crate::Row)]
struct TokenHolder {
    #[row(flatten)]
    holder: AdminInWorkspace,
    token_id: i64,
    token_last_used_at: Option<i64>,
}

/// Resolves a plaintext token to its workspace and (active) admin; `None` for unknown or revoked.
/// One indexed lookup joins token, admin and workspace, since this runs on every API call.
/// Nothing is cached: a revoked token or a deactivated admin is refused by the next request,
/// on every node. The token's `last_used_at` is recorded to within
/// [`LAST_USED_RESOLUTION_SECONDS`], so a busy token costs one write a minute, not one a call.
pub async fn authenticate(db: &Db, plaintext: &str) -> StoreResult<Option<(Workspace, Admin)>> {
    let sql = format!(
        "SELECT {ADMIN_IN_WORKSPACE}, t.id AS token_id, t.last_used_at AS token_last_used_at FROM api_tokens t \
         JOIN admins a ON a.id = t.admin_id AND a.workspace_id = t.workspace_id \
         JOIN workspaces w ON w.id = a.workspace_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.active = $2"
    );
    let found: Option<TokenHolder> =
        db.read().fetch_optional(Stmt::new(sql).arg(hash_secret(plaintext)).arg(true)).await?;
    let Some(found) = found else { return Ok(None) };
    let now = now();
    if found.token_last_used_at.is_none_or(|at| now - at >= LAST_USED_RESOLUTION_SECONDS) {
        // The guard keeps concurrent first calls of a minute to one effective write.
        let sql = "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 \
                   AND (last_used_at IS NULL OR last_used_at <= $3)";
        let stale_before = now - LAST_USED_RESOLUTION_SECONDS;
        let mut tx = db.begin().await?;
        tx.execute(Stmt::new(sql).arg(found.token_id).arg(now).arg(stale_before)).await?;
        tx.commit().await?;
    }
    Ok(Some(found.holder.split()))
}
