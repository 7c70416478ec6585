//! Settings for teammates: invitations, roles, deactivation, API tokens, team assignment method.
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Response, TestApp};
use rapport_core::admin::AdminRole;
use rapport_core::ids::AdminId;
use serde_json::{json, Value};

async fn invite(app: &TestApp, token: &str, email: &str, role: &str) -> Response {
    app.request_as(
        Some(token),
        Method::POST,
        "/api/admins/invites",
        Some(json!({"email": email, "name": "New", "role": role})),
    )
    .await
}

fn token_of(invite: &Value) -> String {
    invite["url"].as_str().unwrap().strip_prefix("/app/invite/").unwrap().to_string()
}

async fn accept(app: &TestApp, token: &str, body: Value) -> Response {
    app.request_as(None, Method::POST, &format!("/api/invites/{token}/accept"), Some(body)).await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.request_as(None, Method::POST, "/api/auth/login", Some(json!({"email": email, "password": password})))
        .await
        .status
}

#[tokio::test]
async fn an_invitation_link_signs_the_teammate_in_once() {
    for app in TestApp::all().await {
        let r = invite(&app, &app.token, "New.Person@Example.com", "agent").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["type"].as_str(), r.body["email"].as_str()),
            (Some("admin.invite"), Some("new.person@example.com"))
        );
        assert_eq!(r.body["role"], "agent");
        let week = r.body["expires_at"].as_i64().unwrap() - r.body["created_at"].as_i64().unwrap();
        assert_eq!(week, 7 * 24 * 3600);
        let token = token_of(&r.body);
        assert!(token.len() >= 40);
        let invite_id = r.body["id"].as_str().unwrap().to_string();
        let r = app.get("/api/admins/invites").await;
        assert_eq!(r.body["data"][0]["id"], invite_id.as_str());
        assert!(r.body["data"][0].get("url").is_none(), "the link is shown once");

        // Anyone with the link sees what it is for.
        let r = app.request_as(None, Method::GET, &format!("/api/invites/{token}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["email"], "new.person@example.com");
        assert_eq!(r.body["workspace"]["name"], app.workspace.name.as_str());

        // Bad input changes nothing and keeps the link usable.
        for (body, code) in [
            (json!({"name": "Nia"}), "parameter_not_found"),
            (json!({"name": "Nia", "password": "short"}), "parameter_invalid"),
            (json!({"name": " ", "password": "long enough pass"}), "parameter_invalid"),
            (json!({"name": "Nia", "password": 12345678}), "parameter_invalid"),
        ] {
            let r = accept(&app, &token, body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, code), "{body}");
        }

        let r = accept(&app, &token, json!({"name": "Nia New", "password": "long enough pass"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["admin"]["name"].as_str(), r.body["admin"]["role"].as_str()),
            (Some("Nia New"), Some("agent"))
        );
        let cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let session = cookie.split(';').next().unwrap().to_string();
        let me = Request::builder().uri("/api/me").header("cookie", &session).body(Body::empty()).unwrap();
        let r = app.send(me).await;
        assert_eq!((r.status, r.body["email"].as_str()), (StatusCode::OK, Some("new.person@example.com")));
        assert_eq!(sign_in(&app, "new.person@example.com", "long enough pass").await, StatusCode::OK);

        // Single use.
        let r = accept(&app, &token, json!({"name": "Again", "password": "long enough pass"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(
            app.request_as(None, Method::GET, &format!("/api/invites/{token}"), None).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get("/api/admins").await.body["admins"].as_array().unwrap().len(), 2);
        assert_eq!(app.get("/api/admins/invites").await.body["data"], json!([]));
    }
}

#[tokio::test]
async fn invitations_are_checked_and_limited_to_managers() {
    for app in TestApp::all().await {
        let (_, admin) = app.teammate("admin@example.com", AdminRole::Admin).await;
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        for (body, status, code) in [
            (
                json!({"email": "x@example.com", "name": "X", "role": "root"}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"email": "not an email", "name": "X", "role": "agent"}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (json!({"email": "x@example.com", "role": "agent"}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            (json!({"email": "agent@example.com", "name": "X", "role": "agent"}), StatusCode::CONFLICT, "conflict"),
        ] {
            let r = app.post("/api/admins/invites", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (status, code), "{body}");
        }
        let r = invite(&app, &agent, "x@example.com", "viewer").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden"));
        let r = invite(&app, &admin, "x@example.com", "owner").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "only owners make owners");
        assert_eq!(app.get("/api/admins/invites").await.body["data"], json!([]), "nothing was created");
        assert_eq!(invite(&app, &admin, "x@example.com", "admin").await.status, StatusCode::OK);

        // Unknown tokens; a withdrawn invitation; another workspace's invitation ids.
        for token in ["nope", "%27%20OR%201%3D1%20--", &"a".repeat(43)] {
            let r = app.request_as(None, Method::GET, &format!("/api/invites/{token}"), None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{token}");
        }
        let r = invite(&app, &app.token, "y@example.com", "viewer").await;
        let (id, token) = (r.body["id"].as_str().unwrap().to_string(), token_of(&r.body));
        let other = app.other_workspace().await;
        assert_eq!(other.delete(&format!("/api/admins/invites/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get("/api/admins/invites").await.body["data"], json!([]));
        assert_eq!(app.delete(&format!("/api/admins/invites/{id}")).await.status, StatusCode::OK);
        let r = accept(&app, &token, json!({"name": "Y", "password": "long enough pass"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "a withdrawn link is dead");
    }
}

#[tokio::test]
async fn roles_change_with_owner_rules() {
    for app in TestApp::all().await {
        let (admin, admin_token) = app.teammate("admin@example.com", AdminRole::Admin).await;
        let (agent, agent_token) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let path = |id: AdminId| format!("/api/admins/{id}");

        let r = app.request_as(Some(&admin_token), Method::PUT, &path(agent.id), Some(json!({"role": "viewer"}))).await;
        assert_eq!((r.status, r.body["role"].as_str()), (StatusCode::OK, Some("viewer")), "{}", r.text);
        let r = app.request_as(Some(&admin_token), Method::PUT, &path(agent.id), Some(json!({"role": "owner"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "admins cannot make owners");
        let r =
            app.request_as(Some(&admin_token), Method::PUT, &path(app.owner.id), Some(json!({"role": "agent"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "admins cannot change owners");
        let r = app.request_as(Some(&agent_token), Method::PUT, &path(admin.id), Some(json!({"role": "viewer"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        for body in [json!({"role": "root"}), json!({}), json!({"role": "agent", "x": 1})] {
            let r = app.put(&path(agent.id), body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        }

        // The last owner cannot be demoted, even by themselves; with a second owner they can.
        let r = app.put(&path(app.owner.id), json!({"role": "admin"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        assert!(r.text.contains("last owner"), "{}", r.text);
        let r = app.put(&path(admin.id), json!({"role": "owner"})).await;
        assert_eq!(r.body["role"], "owner");
        let r = app.put(&path(app.owner.id), json!({"role": "admin"})).await;
        assert_eq!((r.status, r.body["role"].as_str()), (StatusCode::OK, Some("admin")));

        let other = app.other_workspace().await;
        let r = other.put(&path(agent.id), json!({"role": "admin"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "admin_not_found"));
        assert_eq!(app.get(&path(agent.id)).await.body["role"], "viewer");
    }
}

#[tokio::test]
async fn deactivation_ends_access_at_once() {
    for app in TestApp::all().await {
        let (agent, agent_token) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let (admin, admin_token) = app.teammate("admin@example.com", AdminRole::Admin).await;
        let login = app
            .request_as(
                None,
                Method::POST,
                "/api/auth/login",
                Some(json!({"email": "agent@example.com", "password": "correct horse battery"})),
            )
            .await;
        let session = login.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let me = || Request::builder().uri("/api/me").header("cookie", &session).body(Body::empty()).unwrap();
        assert_eq!(app.send(me()).await.status, StatusCode::OK);

        // Who may deactivate whom.
        let path = |id: AdminId, action: &str| format!("/api/admins/{id}/{action}");
        let r = app.request_as(Some(&agent_token), Method::POST, &path(admin.id, "deactivate"), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r =
            app.request_as(Some(&admin_token), Method::POST, &path(app.owner.id, "deactivate"), Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "admins cannot deactivate owners");
        let r = app.post(&path(app.owner.id, "deactivate"), json!({})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "not yourself");
        let other = app.other_workspace().await;
        assert_eq!(other.post(&path(agent.id, "deactivate"), json!({})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.send(me()).await.status, StatusCode::OK, "refusals changed nothing");

        let r = app.request_as(Some(&admin_token), Method::POST, &path(agent.id, "deactivate"), Some(json!({}))).await;
        assert_eq!((r.status, &r.body["active"]), (StatusCode::OK, &json!(false)), "{}", r.text);
        assert_eq!(app.send(me()).await.status, StatusCode::UNAUTHORIZED, "session ended");
        let r = app.request_as(Some(&agent_token), Method::GET, "/api/me", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "token ended");
        assert_eq!(sign_in(&app, "agent@example.com", "correct horse battery").await, StatusCode::UNAUTHORIZED);

        // Not assignable while deactivated.
        let contact =
            rapport_store::testing::contact(&app.db, app.workspace.id, "user", Some("u1"), None).await.unwrap();
        let r = app
            .post("/api/conversations", json!({"from": {"type": "user", "id": contact.to_string()}, "body": "hi"}))
            .await;
        let conversation = r.body["conversation_id"].as_str().unwrap().to_string();
        let assign = json!({"message_type": "assignment", "type": "admin", "admin_id": app.owner.id.to_string(),
                            "assignee_id": agent.id.to_string()});
        let r = app.post(&format!("/api/conversations/{conversation}/parts"), assign.clone()).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{}", r.text);

        // Reactivated: can sign in again and be assigned; the old token stays revoked.
        let r = app.post(&path(agent.id, "reactivate"), json!({})).await;
        assert_eq!(r.body["active"], true);
        assert_eq!(sign_in(&app, "agent@example.com", "correct horse battery").await, StatusCode::OK);
        assert_eq!(
            app.request_as(Some(&agent_token), Method::GET, "/api/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
        let r = app.post(&format!("/api/conversations/{conversation}/parts"), assign).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

#[tokio::test]
async fn api_tokens_are_shown_once_and_revoked_at_once() {
    for app in TestApp::all().await {
        let r = app.post("/api/tokens", json!({"name": "Zapier"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "api_token");
        let secret = r.body["token"].as_str().unwrap().to_string();
        let id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(app.request_as(Some(&secret), Method::GET, "/api/me", None).await.status, StatusCode::OK);

        let r = app.get("/api/tokens").await;
        let names: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["test", "Zapier"]);
        assert!(!r.text.contains(&secret) && r.body["data"][1].get("token").is_none(), "never the secret again");

        for body in [json!({}), json!({"name": ""}), json!({"name": "x".repeat(201)}), json!({"name": 1})] {
            let r = app.post("/api/tokens", body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        }
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        for (method, path) in [(Method::GET, "/api/tokens".to_string()), (Method::DELETE, format!("/api/tokens/{id}"))]
        {
            let r = app.request_as(Some(&agent), method, &path, None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        }
        let r = app.request_as(Some(&agent), Method::POST, "/api/tokens", Some(json!({"name": "mine"}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let other = app.other_workspace().await;
        assert_eq!(other.delete(&format!("/api/tokens/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.request_as(Some(&secret), Method::GET, "/api/me", None).await.status, StatusCode::OK);

        let r = app.delete(&format!("/api/tokens/{id}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(app.request_as(Some(&secret), Method::GET, "/api/me", None).await.status, StatusCode::UNAUTHORIZED);
        let r = app.get("/api/tokens").await;
        let names: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["test", "t"], "the revoked token is gone; the agent's stays");
    }
}

#[tokio::test]
async fn teams_store_the_assignment_method() {
    for app in TestApp::all().await {
        let r = app.post("/api/teams", json!({"name": "VIP", "assignment_method": "balanced"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["assignment_method"].as_str(), r.body["distribution_method"].as_str()),
            (Some("balanced"), Some("balanced"))
        );
        let id = r.body["id"].as_str().unwrap().to_string();
        let r = app.put(&format!("/api/teams/{id}"), json!({"assignment_method": "round_robin"})).await;
        assert_eq!(r.body["assignment_method"], "round_robin");
        for body in [
            json!({"assignment_method": "random"}),
            json!({"assignment_method": "manual", "distribution_method": "balanced"}),
        ] {
            let r = app.put(&format!("/api/teams/{id}"), body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{body}");
        }
        assert_eq!(app.get(&format!("/api/teams/{id}")).await.body["assignment_method"], "round_robin");
        let other = app.other_workspace().await;
        assert_eq!(
            other.put(&format!("/api/teams/{id}"), json!({"assignment_method": "manual"})).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn messenger_settings_name_and_secret_rotation() {
    for app in TestApp::all().await {
        let before = app.get("/api/messenger/settings").await.body;
        let r = app.put("/api/messenger/settings", json!({"name": "Acme Support", "color": "#112233"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["name"].as_str(), r.body["color"].as_str()), (Some("Acme Support"), Some("#112233")));
        let r = app.put("/api/messenger/settings", json!({"name": " ", "color": "#445566"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        assert_eq!(r.body["errors"][0]["field"], "name");
        let r = app.get("/api/messenger/settings").await;
        assert_eq!((r.body["name"].as_str(), r.body["color"].as_str()), (Some("Acme Support"), Some("#112233")));

        let r = app.post("/api/messenger/settings/rotate_identity_secret", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let secret = r.body["identity_secret"].as_str().unwrap();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, before["identity_secret"].as_str().unwrap());
        assert_eq!(app.get("/api/messenger/settings").await.body["identity_secret"], secret);
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let r = app
            .request_as(Some(&agent), Method::POST, "/api/messenger/settings/rotate_identity_secret", Some(json!({})))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/messenger/settings").await.body["identity_secret"], secret);
    }
}
