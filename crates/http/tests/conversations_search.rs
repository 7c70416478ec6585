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

#[tokio::test]
async fn search_filters_pages_and_stays_in_the_workspace() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let joe = insert_test_contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();
        let theirs = insert_test_contact(&other.db, other.workspace.id, "user", None, None).await.unwrap();
        start(&other, theirs, "refund please").await;
        let mut refunds = Vec::new();
        for i in 0..4 {
            refunds.push(start(&app, joe, &format!("I want a refund {i}")).await);
        }
        let shipping = start(&app, joe, "Where is my parcel").await;
        let r = app
            .post(
                &format!("/api/conversations/{shipping}/parts"),
                json!({"message_type": "close", "admin_id": app.owner.id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);

        let r = app
            .post("/api/conversations/search", json!({"query": {"field": "state", "operator": "=", "value": "closed"}}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "conversation.list");
        assert_eq!((r.body["total_count"].as_i64(), ids(&r.body)), (Some(1), vec![shipping.clone()]));
        assert!(r.body["conversations"][0].get("conversation_parts").is_none());

        // Page through a word search to the end; the other workspace's refund never shows up.
        let query = json!({"operator": "AND", "value": [
            {"field": "source.body", "operator": "~", "value": "refund"},
            {"field": "open", "operator": "=", "value": true}]});
        let mut seen = Vec::new();
        let mut pagination = json!({"per_page": 3});
        loop {
            let r = app.post("/api/conversations/search", json!({"query": query, "pagination": pagination})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["total_count"], 4);
            seen.extend(ids(&r.body));
            match r.body["pages"].get("next") {
                Some(next) => pagination = json!({"per_page": 3, "starting_after": next["starting_after"]}),
                None => break,
            }
        }
        refunds.reverse();
        assert_eq!(seen, refunds);

        for bad in [
            json!({"query": {"field": "no_such_field", "operator": "=", "value": 1}}),
            json!({"query": {"field": "state", "operator": "=", "value": "open"}, "pagination": {"per_page": 0}}),
            json!({"query": {"field": "state", "operator": "=", "value": "open"}, "pagination": {"starting_after": "'; DROP TABLE x; --"}}),
            json!({"query": "state = open"}),
        ] {
            let r = app.post("/api/conversations/search", bad.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
            assert_eq!(r.body["type"], "error.list");
        }
    }
}
