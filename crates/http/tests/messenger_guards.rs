//! What the messenger refuses to contacts the team shut out, and what it never tells visitors:
//! a blocked, archived or merged-away contact cannot boot, open a socket, send or upload (and
//! nothing is written); an agent typing a note never shows as typing to the visitor.
mod common;
mod live_support;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use live_support::{connect, refused, serve};
use messenger_support::{as_visitor, boot, lead, start, upload, Visitor};
use rapport_core::admin::AdminRole;
use rapport_core::identity::user_hash;
use rapport_core::ids::ContactId;
use rapport_store::{contacts, event_log};
use serde_json::json;

/// Everything a write could change: contacts, the event log, the visitor's uploads.
async fn footprint(app: &TestApp) -> (i64, i64) {
    let contacts = contacts::count(&app.db, app.workspace.id).await.unwrap();
    let seq = event_log::last_seq(&app.db, app.workspace.id).await.unwrap();
    (contacts, seq)
}

/// Checks every messenger door of a shut-out visitor: `status`/`code`, nothing written.
async fn assert_shut_out(app: &TestApp, address: &str, v: &Visitor, conversation_id: i64, status: u16, code: &str) {
    let before = footprint(app).await;
    let mut doors = Vec::new();
    // A merged lead's token is no one's any more: a new boot makes a fresh lead (the caller checks).
    if status != 401 {
        doors.push(boot(app, json!({"app_id": app.workspace.app_id, "visitor_token": v.token})).await);
    }
    let reply = as_visitor(
        app,
        v,
        Method::POST,
        &format!("/messenger/conversations/{conversation_id}/messages"),
        Some(json!({"body": "still here?", "client_id": "late-1"})),
    )
    .await;
    let new =
        as_visitor(app, v, Method::POST, "/messenger/conversations", Some(json!({"body": "hi", "client_id": "n"})))
            .await;
    let file = upload(app, &v.token, "/messenger/attachments", "a.txt", "text/plain", b"hello").await;
    let update = as_visitor(app, v, Method::POST, "/messenger/update", Some(json!({"name": "Eve"}))).await;
    doors.extend([reply, new, file, update]);
    for r in doors {
        assert_eq!(r.status.as_u16(), status, "{}", r.text);
        assert_eq!(r.error_code(), code);
    }
    assert_eq!(refused(address, &format!("/messenger/ws?token={}", v.token)).await, status);
    assert_eq!(footprint(app).await, before, "nothing was written");
}

#[tokio::test]
async fn blocked_and_archived_contacts_are_shut_out_of_the_messenger() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let ws = app.workspace.id;

        // Blocked: the REST doors and a socket opened before the block.
        let blocked = lead(&app).await;
        let conversation_id = start(&app, &blocked, "Hello", "b-1").await;
        let (mut socket, _) = connect(&address, &format!("/messenger/ws?token={}", blocked.token)).await;
        contacts::block(&app.db, ws, blocked.contact_id).await.unwrap();
        assert_shut_out(&app, &address, &blocked, conversation_id, 403, "contact_blocked").await;
        let seq = event_log::last_seq(&app.db, ws).await.unwrap();
        let frame = json!({"type": "send", "conversation_id": conversation_id, "body": "x", "client_id": "late-2"});
        let answer = socket.ask(frame).await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("forbidden")), "{answer}");
        assert_eq!(answer["client_id"], "late-2");
        assert_eq!(event_log::last_seq(&app.db, ws).await.unwrap(), seq, "the socket wrote nothing");

        // Archived: the same, and a verified user who is archived cannot boot either.
        let archived = lead(&app).await;
        let conversation_id = start(&app, &archived, "Hello", "a-1").await;
        contacts::set_archived(&app.db, ws, archived.contact_id, true).await.unwrap();
        assert_shut_out(&app, &address, &archived, conversation_id, 403, "contact_archived").await;
        let secret = app.workspace.identity_secret.clone();
        let user = json!({"app_id": app.workspace.app_id, "user_id": "u-9", "user_hash": user_hash(&secret, "u-9")});
        let r = boot(&app, user.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        contacts::set_archived(&app.db, ws, ContactId::new(r.body["contact"]["id"].as_i64().unwrap()), true)
            .await
            .unwrap();
        let before = footprint(&app).await;
        let r = boot(&app, user).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "contact_archived"), "{}", r.text);
        assert_eq!(footprint(&app).await, before);

        // Unarchived, they are back.
        contacts::set_archived(&app.db, ws, archived.contact_id, false).await.unwrap();
        let r = as_visitor(&app, &archived, Method::GET, "/messenger/conversations", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

#[tokio::test]
async fn a_merged_leads_token_opens_nothing_and_boots_a_stranger() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let visitor = lead(&app).await;
        let conversation_id = start(&app, &visitor, "Hello", "m-1").await;
        let user = rapport_store::testing::contact(&app.db, app.workspace.id, "user", Some("u-1"), None).await.unwrap();
        contacts::merge(&app.db, app.workspace.id, visitor.contact_id, user).await.unwrap();
        assert_shut_out(&app, &address, &visitor, conversation_id, 401, "visitor_token_invalid").await;
        // Booting with it gives a new lead: neither the merged lead nor the user it became.
        let r = boot(&app, json!({"app_id": app.workspace.app_id, "visitor_token": visitor.token})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = ContactId::new(r.body["contact"]["id"].as_i64().unwrap());
        assert!(id != user && id != visitor.contact_id, "{}", r.text);
        assert_eq!(r.body["unread_count"], 0);
    }
}

#[tokio::test]
async fn an_agent_writing_a_note_never_shows_as_typing_to_the_visitor() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let visitor = lead(&app).await;
        let conversation_id = start(&app, &visitor, "Hello", "t-1").await;
        let (_, teammate_token) = app.teammate("tess@acme.test", AdminRole::Agent).await;
        let (mut writer, _) = connect(&address, &format!("/ws?token={}", app.token)).await;
        let (mut teammate, _) = connect(&address, &format!("/ws?token={teammate_token}")).await;
        let (mut visitor_socket, _) = connect(&address, &format!("/messenger/ws?token={}", visitor.token)).await;

        // A note: teammates hear "writing a note", the visitor nothing.
        writer.send(json!({"type": "typing", "conversation_id": conversation_id, "note": true})).await;
        let typing = teammate.next_of("typing").await;
        assert_eq!((typing["note"].as_bool(), typing["author"]["id"].as_i64()), (Some(true), Some(app.owner.id.get())));
        // Then a reply: the first typing the visitor ever gets is the reply's (signals keep their order).
        writer.send(json!({"type": "typing", "conversation_id": conversation_id})).await;
        let typing = visitor_socket.next_of("typing").await;
        assert_eq!(typing["note"], false, "{typing}");
        assert_eq!(typing["author"]["type"], "admin");
        assert_eq!(teammate.next_of("typing").await["note"], false);

        // The visitor's own typing carries `note: false`; a visitor cannot claim to write a note.
        visitor_socket.send(json!({"type": "typing", "conversation_id": conversation_id})).await;
        let typing = writer.next_of("typing").await;
        assert_eq!((typing["note"].as_bool(), typing["author"]["type"].as_str()), (Some(false), Some("lead")));
        let answer =
            visitor_socket.ask(json!({"type": "typing", "conversation_id": conversation_id, "note": true})).await;
        assert_eq!((answer["type"].as_str(), answer["code"].as_str()), (Some("error"), Some("forbidden")), "{answer}");
        let answer = writer.ask(json!({"type": "typing", "conversation_id": conversation_id, "note": "yes"})).await;
        assert_eq!(answer["code"], "parameter_invalid", "{answer}");
    }
}
