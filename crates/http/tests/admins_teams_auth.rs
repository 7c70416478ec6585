mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use common::TestApp;
use rapport_core::admin::AdminRole;
use serde_json::json;

#[tokio::test]
async fn me_identifies_the_token_and_its_workspace() {
    for app in TestApp::all().await {
        let r = app.get("/api/me").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "admin");
        assert_eq!(r.body["id"], app.owner.id.to_string());
        assert_eq!(r.body["app"]["id_code"], app.workspace.app_id);
        assert!(r.headers.contains_key("x-ratelimit-limit"));
        assert!(r.headers.contains_key("x-ratelimit-remaining"));
        assert!(r.headers.contains_key("x-ratelimit-reset"));

        // Basic auth with the token as user name (legacy SDK), with and without Intercom-Version.
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", app.token));
        let request = Request::builder()
            .uri("/api/me")
            .header("authorization", format!("Basic {basic}"))
            .header("intercom-version", "2.11")
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(request).await.status, StatusCode::OK);
        let request = Request::builder()
            .uri("/api/me")
            .header("authorization", format!("Bearer {}", app.token))
            .header("intercom-version", "9.9")
            .body(Body::empty())
            .unwrap();
        let r = app.send(request).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "intercom_version_invalid"));
    }
}

#[tokio::test]
async fn bad_credentials_are_401_error_lists() {
    for app in TestApp::all().await {
        for token in [None, Some("rpt_wrong"), Some("' OR 1=1 --")] {
            let r = app.request_as(token, Method::GET, "/api/admins", None).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            assert_eq!(r.error_code(), "unauthorized");
        }
        let r = app.get("/api/no/such/route").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
    }
}

#[tokio::test]
async fn admins_list_find_and_away_mode() {
    for app in TestApp::all().await {
        let (agent, agent_token) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let r = app.get("/api/admins").await;
        assert_eq!(r.body["type"], "admin.list");
        assert_eq!(r.body["admins"].as_array().unwrap().len(), 2);

        let r = app.get(&format!("/api/admins/{}", agent.id)).await;
        assert_eq!(r.body["email"], "agent@example.com");
        for bad in ["999999", "abc", "-1"] {
            let r = app.get(&format!("/api/admins/{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "admin_not_found"));
        }

        // An agent may set their own away mode but not the owner's.
        let body = json!({"away_mode_enabled": true, "away_mode_reassign": false});
        let r = app
            .request_as(Some(&agent_token), Method::PUT, &format!("/api/admins/{}/away", agent.id), Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["away_mode_enabled"], true);
        let r = app
            .request_as(Some(&agent_token), Method::PUT, &format!("/api/admins/{}/away", app.owner.id), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.put(&format!("/api/admins/{}/away", agent.id), json!({"away_mode_enabled": "yes"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        let r = app.put(&format!("/api/admins/{}/away", agent.id), json!({"away_mode_enabled": false})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));
        let r = app.get(&format!("/api/admins/{}", agent.id)).await;
        assert_eq!(r.body["away_mode_enabled"], true, "a rejected request changed nothing");
    }
}

/// Away mode with `away_mode_reassign` hands the teammate's open conversations to the rest of
/// their team (by its distribution); without it, they keep them.
#[tokio::test]
async fn going_away_with_reassign_hands_open_conversations_to_the_team() {
    for app in TestApp::all().await {
        let (leaving, leaving_token) = app.teammate("leaving@example.com", AdminRole::Agent).await;
        let (staying, _) = app.teammate("staying@example.com", AdminRole::Agent).await;
        let r = app
            .post(
                "/api/teams",
                json!({"name": "Support", "distribution_method": "round_robin", "admin_ids": [leaving.id, staying.id]}),
            )
            .await;
        let team: i64 = r.body["id"].as_str().unwrap().parse().unwrap();
        let contact = app.post("/api/contacts", json!({"role": "lead", "name": "Visitor"})).await;
        let r = app
            .post("/api/conversations", json!({"from": {"type": "lead", "id": contact.body["id"]}, "body": "hi"}))
            .await;
        let id = r.body["conversation_id"].as_str().unwrap().to_string();
        for (kind, assignee) in [("team", team), ("admin", leaving.id.get())] {
            let r = app.post(&format!("/api/conversations/{id}/parts"),
                json!({"message_type": "assignment", "type": kind, "admin_id": app.owner.id.to_string(), "assignee_id": assignee.to_string()})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let away = |reassign: bool| json!({"away_mode_enabled": true, "away_mode_reassign": reassign});
        let path = format!("/api/admins/{}/away", leaving.id);
        let r = app.request_as(Some(&leaving_token), Method::PUT, &path, Some(away(false))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.get(&format!("/api/conversations/{id}")).await;
        assert_eq!(r.body["admin_assignee_id"], leaving.id.get(), "without reassign they keep it");

        let r = app.request_as(Some(&leaving_token), Method::PUT, &path, Some(away(true))).await;
        assert_eq!((r.status, r.body["away_mode_reassign"].as_bool()), (StatusCode::OK, Some(true)), "{}", r.text);
        let r = app.get(&format!("/api/conversations/{id}")).await;
        assert_eq!(r.body["admin_assignee_id"], staying.id.get(), "{}", r.text);
        assert_eq!(r.body["team_assignee_id"], team, "{}", r.text);
        let parts = r.body["conversation_parts"]["conversation_parts"].as_array().unwrap();
        let last = parts.last().unwrap();
        assert_eq!(
            (last["part_type"].as_str(), last["body"].as_str()),
            (Some("assignment"), Some("Reassigned: Teammate is away")),
            "{last}"
        );
    }
}

#[tokio::test]
async fn teams_crud_memberships_and_roles() {
    for app in TestApp::all().await {
        let (agent, agent_token) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let r = app.post("/api/teams", json!({"name": "VIP", "distribution_method": "round_robin", "assignment_limit": 5, "admin_ids": [agent.id]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let team_id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["admin_ids"], json!([agent.id]));
        assert_eq!(r.body["type"], "team");

        let r = app.post("/api/teams", json!({"name": "VIP"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = app.post("/api/teams", json!({"name": "X", "distribution_method": "chaos"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        let r = app.post("/api/teams", json!({"name": "Y", "admin_ids": [99999999]})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get("/api/teams").await.body["teams"].as_array().unwrap().len(),
            1,
            "failed creates wrote nothing"
        );

        // Agents cannot manage teams.
        let r = app.request_as(Some(&agent_token), Method::POST, "/api/teams", Some(json!({"name": "Mine"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        let r = app.put(&format!("/api/teams/{team_id}"), json!({"assignment_limit": null})).await;
        assert_eq!(r.body["assignment_limit"], serde_json::Value::Null);
        let r = app.put(&format!("/api/teams/{team_id}/admins/{}", app.owner.id), json!({})).await;
        assert_eq!(r.body["admin_ids"].as_array().unwrap().len(), 2);
        let r = app.delete(&format!("/api/teams/{team_id}/admins/{}", agent.id)).await;
        assert_eq!(r.body["admin_ids"], json!([app.owner.id]));
        let r = app.get(&format!("/api/teams/{team_id}")).await;
        assert_eq!(r.body["name"], "VIP");

        let other = app.other_workspace().await;
        let r = other.get(&format!("/api/teams/{team_id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "team_not_found"));
        let r = other.delete(&format!("/api/teams/{team_id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        assert_eq!(app.delete(&format!("/api/teams/{team_id}")).await.body["deleted"], true);
    }
}

#[tokio::test]
async fn viewers_cannot_write() {
    for app in TestApp::all().await {
        let (viewer, token) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let body = json!({"away_mode_enabled": true, "away_mode_reassign": false});
        let r = app.request_as(Some(&token), Method::PUT, &format!("/api/admins/{}/away", viewer.id), Some(body)).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(app.request_as(Some(&token), Method::GET, "/api/admins", None).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_unsafe_requests_need_csrf() {
    for app in TestApp::all().await {
        let r = app
            .request_as(
                None,
                Method::POST,
                "/api/auth/login",
                Some(json!({"email": "owner@example.com", "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let csrf = r.body["csrf_token"].as_str().unwrap().to_string();
        let session = cookie.split(';').next().unwrap().to_string();

        let get = Request::builder().uri("/api/me").header("cookie", &session).body(Body::empty()).unwrap();
        assert_eq!(app.send(get).await.status, StatusCode::OK);
        let body = json!({"away_mode_enabled": true, "away_mode_reassign": false}).to_string();
        let path = format!("/api/admins/{}/away", app.owner.id);
        let no_csrf = Request::builder()
            .method("PUT")
            .uri(&path)
            .header("cookie", &session)
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap();
        assert_eq!(app.send(no_csrf).await.status, StatusCode::FORBIDDEN);
        let with_csrf = Request::builder()
            .method("PUT")
            .uri(&path)
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(app.send(with_csrf).await.status, StatusCode::OK);

        let logout = Request::builder()
            .method("POST")
            .uri("/api/auth/logout")
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.send(logout).await.status, StatusCode::OK);
        let get = Request::builder().uri("/api/me").header("cookie", &session).body(Body::empty()).unwrap();
        assert_eq!(app.send(get).await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_does_not_reveal_emails() {
    for app in TestApp::all().await {
        let wrong = json!({"email": "owner@example.com", "password": "nope nope nope"});
        let unknown = app
            .request_as(
                None,
                Method::POST,
                "/api/auth/login",
                Some(json!({"email": "ghost@example.com", "password": "whatever1"})),
            )
            .await;
        let first = app.request_as(None, Method::POST, "/api/auth/login", Some(wrong.clone())).await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.body["errors"][0]["message"], first.body["errors"][0]["message"]);
        let mut last = first.status;
        for _ in 0..12 {
            last = app.request_as(None, Method::POST, "/api/auth/login", Some(wrong.clone())).await.status;
        }
        assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn malformed_bodies_are_precise_400s() {
    for app in TestApp::all().await {
        let r = app.post_raw("/api/teams", "application/json", "{not json").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));
        let r = app.post_raw("/api/teams", "text/plain", "{}").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
        let r = app.post_raw("/api/teams", "application/json", huge).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large"));
        let r = app.post("/api/teams", json!({"name": "<script>alert(1)</script>", "nope": 1})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
    }
}

#[tokio::test]
async fn openapi_document_lists_the_handlers() {
    for app in TestApp::all().await {
        let r = app.get("/api/openapi.json").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body["paths"]["/me"].is_object());
        assert!(r.body["paths"]["/teams/{id}"]["put"].is_object());
    }
}
