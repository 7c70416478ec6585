//! GitHub issue links: `POST/GET /api/conversations/{id}/github_links` (Rapport extension) and
//! the inbound `POST /github/webhook`, which verifies `X-Hub-Signature-256` with the configured
//! secret and, when an issue is closed, reopens every conversation linked to it with a note.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use rapport_core::webhook::github_signature_valid;
use rapport_store::conversations::{self, Change, SendOptions};
use rapport_store::github::{self, IssueLink};
use rapport_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(list_links, create_link))
}

/// The inbound GitHub webhook (outside `/api`: GitHub authenticates by signature).
pub fn inbound() -> axum::Router<AppState> {
    axum::Router::new().route("/github/webhook", axum::routing::post(github_webhook))
}

fn link_json(l: &IssueLink) -> Value {
    json!({"type": "github_issue_link", "id": l.id.to_string(), "conversation_id": l.conversation_id.to_string(),
        "repository": l.repository, "issue_number": l.issue_number, "url": l.url, "created_at": l.created_at})
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LinkRequest {
    /// `https://github.com/owner/repo/issues/N`
    url: String,
}

/// Links the conversation to a GitHub issue.
#[utoipa::path(post, path = "/conversations/{id}/github_links", tag = "Conversations", params(("id" = String, Path)),
    request_body = LinkRequest, responses((status = 200, description = "github_issue_link"),
        (status = 400, description = "parameter_invalid"), (status = 404, description = "not_found")))]
async fn create_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LinkRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let link = github::link(&state.db, auth.workspace_id(), id, auth.admin.id, &body.url).await?;
    Ok(Json(link_json(&link)))
}

/// The GitHub issues the conversation is linked to.
#[utoipa::path(get, path = "/conversations/{id}/github_links", tag = "Conversations", params(("id" = String, Path)),
    responses((status = 200, description = "list of github_issue_link"), (status = 404, description = "not_found")))]
async fn list_links(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "conversation")?;
    let links = github::links(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"type": "list", "data": links.iter().map(link_json).collect::<Vec<_>>()})))
}

/// GitHub's `issues` event: on `closed`, every linked conversation is reopened (if it was not
/// open) and gets a note, written as the teammate who linked it. Other events are acknowledged
/// and ignored. A missing or wrong signature is 401 and changes nothing.
async fn github_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> AppResult<Json<Value>> {
    let Some(secret) = state.config.github_webhook_secret.as_deref() else {
        return Err(AppError::not_found("not_found", "The GitHub webhook is not configured"));
    };
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !github_signature_valid(secret, &body, signature) {
        return Err(AppError::unauthorized());
    }
    let event = headers.get("x-github-event").and_then(|v| v.to_str().ok()).unwrap_or("");
    let payload: Value = serde_json::from_slice(&body).map_err(|_| AppError::bad_request("body is not JSON"))?;
    if let Some(field) = rapport_core::text::nul_path(&payload) {
        return Err(AppError::invalid(&field, rapport_core::text::nul_message(&field)));
    }
    if event != "issues" || payload["action"] != "closed" {
        return Ok(Json(json!({"reopened": 0})));
    }
    let repository =
        payload["repository"]["full_name"].as_str().ok_or_else(|| AppError::missing("repository.full_name"))?;
    let number = payload["issue"]["number"].as_i64().ok_or_else(|| AppError::missing("issue.number"))?;
    let mut reopened = 0;
    for link in github::linked_to(&state.db, repository, number).await? {
        let (ws, id, admin_id) = (link.workspace_id, link.conversation_id, link.admin_id);
        match conversations::send(&state.db, ws, id, Change::Open { admin_id }, SendOptions::default()).await {
            Ok(_) => reopened += 1,
            // Already open: the note alone reminds the team.
            Err(StoreError::Invalid(_)) => {}
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
        let note = format!(
            "<p>GitHub issue <a href=\"{}\">{}#{}</a> was closed: tell the customer.</p>",
            link.url, link.repository, link.issue_number
        );
        let change = Change::AdminNote { admin_id, body: &note };
        conversations::send(&state.db, ws, id, change, SendOptions::default()).await?;
    }
    Ok(Json(json!({"reopened": reopened})))
}
