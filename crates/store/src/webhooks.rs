//! Webhook subscriptions and their delivery log.
//!
//! Each subscription reads its workspace's event log with its own durable cursor
//! (`cursor_seq`): every event up to it was either delivered (a 2xx answer) or matched none of the
//! subscription's topics. The cursor only moves after an answer, so delivery is at least once and
//! in log order (hence in order per conversation). A new subscription starts at the end of the log.
//! One node at a time delivers a subscription: it holds a lease (`lease_owner`, `lease_until_ms`),
//! and cursor moves are fenced by that lease.
use rapport_core::ids::WorkspaceId;
use rapport_core::webhook;
use serde::Serialize;

use crate::{event_log, now, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Subscription {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub url: String,
    /// JSON array text; see [`Subscription::topics`].
    pub topics: String,
    pub secret: String,
    /// Switched off by its owner (`update {active: false}`).
    pub active: bool,
    /// Stopped after repeated failures (or by `pause`); `resume` continues from the cursor.
    pub paused: bool,
    pub cursor_seq: i64,
    pub consecutive_failures: i64,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until_ms: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Subscription {
    pub fn topics(&self) -> Vec<String> {
        serde_json::from_str(&self.topics).unwrap_or_default()
    }

    pub fn wants(&self, topic: &str) -> bool {
        self.topics().iter().any(|t| t == topic)
    }
}

const COLUMNS: &str = "id, workspace_id, url, topics, secret, active, paused, cursor_seq, consecutive_failures, \
    next_attempt_at_ms, last_error, lease_owner, lease_until_ms, created_at, updated_at";
const MAX_URL_CHARS: usize = 2048;
const MIN_SECRET_CHARS: usize = 8;
const MAX_SECRET_CHARS: usize = 256;

/// The current time in unix milliseconds (retry times and leases).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn check_url(url: &str) -> StoreResult<String> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(StoreError::Invalid(format!("url must be at most {MAX_URL_CHARS} characters")));
    }
    webhook::parse_url(url).map(|u| u.to_string()).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn check_topics(topics: &[String]) -> StoreResult<String> {
    if topics.is_empty() {
        return Err(StoreError::Invalid("topics must name at least one topic".into()));
    }
    if let Some(unknown) = topics.iter().find(|t| !webhook::TOPICS.contains(&t.as_str())) {
        return Err(StoreError::Invalid(format!("topics: unknown topic {unknown:?}")));
    }
    let mut unique: Vec<&String> = topics.iter().collect();
    unique.sort();
    unique.dedup();
    Ok(serde_json::to_string(&unique).expect("strings serialize"))
}

fn check_secret(secret: &str) -> StoreResult<&str> {
    let n = secret.chars().count();
    if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&n) {
        return Err(StoreError::Invalid(format!("secret must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters")));
    }
    Ok(secret)
}

/// Creates a subscription that delivers events written from now on.
pub async fn create(
    db: &Db,
    workspace_id: WorkspaceId,
    url: &str,
    topics: &[String],
    secret: &str,
) -> StoreResult<Subscription> {
    let url = check_url(url)?;
    let topics = check_topics(topics)?;
    let secret = check_secret(secret)?;
    let cursor = event_log::last_seq(db, workspace_id).await?;
    let sql = format!(
        "INSERT INTO webhook_subscriptions (workspace_id, url, topics, secret, cursor_seq, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql).arg(workspace_id).arg(url).arg(topics).arg(secret).arg(cursor).arg(now());
    let mut tx = db.begin().await?;
    let subscription: Subscription = tx.fetch_one(insert).await?;
    tx.commit().await?;
    Ok(subscription)
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<Subscription> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("webhook")
}

/// Every subscription of the workspace, oldest first.
pub async fn list(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<Subscription>> {
    let sql = format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE workspace_id = $1 ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

/// What an update changes; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct Edit {
    pub url: Option<String>,
    pub topics: Option<Vec<String>>,
    pub active: Option<bool>,
}

pub async fn update(db: &Db, workspace_id: WorkspaceId, id: i64, edit: Edit) -> StoreResult<Subscription> {
    let url = edit.url.as_deref().map(check_url).transpose()?;
    let topics = edit.topics.as_deref().map(check_topics).transpose()?;
    let current = find(db, workspace_id, id).await?;
    let sql = format!(
        "UPDATE webhook_subscriptions SET url = $3, topics = $4, active = $5, updated_at = $6 \
         WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql)
        .arg(workspace_id)
        .arg(id)
        .arg(url.unwrap_or(current.url))
        .arg(topics.unwrap_or(current.topics))
        .arg(edit.active.unwrap_or(current.active))
        .arg(now());
    let mut tx = db.begin().await?;
    let subscription: Subscription = tx.fetch_optional(update).await?.or_not_found("webhook")?;
    tx.commit().await?;
    Ok(subscription)
}

/// Deletes a subscription with its delivery log.
pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<()> {
    // The subscription and its delivery log go together.
    let mut tx = db.begin().await?;
    let deliveries = Stmt::new("DELETE FROM webhook_deliveries WHERE workspace_id = $1 AND subscription_id = $2");
    tx.execute(deliveries.arg(workspace_id).arg(id)).await?;
    let subscription = Stmt::new("DELETE FROM webhook_subscriptions WHERE workspace_id = $1 AND id = $2");
    if tx.execute(subscription.arg(workspace_id).arg(id)).await? == 0 {
        return Err(StoreError::not_found("webhook"));
    }
    tx.commit().await
}

/// Pauses (`true`) or resumes (`false`) delivery. Resuming clears the failure count and retries
/// at once from the cursor, so nothing is skipped.
pub async fn set_paused(db: &Db, workspace_id: WorkspaceId, id: i64, paused: bool) -> StoreResult<Subscription> {
    let sql = format!(
        "UPDATE webhook_subscriptions SET paused = $3, consecutive_failures = CASE WHEN $3 THEN consecutive_failures ELSE 0 END, \
         next_attempt_at_ms = 0, updated_at = $4 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql).arg(workspace_id).arg(id).arg(paused).arg(now());
    let mut tx = db.begin().await?;
    let subscription: Subscription = tx.fetch_optional(update).await?.or_not_found("webhook")?;
    tx.commit().await?;
    Ok(subscription)
}

/// Subscriptions (of every workspace) that are on, not paused, due for an attempt and not leased
/// by another node: the worker's to-do list.
pub async fn due(db: &Db, owner: &str, at_ms: i64, limit: i64) -> StoreResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_subscriptions WHERE active AND NOT paused AND next_attempt_at_ms <= $1 \
         AND (lease_until_ms < $1 OR lease_owner = $2) ORDER BY next_attempt_at_ms, id LIMIT $3"
    );
    db.read().fetch_all(Stmt::new(sql).arg(at_ms).arg(owner).arg(limit)).await
}

/// Takes (or extends) the lease on a subscription until `until_ms`; false when another node
/// holds an unexpired lease.
pub async fn lease(db: &Db, workspace_id: WorkspaceId, id: i64, owner: &str, until_ms: i64) -> StoreResult<bool> {
    let update = Stmt::new(
        "UPDATE webhook_subscriptions SET lease_owner = $3, lease_until_ms = $4 \
         WHERE workspace_id = $1 AND id = $2 AND (lease_until_ms < $5 OR lease_owner = $3)",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(owner)
    .arg(until_ms)
    .arg(now_ms());
    let mut tx = db.begin().await?;
    let taken = tx.execute(update).await?;
    tx.commit().await?;
    Ok(taken == 1)
}

/// Gives the lease back so any node may pick the subscription up at once.
pub async fn release(db: &Db, workspace_id: WorkspaceId, id: i64, owner: &str) -> StoreResult<()> {
    let update = Stmt::new(
        "UPDATE webhook_subscriptions SET lease_owner = NULL, lease_until_ms = 0 \
         WHERE workspace_id = $1 AND id = $2 AND lease_owner = $3",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(owner);
    let mut tx = db.begin().await?;
    tx.execute(update).await?;
    tx.commit().await
}

/// Moves the cursor to `seq` (delivered, or nothing to deliver) and clears the failure count;
/// only for the lease holder, and never backwards. False when the lease was lost.
pub async fn advance(db: &Db, workspace_id: WorkspaceId, id: i64, owner: &str, seq: i64) -> StoreResult<bool> {
    let update = Stmt::new(
        "UPDATE webhook_subscriptions SET cursor_seq = CASE WHEN cursor_seq < $4 THEN $4 ELSE cursor_seq END, \
         consecutive_failures = 0, next_attempt_at_ms = 0, last_error = NULL \
         WHERE workspace_id = $1 AND id = $2 AND lease_owner = $3",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(owner)
    .arg(seq);
    let mut tx = db.begin().await?;
    let moved = tx.execute(update).await?;
    tx.commit().await?;
    Ok(moved == 1)
}

/// Counts a failed attempt: the next one waits until `retry_at_ms`, and the subscription pauses
/// once `pause_after` attempts in a row have failed. Returns the subscription as it now is.
pub async fn fail(
    db: &Db,
    workspace_id: WorkspaceId,
    id: i64,
    owner: &str,
    error: &str,
    retry_at_ms: i64,
    pause_after: i64,
) -> StoreResult<Subscription> {
    let sql = format!(
        "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1, \
         paused = (consecutive_failures + 1 >= $6), next_attempt_at_ms = $5, last_error = $4, updated_at = $7 \
         WHERE workspace_id = $1 AND id = $2 AND lease_owner = $3 RETURNING {COLUMNS}"
    );
    let update =
        Stmt::new(sql).arg(workspace_id).arg(id).arg(owner).arg(error).arg(retry_at_ms).arg(pause_after).arg(now());
    let mut tx = db.begin().await?;
    let subscription: Subscription = tx.fetch_optional(update).await?.or_not_found("webhook")?;
    tx.commit().await?;
    Ok(subscription)
}

/// One attempt to deliver one event.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Delivery {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub subscription_id: i64,
    pub event_seq: i64,
    pub notification_id: String,
    pub topic: String,
    /// 1 for the first try of this event, 2 for the first retry, …
    pub attempt: i64,
    /// The receiver's HTTP status; `None` when no answer came (refused, timeout, blocked address).
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub created_at: i64,
}

const DELIVERY_COLUMNS: &str =
    "id, workspace_id, subscription_id, event_seq, notification_id, topic, attempt, status_code, latency_ms, error, created_at";

/// Appends one attempt to the delivery log.
#[allow(clippy::too_many_arguments)]
pub async fn log_delivery(
    db: &Db,
    subscription: &Subscription,
    event_seq: i64,
    notification_id: &str,
    topic: &str,
    attempt: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    error: Option<&str>,
) -> StoreResult<()> {
    let insert = Stmt::new(
        "INSERT INTO webhook_deliveries (workspace_id, subscription_id, event_seq, notification_id, topic, attempt, \
         status_code, latency_ms, error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .arg(subscription.workspace_id)
    .arg(subscription.id)
    .arg(event_seq)
    .arg(notification_id)
    .arg(topic)
    .arg(attempt)
    .arg(status_code)
    .arg(latency_ms)
    .arg(error)
    .arg(now());
    let mut tx = db.begin().await?;
    tx.execute(insert).await?;
    tx.commit().await
}

/// How many attempts this subscription has already made for the event `seq`.
pub async fn attempts(db: &Db, workspace_id: WorkspaceId, subscription_id: i64, seq: i64) -> StoreResult<i64> {
    let sql =
        "SELECT COUNT(*) FROM webhook_deliveries WHERE workspace_id = $1 AND subscription_id = $2 AND event_seq = $3";
    db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(subscription_id).arg(seq)).await
}

/// The newest `limit` attempts of a subscription, newest first, before delivery id `before`
/// when given (for paging).
pub async fn deliveries(
    db: &Db,
    workspace_id: WorkspaceId,
    subscription_id: i64,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Delivery>> {
    find(db, workspace_id, subscription_id).await?;
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE workspace_id = $1 AND subscription_id = $2 \
         AND id < $3 ORDER BY id DESC LIMIT $4"
    );
    let page = Stmt::new(sql).arg(workspace_id).arg(subscription_id).arg(before.unwrap_or(i64::MAX)).arg(limit);
    db.read().fetch_all(page).await
}
