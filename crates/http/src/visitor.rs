//! Authentication of messenger visitors: the signed visitor token (see
//! `rapport_core::identity`) from `Authorization: Bearer …` or, for WebSockets, `?token=…`.
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use rapport_core::identity;
use rapport_core::ids::ContactId;
use rapport_store::contacts::Contact;
use rapport_store::workspaces::{self, Workspace};

use crate::{AppError, AppResult, AppState};

/// A visitor whose token checked out: the workspace and the contact (lead or user) they are.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub workspace: Workspace,
    pub contact_id: ContactId,
    /// `user` or `lead`.
    pub role: String,
    /// The token was issued for a user identity verified by `user_hash` or `user_jwt` (always so
    /// for a user: see [`visitor_from_token`]).
    pub verified_user: bool,
}

fn invalid_token() -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, "visitor_token_invalid", "the visitor token is missing or invalid")
}

/// 403 for a contact that may not use the messenger: blocked or archived by the team.
pub fn check_may_chat(contact: &Contact) -> AppResult<()> {
    if contact.blocked {
        return Err(AppError::new(StatusCode::FORBIDDEN, "contact_blocked", "This contact is blocked"));
    }
    if contact.archived {
        return Err(AppError::new(StatusCode::FORBIDDEN, "contact_archived", "This contact is archived"));
    }
    Ok(())
}

/// Checks a visitor token: its workspace exists, the signature holds with that workspace's
/// secret, and its contact still exists there (a merged lead's token stops working: boot again)
/// and is neither blocked nor archived (403). A user is reached only by a token issued for a
/// verified identity: a lead's token stops working when a teammate makes that lead a user, and so
/// does a token of the older, unmarked format held by a user.
pub async fn visitor_from_token(state: &AppState, token: &str) -> AppResult<Visitor> {
    let app_id = identity::visitor_token_app_id(token).ok_or_else(invalid_token)?;
    let workspace = workspaces::find_by_app_id(&state.db, app_id).await.map_err(|_| invalid_token())?;
    let claims = identity::verify_visitor_token(&workspace.identity_secret, token).ok_or_else(invalid_token)?;
    let contact =
        rapport_store::contacts::find(&state.db, workspace.id, claims.contact_id).await.map_err(|_| invalid_token())?;
    if contact.role == "user" && !claims.verified_user {
        return Err(invalid_token());
    }
    check_may_chat(&contact)?;
    Ok(Visitor { contact_id: contact.id, role: contact.role.clone(), verified_user: claims.verified_user, workspace })
}

/// The token of a request: the `Authorization: Bearer` header, else the `token` query parameter.
fn token_of(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return value.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    let query = parts.uri.query()?;
    query.split('&').find_map(|pair| pair.strip_prefix("token=")).map(|t| t.replace("%2E", ".").replace("%2e", "."))
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_of(parts).ok_or_else(invalid_token)?;
        visitor_from_token(state, &token).await
    }
}
