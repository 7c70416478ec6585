//! Conversation endpoints refuse bad input, viewers and other workspaces' ids, writing nothing.
mod common;
mod conversations_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use conversations_support::{contact, get, start, team};
use rapport_core::admin::AdminRole;
use serde_json::{json, Value};

#[tokio::test]
async fn bad_input_is_a_precise_4xx_and_writes_nothing() {
    for app in TestApp::all().await {
        let joe = contact(&app, Some("u-1"), Some("joe@example.com")).await;
        let ann = contact(&app, Some("u-2"), Some("ann@example.com")).await;
        let id = start(&app, joe, "Hi").await;
        let owner = app.owner.id;
        let before = get(&app, &id).await;
        let reply = format!("/api/conversations/{id}/reply");
        let parts = format!("/api/conversations/{id}/parts");
        let cases: Vec<(&str, Value, StatusCode)> = vec![
            (
                &reply,
                json!({"message_type": "quick_reply", "type": "admin", "admin_id": owner, "body": "x"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &reply,
                json!({"message_type": "shout", "type": "admin", "admin_id": owner, "body": "x"}),
                StatusCode::BAD_REQUEST,
            ),
            (&reply, json!({"type": "admin", "admin_id": owner, "body": "x"}), StatusCode::BAD_REQUEST),
            (
                &reply,
                json!({"message_type": "comment", "type": "bot", "admin_id": owner, "body": "x"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "admin", "admin_id": owner, "body": ""}),
                StatusCode::BAD_REQUEST,
            ),
            (&reply, json!({"message_type": "comment", "type": "admin", "body": "x"}), StatusCode::BAD_REQUEST),
            (
                &reply,
                json!({"message_type": "comment", "type": "admin", "admin_id": 999_999, "body": "x"}),
                StatusCode::NOT_FOUND,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "admin", "admin_id": "'; DROP TABLE admins; --", "body": "x"}),
                StatusCode::NOT_FOUND,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "admin", "admin_id": [1], "body": "x"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "admin", "admin_id": owner, "body": 42}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &reply,
                json!({"message_type": "note", "type": "user", "intercom_user_id": joe, "body": "x"}),
                StatusCode::BAD_REQUEST,
            ),
            (&reply, json!({"message_type": "comment", "type": "user", "body": "x"}), StatusCode::BAD_REQUEST),
            (
                &reply,
                json!({"message_type": "comment", "type": "user", "user_id": "u-1", "email": "joe@example.com", "body": "x"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "user", "intercom_user_id": ann, "body": "not mine"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "user", "email": "nobody@example.com", "body": "x"}),
                StatusCode::NOT_FOUND,
            ),
            (
                &reply,
                json!({"message_type": "comment", "type": "user", "user_id": "' OR 1=1 --", "body": "x"}),
                StatusCode::NOT_FOUND,
            ),
            (
                &parts,
                json!({"message_type": "snoozed", "admin_id": owner, "snoozed_until": 1}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &parts,
                json!({"message_type": "snoozed", "admin_id": owner, "snoozed_until": "tomorrow"}),
                StatusCode::BAD_REQUEST,
            ),
            (&parts, json!({"message_type": "snoozed", "admin_id": owner}), StatusCode::BAD_REQUEST),
            (&parts, json!({"message_type": "open", "admin_id": owner}), StatusCode::BAD_REQUEST),
            (&parts, json!({"message_type": "reopen", "admin_id": owner}), StatusCode::BAD_REQUEST),
            (&parts, json!({"message_type": "close"}), StatusCode::BAD_REQUEST),
            (&parts, json!({"message_type": "close", "type": "user", "admin_id": owner}), StatusCode::BAD_REQUEST),
            (
                &parts,
                json!({"message_type": "assignment", "admin_id": owner, "assignee_id": owner}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &parts,
                json!({"message_type": "assignment", "type": "bot", "admin_id": owner, "assignee_id": owner}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &parts,
                json!({"message_type": "assignment", "type": "admin", "admin_id": owner}),
                StatusCode::BAD_REQUEST,
            ),
            (
                &parts,
                json!({"message_type": "assignment", "type": "admin", "admin_id": owner, "assignee_id": 999_999}),
                StatusCode::NOT_FOUND,
            ),
            (
                &parts,
                json!({"message_type": "assignment", "type": "team", "admin_id": owner, "assignee_id": 999_999}),
                StatusCode::NOT_FOUND,
            ),
            (
                &parts,
                json!({"message_type": "assignment", "type": "team", "admin_id": owner, "assignee_id": {"id": 1}}),
                StatusCode::BAD_REQUEST,
            ),
            ("/api/conversations", json!({"from": {"type": "admin", "id": joe}, "body": "x"}), StatusCode::BAD_REQUEST),
            ("/api/conversations", json!({"from": {"type": "user", "id": joe}}), StatusCode::BAD_REQUEST),
            ("/api/conversations", json!({"body": "x"}), StatusCode::BAD_REQUEST),
            (
                "/api/conversations",
                json!({"from": {"type": "user", "id": 999_999}, "body": "x"}),
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/conversations",
                json!({"from": {"type": "user", "id": "<script>"}, "body": "x"}),
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/conversations",
                json!({"from": {"type": "user", "id": joe}, "body": "x", "created_at": "yesterday"}),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/conversations",
                json!({"from": {"type": "user", "id": joe}, "body": "x", "created_at": -5}),
                StatusCode::BAD_REQUEST,
            ),
            ("/api/conversations/search", json!({}), StatusCode::BAD_REQUEST),
        ];
        for (path, body, status) in cases {
            let r = app.post(path, body.clone()).await;
            assert_eq!(r.status, status, "{path} {body}: {}", r.text);
            assert_eq!(r.body["type"], "error.list");
        }
        let r = app.post_raw(&reply, "application/json", "{not json").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));
        let r = app.put(&format!("/api/conversations/{id}"), json!({"read": "yes"})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = app.post(&format!("/api/conversations/{id}/tags"), json!({"id": 999_999, "admin_id": owner})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));
        let r = app.post(&format!("/api/conversations/{id}/tags"), json!({"admin_id": owner})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));

        assert_eq!(get(&app, &id).await, before);
        let r = app.get("/api/conversations").await;
        assert_eq!(r.body["total_count"], 1);

        // A closed conversation cannot be closed again.
        app.post(&parts, json!({"message_type": "close", "admin_id": owner})).await;
        let closed = get(&app, &id).await;
        let r = app.post(&parts, json!({"message_type": "close", "admin_id": owner})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        assert_eq!(get(&app, &id).await, closed);
    }
}

#[tokio::test]
async fn viewers_read_but_cannot_write() {
    for app in TestApp::all().await {
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let joe = contact(&app, None, None).await;
        let id = start(&app, joe, "Hi").await;
        let before = get(&app, &id).await;
        let tag = rapport_store::tags::find_or_create(&app.db, app.workspace.id, "vip").await.unwrap();
        let owner = app.owner.id;
        let writes = [
            (Method::POST, "/api/conversations".to_string(), json!({"from": {"type": "user", "id": joe}, "body": "x"})),
            (Method::PUT, format!("/api/conversations/{id}"), json!({"read": true})),
            (
                Method::POST,
                format!("/api/conversations/{id}/reply"),
                json!({"message_type": "comment", "type": "admin", "admin_id": owner, "body": "x"}),
            ),
            (
                Method::POST,
                format!("/api/conversations/{id}/parts"),
                json!({"message_type": "close", "admin_id": owner}),
            ),
            (Method::POST, format!("/api/conversations/{id}/tags"), json!({"id": tag.id, "admin_id": owner})),
            (Method::DELETE, format!("/api/conversations/{id}/tags/{}", tag.id), json!({})),
            (Method::POST, format!("/api/conversations/{id}/run_assignment_rules"), json!({})),
            (Method::DELETE, format!("/api/conversations/{id}"), json!({})),
        ];
        for (method, path, body) in writes {
            let r = app.request_as(Some(&viewer), method.clone(), &path, Some(body)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}: {}", r.text);
        }
        assert_eq!(get(&app, &id).await, before);
        let r = app.request_as(Some(&viewer), Method::GET, "/api/conversations", None).await;
        assert_eq!(r.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn other_workspaces_ids_are_not_found() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let joe = contact(&app, Some("u-1"), Some("joe@example.com")).await;
        let id = start(&app, joe, "Hi").await;
        let theirs = contact(&other, Some("u-1"), Some("joe@example.com")).await;
        let their_id = start(&other, theirs, "Theirs").await;
        let their_team = team(&other, "Their team").await;
        let their_tag = rapport_store::tags::find_or_create(&other.db, other.workspace.id, "theirs").await.unwrap();
        let owner = app.owner.id;
        let before = get(&app, &id).await;

        // Their conversation, through every endpoint.
        let c = format!("/api/conversations/{their_id}");
        let r = app.get(&c).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        for (method, path, body) in [
            (Method::PUT, c.clone(), json!({"read": true})),
            (Method::DELETE, c.clone(), json!({})),
            (
                Method::POST,
                format!("{c}/reply"),
                json!({"message_type": "comment", "type": "admin", "admin_id": owner, "body": "x"}),
            ),
            (Method::POST, format!("{c}/parts"), json!({"message_type": "close", "admin_id": owner})),
            (Method::POST, format!("{c}/tags"), json!({"id": their_tag.id, "admin_id": owner})),
            (Method::DELETE, format!("{c}/tags/{}", their_tag.id), json!({})),
            (Method::POST, format!("{c}/run_assignment_rules"), json!({})),
        ] {
            let r = app.request_as(Some(&app.token), method.clone(), &path, Some(body)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
        }
        // Their admin, team, tag and contact, on our conversation.
        let mine = format!("/api/conversations/{id}");
        for (path, body, code) in [
            (
                format!("{mine}/reply"),
                json!({"message_type": "comment", "type": "admin", "admin_id": other.owner.id, "body": "x"}),
                "admin_not_found",
            ),
            (format!("{mine}/parts"), json!({"message_type": "close", "admin_id": other.owner.id}), "admin_not_found"),
            (
                format!("{mine}/parts"),
                json!({"message_type": "assignment", "type": "admin", "admin_id": owner, "assignee_id": other.owner.id}),
                "admin_not_found",
            ),
            (
                format!("{mine}/parts"),
                json!({"message_type": "assignment", "type": "team", "admin_id": owner, "assignee_id": their_team}),
                "team_not_found",
            ),
            (format!("{mine}/tags"), json!({"id": their_tag.id, "admin_id": owner}), "tag_not_found"),
            (format!("{mine}/tags"), json!({"id": their_tag.id, "admin_id": other.owner.id}), "admin_not_found"),
            (
                format!("{mine}/reply"),
                json!({"message_type": "comment", "type": "user", "intercom_user_id": theirs, "body": "x"}),
                "not_found",
            ),
            (
                "/api/conversations".to_string(),
                json!({"from": {"type": "user", "id": theirs}, "body": "x"}),
                "not_found",
            ),
        ] {
            let r = app.post(&path, body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, code), "{path} {body}");
        }
        assert_eq!(get(&app, &id).await, before);
        assert_eq!(app.get("/api/conversations").await.body["total_count"], 1);
        // And theirs is untouched.
        assert_eq!(other.get(&c).await.body["state"], "open");
    }
}
