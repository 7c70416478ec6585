//! GitHub issue links: an agent links a conversation to an issue; GitHub's signed `issues`
//! `closed` webhook reopens every linked conversation with a note; a bad signature changes
//! nothing. Both databases.
mod common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::TestApp;
use hmac::{Hmac, Mac};
use rapport_core::conversation::{ConversationState, PartType};
use rapport_http::{AppState, HttpConfig};
use rapport_store::conversations::{self, Change, NewConversation, SendOptions};
use rapport_store::testing;
use serde_json::json;

const SECRET: &str = "github secret";

fn signed(body: &str, secret: &str) -> Request<Body> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    Request::builder()
        .method(Method::POST)
        .uri("/github/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-hub-signature-256", format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn closing_a_linked_issue_reopens_its_conversations_with_a_note() {
    for mut app in TestApp::all().await {
        let config = HttpConfig { github_webhook_secret: Some(SECRET.into()), ..HttpConfig::default() };
        app.router = rapport_http::router(AppState::new(app.db.clone(), config));
        let (ws, owner) = (app.workspace.id, app.owner.id);
        let contact = testing::contact(&app.db, ws, "user", Some("gh"), None).await.unwrap();
        let mut ids = Vec::new();
        for body in ["bug one", "bug two", "unrelated"] {
            let new = NewConversation {
                contact_id: contact,
                body,
                subject: None,
                created_at: None,
                options: SendOptions::default(),
            };
            let id = conversations::create(&app.db, ws, new).await.unwrap().conversation.id;
            let close = Change::Close { admin_id: owner, body: None };
            conversations::send(&app.db, ws, id, close, SendOptions::default()).await.unwrap();
            ids.push(id);
        }
        for id in &ids[..2] {
            let r = app
                .post(
                    &format!("/api/conversations/{id}/github_links"),
                    json!({"url": "https://github.com/Acme/App/issues/7"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.body["repository"], "acme/app");
        }
        let bad = app
            .post(&format!("/api/conversations/{}/github_links", ids[2]), json!({"url": "https://example.com/x"}))
            .await;
        assert_eq!(bad.status, 400);
        let listed = app.get(&format!("/api/conversations/{}/github_links", ids[0])).await;
        assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
        let other = app.other_workspace().await;
        assert_eq!(other.get(&format!("/api/conversations/{}/github_links", ids[0])).await.status, 404);

        let body =
            json!({"action": "closed", "issue": {"number": 7}, "repository": {"full_name": "acme/app"}}).to_string();
        // A wrong signature changes nothing.
        let refused = app.send(signed(&body, "not the secret")).await;
        assert_eq!(refused.status, 401);
        assert_eq!(conversations::find(&app.db, ws, ids[0]).await.unwrap().state, ConversationState::Closed);

        let done = app.send(signed(&body, SECRET)).await;
        assert_eq!(done.status, 200, "{}", done.text);
        assert_eq!(done.body["reopened"], 2);
        for id in &ids[..2] {
            let detail = conversations::find_detail(&app.db, ws, *id).await.unwrap();
            assert_eq!(detail.conversation.state, ConversationState::Open);
            let note = detail.parts.last().unwrap();
            assert_eq!(note.part_type, PartType::Note);
            assert!(note.body.as_deref().unwrap().contains("acme/app#7</a> was closed"), "{:?}", note.body);
        }
        assert_eq!(
            conversations::find(&app.db, ws, ids[2]).await.unwrap().state,
            ConversationState::Closed,
            "unlinked stays closed"
        );
        let reopened_event =
            json!({"action": "reopened", "issue": {"number": 7}, "repository": {"full_name": "acme/app"}});
        assert_eq!(app.send(signed(&reopened_event.to_string(), SECRET)).await.body["reopened"], 0);
    }
}
