//! Two real `rapport serve` processes on one PostgreSQL database and the real NATS at
//! 127.0.0.1:4222: what happens on one node reaches the sockets of the other.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rapport_core::identity::{sign_visitor_token, VisitorClaims};
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
    let mut process = Command::new(env!("CARGO_BIN_EXE_rapport"))
        // Without the poll, only NATS doorbells can carry events between the nodes.
        .args(["serve", "--listen", "127.0.0.1:0", "--bus", &nats_url(), "--live-poll-ms", "3600000"])
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
    let contact_id: i64 = contact["id"].as_str().unwrap().parse().unwrap();
    let claims = VisitorClaims { app_id: app_id.clone(), contact_id, issued_at: 1_763_700_000 };
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
