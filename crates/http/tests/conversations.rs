mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use rapport_store::conversations::insert_test_contact;
use rapport_store::teams::TeamFields;
use serde_json::{json, Value};

async fn contact(app: &TestApp, external_id: Option<&str>, email: Option<&str>) -> i64 {
    insert_test_contact(&app.db, app.workspace.id, "user", external_id, email).await.unwrap()
}

async fn team(app: &TestApp, name: &str) -> i64 {
    let fields = TeamFields { name: Some(name), distribution_method: None, assignment_limit: None };
    rapport_store::teams::create(&app.db, app.workspace.id, fields).await.unwrap().id
}

/// Starts a conversation from `contact_id`; returns its id.
async fn start(app: &TestApp, contact_id: i64, body: &str) -> String {
    let r = app
        .post("/api/conversations", json!({"from": {"type": "user", "id": contact_id.to_string()}, "body": body}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversation_id"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/api/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn a_contact_starts_a_conversation_with_intercom_shapes() {
    for app in TestApp::all().await {
        let joe = contact(&app, Some("u-70"), Some("joe@example.com")).await;
        let r = app
            .post(
                "/api/conversations",
                json!({"from": {"type": "user", "id": joe}, "body": "<p>Hello <b>there</b></p>", "subject": "Help"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let m = &r.body;
        assert_eq!((m["type"].as_str(), m["message_type"].as_str()), (Some("user_message"), Some("inapp")));
        assert_eq!(m["body"], "<p>Hello <b>there</b></p>");
        assert!(m["id"].is_string() && m["conversation_id"].is_string() && m["created_at"].is_i64());
        let id = m["conversation_id"].as_str().unwrap();

        let c = get(&app, id).await;
        assert_eq!(c["type"], "conversation");
        assert_eq!(c["id"], id);
        assert_eq!(
            (c["open"].as_bool(), c["state"].as_str(), c["read"].as_bool()),
            (Some(true), Some("open"), Some(false))
        );
        assert_eq!(c["priority"], "not_priority");
        assert_eq!((c["admin_assignee_id"].clone(), c["team_assignee_id"].clone()), (Value::Null, Value::Null));
        assert_eq!(c["waiting_since"], m["created_at"]);
        assert_eq!(c["snoozed_until"], Value::Null);
        let source = &c["source"];
        assert_eq!(source["type"], "conversation");
        assert_eq!(source["id"], m["id"]);
        assert_eq!(source["delivered_as"], "customer_initiated");
        assert_eq!(source["subject"], "Help");
        assert_eq!(
            source["author"],
            json!({"type": "user", "id": joe.to_string(), "name": "Test Contact", "email": "joe@example.com"})
        );
        assert_eq!(source["attachments"], json!([]));
        assert_eq!(
            c["contacts"],
            json!({"type": "contact.list", "contacts": [{"type": "contact", "id": joe.to_string(), "external_id": "u-70"}]})
        );
        assert_eq!(c["teammates"], json!({"type": "admin.list", "teammates": []}));
        assert_eq!(c["tags"], json!({"type": "tag.list", "tags": []}));
        assert_eq!(
            c["first_contact_reply"],
            json!({"created_at": m["created_at"], "type": "conversation", "url": null})
        );
        assert_eq!(c["statistics"]["type"], "conversation_statistics");
        assert_eq!(c["statistics"]["count_conversation_parts"], 0);
        assert_eq!(c["custom_attributes"], json!({}));
        assert_eq!(c["linked_objects"], json!({"type": "list", "data": [], "total_count": 0, "has_more": false}));
        assert_eq!(c["ai_agent_participated"], false);
        assert_eq!(
            c["conversation_parts"],
            json!({"type": "conversation_part.list", "total_count": 0, "conversation_parts": []})
        );

        let r = app.get(&format!("/api/conversations/{id}?display_as=plaintext")).await;
        assert_eq!(r.body["source"]["body"], "Hello there");
        let r = app.get(&format!("/api/conversations/{id}?display_as=pdf")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));

        // Hostile strings are stored and shown as given, never interpreted.
        let hostile = "'; DROP TABLE conversations; -- <script>alert(1)</script>";
        let id2 = start(&app, joe, hostile).await;
        assert_eq!(get(&app, &id2).await["source"]["body"], hostile);
    }
}

#[tokio::test]
async fn a_scripted_back_and_forth_keeps_the_statistics() {
    for app in TestApp::all().await {
        let (agent, _) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let support = team(&app, "Support").await;
        let joe = contact(&app, Some("u-1"), Some("joe@example.com")).await;
        let id = start(&app, joe, "My order is late").await;
        let url = |p: &str| format!("/api/conversations/{id}/{p}");
        let owner = app.owner.id;

        let steps = [
            (
                "parts",
                json!({"message_type": "assignment", "type": "team", "admin_id": owner, "assignee_id": support.to_string()}),
            ),
            (
                "parts",
                json!({"message_type": "assignment", "type": "admin", "admin_id": owner.to_string(), "assignee_id": agent.id}),
            ),
            (
                "reply",
                json!({"message_type": "note", "type": "admin", "admin_id": agent.id, "body": "<p>internal</p>"}),
            ),
            (
                "reply",
                json!({"message_type": "comment", "type": "admin", "admin_id": agent.id, "body": "<p>Looking</p>"}),
            ),
            (
                "reply",
                json!({"message_type": "comment", "type": "user", "intercom_user_id": joe.to_string(), "body": "Thanks"}),
            ),
            ("reply", json!({"message_type": "comment", "type": "user", "user_id": "u-1", "body": "Any news?"})),
            ("parts", json!({"message_type": "snoozed", "admin_id": agent.id, "snoozed_until": 4_102_444_800_i64})),
            ("parts", json!({"message_type": "open", "admin_id": agent.id})),
            ("parts", json!({"message_type": "close", "type": "admin", "admin_id": agent.id, "body": "Shipped, bye"})),
            ("reply", json!({"message_type": "comment", "type": "user", "email": "JOE@example.com", "body": "Got it"})),
        ];
        let mut last = Value::Null;
        for (path, body) in steps {
            let r = app.post(&url(path), body.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.text);
            assert_eq!(r.body["type"], "conversation");
            last = r.body;
        }
        let c = last;
        assert_eq!((c["state"].as_str(), c["open"].as_bool()), (Some("open"), Some(true)));
        assert_eq!(c["admin_assignee_id"], json!(agent.id));
        assert_eq!(c["team_assignee_id"], json!(support));
        assert!(c["waiting_since"].is_i64());
        let types: Vec<&str> = c["conversation_parts"]["conversation_parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["part_type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            [
                "assignment",
                "assignment",
                "note",
                "comment",
                "comment",
                "comment",
                "snoozed",
                "open",
                "comment",
                "close",
                "comment"
            ]
        );
        let parts = c["conversation_parts"]["conversation_parts"].as_array().unwrap();
        assert_eq!(parts[0]["assigned_to"], json!({"type": "team", "id": support.to_string()}));
        assert_eq!(parts[3]["author"]["type"], "admin");
        assert_eq!(parts[3]["author"]["email"], "agent@example.com");
        assert_eq!(
            parts[4]["author"],
            json!({"type": "user", "id": joe.to_string(), "name": "Test Contact", "email": "joe@example.com"})
        );
        assert_eq!(parts[9]["state"], "closed");
        assert_eq!(parts[10]["state"], "open");
        let s = &c["statistics"];
        assert_eq!(s["count_conversation_parts"], 11);
        assert_eq!(c["conversation_parts"]["total_count"], 11);
        assert_eq!(s["count_assignments"], 2);
        assert_eq!(s["count_reopens"], 1);
        assert_eq!(s["last_closed_by_id"], agent.id.to_string());
        for key in [
            "first_contact_reply_at",
            "first_admin_reply_at",
            "first_assignment_at",
            "last_assignment_at",
            "last_assignment_admin_reply_at",
            "first_close_at",
            "last_close_at",
            "last_contact_reply_at",
            "last_admin_reply_at",
            "time_to_admin_reply",
            "time_to_first_close",
            "median_time_to_reply",
            "time_to_assignment",
        ] {
            assert!(s[key].is_i64(), "{key} in {s}");
        }
        let mut teammates: Vec<String> = c["teammates"]["teammates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        teammates.sort();
        let mut expected = vec![owner.to_string(), agent.id.to_string()];
        expected.sort();
        assert_eq!(teammates, expected);

        // An admin comment answers the customer; 0 and "0" unassign.
        let r = app
            .post(&url("reply"), json!({"message_type": "comment", "type": "admin", "admin_id": owner, "body": "ok"}))
            .await;
        assert_eq!(r.body["waiting_since"], Value::Null);
        let r = app
            .post(
                &url("parts"),
                json!({"message_type": "assignment", "type": "admin", "admin_id": owner, "assignee_id": 0}),
            )
            .await;
        assert_eq!(
            (r.body["admin_assignee_id"].clone(), r.body["team_assignee_id"].clone()),
            (Value::Null, json!(support))
        );
        let r = app
            .post(
                &url("parts"),
                json!({"message_type": "assignment", "type": "team", "admin_id": owner, "assignee_id": "0"}),
            )
            .await;
        assert_eq!(r.body["team_assignee_id"], Value::Null);
        assert_eq!(r.body["statistics"]["count_assignments"], 2);
        let r = app.post(&url("run_assignment_rules"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["id"], id);
    }
}

#[tokio::test]
async fn lists_page_with_cursors_to_the_end() {
    for app in TestApp::all().await {
        let joe = contact(&app, None, None).await;
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(start(&app, joe, &format!("m{i}")).await);
        }
        ids.reverse();
        let mut seen = Vec::new();
        let mut path = "/api/conversations?per_page=3".to_string();
        let mut pages = 0;
        loop {
            let r = app.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["type"], "conversation.list");
            assert_eq!(r.body["total_count"], 7);
            pages += 1;
            assert_eq!(r.body["pages"]["page"], pages);
            assert_eq!(r.body["pages"]["total_pages"], 3);
            for c in r.body["conversations"].as_array().unwrap() {
                assert!(c.get("conversation_parts").is_none());
                assert_eq!(c["contacts"]["contacts"][0]["id"], joe.to_string());
                seen.push(c["id"].as_str().unwrap().to_string());
            }
            match r.body["pages"].get("next") {
                Some(next) => {
                    path = format!(
                        "/api/conversations?per_page=3&starting_after={}",
                        next["starting_after"].as_str().unwrap()
                    )
                }
                None => break,
            }
        }
        assert_eq!((pages, seen), (3, ids.clone()));

        // Activity moves a conversation to the front.
        app.post(
            &format!("/api/conversations/{}/reply", ids[6]),
            json!({"message_type": "note", "type": "admin", "admin_id": app.owner.id, "body": "n"}),
        )
        .await;
        let r = app.get("/api/conversations?per_page=1").await;
        let first = r.body["conversations"][0]["id"].as_str().unwrap().to_string();
        assert!(first == ids[6] || first == ids[0]);

        for bad in ["per_page=0", "per_page=151", "per_page=abc", "starting_after=%27%3B%20DROP%20TABLE%20x%3B--"] {
            let r = app.get(&format!("/api/conversations?{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
    }
}

#[tokio::test]
async fn update_tags_and_delete() {
    for app in TestApp::all().await {
        let joe = contact(&app, None, None).await;
        let id = start(&app, joe, "Hi").await;
        let r = app
            .put(
                &format!("/api/conversations/{id}"),
                json!({"read": true, "title": "Late order", "custom_attributes": {"issue": "shipping"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["read"].as_bool(), r.body["title"].as_str()), (Some(true), Some("Late order")));
        assert_eq!(r.body["custom_attributes"], json!({"issue": "shipping"}));
        let r = app.put(&format!("/api/conversations/{id}"), json!({"custom_attributes": {"tier": 2}})).await;
        assert_eq!(r.body["custom_attributes"], json!({"issue": "shipping", "tier": 2}));

        let tag = rapport_store::tags::find_or_create(&app.db, app.workspace.id, "vip").await.unwrap();
        let r = app
            .post(&format!("/api/conversations/{id}/tags"), json!({"id": tag.id.to_string(), "admin_id": app.owner.id}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["type"].as_str(), r.body["name"].as_str()), (Some("tag"), Some("vip")));
        assert_eq!(r.body["applied_by"], json!({"type": "admin", "id": app.owner.id.to_string()}));
        let c = get(&app, &id).await;
        assert_eq!(c["tags"]["tags"][0]["id"], tag.id.to_string());
        let r = app
            .request_as(
                Some(&app.token),
                Method::DELETE,
                &format!("/api/conversations/{id}/tags/{}", tag.id),
                Some(json!({"admin_id": app.owner.id})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body, json!({"type": "tag", "id": tag.id.to_string(), "name": "vip"}));
        let r = app.delete(&format!("/api/conversations/{id}/tags/{}", tag.id)).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));

        let r = app.delete(&format!("/api/conversations/{id}")).await;
        assert_eq!(r.body, json!({"id": id, "object": "conversation", "deleted": true}));
        let r = app.get(&format!("/api/conversations/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = app.delete(&format!("/api/conversations/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

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
