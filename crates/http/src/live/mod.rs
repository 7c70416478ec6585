//! Real-time delivery over WebSockets (`docs/REALTIME.md` sections 2 and 3): the node's [`Hub`]
//! (commits -> bus doorbells -> log reads -> sockets) and the two gateways, `GET /ws` for
//! teammates and `GET /messenger/ws` for visitors.
mod actions;
mod frames;
#[doc(hidden)]
pub mod fuzzing;
mod hub;
mod presence;
mod session;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use serde::Deserialize;

pub use hub::Hub;
use session::{Session, Viewer};

use crate::extract::{bearer_token, Auth, AuthVia};
use crate::visitor::Visitor;
use crate::{AppError, AppResult, AppState};

/// Largest WebSocket message read at all; frames over 64 KiB but under this get a `too_large`
/// error frame, larger ones close the socket (the client is not speaking our protocol).
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Initial read buffer and write batching threshold of a socket.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

#[derive(Deserialize)]
struct SocketParams {
    token: Option<String>,
    since: Option<String>,
}

fn params(uri: &axum::http::Uri) -> AppResult<SocketParams> {
    Query::<SocketParams>::try_from_uri(uri)
        .map(|Query(p)| p)
        .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", e.body_text()))
}

/// `since`: the last seq the client saw, a non-negative integer.
fn since_of(uri: &axum::http::Uri) -> AppResult<Option<i64>> {
    params(uri)?
        .since
        .map(|s| {
            s.trim().parse::<i64>().ok().filter(|s| *s >= 0).ok_or_else(|| {
                AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", "since must be a non-negative integer")
            })
        })
        .transpose()
}

/// A teammate opening `/ws`: an API token (Bearer header or `?token=`, since browsers cannot set
/// headers on a WebSocket) or the session cookie, which only counts from a page of this origin.
pub struct AgentSocketAuth(pub Auth);

impl FromRequestParts<AppState> for AgentSocketAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if bearer_token(parts).is_none() {
            if let Some(token) = params(&parts.uri)?.token {
                let (workspace, admin) =
                    rapport_store::tokens::authenticate(&state.db, &token).await?.ok_or_else(AppError::unauthorized)?;
                return Ok(AgentSocketAuth(Auth { workspace, admin, via: AuthVia::Token }));
            }
        }
        let auth = Auth::from_request_parts(parts, state).await?;
        if auth.via == AuthVia::Session && !same_origin(parts) {
            return Err(AppError::forbidden("a WebSocket signed in by cookie must come from this site"));
        }
        Ok(AgentSocketAuth(auth))
    }
}

/// Whether the `Origin` of a request (if any) names the host it was sent to.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").map(|(_, rest)| rest.trim_end_matches('/')) == Some(host)
}

/// `GET /ws?since=SEQ`: the workspace's events for teammates, then live; see `docs/REALTIME.md`.
pub async fn agent_socket(
    State(state): State<AppState>,
    AgentSocketAuth(auth): AgentSocketAuth,
    uri: axum::http::Uri,
    upgrade: WebSocketUpgrade,
) -> AppResult<Response> {
    let since = since_of(&uri)?;
    let viewer = Viewer::Agent {
        admin_id: auth.admin.id,
        name: auth.admin.name.clone(),
        can_write: auth.require_write().is_ok(),
        subscription: None,
    };
    let session = Session::new(state.live.clone(), auth.workspace_id(), viewer);
    Ok(configure(upgrade).on_upgrade(move |socket| session.run(socket, since)))
}

/// `GET /messenger/ws?token=VISITOR_TOKEN&since=SEQ`: a visitor's own conversations, live.
pub async fn visitor_socket(
    State(state): State<AppState>,
    visitor: Visitor,
    uri: axum::http::Uri,
    upgrade: WebSocketUpgrade,
) -> AppResult<Response> {
    let since = since_of(&uri)?;
    let contact = rapport_store::contacts::find(&state.db, visitor.workspace.id, visitor.contact_id).await?;
    let viewer = Viewer::Visitor { contact_id: contact.id, role: visitor.role.clone(), name: contact.name, unread: 0 };
    let session = Session::new(state.live.clone(), visitor.workspace.id, viewer);
    Ok(configure(upgrade).on_upgrade(move |socket| session.run(socket, since)))
}

/// Small starting buffers (they grow for a large frame): an idle socket then costs a few KiB
/// instead of the 128 KiB read buffer tungstenite reserves by default.
fn configure(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
}
