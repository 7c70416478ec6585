//! Workspaces (Intercom "apps"): the tenant every other row belongs to.
use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;
use serde::Serialize;

use crate::{now, with_pool, Db, OptionExt, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Workspace {
    pub id: i64,
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
    let ws = with_pool!(db, pool => sqlx::query_as::<_, Workspace>(&sql)
        .bind(new_app_id()).bind(name).bind(timezone).bind(&secret).bind(&tracking_key).bind(at)
        .fetch_one(pool).await)?;
    Ok(ws)
}

pub async fn find(db: &Db, id: i64) -> StoreResult<Workspace> {
    let sql = format!("SELECT {COLUMNS} FROM workspaces WHERE id = $1");
    with_pool!(db, pool => sqlx::query_as::<_, Workspace>(&sql).bind(id).fetch_optional(pool).await)?
        .or_not_found("workspace")
}

pub async fn find_by_app_id(db: &Db, app_id: &str) -> StoreResult<Workspace> {
    let sql = format!("SELECT {COLUMNS} FROM workspaces WHERE app_id = $1");
    with_pool!(db, pool => sqlx::query_as::<_, Workspace>(&sql).bind(app_id).fetch_optional(pool).await)?
        .or_not_found("workspace")
}

pub async fn list(db: &Db) -> StoreResult<Vec<Workspace>> {
    let sql = format!("SELECT {COLUMNS} FROM workspaces ORDER BY id");
    Ok(with_pool!(db, pool => sqlx::query_as::<_, Workspace>(&sql).fetch_all(pool).await)?)
}

pub async fn count(db: &Db) -> StoreResult<i64> {
    Ok(with_pool!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM workspaces").fetch_one(pool).await)?)
}

/// How the workspace's messenger looks and what it promises (`/api/messenger/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
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
pub async fn messenger_settings(db: &Db, id: i64) -> StoreResult<MessengerSettings> {
    with_pool!(db, pool => sqlx::query_as::<_, MessengerSettings>(
        "SELECT messenger_color, messenger_greeting, office_hours, reply_time_minutes, identity_enforced \
         FROM workspaces WHERE id = $1")
        .bind(id).fetch_optional(pool).await)?
    .or_not_found("workspace")
}

/// Replaces the messenger settings. The caller has validated them (`rapport_core::messenger`,
/// `rapport_core::office_hours`).
pub async fn set_messenger_settings(db: &Db, id: i64, settings: &MessengerSettings) -> StoreResult<MessengerSettings> {
    with_pool!(db, pool => sqlx::query_as::<_, MessengerSettings>(
        "UPDATE workspaces SET messenger_color = $2, messenger_greeting = $3, office_hours = $4, \
         reply_time_minutes = $5, identity_enforced = $6, updated_at = $7 WHERE id = $1 \
         RETURNING messenger_color, messenger_greeting, office_hours, reply_time_minutes, identity_enforced")
        .bind(id).bind(&settings.messenger_color).bind(&settings.messenger_greeting).bind(&settings.office_hours)
        .bind(settings.reply_time_minutes).bind(settings.identity_enforced).bind(now())
        .fetch_optional(pool).await)?
    .or_not_found("workspace")
}

/// Renames the workspace (the name the messenger and invitations show).
pub async fn rename(db: &Db, id: i64, name: &str) -> StoreResult<Workspace> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(crate::StoreError::Invalid("name must be 1 to 200 characters".into()));
    }
    let sql = format!("UPDATE workspaces SET name = $2, updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}");
    with_pool!(db, pool => sqlx::query_as::<_, Workspace>(&sql).bind(id).bind(name).bind(now()).fetch_optional(pool).await)?
        .or_not_found("workspace")
}

/// Replaces the identity-verification secret with a fresh random one: every `user_hash` and
/// `user_jwt` made with the old secret stops verifying at once.
pub async fn rotate_identity_secret(db: &Db, id: i64) -> StoreResult<Workspace> {
    let secret = hex::encode(rand::thread_rng().gen::<[u8; 32]>());
    let sql = format!("UPDATE workspaces SET identity_secret = $2, updated_at = $3 WHERE id = $1 RETURNING {COLUMNS}");
    with_pool!(db, pool => sqlx::query_as::<_, Workspace>(&sql).bind(id).bind(&secret).bind(now()).fetch_optional(pool).await)?
        .or_not_found("workspace")
}
