//! Extractors: JSON bodies and query strings whose rejections are `error.list` bodies, and the
//! authentication of every API call (a handler that takes [`Auth`] cannot forget to check it).
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, MissingJsonContentType, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use base64::Engine;
use rapport_core::ids::WorkspaceId;
use rapport_store::admins::Admin;
use rapport_store::workspaces::Workspace;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::{AppError, AppResult, AppState};

/// A JSON body. Malformed JSON, wrong types and oversized bodies become precise 4xx errors, and
/// text the databases cannot store (NUL, lone surrogates, invalid UTF-8) is `parameter_invalid`
/// naming its field (see `crate::text`), so no handler ever sees it.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(json_rejection(MissingJsonContentType::default().into()));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| json_rejection(e.into()))?;
        crate::text::check_json_body(&bytes)?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => {
                if let Some(fault) = crate::text::json_text_fault(&bytes) {
                    return Err(fault.into());
                }
                // `3.0` is an integer to JSON Schema (and to JavaScript): where an integer field
                // refused a number with no fractional part, read it again with those as integers.
                if let JsonRejection::JsonDataError(_) = &rejection {
                    if let Some(Ok(axum::Json(value))) =
                        integral_floats_as_integers(&bytes).map(|b| axum::Json::<T>::from_bytes(&b))
                    {
                        return Ok(ApiJson(value));
                    }
                }
                Err(json_rejection(rejection))
            }
        }
    }
}

/// The body again with every number that has no fractional part (`447.0`, `-3e2`) written as an
/// integer, or `None` when it has none (or is not JSON). Numbers outside `i64` stay as they are.
fn integral_floats_as_integers(bytes: &[u8]) -> Option<Vec<u8>> {
    fn walk(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&f) => {
                    *n = serde_json::Number::from(f as i64);
                    true
                }
                _ => false,
            },
            serde_json::Value::Array(items) => items.iter_mut().fold(false, |changed, v| walk(v) | changed),
            serde_json::Value::Object(map) => map.values_mut().fold(false, |changed, v| walk(v) | changed),
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if !walk(&mut value) {
        return None;
    }
    serde_json::to_vec(&value).ok()
}

/// `application/json` or any `+json` type, as `axum::Json` requires.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some((kind, subtype)) => kind == "application" && (subtype == "json" || subtype.ends_with("+json")),
        None => false,
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", e.body_text()),
        JsonRejection::JsonSyntaxError(e) => AppError::bad_request(format!("malformed JSON: {}", e.body_text())),
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type must be application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", "request body is too large")
        }
        other => AppError::bad_request(other.body_text()),
    }
}

/// A query string. Bad values become `parameter_invalid`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", e.body_text()))
            }
            Err(other) => Err(AppError::bad_request(other.body_text())),
        }
    }
}

/// Parses an id from a path or body. Ids are opaque: anything that is not one of ours is simply
/// "not found", exactly like an id of another workspace. The id comes out as the type its use
/// asks for (`ConversationId`, `ContactId`, …, or a plain `i64` for the untyped ids).
pub fn parse_id<T: From<i64>>(raw: &str, entity: &'static str) -> AppResult<T> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0).map(T::from).ok_or_else(|| crate::error::not_found_for(entity))
}

/// An id in a request body, sent as a JSON string or number (SDKs do both).
#[derive(Debug, Clone, PartialEq, Eq, utoipa::ToSchema)]
#[schema(value_type = String)]
pub struct BodyId(pub String);

impl<'de> Deserialize<'de> for BodyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Str(String),
            Int(i64),
        }
        match Raw::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("an id must be a string or an integer"))?
        {
            Raw::Str(s) => Ok(BodyId(s)),
            Raw::Int(i) => Ok(BodyId(i.to_string())),
        }
    }
}

impl BodyId {
    pub fn parse<T: From<i64>>(&self, entity: &'static str) -> AppResult<T> {
        parse_id(&self.0, entity)
    }
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    Token,
    Session,
}

/// An authenticated admin acting in one workspace.
#[derive(Debug, Clone)]
pub struct Auth {
    pub workspace: Workspace,
    pub admin: Admin,
    pub via: AuthVia,
}

pub const SESSION_COOKIE: &str = "rapport_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

impl Auth {
    /// The workspace every query of this request is scoped to.
    pub fn workspace_id(&self) -> WorkspaceId {
        self.workspace.id
    }

    /// Refuses viewers: only agents and above may change data.
    pub fn require_write(&self) -> AppResult<()> {
        if self.admin.role().can_write() {
            Ok(())
        } else {
            Err(AppError::forbidden("Your role (viewer) cannot make changes"))
        }
    }

    /// Refuses agents and viewers: only admins and owners manage teammates, teams and tokens.
    pub fn require_manage(&self) -> AppResult<()> {
        if self.admin.role().can_manage_workspace() {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "Your role ({}) cannot manage teammates, teams or tokens",
                self.admin.role()
            )))
        }
    }
}

/// The credential of a request: an API token (Bearer, or Basic with the token as user name).
pub fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let user = decoded.split_once(':').map(|(u, _)| u).unwrap_or(&decoded);
        return (!user.is_empty()).then(|| user.to_string());
    }
    None
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// [`cookie`] over bare headers (for middleware, which holds a whole request).
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer_token(parts) {
            let (workspace, admin) =
                rapport_store::tokens::authenticate(&state.db, &token).await?.ok_or_else(AppError::unauthorized)?;
            return Ok(Auth { workspace, admin, via: AuthVia::Token });
        }
        if let Some(secret) = cookie(parts, SESSION_COOKIE) {
            let session =
                rapport_store::sessions::authenticate(&state.db, &secret).await?.ok_or_else(AppError::unauthorized)?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                // Cookies ride along on cross-site requests; the CSRF token cannot.
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                if sent.is_empty() || sent != session.csrf_token {
                    return Err(AppError::forbidden("missing or wrong X-CSRF-Token header"));
                }
            }
            return Ok(Auth { workspace: session.workspace, admin: session.admin, via: AuthVia::Session });
        }
        Err(AppError::unauthorized())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        count: i64,
        id: BodyId,
        ratio: f64,
        ids: Vec<BodyId>,
    }

    /// JSON Schema counts `447.0` as an integer, so integer fields and ids take it; `447.5` and
    /// numbers beyond `i64` stay refused.
    #[test]
    fn integral_floats_are_integers() {
        let fixed =
            integral_floats_as_integers(br#"{"count": 447.0, "id": 3.0, "ratio": 2.0, "ids": [-1e2, "x"]}"#).unwrap();
        let body: Body = serde_json::from_slice(&fixed).unwrap();
        assert_eq!((body.count, body.id, body.ratio), (447, BodyId("3".into()), 2.0));
        assert_eq!(body.ids, vec![BodyId("-100".into()), BodyId("x".into())]);
        assert!(integral_floats_as_integers(br#"{"count": 447}"#).is_none());
        let fractional = integral_floats_as_integers(br#"{"count": 447.5, "id": 1e300}"#);
        assert!(fractional.is_none());
    }
}
