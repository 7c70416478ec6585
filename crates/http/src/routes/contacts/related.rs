//! A contact's tags and companies, and the contacts of a company. Attaching contacts to
//! companies belongs to the companies routes; this module only reads the link and renders
//! companies with their `company_json`.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::contacts;
use rapport_store::tags::Target;
use rapport_store::{companies, tags};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{applied_tag_json, contacts_json};
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth, BodyId};
use crate::pagination::{numbered_pages, PageParams};
use crate::routes::companies::company_json;
use crate::{AppError, AppResult, AppState};

/// The tags of a contact.
#[utoipa::path(get, path = "/contacts/{id}/tags", tag = "Contacts", operation_id = "list_contact_tags", params(("id" = String, Path)),
    responses((status = 200, description = "list of tags"), (status = 404, description = "not_found")))]
pub async fn list_tags(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let applied = contacts::tags(&state.db, auth.workspace_id(), parse_id(&id, "contact")?).await?;
    Ok(Json(json!({"type": "list", "data": applied.iter().map(applied_tag_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TagRef {
    /// The tag's id.
    #[schema(required = true, nullable = false)]
    id: Option<BodyId>,
}

/// Tags a contact (idempotent). Returns the applied tag.
#[utoipa::path(post, path = "/contacts/{id}/tags", tag = "Contacts", params(("id" = String, Path)), request_body = TagRef,
    responses((status = 200, description = "tag"), (status = 404, description = "not_found or tag_not_found")))]
pub async fn add_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TagRef>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact_id = parse_id(&id, "contact")?;
    let tag_id = body.id.ok_or_else(|| AppError::missing("id"))?.parse("tag")?;
    let applied = contacts::tag(&state.db, auth.workspace_id(), contact_id, tag_id, Some(auth.admin.id)).await?;
    Ok(Json(applied_tag_json(&applied)))
}

/// Untags a contact. Returns the tag.
#[utoipa::path(delete, path = "/contacts/{id}/tags/{tag_id}", tag = "Contacts",
    params(("id" = String, Path), ("tag_id" = String, Path)),
    responses((status = 200, description = "tag"), (status = 404, description = "not_found or tag_not_found")))]
pub async fn remove_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, tag_id)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let (contact_id, tag_id) = (parse_id(&id, "contact")?, parse_id(&tag_id, "tag")?);
    let tag = contacts::untag(&state.db, auth.workspace_id(), contact_id, tag_id).await?;
    Ok(Json(json!({"type": "tag", "id": tag.id.to_string(), "name": tag.name})))
}

/// The companies a contact belongs to, by page number (a page past the end is empty).
#[utoipa::path(get, path = "/contacts/{id}/companies", tag = "Contacts", operation_id = "list_contact_companies",
    params(("id" = String, Path), ("page" = Option<i64>, Query, minimum = 1), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 150)),
    responses((status = 200, description = "list with companies"), (status = 404, description = "not_found")))]
pub async fn list_companies(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> AppResult<Json<Value>> {
    let (page, per_page) = params.validated()?;
    let ws = auth.workspace_id();
    let contact = contacts::find(&state.db, ws, parse_id(&id, "contact")?).await?;
    // A contact belongs to a handful of companies: fetch them all and cut the page here.
    let all = companies::list_for_contact(&state.db, ws, contact.id).await?;
    let total = all.len() as i64;
    let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX).min(all.len());
    let rows = &all[start..(start + per_page as usize).min(all.len())];
    let ids: Vec<i64> = rows.iter().map(|c| c.id.get()).collect();
    let applied = tags::tags_of(&state.db, ws, Target::Company, &ids).await?;
    let companies: Vec<Value> = rows.iter().map(|c| company_json(c, &auth.workspace.app_id, &applied)).collect();
    Ok(Json(json!({
        "type": "list",
        "companies": companies,
        "total_count": total,
        "pages": numbered_pages(page, per_page, total),
    })))
}

/// The contacts of a company, by page number (a page past the end is empty).
#[utoipa::path(get, path = "/companies/{id}/contacts", tag = "Companies",
    params(("id" = String, Path), ("page" = Option<i64>, Query, minimum = 1), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 150)),
    responses((status = 200, description = "list of contacts"), (status = 404, description = "company_not_found")))]
pub async fn company_contacts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> AppResult<Json<Value>> {
    let (page, per_page) = params.validated()?;
    let ws = auth.workspace_id();
    let (rows, total) = contacts::contacts_of_company(&state.db, ws, parse_id(&id, "company")?, page, per_page).await?;
    let data = contacts_json(&state.db, ws, &auth.workspace.app_id, &rows).await?;
    Ok(Json(json!({
        "type": "list",
        "data": data,
        "total_count": total,
        "pages": numbered_pages(page, per_page, total),
    })))
}
