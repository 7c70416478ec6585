//! Teams: Intercom's list and find, plus Rapport's create, update, delete and memberships.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::teams::{self, TeamFields, TeamWithMembers};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(find_team, update_team, delete_team))
        .routes(routes!(add_member, remove_member))
}

pub fn team_json(t: &TeamWithMembers) -> Value {
    json!({
        "type": "team",
        "id": t.team.id.to_string(),
        "name": t.team.name,
        "admin_ids": t.admin_ids,
        "assignment_limit": t.team.assignment_limit,
        "distribution_method": t.team.distribution_method,
        "assignment_method": t.team.distribution_method,
    })
}

/// Every team of the workspace.
#[utoipa::path(get, path = "/teams", tag = "Teams", responses((status = 200, description = "team.list")))]
async fn list_teams(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let all = teams::list_with_members(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "team.list", "teams": all.iter().map(team_json).collect::<Vec<_>>()})))
}

/// One team with its members.
#[utoipa::path(get, path = "/teams/{id}", tag = "Teams", params(("id" = String, Path)),
    responses((status = 200, description = "team"), (status = 404, description = "team_not_found")))]
async fn find_team(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "team")?;
    Ok(Json(team_json(&teams::find_with_members(&state.db, auth.workspace_id(), id).await?)))
}

/// Distinguishes an absent field from an explicit `null` (which clears the limit).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TeamRequest {
    #[schema(pattern = "\\S")]
    name: Option<String>,
    /// `manual`, `round_robin` or `balanced`.
    #[schema(pattern = "^(manual|round_robin|balanced)$")]
    distribution_method: Option<String>,
    /// The same setting under the inbox's name; give one or the other (or both equal).
    #[schema(pattern = "^(manual|round_robin|balanced)$")]
    assignment_method: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    assignment_limit: Option<Option<i64>>,
    /// Admin ids to make the team's members (create only).
    #[serde(default)]
    admin_ids: Vec<crate::extract::BodyId>,
}

impl TeamRequest {
    fn fields(&self) -> AppResult<TeamFields<'_>> {
        let method = match (self.distribution_method.as_deref(), self.assignment_method.as_deref()) {
            (Some(a), Some(b)) if a != b => {
                return Err(AppError::invalid("assignment_method", "assignment_method and distribution_method differ"))
            }
            (a, b) => a.or(b),
        };
        Ok(TeamFields {
            name: self.name.as_deref(),
            distribution_method: method,
            assignment_limit: self.assignment_limit,
        })
    }
}

/// Creates a team (Rapport extension). Needs the admin role.
#[utoipa::path(post, path = "/teams", tag = "Teams", request_body = TeamRequest,
    responses((status = 200, description = "team"), (status = 400, description = "parameter_invalid")))]
async fn create_team(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TeamRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let ws = auth.workspace_id();
    if body.name.is_none() {
        return Err(AppError::missing("name"));
    }
    // Check every member before writing anything.
    let mut member_ids = Vec::new();
    for id in &body.admin_ids {
        let id = id.parse("admin")?;
        rapport_store::admins::find(&state.db, ws, id).await?;
        member_ids.push(id);
    }
    let team = teams::create(&state.db, ws, body.fields()?).await?;
    for admin_id in member_ids {
        teams::add_member(&state.db, ws, team.id, admin_id).await?;
    }
    Ok(Json(team_json(&teams::find_with_members(&state.db, ws, team.id).await?)))
}

/// Updates a team's name, distribution method or assignment limit (Rapport extension).
#[utoipa::path(put, path = "/teams/{id}", tag = "Teams", params(("id" = String, Path)), request_body = TeamRequest,
    responses((status = 200, description = "team"), (status = 404, description = "team_not_found")))]
async fn update_team(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TeamRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "team")?;
    if !body.admin_ids.is_empty() {
        return Err(AppError::invalid("admin_ids", "change members with PUT/DELETE /teams/{id}/admins/{admin_id}"));
    }
    teams::update(&state.db, auth.workspace_id(), id, body.fields()?).await?;
    Ok(Json(team_json(&teams::find_with_members(&state.db, auth.workspace_id(), id).await?)))
}

/// Deletes a team; its conversations become unassigned from it (Rapport extension).
#[utoipa::path(delete, path = "/teams/{id}", tag = "Teams", params(("id" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, description = "team_not_found")))]
async fn delete_team(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "team")?;
    teams::delete(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"id": id.to_string(), "object": "team", "deleted": true})))
}

/// Adds a teammate to a team (Rapport extension; idempotent).
#[utoipa::path(put, path = "/teams/{id}/admins/{admin_id}", tag = "Teams",
    params(("id" = String, Path), ("admin_id" = String, Path)), responses((status = 200, description = "team")))]
async fn add_member(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, admin_id)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let (id, admin_id) = (parse_id(&id, "team")?, parse_id(&admin_id, "admin")?);
    teams::add_member(&state.db, auth.workspace_id(), id, admin_id).await?;
    Ok(Json(team_json(&teams::find_with_members(&state.db, auth.workspace_id(), id).await?)))
}

/// Removes a teammate from a team (Rapport extension).
#[utoipa::path(delete, path = "/teams/{id}/admins/{admin_id}", tag = "Teams",
    params(("id" = String, Path), ("admin_id" = String, Path)), responses((status = 200, description = "team")))]
async fn remove_member(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, admin_id)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let (id, admin_id) = (parse_id(&id, "team")?, parse_id(&admin_id, "admin")?);
    teams::remove_member(&state.db, auth.workspace_id(), id, admin_id).await?;
    Ok(Json(team_json(&teams::find_with_members(&state.db, auth.workspace_id(), id).await?)))
}
