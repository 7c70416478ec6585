//! Helpers shared by the conversation endpoint tests.
#![allow(dead_code)]

use axum::http::StatusCode;
use rapport_core::ids::{ContactId, TeamId};
use rapport_store::teams::TeamFields;
use rapport_store::testing::contact as insert_test_contact;
use serde_json::{json, Value};

use crate::common::TestApp;

pub async fn contact(app: &TestApp, external_id: Option<&str>, email: Option<&str>) -> ContactId {
    insert_test_contact(&app.db, app.workspace.id, "user", external_id, email).await.unwrap()
}

pub async fn team(app: &TestApp, name: &str) -> TeamId {
    let fields = TeamFields { name: Some(name), distribution_method: None, assignment_limit: None };
    rapport_store::teams::create(&app.db, app.workspace.id, fields).await.unwrap().id
}

/// Starts a conversation from `contact_id`; returns its id.
pub async fn start(app: &TestApp, contact_id: ContactId, body: &str) -> String {
    let r = app
        .post("/api/conversations", json!({"from": {"type": "user", "id": contact_id.to_string()}, "body": body}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversation_id"].as_str().unwrap().to_string()
}

pub async fn get(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/api/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}
