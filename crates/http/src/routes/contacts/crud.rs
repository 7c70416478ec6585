//! Create, read, update, delete and list contacts.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::contacts;
use serde_json::{json, Value};

use super::{contact_json, contact_reference, cursor_list_json, one_contact_json, ContactRequest};
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth};
use crate::pagination::{decode_cursor, per_page, CursorParams};
use crate::{AppError, AppResult, AppState};

/// Creates a user or a lead. At least one of `email`, `external_id` or `role` is required.
#[utoipa::path(post, path = "/contacts", tag = "Contacts", request_body = ContactRequest,
    responses((status = 200, description = "contact"), (status = 400, description = "parameter_invalid"),
        (status = 409, description = "conflict: the external_id is taken")))]
pub async fn create_contact(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ContactRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    if !body.identifies() {
        return Err(AppError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "one of email, external_id or role is required",
        ));
    }
    let ws = auth.workspace_id();
    let contact = contacts::create(&state.db, ws, body.fields()?).await?;
    // Nothing is linked to a contact yet as it is created: no reads for its tags, companies,
    // notes or further identities.
    Ok(Json(contact_json(&contact, &auth.workspace.app_id, &contacts::Relations::default())))
}

/// One contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, description = "contact"), (status = 404, description = "not_found")))]
pub async fn find_contact(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let ws = auth.workspace_id();
    let contact = contacts::find(&state.db, ws, parse_id(&id, "contact")?).await?;
    Ok(Json(one_contact_json(&state.db, ws, &auth.workspace.app_id, &contact).await?))
}

/// The contact with this `external_id` (the customer's own user id).
#[utoipa::path(get, path = "/contacts/find_by_external_id/{external_id}", tag = "Contacts",
    params(("external_id" = String, Path)),
    responses((status = 200, description = "contact"), (status = 404, description = "not_found")))]
pub async fn find_by_external_id(
    State(state): State<AppState>,
    auth: Auth,
    Path(external_id): Path<String>,
) -> AppResult<Json<Value>> {
    let ws = auth.workspace_id();
    let contact = contacts::find_by_external_id(&state.db, ws, &external_id).await?;
    Ok(Json(one_contact_json(&state.db, ws, &auth.workspace.app_id, &contact).await?))
}

/// Updates the given fields of a contact; `null` clears a field, custom attributes are merged.
#[utoipa::path(put, path = "/contacts/{id}", tag = "Contacts", params(("id" = String, Path)),
    request_body = ContactRequest,
    responses((status = 200, description = "contact"), (status = 404, description = "not_found"),
        (status = 409, description = "conflict: the external_id is taken")))]
pub async fn update_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let ws = auth.workspace_id();
    let id = parse_id(&id, "contact")?;
    let contact = contacts::update(&state.db, ws, id, body.fields()?).await?;
    Ok(Json(one_contact_json(&state.db, ws, &auth.workspace.app_id, &contact).await?))
}

/// Deletes a contact with its notes, tags, company links and events. A contact that takes part
/// in conversations cannot be deleted (409); archive it instead.
#[utoipa::path(delete, path = "/contacts/{id}", tag = "Contacts", params(("id" = String, Path)),
    responses((status = 200, description = "contact reference with deleted: true"),
        (status = 404, description = "not_found"), (status = 409, description = "conflict")))]
pub async fn delete_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact = contacts::delete(&state.db, auth.workspace_id(), parse_id(&id, "contact")?).await?;
    let mut body = contact_reference(&contact);
    body["deleted"] = json!(true);
    Ok(Json(body))
}

/// Parses `starting_after` (absent or empty means the first page).
pub(super) fn cursor(starting_after: Option<&str>) -> AppResult<Option<i64>> {
    match starting_after {
        None | Some("") => Ok(None),
        Some(raw) => Ok(Some(decode_cursor(raw, 1)?[0])),
    }
}

/// Contacts in creation order, by cursor (`pages.next.starting_after`; no `next` on the last page).
#[utoipa::path(get, path = "/contacts", tag = "Contacts",
    params(("per_page" = Option<i64>, Query, minimum = 1, maximum = 150, description = "1 to 150, default 50"),
        ("starting_after" = Option<String>, Query, pattern = "^(-?[0-9]{1,18})?$",
            description = "pages.next.starting_after of the previous page")),
    responses((status = 200, description = "list of contacts"), (status = 400, description = "parameter_invalid")))]
pub async fn list_contacts(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<CursorParams>,
) -> AppResult<Json<Value>> {
    let per_page = per_page(params.per_page)?;
    let after = cursor(params.starting_after.as_deref())?;
    let ws = auth.workspace_id();
    let page = contacts::list(&state.db, ws, per_page, after).await?;
    Ok(Json(cursor_list_json(&state.db, ws, &auth.workspace.app_id, &page, per_page).await?))
}
