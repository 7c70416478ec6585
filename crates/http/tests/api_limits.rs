//! The `/api` rate limit counts each caller apart: a credential by itself, and callers without
//! one (signing in, accepting an invite) by their address, so one of them cannot use up the
//! budget of all the others.
mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::{Response, TestApp};
use rapport_http::{AppState, HttpConfig};

async fn me_from(app: &TestApp, peer: &str, token: Option<&str>) -> Response {
    let mut builder = Request::builder().uri("/api/me");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let mut request = builder.body(Body::empty()).unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await
}

#[tokio::test]
async fn callers_without_a_credential_are_counted_by_address() {
    for mut app in TestApp::all().await {
        let config = HttpConfig { api_calls_per_minute: 2, ..HttpConfig::default() };
        app.router = rapport_http::router(AppState::new(app.db.clone(), config));

        for _ in 0..2 {
            assert_eq!(me_from(&app, "203.0.113.7", None).await.status, StatusCode::UNAUTHORIZED);
        }
        let refused = me_from(&app, "203.0.113.7", None).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
        assert_eq!(refused.error_code(), "rate_limit_exceeded");

        // Another address, and a token from the spent address, each have their own budget.
        assert_eq!(me_from(&app, "198.51.100.9", None).await.status, StatusCode::UNAUTHORIZED);
        let token = app.token.clone();
        let me = me_from(&app, "203.0.113.7", Some(&token)).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        assert_eq!(me.headers["x-ratelimit-remaining"], "1");
    }
}
