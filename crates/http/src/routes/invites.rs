//! Teammate invitations (Rapport extension). Owners and admins invite by email with a role and
//! get a one-time link, `/app/invite/<token>`, valid 7 days. The invitee opens it (no sign-in:
//! the token is the credential), chooses a name and password, and is signed in.
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rapport_store::invites::{self, Invite};
use rapport_store::{sessions, workspaces};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::admins::{admin_json, app_json};
use super::auth::{session_cookie, SESSION_TTL_SECONDS};
use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(show_invite))
        .routes(routes!(accept_invite))
}

fn invite_json(invite: &Invite) -> Value {
    json!({
        "type": "admin.invite",
        "id": invite.id.to_string(),
        "email": invite.email,
        "name": invite.name,
        "role": invite.role,
        "created_at": invite.created_at,
        "expires_at": invite.expires_at,
    })
}

/// An invalid, used or expired link: one answer for all, so links cannot be probed.
fn invite_not_found() -> AppError {
    AppError::not_found("not_found", "This invitation link is invalid, used or expired")
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteRequest {
    #[schema(required = true, nullable = false, min_length = 1, format = Email)]
    email: Option<String>,
    /// The name to show until the invitee chooses their own.
    #[schema(required = true, nullable = false, min_length = 1)]
    name: Option<String>,
    /// `admin`, `agent` or `viewer` (`owner` only when an owner invites).
    #[schema(required = true, nullable = false, pattern = "^(owner|admin|agent|viewer)$")]
    role: Option<String>,
}

/// Invites a teammate. The response's `url` (`/app/invite/<token>`) is shown this once.
#[utoipa::path(post, path = "/admins/invites", tag = "Admins", request_body = InviteRequest,
    responses((status = 200, description = "admin.invite with its url"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden"), (status = 409, description = "conflict (already a teammate)")))]
async fn create_invite(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<InviteRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let email = body.email.as_deref().ok_or_else(|| AppError::missing("email"))?;
    let name = body.name.as_deref().ok_or_else(|| AppError::missing("name"))?;
    let role = super::teammates::required_role(body.role.as_deref())?;
    if !auth.admin.role().may_manage(role) {
        return Err(AppError::forbidden("Only owners can invite an owner"));
    }
    let (invite, token) = invites::create(&state.db, auth.workspace_id(), auth.admin.id, email, name, role).await?;
    let mut body = invite_json(&invite);
    body["url"] = json!(format!("/app/invite/{token}"));
    Ok(Json(body))
}

/// The workspace's pending invitations (not accepted, revoked or expired), without their links.
#[utoipa::path(get, path = "/admins/invites", tag = "Admins",
    responses((status = 200, description = "list of admin.invite"), (status = 403, description = "forbidden")))]
async fn list_invites(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let pending = invites::list_pending(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": pending.iter().map(invite_json).collect::<Vec<_>>()})))
}

/// Withdraws a pending invitation; its link stops working.
#[utoipa::path(delete, path = "/admins/invites/{id}", tag = "Admins", params(("id" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, description = "not_found")))]
async fn revoke_invite(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "invite")?;
    invites::revoke(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"type": "admin.invite", "id": id.to_string(), "deleted": true})))
}

/// What an invitation link is for (no sign-in needed): the email, suggested name, role and
/// workspace name. An unknown, used or expired token is 404.
#[utoipa::path(get, path = "/invites/{token}", tag = "Admins", params(("token" = String, Path)), security(()),
    responses((status = 200, description = "admin.invite"), (status = 404, description = "not_found")))]
async fn show_invite(State(state): State<AppState>, Path(token): Path<String>) -> AppResult<Json<Value>> {
    let (invite, workspace) = invites::find_by_token(&state.db, &token).await.map_err(|_| invite_not_found())?;
    let mut body = invite_json(&invite);
    body["workspace"] = json!({"name": workspace.name, "app_id": workspace.app_id});
    Ok(Json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AcceptRequest {
    #[schema(required = true, nullable = false, min_length = 1)]
    name: Option<String>,
    /// At least 8 characters.
    #[schema(required = true, nullable = false, min_length = 8)]
    password: Option<String>,
}

/// Accepts an invitation: creates the teammate and signs them in (session cookie and
/// `csrf_token`, as `POST /auth/login`). The link works once.
#[utoipa::path(post, path = "/invites/{token}/accept", tag = "Admins", params(("token" = String, Path)),
    request_body = AcceptRequest, security(()),
    responses((status = 200, description = "session"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn accept_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> AppResult<Response> {
    let name = body.name.as_deref().ok_or_else(|| AppError::missing("name"))?;
    let password = body.password.as_deref().ok_or_else(|| AppError::missing("password"))?;
    let admin = invites::accept(&state.db, &token, name, password).await.map_err(|e| match e {
        rapport_store::StoreError::NotFound { .. } => invite_not_found(),
        other => AppError::from(other),
    })?;
    let (secret, csrf) = sessions::create(&state.db, admin.workspace_id, admin.id, SESSION_TTL_SECONDS).await?;
    let workspace = workspaces::find(&state.db, admin.workspace_id).await?;
    let body = json!({
        "type": "session",
        "admin": admin_json(&admin, &[]),
        "app": app_json(&workspace),
        "csrf_token": csrf,
        "workspaces": [{"app_id": workspace.app_id, "name": workspace.name}],
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &secret, SESSION_TTL_SECONDS));
    Ok(response)
}
