mod common;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{json, Value};

async fn contact(app: &TestApp, body: Value) -> String {
    let r = app.post("/api/contacts", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn ids(body: &Value) -> Vec<String> {
    body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn search_pages_by_cursor_and_skips_merged_leads() {
    for app in TestApp::all().await {
        let alice = contact(&app, json!({"role": "user", "email": "alice@acme.com", "external_id": "a"})).await;
        let _bob = contact(&app, json!({"role": "lead", "email": "bob@example.org"})).await;
        let carol = contact(&app, json!({"role": "user", "email": "carol@ACME.com"})).await;
        let visitor = contact(&app, json!({"role": "lead", "email": "visitor@acme.com"})).await;
        let other = app.other_workspace().await;
        contact(&other, json!({"email": "alice@acme.com"})).await;

        let query = json!({"field": "email", "operator": "~", "value": "acme"});
        let r = app.post("/api/contacts/search", json!({"query": query})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "list");
        assert_eq!(r.body["total_count"], 3);
        assert_eq!(ids(&r.body), vec![alice.clone(), carol.clone(), visitor.clone()]);
        assert_eq!(r.body["data"][0]["type"], "contact");
        assert!(r.body["pages"].get("next").is_none());

        // Cursor paging, one at a time, until `next` disappears.
        let mut seen = Vec::new();
        let mut starting_after = Value::Null;
        for page in 1..=3 {
            let body = json!({"query": query, "pagination": {"per_page": 1, "starting_after": starting_after}});
            let r = app.post("/api/contacts/search", body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["pages"]["page"], page);
            assert_eq!(r.body["pages"]["total_pages"], 3);
            seen.extend(ids(&r.body));
            match r.body["pages"].get("next") {
                Some(next) => starting_after = next["starting_after"].clone(),
                None => assert_eq!(page, 3),
            }
        }
        assert_eq!(seen, vec![alice.clone(), carol.clone(), visitor.clone()]);

        // A group with AND/OR, and a tag filter.
        let tag = rapport_store::tags::find_or_create(&app.db, app.workspace.id, "VIP").await.unwrap();
        app.post(&format!("/api/contacts/{carol}/tags"), json!({"id": tag.id})).await;
        let grouped = json!({"operator": "AND", "value": [
            {"field": "role", "operator": "=", "value": "user"},
            {"operator": "OR", "value": [
                {"field": "tag_id", "operator": "=", "value": tag.id.to_string()},
                {"field": "external_id", "operator": "=", "value": "a"}]}]});
        let r = app.post("/api/contacts/search", json!({"query": grouped})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(ids(&r.body), vec![alice.clone(), carol.clone()]);

        // Merged leads never match.
        let r = app.post("/api/contacts/merge", json!({"from": visitor, "into": alice})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.post("/api/contacts/search", json!({"query": query})).await;
        assert_eq!(ids(&r.body), vec![alice.clone(), carol.clone()]);
        assert_eq!(r.body["total_count"], 2);

        // Another workspace sees only its own contact.
        let r = other.post("/api/contacts/search", json!({"query": query})).await;
        assert_eq!(r.body["total_count"], 1);
    }
}

#[tokio::test]
async fn bad_searches_are_precise_400s() {
    for app in TestApp::all().await {
        contact(&app, json!({"email": "alice@acme.com"})).await;
        let good = json!({"field": "email", "operator": "=", "value": "alice@acme.com"});
        let cases = [
            (json!({}), "parameter_not_found"),
            (json!({"query": {"field": "no_such_field", "operator": "=", "value": "x"}}), "parameter_invalid"),
            (json!({"query": {"field": "email", "operator": "<", "value": 3}}), "parameter_invalid"),
            (json!({"query": {"field": "email", "operator": "LIKE", "value": "x"}}), "parameter_invalid"),
            (json!({"query": "email = 'x'; DROP TABLE contacts; --"}), "parameter_invalid"),
            (json!({"query": good, "pagination": {"per_page": 0}}), "parameter_invalid"),
            (json!({"query": good, "pagination": {"per_page": 151}}), "parameter_invalid"),
            (json!({"query": good, "pagination": {"per_page": "ten"}}), "parameter_invalid"),
            (json!({"query": good, "pagination": {"starting_after": "forged"}}), "parameter_invalid"),
        ];
        for (body, code) in cases {
            let r = app.post("/api/contacts/search", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, code), "{body}: {}", r.text);
        }
        // Hostile values are only ever bound: they simply match nothing.
        let hostile = json!({"field": "name", "operator": "=", "value": "'; DROP TABLE contacts; --"});
        let r = app.post("/api/contacts/search", json!({"query": hostile})).await;
        assert_eq!((r.status, r.body["total_count"].clone()), (StatusCode::OK, json!(0)));
        let r = app.post("/api/contacts/search", json!({"query": good})).await;
        assert_eq!(r.body["total_count"], 1);
    }
}
