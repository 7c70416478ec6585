//! Rate limits of the messenger: per client IP (the peer, or a trusted proxy's header when one is
//! configured) and per app_id; a refused call is a 429 `rate_limit_exceeded` that writes nothing.
mod common;
mod messenger_support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::{Response, TestApp};
use rapport_http::{AppState, HttpConfig};
use serde_json::{json, Value};

/// The test app with its router rebuilt on `config`.
async fn limited(db: rapport_store::Db, config: HttpConfig) -> TestApp {
    let mut app = TestApp::on(db).await;
    app.router = rapport_http::router(AppState::new(app.db.clone(), config));
    app
}

/// A messenger call from `peer`, with extra headers.
async fn call(
    app: &TestApp,
    peer: &str,
    headers: &[(&str, &str)],
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let mut request = match body {
        Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await
}

async fn boot_from(app: &TestApp, peer: &str, headers: &[(&str, &str)], app_id: &str) -> Response {
    call(app, peer, headers, Method::POST, "/messenger/boot", None, Some(json!({"app_id": app_id}))).await
}

async fn contact_count(app: &TestApp) -> i64 {
    rapport_store::contacts::count(&app.db, app.workspace.id).await.unwrap()
}

fn assert_refused(r: &Response, limit: &str) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text);
    assert_eq!(r.error_code(), "rate_limit_exceeded");
    assert_eq!(r.headers["x-ratelimit-limit"], limit);
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
}

#[tokio::test]
async fn an_ip_that_spends_its_budget_is_refused_and_other_ips_are_not() {
    for db in rapport_store::testing::all().await {
        let config = HttpConfig { messenger_calls_per_minute_per_ip: 3, ..HttpConfig::default() };
        let app = limited(db, config).await;
        let app_id = app.workspace.app_id.clone();
        let mut token = String::new();
        for remaining in ["2", "1", "0"] {
            let r = boot_from(&app, "203.0.113.7", &[], &app_id).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.headers["x-ratelimit-limit"], "3");
            assert_eq!(r.headers["x-ratelimit-remaining"], remaining);
            token = r.body["visitor_token"].as_str().unwrap().to_string();
        }
        let before = contact_count(&app).await;
        assert_refused(&boot_from(&app, "203.0.113.7", &[], &app_id).await, "3");
        assert_eq!(contact_count(&app).await, before, "a refused boot creates no lead");
        // Every messenger call counts, the visitor-token ones too.
        let r = call(&app, "203.0.113.7", &[], Method::GET, "/messenger/conversations", Some(&token), None).await;
        assert_refused(&r, "3");
        let r = call(&app, "203.0.113.7", &[], Method::GET, "/messenger/ws", Some(&token), None).await;
        assert_refused(&r, "3");
        // Another address has its own budget; so does the API.
        let r = boot_from(&app, "198.51.100.20", &[], &app_id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.headers["x-ratelimit-remaining"], "2");
        let r = call(&app, "198.51.100.20", &[], Method::GET, "/messenger/conversations", Some(&token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(app.get("/api/me").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn an_app_id_has_its_own_budget_whatever_the_ip() {
    for db in rapport_store::testing::all().await {
        let config = HttpConfig { messenger_calls_per_minute_per_app: 2, ..HttpConfig::default() };
        let app = limited(db, config).await;
        let other = app.other_workspace().await;
        let app_id = app.workspace.app_id.clone();
        let first = boot_from(&app, "192.0.2.1", &[], &app_id).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        let token = first.body["visitor_token"].as_str().unwrap().to_string();
        assert_eq!(boot_from(&app, "192.0.2.2", &[], &app_id).await.status, StatusCode::OK);
        let before = contact_count(&app).await;
        assert_refused(&boot_from(&app, "192.0.2.3", &[], &app_id).await, "2");
        let r = call(&app, "192.0.2.4", &[], Method::GET, "/messenger/conversations", Some(&token), None).await;
        assert_refused(&r, "2");
        assert_eq!(contact_count(&app).await, before);
        // Another workspace's messenger is unaffected, from the same address.
        let r = boot_from(&app, "192.0.2.3", &[], &other.workspace.app_id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

#[tokio::test]
async fn a_forwarded_address_counts_only_when_the_proxy_header_is_trusted() {
    for db in rapport_store::testing::all().await {
        // Not configured: the header is the client's to forge, so the peer's budget applies.
        let config = HttpConfig { messenger_calls_per_minute_per_ip: 1, ..HttpConfig::default() };
        let app = limited(db.clone(), config).await;
        let app_id = app.workspace.app_id.clone();
        let r = boot_from(&app, "10.0.0.1", &[("x-forwarded-for", "203.0.113.1")], &app_id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = boot_from(&app, "10.0.0.1", &[("x-forwarded-for", "203.0.113.2")], &app_id).await;
        assert_refused(&r, "1");

        // Behind a trusted proxy: its header names the client (its last entry, which the proxy
        // appended; what the client put before it does not count).
        let config = HttpConfig {
            messenger_calls_per_minute_per_ip: 1,
            trusted_client_ip_header: Some("X-Forwarded-For".into()),
            ..HttpConfig::default()
        };
        let app = limited(db, config).await;
        let app_id = app.workspace.app_id.clone();
        let r = boot_from(&app, "10.0.0.1", &[("x-forwarded-for", "203.0.113.1")], &app_id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = boot_from(&app, "10.0.0.1", &[("x-forwarded-for", "203.0.113.2")], &app_id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = boot_from(&app, "10.0.0.1", &[("x-forwarded-for", "1.2.3.4, 203.0.113.2")], &app_id).await;
        assert_refused(&r, "1");
    }
}
