//! The email channel's settings and the received emails behind conversation parts.
//! `GET/PUT /email_settings` (admins and owners change it) lists the workspace's support
//! addresses; `…/parts/{part_id}/email` shows a received message's headers and SPF/DKIM/DMARC
//! results, and `…/email/raw` downloads it exactly as received, as a file a browser never
//! renders (`message/rfc822`, attachment, `nosniff`, `sandbox`).
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rapport_core::ids::{ConversationId, WorkspaceId};
use rapport_store::email::inbound::{self, EmailDetails};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(show_email_settings, update_email_settings))
        .routes(routes!(show_part_email))
        .routes(routes!(download_part_email))
}

async fn settings_json(state: &AppState, workspace_id: WorkspaceId) -> AppResult<Value> {
    let addresses = inbound::support_addresses(&state.db, workspace_id).await?;
    Ok(json!({"type": "email_settings", "support_addresses": addresses}))
}

/// The workspace's support addresses: mail sent to them (forwarded to Rapport's SMTP listener)
/// becomes conversations, like mail to `<app_id>@<inbound domain>`.
#[utoipa::path(get, path = "/email_settings", tag = "Email", responses((status = 200, description = "email_settings")))]
async fn show_email_settings(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    Ok(Json(settings_json(&state, auth.workspace_id()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateEmailSettings {
    /// The whole list (at most 20), replacing the current one; each address belongs to one
    /// workspace only.
    #[schema(max_items = 20)]
    support_addresses: Vec<String>,
}

/// Replaces the support addresses (admins and owners).
#[utoipa::path(put, path = "/email_settings", tag = "Email", request_body = UpdateEmailSettings,
    responses((status = 200, description = "email_settings"), (status = 400, description = "parameter_invalid"),
        (status = 409, description = "conflict: an address of another workspace")))]
async fn update_email_settings(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<UpdateEmailSettings>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    inbound::set_support_addresses(&state.db, auth.workspace_id(), &body.support_addresses).await?;
    Ok(Json(settings_json(&state, auth.workspace_id()).await?))
}

fn email_json(e: &EmailDetails, conversation_id: ConversationId, part_id: i64) -> Value {
    let auth_results: Value = serde_json::from_str(&e.auth_results).unwrap_or_else(|_| json!({}));
    let to: Value = serde_json::from_str(&e.to_addresses).unwrap_or_else(|_| json!([]));
    json!({
        "type": "email",
        "id": e.id.to_string(),
        "conversation_id": conversation_id.to_string(),
        "part_id": part_id.to_string(),
        "direction": e.direction,
        "message_id": e.message_id,
        "in_reply_to": e.in_reply_to,
        "references": e.reference_ids.split_whitespace().collect::<Vec<_>>(),
        "from": e.from_address,
        "to": to,
        "subject": e.subject,
        "automatic": auth_results.get("automatic").cloned().unwrap_or(Value::Null),
        "auth_results": auth_results,
        "delivery_state": e.delivery_state,
        "size": e.size,
        "raw_url": format!("/api/conversations/{conversation_id}/parts/{part_id}/email/raw"),
        "created_at": e.created_at,
    })
}

fn ids(conversation_id: &str, part_id: &str) -> AppResult<(ConversationId, i64)> {
    Ok((parse_id(conversation_id, "conversation")?, parse_id(part_id, "conversation_part")?))
}

/// The received email a part was made from: its headers, SPF/DKIM/DMARC results and whether
/// a machine sent it (`automatic`: `auto_reply`, `bounce`, `bulk`, `null_sender` or null).
#[utoipa::path(get, path = "/conversations/{id}/parts/{part_id}/email", tag = "Email",
    params(("id" = String, Path), ("part_id" = String, Path)),
    responses((status = 200, description = "email"), (status = 404, description = "not_found")))]
async fn show_part_email(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, part_id)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    let (id, part_id) = ids(&id, &part_id)?;
    let details = inbound::details_of_part(&state.db, auth.workspace_id(), id, part_id).await?;
    Ok(Json(email_json(&details, id, part_id)))
}

/// The email exactly as received, as a `message/rfc822` download.
#[utoipa::path(get, path = "/conversations/{id}/parts/{part_id}/email/raw", tag = "Email",
    params(("id" = String, Path), ("part_id" = String, Path)),
    responses((status = 200, description = "message/rfc822"), (status = 404, description = "not_found")))]
async fn download_part_email(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, part_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let (id, part_id) = ids(&id, &part_id)?;
    let raw = inbound::raw_of_part(&state.db, auth.workspace_id(), id, part_id).await?;
    let mut response = (StatusCode::OK, raw).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"conversation-{id}-part-{part_id}.eml\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
