//! API tokens, a Rapport extension for the settings screen: list (never the secret), create (the
//! secret is in that one response only) and revoke (the next call with it is 401). Owners and
//! admins only.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::tokens::{self, ApiToken};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(list_tokens, create_token)).routes(routes!(revoke_token))
}

fn token_json(t: &ApiToken) -> Value {
    json!({
        "type": "api_token",
        "id": t.id.to_string(),
        "name": t.name,
        "admin_id": t.admin_id.to_string(),
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
    })
}

/// The workspace's working tokens, without their secrets.
#[utoipa::path(get, path = "/tokens", tag = "API tokens", responses((status = 200, description = "list of api_token"),
    (status = 403, description = "forbidden")))]
async fn list_tokens(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let all = tokens::list_active(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": all.iter().map(token_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateTokenRequest {
    /// 1 to 200 characters, to recognise the token later.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 200)]
    name: Option<String>,
}

/// Creates a token acting as the calling admin. `token` (the secret) is in this response only.
#[utoipa::path(post, path = "/tokens", tag = "API tokens", request_body = CreateTokenRequest,
    responses((status = 200, description = "api_token with its secret"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden")))]
async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let name = body.name.as_deref().ok_or_else(|| AppError::missing("name"))?;
    let (token, secret) = tokens::create(&state.db, auth.workspace_id(), auth.admin.id, name)
        .await
        .map_err(|e| AppError::from(e).with_field("name"))?;
    let mut json = token_json(&token);
    json["token"] = json!(secret);
    Ok(Json(json))
}

/// Revokes a token at once: the next request made with it is 401.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "API tokens", params(("id" = String, Path)),
    responses((status = 200, description = "revoked"), (status = 404, description = "not_found")))]
async fn revoke_token(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "token")?;
    let token = tokens::revoke(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"type": "api_token", "id": token.id.to_string(), "deleted": true})))
}
