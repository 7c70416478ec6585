//! Merge a lead into a user; archive, unarchive and block.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::contacts::{self, Contact};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{contact_reference, one_contact_json};
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeRequest {
    /// The lead to merge (it disappears).
    from: Option<BodyId>,
    /// The user that survives.
    into: Option<BodyId>,
}

/// Merges a lead into a user: the lead's conversations, events, tags, notes and companies move
/// to the user, and the lead is gone from every read. Returns the user.
#[utoipa::path(post, path = "/contacts/merge", tag = "Contacts", request_body = MergeRequest,
    responses((status = 200, description = "the surviving contact"),
        (status = 400, description = "parameter_invalid: not a lead into a user"), (status = 404, description = "not_found")))]
pub async fn merge_contacts(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<MergeRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let from = body.from.ok_or_else(|| AppError::missing("from"))?.parse("contact")?;
    let into = body.into.ok_or_else(|| AppError::missing("into"))?.parse("contact")?;
    let ws = auth.workspace_id();
    let survivor = contacts::merge(&state.db, ws, from, into).await?;
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
