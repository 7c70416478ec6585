//! Conversations (Intercom 2.x): start, find, list, search, update and delete here; replies,
//! state changes, assignment and tags in `actions`; folding one conversation into another in
//! `merge`.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::ids::{ConversationId, WorkspaceId};
use rapport_store::conversations::{self, Cursor, Edit, NewConversation, Page, Sort, SortField};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth, BodyId};
use crate::pagination::{self, CursorParams, SearchPagination};
use crate::{AppError, AppResult, AppState};

mod actions;
pub mod json;
mod merge;

use json::{conversation_json, Display};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_conversations, create_conversation))
        .routes(routes!(search_conversations))
        .routes(routes!(find_conversation, update_conversation, delete_conversation))
        .routes(routes!(actions::reply))
        .routes(routes!(actions::parts))
        .routes(routes!(actions::attach_tag))
        .routes(routes!(actions::detach_tag))
        .routes(routes!(actions::tag_part))
        .routes(routes!(actions::untag_part))
        .routes(routes!(actions::run_assignment_rules))
        .routes(routes!(merge::merge_conversation))
}

/// The full view of one conversation, as `find`, `/reply` and `/parts` answer.
pub(crate) async fn full(
    state: &AppState,
    workspace_id: WorkspaceId,
    id: ConversationId,
    display: Display,
) -> AppResult<Json<Value>> {
    let d = conversations::find_detail(&state.db, workspace_id, id).await?;
    let files = format!("{}/api/attachments", state.config.public_url);
    Ok(Json(conversation_json(&d.conversation, &d.related, Some(&d.parts), display, &files)))
}

/// A cursor of our own: `[sort tag, sort key of the page's last row…, page number]`. A cursor
/// issued under another sort is refused.
fn cursor(starting_after: Option<&str>, sort: Sort) -> AppResult<(Option<Cursor>, i64)> {
    match starting_after.filter(|s| !s.is_empty()) {
        None => Ok((None, 1)),
        Some(raw) => {
            let mut key = pagination::decode_cursor(raw, sort.key_len() + 2)?;
            if key[0] != sort.tag() {
                return Err(AppError::invalid("starting_after", "starting_after was issued for another sort"));
            }
            let page = key.pop().unwrap_or(0);
            key.remove(0);
            Ok((Some(Cursor { sort, key }), page + 1))
        }
    }
}

/// The search body's `sort` (Rapport extension): `{"field": updated_at|created_at|waiting_since|
/// priority, "order": desc|asc}`, default `updated_at` `desc`.
fn parse_sort(sort: Option<&Value>) -> AppResult<Sort> {
    let Some(sort) = sort.filter(|s| !s.is_null()) else {
        return Ok(Sort::default());
    };
    let Some(sort) = sort.as_object() else {
        return Err(AppError::invalid("sort", "sort must be an object {field, order}"));
    };
    if let Some(unknown) = sort.keys().find(|k| !["field", "order"].contains(&k.as_str())) {
        return Err(AppError::invalid(
            "sort",
            format!("sort has no member {:?}", unknown.chars().take(64).collect::<String>()),
        ));
    }
    let field = match sort.get("field") {
        None => SortField::default(),
        Some(f) => f.as_str().and_then(SortField::parse).ok_or_else(|| {
            AppError::invalid("sort.field", "sort.field must be updated_at, created_at, waiting_since or priority")
        })?,
    };
    let descending = match sort.get("order").map(|o| o.as_str()) {
        None | Some(Some("desc")) => true,
        Some(Some("asc")) => false,
        Some(_) => return Err(AppError::invalid("sort.order", "sort.order must be desc or asc")),
    };
    Ok(Sort { field, descending })
}

fn list_json(page: &Page, sort: Sort, page_number: i64, per_page: i64) -> Value {
    let next = page.has_more.then(|| page.conversations.last()).flatten().map(|c| {
        let mut key = vec![sort.tag()];
        key.extend(sort.key(c));
        key.push(page_number);
        pagination::encode_cursor(&key)
    });
    let items: Vec<Value> =
        page.conversations.iter().map(|c| conversation_json(c, &page.related, None, Display::Html, "")).collect();
    json!({
        "type": "conversation.list",
        "pages": pagination::cursor_pages(page_number, per_page, page.total_count, next),
        "total_count": page.total_count,
        "conversations": items,
    })
}

/// Conversations, most recently updated first, cursor-paged (`per_page` ≤ 150). Parts are omitted.
#[utoipa::path(get, path = "/conversations", tag = "Conversations",
    params(("per_page" = Option<i64>, Query, minimum = 1, maximum = 150), ("starting_after" = Option<String>, Query, pattern = "^(2(:-?[0-9]{1,18}){3})?$")),
    responses((status = 200, description = "conversation.list")))]
async fn list_conversations(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<CursorParams>,
) -> AppResult<Json<Value>> {
    let per_page = pagination::per_page(params.per_page)?;
    let sort = Sort::default();
    let (after, page_number) = cursor(params.starting_after.as_deref(), sort)?;
    let page = conversations::list(&state.db, auth.workspace_id(), sort, per_page, after.as_ref()).await?;
    Ok(Json(list_json(&page, sort, page_number, per_page)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ConversationSearchRequest)]
struct SearchRequest {
    /// A filter `{field, operator, value}` or a group `{operator: AND|OR, value: [...]}`.
    #[schema(value_type = Object, required = true, nullable = false)]
    query: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pagination: Option<SearchPagination>,
    /// Rapport extension: `{"field": "updated_at"|"created_at"|"waiting_since"|"priority",
    /// "order": "desc"|"asc"}`; default `updated_at` `desc`.
    #[serde(default)]
    #[schema(value_type = Object)]
    sort: Option<Value>,
}

/// Searches conversations with Intercom's query language; answers a `conversation.list`.
#[utoipa::path(post, path = "/conversations/search", tag = "Conversations", request_body = SearchRequest,
    responses((status = 200, description = "conversation.list"), (status = 400, description = "parameter_invalid")))]
async fn search_conversations(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SearchRequest>,
) -> AppResult<Json<Value>> {
    let query = body.query.ok_or_else(|| AppError::missing("query"))?;
    let paging = body.pagination.unwrap_or_default();
    let per_page = pagination::per_page(paging.per_page)?;
    let sort = parse_sort(body.sort.as_ref())?;
    let (after, page_number) = cursor(paging.starting_after.as_deref(), sort)?;
    let page = conversations::search(&state.db, &auth.workspace, &query, sort, per_page, after.as_ref()).await?;
    Ok(Json(list_json(&page, sort, page_number, per_page)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct From {
    /// `user`, `lead` or `contact`.
    #[schema(pattern = "^(user|lead|contact)$")]
    #[serde(rename = "type")]
    kind: String,
    id: BodyId,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ConversationCreateRequest)]
struct CreateRequest {
    #[schema(required = true, nullable = false)]
    from: Option<From>,
    #[schema(required = true, nullable = false, pattern = "\\S")]
    body: Option<String>,
    subject: Option<String>,
    /// Unix seconds (at least 1); default now.
    #[schema(minimum = 1)]
    created_at: Option<i64>,
}

/// A contact starts a conversation. Answers the **message** (Intercom's `user_message`), whose
/// `conversation_id` names the new, open, unassigned conversation.
#[utoipa::path(post, path = "/conversations", tag = "Conversations", request_body = CreateRequest,
    responses((status = 200, description = "user_message"), (status = 404, description = "not_found")))]
async fn create_conversation(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let from = body.from.ok_or_else(|| AppError::missing("from"))?;
    if !["user", "lead", "contact"].contains(&from.kind.as_str()) {
        return Err(AppError::invalid("from.type", "from.type must be user, lead or contact"));
    }
    let text = body.body.filter(|b| !b.trim().is_empty()).ok_or_else(|| AppError::missing("body"))?;
    if body.created_at.is_some_and(|at| at <= 0) {
        return Err(AppError::invalid("created_at", "created_at must be a positive unix timestamp"));
    }
    let contact_id = from.id.parse("contact")?;
    let new = NewConversation {
        contact_id,
        body: &text,
        subject: body.subject.as_deref(),
        created_at: body.created_at,
        options: Default::default(),
    };
    let sent = conversations::create(&state.db, auth.workspace_id(), new).await?;
    let (conversation, message_id) = (sent.conversation, sent.parts[0].id);
    Ok(Json(json!({
        "type": "user_message",
        "id": message_id.to_string(),
        "created_at": conversation.created_at,
        "body": conversation.source_body,
        "message_type": "inapp",
        "conversation_id": conversation.id.to_string(),
    })))
}

#[derive(Deserialize)]
struct FindParams {
    display_as: Option<String>,
}

/// One conversation with its parts (at most 500). `display_as=plaintext` strips HTML from bodies.
#[utoipa::path(get, path = "/conversations/{id}", tag = "Conversations",
    params(("id" = String, Path), ("display_as" = Option<String>, Query, pattern = "^(plaintext|html)$")),
    responses((status = 200, description = "conversation"), (status = 404, description = "not_found")))]
async fn find_conversation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<FindParams>,
) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "conversation")?;
    let display = match params.display_as.as_deref() {
        None | Some("html") => Display::Html,
        Some("plaintext") => Display::Plaintext,
        Some(_) => return Err(AppError::invalid("display_as", "display_as must be plaintext or html")),
    };
    full(&state, auth.workspace_id(), id, display).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ConversationUpdateRequest)]
struct UpdateRequest {
    read: Option<bool>,
    priority: Option<Priority>,
    title: Option<String>,
    #[schema(value_type = Object)]
    custom_attributes: Option<Map<String, Value>>,
}

/// Intercom's priority values.
#[derive(Deserialize, utoipa::ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Priority {
    Priority,
    NotPriority,
}

/// Marks a conversation read, sets its priority, retitles it, or sets custom attributes (merged
/// into the existing).
#[utoipa::path(put, path = "/conversations/{id}", tag = "Conversations", params(("id" = String, Path)),
    request_body = UpdateRequest,
    responses((status = 200, description = "conversation"), (status = 404, description = "not_found")))]
async fn update_conversation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let edit = Edit {
        read: body.read,
        priority: body.priority.map(|p| matches!(p, Priority::Priority)),
        title: body.title,
        custom_attributes: body.custom_attributes,
    };
    conversations::update(&state.db, auth.workspace_id(), id, edit).await?;
    full(&state, auth.workspace_id(), id, Display::Html).await
}

/// Deletes a conversation with its parts.
#[utoipa::path(delete, path = "/conversations/{id}", tag = "Conversations", params(("id" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, description = "not_found")))]
async fn delete_conversation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    conversations::delete(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"id": id.to_string(), "object": "conversation", "deleted": true})))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `pattern` documented for `GET /conversations`' `starting_after` is the default sort's
    /// tag (2) and three numbers: its key (updated_at, id) and the page number.
    #[test]
    fn default_sort_matches_the_documented_cursor_pattern() {
        assert_eq!((Sort::default().tag(), Sort::default().key_len()), (2, 2));
    }
}
