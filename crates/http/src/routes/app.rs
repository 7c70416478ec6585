//! The agent inbox web app (web/app, built by build.rs and embedded at compile time): `/app` and
//! any deep link under it answer the single page, `/app/assets/*` its content-hashed files, and
//! `/` redirects to `/app`. The app talks to `/api` with the session cookie and to `/ws`.
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

mod bundle {
    include!(concat!(env!("OUT_DIR"), "/app_assets.rs"));
}

/// Asset names carry a content hash.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";
/// The page names the current assets: always revalidated. Same-origin everything, never framed.
const PAGE_CSP: &str = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/app") }))
        .route("/app", get(page))
        .route("/app/", get(page))
        .route("/app/assets/{*path}", get(asset))
        .route("/app/{*rest}", get(page))
}

fn file(path: &str) -> Option<&'static [u8]> {
    bundle::APP_FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| *bytes)
}

fn respond(path: &str, cache: &'static str, csp: Option<&'static str>) -> Response {
    let Some(bytes) = file(path) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "Not found")
            .into_response();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(super::widget::content_type(path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(csp) = csp {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// `GET /app`, `/app/...`: the single page; the app routes deep links itself.
async fn page() -> Response {
    respond("index.html", "no-cache", Some(PAGE_CSP))
}

/// `GET /app/assets/{path}`: scripts and styles with content-hashed names.
async fn asset(Path(path): Path<String>) -> Response {
    respond(&format!("assets/{path}"), ASSET_CACHE, None)
}
