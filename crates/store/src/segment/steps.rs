//! The write transaction of the Segment intake: each call applied in a savepoint of its own,
//! through the same contact and company steps as the REST API (create, promotion to a user,
//! merge, the email lookup), inside the one transaction.

use rapport_core::attributes;
use rapport_core::contact::{check_merge, ContactRole, Email};
use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_core::segment::{view_metadata, Action, Call, ContactTraits};
use serde_json::{Map, Value};

use super::{merged_attributes, Outcome, Person};
use crate::contacts::ContactFields;
use crate::{now, Conn, Db, Stmt, StoreError, StoreResult, Tx};

/// Applies `calls` in order in one transaction, each in a savepoint: a call that is refused or
/// fails on its data is rolled back alone; the others stay. Answers each call's outcome (same
/// order) once the transaction is committed.
pub(super) async fn run(db: &Db, workspace_id: WorkspaceId, calls: &[&Call]) -> StoreResult<Vec<Outcome>> {
    let mut tx = db.begin().await?;
    let mut done = Vec::with_capacity(calls.len());
    for call in calls {
        let mut retried = false;
        let outcome = loop {
            tx.execute(Stmt::new("SAVEPOINT segment_call")).await?;
            let result = apply_call(&mut tx, workspace_id, call).await;
            if !matches!(result, Ok(Outcome::Applied | Outcome::Duplicate)) {
                tx.execute(Stmt::new("ROLLBACK TO SAVEPOINT segment_call")).await?;
            }
            tx.execute(Stmt::new("RELEASE SAVEPOINT segment_call")).await?;
            match result {
                Ok(outcome) => break outcome,
                // Another request created the same contact or company meanwhile: it exists now.
                Err(StoreError::Conflict(_)) if !retried => retried = true,
                Err(StoreError::Invalid(message) | StoreError::InvalidField { message, .. }) => {
                    break Outcome::refused(message)
                }
                Err(StoreError::Conflict(conflict)) => break Outcome::refused(conflict.answer()),
                Err(other) => return Err(other),
            }
        };
        done.push(outcome);
    }
    tx.commit().await?;
    Ok(done)
}

async fn apply_call(tx: &mut Tx, workspace_id: WorkspaceId, call: &Call) -> StoreResult<Outcome> {
    if let Some(message_id) = &call.message_id {
        let inserted = tx
            .execute(
                Stmt::new(
                    "INSERT INTO segment_messages (workspace_id, message_id, kind, received_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .arg(workspace_id)
                .arg(message_id)
                .arg(call.kind.as_str())
                .arg(now()),
            )
            .await?;
        if inserted == 0 {
            return Ok(Outcome::Duplicate);
        }
    }
    if let Action::Alias { previous_id } = &call.action {
        return alias(tx, workspace_id, call, previous_id).await;
    }
    let email = match &call.action {
        Action::Identify { traits } => traits.email.as_ref(),
        _ => None,
    };
    let person = resolve(tx, workspace_id, call, email).await?;
    match &call.action {
        Action::Identify { traits } => update_contact(tx, workspace_id, &person, traits).await?,
        Action::Track { event, properties } => {
            record_event(tx, workspace_id, person.id, event, properties, call.timestamp).await?
        }
        Action::View { screen, name, url, properties } => {
            tx.execute(
                Stmt::new(
                    "UPDATE contacts SET last_seen_at = $3, last_seen_url = COALESCE($4, last_seen_url) \
                     WHERE workspace_id = $1 AND id = $2 AND (last_seen_at IS NULL OR last_seen_at <= $3)",
                )
                .arg(workspace_id)
                .arg(person.id)
                .arg(call.timestamp)
                .arg(url.as_deref()),
            )
            .await?;
            let event = if *screen { "viewed-screen" } else { "viewed-page" };
            let metadata = view_metadata(name.as_deref(), url.as_deref(), properties);
            record_event(tx, workspace_id, person.id, event, &metadata, call.timestamp).await?;
        }
        Action::Group { group_id, traits } => {
            let fields = crate::companies::CompanyFields {
                name: traits.name.clone(),
                plan: traits.plan.clone(),
                size: traits.size,
                website: traits.website.clone(),
                industry: traits.industry.clone(),
                monthly_spend: traits.monthly_spend,
                remote_created_at: traits.remote_created_at,
                custom_attributes: Some(traits.custom.clone()),
            };
            let (company_id, _) = crate::companies::write(tx, workspace_id, group_id, &fields).await?;
            tx.execute(
                Stmt::new(
                    "INSERT INTO contact_companies (workspace_id, contact_id, company_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (contact_id, company_id) DO NOTHING",
                )
                .arg(workspace_id)
                .arg(person.id)
                .arg(company_id)
                .arg(now()),
            )
            .await?;
        }
        Action::Alias { .. } => unreachable!("an alias is applied above"),
    }
    Ok(Outcome::Applied)
}

const PERSON: &str = "SELECT id, role, external_id, email, email_domain, name, phone, avatar, signed_up_at, \
    custom_attributes, merged_into_id FROM contacts WHERE workspace_id = $1";

async fn person(tx: &mut Tx, workspace_id: WorkspaceId, id: ContactId) -> StoreResult<Option<Person>> {
    tx.fetch_optional(Stmt::new(format!("{PERSON} AND id = $2")).arg(workspace_id).arg(id)).await
}

/// The live contact `id` leads to, following merges.
async fn live_person(tx: &mut Tx, workspace_id: WorkspaceId, mut id: ContactId) -> StoreResult<Option<Person>> {
    // A merge chain is short; the bound only guards against a cycle in corrupt data.
    for _ in 0..16 {
        match person(tx, workspace_id, id).await? {
            None => return Ok(None),
            Some(Person { merged_into_id: Some(into), .. }) => id = into,
            Some(found) => return Ok(Some(found)),
        }
    }
    Ok(None)
}

async fn by_external_id(tx: &mut Tx, workspace_id: WorkspaceId, external_id: &str) -> StoreResult<Option<Person>> {
    let sql = format!("{PERSON} AND external_id = $2 AND merged_into_id IS NULL ORDER BY id LIMIT 1");
    tx.fetch_optional(Stmt::new(sql).arg(workspace_id).arg(external_id)).await
}

async fn by_identity(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    kind: &str,
    segment_id: &str,
) -> StoreResult<Option<Person>> {
    let id: Option<ContactId> = tx
        .scalar_optional(
            Stmt::new(
                "SELECT contact_id FROM segment_identities WHERE workspace_id = $1 AND kind = $2 AND segment_id = $3",
            )
            .arg(workspace_id)
            .arg(kind)
            .arg(segment_id),
        )
        .await?;
    match id {
        Some(id) => live_person(tx, workspace_id, id).await,
        None => Ok(None),
    }
}

/// Records that an anonymous id names `contact_id` (the first contact it named stays).
async fn remember_anonymous(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    call: &Call,
    contact_id: ContactId,
) -> StoreResult<()> {
    if let Some(anonymous_id) = &call.anonymous_id {
        tx.execute(
            Stmt::new(
                "INSERT INTO segment_identities (workspace_id, kind, segment_id, contact_id, created_at) \
                 VALUES ($1, 'anonymous', $2, $3, $4) ON CONFLICT (workspace_id, kind, segment_id) DO NOTHING",
            )
            .arg(workspace_id)
            .arg(anonymous_id)
            .arg(contact_id)
            .arg(now()),
        )
        .await?;
    }
    Ok(())
}

/// Creates a contact (a user with `user_id`, else a lead) as the REST API's create does.
async fn create_contact(tx: &mut Tx, workspace_id: WorkspaceId, user_id: Option<&str>) -> StoreResult<ContactId> {
    let fields = ContactFields {
        role: Some(if user_id.is_some() { ContactRole::User } else { ContactRole::Lead }),
        external_id: Some(user_id.map(str::to_string)),
        ..Default::default()
    };
    Ok(crate::contacts::insert(tx, workspace_id, fields).await?.id)
}

fn found(person: Option<Person>) -> StoreResult<Person> {
    person.ok_or_else(|| StoreError::Invalid("the contact disappeared while being written".into()))
}

/// The live contact who owns `email` (as `contacts::find_by_email` finds it), as this
/// transaction sees the workspace.
async fn email_owner(tx: &mut Tx, workspace_id: WorkspaceId, email: &Email) -> StoreResult<Option<Person>> {
    match crate::contacts::by_email(tx, workspace_id, email).await? {
        Some(owner) => live_person(tx, workspace_id, owner.id).await,
        None => Ok(None),
    }
}

/// The live contact a `userId` names: its external id, else an id an alias retired for it.
async fn by_user_id(tx: &mut Tx, workspace_id: WorkspaceId, user_id: &str) -> StoreResult<Option<Person>> {
    match by_external_id(tx, workspace_id, user_id).await? {
        Some(person) => Ok(Some(person)),
        None => by_identity(tx, workspace_id, "alias", user_id).await,
    }
}

/// The contact a call is about, created when new (see the module comment of `segment.rs`).
async fn resolve(tx: &mut Tx, workspace_id: WorkspaceId, call: &Call, email: Option<&Email>) -> StoreResult<Person> {
    let anonymous = match &call.anonymous_id {
        Some(anonymous_id) => match by_identity(tx, workspace_id, "anonymous", anonymous_id).await? {
            Some(person) => Some(person),
            None => by_identity(tx, workspace_id, "alias", anonymous_id).await?,
        },
        None => None,
    };
    let Some(user_id) = call.user_id.as_deref() else {
        if let Some(person) = anonymous {
            return Ok(person);
        }
        if let Some(email) = email {
            if let Some(owner) = email_owner(tx, workspace_id, email).await? {
                remember_anonymous(tx, workspace_id, call, owner.id).await?;
                return Ok(owner);
            }
        }
        let id = create_contact(tx, workspace_id, None).await?;
        remember_anonymous(tx, workspace_id, call, id).await?;
        return found(person(tx, workspace_id, id).await?);
    };
    if let Some(user) = by_user_id(tx, workspace_id, user_id).await? {
        match &anonymous {
            // The visitor was a lead before signing in: one person now.
            Some(lead) if lead.id != user.id && lead.role == "lead" && user.role == "user" => {
                crate::contacts::merge_in(tx, workspace_id, lead.id, user.id, None).await?;
                return found(person(tx, workspace_id, user.id).await?);
            }
            Some(_) => {}
            None => remember_anonymous(tx, workspace_id, call, user.id).await?,
        }
        return Ok(user);
    }
    // A new user id: the visitor's lead becomes the user.
    if let Some(lead) = anonymous.filter(|p| p.role == "lead") {
        crate::contacts::promote_to_user(tx, workspace_id, lead.id, user_id).await?;
        return found(person(tx, workspace_id, lead.id).await?);
    }
    // A user added by email only (REST, the messenger) takes the id.
    if let Some(email) = email {
        if let Some(owner) = email_owner(tx, workspace_id, email).await? {
            if owner.role == "user" && owner.external_id.is_none() {
                crate::contacts::promote_to_user(tx, workspace_id, owner.id, user_id).await?;
                remember_anonymous(tx, workspace_id, call, owner.id).await?;
                return found(person(tx, workspace_id, owner.id).await?);
            }
        }
    }
    let id = create_contact(tx, workspace_id, Some(user_id)).await?;
    remember_anonymous(tx, workspace_id, call, id).await?;
    found(person(tx, workspace_id, id).await?)
}

/// `alias`: from now on `previous_id` names the contact the call's `userId` names. When
/// `previous_id` was a lead (an anonymous visitor) and `userId` a user, the lead is merged into
/// the user; when `userId` is new, the contact of `previous_id` takes it (a lead becomes a user);
/// when neither is known, the user is created. Two different users are refused: Rapport merges
/// only a lead into a user.
async fn alias(tx: &mut Tx, workspace_id: WorkspaceId, call: &Call, previous_id: &str) -> StoreResult<Outcome> {
    let Some(user_id) = call.user_id.as_deref() else {
        return Err(StoreError::Invalid("userId is required".into()));
    };
    let previous = match by_identity(tx, workspace_id, "anonymous", previous_id).await? {
        Some(person) => Some(person),
        None => by_user_id(tx, workspace_id, previous_id).await?,
    };
    let user = by_user_id(tx, workspace_id, user_id).await?;
    let refused = |message: String| Ok(Outcome::Refused { field: Some("previousId".into()), message });
    let target = match (previous, user) {
        (Some(p), Some(u)) if p.id == u.id => u.id,
        // The tracking key is public (it ships in web pages): it may fold an anonymous lead into a
        // user, never merge two customers, which is a teammate's decision (`POST /contacts/merge`).
        (Some(p), Some(_)) if p.role != "lead" => {
            return refused(format!(
                "cannot alias {previous_id:?} to {user_id:?}: both are users (merge them with POST /api/contacts/merge)"
            ));
        }
        (Some(p), Some(u)) => {
            if let Err(e) = check_merge(p.id, ContactRole::Lead, u.id, role_of(&u)) {
                return refused(format!("cannot alias {previous_id:?} to {user_id:?}: {e}"));
            }
            match crate::contacts::merge_in(tx, workspace_id, p.id, u.id, None).await {
                Ok(()) => u.id,
                Err(StoreError::Invalid(message) | StoreError::InvalidField { message, .. }) => {
                    return refused(message)
                }
                Err(other) => return Err(other),
            }
        }
        // The contact takes the new id (and a lead becomes a user).
        (Some(p), None) => match crate::contacts::promote_to_user(tx, workspace_id, p.id, user_id).await {
            Ok(()) => p.id,
            Err(StoreError::Conflict(conflict)) => return refused(conflict.answer()),
            Err(other) => return Err(other),
        },
        (None, Some(u)) => u.id,
        (None, None) => create_contact(tx, workspace_id, Some(user_id)).await?,
    };
    tx.execute(
        Stmt::new(
            "INSERT INTO segment_identities (workspace_id, kind, segment_id, contact_id, created_at) \
             VALUES ($1, 'alias', $2, $3, $4) \
             ON CONFLICT (workspace_id, kind, segment_id) DO UPDATE SET contact_id = excluded.contact_id",
        )
        .arg(workspace_id)
        .arg(previous_id)
        .arg(target)
        .arg(now()),
    )
    .await?;
    Ok(Outcome::Applied)
}

fn role_of(person: &Person) -> ContactRole {
    person.role.parse().unwrap_or(ContactRole::User)
}

/// Writes an identify's traits over the contact: given fields replace, absent ones stay,
/// custom attributes merge key by key.
async fn update_contact(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    person: &Person,
    traits: &ContactTraits,
) -> StoreResult<()> {
    let (email, email_domain) = match &traits.email {
        Some(e) => (Some(e.as_str().to_string()), Some(e.domain().to_string())),
        None => (person.email.clone(), person.email_domain.clone()),
    };
    tx.execute(
        Stmt::new(
            "UPDATE contacts SET email = $3, email_domain = $4, name = $5, phone = $6, avatar = $7, \
             signed_up_at = $8, custom_attributes = $9, updated_at = $10 WHERE workspace_id = $1 AND id = $2",
        )
        .arg(workspace_id)
        .arg(person.id)
        .arg(email)
        .arg(email_domain)
        .arg(traits.name.as_ref().or(person.name.as_ref()))
        .arg(traits.phone.as_ref().or(person.phone.as_ref()))
        .arg(traits.avatar.as_ref().or(person.avatar.as_ref()))
        .arg(traits.signed_up_at.or(person.signed_up_at))
        .arg(merged_attributes(&person.custom_attributes, &traits.custom))
        .arg(now()),
    )
    .await?;
    Ok(())
}

/// Records a data event as `events::record` does (same normalised name, same de-duplication
/// of an identical event).
async fn record_event(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    event: &str,
    metadata: &Map<String, Value>,
    created_at: i64,
) -> StoreResult<()> {
    let name = attributes::event_name(event).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.execute(
        Stmt::new(crate::events::INSERT_EVENT)
            .arg(workspace_id)
            .arg(contact_id)
            .arg(&name)
            .arg(Value::Object(metadata.clone()).to_string())
            .arg(created_at)
            .arg(crate::events::metadata_hash(metadata)),
    )
    .await?;
    Ok(())
}
