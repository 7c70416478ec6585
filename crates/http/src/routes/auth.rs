//! Sign-in for the web app: an argon2id password check, then an HttpOnly, SameSite=Strict session
//! cookie plus a CSRF token that every unsafe cookie-authenticated request must echo.
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rapport_store::{admins, sessions};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::admins::{admin_json, app_json};
use super::ApiRouter;
use crate::extract::{cookie, ApiJson, Auth, AuthVia, SESSION_COOKIE};
use crate::{AppError, AppResult, AppState};

pub(crate) const SESSION_TTL_SECONDS: i64 = 14 * 24 * 3600;

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(current_session))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LoginRequest {
    email: String,
    password: String,
    /// The workspace (`app_id`) to sign in to; the first one the password opens when absent.
    app_id: Option<String>,
}

pub(crate) fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Signs an admin in. Rate-limited per email; wrong email and wrong password look the same.
#[utoipa::path(post, path = "/auth/login", tag = "Sessions", request_body = LoginRequest, security(()),
    responses((status = 200, description = "session"), (status = 401, description = "unauthorized"),
              (status = 429, description = "rate_limit_exceeded")))]
async fn login(State(state): State<AppState>, ApiJson(body): ApiJson<LoginRequest>) -> AppResult<Response> {
    if !state.limits.allow_login(&body.email) {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Too many sign-in attempts; try again in 15 minutes",
        ));
    }
    let candidates = admins::find_all_by_email(&state.db, &body.email).await?;
    let password = body.password.clone();
    // argon2 is deliberately slow: keep it off the async workers.
    let chosen = tokio::task::spawn_blocking(move || {
        if candidates.is_empty() {
            // Spend the same time as a real check, so response time does not reveal the email.
            let _ = admins::hash_password(&password);
            return (None, Vec::new());
        }
        let opened: Vec<_> = candidates.into_iter().filter(|a| a.verify_password(&password)).collect();
        (opened.first().cloned(), opened)
    })
    .await
    .map_err(AppError::internal)?;
    let (Some(first), opened) = chosen else {
        return Err(AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Wrong email or password"));
    };
    let admin = match &body.app_id {
        None => first,
        Some(app_id) => {
            let ws = rapport_store::workspaces::find_by_app_id(&state.db, app_id)
                .await
                .map_err(|_| AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Wrong email or password"))?;
            opened
                .iter()
                .find(|a| a.workspace_id == ws.id)
                .cloned()
                .ok_or_else(|| AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Wrong email or password"))?
        }
    };
    let (secret, csrf) = sessions::create(&state.db, admin.workspace_id, admin.id, SESSION_TTL_SECONDS).await?;
    let workspace = rapport_store::workspaces::find(&state.db, admin.workspace_id).await?;
    let mut workspaces = Vec::new();
    for a in &opened {
        let ws = rapport_store::workspaces::find(&state.db, a.workspace_id).await?;
        workspaces.push(json!({"app_id": ws.app_id, "name": ws.name}));
    }
    let team_ids = admins::team_ids(&state.db, admin.workspace_id, admin.id).await?;
    let body = json!({
        "type": "session",
        "admin": admin_json(&admin, &team_ids),
        "app": app_json(&workspace),
        "csrf_token": csrf,
        "workspaces": workspaces,
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &secret, SESSION_TTL_SECONDS));
    Ok(response)
}

/// Ends the current browser session.
#[utoipa::path(post, path = "/auth/logout", tag = "Sessions", responses((status = 200, description = "signed out")))]
async fn logout(State(state): State<AppState>, auth: Auth, headers: HeaderMap) -> AppResult<Response> {
    if auth.via == AuthVia::Session {
        let (mut parts, _) = axum::http::Request::new(()).into_parts();
        parts.headers = headers;
        if let Some(secret) = cookie(&parts, SESSION_COOKIE) {
            sessions::delete(&state.db, &secret).await?;
        }
    }
    let mut response = Json(json!({"type": "session", "signed_out": true})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

/// Who the current session (or token) is.
#[utoipa::path(get, path = "/auth/session", tag = "Sessions", responses((status = 200, description = "session")))]
async fn current_session(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let team_ids = admins::team_ids(&state.db, auth.workspace_id(), auth.admin.id).await?;
    Ok(Json(json!({
        "type": "session",
        "admin": admin_json(&auth.admin, &team_ids),
        "app": app_json(&auth.workspace),
    })))
}
