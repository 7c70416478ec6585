//! Tags: list, find, delete, and `POST /tags` with its four body forms (create or rename,
//! tag/untag companies, tag/untag contacts).
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rapport_core::ids::WorkspaceId;
use rapport_store::companies;
use rapport_store::tags::{self, AppliedTag, Tag, Target};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(list_tags, create_tag)).routes(routes!(find_tag, delete_tag))
}

/// A tag as Intercom shows it on its own.
pub fn tag_json(t: &Tag) -> Value {
    json!({"type": "tag", "id": t.id.to_string(), "name": t.name})
}

/// A tag as applied to something (inside a company, contact or conversation).
pub fn applied_tag_json(t: &AppliedTag) -> Value {
    json!({
        "type": "tag",
        "id": t.id.to_string(),
        "name": t.name,
        "applied_at": t.applied_at,
        "applied_by": t.applied_by_admin_id.map(|id| json!({"type": "admin", "id": id.to_string()})),
    })
}

/// Every tag of the workspace.
#[utoipa::path(get, path = "/tags", tag = "Tags", responses((status = 200, description = "list of tag")))]
async fn list_tags(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let all = tags::list(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": all.iter().map(tag_json).collect::<Vec<_>>()})))
}

/// One tag.
#[utoipa::path(get, path = "/tags/{id}", tag = "Tags", params(("id" = String, Path)),
    responses((status = 200, description = "tag"), (status = 404, description = "tag_not_found")))]
async fn find_tag(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "tag")?;
    Ok(Json(tag_json(&tags::find(&state.db, auth.workspace_id(), id).await?)))
}

/// Deletes a tag: 200 with an empty body. A tag still applied to something is refused with
/// 400 `tag_has_dependent_objects`, as Intercom does.
#[utoipa::path(delete, path = "/tags/{id}", tag = "Tags", params(("id" = String, Path)),
    responses((status = 200, description = "empty body"), (status = 400, description = "tag_has_dependent_objects"),
        (status = 404, description = "tag_not_found")))]
async fn delete_tag(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<StatusCode> {
    auth.require_write()?;
    let id = parse_id(&id, "tag")?;
    // A tag in use is `Conflict::TagInUse`: 400 `tag_has_dependent_objects` (see `conflict_error`).
    tags::delete(&state.db, auth.workspace_id(), id).await?;
    Ok(StatusCode::OK)
}

/// A company to tag or untag, by our `id` or the customer's `company_id`.
#[derive(Deserialize, utoipa::ToSchema)]
struct CompanyItem {
    id: Option<BodyId>,
    company_id: Option<BodyId>,
    #[serde(default)]
    untag: bool,
}

/// A contact to tag or untag, by our `id`.
#[derive(Deserialize, utoipa::ToSchema)]
struct UserItem {
    #[schema(required = true, nullable = false)]
    id: Option<BodyId>,
    #[serde(default)]
    untag: bool,
}

/// One of Intercom's four `POST /tags` bodies: `{name}` (create), `{id, name}` (rename),
/// `{name, companies:[…]}` and `{name, users:[…]}` (tag, or untag items with `"untag": true`).
#[derive(Deserialize, utoipa::ToSchema)]
struct TagRequest {
    #[schema(required = true, nullable = false, min_length = 1)]
    name: Option<String>,
    id: Option<BodyId>,
    companies: Option<Vec<CompanyItem>>,
    users: Option<Vec<UserItem>>,
}

/// Our ids of the items to tag and to untag.
#[derive(Default)]
struct Split {
    apply: Vec<i64>,
    remove: Vec<i64>,
}

impl Split {
    fn push(&mut self, id: i64, untag: bool) {
        if untag {
            self.remove.push(id);
        } else {
            self.apply.push(id);
        }
    }
}

async fn resolve_companies(state: &AppState, ws: WorkspaceId, items: &[CompanyItem]) -> AppResult<Split> {
    let mut split = Split::default();
    for item in items {
        let id = match (&item.id, &item.company_id) {
            (Some(id), _) => companies::find(&state.db, ws, id.parse("company")?).await?.id,
            (None, Some(company_id)) => companies::find_by_company_id(&state.db, ws, &company_id.0).await?.id,
            (None, None) => return Err(AppError::missing("companies[].id")),
        };
        split.push(id.get(), item.untag);
    }
    Ok(split)
}

async fn resolve_users(state: &AppState, ws: WorkspaceId, items: &[UserItem]) -> AppResult<Split> {
    let mut split = Split::default();
    for item in items {
        let id = item.id.as_ref().ok_or_else(|| AppError::missing("users[].id"))?.parse("contact")?;
        if !companies::contact_exists(&state.db, ws, id).await? {
            return Err(crate::error::not_found_for("contact"));
        }
        split.push(id.get(), item.untag);
    }
    Ok(split)
}

/// Creates a tag (or finds it by name), renames it when `id` is given, and tags or untags the
/// listed companies or contacts. Every referenced item is checked before anything is written.
#[utoipa::path(post, path = "/tags", tag = "Tags", request_body = TagRequest,
    responses((status = 200, description = "tag"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "company_not_found / not_found")))]
async fn create_tag(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TagRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let ws = auth.workspace_id();
    let name = body.name.as_deref().ok_or_else(|| AppError::missing("name"))?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "name must not be empty"));
    }
    let companies = resolve_companies(&state, ws, body.companies.as_deref().unwrap_or_default()).await?;
    let users = resolve_users(&state, ws, body.users.as_deref().unwrap_or_default()).await?;
    let renamed = match &body.id {
        Some(id) => Some(tags::find(&state.db, ws, id.parse("tag")?).await?),
        None => None,
    };

    let tag = match renamed {
        Some(tag) if tag.name == name.trim() => tag,
        // A taken name is `Conflict::DuplicateName(Named::Tag)`: 409 "a tag with this name already exists".
        Some(tag) => tags::rename(&state.db, ws, tag.id, name).await?,
        None => tags::find_or_create(&state.db, ws, name).await?,
    };
    let admin = Some(auth.admin.id);
    if !companies.apply.is_empty() || !companies.remove.is_empty() {
        tags::apply_and_remove_many(&state.db, ws, tag.id, Target::Company, &companies.apply, &companies.remove, admin)
            .await?;
    }
    if !users.apply.is_empty() || !users.remove.is_empty() {
        tags::apply_and_remove_many(&state.db, ws, tag.id, Target::Contact, &users.apply, &users.remove, admin).await?;
    }
    Ok(Json(tag_json(&tag)))
}
