//! Saved replies (macros), a Rapport extension: CRUD, and rendering one for a conversation with
//! the sandboxed template engine of `rapport_core::template`. Everyone reads; agents and up write.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::ids::ConversationId;
use rapport_core::template::{Output, Template};
use rapport_store::saved_replies::{self, SavedReply, SavedReplyFields};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_saved_replies, create_saved_reply))
        .routes(routes!(find_saved_reply, update_saved_reply, delete_saved_reply))
        .routes(routes!(render_saved_reply))
        .routes(routes!(preview_saved_reply))
}

pub fn saved_reply_json(r: &SavedReply) -> Value {
    json!({
        "type": "saved_reply",
        "id": r.id.to_string(),
        "name": r.name,
        "body": r.body,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    })
}

/// Every saved reply of the workspace, by name.
#[utoipa::path(get, path = "/saved_replies", tag = "Saved replies", responses((status = 200, description = "list of saved_reply")))]
async fn list_saved_replies(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let all = saved_replies::list(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": all.iter().map(saved_reply_json).collect::<Vec<_>>()})))
}

/// One saved reply.
#[utoipa::path(get, path = "/saved_replies/{id}", tag = "Saved replies", params(("id" = String, Path)),
    responses((status = 200, description = "saved_reply"), (status = 404, description = "not_found")))]
async fn find_saved_reply(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "saved_reply")?;
    Ok(Json(saved_reply_json(&saved_replies::find(&state.db, auth.workspace_id(), id).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SavedReplyRequest {
    /// 1 to 200 characters, unique in the workspace.
    #[schema(max_length = 200, pattern = "\\S")]
    name: Option<String>,
    /// Text with `{{contact.first_name}}`-style variables; an unknown variable is refused.
    #[schema(pattern = "\\S")]
    body: Option<String>,
}

impl SavedReplyRequest {
    fn fields(&self) -> SavedReplyFields<'_> {
        SavedReplyFields { name: self.name.as_deref(), body: self.body.as_deref() }
    }
}

/// Creates a saved reply (agents and up). The body is parsed now: an unknown variable or an
/// unterminated `{{` is `400 parameter_invalid` naming it.
#[utoipa::path(post, path = "/saved_replies", tag = "Saved replies", request_body = SavedReplyRequest,
    responses((status = 200, description = "saved_reply"), (status = 400, description = "parameter_invalid"),
        (status = 409, description = "conflict")))]
async fn create_saved_reply(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SavedReplyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    if body.name.is_none() {
        return Err(AppError::missing("name"));
    }
    if body.body.is_none() {
        return Err(AppError::missing("body"));
    }
    let reply = saved_replies::create(&state.db, auth.workspace_id(), body.fields()).await?;
    Ok(Json(saved_reply_json(&reply)))
}

/// Changes a saved reply's name or body (agents and up).
#[utoipa::path(put, path = "/saved_replies/{id}", tag = "Saved replies", params(("id" = String, Path)),
    request_body = SavedReplyRequest,
    responses((status = 200, description = "saved_reply"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn update_saved_reply(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SavedReplyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "saved_reply")?;
    let reply = saved_replies::update(&state.db, auth.workspace_id(), id, body.fields()).await?;
    Ok(Json(saved_reply_json(&reply)))
}

/// Deletes a saved reply (agents and up).
#[utoipa::path(delete, path = "/saved_replies/{id}", tag = "Saved replies", params(("id" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, description = "not_found")))]
async fn delete_saved_reply(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "saved_reply")?;
    saved_replies::delete(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"type": "saved_reply", "id": id.to_string(), "deleted": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RenderRequest {
    #[schema(required = true, nullable = false)]
    conversation_id: Option<BodyId>,
    /// `text` (default: values inserted verbatim, for a plain-text composer) or `html` (values
    /// HTML-escaped, for an HTML body).
    #[schema(pattern = "^(text|html)$")]
    format: Option<String>,
    /// Preview only: the template text to render (an unsaved edit).
    #[serde(default)]
    body: Option<String>,
}

impl RenderRequest {
    fn output(&self) -> AppResult<Output> {
        match self.format.as_deref() {
            None | Some("text") => Ok(Output::Text),
            Some("html") => Ok(Output::Html),
            Some(_) => Err(AppError::invalid("format", "format must be text or html")),
        }
    }

    fn conversation_id(&self) -> AppResult<ConversationId> {
        self.conversation_id.as_ref().ok_or_else(|| AppError::missing("conversation_id"))?.parse("conversation")
    }
}

/// Fills `template` for the conversation as the calling admin.
async fn render(state: &AppState, auth: &Auth, template: &Template, request: &RenderRequest) -> AppResult<String> {
    let output = request.output()?;
    let conversation_id = request.conversation_id()?;
    let values = saved_replies::template_values(&state.db, auth.workspace_id(), conversation_id, &auth.admin).await?;
    Ok(template.render(&values, output))
}

/// Renders a saved reply for a conversation: its first contact (and that contact's first
/// company), the calling admin, and the conversation's id fill the variables. Missing values use
/// the variable's fallback, or nothing. Reading only, so viewers may render too.
#[utoipa::path(post, path = "/saved_replies/{id}/render", tag = "Saved replies", params(("id" = String, Path)),
    request_body = RenderRequest,
    responses((status = 200, description = "saved_reply.rendered"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn render_saved_reply(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenderRequest>,
) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "saved_reply")?;
    if body.body.is_some() {
        return Err(AppError::invalid("body", "body is for POST /saved_replies/preview"));
    }
    let reply = saved_replies::find(&state.db, auth.workspace_id(), id).await?;
    let rendered = render(&state, &auth, &reply.template()?, &body).await?;
    Ok(Json(json!({"type": "saved_reply.rendered", "id": reply.id.to_string(), "body": rendered})))
}

/// Renders template text that is not saved yet (the settings editor's live preview) exactly as
/// `render` would once saved: `{body, conversation_id, format?}`. A body the engine refuses is
/// `400 parameter_invalid` naming the problem, as create would answer. Any role.
#[utoipa::path(post, path = "/saved_replies/preview", tag = "Saved replies", request_body = RenderRequest,
    responses((status = 200, description = "saved_reply.rendered (without id)"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found (conversation)")))]
async fn preview_saved_reply(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<RenderRequest>,
) -> AppResult<Json<Value>> {
    let source = body.body.as_deref().ok_or_else(|| AppError::missing("body"))?;
    let template = Template::parse(source).map_err(|e| AppError::invalid("body", format!("body: {e}")))?;
    let rendered = render(&state, &auth, &template, &body).await?;
    Ok(Json(json!({"type": "saved_reply.rendered", "body": rendered})))
}
