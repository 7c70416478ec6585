//! The messenger widget served from the binary: loader, iframe page, assets and the demo site.
mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;

fn header<'a>(response: &'a common::Response, name: &str) -> &'a str {
    response.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn widget_js_is_public_javascript_with_short_caching_and_cors() {
    for app in TestApp::all().await {
        for path in ["/widget.js", &format!("/widget/{}", app.workspace.app_id)] {
            let response = app.request_as(None, Method::GET, path, None).await;
            assert_eq!(response.status, StatusCode::OK, "{path}");
            assert!(header(&response, "content-type").starts_with("application/javascript"), "{path}");
            assert_eq!(header(&response, "cache-control"), "public, max-age=300");
            assert_eq!(header(&response, "access-control-allow-origin"), "*");
            assert!(response.text.contains("Intercom"), "the loader defines window.Intercom");
        }
    }
}

#[tokio::test]
async fn messenger_frame_is_html_naming_immutable_assets() {
    for app in TestApp::all().await {
        let frame = app.request_as(None, Method::GET, "/messenger/frame", None).await;
        assert_eq!(frame.status, StatusCode::OK);
        assert!(header(&frame, "content-type").starts_with("text/html"));
        assert_eq!(header(&frame, "cache-control"), "no-cache");
        assert!(header(&frame, "content-security-policy").contains("frame-ancestors *"));
        assert!(frame.headers.get("x-frame-options").is_none(), "any site may frame the messenger");

        let script = frame.text.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a script tag");
        assert!(script.starts_with("/messenger/assets/") && script.ends_with(".js"), "{script}");
        let asset = app.request_as(None, Method::GET, script, None).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert!(header(&asset, "content-type").starts_with("application/javascript"));
        assert_eq!(header(&asset, "cache-control"), "public, max-age=31536000, immutable");
    }
}

#[tokio::test]
async fn unknown_assets_are_404_and_never_escape_the_bundle() {
    for app in TestApp::all().await {
        for path in
            ["/messenger/assets/nope.js", "/messenger/assets/../widget.js", "/messenger/assets/%2e%2e/frame.html"]
        {
            let response = app.request_as(None, Method::GET, path, None).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        }
    }
}

#[tokio::test]
async fn demo_embeds_the_first_workspace_with_intercoms_snippet() {
    for app in TestApp::all().await {
        let response = app.request_as(None, Method::GET, "/demo", None).await;
        assert_eq!(response.status, StatusCode::OK);
        assert!(header(&response, "content-type").starts_with("text/html"));
        let first = rapport_store::workspaces::list(&app.db).await.unwrap().remove(0);
        assert!(response.text.contains(&format!("window.intercomSettings = {{\"app_id\":\"{}\"}}", first.app_id)));
        assert!(response.text.contains("s.src='/widget.js'"));
    }
}

#[tokio::test]
async fn demo_boots_the_workspace_and_user_asked_for_and_escapes_them() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let path = format!(
            "/demo?app_id={}&user_id=u-1&email=ada%40example.com&user_hash=%3C%2Fscript%3E%3Cscript%3Ealert(1)",
            other.workspace.app_id
        );
        let response = app.request_as(None, Method::GET, &path, None).await;
        assert_eq!(response.status, StatusCode::OK);
        assert!(response.text.contains(&format!("\"app_id\":\"{}\"", other.workspace.app_id)));
        assert!(response.text.contains("\"user_id\":\"u-1\",\"email\":\"ada@example.com\""));
        assert!(!response.text.contains("</script><script>alert(1)"), "identity values are escaped");
        assert!(response.text.contains("\\u003c/script\\u003e"));

        let unknown = app.request_as(None, Method::GET, "/demo?app_id=nope", None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
}
