//! The messenger API (`/messenger/…`) behind the widget, as specified in `docs/REALTIME.md`
//! section 4, and the workspace's messenger settings (`/api/messenger/settings`).
//!
//! Visitors authenticate with their signed visitor token ([`crate::visitor::Visitor`]), never with
//! the admin extractor. They only ever see the public parts of conversations they take part in;
//! any other conversation (another visitor's, another workspace's) is simply not found.
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use rapport_store::contacts::Contact;
use serde_json::{json, Value};

use crate::AppState;

mod attachments;
mod boot;
mod conversations;
mod identity;
pub mod settings;

/// The visitor-facing routes (not under `/api`, no admin authentication).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messenger/boot", post(boot::boot))
        .route("/messenger/update", post(boot::update))
        .route("/messenger/events", post(boot::events))
        .route("/messenger/conversations", get(conversations::list).post(conversations::start))
        .route("/messenger/conversations/{id}", get(conversations::show))
        .route("/messenger/conversations/{id}/messages", post(conversations::reply))
        .route("/messenger/conversations/{id}/read", post(conversations::read))
        .route(
            "/messenger/attachments",
            post(attachments::upload).layer(DefaultBodyLimit::max(crate::routes::attachments::UPLOAD_BODY_LIMIT)),
        )
        .route("/messenger/attachments/{id}", get(attachments::download))
}

/// The contact as the messenger shows it.
fn contact_json(c: &Contact) -> Value {
    json!({"id": c.id, "role": c.role, "user_id": c.external_id, "email": c.email, "name": c.name,
        "claimed_identity": crate::routes::contacts::claimed_identity_json(c)})
}
