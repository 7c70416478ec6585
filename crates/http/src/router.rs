//! All routes in one place: `/healthz`, the API under `/api` with its middleware, and the messenger
//! widget (`/widget.js`, `/messenger/frame`, `/demo`).
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::routes;
use crate::{AppError, AppState};

#[derive(OpenApi)]
#[openapi(
    info(title = "Rapport API", description = "Intercom 2.x compatible REST API of Rapport. See docs/API.md."),
    modifiers(&BearerAuth),
    security(("bearerAuth" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::auth::routes())
        .merge(routes::admins::routes())
        .merge(routes::teams::routes())
        .merge(routes::contacts::routes())
        .merge(routes::notes::routes())
        .merge(routes::companies::routes())
        .merge(routes::conversations::routes())
        .merge(routes::tags::routes())
        .merge(routes::data_attributes::routes())
        .merge(routes::events::routes())
        .merge(routes::inbox::routes())
        .merge(routes::attachments::routes())
        .merge(routes::messenger::settings::routes())
        .merge(routes::saved_replies::routes())
        .merge(routes::teammates::routes())
        .merge(routes::invites::routes())
        .merge(routes::tokens::routes())
        .merge(routes::assignment_rules::routes())
        .merge(routes::sla_policies::routes())
        .merge(routes::webhooks::routes())
        .merge(routes::email::routes())
        .merge(routes::github::routes())
}

/// The OpenAPI document of the API, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut openapi) = api_routes().split_for_parts();
    openapi.servers = Some(vec![utoipa::openapi::Server::new("/api")]);
    crate::openapi::add_standard_errors(&mut openapi);
    openapi
}

pub fn router(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let document = openapi();
    let api = api
        .route("/openapi.json", get(move || async move { Json(document) }))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(intercom_version))
        .layer(middleware::from_fn_with_state(state.clone(), crate::rate_limit::api_rate_limit));
    let messenger = routes::messenger::routes()
        .route("/messenger/ws", get(crate::live::visitor_socket))
        .layer(middleware::from_fn_with_state(state.clone(), crate::rate_limit::messenger_rate_limit));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws", get(crate::live::agent_socket))
        .nest("/api", api)
        .merge(routes::github::inbound())
        .merge(routes::segment::routes())
        .merge(routes::widget::routes())
        .merge(routes::app::routes())
        .merge(messenger)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn(crate::text::refuse_unstorable_uri))
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "unavailable"}))).into_response()
        }
    }
}

async fn api_not_found() -> AppError {
    AppError::not_found("not_found", "Resource Not Found")
}

async fn method_not_allowed() -> AppError {
    AppError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "This method is not allowed on this path")
}

/// Versions of the Intercom API whose shapes we answer with. The header is optional.
const INTERCOM_VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10",
    "2.11", "2.12", "2.13", "2.14", "2.15", "2.16", "Unstable",
];

async fn intercom_version(request: Request, next: Next) -> Response {
    if let Some(value) = request.headers().get("intercom-version") {
        let known = value.to_str().map(|v| INTERCOM_VERSIONS.contains(&v.trim())).unwrap_or(false);
        if !known {
            return AppError::new(
                StatusCode::BAD_REQUEST,
                "intercom_version_invalid",
                format!("Intercom-Version must be one of {}", INTERCOM_VERSIONS.join(", ")),
            )
            .into_response();
        }
    }
    next.run(request).await
}
