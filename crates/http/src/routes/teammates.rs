//! Managing teammates (Rapport extensions): change a role, deactivate, reactivate. Owners and
//! admins only; only owners touch owners; nobody deactivates themselves; the last owner stays one.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::admin::AdminRole;
use rapport_store::admins::{self, Admin};
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::routes;

use super::admins::admin_json;
use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(change_role)).routes(routes!(deactivate)).routes(routes!(reactivate))
}

/// The teammate `id`, once the caller is allowed to manage them.
async fn managed_teammate(state: &AppState, auth: &Auth, id: &str) -> AppResult<Admin> {
    auth.require_manage()?;
    let id = parse_id(id, "admin")?;
    let target = admins::find(&state.db, auth.workspace_id(), id).await?;
    if !auth.admin.role().may_manage(target.role()) {
        return Err(AppError::forbidden("Only owners can change an owner"));
    }
    Ok(target)
}

async fn respond(state: &AppState, admin: &Admin) -> AppResult<Json<Value>> {
    let team_ids = admins::team_ids(&state.db, admin.workspace_id, admin.id).await?;
    Ok(Json(admin_json(admin, &team_ids)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RoleRequest {
    /// `owner`, `admin`, `agent` or `viewer`.
    role: Option<String>,
}

/// The `role` of a request body: required, and one of owner, admin, agent, viewer.
pub(super) fn required_role(role: Option<&str>) -> AppResult<AdminRole> {
    role.ok_or_else(|| AppError::missing("role"))?
        .parse()
        .map_err(|e: rapport_core::admin::UnknownRole| AppError::invalid("role", e.to_string()))
}

/// Changes a teammate's role. Making someone owner, or changing an owner, needs the owner role;
/// demoting the last active owner is `400 parameter_invalid`.
#[utoipa::path(put, path = "/admins/{id}", tag = "Admins", params(("id" = String, Path)), request_body = RoleRequest,
    responses((status = 200, description = "admin"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden"), (status = 404, description = "admin_not_found")))]
async fn change_role(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleRequest>,
) -> AppResult<Json<Value>> {
    let target = managed_teammate(&state, &auth, &id).await?;
    let role = required_role(body.role.as_deref())?;
    if !auth.admin.role().may_manage(role) {
        return Err(AppError::forbidden("Only owners can make someone an owner"));
    }
    let admin = admins::set_role(&state.db, auth.workspace_id(), target.id, role)
        .await
        .map_err(|e| AppError::from(e).with_field("role"))?;
    respond(&state, &admin).await
}

/// Deactivates a teammate: their sessions and API tokens stop working at once, they cannot sign
/// in, their open `/ws` sockets are closed (code 4401), and conversations can no longer be
/// assigned to them. Idempotent.
#[utoipa::path(post, path = "/admins/{id}/deactivate", tag = "Admins", params(("id" = String, Path)),
    responses((status = 200, description = "admin"), (status = 400, description = "parameter_invalid (yourself)"),
        (status = 403, description = "forbidden"), (status = 404, description = "admin_not_found")))]
async fn deactivate(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let target = managed_teammate(&state, &auth, &id).await?;
    if target.id == auth.admin.id {
        return Err(AppError::invalid("id", "You cannot deactivate yourself"));
    }
    let admin = admins::deactivate(&state.db, auth.workspace_id(), target.id).await?;
    // Their sessions and tokens are dead already; this closes sockets they opened before.
    let signal =
        rapport_bus::Signal::AdminDeactivated { workspace_id: admin.workspace_id.get(), admin_id: admin.id.get() };
    state.live.bus().publish(signal).await;
    respond(&state, &admin).await
}

/// Lets a deactivated teammate sign in again (with their old password; old tokens stay revoked).
#[utoipa::path(post, path = "/admins/{id}/reactivate", tag = "Admins", params(("id" = String, Path)),
    responses((status = 200, description = "admin"), (status = 403, description = "forbidden"),
        (status = 404, description = "admin_not_found")))]
async fn reactivate(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let target = managed_teammate(&state, &auth, &id).await?;
    let admin = admins::reactivate(&state.db, auth.workspace_id(), target.id).await?;
    respond(&state, &admin).await
}
