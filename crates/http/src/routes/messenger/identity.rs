//! Who a boot says the visitor is, and whether that claim is verified: `user_hash` (hex
//! HMAC-SHA256 of the user_id, else the email) or `user_jwt` (HS256 with claims `user_id` and/or
//! `email`), both keyed with the workspace's identity secret.
use axum::http::StatusCode;
use rapport_core::identity;
use rapport_store::workspaces::Workspace;

use crate::AppError;

/// The user identity a boot claims (at least one of the two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Claimed {
    pub user_id: Option<String>,
    pub email: Option<String>,
    /// A valid `user_hash` or `user_jwt` vouched for it. An unverified claim never reaches a user:
    /// it is recorded on the visitor's lead for a teammate to check.
    pub verified: bool,
}

pub(super) fn verification_failed() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "identity_verification_failed",
        "the user's identity could not be verified (check user_hash or user_jwt)",
    )
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// Works out the user a boot names and checks it. `None` means no user identity (a lead).
///
/// With a JWT the identity comes from its claims; a `user_id` in the body must be the JWT's and
/// an email must not contradict it. With a `user_hash` it must be the HMAC of the user_id (else
/// the email). Without either, an enforcing workspace refuses; others take the claim as unverified
/// (the visitor stays a lead). A hash or JWT that is present but wrong is always refused.
pub(super) fn resolve(
    workspace: &Workspace,
    user_id: Option<&str>,
    email: Option<&str>,
    user_hash: Option<&str>,
    user_jwt: Option<&str>,
    now: i64,
) -> Result<Option<Claimed>, AppError> {
    let user_id = non_empty(user_id);
    let email = non_empty(email);
    let secret = &workspace.identity_secret;
    if let Some(jwt) = non_empty(user_jwt) {
        let vouched = identity::verify_user_jwt(secret, &jwt, now).ok_or_else(verification_failed)?;
        if user_id.is_some() && user_id != vouched.user_id {
            return Err(verification_failed());
        }
        if let (Some(sent), Some(signed)) = (&email, &vouched.email) {
            if !sent.eq_ignore_ascii_case(signed) {
                return Err(verification_failed());
            }
        }
        let email = vouched.email.or(email);
        return Ok(Some(Claimed { user_id: vouched.user_id, email, verified: true }));
    }
    let Some(key) = user_id.clone().or_else(|| email.clone()) else {
        return Ok(None);
    };
    let verified = match non_empty(user_hash) {
        Some(hash) if identity::verify_user_hash(secret, &key, &hash) => true,
        Some(_) => return Err(verification_failed()),
        None if workspace.identity_enforced => return Err(verification_failed()),
        None => false,
    };
    Ok(Some(Claimed { user_id, email, verified }))
}
