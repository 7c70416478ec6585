//! The messenger, served from the binary without auth and outside `/api`: the `widget.js` loader
//! (also at `/widget/{app_id}`, the path of Intercom's snippet), the iframe page `/messenger/frame`
//! with its hashed assets, and `/demo`, a small customer site that embeds the widget. The files are
//! built from web/widget by build.rs and embedded at compile time.
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::AppState;

mod bundle {
    include!(concat!(env!("OUT_DIR"), "/widget_assets.rs"));
}

const DEMO_PAGE: &str = include_str!("widget_demo.html");
/// The loader may change with any release: caches keep it for five minutes.
const LOADER_CACHE: &str = "public, max-age=300";
/// Asset names carry a content hash.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";
/// The frame page is tiny and names the current assets: always revalidated.
const FRAME_CSP: &str = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; \
    connect-src 'self'; frame-ancestors *; base-uri 'none'; form-action 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(loader))
        .route("/widget/{app_id}", get(loader))
        .route("/messenger/frame", get(frame))
        .route("/messenger/assets/{*path}", get(asset))
        .route("/demo", get(demo))
}

fn file(path: &str) -> Option<&'static [u8]> {
    bundle::WIDGET_FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| *bytes)
}

/// The Content-Type of an embedded bundle file (the widget's and the agent app's), by extension.
pub(crate) fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("js") => "application/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "Not found").into_response()
}

fn respond(path: &str, cache: &'static str, extra: &[(header::HeaderName, &'static str)]) -> Response {
    let Some(bytes) = file(path) else { return not_found() };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    for (name, value) in extra {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /widget.js`: the loader, loadable from any site.
async fn loader() -> Response {
    respond("widget.js", LOADER_CACHE, &[(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")])
}

/// `GET /messenger/frame`: the page of the messenger iframe; any site may frame it.
async fn frame() -> Response {
    respond("frame.html", "no-cache", &[(header::CONTENT_SECURITY_POLICY, FRAME_CSP)])
}

/// `GET /messenger/assets/{path}`: the frame's scripts and styles (content-hashed names).
async fn asset(Path(path): Path<String>) -> Response {
    respond(&format!("assets/{path}"), ASSET_CACHE, &[(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")])
}

#[derive(Debug, Deserialize)]
struct DemoQuery {
    app_id: Option<String>,
    user_id: Option<String>,
    email: Option<String>,
    user_hash: Option<String>,
    name: Option<String>,
}

/// `GET /demo`: a small SaaS site embedding the widget with Intercom's snippet. `?app_id=` picks
/// the workspace (default: the first one); `?user_id=&email=&user_hash=&name=` boot a user.
async fn demo(State(state): State<AppState>, Query(query): Query<DemoQuery>) -> Response {
    let workspace = match &query.app_id {
        Some(app_id) => rapport_store::workspaces::find_by_app_id(&state.db, app_id).await.ok(),
        None => rapport_store::workspaces::list(&state.db).await.ok().and_then(|all| all.into_iter().next()),
    };
    let Some(workspace) = workspace else {
        let text = "No such workspace. Start Rapport with --demo, or pass ?app_id= of an existing workspace.";
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response();
    };
    let mut settings = serde_json::Map::new();
    settings.insert("app_id".into(), workspace.app_id.clone().into());
    let identity =
        [("user_id", &query.user_id), ("email", &query.email), ("user_hash", &query.user_hash), ("name", &query.name)];
    for (key, value) in identity {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            settings.insert(key.into(), value.into());
        }
    }
    let visitor = query.email.as_deref().or(query.user_id.as_deref()).unwrap_or("an anonymous visitor");
    let page = DEMO_PAGE
        .replace("{{SETTINGS}}", &script_json(&serde_json::Value::Object(settings)))
        .replace("{{WORKSPACE}}", &html_escape(&workspace.name))
        .replace("{{VISITOR}}", &html_escape(visitor));
    let headers = [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (headers, page).into_response()
}

/// JSON safe to place inside a `<script>` element.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
