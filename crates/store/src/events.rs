//! Data events: named, timestamped facts about a contact (`placed-order` at 1389913941 with some
//! metadata), their per-name summaries, and the counts uploaded through `POST /events/summaries`.
//!
//! Summaries are computed from the `events` rows plus `event_summary_adjustments`: an uploaded
//! summary is kept as one adjustment row (add `count` occurrences between `first` and `last`)
//! rather than expanded into `count` synthetic events, so a summary of a million occurrences
//! costs one row and the event list only ever shows events that were really sent.
use rapport_core::attributes::{self, AttributeError};
use rapport_core::ids::{ContactId, WorkspaceId};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{now, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// The identifiers of the contact an event belongs to, as event lists show them.
#[derive(Debug, Clone, PartialEq, Eq, crate::Row)]
pub struct ContactRef {
    pub id: ContactId,
    /// The customer's own id (`user_id` on the wire).
    pub external_id: Option<String>,
    pub email: Option<String>,
}

/// One way of naming a contact in an events request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKey<'a> {
    /// Our id (`id` / `intercom_user_id`).
    Id(ContactId),
    /// The customer's id (`user_id`).
    ExternalId(&'a str),
    Email(&'a str),
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub contact_id: ContactId,
    /// Lower-cased.
    pub event_name: String,
    pub metadata: Map<String, Value>,
    pub created_at: i64,
}

/// A new event. The name is normalised (lower-cased) and the metadata validated on the way in.
pub struct NewEvent<'a> {
    pub contact_id: ContactId,
    pub event_name: &'a str,
    pub created_at: i64,
    pub metadata: &'a Map<String, Value>,
}

/// How often a contact did one thing, and when first and last.
#[derive(Debug, Clone, PartialEq, Eq, crate::Row)]
pub struct EventSummary {
    pub name: String,
    pub first: i64,
    pub last: i64,
    pub count: i64,
}

fn invalid(e: AttributeError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

const CONTACT_COLUMNS: &str = "id, external_id, email";

/// Finds a live (not merged away) contact of this workspace by one key. An email matches
/// case-insensitively; when a user and a lead share it, the user wins, then the oldest.
pub async fn find_contact(db: &Db, workspace_id: WorkspaceId, key: ContactKey<'_>) -> StoreResult<ContactRef> {
    let base = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 AND merged_into_id IS NULL");
    let query = match key {
        ContactKey::Id(id) => {
            let sql = format!("{base} AND id = $2");
            Stmt::new(sql).arg(workspace_id).arg(id)
        }
        ContactKey::ExternalId(external_id) => {
            let sql = format!("{base} AND external_id = $2 ORDER BY id LIMIT 1");
            Stmt::new(sql).arg(workspace_id).arg(external_id)
        }
        ContactKey::Email(email) => {
            let sql =
                format!("{base} AND LOWER(email) = $2 ORDER BY CASE WHEN role = 'user' THEN 0 ELSE 1 END, id LIMIT 1");
            let email = email.trim().to_lowercase();
            Stmt::new(sql).arg(workspace_id).arg(email)
        }
    };
    db.read().fetch_optional(query).await?.or_not_found("contact")
}

/// Finds the contact named by the first key that matches (SDKs send `user_id` and `email`
/// together; a user known only by email must still be found).
pub async fn identify(db: &Db, workspace_id: WorkspaceId, keys: &[ContactKey<'_>]) -> StoreResult<ContactRef> {
    for key in keys {
        match find_contact(db, workspace_id, *key).await {
            Err(StoreError::NotFound { .. }) => continue,
            other => return other,
        }
    }
    Err(StoreError::not_found("contact"))
}

pub(crate) fn metadata_hash(metadata: &Map<String, Value>) -> String {
    hex::encode(Sha256::digest(attributes::canonical_metadata(metadata).as_bytes()))
}

/// Stores one event; an identical event (same contact, name, time and metadata) is stored once.
/// Binds: workspace, contact, normalised name, metadata JSON, created_at, [`metadata_hash`].
pub(crate) const INSERT_EVENT: &str = "INSERT INTO events (workspace_id, contact_id, event_name, metadata, \
    created_at, metadata_hash) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

/// Records an event for a contact of this workspace. Returns `false` when the identical event
/// (same contact, name, `created_at` and metadata, whatever its key order) was already stored:
/// clients retry, and a retried event must not count twice.
pub async fn record(db: &Db, workspace_id: WorkspaceId, new: NewEvent<'_>) -> StoreResult<bool> {
    let name = attributes::event_name(new.event_name).map_err(invalid)?;
    attributes::validate_event_metadata(new.metadata).map_err(invalid)?;
    if new.created_at <= 0 {
        return Err(StoreError::Invalid("created_at must be a positive unix timestamp".into()));
    }
    find_contact(db, workspace_id, ContactKey::Id(new.contact_id)).await?;
    let metadata = Value::Object(new.metadata.clone()).to_string();
    let insert = Stmt::new(INSERT_EVENT)
        .arg(workspace_id)
        .arg(new.contact_id)
        .arg(&name)
        .arg(metadata)
        .arg(new.created_at)
        .arg(metadata_hash(new.metadata));
    let mut tx = db.begin().await?;
    let inserted = tx.execute(insert).await?;
    tx.commit().await?;
    Ok(inserted > 0)
}

#[derive(crate::Row)]
struct EventRow {
    id: i64,
    contact_id: ContactId,
    event_name: String,
    metadata: String,
    created_at: i64,
}

/// A contact's events, newest first, at most `limit`, strictly before the `(created_at, id)`
/// position `before` (the last event of the previous page) when given.
pub async fn list(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    limit: i64,
    before: Option<(i64, i64)>,
) -> StoreResult<Vec<Event>> {
    let (before_at, before_id) = before.unwrap_or((i64::MAX, i64::MAX));
    let page = Stmt::new(
        "SELECT id, contact_id, event_name, metadata, created_at FROM events \
         WHERE workspace_id = $1 AND contact_id = $2 AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
         ORDER BY created_at DESC, id DESC LIMIT $5",
    )
    .arg(workspace_id)
    .arg(contact_id)
    .arg(before_at)
    .arg(before_id)
    .arg(limit);
    let rows: Vec<EventRow> = db.read().fetch_all(page).await?;
    Ok(rows
        .into_iter()
        .map(|r| Event {
            id: r.id,
            contact_id: r.contact_id,
            event_name: r.event_name,
            // Written by `record` from a JSON object; anything else reads as no metadata.
            metadata: serde_json::from_str(&r.metadata).unwrap_or_default(),
            created_at: r.created_at,
        })
        .collect())
}

/// Per event name: how many times, first and last, over stored events and uploaded summaries.
pub async fn summaries(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> StoreResult<Vec<EventSummary>> {
    let sql = "SELECT event_name AS name, MIN(f) AS first, MAX(l) AS last, CAST(SUM(c) AS BIGINT) AS count FROM ( \
           SELECT event_name, created_at AS f, created_at AS l, CAST(1 AS BIGINT) AS c FROM events \
           WHERE workspace_id = $1 AND contact_id = $2 \
           UNION ALL \
           SELECT event_name, first_at, last_at, count FROM event_summary_adjustments \
           WHERE workspace_id = $1 AND contact_id = $2 \
         ) s GROUP BY event_name ORDER BY event_name";
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(contact_id)).await
}

/// Adds uploaded summaries (`count` occurrences of `name` between `first` and `last`) to a
/// contact's summaries. Each upload adds; it does not replace earlier uploads. All are checked
/// before any is written, and they are written together.
pub async fn add_summaries(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    summaries: &[EventSummary],
) -> StoreResult<()> {
    let mut names = Vec::with_capacity(summaries.len());
    for summary in summaries {
        names.push(attributes::event_name(&summary.name).map_err(invalid)?);
        if summary.count < 1 {
            return Err(StoreError::Invalid("count must be at least 1".into()));
        }
        if summary.first <= 0 || summary.last < summary.first {
            return Err(StoreError::Invalid("first and last must be unix timestamps with first <= last".into()));
        }
    }
    find_contact(db, workspace_id, ContactKey::Id(contact_id)).await?;
    let at = now();
    let mut tx = db.begin().await?;
    for (summary, name) in summaries.iter().zip(&names) {
        let insert = Stmt::new(
            "INSERT INTO event_summary_adjustments \
                 (workspace_id, contact_id, event_name, count, first_at, last_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .arg(workspace_id)
        .arg(contact_id)
        .arg(name)
        .arg(summary.count)
        .arg(summary.first)
        .arg(summary.last)
        .arg(at);
        tx.execute(insert).await?;
    }
    tx.commit().await
}
