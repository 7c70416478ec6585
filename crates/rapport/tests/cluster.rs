//! Two real `rapport serve` processes on one PostgreSQL database and the real NATS at
//! 127.0.0.1:4222: what happens on one node reaches the sockets of the other.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rapport_core::identity::{sign_visitor_token, VisitorClaims};
use rapport_core::ids::ContactId;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn nats_url() -> String {
    std::env::var("RAPPORT_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_string())
}

/// Runs a CLI command on `db_url` and returns the last line it printed.
fn rapport(args: &[&str], db_url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .env("RAPPORT_DATABASE_URL", db_url)
        .env_remove("RAPPORT_CONFIG")
        .output()
        .expect("run rapport");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").trim().to_string()
}

/// A node: the process (killed on drop) and its `host:port`.
struct Node {
    process: Child,
    address: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn start_node(db_url: &str) -> Node {
    start_node_with(db_url, &[])
}

fn start_node_with(db_url: &str, extra: &[&str]) -> Node {
    let mut process = Command::new(env!("CARGO_BIN_EXE_rapport"))
        // Without the poll, only NATS doorbells can carry events between the nodes.
        .args(["serve", "--listen", "127.0.0.1:0", "--bus", &nats_url(), "--live-poll-ms", "3600000"])
        .args(extra)
        .env("RAPPORT_DATABASE_URL", db_url)
        .env_remove("RAPPORT_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rapport serve");
    let mut line = String::new();
    BufReader::new(process.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(address.contains(':'), "no address in {line:?}");
    Node { process, address }
}

async fn connect(address: &str, path: &str) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{address}{path}")).await.expect("connect");
    assert_eq!(next(&mut socket).await["type"], "hello");
    socket
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = next(socket).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

#[tokio::test]
async fn two_nodes_deliver_each_others_events_over_nats() {
    let db = rapport_store::testing::postgres_url().await;
    let app_id = rapport(&["workspace", "create", "--name", "Cluster"], &db);
    let admin = ["admin", "create", "--workspace", &app_id, "--email", "ann@acme.test", "--name", "Ann"];
    let admin_id = rapport(&[&admin[..], &["--password", "long enough pw", "--role", "owner"]].concat(), &db);
    let token = rapport(&["token", "create", "--workspace", &app_id, "--admin", "ann@acme.test"], &db);
    let shown = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["workspace", "show", &app_id])
        .env("RAPPORT_DATABASE_URL", &db)
        .output()
        .unwrap();
    let workspace: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let secret = workspace["identity_verification_secret"].as_str().unwrap().to_string();

    let (a, b) = (start_node(&db), start_node(&db));
    let http = reqwest::Client::new();
    let contact: Value = http
        .post(format!("http://{}/api/contacts", a.address))
        .bearer_auth(&token)
        .json(&json!({"role": "lead", "name": "Vic"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let contact_id: ContactId = contact["id"].as_str().unwrap().parse().unwrap();
    let claims = VisitorClaims { app_id: app_id.clone(), contact_id, issued_at: 1_763_700_000, verified_user: false };
    let visitor_token = sign_visitor_token(&secret, &claims);

    let mut agent_on_b = connect(&b.address, &format!("/ws?token={token}")).await;
    let mut visitor_on_a = connect(&a.address, &format!("/messenger/ws?token={visitor_token}")).await;

    // A visitor's message on node A reaches the agent on node B.
    let frame = json!({"type": "send", "body": "Hello from A", "client_id": "c-1"});
    visitor_on_a.send(Message::Text(frame.to_string().into())).await.unwrap();
    let ack = next_of(&mut visitor_on_a, "ack").await;
    let conversation_id = ack["conversation_id"].as_i64().expect("acked");
    let heard = next_of(&mut agent_on_b, "event").await;
    assert_eq!(
        (heard["kind"].as_str(), heard["conversation_id"].as_i64()),
        (Some("conversation.created"), Some(conversation_id))
    );

    // An agent's reply through node B's REST API reaches the visitor on node A.
    let reply = http
        .post(format!("http://{}/api/conversations/{conversation_id}/reply", b.address))
        .bearer_auth(&token)
        .json(&json!({"message_type": "comment", "type": "admin", "admin_id": admin_id, "body": "Hello from B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    loop {
        let event = next_of(&mut visitor_on_a, "event").await;
        if event["kind"] == "conversation_part.created" {
            assert_eq!(event["data"]["part"]["body"], "Hello from B", "{event}");
            break;
        }
    }
}

/// The next `presence` frame about `admin_id` (others skipped): its status.
async fn presence_of(socket: &mut Socket, admin_id: i64) -> String {
    loop {
        let frame = next_of(socket, "presence").await;
        if frame["admin_id"].as_i64() == Some(admin_id) {
            return frame["status"].as_str().unwrap_or("").to_string();
        }
    }
}

/// Every `presence` frame about `admin_id` that arrives before the answer to a ping.
async fn presence_until_pong(socket: &mut Socket, admin_id: i64) -> Vec<String> {
    socket.send(Message::Text(json!({"type": "ping"}).to_string().into())).await.unwrap();
    let mut heard = Vec::new();
    loop {
        let frame = next(socket).await;
        match frame["type"].as_str() {
            Some("pong") => return heard,
            Some("presence") if frame["admin_id"].as_i64() == Some(admin_id) => {
                heard.push(frame["status"].as_str().unwrap_or("").to_string())
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn presence_spans_nodes_and_outlives_no_node() {
    let db = rapport_store::testing::postgres_url().await;
    let app_id = rapport(&["workspace", "create", "--name", "Presence"], &db);
    let mut tokens = Vec::new();
    for (email, name) in [("ann@acme.test", "Ann"), ("bob@acme.test", "Bob")] {
        let create = ["admin", "create", "--workspace", &app_id, "--email", email, "--name", name];
        let id: i64 = rapport(&[&create[..], &["--password", "long enough pw"]].concat(), &db).parse().unwrap();
        tokens.push((id, rapport(&["token", "create", "--workspace", &app_id, "--admin", email], &db)));
    }
    let [(ann, ann_token), (_, bob_token)] = <[(i64, String); 2]>::try_from(tokens).unwrap();
    let heartbeat = ["--presence-heartbeat-ms", "200"];
    let (a, b) = (start_node_with(&db, &heartbeat), start_node_with(&db, &heartbeat));
    let c = start_node_with(&db, &heartbeat);
    let mut bob_on_b = connect(&b.address, &format!("/ws?token={bob_token}")).await;

    // Ann opens the inbox on A: Bob, on B, sees her online.
    let mut ann_on_a = connect(&a.address, &format!("/ws?token={ann_token}")).await;
    assert_eq!(presence_of(&mut bob_on_b, ann).await, "online");
    // She also has it open on B; closing the tab on A leaves her online, heartbeats after too.
    let mut ann_on_b = connect(&b.address, &format!("/ws?token={ann_token}")).await;
    ann_on_a.close(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(presence_until_pong(&mut bob_on_b, ann).await, Vec::<String>::new(), "Ann went offline too early");
    // A node that started before she came learned of her from the heartbeats.
    let (mut bob_on_c, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws?token={bob_token}", c.address)).await.expect("connect");
    assert_eq!(next(&mut bob_on_c).await["type"], "hello");
    assert_eq!(presence_of(&mut bob_on_c, ann).await, "online", "the snapshot after hello names Ann");
    drop(bob_on_c);

    // Her last socket anywhere closes: offline.
    ann_on_b.close(None).await.unwrap();
    assert_eq!(presence_of(&mut bob_on_b, ann).await, "offline");

    // She comes back on C and C dies without a word: B forgets her after three missed beats.
    let _ann_on_c = connect(&c.address, &format!("/ws?token={ann_token}")).await;
    assert_eq!(presence_of(&mut bob_on_b, ann).await, "online");
    drop(c);
    assert_eq!(presence_of(&mut bob_on_b, ann).await, "offline");
    drop(a);
}
