//! The messenger API: boot and identity verification, visitor isolation, idempotent sends,
//! hostile input and read receipts. Attachments and settings: `messenger_files.rs`.
mod common;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use messenger_support::{admin_reply, as_visitor, boot, lead, start, Visitor};
use rapport_core::identity::{sign_user_jwt, user_hash};
use rapport_core::ids::ContactId;
use serde_json::json;

async fn contact_count(app: &TestApp) -> i64 {
    rapport_store::contacts::count(&app.db, app.workspace.id).await.unwrap()
}

async fn enforce(app: &TestApp) {
    let r = app.put("/api/messenger/settings", json!({"identity_enforced": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn an_anonymous_visitor_becomes_a_lead_and_resumes_with_the_token() {
    for app in TestApp::all().await {
        let r = boot(&app, json!({"app_id": app.workspace.app_id, "current_url": "https://shop.example/cart"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["contact"]["role"], "lead");
        assert_eq!(r.body["workspace"]["app_id"], app.workspace.app_id.as_str());
        assert_eq!(r.body["workspace"]["color"], "#2563eb");
        assert_eq!(r.body["workspace"]["expected_reply"]["online"], true);
        assert_eq!(r.body["unread_count"], 0);
        assert!(r.body["seq"].is_i64());
        let id = ContactId::new(r.body["contact"]["id"].as_i64().unwrap());
        let url = rapport_store::messenger::last_seen_url(&app.db, app.workspace.id, id).await.unwrap();
        assert_eq!(url.as_deref(), Some("https://shop.example/cart"));

        let token = r.body["visitor_token"].as_str().unwrap();
        let again = boot(&app, json!({"app_id": app.workspace.app_id, "visitor_token": token})).await;
        assert_eq!(again.body["contact"]["id"], id.get());
        assert_eq!(contact_count(&app).await, 1);

        // A token of another workspace is not resumed there.
        let other = app.other_workspace().await;
        let there = boot(&other, json!({"app_id": other.workspace.app_id, "visitor_token": token})).await;
        assert_ne!(there.body["contact"]["id"], id.get());

        assert_eq!(boot(&app, json!({"app_id": "nope"})).await.error_code(), "app_not_found");
        assert_eq!(boot(&app, json!({})).await.error_code(), "parameter_not_found");
        let bad_url = boot(&app, json!({"app_id": app.workspace.app_id, "current_url": "javascript:alert(1)"})).await;
        assert_eq!(bad_url.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn users_are_verified_by_user_hash_or_jwt() {
    for app in TestApp::all().await {
        let r = app.put("/api/messenger/settings", json!({"identity_enforced": false})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let secret = app.workspace.identity_secret.clone();
        let app_id = app.workspace.app_id.clone();
        let r = boot(
            &app,
            json!({"app_id": app_id, "user_id": "u-1", "email": "ada@example.com",
            "user_hash": user_hash(&secret, "u-1"), "name": "Ada"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["contact"]["role"], "user");
        assert_eq!(r.body["contact"]["user_id"], "u-1");
        assert_eq!(r.body["contact"]["email"], "ada@example.com");
        let ada = r.body["contact"]["id"].clone();

        // The same user again (by hash of the user_id) is found, not duplicated.
        let again =
            boot(&app, json!({"app_id": app_id, "user_id": "u-1", "user_hash": user_hash(&secret, "u-1")})).await;
        assert_eq!(again.body["contact"]["id"], ada);

        // A present but wrong hash is refused even without enforcement, and creates nothing.
        let before = contact_count(&app).await;
        let forged =
            boot(&app, json!({"app_id": app_id, "user_id": "u-2", "user_hash": user_hash("guess", "u-2")})).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert_eq!(forged.error_code(), "identity_verification_failed");
        let other_user =
            boot(&app, json!({"app_id": app_id, "user_id": "u-2", "user_hash": user_hash(&secret, "u-1")})).await;
        assert_eq!(other_user.error_code(), "identity_verification_failed");
        assert_eq!(contact_count(&app).await, before);

        // Email-only identity: the hash is of the email.
        let by_email = boot(
            &app,
            json!({"app_id": app_id, "email": "bo@example.com",
            "user_hash": user_hash(&secret, "bo@example.com")}),
        )
        .await;
        assert_eq!(by_email.body["contact"]["role"], "user", "{}", by_email.text);

        // JWT: valid, expired, and a user_id the JWT does not vouch for.
        let now = rapport_store::now();
        let jwt = sign_user_jwt(&secret, &json!({"user_id": "u-3", "email": "cy@example.com", "exp": now + 300}));
        let r = boot(&app, json!({"app_id": app_id, "user_jwt": jwt})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["contact"]["user_id"].as_str(), r.body["contact"]["email"].as_str()),
            (Some("u-3"), Some("cy@example.com"))
        );
        let expired = sign_user_jwt(&secret, &json!({"user_id": "u-4", "exp": now - 10}));
        assert_eq!(boot(&app, json!({"app_id": app_id, "user_jwt": expired})).await.status, StatusCode::UNAUTHORIZED);
        let mismatch = boot(&app, json!({"app_id": app_id, "user_id": "u-1", "user_jwt": jwt})).await;
        assert_eq!(mismatch.error_code(), "identity_verification_failed");
        let wrong_key = sign_user_jwt("not the secret", &json!({"user_id": "u-1"}));
        assert_eq!(boot(&app, json!({"app_id": app_id, "user_jwt": wrong_key})).await.status, StatusCode::UNAUTHORIZED);

        // Without enforcement an unverified identity gets a lead marked with the claim (see
        // messenger_identity.rs); with it, refused and nothing created.
        let plain = boot(&app, json!({"app_id": app_id, "user_id": "u-5"})).await;
        assert_eq!(plain.body["contact"]["role"], "lead");
        assert_eq!(plain.body["contact"]["claimed_identity"]["user_id"], "u-5");
        enforce(&app).await;
        let before = contact_count(&app).await;
        for body in [json!({"app_id": app_id, "user_id": "u-6"}), json!({"app_id": app_id, "email": "x@example.com"})] {
            let r = boot(&app, body).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::UNAUTHORIZED, "identity_verification_failed"));
        }
        assert_eq!(contact_count(&app).await, before);
        let verified =
            boot(&app, json!({"app_id": app_id, "user_id": "u-6", "user_hash": user_hash(&secret, "u-6")})).await;
        assert_eq!(verified.status, StatusCode::OK);
        // Leads still boot.
        assert_eq!(boot(&app, json!({"app_id": app_id})).await.body["contact"]["role"], "lead");
    }
}

#[tokio::test]
async fn a_lead_who_signs_in_keeps_their_conversations_and_leads_never_see_users() {
    for app in TestApp::all().await {
        let visitor = lead(&app).await;
        let conversation = start(&app, &visitor, "Before signing in", "c-1").await;
        let secret = &app.workspace.identity_secret;
        let r = boot(
            &app,
            json!({"app_id": app.workspace.app_id, "visitor_token": visitor.token,
            "user_id": "u-9", "user_hash": user_hash(secret, "u-9")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let user = Visitor {
            token: r.body["visitor_token"].as_str().unwrap().to_string(),
            contact_id: ContactId::new(r.body["contact"]["id"].as_i64().unwrap()),
        };
        assert_ne!(user.contact_id, visitor.contact_id);
        let list = as_visitor(&app, &user, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(list.body["conversations"][0]["id"], conversation, "{}", list.text);
        let shown =
            as_visitor(&app, &user, Method::GET, &format!("/messenger/conversations/{conversation}"), None).await;
        assert_eq!(shown.body["parts"][0]["body"], "Before signing in");
        // The merged lead's token is dead; a fresh lead sees nothing of the user's.
        let dead = as_visitor(&app, &visitor, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(dead.error_code(), "visitor_token_invalid");
        let stranger = lead(&app).await;
        let peek =
            as_visitor(&app, &stranger, Method::GET, &format!("/messenger/conversations/{conversation}"), None).await;
        assert_eq!(peek.status, StatusCode::NOT_FOUND);
        // A stale lead token with a user identity still signs the user in.
        let stale = boot(
            &app,
            json!({"app_id": app.workspace.app_id, "visitor_token": visitor.token,
            "user_id": "u-9", "user_hash": user_hash(secret, "u-9")}),
        )
        .await;
        assert_eq!(stale.body["contact"]["id"], user.contact_id.get());
    }
}

#[tokio::test]
async fn visitors_only_reach_their_own_conversations_in_their_own_workspace() {
    for app in TestApp::all().await {
        let a = lead(&app).await;
        let b = lead(&app).await;
        let conversation = start(&app, &a, "Mine", "a-1").await;
        admin_reply(&app, conversation, json!({"message_type": "note", "body": "internal only"})).await;
        let path = format!("/messenger/conversations/{conversation}");
        for (method, suffix, body) in [
            (Method::GET, "", None),
            (Method::POST, "/messages", Some(json!({"body": "hi", "client_id": "b-1"}))),
            (Method::POST, "/read", Some(json!({}))),
        ] {
            let r = as_visitor(&app, &b, method, &format!("{path}{suffix}"), body).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{suffix}: {}", r.text);
        }
        // A visitor of another workspace, even with the same conversation id, finds nothing.
        let other = app.other_workspace().await;
        let outsider = lead(&other).await;
        assert_eq!(as_visitor(&other, &outsider, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
        // Forged, tampered or missing tokens.
        let tampered = a.token.replacen(&format!(".{}.", a.contact_id), &format!(".{}.", b.contact_id), 1);
        for token in [tampered.as_str(), "garbage", "x.1.2.00"] {
            let r = app.request_as(Some(token), Method::GET, &path, None).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::UNAUTHORIZED, "visitor_token_invalid"));
        }
        assert_eq!(app.request_as(None, Method::GET, &path, None).await.status, StatusCode::UNAUTHORIZED);
        // The admin token is not a visitor token.
        assert_eq!(app.get(&path).await.status, StatusCode::UNAUTHORIZED);
        // The owner sees only public parts: the note stays internal.
        let mine = as_visitor(&app, &a, Method::GET, &path, None).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert_eq!(mine.body["parts"].as_array().unwrap().len(), 1, "{}", mine.text);
        assert!(!mine.text.contains("internal only"));
        let by_query = app.request_as(None, Method::GET, &format!("{path}?token={}", a.token), None).await;
        assert_eq!(by_query.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn sends_are_idempotent_by_client_id() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let body = json!({"body": "Hello", "client_id": "c-42"});
        let first = as_visitor(&app, &v, Method::POST, "/messenger/conversations", Some(body.clone())).await;
        let second = as_visitor(&app, &v, Method::POST, "/messenger/conversations", Some(body)).await;
        assert_eq!((first.status, second.status), (StatusCode::CREATED, StatusCode::OK));
        assert_eq!(first.body["conversation"]["id"], second.body["conversation"]["id"]);
        assert_eq!(first.body["part"]["id"], second.body["part"]["id"]);
        assert_eq!(first.body["part"]["client_id"], "c-42");
        let id = first.body["conversation"]["id"].as_i64().unwrap();
        let path = format!("/messenger/conversations/{id}/messages");
        let reply = json!({"body": "Anyone?", "client_id": "c-43"});
        let r1 = as_visitor(&app, &v, Method::POST, &path, Some(reply.clone())).await;
        let r2 = as_visitor(&app, &v, Method::POST, &path, Some(reply)).await;
        assert_eq!((r1.status, r2.status), (StatusCode::CREATED, StatusCode::OK), "{}", r1.text);
        assert_eq!(r1.body["part"]["id"], r2.body["part"]["id"]);
        let shown = as_visitor(&app, &v, Method::GET, &format!("/messenger/conversations/{id}"), None).await;
        assert_eq!(shown.body["parts"].as_array().unwrap().len(), 2);
        let list = as_visitor(&app, &v, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(list.body["conversations"].as_array().unwrap().len(), 1);
        assert_eq!(list.body["conversations"][0]["last_part"]["body"], "Anyone?");
    }
}

#[tokio::test]
async fn hostile_input_is_stored_as_text_or_refused() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let script = "<script>alert(\"x\")</script>\u{202e}";
        let r = as_visitor(
            &app,
            &v,
            Method::POST,
            "/messenger/conversations",
            Some(json!({"body": script, "client_id": "h-1"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["part"]["body"], script);
        assert_eq!(r.headers["content-type"], "application/json");
        let huge = "x".repeat(2 * 1024 * 1024);
        let r = as_visitor(
            &app,
            &v,
            Method::POST,
            "/messenger/conversations",
            Some(json!({"body": huge, "client_id": "h-2"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        let long = "x".repeat(20_001);
        let r = as_visitor(
            &app,
            &v,
            Method::POST,
            "/messenger/conversations",
            Some(json!({"body": long, "client_id": "h-3"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        for bad in [
            json!({"body": 5, "client_id": "h-4"}),
            json!({"body": "x", "client_id": ["h-5"]}),
            json!({"body": "x"}),
            json!({"body": "  ", "client_id": "h-6"}),
            json!({"body": "x", "client_id": "h-7", "attachment_ids": "1"}),
            json!({"body": "x", "client_id": "x".repeat(101)}),
            json!({"body": "nul \u{0} byte", "client_id": "h-8"}),
        ] {
            let r = as_visitor(&app, &v, Method::POST, "/messenger/conversations", Some(bad.clone())).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        }
        let r = app
            .send(
                axum::http::Request::post("/messenger/boot")
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from("{not json"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        // Only the first message was stored.
        let list = as_visitor(&app, &v, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(list.body["conversations"].as_array().unwrap().len(), 1);
        // update and events validate like the REST API.
        let bad_email =
            as_visitor(&app, &v, Method::POST, "/messenger/update", Some(json!({"email": "not an email"}))).await;
        assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
        let unknown =
            as_visitor(&app, &v, Method::POST, "/messenger/update", Some(json!({"custom_attributes": {"nope": 1}})))
                .await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
        let ok = as_visitor(
            &app,
            &v,
            Method::POST,
            "/messenger/update",
            Some(json!({"name": "Nia", "email": "nia@example.com", "current_url": "https://x.example/"})),
        )
        .await;
        assert_eq!(
            (ok.body["contact"]["name"].as_str(), ok.body["contact"]["email"].as_str()),
            (Some("Nia"), Some("nia@example.com"))
        );
        let event =
            as_visitor(&app, &v, Method::POST, "/messenger/events", Some(json!({"event_name": "viewed-pricing"})))
                .await;
        assert_eq!(event.status, StatusCode::ACCEPTED);
        let bad_event =
            as_visitor(&app, &v, Method::POST, "/messenger/events", Some(json!({"event_name": "x", "metadata": [1]})))
                .await;
        assert_eq!(bad_event.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn read_receipts_clear_the_unread_count() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let id = start(&app, &v, "Question", "r-1").await;
        let r = admin_reply(&app, id, json!({"body": "Answer"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        admin_reply(&app, id, json!({"body": "And more"})).await;
        let booted = boot(&app, json!({"app_id": app.workspace.app_id, "visitor_token": v.token})).await;
        assert_eq!(booted.body["unread_count"], 2);
        let list = as_visitor(&app, &v, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(list.body["conversations"][0]["unread_count"], 2);
        let shown = as_visitor(&app, &v, Method::GET, &format!("/messenger/conversations/{id}"), None).await;
        let first_answer = shown.body["parts"][1]["id"].clone();
        let read = as_visitor(
            &app,
            &v,
            Method::POST,
            &format!("/messenger/conversations/{id}/read"),
            Some(json!({"part_id": first_answer})),
        )
        .await;
        assert_eq!(read.status, StatusCode::NO_CONTENT, "{}", read.text);
        let list = as_visitor(&app, &v, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(list.body["conversations"][0]["unread_count"], 1);
        let all =
            app.request_as(Some(&v.token), Method::POST, &format!("/messenger/conversations/{id}/read"), None).await;
        assert_eq!(all.status, StatusCode::NO_CONTENT);
        let booted = boot(&app, json!({"app_id": app.workspace.app_id, "visitor_token": v.token})).await;
        assert_eq!(booted.body["unread_count"], 0);
        let wrong = as_visitor(
            &app,
            &v,
            Method::POST,
            &format!("/messenger/conversations/{id}/read"),
            Some(json!({"part_id": "abc"})),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    }
}

/// The expected-reply line reads the workspace's holidays: open every hour of every day, but
/// today is a holiday, so the team is back tomorrow at midnight (workspace timezone: UTC).
#[tokio::test]
async fn a_holiday_today_shows_the_team_back_tomorrow() {
    for app in TestApp::all().await {
        let day = json!([[0, 1440]]);
        let every_day = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
        let today = chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string();
        let r = app.put("/api/messenger/settings", json!({"office_hours": every_day, "holidays": [today]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = boot(&app, json!({"app_id": app.workspace.app_id})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let expected = &r.body["workspace"]["expected_reply"];
        assert_eq!(expected["online"], false, "{expected}");
        assert_eq!(expected["text"], "Back tomorrow at 00:00", "{expected}");
    }
}

/// A conversation held by a team with its own office hours shows that team's expected reply: in
/// the conversation the messenger reads and in boot while it is the visitor's open one. The
/// workspace is open every hour; the team is off today (a team holiday).
#[tokio::test]
async fn the_expected_reply_follows_the_team_holding_the_conversation() {
    for app in TestApp::all().await {
        let day = json!([[0, 1440]]);
        let every_day = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
        let r = app.put("/api/messenger/settings", json!({"office_hours": every_day})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.post("/api/teams", json!({"name": "VIP"})).await;
        let team = r.body["id"].as_str().unwrap().to_string();
        let today = chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string();
        let hours = json!({"timezone": "UTC", "office_hours": every_day, "holidays": [today]});
        let r = app.put(&format!("/api/teams/{team}/office_hours"), hours).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        let v = lead(&app).await;
        let id = start(&app, &v, "Hello, anyone there?", "c-1").await;
        let path = format!("/messenger/conversations/{id}");
        let show = || as_visitor(&app, &v, Method::GET, &path, None);
        let r = show().await;
        assert_eq!(r.body["conversation"]["expected_reply"]["online"], true, "no team yet: the workspace's clock");

        let r = app.post(&format!("/api/conversations/{id}/parts"),
            json!({"message_type": "assignment", "type": "team", "admin_id": app.owner.id.to_string(), "assignee_id": team})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = show().await;
        let team_reply = json!({"online": false, "text": "Back tomorrow at 00:00"});
        assert_eq!(r.body["conversation"]["expected_reply"], team_reply, "{}", r.text);
        let booted = boot(&app, json!({"app_id": app.workspace.app_id, "visitor_token": v.token})).await;
        assert_eq!(booted.body["workspace"]["expected_reply"], team_reply, "{}", booted.text);
        assert_eq!(booted.body["workspace"]["expected_reply_conversation_id"], id.to_string());

        // Closed: no expected reply on it, and boot is back to the workspace's clock.
        let r = app
            .post(
                &format!("/api/conversations/{id}/parts"),
                json!({"message_type": "close", "type": "admin", "admin_id": app.owner.id.to_string()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(show().await.body["conversation"]["expected_reply"], serde_json::Value::Null);
        let booted = boot(&app, json!({"app_id": app.workspace.app_id, "visitor_token": v.token})).await;
        assert_eq!(booted.body["workspace"]["expected_reply"]["online"], true);
        assert_eq!(booted.body["workspace"]["expected_reply_conversation_id"], serde_json::Value::Null);
    }
}
