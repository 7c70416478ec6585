//! `POST /contacts/search`: the Intercom query DSL over contacts, cursor-paged like the list.
use axum::extract::State;
use axum::Json;
use rapport_store::contacts;
use serde::Deserialize;
use serde_json::Value;

use super::crud::cursor;
use super::cursor_list_json;
use crate::extract::{ApiJson, Auth};
use crate::pagination::{per_page, SearchPagination};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ContactSearchRequest)]
pub struct SearchRequest {
    /// A filter `{field, operator, value}` or a group `{operator: "AND"|"OR", value: [...]}`.
    #[schema(value_type = Object, required = true, nullable = false)]
    query: Option<Value>,
    /// `{per_page, starting_after}`.
    #[schema(value_type = Option<Object>)]
    pagination: Option<SearchPagination>,
}

/// Searches live contacts (merged leads never match). Same envelope as `GET /contacts`.
#[utoipa::path(post, path = "/contacts/search", tag = "Contacts", request_body = SearchRequest,
    responses((status = 200, description = "list of contacts"), (status = 400, description = "parameter_invalid")))]
pub async fn search_contacts(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SearchRequest>,
) -> AppResult<Json<Value>> {
    let query = body.query.ok_or_else(|| AppError::missing("query"))?;
    let pagination = body.pagination.unwrap_or_default();
    let per_page = per_page(pagination.per_page)?;
    let after = cursor(pagination.starting_after.as_deref())?;
    let ws = auth.workspace_id();
    let page = contacts::search(&state.db, &auth.workspace, &query, per_page, after).await?;
    Ok(Json(cursor_list_json(&state.db, ws, &auth.workspace.app_id, &page, per_page).await?))
}
