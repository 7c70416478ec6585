//! Workspaces (Intercom "apps"): the tenant every other row belongs to.
use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use rapport_core::ids::WorkspaceId;
use serde::Serialize;

use crate::{now, Conn, Db, OptionExt, Stmt, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Workspace {
    pub id: WorkspaceId,
    /// The public id (`app_id` in the messenger, `app.id_code` on `/me`).
    pub app_id: String,
    pub name: String,
    pub timezone: String,
    #[serde(skip)]
    pub identity_secret: String,
    pub identity_enforced: bool,
    pub tracking_key: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, app_id, name, timezone, identity_secret, identity_enforced, tracking_key, created_at, updated_at";

fn new_app_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..8).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

pub async fn create(db: &Db, name: &str, timezone: &str) -> StoreResult<Workspace> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::StoreError::Invalid("workspace name must not be empty".into()));
    }
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(crate::StoreError::Invalid(format!("unknown timezone {timezone:?}")));
    }
    let secret = hex::encode(rand::thread_rng().gen::<[u8; 32]>());
    let tracking_key = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    let at = now();
    let sql = format!(
        "INSERT INTO workspaces (app_id, name, timezone, identity_secret, identity_enforced, tracking_key, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, TRUE, $5, $6, $6) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql).arg(new_app_id()).arg(name).arg(timezone).arg(&secret).arg(&tracking_key).arg(at);
    let mut tx = db.begin().await?;
    let ws: Workspace = tx.fetch_one(insert).await?;
    tx.commit().await?;
    Ok(ws)
}

pub async fn find(db: &Db, id: WorkspaceId) -> StoreResult<Workspace> {
    let sql = format!("SELECT {COLUMNS} FROM workspaces WHERE id = $1");
    db.read().fetch_optional(Stmt::new(sql).arg(id)).await?.or_not_found("workspace")
}

pub async fn find_by_app_id(db: &Db, app_id: &str) -> StoreResult<Workspace> {
    let sql = format!("SELECT {COLUMNS} FROM workspaces WHERE app_id = $1");
    db.read().fetch_optional(Stmt::new(sql).arg(app_id)).await?.or_not_found("workspace")
}

pub async fn list(db: &Db) -> StoreResult<Vec<Workspace>> {
    let sql = format!("SELECT {COLUMNS} FROM workspaces ORDER BY id");
    db.read().fetch_all(Stmt::new(sql)).await
}

pub async fn count(db: &Db) -> StoreResult<i64> {
    db.read().scalar(Stmt::new("SELECT COUNT(*) FROM workspaces")).await
}

/// How the workspace's messenger looks and what it promises (`/api/messenger/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, crate::Row)]
pub struct MessengerSettings {
    /// `#rrggbb`.
    pub messenger_color: String,
    pub messenger_greeting: String,
    /// JSON text: `{"mon": [[540, 1020]], …}` minutes after local midnight; `{}` = always open.
    pub office_hours: String,
    pub reply_time_minutes: i64,
    pub identity_enforced: bool,
}

/// The messenger settings of a workspace.
pub async fn messenger_settings(db: &Db, id: WorkspaceId) -> StoreResult<MessengerSettings> {
    let sql = "SELECT messenger_color, messenger_greeting, office_hours, reply_time_minutes, identity_enforced \
               FROM workspaces WHERE id = $1";
    db.read().fetch_optional(Stmt::new(sql).arg(id)).await?.or_not_found("workspace")
}

/// Replaces the messenger settings. The caller has validated them (`rapport_core::messenger`,
/// `rapport_core::office_hours`).
pub async fn set_messenger_settings(
    db: &Db,
    id: WorkspaceId,
    settings: &MessengerSettings,
) -> StoreResult<MessengerSettings> {
    let update = Stmt::new(
        "UPDATE workspaces SET messenger_color = $2, messenger_greeting = $3, office_hours = $4, \
         reply_time_minutes = $5, identity_enforced = $6, updated_at = $7 WHERE id = $1 \
         RETURNING messenger_color, messenger_greeting, office_hours, reply_time_minutes, identity_enforced",
    )
    .arg(id)
    .arg(&settings.messenger_color)
    .arg(&settings.messenger_greeting)
    .arg(&settings.office_hours)
    .arg(settings.reply_time_minutes)
    .arg(settings.identity_enforced)
    .arg(now());
    let mut tx = db.begin().await?;
    let settings: MessengerSettings = tx.fetch_optional(update).await?.or_not_found("workspace")?;
    tx.commit().await?;
    Ok(settings)
}

/// Renames the workspace (the name the messenger and invitations show).
pub async fn rename(db: &Db, id: WorkspaceId, name: &str) -> StoreResult<Workspace> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(crate::StoreError::Invalid("name must be 1 to 200 characters".into()));
    }
    let sql = format!("UPDATE workspaces SET name = $2, updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}");
    let mut tx = db.begin().await?;
    let ws: Workspace =
        tx.fetch_optional(Stmt::new(sql).arg(id).arg(name).arg(now())).await?.or_not_found("workspace")?;
    tx.commit().await?;
    Ok(ws)
}

/// Replaces the identity-verification secret with a fresh random one: every `user_hash` and
/// `user_jwt` made with the old secret stops verifying at once.
pub async fn rotate_identity_secret(db: &Db, id: WorkspaceId) -> StoreResult<Workspace> {
    let secret = hex::encode(rand::thread_rng().gen::<[u8; 32]>());
    let sql = format!("UPDATE workspaces SET identity_secret = $2, updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}");
    let mut tx = db.begin().await?;
    let ws: Workspace =
        tx.fetch_optional(Stmt::new(sql).arg(id).arg(&secret).arg(now())).await?.or_not_found("workspace")?;
    tx.commit().await?;
    Ok(ws)
}
