//! SLA policies (`/sla_policies`), applying one to a conversation (`/conversations/{id}/sla`,
//! Rapport extensions) and each team's own office hours and holidays (`/teams/{id}/office_hours`).
//! Everyone reads; admins who manage the workspace write policies and hours; agents and up apply.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::ids::{TeamId, WorkspaceId};
use rapport_core::office_hours::{holidays_json, parse_holidays, OfficeHours};
use rapport_core::sla::Policy;
use rapport_store::sla::{self, SlaPolicy};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::conversations::json::Display;
use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_sla_policies, create_sla_policy))
        .routes(routes!(find_sla_policy, update_sla_policy, delete_sla_policy))
        .routes(routes!(apply_sla, remove_sla))
        .routes(routes!(team_office_hours, set_team_office_hours, clear_team_office_hours))
}

pub fn sla_policy_json(p: &SlaPolicy) -> Value {
    json!({
        "type": "sla_policy",
        "id": p.id.to_string(),
        "name": p.name,
        "first_response_seconds": p.first_response_seconds,
        "next_response_seconds": p.next_response_seconds,
        "time_to_close_seconds": p.time_to_close_seconds,
        "business_hours": p.business_hours,
        "at_risk_percent": p.at_risk_percent,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

/// Every SLA policy of the workspace.
#[utoipa::path(get, path = "/sla_policies", tag = "SLA", responses((status = 200, description = "list of sla_policy")))]
async fn list_sla_policies(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let all = sla::list_policies(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": all.iter().map(sla_policy_json).collect::<Vec<_>>()})))
}

/// One SLA policy.
#[utoipa::path(get, path = "/sla_policies/{id}", tag = "SLA", params(("id" = String, Path)),
    responses((status = 200, description = "sla_policy"), (status = 404, description = "not_found")))]
async fn find_sla_policy(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "sla_policy")?;
    Ok(Json(sla_policy_json(&sla::find_policy(&state.db, auth.workspace_id(), id).await?)))
}

/// A member that may be absent (keep), `null` (clear) or a value.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SlaPolicyRequest {
    /// 1 to 255 characters, unique in the workspace.
    #[schema(max_length = 255, pattern = "\\S")]
    name: Option<String>,
    /// Seconds until the first teammate reply (1 to a year), or `null` for no target.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 31_622_400)]
    first_response_seconds: Option<Value>,
    /// Seconds until each next teammate reply after the customer writes again.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 31_622_400)]
    next_response_seconds: Option<Value>,
    /// Seconds until the conversation is closed.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 31_622_400)]
    time_to_close_seconds: Option<Value>,
    /// Count office hours only (default `true`) or calendar time.
    business_hours: Option<bool>,
    /// At risk once this percentage of a target or less is left (0 to 99, default 20; 0 = never).
    #[schema(minimum = 0, maximum = 99)]
    at_risk_percent: Option<i64>,
}

impl SlaPolicyRequest {
    /// The policy this request makes of `current` (absent members keep their value).
    fn policy(&self, current: Option<&SlaPolicy>) -> AppResult<Policy> {
        let target = |field: &str, given: &Option<Value>, kept: Option<i64>| match given {
            None => Ok(kept),
            Some(Value::Null) => Ok(None),
            // `3.0` is an integer to JSON Schema, as everywhere else in the API (`ApiJson`).
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= 9.2e18).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| AppError::invalid(field, format!("{field} must be an integer or null"))),
        };
        let policy = Policy {
            first_response_seconds: target(
                "first_response_seconds",
                &self.first_response_seconds,
                current.and_then(|c| c.first_response_seconds),
            )?,
            next_response_seconds: target(
                "next_response_seconds",
                &self.next_response_seconds,
                current.and_then(|c| c.next_response_seconds),
            )?,
            time_to_close_seconds: target(
                "time_to_close_seconds",
                &self.time_to_close_seconds,
                current.and_then(|c| c.time_to_close_seconds),
            )?,
            business_hours: self.business_hours.or(current.map(|c| c.business_hours)).unwrap_or(true),
            at_risk_percent: self
                .at_risk_percent
                .or(current.map(|c| c.at_risk_percent))
                .unwrap_or(Policy::DEFAULT_AT_RISK_PERCENT),
        };
        policy.validate().map_err(|e| AppError::invalid(e.field, e.to_string()))?;
        Ok(policy)
    }
}

/// Creates an SLA policy (admins who manage the workspace).
#[utoipa::path(post, path = "/sla_policies", tag = "SLA", request_body = SlaPolicyRequest,
    responses((status = 200, description = "sla_policy"), (status = 400, description = "parameter_invalid"),
        (status = 409, description = "conflict")))]
async fn create_sla_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SlaPolicyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let name = body.name.as_deref().ok_or_else(|| AppError::missing("name"))?;
    let policy = body.policy(None)?;
    let created = sla::create_policy(&state.db, auth.workspace_id(), name, &policy).await?;
    Ok(Json(sla_policy_json(&created)))
}

/// Changes an SLA policy (absent members keep their value, `null` clears a target). Conversations
/// under it follow the new targets from their next evaluation.
#[utoipa::path(put, path = "/sla_policies/{id}", tag = "SLA", params(("id" = String, Path)),
    request_body = SlaPolicyRequest,
    responses((status = 200, description = "sla_policy"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found"), (status = 409, description = "conflict")))]
async fn update_sla_policy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SlaPolicyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "sla_policy")?;
    let current = sla::find_policy(&state.db, auth.workspace_id(), id).await?;
    let policy = body.policy(Some(&current))?;
    let name = body.name.as_deref().unwrap_or(&current.name);
    let updated = sla::update_policy(&state.db, auth.workspace_id(), id, name, &policy).await?;
    Ok(Json(sla_policy_json(&updated)))
}

/// Deletes an SLA policy; conversations where it was active show it `cancelled`.
#[utoipa::path(delete, path = "/sla_policies/{id}", tag = "SLA", params(("id" = String, Path)),
    responses((status = 200, description = "deleted"), (status = 404, description = "not_found")))]
async fn delete_sla_policy(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "sla_policy")?;
    sla::delete_policy(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(json!({"type": "sla_policy", "id": id.to_string(), "deleted": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ApplyRequest {
    #[schema(value_type = String, required = true, nullable = false)]
    sla_policy_id: Option<BodyId>,
}

/// Applies an SLA policy to a conversation from now on (replacing the one it had); answers the
/// conversation with `sla_applied` and `sla_state`.
#[utoipa::path(post, path = "/conversations/{id}/sla", tag = "SLA", params(("id" = String, Path)),
    request_body = ApplyRequest,
    responses((status = 200, description = "conversation"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn apply_sla(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ApplyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let policy_id = body.sla_policy_id.ok_or_else(|| AppError::missing("sla_policy_id"))?.parse("sla_policy")?;
    let ws = auth.workspace_id();
    rapport_store::conversations::find(&state.db, ws, id).await?;
    sla::find_policy(&state.db, ws, policy_id).await?;
    sla::apply(&state.db, ws, id, policy_id, rapport_store::now()).await?;
    super::conversations::full(&state, ws, id, Display::Html).await
}

/// Removes the SLA from a conversation: `sla_status` becomes `cancelled` and its clocks stop.
#[utoipa::path(delete, path = "/conversations/{id}/sla", tag = "SLA", params(("id" = String, Path)),
    responses((status = 200, description = "conversation"), (status = 404, description = "not_found")))]
async fn remove_sla(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let ws = auth.workspace_id();
    rapport_store::conversations::find(&state.db, ws, id).await?;
    sla::cancel(&state.db, ws, id).await?;
    super::conversations::full(&state, ws, id, Display::Html).await
}

/// A team's office hours: its own (`inherited: false`) or the workspace's.
async fn hours_json(state: &AppState, workspace_id: WorkspaceId, team_id: TeamId) -> AppResult<Value> {
    rapport_store::teams::find(&state.db, workspace_id, team_id).await?;
    let body = match sla::team_hours(&state.db, workspace_id, team_id).await? {
        Some(own) => json!({
            "timezone": own.timezone, "office_hours": own.office_hours, "holidays": own.holidays,
            "inherited": false, "updated_at": own.updated_at,
        }),
        None => {
            let workspace = rapport_store::workspaces::find(&state.db, workspace_id).await?;
            let settings = rapport_store::workspaces::messenger_settings(&state.db, workspace_id).await?;
            let holidays = sla::workspace_holidays(&state.db, workspace_id).await?;
            json!({
                "timezone": workspace.timezone,
                "office_hours": OfficeHours::from_stored(&settings.office_hours).to_json(),
                "holidays": holidays_json(&holidays),
                "inherited": true, "updated_at": null,
            })
        }
    };
    let mut body = body;
    body["type"] = json!("office_hours");
    body["team_id"] = json!(team_id.to_string());
    Ok(body)
}

/// The office hours a team's SLA clocks count in: its own, else the workspace's (`inherited`).
#[utoipa::path(get, path = "/teams/{id}/office_hours", tag = "SLA", params(("id" = String, Path)),
    responses((status = 200, description = "office_hours"), (status = 404, description = "not_found")))]
async fn team_office_hours(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let id = parse_id(&id, "team")?;
    Ok(Json(hours_json(&state, auth.workspace_id(), id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OfficeHoursRequest {
    /// IANA timezone; default the workspace's.
    timezone: Option<String>,
    /// `{"mon": [[540, 1020]], …}`: minutes after local midnight; `{}` is always open. Required.
    #[schema(value_type = Object, required = true, nullable = false)]
    office_hours: Option<Value>,
    /// Whole local days off: `["2024-12-25", …]` (at most 1000). Default none.
    #[schema(value_type = Vec<String>)]
    holidays: Option<Value>,
}

/// Gives a team its own office hours and holidays (admins who manage the workspace).
#[utoipa::path(put, path = "/teams/{id}/office_hours", tag = "SLA", params(("id" = String, Path)),
    request_body = OfficeHoursRequest,
    responses((status = 200, description = "office_hours"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn set_team_office_hours(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OfficeHoursRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "team")?;
    let ws = auth.workspace_id();
    let hours = body.office_hours.as_ref().ok_or_else(|| AppError::missing("office_hours"))?;
    let hours = OfficeHours::parse(hours).map_err(|e| AppError::invalid("office_hours", e.to_string()))?;
    let holidays = match &body.holidays {
        None => Vec::new(),
        Some(h) => parse_holidays(h).map_err(|e| AppError::invalid("holidays", e.to_string()))?,
    };
    let timezone = match body.timezone {
        Some(tz) => tz,
        None => rapport_store::workspaces::find(&state.db, ws).await?.timezone,
    };
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::invalid("timezone", format!("unknown timezone {timezone:?}")));
    }
    sla::set_team_hours(&state.db, ws, id, &timezone, &hours, &holidays).await?;
    Ok(Json(hours_json(&state, ws, id).await?))
}

/// Removes a team's own hours: it works the workspace's again.
#[utoipa::path(delete, path = "/teams/{id}/office_hours", tag = "SLA", params(("id" = String, Path)),
    responses((status = 200, description = "office_hours"), (status = 404, description = "not_found")))]
async fn clear_team_office_hours(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "team")?;
    sla::clear_team_hours(&state.db, auth.workspace_id(), id).await?;
    Ok(Json(hours_json(&state, auth.workspace_id(), id).await?))
}
