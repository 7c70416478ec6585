//! The WebSocket gateways over TCP with a real client, on SQLite and PostgreSQL: `/ws` for
//! teammates and `/messenger/ws` for visitors (docs/REALTIME.md section 3).
mod common;
mod live_support;

use common::TestApp;
use live_support::{connect, refused, serve, visitor_token};
use rapport_core::admin::AdminRole;
use rapport_core::ids::{AdminId, ContactId, ConversationId};
use rapport_store::conversations::{self, Change, NewConversation, SendOptions};
use rapport_store::testing;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

async fn lead(app: &TestApp) -> ContactId {
    testing::contact(&app.db, app.workspace.id, "lead", None, None).await.unwrap()
}

/// A conversation started by `contact_id` through the store, as any other channel would.
async fn started_by(app: &TestApp, contact_id: ContactId, body: &str) -> ConversationId {
    let new = NewConversation { contact_id, body, subject: None, created_at: None, options: SendOptions::default() };
    conversations::create(&app.db, app.workspace.id, new).await.unwrap().conversation.id
}

#[tokio::test]
async fn visitor_and_agent_talk_live_and_notes_stay_internal() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let contact = lead(&app).await;
        let (mut agent, hello) = connect(&address, &format!("/ws?token={}", app.token)).await;
        assert!(hello["seq"].is_i64() && hello.get("unread_count").is_none(), "{hello}");
        let token = visitor_token(&app.workspace, contact);
        let (mut visitor, hello) = connect(&address, &format!("/messenger/ws?token={token}")).await;
        assert_eq!(hello["unread_count"], 0, "{hello}");

        // A visitor without a conversation starts one; both sides hear it.
        let ack = visitor.ask(json!({"type": "send", "body": "Hello?", "client_id": "v-1"})).await;
        assert_eq!((ack["type"].as_str(), ack["client_id"].as_str()), (Some("ack"), Some("v-1")), "{ack}");
        let conversation_id = ack["conversation_id"].as_i64().unwrap();
        assert_eq!(ack["part"]["body"], "Hello?", "{ack}");
        let created = visitor.next_event().await;
        assert_eq!(
            (created["kind"].as_str(), created["seq"].as_i64()),
            (Some("conversation.created"), ack["seq"].as_i64())
        );
        let heard = agent.next_event().await;
        assert_eq!(
            (heard["kind"].as_str(), heard["conversation_id"].as_i64()),
            (Some("conversation.created"), Some(conversation_id))
        );
        assert_eq!(heard["data"]["part"]["author"]["type"], "lead", "{heard}");

        // The agent replies and writes a note; the visitor hears the reply, never the note.
        agent
            .send(json!({"type": "note", "conversation_id": conversation_id, "body": "VIP", "client_id": "n-1"}))
            .await;
        agent.send(json!({"type": "send", "conversation_id": conversation_id.to_string(), "body": "Hi there", "client_id": "a-1"})).await;
        let (mut acks, mut parts) = (Vec::new(), Vec::new());
        while acks.len() < 2 || parts.len() < 2 {
            let frame = agent.next().await;
            match frame["type"].as_str() {
                Some("ack") => acks.push(frame["client_id"].clone()),
                Some("event") => parts.push(frame["data"]["part"]["part_type"].clone()),
                _ => {}
            }
        }
        assert_eq!((acks, parts), (vec![json!("n-1"), json!("a-1")], vec![json!("note"), json!("comment")]));
        let reply = visitor.next_event().await;
        assert_eq!(reply["kind"], "conversation_part.created", "{reply}");
        assert_eq!(reply["data"]["part"]["body"], "Hi there", "the note was skipped: {reply}");
        assert_eq!(visitor.next_of("unread").await["count"], 1);

        // Typing is relayed both ways and never stored.
        let seq_before = rapport_store::event_log::last_seq(&app.db, app.workspace.id).await.unwrap();
        visitor.send(json!({"type": "typing", "conversation_id": conversation_id})).await;
        let typing = agent.next_of("typing").await;
        assert_eq!(
            (typing["conversation_id"].as_i64(), typing["author"]["id"].as_i64()),
            (Some(conversation_id), Some(contact.get()))
        );
        agent.send(json!({"type": "typing", "conversation_id": conversation_id})).await;
        let typing = visitor.next_of("typing").await;
        assert_eq!(
            (typing["author"]["type"].as_str(), typing["author"]["id"].as_i64()),
            (Some("admin"), Some(app.owner.id.get()))
        );
        assert_eq!(rapport_store::event_log::last_seq(&app.db, app.workspace.id).await.unwrap(), seq_before);

        // The visitor's read receipt reaches the agent and clears the unread count.
        visitor.send(json!({"type": "read", "conversation_id": conversation_id})).await;
        assert_eq!(visitor.next_of("unread").await["count"], 0);
        let read = agent.next_event().await;
        assert_eq!(
            (read["kind"].as_str(), read["data"]["reader"]["id"].as_i64()),
            (Some("conversation.read"), Some(contact.get()))
        );

        // A visitor reply goes to the existing conversation.
        let ack = visitor
            .ask(json!({"type": "send", "conversation_id": conversation_id, "body": "Thanks", "client_id": "v-2"}))
            .await;
        assert_eq!(ack["conversation_id"].as_i64(), Some(conversation_id), "{ack}");
        assert_eq!(agent.next_event().await["data"]["part"]["body"], "Thanks");
        assert_eq!(visitor.ask(json!({"type": "ping"})).await["type"], "pong");
    }
}

#[tokio::test]
async fn resuming_with_since_gets_missed_events_once_in_order() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let contact = lead(&app).await;
        let since = rapport_store::event_log::last_seq(&app.db, app.workspace.id).await.unwrap();
        let mine = started_by(&app, contact, "first").await;
        let other = started_by(&app, lead(&app).await, "someone else").await;
        for body in ["one", "two", "three"] {
            let change = Change::AdminComment { admin_id: app.owner.id, body };
            conversations::send(&app.db, app.workspace.id, mine, change, SendOptions::default()).await.unwrap();
        }
        let note = Change::AdminNote { admin_id: app.owner.id, body: "internal" };
        conversations::send(&app.db, app.workspace.id, mine, note, SendOptions::default()).await.unwrap();
        let last = rapport_store::event_log::last_seq(&app.db, app.workspace.id).await.unwrap();

        let (mut agent, hello) = connect(&address, &format!("/ws?since={since}&token={}", app.token)).await;
        assert_eq!(hello["seq"].as_i64(), Some(last));
        // Every conversation event (contact creations are not sent to sockets).
        let backlog = rapport_store::event_log::after(&app.db, app.workspace.id, since, 1000).await.unwrap();
        for event in backlog.iter().filter(|e| e.conversation_id.is_some()) {
            assert_eq!(agent.next_event().await["seq"].as_i64(), Some(event.seq));
        }
        let token = visitor_token(&app.workspace, contact);
        let (mut visitor, _) = connect(&address, &format!("/messenger/ws?token={token}&since={since}")).await;
        let mut seen = Vec::new();
        for _ in 0..4 {
            let event = visitor.next_event().await;
            assert_eq!(event["conversation_id"].as_i64(), Some(mine.get()), "never another contact's: {event}");
            seen.push(event["seq"].as_i64().unwrap());
        }
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert!(other.get() > 0);

        // Then live, after the backlog, without repeats.
        let change = Change::AdminComment { admin_id: app.owner.id, body: "live" };
        conversations::send(&app.db, app.workspace.id, mine, change, SendOptions::default()).await.unwrap();
        assert_eq!(agent.next_event().await["seq"].as_i64(), Some(last + 1));
        let live = visitor.next_event().await;
        assert_eq!((live["seq"].as_i64(), live["data"]["part"]["body"].as_str()), (Some(last + 1), Some("live")));
    }
}

#[tokio::test]
async fn the_same_client_id_twice_stores_one_part_and_acks_twice() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let contact = lead(&app).await;
        let (mut visitor, _) =
            connect(&address, &format!("/messenger/ws?token={}", visitor_token(&app.workspace, contact))).await;
        let frame = json!({"type": "send", "body": "Once", "client_id": "same"});
        let first = visitor.ask(frame.clone()).await;
        let second = visitor.ask(frame).await;
        assert_eq!((first["type"].as_str(), second["type"].as_str()), (Some("ack"), Some("ack")), "{second}");
        assert_eq!(first["part"]["id"], second["part"]["id"]);
        assert_eq!(first["conversation_id"], second["conversation_id"]);
        let conversation_id = ConversationId::new(first["conversation_id"].as_i64().unwrap());
        let parts = conversations::live_parts(&app.db, app.workspace.id, conversation_id, false, 0, 10).await.unwrap();
        assert_eq!(parts.len(), 1);
    }
}

#[tokio::test]
async fn other_workspaces_see_and_reach_nothing() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let other = app.other_workspace().await;
        let (mut outsider, _) = connect(&address, &format!("/ws?token={}", other.token)).await;
        let contact = lead(&app).await;
        let conversation_id = started_by(&app, contact, "private").await;
        let stranger = lead(&app).await;
        let (mut visitor, _) =
            connect(&address, &format!("/messenger/ws?token={}", visitor_token(&app.workspace, stranger))).await;

        for frame in [
            json!({"type": "send", "conversation_id": conversation_id, "body": "x", "client_id": "o-1"}),
            json!({"type": "note", "conversation_id": conversation_id, "body": "x", "client_id": "o-2"}),
            json!({"type": "typing", "conversation_id": conversation_id}),
            json!({"type": "read", "conversation_id": conversation_id}),
            json!({"type": "subscribe", "conversations": [conversation_id]}),
        ] {
            let answer = outsider.ask(frame.clone()).await;
            assert_eq!(
                (answer["type"].as_str(), answer["code"].as_str()),
                (Some("error"), Some("not_found")),
                "{frame} -> {answer}"
            );
        }
        for frame in [
            json!({"type": "send", "conversation_id": conversation_id, "body": "x", "client_id": "s-1"}),
            json!({"type": "typing", "conversation_id": conversation_id}),
            json!({"type": "read", "conversation_id": conversation_id}),
        ] {
            let answer = visitor.ask(frame.clone()).await;
            assert_eq!(answer["code"], "not_found", "a visitor cannot reach another contact's conversation: {answer}");
        }

        // The first event the outsider hears is its own workspace's.
        let new = NewConversation {
            contact_id: testing::contact(&other.db, other.workspace.id, "lead", None, None).await.unwrap(),
            body: "theirs",
            subject: None,
            created_at: None,
            options: SendOptions::default(),
        };
        let theirs = conversations::create(&other.db, other.workspace.id, new).await.unwrap().conversation.id;
        let event = outsider.next_event().await;
        assert_eq!(event["conversation_id"].as_i64(), Some(theirs.get()), "{event}");
        assert_eq!(event["seq"], 2, "seq 1 is the lead's creation, which sockets do not get");
    }
}

#[tokio::test]
async fn hostile_frames_get_error_frames_and_the_socket_stays_open() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let contact = lead(&app).await;
        let conversation_id = started_by(&app, contact, "hi").await;
        let (mut visitor, _) =
            connect(&address, &format!("/messenger/ws?token={}", visitor_token(&app.workspace, contact))).await;
        let (viewer, viewer_token) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let (mut watcher, _) = connect(&address, &format!("/ws?token={viewer_token}")).await;
        assert!(viewer.id.get() > 0);

        let cases: Vec<(Message, &str)> = vec![
            (Message::Text("not json".into()), "bad_frame"),
            (Message::Text("[]".into()), "bad_frame"),
            (Message::Text(r#"{"type":"launch_missiles"}"#.into()), "bad_frame"),
            (Message::Text(r#"{"type":"send","body":42,"client_id":"x"}"#.into()), "parameter_invalid"),
            (Message::Text(r#"{"type":"typing","conversation_id":{"$gt":0}}"#.into()), "parameter_invalid"),
            (
                Message::Text(
                    format!(r#"{{"type":"send","body":"{}","client_id":"big"}}"#, "a".repeat(100 * 1024)).into(),
                ),
                "request_too_large",
            ),
            (Message::Binary(vec![0, 159, 146, 150].into()), "bad_frame"),
            (Message::Text(r#"{"type":"send","body":"   ","client_id":"blank"}"#.into()), "parameter_not_found"),
            (Message::Text(r#"{"type":"send","body":"x","client_id":""}"#.into()), "parameter_not_found"),
            (Message::Text(r#"{"type":"send","body":"x"}"#.into()), "parameter_not_found"),
            (Message::Text(r#"{"type":"send","body":"x\u0000","client_id":"nul"}"#.into()), "parameter_invalid"),
            (
                Message::Text(
                    format!(r#"{{"type":"note","conversation_id":{conversation_id},"body":"x","client_id":"n"}}"#)
                        .into(),
                ),
                "forbidden",
            ),
            (Message::Text(r#"{"type":"presence","status":"online"}"#.into()), "forbidden"),
            (Message::Text(r#"{"type":"typing","conversation_id":"abc"}"#.into()), "not_found"),
            (Message::Text(r#"{"type":"read","conversation_id":99999999}"#.into()), "not_found"),
            (
                Message::Text(r#"{"type":"send","body":"x","client_id":"att","attachment_ids":[987654]}"#.into()),
                "not_found",
            ),
        ];
        for (message, code) in cases {
            let shown = format!("{message:?}").chars().take(120).collect::<String>();
            visitor.send_raw(message).await;
            let answer = visitor.next_of("error").await;
            assert_eq!(answer["code"], code, "{shown} -> {answer}");
        }
        assert_eq!(visitor.ask(json!({"type": "ping"})).await["type"], "pong", "the socket is still open");

        let answer = watcher
            .ask(json!({"type": "send", "conversation_id": conversation_id, "body": "x", "client_id": "w"}))
            .await;
        assert_eq!((answer["code"].as_str(), answer["client_id"].as_str()), (Some("forbidden"), Some("w")), "{answer}");
        let answer = watcher.ask(json!({"type": "presence", "status": "asleep"})).await;
        assert_eq!((answer["code"].as_str(), answer["field"].as_str()), (Some("parameter_invalid"), Some("status")));
        let parts = conversations::live_parts(&app.db, app.workspace.id, conversation_id, false, 0, 10).await.unwrap();
        assert_eq!(parts.len(), 1, "nothing was written");
    }
}

#[tokio::test]
async fn handshakes_without_valid_credentials_are_refused() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        assert_eq!(refused(&address, "/ws").await, 401);
        assert_eq!(refused(&address, "/ws?token=rpt_wrong").await, 401);
        assert_eq!(refused(&address, "/messenger/ws").await, 401);
        assert_eq!(refused(&address, "/messenger/ws?token=abc.1.2.deadbeef").await, 401);
        assert_eq!(refused(&address, &format!("/ws?token={}&since=-1", app.token)).await, 400);
        let token = visitor_token(&app.workspace, lead(&app).await);
        assert_eq!(refused(&address, &format!("/messenger/ws?token={token}&since=x")).await, 400);
    }
}

/// The next presence frame about `admin_id`.
async fn presence_of(client: &mut live_support::Client, admin_id: AdminId) -> Value {
    loop {
        let frame = client.next_of("presence").await;
        if frame["admin_id"].as_i64() == Some(admin_id.get()) {
            return frame;
        }
    }
}

#[tokio::test]
async fn agents_see_presence_and_subscribe_narrows_events() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let (mate, mate_token) = app.teammate("mate@example.com", AdminRole::Agent).await;
        let (mut owner, _) = connect(&address, &format!("/ws?token={}", app.token)).await;
        let (mut teammate, _) = connect(&address, &format!("/ws?token={mate_token}")).await;
        let online = presence_of(&mut owner, mate.id).await;
        assert_eq!((online["admin_id"].as_i64(), online["status"].as_str()), (Some(mate.id.get()), Some("online")));
        teammate.send(json!({"type": "presence", "status": "away"})).await;
        let away = presence_of(&mut owner, mate.id).await;
        assert_eq!((away["admin_id"].as_i64(), away["status"].as_str()), (Some(mate.id.get()), Some("away")));
        drop(teammate);
        let offline = presence_of(&mut owner, mate.id).await;
        assert_eq!((offline["admin_id"].as_i64(), offline["status"].as_str()), (Some(mate.id.get()), Some("offline")));

        let first = started_by(&app, lead(&app).await, "first").await;
        assert_eq!(owner.next_event().await["conversation_id"].as_i64(), Some(first.get()));
        let second = started_by(&app, lead(&app).await, "second").await;
        assert_eq!(owner.next_event().await["conversation_id"].as_i64(), Some(second.get()));
        owner.send(json!({"type": "subscribe", "conversations": [second]})).await;
        assert_eq!(owner.ask(json!({"type": "ping"})).await["type"], "pong");
        for id in [first, second] {
            let change = Change::AdminComment { admin_id: app.owner.id, body: "again" };
            conversations::send(&app.db, app.workspace.id, id, change, SendOptions::default()).await.unwrap();
        }
        assert_eq!(
            owner.next_event().await["conversation_id"].as_i64(),
            Some(second.get()),
            "the first was filtered out"
        );
    }
}

#[tokio::test]
async fn agents_sign_in_by_bearer_header_or_by_cookie_from_this_site_only() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let bearer = format!("Bearer {}", app.token);
        assert!(live_support::connect_with(&address, "/ws", &[("authorization", &bearer)]).await.is_ok());

        let login = json!({"email": "owner@example.com", "password": "correct horse battery"});
        let r = app.request_as(None, axum::http::Method::POST, "/api/auth/login", Some(login)).await;
        let cookie = r.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let same_site = format!("http://{address}");
        let from_here = [("cookie", cookie.as_str()), ("origin", same_site.as_str())];
        assert!(live_support::connect_with(&address, "/ws", &from_here).await.is_ok());
        let from_elsewhere = [("cookie", cookie.as_str()), ("origin", "https://evil.example")];
        assert_eq!(live_support::connect_with(&address, "/ws", &from_elsewhere).await.err(), Some(403));
    }
}
