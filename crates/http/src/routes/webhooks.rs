//! Webhook subscriptions (`/api/webhooks`, a Rapport extension: Intercom manages them in its
//! developer hub). Admins and owners only. A URL must resolve to public addresses unless the
//! operator allows private ones (`serve --allow-private-webhooks`); the delivery worker
//! (`rapport-webhooks`) checks again, with [`resolve_public`], for every request.
use std::net::SocketAddr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use rand::RngCore;
use rapport_core::webhook;
use rapport_store::webhooks::{self, Delivery, Edit, Subscription};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth};
use crate::pagination;
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(find_webhook, update_webhook, delete_webhook))
        .routes(routes!(pause_webhook))
        .routes(routes!(resume_webhook))
        .routes(routes!(list_deliveries))
}

/// Resolves `url`'s host and picks the address to connect to. With `allow_private` false, a host
/// any of whose addresses is loopback, private, link-local, metadata, multicast, CGNAT or
/// otherwise special is refused (see [`webhook::is_forbidden`]), so a name that resolves to both a
/// public and a private address cannot be used either. The caller connects to exactly the
/// returned address, so a second DNS answer cannot swap it (DNS rebinding).
pub async fn resolve_public(url: &url::Url, allow_private: bool) -> Result<SocketAddr, String> {
    let host = url.host_str().ok_or("url has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().ok_or("url has no port")?;
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    let first = *addresses.first().ok_or_else(|| format!("{host} has no address"))?;
    if !allow_private {
        if let Some(bad) = addresses.iter().find(|a| webhook::is_forbidden(a.ip())) {
            return Err(format!("{host} resolves to {}, a private or reserved address", bad.ip()));
        }
    }
    Ok(first)
}

/// Checks a URL's form and where it resolves to; a 400 naming the `url` field otherwise.
async fn check_url(state: &AppState, raw: &str) -> AppResult<()> {
    let url = webhook::parse_url(raw).map_err(|e| AppError::invalid("url", e.to_string()))?;
    resolve_public(&url, state.config.allow_private_webhooks).await.map_err(|e| AppError::invalid("url", e))?;
    Ok(())
}

fn state_of(s: &Subscription) -> &'static str {
    match (s.active, s.paused) {
        (false, _) => "inactive",
        (true, true) => "paused",
        (true, false) => "active",
    }
}

pub fn subscription_json(s: &Subscription) -> Value {
    json!({
        "type": "webhook_subscription",
        "id": s.id.to_string(),
        "url": s.url,
        "topics": s.topics(),
        "active": s.active,
        "paused": s.paused,
        "state": state_of(s),
        "consecutive_failures": s.consecutive_failures,
        "last_error": s.last_error,
        "next_attempt_at": (s.next_attempt_at_ms > 0).then_some(s.next_attempt_at_ms / 1000),
        "cursor_seq": s.cursor_seq,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

fn delivery_json(d: &Delivery) -> Value {
    json!({
        "type": "webhook_delivery",
        "id": d.id.to_string(),
        "notification_id": d.notification_id,
        "event_seq": d.event_seq,
        "topic": d.topic,
        "attempt": d.attempt,
        "status_code": d.status_code,
        "latency_ms": d.latency_ms,
        "error": d.error,
        "created_at": d.created_at,
    })
}

/// Every subscription of the workspace.
#[utoipa::path(get, path = "/webhooks", tag = "Webhooks", responses((status = 200, description = "list of webhook_subscription")))]
async fn list_webhooks(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let all = webhooks::list(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": all.iter().map(subscription_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CreateWebhook {
    #[schema(pattern = "^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?(/[!-~]*)?$")]
    url: String,
    topics: Vec<String>,
    /// 8–256 characters; generated (and shown once, in this answer) when omitted.
    #[schema(min_length = 8, max_length = 256)]
    secret: Option<String>,
}

/// Creates a subscription; it receives events written from now on. The answer (only this one)
/// carries the `secret` that signs deliveries.
#[utoipa::path(post, path = "/webhooks", tag = "Webhooks", request_body = CreateWebhook,
    responses((status = 200, description = "webhook_subscription with its secret"), (status = 400, description = "parameter_invalid")))]
async fn create_webhook(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    check_url(&state, &body.url).await?;
    let secret = body.secret.unwrap_or_else(|| {
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    let created = webhooks::create(&state.db, auth.workspace_id(), &body.url, &body.topics, &secret).await?;
    let mut answer = subscription_json(&created);
    answer["secret"] = json!(created.secret);
    Ok(Json(answer))
}

/// One subscription.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "webhook_subscription"), (status = 404, description = "not_found")))]
async fn find_webhook(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "webhook")?;
    Ok(Json(subscription_json(&webhooks::find(&state.db, auth.workspace_id(), id).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UpdateWebhook {
    url: Option<String>,
    topics: Option<Vec<String>>,
    active: Option<bool>,
}

/// Changes the URL, the topics or whether the subscription is on.
#[utoipa::path(put, path = "/webhooks/{id}", tag = "Webhooks", params(("id" = String, Path)), request_body = UpdateWebhook,
    responses((status = 200, description = "webhook_subscription"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn update_webhook(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateWebhook>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "webhook")?;
    if let Some(url) = &body.url {
        check_url(&state, url).await?;
    }
    let edit = Edit { url: body.url, topics: body.topics, active: body.active };
    Ok(Json(subscription_json(&webhooks::update(&state.db, auth.workspace_id(), id, edit).await?)))
}

/// Deletes a subscription and its delivery log: 200 with an empty body.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "empty body"), (status = 404, description = "not_found")))]
async fn delete_webhook(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<StatusCode> {
    auth.require_manage()?;
    let id = parse_id(&id, "webhook")?;
    webhooks::delete(&state.db, auth.workspace_id(), id).await?;
    Ok(StatusCode::OK)
}

/// Stops delivery; events keep accumulating in the log behind the subscription's cursor.
#[utoipa::path(post, path = "/webhooks/{id}/pause", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "webhook_subscription"), (status = 404, description = "not_found")))]
async fn pause_webhook(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "webhook")?;
    Ok(Json(subscription_json(&webhooks::set_paused(&state.db, auth.workspace_id(), id, true).await?)))
}

/// Resumes delivery (also after an automatic pause) from the first undelivered event.
#[utoipa::path(post, path = "/webhooks/{id}/resume", tag = "Webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "webhook_subscription"), (status = 404, description = "not_found")))]
async fn resume_webhook(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "webhook")?;
    Ok(Json(subscription_json(&webhooks::set_paused(&state.db, auth.workspace_id(), id, false).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// 1–150, default 50.
    #[param(minimum = 1, maximum = 150)]
    per_page: Option<i64>,
    /// A delivery id: return older attempts than it.
    #[param(pattern = "^[0-9]{0,18}$")]
    starting_after: Option<String>,
}

/// The delivery log, newest attempt first: one row per attempt with its status code, latency
/// and error. `pages.next` gives the `starting_after` of the next page.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "Webhooks", params(("id" = String, Path), DeliveryQuery),
    responses((status = 200, description = "list of webhook_delivery"), (status = 404, description = "not_found")))]
async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "webhook")?;
    let per_page = pagination::per_page(query.per_page)?;
    let before = pagination::older_than(query.starting_after.as_deref())?;
    let page = webhooks::deliveries(&state.db, auth.workspace_id(), id, before, per_page).await?;
    let last = page.last().map(|d| d.id);
    Ok(Json(pagination::id_log_list(page.iter().map(delivery_json).collect(), per_page, last)))
}
