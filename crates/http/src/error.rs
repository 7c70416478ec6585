//! The one error story of the API: every failure becomes an Intercom `error.list` body with a
//! precise `code`. Unexpected failures are logged in full and answered with a bare 500.
//!
//! Conflicts arrive typed ([`rapport_store::Conflict`]) and are mapped here by variant, never by
//! their text: a tag in use is 400 `tag_has_dependent_objects`, every other known conflict 409
//! `conflict` with its message. A unique violation no repository named (`Conflict::Unknown`) is
//! 409 `conflict` with a generic message; the driver's text (tables, constraints) goes to the log
//! only.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rapport_store::{Conflict, StoreError};
use serde_json::json;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400 `bad_request`: the request cannot be understood (malformed JSON, wrong shape).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 400 `parameter_invalid`: a parameter has a value we cannot accept.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parameter_invalid", message).with_field(field)
    }

    /// 400 `parameter_not_found`: a required parameter is missing.
    pub fn missing(field: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parameter_not_found", format!("{field} is required")).with_field(field)
    }

    /// 404 with a resource-specific code (`not_found`, `company_not_found`, `admin_not_found`, …).
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Access Token Invalid")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// A failure that is our fault: logged with its cause, answered without details.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "An internal error occurred")
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity } => not_found_for(entity),
            StoreError::Conflict(conflict) => conflict_error(&conflict),
            StoreError::Invalid(message) => AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", message),
            StoreError::InvalidField { field, message } => AppError::invalid(field, message),
            other => AppError::internal(other),
        }
    }
}

/// The code, status and message of each conflict the store knows. Every variant is named, so a new
/// one needs a decision here.
pub fn conflict_error(conflict: &Conflict) -> AppError {
    match conflict {
        Conflict::TagInUse => AppError::new(StatusCode::BAD_REQUEST, "tag_has_dependent_objects", conflict.answer()),
        Conflict::DuplicateName(_)
        | Conflict::AttributeNameTaken { .. }
        | Conflict::ExternalIdTaken
        | Conflict::ContactExists { .. }
        | Conflict::ContactHasConversations
        | Conflict::IdentityTaken { .. }
        | Conflict::IdentityIsPrimary { .. }
        | Conflict::IdentityAlreadyHeld { .. }
        | Conflict::IdentityJustTaken { .. }
        | Conflict::ClientIdUsedElsewhere
        | Conflict::AdminEmailTaken { .. }
        | Conflict::SupportAddressTaken { .. }
        | Conflict::CompanyIdBusy
        | Conflict::CompanyBeingCreated { .. }
        // Generic: `answer` logs the detail and gives the message without it.
        | Conflict::Unknown { .. } => AppError::conflict(conflict.answer()),
    }
}

/// The Intercom code and message for a missing entity of each kind.
pub fn not_found_for(entity: &str) -> AppError {
    match entity {
        "company" => AppError::not_found("company_not_found", "Company Not Found"),
        "admin" => AppError::not_found("admin_not_found", "Admin not found"),
        "team" => AppError::not_found("team_not_found", "Team not found"),
        "tag" => AppError::not_found("tag_not_found", "Tag not found"),
        "contact" => AppError::not_found("not_found", "User Not Found"),
        "data_attribute" => AppError::not_found("field_not_found", "We couldn't find that data attribute"),
        "conversation" => AppError::not_found("not_found", "Resource Not Found"),
        _ => AppError::not_found("not_found", "Resource Not Found"),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        let body = json!({
            "type": "error.list",
            "request_id": uuid::Uuid::new_v4().to_string(),
            "errors": [error],
        });
        (self.status, Json(body)).into_response()
    }
}
