//! A contact's further identifiers (emails, phones, external ids beyond the primary ones on the
//! contact row): list, add, remove, and the lookups that resolve a verified identifier to its
//! contact. One identifier names at most one live contact of the workspace; adding one that
//! another contact holds (as a primary or a further identifier) is refused and writes nothing.
//! The lookups by a verified identifier are `contacts::find_by_email` and
//! `messenger::find_user`, which match primaries and verified identities in one query.
use rapport_core::ids::{ContactId, WorkspaceId};
use std::collections::HashMap;

use rapport_core::contact::IdentityKind;
use serde::Serialize;

use super::{find, group};
use crate::{now, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// One further identifier of a contact. `verified` ones resolve messages to the contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, crate::Row)]
pub struct Identity {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub contact_id: ContactId,
    /// `email`, `phone` or `external_id`.
    pub kind: String,
    pub value: String,
    pub verified: bool,
    pub created_at: i64,
}

const IDENTITY_COLUMNS: &str = "id, workspace_id, contact_id, kind, value, verified, created_at";

/// The contact column holding the primary identifier of a kind.
fn primary_column(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Email => "LOWER(email)",
        IdentityKind::Phone => "phone",
        IdentityKind::ExternalId => "external_id",
    }
}

fn taken(kind: IdentityKind, value: &str, contact_id: ContactId) -> StoreError {
    Conflict::IdentityTaken { kind, value: value.to_string(), contact_id }.into()
}

/// The further identifiers of a live contact, oldest first.
pub async fn list(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> StoreResult<Vec<Identity>> {
    find(db, workspace_id, contact_id).await?;
    Ok(of_contacts(db, workspace_id, &[contact_id]).await?.remove(&contact_id).unwrap_or_default())
}

/// The further identifiers of each contact of `ids`, in one query.
pub async fn of_contacts(
    db: &Db,
    workspace_id: WorkspaceId,
    ids: &[ContactId],
) -> StoreResult<HashMap<ContactId, Vec<Identity>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT {IDENTITY_COLUMNS} FROM contact_identities WHERE workspace_id = $1 AND contact_id IN ({}) \
         ORDER BY contact_id, id",
        crate::placeholders(2, ids.len())
    );
    let rows: Vec<Identity> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(ids)).await?;
    Ok(group(rows.into_iter().map(|i| (i.contact_id, i)).collect()))
}

/// Adds an identifier to a live contact. `raw` is normalised first (emails lower-cased). Refused
/// when it is already the contact's own primary, or any other live contact's primary or further
/// identifier.
pub async fn add(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    kind: IdentityKind,
    raw: &str,
    verified: bool,
) -> StoreResult<Identity> {
    let value = kind.normalise(raw).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let contact = find(db, workspace_id, contact_id).await?;
    let own_primary = match kind {
        IdentityKind::Email => contact.email.as_deref().map(str::to_lowercase),
        IdentityKind::Phone => contact.phone.clone(),
        IdentityKind::ExternalId => contact.external_id.clone(),
    };
    if own_primary.as_deref() == Some(value.as_str()) {
        return Err(Conflict::IdentityIsPrimary { kind, value }.into());
    }
    let primary_owner = format!(
        "SELECT id FROM contacts WHERE workspace_id = $1 AND {} = $2 AND merged_into_id IS NULL AND id <> $3 \
         ORDER BY id LIMIT 1",
        primary_column(kind)
    );
    let insert = format!(
        "INSERT INTO contact_identities (workspace_id, contact_id, kind, value, verified, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {IDENTITY_COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let owner: Option<ContactId> =
        tx.scalar_optional(Stmt::new(primary_owner).arg(workspace_id).arg(&value).arg(contact_id)).await?;
    if let Some(owner) = owner {
        return Err(taken(kind, &value, owner));
    }
    let owner: Option<ContactId> = tx
        .scalar_optional(
            Stmt::new("SELECT contact_id FROM contact_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3")
                .arg(workspace_id)
                .arg(kind.as_str())
                .arg(&value),
        )
        .await?;
    if let Some(owner) = owner {
        return Err(if owner == contact_id {
            Conflict::IdentityAlreadyHeld { kind, value: value.clone() }.into()
        } else {
            taken(kind, &value, owner)
        });
    }
    let identity: Identity = tx
        .fetch_one(
            Stmt::new(insert).arg(workspace_id).arg(contact_id).arg(kind.as_str()).arg(&value).arg(verified).arg(now()),
        )
        .await
        .map_err(|e| StoreError::unique_as(e, Conflict::IdentityJustTaken { kind, value: value.clone() }))?;
    tx.commit().await?;
    Ok(identity)
}

/// Removes one further identifier of a live contact; returns it.
pub async fn remove(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    identity_id: i64,
) -> StoreResult<Identity> {
    find(db, workspace_id, contact_id).await?;
    let sql = format!(
        "DELETE FROM contact_identities WHERE workspace_id = $1 AND contact_id = $2 AND id = $3 \
         RETURNING {IDENTITY_COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let removed: Identity = tx
        .fetch_optional(Stmt::new(sql).arg(workspace_id).arg(contact_id).arg(identity_id))
        .await?
        .or_not_found("identity")?;
    tx.commit().await?;
    Ok(removed)
}

/// The contact other than `contact_id` holding `value` as a verified further identifier of
/// `kind`, if any: a contact's primary external id may not name another contact.
pub(crate) async fn other_holder(
    db: &Db,
    workspace_id: WorkspaceId,
    kind: IdentityKind,
    value: &str,
    contact_id: Option<ContactId>,
) -> StoreResult<Option<ContactId>> {
    let sql = "SELECT contact_id FROM contact_identities WHERE workspace_id = $1 AND kind = $2 AND value = $3 \
               AND verified";
    let holder: Option<ContactId> =
        db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(kind.as_str()).arg(value)).await?;
    Ok(holder.filter(|holder| Some(*holder) != contact_id))
}
