//! Webhook delivery against a real receiver (an axum server on 127.0.0.1), on SQLite and
//! PostgreSQL: signatures verify, every event arrives once by id and in order per conversation
//! even when the receiver fails for a while, repeated failures pause and resume continues, and
//! private addresses are refused at delivery time.
use rapport_core::ids::{AdminId, WorkspaceId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use rapport_core::conversation::Assignee;
use rapport_store::conversations::{self, Change, ContactRef, NewConversation, SendOptions};
use rapport_store::{event_log, testing, webhooks, Db};
use rapport_webhooks::{deliver_due, Config};
use serde_json::Value;

const SECRET: &str = "receiver secret";

/// What the receiver accepted (2xx), in arrival order, plus how many requests it should still
/// fail with a 500.
#[derive(Default)]
struct Receiver {
    accepted: Mutex<Vec<Value>>,
    fail_next: AtomicUsize,
    requests: AtomicUsize,
}

async fn hook(State(receiver): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver.requests.fetch_add(1, Ordering::SeqCst);
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let expected = format!("sha1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(headers["x-hub-signature"].to_str().unwrap(), expected, "the signature verifies");
    assert_eq!(headers["content-type"], "application/json");
    if receiver.fail_next.load(Ordering::SeqCst) > 0 {
        receiver.fail_next.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    receiver.accepted.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
    StatusCode::OK
}

async fn receiver() -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver::default());
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, url)
}

fn config(allow_private: bool, pause_after: i64) -> Arc<Config> {
    Arc::new(Config {
        allow_private,
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(4),
        pause_after,
        ..Config::default()
    })
}

fn all_topics() -> Vec<String> {
    rapport_core::webhook::TOPICS.iter().map(|t| t.to_string()).collect()
}

/// Runs delivery passes until the subscription's cursor reaches the log's end or it pauses
/// (bounded, so a bug fails the test instead of hanging it).
async fn deliver_until_settled(db: &Db, config: &Arc<Config>, ws: WorkspaceId, id: i64) -> webhooks::Subscription {
    for _ in 0..2000 {
        deliver_due(db, config).await.unwrap();
        let sub = webhooks::find(db, ws, id).await.unwrap();
        if sub.paused || sub.cursor_seq == event_log::last_seq(db, ws).await.unwrap() {
            return sub;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("delivery did not settle");
}

/// Two conversations with every kind of change, and a new lead; returns the seqs written.
async fn busy_workspace(db: &Db, ws: WorkspaceId, admin: AdminId) {
    let joe = testing::contact(db, ws, "user", Some("joe"), None).await.unwrap();
    testing::contact(db, ws, "lead", None, None).await.unwrap();
    let mut ids = Vec::new();
    for body in ["first", "second"] {
        let new =
            NewConversation { contact_id: joe, body, subject: None, created_at: None, options: SendOptions::default() };
        ids.push(conversations::create(db, ws, new).await.unwrap().conversation.id);
    }
    for &id in &ids {
        let changes = [
            Change::ContactReply { contact: ContactRef::Id(joe), body: "more" },
            Change::AdminComment { admin_id: admin, body: "answer" },
            Change::AdminNote { admin_id: admin, body: "note" },
            Change::Assign { admin_id: admin, assignee: Assignee::Admin(admin), body: None },
            Change::Snooze { admin_id: admin, until: rapport_store::now() + 3600 },
            Change::Open { admin_id: admin },
            Change::Close { admin_id: admin, body: None },
        ];
        for change in changes {
            conversations::send(db, ws, id, change, SendOptions::default()).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_receiver_that_fails_for_a_while_gets_every_event_once_and_in_order() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (receiver, url) = receiver().await;
        let sub = webhooks::create(&db, ws.id, &url, &all_topics(), SECRET).await.unwrap();
        busy_workspace(&db, ws.id, owner.id).await;
        receiver.fail_next.store(5, Ordering::SeqCst);

        let settled = deliver_until_settled(&db, &config(true, 100), ws.id, sub.id).await;
        assert!(!settled.paused);
        let accepted = receiver.accepted.lock().unwrap().clone();
        // 2 contacts + 2 × (created + 7 changes) = 18 events, each with a topic.
        let topics: Vec<&str> = accepted.iter().map(|n| n["topic"].as_str().unwrap()).collect();
        assert_eq!(accepted.len(), 18, "{topics:?}");
        let mut ids: Vec<&str> = accepted.iter().map(|n| n["id"].as_str().unwrap()).collect();
        let in_arrival_order = ids.clone();
        ids.dedup();
        assert_eq!(ids.len(), 18, "each event exactly once by id");
        let seqs: Vec<i64> =
            in_arrival_order.iter().map(|id| id.rsplit('_').next().unwrap().parse().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "log order, so in order per conversation: {seqs:?}");
        for expected in [
            "contact.user.created",
            "contact.lead.created",
            "conversation.user.created",
            "conversation.user.replied",
            "conversation.admin.replied",
            "conversation.admin.noted",
            "conversation.admin.assigned",
            "conversation.admin.snoozed",
            "conversation.admin.opened",
            "conversation.admin.closed",
        ] {
            assert!(topics.contains(&expected), "{expected} missing from {topics:?}");
        }
        let first = &accepted[0];
        assert_eq!(first["type"], "notification_event");
        assert_eq!(first["app_id"], ws.app_id.as_str());
        assert_eq!(first["data"]["type"], "notification_event_data");
        assert_eq!(first["data"]["item"]["type"], "contact");
        let reply = accepted.iter().find(|n| n["topic"] == "conversation.admin.replied").unwrap();
        let item = &reply["data"]["item"];
        assert_eq!(item["type"], "conversation");
        let parts = item["conversation_parts"]["conversation_parts"].as_array().unwrap();
        assert_eq!(parts.len(), 1, "the new part: {item}");
        assert_eq!(parts[0]["body"], "answer");

        // The failures are in the delivery log, and the retry of that event says attempt 2+.
        let log = webhooks::deliveries(&db, ws.id, sub.id, None, 100).await.unwrap();
        assert_eq!(log.len(), 18 + 5);
        assert_eq!(log.iter().filter(|d| d.status_code == Some(500)).count(), 5);
        assert!(log.iter().all(|d| d.status_code.is_some() && d.latency_ms >= 0));
        assert_eq!(log.iter().map(|d| d.attempt).max(), Some(6), "one event failed five times");
        assert_eq!(first["delivery_attempts"], 6);
    }
}

#[tokio::test]
async fn repeated_failures_pause_and_resume_continues_without_skipping() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (receiver, url) = receiver().await;
        let sub = webhooks::create(&db, ws.id, &url, &all_topics(), SECRET).await.unwrap();
        busy_workspace(&db, ws.id, owner.id).await;
        receiver.fail_next.store(usize::MAX / 2, Ordering::SeqCst);
        let config = config(true, 3);

        let paused = deliver_until_settled(&db, &config, ws.id, sub.id).await;
        assert!(paused.paused);
        assert_eq!(paused.consecutive_failures, 3);
        assert_eq!(paused.last_error.as_deref(), Some("HTTP 500"));
        let before = receiver.requests.load(Ordering::SeqCst);
        assert_eq!(before, 3);
        deliver_due(&db, &config).await.unwrap();
        assert_eq!(receiver.requests.load(Ordering::SeqCst), before, "a paused subscription gets nothing");

        receiver.fail_next.store(0, Ordering::SeqCst);
        webhooks::set_paused(&db, ws.id, sub.id, false).await.unwrap();
        let done = deliver_until_settled(&db, &config, ws.id, sub.id).await;
        assert!(!done.paused);
        assert_eq!(receiver.accepted.lock().unwrap().len(), 18, "resume delivered everything, skipping nothing");
    }
}

#[tokio::test]
async fn only_wanted_topics_are_sent_and_private_addresses_are_refused_at_delivery() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (receiver, url) = receiver().await;
        let topics = vec!["conversation.admin.closed".to_string()];
        let sub = webhooks::create(&db, ws.id, &url, &topics, SECRET).await.unwrap();
        busy_workspace(&db, ws.id, owner.id).await;

        // Without allow-private, the loopback receiver is refused before any request is made.
        let strict = config(false, 2);
        let paused = deliver_until_settled(&db, &strict, ws.id, sub.id).await;
        assert!(paused.paused);
        assert!(paused.last_error.as_deref().unwrap().starts_with("refused:"), "{:?}", paused.last_error);
        assert_eq!(receiver.requests.load(Ordering::SeqCst), 0);
        let log = webhooks::deliveries(&db, ws.id, sub.id, None, 10).await.unwrap();
        assert!(log.iter().all(|d| d.status_code.is_none()));

        webhooks::set_paused(&db, ws.id, sub.id, false).await.unwrap();
        deliver_until_settled(&db, &config(true, 2), ws.id, sub.id).await;
        let accepted = receiver.accepted.lock().unwrap().clone();
        assert_eq!(accepted.len(), 2, "one close per conversation");
        assert!(accepted.iter().all(|n| n["topic"] == "conversation.admin.closed"));
    }
}

#[tokio::test]
async fn the_sender_refuses_private_targets_in_every_spelling() {
    let strict = Config { allow_private: false, ..Config::default() };
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost:9/x",
        "http://[::1]:9/x",
        "http://[::ffff:127.0.0.1]:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/x",
        "http://[fe80::1]/x",
        "http://0.0.0.0:9/x",
        "http://100.64.0.1/x",
        "http://[fd00::1]/x",
        "http://2130706433/x",
    ] {
        let (status, outcome) = rapport_webhooks::send(&strict, url, SECRET, "{}".into()).await;
        assert_eq!(status, None, "{url}");
        assert!(outcome.unwrap_err().starts_with("refused:"), "{url}");
    }
}

#[tokio::test]
async fn two_nodes_delivering_at_once_send_each_event_once() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (receiver, url) = receiver().await;
        let sub = webhooks::create(&db, ws.id, &url, &all_topics(), SECRET).await.unwrap();
        busy_workspace(&db, ws.id, owner.id).await;
        let (a, b) = (config(true, 100), config(true, 100));
        assert_ne!(a.node, b.node);
        for _ in 0..2000 {
            let (x, y) = tokio::join!(deliver_due(&db, &a), deliver_due(&db, &b));
            x.unwrap();
            y.unwrap();
            if webhooks::find(&db, ws.id, sub.id).await.unwrap().cursor_seq
                == event_log::last_seq(&db, ws.id).await.unwrap()
            {
                break;
            }
        }
        let accepted = receiver.accepted.lock().unwrap().clone();
        let mut ids: Vec<&str> = accepted.iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 18);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 18, "no event was sent by both nodes");
    }
}

/// Receivers are mostly https: a delivery to an https URL speaks TLS (the first byte the
/// receiver reads is a TLS handshake record), through the same address pinning as http.
#[tokio::test]
async fn https_receivers_are_spoken_to_over_tls() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let first_byte = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut byte = [0u8; 1];
        socket.read_exact(&mut byte).await.unwrap();
        byte[0]
    });
    let url = format!("https://127.0.0.1:{port}/hook");
    let (_, outcome) = rapport_webhooks::send(&config(true, 10), &url, SECRET, "{}".to_string()).await;
    assert!(outcome.is_err(), "the listener never completes the handshake");
    // Without TLS support nothing connects at all: fail rather than wait forever.
    let first_byte = tokio::time::timeout(Duration::from_secs(30), first_byte).await.expect("the sender connected");
    assert_eq!(first_byte.unwrap(), 0x16, "a TLS handshake record");
}
