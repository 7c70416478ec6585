//! One module per resource; each exposes `routes()` with its handlers and their OpenAPI paths.
pub mod admins;
pub mod app;
pub mod assignment_rules;
pub mod attachments;
pub mod auth;
pub mod companies;
pub mod contacts;
pub mod conversations;
pub mod data_attributes;
pub mod email;
pub mod events;
pub mod github;
pub mod inbox;
pub mod invites;
pub mod messenger;
pub mod notes;
pub mod saved_replies;
pub mod segment;
pub mod sla_policies;
pub mod tags;
pub mod teammates;
pub mod teams;
pub mod tokens;
pub mod webhooks;
pub mod widget;

pub type ApiRouter = utoipa_axum::router::OpenApiRouter<crate::AppState>;
