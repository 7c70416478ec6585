//! Identity that cannot be inherited (issue 17, points 5 and 6): an identity claimed without a
//! valid `user_hash`/`user_jwt` never reaches a user (their conversations, their routing), and
//! no token issued without one ever acts as a user, whatever the workspace's settings were when it
//! was issued. Every sequence runs on SQLite and PostgreSQL.
mod common;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use messenger_support::{as_visitor, boot, start, Visitor};
use rapport_core::identity::{sign_user_jwt, sign_visitor_token, user_hash, VisitorClaims};
use rapport_core::ids::ContactId;
use serde_json::{json, Value};

async fn set_enforced(app: &TestApp, enforced: bool) {
    let r = app.put("/api/messenger/settings", json!({"identity_enforced": enforced})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

fn visitor_of(r: &common::Response) -> Visitor {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Visitor {
        token: r.body["visitor_token"].as_str().unwrap().to_string(),
        contact_id: ContactId::new(r.body["contact"]["id"].as_i64().unwrap()),
    }
}

async fn conversation_ids(app: &TestApp, v: &Visitor) -> Vec<Value> {
    let r = as_visitor(app, v, Method::GET, "/messenger/conversations", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversations"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect()
}

async fn team(app: &TestApp, name: &str) -> i64 {
    let r = app.post("/api/teams", json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

/// A VIP user (company on the enterprise plan) with a verified secondary email, signed in through
/// the messenger with a JWT, who has written one conversation; routing sends VIPs to the VIP team.
struct Scenario {
    vip_team: i64,
    general_team: i64,
    user: Visitor,
    conversation: i64,
}

async fn scenario(app: &TestApp) -> Scenario {
    set_enforced(app, false).await;
    let vip_team = team(app, "VIP").await;
    let general_team = team(app, "General").await;
    let rules = json!([
        {"id": "vip", "name": "Enterprise to VIP", "stop_processing": true,
         "conditions": {"field": "company.plan", "op": "eq", "value": "enterprise"},
         "actions": [{"type": "assign_team", "team_id": vip_team}]},
        {"id": "general", "name": "Everyone else", "actions": [{"type": "assign_team", "team_id": general_team}]}
    ]);
    assert_eq!(app.put("/api/assignment_rules", json!({"rules": rules})).await.status, StatusCode::OK);
    assert_eq!(app.post("/api/assignment_rules/publish", json!({})).await.status, StatusCode::OK);

    let r =
        app.post("/api/contacts", json!({"role": "user", "external_id": "vip-1", "email": "ceo@big.example"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/contacts/{contact}/identities"),
            json!({"identity_type": "email", "value": "ceo@home.example"}),
        )
        .await;
    assert_eq!((r.status, r.body["verified"].as_bool()), (StatusCode::OK, Some(true)), "{}", r.text);
    let r = app.post("/api/companies", json!({"company_id": "big", "name": "Big", "plan": "enterprise"})).await;
    let company = r.body["id"].as_str().unwrap().to_string();
    app.post(&format!("/api/contacts/{contact}/companies"), json!({"id": company})).await;

    let jwt = sign_user_jwt(&app.workspace.identity_secret, &json!({"user_id": "vip-1"}));
    let user = visitor_of(&boot(app, json!({"app_id": app.workspace.app_id, "user_jwt": jwt})).await);
    assert_eq!(user.contact_id.to_string(), contact);
    let conversation = start(app, &user, "Our invoices are wrong", "vip-c1").await;
    let routed = app.get(&format!("/api/conversations/{conversation}")).await;
    assert_eq!(routed.body["team_assignee_id"], vip_team, "{}", routed.text);
    Scenario { vip_team, general_team, user, conversation }
}

/// Point 6: with enforcement off, booting with a user's verified secondary email (or their
/// user_id) and no signature gets a lead marked as claiming that identity: it reads none of the
/// user's conversations and its own conversation is routed as a lead's.
#[tokio::test]
async fn an_unsigned_claim_gets_a_lead_that_never_reaches_the_user() {
    for app in TestApp::all().await {
        let s = scenario(&app).await;
        let app_id = app.workspace.app_id.clone();
        for claim in
            [json!({"email": "ceo@home.example"}), json!({"user_id": "vip-1"}), json!({"email": "CEO@big.example"})]
        {
            let mut body = claim.clone();
            body["app_id"] = json!(app_id);
            let r = boot(&app, body).await;
            let impostor = visitor_of(&r);
            assert_eq!(r.body["contact"]["role"], "lead", "{claim}: {}", r.text);
            assert_ne!(impostor.contact_id, s.user.contact_id);
            assert_eq!(r.body["contact"]["user_id"], Value::Null);
            assert_eq!(r.body["contact"]["email"], Value::Null, "an unverified claim is not the lead's email");
            let claimed = &r.body["contact"]["claimed_identity"];
            assert_eq!(claimed["verified"], false);
            assert_eq!(
                (claimed["user_id"].as_str(), claimed["email"].as_str()),
                (claim["user_id"].as_str(), claim["email"].as_str().map(|e| e.to_lowercase()).as_deref())
            );
            assert_eq!(r.body["unread_count"], 0);

            assert!(conversation_ids(&app, &impostor).await.is_empty());
            let peek =
                as_visitor(&app, &impostor, Method::GET, &format!("/messenger/conversations/{}", s.conversation), None)
                    .await;
            assert_eq!(peek.status, StatusCode::NOT_FOUND);
            let reply = json!({"body": "me again", "client_id": format!("x-{}", impostor.contact_id)});
            let path = format!("/messenger/conversations/{}/messages", s.conversation);
            assert_eq!(
                as_visitor(&app, &impostor, Method::POST, &path, Some(reply)).await.status,
                StatusCode::NOT_FOUND
            );

            let mine = start(&app, &impostor, "Please refund me", &format!("i-{}", impostor.contact_id)).await;
            let c = app.get(&format!("/api/conversations/{mine}")).await;
            assert_eq!(c.body["contacts"]["contacts"][0]["id"], impostor.contact_id.to_string(), "{}", c.text);
            assert_eq!(c.body["team_assignee_id"], s.general_team, "routed as a lead, not to VIP ({})", s.vip_team);
            // The teammate sees the claim on the contact and can merge the lead into the user.
            let contact = app.get(&format!("/api/contacts/{}", impostor.contact_id)).await;
            assert_eq!(contact.body["claimed_identity"], *claimed);
        }
        // The user's own view is untouched.
        assert_eq!(conversation_ids(&app, &s.user).await, [json!(s.conversation)]);
    }
}

/// Point 5: a token issued to an unsigned claim while enforcement was off reads nothing of the
/// user's after enforcement is turned on and the real user signs in and writes; and no token
/// without the verified mark (however it came to be) acts as a user, over REST or the socket.
#[tokio::test]
async fn no_token_issued_without_a_signature_acts_as_a_user() {
    for app in TestApp::all().await {
        let app_id = app.workspace.app_id.clone();
        let secret = app.workspace.identity_secret.clone();
        set_enforced(&app, false).await;
        let early = visitor_of(&boot(&app, json!({"app_id": app_id, "user_id": "victim"})).await);
        set_enforced(&app, true).await;
        let victim = visitor_of(
            &boot(&app, json!({"app_id": app_id, "user_id": "victim", "user_hash": user_hash(&secret, "victim")}))
                .await,
        );
        assert_ne!(victim.contact_id, early.contact_id);
        let conversation = start(&app, &victim, "My card number ends 4242", "v-1").await;
        assert!(conversation_ids(&app, &early).await.is_empty());
        let path = format!("/messenger/conversations/{conversation}");
        assert_eq!(as_visitor(&app, &early, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);
        // Booting again with the early token and the claim, now unsigned under enforcement: refused.
        let again = boot(&app, json!({"app_id": app_id, "visitor_token": early.token, "user_id": "victim"})).await;
        assert_eq!((again.status, again.error_code()), (StatusCode::UNAUTHORIZED, "identity_verification_failed"));

        // A token for the user's contact that was not issued for a verified identity (as every
        // token of the older format was) is refused everywhere.
        let claims =
            VisitorClaims { app_id: app_id.clone(), contact_id: victim.contact_id, issued_at: 1, verified_user: false };
        let forged = Visitor { token: sign_visitor_token(&secret, &claims), contact_id: victim.contact_id };
        for (method, path) in [(Method::GET, "/messenger/conversations".to_string()), (Method::GET, path.clone())] {
            let r = as_visitor(&app, &forged, method, &path, None).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::UNAUTHORIZED, "visitor_token_invalid"), "{path}");
        }
        let socket = app.request_as(None, Method::GET, &format!("/messenger/ws?token={}", forged.token), None).await;
        assert_eq!(socket.status, StatusCode::UNAUTHORIZED, "{}", socket.text);
        // Resuming with it is ignored: a fresh lead, not the user.
        let resumed = boot(&app, json!({"app_id": app_id, "visitor_token": forged.token})).await;
        assert_eq!(resumed.body["contact"]["role"], "lead");
        assert_ne!(resumed.body["contact"]["id"], victim.contact_id.get());
        // The user's own token still works.
        assert_eq!(conversation_ids(&app, &victim).await, [json!(conversation)]);
    }
}

/// A lead that a teammate turns into a user loses its anonymous token (the user signs in with a
/// signature); a verified user whose page names them again without a signature stays signed in,
/// and one naming somebody else gets a fresh lead.
#[tokio::test]
async fn tokens_follow_who_was_verified() {
    for app in TestApp::all().await {
        let app_id = app.workspace.app_id.clone();
        let secret = app.workspace.identity_secret.clone();
        set_enforced(&app, false).await;
        let lead = visitor_of(&boot(&app, json!({"app_id": app_id})).await);
        let r = app.put(&format!("/api/contacts/{}", lead.contact_id), json!({"role": "user"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = as_visitor(&app, &lead, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(r.error_code(), "visitor_token_invalid");

        let user = visitor_of(
            &boot(&app, json!({"app_id": app_id, "user_id": "u-7", "user_hash": user_hash(&secret, "u-7")})).await,
        );
        let same = boot(&app, json!({"app_id": app_id, "visitor_token": user.token, "user_id": "u-7"})).await;
        assert_eq!(
            (same.body["contact"]["id"].as_i64(), same.body["contact"]["role"].as_str()),
            (Some(user.contact_id.get()), Some("user"))
        );
        let refreshed = visitor_of(&same);
        assert_eq!(conversation_ids(&app, &refreshed).await.len(), 0, "the refreshed token works");
        let other = boot(&app, json!({"app_id": app_id, "visitor_token": user.token, "user_id": "u-8"})).await;
        assert_eq!(other.body["contact"]["role"], "lead");
        assert_eq!(other.body["contact"]["claimed_identity"]["user_id"], "u-8");
        // A bare token of the user (no identity in the boot) resumes the user.
        let bare = boot(&app, json!({"app_id": app_id, "visitor_token": user.token})).await;
        assert_eq!(bare.body["contact"]["id"], user.contact_id.get());
    }
}

/// `POST /messenger/update`: a lead may give an email (it stays a lead's unverified address and
/// reaches no user); a signed-in user's email changes only where it is vouched for.
#[tokio::test]
async fn updates_do_not_change_who_a_visitor_is() {
    for app in TestApp::all().await {
        let s = scenario(&app).await;
        let lead = visitor_of(&boot(&app, json!({"app_id": app.workspace.app_id})).await);
        let r = as_visitor(&app, &lead, Method::POST, "/messenger/update", Some(json!({"email": "ceo@home.example"})))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["contact"]["id"].as_i64(), r.body["contact"]["role"].as_str()),
            (Some(lead.contact_id.get()), Some("lead"))
        );
        assert!(conversation_ids(&app, &lead).await.is_empty());
        let path = format!("/messenger/conversations/{}", s.conversation);
        assert_eq!(as_visitor(&app, &lead, Method::GET, &path, None).await.status, StatusCode::NOT_FOUND);

        let before = app.get(&format!("/api/contacts/{}", s.user.contact_id)).await.body;
        let r = as_visitor(
            &app,
            &s.user,
            Method::POST,
            "/messenger/update",
            Some(json!({"email": "attacker@evil.example"})),
        )
        .await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{}", r.text);
        assert_eq!(app.get(&format!("/api/contacts/{}", s.user.contact_id)).await.body["email"], before["email"]);
        // Their own email again (any case) and other details are fine.
        let r = as_visitor(
            &app,
            &s.user,
            Method::POST,
            "/messenger/update",
            Some(json!({"email": "CEO@big.example", "name": "Cy"})),
        )
        .await;
        assert_eq!((r.status, r.body["contact"]["name"].as_str()), (StatusCode::OK, Some("Cy")), "{}", r.text);
    }
}

/// New workspaces require verified identities from the start.
#[tokio::test]
async fn new_workspaces_enforce_identity_verification() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        assert!(other.workspace.identity_enforced);
        let r = boot(&other, json!({"app_id": other.workspace.app_id, "email": "someone@example.com"})).await;
        assert_eq!(r.error_code(), "identity_verification_failed");
        let anonymous = boot(&other, json!({"app_id": other.workspace.app_id})).await;
        assert_eq!(anonymous.body["contact"]["role"], "lead");
    }
}
