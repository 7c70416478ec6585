mod common;
mod conversations_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use conversations_support::{contact, get, start, team};
use rapport_core::admin::AdminRole;
use serde_json::{json, Value};

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
        for (name, data_type) in [("issue", "string"), ("tier", "integer")] {
            let attr = json!({"name": name, "model": "conversation", "data_type": data_type});
            assert_eq!(app.post("/api/data_attributes", attr).await.status, StatusCode::OK);
        }
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

        // Priority, with Intercom's values; anything else is refused and changes nothing.
        assert_eq!(r.body["priority"], "not_priority");
        let r = app.put(&format!("/api/conversations/{id}"), json!({"priority": "priority"})).await;
        assert_eq!((r.status, r.body["priority"].as_str()), (StatusCode::OK, Some("priority")), "{}", r.text);
        for bad in [json!("urgent"), json!(true), json!(1)] {
            let r = app.put(&format!("/api/conversations/{id}"), json!({"priority": bad, "title": "Changed"})).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        }
        let c = get(&app, &id).await;
        assert_eq!((c["priority"].as_str(), c["title"].as_str()), (Some("priority"), Some("Late order")));
        let r = app.put(&format!("/api/conversations/{id}"), json!({"priority": "not_priority"})).await;
        assert_eq!(r.body["priority"], "not_priority");

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
