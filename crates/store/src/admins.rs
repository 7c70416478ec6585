//! Admins (teammates): who signs in to the inbox and whom conversations are assigned to.
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rapport_core::admin::AdminRole;
use rapport_core::ids::{AdminId, TeamId, WorkspaceId};
use serde::Serialize;

use crate::{now, Backend, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Admin {
    pub id: AdminId,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub role: String,
    pub job_title: Option<String>,
    pub away_mode_enabled: bool,
    pub away_mode_reassign: bool,
    pub away_status_reason_id: Option<i64>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Admin {
    /// The admin's role; an unknown stored value is treated as the least privileged one.
    pub fn role(&self) -> AdminRole {
        self.role.parse().unwrap_or(AdminRole::Viewer)
    }

    /// Checks a password against the stored argon2id hash (false when none is set).
    pub fn verify_password(&self, password: &str) -> bool {
        let Some(stored) = &self.password_hash else { return false };
        let Ok(parsed) = PasswordHash::new(stored) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    }
}

pub struct NewAdmin<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: Option<&'a str>,
    pub role: AdminRole,
    pub job_title: Option<&'a str>,
}

const COLUMNS: &str = "id, workspace_id, email, name, password_hash, role, job_title, away_mode_enabled, \
    away_mode_reassign, away_status_reason_id, active, created_at, updated_at";

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash password: {e}")))
}

pub async fn create(db: &Db, workspace_id: WorkspaceId, new: NewAdmin<'_>) -> StoreResult<Admin> {
    let email = rapport_core::contact::Email::parse(new.email).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("admin name must not be empty".into()));
    }
    if let Some(password) = new.password {
        if password.chars().count() < 8 {
            return Err(StoreError::Invalid("password must be at least 8 characters".into()));
        }
    }
    let hash = new.password.map(hash_password).transpose()?;
    let at = now();
    let sql = format!(
        "INSERT INTO admins (workspace_id, email, name, password_hash, role, job_title, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(email.as_str())
        .arg(name)
        .arg(hash)
        .arg(new.role.as_str())
        .arg(new.job_title)
        .arg(at);
    let mut tx = db.begin().await?;
    let admin = tx
        .fetch_one(insert)
        .await
        .map_err(|e| StoreError::unique_as(e, Conflict::AdminEmailTaken { email: email.as_str().to_string() }))?;
    tx.commit().await?;
    Ok(admin)
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: AdminId) -> StoreResult<Admin> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("admin")
}

pub async fn find_by_email(db: &Db, workspace_id: WorkspaceId, email: &str) -> StoreResult<Admin> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE workspace_id = $1 AND email = $2");
    let email = email.trim().to_lowercase();
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(&email)).await?.or_not_found("admin")
}

/// Every active admin row with this email, across workspaces (for sign-in and workspace switch).
pub async fn find_all_by_email(db: &Db, email: &str) -> StoreResult<Vec<Admin>> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE email = $1 AND active = $2 ORDER BY workspace_id");
    let email = email.trim().to_lowercase();
    db.read().fetch_all(Stmt::new(sql).arg(&email).arg(true)).await
}

pub async fn list(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<Admin>> {
    let sql = format!("SELECT {COLUMNS} FROM admins WHERE workspace_id = $1 ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

pub async fn set_away(
    db: &Db,
    workspace_id: WorkspaceId,
    id: AdminId,
    enabled: bool,
    reassign: bool,
    reason_id: Option<i64>,
) -> StoreResult<Admin> {
    let sql = format!(
        "UPDATE admins SET away_mode_enabled = $3, away_mode_reassign = $4, away_status_reason_id = $5, updated_at = $6 \
         WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql).arg(workspace_id).arg(id).arg(enabled).arg(reassign).arg(reason_id).arg(now());
    let mut tx = db.begin().await?;
    let admin: Admin = tx.fetch_optional(update).await?.or_not_found("admin")?;
    tx.commit().await?;
    Ok(admin)
}

/// Deactivates an admin and ends every session and API token they hold, in one transaction.
pub async fn deactivate(db: &Db, workspace_id: WorkspaceId, id: AdminId) -> StoreResult<Admin> {
    let current = find(db, workspace_id, id).await?;
    let sql = format!(
        "UPDATE admins SET active = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
         AND ({ANOTHER_ACTIVE_OWNER}) RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        tx.execute(Stmt::new(LOCK_OWNERS).arg(workspace_id)).await?;
    }
    let update = Stmt::new(sql).arg(workspace_id).arg(id).arg(false).arg(now()).arg(true);
    let admin: Option<Admin> = tx.fetch_optional(update).await?;
    if admin.is_none() {
        return last_owner_or_missing(&current);
    }
    let end_sessions =
        Stmt::new("DELETE FROM sessions WHERE workspace_id = $1 AND admin_id = $2").arg(workspace_id).arg(id);
    tx.execute(end_sessions).await?;
    let revoke_tokens = Stmt::new(
        "UPDATE api_tokens SET revoked_at = $3 WHERE workspace_id = $1 AND admin_id = $2 AND revoked_at IS NULL",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(now());
    tx.execute(revoke_tokens).await?;
    tx.commit().await?;
    admin.or_not_found("admin")
}

/// Refusals of a write guarded by [`ANOTHER_ACTIVE_OWNER`]: an owner is the last one, anyone else is gone.
fn last_owner_or_missing<T>(current: &Admin) -> StoreResult<T> {
    if current.role() == AdminRole::Owner {
        Err(StoreError::Invalid(
            "the workspace's last owner cannot be demoted or deactivated; make someone else owner first".into(),
        ))
    } else {
        Err(StoreError::not_found("admin"))
    }
}

/// SQL condition (with `$1` the workspace, `$2` the admin, `$5` = true) that holds unless the admin
/// is the workspace's last active owner.
const ANOTHER_ACTIVE_OWNER: &str = "role <> 'owner' OR EXISTS (SELECT 1 FROM admins o WHERE o.workspace_id = $1 \
     AND o.id <> $2 AND o.role = 'owner' AND o.active = $5)";

/// On PostgreSQL, two owners demoting or deactivating each other at once would each still see the
/// other as an owner; locking the owner rows first makes the second wait and then see the first's
/// change. SQLite writers already take turns.
const LOCK_OWNERS: &str = "SELECT id FROM admins WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE";

/// The team ids of each admin of the workspace, as `(admin_id, team_id)` pairs ordered by admin.
pub async fn team_memberships(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<(AdminId, TeamId)>> {
    let sql = "SELECT admin_id, team_id FROM team_members WHERE workspace_id = $1 ORDER BY admin_id, team_id";
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

pub async fn team_ids(db: &Db, workspace_id: WorkspaceId, admin_id: AdminId) -> StoreResult<Vec<TeamId>> {
    let sql = "SELECT team_id FROM team_members WHERE workspace_id = $1 AND admin_id = $2 ORDER BY team_id";
    db.read().scalars(Stmt::new(sql).arg(workspace_id).arg(admin_id)).await
}

/// Changes an admin's role. Demoting the workspace's last active owner is refused, checked in the
/// statement that writes, after the owner rows are locked (`LOCK_OWNERS`).
pub async fn set_role(db: &Db, workspace_id: WorkspaceId, id: AdminId, role: AdminRole) -> StoreResult<Admin> {
    let current = find(db, workspace_id, id).await?;
    let sql = format!(
        "UPDATE admins SET role = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2 \
         AND ($3 = 'owner' OR {ANOTHER_ACTIVE_OWNER}) RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    if db.backend() == Backend::Postgres {
        tx.execute(Stmt::new(LOCK_OWNERS).arg(workspace_id)).await?;
    }
    let update = Stmt::new(sql).arg(workspace_id).arg(id).arg(role.as_str()).arg(now()).arg(true);
    let updated: Option<Admin> = tx.fetch_optional(update).await?;
    tx.commit().await?;
    match updated {
        Some(admin) => Ok(admin),
        None => last_owner_or_missing(&current),
    }
}

/// Lets a deactivated admin sign in again. Their old sessions and tokens stay ended.
pub async fn reactivate(db: &Db, workspace_id: WorkspaceId, id: AdminId) -> StoreResult<Admin> {
    let sql = format!(
        "UPDATE admins SET active = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let admin: Admin = tx
        .fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id).arg(true).arg(now()))
        .await?
        .or_not_found("admin")?;
    tx.commit().await?;
    Ok(admin)
}

/// An admin conversations may be assigned to: one of the workspace's, and active.
pub async fn find_assignable(db: &Db, workspace_id: WorkspaceId, id: AdminId) -> StoreResult<Admin> {
    let admin = find(db, workspace_id, id).await?;
    if !admin.active {
        return Err(StoreError::Invalid(format!("admin {id} is deactivated and cannot be assigned conversations")));
    }
    Ok(admin)
}
