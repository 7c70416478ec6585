//! Rapport extensions of `POST /api/conversations/search`: the `sort` member and `parts.body`.
mod common;

use axum::http::StatusCode;
use common::TestApp;
use rapport_core::ids::ContactId;
use rapport_store::testing::contact as insert_test_contact;
use serde_json::{json, Value};

async fn start(app: &TestApp, contact_id: ContactId, body: &str) -> String {
    let r = app.post("/api/conversations", json!({"from": {"type": "user", "id": contact_id}, "body": body})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversation_id"].as_str().unwrap().to_string()
}

fn ids(body: &Value) -> Vec<String> {
    body["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

/// Every page of a search with `sort`, two at a time.
async fn walk(app: &TestApp, query: &Value, sort: &Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut pagination = json!({"per_page": 2});
    loop {
        let r = app
            .post("/api/conversations/search", json!({"query": query, "sort": sort, "pagination": pagination}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        seen.extend(ids(&r.body));
        match r.body["pages"].get("next") {
            Some(next) => pagination = json!({"per_page": 2, "starting_after": next["starting_after"]}),
            None => break,
        }
    }
    seen
}

#[tokio::test]
async fn sort_orders_pages_and_refuses_bad_input() {
    for app in TestApp::all().await {
        let joe = insert_test_contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();
        let mut started = Vec::new();
        for i in 0..5 {
            started.push(start(&app, joe, &format!("message {i}")).await);
        }
        // An admin reply stops the wait of the second. (No endpoint sets priority yet; the store tests
        // cover priority rows.)
        let r = app
            .post(
                &format!("/api/conversations/{}/reply", started[1]),
                json!({"message_type": "comment", "type": "admin", "admin_id": app.owner.id, "body": "on it"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        let open = json!({"field": "state", "operator": "=", "value": "open"});
        let by_created_asc = walk(&app, &open, &json!({"field": "created_at", "order": "asc"})).await;
        let mut created = by_created_asc.clone();
        created.sort_by_key(|id| id.parse::<i64>().unwrap());
        assert_eq!(by_created_asc, created, "created_at ties break on id");
        let by_created_desc = walk(&app, &open, &json!({"field": "created_at"})).await;
        assert_eq!(by_created_desc, created.iter().rev().cloned().collect::<Vec<_>>());
        let urgent = walk(&app, &open, &json!({"field": "priority", "order": "desc"})).await;
        assert_eq!(urgent[0], started[0], "longest waiting first");
        assert_eq!(urgent.last(), Some(&started[1]), "not waiting sorts last");
        assert_eq!(urgent.len(), 5);
        let waiting = walk(&app, &open, &json!({"field": "waiting_since", "order": "asc"})).await;
        assert_eq!(waiting.last(), Some(&started[1]));

        // A cursor of one sort is refused by another; bad sorts are parameter_invalid.
        let r = app
            .post(
                "/api/conversations/search",
                json!({"query": open, "sort": {"field": "created_at"}, "pagination": {"per_page": 2}}),
            )
            .await;
        let cursor = r.body["pages"]["next"]["starting_after"].clone();
        let r = app
            .post(
                "/api/conversations/search",
                json!({"query": open, "sort": {"field": "updated_at"}, "pagination": {"starting_after": cursor}}),
            )
            .await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{}", r.text);
        for bad in [
            json!({"field": "title"}),
            json!({"field": "created_at", "order": "up"}),
            json!({"field": 3}),
            json!("updated_at"),
            json!({"field": "created_at", "extra": 1}),
        ] {
            let r = app.post("/api/conversations/search", json!({"query": open, "sort": bad})).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}: {}", r.text);
            assert_eq!(r.body["type"], "error.list");
        }
        // The plain list still pages with its own cursors.
        let r = app.get("/api/conversations?per_page=2").await;
        let next = r.body["pages"]["next"]["starting_after"].as_str().unwrap().to_string();
        let r = app.get(&format!("/api/conversations?per_page=2&starting_after={next}")).await;
        assert_eq!((r.status, r.body["total_count"].as_i64()), (StatusCode::OK, Some(5)), "{}", r.text);
    }
}

#[tokio::test]
async fn parts_body_finds_replies_and_notes_in_this_workspace_only() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let joe = insert_test_contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();
        let theirs = insert_test_contact(&other.db, other.workspace.id, "user", None, None).await.unwrap();
        start(&other, theirs, "the chargeback again").await;
        let mine = start(&app, joe, "hello").await;
        let r = app
            .post(
                &format!("/api/conversations/{mine}/reply"),
                json!({"message_type": "note", "type": "admin", "admin_id": app.owner.id, "body": "Possible CHARGEBACK"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let search = |value: &str| json!({"query": {"field": "parts.body", "operator": "~", "value": value}});
        let r = app.post("/api/conversations/search", search("chargeback")).await;
        assert_eq!((r.status, ids(&r.body)), (StatusCode::OK, vec![mine.clone()]), "{}", r.text);
        let r = other.post("/api/conversations/search", search("possible")).await;
        assert_eq!(ids(&r.body), Vec::<String>::new());
        for hostile in [r#""NEAR("#, "*", "-", "OR (", r#"\""#] {
            let r = app.post("/api/conversations/search", search(hostile)).await;
            assert_eq!(r.status, StatusCode::OK, "{hostile}: {}", r.text);
        }
        let r = app
            .post(
                "/api/conversations/search",
                json!({"query": {"field": "parts.body", "operator": "IN", "value": ["a"]}}),
            )
            .await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{}", r.text);
    }
}
