//! Segment intake: applies parsed Segment calls ([`rapport_core::segment::Call`]) to contacts,
//! events and companies, and keeps what Segment names people by that has no column of ours
//! (anonymous ids, ids an alias retired) and the `messageId`s already applied.
//!
//! A request's calls are applied in order. Consecutive calls share one write transaction, each
//! inside a savepoint of its own: a call refused by the data (an unknown custom attribute, say)
//! is rolled back alone and the others stay, and the request is acknowledged only after the
//! commit. Three things run between transactions, because they go through repositories that
//! open their own: an `alias` (and an anonymous lead met again under a known user) calls
//! [`crate::contacts::merge`]; a new person known only by an email is looked up with
//! [`crate::contacts::find_by_email`] after the earlier calls are committed, so it sees them.
//!
//! How each call lands (docs/API.md "Segment intake" says it for clients):
//! - a `userId` names the contact with that `external_id` (else one an alias retired it for);
//!   an `anonymousId` names the contact it was first seen with (a lead made for it). Merged
//!   contacts are followed to the one they were merged into.
//! - an unknown person is created: a user for a `userId` (adopting the lead of its
//!   `anonymousId`, or a user with the identify's email and no `external_id`), else a lead.
use rapport_core::attributes::{self, Model};
use rapport_core::contact::ContactRole;
use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_core::segment::{Action, Call, CallError, Kind};
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

/// Work a transaction cannot do itself (see the module comment); the call is retried after it.
#[derive(Debug)]
enum Between {
    /// Alias the call's `previousId` to its `userId`.
    Alias,
    /// Look up the contact that owns this email, committed rows only.
    FindByEmail(rapport_core::contact::Email),
    /// Merge the lead `from` into the user `into`.
    Merge { from: ContactId, into: ContactId },
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

/// The contact an email lookup found for the call it was made for (`None`: nobody has it).
type EmailHint = Option<Contact>;

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
/// returned only for a failure of ours (the database); calls before it may have been applied
/// and a retry of the request finds them by `messageId`.
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
                Err(StoreError::Invalid(message)) => outcomes[index] = Some(Outcome::refused(message)),
                Err(other) => return Err(other),
            },
        }
    }
    let mut next = 0;
    let mut hint: Option<EmailHint> = None;
    while next < todo.len() {
        let batch: Vec<&Call> = todo[next..].iter().map(|(_, call)| *call).collect();
        let (done, between) = steps::run(db, workspace_id, &batch, hint.take()).await?;
        for outcome in done {
            outcomes[todo[next].0] = Some(outcome);
            next += 1;
        }
        match between {
            None => {}
            Some(Between::Alias) => {
                let (index, call) = todo[next];
                outcomes[index] = Some(alias(db, workspace_id, call).await?);
                next += 1;
            }
            Some(Between::FindByEmail(email)) => {
                hint = Some(crate::contacts::find_by_email(db, workspace_id, &email).await?);
            }
            Some(Between::Merge { from, into }) => match crate::contacts::merge(db, workspace_id, from, into).await {
                // The call runs again and now finds one contact.
                Ok(_) => {}
                Err(StoreError::Invalid(message)) => {
                    outcomes[todo[next].0] = Some(Outcome::refused(message));
                    next += 1;
                }
                Err(other) => return Err(other),
            },
        }
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

/// The live contact a `userId` names (its external id, else an id an alias retired for it).
async fn find_user(db: &Db, workspace_id: WorkspaceId, user_id: &str) -> StoreResult<Option<Contact>> {
    match crate::contacts::find_by_external_id(db, workspace_id, user_id).await {
        Ok(contact) => return Ok(Some(contact)),
        Err(StoreError::NotFound { .. }) => {}
        Err(other) => return Err(other),
    }
    identity(db, workspace_id, "alias", user_id).await
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

/// `alias`: from now on `previousId` names the contact `userId` names. When `previousId` was a
/// lead (an anonymous visitor) and `userId` a user, the lead is merged into the user; when
/// `userId` is new, the contact of `previousId` takes it (a lead becomes a user); when neither
/// is known, the user is created. Two different users are refused: Rapport merges only a lead
/// into a user.
async fn alias(db: &Db, workspace_id: WorkspaceId, call: &Call) -> StoreResult<Outcome> {
    let Action::Alias { previous_id } = &call.action else { return Ok(Outcome::refused("not an alias")) };
    let Some(user_id) = call.user_id.as_deref() else { return Ok(Outcome::refused("userId is required")) };
    if let Some(message_id) = &call.message_id {
        let sql = "SELECT message_id FROM segment_messages WHERE workspace_id = $1 AND message_id = $2";
        let seen: Option<String> = db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(message_id)).await?;
        if seen.is_some() {
            return Ok(Outcome::Duplicate);
        }
    }
    let previous = match identity(db, workspace_id, "anonymous", previous_id).await? {
        Some(contact) => Some(contact),
        None => find_user(db, workspace_id, previous_id).await?,
    };
    let user = find_user(db, workspace_id, user_id).await?;
    let target = match alias_target(db, workspace_id, previous_id, user_id, previous, user).await {
        Ok(id) => id,
        Err(StoreError::Invalid(message)) => return Ok(Outcome::Refused { field: Some("previousId".into()), message }),
        Err(StoreError::Conflict(conflict)) => {
            return Ok(Outcome::Refused { field: Some("previousId".into()), message: conflict.answer() })
        }
        Err(other) => return Err(other),
    };
    let at = crate::now();
    let mut tx = db.begin().await?;
    tx.execute(
        Stmt::new(
            "INSERT INTO segment_identities (workspace_id, kind, segment_id, contact_id, created_at) \
             VALUES ($1, 'alias', $2, $3, $4) \
             ON CONFLICT (workspace_id, kind, segment_id) DO UPDATE SET contact_id = excluded.contact_id",
        )
        .arg(workspace_id)
        .arg(previous_id)
        .arg(target)
        .arg(at),
    )
    .await?;
    if let Some(message_id) = &call.message_id {
        tx.execute(
            Stmt::new(
                "INSERT INTO segment_messages (workspace_id, message_id, kind, received_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .arg(workspace_id)
            .arg(message_id)
            .arg(Kind::Alias.as_str())
            .arg(at),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Outcome::Applied)
}

/// Makes `previous` and `user` one contact and returns it (see [`alias`]).
async fn alias_target(
    db: &Db,
    workspace_id: WorkspaceId,
    previous_id: &str,
    user_id: &str,
    previous: Option<Contact>,
    user: Option<Contact>,
) -> StoreResult<ContactId> {
    let take_user_id = crate::contacts::ContactFields {
        role: Some(ContactRole::User),
        external_id: Some(Some(user_id.to_string())),
        ..Default::default()
    };
    Ok(match (previous, user) {
        (Some(p), Some(u)) if p.id == u.id => u.id,
        // The tracking key is public (it ships in web pages): it may fold an anonymous lead into a
        // user, never merge two customers, which is a teammate's decision (`POST /contacts/merge`).
        (Some(p), Some(_)) if p.role() != ContactRole::Lead => {
            return Err(StoreError::Invalid(format!(
                "cannot alias {previous_id:?} to {user_id:?}: both are users (merge them with POST /api/contacts/merge)"
            )));
        }
        (Some(p), Some(u)) => {
            rapport_core::contact::check_merge(p.id, p.role(), u.id, u.role())
                .map_err(|e| StoreError::Invalid(format!("cannot alias {previous_id:?} to {user_id:?}: {e}")))?;
            crate::contacts::merge(db, workspace_id, p.id, u.id).await?.id
        }
        // The contact takes the new id (and a lead becomes a user).
        (Some(p), None) => crate::contacts::update(db, workspace_id, p.id, take_user_id).await?.id,
        (None, Some(u)) => u.id,
        (None, None) => crate::contacts::create(db, workspace_id, take_user_id).await?.id,
    })
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
