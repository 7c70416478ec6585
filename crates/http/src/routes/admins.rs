//! Admins (teammates): `/me`, list, find, away mode.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::ids::TeamId;
use rapport_store::admins::{self, Admin};
use rapport_store::workspaces::Workspace;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_admins))
        .routes(routes!(find_admin))
        .routes(routes!(set_away))
}

/// The `admin` object (Intercom shape; `role` is a Rapport addition).
pub fn admin_json(admin: &Admin, team_ids: &[TeamId]) -> Value {
    json!({
        "type": "admin",
        "id": admin.id.to_string(),
        "name": admin.name,
        "email": admin.email,
        "job_title": admin.job_title,
        "away_mode_enabled": admin.away_mode_enabled,
        "away_mode_reassign": admin.away_mode_reassign,
        "away_status_reason_id": admin.away_status_reason_id,
        "has_inbox_seat": admin.active,
        "team_ids": team_ids,
        "avatar": null,
        "role": admin.role,
        "active": admin.active,
    })
}

pub fn app_json(workspace: &Workspace) -> Value {
    json!({
        "type": "app",
        "id_code": workspace.app_id,
        "name": workspace.name,
        "created_at": workspace.created_at,
        "secure": workspace.identity_enforced,
        "identity_verification": workspace.identity_enforced,
        "timezone": workspace.timezone,
        "region": "US",
    })
}

/// The admin the credential acts as, with its workspace (`app.id_code` is the messenger `app_id`).
#[utoipa::path(get, path = "/me", tag = "Admins", responses((status = 200, description = "The current admin")))]
async fn me(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let team_ids = admins::team_ids(&state.db, auth.workspace_id(), auth.admin.id).await?;
    let mut body = admin_json(&auth.admin, &team_ids);
    body["email_verified"] = json!(true);
    body["app"] = app_json(&auth.workspace);
    body["avatar"] = json!({"type": "avatar", "image_url": null});
    Ok(Json(body))
}

/// Every teammate of the workspace.
#[utoipa::path(get, path = "/admins", tag = "Admins", responses((status = 200, description = "admin.list")))]
async fn list_admins(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let ws = auth.workspace_id();
    let all = admins::list(&state.db, ws).await?;
    let memberships = admins::team_memberships(&state.db, ws).await?;
    let items: Vec<Value> = all
        .iter()
        .map(|a| {
            let teams: Vec<TeamId> = memberships.iter().filter(|(admin, _)| *admin == a.id).map(|(_, t)| *t).collect();
            admin_json(a, &teams)
        })
        .collect();
    Ok(Json(json!({"type": "admin.list", "admins": items})))
}

/// One teammate.
#[utoipa::path(get, path = "/admins/{id}", tag = "Admins", params(("id" = String, Path)),
    responses((status = 200, description = "admin"), (status = 404, description = "admin_not_found")))]
async fn find_admin(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "admin")?;
    let admin = admins::find(&state.db, auth.workspace_id(), id).await?;
    let team_ids = admins::team_ids(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(admin_json(&admin, &team_ids)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AwayRequest {
    #[schema(required = true, nullable = false)]
    away_mode_enabled: Option<bool>,
    #[schema(required = true, nullable = false)]
    away_mode_reassign: Option<bool>,
    away_status_reason_id: Option<i64>,
}

/// Sets away mode. Admins may set their own; managing someone else's needs the admin role.
/// Turning it on with `away_mode_reassign` hands the teammate's open and snoozed conversations
/// back to their teams (and through the teams' distribution) or to unassigned.
#[utoipa::path(put, path = "/admins/{id}/away", tag = "Admins", params(("id" = String, Path)), request_body = AwayRequest,
    responses((status = 200, description = "admin"), (status = 400, description = "parameter_not_found")))]
async fn set_away(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AwayRequest>,
) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "admin")?;
    let ws = auth.workspace_id();
    admins::find(&state.db, ws, id).await?;
    if id == auth.admin.id {
        auth.require_write()?;
    } else {
        auth.require_manage()?;
    }
    let enabled = body.away_mode_enabled.ok_or_else(|| AppError::missing("away_mode_enabled"))?;
    let reassign = body.away_mode_reassign.ok_or_else(|| AppError::missing("away_mode_reassign"))?;
    let admin = admins::set_away(&state.db, ws, id, enabled, reassign, body.away_status_reason_id).await?;
    // Going away with reassignment hands their open and snoozed conversations back (see
    // `routing::reassign_away`); each move is an assignment part saying why.
    if enabled && reassign {
        rapport_store::routing::reassign_away(&state.db, ws, id, auth.admin.id).await?;
    }
    let team_ids = admins::team_ids(&state.db, ws, id).await?;
    Ok(Json(admin_json(&admin, &team_ids)))
}
