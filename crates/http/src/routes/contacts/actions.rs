//! Merge a lead or a user into a user (with a dry-run preview); archive, unarchive and block.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::contacts::{self, Contact};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{contact_reference, one_contact_json};
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ContactMergeRequest)]
pub struct MergeRequest {
    /// The lead or user to merge (it disappears).
    #[schema(required = true, nullable = false)]
    from: Option<BodyId>,
    /// The user that survives.
    #[schema(required = true, nullable = false)]
    into: Option<BodyId>,
    /// Our extension: when true, nothing is written and the answer is a `contact_merge_preview`
    /// listing what would move and which values would be dropped.
    dry_run: Option<bool>,
}

/// Merges a lead (Intercom) or a user (our extension) into a user: conversations, events, tags,
/// notes, companies and identifiers move to the user; the survivor's non-empty values win and
/// its blanks are filled; the merged contact's email, phone and external id become the
/// survivor's further identifiers. Irreversible. Returns the user, or the preview with `dry_run`.
#[utoipa::path(post, path = "/contacts/merge", tag = "Contacts", request_body = MergeRequest,
    responses((status = 200, description = "the surviving contact, or a contact_merge_preview"),
        (status = 400, description = "parameter_invalid: into itself, into a lead, or an already merged contact"),
        (status = 404, description = "not_found")))]
pub async fn merge_contacts(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<MergeRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let from = body.from.ok_or_else(|| AppError::missing("from"))?.parse("contact")?;
    let into = body.into.ok_or_else(|| AppError::missing("into"))?.parse("contact")?;
    let ws = auth.workspace_id();
    if body.dry_run.unwrap_or(false) {
        let preview = contacts::preview_merge(&state.db, ws, from, into).await?;
        let survivor = &preview.plan;
        return Ok(Json(json!({
            "type": "contact_merge_preview",
            "from": contact_reference(&preview.from),
            "into": contact_reference(&preview.into),
            "result": {
                "name": survivor.name,
                "email": survivor.email,
                "phone": survivor.phone,
                "external_id": survivor.external_id,
                "avatar": survivor.avatar,
                "custom_attributes": Value::Object(survivor.custom_attributes.clone()),
                "added_identities": survivor.carried.iter().map(|c| json!({
                    "identity_type": c.kind.as_str(), "value": c.value, "verified": c.verified,
                })).collect::<Vec<_>>(),
            },
            "conflicts": survivor.conflicts,
            "moves": preview.counts,
        })));
    }
    let survivor = contacts::merge_by(&state.db, ws, from, into, Some(auth.admin.id)).await?;
    Ok(Json(one_contact_json(&state.db, ws, &auth.workspace.app_id, &survivor).await?))
}

fn flagged(contact: &Contact, flag: &str, value: bool) -> Json<Value> {
    let mut body = contact_reference(contact);
    body[flag] = json!(value);
    Json(body)
}

/// Archives a contact.
#[utoipa::path(post, path = "/contacts/{id}/archive", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, description = "contact reference with archived: true"), (status = 404, description = "not_found")))]
pub async fn archive_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact = contacts::set_archived(&state.db, auth.workspace_id(), parse_id(&id, "contact")?, true).await?;
    Ok(flagged(&contact, "archived", true))
}

/// Unarchives a contact.
#[utoipa::path(post, path = "/contacts/{id}/unarchive", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, description = "contact reference with archived: false"), (status = 404, description = "not_found")))]
pub async fn unarchive_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact = contacts::set_archived(&state.db, auth.workspace_id(), parse_id(&id, "contact")?, false).await?;
    Ok(flagged(&contact, "archived", false))
}

/// Blocks a contact.
#[utoipa::path(post, path = "/contacts/{id}/block", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, description = "contact reference with blocked: true"), (status = 404, description = "not_found")))]
pub async fn block_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact = contacts::block(&state.db, auth.workspace_id(), parse_id(&id, "contact")?).await?;
    Ok(flagged(&contact, "blocked", true))
}
