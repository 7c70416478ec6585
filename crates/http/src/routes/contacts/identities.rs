//! A contact's further identifiers (emails, phones, external ids beyond its primary ones): list,
//! add, remove. Added here by a teammate or an API token, an identifier is verified unless the
//! body says otherwise, so messages from it resolve to the contact.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::contact::IdentityKind;
use rapport_core::ids::ContactId;
use rapport_store::contacts::{identities, Identity};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

/// One further identifier as JSON.
pub fn identity_json(i: &Identity) -> Value {
    json!({
        "type": "contact_identity",
        "id": i.id.to_string(),
        "contact_id": i.contact_id.to_string(),
        "identity_type": i.kind,
        "value": i.value,
        "verified": i.verified,
        "created_at": i.created_at,
    })
}

/// The `identities` list of a contact.
pub fn identities_json(contact_id: ContactId, list: &[Identity]) -> Value {
    json!({
        "type": "list",
        "data": list.iter().map(identity_json).collect::<Vec<_>>(),
        "url": format!("/contacts/{contact_id}/identities"),
        "total_count": list.len(),
        "has_more": false,
    })
}

/// A contact's further identifiers, oldest first.
#[utoipa::path(get, path = "/contacts/{id}/identities", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, description = "list of contact_identity"), (status = 404, description = "not_found")))]
pub async fn list_identities(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let contact_id = parse_id(&id, "contact")?;
    let list = identities::list(&state.db, auth.workspace_id(), contact_id).await?;
    Ok(Json(identities_json(contact_id, &list)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewIdentity {
    /// `email`, `phone` or `external_id`.
    #[schema(required = true, nullable = false, pattern = "^(email|phone|external_id)$")]
    identity_type: Option<String>,
    #[schema(required = true, nullable = false)]
    value: Option<String>,
    /// Defaults to true: a teammate or API token vouches for it. False records it without letting
    /// it resolve messages to the contact.
    verified: Option<bool>,
}

/// Adds an identifier to a contact. 409 when it is the contact's own primary or belongs to another
/// contact; nothing is written then.
#[utoipa::path(post, path = "/contacts/{id}/identities", tag = "Contacts", params(("id" = String, Path)),
    request_body = NewIdentity,
    responses((status = 200, description = "contact_identity"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found"), (status = 409, description = "conflict: taken")))]
pub async fn add_identity(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewIdentity>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact_id = parse_id(&id, "contact")?;
    let kind: IdentityKind = body
        .identity_type
        .ok_or_else(|| AppError::missing("identity_type"))?
        .parse()
        .map_err(|e: rapport_core::contact::IdentifierError| AppError::invalid("identity_type", e.to_string()))?;
    let value = body.value.ok_or_else(|| AppError::missing("value"))?;
    let verified = body.verified.unwrap_or(true);
    let added = identities::add(&state.db, auth.workspace_id(), contact_id, kind, &value, verified).await?;
    Ok(Json(identity_json(&added)))
}

/// Removes one of a contact's further identifiers. Returns it with `deleted: true`.
#[utoipa::path(delete, path = "/contacts/{id}/identities/{identity_id}", tag = "Contacts",
    params(("id" = String, Path), ("identity_id" = String, Path)),
    responses((status = 200, description = "contact_identity"), (status = 404, description = "not_found")))]
pub async fn remove_identity(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, identity_id)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let (contact_id, identity_id) = (parse_id(&id, "contact")?, parse_id(&identity_id, "identity")?);
    let removed = identities::remove(&state.db, auth.workspace_id(), contact_id, identity_id).await?;
    let mut body = identity_json(&removed);
    body["deleted"] = json!(true);
    Ok(Json(body))
}
