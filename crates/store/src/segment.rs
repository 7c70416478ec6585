//! Segment intake: applies parsed Segment calls ([`rapport_core::segment::Call`]) to contacts,
//! events and companies, and keeps what Segment names people by that has no column of ours
//! (anonymous ids, ids an alias retired) and the `messageId`s already applied.
//!
//! A request's calls are applied in order in one write transaction, each inside a savepoint of
//! its own: a call refused by the data (an unknown custom attribute, say) is rolled back alone and
//! the others stay, and the request is acknowledged only after the commit. The contact steps are
//! the REST API's, run inside that transaction (`steps.rs`): a new contact is
//! `contacts::insert`, a person known only by an email is found by the lookup of
//! [`crate::contacts::find_by_email`] (seeing the calls before it), and an `alias` (or an
//! anonymous lead met again under a known user) is the merge of [`crate::contacts::merge`].
//!
//! How each call lands (docs/API.md "Segment intake" says it for clients):
//! - a `userId` names the contact with that `external_id` (else one an alias retired it for);
//!   an `anonymousId` names the contact it was first seen with (a lead made for it). Merged
//!   contacts are followed to the one they were merged into.
//! - an unknown person is created: a user for a `userId` (adopting the lead of its
//!   `anonymousId`, or a user with the identify's email and no `external_id`), else a lead.
use rapport_core::attributes::{self, Model};
use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_core::segment::{Action, Call, CallError};
use serde_json::{Map, Value};

use crate::contacts::Contact;
use crate::{Conn, Db, Stmt, StoreError, StoreResult};

mod steps;

/// What became of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Its `messageId` was applied before: a client's retry. Nothing changed.
    Duplicate,
    /// Not applied, and nothing of it written; `field` names the part at fault when known.
    Refused {
        field: Option<String>,
        message: String,
    },
}

impl Outcome {
    fn refused(message: impl Into<String>) -> Self {
        Outcome::Refused { field: None, message: message.into() }
    }
}

/// The columns of a contact the intake reads and writes.
#[derive(Debug, Clone, crate::Row)]
struct Person {
    id: ContactId,
    role: String,
    external_id: Option<String>,
    email: Option<String>,
    email_domain: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    avatar: Option<String>,
    signed_up_at: Option<i64>,
    custom_attributes: String,
    merged_into_id: Option<ContactId>,
}

/// The workspace whose write-only tracking key this is.
pub async fn workspace_by_tracking_key(db: &Db, key: &str) -> StoreResult<Option<WorkspaceId>> {
    // PostgreSQL cannot compare a NUL; no key holds one.
    if key.is_empty() || key.contains('\0') {
        return Ok(None);
    }
    let id: Option<i64> =
        db.read().scalar_optional(Stmt::new("SELECT id FROM workspaces WHERE tracking_key = $1").arg(key)).await?;
    Ok(id.map(WorkspaceId::from))
}

/// Applies a request's calls in order and says what became of each (same order). An error is
/// returned only for a failure of ours (the database); the calls share one transaction, so then
/// none of them was applied (custom attributes their traits defined may stay defined).
pub async fn apply(db: &Db, workspace_id: WorkspaceId, calls: &[Result<Call, CallError>]) -> StoreResult<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; calls.len()];
    let mut todo: Vec<(usize, &Call)> = Vec::with_capacity(calls.len());
    for (index, call) in calls.iter().enumerate() {
        match call {
            Err(e) => {
                outcomes[index] = Some(Outcome::Refused { field: Some(e.field.clone()), message: e.message.clone() })
            }
            Ok(call) => match check(db, workspace_id, call).await {
                Ok(()) => todo.push((index, call)),
                Err(e) => match e.refusal() {
                    Some(message) => outcomes[index] = Some(Outcome::refused(message)),
                    None => return Err(e),
                },
            },
        }
    }
    let calls: Vec<&Call> = todo.iter().map(|(_, call)| *call).collect();
    for ((index, _), outcome) in todo.iter().zip(steps::run(db, workspace_id, &calls).await?) {
        outcomes[*index] = Some(outcome);
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::refused("not applied"))).collect())
}

fn check_length(field: &str, value: &Option<String>, max: usize) -> StoreResult<()> {
    match value {
        Some(v) if v.chars().count() > max => {
            Err(StoreError::Invalid(format!("{field} is too long (at most {max} characters)")))
        }
        _ => Ok(()),
    }
}

/// The traits that set a value: a `null` only clears, which fits a defined attribute of any type
/// and does nothing to one never defined (a client sending `nickname: null` is not refused).
fn without_nulls(custom: &Map<String, Value>) -> Map<String, Value> {
    custom.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Everything about a call that can be refused without writing: the same rules as the REST
/// API's contacts, companies and events, except that a trait naming no custom attribute defines
/// one typed by its value first (up to `data_attributes::MAX_SELF_DEFINED` per model), as
/// Intercom's Segment destination does. A value of the wrong type for an existing attribute is
/// refused.
async fn check(db: &Db, workspace_id: WorkspaceId, call: &Call) -> StoreResult<()> {
    match &call.action {
        Action::Identify { traits } => {
            check_length("traits.name", &traits.name, 255)?;
            check_length("traits.phone", &traits.phone, 64)?;
            check_length("traits.avatar", &traits.avatar, 2048)?;
            crate::data_attributes::define_missing(db, workspace_id, Model::Contact, &traits.custom).await?;
            let values = without_nulls(&traits.custom);
            crate::data_attributes::validate_custom_attributes(db, workspace_id, Model::Contact.as_str(), &values).await
        }
        Action::Track { event, properties } => {
            attributes::event_name(event).map_err(|e| StoreError::Invalid(format!("event: {e}")))?;
            attributes::validate_event_metadata(properties).map_err(|e| StoreError::Invalid(format!("properties: {e}")))
        }
        Action::View { .. } | Action::Alias { .. } => Ok(()),
        Action::Group { traits, .. } => {
            if traits.size.is_some_and(|s| s < 0) {
                return Err(StoreError::Invalid("traits.employees must not be negative".into()));
            }
            let max = crate::companies::MAX_MONTHLY_SPEND;
            if traits.monthly_spend.is_some_and(|s| !s.is_finite() || !(0.0..=max).contains(&s)) {
                return Err(StoreError::Invalid(format!("traits.monthly_spend must be between 0 and {max}")));
            }
            check_length("traits.name", &traits.name, 255)?;
            crate::data_attributes::define_missing(db, workspace_id, Model::Company, &traits.custom).await?;
            let values = without_nulls(&traits.custom);
            crate::data_attributes::validate_custom_attributes(db, workspace_id, Model::Company.as_str(), &values).await
        }
    }
}

/// The live contact an identity row names, following merges.
async fn identity(db: &Db, workspace_id: WorkspaceId, kind: &str, segment_id: &str) -> StoreResult<Option<Contact>> {
    let sql = "SELECT contact_id FROM segment_identities WHERE workspace_id = $1 AND kind = $2 AND segment_id = $3";
    let found: Option<ContactId> =
        db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(kind).arg(segment_id)).await?;
    let Some(mut id) = found else { return Ok(None) };
    // A merge chain is short; the bound only guards against a cycle in corrupt data.
    for _ in 0..16 {
        let sql = "SELECT merged_into_id FROM contacts WHERE workspace_id = $1 AND id = $2";
        let merged: Option<Option<ContactId>> =
            db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?;
        match merged {
            None => return Ok(None),
            Some(Some(into)) => id = into,
            Some(None) => return Ok(Some(crate::contacts::find(db, workspace_id, id).await?)),
        }
    }
    Ok(None)
}

/// The contact an `anonymousId` names, if any (following merges): what a test or a support
/// tool asks to see where a visitor went.
pub async fn contact_of_anonymous_id(
    db: &Db,
    workspace_id: WorkspaceId,
    anonymous_id: &str,
) -> StoreResult<Option<Contact>> {
    match identity(db, workspace_id, "anonymous", anonymous_id).await? {
        Some(contact) => Ok(Some(contact)),
        None => identity(db, workspace_id, "alias", anonymous_id).await,
    }
}

/// Custom attributes merged key by key over the stored JSON text.
fn merged_attributes(stored: &str, changes: &Map<String, Value>) -> String {
    let mut all: Map<String, Value> = serde_json::from_str(stored).unwrap_or_default();
    all.extend(changes.clone());
    Value::Object(all).to_string()
}
