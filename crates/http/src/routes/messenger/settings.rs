//! `GET/PUT /api/messenger/settings`: the messenger's colour, greeting, office hours, usual reply
//! time and identity-verification enforcement. Every teammate may read them; only owners and
//! admins change them and see the identity secret.
use axum::extract::State;
use axum::Json;
use rapport_core::ids::WorkspaceId;
use rapport_core::messenger::{parse_color, parse_greeting, parse_reply_time, SettingError};
use rapport_core::office_hours::OfficeHours;
use rapport_store::workspaces::{self, MessengerSettings, Workspace};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use crate::extract::{ApiJson, Auth};
use crate::routes::ApiRouter;
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(show, replace)).routes(routes!(rotate_identity_secret))
}

fn settings_json(auth: &Auth, workspace: &Workspace, s: &MessengerSettings) -> Value {
    let mut body = json!({
        "type": "messenger_settings",
        "app_id": workspace.app_id,
        "name": workspace.name,
        "color": s.messenger_color,
        "greeting": s.messenger_greeting,
        "office_hours": OfficeHours::from_stored(&s.office_hours).to_json(),
        "reply_time_minutes": s.reply_time_minutes,
        "identity_enforced": s.identity_enforced,
    });
    if auth.admin.role().can_manage_workspace() {
        body["identity_secret"] = json!(workspace.identity_secret);
    }
    body
}

/// The messenger settings (`identity_secret` only for owners and admins).
#[utoipa::path(get, path = "/messenger/settings", tag = "Messenger",
    responses((status = 200, description = "messenger_settings")))]
async fn show(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let settings = workspaces::messenger_settings(&state.db, auth.workspace_id()).await?;
    with_holidays(&state, auth.workspace_id(), settings_json(&auth, &auth.workspace, &settings)).await
}

/// Adds the workspace's holidays (`rapport_store::sla`) to the settings.
async fn with_holidays(state: &AppState, workspace_id: WorkspaceId, mut body: Value) -> AppResult<Json<Value>> {
    let holidays = rapport_store::sla::workspace_holidays(&state.db, workspace_id).await?;
    body["holidays"] = rapport_core::office_hours::holidays_json(&holidays);
    Ok(Json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SettingsRequest {
    /// The workspace's name, shown atop the messenger (1 to 200 characters).
    #[schema(max_length = 200, pattern = "\\S")]
    name: Option<String>,
    /// `#rrggbb`.
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    color: Option<String>,
    /// At most 500 characters.
    greeting: Option<String>,
    /// `{"mon": [[540, 1020]], …}`: minutes after local midnight in the workspace's timezone;
    /// `{}` means always open.
    #[schema(value_type = Option<Object>)]
    office_hours: Option<Value>,
    /// 1 to 10080.
    #[schema(minimum = 1, maximum = 10080)]
    reply_time_minutes: Option<i64>,
    /// Whole days off in the workspace's timezone, `["2024-12-25", …]`: SLA clocks do not count
    /// them (teams with their own hours have their own holidays).
    #[schema(value_type = Option<Vec<String>>)]
    holidays: Option<Value>,
    /// Refuse messenger users without a valid `user_hash` or `user_jwt`.
    identity_enforced: Option<bool>,
}

fn refused(e: SettingError) -> AppError {
    AppError::invalid(e.field(), e.to_string())
}

/// Changes the given settings; every value is checked before anything is written.
#[utoipa::path(put, path = "/messenger/settings", tag = "Messenger", request_body = SettingsRequest,
    responses((status = 200, description = "messenger_settings"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden")))]
async fn replace(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<SettingsRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let mut settings = workspaces::messenger_settings(&state.db, auth.workspace_id()).await?;
    if let Some(color) = &req.color {
        settings.messenger_color = parse_color(color).map_err(refused)?;
    }
    if let Some(greeting) = &req.greeting {
        settings.messenger_greeting = parse_greeting(greeting).map_err(refused)?;
    }
    if let Some(hours) = &req.office_hours {
        let hours = OfficeHours::parse(hours).map_err(|e| AppError::invalid("office_hours", e.to_string()))?;
        settings.office_hours = hours.to_json().to_string();
    }
    let holidays = match &req.holidays {
        Some(h) => Some(
            rapport_core::office_hours::parse_holidays(h).map_err(|e| AppError::invalid("holidays", e.to_string()))?,
        ),
        None => None,
    };
    if let Some(minutes) = req.reply_time_minutes {
        settings.reply_time_minutes = parse_reply_time(minutes).map_err(refused)?;
    }
    if let Some(enforced) = req.identity_enforced {
        settings.identity_enforced = enforced;
    }
    if let Some(name) = &req.name {
        if name.trim().is_empty() || name.trim().chars().count() > 200 {
            return Err(AppError::invalid("name", "name must be 1 to 200 characters"));
        }
    }
    // Every value is valid now; the two writes cannot fail on input.
    let workspace = match &req.name {
        Some(name) => workspaces::rename(&state.db, auth.workspace_id(), name).await?,
        None => auth.workspace.clone(),
    };
    let saved = workspaces::set_messenger_settings(&state.db, auth.workspace_id(), &settings).await?;
    if let Some(holidays) = &holidays {
        rapport_store::sla::set_workspace_holidays(&state.db, auth.workspace_id(), holidays).await?;
    } else if req.office_hours.is_some() {
        rapport_store::sla::recheck(&state.db, auth.workspace_id(), None).await?;
    }
    with_holidays(&state, auth.workspace_id(), settings_json(&auth, &workspace, &saved)).await
}

/// Replaces the identity-verification secret with a new random one (owners and admins). Every
/// `user_hash`/`user_jwt` made with the old secret, and every messenger visitor token signed
/// with it, stops verifying at once: update your servers with the new `identity_secret`.
#[utoipa::path(post, path = "/messenger/settings/rotate_identity_secret", tag = "Messenger",
    responses((status = 200, description = "messenger_settings with the new identity_secret"),
        (status = 403, description = "forbidden")))]
async fn rotate_identity_secret(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let workspace = workspaces::rotate_identity_secret(&state.db, auth.workspace_id()).await?;
    let settings = workspaces::messenger_settings(&state.db, auth.workspace_id()).await?;
    Ok(Json(settings_json(&auth, &workspace, &settings)))
}
