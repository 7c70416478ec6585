//! What the agent's composer sends and shows: @mentions in notes (`mentioned_admin_ids`, checked,
//! searchable), tags on one part (Rapport extension), and attachments on a reply or note shown
//! on the part. On SQLite and PostgreSQL.
mod common;
mod live_support;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use live_support::{connect, serve};
use messenger_support::{admin_reply, as_visitor, lead, start, upload, PNG};
use rapport_core::admin::AdminRole;
use rapport_core::ids::AdminId;
use serde_json::{json, Value};

async fn conversation(app: &TestApp, id: i64) -> Value {
    let r = app.get(&format!("/api/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn parts(c: &Value) -> &Vec<Value> {
    c["conversation_parts"]["conversation_parts"].as_array().unwrap()
}

/// The part with this id.
fn part(c: &Value, id: i64) -> &Value {
    let id = id.to_string();
    parts(c).iter().find(|p| p["id"].as_str() == Some(id.as_str())).unwrap()
}

async fn mentions_of(app: &TestApp, admin_id: AdminId) -> Vec<String> {
    let query = json!({"query": {"operator": "AND", "value": [
        {"field": "state", "operator": "=", "value": "open"},
        {"field": "mentioned_admin_ids", "operator": "=", "value": admin_id}]}});
    let r = app.post("/api/conversations/search", query).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_note_mentions_active_teammates_only() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let id = start(&app, &v, "Help", "c-1").await;
        let (tess, _) = app.teammate("tess@example.com", AdminRole::Agent).await;
        let note = |mentions: Value| json!({"message_type": "note", "body": "<p>@Teammate please look</p>", "mentioned_admin_ids": mentions});

        let r = admin_reply(&app, id, note(json!([tess.id.to_string()]))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let part = parts(&r.body).last().unwrap();
        assert_eq!(part["part_type"], "note");
        assert_eq!(part["mentioned_admin_ids"], json!([tess.id.to_string()]));
        assert_eq!(part["body"], "<p>@Teammate please look</p>");
        assert_eq!(mentions_of(&app, tess.id).await, vec![id.to_string()]);
        assert!(mentions_of(&app, app.owner.id).await.is_empty());

        // Refused, and nothing written: another workspace's admin, a deactivated one, a
        // malformed id, a mention in a reply the customer sees.
        let other = app.other_workspace().await;
        let (gone, _) = app.teammate("gone@example.com", AdminRole::Agent).await;
        let r = app.post(&format!("/api/admins/{}/deactivate", gone.id), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let count = parts(&conversation(&app, id).await).len();
        for bad in [json!([other.owner.id]), json!([tess.id, gone.id]), json!(["abc"])] {
            let r = admin_reply(&app, id, note(bad.clone())).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}: {}", r.text);
        }
        let r = admin_reply(&app, id, json!({"body": "@Teammate", "mentioned_admin_ids": [tess.id]})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        assert_eq!(parts(&conversation(&app, id).await).len(), count);
        assert!(mentions_of(&app, gone.id).await.is_empty());
    }
}

#[tokio::test]
async fn a_customer_message_is_tagged_and_untagged() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let id = start(&app, &v, "Help", "c-1").await;
        let path = format!("/messenger/conversations/{id}/messages");
        let r =
            as_visitor(&app, &v, Method::POST, &path, Some(json!({"body": "It crashed", "client_id": "c-2"}))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let part_id = r.body["part"]["id"].as_i64().unwrap();
        let tag = app.post("/api/tags", json!({"name": "bug"})).await.body["id"].as_str().unwrap().to_string();
        let owner = app.owner.id.to_string();

        let tag_path = format!("/api/conversations/{id}/parts/{part_id}/tags");
        let r = app.post(&tag_path, json!({"id": tag, "admin_id": owner})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["type"].as_str(), r.body["name"].as_str()), (Some("tag"), Some("bug")));
        assert_eq!(r.body["applied_by"]["id"], owner);
        let c = conversation(&app, id).await;
        assert_eq!(part(&c, part_id)["tags"][0]["name"], "bug");
        assert_eq!(c["tags"]["tags"], json!([]), "the conversation itself is not tagged");
        assert_eq!(c["source"]["tags"], json!([]));

        // The opening message is a part too.
        let source = c["source"]["id"].as_str().unwrap();
        let r = app
            .post(&format!("/api/conversations/{id}/parts/{source}/tags"), json!({"id": tag, "admin_id": owner}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(conversation(&app, id).await["source"]["tags"][0]["name"], "bug");

        // Bad input: nothing changes.
        let r = app.post(&tag_path, json!({"admin_id": owner})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));
        let r = app
            .post(&format!("/api/conversations/{id}/parts/999999/tags"), json!({"id": tag, "admin_id": owner}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app.post(&tag_path, json!({"id": "999999", "admin_id": owner})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let other = app.other_workspace().await;
        let r = other.post(&tag_path, json!({"id": tag, "admin_id": other.owner.id})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let c = conversation(&app, id).await;
        assert_eq!(part(&c, part_id)["tags"].as_array().unwrap().len(), 1);

        let r = app.delete(&format!("{tag_path}/{tag}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.delete(&format!("{tag_path}/{tag}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let c = conversation(&app, id).await;
        assert_eq!(part(&c, part_id)["tags"], json!([]));
    }
}

#[tokio::test]
async fn attachments_sent_with_a_reply_or_note_show_on_the_part() {
    for app in TestApp::all().await {
        let v = lead(&app).await;
        let id = start(&app, &v, "Screenshot please", "c-1").await;
        let image = upload(&app, &app.token, "/api/attachments", "shot.png", "image/png", PNG).await;
        assert_eq!(image.status, StatusCode::CREATED, "{}", image.text);
        let image = image.body["id"].as_i64().unwrap();
        let r = admin_reply(&app, id, json!({"body": "Here", "attachment_ids": [image.to_string()]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let shown = &parts(&r.body).last().unwrap()["attachments"][0];
        assert_eq!((shown["type"].as_str(), shown["name"].as_str()), (Some("upload"), Some("shot.png")));
        assert_eq!(
            (shown["content_type"].as_str(), shown["filesize"].as_i64()),
            (Some("image/png"), Some(PNG.len() as i64))
        );
        let url = shown["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("/api/attachments/{image}")), "{url}");
        let file = app.get(&format!("/api/attachments/{image}")).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.headers["content-security-policy"], "sandbox");
        // The visitor sees it on the reply.
        let seen = as_visitor(&app, &v, Method::GET, &format!("/messenger/conversations/{id}"), None).await;
        assert_eq!(seen.body["parts"][1]["attachments"][0]["name"], "shot.png");

        // A note carries a file too; an unknown id writes nothing.
        let pdf = upload(&app, &app.token, "/api/attachments", "log.txt", "text/plain", b"trace").await;
        let pdf = pdf.body["id"].as_i64().unwrap();
        let before = parts(&conversation(&app, id).await).len();
        let r = admin_reply(&app, id, json!({"message_type": "note", "body": "log", "attachment_ids": [pdf, 999999]}))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(parts(&conversation(&app, id).await).len(), before);
        let r = admin_reply(&app, id, json!({"message_type": "note", "body": "log", "attachment_ids": [pdf]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(parts(&r.body).last().unwrap()["attachments"][0]["name"], "log.txt");
    }
}

#[tokio::test]
async fn the_mentioned_teammate_hears_the_note_on_their_socket() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let v = lead(&app).await;
        let id = start(&app, &v, "Help", "c-1").await;
        let (tess, tess_token) = app.teammate("tess@example.com", AdminRole::Agent).await;
        let (mut writer, _) = connect(&address, &format!("/ws?token={}", app.token)).await;
        let (mut listener, _) = connect(&address, &format!("/ws?token={tess_token}")).await;

        // A note over REST, then one over the socket: Tess's socket hears both, naming her.
        let r =
            admin_reply(&app, id, json!({"message_type": "note", "body": "@Tess", "mentioned_admin_ids": [tess.id]}))
                .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let heard = listener.next_event().await;
        assert_eq!(heard["kind"], "conversation_part.created", "{heard}");
        assert_eq!(heard["data"]["part"]["mentioned_admin_ids"], json!([tess.id]), "{heard}");
        let note = json!({"type": "note", "conversation_id": id, "body": "@Tess again", "client_id": "n-1",
            "mentioned_admin_ids": [tess.id.to_string()]});
        let ack = writer.ask(note).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        assert_eq!(ack["part"]["mentioned_admin_ids"], json!([tess.id]), "{ack}");
        let heard = listener.next_event().await;
        assert_eq!(heard["data"]["part"]["mentioned_admin_ids"], json!([tess.id]), "{heard}");

        // A reply without mentions does not carry the member; a bad mention is refused.
        let r = admin_reply(&app, id, json!({"body": "Hello"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let heard = listener.next_event().await;
        assert!(heard["data"]["part"].get("mentioned_admin_ids").is_none(), "{heard}");
        let other = app.other_workspace().await;
        let bad = json!({"type": "note", "conversation_id": id, "body": "x", "client_id": "n-2",
            "mentioned_admin_ids": [other.owner.id]});
        let refused = writer.ask(bad).await;
        assert_eq!(
            (refused["type"].as_str(), refused["code"].as_str()),
            (Some("error"), Some("parameter_invalid")),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn an_opening_message_not_stored_as_a_part_shows_no_tags() {
    for app in TestApp::all().await {
        // The demo's conversations were written without their opening message as a part (like an
        // import): `source.tags` is null, telling clients `source.id` is not a part to tag.
        let demo = rapport_store::seed::seed_demo(&app.db).await.unwrap();
        let r = app.request_as(Some(&demo.token), Method::GET, "/api/conversations?per_page=1", None).await;
        let id = r.body["conversations"][0]["id"].as_str().unwrap().to_string();
        let r = app.request_as(Some(&demo.token), Method::GET, &format!("/api/conversations/{id}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["source"]["tags"], Value::Null, "{}", r.body["source"]);
        assert!(r.body["source"]["id"].is_string());
    }
}
