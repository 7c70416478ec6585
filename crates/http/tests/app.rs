//! The agent app served from the binary (`/app`, its assets, deep links, `/` → `/app`) and its
//! Rapport-only API: `GET /api/inbox/counts`.
mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

fn header<'a>(response: &'a common::Response, name: &str) -> &'a str {
    response.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn the_app_page_deep_links_and_assets_are_served() {
    for app in TestApp::all().await {
        let root = app.request_as(None, Method::GET, "/", None).await;
        assert!(root.status.is_redirection());
        assert_eq!(header(&root, "location"), "/app");

        let page = app.request_as(None, Method::GET, "/app", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(header(&page, "content-type").starts_with("text/html"));
        assert_eq!(header(&page, "cache-control"), "no-cache");
        assert!(header(&page, "content-security-policy").contains("frame-ancestors 'none'"));
        assert_eq!(header(&page, "x-frame-options"), "DENY");
        // A deep link answers the same page; the app routes it.
        let deep = app.request_as(None, Method::GET, "/app/team:3?c=42", None).await;
        assert_eq!((deep.status, deep.text.as_str()), (StatusCode::OK, page.text.as_str()));

        let script = page.text.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a script tag");
        assert!(script.starts_with("/app/assets/") && script.ends_with(".js"), "{script}");
        let asset = app.request_as(None, Method::GET, script, None).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert!(header(&asset, "content-type").starts_with("application/javascript"));
        assert_eq!(header(&asset, "cache-control"), "public, max-age=31536000, immutable");
        for missing in ["/app/assets/nope.js", "/app/assets/../index.html", "/app/assets/%2e%2e/index.html"] {
            let r = app.request_as(None, Method::GET, missing, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
        }
    }
}

async fn conversation(app: &TestApp, email: &str) -> String {
    let contact = app.post("/api/contacts", json!({"role": "user", "email": email})).await;
    assert_eq!(contact.status, StatusCode::OK, "{}", contact.text);
    let from = json!({"type": "user", "id": contact.body["id"]});
    let r = app.post("/api/conversations", json!({"from": from, "body": "Hello"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversation_id"].as_str().or(r.body["id"].as_str()).expect("an id").to_string()
}

#[tokio::test]
async fn inbox_counts_per_view_for_the_caller_and_only_this_workspace() {
    for app in TestApp::all().await {
        let team = app.post("/api/teams", json!({"name": "Billing"})).await;
        assert_eq!(team.status, StatusCode::OK, "{}", team.text);
        let team_id = team.body["id"].as_str().unwrap().to_string();
        let owner = app.owner.id.to_string();
        let a = conversation(&app, "a@example.com").await;
        let b = conversation(&app, "b@example.com").await;
        conversation(&app, "c@example.com").await;
        let assign = |kind: &str, to: &str| json!({"message_type": "assignment", "type": kind, "admin_id": owner, "assignee_id": to});
        assert_eq!(
            app.post(&format!("/api/conversations/{a}/parts"), assign("admin", &owner)).await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.post(&format!("/api/conversations/{b}/parts"), assign("team", &team_id)).await.status,
            StatusCode::OK
        );

        // The other workspace has its own conversations, assigned to its own owner.
        let other = app.other_workspace().await;
        let theirs = conversation(&other, "x@example.com").await;
        let mine = json!({"message_type": "assignment", "type": "admin", "admin_id": other.owner.id.to_string(), "assignee_id": other.owner.id.to_string()});
        assert_eq!(other.post(&format!("/api/conversations/{theirs}/parts"), mine).await.status, StatusCode::OK);

        let r = app.get("/api/inbox/counts?state=open").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            r.body,
            json!({"type": "inbox.counts", "state": "open", "all": 3, "unassigned": 1, "mine": 1,
                   "teams": [{"id": team_id, "count": 1}], "sla_at_risk": 0, "sla_breached": 0, "mentions_unseen": 0})
        );
        assert_eq!(app.get("/api/inbox/counts").await.body["all"], 3, "open by default");
        let closed = app.get("/api/inbox/counts?state=closed").await;
        assert_eq!((closed.body["all"].as_i64(), closed.body["teams"].as_array().map(Vec::len)), (Some(0), Some(0)));
        let r = other.get("/api/inbox/counts?state=open").await;
        assert_eq!(
            (r.body["all"].as_i64(), r.body["mine"].as_i64(), r.body["unassigned"].as_i64()),
            (Some(1), Some(1), Some(0))
        );

        for bad in ["/api/inbox/counts?state=bogus", "/api/inbox/counts?state="] {
            let r = app.get(bad).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
        let r = app.request_as(None, Method::GET, "/api/inbox/counts", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
}
