//! `POST /conversations/{id}/merge`: folds another conversation into this one (our extension;
//! Intercom has no public endpoint for it). See `rapport_store::conversations::merge`.
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::full;
use super::json::Display;
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ConversationMergeRequest)]
pub struct MergeRequest {
    /// The conversation to fold into this one; it is closed and points here afterwards.
    #[schema(required = true, nullable = false)]
    from_conversation_id: Option<BodyId>,
}

/// Moves every part of `from_conversation_id` into this conversation (shown in time order), with
/// its participants and tags, adds a note saying where they came from, and closes the source with
/// `merged_into` naming this one. Irreversible. Answers this conversation afterwards.
#[utoipa::path(post, path = "/conversations/{id}/merge", tag = "Conversations", params(("id" = String, Path)),
    request_body = MergeRequest,
    responses((status = 200, description = "the target conversation"),
        (status = 400, description = "parameter_invalid: into itself, or either one already merged"),
        (status = 404, description = "not_found")))]
pub(super) async fn merge_conversation(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let into = parse_id(&id, "conversation")?;
    let from =
        body.from_conversation_id.ok_or_else(|| AppError::missing("from_conversation_id"))?.parse("conversation")?;
    let ws = auth.workspace_id();
    rapport_store::conversations::merge(&state.db, ws, from, into, auth.admin.id).await?;
    full(&state, ws, into, Display::Html).await
}
